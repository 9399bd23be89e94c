"""The gallery as `dot` lays it out: reading order, edge labels that do not overlap, text size at 880 px.

Positions come from the SVG `dot` writes (user units are points). An SVG does not store text widths:
they are measured with Pillow in DejaVu Sans, the widest common stand-in for Helvetica (Graphviz's
PNGs and many Linux browsers draw with it; `dot` lays text out with narrower Helvetica metrics), or
else estimated at 0.6 em per character.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from functools import cache

import pytest

from viz.gallery import PICTURES, picture_dot

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

SVG = "{http://www.w3.org/2000/svg}"
README_WIDTH = 880
"""The width (px) a README or docs column shows a picture at."""


@cache
def laid_out(name: str) -> ET.Element:
    source = picture_dot(name)
    svg = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, check=True, timeout=30)
    return ET.fromstring(svg.stdout)


def _texts(group: ET.Element) -> list[ET.Element]:
    return [t for t in group.iter(f"{SVG}text") if (t.text or "").strip()]


def _groups(root: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if kind in (g.get("class") or "").split()]


def centre(root: ET.Element, name: str) -> tuple[float, float]:
    """Where the node whose bold name is exactly `name` is drawn: its name's (x, y)."""
    found = [
        (float(t.get("x")), float(t.get("y")))
        for g in _groups(root, "node")
        for t in _texts(g)
        if t.text == name and t.get("font-weight") == "bold"
    ]
    assert len(found) == 1, f"{name} drawn {len(found)} times"
    return found[0]


def reading_order(root: ET.Element, names: list[str]) -> list[str]:
    """`names` sorted as a reader meets them: left to right, or top to bottom when they share a column."""
    spots = {name: centre(root, name) for name in names}
    xs, ys = [x for x, _ in spots.values()], [y for _, y in spots.values()]
    down = max(ys) - min(ys) > max(xs) - min(xs)  # a column (read across), else a row
    return sorted(names, key=lambda n: spots[n][1] if down else spots[n][0])


@cache
def _font_file(bold: bool) -> str | None:
    if shutil.which("fc-match") is None:
        return None
    found = subprocess.run(
        ["fc-match", "-f", "%{file}", "DejaVu Sans:bold" if bold else "DejaVu Sans"],
        capture_output=True,
        text=True,
    )
    return found.stdout.strip() or None


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width (pt) of `text` at `size` pt."""
    try:
        from PIL import ImageFont

        font = ImageFont.truetype(_font_file(bold) or "", size=100)
    except (ImportError, OSError):
        return 0.6 * size * len(text)
    return font.getlength(text) * size / 100


def text_box(t: ET.Element) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of one SVG text."""
    size = float(t.get("font-size"))
    width = text_width(t.text or "", size, t.get("font-weight") == "bold")
    x, y = float(t.get("x")), float(t.get("y"))
    anchor = t.get("text-anchor", "start")
    left = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
    return left, y - 0.8 * size, left + width, y + 0.2 * size


GAP = 11
"""Points of white needed between two labels on one line to read them as two: one em of the labels' 11 pt
(the old patient 3 had 9 pt between `= (−1) · 1/200 = −1/200` and `= (−1) · 3000 = −3000`: one phrase)."""


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] + GAP and b[0] < a[2] + GAP and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("patient3", [["x1", "x2", "x3"], ["o1_1", "o1_2", "o1_3"], ["w2_1", "w2_2", "w2_3"]]),
        ("patient1", [["x1", "x2", "x3"], ["w2_1", "w2_2", "w2_3"]]),
        ("mlp-2-4-4-1", [["x1", "x2"], ["o1_1", "o1_2", "o1_3", "o1_4"], ["o2_1", "o2_2", "o2_3", "o2_4"]]),
    ],
)
def test_inputs_and_neurons_are_drawn_in_reading_order(name, rows):
    root = laid_out(name)
    for row in rows:
        assert reading_order(root, row) == row


def test_patient3_weights_sit_left_to_right_above_their_products():
    root = laid_out("patient3")
    xs = [centre(root, name)[0] for name in ("w2_1", "w2_2", "w2_3")]
    assert xs == sorted(xs) and len(set(xs)) == 3


def _bezier_points(path: str) -> list[tuple[float, float]]:
    """Points along an SVG path of cubic Béziers (`M x,y C x,y x,y x,y ...`, as `dot` writes arrows)."""
    nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path)]
    pts = list(zip(nums[0::2], nums[1::2], strict=True))
    out = [pts[0]]
    for k in range(1, len(pts) - 2, 3):
        p0, p1, p2, p3 = pts[k - 1], pts[k], pts[k + 1], pts[k + 2]
        for step in range(1, 21):
            t = step / 20
            out.append(
                tuple(
                    (1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t**2 * c + t**3 * d
                    for a, b, c, d in zip(p0, p1, p2, p3, strict=True)
                )
            )
    return out


def _edge_labels(root: ET.Element) -> list[tuple[int, tuple[float, ...], str]]:
    return [(i, text_box(t), t.text) for i, edge in enumerate(_groups(root, "edge")) for t in _texts(edge)]


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_edge_labels_do_not_overlap(name):
    boxes = _edge_labels(laid_out(name))
    clashes = [
        (ta, tb)
        for k, (i, a, ta) in enumerate(boxes)
        for j, b, tb in boxes[k + 1 :]
        if i != j and _overlap(a, b)
    ]
    assert clashes == []


def _inside(x: float, y: float, box: tuple[float, ...]) -> bool:
    return box[0] + 1 < x < box[2] - 1 and box[1] + 1 < y < box[3] - 1


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_no_arrow_runs_through_an_edge_label(name):
    root = laid_out(name)
    boxes = _edge_labels(root)
    crossed = set()
    for edge in _groups(root, "edge"):
        for path in edge.iter(f"{SVG}path"):
            for x, y in _bezier_points(path.get("d")):
                crossed |= {words for _, box, words in boxes if _inside(x, y, box)}
    assert crossed == set()


def test_the_moons_neurons_are_in_order_when_drawn_one_box_each(monkeypatch):
    import viz
    import viz.budget

    monkeypatch.setattr(viz.budget, "BUNDLE", 10**6)  # keep the 256 arrows between L1 and L2
    picture = PICTURES["moons-2-16-16-1"]()
    source = viz.to_dot(picture.loss, **picture.options)
    svg = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, check=True, timeout=30)
    root = ET.fromstring(svg.stdout)
    for layer in (1, 2):
        row = [f"o{layer}_{i}" for i in range(1, 17)]
        assert reading_order(root, row) == row
    assert reading_order(root, ["x1", "x2"]) == ["x1", "x2"]


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_text_is_at_least_9_px_when_the_picture_is_880_px_wide(name):
    root = laid_out(name)
    width = float(re.match(r"[\d.]+", root.get("width")).group())
    sizes = [float(t.get("font-size")) for t in _texts(root)]
    shown = min(sizes) * README_WIDTH / width
    assert shown >= 9, f"{width:.0f} pt wide: {min(sizes)} pt text is {shown:.1f} px at {README_WIDTH} px"


def test_arrows_between_layers_run_straight_down_in_the_focus_picture():
    # Read down, the last pass of dot's crossing minimisation stays on: without it the four arrows from
    # L3's products up to o2_1 … o2_4 were drawn crossing, their labels in the order 4, 3, 2, 1.
    root = laid_out("focus-one-weight")
    lefts = {}
    for edge in _groups(root, "edge"):
        for t in _texts(edge):
            found = re.fullmatch(r"δo2_(\d) =", t.text or "")  # over `δo3 · w3_k`
            if found:
                lefts[int(found.group(1))] = float(t.get("x"))
    assert sorted(lefts) == [1, 2, 3, 4] and sorted(lefts, key=lefts.get) == [1, 2, 3, 4]

"""The gallery as `dot` lays it out: reading order, edge labels that do not overlap, text size at 880 px.

Positions come from the SVG `dot` writes (user units are points). Text boxes are estimated from the
font size and the number of characters (0.6 em per character, wider than DejaVu Sans' average), since
an SVG does not store text widths.
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
    xs = {round(x) for x, _ in spots.values()}
    key = (lambda n: spots[n][1]) if len(xs) == 1 else (lambda n: spots[n][0])
    return sorted(names, key=key)


def text_box(t: ET.Element) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of one SVG text, estimated."""
    size = float(t.get("font-size"))
    width = 0.6 * size * len(t.text or "")
    x, y = float(t.get("x")), float(t.get("y"))
    anchor = t.get("text-anchor", "start")
    left = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
    return left, y - 0.8 * size, left + width, y + 0.2 * size


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


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


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_edge_labels_do_not_overlap(name):
    root = laid_out(name)
    boxes = []
    for i, edge in enumerate(_groups(root, "edge")):
        boxes += [(i, text_box(t), t.text) for t in _texts(edge)]
    clashes = [
        (ta, tb) for k, (i, a, ta) in enumerate(boxes) for j, b, tb in boxes[k + 1 :] if i != j and _overlap(a, b)
    ]
    assert clashes == []

"""Readability in one place: the column a picture is read in, the smallest text, the type sizes.

A picture is read in an 880 px column (the articles' and the README's width); its text must be at
least 11 px there. A picture `width_pt` points wide is scaled by `px_per_pt(width_pt)`: at most
4/3 (1 pt = 4/3 px at 96 dpi, as a browser shows an SVG at its own size), less when it must shrink
to the column. `readable` says whether the smallest text keeps 11 px; `fit` tries the shrinks in
order, measuring each candidate's true width with `dot -Tjson0`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .scene import Scene

COLUMN_PX = 880
"""The width of the column the pictures are read in (px)."""
MIN_TEXT_PX = 11
"""The smallest text a reader should meet, in that column (px)."""
PX_PER_PT = 4 / 3
"""A browser shows 1 pt of an SVG as 4/3 px (96 px per inch)."""
PAGE_PX_PER_PT = 0.9
"""The step page draws its graph at 0.9 px per pt (13 pt frame text is about 12 px) and scrolls sideways."""


@dataclass(frozen=True)
class Typography:
    """Point sizes of every text in the pictures: the drawing, its legend, the step frames."""

    title: int = 16  # the title the caller gives
    heading: int = 14  # the view's heading, a layer's name, the frames' caption
    body: int = 12  # a node's name, value and δ
    small: int = 11  # a node's kind or op, statistics, notes, the legend's words, a constant
    arrow: int = 11  # the chain rule on an arrow
    frame: int = 13  # the step frames' labels (drawn at PAGE_PX_PER_PT on the page)
    frame_small: int = 11  # the step frames' kind or op line

    @property
    def smallest(self) -> int:
        """The smallest size used anywhere."""
        return min(self.title, self.heading, self.body, self.small, self.arrow, self.frame, self.frame_small)


TYPE = Typography()

DEFAULT_BUDGET = 80
"""A first guess before any measuring: about as many boxes as a page shows legibly."""
BUNDLE = 40
"""More arrows than this between two layers of neurons are a tangle at the column's width: those layers
are drawn as boxes with δ statistics, joined by one counted arrow."""
EDGE_LABELS = 60
"""Above this many arrows, arrows carry no text (it would cover the picture); tooltips keep it."""
RANK_WIDTH, NODE_WIDTH, PAGE_WIDTH = 220, 140, 1100
"""Rough widths (points) of one column read across (a node and an arrow label), of one node read down,
and of a page: a graph wider than a page read across is drawn top to bottom if that is narrower.
Two pictures side by side wider than PAGE_WIDTH are stacked instead (two 1000 pt pictures side by
side would show 11 pt text at 4.6 px in the column)."""
MAX_NAME_CHARS = 40
"""A name longer than this is cut, or when made from a node's inputs made shallower."""


def px_per_pt(width_pt: float) -> float:
    """Pixels per point of a picture `width_pt` points wide, shown in the column (never enlarged)."""
    if width_pt <= 0:
        return PX_PER_PT
    return min(PX_PER_PT, COLUMN_PX / width_pt)


def smallest_px(width_pt: float, smallest_pt: float = TYPE.small) -> float:
    """The size in pixels of the smallest text of a picture `width_pt` wide, in the column."""
    return smallest_pt * px_per_pt(width_pt)


def readable(width_pt: float, smallest_pt: float = TYPE.small) -> bool:
    """Whether the smallest text of a picture `width_pt` points wide keeps MIN_TEXT_PX in the column."""
    return smallest_px(width_pt, smallest_pt) >= MIN_TEXT_PX


def widest_readable_pt(smallest_pt: float = TYPE.small) -> float:
    """The widest picture (points) whose smallest text still reads at MIN_TEXT_PX: 880 for 11 pt text."""
    return COLUMN_PX * smallest_pt / MIN_TEXT_PX


@dataclass(frozen=True)
class Reading:
    """How an SVG reads in the column: its width, its smallest text (both pt), and that text in px."""

    width_pt: float
    smallest_pt: float

    @property
    def smallest_px(self) -> float:
        """The smallest text's size in pixels when the picture is shown in the column."""
        return smallest_px(self.width_pt, self.smallest_pt)

    @property
    def readable(self) -> bool:
        """Whether that text keeps MIN_TEXT_PX."""
        return self.smallest_px >= MIN_TEXT_PX


_SVG_WIDTH = re.compile(r'<svg\b[^>]*\bwidth="([\d.]+)(pt|px)?"')
_FONT_SIZE = re.compile(r'<text\b[^>]*\bfont-size="([\d.]+)"')


def read_svg(svg: str) -> Reading:
    """The width and the smallest text of an SVG `dot` wrote (sizes in points, as Graphviz writes them)."""
    found = _SVG_WIDTH.search(svg)
    if found is None:
        raise ValueError("not an SVG with a width: no <svg width=...> found")
    width = float(found[1]) * (0.75 if found[2] == "px" else 1.0)
    sizes = [float(size) for size in _FONT_SIZE.findall(svg)]
    if not sizes:
        raise ValueError("the SVG has no text with a font-size")
    return Reading(width, min(sizes))


# Helvetica's advance widths (em), as `dot` estimates text without a font at hand; close enough to
# keep a label's room when its text is replaced (a blank δ keeps the width of its answer).
_NARROW = set(" .,:;!|il'`/·")
_ROUND = set("()[]{}ftrjI-")
_OPERATOR = set("=+<>\u2212×")


def text_width_pt(text: str, size: float = TYPE.body, bold: bool = False) -> float:
    """About how wide `text` is in Helvetica at `size` points."""
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.278
        elif ch in _ROUND:
            em += 0.333
        elif ch in _OPERATOR:
            em += 0.584
        elif ch in "mMW":
            em += 0.833
        elif ch.isupper() or ch in "w":
            em += 0.722
        else:
            em += 0.556
    return em * size * (1.06 if bold else 1.0)


GRAPHVIZ_PAD_INCHES = 0.0555
"""Graphviz's margin around a drawing when the graph sets no `pad` (4 pt)."""

Shrink = Callable[["Scene"], "Scene | None"]


def layout_width_pt(source: str, *, timeout: float = 30.0) -> float:
    """The width in points of DOT `source` as `dot` lays it out (`bb` from `dot -Tjson0`)."""
    from .graphviz_run import run  # the runner reads no number from here

    data = json.loads(run("dot", "json0", source, timeout=timeout, what="the layout being measured"))
    x0, _, x1, _ = (float(v) for v in str(data["bb"]).split(","))
    return x1 - x0


def drawn_width_pt(scene: Scene, **options: Any) -> float:
    """The width in points of `scene` drawn by `viz.dot.digraph(scene, **options)`, measured by `dot`.

    This is the width of the SVG `dot` writes: the layout's box and the margin (`pad`) on each side.
    """
    from .dot import digraph

    g = digraph(scene, **options)
    pad = float(g.graph_attr.get("pad", GRAPHVIZ_PAD_INCHES)) * 72
    return layout_width_pt(str(g.source)) + 2 * pad


def fit(
    scene: Scene, measure: Callable[[Scene], float], shrinks: Sequence[tuple[str, Shrink]] | None = None
) -> Scene:
    """`scene`, or the first of its shrinks whose measured width keeps text at MIN_TEXT_PX in the column.

    `measure(candidate)` is a candidate's width in points (e.g. `drawn_width_pt`, one `dot -Tjson0`).
    The shrinks (by default `viz.budget.SHRINKS`: one box per neuron, dense neuron layers as boxes,
    every layer as a box) are tried in order, each on the last candidate; a shrink that does not apply
    returns None. Each one used adds a note to the heading. When none reads, the most shrunk candidate
    is returned, and its note says how wide it is.
    """
    if shrinks is None:
        from .budget import SHRINKS  # budget's shrinks read their numbers (BUNDLE) from this module

        shrinks = SHRINKS
    width = measure(scene)
    if readable(width):
        return scene
    candidate, used = scene, []
    for name, shrink in shrinks:
        smaller = shrink(candidate)
        if smaller is None:
            continue
        candidate = smaller
        used.append(name)
        width = measure(candidate)
        if readable(width):
            break
    shown = smallest_px(width)
    note = (
        f"shrunk to read in a {COLUMN_PX} px column: {', then '.join(used) or 'nothing to shrink'}; "
        f"smallest text {shown:.1f} px at {width:.0f} pt wide"
    )
    return replace(candidate, notes=(*candidate.notes, note))


# --- what covers what, read from an SVG `dot` wrote ----------------------------------------------

_GROUP = re.compile(r'<g id="([^"]*)" class="(cluster|edge|node)\b[^"]*">')
_TEXT = re.compile(r"<text\b([^>]*)>([^<]*)</text>")
_PATH_D = re.compile(r'<path\b[^>]*\bd="([^"]*)"')


def _attr(attrs: str, name: str, default: str = "") -> str:
    found = re.search(rf'\b{name}="([^"]*)"', attrs)
    return found[1] if found else default


def _unescape(text: str) -> str:
    return text.replace("&#45;", "-").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


Box = tuple[float, float, float, float]


def _text_boxes(body: str, wider: float = 1.0) -> list[tuple[str, Box]]:
    """Each text of an SVG group with its box (x0, y0, x1, y1): dot's Helvetica estimate times `wider`."""
    out = []
    for attrs, raw in _TEXT.findall(body):
        shown = _unescape(raw)
        size = float(_attr(attrs, "font-size", "14"))
        width = wider * text_width_pt(shown, size, bold=_attr(attrs, "font-weight") == "bold")
        x, y = float(_attr(attrs, "x", "0")), float(_attr(attrs, "y", "0"))
        anchor = _attr(attrs, "text-anchor", "start")
        x0 = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
        out.append((shown, (x0, y - 0.75 * size, x0 + width, y + 0.2 * size)))
    return out


def _curve_points(d: str, per_segment: int = 24) -> list[tuple[float, float]]:
    """Points along a path `dot` wrote (`M x,y C x,y x,y x,y ...`: cubic Béziers)."""
    numbers = [float(v) for v in re.findall(r"-?[\d.]+(?:e-?\d+)?", d)]
    pts = list(zip(numbers[::2], numbers[1::2], strict=False))
    out = [pts[0]] if pts else []
    for k in range(0, len(pts) - 3, 3):
        p0, p1, p2, p3 = pts[k : k + 4]
        for i in range(1, per_segment + 1):
            t = i / per_segment
            a, b, c, e = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
            out.append(
                (a * p0[0] + b * p1[0] + c * p2[0] + e * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + e * p3[1])
            )
    return out


def _inside(point: tuple[float, float], box: Box, margin: float) -> bool:
    x, y = point
    return box[0] + margin < x < box[2] - margin and box[1] + margin < y < box[3] - margin


def _view(element: str) -> str:
    """The view an element id belongs to: `forward-` for `forward-edge-n1-n0-0`, "" for the backward view."""
    return element.split("edge-")[0].split("layer-")[0]


def _overlap(a: Box, b: Box, margin: float) -> bool:
    return a[0] + margin < b[2] and b[0] + margin < a[2] and a[1] + margin < b[3] and b[1] + margin < a[3]


@dataclass(frozen=True)
class Collisions:
    """What covers what in a drawing: arrows through layer titles, arrows through texts, texts on texts."""

    through_titles: tuple[str, ...]
    through_labels: tuple[str, ...]
    labels_on_labels: tuple[str, ...]


DEJAVU_WIDER = 1.15
"""DejaVu Sans (Graphviz's PNGs, many Linux browsers) is about this much wider than dot's Helvetica."""


def collisions(svg: str, margin: float = 1.0, wider: float = DEJAVU_WIDER) -> Collisions:
    """Read an SVG `dot` wrote: which arrows cross a layer's title or an arrow's text, which texts overlap.

    Text boxes are `dot`'s own Helvetica estimate (`text_width_pt`) made `wider` for the fonts readers
    have, then shrunk by `margin` points on each side, so touching is not crossing. An arrow is not
    said to cross its own text.
    """
    titles: list[tuple[str, Box]] = []
    labels: list[tuple[str, str, Box]] = []
    paths: list[tuple[str, list[tuple[float, float]]]] = []
    starts = list(_GROUP.finditer(svg))
    for k, start in enumerate(starts):
        element, kind = _unescape(start[1]), start[2]
        body = svg[start.end() : starts[k + 1].start() if k + 1 < len(starts) else len(svg)]
        if kind == "node":
            continue
        if kind == "cluster":
            titles.extend((f"{element}: {shown}", box) for shown, box in _text_boxes(body, wider))
            continue
        for d in _PATH_D.findall(body):
            paths.append((element, _curve_points(d)))
        labels.extend((element, shown, box) for shown, box in _text_boxes(body, wider))
    through_titles = sorted(
        {
            f"{edge} through {title}"
            for title, box in titles
            for edge, pts in paths
            if _view(edge) == _view(title) and any(_inside(p, box, margin) for p in pts)
        }
    )
    through_labels = sorted(
        {
            f"{edge} through {owner}'s text {shown!r}"
            for owner, shown, box in labels
            for edge, pts in paths
            if edge != owner and _view(edge) == _view(owner) and any(_inside(p, box, margin) for p in pts)
        }
    )
    on_labels = sorted(
        {
            f"{a_owner} {a!r} on {b_owner} {b!r}"
            for i, (a_owner, a, a_box) in enumerate(labels)
            for b_owner, b, b_box in labels[i + 1 :]
            if a_owner != b_owner and _view(a_owner) == _view(b_owner) and _overlap(a_box, b_box, margin)
        }
    )
    return Collisions(tuple(through_titles), tuple(through_labels), tuple(on_labels))

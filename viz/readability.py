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
    frame_small: int = 10  # the step frames' kind or op line

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

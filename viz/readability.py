"""Readability in one place: the column a picture is read in, the smallest text, the type sizes.

A picture is read in an 880 px column (the articles' and the README's width); its text must be at
least 11 px there. A picture `width_pt` points wide is scaled by `px_per_pt(width_pt)`: at most
4/3 (1 pt = 4/3 px at 96 dpi, as a browser shows an SVG at its own size), less when it must shrink
to the column. `readable` says whether the smallest text keeps 11 px; `fit` tries the shrinks in
order, measuring each candidate's true width with `dot -Tjson0`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

COLUMN_PX = 880
"""The width of the column the pictures are read in (px)."""
MIN_TEXT_PX = 11
"""The smallest text a reader should meet, in that column (px)."""
PX_PER_PT = 4 / 3
"""A browser shows 1 pt of an SVG as 4/3 px (96 px per inch)."""


@dataclass(frozen=True)
class Typography:
    """Point sizes of every text in the pictures (the static drawing, the frames, the legend)."""

    title: int = 16
    heading: int = 14
    body: int = 12
    small: int = 11
    arrow: int = 11
    frame: int = 13
    frame_small: int = 10

    @property
    def smallest(self) -> int:
        """The smallest size used anywhere."""
        return min(self.title, self.heading, self.body, self.small, self.arrow, self.frame, self.frame_small)


TYPE = Typography()


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


Measure = Callable[[object], float]


def fit(
    scene: object, measure: Measure, shrinks: Sequence[tuple[str, Callable[[object], object | None]]]
) -> object:
    """The first of `scene`, then each shrink of it in order, whose measured width reads in the column.

    `measure(candidate)` is the candidate's width in points (one `dot -Tjson0`); a shrink returns a
    smaller scene or None when it does not apply. When none reads, the last candidate is returned:
    the caller says in the heading that the picture is wider than the column.
    """
    candidate = scene
    if readable(measure(candidate)):
        return candidate
    for _name, shrink in shrinks:
        smaller = shrink(candidate)
        if smaller is None:
            continue
        candidate = smaller
        if readable(measure(candidate)):
            return candidate
    return candidate

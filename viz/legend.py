"""The legend: a strip under the title that explains kinds, colours and arrow labels.

It sits in the graph's label rather than in a node, so it widens no column of the drawing.
"""

from __future__ import annotations

from . import text
from .records import CONSTANT, INPUT, OPERATION, WEIGHT
from .style import NEGATIVE, POSITIVE, STYLE, ZERO

LEGEND_TEXT = {
    WEIGHT: "weight",
    INPUT: "input",
    CONSTANT: "constant (gets no δ)",
    OPERATION: "operation",
}
LAYER_TEXT = 'layer (nodes made inside autodiff.layer("L2"))'
ARROW_TEXT = "arrow label: δ of the output · ∂output/∂input = δ sent back to the input"
SUM_TEXT = "a node used twice gets one arrow per use, and its δ is their sum"


def _cell(swatch: str, words: str, fill: str = "", border: str = "") -> str:
    box = f'BGCOLOR="{fill}" BORDER="1" COLOR="{border}"' if fill else 'BORDER="0"'
    return f'<TD {box}>{swatch}</TD><TD ALIGN="LEFT">{text.html(words)}</TD><TD WIDTH="8"></TD>'


def _strip(cells: list[str]) -> str:
    """One row of the title table holding `cells` side by side."""
    table = f'<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2"><TR>{"".join(cells)}</TR></TABLE>'
    return f"<TR><TD>{table}</TD></TR>"


def legend_html(backward: bool) -> str:
    """HTML-like label rows (for a one-column table) that explain the drawing."""
    cells = [
        _cell(swatch, LEGEND_TEXT[kind], STYLE[kind]["fillcolor"], STYLE[kind]["color"])
        for kind, swatch in ((WEIGHT, "w"), (INPUT, "x"), (CONSTANT, "2"), (OPERATION, "<I>op</I>"))
    ]
    cells.append(_cell("L2", LAYER_TEXT, "#f7f7f2", "#8a8a8a"))
    rows = [_strip(cells)]
    if backward:
        arrows = [
            _cell(f'<FONT COLOR="{colour}"><B>⟵</B></FONT>', words)
            for colour, words in ((NEGATIVE, "δ < 0"), (POSITIVE, "δ > 0"), (ZERO, "δ = 0 (nothing learned)"))
        ]
        arrows.append(f'<TD ALIGN="LEFT">{text.html(ARROW_TEXT)}<BR ALIGN="LEFT"/>{text.html(SUM_TEXT)}</TD>')
        rows.append(_strip(arrows))
    return "".join(rows)

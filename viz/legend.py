"""The legend: one table node that explains kinds, colours and arrow labels."""

from __future__ import annotations

import graphviz

from . import text
from .records import CONSTANT, INPUT, OPERATION, WEIGHT
from .style import FONT, NEGATIVE, POSITIVE, STYLE, ZERO

LAYER_TEXT = 'a layer: the nodes made inside with autodiff.layer("L2"):'
LEGEND_TEXT = {
    WEIGHT: "weight (learned: its δ updates it)",
    INPUT: "input (data)",
    CONSTANT: "constant (receives no δ)",
    OPERATION: "operation: op, name = value, δ (.grad)",
}


def add_legend(g: graphviz.Digraph, backward: bool) -> None:
    """Add the legend to `g`; the backward view also explains arrow colours and labels."""

    def swatch(kind: str, word: str, description: str = "") -> str:
        style = STYLE[kind]
        return (
            f'<TR><TD BGCOLOR="{style["fillcolor"]}" BORDER="1" COLOR="{style["color"]}">{word}</TD>'
            f'<TD ALIGN="LEFT">{text.html(description or LEGEND_TEXT[kind])}</TD></TR>'
        )

    rows = [
        swatch(WEIGHT, "w"),
        swatch(INPUT, "x"),
        swatch(CONSTANT, "2"),
        swatch(OPERATION, "<I>op</I>", "" if backward else "operation: op, name = value"),
        '<TR><TD BORDER="1" COLOR="#8a8a8a" BGCOLOR="#f7f7f2">L2</TD>'
        f'<TD ALIGN="LEFT">{text.html(LAYER_TEXT)}</TD></TR>',
    ]
    if backward:
        for colour, word in ((NEGATIVE, "δ &lt; 0"), (POSITIVE, "δ &gt; 0"), (ZERO, "δ = 0")):
            rows.append(
                f'<TR><TD><FONT COLOR="{colour}"><B>⟵</B></FONT></TD><TD ALIGN="LEFT">{word}</TD></TR>'
            )
        rows.append(
            '<TR><TD COLSPAN="2" ALIGN="LEFT">'
            + text.html("arrow label: δ of the output · ∂output/∂input = δ sent back to the input")
            + "<BR/>"
            + text.html("a node used twice gets one arrow per use; its δ is their sum")
            + "</TD></TR>"
        )
    table = f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="3">{"".join(rows)}</TABLE>'
    with g.subgraph(name="cluster_legend") as box:
        box.attr(label="<<B>Legend</B>>", style="rounded", color="#cccccc", fontname=FONT, fontsize="12")
        box.node("legend", f"<{table}>", shape="plain", style="", fontsize="11")

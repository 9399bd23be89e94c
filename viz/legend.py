"""The legend: a strip under the title that explains, in plain words, only what the drawing holds.

It sits in the graph's label rather than in a node, so it widens no column of the drawing.
"""

from __future__ import annotations

from . import text
from .readability import TYPE
from .records import CONSTANT, INPUT, OPERATION, WEIGHT, GraphRecords
from .style import HIDDEN, LAYER, NEGATIVE, POSITIVE, STYLE, ZERO
from .summary import NEURON, SUMMARY

LEGEND_TEXT = {
    WEIGHT: "weight (learned)",
    INPUT: "input",
    CONSTANT: "constant (gets no δ)",
    OPERATION: "operation",
    NEURON: "neuron: Σ w·x + b, then its activation",
    SUMMARY: "collapsed group of nodes",
}
SWATCH = {WEIGHT: "w", INPUT: "x", CONSTANT: "2", OPERATION: "<I>op</I>", NEURON: "Σ", SUMMARY: "…"}
LAYER_TEXT = "layer"
ARROW_TEXT = "each arrow: δ of the input = δ of the output · ∂output/∂input, in names, then in numbers"
SUM_TEXT = "a node used twice gets one arrow per use, and its δ is their sum"
UPDATE_TEXT = "ŵ = w − α·δw: the weight after one step of gradient descent with learning rate α"


def _cell(swatch: str, words: str, fill: str = "", border: str = "", colour: str = "") -> str:
    box = f'BGCOLOR="{fill}" BORDER="1" COLOR="{border}"' if fill else 'BORDER="0"'
    shown = text.html(words) if not colour else f'<FONT COLOR="{colour}">{text.html(words)}</FONT>'
    return f'<TD {box}>{swatch}</TD><TD ALIGN="LEFT">{shown}</TD><TD WIDTH="6"></TD>'


def _strip(cells: list[str]) -> str:
    """One row of the title table holding `cells` side by side."""
    table = f'<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2"><TR>{"".join(cells)}</TR></TABLE>'
    return f"<TR><TD>{table}</TD></TR>"


def legend_html(graph: GraphRecords, deltas: bool) -> str:
    """HTML-like label rows (for a one-column table) explaining what `graph`'s drawing shows.

    Without `deltas` the δ rows are still laid out, in a transparent colour, so that every view of a
    graph has the same heading height and its nodes sit at the same place.
    """
    kinds = {node.of_kind or node.kind for node in graph.nodes}
    order = (WEIGHT, INPUT, CONSTANT, OPERATION, NEURON, SUMMARY)
    cells = [
        _cell(SWATCH[kind], LEGEND_TEXT[kind], STYLE[kind]["fillcolor"], STYLE[kind]["color"])
        for kind in order
        if kind in kinds
    ]
    if graph.layers:
        cells.append(_cell("L2", LAYER_TEXT, LAYER["fillcolor"], LAYER["color"]))
    # More than five kinds make the legend wider than a collapsed picture: two rows, balanced.
    half = (len(cells) + 1) // 2 if len(cells) > 5 else len(cells)
    rows = [_strip(cells[i : i + half]) for i in range(0, len(cells), half)] if cells else [_strip(cells)]
    # Arrows touching a blank δ are drawn without their sign: they add no colour to explain.
    blank = {node.id for node in graph.nodes if "blank" in node.marks}
    signs = {
        _sign(edge.contribution)
        for edge in graph.edges
        if edge.carries_delta and edge.parent not in blank and edge.child not in blank
    }
    hide = "" if deltas else HIDDEN
    arrows = [
        _cell(f'<FONT COLOR="{hide or colour}"><B>⟵</B></FONT>', words, colour=hide)
        for colour, words, sign in (
            (NEGATIVE, "δ < 0", -1),
            (POSITIVE, "δ > 0", 1),
            (ZERO, "δ = 0 (nothing learned)", 0),
        )
        if sign in signs
    ]
    # With every δ left blank the arrows carry no sentence (a worksheet): nothing to explain there.
    lines = [] if blank and not signs else [ARROW_TEXT]
    if _reused(graph):
        lines.append(SUM_TEXT)
    updates = [node.update for node in graph.nodes if node.update]
    if updates:
        from .update import legend_for  # the rule the updates were drawn with: SGD, momentum or Adam

        lines.append(legend_for(updates[0]))
    words = "".join(f'{text.html(line)}<BR ALIGN="LEFT"/>' for line in lines)
    if arrows:
        rows.append(_strip(arrows))
    colour = f' COLOR="{HIDDEN}"' if hide else ""
    if words:
        rows.append(f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="{TYPE.small}"{colour}>{words}</FONT></TD></TR>')
    return "".join(rows)


def _sign(x: object) -> int | None:
    try:
        return -1 if x < 0 else 1 if x > 0 else 0  # type: ignore[operator]
    except TypeError:
        return None


def _reused(graph: GraphRecords) -> bool:
    seen: set[str] = set()
    for edge in graph.edges:
        if edge.carries_delta and not edge.count:
            if edge.parent in seen:
                return True
            seen.add(edge.parent)
    return False

"""Step 2 of a drawing: records → a `graphviz.Digraph` (DOT text), with no `dot` program needed.

Both views keep the inputs on the left and the loss on the right. In the forward view the arrows
run with the computation; in the backward view they run back from the loss, and each one is
labelled with the δ it carries: `δ_out · ∂out/∂in = δ sent to the input`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import graphviz

from autodiff import is_exact

from . import text
from .layout import beside, rank_groups
from .legend import legend_html
from .records import CONSTANT, EdgeRecord, GraphRecords, NodeRecord
from .style import FONT, KIND_WORD, STYLE, ZERO, sign_colour
from .summary import SUMMARY

VIEWS = ("backward", "forward")


def digraph(
    graph: GraphRecords, *, view: str = "backward", title: str | None = None, legend: bool = True
) -> graphviz.Digraph:
    """Build the `graphviz.Digraph` of `graph` in the `view` ("backward" or "forward")."""
    if view not in VIEWS:
        raise ValueError(f"view must be 'backward' or 'forward', got {view!r}")
    backward = view == "backward"
    heading = (
        "Backward pass: the δ flow, from the loss back to the inputs"
        if backward
        else "Forward pass: from the inputs to the loss"
    )
    root = graph.nodes[0] if graph.nodes else None
    if backward and root is not None and root.kind != SUMMARY and root.grad == 0:
        heading += " (every δ is 0: call loss.backward() before drawing)"
    rows = []
    if title is not None:
        rows.append(f'<TR><TD><FONT POINT-SIZE="18"><B>{text.html(title)}</B></FONT></TD></TR>')
    rows.append(f"<TR><TD><B>{text.html(heading)}</B></TD></TR>")
    if legend:
        rows.append(legend_html(backward))
    label = f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">{"".join(rows)}</TABLE>>'
    g = graphviz.Digraph(
        "autodiff",
        graph_attr={
            "rankdir": "LR",
            "label": label,
            "labelloc": "t",
            "fontname": FONT,
            "fontsize": "16",
            "nodesep": "0.35",
            "ranksep": "0.45",
            "newrank": "true",
        },
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": FONT, "fontsize": "12"},
        edge_attr={"fontname": FONT, "fontsize": "11"},
    )
    sums = _incoming(graph.edges) if backward else {}
    groups = rank_groups(graph)
    node_of = {node.id: node for node in graph.nodes}
    _add_nodes(g, groups.get(None, []), node_of, backward, sums)
    for i, layer in enumerate(graph.layers):
        members = groups.get(layer, [])
        if len(members) == 1 and len(members[0]) == 1 and node_of[members[0][0]].kind == SUMMARY:
            _add_nodes(g, members, node_of, backward, sums)  # a collapsed layer is its own box
            continue
        with g.subgraph(name=f"cluster_{i}") as box:
            box.attr(
                label=f"<<B>{text.html(text.name(layer))}</B>>",
                style="rounded,filled",
                color="#8a8a8a",
                fillcolor="#f7f7f2",
                fontsize="15",
                fontname=FONT,
            )
            _add_nodes(box, groups.get(layer, []), node_of, backward, sums)
    flat = beside(graph)
    inputs: dict[str, int] = defaultdict(int)  # the arrows that leave a node's column
    arity: dict[str, int] = defaultdict(int)
    for edge in graph.edges:
        arity[edge.child] += 1
        if edge.carries_delta and edge.parent not in flat:
            inputs[edge.child] += 1
    for edge in graph.edges:
        op = node_of[edge.child].op
        unary = (op, node_of[edge.parent].data) if arity[edge.child] == 1 and op is not None else None
        attrs = _edge_attrs(edge, backward, unary)
        if "label" in attrs and flat.get(edge.parent) == edge.child:
            # An arrow inside a column runs through a centred label; an xlabel sits beside it.
            attrs["xlabel"] = _pad(attrs.pop("label"))
        elif "label" in attrs and inputs[edge.child] > 1:
            # Arrows fanning out of one node cross rows; a line ties each label to its own arrow.
            attrs["decorate"] = "true"
        g.edge(edge.parent, edge.child, **attrs)
    return g


def _add_nodes(
    g: graphviz.Digraph,
    groups: list[list[str]],
    node_of: dict[str, NodeRecord],
    backward: bool,
    sums: dict[str, list[Any]],
) -> None:
    """Declare the nodes of one box; a column of several nodes becomes a `rank=same` subgraph."""
    for group in groups:
        if len(group) == 1:
            node = node_of[group[0]]
            g.node(node.id, _node_label(node, backward, sums.get(node.id)), **_style(node))
            continue
        with g.subgraph() as same:
            same.attr(rank="same")
            for node_id in group:
                node = node_of[node_id]
                same.node(node.id, _node_label(node, backward, sums.get(node.id)), **_style(node))


def _style(node: NodeRecord) -> dict[str, str]:
    if node.of_kind is not None:  # a box of leaves keeps their colours, dashed like every summary
        return {**STYLE[node.of_kind], "style": STYLE[SUMMARY]["style"], "fontsize": "12"}
    return STYLE[node.kind]


def _incoming(edges: tuple[EdgeRecord, ...]) -> dict[str, list[Any]]:
    """For each node, the δs its users send back to it, in edge order (None when unknown)."""
    sums: dict[str, list[Any]] = defaultdict(list)
    for edge in edges:
        if edge.carries_delta:
            sums[edge.parent].append(edge.contribution)
    return sums


def _row(content: str, size: int | None = None, colour: str | None = None) -> str:
    font = []
    if size is not None:
        font.append(f'POINT-SIZE="{size}"')
    if colour is not None:
        font.append(f'COLOR="{colour}"')
    if font:
        content = f"<FONT {' '.join(font)}>{content}</FONT>"
    return f"<TR><TD>{content}</TD></TR>"


def _node_label(node: NodeRecord, backward: bool, parts: list[Any] | None) -> str:
    if node.kind == SUMMARY:
        return _summary_label(node)
    name = text.html(text.name(node.name))
    value = text.html(text.number(node.data))
    if node.kind == CONSTANT:
        shown = f"{name} = {value}" if name else value
        return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">{_row(shown)}</TABLE>>'
    header = f"<I>{text.html(node.op)}</I>" if node.op else KIND_WORD[node.kind]
    rows = [_row(header, 10, "#555555"), _row(f"<B>{name}</B> = {value}" if name else f"= {value}")]
    if backward:
        rows.append(_delta_row(node, parts or []))
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(rows)}</TABLE>>'


def _delta_row(node: NodeRecord, parts: list[Any]) -> str:
    symbol = text.html(node.delta_name)
    total = text.number(node.grad)
    if len(parts) > 1 and all(p is not None for p in parts):
        # A node used several times receives one δ per use; its δ is their sum.
        terms = " + ".join(text.number(p) if p >= 0 else f"({text.number(p)})" for p in parts)
        shown = f"{terms} = {total}" if _same(sum(parts), node.grad) else f"{total} (uses send {terms})"
        return _row(f"<B>{symbol} = {text.html(shown)}</B>", None, sign_colour(node.grad))
    return _row(f"<B>{symbol} = {text.html(total)}</B>", None, sign_colour(node.grad))


def _same(a: Any, b: Any) -> bool:
    """Equal, or for floats equal up to rounding (the engine may add the same δs in another order)."""
    if is_exact(a) and is_exact(b):
        return bool(a == b)
    try:
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-300)
    except TypeError:
        return False


def _summary_label(node: NodeRecord) -> str:
    shown = ", ".join(f"{text.name(op)} ×{n}" if n > 1 else text.name(op) for op, n in node.ops[:4])
    ops = shown + (f", … ({len(node.ops)} different)" if len(node.ops) > 4 else "")
    what = "nodes" if node.of_kind is None else "leaves outside any layer"
    rows = [
        _row(f"<B>{text.html(text.name(node.name))}</B>"),
        _row(text.html(f"{node.count} {what} (collapsed)"), 10),
        _row(text.html(ops), 10, "#555555"),
    ]
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(rows)}</TABLE>>'


def _pad(label: str) -> str:
    """An HTML-like label with a margin left and right, so that beside its arrow it keeps off it."""
    cells = f'<TD WIDTH="8"></TD><TD>{label[1:-1]}</TD><TD WIDTH="8"></TD>'
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>{cells}</TR></TABLE>>'


def _edge_attrs(edge: EdgeRecord, backward: bool, unary: tuple[str, Any] | None = None) -> dict[str, str]:
    """The arrow's look and label; `unary` is (op, input value) when the op has one input."""
    if edge.count:
        words = "1 edge" if edge.count == 1 else f"{edge.count} edges"
        direction = "back" if backward else "forward"
        return {"label": f"<{words}>", "color": "#555555", "penwidth": "2", "dir": direction}
    if not edge.carries_delta:
        return {"color": "#b5b5b5", "style": "dashed", "arrowhead": "none" if backward else "normal"}
    if not backward:
        return {"color": "#555555"}
    # dir=back keeps the forward layout (inputs left, loss right) and points the arrow at the input.
    attrs = {"dir": "back", "arrowtail": "normal"}
    if edge.contribution is None:
        problem = text.html(edge.problem or "no local derivative")
        attrs.update(
            label=f'<<FONT COLOR="{ZERO}">∂ undefined: {problem}</FONT>>', color=ZERO, style="dashed"
        )
        return attrs
    colour = sign_colour(edge.contribution)
    # On two lines: long fractions would otherwise widen the gap between two columns.
    product = f"{_factor(edge.delta_out)} · {_factor(edge.local)}"
    result = f"= {text.number(edge.contribution)}"
    why = "" if unary is None else _local_line(edge, *unary)
    attrs.update(
        label=f'<<FONT COLOR="{colour}">{why}{text.html(product)}<BR/>{text.html(result)}</FONT>>',
        color=colour,
        fontcolor=colour,
        penwidth="2" if colour != ZERO else "1",
    )
    return attrs


def _local_line(edge: EdgeRecord, op: str, value: Any) -> str:
    """Where a one-input op's local derivative was taken, e.g. `relu′(0) = 1`, as a label line.

    With one input the product `δ · local` does not show why the local derivative has its value (the
    articles' ReLU passes δ because its input 0 is >= 0); the op and the input value do, for any op.
    """
    line = f"{op}′({text.number(value)}) = {text.number(edge.local)}"
    return f'<FONT POINT-SIZE="10">{text.html(line)}</FONT><BR/>'


def _factor(x: Any) -> str:
    shown = text.number(x)
    return f"({shown})" if shown.startswith("-") else shown

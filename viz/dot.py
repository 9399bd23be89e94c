"""Step 2 of a drawing: records → a `graphviz.Digraph` (DOT text), with no `dot` program needed.

Every view keeps the inputs on the left and the loss on the right, and every view lays out the
same labels (a view that hides δs writes them transparent), so nodes sit at the same place in
the forward and the backward picture. In the backward view each arrow says, in names then in
numbers, `δ2_1 = δ3 · w2_1` / `= (−1) · 1/200 = −1/200` (see `viz.chain`).

Element ids (for pages that script the SVG; made by `viz.names`, as in the frames and the step
page): node `node-<rid>`, arrow `edge-<parent>-<child>-<i>` (`<rid>` the node's id, `n0` the loss;
views other than "backward" prefix their name, e.g. `forward-node-n0`); Graphviz >= 2.44 also
writes `class="ad-node ad-<kind>"` and `class="ad-edge"`.
Tooltips: a node's name, value and δ; an arrow's full chain-rule sentence.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from autodiff import is_exact

from . import text
from .chain import number
from .layout import beside, columns, rank_groups
from .legend import legend_html
from .marks import MARKS
from .names import edge_element, layer_element, node_element, short_named
from .readability import EDGE_LABELS, NODE_WIDTH, PAGE_WIDTH, RANK_WIDTH, TYPE, text_width_pt
from .records import CONSTANT, INPUT, EdgeRecord, GraphRecords, NodeRecord
from .style import (
    BLANK,
    CAUSE_TEXT,
    FONT,
    KIND_WORD,
    LAYER,
    LIGHT,
    MUTED,
    STYLE,
    UPDATE,
    WRONG,
    ZERO,
    mark_attrs,
    sign_colour,
)
from .summary import NEURON, SUMMARY
from .views import VIEWS, View, as_view

if TYPE_CHECKING:
    import graphviz

__all__ = ["VIEWS", "digraph"]

PACKAGE_HINT = "viz needs the `graphviz` Python package to build drawings: pip install graphviz"


def load_graphviz() -> Any:
    """The `graphviz` package, imported on first use (records and chain sentences work without it)."""
    try:
        import graphviz
    except ImportError:
        raise ModuleNotFoundError(PACKAGE_HINT) from None
    return graphviz


SMALL = TYPE.small


def digraph(
    graph: GraphRecords,
    *,
    view: str | View = "backward",
    title: str | None = None,
    legend: bool = True,
    edge_width: bool = False,
) -> graphviz.Digraph:
    """Build the `graphviz.Digraph` of `graph` as `view` shows it ("backward", "forward" or a View)."""
    graphviz = load_graphviz()

    shown = as_view(view)
    rows = []
    if title is not None:
        rows.append(f'<TR><TD><FONT POINT-SIZE="{TYPE.title}"><B>{text.html(title)}</B></FONT></TD></TR>')
    rows.append(f"<TR><TD><B>{text.html(shown.heading(graph))}</B></TD></TR>")
    for note in graph.notes:
        # "what was shrunk; how to see it whole" on two lines, so the heading is no wider than the picture.
        lines = "<BR/>".join(text.html(part.strip()) for part in note.split(";"))
        rows.append(f'<TR><TD><FONT POINT-SIZE="{TYPE.small}">{lines}</FONT></TD></TR>')
    keys = [f"{node.name} = {node.key}" for node in short_named(graph.nodes)]
    if keys:
        # The key of the short names, in forward order, so a node can say `δs1` and stay narrow.
        lines = "<BR/>".join(text.html(f"short name: {line}") for line in keys)
        rows.append(f'<TR><TD><FONT POINT-SIZE="{TYPE.small}">{lines}</FONT></TD></TR>')
    if legend:
        rows.append(legend_html(graph, shown.shows_deltas))
    label = f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">{"".join(rows)}</TABLE>>'
    direction = _direction(graph)
    g = graphviz.Digraph(
        "autodiff",
        graph_attr={
            "rankdir": direction,
            "label": label,
            "labelloc": "t",
            "fontname": FONT,
            "fontsize": str(TYPE.heading),
            # Arrow labels carry their own white (`_room`), so nodes and labels can sit close.
            "nodesep": "0.1",
            # Arrows between two columns of neurons need room to fan out.
            "ranksep": _rank_gap(graph, direction),
            "newrank": "true",
            "remincross": "false" if direction == "LR" else "true",  # read across it rotates `_in_order` rows
            "bgcolor": "white",
            "pad": "0.06",
        },
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": FONT, "fontsize": str(TYPE.body)},
        edge_attr={"fontname": FONT, "fontsize": str(TYPE.arrow)},
    )
    groups = rank_groups(graph)
    painter = _Painter(graph, shown, edge_width, columns(groups))
    painter.across = g.graph_attr["rankdir"] == "LR"
    if not painter.across:
        constants = {node.id for node in graph.nodes if node.kind == CONSTANT}
        groups = _own_rows(groups, painter.flat, constants)
    painter.add_nodes(g, groups.get(None, []))
    for i, layer in enumerate(graph.layers):
        members = groups.get(layer, [])
        if len(members) == 1 and len(members[0]) == 1 and painter.node_of[members[0][0]].kind == SUMMARY:
            painter.add_nodes(g, members)  # a collapsed layer is its own box
            continue
        with g.subgraph(name=f"cluster_{i}") as box:
            box.attr(
                label=f"<<B>{text.html(text.name(layer))}</B>>",
                style="rounded,filled",
                **LAYER,
                fontsize=str(TYPE.heading),
                fontname=FONT,
                margin="4",  # points around the layer's nodes (Graphviz: 8); the column is narrow
                # The title in the box's corner: centred, it sat where arrows enter and leave.
                labeljust="l",
                id=layer_element(i, shown.id_prefix()),
            )
            painter.add_nodes(box, members, inside=True)
    for edge in graph.edges:
        painter.add_edge(g, edge)
    if not painter.across:
        _rows_above_users(g, graph, painter.flat)
    return g


def _rank_gap(graph: GraphRecords, direction: str) -> str:
    """Arrows between two columns of neurons need room to fan out; read down they have the width."""
    if any(node.kind == NEURON for node in graph.nodes):
        return "1.2" if direction == "LR" else "1.1"
    return "0.35"


def rows_read_down(
    graph: GraphRecords, groups: dict[str | None, list[list[str]]]
) -> dict[str | None, list[list[str]]]:
    """The rows of a picture read down (see `_own_rows`); then `place_above_users` places the weights."""
    constants = {node.id for node in graph.nodes if node.kind == CONSTANT}
    return _own_rows(groups, beside(graph), constants)


def place_above_users(g: graphviz.Digraph, graph: GraphRecords) -> None:
    """Each weight in the row of its user's other input (o1_1 for w2_1), as the static picture reads down."""
    _rows_above_users(g, graph, beside(graph))


def keep_order(g: graphviz.Digraph, row: list[str]) -> None:
    """Keep a row read down in the given order, left to right (see `_in_order`)."""
    _in_order(g, row, flipped=False)


def _own_rows(
    groups: dict[str | None, list[list[str]]], flat: dict[str, str], constants: set[str]
) -> dict[str | None, list[list[str]]]:
    """Read down, a weight beside its product would break the row's order: it gets a row of its own.

    A constant (y_truth, the 2 of a square) stays beside its user: one row above, it would share the
    row of the layer before and push the loss's column past the layers' right edge.
    """
    out: dict[str | None, list[list[str]]] = {}

    def own_row(node_id: str, group: list[str]) -> bool:
        return node_id in flat and flat[node_id] in group and node_id not in constants

    for layer, members in groups.items():
        rows: list[list[str]] = []
        for group in members:
            rows.extend([leaf] for leaf in group if own_row(leaf, group))
            rest = [node_id for node_id in group if not own_row(node_id, group)]
            if rest:
                rows.append(rest)
        out[layer] = rows
    return out


def _rows_above_users(g: graphviz.Digraph, graph: GraphRecords, flat: dict[str, str]) -> None:
    """Put each such weight in the row of its user's other input (o1_1 for w2_1), one row above its user."""
    inputs: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        inputs[edge.child].append(edge.parent)
    kind = {node.id: node.kind for node in graph.nodes}
    for leaf, user in flat.items():
        others = [parent for parent in inputs[user] if parent not in flat]
        if others and kind[leaf] != CONSTANT:
            with g.subgraph() as row:
                row.attr(rank="same")
                row.node(others[0])
                row.node(leaf)
                _in_order(row, [others[0], leaf], flipped=False)


def _in_order(g: graphviz.Digraph, row: list[str], flipped: bool) -> None:
    """Keep a row in the given order: x1, x2, x3 left to right (read down) or top to bottom (read across).

    Left alone, `dot` orders a rank as its crossing minimisation leaves it, which drew x3, x2, x1 and
    o1_8 … o1_1, o1_16 … o1_9. An invisible arrow between neighbours puts its tail first (on the left,
    or on top), except inside a cluster read across, where `dot` (2.43) puts it last: there the chain
    is `flipped`. The final pass over the whole graph (`remincross`) rotates a cluster's rows against
    these arrows, so it is switched off. tests/test_viz_layout.py checks the order in dot's output.
    """
    for first, second in itertools.pairwise(row):
        g.edge(second, first, style="invis") if flipped else g.edge(first, second, style="invis")


def direction(graph: GraphRecords) -> str:
    """The static picture's direction, which the frames and the step page share: one mental map."""
    return _direction(graph)


def _direction(graph: GraphRecords) -> str:
    """ "LR" (inputs left, loss right, as the articles draw it) unless top to bottom is narrower."""
    flat = beside(graph)
    depth: dict[str, int] = {}
    inputs: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        inputs[edge.child].append(edge.parent)
    for node in reversed(graph.nodes):  # inputs first
        if node.id in flat:
            continue
        below = [depth.get(p, 0) for p in inputs[node.id] if p not in flat]
        depth[node.id] = 1 + max(below, default=0)
    for leaf, user in flat.items():
        depth[leaf] = depth.get(user, 1)
    if not depth:
        return "LR"
    across = max(depth.values()) * RANK_WIDTH
    down = max(Counter(depth.values()).values()) * NODE_WIDTH
    return "TB" if across > PAGE_WIDTH and down < across else "LR"


class _Painter:
    """Labels and attributes of one drawing's nodes and arrows, as its view shows them."""

    def __init__(self, graph: GraphRecords, view: View, edge_width: bool, column: dict[str, int]):
        self.column = column
        self.across = True  # read left to right: labels of arrows inside a column go beside them
        self.graph = graph
        self.view = view
        self.node_of = {node.id: node for node in graph.nodes}
        self.sums = _incoming(graph.edges)
        self.flat = beside(graph)
        # Arrows into neurons are many and cross: their text stays in the tooltips.
        neurons = any(node.kind == NEURON for node in graph.nodes)
        self.labelled = len(graph.edges) <= EDGE_LABELS and not neurons
        self.prefix = view.id_prefix()
        sizes = [_magnitude(e.contribution) for e in graph.edges if e.carries_delta]
        self.largest = max((s for s in sizes if s is not None), default=0.0) if edge_width else None

    # --- nodes ----------------------------------------------------------------------------------

    def add_nodes(self, g: graphviz.Digraph, groups: list[list[str]], inside: bool = False) -> None:
        """Declare the nodes of one box; a column of several nodes becomes a `rank=same` subgraph."""
        for group in groups:
            if len(group) == 1:
                self._node(g, self.node_of[group[0]])
                continue
            with g.subgraph() as same:
                same.attr(rank="same")
                for node_id in group:
                    self._node(same, self.node_of[node_id])
                _in_order(same, group, self.across and inside)

    def _node(self, g: graphviz.Digraph, node: NodeRecord) -> None:
        attrs = {**_style(node), **mark_attrs(node.marks)}
        attrs["id"] = node_element(node.id, self.prefix)
        # Marks are classes too, so a page's script or a test can find the checked nodes.
        marked = "".join(f" ad-{mark}" for mark in MARKS if mark in node.marks)
        attrs["class"] = f"ad-node ad-{node.of_kind or node.kind}{marked}"
        attrs["tooltip"] = text.attr(self._tooltip(node))
        g.node(node.id, self._label(node), **self.view.node_attrs(node, attrs))

    def _tooltip(self, node: NodeRecord) -> str:
        if node.kind == SUMMARY:
            return f"{text.name(node.name)}: {node.count} nodes"
        parts = [f"{text.name(node.name) or 'node'} = {number(node.data)}"]
        if node.kind != CONSTANT and self.view.shows_deltas:
            parts.append(f"{node.delta_name} = {BLANK if _blank(node) else number(node.grad)}")
        if node.update and self.view.shows_deltas and not _blank(node):
            parts.append(node.update)
        return "; ".join(parts)

    def _label(self, node: NodeRecord) -> str:
        if node.kind == SUMMARY:
            return self._summary_label(node)
        name = text.html(text.name(node.name))
        value = text.html(number(node.data))
        if node.kind == CONSTANT:
            shown = f"{name} = {value}" if name else value
            return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">{_row(shown)}</TABLE>>'
        header = f"<I>{text.html(node.op)}</I>" if node.op else KIND_WORD[node.kind]
        rows = [_row(header, SMALL, MUTED), _row(f"<B>{name}</B> = {value}" if name else f"= {value}")]
        rows.append(self._delta_row(node))
        if "cause" in node.marks:
            rows.append(_row(f"<B>{text.html(CAUSE_TEXT)}</B>", SMALL, WRONG))
        for k, line in enumerate(_update_lines(node.update)):
            # A blank δ keeps the update's rule; its numbers would give the δ away.
            shown = f"= {BLANK}" if k and _blank(node) else line
            rows.append(_row(text.html(shown), TYPE.small, self.view.text_colour(UPDATE)))
        for line in node.detail:
            rows.append(_row(text.html(line), SMALL, self.view.text_colour(MUTED)))
        return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(rows)}</TABLE>>'

    def _delta_row(self, node: NodeRecord) -> str:
        symbol = text.html(node.delta_name)
        total = number(node.grad)
        if _blank(node):
            return _blank_row(f"{node.delta_name} = {BLANK}", self._delta_text(node), self.view)
        parts = self.sums.get(node.id, [])
        colour = self.view.text_colour(sign_colour(node.grad))
        if node.kind != NEURON and len(parts) > 1 and all(p is not None for p in parts):
            # A node used several times receives one δ per use; its δ is their sum.
            terms = " + ".join(text.factor(p) for p in parts)
            if len(parts) > 4:
                terms = f"Σ of {len(parts)} uses"
            shown = f"{terms} = {total}" if _same(sum(parts), node.grad) else f"{total} (uses send {terms})"
            return _row(f"<B>{symbol} = {text.html(shown)}</B>", None, colour)
        return _row(f"<B>{symbol} = {text.html(total)}</B>", None, colour)

    def _delta_text(self, node: NodeRecord) -> str:
        """The δ row's text as the answer shows it (its width is kept when the δ is blank)."""
        total = number(node.grad)
        parts = self.sums.get(node.id, [])
        if node.kind != NEURON and len(parts) > 1 and all(p is not None for p in parts):
            terms = (
                " + ".join(text.factor(p) for p in parts) if len(parts) <= 4 else f"Σ of {len(parts)} uses"
            )
            return f"{node.delta_name} = {terms} = {total}"
        return f"{node.delta_name} = {total}"

    def _summary_label(self, node: NodeRecord) -> str:
        shown = ", ".join(f"{text.name(op)} ×{n}" if n > 1 else text.name(op) for op, n in node.ops[:4])
        ops = shown + (f", … ({len(node.ops)} different)" if len(node.ops) > 4 else "")
        what = "nodes" if node.of_kind is None else "leaves outside any layer"
        rows = [
            _row(f"<B>{text.html(text.name(node.name))}</B>"),
            _row(text.html(f"{node.count} {what} (collapsed)"), SMALL),
            _row(text.html(ops), SMALL, MUTED),
        ]
        for line in node.detail:
            rows.append(_row(text.html(line), SMALL, self.view.text_colour(MUTED)))
        return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(rows)}</TABLE>>'

    # --- arrows ---------------------------------------------------------------------------------

    def add_edge(self, g: graphviz.Digraph, edge: EdgeRecord) -> None:
        """One arrow, with its label, tooltip, id and the view's direction and colour."""
        attrs = self._edge(edge)
        attrs["id"] = edge_element(edge.parent, edge.child, edge.index, self.prefix)
        attrs["class"] = "ad-edge"
        parent = self.node_of.get(edge.parent)
        if not self.across and parent is not None and parent.kind == INPUT and parent.layer is None:
            # Read down, an input's arrow straight into its layer: bent, it ran through the layer's title.
            attrs["weight"] = "8"
        for key in ("tooltip", "labeltooltip"):
            if key in attrs:
                attrs[key] = text.attr(attrs[key])
        g.edge(edge.parent, edge.child, **self.view.edge_attrs(edge, attrs))

    def _edge(self, edge: EdgeRecord) -> dict[str, str]:
        view = self.view
        if edge.count:
            words = "1 arrow" if edge.count == 1 else f"{edge.count} arrows"
            return {
                # White on both sides: two counted arrows leaving one box are close at their labels.
                "label": _pad(f"<{words}>"),
                **view.arrow(edge, MUTED),
                "penwidth": "2",
                "fontcolor": MUTED,
            }
        if not edge.carries_delta:
            attrs = view.arrow(edge, LIGHT)
            attrs.update(color=LIGHT, style="dashed", tooltip="a constant: the engine sends it no δ")
            if attrs.get("dir") == "back":
                attrs.update(arrowtail="none")
            return attrs
        chain = edge.chain
        if edge.contribution is None:
            problem = text.html(edge.problem or "no local derivative")
            attrs = view.arrow(edge, ZERO)
            attrs.update(
                label=f'<<FONT COLOR="{view.text_colour(ZERO)}">∂ undefined: {problem}</FONT>>',
                style="dashed",
                tooltip=chain.sentence() if chain else "∂ undefined",
            )
            return attrs
        hidden = self._hides_numbers(edge)
        colour = ZERO if hidden else sign_colour(edge.contribution)
        attrs = view.arrow(edge, colour)
        attrs["penwidth"] = "1" if hidden else self._width(edge, colour)
        if chain is not None:
            said = chain.sentence_head() if hidden else chain.sentence()
            attrs["tooltip"] = said if view.shows_deltas else f"input {edge.index + 1}"
            attrs["labeltooltip"] = attrs["tooltip"]
        if not self.labelled:
            return attrs
        if hidden:
            # The rule in names only: its numbers (and its colour, the sign) would give a blank δ away.
            lines = [chain.sentence_head()] if chain is not None else [f"= {BLANK}"]
        else:
            lines = chain.lines() if chain is not None else [f"= {number(edge.contribution)}"]
        body = "<BR/>".join(text.html(line) for line in lines)
        label = f'<<FONT COLOR="{view.text_colour(colour)}">{body}</FONT>>'
        if self.across and self.column.get(edge.parent, -1) == self.column.get(edge.child, -2):
            # An arrow inside a column runs through a centred label; an xlabel sits beside it.
            attrs["xlabel"] = _pad(label)
        else:
            attrs["label"] = _room(label, lines)
        return attrs

    def _hides_numbers(self, edge: EdgeRecord) -> bool:
        """An arrow into a blank δ's node (its product is that δ), or from one (it carries that δ)."""
        ends = (self.node_of.get(edge.parent), self.node_of.get(edge.child))
        return any(node is not None and "blank" in node.marks for node in ends)

    def _width(self, edge: EdgeRecord, colour: str) -> str:
        if self.largest is None:
            if not self.labelled:
                return "0.8"  # many arrows: thin, so that the boxes stay readable between them
            return "1.6" if colour != ZERO else "1"
        size = _magnitude(edge.contribution)
        if not self.largest or size is None:
            return "1"
        return f"{1 + 4 * size / self.largest:.2f}"


def _style(node: NodeRecord) -> dict[str, str]:
    if node.of_kind is not None:  # a box of leaves keeps their colours, dashed like every summary
        return {**STYLE[node.of_kind], "style": STYLE[SUMMARY]["style"], "fontsize": str(TYPE.body)}
    return STYLE[node.kind]


def _incoming(edges: tuple[EdgeRecord, ...]) -> dict[str, list[Any]]:
    """For each node, the δs its users send back to it, in edge order (None when unknown)."""
    sums: dict[str, list[Any]] = defaultdict(list)
    for edge in edges:
        if edge.carries_delta and not edge.count:
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


def _blank(node: NodeRecord) -> bool:
    """The δ is not shown: left for the reader ("blank") or not known yet ("pending")."""
    return "blank" in node.marks or "pending" in node.marks


def _blank_row(shown: str, answer: str, view: View) -> str:
    """`δ3 = ?` in a cell as wide as the answer would be, so the picture keeps its layout."""
    width = round(text_width_pt(answer, TYPE.body, bold=True))
    content = f'<FONT COLOR="{view.text_colour(ZERO)}"><B>{text.html(shown)}</B></FONT>'
    return f'<TR><TD WIDTH="{width}">{content}</TD></TR>'


def _update_lines(update: str | None) -> list[str]:
    """Each part of an update (`v′ = ...; ŵ = ...` for momentum, five for Adam) as `_update_part` lines."""
    if not update:
        return []
    return [line for part in update.split("; ") for line in _update_part(part)]


def _update_part(update: str) -> list[str]:
    """`ŵ = w − α·δw = a − b = c` in a narrow column: each difference on two lines, then the result.

    A weight's box is as wide as its widest line, and the weights stand in one row with the layer
    before them: `ŵ2_2 = w2_2` over `− α·δw2_2`, `= −3/11600` over `− 10⁻⁷·(−2000)`, `= −17/290000`.
    """
    parts = update.split(" = ")
    if len(parts) < 3:
        return [update]
    lines = []
    for k, part in enumerate(parts[1:]):
        first = f"{parts[0]} = " if k == 0 else "= "
        cut = _outer_minus(part)
        if cut is None:
            lines.append(f"{first}{part}")
        else:
            lines.extend([f"{first}{part[:cut]}", part[cut + 1 :]])
    return lines


def _outer_minus(part: str) -> int | None:
    """Where ` − ` first joins two terms outside any bracket (`(1 − β1)` is one term), or None."""
    depth = 0
    for k, ch in enumerate(part):
        depth += 1 if ch == "(" else -1 if ch == ")" else 0
        if depth == 0 and part.startswith(f" {text.MINUS} ", k):
            return k
    return None


def _magnitude(x: Any) -> float | None:
    """|x| as a float for arrow widths (None when it has no size, or no float holds it)."""
    size = text.magnitude(x)
    try:
        return None if size is None else float(size)
    except (OverflowError, TypeError, ValueError):
        return None


def _same(a: Any, b: Any) -> bool:
    """Equal, or for floats equal up to rounding (the engine may add the same δs in another order)."""
    if is_exact(a) and is_exact(b):
        return bool(a == b)
    try:
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-300)
    except TypeError:
        return False


ROOM_PER_CHAR = 0.6
"""Points of white after each character of an arrow's longest line. `dot` measures text in Helvetica;
DejaVu Sans (Graphviz's PNGs, many Linux browsers) is ~15% wider, and neighbouring labels need a gap."""


def _room(label: str, lines: list[str]) -> str:
    """An HTML-like label with white on its right, so that in a wider font it keeps off its neighbour."""
    width = round(ROOM_PER_CHAR * max(len(line) for line in lines))
    cells = f'<TD WIDTH="4"></TD><TD>{label[1:-1]}</TD><TD WIDTH="{width}"></TD>'  # and off its own arrow
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>{cells}</TR></TABLE>>'


def _pad(label: str) -> str:
    """An HTML-like label with a margin left and right, so that beside its arrow it keeps off it."""
    cells = f'<TD WIDTH="6"></TD><TD>{label[1:-1]}</TD><TD WIDTH="6"></TD>'
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>{cells}</TR></TABLE>>'

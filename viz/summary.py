"""Big graphs: collapse each layer into one summary box, or refuse with a clear message.

Graphviz's `dot` takes minutes on tens of thousands of labelled nodes, so a drawing larger than
`max_nodes` is first shrunk (every layer becomes one box counting its nodes and ops) and refused if
it is still too large.
"""

from __future__ import annotations

import re
from collections import Counter

from .records import CONSTANT, INPUT, WEIGHT, EdgeRecord, GraphRecords, NodeRecord

SUMMARY = "summary"
DEFAULT_MAX_NODES = 500


class GraphTooLargeError(ValueError):
    """The graph has more nodes than `max_nodes`, even with its layers collapsed."""


def limit(graph: GraphRecords, max_nodes: int | None) -> GraphRecords:
    """`graph` itself when small enough, else its layers collapsed; raise if that is still too big."""
    valid = max_nodes is None or (type(max_nodes) is int and max_nodes >= 1)  # not bool, not float
    if not valid:
        raise ValueError(f"max_nodes must be a positive int or None, got {max_nodes!r}")
    if max_nodes is None or len(graph.nodes) <= max_nodes:
        return graph
    small = collapse(graph)
    if len(small.nodes) <= max_nodes:
        return small
    unlayered = sum(1 for n in small.nodes if n.kind != SUMMARY)  # operations made outside any layer
    raise GraphTooLargeError(
        f"the graph has {len(graph.nodes)} nodes, more than max_nodes={max_nodes}, and collapsing its "
        f"layers still leaves {len(small.nodes)} ({unlayered} outside any layer). Group the nodes into "
        f"layers (`with autodiff.layer('L1'): ...`), draw a smaller part of the graph, or pass a larger "
        f"max_nodes (max_nodes=None draws everything, but `dot` may then take minutes)"
    )


LEAF_GROUPS = {INPUT: "inputs", WEIGHT: "weights", CONSTANT: "constants"}
"""The boxes that gather the leaves outside any layer (a batch's data points, shared parameters)."""


def _natural(text: str) -> tuple[tuple[int, str, int], ...]:
    """Sort key that puts x2 before x10 and b1_2 before b1_10."""
    return tuple((0, "", int(part)) if part.isdigit() else (1, part, 0) for part in re.split(r"(\d+)", text))


def _counted(items: list[str]) -> tuple[tuple[str, int], ...]:
    """Each distinct item with its number, most frequent first, ties in natural order (x2 before x10)."""
    return tuple(sorted(Counter(items).items(), key=lambda item: (-item[1], _natural(item[0]))))


def collapse(graph: GraphRecords) -> GraphRecords:
    """Replace each layer's nodes, and the leaves outside layers of each kind, by one summary node.

    Edges between boxes are merged and counted. A kind with a single leaf outside layers keeps it.
    """
    box_ids = {label: f"layer{i}" for i, label in enumerate(graph.layers)}
    members: dict[str, list[NodeRecord]] = {label: [] for label in graph.layers}
    loose: dict[str, list[NodeRecord]] = {kind: [] for kind in LEAF_GROUPS}
    for node in graph.nodes:
        if node.layer is not None:
            members[node.layer].append(node)
        elif node.kind in loose:
            loose[node.kind].append(node)
    nodes: list[NodeRecord] = []
    where: dict[str, str] = {}
    for node in graph.nodes:
        if node.layer is not None:
            where[node.id] = box_ids[node.layer]
        elif node.kind in loose and len(loose[node.kind]) > 1:
            where[node.id] = f"leaves_{node.kind}"
        else:
            nodes.append(node)
            where[node.id] = node.id
    for kind, leaves in loose.items():
        if len(leaves) > 1:
            names = _counted([n.name or "(no name)" for n in leaves])
            nodes.append(
                NodeRecord(
                    f"leaves_{kind}", SUMMARY, LEAF_GROUPS[kind], None, None, None, None,
                    count=len(leaves), ops=names, of_kind=kind,
                )
            )  # fmt: skip
    for label in graph.layers:
        shown = _counted([n.op or n.kind for n in members[label]])
        nodes.append(
            NodeRecord(
                box_ids[label], SUMMARY, label, None, label, None, None, count=len(members[label]), ops=shown
            )
        )
    merged: Counter[tuple[str, str]] = Counter()
    for edge in graph.edges:
        a, b = where[edge.parent], where[edge.child]
        if a != b:
            merged[a, b] += 1
    edges = tuple(EdgeRecord(a, b, 0, False, count=n) for (a, b), n in merged.items())
    return GraphRecords(tuple(nodes), edges, graph.layers)

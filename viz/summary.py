"""Big graphs: collapse each layer into one summary box, or refuse with a clear message.

Graphviz's `dot` takes minutes on tens of thousands of labelled nodes, so a drawing larger than
`max_nodes` is first shrunk (every layer becomes one box counting its nodes and ops) and refused if
it is still too large.
"""

from __future__ import annotations

from collections import Counter

from .records import EdgeRecord, GraphRecords, NodeRecord

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
    unlayered = sum(1 for n in small.nodes if n.kind != SUMMARY)
    raise GraphTooLargeError(
        f"the graph has {len(graph.nodes)} nodes, more than max_nodes={max_nodes}, and collapsing its "
        f"layers still leaves {len(small.nodes)} ({unlayered} outside any layer). Group the nodes into "
        f"layers (`with autodiff.layer('L1'): ...`), draw a smaller part of the graph, or pass a larger "
        f"max_nodes (max_nodes=None draws everything, but `dot` may then take minutes)"
    )


def collapse(graph: GraphRecords) -> GraphRecords:
    """Replace the nodes of each layer by one summary node; edges between boxes are merged and counted."""
    box_ids = {label: f"layer{i}" for i, label in enumerate(graph.layers)}
    members: dict[str, list[NodeRecord]] = {label: [] for label in graph.layers}
    nodes: list[NodeRecord] = []
    where: dict[str, str] = {}
    for node in graph.nodes:
        if node.layer is None:
            nodes.append(node)
            where[node.id] = node.id
        else:
            members[node.layer].append(node)
            where[node.id] = box_ids[node.layer]
    for label in graph.layers:
        ops = Counter(n.op or n.kind for n in members[label])
        shown = tuple(sorted(ops.items(), key=lambda item: (-item[1], item[0])))
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

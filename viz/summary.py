"""Collapsed layers: each layer (and the leaves outside layers, by kind) becomes one summary box."""

from __future__ import annotations

import re
from collections import Counter

from .records import CONSTANT, INPUT, WEIGHT, EdgeRecord, GraphRecords, NodeRecord

SUMMARY = "summary"
NEURON = "neuron"
"""Kinds of the boxes a shrunk drawing adds: a collapsed group of nodes, one neuron."""


LEAF_GROUPS = {INPUT: "inputs", WEIGHT: "weights", CONSTANT: "constants"}
"""The boxes that gather the leaves outside any layer (a batch's data points, shared parameters)."""


def _natural(text: str) -> tuple[tuple[int, str, int], ...]:
    """Sort key that puts x2 before x10 and b1_2 before b1_10."""
    return tuple((0, "", int(part)) if part.isdigit() else (1, part, 0) for part in re.split(r"(\d+)", text))


def _counted(items: list[str]) -> tuple[tuple[str, int], ...]:
    """Each distinct item with its number, most frequent first, ties in natural order (x2 before x10)."""
    return tuple(sorted(Counter(items).items(), key=lambda item: (-item[1], _natural(item[0]))))


def _kind_of(node: NodeRecord) -> str:
    if node.kind == NEURON and node.op:
        return f"neuron {node.op.split(',')[0]}"  # "dead" is in the box's statistics
    return node.op or node.kind


def collapse(
    graph: GraphRecords, stats: dict[str, tuple[str, ...]] | None = None, only: tuple[str, ...] | None = None
) -> GraphRecords:
    """Replace each layer's nodes, and the leaves outside layers of each kind, by one summary node.

    Edges between boxes are merged and counted. A kind with a single leaf outside layers keeps it.
    With `only`, just those layers are collapsed and every other node is kept.
    """
    chosen = graph.layers if only is None else tuple(label for label in graph.layers if label in only)
    box_ids = {label: f"layer{i}" for i, label in enumerate(graph.layers) if label in chosen}
    members: dict[str, list[NodeRecord]] = {label: [] for label in chosen}
    loose: dict[str, list[NodeRecord]] = {kind: [] for kind in LEAF_GROUPS}
    for node in graph.nodes:
        if node.layer in members:
            members[node.layer].append(node)
        elif node.layer is None and node.kind in loose and only is None:
            loose[node.kind].append(node)
    boxes = {
        label: NodeRecord(
            box_ids[label],
            SUMMARY,
            label,
            None,
            label,
            None,
            None,
            # A neuron stands for its Σ, products, weights and activation: count them; name it by its formula.
            count=sum(n.count or 1 if n.kind == NEURON else 1 for n in members[label]),
            ops=_counted([_kind_of(n) for n in members[label]]),
            detail=(stats or {}).get(label, ()),
        )
        for label in chosen
    }
    nodes: list[NodeRecord] = []
    where: dict[str, str] = {}
    for node in graph.nodes:
        if node.layer in box_ids:
            where[node.id] = box_ids[node.layer]
            if only is not None and boxes[node.layer] not in nodes:
                nodes.append(boxes[node.layer])  # in its layer's place: the order stays loss first
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
    if only is None:
        nodes.extend(boxes.values())
    merged: Counter[tuple[str, str]] = Counter()
    kept: list[EdgeRecord] = []
    for edge in graph.edges:
        a, b = where[edge.parent], where[edge.child]
        if a == edge.parent and b == edge.child and only is not None:
            kept.append(edge)  # between two kept nodes: drawn as it was
        elif a != b:
            merged[a, b] += 1
    edges = tuple(kept) + tuple(EdgeRecord(a, b, 0, False, count=n) for (a, b), n in merged.items())
    return GraphRecords(tuple(nodes), edges, graph.layers, graph.notes)

"""The readability budget: a drawing of more than `budget` nodes is shrunk until it reads.

1. Each neuron (its products w·x, weights, bias, Σ and activation) becomes one box,
   `Σ w·x + b → relu`, with the activation's value and δ. Two layers of neurons joined by more than
   `BUNDLE` arrows (16 × 16 = 256 in the moons model) are a tangle even so: those layers become
   boxes with δ statistics, joined by one arrow that says how many it stands for.
2. If that is still over budget, each layer becomes one box with δ statistics (the smallest and
   largest |δ|, the share of zero δs, dead ReLUs).
3. A drawing `dot` cannot lay out in a few seconds (more than `DRAWN_LIMIT` nodes or `EDGE_LIMIT`
   arrows even after that) is refused with a message that says what to do instead.

Each step adds a line to the heading saying what was shrunk and how to see it whole.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from .readability import BUNDLE, DEFAULT_BUDGET
from .records import CONSTANT, WEIGHT, EdgeRecord, GraphRecords, GraphTooLargeError, NodeRecord
from .summary import NEURON, SUMMARY, collapse
from .text import magnitude, negative

DRAWN_LIMIT = 200
EDGE_LIMIT = 1500
"""Beyond these, `dot` takes more than a few seconds: such a drawing is refused, not attempted."""

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "softplus", "exp", "identity")


__all__ = [
    "BUNDLE",
    "DEFAULT_BUDGET",
    "SHRINKS",
    "by_neuron",
    "check_budget",
    "dense_layers",
    "fit",
    "layer_stats",
]


def check_budget(budget: object) -> None:
    """`budget` must be a positive int (not a bool or a float) or None."""
    if not (budget is None or (type(budget) is int and budget >= 1)):
        raise ValueError(f"budget must be a positive int (drawn nodes) or None, got {budget!r}")


def fit(graph: GraphRecords, budget: int | None) -> GraphRecords:
    """`graph` itself when it has at most `budget` nodes, else shrunk (see the module docstring)."""
    check_budget(budget)
    if budget is None or len(graph.nodes) <= budget:
        return graph
    total = len(graph.nodes)
    stats = layer_stats(graph)
    neurons = by_neuron(graph)
    how = "pass budget=None to draw every node, or focus=<a weight> to draw only its paths"
    if neurons is not None and len(neurons.nodes) <= budget:
        note = (
            f"{total} nodes, more than the budget of {budget}: one box per neuron (Σ w·x + b → activation, "
            f"its weights inside); {how}"
        )
        dense = dense_layers(neurons, BUNDLE)
        if not dense:
            return _noted(neurons, note)
        pairs = ", ".join(f"{n} arrows from {a} to {b}" for a, b, n in dense)
        names = sorted({label for a, b, _ in dense for label in (a, b)}, key=neurons.layers.index)
        note = (
            f"{total} nodes, more than the budget of {budget}: one box per neuron; {' and '.join(names)} "
            f"drawn as boxes with δ statistics ({pairs}); {how}"
        )
        return _noted(collapse(neurons, stats, only=tuple(names)), note)
    small = collapse(neurons if neurons is not None else graph, stats)
    if len(small.nodes) > DRAWN_LIMIT or len(small.edges) > EDGE_LIMIT:
        raise GraphTooLargeError(
            f"the graph has {total} nodes; even with its layers collapsed the drawing has {len(small.nodes)} "
            f"boxes and {len(small.edges)} arrows, more than `dot` lays out in a few seconds. Group the "
            f"nodes into layers (`with autodiff.layer('L1'): ...`), draw one sample, or pass focus=<a weight>"
        )
    inside = "neurons and layers" if neurons is not None else "layers"
    note = f"{total} nodes, more than the budget of {budget}: {inside} collapsed into boxes; {how}"
    return _noted(small, note)


def dense_layers(graph: GraphRecords, limit: int = BUNDLE) -> list[tuple[str, str, int]]:
    """The pairs of layers with more than `limit` arrows between their neurons: (from, to, arrows)."""
    layer_of = {node.id: node.layer for node in graph.nodes if node.kind == NEURON}
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for edge in graph.edges:
        a, b = layer_of.get(edge.parent), layer_of.get(edge.child)
        if a is not None and b is not None and a != b:
            counts[a, b] += 1
    return [(a, b, n) for (a, b), n in counts.items() if n > limit]


def _noted(graph: GraphRecords, note: str) -> GraphRecords:
    return replace(graph, notes=(*graph.notes, note))


def layer_stats(graph: GraphRecords) -> dict[str, tuple[str, ...]]:
    """For each layer: the range of |δ|, how many δs are 0, and how many ReLUs are dead."""
    from .chain import number

    grads: dict[str, list[Any]] = defaultdict(list)
    relus: dict[str, list[str]] = defaultdict(list)
    for node in graph.nodes:
        if node.layer is None or node.kind == CONSTANT:
            continue
        size = magnitude(node.grad)
        if size is not None:
            grads[node.layer].append(size)
        if node.op == "relu":
            relus[node.layer].append(node.id)
    dead: set[str] = set()
    for edge in graph.edges:
        if edge.carries_delta and edge.local is not None and edge.local == 0 and edge.child in _ids(relus):
            dead.add(edge.child)
    out: dict[str, tuple[str, ...]] = {}
    for label in graph.layers:
        lines = []
        sizes = grads.get(label, [])
        if sizes:
            zeros = sum(1 for s in sizes if s == 0)
            lines.append(f"|δ| from {number(min(sizes))} to {number(max(sizes))}")
            lines.append(f"δ = 0 in {zeros} of {len(sizes)} ({round(100 * zeros / len(sizes))}%)")
        ids = relus.get(label, [])
        if ids:
            lines.append(f"dead ReLUs (input < 0): {sum(1 for i in ids if i in dead)} of {len(ids)}")
        out[label] = tuple(lines)
    return out


def _ids(groups: dict[str, list[str]]) -> set[str]:
    return {i for ids in groups.values() for i in ids}


def by_neuron(graph: GraphRecords) -> GraphRecords | None:
    """One box per neuron (a Σ of weighted inputs, then perhaps an activation); None if there is none."""
    node_of = {n.id: n for n in graph.nodes}
    inputs: dict[str, list[EdgeRecord]] = defaultdict(list)
    users: dict[str, list[EdgeRecord]] = defaultdict(list)
    for edge in graph.edges:
        inputs[edge.child].append(edge)
        users[edge.parent].append(edge)

    def only_user(node_id: str) -> str | None:
        found = users.get(node_id, [])
        return found[0].child if len(found) == 1 else None

    owner: dict[str, str] = {}  # member id -> neuron id (the id of its output)
    neurons: dict[str, NodeRecord] = {}
    for total in graph.nodes:
        if total.op != "sum" or total.id in owner:
            continue
        members = [total.id]
        weighted = 0
        bias = ""
        for edge in inputs[total.id]:
            term = node_of[edge.parent]
            if only_user(term.id) != total.id:
                continue
            if term.op == "mul":
                factors = [node_of[e.parent] for e in inputs[term.id]]
                weights = [f for f in factors if f.kind == WEIGHT and only_user(f.id) == term.id]
                if len(weights) == 1:
                    members += [term.id, weights[0].id]
                    weighted += 1
            elif term.kind == WEIGHT:
                members.append(term.id)
                bias = " + b"
        if not weighted:
            continue
        output = total
        user = only_user(total.id)
        if user is not None:
            after = node_of[user]
            if after.op in ACTIVATIONS and after.layer == total.layer and len(inputs[after.id]) == 1:
                output = after
                members.append(after.id)
        act = f" → {output.op}" if output is not total else ""
        dead = output.op == "relu" and total.data is not None and negative(total.data)
        neurons[output.id] = replace(
            output,
            kind=NEURON,
            # One small header line: the neuron's formula, and whether its ReLU is dead (passes no δ).
            op=f"Σ w·x{bias}{act}" + (", dead (Σ < 0)" if dead else ""),
            count=len(members),
            detail=(),
            update=None,
        )
        for m in members:
            owner[m] = output.id
    if not neurons:
        return None
    nodes = tuple(neurons.get(n.id, n) for n in graph.nodes if n.id not in owner or n.id in neurons)
    edges = []
    for edge in graph.edges:
        parent, child = owner.get(edge.parent, edge.parent), owner.get(edge.child, edge.child)
        if parent == child:
            continue
        edges.append(replace(edge, parent=parent, child=child))
    return GraphRecords(nodes, tuple(edges), graph.layers, graph.notes)


def _dense_as_boxes(graph: GraphRecords) -> GraphRecords | None:
    """Layers of neurons joined by more than BUNDLE arrows drawn as boxes (None: there are none)."""
    dense = dense_layers(graph, BUNDLE)
    if not dense:
        return None
    names = tuple(sorted({label for a, b, _ in dense for label in (a, b)}, key=graph.layers.index))
    return collapse(graph, layer_stats(graph), only=names)


def _layers_as_boxes(graph: GraphRecords) -> GraphRecords | None:
    """Every layer as one box with δ statistics (None: no layer is left to collapse)."""
    if not any(node.layer is not None and node.kind != SUMMARY for node in graph.nodes):
        return None
    return collapse(graph, layer_stats(graph))


SHRINKS = (
    ("one box per neuron", by_neuron),
    ("dense layers of neurons as boxes", _dense_as_boxes),
    ("every layer as one box", _layers_as_boxes),
)
"""The `Scene -> Scene` shrinks `viz.readability.fit` tries in order (None: it does not apply)."""

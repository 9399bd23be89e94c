"""Step 1 of a drawing: walk a graph of Values into plain node and edge records.

The walk only reads: it never changes a node and never calls backward. Node ids come from the
order of a deterministic walk (the loss is `n0`), never from `id()`, so the same expression gives
the same records, and byte-identical DOT, on every run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from autodiff import Value, topological_order

WEIGHT, INPUT, CONSTANT, OPERATION = "weight", "input", "constant", "operation"
"""The kinds of node: leaves are weights, inputs or constants; the rest are operations."""

WEIGHT_NAME = re.compile(r"w|b(ias)?(\d|_|$)")
"""Default rule for a leaf's kind, by the names `autodiff.learn.nn` gives: weights `w2_1`, biases `b2_1`
(also `b`, `bias`, `weight`); `Sequential.trace` names inputs x1, x2, ..., which stay inputs."""


def is_weight_name(name: str | None) -> bool:
    """Whether a leaf named `name` is drawn as a weight when `params` is not given."""
    return name is not None and WEIGHT_NAME.match(name) is not None


@dataclass(frozen=True)
class NodeRecord:
    """One Value as drawn: its id, kind, name, op, layer box, forward value and δ (`.grad`)."""

    id: str
    kind: str
    name: str | None
    op: str | None
    layer: str | None
    data: Any
    grad: Any
    delta_name: str = "δ"
    count: int = 1  # a summary box of a collapsed layer stands for `count` nodes
    ops: tuple[tuple[str, int], ...] = ()  # and holds these ops (or leaf names), with their numbers
    of_kind: str | None = None  # a summary box of the leaves outside any layer: their kind


@dataclass(frozen=True)
class EdgeRecord:
    """Input `index` of `child` is `parent`; in the backward view it carries δ = δ_child · local."""

    parent: str
    child: str
    index: int
    carries_delta: bool
    local: Any = None
    delta_out: Any = None
    contribution: Any = None
    problem: str | None = None
    count: int = 0  # between collapsed layers: how many edges this one stands for (0: not collapsed)


@dataclass(frozen=True)
class GraphRecords:
    """The whole graph: nodes (root first, each before its inputs), edges, and layer boxes in order."""

    nodes: tuple[NodeRecord, ...]
    edges: tuple[EdgeRecord, ...]
    layers: tuple[str, ...]


def _number(x: Any) -> Any:
    # With backward(create_graph=True) a δ is itself a Value; the picture shows its number.
    return x.data if isinstance(x, Value) else x


def records(
    root: Value,
    *,
    params: Iterable[Value] | None = None,
    delta_names: Mapping[Value, str] | None = None,
    names: Mapping[Value, str] | None = None,
) -> GraphRecords:
    """Walk the graph that produced `root` into records, without changing any node.

    Leaves are sorted into kinds: `requires_grad=False` is a constant; otherwise a leaf is a weight
    when it is in `params`, or, when `params` is not given, when its name starts with "w" or is a
    bias name ("b", "bias", or "b" then a digit or "_", as `autodiff.learn.nn` names biases: `b2_1`);
    every other leaf is an input. `delta_names` renames a node's δ in the picture (e.g. {o3: "δ4"}),
    `names` gives a name to show for a node (e.g. {y: "y_truth"}) without renaming the Value.
    """
    if not isinstance(root, Value):
        raise TypeError(f"viz draws a Value, got {type(root).__name__}")
    param_ids = None if params is None else {id(v) for v in _check_values(params, "params")}
    deltas = _by_node(delta_names, "delta_names", "{o3: 'δ4'}")
    shown = _by_node(names, "names", "{y: 'y_truth'}")
    order = topological_order(root, only_requiring_grad=False)
    ids = {id(node): f"n{i}" for i, node in enumerate(order)}
    users: dict[int, set[str | None]] = {}
    edges: list[EdgeRecord] = []
    for node in order:
        parents = node.parents
        if not parents:
            continue
        for parent in parents:
            users.setdefault(id(parent), set()).add(node.layer)
        delta_out = _number(node.grad)
        for i, parent in enumerate(parents):
            if not parent.requires_grad:
                # The engine sends no δ to a constant; the edge is drawn without one.
                edges.append(EdgeRecord(ids[id(parent)], ids[id(node)], i, False))
                continue
            local, problem = _local_derivative(node, i)
            contribution = None if local is None else delta_out * local
            edges.append(
                EdgeRecord(ids[id(parent)], ids[id(node)], i, True, local, delta_out, contribution, problem)
            )
    nodes = tuple(_node_of(node, ids[id(node)], param_ids, users, deltas, shown) for node in order)
    return GraphRecords(nodes, tuple(edges), _layer_order(nodes))


def _by_node(mapping: Mapping[Value, str] | None, what: str, example: str) -> dict[int, str]:
    """`mapping` keyed by node identity (Values are nodes: two equal numbers are two nodes)."""
    out: dict[int, str] = {}
    for key, text in (mapping or {}).items():
        if not isinstance(key, Value) or not isinstance(text, str):
            raise TypeError(f"{what} maps Values to str, e.g. {example}")
        out[id(key)] = text
    return out


def _check_values(values: Iterable[Value], what: str) -> list[Value]:
    if isinstance(values, Value):
        raise TypeError(f"{what} must be a list of Values, not one Value; write {what}=[w]")
    out = list(values)
    for v in out:
        if not isinstance(v, Value):
            raise TypeError(f"{what} must hold Values, got {type(v).__name__}")
    return out


def _local_derivative(node: Value, index: int) -> tuple[Any, str | None]:
    """∂node/∂input number `index`, from the primitive table, on plain numbers (as backward does)."""
    prim = node.primitive
    assert prim is not None
    try:
        return _number(prim.local_derivative(index, [p.data for p in node.parents], node.data)), None
    except Exception as error:  # a derivative with no value here (sqrt at 0, ...) must not stop the drawing
        return None, f"{type(error).__name__}: {error}"


def _node_of(
    node: Value,
    node_id: str,
    param_ids: set[int] | None,
    users: dict[int, set[str | None]],
    deltas: dict[int, str],
    shown: dict[int, str],
) -> NodeRecord:
    if not node.is_leaf:
        kind = OPERATION
    elif not node.requires_grad:
        kind = CONSTANT
    elif param_ids is not None:
        kind = WEIGHT if id(node) in param_ids else INPUT
    else:
        kind = WEIGHT if is_weight_name(node.name) else INPUT
    layer = node.layer
    if layer is None and kind == WEIGHT:
        # A weight made before any layer block belongs, in the articles' figures, to the layer using it.
        used_in = users.get(id(node), set())
        if len(used_in) == 1:
            layer = next(iter(used_in))
    name = shown.get(id(node), node.name)
    return NodeRecord(
        node_id, kind, name, node.op, layer, node.data, _number(node.grad), deltas.get(id(node), "δ")
    )


def _layer_order(nodes: tuple[NodeRecord, ...]) -> tuple[str, ...]:
    """Layer labels in forward order (the layer nearest the inputs first), operations deciding."""
    seen: dict[str, None] = {}
    forward = nodes[::-1]
    for node in [n for n in forward if n.kind == OPERATION] + [n for n in forward if n.kind != OPERATION]:
        if node.layer is not None:
            seen.setdefault(node.layer, None)
    return tuple(seen)

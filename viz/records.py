"""Step 1 of a drawing: walk a graph of Values into plain node and edge records.

The walk only reads: it never changes a node and never calls backward. Node ids come from the
order of a deterministic walk (the loss is `n0`), never from `id()`, so the same expression gives
the same records, and byte-identical DOT, on every run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from autodiff import Parameter, Value

from .chain import ChainRule
from .marks import Marks
from .marks import resolve as resolve_marks
from .names import Names
from .scene import CONSTANT, INPUT, OPERATION, WEIGHT, Edge, Node, Scene

SYMBOL_LIMIT = 5_000
"""Up to this many nodes, records carry the chain rule in symbols (`viz.chain`) for labels and tooltips."""

DEFAULT_MAX_NODES = 50_000
"""The largest graph viz walks at all; a larger one is refused after reading this many nodes."""


class GraphTooLargeError(ValueError):
    """The graph is larger than viz will walk (`max_nodes`), or than `dot` can lay out even shrunk."""


NodeRecord, EdgeRecord, GraphRecords = Node, Edge, Scene
"""The scene's classes under the names `viz.records` has always given them."""


def _number(x: Any) -> Any:
    # With backward(create_graph=True) a δ is itself a Value; the picture shows its number.
    return x.data if isinstance(x, Value) else x


def records(
    root: Value,
    *,
    params: Iterable[Value] | None = None,
    delta_names: Mapping[Value, str] | None = None,
    names: Mapping[Value, str] | None = None,
    lr: Any = None,
    focus: Value | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    naming: Names | None = None,
    marks: Marks | None = None,
) -> GraphRecords:
    """Walk the graph that produced `root` into records, without changing any node.

    Leaves are sorted into kinds: `requires_grad=False` is a constant; otherwise a leaf is a weight
    when it is in `params`, or, when `params` is not given, when it is an `autodiff.Parameter` (what
    `autodiff.learn` makes); every other leaf is an input. `delta_names` renames a node's δ in the
    picture (e.g. {o3: "δ4"}), `names` gives a name to show for a node (e.g. {y: "y_truth"}) without
    renaming the Value. With `lr`, each weight carries its update `ŵ = w − α·δw`. With `focus` (a node
    of the graph, e.g. one weight), only the nodes on a path from `root` to it. A graph of more than
    `max_nodes` nodes is refused after reading `max_nodes + 1` of them (None: no limit). `naming` is
    the graph's `viz.names.Names` when the caller has one (built from the same `names`/`delta_names`).
    `marks` maps nodes (Values, or the names they are shown with) to marks (`viz.marks`), e.g.
    {o2: ["wrong"]}.
    """
    if not isinstance(root, Value):
        raise TypeError(f"viz draws a Value, got {type(root).__name__}")
    check_max_nodes(max_nodes)
    param_ids = None if params is None else {id(v) for v in check_values(params, "params")}
    if lr is not None:
        from .update import rule_of  # the optimizer's own rule, or a refusal, before any walk

        lr = rule_of(lr)
    deltas = _by_node(delta_names, "delta_names", "{o3: 'δ4'}")
    shown = _by_node(names, "names", "{y: 'y_truth'}")
    if max_nodes is not None:
        refuse_if_larger(root, max_nodes)
    if naming is None:
        naming = Names(root, names, delta_names)
    rule = naming.rule
    marked = resolve_marks(marks, naming)
    order = naming.order
    ids = {id(node): naming.id(node) for node in order}
    # The symbols cost a traced rule per arrow; a graph this large is drawn collapsed, without them.
    symbolic = len(order) <= SYMBOL_LIMIT
    notes: tuple[str, ...] = ()
    if focus is not None:
        order = _paths_to(order, focus)
        shown_focus = rule.display_name(focus, 1)
        notes = (f"only the paths from the loss to {shown_focus} (focus=); drop focus= to draw all",)
    kept = {id(node) for node in order}
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
            if id(parent) not in kept:
                continue
            if not parent.requires_grad:
                # The engine sends no δ to a constant; the edge is drawn without one.
                edges.append(EdgeRecord(ids[id(parent)], ids[id(node)], i, False))
                continue
            local, problem = _local_derivative(node, i)
            contribution = None if local is None else delta_out * local
            edges.append(
                EdgeRecord(
                    ids[id(parent)], ids[id(node)], i, True, local, delta_out, contribution, problem,
                    chain=rule.edge(node, i) if symbolic else None,
                )
            )  # fmt: skip
    nodes = tuple(
        _node_of(node, ids[id(node)], param_ids, users, deltas, shown, rule if symbolic else None, lr)
        for node in order
    )
    if marked:
        nodes = tuple(replace(n, marks=marked[n.id]) if n.id in marked else n for n in nodes)
    return GraphRecords(nodes, tuple(edges), _layer_order(nodes), notes)


def _paths_to(order: list[Value], focus: Value) -> list[Value]:
    """The nodes of `order` (root first) that are `focus` or depend on it: the paths from the root to it."""
    if not isinstance(focus, Value):
        raise TypeError(f"focus must be a Value of the graph (e.g. a weight), got {type(focus).__name__}")
    on_path = {id(focus)}
    for node in reversed(order):  # inputs before their users
        if any(id(p) in on_path for p in node.parents):
            on_path.add(id(node))
    if not any(node is focus for node in order):
        raise ValueError(
            f"focus={focus!r} is not in the graph being drawn; pass a node that the loss was computed from"
        )
    return [node for node in order if id(node) in on_path]


def check_max_nodes(max_nodes: object) -> None:
    """`max_nodes` must be a positive int (not a bool or a float) or None."""
    if not (max_nodes is None or (type(max_nodes) is int and max_nodes >= 1)):
        raise ValueError(f"max_nodes must be a positive int or None, got {max_nodes!r}")


def refuse_if_larger(root: Value, max_nodes: int) -> None:
    """Raise GraphTooLargeError as soon as more than `max_nodes` distinct nodes are seen (O(max_nodes))."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for parent in stack.pop().parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                if len(seen) > max_nodes:
                    raise GraphTooLargeError(
                        f"the graph has more than max_nodes={max_nodes} nodes; viz stopped reading it there. "
                        f"Draw a smaller part of the graph (one sample, or focus=<a weight>), or pass a "
                        f"larger max_nodes (max_nodes=None reads everything)"
                    )
                stack.append(parent)


def _by_node(mapping: Mapping[Value, str] | None, what: str, example: str) -> dict[int, str]:
    """`mapping` keyed by node identity (Values are nodes: two equal numbers are two nodes)."""
    out: dict[int, str] = {}
    for key, text in (mapping or {}).items():
        if not isinstance(key, Value) or not isinstance(text, str):
            raise TypeError(f"{what} maps Values to str, e.g. {example}")
        out[id(key)] = text
    return out


def check_values(values: Iterable[Value], what: str) -> list[Value]:
    """`values` as a list of Values, or a TypeError saying what to pass (e.g. `params=[w]`)."""
    if isinstance(values, Value):
        raise TypeError(f"{what} must be a list of Values, not one Value; write {what}=[w]")
    if not isinstance(values, Iterable):
        raise TypeError(
            f"{what} must be a list of Values (e.g. model.parameters()) or None, got {type(values).__name__}"
        )
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
    rule: ChainRule | None,
    lr: Any,
) -> NodeRecord:
    if not node.is_leaf:
        kind = OPERATION
    elif not node.requires_grad:
        kind = CONSTANT
    elif param_ids is not None:
        kind = WEIGHT if id(node) in param_ids else INPUT
    else:
        kind = WEIGHT if isinstance(node, Parameter) else INPUT
    layer = node.layer
    if layer is None and kind == WEIGHT:
        # A weight made before any layer block belongs, in the articles' figures, to the layer using it.
        used_in = users.get(id(node), set())
        if len(used_in) == 1:
            layer = next(iter(used_in))
    name = shown.get(id(node), node.name)
    if rule is None:  # a graph too large for symbols: plain names
        delta = deltas.get(id(node), "δ" if name is None else f"δ{name}")
        return NodeRecord(node_id, kind, name, node.op, layer, node.data, _number(node.grad), delta)
    if name is None and kind == OPERATION:
        name = rule.display_name(node)
    update = rule.update(node, lr) if lr is not None and kind == WEIGHT else None
    return NodeRecord(
        node_id, kind, name, node.op, layer, node.data, _number(node.grad), rule.delta_symbol(node),
        update=update, key=rule.key(node),
    )  # fmt: skip


def _layer_order(nodes: tuple[NodeRecord, ...]) -> tuple[str, ...]:
    """Layer labels in forward order (the layer nearest the inputs first), operations deciding."""
    seen: dict[str, None] = {}
    forward = nodes[::-1]
    for node in [n for n in forward if n.kind == OPERATION] + [n for n in forward if n.kind != OPERATION]:
        if node.layer is not None:
            seen.setdefault(node.layer, None)
    return tuple(seen)

"""Graph traversal and the backward pass: one generic chain rule, no per-operation code.

For every node, in an order where a node comes before its parents:
    δ_parent += δ_node · ∂node/∂parent        (the local derivative comes from `autodiff.ops`)
Both the order and the pass are loops, not recursion, so a chain of a million operations works.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from . import value as _value  # a module object: `value` imports this module while it loads
from .checks import check_finite, check_number
from .exact import one_like
from .modes import enable_grad, state

if TYPE_CHECKING:
    from .value import Value


def _count_uses(
    root: Value, only_requiring_grad: bool, through: set[Value] | None = None
) -> dict[Value, int]:
    """For every node `root` depends on, how many times the nodes above it use it as a parent."""
    # Values are dict keys by identity (they define no __eq__), which saves an id() per edge.
    uses: dict[Value, int] = {root: 0}
    get = uses.get
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        # `node._parents`, inlined: this loop and `propagate` run it once per node.
        parents = node._more
        if parents is None:
            p0, p1 = node._p0, node._p1
            parents = () if p0 is None else (p0,) if p1 is None else (p0, p1)
        for parent in parents:
            if only_requiring_grad and not parent.requires_grad:
                continue
            if through is not None and parent not in through:
                continue
            count = get(parent, 0) + 1
            uses[parent] = count
            if count == 1:
                push(parent)
    return uses


def topological_order(root: Value, *, only_requiring_grad: bool = True) -> list[Value]:
    """Every node `root` depends on, `root` first and each node before all of its parents."""
    # Kahn's algorithm: count the edges into each node, then release a node once all the nodes
    # that use it have been placed. Parents are visited in their recorded order, so the result
    # (and every float sum built from it) is the same on every run.
    pending = _count_uses(root, only_requiring_grad)
    order: list[Value] = []
    ready = [root]
    while ready:
        node = ready.pop()
        order.append(node)
        for parent in reversed(node._parents):
            if only_requiring_grad and not parent.requires_grad:
                continue
            left = pending[parent] - 1
            pending[parent] = left
            if left == 0:
                ready.append(parent)
    return order


def leading_to(root: Value, targets: Iterable[Value]) -> set[Value]:
    """The nodes of `root`'s graph from which one of `targets` can be reached (targets included)."""
    leads = set(targets)
    for node in reversed(topological_order(root)):  # parents before the nodes that use them
        if node not in leads and any(p in leads for p in node._parents):
            leads.add(node)
    return leads


def propagate(
    root: Value,
    seed: Any,
    *,
    create_graph: bool = False,
    hooks: bool = True,
    through: set[Value] | None = None,
) -> Iterator[tuple[Value, Any]]:
    """Yield `(node, δ)` for every node `root` depends on, δ = ∂root/∂node · seed, in backward order.

    `hooks=False` leaves registered hooks uncalled, for readers (tables, drawings) that must not
    trigger or be changed by them. `through` (see `leading_to`) limits the pass to those nodes:
    no δ is computed for the rest of the graph.
    """
    # The same walk as `topological_order`, fused with the chain rule so the graph is traversed
    # twice, not three times: a node is released (its δ complete) when its last user is done.
    pending = _count_uses(root, True, through)
    flow: dict[Value, Any] = {root: seed}
    get = flow.get
    ready = [root]
    pop, push = ready.pop, ready.append
    anomaly = state.anomaly
    while ready:
        node = pop()
        delta = flow.pop(node)
        if hooks and node._hooks:
            for hook in tuple(node._hooks):
                replaced = hook(delta)
                if replaced is not None:
                    delta = replaced
            if anomaly:
                check_finite(_number(delta), f"the hook on {_label(node)}", (delta,))
        yield node, delta
        prim = node._op
        if prim is None:
            continue
        parents = node._more
        if parents is None:
            p1 = node._p1
            parents = (node._p0,) if p1 is None else (node._p0, p1)
        if create_graph:
            args: tuple[Any, ...] = (*parents, node)
        elif len(parents) == 2:
            args = (parents[0].data, parents[1].data, node.data)
        else:
            args = (*[p.data for p in parents], node.data)
        derivatives = prim.derivatives
        for i, parent in enumerate(parents):
            if not parent.requires_grad or (through is not None and parent not in through):
                continue
            if anomaly:
                contribution = _checked_contribution(delta, prim, args, node, i)
            else:
                contribution = delta * derivatives[i](*args)
            previous = get(parent)
            if previous is None:
                flow[parent] = contribution
            else:
                total = previous + contribution
                if anomaly:
                    check_finite(
                        _number(total),
                        f"adding up the δs of {_label(parent)} (in the backward of {prim.name})",
                        (previous, contribution),
                    )
                flow[parent] = total
        # Released last parent first, as in `topological_order`, so both give the same order.
        for parent in reversed(parents):
            if parent.requires_grad and (through is None or parent in through):
                left = pending[parent] - 1
                if left:
                    pending[parent] = left
                else:
                    push(parent)


def backward(root: Value, grad: Any = None, *, create_graph: bool = False) -> None:
    """Add ∂root/∂node · grad to `.grad` of every node `root` depends on (grad defaults to 1)."""
    Value = _value.Value  # the class, looked up once per call

    if not isinstance(root, Value):
        raise TypeError(f"backward() needs a Value, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError(
            "backward(): this Value does not depend on anything that requires a gradient "
            "(it is a constant, a detached Value, or was computed inside no_grad())"
        )
    if grad is None:
        seed: Any = one_like(root.data)
    elif isinstance(grad, Value):
        seed = grad
    else:
        seed = check_number(grad, "backward(grad=...)")
    if create_graph and not isinstance(seed, Value):
        seed = Value(seed, requires_grad=False)
    # create_graph records the δs' own graph, even inside no_grad(): that is what it asks for.
    with enable_grad() if create_graph else nullcontext():
        anomaly = state.anomaly
        for node, delta in propagate(root, seed, create_graph=create_graph):
            # `value.accumulate_grad`, written out: a call per node is a tenth of a moons step.
            current = node.grad
            if current.__class__ is not Value and current == 0:
                node.grad = delta
            else:
                node.grad = current + delta
                if anomaly:
                    check_finite(_number(node.grad), f"adding into the .grad of {_label(node)}", (delta,))


def _checked_contribution(delta: Any, prim: Any, args: tuple[Any, ...], node: Value, index: int) -> Any:
    """δ · local derivative, checked as a whole so an error names the backward step, not a mul inside it."""
    # With create_graph the product is built from Values, whose forward check would otherwise
    # report an anonymous `mul` instead of the operation whose backward went wrong.
    state.anomaly = False
    try:
        contribution = delta * prim.derivatives[index](*args)
    finally:
        state.anomaly = True
    _check_delta(contribution, prim.name, node, index)
    return contribution


def _check_delta(contribution: Any, op: str, node: Value, index: int) -> None:
    label = f" (node {node.name!r})" if node.name else ""
    check_finite(_number(contribution), f"the backward of {op}{label}, for input {index},", node._parents)


def _number(x: Any) -> Any:
    return x.data if isinstance(x, _value.Value) else x


def _label(node: Value) -> str:
    return f"node {node.name!r}" if node.name else f"a {node.op or 'leaf'} node"

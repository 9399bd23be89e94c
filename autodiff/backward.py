"""Graph traversal and the backward pass: one generic chain rule, no per-operation code.

For every node, in an order where a node comes before its parents:
    δ_parent += δ_node · ∂node/∂parent        (the local derivative comes from `autodiff.ops`)
Both the order and the pass are loops, not recursion, so a chain of a million operations works.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .exact import check_number, one_like
from .modes import state

if TYPE_CHECKING:
    from .value import Value


def topological_order(root: Value, *, only_requiring_grad: bool = True) -> list[Value]:
    """Every node `root` depends on, `root` first and each node before all of its parents."""
    # Kahn's algorithm: count the edges into each node, then release a node once all the nodes
    # that use it have been placed. Parents are visited in their recorded order, so the result
    # (and every float sum built from it) is the same on every run.
    pending: dict[int, int] = {id(root): 0}
    stack = [root]
    while stack:
        node = stack.pop()
        for parent in node._parents:
            if only_requiring_grad and not parent.requires_grad:
                continue
            key = id(parent)
            if key in pending:
                pending[key] += 1
            else:
                pending[key] = 1
                stack.append(parent)
    order: list[Value] = []
    ready = [root]
    while ready:
        node = ready.pop()
        order.append(node)
        for parent in reversed(node._parents):
            if only_requiring_grad and not parent.requires_grad:
                continue
            key = id(parent)
            pending[key] -= 1
            if pending[key] == 0:
                ready.append(parent)
    return order


def propagate(root: Value, seed: Any, *, create_graph: bool = False) -> Iterator[tuple[Value, Any]]:
    """Yield `(node, δ)` for every node `root` depends on, δ = ∂root/∂node · seed, in backward order."""
    flow: dict[int, Any] = {id(root): seed}
    for node in topological_order(root):
        delta = flow.pop(id(node))
        if node._hooks:
            for hook in tuple(node._hooks):
                replaced = hook(delta)
                if replaced is not None:
                    delta = replaced
        yield node, delta
        prim = node._op
        if prim is None:
            continue
        parents = node._parents
        if create_graph:
            args: tuple[Any, ...] = (*parents, node)
        else:
            args = (*[p.data for p in parents], node.data)
        for i, parent in enumerate(parents):
            if not parent.requires_grad:
                continue
            if state.anomaly:
                contribution = _checked_contribution(delta, prim, args, node, i)
            else:
                contribution = delta * prim.derivatives[i](*args)
            key = id(parent)
            previous = flow.get(key)
            flow[key] = contribution if previous is None else previous + contribution


def backward(root: Value, grad: Any = None, *, create_graph: bool = False) -> None:
    """Add ∂root/∂node · grad to `.grad` of every node `root` depends on (grad defaults to 1)."""
    from .value import Value

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
    for node, delta in propagate(root, seed, create_graph=create_graph):
        current = node.grad
        if not isinstance(current, Value) and current == 0:
            node.grad = delta
        else:
            node.grad = current + delta


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
    from .value import _check_finite

    label = f" (node {node.name!r})" if node.name else ""
    number = contribution.data if hasattr(contribution, "data") else contribution
    _check_finite(number, f"the backward of {op}{label}, for input {index},", node._parents)

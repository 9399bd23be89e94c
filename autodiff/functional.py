"""Gradients as functions (`grad`, `value_and_grad`, `hessian`) and as a call on Values (`gradients`).

`grad(f)` returns a new function that computes ∂f/∂x, in the style of JAX. It always differentiates
with `create_graph=True`, so the gradient is itself a graph and `grad(grad(f))` works. It hands
back plain numbers, except when the caller may differentiate the result again: when it runs inside
another `grad`/`value_and_grad`/`hessian`, or when an argument is a Value that requires a gradient.
Then it returns Values. Exact numbers stay exact: `grad(lambda x: x ** 3)(Fraction(1, 2))` is `3/4`.

Like `gradients`, the transforms walk only the part of the graph that leads to their arguments: a
δ that nobody asked for is never computed (nor can it fail, e.g. `c.sqrt()` of a constant c = 0).

A transform refuses a function whose result does not depend on a differentiated argument, rather
than return a derivative of 0 that only looks like an answer: a TypeError when the function returns
a plain number (`grad(math.sin)`: `math.sin` calls `float()` on the Value, which cuts the graph; JAX
refuses `float()` on its tracers for the same reason), a ValueError naming the argument when the
result is a Value computed without it. Write `x.sin()`, `x.cos()`, `x.exp()` ... instead of `math.*`.
A derivative that is constant is not refused: `grad(grad(lambda x: 3 * x))(1)` is 0, because the
function being differentiated there calls another transform, whose result may be a constant.

`gradients(outputs, inputs)` is the call-on-Values form: it returns ∂outputs/∂inputs and leaves
every `.grad` attribute untouched.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any

from . import ops
from .backward import leading_to, propagate
from .checks import FloatRangeError, NoGradientError, check_depends, check_number, shown
from .exact import Number, one_like, zero_like
from .modes import enable_grad
from .value import Value

Argnums = int | Sequence[int]


def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """A function computing ∂f/∂(argument `argnums`); a tuple of them when `argnums` is a tuple."""
    return _first_derivatives(f, argnums, "grad", with_value=False)


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., tuple[Any, Any]]:
    """A function returning `(f(...), ∂f/∂(argument argnums))` from one forward and one backward pass."""
    return _first_derivatives(f, argnums, "value_and_grad", with_value=True)


def _first_derivatives(
    f: Callable[..., Any], argnums: Argnums, name: str, with_value: bool
) -> Callable[..., Any]:
    """The body of `grad` and `value_and_grad`; `name` is the one the user called, for errors."""
    _check_callable(f, name)
    _check_argnums_type(argnums, name)

    @functools.wraps(f)
    def transformed(*args: Any, **kwargs: Any) -> Any:
        positions, single = _positions(argnums, len(args), name)
        keep = _keeps_graph(args, kwargs)
        leaves, out, nested = _trace(f, args, kwargs, positions, name)
        found = _derivatives(out, leaves)
        if not nested:
            check_depends(f"{name}()", out, [g is not None for g in found], _labels(positions))
        firsts = tuple(_unwrap(g, keep) for g in _filled(found, leaves))
        derivative = firsts[0] if single else firsts
        return (_unwrap(out, keep), derivative) if with_value else derivative

    return transformed


def hessian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """A function computing f's second derivatives: a number, or rows (tuples) for a tuple `argnums`."""
    _check_callable(f, "hessian")
    _check_argnums_type(argnums, "hessian")

    @functools.wraps(f)
    def hessian_f(*args: Any, **kwargs: Any) -> Any:
        positions, single = _positions(argnums, len(args), "hessian")
        keep = _keeps_graph(args, kwargs)
        leaves, out, nested = _trace(f, args, kwargs, positions, "hessian")
        found = _derivatives(out, leaves)
        if not nested:
            check_depends("hessian()", out, [g is not None for g in found], _labels(positions))
        # Row i is the gradient of ∂f/∂x_i: one more backward pass through the gradient's graph.
        # A first derivative that is constant has second derivatives 0: no dependence is required.
        rows = tuple(
            tuple(_unwrap(h, keep) for h in _filled(_derivatives(g, leaves), leaves))
            for g in _filled(found, leaves)
        )
        return rows[0][0] if single else rows

    return hessian_f


def gradients(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    *,
    grad_outputs: Any = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Any, ...]:
    """∂outputs/∂inputs (summed over outputs, each weighted by its grad_output), without touching `.grad`."""
    outs = _as_values(outputs, "outputs")
    ins = _as_values(inputs, "inputs")
    for k, out in enumerate(outs):
        if not out.requires_grad:
            raise NoGradientError(
                f"gradients(): outputs[{k}] does not depend on anything that requires a gradient "
                "(it is a constant, a detached Value, or was computed inside no_grad())"
            )
    for k, v in enumerate(ins):
        if not v.requires_grad:
            raise NoGradientError(
                f"gradients(): inputs[{k}] does not require a gradient; make it with "
                "requires_grad=True (the default) or call .requires_grad_()"
            )
    seeds = _seeds(grad_outputs, outs, create_graph)
    positions: dict[int, list[int]] = {}
    for k, v in enumerate(ins):
        positions.setdefault(id(v), []).append(k)
    found: list[Any] = [None] * len(ins)
    with enable_grad() if create_graph else contextlib.nullcontext():
        for out, seed in zip(outs, seeds, strict=True):
            # Only the part of the graph that reaches an input: no δ is computed (nor can fail)
            # elsewhere, e.g. for a learnable exponent of a negative base nobody asked about.
            through = leading_to(out, ins)
            try:
                for node, delta in propagate(out, seed, create_graph=create_graph, through=through):
                    for k in positions.get(id(node), ()):
                        found[k] = delta if found[k] is None else found[k] + delta
            except FloatRangeError as error:
                raise FloatRangeError(
                    f"gradients() (check grad_outputs and the outputs' inputs): {error}"
                ) from None
    for k, g in enumerate(found):
        if g is None and not allow_unused:
            raise NoGradientError(
                f"gradients(): inputs[{k}] is not used to compute the outputs; pass allow_unused=True "
                "to get None for it"
            )
    return tuple(found)


# --- shared machinery -------------------------------------------------------------------------


class _Tracing(threading.local):
    # How many transformations are running their function in this thread: a grad called inside
    # another one must hand back Values so that the outer one can differentiate through them.
    depth = 0
    # Set when a transformation runs inside another one's function: that function's result is
    # then a derivative, which may be a constant without anything being wrong.
    nested = False


_tracing = _Tracing()


def _keeps_graph(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """True when results must stay Values: inside another transformation, or given a recording Value."""
    if _tracing.depth:
        return True
    return any(isinstance(a, Value) and a.requires_grad for a in (*args, *kwargs.values()))


def _trace(
    f: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    positions: tuple[int, ...],
    who: str,
) -> tuple[list[Value], Any, bool]:
    """Run f with a fresh node for each differentiated argument.

    Returns those nodes, f's output, and whether f itself called a transformation.
    """
    if _tracing.depth:
        _tracing.nested = True  # tell the transformation whose function is running that we ran
    leaves: list[Value] = []
    call_args = list(args)
    # A transformation differentiates whatever the caller's mode: recording is switched on inside.
    with enable_grad():
        for i in positions:
            a = args[i]
            if isinstance(a, Value) and a.requires_grad:
                # A new node in front of an outer Value: derivatives taken here flow through it
                # only, so an outer Value used both directly and as this argument is not confused
                # with it, while the outer graph still sees the dependence on `a`.
                leaf = ops.identity(a)
                leaf.name = a.name
            elif isinstance(a, Value):
                leaf = Value(a.data, a.name)
            else:
                leaf = Value(check_number(a, f"{who}: argument {i}"))
            leaves.append(leaf)
            call_args[i] = leaf
        outer_nested = _tracing.nested
        _tracing.nested = False
        _tracing.depth += 1
        try:
            out = f(*call_args, **kwargs)
        finally:
            _tracing.depth -= 1
            nested = _tracing.nested
            _tracing.nested = outer_nested
    if not isinstance(out, Value):
        check_number(out, f"{who}: the function's result")
    return leaves, out, nested


def _derivatives(out: Any, leaves: list[Value]) -> list[Any]:
    """∂out/∂leaf for each leaf, as Values recording their own graph (None where out does not depend)."""
    found: list[Any] = [None] * len(leaves)
    if isinstance(out, Value) and out.requires_grad:
        wanted = {id(leaf): k for k, leaf in enumerate(leaves)}
        remaining = len(wanted)
        seed = Value(one_like(out.data), requires_grad=False)
        # Only the nodes that lead to an argument: a δ off that path is never computed (nor can fail).
        through = leading_to(out, leaves)
        with enable_grad():
            for node, delta in propagate(out, seed, create_graph=True, through=through):
                k = wanted.get(id(node))
                if k is not None:
                    found[k] = delta
                    remaining -= 1
                    if remaining == 0:
                        break
    return found


def _filled(found: list[Any], leaves: list[Value]) -> list[Any]:
    """The derivatives with a zero (of the argument's number type) where there is no dependence."""
    return [zero_like(leaf.data) if g is None else g for g, leaf in zip(found, leaves, strict=True)]


def _labels(positions: tuple[int, ...]) -> list[str]:
    return [f"argument {i}" for i in positions]


def _unwrap(v: Any, keep: bool) -> Any:
    """`v` itself when the caller may differentiate it again, else the plain number behind it."""
    return v.data if isinstance(v, Value) and not keep else v


def _check_callable(f: object, who: str) -> None:
    if not callable(f):
        raise TypeError(f"{who}() needs the function to differentiate, got {type(f).__name__}: {shown(f)}")


def _check_argnums_type(argnums: object, who: str) -> None:
    items = argnums if isinstance(argnums, tuple | list) else (argnums,)
    if not items or not all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        raise TypeError(f"{who}(): argnums must be an int or a non-empty tuple of ints, got {shown(argnums)}")
    if len(set(items)) != len(items):
        raise ValueError(f"{who}(): argnums {shown(argnums)} repeats a position; list each argument once")


def _positions(argnums: Argnums, nargs: int, who: str) -> tuple[tuple[int, ...], bool]:
    """Argument positions to differentiate (negative ones counted from the end), and whether one was asked."""
    single = isinstance(argnums, int)
    items: tuple[int, ...] = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    positions = []
    for i in items:
        if not -nargs <= i < nargs:
            raise ValueError(
                f"{who}(): argnums {shown(i)} is out of range for a call with {nargs} argument(s)"
            )
        positions.append(i % nargs)
    if len(set(positions)) != len(positions):
        raise ValueError(f"{who}(): argnums {shown(argnums)} names the same argument twice")
    return tuple(positions), single


def _as_values(x: Value | Sequence[Value], what: str) -> list[Value]:
    items = [x] if isinstance(x, Value) else list(x) if isinstance(x, list | tuple) else None
    if not items:
        raise TypeError(
            f"gradients(): {what} must be a Value or a non-empty list/tuple of Values, "
            f"got {type(x).__name__}: {shown(x)}"
        )
    for k, v in enumerate(items):
        if not isinstance(v, Value):
            raise TypeError(f"gradients(): {what}[{k}] must be a Value, got {type(v).__name__}: {shown(v)}")
    return items


def _seeds(grad_outputs: Any, outs: list[Value], create_graph: bool) -> list[Any]:
    """One seed per output: 1 by default; a Value only when the gradient's graph is recorded."""
    if grad_outputs is None:
        given: list[Any] = [one_like(out.data) for out in outs]
    else:
        given = list(grad_outputs) if isinstance(grad_outputs, list | tuple) else [grad_outputs]
        if len(given) != len(outs):
            raise ValueError(
                f"gradients(): {len(given)} grad_outputs for {len(outs)} outputs; give one per output"
            )
    seeds = []
    for k, s in enumerate(given):
        number: Number | Value = s if isinstance(s, Value) else check_number(s, f"grad_outputs[{k}]")
        if create_graph and not isinstance(number, Value):
            number = Value(number, requires_grad=False)
        elif not create_graph and isinstance(number, Value):
            number = number.data
        seeds.append(number)
    return seeds

"""`Value`: a number that remembers how it was computed, so gradients can flow back through it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from . import backward as _backward
from . import ops
from .checks import check_finite, check_number
from .exact import PLAIN_NUMBERS, Number, format_number
from .modes import state

Operand = Any  # a Value or a plain number


class Value:
    """A scalar node of the graph: `.data` (the number), `.grad` (its δ), `.name`, `.layer`."""

    # The parents are kept in two slots (`_p0`, `_p1`) rather than a tuple: a tuple per node would
    # double the objects Python's cyclic garbage collector has to scan while a graph is being built,
    # and that scanning, not arithmetic, is what a large graph spends most of its time on. Only
    # operations with three or more inputs keep a tuple (`_more`). `_parents` rebuilds the tuple.
    __slots__ = ("_hooks", "_more", "_op", "_p0", "_p1", "data", "grad", "layer", "name", "requires_grad")

    def __init__(self, data: Number, name: str | None = None, *, requires_grad: bool = True):
        self.data = check_number(data)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Value name must be a str or None, got {type(name).__name__}")
        self.grad: Any = 0
        self.name = name
        self.layer = state.layer
        # A leaf made inside no_grad() (e.g. an updated weight) still learns: no_grad() stops the
        # recording of operations, not the creation of variables.
        self.requires_grad = bool(requires_grad)
        self._op: ops.Primitive | None = None
        self._p0: Value | None = None
        self._p1: Value | None = None
        self._more: tuple[Value, ...] | None = None
        self._hooks: list[Callable[[Any], Any]] | None = None

    # --- graph structure, read by backward and by renderers -------------------------------------

    @property
    def op(self) -> str | None:
        """Name of the primitive that produced this Value, or None for a leaf."""
        return self._op.name if self._op is not None else None

    @property
    def primitive(self) -> ops.Primitive | None:
        """The primitive that produced this Value (with its `params`), or None for a leaf."""
        return self._op

    @property
    def hooks(self) -> tuple[Callable[[Any], Any], ...]:
        """The hooks registered on this Value, in the order they are called."""
        return tuple(self._hooks) if self._hooks else ()

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the operation that produced this Value, in order (repeats kept)."""
        return self._parents

    @property
    def _parents(self) -> tuple[Value, ...]:
        """The parents as a tuple, rebuilt from the slots (read by backward, renderers and tapes)."""
        if self._more is not None:
            return self._more
        p0 = self._p0
        if p0 is None:
            return ()
        p1 = self._p1
        return (p0,) if p1 is None else (p0, p1)

    @property
    def is_leaf(self) -> bool:
        """True for Values made directly (weights, inputs, constants), not by an operation."""
        return self._op is None

    # --- gradients ------------------------------------------------------------------------------

    def backward(self, grad: Operand = None, *, create_graph: bool = False) -> None:
        """Add ∂self/∂node to `.grad` of every node of the graph (seed `grad`, default 1)."""
        _backward.backward(self, grad, create_graph=create_graph)

    def zero_grad(self) -> None:
        """Set `.grad` to 0 on this Value and on every node of the graph that produced it."""
        for node in _backward.topological_order(self, only_requiring_grad=False):
            node.grad = 0

    def register_hook(self, hook: Callable[[Any], Any]) -> _HookHandle:
        """Call `hook(δ)` when this Value's δ is complete in a backward pass; a non-None return replaces δ."""
        if not callable(hook):
            raise TypeError(f"register_hook needs a callable, got {type(hook).__name__}")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self, hook)

    def detach(self) -> Value:
        """A new leaf with the same data that does not require a gradient (the flow stops here)."""
        return Value(self.data, self.name, requires_grad=False)

    def requires_grad_(self, flag: bool = True) -> Value:
        """Set whether backward computes a δ for this Value; returns self."""
        self.requires_grad = bool(flag)
        return self

    # --- operators: every one is a primitive of `autodiff.ops` ----------------------------------
    # They record directly; going through `ops.add(self, other)` would only check again that one
    # of the inputs is a Value, and it costs a Python call on every operation of every model.

    def __add__(self, other: Operand) -> Value:
        return _record(ops.add, (self, other))

    def __radd__(self, other: Operand) -> Value:
        return _record(ops.add, (other, self))

    def __sub__(self, other: Operand) -> Value:
        return _record(ops.sub, (self, other))

    def __rsub__(self, other: Operand) -> Value:
        return _record(ops.sub, (other, self))

    def __mul__(self, other: Operand) -> Value:
        return _record(ops.mul, (self, other))

    def __rmul__(self, other: Operand) -> Value:
        return _record(ops.mul, (other, self))

    def __truediv__(self, other: Operand) -> Value:
        return _record(ops.div, (self, other))

    def __rtruediv__(self, other: Operand) -> Value:
        return _record(ops.div, (other, self))

    def __pow__(self, other: Operand) -> Value:
        return _record(ops.pow, (self, other))

    def __rpow__(self, other: Operand) -> Value:
        return _record(ops.pow, (other, self))

    def __neg__(self) -> Value:
        return _record(ops.neg, (self,))

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _record(ops.abs, (self,))

    def relu(self) -> Value:
        """max(x, 0); the δ passes where x >= 0 (the articles' rule; PyTorch uses 0 at x = 0)."""
        return _record(ops.relu, (self,))

    def exp(self) -> Value:
        """e ** x (a float result)."""
        return _record(ops.exp, (self,))

    def log(self) -> Value:
        """Natural logarithm (a float result); x must be > 0."""
        return _record(ops.log, (self,))

    def tanh(self) -> Value:
        """Hyperbolic tangent (a float result)."""
        return _record(ops.tanh, (self,))

    def sigmoid(self) -> Value:
        """1 / (1 + e ** -x) (a float result)."""
        return _record(ops.sigmoid, (self,))

    def sqrt(self) -> Value:
        """Square root (a float result); x must be >= 0."""
        return _record(ops.sqrt, (self,))

    def sin(self) -> Value:
        """Sine (a float result)."""
        return _record(ops.sin, (self,))

    def cos(self) -> Value:
        """Cosine (a float result)."""
        return _record(ops.cos, (self,))

    def softplus(self) -> Value:
        """log(1 + e ** x) (a float result), a smooth ReLU."""
        return _record(ops.softplus, (self,))

    def leaky_relu(self, slope: Number = Fraction(1, 100)) -> Value:
        """x where x >= 0, slope · x elsewhere (derivative 1 at 0, as for relu)."""
        return _record(ops.leaky_relu.bind(slope=check_number(slope, "leaky_relu(slope=...)")), (self,))

    # --- conversions to plain numbers, and what a Value does not do -----------------------------

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    def __round__(self, ndigits: int | None = None) -> Number:
        return round(self.data, ndigits)

    def __format__(self, spec: str) -> str:
        # `f"{loss:.4f}"` formats the number; a bare `f"{loss}"` shows the whole Value.
        if not spec:
            return str(self)
        try:
            return format(self.data, spec)
        except (TypeError, ValueError):
            return format(float(self.data), spec)  # Fraction takes no float specs before Python 3.12

    def _no_order(self, other: Any) -> bool:
        raise TypeError(
            "Values are graph nodes and are not ordered; compare their numbers: `v.data > 0`, "
            "`max(values, key=lambda v: v.data)`"
        )

    __lt__ = __le__ = __gt__ = __ge__ = _no_order

    def __repr__(self) -> str:
        parts = [f"data={format_number(self.data)}", f"grad={_format_grad(self.grad)}"]
        if self.name is not None:
            parts.append(f"name={self.name!r}")
        if self._op is not None:
            parts.append(f"op={self._op.name!r}")
        return f"Value({', '.join(parts)})"

    def __bool__(self) -> bool:
        raise TypeError("a Value has no truth value; compare its number instead, e.g. `if v.data >= 0:`")


class Parameter(Value):
    """A Value a model learns (a weight or a bias): what optimizers update and viz draws as a weight.

    It behaves exactly like a Value; the class only says what the number is for, so tools need not
    guess it from a name. `autodiff.learn` makes its weights and biases Parameters.
    """

    __slots__ = ()


def _record(prim: ops.Primitive, args: tuple[Operand, ...]) -> Value:
    """Run `prim` on Values and numbers and record the result as a node of the graph."""
    # The hot path of every model: one call per operation, no generators, unary and binary
    # operations unpacked by hand (the rule is the same for every arity).
    n = len(args)
    if n == 2:
        p0, p1 = args
        if not isinstance(p0, Value):
            p0 = _constant(p0, prim.name)
        if not isinstance(p1, Value):
            p1 = _constant(p1, prim.name)
        result = prim.forward(p0.data, p1.data)
        learns = p0.requires_grad or p1.requires_grad
        more = None
    elif n == 1:
        p0 = args[0]
        if not isinstance(p0, Value):
            p0 = _constant(p0, prim.name)
        p1 = more = None
        result = prim.forward(p0.data)
        learns = p0.requires_grad
    else:
        more = tuple(a if isinstance(a, Value) else _constant(a, prim.name) for a in args)
        p0 = p1 = None
        result = prim.forward(*[a.data for a in more])
        learns = any(a.requires_grad for a in more)
    if type(result) not in PLAIN_NUMBERS:
        result = _checked_result(result, prim, args)
    st = state
    if st.anomaly:
        check_finite(result, prim.name, args)
    out = _new_value(Value)
    out.data = result
    out.grad = 0
    out.name = None
    out.layer = st.layer
    out._hooks = None
    if st.grad_enabled:
        # A node of constants is recorded too (it needs no δ), so a `Tape` can recompute it
        # from its leaves' current numbers.
        out.requires_grad = learns
        out._op = prim
        out._p0 = p0
        out._p1 = p1
        out._more = more
    else:
        out.requires_grad = False
        out._op = out._p0 = out._p1 = out._more = None
    return out


def _constant(x: Any, what: str) -> Value:
    """A plain number mixed into an expression, as a leaf that receives no δ."""
    # Built like a node of `_record` rather than through __init__: constants are made in every
    # `x * 2.0`, and the checks of __init__ (name, flags) have nothing to check here.
    c = _new_value(Value)
    c.data = check_number(x, what)
    c.grad = 0
    c.name = None
    c.layer = state.layer
    c.requires_grad = False
    c._op = c._p0 = c._p1 = c._more = c._hooks = None
    return c


_new_value = object.__new__


class _HookHandle:
    """Returned by `register_hook`; `.remove()` unregisters the hook."""

    __slots__ = ("_hook", "_value")

    def __init__(self, value: Value, hook: Callable[[Any], Any]):
        self._value = value
        self._hook = hook

    def remove(self) -> None:
        """Stop calling the hook."""
        hooks = self._value._hooks
        if hooks is not None and self._hook in hooks:
            hooks.remove(self._hook)


def _format_grad(g: Any) -> str:
    return f"<Value {format_number(g.data)}>" if isinstance(g, Value) else format_number(g)


def _checked_result(result: Any, prim: ops.Primitive, args: tuple[Operand, ...]) -> Number:
    """`result` if it is a real number; else a TypeError naming the input whose `.data` is wrong."""
    for i, a in enumerate(args):
        number = a.data if isinstance(a, Value) else a
        try:
            check_number(number)
        except TypeError:
            raise TypeError(
                f"{prim.name}: input {i} holds {type(number).__name__} {number!r}; "
                "a Value's .data must be a real number (int, float, Fraction)"
            ) from None
    return check_number(result, f"{prim.name} (its forward rule returned a non-number)")


def accumulate_grad(node: Value, delta: Any) -> None:
    """Add `delta` into `node.grad` (replacing a plain 0, so a δ Value is not wrapped in `0 + δ`)."""
    current = node.grad
    if not isinstance(current, Value) and current == 0:
        node.grad = delta
    else:
        node.grad = current + delta


def sum(values: Iterable[Operand]) -> Value:  # noqa: A001 - mirrors the builtin it replaces
    """Σ of `values` as one node (the articles' Σ w·x), with derivative 1 for every input."""
    items = list(values)
    if not items:
        raise ValueError("autodiff.sum needs at least one value; for an empty sum write Value(0)")
    if len(items) == 1:
        return items[0] if isinstance(items[0], Value) else Value(check_number(items[0], "sum"))
    return _record(ops.sum.bind(n=len(items)), tuple(items))


def zero_grad(values: Value | Iterable[Value]) -> None:
    """Set `.grad` to 0 on each Value of `values` (a list of parameters) or on a whole graph."""
    if isinstance(values, Value):
        values.zero_grad()
        return
    for v in values:
        if not isinstance(v, Value):
            raise TypeError(f"zero_grad expects Values, got {type(v).__name__}")
        v.grad = 0

"""`Value`: a number that remembers how it was computed, so gradients can flow back through it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from . import backward as _backward
from . import modes as _modes
from . import ops
from .checks import check_bool, check_finite, check_number
from .exact import PLAIN_NUMBERS, Number, brief_number, format_number
from .modes import SLOW, state

Operand = Any  # a Value or a plain number
_state = state


class Value:
    """A scalar node of the graph: `.data` (the number), `.grad` (its δ), `.name`, `.layer`."""

    # The parents are kept in two slots (`_p0`, `_p1`) rather than a tuple: a tuple per node would
    # double the objects Python's cyclic garbage collector has to scan while a graph is being built,
    # and that scanning, not arithmetic, is what a large graph spends most of its time on. Only
    # operations with three or more inputs keep a tuple (`_more`). `_parents` rebuilds the tuple.
    # The number lives in `_data`, read directly by the engine; `.data` is a property whose setter
    # checks what it is given, as the constructor does. `_uses` and `_delta` are the backward
    # pass's scratch space (the users not yet done, the δ gathered so far): 0 and None between passes.
    # A Value that a backward pass started from keeps its hooks in a `_PassedRoot` dict (an empty
    # one if it has none): that is how a second pass from it knows, at no cost to other nodes.
    __slots__ = (
        "_data",
        "_delta",
        "_hooks",
        "_more",
        "_op",
        "_p0",
        "_p1",
        "_uses",
        "grad",
        "layer",
        "name",
        "requires_grad",
    )

    def __init__(self, data: Number, name: str | None = None, *, requires_grad: bool = True):
        self._data = check_number(data)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Value name must be a str or None, got {type(name).__name__}")
        if requires_grad.__class__ is not bool:
            requires_grad = _check_flag(requires_grad)
        self.grad: Any = 0
        self.name = name
        self.layer = state.layer
        # A leaf made inside no_grad() (e.g. an updated weight) still learns: no_grad() stops the
        # recording of operations, not the creation of variables.
        self.requires_grad = requires_grad
        self._op: ops.Primitive | None = None
        self._p0: Value | None = None
        self._p1: Value | None = None
        self._more: tuple[Value, ...] | None = None
        self._hooks: dict[_HookHandle, Hook] | None = None
        self._uses = 0
        self._delta: Any = None

    @property
    def data(self) -> Number:
        """The number this Value holds (int, float or Fraction; never converted)."""
        return self._data

    @data.setter
    def data(self, number: Number) -> None:
        # Checked like the constructor: numpy ints become Python ints (which cannot overflow),
        # bools and non-numbers are refused here rather than at the next operation.
        if number.__class__ is not float and number.__class__ is not int and number.__class__ is not Fraction:
            number = check_number(number, f"setting .data of {_describe(self)}")
        self._data = number

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
    def hooks(self) -> tuple[Hook, ...]:
        """The hooks registered on this Value, in the order they are called."""
        return tuple(self._hooks.values()) if self._hooks else ()

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

    def backward(
        self, grad: Operand = None, *, create_graph: bool = False, retain_graph: bool = False
    ) -> None:
        """Add ∂self/∂node to `.grad` of every node of the graph (seed `grad`, default 1).

        A second pass from the same Value adds the same δs again and warns, unless `retain_graph=True`
        says that is meant (or `zero_grad()` was called on this Value in between).
        """
        _backward.backward(self, grad, create_graph=create_graph, retain_graph=retain_graph)

    def zero_grad(self) -> None:
        """Set `.grad` to 0 on this Value and on every node of the graph that produced it."""
        for node in _backward.topological_order(self, only_requiring_grad=False):
            node.grad = 0
        hooks = self._hooks
        if hooks.__class__ is _PassedRoot:  # the next pass from here starts from zero: nothing is doubled
            self._hooks = dict(hooks) or None

    def register_hook(self, hook: Hook) -> _HookHandle:
        """Call `hook(δ)` when this Value's δ is complete in a backward pass; a non-None return replaces δ."""
        if not callable(hook):
            raise TypeError(f"register_hook needs a callable, got {type(hook).__name__}")
        if not self.requires_grad:
            raise RuntimeError(
                f"register_hook: {_describe(self)} does not require a gradient (a constant, a detached "
                "Value, or one computed inside no_grad()), so no δ ever reaches it; hook a Value that "
                "learns, or make it one with .requires_grad_()"
            )
        if self._hooks is None:
            self._hooks = {}
        handle = _HookHandle(self, hook)
        self._hooks[handle] = hook
        return handle

    def detach(self) -> Value:
        """A new leaf with the same data that does not require a gradient (the flow stops here)."""
        return Value(self._data, self.name, requires_grad=False)

    def requires_grad_(self, flag: bool = True) -> Value:
        """Set whether backward computes a δ for this Value; returns self."""
        self.requires_grad = flag if flag.__class__ is bool else _check_flag(flag)
        return self

    # --- operators: every one is a primitive of `autodiff.ops` ----------------------------------
    # `+ - *` and relu on int and float numbers, the operations every model is made of, build their
    # node here in line (one thread-local read, no call); everything else, and every case these
    # fast paths do not cover (Fractions, anomaly mode, no_grad, overflow), goes through `_record`,
    # which runs the table's forward rule. tests/test_fast_paths.py checks that both give the same
    # numbers, bit for bit. The repetition below is deliberate: a helper call per node costs more
    # than the node itself.

    def __add__(self, other: Operand) -> Value:
        lab = None if _modes.everywhere_default else _state.fast
        a = self._data
        if lab is not SLOW and (a.__class__ is float or a.__class__ is int):
            kind = other.__class__
            if kind is Value or kind is Parameter:  # other subclasses take the general path
                b = other._data
                if b.__class__ is float or b.__class__ is int:
                    try:
                        r = a + b
                    except OverflowError:
                        return _record(_ADD, (self, other))
                    out = _new(Value)
                    out._data = r
                    out.grad = 0
                    out.name = None
                    out.layer = lab
                    out._hooks = out._more = out._delta = None
                    out._uses = 0
                    out.requires_grad = self.requires_grad or other.requires_grad
                    out._op = _ADD
                    out._p0 = self
                    out._p1 = other
                    self._uses += 1
                    other._uses += 1
                    return out
            elif kind is float or kind is int:
                try:
                    r = a + other
                except OverflowError:
                    return _record(_ADD, (self, other))
                return _with_constant(r, lab, _ADD, self, _const(other, lab))
        return _record(_ADD, (self, other))

    def __radd__(self, other: Operand) -> Value:
        lab = None if _modes.everywhere_default else _state.fast
        a = self._data
        if (
            lab is not SLOW
            and (a.__class__ is float or a.__class__ is int)
            and (other.__class__ is float or other.__class__ is int)
        ):
            try:
                r = other + a
            except OverflowError:
                return _record(_ADD, (other, self))
            return _with_constant(r, lab, _ADD, _const(other, lab), self)
        return _record(_ADD, (other, self))

    def __sub__(self, other: Operand) -> Value:
        lab = None if _modes.everywhere_default else _state.fast
        a = self._data
        if lab is not SLOW and (a.__class__ is float or a.__class__ is int):
            kind = other.__class__
            if kind is Value or kind is Parameter:  # other subclasses take the general path
                b = other._data
                if b.__class__ is float or b.__class__ is int:
                    try:
                        r = a - b
                    except OverflowError:
                        return _record(_SUB, (self, other))
                    out = _new(Value)
                    out._data = r
                    out.grad = 0
                    out.name = None
                    out.layer = lab
                    out._hooks = out._more = out._delta = None
                    out._uses = 0
                    out.requires_grad = self.requires_grad or other.requires_grad
                    out._op = _SUB
                    out._p0 = self
                    out._p1 = other
                    self._uses += 1
                    other._uses += 1
                    return out
            elif kind is float or kind is int:
                try:
                    r = a - other
                except OverflowError:
                    return _record(_SUB, (self, other))
                return _with_constant(r, lab, _SUB, self, _const(other, lab))
        return _record(_SUB, (self, other))

    def __rsub__(self, other: Operand) -> Value:
        lab = None if _modes.everywhere_default else _state.fast
        a = self._data
        if (
            lab is not SLOW
            and (a.__class__ is float or a.__class__ is int)
            and (other.__class__ is float or other.__class__ is int)
        ):
            try:
                r = other - a
            except OverflowError:
                return _record(_SUB, (other, self))
            return _with_constant(r, lab, _SUB, _const(other, lab), self)
        return _record(_SUB, (other, self))

    def __mul__(self, other: Operand) -> Value:
        lab = None if _modes.everywhere_default else _state.fast
        a = self._data
        if lab is not SLOW and (a.__class__ is float or a.__class__ is int):
            kind = other.__class__
            if kind is Value or kind is Parameter:  # other subclasses take the general path
                b = other._data
                if b.__class__ is float or b.__class__ is int:
                    try:
                        r = a * b
                    except OverflowError:
                        return _record(_MUL, (self, other))
                    out = _new(Value)
                    out._data = r
                    out.grad = 0
                    out.name = None
                    out.layer = lab
                    out._hooks = out._more = out._delta = None
                    out._uses = 0
                    out.requires_grad = self.requires_grad or other.requires_grad
                    out._op = _MUL
                    out._p0 = self
                    out._p1 = other
                    self._uses += 1
                    other._uses += 1
                    return out
            elif kind is float or kind is int:
                try:
                    r = a * other
                except OverflowError:
                    return _record(_MUL, (self, other))
                return _with_constant(r, lab, _MUL, self, _const(other, lab))
        return _record(_MUL, (self, other))

    def __rmul__(self, other: Operand) -> Value:
        lab = None if _modes.everywhere_default else _state.fast
        a = self._data
        if (
            lab is not SLOW
            and (a.__class__ is float or a.__class__ is int)
            and (other.__class__ is float or other.__class__ is int)
        ):
            try:
                r = other * a
            except OverflowError:
                return _record(_MUL, (other, self))
            return _with_constant(r, lab, _MUL, _const(other, lab), self)
        return _record(_MUL, (other, self))

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
        lab = None if _modes.everywhere_default else _state.fast
        a = self._data
        if lab is not SLOW and (a.__class__ is float or a.__class__ is int):
            out = _new(Value)
            # ops._relu, in line: 0 of the input's type below zero.
            out._data = a if a >= 0 else 0.0 if a.__class__ is float else 0
            out.grad = 0
            out.name = None
            out.layer = lab
            out._hooks = out._more = out._delta = out._p1 = None
            out._uses = 0
            out.requires_grad = self.requires_grad
            out._op = _RELU
            out._p0 = self
            self._uses += 1
            return out
        return _record(_RELU, (self,))

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

    def tan(self) -> Value:
        """Tangent (a float result)."""
        return _record(ops.tan, (self,))

    def atan(self) -> Value:
        """Arctangent (a float result)."""
        return _record(ops.atan, (self,))

    def asin(self) -> Value:
        """Arcsine (a float result); x must be in [-1, 1] (the derivative is infinite at ±1)."""
        return _record(ops.asin, (self,))

    def acos(self) -> Value:
        """Arccosine (a float result); x must be in [-1, 1] (the derivative is infinite at ±1)."""
        return _record(ops.acos, (self,))

    def sinh(self) -> Value:
        """Hyperbolic sine (a float result)."""
        return _record(ops.sinh, (self,))

    def cosh(self) -> Value:
        """Hyperbolic cosine (a float result)."""
        return _record(ops.cosh, (self,))

    def log2(self) -> Value:
        """Base-2 logarithm (a float result); x must be > 0."""
        return _record(ops.log2, (self,))

    def log10(self) -> Value:
        """Base-10 logarithm (a float result); x must be > 0."""
        return _record(ops.log10, (self,))

    def max(self, other: Operand) -> Value:
        """The larger of self and other; at a tie self wins and gets the δ (as relu = max(x, 0) at 0)."""
        return _record(ops.max, (self, other))

    def min(self, other: Operand) -> Value:
        """The smaller of self and other; at a tie self wins and gets the δ."""
        return _record(ops.min, (self, other))

    def clamp(self, lo: Number | None = None, hi: Number | None = None) -> Value:
        """x limited to [lo, hi] (a bound of None is no bound); the δ passes inside, bounds included."""
        if lo is None and hi is None:
            raise TypeError("clamp needs a bound: clamp(lo, hi), clamp(lo=0) or clamp(hi=1)")
        lo = None if lo is None else check_number(lo, "clamp(lo=...)")
        hi = None if hi is None else check_number(hi, "clamp(hi=...)")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clamp: lo must be <= hi, got lo={format_number(lo)} > hi={format_number(hi)}")
        return _record(ops.clamp.bind(lo=lo, hi=hi), (self,))

    def __mod__(self, other: Operand) -> Value:
        return _record(ops.mod, (self, other))

    def __rmod__(self, other: Operand) -> Value:
        return _record(ops.mod, (other, self))

    # --- conversions to plain numbers, and what a Value does not do -----------------------------

    def item(self) -> Number:
        """The plain number this Value holds, as `.data` (PyTorch's name for it): no δ flows through it."""
        return self._data

    # A Value converts to a plain number only when asked by name (`.data`, `.item()`): `float(v)`
    # is how `math.exp(v)` and friends read their argument, and the number they return is cut
    # from the graph, so every gradient through it would silently be missing.
    def __float__(self) -> float:
        raise TypeError(_conversion_refused(self, "float(v)"))

    def __int__(self) -> int:
        raise TypeError(_conversion_refused(self, "int(v)"))

    def __index__(self) -> int:
        raise TypeError(_conversion_refused(self, "using a Value as an integer (a list index, range(v))"))

    def __complex__(self) -> complex:
        raise TypeError(_conversion_refused(self, "complex(v)"))

    def __round__(self, ndigits: int | None = None) -> Number:
        return round(self._data, ndigits)

    def __format__(self, spec: str) -> str:
        # `f"{loss:.4f}"` formats the number; a bare `f"{loss}"` shows the whole Value.
        if not spec:
            return str(self)
        try:
            return format(self._data, spec)
        except (TypeError, ValueError):
            return format(float(self._data), spec)  # Fraction takes no float specs before Python 3.12

    def _no_order(self, other: Any) -> bool:
        raise TypeError(
            "Values are graph nodes and are not ordered; compare their numbers: `v.data > 0`, "
            "`max(values, key=lambda v: v.data)`"
        )

    __lt__ = __le__ = __gt__ = __ge__ = _no_order

    def __repr__(self) -> str:
        parts = [f"data={format_number(self._data)}", f"grad={_format_grad(self.grad)}"]
        if self.name is not None:
            parts.append(f"name={self.name!r}")
        if self._op is not None:
            parts.append(f"op={self._op.name!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __bool__(self) -> bool:
        raise TypeError("a Value has no truth value; compare its number instead, e.g. `if v.data >= 0:`")


class Parameter(Value):
    """A Value a model learns (a weight or a bias): what optimizers update and viz draws as a weight.

    It behaves exactly like a Value; the class only says what the number is for, so tools need not
    guess it from a name. `autodiff.learn` makes its weights and biases Parameters.
    """

    __slots__ = ()


Hook = Callable[[Any], Any]


class _PassedRoot(dict):  # type: ignore[type-arg]
    """The hooks of a Value a backward pass has started from (empty if it has none): its `_hooks`."""

    __slots__ = ()


_new = object.__new__
_new_value = _new
_ADD, _SUB, _MUL, _RELU = ops.add, ops.sub, ops.mul, ops.relu


def _record(prim: ops.Primitive, args: tuple[Operand, ...]) -> Value:
    """Run `prim` on Values and numbers and record the result as a node of the graph."""
    # The general path of every operation (the fast paths above cover int and float + - * relu):
    # unary and binary operations unpacked by hand, the rule is the same for every arity.
    n = len(args)
    if _modes.everywhere_default:
        lab, anomaly, recording, counting = None, False, True, True
    else:
        lab, anomaly, recording, counting = state.layer, state.anomaly, state.grad_enabled, state.counting
    more: tuple[Value, ...] | None
    p1: Value | None
    try:
        if n == 2:
            p0, p1 = args
            if not isinstance(p0, Value):
                p0 = _constant(p0, prim.name)
            if not isinstance(p1, Value):
                p1 = _constant(p1, prim.name)
            result = prim.forward(p0._data, p1._data)
            learns = p0.requires_grad or p1.requires_grad
            more = None
        elif n == 1:
            p0 = args[0]
            if not isinstance(p0, Value):
                p0 = _constant(p0, prim.name)
            p1 = more = None
            result = prim.forward(p0._data)
            learns = p0.requires_grad
        else:
            more = tuple(a if isinstance(a, Value) else _constant(a, prim.name) for a in args)
            p0 = p1 = None
            result = prim.forward(*[a._data for a in more])
            learns = any(a.requires_grad for a in more)
    except OverflowError as error:
        if str(error).startswith(f"{prim.name}:"):
            raise  # the forward rule named itself already
        raise OverflowError(f"{prim.name}: {_overflow_detail(args)}") from None
    if type(result) not in PLAIN_NUMBERS:
        result = _checked_result(result, prim, args)
    if anomaly:
        check_finite(result, prim.name, args)
    out = _new(Value)
    out._data = result
    out.grad = 0
    out.name = None
    out.layer = lab
    out._hooks = out._delta = None
    out._uses = 0
    if recording:
        # A node of constants keeps its operation and inputs too (it gets no δ), so a `Tape` can
        # recompute it from its leaves' current numbers; the fast paths above do the same.
        out.requires_grad = learns
        out._op = prim
        out._p0 = p0
        out._p1 = p1
        out._more = more
        if counting:  # not for a hook's operations during a backward pass, whose counts must not move
            if more is None:
                p0._uses += 1
                if p1 is not None:
                    p1._uses += 1
            else:
                for parent in more:
                    parent._uses += 1
    else:
        out.requires_grad = False
        out._op = out._p0 = out._p1 = out._more = None
    return out


def _overflow_detail(args: tuple[Operand, ...]) -> str:
    shown = ", ".join(brief_number(a._data if isinstance(a, Value) else a) for a in args)
    return (
        f"the inputs ({shown}) are too large for float arithmetic: an exact number this "
        "large has no float value; keep every input exact (int or Fraction) or scale it down"
    )


def _with_constant(result: Number, lab: str | None, prim: ops.Primitive, p0: Value, p1: Value) -> Value:
    """The node of `prim` on a Value and a number (one of p0, p1 is the constant made for it)."""
    out = _new(Value)
    out._data = result
    out.grad = 0
    out.name = None
    out.layer = lab
    out._hooks = out._more = out._delta = None
    out._uses = 0
    out.requires_grad = p0.requires_grad or p1.requires_grad
    out._op = prim
    out._p0 = p0
    out._p1 = p1
    p0._uses += 1
    p1._uses += 1
    return out


def _const(x: Number, lab: str | None) -> Value:
    """An int or float mixed into an expression: a leaf that receives no δ (`_constant` unchecked)."""
    c = _new(Value)
    c._data = x
    c.grad = 0
    c.name = None
    c.layer = lab
    c.requires_grad = False
    c._op = c._p0 = c._p1 = c._more = c._hooks = c._delta = None
    c._uses = 0
    return c


def _constant(x: Any, what: str) -> Value:
    """A plain number mixed into an expression, as a leaf that receives no δ."""
    return _const(check_number(x, what), state.layer)


# The math functions with a Value operation of their own, for the message of a refused conversion.
_MATH_TO_OPERATION = {
    "exp": "v.exp()",
    "log": "v.log()",
    "log2": "v.log2()",
    "log10": "v.log10()",
    "sqrt": "v.sqrt()",
    "sin": "v.sin()",
    "cos": "v.cos()",
    "tan": "v.tan()",
    "asin": "v.asin()",
    "acos": "v.acos()",
    "atan": "v.atan()",
    "sinh": "v.sinh()",
    "cosh": "v.cosh()",
    "tanh": "v.tanh()",
    "fabs": "abs(v)",
    "pow": "v ** y",
    "fmod": "v % y",
}


def _conversion_refused(v: Value, conversion: str) -> str:
    """The message for `float(v)` and the like: what it would cut, and what to write instead."""
    called = _math_call_in_caller()
    if called is not None:
        return (
            f"math.{called}(v) would cut the graph: it reads {_describe(v)} as a plain number through "
            f"{conversion}, and that number carries no δ back. Write {_MATH_TO_OPERATION[called]} "
            "instead, or read the number on purpose with v.data or v.item()"
        )
    return (
        f"{conversion} would cut the graph: {_describe(v)} is a node, and a plain number read "
        "from it carries no δ back (math.exp(v) would silently lose the gradient). Use the Value's own "
        "operations (v.exp(), v.log(), v.sin(), v.tan(), abs(v), v ** y, ...), or read the number on "
        "purpose with v.data or v.item()"
    )


def _math_call_in_caller() -> str | None:
    """The one `math.<name>(` with a Value operation on the line that asked for the conversion, if any."""
    import linecache
    import re
    import sys

    try:
        frame = sys._getframe(3)  # _math_call_in_caller < _conversion_refused < __float__ < the caller
    except ValueError:  # pragma: no cover - called from the interpreter's top level
        return None
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    names = {name for name in re.findall(r"\bmath\.(\w+)\s*\(", line) if name in _MATH_TO_OPERATION}
    return names.pop() if len(names) == 1 else None


def _check_flag(flag: object) -> bool:
    """`flag` if it is a bool; a TypeError otherwise (`requires_grad="no"` would be true)."""
    return check_bool(flag, "Value(requires_grad=...)")


def _describe(v: Value) -> str:
    """How errors name a Value: `the Value 'w2_1'`, or `a Value made by mul`, or `a leaf Value`."""
    if v.name:
        return f"the Value {v.name!r}"
    return f"a Value made by {v._op.name}" if v._op is not None else "a leaf Value"


class _HookHandle:
    """Returned by `register_hook`; `.remove()` unregisters this registration (and only this one)."""

    __slots__ = ("_hook", "_value")

    def __init__(self, value: Value, hook: Hook):
        self._value = value
        self._hook = hook

    def remove(self) -> None:
        """Stop calling the hook for this registration (a no-op the second time)."""
        hooks = self._value._hooks
        if hooks is not None:
            hooks.pop(self, None)


def _format_grad(g: Any) -> str:
    return f"<Value {format_number(g._data)}>" if isinstance(g, Value) else format_number(g)


def _checked_result(result: Any, prim: ops.Primitive, args: tuple[Operand, ...]) -> Number:
    """`result` if it is a real number; else a TypeError naming the input whose `.data` is wrong."""
    for i, a in enumerate(args):
        number = a._data if isinstance(a, Value) else a
        try:
            check_number(number)
        except TypeError:
            raise TypeError(
                f"{prim.name}: input {i} holds {type(number).__name__} {number!r}; "
                "a Value's .data must be a real number (int, float, Fraction)"
            ) from None
    return check_number(result, f"{prim.name} (its forward rule returned a non-number)")


def accumulate_grad(node: Value, delta: Any) -> None:
    """Add `delta` into `node.grad` (replacing a plain 0 or None, so a δ Value is not wrapped in `0 + δ`)."""
    current = node.grad
    if current is None or (not isinstance(current, Value) and current == 0):
        node.grad = delta
    else:
        node.grad = current + delta


_SUM_BY_ARITY: dict[int, ops.Primitive] = {}


def sum(values: Iterable[Operand]) -> Value:  # noqa: A001 - mirrors the builtin it replaces
    """Σ of `values` as one node (the articles' Σ w·x), with derivative 1 for every input."""
    items = values if values.__class__ is list else list(values)
    n = len(items)
    if n < 2:
        if not items:
            raise ValueError("autodiff.sum needs at least one value; for an empty sum write Value(0)")
        # One plain number is a constant, as the plain numbers of a longer sum are: no δ reaches it.
        return items[0] if isinstance(items[0], Value) else _constant(items[0], "sum")
    prim = _SUM_BY_ARITY.get(n)
    if prim is None:
        prim = _SUM_BY_ARITY[n] = ops.sum.bind(n=n)
    lab = None if _modes.everywhere_default else _state.fast
    if lab is not SLOW:
        # ops._sum in line (left to right), for Values holding ints and floats: a neuron's Σ w·x + b.
        total: Any = None
        learns = False
        for item in items:
            if not isinstance(item, Value):
                break
            d = item._data
            if d.__class__ is not float and d.__class__ is not int:
                break
            if item.requires_grad:
                learns = True
            total = d if total is None else total + d
        else:
            out = _new(Value)
            out._data = total
            out.grad = 0
            out.name = None
            out.layer = lab
            out._hooks = out._delta = out._p0 = out._p1 = None
            out._uses = 0
            out.requires_grad = learns
            out._op = prim
            out._more = tuple(items)
            for item in items:
                item._uses += 1
            return out
    return _record(prim, tuple(items))


def max(*values: Operand | Iterable[Operand]) -> Value:  # noqa: A001 - mirrors the builtin it replaces
    """The largest of `values` (`max(a, b, c)` or `max(list)`); at a tie the first gets the δ."""
    return _fold(ops.max, "max", values)


def min(*values: Operand | Iterable[Operand]) -> Value:  # noqa: A001 - mirrors the builtin it replaces
    """The smallest of `values` (`min(a, b, c)` or `min(list)`); at a tie the first gets the δ."""
    return _fold(ops.min, "min", values)


def _fold(prim: ops.Primitive, name: str, values: tuple[Any, ...]) -> Value:
    """`prim` applied left to right, as the builtin reads its arguments (one iterable, or several)."""
    if len(values) == 1 and not isinstance(values[0], Value):
        if not isinstance(values[0], Iterable):
            raise TypeError(
                f"autodiff.{name} takes Values or numbers, or one list of them; got {_shown(values[0])}"
            )
        values = tuple(values[0])
    if not values:
        raise ValueError(f"autodiff.{name} needs at least one value")
    first = values[0]
    result = first if isinstance(first, Value) else _constant(first, name)
    for v in values[1:]:
        result = _record(prim, (result, v))
    return result


def _shown(x: Any) -> str:
    return f"{type(x).__name__} {brief_number(x)}" if isinstance(x, int) else f"{type(x).__name__} {x!r}"[:80]


def zero_grad(values: Value | Iterable[Value]) -> None:
    """Set `.grad` to 0 on each Value of `values` (a list of parameters) or on a whole graph."""
    if isinstance(values, Value):
        values.zero_grad()
        return
    if not isinstance(values, Iterable):
        raise TypeError(
            f"zero_grad expects a Value or a list of Values (e.g. model.parameters()), "
            f"got {type(values).__name__}"
        )
    for v in values:
        if not isinstance(v, Value):
            raise TypeError(f"zero_grad expects Values, got {type(v).__name__}")
        v.grad = 0

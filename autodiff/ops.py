"""The table of primitives: each operation's forward rule and its local derivatives, in one place.

A primitive is a name, a `forward` on plain numbers, and one *local derivative* per input,
∂out/∂input_i, written as a function of the inputs and the output: `(x, y, out) -> number`.
The backward pass multiplies each local derivative by the δ arriving at `out` and adds the product
into the input's δ — the same chain rule for every primitive (see `autodiff.backward`).

Rules for writing a local derivative (they keep exact numbers exact and allow higher orders):
- its arguments are plain numbers during an ordinary backward pass and `Value`s during
  `backward(create_graph=True)`, so use only `+ - *`, unary `-` and the primitives below
  (`div(a, b)` and `pow(a, b)` instead of `a / b` and `a ** b`, which turn ints into floats);
- `data(x)` gives the plain number behind either kind, for decisions such as ReLU's side.

Adding an operation is one `primitive(...)` call, and calling it on Values records it; the
derivative tests (`tests/test_ops.py`, `tests/test_higher_order.py`) run over this table.
"""

from __future__ import annotations

import builtins
import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

from .exact import Number, brief_number, exact_div, exact_pow, format_number, zero_like

Derivative = Callable[..., Any]

PRIMITIVES: dict[str, Primitive] = {}
"""Every registered primitive by name: the label used in drawings, errors and test ids."""


class Primitive:
    """A named operation: `forward` on plain numbers plus one local derivative per input.

    A primitive with parameters (a slope, a number of inputs) is registered once; `bind(**params)`
    gives the operation with those parameters fixed, and that bound primitive is what a node
    records. Its `params` are passed to the forward and to every local derivative as keywords.
    """

    __slots__ = (
        "_bound",
        "_fast",
        "arity",
        "base",
        "derivatives",
        "forward",
        "name",
        "param_names",
        "params",
    )

    def __init__(
        self,
        name: str,
        forward: Callable[..., Number],
        derivatives: tuple[Derivative, ...],
        *,
        param_names: tuple[str, ...] = (),
        params: dict[str, Any] | None = None,
        base: Primitive | None = None,
    ):
        self.name = name
        self.forward = forward
        self.derivatives = derivatives
        self.arity = len(derivatives)
        self.param_names = param_names
        self.params: dict[str, Any] = params or {}
        self.base = base if base is not None else self
        self._bound: dict[tuple[Any, ...], Primitive] = {}
        # The Value method with an in-line fast path for this operation (add, sub, mul, relu), if any.
        self._fast: Callable[..., Any] | None = None

    def local_derivative(self, index: int, inputs: Sequence[Any], out: Any) -> Any:
        """∂out/∂inputs[index]: the one calling convention of every rule, `rule(*inputs, out)`."""
        return self.derivatives[index](*inputs, out)

    def bind(self, **params: Any) -> Primitive:
        """This operation with its parameters fixed (cached: equal parameters give the same object)."""
        if self.base is not self:
            return self.base.bind(**{**self.params, **params})
        if set(params) != set(self.param_names):
            expected = ", ".join(self.param_names) or "no parameters"
            given = ", ".join(params) or "none"
            raise TypeError(f"{self.name} takes the parameters ({expected}), got ({given})")
        key = tuple((k, type(params[k]), params[k]) for k in self.param_names)
        found = self._bound.get(key)
        if found is None:
            make = self.derivatives[0]
            # A rule factory: the parameters decide the derivatives (and, for `sum`, how many).
            derivatives = (
                tuple(make(**params))
                if self.arity == 1 and _is_factory(make)
                else tuple(functools.partial(rule, **params) for rule in self.derivatives)
            )
            found = Primitive(
                self.name, functools.partial(self.forward, **params), derivatives, params=params, base=self
            )
            self._bound[key] = found
        return found

    def __call__(self, *args: Any, **params: Any) -> Any:
        """Apply to plain numbers (giving a number) or to Values (giving a recorded Value)."""
        fast = self._fast
        if fast is not None and not params and len(args) == self.arity and isinstance(args[0], _value.Value):
            return fast(*args)
        if params or (self.param_names and self.base is self):
            return self.bind(**params)(*args)
        if len(args) != self.arity:
            raise TypeError(f"{self.name} takes {self.arity} input(s), got {len(args)}")
        for a in args:
            if isinstance(a, _value.Value):
                return _value._record(self, args)
        return self.forward(*args)

    def __repr__(self) -> str:
        shown = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"<primitive {self.name}/{self.arity}{shown}>"


def _is_factory(rule: Derivative) -> bool:
    return getattr(rule, "_derivative_factory", False)


def derivative_factory(make: Callable[..., Sequence[Derivative]]) -> Callable[..., Sequence[Derivative]]:
    """Mark `make(**params) -> [rule, ...]` as giving a parametrised primitive's derivatives."""
    make._derivative_factory = True  # type: ignore[attr-defined]
    return make


def primitive(
    name: str, forward: Callable[..., Number], *derivatives: Derivative, params: Sequence[str] = ()
) -> Primitive:
    """Register a new operation: its forward on plain numbers and one local derivative per input.

    With `params=("slope",)` the forward and the derivatives take `slope` as a keyword, and
    `prim(x, slope=0.1)` records the operation with that slope.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"a primitive's name must be an identifier such as 'softplus', got {name!r}")
    if name in PRIMITIVES:
        raise ValueError(f"a primitive named {name!r} already exists; choose another name")
    if not callable(forward):
        raise TypeError(f"primitive {name!r}: forward must be callable, got {type(forward).__name__}")
    if not derivatives:
        raise TypeError(f"primitive {name!r}: give one local derivative per input (at least one)")
    for i, d in enumerate(derivatives):
        if not callable(d):
            raise TypeError(f"primitive {name!r}: derivative {i} must be callable, got {type(d).__name__}")
    names = tuple(params)
    for p in names:
        if not isinstance(p, str) or not p.isidentifier():
            raise ValueError(f"primitive {name!r}: parameter names must be identifiers, got {p!r}")
    prim = Primitive(name, forward, tuple(derivatives), param_names=names)
    PRIMITIVES[name] = prim
    return prim


def data(x: Any) -> Number:
    """The plain number behind a Value, or the number itself."""
    return x.data if isinstance(x, _value.Value) else x


# --- forward rules that need more than one Python operator --------------------------------------


def _relu(x: Number) -> Number:
    # The articles' rule: L3(x) = x if x >= 0 else 0.
    return x if x >= 0 else zero_like(x)


def _exp(x: Number) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: exp({brief_number(x)}) is too large for a float") from None


def _log(x: Number) -> float:
    if x <= 0:
        raise ValueError(f"log: the input must be > 0, got {format_number(x)}")
    return math.log(x)


def _sqrt(x: Number) -> float:
    if x < 0:
        raise ValueError(f"sqrt: the input must be >= 0, got {format_number(x)}")
    return math.sqrt(x)


def _sum(*xs: Number, n: int) -> Number:
    # Left to right, as a chain of `+` would add them (Python 3.12's builtin sum of floats does not).
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    return total


def _softplus(x: Number) -> float:
    # log(1 + e**x) written so that neither exp nor log overflows for large |x|.
    return builtins.max(float(x), 0.0) + math.log1p(math.exp(-math.fabs(x)))


def _leaky_relu(x: Number, *, slope: Number) -> Number:
    return x if x >= 0 else slope * x


def _sigmoid(x: Number) -> float:
    # Two forms so that exp never overflows, whatever the sign of x.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


_LN2 = math.log(2)  # the derivatives of log2 and log10: 1 / (x · ln 2), 1 / (x · ln 10)
_LN10 = math.log(10)


def _log_base(x: Number, *, name: str, base: Callable[[Any], float]) -> float:
    if x <= 0:
        raise ValueError(f"{name}: the input must be > 0, got {format_number(x)}")
    return base(x)


def _log2(x: Number) -> float:
    return _log_base(x, name="log2", base=math.log2)


def _log10(x: Number) -> float:
    return _log_base(x, name="log10", base=math.log10)


def _arc(x: Number, *, name: str, arc: Callable[[Any], float]) -> float:
    if not -1 <= x <= 1:
        raise ValueError(f"{name}: the input must be in [-1, 1], got {format_number(x)}")
    return arc(x)


def _asin(x: Number) -> float:
    return _arc(x, name="asin", arc=math.asin)


def _acos(x: Number) -> float:
    return _arc(x, name="acos", arc=math.acos)


def _hyperbolic(x: Number, *, name: str, f: Callable[[Any], float]) -> float:
    try:
        return f(x)
    except OverflowError:
        raise OverflowError(f"{name}: {name}({brief_number(x)}) is too large for a float") from None


def _sinh(x: Number) -> float:
    return _hyperbolic(x, name="sinh", f=math.sinh)


def _cosh(x: Number) -> float:
    return _hyperbolic(x, name="cosh", f=math.cosh)


def _max(x: Number, y: Number) -> Number:
    # At a tie the first input wins (and gets the δ), as relu = max(x, 0) passes the δ at x = 0.
    return x if x >= y else y


def _min(x: Number, y: Number) -> Number:
    return x if x <= y else y


def _clamp(x: Number, *, lo: Number | None, hi: Number | None) -> Number:
    # A clipped float stays a float (clamp(0.5, 1, 2) is 1.0), as relu's 0 keeps its input's type.
    if lo is not None and x < lo:
        return float(lo) if x.__class__ is float else lo
    if hi is not None and x > hi:
        return float(hi) if x.__class__ is float else hi
    return x


def _mod(x: Number, y: Number) -> Number:
    # Python's %: the result has the sign of y, and x == (x // y) * y + x % y.
    if y == 0:
        raise ZeroDivisionError(f"mod: {format_number(x)} % 0, the divisor is 0")
    return x % y


# --- local derivatives that need a decision -----------------------------------------------------


def _d_pow_base(x: Any, y: Any, out: Any) -> Any:
    base, exponent = data(x), data(y)
    if base == 0:
        if exponent == 0 or exponent >= 1:
            # x**0 is flat; for y >= 1, y·x**(y-1) at 0 is y·0**(y-1), written so that 0**0 = 1.
            return y * pow(x, y - 1) if exponent >= 1 else 0
        raise ZeroDivisionError(f"pow: the derivative of x ** {format_number(exponent)} at x = 0 is infinite")
    # Kept as an expression of y even at y = 0, so that ∂²(x**y)/∂y∂x = 1/x there.
    return y * pow(x, y - 1)


def _d_pow_exponent(x: Any, y: Any, out: Any) -> Any:
    base = data(x)
    if base > 0:
        return out * log(x)
    if base == 0 and data(y) > 0:
        return 0
    raise ValueError(
        f"pow: the gradient with respect to the exponent needs a positive base, got "
        f"{format_number(base)}; make the exponent a plain number if it is not learned"
    )


def _d_sqrt(x: Any, out: Any) -> Any:
    if data(out) == 0:
        raise ZeroDivisionError("sqrt: the derivative at 0 is infinite")
    return div(0.5, out)


def _d_asin(x: Any, out: Any) -> Any:
    if not -1 < data(x) < 1:
        raise ZeroDivisionError(f"asin: the derivative at {format_number(data(x))} is infinite")
    return div(1, sqrt(1 - x * x))


def _d_acos(x: Any, out: Any) -> Any:
    if not -1 < data(x) < 1:
        raise ZeroDivisionError(f"acos: the derivative at {format_number(data(x))} is infinite")
    return -div(1, sqrt(1 - x * x))


def _d_mod_divisor(x: Any, y: Any, out: Any) -> Any:
    # x % y = x - floor(x / y)·y, with floor(x / y) constant between the jumps.
    return -(data(x) // data(y))


def _d_clamp(x: Any, out: Any, *, lo: Any, hi: Any) -> int:
    # Inside [lo, hi], the bounds included, the δ passes (relu, a clamp at 0, passes it at 0).
    v = data(x)
    return 0 if (lo is not None and v < lo) or (hi is not None and v > hi) else 1


def _sign(x: Any, out: Any) -> int:
    v = data(x)
    return 1 if v > 0 else -1 if v < 0 else 0


# --- the table ----------------------------------------------------------------------------------
#   name          forward                    ∂out/∂input for each input, from (inputs..., out)

div: Primitive  # named before the table: their derivatives call them (declared for type checkers)
cos: Primitive
cosh: Primitive
add = primitive("add", lambda x, y: x + y, lambda x, y, out: 1, lambda x, y, out: 1)
sub = primitive("sub", lambda x, y: x - y, lambda x, y, out: 1, lambda x, y, out: -1)
mul = primitive("mul", lambda x, y: x * y, lambda x, y, out: y, lambda x, y, out: x)
div = primitive("div", exact_div, lambda x, y, out: div(1, y), lambda x, y, out: -div(out, y))
pow = primitive("pow", exact_pow, _d_pow_base, _d_pow_exponent)  # noqa: A001 - the op's name
neg = primitive("neg", lambda x: -x, lambda x, out: -1)
abs = primitive("abs", lambda x: x if x >= 0 else -x, _sign)  # noqa: A001 - the op's name
identity = primitive("identity", lambda x: x, lambda x, out: 1)
# ReLU passes the δ where its input is >= 0, as in the articles (PyTorch and JAX use 0 at x = 0).
relu = primitive("relu", _relu, lambda x, out: 1 if data(x) >= 0 else 0)
exp = primitive("exp", _exp, lambda x, out: out)
log = primitive("log", _log, lambda x, out: div(1, x))
sqrt = primitive("sqrt", _sqrt, _d_sqrt)
tanh = primitive("tanh", math.tanh, lambda x, out: 1 - out * out)
sigmoid = primitive("sigmoid", _sigmoid, lambda x, out: out * (1 - out))
sin = primitive("sin", math.sin, lambda x, out: cos(x))
cos = primitive("cos", math.cos, lambda x, out: -sin(x))
softplus = primitive("softplus", _softplus, lambda x, out: sigmoid(x))
tan = primitive("tan", math.tan, lambda x, out: 1 + out * out)
atan = primitive("atan", math.atan, lambda x, out: div(1, 1 + x * x))
asin = primitive("asin", _asin, _d_asin)
acos = primitive("acos", _acos, _d_acos)
sinh = primitive("sinh", _sinh, lambda x, out: cosh(x))
cosh = primitive("cosh", _cosh, lambda x, out: sinh(x))
log2 = primitive("log2", _log2, lambda x, out: div(1, x * _LN2))
log10 = primitive("log10", _log10, lambda x, out: div(1, x * _LN10))
# Binary max and min: at a tie the first input gets the δ (see `_max`).
max = primitive(  # noqa: A001 - the op's name
    "max",
    _max,
    lambda x, y, out: 1 if data(x) >= data(y) else 0,
    lambda x, y, out: 0 if data(x) >= data(y) else 1,
)
min = primitive(  # noqa: A001 - the op's name
    "min",
    _min,
    lambda x, y, out: 1 if data(x) <= data(y) else 0,
    lambda x, y, out: 0 if data(x) <= data(y) else 1,
)
# x % y as Python computes it; ∂/∂x = 1 and ∂/∂y = −floor(x / y), away from the jumps.
mod = primitive("mod", _mod, lambda x, y, out: 1, _d_mod_divisor)
# Parametrised by its bounds (either may be None): `clamp(x, lo=0, hi=1)`.
clamp = primitive("clamp", _clamp, _d_clamp, params=("lo", "hi"))
# Parametrised: one primitive, bound to a slope per use (`leaky_relu(x, slope=0.01)`).
leaky_relu = primitive(
    "leaky_relu", _leaky_relu, lambda x, out, *, slope: 1 if data(x) >= 0 else slope, params=("slope",)
)


@derivative_factory
def _sum_rules(*, n: int) -> list[Derivative]:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"sum needs at least one input, got n={n!r}")
    return [lambda *inputs_and_out: 1] * n


# n inputs, one node (the Σ of a neuron), ∂out/∂input_i = 1 for each; `sum(*xs, n=len(xs))`.
sum = primitive("sum", _sum, _sum_rules, params=("n",))  # noqa: A001 - the op's name

# Imported last: `value` reads the table above (add, mul, ...) while it loads.
from . import value as _value  # noqa: E402

add._fast, sub._fast, mul._fast, relu._fast = (
    _value.Value.__add__,
    _value.Value.__sub__,
    _value.Value.__mul__,
    _value.Value.relu,
)

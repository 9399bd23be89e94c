"""Random programs over the primitive table, and independent references to check them against.

A *program* is a list of steps over numbered nodes: the leaves first, then one node per step, each
step a primitive applied to earlier nodes (reused freely, so graphs have fan-out) or to plain
constants. The output is the `sum` of a few nodes. Programs are drawn by hypothesis as raw choices
and then *realised*: the choices are run on plain numbers and a domain guard rewrites a step whose
input would leave its domain (log of a negative number, a division by ~0, a kink of relu at 0 in
float mode...) into a few valid steps. The realised program is then replayed by each backend
(autodiff Values, PyTorch tensors, the dual-number references below) with the same structure.

With `static=True` the guards do not look at the numbers (log always gets x·x + 1/4, ...), so the
program stays valid when its leaves later change: what the Tape tests need.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from autodiff import ops

# Every run checks the same programs (derandomize) and remembers nothing between runs (database
# off). AUTODIFF_SOAK=10 multiplies every example count by 10 for a longer search (and 0.05 divides
# it by 20, for the mutation check's many short runs).
SOAK = float(os.environ.get("AUTODIFF_SOAK", "1"))


def examples(n: int, *, shrink: bool = True) -> settings:
    """Hypothesis settings for a property run of `n` programs (times AUTODIFF_SOAK)."""
    # `shrink=False` for a known failure (an xfail): finding one is enough, shrinking it is slow.
    phases = list(Phase) if shrink else [Phase.explicit, Phase.reuse, Phase.generate]
    return settings(
        phases=phases,
        max_examples=max(1, int(n * SOAK)),
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


FLOAT_UNARY = ("neg", "abs", "identity", "relu", "exp", "log", "sqrt", "tanh", "sigmoid", "sin", "cos",
               "softplus", "leaky_relu", "tan", "atan", "asin", "acos", "sinh", "cosh", "log2", "log10",
               "clamp")  # fmt: skip
EXACT_UNARY = ("neg", "abs", "identity", "relu", "leaky_relu", "clamp")
BINARY = ("add", "sub", "mul", "div", "pow", "max", "min", "mod")
FLOAT_OPS = (*BINARY, *FLOAT_UNARY, "sum")
EXACT_OPS = (*BINARY, *EXACT_UNARY, "sum")
KINKS = ("relu", "abs", "leaky_relu", "clamp")


@dataclass(frozen=True)
class Const:
    """A plain number mixed into an operation (it becomes a leaf that receives no δ)."""

    value: Any


@dataclass(frozen=True)
class Step:
    op: str
    args: tuple[int | Const, ...]
    slope: Any = None  # leaky_relu's parameter
    bounds: Any = None  # clamp's (lo, hi), either may be None


@dataclass(frozen=True)
class Program:
    leaves: tuple[Any, ...]
    steps: tuple[Step, ...]
    outputs: tuple[int, ...]
    exact: bool

    def __str__(self) -> str:
        lines = [f"x{i} = {v!r}" for i, v in enumerate(self.leaves)]
        k = len(self.leaves)
        for j, s in enumerate(self.steps):
            args = ", ".join(repr(a.value) if isinstance(a, Const) else f"x{a}" for a in s.args)
            extra = f", slope={s.slope!r}" if s.slope is not None else ""
            if s.bounds is not None:
                extra = f", lo={s.bounds[0]!r}, hi={s.bounds[1]!r}"
            lines.append(f"x{k + j} = {s.op}({args}{extra})")
        lines.append("out = sum(" + ", ".join(f"x{i}" for i in self.outputs) + ")")
        return "\n".join(lines)


# --- drawing --------------------------------------------------------------------------------------

# Tiny magnitudes (1e-300) only overflow the reciprocals in the derivatives (x ** -2): leave them out.
FLOAT_LEAF = st.floats(-3, 3, allow_nan=False, allow_subnormal=False).map(
    lambda x: 0.0 if abs(x) < 1e-3 else x
)
EXACT_LEAF = st.one_of(
    st.integers(-5, 5),
    st.builds(Fraction, st.integers(-9, 9), st.integers(1, 6)),
)
FLOAT_CONST = st.sampled_from([0.5, -1.25, 2.0, 3, -2, 0.1])
EXACT_CONST = st.sampled_from([2, -3, 1, Fraction(1, 2), Fraction(-7, 3)])
FLOAT_SLOPE = st.sampled_from([0.01, 0.2, -0.5, 1.5])
EXACT_SLOPE = st.sampled_from([Fraction(1, 100), Fraction(1, 5), Fraction(-1, 2), 2])
FLOAT_BOUNDS = st.sampled_from([(-1.0, 1.0), (0.0, 2.0), (-0.5, 0.25), (None, 0.5), (-2.0, None)])
EXACT_BOUNDS = st.sampled_from(
    [
        (Fraction(-1, 2), Fraction(1, 2)),
        (0, 2),
        (None, Fraction(1, 3)),
        (-1, None),
        (Fraction(1, 4), Fraction(1, 4)),
    ]
)
INT_EXPONENT = st.integers(-2, 3)
FLOAT_EXPONENT = st.sampled_from([0.5, -0.5, 1.5, 2.5])


@st.composite
def raw_program(draw: Any, *, exact: bool, n_leaves: int = 3, max_steps: int = 8) -> tuple[list, list]:
    """Leaves and raw steps: (op, [operand choices], extra choice) before the guards."""
    leaf = EXACT_LEAF if exact else FLOAT_LEAF
    leaves = [draw(leaf) for _ in range(draw(st.integers(1, n_leaves)))]
    names = EXACT_OPS if exact else FLOAT_OPS
    raw = []
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(names))
        arity = draw(st.integers(1, 4)) if op == "sum" else 2 if op in BINARY else 1
        operands = []
        for _ in range(arity):
            # An operand: a node counted back from the newest (reuse), or sometimes a constant.
            if op in BINARY and draw(st.integers(0, 5)) == 0:
                operands.append(Const(draw(EXACT_CONST if exact else FLOAT_CONST)))
            else:
                operands.append(draw(st.integers(0, 30)))
        if len(operands) == 2 and all(isinstance(a, Const) for a in operands):
            operands[1] = 0  # an operation on two constants would not be a node of the graph
        if op == "leaky_relu":
            extra: Any = draw(EXACT_SLOPE if exact else FLOAT_SLOPE)
        elif op == "clamp":
            extra = draw(EXACT_BOUNDS if exact else FLOAT_BOUNDS)
        elif op == "pow":
            kinds = ("int",) if exact else ("int", "float", "node")
            kind = draw(st.sampled_from(kinds))
            extra = (kind, draw(INT_EXPONENT) if kind == "int" else draw(FLOAT_EXPONENT))
        else:
            extra = None
        raw.append((op, operands, extra))
    n_outputs = draw(st.integers(1, 3))
    outputs = [draw(st.integers(0, 30)) for _ in range(n_outputs)]
    return leaves, raw, outputs


# --- realising: the guards ------------------------------------------------------------------------


def plain(step: Step, values: Sequence[Any]) -> Any:
    """The step's number, computed by the primitive's forward on plain numbers."""
    args = [a.value if isinstance(a, Const) else values[a] for a in step.args]
    if step.op == "leaky_relu":
        return ops.leaky_relu(*args, slope=step.slope)
    if step.op == "clamp":
        return ops.clamp(*args, lo=step.bounds[0], hi=step.bounds[1])
    if step.op == "sum":
        return ops.sum(*args, n=len(args))
    return ops.PRIMITIVES[step.op](*args)


class _Builder:
    def __init__(self, leaves: Sequence[Any], exact: bool, static: bool):
        self.values = list(leaves)
        self.k = len(leaves)
        self.steps: list[Step] = []
        self.exact = exact
        self.static = static

    def emit(self, op: str, *args: int | Const, slope: Any = None, bounds: Any = None) -> int:
        step = Step(op, tuple(args), slope, bounds)
        self.values.append(plain(step, self.values))
        self.steps.append(step)
        return len(self.values) - 1

    def value(self, a: int | Const) -> Any:
        return a.value if isinstance(a, Const) else self.values[a]

    def positive(self, a: int | Const, small: float = 0.1) -> int | Const:
        """`a`, or a·a + 1/4 when `a` may be <= small (always, for static guards)."""
        if isinstance(a, Const):
            return a if a.value > small else Const(0.75)
        if not self.static and self.values[a] > small:
            return a
        quarter = Const(Fraction(1, 4) if self.exact else 0.25)
        return self.emit("add", self.emit("mul", a, a), quarter)

    def away_from_zero(self, a: int | Const) -> int | Const:
        if isinstance(a, Const):
            return a
        if self.static or abs(self.values[a]) < 0.1:
            half = Const(Fraction(1, 2) if self.exact else 0.5)
            return self.emit("add", self.emit("mul", a, a), half)
        return a

    def off(self, a: int | Const, kinks: Sequence[Any]) -> int | Const:
        """`a`, moved by a constant when it is within 1e-6 of a kink (float, value-dependent guards only)."""
        if self.exact or self.static or isinstance(a, Const):
            return a
        for shift in (0, 0.375, -0.625):
            if all(abs(self.values[a] + shift - k) > 1e-3 for k in kinks):
                return a if shift == 0 else self.emit("add", a, Const(shift))
        return a  # pragma: no cover - three shifts cannot all land on the kinks

    def _off_jump(self, a: int, b: int | Const) -> int:
        """`a`, moved so that a / b is not within 1e-6 of an integer, where x % y jumps."""
        y = self.value(b)
        for shift in (0, 0.375, 0.15625):
            q = (self.values[a] + shift) / y
            if abs(q - round(q)) > 1e-4:
                return a if shift == 0 else self.emit("add", a, Const(shift))
        return a  # pragma: no cover - the shifts differ in their fractions of y

    def tame(self, node: int) -> int:
        """Keep numbers moderate (value-dependent guards only): rescale a node that grew large."""
        v = self.values[node]
        if self.static:
            return node
        if self.exact:
            f = Fraction(v)
            if abs(f.numerator) > 10**9 or f.denominator > 10**9:
                return self.emit("div", node, Const(v)) if v != 0 else node
            return node
        if abs(v) > 1e3:
            return self.emit("div", node, Const(v))
        return node

    def step(self, op: str, operands: list, extra: Any) -> None:
        n = len(self.values)
        args = [a if isinstance(a, Const) else n - 1 - (a % n) for a in operands]
        if op in KINKS and not self.exact and not self.static:
            # PyTorch's derivative at a kink differs by design (0 for relu at 0): stay away from it.
            x = args[0]
            if op == "clamp":  # its kinks are at its bounds
                x = self.off(x, [b for b in extra if b is not None])
                self.tame(self.emit(op, x, bounds=extra))
                return
            if abs(self.values[x]) < 1e-6:
                x = self.emit("add", x, Const(0.5)) if abs(self.values[x] + 0.5) > 1e-3 else x
            self.tame(self.emit(op, x, slope=extra))
        elif op == "clamp":
            self.tame(self.emit(op, args[0], bounds=extra))
        elif op in ("log", "sqrt", "log2", "log10"):
            self.tame(self.emit(op, self.positive(args[0], 0.01)))
        elif op in ("exp", "sinh", "cosh", "tan"):
            # tan: |tanh x| < 1 stays clear of the poles at ±π/2.
            x = args[0]
            if self.static or abs(self.values[x]) > (1.2 if op == "tan" else 5):
                x = self.emit("tanh", x)
            self.tame(self.emit(op, x))
        elif op in ("asin", "acos"):
            x = args[0]
            if self.static or abs(self.values[x]) > 0.9:  # inside (-1, 1), where the derivative is finite
                x = self.emit("mul", self.emit("tanh", x), Const(Fraction(9, 10) if self.exact else 0.9))
            self.tame(self.emit(op, x))
        elif op in ("max", "min"):
            a, b = args
            if not self.exact and not self.static and abs(self.value(a) - self.value(b)) < 1e-6:
                # PyTorch splits the δ of a tie in halves; the project gives it to the first input.
                if isinstance(a, Const):
                    b = self.off(b, [a.value])
                else:
                    a = self.off(a, [self.value(b)])
            self.tame(self.emit(op, a, b))
        elif op == "mod":
            a, b = args[0], self.away_from_zero(args[1])
            if not self.exact and not self.static and not isinstance(a, Const):
                a = self._off_jump(a, b)
            self.tame(self.emit("mod", a, b))
        elif op == "div":
            self.tame(self.emit("div", args[0], self.away_from_zero(args[1])))
        elif op == "pow":
            self._pow(args, extra)
        else:
            self.tame(self.emit(op, *args, slope=extra))

    def _pow(self, args: list, extra: tuple[str, Any]) -> None:
        kind, e = extra
        base = args[0]
        if kind == "int":
            if isinstance(base, Const):
                base = len(self.values) - 1
            if e < 0:
                base = self.away_from_zero(base)
            self.tame(self.emit("pow", base, Const(e)))
        elif kind == "float":
            if isinstance(base, Const):
                base = len(self.values) - 1
            self.tame(self.emit("pow", self.positive(base), Const(e)))
        else:  # a learned exponent: base > 0, exponent squashed into (-1, 1)
            exponent = args[1] if not isinstance(args[1], Const) else len(self.values) - 1
            exponent = self.emit("tanh", exponent)
            if not self.static and abs(self.values[exponent]) < 1e-6:
                # PyTorch's pow has no δ through its base at exponent 0, so ∂²/∂x∂y is 0 there, not 1/x.
                exponent = self.emit("add", exponent, Const(0.5))
            self.tame(self.emit("pow", self.positive(base), exponent))


def realise(leaves: Sequence[Any], raw: list, outputs: list, *, exact: bool, static: bool = False) -> Program:
    """The raw choices as a valid program (guards inserted), with its output nodes."""
    b = _Builder(leaves, exact, static)
    for op, operands, extra in raw:
        b.step(op, operands, extra)
    n = len(b.values)
    outs = tuple(sorted({n - 1 - (o % n) for o in outputs} | {n - 1}))
    return Program(tuple(leaves), tuple(b.steps), outs, exact)


@st.composite
def programs(draw: Any, *, exact: bool, static: bool = False, **sizes: int) -> Program:
    leaves, raw, outputs = draw(raw_program(exact=exact, **sizes))
    return realise(leaves, raw, outputs, exact=exact, static=static)


# --- running a program on a backend ---------------------------------------------------------------


def run(program: Program, leaves: Sequence[Any], apply: Callable[[Step, list[Any]], Any]) -> Any:
    """Evaluate `program` from `leaves` with `apply(step, operands)`; return the output."""
    nodes = list(leaves)
    for step in program.steps:
        operands = [a.value if isinstance(a, Const) else nodes[a] for a in step.args]
        nodes.append(apply(step, operands))
    outs = [nodes[i] for i in program.outputs]
    return outs[0] if len(outs) == 1 else apply(Step("sum", ()), outs)


def apply_autodiff(step: Step, operands: list[Any]) -> Any:
    """A step on Values, through the primitive table (constants stay plain numbers)."""
    if step.op == "leaky_relu":
        return ops.leaky_relu(*operands, slope=step.slope)
    if step.op == "clamp":
        return ops.clamp(*operands, lo=step.bounds[0], hi=step.bounds[1])
    if step.op == "sum":
        return ops.sum(*operands, n=len(operands))
    return ops.PRIMITIVES[step.op](*operands)


# --- an independent reference: second-order forward mode (value, gradient, Hessian) ----------------


class Jet:
    """A number with its gradient and Hessian with respect to k seeds, propagated forwards.

    Written from the textbook chain rule, independently of autodiff's table: for u = f(v),
    ∇u = f'(v)∇v and ∇²u = f'(v)∇²v + f''(v)∇v∇vᵀ. Over Fractions every step is exact.
    """

    __slots__ = ("g", "h", "v")

    def __init__(self, v: Any, g: tuple, h: tuple):
        self.v, self.g, self.h = v, g, h

    @staticmethod
    def seed(values: Sequence[Any]) -> list[Jet]:
        k = len(values)
        zero = tuple(tuple(0 for _ in range(k)) for _ in range(k))
        return [Jet(v, tuple(1 if i == j else 0 for j in range(k)), zero) for i, v in enumerate(values)]

    @staticmethod
    def const(c: Any, k: int) -> Jet:
        return Jet(c, (0,) * k, tuple((0,) * k for _ in range(k)))

    def chain(self, f: Any, d1: Any, d2: Any) -> Jet:
        g = tuple(d1 * a for a in self.g)
        k = range(len(g))
        h = tuple(tuple(d1 * self.h[i][j] + d2 * self.g[i] * self.g[j] for j in k) for i in k)
        return Jet(f, g, h)

    def __add__(self, o: Jet) -> Jet:
        return Jet(
            self.v + o.v, _vadd(self.g, o.g), tuple(_vadd(a, b) for a, b in zip(self.h, o.h, strict=True))
        )

    def __neg__(self) -> Jet:
        return self.chain(-self.v, -1, 0)

    def __sub__(self, o: Jet) -> Jet:
        return self + (-o)

    def __mul__(self, o: Jet) -> Jet:
        k = len(self.g)
        g = tuple(self.v * o.g[i] + o.v * self.g[i] for i in range(k))
        h = tuple(
            tuple(
                self.v * o.h[i][j] + o.v * self.h[i][j] + self.g[i] * o.g[j] + o.g[i] * self.g[j]
                for j in range(k)
            )
            for i in range(k)
        )
        return Jet(self.v * o.v, g, h)

    def reciprocal(self) -> Jet:
        v = self.v
        one = 1 if isinstance(v, float) else Fraction(1)
        return self.chain(one / v, -one / (v * v), 2 * one / (v * v * v))

    def power(self, n: int) -> Jet:
        v = self.v
        if n < 0:
            return self.reciprocal().power(-n)
        f = v**n
        d1 = n * v ** (n - 1) if n >= 1 else 0
        d2 = n * (n - 1) * v ** (n - 2) if n >= 2 else 0
        return self.chain(f, d1, d2)


def _constant(x: Jet) -> bool:
    return not any(x.g) and not any(any(row) for row in x.h)


def _vadd(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _float_unary(name: str, v: float) -> tuple[float, float, float]:
    """(f, f', f'') of a float primitive at v, from the calculus textbook."""
    if name == "exp":
        e = math.exp(v)
        return e, e, e
    if name == "log":
        return math.log(v), 1 / v, -1 / (v * v)
    if name == "sqrt":
        r = math.sqrt(v)
        return r, 0.5 / r, -0.25 / (r * v)
    if name == "tanh":
        t = math.tanh(v)
        return t, 1 - t * t, -2 * t * (1 - t * t)
    if name in ("sigmoid", "softplus"):
        s = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
        if name == "sigmoid":
            return s, s * (1 - s), s * (1 - s) * (1 - 2 * s)
        return math.log1p(math.exp(-abs(v))) + max(v, 0.0), s, s * (1 - s)
    if name == "sin":
        return math.sin(v), math.cos(v), -math.sin(v)
    if name == "cos":
        return math.cos(v), -math.sin(v), -math.cos(v)
    if name == "tan":
        t = math.tan(v)
        return t, 1 + t * t, 2 * t * (1 + t * t)
    if name == "atan":
        return math.atan(v), 1 / (1 + v * v), -2 * v / (1 + v * v) ** 2
    if name in ("asin", "acos"):
        r = 1 - v * v
        sign = 1 if name == "asin" else -1
        return (math.asin(v) if name == "asin" else math.acos(v)), sign / math.sqrt(r), sign * v / r**1.5
    if name == "sinh":
        return math.sinh(v), math.cosh(v), math.sinh(v)
    if name == "cosh":
        return math.cosh(v), math.sinh(v), math.cosh(v)
    if name in ("log2", "log10"):
        ln = math.log(2 if name == "log2" else 10)
        return math.log(v) / ln, 1 / (v * ln), -1 / (v * v * ln)
    raise KeyError(name)


def apply_jet(step: Step, operands: list[Any], k: int) -> Jet:
    """A step on Jets (constants lifted), by the reference rules above."""
    xs = [a if isinstance(a, Jet) else Jet.const(a, k) for a in operands]
    op = step.op
    if op == "add":
        return xs[0] + xs[1]
    if op == "sub":
        return xs[0] - xs[1]
    if op == "mul":
        return xs[0] * xs[1]
    if op == "div":
        return xs[0] * xs[1].reciprocal()
    if op == "sum":
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return total
    if op == "max":  # at a tie, the first input (the project's rule, as relu at 0)
        return xs[0] if xs[0].v >= xs[1].v else xs[1]
    if op == "min":
        return xs[0] if xs[0].v <= xs[1].v else xs[1]
    if op == "mod":  # x - floor(x / y)·y with floor(x / y) a constant
        a, b = xs
        jet = a - b * Jet.const(a.v // b.v, k)
        return Jet(a.v % b.v, jet.g, jet.h)
    if op == "pow":
        base, exponent = xs
        e = exponent.v
        if _constant(exponent) and isinstance(e, int) and not isinstance(e, bool):
            return base.power(e)
        if _constant(exponent) and _constant(base):
            return Jet.const(base.v**e, k)
        # x ** y = exp(y · log x) for a positive base.
        return apply_jet(Step("exp", ()), [exponent * apply_jet(Step("log", ()), [base], k)], k)
    x = xs[0]
    v = x.v
    if op == "neg":
        return -x
    if op == "identity":
        return x.chain(v, 1, 0)
    if op == "relu":  # the project's rule: derivative 1 at exactly 0
        return x.chain(v if v >= 0 else v * 0, 1 if v >= 0 else 0, 0)
    if op == "abs":
        return x.chain(abs(v), 1 if v > 0 else -1 if v < 0 else 0, 0)
    if op == "leaky_relu":
        s = step.slope
        return x.chain(v if v >= 0 else s * v, 1 if v >= 0 else s, 0)
    if op == "clamp":  # the δ passes inside [lo, hi], the bounds included
        lo, hi = step.bounds
        if lo is not None and v < lo:
            return Jet.const(float(lo) if isinstance(v, float) else lo, k)
        if hi is not None and v > hi:
            return Jet.const(float(hi) if isinstance(v, float) else hi, k)
        return x.chain(v, 1, 0)
    f, d1, d2 = _float_unary(op, v)
    return x.chain(f, d1, d2)


def reference(program: Program, leaves: Sequence[Any]) -> Jet:
    """The program's output, gradient and Hessian by forward-mode second-order jets."""
    k = len(leaves)
    return run(program, Jet.seed(leaves), lambda step, xs: apply_jet(step, xs, k))


def close(a: float, b: float, rel: float, abs_: float) -> bool:
    """|a - b| <= rel·max(|a|, |b|) + abs_, with NaN only equal to NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rel * max(abs(a), abs(b)) + abs_


# --- autodiff's side ------------------------------------------------------------------------------


def build(
    program: Program, numbers: Sequence[Any], requires: Sequence[bool] | None = None
) -> tuple[list, Any]:
    """The program on fresh Values (leaf i requires a gradient when requires[i]): (leaves, output)."""
    from autodiff import Value

    flags = requires if requires is not None else [True] * len(numbers)
    leaves = [Value(x, requires_grad=f) for x, f in zip(numbers, flags, strict=True)]
    return leaves, run(program, leaves, apply_autodiff)


def first_order(program: Program, numbers: Sequence[Any]) -> tuple[Any, list[Any]]:
    """(output, [∂out/∂leaf]) by one plain `backward()`."""
    leaves, out = build(program, numbers)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def second_order(program: Program, numbers: Sequence[Any]) -> tuple[list[Any], list[list[Any]]]:
    """(∂out/∂leaf_i, ∂²out/∂leaf_i∂leaf_j) by `backward(create_graph=True)`, then a backward per δ."""
    from autodiff import Value

    leaves, out = build(program, numbers)
    out.backward(create_graph=True)
    firsts = [leaf.grad for leaf in leaves]
    rows = []
    for g in firsts:
        for leaf in leaves:
            leaf.grad = 0
        if isinstance(g, Value) and g.requires_grad:
            g.backward()
            rows.append([leaf.grad for leaf in leaves])
        else:
            rows.append([0] * len(leaves))
    return [g.data if isinstance(g, Value) else g for g in firsts], rows

"""Batched replay: the graph of one sample, replayed once over arrays holding a whole batch.

The per-sample graph is the same for every sample; only the data leaves change. Rendered through
an array dialect (`where(c, a, b)` for a decision, `zeros_like` / `ones_like`, a vectorised
version of each rule that must be called), the scalar Tape's straight-line code computes every
sample at once: a node's number is an array over the batch (or one number, when it depends on
parameters and constants only), and each parameter's δ is summed (or averaged) over the batch at
the end. numpy and torch are imported only here, when a batched replay is made.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from ..backward import topological_order
from ..ops import PRIMITIVES, Primitive
from ..value import Value, accumulate_grad
from ._emit import ATOM, COMPARISON, PRODUCT, Dialect, Part, _wrap

BACKENDS = ("numpy", "torch")
REDUCTIONS = ("sum", "mean")


class NotBatchable(ValueError):
    """A graph or a number that a batched replay cannot handle (a primitive without an array version, ...)."""


class ArrayDialect(Dialect):
    """Arrays: `where(c, a, b)`, `zeros_like(x)` / `ones_like(x)`, each called rule's vectorised version.

    `versions` maps (primitive name, role) to a factory taking the primitive's parameters and
    giving the array function; a rule with no entry is refused by name.
    """

    def __init__(self, name: str, versions: Mapping[tuple[str, str], Callable[..., Callable[..., Any]]]):
        self.name = name
        self.versions = versions

    def cond(self, test: Part, yes: Part, no: Part, needs: dict[str, int]) -> tuple[str, int]:
        chosen = _wrap(yes, PRODUCT, needs)
        if no[0] == f"{chosen} * 0" and yes[1] >= PRODUCT:
            # δ·(1 if c else 0), a ReLU's δ: `d * c` is `where(c, d, d * 0)` number for number (a
            # true c multiplies by 1.0, a false one by 0.0, NaN and the sign of zero included),
            # in one pass over the array instead of three.
            return f"{chosen} * ({_wrap(test, COMPARISON, needs)})", PRODUCT
        parts = ", ".join(_wrap(p, COMPARISON, needs) for p in (test, yes, no))
        return f"where({parts})", ATOM

    def like(self, number: int, operand: Part, needs: dict[str, int]) -> str:
        # Every number of a batched replay is a float64: `zero_like(x)` is 0.0, spread by broadcasting.
        return "1.0" if number else "0.0"

    def called(self, prim: Primitive, role: str, rule: Callable[..., Any]) -> Callable[..., Any]:
        base = prim.base
        make = self.versions.get((base.name, role)) if PRIMITIVES.get(base.name) is base else None
        if make is None:
            what = "forward" if role == "forward" else f"derivative by input {role[1:]}"
            raise NotBatchable(
                f"batched replay ({self.name}): the primitive {base.name!r} has no {self.name} version of "
                f"its {what} (the rule must be called on one number at a time); replay this graph with the "
                "scalar Tape (tape.gradients()) sample by sample, or write the rule as arithmetic on its "
                "inputs so that it can be traced"
            )
        return make(**prim.params)

    def constant(self, x: Any) -> Any:
        # Python computes a float with a Fraction by converting the Fraction first: the same number.
        return float(x) if isinstance(x, Fraction) else x


# --- numpy versions of the rules the table calls ---------------------------------------------------


class ArrayOps:
    """The few array functions the vectorised rules need, for one library (numpy here, torch in `_torch`)."""

    def t(self, x: Any) -> Any:
        """`x` as a float64 array (a scalar becomes a 0-d array)."""
        raise NotImplementedError

    def any(self, mask: Any) -> bool:
        """Whether any entry of `mask` (an array or a plain bool) is true."""
        raise NotImplementedError

    def first(self, mask: Any) -> int:
        """The position of the first true entry of a 1-D mask."""
        raise NotImplementedError

    def where(self, c: Any, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def at(self, mask: Any) -> str:
        """Where in the batch a refused number is: ` (sample i)`, or nothing for a number shared by all."""
        t = self.t(mask)
        return f" (sample {self.first(t)})" if t.ndim else ""

    fns: Any  # the module holding exp, log, sqrt, tanh, sin, cos, log1p, abs, maximum, isinf, isfinite


class _NumPyOps(ArrayOps):
    def __init__(self) -> None:
        import numpy as np

        self.fns = np
        self.np = np

    def t(self, x: Any) -> Any:
        return self.np.asarray(x, dtype=float)

    def any(self, mask: Any) -> bool:
        return bool(self.np.any(mask))

    def first(self, mask: Any) -> int:
        return int(self.np.argmax(mask))

    def where(self, c: Any, a: Any, b: Any) -> Any:
        return self.np.where(c, a, b)


def array_versions(A: ArrayOps) -> dict[tuple[str, str], Callable[..., Callable[..., Any]]]:
    """Array versions of the rules the table calls, refusing the numbers the scalar rules refuse."""
    f = A.fns

    def div(x: Any, y: Any) -> Any:
        zero = A.t(y) == 0
        if A.any(zero):
            raise ZeroDivisionError(f"div: division by zero{A.at(zero)}")
        return A.t(x) / y

    def power(x: Any, y: Any) -> Any:
        x, y = A.t(x), A.t(y)
        bad = (x == 0) & (y < 0)
        if A.any(bad):
            raise ZeroDivisionError(f"pow: 0 cannot be raised to a negative power{A.at(bad)}")
        bad = (x < 0) & (f.floor(y) != y)
        if A.any(bad):
            raise ValueError(
                f"pow: a negative base raised to a non-integer power has no real result{A.at(bad)}"
            )
        return x**y

    def d_pow_base(x: Any, y: Any, out: Any) -> Any:
        x, y = A.t(x), A.t(y)
        zero = x == 0
        bad = zero & (y != 0) & (y < 1)
        if A.any(bad):
            raise ZeroDivisionError(f"pow: the derivative of x ** y at x = 0 is infinite{A.at(bad)}")
        return A.where(zero & (y == 0), A.t(0.0), y * x ** (y - 1))

    def d_pow_exponent(x: Any, y: Any, out: Any) -> Any:
        x, y = A.t(x), A.t(y)
        positive = x > 0
        bad = ~positive & ~((x == 0) & (y > 0))
        if A.any(bad):
            raise ValueError(
                "pow: the gradient with respect to the exponent needs a positive base"
                f"{A.at(bad)}; make the exponent a plain number if it is not learned"
            )
        return A.where(positive, out * f.log(A.where(positive, x, A.t(1.0))), A.t(0.0))

    def exp(x: Any) -> Any:
        x = A.t(x)
        out = f.exp(x)
        big = f.isinf(out) & f.isfinite(x)
        if A.any(big):
            raise OverflowError(f"exp: the result is too large for a float{A.at(big)}")
        return out

    def log(x: Any) -> Any:
        x = A.t(x)
        bad = x <= 0
        if A.any(bad):
            raise ValueError(f"log: the input must be > 0{A.at(bad)}")
        return f.log(x)

    def sqrt(x: Any) -> Any:
        x = A.t(x)
        bad = x < 0
        if A.any(bad):
            raise ValueError(f"sqrt: the input must be >= 0{A.at(bad)}")
        return f.sqrt(x)

    def d_sqrt(x: Any, out: Any) -> Any:
        out = A.t(out)
        zero = out == 0
        if A.any(zero):
            raise ZeroDivisionError(f"sqrt: the derivative at 0 is infinite{A.at(zero)}")
        return 0.5 / out

    def sigmoid(x: Any) -> Any:
        # The scalar rule's two forms at once: exp(-|x|) is exp(-x) for x >= 0 and exp(x) below.
        x = A.t(x)
        e = f.exp(-f.abs(x))
        return A.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def softplus(x: Any) -> Any:
        x = A.t(x)
        return f.maximum(x, A.t(0.0)) + f.log1p(f.exp(-f.abs(x)))

    def in_domain(name: str, bad: Any, what: str) -> None:
        if A.any(bad):
            raise ValueError(f"{name}: the input must be {what}{A.at(bad)}")

    def arc(name: str, g: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def forward(x: Any) -> Any:
            x = A.t(x)
            in_domain(name, (x < -1) | (x > 1), "in [-1, 1]")
            return g(x)

        return forward

    def d_arc(name: str, sign: float) -> Callable[[Any, Any], Any]:
        def derivative(x: Any, out: Any) -> Any:
            x = A.t(x)
            bad = (x <= -1) | (x >= 1)
            if A.any(bad):
                raise ZeroDivisionError(f"{name}: the derivative at ±1 is infinite{A.at(bad)}")
            return sign / f.sqrt(1 - x * x)

        return derivative

    def hyperbolic(name: str, g: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def forward(x: Any) -> Any:
            x = A.t(x)
            out = g(x)
            big = f.isinf(out) & f.isfinite(x)
            if A.any(big):
                raise OverflowError(f"{name}: the result is too large for a float{A.at(big)}")
            return out

        return forward

    def logarithm(name: str, g: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def forward(x: Any) -> Any:
            x = A.t(x)
            in_domain(name, x <= 0, "> 0")
            return g(x)

        return forward

    def d_logarithm(base: float) -> Callable[[Any, Any], Any]:
        scale = math.log(base)  # the scalar rule's constant (math.log(2) for log2)
        return lambda x, out: 1 / (A.t(x) * scale)

    def mod(x: Any, y: Any) -> Any:
        x, y = A.t(x), A.t(y)
        zero = y == 0
        if A.any(zero):
            raise ZeroDivisionError(f"mod: the divisor is 0{A.at(zero)}")
        return x % y  # Python's %: numpy and torch keep the divisor's sign too

    def d_mod_divisor(x: Any, y: Any, out: Any) -> Any:
        return -(A.t(x) // A.t(y))

    def clamp(*, lo: Any, hi: Any) -> Callable[[Any], Any]:
        def forward(x: Any) -> Any:
            x = A.t(x)
            out = x if hi is None else A.where(x > hi, A.t(float(hi)), x)
            return out if lo is None else A.where(x < lo, A.t(float(lo)), out)  # lo first, as the rule

        return forward

    def d_clamp(*, lo: Any, hi: Any) -> Callable[[Any, Any], Any]:
        def derivative(x: Any, out: Any) -> Any:
            x = A.t(x)
            outside = x != x  # all false, in the array's shape
            if lo is not None:
                outside = outside | (x < lo)
            if hi is not None:
                outside = outside | (x > hi)
            return A.where(outside, A.t(0.0), A.t(1.0))

        return derivative

    def total(*xs: Any, n: int) -> Any:
        return functools.reduce(operator.add, xs)  # left to right, as the scalar rule adds

    def fixed(g: Callable[..., Any]) -> Callable[..., Callable[..., Any]]:
        return lambda **params: g

    def elementwise(g: Callable[..., Any]) -> Callable[..., Any]:
        return lambda x: g(A.t(x))

    return {
        ("div", "forward"): fixed(div),
        ("pow", "forward"): fixed(power),
        ("pow", "d0"): fixed(d_pow_base),
        ("pow", "d1"): fixed(d_pow_exponent),
        ("exp", "forward"): fixed(exp),
        ("log", "forward"): fixed(log),
        ("sqrt", "forward"): fixed(sqrt),
        ("sqrt", "d0"): fixed(d_sqrt),
        ("tanh", "forward"): fixed(elementwise(f.tanh)),
        ("sigmoid", "forward"): fixed(sigmoid),
        ("sin", "forward"): fixed(elementwise(f.sin)),
        ("cos", "forward"): fixed(elementwise(f.cos)),
        ("softplus", "forward"): fixed(softplus),
        ("sum", "forward"): lambda *, n: functools.partial(total, n=n),
        ("tan", "forward"): fixed(elementwise(f.tan)),
        ("atan", "forward"): fixed(elementwise(f.arctan)),
        ("asin", "forward"): fixed(arc("asin", f.arcsin)),
        ("asin", "d0"): fixed(d_arc("asin", 1.0)),
        ("acos", "forward"): fixed(arc("acos", f.arccos)),
        ("acos", "d0"): fixed(d_arc("acos", -1.0)),
        ("sinh", "forward"): fixed(hyperbolic("sinh", f.sinh)),
        ("cosh", "forward"): fixed(hyperbolic("cosh", f.cosh)),
        ("log2", "forward"): fixed(logarithm("log2", f.log2)),
        ("log2", "d0"): fixed(d_logarithm(2.0)),
        ("log10", "forward"): fixed(logarithm("log10", f.log10)),
        ("log10", "d0"): fixed(d_logarithm(10.0)),
        ("mod", "forward"): fixed(mod),
        ("mod", "d1"): fixed(d_mod_divisor),
        ("clamp", "forward"): clamp,
        ("clamp", "d0"): d_clamp,
    }


@functools.cache
def numpy_dialect() -> ArrayDialect:
    """The numpy dialect (numpy imported on first use)."""
    return ArrayDialect("numpy", array_versions(_NumPyOps()))


def numpy_namespace() -> dict[str, Any]:
    """The names the numpy replay's code reads besides the rules."""
    import numpy as np

    def stack_columns(*xs: Any) -> Any:
        try:
            return np.column_stack(xs)
        except ValueError:  # a column shared by every sample: spread it over the batch first
            return np.stack(np.broadcast_arrays(*xs), 1)

    def one_column(d: Any, matrix: Any, j: int) -> Any:
        result = np.zeros_like(matrix)
        result[:, j] = d
        return result

    return {
        "where": np.where,
        "zeros_like": np.zeros_like,
        "ones_like": np.ones_like,
        "stack_columns": stack_columns,
        "one_column": one_column,
    }


def _dialect(backend: str) -> ArrayDialect:
    if backend == "numpy":
        return numpy_dialect()
    from ._torch import torch_dialect

    dialect: ArrayDialect = torch_dialect()
    return dialect


# --- the step ----------------------------------------------------------------------------------------


class Batched:
    """A recorded one-sample graph replayed over a batch: `losses, grads = step({x: xs, y: ys})`.

    `losses` holds each sample's output; `grads[k]` is the δ of `tape.inputs[k]` summed (or, with
    `reduction="mean"`, averaged) over the samples. Made by `Tape.batched(...)`.
    """

    def __init__(
        self,
        output: Value,
        inputs: Sequence[Value],
        data: Sequence[Value],
        *,
        backend: str,
        reduction: str,
        device: str | None,
        fuse: bool,
    ):
        from . import _backward_order
        from ._compile import _Compiler

        self.inputs = tuple(inputs)
        self.data = tuple(data)
        self.backend = backend
        self.reduction = reduction
        self.device = device
        self._xp = _array_module(backend, device)
        every = topological_order(output, only_requiring_grad=False)
        fused = None
        if fuse:
            from ._fuse import fuse_layers

            fused = fuse_layers(output, every, self.inputs, self.data)
        self._fused = fused
        self.fused_layers = 0 if fused is None else fused.layers
        if fused is None:
            order = _backward_order(output, every)
            compiler = _Compiler(output, every, order, self.inputs, _dialect(backend), batched=True)
        else:
            compiler = _Compiler(
                output, fused.every, fused.order, fused.inputs, _dialect(backend), batched=True
            )
        del every
        out_name, result_names = compiler.write()
        compiled = compiler.finish(out_name, result_names)
        compiled.run.__globals__.update(self._xp.namespace)
        self._run = compiled.run
        self._sources = compiled.sources
        data_index = {id(v): k for k, v in enumerate(self.data)}
        # Per leaf the replay reads: its data column's position, or -1 (read from the leaf).
        self._leaves = compiled.leaves
        self._slots = [data_index.get(id(v), -1) for v in self._leaves]
        # How a call fills the replay's list of leaf numbers: data columns, scalar Values (their
        # `.data`, read in one pass), and fused layers' parameters (read in one pass, one array,
        # then a view per matrix).
        self._data_at = [(k, slot) for k, slot in enumerate(self._slots) if slot >= 0]
        self._scalar_at = [
            k for k, v in enumerate(self._leaves) if self._slots[k] < 0 and isinstance(v, Value)
        ]
        self._scalars = [self._leaves[k] for k in self._scalar_at]
        self._matrix_at: list[tuple[int, int, int, tuple[int, ...]]] = []
        self._matrix_values: list[Value] = []
        for k, leaf in enumerate(self._leaves):
            if self._slots[k] < 0 and not isinstance(leaf, Value):
                start = len(self._matrix_values)
                self._matrix_values.extend(leaf.values)
                self._matrix_at.append((k, start, len(self._matrix_values), leaf.shape))
        self._names = {v.name: v for v in self.data if v.name}
        if len(self._names) != sum(1 for v in self.data if v.name):
            self._names = {}  # two data leaves share a name: only the Values themselves are keys

    @property
    def source(self) -> str:
        """The code of the batched replay."""
        return "\n\n".join(self._sources)

    def __call__(self, batch: Mapping[Any, Any]) -> tuple[Any, Any]:
        """(each sample's output, each input's δ summed or averaged over the batch)."""
        xp = self._xp
        columns, n = self._columns(batch)
        with xp.quiet():
            out, grads = self._run(self._numbers(columns), xp.one, True)
            losses = xp.per_sample(out, n)
            result = xp.reduce(grads, n) if self._fused is None else self._fused.finish(grads, xp, n)
        if self.reduction == "mean":
            result = result / n
        xp.check(losses, result, self)
        return losses, result

    def forward(self, batch: Mapping[Any, Any]) -> Any:
        """Each sample's output only (no δ computed)."""
        xp = self._xp
        columns, n = self._columns(batch)
        with xp.quiet():
            out, _ = self._run(self._numbers(columns), None, False)
            losses = xp.per_sample(out, n)
        xp.check(losses, xp.array([], (0,)), self)
        return losses

    def _numbers(self, columns: list[Any]) -> list[Any]:
        """The replay's leaf numbers: data columns, scalar Values' `.data`, fused layers' parameter arrays."""
        numbers: list[Any] = [None] * len(self._leaves)
        for k, slot in self._data_at:
            numbers[k] = columns[slot]
        for k, x in zip(self._scalar_at, _numbers_of(self._scalars), strict=True):
            numbers[k] = x
        if self._matrix_at:
            flat = self._xp.array(_numbers_of(self._matrix_values), (len(self._matrix_values),))
            for k, start, end, shape in self._matrix_at:
                numbers[k] = flat[start:end].reshape(shape)
        return numbers

    def backward(self, batch: Mapping[Any, Any]) -> Any:
        """Replay, add each input's δ (summed or averaged) to its `.grad`; return the losses."""
        losses, grads = self(batch)
        for v, g in zip(self.inputs, self._xp.tolist(grads), strict=True):
            accumulate_grad(v, g)
        return losses

    def check(
        self, batch: Mapping[Any, Any], rebuild: Callable[[], Value], samples: Sequence[int] = (0,)
    ) -> None:
        """Compare the replay of `samples` with your own code run on each of them (the plain path).

        A batched replay cannot see decisions taken by your Python code on the data (`if x.data > 0`,
        a loop that stops on a number): they fixed the recorded graph. `rebuild()` must build the
        loss again from the data Values' current `.data` (e.g. `lambda: loss_of(model, x, y)`); each
        chosen sample is set into those Values, rebuilt and differentiated, and a difference beyond
        rounding raises a ValueError naming the sample. The data Values get their numbers back.
        """
        from ..functional import gradients

        columns, n = self._columns(batch)
        saved = [v.data for v in self.data]
        try:
            for i in samples:
                if not isinstance(i, int) or not -n <= i < n:
                    raise ValueError(f"check: sample {i!r} is not in a batch of {n}")
                one = {v: columns[k][i : i + 1 if i != -1 else None] for k, v in enumerate(self.data)}
                losses, grads = self(one)
                for v, column in zip(self.data, columns, strict=True):
                    v.data = float(column[i])
                loss = rebuild()
                if not isinstance(loss, Value):
                    raise TypeError(f"check: rebuild() must return the loss Value, got {type(loss).__name__}")
                plain = gradients(loss, list(self.inputs), allow_unused=True)
                expected = [loss.data, *[0.0 if g is None else g for g in plain]]
                found = [*self._xp.tolist(losses), *self._xp.tolist(grads)]
                for k, (a, b) in enumerate(zip(expected, found, strict=True)):
                    if not math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12):
                        what = "the loss" if k == 0 else f"the δ of inputs[{k - 1}]"
                        raise ValueError(
                            f"check: sample {i}: {what} is {float(b)!r} replayed but {float(a)!r} when your "
                            "code runs again: the recorded graph depends on the data (a Python decision on "
                            "a number, or a number read as a constant). Rebuild the graph for each sample "
                            "(the plain path) instead of a batched replay"
                        )
        finally:
            for v, x in zip(self.data, saved, strict=True):
                v.data = x

    def _columns(self, batch: Mapping[Any, Any]) -> tuple[list[Any], int]:
        """The batch's arrays in the order of `self.data`, checked, and the batch size."""
        if not isinstance(batch, Mapping):
            raise TypeError(
                "a batched step takes a dict {data Value (or its name): array of that leaf's numbers}, "
                f"got {type(batch).__name__}"
            )
        by_id = {id(v): k for k, v in enumerate(self.data)}
        found: list[Any] = [None] * len(self.data)
        for key, column in batch.items():
            if isinstance(key, Value):
                k = by_id.get(id(key))
            elif isinstance(key, str) and key in self._names:
                k = by_id[id(self._names[key])]
            else:
                k = None
            if k is None:
                shown = f"Value {key.name!r}" if isinstance(key, Value) and key.name else repr(key)
                raise ValueError(
                    f"batched step: {shown} is not one of the tape's data leaves "
                    f"({_names(self.data)}); give one array per data Value"
                )
            if found[k] is not None:
                raise ValueError(f"batched step: data leaf {_names([self.data[k]])} is given twice")
            found[k] = column
        missing = [v for v, c in zip(self.data, found, strict=True) if c is None]
        if missing:
            raise ValueError(f"batched step: no array for the data leaves {_names(missing)}")
        columns = [self._xp.column(c, v) for c, v in zip(found, self.data, strict=True)]
        sizes = {len(c) for c in columns}
        if len(sizes) != 1:
            shown = ", ".join(f"{_names([v])}: {len(c)}" for v, c in zip(self.data, columns, strict=True))
            raise ValueError(
                f"batched step: the arrays have different lengths ({shown}); give one number per sample"
            )
        n = sizes.pop()
        if n == 0:
            raise ValueError("batched step: the batch is empty; give at least one sample")
        return columns, n

    def __repr__(self) -> str:
        return (
            f"<batched replay ({self.backend}, {self.reduction}) of {len(self.inputs)} input(s), "
            f"{len(self.data)} data leaves, {self.fused_layers} fused layer(s)>"
        )


def _names(values: Sequence[Value]) -> str:
    return ", ".join(repr(v.name) if v.name else "an unnamed Value" for v in values)


_FLOATS = {float, int}


def _numbers_of(values: Sequence[Value]) -> list[Any]:
    """The Values' numbers for a replay: floats and ints as they are, others checked (Fractions refused)."""
    numbers = [v.data for v in values]
    if not set(map(type, numbers)) <= _FLOATS:
        numbers = [_scalar(v) for v in values]
    return numbers


def _one(v: Value) -> str:
    return f"Value {v.name!r}" if v.name else "a Value"


def _scalar(v: Value) -> Any:
    x = v.data
    if type(x) is float or type(x) is int:
        return x
    if isinstance(x, Fraction):
        if v.requires_grad:
            raise TypeError(
                f"batched replay: {_one(v)} holds the Fraction {x}; Fractions do not batch (arrays hold "
                "floats). Keep exact numbers with the scalar Tape (tape.gradients()), sample by sample"
            )
        return float(x)
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"batched replay: {_one(v)} holds a {type(x).__name__}, not a number")
    return float(x)


class _ArrayModule:
    """What the step needs from numpy or torch: columns in, seed, per-sample output, reductions."""

    namespace: dict[str, Any]
    one: Any = 1.0  # the δ of each sample's output

    def column(self, column: Any, leaf: Value) -> Any:
        raise NotImplementedError

    def array(self, numbers: list[Any], shape: tuple[int, ...]) -> Any:
        raise NotImplementedError

    def reduce_one(self, g: Any, n: int) -> Any:
        raise NotImplementedError

    def gather(self, grads: Sequence[Any], destinations: Sequence[Sequence[int]], size: int) -> Any:
        raise NotImplementedError

    def per_sample(self, out: Any, n: int) -> Any:
        raise NotImplementedError

    def reduce(self, grads: Sequence[Any], n: int) -> Any:
        raise NotImplementedError

    def tolist(self, x: Any) -> list[float]:
        raise NotImplementedError

    def quiet(self) -> Any:
        raise NotImplementedError

    def check(self, losses: Any, grads: Any, step: Batched) -> None:
        raise NotImplementedError


class _NumPy(_ArrayModule):
    def __init__(self) -> None:
        import numpy as np

        self.np = np
        self.namespace = numpy_namespace()
        self._gather_key = 0
        self._gather_index: Any = None

    def column(self, column: Any, leaf: Value) -> Any:
        np = self.np
        if isinstance(column, np.ndarray) and column.dtype == np.float64 and column.ndim == 1:
            return column
        array = np.asarray(column)
        if array.dtype == object:
            if any(isinstance(x, Fraction) for x in array.ravel()):
                raise TypeError(
                    f"batched step: the data of {_names([leaf])} holds Fractions; Fractions do not batch "
                    "(arrays hold floats). Keep exact numbers with the scalar Tape (tape.gradients()), "
                    "sample by sample"
                )
            raise TypeError(f"batched step: the data of {_names([leaf])} is not an array of numbers")
        if array.ndim != 1:
            raise ValueError(
                f"batched step: the data of {_names([leaf])} must be one number per sample (a 1-D array), "
                f"got shape {array.shape}"
            )
        if array.dtype.kind in "iu" and array.size and np.abs(array).max() > 2**53:
            raise ValueError(
                f"batched step: the data of {_names([leaf])} holds integers beyond 2**53, which a float "
                "cannot hold exactly; use the scalar Tape to keep them exact"
            )
        if array.dtype.kind not in "iuf" or array.dtype == np.float16:
            if array.dtype.kind == "b":
                raise TypeError(f"batched step: the data of {_names([leaf])} holds booleans, not numbers")
            if array.dtype.kind not in "iuf":
                raise TypeError(
                    f"batched step: the data of {_names([leaf])} holds {array.dtype}, not real numbers"
                )
        return array.astype(np.float64)

    def per_sample(self, out: Any, n: int) -> Any:
        if type(out) is self.np.ndarray and out.shape == (n,):
            return out  # made by this replay: no one else holds it
        return self.np.broadcast_to(self.np.asarray(out, dtype=float), (n,)).copy()

    def reduce(self, grads: Sequence[Any], n: int) -> Any:
        np = self.np
        result = np.empty(len(grads))
        for k, g in enumerate(grads):
            result[k] = g.sum() if np.ndim(g) else g * n
        return result

    def array(self, numbers: list[Any], shape: tuple[int, ...]) -> Any:
        return self.np.array(numbers, dtype=float).reshape(shape)

    def reduce_one(self, g: Any, n: int) -> Any:
        return g.sum() if self.np.ndim(g) else g * n

    def gather(self, grads: Sequence[Any], destinations: Sequence[Sequence[int]], size: int) -> Any:
        np = self.np
        key = id(destinations)
        if self._gather_key != key:  # one index array for every δ, made once per step
            self._gather_key = key
            self._gather_index = np.array([i for where in destinations for i in where], dtype=np.intp)
        result = np.zeros(size)
        result[self._gather_index] = np.concatenate([np.ravel(g) for g in grads])
        return result

    def tolist(self, x: Any) -> list[float]:
        return [float(g) for g in self.np.ravel(x)]

    def quiet(self) -> Any:
        # Both sides of every `where` are computed: a side not taken may divide by zero.
        return self.np.errstate(all="ignore")

    def check(self, losses: Any, grads: Any, step: Batched) -> None:
        np = self.np
        if not np.isfinite(losses).all():
            i = int(np.argmin(np.isfinite(losses)))
            raise FloatingPointError(
                f"batched replay: sample {i}'s output is {losses[i]!r}; replay that sample with the plain "
                "path inside detect_anomaly() to find the operation"
            )
        if not np.isfinite(grads).all():
            k = int(np.argmin(np.isfinite(grads)))
            raise FloatingPointError(
                f"batched replay: the δ of inputs[{k}] ({_names([step.inputs[k]])}) is {grads[k]!r}; replay "
                "the samples with the plain path inside detect_anomaly() to find the operation"
            )


def _array_module(backend: str, device: str | None) -> _ArrayModule:
    if backend == "numpy":
        if device not in (None, "cpu"):
            raise ValueError(f"batched replay: numpy runs on the CPU only, got device={device!r}")
        return _NumPy()
    from ._torch import _Torch

    module: _ArrayModule = _Torch(device or "cpu")
    return module

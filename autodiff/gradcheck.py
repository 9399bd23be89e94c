"""Check backward's derivatives against central finite differences, to first and second order.

First order: ∂f/∂x_i from an ordinary backward pass against (f(x + ε·e_i) − f(x − ε·e_i)) / 2ε.
Second order: ∂²f/∂x_j∂x_i from the gradient's own graph (`create_graph=True`) against central
differences of the backward gradient, (∂f/∂x_i(x + ε·e_j) − ∂f/∂x_i(x − ε·e_j)) / 2ε. A wrong
local derivative in the table (or in a custom primitive) shows up in the first check; a local
derivative that is right in value but not differentiable as written shows up in the second.
Everything runs in float64, whatever the number type of the inputs.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .checks import check_depends, check_float, check_number, check_real
from .exact import format_number
from .functional import gradients, hessian
from .modes import enable_grad, no_grad
from .value import Value


class GradcheckError(AssertionError):
    """Raised by `gradcheck(..., raise_exception=True)` on a disagreement; `.report` has the details."""

    def __init__(self, report: GradcheckReport):
        super().__init__(str(report))
        self.report = report


@dataclass(frozen=True)
class DerivativeCheck:
    """One derivative compared: from backward (`analytic`) and from finite differences (`numeric`)."""

    label: str
    index: tuple[int, ...]
    analytic: float
    numeric: float
    allowed: float

    @property
    def order(self) -> int:
        """1 for ∂f/∂x_i, 2 for ∂²f/∂x_j∂x_i."""
        return len(self.index)

    @property
    def difference(self) -> float:
        """|analytic − numeric| (inf or nan when either is not finite)."""
        return abs(self.analytic - self.numeric)

    @property
    def ok(self) -> bool:
        """True when the two agree within `atol + rtol·|numeric|`."""
        return self.difference <= self.allowed  # False for NaN, as it should be

    def __str__(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return (
            f"{mark} {self.label}: backward {self.analytic!r}, finite differences {self.numeric!r}, "
            f"difference {self.difference:.3g} (allowed {self.allowed:.3g})"
        )


@dataclass(frozen=True)
class GradcheckReport:
    """The outcome of `gradcheck`: truthy when every derivative agrees; `str()` lists each one."""

    point: tuple[float, ...]
    eps: float
    atol: float
    rtol: float
    checks: tuple[DerivativeCheck, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when every derivative agrees with its finite-difference estimate."""
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> tuple[DerivativeCheck, ...]:
        """The derivatives that disagree."""
        return tuple(c for c in self.checks if not c.ok)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        at = ", ".join(format_number(x) for x in self.point)
        verdict = (
            f"all {len(self.checks)} derivatives agree"
            if self.ok
            else f"{len(self.failures)} of {len(self.checks)} derivatives disagree"
        )
        head = f"gradcheck at ({at}) with eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}: {verdict}"
        return "\n".join([head, *(f"  {c}" for c in self.checks)])


def gradcheck(
    f: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    second_order: bool = True,
    raise_exception: bool = False,
) -> GradcheckReport:
    """Compare f's first (and second) derivatives at `inputs` with central finite differences."""
    if not callable(f):
        raise TypeError(f"gradcheck() needs the function to check, got {type(f).__name__}: {f!r}")
    point = _point(inputs)
    for x, what, low_inclusive in (
        (eps, "gradcheck(): eps (the finite-difference step)", False),
        (atol, "gradcheck(): atol", True),
        (rtol, "gradcheck(): rtol", True),
    ):
        check_float(check_real(x, what, low=0, low_inclusive=low_inclusive), what)
    _check_arity(f, len(point))
    names = _names(f, len(point))
    n = len(point)

    def value(x: Sequence[float]) -> float:
        with no_grad():
            out = f(*[Value(v) for v in x])
        return float(out.data if isinstance(out, Value) else check_number(out, "gradcheck: f's result"))

    def gradient(x: Sequence[float]) -> list[float]:
        # The ordinary backward pass (plain numbers, no graph of the gradient).
        with enable_grad():
            leaves = [Value(v) for v in x]
            out = f(*leaves)
        if not isinstance(out, Value) or not out.requires_grad:
            return [0.0] * n
        found = gradients(out, leaves, allow_unused=True)
        return [0.0 if g is None else float(g) for g in found]

    def shifted(x: Sequence[float], j: int, step: float) -> list[float]:
        moved = list(x)
        moved[j] += step
        return moved

    def allowed(numeric: float) -> float:
        return atol + rtol * abs(numeric)

    _check_depends(f, point, names)
    checks: list[DerivativeCheck] = []
    analytic = gradient(point)
    for i in range(n):
        numeric = (value(shifted(point, i, eps)) - value(shifted(point, i, -eps))) / (2 * eps)
        checks.append(DerivativeCheck(f"∂f/∂{names[i]}", (i,), analytic[i], numeric, allowed(numeric)))
    if second_order:
        rows = hessian(f, argnums=tuple(range(n)))(*point)
        steps = [(gradient(shifted(point, j, eps)), gradient(shifted(point, j, -eps))) for j in range(n)]
        for i, j in itertools.product(range(n), repeat=2):
            ahead, behind = steps[j]
            numeric = (ahead[i] - behind[i]) / (2 * eps)
            label = f"∂²f/∂{names[i]}²" if i == j else f"∂²f/∂{names[j]}∂{names[i]}"
            checks.append(DerivativeCheck(label, (i, j), float(rows[i][j]), numeric, allowed(numeric)))
    report = GradcheckReport(tuple(point), eps, atol, rtol, tuple(checks))
    if raise_exception and not report.ok:
        raise GradcheckError(report)
    return report


def _check_depends(f: Callable[..., Any], point: Sequence[float], names: Sequence[str]) -> None:
    """Refuse f when its result does not depend on every input (`math.sin` in place of `x.sin()`)."""
    with enable_grad():
        leaves = [Value(v) for v in point]
        out = f(*leaves)
    if not isinstance(out, Value):
        check_number(out, "gradcheck: f's result")
        reached = [False] * len(leaves)
    elif not out.requires_grad:
        reached = [False] * len(leaves)
    else:
        reached = [g is not None for g in gradients(out, leaves, allow_unused=True)]
    check_depends("gradcheck()", out, reached, [f"input {name}" for name in names])


def _point(inputs: Any) -> list[float]:
    """The inputs as a list of floats; one number or a list/tuple of numbers or Values."""
    items = list(inputs) if isinstance(inputs, list | tuple) else [inputs]
    if not items:
        raise ValueError("gradcheck(): give at least one input value")
    point = []
    for k, x in enumerate(items):
        # Finite differences need a finite float point: NaN or inf would report NaN checks, not an error.
        what = f"gradcheck(): inputs[{k}]"
        number = check_float(check_real(x.data if isinstance(x, Value) else x, what), what)
        point.append(float(number))
    return point


def _check_arity(f: Callable[..., Any], n: int) -> None:
    """Refuse a number of inputs that f cannot take, before f fails somewhere inside gradcheck."""
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):
        return  # some builtins have no readable signature: let the call itself decide
    try:
        signature.bind(*([0.0] * n))
    except TypeError:
        params = list(signature.parameters.values())
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        required = sum(p.default is p.empty for p in positional)
        varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
        if required <= n and (varargs or n <= len(positional)):
            keywords = [p.name for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
            raise TypeError(
                f"gradcheck(): f needs the keyword-only argument(s) {keywords}, but gradcheck passes only "
                f"its inputs, positionally; fix them with a lambda, e.g. lambda x: f(x, {keywords[0]}=...)"
            ) from None
        if varargs:
            takes = f"at least {required}"
        elif required == len(positional):
            takes = str(required)
        else:
            takes = f"{required} to {len(positional)}"
        given = f"{n} input was" if n == 1 else f"{n} inputs were"
        noun = "argument" if takes == "1" else "arguments"
        raise TypeError(
            f"gradcheck(): f takes {takes} {noun} but {given} given; give one input per argument, "
            f"e.g. gradcheck(f, [1.0, 2.0]) for f(x, y)"
        ) from None


def _names(f: Callable[..., Any], n: int) -> list[str]:
    """f's positional parameter names for the report (x0, x1 ... when they cannot be read)."""
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [
        p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
    ]
    if len(names) < n:
        return [f"x{i}" for i in range(n)]
    return names[:n]

"""Optimizers: objects that own the weights' update `ŵ = w − α·δw` and the zeroing of their δs.

    opt = SGD(model.parameters(), lr=Fraction(1, 10**7))
    opt.zero_grad(); loss.backward(); opt.step()

`SGD` keeps exact numbers exact (give the learning rate as a Fraction); `Adam` uses a square root,
so its updates are floats.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..checks import FloatRangeError, check_number, check_real, fits_float, shown
from ..exact import brief_number, format_number
from ..value import Value


def _check_rate(x: Any, what: str, *, low_inclusive: bool = False, high: Any = None) -> Any:
    """A hyperparameter: a finite real number >= 0 (or > 0), below `high` if given."""
    return check_real(x, what, low=0, low_inclusive=low_inclusive, high=high, high_inclusive=False)


class Optimizer:
    """Holds a list of parameters; `step()` updates them from their `.grad`, `zero_grad()` resets it."""

    def __init__(self, params: Iterable[Value], lr: Any):
        name = type(self).__name__
        if isinstance(params, Value):
            raise TypeError(f"give {name} a list of parameters, e.g. model.parameters(), not one Value")
        if callable(getattr(params, "parameters", None)):
            raise TypeError(
                f"{name} got the {type(params).__name__} itself; pass its parameters: "
                f"{name}(model.parameters(), lr=...)"
            )
        if not isinstance(params, Iterable):
            raise TypeError(
                f"{name} needs a list of parameters (pass model.parameters()), got {type(params).__name__}"
            )
        seen: set[int] = set()
        self.params: list[Value] = []
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(f"parameter {i} is a {type(p).__name__}, not a Value")
            if id(p) not in seen:  # a shared weight is updated once per step
                seen.add(id(p))
                self.params.append(p)
        if not self.params:
            raise ValueError("the optimizer got no parameters; pass model.parameters()")
        self.lr = _check_rate(lr, "lr (the learning rate)")
        self.steps = 0

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to 0 (δs accumulate otherwise; `step()` reads None as 0 too)."""
        for p in self.params:
            p.grad = 0

    def step(self) -> None:
        """Update every parameter once from its current `.grad`; on any error, change nothing."""
        # Everything is computed before anything is written, so a step that fails half-way (a .grad
        # that is not a number, an overflow) leaves every weight and the optimizer's state as they were.
        # A float .grad (the common case) needs no check: the checks cost more than a small update.
        grads = [
            g if (g := p.grad).__class__ is float else self._gradient(i, p) for i, p in enumerate(self.params)
        ]
        try:
            updates, state = self._updates(grads)
            new = [p.data - u for p, u in zip(self.params, updates, strict=True)]
        except OverflowError:
            raise self._overflow(grads) from None
        for p, number in zip(self.params, new, strict=True):
            p.data = number
        self._commit(state)
        self.steps += 1

    # What to write instead when an update is too large for a float.
    _overflow_hint = "use smaller numbers"

    def _label(self, i: int, p: Value) -> str:
        return f"parameter {i}" + (f" ({p.name})" if p.name else "")

    def _gradient(self, i: int, p: Value) -> Any:
        g = p.grad.data if isinstance(p.grad, Value) else p.grad  # a Value after create_graph=True
        if g is None:
            return 0  # as backward() reads it: no gradient has arrived yet
        return check_number(g, f"{type(self).__name__}.step(): the .grad of {self._label(i, p)}")

    def _overflow(self, grads: list[Any]) -> FloatRangeError:
        """The error for an update too large for a float: name the parameter whose number caused it."""
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            for number, what in ((g, ".grad"), (p.data, ".data")):
                if not fits_float(number):
                    return FloatRangeError(
                        f"{type(self).__name__}.step(): the {what} of {self._label(i, p)} is "
                        f"{brief_number(number)}, beyond a float's range (about 1.8e308), and this update "
                        f"needs floats; {self._overflow_hint}"
                    )
        return FloatRangeError(
            f"{type(self).__name__}.step(): an update overflowed a float (beyond about 1.8e308); "
            "use a smaller learning rate or smaller .grad values"
        )

    def _updates(self, grads: list[Any]) -> tuple[list[Any], Any]:
        """The amount to subtract from each parameter, and the optimizer state after this step."""
        raise NotImplementedError

    def _commit(self, state: Any) -> None:
        """Keep the state computed by `_updates` (called only once every parameter is updated)."""

    def reset(self) -> None:
        """Forget the optimizer's history (step count, momentum, moments): start afresh."""
        self.steps = 0


class SGD(Optimizer):
    """Gradient descent `w ← w − lr·v`, with `v = δw` (momentum 0) or `v ← momentum·v + δw`."""

    _overflow_hint = "give exact hyperparameters (Fractions) to keep the update exact, or use smaller numbers"

    def __init__(self, params: Iterable[Value], lr: Any, momentum: Any = 0):
        super().__init__(params, lr)
        self.momentum = _check_rate(momentum, "momentum", low_inclusive=True, high=1)
        self.velocity: list[Any] = [0] * len(self.params)

    def _updates(self, grads: list[Any]) -> tuple[list[Any], Any]:
        if not self.momentum:
            return [self.lr * g for g in grads], None
        velocity = [self.momentum * v + g for v, g in zip(self.velocity, grads, strict=True)]
        return [self.lr * v for v in velocity], velocity

    def _commit(self, state: Any) -> None:
        if state is not None:
            self.velocity = state

    def reset(self) -> None:
        """Forget the step count and the velocities."""
        super().reset()
        self.velocity = [0] * len(self.params)

    def __repr__(self) -> str:
        extra = f", momentum={format_number(self.momentum)}" if self.momentum else ""
        return f"SGD({len(self.params)} parameters, lr={format_number(self.lr)}{extra})"


class Adam(Optimizer):
    """Adam: steps of size about `lr` along δw divided by its running root mean square (float)."""

    _overflow_hint = "Adam's updates are always floats, so use smaller numbers"

    def __init__(
        self,
        params: Iterable[Value],
        lr: Any = 0.001,
        betas: tuple[Any, Any] = (0.9, 0.999),
        eps: Any = 1e-8,
    ):
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)):
            raise TypeError(
                f"betas must be a pair (beta1, beta2), got {type(betas).__name__}: {shown(betas)}"
            )
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {len(betas)} numbers: {betas!r}")
        self.betas = (
            _check_rate(betas[0], "betas[0]", low_inclusive=True, high=1),
            _check_rate(betas[1], "betas[1]", low_inclusive=True, high=1),
        )
        self.eps = _check_rate(eps, "eps", low_inclusive=True)
        self.m: list[Any] = []
        self.v: list[Any] = []
        self.reset()

    def _updates(self, grads: list[Any]) -> tuple[list[Any], Any]:
        b1, b2 = self.betas
        t = self.steps + 1
        # Bias corrections: the moments start at 0, so early averages are too small by these factors.
        c1, c2 = 1 - b1**t, 1 - b2**t
        m = [b1 * m + (1 - b1) * g for m, g in zip(self.m, grads, strict=True)]
        v = [b2 * v + (1 - b2) * g * g for v, g in zip(self.v, grads, strict=True)]
        updates = [self.lr * (mi / c1) / (math.sqrt(vi / c2) + self.eps) for mi, vi in zip(m, v, strict=True)]
        return updates, (m, v)

    def _commit(self, state: Any) -> None:
        self.m, self.v = state

    def reset(self) -> None:
        """Forget the step count and both moment estimates."""
        super().reset()
        self.m = [0] * len(self.params)
        self.v = [0] * len(self.params)

    def __repr__(self) -> str:
        b1, b2 = self.betas
        return (
            f"Adam({len(self.params)} parameters, lr={format_number(self.lr)}, "
            f"betas=({format_number(b1)}, {format_number(b2)}), eps={format_number(self.eps)})"
        )

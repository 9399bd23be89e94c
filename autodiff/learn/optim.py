"""Optimizers: objects that own the weights' update `ŵ = w − α·δw` and the zeroing of their δs.

    opt = SGD(model.parameters(), lr=Fraction(1, 10**7))
    opt.zero_grad(); loss.backward(); opt.step()

`SGD` keeps exact numbers exact (give the learning rate as a Fraction); `Adam` uses a square root,
so its updates are floats.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from ..exact import format_number
from ..ops import data
from ..value import Value


def _check_rate(x: Any, what: str, *, low_inclusive: bool = False, high: Any = None) -> Any:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be a real number (int, float or Fraction), got {type(x).__name__}")
    if x < 0 or (x == 0 and not low_inclusive):
        raise ValueError(f"{what} must be {'>= 0' if low_inclusive else '> 0'}, got {format_number(x)}")
    if high is not None and x >= high:
        raise ValueError(f"{what} must be < {high}, got {format_number(x)}")
    return x


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
        """Set every parameter's `.grad` to 0 (δs accumulate otherwise)."""
        for p in self.params:
            p.grad = 0

    def step(self) -> None:
        """Update every parameter once from its current `.grad`."""
        self.steps += 1
        for i, p in enumerate(self.params):
            p.data = p.data - self._update(i, data(p.grad))  # .grad is a Value after create_graph=True

    def _update(self, i: int, g: Any) -> Any:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget the optimizer's history (step count, momentum, moments): start afresh."""
        self.steps = 0


class SGD(Optimizer):
    """Gradient descent `w ← w − lr·v`, with `v = δw` (momentum 0) or `v ← momentum·v + δw`."""

    def __init__(self, params: Iterable[Value], lr: Any, momentum: Any = 0):
        super().__init__(params, lr)
        self.momentum = _check_rate(momentum, "momentum", low_inclusive=True, high=1)
        self.velocity: list[Any] = [0] * len(self.params)

    def _update(self, i: int, g: Any) -> Any:
        if self.momentum:
            g = self.velocity[i] = self.momentum * self.velocity[i] + g
        return self.lr * g

    def reset(self) -> None:
        """Forget the step count and the velocities."""
        super().reset()
        self.velocity = [0] * len(self.params)

    def __repr__(self) -> str:
        extra = f", momentum={format_number(self.momentum)}" if self.momentum else ""
        return f"SGD({len(self.params)} parameters, lr={format_number(self.lr)}{extra})"


class Adam(Optimizer):
    """Adam: steps of size about `lr` along δw divided by its running root mean square (float)."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: Any = 0.001,
        betas: tuple[Any, Any] = (0.9, 0.999),
        eps: Any = 1e-8,
    ):
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            _check_rate(betas[0], "betas[0]", low_inclusive=True, high=1),
            _check_rate(betas[1], "betas[1]", low_inclusive=True, high=1),
        )
        self.eps = _check_rate(eps, "eps", low_inclusive=True)
        self.reset()

    def step(self) -> None:
        """One Adam update of every parameter from its current `.grad`."""
        b1, b2 = self.betas
        t = self.steps + 1
        # Bias corrections: the moments start at 0, so early averages are too small by these factors.
        self._c1 = 1 - b1**t
        self._c2 = 1 - b2**t
        super().step()

    def _update(self, i: int, g: Any) -> Any:
        b1, b2 = self.betas
        m = self.m[i] = b1 * self.m[i] + (1 - b1) * g
        v = self.v[i] = b2 * self.v[i] + (1 - b2) * g * g
        return self.lr * (m / self._c1) / (math.sqrt(v / self._c2) + self.eps)

    def reset(self) -> None:
        """Forget the step count and both moment estimates."""
        super().reset()
        self.m: list[Any] = [0] * len(self.params)
        self.v: list[Any] = [0] * len(self.params)

    def __repr__(self) -> str:
        b1, b2 = self.betas
        return (
            f"Adam({len(self.params)} parameters, lr={format_number(self.lr)}, "
            f"betas=({format_number(b1)}, {format_number(b2)}), eps={format_number(self.eps)})"
        )

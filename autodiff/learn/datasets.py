"""Small datasets made with the standard library, and the two-moons training problem.

The two-moons problem is the workload of `examples/moons.py` and of the benchmarks:

    points, labels = make_moons(100, noise=0.1, seed=0)
    model = moons_model(seed=0)                      # MLP 2-16-16-1, ReLU
    loss, accuracy = moons_loss(model, points, labels)
    model.zero_grad(); loss.backward()               # then update, e.g. SGD(model.parameters(), lr).step()
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from ..checks import check_real, check_size
from ..modes import no_grad
from ..ops import data
from ..value import Value
from .nn import MLP, MaxMargin, l2_penalty
from .train import objective

Point = tuple[float, float]


def make_moons(n_samples: int = 100, *, noise: float = 0.1, seed: int = 0) -> tuple[list[Point], list[int]]:
    """Two interleaving half circles: `n_samples` points (x1, x2) and labels +1 (upper) / -1 (lower).

    Points sit evenly along each half circle, then move by Gaussian noise of standard deviation
    `noise`; the order is shuffled. The same seed always gives the same points.
    """
    if check_size(n_samples, "make_moons: n_samples") < 2:
        raise ValueError(f"make_moons needs n_samples >= 2 (one point per moon), got {n_samples!r}")
    check_real(noise, "make_moons: noise (a standard deviation)", low=0)
    rng = random.Random(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    samples: list[tuple[Point, int]] = []
    for i in range(n_upper):
        t = math.pi * i / max(n_upper - 1, 1)
        samples.append(((math.cos(t), math.sin(t)), 1))
    for i in range(n_lower):
        t = math.pi * i / max(n_lower - 1, 1)
        samples.append(((1 - math.cos(t), 0.5 - math.sin(t)), -1))
    noisy = [((x + rng.gauss(0, noise), y + rng.gauss(0, noise)), label) for (x, y), label in samples]
    rng.shuffle(noisy)
    return [p for p, _ in noisy], [label for _, label in noisy]


def moons_model(seed: int = 0) -> MLP:
    """The two-moons network: 2 inputs, two hidden layers of 16 ReLU neurons, one score."""
    return MLP(2, [16, 16, 1], seed=seed)


def moons_loss(
    model: MLP, points: Sequence[Point], labels: Sequence[int], *, l2: Any = 1e-4
) -> tuple[Value, float]:
    """`mean(relu(1 − y·score)) + l2·Σp²` over the points, and the fraction classified right.

    The loss is `train.objective`, the Value `batch_learning(..., penalty=...)` descends.
    """
    _check_pairs(points, labels)
    traces = [model.trace(point, label, MaxMargin()) for point, label in zip(points, labels, strict=True)]
    loss, _ = objective(traces, lambda: l2_penalty(model.parameters(), l2))
    return loss, sign_accuracy([t.output[0] for t in traces], labels)


def moons_accuracy(model: MLP, points: Sequence[Point], labels: Sequence[int]) -> float:
    """The fraction of points whose score has the sign of their label."""
    _check_pairs(points, labels)
    with no_grad():
        scores = [model(p) for p in points]  # one output: a bare Value
    return sign_accuracy(scores, labels)


def sign_accuracy(scores: Sequence[Any], labels: Sequence[Any]) -> float:
    """The fraction of scores (Values or numbers) > 0 exactly where their label is > 0."""
    _check_pairs(scores, labels)
    right = sum((data(s) > 0) == (label > 0) for s, label in zip(scores, labels, strict=True))
    return right / len(scores)


def _check_pairs(points: Sequence[Any], labels: Sequence[Any]) -> None:
    if len(points) != len(labels) or not points:
        raise ValueError(f"give as many labels as points (and at least one): {len(points)} vs {len(labels)}")

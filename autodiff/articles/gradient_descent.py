"""The articles' running example: three patients, the model L3(L2(L1(x))) and the loss ½(o − y)².

Numbers are exact (`int` and `Fraction`) as in the articles; pass `number=float` to see float64.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .. import ops
from ..learn.nn import Input, Linear, ReLU, Sequential
from ..modes import layer
from ..value import Parameter, Value
from ..value import sum as autodiff_sum

PATIENTS: tuple[tuple[tuple[int, int, int], int], ...] = (
    ((100, 2000, 100), 0),  # 100 broccoli, 2000 Tagada strawberries, 100 workout hours: bad shape
    ((200, 0, 0), 1),  # good shape
    ((0, 2000, 3000), 1),  # good shape
)
"""(data input, data output) for each patient: (broccoli, Tagada strawberries, workout hours)."""

W2: tuple[Fraction, Fraction, Fraction] = (
    Fraction(1, 200),
    Fraction(-3000, 11_600_000),
    Fraction(1, 5800),
)
"""The initial weights w2 of the L2 layer."""

LEARNING_RATE = Fraction(1, 10**7)
"""α = 10⁻⁷."""


@dataclass(frozen=True)
class ArticleGraph:
    """The nodes of one forward pass of the article's model, named as in the articles."""

    x: tuple[Value, ...]
    w2: tuple[Value, ...]
    o1: tuple[Value, ...]
    o2: Value
    o3: Value
    y: Value
    loss: Value


def weights(number: Callable[[Any], Any] = Fraction) -> tuple[Value, ...]:
    """Fresh weights w2_1, w2_2, w2_3 (Parameters) holding the initial w2 (converted by `number`)."""
    return tuple(Parameter(number(w), name=f"w2_{i}") for i, w in enumerate(W2, 1))


def forward(
    x: Sequence[Any], y: Any, w2: Sequence[Value], number: Callable[[Any], Any] = Fraction
) -> ArticleGraph:
    """Build L1 (identity), L2 (w2·x), L3 (ReLU) and the loss for one patient, each in its layer."""
    inputs = tuple(Value(number(v), name=f"x{i}") for i, v in enumerate(x, 1))
    with layer("L1"):
        o1 = tuple(ops.identity(v) for v in inputs)
    with layer("L2"):
        # One Σ node over the products, as the article draws L2.
        o2 = autodiff_sum([w * o for w, o in zip(w2, o1, strict=True)])
    with layer("L3"):
        o3 = o2.relu()
    with layer("Loss"):
        truth = Value(number(y), name="y_truth", requires_grad=False)
        loss = (o3 - truth) ** 2 / 2
    for i, node in enumerate(o1, 1):
        node.name = f"o1_{i}"
    o2.name, o3.name, loss.name = "o2", "o3", "loss"
    return ArticleGraph(inputs, tuple(w2), o1, o2, o3, truth, loss)


def learn(x: Sequence[Any], y: Any, w2: Sequence[Value]) -> ArticleGraph:
    """One step of the article's gradient descent on one patient: forward, backward, w ← w − α·δw.

    Returns the patient's graph, whose `.grad`s are the δs the update used.
    """
    g = forward(x, y, w2)
    g.loss.backward()
    for w in w2:
        w.data -= LEARNING_RATE * w.grad
        w.grad = 0
    return g


def model(number: Callable[[Any], Any] = Fraction) -> Sequential:
    """The article's model from library layers: L1 = Input (identity), L2 = w2·x (no bias), L3 = ReLU."""
    return Sequential(Input(), Linear(weights=list(weights(number)), bias=False), ReLU())


def dataset(number: Callable[[Any], Any] = Fraction) -> list[tuple[tuple[Any, ...], Any]]:
    """The patients as (data input, data output) pairs, each number converted by `number`."""
    return [(tuple(number(v) for v in x), number(y)) for x, y in PATIENTS]

"""The gradient-descent article, number by number, with exact fractions and `==`.

Hand derivation (the article's model, o1 = x, o2 = w2·o1, o3 = ReLU(o2), loss = ½(o3 − y)²):
    δ4 = o3 − y,   δ3 = δ4 if o2 >= 0 else 0,   δ2 = δ3·w2 = δ1,   δw2 = δ3·o1.
Patient 1: o2 = 100/200 − 2000·3000/11600000 + 100/5800 = 1/2 − 15/29 + 1/58 = 0, so everything is 0.
Patient 2: o2 = 200/200 = 1 = y, so δ4 = 0 and nothing flows.
Patient 3: o2 = −2000·3000/11600000 + 3000/5800 = −15/29 + 15/29 = 0; o3 = 0, y = 1:
    δ4 = −1, δ3 = −1 (ReLU passes at exactly 0), δ2 = δ1 = −w2, δw2 = −(0, 2000, 3000).
Update at α = 1/10⁷: w2 += (0, 2000, 3000)/10⁷ = (0, 1/5000, 3/10000).
"""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from autodiff import Value
from autodiff.articles import gradient_descent as article

W2 = (F(1, 200), F(-3000, 11_600_000), F(1, 5800))

# (x, y, o2, loss, δ4, δ3) per patient, derived by hand above.
EXPECTED = [
    ((100, 2000, 100), 0, 0, 0, 0, 0),
    ((200, 0, 0), 1, 1, 0, 0, 0),
    ((0, 2000, 3000), 1, 0, F(1, 2), -1, -1),
]


def model(x, y, w2):
    """The article's model as plain expressions: no helper, no layer objects."""
    o1 = [Value(v) for v in x]
    o2 = w2[0] * o1[0] + w2[1] * o1[1] + w2[2] * o1[2]
    o3 = o2.relu()
    loss = (o3 - y) ** 2 / 2
    return o1, o2, o3, loss


@pytest.mark.parametrize(
    ("x", "y", "o2_", "loss_", "d4", "d3"), EXPECTED, ids=["patient1", "patient2", "patient3"]
)
def test_forward_and_every_delta_of_each_patient(x, y, o2_, loss_, d4, d3):
    w2 = [Value(w) for w in W2]
    o1, o2, o3, loss = model(x, y, w2)
    loss.backward()
    assert [v.data for v in o1] == list(x)
    assert o2.data == o2_
    assert o3.data == max(o2_, 0)
    assert loss.data == loss_
    assert o3.grad == d4  # δ4
    assert o2.grad == d3  # δ3
    assert [v.grad for v in o1] == [d3 * w for w in W2]  # δ2 = δ1 = δ3 · w2
    assert [w.grad for w in w2] == [d3 * v for v in x]  # δw2 = δ3 · o1


def test_third_patient_deltas_spelled_out():
    w2 = [Value(w) for w in W2]
    o1, o2, o3, loss = model((0, 2000, 3000), 1, w2)
    loss.backward()
    assert (o3.grad, o2.grad) == (-1, -1)
    assert [v.grad for v in o1] == [F(-1, 200), F(3000, 11_600_000), F(-1, 5800)]
    assert [w.grad for w in w2] == [0, -2000, -3000]
    assert all(type(v.grad) in (int, F) for v in (*o1, *w2, o2, o3))


def run_epoch(number):
    """One epoch of per-sample SGD: each forward pass runs after the previous update."""
    alpha = number(article.LEARNING_RATE)
    w2 = [Value(number(w)) for w in W2]
    for x, y in article.PATIENTS:
        *_, loss = model([number(v) for v in x], number(y), w2)
        loss.backward()
        for w in w2:
            w.data -= alpha * w.grad
            w.grad = 0
    return [w.data for w in w2]


def new_forward(w2, number):
    return [
        max(sum((w * number(v) for w, v in zip(w2, x, strict=True)), number(0)), 0)
        for x, _ in article.PATIENTS
    ]


def test_one_epoch_gives_the_articles_weights_exactly():
    w2 = run_epoch(F)
    assert w2 == [F(1, 200), F(2, 10_000) - F(3000, 11_600_000), F(3, 10_000) + F(1, 5800)]
    assert new_forward(w2, F) == [F(43, 100), 1, F(13, 10)]


def test_float64_does_not_learn_on_the_articles_data():
    # w2·x for the third patient rounds to -1.1e-16 instead of 0: the ReLU blocks the δ.
    w2 = [Value(float(w)) for w in W2]
    _, o2, o3, loss = model((0.0, 2000.0, 3000.0), 1.0, w2)
    loss.backward()
    assert o2.data == pytest.approx(-1.1e-16, abs=1e-17) and o2.data < 0
    assert o3.grad == -1.0 and o2.grad == 0
    w_after = run_epoch(float)
    assert w_after == [float(w) for w in W2]  # nothing learned
    assert new_forward(w_after, float)[2] == 0  # the third patient is still wrong


def test_article_module_matches_plain_expressions():
    w2 = article.weights()
    g = article.forward(*article.PATIENTS[2], w2)
    g.loss.backward()
    assert (g.o3.grad, g.o2.grad) == (-1, -1)
    assert [v.grad for v in g.o1] == [v.grad for v in g.x] == [-w for w in W2]  # δ2 = δ1
    assert [w.grad for w in w2] == [0, -2000, -3000]
    assert [g.o2.layer, g.o3.layer, g.loss.layer, g.o1[0].layer] == ["L2", "L3", "Loss", "L1"]

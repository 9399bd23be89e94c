"""Optimizers: update rules against hand-computed values, exactness, state reset, errors."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from autodiff import Value
from autodiff.articles import gradient_descent as article
from autodiff.learn.nn import MLP, Linear
from autodiff.learn.optim import SGD, Adam


def test_sgd_is_the_articles_update_and_stays_exact():
    w = Value(Fraction(1, 5800))
    w.grad = -3000
    opt = SGD([w], lr=Fraction(1, 10**7))
    opt.step()
    assert w.data == Fraction(1, 5800) + Fraction(3, 10**4)
    assert isinstance(w.data, Fraction)
    opt.zero_grad()
    assert w.grad == 0


def test_sgd_with_momentum_by_hand():
    w = Value(Fraction(1))
    opt = SGD([w], lr=Fraction(1, 10), momentum=Fraction(1, 2))
    w.grad = 2
    opt.step()  # v = 2, w = 1 - 2/10
    assert w.data == Fraction(4, 5)
    w.grad = 2
    opt.step()  # v = 1/2 · 2 + 2 = 3, w = 4/5 - 3/10
    assert w.data == Fraction(1, 2)
    assert opt.velocity == [3]
    opt.reset()
    assert opt.velocity == [0] and opt.steps == 0
    w.grad = 2
    opt.step()  # a fresh start: v = 2 again
    assert w.data == Fraction(1, 2) - Fraction(1, 5)


def test_sgd_minimises_a_parabola():
    w = Value(0.0)
    opt = SGD([w], lr=0.1)
    for _ in range(100):
        opt.zero_grad()
        ((w - 3) ** 2).backward()
        opt.step()
    assert w.data == pytest.approx(3.0, abs=1e-8)


def test_adam_two_steps_by_hand():
    w = Value(1.0)
    opt = Adam([w], lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    w.grad = 2.0
    opt.step()
    # m = 0.2, v = 0.004; m̂ = 0.2/0.1 = 2, v̂ = 0.004/0.001 = 4
    expected = 1.0 - 0.1 * 2 / (2 + 1e-8)
    assert w.data == pytest.approx(expected, rel=1e-14)
    w.grad = 1.0
    opt.step()
    # m = 0.9·0.2 + 0.1·1 = 0.28, v = 0.999·0.004 + 0.001·1 = 0.004996
    m_hat = 0.28 / (1 - 0.9**2)
    v_hat = 0.004996 / (1 - 0.999**2)
    expected -= 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8)
    assert w.data == pytest.approx(expected, rel=1e-12)
    assert opt.steps == 2
    assert opt.m[0] == pytest.approx(0.28, rel=1e-12)
    assert opt.v[0] == pytest.approx(0.004996, rel=1e-12)


def test_adam_reset_starts_afresh():
    a, b = Value(1.0), Value(1.0)
    used = Adam([a], lr=0.05)
    for g in (3.0, -1.0, 0.5):
        a.grad = g
        used.step()
    used.reset()
    assert used.steps == 0 and used.m == [0] and used.v == [0]
    before = a.data
    a.grad = 2.0
    used.step()
    fresh = Adam([b], lr=0.05)
    b.grad = 2.0
    fresh.step()
    assert before - a.data == pytest.approx(1.0 - b.data, rel=1e-12)


def test_optimizer_reads_the_number_behind_a_value_grad():
    w = Value(2.0)
    w.grad = Value(0.5)  # what backward(create_graph=True) leaves
    SGD([w], lr=1.0).step()
    assert w.data == 1.5


def test_a_shared_parameter_is_updated_once():
    w = Value(Fraction(1))
    w.grad = 1
    opt = SGD([w, w], lr=Fraction(1, 2))
    assert len(opt.params) == 1
    opt.step()
    assert w.data == Fraction(1, 2)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: SGD([Value(1)], lr=0), ValueError, "must be > 0"),
        (lambda: SGD([Value(1)], lr="0.1"), TypeError, "real number"),
        (lambda: SGD([], lr=0.1), ValueError, "no parameters"),
        (lambda: SGD(Value(1), lr=0.1), TypeError, "list of parameters"),
        (lambda: SGD([1.0], lr=0.1), TypeError, "parameter 0 is a float"),
        (lambda: SGD(article.model(), lr=0.1), TypeError, r"SGD got the Sequential itself; pass its param"),
        (lambda: SGD(Linear(3, 1), lr=0.1), TypeError, r"pass its parameters: SGD\(model.parameters\(\)"),
        (lambda: Adam(MLP(2, [1]), lr=0.1), TypeError, r"Adam got the MLP itself.*Adam\(model.parameters"),
        (lambda: SGD(3, lr=0.1), TypeError, r"list of parameters \(pass model.parameters\(\)\), got int"),
        (lambda: SGD([Value(1)], lr=0.1, momentum=1), ValueError, "momentum must be >= 0 and < 1"),
        (lambda: Adam([Value(1)], betas=(0.9,)), ValueError, "pair"),
        (lambda: Adam([Value(1)], betas=0.9), TypeError, "pair"),
        (lambda: Adam([Value(1)], betas=(0.9, 1.5)), ValueError, r"betas\[1\] must be >= 0 and < 1"),
        # Issue 9.9: NaN and infinite hyperparameters are refused (NaN passed every comparison).
        (lambda: SGD([Value(1)], lr=math.nan), ValueError, r"lr \(the learning rate\) must be a finite"),
        (lambda: SGD([Value(1)], lr=math.inf), ValueError, "must be a finite number, got inf"),
        (lambda: SGD([Value(1)], lr=0.1, momentum=math.nan), ValueError, "momentum must be a finite"),
        (lambda: SGD([Value(1)], lr=0.1, momentum="0.9"), TypeError, "momentum needs a real number"),
        (lambda: SGD([Value(1)], lr=True), TypeError, "bool"),
        (lambda: SGD([Value(1)], lr=1j), TypeError, "complex"),
        (lambda: Adam([Value(1)], lr=math.nan), ValueError, "must be a finite"),
        (lambda: Adam([Value(1)], betas=(math.nan, 0.999)), ValueError, r"betas\[0\] must be a finite"),
        (lambda: Adam([Value(1)], betas=(0.9, math.inf)), ValueError, r"betas\[1\] must be a finite"),
        (lambda: Adam([Value(1)], eps=math.nan), ValueError, "eps must be a finite"),
        (lambda: Adam([Value(1)], eps=math.inf), ValueError, "eps must be a finite"),
        (lambda: Adam([Value(1)], eps=None), TypeError, "eps needs a real number"),
    ],
)
def test_bad_settings_raise_clear_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps, lr=0.1)])
def test_a_grad_of_none_counts_as_zero_in_step(make):
    # As backward() reads it: None is "no gradient has arrived yet", the same as 0.
    with_none, with_zero = [Value(1.0, "a"), Value(2.0, "b")], [Value(1.0, "a"), Value(2.0, "b")]
    for params, g in ((with_none, None), (with_zero, 0)):
        opt = make(params)
        params[0].grad, params[1].grad = 0.5, g
        opt.step()
        params[0].grad = params[1].grad = 1.0
        opt.step()
    assert [p.data for p in with_none] == [p.data for p in with_zero]
    assert with_none[1].grad == 1.0


def _snapshot(opt):
    state = [list(opt.velocity)] if isinstance(opt, SGD) else [list(opt.m), list(opt.v)]
    return [p.data for p in opt.params], [p.grad for p in opt.params], opt.steps, state


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=Fraction(1, 10)),
        lambda ps: SGD(ps, lr=0.1, momentum=0.9),
        lambda ps: Adam(ps, lr=0.1),
    ],
    ids=["sgd", "momentum", "adam"],
)
@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        ("oops", TypeError, r"the \.grad of parameter 2 \(c\) needs a real number.*str"),
        ([3], TypeError, r"the \.grad of parameter 2 \(c\) needs a real number.*list"),
        # beyond a float, for the float arithmetic of lr or Adam: a ValueError naming the parameter
        (10**400, ValueError, r"the \.grad of parameter 2 \(c\) is ≈1\.00e400 .*beyond a float's range"),
    ],
    ids=["str", "list", "huge-int"],
)
def test_a_step_that_fails_half_way_changes_nothing(make, bad, error, match):
    # Issue 9.6: the first two parameters used to be updated before the third one failed.
    params = [Value(Fraction(1), "a"), Value(Fraction(2), "b"), Value(Fraction(3), "c")]
    opt = make(params)
    for p, g in zip(params, (1, 2, 3), strict=True):
        p.grad = g
    opt.step()  # some history (momentum, moments) to keep as well
    params[2].grad = bad
    if isinstance(opt, SGD) and not opt.momentum and bad == 10**400:
        opt.lr = 0.1  # a Fraction lr times a huge int is exact: the float lr is what overflows
    before = _snapshot(opt)
    with pytest.raises(error, match=match):
        opt.step()
    assert _snapshot(opt) == before

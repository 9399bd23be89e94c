"""The plain backward pass uses the use counts recorded with operations, and falls back when they do not fit.

A training loop must never need the fallback (it would make every step slower); every case that
does need it must still give exact gradients. tests/property/test_recorded_count_programs.py tries the
same on random programs.
"""

from __future__ import annotations

import math
import sys
import threading
from fractions import Fraction as F

import pytest

from autodiff import Value, backward
from autodiff import sum as autodiff_sum
from autodiff.articles import gradient_descent as article
from autodiff.learn.optim import SGD
from autodiff.learn.train import gradient_descent
from examples.moons import train


def test_training_loops_never_count_their_graph_again():
    before = backward.recounts
    train(steps=3, n_samples=20)  # examples/moons.py: full batch, penalty, accuracy read each step
    model = article.model()
    half_square = lambda o, y: (o[0] - y) ** 2 / 2  # noqa: E731
    gradient_descent(model, half_square, article.dataset(), SGD(model.parameters(), lr=1))
    loop = [Value(F(1, 3)), Value(F(2, 5))]
    for _ in range(3):  # a hand-written loop reading .grad off each weight
        loss = (loop[0] * loop[1] - 1) ** 2
        loss.backward()
        for w in loop:
            w.data -= F(1, 10) * w.grad
            w.grad = 0
    assert backward.recounts == before


def test_a_node_also_used_outside_the_graph_gets_its_exact_gradient():
    x = Value(F(3))
    y = x * x
    outside = y * 5  # a user of y that the loss below does not reach
    loss = y + x
    before = backward.recounts
    loss.backward()
    assert (x.grad, y.grad, loss.grad) == (7, 1, 1)
    assert backward.recounts == before + 1  # counted once, then the pass ran again
    loss2 = x * 2
    x.grad = 0
    loss2.backward()
    assert x.grad == 2
    assert outside.data == 45


def test_a_second_pass_over_the_same_graph_adds_the_same_gradients_again():
    a, b = Value(2), Value(F(1, 3))
    loss = (a * b + a) * a
    loss.backward()
    first = (a.grad, b.grad)
    with pytest.warns(UserWarning, match="ran again from the same Value"):
        loss.backward()
    assert (a.grad, b.grad) == (2 * first[0], 2 * first[1]) == (2 * (2 * 2 * F(1, 3) + 2 * 2), 2 * 4)


def test_a_pass_from_an_inner_node_then_from_the_loss():
    w = Value(F(1, 2))
    h = w * 3
    loss = h * h + w
    h.backward()
    assert w.grad == 3
    w.grad = 0
    loss.backward()
    assert w.grad == 2 * 3 * F(3, 2) + 1


def test_a_hook_that_records_operations_on_the_graph_runs_once_and_the_gradients_stay_exact():
    w = Value(F(1, 2))
    h = w * 3
    loss = h * w
    seen = []
    h.register_hook(lambda d: seen.append(d * w * h))  # new users of w and h, made during the pass
    loss.backward()
    assert w.grad == F(3, 2) + F(1, 2) * 3 == 3 and h.grad == F(1, 2)  # ∂(3w²)/∂w = 6w
    assert len(seen) == 1 and seen[0].data == F(1, 2) * F(1, 2) * F(3, 2)


def test_an_error_late_in_the_pass_leaves_every_grad_as_it_was_and_the_next_pass_is_right():
    weights = [Value(i + 1) for i in range(50)]
    for w in weights:
        w.grad = 7.0
    x = Value(1)
    huge = Value(10**400, requires_grad=False)
    # `rest` is the first input of the last add, so its weights get their .grad written before the
    # float δ reaches `x * huge`, whose backward needs 0.5 · 10**400 as a float.
    rest = weights[0] * weights[1]
    for w in weights[2:]:
        rest = rest + w * w
    loss = rest + x * huge
    with pytest.raises(OverflowError, match="beyond a float's range"):
        loss.backward(0.5)
    assert [w.grad for w in weights] == [7.0] * 50 and x.grad == 0
    loss2 = rest + x
    loss2.backward(0.5)
    assert [w.grad for w in weights[2:]] == [7.0 + w.data for w in weights[2:]]
    assert x.grad == 0.5


def test_passes_stay_exact_while_another_thread_records_on_the_same_weights():
    weights = [Value(i + 1) for i in range(20)]
    expected = [2 * sum(w.data for w in weights) + 3] * 20  # ∂/∂w_i (Σw)² + 3·w_i
    stop = threading.Event()

    def record_elsewhere() -> None:
        while not stop.is_set():
            [w * 2 for w in weights]

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, also in the middle of a pass
    other = threading.Thread(target=record_elsewhere)
    other.start()
    try:
        for _ in range(200):
            total = weights[0]
            for w in weights[1:]:
                total = total + w
            loss = total * total + 3 * sum_of(weights)
            for w in weights:
                w.grad = 0
            loss.backward()
            assert [w.grad for w in weights] == expected
    finally:
        stop.set()
        other.join()
        sys.setswitchinterval(old)


def sum_of(values):
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total


def test_a_value_as_seed_that_is_a_node_of_the_graph():
    s = Value(F(1))
    a = s * 2
    (s + s).backward()
    s.grad = 0
    t = Value(F(1))
    outside = t * 5
    loss = (s + a) + t * 1
    loss.backward(s)  # δ = s · ∂loss/∂node: 3·s for s, s for t
    assert s.grad.data == 3 and t.grad.data == 1 and outside.data == 5
    x = Value(2)
    y = autodiff_sum([x, x, x])
    y.backward()
    y.backward(x, retain_graph=True)
    assert x.grad.data == 3 + 3 * 2


def test_a_weights_hook_sees_its_whole_delta_once_even_with_users_outside_the_graph():
    w = Value(F(1, 2))
    seen = []
    w.register_hook(seen.append)
    for _ in range(2):
        predictions = [w * 7 for _ in range(3)]  # users of w that the loss below never reaches
        loss = autodiff_sum([w * k for k in (1, 2, 3)]) * w
        before = (backward.recounts, backward.general_passes)
        loss.backward()
        assert (backward.recounts, backward.general_passes) == before
        w.grad = 0
    assert seen == [6 * 2 * F(1, 2)] * 2 and predictions


def test_a_hook_on_an_inner_node_runs_once_in_a_counted_pass():
    w = Value(F(1, 3))
    h = w * w
    seen = []
    h.register_hook(lambda d: seen.append(d) or d * 2)  # doubles the δ that flows on to w
    loss = h * 3 + w
    before = (backward.recounts, backward.general_passes)
    loss.backward()
    assert (backward.recounts, backward.general_passes) == (before[0] + 1, before[1])
    assert seen == [3] and w.grad == 2 * 3 * 2 * F(1, 3) + 1 and h.grad == 6


def test_a_derivative_that_records_on_the_graph_during_the_pass():
    # Its new user of x moves x's use count while the pass runs; the gradient must not move.
    from autodiff.ops import Primitive

    x = Value(2.0)
    h = x * 3.0

    def bump(a, out):
        x * 1.0  # new users of x and h, recorded while the pass runs
        h * 1.0
        return 1.0

    odd = Primitive("odd_identity", lambda a: a, (bump,))
    x.grad = 5.0
    y = odd(h) + x * x + h
    before = (backward.recounts, backward.general_passes)
    y.backward()
    assert x.grad == 5.0 + 3.0 + 4.0 + 3.0 and h.grad == 2.0
    # h, not a leaf, got a new user in both slot passes: the general pass finished the job.
    assert (backward.recounts, backward.general_passes) == (before[0] + 1, before[1] + 1)


def test_a_hooked_leaf_released_twice_in_one_pass_sees_its_whole_delta_once():
    w = Value(F(1, 2))
    seen = []
    w.register_hook(seen.append)
    a = w * 3
    a.backward()  # w's count is spent; `a` keeps w as an input without counting again
    c = w * 5  # w's count is now 1, for the 2 users below: released after the first δ
    (a + c).backward()
    assert seen == [3, 3 + 5] and w.grad == 3 + 3 + 5


def test_a_grad_of_float_zero_takes_the_delta_itself_with_its_sign():
    x = Value(1.0)
    x.grad = 0.0
    (x * -0.0).backward()
    assert x.grad == 0 and math.copysign(1.0, x.grad) == -1.0


def test_a_three_input_primitive_releases_its_inputs_in_one_plain_pass():
    from autodiff.ops import Primitive

    # fma(a, b, c) = a·b + c: the plain pass's general branch for operations of 3+ inputs.
    fma = Primitive(
        "fma",
        lambda a, b, c: a * b + c,
        (lambda a, b, c, out: b, lambda a, b, c, out: a, lambda a, b, c, out: 1),
    )
    x, y = Value(F(2, 3)), Value(F(5))
    h = x * y
    out = fma(h, x, h) * fma(x, y, y)  # h and x reach the fma nodes more than once
    before = (backward.recounts, backward.general_passes)
    out.backward()
    assert (backward.recounts, backward.general_passes) == before
    hx, second = h.data * x.data + h.data, x.data * y.data + y.data
    assert h.grad == (x.data + 1) * second
    dx = h.grad * y.data + h.data * second + y.data * (hx)
    assert x.grad == dx and y.grad == h.grad * x.data + (x.data + 1) * hx


def test_a_hooked_leaf_adds_its_delta_to_whatever_grad_it_held():
    for held, expected in ((None, F(3)), (F(1, 4), F(13, 4)), (0.0, 3.0)):
        w = Value(F(1, 2) if held != 0.0 else 0.5)
        w.grad = held
        calls = []
        w.register_hook(calls.append)
        (w * 3).backward()
        assert w.grad == expected and type(w.grad) is type(expected) and len(calls) == 1
    w = Value(1.0)
    w.grad = 0.0
    w.register_hook(lambda d: None)
    (w * -0.0).backward()
    assert math.copysign(1.0, w.grad) == -1.0  # the δ itself, not 0.0 + δ


def test_a_parameter_as_seed_takes_the_general_pass_too():
    from autodiff import Parameter

    p = Parameter(F(2))
    loss = p * p + p
    before = backward.general_passes
    loss.backward(p)  # δ = p · (2p + 1), recorded on p itself during the pass
    assert p.grad.data == 2 * (2 * 2 + 1) and backward.general_passes == before

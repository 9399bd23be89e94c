"""The backward pass: reused nodes, accumulation, zeroing, deep graphs and determinism."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest

from autodiff import Value, topological_order, zero_grad


def test_a_node_used_twice_receives_both_contributions():
    x = Value(3)
    (x * x).backward()
    assert x.grad == 6
    y = Value(F(1, 2))
    (y + y + y).backward()
    assert y.grad == 3


def test_diamond_graph():
    x = Value(2)
    a, b = x * 3, x * x
    out = a * b  # 3x · x² = 3x³, derivative 9x² = 36
    out.backward()
    assert out.data == 24 and x.grad == 36


def test_every_node_receives_its_delta():
    x = Value(2)
    h = x * 5
    out = h * h
    out.backward()
    assert (out.grad, h.grad, x.grad) == (1, 20, 100)


def test_grads_accumulate_across_backward_calls_without_reusing_old_deltas():
    x = Value(3)
    h = x * 2
    out = h * h
    out.backward()
    assert (x.grad, h.grad) == (24, 12)
    out.backward()  # adds the same δs again; the 12 left on h is not sent down a second time
    assert (x.grad, h.grad) == (48, 24)


def test_batch_gradient_is_the_sum_of_per_sample_gradients():
    w = Value(F(1, 3))
    for x in (1, 2, 3):
        (w * x).backward()
    assert w.grad == 6


def test_zero_grad_on_a_graph_and_on_a_parameter_list():
    w, b = Value(2), Value(1)
    out = w * 3 + b
    out.backward()
    out.zero_grad()
    assert (w.grad, b.grad, out.grad) == (0, 0, 0)
    out.backward()
    zero_grad([w])
    assert (w.grad, b.grad) == (0, 1)
    zero_grad(out)
    assert b.grad == 0
    with pytest.raises(TypeError, match="zero_grad expects Values"):
        zero_grad([w, 3])


def test_constants_from_plain_numbers_receive_no_gradient():
    x = Value(2)
    out = x * 3 + 1
    out.backward()
    constants = [
        p
        for node in topological_order(out, only_requiring_grad=False)
        for p in node.parents
        if not p.requires_grad
    ]
    assert [c.data for c in constants] == [1, 3]
    assert all(c.grad == 0 for c in constants)


def test_backward_with_a_seed():
    x = Value(F(1, 2))
    (x * 4).backward(F(1, 3))
    assert x.grad == F(4, 3)


def test_backward_on_a_constant_is_an_error():
    with pytest.raises(RuntimeError, match="does not depend on anything that requires a gradient"):
        Value(3, requires_grad=False).backward()


def test_float_graph_seeds_a_float():
    x = Value(2.0)
    out = x + 1
    out.backward()
    assert isinstance(x.grad, float) and x.grad == 1.0


def test_topological_order_puts_every_node_before_its_parents():
    a, b = Value(1), Value(2)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    position = {id(n): i for i, n in enumerate(order)}
    assert order[0] is e and len(order) == 5
    for node in order:
        for parent in node.parents:
            assert position[id(node)] < position[id(parent)]


def test_a_chain_of_a_million_operations():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert y.data == 1_000_001.0 and x.grad == 1.0
    del y  # freeing a million-deep chain must not overflow the C stack either


DETERMINISM_SCRIPT = """
from autodiff import Value
xs = [Value(0.1 * i + 0.01) for i in range(30)]
acc = xs[0]
for i, x in enumerate(xs[1:]):
    acc = acc * x.tanh() + x * x - xs[i // 2].sigmoid() * acc
acc.backward()
print([x.grad.hex() for x in xs])
"""


def test_float_results_are_identical_across_processes():
    root = Path(__file__).resolve().parents[1]
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)}
        run = subprocess.run(
            [sys.executable, "-c", DETERMINISM_SCRIPT], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(run.stdout)
    assert len(outputs) == 1


def test_propagate_can_leave_hooks_uncalled_and_stay_on_a_path():
    from autodiff.backward import leading_to, propagate

    calls = []
    a, b = Value(2, name="a"), Value(3, name="b")
    h = a * b
    h.register_hook(lambda delta: calls.append(delta) or delta * 100)
    out = h + b
    deltas = {node.name: d for node, d in propagate(out, 1, hooks=False)}
    assert calls == [] and (deltas["a"], deltas["b"]) == (3, 3)
    on_path = {node.name for node, _ in propagate(out, 1, hooks=False, through=leading_to(out, [a]))}
    assert "a" in on_path and "b" not in on_path
    assert (a.grad, b.grad) == (0, 0)  # propagate never writes .grad

"""The backward pass: reused nodes, accumulation, zeroing, deep graphs and determinism."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from fractions import Fraction as F
from pathlib import Path

import pytest

import autodiff.backward
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
    out.backward(
        retain_graph=True
    )  # adds the same δs again (meant: no warning); the 12 left on h is not sent down a second time
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


# --- a failed pass changes nothing -----------------------------------------------------------------


def _snapshot(nodes):
    return [(n.grad, type(n.grad)) for n in nodes]


@pytest.mark.parametrize("anomaly", [False, True])
def test_a_derivative_raising_mid_pass_leaves_every_grad_as_it_was(anomaly):
    from autodiff import detect_anomaly

    x, c = Value(2.0, "x"), Value(0.0, "c")
    x.grad = 5.0
    y = x * 3 + c.sqrt()  # sqrt's derivative at 0 is infinite: raised after the add and mul are done
    nodes = topological_order(y)
    before = _snapshot(nodes)
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        if anomaly:
            with detect_anomaly():
                y.backward()
        else:
            y.backward()
    assert _snapshot(nodes) == before
    # The engine is clean afterwards: the same leaves in a new graph get exact δs, no leftovers.
    (x * 3).backward()
    assert x.grad == 8.0 and c.grad == 0


def test_a_raising_hook_leaves_every_grad_as_it_was_and_a_retry_does_not_double_count():
    x = Value(F(1, 2), "x")
    h = x * x
    out = h * 3 + x
    calls = []

    def flaky(delta):
        calls.append(delta)
        if len(calls) == 1:
            raise RuntimeError("hook failed")

    x.register_hook(flaky)
    with pytest.raises(RuntimeError, match="hook failed"):
        out.backward()
    assert all(n.grad == 0 for n in topological_order(out))
    out.backward()  # the retry
    assert x.grad == 3 * 2 * F(1, 2) + 1 and out.grad == 1 and h.grad == 3


def test_an_anomaly_mid_pass_leaves_every_grad_as_it_was():
    from autodiff import detect_anomaly

    x = Value(1.0)
    out = x * 1e300 + x
    with detect_anomaly(), pytest.raises(FloatingPointError):
        out.backward(1e300)
    assert all(n.grad == 0 for n in topological_order(out))


def test_grad_none_counts_as_zero():
    x = Value(F(3), "x")
    y = x * x
    x.grad = None  # the PyTorch habit of "no gradient yet"
    y.grad = None
    y.backward()
    assert x.grad == 6 and y.grad == 1
    x.grad = None
    y2 = x * x
    y2.backward(create_graph=True)
    assert x.grad.data == 6


def test_a_grad_that_is_not_a_number_is_refused_clearly_and_changes_nothing():
    x = Value(2.0, "x")
    y = x * x
    x.grad = "oops"
    with pytest.raises(TypeError, match=r"the .grad of node 'x' holds str 'oops'"):
        y.backward()
    assert x.grad == "oops" and y.grad == 0


def test_a_backward_inside_a_hook_is_correct():
    # The nested pass takes the general path; the outer one keeps its own δs.
    w = Value(2.0, "w")
    inner_results = []

    def hook(delta):
        z = w * w * w
        z.backward()
        inner_results.append(w.grad)

    a = w * 5
    a.register_hook(hook)
    (a * a).backward()
    assert inner_results == [12.0]
    assert w.grad == 12.0 + 2 * 10.0 * 5


def test_concurrent_backward_passes_through_a_shared_subgraph_are_each_complete():
    import threading

    w = Value(1.5, "w")
    shared = w * 2.0  # a node in every thread's graph
    errors = []

    def work(k):
        try:
            for _ in range(40):
                x = Value(float(k), "x")
                out = x * 0.0
                for _ in range(100):
                    out = out + x * shared
                out.backward()
                assert x.grad == 100 * 3.0, x.grad  # exact: each term adds 3.0
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize("repeat", range(20))
def test_threads_backpropagating_into_a_shared_weight_lose_no_update(repeat):
    # Each pass adds 3 to w.grad; with a thread switch every microsecond, an unguarded
    # read-add-write of .grad loses some of them (issue 21: 11166 instead of 12000).
    import threading

    w = Value(1.0, "w")

    def work():
        for _ in range(2000):
            (w * 3).backward()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert w.grad == 12000


def test_a_second_pass_from_the_same_root_warns_and_still_adds():
    # Issue 21: re-running `loss.backward()` doubled every .grad without a word.
    w = Value(F(1, 2), "w")
    y = w * 3
    y.backward()
    with pytest.warns(
        UserWarning, match=r"ran again from the same Value.*twice.*zero_grad\(\).*retain_graph=True"
    ):
        y.backward()
    assert w.grad == 6  # the accumulation stays (micrograd's and the articles' loops rely on it)
    with pytest.warns(UserWarning) as caught:
        y.backward()
    assert caught[0].filename == __file__  # the warning points at the user's line


def test_retain_graph_says_a_second_pass_is_meant_and_silences_the_warning():
    w = Value(2, "w")
    y = w * w
    y.backward(retain_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.backward(retain_graph=True)
        autodiff.backward.backward(y, retain_graph=True)
    assert w.grad == 12
    with pytest.raises(TypeError, match=r"retain_graph=\.\.\.\) must be True or False"):
        y.backward(retain_graph="yes")


def test_passes_from_different_roots_through_shared_nodes_stay_silent():
    w = Value(3, "w")
    shared = w * w
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in (1, 2, 5):
            (shared * k).backward()  # the article's per-sample loop: a new root every time
        (shared + 1).backward(create_graph=True)
    assert w.grad.data == (1 + 2 + 5 + 1) * 6  # create_graph leaves a Value in .grad


def test_zero_grad_on_the_root_starts_over_without_a_warning():
    w = Value(2, "w")
    y = w * 5
    y.backward()
    y.zero_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.backward()
    assert w.grad == 5


def test_a_failed_first_pass_does_not_count_as_a_pass():
    w = Value(2, "w")
    y = w * 5
    handle = y.register_hook(lambda delta: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        y.backward()
    handle.remove()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.backward()
    assert w.grad == 5


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_second_pass_warns_in_the_general_pass_too(create_graph):
    w = Value(2.0, "w")
    y = w * w
    y.backward(create_graph=create_graph)
    with pytest.warns(UserWarning, match="ran again from the same Value"):
        y.backward(Value(1.0))  # a Value seed takes the general pass
    assert w.grad.data == 8.0  # a Value seed gives Value δs


def test_the_mark_of_a_passed_root_keeps_its_hooks_and_leaves_other_nodes_alone():
    w = Value(2, "w")
    y = w * 3
    seen = []
    y.register_hook(seen.append)
    y.backward()
    assert len(y.hooks) == 1  # the hook is still there, and is called again below
    with pytest.warns(UserWarning):
        y.backward()
    assert seen == [1, 1]
    assert w.hooks == () and not w._hooks  # only the root carries the mark
    later = y.register_hook(lambda d: None)
    later.remove()
    with pytest.warns(UserWarning):  # registering and removing a hook keeps the mark
        y.backward()
    y.zero_grad()
    assert len(y.hooks) == 1


def test_a_failed_second_pass_adds_nothing_and_does_not_warn():
    w = Value(2, "w")
    y = w * 5
    y.backward()
    handle = w.register_hook(lambda delta: 1 / 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ZeroDivisionError):
            y.backward()
    handle.remove()
    assert w.grad == 5
    with pytest.warns(UserWarning, match="ran again"):
        y.backward()
    assert w.grad == 10

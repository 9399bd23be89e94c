"""Gradient control (no_grad, enable_grad, detach, requires_grad) and anomaly detection."""

from __future__ import annotations

import threading
from fractions import Fraction

import pytest

from autodiff import Value, detect_anomaly, enable_grad, is_grad_enabled, layer, no_grad, topological_order


def test_no_grad_records_nothing():
    x = Value(3, "x")
    with no_grad():
        y = (x * x + 1).relu()
    assert (y.data, y.op, y.parents, y.requires_grad) == (10, None, (), False)
    with pytest.raises(RuntimeError, match="does not depend on anything that requires a gradient"):
        y.backward()
    assert x.grad == 0


def test_leaf_made_inside_no_grad_still_learns():
    # The usual update step makes new weights inside no_grad(); they must take part in the next pass.
    w = Value(Fraction(1, 2), "w")
    (w * 4).backward()
    with no_grad():
        w = Value(w.data - Fraction(1, 10) * w.grad, "w")
    assert w.requires_grad
    (w * w).backward()
    assert w.grad == Fraction(1, 5)


def test_enable_grad_inside_no_grad_and_nesting_restore_state():
    x = Value(2)
    with no_grad():
        assert not is_grad_enabled()
        with enable_grad():
            assert is_grad_enabled()
            y = x * x
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert y.op == "mul"
    y.backward()
    assert x.grad == 4


def test_no_grad_restores_the_state_after_an_exception():
    with pytest.raises(ZeroDivisionError), no_grad():
        Value(1) / 0
    assert is_grad_enabled()
    with no_grad():
        with pytest.raises(ValueError), enable_grad():
            Value(-1).log()
        assert not is_grad_enabled()
    assert (Value(2) * 3).op == "mul"


def test_no_grad_does_not_leak_between_threads():
    inside = threading.Event()
    recorded = threading.Event()
    seen: dict[str, object] = {}

    def quiet() -> None:
        with no_grad():
            inside.set()
            # Stay inside no_grad() until the other thread has recorded its operation.
            recorded.wait(timeout=10)
            seen["quiet enabled"] = is_grad_enabled()
            seen["quiet op"] = (Value(2) * 3).op

    def busy() -> None:
        inside.wait(timeout=10)
        seen["busy enabled"] = is_grad_enabled()
        seen["busy op"] = (Value(2) * 3).op
        recorded.set()

    threads = [threading.Thread(target=quiet), threading.Thread(target=busy)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert seen == {"busy enabled": True, "busy op": "mul", "quiet enabled": False, "quiet op": None}


def test_a_new_thread_starts_with_grad_enabled_even_from_inside_no_grad():
    seen = []
    with no_grad():
        t = threading.Thread(target=lambda: seen.append(is_grad_enabled()))
        t.start()
        t.join(timeout=10)
    assert seen == [True]


def test_detach_stops_the_flow():
    x = Value(Fraction(3), "x")
    y = (x * x).detach() * x  # d/dx of [const 9]·x is 9, not 27
    y.backward()
    assert x.grad == 9
    d = x.detach()
    assert (d.data, d.name, d.requires_grad, d.is_leaf) == (3, "x", False, True)


def test_constant_subgraphs_are_skipped():
    x = Value(2, "x")
    c = Value(5, "c", requires_grad=False)
    constant_part = c * c + 1
    with pytest.raises(RuntimeError, match="does not require a gradient"):
        constant_part.register_hook(print)  # no δ would ever reach it
    y = x * constant_part
    assert not constant_part.requires_grad
    assert c not in topological_order(y)
    assert constant_part not in topological_order(y)
    y.backward()
    assert (x.grad, c.grad, constant_part.grad) == (26, 0, 0)


def test_plain_numbers_become_constants_that_receive_no_gradient():
    x = Value(2)
    y = x * 3 + 4
    constants = [y.parents[1], y.parents[0].parents[1]]
    assert [(k.data, k.requires_grad) for k in constants] == [(4, False), (3, False)]
    y.backward()
    assert [k.grad for k in constants] == [0, 0]
    assert x.grad == 3


def test_requires_grad_false_on_a_weight_freezes_it():
    w1, w2 = Value(2, "w1"), Value(3, "w2")
    w1.requires_grad_(False)
    (w1 * w2).backward()
    assert (w1.grad, w2.grad) == (0, 2)
    assert w1.requires_grad_(True) is w1
    (w1 * w2).backward()
    assert w1.grad == 3


# --- detect_anomaly ------------------------------------------------------------------------------


def test_anomaly_forward_names_the_operation_and_its_inputs():
    big = Value(1e308, "big")
    expected = r"mul produced inf from \(big=1e\+308, 10\)"
    with pytest.raises(FloatingPointError, match=expected), detect_anomaly():
        big * 10
    # Outside the mode the infinity goes through silently, as float arithmetic does.
    assert (big * 10).data == float("inf")


def test_anomaly_forward_catches_nan():
    with pytest.raises(FloatingPointError, match=r"sub produced nan from \(a=inf, b=inf\)"), detect_anomaly():
        Value(float("inf"), "a") - Value(float("inf"), "b")


@pytest.mark.parametrize("create_graph", [False, True])
def test_anomaly_backward_names_the_node(create_graph):
    # Forward is finite (1e300 · log(1e-10) ≈ −2.3e301), but δ_x = 1e300 / 1e-10 overflows.
    x = Value(1e-10, "x")
    logx = x.log()
    logx.name = "logx"
    y = 1e300 * logx
    expected = r"the backward of log \(node 'logx'\), for input 0, produced inf from \(x=1e-10\)"
    with pytest.raises(FloatingPointError, match=expected), detect_anomaly():
        y.backward(create_graph=create_graph)
    y.zero_grad()
    y.backward(create_graph=create_graph)  # without the mode: no error, an infinite δ
    assert float(getattr(x.grad, "data", x.grad)) == float("inf")  # a Value with create_graph


def test_detect_anomaly_restores_state_after_the_error():
    with pytest.raises(FloatingPointError), detect_anomaly():
        Value(1e308) * 10
    assert (Value(1e308) * 10).data == float("inf")


def test_anomaly_catches_numpy_float32_overflow():
    np = pytest.importorskip("numpy")
    with (
        np.errstate(over="ignore"),
        detect_anomaly(),
        pytest.raises(FloatingPointError, match="mul produced"),
    ):
        Value(np.float32(1e20)) * Value(np.float32(1e20))


def test_anomaly_catches_an_infinity_made_by_adding_up_deltas():
    a = Value(1e-300, name="a")
    root = a * 1e308 + a * 1e308  # finite forward (2e8), but δ_a = 1e308 + 1e308 = inf
    with detect_anomaly(), pytest.raises(FloatingPointError, match="adding up the δs of node 'a'"):
        root.backward()


def test_anomaly_catches_an_infinite_delta_returned_by_a_hook():
    x = Value(2.0, name="x")
    y = x * 3
    y.register_hook(lambda delta: float("inf"))
    with detect_anomaly(), pytest.raises(FloatingPointError, match="the hook on"):
        y.backward()


def test_create_graph_records_the_gradient_even_inside_no_grad():
    x = Value(Fraction(1, 2))
    y = x**3
    with no_grad():
        y.backward(create_graph=True)
    slope = x.grad
    assert slope.data == Fraction(3, 4) and slope.requires_grad
    x.grad = 0
    slope.backward()
    assert x.grad == 3


def test_gc_paused_pauses_the_collector_and_restores_its_state_also_on_error():
    import gc

    import autodiff

    assert gc.isenabled()
    try:
        with autodiff.gc_paused():
            assert not gc.isenabled()
            with autodiff.gc_paused():  # nested: still paused after the inner block
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert gc.isenabled()
        with pytest.raises(ZeroDivisionError), autodiff.gc_paused():
            1 / 0  # noqa: B018
        assert gc.isenabled()
        gc.disable()
        with autodiff.gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_the_combined_recording_flag_follows_every_mode():
    from autodiff.modes import SLOW, state

    assert state.fast is None
    with layer("L2"):
        assert state.fast == "L2"
        with no_grad():
            assert state.fast is SLOW
            with enable_grad():
                assert state.fast == "L2"
        with detect_anomaly():
            assert state.fast is SLOW
        assert state.fast == "L2"
    assert state.fast is None


def test_modes_work_as_decorators_and_per_thread():
    import threading

    @no_grad()
    def recorded(x, depth):
        return recorded(x, depth - 1) if depth else x * 2

    x = Value(1.0)
    assert not recorded(x, 3).requires_grad
    assert (x * 2).requires_grad  # restored after the recursive calls
    seen = []
    with no_grad():
        thread = threading.Thread(target=lambda: seen.append((x * 2).requires_grad))
        thread.start()
        thread.join()
    assert seen == [True]


def test_fit_pauses_the_collector_while_training_and_restores_it_also_on_error():
    import gc

    from autodiff.learn.datasets import moons_model
    from autodiff.learn.nn import MaxMargin
    from autodiff.learn.optim import SGD
    from autodiff.learn.train import fit

    model = moons_model(seed=0)
    seen = []

    def watch(step):
        seen.append(gc.isenabled())

    fit(
        model,
        MaxMargin(),
        [((0.1, 0.2), 1), ((0.5, -0.3), -1)],
        SGD(model.parameters(), lr=0.1),
        on_step=watch,
    )
    assert seen == [False, False] and gc.isenabled()

    def fail(step):
        raise KeyError("stop")

    with pytest.raises(KeyError):
        fit(model, MaxMargin(), [((0.1, 0.2), 1)], SGD(model.parameters(), lr=0.1), on_step=fail)
    assert gc.isenabled()


def test_the_process_wide_plain_flag_follows_every_block_and_thread():
    # The in-line operations read `modes.everywhere_default` instead of the thread-local state
    # while no thread is inside a block; it must be False exactly while some thread is.
    from autodiff import modes

    assert modes.everywhere_default
    with no_grad():
        assert not modes.everywhere_default
        with enable_grad():
            assert modes.everywhere_default  # recording again, with no label: the plain state
            assert (Value(2) * 3).op == "mul"
        assert not modes.everywhere_default
        assert (Value(2) * 3).op is None
    assert modes.everywhere_default
    with pytest.raises(ZeroDivisionError), layer("L1"), detect_anomaly():
        Value(1) / 0
    assert modes.everywhere_default
    entered, leave = threading.Event(), threading.Event()
    labels = []

    def labelled() -> None:
        with layer("L2"):
            entered.set()
            leave.wait(timeout=10)
            labels.append((Value(1) + Value(2)).layer)

    other = threading.Thread(target=labelled)
    other.start()
    entered.wait(timeout=10)
    here = Value(1) * Value(2)
    assert not modes.everywhere_default and (here.op, here.layer) == ("mul", None)
    leave.set()
    other.join(timeout=10)
    assert labels == ["L2"] and modes.everywhere_default

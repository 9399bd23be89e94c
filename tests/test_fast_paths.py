"""The engine's hot paths (recording by arity, parents in slots, the fused backward walk)."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from autodiff import Primitive, Value, detect_anomaly, no_grad, topological_order
from autodiff.backward import propagate

# A three-input operation takes the general path (parents kept as a tuple), unlike unary and binary
# ones. Made without `primitive()` so that it stays out of the table other tests walk through.
fma = Primitive(
    "fast_path_fma",
    lambda x, y, z: x * y + z,
    (lambda x, y, z, out: y, lambda x, y, z, out: x, lambda x, y, z, out: 1),
)


def test_parents_are_kept_in_order_for_every_arity():
    a, b, c = Value(F(1, 2), "a"), Value(3, "b"), Value(F(-1, 4), "c")
    assert a.parents == () and a.is_leaf
    assert (-a).parents == (a,)
    assert (a * a).parents == (a, a)
    assert (b - a).parents == (b, a)
    assert fma(a, b, c).parents == (a, b, c)
    constant = (a * 2).parents[1]
    assert constant.data == 2 and not constant.requires_grad and constant.is_leaf


def test_a_three_input_operation_differentiates_like_its_composition():
    a, b, c = Value(F(1, 2)), Value(3), Value(F(-1, 4))
    out = fma(a, b, a) * c
    out.backward()
    x, y = Value(F(1, 2)), Value(3)
    z = Value(F(-1, 4))
    ref = (x * y + x) * z
    ref.backward()
    assert out.data == ref.data
    assert (a.grad, b.grad, c.grad) == (x.grad, y.grad, z.grad) == (-1, F(-1, 8), F(2))


def test_a_three_input_operation_with_constants_and_second_order():
    a = Value(F(2))
    out = fma(a, a, 5)
    assert out.parents[2].data == 5 and not out.parents[2].requires_grad
    out.backward(create_graph=True)
    assert out.data == 9 and a.grad.data == 4
    a.grad.backward()
    assert a.grad.data == 4 + 2  # d(2a)/da added to the first-order grad


def test_propagate_yields_in_topological_order_and_leaves_grads_alone():
    x, y = Value(F(1, 3)), Value(2)
    h = x * y
    out = (h + x) * h - y.relu()
    pairs = list(propagate(out, 1))
    assert [node for node, _ in pairs] == topological_order(out)
    assert all(node.grad == 0 for node, _ in pairs)
    out.backward()
    assert [node.grad for node, _ in pairs] == [delta for _, delta in pairs]


def test_second_derivatives_through_the_fast_paths():
    x = Value(F(3, 2))
    y = x**3 - 2 * x * x
    y.backward(create_graph=True)
    first = x.grad
    assert first.data == 3 * F(9, 4) - 4 * F(3, 2)
    x.grad = 0
    first.backward()
    assert x.grad == 6 * F(3, 2) - 4


def test_hooks_see_and_replace_the_delta():
    x = Value(2.0)
    h = x * 3
    seen = []
    h.register_hook(lambda d: seen.append(d))
    handle = h.register_hook(lambda d: d * 10)
    (h * h).backward()
    assert seen == [12.0] and x.grad == 360.0
    handle.remove()
    x.grad = 0
    (h * h).backward()
    assert x.grad == 36.0


def test_anomaly_mode_still_checks_forward_and_backward():
    x = Value(1e308)
    with detect_anomaly(), pytest.raises(FloatingPointError, match="mul produced inf"):
        x * 10.0
    out = Value(1.0) * 1e300  # finite, but its δ with a seed of 1e300 is not
    with detect_anomaly(), pytest.raises(FloatingPointError, match="the backward of mul"):
        out.backward(1e300)


def test_recording_stops_inside_no_grad_on_every_path():
    a = Value(2.0)
    with no_grad():
        for out in (a * 3, -a, fma(a, a, a), a.relu()):
            assert not out.requires_grad and out.parents == () and out.op is None


def test_subclasses_of_number_types_take_the_checked_path():
    class Weight(float):
        pass

    v = Value(1.5) * Weight(2.0)
    assert v.data == 3.0
    with pytest.raises(TypeError, match="bool"):
        Value(1.0) * True

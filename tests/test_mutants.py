"""Small tests that pin behaviour the mutation check (tests/mutation/run.py) found unchecked."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

import autodiff
from autodiff import Tape, Value, detect_anomaly, ops
from autodiff.ops import primitive


def test_a_primitive_without_parameters_has_empty_params():
    assert ops.add.params == {}
    assert repr(ops.add) == "<primitive add/2>"
    assert repr(ops.leaky_relu.bind(slope=Fraction(1, 2))) == "<primitive leaky_relu/1, slope=Fraction(1, 2)>"


def test_binding_the_wrong_parameters_says_which_are_expected():
    with pytest.raises(TypeError, match=r"add takes the parameters \(no parameters\), got \(slope\)"):
        ops.add.bind(slope=1)
    with pytest.raises(TypeError, match=r"leaky_relu takes the parameters \(slope\), got \(none\)"):
        ops.leaky_relu.bind()


def test_a_parametrised_primitive_called_without_its_parameter_names_it():
    with pytest.raises(TypeError, match=r"takes the parameters \(slope\), got \(none\)"):
        ops.leaky_relu(Value(1.0))
    with pytest.raises(TypeError, match=r"takes the parameters \(slope\), got \(none\)"):
        ops.leaky_relu(1.0)
    assert ops.leaky_relu(Value(-2.0), slope=0.5).data == -1.0
    bound = ops.leaky_relu.bind(slope=Fraction(1, 4))
    assert bound(-2) == Fraction(-1, 2)
    assert bound(Value(-2)).data == Fraction(-1, 2)


@pytest.mark.parametrize("name", [5, None, "two words", "1st", ""])
def test_primitive_names_must_be_identifiers(name):
    with pytest.raises(ValueError, match="identifier"):
        primitive(name, lambda x: x, lambda x, out: 1)
    assert name not in ops.PRIMITIVES


@pytest.mark.parametrize("param", [5, "a b", ""])
def test_primitive_parameter_names_must_be_identifiers(param):
    with pytest.raises(ValueError, match="identifiers"):
        primitive("never_registered_op", lambda x, **k: x, lambda x, out, **k: 1, params=(param,))


def test_relu_and_leaky_relu_pass_their_input_itself_from_zero_up():
    # The articles' rule, L3(x) = x if x >= 0: at exactly 0 the input is returned as it is.
    zero = Fraction(0)
    assert ops.relu(zero) is zero
    assert ops.leaky_relu(zero, slope=Fraction(1, 100)) is zero
    assert type(ops.leaky_relu(0, slope=Fraction(1, 100))) is int
    assert ops.relu(Fraction(-1, 3)) == 0


def test_sqrt_of_zero_is_zero():
    assert ops.sqrt(0) == 0.0
    assert Value(0.0).sqrt().data == 0.0
    with pytest.raises(ValueError, match="sqrt"):
        ops.sqrt(-1e-300)


def test_a_learned_exponent_of_a_zero_base():
    # 0 ** y is 0 for every y > 0 (flat: δy = 0) and jumps to 1 at y = 0 (no derivative there).
    zero = Value(0.0, requires_grad=False)
    e = Value(0.5)
    (zero**e).backward()
    assert e.grad == 0
    e0 = Value(0.0)
    with pytest.raises(ValueError, match="positive base"):
        (zero**e0).backward()
    assert e0.grad == 0


def test_abs_of_zero_is_the_zero_itself():
    zero = Fraction(0)
    assert ops.abs(zero) is zero
    assert math.copysign(1.0, ops.abs(0.0)) == 1.0  # +0.0, not -0.0


@pytest.mark.parametrize("n", [0, -1, True, 2.0, "3"])
def test_sum_needs_a_positive_int_count(n):
    with pytest.raises(ValueError, match="sum needs at least one input"):
        ops.sum.bind(n=n)


def test_create_graph_makes_every_grad_a_value_without_wrapping_it():
    x = Value(2.0)
    w = Value(3.0)
    y = x * w
    y.backward(create_graph=True)
    assert isinstance(y.grad, Value) and isinstance(x.grad, Value)
    assert x.grad.op == "mul"  # δ·w itself, not `0 + δ·w`
    leaf = Value(5.0)
    leaf.backward(create_graph=True)
    assert isinstance(leaf.grad, Value) and leaf.grad.data == 1.0


def test_anomaly_names_the_node_whose_hook_went_wrong():
    x = Value(1.0)
    x.register_hook(lambda g: math.nan)
    with detect_anomaly(), pytest.raises(FloatingPointError, match="the hook on a leaf node"):
        (x * 2).backward()
    y = Value(1.0) * 2
    y.register_hook(lambda g: math.inf)
    with detect_anomaly(), pytest.raises(FloatingPointError, match="the hook on a mul node"):
        (y + 1).backward()


def test_leaky_relu_default_slope_is_one_hundredth():
    assert Value(-100).leaky_relu().data == -1
    assert type(Value(-100).leaky_relu().data) is Fraction


def test_sum_of_one_value_is_that_value():
    x = Value(2.0)
    assert autodiff.sum([x]) is x
    assert autodiff.sum([3]).data == 3


def test_tape_backward_adds_to_an_existing_grad():
    w = Value(Fraction(1, 2))
    tape = Tape(w * w, inputs=[w])
    w.grad = 1
    tape.backward()
    assert w.grad == 2
    w.grad = 0
    tape.backward()
    assert w.grad == 1

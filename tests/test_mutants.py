"""Small tests that pin behaviour the mutation check (tests/mutation/run.py) found unchecked."""

from __future__ import annotations

from fractions import Fraction

import pytest

from autodiff import Value, ops
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
    with pytest.raises(TypeError, match="slope"):
        ops.leaky_relu(Value(1.0))
    with pytest.raises(TypeError, match="slope"):
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

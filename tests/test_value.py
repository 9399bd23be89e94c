"""Value construction, input checking, printing and the number types it carries."""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest

from autodiff import Value, is_exact


@pytest.mark.parametrize(
    ("bad", "type_name"),
    [("abc", "str"), (None, "NoneType"), ([1], "list"), ({"a": 1}, "dict"), (object(), "object")],
)
def test_non_numbers_are_refused_with_their_type_named(bad, type_name):
    with pytest.raises(TypeError, match=f"got {type_name}"):
        Value(bad)


def test_complex_and_bool_are_refused():
    with pytest.raises(TypeError, match="complex"):
        Value(1 + 2j)
    with pytest.raises(TypeError, match="bool"):
        Value(True)


def test_a_string_operand_is_refused_naming_the_operation():
    with pytest.raises(TypeError, match=r"add needs a real number .* got str"):
        Value(1) + "2"
    with pytest.raises(TypeError, match=r"mul needs a real number .* got NoneType"):
        None * Value(1)


def test_a_non_string_name_is_refused():
    with pytest.raises(TypeError, match="name must be a str"):
        Value(1, name=3)


@pytest.mark.parametrize("number", [3, F(1, 3), 0.25])
def test_data_keeps_the_type_it_is_given(number):
    v = Value(number)
    assert v.data == number and type(v.data) is type(number)
    assert is_exact(v.data) == (not isinstance(number, float))


def test_numpy_scalars_are_accepted():
    np = pytest.importorskip("numpy")
    v = Value(np.float64(0.5)) * 2 + Value(np.float32(1.5))
    v.backward()
    assert v.data == pytest.approx(2.5)
    big = Value(np.int64(2**62)) * 4  # numpy int64 would overflow; Python int does not
    assert big.data == 2**64 and type(big.data) is int


def test_repr_shows_data_grad_name_and_op_with_fractions():
    w = Value(F(1, 200), name="w2_1")
    assert repr(w) == "Value(data=1/200, grad=0, name='w2_1')"
    out = w * 2
    out.backward()
    assert repr(out) == "Value(data=1/100, grad=1, op='mul')"
    assert repr(w) == "Value(data=1/200, grad=2, name='w2_1')"
    assert repr(Value(0.1)) == "Value(data=0.1, grad=0)"


def test_data_and_grad_are_settable():
    v = Value(1)
    v.data = F(1, 2)
    v.grad = 5
    assert (v.data, v.grad) == (F(1, 2), 5)


def test_a_value_has_no_truth_value():
    with pytest.raises(TypeError, match="compare its number instead"):
        bool(Value(1))


def test_item_gives_the_number_unconverted():
    assert Value(F(1, 4)).item() == F(1, 4) and type(Value(F(1, 4)).item()) is F
    assert Value(3).item() == 3 and type(Value(3).item()) is int


def test_math_on_a_value_is_refused_instead_of_cutting_the_graph():
    # Issue 21: math.exp(v) read the number through float(v), so y's δ never reached v through it
    # (v.grad == e instead of 2e). Now it is a TypeError naming the primitive to use.
    v = Value(1.0, "v")
    with pytest.raises(
        TypeError, match=r"math\.exp\(v\) would cut the graph.*Write v\.exp\(\) instead.*v\.item\(\)"
    ):
        Value(math.exp(v)) * v
    y = v.exp() * v
    y.backward()
    assert v.grad == 2 * math.e
    with pytest.raises(TypeError, match=r"math\.log10\(v\).*v\.log10\(\)"):
        math.log10(v)


@pytest.mark.parametrize(
    ("convert", "named"),
    [
        (float, r"float\(v\)"),
        (int, r"int\(v\)"),
        (complex, r"complex\(v\)"),
        (lambda v: [1, 2, 3][v], "as an integer"),
        (range, "as an integer"),
        (lambda v: math.isfinite(v), r"float\(v\)"),
    ],
    ids=["float", "int", "complex", "index", "range", "isfinite"],
)
def test_implicit_conversions_are_refused_and_name_what_to_use(convert, named):
    v = Value(F(5, 2), name="half5")
    with pytest.raises(TypeError, match=rf"{named}.* would cut the graph.*'half5'.*v\.data or v\.item\(\)"):
        convert(v)


def test_graph_structure_is_readable():
    a, b = Value(2, name="a"), Value(3, name="b")
    c = a * b + a
    assert c.op == "add" and not c.is_leaf
    assert c.parents[0].op == "mul" and c.parents[1] is a
    assert c.parents[0].parents == (a, b)
    assert a.is_leaf and a.op is None and a.parents == ()


def test_data_set_to_a_non_number_is_refused_at_once_naming_the_value():
    x = Value(1, "x")
    with pytest.raises(
        TypeError, match=r"setting .data of the Value 'x' needs a real number .* got str: 'ab'"
    ):
        x.data = "ab"
    assert x.data == 1  # unchanged
    assert (x * 3).data == 3


def test_a_custom_forward_returning_a_non_number_is_caught():
    from autodiff import ops

    bad = ops.Primitive("returns_text", lambda x: "text", (lambda x, out: 1,))  # not registered
    with pytest.raises(
        TypeError, match=r"returns_text .its forward rule returned a non-number. needs a real"
    ):
        bad(Value(1))


def test_values_are_not_ordered_and_say_how_to_compare():
    v = Value(2)
    for compare in (lambda: v > 0, lambda: v <= Value(3), lambda: max([v, Value(1)])):
        with pytest.raises(TypeError, match=r"compare their numbers: `v.data > 0`"):
            compare()


def test_conversions_and_formatting_use_the_number():
    v = Value(F(1, 3), name="third")
    assert f"{v:.4f}" == "0.3333"
    assert f"{Value(2.5):.1f}" == "2.5"
    assert f"{v}" == repr(v)
    assert round(v, 2) == F(33, 100) and int(Value(2.7).data) == 2 and float(v.item()) == 1 / 3


def test_data_assignment_is_checked_like_the_constructor():
    np = pytest.importorskip("numpy")
    x = Value(1, "x")
    x.data = np.int64(2**62)
    assert type(x.data) is int
    assert (x * 3).data == 3 * 2**62  # no silent int64 overflow
    x.data = np.float64(0.5)
    assert (x * 2).data == 1.0
    with pytest.raises(TypeError, match=r"setting .data of the Value 'x' got a bool"):
        x.data = True
    assert x.data == 0.5


@pytest.mark.parametrize(
    ("bad", "type_name"),
    [("ab", "str"), (None, "NoneType"), ([1], "list"), ({"a": 1}, "dict"), (1j, "complex")],
)
def test_garbage_data_is_refused_with_the_value_and_the_type_named(bad, type_name):
    y = Value(2.0) * Value(3.0)
    with pytest.raises(TypeError, match=rf"setting .data of a Value made by mul .*{type_name}"):
        y.data = bad
    assert y.data == 6.0


def test_requires_grad_must_be_a_bool():
    with pytest.raises(TypeError, match=r"requires_grad=...\) must be True or False, got str: 'no'"):
        Value(1, requires_grad="no")
    with pytest.raises(TypeError, match=r"requires_grad.* must be True or False"):
        Value(1).requires_grad_(None)


def test_huge_exact_numbers_are_shown_shortened_with_their_digit_count():
    from autodiff import format_number

    big = Value(2) ** 20000
    assert repr(big) == "Value(data=≈3.98e6020 (6,021 digits), grad=0, op='pow')"
    assert format_number(-(10**5000)) == "-≈1.00e5000 (5,001 digits)"
    assert format_number(F(1, 3**10000)) == "1/≈1.63e4771 (4,772 digits)"
    assert format_number(10**100) == str(10**100)  # printable ints are printed in full
    big.backward()  # the δ is an int too; printing it works as well
    assert "digits" in repr(big * 1) and repr(big).startswith("Value(data=≈3.98e6020")


def test_decimal_digits_is_exact_around_powers_of_ten():
    import sys

    from autodiff.exact import decimal_digits

    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        for n in (1, 9, 10, 99, 100, 10**50 - 1, 10**50, 2**20000, 10**4300, 10**4300 - 1, -(10**7)):
            assert decimal_digits(n) == len(str(abs(n))), n
    finally:
        sys.set_int_max_str_digits(limit)


def test_a_parameter_prints_as_a_parameter():
    from autodiff import Parameter

    assert repr(Parameter(F(1, 2), "w")) == "Parameter(data=1/2, grad=0, name='w')"
    assert repr(Value(F(1, 2), "x")) == "Value(data=1/2, grad=0, name='x')"

"""Every primitive of the table: its derivatives against finite differences, and exactness."""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest

import autodiff
from autodiff import Value, ops

# Points inside each primitive's domain, away from kinks (ReLU and abs at 0 are tested apart).
POINTS = {
    "add": [(1.5, -2.0), (0.3, 0.7)],
    "sub": [(1.5, -2.0), (-0.3, 0.7)],
    "mul": [(1.5, -2.0), (0.3, 0.7)],
    "div": [(1.5, -2.0), (-0.3, 0.7)],
    "pow": [(1.5, 2.0), (0.7, -1.3), (2.0, 0.5)],
    "neg": [(1.5,), (-0.2,)],
    "abs": [(1.5,), (-0.2,)],
    "identity": [(1.5,), (-0.2,)],
    "relu": [(1.5,), (-0.2,)],
    "exp": [(1.5,), (-0.2,)],
    "log": [(1.5,), (0.2,)],
    "sqrt": [(1.5,), (0.2,)],
    "tanh": [(1.5,), (-0.2,)],
    "sigmoid": [(1.5,), (-0.2,), (-30.0,)],
    "sin": [(1.5,), (-0.2,)],
    "cos": [(1.5,), (-0.2,)],
    "softplus": [(1.5,), (-0.2,), (-30.0,), (40.0,)],
    "leaky_relu": [(1.5,), (-0.2,)],
    "sum": [(1.5, -2.0, 0.25)],
    "tan": [(0.5,), (-1.2,)],
    "atan": [(1.5,), (-0.2,)],
    "asin": [(0.5,), (-0.9,)],
    "acos": [(0.5,), (-0.9,)],
    "sinh": [(1.5,), (-0.2,)],
    "cosh": [(1.5,), (-0.2,)],
    "log2": [(1.5,), (0.2,)],
    "log10": [(1.5,), (0.2,)],
    "max": [(1.5, -2.0), (0.3, 0.7)],
    "min": [(1.5, -2.0), (0.3, 0.7)],
    "mod": [(3.5, 1.5), (-2.3, 0.7), (2.3, -0.7)],
    "clamp": [(0.5,), (-1.5,), (2.5,)],
}
BUILTIN = sorted(POINTS)
PARAMS = {"leaky_relu": {"slope": 0.1}, "sum": {"n": 3}, "clamp": {"lo": -1.0, "hi": 1.0}}
"""Parameters for the primitives that take some: the table tests run them bound to these."""


def bound(name):
    """The table's primitive `name`, bound to test parameters when it takes any."""
    prim = ops.PRIMITIVES[name]
    return prim.bind(**PARAMS[name]) if prim.param_names else prim


def test_every_builtin_primitive_has_test_points():
    # A primitive added to the table without points here fails this test.
    builtins = {name for name, p in ops.PRIMITIVES.items() if getattr(ops, name, None) is p}
    assert len(builtins) == 31
    assert builtins <= set(POINTS), f"add test points for {sorted(builtins - set(POINTS))}"


def central_difference(prim, args, i, h=1e-6):
    up = list(args)
    down = list(args)
    up[i] += h
    down[i] -= h
    return (prim(*up) - prim(*down)) / (2 * h)


@pytest.mark.parametrize("name", BUILTIN)
def test_gradient_matches_central_differences(name):
    prim = bound(name)
    for args in POINTS[name]:
        inputs = [Value(a) for a in args]
        out = prim(*inputs)
        assert out.op == name
        assert out.data == pytest.approx(prim.forward(*args), rel=1e-15)
        out.backward()
        for i, v in enumerate(inputs):
            expected = central_difference(prim, args, i)
            assert v.grad == pytest.approx(expected, rel=1e-6, abs=1e-8), (name, args, i)


@pytest.mark.parametrize(
    ("expr", "value", "grads"),
    [
        (lambda a, b: a + b, F(7, 6), (1, 1)),
        (lambda a, b: a - b, F(-1, 6), (1, -1)),
        (lambda a, b: a * b, F(1, 3), (F(2, 3), F(1, 2))),
        (lambda a, b: a / b, F(3, 4), (F(3, 2), F(-9, 8))),
        (lambda a, b: a**3, F(1, 8), (F(3, 4), 0)),
        (lambda a, b: a**-2, 4, (-16, 0)),
        (lambda a, b: b ** F(4, 2), F(4, 9), (0, F(4, 3))),
        (lambda a, b: (-a).relu() + b.relu(), F(2, 3), (0, 1)),
        (lambda a, b: abs(a - b), F(1, 6), (-1, 1)),
        (lambda a, b: 1 / a + 2 / b, 5, (-4, F(-9, 2))),
        (lambda a, b: 3 - a, F(5, 2), (-1, 0)),
    ],
)
def test_exact_numbers_stay_exact_forward_and_backward(expr, value, grads):
    a, b = Value(F(1, 2)), Value(F(2, 3))
    out = expr(a, b)
    out.backward()
    assert out.data == value and isinstance(out.data, (int, F))
    assert (a.grad, b.grad) == grads
    assert all(isinstance(g, (int, F)) for g in (a.grad, b.grad))


def test_integer_division_gives_a_fraction_not_a_float():
    v = Value(1) / 200
    assert v.data == F(1, 200) and isinstance(v.data, F)
    assert (Value(2) ** -1).data == F(1, 2)
    assert (2 ** Value(-2)).data == F(1, 4)


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid", "sqrt"])
def test_operations_leaving_the_rationals_return_floats(name):
    v = Value(F(1, 4))
    out = getattr(v, name)()
    out.backward()
    assert isinstance(out.data, float) and isinstance(v.grad, float)


def test_non_integer_power_of_an_exact_number_is_a_float():
    v = Value(F(1, 4))
    out = v ** F(1, 2)
    out.backward()
    assert out.data == 0.5 and isinstance(out.data, float)
    assert v.grad == pytest.approx(1.0, rel=1e-15)


def test_value_to_the_power_of_a_value():
    x, y = Value(2.0), Value(3.0)
    out = x**y
    out.backward()
    assert out.data == 8.0
    assert x.grad == pytest.approx(12.0) and y.grad == pytest.approx(8.0 * 0.6931471805599453)


def test_relu_passes_the_gradient_at_exactly_zero():
    # The articles' rule; PyTorch and JAX give 0 here.
    x = Value(0)
    out = x.relu()
    out.backward()
    assert out.data == 0 and x.grad == 1
    y = Value(F(-1, 10**9))
    y.relu().backward()
    assert y.grad == 0


def test_relu_keeps_the_number_type_when_it_clips():
    assert (Value(-2.5).relu()).data == 0.0 and isinstance(Value(-2.5).relu().data, float)
    assert isinstance(Value(F(-1, 3)).relu().data, F)


def test_abs_at_zero_has_derivative_zero():
    x = Value(0)
    abs(x).backward()
    assert x.grad == 0


def test_pow_special_cases():
    x = Value(0)
    (x**0).backward()
    assert x.grad == 0  # d(x⁰)/dx is 0, even at 0
    base, e = Value(0.0), Value(2.0)
    (base**e).backward()
    assert e.grad == 0  # 0 ** y is flat in y for y > 0
    with pytest.raises(ValueError, match="pow: the gradient with respect to the exponent"):
        (Value(-2.0) ** Value(2.0)).backward()


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: Value(-1).log(), ValueError, "log: the input must be > 0, got -1"),
        (lambda: Value(0).log(), ValueError, "log: the input must be > 0, got 0"),
        (lambda: Value(0) ** -1, ZeroDivisionError, "pow: 0 cannot be raised to the negative power -1"),
        (lambda: 0 ** Value(-1), ZeroDivisionError, "pow: 0 cannot be raised"),
        (lambda: Value(0.0) ** -0.5, ZeroDivisionError, "pow: 0 cannot be raised"),
        (lambda: Value(1) / 0, ZeroDivisionError, r"div: division by zero \(1 / 0\)"),
        (lambda: 1 / Value(0), ZeroDivisionError, "div: division by zero"),
        (lambda: Value(-8) ** F(1, 3), ValueError, "pow: a negative base"),
        (lambda: Value(-1).sqrt(), ValueError, "sqrt: the input must be >= 0"),
        (lambda: Value(1000).exp(), OverflowError, "exp: "),
        (lambda: Value(10.0) ** 1000, OverflowError, "pow: "),
        (lambda: Value(0).log2(), ValueError, "log2: the input must be > 0, got 0"),
        (lambda: Value(F(-1, 2)).log10(), ValueError, "log10: the input must be > 0, got -1/2"),
        (lambda: Value(F(3, 2)).asin(), ValueError, r"asin: the input must be in \[-1, 1\], got 3/2"),
        (lambda: Value(-1.5).acos(), ValueError, r"acos: the input must be in \[-1, 1\], got -1.5"),
        (lambda: Value(1000).sinh(), OverflowError, "sinh: "),
        (lambda: Value(-1000.0).cosh(), OverflowError, "cosh: "),
        (lambda: Value(3) % 0, ZeroDivisionError, r"mod: 3 % 0, the divisor is 0"),
        (lambda: 3 % Value(0.0), ZeroDivisionError, "mod: .*the divisor is 0"),
        (lambda: Value(1).clamp(2, 1), ValueError, "clamp: lo must be <= hi, got lo=2 > hi=1"),
        (lambda: Value(1).clamp(), TypeError, r"clamp needs a bound"),
        (lambda: Value(1).clamp("0"), TypeError, r"clamp\(lo=\.\.\.\)"),
        (
            lambda: (Value(1.0).asin()).backward(),
            ZeroDivisionError,
            "asin: the derivative at 1.0 is infinite",
        ),
        (lambda: (Value(-1).acos()).backward(), ZeroDivisionError, "acos: the derivative at -1 is infinite"),
    ],
)
def test_bad_operations_name_the_operation(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_primitive_called_on_plain_numbers_returns_a_number():
    assert ops.div(1, 4) == F(1, 4)
    assert ops.relu(-3) == 0
    with pytest.raises(TypeError, match="div takes 2 input"):
        ops.div(1)


def test_pow_derivative_at_base_zero():
    for exponent, grad in ((0, 0), (1, 1), (2, 0), (F(3, 2), 0)):
        x = Value(0)
        (x**exponent).backward()
        assert x.grad == grad, exponent
    with pytest.raises(ZeroDivisionError, match=r"pow: the derivative of x \*\* 1/2 at x = 0 is infinite"):
        (Value(0) ** F(1, 2)).backward()


@pytest.mark.parametrize(
    ("make", "value", "grads"),
    [
        # max and min: at a tie the first input gets the δ (relu = max(x, 0) passes it at 0).
        (lambda a, b: a.max(b), F(2, 3), (0, 1)),
        (lambda a, b: b.max(a), F(2, 3), (0, 1)),
        (lambda a, b: a.min(b), F(1, 2), (1, 0)),
        (lambda a, b: a.max(a * 1), F(1, 2), (1, 0)),  # a tie: the first (a itself) gets δ = 1
        (lambda a, b: (a * 1).min(a), F(1, 2), (1, 0)),
        (lambda a, b: a.max(F(1, 2)), F(1, 2), (1, 0)),  # a tie with a constant: a gets the δ
        (lambda a, b: autodiff.max(a, b, F(1, 3)), F(2, 3), (0, 1)),
        (lambda a, b: autodiff.min([b, a, a]), F(1, 2), (1, 0)),  # the first a of the tie
        # clamp: the δ passes inside [lo, hi], bounds included; a clipped value is the bound.
        (lambda a, b: a.clamp(0, 1), F(1, 2), (1, 0)),
        (lambda a, b: a.clamp(1, 2), 1, (0, 0)),
        (lambda a, b: b.clamp(hi=F(1, 2)), F(1, 2), (0, 0)),
        (lambda a, b: b.clamp(lo=F(2, 3)), F(2, 3), (0, 1)),  # at the bound: passes
        (lambda a, b: a.clamp(F(1, 2), F(1, 2)), F(1, 2), (1, 0)),
        # x % y = x - floor(x / y)·y: ∂/∂x = 1, ∂/∂y = −floor(x / y).
        (lambda a, b: (a * 5) % b, F(1, 2), (5, -3)),  # 5/2 = 3·(2/3) + 1/2
        (lambda a, b: (-a) % b, F(1, 6), (-1, 1)),  # −1/2 = −1·(2/3) + 1/6
        (lambda a, b: a % -b, F(-1, 6), (1, -1)),  # the sign of the divisor, as Python's %
        (lambda a, b: 3 % b, F(1, 3), (0, -4)),
        (lambda a, b: a % 1, F(1, 2), (1, 0)),
    ],
)
def test_new_exact_primitives_stay_exact_with_documented_rules(make, value, grads):
    a, b = Value(F(1, 2)), Value(F(2, 3))
    out = make(a, b)
    out.backward()
    assert out.data == value and type(out.data) in (int, F)
    assert (a.grad, b.grad) == grads
    assert all(type(g) in (int, F) for g in (a.grad, b.grad))


def test_python_mod_semantics_for_floats_and_ints():
    for x, y in ((7, 3), (-7, 3), (7, -3), (7.5, 2), (-7.5, 2.0), (F(7, 2), F(-3, 2))):
        out = Value(x) % Value(y)
        assert out.data == x % y and type(out.data) is type(x % y)
        out.backward()
        assert out.parents[1].grad == -(x // y)


def test_clamp_keeps_a_float_input_float_and_has_one_primitive_per_bounds():
    out = Value(2.5).clamp(0, 1)
    assert out.data == 1.0 and type(out.data) is float
    assert Value(F(5, 2)).clamp(0, 1).data == 1 and type(Value(-3).clamp(0, 1).data) is int
    assert Value(0.5).clamp(0, 1).primitive is Value(0.7).clamp(0, 1).primitive
    assert Value(0.5).clamp(0, 1).primitive.params == {"lo": 0, "hi": 1}
    assert Value(0.5).clamp(hi=1).primitive.params == {"lo": None, "hi": 1}


@pytest.mark.parametrize(
    ("name", "x", "expected"),
    [
        ("tan", 0, 0.0),
        ("atan", 1, math.pi / 4),
        ("asin", F(1, 2), math.asin(0.5)),
        ("acos", 0, math.pi / 2),
        ("sinh", 0, 0.0),
        ("cosh", 0, 1.0),
        ("log2", 8, 3.0),
        ("log10", 1000, 3.0),
        ("log2", F(1, 4), -2.0),
    ],
)
def test_transcendental_primitives_give_floats_like_exp_and_sin(name, x, expected):
    # As exp, log and sin: math's value as a float, also for exact inputs.
    out = getattr(Value(x), name)()
    assert out.data == pytest.approx(expected, rel=1e-15, abs=1e-300) and type(out.data) is float


def test_autodiff_max_and_min_mirror_the_builtins_arguments():
    a, b, c = Value(1), Value(5), Value(3)
    assert autodiff.max(a, b, c).data == 5 and autodiff.max([a, b, c]).data == 5
    assert autodiff.min(x for x in (a, b, c)).data == 1
    assert autodiff.max([a]) is a
    lone = autodiff.max([4])
    assert lone.data == 4 and not lone.requires_grad  # a plain number is a constant, as in autodiff.sum
    with pytest.raises(ValueError, match=r"autodiff\.max needs at least one value"):
        autodiff.max([])
    with pytest.raises(TypeError, match=r"autodiff\.min takes Values or numbers"):
        autodiff.min(None)

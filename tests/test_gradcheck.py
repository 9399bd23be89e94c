"""gradcheck against finite differences, custom primitives (softplus, leaky_relu) and wrong derivatives."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest

import autodiff
from autodiff import GradcheckError, Value, gradcheck, ops

_ids = itertools.count()


@pytest.fixture
def register():
    """Register primitives under unique names and remove them from the global table afterwards."""
    added: list[str] = []

    def add(base: str, forward, *derivatives) -> ops.Primitive:
        name = f"{base}_{next(_ids)}"
        added.append(name)
        return autodiff.primitive(name, forward, *derivatives)

    yield add
    for name in added:
        ops.PRIMITIVES.pop(name, None)


@pytest.fixture
def softplus(register):
    # log(1 + eˣ), written so that eˣ never overflows; its derivative is the sigmoid, a primitive
    # itself, so the second derivative comes for free from the sigmoid's own entry.
    return register(
        "my_softplus",
        lambda x: max(x, 0) + math.log1p(math.exp(-abs(x))),
        lambda x, out: ops.sigmoid(x),
    )


@pytest.fixture
def leaky_relu(register):
    slope = Fraction(1, 100)
    return register(
        "my_leaky_relu",
        lambda x: x if x >= 0 else slope * x,
        lambda x, out: 1 if ops.data(x) >= 0 else slope,
    )


def test_gradcheck_passes_for_correct_derivatives():
    report = gradcheck(lambda x, y: (x * y).tanh() + x**y / (1 + y.exp()), [0.7, 1.3])
    assert report
    assert report.ok
    assert report.failures == ()
    assert [c.index for c in report.checks] == [(0,), (1,), (0, 0), (0, 1), (1, 0), (1, 1)]
    assert "all 6 derivatives agree" in str(report)


def test_softplus_custom_primitive(softplus):
    x = Value(0.5)
    y = softplus(x)
    assert y.op == softplus.name
    y.backward()
    assert y.data == pytest.approx(math.log(1 + math.exp(0.5)), rel=1e-15)
    assert x.grad == pytest.approx(1 / (1 + math.exp(-0.5)), rel=1e-15)
    assert softplus(800.0) == 800.0  # no overflow on large inputs
    for point in (-3.0, -0.2, 0.0, 0.9, 4.0):
        report = gradcheck(softplus, point)
        assert report.ok, str(report)
        assert len(report.checks) == 2  # first and second order
    assert gradcheck(lambda a, b: softplus(a * b) - a, [0.3, -1.2]).ok


def test_leaky_relu_custom_primitive_stays_exact(leaky_relu):
    x = Value(Fraction(-3))
    y = leaky_relu(x) * 2
    y.backward()
    assert (y.data, x.grad) == (Fraction(-3, 50), Fraction(1, 50))
    assert autodiff.grad(leaky_relu)(5) == 1
    # Away from the kink both sides pass, including the (zero) second derivative.
    for point in (-2.0, -0.3, 0.4, 3.0):
        report = gradcheck(leaky_relu, point)
        assert report.ok, str(report)
    assert gradcheck(lambda a, b: leaky_relu(a - b) * a, [0.5, 1.5]).ok


def test_gradcheck_catches_a_wrong_first_derivative(register):
    # sin with a derivative 10% too large.
    wrong = register("wrong_sin", math.sin, lambda x, out: 1.1 * math.cos(ops.data(x)))
    report = gradcheck(lambda angle, y: wrong(angle) * y, [0.4, 2.0], second_order=False)
    assert not report
    assert [c.label for c in report.failures] == ["∂f/∂angle"]
    failure = report.failures[0]
    assert failure.analytic == pytest.approx(2 * 1.1 * math.cos(0.4), rel=1e-12)
    assert failure.numeric == pytest.approx(2 * math.cos(0.4), rel=1e-8)
    assert failure.difference == pytest.approx(0.2 * math.cos(0.4), rel=1e-6)
    text = str(report)
    assert "1 of 2 derivatives disagree" in text
    assert "FAIL ∂f/∂angle" in text
    assert "ok   ∂f/∂y" in text


def test_gradcheck_catches_a_derivative_that_cannot_be_differentiated_again(register):
    # Right value 2x, but written on plain numbers (ops.data), so its own derivative is lost: the
    # first-order check passes and the second-order one fails.
    square = register("square_on_numbers", lambda x: x * x, lambda x, out: 2 * ops.data(x))
    report = gradcheck(square, 0.5)
    assert [c.order for c in report.failures] == [2]
    assert report.failures[0].analytic == 0
    assert report.failures[0].numeric == pytest.approx(2, rel=1e-6)
    assert "FAIL ∂²f/∂x0²" in str(report)  # primitives take *args: inputs are numbered


def test_gradcheck_raise_exception(register):
    wrong = register("wrong_exp", math.exp, lambda x, out: out + 1)
    with pytest.raises(GradcheckError, match="FAIL") as caught:
        gradcheck(wrong, 0.1, raise_exception=True)
    assert isinstance(caught.value, AssertionError)
    assert not caught.value.report.ok
    assert gradcheck(lambda x: x.exp(), 0.1, raise_exception=True).ok


def test_gradcheck_accepts_exact_inputs_and_values_and_checks_in_floats():
    report = gradcheck(lambda x, y: x / y, [Fraction(1, 3), Value(2)])
    assert report.ok
    assert report.point == (1 / 3, 2.0)


def test_gradcheck_tolerances_are_used():
    # A loose step makes the finite difference of x³ visibly off (by eps² = 1e-2); a tight
    # tolerance must notice, a loose one must not.
    assert not gradcheck(lambda x: x**3, 1.0, eps=0.1, atol=1e-6, rtol=1e-6, second_order=False)
    assert gradcheck(lambda x: x**3, 1.0, eps=0.1, atol=0.1, rtol=0, second_order=False)


def test_gradcheck_bad_arguments():
    with pytest.raises(TypeError, match="needs the function"):
        gradcheck("f", 1.0)
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda x: x, [])
    with pytest.raises(ValueError, match=r"eps \(the finite-difference step\) must be > 0"):
        gradcheck(lambda x: x, 1.0, eps=0)
    with pytest.raises(ValueError, match="atol must be >= 0, got -1"):
        gradcheck(lambda x: x, 1.0, atol=-1)
    # Issue 13.11: the wrong kind of thing is a TypeError; NaN is refused, not compared.
    with pytest.raises(TypeError, match="rtol needs a real number"):
        gradcheck(lambda x: x, 1.0, rtol="0.1")
    with pytest.raises(ValueError, match=r"eps .* must be a finite number, got nan"):
        gradcheck(lambda x: x, 1.0, eps=math.nan)
    with pytest.raises(TypeError, match=r"inputs\[0\]"):
        gradcheck(lambda x: x, ["1"])


def _scaled(x, *, scale):
    return x * scale


def _optional(x, y=1):
    return x * y


@pytest.mark.parametrize(
    ("f", "inputs", "match"),
    [
        (lambda x, y: x * y, 1.0, r"^gradcheck\(\): f takes 2 arguments but 1 input was given"),
        (lambda x: x, [1.0, 2.0], r"^gradcheck\(\): f takes 1 argument but 2 inputs were given"),
        (_optional, [1.0, 2.0, 3.0], r"f takes 1 to 2 arguments but 3 inputs were given"),
        (lambda x, y, *rest: x, [1.0], r"f takes at least 2 arguments but 1 input was given"),
        (_scaled, 1.0, r"keyword-only argument\(s\) \['scale'\].*lambda x: f\(x, scale=...\)"),
    ],
)
def test_gradcheck_compares_the_inputs_with_the_signature(f, inputs, match):
    with pytest.raises(TypeError, match=match):
        gradcheck(f, inputs)


def test_gradcheck_accepts_optional_and_variadic_arguments():
    assert gradcheck(_optional, 2.0)
    assert gradcheck(_optional, [2.0, 3.0])
    assert gradcheck(lambda *xs: xs[0] * xs[1], [2.0, 3.0])
    assert gradcheck(ops.tanh, 0.5)  # a primitive takes *args: its arity is checked when called


def test_registering_an_existing_name_is_refused():
    with pytest.raises(ValueError, match="already exists"):
        autodiff.primitive("tanh", math.tanh, lambda x, out: 1 - out * out)


def test_gradcheck_refuses_a_function_cut_off_its_inputs():
    # Issue 9.4: a plain float result; gradcheck says so instead of comparing a 0. (math.sin on
    # the Value itself is refused by float() since issue 21.)
    with pytest.raises(TypeError, match=r"gradcheck\(\): the function returned a plain float.*x\.sin\(\)"):
        gradcheck(lambda x: math.sin(x.data), [1.0])
    with pytest.raises(TypeError, match=r"float\(v\) would cut the graph"):
        gradcheck(math.sin, [1.0])
    with pytest.raises(ValueError, match=r"does not depend on input x, input y"):
        gradcheck(lambda x, y: Value(1.0) * 2, [1.0, 2.0])
    assert gradcheck(lambda x, y: x * x, [1.0, 2.0]).ok  # y unused: its derivative 0 is checked


def test_gradcheck_passes_for_the_sin_and_cos_primitives():
    assert gradcheck(lambda x: x.sin() * x.cos(), [0.7])
    assert gradcheck(lambda x, y: ops.sin(x * y) + ops.cos(x - y), [0.3, -1.2])


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_point_that_is_not_finite_is_refused(bad):
    # Finite differences at NaN or inf would report NaN checks instead of an error.
    with pytest.raises(ValueError, match=r"gradcheck\(\): inputs\[1\] must be a finite number"):
        gradcheck(lambda a, b: a * b, [1.0, bad])
    with pytest.raises(ValueError, match=r"gradcheck\(\): inputs\[0\] must be a finite number"):
        gradcheck(lambda a: a * a, Value(bad))


@pytest.mark.parametrize("where", ["point", "eps", "atol"])
def test_an_int_beyond_a_float_is_refused_by_name(where):
    from autodiff.checks import FloatRangeError

    huge = 10**5000
    kwargs = {"eps": huge} if where == "eps" else {"atol": huge} if where == "atol" else {}
    point = huge if where == "point" else 1.0
    with pytest.raises(
        FloatRangeError, match=r"≈1\.00e5000 \(5,001 digits\), beyond a float's range"
    ) as info:
        gradcheck(lambda t: t * t, point, **kwargs)
    assert isinstance(info.value, ValueError) and isinstance(info.value, OverflowError)
    assert ("inputs[0]" if where == "point" else where) in str(info.value)


@pytest.mark.parametrize(
    ("f", "point"),
    [
        (lambda x: x.tan() * x.atan(), [0.6]),
        (lambda x: x.asin() + x.acos() * x, [0.3]),
        (lambda x, y: x.sinh() * y.cosh(), [0.4, -1.1]),
        (lambda x, y: (x * y).log2() + x.log10(), [1.7, 0.8]),
        (lambda x, y: x.max(y) * y.min(x * x), [0.9, -0.4]),
        (lambda x, y: autodiff.max(x, y, x * y) * x, [1.3, 0.7]),
        (lambda x: (x * x).clamp(-1, 2) * x, [0.8]),
        (lambda x: (x * 3).clamp(lo=0) + x.clamp(hi=0.5), [0.2]),
        (lambda x, y: (x * y) % y + x % 0.3, [2.3, 0.7]),
        (lambda x, y: 5 % (x * y) * x, [1.1, 0.9]),
    ],
    ids=[
        "tan-atan",
        "asin-acos",
        "sinh-cosh",
        "log2-log10",
        "max-min",
        "autodiff.max",
        "clamp",
        "clamp one bound",
        "mod",
        "rmod",
    ],
)
def test_the_new_primitives_pass_first_and_second_order_gradcheck(f, point):
    # Points away from the kinks (a tie, a bound, a jump of %), where a derivative is one-sided.
    report = gradcheck(f, point, rtol=1e-6, atol=1e-8)
    assert report.ok, str(report)
    n = len(point)
    assert len(report.checks) == n + n * n

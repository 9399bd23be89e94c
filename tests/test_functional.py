"""The functional API: grad, value_and_grad, hessian (JAX style) and gradients (on Values)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from autodiff import Value, grad, gradients, hessian, no_grad, ops, value_and_grad
from autodiff.articles import gradient_descent as article


def test_grad_keeps_exact_numbers_exact():
    g = grad(lambda x: x**3)(Fraction(1, 2))
    assert g == Fraction(3, 4)
    assert type(g) is Fraction
    assert grad(lambda x: x**3)(2) == 12
    assert type(grad(lambda x: x**3)(2)) is int


def test_grad_returns_plain_numbers_at_the_outermost_level():
    assert not isinstance(grad(lambda x: x.tanh())(0.3), Value)
    assert not isinstance(hessian(lambda x: x.tanh())(0.3), Value)
    value, slope = value_and_grad(lambda x: x.exp())(0.0)
    assert (value, slope) == (1.0, 1.0)
    assert not isinstance(value, Value)


def test_grad_of_grad_chains():
    def f(x):
        return x**4

    x = Fraction(3, 2)
    assert [grad(f)(x), grad(grad(f))(x), grad(grad(grad(f)))(x), grad(grad(grad(grad(f))))(x)] == [
        Fraction(27, 2),
        27,
        36,
        24,
    ]
    assert grad(grad(grad(grad(grad(f)))))(x) == 0
    # tanh' = 1 − t², tanh'' = −2t(1 − t²), tanh''' = (6t² − 2)(1 − t²)
    t = math.tanh(0.4)
    assert grad(grad(grad(lambda v: v.tanh())))(0.4) == pytest.approx(
        (6 * t * t - 2) * (1 - t * t), rel=1e-12
    )


def test_argnums_selects_and_orders_the_derivatives():
    def f(x, y, z):
        return x * y * y + z

    assert grad(f, argnums=1)(2, 3, 5) == 12
    assert grad(f, argnums=(2, 0))(2, 3, 5) == (1, 9)
    assert grad(f, argnums=-1)(2, 3, 5) == 1
    assert grad(f, argnums=[0, 1])(2, 3, 5) == (9, 12)
    assert value_and_grad(f, argnums=(0, 1))(2, 3, 5) == (23, (9, 12))


def test_keyword_arguments_pass_through_undifferentiated():
    def f(x, *, scale):
        return scale * x * x

    assert grad(f)(3, scale=Fraction(1, 2)) == 3


def test_no_perturbation_confusion_between_nested_grads():
    # d/dx [x · d/dy (x + y)] = d/dx [x · 1] = 1; mixing up the inner y with the outer x gives 2.
    assert grad(lambda x: x * grad(lambda y: x + y)(x))(1) == 1
    assert grad(lambda x: x * grad(lambda y: x + y)(1))(1) == 1


def test_inner_grad_of_a_closure_stays_differentiable():
    # d/dx [x · d/dy (x·y)] = d/dx [x²] = 2x: the inner result must keep its dependence on x.
    assert grad(lambda x: x * grad(lambda y: x * y)(3))(5) == 10


def test_grad_returns_a_value_when_given_a_recording_value():
    x = Value(Fraction(1, 3), "x")
    g = grad(lambda v: v**3)(x)
    assert isinstance(g, Value)
    assert g.data == Fraction(1, 3)
    # … and that Value is a graph in x, so backward gives the second derivative 6x.
    g.backward()
    assert x.grad == 2


def test_a_function_that_ignores_its_argument_is_refused_not_given_zero():
    # Issue 9.4: a derivative of 0 here would only look like an answer.
    with pytest.raises(TypeError, match=r"grad\(\): the function returned a plain int \(7\)"):
        grad(lambda x: 7)(2)
    with pytest.raises(TypeError, match=r"plain int \(9\)"):
        grad(lambda x, y: y * y, argnums=0)(Fraction(1, 2), 3)
    with pytest.raises(ValueError, match=r"does not depend on argument 0.*leave it out of argnums"):
        grad(lambda x, y: y * y, argnums=0)(Fraction(1, 2), Value(3))
    with pytest.raises(ValueError, match="does not depend on argument 0"):
        grad(lambda x: Value(4, requires_grad=False) * 2)(1.5)
    with pytest.raises(ValueError, match="does not depend on argument 0, argument 1"):
        grad(lambda x, y: Value(2.0) * 3, argnums=(0, 1))(1.0, 2.0)
    with pytest.raises(TypeError, match=r"hessian\(\): the function returned a plain float"):
        hessian(lambda x: 2.5)(1.0)


def test_arguments_left_unused_beside_used_ones_get_an_exact_zero():
    # As PyTorch's allow_unused and JAX do: only a result cut off from every argument is refused.
    assert value_and_grad(lambda x, y: x * x, argnums=(0, 1))(Fraction(3), 2.0) == (9, (6, 0))
    assert hessian(lambda x, y: x * x * x, argnums=(0, 1))(Fraction(1, 2), 5) == ((3, 0), (0, 0))


@pytest.mark.parametrize("transform", [grad, value_and_grad, hessian])
def test_math_functions_that_cut_the_graph_are_refused_with_the_primitives_to_use(transform):
    # math.sin would call float() on the Value, which refuses (issue 21); a function that computes
    # from x.data returns a plain float, no longer depending on x, which the transform refuses.
    with pytest.raises(TypeError, match=r"float\(v\) would cut the graph.*v\.exp\(\)"):
        transform(math.sin)(1.0)
    with pytest.raises(TypeError, match=r"math\.exp\(v\) would cut the graph.*Write v\.exp\(\) instead"):
        transform(lambda x: math.exp(x) * 2)(1.0)
    with pytest.raises(
        TypeError, match=r"plain float .*cuts the result off the graph.*x\.sin\(\), x\.cos\(\)"
    ):
        transform(lambda x: math.sin(x.data))(1.0)


def test_sin_and_cos_primitives_through_the_functional_api():
    assert grad(lambda x: x.sin())(1.0) == pytest.approx(math.cos(1.0), rel=1e-15)
    assert grad(ops.cos)(1.0) == pytest.approx(-math.sin(1.0), rel=1e-15)
    value, slope = value_and_grad(lambda x: x.sin() * x.cos())(0.5)
    assert value == pytest.approx(math.sin(0.5) * math.cos(0.5), rel=1e-15)
    assert slope == pytest.approx(math.cos(1.0), rel=1e-15)  # d/dx ½ sin 2x = cos 2x
    assert hessian(lambda x: x.sin())(0.5) == pytest.approx(-math.sin(0.5), rel=1e-15)
    assert grad(grad(grad(ops.sin)))(0.5) == pytest.approx(-math.cos(0.5), rel=1e-15)


def test_a_constant_derivative_is_zero_not_refused():
    # The functions differentiated here call grad themselves: their result is a derivative.
    assert hessian(lambda x: 3 * x)(2) == 0
    assert grad(grad(lambda x: 3 * x))(2) == 0
    assert grad(grad(lambda x: x.relu()))(-1.0) == 0
    # Depending on x through a flat part still counts as depending on it.
    assert grad(lambda x: x.relu())(-2) == 0


def test_transforms_compute_no_delta_off_the_path_to_their_arguments():
    # Issue 9.3: c.sqrt()'s δ (1 / 2√0) is off the path to x; it used to raise ZeroDivisionError.
    c = Value(0.0)
    assert grad(lambda x: c.sqrt() + x)(1.0) == 1.0
    assert grad(lambda x: x + c.sqrt())(1.0) == 1.0
    assert value_and_grad(lambda x: c.sqrt() + x * x)(3.0) == (9.0, 6.0)
    assert hessian(lambda x: c.sqrt() + x * x * x)(2.0) == 12.0
    # A learnable exponent of a negative base: its δ needs log(base), but nobody asked for it.
    base, exponent = Value(-2.0), Value(2.0)
    assert grad(lambda x: base**exponent + x)(1.0) == 1.0


def test_grad_differentiates_even_inside_no_grad():
    with no_grad():
        assert grad(lambda x: x * x)(3) == 6
        assert hessian(lambda x, y: x * y, argnums=(0, 1))(1, 2) == ((0, 1), (1, 0))


def test_hessian_of_one_argument_is_a_number():
    assert hessian(lambda x: x**3)(Fraction(1, 2)) == 3


def test_grad_bad_input_errors_name_the_problem():
    with pytest.raises(TypeError, match="needs the function"):
        grad(3)
    with pytest.raises(TypeError, match="argnums must be an int"):
        grad(lambda x: x, argnums="0")
    with pytest.raises(TypeError, match="argnums must be an int"):
        grad(lambda x: x, argnums=())
    with pytest.raises(ValueError, match="repeats a position"):
        grad(lambda x, y: x, argnums=(0, 0))
    with pytest.raises(ValueError, match="argnums 1 is out of range"):
        grad(lambda x: x, argnums=1)(2)
    with pytest.raises(ValueError, match="names the same argument twice"):
        grad(lambda x, y: x, argnums=(0, -2))(2, 3)
    with pytest.raises(TypeError, match=r"grad: argument 0 .*str"):
        grad(lambda x: x)("2")
    with pytest.raises(TypeError, match="function's result"):
        grad(lambda x: [x])(2)


# --- gradients(): ∂outputs/∂inputs on Values, .grad untouched -----------------------------------


def test_gradients_does_not_touch_grad_attributes():
    x, y = Value(Fraction(2), "x"), Value(Fraction(5), "y")
    x.grad, y.grad = "untouched x", "untouched y"
    out = x * y + x
    assert gradients(out, [x, y]) == (6, 2)
    assert (x.grad, y.grad, out.grad) == ("untouched x", "untouched y", 0)


def test_gradients_of_intermediate_nodes_gives_the_article_deltas():
    # The third patient: o2 = w2·x is exactly 0 and y = 1, so δ3 = o − y = −1 and the ReLU passes it.
    x, y = article.PATIENTS[2]
    g = article.forward(x, y, article.weights())
    delta3, delta2, *delta_w = gradients(g.loss, [g.o3, g.o2, *g.w2])
    assert g.o2.data == 0
    assert (delta3, delta2) == (-1, -1)
    assert delta_w == [0, -2000, -3000]  # δ2 · x
    assert g.o3.grad == 0


def test_gradients_sums_over_outputs_weighted_by_grad_outputs():
    x = Value(3)
    a, b = x * x, 5 * x
    assert gradients([a, b], x) == (11,)
    assert gradients([a, b], [x], grad_outputs=[2, Fraction(1, 5)]) == (13,)


def test_gradients_create_graph_gives_a_differentiable_value():
    x = Value(Fraction(1, 2))
    (g,) = gradients(x**3, x, create_graph=True)
    assert isinstance(g, Value)
    assert g.data == Fraction(3, 4)
    assert gradients(g, x) == (3,)
    # Without create_graph the results are plain numbers, even for a Value seed.
    (plain,) = gradients(x**3, x, grad_outputs=Value(2))
    assert plain == Fraction(3, 2)
    assert not isinstance(plain, Value)


def test_gradients_same_input_twice_gets_the_same_gradient():
    x = Value(2)
    assert gradients(x * x, [x, x]) == (4, 4)


def test_gradients_unused_input_is_an_error_unless_allowed():
    x, unused = Value(2), Value(7, "unused")
    with pytest.raises(RuntimeError, match=r"inputs\[1\] is not used"):
        gradients(x * x, [x, unused])
    assert gradients(x * x, [x, unused], allow_unused=True) == (4, None)


def test_gradients_bad_input_errors_name_the_problem():
    x = Value(2)
    with pytest.raises(RuntimeError, match=r"outputs\[0\] does not depend"):
        gradients(Value(1, requires_grad=False), x)
    with pytest.raises(RuntimeError, match=r"inputs\[0\] does not require a gradient"):
        gradients(x * 2, Value(3, requires_grad=False))
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Value"):
        gradients(x * 2, [x, 3])
    with pytest.raises(TypeError, match="outputs must be a Value"):
        gradients([], x)
    with pytest.raises(ValueError, match="2 grad_outputs for 1 outputs"):
        gradients(x * 2, x, grad_outputs=[1, 2])


def test_gradients_compute_no_delta_outside_the_path_to_the_inputs():
    # The exponent's δ (which needs a positive base) is never asked for, so it is never computed.
    x, e = Value(-2.0), Value(2.0)
    assert gradients(x**e, [x]) == (-4.0,)
    with pytest.raises(ValueError, match="needs a positive base"):
        gradients(x**e, [e])


def test_nothing_to_differentiate_is_one_error_caught_as_value_or_runtime_error():
    # Issue 13.11: the project's rule says ValueError, PyTorch habit says RuntimeError: both catch it.
    from autodiff.checks import NoGradientError

    constant = Value(2.0, requires_grad=False)
    for error in (NoGradientError, ValueError, RuntimeError):
        with pytest.raises(error, match="does not depend on anything that requires a gradient"):
            gradients(constant * 3, [Value(1.0)])
    with pytest.raises(ValueError, match="does not require a gradient"):
        gradients(Value(1.0) * constant, [constant])


def test_grad_outputs_beyond_a_float_are_named():
    w = Value(0.5, "w")
    y = w * 2.0
    with pytest.raises(ValueError, match=r"gradients\(\) \(check grad_outputs .*beyond a float's range"):
        gradients(y, [w], grad_outputs=[10**400])
    assert gradients(y * 1, [w], grad_outputs=[3])[0] == 6.0

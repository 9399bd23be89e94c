"""Second and higher derivatives from the gradient's own graph (`create_graph=True`) against closed forms."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from test_ops import bound

from autodiff import Value, grad, gradcheck, hessian, ops
from autodiff.articles import gradient_descent as article
from autodiff.backward import propagate

# Float results go through a few roundings; the closed forms below are evaluated the same way.
REL = 1e-12


def second_derivative_by_backward(f, x):
    """d²f/dx² with the methods users call: backward(create_graph=True), then backward on .grad."""
    v = Value(x, "x")
    f(v).backward(create_graph=True)
    first = v.grad
    assert isinstance(first, Value), "create_graph=True must leave a Value in .grad"
    v.grad = 0
    first.backward()
    return first.data, v.grad


@pytest.mark.parametrize(
    ("name", "f", "x", "d1", "d2"),
    [
        ("tanh", lambda v: v.tanh(), 0.6, lambda x: 1 - math.tanh(x) ** 2,
         lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
        ("exp", lambda v: v.exp(), 0.6, math.exp, math.exp),
        ("log", lambda v: v.log(), 0.6, lambda x: 1 / x, lambda x: -1 / x**2),
        ("sigmoid", lambda v: v.sigmoid(), -0.4, lambda x: _s(x) * (1 - _s(x)),
         lambda x: _s(x) * (1 - _s(x)) * (1 - 2 * _s(x))),
        ("sqrt", lambda v: v.sqrt(), 0.6, lambda x: 0.5 / math.sqrt(x), lambda x: -0.25 * x**-1.5),
        ("power 2.5", lambda v: v**2.5, 0.6, lambda x: 2.5 * x**1.5, lambda x: 3.75 * x**0.5),
        ("2 ** x", lambda v: 2**v, 0.6, lambda x: 2**x * math.log(2), lambda x: 2**x * math.log(2) ** 2),
        ("tanh of a product", lambda v: (v * v).tanh(), 0.6,
         lambda x: 2 * x * (1 - math.tanh(x * x) ** 2),
         lambda x: (2 - 8 * x * x * math.tanh(x * x)) * (1 - math.tanh(x * x) ** 2)),
    ],
)  # fmt: skip
def test_second_derivative_matches_closed_form(name, f, x, d1, d2):
    first, second = second_derivative_by_backward(f, x)
    assert first == pytest.approx(d1(x), rel=REL)
    assert second == pytest.approx(d2(x), rel=REL)
    # The functional form walks the same table and must agree with backward exactly.
    assert grad(grad(f))(x) == second


def _s(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_power_both_arguments_second_derivatives():
    x, y = 1.7, 2.3
    h = hessian(lambda a, b: a**b, argnums=(0, 1))(x, y)
    assert h[0][0] == pytest.approx(y * (y - 1) * x ** (y - 2), rel=REL)
    assert h[1][1] == pytest.approx(x**y * math.log(x) ** 2, rel=REL)
    mixed = x ** (y - 1) * (1 + y * math.log(x))
    assert h[0][1] == pytest.approx(mixed, rel=REL)
    assert h[1][0] == pytest.approx(mixed, rel=REL)


def test_exact_second_derivatives_of_rational_operations():
    # Products, quotients and integer powers keep Fractions exact through the second backward pass.
    x = Fraction(1, 2)
    assert second_derivative_by_backward(lambda v: v**3, x) == (Fraction(3, 4), 3)
    assert second_derivative_by_backward(lambda v: 1 / v, x) == (-4, 16)  # -1/x², 2/x³
    assert second_derivative_by_backward(lambda v: v * v * v * v, x) == (Fraction(1, 2), 3)
    # Differentiating 1/x (log's local derivative) twice more stays exact as well.
    assert grad(grad(lambda v: 1 / v))(x) == 16
    assert type(grad(grad(lambda v: 1 / v))(x)) is Fraction


def test_hessian_of_three_variables_against_hand_values():
    # f = x²y + yz³ + x/z; by hand: f_xx = 2y, f_xy = 2x, f_xz = -1/z², f_yy = 0, f_yz = 3z²,
    # f_zz = 6yz + 2x/z³.  At (1, 2, 1/3):
    def f(x, y, z):
        return x * x * y + y * z**3 + x / z

    h = hessian(f, argnums=(0, 1, 2))(1, 2, Fraction(1, 3))
    assert h == ((4, 2, -9), (2, 0, Fraction(1, 3)), (-9, Fraction(1, 3), 58))
    assert all(isinstance(e, int | Fraction) for row in h for e in row)


def test_hessian_of_two_variables_in_floats_is_symmetric_and_matches_hand_values():
    # f = exp(x·y) + log(x): f_xx = y²e^{xy} − 1/x², f_xy = (1 + xy)e^{xy}, f_yy = x²e^{xy}.
    x, y = 0.5, -1.5
    h = hessian(lambda a, b: (a * b).exp() + a.log(), argnums=(0, 1))(x, y)
    e = math.exp(x * y)
    assert h[0][0] == pytest.approx(y * y * e - 1 / x**2, rel=REL)
    assert h[0][1] == pytest.approx((1 + x * y) * e, rel=REL)
    assert h[1][1] == pytest.approx(x * x * e, rel=REL)
    assert h[0][1] == pytest.approx(h[1][0], rel=REL)


def test_article_loss_hessian_is_x_times_x_exactly():
    # With the ReLU passing (o2 >= 0), loss = ½(w·x − y)² and ∂²loss/∂w_i∂w_j = x_i·x_j.
    x, y = article.PATIENTS[0]

    def loss(w1, w2, w3):
        return article.forward(x, y, (w1, w2, w3)).loss

    h = hessian(loss, argnums=(0, 1, 2))(*article.W2)
    assert h == tuple(tuple(xi * xj for xj in x) for xi in x)


def test_create_graph_gradient_equals_plain_gradient():
    a, b = Value(Fraction(2, 3)), Value(Fraction(-5, 7))
    out = (a * b + a / b) ** 2
    out.backward()
    plain = (a.grad, b.grad)
    a.grad = b.grad = 0
    out.backward(create_graph=True, retain_graph=True)  # a second pass from out, meant
    assert (a.grad.data, b.grad.data) == plain
    assert isinstance(plain[0], Fraction)


def test_third_and_fourth_derivatives_through_nested_backward():
    x = Value(Fraction(3, 2))
    derivative = x**4
    seen = []
    for _ in range(4):
        seed = Value(1, requires_grad=False)
        (derivative,) = [d for node, d in propagate(derivative, seed, create_graph=True) if node is x]
        seen.append(derivative.data)
    # 4x³, 12x², 24x, 24 at x = 3/2
    assert seen == [Fraction(27, 2), 27, 36, 24]


def test_second_derivative_of_relu_and_abs_is_zero_away_from_the_kink():
    # relu(x)·x is x² for x > 0 and 0 for x < 0; |x|·x is x² and −x².
    assert grad(grad(lambda v: v.relu() * v))(3) == 2
    assert grad(grad(lambda v: v.relu() * v))(-3) == 0
    assert grad(grad(lambda v: abs(v) * v))(3) == 2
    assert grad(grad(lambda v: abs(v) * v))(-3) == -2


def _point_for(prim: ops.Primitive) -> list[float]:
    # Inside every built-in primitive's domain and away from kinks (relu, abs at 0).
    return [0.7, 1.3, -0.4][: prim.arity]


@pytest.mark.parametrize("name", sorted(ops.PRIMITIVES))
def test_every_primitive_in_the_table_passes_first_and_second_order_gradcheck(name):
    prim = bound(name)
    report = gradcheck(prim, _point_for(prim), rtol=1e-6, atol=1e-8)
    assert report.ok, str(report)
    assert len(report.checks) == prim.arity + prim.arity**2


def test_mixed_second_derivative_of_pow_at_exponent_zero():
    # ∂²(x**y)/∂y∂x = x**(y-1)·(1 + y·ln x), which is 1/x at y = 0: the Hessian stays symmetric.
    (dxx, dxy), (dyx, dyy) = hessian(lambda x, y: x**y, argnums=(0, 1))(2.0, 0.0)
    assert dxx == 0 and dxy == pytest.approx(0.5, rel=1e-15) and dyx == pytest.approx(0.5, rel=1e-15)
    assert dyy == pytest.approx(math.log(2.0) ** 2, rel=1e-15)

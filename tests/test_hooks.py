"""register_hook: hooks see the δ arriving at a Value during backward and may replace it."""

from __future__ import annotations

from fractions import Fraction

import pytest

from autodiff import Value, gradients
from autodiff.articles import gradient_descent as article


def test_hooks_see_the_article_deltas():
    x, y = article.PATIENTS[2]
    g = article.forward(x, y, article.weights())
    seen: list[tuple[str, object]] = []
    for node in (g.loss, g.o3, g.o2, *g.w2):
        node.register_hook(lambda delta, name=node.name: seen.append((name, delta)))
    g.loss.backward()
    # Backward order: the loss first, then δ3, δ2, then the weights.
    assert seen[:3] == [("loss", 1), ("o3", -1), ("o2", -1)]
    assert sorted(seen[3:]) == [("w2_1", 0), ("w2_2", -2000), ("w2_3", -3000)]


def test_a_hook_can_replace_the_delta_and_downstream_nodes_use_it():
    x = Value(Fraction(3), "x")
    h = x * x
    h.register_hook(lambda delta: delta * 10)
    out = h + 1
    out.backward()
    assert h.grad == 10  # the stored δ is the replaced one
    assert x.grad == 60  # 10 · 2x


def test_hooks_run_in_order_each_seeing_the_previous_replacement():
    x = Value(2)
    seen = []
    x.register_hook(lambda d: seen.append(("first", d)) or d + 1)
    x.register_hook(lambda d: seen.append(("second", d)))  # returns None: keeps δ
    (x * 5).backward()
    assert seen == [("first", 5), ("second", 6)]
    assert x.grad == 6


def test_removed_hook_is_not_called():
    x = Value(2)
    calls = []
    handle = x.register_hook(calls.append)
    (x * 3).backward()
    handle.remove()
    handle.remove()  # removing twice is harmless
    (x * 4).backward()
    assert calls == [3]
    assert x.grad == 7


def test_hooks_receive_values_with_create_graph():
    x = Value(Fraction(1, 2))
    seen = []
    y = x * x
    y.register_hook(seen.append)
    (y * y).backward(create_graph=True)
    assert len(seen) == 1
    assert isinstance(seen[0], Value)
    assert seen[0].data == Fraction(1, 2)  # δ_y = 2y = 2·(1/4)


def test_hooks_run_in_gradients_too_and_can_change_its_result():
    x = Value(3)
    y = x * x
    handle = y.register_hook(lambda d: 0 * d)
    assert gradients(y * 2, x) == (0,)
    handle.remove()
    assert gradients(y * 2, x) == (12,)


def test_register_hook_needs_a_callable():
    with pytest.raises(TypeError, match="needs a callable"):
        Value(1).register_hook("print")


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("bad", ["oops", [1.0], {"d": 1}, True, 1j])
def test_a_hook_returning_a_non_number_is_refused_naming_it(bad, create_graph):
    x = Value(2.0, "x")
    y = x * 3

    def my_broken_hook(delta):
        return bad

    y.register_hook(my_broken_hook)
    with pytest.raises(TypeError, match=r"the hook .*my_broken_hook on a mul node returned"):
        (y * y).backward(create_graph=create_graph)
    assert x.grad == 0 and y.grad == 0  # nothing changed


def test_a_hook_may_return_a_numpy_number():
    np = pytest.importorskip("numpy")
    x = Value(2, "x")
    x.register_hook(lambda d: np.int64(7))
    (x * 3).backward()
    assert x.grad == 7 and type(x.grad) is int


def test_register_hook_on_a_constant_raises():
    c = Value(2.0, "c", requires_grad=False)
    with pytest.raises(RuntimeError, match=r"register_hook: the Value 'c' does not require a gradient"):
        c.register_hook(print)
    with pytest.raises(RuntimeError, match="does not require a gradient"):
        (c * 3).register_hook(print)


def test_removing_one_handle_of_a_hook_registered_twice_removes_only_that_registration():
    x = Value(2)
    calls = []
    first = x.register_hook(calls.append)
    x.register_hook(calls.append)
    assert x.hooks == (calls.append, calls.append)
    first.remove()
    first.remove()  # a second remove of the same handle removes nothing more
    assert len(x.hooks) == 1
    (x * 3).backward()
    assert calls == [3]

"""The engine's hot paths (recording by arity, parents in slots, the fused backward walk)."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from autodiff import Primitive, Value, detect_anomaly, layer, no_grad, ops, topological_order
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


# --- every fast path against the table (same numbers, bit for bit for floats, == for Fractions) ---

FAST_OPS = ("add", "sub", "mul", "relu", "sum")


def _same(a, b) -> bool:
    """Equal values of the same type; for floats also the same sign of zero (bit for bit but NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)  # repr tells -0.0 from 0.0
    return a == b


def _random_program(rng, make_leaf, steps=40, constants=(0, 1, -2, 0.5, -0.0, 3.25)):
    """A random graph over the fast-path operations, with reused nodes and mixed constants."""
    from autodiff import sum as value_sum

    nodes = [make_leaf(rng) for _ in range(4)]
    for _ in range(steps):
        op = rng.choice(FAST_OPS)
        a, b = rng.choice(nodes), rng.choice(nodes)
        if op == "relu":
            nodes.append(a.relu())
        elif op == "sum":
            nodes.append(value_sum(rng.choices(nodes, k=rng.randint(2, 5))))  # repeats too
        else:
            if rng.random() < 0.2:  # a plain number on one side
                b = rng.choice(constants)
                a, b = (a, b) if rng.random() < 0.5 else (b, a)
            nodes.append(a + b if op == "add" else a - b if op == "sub" else a * b)
    return nodes


def _table_forward(node):
    """The node's number recomputed by the table's forward rule from its parents' numbers."""
    return node.primitive.forward(*[p.data for p in node.parents])


@pytest.mark.parametrize("kind", ["float", "int", "mixed"])
def test_fast_recording_and_backward_agree_with_the_table_bit_for_bit(kind):
    import random

    from autodiff import ops

    rng = random.Random(11)

    def leaf(r):
        if kind == "int" or (kind == "mixed" and r.random() < 0.5):
            return Value(r.randint(-3, 3))
        return Value(r.choice([-1.5, -0.0, 0.0, 0.1, 2.25, r.uniform(-2, 2)]))

    for _ in range(60):
        nodes = _random_program(rng, leaf)
        out = nodes[-1]
        for node in topological_order(out):
            if node.primitive is not None:
                assert _same(node.data, _table_forward(node)), node
                assert node.primitive.base.name in FAST_OPS or node.primitive in (ops.sum,)
        # The table's δs: `propagate` multiplies every local derivative of `ops` by the δ.
        seed = type(out.data)(1)
        expected = dict(propagate(out, seed, hooks=False))
        out.backward()
        for node, delta in expected.items():
            assert _same(node.grad, delta), (node, node.grad, delta)


def test_fractions_take_the_table_path_and_stay_exact():
    import random

    rng = random.Random(5)
    for _ in range(30):
        nodes = _random_program(
            rng, lambda r: Value(F(r.randint(-5, 5), r.randint(1, 4))), constants=(0, 1, -2, F(1, 3))
        )
        out = nodes[-1]
        expected = dict(propagate(out, F(1), hooks=False))
        out.backward()
        for node, delta in expected.items():
            assert node.grad == delta and not isinstance(node.grad, float)
        assert not isinstance(out.data, float)


def test_the_fast_paths_give_the_same_graph_as_the_table():
    from autodiff import ops
    from autodiff import sum as value_sum

    a, b = Value(2.0, "a"), Value(3, "b")
    with layer("L9"):
        made = [a + b, a - b, a * b, a.relu(), 2 + a, 2 - a, 2 * a, a + 2, a - 2, a * 2, value_sum([a, b, a])]
        by_table = [
            ops.add.forward(2.0, 3),
            ops.sub.forward(2.0, 3),
            ops.mul.forward(2.0, 3),
            ops.relu.forward(2.0),
            4.0,
            0.0,
            4.0,
            4.0,
            0.0,
            4.0,
            7.0,
        ]
    names = ["add", "sub", "mul", "relu", "add", "sub", "mul", "add", "sub", "mul", "sum"]
    for v, number, name in zip(made, by_table, names, strict=True):
        assert _same(v.data, number) and v.op == name and v.layer == "L9" and v.requires_grad
        assert all(p.layer == "L9" for p in v.parents if p is not a and p is not b)  # the constants
    assert made[4].parents[0].data == 2 and not made[4].parents[0].requires_grad
    assert made[-1].parents == (a, b, a)
    # ops.relu / ops.add called on Values take the same fast path as the operators.
    assert ops.relu(a).op == "relu" and ops.mul(a, b).data == 6.0 and ops.sub(a, 1).parents[1].data == 1


def test_fast_paths_keep_constant_nodes_for_replays_and_record_nothing_inside_no_grad():
    from autodiff import sum as value_sum

    c, d = Value(2.0, requires_grad=False), Value(3.0, requires_grad=False)
    # A node of constants gets no δ but keeps its operation and inputs, as the table's path does,
    # so a Tape can recompute it when the constants' numbers change.
    for out, op in ((c + d, "add"), (c - d, "sub"), (c * d, "mul"), (c.relu(), "relu"), (c * 2, "mul")):
        assert not out.requires_grad and out.op == op and out.parents[0] is c
    s = value_sum([c, d])
    assert not s.requires_grad and s.op == "sum" and s.parents == (c, d)
    a = Value(1.0)
    with no_grad():
        for out in (a + a, a * 2, 2 - a, a.relu(), value_sum([a, a])):
            assert not out.requires_grad and out.op is None


def test_huge_ints_mixed_with_floats_name_the_operation():
    big = Value(10**400)
    for make, op in (
        (lambda: big * 1.5, "mul"),
        (lambda: 1.5 + big, "add"),
        (lambda: big - 0.5, "sub"),
        (lambda: big * Value(2.0), "mul"),
        (big.sqrt, "sqrt"),
        (big.tanh, "tanh"),
        (big.sigmoid, "sigmoid"),
        (big.exp, "exp"),
    ):
        with pytest.raises(OverflowError, match=rf"^{op}: .*≈1\.00e400 \(401 digits\)"):
            make()
    with pytest.raises(TypeError, match=r"float\(v\) would cut the graph"):  # refused since issue 21
        float(big)
    z = big * Value(3)
    with pytest.raises(OverflowError, match="the backward of mul"):
        z.backward(1.5)
    assert z.grad == 0 and big.grad == 0


FORMS = [
    ("a + b", lambda a, b: a + b),
    ("a - b", lambda a, b: a - b),
    ("a * b", lambda a, b: a * b),
    ("a + 2", lambda a, b: a + 2),
    ("a - 2", lambda a, b: a - 2),
    ("a * 2", lambda a, b: a * 2),
    ("2 + a", lambda a, b: 2 + a),
    ("2 - a", lambda a, b: 2 - a),
    ("2 * a", lambda a, b: 2 * a),
    ("a.relu()", lambda a, b: a.relu()),
]


@pytest.mark.parametrize(("form", "make"), FORMS)
def test_every_fast_form_records_nothing_inside_no_grad(form, make):
    a, b = Value(1.5), Value(-2.0)
    with no_grad(), layer("L9"):
        out = make(a, b)
    assert not out.requires_grad and out.op is None and out.parents == (), form
    assert out.layer == "L9", form


@pytest.mark.parametrize(("form", "make"), FORMS)
def test_every_fast_form_is_checked_under_anomaly_mode(form, make):
    a, b = Value(float("inf")), Value(float("inf"))
    if form == "a - b":
        b = Value(float("-inf"))
    with detect_anomaly(), pytest.raises(FloatingPointError):
        make(a, b)


@pytest.mark.parametrize(("form", "make"), FORMS[:3])
def test_a_constant_operand_does_not_stop_the_flow_to_the_other(form, make):
    a, c = Value(1.5), Value(-2.0, requires_grad=False)
    out = make(a, c)
    assert out.requires_grad, form
    out.backward()
    assert a.grad != 0 and c.grad == 0, form
    d = Value(-2.0)
    out = make(c, d)
    assert out.requires_grad, form
    out.backward()
    assert d.grad != 0, form


def test_a_tape_adds_into_a_grad_that_was_set_to_none():
    from autodiff import Tape

    w = Value(3.0)
    tape = Tape(w * w, inputs=[w])
    w.grad = None  # the PyTorch habit: counts as 0
    tape.backward()
    assert w.grad == 6.0
    tape.backward()
    assert w.grad == 12.0


EXACT_FORMS = [
    ("a + b", lambda a, b: a + b),
    ("a - b", lambda a, b: a - b),
    ("a * b", lambda a, b: a * b),
    ("a + k", lambda a, b: a + b.data),
    ("a - k", lambda a, b: a - b.data),
    ("a * k", lambda a, b: a * b.data),
    ("k + a", lambda a, b: b.data + a),
    ("k - a", lambda a, b: b.data - a),
    ("k * a", lambda a, b: b.data * a),
]


@pytest.mark.parametrize(("form", "make"), EXACT_FORMS)
@pytest.mark.parametrize(("x", "y"), [(F(1, 2), F(1, 3)), (1.5, F(1, 3)), (F(1, 2), 0.25)])
def test_a_fraction_anywhere_takes_the_tables_path(monkeypatch, form, make, x, y):
    # The in-line paths are for ints and floats only; exact numbers go through the table's rules.
    calls = []
    for prim in (ops.add, ops.sub, ops.mul):
        rule = prim.forward
        monkeypatch.setattr(prim, "forward", lambda *args, rule=rule: calls.append(args) or rule(*args))
    make(Value(x), Value(y))
    assert calls, form


@pytest.mark.parametrize(("form", "make"), [*EXACT_FORMS, ("a.relu()", lambda a, b: a.relu())])
def test_ints_and_floats_take_the_in_line_path(monkeypatch, form, make):
    calls = []
    for prim in (ops.add, ops.sub, ops.mul, ops.relu):
        rule = prim.forward
        monkeypatch.setattr(prim, "forward", lambda *args, rule=rule: calls.append(args) or rule(*args))
    make(Value(1.5), Value(2))
    make(Value(3), Value(-0.5))
    assert not calls, form

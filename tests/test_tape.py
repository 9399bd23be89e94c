"""The record-once `Tape`: its replays against the plain rebuild-every-time path, and its limits."""

from __future__ import annotations

import random
from fractions import Fraction as F

import pytest
from test_ops import bound

from autodiff import Primitive, Tape, Value, detect_anomaly, ops
from autodiff.articles import gradient_descent as article


def plain_gradients(build, numbers):
    """Build the graph afresh on `numbers` and run the ordinary backward: (output, grads)."""
    leaves = [Value(x) for x in numbers]
    out = build(*leaves)
    out.backward()
    return out.data, [v.grad for v in leaves]


def replay_gradients(build, recorded, numbers):
    """Record on `recorded`, then replay the tape on `numbers`: (output, grads)."""
    leaves = [Value(x) for x in recorded]
    tape = Tape(build(*leaves), leaves)
    for v, x in zip(leaves, numbers, strict=True):
        v.data = x
    return tape.gradients()


def same(a, b):
    """Equal numbers of the same type (so floats agree to the last bit and Fractions stay Fractions)."""
    return type(a) is type(b) and a == b


def mlp(params, points, labels):
    """A small ReLU network and the max-margin loss, as in the moons benchmark."""
    (w1, b1), (w2, b2) = params
    total = 0
    for (x0, x1), y in zip(points, labels, strict=True):
        hidden = [(b + w[0] * x0 + w[1] * x1).relu() for w, b in zip(w1, b1, strict=True)]
        score = b2 + sum(w * h for w, h in zip(w2, hidden, strict=True))
        total = total + (1 - y * score).relu()
    return total * (1.0 / len(points))


def test_training_loop_gives_bit_identical_gradients_to_rebuilding():
    rng = random.Random(5)
    points = [(rng.uniform(-2, 2), rng.uniform(-2, 2)) for _ in range(12)]
    labels = [1.0 if x * y > 0 else -1.0 for x, y in points]
    numbers = [rng.uniform(-1, 1) for _ in range(4 * 2 + 4 + 4 + 1)]

    def structure(flat):
        w1 = [flat[0:2], flat[2:4], flat[4:6], flat[6:8]]
        return (w1, flat[8:12]), (flat[12:16], flat[16])

    def hidden_sides(flat):
        (w1, b1), _ = structure(flat)
        return [b + w[0] * x0 + w[1] * x1 >= 0 for (x0, x1) in points for w, b in zip(w1, b1, strict=True)]

    taped = [Value(x) for x in numbers]
    tape = Tape(mlp(structure(taped), points, labels), taped)
    recorded_sides = hidden_sides(numbers)
    plain = [Value(x) for x in numbers]
    flips = 0
    for _ in range(40):
        loss = mlp(structure(plain), points, labels)
        loss.backward()
        result = tape.backward()
        assert same(result, loss.data)
        for a, b in zip(taped, plain, strict=True):
            assert same(a.grad, b.grad)
            a.data -= 0.3 * a.grad
            b.data -= 0.3 * b.grad
            a.grad = b.grad = 0
        # Hidden ReLUs now on the other side than when recorded: the replay must have followed them.
        sides = hidden_sides([v.data for v in plain])
        flips += sum(a != b for a, b in zip(sides, recorded_sides, strict=True))
    assert flips > 0


def test_the_articles_epoch_is_exact_with_one_tape_for_all_patients():
    # One tape recorded on the first patient, replayed on each patient by changing the data leaves;
    # the third patient sits exactly at w2·x = 0, where the articles' ReLU rule lets the δ through.
    w2 = article.weights()
    x = [Value(F(v), requires_grad=False) for v in article.PATIENTS[0][0]]
    y = Value(F(article.PATIENTS[0][1]), requires_grad=False)
    o2 = w2[0] * x[0] + w2[1] * x[1] + w2[2] * x[2]
    tape = Tape((o2.relu() - y) ** 2 / 2, w2)
    plain_w2 = article.weights()
    for patient, label in article.PATIENTS:
        for leaf, v in zip(x, patient, strict=True):
            leaf.data = F(v)
        y.data = F(label)
        loss = tape.backward()
        graph = article.forward(patient, label, plain_w2)
        graph.loss.backward()
        assert loss == graph.loss.data
        for taped, plain in zip(w2, plain_w2, strict=True):
            assert taped.grad == plain.grad and isinstance(taped.grad, (int, F))
            taped.data -= article.LEARNING_RATE * taped.grad
            plain.data -= article.LEARNING_RATE * plain.grad
            taped.grad = plain.grad = 0
    assert [w.data for w in w2] == [w.data for w in plain_w2]


# Each builtin primitive, recorded at one point and replayed at another (both in its domain).
REPLAYS = {
    "add": ((1.5, -2.0), (0.25, 3.0)),
    "sub": ((1.5, -2.0), (0.25, 3.0)),
    "mul": ((1.5, -2.0), (0.25, 3.0)),
    "div": ((1.5, -2.0), (-0.3, 0.7)),
    "pow": ((1.5, 2.0), (0.7, -1.3)),
    "neg": ((1.5,), (-0.2,)),
    "abs": ((1.5,), (-0.2,)),  # the sign flips
    "identity": ((1.5,), (-0.2,)),
    "relu": ((1.5,), (-0.2,)),  # the side flips
    "exp": ((1.5,), (-0.2,)),
    "log": ((1.5,), (0.2,)),
    "sqrt": ((1.5,), (0.2,)),
    "tanh": ((1.5,), (-0.2,)),
    "sigmoid": ((1.5,), (-30.0,)),  # the other branch of the stable formula
    "sin": ((1.5,), (-0.2,)),
    "cos": ((1.5,), (-0.2,)),
    "softplus": ((1.5,), (-30.0,)),
    "leaky_relu": ((1.5,), (-0.2,)),  # the side flips
    "sum": ((1.5, -2.0, 0.5), (0.25, 3.0, -1.0)),
}


def test_every_builtin_primitive_has_a_replay_case():
    builtins = {name for name, p in ops.PRIMITIVES.items() if getattr(ops, name, None) is p}
    assert builtins <= set(REPLAYS), f"add replay points for {sorted(builtins - set(REPLAYS))}"


@pytest.mark.parametrize("name", sorted(REPLAYS))
def test_every_primitive_replays_like_the_plain_path(name):
    prim = bound(name)
    recorded, numbers = REPLAYS[name]

    def build(*leaves):
        # The primitive inside a little context, so its δ and inputs are not trivial.
        return prim(*[v * 1.5 for v in leaves]) * 0.5

    out, grads = replay_gradients(build, recorded, numbers)
    expected_out, expected_grads = plain_gradients(build, numbers)
    assert same(out, expected_out)
    assert all(same(a, b) for a, b in zip(grads, expected_grads, strict=True))


@pytest.mark.parametrize(
    ("build", "recorded", "numbers"),
    [
        (lambda a, b: (a * b - a).relu() + abs(b - a) / b, (F(1, 3), F(2)), (F(-5, 7), F(3, 4))),
        (lambda a, b: a**b + b**2 / a, (F(1, 2), F(3)), (F(2, 3), F(-2))),
        (lambda a, b: a**b, (F(1, 2), F(3)), (F(0), F(2))),  # base 0: ∂/∂b takes its special case
        (lambda a, b: a**b, (F(2), F(2)), (F(3), F(0))),  # exponent 0: ∂/∂a is 0
        (lambda a, b: (a - b).relu() * a, (F(3), F(1)), (F(2), F(2))),  # ReLU exactly at 0
    ],
)
def test_exact_numbers_replay_exactly_through_every_decision(build, recorded, numbers):
    out, grads = replay_gradients(build, recorded, numbers)
    expected_out, expected_grads = plain_gradients(build, numbers)
    assert same(out, expected_out) and isinstance(out, F)
    assert all(same(a, b) for a, b in zip(grads, expected_grads, strict=True))


def test_replay_follows_the_number_type_of_the_leaves():
    # Recorded on floats, replayed on Fractions: the same code keeps them exact.
    def build(a, b):
        return (a * b + 1) / (a - b) - abs(b)

    out, grads = replay_gradients(build, (0.5, 2.0), (F(1, 3), F(-1, 5)))
    assert (out, grads) == plain_gradients(build, (F(1, 3), F(-1, 5)))
    assert isinstance(out, F)


def test_errors_of_the_plain_path_are_raised_by_a_replay_too():
    x = Value(4.0)
    tape = Tape(x.sqrt() + x.log(), [x])
    x.data = 0.0
    with pytest.raises(ValueError, match="log: the input must be > 0"):
        tape.gradients()
    x.data = 4.0
    assert tape.gradients() == plain_gradients(lambda v: v.sqrt() + v.log(), [4.0])


def test_python_branches_are_fixed_at_recording_as_documented():
    # A tape sees operations, not the Python `if` that chose them: the recorded branch is replayed.
    x = Value(2.0)
    y = x * 3 if x.data > 0 else -x
    tape = Tape(y, [x])
    x.data = -1.0
    assert tape.gradients() == (-3.0, [3.0])
    assert plain_gradients(lambda v: v * 3 if v.data > 0 else -v, [-1.0]) == (1.0, [-1.0])


def test_intermediate_nodes_as_inputs_get_their_delta():
    a, b = Value(F(1, 2)), Value(F(3))
    h = a * b
    out = h * h + b
    tape = Tape(out, [h, a])
    result, (dh, da) = tape.gradients()
    out.backward()
    assert (result, dh, da) == (out.data, h.grad, a.grad) == (F(21, 4), 3, 9)


def test_backward_accumulates_like_value_backward_and_forward_only_computes():
    a, b = Value(F(1, 2)), Value(F(3))
    tape = Tape(a * b + a, [a, b])
    assert tape.backward() == 2
    assert tape.backward() == 2
    assert (a.grad, b.grad) == (8, 1)
    b.data = F(5)
    assert tape.forward() == 3
    assert tape.gradients(grad=F(1, 2)) == (3, [3, F(1, 4)])


def test_default_inputs_are_every_leaf_that_requires_grad():
    a, b, c = Value(1), Value(2), Value(3, requires_grad=False)
    tape = Tape(a * c + b, None)
    assert tape.inputs == (a, b)
    assert tape.gradients() == (5, [3, 1])


def test_the_generated_code_inlines_branch_free_rules_and_calls_the_others():
    a, b = Value(1.0), Value(2.0)
    tape = Tape((a * b).relu(), [a, b])
    assert "* x1" in tape.source and "relu(" in tape.source
    assert repr(tape) == f"<Tape of {tape.source.count(chr(10))} lines, 2 input(s)>"


def test_custom_primitives_replay_whatever_their_rules_read():
    scale = [2.0]
    # Made as `Primitive` objects, not registered with `primitive()`, to keep the table unchanged.
    twice = Primitive("scaled by k", lambda x: scale[0] * x, (lambda x, out: scale[0],))
    cube = Primitive("cube", lambda x: x * x * x, (lambda x, out: 3 * x * x,))
    wobbly = Primitive("wobbly", lambda x: x if x > 1 else -x, (lambda x, out: 1 if x > 1 else -1,))
    x = Value(3.0)
    tape = Tape(wobbly(cube(twice(x))), [x])
    assert "(3 * " in tape.source  # the cube's rule was inlined
    assert "_op(" in tape.source  # a name that is not an identifier stays out of the code
    scale[0] = -1.0  # a rule reading outside state is called, so it sees the change
    x.data = 0.5
    assert tape.gradients() == plain_gradients(lambda v: wobbly(cube(twice(v))), [0.5])


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: Tape(3.0), TypeError, "needs the Value to differentiate"),
        (lambda: Tape(Value(1.0, requires_grad=False) * 2), ValueError, "does not depend on anything"),
        (lambda: Tape(Value(1.0) * 2, [Value(2.0)]), ValueError, "not part of the output's graph"),
        (lambda: Tape(Value(1.0) * 2, [1.0]), TypeError, "inputs\\[0\\] must be a Value"),
    ],
)
def test_misuse_is_refused_with_a_clear_message(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_a_graph_with_hooks_is_refused():
    x = Value(2.0, name="x")
    h = x * 3
    h.register_hook(lambda d: d * 2)
    with pytest.raises(ValueError, match="has a hook; a replay does not call hooks"):
        Tape(h * h, [x])


def test_anomaly_mode_checks_a_replays_results():
    x = Value(1.0)
    tape = Tape(x * 1e308 * 10.0, [x])
    assert tape.gradients() == (1e309, [1e309])  # both infinite, unchecked by default
    with detect_anomaly(), pytest.raises(FloatingPointError, match="the output is inf"):
        tape.gradients()


def test_a_frozen_intermediate_is_read_like_a_constant():
    x = Value(2.0)
    m = x * x
    m.requires_grad_(False)
    out = m * x
    assert Tape(out).gradients() == (8.0, [4.0])
    out.backward()
    assert x.grad == 4.0  # the plain path does not look behind m either

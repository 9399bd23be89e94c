"""The record-once `Tape`: its replays against the plain rebuild-every-time path, and its limits."""

from __future__ import annotations

import gc
import os
import random
import tracemalloc
from fractions import Fraction as F

import pytest
from test_ops import bound

import autodiff
from autodiff import Primitive, Tape, Value, detect_anomaly, ops
from autodiff.articles import gradient_descent as article
from autodiff.learn.nn import Input, Linear, ReLU, Sequential


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
    "tan": ((0.5,), (-0.7,)),
    "atan": ((1.5,), (-0.2,)),
    "asin": ((0.5,), (-0.6,)),
    "acos": ((0.5,), (-0.6,)),
    "sinh": ((1.5,), (-0.2,)),
    "cosh": ((1.5,), (-0.2,)),
    "log2": ((1.5,), (0.2,)),
    "log10": ((1.5,), (0.2,)),
    "max": ((1.5, -2.0), (-0.5, 0.7)),  # the other input wins
    "min": ((1.5, -2.0), (-0.5, 0.7)),
    "mod": ((3.5, 1.5), (-2.3, 0.7)),  # another floor(x / y), another sign
    "clamp": ((0.5,), (-1.5,)),  # clipped at the replay
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
        (lambda a, b: a.max(b) * a + a.min(b), (F(3), F(1)), (F(2), F(2))),  # a tie: a gets the δ
        (lambda a, b: (a * 5) % b * a, (F(1, 2), F(2, 3)), (F(-3, 4), F(1, 3))),
        (lambda a, b: (a * b).clamp(F(-1, 2), 1) * b, (F(1, 3), F(1)), (F(-2), F(1, 4))),
        (lambda a, b: (a * b).clamp(0, F(1, 2)) * a, (F(1, 3), F(1)), (F(1, 2), F(1))),  # at the bound
        (lambda a, b: (a + b).clamp(hi=1) + (a - b).clamp(lo=0), (F(1, 3), F(1)), (F(1, 2), F(1, 2))),
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


def test_the_generated_code_inlines_rules_with_decisions_and_calls_the_others():
    a, b = Value(1.0), Value(2.0)
    tape = Tape((a * b).relu() / b, [a, b])
    # relu's forward and derivative are written out from the table (with their branch); div's are called.
    # zero_like(x) is written as its body, type(x)(0); an int compared with is written as a float.
    assert " >= 0.0 else type(" in tape.source and " >= 0.0 else v" in tape.source
    assert "relu(" not in tape.source and "_div(" in tape.source
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


# --- every leaf is read at replay (constants included), checked, and counted once ---------------


def test_a_sub_expression_of_constants_is_recomputed_at_replay():
    w = Value(2.0)
    x, mu = Value(3.0, requires_grad=False), Value(1.0, requires_grad=False)
    tape = Tape(w * ((x - mu) * (x - mu)), inputs=[w])
    x.data = 5.0
    assert tape.gradients() == (32.0, [16.0])  # a fresh pass: w·(5−1)², δw = 16
    mu.data = 6.0
    assert tape.gradients() == (2.0, [1.0])


def test_a_trace_with_constant_inputs_replays_on_new_data():
    def model():
        return Sequential(
            Input(requires_grad=False), Linear(weights=[[F(1, 2), F(-1, 3)]], bias=False), ReLU()
        )

    recorded = model()
    trace = recorded.trace([F(3), F(1)])
    out = trace.output[0]
    tape = Tape(out, recorded.parameters())
    for data in ([F(1), F(6)], [F(4), F(-2)], [F(0), F(0)]):
        for leaf, number in zip(trace.inputs, data, strict=True):
            leaf.data = number
        fresh = model()
        expected = fresh.trace(data).output[0]
        expected.backward()
        assert tape.gradients() == (expected.data, [w.grad for w in fresh.parameters()])


def test_an_exact_replay_divides_by_the_current_constants_not_the_recorded_ones():
    w = Value(F(1))
    x, y = Value(F(2), requires_grad=False), Value(F(2), requires_grad=False)
    tape = Tape(w / (x - y + 1), [w])  # recorded at x − y = 0
    x.data, y.data = F(1), F(3)  # now x − y + 1 = −1
    assert tape.gradients() == (-1, [-1])
    x.data = F(4)  # x − y + 1 = 2
    assert tape.gradients() == (F(1, 2), [F(1, 2)])


def test_a_frozen_intermediate_is_recomputed_but_gets_no_delta():
    x = Value(2.0)
    m = x * x
    m.requires_grad_(False)
    tape = Tape(m * x, [x])
    x.data = 3.0
    assert tape.gradients() == (27.0, [9.0])  # m = 9 now; the δ does not pass through m


def test_a_repeated_input_is_refused():
    w = Value(3)
    with pytest.raises(ValueError, match=r"inputs\[1\] is inputs\[0\] again .*list each input once"):
        Tape(w * w, inputs=[w, w])
    assert Tape(w * w, inputs=[w]).gradients() == (9, [6])


@pytest.mark.parametrize("bad", ["ab", None, [1.0], 1j, True])
def test_a_leaf_holding_a_non_number_is_refused_at_replay(bad):
    x, c = Value(2.0, name="x"), Value(1.0, requires_grad=False, name="c")
    tape = Tape(x * x + c, [x])
    for leaf in (x, c):
        with pytest.raises(TypeError, match=r"real number|got a bool"):
            leaf.data = bad  # the setter refuses it first...
        leaf._data = bad  # ...and a replay still checks what it reads, however it got there
        words = rf"Tape replay: the \.data of Value '{leaf.name}' (needs a real|got a)"
        with pytest.raises(TypeError, match=words):
            tape.gradients()
        with pytest.raises(TypeError, match=words):
            tape.forward()
        leaf.data = 2.0 if leaf is x else 1.0
    assert tape.gradients() == (5.0, [4.0])


def test_numpy_integers_in_leaves_are_read_as_python_ints():
    np = pytest.importorskip("numpy")
    x = Value(1)
    tape = Tape(x * x * x, [x])
    x.data = np.int64(2**62)
    out, (dx,) = tape.gradients()
    assert (out, dx) == (2**186, 3 * 2**124) and type(out) is int  # no fixed-width overflow


# --- generated programs: a replay must equal a fresh plain pass, whatever the leaves hold --------

EXACT_UNARY = ["neg", "relu", "abs", "identity", "leaky"]
FLOAT_UNARY = [*EXACT_UNARY, "tanh", "sigmoid", "sin", "cos", "softplus", "exp", "log", "sqrt"]
BINARY = ["add", "sub", "mul", "mul", "div", "pow"]


def random_program(rng, exact):
    """A program over `weights` learning leaves and `data` constant leaves, with reused nodes."""
    n_weights, n_data = rng.randint(1, 3), rng.randint(1, 3)
    steps = []
    size = n_weights + n_data

    def pick():  # any node, or one of the last three (so chains form)
        return rng.randrange(size) if rng.random() < 0.5 else rng.randrange(max(0, size - 3), size)

    for _ in range(rng.randint(2, 12)):
        kind = rng.random()
        if kind < 0.35:
            steps.append((rng.choice(EXACT_UNARY if exact else FLOAT_UNARY), pick()))
        elif kind < 0.85:
            op = rng.choice(BINARY)
            if op == "pow":
                steps.append(("pow", pick(), rng.randint(0, 3)))  # an integer exponent
            elif rng.random() < 0.2:
                steps.append((op + "_constant", pick(), random_number(rng, exact)))
            else:
                steps.append((op, pick(), pick()))
        else:
            steps.append(("sum", pick(), pick(), pick()))
        size += 1
    return n_weights, n_data, steps


def random_number(rng, exact):
    if exact:
        return F(rng.randint(-6, 6), rng.randint(1, 4))
    return rng.choice([0.0, 1.0, -1.0, rng.uniform(-3, 3), rng.uniform(-0.5, 0.5)])


def run_program(program, weights, data):
    """The program's output Value, built from the leaves given (the last node plus every weight²)."""
    _, _, steps = program
    nodes = [*weights, *data]
    slope = F(1, 10)
    for step in steps:
        op, a = step[0], nodes[step[1]]
        if op == "leaky":
            nodes.append(a.leaky_relu(slope) if isinstance(a, Value) else ops.leaky_relu(a, slope=slope))
        elif op in FLOAT_UNARY:
            nodes.append(getattr(ops, op)(a))
        elif op == "pow":
            nodes.append(a ** step[2])
        elif op == "sum":
            nodes.append(autodiff.sum([a, nodes[step[2]], nodes[step[3]]]))
        else:
            b = step[2] if op.endswith("_constant") else nodes[step[2]]
            nodes.append(getattr(ops, op.removesuffix("_constant"))(a, b))
    # Every node reaches the output (an error anywhere is an error of the output's graph), and so
    # does every weight.
    used = {i for step in steps for i in (step[1:] if step[0] in ("sum", *BINARY[:-1]) else step[1:2])}
    out = nodes[-1]
    for i in range(len(weights) + len(data), len(nodes) - 1):
        if i not in used:
            out = out + nodes[i]
    for w in weights:
        out = out + w * w
    return out


def same_bits(a, b):
    """Equal numbers of the same type; floats compared by their exact text (so -0.0 differs from 0.0)."""
    return type(a) is type(b) and repr(a) == repr(b)


def fresh_pass(program, weight_numbers, data_numbers):
    """(output, grads) of a plain pass built afresh on these numbers, or the exception type it raised."""
    weights = [Value(x) for x in weight_numbers]
    data = [Value(x, requires_grad=False) for x in data_numbers]
    try:
        out = run_program(program, weights, data)
        out.backward()
    except (ArithmeticError, ValueError) as e:
        return type(e)
    return out.data, [w.grad for w in weights]


def replay_matches(tape, weights, data, rng, exact):
    """Change every leaf's number, replay, and compare with a fresh plain pass on those numbers."""
    for leaf in (*weights, *data):
        leaf.data = random_number(rng, exact)
    expected = fresh_pass(tape_program[id(tape)], [w.data for w in weights], [d.data for d in data])
    try:
        out, grads = tape.gradients()
    except (ArithmeticError, ValueError):
        # The plain pass must fail too. (When several operations fail, each pass reports the first
        # it meets: a replay computes the nodes in the graph's order, not the program's.)
        return isinstance(expected, type)
    if isinstance(expected, type):
        return False
    expected_out, expected_grads = expected
    return same_bits(out, expected_out) and all(
        same_bits(a, b) for a, b in zip(grads, expected_grads, strict=True)
    )


tape_program: dict[int, tuple] = {}


def generated_programs(count, seed, replays=4):
    """(programs recorded, replays compared, replays that differed from a fresh plain pass)."""
    rng = random.Random(seed)
    recorded = compared = wrong = 0
    while recorded < count:
        exact = rng.random() < 0.5
        program = random_program(rng, exact)
        n_weights, n_data, _ = program
        weights = [Value(random_number(rng, exact)) for _ in range(n_weights)]
        data = [Value(random_number(rng, exact), requires_grad=False) for _ in range(n_data)]
        try:
            out = run_program(program, weights, data)
        except (ArithmeticError, ValueError):
            continue  # not recordable at these numbers; try another program
        tape = Tape(out, weights)
        tape_program[id(tape)] = program
        recorded += 1
        for _ in range(replays):
            compared += 1
            wrong += not replay_matches(tape, weights, data, rng, exact)
        del tape_program[id(tape)]
    return recorded, compared, wrong


def test_generated_programs_replay_exactly_like_a_fresh_plain_pass():
    # AUTODIFF_TAPE_PROGRAMS=50000 for a longer soak.
    count = int(os.environ.get("AUTODIFF_TAPE_PROGRAMS", "2000"))
    recorded, compared, wrong = generated_programs(count, seed=9)
    assert recorded == count and compared == 4 * count
    assert wrong == 0, f"{wrong} of {compared} replays differ from a fresh plain pass"


# --- recording: memory, the garbage collector -----------------------------------------------------


def recording_peak_per_node(output, inputs):
    nodes = len(autodiff.topological_order(output, only_requiring_grad=False))
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tape = Tape(output, inputs)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    del tape
    return peak / nodes


def test_recording_memory_stays_under_two_kilobytes_per_node():
    # A long chain: x → x·1.0001 + 0.0001 (4 nodes per step with the constants). Recording used to
    # need about 8.7 KB per node at its peak. (benchmarks/tape_replay.py measures larger graphs.)
    x = Value(0.5)
    y = x
    for _ in range(3000):
        y = y * 1.0001 + 0.0001
    assert recording_peak_per_node(y, [x]) < 2000


def test_recording_an_n_input_primitive_grows_linearly_in_n():
    def peak(n):
        xs = [Value(float(i)) for i in range(n)]
        nodes = len(autodiff.topological_order(autodiff.sum(x * x for x in xs), only_requiring_grad=False))
        return recording_peak_per_node(autodiff.sum(x * x for x in xs), xs) * nodes

    small, large = peak(300), peak(2400)
    assert large < 8 * 2 * small  # 8 times the inputs: about 8 times the memory (quadratic: 64)


def test_recording_pauses_the_garbage_collector_and_restores_it(monkeypatch):
    seen = []
    real = autodiff.tape.topological_order

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(autodiff.tape, "topological_order", spy)
    x = Value(2.0)
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            Tape(x * x, [x])
            assert gc.isenabled() is enabled
            h = x * 3
            h.register_hook(lambda d: d)
            with pytest.raises(ValueError, match="has a hook"):
                Tape(h * x, [x])
            assert gc.isenabled() is enabled  # restored on error too
        finally:
            gc.enable()
    assert seen and not any(seen)


def test_a_replay_compiled_in_many_pieces_gives_the_same_numbers(monkeypatch):
    # Large graphs are compiled as several functions passing numbers through a list: force that
    # on small graphs and compare again with fresh plain passes.
    monkeypatch.setattr(autodiff.tape, "CHUNK_CHARACTERS", 60)
    _, compared, wrong = generated_programs(150, seed=11)
    assert wrong == 0, f"{wrong} of {compared} replays differ from a fresh plain pass"
    x = Value(0.5)
    y = x
    for _ in range(200):
        y = (y * 1.0001 + 0.0001).relu()
    tape = Tape(y, [x])
    assert tape.source.count("def chunk") > 10
    y.backward()
    assert tape.gradients() == (y.data, [x.grad])


def test_a_leaf_as_output_and_input_replays_its_current_number():
    w = Value(3.0)
    tape = Tape(w, [w])
    w.data = 5.0
    assert tape.gradients() == (5.0, [1.0]) and tape.forward() == 5.0


@pytest.mark.parametrize("bad", [5, 2.5, 1 + 2j])
def test_inputs_that_are_not_a_list_say_what_to_write(bad):
    w = Value(2.0)
    with pytest.raises(
        TypeError, match=r"Tape: inputs must be a list of Values \(e\.g\. model\.parameters\(\)\)"
    ):
        Tape(w * w, inputs=bad)


def test_a_replay_beyond_a_float_names_the_grad_and_the_data():
    w = Value(2.0, "w")
    tape = Tape(w * 3.0, inputs=[w])
    with pytest.raises(
        OverflowError, match=r"Tape replay: .*Tape\.gradients\(grad=\.\.\.\) or a leaf Value's \.data"
    ):
        tape.gradients(10**400)
    assert w.grad == 0


@pytest.mark.parametrize("repeat", range(5))
def test_tape_replays_in_threads_into_a_shared_weight_lose_no_update(repeat):
    # Tape.backward adds into .grad as backward() does; with a thread switch every microsecond an
    # unguarded read-add-write loses updates. Plain passes from a third thread share the weight too.
    import sys
    import threading

    w = Value(1.0, "w")
    tape = Tape(w * 3, inputs=[w])

    def replays():
        for _ in range(2000):
            tape.backward()

    def passes():
        for _ in range(2000):
            (w * 3).backward()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=f) for f in (replays, replays, passes)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert w.grad == 18000


def test_a_tape_replayed_from_a_hook_during_a_pass_adds_its_delta():
    # The pass holds the .grad lock while it runs; the replay inside its hook must not wait for it.
    w, v = Value(2.0, "w"), Value(1.0, "v")
    tape = Tape(w * 3, inputs=[w])
    x = v * 5
    x.register_hook(lambda d: tape.backward() and None)
    (x * 2).backward()
    assert (w.grad, v.grad) == (3.0, 10.0)

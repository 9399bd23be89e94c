"""Batched replay: a one-sample graph replayed over a batch matches the plain per-sample loop."""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction as F

import pytest

import autodiff
from autodiff import Tape, Value, ops
from autodiff.learn import MLP
from autodiff.tape import NotBatchable

np = pytest.importorskip("numpy")

TOL = 1e-12


def data_leaf(name):
    return Value(0.0, name, requires_grad=False)


def moons_like(sizes=(2, 5, 4, 1), seed=0):
    """A scalar-written MLP and its per-sample hinge loss, recorded once with data leaves marked."""
    model = MLP(sizes[0], list(sizes[1:]), seed=seed)
    xs = [data_leaf(f"x{i}") for i in range(1, sizes[0] + 1)]
    y = data_leaf("y")
    out = model(xs)  # one output: a bare Value
    loss = (1 - y * out).relu()
    return model, xs, y, loss


def plain_loop(model, xs, y, points, labels, build):
    """Per-sample outputs and the parameters' δs summed in sample order, each sample built afresh."""
    losses, total = [], [0.0] * len(model.parameters())
    for point, label in zip(points, labels, strict=True):
        model.zero_grad()
        loss = build(model, [float(p) for p in point], float(label))
        loss.backward()
        losses.append(loss.data)
        total = [t + (p.grad or 0.0) for t, p in zip(total, model.parameters(), strict=True)]
    model.zero_grad()
    return losses, total


def hinge(model, point, label):
    return (1 - label * model(point)).relu()


def batch(n, width=2, seed=1):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n, width))
    points[0] = 0.0  # every first-layer pre-activation is exactly 0: relu'(0) = 1, the articles' rule
    labels = np.where(rng.normal(size=n) > 0, 1.0, -1.0)
    return points, labels


def assert_close(found, expected):
    for a, b in zip(found, expected, strict=True):
        assert abs(float(a) - b) <= TOL * max(1.0, abs(b)), (a, b)


@pytest.mark.parametrize("fuse", [False, True])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_an_mlp_batch_matches_the_plain_per_sample_loop(fuse, reduction):
    model, xs, y, loss = moons_like()
    tape = Tape(loss, inputs=model.parameters(), data=[*xs, y])
    step = tape.batched(backend="numpy", reduction=reduction, fuse=fuse)
    points, labels = batch(40)
    losses, grads = step({xs[0]: points[:, 0], xs[1]: points[:, 1], y: labels})
    expected_losses, expected_grads = plain_loop(model, xs, y, points, labels, hinge)
    assert losses.shape == (40,) and grads.shape == (len(model.parameters()),)
    assert_close(losses, expected_losses)
    scale = len(points) if reduction == "mean" else 1
    assert_close(grads, [g / scale for g in expected_grads])
    assert step.fused_layers == (3 if fuse else 0)


def test_relu_at_exactly_zero_takes_the_articles_derivative():
    w = Value(2.0, "w")
    x = data_leaf("x")
    tape = Tape((w * x).relu(), inputs=[w], data=[x])
    losses, grads = tape.batched()({x: [0.0, -1.0, 3.0]})
    assert list(losses) == [0.0, 0.0, 6.0]
    assert list(grads) == [0.0 + 0.0 + 3.0]  # at 0 the δ passes (x = 0 adds 0·1), at -1 it does not
    b = Value(0.0, "b")
    tape = Tape((b + x).relu(), inputs=[b], data=[x])
    assert list(tape.batched()({x: [0.0, -1.0, 3.0]})[1]) == [2.0]  # relu'(0) = 1 counted once


def test_fused_layers_are_matrix_products():
    model, xs, y, loss = moons_like()
    step = Tape(loss, inputs=model.parameters(), data=[*xs, y]).batched()
    assert step.source.count(" @ ") == 3 + 5  # forward: one per layer; backward: δW for each, δX for two
    assert "stack_columns" in step.source  # the first layer's inputs become one matrix


def test_keys_may_be_names_and_backward_adds_to_grad():
    model, xs, y, loss = moons_like()
    step = Tape(loss, inputs=model.parameters(), data=[*xs, y]).batched()
    points, labels = batch(10)
    losses, grads = step({"x1": points[:, 0], "x2": points[:, 1], "y": labels})
    again = step.backward({xs[0]: points[:, 0], xs[1]: points[:, 1], y: labels})
    assert list(again) == list(losses)
    assert [p.grad for p in model.parameters()] == list(grads)


def test_data_leaves_are_not_inputs_by_default():
    w = Value(1.5, "w")
    x = Value(2.0, "x")  # requires a gradient, but it is data
    tape = Tape(w * x, data=[x])
    assert tape.inputs == (w,)
    with pytest.raises(ValueError, match="both an input and a data leaf"):
        Tape(w * x, inputs=[w, x], data=[x])


def test_recording_refuses_data_leaves_that_cannot_change():
    w, x = Value(1.5, "w"), data_leaf("x")
    with pytest.raises(ValueError, match=r"data\[0\].*not part of the output's graph.*x.data"):
        Tape(w * x.data, inputs=[w], data=[x])
    h = w * x
    with pytest.raises(ValueError, match="computed by an operation"):
        Tape(h * w, inputs=[w], data=[h])
    with pytest.raises(ValueError, match="listed twice"):
        Tape(w * x, inputs=[w], data=[x, x])
    with pytest.raises(TypeError, match="data must be a list"):
        Tape(w * x, inputs=[w], data=x)
    with pytest.raises(ValueError, match="mark the data leaves"):
        Tape(w * x, inputs=[w]).batched()


def test_bad_batches_are_named():
    w, x, y = Value(1.5, "w"), data_leaf("x"), data_leaf("y")
    step = Tape(w * x + y, inputs=[w], data=[x, y]).batched()
    with pytest.raises(ValueError, match=r"no array for the data leaves 'y'"):
        step({x: [1.0]})
    with pytest.raises(ValueError, match=r"'z' is not one of the tape's data leaves"):
        step({x: [1.0], y: [1.0], "z": [2.0]})
    with pytest.raises(ValueError, match=r"Value 'w' is not one of the tape's data leaves"):
        step({x: [1.0], y: [1.0], w: [2.0]})
    with pytest.raises(ValueError, match=r"different lengths \('x': 2, 'y': 3\)"):
        step({x: [1.0, 2.0], y: [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"1-D array.*\(2, 2\)"):
        step({x: [[1.0, 2.0], [3.0, 4.0]], y: [1.0, 2.0]})
    with pytest.raises(ValueError, match="empty"):
        step({x: [], y: []})
    with pytest.raises(TypeError, match="a dict"):
        step([[1.0], [2.0]])
    with pytest.raises(ValueError, match="backend must be one of numpy, torch"):
        Tape(w * x, inputs=[w], data=[x]).batched(backend="jax")
    with pytest.raises(ValueError, match="reduction must be 'sum' or 'mean'"):
        Tape(w * x, inputs=[w], data=[x]).batched(reduction="max")


def test_fractions_do_not_batch():
    w, x = Value(F(3, 2), "w"), data_leaf("x")
    tape = Tape(w * x, inputs=[w], data=[x])
    step = tape.batched()
    with pytest.raises(
        TypeError, match=r"Value 'w' holds the Fraction 3/2; Fractions do not batch.*scalar Tape"
    ):
        step({x: [1.0, 2.0]})
    w.data = 1.5
    with pytest.raises(TypeError, match=r"data of 'x' holds Fractions; Fractions do not batch.*scalar Tape"):
        step({x: np.array([F(1, 3), F(1, 2)], dtype=object)})
    assert list(step({x: [1, 2]})[0]) == [1.5, 3.0]  # ints become floats (exact up to 2**53)
    with pytest.raises(ValueError, match=r"beyond 2\*\*53"):
        step({x: np.array([2**60], dtype=np.int64)})


def test_a_domain_error_names_the_sample():
    w, x = Value(1.0, "w"), data_leaf("x")
    x.data = 1.0
    step = Tape((w * x).log(), inputs=[w], data=[x]).batched()
    with pytest.raises(ValueError, match=r"log: the input must be > 0 \(sample 2\)"):
        step({x: [1.0, 2.0, -1.0]})
    step = Tape(w / x, inputs=[w], data=[x]).batched()
    with pytest.raises(ZeroDivisionError, match=r"division by zero \(sample 1\)"):
        step({x: [1.0, 0.0]})


def test_check_finds_a_graph_shaped_by_the_data():
    w, x = Value(2.0, "w"), data_leaf("x")

    def rebuild():
        # A Python decision on the data: the recorded graph keeps the branch of the recorded sample.
        return w * x if x.data > 0 else w * w

    x.data = 1.0
    tape = Tape(rebuild(), inputs=[w], data=[x])
    step = tape.batched()
    numbers = {x: np.array([3.0, -1.0])}
    step.check(numbers, rebuild, samples=[0])  # same branch: agrees
    with pytest.raises(ValueError, match=r"sample 1: the loss is -2.0 replayed but 4.0.*depends on the data"):
        step.check(numbers, rebuild, samples=[0, 1])
    assert x.data == 1.0  # the data leaf has its number back
    with pytest.raises(ValueError, match="not in a batch of 2"):
        step.check(numbers, rebuild, samples=[5])


def _cube_root(x):
    return math.copysign(abs(x) ** (1 / 3), x)


CUBE_ROOT = ops.Primitive("cube_root", _cube_root, (lambda x, out: ops.div(1, 3 * out * out),))


def test_a_primitive_without_an_array_version_is_refused_by_name():
    w, x = Value(1.0, "w"), data_leaf("x")
    x.data = 2.0
    with pytest.raises(NotBatchable, match=r"the primitive 'cube_root' has no numpy version of its forward"):
        Tape(CUBE_ROOT(w * x), inputs=[w], data=[x]).batched()


KNOWN_PARAMS = {"slope": 0.25, "n": 3}


@pytest.mark.parametrize("name", sorted(ops.PRIMITIVES))
def test_every_table_primitive_batches_or_is_refused_by_name(name):
    prim = ops.PRIMITIVES[name]
    params = {p: KNOWN_PARAMS.get(p, 0.5) for p in prim.param_names}
    bound = prim.bind(**params) if params else prim
    w = Value(0.5, "w")
    xs = [data_leaf(f"x{i}") for i in range(bound.arity)]
    numbers = np.array([[0.2, 0.3, 0.9], [0.4, 0.7, 0.1], [0.9, 0.5, 0.6]])[:, : bound.arity]
    for v, c in zip(xs, numbers[0], strict=True):
        v.data = float(c)
    out = bound(*[w * v for v in xs])
    tape = Tape(out, inputs=[w], data=xs)
    try:
        step = tape.batched()
    except NotBatchable as error:
        assert repr(prim.name) in str(error) and "scalar Tape" in str(error)
        return
    losses, grads = step({v: numbers[:, k] for k, v in enumerate(xs)})
    total = 0.0
    for row, loss in zip(numbers, losses, strict=True):
        for v, c in zip(xs, row, strict=True):
            v.data = float(c)
        expected, (g,) = tape.gradients()
        assert abs(loss - expected) <= TOL * max(1.0, abs(expected))
        total += g
    assert abs(grads[0] - total) <= TOL * max(1.0, abs(total))


def test_recording_and_the_core_do_not_import_numpy():
    code = (
        "import sys, autodiff\n"
        "x, w = autodiff.Value(1.0, requires_grad=False), autodiff.Value(2.0)\n"
        "autodiff.Tape(w * x, inputs=[w], data=[x])\n"
        "assert 'numpy' not in sys.modules and 'torch' not in sys.modules, 'imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=autodiff.__path__[0] + "/..")


@pytest.mark.parametrize("shared", [False, True])
def test_fusion_handles_reordered_shared_and_reused_neurons(shared):
    rng = np.random.default_rng(3)
    w = [[Value(float(rng.normal()), f"w{i}_{j}") for j in range(3)] for i in range(4)]
    b = [Value(float(rng.normal()), f"b{i}") for i in range(4)]
    v = [[Value(float(rng.normal()), f"v{i}_{j}") for j in range(4)] for i in range(2)]
    xs = [data_leaf(f"x{j}") for j in range(3)]
    hidden = [
        autodiff.sum([*(wi * x for wi, x in zip(w[i], xs, strict=True)), b[i]]).tanh() for i in range(4)
    ]
    # The next layer reads the hidden layer in another order (a permutation), one hidden output is
    # also used on its own, and (shared) one weight is also used outside its neuron, which then
    # stays a scalar node while its three neighbours are fused.
    order = [2, 0, 3, 1]
    outs = [autodiff.sum([vi * hidden[k] for vi, k in zip(v[i], order, strict=True)]) for i in range(2)]
    u = [Value(float(rng.normal()), f"u{k}") for k in range(4)]
    other = autodiff.sum([uk * h for uk, h in zip(u, hidden, strict=True)])  # the layer in its own order
    loss = outs[0] * outs[1] + hidden[1] * 0.5 + other * 0.25
    if shared:
        loss = loss + w[0][0] * xs[0] * xs[1]
    params = [*[p for row in w for p in row], *b, *[p for row in v for p in row], *u]
    tape = Tape(loss, inputs=params, data=xs)
    fused = tape.batched()
    assert fused.fused_layers == 3
    # Two layers read the hidden matrix in two orders: one of them permutes its columns.
    assert ("[:, [" in fused.source) == (not shared)
    numbers = rng.normal(size=(7, 3))
    numbers[0] = 0.0
    batch = {x: numbers[:, j] for j, x in enumerate(xs)}
    losses, grads = fused(batch)
    plain_losses, plain_grads = tape.batched(fuse=False)(batch)
    total = np.zeros(len(params))
    for k, row in enumerate(numbers):
        for x, c in zip(xs, row, strict=True):
            x.data = float(c)
        out, g = tape.gradients()
        assert abs(losses[k] - out) <= TOL * max(1.0, abs(out))
        total += g
    assert_close(grads, list(total))
    assert_close(plain_grads, list(total))
    assert_close(plain_losses, list(losses))


def test_an_intermediate_input_keeps_its_delta_when_layers_are_fused():
    model, xs, y, loss = moons_like()
    # Every neuron's Σ, an intermediate node of the graph, asked for as an input.
    sums = [v for v in autodiff.topological_order(loss) if v.op == "sum"]
    inputs = [*model.parameters(), *sums]
    tape = Tape(loss, inputs=inputs, data=[*xs, y])
    points, labels = batch(12)
    numbers = {xs[0]: points[:, 0], xs[1]: points[:, 1], y: labels}
    _, fused = tape.batched()(numbers)
    total = np.zeros(len(inputs))
    for (a, b), label in zip(points, labels, strict=True):
        xs[0].data, xs[1].data, y.data = float(a), float(b), float(label)
        total += tape.gradients()[1]
    assert_close(fused, list(total))  # the Σs' own δs too, not dropped with a fused layer
    assert sum(g != 0.0 for g in total[-len(sums) :]) > len(sums) // 2


def test_a_frozen_node_stops_the_delta_in_the_batched_replay():
    model, xs, y, _ = moons_like()
    hidden = model.layers[0](xs)
    hidden[0].requires_grad_(False)  # frozen: no δ flows through it to the first layer's weights
    out = model.layers[2](model.layers[1](hidden))[0]
    loss = (1 - y * out).relu()
    tape = Tape(loss, data=[*xs, y])  # the inputs: every leaf the δ reaches
    frozen_neuron = set(model.layers[0].neurons[0].parameters())
    assert not frozen_neuron & set(tape.inputs) and len(tape.inputs) == len(model.parameters()) - 3
    points, labels = batch(9)
    step = tape.batched()
    assert step.fused_layers == 0  # a frozen node: replayed node by node
    _, grads = step({xs[0]: points[:, 0], xs[1]: points[:, 1], y: labels})
    total = np.zeros(len(grads))
    for (a, b), label in zip(points, labels, strict=True):
        xs[0].data, xs[1].data, y.data = float(a), float(b), float(label)
        total += tape.gradients()[1]
    assert_close(grads, list(total))

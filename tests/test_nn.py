"""Layers, losses and models: exact values, δs, labels and names, deterministic initialisation."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from autodiff import Value
from autodiff.articles import gradient_descent as article
from autodiff.learn.nn import (
    MLP,
    HalfSquaredError,
    Input,
    Layer,
    Linear,
    MaxMargin,
    Neuron,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    l2_penalty,
)


def test_article_model_matches_the_hand_built_article_graph():
    model = article.model()
    for x, y in article.PATIENTS:
        trace = model.trace(x, y, HalfSquaredError())
        trace.loss.backward()
        graph = article.forward(x, y, article.weights())
        graph.loss.backward()
        assert [v.data for v in trace.outputs[0]] == [v.data for v in graph.o1]
        assert trace.outputs[1][0].data == graph.o2.data
        assert trace.outputs[2][0].data == graph.o3.data
        assert trace.loss.data == graph.loss.data
        assert [v.grad for v in trace.inputs] == [v.grad for v in graph.x]
        assert [p.grad for p in model.parameters()] == [w.grad for w in graph.w2]
        model.zero_grad()
        assert [p.grad for p in model.parameters()] == [0, 0, 0]


def test_article_model_names_and_layer_boxes():
    model = article.model()
    trace = model.trace((0, 2000, 3000), 1, HalfSquaredError())
    assert [p.name for p in model.parameters()] == ["w2_1", "w2_2", "w2_3"]
    assert [v.name for v in trace.inputs] == ["x1", "x2", "x3"]
    assert [v.layer for v in trace.inputs] == [None, None, None]
    assert [(v.name, v.layer, v.op) for v in trace.outputs[0]] == [
        ("o1_1", "L1", "identity"),
        ("o1_2", "L1", "identity"),
        ("o1_3", "L1", "identity"),
    ]
    assert (trace.outputs[1][0].name, trace.outputs[1][0].layer) == ("o2", "L2")
    assert (trace.outputs[2][0].name, trace.outputs[2][0].layer, trace.outputs[2][0].op) == (
        "o3",
        "L3",
        "relu",
    )
    assert (trace.loss.name, trace.loss.layer) == ("loss", "Loss")
    # Every node between o3 and the loss sits in the Loss box.
    node, inside = trace.loss, []
    while node is not trace.outputs[2][0]:
        inside.append(node)
        node = node.parents[0]
    assert {n.layer for n in inside} == {"Loss"}


def test_half_squared_error_is_written_exactly_as_the_article():
    o = Value(Fraction(1, 2))
    loss = HalfSquaredError()(o, 1)
    assert loss.data == Fraction(1, 8)
    assert loss.op == "div" and loss.parents[1].data == 2
    assert loss.parents[0].op == "pow" and loss.parents[0].parents[1].data == 2
    loss.backward()
    assert o.grad == Fraction(-1, 2)  # δ4 = o − y


def test_half_squared_error_sums_over_a_vector_and_checks_lengths():
    loss = HalfSquaredError()([Value(3), Value(1)], (1, 1))
    assert loss.data == 2
    with pytest.raises(ValueError, match="output has 2 entries, expectation 1"):
        HalfSquaredError()([Value(3), Value(1)], 1)


def test_linear_with_and_without_bias():
    layer = Linear(weights=[[1, 2], [3, 4]], biases=[5, 6])
    x = [Value(1), Value(Fraction(1, 2))]
    out = layer(x)
    assert [v.data for v in out] == [7, 11]
    (out[0] + out[1]).backward()
    assert [p.grad for p in layer.parameters()] == [1, Fraction(1, 2), 1, 1, Fraction(1, 2), 1]
    assert [v.grad for v in x] == [4, 6]
    no_bias = Linear(weights=[Fraction(1, 3), 2], bias=False)
    assert len(no_bias.parameters()) == 2
    assert no_bias([3, 1])[0].data == 3


def test_linear_random_weights_come_from_the_seed():
    a = Linear(3, 2, seed=7)
    b = Linear(3, 2, seed=7)
    c = Linear(3, 2, seed=8)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]
    bound = math.sqrt(3 / 3)
    assert all(-bound <= w.data <= bound for n in a.neurons for w in n.weights)
    assert all(n.bias.data == 0 for n in a.neurons)


@pytest.mark.parametrize(
    ("layer", "x", "value", "slope"),
    [
        (ReLU(), 0, 0, 1),  # the articles' rule: the δ passes at exactly 0
        (ReLU(), -2, 0, 0),
        (ReLU(), Fraction(3, 2), Fraction(3, 2), 1),
        (Tanh(), 0.5, math.tanh(0.5), 1 - math.tanh(0.5) ** 2),
        (Sigmoid(), 0.5, 1 / (1 + math.exp(-0.5)), math.exp(-0.5) / (1 + math.exp(-0.5)) ** 2),
    ],
)
def test_activation_layers(layer, x, value, slope):
    v = Value(x)
    (out,) = layer([v])
    out.backward()
    assert out.data == pytest.approx(value, rel=1e-12)
    assert v.grad == pytest.approx(slope, rel=1e-12)


def test_input_layer_is_the_identity_and_makes_named_leaves():
    out = Input(label="L1")([4, Fraction(1, 3)])
    assert [v.data for v in out] == [4, Fraction(1, 3)]
    assert [v.op for v in out] == ["identity", "identity"]
    assert [v.parents[0].name for v in out] == ["x1", "x2"]
    assert [v.layer for v in out] == ["L1", "L1"]


def test_max_margin_and_l2_penalty():
    score = Value(Fraction(1, 4))
    hinge = MaxMargin()(score, -1)
    assert hinge.data == Fraction(5, 4)
    hinge.backward()
    assert score.grad == 1
    assert MaxMargin()(Value(3), 1).data == 0
    params = [Value(1), Value(-2), Value(Fraction(1, 2))]
    penalty = l2_penalty(params, Fraction(1, 10))
    assert penalty.data == Fraction(21, 40)
    penalty.backward()
    assert [p.grad for p in params] == [Fraction(1, 5), Fraction(-2, 5), Fraction(1, 10)]


def test_neuron_and_layer():
    n = Neuron([2, -1], 1, activation="relu")
    assert n.fire([3, 1]).data == 6
    assert n.fire([0, 5]).data == 0
    assert n.parameters()[2] is n.bias
    layer = Layer(weights=[[1, 1], [-1, 0]], activation="relu")
    assert [v.data for v in layer([2, 3])] == [5, 0]
    with pytest.raises(ValueError, match=r"Neuron\(2 inputs, bias=True, .*\) expects 2 inputs, got 3$"):
        n.fire([1, 2, 3])


def test_half_squared_error_keeps_plain_exact_numbers_exact():
    # Python's `/` and `**` would give the float 4.5 here.
    loss = HalfSquaredError()([3], [0])
    assert type(loss) is Fraction and loss == Fraction(9, 2)
    assert HalfSquaredError()([Fraction(1, 3), 2], [0, 1]) == Fraction(1, 18) + Fraction(1, 2)
    assert type(HalfSquaredError()([1.5], [0])) is float


def test_input_requires_grad_false_makes_the_data_constant_inside_a_model():
    def model(requires_grad: bool) -> Sequential:
        return Sequential(Input(requires_grad=requires_grad), Linear(weights=[[2, 3]], bias=False))

    constant = model(False).trace([1, 2], 0, HalfSquaredError())
    assert [v.requires_grad for v in constant.inputs] == [False, False]
    assert [v.requires_grad for v in constant.outputs[0]] == [False, False]  # no δ1 to compute
    constant.loss.backward()
    assert [v.grad for v in constant.inputs] == [0, 0]
    assert [p.grad for p in constant.model.parameters()] == [8, 16]  # the weights still learn
    learning = model(True).trace([1, 2], 0, HalfSquaredError())
    learning.loss.backward()
    assert [v.requires_grad for v in learning.inputs] == [True, True]
    assert [v.grad for v in learning.inputs] == [16, 24]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: article.model()([1, 2]), r"^Linear L2 expects 3 inputs, got 2$"),
        (lambda: Linear(3, 1, seed=0)([1, 2]), r"^Linear\(3 -> 1, bias=True\) expects 3 inputs, got 2$"),
        (lambda: Linear(3, 1, seed=0)(5), r"expects 3 inputs, got a single number \(5\); give a vector of 3"),
        (lambda: Neuron([1, 2])([1]), r"^Neuron\(2 inputs, bias=False\) expects 2 inputs, got 1$"),
    ],
)
def test_a_vector_of_the_wrong_length_names_the_layer(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_a_bare_number_is_a_vector_of_one_for_a_one_input_layer():
    assert [v.data for v in Linear(weights=[[3]], biases=[1])(5)] == [16]


def test_mlp_parameters_zero_grad_and_determinism():
    a = MLP(2, [16, 16, 1], seed=3)
    b = MLP(2, [16, 16, 1], seed=3)
    assert len(a.parameters()) == 16 * 3 + 16 * 17 + 17
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in MLP(2, [16, 16, 1], seed=4).parameters()]
    assert [m.label for m in a] == ["L1", "L2", "L3"]
    assert [m.activation for m in a] == ["relu", "relu", None]
    (score,) = a([0.5, -0.25])
    score.backward()
    assert any(p.grad != 0 for p in a.parameters())
    a.zero_grad()
    assert all(p.grad == 0 for p in a.parameters())


def test_mlp_uses_the_given_rng_sequence():
    rng = random.Random(5)
    bound = math.sqrt(3 / 2)
    first = rng.uniform(-bound, bound)
    assert MLP(2, [4, 1], seed=5).parameters()[0].data == first


def test_sequential_default_labels_and_explicit_labels():
    model = Sequential(Input(), Linear(weights=[1, 1], bias=False, label="dense"), ReLU())
    assert [m.label for m in model] == ["L1", "dense", "L3"]
    trace = model.trace((1, -3))
    assert trace.output[0].data == 0
    assert trace.outputs[1][0].layer == "dense"
    assert len(model) == 3 and model[2].label == "L3"


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Sequential(Input(), "relu"), TypeError, "item 1 is str"),
        (lambda: Layer(2, 2, activation="swish"), ValueError, "unknown activation 'swish'"),
        (lambda: Linear(weights=[[1, 2], 3]), ValueError, "not a mix"),
        (lambda: Linear(weights=[[1, 2], [3]]), ValueError, "same, non-zero length"),
        (lambda: Linear(2), TypeError, "give n_in and n_out"),
        (lambda: Linear(weights=[1, 2], biases=[0], bias=False), ValueError, "bias=False"),
        (lambda: MLP(2, []), ValueError, "non-empty list"),
        (lambda: MLP(0, [1]), ValueError, "positive number of inputs"),
        (lambda: Input()("abc"), TypeError, "vector of numbers"),
        (lambda: Linear(3, 0), ValueError, "Linear's number of outputs n_out must be at least 1, got 0"),
        (lambda: Linear(3, -2), ValueError, "n_out must be at least 1, got -2"),
        (lambda: Layer(3, 0), ValueError, "Layer's number of outputs n_out must be at least 1"),
        (lambda: Linear(0, 2), ValueError, "n_in must be at least 1, got 0"),
        (lambda: Linear(3, 1.5), TypeError, "n_out must be a positive int, got float: 1.5"),
        (lambda: Layer("3", 2), TypeError, "n_in must be a positive int, got str"),
        (lambda: Linear(2, True), TypeError, "n_out must be a positive int, got bool"),
    ],
)
def test_bad_input_raises_clear_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()

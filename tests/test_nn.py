"""Layers, losses and models: exact values, δs, labels and names, deterministic initialisation."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from autodiff import Parameter, Value, grad, hessian, ops
from autodiff.articles import gradient_descent as article
from autodiff.learn import nn
from autodiff.learn.nn import (
    MLP,
    HalfSquaredError,
    Input,
    Layer,
    LeakyReLU,
    Linear,
    MaxMargin,
    Neuron,
    ReLU,
    Sequential,
    Sigmoid,
    Softplus,
    Tanh,
    l2_penalty,
)
from autodiff.learn.optim import SGD
from autodiff.learn.train import fit


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
    assert a.labels == ["L1", "L2", "L3"]
    assert [m.activation for m in a] == ["relu", "relu", None]
    score = a([0.5, -0.25])  # one output: a bare Value
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
    assert model.labels == ["L1", "dense", "L3"]
    trace = model.trace((1, -3))
    assert trace.output[0].data == 0
    assert trace.outputs[1][0].layer == "dense"
    assert len(model) == 3 and model.labels[2] == "L3"


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
        (lambda: MLP(0, [1]), ValueError, "MLP's number of inputs n_in must be at least 1, got 0"),
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


# --- issue 9.11: the common mistakes get errors that say what to write -------------------------


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: MLP(2, 4), TypeError, r"got the number 4; for one layer of 4 outputs write MLP\(2, \[4\]\)"),
        (lambda: MLP(2, "16"), TypeError, "list of layer widths"),
        (lambda: MLP(2, [4, 0]), ValueError, r"sizes\[1\] \(the width of layer 2\) must be at least 1"),
        (lambda: MLP(2, [4, 1.5]), TypeError, r"sizes\[1\] .* must be a positive int, got float"),
        (lambda: MLP(2, [1], seed="0"), TypeError, "seed must be an int"),
        (lambda: MLP(2, [1], activation="swish"), ValueError, "unknown activation 'swish'"),
        (lambda: l2_penalty(MLP(2, [1]), 0.1), TypeError, r"got the MLP itself; pass its parameters: l2_pen"),
        (lambda: l2_penalty(Value(1.0), 0.1), TypeError, "needs a list of parameters"),
        (lambda: l2_penalty([1.0], 0.1), TypeError, "parameter 0 is a float, not a Value"),
        (lambda: l2_penalty([Value(1.0)], "0.1"), TypeError, "coefficient needs a real number"),
        (
            lambda: Value(1, requires_grad="no"),
            TypeError,
            r"requires_grad=...\) must be True or False, got str",
        ),
        (lambda: Value(1).requires_grad_("yes"), TypeError, "must be True or False"),
        (
            lambda: MaxMargin()([Value(0.5)], 0),
            ValueError,
            r"labels \+1 or -1, got 0 \(for labels 0/1 write 2",
        ),
        (lambda: MaxMargin()([Value(0.5)], 2), ValueError, r"labels \+1 or -1, got 2$"),
        (lambda: Sequential(), ValueError, r"at least one layer, e.g. Sequential\(Input\(\)"),
        (lambda: Sequential([]), ValueError, "at least one layer"),
        (lambda: Sequential(Input(), ReLU), TypeError, r"class ReLU as item 1; pass an object: ReLU\(\)"),
        (
            lambda: article.model().trace((1, 2, 3), 0, HalfSquaredError),
            TypeError,
            r"got the class HalfSquaredError; pass a loss object: HalfSquaredError\(\)",
        ),
        (lambda: article.model().trace((1, 2, 3), 0, "mse"), TypeError, "needs a loss such as"),
    ],
)
def test_common_mistakes_are_explained(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_fit_refuses_a_loss_class_before_training():
    model = article.model()
    opt = SGD(model.parameters(), lr=article.LEARNING_RATE)
    before = [p.data for p in model.parameters()]
    with pytest.raises(TypeError, match=r"fit\(\) got the class HalfSquaredError; pass a loss object"):
        fit(model, HalfSquaredError, article.dataset(), opt)
    assert [p.data for p in model.parameters()] == before


def test_mlp_and_layer_refuse_a_float_size_the_same_way():
    # Issue 13.11: one rule, a float where an int goes is a TypeError everywhere.
    for make in (lambda: MLP(2.0, [1]), lambda: Layer(2.0, 1), lambda: Linear(2.0, 1)):
        with pytest.raises(TypeError, match=r"n_in must be a positive int, got float: 2.0"):
            make()
    for make in (lambda: MLP(0, [1]), lambda: Layer(0, 1)):
        with pytest.raises(ValueError, match="n_in must be at least 1, got 0"):
            make()


# --- issue 13.8: activations as objects ---------------------------------------------------------


def test_leaky_relu_activation_object_is_exact_and_uses_the_one_parametrised_primitive():
    registered = dict(ops.PRIMITIVES)
    layer = Layer(weights=[[1, 2]], biases=[0], activation=LeakyReLU(Fraction(1, 10)))
    x = [Value(Fraction(-5)), Value(Fraction(1))]
    (out,) = layer(x)
    assert out.data == Fraction(-3, 10)  # (-5 + 2) · 1/10
    assert out.primitive.base is ops.leaky_relu and out.primitive.params == {"slope": Fraction(1, 10)}
    out.backward()
    assert [v.grad for v in x] == [Fraction(1, 10), Fraction(2, 10)]
    assert registered == ops.PRIMITIVES  # no primitive per slope
    # Two objects with the same slope record the same bound primitive.
    assert LeakyReLU(Fraction(1, 10))(Value(-1))[0].primitive is out.primitive
    assert repr(layer) == "Layer(2 -> 1, bias=True, activation=LeakyReLU(1/10))"


def test_activation_objects_and_names_give_the_same_numbers():
    x = [0.3, -1.7]
    for name, obj in (
        ("relu", ReLU()),
        ("tanh", Tanh()),
        ("sigmoid", Sigmoid()),
        ("softplus", Softplus()),
        ("leaky_relu", LeakyReLU()),
    ):
        by_name = Layer(2, 3, activation=name, seed=1)(x)
        by_object = Layer(2, 3, activation=obj, seed=1)(x)
        assert [v.data for v in by_name] == [v.data for v in by_object]
        assert {v.op for v in by_object} == {name}
    assert Softplus()([Value(0.0)])[0].data == pytest.approx(math.log(2), rel=1e-15)
    assert LeakyReLU()([Value(Fraction(-3))])[0].data == Fraction(-3, 100)  # the default slope is exact 1/100
    model = MLP(2, [3, 1], activation=LeakyReLU(0.2), seed=0)
    assert {v.op for v in model.trace(x).outputs[0]} == {"leaky_relu"}
    assert Sequential(Input(), Linear(weights=[1, 1], bias=False), Softplus())([0, 0])[0].data == math.log(2)


@pytest.mark.parametrize(
    ("activation", "error", "match"),
    [
        (ReLU, TypeError, r"got the class ReLU; pass an object: activation=ReLU\(\)"),
        (5, TypeError, "must be an activation such as ReLU"),
        ("swish", ValueError, "unknown activation 'swish'"),
    ],
)
def test_bad_activations_are_refused(activation, error, match):
    with pytest.raises(error, match=match):
        Layer(2, 2, activation=activation)
    with pytest.raises(error, match=match):
        Neuron([1, 2], activation=activation)


@pytest.mark.parametrize("slope", [math.nan, math.inf])
def test_leaky_relu_refuses_a_slope_that_is_not_finite(slope):
    with pytest.raises(ValueError, match="LeakyReLU's slope must be a finite number"):
        LeakyReLU(slope)
    with pytest.raises(TypeError, match="LeakyReLU's slope needs a real number"):
        LeakyReLU("0.1")


# --- issue 13.9: Sequential leaves its layers alone ---------------------------------------------


def test_sequential_does_not_mutate_the_layers_it_is_given():
    shared = Linear(2, 1, seed=0)
    relu = ReLU()
    first = Sequential(Input(), shared, relu)
    assert shared.label is None and relu.label is None
    assert [p.name for p in shared.parameters()] == [None, None, None]
    first.trace([1.0, 2.0])
    second = Sequential(Input(), Linear(2, 2, seed=1), shared)
    assert shared.label is None and relu.label is None
    names = {id(p): n for n, p in second.named_parameters()}
    assert [names[id(p)] for p in shared.parameters()] == ["w3_1", "w3_2", "b3"]
    trace = second.trace([1.0, 2.0])
    # Drawn in the second model, the shared layer's weights carry the second model's names.
    assert [p.name for p in shared.parameters()] == ["w3_1", "w3_2", "b3"]
    assert trace.outputs[2][0].layer == "L3"
    first.trace([1.0, 2.0])
    assert [p.name for p in shared.parameters()] == ["w2_1", "w2_2", "b2"]


def test_named_parameters_derives_names_and_keeps_given_ones():
    model = MLP(2, [2, 1], seed=0)
    assert [n for n, _ in model.named_parameters()] == [
        "w1_1_1",
        "w1_1_2",
        "b1_1",
        "w1_2_1",
        "w1_2_2",
        "b1_2",
        "w2_1",
        "w2_2",
        "b2",
    ]
    assert [p for _, p in model.named_parameters()] == model.parameters()
    assert all(p.name is None for p in model.parameters())  # asking changes nothing
    alpha = Parameter(3, name="alpha")
    custom = Sequential(Input(), Linear(weights=[alpha, 1], bias=False))
    assert [n for n, _ in custom.named_parameters()] == ["alpha", "w2_2"]
    custom.trace([1, 1])
    assert alpha.name == "alpha"
    assert [n for n, _ in Linear(weights=[[1, 2], [3, 4]], biases=[5, 6]).named_parameters()] == [
        "w_1_1",
        "w_1_2",
        "b_1",
        "w_2_1",
        "w_2_2",
        "b_2",
    ]
    nested = Sequential(Input(), Sequential(Linear(weights=[1], bias=False)))
    assert [n for n, _ in nested.named_parameters()] == ["L2.w1_1"]


def test_forward_builds_no_trace_and_names_nothing(monkeypatch):
    def no_trace(*args, **kwargs):
        raise AssertionError("forward built a Trace")

    monkeypatch.setattr(nn, "Trace", no_trace)
    model = article.model()
    (o3,) = model(article.PATIENTS[2][0])
    assert o3.data == 0 and o3.op == "relu" and o3.layer == "L3"
    assert o3.name is None
    assert o3.parents[0].layer == "L2"


def test_a_trace_derives_names_again_when_the_layers_change():
    model = Sequential(Input(), Linear(weights=[1, 2], bias=False))
    model.trace([1, 1])
    assert [p.name for p in model.parameters()] == ["w2_1", "w2_2"]
    model.layers.insert(1, Linear(weights=[[1, 0], [0, 1]], bias=False))
    model.trace([1, 1])
    assert [p.name for p in model.parameters()] == ["w2_1_1", "w2_1_2", "w2_2_1", "w2_2_2", "w3_1", "w3_2"]


def test_a_trace_names_again_a_parameter_whose_name_was_cleared_or_taken_by_another_model():
    shared = Linear(weights=[1, 2], bias=False)
    first = Sequential(Input(), shared)
    second = Sequential(Input(), Linear(weights=[[1, 0], [0, 1]], bias=False), shared)
    first.trace([1, 1])
    first.trace([1, 1])  # nothing changed: the names stay
    assert [p.name for p in shared.parameters()] == ["w2_1", "w2_2"]
    shared.parameters()[1].name = None
    first.trace([1, 1])
    assert [p.name for p in shared.parameters()] == ["w2_1", "w2_2"]
    second.trace([1, 1])
    assert [p.name for p in shared.parameters()] == ["w3_1", "w3_2"]
    first.trace([1, 1])
    assert [p.name for p in shared.parameters()] == ["w2_1", "w2_2"]
    shared.parameters()[0].name = "mine"
    first.trace([1, 1])
    second.trace([1, 1])
    assert [p.name for p in shared.parameters()] == ["mine", "w3_2"]


def test_a_name_equal_to_anothers_derived_name_is_still_renamed_by_identity():
    shared = Linear(1, 1, bias=False, seed=0)
    first, second = Sequential(shared), Sequential(Input(), shared)
    (p,) = shared.parameters()
    first.trace([1.0])
    p.name = "w2_1"  # the user's own name, equal in text to what `second` derives
    first.trace([1.0])
    assert p.name == "w2_1"
    p.name = None
    second.trace([1.0])
    first.trace([1.0])
    assert p.name == "w1_1"


# --- softmax and cross-entropy (issue 21) -----------------------------------------------------------


def _torch():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return pytest.importorskip("torch")


def test_softmax_of_equal_scores_is_uniform_and_sums_to_one():
    p = nn.softmax([Value(0), Value(0)])
    assert [v.data for v in p] == [0.5, 0.5]
    q = nn.softmax([Value(2.0), Value(-1.0), Value(0.25)])
    assert math.fsum(v.data for v in q) == pytest.approx(1.0, rel=1e-15)
    assert nn.softmax([Value(3.5)])[0].data == 1.0


def test_softmax_does_not_overflow_on_large_scores():
    p = nn.softmax([Value(1000.0), Value(0.0), Value(-1000.0)])
    assert [v.data for v in p] == [1.0, math.exp(-1000.0), 0.0]
    p[0].backward()
    assert all(math.isfinite(v.grad) for v in p[0].parents[0].parents)


@pytest.mark.parametrize("scores", [[1.0, -2.0, 0.5], [0.3, 0.3, -4.0, 2.5], [7.0, -3.0]])
def test_softmax_matches_torch_first_and_second_order(scores):
    torch = _torch()
    weights = [0.7, -1.3, 2.0, 0.1][: len(scores)]
    xs = [Value(s) for s in scores]
    ours = [v.data for v in nn.softmax(xs)]
    t = torch.tensor(scores, dtype=torch.float64, requires_grad=True)
    theirs = torch.softmax(t, 0)
    assert ours == pytest.approx(theirs.tolist(), rel=1e-14, abs=1e-15)

    def objective(*vs):
        return sum(w * p for w, p in zip(weights, nn.softmax(list(vs)), strict=True))

    t_out = (torch.tensor(weights, dtype=torch.float64) * theirs).sum()
    (t_grad,) = torch.autograd.grad(t_out, t, create_graph=True)
    t_hess = [torch.autograd.grad(g, t, retain_graph=True)[0].tolist() for g in t_grad]
    argnums = tuple(range(len(scores)))
    grads = grad(objective, argnums=argnums)(*scores)
    hess = hessian(objective, argnums=argnums)(*scores)
    assert list(grads) == pytest.approx(t_grad.tolist(), rel=1e-12, abs=1e-14)
    for row, t_row in zip(hess, t_hess, strict=True):
        assert list(row) == pytest.approx(t_row, rel=1e-10, abs=1e-13)


def test_softmax_layer_labels_its_outputs_and_refuses_non_numbers():
    model = Sequential(Input(), Linear(weights=[[1, 2], [3, -1]], bias=False), nn.Softmax(label="P"))
    out = model([Value(0.5), Value(-0.5)])
    assert len(out) == 2 and all(v.layer == "P" for v in out)
    assert repr(nn.Softmax()) == "Softmax()"
    with pytest.raises(TypeError, match=r"softmax: entry 1"):
        nn.softmax([Value(1.0), "2"])
    with pytest.raises(ValueError, match="softmax needs at least one value"):
        nn.softmax([])


def test_cross_entropy_of_equal_scores_is_log_n_and_its_delta_is_softmax_minus_one_hot():
    xs = [Value(0.0), Value(0.0), Value(0.0)]
    loss = nn.CrossEntropy()(xs, 2)
    loss.backward()
    assert loss.data == math.log(3) and loss.name == "loss" and loss.layer == "Loss"
    assert [v.grad for v in xs] == [1 / 3, 1 / 3, 1 / 3 - 1]


@pytest.mark.parametrize(
    ("scores", "target"),
    [
        ([1.0, -2.0, 0.5], 2),
        ([1.0, -2.0, 0.5], 0),
        ([0.3, 4.0], [0.25, 0.75]),  # soft labels
        ([2.0, -1.0, 0.0, 1.5], [0.0, 1.0, 0.0, 0.0]),  # a one-hot list
        ([50.0, -60.0, 10.0], 1),  # large scores: no overflow
    ],
)
def test_cross_entropy_matches_torch_first_and_second_order(scores, target):
    torch = _torch()
    F = torch.nn.functional
    t = torch.tensor(scores, dtype=torch.float64, requires_grad=True)
    t_target = (
        torch.tensor([target]) if isinstance(target, int) else torch.tensor([target], dtype=torch.float64)
    )
    t_loss = F.cross_entropy(t[None], t_target)
    (t_grad,) = torch.autograd.grad(t_loss, t, create_graph=True)
    t_hess = [torch.autograd.grad(g, t, retain_graph=True)[0].tolist() for g in t_grad]

    def objective(*vs):
        return nn.CrossEntropy()(list(vs), target)

    argnums = tuple(range(len(scores)))
    assert objective(*[Value(s) for s in scores]).data == pytest.approx(t_loss.item(), rel=1e-14)
    assert list(grad(objective, argnums=argnums)(*scores)) == pytest.approx(
        t_grad.tolist(), rel=1e-12, abs=1e-15
    )
    for row, t_row in zip(hessian(objective, argnums=argnums)(*scores), t_hess, strict=True):
        assert list(row) == pytest.approx(t_row, rel=1e-10, abs=1e-15)


def test_cross_entropy_trains_a_three_class_model():
    # Three points, one per class: a few steps of SGD make each point's class the most likely.
    from autodiff.learn import SGD, fit

    data = [([1.0, 0.0], 0), ([0.0, 1.0], 1), ([-1.0, -1.0], 2)]
    model = MLP(2, [8, 3], seed=1)
    history = fit(model, nn.CrossEntropy(), data, SGD(model.parameters(), lr=0.5), epochs=60)
    assert history.steps[-1] < history.steps[0] / 10
    for x, label in data:
        scores = [v.data for v in model(x)]
        assert scores.index(max(scores)) == label


@pytest.mark.parametrize(
    ("target", "error", "words"),
    [
        (3, ValueError, r"class index 3 is out of range for 3 scores \(0 to 2\)"),
        (-1, ValueError, "class index -1 is out of range"),
        (True, TypeError, "class index"),
        (1.0, TypeError, r"class index \(an int from 0 to 2\) or a list of 3 probabilities, got float"),
        ("1", TypeError, "class index"),
        ([0.5, 0.5], ValueError, "3 scores but 2 target probabilities"),
        ([0.5, -0.5, 1.0], ValueError, "must be >= 0"),
        ([0.5, "x", 0.5], TypeError, "target probability 1"),
    ],
)
def test_cross_entropy_refuses_a_bad_target_by_name(target, error, words):
    xs = [Value(0.5), Value(1.0), Value(-1.0)]
    with pytest.raises(error, match=words):
        nn.CrossEntropy()(xs, target)
    assert all(v.grad == 0 for v in xs)


def test_an_mlp_with_one_output_gives_a_bare_value_as_micrograd():
    # Issue 21: `(model(x) - 1) ** 2` failed on the list of one.
    model = MLP(2, [3, 1], seed=0)
    out = model([0.5, -1.0])
    assert isinstance(out, Value)
    loss = (out - 1) ** 2
    loss.backward()
    assert any(p.grad != 0 for p in model.parameters())
    assert out.data == model.trace([0.5, -1.0]).output[0].data  # trace keeps vectors
    wide = MLP(2, [3, 2], seed=0)([0.5, -1.0])
    assert isinstance(wide, list) and len(wide) == 2


def test_an_mlp_with_one_output_inside_a_sequential_still_passes_a_vector():
    inner = MLP(2, [3, 1], seed=0)
    model = Sequential(Input(), inner, ReLU())
    (out,) = model([0.5, -1.0])
    trace = model.trace([0.5, -1.0], 1.0, HalfSquaredError())
    assert out.data == trace.output[0].data == max(inner([0.5, -1.0]).data, 0)

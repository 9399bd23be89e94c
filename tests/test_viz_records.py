"""viz.records: the walk into plain node/edge records, read-only and deterministic."""

from __future__ import annotations

from fractions import Fraction

import pytest

import autodiff
from autodiff import Value
from autodiff.learn.nn import MLP, MaxMargin
from viz import records
from viz.article import patient
from viz.records import CONSTANT, INPUT, OPERATION, WEIGHT


def _by_name(graph):
    return {n.name: n for n in graph.nodes if n.name is not None}


def test_article_patient3_records_carry_the_learning_flow():
    drawing = patient(3)
    graph = records(drawing.loss, params=drawing.params)
    nodes = _by_name(graph)
    assert graph.nodes[0].id == "n0" and graph.nodes[0].name == "loss"
    assert [n.id for n in graph.nodes] == [f"n{i}" for i in range(len(graph.nodes))]
    assert graph.layers == ("L1", "L2", "L3", "Loss")
    # δ4 = o3 − y = -1, δ3 = δ4 (o2 >= 0), δ2 = δ3 · w2, δ1 = δ2, δw2 = δ3 · o1.
    assert nodes["o3"].grad == -1 and nodes["o2"].grad == -1
    assert [nodes[f"o1_{i}"].grad for i in (1, 2, 3)] == [
        Fraction(-1, 200),
        Fraction(3, 11600),
        Fraction(-1, 5800),
    ]
    assert [nodes[f"x{i}"].grad for i in (1, 2, 3)] == [
        Fraction(-1, 200),
        Fraction(3, 11600),
        Fraction(-1, 5800),
    ]
    assert [nodes[f"w2_{i}"].grad for i in (1, 2, 3)] == [0, -2000, -3000]
    assert {nodes[f"w2_{i}"].kind for i in (1, 2, 3)} == {WEIGHT}
    assert {nodes[f"x{i}"].kind for i in (1, 2, 3)} == {INPUT}
    assert nodes["o2"].kind == OPERATION and nodes["o2"].op == "sum"
    # Weights made outside any layer are drawn in the layer that uses them; inputs stay outside.
    assert nodes["w2_1"].layer == "L2" and nodes["x1"].layer is None
    constants = [n for n in graph.nodes if n.kind == CONSTANT]
    assert sorted(n.data for n in constants) == [1, 2, 2]


def test_edge_contribution_is_delta_out_times_local_derivative():
    drawing = patient(3)
    graph = records(drawing.loss)
    by_id = {n.id: n for n in graph.nodes}
    flowing = [e for e in graph.edges if e.carries_delta]
    assert flowing
    for edge in flowing:
        assert edge.delta_out == by_id[edge.child].grad
        assert edge.contribution == edge.delta_out * edge.local
    # Each node's incoming contributions add up to its δ (one backward pass).
    for node in graph.nodes[1:]:
        if node.kind != CONSTANT:
            assert sum(e.contribution for e in flowing if e.parent == node.id) == node.grad


def test_a_node_used_twice_gets_two_edges():
    a = Value(3, name="a")
    b = a * a
    b.backward()
    graph = records(b)
    assert [(e.parent, e.child, e.index) for e in graph.edges] == [("n1", "n0", 0), ("n1", "n0", 1)]
    assert [e.contribution for e in graph.edges] == [3, 3]
    assert graph.nodes[1].grad == 6


def test_walk_only_reads_the_graph():
    w = Value(Fraction(1, 2), name="w")
    x = Value(4, name="x")
    loss = (w * x - 1) ** 2
    before = [(n.data, n.grad, n.name, n.layer, n.requires_grad) for n in autodiff.topological_order(loss)]
    graph = records(loss, delta_names={loss: "δL"}, names={x: "input x"})
    after = [(n.data, n.grad, n.name, n.layer, n.requires_grad) for n in autodiff.topological_order(loss)]
    assert before == after
    assert all(n.grad == 0 for n in graph.nodes)  # backward was never called by the walk
    assert graph.nodes[0].delta_name == "δL"
    assert x.name == "x" and "input x" in {n.name for n in graph.nodes}


def test_leaf_kinds_come_from_the_graph_not_names():
    w = Value(2, name="weight")
    b = Value(1, name="bias")
    p = autodiff.Parameter(4, name="x_param")
    x = Value(3, name="x")
    c = Value(5, requires_grad=False)
    out = w * x + b + c + p
    default = {n.name: n.kind for n in records(out).nodes if n.op is None}
    # Names do not decide: only Parameters are weights unless params= says otherwise.
    assert default == {"weight": INPUT, "bias": INPUT, "x": INPUT, "x_param": WEIGHT, None: CONSTANT}
    chosen = {n.name: n.kind for n in records(out, params=[w]).nodes if n.op is None}
    assert chosen == {"weight": WEIGHT, "bias": INPUT, "x": INPUT, "x_param": INPUT, None: CONSTANT}


def test_tanh_example_has_no_weight_guessed_from_a_name():
    a, b, c = Value(1, name="a"), Value(2, name="b"), Value(3, name="c")
    kinds = {n.name: n.kind for n in records((a * b + c).tanh()).nodes if n.op is None}
    assert kinds == {"a": INPUT, "b": INPUT, "c": INPUT}


def test_the_library_biases_are_weights_in_their_layer_box():
    model = MLP(2, [2, 1], seed=0)
    trace = model.trace([0.5, -1.0], 1, MaxMargin())
    trace.loss.backward()
    leaves = {n.name: n for n in records(trace.loss).nodes if n.op is None and n.kind != CONSTANT}
    assert {name: n.kind for name, n in leaves.items()} == {
        "x1": INPUT,
        "x2": INPUT,
        "b1_1": WEIGHT,
        "b1_2": WEIGHT,
        "b2": WEIGHT,
        "w1_1_1": WEIGHT,
        "w1_1_2": WEIGHT,
        "w1_2_1": WEIGHT,
        "w1_2_2": WEIGHT,
        "w2_1": WEIGHT,
        "w2_2": WEIGHT,
    }
    assert leaves["b1_2"].layer == "L1" and leaves["b2"].layer == "L2" and leaves["x1"].layer is None
    default = {n.id: n.kind for n in records(trace.loss).nodes}
    assert default == {n.id: n.kind for n in records(trace.loss, params=model.parameters()).nodes}


def test_deep_graph_is_walked_without_recursion():
    x = Value(1, name="x")
    h = x
    for _ in range(3000):
        h = h + 1
    graph = records(h)
    assert len(graph.nodes) == 1 + 3000 * 2


def test_an_undefined_local_derivative_is_recorded_not_raised():
    x = Value(0, name="x")
    y = x.sqrt()
    graph = records(y)
    (edge,) = graph.edges
    assert edge.contribution is None and "ZeroDivisionError" in edge.problem


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"params": Value(1)}, "list of Values"),
        ({"params": [1]}, "must hold Values"),
        ({"delta_names": {"o3": "δ4"}}, "maps Values to str"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(TypeError, match=message):
        records(Value(1) * 2, **kwargs)


def test_records_needs_a_value():
    with pytest.raises(TypeError, match="viz draws a Value, got float"):
        records(1.5)


def test_deltas_of_create_graph_are_shown_as_numbers():
    x = Value(3, name="x")
    y = x * x * x
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    graph = records(y)
    assert {n.name: n.grad for n in graph.nodes}["x"] == 27
    assert all(not isinstance(e.contribution, Value) for e in graph.edges)


def test_columns_follow_the_layers():
    from viz.layout import rank_groups

    drawing = patient(3)
    graph = records(drawing.loss, params=drawing.params, names=drawing.names)
    name = {n.id: n.name or n.op or str(n.data) for n in graph.nodes}
    groups = {
        layer: [[name[i] for i in group] for group in column] for layer, column in rank_groups(graph).items()
    }
    assert groups[None] == [["x1", "x2", "x3"]]
    assert groups["L1"] == [["o1_1", "o1_2", "o1_3"]]
    # Each product w·x sits in one column with its weight beside it; the Σ follows.
    assert groups["L2"] == [["w2_1·o1_1", "w2_1", "w2_2·o1_2", "w2_2", "w2_3·o1_3", "w2_3"], ["o2"]]
    # Constants sit beside the operation that uses them (s1 is the short name of (o3 − y_truth)²).
    assert groups["Loss"] == [["o3 − y_truth", "y_truth"], ["s1", "2"], ["loss", "2"]]

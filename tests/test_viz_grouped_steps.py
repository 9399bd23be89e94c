"""Steps one neuron or one layer at a time (`viz.grouped_steps`, `to_html(per=...)`)."""

from __future__ import annotations

import json
import re
import shutil

import pytest

import viz
from autodiff import Value, topological_order
from autodiff.learn.datasets import make_moons
from autodiff.learn.nn import MLP, HalfSquaredError
from viz.build import step_scene
from viz.grouped_steps import grouped

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def mlp_2441():
    model = MLP(2, [4, 4, 1], seed=0)
    points, labels = make_moons(8, seed=0)
    trace = model.trace(list(points[0]), 1.0 if labels[0] == 1 else -1.0, HalfSquaredError())
    return model, trace


@pytest.mark.parametrize(("per", "deltas", "updates"), [("neuron", 14, 9), ("layer", 6, 3)])
def test_a_2_4_4_1_mlp_has_a_few_dozen_steps(per, deltas, updates):
    model, trace = mlp_2441()
    full = step_scene(trace.loss, lr=0.1, params=model.parameters())
    assert len(full.steps) == 124
    s = grouped(full, per)
    kinds = [st.kind for st in s.steps]
    assert kinds == ["delta"] * deltas + ["update"] * updates
    assert [st.number for st in s.steps] == list(range(1, deltas + updates + 1))
    assert len(s.nodes) == 17  # 9 neurons, 2 inputs, the loss's 3 operations and 3 constants


@pytest.mark.parametrize("per", ["neuron", "layer"])
def test_each_group_comes_after_every_group_that_sends_it_a_delta(per):
    model, trace = mlp_2441()
    s = grouped(step_scene(trace.loss, lr=0.1, params=model.parameters()), per)
    step_of = {n.id: n.step for n in s.nodes}
    for edge in s.edges:
        if edge.step is None:
            continue
        assert edge.step == step_of[edge.child]  # a product is sent at its sender's step
        assert step_of[edge.parent] >= step_of[edge.child]
        if per == "neuron":
            assert step_of[edge.parent] > step_of[edge.child]


def test_each_neuron_box_shows_the_engines_delta_of_its_output():
    model, trace = mlp_2441()
    s = grouped(step_scene(trace.loss, lr=0.1, params=model.parameters()), "neuron")
    trace.loss.backward()
    by_name = {n.name: n for n in s.nodes}
    for outputs in trace.outputs:
        for o in outputs:
            assert by_name[o.name].grad == o.grad
            assert by_name[o.name].kind == "neuron"
    # The step of a neuron says its whole chain rule: δo, δΣ (0 when its ReLU is dead), each δw.
    (step,) = [st for st in s.steps if st.node == by_name["o1_1"].id and st.kind == "delta"]
    assert step.sentence.startswith("neuron o1_1: δo1_1 = ")
    assert "δΣo1_1 = δo1_1 · relu′" in step.sentence and "δw1_1_2 = δΣo1_1 · x2" in step.sentence
    updated = [st for st in s.steps if st.kind == "update" and st.node == by_name["o1_1"].id]
    assert len(updated) == 1 and updated[0].sentence.startswith("neuron o1_1 updated: ŵ1_1_1 = ")


def test_grouping_refuses_what_it_cannot_group():
    a, b = Value(2.0, name="a"), Value(3.0, name="b")
    s = step_scene(a * b + a)
    with pytest.raises(ValueError, match="no neuron"):
        grouped(s, "neuron")
    with pytest.raises(ValueError, match="per must be one of"):
        grouped(s, "weight")
    assert grouped(s, "node") is s


@needs_dot
def test_to_html_per_neuron_makes_the_page_of_the_grouped_steps():
    model, trace = mlp_2441()
    page = viz.to_html(trace.loss, lr=0.1, params=model.parameters(), per="neuron")
    found = re.search(r'<script type="application/json" id="ad-data">(.*?)</script>', page.html, re.S)
    data = json.loads(found[1])
    assert len(data["steps"]) == 23 and data["lastDelta"] == 14
    with pytest.raises(ValueError, match="per='node'"):
        viz.to_html(trace.loss, per="neuron", quiz=True)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_the_moons_model_steps_one_neuron_at_a_time_though_its_graph_has_too_many_nodes():
    # 714 nodes: too many to step node by node, but 36 boxes one per neuron.
    model = MLP(2, [16, 16, 1], seed=0)
    points, labels = make_moons(8, seed=0)
    trace = model.trace(list(points[0]), 1.0 if labels[0] == 1 else -1.0, HalfSquaredError())
    with pytest.raises(ValueError, match="per='neuron'"):
        viz.to_html(trace.loss)
    page = viz.to_html(trace.loss, lr=0.1, params=model.parameters(), per="neuron")
    assert len(topological_order(trace.loss, only_requiring_grad=False)) > 400
    assert len(page.scene.nodes) < 60 and page.html.count("δ") > 33
    with pytest.raises(ValueError, match="boxes, more than max_nodes=10"):
        viz.to_html(trace.loss, per="layer", max_nodes=10)

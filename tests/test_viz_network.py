"""The network view of an MLP: a node per neuron, an arrow per weight, both δs; no .grad written."""

from __future__ import annotations

import math
import re
import shutil
from fractions import Fraction

import pytest

import viz
from autodiff import Value
from autodiff.learn.datasets import make_moons, moons_model
from autodiff.learn.nn import MLP, Layer, Neuron, Sequential
from viz.network import network_dot, network_scene
from viz.readability import read_svg
from viz.style import LIGHT, NEGATIVE, POSITIVE

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def small() -> Sequential:
    """2 inputs, 2 ReLU neurons (the second dead on x = (1, 2)), 1 linear output; exact Fractions."""
    hidden = Layer.__new__(Layer)
    hidden.label, hidden.activation = None, "relu"
    hidden.neurons = [
        Neuron([Fraction(1, 2), Fraction(1, 4)], Fraction(0), activation="relu"),
        Neuron([Fraction(-1), Fraction(-1)], Fraction(0), activation="relu"),
    ]
    out = Layer.__new__(Layer)
    out.label, out.activation = None, None
    out.neurons = [Neuron([Fraction(2), Fraction(3)], Fraction(0))]
    return Sequential(hidden, out)


def test_each_neuron_shows_sigma_output_and_both_deltas_exactly():
    model = small()
    net = network_scene(model, [Fraction(1), Fraction(2)], Fraction(3))
    by_name = {n.name: n for n in net.neurons}
    # Σ1_1 = 1/2 + 2/4 = 1, o1_1 = 1; Σ1_2 = −3, o1_2 = 0 (dead); o2 = 2·1 + 3·0 = 2.
    assert (by_name["o1_1"].total, by_name["o1_1"].out) == (1, 1)
    assert (by_name["o1_2"].total, by_name["o1_2"].out) == (-3, 0)
    o2 = by_name["o2"]
    assert o2.out == 2 and o2.delta_out == o2.delta_total == 2 - 3  # ½(o − y)²: δo = o − y
    # δo1_j = δΣ2 · w2_j: −2 and −3; the dead neuron passes nothing to its weights: δΣ1_2 = 0.
    assert by_name["o1_1"].delta_out == by_name["o1_1"].delta_total == -2
    assert by_name["o1_2"].delta_out == -3 and by_name["o1_2"].delta_total == 0
    assert "a dead ReLU" in by_name["o1_2"].chain[-1]
    assert by_name["o1_1"].chain[0] == "δo1_1 = δΣ2 · w2_1 = (−1)·2 = −2"  # one user: no sum
    # One edge per weight; δw = δΣ · its input.
    dw = {(e.parent, e.child): e.delta for e in net.weights}
    assert len(net.weights) == 6
    assert dw[("c0_1", "c1_1")] == -2 * 1 and dw[("c0_2", "c1_1")] == -2 * 2
    assert dw[("c0_1", "c1_2")] == dw[("c0_2", "c1_2")] == 0
    assert dw[("c1_1", "c2_1")] == -1 * 1 and dw[("c1_2", "c2_1")] == 0
    assert all(p.grad == 0 for p in model.parameters())  # read only


def test_the_dot_colours_arrows_by_the_sign_of_dw_and_widens_them_by_its_size():
    source = network_dot(network_scene(small(), [Fraction(1), Fraction(2)], Fraction(3)))
    arrows = dict(re.findall(r"(c\d_\d -> c\d_\d) \[color=\"(#[0-9a-f]{6})\"", source))
    assert arrows["c0_2 -> c1_1"] == NEGATIVE and arrows["c0_1 -> c1_2"] == LIGHT
    widths = dict(re.findall(r"(c\d_\d -> c\d_\d) \[[^]]*penwidth=([\d.]+)", source))
    assert float(widths["c0_2 -> c1_1"]) > float(widths["c0_1 -> c1_1"]) > float(widths["c0_1 -> c1_2"])
    assert "layout=neato" in source and source.count('class="ad-node ad-neuron"') == 3
    positive = network_dot(network_scene(small(), [Fraction(1), Fraction(2)], Fraction(-3)))
    assert re.search(rf'c0_1 -> c1_1 \[color="{POSITIVE}"', positive)


def test_the_moons_model_has_33_neurons_and_304_weight_arrows():
    model = moons_model(seed=0)
    points, _ = make_moons(8, seed=0)
    source = viz.network(model, list(points[0]), 1.0).source
    assert source.count('class="ad-node ad-neuron"') == 33
    assert source.count('class="ad-weight"') == 304
    # Every δw agrees with backward() on the same point (floats: the same operations, the same order).
    net = network_scene(model, list(points[0]), 1.0)
    from autodiff.learn.nn import HalfSquaredError

    trace = model.trace(list(points[0]), 1.0, HalfSquaredError())
    trace.loss.backward()
    by_name = {e.name: e.delta for e in net.weights}
    for name, p in model.named_parameters():
        if name in by_name:
            assert math.isclose(by_name[name], p.grad, rel_tol=1e-12, abs_tol=1e-15), name


def test_models_it_cannot_draw_are_refused_clearly():
    with pytest.raises(TypeError, match="MLP or a Sequential"):
        viz.network(Value(1), [1], 1)
    with pytest.raises(ValueError, match="more than 64"):
        viz.network(MLP(2, [65, 1]), [1, 2], 1)


@needs_dot
def test_the_moons_network_reads_at_11_px_in_the_column(tmp_path):
    model = moons_model(seed=0)
    points, _ = make_moons(8, seed=0)
    path = viz.network(model, list(points[0]), 1.0, title="moons").render(tmp_path / "net.svg")
    svg = path.read_text()
    reading = read_svg(svg)
    assert reading.smallest_px >= 11 and reading.width_pt < 960
    assert svg.count('class="edge ad&#45;weight"') == 304
    assert "δo = " in svg and 'xlink:title="δo1_1 = Σ_k δΣ2_k · w2_k_1 = ' in svg


def test_the_gallerys_moons_picture_is_the_network_view_and_up_to_date():
    from pathlib import Path

    from viz.gallery import picture_dot

    committed = Path(__file__).resolve().parents[1] / "docs" / "gallery" / "moons-2-16-16-1.dot"
    assert committed.read_text(encoding="utf-8") == picture_dot("moons-2-16-16-1")
    assert picture_dot("moons-2-16-16-1").count('class="ad-weight"') == 304

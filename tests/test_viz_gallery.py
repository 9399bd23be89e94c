"""The gallery's drawings: how many boxes each draws, that `dot` lays each out quickly, and its labels."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from fractions import Fraction

import pytest

import viz
from autodiff import Parameter, Value
from viz.gallery import PICTURES, article_patient, picture_dot

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

DRAWN = {
    "patient1": 20,
    "patient2": 20,
    "patient3": 20,
    "mlp-2-4-4-1": 17,  # 90 nodes: 2 inputs, 9 neurons, the loss's 3 operations and 3 constants
    # the network view: 2 inputs, all 33 neurons (16, 16, 1) and the loss
    "moons-2-16-16-1": 36,
    "focus-one-weight": 24,
}

LABELS = {
    "patient3": [
        "δ2_1 = δ3 · w2_1<BR/>= (−1) · 1/200<BR/>= −1/200",
        "δ3 =<BR/>δ4 · relu′(o2)<BR/>relu′(0) = 1<BR/>= (−1) · 1 = −1",
        "ŵ2_3 = w2_3 − α·δw2_3",
        "= 1/5800 − 10⁻⁷·(−3000)",
        "= 137/290000",
    ],
    "patient1": ["δw2_2 = δ3 · o1_2", "ŵ2_2 = w2_2 − α·δw2_2"],
    "mlp-2-4-4-1": ["Σ w·x + b → relu", "90 nodes, more than the budget of 80: one box per neuron"],
    "moons-2-16-16-1": [
        "layer 1: 16 relu",
        "o2_16 · relu",
        "δΣ = 0",
        "red where δw &lt; 0, blue where δw &gt; 0",
        "δo1_1 = Σ_k δΣ2_k · w2_k_1 = ",
    ],
    "focus-one-weight": [
        "only the paths from the loss to w1_1_1",
        "δw1_1_1 = δΣo1_1 · x1",
        "relu′(−0.8811) = 0",
    ],
}


def _drawn(source: str) -> int:
    return len(re.findall(r'class="ad-node ', source))


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_gallery_drawing_size_and_labels(name):
    source = picture_dot(name)
    assert _drawn(source) == DRAWN[name]
    for label in LABELS.get(name, []):
        assert label in source


@needs_dot
@pytest.mark.parametrize("name", sorted(PICTURES))
def test_dot_lays_each_gallery_drawing_out_in_under_5_s(name, tmp_path):
    source = picture_dot(name)
    start = time.perf_counter()
    subprocess.run(
        ["dot", "-Tsvg", "-o", str(tmp_path / "g.svg")], input=source.encode(), check=True, timeout=30
    )
    assert time.perf_counter() - start < 5


def test_the_update_is_exact_and_shown_on_weights_only():
    picture = article_patient(3, Fraction(1, 10**7))
    graph = viz.records(picture.loss, lr=Fraction(1, 10**7), params=picture.options["params"])
    updates = {n.name: n.update for n in graph.nodes if n.update}
    assert set(updates) == {"w2_1", "w2_2", "w2_3"}
    assert updates["w2_3"] == "ŵ2_3 = w2_3 − α·δw2_3 = 1/5800 − 10⁻⁷·(−3000) = 137/290000"


@pytest.mark.parametrize(
    ("lr", "error"), [("0.1", TypeError), (0, ValueError), (-1, ValueError), (True, TypeError)]
)
def test_a_bad_learning_rate_is_refused(lr, error):
    with pytest.raises(error, match="lr must"):
        viz.to_dot(Value(2, name="x") * 3, lr=lr)


def test_focus_draws_only_the_paths_to_it():
    w, v = Parameter(2, name="w"), Parameter(5, name="v")
    x = Value(3, name="x")
    loss = (w * x + v * x).relu()
    loss.backward()
    source = viz.to_dot(loss, focus=w)
    assert "<B>v</B>" not in source and "<B>w</B>" in source and "<B>x</B>" not in source
    assert "δw = δ(w·x + v·x) · x" in source
    with pytest.raises(ValueError, match=r"focus=.*is not in the graph"):
        viz.to_dot(loss, focus=Value(1))
    with pytest.raises(TypeError, match="focus must be a Value"):
        viz.to_dot(loss, focus="w")


def test_edge_width_grows_with_the_size_of_the_delta():
    a, b = Parameter(1, name="a"), Parameter(1, name="b")
    loss = a * 10 + b * 1
    loss.backward()
    source = viz.to_dot(loss, edge_width=True)
    widths = dict(re.findall(r'id="edge-(n\d+)-n\d+-\d+"[^\]]*penwidth=([\d.]+)', source))
    ids = {n.name: n.id for n in viz.records(loss).nodes}
    assert float(widths[ids["a"]]) > float(widths[ids["b"]])


def test_ids_and_tooltips_name_the_nodes_and_carry_the_sentence():
    picture = article_patient(3)
    source = viz.to_dot(picture.loss, **picture.options)
    assert 'id="node-n0"' in source and 'class="ad-node ad-weight"' in source
    assert re.search(
        r'id="edge-n\d+-n\d+-1"[^\]]*tooltip="δ2_1 = δ3 · w2_1 = \(−1\) · 1/200 = −1/200"', source
    )
    forward = viz.to_dot(picture.loss, view="forward", **picture.options)
    assert 'id="forward-node-n0"' in forward


def test_a_new_view_is_one_class():
    class Quiet(viz.View):
        name = "quiet"

        def node_attrs(self, node, attrs):
            return {**attrs, "class": attrs["class"] + " quiet"}

    source = viz.to_dot(Value(2, name="x") * 3, view=Quiet())
    assert "ad-node ad-input quiet" in source and 'id="quiet-node-n0"' in source


def test_legend_lists_only_what_appears():
    x = Value(2, name="x")
    source = viz.to_dot(x * x)
    assert "weight (learned)" not in source and "constant" not in source and "layer</TD>" not in source
    assert "input" in source and "operation" in source


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("background", ["#ffffff", "#f7f7f2"])  # the page and a layer's box
def test_text_colours_meet_wcag_aa_contrast(background):
    from viz.style import MUTED, NEGATIVE, POSITIVE, ZERO

    for colour in (ZERO, NEGATIVE, POSITIVE, MUTED):
        light, dark = sorted((_luminance(colour), _luminance(background)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, colour


def test_dense_neuron_layers_are_drawn_as_boxes_and_sparse_ones_are_kept():
    from viz.budget import BUNDLE, by_neuron, dense_layers, fit

    moons = PICTURES["moons-2-16-16-1"]()
    graph = viz.records(moons.loss, params=moons.options["params"])
    assert dense_layers(by_neuron(graph)) == [("L1", "L2", 256)]
    drawn = fit(graph, 80)
    kinds = {node.name: node.kind for node in drawn.nodes}
    assert kinds["L1"] == kinds["L2"] == "summary" and kinds["o3"] == "neuron"
    counted = {(e.parent, e.child): e.count for e in drawn.edges if e.count}
    assert counted[("layer0", "layer1")] == 256
    mlp = PICTURES["mlp-2-4-4-1"]()
    small = fit(viz.records(mlp.loss, params=mlp.options["params"]), 80)
    assert BUNDLE >= 16 and all(node.kind != "summary" for node in small.nodes)

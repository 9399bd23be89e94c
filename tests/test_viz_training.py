"""The training page's data: parameters kept per epoch, and every frame computed from them."""

from __future__ import annotations

import json
import math
import re
import shutil

import pytest

from autodiff.learn.datasets import make_moons
from autodiff.learn.nn import MLP, HalfSquaredError, MaxMargin
from autodiff.learn.optim import SGD
from autodiff.learn.train import fit
from viz.plots import boundary_svg, loss_curve_svg
from viz.text import shown
from viz.training import Recorder, _scorer, record_fit, training_page

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def run(epochs: int = 3, batch_size: int = 4):
    points, labels = make_moons(12, seed=1)
    model = MLP(2, [4, 4, 1], seed=1)
    data = list(zip(points, labels, strict=True))
    recorded = record_fit(
        model, MaxMargin(), data, SGD(model.parameters(), lr=0.5), epochs=epochs, batch_size=batch_size
    )
    return model, data, recorded


def test_record_fit_keeps_the_parameters_before_and_after_each_epoch():
    before = [p.data for p in MLP(2, [4, 4, 1], seed=1).parameters()]
    model, _, recorded = run(epochs=3, batch_size=4)  # 3 steps an epoch: the last one's result is kept
    assert [epoch for epoch, _ in recorded.snapshots] == [0, 1, 2, 3]
    assert recorded.snapshots[0][1] == before
    assert recorded.snapshots[-1][1] == [p.data for p in model.parameters()]
    assert len(recorded.history.epochs) == 3 and len(recorded.history.steps) == 9
    # Each snapshot is the parameters after its epoch's last step, so consecutive ones differ.
    assert all(a[1] != b[1] for a, b in zip(recorded.snapshots, recorded.snapshots[1:], strict=False))


def test_the_recorder_passes_on_the_callers_on_step_and_its_stop():
    points, labels = make_moons(8, seed=0)
    model = MLP(2, [3, 1], seed=0)
    seen = []
    recorded = record_fit(
        model,
        HalfSquaredError(),
        list(zip(points, labels, strict=True)),
        SGD(model.parameters(), lr=0.1),
        epochs=5,
        on_step=lambda step: seen.append(step.number) or step.number == 2,
    )
    assert seen == [1, 2] and recorded.history.stopped_early
    assert [epoch for epoch, _ in recorded.snapshots] == [0, 1]


def test_the_plain_scorer_is_the_models_forward_pass():
    model = MLP(2, [5, 3, 1], seed=4)
    score = _scorer(model)
    for x in ([0.3, -1.2], [2.0, 0.5], [-0.7, 0.1]):
        assert math.isclose(score(x), model(x).data, rel_tol=1e-12, abs_tol=1e-12)


def _data(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="ad-data">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found[1])


@needs_dot
def test_each_frame_is_computed_from_its_epochs_parameters():
    model, data, recorded = run()
    page = training_page(recorded, probe=0)
    frames = _data(page.html)["epochs"]
    assert [f["epoch"] for f in frames] == [0, 1, 2, 3] and page.epochs == 4
    assert [p.data for p in model.parameters()] == recorded.snapshots[-1][1]  # restored afterwards
    for frame, (_, values) in zip(frames, recorded.snapshots, strict=True):
        for p, v in zip(model.parameters(), values, strict=True):
            p.data = v
        # The boundary: a cell is "+" exactly where the model's score is > 0 at its centre.
        score = _scorer(model)
        right = sum((score(list(x)) > 0) == (y > 0) for x, y in data)
        assert frame["accuracy"] == f"{right / len(data):.0%}"
        assert len(frame["signs"]) == 32 * 32 and set(frame["signs"]) <= {"+", "-"}
        # The network's weights are this epoch's (4 significant digits), in the model's order.
        weights = [w for layer in model.layers for n in layer.neurons for w in n.weights]
        assert frame["w"] == [float(f"{w.data:.4g}") for w in weights]
    assert frames[0]["loss"] is None  # before training
    assert [f["loss"] for f in frames[1:]] == [shown(float(v)) for v in recorded.history.epochs]
    assert frames[0]["w"] != frames[-1]["w"]


def test_training_page_refuses_a_plain_history():
    points, labels = make_moons(8, seed=0)
    model = MLP(2, [3, 1], seed=0)
    data = list(zip(points, labels, strict=True))
    history = fit(model, HalfSquaredError(), data, SGD(model.parameters(), lr=0.1))
    with pytest.raises(TypeError, match=r"viz\.record_fit"):
        training_page(history)
    recorder = Recorder(model)
    with pytest.raises(ValueError, match="no finished epoch"):
        training_page(recorder.history(history.__class__(), HalfSquaredError(), data))


def test_the_plots_place_their_marks():
    svg, spots = loss_curve_svg([4.0, 2.0, 1.0])
    assert len(spots) == 3 and spots[0][1] < spots[1][1] < spots[2][1]  # a falling loss: lower each epoch
    assert spots[0][0] < spots[1][0] < spots[2][0] and 'id="ad-loss-marker"' in svg
    log, _ = loss_curve_svg([100.0, 1.0])
    assert "(log scale)" in log
    cells = boundary_svg([[0, 0], [1, 1]], [1, -1], (0, 1, 0, 1), "+--+", 2)
    assert re.findall(r'class="c-(pos|neg)"', cells)[:4] == ["pos", "neg", "neg", "pos"]
    with pytest.raises(ValueError, match="need 4 signs"):
        boundary_svg([], [], (0, 1, 0, 1), "+", 2)

"""Watch a network learn: one self-contained page, epoch by epoch, from a recorded `fit`.

    history = viz.record_fit(model, MaxMargin(), data, SGD(model.parameters(), lr=1.0), epochs=50)
    viz.training_page(history).save("out/training.html")

`record_fit` runs `autodiff.learn.train.fit` (any of its options: `batch_size=`, `penalty=`, ...)
and keeps the model's parameters after every epoch (and before the first). The page draws, for the
epoch a slider or the play button chooses, the loss curve with a marker, the decision boundary of
a 2-input model, and the network view (`viz.network`) on one point with that epoch's weights:
Σ, o, δΣ, δo of every neuron and every weight's δw. The network is laid out once by Graphviz; the
page only changes its numbers and colours. No server, no network: style, script and data are inline.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autodiff import Value, no_grad
from autodiff.learn.nn import Sequential
from autodiff.learn.optim import Optimizer
from autodiff.learn.train import History, Step, fit, samples

from . import text
from .graphviz_run import run
from .network import _layers, network_dot, network_scene
from .page import page, save, static
from .plots import boundary_svg, loss_curve_svg
from .style import CURRENT, LIGHT, MUTED, NEGATIVE, POSITIVE, WHITE, ZERO

GRID = 32
"""Cells a side of the decision boundary's grid."""
MAX_FRAMES = 201
"""At most this many epochs are shown (evenly spaced, the first and the last always)."""


@dataclass
class TrainingHistory:
    """A `fit` run kept for drawing: the model, its data and loss, the loss history, and the parameters
    after each epoch (`snapshots[0]` is before training)."""

    model: Sequential
    loss_fn: Callable[[Any, Any], Value]
    data: list[tuple[Any, Any]]
    history: History
    snapshots: list[tuple[int, list[Any]]] = field(default_factory=list)


class Recorder:
    """`on_step` for `fit` / `batch_learning`: keeps the parameters at the end of each epoch."""

    def __init__(self, model: Sequential) -> None:
        if not isinstance(model, Sequential):
            raise TypeError(
                f"Recorder needs the Sequential model (or MLP) being trained, got {type(model).__name__}"
            )
        self.model = model
        self.snapshots: list[tuple[int, list[Any]]] = [(0, [p.data for p in model.parameters()])]

    def on_step(self, step: Step) -> None:
        """Called after each update: the last update of an epoch leaves that epoch's snapshot."""
        now = [p.data for p in self.model.parameters()]
        if self.snapshots[-1][0] == step.epoch:
            self.snapshots[-1] = (step.epoch, now)
        else:
            self.snapshots.append((step.epoch, now))

    def history(
        self, history: History, loss_fn: Callable[[Any, Any], Value], data: Sequence[Any]
    ) -> TrainingHistory:
        """The recorded run, ready for `training_page`."""
        return TrainingHistory(self.model, loss_fn, samples(data), history, list(self.snapshots))


def record_fit(
    model: Sequential,
    loss_fn: Callable[[Any, Any], Value],
    data: Sequence[Any],
    optimizer: Optimizer,
    **options: Any,
) -> TrainingHistory:
    """`autodiff.learn.train.fit(model, loss_fn, data, optimizer, **options)`, keeping the parameters
    after every epoch for `training_page`."""
    recorder = Recorder(model)
    theirs = options.pop("on_step", None)

    def on_step(step: Step) -> bool | None:
        recorder.on_step(step)
        return theirs(step) if theirs is not None else None

    history = fit(model, loss_fn, data, optimizer, on_step=on_step, **options)
    return recorder.history(history, loss_fn, data)


@dataclass(frozen=True)
class TrainingPage:
    """The page as text; written with `save`."""

    html: str
    epochs: int

    def save(self, path: str | Path) -> Path:
        """Write the page to `path` (an .html file; folders are made) and return the path."""
        return save(self.html, path)

    def __str__(self) -> str:
        return self.html


def _set(model: Sequential, values: list[Any]) -> None:
    for p, v in zip(model.parameters(), values, strict=True):
        p.data = v


_PLAIN = {
    "relu": lambda s: s if s > 0 else 0.0,
    None: lambda s: s,
    "tanh": math.tanh,
    "sigmoid": lambda s: 1 / (1 + math.exp(-s)) if s > -700 else 0.0,
}


def _scorer(model: Sequential) -> Callable[[Sequence[float]], float]:
    """The model's first output as plain float arithmetic (for the grid), or its own forward pass."""
    layers = _layers(model)
    acts = [[_act_name(n) for n in layer.neurons] for layer in layers]
    if all(a in _PLAIN for row in acts for a in row):
        # The numbers are read now: the scorer keeps this epoch's weights whatever happens next.
        weights = [
            [
                ([float(w.data) for w in n.weights], 0.0 if n.bias is None else float(n.bias.data))
                for n in layer.neurons
            ]
            for layer in layers
        ]

        def plain(x: Sequence[float]) -> float:
            current = [float(v) for v in x]
            for row, names in zip(weights, acts, strict=True):
                current = [
                    _PLAIN[a](sum(w * v for w, v in zip(ws, current, strict=True)) + b)
                    for (ws, b), a in zip(row, names, strict=True)
                ]
            return current[0]

        return plain

    def slow(x: Sequence[float]) -> float:
        with no_grad():
            out = model(list(x))
            # An MLP with one output gives a bare Value; other models give a list.
            return float((out if isinstance(out, Value) else out[0]).data)

    return slow


def _act_name(neuron: Any) -> str | None:
    act = neuron.activation
    if act is None:
        return None
    return act if isinstance(act, str) else type(act).__name__.lower()


def _frames(snapshots: list[tuple[int, list[Any]]]) -> list[tuple[int, list[Any]]]:
    if len(snapshots) <= MAX_FRAMES:
        return snapshots
    last = len(snapshots) - 1
    keep = sorted({round(i * last / (MAX_FRAMES - 1)) for i in range(MAX_FRAMES)})
    return [snapshots[i] for i in keep]


def _num(x: Any) -> str:
    return text.shown(float(x)) if not isinstance(x, float) else text.shown(x)


def training_page(
    history: TrainingHistory,
    *,
    title: str | None = None,
    probe: int | None = None,
    grid: int = GRID,
) -> TrainingPage:
    """The page of a recorded run: loss curve, decision boundary and network view per epoch, a slider
    and a play button. The network view is of sample number `probe` of the data; by default the one
    with the largest loss after training (a point learned well has δ = 0 everywhere: nothing to see)."""
    if isinstance(history, History):
        raise TypeError(
            "training_page needs the parameters of every epoch, which fit's History does not keep: "
            "train with viz.record_fit(model, loss_fn, data, optimizer, ...) and pass what it returns"
        )
    if not isinstance(history, TrainingHistory):
        raise TypeError(f"training_page needs a viz.record_fit(...) result, got {type(history).__name__}")
    if len(history.snapshots) < 2 or not history.history.epochs:
        raise ValueError("training_page: the run has no finished epoch to show; train for at least one epoch")
    model, data = history.model, history.data
    if probe is None:
        probe = _hardest(history)
    if isinstance(probe, bool) or not isinstance(probe, int) or not 0 <= probe < len(data):
        raise ValueError(f"probe must be the index of a sample, 0 to {len(data) - 1}, got {probe!r}")
    two_d = all(len(list(x)) == 2 for x, _ in data) and len(model.layers[-1].neurons) == 1
    before = [p.data for p in model.parameters()]
    frames = _frames(history.snapshots)
    losses = [float(v) for v in history.history.epochs]
    curve, spots = loss_curve_svg(losses)
    x_probe, y_probe = data[probe]
    if two_d:
        xs = [float(x[0]) for x, _ in data]
        ys = [float(x[1]) for x, _ in data]
        pad = 0.4
        extent = (min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad)
        gx = [extent[0] + (extent[1] - extent[0]) * (i + 0.5) / grid for i in range(grid)]
        gy = [extent[3] - (extent[3] - extent[2]) * (j + 0.5) / grid for j in range(grid)]  # top row first
    epochs_data = []
    svg_network = ""
    try:
        for number, values in frames:
            _set(model, values)
            net = network_scene(model, list(x_probe), y_probe, loss=history.loss_fn)
            if not svg_network:
                svg_network = _network_svg(net)
                neuron_ids = [n.id for n in net.neurons]
                neuron_names = [n.name for n in net.neurons]
                weight_ids = [f"w-{e.parent}-{e.child}" for e in net.weights]
                weight_names = [e.name for e in net.weights]
            frame: dict[str, Any] = {
                "epoch": number,
                "loss": None if number == 0 else _num(losses[number - 1]),
                "marker": list(spots[max(number - 1, 0)]),
                "neurons": [
                    [
                        None if n.total is None else _num(n.total),
                        _num(n.out),
                        None if n.delta_total is None else _num(n.delta_total),
                        None if n.delta_out is None else _num(n.delta_out),
                        " | ".join(n.chain),
                    ]
                    for n in net.neurons
                ],
                "w": [float(f"{float(e.weight):.4g}") for e in net.weights],
                "dw": [float(f"{float(e.delta):.4g}") for e in net.weights],
                "probe_loss": _num(net.loss.value),
            }
            if two_d:
                score = _scorer(model)
                frame["signs"] = "".join("+" if score([x, y]) > 0 else "-" for y in gy for x in gx)
                right = sum((score(list(x)) > 0) == (float(y) > 0) for x, y in data)
                frame["accuracy"] = f"{right / len(data):.0%}"
            epochs_data.append(frame)
    finally:
        _set(model, before)
    boundary = ""
    if two_d:
        labels = [y for _, y in data]
        boundary = boundary_svg([list(x) for x, _ in data], labels, extent, epochs_data[0]["signs"], grid)
    shown_title = title or f"Watch it learn: {len(history.history.epochs)} epochs"
    probe_text = ", ".join(_num(v) for v in x_probe)
    body = _BODY.format(
        title=html.escape(shown_title),
        last=len(epochs_data) - 1,
        curve=curve,
        boundary=f'<figure class="plot">{boundary}</figure>' if boundary else "",
        network=svg_network,
        probe=html.escape(f"({probe_text}), y = {_num(y_probe)}"),
    )
    payload = {
        "epochs": epochs_data,
        "neurons": neuron_ids,
        "names": neuron_names,
        "weights": weight_ids,
        "weightNames": weight_names,
        "colours": {"neg": NEGATIVE, "pos": POSITIVE, "zero": ZERO, "none": LIGHT},
    }
    return TrainingPage(page(shown_title, body, payload, _css(), static("training.js")), len(epochs_data))


def _hardest(history: TrainingHistory) -> int:
    """The index of the sample with the largest loss under the last epoch's weights."""
    model = history.model
    before = [p.data for p in model.parameters()]
    try:
        _set(model, history.snapshots[-1][1])
        with no_grad():
            losses = [float(history.loss_fn(model(list(x)), y).data) for x, y in history.data]
    finally:
        _set(model, before)
    return max(range(len(losses)), key=losses.__getitem__)


def _network_svg(net: Any) -> str:
    svg = run("dot", "svg", network_dot(net), what="the training page's network").decode("utf-8")
    svg = svg[svg.index("<svg") :]
    # The page scales the picture to its column: keep the viewBox, let CSS set the size.
    return re.sub(r'<svg width="[\d.]+pt" height="[\d.]+pt"', '<svg class="ad-network"', svg, count=1)


def _css() -> str:
    return static("training.css") + (
        f".c-pos {{ fill: {POSITIVE}; }}\n"
        f".c-neg {{ fill: {NEGATIVE}; }}\n"
        f".p-key {{ opacity: .22; }}\n"
        f".d-pos {{ fill: {POSITIVE}; stroke: {WHITE}; stroke-width: .8; }}\n"
        f".d-neg {{ fill: {NEGATIVE}; stroke: {WHITE}; stroke-width: .8; }}\n"
        f".p-line {{ fill: none; stroke: {MUTED}; stroke-width: 2; }}\n"
        f".p-marker {{ fill: {CURRENT}; stroke: {WHITE}; stroke-width: 2; }}\n"
        f".p-frame {{ fill: none; stroke: {LIGHT}; }}\n"
        f".p-grid {{ stroke: {LIGHT}; stroke-opacity: .4; }}\n"
        f".p-tick, .p-title {{ fill: {MUTED}; }}\n"
        f".p-title {{ font-weight: bold; }}\n"
        f"button {{ border: 1px solid {MUTED}; background: {WHITE}; }}\n"
        f"#ad-readout {{ color: {MUTED}; }}\n"
    )


_BODY = """<h1>{title}</h1>
<div class="controls">
<button id="ad-play" type="button" aria-label="Play">▶ Play</button>
<input id="ad-epoch" type="range" min="0" max="{last}" value="0" step="1" aria-label="Epoch">
<span id="ad-status" aria-live="polite">epoch 0</span>
</div>
<p id="ad-readout"></p>
<div class="plots">
<figure class="plot">{curve}</figure>
{boundary}
</div>
<h2>The network on one point: x = {probe} <span id="ad-probe-loss"></span></h2>
<p id="ad-chain" class="chain" aria-live="polite">Click (or tap) a neuron for its chain rule, δo written
as the sum over the next layer.</p>
<div class="network">{network}</div>
"""

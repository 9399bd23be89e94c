"""The network view of an MLP: one node per neuron in a column per layer, one arrow per weight.

As TensorFlow Playground draws a network, but with the backward pass on it: each neuron shows its
weighted sum Σ, its activation's output o, and both δs, δΣ (what its weights get: 0 for a dead
ReLU) and δo (what reaches its output); each arrow is one weight, coloured by the sign of δw and
wider as |δw| grows. Every neuron's tooltip says its chain rule, the sum over its users included
(`δo1_3 = Σ_k δΣ2_k · w2_k_3 = ...`).

    net = network_scene(model, x, y)     # plain data: neurons, weights, the loss; no live Value
    network_dot(net)                     # DOT with every node placed (Graphviz keeps the places)
    viz.network(model, x, y)             # a NetworkDrawing: .source, .svg(), .render(path), inline SVG

The builder reads the model's forward pass once and takes its δs from `autodiff.propagate(...,
hooks=False)`: no `.grad` is written, so the model's own gradients stay as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autodiff import Value, propagate
from autodiff.exact import one_like
from autodiff.learn.nn import HalfSquaredError, Layer, Neuron, Sequential

from . import text
from .graphviz_run import DEFAULT_TIMEOUT, run
from .render import dark_friendly
from .style import FONT, KIND, LIGHT, MUTED, sign_colour

MAX_NEURONS = 64
"""More neurons than this in one layer are refused: the column would be taller than anyone reads."""

SIZE = 12
"""Every text of the network view is 12 pt; the drawing is kept under 960 pt wide (11 px at 880 px)."""
TITLE_SIZE = 14
COLUMN_GAP = 2.9  # inches between the centres of two columns (a node is 2.05 wide: 0.85 inch of arrows)
ROW_GAP = 1.02  # inches between the centres of two neurons of a column
NODE_WIDTH = 2.05


@dataclass(frozen=True)
class NeuronNode:
    """One neuron (or input) as drawn: its place, name, Σ, output o and the two δs, and its chain rule."""

    id: str
    column: int
    row: int
    name: str
    kind: str  # "input" or "neuron"
    activation: str | None
    total: Any  # Σ (None for an input)
    out: Any
    delta_total: Any  # δΣ (None for an input)
    delta_out: Any
    chain: tuple[str, ...]  # the tooltip's lines: how δo and δΣ are made


@dataclass(frozen=True)
class WeightEdge:
    """One weight: from neuron `parent` (an input of it) into neuron `child`, its value and δw."""

    parent: str
    child: str
    name: str
    weight: Any
    delta: Any
    sentence: str


@dataclass(frozen=True)
class LossNode:
    """The loss the output neurons feed: its value, the target and the output's δ."""

    id: str
    value: Any
    target: Any
    sentence: str


@dataclass(frozen=True)
class NetworkScene:
    """A whole network on one input: columns of neurons (inputs first), its weights and its loss."""

    columns: tuple[str, ...]  # each column's title
    neurons: tuple[NeuronNode, ...]
    weights: tuple[WeightEdge, ...]
    loss: LossNode
    title: str | None = None

    @property
    def max_delta(self) -> float:
        """The largest |δw|: the widest arrow."""
        return max((abs(float(e.delta)) for e in self.weights), default=0.0)


def _layers(model: Any) -> list[Layer]:
    if not isinstance(model, Sequential):
        raise TypeError(
            f"network view: model must be an MLP or a Sequential of Layers (autodiff.learn.nn), "
            f"got {type(model).__name__}"
        )
    layers = [m for m in model.layers if not _is_input(m)]
    for m in layers:
        if not isinstance(m, Layer):
            raise TypeError(
                f"network view: draws only Layers of Neurons (an MLP); this model has a "
                f"{type(m).__name__}: draw it with viz.draw(loss)"
            )
        if len(m.neurons) > MAX_NEURONS:
            raise ValueError(
                f"network view: a layer of {len(m.neurons)} neurons is more than {MAX_NEURONS} to a column; "
                "draw a smaller model, or the graph with viz.draw(loss)"
            )
    return layers


def _is_input(module: Any) -> bool:
    return type(module).__name__ == "Input"


def _activation_name(neuron: Neuron) -> str | None:
    act = neuron.activation
    if act is None:
        return None
    return act if isinstance(act, str) else type(act).__name__.lower()


def network_scene(
    model: Any,
    x: Sequence[Any],
    y: Any,
    *,
    loss: Any = None,
    title: str | None = None,
) -> NetworkScene:
    """The network view's scene of `model` on input `x` with target `y` (the loss: ½(o − y)² by default).

    Runs one forward pass (`model.trace`) and reads its δs without writing `.grad`.
    """
    layers = _layers(model)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str (the picture's heading) or None, got {type(title).__name__}")
    trace = model.trace(x, y, loss if loss is not None else HalfSquaredError())
    assert trace.loss is not None
    deltas: dict[int, Any] = {
        id(n): d for n, d in propagate(trace.loss, one_like(trace.loss.data), hooks=False)
    }

    def delta(v: Value) -> Any:
        return deltas.get(id(v), 0)

    columns = ["inputs"]
    neurons: list[NeuronNode] = []
    weights: list[WeightEdge] = []
    previous: list[tuple[str, str, Value]] = []  # (id, name, output Value) of the column before
    for j, v in enumerate(trace.inputs):
        node_id = f"c0_{j + 1}"
        name = v.name or f"x{j + 1}"
        neurons.append(NeuronNode(node_id, 0, j, name, "input", None, None, v.data, None, delta(v), ()))
        previous.append((node_id, name, v))
    outputs = [o for o, m in zip(trace.outputs, model.layers, strict=True) if not _is_input(m)]
    for k, (layer_, outs) in enumerate(zip(layers, outputs, strict=True), 1):
        acts = {_activation_name(n) for n in layer_.neurons}
        act = acts.pop() if len(acts) == 1 else None
        last = k == len(layers)
        columns.append(
            f"layer {k}: {len(layer_.neurons)} {act or 'linear'}"
            if not last
            else f"output ({act or 'linear'})"
        )
        current: list[tuple[str, str, Value]] = []
        users = layers[k] if not last else None
        for j, (neuron, o) in enumerate(zip(layer_.neurons, outs, strict=True), 1):
            node_id = f"c{k}_{j}"
            activation = _activation_name(neuron)
            total = o.parents[0] if activation is not None else o
            name = o.name or f"o{k}_{j}"
            sigma = f"Σ{name[1:]}" if name.startswith("o") else f"Σ({name})"
            chain = _neuron_chain(
                name, sigma, o, total, activation, delta, users, k, j, outputs[k] if users else None
            )
            neurons.append(
                NeuronNode(
                    node_id, k, j - 1, name, "neuron", activation, total.data, o.data,
                    delta(total), delta(o), chain,
                )
            )  # fmt: skip
            for i, (w, (parent_id, parent_name, parent_v)) in enumerate(
                zip(neuron.weights, previous, strict=True), 1
            ):
                dw = delta(w)
                wname = w.name or f"w{k}_{j}_{i}"
                said = (
                    f"{wname} = {text.shown(w.data)}; δ{wname} = δ{sigma} · {parent_name} = "
                    f"{text.factor(delta(total))} · {text.factor(parent_v.data)} = {text.shown(dw)}"
                )
                weights.append(WeightEdge(parent_id, node_id, wname, w.data, dw, said))
            current.append((node_id, name, o))
        previous = current
    out = trace.output
    loss_sentence = f"loss = {text.shown(trace.loss.data)} (target y = {text.shown(y)}); " + "; ".join(
        f"δ{o.name} = {text.shown(delta(o))}" for o in out
    )
    loss_node = LossNode("loss", trace.loss.data, y, loss_sentence)
    return NetworkScene(tuple(columns), tuple(neurons), tuple(weights), loss_node, title)


def _neuron_chain(
    name: str,
    sigma: str,
    o: Value,
    total: Value,
    activation: str | None,
    delta: Any,
    users: Layer | None,
    k: int,
    j: int,
    user_outputs: list[Value] | None,
) -> tuple[str, ...]:
    lines = []
    if users is None or user_outputs is None:
        lines.append(f"δ{name} = {text.shown(delta(o))} (from the loss)")
    else:
        terms = []
        for user, user_o in zip(users.neurons, user_outputs, strict=True):
            user_total = user_o.parents[0] if _activation_name(user) is not None else user_o
            terms.append(f"{text.factor(delta(user_total))}·{text.factor(user.weights[j - 1].data)}")
        # One user (the output neuron): no sum to write, its one weight by name.
        form = (
            f"δΣ{k + 1} · {users.neurons[0].weights[j - 1].name or f'w{k + 1}_{j}'}"
            if len(terms) == 1
            else f"Σ_k δΣ{k + 1}_k · w{k + 1}_k_{j}"
        )
        lines.append(
            f"δ{name} = {form} = "
            + (" + ".join(terms) if len(terms) <= 4 else " + ".join(terms[:3]) + f" + … ({len(terms)} terms)")
            + f" = {text.shown(delta(o))}"
        )
    if activation is None:
        lines.append(f"δ{sigma} = δ{name} = {text.shown(delta(total))} (no activation)")
    else:
        assert o.primitive is not None
        local = o.primitive.local_derivative(0, [total.data], o.data)
        dead = " (a dead ReLU: nothing reaches its weights)" if local == 0 and activation == "relu" else ""
        lines.append(
            f"δ{sigma} = δ{name} · {activation}′({sigma}) = {text.factor(delta(o))} · "
            f"{text.factor(local)} = {text.shown(delta(total))}{dead}"
        )
    return tuple(lines)


# --- DOT ----------------------------------------------------------------------------------------


def _row(content: str, colour: str | None = None, bold: bool = False, size: int = SIZE) -> str:
    shown = text.html(content)
    if bold:
        shown = f"<B>{shown}</B>"
    colour_attr = f' COLOR="{colour}"' if colour else ""
    return f'<TR><TD><FONT POINT-SIZE="{size}"{colour_attr}>{shown}</FONT></TD></TR>'


def _table(rows: list[str]) -> str:
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(rows)}</TABLE>>'


def _neuron_label(n: NeuronNode) -> str:
    if n.kind == "input":
        rows = [_row(n.name, bold=True), _row(f"= {text.shown(n.out)}")]
        if n.delta_out is not None:
            rows.append(_row(f"δ{n.name} = {text.shown(n.delta_out)}", sign_colour(n.delta_out)))
        return _table(rows)
    head = f"{n.name} · {n.activation}" if n.activation else n.name
    return _table(
        [
            _row(head, bold=True),
            _row(f"Σ {text.shown(n.total)} → o {text.shown(n.out)}"),
            _row(f"δΣ = {text.shown(n.delta_total)}", sign_colour(n.delta_total)),
            _row(f"δo = {text.shown(n.delta_out)}", sign_colour(n.delta_out)),
        ]
    )


def _pos(column: int, row: float, rows: int, tallest: int) -> str:
    # Columns are centred on the tallest one; y grows upwards in Graphviz, so row 0 is on top.
    top = (tallest - 1) * ROW_GAP
    y = top - (row + (tallest - rows) / 2) * ROW_GAP
    return f"{column * COLUMN_GAP:.3f},{y:.3f}!"


def _width(delta: Any, largest: float) -> str:
    if largest == 0:
        return "0.6"
    return f"{0.6 + 3.4 * abs(float(delta)) / largest:.2f}"


LEGEND = (
    "Each arrow is one weight: red where δw < 0, blue where δw > 0, grey where δw = 0; wider as |δw| grows.",
    "Each neuron: Σ its weighted sum, o its output; δΣ what its weights get (0 for a dead ReLU), "
    "δo what reaches its output.",
    "Hover a neuron for its chain rule (δo as a sum over the next layer), an arrow for its δw.",
)


def network_dot(net: NetworkScene) -> str:
    """DOT of the network view, every node placed (`layout=neato`, pinned), so `dot -Tsvg` draws it as is."""
    per_column: dict[int, int] = {}
    for n in net.neurons:
        per_column[n.column] = per_column.get(n.column, 0) + 1
    tallest = max(per_column.values())
    top = (tallest - 1) * ROW_GAP
    lines = [
        "digraph network {",
        '  graph [layout=neato, splines=line, outputorder=edgesfirst, bgcolor="white", '
        f'pad="0.2", fontname="{FONT}"];',
        f'  node [shape=box, style="rounded,filled", fontname="{FONT}", fontsize={SIZE}, '
        f'width={NODE_WIDTH}, fixedsize=false, margin="0.06,0.03"];',
        f'  edge [arrowhead=none, fontname="{FONT}"];',
    ]
    if net.title:
        label = _table([_row(net.title, None, True, TITLE_SIZE)])
        lines.append(
            f'  title [shape=plaintext, style="", label={label}, '
            f'pos="{(len(net.columns) - 1) * COLUMN_GAP / 2:.3f},{top + 1.25:.3f}!", class="ad-title"];'
        )
    for c, heading in enumerate(net.columns):
        label = _table([_row(heading, MUTED, True, TITLE_SIZE)])
        lines.append(
            f'  head{c} [shape=plaintext, style="", label={label}, '
            f'pos="{c * COLUMN_GAP:.3f},{top + 0.7:.3f}!", class="ad-heading"];'
        )
    for n in net.neurons:
        colours = KIND["input" if n.kind == "input" else "operation"]
        tip = text.attr(" | ".join(n.chain) if n.chain else f"{n.name} = {text.shown(n.out)}")
        place = _pos(n.column, n.row, per_column[n.column], tallest)
        lines.append(
            f'  {n.id} [label={_neuron_label(n)}, pos="{place}", '
            f'fillcolor="{colours["fillcolor"]}", color="{colours["color"]}", penwidth=1.3, '
            f'tooltip="{tip}", id="{n.id}", class="ad-node ad-{n.kind}"];'
        )
    largest = net.max_delta
    for e in net.weights:
        # A weight that gets no δ (behind a dead ReLU) is drawn thin and light: nothing flows there.
        colour = sign_colour(e.delta) if e.delta != 0 else LIGHT
        width = _width(e.delta, largest) if e.delta != 0 else "0.5"
        lines.append(
            f'  {e.parent} -> {e.child} [color="{colour}", penwidth={width}, '
            f'tooltip="{text.attr(e.sentence)}", id="w-{e.parent}-{e.child}", class="ad-weight"];'
        )
    last = max(per_column)
    outputs = [n for n in net.neurons if n.column == last]
    below = min(float(_pos(last, n.row, per_column[last], tallest).split(",")[1][:-1]) for n in outputs)
    loss_label = _table(
        [
            _row("loss", bold=True),
            _row(f"= {text.shown(net.loss.value)}"),
            _row(f"y = {text.shown(net.loss.target)}", MUTED),
        ]
    )
    lines.append(
        f'  {net.loss.id} [label={loss_label}, pos="{last * COLUMN_GAP:.3f},{below - 1.3:.3f}!", '
        f'fillcolor="{KIND["constant"]["fillcolor"]}", color="{LIGHT}", width=1.2, '
        f'tooltip="{text.attr(net.loss.sentence)}", id="loss", class="ad-node ad-loss"];'
    )
    for n in outputs:
        lines.append(f'  {n.id} -> {net.loss.id} [color="{MUTED}", penwidth=1.2, arrowhead=normal];')
    legend_rows = "".join(_row(line, MUTED) for line in LEGEND)
    bottom = -1.0 if tallest > 3 else below - 2.4
    lines.append(
        f'  legend [shape=plaintext, style="", label=<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">'
        f'{legend_rows}</TABLE>>, pos="{(len(net.columns) - 1) * COLUMN_GAP / 2:.3f},{bottom:.3f}!", '
        f'class="ad-legend"];'
    )
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- the public drawing --------------------------------------------------------------------------


class NetworkDrawing:
    """The network view: `.scene`, its DOT `.source`, `.svg()`, `.render(path)`; shown inline in Jupyter."""

    def __init__(self, scene: NetworkScene, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.scene = scene
        self.source = network_dot(scene)
        self.timeout = timeout

    def svg(self) -> str:
        """The drawing as SVG text (runs Graphviz)."""
        return dark_friendly(run("dot", "svg", self.source, timeout=self.timeout).decode("utf-8"))

    def render(self, path: str | Path) -> Path:
        """Write `path` (.svg, .png, .pdf or .dot), the DOT source next to it; return `path`."""
        from .render import write

        out = Path(path)
        if out.suffix.lower() not in (".svg", ".png", ".pdf", ".dot"):
            raise ValueError(f"render: the file must end in .svg, .png, .pdf or .dot, got {out.name!r}")
        return write(self.source, out, timeout=self.timeout)

    def _repr_svg_(self) -> str:
        return self.svg()


def network(
    model: Any,
    x: Sequence[Any],
    y: Any,
    *,
    loss: Any = None,
    title: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> NetworkDrawing:
    """The network view of `model` (an MLP) on input `x` with target `y`: neurons, weights, both δs.

    `loss` is called as `loss(output, y)` (default `HalfSquaredError()`, ½(o − y)²). Reads only:
    no `.grad` is written. Text is 12 pt and the drawing stays under 960 pt wide for four columns,
    so it reads at 11 px or more in an 880 px column.
    """
    return NetworkDrawing(network_scene(model, x, y, loss=loss, title=title), timeout)

"""The articles' tables, produced from a model's forward passes: compare them line by line.

    traces = run(model, data, HalfSquaredError())
    print(forward_table(traces))   # x | o1 = L1(x) | o2 = L2(o1) | o3 = L3(o2)
    print(loss_table(traces))      # o3 = model(x) | result | y | loss = Loss(o3, y) | correct ?
    print(backward_table(traces))  # x | δ4 | δ3 | δ2 | δw2 | δ1

`style="markdown"` (the default) gives Markdown tables; `style="text"` aligned columns for a
terminal. Exact numbers print as fractions (`-3/11600`); floats with `digits` significant digits.
δk is the δ of the input of layer k (the Loss is layer n + 1), δwk the δ of layer k's parameters.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from .. import ops
from ..backward import propagate
from ..exact import format_number
from ..learn.nn import Sequential, Trace, check_loss
from ..learn.train import samples
from ..value import Value

STYLES = ("markdown", "text")


def format_cell(x: Any, digits: int = 4) -> str:
    """One number as text: ints and Fractions exactly (`1/200`), floats to `digits` significant digits."""
    x = ops.data(x)
    if isinstance(x, numbers.Rational):
        return format_number(x)
    if isinstance(x, numbers.Real):
        text = f"{float(x):.{digits}g}"
        return "0" if text in ("0", "-0") else text
    return str(x)


def format_vector(values: Sequence[Any], digits: int = 4) -> str:
    """A vector as the articles write it: `(100, 2000, 100)`, `(0)` for a single entry."""
    return "(" + ", ".join(format_cell(v, digits) for v in values) + ")"


def render(headers: Sequence[str], rows: Sequence[Sequence[str]], style: str = "markdown") -> str:
    """A table from header and row strings: Markdown (centred columns) or aligned plain text."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, got {style!r}")
    for i, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(f"row {i} has {len(row)} cells but there are {len(headers)} headers")
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=True)]
    if style == "markdown":
        widths = [max(w, 5) for w in widths]

        def line(cells: Sequence[str]) -> str:
            return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

        rule = "| " + " | ".join(":" + "-" * (w - 2) + ":" for w in widths) + " |"
        return "\n".join([line(headers), rule, *(line(r) for r in rows)])

    def text_line(cells: Sequence[str]) -> str:
        return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([text_line(headers), rule, *(text_line(r) for r in rows)])


def run(
    model: Sequential, data: Sequence[tuple[Any, Any]], loss_fn: Callable[..., Value] | None = None
) -> list[Trace]:
    """A forward pass of `model` on every (data input, data output) pair, with the loss if given."""
    if not isinstance(model, Sequential):
        raise TypeError(f"tables need a Sequential model (or MLP), got {type(model).__name__}")
    if loss_fn is not None:
        check_loss(loss_fn, "tables.run()")
    return [model.trace(x, y, loss_fn) for x, y in samples(data)]


def _check(traces: Sequence[Trace]) -> Sequential:
    if not traces:
        raise ValueError("no forward passes to show; give at least one (use tables.run(model, data))")
    for t in traces:
        if not isinstance(t, Trace):
            raise TypeError(
                f"expected Trace objects (from tables.run or model.trace), got {type(t).__name__}"
            )
    return traces[0].model


def forward_table(traces: Sequence[Trace], *, style: str = "markdown", digits: int = 4) -> str:
    """`x | o1 = L1(x) | o2 = L2(o1) | ...`: every layer's output for every data input."""
    model = _check(traces)
    headers = ["x"]
    previous = "x"
    for k, box in enumerate(model.labels, 1):
        headers.append(f"o{k} = {box}({previous})")
        previous = f"o{k}"
    rows = [[format_vector(t.inputs, digits), *(format_vector(o, digits) for o in t.outputs)] for t in traces]
    return render(headers, rows, style)


def loss_table(
    traces: Sequence[Trace], *, threshold: Any = Fraction(1, 2), style: str = "markdown", digits: int = 4
) -> str:
    """`o = model(x) | result | y | loss | correct ?`: result is 1 where o >= threshold, else 0."""
    model = _check(traces)
    n = len(model.layers)
    headers = [f"o{n} = model(x)", "result", "y", f"loss = Loss(o{n}, y)", "correct ?"]
    rows = []
    for t in traces:
        if t.loss is None:
            raise ValueError("loss_table needs forward passes with a loss: tables.run(model, data, loss_fn)")
        result = [1 if v.data >= threshold else 0 for v in t.output]
        expected = list(t.y) if isinstance(t.y, Sequence) else [t.y]
        correct = len(result) == len(expected) and all(r == y for r, y in zip(result, expected, strict=False))
        rows.append(
            [
                format_vector(t.output, digits),
                format_vector(result, digits),
                format_vector(expected, digits),
                format_vector([t.loss], digits),
                "yes" if correct else "no",
            ]
        )
    return render(headers, rows, style)


def deltas(trace: Trace, share: Any = 1) -> dict[int, Any]:
    """δ of every node of `trace`'s graph for the loss `share · loss` (keyed by id), .grad untouched."""
    if trace.loss is None:
        raise ValueError("this forward pass has no loss; make it with model.trace(x, y, loss_fn)")
    return {id(node): delta for node, delta in propagate(trace.loss, share, hooks=False)}


def backward_table(
    traces: Sequence[Trace], *, share: Any = 1, style: str = "markdown", digits: int = 4
) -> str:
    """`x | δ4 | δ3 | δ2 | δw2 | δ1`: the learning flow of each data input's loss (times `share`).

    For a batch of n, `share=Fraction(1, n)` gives each sample's δs in `Loss_avg = Σ loss_i / n`.
    The weights' δs are each sample's own (their sum over a batch is what the update uses).
    Call it before the weights are updated: the local derivatives read the weights' current numbers.
    """
    model = _check(traces)
    n = len(model.layers)
    headers = ["x"]
    for k in range(n + 1, 0, -1):
        headers.append(f"δ{k}")
        if k <= n and model.layers[k - 1].parameters():
            headers.append(f"δw{k}")
    rows = []
    for t in traces:
        flow = deltas(t, share)

        def delta(v: Value, flow: dict[int, Any] = flow) -> Any:
            return flow.get(id(v), 0)

        row = [format_vector(t.inputs, digits)]
        for k in range(n + 1, 0, -1):
            layer_input = t.outputs[k - 2] if k >= 2 else t.inputs
            row.append(format_vector([delta(v) for v in layer_input], digits))
            if k <= n and model.layers[k - 1].parameters():
                row.append(format_vector([delta(p) for p in model.layers[k - 1].parameters()], digits))
        rows.append(row)
    return render(headers, rows, style)


def update_table(
    params: Sequence[Value] | Sequence[tuple[str, Value]],
    before: Sequence[Any],
    lr: Any,
    *,
    style: str = "markdown",
    digits: int = 4,
) -> str:
    """`weight | w | δw | ŵ = w − α·δw`: each parameter's update (δw is its summed `.grad`).

    `params` are Values (shown by their names) or `(name, Value)` pairs such as
    `model.named_parameters()`.
    """
    if len(params) != len(before):
        raise ValueError(f"{len(params)} parameters but {len(before)} values from before the update")
    named: list[tuple[str, Value]] = []
    for i, item in enumerate(params, 1):
        if isinstance(item, tuple):
            named.append(item)
        elif isinstance(item, Value):
            named.append((item.name or f"p{i}", item))
        else:
            raise TypeError(
                f"update_table: params[{i - 1}] must be a Value or a (name, Value) pair, got {item!r}"
            )
    headers = ["weight", "w", "δw", f"ŵ = w − {format_cell(lr, digits)}·δw"]
    rows = [
        [name, format_cell(b, digits), format_cell(p.grad, digits), format_cell(p.data, digits)]
        for (name, p), b in zip(named, before, strict=True)
    ]
    return render(headers, rows, style)


def article_tables(
    model: Sequential,
    loss_fn: Callable[..., Value],
    data: Sequence[tuple[Any, Any]],
    *,
    threshold: Any = Fraction(1, 2),
    style: str = "markdown",
    digits: int = 4,
) -> str:
    """The forward, loss and backward tables of `model` on `data`, one after the other."""
    traces = run(model, data, loss_fn)
    return "\n\n".join(
        [
            forward_table(traces, style=style, digits=digits),
            loss_table(traces, threshold=threshold, style=style, digits=digits),
            backward_table(traces, style=style, digits=digits),
        ]
    )

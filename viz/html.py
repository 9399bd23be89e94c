"""One self-contained HTML page to step through the backward pass: the SVG, buttons, a slider, keys.

Everything is inline (the SVG, `static/steps.css`, `static/steps.js`): the page opens from file://
with no network. Hovering a node shows its chain-rule sentence and lights every path from it to the
loss; clicking a weight shows its update (when `lr` is given).
"""

from __future__ import annotations

import html as _html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from autodiff import Value

from .frames import MAX_NODES, Scene, frame_svg, layout, scene
from .steps import DELTA, num


@dataclass(frozen=True)
class StepPage:
    """The page as text; shown inline in Jupyter, written with `save`."""

    html: str
    scene: Scene

    def save(self, path: str | Path) -> Path:
        """Write the page to `path` (an .html file; folders are made) and return the path."""
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"the page is HTML: end the file name with .html, got {str(path)!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        # An iframe keeps the page's ids, style and keys apart from the notebook's own.
        return (
            f'<iframe srcdoc="{_html.escape(self.html, quote=True)}" '
            'style="width:100%;height:720px;border:1px solid #ddd" '
            'title="Step through the backward pass"></iframe>'
        )

    def __str__(self) -> str:
        return self.html


def to_html(
    loss: Value,
    *,
    lr: Any = None,
    params: Iterable[Value] | None = None,
    names: Mapping[Value, str] | None = None,
    delta_names: Mapping[Value, str] | None = None,
    title: str | None = None,
    max_nodes: int | None = MAX_NODES,
    quiz: bool = False,
) -> StepPage:
    """The page that steps through `loss`'s backward pass (and, with `lr`, the weight updates).

    With `quiz=True` each δ is asked before it is shown, and checked exactly (see `viz.quiz`).
    """
    s = scene(
        loss, lr=lr, params=params, names=names, delta_names=delta_names, title=title, max_nodes=max_nodes
    )
    if quiz:
        from .quiz import add_quiz  # the quiz builds on this page

        return add_quiz(page(s), loss, delta_names=delta_names, lr=lr)
    return page(s)


def page(s: Scene) -> StepPage:
    """The page of a Scene (see `viz.frames.scene`)."""
    where = layout(s, "LR")
    last = len(s.steps)
    svg = _inline(frame_svg(s, where, last, highlight=False))
    data = {
        "lastDelta": s.last_delta_step,
        "steps": [
            {"n": st.number, "kind": st.kind, "node": _node_id(s, st), "caption": c}
            for st, c in zip(s.steps, s.captions, strict=True)
        ],
        "nodes": {
            n.id: {
                "kind": n.kind,
                "step": n.step,
                "delta": None if n.step is None else f"{n.delta_symbol} = {num(n.delta)}",
                "pending": None if n.step is None else f"{n.delta_symbol} = ?",
                "sentence": n.sentence,
                "path": list(n.path),
                "value": n.value_row,
                "update": n.update,
                "updateStep": n.update_step,
                "newValue": n.new_value_row,
            }
            for n in s.nodes
        },
        "edges": {
            e.id: {"parent": e.parent, "child": e.child, "step": e.step, "sentence": e.sentence}
            for e in s.edges
        },
    }
    title = s.title or "Step through the backward pass"
    has_updates = any(st.kind != DELTA for st in s.steps)
    hint = "Hover (or tap) a node for its chain rule and its paths to the loss"
    hint += "; click a weight for its update." if has_updates else "."
    # `</` inside JSON would end the script element early.
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    out = _TEMPLATE.format(
        title=_html.escape(title),
        css=_static("steps.css"),
        js=_static("steps.js"),
        svg=svg,
        data=payload,
        last=last,
        hint=_html.escape(hint),
    )
    return StepPage(out, s)


def _node_id(s: Scene, step: Any) -> str:
    for n in s.nodes:
        if step.number in (n.step, n.update_step):
            return n.id
    raise AssertionError(f"step {step.number} has no node")


def _static(name: str) -> str:
    return resources.files("viz").joinpath("static", name).read_text(encoding="utf-8")


def _inline(svg: str) -> str:
    """The SVG element alone (no XML prolog, doctype or comments), sized by the page's style."""
    start = svg.index("<svg")
    svg = re.sub(r"<!--.*?-->", "", svg[start:], flags=re.S)
    match = re.search(r'viewBox="([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)"', svg)
    width = float(match.group(3)) if match else 800.0
    # Drawn at 0.9 px per pt (13 pt text ≈ 12 px) and scrolled sideways when wider than the screen.
    return re.sub(
        r'<svg width="[^"]*" height="[^"]*"',
        f'<svg id="ad-svg" role="img" aria-label="the graph" style="width:{width * 0.9:.0f}px"',
        svg,
        count=1,
    )


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{css}</style>
</head>
<body>
<main>
<h1>{title}</h1>
<div class="head">
<div class="bar">
<button type="button" id="ad-prev" aria-label="previous step">&#9664; Prev</button>
<input type="range" id="ad-slider" min="1" max="{last}" value="1" aria-label="step">
<button type="button" id="ad-next" aria-label="next step">Next &#9654;</button>
<label class="fit"><input type="checkbox" id="ad-fit"> fit width</label>
</div>
<p id="ad-status" class="status" aria-live="polite"></p>
<p id="ad-sentence" class="sentence"></p>
<p id="ad-hover" class="hover">{hint}</p>
</div>
<div id="ad-graph" class="graph">
{svg}
</div>
<p class="keys">Keys: &larr; and &rarr; step back and forth, Home and End jump.</p>
</main>
<script type="application/json" id="ad-data">{data}</script>
<script>
{js}</script>
</body>
</html>
"""

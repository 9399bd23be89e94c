"""One self-contained HTML page to step through the backward pass: the SVG, buttons, a slider, keys.

Everything is inline (the SVG, `static/steps.css`, `static/steps.js`): the page opens from file://
with no network. Hovering a node shows its chain-rule sentence and lights every path from it to the
loss; clicking a weight shows its update (when `lr` is given).
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autodiff import Value

from .dot import direction
from .frames import MAX_NODES, frame_svg, layout, new_value_row, scene, value_row
from .marks import Marks
from .names import edge_element, node_element
from .page import page as shell
from .page import save, static
from .readability import PAGE_PX_PER_PT
from .scene import CONSTANT, INPUT, OPERATION, WEIGHT, Node, Scene
from .steps import DELTA, num
from .style import BLANK, css


@dataclass(frozen=True)
class StepPage:
    """The page as text; shown inline in Jupyter, written with `save`."""

    html: str
    scene: Scene

    def save(self, path: str | Path) -> Path:
        """Write the page to `path` (an .html file; folders are made) and return the path."""
        return save(self.html, path)

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
    marks: Marks | None = None,
    quiz: bool = False,
    per: str = "node",
) -> StepPage:
    """The page that steps through `loss`'s backward pass (and, with `lr`, the weight updates).

    `marks` maps nodes (Values, or their shown names) to marks (`viz.marks`), e.g. {o2: ["wrong"]}:
    the page draws them with the theme's looks, and a "blank" δ stays `δ = ?` at every step.
    With `quiz=True` each δ is asked before it is shown, and checked exactly (see `viz.quiz`).
    `per="neuron"` makes one step per neuron (one box each) and `per="layer"` one per layer, for real
    models (see `viz.grouped_steps`); the default `per="node"` is the engine's own steps.
    """
    from .grouped_steps import check_per, grouped

    if check_per(per) != "node" and quiz:
        raise ValueError("quiz=True asks each node's δ in turn: it needs per='node'")
    s = scene(
        loss,
        lr=lr,
        params=params,
        names=names,
        delta_names=delta_names,
        title=title,
        # Grouped, the reader follows boxes, not nodes: the limit applies to the boxes drawn.
        max_nodes=max_nodes if per == "node" else None,
        marks=marks,
    )
    s = grouped(s, per)
    if per != "node" and max_nodes is not None and len(s.nodes) > max_nodes:
        raise ValueError(
            f"one box per {per} still makes {len(s.nodes)} boxes, more than max_nodes={max_nodes}: "
            "step through a smaller model, or pass max_nodes=None"
        )
    if quiz:
        from .quiz import add_quiz  # the quiz builds on this page

        return add_quiz(page(s), loss, delta_names=delta_names, lr=lr)
    return page(s)


def page(s: Scene) -> StepPage:
    """The page of a step scene (see `viz.build.step_scene`)."""
    where = layout(s, direction(s))
    last = len(s.steps)
    svg = _inline(frame_svg(s, where, last, highlight=False))
    users: dict[str, list[str]] = {}
    for edge in s.edges:
        users.setdefault(edge.parent, []).append(edge.child)
    data = {
        "lastDelta": s.last_delta_step,
        "steps": [
            {"n": st.number, "kind": st.kind, "node": st.node, "caption": st.caption} for st in s.steps
        ],
        "nodes": {
            n.id: {
                "el": node_element(n.id),
                "kind": n.kind,
                "step": n.step,
                "delta": None if n.step is None else f"{n.delta_name} = {_shown_delta(n)}",
                "marks": sorted(n.marks),
                "pending": None if n.step is None else f"{n.delta_name} = {BLANK}",
                "sentence": n.sentence,
                "path": _reach(n.id, users),
                "value": value_row(n),
                "update": n.update,
                "updateStep": n.update_step,
                "newValue": new_value_row(n),
            }
            for n in s.nodes
        },
        "edges": {
            edge_element(e.parent, e.child, e.index): {
                "parent": e.parent,
                "child": e.child,
                "step": e.step,
                "sentence": e.sentence,
            }
            for e in s.edges
        },
    }
    title = s.title or "Step through the backward pass"
    has_updates = any(st.kind != DELTA for st in s.steps)
    hint = "Hover (or tap) a node for its chain rule and its paths to the loss"
    hint += "; click a weight for its update." if has_updates else "."
    body = _BODY.format(
        title=_html.escape(title),
        svg=svg,
        last=last,
        hint=_html.escape(hint),
        legend=legend_strip(s, has_updates),
    )
    out = shell(title, body, data, css=static("steps.css") + css(), js=static("steps.js"))
    return StepPage(out, s)


_KIND_WORDS = {WEIGHT: "weight", INPUT: "input", OPERATION: "operation", CONSTANT: "constant (no δ)"}


def legend_strip(s: Scene, has_updates: bool) -> str:
    """One line saying what the page's colours mean: the kinds it shows, the states, the signs."""
    kinds = {n.kind for n in s.nodes}
    items = [
        f'<span><i class="sw sw-{kind}"></i>{_html.escape(word)}</span>'
        for kind, word in _KIND_WORDS.items()
        if kind in kinds
    ]
    items.append('<span><i class="sw sw-pending"></i>δ not known yet</span>')
    items.append('<span><i class="sw sw-current"></i>this step</span>')
    if has_updates:
        items.append('<span><i class="sw sw-updated"></i>weight updated</span>')
    items += [
        '<span class="neg">&#10229; δ &lt; 0</span>',
        '<span class="pos">&#10229; δ &gt; 0</span>',
        '<span class="zero">&#10229; δ = 0</span>',
        '<span class="path">&#10229; hovered: its paths to the loss</span>',
    ]
    return f'<p id="ad-legend" class="legend" aria-label="legend">{" ".join(items)}</p>'


def _shown_delta(n: Node) -> str:
    return BLANK if "blank" in n.marks else num(n.grad)


def _reach(start: str, users: dict[str, list[str]]) -> list[str]:
    """`start` and every node on a path from it to the root, in the order met."""
    seen = {start: None}
    todo = [start]
    while todo:
        for user in users.get(todo.pop(), ()):
            if user not in seen:
                seen[user] = None
                todo.append(user)
    return list(seen)


def _inline(svg: str) -> str:
    """The SVG element alone (no XML prolog, doctype or comments), sized by the page's style."""
    start = svg.index("<svg")
    svg = re.sub(r"<!--.*?-->", "", svg[start:], flags=re.S)
    match = re.search(r'viewBox="([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)"', svg)
    width = float(match.group(3)) if match else 800.0
    # Drawn at PAGE_PX_PER_PT (13 pt text ≈ 12 px) and scrolled sideways when wider than the screen.
    return re.sub(
        r'<svg width="[^"]*" height="[^"]*"',
        f'<svg id="ad-svg" role="img" aria-label="the graph" style="width:{width * PAGE_PX_PER_PT:.0f}px"',
        svg,
        count=1,
    )


_BODY = """<h1>{title}</h1>
<div class="head">
<div class="bar">
<button type="button" id="ad-prev" aria-label="previous step">&#9664; Prev</button>
<input type="range" id="ad-slider" min="1" max="{last}" value="1" aria-label="step">
<button type="button" id="ad-next" aria-label="next step">Next &#9654;</button>
<label class="fit"><input type="checkbox" id="ad-fit"> fit width</label>
<span class="zoom"><button type="button" id="ad-zoom-out" aria-label="zoom out">&minus;</button>
<button type="button" id="ad-zoom-in" aria-label="zoom in">+</button></span>
</div>
<p id="ad-status" class="status" aria-live="polite"></p>
<p id="ad-sentence" class="sentence"></p>
<p id="ad-hover" class="hover">{hint}</p>
</div>
{legend}
<div id="ad-graph" class="graph">
{svg}
</div>
<p class="keys">Keys: &larr; and &rarr; step back and forth, Home and End jump.</p>"""

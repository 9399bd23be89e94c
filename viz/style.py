"""The theme: the only place with a colour. Kinds, marks and signs map to Graphviz attributes here.

Every picture (the static drawing, the step frames, the step page's CSS and the legend) reads this
file, so a node kind, a mark such as "wrong" or a δ's sign looks the same everywhere. Every text
colour has a contrast of at least 4.5:1 on white (WCAG AA) and on the boxes' fills.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .marks import MARKS
from .readability import TYPE
from .records import CONSTANT, INPUT, OPERATION, WEIGHT
from .summary import NEURON, SUMMARY

FONT = "Helvetica"
NEGATIVE, POSITIVE, ZERO = "#b03020", "#1f5fbf", "#6b6b6b"
"""Colours of a δ: red below zero, blue above, grey at zero (no learning flows there)."""
MUTED = "#555555"
"""Small print: a node's kind or op, statistics, arrows of the forward view."""
LIGHT = "#9a9a9a"
"""Lines that carry nothing: an arrow into a constant, the outline of a node still waiting for its δ."""
FAINT = "#c4c4c4"
"""An arrow whose product is not sent yet (the step frames)."""
UPDATE = "#7a4a00"
"""The weight's step ŵ = w − α·δw, and a weight once updated."""
CURRENT, CURRENT_FILL = "#d35400", "#fff3cd"
"""The node of the current step, and the products it receives."""
PATH = "#6a1b9a"
"""The step page's hover: every path from a node to the loss."""
WHITE = "#ffffff"
HIDDEN = "transparent"
"""Text a view lays out but does not show (the forward view's δ rows keep the backward view's layout)."""
HIDDEN_IN_SVG = ("#fffffe", "transparent")
"""How Graphviz writes HIDDEN text's fill in an SVG (2.43: a near-white); such text is taken out."""
LAYER = {"color": "#8a8a8a", "fillcolor": "#f7f7f2"}
"""A layer's box."""
WRONG, CARRIED = "#8a1c7c", "#b0679f"
"""Outlines of a checked derivation (`viz.checked`): a wrong δ, and one wrong only because it used one."""
RIGHT = "#1e6b34"
"""A right answer in the quiz page (`viz.quiz`); a wrong one is WRONG."""

KIND = {
    WEIGHT: {"fillcolor": "#fde3bf", "color": "#c46a12", "penwidth": "2"},
    INPUT: {"fillcolor": "#eef2f6", "color": "#6f8aa6"},
    CONSTANT: {"fillcolor": "#f0f0f0", "color": LIGHT},
    OPERATION: {"fillcolor": WHITE, "color": MUTED},
    NEURON: {"fillcolor": WHITE, "color": MUTED, "penwidth": "1.5"},
    SUMMARY: {"fillcolor": "#f4f4f4", "color": MUTED},
}
"""The colours of a node by its kind."""

STYLE = {
    **KIND,
    CONSTANT: {**KIND[CONSTANT], "fontsize": str(TYPE.small), "margin": "0.04,0.02"},
    SUMMARY: {**KIND[SUMMARY], "style": "filled,dashed"},
}
"""A node's attributes in the static drawing: its kind's colours, a constant smaller, a summary dashed."""

KIND_WORD = {WEIGHT: "weight", INPUT: "input"}

MARK: dict[str, dict[str, str]] = {
    "pending": {"style": "rounded,dashed", "color": LIGHT, "penwidth": "1.2"},
    "current": {"style": "rounded,filled", "fillcolor": CURRENT_FILL, "color": CURRENT, "penwidth": "4"},
    "wrong": {"color": WRONG, "penwidth": "3"},
    "cause": {"color": WRONG, "penwidth": "3", "peripheries": "2"},
    "carried": {"style": "rounded,filled,dashed", "color": CARRIED, "penwidth": "2"},
    "blank": {},
}
"""What a mark adds to a node: waiting for its δ, the current step, a wrong δ, the first wrong δ
(double outline, and the label says so: CAUSE_TEXT), a δ wrong only because a wrong one was carried
into it (dashed), a δ left for the reader to fill in (`δ3 = ?`: the label's business, see BLANK)."""

CAUSE_TEXT = "first wrong δ"
"""The bold line a "cause" node adds to its label, in the negative colour."""
BLANK = "?"
"""What a "blank" (or "pending") node shows in place of its δ's value, in ZERO's grey."""


def node_attrs(kind: str, marks: Iterable[str] = ()) -> dict[str, str]:
    """A node's colours: its kind's, then each of its marks' (in MARKS order) laid over them."""
    return {**KIND[kind], **mark_attrs(marks)}


def mark_attrs(marks: Iterable[str]) -> dict[str, str]:
    """What `marks` add to a node's attributes (in MARKS order)."""
    attrs: dict[str, str] = {}
    shown = set(marks)
    for mark in MARKS:
        if mark in shown:
            attrs.update(MARK[mark])
    return attrs


def sign_colour(x: Any) -> str:
    """The colour of a δ (or a local derivative) by its sign."""
    try:
        return NEGATIVE if x < 0 else POSITIVE if x > 0 else ZERO
    except TypeError:  # NaN-like or unordered numbers: no sign to show
        return ZERO


def sign_word(x: Any) -> str:
    """`neg`, `pos` or `zero`: the class the step page gives a product by its sign."""
    return {NEGATIVE: "neg", POSITIVE: "pos"}.get(sign_colour(x), "zero")


# --- the step page's state rules, generated from the tables above ------------------------------------

DASH = "5 3"


def _svg(attrs: dict[str, str]) -> list[str]:
    """A node mark's Graphviz attributes as CSS declarations on the SVG outline (path, polygon)."""
    out = []
    style = attrs.get("style", "")
    if "fillcolor" in attrs:
        out.append(f"fill: {attrs['fillcolor']}")
    elif style and "filled" not in style:
        out.append(f"fill: {WHITE}")
    if "color" in attrs:
        out.append(f"stroke: {attrs['color']}")
    if style:
        out.append(f"stroke-dasharray: {DASH if 'dashed' in style else 'none'}")
    if "penwidth" in attrs:
        out.append(f"stroke-width: {attrs['penwidth']}")
    return out


def css() -> str:
    """The step page's state rules: nodes by mark (`pending`, `current`, `m-wrong`, ...), arrows by sign."""

    def rule(selector: str, declarations: list[str]) -> str:
        return f"{selector} {{ {'; '.join(declarations)}; }}"

    lines = [
        "/* Generated by viz/style.py: the states of nodes and arrows (the SVG's own colours are done). */"
    ]
    for mark in ("pending", "current"):  # toggled by the page's script as the steps go
        shape = f"g.node.{mark} path, g.node.{mark} polygon"
        lines.append(rule(shape, _svg(MARK[mark])))
    lines.append(rule("g.node.pending text.delta", [f"fill: {ZERO}"]))
    for mark in ("wrong", "cause", "carried"):  # fixed marks, drawn in the SVG and kept over the states
        shape = f"g.node.m-{mark} path, g.node.m-{mark} polygon"
        lines.append(rule(shape, [d for d in _svg(MARK[mark]) if not d.startswith("fill")]))
    lines.append(rule("g.node.updated path", [f"stroke: {UPDATE}", "stroke-width: 3"]))
    lines.append(rule("g.node.updated text.value", [f"fill: {UPDATE}", "font-weight: bold"]))
    lines.append(
        rule("g.edge.pending path", [f"stroke: {FAINT}", f"stroke-dasharray: {DASH}", "stroke-width: 1"])
    )
    lines.append(rule("g.edge.pending polygon", [f"fill: {FAINT}", f"stroke: {FAINT}"]))
    lines.append(rule("g.edge.pending text", ["visibility: hidden"]))
    for colour in (NEGATIVE, POSITIVE, ZERO):
        sign = sign_word(-1 if colour == NEGATIVE else 1 if colour == POSITIVE else 0)
        lines.append(rule(f"g.edge.live.s-{sign} path, g.edge.live.s-{sign} polygon", [f"stroke: {colour}"]))
        lines.append(rule(f"g.edge.live.s-{sign} polygon, g.edge.live.s-{sign} text", [f"fill: {colour}"]))
    lines.append(rule("g.edge.live path", ["stroke-width: 1.5", "stroke-dasharray: none"]))
    lines.append(rule("g.edge.hot path", [f"stroke: {CURRENT}", "stroke-width: 3.5"]))
    lines.append(rule("g.edge.hot polygon", [f"stroke: {CURRENT}", f"fill: {CURRENT}"]))
    lines.append(rule("g.edge.hot text", [f"fill: {CURRENT}", "font-weight: bold"]))
    lines.append("/* Hover: every path from the node to the loss. */")
    lines.append(
        rule(
            "svg.tracing g.node:not(.onpath), svg.tracing g.edge:not(.onpath), svg.tracing g.cluster",
            ["opacity: .3"],
        )
    )
    lines.append(
        rule(
            "svg.tracing g.node.onpath path",
            [f"stroke: {PATH}", "stroke-width: 3.5", "stroke-dasharray: none"],
        )
    )
    lines.append(rule("svg.tracing g.edge.onpath path", [f"stroke: {PATH}", "stroke-width: 3"]))
    lines.append(rule("svg.tracing g.edge.onpath polygon", [f"stroke: {PATH}", f"fill: {PATH}"]))
    lines.append("/* The legend strip: the same colours as the graph. */")
    for kind in (WEIGHT, INPUT, CONSTANT, OPERATION):
        lines.append(
            rule(
                f".legend .sw-{kind}",
                [f"background: {KIND[kind]['fillcolor']}", f"border-color: {KIND[kind]['color']}"],
            )
        )
    lines.append(rule(".legend .sw-pending", [f"border: 1.5px dashed {LIGHT}", f"background: {WHITE}"]))
    lines.append(rule(".legend .sw-current", [f"border: 3px solid {CURRENT}", f"background: {CURRENT_FILL}"]))
    lines.append(
        rule(
            ".legend .sw-updated", [f"border: 3px solid {UPDATE}", f"background: {KIND[WEIGHT]['fillcolor']}"]
        )
    )
    for colour in (NEGATIVE, POSITIVE, ZERO):
        lines.append(
            rule(
                f".legend .{sign_word(-1 if colour == NEGATIVE else 1 if colour == POSITIVE else 0)}",
                [f"color: {colour}"],
            )
        )
    lines.append(rule(".legend .path", [f"color: {PATH}"]))
    return "\n".join(lines) + "\n"

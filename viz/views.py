"""Views: what one drawing of a graph shows. Every view shares one layout (the same DOT up to colours).

A view decides the heading, whether the δ text is shown, and how arrows point and are coloured.
The δ rows and arrow labels are always laid out (hidden views write them in a transparent colour),
so `dot` puts every node at the same place in every view and pictures can be compared side by side.

A new view is one subclass: override `heading`, `arrow`, and (for scripted pages) `node_attrs` /
`edge_attrs`, which receive the finished Graphviz attributes and may add to them. Register it with
`register` to make it known by name to `draw(view=...)`.
"""

from __future__ import annotations

from typing import Any

from .records import EdgeRecord, GraphRecords, NodeRecord
from .style import HIDDEN, MUTED, ZERO, sign_colour


class View:
    """Base view: the forward drawing's plain arrows, no δ text shown."""

    name = "view"
    shows_deltas = False

    def heading(self, graph: GraphRecords) -> str:
        """The bold line under the title."""
        return "The graph of the computation"

    def id_prefix(self) -> str:
        """Prefix of every element id, so two views in one page never share an id."""
        return "" if self.name == "backward" else f"{self.name}-"

    def text_colour(self, colour: str) -> str:
        """The colour δ text is written in: its own, or transparent when this view hides δs."""
        return colour if self.shows_deltas else HIDDEN

    def arrow(self, edge: EdgeRecord, colour: str) -> dict[str, str]:
        """Direction and colour of an arrow whose δ has colour `colour`."""
        return {"color": MUTED, "dir": "forward"}

    def node_attrs(self, node: NodeRecord, attrs: dict[str, str]) -> dict[str, str]:
        """The node's final Graphviz attributes (a hook for subclasses)."""
        return attrs

    def edge_attrs(self, edge: EdgeRecord, attrs: dict[str, str]) -> dict[str, str]:
        """The arrow's final Graphviz attributes (a hook for subclasses)."""
        return attrs


class ForwardView(View):
    """From the inputs to the loss: values only, arrows along the computation."""

    name = "forward"

    def heading(self, graph: GraphRecords) -> str:
        """Forward pass heading."""
        return "Forward pass: from the inputs to the loss"


class BackwardView(View):
    """From the loss back to the inputs: each arrow says δ_input = δ_output · ∂output/∂input."""

    name = "backward"
    shows_deltas = True

    def heading(self, graph: GraphRecords) -> str:
        """Backward pass heading (warns when backward() was not called)."""
        text = "Backward pass: the δ flow, from the loss back to the inputs"
        root = graph.nodes[0] if graph.nodes else None
        if root is not None and root.grad is not None and _is_zero(root.grad) and root.kind != "summary":
            text += " (every δ is 0: call loss.backward() before drawing)"
        return text

    def arrow(self, edge: EdgeRecord, colour: str) -> dict[str, str]:
        """dir=back keeps the forward layout (inputs left, loss right) and points at the input."""
        return {"color": colour, "dir": "back", "arrowtail": "normal", "arrowhead": "none"}


def _is_zero(x: Any) -> bool:
    try:
        return bool(x == 0)
    except TypeError:
        return False


VIEWS: dict[str, type[View]] = {"backward": BackwardView, "forward": ForwardView}
"""The views known by name."""


def register(view: type[View]) -> type[View]:
    """Make `view` known to `draw(view=view.name)` (usable as a class decorator)."""
    VIEWS[view.name] = view
    return view


def as_view(view: str | View) -> View:
    """A View object from a view or a view's name."""
    if isinstance(view, View):
        return view
    known = ", ".join(repr(v) for v in VIEWS)
    if not isinstance(view, str):
        raise TypeError(
            f"view must be a view's name ({known}) or a viz.views.View, got {type(view).__name__}"
        )
    if view in VIEWS:
        return VIEWS[view]()
    raise ValueError(f"view must be one of {known} (or a viz.views.View), got {view!r}")


__all__ = [
    "HIDDEN",
    "VIEWS",
    "ZERO",
    "BackwardView",
    "ForwardView",
    "View",
    "as_view",
    "register",
    "sign_colour",
]

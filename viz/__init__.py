"""viz: draw autodiff graphs (the forward pass and the δ flow of the backward pass) with graphviz.

    import viz
    viz.draw(loss)                           # a graphviz.Digraph; shown inline in Jupyter
    viz.draw(loss, lr=Fraction(1, 10**7))    # each weight also shows ŵ = w − α·δw, exactly
    viz.draw(loss, focus=w)                  # only the paths from the loss to w
    viz.to_dot(loss, view="forward")         # DOT text, byte-identical on every run
    viz.render(loss, "out/loss.svg")         # writes out/loss.dot, then out/loss.svg with `dot`
    viz.render(loss, "out/loss.svg", view="both")  # forward and backward side by side

Drawing only reads the graph: it never changes a node and never calls backward. Call
`loss.backward()` first for the δs. Above `budget` (80) drawn nodes a drawing is shrunk, one box
per neuron, then per layer. The chain rule in symbols is in `viz.chain`; views are in `viz.views`.
The `graphviz` package is needed only to build drawings (`viz.records`, `viz.chain` work without it).
"""

from .budget import DEFAULT_BUDGET
from .records import DEFAULT_MAX_NODES, EdgeRecord, GraphRecords, GraphTooLargeError, NodeRecord, records
from .render import DotNotFoundError, draw, render, to_dot
from .views import BackwardView, ForwardView, View

__all__ = [
    "DEFAULT_BUDGET",
    "DEFAULT_MAX_NODES",
    "BackwardView",
    "DotNotFoundError",
    "EdgeRecord",
    "ForwardView",
    "GraphRecords",
    "GraphTooLargeError",
    "NodeRecord",
    "View",
    "draw",
    "records",
    "render",
    "to_dot",
]

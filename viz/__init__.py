"""viz: draw autodiff graphs (the forward pass and the δ flow of the backward pass) with graphviz.

    import viz
    viz.draw(loss)                           # a graphviz.Digraph; shown inline in Jupyter
    viz.to_dot(loss, view="forward")         # DOT text, byte-identical on every run
    viz.render(loss, "out/loss.svg")         # writes out/loss.dot, then out/loss.svg with `dot`

Drawing only reads the graph: it never changes a node and never calls backward. Call
`loss.backward()` first for the δs.
"""

from .records import EdgeRecord, GraphRecords, NodeRecord, records
from .render import DotNotFoundError, draw, render, to_dot
from .summary import DEFAULT_MAX_NODES, GraphTooLargeError

__all__ = [
    "DEFAULT_MAX_NODES",
    "DotNotFoundError",
    "EdgeRecord",
    "GraphRecords",
    "GraphTooLargeError",
    "NodeRecord",
    "draw",
    "records",
    "render",
    "to_dot",
]

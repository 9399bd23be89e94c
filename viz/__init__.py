"""viz: draw autodiff graphs (the forward pass and the δ flow of the backward pass) with graphviz.

    import viz
    viz.draw(loss)                           # a graphviz.Digraph; shown inline in Jupyter
    viz.to_dot(loss, view="forward")         # DOT text, byte-identical on every run
    viz.render(loss, "out/loss.svg")         # writes out/loss.dot, then out/loss.svg with `dot`
    viz.steps(loss)                          # the backward pass, step by step (no .grad written)
    viz.to_html(loss).save("out/loss.html")  # a page to step through it (Prev/Next, hover paths)

Drawing only reads the graph: it never changes a node and never calls backward. Call
`loss.backward()` first for the δs.
"""

from .frames import write_frames, write_steps
from .html import StepPage, to_html
from .records import EdgeRecord, GraphRecords, NodeRecord, records
from .render import DotNotFoundError, draw, render, to_dot
from .steps import Contribution, Step, steps
from .summary import DEFAULT_MAX_NODES, GraphTooLargeError

__all__ = [
    "DEFAULT_MAX_NODES",
    "Contribution",
    "DotNotFoundError",
    "EdgeRecord",
    "GraphRecords",
    "GraphTooLargeError",
    "NodeRecord",
    "Step",
    "StepPage",
    "draw",
    "records",
    "render",
    "steps",
    "to_dot",
    "to_html",
    "write_frames",
    "write_steps",
]

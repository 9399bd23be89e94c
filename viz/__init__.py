"""viz: draw autodiff graphs (the forward pass and the δ flow of the backward pass) with graphviz.

    import viz
    viz.draw(loss)                           # a graphviz.Digraph; shown inline in Jupyter
    viz.draw(loss, lr=Fraction(1, 10**7))    # each weight also shows ŵ = w − α·δw, exactly
    viz.draw(loss, focus=w)                  # only the paths from the loss to w
    viz.to_dot(loss, view="forward")         # DOT text, byte-identical on every run
    viz.render(loss, "out/loss.svg")         # writes out/loss.dot, then out/loss.svg with `dot`
    viz.render(loss, "out/loss.svg", view="both")  # forward and backward side by side
    viz.steps(loss)                          # the backward pass, step by step (no .grad written)
    viz.to_html(loss).save("out/loss.html")  # a page to step through it (Prev/Next, hover paths)
    viz.draw(loss, marks={o2: ["wrong"]})    # marks: pending, current, wrong, cause, carried, blank
    viz.network(model, x, y)                 # an MLP as neurons and weights, with δΣ, δo and δw
    viz.training_page(viz.record_fit(model, loss_fn, data, optimizer, epochs=50)).save("out/t.html")

Drawing only reads the graph: it never changes a node and never calls backward. Call
`loss.backward()` first for the δs. Above `budget` (80) drawn nodes a drawing is shrunk, one box
per neuron, then per layer. The chain rule in symbols is in `viz.chain`; views are in `viz.views`.
The `graphviz` package is needed only to build drawings (`viz.records`, `viz.chain` work without it).
"""

from .build import graph_scene, step_scene
from .frames import write_frames, write_steps
from .html import StepPage, to_html
from .marks import MARKS
from .network import NetworkDrawing, network
from .readability import DEFAULT_BUDGET
from .records import DEFAULT_MAX_NODES, EdgeRecord, GraphRecords, GraphTooLargeError, NodeRecord, records
from .render import DotNotFoundError, draw, render, to_dot
from .scene import Scene
from .steps import Contribution, Step, steps
from .training import TrainingHistory, TrainingPage, record_fit, training_page
from .views import BackwardView, ForwardView, View

__all__ = [
    "DEFAULT_BUDGET",
    "DEFAULT_MAX_NODES",
    "MARKS",
    "BackwardView",
    "Contribution",
    "DotNotFoundError",
    "EdgeRecord",
    "ForwardView",
    "GraphRecords",
    "GraphTooLargeError",
    "NetworkDrawing",
    "NodeRecord",
    "Scene",
    "Step",
    "StepPage",
    "TrainingHistory",
    "TrainingPage",
    "View",
    "draw",
    "graph_scene",
    "network",
    "record_fit",
    "records",
    "render",
    "step_scene",
    "steps",
    "to_dot",
    "to_html",
    "training_page",
    "write_frames",
    "write_steps",
]

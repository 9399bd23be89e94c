"""The one scene model every picture is drawn from: plain data, no DOT, no colours, no live Value.

Builders (`viz.build.graph_scene`, `viz.build.step_scene`) read a graph once into a Scene; every
shrink (`viz.budget`, `viz.summary`) is a `Scene -> Scene` map; renderers (`viz.dot` for the
drawing, `viz.frames` for the step frames, `viz.html` for the page's data) only translate it.
Node ids come from `viz.names.Names` (`n0` is the loss); marks from `viz.marks`.

    viz.records(loss)       -> Scene of the graph (`viz.GraphRecords` is this class)
    build.step_scene(loss)  -> the same Scene, with each node's step, sentence and update, and `steps`
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chain import EdgeChain

WEIGHT, INPUT, CONSTANT, OPERATION = "weight", "input", "constant", "operation"
"""The kinds of node: leaves are weights, inputs (any other leaf) or constants; the rest are operations."""

DELTA, UPDATE = "delta", "update"
"""The kinds of step: a δ made complete, or a weight updated with it."""


@dataclass(frozen=True)
class Node:
    """One Value as drawn: its id, kind, name, op, layer box, forward value and δ.

    A step scene also gives the step completing its δ (`step`), the sentence saying how
    (`sentence`), and for a weight updated with `lr` the update's step and new value.
    """

    id: str
    kind: str
    name: str | None
    op: str | None
    layer: str | None
    data: Any
    grad: Any
    delta_name: str = "δ"
    count: int = 1  # a summary box of a collapsed layer stands for `count` nodes
    ops: tuple[tuple[str, int], ...] = ()  # and holds these ops (or leaf names), with their numbers
    of_kind: str | None = None  # a summary box of the leaves outside any layer: their kind
    update: str | None = None  # with `lr`: the weight's step, `ŵ = w − α·δw = ... = ...`
    detail: tuple[str, ...] = ()  # extra lines: a neuron's or a collapsed box's δ statistics
    marks: frozenset[str] = frozenset()  # for the reader: "wrong", "blank", ... (see viz.marks)
    step: int | None = None  # the step completing this node's δ (None: a constant, no δ)
    sentence: str = ""  # how that step made it: `δ2_2 = δ3 · w2_2 = (−1) · (−3/11600) = 3/11600`
    update_step: int | None = None  # the step updating this weight
    new_data: Any = None  # and its value after it
    key: str | None = None  # what a short name (`s1`) stands for: `(o3 − y_truth)²`, listed under the heading


@dataclass(frozen=True)
class Edge:
    """Input `index` of `child` is `parent`; in the backward view it carries δ = δ_child · local."""

    parent: str
    child: str
    index: int
    carries_delta: bool
    local: Any = None
    delta_out: Any = None
    contribution: Any = None
    problem: str | None = None
    count: int = 0  # between collapsed layers: how many edges this one stands for (0: not collapsed)
    chain: EdgeChain | None = None  # the chain rule in symbols (`viz.chain`): δ names, factor, sentence
    step: int | None = None  # a step scene: the step sending this product
    sentence: str = ""  # and what it says: `δ3 · w2_2 = (−1) · (−3/11600) = 3/11600`


@dataclass(frozen=True)
class SceneStep:
    """One step of the backward pass as drawn: its number, kind, node id, the δ and the sentences."""

    number: int
    kind: str
    node: str
    delta: Any
    sentence: str
    caption: str


@dataclass(frozen=True)
class Scene:
    """The whole graph: nodes (root first, each before its inputs), edges, and layer boxes in order.

    `notes` say what was left out of the drawing and how to see it; a step scene also has a title
    and its steps in the engine's order.
    """

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    layers: tuple[str, ...]
    notes: tuple[str, ...] = ()
    title: str | None = None
    steps: tuple[SceneStep, ...] = ()

    @property
    def last_delta_step(self) -> int:
        """The number of the step that completes the last δ."""
        return max(s.number for s in self.steps if s.kind == DELTA)

    @property
    def captions(self) -> tuple[str, ...]:
        """Each step's caption: `Step 3 of 20: ...`."""
        return tuple(s.caption for s in self.steps)

"""The scene builders: the only code that reads a graph of Values into a `viz.scene.Scene`.

    graph_scene(root, ...)  the drawing's scene: the graph walked once, then shrunk to the budget
    step_scene(loss, ...)   the step-through's scene: the same walk, plus each node's step, sentence
                            and update, and the steps in the engine's order

Both name and number the nodes with one `viz.names.Names`, built here once and passed down.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from autodiff import Parameter, Value, topological_order

from .budget import fit
from .marks import Marks
from .names import Names
from .readability import DEFAULT_BUDGET
from .records import DEFAULT_MAX_NODES, records
from .scene import CONSTANT, DELTA, Scene, SceneStep
from .steps import Step, num, steps

MAX_STEP_NODES = 400
"""Beyond this many nodes a step-through is refused: too many steps to follow, and slow to lay out."""


def graph_scene(
    root: Value,
    *,
    params: Iterable[Value] | None = None,
    delta_names: Mapping[Value, str] | None = None,
    names: Mapping[Value, str] | None = None,
    lr: Any = None,
    focus: Value | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    marks: Marks | None = None,
    budget: int | None = DEFAULT_BUDGET,
) -> Scene:
    """The drawing's scene of `root`'s graph (see `viz.draw` for the options), shrunk to `budget` nodes."""
    graph = records(
        root,
        params=params,
        delta_names=delta_names,
        names=names,
        lr=lr,
        focus=focus,
        max_nodes=max_nodes,
        marks=marks,
    )
    return fit(graph, budget)


def step_scene(
    loss: Value,
    *,
    lr: Any = None,
    params: Iterable[Value] | None = None,
    names: Mapping[Value, str] | None = None,
    delta_names: Mapping[Value, str] | None = None,
    title: str | None = None,
    max_nodes: int | None = MAX_STEP_NODES,
    marks: Marks | None = None,
) -> Scene:
    """Read `loss`'s graph and its backward steps into a Scene (reads only: no `.grad` changes).

    Beyond `max_nodes` nodes a ValueError says what to do (`max_nodes=None` lifts the limit).
    `marks` maps nodes (Values, or their shown names) to marks (`viz.marks`): {o2: ["wrong"]}.
    """
    if max_nodes is not None:
        count = len(topological_order(loss, only_requiring_grad=False)) if isinstance(loss, Value) else 0
        if count > max_nodes:
            raise ValueError(
                f"this graph has {count} nodes, more than max_nodes={max_nodes}: one step per node is "
                "too many to follow; for an MLP step through it one neuron at a time (per='neuron' or "
                "per='layer'), else one sample of a smaller model, or pass max_nodes=None"
            )
    chosen = None if params is None else list(params)
    naming = Names(loss, names, delta_names) if isinstance(loss, Value) else None
    the_steps = steps(loss, lr=lr, names=names, delta_names=delta_names, params=chosen, naming=naming)
    assert naming is not None  # steps() refused anything but a Value
    if chosen is None:
        found = [n for n in naming.order if isinstance(n, Parameter)]
        chosen = found or None
    graph = records(loss, params=chosen, names=names, naming=naming, marks=marks)
    value_of = {naming.id(n): n for n in naming.order}
    done_at = {naming.id(s.node): s for s in the_steps if s.kind == DELTA}
    updated = {naming.id(s.node): s for s in the_steps if s.kind != DELTA}
    nodes = []
    for record in graph.nodes:
        node = value_of[record.id]
        step, update = done_at.get(record.id), updated.get(record.id)
        name = naming.name(node)
        nodes.append(
            replace(
                record,
                # A constant shows its name only when it has one; every other node is named.
                name=name if record.kind != CONSTANT or record.name is not None else None,
                grad=None if step is None else step.delta,
                delta_name=naming.delta(node),
                step=None if step is None else step.number,
                sentence=_node_sentence(name, node, step),
                update=None if update is None else update.sentence,
                update_step=None if update is None else update.number,
                new_data=None if update is None else update.new,
            )
        )
    by_user: dict[tuple[int, int], Any] = {}
    for s in the_steps:
        for c in s.contributions:
            by_user[(id(c.user), c.index)] = c
    edges = []
    for edge in graph.edges:
        part = by_user.get((id(value_of[edge.child]), edge.index))
        edges.append(
            replace(
                edge,
                local=None if part is None else part.local,
                delta_out=None if part is None else part.delta_out,
                contribution=None if part is None else part.value,
                step=None if part is None else done_at[edge.child].number,
                sentence="" if part is None else part.sentence,
            )
        )
    total = len(the_steps)
    scene_steps = tuple(
        SceneStep(s.number, s.kind, naming.id(s.node), s.delta, s.sentence, _caption(s, total))
        for s in the_steps
    )
    return Scene(tuple(nodes), tuple(edges), graph.layers, graph.notes, title, scene_steps)


def _node_sentence(name: str, node: Value, step: Step | None) -> str:
    if step is None:
        return f"{name} = {num(node.data)}: a constant, no δ flows to it"
    return step.sentence


def _caption(step: Step, total: int) -> str:
    return f"Step {step.number} of {total}: {step.sentence}"

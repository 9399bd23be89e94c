"""Steps one neuron (or one layer) at a time: a step scene regrouped, a `Scene -> Scene` map.

A real model's backward pass has one step per node: a 2-4-4-1 MLP on one point has about 90 δ
steps and 37 updates, more than anyone follows. Here each neuron becomes one box (its products,
weights, bias, Σ and activation, as `viz.budget.by_neuron` draws it) and one step, taken once the
last of its δs is complete (its weights'); the nodes outside any neuron (the loss's operations, the
inputs) keep a step each; the updates come one step per neuron. With `per="layer"` every box of a
layer completes in one step. A 2-4-4-1 MLP then has 24 steps by neuron, 11 by layer.

    grouped(step_scene(loss, lr=0.1), per="neuron")  -> the Scene the step page and frames draw
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from .budget import by_neuron
from .scene import DELTA, UPDATE, Node, Scene, SceneStep
from .summary import NEURON

PER = ("node", "neuron", "layer")
"""What one step of the page completes: a node (the engine's own steps), a neuron, or a layer."""


def check_per(per: object) -> str:
    """`per` checked: one of PER."""
    if not isinstance(per, str) or per not in PER:
        raise ValueError(
            f"per must be one of {', '.join(map(repr, PER))} (what one step completes), got {per!r}"
        )
    return per


def _owners(scene: Scene, boxes: set[str]) -> dict[str, str]:
    """Each node id -> the id of the neuron box it is part of (itself when it is no neuron's part)."""
    users: dict[str, list[str]] = defaultdict(list)
    for edge in scene.edges:
        users[edge.parent].append(edge.child)
    owner: dict[str, str] = {}
    for node in scene.nodes:
        at, seen = node.id, 0
        # A neuron's parts each have one user, up to its box: weight -> product -> Σ -> activation.
        while at not in boxes and len(users.get(at, ())) == 1 and seen < 4:
            at, seen = users[at][0], seen + 1
        owner[node.id] = at if at in boxes else node.id
    return owner


def grouped(scene: Scene, per: str = "neuron") -> Scene:
    """`scene` (a step scene) with one step per neuron (`per="neuron"`) or per layer (`per="layer"`)."""
    if check_per(per) == "node":
        return scene
    if not scene.steps:
        raise ValueError("grouped() needs a step scene (viz.build.step_scene), which has steps")
    collapsed = by_neuron(scene)
    if collapsed is None:
        raise ValueError(
            f"per={per!r}: this graph has no neuron (a Σ of weights times inputs) to step through as one; "
            "use per='node'"
        )
    boxes = {n.id for n in collapsed.nodes if n.kind == NEURON}
    owner = _owners(scene, boxes)
    drawn = {n.id: n for n in collapsed.nodes}

    def group(node_id: str) -> str:
        box = owner[node_id]
        if per == "layer":
            layer = drawn[box].layer
            return f"layer:{layer}" if layer is not None else box
        return box

    original = {n.id: n for n in scene.nodes}
    # A box is done with its output's δ: the rest of it (δΣ, then each δw = δΣ · input) follows from
    # that δ alone, though the engine may reach the weights later. A layer is done with its last box.
    # Numbered in that order, a group comes after every group it needs (δo1_j needs all of layer 2).
    done_at: dict[str, int] = {}
    parts: dict[str, list[SceneStep]] = defaultdict(list)
    for step in scene.steps:
        if step.kind == DELTA:
            key = group(step.node)
            parts[key].append(step)
            if step.node in drawn:
                done_at[key] = max(done_at.get(key, 0), step.number)
    order = sorted(done_at, key=done_at.__getitem__)
    number = {key: i for i, key in enumerate(order, 1)}
    updates: dict[str, list[SceneStep]] = defaultdict(list)
    for step in scene.steps:
        if step.kind == UPDATE:
            updates[group(step.node)].append(step)
    update_number = {key: len(order) + i for i, key in enumerate(updates, 1)}
    total = len(order) + len(updates)

    steps = []
    for key in order:
        node = next(s.node for s in parts[key] if s.number == done_at[key])
        if per == "layer":
            # A layer says what reaches each of its boxes; a box's hover has the rest.
            said = "; ".join(s.sentence for s in parts[key] if s.node in drawn)
            text = f"{key.removeprefix('layer:')}: {said}" if key.startswith("layer:") else said
        else:
            said = _sentence(parts[key], original)
            text = f"neuron {drawn[node].name}: {said}" if node in boxes else said
        steps.append(
            SceneStep(
                number[key], DELTA, node, drawn[node].grad, text, f"Step {number[key]} of {total}: {text}"
            )
        )
    for key, done in updates.items():
        node = owner[done[-1].node]
        whose = (
            f"neuron {drawn[node].name}" if per == "neuron" and node in boxes else key.removeprefix("layer:")
        )
        said = f"{whose} updated: " + "; ".join(s.sentence for s in done)
        n = update_number[key]
        steps.append(SceneStep(n, UPDATE, node, done[-1].delta, said, f"Step {n} of {total}: {said}"))

    nodes = []
    for node in collapsed.nodes:
        key = group(node.id)
        if node.step is None and key not in number:
            nodes.append(node)
            continue
        mine = [s for s in parts.get(key, []) if owner[s.node] == node.id]
        sentence = _sentence(mine, original) if mine else node.sentence
        changes: dict[str, object] = {"step": number.get(key), "sentence": sentence}
        if node.kind == NEURON and key in updates:
            # A box carries its weights' updates, and is drawn updated from that step on.
            said = "; ".join(s.sentence for s in updates[key] if owner[s.node] == node.id)
            changes.update(
                update=said or None, update_step=update_number[key] if said else None, new_data=None
            )
        elif node.update_step is not None:
            changes["update_step"] = update_number[key]
        nodes.append(replace(node, **changes))
    edges = [replace(e, step=None if e.step is None else number.get(group(e.child))) for e in collapsed.edges]
    note = f"one step per {per}: {len(order)} δ steps" + (f", {len(updates)} update steps" if updates else "")
    return Scene(
        tuple(nodes), tuple(edges), collapsed.layers, (*collapsed.notes, note), scene.title, tuple(steps)
    )


def _sentence(steps: list[SceneStep], nodes: dict[str, Node]) -> str:
    """The chain rule of a group: its activation, Σ and weights (the products only pass δΣ on)."""
    keep = [s for s in steps if nodes[s.node].op != "mul"]
    return "; ".join(s.sentence for s in keep or steps)

"""One picture per step of the backward pass, every node in the same place on every picture.

The graph is laid out once by `dot` (its positions read back as JSON); each frame is then drawn by
`neato -n2`, which keeps the given positions: done nodes filled, the current node highlighted with
the products it receives, pending nodes hollow with `δ = ?`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autodiff import Parameter, Value, topological_order

from . import text
from .layout import rank_groups
from .marks import MARKS, Marks
from .names import Names, edge_element, node_element
from .readability import TYPE
from .records import CONSTANT, WEIGHT, records
from .render import INSTALL_HINT, DotNotFoundError
from .steps import DELTA, Step, num, steps
from .style import (
    BLANK,
    CAUSE_TEXT,
    CURRENT,
    FAINT,
    FONT,
    LAYER,
    MUTED,
    NEGATIVE,
    ZERO,
    node_attrs,
    sign_colour,
    sign_word,
)

MAX_NODES = 400
"""Beyond this many nodes a step-through is refused: too many steps to follow, and slow to lay out."""


@dataclass(frozen=True)
class NodeSpec:
    """A node as the frames and the page show it; `step` is the number of the step completing its δ."""

    id: str
    kind: str
    layer: str | None
    header: str
    value_row: str
    delta_symbol: str | None
    delta: Any
    step: int | None
    sentence: str
    path: tuple[str, ...]
    update: str | None = None
    update_step: int | None = None
    new_value_row: str | None = None
    marks: frozenset[str] = frozenset()


@dataclass(frozen=True)
class EdgeSpec:
    """Input `parent` of `child`; it carries a product once `child`'s step is done (`step`)."""

    id: str
    parent: str
    child: str
    carries: bool
    value: Any
    step: int | None
    sentence: str


@dataclass(frozen=True)
class Scene:
    """Everything the frames and the page draw: nodes, edges, layer boxes, the steps and a title."""

    title: str | None
    nodes: tuple[NodeSpec, ...]
    edges: tuple[EdgeSpec, ...]
    layers: tuple[str, ...]
    columns: dict[str | None, list[list[str]]]
    steps: tuple[Step, ...]
    captions: tuple[str, ...]

    @property
    def last_delta_step(self) -> int:
        """The number of the step that completes the last δ."""
        return max(s.number for s in self.steps if s.kind == DELTA)


def scene(
    loss: Value,
    *,
    lr: Any = None,
    params: Iterable[Value] | None = None,
    names: Mapping[Value, str] | None = None,
    delta_names: Mapping[Value, str] | None = None,
    title: str | None = None,
    max_nodes: int | None = MAX_NODES,
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
                "too many to follow; step through one sample of a smaller model, or pass max_nodes=None"
            )
    chosen = None if params is None else list(params)
    # One naming service for the steps' sentences, the records and the ids: built once, passed down.
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
    users: dict[str, list[str]] = {}
    for edge in graph.edges:
        users.setdefault(edge.parent, []).append(edge.child)
    nodes = []
    for record in graph.nodes:
        node = value_of[record.id]
        step = done_at.get(record.id)
        update = updated.get(record.id)
        name = naming.name(node)
        if record.kind == CONSTANT:
            named = node.name or naming.given(node)
            header, row = "", f"{name} = {num(node.data)}" if named else num(node.data)
        else:
            header = record.op or ("weight" if record.kind == WEIGHT else "input")
            row = f"{name} = {num(node.data)}"
        nodes.append(
            NodeSpec(
                record.id,
                record.kind,
                record.layer,
                header,
                row,
                None if step is None else naming.delta(node),
                None if step is None else step.delta,
                None if step is None else step.number,
                _node_sentence(name, node, step),
                tuple(_reach(record.id, users)),
                None if update is None else update.sentence,
                None if update is None else update.number,
                None if update is None else f"{name} = {num(update.new)}",
                record.marks,
            )
        )
    by_user: dict[tuple[int, int], Any] = {}
    for s in the_steps:
        for c in s.contributions:
            by_user[(id(c.user), c.index)] = (c, s)
    edges = []
    for edge in graph.edges:
        user = value_of[edge.child]
        found = by_user.get((id(user), edge.index))
        contribution = None if found is None else found[0]
        edges.append(
            EdgeSpec(
                edge_element(edge.parent, edge.child, edge.index),
                edge.parent,
                edge.child,
                contribution is not None,
                None if contribution is None else contribution.value,
                done_at[edge.child].number if contribution is not None else None,
                "" if contribution is None else contribution.sentence,
            )
        )
    captions = tuple(_caption(s, len(the_steps)) for s in the_steps)
    return Scene(
        title, tuple(nodes), tuple(edges), graph.layers, rank_groups(graph), tuple(the_steps), captions
    )


def _node_sentence(name: str, node: Value, step: Step | None) -> str:
    if step is None:
        return f"{name} = {num(node.data)}: a constant, no δ flows to it"
    return step.sentence


def _caption(step: Step, total: int) -> str:
    return f"Step {step.number} of {total}: {step.sentence}"


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


# --- DOT sources --------------------------------------------------------------------------------


def _label(rows: list[tuple[str, int | None, str | None, bool]]) -> str:
    cells = []
    for content, size, colour, bold in rows:
        shown = text.html(content)
        if bold:
            shown = f"<B>{shown}</B>"
        font = ""
        if size is not None:
            font += f' POINT-SIZE="{size}"'
        if colour is not None:
            font += f' COLOR="{colour}"'
        if font:
            shown = f"<FONT{font}>{shown}</FONT>"
        cells.append(f"<TR><TD>{shown}</TD></TR>")
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(cells)}</TABLE>>'


def _node_rows(node: NodeSpec, state: str, value_row: str | None = None) -> str:
    if node.kind == CONSTANT:
        return _label([(node.value_row, TYPE.small, MUTED, False)])
    rows = [(node.header, TYPE.frame_small, MUTED, False), (value_row or node.value_row, None, None, False)]
    if node.delta_symbol is not None:
        if state == "pending" or "blank" in node.marks:
            rows.append((f"{node.delta_symbol} = {BLANK}", None, ZERO, True))
        else:
            rows.append((f"{node.delta_symbol} = {num(node.delta)}", None, sign_colour(node.delta), True))
    if "cause" in node.marks:
        rows.append((CAUSE_TEXT, TYPE.small, NEGATIVE, True))
    return _label(rows)


def _attrs(attrs: Mapping[str, str]) -> str:
    parts = []
    for key, value in attrs.items():
        if value.startswith("<") and value.endswith(">"):
            parts.append(f"{key}={value}")
        else:
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'{key}="{escaped}"')
    return "[" + ", ".join(parts) + "]"


def _widest_rows(node: NodeSpec) -> str | None:
    """The value row a weight shows at its widest (old or updated value), so the layout fits both."""
    if node.new_value_row is not None and len(node.new_value_row) > len(node.value_row):
        return node.new_value_row
    return None


def layout_source(scene: Scene, rankdir: str = "LR", caption: str | None = None) -> str:
    """The DOT source `dot` lays out once: every node with its widest label, every product shown."""
    lines = [
        "digraph steps {",
        f'  graph [rankdir={rankdir}, fontname="{FONT}", fontsize=14, nodesep=0.3, ranksep=0.4, '
        f'newrank=true, labelloc=t, label="{_escape(caption or "")}"];',
        f'  node [shape=box, style="rounded,filled", fontname="{FONT}", fontsize=13, margin="0.08,0.04"];',
        f'  edge [fontname="{FONT}", fontsize=13, dir=back];',
    ]
    node_of = {n.id: n for n in scene.nodes}

    def declare(ids: list[list[str]], indent: str) -> None:
        for group in ids:
            if len(group) > 1:
                lines.append(f"{indent}{{ rank=same; {' '.join(group)} }}")
            for node_id in group:
                node = node_of[node_id]
                label = _node_rows(node, "done", _widest_rows(node))
                lines.append(f"{indent}{node_id} {_attrs({'label': label})};")

    declare(scene.columns.get(None, []), "  ")
    for i, layer in enumerate(scene.layers):
        lines.append(f"  subgraph cluster_{i} {{")
        lines.append(f"    graph [label=<<B>{text.html(text.name(layer))}</B>>, fontsize=14];")
        declare(scene.columns.get(layer, []), "    ")
        lines.append("  }")
    for edge in scene.edges:
        attrs = {"id": edge.id}
        if edge.carries:
            attrs["label"] = num(edge.value)
        lines.append(f"  {edge.parent} -> {edge.child} {_attrs(attrs)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


@dataclass(frozen=True)
class Layout:
    """Positions from one `dot` run: nodes (pos, width, height), edges (pos, lp), clusters and graph bb."""

    rankdir: str
    graph: dict[str, str]
    clusters: dict[str, dict[str, str]]
    nodes: dict[str, dict[str, str]]
    edges: dict[str, dict[str, str]]


def _program(name: str) -> str:
    program = shutil.which(name)
    if program is None:
        raise DotNotFoundError(f"Graphviz's `{name}` program was not found on PATH; {INSTALL_HINT}")
    return program


def _run(program: str, args: list[str], source: str, timeout: float) -> bytes:
    try:
        done = subprocess.run(
            [_program(program), *args], input=source.encode("utf-8"), capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"`{program}` took more than {timeout} s; step through a smaller graph") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"`{program}` failed: {message}")
    return done.stdout


def layout(scene: Scene, rankdir: str = "LR", caption: str | None = None, timeout: float = 60) -> Layout:
    """Lay `scene` out once with `dot` and read the positions back."""
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' (inputs left) or 'TB' (inputs on top), got {rankdir!r}")
    data = json.loads(_run("dot", ["-Tjson0"], layout_source(scene, rankdir, caption), timeout))
    keep = ("pos", "width", "height", "lp", "bb")
    nodes: dict[str, dict[str, str]] = {}
    clusters: dict[str, dict[str, str]] = {}
    for obj in data.get("objects", []):
        if str(obj.get("name", "")).startswith("cluster_"):
            clusters[obj["name"]] = {k: obj[k] for k in ("bb", "lp") if k in obj}
        elif "pos" in obj:  # a node (the unnamed `rank=same` groups have no place of their own)
            nodes[obj["name"]] = {k: obj[k] for k in keep if k in obj}
    edges = {e["id"]: {k: e[k] for k in keep if k in e} for e in data.get("edges", [])}
    graph = {k: data[k] for k in ("bb", "lp") if k in data}
    return Layout(rankdir, graph, clusters, nodes, edges)


def frame_source(
    scene: Scene, where: Layout, current: int, *, caption: str | None = None, highlight: bool = True
) -> str:
    """DOT for `neato -n2`: the picture after step `current`, at the laid-out places.

    Nodes and edges carry ids (`node-n3`, `edge-n1-n0-0`, see `viz.names`) and classes (kind, sign)
    for the interactive page.
    """
    graph = {"fontname": FONT, "fontsize": "14", "labelloc": "t", "label": caption or "", **where.graph}
    lines = [
        "digraph steps {",
        f"  graph {_attrs(graph)};",
        f'  node [shape=box, fixedsize=true, fontname="{FONT}", fontsize=13, margin="0.08,0.04"];',
        f'  edge [fontname="{FONT}", fontsize=13, dir=back];',
    ]
    for i, layer in enumerate(scene.layers):
        box = where.clusters.get(f"cluster_{i}", {})
        attrs = {
            "label": f"<<B>{text.html(text.name(layer))}</B>>",
            "style": "rounded,filled",
            **LAYER,
            "fontsize": "14",
            **box,
        }
        lines.append(f"  subgraph cluster_{i} {{ graph {_attrs(attrs)}; }}")
    current_id = next((n.id for n in scene.nodes if current in (n.step, n.update_step)), None)
    if not highlight:
        current_id = None
    # The products a node receives are lit on its δ step, not on its update.
    receiving = next((n.id for n in scene.nodes if n.step == current), None) if highlight else None
    for node in scene.nodes:
        state = _state(node, current)
        if state == "current" and current_id is None:
            state = "done"
        classes = " ".join([f"k-{node.kind}", *(f"m-{m}" for m in MARKS if m in node.marks)])
        attrs = {**where.nodes[node.id], "id": node_element(node.id), "class": classes}
        attrs.update(_node_style(node, state))
        row = node.new_value_row if node.update_step is not None and node.update_step <= current else None
        attrs["label"] = _node_rows(node, state, row)
        lines.append(f"  {node.id} {_attrs(attrs)};")
    for edge in scene.edges:
        attrs = dict(where.edges.get(edge.id, {}))
        attrs["id"] = edge.id
        attrs["class"] = "s-none" if not edge.carries else f"s-{sign_word(edge.value)}"
        if edge.carries and edge.step is not None and edge.step <= current:
            colour = sign_colour(edge.value)
            hot = edge.parent == receiving
            attrs.update(
                label=num(edge.value),
                color=CURRENT if hot else colour,
                fontcolor=CURRENT if hot else colour,
                penwidth="3" if hot else "1.5",
            )
        else:
            attrs.pop("lp", None)
            attrs.update(color=FAINT, style="dashed")
        lines.append(f"  {edge.parent} -> {edge.child} {_attrs(attrs)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _state(node: NodeSpec, current: int) -> str:
    if node.step is None:
        return "constant"
    if node.step == current or node.update_step == current:
        return "current"
    return "done" if node.step < current else "pending"


def _node_style(node: NodeSpec, state: str) -> dict[str, str]:
    """The theme's look of `node` at this step: its kind, its own marks, and the step's mark if any."""
    marks = node.marks | ({state} if state in ("pending", "current") else set())
    return {"style": "rounded,filled", **node_attrs(node.kind, marks)}


def frame_svg(
    scene: Scene,
    where: Layout,
    current: int,
    *,
    caption: str | None = None,
    highlight: bool = True,
    timeout: float = 60,
) -> str:
    """The SVG of the picture after step `current`, drawn at the laid-out places."""
    source = frame_source(scene, where, current, caption=caption, highlight=highlight)
    return _run("neato", ["-n2", "-Tsvg"], source, timeout).decode("utf-8")


def frame_captions(scene: Scene) -> list[str]:
    """The caption of each frame: the title (if any), then the step and its sentence."""
    head = f"{scene.title}\n" if scene.title else ""
    return [head + c for c in scene.captions]


def write_frames(scene: Scene, directory: str | Path, stem: str, *, animate: bool = True) -> list[Path]:
    """Write `directory/stem-step01.svg`, ... (one per step) and, with Pillow, `stem-steps.gif`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    captions = frame_captions(scene)
    widest = max(captions, key=len)
    where = layout(scene, "LR", widest)
    width = len(str(len(scene.steps)))
    written = []
    sources = []
    for step, caption in zip(scene.steps, captions, strict=True):
        source = frame_source(scene, where, step.number, caption=caption)
        sources.append(source)
        path = directory / f"{stem}-step{step.number:0{max(width, 2)}d}.svg"
        path.write_bytes(_run("neato", ["-n2", "-Tsvg"], source, 60))
        written.append(path)
    if animate:
        gif = _animate(sources, directory / f"{stem}-steps.gif")
        if gif is not None:
            written.append(gif)
    return written


def _animate(sources: list[str], path: Path) -> Path | None:
    """An animated GIF of the frames, or None without Pillow (`pip install -e '.[anim]'`)."""
    try:
        from PIL import Image
    except ImportError:
        return None
    import io

    images = [Image.open(io.BytesIO(_run("neato", ["-n2", "-Tpng", "-Gdpi=72"], s, 60))) for s in sources]
    size = (max(i.width for i in images), max(i.height for i in images))
    frames = []
    for image in images:
        canvas = Image.new("RGB", size, "white")
        canvas.paste(image.convert("RGB"), (0, 0))
        frames.append(canvas.convert("P", palette=Image.Palette.ADAPTIVE, colors=128))
    durations = [1600] * len(frames)
    durations[-1] = 4000
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations, loop=0, optimize=True)
    return path


def write_steps(loss: Value, directory: str | Path, stem: str = "steps", **options: Any) -> list[Path]:
    """`write_frames` of `scene(loss, **options)`: one SVG per step of `loss`'s backward pass (and a GIF)."""
    return write_frames(scene(loss, **options), directory, stem)

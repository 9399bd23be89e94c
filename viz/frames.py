"""One picture per step of the backward pass, every node in the same place on every picture.

The graph is laid out once by `dot` (its positions read back as JSON); each frame is then drawn by
`neato -n2`, which keeps the given positions: done nodes filled, the current node highlighted with
the products it receives, pending nodes hollow with `δ = ?`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autodiff import Value

if TYPE_CHECKING:
    import graphviz

from . import text
from .build import MAX_STEP_NODES, step_scene
from .dot import direction, keep_order, load_graphviz, place_above_users, rows_read_down
from .graphviz_run import run
from .layout import rank_groups
from .marks import MARKS
from .names import edge_element, node_element, short_named
from .readability import TYPE
from .scene import CONSTANT, WEIGHT, Node, Scene
from .steps import num
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

MAX_NODES = MAX_STEP_NODES
scene = step_scene
"""`viz.build.step_scene`, under the name the frames have always given it."""


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


def _header(node: Node) -> str:
    return node.op or ("weight" if node.kind == WEIGHT else "input")


def value_row(node: Node) -> str:
    """`w2_2 = −3/11600`: a node's name and value (an unnamed constant: its value)."""
    if node.kind == CONSTANT and node.name is None:
        return num(node.data)
    return f"{node.name} = {num(node.data)}"


def new_value_row(node: Node) -> str | None:
    """`w2_2 = −17/290000`: an updated weight's name and new value (None: no update, or a neuron's box,
    whose weights' new values are in its update sentence)."""
    if node.update_step is None or node.new_data is None:
        return None
    return f"{node.name} = {num(node.new_data)}"


def _node_rows(node: Node, state: str, value: str | None = None) -> str:
    if node.kind == CONSTANT:
        return _label([(value_row(node), TYPE.small, MUTED, False)])
    rows = [(_header(node), TYPE.frame_small, MUTED, False), (value or value_row(node), None, None, False)]
    if node.step is not None:
        if state == "pending" or "blank" in node.marks:
            rows.append((f"{node.delta_name} = {BLANK}", None, ZERO, True))
        else:
            rows.append((f"{node.delta_name} = {num(node.grad)}", None, sign_colour(node.grad), True))
    if "cause" in node.marks:
        rows.append((CAUSE_TEXT, TYPE.small, NEGATIVE, True))
    return _label(rows)


def _widest_rows(node: Node) -> str | None:
    """The value row a weight shows at its widest (old or updated value), so the layout fits both."""
    new = new_value_row(node)
    if new is not None and len(new) > len(value_row(node)):
        return new
    return None


def _caption_label(caption: str | None) -> str:
    """A frame's caption as an HTML-like label (escaped like every label, lines kept)."""
    return f"<{text.html(caption)}>" if caption else ""


def _layer_label(layer: str) -> str:
    return f"<<B>{text.html(text.name(layer))}</B>>"


def _digraph(graph: dict[str, str], node: dict[str, str]) -> graphviz.Digraph:
    """A `graphviz.Digraph` with the frames' fonts: DOT is assembled and quoted by the graphviz package."""
    font = {"fontname": FONT, "fontsize": str(TYPE.frame)}
    return load_graphviz().Digraph(
        "steps",
        graph_attr={"fontname": FONT, "fontsize": str(TYPE.heading), **graph},
        node_attr={"shape": "box", **node, **font, "margin": "0.08,0.04"},
        edge_attr={**font, "dir": "back"},
    )


def layout_source(scene: Scene, rankdir: str = "LR", caption: str | None = None) -> str:
    """The DOT source `dot` lays out once: every node with its widest label, every product shown."""
    g = _digraph(
        {
            "rankdir": rankdir,
            "nodesep": "0.3" if rankdir == "LR" else "0.08",
            "ranksep": "0.4",
            "newrank": "true",
            "labelloc": "t",
            "label": _caption_label(caption),
        },
        {"style": "rounded,filled"},
    )
    node_of = {n.id: n for n in scene.nodes}

    def declare(box: graphviz.Digraph, groups: list[list[str]]) -> None:
        for group in groups:
            if len(group) > 1:
                with box.subgraph() as same:
                    same.attr(rank="same")
                    for node_id in group:
                        same.node(node_id)
                    if rankdir == "TB":  # x1, x2, x3 left to right, as in the static picture
                        keep_order(same, group)
            for node_id in group:
                node = node_of[node_id]
                box.node(node_id, _node_rows(node, "done", _widest_rows(node)))

    columns = rank_groups(scene)
    if rankdir == "TB":
        columns = rows_read_down(scene, columns)
    declare(g, columns.get(None, []))
    for i, layer in enumerate(scene.layers):
        with g.subgraph(name=f"cluster_{i}") as box:
            # As in the static picture: the title in the corner, a narrow margin.
            box.attr(label=_layer_label(layer), fontsize=str(TYPE.heading), labeljust="l", margin="4")
            declare(box, columns.get(layer, []))
    for edge in scene.edges:
        attrs = {"id": edge_element(edge.parent, edge.child, edge.index)}
        if edge.step is not None:
            attrs["label"] = num(edge.contribution)
        g.edge(edge.parent, edge.child, **attrs)
    if rankdir == "TB":
        place_above_users(g, scene)
    return str(g.source)


@dataclass(frozen=True)
class Layout:
    """Positions from one `dot` run: nodes (pos, width, height), edges (pos, lp), clusters and graph bb."""

    rankdir: str
    graph: dict[str, str]
    clusters: dict[str, dict[str, str]]
    nodes: dict[str, dict[str, str]]
    edges: dict[str, dict[str, str]]


def layout(scene: Scene, rankdir: str = "LR", caption: str | None = None, timeout: float = 60) -> Layout:
    """Lay `scene` out once with `dot` and read the positions back."""
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' (inputs left) or 'TB' (inputs on top), got {rankdir!r}")
    source = layout_source(scene, rankdir, caption)
    data = json.loads(run("dot", "json0", source, timeout=timeout, what="the step-through's layout"))
    keep = ("pos", "width", "height", "lp", "bb")
    nodes: dict[str, dict[str, str]] = {}
    clusters: dict[str, dict[str, str]] = {}
    for obj in data.get("objects", []):
        if str(obj.get("name", "")).startswith("cluster_"):
            clusters[obj["name"]] = {k: obj[k] for k in ("bb", "lp") if k in obj}
        elif "pos" in obj:  # a node (the unnamed `rank=same` groups have no place of their own)
            nodes[obj["name"]] = {k: obj[k] for k in keep if k in obj}
    # Edges without an id are the invisible ones keeping a row in order.
    edges = {e["id"]: {k: e[k] for k in keep if k in e} for e in data.get("edges", []) if "id" in e}
    graph = {k: data[k] for k in ("bb", "lp") if k in data}
    return Layout(rankdir, graph, clusters, nodes, edges)


def frame_source(
    scene: Scene, where: Layout, current: int, *, caption: str | None = None, highlight: bool = True
) -> str:
    """DOT for `neato -n2`: the picture after step `current`, at the laid-out places.

    Nodes and edges carry ids (`node-n3`, `edge-n1-n0-0`, see `viz.names`) and classes (kind, sign)
    for the interactive page.
    """
    g = _digraph({"labelloc": "t", "label": _caption_label(caption), **where.graph}, {"fixedsize": "true"})
    for i, layer in enumerate(scene.layers):
        with g.subgraph(name=f"cluster_{i}") as box:
            box.attr(
                label=_layer_label(layer),
                labeljust="l",
                style="rounded,filled",
                **LAYER,
                fontsize=str(TYPE.heading),
                **where.clusters.get(f"cluster_{i}", {}),
            )
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
        row = new_value_row(node) if node.update_step is not None and node.update_step <= current else None
        g.node(node.id, _node_rows(node, state, row), **attrs)
    for edge in scene.edges:
        element = edge_element(edge.parent, edge.child, edge.index)
        attrs = dict(where.edges.get(element, {}))
        attrs["id"] = element
        attrs["class"] = "s-none" if edge.step is None else f"s-{sign_word(edge.contribution)}"
        if edge.step is not None and edge.step <= current:
            colour = sign_colour(edge.contribution)
            hot = edge.parent == receiving
            attrs.update(
                label=num(edge.contribution),
                color=CURRENT if hot else colour,
                fontcolor=CURRENT if hot else colour,
                penwidth="3" if hot else "1.5",
            )
        else:
            attrs.pop("lp", None)
            attrs.update(color=FAINT, style="dashed")
        g.edge(edge.parent, edge.child, **attrs)
    return str(g.source)


def _state(node: Node, current: int) -> str:
    if node.step is None:
        return "constant"
    if node.step == current or node.update_step == current:
        return "current"
    return "done" if node.step < current else "pending"


def _node_style(node: Node, state: str) -> dict[str, str]:
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
    return run("neato", "svg", source, args=("-n2",), timeout=timeout, what="a step frame").decode("utf-8")


def frame_captions(scene: Scene) -> list[str]:
    """The caption of each frame: the title (if any), the short names' key, then the step and its sentence."""
    head = f"{scene.title}\n" if scene.title else ""
    # The key of the short names, as under the static picture's heading.
    keys = [f"short name: {n.name} = {n.key}" for n in short_named(scene.nodes)]
    head += "".join(f"{key}\n" for key in keys)
    return [head + s.caption for s in scene.steps]


def write_frames(scene: Scene, directory: str | Path, stem: str, *, animate: bool = True) -> list[Path]:
    """Write `directory/stem-step01.svg`, ... (one per step) and, with Pillow, `stem-steps.gif`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    captions = frame_captions(scene)
    widest = max(captions, key=len)
    where = layout(scene, direction(scene), widest)
    width = len(str(len(scene.steps)))
    written = []
    sources = []
    for step, caption in zip(scene.steps, captions, strict=True):
        source = frame_source(scene, where, step.number, caption=caption)
        sources.append(source)
        path = directory / f"{stem}-step{step.number:0{max(width, 2)}d}.svg"
        run("neato", "svg", source, args=("-n2",), timeout=60, what=path.name, output=path)
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

    images = [
        Image.open(
            io.BytesIO(run("neato", "png", s, args=("-n2", "-Gdpi=72"), timeout=60, what="a GIF frame"))
        )
        for s in sources
    ]
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

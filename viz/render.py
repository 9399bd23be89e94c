"""Step 3 of a drawing: the public API — a Digraph, DOT text, or SVG/PNG/PDF files via `dot`."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

import graphviz

from autodiff import Value

from .dot import digraph
from .records import records
from .summary import DEFAULT_MAX_NODES, limit

FORMATS = ("svg", "png", "pdf", "dot")
INSTALL_HINT = (
    "install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "or see https://graphviz.org/download/"
)


class DotNotFoundError(RuntimeError):
    """Graphviz's `dot` program is not on PATH (the .dot file was written before this is raised)."""


def draw(
    root: Value,
    *,
    view: str = "backward",
    params: Iterable[Value] | None = None,
    delta_names: Mapping[Value, str] | None = None,
    names: Mapping[Value, str] | None = None,
    title: str | None = None,
    legend: bool = True,
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> graphviz.Digraph:
    """The graph that produced `root` as a `graphviz.Digraph` (shown inline in Jupyter).

    `view` is "backward" (arrows from the loss back to the inputs, labelled with δs) or "forward".
    `params` lists the weights (pass `model.parameters()`); by default a leaf is a weight when its
    name starts with "w" or is a bias name as `autodiff.learn.nn` gives them ("b2_1", "b", "bias"), and an
    input otherwise (`Sequential.trace` names inputs x1, x2, ...); `delta_names` renames
    δs, e.g. {o3: "δ4"}; `names` names nodes in the picture only, e.g. {y: "y_truth"}. Beyond
    `max_nodes` nodes, layers are collapsed into boxes, or a GraphTooLargeError says what to do;
    `max_nodes=None` draws everything.
    """
    graph = limit(records(root, params=params, delta_names=delta_names, names=names), max_nodes)
    return digraph(graph, view=view, title=title, legend=legend)


def to_dot(root: Value, **options: object) -> str:
    """The DOT source of `draw(root, **options)`: byte-identical for the same expression on every run."""
    return draw(root, **options).source  # type: ignore[arg-type]


def render(root: Value, path: str | Path, *, timeout: float = 120, **options: object) -> Path:
    """Write `path` (.svg, .png, .pdf or .dot); the .dot source is always written next to it first."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(
            f"cannot tell the format of {str(path)!r}: end the file name with .svg, .png, .pdf or .dot"
        )
    source = to_dot(root, **options)
    return write(source, path, timeout=timeout)


def write(source: str, path: Path, *, timeout: float = 120) -> Path:
    """Write DOT `source` to `path`'s .dot file, then run `dot` for other formats; return `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dot_path = path.with_suffix(".dot")
    dot_path.write_text(source, encoding="utf-8")
    fmt = path.suffix.lstrip(".").lower()
    if fmt == "dot":
        return path
    program = shutil.which("dot")
    if program is None:
        raise DotNotFoundError(
            f"Graphviz's `dot` program was not found on PATH, so {path.name} was not made; the DOT source "
            f"is in {dot_path}. To draw it, {INSTALL_HINT}; then run: dot -T{fmt} {dot_path} -o {path}"
        )
    try:
        subprocess.run(
            [program, f"-T{fmt}", str(dot_path), "-o", str(path)],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"`dot` took more than {timeout} s on {dot_path}; draw a smaller graph or group it into layers "
            f"and lower max_nodes so that layers are collapsed"
        ) from None
    except subprocess.CalledProcessError as error:
        message = error.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"`dot` failed on {dot_path}: {message}") from None
    return path

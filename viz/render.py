"""Step 3 of a drawing: the public API — a Digraph, DOT text, or SVG/PNG/PDF files via `dot`.

The `graphviz` Python package is imported only when a Digraph is made, so `to_dot`-free uses
(`viz.records`, `viz.chain`) work without it; `dot` always runs with a timeout, in files and in
notebooks alike, through `viz.graphviz_run.run`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autodiff import Value

from .build import graph_scene
from .dot import digraph, load_graphviz
from .graphviz_run import DEFAULT_TIMEOUT, DotNotFoundError, run
from .marks import Marks
from .readability import DEFAULT_BUDGET, PAGE_WIDTH
from .records import DEFAULT_MAX_NODES
from .style import HIDDEN_IN_SVG
from .views import View, as_view

if TYPE_CHECKING:
    import graphviz


FORMATS = ("svg", "png", "pdf", "dot")


_DRAWING: type | None = None


def _drawing_class() -> type:
    """`graphviz.Digraph` whose notebook display runs `dot` with a timeout and explains a missing `dot`."""
    global _DRAWING
    if _DRAWING is None:
        base = load_graphviz().Digraph

        class Drawing(base):  # type: ignore[misc, valid-type]
            """A `graphviz.Digraph` shown inline in Jupyter through `dot` with a timeout."""

            timeout: float = DEFAULT_TIMEOUT

            def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
                try:
                    return {
                        "image/svg+xml": without_hidden_text(
                            run("dot", "svg", self.source, timeout=self.timeout).decode("utf-8")
                        )
                    }
                except (DotNotFoundError, TimeoutError, RuntimeError) as error:
                    return {"text/plain": f"viz: {error}"}

            def _repr_svg_(self) -> str | None:
                return self._repr_mimebundle_().get("image/svg+xml")

        _DRAWING = Drawing
    return _DRAWING


def draw(
    root: Value,
    *,
    view: str | View = "backward",
    params: Iterable[Value] | None = None,
    delta_names: Mapping[Value, str] | None = None,
    names: Mapping[Value, str] | None = None,
    title: str | None = None,
    legend: bool = True,
    lr: Any = None,
    focus: Value | None = None,
    budget: int | None = DEFAULT_BUDGET,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    edge_width: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    marks: Marks | None = None,
) -> graphviz.Digraph:
    """The graph that produced `root` as a `graphviz.Digraph` (shown inline in Jupyter, `dot` with a timeout).

    `view` is "backward" (arrows from the loss back to the inputs, each saying δ = δ_out · factor in
    names then numbers) or "forward" (same layout, values only), or a `viz.views.View`. Weights are the
    `params` given (pass `model.parameters()`), or else the `autodiff.Parameter`s; other leaves are
    inputs. `delta_names` renames δs, e.g. {o3: "δ4"}; `names` names nodes in the picture only. `lr`
    shows each weight's step ŵ = w − α·δw. `focus` (a node, e.g. one weight) draws only the paths from
    the loss to it. Above `budget` drawn nodes (None: no budget) the drawing is shrunk, one box per
    neuron then per layer, and the heading says so; more than `max_nodes` nodes are refused unread.
    `edge_width` makes arrows wider as |δ| grows. `marks` maps nodes (Values, or the names they are
    shown with) to marks from `viz.marks.MARKS`, e.g. {o2: ["wrong"], "o1_1": "blank"}.
    """
    if isinstance(view, str) and view == "both":
        raise ValueError("draw makes one view; use render(root, 'out/g.svg', view='both') for side by side")
    shown = as_view(view)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str (the picture's heading) or None, got {type(title).__name__}")
    scene = graph_scene(
        root,
        params=params,
        delta_names=delta_names,
        names=names,
        lr=lr,
        focus=focus,
        max_nodes=max_nodes,
        marks=marks,
        budget=budget,
    )
    g = digraph(scene, view=shown, title=title, legend=legend, edge_width=edge_width)
    drawing = _drawing_class()(name=g.name, body=list(g.body), graph_attr=dict(g.graph_attr))
    drawing.node_attr.update(g.node_attr)
    drawing.edge_attr.update(g.edge_attr)
    drawing.timeout = _check_timeout(timeout)
    return drawing


DRAW_OPTIONS = frozenset(
    (
        "view",
        "params",
        "delta_names",
        "names",
        "title",
        "legend",
        "lr",
        "focus",
        "budget",
        "max_nodes",
        "edge_width",
        "marks",
    )
)


def _check_options(options: Mapping[str, object], caller: str) -> None:
    unknown = sorted(set(options) - DRAW_OPTIONS - {"timeout"})
    if unknown:
        known = ", ".join(sorted(DRAW_OPTIONS))
        raise TypeError(f"{caller}() got unknown option(s) {', '.join(unknown)}; it takes: {known}, timeout")


def _check_timeout(timeout: object) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return float(timeout)


def to_dot(root: Value, **options: Any) -> str:
    """The DOT source of `draw(root, **options)`: byte-identical for the same expression on every run."""
    _check_options(options, "to_dot")
    return str(draw(root, **options).source)


def render(root: Value, path: str | Path, *, timeout: float = DEFAULT_TIMEOUT, **options: Any) -> Path:
    """Write `path` (.svg, .png, .pdf or .dot); the .dot source is always written next to it first.

    `view="both"` writes `name-forward`, `name-backward` and, side by side in one figure, `name` itself.
    """
    _check_options(options, "render")
    _check_timeout(timeout)
    if not isinstance(path, str | os.PathLike):
        raise TypeError(
            f"render() needs the path of the file to write (a str or pathlib.Path ending in .svg, .png, "
            f".pdf or .dot), got {type(path).__name__}"
        )
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(
            f"cannot tell the format of {str(path)!r}: end the file name with .svg, .png, .pdf or .dot"
        )
    if options.get("view") == "both":
        sides = []
        for side in ("forward", "backward"):
            other = path.with_name(f"{path.stem}-{side}{path.suffix}")
            sides.append(write(to_dot(root, **{**options, "view": side}), other, timeout=timeout))
        if fmt == "dot":
            return sides[1]
        return side_by_side(sides[0], sides[1], path)
    return write(to_dot(root, **options), path, timeout=timeout)


def write(source: str, path: Path, *, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Write DOT `source` to `path`'s .dot file, then run `dot` for other formats; return `path`."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    dot_path = path if fmt == "dot" else path.with_suffix(".dot")
    dot_path.write_text(source, encoding="utf-8")
    if fmt == "dot":
        return path
    run("dot", fmt, source, timeout=timeout, what=dot_path, saved=dot_path, output=path)
    if fmt == "svg":
        svg = path.read_text(encoding="utf-8")
        path.write_text(dark_friendly(without_hidden_text(svg)), encoding="utf-8")
    return path


DARK_STYLE = (
    "<style>@media (prefers-color-scheme: dark) { svg { filter: invert(0.9) hue-rotate(180deg); } }</style>"
)
"""In a dark page the picture turns dark too: lightness inverted, hues (red δ < 0, blue δ > 0) kept."""


_HIDDEN_TEXT = re.compile(
    r'<text\b[^>]*\bfill="(?:' + "|".join(map(re.escape, HIDDEN_IN_SVG)) + r')"[^>]*>.*?</text>\n?', re.S
)


def without_hidden_text(svg: str) -> str:
    """`svg` without the text a view laid out but hides (the forward view's δs): nothing to select or find.

    The text was laid out so that every view puts each node at the same place; once `dot` has placed
    it, it is taken out of the SVG rather than left as near-white ghost text.
    """
    return _HIDDEN_TEXT.sub("", svg)


def dark_friendly(svg: str) -> str:
    """`svg` with a style that follows the reader's dark mode (added once, after the opening tag)."""
    if DARK_STYLE in svg:
        return svg
    found = re.search(r"<svg\b[^>]*>", svg)
    if found is None:
        return svg
    return svg[: found.end()] + "\n" + DARK_STYLE + svg[found.end() :]


_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def side_by_side(left: Path, right: Path, path: Path) -> Path:
    """One figure with `left` and `right` side by side (SVG by nesting; PNG with Pillow).

    When side by side is wider than a page (`viz.readability.PAGE_WIDTH` points), `left` goes above
    `right` instead.
    """
    fmt = path.suffix.lstrip(".").lower()
    if fmt == "svg":
        parts = [left.read_text(encoding="utf-8"), right.read_text(encoding="utf-8")]
        sizes = []
        bodies = []
        for svg in parts:
            found = _SIZE.search(svg)
            if found is None:
                raise RuntimeError(f"cannot read the size of {left if svg is parts[0] else right}")
            sizes.append((float(found.group(1)), float(found.group(2))))
            bodies.append(svg[found.start() :])
        stacked = sizes[0][0] + sizes[1][0] > PAGE_WIDTH
        if stacked:
            width, height = max(w for w, _ in sizes), sizes[0][1] + sizes[1][1]
            places = [(0.0, 0.0), (0.0, sizes[0][1])]
        else:
            width, height = sizes[0][0] + sizes[1][0], max(h for _, h in sizes)
            places = [(0.0, 0.0), (sizes[0][0], 0.0)]
        # Inside the figure one user unit is one point: the pictures' own sizes lose their unit.
        inner = [
            _SIZE.sub(f'<svg x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}"', body, count=1)
            for body, (x, y), (w, h) in zip(bodies, places, sizes, strict=True)
        ]
        figure = (
            '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
            f'<svg width="{width:.2f}pt" height="{height:.2f}pt" viewBox="0 0 {width:.2f} {height:.2f}" '
            'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">\n'
            + "\n".join(body.replace(DARK_STYLE, "") for body in inner)
            + "</svg>\n"
        )
        path.write_text(dark_friendly(figure), encoding="utf-8")
        return path
    if fmt == "png":
        try:
            from PIL import Image
        except ModuleNotFoundError:
            raise RuntimeError(
                f"side by side PNG needs Pillow (pip install pillow); {left} and {right} were written"
            ) from None
        with Image.open(left) as a, Image.open(right) as b:
            if (a.width + b.width) * 72 / 96 > PAGE_WIDTH:  # Graphviz's PNGs have 96 pixels per inch
                both = Image.new("RGB", (max(a.width, b.width), a.height + b.height), "white")
                both.paste(b, (0, a.height))
            else:
                both = Image.new("RGB", (a.width + b.width, max(a.height, b.height)), "white")
                both.paste(b, (a.width, 0))
            both.paste(a, (0, 0))
            both.save(path)
        return path
    raise ValueError(f"view='both' makes one figure as .svg or .png; {left} and {right} were written")

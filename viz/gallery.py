"""The gallery (docs/gallery): the article's example and real models, each drawn within the budget.

`python -m viz gallery DIR` writes every picture as DOT and SVG. Each entry is a function giving
the loss to draw and the options of `viz.draw`, so tests can check the same drawings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from autodiff import Value
from autodiff.learn.datasets import make_moons, moons_model
from autodiff.learn.nn import MLP, HalfSquaredError
from autodiff.learn.optim import SGD

from .article import patient
from .network import network_dot, network_scene
from .render import side_by_side, to_dot, write

VIEWS = ("forward", "backward")

ARTICLE_LR = Fraction(1, 10**7)


@dataclass(frozen=True)
class Picture:
    """One gallery drawing: the loss and the options given to `viz.draw`."""

    loss: Value
    options: dict[str, Any] = field(default_factory=dict)
    network: str | None = None  # the DOT of the network view, when the picture is drawn that way


def article_patient(number: int, lr: Any = None) -> Picture:
    """The article's patient `number` as the epoch meets it, with the weights' updates when `lr` is given."""
    p = patient(number)
    options = {"params": p.params, "delta_names": p.delta_names, "names": p.names, "title": p.title}
    if lr is not None:
        options["lr"] = lr
    return Picture(p.loss, options)


def _mlp_sample(sizes: list[int], seed: int = 0) -> tuple[MLP, Value, list[Value]]:
    model = MLP(2, sizes, seed=seed)
    points, labels = make_moons(8, seed=seed)
    x, y = points[0], 1.0 if labels[0] == 1 else -1.0
    trace = model.trace(list(x), y, HalfSquaredError())
    assert trace.loss is not None
    trace.loss.backward()
    return model, trace.loss, list(trace.inputs)


def mlp_after_one_step() -> Picture:
    """A 2-4-4-1 MLP on one moons point after one SGD step (lr 0.1): the second pass's δs."""
    model, _, _ = _mlp_sample([4, 4, 1])
    SGD(model.parameters(), lr=0.1).step()
    model.zero_grad()
    points, labels = make_moons(8, seed=0)
    trace = model.trace(list(points[0]), 1.0 if labels[0] == 1 else -1.0, HalfSquaredError())
    assert trace.loss is not None
    trace.loss.backward()
    title = "A 2-4-4-1 MLP on one point, after one step of SGD (lr = 0.1)"
    return Picture(trace.loss, {"params": model.parameters(), "title": title})


def moons_one_point() -> Picture:
    """The moons model (2-16-16-1) on one point, drawn as a network: all 33 neurons and 304 weights."""
    model = moons_model(seed=0)
    points, labels = make_moons(8, seed=0)
    x, y = list(points[0]), 1.0 if labels[0] == 1 else -1.0
    title = "The moons model (2-16-16-1) on one point"
    drawing = network_dot(network_scene(model, x, y, title=title))
    trace = model.trace(x, y, HalfSquaredError())
    assert trace.loss is not None
    trace.loss.backward()
    return Picture(trace.loss, {"params": model.parameters(), "title": title}, drawing)


def focus_on_one_weight() -> Picture:
    """The 2-4-4-1 MLP with focus= on one first-layer weight: only the paths from the loss to it."""
    model, loss, _ = _mlp_sample([4, 4, 1])
    weight = model.layers[0].parameters()[0]
    title = f"The paths from the loss to {weight.name} in a 2-4-4-1 MLP (focus={weight.name})"
    return Picture(loss, {"params": model.parameters(), "focus": weight, "title": title})


PICTURES: dict[str, Callable[[], Picture]] = {
    # The article's epoch: each patient after the earlier ones' updates, with its own step ŵ = w − α·δw.
    "patient1": lambda: article_patient(1, ARTICLE_LR),
    "patient2": lambda: article_patient(2, ARTICLE_LR),
    "patient3": lambda: article_patient(3, ARTICLE_LR),
    "mlp-2-4-4-1": mlp_after_one_step,
    "moons-2-16-16-1": moons_one_point,
    "focus-one-weight": focus_on_one_weight,
}
"""The gallery by file name (without suffix)."""


def picture_dot(name: str, view: str = "backward") -> str:
    """The DOT source of gallery picture `name`."""
    picture = PICTURES[name]()
    if picture.network is not None and view == "backward":
        return picture.network
    return to_dot(picture.loss, view=view, **picture.options)


def write_gallery(directory: Path, fmt: str = "svg") -> list[Path]:
    """Write every gallery picture to `directory` (its .dot next to it), and patient 3's two views side by
    side as `patient3-both`; return the paths."""
    paths = [write(picture_dot(name), directory / f"{name}.{fmt}") for name in PICTURES]
    sides = [write(picture_dot("patient3", view), directory / f"patient3-{view}.{fmt}") for view in VIEWS]
    if fmt in ("svg", "png"):
        paths.append(side_by_side(sides[0], sides[1], directory / f"patient3-both.{fmt}"))
        for side in sides:
            side.unlink()
            side.with_suffix(".dot").unlink()
    return paths

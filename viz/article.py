"""The articles' example, ready to draw: one patient's graph after the epoch's earlier updates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autodiff import Value, format_number
from autodiff.articles import gradient_descent as article

from .build import step_scene
from .render import to_dot, write
from .scene import Scene


@dataclass(frozen=True)
class PatientDrawing:
    """What `draw` needs for one patient: the loss, the weights, the articles' δ names, a title."""

    loss: Value
    params: tuple[Value, ...]
    delta_names: dict[Value, str]
    names: dict[Value, str]
    title: str

    def step_scene(self, lr: Any = None) -> Scene:
        """The patient's backward pass and updates as steps, at `lr` (the article's α when None)."""
        return step_scene(
            self.loss,
            lr=article.LEARNING_RATE if lr is None else lr,
            params=self.params,
            names=self.names,
            delta_names=self.delta_names,
            title=self.title,
        )


def patient(number: int) -> PatientDrawing:
    """Patient `number` (1-3) as the article's epoch meets it: earlier patients' updates applied."""
    if number not in range(1, len(article.PATIENTS) + 1):
        raise ValueError(f"the article has patients 1 to {len(article.PATIENTS)}, got {number}")
    w2 = article.weights()
    for x, y in article.PATIENTS[: number - 1]:
        article.learn(x, y, w2)
    x, y = article.PATIENTS[number - 1]
    g = article.forward(x, y, w2)
    g.loss.backward()
    # The articles' names for the learning flow: δ4 at o3, δ3 at o2, δ2 at o1, δ1 at x, δw2 at w2.
    names: dict[Value, str] = {g.o3: "δ4", g.o2: "δ3"}
    for i in range(len(x)):
        names[g.o1[i]] = f"δ2_{i + 1}"
        names[g.x[i]] = f"δ1_{i + 1}"
        names[g.w2[i]] = f"δw2_{i + 1}"
    shown_x = ", ".join(format_number(v) for v in x)
    title = f"Patient {number}: x = ({shown_x}), y_truth = {y}, loss = {format_number(g.loss.data)}"
    return PatientDrawing(g.loss, g.w2, names, {g.y: "y_truth"}, title)


def patient_dot(number: int, view: str = "backward", lr: Any = None) -> str:
    """The DOT source of patient `number`'s drawing (with each weight's step when `lr` is given)."""
    p = patient(number)
    return to_dot(
        p.loss, view=view, params=p.params, delta_names=p.delta_names, names=p.names, title=p.title, lr=lr
    )


def write_patient(
    number: int, directory: Path, view: str = "backward", fmt: str = "svg", lr: Any = None
) -> Path:
    """Write patient `number`'s drawing as `directory/patientN[-forward].dot` and `.fmt`; return its path."""
    suffix = "" if view == "backward" else f"-{view}"
    return write(patient_dot(number, view, lr), directory / f"patient{number}{suffix}.{fmt}")

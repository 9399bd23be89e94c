"""The δ picture of a checked derivation: the wrong δs outlined, the first wrong one (the root cause) marked.

    report = autodiff.check_deltas(loss, {"δ3": 0, ...})
    viz.checked.write_report(report, "out/check.svg")

The report becomes marks (`viz.marks`): "wrong" on every wrong δ, "cause" on the first one and
"carried" on those wrong only because they used a wrong δ; the theme (`viz.style.MARK`) draws them
over the backward view's layout, node for node.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autodiff import Value
from autodiff.check import DeltaReport

from .marks import Marks
from .records import GraphRecords
from .render import draw, write
from .views import BackwardView


class _Headed(BackwardView):
    """The backward view under the checked derivation's own heading (marks are drawn by the theme)."""

    name = "backward"  # the same element ids as the plain backward picture

    def __init__(self, heading: str | None = None):
        self._heading = heading

    def heading(self, graph: GraphRecords) -> str:
        """The backward heading, or the checked derivation's own."""
        return self._heading or super().heading(graph)


def report_marks(report: DeltaReport) -> dict[Value, set[str]]:
    """The marks of a checked derivation: every wrong δ, the first one as the cause, the carried ones."""
    marks: dict[Value, set[str]] = {}
    for row in report.rows:
        if row.ok or row.node is None:
            continue
        words = {"wrong"}
        if row.name == report.first_wrong:
            words.add("cause")
        if row.name in report.carried:
            words.add("carried")
        marks[row.node] = words
    return marks


def marked_dot(root: Value, marks: Marks, heading: str | None = None, **options: Any) -> str:
    """The DOT source of the backward picture of `root` with `marks` drawn (see `viz.marks`)."""
    return str(draw(root, view=_Headed(heading), marks=marks, **options).source)


def report_dot(report: DeltaReport, **options: Any) -> str:
    """The DOT source of the δ picture of `report`'s graph, the wrong δs outlined and the cause marked."""
    if report.root is None:
        raise ValueError("this report has no graph to draw (make it with autodiff.check_deltas)")
    # A drawing shows .grad: each node holds the report's right δ while it is drawn, then its own again.
    root = report.root
    saved = [(n, n.grad) for n in report.deltas]
    try:
        for n, delta in report.deltas.items():
            n.grad = delta
        wrong = ", ".join(report.wrong)
        heading = f"Your δs checked: ✗ {wrong} (outlined; the first wrong, {report.first_wrong}, twice)"
        return marked_dot(
            root, report_marks(report), heading=heading, delta_names=report.delta_names, **options
        )
    finally:
        for n, grad in saved:
            n.grad = grad


def write_report(report: DeltaReport, path: str | Path, **options: Any) -> Path:
    """Write the δ picture of `report` to `path` (.svg, .png, .pdf or .dot; the .dot next to it)."""
    return write(report_dot(report, **options), Path(path))

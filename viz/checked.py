"""The δ picture of a checked derivation: the wrong δs outlined, the first wrong one (the root cause) marked.

    report = autodiff.check_deltas(loss, {"δ3": 0, ...})
    viz.checked.write_report(report, "out/check.svg")

Marks are sets of words per node: "wrong" (a thick outline), "cause" (a double outline and the
label "first wrong"), "carried" (dashed: wrong only because it used a wrong δ), "blank" (its δ
hidden, for worksheets). They are drawn through the `View.node_attrs` hook, so the layout is the
backward view's, node for node.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from autodiff import Value, topological_order
from autodiff.check import DeltaReport

from .records import GraphRecords, NodeRecord
from .render import draw, write
from .style import CARRIED, WRONG
from .views import BackwardView

MARKS = ("wrong", "cause", "carried", "blank")


class MarkedView(BackwardView):
    """The backward view with some nodes outlined; `marks` maps record ids (`n3`) to sets of MARKS."""

    name = "backward"  # the same element ids as the plain backward picture

    def __init__(self, marks: Mapping[str, set[str]], heading: str | None = None):
        self.marks = marks
        self._heading = heading

    def heading(self, graph: GraphRecords) -> str:
        """The backward heading, or the checked derivation's own."""
        return self._heading or super().heading(graph)

    def node_attrs(self, node: NodeRecord, attrs: dict[str, str]) -> dict[str, str]:
        """Outline wrong nodes; mark the root cause."""
        marks = self.marks.get(node.id, set())
        if "wrong" in marks or "cause" in marks:
            carried = "carried" in marks and "cause" not in marks
            attrs["color"] = CARRIED if carried else WRONG
            attrs["penwidth"] = "2.5" if carried else "4"
            if carried:
                attrs["style"] = attrs.get("style", "filled") + ",dashed"
            attrs["class"] += " ad-wrong" + (" ad-carried" if carried else "")
        if "cause" in marks:
            attrs["peripheries"] = "2"
            attrs["xlabel"] = "✗ first wrong"
            attrs["fontcolor"] = WRONG
            attrs["class"] += " ad-cause"
        if "blank" in marks:
            attrs["class"] += " ad-blank"
        return attrs


def _marks_by_id(root: Value, marks: Mapping[Value | str, Iterable[str]]) -> dict[str, set[str]]:
    # Record ids follow the full walk's order (`viz.records`): the loss is n0.
    order = topological_order(root, only_requiring_grad=False)
    ids = {id(node): f"n{i}" for i, node in enumerate(order)}
    by_name = {node.name: node for node in order if node.name is not None}
    out: dict[str, set[str]] = {}
    for key, words in marks.items():
        node = key if isinstance(key, Value) else by_name.get(key)
        if node is None or id(node) not in ids:
            raise KeyError(f"{key!r} is not a node of this graph")
        chosen = set(words)
        unknown = chosen - set(MARKS)
        if unknown:
            raise ValueError(f"marks are words among {', '.join(MARKS)}, got {', '.join(sorted(unknown))}")
        out.setdefault(ids[id(node)], set()).update(chosen)
    return out


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


def marked_dot(
    root: Value, marks: Mapping[Value | str, Iterable[str]], heading: str | None = None, **options: Any
) -> str:
    """The DOT source of the backward picture of `root` with `marks` drawn (see the module docstring)."""
    view = MarkedView(_marks_by_id(root, marks), heading)
    return str(draw(root, view=view, **options).source)


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

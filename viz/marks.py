"""Marks: what a scene's node is, besides its kind, for the reader (the theme in `viz.style` draws them).

    "pending"   its δ is not known yet (the step frames)
    "current"   the node of the current step
    "wrong"     a learner's δ here is wrong
    "cause"     the first wrong δ: the one the others were carried from
    "carried"   wrong only because a wrong δ was carried into it
    "blank"     its δ is left for the reader: `δ3 = ?`, the picture otherwise unchanged

`viz.draw(root, marks={o2: ["wrong"]})` and `viz.to_html(loss, marks={"o2": "cause"})` take a
mapping from a node (a Value, or the name it is shown with) to its mark names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from autodiff import Value

if TYPE_CHECKING:
    from .names import Names

MARKS = ("pending", "current", "wrong", "cause", "carried", "blank")
"""The vocabulary, in the order the theme lays the marks' looks over each other."""

Marks = Mapping[Value | str, Iterable[str] | str]


def check(names: Iterable[str] | str) -> frozenset[str]:
    """The mark names as a frozenset (one name may be given alone); an unknown one is a ValueError."""
    chosen = (names,) if isinstance(names, str) else tuple(names)
    for mark in chosen:
        if mark not in MARKS:
            known = ", ".join(repr(m) for m in MARKS)
            raise ValueError(f"unknown mark {mark!r}; the marks are {known}")
    return frozenset(chosen)


def resolve(marks: Marks | None, naming: Names) -> dict[str, frozenset[str]]:
    """`marks` by node id: a Value is its own node, a str every node shown with that name."""
    if marks is None:
        return {}
    if not isinstance(marks, Mapping):
        raise TypeError(
            f"marks maps nodes (Values, or their names) to mark names, e.g. {{o2: ['wrong']}}; "
            f"got {type(marks).__name__}"
        )
    out: dict[str, frozenset[str]] = {}
    by_name: dict[str, list[str]] | None = None
    for key, names in marks.items():
        chosen = check(names)
        if isinstance(key, Value):
            if not naming.has(key):
                raise ValueError(f"marks: {naming.short(key)} is not a node of the graph being drawn")
            ids = [naming.id(key)]
        elif isinstance(key, str):
            if by_name is None:
                by_name = {}
                for node in naming.order:
                    by_name.setdefault(naming.name(node), []).append(naming.id(node))
            ids = by_name.get(key, [])
            if not ids:
                raise ValueError(f"marks: no node of the graph is shown with the name {key!r}")
        else:
            raise TypeError(f"marks keys are nodes (Values) or their names (str), got {type(key).__name__}")
        for node_id in ids:
            out[node_id] = out.get(node_id, frozenset()) | chosen
    return out

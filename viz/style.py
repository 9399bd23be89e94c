"""Colours and shapes shared by the drawing and its legend.

Every text colour has a contrast of at least 4.5:1 on white (WCAG AA) and on the boxes' fills.
"""

from __future__ import annotations

from typing import Any

from .records import CONSTANT, INPUT, OPERATION, WEIGHT
from .summary import NEURON, SUMMARY

FONT = "Helvetica"
NEGATIVE, POSITIVE, ZERO = "#b03020", "#1f5fbf", "#6b6b6b"
"""Colours of a δ: red below zero, blue above, grey at zero (no learning flows there)."""
MUTED = "#555555"
WRONG, CARRIED = "#8a1c7c", "#b0679f"
"""Outlines of a checked derivation (`viz.checked`): a wrong δ, and one wrong only because it used one."""
RIGHT = "#1e6b34"
"""A right answer in the quiz page (`viz.quiz`); a wrong one is WRONG."""

STYLE = {
    WEIGHT: {"fillcolor": "#fde3bf", "color": "#c46a12", "penwidth": "2"},
    INPUT: {"fillcolor": "#eef2f6", "color": "#6f8aa6"},
    CONSTANT: {"fillcolor": "#f0f0f0", "color": "#9a9a9a", "fontsize": "11", "margin": "0.04,0.02"},
    OPERATION: {"fillcolor": "#ffffff", "color": "#555555"},
    NEURON: {"fillcolor": "#ffffff", "color": "#555555", "penwidth": "1.5"},
    SUMMARY: {"fillcolor": "#f4f4f4", "color": "#555555", "style": "filled,dashed"},
}
KIND_WORD = {WEIGHT: "weight", INPUT: "input"}


def sign_colour(x: Any) -> str:
    """The colour of a δ (or a local derivative) by its sign."""
    try:
        return NEGATIVE if x < 0 else POSITIVE if x > 0 else ZERO
    except TypeError:  # NaN-like or unordered numbers: no sign to show
        return ZERO

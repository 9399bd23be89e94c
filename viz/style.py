"""Colours and shapes shared by the drawing and its legend."""

from __future__ import annotations

from typing import Any

from .records import CONSTANT, INPUT, OPERATION, WEIGHT
from .summary import SUMMARY

FONT = "Helvetica"
NEGATIVE, POSITIVE, ZERO = "#c0392b", "#1f5fbf", "#9a9a9a"
"""Colours of a δ: red below zero, blue above, grey at zero (no learning flows there)."""

STYLE = {
    WEIGHT: {"fillcolor": "#fde3bf", "color": "#d9822b", "penwidth": "2"},
    INPUT: {"fillcolor": "#dcecfb", "color": "#3b7dd8"},
    CONSTANT: {"fillcolor": "#f0f0f0", "color": "#b5b5b5", "fontsize": "10", "margin": "0.04,0.02"},
    OPERATION: {"fillcolor": "#ffffff", "color": "#555555"},
    SUMMARY: {"fillcolor": "#f4f4f4", "color": "#555555", "style": "filled,dashed"},
}
KIND_WORD = {WEIGHT: "weight", INPUT: "input"}


def sign_colour(x: Any) -> str:
    """The colour of a δ (or a local derivative) by its sign."""
    try:
        return NEGATIVE if x < 0 else POSITIVE if x > 0 else ZERO
    except TypeError:  # NaN-like or unordered numbers: no sign to show
        return ZERO

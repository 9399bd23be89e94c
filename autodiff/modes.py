"""Per-thread recording state: whether graphs are recorded, the current layer label, anomaly checks.

Each thread has its own state, so `no_grad()` in one thread never stops recording in another.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _State(threading.local):
    # Class attributes are the defaults every new thread starts from.
    grad_enabled: bool = True
    layer: str | None = None
    anomaly: bool = False


state = _State()


def is_grad_enabled() -> bool:
    """True when new operations are recorded into the graph (the default)."""
    return state.grad_enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Record nothing inside the block: results are plain leaves that do not require a gradient."""
    previous = state.grad_enabled
    state.grad_enabled = False
    try:
        yield
    finally:
        state.grad_enabled = previous


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record operations again inside the block, even within `no_grad()`."""
    previous = state.grad_enabled
    state.grad_enabled = True
    try:
        yield
    finally:
        state.grad_enabled = previous


@contextmanager
def layer(label: str) -> Iterator[None]:
    """Tag every Value created inside the block with `label` (drawn as a box such as "L2")."""
    if not isinstance(label, str) or not label:
        raise TypeError(f"layer() needs a non-empty str label, got {label!r}")
    previous = state.layer
    state.layer = label
    try:
        yield
    finally:
        state.layer = previous


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise FloatingPointError as soon as an operation or a gradient produces NaN or infinity."""
    previous = state.anomaly
    state.anomaly = True
    try:
        yield
    finally:
        state.anomaly = previous

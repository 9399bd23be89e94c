"""Per-thread recording state: whether graphs are recorded, the current layer label, anomaly checks.

Each thread has its own state, so `no_grad()` in one thread never stops recording in another.
Also here: `gc_paused()`, which pauses Python's cyclic garbage collector while large graphs are built.
"""

from __future__ import annotations

import enum
import gc
import threading
from collections.abc import Iterator
from contextlib import ContextDecorator, contextmanager
from types import TracebackType
from typing import Final, Literal


class _Slow(enum.Enum):
    """The marker in `state.fast` meaning: take the general recording path (see `_State`)."""

    SLOW = "SLOW"


SLOW: Final = _Slow.SLOW


class _State(threading.local):
    """The three flags, plus `fast`: all of them folded into the one attribute the hot paths read.

    `fast` is the layer label to stamp on new nodes (a str or None) when operations are recorded
    plainly (grad enabled, anomaly checks off), and `SLOW` otherwise: one thread-local read per
    operation instead of three. The setters below keep it in step with the flags.
    """

    def __init__(self) -> None:
        self._grad_enabled = True
        self._layer: str | None = None
        self._anomaly = False
        self._counting = True
        self.fast: str | Literal[_Slow.SLOW] | None = None
        self._unusual = False  # counted in `_unusual_threads`

    def _update(self) -> None:
        global everywhere_default, _unusual_threads
        plain = self._grad_enabled and not self._anomaly and self._counting
        self.fast = self._layer if plain else SLOW
        unusual = self.fast is not None
        if unusual is not self._unusual:
            with _count_lock:
                self._unusual = unusual
                _unusual_threads += 1 if unusual else -1
                everywhere_default = _unusual_threads == 0

    @property
    def grad_enabled(self) -> bool:
        """True when new operations are recorded into the graph."""
        return self._grad_enabled

    @grad_enabled.setter
    def grad_enabled(self, flag: bool) -> None:
        self._grad_enabled = bool(flag)
        self._update()

    @property
    def layer(self) -> str | None:
        """The label stamped on new Values (None outside any `layer(...)` block)."""
        return self._layer

    @layer.setter
    def layer(self, label: str | None) -> None:
        self._layer = label
        self._update()

    @property
    def counting(self) -> bool:
        """False while a backward pass runs hooks: their operations add nothing to `_uses`."""
        return self._counting

    @counting.setter
    def counting(self, flag: bool) -> None:
        self._counting = bool(flag)
        self._update()

    @property
    def anomaly(self) -> bool:
        """True inside `detect_anomaly()`."""
        return self._anomaly

    @anomaly.setter
    def anomaly(self, flag: bool) -> None:
        self._anomaly = bool(flag)
        self._update()


state = _State()

# True while every thread records plainly (grad enabled, no layer label, no anomaly checks): the
# hot paths then read this module attribute instead of the thread-local `state.fast`, which costs
# several times more. A thread that leaves the default counts itself in `_unusual_threads` first.
# A thread that ends inside a block stays counted, which only sends every thread the slower way.
everywhere_default = True
_unusual_threads = 0
_count_lock = threading.Lock()


def is_grad_enabled() -> bool:
    """True when new operations are recorded into the graph (the default)."""
    return state.grad_enabled


class _Setting(ContextDecorator):
    """Set one attribute of `state` inside a `with` block and restore the previous value after it."""

    # A class rather than @contextmanager: `layer(...)` is entered once per layer and per sample
    # in every model, and a generator-based context manager costs several times more.
    __slots__ = ("_attribute", "_previous", "_value")

    def __init__(self, attribute: str, value: object) -> None:
        self._attribute = attribute
        self._value = value
        self._previous: object = None

    def _recreate_cm(self) -> _Setting:
        # Used as a decorator, each call gets its own object (so recursive calls restore correctly).
        return _Setting(self._attribute, self._value)

    def __enter__(self) -> None:
        self._previous = getattr(state, self._attribute)
        setattr(state, self._attribute, self._value)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        setattr(state, self._attribute, self._previous)


def no_grad() -> _Setting:
    """Record nothing inside the block: results are plain leaves that do not require a gradient."""
    return _Setting("grad_enabled", False)


def enable_grad() -> _Setting:
    """Record operations again inside the block, even within `no_grad()`."""
    return _Setting("grad_enabled", True)


def layer(label: str) -> _Setting:
    """Tag every Value created inside the block with `label` (drawn as a box such as "L2")."""
    if not isinstance(label, str) or not label:
        raise TypeError(f"layer() needs a non-empty str label, got {label!r}")
    return _Setting("layer", label)


def uncounted() -> _Setting:
    """Record operations without adding to their inputs' use counts (hooks run inside a backward pass)."""
    return _Setting("counting", False)


def detect_anomaly() -> _Setting:
    """Raise FloatingPointError as soon as an operation or a gradient produces NaN or infinity."""
    return _Setting("anomaly", True)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector inside the block; its previous state comes back after.

    autodiff's graphs hold no reference cycles, so they are freed as soon as they are dropped, but
    while a large graph is alive every automatic collection scans all of it again: on a graph of a
    million nodes that is more than half of the time. Pausing the collector is safe for autodiff's
    own objects; cyclic garbage your code makes inside the block is collected after it. The state
    is restored on exit, also when the block raises, and a block inside another keeps it paused.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

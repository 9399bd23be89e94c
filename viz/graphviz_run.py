"""The one place viz runs Graphviz: `run(engine, fmt, source)` for `dot` and `neato`, one error text.

Every picture (the drawing and its files, a notebook's inline SVG, the step frames and their
layout read back as JSON) goes through `run`, always with a timeout, with the DOT source on stdin
(so no file name can ever be read as an option). A missing program, a slow one and a failing one
each raise one error, worded here once.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

ENGINES = ("dot", "neato")
"""`dot` lays a graph out; `neato -n2` draws one at the positions given (the step frames)."""
FORMATS = ("svg", "png", "pdf", "json0")
DEFAULT_TIMEOUT = 30.0
"""Seconds a Graphviz program may take before it is stopped (a drawing in the budget takes under 5)."""

INSTALL_HINT = (
    "install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "or see https://graphviz.org/download/"
)


class DotNotFoundError(RuntimeError):
    """Graphviz's `dot` (or `neato`) program is not on PATH (a .dot file is written before this is raised)."""


def program(engine: str, *, source: Path | None = None, output: Path | None = None, fmt: str = "svg") -> str:
    """The path of Graphviz's `engine`, or a DotNotFoundError saying how to install it.

    When the DOT `source` was saved for `output`, the message says where, and how to draw it later.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    found = shutil.which(engine)
    if found is not None:
        return found
    if source is not None and output is not None:
        raise DotNotFoundError(
            f"Graphviz's `{engine}` program was not found on PATH, so {output.name} was not made; the DOT "
            f"source is in {source}. To draw it, {INSTALL_HINT}; then run: "
            f"{engine} -T{fmt} {source} -o {output}"
        )
    raise DotNotFoundError(f"Graphviz's `{engine}` program was not found on PATH. To draw, {INSTALL_HINT}")


def run(
    engine: str,
    fmt: str,
    source: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    args: Sequence[str] = (),
    what: object = "the drawing",
    saved: Path | None = None,
    output: Path | None = None,
) -> bytes:
    """`engine -T<fmt> [args]` on DOT `source`, stopped after `timeout` seconds; its output.

    `what` names the picture in the errors; `saved` is where the source was written for `output`
    (then a missing program's error says how to draw it later, and the output is written there).
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    path = program(engine, source=saved, output=output, fmt=fmt)
    try:
        done = subprocess.run(
            [path, f"-T{fmt}", *args], input=source.encode("utf-8"), capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"`{engine}` took more than {timeout:g} s on {what}; draw less: a smaller budget (budget=40), "
            f"focus=<a weight>, one sample of a smaller model, or group the nodes into layers "
            f"(`with autodiff.layer('L1'): ...`)"
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"`{engine}` failed on {what}: {message}")
    if output is not None:
        output.write_bytes(done.stdout)
    return done.stdout

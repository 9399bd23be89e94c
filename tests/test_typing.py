"""The core modules are fully typed: `mypy --strict` passes on them (run when mypy is installed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ["value", "ops", "backward", "modes", "exact", "checks", "functional", "trace", "tape", "gradcheck"]


def _sources(name: str) -> list[Path]:
    """A core module's files (every file of a package)."""
    package = ROOT / "autodiff" / name
    return sorted(package.glob("*.py")) if package.is_dir() else [ROOT / "autodiff" / f"{name}.py"]


def test_the_core_passes_mypy_strict():
    try:
        import mypy  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("mypy is not installed (it comes with the dev extra: pip install -e '.[dev]')")
    files = [str(path) for name in CORE for path in _sources(name)]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental", *files],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""The browser fixture of every page test: one Chromium per test module (see chromium.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chromium import start


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for the module's tests (the module has called chromium.skip_unless_ready)."""
    yield from start()

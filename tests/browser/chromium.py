"""What every browser test shares: Debian's Chromium, driven by selenium through its chromedriver.

Nothing is downloaded at run time: selenium is pointed at /usr/bin/chromedriver and /usr/bin/chromium
(`bash run.sh test` installs them with apt where it can). Without them, or without Graphviz's dot
(the pages are drawn with it), a browser test module skips and says why.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BROWSER = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
INSTALL = "sudo apt-get install chromium chromium-driver"
# Headless as root, and no background traffic: this machine's network is closed, and every refused
# connection would otherwise be retried during the tests.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def skip_unless_ready() -> None:
    """Skip the calling test module, saying what is missing, unless selenium, Chromium and dot are here."""
    pytest.importorskip("selenium.webdriver", reason="selenium is missing: pip install -e '.[browser]'")
    if not (Path(BROWSER).exists() and Path(DRIVER).exists()):
        pytest.skip(f"Chromium or chromedriver is not installed: {INSTALL}", allow_module_level=True)
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed: sudo apt-get install graphviz", allow_module_level=True)


def start() -> Iterator[Any]:
    """A headless Chromium with a fresh profile and its console log kept; quit and removed afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="autodiff-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = BROWSER
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(browser: Any, page: Path, width: int = 880, height: int = 1000) -> None:
    """Open `page` at `width` × `height`, with the console emptied so a test reads only its own messages."""
    browser.set_window_size(width, height)
    browser.get(page.resolve().as_uri())
    browser.get_log("browser")

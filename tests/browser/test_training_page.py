"""The training page in a real browser (Debian's Chromium through chromedriver, as test_step_page.py):
the slider moves the epoch, play advances it, nothing logs an error, and the text reads at 880 and 390 px."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from chromium import open_page, skip_unless_ready

from autodiff.learn.datasets import make_moons
from autodiff.learn.nn import MLP, MaxMargin
from autodiff.learn.optim import SGD

skip_unless_ready()

from selenium.webdriver.common.by import By  # noqa: E402

import viz  # noqa: E402

EPOCHS = 6


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    points, labels = make_moons(16, seed=2)
    model = MLP(2, [6, 6, 1], seed=2)
    data = list(zip(points, labels, strict=True))
    recorded = viz.record_fit(
        model, MaxMargin(), data, SGD(model.parameters(), lr=0.5), epochs=EPOCHS, batch_size=16
    )
    return viz.training_page(recorded, title="Six epochs").save(
        tmp_path_factory.mktemp("page") / "training.html"
    )


def frames(page: Path) -> list[dict]:
    found = re.search(r'<script type="application/json" id="ad-data">(.*?)</script>', page.read_text(), re.S)
    assert found is not None
    return json.loads(found[1])["epochs"]


def neuron_text(browser, node_id: str) -> list[str]:
    return browser.execute_script(
        "return Array.from(document.getElementById(arguments[0]).querySelectorAll('text'),"
        " t => t.textContent);",
        node_id,
    )


def slide_to(browser, n: int) -> None:
    browser.execute_script(
        "var s = document.getElementById('ad-epoch'); s.value = arguments[0];"
        "s.dispatchEvent(new Event('input'));",
        n,
    )


def test_the_page_loads_from_file_with_no_console_errors(browser, page):
    open_page(browser, page)
    browser.refresh()
    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
    assert browser.find_element(By.ID, "ad-status").text == "before training"
    assert browser.execute_script("return document.querySelectorAll('#ad-cells rect').length") == 32 * 32


def test_the_slider_shows_each_epochs_numbers(browser, page):
    open_page(browser, page)
    data = frames(page)
    for n in (3, EPOCHS, 1):
        slide_to(browser, n)
        frame = data[n]
        assert browser.find_element(By.ID, "ad-status").text == f"epoch {n} of {EPOCHS}"
        assert f"loss {frame['loss']}" in browser.find_element(By.ID, "ad-readout").text
        # The first hidden neuron shows this epoch's Σ, o and δs; the loss marker sits on this epoch.
        sigma, out, d_sigma, d_out, _ = frame["neurons"][2]  # after the two inputs
        assert neuron_text(browser, "c1_1")[1:] == [
            f"Σ {sigma} → o {out}",
            f"δΣ = {d_sigma}",
            f"δo = {d_out}",
        ]
        cx = browser.execute_script("return document.getElementById('ad-loss-marker').getAttribute('cx')")
        assert float(cx) == frame["marker"][0]
        signs = browser.execute_script(
            "return Array.from(document.querySelectorAll('#ad-cells rect'),"
            " r => r.getAttribute('class') === 'c-pos' ? '+' : '-').join('');"
        )
        assert signs == frame["signs"]
    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []


def test_play_advances_to_the_last_epoch_and_stops(browser, page):
    open_page(browser, page)
    browser.find_element(By.ID, "ad-play").click()
    deadline = time.monotonic() + 10
    seen = set()
    while time.monotonic() < deadline:
        seen.add(browser.execute_script("return Number(document.getElementById('ad-epoch').value)"))
        if EPOCHS in seen:
            break
        time.sleep(0.1)
    assert EPOCHS in seen and len(seen) >= 3  # it went through the epochs, not straight to the end
    time.sleep(0.6)
    assert browser.find_element(By.ID, "ad-play").text == "▶ Play"  # stopped at the end
    assert browser.find_element(By.ID, "ad-status").text == f"epoch {EPOCHS} of {EPOCHS}"


@pytest.mark.parametrize("width", [880, 390])
def test_the_text_reads_at_11_px_or_more(browser, page, width):
    open_page(browser, page, width=width)
    # Graphviz's text sizes are in the SVG's own units: scale them by how wide the SVG is shown.
    smallest = browser.execute_script(
        "var out = []; document.querySelectorAll('svg').forEach(function (svg) {"
        "  var box = svg.viewBox.baseVal;"
        "  var scale = box && box.width ? svg.getBoundingClientRect().width / box.width : 1;"
        "  svg.querySelectorAll('text').forEach(function (t) {"
        "    out.push(parseFloat(getComputedStyle(t).fontSize) * scale); }); });"
        "return Math.min.apply(null, out);"
    )
    assert smallest >= 11
    # Nothing but the network scrolls sideways: the page itself fits the window.
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width


def test_a_click_on_a_neuron_shows_its_chain_rule_and_keeps_it_across_epochs(browser, page):
    open_page(browser, page)
    neuron = browser.find_element(By.ID, "c1_1")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", neuron)
    neuron.click()
    shown = browser.find_element(By.ID, "ad-chain").text
    assert shown.startswith("o1_1 at epoch 0:") and "δo1_1 = Σ_k δΣ2_k · w2_k_1 = " in shown
    slide_to(browser, 4)
    shown = browser.find_element(By.ID, "ad-chain").text
    assert shown.startswith("o1_1 at epoch 4:")
    assert shown.splitlines()[1:] == frames(page)[4]["neurons"][2][4].split(" | ")
    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []

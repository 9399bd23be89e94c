"""The step page one neuron at a time (`to_html(per="neuron")`) in Chromium, driven as test_step_page.py."""

from __future__ import annotations

import pytest
from chromium import skip_unless_ready

from autodiff.learn.datasets import make_moons
from autodiff.learn.nn import MLP, HalfSquaredError

skip_unless_ready()

from selenium.webdriver.common.by import By  # noqa: E402

import viz  # noqa: E402


@pytest.fixture(scope="module")
def model_and_page(tmp_path_factory):
    model = MLP(2, [4, 4, 1], seed=0)
    points, labels = make_moons(8, seed=0)
    trace = model.trace(list(points[0]), 1.0 if labels[0] == 1 else -1.0, HalfSquaredError())
    page = viz.to_html(trace.loss, lr=0.1, params=model.parameters(), per="neuron", title="2-4-4-1 by neuron")
    path = page.save(tmp_path_factory.mktemp("page") / "neurons.html")
    trace.loss.backward()
    return trace, path


def test_next_goes_one_neuron_at_a_time_to_the_engines_deltas(browser, model_and_page):
    trace, path = model_and_page
    browser.set_window_size(880, 1000)
    browser.get(path.resolve().as_uri())
    browser.get_log("browser")
    status = browser.find_element(By.ID, "ad-status")
    assert status.text == "Step 1 of 23 (δ complete)"
    pending = "return document.querySelectorAll('g.node.pending').length"
    # Only the loss is done: its 2 other operations, the 9 neurons and the 2 inputs wait.
    assert browser.execute_script(pending) == 13
    next_button = browser.find_element(By.ID, "ad-next")
    for _ in range(13):
        next_button.click()
    assert status.text == "Step 14 of 23 (δ complete): the last δ"
    assert browser.execute_script(pending) == 0
    # Each neuron's box now shows its output's δ, as backward() computed it.
    shown = browser.execute_script(
        "var out = {}; document.querySelectorAll('g.node').forEach(function (g) {"
        "  var t = g.querySelector('text.delta'); if (t) { out[g.id] = t.textContent; } }); return out;"
    )
    texts = " ".join(shown.values())
    for outputs in trace.outputs:
        for o in outputs:
            assert f"δ{o.name} = " in texts
    for _ in range(9):
        next_button.click()
    assert status.text == "Step 23 of 23 (weight updated)" and not next_button.is_enabled()
    assert "neuron o3 updated: ŵ3_1 = " in browser.find_element(By.ID, "ad-sentence").text
    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []

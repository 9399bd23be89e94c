"""The step-through page in a real browser: Debian's Chromium, driven by selenium through chromedriver.

Nothing is downloaded at run time: selenium is pointed at /usr/bin/chromedriver and /usr/bin/chromium
(`bash run.sh test` installs them with apt where it can). Without them these tests skip, saying why.
"""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import pytest
from chromium import open_page, skip_unless_ready

from autodiff import topological_order
from autodiff.articles import gradient_descent as article

skip_unless_ready()

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from viz.patient_steps import write_patient_steps  # noqa: E402


def fresh_patient3():
    """Patient 3 built apart from the page, after the first two patients' updates, then backward()."""
    w2 = article.weights()
    for x, y in article.PATIENTS[:2]:
        article.learn(x, y, w2)
    x, y = article.PATIENTS[2]
    g = article.forward(x, y, w2)
    g.loss.backward()
    return g


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("page")
    (path,) = write_patient_steps(3, directory, frames=False, html=True)
    return path


def shown_delta(browser, node_id: str) -> Fraction | None:
    shown = browser.execute_script(
        "var t = document.querySelector('#node-' + arguments[0] + ' text.delta'); return t && t.textContent;",
        node_id,
    )
    if shown is None:
        return None
    value = shown.split(" = ", 1)[1]
    return None if value == "?" else Fraction(value.replace("−", "-"))


def test_the_page_loads_from_file_with_no_console_errors(browser, page):
    open_page(browser, page)
    browser.refresh()
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    assert browser.find_element(By.ID, "ad-status").text == "Step 1 of 20 (δ complete)"
    assert browser.execute_script("return document.querySelectorAll('g.node.pending').length") == 16


def test_next_reaches_the_last_delta_and_shows_the_engines_grads(browser, page):
    open_page(browser, page)
    g = fresh_patient3()
    order = topological_order(g.loss, only_requiring_grad=False)
    ids = {id(n): f"n{i}" for i, n in enumerate(order)}
    needing = [n for n in order if n.requires_grad]
    next_button = browser.find_element(By.ID, "ad-next")
    # One step per δ, the first shown at once: 16 presses to the 17th (patient 3 has 17 nodes with a δ).
    for _ in range(len(needing) - 1):
        next_button.click()
    assert browser.find_element(By.ID, "ad-status").text == "Step 17 of 20 (δ complete): the last δ"
    for node in needing:
        assert shown_delta(browser, ids[id(node)]) == node.grad, node
    for node in order:
        if not node.requires_grad:
            assert shown_delta(browser, ids[id(node)]) is None
    assert browser.execute_script("return document.querySelectorAll('g.node.pending').length") == 0
    # The update steps follow; Next stops at the last one.
    for _ in range(5):
        next_button.click()
    assert browser.find_element(By.ID, "ad-status").text == "Step 20 of 20 (weight updated)"
    assert not next_button.is_enabled()


def test_keys_and_slider_step_too(browser, page):
    open_page(browser, page)
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert browser.find_element(By.ID, "ad-status").text.startswith("Step 3 of 20")
    body.send_keys(Keys.ARROW_LEFT)
    assert browser.find_element(By.ID, "ad-status").text.startswith("Step 2 of 20")
    body.send_keys(Keys.END)
    assert browser.find_element(By.ID, "ad-status").text.startswith("Step 20 of 20")
    browser.execute_script(
        "var s = document.getElementById('ad-slider'); s.value = '12'; s.dispatchEvent(new Event('input'));"
    )
    assert browser.find_element(By.ID, "ad-sentence").text == "δ2_2 = δ3 · w2_2 = (−1) · (−3/11600) = 3/11600"


def test_hovering_w2_2_lights_exactly_its_path_and_a_click_shows_its_update(browser, page):
    open_page(browser, page)
    g = fresh_patient3()
    order = topological_order(g.loss, only_requiring_grad=False)
    ids = {id(n): f"n{i}" for i, n in enumerate(order)}
    w = g.w2[1]
    product = next(n for n in order if n.op == "mul" and n.parents[0] is w)
    sub = next(n for n in order if n.op == "sub")
    square = next(n for n in order if n.op == "pow")
    expected = {ids[id(n)] for n in (w, product, g.o2, g.o3, sub, square, g.loss)}
    target = browser.find_element(By.ID, f"node-{ids[id(w)]}")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'center'});", target)
    ActionChains(browser).move_to_element(target).perform()
    lit = browser.execute_script(
        "return Array.from(document.querySelectorAll('g.node.onpath')).map(function (g) { return g.id; });"
    )
    assert {i.removeprefix("node-") for i in lit} == expected
    # At step 1 its δ is not known yet; the page says when it will be.
    assert browser.find_element(By.ID, "ad-hover").text == "δw2_2 = ? (not yet: step 11)"
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.END)
    ActionChains(browser).move_to_element(browser.find_element(By.ID, "ad-status")).perform()
    ActionChains(browser).move_to_element(target).perform()
    assert browser.find_element(By.ID, "ad-hover").text == "δw2_2 = δ3 · o1_2 = (−1) · 2000 = −2000"
    target.click()
    assert browser.find_element(By.ID, "ad-hover").text == (
        "ŵ2_2 = w2_2 − α·δw2_2 = −3/11600 − 10⁻⁷·(−2000) = −17/290000"
    )


@pytest.mark.parametrize("width", [880, 390])
def test_screenshots_have_content_and_fit_the_width(browser, page, width, tmp_path):
    image = pytest.importorskip("PIL.Image", reason="Pillow is missing: pip install 'autodiff[anim]'")
    open_page(browser, page, width, 900)
    for _ in range(11):
        browser.find_element(By.ID, "ad-next").click()
    # The page itself never scrolls sideways; only the graph's own box does.
    inner = browser.execute_script("return window.innerWidth")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= inner
    png = browser.get_screenshot_as_png()
    (tmp_path / f"step-through-{width}.png").write_bytes(png)
    shot = image.open(io.BytesIO(png)).convert("RGB")
    assert shot.width >= width * 0.9
    grey = shot.convert("L")
    histogram = grey.histogram()
    ink = sum(histogram[:200]) / (shot.width * shot.height)
    colours = len(shot.getcolors(maxcolors=1 << 20) or ())
    assert ink > 0.03, f"the screenshot at {width} px is almost blank ({ink:.1%} ink)"
    assert colours > 50
    # The current node's sentence is on screen, in large enough text.
    sentence = browser.find_element(By.ID, "ad-sentence")
    assert sentence.is_displayed() and sentence.text.startswith("δ2_2 = ")
    size = browser.execute_script("return parseFloat(getComputedStyle(arguments[0]).fontSize)", sentence)
    assert size >= 14


def test_the_epoch_page_switches_patients(browser, tmp_path):
    from viz.patient_steps import write_epoch

    path = write_epoch(tmp_path)
    open_page(browser, path)
    browser.refresh()
    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
    browser.find_element(By.CSS_SELECTOR, "button[data-patient='2']").click()
    assert browser.find_element(By.CSS_SELECTOR, "tr.here").get_attribute("data-row") == "2"
    browser.switch_to.frame(browser.find_element(By.ID, "ad-frame"))
    try:
        assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Patient 2:")
        assert browser.find_element(By.ID, "ad-status").text == "Step 1 of 20 (δ complete)"
    finally:
        browser.switch_to.default_content()


def test_the_legend_strip_names_the_colours_the_page_uses(browser, page):
    open_page(browser, page)
    legend = browser.find_element(By.ID, "ad-legend")
    assert legend.is_displayed()
    for words in ("weight", "input", "operation", "constant (no δ)", "δ not known yet", "this step"):
        assert words in legend.text
    assert "weight updated" in legend.text  # patient 3's page has its updates
    # Each swatch has the colours of what it names (read from the page, not from a table here).
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.END)
    weight = browser.find_element(By.CSS_SELECTOR, ".legend .sw-weight").value_of_css_property(
        "background-color"
    )
    drawn = browser.execute_script(
        "var g = document.querySelector('g.node.k-weight');"
        "return getComputedStyle(g.querySelector('path, polygon')).fill;"
    )
    assert weight.replace("rgba", "rgb").replace(", 1)", ")") == drawn
    negative = browser.find_element(By.CSS_SELECTOR, ".legend .neg").value_of_css_property("color")
    live = browser.execute_script(
        "var p = document.querySelector('g.edge.live.s-neg path'); return p && getComputedStyle(p).stroke;"
    )
    assert negative.replace("rgba", "rgb").replace(", 1)", ")") == live


def test_a_new_step_clears_the_hovered_or_clicked_node(browser, page):
    open_page(browser, page)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.END)
    hint = (
        "Hover (or tap) a node for its chain rule and its paths to the loss; click a weight for its update."
    )
    weight = browser.execute_script("return document.querySelector('g.node.k-weight').id")
    target = browser.find_element(By.ID, weight)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'center'});", target)
    target.click()
    assert browser.find_element(By.ID, "ad-hover").text.startswith("ŵ2_")
    assert browser.execute_script("return document.querySelectorAll('g.node.onpath').length") > 0
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.HOME)
    assert browser.find_element(By.ID, "ad-hover").text == hint
    assert browser.execute_script("return document.querySelectorAll('g.node.onpath').length") == 0
    assert "tracing" not in browser.find_element(By.ID, "ad-svg").get_attribute("class")


@pytest.mark.parametrize(("width", "fitted"), [(600, True), (880, False), (390, False)])
def test_the_page_opens_fitted_when_the_graph_is_at_most_twice_the_width(browser, page, width, fitted):
    open_page(browser, page, width, 900)
    natural = browser.execute_script("return parseFloat(document.getElementById('ad-svg').style.width)")
    room = browser.execute_script("return document.getElementById('ad-graph').clientWidth")
    assert (room < natural <= 2 * room) == fitted  # the three widths cover the three cases
    assert browser.find_element(By.ID, "ad-fit").is_selected() == fitted
    shown = browser.execute_script("return document.getElementById('ad-svg').getBoundingClientRect().width")
    if fitted:
        assert shown <= room + 1  # every node on screen, no sideways scrolling
    else:
        assert shown == pytest.approx(natural, abs=1)
    # The graph is read down like the static picture: the inputs on top, the loss at the bottom.
    top = browser.execute_script(
        "var r = function (s) { return document.querySelector(s).getBoundingClientRect().top; };"
        "return [r('g.node.k-input'), r('#' + CSS.escape('node-n0'))];"
    )
    assert top[0] < top[1]


def test_zoom_buttons_scale_the_graph_and_fit_shows_it_whole(browser, page):
    open_page(browser, page, 390, 900)
    svg = browser.find_element(By.ID, "ad-svg")
    natural = browser.execute_script("return parseFloat(arguments[0].style.width)", svg)
    browser.find_element(By.ID, "ad-zoom-out").click()
    browser.find_element(By.ID, "ad-zoom-out").click()
    shown = browser.execute_script("return arguments[0].getBoundingClientRect().width", svg)
    assert shown == pytest.approx(natural * 0.64, abs=2)
    browser.find_element(By.ID, "ad-zoom-in").click()
    assert browser.execute_script("return arguments[0].getBoundingClientRect().width", svg) == pytest.approx(
        natural * 0.8, abs=2
    )
    browser.find_element(By.ID, "ad-fit").click()
    room = browser.execute_script("return document.getElementById('ad-graph').clientWidth")
    assert browser.execute_script("return arguments[0].getBoundingClientRect().width", svg) <= room + 1
    assert browser.execute_script("return document.documentElement.scrollWidth") <= browser.execute_script(
        "return window.innerWidth"
    )

"""The step-through page in a real browser: Debian's Chromium, driven by selenium through chromedriver.

Nothing is downloaded at run time: selenium is pointed at /usr/bin/chromedriver and /usr/bin/chromium
(`bash run.sh test` installs them with apt where it can). Without them these tests skip, saying why.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path

import pytest

from autodiff import topological_order
from autodiff.articles import gradient_descent as article

BROWSER = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
INSTALL = "sudo apt-get install chromium chromium-driver"
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

webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is missing: pip install 'autodiff[browser]'"
)
if not (Path(BROWSER).exists() and Path(DRIVER).exists()):
    pytest.skip(f"Chromium or chromedriver is not installed: {INSTALL}", allow_module_level=True)
if shutil.which("dot") is None:
    pytest.skip("Graphviz's dot is not installed: sudo apt-get install graphviz", allow_module_level=True)

from selenium.webdriver.chrome.service import Service  # noqa: E402
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


@pytest.fixture(scope="module")
def browser():
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


def open_page(browser, page: Path, width: int = 880, height: int = 1000) -> None:
    browser.set_window_size(width, height)
    browser.get(page.resolve().as_uri())
    browser.get_log("browser")  # start each test with an empty console


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
        "ŵ2_2 = w2_2 − α·δw2_2 = −3/11600 − 1/10^7·(−2000) = −17/290000"
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

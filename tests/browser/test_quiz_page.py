"""The quiz page in a real browser (Chromium through selenium, as tests/browser/test_step_page.py):
each δ asked before it is shown, checked exactly, with the hints autodiff.check recomputes.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from chromium import skip_unless_ready

from autodiff.articles import gradient_descent as article

skip_unless_ready()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

import viz  # noqa: E402
from viz.quiz import write_patient_quiz  # noqa: E402

SHOTS = Path(tempfile.gettempdir()) / "autodiff-quiz-shots"


@pytest.fixture(scope="module")
def patient3(tmp_path_factory) -> Path:
    return write_patient_quiz(3, tmp_path_factory.mktemp("quiz"))


class Quiz:
    """The page as a learner uses it: read the δ asked, type an answer, read the feedback."""

    def __init__(self, browser, path: Path):
        self.b = browser
        browser.set_window_size(1100, 1000)
        browser.get(path.resolve().as_uri())
        browser.get_log("browser")
        self.data = json.loads(browser.find_element(By.ID, "ad-quiz-data").get_attribute("textContent"))

    def pending(self) -> str:
        return self.b.find_element(By.ID, "ad-answer").get_attribute("data-node")

    def asked(self) -> str:
        return self.data["nodes"][self.pending()]["name"]

    def right(self) -> str:
        value = self.data["nodes"][self.pending()]["right"]
        return f"{value['n']}/{value['d']}"

    def type(self, text: str) -> tuple[str, str | None]:
        box = self.b.find_element(By.ID, "ad-answer")
        box.clear()
        box.send_keys(text, Keys.ENTER)
        feedback = self.b.find_element(By.ID, "ad-feedback")
        return feedback.text, feedback.get_attribute("data-code")

    def until(self, name: str, occurrence: int = 1) -> None:
        """Answer every δ rightly until `name` is asked (its `occurrence`-th time)."""
        seen = 0
        for _ in range(40):
            if self.asked() == name:
                seen += 1
                if seen == occurrence:
                    return
            assert self.type(self.right())[0].startswith("✓")
        raise AssertionError(f"{name} was never asked")

    def step(self) -> int:
        return int(self.b.find_element(By.ID, "ad-slider").get_attribute("value"))

    def score(self) -> str:
        return self.b.find_element(By.ID, "ad-score").text

    def errors(self) -> list:
        return [e for e in self.b.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def test_a_right_answer_is_ticked_shown_and_scored(browser, patient3):
    q = Quiz(browser, patient3)
    assert q.asked() == "δs1" and q.step() == 1  # s1 = (o3 − y_truth)², a short name
    # The arrow into the δ asked keeps its number to itself.
    assert browser.execute_script("return document.querySelectorAll('g.edge.ad-quiz-hide').length") > 0
    text, code = q.type("1/2")
    assert text == "✓ δs1 = 1/2" and code is None
    assert q.step() == 2 and q.score() == "Score: 1 of 1 right first time"
    q.until("δ4")
    assert q.type("−1") == ("✓ δ4 = −1", None)  # U+2212 as the minus sign
    SHOTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(SHOTS / "right.png"))
    assert q.errors() == []


def test_next_waits_for_the_answer(browser, patient3):
    q = Quiz(browser, patient3)
    q.until("δ3")
    at = q.step()
    browser.find_element(By.ID, "ad-next").click()
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    assert q.step() == at and q.asked() == "δ3"
    # Arrows typed in the box move its cursor, not the page.
    browser.find_element(By.ID, "ad-answer").send_keys(Keys.ARROW_LEFT)
    assert q.step() == at


def test_a_decimal_for_a_fraction(browser, patient3):
    q = Quiz(browser, patient3)
    q.until("δ2_1")
    assert q.type("-0.005") == ("✓ δ2_1 = −1/200", None)  # −1/200 exactly
    q.until("δ2_2")
    assert q.type("0.000258")[0].startswith("✗")  # close is not equal: 3/11600 has no finite decimal
    assert q.type("3/11600")[0] == "✓ δ2_2 = 3/11600"
    assert "1 of 2" not in q.score()


@pytest.mark.parametrize(
    ("name", "answer", "code"),
    [
        ("δ4", "1", "sign"),
        ("δ4", "-2", "factor"),
        ("δ4", "3/10", "updated_weight"),
        ("δ3", "0", "relu_at_zero"),
        ("δw2_2", "-1/5000", "learning_rate"),
        ("δw2_3", "0.0003 + 1/5800", None),  # not a number the page reads: it says so
    ],
)
def test_each_hint_code_on_the_articles_graph(browser, patient3, name, answer, code):
    q = Quiz(browser, patient3)
    q.until(name)
    text, found = q.type(answer)
    if code is None:
        assert text.startswith("Cannot read") and found is None
        return
    assert found == code and text.startswith(f"✗ {code}: "), text
    if code == "relu_at_zero":
        assert "relu′(0) = 1" in text
        SHOTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(SHOTS / "relu_at_zero.png"))
    assert "0 of 0" in q.score() or "right first time" in q.score()
    assert q.errors() == []


def test_carried_after_a_wrong_delta_was_shown(browser, patient3):
    q = Quiz(browser, patient3)
    q.until("δ3")
    assert q.type("0")[1] == "relu_at_zero"
    browser.find_element(By.ID, "ad-show").click()  # the page shows δ3 = −1, the quiz keeps the 0
    assert browser.find_element(By.ID, "ad-feedback").text == "δ3 = −1 (shown)"
    q.until("δ3", 1)  # the product w2_1·o1_1 receives δ3 too
    text, code = q.type("0")
    assert code == "carried" and "δ3 = 0" in text, text


def _page(loss, tmp_path: Path, name: str, **kw) -> Path:
    return viz.to_html(loss, quiz=True, **kw).save(tmp_path / f"{name}.html")


def test_missing_path_and_output_for_input_on_the_articles_model(browser, tmp_path):
    # Patients 1 and 3 in one loss share w2 (the next article's batch): δw2_3 has two terms.
    w2 = article.weights()
    for x, y in article.PATIENTS:
        article.learn(x, y, w2)
    g1 = article.forward(*article.PATIENTS[0], w2)
    g3 = article.forward(*article.PATIENTS[2], w2)
    loss = g1.loss + g3.loss
    loss.backward()
    only_patient3 = g3.o2.grad * g3.o1[2].data  # δw2_3 without patient 1's term
    assert only_patient3 != w2[2].grad
    q = Quiz(browser, _page(loss, tmp_path, "batch"))
    q.until("δw2_3")
    text, code = q.type(str(only_patient3))
    assert code == "missing_path" and "2 uses" in text, text
    # A patient whose o2 is negative: relu′ at the output o3 = 0 would pass the δ.
    g = article.forward((0, 2000, 0), 1, article.weights())
    q = Quiz(browser, _page(g.loss, tmp_path, "negative", delta_names={g.o3: "δ4", g.o2: "δ3"}))
    q.until("δ3")
    text, code = q.type("-1")
    assert code == "output_for_input" and "relu′(0) = 1, the right relu′(−15/29) = 0" in text
    assert q.errors() == []

"""The quiz page's data (viz.quiz): exact numbers for BigInt, the same hints check_deltas gives."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest

from autodiff import check_deltas
from autodiff.articles import gradient_descent as article

quiz = pytest.importorskip("viz.quiz")


def patient3():
    w2 = article.weights()
    for x, y in article.PATIENTS[:2]:
        article.learn(x, y, w2)
    return article.forward(*article.PATIENTS[2], w2)


def test_every_hint_number_in_the_page_is_one_check_deltas_recognises():
    g = patient3()
    names = {g.o3: "δ4", g.o2: "δ3"}
    data = quiz.quiz_data(g.loss, delta_names=names)
    by_name = {n.name: n for n in (g.o2, g.o3, *g.w2)}
    assert data["root"] == "n0"
    seen = set()
    for info in data["nodes"].values():
        right = Fraction(int(info["right"]["n"]), int(info["right"]["d"]))
        for hint in info["hints"]:
            value = Fraction(int(hint["value"]["n"]), int(hint["value"]["d"]))
            assert value != right
            seen.add(hint["code"])
        if info["name"] in ("δ4", "δ3", "δw2_2"):
            node = {"δ4": g.o3, "δ3": g.o2, "δw2_2": by_name["w2_2"]}[info["name"]]
            for hint in info["hints"]:
                value = Fraction(int(hint["value"]["n"]), int(hint["value"]["d"]))
                report = check_deltas(g.loss, {node: value}, delta_names=names)
                assert hint["code"] in {h.code for h in report.hints}, hint
    assert {"sign", "factor", "relu_at_zero", "updated_weight", "learning_rate"} <= seen
    assert data["nodes"]["n0"]["hints"] == []


def test_numbers_are_encoded_for_bigint_and_floats_stay_floats():
    assert quiz.encode(Fraction(-1, 200)) == {"n": "-1", "d": "200"}
    assert quiz.encode(10**30) == {"n": str(10**30), "d": "1"}
    assert quiz.encode(0.25) == {"f": 0.25}


def test_to_html_quiz_adds_the_panel_and_its_data_and_leaves_the_plain_page_alone():
    import viz

    g = patient3()
    plain = viz.to_html(g.loss).html
    page = viz.to_html(g.loss, quiz=True).html
    assert 'id="ad-quiz"' not in plain and "ad-quiz-data" not in plain
    assert page.count('id="ad-answer"') == 1 and "<title>Quiz: " in page
    payload = page.split('id="ad-quiz-data">', 1)[1].split("</script>", 1)[0]
    assert json.loads(payload)["nodes"]["n0"]["right"] == {"n": "1", "d": "1"}
    assert "BigInt" in page and not re.search(r"(src|href)=\"http", page)  # nothing fetched

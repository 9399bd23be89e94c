"""viz.checked: the δ picture of a checked derivation (wrong δs outlined, the root cause marked)."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from autodiff import Value, check_deltas
from autodiff.articles import gradient_descent as article

checked = pytest.importorskip("viz.checked")
from viz.style import CAUSE_TEXT  # noqa: E402


def patient3():
    w2 = article.weights()
    for x, y in article.PATIENTS[:2]:
        article.learn(x, y, w2)
    return article.forward(*article.PATIENTS[2], w2)


def test_report_dot_outlines_the_wrong_and_marks_the_cause_without_touching_grads():
    g = patient3()
    before = [n.grad for n in (*g.w2, g.o2, g.o3, g.loss)]
    report = check_deltas(g.loss, {"δ4": -1, "δ3": 0, "δw2_2": "δ3 * x2", "δ2_1": "δ3 * w2_1"})
    dot = checked.report_dot(report)
    assert [n.grad for n in (*g.w2, g.o2, g.o3, g.loss)] == before
    assert dot.count("ad-wrong ad-cause") == 1 and dot.count("ad-wrong ad-carried") == 2
    assert dot.count(CAUSE_TEXT) == 1 and "Your δs checked: ✗ δ3, δ2_1, δw2_2" in dot
    # The article's δ names, as in the report; the right δs are drawn (δ3 = −1).
    assert "δ3 = −1" in dot and "δ2_1 = −1/200" in dot
    # The same layout as the plain backward picture: only attributes differ.
    plain = checked.marked_dot(g.loss, {}, delta_names=report.delta_names)
    assert plain.count("ad-node") == dot.count("ad-node")


def test_marks_are_checked():
    x = Value(F(1, 2), name="x")
    y = x * 3
    with pytest.raises(ValueError, match="'wrong', 'cause', 'carried', 'blank'"):
        checked.marked_dot(y, {x: {"red"}})
    with pytest.raises(ValueError, match="'z'"):
        checked.marked_dot(y, {"z": {"wrong"}})
    assert "ad-wrong" in checked.marked_dot(y, {"x": ["wrong"]})

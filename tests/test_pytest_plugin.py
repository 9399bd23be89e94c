"""The pytest plugin: a failing δ check shows its report, and draws its picture with --autodiff-pictures."""

from __future__ import annotations

import shutil

import pytest

pytest_plugins = ["pytester"]
PLUGIN = ("-p", "autodiff.pytest_plugin")  # the entry point exists only once the package is reinstalled

TESTS = """
from autodiff import assert_deltas, check_deltas
from autodiff.articles import gradient_descent as article

def loss():
    w2 = article.weights()
    for x, y in article.PATIENTS[:2]:
        article.learn(x, y, w2)
    return article.forward(*article.PATIENTS[2], w2).loss

def test_right():
    assert check_deltas(loss(), {"δ4": -1, "δ3": -1}).ok

def test_bare_assert():
    report = check_deltas(loss(), {"δ4": -1, "δ3": 0, "δw2_3": "δ3 * x3"})
    assert report.ok

def test_assert_deltas():
    assert_deltas(loss(), {"δ4": 1})

def test_comparison():
    assert check_deltas(loss(), {"δ4": -2}) == True

def test_unrelated_failure():
    check_deltas(loss(), {"δ4": -1})
    assert 1 == 2
"""


def test_failures_show_the_report_text(pytester):
    pytester.makepyfile(test_derivation=TESTS)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1, failed=4)
    out = result.stdout.str()
    # A bare `assert report.ok`: a readable one-line "where", then the report in its own section.
    result.stdout.fnmatch_lines(
        [
            "*where False = <DeltaReport: 2 of 3 δs wrong; first wrong δ3 (relu_at_zero); print(report)*>.ok",
            "*- δ check -*",
            "δ check: 1 of 3 δs right; first wrong: δ3",
            "*δ3 = δ4 · relu′(o2) = (−1) · 1 = −1; relu′(0) = 1",
            "*relu_at_zero (δ3): relu′(0) = 1 in the articles*",
            "*carried (δw2_3)*",
        ]
    )
    # assert_deltas raises with the text itself (no second copy of it).
    assert "DeltaMismatch: δ check: 0 of 1 δs right; first wrong: δ4" in out
    assert "sign (δ4): 1 is minus the right −1" in out
    # A comparison with a report explains itself through pytest_assertrepr_compare.
    result.stdout.fnmatch_lines(["*assert <DeltaReport: 1 of 1 δs wrong; first wrong δ4 (factor)*> == True"])
    assert "factor (δ4): −2 is twice the right −1" in out
    # A test whose δ checks all passed shows no δ section when it fails for another reason.
    unrelated = out.split("test_unrelated_failure")[1]
    assert "δ check:" not in unrelated.split("short test summary")[0]
    assert "δ pictures" not in out  # off by default


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot draws the picture")
def test_pictures_of_failing_checks_go_to_the_directory_given(pytester):
    pytester.makepyfile(test_derivation=TESTS)
    pictures = pytester.path / "pictures"
    result = pytester.runpytest(*PLUGIN, f"--autodiff-pictures={pictures}")
    result.assert_outcomes(passed=1, failed=4)
    svgs = sorted(p.name for p in pictures.glob("*.svg"))
    assert svgs == [
        "test_derivation.py_test_assert_deltas.svg",
        "test_derivation.py_test_bare_assert.svg",
        "test_derivation.py_test_comparison.svg",
    ]
    result.stdout.fnmatch_lines(["*autodiff δ pictures*", f"δ picture: {pictures}*test_bare_assert.svg"])
    svg = (pictures / "test_derivation.py_test_bare_assert.svg").read_text(encoding="utf-8")
    svg = svg.replace("&#45;", "-")  # dot writes - in attributes as an entity
    # The root cause (o2, δ3) is outlined twice and labelled; δw2_3 is outlined as carried.
    from viz.style import CARRIED, WRONG

    assert "first wrong" in svg and WRONG in svg and CARRIED in svg
    assert svg.count("ad-wrong ad-cause") == 1 and svg.count("ad-wrong ad-carried") == 1


def test_the_entry_point_is_declared():
    from pathlib import Path

    import tomllib

    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["entry-points"]["pytest11"] == {
        "autodiff.pytest_plugin": "autodiff.pytest_plugin"
    }

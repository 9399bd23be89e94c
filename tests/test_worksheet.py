"""Worksheets: every δ blanked in the picture (no answer left in the file), and a right answer key."""

from __future__ import annotations

import re
import shutil
from fractions import Fraction

import pytest

from autodiff import check_deltas, topological_order

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot draws the worksheets")
worksheet = pytest.importorskip("viz.worksheet")


def _texts(svg: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text[^>]*>.*?</text>", svg, flags=re.S)]


def _no_answers(svg: str) -> None:
    for t in _texts(svg):
        if t.startswith("δ") and " = " in t:
            assert t.endswith("= ?"), t
    assert not re.search(
        r"<title>[^<]*δ[^<]*=[^<]*</title>", svg.replace("&#45;", "-")
    )  # no tooltip gives one
    assert "→" not in svg


def _answers(html: str) -> dict[str, str]:
    rows = re.findall(r"<tr><td>(δ[^<]*?) = ([^<]*)</td>", html)
    return dict(rows)


def test_patient3_worksheet_blanks_every_delta_and_its_key_is_right(tmp_path):
    paths = worksheet.write_worksheet(worksheet.patient_exercise(3), tmp_path)
    assert [p.name for p in paths] == [
        "patient3-worksheet.svg",
        "patient3-worksheet.html",
        "patient3-answers.svg",
        "patient3-answers.html",
    ]
    svg = paths[0].read_text(encoding="utf-8")
    _no_answers(svg)
    texts = _texts(svg)
    for name in ("δ4", "δ3", "δ2_1", "δ1_3", "δw2_2"):
        assert f"{name} = ?" in texts
    # Its arrows carry no sentence, so its legend promises none; the answer key's does.
    assert not [t for t in texts if "then in numbers" in t]
    assert [t for t in _texts(paths[2].read_text(encoding="utf-8")) if "then in numbers" in t]
    page = paths[1].read_text(encoding="utf-8")
    assert "<svg" in page and "@media print" in page and "<td>δ3 =</td>" in page
    _no_answers(page)
    key = _answers(paths[3].read_text(encoding="utf-8"))
    assert key["δ4"] == "−1" and key["δ3"] == "−1" and key["δw2_3"] == "−3000" and key["δ2_2"] == "3/11600"
    assert "δ3 = δ4 · relu′(o2) = (−1) · 1 = −1; relu′(0) = 1" in paths[3].read_text(encoding="utf-8")
    ex = worksheet.patient_exercise(3)
    assert check_deltas(ex.loss, key).ok  # the key, read back as the learner's δs, is right
    assert "δ3 = −1" in " ".join(_texts(paths[2].read_text(encoding="utf-8")))


@pytest.mark.parametrize("seed", range(6))
def test_random_2_2_1_networks_are_hand_friendly_and_hit_the_kink(seed, tmp_path):
    ex = worksheet.model_exercise([2, 2, 1], seed)
    again = worksheet.model_exercise([2, 2, 1], seed)
    assert [p.data for p in ex.params] == [p.data for p in again.params]  # the seed decides the numbers
    report = check_deltas(ex.loss, {})
    nodes = topological_order(ex.loss, only_requiring_grad=False)
    kinks = [n for n in nodes if n.op == "relu" and n.parents[0].data == 0]
    assert kinks and any(report.deltas[k.parents[0]] != 0 for k in kinks)
    for n in nodes:
        for x in (n.data, report.deltas.get(n, 0)):
            x = Fraction(x)
            assert x.denominator in (1, 2, 4, 8, 16) and abs(x) <= 10_000, (n.name, x)
    for p in ex.params:
        assert abs(p.data) <= 6
    paths = worksheet.write_worksheet(ex, tmp_path)
    _no_answers(paths[0].read_text(encoding="utf-8"))
    key = _answers(paths[3].read_text(encoding="utf-8"))
    assert len(key) >= 12 and check_deltas(ex.loss, key).ok


def test_the_command_line(tmp_path, capsys):
    from viz.__main__ import main

    assert main(["worksheet", "--patient", "3", "-o", str(tmp_path)]) == 0
    assert main(["worksheet", "--model", "2-2-1", "--seed", "4", "-o", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed[0].endswith("patient3-worksheet.svg") and printed[-1].endswith(
        "model2-2-1-seed4-answers.html"
    )
    for bad in (
        ["--model", "2-2"],
        ["--model", "2-x-1"],
        ["--patient", "4"],
        ["--patient", "3", "--model", "2-1"],
    ):
        with pytest.raises(SystemExit) as stop:
            main(["worksheet", *bad, "-o", str(tmp_path)])
        assert stop.value.code == 2
    assert "2-2-1" in capsys.readouterr().err

"""Marks (viz.marks) and the one theme (viz.style): what "wrong", "blank", ... look like, everywhere."""

from __future__ import annotations

import re
import shutil
from fractions import Fraction

import pytest

import viz
from autodiff import Parameter, Value
from viz.marks import MARKS
from viz.style import CARRIED, CAUSE_TEXT, LIGHT, MARK, WRONG, ZERO, css

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def _graph():
    """loss = relu(w·x − 1) at w = 3, x = 1/2: δ of the product is 1, δw = 1/2."""
    w, x = Parameter(Fraction(3), name="w"), Value(Fraction(1, 2), name="x")
    product = w * x
    product.name = "p"
    loss = (product - 1).relu()
    loss.name = "loss"
    loss.backward()
    return loss, w, product


def _node(source: str, node_id: str) -> str:
    """The DOT statement of node `node_id` (its attributes and label)."""
    found = re.search(rf"^\s*{node_id} \[label=<.*?\]$", source, re.M | re.S)
    assert found is not None, node_id
    return found[0]


def _id_of(loss, node) -> str:
    return next(n.id for n in viz.records(loss).nodes if n.name == node.name)


def test_the_vocabulary_is_the_themes():
    assert MARKS == ("pending", "current", "wrong", "cause", "carried", "blank")
    assert set(MARK) == set(MARKS)


@pytest.mark.parametrize("mark", ["wrong", "cause", "carried"])
def test_wrong_marks_outline_the_node_in_the_checked_colours(mark):
    # Not the negative δ's red: a wrong δ may be positive, and red already means "below zero".
    loss, _, product = _graph()
    plain = _node(viz.to_dot(loss), _id_of(loss, product))
    marked = _node(viz.to_dot(loss, marks={product: [mark]}), _id_of(loss, product))
    colour = CARRIED if mark == "carried" else WRONG
    assert f'color="{colour}"' in marked and f'color="{colour}"' not in plain
    width = float(re.search(r'penwidth="?([\d.]+)', marked)[1])
    assert width >= 2
    assert ("peripheries=2" in marked) == (mark == "cause")
    assert (CAUSE_TEXT in marked) == (mark == "cause")
    assert ("dashed" in marked) == (mark == "carried")


def test_a_blank_delta_reads_delta_equals_question_mark_and_gives_nothing_away():
    loss, w, _ = _graph()
    source = viz.to_dot(loss, marks={w: ["blank"]})
    node = _node(source, _id_of(loss, w))
    assert "<B>δw = ?</B>" in node and f'COLOR="{ZERO}"' in node
    assert "δw = 1/2" not in node  # neither in the label nor in the tooltip
    # The cell keeps about the answer's width, so the picture keeps its layout.
    assert re.search(r'<TD WIDTH="\d+"><FONT COLOR="#6b6b6b"><B>δw = \?</B>', node)
    assert "<B>δw = 1/2</B>" in viz.to_dot(loss)


def test_pending_and_current_look_as_in_the_step_frames():
    loss, w, product = _graph()
    source = viz.to_dot(loss, marks={w: "pending", product: ["current"]})
    pending, current = _node(source, _id_of(loss, w)), _node(source, _id_of(loss, product))
    assert 'style="rounded,dashed"' in pending and f'color="{LIGHT}"' in pending and "δw = ?" in pending
    assert 'fillcolor="#fff3cd"' in current and "penwidth=4" in current


def test_marks_are_keyed_by_value_or_by_shown_name_and_checked():
    loss, w, _ = _graph()
    assert viz.to_dot(loss, marks={"w": ["wrong"]}) == viz.to_dot(loss, marks={w: ["wrong"]})
    with pytest.raises(ValueError, match=r"unknown mark 'false'.*'pending', 'current', 'wrong', 'cause'"):
        viz.to_dot(loss, marks={w: ["false"]})
    with pytest.raises(ValueError, match="no node of the graph is shown with the name 'v'"):
        viz.draw(loss, marks={"v": ["wrong"]})
    with pytest.raises(ValueError, match="not a node of the graph"):
        viz.draw(loss, marks={Value(1, name="other"): ["wrong"]})
    with pytest.raises(TypeError, match="marks maps nodes"):
        viz.draw(loss, marks=["wrong"])
    records = viz.records(loss, marks={w: ["wrong", "cause"]})
    assert {n.name: n.marks for n in records.nodes if n.marks} == {"w": frozenset({"wrong", "cause"})}


def test_the_pages_state_rules_come_from_the_theme():
    rules = css()
    assert f"g.node.m-wrong path, g.node.m-wrong polygon {{ stroke: {WRONG}; stroke-width: 3; }}" in rules
    assert "g.node.pending path, g.node.pending polygon" in rules and "stroke-dasharray: 5 3" in rules


@needs_dot
def test_marks_in_a_rendered_svg_and_on_the_step_page(tmp_path):
    loss, w, product = _graph()
    svg = viz.render(loss, tmp_path / "marked.svg", marks={product: ["cause"], w: ["blank"]}).read_text()
    groups = dict(re.findall(r'<g id="node&#45;(n\d+)" class="node[^"]*">(.*?)</g>\n</g>', svg, re.S))
    cause, blank = groups[_id_of(loss, product)], groups[_id_of(loss, w)]
    assert cause.count(f'stroke="{WRONG}" stroke-width="3"') == 2  # a double outline
    assert CAUSE_TEXT in cause and WRONG not in blank
    assert "δw = ?" in blank and "δw = 1/2" not in svg
    page = viz.to_html(loss, marks={"w": "blank", product: "wrong"}).html
    assert re.search(r'<g id="node&#45;n\d+" class="node k&#45;operation m&#45;wrong">', page)
    data = re.search(r'<script type="application/json" id="ad-data">(.*?)</script>', page, re.S)[1]
    assert '"delta": "δw = ?"' in data and "δw = 1/2" not in page


def test_a_blank_delta_hides_its_value_on_the_arrows_at_its_node_too():
    from viz.article import patient

    p = patient(3)
    options = {"params": p.params, "names": p.names, "delta_names": p.delta_names}
    plain = viz.to_dot(p.loss, **options)
    blank = viz.to_dot(p.loss, marks={"o2": "blank"}, **options)
    # The arrow bringing δ3 into o2 and the three sending it on to the products: names, no numbers.
    assert "δ3 · 1 = −1" in plain and "δ3 · 1 = −1" not in blank
    assert "relu′(0) = 1<BR/>= (−1) · 1 = −1" in plain and "relu′(0) = 1<BR/>= (−1)" not in blank
    assert "δ4 · relu′(o2)" in blank and blank.count(">δ3 · 1<") == 3
    # Arrows elsewhere keep their numbers.
    assert "δ2_2 = δ3 · w2_2" in blank and "= 3/11600" in blank

"""viz DOT text: golden files, labels, escaping, layers and the size limit (no `dot` needed).

Regenerate the golden files after an intended change with `VIZ_UPDATE_GOLDEN=1 pytest tests/test_viz_dot.py`.
"""

from __future__ import annotations

import os
import re
from fractions import Fraction
from pathlib import Path

import pytest

import autodiff
import viz
from autodiff import Value
from viz import text
from viz.article import patient_dot

GOLDEN = Path(__file__).parent / "golden"


def _small_graph() -> Value:
    """a · a + w · a with a layer: a node used three times, a weight, one layer box."""
    a = Value(3, name="a")
    w = autodiff.Parameter(Fraction(-1, 2), name="w")
    with autodiff.layer("L1"):
        out = a * a + w * a
    out.name = "out"
    out.backward()
    return out


CASES = {
    "small_backward.dot": lambda: viz.to_dot(_small_graph()),
    "small_forward.dot": lambda: viz.to_dot(_small_graph(), view="forward", legend=False),
    "patient3_backward.dot": lambda: patient_dot(3),
    "patient3_forward.dot": lambda: patient_dot(3, view="forward"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_dot_matches_golden_file(name):
    source = CASES[name]()
    path = GOLDEN / name
    if os.environ.get("VIZ_UPDATE_GOLDEN"):
        path.write_text(source, encoding="utf-8")
    assert source == path.read_text(encoding="utf-8")


def test_backward_labels_show_the_chain_rule_in_names_then_numbers():
    source = viz.to_dot(_small_graph())
    # out = a·a + w·a at a = 3, w = −1/2: δa = 3 + 3 + (−1/2) = 11/2, δw = 3.
    # The products pass on the δ of the sum `out` unchanged, so their δ is named δout.
    assert source.count("δout · a<BR/>= 1 · 3 = 3") == 3  # a·a sends δ · a twice, w gets δ · a once
    assert "δw = δout · a<BR/>= 1 · 3 = 3" in source
    assert "δout · w<BR/>= 1 · (−1/2) = −1/2" in source
    assert "δa = 3 + 3 + (−1/2) = 11/2" in source
    assert source.count("dir=back") == 6  # a·a (twice), w·a (twice), the two products into the sum


def test_a_one_input_op_shows_where_its_local_derivative_was_taken():
    source = patient_dot(3)
    # o3 = relu(o2) at o2 = 0: the articles' rule passes δ at 0, and the arrow says so.
    assert "δ3 =<BR/>δ4 · relu′(o2)<BR/>relu′(0) = 1<BR/>= (−1) · 1 = −1" in source
    assert "δ1_2 = δ2_2 · 1 = 3/11600" in source
    x = Value(-2, name="x")
    y = x.relu()
    y.backward()
    assert "relu′(−2) = 0" in viz.to_dot(y)


def test_the_article_reads_down_with_each_weight_in_the_row_above_its_product():
    source = patient_dot(3)
    # Read across, the article's 8 columns are too wide for a page: it is drawn top to bottom.
    assert "rankdir=TB" in source
    weights = re.findall(r"(n\d+) \[label=<<TABLE[^\n]*>weight<", source)
    assert len(weights) == 3
    for w in weights:
        (edge,) = re.findall(rf"\t{w} -> n\d+ \[label=[^\n]*", source)
        assert "xlabel" not in edge
        # The weight shares the row of its product's other input (o1_1 for w2_1): one row above the product.
        row = rf"\{{\n\t\trank=same\n\t\t(n\d+)\n\t\t{w}\n\t\t\1 -> {w} \[style=invis\]\n\t\}}"
        assert re.search(row, source)
    assert "decorate" not in source  # no underline ties between labels and arrows


def test_a_short_graph_reads_across_with_labels_beside_arrows_inside_a_column():
    w, x = autodiff.Parameter(2, name="w"), Value(3, name="x")
    loss = w * x
    loss.backward()
    source = viz.to_dot(loss)
    assert "rankdir=LR" in source
    (edge,) = re.findall(r"\tn\d+ -> n0 \[[^\n]*xlabel=[^\n]*", source)  # w sits beside its product
    assert "δw = δ(w·x) · x" in edge


def test_article_names_read_like_the_learning_flow():
    source = patient_dot(3)
    for shown in ("δ4 = −1", "δ3 = −1", "δ2_1 = −1/200", "δ1_3 = −1/5800", "δw2_3 = −3000", "y_truth = 1"):
        assert shown in source
    assert "δ2_1 = δ3 · w2_1<BR/>= (−1) · 1/200<BR/>= −1/200" in source
    assert "<B>w2_1·o1_1</B> = 0" in source  # the products of L2 are named from their inputs
    clusters = re.findall(r"subgraph cluster_\d+ \{\n\t\t[^\n]*label=<<B>([^<]*)</B>>", source)
    assert clusters == ["L1", "L2", "L3", "Loss"]


def test_forward_view_hides_deltas_but_keeps_the_layout():
    back = viz.to_dot(_small_graph())
    forward = viz.to_dot(_small_graph(), view="forward")
    assert "dir=back" not in forward
    # Every δ text is there but transparent, so dot places every node exactly as in the backward view.
    assert 'COLOR="transparent"><B>δa = 3 + 3 + (−1/2) = 11/2</B>' in forward

    def shape(source):
        # Colours, ids, tooltips and arrow directions change nothing in where dot puts the nodes.
        body = source.split("\n", 2)[2]  # past the heading
        body = re.sub(r'"[^"]*"', '""', body)
        return re.sub(r"(dir|arrowhead|arrowtail|penwidth)=\S+ ?", "", body)

    assert shape(back) == shape(forward)


def test_ids_never_come_from_memory_addresses():
    source = viz.to_dot(_small_graph())
    declared = set(re.findall(r"^\t+(\w+) \[", source, re.MULTILINE)) - {"graph", "node", "edge"}
    assert sorted(declared) == ["n0", "n1", "n2", "n3", "n4"]
    linked = set(re.findall(r"^\t(\w+) -> (\w+) \[(?!style=invis)", source, re.MULTILINE))
    assert linked == {("n1", "n0"), ("n2", "n0"), ("n4", "n1"), ("n3", "n2"), ("n4", "n2")}


HOSTILE = ['q"uote', "<b>tag</b>", "a & b", "two\nlines", "{brace}", "back\\slash", "nul\x00tab\t", "]]>"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_escaped(name):
    with autodiff.layer(name):
        v = Value(2, name=name) * Value(3, name=name)
    v.name = name
    v.backward()
    source = viz.to_dot(v)
    for line in source.splitlines():
        if "label=<" in line:
            label = re.sub(r'tooltip="[^"]*"', "", line.split("label=<", 1)[1])
            # Inside an HTML label only our own tags may appear: no user <, > or raw quotes.
            assert "<b>" not in label and "</b>" not in label
            assert '"uote' not in label and "\x00" not in label and "\t" not in label
    assert text.html(name) in source


def test_html_escape():
    assert text.html('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    assert text.html("a\nb") == "a<BR/>b"
    assert text.html("\x00\x1b") == "\\x00\\x1b"
    assert text.html("δ ∂ ·") == "δ ∂ ·"


def test_numbers_are_exact_but_bounded():
    assert text.number(Fraction(-3, 11600)) == "-3/11600"
    assert text.number(0.5) == "0.5"
    huge = Fraction(10**80 + 1, 3)
    assert text.number(huge) == f"≈{float(huge):.6g}"


@pytest.mark.parametrize(
    ("x", "shown"),
    [
        (-0.48275862068965514, "-0.4828"),
        (1e-300, "1e-300"),
        (-1.1e-16, "-1.1e-16"),
        (123456789.0, "1.235e+08"),
        (0.9441110234151728, "0.9441"),
        (-0.0, "0"),
        (3, "3"),
        (Fraction(15, 29), "15/29"),
    ],
)
def test_floats_get_four_significant_digits_exact_numbers_stay_exact(x, shown):
    assert text.number(x) == shown


def test_float_graph_labels_are_short():
    w = Value(0.9441110234151728, name="w")
    x = Value(-0.5514156663052727, name="x")
    loss = (w * x - 1) ** 2 / 2
    loss.backward()
    source = viz.to_dot(loss)
    assert "<B>w</B> = 0.9441" in source and "<B>x</B> = −0.5514" in source
    assert re.search(r"\d{7}", source) is None  # no 17-digit floats anywhere in the picture


def test_view_must_be_known():
    with pytest.raises(ValueError, match=r"view must be one of 'backward', 'forward'.*got 'sideways'"):
        viz.draw(_small_graph(), view="sideways")


def _layered(layers: int, width: int) -> Value:
    h = Value(1, name="x")
    for n in range(layers):
        with autodiff.layer(f"L{n + 1}"):
            total = Value(1, name=f"w{n}_0") * h
            for i in range(1, width):
                total = total + Value(1, name=f"w{n}_{i}") * h
            h = total
    return h


def test_big_graph_collapses_layers_into_summary_boxes_with_delta_statistics():
    root = _layered(4, 30)  # 4 · (30 + 30 + 29) + 1 = 357 nodes
    root.backward()
    assert len(viz.records(root).nodes) == 357
    source = viz.to_dot(root, budget=100)
    assert source.count("(collapsed)") == 4
    assert "input ×30, mul ×30, add ×29" in source
    assert "30 arrows" in source
    assert "357 nodes, more than the budget of 100: layers collapsed into boxes" in source
    assert "pass budget=None to draw every node" in source
    assert "|δ| from 1 to" in source and "δ = 0 in 0 of 89 (0%)" in source
    assert "(collapsed)" not in viz.to_dot(root, budget=None)


def test_collapsed_batch_gathers_data_points_and_shared_weights_into_boxes():
    from autodiff.learn.datasets import make_moons, moons_loss
    from autodiff.learn.nn import MLP

    points, labels = make_moons(4, seed=0)
    loss, _ = moons_loss(MLP(2, [4, 1], seed=0), points, labels)  # the L2 penalty shares every parameter
    loss.backward()
    full = viz.records(loss)
    assert len(full.nodes) > 100
    source = viz.to_dot(loss, budget=30)
    assert "<B>weights</B>" in source and "17 leaves outside any layer (collapsed)" in source
    assert "<B>inputs</B>" in source and "x1 ×4, x2 ×4" in source
    assert "b1_1, b1_2, b1_3, b1_4, … (17 different)" in source
    assert "cluster_" not in source  # a collapsed layer is its own box, not a box in a box
    assert "dead ReLUs (input &lt; 0):" in source


def test_a_graph_larger_than_max_nodes_is_refused_after_reading_max_nodes():
    h = Value(1, name="x")
    for _ in range(300):
        h = h * 2
    with pytest.raises(viz.GraphTooLargeError, match=r"more than max_nodes=50 nodes; viz stopped reading"):
        viz.to_dot(h, max_nodes=50)


def test_a_drawing_dot_cannot_lay_out_quickly_is_refused():
    h = Value(1, name="x")
    for _ in range(500):
        h = h * 2  # no layers: nothing to collapse
    with pytest.raises(viz.GraphTooLargeError, match=r"more than `dot` lays out in a few seconds"):
        viz.to_dot(h, budget=50)


def test_drawing_before_backward_says_so():
    source = viz.to_dot(Value(2, name="x") * 3)
    assert "every δ is 0: call loss.backward() before drawing" in source


def test_float_sums_are_compared_up_to_rounding():
    a = Value(0.1, name="a")
    out = a * 0.7 + a * 0.2 + a * 0.1
    out.backward()
    source = viz.to_dot(out)
    assert "δa = 0.7 + 0.2 + 0.1 = " in source and "uses send" not in source


@pytest.mark.parametrize("bad", [0, -5, 2.5, True])
def test_max_nodes_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="max_nodes must be a positive int or None"):
        viz.to_dot(Value(1) * 2, max_nodes=bad)

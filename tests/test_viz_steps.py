"""viz.steps, the frames and the page: the backward pass step by step, read without writing .grad."""

from __future__ import annotations

import json
import re
import shutil
from fractions import Fraction

import pytest

import viz
from autodiff import Parameter, Value
from autodiff.articles import gradient_descent as article
from viz.article import patient
from viz.frames import layout, scene, write_frames
from viz.html import page

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def fresh_patient3():
    """Patient 3's graph built from scratch, after the first two patients' updates, before backward()."""
    w2 = article.weights()
    for x, y in article.PATIENTS[:2]:
        article.learn(x, y, w2)
    x, y = article.PATIENTS[2]
    return article.forward(x, y, w2)


def test_steps_follow_the_engines_order_and_never_write_grad():
    g = fresh_patient3()
    nodes = [*g.x, *g.w2, *g.o1, g.o2, g.o3, g.loss]
    before = [n.grad for n in nodes]
    out = viz.steps(g.loss)
    assert [n.grad for n in nodes] == before == [0] * len(nodes)
    assert all(s.kind == "delta" for s in out)
    # Separately built and differentiated by the engine: the same nodes, in backward()'s order.
    h = fresh_patient3()
    h.loss.backward()
    from autodiff import topological_order

    order = topological_order(h.loss)
    assert len(out) == len(order) == 17
    ours = {id(n): i for i, n in enumerate([*g.x, *g.w2, *g.o1, g.o2, g.o3, g.loss])}
    theirs = [*h.x, *h.w2, *h.o1, h.o2, h.o3, h.loss]
    for mine, engine in zip([s.node for s in out], order, strict=True):
        if id(mine) in ours:
            assert theirs[ours[id(mine)]] is not None
            assert engine is theirs[ours[id(mine)]]  # same role in the same place
    for mine, other in zip(nodes, theirs, strict=True):
        assert out[-1].deltas[mine] == other.grad
        assert type(out[-1].deltas[mine]) is type(other.grad)


def test_each_step_lists_the_products_that_made_its_delta():
    g = fresh_patient3()
    names = {g.o3: "δ4", g.o2: "δ3", g.o1[1]: "δ2_2"}
    out = viz.steps(g.loss, delta_names=names)
    assert out[0].node is g.loss and out[0].delta == 1 and out[0].contributions == ()
    by_node = {id(s.node): s for s in out}
    step = by_node[id(g.o1[1])]
    assert step.sentence == "δ2_2 = δ3 · w2_2 = (−1) · (−3/11600) = 3/11600"
    assert step.delta == Fraction(3, 11600)
    (part,) = step.contributions
    assert (part.delta_out, part.local, part.value) == (-1, Fraction(-3, 11600), Fraction(3, 11600))
    # The δs known at a step are exactly those of the steps so far.
    assert set(map(id, step.deltas)) == {id(s.node) for s in out[: step.number]}


def test_a_node_used_twice_sums_its_contributions():
    a = Value(Fraction(3), name="a")
    loss = a * a
    (_, second) = viz.steps(loss)
    assert second.node is a and second.delta == 6
    assert [c.value for c in second.contributions] == [3, 3]
    assert second.sentence == "δa = 3 + 3 = 6"


def test_update_steps_are_exact_and_change_nothing():
    g = fresh_patient3()
    out = viz.steps(g.loss, lr=article.LEARNING_RATE, delta_names={g.w2[1]: "δw2_2"})
    updates = [s for s in out if s.kind == "update"]
    assert [s.node for s in updates] == [g.w2[0], g.w2[1], g.w2[2]]
    w = g.w2[1]
    assert updates[1].new == w.data - article.LEARNING_RATE * -2000 == Fraction(-17, 290000)
    assert updates[1].sentence == "ŵ2_2 = w2_2 − α·δw2_2 = −3/11600 − 10⁻⁷·(−2000) = −17/290000"
    assert w.data == Fraction(-3, 11600) and w.grad == 0


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="needs the loss, a Value"):
        viz.steps(3)
    with pytest.raises(ValueError, match="does not depend on anything"):
        viz.steps(Value(1, requires_grad=False) * 2)
    w = Parameter(Fraction(1), name="w")
    other = Parameter(Fraction(2), name="v")
    with pytest.raises(ValueError, match="is not in the loss's graph"):
        viz.steps(w * 3, lr=Fraction(1, 10), params=[other])
    with pytest.raises(TypeError, match="params=\\[w\\]"):
        viz.steps(w * 3, lr=Fraction(1, 10), params=w)
    with pytest.raises(TypeError):
        viz.steps(w * 3, lr="fast")


@needs_dot
def test_frames_keep_every_node_in_place(tmp_path):
    p = patient(3)
    s = scene(p.loss, lr=article.LEARNING_RATE, params=p.params, names=p.names, delta_names=p.delta_names)
    paths = write_frames(s, tmp_path, "patient3", animate=False)
    assert [q.name for q in paths] == [f"patient3-step{i:02d}.svg" for i in range(1, 21)]

    def places(svg: str) -> dict[str, str]:
        # Each node's outline: its id (Graphviz writes `-` as &#45;) and the path drawn around it.
        found = re.findall(
            r'<g id="node&#45;(n\d+)" class="node[^"]*">\s*<title>[^<]*</title>\s*<path[^>]* d="([^"]+)"', svg
        )
        return dict(found)

    first = places(paths[0].read_text())
    assert len(first) == 20
    for q in paths[1:]:
        assert places(q.read_text()) == first
    step1, step12 = paths[0].read_text(), paths[11].read_text()
    assert step1.count("= ?") == 16 and step12.count("= ?") == 5
    assert "δ2_2 = 3/11600" in step12 and "δ2_2 = ?" in step1


@needs_dot
def test_cli_writes_frames_a_gif_and_the_page(tmp_path):
    from viz.__main__ import main

    assert main(["article", "--patient", "3", "--steps", "-o", str(tmp_path)]) == 0
    assert (tmp_path / "patient3-step01.svg").exists() and (tmp_path / "patient3-step20.svg").exists()
    pil = pytest.importorskip("PIL.Image")
    with pil.open(tmp_path / "patient3-steps.gif") as gif:
        assert gif.n_frames == 20
    assert main(["article", "--patient", "3", "--format", "html", "-o", str(tmp_path)]) == 0
    assert (tmp_path / "patient3.html").exists()


@needs_dot
def test_the_page_is_self_contained_and_carries_the_steps():
    p = patient(3)
    s = scene(p.loss, lr=article.LEARNING_RATE, params=p.params, names=p.names, delta_names=p.delta_names)
    text = page(s).html
    # Nothing fetched at view time: no external script, style, image or font.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "@import" not in text and "url(" not in text
    assert len(text) < 80_000
    data = json.loads(
        re.search(r'<script type="application/json" id="ad-data">(.*?)</script>', text, re.S)[1]
    )
    assert len(data["steps"]) == 20 and data["lastDelta"] == 17
    w22 = next(i for i, n in data["nodes"].items() if n["value"].startswith("w2_2 ="))
    assert data["nodes"][w22]["update"].endswith("= −17/290000")
    page_html = viz.to_html(p.loss)._repr_html_()
    assert page_html.startswith("<iframe srcdoc=")


@needs_dot
def test_a_layout_is_made_once_and_read_back():
    g = fresh_patient3()
    g.loss.backward()
    where = layout(scene(g.loss))
    assert len(where.nodes) == 20 and where.graph["bb"].startswith("0,0,")
    with pytest.raises(ValueError, match="rankdir"):
        layout(scene(g.loss), "RL")


def test_the_epoch_weights_are_the_training_loops():
    from autodiff.learn.nn import HalfSquaredError
    from autodiff.learn.optim import SGD
    from autodiff.learn.train import gradient_descent
    from viz.patient_steps import epoch_weights

    rows = epoch_weights()
    model = article.model()
    after = []
    gradient_descent(
        model,
        HalfSquaredError(),
        article.dataset(),
        SGD(model.parameters(), article.LEARNING_RATE),
        on_step=lambda step: after.append(tuple(p.data for p in step.model.parameters())),
    )
    assert rows[0] == article.W2
    assert rows[1:] == after
    assert rows[-1] == (Fraction(1, 200), Fraction(-17, 290000), Fraction(137, 290000))


@needs_dot
def test_the_epoch_page_holds_each_patients_page(tmp_path):
    from viz.__main__ import main

    assert main(["epoch", "-o", str(tmp_path)]) == 0
    text = (tmp_path / "epoch.html").read_text(encoding="utf-8")
    assert '<td class="changed">−17/290000</td>' in text
    assert text.count('data-patient="') == 3
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)


def test_a_graph_too_big_to_follow_is_refused_with_a_way_out():
    x = Value(Fraction(1), name="x")
    total = x
    for _ in range(30):
        total = total * x
    with pytest.raises(ValueError, match=r"more than max_nodes=20.*max_nodes=None"):
        scene(total, max_nodes=20)


def test_a_difference_is_not_called_a_sum():
    from viz.steps import steps

    a, b, c, d = Value(2.0, "a"), Value(3.0, "b"), Value(1.0, "c"), Value(1.0, "d")
    said = [s.sentence for s in steps((a * b - c) * d)]
    assert (
        "a·b receives δ(a·b − c) · 1 = 1 · 1 = 1 (a difference passes δ on unchanged to its first term)"
        in said
    )
    assert not any("a sum passes" in s for s in said)
    assert "δc = δ(a·b − c) · (−1) = 1 · (−1) = −1" in said
    said = [s.sentence for s in steps((a * b + c) * d)]
    assert "a·b receives δ(a·b + c) · 1 = 1 · 1 = 1 (a sum passes δ on unchanged)" in said


@needs_dot
def test_cli_pages_and_frames_honour_lr(tmp_path):
    from viz.__main__ import main

    assert (
        main(["article", "--patient", "3", "--format", "html", "--lr", "1/10", "-o", str(tmp_path / "a")])
        == 0
    )
    assert main(["article", "--patient", "3", "--format", "html", "-o", str(tmp_path / "b")]) == 0
    given = (tmp_path / "a" / "patient3.html").read_text()
    default = (tmp_path / "b" / "patient3.html").read_text()
    assert "ŵ2_1 = w2_1 − α·δw2_1 = 1/200 − 1/10·0 = 1/200" in given and "10⁻⁷" not in given
    assert "10⁻⁷" in default


def test_steps_keep_one_table_of_deltas_not_one_copy_per_step():
    # n steps must hold n δ entries in all (linear memory), not 1 + 2 + ... + n copies.
    x = Value(Fraction(1, 2), name="x")
    h = x
    for _ in range(200):
        h = h * x + 1
    out = viz.steps(h)
    tables = {id(s.deltas._table) for s in out}
    assert len(tables) == 1
    assert len(out[0].deltas._table) == len(out)
    # Each view still reads as the δs known at its step, and only those.
    middle = out[len(out) // 2]
    assert len(middle.deltas) == middle.number == len(list(middle.deltas))
    later = out[middle.number].node
    assert later not in middle.deltas and later in out[-1].deltas
    with pytest.raises(KeyError):
        middle.deltas[later]

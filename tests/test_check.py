"""check_deltas: a hand derivation checked, the first wrong δ named, each mistake recognised by its hint.

Every injected mistake is made independently of autodiff.check: by running autodiff's own backward
pass on a changed graph (a ReLU whose derivative at 0 is 0, one use of a node detached, the weights
after the update, a hook that passes a wrong δ on), never by the hypotheses being tested.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction as F
from typing import Any

import pytest

import autodiff
from autodiff import DeltaMismatch, DeltaReport, Hint, Parameter, Value, assert_deltas, check_deltas, ops
from autodiff.articles import gradient_descent as article
from autodiff.check import HINT_CODES

ALPHA = article.LEARNING_RATE


def patient3(number: Any = F) -> article.ArticleGraph:
    """The article's third patient after the first two updates (which change nothing)."""
    w2 = article.weights(number)
    for x, y in article.PATIENTS[:2]:
        g = article.forward(x, y, w2, number)
        g.loss.backward()
        for w in w2:
            w.data -= number(ALPHA) * w.grad
            w.grad = None
    x, y = article.PATIENTS[2]
    return article.forward(x, y, w2, number)


def right_deltas(g: article.ArticleGraph) -> dict[str, Any]:
    """The article's own derivation of patient 3, in its names."""
    out: dict[str, Any] = {"δ4": -1, "δ3": -1}
    for i, w in enumerate(article.W2, 1):
        out[f"δ2_{i}"] = -w
        out[f"δ1_{i}"] = -w
        out[f"δw2_{i}"] = -article.PATIENTS[2][0][i - 1]
    return out


def codes(report: DeltaReport, name: str) -> set[str]:
    return {h.code for h in report.hints_for(name)}


# --- the article's patient 3 ------------------------------------------------------------------------


def test_the_articles_derivation_is_right_exactly_and_in_floats():
    for number in (F, float):
        g = patient3()
        report = check_deltas(g.loss, {k: number(v) for k, v in right_deltas(g).items()})
        assert report.ok and report.first_wrong is None and report.hints == []
        assert len(report.rows) == 11 and all(r.ok for r in report.rows)
        assert str(report).startswith("δ check: all 11 δs right ✓")


def test_relu_at_zero_names_delta3_the_rule_and_the_carried_errors():
    g = patient3()
    mine = {
        "δ4": -1,
        "δ3": 0,
        **{f"δ2_{i}": f"δ3 * w2_{i}" for i in (1, 2, 3)},
        **{f"δw2_{i}": f"δ3 * x{i}" for i in (1, 2, 3)},
        **{f"δ1_{i}": f"δ2_{i}" for i in (1, 2, 3)},
    }
    report = check_deltas(g.loss, mine)
    assert not report.ok
    assert report.first_wrong == "δ3" and report.nodes["δ3"] is g.o2
    assert codes(report, "δ3") == {"relu_at_zero"}
    text = str(report)
    assert "relu′(0) = 1" in text and "relu_at_zero" in text
    assert report.rule == "δ3 = δ4 · relu′(o2) = (−1) · 1 = −1; relu′(0) = 1"
    assert report.inputs_right is True and "Its inputs were right (δ4 = −1)" in text
    # δw2_1 = δ3 · x1 = 0 is right whatever δ3 is (x1 = 0); the other two carry δ3's error.
    assert {"δw2_2", "δw2_3"} <= set(report.carried) and "δw2_1" not in report.wrong
    assert set(report.carried) == set(report.wrong) - {"δ3"}
    for name in report.carried:
        assert codes(report, name) == {"carried"}
    carried_line = next(line for line in text.splitlines() if line.strip().startswith("carried ("))
    assert "δw2_2" in carried_line and "δw2_3" in carried_line and "fix δ3" in carried_line


def test_the_pictures_sentence_is_the_reports_rule():
    viz_chain = pytest.importorskip("viz.chain")
    g = patient3()
    g.loss.backward()
    names = {g.o3: "δ4", g.o2: "δ3"}
    sentence = viz_chain.ChainRule(g.loss, delta_names=names).edge(g.o3, 0).sentence()
    report = check_deltas(patient3().loss, {"δ3": 0})
    assert report.rule == sentence


def test_float64_flips_the_articles_relu_and_the_check_says_so():
    # In float64, 2000·w2_2 + 3000·w2_3 is −1.1e−16, not 0: the ReLU stops the δ (see exact.py).
    g = patient3(float)
    assert g.o2.data < 0
    report = check_deltas(g.loss, right_deltas(g))
    assert report.first_wrong == "δ3" and report.rows[1].actual == 0
    assert "relu′(−1.11e−16) = 0" in str(report)


def article_mistakes(number: Any) -> list[tuple[str, str, Any, dict[str, Any]]]:
    """(code, the δ, the learner's wrong number as `number`, keywords) for the article's patient 3."""
    g = patient3()
    # Each weight after the article's step w − α·δw, then the forward and backward pass again.
    deltas = {w.name: -F(x) for w, x in zip(g.w2, article.PATIENTS[2][0], strict=True)}
    updated = [Parameter(w.data - ALPHA * deltas[w.name], name=w.name) for w in g.w2]
    after = article.forward(article.PATIENTS[2][0], 1, updated)
    after.loss.backward()
    found = [
        ("sign", "δ4", 1, {}),
        ("factor", "δ4", -2, {}),
        ("factor", "δ4", F(-1, 2), {}),
        ("relu_at_zero", "δ3", 0, {}),
        ("sign", "δw2_3", 3000, {}),
        ("updated_weight", "δ4", after.o3.grad, {}),
        ("updated_weight", "δ2_2", after.o1[1].grad, {}),
        ("learning_rate", "δw2_2", ALPHA * -2000, {}),
        ("learning_rate", "δw2_3", g.w2[2].data - ALPHA * -3000, {}),
    ]
    return [(code, name, number(v), kw) for code, name, v, kw in found]


@pytest.mark.parametrize("number", [F, float], ids=["exact", "float"])
def test_each_mistake_on_the_article_gives_its_hint(number):
    for code, name, wrong, kw in article_mistakes(number):
        g = patient3()
        right = right_deltas(g)
        mine = {**{k: number(v) for k, v in right.items()}, name: wrong}
        report = check_deltas(g.loss, mine, **kw)
        assert report.first_wrong == name, (code, name)
        assert code in codes(report, name), (code, name, report.hints)
        assert all(h.name in report.wrong for h in report.hints)  # no hint on a right δ
        assert f"{code} ({name})" in str(report)


def test_output_for_input_on_the_article_model_with_a_negative_o2():
    # x = (0, 2000, 0): o2 = −15/29 < 0, so relu′(o2) = 0; taken at the output o3 = 0 it would be 1.
    for number in (F, float):
        g = article.forward((0, 2000, 0), 1, article.weights(number), number)
        report = check_deltas(g.loss, {"δ4": -1, "δ3": -1})
        assert report.first_wrong == "δ3"
        assert codes(report, "δ3") == {"output_for_input"}
        assert "relu′(0) = 1, the right relu′(" in str(report)


def test_missing_path_when_one_weight_serves_two_patients():
    # The next article's batch: one loss over patients 1 and 3, the weights after the first epoch.
    w2 = article.weights()
    for x, y in article.PATIENTS:
        article.learn(x, y, w2)
    g1 = article.forward(*article.PATIENTS[0], w2)
    g3 = article.forward(*article.PATIENTS[2], w2)
    loss = g1.loss + g3.loss
    loss.backward()
    only_patient3 = g3.o2.grad * g3.o1[2].data  # δw2_3 from patient 3 alone
    assert only_patient3 != w2[2].grad
    report = check_deltas(loss, {w2[2]: only_patient3})
    assert report.first_wrong == "δw2_3" and codes(report, "δw2_3") == {"missing_path"}
    assert "2 uses" in str(report)
    # The same δ given as a float misses the same path within the tolerance.
    report = check_deltas(loss, {"w2_3": float(only_patient3)})
    assert codes(report, "δw2_3") == {"missing_path"}


def test_first_wrong_is_the_wrong_delta_nearest_the_loss_between_two_independent_mistakes():
    # δw2_2 is two steps below δ3, δ1_1 three (through o1_1): both rules went wrong on their own,
    # and the one nearest to the loss is named first, whatever branch a walk visits first.
    mine = {**right_deltas(patient3()), "δ1_1": 7, "δw2_2": 5}
    report = check_deltas(patient3().loss, mine)
    assert report.first_wrong == "δw2_2" and report.inputs_right is True
    assert report.wrong == ["δw2_2", "δ1_1"]
    names = [r.name for r in report.rows]
    assert names[:2] == ["δ4", "δ3"]
    assert all(names.index(f"δ1_{i}") > names.index(f"δ2_{i}") for i in (1, 2, 3))
    assert max(names.index(f"δw2_{i}") for i in (1, 2, 3)) < min(names.index(f"δ1_{i}") for i in (1, 2, 3))


def test_micrograd_style_weights_as_plain_values_get_the_update_hints():
    # micrograd makes every weight a plain Value; the learning-rate and update mistakes still count.
    def loss_of(w0: F, b0: F) -> tuple[Value, Value, Value]:
        w, b = Value(w0, name="w"), Value(b0, name="b")
        z = w * Value(F(3), name="x", requires_grad=False) + b
        return (z - 5) ** 2, w, b

    lr = F(1, 10)
    loss, w, b = loss_of(F(2), F(1))
    loss.backward()
    after, w_after, _ = loss_of(w.data - lr * w.grad, b.data - lr * b.grad)
    after.backward()
    assert w_after.grad != w.grad
    for mine, code in ((lr * w.grad, "learning_rate"), (w_after.grad, "updated_weight")):
        report = check_deltas(loss_of(F(2), F(1))[0], {"w": mine}, lr=lr)
        assert code in codes(report, "δw"), (mine, report.hints)


# --- keys, values, tolerance -----------------------------------------------------------------------


def test_keys_are_values_names_with_or_without_delta_or_d():
    g = patient3()
    for key in (g.w2[0], "w2_1", "δw2_1", "dw2_1"):
        report = check_deltas(g.loss, {key: 0})
        assert report.ok and [r.name for r in report.rows] == ["δw2_1"]
    for key in ("o2", "δo2", "do2", "δ3", "d3", g.o2):
        assert check_deltas(g.loss, {key: -1}).rows[0].node is g.o2
    with pytest.raises(KeyError, match=r"no node called 'δ9'.*w2_1.*x1"):
        check_deltas(g.loss, {"δ9": 0})
    with pytest.raises(ValueError, match="y_truth"):
        check_deltas(g.loss, {"y_truth": 0})
    with pytest.raises(TypeError, match="a Value or a node's name"):
        check_deltas(g.loss, {3: 0})
    with pytest.raises(ValueError, match="given twice"):
        check_deltas(g.loss, {"w2_1": 0, "dw2_1": 0})
    with pytest.raises(TypeError, match="map nodes"):
        check_deltas(g.loss, [("w2_1", 0)])
    with pytest.raises(TypeError, match="Value's graph"):
        check_deltas(3, {})


def test_values_are_numbers_strings_and_exact_expressions():
    g = patient3()
    right = "−1/200"
    for value in (
        F(-1, 200),
        "-1/200",
        right,
        "-0.005",
        " - 1 / 200 ",
        "δ3 * w2_1",
        "d4 * 1 * w2_1",
        "-(1/2)^3/25",
    ):
        report = check_deltas(g.loss, {"δ2_1": value})
        assert report.ok, value
        assert report.rows[0].expected == F(-1, 200) and type(report.rows[0].expected) is F
    # The learner's own δ3 is used where given: a wrong δ3 carries into the expression.
    report = check_deltas(g.loss, {"δ3": 1, "δw2_2": "δ3 * x2"})
    assert report.rows[-1].expected == 2000 and report.carried == ["δw2_2"]
    # A decimal string close to a fraction is wrong under ==; a float is compared approximately.
    assert not check_deltas(g.loss, {"δ2_2": "0.0002586"}).ok
    assert check_deltas(g.loss, {"δ2_2": 3 / 11600}).ok
    assert not check_deltas(g.loss, {"δ2_2": 3 / 11600 * (1 + 1e-6)}).ok
    assert check_deltas(g.loss, {"δ2_2": 3 / 11600 * (1 + 1e-6)}, rel=1e-5).ok
    assert check_deltas(g.loss, {"δw2_1": 1e-12}, abs=1e-9).ok
    assert not check_deltas(g.loss, {"δw2_1": 1e-12}).ok
    for bad, error in [
        ("1/0", ValueError),
        ("δ3 *", ValueError),
        ("(1", ValueError),
        ("2 $ 3", ValueError),
        ("", ValueError),
        (None, TypeError),
        (True, TypeError),
    ]:
        with pytest.raises(error):
            check_deltas(g.loss, {"δ3": bad})
    with pytest.raises(ValueError, match="loop"):
        check_deltas(g.loss, {"δ3": "δ4", "δ4": "δ3"})
    with pytest.raises(KeyError, match="no node called 'zz'"):
        check_deltas(g.loss, {"δ3": "zz + 1"})
    with pytest.raises(ValueError, match="rel"):
        check_deltas(g.loss, {}, rel=-1)


def test_a_negative_number_to_a_fractional_power_is_refused_not_complex():
    w = Parameter(F(2), name="w")
    loss = w * Value(F(-8), name="x", requires_grad=False)
    for text in ("(-8)**(1/3)", "x^0.5", "(-1)**0.5"):
        with pytest.raises(ValueError, match="no real value"):
            check_deltas(loss, {"w": text})
    assert check_deltas(loss, {"w": "(-2)**3"}).ok  # an integer power of a negative base is fine


def test_check_needs_no_backward_and_leaves_grads_alone():
    g = patient3()
    nodes = [*g.w2, *g.x, *g.o1, g.o2, g.o3, g.loss]
    before = [n.grad for n in nodes]
    assert check_deltas(g.loss, {"δw2_3": -3000}).ok
    assert [n.grad for n in nodes] == before and all(w.grad is None for w in g.w2)


def test_assert_deltas_raises_with_the_report_text():
    g = patient3()
    assert assert_deltas(g.loss, {"δ3": -1}).ok
    with pytest.raises(DeltaMismatch) as caught:
        assert_deltas(g.loss, {"δ3": 0})
    assert isinstance(caught.value, AssertionError)
    assert str(caught.value) == str(caught.value.report) and "relu_at_zero" in str(caught.value)
    assert "first wrong δ3 (relu_at_zero)" in repr(caught.value.report)


def test_public_names():
    assert autodiff.check_deltas is check_deltas and autodiff.Hint is Hint
    assert HINT_CODES == (
        "sign",
        "factor",
        "relu_at_zero",
        "missing_path",
        "updated_weight",
        "learning_rate",
        "output_for_input",
        "carried",
    )
    assert Hint("sign", "m") == Hint(code="sign", message="m")


# --- random exact and float graphs ------------------------------------------------------------------


@dataclass(frozen=True)
class Program:
    """Leaves, then steps (op, argument indices, a constant); leaf 3 equals leaf 0: relu(v0 − v3) is at 0."""

    leaves: tuple[F, ...]
    steps: tuple[tuple[str, tuple[int, ...], Any], ...]


UNARY = ("relu", "abs", "neg", "leaky_relu", "square")
BINARY = ("add", "sub", "mul")


def make_program(seed: int) -> Program:
    rnd = random.Random(seed)
    leaves = [F(rnd.choice([-1, 1]) * rnd.randint(1, 6), rnd.randint(1, 3)) for _ in range(3)]
    leaves.append(leaves[0])
    steps: list[tuple[str, tuple[int, ...], Any]] = [("sub", (0, 3), None), ("relu", (4,), None)]
    n = 6
    for _ in range(rnd.randint(4, 7)):
        op = rnd.choice((*UNARY, *BINARY, "sum", "scale"))

        def pick(n: int = n) -> int:
            return rnd.randrange(max(0, n - 4), n) if rnd.random() < 0.7 else rnd.randrange(n)

        if op in BINARY:
            args: tuple[int, ...] = (pick(), pick())
        elif op == "sum":
            args = tuple(pick() for _ in range(3))
        else:
            args = (pick(),)
        steps.append((op, args, F(rnd.choice([-3, -1, 1, 2]), rnd.choice([1, 2])) if op == "scale" else None))
        n += 1
    # The output adds the kink, the last two nodes and a node used earlier (more fan-out).
    steps.append(("sum", (5, n - 1, n - 2, rnd.randrange(n)), None))
    return Program(tuple(leaves), tuple(steps))


def _at_output(prim: ops.Primitive) -> ops.Primitive:
    """`prim` with its derivative evaluated at its output instead of its input (a test-only primitive)."""
    return ops.Primitive(
        f"{prim.name}_at_output",
        prim.forward,
        (lambda x, out: prim.local_derivative(0, [out], prim.forward(out)),),
    )


RELU_ZERO_AT_ZERO = ops.Primitive("relu0", ops.relu.forward, (lambda x, out: 1 if x > 0 else 0,))
LEAKY = ops.leaky_relu.bind(slope=F(1, 5))
PRIMS = {"relu": ops.relu, "abs": ops.abs, "neg": ops.neg, "leaky_relu": LEAKY}
AT_OUTPUT = {name: _at_output(p) for name, p in PRIMS.items()}


def build(
    program: Program,
    number: Any = F,
    *,
    leaves: dict[int, Any] | None = None,
    swap: dict[int, ops.Primitive] | None = None,
    detach: tuple[int, int] | None = None,
) -> list[Value]:
    """The program's nodes (named v0, v1, ...; the leaves are Parameters); the last is the output.

    `swap` replaces the primitive of some steps (by node index), `detach` = (node, argument) feeds a
    constant copy of that argument instead (the path through it left out).
    """
    nodes: list[Value] = [
        Parameter(number((leaves or {}).get(i, x)), name=f"v{i}") for i, x in enumerate(program.leaves)
    ]
    for op, args, const in program.steps:
        k = len(nodes)
        xs = [nodes[a] for a in args]
        if detach is not None and detach[0] == k:
            xs[detach[1]] = Value(xs[detach[1]].data, requires_grad=False)
        prim = (swap or {}).get(k)
        if prim is not None:
            out = prim(xs[0])
        elif op in PRIMS:
            out = PRIMS[op](xs[0])
        elif op == "square":
            out = xs[0] ** 2
        elif op == "scale":
            out = xs[0] * number(const)
        elif op == "sum":
            out = autodiff.sum(xs) if len(xs) > 1 else xs[0] + 0
        else:
            out = getattr(ops, op)(*xs)
        if out in nodes:  # autodiff.sum of one node gives the node itself
            out = out + 0
        out.name = f"v{k}"
        nodes.append(out)
    return nodes


def graded(program: Program, number: Any = F, **kw: Any) -> list[Value]:
    nodes = build(program, number, **kw)
    nodes[-1].backward()
    return nodes


def uses(program: Program) -> dict[int, list[tuple[int, int]]]:
    out: dict[int, list[tuple[int, int]]] = {}
    k = len(program.leaves)
    for j, (_op, args, _c) in enumerate(program.steps):
        for pos, a in enumerate(args):
            out.setdefault(a, []).append((k + j, pos))
    return out


def mistakes(program: Program, number: Any) -> list[tuple[str, int, Any, dict[int, Any]]]:
    """(code, node index, the wrong δ, other δs given) for every mistake that changes a δ."""
    right = graded(program, number)
    reached = {id(n) for n in autodiff.topological_order(right[-1])}
    grads = {i: n.grad for i, n in enumerate(right) if id(n) in reached}
    lr = number(F(1, 2))
    out: list[tuple[str, int, Any, dict[int, Any]]] = []

    def differing(code: str, other: list[Value], extra: dict[int, Any] | None = None) -> None:
        for i, n in enumerate(other):
            if i in grads and n.grad is not None and n.grad != grads[i]:
                out.append((code, i, n.grad, extra or {}))

    for i, g in grads.items():
        if g != 0:
            out.append(("sign", i, -g, {}))
            out.append(("factor", i, 2 * g, {}))
            out.append(("factor", i, g / 2, {}))
    k0 = len(program.leaves)
    kinks = [
        k0 + j for j, (op, args, _) in enumerate(program.steps) if op == "relu" and right[args[0]].data == 0
    ]
    differing("relu_at_zero", graded(program, number, swap=dict.fromkeys(kinks, RELU_ZERO_AT_ZERO)))
    for j, (op, _args, _c) in enumerate(program.steps):
        if op in AT_OUTPUT:
            differing("output_for_input", graded(program, number, swap={k0 + j: AT_OUTPUT[op]}))
    for node, all_uses in uses(program).items():
        its_uses = [u for u in all_uses if u[0] in grads]  # uses by nodes the output depends on
        if len(its_uses) >= 2 and node in grads:
            for use in its_uses:
                other = graded(program, number, detach=use)
                if other[node].grad is not None and other[node].grad != grads[node]:
                    out.append(("missing_path", node, other[node].grad, {}))
    new = {i: right[i].data - lr * grads.get(i, 0) for i in range(k0)}
    differing("updated_weight", graded(program, number, leaves=new))
    for i in range(k0):
        if i in grads and grads[i] != 0:
            out.append(("learning_rate", i, lr * grads[i], {}))
            out.append(("learning_rate", i, right[i].data - lr * grads[i], {}))
    # carried: a wrong δ (its sign flipped) passed on by a hook; every δ it changes further down is carried.
    for i, g in grads.items():
        if g == 0 or right[i].is_leaf:
            continue
        nodes = build(program, number)
        nodes[i].register_hook(lambda d: -d)
        nodes[-1].backward()
        before = len(out)
        differing("carried", nodes, {i: -g})
        out[before:] = [m for m in out[before:] if m[1] != i]  # the wrong δ itself is not carried
        break
    return [m for m in out if m[1] in grads and m[2] != grads[m[1]]]


SEEDS = range(12)


@pytest.mark.parametrize("number", [F, float], ids=["exact", "float"])
@pytest.mark.parametrize("seed", SEEDS)
def test_random_graphs_each_injected_mistake_gives_its_code(seed, number):
    program = make_program(seed)
    right = graded(program, number)
    reached = {id(n) for n in autodiff.topological_order(right[-1])}
    all_right = {f"v{i}": n.grad for i, n in enumerate(right) if id(n) in reached}
    assert check_deltas(build(program, number)[-1], all_right).ok
    found: set[str] = set()
    for code, node, wrong, extra in mistakes(program, number):
        nodes = build(program, number)
        mine = {**all_right, f"v{node}": wrong, **{f"v{k}": v for k, v in extra.items()}}
        report = check_deltas(nodes[-1], mine, lr=number(F(1, 2)))
        name = f"δv{node}"
        assert name in report.wrong, (code, node, str(program))
        assert code in codes(report, name), (code, node, wrong, report.hints, program)
        assert all(h.name in report.wrong for h in report.hints)  # no hint on a right δ
        for h in report.hints:  # every hint names a code of the list
            assert h.code in HINT_CODES
        if code == "carried":
            assert report.first_wrong == f"δv{next(iter(extra))}"
        else:
            assert report.first_wrong == name
        found.add(code)
    assert {"sign", "factor", "learning_rate", "updated_weight"} <= found


def test_random_graphs_cover_every_code():
    found: dict[str, set[str]] = {"exact": set(), "float": set()}
    for mode, number in (("exact", F), ("float", float)):
        for seed in SEEDS:
            found[mode] |= {m[0] for m in mistakes(make_program(seed), number)}
    assert found["exact"] == set(HINT_CODES), found
    assert found["float"] == set(HINT_CODES), found


def test_an_exact_power_too_large_to_compute_is_refused_not_a_hang():
    x = Value(F(1, 2), name="x")
    y = x * 3
    with pytest.raises(ValueError, match="more than 10,000 digits"):
        check_deltas(y, {"x": "9**9**9"})
    # Powers a δ can need stay exact: 10^-7, 2^100, and any power of 1 or 0.
    assert check_deltas(y, {"x": "3 * 10^-7 * 10^7"}).ok
    assert check_deltas(y, {"x": "3 * 1**99999999 + 0**99999999"}).ok
    assert not check_deltas(y, {"x": "2^100"}).ok

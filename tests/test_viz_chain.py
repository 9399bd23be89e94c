"""The chain rule in symbols (viz.chain): names, local derivatives, sentences, the update."""

from fractions import Fraction

import pytest

from autodiff import Parameter, Value, layer, ops, topological_order
from autodiff import sum as autodiff_sum
from viz.article import patient
from viz.chain import (
    MINUS,
    ChainRule,
    delta_symbol,
    display_name,
    edge_chain,
    edge_sentence,
    local_symbol,
    number,
    update_sentence,
)


def test_numbers_exact_with_true_minus_and_powers_of_ten():
    assert number(Fraction(-3, 11600)) == "−3/11600"
    assert number(Fraction(1, 10**7)) == "10⁻⁷"
    assert number(-2) == "−2"
    assert number(0.48281) == "0.4828"
    assert number(Fraction(1, 200)) == "1/200"


def test_display_names_made_from_inputs():
    w, x, y = Parameter(2, "w"), Value(3, "x"), Value(5, "y", requires_grad=False)
    assert display_name(w * x) == "w·x"
    assert display_name(w * x - y) == f"w·x {MINUS} y"
    assert display_name((w - x) * y) == f"(w {MINUS} x)·y"
    assert display_name((w * x).relu()) == "relu(w·x)"
    assert display_name((w * x).relu(), names={w: "w2_1"}) == "relu(w2_1·x)"
    assert display_name(w * x + 1) == "w·x + 1"
    assert display_name(((w * x).relu()).tanh(), depth=1) == "tanh(…)"
    assert display_name(autodiff_sum([w, x, w * x])) == "w + x + w·x"


def test_local_symbols_from_the_primitives_own_rules():
    a, b = Value(Fraction(1, 2), "a"), Value(-2, "b")
    assert local_symbol(a * b, 0) == "b" and local_symbol(a * b, 1) == "a"
    assert local_symbol(a + b, 1) == "1"
    assert local_symbol(a - b, 1) == "−1"
    assert local_symbol(autodiff_sum([a, b, a]), 2) == "1"
    assert local_symbol(ops.identity(a), 0) == "1"
    assert local_symbol(b.relu(), 0) == "relu′(b)"
    assert local_symbol((a - b) ** 2, 0) == f"2·(a {MINUS} b)"
    assert local_symbol(a.tanh(), 0) == f"1 {MINUS} tanh(a)²"
    t = a.tanh()
    assert local_symbol(t, 0, names={t: "o"}) == f"1 {MINUS} o²"
    assert local_symbol(a / 2, 0) == "1/2"
    assert local_symbol(a.log(), 0) == "1/a"
    # math.sin cannot be traced: the op's derivative at its input is named instead.
    assert local_symbol(a.sin(), 0) == "sin′(a)"


def test_custom_primitive_without_symbols_falls_back():
    cube = ops.primitive("viz_chain_cube", lambda x: x**3, lambda x, out: float(3 * x * x))
    a = Value(2, "a")
    assert local_symbol(cube(a), 0) == "viz_chain_cube′(a)"
    weird = ops.primitive("viz_chain_weird", lambda x, y: x * y, lambda x, y, out: [][0], lambda x, y, out: x)
    assert local_symbol(weird(a, Value(3, "c")), 0) == "∂viz_chain_weird/∂a"


def test_relu_decision_is_the_backward_passes_one():
    z = Value(0, "z")
    chain = edge_chain(z.relu(), 0)
    assert chain.factor == "relu′(z)" and chain.where == "relu′(0) = 1"


def test_article_patient3_sentences():
    p = patient(3)
    rule = ChainRule(p.loss, p.names, p.delta_names)
    products = [n for n in topological_order(p.loss) if n.op == "mul"]
    first = next(n for n in products if n.parents[0] is p.params[0])
    assert rule.display_name(first) == "w2_1·o1_1"
    assert rule.edge(first, 1).sentence() == "δ2_1 = δ3 · w2_1 = (−1) · 1/200 = −1/200"
    assert rule.edge(first, 0).sentence() == "δw2_1 = δ3 · o1_1 = (−1) · 0 = 0"
    # On the arrow, a long line of numbers is cut after the product; a short one is kept whole.
    assert rule.edge(first, 1).lines() == ["δ2_1 = δ3 · w2_1", "= (−1) · 1/200", "= −1/200"]
    assert rule.edge(first, 0).lines() == ["δw2_1 =", "δ3 · o1_1", "= (−1) · 0 = 0"]
    o3 = p.loss.parents[0].parents[0].parents[0]
    assert rule.edge(o3, 0).sentence() == "δ3 = δ4 · relu′(o2) = (−1) · 1 = −1; relu′(0) = 1"
    assert rule.update(p.params[2], Fraction(1, 10**7)) == (
        "ŵ2_3 = w2_3 − α·δw2_3 = 1/5800 − 10⁻⁷·(−3000) = 137/290000"
    )
    assert update_sentence(p.params[2], Fraction(1, 10**7), delta_names=p.delta_names).startswith("ŵ2_3")
    assert edge_sentence(first, 1, delta_names=p.delta_names).startswith("δ2_1 = ")


def test_delta_symbols_and_errors():
    w = Parameter(2, "w")
    assert delta_symbol(w) == "δw"
    assert delta_symbol(w, delta_names={w: "δ9"}) == "δ9"
    with pytest.raises(ValueError, match="leaf"):
        local_symbol(w, 0)
    with pytest.raises(ValueError, match="input number"):
        local_symbol(w * 2, 5)
    with pytest.raises(TypeError, match="map Values to str"):
        display_name(w, names={"w": "x"})


def test_layer_products_in_a_model():
    with layer("L"):
        x = Value(1, "x")
        ws = [Parameter(i, f"w{i}") for i in (1, 2)]
        s = autodiff_sum([wi * x for wi in ws])
    assert display_name(s) == "w1·x + w2·x"


def test_a_factor_that_is_a_sum_a_difference_or_negative_is_bracketed():
    a, b = Value(2.0, "a"), Value(3.0, "b")
    t = (a * b).tanh()
    assert edge_chain(t, 0).symbols() == "δ(tanh(a·b)) · (1 − tanh(a·b)²)"
    d = a - b
    assert edge_chain(d, 0).symbols() == "δ(a − b) · 1"
    assert edge_chain(d, 1).symbols() == "δ(a − b) · (−1)"
    q = a / b
    assert edge_chain(q, 0).symbols() == "δ(a/b) · 1/b"
    assert edge_chain(q, 1).symbols() == "δ(a/b) · (−a/b/b)"
    c = Value(1.0, "c")
    assert edge_chain((a - b) * c, 1).symbols() == "δ((a − b)·c) · (a − b)"
    assert edge_chain(a * b, 1).symbols() == "δ(a·b) · a"  # a product needs no brackets


def test_powers_of_ten_are_typeset_with_their_sign():
    assert number(Fraction(-1, 10**7)) == "−10⁻⁷"
    assert number(Fraction(3, 10**7)) == "3·10⁻⁷"
    assert number(-(10**7)) == "−10⁷"
    assert number(Fraction(-(10**6), 7)) == "−10⁶/7"
    assert number(Fraction(1, 1000)) == "1/1000"  # few zeros: as written


def test_long_made_up_names_become_short_names_with_a_key():
    from viz.article import patient
    from viz.names import Names

    p = patient(3)
    names = Names(p.loss, names=p.names, delta_names=p.delta_names)
    square = p.loss.parents[0]  # (o3 − y_truth)², the loss's first input
    difference = square.parents[0]
    assert names.name(square) == "s1" and names.key(square) == "(o3 − y_truth)²"
    assert names.delta(square) == "δs1"
    # A short made-up name reads as it is, and the article's names are never replaced.
    assert names.name(difference) == "o3 − y_truth" and names.key(difference) is None
    assert all(names.key(w) is None for w in p.params)
    assert "δs1 · 2·(o3 − y_truth)" in names.edge(square, 0).sentence()


def test_short_names_skip_a_name_already_taken():
    from viz.names import Names

    a, b = Value(2.0, name="s1"), Value(3.0, name="b")
    loss = ((a * b + a) * (a + b + b)) ** 3
    names = Names(loss)
    shorts = [names.name(node) for node in names.order if names.key(node) is not None]
    assert shorts and "s1" not in shorts


def test_a_neurons_sum_is_named_after_its_activation_like_its_delta():
    from autodiff.learn.nn import MLP, HalfSquaredError
    from viz.names import Names

    model = MLP(2, [3, 1], seed=0)
    trace = model.trace([0.5, -1.0], 1.0, HalfSquaredError())
    loss = trace.loss
    loss.backward()
    names = Names(loss)
    sums = [n for n in names.order if n.op == "sum"]
    activations = {id(n.parents[0]): n for n in names.order if n.op == "relu"}
    assert sums and any(id(s) in activations for s in sums)
    for s in sums:
        if id(s) in activations:
            shown = names.name(s)
            assert shown == "Σ" + activations[id(s)].name and names.delta(s) == "δ" + shown
            assert names.key(s).startswith("Σ(") or " + " in names.key(s)

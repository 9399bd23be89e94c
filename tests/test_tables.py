"""The articles' tables, produced by the library, compared with golden strings."""

# ruff: noqa: E501 - the golden tables are as wide as the tables themselves

from __future__ import annotations

from fractions import Fraction

import pytest

from autodiff.articles import gradient_descent as article
from autodiff.articles.tables import (
    article_tables,
    backward_table,
    format_cell,
    format_vector,
    forward_table,
    loss_table,
    render,
    run,
    update_table,
)
from autodiff.learn.nn import HalfSquaredError, Input, Linear, Sequential
from autodiff.learn.optim import SGD
from autodiff.learn.train import gradient_descent

FORWARD_MD = """\
| x                | o1 = L1(x)       | o2 = L2(o1) | o3 = L3(o2) |
| :--------------: | :--------------: | :---------: | :---------: |
| (100, 2000, 100) | (100, 2000, 100) | (0)         | (0)         |
| (200, 0, 0)      | (200, 0, 0)      | (1)         | (1)         |
| (0, 2000, 3000)  | (0, 2000, 3000)  | (0)         | (0)         |"""

LOSS_MD = """\
| o3 = model(x) | result | y     | loss = Loss(o3, y) | correct ? |
| :-----------: | :----: | :---: | :----------------: | :-------: |
| (0)           | (0)    | (0)   | (0)                | yes       |
| (1)           | (1)    | (1)   | (0)                | yes       |
| (0)           | (0)    | (1)   | (1/2)              | no        |"""

BACKWARD_MD = """\
| x                | δ4    | δ3    | δ2                         | δw2               | δ1                         |
| :--------------: | :---: | :---: | :------------------------: | :---------------: | :------------------------: |
| (100, 2000, 100) | (0)   | (0)   | (0, 0, 0)                  | (0, 0, 0)         | (0, 0, 0)                  |
| (200, 0, 0)      | (0)   | (0)   | (0, 0, 0)                  | (0, 0, 0)         | (0, 0, 0)                  |
| (0, 2000, 3000)  | (-1)  | (-1)  | (-1/200, 3/11600, -1/5800) | (0, -2000, -3000) | (-1/200, 3/11600, -1/5800) |"""

FORWARD_TEXT = """\
x                | o1 = L1(x)       | o2 = L2(o1) | o3 = L3(o2)
-----------------+------------------+-------------+------------
(100, 2000, 100) | (100, 2000, 100) | (0)         | (0)
(200, 0, 0)      | (200, 0, 0)      | (1)         | (1)
(0, 2000, 3000)  | (0, 2000, 3000)  | (0)         | (0)"""

BACKWARD_TEXT = """\
x                | δ4   | δ3   | δ2                         | δw2               | δ1
-----------------+------+------+----------------------------+-------------------+---------------------------
(100, 2000, 100) | (0)  | (0)  | (0, 0, 0)                  | (0, 0, 0)         | (0, 0, 0)
(200, 0, 0)      | (0)  | (0)  | (0, 0, 0)                  | (0, 0, 0)         | (0, 0, 0)
(0, 2000, 3000)  | (-1) | (-1) | (-1/200, 3/11600, -1/5800) | (0, -2000, -3000) | (-1/200, 3/11600, -1/5800)"""

# After one epoch the article prints 0.43, 1, 1.3 and losses 0.092, 0, 0.045 (rounded).
AFTER_EPOCH_TEXT = """\
x                | o1 = L1(x)       | o2 = L2(o1) | o3 = L3(o2)
-----------------+------------------+-------------+------------
(100, 2000, 100) | (100, 2000, 100) | (43/100)    | (43/100)
(200, 0, 0)      | (200, 0, 0)      | (1)         | (1)
(0, 2000, 3000)  | (0, 2000, 3000)  | (13/10)     | (13/10)

o3 = model(x) | result | y   | loss = Loss(o3, y) | correct ?
--------------+--------+-----+--------------------+----------
(43/100)      | (0)    | (0) | (1849/20000)       | yes
(1)           | (1)    | (1) | (0)                | yes
(13/10)       | (1)    | (1) | (9/200)            | yes"""

BATCH_BACKWARD_TEXT = """\
x                | δ4     | δ3     | δ2                          | δw2                 | δ1
-----------------+--------+--------+-----------------------------+---------------------+----------------------------
(100, 2000, 100) | (0)    | (0)    | (0, 0, 0)                   | (0, 0, 0)           | (0, 0, 0)
(200, 0, 0)      | (0)    | (0)    | (0, 0, 0)                   | (0, 0, 0)           | (0, 0, 0)
(0, 2000, 3000)  | (-1/3) | (-1/3) | (-1/600, 1/11600, -1/17400) | (0, -2000/3, -1000) | (-1/600, 1/11600, -1/17400)"""

FLOAT_FORWARD_TEXT = """\
x                | o1 = L1(x)       | o2 = L2(o1)  | o3 = L3(o2)
-----------------+------------------+--------------+------------
(100, 2000, 100) | (100, 2000, 100) | (-3.469e-17) | (0)
(200, 0, 0)      | (200, 0, 0)      | (1)          | (1)
(0, 2000, 3000)  | (0, 2000, 3000)  | (-1.11e-16)  | (0)"""


@pytest.fixture
def traces():
    return run(article.model(), article.PATIENTS, HalfSquaredError())


def test_article_tables_in_markdown(traces):
    assert forward_table(traces) == FORWARD_MD
    assert loss_table(traces) == LOSS_MD
    assert backward_table(traces) == BACKWARD_MD
    assert article_tables(article.model(), HalfSquaredError(), article.PATIENTS) == "\n\n".join(
        [FORWARD_MD, LOSS_MD, BACKWARD_MD]
    )


def test_article_tables_in_plain_text(traces):
    assert forward_table(traces, style="text") == FORWARD_TEXT
    assert backward_table(traces, style="text") == BACKWARD_TEXT


def test_tables_after_the_article_epoch():
    model = article.model()
    gradient_descent(
        model, HalfSquaredError(), article.PATIENTS, SGD(model.parameters(), article.LEARNING_RATE)
    )
    after = run(model, article.PATIENTS, HalfSquaredError())
    assert forward_table(after, style="text") + "\n\n" + loss_table(after, style="text") == AFTER_EPOCH_TEXT


def test_batch_share_scales_every_delta(traces):
    assert backward_table(traces, share=Fraction(1, 3), style="text") == BATCH_BACKWARD_TEXT


def test_float_tables_show_the_rounding_error():
    traces = run(article.model(float), article.dataset(float), HalfSquaredError())
    assert forward_table(traces, style="text") == FLOAT_FORWARD_TEXT
    assert backward_table(traces, style="text").splitlines()[-1] == (
        "(0, 2000, 3000)  | (-1) | (0) | (0, 0, 0) | (0, 0, 0) | (0, 0, 0)"
    )


def test_backward_table_leaves_grads_alone(traces):
    model = traces[0].model
    backward_table(traces)
    assert [p.grad for p in model.parameters()] == [0, 0, 0]
    assert traces[2].output[0].grad == 0


def test_update_table():
    model = article.model()
    for p in model.parameters():
        p.grad = Fraction(-1000)
        p.data -= article.LEARNING_RATE * p.grad
    assert update_table(model.parameters(), article.W2, article.LEARNING_RATE, style="text") == (
        "weight | w        | δw    | ŵ = w − 1/10000000·δw\n"
        "-------+----------+-------+----------------------\n"
        "w2_1   | 1/200    | -1000 | 51/10000\n"
        "w2_2   | -3/11600 | -1000 | -23/145000\n"
        "w2_3   | 1/5800   | -1000 | 79/290000"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(-3, 11600), "-3/11600"),
        (Fraction(4, 2), "2"),
        (2000, "2000"),
        (0.1 + 0.2, "0.3"),
        (-0.0, "0"),
        (0.0924500001, "0.09245"),
        (123456789.0, "1.235e+08"),
        (-1.1102230246251565e-16, "-1.11e-16"),
    ],
)
def test_format_cell(value, text):
    assert format_cell(value) == text


def test_format_vector_and_digits():
    assert format_vector([1, Fraction(1, 2)]) == "(1, 1/2)"
    assert format_vector([2 / 3], digits=2) == "(0.67)"


def test_render_checks_its_input():
    with pytest.raises(ValueError, match="style must be one of"):
        render(["a"], [["1"]], style="html")
    with pytest.raises(ValueError, match="row 0 has 2 cells but there are 1 headers"):
        render(["a"], [["1", "2"]])


def test_tables_need_traces_with_a_loss():
    traces = run(article.model(), article.PATIENTS)
    with pytest.raises(ValueError, match="needs forward passes with a loss"):
        loss_table(traces)
    with pytest.raises(ValueError, match="has no loss"):
        backward_table(traces)
    with pytest.raises(ValueError, match="no forward passes"):
        forward_table([])
    with pytest.raises(TypeError, match="Sequential"):
        run(object(), article.PATIENTS)


def test_run_names_a_dataset_item_that_is_not_a_pair():
    with pytest.raises(ValueError, match=r"data item 1 is \(\(200, 0, 0\), 1, 7\) \(3 entries\)"):
        run(article.model(), [article.PATIENTS[0], (*article.PATIENTS[1], 7)])


def test_tables_do_not_call_hooks():
    from fractions import Fraction

    from autodiff.articles import gradient_descent as article
    from autodiff.articles.tables import article_tables
    from autodiff.learn.nn import HalfSquaredError

    model = article.model()
    plain = article_tables(model, HalfSquaredError(), article.PATIENTS)
    calls = []
    trace = model.trace(article.PATIENTS[2][0], 1, HalfSquaredError())
    trace.loss.backward()
    for p in model.parameters():
        p.register_hook(lambda delta: calls.append(delta) or delta * 100)
    model.zero_grad()
    assert article_tables(model, HalfSquaredError(), article.PATIENTS) == plain
    assert calls == [] and Fraction(1, 2) == trace.loss.data


def test_update_table_takes_named_parameters_from_the_model():
    # Issue 13.9: names come from the model when asked, not from the layers it was given.
    model = Sequential(Input(), Linear(weights=[[1, 2]], biases=[3]))
    params = model.parameters()
    for p in params:
        p.grad = 1
    table = update_table(model.named_parameters(), [1, 2, 3], 1, style="text")
    assert [line.split(" ")[0] for line in table.splitlines()[2:]] == ["w2_1", "w2_2", "b2"]
    assert update_table(params, [1, 2, 3], 1, style="text").splitlines()[2].startswith("p1 ")
    with pytest.raises(TypeError, match=r"params\[0\] must be a Value or a \(name, Value\) pair"):
        update_table([1.0], [1], 1)

"""Training loops: the article's epoch and the batch update, step by step, exactly (`==`)."""

from __future__ import annotations

import sys
from fractions import Fraction

import pytest

from autodiff.articles import gradient_descent as article
from autodiff.learn.nn import HalfSquaredError, Linear, Sequential
from autodiff.learn.optim import SGD
from autodiff.learn.train import batch_learning, fit, gradient_descent

W2 = article.W2
ALPHA = article.LEARNING_RATE
PATIENTS = article.PATIENTS


def _dot(w, x):
    return sum((a * b for a, b in zip(w, x, strict=True)), Fraction(0))


def _hand_step(w, x, y, share=1):
    """The article's formulas with plain Fractions: o2, o3, loss, δ4, δ3, δ2, δw2, δ1."""
    o2 = _dot(w, x)
    o3 = o2 if o2 >= 0 else Fraction(0)
    loss = (o3 - y) ** 2 / 2
    d4 = (o3 - y) * share
    d3 = d4 if o2 >= 0 else 0
    d2 = [d3 * wi for wi in w]
    dw2 = [d3 * xi for xi in x]
    return o2, o3, loss, d4, d3, d2, dw2, d2


def _record(steps):
    def on_backward(step):
        (trace,) = step.traces
        steps.append(
            {
                "x": tuple(v.data for v in trace.inputs),
                "o2": trace.outputs[1][0].data,
                "o3": trace.outputs[2][0].data,
                "loss": trace.loss.data,
                "d4": trace.outputs[2][0].grad,
                "d3": trace.outputs[1][0].grad,
                "d2": [v.grad for v in trace.outputs[0]],
                "dw2": [p.grad for p in step.model.parameters()],
                "d1": [v.grad for v in trace.inputs],
                "before": list(step.before),
            }
        )

    def on_step(step):
        steps[-1]["after"] = [p.data for p in step.model.parameters()]

    return on_backward, on_step


def test_every_step_of_the_article_epoch_through_the_training_loop():
    model = article.model()
    steps: list[dict] = []
    on_backward, on_step = _record(steps)
    history = gradient_descent(
        model,
        HalfSquaredError(),
        PATIENTS,
        SGD(model.parameters(), ALPHA),
        on_backward=on_backward,
        on_step=on_step,
    )
    assert len(steps) == 3
    w = list(W2)
    for got, (x, y) in zip(steps, PATIENTS, strict=True):
        o2, o3, loss, d4, d3, d2, dw2, d1 = _hand_step(w, x, y)
        assert got["x"] == x
        assert got["before"] == w
        assert (got["o2"], got["o3"], got["loss"]) == (o2, o3, loss)
        assert (got["d4"], got["d3"], got["d2"], got["dw2"], got["d1"]) == (d4, d3, d2, dw2, d1)
        w = [wi - ALPHA * g for wi, g in zip(w, dw2, strict=True)]
        assert got["after"] == w
    # The article's numbers, written out.
    assert [s["loss"] for s in steps] == [0, 0, Fraction(1, 2)]
    assert steps[2]["d2"] == [Fraction(-1, 200), Fraction(3, 11600), Fraction(-1, 5800)]
    assert steps[2]["dw2"] == [0, -2000, -3000]
    assert steps[2]["after"] == [
        Fraction(1, 200),
        Fraction(2, 10**4) - Fraction(3000, 11_600_000),
        Fraction(3, 10**4) + Fraction(1, 5800),
    ]
    assert [p.data for p in model.parameters()] == [
        Fraction(1, 200),
        Fraction(-17, 290000),
        Fraction(137, 290000),
    ]
    assert history.steps == [0, 0, Fraction(1, 2)]
    assert history.epochs == [Fraction(1, 6)]
    # The new forward pass of the article: 0.43, 1, 1.3 and losses 0.09245, 0, 0.045.
    outputs = [model(x)[0].data for x, _ in PATIENTS]
    assert outputs == [Fraction(43, 100), 1, Fraction(13, 10)]
    assert [HalfSquaredError()(o, y) for o, (_, y) in zip(outputs, PATIENTS, strict=True)] == [
        Fraction(1849, 20000),
        0,
        Fraction(9, 200),
    ]


def test_the_epoch_in_float64_learns_nothing():
    model = article.model(float)
    history = gradient_descent(
        model, HalfSquaredError(), article.dataset(float), SGD(model.parameters(), 1e-7)
    )
    assert [p.data for p in model.parameters()] == [float(w) for w in W2]
    assert history.steps == [0.0, 0.0, 0.5]
    assert model.trace(PATIENTS[2][0]).outputs[1][0].data < 0  # w2·x = -1.1e-16, not 0


def test_the_batch_of_three_update():
    model = article.model()
    seen = {}

    def on_backward(step):
        seen["losses"] = [t.loss.data for t in step.traces]
        seen["loss_avg"] = step.loss.data
        seen["share"] = step.share
        seen["d4"] = [t.outputs[2][0].grad for t in step.traces]
        seen["d2"] = [[v.grad for v in t.outputs[0]] for t in step.traces]
        seen["gradient"] = [p.grad for p in model.parameters()]

    history = batch_learning(
        model,
        HalfSquaredError(),
        PATIENTS,
        SGD(model.parameters(), ALPHA),
        batch_size=3,
        on_backward=on_backward,
    )
    # Independent derivation with plain Fractions: Loss_avg = Σ loss_i / 3, δ4_i = (o3_i − y_i) / 3.
    n = 3
    hand = [_hand_step(list(W2), x, y, Fraction(1, n)) for x, y in PATIENTS]
    assert seen["losses"] == [h[2] for h in hand] == [0, 0, Fraction(1, 2)]
    assert seen["loss_avg"] == sum(h[2] for h in hand) / n == Fraction(1, 6)
    assert seen["share"] == Fraction(1, 3)
    assert seen["d4"] == [h[3] for h in hand] == [0, 0, Fraction(-1, 3)]
    assert seen["d2"] == [h[5] for h in hand]
    assert seen["d2"][2] == [Fraction(-1, 600), Fraction(1, 11600), Fraction(-1, 17400)]
    gradient = [sum(h[6][i] for h in hand) for i in range(3)]
    assert seen["gradient"] == gradient == [0, Fraction(-2000, 3), -1000]
    new_w = [w - ALPHA * g for w, g in zip(W2, gradient, strict=True)]
    assert [p.data for p in model.parameters()] == new_w
    assert new_w == [Fraction(1, 200), Fraction(-167, 870000), Fraction(79, 290000)]
    assert history.steps == [Fraction(1, 6)]
    outputs = [model(x)[0].data for x, _ in PATIENTS]
    assert (
        outputs == [max(_dot(new_w, x), 0) for x, _ in PATIENTS] == [Fraction(43, 300), 1, Fraction(13, 30)]
    )
    new_losses = [(o - y) ** 2 / 2 for o, (_, y) in zip(outputs, PATIENTS, strict=True)]
    assert sum(new_losses) / 3 == Fraction(30749, 540000)


def test_batches_of_two_make_two_steps_per_epoch():
    model = article.model()
    sizes = []
    history = fit(
        model,
        HalfSquaredError(),
        PATIENTS,
        SGD(model.parameters(), ALPHA),
        batch_size=2,
        epochs=2,
        on_step=lambda s: sizes.append((s.epoch, s.number, len(s.traces), s.share)),
    )
    assert sizes == [(1, 1, 2, Fraction(1, 2)), (1, 2, 1, 1), (2, 3, 2, Fraction(1, 2)), (2, 4, 1, 1)]
    assert len(history.steps) == 4 and len(history.epochs) == 2
    assert history.epochs[0] == (history.steps[0] + history.steps[1]) / 2
    assert history.steps[1] == Fraction(1, 2)  # the third patient alone, weights unchanged by batch 1


def test_on_step_can_stop_the_loop():
    model = article.model()
    history = gradient_descent(
        model,
        HalfSquaredError(),
        PATIENTS,
        SGD(model.parameters(), ALPHA),
        epochs=5,
        on_step=lambda s: s.number == 2,
    )
    assert history.stopped_early
    assert len(history.steps) == 2 and len(history.epochs) == 1


def test_shuffle_is_deterministic_and_changes_the_order():
    def order(seed):
        model = article.model()
        seen = []
        fit(
            model,
            HalfSquaredError(),
            PATIENTS,
            SGD(model.parameters(), ALPHA),
            epochs=3,
            shuffle=seed,
            on_step=lambda s: seen.append(s.samples[0][0]),
        )
        return seen

    assert order(1) == order(1)
    assert sorted(order(1)[:3]) == sorted(x for x, _ in PATIENTS)
    assert any(order(seed) != [x for x, _ in PATIENTS] * 3 for seed in range(5))


def test_penalty_is_added_to_the_loss():
    model = Sequential(Linear(weights=[Fraction(1, 2)], bias=False))
    history = fit(
        model,
        HalfSquaredError(),
        [((2,), 0)],
        SGD(model.parameters(), Fraction(1, 10)),
        penalty=lambda: model.parameters()[0] ** 2,
    )
    # ½(½·2 − 0)² + (½)² = 1/2 + 1/4; δw = 2 + 2·½ = 3; w = ½ − 3/10.
    assert history.steps == [Fraction(3, 4)]
    assert model.parameters()[0].data == Fraction(1, 5)


def test_progress_bar_needs_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    model = article.model()
    with pytest.raises(ImportError, match=r"pip install -e '\.\[progress\]'"):
        gradient_descent(model, HalfSquaredError(), PATIENTS, SGD(model.parameters(), ALPHA), progress=True)


def test_progress_bar_with_tqdm(capsys):
    pytest.importorskip("tqdm")
    model = article.model()
    history = gradient_descent(
        model, HalfSquaredError(), PATIENTS, SGD(model.parameters(), ALPHA), progress=True
    )
    assert history.steps == [0, 0, Fraction(1, 2)]
    assert "3/3" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"data": []}, ValueError, "empty dataset"),
        ({"batch_size": 0}, ValueError, "batch_size must be at least 1, got 0"),
        ({"epochs": 0}, ValueError, "epochs must be at least 1, got 0"),
        # Issue 13.11: the wrong kind of thing is a TypeError, as everywhere else.
        ({"batch_size": 2.0}, TypeError, "batch_size must be a positive int, got float"),
        ({"epochs": "1"}, TypeError, "epochs must be a positive int, got str"),
        ({"data": [(1, 2, 3)]}, ValueError, r"data item 0 is \(1, 2, 3\) \(3 entries\); each item must be a"),
        ({"data": [*PATIENTS, 5]}, TypeError, r"data item 3 is 5 \(int\); each item must be a \(data input"),
        ({"data": [((1, 2, 3), 0), "ab"]}, TypeError, "data item 1 is 'ab'"),
        ({"data": 7}, TypeError, "list of \\(data input, data output\\) pairs, got int"),
    ],
)
def test_bad_loop_settings(kwargs, error, match):
    model = article.model()
    args = {"data": PATIENTS, **kwargs}
    data = args.pop("data")
    with pytest.raises(error, match=match):
        fit(model, HalfSquaredError(), data, SGD(model.parameters(), ALPHA), **args)


def test_a_bad_dataset_item_is_named_by_gradient_descent_too():
    model = article.model()
    with pytest.raises(ValueError, match=r"data item 0 .* must be a \(data input, data output\) pair"):
        gradient_descent(model, HalfSquaredError(), [(1, 2, 3)], SGD(model.parameters(), ALPHA))


def test_an_optimizer_over_another_models_parameters_is_refused():
    model = article.model()
    other = SGD(article.model().parameters(), lr=ALPHA)
    with pytest.raises(
        ValueError, match=r"3 of the optimizer's 3 parameters are not parameters of this model"
    ):
        gradient_descent(model, HalfSquaredError(), PATIENTS, other)
    with pytest.raises(ValueError, match=r"SGD\(model.parameters\(\), ...\)"):
        batch_learning(model, HalfSquaredError(), PATIENTS, other)
    assert [p.data for p in model.parameters()] == list(W2)  # refused before any step


def test_an_optimizer_over_some_of_the_models_parameters_trains_only_those():
    model = Sequential(Linear(weights=[[1, 1]], biases=[0]))
    weights_only = SGD(model.parameters()[:2], lr=Fraction(1, 10))
    gradient_descent(model, HalfSquaredError(), [((1, 2), 0)], weights_only)
    assert [p.data for p in model.parameters()] == [Fraction(7, 10), Fraction(4, 10), 0]


def test_fit_needs_an_optimizer():
    model = article.model()
    with pytest.raises(
        TypeError, match=r"needs an optimizer such as SGD\(model.parameters\(\), lr=...\), got list"
    ):
        fit(model, HalfSquaredError(), PATIENTS, model.parameters())


def test_fit_is_at_the_top_level_too():
    import autodiff
    from autodiff.learn import train

    assert autodiff.fit is train.fit and "fit" in autodiff.__all__

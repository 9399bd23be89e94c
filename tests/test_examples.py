"""The examples run, print the article's numbers, and the moons workload learns."""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from autodiff.learn.datasets import make_moons, moons_accuracy, moons_loss, moons_model, sign_accuracy
from autodiff.learn.nn import MaxMargin, l2_penalty
from autodiff.learn.optim import SGD
from autodiff.learn.train import batch_learning

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_example_has_a_docstring():
    for path in EXAMPLES.glob("*.py"):
        assert load(path.stem).__doc__, path.name


def test_gradient_descent_example_exact(capsys):
    model, history = load("gradient_descent").main([])
    out = capsys.readouterr().out
    assert [p.data for p in model.parameters()] == [
        Fraction(1, 200),
        Fraction(-17, 290000),
        Fraction(137, 290000),
    ]
    assert history.steps == [0, 0, Fraction(1, 2)]
    assert out.count("=== Epoch 1, step") == 3
    assert "(0, 2000, 3000) | (-1) | (-1) | (-1/200, 3/11600, -1/5800) | (0, -2000, -3000) |" in out
    assert "w2_3   | 1/5800   | -3000 | 137/290000" in out
    assert "(0, 2000, 3000)  | (0, 2000, 3000)  | (13/10)     | (13/10)" in out


def test_gradient_descent_example_float_learns_nothing(capsys):
    model, history = load("gradient_descent").main(["--float"])
    out = capsys.readouterr().out
    assert history.steps == [0.0, 0.0, 0.5]
    assert [p.data for p in model.parameters()] == [0.005, -3000 / 11_600_000, 1 / 5800]
    assert "-1.1102230246251565e-16, not 0" in out
    assert "nothing is learned" in out


def test_gradient_descent_example_markdown(capsys):
    load("gradient_descent").main(["--markdown"])
    assert "| (0, 2000, 3000)  | (0, 2000, 3000)  | (13/10)     | (13/10)     |" in capsys.readouterr().out


def test_batch_learning_example_prints_the_correct_numbers(capsys):
    found = load("batch_learning").main([])
    out = capsys.readouterr().out
    assert found["losses"] == [0, 0, Fraction(1, 2)]
    assert found["loss_avg"] == Fraction(1, 6)
    assert found["deltas"] == [[0], [0], [Fraction(-1, 3)]]
    assert found["gradient"] == [0, Fraction(-2000, 3), -1000]
    assert found["weights"] == [Fraction(1, 200), Fraction(-167, 870000), Fraction(79, 290000)]
    assert found["outputs"] == [Fraction(43, 300), 1, Fraction(13, 30)]
    assert found["new_losses"] == [Fraction(1849, 180000), 0, Fraction(289, 1800)]
    assert found["new_loss_avg"] == Fraction(30749, 540000)
    assert "Loss_avg = 1/3 · (0 + 0 + 1/2) = 1/6" in out
    assert "arithmetic slip" in out
    assert "Summed gradient δw2 = Σ δw2_i = (0, -2000/3, -1000)" in out
    assert "new Loss_avg = 30749/540000" in out


def test_make_moons_is_seeded_and_balanced():
    points, labels = make_moons(100, noise=0.1, seed=0)
    assert (points, labels) == make_moons(100, noise=0.1, seed=0)
    assert points != make_moons(100, noise=0.1, seed=1)[0]
    assert len(points) == 100 and labels.count(1) == 50 and labels.count(-1) == 50
    clean, clean_labels = make_moons(4, noise=0.0, seed=0)
    expected = {((1.0, 0.0), 1), ((-1.0, 0.0), 1), ((0.0, 0.5), -1), ((2.0, 0.5), -1)}
    got = {
        ((round(x, 12) + 0.0, round(y, 12) + 0.0), lab)
        for (x, y), lab in zip(clean, clean_labels, strict=True)
    }
    assert got == expected
    with pytest.raises(ValueError, match="n_samples >= 2"):
        make_moons(1)


def test_moons_loss_is_the_training_loop_objective():
    points, labels = make_moons(12, seed=3)
    model = moons_model(seed=3)
    loss, accuracy = moons_loss(model, points, labels)
    scores = [model(p).data for p in points]
    right = [(s > 0) == (y > 0) for s, y in zip(scores, labels, strict=True)]
    assert 0 < sum(right) < len(points)  # so that the accuracy below can be wrong either way
    assert accuracy == sum(right) / len(points) == moons_accuracy(model, points, labels)
    history = batch_learning(
        model,
        MaxMargin(),
        list(zip(points, labels, strict=True)),
        SGD(model.parameters(), lr=0.5),
        penalty=lambda: l2_penalty(model.parameters(), 1e-4),
    )
    assert history.steps == [loss.data]


def test_moons_accuracy_flips_with_the_sign_of_the_score():
    points, labels = make_moons(12, seed=3)
    model = moons_model(seed=3)
    _, accuracy = moons_loss(model, points, labels)
    last = model.layers[-1]
    for p in last.parameters():
        p.data = -p.data  # every score changes sign, so right and wrong swap
    _, flipped = moons_loss(model, points, labels)
    assert flipped == moons_accuracy(model, points, labels) == pytest.approx(1 - accuracy)
    assert sign_accuracy([0.5, -2, 0, 3], [1, -1, 1, -1]) == 0.5  # a score of 0 is the -1 side


@pytest.mark.parametrize(
    ("name", "argv", "message"),
    [
        ("gradient_descent", ["--epochs", "0"], "--epochs must be at least 1, got 0"),
        ("gradient_descent", ["--epochs", "-1"], "--epochs must be at least 1, got -1"),
        ("gradient_descent", ["--epochs", "two"], "invalid int value: 'two'"),
        ("moons", ["--steps", "0", "--no-plot"], "--steps must be at least 1, got 0"),
        ("moons", ["--lr", "-0.5", "--no-plot"], "--lr must be a finite number > 0, got -0.5"),
        ("moons", ["--lr", "nan", "--no-plot"], "--lr must be a finite number > 0, got nan"),
        ("moons", ["--samples", "1", "--no-plot"], "--samples must be at least 2"),
        ("batch_learning", ["--epochs", "2"], "unrecognized arguments: --epochs 2"),
    ],
)
def test_examples_refuse_bad_arguments_with_a_usage_message(name, argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load(name).main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage:") and message in err
    assert "Traceback" not in err


def test_moons_short_run_learns(tmp_path):
    moons = load("moons")
    result = moons.train(8, n_samples=24)
    steps = result.history.steps
    assert len(steps) == 8
    assert steps[-1] < steps[0]
    assert len(result.accuracies) == 8
    assert result.final_accuracy == moons_accuracy(result.model, result.points, result.labels)


def test_moons_result_steps_to_perfect():
    moons = load("moons")
    result = moons.Result(None, [], [], None, accuracies=[0.5, 1.0, 0.9, 1.0, 1.0])
    assert result.first_perfect_step == 2
    assert result.perfect_from_step == 4
    assert moons.Result(None, [], [], None, accuracies=[1.0, 0.5]).perfect_from_step is None


def test_moons_plot(tmp_path):
    pytest.importorskip("matplotlib")
    moons = load("moons")
    result = moons.train(2, n_samples=10)
    path = moons.plot(result, tmp_path / "plots" / "moons.png", grid=8)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        ("gradient_descent.py", [], "(0, 2000, 3000)  | (0, 2000, 3000)  | (13/10)"),
        ("batch_learning.py", [], "Loss_avg = 1/3 · (0 + 0 + 1/2) = 1/6"),
        ("moons.py", ["--steps", "2", "--samples", "10", "--no-plot"], "2 steps in"),
    ],
)
def test_examples_run_as_scripts(script, args, expected):
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout


def test_moons_checks_out_before_training(tmp_path, monkeypatch, capsys):
    # Issue 9.11: a bad --out used to be found only after the whole training run.
    pytest.importorskip("matplotlib")
    moons = load("moons")

    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking --out")

    monkeypatch.setattr(moons, "train", no_training)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    for out, message in (
        (a_file, "this is a file, not a folder"),
        (a_file / "plots", f"{a_file} is a file, so no folder can be made inside it"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            moons.main(["--steps", "1", "--out", str(out)])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert f"--out {out}: {message}" in err and "give a folder that can be created" in err
    assert moons._unwritable(tmp_path / "new" / "deeper") is None  # can be created later
    assert not (tmp_path / "new").exists()  # checking does not create it


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_samples": 10.0}, TypeError, "n_samples must be a positive int, got float"),
        ({"n_samples": 1}, ValueError, "n_samples >= 2"),
        ({"noise": math.nan}, ValueError, "noise .* must be a finite number"),
        ({"noise": -0.1}, ValueError, r"noise .* must be >= 0"),
        ({"noise": "0.1"}, TypeError, "noise .* needs a real number"),
    ],
)
def test_make_moons_refuses_bad_settings_by_the_one_rule(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_moons(**kwargs)


def test_digits_example_learns_through_the_batched_replay(tmp_path, capsys):
    # The data come with scikit-learn (the digits extra, installed by run.sh for the tests).
    if importlib.util.find_spec("sklearn") is None:
        if os.environ.get("CI"):
            raise AssertionError("CI installs the digits extra: scikit-learn is missing")
        pytest.skip("scikit-learn is not installed (pip install -e '.[digits]')")
    digits = load("digits")
    plot = tmp_path / "digits.png"
    result = digits.main(["--subset", "500", "--epochs", "8", "--plot", str(plot)])
    out = capsys.readouterr().out
    assert len(result.test_accuracy) == 8 and "test accuracy" in out
    assert result.test_accuracy[-1] >= 0.8  # ten classes: chance is 0.1
    assert result.train_accuracy[-1] > result.train_accuracy[0]
    assert plot.exists() or "no plot" in out
    # The batched replay's δs are the plain per-sample loop's, on a few of the real digits.
    import numpy as np

    _, pixels, label, tape = digits.record(seed=1)
    xs, ys, _, _ = digits.load(subset=40)
    _, grads = tape.batched()(digits.batch_of(pixels, label, xs[:6], ys[:6]))
    total = np.zeros(len(grads))
    for x, y in zip(xs[:6], ys[:6], strict=True):
        for v, p in zip(pixels, x, strict=True):
            v.data = float(p)
        for k, v in enumerate(label):
            v.data = float(k == y)
        _, g = tape.gradients()
        total += g
    assert np.allclose(grads, total, rtol=1e-12, atol=1e-12)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_moons_writes_the_training_page(tmp_path, capsys):
    moons = load("moons")
    result = moons.main(["--steps", "3", "--samples", "12", "--no-plot", "--page", str(tmp_path / "page")])
    page = tmp_path / "page" / "training.html"
    assert f"page: {page}" in capsys.readouterr().out
    html = page.read_text(encoding="utf-8")
    assert 'id="ad-epoch"' in html and 'max="3"' in html and "http" not in html.split("<svg", 1)[0]
    assert [epoch for epoch, _ in result.recorded.snapshots] == [0, 1, 2, 3]

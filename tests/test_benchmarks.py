"""The benchmark suite runs (quick mode, no timing checks), and its workloads compute what they claim."""

from __future__ import annotations

import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from autodiff import Value
from autodiff.learn.datasets import make_moons, moons_loss, moons_model

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import workloads as W  # noqa: E402


def test_quick_run_writes_a_report_with_every_workload(tmp_path):
    report = tmp_path / "RESULTS.md"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--results", str(report)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    text = report.read_text()
    assert text.rstrip("\n") == run.stdout.rstrip("\n")
    for title in (
        "## 1. Moons",
        "## 2. Deep chain",
        "## 3. Wide sum",
        "## 4. The articles' model",
        "## 5.",
        "## 1b. A small graph",
        "## 6. Scaling",
        "## 7. Batched replay",
        "## 8. Digits",
    ):
        assert title in text
    assert "| batch | Tape.batched, numpy |" in text
    # GC on and off, the collector's time and µs per node; a progress line per measured cell.
    assert "| engine | GC on | GC off | GC time | µs / node (GC off) |" in text
    assert "| autodiff, the example's code |" in text and "Moons step, plain API, GC off in both" in text
    assert "| numpy arrays, by hand |" in text
    assert "benchmarks: moons, 10 points | micrograd [GC off] | repetition 1/1 |" in run.stderr or (
        "micrograd is not installed" in run.stderr
    )
    assert "benchmarks: scaling, chain," in run.stderr
    assert "| autodiff |" in text and "| autodiff Tape" in text and "| hand-written floats |" in text
    for engine, module in (("micrograd", "micrograd"), ("PyTorch", "torch")):
        installed = (
            subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0
        )
        assert (f"| {engine} |" in text) == installed
        assert (f"{engine} is not installed" in run.stderr) == (not installed)


def test_an_unknown_workload_is_refused():
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--only", "moons,nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "unknown workload(s) nope" in run.stderr


def test_hand_written_moons_gradients_match_autodiff():
    points, labels, init = W.moons_problem(8)
    params = [Value(w) for w in init]
    loss = W.moons_loss(params, points, labels, lambda v: v.relu())
    loss.backward()
    hand_loss, hand_grads = W.hand_moons_gradients(init, points, labels)
    assert loss.data == pytest.approx(hand_loss, abs=1e-12)
    assert [p.grad for p in params] == pytest.approx(hand_grads, abs=1e-12)
    assert any(g != 0 for g in hand_grads[:48])  # the first layer learns something


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_moons_workload_is_the_examples():
    defaults = {k: p.default for k, p in inspect.signature(load_example("moons").train).parameters.items()}
    assert (defaults["n_samples"], defaults["seed"]) == (W.MOONS_POINTS, W.MOONS_SEED)
    assert (defaults["lr"], defaults["l2"]) == (W.MOONS_LEARNING_RATE, W.MOONS_ALPHA)
    points, labels, init = W.moons_problem()
    assert (points, labels) == make_moons(defaults["n_samples"], noise=0.1, seed=defaults["seed"])
    model = moons_model(seed=defaults["seed"])
    assert init == [p.data for p in model.parameters()]
    assert [2, *model.sizes] == list(W.MOONS_SIZES)


def test_the_benchmark_loss_and_step_are_the_examples():
    points, labels, init = W.moons_problem(20)
    model = moons_model(seed=W.MOONS_SEED)
    loss, _ = moons_loss(model, points, labels)
    loss.backward()
    ours = W.moons_loss([Value(w) for w in init], points, labels, lambda v: v.relu())
    # Same operations in the same order: the same floats, not merely close ones.
    assert ours.data == loss.data == W.hand_moons_gradients(init, points, labels)[0]
    # One step of the example's own training loop lands where the benchmark's step does.
    result = load_example("moons").train(1, n_samples=20)
    assert float(result.history.steps[0]) == loss.data
    stepped = list(init)
    W.hand_moons_step(stepped, points, labels, W.MOONS_LEARNING_RATE)
    assert [p.data for p in result.model.parameters()] == pytest.approx(stepped, abs=1e-12)


def test_hand_written_chain_wide_and_article_match_autodiff():
    x = Value(0.5)
    y = W.chain(x, 50)
    y.backward()
    assert (y.data, x.grad) == pytest.approx(W.hand_chain(0.5, 50), rel=1e-14)
    xs, ys = W.wide_inputs(9)
    a, b = [Value(v) for v in xs], [Value(v) for v in ys]
    total = W.wide_sum(a, b)
    total.backward()
    expected, dx, dy = W.hand_wide_sum(xs, ys)
    assert total.data == expected and [v.grad for v in a] == dx and [v.grad for v in b] == dy
    patients = [((100.0, 2000.0, 100.0), 0.0), ((200.0, 0.0, 0.0), 1.0)]
    w2 = [Value(w) for w in (0.005, -0.0003, 0.0002)]
    for _ in range(3):
        for xv, yv in patients:
            W.article_loss(w2, xv, yv, lambda v: v.relu()).backward()
            for w in w2:
                w.data -= 1e-7 * w.grad
                w.grad = 0
    final, _ = W.hand_article_epochs([0.005, -0.0003, 0.0002], patients, 1e-7, 3)
    assert [w.data for w in w2] == pytest.approx(final, rel=1e-15)


def test_the_comparison_against_a_revision_runs_and_reports_ratios():
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "against_revision.py"), "HEAD", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    rows = [line for line in run.stdout.splitlines() if line.startswith(("| step", "| backward"))]
    assert [row.split(" | ")[:2] for row in rows] == [
        ["| step", "GC on"],
        ["| step", "GC off"],
        ["| backward", "GC on"],
        ["| backward", "GC off"],
    ]
    bad = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "against_revision.py"), "no-such-revision"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0 and "git archive no-such-revision failed" in bad.stderr

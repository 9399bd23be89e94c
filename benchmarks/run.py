"""Benchmarks: autodiff against micrograd, PyTorch scalars and hand-written plain-float code.

    python benchmarks/run.py                  # the full run (a few minutes), prints a Markdown report
    python benchmarks/run.py --quick          # tiny sizes, one repetition: checks that it all works
    python benchmarks/run.py --results benchmarks/RESULTS.md   # also write the report there

Every engine runs the same workloads (`benchmarks/workloads.py`) in one process, interleaved:
each repetition times every engine once, so a slow moment of the machine hits all of them. The
report gives medians and the ratios to micrograd and to the hand-written baseline. micrograd and
PyTorch are optional (`pip install -e '.[bench]'`); a missing one is skipped with a message.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import os
import platform
import pstats
import re
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import workloads as W

import autodiff
from autodiff.articles import gradient_descent as article
from autodiff.learn.datasets import make_moons, moons_loss, moons_model
from autodiff.learn.nn import MLP, MaxMargin
from autodiff.learn.optim import SGD
from autodiff.learn.train import objective

HAND = "hand-written floats"
AUTODIFF_GC_OFF = "autodiff, cyclic GC off"
WORKLOADS = (
    "moons",
    "small",
    "profile",
    "chain",
    "wide",
    "article",
    "memory",
    "scaling",
    "batched",
    "digits",
)
TAPE = "autodiff Tape"
NUMPY = "numpy arrays, by hand"
TORCH_TENSORS = "PyTorch tensors"
USER = "autodiff, the example's code"


@dataclass
class Engine:
    """How to make a learnable scalar, apply ReLU, run backward and take an SGD step on an engine."""

    name: str
    version: str
    leaf: Callable[[float], Any]
    relu: Callable[[Any], Any]
    backward: Callable[[Any], None]
    number: Callable[[Any], float]
    grad: Callable[[Any], float]
    sgd: Callable[[Sequence[Any], float], None]


def _value_sgd(params: Sequence[Any], lr: float) -> None:
    for p in params:
        p.data -= lr * p.grad
        p.grad = 0


def autodiff_engine() -> Engine:
    """autodiff's `Value`, rebuilding the graph at every step."""
    return Engine(
        "autodiff",
        autodiff.__version__,
        autodiff.Value,
        lambda v: v.relu(),
        lambda loss: loss.backward(),
        lambda v: v.data,
        lambda v: v.grad,
        _value_sgd,
    )


def micrograd_engine() -> Engine | None:
    """micrograd 0.1.0's `Value`, or None when it is not installed."""
    try:
        from micrograd.engine import Value
    except ImportError:
        return None
    from importlib.metadata import version

    return Engine(
        "micrograd",
        version("micrograd"),
        Value,
        lambda v: v.relu(),
        lambda loss: loss.backward(),
        lambda v: v.data,
        lambda v: v.grad,
        _value_sgd,
    )


def torch_engine() -> Engine | None:
    """PyTorch 0-dim float64 tensors on the CPU, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None

    def sgd(params: Sequence[Any], lr: float) -> None:
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None

    return Engine(
        "PyTorch",
        torch.__version__,
        lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True),
        torch.relu,
        lambda loss: loss.backward(),
        lambda t: float(t),
        lambda t: float(t.grad),
        sgd,
    )


# --- measuring ------------------------------------------------------------------------------------


@dataclass
class Timings:
    """Seconds per run of each engine, over the repetitions."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.samples.setdefault(name, []).append(seconds)

    def median(self, name: str) -> float | None:
        got = self.samples.get(name)
        return statistics.median(got) if got else None


# CPU time of this process rather than wall-clock time: on a shared machine the other jobs' time
# slices then do not count (PyTorch is limited to one thread below, so its CPU time is its time).
clock = time.process_time


def timed(run: Callable[[], Any], times: int = 1) -> float:
    """Seconds per call of `run`, called `times` times, including the collection of their garbage."""
    # A full collection before (untimed) keeps one engine's leftovers from being charged to the
    # next; one at the end (timed) charges each engine for the cyclic garbage it left behind,
    # which an engine whose graphs have no cycles frees at once and a closure-based one does not.
    gc.collect()
    start = clock()
    for _ in range(times):
        run()
    if not getattr(run, "gc_off", False):
        gc.collect()
    return (clock() - start) / times


def progress(line: str) -> None:
    """One line on stderr per measured cell, so a long run shows where it is."""
    print(f"benchmarks: {line}", file=sys.stderr, flush=True)


def interleave(runs: dict[str, Callable[[], Any]], repeat: int, times: int = 1, label: str = "") -> Timings:
    """Time every run once per repetition, in turn, after one untimed warm-up run of each."""
    for run in runs.values():
        run()
    result = Timings()
    for rep in range(repeat):
        for name, run in runs.items():
            seconds = timed(run, times)
            result.add(name, seconds)
            progress(f"{label} | {name} | repetition {rep + 1}/{repeat} | {_seconds(seconds)}")
    return result


# --- workload 1: the moons training step -----------------------------------------------------------


GC_OFF = " [GC off]"


def moons(
    engines: list[Engine], n: int, repeat: int, steps: int, out: list[str], title: str
) -> dict[str, float]:
    """Full-batch SGD steps of `examples/moons.py`: check that the engines agree, then time them.

    Every graph engine runs twice, with Python's cyclic garbage collector on (the default) and off;
    the tensor baselines (numpy by hand, PyTorch tensors) compute the same step on whole arrays.
    """
    points, labels, init = W.moons_problem(n)
    lr = W.MOONS_LEARNING_RATE
    hand_loss, hand_grads = W.hand_moons_gradients(init, points, labels)

    def check(name: str, loss: float, grads: Sequence[float], tolerance: float = 1e-12) -> None:
        worst = max(abs(a - b) for a, b in zip(grads, hand_grads, strict=True))
        if abs(loss - hand_loss) > tolerance or worst > tolerance:
            raise SystemExit(
                f"moons: {name} disagrees with the hand-written code: loss {loss!r} vs "
                f"{hand_loss!r}, largest gradient difference {worst:.3g}"
            )

    runs: dict[str, Callable[[], Any]] = {}
    nodes: dict[str, int] = {}

    def both(name: str, run: Callable[[], Any], node_count: int | None) -> None:
        runs[name] = run
        runs[name + GC_OFF] = _without_gc(run)
        if node_count:
            nodes[name] = node_count

    # The code a user runs (README, examples/moons.py): the model, its loss and the optimizer.
    model = moons_model(seed=W.MOONS_SEED)
    optimizer = SGD(model.parameters(), lr=lr)
    loss, _ = moons_loss(model, points, labels)
    loss.backward()
    check(USER, loss.data, [p.grad for p in model.parameters()])
    user_nodes = len(autodiff.topological_order(loss))
    optimizer.zero_grad()
    del loss

    def user_step() -> None:
        loss, _ = moons_loss(model, points, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    both(USER, user_step, user_nodes)
    for e in engines:
        params = [e.leaf(w) for w in init]
        loss = W.moons_loss(params, points, labels, e.relu)
        e.backward(loss)
        check(e.name, e.number(loss), [e.grad(p) for p in params])
        e.sgd(params, 0.0)
        del loss

        def step(e: Engine = e, params: list = params) -> None:
            loss = W.moons_loss(params, points, labels, e.relu)
            e.backward(loss)
            e.sgd(params, lr)

        if e.name == "PyTorch":
            runs[e.name + " scalars"] = step  # its own allocator: the collector barely matters
        else:
            both(e.name, step, None)
    params = [autodiff.Value(w) for w in init]
    same_code_nodes = len(
        autodiff.topological_order(W.moons_loss(params, points, labels, autodiff.Value.relu))
    )
    nodes["autodiff"] = nodes["micrograd"] = same_code_nodes
    # The tape records the user's graph and replays it in the user's loop.
    tape_model = moons_model(seed=W.MOONS_SEED)
    tape_optimizer = SGD(tape_model.parameters(), lr=lr)
    loss, _ = moons_loss(tape_model, points, labels)
    start = time.perf_counter()
    tape = autodiff.Tape(loss, tape_model.parameters())
    record = time.perf_counter() - start
    tape_loss, tape_grads = tape.gradients()
    check(TAPE, tape_loss, tape_grads)
    del loss

    def tape_step() -> None:
        tape_optimizer.zero_grad()
        tape.backward()
        tape_optimizer.step()

    both(TAPE, tape_step, user_nodes)
    hand_params = list(init)
    runs[HAND] = lambda: W.hand_moons_step(hand_params, points, labels, lr)
    try:
        import numpy as np
    except ImportError:
        np = None
    if np is not None:
        blocks, x, y = W.numpy_moons_problem(init, points, labels)
        loss_np, grads_np = W.numpy_moons_gradients(blocks, x, y)
        check(NUMPY, loss_np, list(np.concatenate([g.ravel() for g in grads_np])), 1e-9)
        runs[NUMPY] = lambda: W.numpy_moons_step(blocks, x, y, lr)
    torch_tensors = _torch_tensor_step(init, points, labels, lr, check)
    if torch_tensors is not None:
        runs[TORCH_TENSORS] = torch_tensors
    timings = interleave(runs, repeat, steps, label=f"moons, {len(points)} points")
    timings.notes[TAPE] = f"after recording once ({record:.1f} s to compile {user_nodes:,} nodes)"
    out.append(f"## {title}\n")
    out.append(
        "The workload of `examples/moons.py`: data `make_moons("
        f"{len(points)}, noise=0.1, seed={W.MOONS_SEED})`, initial weights of `moons_model(seed="
        f"{W.MOONS_SEED})`, loss mean(relu(1 − y·score)) + {W.MOONS_ALPHA:g}·Σp², SGD with lr = {lr:g}. "
        "Forward + backward + update. "
        f"The first row is the user's code, `moons_loss(model, points, labels)`, `loss.backward()`, "
        f"`SGD.step()` ({user_nodes:,} graph nodes per step: one Σ node per neuron, and the points are "
        "Values that require a gradient, as `model.trace` makes them). The rows named after an engine "
        f"run one model code written for every engine, `workloads.moons_loss` ({same_code_nodes:,} "
        "nodes: a `+` node per term, the points plain numbers), the same operations in the same "
        "order. The tape replays the user's graph in the user's loop. numpy and PyTorch tensors "
        "compute the same step on whole arrays (the tools for models larger than a lesson). All "
        f"start from the same weights and agree with the hand-written code on the first loss "
        f"({hand_loss:.15g}) and every gradient (to 1e-12; the tensor baselines, which sum in "
        f"another order, to 1e-9) before timing; then each trains on its own copy. Median of {repeat} × "
        f"{steps} steps, CPU time. 'GC off' is the same run with Python's cyclic garbage collector "
        "disabled; the GC column is the difference, the collector's share.\n"
    )
    out.append(gc_table(timings, nodes))
    return {name: timings.median(name) for name in runs}  # type: ignore[misc]


def _torch_tensor_step(
    init: Sequence[float], points: Sequence, labels: Sequence[int], lr: float, check: Callable[..., None]
) -> Callable[[], Any] | None:
    """One moons step with PyTorch float64 tensors and autograd, or None without PyTorch."""
    try:
        import torch
    except ImportError:
        return None
    blocks = [torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in W.layer_blocks(init)]
    x = torch.tensor(points, dtype=torch.float64)
    y = torch.tensor(labels, dtype=torch.float64)
    loss = W.torch_moons_loss(blocks, x, y)
    loss.backward()
    check(TORCH_TENSORS, float(loss), [float(v) for b in blocks for v in b.grad.flatten()], 1e-9)

    def step() -> None:
        for b in blocks:
            b.grad = None
        loss = W.torch_moons_loss(blocks, x, y)
        loss.backward()
        with torch.no_grad():
            for b in blocks:
                b -= lr * b.grad

    return step


def gc_table(timings: Timings, nodes: dict[str, int]) -> str:
    """Per engine: GC on and off, the collector's time, µs per node, ratios to micrograd and hand code."""
    ref_on, ref_off = timings.median("micrograd"), timings.median("micrograd" + GC_OFF)
    hand = timings.median(HAND)
    lines = [
        "| engine | GC on | GC off | GC time | µs / node (GC off) | vs micrograd, GC on | "
        "vs micrograd, GC off | vs hand-written (GC off) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in timings.samples:
        if name.endswith(GC_OFF):
            continue
        on = timings.median(name)
        off = timings.median(name + GC_OFF)
        assert on is not None
        per_node = f"{(off if off is not None else on) / nodes[name] * 1e6:.2f}" if name in nodes else "—"
        ratio_on = _ratio(ref_on / on) if ref_on and name != "micrograd" else "—"
        ratio_off = _ratio(ref_off / off) if ref_off and off and name != "micrograd" else "—"
        versus_hand = _ratio(hand / (off or on)) if hand and name != HAND else "—"
        note = f" ({timings.notes[name]})" if name in timings.notes else ""
        lines.append(
            f"| {name}{note} | {_seconds(on)} | {_seconds(off) if off else '—'} | "
            f"{_seconds(on - off) if off else '—'} | {per_node} | {ratio_on} | {ratio_off} | {versus_hand} |"
        )
    return "\n".join(lines) + "\n"


def _without_gc(run: Callable[[], Any]) -> Callable[[], Any]:
    """`run` with Python's cyclic garbage collector switched off while it runs."""

    def wrapped() -> None:
        gc.disable()
        try:
            run()
        finally:
            gc.enable()

    wrapped.gc_off = True  # type: ignore[attr-defined]  # `timed` then skips its final collection
    return wrapped


def profile(engines: list[Engine], n: int, repeat: int, out: list[str]) -> None:
    """Where a plain autodiff moons step spends its time: phases per node, the cyclic GC, cProfile."""
    points, labels, init = W.moons_problem(n)
    relu = autodiff.Value.relu
    model = moons_model(seed=W.MOONS_SEED)

    steps: dict[str, Callable[[], Any]] = {}
    for e in engines:
        if e.name not in ("autodiff", "micrograd"):
            continue
        params = [e.leaf(w) for w in init]

        def step(e: Engine = e, params: list = params) -> None:
            loss = W.moons_loss(params, points, labels, e.relu)
            e.backward(loss)
            e.sgd(params, 0.0)

        steps[e.name] = step
        steps[f"{e.name}, cyclic GC off"] = _without_gc(step)
    timings = interleave(steps, repeat, 3, label="profile")
    params = [autodiff.Value(w) for w in init]
    # The phases of one autodiff step, timed apart with the collector off (its cost is the row above).
    from autodiff.backward import _chain_rule, _count_users

    phases: dict[str, list[float]] = {}
    nodes = 0
    for kind, make in (
        ("the example's code", lambda: moons_loss(model, points, labels)[0]),
        ("the same code as micrograd", lambda: W.moons_loss(params, points, labels, relu)),
    ):
        for _ in range(repeat):
            gc.collect()
            gc.disable()
            try:
                t0 = clock()
                loss = make()
                t1 = clock()
                _chain_rule(loss, 1.0, counted=False)  # what `backward` runs when the recorded counts fit
                t2 = clock()
                nodes = len(autodiff.topological_order(loss))
                t2b = clock()
                del loss
                t3 = clock()
                # The walk `backward` adds when they do not (a node also used outside the graph).
                loss = make()
                t4 = clock()
                _count_users(loss)
                t5 = clock()
                _chain_rule(loss, 1.0, counted=True)
                del loss
            finally:
                gc.enable()
            for name, seconds in (
                ("forward: recording the graph (model code included)", t1 - t0),
                ("backward: chain rule, local derivatives, δ flow, `.grad` written (one walk)", t2 - t1),
                ("freeing the graph", t3 - t2b),
                ("not in a plain step: the counting walk when recorded counts do not fit", t5 - t4),
            ):
                phases.setdefault(f"{kind} | {name}", []).append(seconds / nodes)
        if kind == "the example's code":
            user_nodes = nodes
    same_nodes = nodes
    gc_cost = (timings.median("autodiff") or 0) - (timings.median(AUTODIFF_GC_OFF) or 0)
    out.append(
        f"## Where autodiff's time goes (moons step, {n} points: {user_nodes:,} nodes with the example's "
        f"code, {same_nodes:,} with the same code as micrograd)\n"
    )
    out.append(f"With and without Python's cyclic garbage collector (median of {repeat}, CPU time):\n")
    out.append(table(timings, "s / step"))
    lines = ["| model code | phase | ns / node |", "|---|---|---:|"]
    for name, values in phases.items():
        kind, phase = name.split(" | ")
        lines.append(f"| {kind} | {phase} | {statistics.median(values) * 1e9:.0f} |")
    lines.append(
        f"| the same code as micrograd | cyclic garbage collector (step with GC on − step with GC off) | "
        f"{gc_cost / same_nodes * 1e9:.0f} |"
    )
    out.append("Phases of a plain step, timed apart with the collector off (ns per graph node):\n")
    out.append("\n".join(lines) + "\n")
    profiler = cProfile.Profile()
    gc.disable()
    try:
        profiler.runcall(steps["autodiff"])
    finally:
        gc.enable()
    stats = pstats.Stats(profiler)
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:8]  # type: ignore[attr-defined]
    lines = ["| function | calls | own time (profiled) |", "|---|---|---|"]
    for (filename, line, function), (_, calls, own, _, _) in rows:
        where = (
            f"{Path(filename).name}:{line} {function}" if line else re.sub(r" at 0x[0-9a-f]+", "", function)
        )
        lines.append(f"| `{where}` | {calls:,} | {own * 1e3:.0f} ms |")
    out.append("cProfile of one step (own time, the profiler's overhead included):\n")
    out.append("\n".join(lines) + "\n")


# --- workload 2: the deep chain, and workload 5: memory per node -----------------------------------


def chain(engines: list[Engine], sizes: Sequence[int], repeat: int, out: list[str]) -> dict[str, Any]:
    """x → x·1.0001 + 0.0001, `n` times, forward + backward, for growing n; record failures."""
    rows: dict[str, dict[int, str]] = {}
    failed: dict[str, str] = {}
    per_step: dict[str, list[float]] = {}
    for n in sizes:
        runs: dict[str, Callable[[], Any]] = {}
        _, expected_grad = W.hand_chain(0.5, n)
        for e in engines:
            if e.name in failed:
                rows.setdefault(e.name, {})[n] = "—"
                continue

            def run(e: Engine = e, n: int = n, expected_grad: float = expected_grad) -> None:
                x = e.leaf(0.5)
                y = W.chain(x, n)
                e.backward(y)
                if abs(e.grad(x) - expected_grad) > 1e-9 * expected_grad:
                    raise AssertionError(
                        f"chain: {e.name} got d/dx {e.grad(x)!r}, expected {expected_grad!r}"
                    )

            try:
                run()
            except RecursionError:
                failed[e.name] = f"RecursionError at n = {n:,}"
                rows.setdefault(e.name, {})[n] = "RecursionError"
                continue
            runs[e.name] = run
            if e.name == "autodiff":
                # The same run with the cyclic collector off separates the engine's own work from
                # the collector's repeated scans of an ever larger graph.
                runs[AUTODIFF_GC_OFF] = _without_gc(run)
        runs[HAND] = lambda n=n: W.hand_chain(0.5, n)
        timings = interleave(runs, repeat if n < 10**6 else 1, label=f"chain, n = {n:,}")
        for name in runs:
            seconds = timings.median(name)
            assert seconds is not None
            rows.setdefault(name, {})[n] = f"{seconds:.3g} s"
            per_step.setdefault(name, []).append(seconds / n)
    out.append("## 2. Deep chain x → x·1.0001 + 0.0001, forward + backward\n")
    out.append(
        f"Seconds per run (median of {repeat}; 1 run at 10⁶); µs per step in the last column. The "
        "'cyclic GC off' row is the same autodiff run with Python's cyclic garbage collector "
        "disabled: the engine's own time per step stays nearly flat (the rest of the growth is the "
        "memory hierarchy); with the collector on, each full collection scans the whole live graph "
        "again, which costs more the larger it is, although an autodiff graph holds no reference "
        "cycle for it to free.\n"
    )
    header = "| engine | " + " | ".join(f"n = {n:,}" for n in sizes) + " | µs / step |"
    lines = [header, "|---" * (len(sizes) + 2) + "|"]
    for name, cells in rows.items():
        steps = per_step.get(name, [])
        us = " … ".join(f"{s * 1e6:.2g}" for s in steps) if steps else "—"
        lines.append(f"| {name} | " + " | ".join(cells.get(n, "—") for n in sizes) + f" | {us} |")
    out.append("\n".join(lines) + "\n")
    if "micrograd" in failed:
        deepest = micrograd_deepest(next(e for e in engines if e.name == "micrograd"))
        out.append(f"micrograd's recursive topological sort: deepest chain that works is {deepest} steps.\n")
    return {"failed": failed, "per_step": per_step, "sizes": list(sizes)}


def micrograd_deepest(e: Engine) -> int:
    """The longest chain micrograd differentiates before its recursion fails (binary search)."""
    low, high = 1, 1000
    while low + 1 < high:
        mid = (low + high) // 2
        try:
            e.backward(W.chain(e.leaf(0.5), mid))
            low = mid
        except RecursionError:
            high = mid
    return low


def memory(engines: list[Engine], n: int, out: list[str]) -> dict[str, float]:
    """Bytes per graph node of the deep chain, held by Python's allocator (tracemalloc)."""
    per_node: dict[str, float] = {}
    lines = ["| engine | bytes / node (graph) | peak bytes / node (forward + backward) |", "|---|---|---|"]
    for e in engines:
        gc.collect()
        tracemalloc.start()
        try:
            x = e.leaf(0.5)
            base = tracemalloc.get_traced_memory()[0]
            y = W.chain(x, n)
            graph = (tracemalloc.get_traced_memory()[0] - base) / (2 * n)
            tracemalloc.reset_peak()
            try:
                e.backward(y)
                peak = f"{(tracemalloc.get_traced_memory()[1] - base) / (2 * n):.0f}"
            except RecursionError:
                peak = "RecursionError"
            del x, y
        finally:
            tracemalloc.stop()
        if e.name == "PyTorch":
            lines.append("| PyTorch | not seen by tracemalloc (C++ allocations) | — |")
            continue
        per_node[e.name] = graph
        lines.append(f"| {e.name} | {graph:.0f} | {peak} |")
    out.append(f"## 5. Memory per graph node (deep chain, n = {n:,}: {2 * n:,} operation nodes)\n")
    out.append(
        "Bytes allocated through Python while building the graph (Value objects, parent links, "
        "closures, numbers, constants), divided by the number of operation nodes.\n"
    )
    out.append("\n".join(lines) + "\n")
    return per_node


# --- workload 3: the wide sum ------------------------------------------------------------------------


def wide(engines: list[Engine], n: int, repeat: int, out: list[str]) -> dict[str, float]:
    """Σ xᵢ·yᵢ of n products summed pairwise, forward + backward."""
    xs, ys = W.wide_inputs(n)
    expected, _, _ = W.hand_wide_sum(xs, ys)
    runs: dict[str, Callable[[], Any]] = {}
    for e in engines:

        def run(e: Engine = e) -> None:
            a = [e.leaf(x) for x in xs]
            b = [e.leaf(y) for y in ys]
            total = W.wide_sum(a, b)
            e.backward(total)
            if e.number(total) != expected or e.grad(a[-1]) != ys[-1]:
                raise AssertionError(f"wide sum: {e.name} disagrees with the hand-written code")

        runs[e.name] = run
    runs[HAND] = lambda: W.hand_wide_sum(xs, ys)
    timings = interleave(runs, repeat, label=f"wide sum, n = {n:,}")
    out.append(f"## 3. Wide sum of {n:,} products (pairwise tree), forward + backward\n")
    out.append(f"Leaves made, graph built, backward run; median of {repeat}.\n")
    out.append(table(timings, "s / run"))
    return {name: timings.median(name) for name in runs}  # type: ignore[misc]


# --- workload 4: the article's model -----------------------------------------------------------------


def article_sgd(engines: list[Engine], epochs: int, repeat: int, out: list[str]) -> dict[str, float]:
    """The articles' model L3(L2(L1(x))), per-sample SGD over the three patients, in float64."""
    patients = [(tuple(float(v) for v in x), float(y)) for x, y in article.PATIENTS]
    w_init = [float(w) for w in article.W2]
    lr = float(article.LEARNING_RATE)
    expected, _ = W.hand_article_epochs(list(w_init), patients, lr, epochs)
    runs: dict[str, Callable[[], Any]] = {}

    def agree(name: str, got: Sequence[float]) -> None:
        if any(abs(a - b) > 1e-12 * abs(b) for a, b in zip(got, expected, strict=True)):
            raise AssertionError(f"article: {name} ends at {list(got)}, the hand-written code at {expected}")

    for e in engines:

        def run(e: Engine = e) -> None:
            w2 = [e.leaf(w) for w in w_init]
            for _ in range(epochs):
                for x, y in patients:
                    e.backward(W.article_loss(w2, x, y, e.relu))
                    e.sgd(w2, lr)
            agree(e.name, [e.number(w) for w in w2])

        runs[e.name] = run

    def tape_run() -> None:
        w2 = [autodiff.Value(w) for w in w_init]
        x = [autodiff.Value(v, requires_grad=False) for v in patients[0][0]]
        y = autodiff.Value(patients[0][1], requires_grad=False)
        tape = autodiff.Tape(W.article_loss(w2, x, y, lambda v: v.relu()), w2)
        for _ in range(epochs):
            for values, label in patients:
                for leaf, v in zip(x, values, strict=True):
                    leaf.data = v
                y.data = label
                tape.backward()
                _value_sgd(w2, lr)
        agree(TAPE, [w.data for w in w2])

    runs[TAPE] = tape_run
    runs[HAND] = lambda: W.hand_article_epochs(list(w_init), patients, lr, epochs)
    timings = interleave(runs, repeat, label="article")
    timings.notes[TAPE] = "one tape for all three patients, recording included"
    out.append(f"## 4. The articles' model, {epochs:,} epochs of per-sample SGD (3 patients, float64)\n")
    out.append(f"{3 * epochs:,} forward + backward + update; median of {repeat}.\n")
    out.append(table(timings, "s / run"))
    return {name: timings.median(name) for name in runs}  # type: ignore[misc]


# --- workload 6: scaling, µs per node from 10³ to 10⁶ nodes -------------------------------------------


def scaling_graph(kind: str, nodes: int) -> Callable[[], Any]:
    """A function that builds a graph of about `nodes` nodes of shape `kind` and returns its root."""
    if kind == "chain":
        steps = max(1, nodes // 2)  # x·a + b: two operation nodes per step
        return lambda: W.chain(autodiff.Value(0.5), steps)
    if kind == "wide sum":
        xs, ys = W.wide_inputs(max(2, nodes // 2))  # n products, n − 1 additions
        return lambda: W.wide_sum([autodiff.Value(x) for x in xs], [autodiff.Value(y) for y in ys])
    width = int(kind.rsplit(" ", 1)[1])
    model = MLP(2, [width, width, 1], seed=0)

    def loss(points: Sequence[Any], labels: Sequence[int]) -> Any:
        # The example's per-sample traces and mean hinge loss, without its L2 term: a penalty over
        # 66,000 weights would be most of a small graph of the widest model.
        return objective([model.trace(p, y, MaxMargin()) for p, y in zip(points, labels, strict=True)])[0]

    one = len(autodiff.topological_order(loss([(0.1, 0.2)], [1])))
    per_point = len(autodiff.topological_order(loss([(0.1, 0.2), (0.3, 0.4)], [1, -1]))) - one
    count = round((nodes - (one - per_point)) / per_point)  # the weights are nodes too, once
    points, labels = make_moons(count, noise=0.1, seed=0) if count >= 2 else ([(0.1, 0.2)], [1])
    return lambda: loss(points, labels)


SCALING_KINDS = ("chain", "wide sum", "MLP width 16", "MLP width 64", "MLP width 256")


def scaling(sizes: Sequence[int], repeat: int, out: list[str]) -> dict[str, dict[str, list[float]]]:
    """µs per node of forward + backward for growing graphs, with the collector on and paused."""
    result: dict[str, dict[str, list[float]]] = {}
    for kind in SCALING_KINDS:
        for n in sizes:
            build = scaling_graph(kind, n)
            graph = autodiff.topological_order(build())
            size = len(graph)
            operations = sum(1 for node in graph if not node.is_leaf)  # the nodes a step builds
            del graph
            if size > 3 * n:  # one sample of a wide MLP is already far larger than this size
                continue

            def run(build: Callable[[], Any] = build) -> None:
                build().backward()

            def paused(run: Callable[[], Any] = run) -> None:
                with autodiff.gc_paused():
                    run()

            paused.gc_off = True  # type: ignore[attr-defined]
            runs = {"GC on": run, "gc_paused()": paused}
            timings = interleave(runs, repeat, label=f"scaling, {kind}, {size:,} nodes")
            for mode in runs:
                seconds = timings.median(mode)
                assert seconds is not None
                result.setdefault(f"{kind} | {mode}", {}).setdefault("sizes", []).append(size)
                result[f"{kind} | {mode}"].setdefault("us", []).append(seconds / size * 1e6)
                result[f"{kind} | {mode}"].setdefault("us_op", []).append(seconds / operations * 1e6)
    header = (
        "| graph | collector | "
        + " | ".join(f"~{n:,} nodes" for n in sizes)
        + " | largest / smallest | same, per operation node |"
    )
    lines = [header, "|---|---" + "|---:" * (len(sizes) + 2) + "|"]
    for name, got in result.items():
        kind, mode = name.split(" | ")
        us, us_op = got["us"], got["us_op"]
        cells = [f"{u:.2f} ({size:,})" for u, size in zip(us, got["sizes"], strict=True)]
        cells = ["—"] * (len(sizes) - len(cells)) + cells
        lines.append(
            f"| {kind} | {mode} | "
            + " | ".join(cells)
            + f" | {max(us) / min(us):.2f}× | {max(us_op) / min(us_op):.2f}× |"
        )
    out.append("## 6. Scaling: µs per node, forward + backward, from 10³ to 10⁶ nodes\n")
    out.append(
        "Each graph is built, differentiated and freed once per repetition (median of "
        f"{repeat}), CPU time per graph node. 'GC on' is Python's default; 'gc_paused()' runs "
        "the same code inside `autodiff.gc_paused()`, as `train.fit` does. The chain is "
        "x → x·1.0001 + 0.0001; the wide sum Σ xᵢ·yᵢ pairwise; the MLPs are "
        "`MLP(2, [w, w, 1])` on moons points, the example's traces and mean hinge loss (no L2 "
        "term), as many points as make the size (one sample of width 256 is ~67,000 nodes: smaller "
        "sizes are left out). "
        "A cell is µs per node (the graph's exact node count). The next column is the spread of "
        "µs per node over the sizes (target: ≤ 1.5×); the last one the spread of µs per operation "
        "node (leaves left out). They differ where the smallest graph is a single sample of a wide "
        "MLP: about half of its nodes are the weights, leaves that a step does not build.\n"
    )
    out.append("\n".join(lines) + "\n")
    return result


# --- workload 7: batched replay of one sample's graph ------------------------------------------------

BATCHED_NUMPY = "Tape.batched, numpy"
BATCHED_TORCH = "Tape.batched, torch CPU"
SCALAR_TAPE = "scalar Tape, sample by sample"


@dataclass
class _Recorded:
    """The moons model's one-sample graph, recorded once per engine (each trains its own Values)."""

    params: list[autodiff.Value]
    xs: list[autodiff.Value]
    y: autodiff.Value
    tape: autodiff.Tape


def _record_moons() -> _Recorded:
    model = moons_model(seed=W.MOONS_SEED)
    xs = [autodiff.Value(0.0, f"x{i}", requires_grad=False) for i in (1, 2)]
    y = autodiff.Value(1.0, "y", requires_grad=False)
    params = model.parameters()
    return _Recorded(params, xs, y, autodiff.Tape(MaxMargin()(model(xs), y), inputs=params, data=[*xs, y]))


def _batched_runs(n: int) -> dict[str, Callable[[], Any]]:
    """One moons SGD step per engine on `make_moons(n)`, each engine training its own copy of the weights."""
    import numpy as np

    points, labels, init = W.moons_problem(n)
    x, y_array = np.array(points, dtype=np.float64), np.array(labels, dtype=np.float64)
    alpha, lr = W.MOONS_ALPHA, W.MOONS_LEARNING_RATE
    scale = 1.0 / n if n > 1 else 1.0

    def replayed(backend: str) -> Callable[[], None]:
        rec = _record_moons()
        step = rec.tape.batched(backend=backend, reduction="mean")
        batch = {rec.xs[0]: x[:, 0], rec.xs[1]: x[:, 1], rec.y: y_array}
        params = rec.params
        if backend == "numpy":  # checked once against the hand-written gradients (mean hinge + α·Σp²)
            _, hand_grads = W.hand_moons_gradients(init, points, labels)
            _, grads = step(batch)
            worst = max(
                abs(a - b - 2 * alpha * w) for a, b, w in zip(hand_grads, grads.tolist(), init, strict=True)
            )
            if worst > 1e-9:
                raise SystemExit(f"batched replay disagrees with the hand-written gradients by {worst:.3g}")

        def run() -> None:
            _, grads = step(batch)
            if not isinstance(grads, np.ndarray):
                grads = grads.cpu().numpy()
            numbers = np.array([p.data for p in params])
            for p, v in zip(params, (numbers - lr * (grads + 2 * alpha * numbers)).tolist(), strict=True):
                p.data = v

        return run

    runs: dict[str, Callable[[], Any]] = {BATCHED_NUMPY: replayed("numpy")}
    try:
        import torch  # noqa: F401

        runs[BATCHED_TORCH] = replayed("torch")
    except ImportError:
        pass
    blocks, bx, by = W.numpy_moons_problem(init, points, labels)
    runs[NUMPY] = lambda: W.numpy_moons_step(blocks, bx, by, lr)
    torch_tensors = _torch_tensor_step(init, points, labels, lr, lambda *a: None)
    if torch_tensors is not None:
        runs[TORCH_TENSORS] = torch_tensors
    if n <= 1000:  # 10,000 samples one by one take seconds per step
        rec = _record_moons()

        def scalar_step() -> None:
            total = [0.0] * len(rec.params)
            for (a, b), label in zip(points, labels, strict=True):
                rec.xs[0].data, rec.xs[1].data, rec.y.data = a, b, label
                _, g = rec.tape.gradients()
                total = [t + d for t, d in zip(total, g, strict=True)]
            for p, t in zip(rec.params, total, strict=True):
                p.data -= lr * (t * scale + 2 * alpha * p.data)

        runs[SCALAR_TAPE] = scalar_step
    return runs


def batched(sizes: Sequence[int], repeat: int, out: list[str]) -> dict[int, dict[str, float]]:
    """The moons step through the batched replay, against the scalar Tape, numpy by hand and PyTorch."""
    start = clock()
    _record_moons().tape.batched(reduction="mean")
    compile_seconds = clock() - start
    result: dict[int, dict[str, float]] = {}
    for n in sizes:
        runs = _batched_runs(n)
        timings = interleave(runs, repeat, 1 if n >= 10_000 else 5, label=f"batched, {n} samples")
        result[n] = {name: timings.median(name) for name in runs}  # type: ignore[misc]
    names = [BATCHED_NUMPY, BATCHED_TORCH, SCALAR_TAPE, NUMPY, TORCH_TENSORS]
    present = [m for m in names if any(m in r for r in result.values())]
    out.append("## 7. Batched replay: the moons step over a batch (MLP 2-16-16-1)\n")
    out.append(
        "One sample's graph (`MaxMargin()(model([x1, x2]), y)`, the data leaves marked) recorded and "
        f"compiled once ({compile_seconds * 1e3:.0f} ms with its numpy replay), then replayed over "
        '`make_moons(n)` by `tape.batched(reduction="mean")`: each layer is one matrix product. '
        "A step is the batched replay, the L2 term 2α·p added to its mean δs and the update of the "
        "Values' numbers; the scalar Tape replays the same one-sample graph sample by sample (up to "
        "1,000 samples). numpy by hand and PyTorch tensors (autograd) compute the same step on arrays "
        "(`workloads.numpy_moons_step`, `workloads.torch_moons_loss`). The batched gradients agree with "
        f"the hand-written code to 1e-9 before timing. Median of {repeat} repetitions, CPU time per "
        "step, PyTorch on one thread.\n"
    )
    out.append(
        "| batch | "
        + " | ".join(present)
        + " | batched numpy / numpy by hand | batched numpy / PyTorch tensors |"
    )
    out.append("|---:|" + "---:|" * (len(present) + 2))
    for n, r in result.items():
        cells = [(_seconds(r[m]) if m in r else "—") for m in present]
        by_hand = f"{r[BATCHED_NUMPY] / r[NUMPY]:.2f}×" if NUMPY in r else "—"
        by_torch = f"{r[BATCHED_NUMPY] / r[TORCH_TENSORS]:.2f}×" if TORCH_TENSORS in r else "—"
        out.append(f"| {n:,} | " + " | ".join(cells) + f" | {by_hand} | {by_torch} |")
    out.append("")
    return result


# --- workload 8: the digits example ---------------------------------------------------------------


def digits(out: list[str], quick: bool) -> dict[str, float]:
    """examples/digits.py: record + compile time, seconds per epoch, time to 95 % test accuracy."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
    try:
        import digits as example
        import sklearn  # noqa: F401
    except ImportError:
        out.append("## 8. Digits\n\nSkipped: scikit-learn is not installed (pip install -e '.[digits]').\n")
        return {}
    compile_times = []
    for _ in range(3 if quick else 7):
        start = clock()
        _, _, _, tape = example.record(seed=0)
        tape.batched(reduction="mean")
        compile_times.append(clock() - start)
    record = statistics.median(compile_times)
    epochs = 3 if quick else 30
    result = example.train(epochs, subset=300 if quick else None)
    per_epoch = statistics.median(result.epoch_seconds)
    reached = next((k for k, a in enumerate(result.test_accuracy, 1) if a >= 0.95), None)
    to_95 = None
    if reached is not None:  # trained again for exactly that many epochs: loading and checks included
        start = clock()
        example.train(reached, subset=300 if quick else None)
        to_95 = clock() - start
    out.append("## 8. Digits: a scalar-written MLP 64-16-10 on scikit-learn's 8×8 digits\n")
    out.append(
        "`examples/digits.py`: softmax cross-entropy written from exp, Σ, / and log; 1,437 training and "
        '360 test digits; mini-batches of 32, SGD lr 0.5, through `tape.batched(reduction="mean")`. '
        "Recording + compiling: building the one-sample graph (about 2,500 nodes) and its numpy "
        f"replay, median of {len(compile_times)}, CPU time. The epochs are timed by the example "
        "itself (wall clock, numpy's BLAS on one thread); the time to 95 % is CPU time.\n"
    )
    out.append("| what | measured |")
    out.append("|---|---:|")
    out.append(f"| record + compile the one-sample graph | {record * 1e3:.1f} ms |")
    out.append(
        f"| one epoch (SGD over the 1,437 training digits, median of {epochs}) | {per_epoch * 1e3:.0f} ms |"
    )
    out.append(f"| one epoch scaled to all 1,797 digits | {per_epoch * 1797 / 1437 * 1e3:.0f} ms |")
    shown = f"{to_95:.1f} s (epoch {reached})" if to_95 is not None else "not reached"
    out.append(f"| time to ≥ 95 % test accuracy (data loading and accuracy checks included) | {shown} |")
    out.append(f"| test accuracy after {epochs} epochs | {result.test_accuracy[-1]:.3f} |")
    out.append("")
    return {
        "record": record,
        "epoch": per_epoch * 1797 / 1437,
        "to_95": to_95 if to_95 is not None else float("inf"),
    }


# --- the report ----------------------------------------------------------------------------------


def targets(got: dict[str, Any]) -> list[str]:
    """The summary against the project's targets, from the workloads that were run."""
    rows = []
    moons_times = got.get("moons", {})
    off = GC_OFF
    user, plain, micro, taped, hand = (
        moons_times.get(k) for k in (USER, "autodiff", "micrograd", TAPE, HAND)
    )
    user_off, plain_off, micro_off = (moons_times.get(k + off) for k in (USER, "autodiff", "micrograd"))
    if user and micro:
        same_code = f"; {micro / plain:.1f}× with the model code micrograd runs" if plain else ""
        rows.append(
            (
                "Moons step, plain API, GC on",
                "≥ 6× faster than micrograd",
                f"{micro / user:.1f}× faster with the example's code{same_code}",
            )
        )
    if user_off and micro_off:
        same_code = f"; {micro_off / plain_off:.2f}× with the model code micrograd runs" if plain_off else ""
        rows.append(
            (
                "Moons step, plain API, GC off in both",
                "≥ 2.0× faster than micrograd",
                f"{micro_off / user_off:.2f}× faster with the example's code{same_code}",
            )
        )
    small = got.get("small", {})
    if small.get(USER + off) and small.get("micrograd" + off):
        same_code = (
            f"; {small['micrograd' + off] / small['autodiff' + off]:.2f}× with the model code micrograd runs"
            if small.get("autodiff" + off)
            else ""
        )
        rows.append(
            (
                "Small graph (moons step, 10 points), GC off in both",
                "≥ 1.5× faster than micrograd",
                f"{small['micrograd' + off] / small[USER + off]:.2f}× faster with the example's code"
                + same_code,
            )
        )
    if taped and hand:
        versus = f", {micro / taped:.0f}× faster than micrograd" if micro else ""
        rows.append(("Moons step, `Tape`", "≤ 1.0× the hand-written code", f"{taped / hand:.1f}×{versus}"))
    spread = got.get("scaling", {})
    if spread:
        worst = {name: max(r["us"]) / min(r["us"]) for name, r in spread.items()}
        worst_op = {name: max(r["us_op"]) / min(r["us_op"]) for name, r in spread.items()}
        paused = {k: v for k, v in worst.items() if k.endswith("gc_paused()")}
        paused_op = {k: v for k, v in worst_op.items() if k.endswith("gc_paused()")}
        on = {k: v for k, v in worst.items() if k.endswith("GC on")}
        rows.append(
            (
                "Scaling, µs per node from 10³ to 10⁶ nodes",
                "flat within 1.5×",
                f"largest spread {max(paused.values()):.2f}× with gc_paused() "
                f"({max(paused, key=paused.__getitem__).split(' | ')[0]}); per operation node "
                f"{max(paused_op.values()):.2f}× "
                f"({max(paused_op, key=paused_op.__getitem__).split(' | ')[0]}); "
                f"{max(on.values()):.2f}× with the collector on",
            )
        )
    memory_per_node = got.get("memory", {})
    if "autodiff" in memory_per_node and "micrograd" in memory_per_node:
        ours, theirs = memory_per_node["autodiff"], memory_per_node["micrograd"]
        rows.append(
            (
                "Memory per graph node",
                "≤ ½ of micrograd's",
                f"{ours:.0f} vs {theirs:.0f} bytes ({ours / theirs:.2f})",
            )
        )
    chain_result = got.get("chain")
    if chain_result:
        sizes, steps = chain_result["sizes"], chain_result["per_step"].get("autodiff", [])
        if "autodiff" in chain_result["failed"]:
            verdict = chain_result["failed"]["autodiff"]
        else:
            spread = " → ".join(f"{s * 1e6:.2g}" for s in steps)
            verdict = f"n = {sizes[-1]:,} works; µs per step {spread} from n = {sizes[0]:,} to {sizes[-1]:,}"
            quiet = chain_result["per_step"].get(AUTODIFF_GC_OFF)
            if quiet:
                verdict += " (cyclic GC off: " + " → ".join(f"{s * 1e6:.2g}" for s in quiet) + ")"
        rows.append(("Deep chain", "10⁶ steps, linear time", verdict))
    for n, limit in ((100, 2.0), (10_000, 1.5)):
        found = got.get("batched", {}).get(n, {})
        if found.get(BATCHED_NUMPY) and found.get(NUMPY):
            ratio = found[BATCHED_NUMPY] / found[NUMPY]
            scalar = found.get(SCALAR_TAPE)
            versus = f"; {scalar / found[BATCHED_NUMPY]:.0f}× faster than the scalar Tape" if scalar else ""
            rows.append(
                (
                    f"Moons step, batched numpy, batch {n:,}",
                    f"≤ {limit}× numpy by hand",
                    f"{ratio:.2f}×{versus}",
                )
            )
    found = got.get("digits", {})
    if found:
        rows.append(("Digits, one epoch (1,797 samples)", "< 0.5 s", f"{found['epoch']:.3f} s"))
        rows.append(("Digits, ≥ 95 % test accuracy", "< 30 s", f"{found['to_95']:.1f} s"))
        rows.append(("Digits, record + compile one sample", "< 50 ms", f"{found['record'] * 1e3:.1f} ms"))
    if not rows:
        return []
    lines = ["## Summary against the targets", "", "| what | target | measured |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return [*lines, ""]


def table(timings: Timings, unit: str) -> str:
    """A Markdown table: median per engine, ratio to micrograd (× faster) and to the hand-written code."""
    ref = timings.median("micrograd")
    hand = timings.median(HAND)
    lines = [f"| engine | {unit} | vs micrograd | vs hand-written |", "|---|---|---|---|"]
    for name in timings.samples:
        t = timings.median(name)
        assert t is not None
        versus_micrograd = _ratio(ref / t) if ref and name != "micrograd" else "—"
        versus_hand = _ratio(hand / t) if hand and name != HAND else "—"
        note = f" ({timings.notes[name]})" if name in timings.notes else ""
        lines.append(f"| {name}{note} | {_seconds(t)} | {versus_micrograd} | {versus_hand} |")
    return "\n".join(lines) + "\n"


def _ratio(speedup: float) -> str:
    return f"{speedup:.1f}× faster" if speedup >= 1 else f"{1 / speedup:.1f}× slower"


def _seconds(t: float) -> str:
    return f"{t * 1e3:.3g} ms" if t < 1 else f"{t:.3g} s"


def machine() -> str:
    """One line about the CPU and the Python running the benchmarks."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )


def main(argv: Sequence[str] | None = None) -> list[str]:
    """Run the benchmarks and return the report's lines (also printed, and written with --results)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repetition (a smoke test)")
    parser.add_argument("--results", type=Path, help="write the Markdown report to this file")
    parser.add_argument(
        "--only", default=",".join(WORKLOADS), help=f"comma-separated workloads among {', '.join(WORKLOADS)}"
    )
    args = parser.parse_args(argv)
    # numpy's BLAS on one thread, as PyTorch below, set before either is imported: with CPU time as
    # the clock, a BLAS thread waiting for work spins and its time counts (a 14 ms step measured
    # 340 ms on 2 shared cores).
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = sorted(set(only) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose among {', '.join(WORKLOADS)}")
    engines = [autodiff_engine()]
    skipped = []
    for make, name in ((micrograd_engine, "micrograd"), (torch_engine, "PyTorch")):
        engine = make()
        if engine is None:
            skipped.append(name)
            print(
                f"benchmarks: {name} is not installed, skipping it (pip install -e '.[bench]')",
                file=sys.stderr,
            )
        else:
            engines.append(engine)
    quick = args.quick
    # Importing PyTorch leaves ~150,000 objects that every full collection of the cyclic garbage
    # collector would scan again, slowing the engines that allocate many objects (micrograd,
    # autodiff) in a way a process using only one of them never sees. Freezing them puts every
    # engine back in that situation; the collector still runs on everything the engines allocate.
    try:
        import torch

        torch.set_num_threads(1)  # CPU time then measures one core's work, as for the other engines
    except ImportError:
        pass
    gc.collect()
    gc.freeze()
    out = [
        "# Benchmarks",
        "",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        "- Engines: "
        + ", ".join(f"{e.name} {e.version}" for e in engines)
        + f", {HAND}"
        + (f" (not installed: {', '.join(skipped)})" if skipped else ""),
        f"- Command: `python benchmarks/run.py{' --quick' if quick else ''}`"
        + (" (quick mode: tiny sizes, not a measurement)" if quick else ""),
        "- Note: the machine is shared with other jobs, so absolute times move by 10–20 % between runs; "
        "the ratios within one run are the numbers to read.",
        "- Method: one process; CPU time of the process (`time.process_time`, PyTorch on one thread), "
        "so other jobs on the machine do not count; each repetition times every engine in turn "
        "(after one untimed warm-up run each); a timing starts after a full garbage collection and "
        "includes the collection of the garbage it made; objects alive after the imports are frozen "
        "(`gc.freeze()`) so PyTorch's import does not slow the other engines' collections. "
        "Medians; ratios from the medians.",
        "",
    ]
    sections: list[str] = []
    got: dict[str, Any] = {}
    if "moons" in only:
        got["moons"] = moons(
            engines,
            10 if quick else W.MOONS_POINTS,
            1 if quick else 5,
            1 if quick else 3,
            sections,
            f"1. Moons training step (MLP 2-16-16-1, {10 if quick else W.MOONS_POINTS} points, full batch)",
        )
    if "small" in only:
        got["small"] = moons(
            engines,
            4 if quick else 10,
            1 if quick else 9,
            1 if quick else 5,
            sections,
            "1b. A small graph: the same step on 10 points (~7k nodes with the same code as micrograd)",
        )
    if "profile" in only:
        profile(engines, 10 if quick else W.MOONS_POINTS, 1 if quick else 5, sections)
    if "chain" in only:
        sizes = (100, 1000) if quick else (10**3, 10**4, 10**5, 10**6)
        got["chain"] = chain(engines, sizes, 1 if quick else 3, sections)
    if "wide" in only:
        wide(engines, 1000 if quick else 10**5, 1 if quick else 5, sections)
    if "article" in only:
        article_sgd(engines, 10 if quick else 1000, 1 if quick else 5, sections)
    if "memory" in only:
        got["memory"] = memory(engines, 1000 if quick else 10**4, sections)
    if "scaling" in only:
        got["scaling"] = scaling(
            (10**3, 10**4) if quick else (10**3, 10**4, 10**5, 10**6), 1 if quick else 3, sections
        )
    if "batched" in only:
        got["batched"] = batched((100, 1000) if quick else (100, 1000, 10_000), 1 if quick else 7, sections)
    if "digits" in only:
        got["digits"] = digits(sections, quick)
    out += targets(got)
    out += sections
    text = "\n".join(out)
    print(text)
    if args.results:
        args.results.write_text(text)
    return out


if __name__ == "__main__":
    main()

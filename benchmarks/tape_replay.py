"""`Tape`: recording time, recording memory and replay time, against hand-written float code.

    python benchmarks/tape_replay.py            # moons step + memory up to 10^5-step chains
    python benchmarks/tape_replay.py --big      # also the 10^6-step chain (needs a few GB)

Section 1 times one moons training step (the workload of `examples/moons.py`, see `workloads.py`)
in one process, engines interleaved, medians: the tape replaying the user's graph, the hand-written
float code (`workloads.hand_moons_step`) and the plain path (build the graph, backward), each with
the cyclic garbage collector on and off. Every engine starts from the same weights and is checked
against the hand-written gradients first. Section 2 measures what recording a `Tape` allocates at
its peak (tracemalloc), per node of the recorded graph. Nothing here needs micrograd or PyTorch.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workloads as W

import autodiff
from autodiff.learn.datasets import moons_loss, moons_model
from autodiff.learn.optim import SGD

# `--cpu` times with the process's CPU time instead of the wall clock: on a machine shared with
# other jobs, the wall clock also counts the time the process waited for a core.
clock = time.perf_counter


def timed(run: Callable[[], Any], gc_on: bool) -> float:
    """Seconds for one call of `run`, with the cyclic collector on or off during the call."""
    gc.collect()
    was = gc.isenabled()
    (gc.enable if gc_on else gc.disable)()
    try:
        start = clock()
        run()
        return clock() - start
    finally:
        (gc.enable if was else gc.disable)()


def interleave(runs: dict[str, Callable[[], Any]], repeat: int) -> dict[str, dict[bool, float]]:
    """Median seconds per run, GC on and off, every run timed once per repetition in turn."""
    for run in runs.values():
        run()
    seen: dict[str, dict[bool, list[float]]] = {name: {True: [], False: []} for name in runs}
    for _ in range(repeat):
        for gc_on in (False, True):
            for name, run in runs.items():
                seen[name][gc_on].append(timed(run, gc_on))
    return {name: {k: statistics.median(v) for k, v in d.items()} for name, d in seen.items()}


def moons(repeat: int) -> None:
    points, labels, init = W.moons_problem(W.MOONS_POINTS)
    lr = W.MOONS_LEARNING_RATE
    hand_loss, hand_grads = W.hand_moons_gradients(init, points, labels)

    def check(name: str, loss: float, grads: list[float]) -> None:
        worst = max(abs(a - b) for a, b in zip(grads, hand_grads, strict=True))
        if abs(loss - hand_loss) > 1e-12 or worst > 1e-12:
            raise SystemExit(f"{name} disagrees with the hand-written code (largest difference {worst:.3g})")

    # The user's graph (`moons_loss(model, ...)`, one `sum` node per neuron), recorded once.
    model = moons_model(seed=W.MOONS_SEED)
    loss, _ = moons_loss(model, points, labels)
    user_nodes = len(autodiff.topological_order(loss, only_requiring_grad=False))
    start, cpu = time.perf_counter(), time.process_time()
    tape = autodiff.Tape(loss, model.parameters())
    record, record_cpu = time.perf_counter() - start, time.process_time() - cpu
    tape_loss, tape_grads = tape.gradients()
    check("the tape", tape_loss, tape_grads)
    loss.backward()
    plain = [p.grad for p in model.parameters()]
    if tape_loss != loss.data or any(a != b for a, b in zip(tape_grads, plain, strict=True)):
        raise SystemExit("the tape's replay is not bit-identical to loss.backward()")
    del loss
    model.zero_grad()
    optimizer = SGD(model.parameters(), lr=lr)

    def tape_step() -> None:
        optimizer.zero_grad()
        tape.backward()
        optimizer.step()

    def tape_replay_only() -> None:
        tape.gradients()

    # The benchmark's engine-neutral graph (`workloads.moons_loss`: binary + and *), recorded once.
    params = [autodiff.Value(w) for w in init]
    graph = W.moons_loss(params, points, labels, autodiff.Value.relu)
    flat_nodes = len(autodiff.topological_order(graph, only_requiring_grad=False))
    start, cpu = time.perf_counter(), time.process_time()
    flat_tape = autodiff.Tape(graph, params)
    flat_record, flat_cpu = time.perf_counter() - start, time.process_time() - cpu
    check("the tape of workloads.moons_loss", *flat_tape.gradients())
    del graph

    plain_model = moons_model(seed=W.MOONS_SEED)
    plain_optimizer = SGD(plain_model.parameters(), lr=lr)

    def plain_step() -> None:
        loss, _ = moons_loss(plain_model, points, labels)
        plain_optimizer.zero_grad()
        loss.backward()
        plain_optimizer.step()

    # What the tape step spends outside the replay: SGD's update of the 337 weights (its own copy).
    step_model = moons_model(seed=W.MOONS_SEED)
    for p, g in zip(step_model.parameters(), tape_grads, strict=True):
        p.grad = g
    step_optimizer = SGD(step_model.parameters(), lr=lr)

    hand_params = list(init)
    runs = {
        "hand-written floats (step)": lambda: W.hand_moons_step(hand_params, points, labels, lr),
        "Tape step (zero_grad, backward, SGD step)": tape_step,
        "Tape replay only (gradients())": tape_replay_only,
        "Tape replay of workloads.moons_loss": lambda: flat_tape.gradients(),
        "SGD step alone (part of the Tape step)": step_optimizer.step,
        "plain path step (build, backward, step)": plain_step,
    }
    result = interleave(runs, repeat)
    hand = result["hand-written floats (step)"]
    timer = "CPU time" if clock is time.process_time else "wall clock"
    print(f"## Moons step ({len(points)} points, MLP 2-16-16-1), median of {repeat} ({timer}), interleaved\n")
    print(f"Recording the user's graph ({user_nodes:,} nodes): {record:.2f} s ({record_cpu:.2f} s CPU)")
    print(
        f"Recording workloads.moons_loss ({flat_nodes:,} nodes): {flat_record:.2f} s ({flat_cpu:.2f} s CPU)"
    )
    print(f"Tape: {tape!r}\n")
    print("| run | GC off | vs hand (GC off) | GC on | vs hand (GC on) |")
    print("|---|---:|---:|---:|---:|")
    for name, t in result.items():
        print(
            f"| {name} | {t[False] * 1e3:.2f} ms | {t[False] / hand[False]:.2f}× "
            f"| {t[True] * 1e3:.2f} ms | {t[True] / hand[True]:.2f}× |"
        )
    print()


Graph = Callable[[], tuple[autodiff.Value, list[autodiff.Value]]]


def recording_peak(build: Graph) -> tuple[int, float, float]:
    """(graph nodes, peak bytes allocated while recording per node, seconds) for the graph `build` makes."""
    output, inputs = build()
    nodes = len(autodiff.topological_order(output, only_requiring_grad=False))
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    tape = autodiff.Tape(output, inputs)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del tape
    return nodes, peak / nodes, seconds


def chain_graph(steps: int) -> Callable[[], tuple[autodiff.Value, list[autodiff.Value]]]:
    def build() -> tuple[autodiff.Value, list[autodiff.Value]]:
        x = autodiff.Value(0.5)
        return W.chain(x, steps), [x]

    return build


def wide_sum_graph(n: int) -> Callable[[], tuple[autodiff.Value, list[autodiff.Value]]]:
    def build() -> tuple[autodiff.Value, list[autodiff.Value]]:
        xs, ys = W.wide_inputs(n)
        vx = [autodiff.Value(x) for x in xs]
        return W.wide_sum(vx, [autodiff.Value(y) for y in ys]), vx

    return build


def wide_primitive_graph(n: int) -> Callable[[], tuple[autodiff.Value, list[autodiff.Value]]]:
    """One `sum` node of n inputs (an n-input primitive): recording must grow linearly in n."""

    def build() -> tuple[autodiff.Value, list[autodiff.Value]]:
        xs = [autodiff.Value(float(i)) for i in range(n)]
        return autodiff.sum(x * x for x in xs), xs

    return build


def moons_graph() -> tuple[autodiff.Value, list[autodiff.Value]]:
    points, labels, _ = W.moons_problem(W.MOONS_POINTS)
    model = moons_model(seed=W.MOONS_SEED)
    loss, _ = moons_loss(model, points, labels)
    return loss, model.parameters()


def memory(big: bool) -> None:
    print("## Recording memory (tracemalloc peak while `Tape(...)` runs, per node of the graph)\n")
    print("| graph | nodes | peak per node | recording time (tracemalloc on) |")
    print("|---|---:|---:|---:|")
    cases: list[tuple[str, Callable[[], tuple[autodiff.Value, list[autodiff.Value]]]]] = [
        ("moons (user's graph)", moons_graph),
        ("chain 10^4 steps", chain_graph(10_000)),
        ("chain 10^5 steps", chain_graph(100_000)),
        ("wide sum 10^5", wide_sum_graph(100_000)),
        ("one sum node of 10^3 inputs", wide_primitive_graph(1_000)),
        ("one sum node of 10^4 inputs", wide_primitive_graph(10_000)),
        ("one sum node of 10^5 inputs", wide_primitive_graph(100_000)),
    ]
    if big:
        cases.append(("chain 10^6 steps", chain_graph(1_000_000)))
    for name, build in cases:
        nodes, per_node, seconds = recording_peak(build)
        print(f"| {name} | {nodes:,} | {per_node:,.0f} B | {seconds:.2f} s |", flush=True)
    print()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=21, help="timed repetitions per run (default 21)")
    parser.add_argument("--big", action="store_true", help="also record a 10^6-step chain")
    parser.add_argument("--skip-memory", action="store_true", help="time the moons step only")
    parser.add_argument(
        "--cpu", action="store_true", help="time with CPU time (a machine shared with others)"
    )
    args = parser.parse_args()
    if args.cpu:
        global clock
        clock = time.process_time
    moons(args.repeat)
    if not args.skip_memory:
        memory(args.big)


if __name__ == "__main__":
    main()

"""Time `viz.steps` on a graph of about 20,000 nodes: `python benchmarks/viz_steps_20k.py`.

The graph is `viz_dot_10k.build` made deeper (134 layers of 50 products w·x summed, 20,101 nodes,
no backward). It prints the seconds `viz.steps` takes, the same for half the graph (a linear pass
takes about half as long; a quadratic one a quarter), the baseline `autodiff.propagate` alone in
the same process (the ratio steps/propagate), each with the garbage collector on and off, and
the peak memory `tracemalloc` sees during one `viz.steps` call.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable

from viz_dot_10k import build

import autodiff
import viz


def seconds(run: Callable[[], object], collect: bool) -> float:
    """The best of three timings of `run`, with the garbage collector on or off."""
    best = float("inf")
    for _ in range(3):
        (gc.enable if collect else gc.disable)()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
        gc.enable()
    return best


def main() -> None:
    """Build the graphs, then time viz.steps against propagate, and measure its memory."""
    big, half = build(layers=134), build(layers=67)
    count = len(autodiff.topological_order(big, only_requiring_grad=False))
    print(f"{count} nodes (half: {len(autodiff.topological_order(half, only_requiring_grad=False))})")
    for collect in (True, False):
        whole = seconds(lambda: viz.steps(big), collect)
        part = seconds(lambda: viz.steps(half), collect)
        base = seconds(lambda: list(autodiff.propagate(big, 1, hooks=False)), collect)
        print(
            f"gc {'on ' if collect else 'off'}: viz.steps {whole:.2f} s, half the graph {part:.2f} s "
            f"(ratio {whole / part:.2f}; 2 is linear, 4 quadratic), propagate alone {base:.2f} s "
            f"(steps/propagate {whole / base:.1f})"
        )
    tracemalloc.start()
    out = viz.steps(big)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{len(out)} steps, peak memory during viz.steps {peak / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()

"""The moons training step of this checkout against the engine of an earlier git revision, in one process.

    python benchmarks/against_revision.py dfb0052              # 30 repetitions
    python benchmarks/against_revision.py HEAD~3 --repeat 60   # more, on a busy machine

The revision's `autodiff` package is taken out with `git archive` into a temporary directory and
imported under another name (`autodiff_baseline`: the package imports itself relatively), so both
engines run in this process, interleaved: each repetition times both, in alternating order, so a
slow moment of the machine hits both. The workload is `examples/moons.py`'s step (100 points,
MLP 2-16-16-1, `moons_loss`, `SGD`), each engine on its own model from the same seed: the whole
step (build, backward, update) and the backward pass alone, with the cyclic garbage collector on
and off. CPU time; the report gives medians, minima and the ratios this checkout / the revision
(below 1: this checkout is faster).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASELINE = "autodiff_baseline"
POINTS = 100


def baseline_package(revision: str, into: Path) -> Any:
    """The `autodiff` package of `revision`, extracted under `into` and imported as `autodiff_baseline`."""
    archive = into / "baseline.tar"
    done = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), revision, "autodiff"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"against_revision: git archive {revision} failed: {done.stderr.strip()}")
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.12, and the security releases before it
            tar.extractall(into, filter="data")
        else:  # pragma: no cover - our own repository's files
            tar.extractall(into)
    shutil.move(str(into / "autodiff"), str(into / BASELINE))
    sys.path.insert(0, str(into))
    return importlib.import_module(BASELINE)


def steppers(package: str) -> tuple[Callable[[], Any], Callable[[], float]]:
    """(one moons step, one moons step returning the CPU seconds of its backward pass) for `package`."""
    datasets = importlib.import_module(f"{package}.learn.datasets")
    optim = importlib.import_module(f"{package}.learn.optim")
    points, labels = datasets.make_moons(POINTS, noise=0.1, seed=0)
    model = datasets.moons_model(seed=0)
    optimizer = optim.SGD(model.parameters(), lr=0.05)

    def step() -> None:
        loss, _ = datasets.moons_loss(model, points, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def backward_only() -> float:
        loss, _ = datasets.moons_loss(model, points, labels)
        optimizer.zero_grad()
        start = time.process_time()
        loss.backward()
        seconds = time.process_time() - start
        optimizer.step()
        return seconds

    return step, backward_only


def measure(repeat: int, engines: dict[str, tuple[Callable[[], Any], Callable[[], float]]]) -> dict:
    """CPU seconds per (engine, GC setting, phase), interleaved repetitions."""
    found: dict[tuple[str, str, str], list[float]] = {}
    names = list(engines)
    for rep in range(repeat):
        for gc_setting in ("GC on", "GC off"):
            for name in names if rep % 2 == 0 else names[::-1]:
                step, backward_only = engines[name]
                if gc_setting == "GC off":
                    gc.collect()
                    gc.disable()
                try:
                    start = time.process_time()
                    step()
                    found.setdefault((name, gc_setting, "step"), []).append(time.process_time() - start)
                    found.setdefault((name, gc_setting, "backward"), []).append(backward_only())
                finally:
                    gc.enable()
    return found


def report(found: dict, revision: str, repeat: int) -> str:
    """The Markdown table: medians and minima in ms, and the ratios this checkout / the revision."""
    lines = [
        f"Moons step ({POINTS} points, MLP 2-16-16-1), this checkout against {revision}: CPU time, "
        f"{repeat} interleaved repetitions",
        "",
        f"| phase | GC | {revision} median (min) | this checkout median (min) | ratio of medians | "
        "ratio of minima |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for phase in ("step", "backward"):
        for gc_setting in ("GC on", "GC off"):
            before = found[("baseline", gc_setting, phase)]
            after = found[("checkout", gc_setting, phase)]
            b, a = statistics.median(before), statistics.median(after)
            lines.append(
                f"| {phase} | {gc_setting} | {b * 1e3:.1f} ms ({min(before) * 1e3:.1f}) | {a * 1e3:.1f} ms "
                f"({min(after) * 1e3:.1f}) | {a / b:.3f} | {min(after) / min(before):.3f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="a git revision of this repository, e.g. HEAD~3 or a commit hash")
    parser.add_argument("--repeat", type=int, default=30, help="interleaved repetitions (default 30)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        baseline_package(args.revision, Path(tmp))
        engines = {"baseline": steppers(BASELINE), "checkout": steppers("autodiff")}
        for step, _ in engines.values():
            step()  # warm up: first imports, caches
        print(report(measure(args.repeat, engines), args.revision, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())

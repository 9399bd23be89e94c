"""Beyond the articles: a 2-16-16-1 ReLU network learns to separate two moons.

100 points on two interleaving half circles (`autodiff.learn.datasets.make_moons`, seeded), labels ±1.
Loss: the mean max-margin loss relu(1 − y·score) plus an L2 penalty 1e-4·Σp²; plain SGD on the
whole batch (`autodiff.learn.train.batch_learning`). It prints the loss and training accuracy as it goes
and writes a loss curve and the decision boundary to `out/moons.png` (needs matplotlib:
`pip install -e '.[plot]'` from a checkout).

    python examples/moons.py                 # full run
    python examples/moons.py --steps 20      # a short run
    python examples/moons.py --no-plot --progress
    python examples/moons.py --page out/     # also out/training.html: watch it learn, epoch by epoch
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autodiff import no_grad
from autodiff.learn.datasets import make_moons, moons_accuracy, moons_model, sign_accuracy
from autodiff.learn.nn import MLP, MaxMargin, l2_penalty
from autodiff.learn.optim import SGD
from autodiff.learn.train import History, Step, batch_learning


@dataclass
class Result:
    """What a training run produced and measured."""

    model: MLP
    points: list[tuple[float, float]]
    labels: list[int]
    history: History
    accuracies: list[float] = field(default_factory=list)
    """Training accuracy at each step, measured on that step's forward pass (before its update)."""
    final_accuracy: float = 0.0
    seconds: float = 0.0
    recorded: Any = None
    """With `record=True`: the run as `viz.record_fit` keeps it (parameters per step), for the page."""

    @property
    def first_perfect_step(self) -> int | None:
        """The first step whose forward pass classified every training point right."""
        return next((i for i, a in enumerate(self.accuracies, 1) if a == 1.0), None)

    @property
    def perfect_from_step(self) -> int | None:
        """The step from which every later step classified every training point right."""
        start = None
        for i, a in enumerate(self.accuracies, 1):
            start = (start or i) if a == 1.0 else None
        return start


def train(
    steps: int = 100,
    *,
    lr: float = 1.0,
    seed: int = 0,
    l2: float = 1e-4,
    n_samples: int = 100,
    progress: bool = False,
    report_every: int = 0,
    record: bool = False,
) -> Result:
    """Train the moons network with full-batch SGD for `steps` steps; print every `report_every`.

    `record=True` also keeps the parameters after every step (one step is one epoch here) for
    `viz.training_page`.
    """
    points, labels = make_moons(n_samples, noise=0.1, seed=seed)
    model = moons_model(seed=seed)
    optimizer = SGD(model.parameters(), lr=lr)
    accuracies: list[float] = []
    recorder = None
    if record:
        from viz.training import Recorder  # viz only when a page is asked for

        recorder = Recorder(model)

    def report(step: Step) -> None:
        accuracies.append(sign_accuracy([t.output[0] for t in step.traces], [t.y for t in step.traces]))
        if report_every and (step.number % report_every == 0 or step.number == 1):
            print(
                f"step {step.number:4d}  loss {step.loss.data:.4f}  accuracy {accuracies[-1]:.0%}", flush=True
            )

    start = time.perf_counter()
    history = batch_learning(
        model,
        MaxMargin(),
        list(zip(points, labels, strict=True)),
        optimizer,
        epochs=steps,
        on_backward=report,
        on_step=None if recorder is None else recorder.on_step,
        penalty=lambda: l2_penalty(model.parameters(), l2),
        progress=progress,
    )
    seconds = time.perf_counter() - start
    final = moons_accuracy(model, points, labels)
    data = list(zip(points, labels, strict=True))
    recorded = None if recorder is None else recorder.history(history, MaxMargin(), data)
    return Result(model, points, labels, history, accuracies, final, seconds, recorded)


def _pyplot() -> Any:
    """matplotlib.pyplot with the headless Agg backend, or a clear exit if matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit(
            "moons.py: plotting needs matplotlib: pip install -e '.[plot]' (or run with --no-plot)"
        ) from None
    return plt


def plot(result: Result, path: Path, grid: int = 50) -> Path:
    """Write the loss curve and the decision boundary side by side to `path` (a PNG)."""
    plt = _pyplot()
    xs = [p[0] for p in result.points]
    ys = [p[1] for p in result.points]
    x0, x1 = min(xs) - 0.5, max(xs) + 0.5
    y0, y1 = min(ys) - 0.5, max(ys) + 0.5
    gx = [x0 + (x1 - x0) * i / (grid - 1) for i in range(grid)]
    gy = [y0 + (y1 - y0) * j / (grid - 1) for j in range(grid)]
    with no_grad():
        scores = [[result.model([x, y]).data for x in gx] for y in gy]

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    left.plot(range(1, len(result.history.steps) + 1), [float(v) for v in result.history.steps])
    left.set_yscale("log")
    left.set_xlabel("step (full-batch SGD)")
    left.set_ylabel("loss: mean max-margin + L2")
    left.set_title("Loss")
    left.grid(True, alpha=0.3)
    right.contourf(gx, gy, scores, levels=[-1e9, 0, 1e9], colors=["#f4c2c2", "#c2d8f4"], alpha=0.8)
    right.contour(gx, gy, scores, levels=[0], colors="black", linewidths=1)
    for label, colour, marker in ((1, "#1f5fbf", "o"), (-1, "#bf1f1f", "s")):
        px = [p[0] for p, lab in zip(result.points, result.labels, strict=True) if lab == label]
        py = [p[1] for p, lab in zip(result.points, result.labels, strict=True) if lab == label]
        right.scatter(
            px, py, c=colour, marker=marker, s=22, edgecolors="white", linewidths=0.5, label=f"y = {label:+d}"
        )
    right.legend(loc="upper right")
    right.set_title(f"Decision boundary (training accuracy {result.final_accuracy:.0%})")
    right.set_xlabel("x1")
    right.set_ylabel("x2")
    fig.suptitle("MLP 2-16-16-1 (ReLU) on two moons, autodiff scalar engine")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _unwritable(folder: Path) -> str | None:
    """Why the plot could not be written into `folder` (None when it can): checked before training."""
    if folder.exists():
        if not folder.is_dir():
            return "this is a file, not a folder"
        return None if os.access(folder, os.W_OK | os.X_OK) else "this folder is not writable"
    parent = folder.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is a file, so no folder can be made inside it"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"the folder cannot be created: {parent} is not writable"
    return None


def main(argv: list[str] | None = None) -> Result:
    """Train, print the numbers, and write the plot unless --no-plot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="SGD steps on the whole batch (default 100)")
    parser.add_argument("--lr", type=float, default=1.0, help="learning rate (default 1.0)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and of the weights")
    parser.add_argument("--samples", type=int, default=100, help="number of points (default 100)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (default out/)")
    parser.add_argument("--no-plot", action="store_true", help="do not write the plot")
    parser.add_argument("--progress", action="store_true", help="show a progress bar (needs tqdm)")
    parser.add_argument(
        "--page",
        type=Path,
        default=None,
        metavar="DIR",
        help="also write DIR/training.html: the loss, the boundary and the network, epoch by epoch",
    )
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    if not 0 < args.lr < float("inf"):  # also refuses nan
        parser.error(f"--lr must be a finite number > 0, got {args.lr}")
    if args.samples < 2:
        parser.error(f"--samples must be at least 2 (one per moon), got {args.samples}")
    # Check the optional packages and the output folder before a long run, not after it.
    if not args.no_plot:
        _pyplot()
        problem = _unwritable(args.out)
        if problem:
            parser.error(f"--out {args.out}: {problem}; give a folder that can be created or written to")
    if args.page is not None:
        problem = _unwritable(args.page)
        if problem:
            parser.error(f"--page {args.page}: {problem}; give a folder that can be created or written to")
    if args.progress:
        try:
            import tqdm  # noqa: F401
        except ImportError:
            raise SystemExit("moons.py: --progress needs tqdm: pip install -e '.[progress]'") from None
    result = train(
        args.steps,
        lr=args.lr,
        seed=args.seed,
        n_samples=args.samples,
        progress=args.progress,
        report_every=0 if args.progress else 10,
        record=args.page is not None,
    )
    first = result.first_perfect_step
    print(
        f"\n{args.steps} steps in {result.seconds:.1f} s; final loss {float(result.history.final):.4f}; "
        f"training accuracy {result.final_accuracy:.0%}; "
        + (
            f"first 100% at step {first}, 100% at every step from {result.perfect_from_step}"
            if first
            else "never 100% during training"
        )
    )
    if not args.no_plot:
        print(f"plot: {plot(result, args.out / 'moons.png')}")
    if args.page is not None:
        from viz.training import training_page

        title = f"Two moons: a 2-16-16-1 ReLU network learns ({args.steps} steps of full-batch SGD)"
        print(f"page: {training_page(result.recorded, title=title).save(args.page / 'training.html')}")
    return result


if __name__ == "__main__":
    main()

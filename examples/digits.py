"""A scalar-written network on a real data set: 8×8 handwritten digits, trained through a batched replay.

The model is written exactly as in the articles, one scalar Value at a time: an MLP 64-16-10
(ReLU hidden layer), and a softmax cross-entropy built from the primitives exp, log, Σ and /.
Its graph is recorded once for one sample (`Tape(loss, inputs=..., data=[*pixels, *label])`)
and then replayed over mini-batches of the whole data set with numpy
(`tape.batched(reduction="mean")`): each layer of neurons runs as one matrix product, so an epoch
over the 1,797 digits takes a fraction of a second instead of minutes.

The digits ship with scikit-learn (`sklearn.datasets.load_digits`, no download): install it with
`pip install -e '.[digits]'` from a checkout. A progress bar needs tqdm, the accuracy plot
(`out/digits.png`) matplotlib; both are optional.

    python examples/digits.py                     # 30 epochs, then the test accuracy
    python examples/digits.py --epochs 5 --subset 400 --no-plot
    python examples/digits.py --backend torch     # the same replay on PyTorch (CPU, or --device cuda)
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import autodiff
from autodiff import Tape, Value
from autodiff.learn.nn import MLP
from autodiff.learn.optim import SGD

CLASSES = 10
PIXELS = 64


def softmax_cross_entropy(scores: list[Value], one_hot: list[Value]) -> Value:
    """−Σ y_k·log(p_k), p = softmax(scores), from exp, Σ, / and log only.

    The scores of this small network stay small, so exp needs no shift by the largest score (a
    shift would be a decision on the numbers, which a recorded graph cannot repeat per sample).
    """
    exps = [s.exp() for s in scores]
    total = autodiff.sum(exps)
    return -autodiff.sum([y * (e / total).log() for y, e in zip(one_hot, exps, strict=True)])


@dataclass
class Result:
    """What a training run produced and measured."""

    model: MLP
    tape: Tape
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    record_seconds: float = 0.0
    seconds: float = 0.0


def load(subset: int | None = None, seed: int = 0) -> tuple[Any, Any, Any, Any]:
    """(train pixels, train labels, test pixels, test labels): pixels in [0, 1], a seeded 80/20 split."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit(
            "examples/digits.py needs scikit-learn for its data: pip install -e '.[digits]' (or scikit-learn)"
        ) from None
    import numpy as np

    digits = load_digits()
    pixels, labels = digits.data / 16.0, digits.target
    order = np.random.default_rng(seed).permutation(len(labels))
    if subset is not None:
        order = order[:subset]
    cut = int(0.8 * len(order))
    train, test = order[:cut], order[cut:]
    return pixels[train], labels[train], pixels[test], labels[test]


def record(seed: int = 0) -> tuple[MLP, list[Value], list[Value], Tape]:
    """The model, its data leaves (pixels, one-hot label) and the Tape of one sample's loss."""
    model = MLP(PIXELS, [16, CLASSES], seed=seed)
    pixels = [Value(0.0, f"x{i}", requires_grad=False) for i in range(1, PIXELS + 1)]
    label = [Value(float(k == 0), f"y{k}", requires_grad=False) for k in range(CLASSES)]
    loss = softmax_cross_entropy(model(pixels), label)
    return model, pixels, label, Tape(loss, inputs=model.parameters(), data=[*pixels, *label])


def batch_of(pixels: list[Value], label: list[Value], xs: Any, ys: Any) -> dict[Value, Any]:
    """The step's input: one array per data leaf (a pixel's column, a class's one-hot column)."""
    columns: dict[Value, Any] = {v: xs[:, i] for i, v in enumerate(pixels)}
    columns.update({v: (ys == k).astype(float) for k, v in enumerate(label)})
    return columns


def accuracy(step: Any, pixels: list[Value], label: list[Value], xs: Any, ys: Any) -> float:
    """The fraction of samples whose most probable class is their label.

    The loss with a one-hot label k is −log p_k, so the most probable class has the smallest loss:
    ten forward replays, one per class, give the predictions without another graph.
    """
    import numpy as np

    losses = np.stack(
        [step.forward(batch_of(pixels, label, xs, np.full(len(xs), k))) for k in range(CLASSES)]
    )
    return float(np.mean(np.argmin(losses, axis=0) == ys))


def train(
    epochs: int = 30,
    *,
    batch_size: int = 32,
    lr: float = 0.5,
    subset: int | None = None,
    seed: int = 0,
    backend: str = "numpy",
    device: str | None = None,
    progress: bool = False,
) -> Result:
    """Mini-batch SGD on the digits through the batched replay of the recorded one-sample graph."""
    import numpy as np

    start = time.perf_counter()
    train_x, train_y, test_x, test_y = load(subset, seed)
    began = time.perf_counter()
    model, pixels, label, tape = record(seed)
    step = tape.batched(backend=backend, reduction="mean", device=device)
    result = Result(model, tape, record_seconds=time.perf_counter() - began)
    scores = tape.batched(backend="numpy")  # the accuracy's forward replays stay on numpy
    optimizer = SGD(model.parameters(), lr=lr)
    shuffle = random.Random(seed)
    bar = _bar(epochs) if progress else None
    for _ in range(epochs):
        began = time.perf_counter()
        order = list(range(len(train_y)))
        shuffle.shuffle(order)
        for k in range(0, len(order), batch_size):
            rows = np.array(order[k : k + batch_size])
            optimizer.zero_grad()
            step.backward(batch_of(pixels, label, train_x[rows], train_y[rows]))
            optimizer.step()
        result.epoch_seconds.append(time.perf_counter() - began)
        result.train_accuracy.append(accuracy(scores, pixels, label, train_x, train_y))
        result.test_accuracy.append(accuracy(scores, pixels, label, test_x, test_y))
        if bar is not None:
            bar.set_postfix(test=f"{result.test_accuracy[-1]:.3f}")
            bar.update(1)
    if bar is not None:
        bar.close()
    result.seconds = time.perf_counter() - start
    return result


def _bar(total: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        print("(no progress bar: pip install tqdm)")
        return None
    return tqdm(total=total, unit="epoch")


def plot(result: Result, path: Path) -> bool:
    """Write the accuracy per epoch to `path` (needs matplotlib); False when it is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no plot: pip install matplotlib)")
        return False
    fig, ax = plt.subplots(figsize=(6, 3.5))
    epochs = range(1, len(result.test_accuracy) + 1)
    ax.plot(epochs, result.train_accuracy, label="training")
    ax.plot(epochs, result.test_accuracy, label="test")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.set_title("MLP 64-16-10 on the 8×8 digits, batched replay")
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> Result:
    """Train, print the accuracies and timings, and plot them."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--subset", type=int, default=None, help="use only this many digits (a quick run)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", choices=["numpy", "torch"], default="numpy")
    parser.add_argument("--device", default=None, help="torch only: cpu or cuda")
    parser.add_argument("--progress", action="store_true", help="show a progress bar (needs tqdm)")
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--plot", type=Path, default=Path("out/digits.png"))
    args = parser.parse_args(argv)
    result = train(
        args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        subset=args.subset,
        seed=args.seed,
        backend=args.backend,
        device=args.device,
        progress=args.progress,
    )
    milliseconds = result.record_seconds * 1e3
    print(f"recorded and compiled the one-sample graph in {milliseconds:.0f} ms: {result.tape!r}")
    for k, (a, b) in enumerate(zip(result.train_accuracy, result.test_accuracy, strict=True), 1):
        if k == 1 or k % 5 == 0 or k == len(result.test_accuracy):
            print(f"epoch {k:3d}: training accuracy {a:.3f}, test accuracy {b:.3f}")
    mean_epoch = sum(result.epoch_seconds) / len(result.epoch_seconds)
    print(f"{mean_epoch:.3f} s per epoch, {result.seconds:.1f} s in all")
    if not args.no_plot and plot(result, args.plot):
        print(f"wrote {args.plot}")
    return result


if __name__ == "__main__":
    main()

"""Training loops that follow the articles step by step.

`gradient_descent`: for each epoch, for each data input in turn — forward pass (with the weights as
the previous update left them), loss, backward pass, update.

`batch_learning`: for each batch of `batch_size` data inputs — forward pass on each, the average
loss `Loss_avg = 1/n · Σ loss_i`, one backward pass through it (so each sample's δs are those of
`loss_i / n` and the weights' δs are their sum), one update.

Both return a `History`. Two optional callbacks receive a `Step`, which keeps every sample's graph:
`on_backward(step)` after the backward pass and *before* the update — the moment to print the
step's tables, since the δs' local derivatives read the weights as they were — and `on_step(step)`
after the update, to see the new weights or to stop early by returning True.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import ops
from ..checks import check_size
from ..exact import exact_div
from ..modes import gc_paused, layer
from ..value import Value
from .nn import Sequential, Trace, check_loss
from .optim import Optimizer

Sample = tuple[Any, Any]  # (data input, data output)


@dataclass
class Step:
    """What one update saw: its samples' forward passes, the loss it descended, the weights before."""

    epoch: int
    """Epoch number, from 1."""
    number: int
    """Step number over the whole run, from 1."""
    traces: list[Trace]
    """One forward pass per sample of the batch (inputs, each layer's outputs, loss), with their δs."""
    loss: Value
    """The Value the backward pass started from: the sample's loss, or Loss_avg (+ penalty)."""
    share: Any
    """The factor each sample's loss has in `loss`: 1 for one sample, 1/n for a batch of n."""
    before: list[Any]
    """The parameters' numbers before this step's update (after it, read `p.data`)."""
    model: Sequential
    optimizer: Optimizer

    @property
    def samples(self) -> list[Sample]:
        """The (data input, data output) pairs of this step."""
        return [(tuple(v.data for v in t.inputs), t.y) for t in self.traces]


@dataclass
class History:
    """The loss of every step, and the mean step loss of every epoch."""

    steps: list[Any] = field(default_factory=list)
    epochs: list[Any] = field(default_factory=list)
    stopped_early: bool = False

    @property
    def final(self) -> Any:
        """The loss of the last step."""
        if not self.steps:
            raise ValueError("the history is empty: no step was run")
        return self.steps[-1]


def gradient_descent(
    model: Sequential,
    loss_fn: Callable[[Any, Any], Value],
    data: Sequence[Sample],
    optimizer: Optimizer,
    *,
    epochs: int = 1,
    on_backward: Callable[[Step], None] | None = None,
    on_step: Callable[[Step], bool | None] | None = None,
    progress: bool = False,
) -> History:
    """The articles' gradient descent: one update per data input, in order, for `epochs` epochs."""
    return fit(
        model,
        loss_fn,
        data,
        optimizer,
        batch_size=1,
        epochs=epochs,
        on_backward=on_backward,
        on_step=on_step,
        progress=progress,
    )


def batch_learning(
    model: Sequential,
    loss_fn: Callable[[Any, Any], Value],
    data: Sequence[Sample],
    optimizer: Optimizer,
    *,
    batch_size: int | None = None,
    epochs: int = 1,
    on_backward: Callable[[Step], None] | None = None,
    on_step: Callable[[Step], bool | None] | None = None,
    progress: bool = False,
    penalty: Callable[[], Value] | None = None,
    shuffle: int | None = None,
) -> History:
    """Batch learning: one update per batch of `batch_size` inputs (default: the whole dataset)."""
    return fit(
        model,
        loss_fn,
        data,
        optimizer,
        batch_size=len(data) if batch_size is None else batch_size,
        epochs=epochs,
        on_backward=on_backward,
        on_step=on_step,
        progress=progress,
        penalty=penalty,
        shuffle=shuffle,
    )


def fit(
    model: Sequential,
    loss_fn: Callable[[Any, Any], Value],
    data: Sequence[Sample],
    optimizer: Optimizer,
    *,
    batch_size: int = 1,
    epochs: int = 1,
    on_backward: Callable[[Step], None] | None = None,
    on_step: Callable[[Step], bool | None] | None = None,
    progress: bool = False,
    penalty: Callable[[], Value] | None = None,
    shuffle: int | None = None,
) -> History:
    """Train `model` on `data` (pairs (x, y)): each step = forward on a batch, backward, update.

    `penalty()` (e.g. an L2 term) is added to each step's loss; `shuffle=seed` reorders the data
    each epoch with `random.Random(seed)`; `progress=True` shows a bar (needs `tqdm`).
    """
    data = samples(data)
    check_size(batch_size, "batch_size")
    check_size(epochs, "epochs")
    if not isinstance(model, Sequential):
        raise TypeError(f"fit() needs a Sequential model (or MLP), got {type(model).__name__}")
    check_loss(loss_fn, "fit()")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            "fit() needs an optimizer such as SGD(model.parameters(), lr=...), "
            f"got {type(optimizer).__name__}"
        )
    params = optimizer.params
    own = {id(p) for p in model.parameters()}
    foreign = sum(id(p) not in own for p in params)
    if foreign:
        # Such an optimizer would update Values the loop never differentiates: nothing would learn.
        raise ValueError(
            f"{foreign} of the optimizer's {len(params)} parameters are not parameters of this model "
            f"(another model's?); make the optimizer with this model's: {type(optimizer).__name__}"
            "(model.parameters(), ...)"
        )
    rng = random.Random(shuffle) if shuffle is not None else None
    per_epoch = -(-len(data) // batch_size)
    history = History()
    bar = _progress_bar(epochs * per_epoch) if progress else None
    number = 0
    paused = gc_paused()  # the graphs hold no reference cycles: no collector scans while training
    paused.__enter__()
    try:
        for epoch in range(1, epochs + 1):
            order = list(data)
            if rng is not None:
                rng.shuffle(order)
            epoch_losses = []
            for batch in _batches(order, batch_size):
                number += 1
                optimizer.zero_grad()
                traces = [model.trace(x, y, loss_fn) for x, y in batch]
                loss, share = objective(traces, penalty)
                loss.backward()
                step = Step(epoch, number, traces, loss, share, [p.data for p in params], model, optimizer)
                if on_backward is not None:
                    on_backward(step)
                optimizer.step()
                history.steps.append(loss.data)
                epoch_losses.append(loss.data)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{float(loss.data):.4g}")
                stop = on_step(step) if on_step is not None else None
                if stop:
                    history.stopped_early = True
                    break
            history.epochs.append(_mean(epoch_losses))
            if history.stopped_early:
                break
    finally:
        paused.__exit__(None, None, None)
        if bar is not None:
            bar.close()
    return history


def samples(data: Iterable[Any]) -> list[Sample]:
    """`data` as a list of (data input, data output) pairs, or a clear error naming the bad item."""
    if isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
        kind = type(data).__name__
        raise TypeError(f"give the data as a list of (data input, data output) pairs, got {kind}")
    data = list(data)
    if not data:
        raise ValueError("empty dataset: give a list of (data input, data output) pairs")
    for i, item in enumerate(data):
        if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 2:
            shown = f"{len(item)} entries" if isinstance(item, Sequence) else type(item).__name__
            # A pair of the wrong length is the right kind of thing with a bad value; a number or a
            # str is the wrong kind.
            wrong_kind = isinstance(item, (str, bytes)) or not isinstance(item, Sequence)
            raise (TypeError if wrong_kind else ValueError)(
                f"data item {i} is {item!r} ({shown}); each item must be a (data input, data output) pair, "
                "e.g. ((100, 2000, 100), 0)"
            )
    return data


def objective(traces: Sequence[Trace], penalty: Callable[[], Value] | None = None) -> tuple[Value, Any]:
    """The loss a step descends, and each sample's share in it: one loss, or Σ loss_i / n, + penalty()."""
    losses = [t.loss for t in traces]
    if not losses or any(loss is None for loss in losses):
        raise ValueError("objective() needs forward passes with a loss: model.trace(x, y, loss_fn)")
    n = len(losses)
    if n == 1:
        loss, share = losses[0], 1
    else:
        with layer("Loss"):
            total = losses[0]
            for item in losses[1:]:
                total = total + item
            loss = ops.div(total, n)
        loss.name = "Loss_avg"
        share = exact_div(1, n)
    if penalty is not None:
        with layer("Loss"):
            loss = loss + penalty()
        loss.name = "objective"
    return loss, share


def _batches(data: list[Sample], size: int) -> Iterator[list[Sample]]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _mean(values: list[Any]) -> Any:
    total = values[0]
    for v in values[1:]:
        total = total + v
    return exact_div(total, len(values))


def _progress_bar(total: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ImportError(
            "progress=True needs the optional package tqdm: pip install -e '.[progress]' "
            "(or pip install tqdm), or leave progress=False"
        ) from None
    return tqdm(total=total, unit="step")

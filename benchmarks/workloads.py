"""The benchmark's workloads, written once and run on every engine.

An *engine* here is anything with Python operators on scalars: autodiff's `Value`, micrograd's
`Value`, PyTorch 0-dim tensors. The model code below (`moons_loss`, `chain`, `wide_sum`,
`article_loss`) uses only `+ - * / **` and a `relu` function passed in, so every engine performs
the same floating-point operations in the same order and the results agree to 1e-12 (checked
before timing). The moons workload is that of `examples/moons.py`: its data, its initial weights,
its learning rate and its loss, `autodiff.learn.datasets.moons_loss`, written again here for any engine.
The hand-written baseline (`hand_moons_step`, ...) computes the same forward and backward with
plain floats and no graph: the floor a graph engine is measured against.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from typing import Any

from autodiff.learn.datasets import make_moons, moons_model

MOONS_SIZES = (2, 16, 16, 1)
MOONS_POINTS = 100
MOONS_ALPHA = 1e-4
MOONS_LEARNING_RATE = 1.0
MOONS_SEED = 0
CHAIN_FACTOR = 1.0001
CHAIN_OFFSET = 0.0001


# --- data and initial weights: those of `examples/moons.py` ----------------------------------------


def moons_problem(n: int = MOONS_POINTS) -> tuple[list, list[int], list[float]]:
    """The example's points and labels (`make_moons(n, noise=0.1, seed=0)`) and its initial weights.

    The weights are `moons_model(seed=0).parameters()` as plain floats, in that order: per layer,
    per neuron, its weights then its bias, the order `moons_layers` reads them in.
    """
    points, labels = make_moons(n, noise=0.1, seed=MOONS_SEED)
    return points, labels, [p.data for p in moons_model(seed=MOONS_SEED).parameters()]


def moons_layers(params: Sequence[Any], sizes: Sequence[int] = MOONS_SIZES) -> list[list[tuple]]:
    """Split the flat parameter list into layers of neurons `(weights, bias)`."""
    layers, at = [], 0
    for n_in, n_out in itertools.pairwise(sizes):
        neurons = []
        for _ in range(n_out):
            neurons.append((list(params[at : at + n_in]), params[at + n_in]))
            at += n_in + 1
        layers.append(neurons)
    if at != len(params):
        raise ValueError(f"expected {at} parameters for sizes {sizes}, got {len(params)}")
    return layers


# --- the models, written once for every engine --------------------------------------------------


def moons_loss(params: Sequence[Any], points: Sequence, labels: Sequence[int], relu: Callable) -> Any:
    """`autodiff.learn.datasets.moons_loss` for any engine: mean(relu(1 − y·score)) + α·Σp², MLP 2-16-16-1.

    The operations and their order are those of the example's graph (`Neuron.fire`, `MaxMargin`,
    `l2_penalty`): w1·x1 + w2·x2 + ... + b left to right, the hinge losses summed left to right and
    divided by their number, then the penalty added, so the numbers agree with it to the last bits.
    """
    layers = moons_layers(params)
    last = len(layers) - 1
    losses = []
    for point, label in zip(points, labels, strict=True):
        h: list[Any] = list(point)
        for k, neurons in enumerate(layers):
            out = []
            for weights, bias in neurons:
                act = weights[0] * h[0]
                for w, x in zip(weights[1:], h[1:], strict=True):
                    act = act + w * x
                act = act + bias
                out.append(act if k == last else relu(act))
            h = out
        losses.append(relu(1 - label * h[0]))
    total = losses[0]
    for item in losses[1:]:
        total = total + item
    data_loss = total / len(losses) if len(losses) > 1 else total
    squares = params[0] * params[0]
    for p in params[1:]:
        squares = squares + p * p
    return data_loss + MOONS_ALPHA * squares


def chain(x: Any, steps: int) -> Any:
    """`steps` times x → x·1.0001 + 0.0001: a graph as deep as it is long."""
    for _ in range(steps):
        x = x * CHAIN_FACTOR + CHAIN_OFFSET
    return x


def pairwise_sum(terms: list[Any]) -> Any:
    """Sum as a balanced tree (depth log₂ n), so the graph is wide rather than deep."""
    while len(terms) > 1:
        paired = [a + b for a, b in zip(terms[::2], terms[1::2], strict=False)]
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
    return terms[0]


def wide_sum(xs: Sequence[Any], ys: Sequence[Any]) -> Any:
    """Σ xᵢ·yᵢ over all pairs, summed pairwise."""
    return pairwise_sum([x * y for x, y in zip(xs, ys, strict=True)])


def wide_inputs(n: int, seed: int = 3) -> tuple[list[float], list[float]]:
    """Two lists of `n` numbers in [-1, 1] for `wide_sum`."""
    rng = random.Random(seed)
    return [rng.uniform(-1, 1) for _ in range(n)], [rng.uniform(-1, 1) for _ in range(n)]


def article_loss(w2: Sequence[Any], x: Sequence[float], y: float, relu: Callable) -> Any:
    """The article's model and loss for one patient: ½(relu(w2·x) − y)²."""
    o2 = w2[0] * x[0] + w2[1] * x[1] + w2[2] * x[2]
    return (relu(o2) - y) ** 2 * 0.5


# --- the hand-written baseline: plain floats, forward and backward by hand ----------------------


def hand_moons_step(params: list[float], points: Sequence, labels: Sequence[int], lr: float) -> float:
    """One full-batch SGD step of the moons MLP, updating `params` in place; returns the loss."""
    loss, grads = hand_moons_gradients(params, points, labels)
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        params[i] = p - lr * g
    return loss


def hand_moons_gradients(
    params: Sequence[float], points: Sequence, labels: Sequence[int]
) -> tuple[float, list[float]]:
    """The moons loss and its gradient with respect to every parameter, by hand."""
    layers = moons_layers(params)
    grads = [0.0] * len(params)
    offsets, at = [], 0
    for neurons in layers:
        offsets.append(at)
        at += len(neurons) * (len(neurons[0][0]) + 1)
    count = len(points)
    scale = 1.0 / count if count > 1 else 1.0
    data_loss = 0.0
    for (x0, x1), label in zip(points, labels, strict=True):
        # Forward, keeping each layer's pre-activations for the backward pass.
        inputs = [[x0, x1]]
        acts = []
        h = [x0, x1]
        for k, neurons in enumerate(layers):
            pre = []
            for weights, bias in neurons:
                a = weights[0] * h[0]
                for w, x in zip(weights[1:], h[1:], strict=True):
                    a = a + w * x
                pre.append(a + bias)
            acts.append(pre)
            h = pre if k == len(layers) - 1 else [a if a >= 0 else 0.0 for a in pre]
            inputs.append(h)
        margin = 1 - label * h[0]
        if margin < 0:
            continue
        data_loss += margin
        delta = [-label * scale]
        # Backward through the layers.
        for k in range(len(layers) - 1, -1, -1):
            neurons, h_in, base = layers[k], inputs[k], offsets[k]
            if k != len(layers) - 1:
                delta = [d if a >= 0 else 0.0 for d, a in zip(delta, acts[k], strict=True)]
            back = [0.0] * len(h_in)
            width = len(h_in) + 1
            for j, ((weights, _), d) in enumerate(zip(neurons, delta, strict=True)):
                if d == 0.0:
                    continue
                at = base + j * width
                for i, (w, x) in enumerate(zip(weights, h_in, strict=True)):
                    grads[at + i] += d * x
                    back[i] += d * w
                grads[at + len(h_in)] += d
            delta = back
    reg = params[0] * params[0]
    for p in params[1:]:
        reg += p * p
    loss = (data_loss / count if count > 1 else data_loss) + MOONS_ALPHA * reg
    # The regulariser's δ arrives twice per parameter (p·p uses p twice), as in a graph engine.
    for i, p in enumerate(params):
        grads[i] = grads[i] + MOONS_ALPHA * p + MOONS_ALPHA * p
    return loss, grads


def hand_chain(x: float, steps: int) -> tuple[float, float]:
    """Forward and backward of `chain` by hand: (output, d output / d x)."""
    for _ in range(steps):
        x = x * CHAIN_FACTOR + CHAIN_OFFSET
    grad = 1.0
    for _ in range(steps):
        grad = grad * CHAIN_FACTOR
    return x, grad


def hand_wide_sum(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, list[float], list[float]]:
    """Forward and backward of `wide_sum` by hand: (sum, ∂/∂xs, ∂/∂ys)."""
    return pairwise_sum([x * y for x, y in zip(xs, ys, strict=True)]), list(ys), list(xs)


def hand_article_epochs(
    w2: list[float], patients: Sequence, lr: float, epochs: int
) -> tuple[list[float], float]:
    """Per-sample SGD on the article's model by hand; returns (final w2, last loss)."""
    w0, w1, w2_ = w2
    loss = 0.0
    for _ in range(epochs):
        for (x0, x1, x2), y in patients:
            o2 = w0 * x0 + w1 * x1 + w2_ * x2
            o3 = o2 if o2 >= 0 else 0.0
            loss = (o3 - y) ** 2 * 0.5
            d = (o3 - y) if o2 >= 0 else 0.0
            w0, w1, w2_ = w0 - lr * (d * x0), w1 - lr * (d * x1), w2_ - lr * (d * x2)
    return [w0, w1, w2_], loss


# --- tensor baselines: the same moons step with whole arrays (what a user who outgrows scalars picks) --


def layer_blocks(params: Sequence[float], sizes: Sequence[int] = MOONS_SIZES) -> list[list[list[float]]]:
    """The flat parameter list as one block per layer: rows = neurons, columns = weights then bias."""
    return [[[*w, b] for w, b in neurons] for neurons in moons_layers(params, sizes)]


def numpy_moons_problem(params: Sequence[float], points: Sequence, labels: Sequence[int]) -> tuple:
    """numpy arrays for `numpy_moons_step`: the layer blocks (float64), the points and the labels."""
    import numpy as np

    blocks = [np.array(b, dtype=np.float64) for b in layer_blocks(params)]
    return blocks, np.array(points, dtype=np.float64), np.array(labels, dtype=np.float64)


def numpy_moons_gradients(blocks: list, x: Any, y: Any) -> tuple[float, list]:
    """Loss and gradient blocks of the moons MLP, forward and backward by hand with numpy arrays."""
    import numpy as np

    n = len(y)
    inputs, pre = [x], []
    h = x
    for k, block in enumerate(blocks):
        a = h @ block[:, :-1].T + block[:, -1]
        pre.append(a)
        h = a if k == len(blocks) - 1 else np.where(a >= 0, a, 0.0)
        inputs.append(h)
    margin = 1 - y * h[:, 0]
    active = margin >= 0  # the articles' ReLU: the δ passes at exactly 0 too
    scale = 1.0 / n if n > 1 else 1.0
    penalty = sum(float((b * b).sum()) for b in blocks)
    loss = float(margin[active].sum()) * scale + MOONS_ALPHA * penalty
    delta = np.where(active, -y * scale, 0.0)[:, None]
    grads = [None] * len(blocks)
    for k in range(len(blocks) - 1, -1, -1):
        if k != len(blocks) - 1:
            delta = delta * (pre[k] >= 0)
        grads[k] = np.hstack([delta.T @ inputs[k], delta.sum(axis=0)[:, None]]) + 2 * MOONS_ALPHA * blocks[k]
        delta = delta @ blocks[k][:, :-1]
    return loss, grads


def numpy_moons_step(blocks: list, x: Any, y: Any, lr: float) -> float:
    """One full-batch SGD step with numpy arrays, updating `blocks` in place; returns the loss."""
    loss, grads = numpy_moons_gradients(blocks, x, y)
    for block, g in zip(blocks, grads, strict=True):
        block -= lr * g
    return loss


def torch_moons_loss(blocks: list, x: Any, y: Any) -> Any:
    """The moons loss with PyTorch tensors (float64); the ReLUs pass the δ at 0, as the articles'."""
    import torch

    n = len(y)
    h = x
    for k, block in enumerate(blocks):
        a = h @ block[:, :-1].T + block[:, -1]
        h = a if k == len(blocks) - 1 else torch.where(a >= 0, a, torch.zeros_like(a))
    margin = 1 - y * h[:, 0]
    hinge = torch.where(margin >= 0, margin, torch.zeros_like(margin))
    data_loss = hinge.sum() / n if n > 1 else hinge.sum()
    return data_loss + MOONS_ALPHA * sum((b * b).sum() for b in blocks)

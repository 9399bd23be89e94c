"""The torch backend of the batched replay and `Tape.to_torch_module()`, against numpy and the plain loop.

torch is an optional extra: without it these tests skip, except in CI (CI set), where they must run.
"""

from __future__ import annotations

import os
import warnings

import pytest
from test_batched import TOL, assert_close, batch, hinge, moons_like, plain_loop

from autodiff import Tape, Value

np = pytest.importorskip("numpy")
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        import torch
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("torch is not installed (pip install -e '.[torch]')", allow_module_level=True)

DEVICES = [
    "cpu",
    pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU")),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("fuse", [False, True])
def test_torch_replay_matches_the_plain_loop(device, fuse):
    model, xs, y, loss = moons_like()
    tape = Tape(loss, inputs=model.parameters(), data=[*xs, y])
    step = tape.batched(backend="torch", device=device, fuse=fuse)
    points, labels = batch(30)
    losses, grads = step({xs[0]: points[:, 0], xs[1]: torch.tensor(points[:, 1]), "y": labels})
    assert isinstance(losses, torch.Tensor) and losses.dtype == torch.float64
    assert losses.device.type == device and grads.device.type == device
    expected_losses, expected_grads = plain_loop(model, xs, y, points, labels, hinge)
    assert_close(losses.cpu().tolist(), expected_losses)
    assert_close(grads.cpu().tolist(), expected_grads)


def test_torch_module_forward_and_autograd_match_the_replay():
    model, xs, y, loss = moons_like()
    tape = Tape(loss, inputs=model.parameters(), data=[*xs, y])
    module = tape.to_torch_module()
    assert isinstance(module, torch.nn.Module)
    params = list(module.parameters())
    assert [p.item() for p in params] == [v.data for v in model.parameters()]
    points, labels = batch(25)
    out = module(x1=torch.tensor(points[:, 0]), x2=torch.tensor(points[:, 1]), y=torch.tensor(labels))
    losses, grads = tape.batched()({xs[0]: points[:, 0], xs[1]: points[:, 1], y: labels})
    assert_close(out.detach().tolist(), list(losses))
    out.sum().backward()  # torch's own autograd through the recorded forward
    assert_close([p.grad.item() for p in params], list(grads))
    # A step of torch's optimiser changes the module, not the Values.
    before = [v.data for v in model.parameters()]
    torch.optim.SGD(module.parameters(), lr=0.1).step()
    assert [v.data for v in model.parameters()] == before
    with pytest.raises(ValueError, match="no data for 'y'"):
        module(x1=torch.tensor(points[:, 0]), x2=torch.tensor(points[:, 1]))


def test_torch_backend_errors_are_named():
    w, x = Value(1.5, "w"), Value(0.0, "x", requires_grad=False)
    tape = Tape(w * x, inputs=[w], data=[x])
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda'"):
        tape.batched(backend="torch", device="tpu")
    with pytest.raises(ValueError, match="numpy runs on the CPU only"):
        tape.batched(backend="numpy", device="cuda")
    step = tape.batched(backend="torch")
    with pytest.raises(ValueError, match=r"1-D array.*\(2, 2\)"):
        step({x: torch.zeros(2, 2)})
    with pytest.raises(ValueError, match=r"log: the input must be > 0 \(sample 1\)"):
        x.data = 1.0
        Tape((w * x).log(), inputs=[w], data=[x]).batched(backend="torch")({x: [1.0, -2.0]})
    assert abs(step({x: [2.0]})[1].item() - 2.0) <= TOL

"""(a) Float programs against PyTorch in float64, first and second order; (e) against second-order jets.

Both sides compute in float64 but not with the same formulas nor in the same order, so results
differ by a few roundings, amplified where a program cancels (x - x + ...). Over the generated
programs every comparison passed at 1e-11 (relative and absolute) and some failed at 1e-13; the
tolerances below leave a margin of 100 over the passing ones.
The guards keep relu, leaky_relu and abs away from 0, where PyTorch's derivative differs by design.
"""

from __future__ import annotations

import math
import warnings

import pytest
from hypothesis import given
from programs import Step, apply_jet, close, examples, first_order, programs, reference, run, second_order

RTOL = 1e-9
ATOL = 1e-9  # times the largest number compared, for the cancellations


def _torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return pytest.importorskip("torch")


def _apply_torch(torch, step: Step, xs: list):
    op = step.op
    F = torch.nn.functional
    if op == "add":
        return xs[0] + xs[1]
    if op == "sub":
        return xs[0] - xs[1]
    if op == "mul":
        return xs[0] * xs[1]
    if op == "div":
        return xs[0] / xs[1]
    if op == "pow":
        base, e = xs
        if not torch.is_tensor(base):
            base = torch.tensor(float(base), dtype=torch.float64)
        return base**e
    if op == "sum":
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return total
    if op in ("max", "min", "mod"):
        a, b = (x if torch.is_tensor(x) else torch.tensor(float(x), dtype=torch.float64) for x in xs)
        return {"max": torch.maximum, "min": torch.minimum, "mod": torch.remainder}[op](a, b)
    x = xs[0]
    if op == "clamp":
        return torch.clamp(x, min=step.bounds[0], max=step.bounds[1])
    if op == "identity":
        return x * 1.0
    if op == "leaky_relu":
        return F.leaky_relu(x, step.slope)
    if op == "softplus":
        # PyTorch switches to x above 20; the exact softplus differs from it by e**-20 there.
        return F.softplus(x, threshold=1000.0)
    return {"neg": torch.neg, "abs": torch.abs, "relu": torch.relu, "exp": torch.exp, "log": torch.log,
            "sqrt": torch.sqrt, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "sin": torch.sin,
            "cos": torch.cos, "tan": torch.tan, "atan": torch.atan, "asin": torch.asin,
            "acos": torch.acos, "sinh": torch.sinh, "cosh": torch.cosh, "log2": torch.log2,
            "log10": torch.log10}[op](x)  # fmt: skip


def _torch_derivatives(torch, program, numbers):
    xs = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in numbers]
    out = run(program, xs, lambda step, ops: _apply_torch(torch, step, ops))
    firsts = torch.autograd.grad(out, xs, create_graph=True, allow_unused=True)
    rows = []
    for g in firsts:
        if g is None or not g.requires_grad:
            rows.append([0.0] * len(xs))
            continue
        row = torch.autograd.grad(g, xs, retain_graph=True, allow_unused=True)
        rows.append([0.0 if h is None else h.item() for h in row])
    return out.item(), [0.0 if g is None else g.item() for g in firsts], rows


def _assert_close(ours, theirs, scale, what, program):
    # `scale` is the size of the numbers the program went through: cancellation loses digits of it.
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        ok = close(float(a), float(b), RTOL, ATOL * scale)
        assert ok, f"{what}[{i}]: ours {a!r}, reference {b!r}\n{program}"


def _scale(program, rows_a, rows_b):
    values = [abs(float(x)) for row in (*rows_a, *rows_b) for x in row]
    return max([1.0, *values])


@examples(1500)
@given(programs(exact=False))
def test_against_torch_first_and_second_order(program):
    torch = _torch()
    out, grads = first_order(program, program.leaves)
    t_out, t_grads, t_rows = _torch_derivatives(torch, program, program.leaves)
    assert close(out, t_out, RTOL, ATOL * max(1.0, abs(t_out))), (out, t_out, str(program))
    _assert_close(grads, t_grads, _scale(program, [grads], [t_grads]), "gradient", program)
    firsts, rows = second_order(program, program.leaves)
    assert firsts == grads, program  # backward(create_graph=True) gives the plain pass's δs
    scale = _scale(program, rows, t_rows)
    for i, (row, t_row) in enumerate(zip(rows, t_rows, strict=True)):
        _assert_close(row, t_row, scale, f"hessian row {i}", program)


@examples(2000)
@given(programs(exact=False))
def test_against_second_order_jets(program):
    firsts, rows = second_order(program, program.leaves)
    ref = reference(program, program.leaves)
    _assert_close(firsts, ref.g, _scale(program, [firsts], [ref.g]), "gradient", program)
    scale = _scale(program, rows, ref.h)
    for i, (row, r_row) in enumerate(zip(rows, ref.h, strict=True)):
        _assert_close(row, r_row, scale, f"hessian row {i}", program)


def test_jets_know_every_float_primitive():
    # The reference has its own rule for each float primitive (a KeyError would mean a missing one).
    for op in ("exp", "log", "sqrt", "tanh", "sigmoid", "sin", "cos", "softplus", "tan", "atan", "asin",
               "acos", "sinh", "cosh", "log2", "log10"):  # fmt: skip
        jet = apply_jet(Step(op, ()), [0.7], 1)
        assert math.isfinite(jet.v)

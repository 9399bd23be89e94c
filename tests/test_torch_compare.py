"""First and second derivatives of random expressions against torch.autograd.grad, in float64.

Each expression is a short random program over the primitive table (seeded, so every run checks
the same programs). Operands are chosen so that every step stays inside its domain and away from
kinks: ReLU and abs never see an input near 0, where the two libraries differ by design.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from autodiff import gradients, hessian, ops
from autodiff.value import Value

with warnings.catch_warnings():
    # torch warns at import when numpy is missing; these tests do not use numpy.
    warnings.simplefilter("ignore", UserWarning)
    torch = pytest.importorskip("torch")

# Both sides compute in float64 but not in the same order (torch has its own formula for each
# derivative, and sums the contributions of a shared node in another order), so results may differ
# by a few roundings. Over 1000 generated programs the worst relative difference was 8e-12, and
# where the exact value is 0 (cancellation) the worst absolute one was 1.4e-14.
RTOL = 1e-10
ATOL = 1e-12


@dataclass(frozen=True)
class Op:
    arity: int
    valid: Callable[..., bool]
    ours: Callable[..., object]
    theirs: Callable[..., object]


OPS: dict[str, Op] = {
    "add": Op(2, lambda a, b: True, ops.add, lambda a, b: a + b),
    "sub": Op(2, lambda a, b: True, ops.sub, lambda a, b: a - b),
    "mul": Op(2, lambda a, b: True, ops.mul, lambda a, b: a * b),
    "div": Op(2, lambda a, b: abs(b) > 0.2, ops.div, lambda a, b: a / b),
    "pow": Op(2, lambda a, b: a > 0.2 and abs(b) < 3, ops.pow, lambda a, b: a**b),
    "square": Op(1, lambda a: True, lambda a: ops.pow(a, 2), lambda a: a**2),
    "cube": Op(1, lambda a: True, lambda a: ops.pow(a, 3), lambda a: a**3),
    "inverse": Op(1, lambda a: abs(a) > 0.2, lambda a: ops.pow(a, -1), lambda a: a**-1),
    "power 1.5": Op(1, lambda a: a > 0.2, lambda a: ops.pow(a, 1.5), lambda a: a**1.5),
    "neg": Op(1, lambda a: True, ops.neg, lambda a: -a),
    "abs": Op(1, lambda a: abs(a) > 1e-3, ops.abs, lambda a: a.abs()),
    "relu": Op(1, lambda a: abs(a) > 1e-3, ops.relu, lambda a: a.relu()),
    "exp": Op(1, lambda a: a < 4, ops.exp, lambda a: a.exp()),
    "log": Op(1, lambda a: a > 0.2, ops.log, lambda a: a.log()),
    "sqrt": Op(1, lambda a: a > 0.2, ops.sqrt, lambda a: a.sqrt()),
    "tanh": Op(1, lambda a: True, ops.tanh, lambda a: a.tanh()),
    "sigmoid": Op(1, lambda a: True, ops.sigmoid, lambda a: a.sigmoid()),
    "tan": Op(1, lambda a: abs(a) < 1.2, ops.tan, lambda a: a.tan()),
    "atan": Op(1, lambda a: True, ops.atan, lambda a: a.atan()),
    "asin": Op(1, lambda a: abs(a) < 0.9, ops.asin, lambda a: a.asin()),
    "acos": Op(1, lambda a: abs(a) < 0.9, ops.acos, lambda a: a.acos()),
    "sinh": Op(1, lambda a: abs(a) < 4, ops.sinh, lambda a: a.sinh()),
    "cosh": Op(1, lambda a: abs(a) < 4, ops.cosh, lambda a: a.cosh()),
    "log2": Op(1, lambda a: a > 0.2, ops.log2, lambda a: a.log2()),
    "log10": Op(1, lambda a: a > 0.2, ops.log10, lambda a: a.log10()),
    # Away from ties (PyTorch splits the δ of a tie in halves; here the first input gets it all).
    "max": Op(2, lambda a, b: abs(a - b) > 1e-3, ops.max, torch.maximum),
    "min": Op(2, lambda a, b: abs(a - b) > 1e-3, ops.min, torch.minimum),
    # Away from the jumps, where a / b is an integer.
    "mod": Op(2, lambda a, b: abs(b) > 0.2 and abs(a / b - round(a / b)) > 1e-3, ops.mod, torch.remainder),
    "clamp": Op(
        1,
        lambda a: abs(abs(a) - 1) > 1e-3,
        lambda a: ops.clamp(a, lo=-1.0, hi=1.0),
        lambda a: a.clamp(-1.0, 1.0),
    ),
}

N_INPUTS = 3


def make_program(seed: int) -> tuple[list[float], list[tuple[str, tuple[int, ...]]]]:
    """Random inputs and steps (op name, operand indices) whose every value is finite and moderate."""
    rng = random.Random(seed)
    inputs = [rng.choice((-1, 1)) * rng.uniform(0.3, 2.0) for _ in range(N_INPUTS)]
    values = list(inputs)
    steps: list[tuple[str, tuple[int, ...]]] = []
    names = sorted(OPS)
    while len(steps) < 8:
        name = rng.choice(names)
        op = OPS[name]
        # Favour recent values so that the expression grows deep, not only wide.
        args = tuple(max(rng.randrange(len(values)), rng.randrange(len(values))) for _ in range(op.arity))
        operands = [values[i] for i in args]
        if not op.valid(*operands):
            continue
        result = op.ours(*operands)
        if not math.isfinite(result) or abs(result) > 1e4:
            continue
        values.append(result)
        steps.append((name, args))
    return inputs, steps


def run(steps: list[tuple[str, tuple[int, ...]]], inputs: list, theirs: bool = False):
    """Evaluate the program on Values or tensors; the output adds the last three values."""
    values = list(inputs)
    for name, args in steps:
        op = OPS[name]
        values.append((op.theirs if theirs else op.ours)(*(values[i] for i in args)))
    return values[-1] + values[-2] + values[-3]


def describe(inputs: list[float], steps: list[tuple[str, tuple[int, ...]]]) -> str:
    lines = [f"v{i} = {x!r}" for i, x in enumerate(inputs)]
    lines += [f"v{len(inputs) + k} = {n}({', '.join(f'v{i}' for i in a)})" for k, (n, a) in enumerate(steps)]
    return "\n".join([*lines, f"out = v{len(lines) - 1} + v{len(lines) - 2} + v{len(lines) - 3}"])


def torch_derivatives(inputs: list[float], steps) -> tuple[list[float], list[list[float]]]:
    xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    out = run(steps, xs, theirs=True)
    firsts = torch.autograd.grad(out, xs, create_graph=True, allow_unused=True)
    rows = []
    for g in firsts:
        if g is None or not g.requires_grad:
            rows.append([0.0] * len(xs))
            continue
        seconds = torch.autograd.grad(g, xs, retain_graph=True, allow_unused=True)
        rows.append([0.0 if s is None else s.item() for s in seconds])
    return [0.0 if g is None else g.item() for g in firsts], rows


def close(ours: float, theirs: float) -> bool:
    return math.isclose(float(ours), theirs, rel_tol=RTOL, abs_tol=ATOL)


@pytest.mark.parametrize("seed", range(40))
def test_first_and_second_derivatives_match_torch(seed):
    inputs, steps = make_program(seed)
    program = describe(inputs, steps)
    expected_first, expected_second = torch_derivatives(inputs, steps)

    leaves = [Value(x) for x in inputs]
    out = run(steps, leaves)
    first = [0.0 if g is None else g for g in gradients(out, leaves, allow_unused=True)]
    for i, (a, b) in enumerate(zip(first, expected_first, strict=True)):
        assert close(a, b), f"∂out/∂v{i}: ours {a!r}, torch {b!r}\n{program}"

    second = hessian(lambda *xs: run(steps, list(xs)), argnums=tuple(range(N_INPUTS)))(*inputs)
    for i in range(N_INPUTS):
        for j in range(N_INPUTS):
            a, b = second[i][j], expected_second[i][j]
            assert close(a, b), f"∂²out/∂v{j}∂v{i}: ours {a!r}, torch {b!r}\n{program}"


def test_the_programs_cover_every_operation():
    # Guards the generator: the comparison above is only as wide as the ops it actually draws.
    used = {name for seed in range(40) for name, _ in make_program(seed)[1]}
    assert used == set(OPS)


def test_relu_at_zero_is_where_we_differ_from_torch_on_purpose():
    x = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (theirs,) = torch.autograd.grad(x.relu(), x)
    v = Value(0.0)
    assert (gradients(v.relu(), v), theirs.item()) == ((1,), 0.0)


def test_max_at_a_tie_is_where_we_differ_from_torch_on_purpose():
    # torch.maximum splits the δ of a tie in halves; the first input gets it all here, as relu's 0.
    a, b = (torch.tensor(2.0, dtype=torch.float64, requires_grad=True) for _ in range(2))
    theirs = torch.autograd.grad(torch.maximum(a, b), (a, b))
    x, y = Value(2.0), Value(2.0)
    assert (gradients(x.max(y), [x, y]), tuple(t.item() for t in theirs)) == ((1, 0), (0.5, 0.5))

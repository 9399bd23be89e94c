"""Batched replay (numpy) against the plain per-sample loop, on random programs over the primitive table.

A program is recorded once with some leaves marked as data; a batch of new numbers for those
leaves (fresh ones, their negations so that relu, abs and leaky_relu change side, and exact zeros,
where relu's derivative is 1 by the articles' rule) is replayed at once, and each sample is also
built and differentiated on its own. Per-sample outputs and the weights' δs summed over the batch
must agree to 1e-12 (relative; absolute near 0): numpy's array functions may round differently
from `math`'s by an ulp. With torch installed (always in CI) the torch replay is checked too.
"""

from __future__ import annotations

import dataclasses
import os

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from programs import FLOAT_LEAF, build, close, examples, programs

from autodiff import Tape, topological_order

np = pytest.importorskip("numpy")
try:
    import torch
except ImportError:  # torch is an optional extra; CI installs it and must run the torch replay
    if os.environ.get("CI"):
        raise
    torch = None
BACKENDS = ["numpy"] if torch is None else ["numpy", "torch"]

TOL = 1e-12


@st.composite
def batched_case(draw):
    """(program, which leaves are data, first numbers, the batch: one row of numbers per sample)."""
    program = draw(programs(exact=False, static=True, max_steps=6))
    program = dataclasses.replace(program, outputs=tuple(sorted({0, *program.outputs})))
    k = len(program.leaves)
    is_data = [False] + [draw(st.booleans()) for _ in range(k - 1)]
    first = list(program.leaves)
    n = draw(st.integers(1, 5))
    rows = []
    for _ in range(n):
        row = []
        for x, data in zip(first, is_data, strict=True):
            row.append(draw(st.one_of(st.just(-x), st.just(0.0), FLOAT_LEAF)) if data else x)
        rows.append(row)
    return program, is_data, first, rows


def _plain_loop(program, is_data, rows):
    """(per-sample outputs, weights' δ summed in sample order) by building each sample's graph."""
    outputs, total = [], None
    for row in rows:
        leaves, out = build(program, row)
        out.backward()
        grads = [v.grad if v.grad is not None else 0.0 for v, d in zip(leaves, is_data, strict=True) if not d]
        outputs.append(out.data)
        total = grads if total is None else [a + b for a, b in zip(total, grads, strict=True)]
    return outputs, total


@examples(400)
@given(batched_case())
def test_batched_replay_matches_the_plain_loop(case):
    program, is_data, first, rows = case
    try:
        expected_out, expected_grads = _plain_loop(program, is_data, rows)
    except (ArithmeticError, ValueError):
        assume(False)  # a sample leaves a domain (an overflow): the plain path refuses it too
    leaves, out = build(program, first)
    graph = {id(v) for v in topological_order(out, only_requiring_grad=False)}
    data = [v for v, d in zip(leaves, is_data, strict=True) if d and id(v) in graph]
    weights = [v for v, d in zip(leaves, is_data, strict=True) if not d]
    kept = [i for i, v in enumerate(weights) if id(v) in graph]
    assume(data)  # else nothing changes from sample to sample
    tape = Tape(out, inputs=[weights[i] for i in kept], data=data)
    batch = {v: np.array([row[leaves.index(v)] for row in rows]) for v in data}
    for backend in BACKENDS:
        for fuse in (False, True):
            losses, grads = tape.batched(backend=backend, fuse=fuse)(batch)
            _compare(losses, grads, expected_out, expected_grads, kept, program, rows)


def _compare(losses, grads, expected_out, expected_grads, kept, program, rows):
    assert tuple(losses.shape) == (len(rows),)
    assert str(losses.dtype).endswith("float64") and str(grads.dtype).endswith("float64")
    for a, b in zip(losses, expected_out, strict=True):
        assert close(float(a), b, TOL, TOL), (a, b, str(program), rows)
    for g, i in zip(grads, kept, strict=True):
        assert close(float(g), expected_grads[i], TOL, TOL), (g, expected_grads[i], str(program), rows)

"""(c) Tape replays against a fresh plain pass, while weights and data leaves change.

A program is recorded once on a Tape; then leaves get new numbers (fresh ones, or the old ones
negated so that relu, leaky_relu and abs change side) and the replay must give exactly what
building the graph again and calling `backward()` gives: `==` for exact programs, bit for bit for
floats. Guards are static (they do not look at the numbers), so the program stays valid.
"""

from __future__ import annotations

import dataclasses
import math

from hypothesis import assume, given
from hypothesis import strategies as st
from programs import EXACT_LEAF, FLOAT_LEAF, build, examples, programs

from autodiff import Tape, topological_order


@st.composite
def recorded(draw, *, exact: bool, data_change: bool):
    """(program, leaf roles, first numbers, second numbers): leaf 0 is a weight, the rest either."""
    program = draw(programs(exact=exact, static=True, max_steps=6))
    # Leaf 0, a weight, is always in the output, so the output has something to differentiate.
    program = dataclasses.replace(program, outputs=tuple(sorted({0, *program.outputs})))
    k = len(program.leaves)
    requires = [True] + [draw(st.booleans()) for _ in range(k - 1)]
    leaf = EXACT_LEAF if exact else FLOAT_LEAF
    later = []
    for x, learns in zip(program.leaves, requires, strict=True):
        if not learns and not data_change:
            later.append(x)
        else:
            later.append(draw(st.one_of(st.just(-x), leaf)))
    return program, requires, list(program.leaves), later


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return a == b and type(a) is type(b)


def _check_replay(program, requires, first, later):
    leaves, out = build(program, first, requires)
    graph = set(topological_order(out))
    weights = [v for v, learns in zip(leaves, requires, strict=True) if learns and v in graph]
    tape = Tape(out, inputs=weights)
    for v, x in zip(leaves, later, strict=True):
        v.data = x
    try:
        fresh_leaves, fresh = build(program, later, requires)
        fresh.backward()
    except (ArithmeticError, ValueError):
        assume(False)  # the new numbers leave a domain (an overflow): nothing to compare
    expected = [fresh_leaves[leaves.index(w)].grad for w in weights]
    result, grads = tape.gradients()
    assert _same(result, fresh.data), (result, fresh.data, str(program), later)
    same = all(_same(g, e) for g, e in zip(grads, expected, strict=True))
    assert same, (grads, expected, str(program), later)
    assert _same(tape.forward(), fresh.data)


@examples(1000)
@given(recorded(exact=True, data_change=False))
def test_exact_replays_follow_the_weights(case):
    _check_replay(*case)


@examples(1000)
@given(recorded(exact=False, data_change=False))
def test_float_replays_follow_the_weights(case):
    _check_replay(*case)


@examples(500)
@given(recorded(exact=True, data_change=True))
def test_exact_replays_follow_the_data_leaves(case):
    _check_replay(*case)


@examples(500)
@given(recorded(exact=False, data_change=True))
def test_float_replays_follow_the_data_leaves(case):
    _check_replay(*case)

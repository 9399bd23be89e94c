"""(d) The functional API (grad, value_and_grad, hessian, gradients) against `backward()`.

Each transform walks the same graph with the same rules as `backward()`, in the same order, so the
numbers must be identical (`==`, exact and float alike). Arguments not differentiated (argnums is
a random subset) are passed as plain numbers.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from programs import apply_autodiff, build, examples, first_order, programs, run, second_order

from autodiff import grad, gradients, hessian, value_and_grad


@st.composite
def with_argnums(draw, exact: bool):
    program = draw(programs(exact=exact, max_steps=6))
    k = len(program.leaves)
    argnums = tuple(sorted(draw(st.sets(st.integers(0, k - 1), min_size=1))))
    return program, argnums


def _f(program):
    return lambda *xs: run(program, xs, apply_autodiff)


def _reaches(program, argnums) -> bool:
    """Whether the program's output depends on at least one of the differentiated leaves."""
    leaves, output = build(program, program.leaves)
    if not getattr(output, "requires_grad", False):
        return False
    found = gradients(output, [leaves[i] for i in argnums], allow_unused=True)
    return any(g is not None for g in found)


def _check(program, argnums):
    out, grads = first_order(program, program.leaves)
    f = _f(program)
    if not _reaches(program, argnums):
        # A result cut off from every differentiated argument is refused, never a silent 0.
        for transform in (grad, value_and_grad, hessian):
            with pytest.raises((TypeError, ValueError), match=r"does not depend|plain"):
                transform(f, argnums)(*program.leaves)
        return
    wanted = tuple(grads[i] for i in argnums)
    assert grad(f, argnums)(*program.leaves) == wanted, program
    if _reaches(program, argnums[:1]):
        assert grad(f, argnums[0])(*program.leaves) == wanted[0], program
    else:
        with pytest.raises((TypeError, ValueError), match=r"does not depend|plain"):
            grad(f, argnums[0])(*program.leaves)
    value, firsts = value_and_grad(f, argnums)(*program.leaves)
    assert (value, firsts) == (out, wanted), program
    leaves, output = build(program, program.leaves)
    found = gradients(output, [leaves[i] for i in argnums], allow_unused=True)
    assert tuple(0 if g is None else g for g in found) == wanted, program
    assert all(leaf.grad == 0 for leaf in leaves), "gradients() must leave .grad untouched"
    _, rows = second_order(program, program.leaves)
    expected_rows = tuple(tuple(rows[i][j] for j in argnums) for i in argnums)
    h = hessian(f, argnums)(*program.leaves)
    numbers = tuple(tuple(x.data if hasattr(x, "data") else x for x in row) for row in h)
    assert numbers == expected_rows, program


@examples(800)
@given(with_argnums(exact=True))
def test_functional_matches_backward_exact(case):
    _check(*case)


@examples(800)
@given(with_argnums(exact=False))
def test_functional_matches_backward_float(case):
    _check(*case)

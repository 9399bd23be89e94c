"""(b) Exact programs against an independent forward-mode reference: equal with `==`, types kept exact.

Leaves are ints and Fractions and only exact primitives are drawn (add sub mul div, pow with an
integer exponent, neg abs identity relu, leaky_relu with a Fraction slope, sum), so every gradient
and every second derivative is a rational number that both sides must reach exactly. Exact zeros
are frequent (x - x), so the kinks are exercised: relu and leaky_relu pass the δ at 0, abs has 0.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from programs import examples, first_order, programs, reference, second_order

EXACT_TYPES = (int, Fraction)


@examples(2500)
@given(programs(exact=True))
def test_first_order_is_exact_and_equal(program):
    out, grads = first_order(program, program.leaves)
    ref = reference(program, program.leaves)
    assert out == ref.v, program
    assert type(out) in EXACT_TYPES, (type(out), program)
    assert grads == list(ref.g), program
    assert all(type(g) in EXACT_TYPES for g in grads), ([type(g) for g in grads], program)


@examples(1000)
@given(programs(exact=True, max_steps=6))
def test_second_order_is_exact_and_equal(program):
    firsts, rows = second_order(program, program.leaves)
    ref = reference(program, program.leaves)
    assert firsts == list(ref.g), program
    assert rows == [list(r) for r in ref.h], program
    assert all(type(h) in EXACT_TYPES for row in rows for h in row), program

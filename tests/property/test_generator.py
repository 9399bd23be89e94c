"""The program generator itself: it covers the whole primitive table and its programs are valid."""

from __future__ import annotations

from hypothesis import given
from programs import EXACT_OPS, FLOAT_OPS, examples, plain, programs

from autodiff import ops


def test_every_built_in_primitive_is_generated():
    built_in = {name for name, obj in vars(ops).items() if isinstance(obj, ops.Primitive)}
    missing = built_in - set(FLOAT_OPS)
    assert not missing, f"add {sorted(missing)} to the property tests' generator (tests/property/programs.py)"


def test_exact_programs_use_only_exact_primitives():
    assert set(EXACT_OPS) == {"add", "sub", "mul", "div", "pow", "neg", "abs", "identity", "relu",
                              "leaky_relu", "sum", "max", "min", "mod", "clamp"}  # fmt: skip


@examples(200)
@given(programs(exact=False))
def test_float_programs_are_valid_and_moderate(program):
    values = list(program.leaves)
    for step in program.steps:
        values.append(plain(step, values))
    assert all(abs(v) <= 1e9 for v in values), program

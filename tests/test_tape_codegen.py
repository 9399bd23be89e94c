"""How a `Tape` writes its replay: fused expressions, parentheses, in-line helpers, pieces.

Each test compares the replay with the plain path (`loss.backward()` on a graph built afresh) with
`same_bits`: equal numbers of the same type, floats by their exact text (-0.0 differs from 0.0).
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest
from test_tape import generated_programs, same_bits
from test_tape import plain_gradients as plain
from test_tape import replay_gradients as replayed

import autodiff
from autodiff import Tape, Value
from autodiff.exact import one_like, zero_like


def agree(a, b):
    (out_a, grads_a), (out_b, grads_b) = a, b
    return same_bits(out_a, out_b) and all(same_bits(x, y) for x, y in zip(grads_a, grads_b, strict=True))


def unfused(monkeypatch):
    """Every node written as a statement of its own, every δ summed two terms at a time."""
    monkeypatch.setattr(autodiff.tape, "MAX_TEXT", 0)
    monkeypatch.setattr(autodiff.tape, "MAX_TERMS", 2)


def single_use(a, b, c):
    # Every intermediate used once: the whole forward pass fuses into a few expressions.
    return ((a * b - c).relu() * 3 + (a - b) * (b - c)) * (c + 1)


def shared(a, b, c):
    # The same intermediates feed several nodes: they must be computed once and named.
    t = a * b - c
    u = t.relu()
    return u * t + u * a - t * (u + b)


NUMBERS = [
    [F(3, 2), F(-2, 3), F(1, 5)],
    [2, 3, 6],  # a·b − c = 0 exactly: the ReLU at 0
    [1.5, -0.25, 0.7],
    [0.1, 0.2, 0.02],
    [-0.0, 2.0, -0.0],
]


@pytest.mark.parametrize("build", [single_use, shared], ids=["single-use", "shared"])
@pytest.mark.parametrize("numbers", NUMBERS, ids=["fractions", "ints", "floats", "decimals", "zeros"])
def test_fused_and_unfused_replays_give_the_plain_paths_numbers(build, numbers, monkeypatch):
    recorded = [x * 2 + 1 for x in numbers]  # recorded on other numbers, of the same types
    fused = replayed(build, recorded, numbers)
    assert agree(fused, plain(build, numbers))
    unfused(monkeypatch)
    assert agree(replayed(build, recorded, numbers), fused)


def test_a_single_use_intermediate_is_written_inside_its_user(monkeypatch):
    def forward_statements(tape):
        lines = tape.source.split("\n")
        body = lines[lines.index("    if not set(map(type, D)) <= P: D = check_leaves(D, L, 0)") + 2 :]
        return body[: body.index("    if not grads:")]

    a = Value(1.5)
    out = ((a + 1) * 2 - 3) * 4  # the backward pass reads none of the intermediates
    # One statement (the constants are leaves too, read at every replay: v1 ... v4).
    assert forward_statements(Tape(out, [a])) == ["    v6 = ((v5 + v4) * v3 - v2) * v1"]
    unfused(monkeypatch)
    assert len(forward_statements(Tape(out, [a]))) == 4


# Expressions whose value changes if Python groups them otherwise.
GROUPINGS = {
    "a - (b - c)": lambda a, b, c: a - (b - c),
    "(a - b) - c": lambda a, b, c: (a - b) - c,
    "a / (b * c)": lambda a, b, c: a / (b * c),
    "a * (b + c)": lambda a, b, c: a * (b + c),
    "(a + b) * c": lambda a, b, c: (a + b) * c,
    "-(a * b) + c": lambda a, b, c: -(a * b) + c,
    "-(a + b) * c": lambda a, b, c: -(a + b) * c,
    "(a - b) ** 2 * c": lambda a, b, c: (a - b) ** 2 * c,
    "a - relu(b - c)": lambda a, b, c: a - (b - c).relu(),
    "relu(a - b) * relu(c - b)": lambda a, b, c: (a - b).relu() * (c - b).relu(),
    "c * (a * b)": lambda a, b, c: c * (a * b),
    "a - (b + c) * a": lambda a, b, c: a - (b + c) * a,
    "a - (b - c).relu() * (a - c)": lambda a, b, c: a - (b - c).relu() * (a - c),
}


@pytest.mark.parametrize("text", list(GROUPINGS))
@pytest.mark.parametrize("numbers", [[F(7, 3), F(-5, 2), F(3, 4)], [2.5, -1.25, 0.375], [7, -5, 3]])
def test_parentheses_keep_every_grouping(text, numbers):
    # The replay writes parentheses only where Python's precedence needs them: a wrong grouping
    # would change these numbers.
    build = GROUPINGS[text]
    assert agree(replayed(build, [x * 3 for x in numbers], numbers), plain(build, numbers))


@pytest.mark.parametrize(
    "x",
    [0, F(0), 0.0, -0.0, F(-1, 10**30), F(1, 10**30), -(2**60), 2**60, 2**53 + 1, -(2**53) - 1, -math.inf],
    ids=repr,
)
def test_relu_decides_like_the_table_inside_a_fused_expression(x):
    # The ReLU's test `x >= 0` is written with the float 0.0 (a faster comparison): the answer must
    # stay the table's for every number, and the derivative is 1 at exactly 0 (the articles' rule).
    def build(a, w):
        return (a + 0).relu() * 3 * w  # the relu's output is used once: written inside the product

    numbers = [x, F(1, 2) if not isinstance(x, float) else 0.5]
    got = replayed(build, [F(7), F(2)] if not isinstance(x, float) else [7.0, 2.0], numbers)
    assert agree(got, plain(build, numbers))
    if x == 0:
        assert got[1][0] == 3 * numbers[1]  # δ passes at exactly 0


def test_zero_like_and_one_like_are_written_as_their_body():
    a, w = Value(-2.0), Value(1.0)
    tape = Tape(a.relu() * w, [a, w])
    assert "zero_like" not in tape.source and "type(" in tape.source
    for x in [3, -3, 2.5, -0.0, -math.inf, math.nan, F(-1, 3)]:
        for like, k in ((zero_like, 0), (one_like, 1)):
            assert same_bits(like(x), type(x)(k))


def test_a_relu_replays_the_type_of_its_input():
    def build(a, w):
        return a.relu() * w

    for x, w in [(-3, 2), (F(-1, 3), F(2)), (-2.5, 2.0), (-math.inf, 2.0)]:
        got = replayed(build, [x * -1 if x != -math.inf else 1.0, w], [x, w])
        assert agree(got, plain(build, [x, w]))
        assert type(got[0]) is type(x)


def test_a_replay_in_many_small_pieces_gives_the_same_numbers(monkeypatch):
    # Pieces of at most 8 local names moving at most 3 numbers per statement: most numbers cross
    # from piece to piece through the list.
    monkeypatch.setattr(autodiff.tape, "CHUNK_CHARACTERS", 400)
    monkeypatch.setattr(autodiff.tape, "MAX_LOCALS", 8)
    monkeypatch.setattr(autodiff.tape, "MAX_UNPACK", 3)
    _, compared, wrong = generated_programs(200, seed=13)
    assert wrong == 0, f"{wrong} of {compared} replays differ from a fresh plain pass"
    numbers = [F(3, 2), F(-2, 3), F(1, 5)]
    for build in (single_use, shared):
        assert agree(replayed(build, [x * 2 for x in numbers], numbers), plain(build, numbers))


def test_the_pieces_of_a_large_replay_keep_small_frames():
    # A frame larger than the interpreter's stack chunk (about 2,000 slots) costs a fresh
    # allocation at every call: no piece may need more than MAX_LOCALS + MAX_UNPACK slots.
    x = Value(0.5)
    y = x
    for _ in range(4000):
        y = (y * 1.0001 + 0.0001).relu()
    tape = Tape(y, [x])
    pieces = [f for name, f in tape._run.__globals__.items() if name.startswith("chunk")]
    assert len(pieces) > 2
    limit = autodiff.tape.MAX_LOCALS + autodiff.tape.MAX_UNPACK + 4
    assert all(f.__code__.co_nlocals + f.__code__.co_stacksize <= limit for f in pieces)
    y.backward()
    assert tape.gradients() == (y.data, [x.grad])

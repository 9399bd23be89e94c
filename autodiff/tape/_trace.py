"""The Tape's use of the core tracer (`autodiff.trace`): a table rule as a tree, or None if it must be called.

Every decision is forked (`decide=fork`), so the tree computes what the rule computes on any
numbers; the emitter (`_emit.py`) multiplies a derivative's tree by the δ and renders it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..trace import Expr, UntraceableRule, fork, trace_rule


def _traced(rule: Callable[..., Any], args: list[Expr]) -> Expr | None:
    """The rule as an expression tree over `args` (every decision forked), or None if it must be called."""
    try:
        return trace_rule(rule, args, decide=fork).tree
    except UntraceableRule:
        return None


def _times(delta: Expr, tree: Expr) -> Expr:
    """δ · tree, with δ·1 written δ, δ·(−1) written −δ and the product taken into each branch."""
    if tree.kind == "cond":
        condition, yes, no = tree.items
        return Expr("cond", condition, _times(delta, yes), _times(delta, no))
    if tree.kind == "const" and type(tree.items[0]) is int and tree.items[0] in (1, -1):
        return delta if tree.items[0] == 1 else Expr("neg", delta)
    return Expr("bin", "*", delta, tree)

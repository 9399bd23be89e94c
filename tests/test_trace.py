"""`trace_rule`: one tracer of the primitive table, with two decision policies (fork, by_value)."""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest

import autodiff
from autodiff import ops
from autodiff.trace import Expr, UntraceableRule, by_value, fork, slot, trace_rule


def evaluate(tree: Expr, env: dict[str, object]) -> object:
    """The number a tree computes for the slots' numbers `env` (a reference reading of the tree)."""
    kind, items = tree.kind, tree.items
    if kind == "slot":
        return env[items[0]]
    if kind == "const":
        return items[0]
    if kind in ("bin", "cmp"):
        op, a, b = items
        x, y = evaluate(a, env), evaluate(b, env)
        return {
            "+": lambda: x + y,
            "-": lambda: x - y,
            "*": lambda: x * y,
            "**": lambda: x**y,
            "/": lambda: x / y,
            "<": lambda: x < y,
            "<=": lambda: x <= y,
            ">": lambda: x > y,
            ">=": lambda: x >= y,
            "==": lambda: x == y,
            "!=": lambda: x != y,
        }[op]()
    if kind == "neg":
        return -evaluate(items[0], env)
    if kind == "cond":
        return evaluate(items[1], env) if evaluate(items[0], env) else evaluate(items[2], env)
    if kind == "like":
        return type(evaluate(items[1], env))(items[0])
    if kind == "apply":
        prim, args = items
        return prim.forward(*[evaluate(a, env) for a in args])
    raise AssertionError(kind)


def test_fork_keeps_both_branches_of_relus_derivative():
    rule = ops.relu.derivatives[0]
    tree = trace_rule(rule, ["x", "out"], decide=fork).tree
    assert tree.kind == "cond" and tree.items[0].kind == "cmp" and tree.items[0].items[0] == ">="
    for x, expected in [(F(-1), 0), (F(0), 1), (F(3, 2), 1)]:  # the articles' rule: 1 at exactly 0
        assert evaluate(tree, {"x": x, "out": ops.relu.forward(x)}) == expected


def test_by_value_takes_the_branch_of_the_true_number_and_lists_the_decision():
    rule = ops.relu.derivatives[0]
    traced = trace_rule(rule, [slot("x"), slot("out")], decide=by_value, values=[F(-2), F(0)])
    assert traced.tree.kind == "const" and traced.tree.items[0] == 0
    assert traced.decided and [answer for _, answer in traced.decisions] == [False]
    traced = trace_rule(rule, ["x", "out"], decide=by_value, values=[0.0, 0.0])
    assert traced.tree.items[0] == 1 and [answer for _, answer in traced.decisions] == [True]


def test_by_value_keeps_arithmetic_and_primitives_as_a_tree():
    # sin's derivative calls the cos primitive: an `apply` node the renderer inlines or calls.
    traced = trace_rule(ops.sin.derivatives[0], ["x", "out"], decide=by_value, values=[0.5, 0.479])
    assert traced.tree.kind == "apply" and traced.tree.items[0] is ops.cos
    assert not traced.decided and traced.decisions == []
    mul = trace_rule(ops.mul.derivatives[1], ["x", "y", "out"], decide=by_value, values=[2, 3, 6]).tree
    assert (mul.kind, mul.items) == ("slot", ("x",))


@pytest.mark.parametrize("name", sorted(ops.PRIMITIVES))
def test_both_policies_agree_with_the_rule_on_numbers(name):
    prim = ops.PRIMITIVES[name]
    if prim.param_names:
        known = {"slope": F(1, 10), "n": 3, "lo": F(-1), "hi": F(1)}
        prim = prim.bind(**{k: known[k] for k in prim.param_names})
    points = [F(-3, 2), F(0), F(1, 2), F(2)] if name not in ("log", "sqrt") else [F(1, 2), F(2)]
    for x in points:
        inputs = [x, F(3, 2)][: prim.arity] if prim.arity <= 2 else [x, F(1, 3), F(-2)]
        try:
            out = prim.forward(*inputs)
        except (ValueError, ZeroDivisionError):
            continue
        names = [f"a{i}" for i in range(prim.arity)]
        for i, rule in enumerate(prim.derivatives):
            try:
                expected = rule(*inputs, out)
            except (ValueError, ZeroDivisionError):
                continue
            env = dict(zip([*names, "out"], [*inputs, out], strict=True))
            try:
                forked = trace_rule(rule, [*names, "out"], decide=fork).tree
            except UntraceableRule:
                forked = None
            if forked is not None:
                assert evaluate(forked, env) == expected, (name, i, x)
            try:
                valued = trace_rule(rule, [*names, "out"], decide=by_value, values=[*inputs, out])
            except UntraceableRule:
                assert forked is None, (name, i)  # by_value traces whatever fork traces
                continue
            assert evaluate(valued.tree, env) == expected, (name, i, x)


def test_rules_reading_unknown_globals_or_converting_numbers_are_refused():
    with pytest.raises(UntraceableRule, match="global 'math'"):
        trace_rule(_reads_math, ["x", "out"])
    with pytest.raises(UntraceableRule):
        trace_rule(lambda x, out: float(x), ["x", "out"])
    scale = 2
    with pytest.raises(UntraceableRule, match="closure"):
        trace_rule(lambda x, out: scale * x, ["x", "out"])


def _reads_math(x, out):
    return math.cos(x)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="fork or by_value"):
        trace_rule(lambda x: x, ["x"], decide="sometimes")
    with pytest.raises(ValueError, match="values="):
        trace_rule(lambda x: x, ["x"], decide=by_value)
    with pytest.raises(TypeError, match=r"args\[0\]"):
        trace_rule(lambda x: x, [3])


def test_trace_rule_is_public():
    assert autodiff.trace_rule is trace_rule


def test_by_value_reads_a_rules_global_numbers_and_errors_as_the_call_does():
    # log2's derivative reads the global _LN2, pow's raises an error built with an f-string: the
    # Tape (fork) calls them, a drawing of one call (by_value) traces them.
    with pytest.raises(UntraceableRule, match="global '_LN2'"):
        trace_rule(ops.log2.derivatives[0], ["x", "out"], decide=fork)
    traced = trace_rule(ops.log2.derivatives[0], ["x", "out"], decide=by_value, values=[2.0, 1.0])
    assert traced.tree.kind == "apply" and traced.tree.items[0] is ops.div
    assert evaluate(traced.tree, {"x": 2.0, "out": 1.0}) == 1 / (2.0 * math.log(2))
    with pytest.raises(UntraceableRule):
        trace_rule(ops.pow.derivatives[0], ["x", "y", "out"], decide=fork)
    tree = trace_rule(ops.pow.derivatives[0], ["x", "y", "out"], decide=by_value, values=[F(3), 2, F(9)]).tree
    assert evaluate(tree, {"x": F(5), "y": 2, "out": F(25)}) == 10  # y·x^(y−1), not a number
    # On numbers where the call raises, the trace raises too, with the call's error as its cause.
    with pytest.raises(UntraceableRule) as raised:
        trace_rule(ops.pow.derivatives[0], ["x", "y", "out"], decide=by_value, values=[F(0), F(1, 2), F(0)])
    assert isinstance(raised.value.__cause__, ZeroDivisionError)


def test_by_value_refuses_a_run_that_computes_another_number_than_the_call():
    # `x is y` is False for two symbols but True for one number passed twice: checked, refused.
    with pytest.raises(UntraceableRule, match="another number"):
        trace_rule(_same_object, ["x", "y", "out"], decide=by_value, values=[1, 1, 1])
    # A helper needing the number itself stops the trace (no cause: call the rule instead).
    with pytest.raises(UntraceableRule) as raised:
        trace_rule(_reads_math, ["x", "out"], decide=by_value, values=[0.5, 0.0])
    assert raised.value.__cause__ is None


def _same_object(x, y, out):
    return 1 if x is y else 0

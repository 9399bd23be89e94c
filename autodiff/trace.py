"""Run a primitive's rule on symbols: `trace_rule` turns a rule into an expression tree.

A rule of the primitive table (a forward or a local derivative) is ordinary Python on numbers. Run
on symbols instead, its arithmetic builds an expression tree (`Expr`) and each comparison a
condition. What happens at a decision on a condition (`if`, `x if c else y`) is the policy:

- `decide=fork` (the `Tape`'s code generation): the run stops, the rule is run again once for each
  answer, and the tree holds both branches: `cond(condition, yes, no)`. The tree then computes what
  the rule computes on *any* numbers.
- `decide=by_value` (a drawing of one recorded graph): every symbol carries its true number, each
  decision is taken by that number as the backward pass takes it, and the tree holds the branch
  taken; the decisions are listed in `Trace.decisions`.

Only a rule that can read nothing but its arguments is traced (no closure, no defaults, no global
except `data`, `zero_like`, `one_like` and the table's primitives), so the tree does what the rule
does. Under `by_value` the tree describes one call, not code to run later: the rule's other globals
(a number such as `_LN2`, an exception it raises, a helper) are read as that call reads them, a
helper that needs a symbol's number stops the trace, and the number the run computed on symbols is
checked against the rule called on the true numbers. Anything else raises `UntraceableRule`: call
the rule on numbers instead.
"""

from __future__ import annotations

import builtins
import dis
import types
from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import partial
from typing import Any

from .exact import one_like, zero_like
from .ops import Primitive, data

__all__ = ["Expr", "Trace", "UntraceableRule", "by_value", "fork", "slot", "trace_rule"]

fork = "fork"
"""Decision policy: run the rule once per answer; the tree keeps both branches (`cond` nodes)."""
by_value = "by_value"
"""Decision policy: decide by the symbols' true numbers; the tree keeps the branch taken."""

# A rule asking more decisions than this is called, not traced (each decision doubles the runs).
MAX_RUNS = 16


class UntraceableRule(ValueError):
    """The rule does something other than arithmetic and decisions on its arguments: call it instead."""


class _Fork(BaseException):
    """A decision on a symbol not covered by the answers given: run the rule again for each answer."""


class Expr:
    """An expression tree: `kind` is one of slot, const, bin, neg, pos, cmp, cond, like, apply, call.

    `items` by kind: slot (name,), const (number,), bin (op, left, right), neg/pos (operand,),
    cmp (op, left, right), cond (condition, yes, no), like (0 or 1, operand) for `zero_like` /
    `one_like`, apply (primitive, [operands]) for a primitive called inside a rule, call (name,
    *operands) for a function a code generator calls by name.
    """

    __slots__ = ("items", "kind")

    def __init__(self, kind: str, *items: Any):
        self.kind = kind
        self.items = items

    def __repr__(self) -> str:
        return f"Expr({self.kind!r}, {', '.join(map(repr, self.items))})"


def slot(name: str) -> Expr:
    """A named argument of a traced rule (a rule's input, its `out`, or a δ)."""
    return Expr("slot", name)


class Trace:
    """What `trace_rule` found: the expression `tree`, and under `by_value` the decisions taken.

    `decisions` lists `(condition, answer)` in the order the rule asked them; `decided` says whether
    one of them depended on a symbol (not only on constants).
    """

    __slots__ = ("decisions", "tree")

    def __init__(self, tree: Expr, decisions: list[tuple[Expr, bool]]):
        self.tree = tree
        self.decisions = decisions

    @property
    def decided(self) -> bool:
        """Whether the rule decided on one of its arguments' numbers."""
        return any(_has_slot(condition) for condition, _ in self.decisions)


def _has_slot(tree: Expr) -> bool:
    if tree.kind == "slot":
        return True
    if tree.kind == "apply":
        return any(_has_slot(a) for a in tree.items[1])
    return any(isinstance(x, Expr) and _has_slot(x) for x in tree.items)


class _Run:
    """One run of a rule: the answers given to its decisions, in order, or its true numbers."""

    __slots__ = ("answers", "asked", "by_value")

    def __init__(self, answers: list[bool], by_value: bool):
        self.answers = answers
        self.asked: list[tuple[Expr, bool]] = []
        self.by_value = by_value

    def decide(self, condition: Expr, value: Any) -> bool:
        if self.by_value:
            answer = bool(value)
            self.asked.append((condition, answer))
            return answer
        if len(self.asked) == len(self.answers):
            self.asked.append((condition, False))
            raise _Fork
        answer = self.answers[len(self.asked)]
        self.asked.append((condition, answer))
        return answer


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


class _Sym:
    """A placeholder standing for a number while a rule runs: arithmetic builds an expression tree.

    Under `by_value` it also carries its true number (`_value`), computed alongside.
    """

    __slots__ = ("_node", "_run", "_value")

    def __init__(self, node: Expr, run: _Run, value: Any = None):
        self._node = node
        self._run = run
        self._value = value

    def _binary(self, op: str, other: Any, reflected: bool) -> _Sym:
        a, b = self._node, _node_of(other)
        value = None
        if self._run.by_value:
            x, y = self._value, _value_of(other)
            value = _OPS[op](y, x) if reflected else _OPS[op](x, y)
        return _Sym(Expr("bin", op, b, a) if reflected else Expr("bin", op, a, b), self._run, value)

    def __add__(self, o: Any) -> _Sym:
        return self._binary("+", o, False)

    def __radd__(self, o: Any) -> _Sym:
        return self._binary("+", o, True)

    def __sub__(self, o: Any) -> _Sym:
        return self._binary("-", o, False)

    def __rsub__(self, o: Any) -> _Sym:
        return self._binary("-", o, True)

    def __mul__(self, o: Any) -> _Sym:
        return self._binary("*", o, False)

    def __rmul__(self, o: Any) -> _Sym:
        return self._binary("*", o, True)

    def __truediv__(self, o: Any) -> _Sym:
        return self._binary("/", o, False)

    def __rtruediv__(self, o: Any) -> _Sym:
        return self._binary("/", o, True)

    def __pow__(self, o: Any) -> _Sym:
        return self._binary("**", o, False)

    def __rpow__(self, o: Any) -> _Sym:
        return self._binary("**", o, True)

    def __neg__(self) -> _Sym:
        return _Sym(Expr("neg", self._node), self._run, -self._value if self._run.by_value else None)

    def __pos__(self) -> _Sym:
        return _Sym(Expr("pos", self._node), self._run, +self._value if self._run.by_value else None)

    def _compare(self, op: str, other: Any) -> _Condition:
        value = _OPS[op](self._value, _value_of(other)) if self._run.by_value else None
        return _Condition(Expr("cmp", op, self._node, _node_of(other)), self._run, value)

    def __lt__(self, o: Any) -> _Condition:
        return self._compare("<", o)

    def __le__(self, o: Any) -> _Condition:
        return self._compare("<=", o)

    def __gt__(self, o: Any) -> _Condition:
        return self._compare(">", o)

    def __ge__(self, o: Any) -> _Condition:
        return self._compare(">=", o)

    def __eq__(self, o: Any) -> _Condition:  # type: ignore[override]
        return self._compare("==", o)

    def __ne__(self, o: Any) -> _Condition:  # type: ignore[override]
        return self._compare("!=", o)

    def _refuse(self, *args: Any) -> Any:
        raise UntraceableRule("the rule converts or tests a number itself")

    # A truth test or a conversion of the number itself cannot be written as an expression here.
    __bool__ = __float__ = __int__ = __index__ = __abs__ = __round__ = __hash__ = _refuse


class _Condition:
    """A comparison of symbols: deciding on it asks the run for an answer."""

    __slots__ = ("_node", "_run", "_value")

    def __init__(self, node: Expr, run: _Run, value: Any = None):
        self._node = node
        self._run = run
        self._value = value

    def __bool__(self) -> bool:
        return self._run.decide(self._node, self._value)

    def _refuse(self, *args: Any) -> Any:
        raise UntraceableRule("the rule converts a comparison to a number")

    __float__ = __int__ = __index__ = __hash__ = _refuse


def _node_of(x: Any) -> Expr:
    if isinstance(x, _Sym):
        return x._node
    if type(x) in (int, float, Fraction):
        return Expr("const", x)
    raise UntraceableRule(f"the rule computes with a {type(x).__name__}, not only numbers")


def _value_of(x: Any) -> Any:
    return x._value if isinstance(x, _Sym) else x


# Opcodes through which a rule could look at a symbol without our noticing (identity tests,
# membership, text), or catch the signal that stops a run.
_REFUSED_OPCODES = frozenset(
    {"IS_OP", "CONTAINS_OP", "FORMAT_VALUE", "BUILD_STRING", "FORMAT_SIMPLE", "FORMAT_WITH_SPEC"}
)
_TRACEABLE: dict[tuple[types.CodeType, bool], bool] = {}


def _traceable_code(code: types.CodeType, scan: bool = True) -> bool:
    """Whether `code` can be traced: no generator, handler or nested code; with `scan`, no refused opcode."""
    found = _TRACEABLE.get((code, scan))
    if found is not None:
        return found
    # Generators and coroutines, exception handlers and nested functions: not traced.
    handlers: bytes = getattr(code, "co_exceptiontable", b"")
    ok = not (
        code.co_flags & (0x20 | 0x80 | 0x100 | 0x200)
        or handlers
        or any(isinstance(c, types.CodeType) for c in code.co_consts)
    )
    if ok and scan:
        for ins in dis.get_instructions(code):
            if ins.opname in _REFUSED_OPCODES or ins.opname.startswith("SETUP_"):
                ok = False
                break
    _TRACEABLE[code, scan] = ok
    return ok


def trace_rule(
    rule: Callable[..., Any],
    args: Sequence[Expr | str],
    decide: str = fork,
    *,
    values: Sequence[Any] | None = None,
) -> Trace:
    """Run `rule` on symbols standing for `args` (slots or names): its tree, under the policy `decide`.

    `decide=fork` explores every answer of every decision; `decide=by_value` takes each decision by
    `values` (the arguments' true numbers, required then). Raises `UntraceableRule` when the rule
    must be called on numbers instead (it reads globals, converts a number, loops on one, ...).
    """
    if decide not in (fork, by_value):
        raise ValueError(f"trace_rule: decide must be fork or by_value, got {decide!r}")
    nodes = [slot(a) if isinstance(a, str) else a for a in args]
    for i, a in enumerate(nodes):
        if not isinstance(a, Expr):
            raise TypeError(f"trace_rule: args[{i}] must be a name or an Expr, got {type(a).__name__}")
    if decide == by_value and (values is None or len(values) != len(nodes)):
        raise ValueError("trace_rule(decide=by_value) needs values=[the true number of each argument]")
    keywords: dict[str, Any] = {}
    while isinstance(rule, partial):  # a bound primitive: its parameters are fixed
        if rule.args:
            raise UntraceableRule("the rule has positional arguments bound")
        keywords = {**rule.keywords, **keywords}
        rule = rule.func
    if not isinstance(rule, types.FunctionType):
        raise UntraceableRule(f"{type(rule).__name__} is not a Python function")
    if rule.__closure__ or rule.__defaults__ or rule.__kwdefaults__:
        raise UntraceableRule("the rule reads a closure or default arguments")
    # Under by_value the run is checked against the call instead (below): an error message built
    # with an f-string, or `lo is not None` on a bound parameter, does not stop the trace.
    if not _traceable_code(rule.__code__, scan=decide == fork):
        raise UntraceableRule("the rule catches exceptions, loops lazily or inspects its arguments")
    traced = types.FunctionType(rule.__code__, _helpers(rule, decide == by_value), rule.__name__)
    try:
        if decide == by_value:
            assert values is not None
            run = _Run([], True)
            result = traced(*[_Sym(a, run, v) for a, v in zip(nodes, values, strict=True)], **keywords)
            found = Trace(_node_of(result), run.asked)
        else:
            return Trace(_explore(traced, nodes, keywords, [], [0]), [])
    except UntraceableRule:
        raise
    except Exception as error:  # anything a rule may raise on symbols: call it instead
        raise UntraceableRule(f"the rule raised {type(error).__name__} on symbols") from error
    try:
        called = rule(*values, **keywords)
    except Exception as error:
        raise UntraceableRule(f"the rule raised {type(error).__name__} on its numbers") from error
    if not _same(_value_of(result), called):
        # The rule looked at a symbol in a way the trace cannot follow (an identity test, its text).
        raise UntraceableRule("the rule computes another number on symbols than on its numbers")
    return found


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) or (a != a and b != b)  # NaN is the same NaN here
    except Exception:  # a number type with no equality to ask
        return False


def _explore(
    rule: Callable[..., Any], args: list[Expr], keywords: dict[str, Any], answers: list[bool], runs: list[int]
) -> Expr:
    runs[0] += 1
    if runs[0] > MAX_RUNS:
        raise UntraceableRule(f"the rule takes more than {MAX_RUNS} paths")
    run = _Run(answers, False)
    try:
        result = rule(*[_Sym(a, run) for a in args], **keywords)
    except _Fork:
        condition = run.asked[-1][0]
        yes = _explore(rule, args, keywords, [*answers, True], runs)
        no = _explore(rule, args, keywords, [*answers, False], runs)
        return Expr("cond", condition, yes, no)
    return _node_of(result)


def _helpers(rule: types.FunctionType, now: bool) -> dict[str, Any]:
    """The globals a traced copy of `rule` sees: symbol versions of the known pure helpers.

    With `now` (`by_value`: one call, by its true numbers) any other global and the builtins are
    the objects the call would read now; a symbol refuses to be converted or tested, so a helper
    that needs the number itself (`math.cos`) stops the trace.
    """
    found: dict[str, Any] = {"__builtins__": builtins.__dict__ if now else {}}
    for name in rule.__code__.co_names:
        obj = rule.__globals__.get(name, _MISSING)
        if obj is data:
            found[name] = _sym_data
        elif obj is zero_like or obj is one_like:
            found[name] = partial(_sym_like, 0 if obj is zero_like else 1)
        elif isinstance(obj, Primitive) and not obj.params and obj.base is obj:
            found[name] = partial(_sym_primitive, obj)
        elif now:
            if obj is not _MISSING:  # else an attribute's name, or a builtin
                found[name] = obj
        else:
            # A name whose meaning may change, or is unknown: call the rule.
            raise UntraceableRule(f"the rule reads the global {name!r}")
    return found


_MISSING = object()


def _sym_data(x: Any) -> Any:
    return x  # `data(x)` on a symbol: the number itself


def _sym_like(number: int, x: Any) -> _Sym:
    """`zero_like(x)` or `one_like(x)` on a symbol: `type(x)(number)`, kept as a `like` node."""
    if not isinstance(x, _Sym):
        raise UntraceableRule("zero_like/one_like of a constant")
    value = type(x._value)(number) if x._run.by_value else None
    return _Sym(Expr("like", number, x._node), x._run, value)


def _sym_primitive(prim: Primitive, *args: Any) -> _Sym:
    """A primitive called inside a rule: an `apply` node (the renderer inlines or calls its forward)."""
    if len(args) != prim.arity:
        raise UntraceableRule(f"{prim.name} called with {len(args)} input(s)")
    run = next((a._run for a in args if isinstance(a, _Sym)), None)
    if run is None:
        raise UntraceableRule(f"{prim.name} called on constants only")
    value = prim.forward(*[_value_of(a) for a in args]) if run.by_value else None
    return _Sym(Expr("apply", prim, [_node_of(a) for a in args]), run, value)

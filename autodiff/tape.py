"""Record a graph once, replay it many times: `Tape` compiles a recorded graph to straight-line Python.

A training loop builds the same graph at every step; only the numbers in the leaves change.
`Tape(loss, inputs=params)` walks the recorded graph once and writes Python code that computes
every node's number from the leaves and then every δ, adding the δs in the same order as
`loss.backward()`. A replay reads the current `.data` of *every* leaf (weights, data leaves and
constants alike, and recomputes the nodes made only of constants), so updating the weights or the
data and calling `tape.backward()` gives the gradients of the new numbers, without building a graph.

The code comes from the primitive table, nothing else: each primitive's forward and local
derivatives are either called (a rule that reads anything but its inputs, such as `div`'s) or,
when a rule is arithmetic on its inputs with decisions on them (`lambda x, y, out: y`, ReLU's
`x if x >= 0 else 0`), inlined as a Python expression found by running the rule once per branch on
symbols. A node used once whose number the backward pass does not read is written inside the
expression of the node that uses it, so the code holds few statements. The replay does the same
operations on the same numbers as the plain path, so its results are identical (exact for
Fractions, bit for bit for floats).

Recording pauses Python's cyclic garbage collector (a recorded graph has no reference cycles) and
restores its previous state when it ends, also on an error. Its memory stays under about 1 KB per
node: a large graph is compiled in pieces of bounded size.

What a replay handles: every decision taken *inside* a primitive — a ReLU or `abs` whose input
changed sign, `pow` at exponent 0 — because the rules run again on the new numbers. What it cannot
see: decisions taken in your own Python code (`if x.data > 0: ...`, a loop that runs until a
number is small, `x * y.data`), which fixed the graph's shape and constants when it was recorded.
If your model branches on numbers, rebuild the graph at each step instead.
"""

from __future__ import annotations

import dis
import math
import re
import types
from array import array
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from functools import partial
from typing import Any

from .backward import topological_order
from .checks import FloatRangeError, check_number
from .exact import PLAIN_NUMBERS, Number, format_number, is_finite, one_like, zero_like
from .modes import gc_paused, state
from .ops import Primitive, data
from .value import Value, accumulate_grad

__all__ = ["Tape"]

# A replay is compiled in pieces of about this much source text: Python's compiler needs about
# 100 bytes per character of code while it works, so one function for a graph of millions of nodes
# would need gigabytes. Numbers that one piece computes and another reads pass through a list.
CHUNK_CHARACTERS = 100_000
# Longest expression written for one node and the nodes fused into it.
MAX_TEXT = 1_500
# Deepest expression written: Python's parser refuses 200 nested parentheses, and its compiler
# recurses once per level.
MAX_DEPTH = 60
# A primitive with more inputs than this (a long `sum`) is called, not written out.
MAX_INLINED_ARITY = 24
# A δ collecting many terms (a weight used at every data point) is summed in statements of this many.
MAX_TERMS = 32
# Most local names in one piece, and most numbers unpacked by one statement (each takes a slot of
# the frame's stack). CPython (3.11+) keeps frames in 16 KB blocks: a function whose frame does not
# fit in the current block's free space gets a fresh block from the system at every call, which
# cost more than the arithmetic of a 1,000-line piece.
MAX_LOCALS = 1_000
MAX_UNPACK = 64


class Tape:
    """A recorded graph compiled to Python: replays forward and backward on the leaves' current numbers.

    `Tape(loss, inputs=params)` records the graph that computed `loss`; `inputs` are the Values
    whose δ you want (default: every leaf that requires a gradient, in reading order; each Value at
    most once). Then, after changing leaves' `.data`: `tape.backward()` adds each input's δ to its
    `.grad` and returns the new output; `tape.gradients()` returns `(output, [δ, ...])`;
    `tape.forward()` the output only.
    """

    def __init__(self, output: Value, inputs: Sequence[Value] | None = None):
        if not isinstance(output, Value):
            raise TypeError(
                f"Tape needs the Value to differentiate (e.g. the loss), got {type(output).__name__}"
            )
        if not output.requires_grad:
            raise ValueError(
                "Tape: the output does not depend on anything that requires a gradient "
                "(it is a constant, a detached Value, or was computed inside no_grad())"
            )
        # A recorded graph has no reference cycles: the collector would only rescan the compiler's objects.
        with gc_paused():
            every = topological_order(output, only_requiring_grad=False)
            order = _backward_order(output, every)
            hooked = next((every[i] for i in order if every[i].hooks), None)
            if hooked is not None:
                raise ValueError(
                    f"Tape: {_label(hooked)} has a hook; a replay does not call hooks. "
                    "Remove it (handle.remove()) or use the plain loss.backward()"
                )
            if inputs is None:
                chosen = _leaves_in_reading_order(output)
            else:
                chosen = _checked_inputs(inputs, [every[i] for i in order])
            self.inputs: tuple[Value, ...] = tuple(chosen)
            compiler = _Compiler(output, every, order, self.inputs)
            del every, order
            out_name, result_names = compiler.write()
            compiled = compiler.finish(out_name, result_names)
        self._sources = compiled.sources
        self._run = compiled.run
        # Only the leaves are kept (their `.data` is read at each replay), not the recorded graph.
        self._leaves = compiled.leaves

    @property
    def source(self) -> str:
        """The Python code of the replay (one function, or several for a large graph)."""
        return "\n\n".join(self._sources)

    def gradients(self, grad: Any = None) -> tuple[Number, list[Number]]:
        """Replay on the leaves' current numbers: (output, [∂output/∂input · grad for each input])."""
        seed = None if grad is None else check_number(grad, "Tape.gradients(grad=...)")
        try:
            result, grads = self._run(self._leaves, seed, True)
        except OverflowError:
            raise FloatRangeError(
                "Tape replay: a number beyond a float's range (about 1.8e308) met float arithmetic: the "
                "grad given to Tape.gradients(grad=...) or a leaf Value's .data; an exact number this large "
                "has no float value: keep every number exact (int or Fraction) or scale it down"
            ) from None
        if state.anomaly:
            self._refuse_non_finite(result, grads)
        return result, list(grads)

    def backward(self, grad: Any = None) -> Number:
        """Replay, add each input's δ to its `.grad` (as `output.backward()` would); return the output."""
        result, grads = self.gradients(grad)
        for v, g in zip(self.inputs, grads, strict=True):
            accumulate_grad(v, g)
        return result

    def forward(self) -> Number:
        """Replay only the forward pass: the output's number for the leaves' current numbers."""
        result: Number = self._run(self._leaves, None, False)[0]
        return result

    def _refuse_non_finite(self, result: Number, grads: Sequence[Number]) -> None:
        # A replay has no per-operation checks; say what went wrong and where to look.
        named = [(f"the δ of {_label(v)}", g) for v, g in zip(self.inputs, grads, strict=True)]
        for what, x in [("the output", result), *named]:
            if not is_finite(x):
                raise FloatingPointError(
                    f"Tape replay: {what} is {x!r}; rebuild the graph with the plain path inside "
                    "detect_anomaly() to find the operation"
                )

    def __repr__(self) -> str:
        return f"<Tape of {self.source.count(chr(10))} lines, {len(self.inputs)} input(s)>"


def _backward_order(output: Value, every: list[Value]) -> list[int]:
    """Positions in `every` of the nodes that require a gradient, in the order `backward()` visits them."""
    # Leaving out the nodes that need no δ keeps backward's order, unless a node frozen with
    # requires_grad_(False) sits on top of nodes that learn: then walk those nodes again.
    frozen = any(
        not node.requires_grad and node.primitive is not None and any(p.requires_grad for p in node.parents)
        for node in every
    )
    if not frozen:
        return [i for i, node in enumerate(every) if node.requires_grad]
    index = {node: i for i, node in enumerate(every)}
    return [index[node] for node in topological_order(output)]


def _checked_inputs(inputs: Sequence[Value], order: list[Value]) -> list[Value]:
    """`inputs` as a list, each a Value of the graph that requires a gradient, none twice."""
    if not isinstance(inputs, Iterable):
        raise TypeError(
            f"Tape: inputs must be a list of Values (e.g. model.parameters()) or None for every leaf, "
            f"got {type(inputs).__name__}"
        )
    chosen = list(inputs)
    nodes = set(order)
    first: dict[Value, int] = {}
    for i, v in enumerate(chosen):
        if not isinstance(v, Value):
            raise TypeError(f"Tape: inputs[{i}] must be a Value, got {type(v).__name__}")
        if v not in nodes:
            raise ValueError(
                f"Tape: inputs[{i}] ({_label(v)}) is not part of the output's graph, or does not "
                "require a gradient; pass only Values the output was computed from"
            )
        if v in first:
            raise ValueError(
                f"Tape: inputs[{i}] is inputs[{first[v]}] again ({_label(v)}); a Value has one δ, "
                "so list each input once"
            )
        first[v] = i
    return chosen


def _leaves_in_reading_order(output: Value) -> list[Value]:
    """The leaves that require a gradient, in the order they appear when the expression is read."""
    seen: set[Value] = set()
    found: list[Value] = []
    stack = [output]
    while stack:
        node = stack.pop()
        if node in seen or not node.requires_grad:
            continue
        seen.add(node)
        if node.is_leaf:
            found.append(node)
        else:
            stack.extend(reversed(node.parents))
    return found


def _label(v: Value) -> str:
    shown = f"Value {v.name!r}" if v.name else "a Value"
    return f"{shown} (data={format_number(v.data)}, op={v.op})"


def _check_leaves(numbers: list[Any], leaves: Sequence[Value], start: int) -> list[Any]:
    """The leaves' numbers, checked as the plain path checks them (called only when one is unusual)."""
    checked = []
    for i, x in enumerate(numbers):
        if type(x) not in PLAIN_NUMBERS:
            x = check_number(x, f"Tape replay: the .data of {_label_safe(leaves[start + i])}")
        checked.append(x)
    return checked


def _label_safe(v: Value) -> str:
    return f"Value {v.name!r}" if v.name else "a leaf Value"


# --- turning the table's rules into expressions --------------------------------------------------
#
# A rule is run on symbols: arithmetic on a symbol builds an expression tree, a comparison builds a
# condition, and a decision on a condition (`if`, `x if c else y`) stops the run; the rule is then
# run again once for each answer, giving `(a if c else b)`. Only a rule that can read nothing but
# its arguments is run this way (no closure, no defaults, no global except a few known pure
# helpers and primitives), so the expression does what the rule does on any numbers.

ATOM, POWER, UNARY, PRODUCT, SUM, COMPARISON, CONDITION = 100, 15, 14, 13, 12, 5, 1
# A template's field while it is rendered: it takes whatever it is filled with, and records the
# precedence its place needs, so that a filled-in expression gets parentheses only where needed.
FIELD = 1_000
_BINARY = {"+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT, "**": POWER}


class _Untraceable(Exception):
    """The rule does something other than arithmetic and decisions on its arguments; call it instead."""


class _Fork(BaseException):
    """A decision on a symbol not covered by the answers given: run the rule again for each answer."""


class _Node:
    """An expression tree: `kind` is slot, const, bin, neg, pos, call, cmp or cond."""

    __slots__ = ("items", "kind")

    def __init__(self, kind: str, *items: Any):
        self.kind = kind
        self.items = items


class _Run:
    """The answers given to the decisions of one run of a rule, in order."""

    def __init__(self, answers: list[bool]):
        self.answers = answers
        self.asked: list[_Node] = []

    def decide(self, condition: _Node) -> bool:
        if len(self.asked) == len(self.answers):
            self.asked.append(condition)
            raise _Fork
        self.asked.append(condition)
        return self.answers[len(self.asked) - 1]


class _Sym:
    """A placeholder standing for a number while a rule runs: arithmetic builds an expression tree."""

    __slots__ = ("_node", "_run")

    def __init__(self, node: _Node, run: _Run):
        self._node = node
        self._run = run

    def _binary(self, op: str, other: Any, reflected: bool) -> _Sym:
        a, b = self._node, _node_of(other)
        return _Sym(_Node("bin", op, b, a) if reflected else _Node("bin", op, a, b), self._run)

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
        return _Sym(_Node("neg", self._node), self._run)

    def __pos__(self) -> _Sym:
        return _Sym(_Node("pos", self._node), self._run)

    def _compare(self, op: str, other: Any) -> _Condition:
        return _Condition(_Node("cmp", op, self._node, _node_of(other)), self._run)

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
        raise _Untraceable

    # A truth test or a conversion of the number itself cannot be written as an expression here.
    __bool__ = __float__ = __int__ = __index__ = __abs__ = __round__ = __hash__ = _refuse


class _Condition:
    """A comparison of symbols: deciding on it asks the run for an answer."""

    __slots__ = ("_node", "_run")

    def __init__(self, node: _Node, run: _Run):
        self._node = node
        self._run = run

    def __bool__(self) -> bool:
        return self._run.decide(self._node)

    def _refuse(self, *args: Any) -> Any:
        raise _Untraceable

    __float__ = __int__ = __index__ = __hash__ = _refuse


def _node_of(x: Any) -> _Node:
    if isinstance(x, _Sym):
        return x._node
    if type(x) in (int, float, Fraction):
        return _Node("const", x)
    raise _Untraceable


# Opcodes through which a rule could look at a symbol without our noticing (identity tests,
# membership, text), or catch the signal that stops a run.
_REFUSED_OPCODES = frozenset(
    {"IS_OP", "CONTAINS_OP", "FORMAT_VALUE", "BUILD_STRING", "FORMAT_SIMPLE", "FORMAT_WITH_SPEC"}
)


def _traceable_code(func: types.FunctionType) -> bool:
    code = func.__code__
    if code.co_flags & (0x20 | 0x80 | 0x100 | 0x200):  # generators and coroutines
        return False
    if getattr(code, "co_exceptiontable", b"") or any(isinstance(c, types.CodeType) for c in code.co_consts):
        return False
    for ins in dis.get_instructions(code):
        if ins.opname in _REFUSED_OPCODES or ins.opname.startswith("SETUP_"):
            return False
    return True


class _Rules:
    """Per primitive: its forward and each δ·derivative as code templates, from the table's rules.

    A template is a format string over `{0}`, `{1}`, ... (the inputs, each an atom: a name or a
    parenthesised expression), `{out}` (the node's number) and `{d}` (the δ arriving at the node).
    """

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {}
        self._constants: dict[tuple[type, Any], str] = {}
        self._done: dict[int, _PrimCode] = {}
        self._forwards: dict[int, _Template] = {}
        self._traceable: dict[types.CodeType, bool] = {}
        self._numbers: dict[int, int] = {}
        self._keep: list[Primitive] = []  # the ids above stay valid while the primitives live

    def of(self, prim: Primitive) -> _PrimCode:
        """The templates of `prim` (made once per primitive object)."""
        found = self._done.get(id(prim))
        if found is None:
            index, label = self._label(prim)
            slots = [_Node("slot", str(i)) for i in range(prim.arity)]
            forward = self.forward_of(prim)
            derivatives = []
            out = _Node("slot", "out")
            delta = _Node("slot", "d")
            # An n-input primitive often repeats one rule (`sum`: n times "1"): trace each rule once.
            made: dict[int, _Derivative] = {}
            for i, rule in enumerate(prim.derivatives):
                if id(rule) not in made:
                    tree = self._trace(rule, [*slots, out])
                    template = None if tree is None else _render_template(_times(delta, tree), self)
                    if template is None:
                        name = f"d{index}_{label}_{i}"
                        self.namespace[name] = rule
                        template = _render_template(_times(delta, _Node("call", name, *slots, out)), self)
                    assert template is not None
                    made[id(rule)] = _Derivative(template)
                derivatives.append(made[id(rule)])
            found = _PrimCode(forward, derivatives)
            self._done[id(prim)] = found
            self._keep.append(prim)
        return found

    def forward_of(self, prim: Primitive) -> _Template:
        """The template of `prim`'s forward alone (what a rule calling `prim` needs)."""
        found = self._forwards.get(id(prim))
        if found is None:
            index, label = self._label(prim)
            slots = [_Node("slot", str(i)) for i in range(prim.arity)]
            found = self._forwards[id(prim)] = self._template(prim.forward, slots, f"f{index}_{label}")
            found.reads += [0] * (prim.arity - len(found.reads))
            found.wants += [0] * (prim.arity - len(found.wants))
            self._keep.append(prim)
        return found

    def _label(self, prim: Primitive) -> tuple[int, str]:
        # The name only makes the code readable; a Primitive made directly may have any name.
        index = self._numbers.setdefault(id(prim), len(self._numbers))
        return index, prim.name if prim.name.isidentifier() else "op"

    def _template(self, rule: Callable[..., Any], slots: list[_Node], name: str) -> _Template:
        tree = self._trace(rule, slots) if len(slots) <= MAX_INLINED_ARITY else None
        template = None if tree is None else _render_template(tree, self)
        if template is None:
            self.namespace[name] = rule  # called by name from the generated code
            template = _render_template(_Node("call", name, *slots), self)
            assert template is not None
        return template

    def _trace(self, rule: Callable[..., Any], args: list[_Node]) -> _Node | None:
        """The rule as an expression tree over `args`, or None if it must be called."""
        keywords: dict[str, Any] = {}
        while isinstance(rule, partial):  # a bound primitive: its parameters are fixed
            if rule.args:
                return None
            keywords = {**rule.keywords, **keywords}
            rule = rule.func
        if not isinstance(rule, types.FunctionType):
            return None
        if rule.__closure__ or rule.__defaults__ or rule.__kwdefaults__:
            return None
        traceable = self._traceable.get(rule.__code__)
        if traceable is None:
            traceable = self._traceable[rule.__code__] = _traceable_code(rule)
        if not traceable:
            return None
        helpers = self._helpers(rule)
        if helpers is None:
            return None
        traced = types.FunctionType(rule.__code__, helpers, rule.__name__)
        try:
            return self._explore(traced, args, keywords, [], [0])
        except _Untraceable:
            return None
        except Exception:  # anything a rule may raise on symbols: call it instead
            return None

    _MAX_RUNS = 16

    def _explore(
        self,
        rule: Callable[..., Any],
        args: list[_Node],
        keywords: dict[str, Any],
        answers: list[bool],
        runs: list[int],
    ) -> _Node:
        runs[0] += 1
        if runs[0] > self._MAX_RUNS:
            raise _Untraceable
        run = _Run(answers)
        try:
            result = rule(*[_Sym(a, run) for a in args], **keywords)
        except _Fork:
            condition = run.asked[-1]
            yes = self._explore(rule, args, keywords, [*answers, True], runs)
            no = self._explore(rule, args, keywords, [*answers, False], runs)
            return _Node("cond", condition, yes, no)
        return _node_of(result)

    def _helpers(self, rule: types.FunctionType) -> dict[str, Any] | None:
        """The globals a traced copy of `rule` sees: symbol versions of the known pure helpers."""
        found: dict[str, Any] = {"__builtins__": {}}
        for name in rule.__code__.co_names:
            obj = rule.__globals__.get(name)
            if obj is data:
                found[name] = _sym_data
            elif obj is zero_like or obj is one_like:
                found[name] = partial(_sym_like, 0 if obj is zero_like else 1)
            elif isinstance(obj, Primitive) and not obj.params and obj.base is obj:
                found[name] = partial(_sym_primitive, self, obj)
            else:
                return None  # a name whose meaning may change, or is unknown: call the rule
        return found

    def _name_helper(self, obj: Callable[..., Any]) -> str:
        name = obj.__name__
        self.namespace[name] = obj
        return name

    def constant(self, x: Any) -> str:
        """Source text for a number in a template: a literal, or the name of a stored constant."""
        if type(x) is int or (type(x) is float and math.isfinite(x)):
            return repr(x)
        key = (type(x), x)
        name = self._constants.get(key)
        if name is None:
            name = f"k{len(self._constants)}"
            self._constants[key] = name
            self.namespace[name] = x
        return name


def _sym_data(x: Any) -> Any:
    return x  # `data(x)` on a symbol: the number itself


def _sym_call(name: str, *args: Any) -> _Sym:
    run = next(a._run for a in args if isinstance(a, _Sym))
    return _Sym(_Node("call", name, *[_node_of(a) for a in args]), run)


def _sym_like(number: int, x: Any) -> _Sym:
    """`zero_like(x)` or `one_like(x)` on a symbol: their body, `type(x)(number)`, written in line."""
    if not isinstance(x, _Sym):
        raise _Untraceable
    return _Sym(_Node("like", number, x._node), x._run)


def _sym_primitive(rules: _Rules, prim: Primitive, *args: Any) -> _Sym:
    """A primitive called inside a rule: its forward applied (inlined or called) to the symbols."""
    if len(args) != prim.arity:
        raise _Untraceable
    run = next((a._run for a in args if isinstance(a, _Sym)), None)
    if run is None:
        raise _Untraceable
    template = rules.forward_of(prim)
    return _Sym(_Node("filled", template, [_node_of(a) for a in args]), run)


def _times(delta: _Node, tree: _Node) -> _Node:
    """δ · tree, with δ·1 written δ, δ·(−1) written −δ and the product taken into each branch."""
    if tree.kind == "cond":
        condition, yes, no = tree.items
        return _Node("cond", condition, _times(delta, yes), _times(delta, no))
    if tree.kind == "const" and type(tree.items[0]) is int and tree.items[0] in (1, -1):
        return delta if tree.items[0] == 1 else _Node("neg", delta)
    return _Node("bin", "*", delta, tree)


class _Template:
    """A format string with its precedence, depth, and per field how often it appears and what it needs.

    `precedence` is None for a template that is one field alone (`{0}`): it has the precedence of
    what fills it. `needs[field]` is the lowest precedence an expression filling it may have
    without parentheses.
    """

    __slots__ = ("atom", "counts", "depth", "needs", "precedence", "reads", "text", "wants")

    def __init__(self, text: str, precedence: int, depth: int, counts: dict[str, int], needs: dict[str, int]):
        self.text = text
        self.precedence = None if precedence == FIELD else precedence
        self.atom = precedence >= ATOM
        self.depth = depth
        self.counts = counts
        self.needs = needs
        # How many times the template reads each input, and the precedence it needs, by position
        # (up to the highest one read).
        width = max((int(k) + 1 for k in counts if k.isdigit()), default=0)
        self.reads = [counts.get(str(k), 0) for k in range(width)]
        self.wants = [needs.get(str(k), 0) for k in range(width)]


class _Derivative:
    """A δ·derivative template, its fields renumbered to the inputs it reads (`used`)."""

    __slots__ = ("bare", "counts", "d_once", "depth", "need", "precedence", "reads_out", "text", "used")

    def __init__(self, template: _Template):
        self.text, self.used = _positions_renumbered(template)
        self.precedence = template.precedence
        self.depth = template.depth
        self.counts = template.counts
        self.need = template.needs.get("d", 0)  # what the δ filling `{d}` needs
        self.d_once = template.counts.get("d", 0) == 1
        self.bare = self.text == "{d}"  # δ·1: the δ itself
        self.reads_out = "out" in template.counts


class _PrimCode:
    __slots__ = ("derivatives", "forward")

    def __init__(self, forward: _Template, derivatives: list[_Derivative]):
        self.forward = forward
        self.derivatives = derivatives


def _render_template(tree: _Node, rules: _Rules) -> _Template | None:
    """The tree as a template, or None if it is too deep to be written as one expression."""
    needs: dict[str, int] = {}
    try:
        text, precedence, depth = _render(tree, rules, needs)
    except RecursionError:
        return None
    if depth > MAX_DEPTH:
        return None
    counts: dict[str, int] = {}
    for slot in _SLOT.findall(text):
        counts[slot] = counts.get(slot, 0) + 1
    return _Template(text, precedence, depth, counts, needs)


def _positions_renumbered(template: _Template) -> tuple[str, tuple[int, ...]]:
    """The text with its input fields numbered 0, 1, ... in order, and the inputs they stand for.

    A derivative of an n-input primitive often reads none of its inputs (`sum`'s 1): formatting it
    with only the inputs it reads keeps recording linear in n.
    """
    used = sorted(int(k) for k in template.counts if k.isdigit())
    renumber = {str(j): str(pos) for pos, j in enumerate(used)}
    text = _SLOT.sub(lambda m: "{" + renumber.get(m.group(1), m.group(1)) + "}", template.text)
    return text, tuple(used)


_SLOT = re.compile(r"\{(\w+)\}")


def _wrap(part: tuple[str, int, int], below: int, needs: dict[str, int] | None = None) -> str:
    """The part's text, in parentheses if its precedence is below `below` (a field records `below`)."""
    text, precedence, _ = part
    if precedence == FIELD:
        if needs is not None:
            field = text[1:-1]
            needs[field] = max(needs.get(field, 0), below)
        return text
    return f"({text})" if precedence < below else text


def _render_compared(tree: _Node, rules: _Rules, needs: dict[str, int]) -> tuple[str, int, int]:
    """An operand of a comparison: an int constant is written as the equal float.

    A comparison's answer is the same (Python compares ints, floats and Fractions exactly), and
    the interpreter compares two floats much faster than a float with an int (a ReLU's `x >= 0`).
    """
    if tree.kind == "const":
        x = tree.items[0]
        if type(x) is int and -(2**53) <= x <= 2**53:
            text = repr(float(x))
            return text, UNARY if text.startswith("-") else ATOM, 0
    return _render(tree, rules, needs)


def _render(tree: _Node, rules: _Rules, needs: dict[str, int]) -> tuple[str, int, int]:
    """(text, precedence, depth) of an expression tree; slots become `{name}` format fields."""
    kind, items = tree.kind, tree.items
    if kind == "slot":
        return "{" + items[0] + "}", FIELD, 0
    if kind == "const":
        text = rules.constant(items[0])
        return text, UNARY if text.startswith("-") else ATOM, 0
    if kind == "bin":
        op, left, right = items
        a, b = _render(left, rules, needs), _render(right, rules, needs)
        p = _BINARY[op]
        if op == "**":
            text = f"{_wrap(a, ATOM, needs)} ** {_wrap(b, UNARY, needs)}"
        else:
            text = f"{_wrap(a, p, needs)} {op} {_wrap(b, p + 1, needs)}"
        return text, p, max(a[2], b[2]) + 1
    if kind in ("neg", "pos"):
        a = _render(items[0], rules, needs)
        return ("-" if kind == "neg" else "+") + _wrap(a, UNARY, needs), UNARY, a[2] + 1
    if kind == "call":
        parts = [_render(a, rules, needs) for a in items[1:]]
        return (
            f"{items[0]}({', '.join(_wrap(p, COMPARISON, needs) for p in parts)})",
            ATOM,
            max((p[2] for p in parts), default=0) + 1,
        )
    if kind == "cmp":
        op, left, right = items
        a, b = _render_compared(left, rules, needs), _render_compared(right, rules, needs)
        return (
            f"{_wrap(a, COMPARISON + 1, needs)} {op} {_wrap(b, COMPARISON + 1, needs)}",
            COMPARISON,
            max(a[2], b[2]) + 1,
        )
    if kind == "cond":
        condition, yes, no = (_render(x, rules, needs) for x in items)
        chosen, test = _wrap(yes, CONDITION + 1, needs), _wrap(condition, CONDITION + 1, needs)
        text = f"{chosen} if {test} else {_wrap(no, CONDITION, needs)}"
        return text, CONDITION, max(condition[2], yes[2], no[2]) + 1
    if kind == "like":
        a = _render(items[1], rules, needs)
        return f"type({_wrap(a, COMPARISON, needs)})({items[0]})", ATOM, a[2] + 1
    if kind == "filled":  # another primitive's forward template, applied to sub-expressions
        template, args = items
        parts = [_render(a, rules, needs) for a in args]
        filled = template.text.format(*[_wrap(p, ATOM, needs) for p in parts])
        depth = template.depth + max((p[2] for p in parts), default=0)
        return filled, ATOM if template.atom else CONDITION, depth
    raise AssertionError(kind)


# --- writing the replay ----------------------------------------------------------------------------

_NAME = re.compile(r"\bv\d+\b")


class _Compiled:
    __slots__ = ("leaves", "run", "sources")

    def __init__(self, sources: list[str], run: Callable[..., Any], leaves: list[Value]):
        self.sources = sources
        self.run = run
        self.leaves = leaves


class _Compiler:
    """Writes the statements of a replay, then compiles them in one or more functions."""

    def __init__(self, output: Value, every: list[Value], order: list[int], inputs: Sequence[Value]):
        self.output = output
        self.every = every  # every node, root first, each before its parents
        self.order = order  # positions in `every` of the nodes that require a gradient, in backward's order
        self.inputs = inputs
        self.rules = _Rules()
        self.statements: list[tuple[str, str]] = []  # (name, expression)
        self.leaf_names: dict[str, Value] = {}
        self.count = 0
        self.forward_end = 0

    def new_name(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def emit(self, text: str) -> str:
        name = self.new_name()
        self.statements.append((name, text))
        return name

    def write(self) -> tuple[str, list[str]]:
        """Write the statements; return the names of the output and of each input's δ."""
        every, order, rules = self.every, self.order, self.rules
        n = len(every)
        index = {node: i for i, node in enumerate(every)}
        # Per node: its primitive's code (None for a leaf), its parents' positions, how many users.
        codes: list[_PrimCode | None] = []
        parents: list[list[int]] = []
        uses = [0] * n
        by_primitive: dict[int, _PrimCode] = {}
        for node in every:
            prim = node.primitive
            if prim is None:
                codes.append(None)
            else:
                code = by_primitive.get(id(prim))
                if code is None:
                    code = by_primitive[id(prim)] = rules.of(prim)
                codes.append(code)
            found = [index[p] for p in node.parents]
            parents.append(found)
            for j in found:
                uses[j] += 1
        is_input = bytearray(n)
        for v in self.inputs:
            is_input[index[v]] = 1
        del index
        root = 0
        # Which nodes lead to an input (only those need a δ), through which of their parents (the
        # edges δ flows along); the numbers the backward pass reads (a derivative's inputs or
        # output) get a name. A node that leads to an input requires a gradient, so it learns.
        lead = bytearray(n)
        needed = bytearray(n)
        edges: dict[int, list[int]] = {}
        for i in reversed(order):  # parents before the nodes that use them
            code = codes[i]
            if code is None:
                lead[i] = is_input[i]
                continue
            ps = parents[i]
            found = [k for k, j in enumerate(ps) if lead[j]]
            if not found and not is_input[i]:
                continue
            lead[i] = 1
            edges[i] = found
            rules_of = code.derivatives
            for k in found:
                rule = rules_of[k]
                if rule.reads_out:
                    needed[i] = 1
                for j in rule.used:
                    needed[ps[j]] = 1
        needed[root] = 1
        names: list[str | None] = [None] * n
        # A node written inside its user's expression: (text, precedence, depth).
        pending: dict[int, tuple[str, int, int]] = {}

        # Forward: parents before the nodes that use them.
        emit = self.emit
        for i in range(n - 1, -1, -1):
            code = codes[i]
            if code is None:
                name = names[i] = self.new_name()
                self.leaf_names[name] = every[i]
                continue
            template = code.forward
            reads = template.reads
            args = []
            depth = 0
            for k, j in enumerate(parents[i]):
                known = names[j]
                if known is not None:
                    args.append(known)
                    continue
                text, precedence, d = pending.pop(j)
                if reads[k] != 1:  # read more than once (or not at all): compute it once, here
                    args.append(emit(text))
                    names[j] = args[-1]
                    continue
                args.append(f"({text})" if precedence < template.wants[k] else text)
                if d > depth:
                    depth = d
            text = template.text.format(*args)
            depth += template.depth + 1
            if uses[i] != 1 or needed[i] or depth > MAX_DEPTH or len(text) > MAX_TEXT:
                names[i] = self.emit(text)
            else:
                # A template that is one field alone takes its argument's precedence: assume the lowest.
                precedence = CONDITION if template.precedence is None else template.precedence
                pending[i] = (text, precedence, depth)
        out_name = names[root]
        assert out_name is not None
        self.forward_end = len(self.statements)
        # Backward: each node's δ once all the nodes that use it are done, in backward's order.
        # The terms of each δ not yet summed: the first as written (its precedence in `first_precedence`),
        # the others ready to follow a `+`.
        terms: list[list[str] | None] = [None] * n
        terms[root] = ["seed"]
        first_depth = [0] * n
        first_precedence = [ATOM] * n
        results: dict[int, str] = {}
        sum_terms = self.sum_terms
        for i in order:
            if not lead[i]:
                continue
            collected = terms[i]
            assert collected is not None
            terms[i] = None
            code = codes[i]
            if code is None or is_input[i]:
                delta, precedence, depth = sum_terms(
                    collected, first_precedence[i], first_depth[i], force=True
                )
                results[id(every[i])] = delta
                if code is None:
                    continue
                node_edges = edges[i]
            else:
                node_edges = edges[i]
                once = len(node_edges) == 1 and code.derivatives[node_edges[0]].d_once
                delta, precedence, depth = sum_terms(
                    collected, first_precedence[i], first_depth[i], force=not once
                )
            ps = parents[i]
            out = names[i] or ""
            for k in node_edges:
                rule = code.derivatives[k]
                filled = f"({delta})" if precedence < rule.need else delta
                used = rule.used
                if rule.bare:
                    term = filled
                elif used:
                    term = rule.text.format(*[names[ps[j]] for j in used], out=out, d=filled)
                else:
                    term = rule.text.format(out=out, d=filled)
                term_depth = depth + rule.depth + 1
                term_precedence = precedence if rule.precedence is None else rule.precedence
                j = ps[k]
                found_terms = terms[j]
                if found_terms is None:
                    if term_depth > MAX_DEPTH:
                        term, term_depth, term_precedence = self.emit(term), 0, ATOM
                    terms[j] = [term]
                    first_depth[j] = term_depth
                    first_precedence[j] = term_precedence
                else:
                    found_terms.append(f"({term})" if term_precedence < PRODUCT else term)
                    if len(found_terms) >= MAX_TERMS:
                        terms[j] = [self.emit(_joined(found_terms, first_precedence[j]))]
                        first_depth[j] = 0
                        first_precedence[j] = ATOM
        # Only the statements are needed from here on: the graph's tables are freed on return.
        self.every, self.order = [], []
        return out_name, [results[id(v)] for v in self.inputs]

    def sum_terms(self, collected: list[str], first: int, depth: int, *, force: bool) -> tuple[str, int, int]:
        """The δ made of `collected` terms, as (text, precedence, depth): a name, or (if not `force`d)
        one term kept as an expression."""
        if len(collected) == 1:
            text = collected[0]
            if text == "seed" or (text[0] == "v" and text[1:].isdigit()):  # a name
                return text, ATOM, 0
            if not force:
                return text, first, depth
        return self.emit(_joined(collected, first)), ATOM, 0

    def finish(self, out_name: str, result_names: list[str]) -> _Compiled:
        statements = self.statements
        total = sum(len(text) for _, text in statements)
        namespace: dict[str, Any] = {
            **self.rules.namespace,
            "one_like": one_like,
            "P": PLAIN_NUMBERS,
            "check_leaves": _check_leaves,
        }
        leaves: list[Value] = []
        if total <= CHUNK_CHARACTERS:
            read = self.leaf_names_in([*statements, ("", out_name)], set())
            body = self.reads(read, leaves)
            body += [f"    {name} = {text}" for name, text in statements[: self.forward_end]]
            body += [
                "    if not grads:",
                f"        return {out_name}, ()",
                "    if seed is None:",
                f"        seed = one_like({out_name})",
            ]
            body += [f"    {name} = {text}" for name, text in statements[self.forward_end :]]
            results = ", ".join(result_names)
            body.append(f"    return {out_name}, ({results}{',' if len(result_names) == 1 else ''})")
            source = "\n".join(["def replay(L, seed, grads):", *body])
            exec(compile(source, "<autodiff tape>", "exec"), namespace)
            return _Compiled([source], namespace["replay"], leaves)
        return self.finish_in_chunks(out_name, result_names, namespace, leaves)

    def leaf_names_in(self, statements: Sequence[tuple[str, str]], defined: set[str]) -> list[str]:
        """The leaves read by `statements` and not in `defined`, in order of first use."""
        found: dict[str, None] = {}
        for _, text in statements:
            for name in _NAME.findall(text):
                if name in self.leaf_names and name not in defined:
                    found[name] = None
        return list(found)

    def reads(self, names: list[str], leaves: list[Value]) -> list[str]:
        """Lines reading the leaves `names` (appended to `leaves`), checking their numbers once."""
        if not names:
            return []
        start = len(leaves)
        leaves.extend(self.leaf_names[name] for name in names)
        end = len(leaves)
        lines = [
            f"    D = [x.data for x in L[{start}:{end}]]",
            f"    if not set(map(type, D)) <= P: D = check_leaves(D, L, {start})",
        ]
        if len(names) <= MAX_UNPACK:
            return [*lines, f"    {', '.join(names)}, = D"]
        for k in range(0, len(names), MAX_UNPACK):
            lines.append(f"    {', '.join(names[k : k + MAX_UNPACK])}, = D[{k}:{k + MAX_UNPACK}]")
        return lines

    def finish_in_chunks(
        self, out_name: str, result_names: list[str], namespace: dict[str, Any], leaves: list[Value]
    ) -> _Compiled:
        statements = self.statements
        leaf_names = self.leaf_names
        # Pieces end at the end of the forward pass and whenever a piece's text or its number of
        # local names gets large: a frame of more than about 2,000 locals no longer fits in the
        # interpreter's stack of frames, and each call would then allocate and free fresh memory.
        chunks: list[tuple[int, int]] = []
        reads: list[list[str]] = []  # per piece: the names it reads that another defined, by number
        forward_chunks = 0
        for lo, hi in ((0, self.forward_end), (self.forward_end, len(statements))):
            start, cost = lo, 0
            local: set[str] = set()  # every name the piece reads or defines
            update = local.update
            for k in range(lo, hi):
                name, text = statements[k]
                cost += len(text)
                update(_NAME.findall(text))
                local.add(name)
                if cost >= CHUNK_CHARACTERS or len(local) >= MAX_LOCALS or k == hi - 1:
                    # A name is defined once, before it is read: those read but not defined here
                    # come from elsewhere.
                    local.difference_update(statements[m][0] for m in range(start, k + 1))
                    chunks.append((start, k + 1))
                    reads.append(sorted(local, key=_number))
                    start, cost = k + 1, 0
                    local = set()
                    update = local.update
            if lo == 0:
                forward_chunks = len(chunks)
        defined_in = array("l", [-1]) * (self.count + 1)
        for c, (lo, hi) in enumerate(chunks):
            for k in range(lo, hi):
                defined_in[int(statements[k][0][1:])] = c
        # Numbers pass from piece to piece through one list `S`. The leaves come first, then the
        # numbers in the order pieces first read them, so that a piece mostly reads a run of
        # neighbouring slots with one slice.
        slots: dict[str, int] = {}
        for outside in reads:
            for name in outside:
                if name in leaf_names and name not in slots:
                    slots[name] = len(slots)
        for name in (out_name, *result_names):
            if name in leaf_names and name not in slots:
                slots[name] = len(slots)
        leaves.extend(leaf_names[name] for name in slots)
        for outside in reads:
            for name in outside:
                if name not in slots:
                    slots[name] = len(slots)
        for name in (out_name, *result_names):
            if name != "seed" and name not in slots:
                slots[name] = len(slots)
        stores: list[list[str]] = [[] for _ in chunks]
        for name in slots:
            if name not in leaf_names:
                stores[defined_in[int(name[1:])]].append(name)
        sources = []
        calls = []
        for c, (lo, hi) in enumerate(chunks):
            body = _moves(sorted(reads[c], key=slots.__getitem__), slots, load=True)
            body += [f"    {name} = {text}" for name, text in statements[lo:hi]]
            statements[lo:hi] = [("", "")] * (hi - lo)  # compiled below: the text is no longer needed
            body += _moves(sorted(stores[c], key=slots.__getitem__), slots, load=False)
            backward = c >= forward_chunks
            head = f"def chunk{c}(S{', seed' if backward else ''}):"
            sources.append("\n".join([head, *body, "    return None"]))
            del body
            exec(compile(sources[-1], "<autodiff tape>", "exec"), namespace)
            calls.append(f"    chunk{c}(S{', seed' if backward else ''})")
        namespace["NONE"] = (None,) * (len(slots) - len(leaves))
        out = f"S[{slots[out_name]}]"
        results = [name if name == "seed" else f"S[{slots[name]}]" for name in result_names]
        driver = [
            "def replay(L, seed, grads):",
            "    S = [x.data for x in L]",
            "    if not set(map(type, S)) <= P: S = check_leaves(S, L, 0)",
            "    S += NONE",
            *calls[:forward_chunks],
            "    if not grads:",
            f"        return {out}, ()",
            "    if seed is None:",
            f"        seed = one_like({out})",
            *calls[forward_chunks:],
            f"    return {out}, ({', '.join(results)}{',' if len(results) == 1 else ''})",
        ]
        sources.append("\n".join(driver))
        exec(compile(sources[-1], "<autodiff tape>", "exec"), namespace)
        return _Compiled(sources, namespace["replay"], leaves)


def _number(name: str) -> int:
    return int(name[1:])


def _joined(terms: list[str], first: int) -> str:
    """`terms` added left to right (the first has precedence `first`, the others are ready)."""
    if first < SUM and len(terms) > 1:
        return " + ".join([f"({terms[0]})", *terms[1:]])
    return " + ".join(terms)


def _moves(names: list[str], slots: dict[str, int], *, load: bool) -> list[str]:
    """Lines moving `names` (sorted by slot) between locals and `S`: a slice per run of neighbours."""
    lines = []
    k = 0
    while k < len(names):
        first = slots[names[k]]
        end = k + 1
        # Runs of at most MAX_UNPACK: unpacking pushes every item on the frame's stack.
        while end < len(names) and end - k < MAX_UNPACK and slots[names[end]] == first + end - k:
            end += 1
        run = names[k:end]
        if len(run) == 1:
            lines.append(f"    {run[0]} = S[{first}]" if load else f"    S[{first}] = {run[0]}")
        elif load:
            lines.append(f"    {', '.join(run)}, = S[{first}:{first + len(run)}]")
        else:
            lines.append(f"    S[{first}:{first + len(run)}] = {', '.join(run)},")
        k = end
    return lines

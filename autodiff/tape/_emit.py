"""The table's rules as code templates: traced to trees (`autodiff.trace`), rendered through a dialect.

A rule stays an expression tree until it is written; a *dialect* says how the few constructs
whose spelling depends on what the numbers are get written: a decision (`a if c else b` on Python
numbers, `where(c, a, b)` on arrays), `zero_like`/`one_like`, and the function a rule that must be
called (not traced) is replaced by. `PythonScalar` writes the scalar `Tape`'s code; `NumPy` and
`Torch` (in `_batched.py`) write the batched replay's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from ..ops import Primitive
from ..trace import Expr, slot
from ._trace import _times, _traced

# A primitive with more inputs than this (a long `sum`) is called, not written out.
MAX_INLINED_ARITY = 24

ATOM, POWER, UNARY, PRODUCT, SUM, COMPARISON, CONDITION = 100, 15, 14, 13, 12, 5, 1
# A template's field while it is rendered: it takes whatever it is filled with, and records the
# precedence its place needs, so that a filled-in expression gets parentheses only where needed.
FIELD = 1_000
_BINARY = {"+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT, "**": POWER}

Part = tuple[str, int, int]  # (text, precedence, depth)


class Dialect:
    """How a template spells decisions, `zero_like`/`one_like` and the functions it calls."""

    name = "python"

    def cond(self, test: Part, yes: Part, no: Part, needs: dict[str, int]) -> tuple[str, int]:
        """A decision: (text, precedence)."""
        raise NotImplementedError

    def like(self, number: int, operand: Part, needs: dict[str, int]) -> str:
        """`zero_like(x)` (number 0) or `one_like(x)` (number 1), an atom."""
        raise NotImplementedError

    def called(self, prim: Primitive, role: str, rule: Callable[..., Any]) -> Callable[..., Any]:
        """The function the code calls for a rule that cannot be traced (`role`: forward, d0, d1, ...)."""
        raise NotImplementedError

    def constant(self, x: Any) -> Any:
        """The number a template holds for a constant of a rule."""
        return x


class PythonScalar(Dialect):
    """Python numbers (int, float, Fraction): `a if c else b`, `type(x)(0)`, the rules called as they are."""

    name = "python"

    def cond(self, test: Part, yes: Part, no: Part, needs: dict[str, int]) -> tuple[str, int]:
        chosen, tested = _wrap(yes, CONDITION + 1, needs), _wrap(test, CONDITION + 1, needs)
        return f"{chosen} if {tested} else {_wrap(no, CONDITION, needs)}", CONDITION

    def like(self, number: int, operand: Part, needs: dict[str, int]) -> str:
        return f"type({_wrap(operand, COMPARISON, needs)})({number})"

    def called(self, prim: Primitive, role: str, rule: Callable[..., Any]) -> Callable[..., Any]:
        return rule


PYTHON_SCALAR = PythonScalar()


class _Rules:
    """Per primitive: its forward and each δ·derivative as code templates, from the table's rules.

    A template is a format string over `{0}`, `{1}`, ... (the inputs, each an atom: a name or a
    parenthesised expression), `{out}` (the node's number) and `{d}` (the δ arriving at the node).
    """

    def __init__(self, dialect: Dialect = PYTHON_SCALAR) -> None:
        self.dialect = dialect
        self.namespace: dict[str, Any] = {}
        self._constants: dict[tuple[type, Any], str] = {}
        self._done: dict[int, _PrimCode] = {}
        self._forwards: dict[int, _Template] = {}
        self._numbers: dict[int, int] = {}
        self._keep: list[Primitive] = []  # the ids above stay valid while the primitives live

    def of(self, prim: Primitive) -> _PrimCode:
        """The templates of `prim` (made once per primitive object)."""
        found = self._done.get(id(prim))
        if found is None:
            index, label = self._label(prim)
            slots = [slot(str(i)) for i in range(prim.arity)]
            forward = self.forward_of(prim)
            derivatives = []
            out = slot("out")
            delta = slot("d")
            # An n-input primitive often repeats one rule (`sum`: n times "1"): trace each rule once.
            made: dict[int, _Derivative] = {}
            for i, rule in enumerate(prim.derivatives):
                if id(rule) not in made:
                    tree = _traced(rule, [*slots, out])
                    template = None if tree is None else _render_template(_times(delta, tree), self)
                    if template is None:
                        name = f"d{index}_{label}_{i}"
                        self.namespace[name] = self.dialect.called(prim, f"d{i}", rule)
                        template = _render_template(_times(delta, Expr("call", name, *slots, out)), self)
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
            slots = [slot(str(i)) for i in range(prim.arity)]
            tree = _traced(prim.forward, slots) if len(slots) <= MAX_INLINED_ARITY else None
            template = None if tree is None else _render_template(tree, self)
            if template is None:
                name = f"f{index}_{label}"
                self.namespace[name] = self.dialect.called(prim, "forward", prim.forward)
                template = _render_template(Expr("call", name, *slots), self)
                assert template is not None
            found = self._forwards[id(prim)] = template
            found.reads += [0] * (prim.arity - len(found.reads))
            found.wants += [0] * (prim.arity - len(found.wants))
            self._keep.append(prim)
        return found

    def _label(self, prim: Primitive) -> tuple[int, str]:
        # The name only makes the code readable; a Primitive made directly may have any name.
        index = self._numbers.setdefault(id(prim), len(self._numbers))
        return index, prim.name if prim.name.isidentifier() else "op"

    def constant(self, x: Any) -> str:
        """Source text for a number in a template: a literal, or the name of a stored constant."""
        x = self.dialect.constant(x)
        if type(x) is int or (type(x) is float and math.isfinite(x)):
            return repr(x)
        key = (type(x), x)
        name = self._constants.get(key)
        if name is None:
            name = f"k{len(self._constants)}"
            self._constants[key] = name
            self.namespace[name] = x
        return name


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


def _render_template(tree: Expr, rules: _Rules) -> _Template | None:
    """The tree as a template, or None if it is too deep to be written as one expression."""
    from . import MAX_DEPTH  # read at each use: tests lower the limits

    needs: dict[str, int] = {}
    try:
        text, precedence, depth = _render(tree, rules, needs)
    except RecursionError:
        return None
    if depth > MAX_DEPTH:
        return None
    counts: dict[str, int] = {}
    for field in _SLOT.findall(text):
        counts[field] = counts.get(field, 0) + 1
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


def _wrap(part: Part, below: int, needs: dict[str, int] | None = None) -> str:
    """The part's text, in parentheses if its precedence is below `below` (a field records `below`)."""
    text, precedence, _ = part
    if precedence == FIELD:
        if needs is not None:
            field = text[1:-1]
            needs[field] = max(needs.get(field, 0), below)
        return text
    return f"({text})" if precedence < below else text


def _render_compared(tree: Expr, rules: _Rules, needs: dict[str, int]) -> Part:
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


def _render(tree: Expr, rules: _Rules, needs: dict[str, int]) -> Part:
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
        text, precedence = rules.dialect.cond(condition, yes, no, needs)
        return text, precedence, max(condition[2], yes[2], no[2]) + 1
    if kind == "like":
        a = _render(items[1], rules, needs)
        return rules.dialect.like(items[0], a, needs), ATOM, a[2] + 1
    if kind == "apply":  # another primitive's forward template, applied to sub-expressions
        prim, args = items
        template = rules.forward_of(prim)
        parts = [_render(a, rules, needs) for a in args]
        filled = template.text.format(*[_wrap(p, ATOM, needs) for p in parts])
        depth = template.depth + max((p[2] for p in parts), default=0)
        return filled, ATOM if template.atom else CONDITION, depth
    raise AssertionError(kind)

"""The chain rule in symbols: what each arrow of a backward picture says, as text.

The public API (stable; the drawings and the step-through page use only this):

    display_name(node, names=None, depth=2) -> str
        A node's name: `names[node]`, else `node.name`, else one made from its inputs, e.g.
        `w2_1·o1_1` for a product in L2, `o3 − y_truth`, `relu(o2)`; at most `depth` levels deep
        (deeper inputs are shown as `…`). An unnamed constant is its number.
    local_symbol(node, index, names=None) -> str
        ∂node/∂input_index in symbols: `w2_1` for a product, `1` for add/sum/identity,
        `2·(o3 − y_truth)` for a square, `1 − o²` for tanh, `relu′(o2)` where the rule took a
        decision (and its value is then a plain number), `∂op/∂name` when the rule cannot be traced.
    delta_symbol(node, delta_names=None, names=None) -> str
        The name of a node's δ: `delta_names[node]`, else `δ` + its name (`δw2_1`), else `δ(…)`.
    edge_chain(node, index, names=None, delta_names=None) -> EdgeChain
        Everything one arrow says (δ names, factor, numbers); `.sentence()` is the full sentence,
        `δ2_1 = δ3 · w2_1 = (−1) · 1/200 = −1/200`, `.lines()` the short form drawn on arrows.
    edge_sentence(node, index, names=None, delta_names=None) -> str
        `edge_chain(...).sentence()`.
    update_sentence(weight, lr, names=None, delta_names=None) -> str
        The article's step 5: `ŵ2_3 = w2_3 − α·δw2_3 = 1/5800 − 10⁻⁷·(−3000) = 59/580000`.
    number(x) -> str
        A number as labels show it: exact numbers exactly (`−3/11600`, `10⁻⁷`), floats to 4
        significant digits, true minus signs (U+2212).
    ChainRule(root, names=None, delta_names=None)
        The same, for one graph: `.display_name(n)`, `.local_symbol(n, i)`, `.delta_symbol(n)`,
        `.edge(n, i)`, `.update(w, lr)`. Within a graph an unnamed node whose only use passes its δ
        on unchanged (a term of a sum) shares its user's δ name, so the article's arrow into o1_1
        reads `δ2_1 = δ3 · w2_1` rather than naming the product's own δ.

How the symbols are found: the primitive's own local-derivative rule is run on symbols by the
core's one tracer, `autodiff.trace_rule(rule, args, decide=by_value, values=...)`, which takes each
decision by the true number, as the backward pass takes it, and gives the expression tree of the
branch taken. The tree is written as text here with light simplification (·1, 1·, x^1, constants
folded). There is no second table of derivatives, and no second tracer.

The names themselves (display_name, delta_symbol, the ŵ name) and the ids of nodes and SVG elements
are made in `viz.names`; they are importable from here as before.

Element ids in the SVG drawings and the step page (for pages that script them; made by
`viz.names`): each node is `id="node-<rid>"`, each arrow `id="edge-<parent rid>-<child rid>-<input
index>"`, each layer box `id="layer-<i>"`, where `<rid>` is the node's id from `viz.names.Names`
(`n0` is the loss); views other than "backward" prefix their name (`forward-node-n0`). Nodes also
carry `class="ad-node ad-<kind>"` (kind: weight, input, constant, operation, neuron, summary) and
arrows `class="ad-edge"` (Graphviz adds its own `node`/`edge` classes). Every arrow's tooltip is
its `sentence()`; every node's tooltip is its name, value and δ (and its update with `lr=`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from autodiff import Value, ops, topological_order
from autodiff.trace import Expr, UntraceableRule, by_value, slot, trace_rule

from . import text
from .names import (
    ADD,
    ATOM,
    MUL,
    NAME_CHARS,
    NEG,
    POW,
    SUPERSCRIPTS,
    default_delta,
    delta_symbol,
    display,
    display_name,
    hat,
    lookup,
    name_of,
    short_names,
)
from .text import MINUS, negative

SHORT_ARGUMENT = 12
LINE_CHARS = 16
ONE_LINE_CHARS = 20
"""`δ3 · 1 = −1` stays on one line; a longer `δ1_2 = δ2_2 · 1 = 3/11600` takes two: a narrower column."""
"""An arrow's line of names longer than this is broken after `δ =`."""
NUMBERS_CHARS = 20
"""Longer lines of numbers on an arrow are drawn on two lines: the product, then its value."""

number = text.shown
"""`1/200`, `−3/11600`, `10⁻⁷`, `0.4828`: a number as the labels show it (`viz.text.shown`)."""
_factor = text.factor


# --- a rule's tree as text ------------------------------------------------------------------------


class _Untraceable(Exception):
    """The tree calls a primitive whose forward works on floats: it has no text here."""


@dataclass(frozen=True)
class _Text:
    """A rendered sub-expression: its text, its true number, its precedence, whether it is a constant."""

    text: str
    value: Any
    prec: int
    const: bool = False

    def wrap(self, need: int) -> str:
        return self.text if self.prec >= need else f"({self.text})"

    def is_(self, k: Any) -> bool:
        return self.const and _equal(self.value, k)


def _const(value: Any) -> _Text:
    shown = number(value)
    return _Text(shown, value, NEG if shown.startswith(MINUS) else ATOM, True)


def _add(a: _Text, b: _Text) -> _Text:
    if a.const and b.const:
        return _const(a.value + b.value)
    if a.is_(0):
        return b
    if b.is_(0):
        return a
    if b.const and negative(b.value):
        return _Text(f"{a.wrap(ADD)} {MINUS} {number(-b.value)}", a.value + b.value, ADD)
    return _Text(f"{a.wrap(ADD)} + {b.wrap(ADD)}", a.value + b.value, ADD)


def _sub(a: _Text, b: _Text) -> _Text:
    if a.const and b.const:
        return _const(a.value - b.value)
    if b.is_(0):
        return a
    if a.is_(0):
        return _neg(b)
    return _Text(f"{a.wrap(ADD)} {MINUS} {b.wrap(NEG)}", a.value - b.value, ADD)


def _mul(a: _Text, b: _Text) -> _Text:
    value = a.value * b.value
    if (a.const and b.const) or a.is_(0) or b.is_(0):
        return _const(value)
    if a.is_(1):
        return b
    if b.is_(1):
        return a
    if a.is_(-1):
        return _neg(b)
    if b.is_(-1):
        return _neg(a)
    if a.text == b.text:
        return _Text(f"{a.wrap(ATOM)}²", value, POW)
    if b.const and not a.const:
        a, b = b, a  # a constant factor first: 2·x
    return _Text(f"{a.wrap(MUL)}·{b.wrap(MUL)}", value, MUL)


def _div(a: _Text, b: _Text) -> _Text:
    value = _divide(a.value, b.value)
    if a.const and b.const:
        return _const(value)
    if b.is_(1):
        return a
    return _Text(f"{a.wrap(MUL)}/{b.wrap(POW)}", value, MUL)


def _pow(a: _Text, b: _Text) -> _Text:
    value = a.value**b.value
    if a.const and b.const:
        return _const(value)
    if b.is_(1):
        return a
    if b.is_(0):
        return _const(value)
    if b.const and b.value in SUPERSCRIPTS and not isinstance(b.value, bool):
        return _Text(f"{a.wrap(ATOM)}{SUPERSCRIPTS[int(b.value)]}", value, POW)
    return _Text(f"{a.wrap(ATOM)}^{b.wrap(ATOM)}", value, POW)


def _neg(a: _Text) -> _Text:
    if a.const:
        return _const(-a.value)
    if a.prec == NEG:
        return _Text(a.text[1:], -a.value, ATOM)  # −(−x) = x
    return _Text(f"{MINUS}{a.wrap(MUL)}", -a.value, NEG)


_BINARY = {"+": _add, "-": _sub, "*": _mul, "/": _div, "**": _pow}


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # an exotic number type: treat as different
        return False


def _divide(a: Any, b: Any) -> Any:
    if isinstance(a, numbers.Rational) and isinstance(b, numbers.Rational):
        return Fraction(a) / Fraction(b) if b != 0 else math.nan
    try:
        return a / b
    except ZeroDivisionError:
        return math.nan


def _render(tree: Expr, slots: Mapping[str, _Text]) -> _Text:
    """`tree` (from `trace_rule`) as text, lightly simplified: ·1, 1·, x^1 dropped, constants folded."""
    kind, items = tree.kind, tree.items
    if kind == "slot":
        return slots[items[0]]
    if kind == "const":
        return _const(items[0])
    if kind == "bin":
        return _BINARY[items[0]](_render(items[1], slots), _render(items[2], slots))
    if kind == "neg":
        return _neg(_render(items[0], slots))
    if kind == "pos":
        return _render(items[0], slots)
    if kind == "like":
        operand = _render(items[1], slots)
        return _const(type(operand.value)(items[0]))
    if kind == "apply":
        prim, operands = items
        args = [_render(a, slots) for a in operands]
        if prim is ops.div:  # exact division: written as a fraction
            return _div(*args)
        if prim is ops.pow and not (args[0].const and args[1].const):
            if negative(args[0].value) and not args[1].const:
                raise _Untraceable  # a negative base to a learned power: its value is all we have
            return _pow(*args)
        if all(a.const for a in args):
            return _const(prim.forward(*[a.value for a in args]))
        raise _Untraceable  # a forward on floats (cos, exp, ...): no text
    raise _Untraceable


# --- local derivatives in symbols -------------------------------------------------------------


def _symbol_of(node: Value, names: dict[int, str]) -> tuple[Expr, _Text | None]:
    """What stands for `node` inside a rule: a constant, or a slot with its name and its true number."""
    if node.is_leaf and not node.requires_grad and id(node) not in names and node.name is None:
        return Expr("const", node.data), None
    shown, prec = name_of(node, names, 2)
    if len(shown) > NAME_CHARS:
        shown, prec = name_of(node, names, 1)
    return slot(f"x{id(node)}"), _Text(shown, node.data, prec)


def _local(node: Value, index: int, names: dict[int, str]) -> tuple[str, str | None]:
    """(∂node/∂input_index in symbols, the `op′(input) = value` line when a decision was taken)."""
    prim = node.primitive
    if prim is None:
        raise ValueError(f"{display_name(node)} is a leaf: it has no inputs to differentiate by")
    parents = node.parents
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(parents):
        raise ValueError(f"index must be an input number from 0 to {len(parents) - 1}, got {index!r}")
    op = node.op or "op"
    target = display(parents[index], names, 1)
    fallback = f"∂{op}/∂{target}"
    args: list[Expr] = []
    slots: dict[str, _Text] = {}
    for p in parents:
        arg, shown = _symbol_of(p, names)
        args.append(arg)
        if shown is not None:
            slots[arg.items[0]] = shown
    out_prec = ATOM if node.name else name_of(node, names, 2)[1]
    args.append(slot("out"))
    slots["out"] = _Text(display(node, names), node.data, out_prec)
    values = [p.data for p in parents] + [node.data]
    decided = untraceable = symbolic = False
    try:
        traced = trace_rule(prim.derivatives[index], args, decide=by_value, values=values)
        result: _Text | None = _render(traced.tree, slots)
        decided = traced.decided
        # A plain number returned by the rule (not one computed from its inputs) says nothing in symbols.
        symbolic = traced.tree.kind != "const" or any(traced.tree is a for a in args)
    except UntraceableRule as refusal:
        if refusal.__cause__ is not None:  # the rule raised on these numbers: it has no value here
            return fallback, None
        result, untraceable = None, True
    except _Untraceable:
        result, untraceable = None, True
    except Exception:  # a tree with no value here
        return fallback, None
    if result is not None and symbolic:
        return result.text, None
    where_text = None
    if decided or untraceable:
        where = ", ".join(display(p, names, 2) for p in parents)
        # A long argument is left out: the `op′(number) = value` line says where it was taken.
        symbol = (
            (f"{op}′({where})" if len(where) <= SHORT_ARGUMENT else f"{op}′")
            if len(parents) == 1
            else fallback
        )
        try:
            value = prim.local_derivative(index, [p.data for p in parents], node.data)
            args_text = ", ".join(number(p.data) for p in parents)
            where_text = f"{op}′({args_text}) = {number(value)}" if len(parents) == 1 else None
        except Exception:
            where_text = None
        return symbol, where_text
    assert result is not None
    return result.text, None


def local_symbol(node: Value, index: int, names: Mapping[Value, str] | None = None) -> str:
    """∂node/∂input_index as symbols: `w2_1`, `1`, `2·(o3 − y_truth)`, `relu′(o2)`, `∂op/∂x`."""
    return _local(node, index, lookup(names))[0]


# --- one arrow ----------------------------------------------------------------------------------


__all__ = [
    "MINUS",
    "ChainRule",
    "EdgeChain",
    "bracketed",
    "delta_symbol",
    "display_name",
    "edge_chain",
    "edge_sentence",
    "local_symbol",
    "number",
    "update_sentence",
]


def _plain(x: Any) -> Any:
    return x.data if isinstance(x, Value) else x


def bracketed(factor: str) -> str:
    """`factor` in brackets when `δ · factor` would misread: it is negative or a sum/difference."""
    if factor.startswith(MINUS) or factor.startswith("-"):
        return f"({factor})"
    depth = 0
    for k, ch in enumerate(factor):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and ch in ("+", MINUS) and factor[k - 1 : k] == " ":
            return f"({factor})"
    return factor


@dataclass(frozen=True)
class EdgeChain:
    """What one arrow of the backward view says: δ_input = δ_output · ∂output/∂input, in symbols and numbers.

    `target` is the δ name of the input when this arrow brings its whole δ (None when the input is used
    several times, so that its δ is a sum); `where` is e.g. `relu′(0) = 1` when `factor` is `relu′(o2)`.
    `local` and `contribution` are None when the local derivative has no value here.
    """

    target: str | None
    delta: str
    factor: str
    delta_value: Any
    local: Any
    contribution: Any
    where: str | None = None

    def symbols(self) -> str:
        """`δ3 · w2_1`; a factor that is a sum, a difference or negative in brackets: `δ(a − b) · (−1)`."""
        return f"{self.delta} · {bracketed(self.factor)}"

    def numbers(self) -> str:
        """`(−1) · 1/200 = −1/200`."""
        if self.local is None:
            return f"{_factor(self.delta_value)} · (undefined)"
        return f"{_factor(self.delta_value)} · {_factor(self.local)} = {number(self.contribution)}"

    def sentence(self) -> str:
        """`δ2_1 = δ3 · w2_1 = (−1) · 1/200 = −1/200`, the full chain-rule sentence."""
        head = "" if self.target is None or self.target == self.delta else f"{self.target} = "
        tail = f"; {self.where}" if self.where else ""
        return f"{head}{self.symbols()} = {self.numbers()}{tail}"

    def lines(self) -> list[str]:
        """The short form drawn on an arrow, one string per line: names, then numbers.

        A constant factor (`· 1` into a sum) needs no numbers line: `δ3 · 1 = −1`.
        """
        head = self.sentence_head()
        if self.local is not None and self.factor == number(self.local):
            one = f"{head} = {number(self.contribution)}"
            if len(one) <= ONE_LINE_CHARS:
                return [one]
            return [*self._split(head), f"= {number(self.contribution)}"]
        out = self._split(head)
        if self.where:
            out.append(self.where)
        product = f"= {self.numbers()}"
        if len(product) > NUMBERS_CHARS and self.local is not None:
            # `= (−1) · (−3/11600)` over `= 3/11600`: a narrow label leaves room between neighbours.
            factors = f"= {_factor(self.delta_value)} · {_factor(self.local)}"
            return [*out, factors, f"= {number(self.contribution)}"]
        out.append(product)
        return out

    def _split(self, head: str) -> list[str]:
        if len(head) <= LINE_CHARS or self.target is None or self.target == self.delta:
            return [head]
        return [f"{self.target} =", self.symbols()]

    def sentence_head(self) -> str:
        """`δ2_1 = δ3 · w2_1` (just `δ3 · w2_1` when the input's δ has no name of its own here)."""
        if self.target is None or self.target == self.delta:
            return self.symbols()
        return f"{self.target} = {self.symbols()}"


class ChainRule:
    """The chain rule in symbols for the graph that produced `root` (see the module docstring)."""

    def __init__(
        self,
        root: Value,
        names: Mapping[Value, str] | None = None,
        delta_names: Mapping[Value, str] | None = None,
        *,
        order: list[Value] | None = None,
    ):
        if not isinstance(root, Value):
            raise TypeError(f"ChainRule reads a Value's graph, got {type(root).__name__}")
        self.root = root
        self._order = order  # the graph's walk, when the caller (viz.names.Names) has made it
        given = lookup(names)
        self._given = given
        # Unnamed operations with long made-up names are called s1, z1, … (each with its key).
        self._shorts, self._keys = short_names(
            order or topological_order(root, only_requiring_grad=False), given
        )
        self._names = {**given, **self._shorts}
        self._deltas = lookup(delta_names)
        self._locals: dict[tuple[int, int], tuple[str, str | None]] = {}
        self._delta_cache: dict[int, str] = {}
        self._uses: dict[int, list[tuple[Value, int]]] | None = None

    def display_name(self, node: Value, depth: int = 2) -> str:
        """See `display_name`."""
        return display(node, self._names, depth)

    def key(self, node: Value) -> str | None:
        """What `node`'s short name stands for (`o3 − y_truth` for `s1`), or None."""
        return self._keys.get(id(node))

    def local_symbol(self, node: Value, index: int) -> str:
        """See `local_symbol`."""
        return self._local(node, index)[0]

    def _local(self, node: Value, index: int) -> tuple[str, str | None]:
        key = (id(node), index)
        found = self._locals.get(key)
        if found is None:
            found = self._locals[key] = _local(node, index, self._names)
        return found

    def uses(self, node: Value) -> list[tuple[Value, int]]:
        """The (user, input index) pairs through which `node`'s δ arrives, in graph order."""
        if self._uses is None:
            self._uses = {}
            order = self._order or topological_order(self.root, only_requiring_grad=False)
            for user in order:
                for i, parent in enumerate(user.parents):
                    if parent.requires_grad:
                        self._uses.setdefault(id(parent), []).append((user, i))
        return self._uses.get(id(node), [])

    def delta_symbol(self, node: Value) -> str:
        """See `delta_symbol`; an unnamed term of a sum shares its user's δ name."""
        key = id(node)
        found = self._delta_cache.get(key)
        if found is not None:
            return found
        given = self._deltas.get(key)
        if given is None and node.name is None and key not in self._given and node is not self.root:
            uses = self.uses(node)
            if len(uses) == 1 and self._local(*uses[0])[0] == "1":
                given = self.delta_symbol(uses[0][0])
            elif len(uses) == 1 and node.op == "sum" and len(uses[0][0].parents) == 1:
                # The Σ of a neuron before its activation: named after the activation, `δΣo2_1`.
                user = uses[0][0]
                user_name = self._names.get(id(user), user.name)
                if user_name is not None:
                    given = f"δΣ{text.name(user_name)}"
        if given is None:
            given = default_delta(node, self._names)
        self._delta_cache[key] = given
        return given

    def edge(self, node: Value, index: int) -> EdgeChain:
        """What the arrow from `node` back to its input `index` says."""
        symbol, where = self._local(node, index)
        parent = node.parents[index]
        delta = _plain(node.grad)
        prim = node.primitive
        assert prim is not None
        try:
            local = _plain(prim.local_derivative(index, [p.data for p in node.parents], node.data))
            contribution = delta * local
        except Exception:  # no value here (sqrt at 0, ...): the arrow says so
            local = contribution = None
        target = self.delta_symbol(parent) if len(self.uses(parent)) <= 1 else None
        return EdgeChain(target, self.delta_symbol(node), symbol, delta, local, contribution, where)

    def update(self, weight: Value, lr: Any) -> str:
        """`ŵ2_3 = w2_3 − α·δw2_3 = 1/5800 − 10⁻⁷·(−3000) = 59/580000`: the weight's step (see `viz.update`).

        `lr` is a learning rate (plain SGD), an SGD or Adam optimizer, or a `viz.update.Rule`.
        """
        from .update import Rule, rule_of, update

        rule = lr if isinstance(lr, Rule) else rule_of(lr)
        name = self.display_name(weight, 1)
        sentence, _ = update(rule, weight, _plain(weight.grad), name, hat(name), self.delta_symbol(weight))
        return sentence


def edge_chain(
    node: Value,
    index: int,
    names: Mapping[Value, str] | None = None,
    delta_names: Mapping[Value, str] | None = None,
) -> EdgeChain:
    """What the arrow from `node` back to its input `index` says (δ names from `node`'s graph)."""
    if not isinstance(node, Value):
        raise TypeError(f"edge_chain reads a Value, got {type(node).__name__}")
    return ChainRule(node, names, delta_names).edge(node, index)


def edge_sentence(
    node: Value,
    index: int,
    names: Mapping[Value, str] | None = None,
    delta_names: Mapping[Value, str] | None = None,
) -> str:
    """`δ2_1 = δ3 · w2_1 = (−1) · 1/200 = −1/200` for the arrow from `node` back to input `index`."""
    return edge_chain(node, index, names, delta_names).sentence()


def update_sentence(
    weight: Value,
    lr: Any,
    names: Mapping[Value, str] | None = None,
    delta_names: Mapping[Value, str] | None = None,
) -> str:
    """The SGD step of `weight` with learning rate `lr`, in symbols then numbers, exactly."""
    if not isinstance(weight, Value):
        raise TypeError(f"update_sentence reads a Value, got {type(weight).__name__}")
    return ChainRule(weight, names, delta_names).update(weight, lr)

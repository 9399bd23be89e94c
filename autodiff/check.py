"""Check a hand derivation of the δs: which δ is wrong first, the rule that gives it, which mistake it is.

    report = check_deltas(loss, {"δ4": -1, "δ3": 0, "δw2_2": "δ3 * x2"})
    print(report)            # a ✓/✗ table, the first wrong δ's chain-rule sentence, the hints
    assert_deltas(loss, {...})   # raises DeltaMismatch (an AssertionError) with the same text

The right δs are computed here, by one walk over the graph from `root` with each primitive's local
derivative (the rule `backward()` applies): `check_deltas` neither needs `root.backward()` first nor
reads or writes any `.grad`.

A hint is a hypothesis about the mistake, recomputed on the graph (the sign flipped, a ReLU's kink
taken the other way, a path left out, the updated weights used, ...) and kept only when it gives the
learner's number exactly (within `rel`/`abs` when floats are involved). A wrong δ whose rule is right
but which used a wrong δ is `carried`: the error is further up, at `first_wrong`.
"""

from __future__ import annotations

import builtins
import itertools
import math
import numbers
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .backward import topological_order
from .exact import format_number, is_exact
from .value import Parameter, Value

MINUS = "\u2212"
HINT_CODES = (
    "sign",
    "factor",
    "relu_at_zero",
    "missing_path",
    "updated_weight",
    "learning_rate",
    "output_for_input",
    "carried",
)
"""Every hint code, in the order hints are tried."""

DEFAULT_LR = Fraction(1, 10**7)
"""The articles' α = 10⁻⁷: what the `updated_weight` and `learning_rate` hints try unless `lr=` is given."""

MAX_POWER_DIGITS = 10_000
"""The largest exact power a learner's expression may ask for, in digits (far beyond any δ)."""

KINKED = ("relu", "leaky_relu")
WATCHERS: list[Callable[[DeltaReport], None]] = []
"""Called with every report made (the pytest plugin collects a test's reports to show them on failure)."""
MAX_SUBSET_USES = 8
"""Every strict subset of a node's uses is tried up to this many uses; above it, leaving out one."""


@dataclass(frozen=True)
class Hint:
    """One mistake that reproduces the learner's number: a `code` (see HINT_CODES) and a sentence.

    `name` is the δ it explains (`δ3`).
    """

    code: str
    message: str
    name: str = ""


@dataclass(frozen=True)
class Row:
    """One δ the learner gave: its name (`δ3`), the learner's number, the right one, whether they agree.

    `given` is what the learner wrote (`"δ3 * x1"`), `node` the graph's node.
    """

    name: str
    expected: Any
    actual: Any
    ok: bool
    given: Any = None
    node: Value | None = field(default=None, repr=False, compare=False)


@dataclass
class DeltaReport:
    """The outcome of `check_deltas`: `.ok`, `.rows`, `.first_wrong`, `.hints`; `str()` is the full text."""

    rows: list[Row]
    first_wrong: str | None
    hints: list[Hint]
    rule: str | None = None
    """The chain-rule sentence that gives `first_wrong`'s right number, in symbols then numbers."""
    inputs_right: bool | None = None
    """Whether the δs `first_wrong`'s rule uses were right (then the rule itself went wrong)."""
    inputs_text: str = ""
    carried: list[str] = field(default_factory=list)
    """The wrong δs whose rule is right but which used a wrong δ."""
    nodes: dict[str, Value] = field(default_factory=dict, repr=False)
    """Each row's δ name to its node (for pictures)."""
    root: Value | None = field(default=None, repr=False)
    delta_names: dict[Value, str] = field(default_factory=dict, repr=False)
    """The δ names used (the articles' `δ3` at o2, ...), to draw the picture with the same names."""
    deltas: dict[Value, Any] = field(default_factory=dict, repr=False)
    """The right δ of every node of the graph (the check's own backward walk)."""

    @property
    def ok(self) -> bool:
        """True when every δ given is right."""
        return all(r.ok for r in self.rows)

    @property
    def wrong(self) -> list[str]:
        """The names of the wrong δs, in backward order."""
        return [r.name for r in self.rows if not r.ok]

    def hints_for(self, name: str) -> list[Hint]:
        """The hints that explain the δ called `name`."""
        return [h for h in self.hints if h.name == name]

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        # pytest prints the repr in its "where" line for `assert report.ok`: keep it one readable line.
        if self.ok:
            return f"<DeltaReport: all {len(self.rows)} δs right>"
        codes = ", ".join(h.code for h in self.hints_for(self.first_wrong or "")) or "no hint"
        return (
            f"<DeltaReport: {len(self.wrong)} of {len(self.rows)} δs wrong; "
            f"first wrong {self.first_wrong} ({codes}); print(report) for the derivation>"
        )

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        """The report as lines of text: summary, table, the first wrong δ's rule, the hints."""
        n = len(self.rows)
        if self.ok:
            head = f"δ check: all {n} δs right ✓"
        else:
            head = f"δ check: {n - len(self.wrong)} of {n} δs right; first wrong: {self.first_wrong}"
        out = [head, ""]
        width = max([len(r.name) for r in self.rows] + [1])
        yours = [_show(r.expected) for r in self.rows]
        rights = [_show(r.actual) for r in self.rows]
        ywidth = max([len(y) for y in yours] + [5])
        rwidth = max([len(y) for y in rights] + [5])
        out.append(f"     {'δ'.ljust(width)}  {'yours'.ljust(ywidth)}  {'right'.ljust(rwidth)}".rstrip())
        for r, y, a in zip(self.rows, yours, rights, strict=True):
            mark = "✓" if r.ok else "✗"
            given = ""
            if isinstance(r.given, str) and _normal_text(r.given) != _normal_text(y):
                given = f"  from {r.given!r}"
            out.append(
                f"  {mark}  {r.name.ljust(width)}  {y.ljust(ywidth)}  {a.ljust(rwidth)}{given}".rstrip()
            )
        if self.ok:
            return out
        out += ["", f"First wrong: {self.first_wrong}"]
        if self.rule:
            out.append(f"  {self.rule}")
        if self.inputs_text:
            out.append(f"  {self.inputs_text}")
        if self.hints:
            out += ["", "Hints:"]
            for h in self.hints:
                if h.code != "carried":
                    out.append(f"  {h.code} ({h.name}): {h.message}")
            if self.carried:
                out.append(
                    f"  carried ({', '.join(self.carried)}): the rule is right, but it used a wrong δ; "
                    f"fix {self.first_wrong} first."
                )
        return out


class DeltaMismatch(AssertionError):
    """Raised by `assert_deltas`: the message is the report's text; `.report` is the DeltaReport."""

    def __init__(self, report: DeltaReport):
        super().__init__(str(report))
        self.report = report


# --- numbers -------------------------------------------------------------------------------------


def _show(x: Any) -> str:
    """A number as the pictures write it (exactly, true minus signs)."""
    if x is None:
        return "?"
    try:
        from viz.chain import number  # lazy: autodiff never imports viz at module level

        return number(x)
    except ImportError:  # pragma: no cover - viz is in the same distribution
        return format_number(x).replace("-", MINUS)


def _normal_text(s: str) -> str:
    return s.replace(MINUS, "-").replace(" ", "")


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _exactly(x: Any) -> bool:
    return is_exact(x) and not isinstance(x, bool)


class _Tolerance:
    def __init__(self, rel: Any, abs_: Any):
        for what, v in (("rel", rel), ("abs", abs_)):
            if not _is_number(v) or v < 0 or (isinstance(v, float) and math.isnan(v)):
                raise ValueError(f"{what} must be a number >= 0, got {v!r}")
        self.rel, self.abs = rel, abs_

    def same(self, mine: Any, right: Any) -> bool:
        """`mine == right` for exact numbers; as pytest.approx(mine, rel, abs) when a float is involved."""
        if mine is None or right is None:
            return False
        if _exactly(mine) and _exactly(right):
            return bool(mine == right)
        try:
            a, b = float(mine), float(right)
        except (TypeError, ValueError, OverflowError):
            return False
        if math.isnan(a) or math.isnan(b):
            return False
        if a == b:
            return True
        return builtins.abs(a - b) <= max(self.rel * builtins.abs(a), self.abs)


# --- the learner's numbers: a small exact expression language ------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[^\W\d][\w′']*)"
    r"|(?P<op>\*\*|[-+*/^()·×÷]))"
)
_OPS = {"·": "*", "×": "*", "÷": "/", "^": "**"}


def _tokens(text: str) -> list[tuple[str, str]]:
    text = text.replace(MINUS, "-").replace("\u2013", "-").strip()
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            rest = text[pos:].strip()
            if not rest:
                break
            raise ValueError(
                f"cannot read {text!r} at {rest[:12]!r}: write a number (-1/200, 0.005), "
                "or an expression of numbers and names with + - * / ^ and brackets"
            )
        kind = m.lastgroup or ""
        tok = m.group(kind)
        out.append((kind, _OPS.get(tok, tok)))
        pos = m.end()
    return out


def _number_token(tok: str) -> Any:
    if re.fullmatch(r"\d+", tok):
        return int(tok)
    return Fraction(tok)  # a decimal written by hand is the exact decimal: 0.005 is 1/200


class _Parser:
    """Recursive descent over + - * / ** and unary minus; `lookup(name)` gives a name's number."""

    def __init__(self, text: str, lookup: Callable[[str], Any]):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.lookup = lookup

    def parse(self) -> Any:
        if not self.toks:
            raise ValueError(
                f"an empty string is not a δ; write a number such as '-1/200', got {self.text!r}"
            )
        v = self.sum()
        if self.i != len(self.toks):
            raise ValueError(f"cannot read {self.text!r}: unexpected {self.toks[self.i][1]!r}")
        return v

    def peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) and self.toks[self.i][0] == "op" else None

    def sum(self) -> Any:
        v = self.product()
        while self.peek() in ("+", "-"):
            op = self.toks[self.i][1]
            self.i += 1
            w = self.product()
            v = v + w if op == "+" else v - w
        return v

    def product(self) -> Any:
        v = self.unary()
        while self.peek() in ("*", "/"):
            op = self.toks[self.i][1]
            self.i += 1
            w = self.unary()
            if op == "*":
                v = v * w
            else:
                if w == 0:
                    raise ValueError(f"{self.text!r} divides by zero")
                v = Fraction(v) / w if _exactly(v) and _exactly(w) else v / w
        return v

    def unary(self) -> Any:
        if self.peek() == "-":
            self.i += 1
            return -self.unary()
        if self.peek() == "+":
            self.i += 1
            return self.unary()
        return self.power()

    def power(self) -> Any:
        base = self.atom()
        if self.peek() == "**":
            self.i += 1
            exponent = self.unary()  # right-associative, -x**2 handled by unary above
            if _exactly(base) and _exactly(exponent) and Fraction(exponent).denominator == 1:
                e = int(exponent)
                if base == 0 and e < 0:
                    raise ValueError(f"{self.text!r} divides by zero")
                # An exact power is computed digit by digit: refuse one no δ could need (9**9**9)
                # rather than hang.
                b = Fraction(base)
                size = max(abs(b.numerator), b.denominator)
                if size > 1 and abs(e) * math.log10(size) > MAX_POWER_DIGITS:
                    raise ValueError(
                        f"{self.text!r}: a power with more than {MAX_POWER_DIGITS:,} digits; "
                        "write the δ as a number or a smaller expression"
                    )
                return b**e if e < 0 else base**e
            result = float(base) ** float(exponent)
            if isinstance(result, complex):  # Python's float power of a negative base
                raise ValueError(f"{self.text!r}: a negative number to a fractional power has no real value")
            return result
        return base

    def atom(self) -> Any:
        if self.i >= len(self.toks):
            raise ValueError(f"cannot read {self.text!r}: it ends too early")
        kind, tok = self.toks[self.i]
        self.i += 1
        if kind == "num":
            return _number_token(tok)
        if kind == "name":
            return self.lookup(tok)
        if tok == "(":
            v = self.sum()
            if self.peek() != ")":
                raise ValueError(f"cannot read {self.text!r}: a bracket is not closed")
            self.i += 1
            return v
        raise ValueError(f"cannot read {self.text!r}: unexpected {tok!r}")


# --- the graph -----------------------------------------------------------------------------------


def _article_delta_name(name: str) -> str | None:
    """The articles' δ names: o3's δ is δ4, o2's δ3, o1_i's δ2_i, x_i's δ1_i (layer k's output feeds δk+1)."""
    m = re.fullmatch(r"o(\d+)(_\d+)?", name)
    if m:
        return f"δ{int(m.group(1)) + 1}{m.group(2) or ''}"
    m = re.fullmatch(r"x_?(\d+)", name)
    if m:
        return f"δ1_{m.group(1)}"
    return None


class _Graph:
    """The nodes of `root`'s graph, their names, δ names and the walks that give δs."""

    def __init__(self, root: Value, delta_names: Mapping[Value, str] | None):
        self.root = root
        self.order = topological_order(root)  # nodes that receive a δ, root first
        self.all = topological_order(root, only_requiring_grad=False)
        self.uses: dict[Value, list[tuple[Value, int]]] = {}
        for user in self.order:
            for i, p in enumerate(user.parents):
                if p.requires_grad:
                    self.uses.setdefault(p, []).append((user, i))
        given_names: dict[Value, str] = {}
        for k, v in (delta_names or {}).items():
            if not isinstance(k, Value) or not isinstance(v, str):
                raise TypeError("delta_names maps Values to str, e.g. {o2: 'δ3'}")
            given_names[k] = v
        self.delta_names: dict[Value, str] = {}
        self.by_name: dict[str, list[Value]] = {}
        self.by_delta: dict[str, list[Value]] = {}
        for node in self.all:
            if node.name is not None:
                self.by_name.setdefault(node.name, []).append(node)
            article = _article_delta_name(node.name) if node.name else None
            dname = given_names.get(node, article)
            if dname is not None and node.requires_grad:
                self.delta_names[node] = dname
                self.by_delta.setdefault(_bare(dname), []).append(node)
        self._chain: Any = None

    # names
    def delta_name(self, node: Value) -> str:
        chain = self.chain()
        if chain is not None:
            return str(chain.delta_symbol(node))
        if node in self.delta_names:
            return self.delta_names[node]
        return f"δ{node.name}" if node.name else f"δ({node.op or format_number(node.data)})"

    def chain(self) -> Any:
        """viz's ChainRule for this graph (the pictures' sentences), or None without viz."""
        if self._chain is None:
            try:
                from viz.chain import ChainRule  # lazy: autodiff never imports viz at module level
            except ImportError:  # pragma: no cover - viz ships in the same distribution
                self._chain = False
            else:
                self._chain = ChainRule(self.root, delta_names=self.delta_names)
        return self._chain or None

    def names(self) -> list[str]:
        known = sorted(set(self.by_name) | {f"δ{k}" for k in self.by_delta})
        return known

    def _unknown(self, key: str) -> KeyError:
        return KeyError(
            f"no node called {key!r} in this graph; its names are: {', '.join(self.names()) or '(none)'} "
            "(a δ may be written with a leading δ or d: 'δw2_1', 'dw2_1'; or pass the Value itself)"
        )

    def _one(self, found: list[Value], key: str) -> Value:
        if len(found) > 1:
            raise ValueError(
                f"{len(found)} nodes of this graph are called {key!r}: pass the Value itself as the key"
            )
        return found[0]

    def node_for_delta(self, key: str) -> Value:
        """The node whose δ `key` names: `w2_1`, `δw2_1`, `dw2_1`, or an article name (`δ3`, `d4`)."""
        key = key.strip()
        if key in self.by_name:
            return self._one(self.by_name[key], key)
        bare = _bare(key)
        if bare != key and bare in self.by_name:
            return self._one(self.by_name[bare], bare)
        if bare in self.by_delta:
            return self._one(self.by_delta[bare], key)
        raise self._unknown(key)

    # walks
    def deltas(
        self,
        data: Mapping[Value, Any] | None = None,
        local: Callable[[Value, int, Any], Any] | None = None,
        replace: Mapping[Value, Any] | None = None,
        before: dict[Value, Any] | None = None,
    ) -> dict[Value, Any]:
        """Every node's δ by the chain rule; `data` overrides numbers, `local` rewrites a local
        derivative, `replace` sets a node's δ before it is passed on (what arrived is put in `before`).
        """
        first = data.get(self.root, self.root.data) if data else self.root.data
        d: dict[Value, Any] = {self.root: 1.0 if isinstance(first, float) else 1}
        for node in self.order:
            if node not in d:
                d[node] = 0
            if replace is not None and node in replace:
                if before is not None:
                    before[node] = d[node]
                d[node] = replace[node]
            prim = node.primitive
            if prim is None:
                continue
            delta = d[node]
            inputs = [data.get(p, p.data) for p in node.parents] if data else [p.data for p in node.parents]
            out = data.get(node, node.data) if data else node.data
            for i, p in enumerate(node.parents):
                if not p.requires_grad:
                    continue
                loc = prim.local_derivative(i, inputs, out)
                if local is not None:
                    loc = local(node, i, loc)
                d[p] = d.get(p, 0) + delta * loc
        return d

    def forward(self, leaves: Mapping[Value, Any]) -> dict[Value, Any]:
        """Every node's number recomputed from the leaves, with some leaves' numbers changed."""
        data: dict[Value, Any] = {}
        for node in reversed(self.all):
            if node.primitive is None:
                data[node] = leaves.get(node, node.data)
            else:
                data[node] = node.primitive.forward(*[data[p] for p in node.parents])
        return data


def _bare(key: str) -> str:
    if key[:1] == "δ" or (key[:1] == "d" and len(key) > 1):
        return key[1:]
    return key


# --- the check -----------------------------------------------------------------------------------


def check_deltas(
    root: Value,
    expected: Mapping[Value | str, Any],
    *,
    rel: float = 1e-9,
    abs: float = 0.0,  # noqa: A002 - pytest.approx's name
    lr: Any = None,
    delta_names: Mapping[Value, str] | None = None,
) -> DeltaReport:
    """Compare the learner's δs in `expected` with the right ones; say which is wrong first and why.

    Keys are Values or node names (`"w2_1"`, `"δw2_1"`, `"dw2_1"`, and the articles' `"δ3"`, `"δ4"`,
    `"δ2_1"`, `"δ1_1"` for nodes named o2, o3, o1_1, x1). Values are numbers, number strings
    (`"−1/200"`, `"-0.005"`) or expressions over names (`"δ3 * x1"`: a δ name is the learner's δ
    where given, else the right one; a plain name is the node's number). Exact numbers compare with
    `==`, floats within `rel`/`abs`. Runs its own walk for the right δs: no `backward()` needed, no
    `.grad` read or written. `lr` (default the articles' α = 10⁻⁷) is the learning rate the
    `updated_weight` and `learning_rate` hints try; `delta_names` names δs as the pictures do.
    """
    if not isinstance(root, Value):
        raise TypeError(
            f"check_deltas checks the δs of a Value's graph (the loss), got {type(root).__name__}"
        )
    if not isinstance(expected, Mapping):
        raise TypeError(
            "expected must map nodes (Values or names) to your δs, e.g. {'δ3': -1, 'w2_1': '-1/200'}, "
            f"got {type(expected).__name__}"
        )
    tol = _Tolerance(rel, abs)
    lr = DEFAULT_LR if lr is None else lr
    if not _is_number(lr):
        raise TypeError(f"lr must be a number (the learning rate α), got {lr!r}")
    graph = _Graph(root, delta_names)
    truth = graph.deltas()

    # Keys to nodes, in backward order.
    given: dict[Value, Any] = {}
    for key, value in expected.items():
        if isinstance(key, Value):
            node = key
            if node not in truth and node is not root:
                if any(node is n for n in graph.all):
                    raise ValueError(
                        f"{graph.delta_name(node)} receives no δ: the node does not require grad"
                    )
                raise KeyError(
                    f"{key!r} is not a node of this graph; its names are: {', '.join(graph.names())}"
                )
        elif isinstance(key, str):
            node = graph.node_for_delta(key)
            if node not in truth:
                raise ValueError(
                    f"{key!r} receives no δ: the node does not require grad (a data output such as y_truth)"
                )
        else:
            raise TypeError(f"a key of expected is a Value or a node's name, got {type(key).__name__}")
        if node in given:
            raise ValueError(f"{graph.delta_name(node)} is given twice in expected")
        given[node] = value

    numbers_: dict[Value, Any] = {}

    def evaluate(node: Value, stack: tuple[Value, ...] = ()) -> Any:
        if node in numbers_:
            return numbers_[node]
        raw = given[node]
        if node in stack:
            raise ValueError(f"the expressions for {graph.delta_name(node)} refer to each other in a loop")
        if isinstance(raw, str):

            def lookup(name: str) -> Any:
                # δ… is always a δ; a graph name is that node's number; d… otherwise a δ too.
                if not name.startswith("δ") and name in graph.by_name:
                    return graph._one(graph.by_name[name], name).data
                target = graph.node_for_delta(name)
                if target not in truth:
                    raise ValueError(f"{name!r} has no δ (the node does not require grad)")
                if target in given:
                    return evaluate(target, (*stack, node))
                return truth[target]

            value = _Parser(raw, lookup).parse()
        elif _is_number(raw):
            value = raw
        else:
            raise TypeError(
                f"the δ given for {graph.delta_name(node)} must be a number or a string such as "
                f"'-1/200' or 'δ3 * x1', got {type(raw).__name__}"
            )
        numbers_[node] = value
        return value

    for node in given:
        evaluate(node)

    # What the right rule gives from the learner's own δs (where given) above each node.
    arrived: dict[Value, Any] = {}
    from_learner = graph.deltas(replace=numbers_, before=arrived)

    # Backward order by distance from the loss (the longest path, so every user of a node comes
    # before it): the first wrong δ is then both a root cause and the one nearest to the loss, not
    # whichever branch a depth-first walk happened to visit first.
    depth: dict[Value, int] = {root: 0}
    for node in graph.order:
        for p in node.parents:
            if p.requires_grad:
                depth[p] = builtins.max(depth.get(p, 0), depth.get(node, 0) + 1)
    position = {node: i for i, node in enumerate(graph.order)}
    rows: list[Row] = []
    names_of: dict[str, Value] = {}
    for node in sorted(given, key=lambda n: (depth.get(n, 0), position.get(n, 0))):
        name = graph.delta_name(node)
        names_of[name] = node
        rows.append(
            Row(name, numbers_[node], truth[node], tol.same(numbers_[node], truth[node]), given[node], node)
        )
    report = DeltaReport(
        rows, None, [], nodes=names_of, root=root, delta_names=dict(graph.delta_names), deltas=truth
    )
    if report.ok:
        return _seen(report)
    hints = _Hints(graph, truth, tol, lr)
    for row in rows:
        if row.ok:
            continue
        node = row.node
        assert node is not None
        inputs_right = node is root or tol.same(arrived[node], truth[node])
        if report.first_wrong is None:
            report.first_wrong = row.name
            report.rule = _sentence(graph, node, truth)
            report.inputs_right = inputs_right
            report.inputs_text = _inputs_text(graph, node, truth, from_learner, tol, inputs_right)
        if not inputs_right and tol.same(row.expected, arrived[node]):
            report.carried.append(row.name)
            report.hints.append(
                Hint(
                    "carried",
                    f"{row.name}'s rule is right but used a wrong δ; fix {report.first_wrong}",
                    row.name,
                )
            )
            continue
        report.hints.extend(hints.explain(node, row.name, row.expected))
    return _seen(report)


def _seen(report: DeltaReport) -> DeltaReport:
    for watch in list(WATCHERS):
        watch(report)
    return report


def assert_deltas(root: Value, expected: Mapping[Value | str, Any], **kw: Any) -> DeltaReport:
    """`check_deltas(root, expected, **kw)`, raising DeltaMismatch (an AssertionError) with its text."""
    __tracebackhide__ = True  # pytest shows the caller's line, then the report
    report = check_deltas(root, expected, **kw)
    if not report.ok:
        raise DeltaMismatch(report)
    return report


@dataclass(frozen=True)
class Mistakes:
    """What a quiz needs for one node's δ: its name, the right number, each mistake's number, its uses.

    `hints` are (code, number, sentence), the numbers `check_deltas` would recognise at this node;
    `uses` are (user, ∂user/∂node) pairs, from which a δ carried from a wrong δ is recomputed.
    """

    name: str
    right: Any
    hints: tuple[tuple[str, Any, str], ...]
    uses: tuple[tuple[Value, Any], ...]


def mistake_table(
    root: Value,
    *,
    lr: Any = None,
    delta_names: Mapping[Value, str] | None = None,
    rel: float = 1e-9,
    abs: float = 0.0,  # noqa: A002 - pytest.approx's name
) -> dict[Value, Mistakes]:
    """For every node that receives a δ from `root`: the right δ and the number each mistake gives there."""
    if not isinstance(root, Value):
        raise TypeError(f"mistake_table reads a Value's graph (the loss), got {type(root).__name__}")
    lr = DEFAULT_LR if lr is None else lr
    graph = _Graph(root, delta_names)
    truth = graph.deltas()
    hints = _Hints(graph, truth, _Tolerance(rel, abs), lr)
    out: dict[Value, Mistakes] = {}
    for node in graph.order:
        name = graph.delta_name(node)
        uses = []
        for user, i in graph.uses.get(node, []):
            assert user.primitive is not None
            uses.append((user, user.primitive.local_derivative(i, [p.data for p in user.parents], user.data)))
        found = hints.candidates(node, name) if node is not root else []
        out[node] = Mistakes(name, truth[node], tuple(found), tuple(uses))
    return out


# --- the rule in words -----------------------------------------------------------------------------


def delta_rule(root: Value, node: Value, *, delta_names: Mapping[Value, str] | None = None) -> str:
    """The chain-rule sentence that gives `node`'s right δ in `root`'s graph, as a report writes it."""
    if not isinstance(root, Value) or not isinstance(node, Value):
        raise TypeError("delta_rule reads two Values: the loss and a node of its graph")
    graph = _Graph(root, delta_names)
    if node not in graph.order:
        raise ValueError(f"{graph.delta_name(node)} receives no δ from this loss")
    return _sentence(graph, node, graph.deltas())


def _sentence(graph: _Graph, node: Value, truth: Mapping[Value, Any]) -> str:
    """`δ3 = δ4 · relu′(o2) = (−1) · 1 = −1; relu′(0) = 1`: the pictures' sentence with the right δs."""
    name = graph.delta_name(node)
    if node is graph.root:
        return f"{name} = 1: the δ of the loss itself (∂loss/∂loss) starts the backward pass"
    uses = graph.uses.get(node, [])
    chain = graph.chain()
    parts = []
    for user, i in uses:
        inputs = [p.data for p in user.parents]
        assert user.primitive is not None
        local = user.primitive.local_derivative(i, inputs, user.data)
        if chain is not None:
            edge = chain.edge(user, i)
            parts.append((edge, truth[user], local))
        else:  # pragma: no cover - viz ships in the same distribution
            parts.append((None, truth[user], local))
    if chain is not None and len(parts) == 1:
        from dataclasses import replace

        edge, d, local = parts[0]
        edge = replace(edge, target=name, delta_value=d, local=local, contribution=d * local)
        return str(edge.sentence())
    symbols, values, wheres = [], [], []
    total: Any = 0
    for (edge, d, local), (user, _) in zip(parts, uses, strict=True):
        if edge is not None:
            symbols.append(edge.symbols())
            if edge.where:
                wheres.append(edge.where)
        else:  # pragma: no cover
            symbols.append(f"{graph.delta_name(user)} · ∂{user.op}/∂{node.name or 'x'}")
        values.append(f"{_bracket(_show(d))} · {_bracket(_show(local))}")
        total = total + d * local
    tail = "".join(f"; {w}" for w in dict.fromkeys(wheres))
    return f"{name} = {' + '.join(symbols)} = {' + '.join(values)} = {_show(total)}{tail}"


def _bracket(shown: str) -> str:
    return f"({shown})" if shown.startswith(MINUS) else shown


def _inputs_text(
    graph: _Graph,
    node: Value,
    truth: Mapping[Value, Any],
    learner: Mapping[Value, Any],
    tol: _Tolerance,
    inputs_right: bool,
) -> str:
    if node is graph.root:
        return "It has no inputs: the δ of the loss is 1."
    users = list(dict.fromkeys(u for u, _ in graph.uses.get(node, [])))
    named = ", ".join(f"{graph.delta_name(u)} = {_show(learner[u])}" for u in users)
    if inputs_right:
        return f"Its inputs were right ({named}), so the rule itself went wrong here."
    wrong = [u for u in users if not tol.same(learner[u], truth[u])]
    shown = ", ".join(
        f"{graph.delta_name(u)} (yours {_show(learner[u])}, right {_show(truth[u])})" for u in wrong
    )
    return f"Its inputs were wrong: {shown}; the error is further up."


# --- hypotheses -------------------------------------------------------------------------------------


class _Hints:
    """Each mistake as a recomputation on the graph: the numbers it gives at a node, with a sentence.

    A hint is kept only when one of its numbers is the learner's. The walks over the whole graph
    (a kink flipped, a path left out, the updated weights, an activation at its output) are made
    once and read at every node.
    """

    def __init__(self, graph: _Graph, truth: dict[Value, Any], tol: _Tolerance, lr: Any):
        self.g = graph
        self.truth = truth
        self.tol = tol
        self.lr = lr
        self._walks: dict[Any, Any] = {}

    def explain(self, node: Value, name: str, mine: Any) -> list[Hint]:
        """The hints (one per code at most) whose number is `mine`."""
        out: list[Hint] = []
        for code, value, message in self.candidates(node, name):
            if not any(h.code == code for h in out) and self.tol.same(mine, value):
                out.append(Hint(code, message, name))
        return out

    def candidates(self, node: Value, name: str) -> list[tuple[str, Any, str]]:
        """(code, the number the mistake gives at `node`, its sentence), for every mistake but `carried`."""
        out: list[tuple[str, Any, str]] = []
        t = self.truth[node]
        for code in HINT_CODES[:-1]:
            try:
                found = list(getattr(self, code)(node, name))
            except (ArithmeticError, ValueError, TypeError, OverflowError):
                continue  # the hypothesis has no number here (a division by zero, ...)
            for value, message in found:
                if value is not None and not self.tol.same(value, t):
                    out.append((code, value, message))
        return out

    def _walk(self, key: Any, **kw: Any) -> dict[Value, Any] | None:
        if key not in self._walks:
            try:
                self._walks[key] = self.g.deltas(**kw)
            except (ArithmeticError, ValueError, TypeError, OverflowError):
                self._walks[key] = None
        return self._walks[key]

    # each yields (number, sentence) pairs
    def sign(self, node: Value, name: str) -> Any:
        t = self.truth[node]
        if t != 0:
            yield -t, f"{_show(-t)} is minus the right {_show(t)}: check the sign of each factor in its rule"

    def factor(self, node: Value, name: str) -> Any:
        t = self.truth[node]
        if t == 0:
            return
        yield (
            2 * t,
            f"{_show(2 * t)} is twice the right {_show(t)}: the ½ in the loss ½(o − y)² cancels the 2",
        )
        half = Fraction(t) / 2 if is_exact(t) else t / 2
        yield (
            half,
            (
                f"{_show(half)} is half the right {_show(t)}: the derivative of ½(o − y)² is (o − y), "
                "the 2 of the square cancels the ½"
            ),
        )

    def _kinks(self) -> list[Value]:
        return [
            u
            for u in self.g.order
            if u.op in KINKED and u.parents[0].requires_grad and u.parents[0].data == 0
        ]

    def relu_at_zero(self, node: Value, name: str) -> Any:
        kinks = self._kinks()
        trials = [(k,) for k in kinks] + ([tuple(kinks)] if len(kinks) > 1 else [])
        for chosen in trials:
            flipped = {id(k) for k in chosen}

            def local(user: Value, i: int, loc: Any, flipped: set[int] = flipped) -> Any:
                if id(user) not in flipped:
                    return loc
                assert user.primitive is not None
                slope = user.primitive.params.get("slope", 0)
                return slope if loc == 1 else 1

            walk = self._walk(("kink", tuple(id(k) for k in chosen)), local=local)
            if walk is None:
                continue
            k = chosen[0]
            chain = self.g.chain()
            where = chain.display_name(k.parents[0]) if chain else "its input"
            assert k.primitive is not None
            slope = _show(k.primitive.params.get("slope", 0))
            value = walk.get(node, 0)
            yield (
                value,
                (
                    f"{k.op}′(0) = 1 in the articles (the δ passes where the input is ≥ 0, and {where} = 0 "
                    f"here); with {k.op}′(0) = {slope} you get {_show(value)}"
                ),
            )

    def missing_path(self, node: Value, name: str) -> Any:
        uses = self.g.uses.get(node, [])
        chain = self.g.chain()
        if len(uses) >= 2:
            parts = []
            for user, i in uses:
                assert user.primitive is not None
                loc = user.primitive.local_derivative(i, [p.data for p in user.parents], user.data)
                parts.append(self.truth[user] * loc)
            n = len(uses)
            sizes = range(1, n) if n <= MAX_SUBSET_USES else [n - 1]
            for size in sizes:
                for keep in itertools.combinations(range(n), size):
                    total: Any = 0
                    for k in keep:
                        total = total + parts[k]
                    left_out = [uses[k] for k in range(n) if k not in keep]
                    shown = ", ".join(
                        chain.display_name(u) if chain else (u.name or u.op or "?") for u, _ in left_out
                    )
                    yield (
                        total,
                        (
                            f"{name} adds one term per use of the node ({n} uses); {_show(total)} leaves out "
                            f"the path through {shown}"
                        ),
                    )
        # A path left out further up, carried down to this δ.
        for other, ouses in self.g.uses.items():
            if other is node or len(ouses) < 2:
                continue
            for drop in ouses:

                def local(
                    user: Value, i: int, loc: Any, drop: tuple[Value, int] = drop, other: Value = other
                ) -> Any:
                    return 0 if user is drop[0] and i == drop[1] and user.parents[i] is other else loc

                walk = self._walk(("drop", id(drop[0]), drop[1]), local=local)
                if walk is not None and node in walk:
                    yield (
                        walk[node],
                        (
                            f"{self.g.delta_name(other)} adds one term per use of its node; leaving out the "
                            f"path through {self.g.delta_name(drop[0])} gives {_show(walk[node])} here"
                        ),
                    )

    def _weights(self) -> list[Value]:
        weights = [n for n in self.g.order if isinstance(n, Parameter)]
        # micrograd-style graphs make their weights plain Values: then every leaf that learns is one.
        return weights or [n for n in self.g.order if n.is_leaf]

    def updated_weight(self, node: Value, name: str) -> Any:
        weights = self._weights()
        if not weights:
            return
        new = {w: w.data - self.lr * self.truth[w] for w in weights}
        if all(new[w] == w.data for w in weights):
            return
        if "updated" not in self._walks:
            try:
                self._walks["updated"] = self.g.deltas(data=self.g.forward(new))
            except (ArithmeticError, ValueError, TypeError, OverflowError):
                self._walks["updated"] = None
        walk = self._walks["updated"]
        if walk is not None and node in walk:
            yield (
                walk[node],
                (
                    f"{_show(walk[node])} is what the rule gives with the weights after the update "
                    f"w − α·δw (α = {_show(self.lr)}); the backward pass uses the weights of the forward "
                    "pass, before it"
                ),
            )

    def learning_rate(self, node: Value, name: str) -> Any:
        if node not in self._weights():
            return
        t = self.truth[node]
        if t != 0:
            yield (
                self.lr * t,
                (
                    f"{_show(self.lr * t)} is α·{name} (α = {_show(self.lr)}); {name} itself is "
                    f"{_show(t)}, before α"
                ),
            )
        updated = node.data - self.lr * t
        yield updated, f"{_show(updated)} is the updated weight w − α·{name}; {name} itself is {_show(t)}"

    def output_for_input(self, node: Value, name: str) -> Any:
        for u in self.g.order:
            prim = u.primitive
            if prim is None or prim.arity != 1 or not u.parents[0].requires_grad:
                continue  # an activation has one input (relu, tanh, sigmoid, ...); x**2 is not one
            inputs = [u.parents[0].data]
            right = prim.local_derivative(0, inputs, u.data)
            try:
                at_output = prim.local_derivative(0, [u.data], prim.forward(u.data))
            except (ArithmeticError, ValueError, TypeError, OverflowError):
                continue
            if self.tol.same(at_output, right):
                continue

            def local(user: Value, i: int, loc: Any, u: Value = u, at_output: Any = at_output) -> Any:
                return at_output if user is u else loc

            walk = self._walk(("output", id(u)), local=local)
            if walk is None or node not in walk:
                continue
            chain = self.g.chain()
            where = chain.display_name(u.parents[0]) if chain else "its input"
            out = chain.display_name(u) if chain else "its output"
            yield (
                walk[node],
                (
                    f"{_show(walk[node])} takes {u.op}′ at the output {out} = {_show(u.data)} instead of "
                    f"at the input {where} = {_show(u.parents[0].data)}: {u.op}′({_show(u.data)}) = "
                    f"{_show(at_output)}, the right {u.op}′({_show(u.parents[0].data)}) = {_show(right)}"
                ),
            )


__all__ = [
    "HINT_CODES",
    "DeltaMismatch",
    "DeltaReport",
    "Hint",
    "Row",
    "assert_deltas",
    "check_deltas",
    "delta_rule",
    "mistake_table",
]

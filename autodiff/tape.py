"""Record a graph once, replay it many times: `Tape` compiles a recorded graph to straight-line Python.

A training loop builds the same graph at every step; only the numbers in the leaves change.
`Tape(loss, inputs=params)` walks the recorded graph once and writes one Python function that
computes every node's number from the leaves and then every δ, in the same order as
`loss.backward()`. A replay reads the leaves' current `.data`, so updating the weights (or the
data leaves) and calling `tape.backward()` gives the gradients of the new numbers, without
building a graph.

The code comes from the primitive table, nothing else: each primitive's forward and local
derivatives are either called (a `relu`, whose rule looks at the number) or, when a rule is a
branch-free expression of its arguments only (`lambda x, y: x * y`), inlined as that expression,
found by calling the rule once on symbols. The replay does the same operations in the same order
as the plain path, so its numbers are identical (exact for Fractions, bit for bit for floats).

What a replay handles: every decision taken *inside* a primitive — a ReLU or `abs` whose input
changed sign, `pow` at exponent 0 — because the rules run again on the new numbers. What it cannot
see: decisions taken in your own Python code (`if x.data > 0: ...`, a loop that runs until a
number is small, `x * y.data`), which fixed the graph's shape and constants when it was recorded.
If your model branches on numbers, rebuild the graph at each step instead.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Sequence
from typing import Any

from .backward import leading_to, topological_order
from .checks import check_number
from .exact import Number, format_number, is_finite, one_like
from .modes import state
from .ops import Primitive
from .value import Value, accumulate_grad

__all__ = ["Tape"]


class Tape:
    """A recorded graph compiled to Python: replays forward and backward on the leaves' current numbers.

    `Tape(loss, inputs=params)` records the graph that computed `loss`; `inputs` are the Values
    whose δ you want (default: every leaf that requires a gradient, in reading order). Then, after
    changing leaves' `.data`: `tape.backward()` adds each input's δ to its `.grad` and returns the
    new output; `tape.gradients()` returns `(output, [δ, ...])`; `tape.forward()` the output only.
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
        order = topological_order(output)
        nodes = set(order)
        hooked = [n for n in order if n.hooks]
        if hooked:
            raise ValueError(
                f"Tape: {_label(hooked[0])} has a hook; a replay does not call hooks. "
                "Remove it (handle.remove()) or use the plain loss.backward()"
            )
        if inputs is None:
            inputs = _leaves_in_reading_order(output)
        else:
            inputs = list(inputs)
            for i, v in enumerate(inputs):
                if not isinstance(v, Value):
                    raise TypeError(f"Tape: inputs[{i}] must be a Value, got {type(v).__name__}")
                if v not in nodes:
                    raise ValueError(
                        f"Tape: inputs[{i}] ({_label(v)}) is not part of the output's graph, or does not "
                        "require a gradient; pass only Values the output was computed from"
                    )
        # Only the leaves are kept (their `.data` is read at each replay), not the recorded graph.
        self.inputs: tuple[Value, ...] = tuple(inputs)
        self.source, self._run, self._leaves = _compile(output, order, self.inputs)

    def gradients(self, grad: Any = None) -> tuple[Number, list[Number]]:
        """Replay on the leaves' current numbers: (output, [∂output/∂input · grad for each input])."""
        seed = None if grad is None else check_number(grad, "Tape.gradients(grad=...)")
        result, grads = self._run(self._leaves, seed, True)
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
        return self._run(self._leaves, None, False)[0]

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


# --- turning the table's rules into code ---------------------------------------------------------


class _Untraceable(Exception):
    """The rule does something other than arithmetic on its arguments; call it instead."""


class _Sym:
    """A placeholder standing for a number while a rule is traced: arithmetic builds source text."""

    __slots__ = ("code",)

    def __init__(self, code: str):
        self.code = code

    def _bin(op: str, reflected: bool = False) -> Callable[[_Sym, Any], _Sym]:  # type: ignore[misc]
        def method(self: _Sym, other: Any) -> _Sym:
            other_code = _code_of(other)
            left, right = (other_code, self.code) if reflected else (self.code, other_code)
            return _Sym(f"({left} {op} {right})")

        return method

    __add__, __radd__ = _bin("+"), _bin("+", True)
    __sub__, __rsub__ = _bin("-"), _bin("-", True)
    __mul__, __rmul__ = _bin("*"), _bin("*", True)
    __truediv__, __rtruediv__ = _bin("/"), _bin("/", True)
    __pow__, __rpow__ = _bin("**"), _bin("**", True)

    def __neg__(self) -> _Sym:
        return _Sym(f"(-{self.code})")

    def __pos__(self) -> _Sym:
        return _Sym(f"(+{self.code})")

    def _refuse(self, *args: Any) -> Any:
        raise _Untraceable

    # A comparison, a truth test or a conversion means the rule depends on the number itself.
    __bool__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = __float__ = __int__ = _refuse
    __index__ = __abs__ = __round__ = __hash__ = _refuse  # type: ignore[assignment]


def _code_of(x: Any) -> str:
    if isinstance(x, _Sym):
        return x.code
    if type(x) in (int, float) and math.isfinite(x):
        return repr(x)
    raise _Untraceable


def _inline(rule: Callable[..., Any], names: Sequence[str]) -> str | None:
    """The rule as an expression of `names`, or None if it must be called (it reads more than its inputs)."""
    # Only a plain function that names nothing but its own arguments (no globals, no attributes,
    # no closure, no defaults) is traced: then calling it on symbols performs exactly the
    # operations it performs on numbers, and any decision on a number raises _Untraceable.
    if not isinstance(rule, types.FunctionType):
        return None
    code = rule.__code__
    if code.co_names or rule.__closure__ or rule.__defaults__ or rule.__kwdefaults__:
        return None
    if code.co_argcount != len(names) or code.co_flags & (0x04 | 0x08 | 0x20 | 0x80 | 0x100 | 0x200):
        return None  # *args, **kwargs, generators, coroutines
    try:
        return _code_of(rule(*[_Sym(n) for n in names]))
    except Exception:  # _Untraceable, or anything a rule may raise on symbols: call it instead
        return None


class _Rules:
    """Per primitive (by object): a format string applying its forward, and one per local derivative."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {}
        self._done: dict[int, tuple[str, list[str]]] = {}

    def of(self, prim: Primitive) -> tuple[str, list[str]]:
        """(forward, [derivative_i]) as format strings over {0}, {1}, ... (inputs) and {out}."""
        found = self._done.get(id(prim))
        if found is None:
            index = len(self._done)
            # The name only makes the code readable; a Primitive made directly may have any name.
            label = prim.name if prim.name.isidentifier() else "op"
            found = (
                self._rule(prim.forward, prim.arity, f"f{index}_{label}", with_out=False),
                [
                    self._rule(rule, prim.arity, f"d{index}_{label}_{i}", with_out=True)
                    for i, rule in enumerate(prim.derivatives)
                ],
            )
            self._done[id(prim)] = found
        return found

    def _rule(self, rule: Callable[..., Any], arity: int, name: str, *, with_out: bool) -> str:
        names = [f"a{i}" for i in range(arity)] + (["out"] if with_out else [])
        slots = [f"{{{i}}}" for i in range(arity)] + (["{out}"] if with_out else [])
        template = _inline(rule, names)
        if template is None:
            self.namespace[name] = rule  # called by name from the generated code
            return f"{name}({', '.join(slots)})"
        return _substitute(template, dict(zip(names, slots, strict=True)))


def _substitute(template: str, mapping: dict[str, str]) -> str:
    """Replace whole identifiers of `template` found in `mapping`."""
    out, word = [], []
    for ch in template + " ":
        if ch.isalnum() or ch == "_":
            word.append(ch)
            continue
        if word:
            token = "".join(word)
            out.append(mapping.get(token, token))
            word = []
        out.append(ch)
    return "".join(out)[:-1]


def _compile(output: Value, order: list[Value], inputs: Sequence[Value]) -> tuple[str, Callable, list[Value]]:
    """Write and compile the replay function of the graph `order` (root first, as backward visits it)."""
    forward_order = order[::-1]
    var: dict[Value, str] = {}
    leaves: list[Value] = []
    lines: list[str] = []
    for node in forward_order:
        for p in node.parents:
            # A parent that needs no δ (a constant, or a node frozen with requires_grad_(False))
            # is read like a leaf: backward does not look behind it either.
            if p not in var and (p.is_leaf or not p.requires_grad):
                var[p] = f"x{len(leaves)}"
                leaves.append(p)
        if node.is_leaf and node not in var:
            var[node] = f"x{len(leaves)}"
            leaves.append(node)
    body = [f"    {var[leaf]} = leaves[{i}].data" for i, leaf in enumerate(leaves)]
    rules = _Rules()
    for node in forward_order:
        if node.is_leaf:
            continue
        var[node] = f"v{len(var)}"
        forward, _ = rules.of(node.primitive)
        args = [var[p] for p in node.parents]
        lines.append(f"    {var[node]} = {forward.format(*args)}")
    out_var = var[output]
    # δs are needed only on nodes from which some input can be reached.
    leads = leading_to(output, inputs)
    # Every δ variable is assigned once (a sum makes a new variable), so a δ that is just another
    # node's δ (the local derivative is 1, as in `add`) can share its variable instead of a copy.
    delta: dict[Value, str] = {output: "seed"}
    backward: list[str] = []
    for node in order:
        if node.is_leaf or node not in leads:
            continue
        _, derivatives = rules.of(node.primitive)
        args = [var[p] for p in node.parents]
        d_node = delta[node]
        for i, parent in enumerate(node.parents):
            if not parent.requires_grad or parent not in leads:
                continue
            local = derivatives[i].format(*args, out=var[node])
            term = d_node if local == "1" else f"(-{d_node})" if local == "-1" else f"{d_node} * {local}"
            previous = delta.get(parent)
            if previous is None and term == d_node:
                delta[parent] = d_node
                continue
            name = f"g{len(backward)}"
            total = term if previous is None else f"{previous} + {term}"
            backward.append(f"    {name} = {total}")
            delta[parent] = name
    results = ", ".join(delta[v] for v in inputs)
    source = "\n".join(
        [
            "def replay(leaves, seed, grads):",
            *body,
            *lines,
            "    if not grads:",
            f"        return {out_var}, ()",
            "    if seed is None:",
            f"        seed = one_like({out_var})",
            *backward,
            f"    return {out_var}, ({results}{',' if len(inputs) == 1 else ''})",
        ]
    )
    namespace = {**rules.namespace, "one_like": one_like}
    exec(compile(source, "<autodiff tape>", "exec"), namespace)
    return source, namespace["replay"], leaves

"""The backward pass as a list of steps, in the engine's own order, for stepping through it.

Each δ step is one node whose δ is now complete: the engine's `propagate` releases a node once every
node that uses it has sent its share, so the step lists those shares (the chain-rule products) and
the δs known so far. Optional update steps follow (`lr=`): ŵ = w − α·δw, exactly. Nothing here
writes `.grad` or calls a hook: the δs come from `autodiff.propagate(..., hooks=False)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from autodiff import Parameter, Value, check_number, format_number, propagate, topological_order
from autodiff.exact import one_like

from . import text

DELTA, UPDATE = "delta", "update"
"""The kinds of step: a δ made complete, or a weight updated with it."""


@dataclass(frozen=True)
class Contribution:
    """One product the chain rule sends back: δ of `user` times ∂user/∂(its input `index`)."""

    user: Value
    index: int
    delta_out: Any
    local: Any
    value: Any
    sentence: str


@dataclass(frozen=True)
class Step:
    """One step of the pass: `node`'s δ is complete (kind "delta") or `node` is updated (kind "update")."""

    number: int
    kind: str
    node: Value
    delta: Any
    contributions: tuple[Contribution, ...]
    sentence: str
    deltas: Mapping[Value, Any] = field(repr=False)
    old: Any = None
    new: Any = None


def num(x: Any) -> str:
    """A number as the pictures show it, with a true minus sign: `−3/11600`."""
    return text.number(_plain(x)).replace("-", "−")


def factor(x: Any) -> str:
    """A number inside a product: negative numbers in parentheses, `(−1)`."""
    shown = num(x)
    return f"({shown})" if shown.startswith("−") else shown


class Naming:
    """The names a step's sentences use: node names, δ names and local-derivative symbols."""

    def __init__(
        self,
        root: Value,
        names: Mapping[Value, str] | None = None,
        delta_names: Mapping[Value, str] | None = None,
    ):
        self.names = _by_node(names, "names", "{y: 'y_truth'}")
        self.delta_names = _by_node(delta_names, "delta_names", "{o3: 'δ4'}")
        order = topological_order(root, only_requiring_grad=False)
        # The same ids as `viz.records`: the order of the same deterministic walk.
        self.ids = {id(node): f"n{i}" for i, node in enumerate(order)}
        self.order = order

    def node_id(self, node: Value) -> str:
        """The node's id in the drawings (`n0` is the root)."""
        return self.ids[id(node)]

    def name(self, node: Value) -> str:
        """A short name: the one given in `names`, the node's own, or one made from its inputs."""
        given = self.names.get(id(node), node.name)
        if given:
            return text.name(given)
        if node.is_leaf:
            return num(node.data)
        parts = [self._operand(p) for p in node.parents]
        op = node.op or "?"
        if op == "mul" and len(parts) == 2:
            return f"{parts[0]}·{parts[1]}"
        if op in ("add", "sum"):
            return " + ".join(parts)
        if op == "sub" and len(parts) == 2:
            return f"{parts[0]} − {parts[1]}"
        if op == "div" and len(parts) == 2:
            return f"{parts[0]}/{parts[1]}"
        if op == "pow" and len(parts) == 2:
            return f"{parts[0]}^{parts[1]}"
        return f"{op}({', '.join(parts)})"

    def _operand(self, node: Value) -> str:
        shown = self.name(node)
        if len(shown) > 16:
            return "…"
        return f"({shown})" if any(c in shown for c in " +−/") and not node.is_leaf else shown

    def delta(self, node: Value) -> str:
        """The δ's symbol: `δ3` where the articles name it, else `δ` and the node's name."""
        given = self.delta_names.get(id(node))
        if given:
            return given
        shown = self.name(node)
        return f"δ{shown}" if len(shown) <= 3 else f"δ({shown})"

    def local(self, node: Value, index: int) -> str:
        """∂node/∂(input `index`) in symbols: `w2_2` for a product, `relu′(o2)`, `1` for a sum."""
        parents = node.parents
        op = node.op
        if op == "mul" and len(parents) == 2:
            return self.name(parents[1 - index])
        if op in ("add", "sum", "identity"):
            return "1"
        if op == "sub":
            return "1" if index == 0 else "−1"
        if op == "neg":
            return "−1"
        if op == "relu":
            return f"relu′({self.name(parents[0])})"
        if op == "pow" and len(parents) == 2 and index == 0:
            power = parents[1].data
            base = self._operand(parents[0])
            if power == 2:
                return f"2·{base}"
            return f"{num(power)}·{base}^{num(power - 1)}"
        if op == "div" and len(parents) == 2 and index == 0:
            return f"1/{self._operand(parents[1])}"
        return f"∂{self._operand(node)}/∂{self._operand(parents[index])}"


def steps(
    loss: Value,
    *,
    lr: Any = None,
    names: Mapping[Value, str] | None = None,
    delta_names: Mapping[Value, str] | None = None,
    params: Iterable[Value] | None = None,
) -> list[Step]:
    """The backward pass of `loss` as steps in the engine's order, then, with `lr`, one update per weight.

    Reads the graph only: no `.grad` is changed and no hook is called. The weights updated are
    `params`, or by default every `Parameter` in the graph (what `autodiff.learn` and the articles make).
    """
    if not isinstance(loss, Value):
        raise TypeError(f"steps() needs the loss, a Value; got {type(loss).__name__}")
    if not loss.requires_grad:
        raise ValueError(
            "steps(): this Value does not depend on anything that requires a gradient, so there is "
            "no backward pass to step through"
        )
    if lr is not None:
        lr = check_number(lr, "steps(lr=...)")
    naming = Naming(loss, names, delta_names)
    chosen = None if params is None else _values(params)
    return _steps(loss, naming, lr, chosen)


def _steps(loss: Value, naming: Naming, lr: Any, params: list[Value] | None) -> list[Step]:
    received: dict[int, list[Contribution]] = {}
    known: dict[Value, Any] = {}
    out: list[Step] = []
    seed = one_like(_plain(loss.data))
    for node, delta in propagate(loss, seed, hooks=False):
        parts = tuple(received.pop(id(node), ()))
        known[node] = delta
        sentence = _delta_sentence(naming, node, delta, parts)
        out.append(
            Step(len(out) + 1, DELTA, node, delta, parts, sentence, MappingProxyType(dict(known)))
        )
        prim = node.primitive
        if prim is None:
            continue
        inputs = [p.data for p in node.parents]
        for i, parent in enumerate(node.parents):
            if not parent.requires_grad:
                continue
            local = _plain(prim.local_derivative(i, inputs, node.data))
            value = delta * local
            said = (
                f"{naming.delta(node)} · {naming.local(node, i)} = {factor(delta)} · {factor(local)}"
                f" = {num(value)}"
            )
            received.setdefault(id(parent), []).append(Contribution(node, i, delta, local, value, said))
    if lr is None:
        return out
    weights = params if params is not None else [n for n in naming.order if isinstance(n, Parameter)]
    final = MappingProxyType(dict(known))
    for w in weights:
        if w not in known:
            raise ValueError(
                f"params: {naming.name(w)} is not in the loss's graph (or does not require a gradient); "
                "pass the weights the loss was computed from"
            )
        delta = known[w]
        new = w.data - lr * delta
        name = naming.name(w)
        sentence = (
            f"ŵ = w − α·δw: {name} = {num(w.data)} − {num(lr)}·{factor(delta)} = {num(new)}"
        )
        out.append(Step(len(out) + 1, UPDATE, w, delta, (), sentence, final, w.data, new))
    return out


def _delta_sentence(naming: Naming, node: Value, delta: Any, parts: tuple[Contribution, ...]) -> str:
    symbol = naming.delta(node)
    if not parts:
        return f"{symbol} = {num(delta)} (the start: ∂{naming.name(node)}/∂{naming.name(node)} = 1)"
    if len(parts) == 1:
        return f"{symbol} = {parts[0].sentence}"
    # A node used several times receives one δ per use; its δ is their sum.
    terms = " + ".join(factor(p.value) for p in parts)
    return f"{symbol} = {terms} = {num(delta)}"


def _plain(x: Any) -> Any:
    return x.data if isinstance(x, Value) else x


def _values(values: Iterable[Value]) -> list[Value]:
    if isinstance(values, Value):
        raise TypeError("params must be a list of Values, not one Value; write params=[w]")
    out = list(values)
    for v in out:
        if not isinstance(v, Value):
            raise TypeError(f"params must hold Values, got {type(v).__name__}")
    return out


def _by_node(mapping: Mapping[Value, str] | None, what: str, example: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for key, shown in (mapping or {}).items():
        if not isinstance(key, Value) or not isinstance(shown, str):
            raise TypeError(f"{what} maps Values to str, e.g. {example}")
        out[id(key)] = shown
    return out


"""The backward pass as a list of steps, in the engine's own order, for stepping through it.

Each δ step is one node whose δ is now complete: the engine's `propagate` releases a node once every
node that uses it has sent its share, so the step lists those shares (the chain-rule products) and
the δs known so far. Optional update steps follow (`lr=`): ŵ = w − α·δw, exactly. Nothing here
writes `.grad` or calls a hook: the δs come from `autodiff.propagate(..., hooks=False)`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from autodiff import Parameter, Value, check_number, propagate, topological_order
from autodiff.exact import one_like

from . import chain

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
    """A number as the pictures show it: exactly, with a true minus sign (`−3/11600`, `1/10^7`)."""
    return chain.number(_plain(x))


def factor(x: Any) -> str:
    """A number inside a product: negative numbers in parentheses, `(−1)`."""
    shown = num(x)
    return f"({shown})" if shown.startswith("−") else shown


class Naming:
    """The names a step's sentences use (from `viz.chain`) and the nodes' ids in the drawings."""

    def __init__(
        self,
        root: Value,
        names: Mapping[Value, str] | None = None,
        delta_names: Mapping[Value, str] | None = None,
    ):
        self.rule = chain.ChainRule(root, names, delta_names)
        self.names = {id(k) for k in (names or {})}
        order = topological_order(root, only_requiring_grad=False)
        # The same ids as `viz.records`: the order of the same deterministic walk.
        self.ids = {id(node): f"n{i}" for i, node in enumerate(order)}
        self.order = order

    def node_id(self, node: Value) -> str:
        """The node's id in the drawings (`n0` is the root)."""
        return self.ids[id(node)]

    def name(self, node: Value) -> str:
        """A short name: the one given in `names`, the node's own, or one made from its inputs."""
        return self.rule.display_name(node)

    def delta(self, node: Value) -> str:
        """The δ's symbol: `δ3` where the articles name it, else `δ` and the node's name."""
        return self.rule.delta_symbol(node)

    def local(self, node: Value, index: int) -> str:
        """∂node/∂(input `index`) in symbols: `w2_2` for a product, `relu′(o2)`, `1` for a sum."""
        return self.rule.local_symbol(node, index)

    def hat(self, node: Value) -> str:
        """The updated weight's name: `ŵ2_2`."""
        name = self.rule.display_name(node, 1)
        return unicodedata.normalize("NFC", f"{name[0]}\u0302{name[1:]}") if name else "ŵ"


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
        out.append(Step(len(out) + 1, DELTA, node, delta, parts, sentence, MappingProxyType(dict(known))))
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
                f"{naming.delta(node)} · {chain.bracketed(naming.local(node, i))}"
                f" = {factor(delta)} · {factor(local)} = {num(value)}"
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
        sentence = (
            f"{naming.hat(w)} = {naming.name(w)} − α·{naming.delta(w)} = "
            f"{num(w.data)} − {num(lr)}·{factor(delta)} = {num(new)}"
        )
        out.append(Step(len(out) + 1, UPDATE, w, delta, (), sentence, final, w.data, new))
    return out


def _delta_sentence(naming: Naming, node: Value, delta: Any, parts: tuple[Contribution, ...]) -> str:
    symbol = naming.delta(node)
    if not parts:
        return f"{symbol} = {num(delta)} (the start: ∂{naming.name(node)}/∂{naming.name(node)} = 1)"
    if len(parts) == 1:
        if naming.delta(parts[0].user) == symbol:
            # A term of a sum shares its user's δ name: the δ passes on unchanged. So does the first
            # term of a difference, which is not a sum: say why without calling it one.
            op = parts[0].user.op
            why = (
                "a sum passes δ on unchanged"
                if op in ("add", "sum")
                else "a difference passes δ on unchanged to its first term"
                if op == "sub"
                else "its factor is 1"
            )
            return f"{naming.name(node)} receives {parts[0].sentence} ({why})"
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

"""The backward pass as a list of steps, in the engine's own order, for stepping through it.

Each δ step is one node whose δ is now complete: the engine's `propagate` releases a node once every
node that uses it has sent its share, so the step lists those shares (the chain-rule products) and
the δs known so far. Optional update steps follow (`lr=`): ŵ = w − α·δw, exactly. Nothing here
writes `.grad` or calls a hook: the δs come from `autodiff.propagate(..., hooks=False)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from autodiff import Parameter, Value, propagate
from autodiff.exact import one_like

from . import chain, text
from .names import Names
from .records import check_values
from .scene import DELTA, UPDATE
from .update import rule_of, update


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


class KnownDeltas(Mapping[Value, Any]):
    """The δs known after step `upto`: a read-only view of the pass's one table, not a copy.

    Every step shares one table of (step number, δ) by node, so a pass of n steps keeps n entries
    in all, not n²/2; a view only filters by step number when it is read.
    """

    __slots__ = ("_count", "_table", "_upto")

    def __init__(self, table: dict[int, tuple[int, Value, Any]], upto: int, count: int) -> None:
        self._table = table
        self._upto = upto
        self._count = count

    def __getitem__(self, node: Value) -> Any:
        entry = self._table.get(id(node))
        if entry is None or entry[0] > self._upto or entry[1] is not node:
            raise KeyError(node)
        return entry[2]

    def __iter__(self) -> Iterator[Value]:
        return (node for number, node, _ in self._table.values() if number <= self._upto)

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"KnownDeltas({self._count} δs, up to step {self._upto})"


num = text.shown
"""A number as the pictures show it: exactly, with a true minus sign (`−3/11600`, `10⁻⁷`)."""
factor = text.factor


def steps(
    loss: Value,
    *,
    lr: Any = None,
    names: Mapping[Value, str] | None = None,
    delta_names: Mapping[Value, str] | None = None,
    params: Iterable[Value] | None = None,
    naming: Names | None = None,
) -> list[Step]:
    """The backward pass of `loss` as steps in the engine's order, then, with `lr`, one update per weight.

    Reads the graph only: no `.grad` is changed and no hook is called. The weights updated are
    `params`, or by default every `Parameter` in the graph (what `autodiff.learn` and the articles make).
    `naming` is the graph's `viz.names.Names` when the caller has one (from the same names/delta_names).
    """
    if not isinstance(loss, Value):
        raise TypeError(f"steps() needs the loss, a Value; got {type(loss).__name__}")
    if not loss.requires_grad:
        raise ValueError(
            "steps(): this Value does not depend on anything that requires a gradient, so there is "
            "no backward pass to step through"
        )
    if lr is not None:
        lr = rule_of(lr, "steps(lr=...)")
    if naming is None:
        naming = Names(loss, names, delta_names)
    chosen = None if params is None else check_values(params, "params")
    return _steps(loss, naming, lr, chosen)


def _steps(loss: Value, naming: Names, lr: Any, params: list[Value] | None) -> list[Step]:
    received: dict[int, list[Contribution]] = {}
    known: dict[int, tuple[int, Value, Any]] = {}  # shared by every step's KnownDeltas
    out: list[Step] = []
    seed = one_like(_plain(loss.data))
    for node, delta in propagate(loss, seed, hooks=False):
        parts = tuple(received.pop(id(node), ()))
        number = len(out) + 1
        known[id(node)] = (number, node, delta)
        sentence = _delta_sentence(naming, node, delta, parts)
        out.append(Step(number, DELTA, node, delta, parts, sentence, KnownDeltas(known, number, number)))
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
    final = KnownDeltas(known, len(out), len(out))
    for w in weights:
        if w not in final:
            raise ValueError(
                f"params: {naming.name(w)} is not in the loss's graph (or does not require a gradient); "
                "pass the weights the loss was computed from"
            )
        delta = final[w]
        # The optimizer's own rule (plain SGD for a number): see viz.update.
        sentence, new = update(lr, w, delta, naming.name(w), naming.hat(w), naming.delta(w))
        out.append(Step(len(out) + 1, UPDATE, w, delta, (), sentence, final, w.data, new))
    return out


def _delta_sentence(naming: Names, node: Value, delta: Any, parts: tuple[Contribution, ...]) -> str:
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

"""One naming service per graph: node ids, names, δ names, ŵ names and the element ids of every picture.

A `Names` is built once per graph (one walk, one cache) and passed down to `records`, `steps` and
the frames, so a node is named and numbered in one place:

    names = Names(loss, names={y: "y_truth"}, delta_names={o3: "δ4"})
    names.id(v) -> "n3"          # the order of one deterministic walk: the loss is n0
    names.name(v) -> "w2_1·o1_1"  # given, own, made from its inputs, or short (`s1`, `z1`)
    names.short(v) -> "w2_1·…"    # one level deep
    names.delta(v) -> "δ3"        # given, `δ` + name, or the δ of the sum it is a term of
    names.key(v) -> "o3 − y_truth"  # for an operation with a long made-up name, shown as `s1`
    names.hat(v) -> "ŵ2_1"

Element ids, one scheme for the DOT drawings, the frames and the step page's script (views other
than "backward" prefix their name, e.g. `forward-node-n0`):

    node_element("n3") -> "node-n3"
    edge_element("n1", "n0", 0) -> "edge-n1-n0-0"
    layer_element(0) -> "layer-0"
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from autodiff import Value, topological_order

from . import text
from .text import MINUS

if TYPE_CHECKING:
    from .chain import ChainRule, EdgeChain

ADD, NEG, MUL, POW, ATOM = 1, 2, 3, 4, 5
"""Binding strength of an expression's outermost operator, for parentheses."""

SUPERSCRIPTS = {2: "²", 3: "³"}
NAME_CHARS = text.MAX_NAME_CHARS
"""A made-up name longer than this is made again one level shallower."""
DELTA_NAME_CHARS = 24

_INFIX = {"add": ("+", ADD), "sub": (MINUS, ADD), "mul": ("·", MUL), "div": ("/", MUL)}


# --- element ids --------------------------------------------------------------------------------


def node_element(node_id: str, prefix: str = "") -> str:
    """The SVG element id of node `node_id` (`node-n3`; a view's prefix first: `forward-node-n3`)."""
    return f"{prefix}node-{node_id}"


def edge_element(parent: str, child: str, index: int, prefix: str = "") -> str:
    """The SVG element id of the arrow from input `index` (`parent`) of `child`: `edge-n1-n0-0`."""
    return f"{prefix}edge-{parent}-{child}-{index}"


def layer_element(index: int, prefix: str = "") -> str:
    """The SVG element id of layer box number `index` (forward order): `layer-0`."""
    return f"{prefix}layer-{index}"


# --- names of one node --------------------------------------------------------------------------


def lookup(mapping: Mapping[Value, str] | None, what: str = "names and delta_names") -> dict[int, str]:
    """`mapping` keyed by node identity (two equal numbers are two nodes), checked: Values to str."""
    out: dict[int, str] = {}
    for key, value in (mapping or {}).items():
        if not isinstance(key, Value) or not isinstance(value, str):
            raise TypeError(f"{what} map Values to str, e.g. {{y: 'y_truth'}}")
        out[id(key)] = value
    return out


def name_of(node: Value, names: dict[int, str], depth: int) -> tuple[str, int]:
    """(text, binding strength) of a node's name, made from its inputs when it has none."""
    given = names.get(id(node), node.name)
    if given is not None:
        return text.name(given), ATOM
    if node.is_leaf:
        shown = text.shown(node.data)
        return shown, NEG if shown.startswith(MINUS) else ATOM
    op = node.op or "op"
    if depth <= 0:
        return "…", ATOM
    parts = [name_of(p, names, depth - 1) for p in node.parents]

    def wrap(part: tuple[str, int], need: int) -> str:
        return part[0] if part[1] >= need else f"({part[0]})"

    if op in _INFIX and len(parts) == 2:
        symbol, prec = _INFIX[op]
        right = prec + 1 if op in ("sub", "div") else prec
        joiner = symbol if op in ("mul", "div") else f" {symbol} "
        return f"{wrap(parts[0], prec)}{joiner}{wrap(parts[1], right)}", prec
    if op == "sum":
        if len(parts) <= 3:
            return " + ".join(wrap(p, ADD) for p in parts), ADD
        return f"Σ({wrap(parts[0], ADD)} + …)", ATOM
    if op == "pow" and len(parts) == 2:
        exponent = node.parents[1]
        if exponent.is_leaf and exponent.data in SUPERSCRIPTS and not isinstance(exponent.data, bool):
            return f"{wrap(parts[0], ATOM)}{SUPERSCRIPTS[int(exponent.data)]}", POW
        return f"{wrap(parts[0], ATOM)}^{wrap(parts[1], ATOM)}", POW
    if op == "neg" and len(parts) == 1:
        return f"{MINUS}{wrap(parts[0], MUL)}", NEG
    return f"{op}({', '.join(p[0] for p in parts)})", ATOM


def display(node: Value, names: dict[int, str], depth: int = 2) -> str:
    """A node's name at most `depth` levels deep, shallower while it is longer than NAME_CHARS."""
    shown, _ = name_of(node, names, depth)
    while len(shown) > NAME_CHARS and depth > 0:
        depth -= 1
        shown, _ = name_of(node, names, depth)
    return shown


def display_name(node: Value, names: Mapping[Value, str] | None = None, depth: int = 2) -> str:
    """A node's name, or one made from its inputs (`w2_1·o1_1`), at most `depth` levels deep."""
    return display(node, lookup(names), depth)


def default_delta(node: Value, names: dict[int, str]) -> str:
    """`δ` + the node's name (`δw2_1`), or `δ(…)` around a made-up one."""
    given = names.get(id(node), node.name)
    if given is not None:
        return f"δ{text.name(given)}"
    shown = display(node, names, 2)
    return f"δ({shown if len(shown) <= DELTA_NAME_CHARS else display(node, names, 1)})"


def delta_symbol(
    node: Value, delta_names: Mapping[Value, str] | None = None, names: Mapping[Value, str] | None = None
) -> str:
    """The name of `node`'s δ: `delta_names[node]`, else `δ` + its name, else `δ(…)`."""
    given = lookup(delta_names).get(id(node))
    return given if given is not None else default_delta(node, lookup(names))


SHORT_AFTER = 12
"""A made-up name longer than this (`(o3 − y_truth)²`), or one with `…` in it, is replaced by a short
one (`s1`) with a key; `w2_1·o1_1` and `o3 − y_truth` read as they are."""


def short_names(order: list[Value], names: dict[int, str]) -> tuple[dict[int, str], dict[int, str]]:
    """Short names for the unnamed operations whose made-up names are long: ({node: `s1`}, {node: key}).

    `order` is the graph's walk (the root first); numbering follows the forward order, so `s1` is the
    first such node the inputs meet. The Σ of a neuron before its named activation is `Σo2_1` (its δ
    is `δΣo2_1`), another sum `z1`, `z2`, …, anything else
    `s1`, `s2`, …; a key such as `s1 = (o3 − y_truth)²` is made from the inputs' own short names.
    Names given or already taken are skipped.
    """
    taken = set(names.values()) | {node.name for node in order if node.name is not None}
    shorts: dict[int, str] = {}
    keys: dict[int, str] = {}
    merged = dict(names)  # the given names and the short ones made so far (one dict: linear time)
    users: dict[int, list[Value]] = {}
    for user in order:
        for parent in user.parents:
            users.setdefault(id(parent), []).append(user)
    counts = {"z": 0, "s": 0}
    for node in reversed(order):
        if node.is_leaf or node.name is not None or id(node) in names:
            continue
        made = display(node, merged, 2)
        if len(made) <= SHORT_AFTER and "…" not in made:
            continue
        used_by = users.get(id(node), [])
        user_name = merged.get(id(used_by[0]), used_by[0].name) if len(used_by) == 1 else None
        if node.op == "sum" and user_name is not None and len(used_by[0].parents) == 1:
            # A neuron's Σ before its activation: named after the activation, as its δ is (δΣo2_1).
            shorts[id(node)] = merged[id(node)] = f"Σ{user_name}"
            keys[id(node)] = made
            continue
        letter = "z" if node.op in ("sum", "add") else "s"
        while True:
            counts[letter] += 1
            short = f"{letter}{counts[letter]}"
            if short not in taken:
                break
        shorts[id(node)] = merged[id(node)] = short
        keys[id(node)] = made
    return shorts, keys


def short_named(nodes: Any) -> list[Any]:
    """The scene nodes with a short name and its key, in reading order: Σo1_1 before Σo2_1, s2 before s10."""
    keyed = [node for node in nodes if getattr(node, "key", None) and node.name]

    def natural(node: Any) -> list[Any]:
        return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", node.name)]

    return sorted(keyed, key=natural)


def hat(name: str) -> str:
    """The updated weight's name: `ŵ2_2` for `w2_2` (a combining circumflex on the first letter)."""
    return unicodedata.normalize("NFC", f"{name[0]}\u0302{name[1:]}") if name else "ŵ"


# --- one graph ----------------------------------------------------------------------------------


def node_ids(order: list[Value]) -> dict[int, str]:
    """Node ids by `id(node)` for a full walk from the root: `n0` is the root, then the walk's order."""
    return {id(node): f"n{i}" for i, node in enumerate(order)}


class Names:
    """Every name and id of the graph that produced `root`, from one walk (see the module docstring)."""

    def __init__(
        self,
        root: Value,
        names: Mapping[Value, str] | None = None,
        delta_names: Mapping[Value, str] | None = None,
    ):
        from .chain import ChainRule  # chain builds its symbols from the functions above

        if not isinstance(root, Value):
            raise TypeError(f"viz names the nodes of a Value's graph, got {type(root).__name__}")
        self.root = root
        self.order: list[Value] = topological_order(root, only_requiring_grad=False)
        self._ids = node_ids(self.order)
        self._given = lookup(names)
        self.rule: ChainRule = ChainRule(root, names, delta_names, order=self.order)

    def id(self, node: Value) -> str:
        """The node's id in every picture: `n0` is the root, then the order of one deterministic walk."""
        return self._ids[id(node)]

    def has(self, node: Value) -> bool:
        """Whether `node` is in this graph."""
        return id(node) in self._ids

    def given(self, node: Value) -> bool:
        """Whether the caller named this node (`names=`)."""
        return id(node) in self._given

    def name(self, node: Value, depth: int = 2) -> str:
        """The name shown: given in `names`, the node's own, or made from its inputs."""
        return self.rule.display_name(node, depth)

    def key(self, node: Value) -> str | None:
        """What a short name stands for (`o3 − y_truth` for `s1`), None for a node with its own name."""
        return self.rule.key(node)

    def short(self, node: Value) -> str:
        """A name at most one level deep (`tanh(…)`), for places with little room."""
        return self.rule.display_name(node, 1)

    def delta(self, node: Value) -> str:
        """The δ's symbol: `δ3` where the articles name it, else `δ` and the node's name."""
        return self.rule.delta_symbol(node)

    def local(self, node: Value, index: int) -> str:
        """∂node/∂(input `index`) in symbols: `w2_2` for a product, `relu′(o2)`, `1` for a sum."""
        return self.rule.local_symbol(node, index)

    def hat(self, node: Value) -> str:
        """The updated weight's name: `ŵ2_2`."""
        return hat(self.short(node))

    def edge(self, node: Value, index: int) -> EdgeChain:
        """What the arrow from `node` back to its input `index` says (see `viz.chain.EdgeChain`)."""
        return self.rule.edge(node, index)

    def update(self, weight: Value, lr: Any) -> str:
        """The weight's SGD step in symbols then numbers: `ŵ2_3 = w2_3 − α·δw2_3 = ... = ...`."""
        return self.rule.update(weight, lr)

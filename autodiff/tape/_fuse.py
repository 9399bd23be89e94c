"""Fusion for the batched replay: each layer of neurons becomes one matrix product.

A neuron records one `sum` node over weight·input products (and a bias): `Σ(w1·x1, ..., wn·xn, b)`.
Neurons whose sums read the *same* inputs in the same order form a layer; their weights form a
matrix `W` (one row per neuron) and the layer's sums are one product `X @ W.T + b` over the batch,
`X` holding one column per input. When every sum of a layer feeds one node of the same unary
primitive (its activation), that primitive runs once on the whole matrix; the next layer then
reads the matrix directly. The δ of `W` is `δZ.T @ X`, which sums over the batch as it multiplies.

Only what has that shape is fused: a weight used anywhere else, a product used twice, inputs that
do not change with the data, stay scalar nodes. The rewritten graph is handed to the same
compiler, with operations of its own (`stack` of columns, `linear`, one `column` of a matrix, and
`permute` when a layer reads the previous one's columns in another order).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import ops
from ..value import Value
from ._emit import ATOM, _Derivative, _PrimCode, _Template


class _Op:
    """An operation of the rewritten graph with its own code (the compiler uses `code` as is)."""

    __slots__ = ("code", "name")

    def __init__(self, name: str, code: _PrimCode):
        self.name = name
        self.code = code


class _Node:
    """A node of the rewritten graph: a primitive (or an `_Op`) applied to parents."""

    __slots__ = ("origin", "parents", "primitive")

    def __init__(self, primitive: Any, parents: tuple[Any, ...], origin: Value | None = None):
        self.primitive = primitive
        self.parents = parents
        self.origin = origin


class _Matrix:
    """A leaf holding parameters as an array: a weight matrix (rows of Values) or a bias vector."""

    __slots__ = ("rows", "vector")

    primitive = None
    parents = ()

    def __init__(self, rows: list[list[Value]], vector: bool):
        self.rows = rows
        self.vector = vector

    @property
    def values(self) -> list[Value]:
        return [v for row in self.rows for v in row]

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.rows),) if self.vector else (len(self.rows), len(self.rows[0]))


def _template(text: str, precedence: int = ATOM) -> _Template:
    """A template whose every field is filled with an atom (a name or a parenthesised expression)."""
    import re

    counts: dict[str, int] = {}
    for field in re.findall(r"\{(\w+)\}", text):
        counts[field] = counts.get(field, 0) + 1
    return _Template(text, precedence, 1, counts, dict.fromkeys(counts, ATOM))


def _code(forward: str, derivatives: Sequence[str]) -> _PrimCode:
    return _PrimCode(_template(forward), [_Derivative(_template(d)) for d in derivatives])


def _stack(n: int) -> _Op:
    fields = ", ".join(f"{{{k}}}" for k in range(n))
    return _Op("stack", _code(f"stack_columns({fields})", [f"{{d}}[:, {k}]" for k in range(n)]))


def _column(j: int) -> _Op:
    return _Op("column", _code(f"{{0}}[:, {j}]", [f"one_column({{d}}, {{0}}, {j})"]))


_LINEAR = _Op("linear", _code("{0} @ {1}.T", ["{d} @ {1}", "{d}.T @ {0}"]))
_LINEAR_BIAS = _Op("linear", _code("{0} @ {1}.T + {2}", ["{d} @ {1}", "{d}.T @ {0}", "{d}.sum(0)"]))
# `X @ W.T + b` written as one expression: its precedence is a sum's, not an atom's.
_LINEAR_BIAS.code.forward.precedence = 12
_LINEAR_BIAS.code.forward.atom = False
_LINEAR.code.forward.precedence = 13
_LINEAR.code.forward.atom = False


class Fused:
    """The rewritten graph, for the compiler, and how to map its inputs back to the Tape's."""

    def __init__(
        self,
        every: list[Any],
        order: list[int],
        inputs: list[Any],
        locations: list[tuple[int, int]],
        layers: int,
    ):
        self.every = every
        self.order = order
        self.inputs = inputs
        self.layers = layers
        self.size = len(locations)
        # Per input of the rewritten graph: the positions among the Tape's inputs of its δ's entries.
        self.destinations: list[list[int]] = [[] for _ in inputs]
        for i, (k, _) in sorted(enumerate(locations), key=lambda item: item[1]):
            if k >= 0:
                self.destinations[k].append(i)

    def finish(self, grads: Sequence[Any], xp: Any, n: int) -> Any:
        """The Tape inputs' δs (summed over the batch) from the rewritten graph's."""
        reduced = [
            g if isinstance(leaf, _Matrix) else xp.reduce_one(g, n)
            for g, leaf in zip(grads, self.inputs, strict=True)
        ]
        return xp.gather(reduced, self.destinations, self.size)


def fuse_layers(
    output: Value, every: list[Value], inputs: Sequence[Value], data: Sequence[Value]
) -> Fused | None:
    """The graph with its layers of neurons fused, or None when no layer has that shape."""
    # A node frozen with requires_grad_(False) above nodes that learn stops δ where the compiler's
    # plain order knows it: leave such graphs to the node-by-node replay.
    if any(
        not node.requires_grad and node.primitive is not None and any(p.requires_grad for p in node.parents)
        for node in every
    ):
        return None
    uses: dict[int, int] = {}
    for node in every:
        for p in node.parents:
            uses[id(p)] = uses.get(id(p), 0) + 1
    is_input = {id(v) for v in inputs}
    # Which nodes change with the data (a layer's inputs must: they become columns over the batch).
    varies = {id(v) for v in data}
    for node in reversed(every):  # parents first
        if any(id(p) in varies for p in node.parents):
            varies.add(id(node))

    def neuron(node: Value) -> tuple[tuple[int, ...], list[Value], Value | None, list[Value]] | None:
        """(key of its inputs, its weights, its bias, its inputs) if `node` is a neuron's Σ."""
        # A node whose own δ is asked for (an intermediate input) stays a node of its own.
        if node.primitive is None or node.primitive.base is not ops.sum or id(node) in is_input:
            return None
        parents = list(node.parents)
        bias = None
        last = parents[-1]
        if last.primitive is None and id(last) in is_input and uses[id(last)] == 1:
            bias = last
            parents = parents[:-1]
        if not parents:
            return None
        weights, xs = [], []
        for p in parents:
            if p.primitive is not ops.mul or uses[id(p)] != 1 or id(p) in is_input:
                return None
            w, x = p.parents
            if not (w.primitive is None and id(w) in is_input and uses[id(w)] == 1 and id(x) in varies):
                return None
            weights.append(w)
            xs.append(x)
        return (tuple(id(x) for x in xs), bias is not None), weights, bias, xs  # type: ignore[return-value]

    groups: dict[Any, list[tuple[Value, list[Value], Value | None, list[Value]]]] = {}
    for node in every:
        found = neuron(node)
        if found is not None:
            key, weights, bias, xs = found
            groups.setdefault(key, []).append((node, weights, bias, xs))
    if not groups:
        return None

    # Pass 1: per layer (in the order they are computed) its matrix nodes. `vector_of` maps an
    # original node standing for column j of a matrix node to (matrix, j); `absorbed` holds the
    # original nodes a matrix node replaces.
    position = {id(node): i for i, node in enumerate(every)}  # root first: a larger one is computed earlier
    users: dict[int, list[Value]] = {}
    for node in every:
        for p in node.parents:
            users.setdefault(id(p), []).append(node)
    vector_of: dict[int, tuple[Any, int]] = {}
    absorbed: set[int] = set()
    matrices: list[_Matrix] = []
    stacks: list[tuple[_Node, list[Value]]] = []
    for group in sorted(groups.values(), key=lambda g: -max(position[id(item[0])] for item in g)):
        group.sort(key=lambda item: position[id(item[0])])
        xs = group[0][3]
        # The layer's input matrix: a previous layer's matrix when it holds exactly these columns.
        x_matrix = _same_columns(xs, vector_of)
        if x_matrix is None:
            x_matrix = _Node(_stack(len(xs)), ())
            stacks.append((x_matrix, xs))
        w = _Matrix([weights for _, weights, _, _ in group], vector=False)
        matrices.append(w)
        parents: tuple[Any, ...] = (x_matrix, w)
        has_bias = group[0][2] is not None
        if has_bias:
            b = _Matrix([[bias] for _, _, bias, _ in group if bias is not None], vector=True)
            matrices.append(b)
            parents = (*parents, b)
        z: Any = _Node(_LINEAR_BIAS if has_bias else _LINEAR, parents)
        tops = [s for s, _, _, _ in group]
        for s in tops:
            absorbed.add(id(s))
            absorbed.update(id(p) for p in s.parents)
        # One activation over the whole matrix: each sum used once, by nodes of one unary primitive.
        while True:
            above = [users.get(id(t), []) for t in tops]
            if not all(len(u) == 1 for u in above):
                break
            nexts = [u[0] for u in above]
            prim = nexts[0].primitive
            if prim is None or prim.arity != 1 or any(u.primitive is not prim for u in nexts):
                break
            if len({id(u) for u in nexts}) != len(nexts) or any(id(u) in is_input for u in tops):
                break
            z = _Node(prim, (z,))
            absorbed.update(id(t) for t in nexts)
            tops = nexts
        for j, t in enumerate(tops):
            vector_of[id(t)] = (z, j)
    # Pass 2, parents first: every node not replaced, a column of its matrix where it stands for one.
    made: dict[int, Any] = {}
    for node in reversed(every):
        if id(node) in vector_of:
            matrix, j = vector_of[id(node)]
            made[id(node)] = _Node(_column(j), (matrix,))
        elif id(node) in absorbed:
            continue
        elif node.primitive is None:
            made[id(node)] = node  # a leaf stays itself: the step reads its `.data` or its data column
        else:
            made[id(node)] = _Node(node.primitive, tuple(made[id(p)] for p in node.parents), node)
    for stack, xs in stacks:
        stack.parents = tuple(made[id(x)] for x in xs)
    return _finished(made[id(output)], inputs, matrices, len(groups))


def _same_columns(xs: Sequence[Value], vector_of: dict[int, tuple[Any, int]]) -> Any:
    """The matrix node whose columns are exactly `xs` (reordered by a `permute` node if needed), or None."""
    first = vector_of.get(id(xs[0]))
    if first is None:
        return None
    matrix = first[0]
    columns = []
    for x in xs:
        found = vector_of.get(id(x))
        if found is None or found[0] is not matrix:
            return None
        columns.append(found[1])
    width = sum(1 for m, _ in vector_of.values() if m is matrix)
    if sorted(columns) != list(range(width)):
        return None
    if columns == list(range(width)):
        return matrix
    inverse = [0] * width
    for k, j in enumerate(columns):
        inverse[j] = k
    return _Node(_Op("permute", _code(f"{{0}}[:, {columns}]", [f"{{d}}[:, {inverse}]"])), (matrix,))


def _finished(root: Any, inputs: Sequence[Value], matrices: list[_Matrix], layers: int) -> Fused | None:
    """Order the rewritten graph for the compiler and say where each Tape input's δ lands."""
    # Depth-first, parents before users; then reversed: root first, each node before its parents.
    order_list: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order_list.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for p in reversed(node.parents):
            if id(p) not in seen:
                stack.append((p, False))
    every = order_list[::-1]
    present = {id(n) for n in every}
    graph_inputs: list[Any] = [m for m in matrices if id(m) in present]
    where: dict[int, tuple[int, int]] = {}
    for k, m in enumerate(graph_inputs):
        for flat, v in enumerate(m.values):
            where[id(v)] = (k, flat)
    for v in inputs:
        if id(v) not in where and id(v) in present:
            where[id(v)] = (len(graph_inputs), -1)
            graph_inputs.append(v)
    if any(id(v) not in where for v in inputs):
        return None  # an input the rewritten graph no longer holds: replay node by node instead
    locations = [where[id(v)] for v in inputs]
    return Fused(every, list(range(len(every))), graph_inputs, locations, layers)

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

With its data leaves marked (`Tape(loss, inputs=params, data=[*x, y])`), the graph of one sample
replays over a whole batch at once: `tape.batched(backend="numpy")` (or "torch").

The package: `_trace` turns the table's rules into expression trees (`autodiff.trace_rule`,
every decision forked), `_emit` renders trees as code templates through a dialect, `_compile`
plans the graph and writes the forward and backward statements, `_batched` / `_fuse` / `_torch`
make the batched replay, and this module is the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..backward import adding_into_grads, topological_order
from ..checks import FloatRangeError, check_number
from ..exact import Number, format_number, is_finite
from ..modes import gc_paused, state
from ..value import Value, accumulate_grad

__all__ = ["Batched", "NotBatchable", "Tape"]

# A replay is compiled in pieces of about this much source text: Python's compiler needs about
# 100 bytes per character of code while it works, so one function for a graph of millions of nodes
# would need gigabytes. Numbers that one piece computes and another reads pass through a list.
CHUNK_CHARACTERS = 100_000
# Longest expression written for one node and the nodes fused into it.
MAX_TEXT = 1_500
# Deepest expression written: Python's parser refuses 200 nested parentheses, and its compiler
# recurses once per level.
MAX_DEPTH = 60
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

    `data=[...]` marks the leaves that hold one sample's data (never inputs by default); then
    `tape.batched()` replays the same graph over a whole batch of samples at once (numpy or torch).
    """

    def __init__(
        self, output: Value, inputs: Sequence[Value] | None = None, data: Sequence[Value] | None = None
    ):
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
            marked = () if data is None else _checked_data(data, every)
            if inputs is None:
                marked_ids = {id(v) for v in marked}
                chosen = [v for v in _leaves_in_reading_order(output) if id(v) not in marked_ids]
            else:
                chosen = _checked_inputs(inputs, [every[i] for i in order])
                marked_ids = {id(v) for v in marked}
                clash = next((v for v in chosen if id(v) in marked_ids), None)
                if clash is not None:
                    raise ValueError(
                        f"Tape: {_label(clash)} is both an input and a data leaf; an input is what you "
                        "differentiate by (a parameter), a data leaf changes with each sample"
                    )
            self.inputs: tuple[Value, ...] = tuple(chosen)
            self.data: tuple[Value, ...] = marked
            # A batched replay is compiled from the graph later: keep it only when data leaves are
            # marked. Then the scalar replay is compiled on first use too (a batched step may be all
            # that is wanted); otherwise now, and only the leaves are kept, not the recorded graph.
            self._output = output if data is not None else None
            self._compiled: _Compiled | None = None
            if data is None:
                graph = [every, order]
                del every, order  # the compiler frees the graph's tables as it goes: hold no other reference
                self._compiled = _compiled(output, graph, self.inputs)

    def _scalar(self) -> _Compiled:
        compiled = self._compiled
        if compiled is None:
            assert self._output is not None
            with gc_paused():
                every = topological_order(self._output, only_requiring_grad=False)
                graph = [every, _backward_order(self._output, every)]
                del every
                compiled = self._compiled = _compiled(self._output, graph, self.inputs)
        return compiled

    @property
    def _run(self) -> Any:
        return self._scalar().run

    @property
    def _leaves(self) -> list[Value]:
        return self._scalar().leaves

    @property
    def _sources(self) -> list[str]:
        return self._scalar().sources

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
        with adding_into_grads():  # threads replaying into a shared weight lose no update
            for v, g in zip(self.inputs, grads, strict=True):
                accumulate_grad(v, g)
        return result

    def forward(self) -> Number:
        """Replay only the forward pass: the output's number for the leaves' current numbers."""
        result: Number = self._run(self._leaves, None, False)[0]
        return result

    def batched(
        self, backend: str = "numpy", reduction: str = "sum", *, device: str | None = None, fuse: bool = True
    ) -> Batched:
        """The recorded sample's graph replayed over a batch: `losses, grads = step({x: xs, ..., y: ys})`.

        Needs `Tape(..., data=[...])`. `backend` is "numpy" or "torch" (then `device` "cpu" or "cuda");
        `reduction` "sum" or "mean" says how each input's δ combines over the samples. With `fuse`,
        each layer of neurons (Σ of weight·input products sharing their inputs) becomes one matrix
        product. Numbers are float64; Fractions do not batch.
        """
        if self._output is None:
            raise ValueError(
                "Tape.batched: mark the data leaves when recording, e.g. Tape(loss, inputs=params, "
                "data=[*x, y]); their numbers are what changes from sample to sample"
            )
        if backend not in BACKENDS:
            raise ValueError(f"Tape.batched: backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        if reduction not in REDUCTIONS:
            raise ValueError(f"Tape.batched: reduction must be 'sum' or 'mean', got {reduction!r}")
        return Batched(
            self._output,
            self.inputs,
            self.data,
            backend=backend,
            reduction=reduction,
            device=device,
            fuse=fuse,
        )

    def to_torch_module(self) -> Any:
        """The recorded forward as a PyTorch `nn.Module` over batches, its parameters set from the inputs.

        `module(x1=tensor, ...)` (keys: the data leaves' names) or `module({x1: tensor, ...})` gives each
        sample's output; torch's autograd, optimisers and devices then apply. Needs `data=[...]`.
        """
        if self._output is None:
            raise ValueError(
                "Tape.to_torch_module: mark the data leaves when recording (Tape(..., data=[...]))"
            )
        from ._torch import torch_module

        return torch_module(self._output, self.inputs, self.data)

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


def _compiled(output: Value, graph: list[Any], inputs: Sequence[Value]) -> _Compiled:
    """The scalar replay of `graph` = [every node (root first), backward's order], emptied on the way."""
    every, order = graph
    graph.clear()
    compiler = _Compiler(output, every, order, inputs)
    del every, order
    out_name, result_names = compiler.write()
    return compiler.finish(out_name, result_names)


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


def _checked_data(data: Sequence[Value], every: list[Value]) -> tuple[Value, ...]:
    """`data` as a tuple, each a leaf of the graph, none twice."""
    if not isinstance(data, Iterable) or isinstance(data, Value):
        raise TypeError(f"Tape: data must be a list of the data leaves (Values), got {type(data).__name__}")
    marked = tuple(data)
    nodes = {id(v) for v in every}
    seen: set[int] = set()
    for i, v in enumerate(marked):
        if not isinstance(v, Value):
            raise TypeError(f"Tape: data[{i}] must be a Value, got {type(v).__name__}")
        if not v.is_leaf:
            raise ValueError(
                f"Tape: data[{i}] ({_label(v)}) is computed by an operation; mark the leaves only"
            )
        if id(v) not in nodes:
            raise ValueError(
                f"Tape: data[{i}] ({_label(v)}) is not part of the output's graph: its number was used as a "
                "plain number (such as x.data) or not at all, so a replay could not change it"
            )
        if id(v) in seen:
            raise ValueError(f"Tape: data[{i}] ({_label(v)}) is listed twice")
        seen.add(id(v))
    return marked


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


# Imported last: the compiler reads the limits above through this module (tests lower them).
from ._batched import BACKENDS, REDUCTIONS, Batched, NotBatchable  # noqa: E402
from ._compile import _Compiled, _Compiler  # noqa: E402

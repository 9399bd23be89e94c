"""The compiler: a recorded graph to the statements of a replay, then to one or more Python functions.

Three steps, each run once per `Tape`: `_plan` reads the graph into plain arrays (each node's
primitive code, parents, users, whether it leads to an input, whether the backward pass reads its
number); `_emit_forward` writes every node's number from the leaves; `_emit_backward` writes every
δ, in `loss.backward()`'s order. `finish` compiles the statements (in pieces for a large graph).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Sequence
from typing import Any

from .. import tape as _tape  # the limits, read at each use: tests lower them
from ..checks import check_number
from ..exact import PLAIN_NUMBERS, one_like
from ..value import Value
from ._emit import ATOM, CONDITION, PRODUCT, PYTHON_SCALAR, SUM, Dialect, _PrimCode, _Rules

_NAME = re.compile(r"\bv\d+\b")


class _Compiled:
    __slots__ = ("leaves", "run", "sources")

    def __init__(self, sources: list[str], run: Callable[..., Any], leaves: list[Value]):
        self.sources = sources
        self.run = run
        self.leaves = leaves


class _Plan:
    """The graph as plain arrays, by position in `every` (root first, each node before its parents)."""

    __slots__ = ("codes", "edges", "is_input", "lead", "n", "needed", "parents", "uses")

    def __init__(self, n: int):
        self.n = n
        self.codes: list[_PrimCode | None] = []  # each node's primitive code (None for a leaf)
        self.parents: list[list[int]] = []  # each node's parents' positions
        self.uses = [0] * n  # how many times each node is a parent
        self.is_input = bytearray(n)
        self.lead = bytearray(n)  # leads to an input: needs a δ
        self.needed = bytearray(n)  # the backward pass reads its number
        self.edges: dict[int, list[int]] = {}  # the parents (by input index) a node's δ flows to


class _Compiler:
    """Writes the statements of a replay, then compiles them in one or more functions.

    With `batched=True` the replay reads its leaves' numbers from the list it is given (arrays for
    data leaves) instead of reading each leaf's `.data`, and always receives a seed.
    """

    def __init__(
        self,
        output: Value,
        every: list[Value],
        order: list[int],
        inputs: Sequence[Value],
        dialect: Dialect = PYTHON_SCALAR,
        *,
        batched: bool = False,
    ):
        self.output = output
        self.every = every  # every node, root first, each before its parents
        self.order = order  # positions in `every` of the nodes that require a gradient, in backward's order
        self.inputs = inputs
        self.rules = _Rules(dialect)
        self.batched = batched
        self.statements: list[tuple[str, str]] = []  # (name, expression)
        self.leaf_names: dict[str, Value] = {}
        self.count = 0
        self.forward_end = 0

    def new_name(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def emit(self, text: str) -> str:
        name = self.new_name()
        self.statements.append((name, text))
        return name

    def write(self) -> tuple[str, list[str]]:
        """Write the statements; return the names of the output and of each input's δ."""
        plan = self._plan()
        out_name, names = self._emit_forward(plan)
        self.forward_end = len(self.statements)
        results = self._emit_backward(plan, names)
        # Only the statements are needed from here on: the graph's tables are freed on return.
        self.every, self.order = [], []
        return out_name, results

    def _plan(self) -> _Plan:
        every, rules = self.every, self.rules
        n = len(every)
        plan = _Plan(n)
        index = {node: i for i, node in enumerate(every)}
        codes, parents, uses = plan.codes, plan.parents, plan.uses
        by_primitive: dict[int, _PrimCode] = {}
        for node in every:
            prim = node.primitive
            if prim is None:
                codes.append(None)
            else:
                code = by_primitive.get(id(prim))
                if code is None:
                    # A fused layer's operation (batched replay) brings its own code.
                    own = getattr(prim, "code", None)
                    code = by_primitive[id(prim)] = own if own is not None else rules.of(prim)
                codes.append(code)
            found = [index[p] for p in node.parents]
            parents.append(found)
            for j in found:
                uses[j] += 1
        is_input = plan.is_input
        for v in self.inputs:
            is_input[index[v]] = 1
        del index
        # Which nodes lead to an input (only those need a δ), through which of their parents (the
        # edges δ flows along); the numbers the backward pass reads (a derivative's inputs or
        # output) get a name. A node that leads to an input requires a gradient, so it learns.
        lead, needed, edges = plan.lead, plan.needed, plan.edges
        for i in reversed(self.order):  # parents before the nodes that use them
            code = codes[i]
            if code is None:
                lead[i] = is_input[i]
                continue
            ps = parents[i]
            found = [k for k, j in enumerate(ps) if lead[j]]
            if not found and not is_input[i]:
                continue
            lead[i] = 1
            edges[i] = found
            rules_of = code.derivatives
            for k in found:
                rule = rules_of[k]
                if rule.reads_out:
                    needed[i] = 1
                for j in rule.used:
                    needed[ps[j]] = 1
        needed[0] = 1  # the root
        return plan

    def _emit_forward(self, plan: _Plan) -> tuple[str, list[str | None]]:
        """Forward statements, parents before the nodes that use them: (the output's name, the names)."""
        every, codes, parents, uses, needed = self.every, plan.codes, plan.parents, plan.uses, plan.needed
        max_depth, max_text = _tape.MAX_DEPTH, _tape.MAX_TEXT
        names: list[str | None] = [None] * plan.n
        # A node written inside its user's expression: (text, precedence, depth).
        pending: dict[int, tuple[str, int, int]] = {}
        emit = self.emit
        for i in range(plan.n - 1, -1, -1):
            code = codes[i]
            if code is None:
                name = names[i] = self.new_name()
                self.leaf_names[name] = every[i]
                continue
            template = code.forward
            reads = template.reads
            args = []
            depth = 0
            for k, j in enumerate(parents[i]):
                known = names[j]
                if known is not None:
                    args.append(known)
                    continue
                text, precedence, d = pending.pop(j)
                if reads[k] != 1:  # read more than once (or not at all): compute it once, here
                    args.append(emit(text))
                    names[j] = args[-1]
                    continue
                args.append(f"({text})" if precedence < template.wants[k] else text)
                if d > depth:
                    depth = d
            text = template.text.format(*args)
            depth += template.depth + 1
            if uses[i] != 1 or needed[i] or depth > max_depth or len(text) > max_text:
                names[i] = emit(text)
            else:
                # A template that is one field alone takes its argument's precedence: assume the lowest.
                precedence = CONDITION if template.precedence is None else template.precedence
                pending[i] = (text, precedence, depth)
        out_name = names[0]
        assert out_name is not None
        return out_name, names

    def _emit_backward(self, plan: _Plan, names: list[str | None]) -> list[str]:
        """Backward statements: each node's δ once all the nodes that use it are done, in backward's order.

        Returns the names of the inputs' δs.
        """
        every, codes, parents, lead, is_input, edges = (
            self.every,
            plan.codes,
            plan.parents,
            plan.lead,
            plan.is_input,
            plan.edges,
        )
        max_depth, max_terms = _tape.MAX_DEPTH, _tape.MAX_TERMS
        n = plan.n
        # The terms of each δ not yet summed: the first as written (its precedence in `first_precedence`),
        # the others ready to follow a `+`.
        terms: list[list[str] | None] = [None] * n
        terms[0] = ["seed"]
        first_depth = [0] * n
        first_precedence = [ATOM] * n
        results: dict[int, str] = {}
        sum_terms = self.sum_terms
        for i in self.order:
            if not lead[i]:
                continue
            collected = terms[i]
            assert collected is not None
            terms[i] = None
            code = codes[i]
            if code is None or is_input[i]:
                delta, precedence, depth = sum_terms(
                    collected, first_precedence[i], first_depth[i], force=True
                )
                results[id(every[i])] = delta
                if code is None:
                    continue
                node_edges = edges[i]
            else:
                node_edges = edges[i]
                once = len(node_edges) == 1 and code.derivatives[node_edges[0]].d_once
                delta, precedence, depth = sum_terms(
                    collected, first_precedence[i], first_depth[i], force=not once
                )
            ps = parents[i]
            out = names[i] or ""
            for k in node_edges:
                rule = code.derivatives[k]
                filled = f"({delta})" if precedence < rule.need else delta
                used = rule.used
                if rule.bare:
                    term = filled
                elif used:
                    term = rule.text.format(*[names[ps[j]] for j in used], out=out, d=filled)
                else:
                    term = rule.text.format(out=out, d=filled)
                term_depth = depth + rule.depth + 1
                term_precedence = precedence if rule.precedence is None else rule.precedence
                j = ps[k]
                found_terms = terms[j]
                if found_terms is None:
                    if term_depth > max_depth:
                        term, term_depth, term_precedence = self.emit(term), 0, ATOM
                    terms[j] = [term]
                    first_depth[j] = term_depth
                    first_precedence[j] = term_precedence
                else:
                    found_terms.append(f"({term})" if term_precedence < PRODUCT else term)
                    if len(found_terms) >= max_terms:
                        terms[j] = [self.emit(_joined(found_terms, first_precedence[j]))]
                        first_depth[j] = 0
                        first_precedence[j] = ATOM
        return [results[id(v)] for v in self.inputs]

    def sum_terms(self, collected: list[str], first: int, depth: int, *, force: bool) -> tuple[str, int, int]:
        """The δ made of `collected` terms, as (text, precedence, depth): a name, or (if not `force`d)
        one term kept as an expression."""
        if len(collected) == 1:
            text = collected[0]
            if text == "seed" or (text[0] == "v" and text[1:].isdigit()):  # a name
                return text, ATOM, 0
            if not force:
                return text, first, depth
        return self.emit(_joined(collected, first)), ATOM, 0

    def finish(self, out_name: str, result_names: list[str]) -> _Compiled:
        statements = self.statements
        total = sum(len(text) for _, text in statements)
        namespace: dict[str, Any] = {
            **self.rules.namespace,
            "one_like": one_like,
            "P": PLAIN_NUMBERS,
            "check_leaves": _check_leaves,
        }
        leaves: list[Value] = []
        if total <= _tape.CHUNK_CHARACTERS:
            read = self.leaf_names_in([*statements, ("", out_name)], set())
            body = self.reads(read, leaves)
            body += [f"    {name} = {text}" for name, text in statements[: self.forward_end]]
            body += [
                "    if not grads:",
                f"        return {out_name}, ()",
                "    if seed is None:",
                f"        seed = one_like({out_name})",
            ]
            body += [f"    {name} = {text}" for name, text in statements[self.forward_end :]]
            results = ", ".join(result_names)
            body.append(f"    return {out_name}, ({results}{',' if len(result_names) == 1 else ''})")
            source = "\n".join(["def replay(L, seed, grads):", *body])
            exec(compile(source, "<autodiff tape>", "exec"), namespace)
            return _Compiled([source], namespace["replay"], leaves)
        return self.finish_in_chunks(out_name, result_names, namespace, leaves)

    def leaf_names_in(self, statements: Sequence[tuple[str, str]], defined: set[str]) -> list[str]:
        """The leaves read by `statements` and not in `defined`, in order of first use."""
        found: dict[str, None] = {}
        for _, text in statements:
            for name in _NAME.findall(text):
                if name in self.leaf_names and name not in defined:
                    found[name] = None
        return list(found)

    def reads(self, names: list[str], leaves: list[Value]) -> list[str]:
        """Lines reading the leaves `names` (appended to `leaves`), checking their numbers once."""
        if not names:
            return []
        start = len(leaves)
        leaves.extend(self.leaf_names[name] for name in names)
        end = len(leaves)
        if self.batched:  # given the numbers (arrays for data leaves), already checked
            lines = [f"    D = L[{start}:{end}]"]
        else:
            lines = [
                f"    D = [x.data for x in L[{start}:{end}]]",
                f"    if not set(map(type, D)) <= P: D = check_leaves(D, L, {start})",
            ]
        max_unpack = _tape.MAX_UNPACK
        if len(names) <= max_unpack:
            return [*lines, f"    {', '.join(names)}, = D"]
        for k in range(0, len(names), max_unpack):
            lines.append(f"    {', '.join(names[k : k + max_unpack])}, = D[{k}:{k + max_unpack}]")
        return lines

    def finish_in_chunks(
        self, out_name: str, result_names: list[str], namespace: dict[str, Any], leaves: list[Value]
    ) -> _Compiled:
        statements = self.statements
        leaf_names = self.leaf_names
        chunk_characters, max_locals = _tape.CHUNK_CHARACTERS, _tape.MAX_LOCALS
        # Pieces end at the end of the forward pass and whenever a piece's text or its number of
        # local names gets large: a frame of more than about 2,000 locals no longer fits in the
        # interpreter's stack of frames, and each call would then allocate and free fresh memory.
        chunks: list[tuple[int, int]] = []
        reads: list[list[str]] = []  # per piece: the names it reads that another defined, by number
        forward_chunks = 0
        for lo, hi in ((0, self.forward_end), (self.forward_end, len(statements))):
            start, cost = lo, 0
            local: set[str] = set()  # every name the piece reads or defines
            update = local.update
            for k in range(lo, hi):
                name, text = statements[k]
                cost += len(text)
                update(_NAME.findall(text))
                local.add(name)
                if cost >= chunk_characters or len(local) >= max_locals or k == hi - 1:
                    # A name is defined once, before it is read: those read but not defined here
                    # come from elsewhere.
                    local.difference_update(statements[m][0] for m in range(start, k + 1))
                    chunks.append((start, k + 1))
                    reads.append(sorted(local, key=_number))
                    start, cost = k + 1, 0
                    local = set()
                    update = local.update
            if lo == 0:
                forward_chunks = len(chunks)
        defined_in = array("l", [-1]) * (self.count + 1)
        for c, (lo, hi) in enumerate(chunks):
            for k in range(lo, hi):
                defined_in[int(statements[k][0][1:])] = c
        # Numbers pass from piece to piece through one list `S`. The leaves come first, then the
        # numbers in the order pieces first read them, so that a piece mostly reads a run of
        # neighbouring slots with one slice.
        slots: dict[str, int] = {}
        for outside in reads:
            for name in outside:
                if name in leaf_names and name not in slots:
                    slots[name] = len(slots)
        for name in (out_name, *result_names):
            if name in leaf_names and name not in slots:
                slots[name] = len(slots)
        leaves.extend(leaf_names[name] for name in slots)
        for outside in reads:
            for name in outside:
                if name not in slots:
                    slots[name] = len(slots)
        for name in (out_name, *result_names):
            if name != "seed" and name not in slots:
                slots[name] = len(slots)
        stores: list[list[str]] = [[] for _ in chunks]
        for name in slots:
            if name not in leaf_names:
                stores[defined_in[int(name[1:])]].append(name)
        sources = []
        calls = []
        for c, (lo, hi) in enumerate(chunks):
            body = _moves(sorted(reads[c], key=slots.__getitem__), slots, load=True)
            body += [f"    {name} = {text}" for name, text in statements[lo:hi]]
            statements[lo:hi] = [("", "")] * (hi - lo)  # compiled below: the text is no longer needed
            body += _moves(sorted(stores[c], key=slots.__getitem__), slots, load=False)
            backward = c >= forward_chunks
            head = f"def chunk{c}(S{', seed' if backward else ''}):"
            sources.append("\n".join([head, *body, "    return None"]))
            del body
            exec(compile(sources[-1], "<autodiff tape>", "exec"), namespace)
            calls.append(f"    chunk{c}(S{', seed' if backward else ''})")
        namespace["NONE"] = (None,) * (len(slots) - len(leaves))
        out = f"S[{slots[out_name]}]"
        results = [name if name == "seed" else f"S[{slots[name]}]" for name in result_names]
        driver = [
            "def replay(L, seed, grads):",
            *(
                ["    S = list(L)"]
                if self.batched
                else [
                    "    S = [x.data for x in L]",
                    "    if not set(map(type, S)) <= P: S = check_leaves(S, L, 0)",
                ]
            ),
            "    S += NONE",
            *calls[:forward_chunks],
            "    if not grads:",
            f"        return {out}, ()",
            "    if seed is None:",
            f"        seed = one_like({out})",
            *calls[forward_chunks:],
            f"    return {out}, ({', '.join(results)}{',' if len(results) == 1 else ''})",
        ]
        sources.append("\n".join(driver))
        exec(compile(sources[-1], "<autodiff tape>", "exec"), namespace)
        return _Compiled(sources, namespace["replay"], leaves)


def _number(name: str) -> int:
    return int(name[1:])


def _joined(terms: list[str], first: int) -> str:
    """`terms` added left to right (the first has precedence `first`, the others are ready)."""
    if first < SUM and len(terms) > 1:
        return " + ".join([f"({terms[0]})", *terms[1:]])
    return " + ".join(terms)


def _moves(names: list[str], slots: dict[str, int], *, load: bool) -> list[str]:
    """Lines moving `names` (sorted by slot) between locals and `S`: a slice per run of neighbours."""
    max_unpack = _tape.MAX_UNPACK
    lines = []
    k = 0
    while k < len(names):
        first = slots[names[k]]
        end = k + 1
        # Runs of at most max_unpack: unpacking pushes every item on the frame's stack.
        while end < len(names) and end - k < max_unpack and slots[names[end]] == first + end - k:
            end += 1
        run = names[k:end]
        if len(run) == 1:
            lines.append(f"    {run[0]} = S[{first}]" if load else f"    S[{first}] = {run[0]}")
        elif load:
            lines.append(f"    {', '.join(run)}, = S[{first}:{first + len(run)}]")
        else:
            lines.append(f"    S[{first}:{first + len(run)}] = {', '.join(run)},")
        k = end
    return lines


def _check_leaves(numbers: list[Any], leaves: Sequence[Value], start: int) -> list[Any]:
    """The leaves' numbers, checked as the plain path checks them (called only when one is unusual)."""
    checked = []
    for i, x in enumerate(numbers):
        if type(x) not in PLAIN_NUMBERS:
            x = check_number(x, f"Tape replay: the .data of {_label_safe(leaves[start + i])}")
        checked.append(x)
    return checked


def _label_safe(v: Value) -> str:
    return f"Value {v.name!r}" if v.name else "a leaf Value"

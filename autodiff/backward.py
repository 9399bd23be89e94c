"""Graph traversal and the backward pass: one generic chain rule, no per-operation code.

For every node, in an order where a node comes before its parents:
    δ_parent += δ_node · ∂node/∂parent        (the local derivative comes from `autodiff.ops`)
Both the order and the pass are loops, not recursion, so a chain of a million operations works.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from . import ops
from . import value as _value  # a module object: `value` imports this module while it loads
from .checks import FloatRangeError, check_bool, check_finite, check_number
from .exact import PLAIN_NUMBERS, one_like
from .modes import enable_grad, state, uncounted

if TYPE_CHECKING:
    from .value import Value


def _count_uses(
    root: Value, only_requiring_grad: bool, through: set[Value] | None = None
) -> dict[Value, int]:
    """For every node `root` depends on, how many times the nodes above it use it as a parent."""
    # Values are dict keys by identity (they define no __eq__), which saves an id() per edge.
    uses: dict[Value, int] = {root: 0}
    get = uses.get
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        # `node._parents`, inlined: this loop and `propagate` run it once per node.
        parents = node._more
        if parents is None:
            p0, p1 = node._p0, node._p1
            parents = () if p0 is None else (p0,) if p1 is None else (p0, p1)
        for parent in parents:
            if only_requiring_grad and not parent.requires_grad:
                continue
            if through is not None and parent not in through:
                continue
            count = get(parent, 0) + 1
            uses[parent] = count
            if count == 1:
                push(parent)
    return uses


def topological_order(root: Value, *, only_requiring_grad: bool = True) -> list[Value]:
    """Every node `root` depends on, `root` first and each node before all of its parents."""
    # Kahn's algorithm: count the edges into each node, then release a node once all the nodes
    # that use it have been placed. Parents are visited in their recorded order, so the result
    # (and every float sum built from it) is the same on every run.
    pending = _count_uses(root, only_requiring_grad)
    order: list[Value] = []
    ready = [root]
    while ready:
        node = ready.pop()
        order.append(node)
        for parent in reversed(node._parents):
            if only_requiring_grad and not parent.requires_grad:
                continue
            left = pending[parent] - 1
            pending[parent] = left
            if left == 0:
                ready.append(parent)
    return order


def leading_to(root: Value, targets: Iterable[Value]) -> set[Value]:
    """The nodes of `root`'s graph from which one of `targets` can be reached (targets included)."""
    leads = set(targets)
    for node in reversed(topological_order(root)):  # parents before the nodes that use them
        if node not in leads and any(p in leads for p in node._parents):
            leads.add(node)
    return leads


def propagate(
    root: Value,
    seed: Any,
    *,
    create_graph: bool = False,
    hooks: bool = True,
    through: set[Value] | None = None,
) -> Iterator[tuple[Value, Any]]:
    """Yield `(node, δ)` for every node `root` depends on, δ = ∂root/∂node · seed, in backward order.

    `hooks=False` leaves registered hooks uncalled, for readers (tables, drawings) that must not
    trigger or be changed by them. `through` (see `leading_to`) limits the pass to those nodes:
    no δ is computed for the rest of the graph.
    """
    # The general pass: every local derivative from the table, δs in a dict (so it can run inside
    # another pass, or be left half-read). `backward` has a faster loop of its own for plain passes.
    # The same walk as `topological_order`, fused with the chain rule so the graph is traversed
    # twice, not three times: a node is released (its δ complete) when its last user is done.
    pending = _count_uses(root, True, through)
    flow: dict[Value, Any] = {root: seed}
    get = flow.get
    ready = [root]
    pop, push = ready.pop, ready.append
    anomaly = state.anomaly
    while ready:
        node = pop()
        delta = flow.pop(node)
        if hooks and node._hooks:
            delta = _run_hooks(node, delta)
        yield node, delta
        prim = node._op
        if prim is None:
            continue
        parents: tuple[Value, ...]
        if node._more is not None:
            parents = node._more
        else:
            p0, p1 = node._p0, node._p1
            assert p0 is not None
            parents = (p0,) if p1 is None else (p0, p1)
        if create_graph:
            args: tuple[Any, ...] = (*parents, node)
        elif len(parents) == 2:
            args = (parents[0]._data, parents[1]._data, node._data)
        else:
            args = (*[p._data for p in parents], node._data)
        derivatives = prim.derivatives
        for i, parent in enumerate(parents):
            if not parent.requires_grad or (through is not None and parent not in through):
                continue
            if anomaly:
                contribution = _checked_contribution(delta, prim, args, node, i)
            else:
                try:
                    contribution = delta * derivatives[i](*args)
                except OverflowError as error:
                    raise _backward_overflow(error, node) from None
            previous = get(parent)
            if previous is None:
                flow[parent] = contribution
            else:
                total = previous + contribution
                if anomaly:
                    check_finite(
                        _number(total),
                        f"adding up the δs of {_label(parent)} (in the backward of {prim.name})",
                        (previous, contribution),
                    )
                flow[parent] = total
        # Released last parent first, as in `topological_order`, so both give the same order.
        for parent in reversed(parents):
            if parent.requires_grad and (through is None or parent in through):
                left = pending[parent] - 1
                if left:
                    pending[parent] = left
                else:
                    push(parent)


def backward(
    root: Value, grad: Any = None, *, create_graph: bool = False, retain_graph: bool = False
) -> None:
    """Add ∂root/∂node · grad to `.grad` of every node `root` depends on (grad defaults to 1).

    If anything raises on the way (a derivative, a hook, an anomaly check), every `.grad` is left
    exactly as it was. A `.grad` of None (the PyTorch habit of "no gradient yet") counts as 0.
    A second pass from the same `root` adds its δs again, with a `UserWarning` unless
    `retain_graph=True` (passes from other roots through shared nodes never warn).
    """
    Value = _value.Value  # the class, looked up once per call

    if not isinstance(root, Value):
        raise TypeError(f"backward() needs a Value, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError(
            "backward(): this Value does not depend on anything that requires a gradient "
            "(it is a constant, a detached Value, or was computed inside no_grad())"
        )
    if retain_graph.__class__ is not bool:
        retain_graph = check_bool(retain_graph, "backward(retain_graph=...)")
    # A second pass from this root warns once it has added its δs (a failed pass adds nothing).
    again = not retain_graph and root._hooks.__class__ is _value._PassedRoot
    seeded_by_a_value = isinstance(grad, Value)
    if grad is None:
        seed: Any = one_like(root._data)
    elif seeded_by_a_value:
        seed = grad
    else:
        seed = check_number(grad, "backward(grad=...)")
    if create_graph or seeded_by_a_value or state.anomaly or not _SLOTS.acquire(blocking=False):
        # Higher orders, a Value as seed (its δs are recorded, on nodes that may be in this very
        # graph), anomaly checks, and a pass started inside another one (from a hook, or in another
        # thread) take the general pass, which keeps its counts and δs to itself.
        _general_backward(root, seed, create_graph)
        _passed(root, again)
        return
    global recounts, general_passes, _slots_owner
    _slots_owner = _get_ident()
    try:
        try:
            _chain_rule(root, seed, counted=False)
        except _Recount:
            # The users recorded since the last pass are not all in this graph, or a hook is to run
            # on a node that passes its δ on (see `_chain_rule`): count this graph's own users and
            # run the pass again.
            recounts += 1
            _count_users(root)
            _chain_rule(root, seed, counted=True)
    except _Recount:
        # The counts changed during the counted pass: another thread, or a primitive's derivative,
        # recorded operations on this graph's nodes. The general pass keeps its own counts (a hook
        # already called in the undone pass is then called again).
        general_passes += 1
        _clear(root)
        _general_backward(root, seed, False)
    except BaseException:
        _clear(root)
        raise
    finally:
        _slots_owner = None
        _SLOTS.release()
    _passed(root, again)


def _passed(root: Value, again: bool) -> None:
    """After a pass: remember it on `root` (hooks move into a `_PassedRoot`), or warn if it was a repeat."""
    hooks = root._hooks
    if hooks.__class__ is not _value._PassedRoot:
        root._hooks = _value._PassedRoot() if hooks is None else _value._PassedRoot(hooks)
    if again:
        warnings.warn(_AGAIN, UserWarning, stacklevel=_caller_level())


_AGAIN = (
    "backward() ran again from the same Value: its δs were added to those already in the .grad "
    "of every node of its graph, which now holds the δs twice (a re-run notebook cell does this). "
    "Call zero_grad() to start over, or pass retain_graph=True to say the accumulation is meant, "
    "which also silences this warning."
)


def _caller_level() -> int:
    """The `stacklevel` of `_passed`'s warning that points at the user's line (past `Value.backward`)."""
    import sys

    # Frames: _caller_level, _passed, backward, then Value.backward or the user's code.
    return 4 if sys._getframe(3).f_code is _value.Value.backward.__code__ else 3


# The plain pass keeps its scratch numbers in the nodes' `_uses` and `_delta` slots (a slot is
# several times faster than a dict entry); one pass at a time may use them. The same lock makes
# adding into a `.grad` safe across threads: a plain pass holds it from its first `.grad` write to
# its last, and the general pass takes it to add its δs in (see `_general_backward`), so two
# threads whose graphs share a weight never read the same old `.grad` and both write over it.
_SLOTS = threading.Lock()
_slots_owner: int | None = None  # the thread holding `_SLOTS` for a plain pass, if any
_get_ident = threading.get_ident
# Read by tests: plain passes that counted their graph's users first (the recorded counts did not
# fit, or a hook was to run on a node that is not a leaf), and plain passes that ended in the
# general pass (the counts changed during the counted pass).
recounts = 0
general_passes = 0


class _Recount(Exception):
    """The use counts did not fit this pass's graph, or a hook is about to run: the pass was undone."""


def _count_users(root: Value) -> None:
    """Set `_uses` of every node `root` depends on to its number of users there, and clear its `_delta`."""
    # One walk; a set tells a node seen before, since `_uses` may hold anything (recorded counts).
    root._delta = None
    seen = {root}
    see = seen.add
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        more = node._more
        if more is None:
            p0 = node._p0
            if p0 is None:
                continue
            p1 = node._p1
            parents: tuple[Value, ...] = (p0,) if p1 is None else (p0, p1)
        else:
            parents = more
        for parent in parents:
            if parent.requires_grad:
                if parent in seen:
                    parent._uses += 1
                else:
                    see(parent)
                    parent._uses = 1
                    parent._delta = None
                    push(parent)


def _chain_rule(root: Value, seed: Any, counted: bool) -> None:
    """The δs of every node, released in `topological_order`; each `.grad` written once its δ is complete.

    A node is released when its last user is done: `_uses` counts down the users not yet done.
    Recording an operation adds one to each input's `_uses`, so before any counting walk `_uses`
    holds the users recorded since the last pass: this graph's own count in a training loop,
    where every node built leads to the loss. When it is not (a node also used outside this graph,
    a second pass over one graph), a node is released too late (never) or too early (before a
    user, whose δ then arrives after it is done). Either way more nodes received a first δ
    (`touched`, one entry each time a δ arrives at a node holding none) than were released
    (`order`), which is checked at the end. Nodes left with a δ that are leaves (weights used
    elsewhere too, the common case) just get it written: a leaf passes no δ on. Otherwise the pass
    is undone and `_Recount` raised, for a pass after a counting walk (`counted`). When the
    numbers match, every δ that arrived was passed on exactly once, so every node's `.grad` is its
    whole δ (by linearity, even if the counts changed during the pass and a node was released
    twice, each time with its own part).

    Hooks must see a node's whole δ, once. A leaf's hooks run at the end, after the check, on the
    δ it gathered. Another node's hooks run only in a counted pass (before, `_Recount`), where the
    counts are this graph's: their operations are recorded without adding to any use count.

    The local derivatives of add, sub, mul, relu and sum are written in line (checked against the
    table by tests/test_fast_paths.py); every other primitive's come from the table. If anything
    raises, every `.grad` the pass wrote is put back before the error goes on.
    """
    ADD, SUB, MUL, RELU, SUM = ops.add, ops.sub, ops.mul, ops.relu, ops.sum
    ZERO = 0  # the int every new node's .grad holds (one object in CPython): checked by identity first
    order: list[Value] = []  # the nodes released, in order (one twice if it was released twice)
    olds: list[tuple[int, Any]] = []  # (position in `order`, .grad before) where that was not the int 0
    touched: list[Value] = []
    done, keep, touch = order.append, olds.append, touched.append
    parked: dict[Value, Any] = {}  # hooked leaves and their δ so far: hooks and .grad at the end
    parkings = 0  # releases of hooked leaves (each a release, as for `order`)
    root._delta = seed
    ready = [root]
    pop, push = ready.pop, ready.append
    node = root
    try:
        while True:
            while ready:
                node = pop()
                delta = node._delta
                if delta is None:  # released twice with no δ since: the counts changed under the pass
                    raise _Recount()
                node._delta = None
                if node._hooks:
                    if node._op is None:
                        gathered = parked.get(node)
                        parked[node] = delta if gathered is None else gathered + delta
                        parkings += 1
                        continue
                    if not counted:
                        raise _Recount()
                    with uncounted():
                        delta = _run_hooks(node, delta)
                grad = node.grad
                if grad is ZERO:
                    done(node)
                    node.grad = delta
                else:
                    keep((len(order), grad))
                    done(node)
                    node.grad = _grad_plus(node, grad, delta)
                op = node._op
                if op is None:
                    continue
                more = node._more
                if more is None:
                    p0 = node._p0
                    p1 = node._p1
                    assert p0 is not None  # an operation has at least one input
                    if p1 is None:  # one input
                        if p0.requires_grad:
                            if op is RELU:
                                c = delta if p0._data >= 0 else delta * 0
                            else:
                                c = delta * op.derivatives[0](p0._data, node._data)
                            d = p0._delta
                            if d is None:
                                p0._delta = c
                                touch(p0)
                            else:
                                p0._delta = d + c
                            used = p0._uses - 1
                            p0._uses = used
                            if not used:
                                push(p0)
                        continue
                    r0 = p0.requires_grad
                    r1 = p1.requires_grad
                    if r0:
                        if op is MUL:
                            c = delta * p1._data
                        elif op is ADD or op is SUB:
                            c = delta  # δ · 1
                        else:
                            c = delta * op.derivatives[0](p0._data, p1._data, node._data)
                        d = p0._delta
                        if d is None:
                            p0._delta = c
                            touch(p0)
                        else:
                            p0._delta = d + c
                    if r1:
                        if op is MUL:
                            c = delta * p0._data
                        elif op is ADD:
                            c = delta
                        elif op is SUB:
                            c = delta * -1
                        else:
                            c = delta * op.derivatives[1](p0._data, p1._data, node._data)
                        d = p1._delta
                        if d is None:
                            p1._delta = c
                            touch(p1)
                        else:
                            p1._delta = d + c
                        used = p1._uses - 1
                        p1._uses = used
                        if not used:
                            push(p1)
                    if r0:
                        used = p0._uses - 1
                        p0._uses = used
                        if not used:
                            push(p0)
                    continue
                if op.base is SUM:
                    # Every input gets δ · 1 = δ, so adding and releasing fuse into one loop (last input
                    # first, as below): the same δs and the same order as the two loops.
                    for parent in reversed(more):
                        if parent.requires_grad:
                            d = parent._delta
                            if d is None:
                                parent._delta = delta
                                touch(parent)
                            else:
                                parent._delta = d + delta
                            used = parent._uses - 1
                            parent._uses = used
                            if not used:
                                push(parent)
                    continue
                args = (*[p._data for p in more], node._data)
                derivatives = op.derivatives
                for i, parent in enumerate(more):
                    if parent.requires_grad:
                        c = delta * derivatives[i](*args)
                        d = parent._delta
                        if d is None:
                            parent._delta = c
                            touch(parent)
                        else:
                            parent._delta = d + c
                for parent in reversed(more):
                    if parent.requires_grad:
                        used = parent._uses - 1
                        parent._uses = used
                        if not used:
                            push(parent)
            if len(touched) == len(order) + parkings - 1:
                break
            ready.extend(_left_leaves(touched))
        for node, gathered in parked.items():
            _write_parked(node, gathered, order, olds)
    except BaseException as error:
        _undo(order, olds)
        if isinstance(error, OverflowError):
            raise _backward_overflow(error, node) from None
        raise


# The once-per-pass phases of `_chain_rule`, around its per-node loop.


def _left_leaves(touched: list[Value]) -> list[Value]:
    """The leaves still holding a δ once no node is ready, made ready; `_Recount` if another node holds one.

    Some δs were not passed on: leaves among them (often weights also used by a graph the loss does
    not reach) get their `.grad` written from the δ they hold; any other node means the counts do
    not fit this graph.
    """
    left = [n for n in dict.fromkeys(touched) if n._delta is not None]
    if any(n._op is not None for n in left):
        raise _Recount()
    for leaf in left:
        leaf._uses = 0
    return left


def _write_parked(node: Value, gathered: Any, order: list[Value], olds: list[tuple[int, Any]]) -> None:
    """A hooked leaf after the walk: its hooks on the δ it gathered, then its `.grad` (kept for `_undo`)."""
    with uncounted():
        delta = _run_hooks(node, gathered)
    grad = node.grad
    olds.append((len(order), grad))
    order.append(node)
    node.grad = _grad_plus(node, grad, delta)


def _undo(order: list[Value], olds: list[tuple[int, Any]]) -> None:
    """Put back every `.grad` a failed pass wrote: those `olds` lists, and the int 0 for the others."""
    before = dict(olds)
    for i in range(len(order) - 1, -1, -1):  # last first: a node released twice gets its first .grad
        order[i].grad = before.get(i, 0)


def _clear(root: Value) -> None:
    """After a failed pass: reset the scratch slots of every node the pass may have touched."""
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        node._uses = 0
        node._delta = None
        for parent in node._parents:
            if parent.requires_grad and parent not in seen:
                seen.add(parent)
                stack.append(parent)


def _general_backward(root: Value, seed: Any, create_graph: bool) -> None:
    """`backward` through `propagate` and the table (create_graph, anomaly mode, nested passes)."""
    value_class = _value.Value
    if create_graph and not isinstance(seed, value_class):
        seed = value_class(seed, requires_grad=False)
    # create_graph records the δs' own graph, even inside no_grad(): that is what it asks for.
    with enable_grad() if create_graph else nullcontext():
        passed = list(propagate(root, seed, create_graph=create_graph))
        # The commit, once every δ is known: each `.grad` is read, added to and written while this
        # thread holds `_SLOTS`, which it may hold already (a pass started by a hook of a plain pass,
        # or a plain pass that fell back on this one).
        if _slots_owner == _get_ident():
            _add_into_grads(passed)
        else:
            with _SLOTS:
                _add_into_grads(passed)


def adding_into_grads() -> Any:
    """A `with` block in which `.grad`s may be read, added to and written safely across threads."""
    # The lock the passes hold while they write `.grad`s; this thread may hold it already (a replay
    # or a pass started by a hook of a plain pass).
    return nullcontext() if _slots_owner == _get_ident() else _SLOTS


def _add_into_grads(passed: list[tuple[Value, Any]]) -> None:
    """Add each δ into its node's `.grad`: all the sums first (one may fail a check), then the writes."""
    anomaly = state.anomaly
    grads: list[Any] = []
    for node, delta in passed:
        total = _grad_plus(node, node.grad, delta)
        if anomaly and total is not delta:
            check_finite(_number(total), f"adding into the .grad of {_label(node)}", (delta,))
        grads.append(total)
    for (node, _), total in zip(passed, grads, strict=True):
        node.grad = total


def _grad_plus(node: Value, grad: Any, delta: Any) -> Any:
    """A node's .grad after a δ arrives: the δ itself where .grad holds no gradient (0 or None)."""
    if grad is None or (grad.__class__ is not _value.Value and grad == 0):
        return delta
    return _added(node, grad, delta)


def _added(node: Value, grad: Any, delta: Any) -> Any:
    """`grad + delta` for a node's .grad that is not 0 yet, with a clear error if .grad is not a number."""
    try:
        total = grad + delta
        if total.__class__ is _value.Value and total._op is not None:
            # A .grad left as a Value by create_graph: the sum is recorded, but it is not a user
            # the running pass may wait for, so it is taken out of its inputs' use counts.
            for parent in total._parents:
                parent._uses -= 1
        return total
    except TypeError:
        raise TypeError(
            f"backward(): the .grad of {_label(node)} holds {type(grad).__name__} {grad!r}; "
            "a .grad must be a number (set it to 0, or None, before a pass)"
        ) from None


def _run_hooks(node: Value, delta: Any) -> Any:
    """Call the node's hooks in order, each on the δ the previous one left; refuse non-numbers."""
    Value = _value.Value
    assert node._hooks is not None
    for hook in tuple(node._hooks.values()):
        replaced = hook(delta)
        if replaced is None:
            continue
        if replaced.__class__ not in PLAIN_NUMBERS and not isinstance(replaced, Value):
            try:
                replaced = check_number(replaced)
            except TypeError:
                name = getattr(hook, "__qualname__", None) or repr(hook)
                raise TypeError(
                    f"the hook {name} on {_label(node)} returned {type(replaced).__name__} "
                    f"{replaced!r}; a hook returns None (to keep δ) or a number (the new δ)"
                ) from None
        delta = replaced
    if state.anomaly:
        check_finite(_number(delta), f"the hook on {_label(node)}", (delta,))
    return delta


def _backward_overflow(error: OverflowError, node: Value) -> OverflowError:
    # Python's own text ("int too large to convert to float") says neither where nor what to do.
    op = node.op or "a leaf"
    return FloatRangeError(
        f"the backward of {op} ({_label(node)}): the grad flowing back or an input is beyond a float's "
        "range (about 1.8e308) and meets float arithmetic here; an exact number this large has no float "
        "value: keep every number exact (int or Fraction) or scale the grad down"
    )


def _checked_contribution(delta: Any, prim: Any, args: tuple[Any, ...], node: Value, index: int) -> Any:
    """δ · local derivative, checked as a whole so an error names the backward step, not a mul inside it."""
    # With create_graph the product is built from Values, whose forward check would otherwise
    # report an anonymous `mul` instead of the operation whose backward went wrong.
    state.anomaly = False
    try:
        contribution = delta * prim.derivatives[index](*args)
    finally:
        state.anomaly = True
    _check_delta(contribution, prim.name, node, index)
    return contribution


def _check_delta(contribution: Any, op: str, node: Value, index: int) -> None:
    label = f" (node {node.name!r})" if node.name else ""
    check_finite(_number(contribution), f"the backward of {op}{label}, for input {index},", node._parents)


def _number(x: Any) -> Any:
    return x._data if isinstance(x, _value.Value) else x


def _label(node: Value) -> str:
    return f"node {node.name!r}" if node.name else f"a {node.op or 'leaf'} node"

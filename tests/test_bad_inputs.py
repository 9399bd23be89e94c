"""A catalogue of bad inputs: every public entry point × {str, None, list, complex, bool, nan, inf,
huge int, numpy int64/float32, Decimal}.

Each case must end one of two ways:
- a TypeError or ValueError whose message names what was wrong (one of the entry's words) and is
  not one of Python's raw messages from deep inside ("unsupported operand", "'>=' not supported");
  and then every `.grad` and `.data` of the world is exactly as before the call;
- a documented result: numbers that are real numbers (nan, inf, a huge int, numpy scalars) may be
  accepted where a number goes, and the result must then hold a real number, never the bad object.
Something that is not a number (str, None, list, complex, bool, Decimal) is never accepted where a
number goes, unless the entry lists it as meaningful there (a str name, None for "no name").
"""

from __future__ import annotations

import math
import numbers
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

import autodiff
import viz
from autodiff import Parameter, Tape, Value, gradcheck, gradients, hessian, value_and_grad
from autodiff.learn import nn, optim, train

try:
    import numpy as np
except ImportError:  # the catalogue runs without numpy, minus the numpy kinds
    np = None

BAD: dict[str, Callable[[], Any]] = {
    "str": lambda: "2",
    "None": lambda: None,
    "list": lambda: [1.0],
    "complex": lambda: 1 + 2j,
    "bool": lambda: True,
    "nan": lambda: math.nan,
    "inf": lambda: math.inf,
    "huge": lambda: 10**5000,
    "Decimal": lambda: Decimal("1.5"),
}
if np is not None:
    BAD["np_int64"] = lambda: np.int64(2**62)
    BAD["np_float32"] = lambda: np.float32(1.5)

NOT_NUMBERS = {"str", "None", "list", "complex", "bool", "Decimal"}
NON_FINITE = {"nan", "inf"}
SIZES = {"huge", "np_int64"}  # as a size they would ask for 10**5000 neurons: not a bad *type*

# Python's own messages from deep inside: a user cannot tell from them what to write instead.
RAW = re.compile(
    r"not supported between|unsupported operand|object is not iterable|object is not subscriptable|"
    r"has no attribute|can't multiply sequence|must be real number, not|can only concatenate|"
    r"positional argument|Exceeds the limit|math domain error|object is not callable|"
    r"expected str, bytes or os.PathLike|int too large to convert|can't convert|object cannot be interpreted|"
    r"unhashable type|bad operand type|'NoneType' object"
)


class World:
    """A small graph, a model and an optimizer, made afresh for each case."""

    def __init__(self) -> None:
        self.w = Parameter(0.5, "w")
        self.x = Value(2.0, "x")
        self.e = Value(Fraction(3, 2), "e")
        self.y = self.w * self.x + self.e * self.e
        self.model = nn.MLP(2, [3, 1], seed=0)
        self.sgd = optim.SGD(self.model.parameters(), lr=0.1, momentum=0.5)
        self.adam = optim.Adam(self.model.parameters(), lr=0.1)
        self.data = [([1.0, 2.0], 1.0), ([0.5, -1.0], -1.0)]

    def values(self) -> list[Value]:
        return [self.w, self.x, self.e, self.y, *self.model.parameters()]

    def snapshot(self) -> list[tuple[Any, Any]]:
        return [(_key(v.data), _key(v.grad)) for v in self.values()]


def _key(x: Any) -> Any:
    if isinstance(x, Value):
        return ("Value", id(x))
    if isinstance(x, float) and math.isnan(x):
        return ("nan",)
    return (type(x), x)


@dataclass
class Entry:
    name: str
    call: Callable[[World, Any], Any]
    words: tuple[str, ...]  # one of them must be in the error message
    number: bool = False  # the argument is a number: nan, inf, huge and numpy scalars may be accepted
    finite: bool = False  # ... but only finite ones (a learning rate)
    accepts: set[str] = field(default_factory=set)  # kinds that are meaningful here
    skip: set[str] = field(default_factory=set)
    check: Callable[[World, Any, Any], None] | None = None  # a documented result, checked
    setup: Callable[[World, Any], None] | None = None  # state the call starts from (before the snapshot)


def _real(x: Any) -> bool:
    x = x.data if isinstance(x, Value) else x
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _holds_real(world: World, bad: Any, result: Any) -> None:
    if isinstance(result, tuple | list):
        for r in result:
            _holds_real(world, bad, r)
    else:
        assert _real(result), f"the result holds {_shown(result)}"


def _shown(x: Any) -> str:
    # repr of an int over 4300 digits raises; the message must not.
    if isinstance(x, int) and x.bit_length() > 1000:
        return f"an int of {x.bit_length()} bits"
    if isinstance(x, Value):
        return f"a Value holding {_shown(x.data)}"
    return repr(x)[:200]


def _data_assigned(world: World, bad: Any, result: Any) -> None:
    assert _real(world.x.data), f".data holds {world.x.data!r}"
    assert type(world.x.data) in (int, float, Fraction) or not isinstance(world.x.data, numbers.Integral), (
        f".data kept the fixed-width {type(world.x.data).__name__}, which overflows silently"
    )


def _grads_real(world: World, bad: Any, result: Any) -> None:
    for v in world.values():
        assert _real(v.grad), f".grad holds {v.grad!r}"


def _data_real(world: World, bad: Any, result: Any) -> None:
    for v in world.values():
        assert _real(v.data), f".data holds {v.data!r}"


def _set_data_then_compute(world: World, bad: Any) -> Any:
    world.x.data = bad
    return [world.x * 3, 3 - world.x, world.x.relu(), world.x / 2, world.x**2, abs(world.x)]


def _hook_returning(world: World, bad: Any) -> Any:
    world.w.register_hook(lambda g: bad)
    world.y.backward()


def _replay_after(world: World, bad: Any) -> Any:
    tape = Tape(world.y, inputs=[world.w])
    before = world.w.data
    world.w.data = bad
    try:
        return tape.gradients()
    except Exception:
        world.w.data = before  # the assignment is the case's own doing: compare the rest
        raise


def _set_grads(world: World, bad: Any) -> None:
    params = world.model.parameters()
    for p in params:
        p.grad = 1.0
    params[0].grad = bad


def _step(opt: str) -> Callable[[World, Any], Any]:
    return lambda world, bad: getattr(world, opt).step()


ENTRIES = [
    # --- core ---
    Entry("Value(data)", lambda w, b: Value(b), ("Value",), number=True, check=_holds_real),
    Entry("Value(name=)", lambda w, b: Value(1.0, name=b), ("name",), accepts={"str", "None"}),
    Entry(
        "Value(requires_grad=)",
        lambda w, b: Value(1.0, requires_grad=b),
        ("requires_grad",),
        accepts={"bool"},
    ),
    Entry(
        ".data =", lambda w, b: setattr(w.x, "data", b), ("data", "Value"), number=True, check=_data_assigned
    ),
    Entry(".data = then compute", _set_data_then_compute, ("Value", "data"), number=True, check=_holds_real),
    Entry("Value + bad", lambda w, b: w.x + b, ("add",), number=True, check=_holds_real),
    Entry("bad - Value", lambda w, b: b - w.x, ("sub",), number=True, check=_holds_real),
    Entry("Value * bad", lambda w, b: w.e * b, ("mul",), number=True, check=_holds_real),
    Entry("Value / bad", lambda w, b: w.x / b, ("div",), number=True, check=_holds_real),
    # An exact base to the power 10**5000 is an exact number of 10**5000 digits: a hang, not a bad type.
    Entry("Value ** bad", lambda w, b: w.e**b, ("pow",), number=True, check=_holds_real, skip=SIZES),
    Entry("float Value ** bad", lambda w, b: w.x**b, ("pow",), number=True, check=_holds_real),
    Entry("bad ** Value", lambda w, b: b**w.x, ("pow",), number=True, check=_holds_real),
    Entry("relu after bad", lambda w, b: (w.x * b).relu(), ("mul",), number=True, check=_holds_real),
    Entry("leaky_relu(slope=)", lambda w, b: w.x.leaky_relu(b), ("slope",), number=True, check=_holds_real),
    Entry("autodiff.sum", lambda w, b: autodiff.sum([w.x, b]), ("sum",), number=True, check=_holds_real),
    Entry("autodiff.sum([bad])", lambda w, b: autodiff.sum([b]), ("sum",), number=True, check=_holds_real),
    Entry("Value % bad", lambda w, b: w.x % b, ("mod",), number=True, check=_holds_real),
    # "2" % v is str formatting, decided by str before a Value is asked: not the engine's to refuse.
    Entry("bad % Value", lambda w, b: b % w.e, ("mod",), number=True, check=_holds_real, skip={"str"}),
    Entry("Value.max(bad)", lambda w, b: w.x.max(b), ("max",), number=True, check=_holds_real),
    Entry("Value.min(bad)", lambda w, b: w.e.min(b), ("min",), number=True, check=_holds_real),
    Entry(
        "autodiff.max(v, bad)", lambda w, b: autodiff.max(w.x, b), ("max",), number=True, check=_holds_real
    ),
    Entry(
        "autodiff.min([bad, v])",
        lambda w, b: autodiff.min([b, w.e]),
        ("min",),
        number=True,
        check=_holds_real,
        accepts={"list"},  # a list inside the list is not a number: refused by min below
    ),
    # One list is what autodiff.max reads its values from, as the builtin max does.
    Entry(
        "autodiff.max(bad)",
        lambda w, b: autodiff.max(b),
        ("max",),
        number=True,
        check=_holds_real,
        accepts={"list"},
    ),
    # A bound of None is no bound.
    Entry(
        "clamp(lo=bad)",
        lambda w, b: w.x.clamp(b, 3),
        ("clamp", "lo"),
        number=True,
        check=_holds_real,
        accepts={"None"},
    ),
    Entry("clamp(hi=bad)", lambda w, b: w.e.clamp(hi=b), ("clamp", "hi"), number=True, check=_holds_real),
    Entry(
        "backward(grad=)",
        lambda w, b: w.y.backward(grad=b),
        ("grad",),
        number=True,
        check=_grads_real,
        accepts={"None"},
    ),
    Entry(
        "backward(retain_graph=)",
        lambda w, b: w.y.backward(retain_graph=b),
        ("retain_graph",),
        accepts={"bool"},
        check=_grads_real,
    ),
    Entry("register_hook(bad)", lambda w, b: w.w.register_hook(b), ("hook",)),
    # A hook returning None keeps δ (documented in register_hook), so None is a meaningful result there.
    Entry("hook returns bad", _hook_returning, ("hook",), number=True, check=_grads_real, accepts={"None"}),
    Entry("zero_grad(bad)", lambda w, b: autodiff.zero_grad(b), ("zero_grad", "Value")),
    # --- functional ---
    Entry(
        "grad(f)(bad)",
        lambda w, b: autodiff.grad(lambda t: t * t)(b),
        ("grad",),
        number=True,
        check=_holds_real,
    ),
    Entry(
        "value_and_grad(f)(bad)",
        lambda w, b: value_and_grad(lambda t: t * t)(b),
        ("value_and_grad",),
        number=True,
        check=_holds_real,
    ),
    Entry(
        "hessian(f)(bad)",
        lambda w, b: hessian(lambda t: t * t * t)(b),
        ("hessian",),
        number=True,
        check=_holds_real,
    ),
    Entry("grad(bad)", lambda w, b: autodiff.grad(b), ("grad",)),
    Entry("grad(f, argnums=bad)", lambda w, b: autodiff.grad(lambda t: t, argnums=b)(1.0), ("argnums",)),
    Entry("gradients(outputs=bad)", lambda w, b: gradients(b, [w.w]), ("outputs",)),
    Entry("gradients(inputs=bad)", lambda w, b: gradients(w.y, b), ("inputs",)),
    Entry(
        "gradients(grad_outputs=bad)",
        lambda w, b: gradients(w.y, [w.w], grad_outputs=b),
        ("grad_outputs",),
        number=True,
        check=_holds_real,
        accepts={"None", "list"},
    ),
    Entry(
        "gradcheck(f, bad)",
        lambda w, b: gradcheck(lambda t: t * t, b),
        ("gradcheck", "input"),
        number=True,
        finite=True,
        accepts={"list"},
    ),
    Entry(
        "gradcheck(eps=bad)",
        lambda w, b: gradcheck(lambda t: t * t, [1.0], eps=b),
        ("eps",),
        number=True,
        finite=True,
    ),
    Entry(
        "gradcheck(atol=bad)",
        lambda w, b: gradcheck(lambda t: t * t, [1.0], atol=b),
        ("atol",),
        number=True,
        finite=True,
    ),
    # --- tape ---
    Entry("Tape(bad)", lambda w, b: Tape(b), ("Tape",)),
    Entry("Tape(inputs=bad)", lambda w, b: Tape(w.y, inputs=b), ("Tape", "inputs"), accepts={"None"}),
    Entry("Tape replay after .data = bad", _replay_after, ("Value", "data"), number=True, check=_holds_real),
    Entry(
        "Tape.gradients(grad=bad)",
        lambda w, b: Tape(w.y).gradients(b),
        ("grad",),
        number=True,
        check=_holds_real,
        accepts={"None"},
    ),
    # --- learn: nn ---
    Entry("Linear(n_in=bad)", lambda w, b: nn.Linear(b, 2), ("n_in",), skip=SIZES),
    Entry("MLP(n_in=bad)", lambda w, b: nn.MLP(b, [2]), ("MLP", "n_in"), skip=SIZES),
    Entry("MLP(sizes=bad)", lambda w, b: nn.MLP(2, b), ("MLP", "sizes"), skip=SIZES),
    Entry("Sequential(bad)", lambda w, b: nn.Sequential(b), ("Sequential",)),
    Entry("model(bad)", lambda w, b: w.model(b), ("MLP", "input", "model")),
    Entry(
        "model([bad, 1.0])",
        lambda w, b: w.model([b, 1.0]),
        ("x1", "input", "Value"),
        number=True,
        check=_holds_real,
    ),
    Entry(
        "HalfSquaredError(o, y=bad)",
        lambda w, b: nn.HalfSquaredError()(w.model([1.0, 2.0]), b),
        ("HalfSquaredError", "y", "sub"),
        number=True,
        check=_holds_real,
        accepts={"list"},
    ),
    Entry(
        "MaxMargin(o, y=bad)",
        lambda w, b: nn.MaxMargin()(w.model([1.0, 2.0]), b),
        ("MaxMargin", "y", "mul"),
        number=True,
        check=_holds_real,
        accepts={"list"},
    ),
    Entry(
        "softmax([v, bad])",
        lambda w, b: nn.softmax([w.x, b]),
        ("softmax", "sub"),
        number=True,
        check=_holds_real,
    ),
    Entry(  # a list is the vector softmax takes; one number is a vector of one
        "softmax(bad)",
        lambda w, b: nn.softmax(b),
        ("softmax",),
        number=True,
        check=_holds_real,
        accepts={"list"},
    ),
    Entry(
        "CrossEntropy(o=[v, bad], y)",
        lambda w, b: nn.CrossEntropy()([w.x, b], 1),
        ("CrossEntropy", "sub"),
        number=True,
        check=_holds_real,
    ),
    Entry("CrossEntropy(o, y=bad)", lambda w, b: nn.CrossEntropy()([w.x, w.e], b), ("CrossEntropy",)),
    Entry(
        "l2_penalty(coefficient=bad)",
        lambda w, b: nn.l2_penalty(w.model.parameters(), b),
        ("l2_penalty", "coefficient", "mul"),
        number=True,
        check=_holds_real,
    ),
    # --- learn: optimizers ---
    Entry(
        "SGD(lr=bad)", lambda w, b: optim.SGD(w.model.parameters(), lr=b), ("lr",), number=True, finite=True
    ),
    Entry(
        "SGD(momentum=bad)",
        lambda w, b: optim.SGD(w.model.parameters(), lr=0.1, momentum=b),
        ("momentum",),
        number=True,
        finite=True,
    ),
    Entry(
        "Adam(lr=bad)", lambda w, b: optim.Adam(w.model.parameters(), lr=b), ("lr",), number=True, finite=True
    ),
    Entry("Adam(betas=bad)", lambda w, b: optim.Adam(w.model.parameters(), betas=b), ("betas",)),
    Entry(
        "Adam(betas=(bad, 0.999))",
        lambda w, b: optim.Adam(w.model.parameters(), betas=(b, 0.999)),
        ("betas",),
        number=True,
        finite=True,
    ),
    Entry(
        "Adam(eps=bad)",
        lambda w, b: optim.Adam(w.model.parameters(), eps=b),
        ("eps",),
        number=True,
        finite=True,
    ),
    Entry(
        "SGD.step() with .grad = bad",
        _step("sgd"),
        ("grad", "δ"),
        number=True,
        accepts={"None"},
        check=_data_real,
        setup=_set_grads,
    ),
    Entry(
        "Adam.step() with .grad = bad",
        _step("adam"),
        ("grad", "δ"),
        number=True,
        accepts={"None"},
        check=_data_real,
        setup=_set_grads,
    ),
    # --- learn: train ---
    Entry("fit(data=bad)", lambda w, b: train.fit(w.model, nn.HalfSquaredError(), b, w.sgd), ("data",)),
    Entry(
        "fit(data=[(bad, y)])",
        lambda w, b: train.fit(w.model, nn.HalfSquaredError(), [(b, 1.0)], w.sgd),
        ("data", "input", "MLP", "model"),
    ),
    Entry(
        "fit(data=[(x, bad)])",
        lambda w, b: train.fit(w.model, nn.HalfSquaredError(), [([1.0, 2.0], b)], w.sgd),
        ("data", "output", "HalfSquaredError", "y", "sub"),
        number=True,
        check=_data_real,
        accepts={"list"},
    ),
    Entry(
        "fit(batch_size=bad)",
        lambda w, b: train.fit(w.model, nn.HalfSquaredError(), w.data, w.sgd, batch_size=b),
        ("batch_size",),
        skip=SIZES,
    ),
    Entry(
        "fit(epochs=bad)",
        lambda w, b: train.fit(w.model, nn.HalfSquaredError(), w.data, w.sgd, epochs=b),
        ("epochs",),
        skip=SIZES,
    ),
    # --- viz ---
    Entry("viz.records(bad)", lambda w, b: viz.records(b), ("viz", "Value")),
    Entry("viz.to_dot(bad)", lambda w, b: viz.to_dot(b), ("viz", "Value")),
    Entry(
        "viz.to_dot(title=bad)", lambda w, b: viz.to_dot(w.y, title=b), ("title",), accepts={"str", "None"}
    ),
    Entry("viz.to_dot(view=bad)", lambda w, b: viz.to_dot(w.y, view=b), ("view",)),
    Entry("viz.draw(params=bad)", lambda w, b: viz.draw(w.y, params=b), ("params",), accepts={"None"}),
    Entry(
        "viz.draw(max_nodes=bad)",
        lambda w, b: viz.draw(w.y, max_nodes=b),
        ("max_nodes",),
        accepts={"None"},
        skip=SIZES,
    ),
    Entry("viz.render(path=bad)", lambda w, b: viz.render(w.y, b), ("path", "file")),
]

# Known defects: each case fails today, and its marker fails (strict) once it is fixed.
ALL = set(BAD)
_DEFECTS: list[tuple[tuple[str, ...], set[str], str]] = [
    # (entry names, kinds, reason): none known today; a new finding goes here until it is fixed.
]
KNOWN: dict[tuple[str, str], str] = {
    (name, kind): reason for names, kinds, reason in _DEFECTS for name in names for kind in kinds
}


def _cases():
    for entry in ENTRIES:
        for kind in BAD:
            if kind in entry.skip:
                continue
            marks = []
            reason = KNOWN.get((entry.name, kind))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            yield pytest.param(entry, kind, id=f"{entry.name}-{kind}", marks=marks)


@pytest.mark.parametrize(("entry", "kind"), list(_cases()))
def test_bad_input(entry: Entry, kind: str, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # viz.render writes where it is told
    world = World()
    bad = BAD[kind]()
    signal.signal(signal.SIGALRM, _too_slow)
    signal.alarm(20)  # a case that hangs (a huge number computed in full) fails instead
    try:
        _run_case(entry, kind, world, bad)
    finally:
        signal.alarm(0)


class _TooSlow(Exception):
    pass


def _too_slow(signum: int, frame: Any) -> None:
    raise _TooSlow("the call took more than 20 s")


def _run_case(entry: Entry, kind: str, world: World, bad: Any) -> None:
    if entry.setup is not None:
        entry.setup(world, bad)
    before = world.snapshot()
    try:
        result = entry.call(world, bad)
    except (TypeError, ValueError, OverflowError) as error:
        message = str(error)
        assert not RAW.search(message), f"a raw message: {type(error).__name__}: {message}"
        assert any(word.lower() in message.lower() for word in entry.words), (
            f"the message names none of {entry.words}: {type(error).__name__}: {message}"
        )
        if isinstance(error, OverflowError):
            assert kind in {"huge", "inf", "np_int64"}, f"{kind} gave an OverflowError: {message}"
        if entry.name.startswith(".data =") and world.x.data is bad:
            world.x.data = 2.0  # refused at use rather than at assignment: compare the rest
        assert world.snapshot() == before, "a failed call changed a .grad or a .data"
        return
    except Exception as error:  # any other kind of error is the finding
        pytest.fail(f"{type(error).__name__} (not a TypeError/ValueError): {str(error)[:300]}")
    accepted = kind in entry.accepts or (
        entry.number and kind not in NOT_NUMBERS and not (entry.finite and kind in NON_FINITE)
    )
    assert accepted, f"{kind} {_shown(bad)} was accepted silently; result {_shown(result)}"
    if entry.check is not None and kind not in entry.accepts:
        entry.check(world, bad, result)


# --- the reproductions that are not a bad argument ----------------------------------------


def test_tape_reads_changed_data_leaves():
    w = Value(2.0)
    x = Value(3.0, requires_grad=False)
    mu = Value(1.0, requires_grad=False)
    tape = Tape(w * ((x - mu) * (x - mu)), inputs=[w])
    x.data = 5.0
    assert tape.gradients() == (32.0, [16.0])


def test_tape_repeated_input():
    w = Value(3)
    try:
        tape = Tape(w * w, inputs=[w, w])
    except ValueError:
        return  # refusing duplicates is one of the two fixes
    tape.backward()
    assert w.grad == 6


def test_grad_ignores_off_path_nodes():
    c = Value(0.0)
    assert autodiff.grad(lambda x: c.sqrt() + x)(1.0) == 1.0


def test_grad_of_a_constant_result_says_so():
    with pytest.raises((TypeError, ValueError)):
        autodiff.grad(math.sin)(1.0)


def test_failed_backward_changes_nothing():
    a = Value(2.0, "a")
    b = Value(3.0, "b")
    b.register_hook(lambda g: 1 / 0)
    out = a * a + a * b
    with pytest.raises(ZeroDivisionError):
        out.backward()
    assert (a.grad, b.grad, out.grad) == (0, 0, 0)


def test_hook_on_a_constant_is_refused():
    with pytest.raises((TypeError, ValueError, RuntimeError)):
        Value(1.0, requires_grad=False).register_hook(lambda g: g)


def test_hook_handles_remove_one_registration():
    calls = []

    def hook(g):
        calls.append(g)

    w = Value(2.0)
    first = w.register_hook(hook)
    w.register_hook(hook)
    first.remove()
    (w * 3).backward()
    assert calls == [3]


def test_failed_step_changes_nothing():
    params = [Parameter(1.0), Parameter(2.0)]
    params[0].grad = 0.5
    params[1].grad = "oops"
    opt = optim.SGD(params, lr=0.1)
    with pytest.raises(TypeError):
        opt.step()
    assert [p.data for p in params] == [1.0, 2.0]

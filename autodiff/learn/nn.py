"""Layers, losses and models as small building blocks, named as in the articles.

A layer takes a vector (a sequence of Values or numbers) and returns a vector (a list of Values).
Every Value a layer creates is tagged with the layer's label ("L1", "L2", ..., "Loss"), so a drawing
can put it in a box. `Sequential(Input(), Linear(...), ReLU())` is the articles' L3(L2(L1(x))).

    model = Sequential(Input(), Linear(weights=[W2], bias=False), ReLU())
    loss = HalfSquaredError()(model(x), y)       # ½(o3 − y)², in the "Loss" box
    loss.backward()                              # δw2 is now in each weight's .grad

`MLP(2, [16, 16, 1], seed=0)` builds a multi-layer perceptron from `Neuron`s grouped in `Layer`s.
"""

from __future__ import annotations

import math
import operator
import random
from builtins import max as builtin_max
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .. import ops
from ..checks import check_number, check_real, check_size
from ..exact import format_number
from ..modes import layer, state
from ..value import Parameter, Value
from ..value import sum as value_sum

Vector = list[Value]
Operand = Any  # a Value or a plain number

ActivationSpec = Any  # an Activation object (ReLU(), LeakyReLU(0.1), ...), its name ("relu"), or None


def _activation(spec: ActivationSpec, who: str = "activation") -> Activation | None:
    """The Activation object for `activation=`: an object is kept, a name is looked up in ACTIVATIONS."""
    if spec is None or isinstance(spec, Activation):
        return spec
    if isinstance(spec, str):
        if spec not in ACTIVATIONS:
            raise ValueError(
                f"{who}: unknown activation {spec!r}; choose one of {sorted(ACTIVATIONS)}, an object such as "
                "LeakyReLU(0.01), or None"
            )
        return ACTIVATIONS[spec]()
    if isinstance(spec, type) and issubclass(spec, Activation):
        raise TypeError(f"{who} got the class {spec.__name__}; pass an object: activation={spec.__name__}()")
    raise TypeError(
        f"{who} must be an activation such as ReLU() or LeakyReLU(0.01), its name such as 'relu', or None; "
        f"got {type(spec).__name__}: {spec!r}"
    )


def _vector(x: Operand | Sequence[Operand], what: str) -> list[Operand]:
    """`x` as a list; a single Value or number is a vector of one."""
    if isinstance(x, Value):
        return [x]
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{what} needs a vector of numbers or Values, got a {type(x).__name__}: {x!r}")
    if isinstance(x, Iterable):
        return list(x)
    return [check_number(x, what)]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _check_width(module: Module, expected: int, x: Operand | Sequence[Operand], xs: list[Operand]) -> None:
    """Refuse an input vector of the wrong length, naming the module (its label once in a model)."""
    if len(xs) == expected:
        return
    # Inside a model the layer's box (its position, L2) names it, even though the model does not
    # write that label on the module.
    label = module.label or state.layer
    who = f"{type(module).__name__} {label}" if label else repr(module)
    if isinstance(x, Value) or not isinstance(x, Iterable):
        got = f"a single number ({format_number(ops.data(x))}); give a vector of {expected} numbers or Values"
    else:
        got = str(len(xs))
    raise ValueError(f"{who} expects {_count(expected, 'input')}, got {got}")


class Module:
    """Base of every layer and model: a label (its box in drawings) and a list of parameters."""

    label: str | None = None

    def parameters(self) -> list[Value]:
        """The Values this module learns (weights and biases), in a fixed order."""
        return []

    def named_parameters(self) -> list[tuple[str, Value]]:
        """`(name, parameter)` pairs: a parameter's own name, else a name derived from its place."""
        return [(_given_name(p) or f"p{i}", p) for i, p in enumerate(self.parameters(), 1)]

    def zero_grad(self) -> None:
        """Set the `.grad` of every parameter to 0 (before the next backward pass)."""
        for p in self.parameters():
            p.grad = 0

    def forward(self, x: list[Operand]) -> Vector:
        """Compute this module's output vector from the input vector `x`."""
        raise NotImplementedError(f"{type(self).__name__} must define forward(x)")

    def __call__(self, x: Operand | Sequence[Operand]) -> Vector:
        xs = _vector(x, type(self).__name__)
        if self.label is None:
            return self.forward(xs)
        with layer(self.label):
            return self.forward(xs)


# --- the articles' layers -----------------------------------------------------------------------


class Input(Module):
    """L1: the input layer, the identity. Plain numbers become Values named x1, x2, ... first.

    `requires_grad=False` makes those data leaves constants: no δ is computed for the inputs (δ1),
    only for the weights. Values given as input keep their own `requires_grad`.
    """

    def __init__(self, *, label: str | None = None, requires_grad: bool = True):
        self.label = label
        self.requires_grad = requires_grad

    def leaves(self, x: Operand | Sequence[Operand]) -> Vector:
        """The data input as Values: plain numbers become leaves x1, x2, ...; Values are kept."""
        return _leaves(x, self.requires_grad)

    def __call__(self, x: Operand | Sequence[Operand]) -> Vector:
        # The leaves are made outside the layer's box: they are the data, not the layer's work.
        return super().__call__(self.leaves(x))

    def forward(self, x: list[Operand]) -> Vector:
        """Return each input through the identity primitive (a node of its own, δ1 = δ2)."""
        return [ops.identity(v) for v in x]

    def __repr__(self) -> str:
        return "Input()"


def _leaves(x: Operand | Sequence[Operand], requires_grad: bool = True) -> Vector:
    return [
        v if isinstance(v, Value) else Value(v, f"x{i}", requires_grad=requires_grad)
        for i, v in enumerate(_vector(x, "model"), 1)
    ]


class Neuron(Module):
    """One weighted sum `w·x (+ b)`, optionally followed by an activation."""

    def __init__(
        self,
        weights: Sequence[Any],
        bias: Any = None,
        *,
        activation: ActivationSpec = None,
        label: str | None = None,
    ):
        if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence):
            raise TypeError(f"a Neuron needs a list of weights, got {type(weights).__name__}: {weights!r}")
        if len(weights) == 0:
            raise ValueError("a Neuron needs at least one weight")
        self.weights = [w if isinstance(w, Value) else Parameter(w) for w in weights]
        self.bias = None if bias is None else bias if isinstance(bias, Value) else Parameter(bias)
        self.activation = activation
        act = _activation(activation, "a Neuron's activation")
        self._act = None if act is None else act.apply
        self.label = label

    @classmethod
    def random(
        cls, n_in: int, rng: random.Random, *, activation: ActivationSpec = None, bias: bool = True
    ) -> Neuron:
        """A neuron with weights drawn uniformly in ±sqrt(3/n_in) (unit-variance outputs) and bias 0."""
        check_size(n_in, "a Neuron's number of inputs n_in")
        bound = math.sqrt(3 / n_in)
        return cls(
            [rng.uniform(-bound, bound) for _ in range(n_in)],
            0.0 if bias else None,
            activation=activation,
        )

    def parameters(self) -> list[Value]:
        """The weights, then the bias."""
        return [*self.weights, self.bias] if self.bias is not None else list(self.weights)

    def __call__(self, x: Operand | Sequence[Operand]) -> Vector:
        xs = _vector(x, type(self).__name__)
        _check_width(self, len(self.weights), x, xs)
        return super().__call__(xs)

    def forward(self, x: list[Operand]) -> Vector:
        """`[act(Σ(w1·x1, w2·x2, ..., b))]`: one Σ node, summed left to right as the articles write it."""
        return [self.fire(x)]

    def fire(self, x: Sequence[Operand]) -> Value:
        """The neuron's single output Value for the input vector `x`."""
        if len(x) != len(self.weights):
            _check_width(self, len(self.weights), x, list(x))
        terms: list[Operand] = [w * v for w, v in zip(self.weights, x, strict=True)]
        if self.bias is not None:
            terms.append(self.bias)
        total = value_sum(terms)
        return self._act(total) if self._act is not None else total

    def parameter_names(self, index: int | None = None) -> list[str]:
        """Derived names: `w{index}_{j}` for the weights and `b{index}` for the bias."""
        at = "" if index is None else str(index)
        return [f"w{at}_{j}" for j in range(1, len(self.weights) + 1)] + (
            [f"b{at}"] if self.bias is not None else []
        )

    def named_parameters(self) -> list[tuple[str, Value]]:
        """`(name, parameter)` pairs: `w_1, w_2, ..., b` unless a parameter has a name of its own."""
        return _named(self.parameters(), self.parameter_names())

    def __repr__(self) -> str:
        act = f", activation={self.activation!r}" if self.activation else ""
        return f"Neuron({len(self.weights)} inputs, bias={self.bias is not None}{act})"


class Layer(Module):
    """A row of neurons that all read the same input vector: `act(W·x + b)`, one output per neuron."""

    def __init__(
        self,
        n_in: int | None = None,
        n_out: int | None = None,
        *,
        activation: ActivationSpec = None,
        bias: bool = True,
        weights: Sequence[Sequence[Any]] | None = None,
        biases: Sequence[Any] | None = None,
        seed: int | None = None,
        rng: random.Random | None = None,
        label: str | None = None,
    ):
        self.label = label
        self.activation = activation
        name = type(self).__name__
        act = _activation(activation, f"{name}'s activation")
        if n_in is not None:
            check_size(n_in, f"{name}'s number of inputs n_in")
        if n_out is not None:
            check_size(n_out, f"{name}'s number of outputs n_out")
        if weights is not None:
            rows = _rows(weights)
            if n_in is not None and any(len(r) != n_in for r in rows):
                raise ValueError(f"weights rows must have n_in={n_in} entries, got {[len(r) for r in rows]}")
            if n_out is not None and len(rows) != n_out:
                raise ValueError(f"weights has {len(rows)} rows but n_out={n_out}")
            if biases is not None and not bias:
                raise ValueError("biases were given but bias=False; drop one of them")
            if biases is None:
                biases = [0] * len(rows)  # an int 0 keeps exact weights exact and adds nothing to floats
            if bias and len(biases) != len(rows):
                raise ValueError(f"give one bias per row of weights ({len(rows)}), got {len(biases)}")
            self.neurons = [
                Neuron(r, b if bias else None, activation=act)
                for r, b in zip(rows, biases if bias else [None] * len(rows), strict=True)
            ]
        else:
            if n_in is None or n_out is None:
                raise TypeError("give n_in and n_out (random weights from a seed), or weights=[[...], ...]")
            if rng is None:
                rng = random.Random(seed)
            self.neurons = [Neuron.random(n_in, rng, activation=act, bias=bias) for _ in range(n_out)]

    def parameters(self) -> list[Value]:
        """Each neuron's weights and bias, neuron by neuron."""
        return [p for n in self.neurons for p in n.parameters()]

    def __call__(self, x: Operand | Sequence[Operand]) -> Vector:
        xs = _vector(x, type(self).__name__)
        _check_width(self, self.n_in, x, xs)
        return super().__call__(xs)

    def forward(self, x: list[Operand]) -> Vector:
        """One output per neuron."""
        return [n.fire(x) for n in self.neurons]

    def parameter_names(self, index: int | None = None) -> list[str]:
        """Derived names, in `parameters()` order: `w{index}_{j}` and `b{index}` for one neuron,
        `w{index}_{i}_{j}` and `b{index}_{i}` for neuron i of several (the articles' w2_1, b1_2)."""
        at = "" if index is None else str(index)
        single = len(self.neurons) == 1
        names = []
        for i, n in enumerate(self.neurons, 1):
            row = f"w{at}" if single else f"w{at}_{i}"
            names += [f"{row}_{j}" for j in range(1, len(n.weights) + 1)]
            if n.bias is not None:
                names.append(f"b{at}" if single else f"b{at}_{i}")
        return names

    def named_parameters(self) -> list[tuple[str, Value]]:
        """`(name, parameter)` pairs (`w_1_1`, `b_1`, ...) unless a parameter has a name of its own."""
        return _named(self.parameters(), self.parameter_names())

    @property
    def n_in(self) -> int:
        """How many inputs each neuron reads."""
        return len(self.neurons[0].weights)

    def __repr__(self) -> str:
        act = f", activation={self.activation!r}" if self.activation else ""
        bias = self.neurons[0].bias is not None
        return f"{type(self).__name__}({self.n_in} -> {len(self.neurons)}, bias={bias}{act})"


class Linear(Layer):
    """L2 of the articles: `W·X` (bias=False) or `W·X + b`, no activation."""

    def __init__(
        self,
        n_in: int | None = None,
        n_out: int | None = None,
        *,
        bias: bool = True,
        weights: Sequence[Sequence[Any]] | Sequence[Any] | None = None,
        biases: Sequence[Any] | None = None,
        seed: int | None = None,
        rng: random.Random | None = None,
        label: str | None = None,
    ):
        super().__init__(
            n_in,
            n_out,
            activation=None,
            bias=bias,
            weights=weights,
            biases=biases,
            seed=seed,
            rng=rng,
            label=label,
        )


class _DerivedName(str):
    """A name a model derived for a parameter (w2_1): another model may replace it, unlike a given name."""

    __slots__ = ()


_NAME_OF = operator.attrgetter("name")


class _NamingCache:
    """A model's derived parameter names, for its current layers, and the names its last naming left."""

    __slots__ = ("layers", "left", "names", "params")

    def __init__(self, layers: tuple[Module, ...], names: list[_DerivedName], params: list[Value]):
        self.layers = layers
        self.names = names
        self.params = params
        self.left: list[str | None] | None = None


def _given_name(p: Value) -> str | None:
    """The name the user gave `p`, or None (for no name or a name a model derived)."""
    return None if p.name is None or isinstance(p.name, _DerivedName) else p.name


def _named(params: list[Value], derived: list[str]) -> list[tuple[str, Value]]:
    return [(_given_name(p) or name, p) for p, name in zip(params, derived, strict=True)]


def _rows(weights: Sequence[Any]) -> list[list[Any]]:
    """A weight matrix as a list of rows; a flat list is one row (one output)."""
    if len(weights) == 0:
        raise ValueError("weights must not be empty")
    if all(isinstance(w, Sequence) for w in weights):
        rows = [list(r) for r in weights]
    elif not any(isinstance(w, Sequence) for w in weights):
        rows = [list(weights)]
    else:
        raise ValueError("weights must be one row [w1, w2, ...] or a matrix [[...], [...]], not a mix")
    if any(len(r) == 0 for r in rows) or len({len(r) for r in rows}) != 1:
        raise ValueError(
            f"every row of weights must have the same, non-zero length; got {[len(r) for r in rows]}"
        )
    return rows


class Activation(Module):
    """An element-wise activation: a layer of its own (L3 of the articles is `ReLU()`), or a neuron's
    `activation=` (`Layer(2, 4, activation=LeakyReLU(0.1))`). Subclasses define `apply(v)`."""

    def __init__(self, *, label: str | None = None):
        self.label = label

    def apply(self, v: Operand) -> Value:
        """The activation of one number or Value."""
        raise NotImplementedError(f"{type(self).__name__} must define apply(v)")

    def forward(self, x: list[Operand]) -> Vector:
        """The activation applied to each input."""
        return [self.apply(v) for v in x]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(Activation):
    """`x if x >= 0 else 0`; the δ passes where x >= 0 (the articles' rule, 1 at exactly 0)."""

    def apply(self, v: Operand) -> Value:
        """relu(v)."""
        return ops.relu(v)


class Tanh(Activation):
    """Hyperbolic tangent (float results)."""

    def apply(self, v: Operand) -> Value:
        """tanh(v)."""
        return ops.tanh(v)


class Sigmoid(Activation):
    """`1 / (1 + e^-x)` (float results)."""

    def apply(self, v: Operand) -> Value:
        """sigmoid(v)."""
        return ops.sigmoid(v)


class Softplus(Activation):
    """`log(1 + e^x)`, a smooth ReLU (float results)."""

    def apply(self, v: Operand) -> Value:
        """softplus(v)."""
        return ops.softplus(v)


class LeakyReLU(Activation):
    """`x if x >= 0 else slope·x`: a small δ still passes for negative inputs (exact with an exact slope)."""

    def __init__(self, slope: Any = Fraction(1, 100), *, label: str | None = None):
        super().__init__(label=label)
        self.slope = check_real(slope, "LeakyReLU's slope")
        # One registered primitive, bound to this slope: nodes show leaky_relu with its parameter.
        self._leaky_relu = ops.leaky_relu.bind(slope=self.slope)

    def apply(self, v: Operand) -> Value:
        """leaky_relu(v) with this slope."""
        return self._leaky_relu(v)

    def __repr__(self) -> str:
        return f"LeakyReLU({format_number(self.slope)})"


def softmax(x: Sequence[Operand]) -> Vector:
    """`e^x_i / Σ_j e^x_j` for each entry: probabilities that add up to 1 (float results).

    The largest number is subtracted first (a constant, which changes neither the result nor a δ),
    so no exp overflows, whatever the size of the inputs.
    """
    xs = _vector(x, "softmax")
    if not xs:
        raise ValueError("softmax needs at least one value")
    top = builtin_max(_number(v, "softmax", i) for i, v in enumerate(xs))
    exps = [ops.exp(ops.sub(v, top)) for v in xs]
    total = value_sum(exps) if len(exps) > 1 else exps[0]
    return [ops.div(e, total) for e in exps]


class Softmax(Module):
    """A layer that turns scores into probabilities, `softmax(x)`: each output depends on every input."""

    def __init__(self, *, label: str | None = None):
        self.label = label

    def forward(self, x: list[Operand]) -> Vector:
        """softmax of the whole input vector."""
        return softmax(x)

    def __repr__(self) -> str:
        return "Softmax()"


def _number(v: Operand, who: str, i: int) -> Any:
    """The plain number of entry i (a Value's data), refusing what is not a real number."""
    if isinstance(v, Value):
        return v.data
    return check_real(v, f"{who}: entry {i}")


ACTIVATIONS: dict[str, Callable[[], Activation]] = {
    "relu": ReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "softplus": Softplus,
    "leaky_relu": LeakyReLU,
}
"""The activations a `Layer`, `Neuron` or `MLP` accepts by name (`activation="relu"`); the name
gives the object with its default settings (LeakyReLU's slope 1/100)."""


# --- losses -------------------------------------------------------------------------------------


class Loss:
    """A loss compares the model's output vector with the expected output; tagged "Loss"."""

    label = "Loss"

    def __call__(self, o: Operand | Sequence[Operand], y: Any) -> Value:
        """The loss Value (named "loss"), or a plain number when `o` holds plain numbers."""
        os = _vector(o, type(self).__name__)
        ys = _vector(y, type(self).__name__) if isinstance(y, Sequence) else [y]
        if len(os) != len(ys):
            raise ValueError(f"{type(self).__name__}: output has {len(os)} entries, expectation {len(ys)}")
        with layer(self.label):
            total = self.one(os[0], ys[0])
            for a, b in zip(os[1:], ys[1:], strict=True):
                total = total + self.one(a, b)
        if isinstance(total, Value):  # on plain numbers a loss is just a number
            total.name = "loss"
        return total

    def one(self, o: Operand, y: Any) -> Value:
        """The loss of one output entry."""
        raise NotImplementedError(f"{type(self).__name__} must define one(o, y)")


class HalfSquaredError(Loss):
    """The articles' loss `½(o − y)²`: `div(pow(o − y, 2), 2)`, so exact numbers stay exact."""

    def one(self, o: Operand, y: Any) -> Value:
        """½(o − y)² for one entry (a Fraction on ints and Fractions, where `/` would give a float)."""
        return ops.div(ops.pow(ops.sub(o, y), 2), 2)

    def __repr__(self) -> str:
        return "HalfSquaredError()"


class MaxMargin(Loss):
    """`relu(1 − y·score)` for labels y = ±1: zero once the score has the right sign with margin 1."""

    def one(self, o: Operand, y: Any) -> Value:
        """The hinge loss of one score."""
        label = ops.data(y) if isinstance(y, Value) else check_number(y, "MaxMargin's label y")
        if label not in (1, -1):
            hint = " (for labels 0/1 write 2·y − 1)" if label == 0 else ""
            raise ValueError(f"MaxMargin needs labels +1 or -1, got {format_number(label)}{hint}")
        return ops.relu(1 - y * o)

    def __repr__(self) -> str:
        return "MaxMargin()"


class CrossEntropy(Loss):
    """Multi-class loss on raw scores (logits): `−log softmax(o)[y]` for a class index y.

    `y` is the index of the right class (an int from 0), or a list of target probabilities, one per
    class (a one-hot list, or soft labels): then `−Σ_i y_i · log softmax(o)_i`. Computed as
    `logsumexp(o) − o[y]` with the largest score subtracted first, so no exp overflows; the δ of
    each score is `softmax(o)_i − y_i`. As PyTorch's `cross_entropy`, it takes the scores, not
    probabilities: no `Softmax()` layer before it.
    """

    def __call__(self, o: Operand | Sequence[Operand], y: Any) -> Value:
        """The loss Value (named "loss") of one sample's scores `o` against its class `y`."""
        os = _vector(o, "CrossEntropy")
        if not os:
            raise ValueError("CrossEntropy needs at least one score")
        targets = self._targets(y, len(os))
        with layer(self.label):
            top = builtin_max(_number(v, "CrossEntropy", i) for i, v in enumerate(os))
            exps = [ops.exp(ops.sub(v, top)) for v in os]
            total = value_sum(exps) if len(exps) > 1 else exps[0]
            lse = ops.add(ops.log(total), top)  # log Σ e^o_i
            if isinstance(targets, int):
                loss = ops.sub(lse, os[targets])
            else:
                weight = sum(targets)  # Σ y_i, 1 for probabilities
                picked = value_sum([ops.mul(t, v) for t, v in zip(targets, os, strict=True) if t != 0] or [0])
                loss = ops.sub(ops.mul(weight, lse), picked)
        if isinstance(loss, Value):
            loss.name = "loss"
        return loss

    @staticmethod
    def _targets(y: Any, n: int) -> int | list[Any]:
        """The class index, or the list of n target probabilities, checked."""
        if isinstance(y, (bool, Value)):
            raise TypeError(
                f"CrossEntropy's y must be a class index (an int from 0 to {n - 1}) or a list of {n} "
                f"probabilities, got {type(y).__name__}"
            )
        if isinstance(y, int) or (hasattr(y, "__index__") and not isinstance(y, Sequence)):
            index = operator.index(y)
            if not 0 <= index < n:
                raise ValueError(
                    f"CrossEntropy: class index {format_number(index)} is out of range for {n} scores "
                    f"(0 to {n - 1})"
                )
            return index
        if isinstance(y, (str, bytes)) or not isinstance(y, Sequence):
            raise TypeError(
                f"CrossEntropy's y must be a class index (an int from 0 to {n - 1}) or a list of {n} "
                f"probabilities, got {type(y).__name__}: {y!r}"[:300]
            )
        if len(y) != n:
            raise ValueError(f"CrossEntropy: {n} scores but {len(y)} target probabilities")
        targets = [check_real(t, f"CrossEntropy: target probability {i}") for i, t in enumerate(y)]
        if any(t < 0 for t in targets):
            raise ValueError(f"CrossEntropy: target probabilities must be >= 0, got {targets}")
        return targets

    def one(self, o: Operand, y: Any) -> Value:
        """Not used: the cross-entropy of a sample reads all its scores at once (see `__call__`)."""
        return self(o, y)

    def __repr__(self) -> str:
        return "CrossEntropy()"


def check_loss(loss_fn: Any, who: str) -> None:
    """Refuse a loss class where its object goes (`HalfSquaredError` for `HalfSquaredError()`)."""
    if isinstance(loss_fn, type):
        raise TypeError(f"{who} got the class {loss_fn.__name__}; pass a loss object: {loss_fn.__name__}()")
    if not callable(loss_fn):
        raise TypeError(
            f"{who} needs a loss such as HalfSquaredError() (called as loss(output, y)), "
            f"got {type(loss_fn).__name__}: {loss_fn!r}"
        )


def l2_penalty(params: Iterable[Value], coefficient: Any) -> Value:
    """`coefficient · Σ p²` over `params` (weight decay as a term of the loss)."""
    if isinstance(params, Module):
        raise TypeError(
            f"l2_penalty got the {type(params).__name__} itself; pass its parameters: "
            "l2_penalty(model.parameters(), coefficient)"
        )
    if isinstance(params, (Value, str, bytes)) or not isinstance(params, Iterable):
        raise TypeError(
            "l2_penalty needs a list of parameters, e.g. l2_penalty(model.parameters(), coefficient); "
            f"got {type(params).__name__}"
        )
    params = list(params)
    if not params:
        raise ValueError("l2_penalty needs at least one parameter")
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"l2_penalty: parameter {i} is a {type(p).__name__}, not a Value")
    if not isinstance(coefficient, Value):
        check_number(coefficient, "l2_penalty's coefficient")
    total = params[0] * params[0]
    for p in params[1:]:
        total = total + p * p
    return coefficient * total


# --- models -------------------------------------------------------------------------------------


@dataclass
class Trace:
    """One forward pass kept for reading: the input leaves, each layer's outputs, and the loss."""

    model: Sequential
    inputs: Vector
    outputs: list[Vector]
    y: Any = None
    loss: Value | None = None

    @property
    def output(self) -> Vector:
        """The model's output vector (the last layer's outputs)."""
        return self.outputs[-1] if self.outputs else self.inputs


def _as_vector(out: Any) -> Vector:
    """A layer's output as a vector (an MLP with one output gives a bare Value)."""
    return [out] if isinstance(out, Value) else out


class Sequential(Module):
    """Layers applied one after the other: `Sequential(L1, L2, L3)(x)` is `L3(L2(L1(x)))`.

    The model leaves the layers it is given as they are (one may serve in two models); what it
    derives from their positions it keeps to itself: the labels L1, L2, ... of unlabelled layers
    (`labels`), the parameter names `w{k}_{j}` / `b{k}` of layer k (`named_parameters()`), and, in a
    `trace`, the outputs' names `o{k}` or `o{k}_{i}`. A trace writes the derived names on the
    unnamed parameters so that drawings and tables show them; a name you give a parameter is kept.
    """

    def __init__(self, *layers: Module, label: str | None = None):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise ValueError(
                f"{type(self).__name__} needs at least one layer, e.g. "
                "Sequential(Input(), Linear(3, 1), ReLU())"
            )
        for i, m in enumerate(layers):
            if isinstance(m, type) and issubclass(m, Module):
                raise TypeError(
                    f"Sequential got the class {m.__name__} as item {i}; pass an object: {m.__name__}()"
                )
            if not isinstance(m, Module):
                raise TypeError(f"Sequential needs layers (Module objects); item {i} is {type(m).__name__}")
        self.layers = list(layers)
        self.label = label

    @property
    def labels(self) -> list[str]:
        """Each layer's box: its own label, else `L{k}` from its position k (from 1)."""
        return [m.label if m.label is not None else f"L{k}" for k, m in enumerate(self.layers, 1)]

    def parameters(self) -> list[Value]:
        """Every layer's parameters, layer by layer (each Value once)."""
        seen: set[int] = set()
        result = []
        for m in self.layers:
            for p in m.parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    result.append(p)
        return result

    def named_parameters(self) -> list[tuple[str, Value]]:
        """`(name, parameter)` pairs, layer by layer: `w{k}_{j}`, `b{k}` (or `w{k}_{i}_{j}`, `b{k}_{i}`)
        for layer k, unless a parameter has a name of its own; a shared parameter is listed once."""
        seen: set[int] = set()
        result = []
        for k, m in enumerate(self.layers, 1):
            if isinstance(m, (Layer, Neuron)):
                pairs = _named(m.parameters(), m.parameter_names(k))
            else:
                pairs = [(f"{self.labels[k - 1]}.{name}", p) for name, p in m.named_parameters()]
                pairs = [(_given_name(p) or name, p) for name, p in pairs]
            for name, p in pairs:
                if id(p) not in seen:
                    seen.add(id(p))
                    result.append((name, p))
        return result

    def _name_parameters(self) -> None:
        """Write the derived names on the parameters that have no name of their own (for drawings)."""
        # Deriving the names costs a sizeable part of a small model's trace: they are derived again
        # only when the model's layers change, and the loop below runs only when some parameter's
        # name is not the very object the last naming left (compared in C, a few ns per parameter,
        # where the loop costs about a hundred).
        key = tuple(self.layers)
        cached: _NamingCache | None = getattr(self, "_derived", None)
        if (
            cached is None
            or len(cached.layers) != len(key)
            or any(a is not b for a, b in zip(cached.layers, key, strict=True))
        ):
            pairs = self.named_parameters()
            cached = _NamingCache(key, [_DerivedName(n) for n, _ in pairs], [p for _, p in pairs])
            self._derived = cached
        elif cached.left is not None and all(map(operator.is_, map(_NAME_OF, cached.params), cached.left)):
            return  # every name is the very object the last naming left
        for name, p in zip(cached.names, cached.params, strict=True):
            # Another model sharing this parameter may have named it since: name it again.
            if p.name is not name and _given_name(p) is None:
                p.name = name
        cached.left = list(map(_NAME_OF, cached.params))

    def _leaves(self, x: Operand | Sequence[Operand]) -> Vector:
        first = self.layers[0]
        # An Input layer makes the data leaves itself, so that its requires_grad applies.
        return first.leaves(x) if isinstance(first, Input) else _leaves(x)

    def trace(
        self, x: Operand | Sequence[Operand], y: Any = None, loss: Callable[..., Value] | None = None
    ) -> Trace:
        """Run the forward pass on `x` and keep every layer's outputs (and `loss(output, y)` if given).

        The outputs are named `o{k}` / `o{k}_{i}`, and unnamed parameters get their derived names, for
        the drawings and tables that read this pass.
        """
        if loss is not None:
            check_loss(loss, "trace(loss=...)")
        self._name_parameters()
        xs = self._leaves(x)
        outputs: list[Vector] = []
        current: list[Any] = xs
        for k, (box, m) in enumerate(zip(self.labels, self.layers, strict=True), 1):
            with layer(box):
                current = _as_vector(m(current))
            single = len(current) == 1
            for i, v in enumerate(current, 1):
                if v.name is None:
                    v.name = f"o{k}" if single else f"o{k}_{i}"
            outputs.append(current)
        result = Trace(self, xs, outputs, y)
        if loss is not None:
            result.loss = loss(current, y)
        return result

    def forward(self, x: list[Operand]) -> Vector:
        """The last layer's output vector (nothing is named or kept: `trace` is for reading)."""
        current: list[Any] = self._leaves(x)
        for box, m in zip(self.labels, self.layers, strict=True):
            with layer(box):
                current = _as_vector(m(current))
        return current

    def __call__(self, x: Operand | Sequence[Operand]) -> Vector:
        return self.forward(_vector(x, "model"))

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __repr__(self) -> str:
        inner = ", ".join(repr(m) for m in self.layers)
        return f"{type(self).__name__}({inner})"


class MLP(Sequential):
    """A multi-layer perceptron: `Layer`s of neurons, ReLU (or another activation) between them.

    `MLP(2, [16, 16, 1], seed=0)`: 2 inputs, two hidden layers of 16 ReLU neurons, one linear output.
    The same seed always gives the same weights. `model(x)` is a bare Value when the last layer has
    one output (a list otherwise).
    """

    def __init__(
        self, n_in: int, sizes: Sequence[int], *, activation: ActivationSpec = "relu", seed: int = 0
    ):
        check_size(n_in, "MLP's number of inputs n_in")
        if isinstance(sizes, (int, float)) and not isinstance(sizes, bool):
            raise TypeError(
                f"MLP's sizes must be a list of layer widths, got the number {sizes!r}; for one layer "
                f"of {sizes} outputs write MLP({n_in}, [{sizes}]), for a hidden layer of {sizes} "
                f"MLP({n_in}, [{sizes}, 1])"
            )
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
            raise TypeError(f"MLP's sizes must be a list of layer widths such as [16, 16, 1], got {sizes!r}")
        if not sizes:
            raise ValueError("MLP needs a non-empty list of layer sizes, e.g. MLP(2, [16, 16, 1])")
        for i, size in enumerate(sizes):
            check_size(size, f"MLP's sizes[{i}] (the width of layer {i + 1})")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise TypeError(f"MLP's seed must be an int, got {type(seed).__name__}: {seed!r}")
        _activation(activation, "MLP's activation")
        rng = random.Random(seed)
        widths = [n_in, *sizes]
        layers = [
            Layer(widths[i], widths[i + 1], activation=activation if i < len(sizes) - 1 else None, rng=rng)
            for i in range(len(sizes))
        ]
        super().__init__(*layers)
        self.sizes = list(sizes)
        self.seed = seed

    def __call__(self, x: Operand | Sequence[Operand]) -> Any:
        """The output: a bare Value when the last layer has one neuron (as micrograd's), else the vector.

        So `(model(x) - y) ** 2` works on a one-output model. Inside a `Sequential`, or through
        `forward` and `trace`, an MLP gives vectors like every other layer.
        """
        out = super().__call__(x)
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"MLP({self.layers[0].n_in}, {self.sizes}, seed={self.seed})"  # type: ignore[attr-defined]

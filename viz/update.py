"""A weight's update as the optimizer really makes it: plain SGD, SGD with momentum, Adam, or a refusal.

`lr=` in `viz.draw`, `viz.steps` and the step pages takes either a learning rate (a number: the
articles' plain step `ŵ = w − α·δw`) or the optimizer itself, whose rule and state are then drawn:

    SGD(params, lr)            ŵ2_3 = w2_3 − α·δw2_3 = 1/5800 − 10⁻⁷·(−3000) = 137/290000
    SGD(params, lr, momentum)  v′ = μ·v + δw = ...; ŵ = w − α·v′ = ...
    Adam(params, lr, ...)      m′ = β1·m + (1 − β1)·δw = ...; v′ = ...; m̂ = ...; v̂ = ...;
                               ŵ = w − α·m̂/(√v̂ + ε) = ...

The numbers are those of the optimizer's next `step()`, computed the way it computes them, so the
drawn ŵ is the weight that step writes. An optimizer with another rule is refused (ValueError),
never drawn with SGD's rule.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

from autodiff import Value
from autodiff.learn.optim import SGD, Adam, Optimizer

from .text import MINUS, factor, shown, superscript

SGD_RULE, MOMENTUM, ADAM = "sgd", "momentum", "adam"
"""The rules drawn."""


@dataclass(frozen=True)
class Rule:
    """The update rule of one drawing and the optimizer state it starts from (per weight, by identity)."""

    kind: str
    lr: Any
    momentum: Any = 0
    betas: tuple[Any, Any] = (0, 0)
    eps: Any = 0
    step: int = 1  # Adam: the number of the step drawn (t), for the bias corrections
    state: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # velocity, or (m, v)
    source: str = "lr"

    @property
    def legend(self) -> str:
        """The rule in words and symbols, for the legend."""
        if self.kind == MOMENTUM:
            return "ŵ = w − α·v′, v′ = μ·v + δw: one step of SGD with momentum μ (v: the velocity so far)"
        if self.kind == ADAM:
            return "ŵ = w − α·m̂/(√v̂ + ε): one step of Adam (m̂, v̂: bias-corrected averages of δw and δw²)"
        return "ŵ = w − α·δw: the weight after one step of gradient descent with learning rate α"


def rule_of(lr: Any, what: str = "lr") -> Rule:
    """The rule for `lr=`: a number (plain SGD), an `SGD` or `Adam` optimizer; anything else is refused."""
    if isinstance(lr, Optimizer):
        if type(lr) is SGD:
            if not lr.momentum:
                return Rule(SGD_RULE, lr.lr, source=repr(lr))
            velocity = {id(p): (v,) for p, v in zip(lr.params, lr.velocity, strict=True)}
            return Rule(MOMENTUM, lr.lr, momentum=lr.momentum, state=velocity, source=repr(lr))
        if type(lr) is Adam:
            moments = {id(p): (m, v) for p, m, v in zip(lr.params, lr.m, lr.v, strict=True)}
            return Rule(
                ADAM, lr.lr, betas=lr.betas, eps=lr.eps, step=lr.steps + 1, state=moments, source=repr(lr)
            )
        raise ValueError(
            f"{what}: viz draws the updates of SGD (with or without momentum) and Adam, not of "
            f"{type(lr).__name__}; draw without {what}= rather than with a rule it does not use"
        )
    value = lr.data if isinstance(lr, Value) else lr
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{what} must be a learning rate such as Fraction(1, 10**7) or 0.1, or the optimizer "
            f"(SGD or Adam) whose step to draw; got {type(lr).__name__}"
        )
    if not value > 0:
        raise ValueError(f"{what} must be > 0, got {lr!r}")
    return Rule(SGD_RULE, value)


def update(rule: Rule, weight: Value, grad: Any, name: str, hat: str, delta: str) -> tuple[str, Any]:
    """(sentence, new value) of `weight`'s step under `rule`: symbols, then numbers, then the result.

    Parts of a longer rule are joined by `; ` (the drawing puts each on its own lines).
    """
    w = weight.data
    if rule.kind == SGD_RULE:
        new = _or_none(lambda: w - rule.lr * grad)
        numbers_ = f"{shown(w)} {MINUS} {shown(rule.lr)}·{factor(grad)}"
        return f"{hat} = {name} {MINUS} α·{delta} = {numbers_}{_result(new)}", new
    state = rule.state.get(id(weight))
    if state is None:
        raise ValueError(
            f"lr: {name} is not one of the optimizer's parameters ({rule.source}); "
            "give the optimizer that updates the weights drawn"
        )
    if rule.kind == MOMENTUM:
        (old,) = state
        velocity = _or_none(lambda: rule.momentum * old + grad)
        new = _or_none(lambda: w - rule.lr * velocity)
        first = (
            f"v′ = μ·v + {delta} = {factor(rule.momentum)}·{factor(old)} + {factor(grad)}{_result(velocity)}"
        )
        numbers_ = f"{shown(w)} {MINUS} {shown(rule.lr)}·{factor(velocity)}"
        second = f"{hat} = {name} {MINUS} α·v′ = {numbers_}{_result(new)}"
        return f"{first}; {second}", new
    m, v = state
    b1, b2 = rule.betas
    t = rule.step
    # As Adam._updates computes them, in the same order, so ŵ is the number step() writes.
    m1 = _or_none(lambda: b1 * m + (1 - b1) * grad)
    v1 = _or_none(lambda: b2 * v + (1 - b2) * grad * grad)
    c1, c2 = 1 - b1**t, 1 - b2**t
    m_hat = _or_none(lambda: m1 / c1)
    v_hat = _or_none(lambda: v1 / c2)
    step = _or_none(lambda: rule.lr * m_hat / (math.sqrt(v_hat) + rule.eps))
    new = _or_none(lambda: w - step)
    tt = superscript(t)
    parts = [
        f"m′ = β1·m + (1 {MINUS} β1)·{delta} = {factor(b1)}·{factor(m)} + {factor(1 - b1)}·{factor(grad)}"
        f"{_result(m1)}",
        f"v′ = β2·v + (1 {MINUS} β2)·{delta}² = {factor(b2)}·{factor(v)} + {factor(1 - b2)}·{factor(grad)}²"
        f"{_result(v1)}",
        f"m̂ = m′/(1 {MINUS} β1{tt}){_result(m_hat)}",
        f"v̂ = v′/(1 {MINUS} β2{tt}){_result(v_hat)}",
        f"{hat} = {name} {MINUS} α·m̂/(√v̂ + ε) = {shown(w)} {MINUS} {shown(rule.lr)}·{factor(m_hat)}"
        f"/(√{factor(v_hat)} + {shown(rule.eps)}){_result(new)}",
    ]
    return "; ".join(parts), new


def legend_for(sentence: str) -> str:
    """The legend's line for the rule an update sentence was written with."""
    kind = ADAM if sentence.startswith("m′") else MOMENTUM if sentence.startswith("v′") else SGD_RULE
    return Rule(kind, 1).legend


def _or_none(compute: Any) -> Any:
    try:
        return compute()
    except (TypeError, ValueError, ArithmeticError):
        return None


def _result(x: Any) -> str:
    return "" if x is None else f" = {shown(x)}"


def update_picture(
    loss: Value,
    lr: Any,
    *,
    params: Any = None,
    names: Any = None,
    delta_names: Any = None,
    title: str | None = None,
) -> Any:
    """The update on its own, one row per weight: `w → ŵ`, the arrow saying `Δ = −α·δw` and its numbers.

    `lr` is a learning rate or the optimizer (see `rule_of`); `params` the weights (by default every
    `Parameter` of `loss`'s graph). Returns a `graphviz.Digraph`, drawn left to right.
    """
    from autodiff import Parameter

    from . import text
    from .dot import load_graphviz
    from .names import Names
    from .readability import TYPE
    from .scene import WEIGHT
    from .style import FONT, KIND, UPDATE

    rule = rule_of(lr)
    naming = Names(loss, names, delta_names)
    weights = list(params) if params is not None else [n for n in naming.order if isinstance(n, Parameter)]
    heading = [title] if title else []
    heading.append(rule.legend)
    label = "<BR/>".join(text.html(line) for line in heading)
    g = load_graphviz().Digraph(
        "update",
        graph_attr={"rankdir": "LR", "label": f"<{label}>", "labelloc": "t", "fontname": FONT,
                    "fontsize": str(TYPE.heading), "nodesep": "0.15", "ranksep": "0.3", "pad": "0.06"},
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": FONT, "fontsize": str(TYPE.body),
                   **KIND[WEIGHT]},
        edge_attr={"fontname": FONT, "fontsize": str(TYPE.arrow), "color": UPDATE, "fontcolor": UPDATE},
    )  # fmt: skip
    for i, w in enumerate(weights):
        if not isinstance(w, Value) or not naming.has(w):
            raise ValueError(
                f"params: item {i} is not a weight of the loss's graph; pass the weights it used"
            )
        grad = w.grad.data if isinstance(w.grad, Value) else w.grad
        name, delta = naming.short(w), naming.delta(w)
        sentence, new = update(rule, w, grad, name, naming.hat(w), delta)
        parts = sentence.split("; ")
        # Δ = ŵ − w: the rule's last part without its `w` (`−α·δw2_3`), its numbers, the change.
        rule_part = parts[-1].split(" = ")
        symbols = rule_part[1].removeprefix(name).strip().replace(f"{MINUS} ", MINUS, 1)
        numbers_ = rule_part[2].removeprefix(shown(w.data)).strip().replace(f"{MINUS} ", MINUS, 1)
        change = _or_none(lambda w=w, new=new: new - w.data)
        lines = [*parts[:-1], f"Δ = {symbols}", f"= {numbers_}{_result(change)}"]
        g.node(f"w{i}", f"<<B>{text.html(name)}</B> = {text.html(shown(w.data))}<BR/>{text.html(delta)} = "
                        f"{text.html(shown(grad))}>")  # fmt: skip
        g.node(f"h{i}", f"<<B>{text.html(naming.hat(w))}</B> = {text.html(shown(new))}>")
        g.edge(f"w{i}", f"h{i}", label=f"<{'<BR/>'.join(text.html(line) for line in lines)}>")
    with g.subgraph() as column:  # the weights top to bottom in the order given (w2_1 first)
        column.attr(rank="same")
        for i in range(1, len(weights)):
            column.edge(f"w{i - 1}", f"w{i}", style="invis")
    return g

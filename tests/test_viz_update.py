"""viz.update: the update drawn is the optimizer's own step (SGD, momentum, Adam), or a clear refusal."""

from __future__ import annotations

from fractions import Fraction

import pytest

import viz
from autodiff import Parameter, Value
from autodiff.learn.optim import SGD, Adam, Optimizer
from viz.update import rule_of, update


def _loss(w: Value, x) -> Value:
    return (w * x - 1) ** 2


def _after_backward(w: Value, x) -> Value:
    w.grad = 0
    loss = _loss(w, x)
    loss.backward()
    return loss


def _drawn(opt, w: Value) -> tuple[str, object]:
    return update(rule_of(opt), w, w.grad, "w", "ŵ", "δw")


def test_plain_sgd_draws_the_articles_rule_exactly():
    w = Parameter(Fraction(1, 2))
    _after_backward(w, 3)  # δw = 2·(3/2 − 1)·3 = 3
    opt = SGD([w], lr=Fraction(1, 10))
    sentence, new = _drawn(opt, w)
    assert sentence == "ŵ = w − α·δw = 1/2 − 1/10·3 = 1/5"
    opt.step()
    assert w.data == new == Fraction(1, 5)


def test_sgd_with_momentum_draws_the_velocity_it_carries():
    w = Parameter(Fraction(1, 2))
    opt = SGD([w], lr=Fraction(1, 10), momentum=Fraction(9, 10))
    _after_backward(w, 3)
    opt.step()  # the velocity is now 3
    _after_backward(w, 3)
    sentence, new = _drawn(opt, w)
    grad = w.grad
    velocity = Fraction(9, 10) * 3 + grad
    assert sentence.startswith(f"v′ = μ·v + δw = 9/10·3 + {viz.text.factor(grad)} = ")
    assert "; ŵ = w − α·v′ = " in sentence
    opt.step()
    assert new == w.data == Fraction(1, 5) - Fraction(1, 10) * velocity


def test_adam_draws_its_moments_and_the_weight_its_step_writes():
    w = Parameter(0.5)
    opt = Adam([w], lr=0.1)
    for _ in range(2):  # the drawing is of the third step: t = 3, moments already non-zero
        _after_backward(w, 3.0)
        opt.step()
    _after_backward(w, 3.0)
    sentence, new = _drawn(opt, w)
    parts = sentence.split("; ")
    assert [p.split(" = ")[0] for p in parts] == ["m′", "v′", "m̂", "v̂", "ŵ"]
    assert parts[2].startswith("m̂ = m′/(1 − β1³)") and parts[4].startswith("ŵ = w − α·m̂/(√v̂ + ε)")
    opt.step()
    assert new == w.data  # the same float, computed as Adam computes it


def test_an_optimizer_with_another_rule_is_refused_not_drawn_as_sgd():
    class Halving(Optimizer):
        def _updates(self, grads):
            return [g / 2 for g in grads], None

    class Nesterov(SGD):  # a subclass may change the rule: not drawn either
        pass

    w = Parameter(1.0)
    _after_backward(w, 2.0)
    for opt in (Halving([w], lr=0.1), Nesterov([w], lr=0.1, momentum=0.5)):
        with pytest.raises(ValueError, match=r"viz draws the updates of SGD .* and Adam"):
            rule_of(opt)
        with pytest.raises(ValueError, match="not of"):
            viz.to_dot(_loss(w, 2.0), lr=opt)


def test_a_weight_outside_the_optimizer_is_named():
    w, other = Parameter(1.0, name="w"), Parameter(2.0, name="b")
    loss = (w * other - 1) ** 2
    loss.backward()
    with pytest.raises(ValueError, match="b is not one of the optimizer's parameters"):
        viz.to_dot(loss, lr=Adam([w], lr=0.1))


@pytest.mark.parametrize("bad", ["0.1", True, [0.1]])
def test_a_learning_rate_that_is_not_a_number_is_a_type_error(bad):
    with pytest.raises(TypeError, match=r"learning rate .* or the optimizer"):
        rule_of(bad)
    with pytest.raises(ValueError, match="must be > 0"):
        rule_of(-0.1)


def test_drawings_and_steps_use_the_optimizer_given():
    w = Parameter(0.5, name="w")
    opt = Adam([w], lr=0.1)
    loss = _after_backward(w, 3.0)
    source = viz.to_dot(loss, lr=opt, params=[w])
    assert "m̂ = m′/(1 − β1¹)" in source and "one step of Adam" in source
    assert "ŵ = w − α·δw:" not in source  # not the SGD rule
    steps = viz.steps(loss, lr=opt, params=[w])
    drawn = steps[-1].new
    opt.step()
    assert drawn == w.data
    momentum = SGD([w], lr=0.1, momentum=0.9)
    assert "one step of SGD with momentum" in viz.to_dot(loss, lr=momentum, params=[w])


def test_the_update_picture_draws_w_to_w_hat_with_its_change():
    import shutil
    import subprocess

    from viz.article import patient
    from viz.gallery import ARTICLE_LR
    from viz.readability import MIN_TEXT_PX, read_svg
    from viz.update import update_picture

    p = patient(3)
    g = update_picture(p.loss, ARTICLE_LR, params=p.params, names=p.names, delta_names=p.delta_names)
    source = str(g.source)
    assert "Δ = −α·δw2_3<BR/>= −10⁻⁷·(−3000) = 3/10000" in source
    assert "<B>ŵ2_3</B> = 137/290000" in source and "<B>w2_3</B> = 1/5800" in source
    assert "ŵ = w − α·δw: the weight after one step" in source
    if shutil.which("dot"):
        svg = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, check=True).stdout
        assert read_svg(svg.decode()).smallest_px >= MIN_TEXT_PX
    # With Adam: its moments, and the ŵ its step writes.
    w = Parameter(0.5, name="w")
    opt = Adam([w], lr=0.1)
    loss = _after_backward(w, 3.0)
    source = str(update_picture(loss, opt, params=[w]).source)
    assert "m̂ = m′/(1 − β1¹)" in source and "one step of Adam" in source
    opt.step()
    assert f"<B>ŵ</B> = {viz.text.shown(w.data)}" in source
    with pytest.raises(ValueError, match="not a weight of the loss's graph"):
        update_picture(loss, 0.1, params=[Parameter(1.0)])

"""The public surface that tools (viz, tape, functional) read the graph through, and the module layout."""

from __future__ import annotations

import importlib
import pathlib
import re
import subprocess
import sys
from fractions import Fraction as F

import pytest

import autodiff
from autodiff import Value, ops


def test_a_node_shows_its_primitive_parents_and_hooks():
    a, b = Value(F(1, 2), "a"), Value(3, "b")
    c = a * b + a
    assert c.primitive is ops.add and c.op == "add"
    mul = c.parents[0]
    assert mul.primitive is ops.mul and mul.parents == (a, b)
    assert a.primitive is None and a.parents == () and a.is_leaf
    assert c.hooks == ()
    handle = c.register_hook(lambda d: None)
    assert len(c.hooks) == 1
    handle.remove()
    assert c.hooks == ()


def test_local_derivative_is_the_one_calling_convention():
    x, y = Value(F(1, 3)), Value(F(2, 5))
    out = x / y
    inputs = [p.data for p in out.parents]
    assert out.primitive.local_derivative(0, inputs, out.data) == F(5, 2)
    assert out.primitive.local_derivative(1, inputs, out.data) == -F(1, 3) / F(2, 5) ** 2


def test_parametrised_primitives_are_bound_once_per_parameter():
    first = ops.leaky_relu.bind(slope=F(1, 10))
    assert first is ops.leaky_relu.bind(slope=F(1, 10))
    assert first is not ops.leaky_relu.bind(slope=F(1, 5))
    assert first.params == {"slope": F(1, 10)} and first.base is ops.leaky_relu
    assert "leaky_relu" in ops.PRIMITIVES and len([n for n in ops.PRIMITIVES if "leaky" in n]) == 1
    x = Value(F(-3))
    y = x.leaky_relu(F(1, 10))
    y.backward()
    assert (y.data, x.grad) == (F(-3, 10), F(1, 10))
    z = Value(0)
    z.leaky_relu(F(1, 10)).backward()
    assert z.grad == 1  # derivative 1 at exactly 0, as for relu
    with pytest.raises(TypeError, match=r"leaky_relu takes the parameters \(slope\)"):
        ops.leaky_relu.bind(alpha=1)
    with pytest.raises(TypeError, match="slope"):
        Value(1).leaky_relu("0.1")


def test_sum_is_one_node_with_derivative_one_per_input():
    a, b = Value(F(1, 2)), Value(F(1, 3))
    s = autodiff.sum([a, b, a, 2])
    assert s.op == "sum" and len(s.parents) == 4 and s.data == F(10, 3)
    s.backward()
    assert (a.grad, b.grad) == (2, 1)
    with pytest.raises(ValueError, match="at least one"):
        autodiff.sum([])
    assert autodiff.sum([a]) is a


@pytest.mark.parametrize("numbers", [[3], [F(1, 2)], [2.5], [3, 4]], ids=repr)
def test_a_sum_of_plain_numbers_requires_no_gradient_whatever_its_length(numbers):
    # Issue 21: a single plain number used to become a learning leaf (a δ, a Tape input).
    s = autodiff.sum(numbers)
    assert s.data == sum(numbers) and type(s.data) is type(sum(numbers))
    assert not s.requires_grad
    assert all(not n.requires_grad for n in autodiff.topological_order(s, only_requiring_grad=False))
    with pytest.raises(RuntimeError, match="does not depend on anything that requires a gradient"):
        s.backward()
    w = Value(2)
    y = w * s
    assert autodiff.Tape(y).inputs == (w,)  # the constant is no default Tape input
    import viz

    assert [n.kind for n in viz.records(y).nodes].count("input") == 1  # w alone is drawn as an input
    y.backward()
    assert w.grad == sum(numbers) and s.grad == 0


def test_sum_adds_left_to_right_like_a_chain_of_plus():
    xs = [0.1, 0.2, 0.3, 1e16, -1e16]
    chained = xs[0]
    for x in xs[1:]:
        chained = chained + x
    assert autodiff.sum([Value(x) for x in xs]).data == chained


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("autodiff.nn", "autodiff.learn.nn"),
        ("autodiff.optim", "autodiff.learn.optim"),
        ("autodiff.train", "autodiff.learn.train"),
        ("autodiff.datasets", "autodiff.learn.datasets"),
        ("autodiff.article", "autodiff.articles.gradient_descent"),
        ("autodiff.tables", "autodiff.articles.tables"),
    ],
)
def test_the_old_import_paths_give_the_same_modules(old, new):
    assert importlib.import_module(old) is importlib.import_module(new)


CORE = ["value", "ops", "backward", "modes", "exact", "checks", "functional", "trace", "tape", "gradcheck"]
ROOT = pathlib.Path(__file__).resolve().parent.parent


def _sources(module):
    """The files of a core module (a package's every file)."""
    package = ROOT / "autodiff" / module
    return sorted(package.glob("*.py")) if package.is_dir() else [ROOT / "autodiff" / f"{module}.py"]


@pytest.mark.parametrize("module", CORE)
def test_the_core_imports_nothing_from_learning_teaching_or_drawing(module):
    for file in _sources(module):
        source = file.read_text(encoding="utf-8")
        imports = re.findall(r"^\s*(?:from|import)\s+(\S+)", source, flags=re.M)
        for name in imports:
            assert not re.search(r"learn|articles|nn|optim|train|tables|datasets|article|viz", name), (
                module,
                name,
            )


@pytest.mark.parametrize(
    "path",
    [
        "viz",
        "autodiff/tape",
        "autodiff/trace.py",
        "autodiff/functional.py",
        "autodiff/gradcheck.py",
        "autodiff/check.py",
    ],
)
def test_tools_use_only_the_public_introspection_api(path):
    target = ROOT / path
    files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
    for file in files:
        text = file.read_text(encoding="utf-8")
        found = re.findall(r"\._parents|\._op\b|_record\b|_check_finite|\._p0|\._p1|\._more|\._hooks", text)
        assert not found, (file.name, found)


def test_autodiff_imports_viz_only_lazily_inside_functions():
    for file in sorted((ROOT / "autodiff").rglob("*.py")):
        top_level = re.findall(r"^(?:from|import)\s+(\S+)", file.read_text(encoding="utf-8"), flags=re.M)
        assert not [name for name in top_level if name.startswith("viz")], file.name
    code = (
        "import sys, autodiff; autodiff.check_deltas(autodiff.Value(1) * 2, {}); print('viz' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_models_mark_what_they_learn_as_parameters():
    from autodiff.articles import gradient_descent as article
    from autodiff.learn import MLP

    assert all(isinstance(w, autodiff.Parameter) for w in article.weights())
    model = MLP(2, [3, 1], seed=0)
    assert all(isinstance(p, autodiff.Parameter) for p in model.parameters())
    out = model([1.0, 2.0])
    assert not isinstance(out, autodiff.Parameter)  # results of operations are plain Values
    assert type(autodiff.Parameter(1.0).detach()) is Value

"""The plain backward pass trusts the use counts recorded with each operation; these programs try to fool it.

`backward()` releases a node when its recorded users are done, without walking the graph first.
Here random exact programs get stray users (nodes used outside the output's graph), second passes
over one graph, a pass from an inner node first, and hooks, and the gradients must still equal the
independent exact reference with `==`.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from programs import Const, Step, apply_autodiff, examples, programs, reference

from autodiff import Value, backward, topological_order


def _build(program):
    """Leaves, every node (Values and plain numbers), and the output, as `programs.run` computes it."""
    leaves = [Value(x) for x in program.leaves]
    nodes = list(leaves)
    for step in program.steps:
        operands = [a.value if isinstance(a, Const) else nodes[a] for a in step.args]
        nodes.append(apply_autodiff(step, operands))
    outs = [nodes[i] for i in program.outputs]
    out = outs[0] if len(outs) == 1 else apply_autodiff(Step("sum", ()), outs)
    return leaves, [n for n in nodes if isinstance(n, Value) and n.requires_grad], out


@examples(1500)
@given(programs(exact=True), st.data())
def test_gradients_are_exact_whatever_was_recorded_before_the_pass(program, data):
    leaves, nodes, out = _build(program)
    if not isinstance(out, Value) or not out.requires_grad:
        return
    ref = reference(program, program.leaves)
    picks = st.sampled_from(nodes)
    strays = [data.draw(picks) * 3 for _ in range(data.draw(st.integers(0, 3)))]
    how = data.draw(st.sampled_from(["once", "twice", "inner node first", "hooked", "hook records"]))
    calls = []
    if how == "inner node first":
        data.draw(picks).backward()
        for leaf in leaves:
            leaf.grad = 0
    elif how in ("hooked", "hook records"):
        hooked = data.draw(st.sampled_from(topological_order(out)))
        # A hook that records operations on the graph's own nodes changes their use counts mid-pass.
        hooked.register_hook(lambda d: calls.append(d * nodes[0] if how == "hook records" else d))
    general = backward.general_passes
    out.backward(retain_graph=True)  # "inner node first" may have picked out itself: passes are meant
    times = 1
    if how == "twice":
        out.backward(retain_graph=True)
        times = 2
    assert [leaf.grad for leaf in leaves] == [times * g for g in ref.g], (how, program)
    if how.startswith("hook"):
        assert len(calls) == 1, (how, program)
    # One thread, no primitive recording during the pass: a counted pass is always enough.
    assert backward.general_passes == general, (how, program)
    del strays  # alive until here: their users were recorded, and stay outside the graph

"""Time `viz.to_dot` on a graph of about 10,000 nodes: `python benchmarks/viz_dot_10k.py`.

The graph is a chain of 68 layers of 50 products w·x summed (10,133 nodes, backward done).
It prints the node count and the seconds to produce DOT in full (budget=None) and within the
default readability budget (layers collapsed into boxes with δ statistics).
"""

from __future__ import annotations

import time
from fractions import Fraction

import autodiff
import viz


def build(layers: int = 68, width: int = 50) -> autodiff.Value:
    """A deep, layered graph whose exact δs stay small fractions."""
    h = autodiff.Value(1, name="x")
    for n in range(layers):
        with autodiff.layer(f"L{n + 1}"):
            terms = [autodiff.Value(Fraction(1, width), name=f"w{n}_{i}") * h for i in range(width)]
            total = terms[0]
            for t in terms[1:]:
                total = total + t
            h = total
    h.backward()
    return h


def main() -> None:
    """Build the graph, then time DOT in full and collapsed."""
    root = build()
    count = len(viz.records(root).nodes)
    start = time.perf_counter()
    full = viz.to_dot(root, budget=None)
    middle = time.perf_counter()
    small = viz.to_dot(root)
    end = time.perf_counter()
    print(f"{count} nodes")
    print(f"full DOT:      {middle - start:.2f} s, {len(full):,} characters")
    print(f"collapsed DOT: {end - middle:.2f} s, {len(small):,} characters (budget={viz.DEFAULT_BUDGET})")


if __name__ == "__main__":
    main()

"""The article's gradient descent: one epoch of per-sample updates at α = 10⁻⁷, in exact numbers.

Run `python examples/gradient_descent.py` (exact fractions, as in the article) or add `--float` to
see float64 miss the article's result: on the third patient w2·x is -1.1e-16 instead of 0, the ReLU
takes the other side, and nothing is learned.
"""

from __future__ import annotations

import sys
from fractions import Fraction

from autodiff import Value, format_number

PATIENTS = [((100, 2000, 100), 0), ((200, 0, 0), 1), ((0, 2000, 3000), 1)]
W2 = (Fraction(1, 200), Fraction(-3000, 11_600_000), Fraction(1, 5800))


def main(use_float: bool = False) -> None:
    """Run one epoch and print every step's forward values and δs."""
    num = float if use_float else Fraction
    alpha = num(Fraction(1, 10**7))
    w2 = [Value(num(w), name=f"w2_{i + 1}") for i, w in enumerate(W2)]
    print("exact fractions" if not use_float else "float64", "- learning rate", alpha)
    for step, (x, y) in enumerate(PATIENTS, 1):
        o1 = [Value(num(v), name=f"x{i + 1}") for i, v in enumerate(x)]
        o2 = w2[0] * o1[0] + w2[1] * o1[1] + w2[2] * o1[2]
        o3 = o2.relu()
        loss = (o3 - y) ** 2 / 2
        loss.backward()
        show = format_number
        print(f"\npatient {step}: x = {x}, y = {y}")
        print(f"  o2 = {show(o2.data)}   o3 = {show(o3.data)}   loss = {show(loss.data)}")
        print(f"  δ4 = {show(o3.grad)}   δ3 = {show(o2.grad)}")
        print(f"  δ2 = δ1 = ({', '.join(show(v.grad) for v in o1)})")
        print(f"  δw2 = ({', '.join(show(w.grad) for w in w2)})")
        for w in w2:
            w.data -= alpha * w.grad
            w.grad = 0
        print(f"  w2 = ({', '.join(show(w.data) for w in w2)})")
    print("\nnew forward pass:")
    for x, y in PATIENTS:
        o3 = sum((w.data * num(v) for w, v in zip(w2, x, strict=True)), num(0))
        o3 = max(o3, num(0))
        print(f"  x = {x}: o3 = {show(o3)} (expected {y})")


if __name__ == "__main__":
    main(use_float="--float" in sys.argv[1:])

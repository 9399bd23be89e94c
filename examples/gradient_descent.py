"""The article's gradient descent: one epoch of per-sample updates at α = 10⁻⁷, in exact numbers.

For each patient in turn it prints the article's tables — forward pass, loss, backward pass (δ4, δ3,
δ2, δw2, δ1) and the weights' update — then the new forward pass on every patient.

    python examples/gradient_descent.py             # exact fractions, as in the article
    python examples/gradient_descent.py --float     # float64: nothing is learned, and why
    python examples/gradient_descent.py --markdown  # Markdown tables instead of plain text
"""

from __future__ import annotations

import argparse
from fractions import Fraction

from autodiff import format_number
from autodiff.articles import gradient_descent as article
from autodiff.articles.tables import backward_table, forward_table, loss_table, run, update_table
from autodiff.learn.nn import HalfSquaredError, Sequential
from autodiff.learn.optim import SGD
from autodiff.learn.train import History, Step, gradient_descent


def main(argv: list[str] | None = None) -> tuple[Sequential, History]:
    """Run one epoch, printing every step's tables; return the trained model and the loss history."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--float", action="store_true", help="use float64 instead of exact fractions")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--epochs", type=int, default=1, help="number of epochs (the article runs 1)")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    number = float if args.float else Fraction
    style = "markdown" if args.markdown else "text"

    model = article.model(number)
    data = article.dataset(number)
    loss_fn = HalfSquaredError()
    optimizer = SGD(model.parameters(), lr=number(article.LEARNING_RATE))
    print(
        f"{'float64' if args.float else 'exact fractions'}, learning rate α = {format_number(optimizer.lr)}"
    )

    def show_pass(step: Step) -> None:
        # Called before the update: the δs' local derivatives still read the weights of this step.
        ((x, y),) = step.samples
        print(
            f"\n=== Epoch {step.epoch}, step {step.number}: data input x = {_vec(x)}, y = {format_number(y)}"
        )
        print("\nForward pass\n" + forward_table(step.traces, style=style))
        print("\nLoss\n" + loss_table(step.traces, style=style))
        print("\nBackward pass\n" + backward_table(step.traces, style=style))

    def show_update(step: Step) -> None:
        print("\nUpdate\n" + update_table(model.parameters(), step.before, optimizer.lr, style=style))

    history = gradient_descent(
        model, loss_fn, data, optimizer, epochs=args.epochs, on_backward=show_pass, on_step=show_update
    )

    traces = run(model, data, loss_fn)
    print("\n=== New forward pass\n" + forward_table(traces, style=style))
    print("\n" + loss_table(traces, style=style))
    print(f"\nloss per step: {', '.join(format_number(v) for v in history.steps)}")
    if args.float:
        _explain_float(model, data)
    return model, history


def _explain_float(model: Sequential, data: list) -> None:
    """Say why float64 learned nothing: the third patient's w2·x lands just below 0."""
    learned = any(p.data != float(w) for p, w in zip(model.parameters(), article.W2, strict=True))
    o2 = model.trace(data[2][0]).outputs[1][0].data
    print(
        f"\nIn float64 the third patient's o2 = w2·x is {o2!r}, not 0: the ReLU sees a negative input,"
        "\noutputs 0 and passes no δ (δ3 = 0), so δw2 = 0 and the weights "
        + ("changed only by rounding." if learned else "do not move: nothing is learned.")
        + "\nWith exact fractions o2 is exactly 0, the δ passes (ReLU'(0) = 1) and the model learns."
    )


def _vec(x: tuple) -> str:
    return "(" + ", ".join(format_number(v) for v in x) + ")"


if __name__ == "__main__":
    main()

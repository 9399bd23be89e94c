"""Batch learning on the article's three patients: one update from the average loss of the batch.

From the initial weights w2 and α = 10⁻⁷, in exact fractions, it prints the forward pass, each
loss and `Loss_avg = 1/3 · Σ loss_i`, every patient's δs in `Loss_avg` (δ4 = (o3 − y)/3, ...),
the summed gradient δw2 = Σ δw2_i, the updated weights and the new forward pass.

    python examples/batch_learning.py             # plain-text tables
    python examples/batch_learning.py --markdown  # Markdown tables

The losses are 0, 0 and 1/2, so Loss_avg = (0 + 0 + 1/2)/3 = 1/6. The batch-learning article
prints a different value there: that is an arithmetic slip in the article, and 1/6 is correct.
"""

from __future__ import annotations

import argparse
from fractions import Fraction
from typing import Any

from autodiff import format_number
from autodiff.articles import gradient_descent as article
from autodiff.articles.tables import (
    backward_table,
    format_vector,
    forward_table,
    loss_table,
    run,
    update_table,
)
from autodiff.learn.nn import HalfSquaredError
from autodiff.learn.optim import SGD
from autodiff.learn.train import Step, batch_learning


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the batch-of-3 update and print it; return the numbers it printed, for checking."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args(argv)
    style = "markdown" if args.markdown else "text"

    model = article.model(Fraction)
    data = article.dataset(Fraction)
    loss_fn = HalfSquaredError()
    optimizer = SGD(model.parameters(), lr=article.LEARNING_RATE)
    found: dict[str, Any] = {}

    def show_pass(step: Step) -> None:
        # Before the update: the δs still read the initial weights.
        losses = [t.loss.data for t in step.traces]
        found["losses"] = losses
        found["loss_avg"] = step.loss.data
        found["deltas"] = [[v.grad for v in t.outputs[-1]] for t in step.traces]  # δ4 of each patient
        print(f"Batch of {len(step.traces)} patients, learning rate α = {format_number(optimizer.lr)}")
        print("\nForward pass\n" + forward_table(step.traces, style=style))
        print("\nLosses\n" + loss_table(step.traces, style=style))
        shown = " + ".join(format_number(v) for v in losses)
        print(f"\nLoss_avg = 1/{len(losses)} · ({shown}) = {format_number(step.loss.data)}")
        print(
            "(The batch-learning article has an arithmetic slip in Loss_avg; this value is the correct one.)"
        )
        print(f"\nBackward pass of Loss_avg: each patient's δs, δ4 = (o3 − y)/{len(losses)}")
        print(backward_table(step.traces, share=step.share, style=style))

    def show_update(step: Step) -> None:
        gradient = [p.grad for p in model.parameters()]
        found["gradient"] = gradient
        found["weights"] = [p.data for p in model.parameters()]
        print(f"\nSummed gradient δw2 = Σ δw2_i = {format_vector(gradient)}")
        print(
            "\nUpdate (one for the whole batch)\n"
            + update_table(model.parameters(), step.before, optimizer.lr, style=style)
        )

    batch_learning(
        model, loss_fn, data, optimizer, batch_size=len(data), on_backward=show_pass, on_step=show_update
    )

    traces = run(model, data, loss_fn)
    found["outputs"] = [t.output[0].data for t in traces]
    found["new_losses"] = [t.loss.data for t in traces]
    found["new_loss_avg"] = sum(found["new_losses"], Fraction(0)) / len(traces)
    print("\nNew forward pass\n" + forward_table(traces, style=style))
    print("\n" + loss_table(traces, style=style))
    print(f"\nnew Loss_avg = {format_number(found['new_loss_avg'])}")
    return found


if __name__ == "__main__":
    main()

"""The articles' patients, stepped through: frames per step, the interactive page, the whole epoch."""

from __future__ import annotations

import html as _html
from pathlib import Path
from typing import Any

from autodiff.articles import gradient_descent as article

from .article import patient
from .frames import write_frames
from .html import StepPage, page
from .page import page as shell
from .page import static
from .steps import num


def write_patient_steps(
    number: int, directory: Path, frames: bool = True, html: bool = True, lr: Any = None
) -> list[Path]:
    """Write patient `number`'s frames (`patientN-step01.svg` ..., a GIF) and/or page (`patientN.html`).

    The weights' updates use `lr`, or the article's learning rate when it is None.
    """
    s = patient(number).step_scene(lr)
    written = write_frames(s, directory, f"patient{number}") if frames else []
    if html:
        written.append(page(s).save(Path(directory) / f"patient{number}.html"))
    return written


def epoch_weights() -> list[tuple[Any, ...]]:
    """w2 at the start of the article's epoch and after each patient's update, exactly."""
    w2 = article.weights()
    rows = [tuple(w.data for w in w2)]
    for x, y in article.PATIENTS:
        article.learn(x, y, w2)
        rows.append(tuple(w.data for w in w2))
    return rows


def epoch_page() -> StepPage:
    """The article's epoch on one page: w2 after each patient, and each patient's pass to step through."""
    pages = []
    for number in range(1, len(article.PATIENTS) + 1):
        pages.append(page(patient(number).step_scene()))
    rows = epoch_weights()
    head = "".join(f"<th>w2_{i}</th>" for i in range(1, len(rows[0]) + 1))
    body = []
    for k, row in enumerate(rows):
        what = "start" if k == 0 else f"after patient {k}"
        cells = "".join(
            f'<td class="{"changed" if k and v != rows[k - 1][i] else ""}">{_html.escape(num(v))}</td>'
            for i, v in enumerate(row)
        )
        body.append(f'<tr data-row="{k}"><th>{what}</th>{cells}</tr>')
    buttons = "".join(
        f'<button type="button" data-patient="{n}" aria-pressed="false">Patient {n}</button>'
        for n in range(1, len(pages) + 1)
    )
    body = _EPOCH.format(
        rate=_html.escape(num(article.LEARNING_RATE)), head=head, body="".join(body), buttons=buttons
    )
    out = shell(
        "The article's epoch, step by step",
        body,
        [p.html for p in pages],
        css=static("epoch.css"),
        js=static("epoch.js"),
        data_id="ad-pages",
    )
    return StepPage(out, pages[-1].scene)


def write_epoch(directory: Path) -> Path:
    """Write the epoch page as `directory/epoch.html`."""
    return epoch_page().save(Path(directory) / "epoch.html")


_EPOCH = """<h1>The article's epoch: gradient descent, one patient at a time</h1>
<p>Each patient's backward pass gives δw2; the update ŵ = w − α·δw (α = {rate}) is applied before
the next patient. The weights, exactly:</p>
<div class="table"><table id="ad-epoch"><tr><th></th>{head}</tr>{body}</table></div>
<div class="pick" id="ad-pick">{buttons}</div>
<iframe id="ad-frame" title="the chosen patient's backward pass"></iframe>"""

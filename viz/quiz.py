"""The step-through page as a quiz: before each δ is shown, an input box asks for it.

    viz.to_html(loss, quiz=True)                 # a StepPage with the quiz
    python -m viz article --patient 3 --quiz -o out/   # out/patient3-quiz.html

Enter checks the answer exactly in the page (big-integer fractions: `-1/200`, `−1/200`, `-0.005`,
`3/11600`), says ✓, or the first hint of `autodiff.check` whose number is the answer (the hints are
computed here, in Python, and carried by the page), and keeps a score. "Show" gives the δ away.
Nothing is fetched: the page stays one file.
"""

from __future__ import annotations

import json
import numbers
from fractions import Fraction
from pathlib import Path
from typing import Any

from autodiff import Value, topological_order
from autodiff.articles import gradient_descent as article
from autodiff.check import mistake_table

from .article import patient
from .html import StepPage, page
from .names import node_ids
from .page import static as _static
from .style import RIGHT, WRONG


def encode(x: Any) -> dict[str, Any]:
    """A number for the page: exact as numerator and denominator strings (BigInt), a float as a float."""
    if isinstance(x, Value):
        x = x.data
    if isinstance(x, numbers.Rational) and not isinstance(x, bool):
        f = Fraction(x)
        return {"n": str(f.numerator), "d": str(f.denominator)}
    return {"f": float(x)}


def quiz_data(loss: Value, *, delta_names: Any = None, lr: Any = None) -> dict[str, Any]:
    """The quiz's data by node id (`n3`, as in the page): name, right δ, hints, uses for `carried`."""
    ids = node_ids(topological_order(loss, only_requiring_grad=False))
    table = mistake_table(loss, lr=lr, delta_names=delta_names)
    nodes: dict[str, Any] = {}
    for node, m in table.items():
        nodes[ids[id(node)]] = {
            "name": m.name,
            "right": encode(m.right),
            "hints": [{"code": c, "value": encode(v), "message": msg} for c, v, msg in m.hints],
            "uses": [{"user": ids[id(u)], "local": encode(local)} for u, local in m.uses],
        }
    return {"root": ids[id(loss)], "nodes": nodes}


_PANEL = """<div id="ad-quiz" class="quiz" role="group" aria-label="quiz">
<label for="ad-answer" id="ad-ask">δ = ?</label>
<input id="ad-answer" type="text" inputmode="decimal" autocomplete="off" spellcheck="false"
 placeholder="e.g. -1/200 or 0.25" aria-describedby="ad-feedback">
<button type="button" id="ad-check">Check</button>
<button type="button" id="ad-show">Show</button>
<span id="ad-score" class="score" aria-live="polite"></span>
<p id="ad-feedback" class="feedback" aria-live="polite"></p>
</div>
"""


def add_quiz(step_page: StepPage, loss: Value, *, delta_names: Any = None, lr: Any = None) -> StepPage:
    """`step_page` with the quiz panel, its style, script and data added (the page's own script unchanged)."""
    html = step_page.html
    payload = json.dumps(quiz_data(loss, delta_names=delta_names, lr=lr), ensure_ascii=False)
    payload = payload.replace("</", "<\\/")
    colours = f":root {{ --ad-right: {RIGHT}; --ad-wrong: {WRONG}; }}\n"
    html = html.replace("</style>", colours + _static("quiz.css") + "</style>", 1)
    html = html.replace('<div id="ad-graph"', _PANEL + '<div id="ad-graph"', 1)
    html = html.replace("<title>", "<title>Quiz: ", 1)
    html = html.replace(
        "</body>",
        f'<script type="application/json" id="ad-quiz-data">{payload}</script>\n'
        f"<script>\n{_static('quiz.js')}</script>\n</body>",
        1,
    )
    return StepPage(html, step_page.scene)


def write_patient_quiz(number: int, directory: Path) -> Path:
    """Write `patientN-quiz.html`: patient `number`'s backward pass as a quiz, with the article's names."""
    p = patient(number)
    quiz = add_quiz(page(p.step_scene()), p.loss, delta_names=p.delta_names, lr=article.LEARNING_RATE)
    return quiz.save(Path(directory) / f"patient{number}-quiz.html")

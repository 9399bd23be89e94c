"""Worksheets: the δ picture with every δ blanked (`δ3 = ?`) to fill in by hand, and its answer key.

    python -m viz worksheet --patient 3 -o out/              # the article's third patient
    python -m viz worksheet --model 2-2-1 --seed 7 -o out/   # a small network with hand-friendly numbers

Each writes NAME-worksheet.svg (the picture, no δ in it: not in the text, the colours or the
tooltips), NAME-worksheet.html (printable: the picture, then one line per δ to fill in) and
NAME-answers.html (the same picture with the δs, and each δ's chain-rule sentence). The answers
can be checked with `autodiff.check_deltas(loss, {...})`.
"""

from __future__ import annotations

import argparse
import html as _html
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from autodiff import Parameter, Value, layer, topological_order
from autodiff import sum as autodiff_sum
from autodiff.check import check_deltas, delta_rule

from .article import patient
from .chain import ChainRule, number
from .records import EdgeRecord, NodeRecord
from .render import draw
from .style import MUTED
from .views import BackwardView

WEIGHTS = (Fraction(-2), Fraction(-1), Fraction(-1, 2), Fraction(1, 2), Fraction(1), Fraction(2), Fraction(3))
"""Weights of a generated network: small integers and halves, so every δ is done by hand."""
INPUTS = (-2, -1, 1, 2, 3)
TRIES = 1000


@dataclass(frozen=True)
class Exercise:
    """A graph to derive by hand: the loss, its weights, the δ names to use, a title and a file stem."""

    loss: Value
    params: tuple[Value, ...]
    delta_names: dict[Value, str]
    names: dict[Value, str]
    title: str
    stem: str


class BlankView(BackwardView):
    """The backward layout with the arrows' sentences left out (every δ carries the "blank" mark)."""

    def heading(self, graph: Any) -> str:
        """Worksheet heading."""
        return "Fill in every δ, from the loss back to the inputs: δ = δ of the output · ∂output/∂input"

    def node_attrs(self, node: NodeRecord, attrs: dict[str, str]) -> dict[str, str]:
        """No δ in the tooltip."""
        attrs["tooltip"] = f"{node.name or node.op or 'node'} = {number(node.data)}"
        return attrs

    def edge_attrs(self, edge: EdgeRecord, attrs: dict[str, str]) -> dict[str, str]:
        """An arrow without its sentence, in one colour (a colour would give the δ's sign away)."""
        for key in ("label", "tooltip", "labeltooltip", "xlabel", "headlabel", "taillabel"):
            attrs.pop(key, None)
        if attrs.get("style") != "dashed":
            attrs["color"] = attrs["fontcolor"] = MUTED
        attrs.pop("penwidth", None)
        return attrs


def worksheet_svg(ex: Exercise) -> str:
    """The worksheet picture as SVG text: the graph with its forward values, every δ `= ?`."""
    g = draw(
        ex.loss,
        view=BlankView(),
        params=ex.params,
        delta_names=ex.delta_names,
        names=ex.names,
        title=ex.title,
        # Every δ blank (`δ3 = ?`, its row as wide as the answer): the mark, not a rewrite of the SVG.
        marks={node: "blank" for node in topological_order(ex.loss) if node.requires_grad},
    )
    return str(g.pipe(format="svg").decode("utf-8"))


def answers_svg(ex: Exercise) -> str:
    """The answer picture: the ordinary backward drawing."""
    title = f"Answers: {ex.title.removeprefix('Worksheet: ')}"
    g = draw(ex.loss, params=ex.params, delta_names=ex.delta_names, names=ex.names, title=title)
    return str(g.pipe(format="svg").decode("utf-8"))


def answers(ex: Exercise) -> list[tuple[str, str, str]]:
    """(δ name, right value, chain-rule sentence) for each δ the learner fills in, from the loss back."""
    report = check_deltas(ex.loss, {}, delta_names=ex.delta_names)
    rule = ChainRule(ex.loss, ex.names, ex.delta_names)
    out = []
    for node in _asked(ex):
        name = rule.delta_symbol(node)
        sentence = delta_rule(ex.loss, node, delta_names=ex.delta_names)
        out.append((name, number(report.deltas[node]), sentence))
    return out


def _asked(ex: Exercise) -> list[Value]:
    """The nodes whose δ is asked: the named ones (the root's δ, 1, is given)."""
    return [
        n
        for n in topological_order(ex.loss)
        if n is not ex.loss and (n.name is not None or n in ex.delta_names)
    ]


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 2em; color: #111; }}
svg {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; margin-top: 1em; }}
td {{ padding: 0.45em 1em 0.45em 0; font-size: 1.1em; vertical-align: top; }}
td.blank {{ border-bottom: 1px solid #111; min-width: 14em; }}
.note {{ color: #444; }}
@media print {{ body {{ margin: 0.5cm; }} .noprint {{ display: none; }} svg {{ page-break-after: always; }} }}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="note">{note}</p>
{svg}
<table>
{rows}
</table>
</body>
</html>
"""


def worksheet_html(ex: Exercise, svg: str) -> str:
    """The printable page: the blank picture, then one line to fill in per δ."""
    rows = "\n".join(
        f'<tr><td>{_html.escape(name)} =</td><td class="blank"></td></tr>' for name, _, _ in answers(ex)
    )
    note = (
        "Derive each δ by hand from the loss back (the loss's own δ is 1). "
        "Keep fractions exact; the answer key is in the other page."
    )
    return _PAGE.format(title=_html.escape(ex.title), note=note, svg=_inline(svg), rows=rows)


def answers_html(ex: Exercise, svg: str) -> str:
    """The answer key: the picture with its δs, and each δ with its chain-rule sentence."""
    rows = "\n".join(
        f"<tr><td>{_html.escape(name)} = {_html.escape(value)}</td><td>{_html.escape(sentence)}</td></tr>"
        for name, value, sentence in answers(ex)
    )
    note = "Each δ, then the chain rule that gives it (the sentence the pictures draw on its arrow)."
    title = f"Answers: {ex.title.removeprefix('Worksheet: ')}"
    return _PAGE.format(title=_html.escape(title), note=note, svg=_inline(svg), rows=rows)


def _inline(svg: str) -> str:
    start = svg.find("<svg")
    return re.sub(r"<!--.*?-->", "", svg[start:], flags=re.S)


def write_worksheet(ex: Exercise, directory: Path) -> list[Path]:
    """Write the worksheet (SVG and HTML) and the answer key into `directory`; return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    blank = worksheet_svg(ex)
    answer = answers_svg(ex)
    files = {
        f"{ex.stem}-worksheet.svg": blank,
        f"{ex.stem}-worksheet.html": worksheet_html(ex, blank),
        f"{ex.stem}-answers.svg": answer,
        f"{ex.stem}-answers.html": answers_html(ex, answer),
    }
    out = []
    for name, content in files.items():
        path = directory / name
        path.write_text(content, encoding="utf-8")
        out.append(path)
    return out


# --- the exercises -----------------------------------------------------------------------------------


def patient_exercise(number_: int) -> Exercise:
    """The article's patient `number_` (1-3), with the articles' δ names."""
    p = patient(number_)
    return Exercise(p.loss, p.params, p.delta_names, p.names, f"Worksheet: {p.title}", f"patient{number_}")


def parse_model(text: str) -> list[int]:
    """`2-2-1` as [2, 2, 1]: inputs, hidden ReLU layers, one linear output."""
    parts = text.split("-")
    if len(parts) < 2 or not all(p.isdigit() and 1 <= int(p) <= 6 for p in parts) or parts[-1] != "1":
        raise ValueError(
            "a model is layer sizes from 1 to 6 joined by '-', ending with one output, "
            f"e.g. 2-2-1; got {text!r}"
        )
    return [int(p) for p in parts]


def model_exercise(sizes: Sequence[int], seed: int) -> Exercise:
    """A small network with numbers chosen for hand work: small integers and halves, a ReLU at exactly 0.

    Hidden layers are ReLU neurons with a bias, the output is linear, the loss is ½(o − y)². The
    numbers are drawn from `seed` until one hidden neuron's input is exactly 0 while a δ reaches it
    (so relu′(0) = 1 matters) and the loss is not 0.
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    rnd = random.Random(seed)
    for _ in range(TRIES):
        ex = _draw_model(sizes, rnd, seed)
        if ex is not None:
            return ex
    raise ValueError(f"no network with a ReLU at 0 found for {sizes} and seed {seed}; try another seed")


def _draw_model(sizes: Sequence[int], rnd: random.Random, seed: int) -> Exercise | None:
    xs = [Value(rnd.choice(INPUTS), name=f"x{i}") for i in range(1, sizes[0] + 1)]
    params: list[Value] = []
    layer_in: list[Value] = xs
    kinks: list[Value] = []
    for k, size in enumerate(sizes[1:], 1):
        last = k == len(sizes) - 1
        outs = []
        with layer(f"L{k}"):
            for j in range(1, size + 1):
                ws = [
                    Parameter(rnd.choice(WEIGHTS), name=f"w{k}_{j}{i}") for i in range(1, len(layer_in) + 1)
                ]
                pre = autodiff_sum([w * v for w, v in zip(ws, layer_in, strict=True)])
                if not last and j == 1:
                    # The first neuron of each hidden layer sits on the kink: its bias cancels the sum.
                    b = Parameter(-pre.data, name=f"b{k}_{j}")
                else:
                    b = Parameter(rnd.choice(WEIGHTS), name=f"b{k}_{j}")
                params += [*ws, b]
                z = pre + b
                z.name = f"z{k}_{j}" if not last else "o"
                if last:
                    outs.append(z)
                else:
                    h = z.relu()
                    h.name = f"h{k}_{j}"
                    outs.append(h)
                    if z.data == 0:
                        kinks.append(z)
        layer_in = outs
    out = layer_in[0]
    y = Value(rnd.choice((-1, 0, 1, 2)), name="y", requires_grad=False)
    with layer("Loss"):
        loss = (out - y) ** 2 / 2
    loss.name = "loss"
    if not kinks or loss.data == 0 or any(abs(Fraction(b.data)) > 6 for b in params):
        return None
    deltas = check_deltas(loss, {}).deltas
    if all(deltas[z] == 0 for z in kinks):
        return None  # no δ reaches the kink: relu′(0) would not matter
    shape = "-".join(str(s) for s in sizes)
    title = f"Worksheet: a {shape} network (seed {seed}), y = {y.data}, loss = {number(loss.data)}"
    return Exercise(loss, tuple(params), {}, {}, title, f"model{shape}-seed{seed}")


# --- the command line (registered by viz.__main__) -----------------------------------------------------


def add_command(commands: Any) -> argparse.ArgumentParser:
    """Add `worksheet` to the `python -m viz` subcommands."""
    sheet = commands.add_parser("worksheet", help="a δ picture to fill in by hand, with its answer key")
    which = sheet.add_mutually_exclusive_group()
    which.add_argument("--patient", type=int, choices=(1, 2, 3), help="the article's patient (default 3)")
    which.add_argument(
        "--model", help="layer sizes such as 2-2-1: a small network with hand-friendly numbers"
    )
    sheet.add_argument("--seed", type=int, default=0, help="with --model: which network (default 0)")
    sheet.add_argument(
        "-o", "--output", type=Path, default=Path("out"), help="output directory (default: out)"
    )
    return sheet


def run(args: argparse.Namespace, sheet: argparse.ArgumentParser) -> list[Path]:
    """Write the worksheet the arguments ask for; return the paths written."""
    if args.model is not None:
        try:
            sizes = parse_model(args.model)
            ex = model_exercise(sizes, args.seed)
        except ValueError as error:
            sheet.error(str(error))
    else:
        ex = patient_exercise(args.patient or 3)
    return write_worksheet(ex, args.output)

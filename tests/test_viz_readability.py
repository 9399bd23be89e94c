"""viz.readability: the 880 px column, the 11 px minimum, the type sizes, and fit() by measured width."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace

import pytest

import viz
from viz import readability
from viz.budget import SHRINKS
from viz.gallery import PICTURES
from viz.readability import COLUMN_PX, MIN_TEXT_PX, TYPE, fit, px_per_pt, readable, smallest_px

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def test_a_picture_is_shown_at_its_size_until_it_must_shrink_to_the_column():
    assert px_per_pt(600) == 4 / 3  # never enlarged past a browser's own size
    assert px_per_pt(1760) == 0.5
    assert smallest_px(880) == 11 == MIN_TEXT_PX and COLUMN_PX == 880
    assert readable(880) and not readable(881)
    assert readable(1000, smallest_pt=13) and not readable(1000)
    assert readability.widest_readable_pt() == 880


def test_every_text_size_of_the_drawing_comes_from_the_typography_table():
    source = viz.to_dot(PICTURES["patient3"]().loss, **PICTURES["patient3"]().options)
    sizes = {int(s) for s in re.findall(r'(?:fontsize=|POINT-SIZE=")"?(\d+)', source)}
    table = {TYPE.title, TYPE.heading, TYPE.body, TYPE.small, TYPE.arrow}
    assert sizes and sizes <= table
    assert TYPE.smallest == min(vars(TYPE).values())


def _mlp():
    picture = PICTURES["mlp-2-4-4-1"]()
    return viz.records(picture.loss, params=picture.options["params"])


def test_fit_keeps_a_scene_that_reads_and_tries_the_shrinks_in_order():
    graph = _mlp()
    assert fit(graph, lambda s: 500.0) is graph
    widths = iter([2000.0, 1500.0, 700.0])
    measured = []

    def measure(scene):
        measured.append(len(scene.nodes))
        return next(widths)

    shrunk = fit(graph, measure)
    # 90 nodes, then one box per neuron (17); no dense layers here, so next every layer as a box.
    assert measured[:2] == [90, 17] and len(measured) == 3
    assert all(n.kind != "neuron" or n.layer is None for n in shrunk.nodes)
    assert "every layer as one box" in shrunk.notes[-1] and "12.5 px" not in shrunk.notes[-1]
    assert SHRINKS[0][0] == "one box per neuron"


def test_fit_says_when_nothing_reads():
    graph = _mlp()
    shrunk = fit(graph, lambda s: 5000.0)
    assert "smallest text 1.9 px at 5000 pt wide" in shrunk.notes[-1]
    single = replace(graph, layers=())
    assert (
        fit(single, lambda s: 5000.0, shrinks=())
        .notes[-1]
        .startswith("shrunk to read in a 880 px column: nothing to shrink")
    )


@needs_dot
def test_the_measured_width_is_the_width_of_the_svg(tmp_path):
    picture = PICTURES["patient3"]()
    graph = viz.records(picture.loss, **{k: v for k, v in picture.options.items() if k != "title"})
    width = readability.drawn_width_pt(graph, title=picture.options["title"])
    svg = viz.render(picture.loss, tmp_path / "p.svg", **picture.options).read_text(encoding="utf-8")
    shown = float(re.search(r'<svg width="([\d.]+)pt"', svg)[1])
    assert abs(width - shown) <= 1


@needs_dot
def test_fit_by_measured_width_draws_the_mlp_one_box_per_neuron():
    graph = _mlp()
    shrunk = fit(graph, readability.drawn_width_pt)
    assert len(shrunk.nodes) == 17 and "one box per neuron" in shrunk.notes[-1]
    assert readable(readability.drawn_width_pt(shrunk))


def test_an_svg_is_read_for_its_width_and_smallest_text():
    svg = (
        '<svg width="1041pt" height="900pt"><text font-size="14.00">a</text>'
        '<text x="1" font-size="11.00">b</text><text font-size="12.00">c</text></svg>'
    )
    reading = readability.read_svg(svg)
    assert (reading.width_pt, reading.smallest_pt) == (1041.0, 11.0)
    assert round(reading.smallest_px, 2) == round(11 * 880 / 1041, 2) and not reading.readable
    assert readability.read_svg(svg.replace("1041pt", "880pt")).readable
    with pytest.raises(ValueError, match="no <svg width"):
        readability.read_svg("<p>no picture</p>")


@needs_dot
def test_a_rendered_drawing_reads_as_measured(tmp_path):
    from autodiff import Value

    y = Value(2, name="x") * 3
    y.backward()
    svg = viz.render(y, tmp_path / "small.svg", legend=False).read_text(encoding="utf-8")
    reading = readability.read_svg(svg)
    assert reading.smallest_pt == TYPE.small and reading.readable

"""Every committed gallery picture read as a learner meets it: in the 880 px column, text of 11 px or
more; no arrow through a layer's title, no arrow through an arrow's text, no text on another text."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from viz.readability import MIN_TEXT_PX, collisions, read_svg

GALLERY = Path(__file__).parent.parent / "docs" / "gallery"
SVGS = sorted(GALLERY.glob("*.svg"))


def test_the_gallery_has_pictures_to_read():
    names = {path.name for path in SVGS}
    assert {"patient1.svg", "patient3.svg", "patient3-both.svg", "mlp-2-4-4-1.svg"} <= names


@pytest.mark.parametrize("path", SVGS, ids=lambda path: path.name)
def test_every_gallery_picture_has_text_of_11_px_in_the_column(path):
    reading = read_svg(path.read_text(encoding="utf-8"))
    assert reading.smallest_px >= MIN_TEXT_PX, f"{reading.smallest_px:.1f} px at {reading.width_pt:.0f} pt"


@pytest.mark.parametrize("path", SVGS, ids=lambda path: path.name)
def test_no_arrow_crosses_a_layer_title_or_a_text_in_the_gallery(path):
    found = collisions(path.read_text(encoding="utf-8"))
    assert found.through_titles == ()
    assert found.through_labels == ()
    assert found.labels_on_labels == ()


def test_collisions_are_found_where_an_arrow_crosses_a_title():
    # A layer titled in the middle of its top edge, an arrow straight down through it.
    svg = """<svg width="200pt" height="200pt">
<g id="layer&#45;0" class="cluster">
<path d="M10,-10C10,-10 190,-10 190,-10"/>
<text text-anchor="middle" x="100" y="-80" font-weight="bold" font-size="14.00">L1</text>
</g>
<g id="edge&#45;n1&#45;n0&#45;0" class="edge ad&#45;edge">
<path fill="none" d="M100,-150C100,-120 100,-60 100,-20"/>
<text text-anchor="start" x="104" y="-120" font-size="11.00">δ1 = δ0 · 1</text>
</g>
<g id="edge&#45;n2&#45;n0&#45;0" class="edge ad&#45;edge">
<path fill="none" d="M90,-150C100,-130 130,-120 150,-100"/>
</g>
</svg>"""
    found = collisions(svg)
    assert found.through_titles == ("edge-n1-n0-0 through layer-0: L1",)
    assert found.through_labels == ("edge-n2-n0-0 through edge-n1-n0-0's text 'δ1 = δ0 · 1'",)
    moved = svg.replace('x="100" y="-80"', 'x="20" y="-30"')  # the title in the corner
    assert collisions(moved).through_titles == ()


def test_a_power_of_ten_is_typeset_in_the_gallery():
    source = (GALLERY / "patient3.svg").read_text(encoding="utf-8")
    assert "10⁻⁷" in source and "10^7" not in source
    assert not re.search(r">[^<]*\d-\d", source)  # minus signs are true minus signs between numbers


needs_dot = pytest.mark.skipif(shutil.which("neato") is None, reason="Graphviz is not installed")


@needs_dot
@pytest.mark.parametrize("number", [1, 2, 3])
def test_step_frames_read_at_11_px_and_share_the_static_pictures_direction(number):
    from viz.article import patient
    from viz.dot import direction
    from viz.frames import frame_captions, frame_svg, layout

    s = patient(number).step_scene()
    captions = frame_captions(s)
    where = layout(s, direction(s), max(captions, key=len))
    assert where.rankdir == direction(s) == "TB"  # the patients read down, static and frames alike
    assert any("short name: s1 = (o3 − y_truth)²" in caption for caption in captions)
    for step in (1, len(s.steps) // 2, len(s.steps)):
        svg = frame_svg(s, where, step, caption=captions[step - 1])
        reading = read_svg(svg)
        assert reading.smallest_px >= MIN_TEXT_PX, f"step {step}: {reading.smallest_px:.1f} px"
        assert collisions(svg).through_titles == ()

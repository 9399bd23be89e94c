"""viz files and command line: real `dot` renders, the missing-binary error, determinism, the gallery."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import autodiff
import viz
from autodiff import Value
from viz.__main__ import main
from viz.article import patient_dot

ROOT = Path(__file__).resolve().parent.parent
GALLERY = ROOT / "docs" / "gallery"
SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def _hostile() -> Value:
    name = 'q"<b>&amp;</b>\n{x}]]>\x00'
    with autodiff.layer(name):
        v = Value(2, name=name) * Value(3, name="w<")
    v.name = name
    v.backward()
    return v


def _svg_texts(path: Path) -> list[str]:
    tree = ET.parse(path)  # raises if the SVG is not well-formed XML
    return [t.text or "" for t in tree.iter(f"{SVG}text")]


@needs_dot
def test_real_svg_of_hostile_names_is_valid_xml(tmp_path):
    out = viz.render(_hostile(), tmp_path / "hostile.svg")
    assert out == tmp_path / "hostile.svg" and (tmp_path / "hostile.dot").exists()
    texts = _svg_texts(out)
    assert 'q"<b>&amp;</b>' in texts  # the name survives as text, not markup
    assert "δw< = 2" in texts


@needs_dot
@pytest.mark.parametrize("suffix", [".png", ".pdf"])
def test_other_formats(tmp_path, suffix):
    out = viz.render(Value(2, name="x") * 3, tmp_path / f"graph{suffix}")
    assert out.stat().st_size > 100


def test_dot_only_needs_no_binary(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    out = viz.render(Value(2, name="x") * 3, tmp_path / "graph.dot", view="forward")
    assert out.read_text(encoding="utf-8").startswith("digraph autodiff {")


def test_missing_dot_says_how_to_install_after_writing_the_dot_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(viz.DotNotFoundError) as caught:
        viz.render(Value(2, name="x") * 3, tmp_path / "out" / "graph.svg")
    message = str(caught.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert str(tmp_path / "out" / "graph.dot") in message
    assert (tmp_path / "out" / "graph.dot").read_text(encoding="utf-8").startswith("digraph")
    assert not (tmp_path / "out" / "graph.svg").exists()


def test_unknown_format_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"end the file name with \.svg, \.png, \.pdf or \.dot"):
        viz.render(Value(1) * 2, tmp_path / "graph.gif")


def test_draw_returns_a_digraph_jupyter_can_show():
    g = viz.draw(Value(2, name="x") * 3)
    assert hasattr(g, "_repr_mimebundle_") and g.source == viz.to_dot(Value(2, name="x") * 3)


def test_dot_is_byte_identical_across_processes():
    code = "import sys; from viz.article import patient_dot; sys.stdout.buffer.write(patient_dot(3).encode())"
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, env=env).stdout
        for env in ({**os.environ, "PYTHONHASHSEED": "1"}, {**os.environ, "PYTHONHASHSEED": "2"})
    ]
    assert runs[0] == runs[1] == patient_dot(3).encode()


def test_cli_writes_dot_even_without_the_binary(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["article", "--patient", "2", "-o", str(tmp_path)]) == 1
    assert "apt-get install graphviz" in capsys.readouterr().err
    assert (tmp_path / "patient2.dot").read_text(encoding="utf-8") == patient_dot(2)


def test_cli_dot_format_both_views(tmp_path, capsys):
    assert main(["article", "--patient", "1", "--view", "both", "--format", "dot", "-o", str(tmp_path)]) == 0
    assert (tmp_path / "patient1.dot").read_text(encoding="utf-8") == patient_dot(1)
    assert (tmp_path / "patient1-forward.dot").read_text(encoding="utf-8") == patient_dot(1, "forward")
    printed = capsys.readouterr().out.splitlines()
    assert printed == [str(tmp_path / "patient1.dot"), str(tmp_path / "patient1-forward.dot")]


@needs_dot
def test_cli_as_a_module_renders_svg(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "viz", "article", "--patient", "3", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert any("δ4 = −1" in t for t in _svg_texts(tmp_path / "patient3.svg"))


def test_cli_rejects_unknown_patient(capsys):
    with pytest.raises(SystemExit):
        main(["article", "--patient", "4"])
    assert "invalid choice: 4" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["article", "--format", "dot", "-o", "{file}"],
            "argument -o/--output: '{file}' is a file, not a directory",
        ),
        (["gallery", "{file}/sub"], "argument directory: '{file}/sub' is inside '{file}', which is a file"),
    ],
)
def test_cli_output_that_is_a_file_is_a_usage_error(tmp_path, capsys, args, message):
    path = tmp_path / "taken.txt"
    path.write_text("not a directory", encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        main([a.format(file=path) for a in args])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert message.format(file=path) in err and "Traceback" not in err
    assert path.read_text(encoding="utf-8") == "not a directory"


def test_cli_unwritable_output_is_a_message_not_a_traceback(tmp_path, capsys):
    (tmp_path / "patient3.dot").mkdir()  # the file to write is taken by a directory
    assert main(["article", "--format", "dot", "-o", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("python -m viz: error: cannot write") and "patient3.dot" in err


@pytest.mark.parametrize("name", ["patient1", "patient2", "patient3"])
def test_gallery_is_up_to_date(name):
    """docs/gallery is made by `bash run.sh gallery`; rerun it after a change."""
    from viz.gallery import picture_dot

    dot_source = (GALLERY / f"{name}.dot").read_text(encoding="utf-8")
    assert dot_source == picture_dot(name)
    # The committed SVG was drawn from this DOT: same nodes and edges, same edge labels.
    tree = ET.parse(GALLERY / f"{name}.svg")
    titles = {t.text for t in tree.iter(f"{SVG}title")}
    nodes = set(re.findall(r"^\t+(n\d+) \[", dot_source, re.MULTILINE))
    drawn = r"^\t(n\d+) -> (n\d+) \[(?!style=invis)"
    edges = {f"{a}->{b}" for a, b in re.findall(drawn, dot_source, re.MULTILINE)}
    assert nodes | edges <= titles
    texts = set(_svg_texts(GALLERY / f"{name}.svg"))
    labels = re.findall(r'label=<<TABLE[^\n]*?<FONT COLOR="#\w+">([^<]*)<BR/>([^<]*)<', dot_source)
    assert labels and {part for pair in labels for part in pair} <= texts


def _fake_dot(directory: Path, body: str) -> None:
    directory.mkdir()
    program = directory / "dot"
    program.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    program.chmod(0o755)


@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as a fake dot")
def test_a_slow_dot_is_stopped_with_a_clear_error(tmp_path, monkeypatch):
    _fake_dot(tmp_path / "bin", f"exec {shutil.which('sleep')} 5")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(TimeoutError, match=r"`dot` took more than 0.2 s.*smaller budget"):
        viz.render(Value(2, name="x") * 3, tmp_path / "graph.svg", timeout=0.2)


@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as a fake dot")
def test_a_failing_dot_reports_its_message(tmp_path, monkeypatch):
    _fake_dot(tmp_path / "bin", "echo 'Error: bad thing' >&2; exit 1")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(RuntimeError, match=r"`dot` failed on .*graph\.dot: Error: bad thing"):
        viz.render(Value(2, name="x") * 3, tmp_path / "graph.svg")


# --- issue 9.10: paths, escaping, notebooks --------------------------------------------------------


@needs_dot
def test_a_name_or_title_of_exactly_a_bracket_draws(tmp_path):
    with autodiff.layer("]"):
        v = Value(2, name="]") * Value(3, name="[")
    v.name = "]"
    v.backward()
    out = viz.render(v, tmp_path / "bracket.svg", title="]")
    assert "]" in _svg_texts(out)


@needs_dot
def test_a_file_name_that_looks_like_an_option_is_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = viz.render(Value(2, name="x") * 3, "-V.svg")
    assert out == Path("-V.svg") and (tmp_path / "-V.svg").read_text(encoding="utf-8").lstrip().startswith(
        "<?xml"
    )


def test_the_returned_path_exists_whatever_the_suffix_case(tmp_path):
    out = viz.render(Value(2, name="x") * 3, tmp_path / "g.DOT")
    assert out.exists() and out.read_text(encoding="utf-8").startswith("digraph")


def test_cli_output_that_looks_like_a_file_name_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["article", "-o", str(tmp_path / "out" / "p.svg")])
    assert stop.value.code == 2
    assert "looks like a file name" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_notebook_display_without_dot_shows_the_install_hint(tmp_path, monkeypatch):
    drawing = viz.draw(Value(2, name="x") * 3)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    shown = drawing._repr_mimebundle_()
    assert set(shown) == {"text/plain"} and "apt-get install graphviz" in shown["text/plain"]


@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as a fake dot")
def test_notebook_display_has_a_timeout(tmp_path, monkeypatch):
    _fake_dot(tmp_path / "bin", f"exec {shutil.which('sleep')} 5")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    drawing = viz.draw(Value(2, name="x") * 3, timeout=0.2)
    shown = drawing._repr_mimebundle_()
    assert "took more than 0.2 s" in shown["text/plain"]


@needs_dot
def test_notebook_display_is_svg():
    shown = viz.draw(Value(2, name="x") * 3)._repr_mimebundle_()
    assert "<svg" in shown["image/svg+xml"]


def test_import_viz_without_the_graphviz_package():
    code = (
        "import sys; sys.modules['graphviz'] = None\n"
        "import viz, viz.chain\n"
        "from autodiff import Value\n"
        "y = Value(2, name='x') * 3\n"
        "print(len(viz.records(y).nodes), viz.chain.display_name(y))\n"
        "try:\n    viz.to_dot(y)\nexcept ModuleNotFoundError as e:\n    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "3 x·3",
        "viz needs the `graphviz` Python package to build drawings: pip install graphviz",
    ]


def test_a_huge_graph_is_refused_in_time_proportional_to_max_nodes():
    import time

    h = Value(1, name="x")
    for _ in range(200_000):
        h = h + 1
    start = time.perf_counter()
    with pytest.raises(viz.GraphTooLargeError, match="max_nodes=1000"):
        viz.records(h, max_nodes=1000)
    assert time.perf_counter() - start < 0.1  # reading 1,001 nodes, not 400,001


def test_a_misspelt_option_names_the_function_called():
    with pytest.raises(TypeError, match=r"render\(\) got unknown option\(s\) titel"):
        viz.render(Value(2) * 3, "x.dot", titel="t")


@needs_dot
def test_view_both_makes_one_figure_side_by_side(tmp_path, monkeypatch):
    out = viz.render(_article_loss(), tmp_path / "p.svg", view="both")
    svg = out.read_text(encoding="utf-8")
    assert svg.count("<svg") == 3  # the figure and its two pictures
    ET.fromstring(svg.split("?>", 1)[1])
    assert (tmp_path / "p-forward.svg").exists() and (tmp_path / "p-backward.svg").exists()
    # Patient 3 is ~1000 pt wide: side by side would be 2000 pt, so one view goes above the other.
    size = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    width, height = float(size.group(1)), float(size.group(2))
    assert width < 1100 < height
    assert re.search(r'<svg x="0.00" y="[1-9][\d.]*"', svg)
    # On a wide enough page the two views sit side by side.
    monkeypatch.setattr(sys.modules["viz.render"], "PAGE_WIDTH", 10**6)
    wide = viz.render(_article_loss(), tmp_path / "w.svg", view="both").read_text(encoding="utf-8")
    assert re.search(r'<svg x="[1-9][\d.]*" y="0.00"', wide)


def _article_loss() -> Value:
    from viz.article import patient

    return patient(3).loss


@needs_dot
def test_svg_follows_the_readers_dark_mode(tmp_path):
    out = viz.render(Value(2, name="x") * 3, tmp_path / "g.svg")
    svg = out.read_text(encoding="utf-8")
    assert svg.count("prefers-color-scheme: dark") == 1
    ET.parse(out)  # still well-formed XML


@needs_dot
def test_the_forward_view_has_no_delta_text_and_the_backward_views_layout(tmp_path):
    from viz.gallery import PICTURES

    picture = PICTURES["patient3"]()
    svgs = {
        view: viz.render(picture.loss, tmp_path / f"{view}.svg", view=view, **picture.options).read_text(
            encoding="utf-8"
        )
        for view in ("forward", "backward")
    }
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", svgs["forward"])
    assert texts and not [t for t in texts if re.match(r"δ\S* = ", t) or t.startswith("ŵ")]
    assert "#fffffe" not in svgs["forward"] and 'fill="transparent"' not in svgs["forward"]
    assert "δ3 = −1" in svgs["backward"]

    def outlines(svg: str, prefix: str) -> dict[str, str]:
        found = re.findall(
            rf'<g id="{prefix}node&#45;(n\d+)" class="node[^"]*">.*?<path[^>]* d="([^"]+)"', svg, re.S
        )
        return dict(found)

    forward, backward = outlines(svgs["forward"], "forward&#45;"), outlines(svgs["backward"], "")
    assert len(forward) == 20 and forward == backward


def test_cli_writes_into_out_by_default_not_the_current_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["article", "--patient", "1", "--format", "dot"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert (tmp_path / "out" / "patient1.dot").read_text(encoding="utf-8") == patient_dot(1)
    assert capsys.readouterr().out.splitlines() == [str(Path("out") / "patient1.dot")]


def _cli_without_graphviz(command: list[str], out: Path) -> subprocess.CompletedProcess[str]:
    code = (
        "import runpy, sys\n"
        "sys.modules['graphviz'] = None  # as if it were not installed\n"
        f"sys.argv = ['viz', *{command!r}, '-o', {str(out)!r}]\n"
        "runpy.run_module('viz', run_name='__main__', alter_sys=True)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.parametrize(
    "command", [["article"], ["article", "--view", "both"], ["article", "--format", "png"]]
)
def test_cli_without_the_graphviz_package_gives_the_install_hint_not_a_traceback(tmp_path, command):
    done = _cli_without_graphviz(command, tmp_path / "o")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "python -m viz: error: the graphviz Python package is missing; install it with: pip install graphviz "
        "(or, from a checkout: pip install -e '.[viz]')"
    )


@pytest.mark.parametrize(
    ("command", "written"), [(["article", "--format", "html"], "patient3.html"), (["epoch"], "epoch.html")]
)
def test_cli_pages_need_no_graphviz_package(tmp_path, command, written):
    done = _cli_without_graphviz(command, tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / written).is_file()

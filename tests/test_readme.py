"""Every Python snippet of README.md runs and prints what its comments say.

Snippets of one `## ` section run in order in one namespace, as a reader would paste them.
Expected output is read from the snippet itself: `print(...)  # text` prints `text` (an aside
after two spaces and a parenthesis, `# 3/4  (the slope)`, is not part of it); `...  # prints: text`
prints `text`; a bare `print(...)` is followed by comment lines holding its output.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from autodiff import ops

README = Path(__file__).resolve().parents[1] / "README.md"


def sections() -> dict[str, list[str]]:
    text = README.read_text(encoding="utf-8")
    found = {}
    for block in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        title = block.splitlines()[0].strip()
        code = re.findall(r"^```python\n(.*?)^```", block, flags=re.MULTILINE | re.DOTALL)
        if code:
            found[title] = code
    return found


def expected_output(code: str) -> list[str]:
    lines = code.splitlines()
    out: list[str] = []
    for k, line in enumerate(lines):
        statement, _, comment = line.partition("  # ")
        if comment.startswith("prints: "):
            out.append(comment.removeprefix("prints: "))
        elif statement.strip().startswith("print("):
            if comment:
                out.append(re.split(r"\s{2,}\(", comment, maxsplit=1)[0].rstrip())
            else:
                for following in lines[k + 1 :]:
                    if not following.startswith("# "):
                        break
                    out.append(following.removeprefix("# "))
    return out


SECTIONS = sections()


def test_the_readme_has_snippets_in_every_part():
    assert {"A tour of the API", "Learning: layers, loops, tables", "Pictures of the δ flow (viz)"} <= set(
        SECTIONS
    )
    assert sum(len(codes) for codes in SECTIONS.values()) >= 14


@pytest.mark.parametrize("title", list(SECTIONS))
def test_section_snippets_print_what_their_comments_say(title, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # snippets may write pictures to out/
    if "viz" in title and not _has_dot():
        pytest.skip("Graphviz's dot is not installed")
    namespace: dict = {"__name__": "readme_snippet"}
    before = set(ops.PRIMITIVES)
    try:
        for i, code in enumerate(SECTIONS[title]):
            # The two-moons loop trains for 100 steps; two show that it runs.
            code = code.replace("range(100)", "range(2)")
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(code, f"README.md ({title}, snippet {i})", "exec"), namespace)
            assert printed.getvalue().splitlines() == expected_output(code), f"snippet {i}"
    finally:
        # Snippets register primitives such as "softplus"; primitive names are global.
        for name in set(ops.PRIMITIVES) - before:
            del ops.PRIMITIVES[name]


def _has_dot() -> bool:
    import shutil

    return shutil.which("dot") is not None


LEARNING = "Learning: layers, loops, tables"


@pytest.mark.parametrize("index", range(len(SECTIONS[LEARNING])))
def test_each_learning_snippet_runs_on_its_own(index, tmp_path, monkeypatch):
    # A reader may paste any one of them: none may lean on names an earlier snippet defined.
    monkeypatch.chdir(tmp_path)
    code = SECTIONS[LEARNING][index].replace("range(100)", "range(1)")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, f"README.md ({LEARNING}, snippet {index} alone)", "exec"), {"__name__": "alone"})
    assert printed.getvalue().splitlines() == expected_output(code)


def test_the_article_tables_shown_are_what_article_tables_returns():
    from autodiff.articles import gradient_descent as article
    from autodiff.articles.tables import article_tables
    from autodiff.learn.nn import HalfSquaredError

    text = README.read_text(encoding="utf-8")
    section = text[text.index(f"## {LEARNING}") :]
    call = "`tables.article_tables(article.model(), HalfSquaredError(), article.PATIENTS)` returns"
    assert call in section  # a str, which the reader prints
    after = section[section.index(call) :]
    shown = re.search(r"^\|.*?(?=\n\n(?!\|))", after, flags=re.MULTILINE | re.DOTALL).group(0)
    assert shown == article_tables(article.model(), HalfSquaredError(), article.PATIENTS)

"""The docs site: every Python snippet of docs/**/*.md runs and prints what its comments say, and
`mkdocs build --strict` builds the site without a warning (tests/test_readme.py uses the same
snippet rules for README.md).

Snippets of one page run in order in one namespace, as a reader would paste them. Expected output
is read from the snippet itself: `print(...)  # text` prints `text` (an aside after two spaces and
a parenthesis, `# 3/4  (the slope)`, is not part of it); `...  # prints: text` prints `text`; a bare
`print(...)` is followed by comment lines holding its output (a bare `#` for an empty line).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autodiff import ops

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))


def snippets(text: str) -> list[str]:
    """The ```python blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def expected_output(code: str) -> list[str]:
    """The lines a snippet says it prints, read from its comments."""
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
                    if following == "#":  # an empty line of output (formatters strip "# ")
                        out.append("")
                        continue
                    if not following.startswith("# "):
                        break
                    out.append(following.removeprefix("# "))
    return out


def run_snippets(codes: list[str], where: str) -> None:
    """Run `codes` in one namespace; each must print exactly what its comments say."""
    namespace: dict = {"__name__": "docs_snippet"}
    before = set(ops.PRIMITIVES)
    try:
        for i, code in enumerate(codes):
            # The two-moons loop trains for 100 steps; two show that it runs.
            code = code.replace("range(100)", "range(2)")
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(code, f"{where}, snippet {i}", "exec"), namespace)
            assert printed.getvalue().splitlines() == expected_output(code), f"{where}, snippet {i}"
    finally:
        # Snippets register primitives such as "my_softplus"; primitive names are global.
        for name in set(ops.PRIMITIVES) - before:
            del ops.PRIMITIVES[name]


def has_dot() -> bool:
    return shutil.which("dot") is not None


def test_the_docs_have_the_pages_the_issue_asks_for():
    names = {page.relative_to(DOCS).as_posix() for page in PAGES}
    assert {
        "index.md",
        "tutorial.md",
        "design.md",
        "guides/exact-numbers.md",
        "guides/gradients.md",
        "guides/learning.md",
        "guides/viz.md",
        "guides/higher-order.md",
        "guides/tape.md",
        "guides/custom-primitives.md",
        "guides/performance.md",
        "reference/core.md",
        "reference/tools.md",
        "reference/learn.md",
        "reference/articles.md",
        "reference/viz.md",
    } <= names
    assert sum(len(snippets(page.read_text(encoding="utf-8"))) for page in PAGES) >= 25


PAGES_WITH_CODE = [p.relative_to(DOCS).as_posix() for p in PAGES if snippets(p.read_text("utf-8"))]


@pytest.mark.parametrize("page", PAGES_WITH_CODE)
def test_page_snippets_print_what_their_comments_say(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # snippets may write pictures to out/
    codes = snippets((DOCS / page).read_text(encoding="utf-8"))
    if any("viz." in code for code in codes) and not has_dot():
        pytest.skip("Graphviz's dot is not installed")
    run_snippets(codes, f"docs/{page}")


def test_every_snippet_says_what_it_prints():
    # A snippet that prints nothing checks nothing: every page's snippets print and are compared.
    for page in PAGES:
        for i, code in enumerate(snippets(page.read_text(encoding="utf-8"))):
            assert expected_output(code), f"docs/{page.relative_to(DOCS)} snippet {i} states no output"


def test_the_site_builds_strictly(tmp_path):
    """`mkdocs build --strict`: no broken link, no missing page, no docstring mkdocstrings cannot read."""
    try:
        import mkdocs  # noqa: F401
        import mkdocstrings  # noqa: F401
    except ImportError as missing:
        if os.environ.get("CI"):
            raise AssertionError("CI must install the docs extra: pip install -e '.[docs]'") from missing
        pytest.skip(f"the docs extra is not installed ({missing.name}): pip install -e '.[docs]'")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert (tmp_path / "site" / "reference" / "core" / "index.html").exists()
    api = (tmp_path / "site" / "reference" / "core" / "index.html").read_text(encoding="utf-8")
    assert "Value" in api and "backward" in api  # the reference is made from the docstrings
    # Offline: no page asks a font server for web fonts (the theme's `font: false`).
    for page in (tmp_path / "site").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html, page
    assert '<link rel="canonical" href="http://127.0.0.1:8000/' in (
        tmp_path / "site" / "index.html"
    ).read_text(encoding="utf-8")  # site_url is set (the address `bash run.sh docs` serves it at)


def test_every_docs_link_in_the_readme_points_to_a_page():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(((?:docs|examples)/[^)#]+)", text)
    assert len(links) >= 15
    for link in links:
        assert (ROOT / link).exists(), link


def test_every_install_hint_works_from_a_checkout():
    # `autodiff` and `viz` on the package index are other projects: a hint naming them installs the
    # wrong thing. Hints install this checkout (pip install -e '.[extra]').
    wrong = re.compile(r"pip install ['\"]?(autodiff|viz)\b|['\"](autodiff|viz)\[")
    checked = 0
    for path in [ROOT / "README.md", ROOT / "run.sh", *ROOT.glob("docs/**/*.md")] + [
        p for folder in ("autodiff", "viz", "examples", "benchmarks") for p in (ROOT / folder).rglob("*.py")
    ]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not wrong.search(line), f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        checked += 1
    assert checked > 30


def test_the_article_tables_shown_are_what_article_tables_returns():
    from autodiff.articles import gradient_descent as article
    from autodiff.articles.tables import article_tables
    from autodiff.learn.nn import HalfSquaredError

    text = (DOCS / "guides" / "learning.md").read_text(encoding="utf-8")
    call = "`tables.article_tables(article.model(), HalfSquaredError(), article.PATIENTS)` returns"
    assert call in text  # a str, which the reader prints
    after = text[text.index(call) :]
    shown = re.search(r"^\|.*?(?=\n\n(?!\|))", after, flags=re.MULTILINE | re.DOTALL).group(0)
    assert shown == article_tables(article.model(), HalfSquaredError(), article.PATIENTS)


def test_the_viz_guide_shows_every_gallery_picture():
    text = (DOCS / "guides" / "viz.md").read_text(encoding="utf-8")
    pictures = sorted(p.name for p in (DOCS / "gallery").glob("*.svg"))
    assert len(pictures) >= 7
    for name in pictures:
        assert f"](../gallery/{name})" in text, name


def test_the_api_reference_covers_every_public_name():
    # mkdocstrings renders a module's public members: each name in a package's __all__ must come
    # from a module that a reference page renders (or be a module itself).
    import importlib

    rendered = set()
    for page in (DOCS / "reference").glob("*.md"):
        rendered |= set(re.findall(r"^::: ([\w.]+)", page.read_text(encoding="utf-8"), flags=re.M))
    for package in ("autodiff", "autodiff.learn", "viz"):
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            home = getattr(obj, "__module__", None) or getattr(obj, "__name__", None)
            if home == "builtins" or not isinstance(home, str):
                continue  # constants such as DEFAULT_BUDGET: their module is checked through the others
            assert home in rendered, f"{package}.{name} lives in {home}, which no reference page renders"

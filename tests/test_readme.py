"""README.md: short, plain at the start, and every Python snippet prints what its comments say.

The snippet rules (how expected output is read from comments) are those of tests/test_docs.py.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from test_docs import expected_output, has_dot, run_snippets, snippets

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")


def test_the_readme_fits_in_200_lines():
    assert len(TEXT.splitlines()) <= 200


def test_the_first_paragraph_speaks_plainly():
    first = TEXT.split("\n\n")[1]
    jargon_words = ("δ", "gradient", "reverse-mode", "backprop", "broccoli", "Tagada", "learning flow")
    for jargon in jargon_words:
        assert jargon not in first, jargon


def test_the_readme_gives_the_two_commands_the_example_and_the_license():
    assert "bash run.sh demo" in TEXT and "bash run.sh test" in TEXT
    assert "docs/gallery/patient3.svg" in TEXT and (ROOT / "docs/gallery/patient3.svg").exists()
    assert "The Gradient Descent Algorithm" in TEXT  # the article series it follows
    assert "[`LICENSE`](LICENSE)" in TEXT
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License") and "the autodiff authors" in license_text


def test_the_readme_example_is_about_ten_lines():
    (example,) = [code for code in snippets(TEXT) if "loss.backward()" in code]
    lines = example.splitlines()
    statements = [line for line in lines if line.strip() and not line.startswith(("from", "import"))]
    assert len(statements) <= 12


def test_every_install_hint_names_this_project_not_the_unrelated_autodiff():
    # On the package index, `autodiff` and `viz` are other projects: hints install from a checkout.
    assert not re.search(r"pip install ['\"]?(autodiff|viz)\b", TEXT)
    assert 'name = "exact-autodiff"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_the_readme_snippets_print_what_their_comments_say(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    codes = snippets(TEXT)
    assert codes and all(expected_output(code) for code in codes)
    if any("viz." in code for code in codes) and not has_dot():
        pytest.skip("Graphviz's dot is not installed")
    run_snippets(codes, "README.md")


def test_the_readme_links_the_step_through_page_with_its_screenshot():
    # out/ is git-ignored: the page exists once `bash run.sh demo` has run, and the README says so.
    assert "`out/patient3.html`, written by `bash run.sh demo`" in TEXT
    # The screenshot links to a page that exists in the repository (out/ is not in it).
    assert "[![" in TEXT and "(docs/step-through.png)](docs/guides/step-through.md)" in TEXT
    assert (ROOT / "docs/step-through.png").exists() and (ROOT / "docs/guides/step-through.md").exists()
    run_sh = (ROOT / "run.sh").read_text(encoding="utf-8")
    assert "--patient 3 --format html -o out" in run_sh  # what writes out/patient3.html


def test_run_sh_docs_serves_the_site_without_the_suite():
    # `bash run.sh docs` installs the docs extra and runs `mkdocs serve`, not pytest.
    run_sh = (ROOT / "run.sh").read_text(encoding="utf-8")
    job = re.search(r'^  docs\) ("\$venv.*)$', run_sh, flags=re.M)
    assert job is not None and "mkdocs serve" in job.group(1) and "pytest" not in job.group(1)
    assert re.search(r'^  docs\) extras="[^"]*\bdocs\b', run_sh, flags=re.M)
    assert "bash run.sh docs" in TEXT
    assert subprocess.run(["bash", "-n", str(ROOT / "run.sh")]).returncode == 0  # it parses
    usage = subprocess.run(["bash", str(ROOT / "run.sh"), "nope"], capture_output=True, text=True)
    assert usage.returncode == 2 and "| docs" in usage.stderr


def test_the_readme_says_which_tests_need_the_reference_engines():
    assert "tests/test_torch_compare.py" in TEXT and "CI=1 bash run.sh test" in TEXT
    assert "https://jfreboud.github.io/" in TEXT and "Understanding the learning flow" in TEXT

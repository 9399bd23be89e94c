"""The README's "Beyond first derivatives" snippets run and print what their comments say.

Expected output is read from the snippet itself: `print(...)  # text` prints `text`;
`...  # prints: text` prints `text`; a bare `print(...)` line is followed by comment lines
holding its (multi-line) output.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from autodiff import ops

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Beyond first derivatives"


def snippets() -> list[str]:
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, f"README.md has no {SECTION!r} section"
    section = text.split(SECTION, 1)[1]
    section = re.split(r"^## ", section, flags=re.MULTILINE)[0]  # up to the next top-level section
    return re.findall(r"^```python\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)


def expected_output(code: str) -> list[str]:
    lines = code.splitlines()
    out: list[str] = []
    for k, line in enumerate(lines):
        statement, _, comment = line.partition("  # ")
        if comment.startswith("prints: "):
            out.append(comment.removeprefix("prints: "))
        elif statement.strip().startswith("print("):
            if comment:
                out.append(comment)
            else:
                for following in lines[k + 1 :]:
                    if not following.startswith("# "):
                        break
                    out.append(following.removeprefix("# "))
    return out


SNIPPETS = snippets()


def test_the_section_has_snippets():
    assert len(SNIPPETS) >= 8


@pytest.mark.parametrize("code", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_snippet_prints_what_its_comments_say(code):
    expected = expected_output(code)
    assert expected, "a snippet should show at least one result"
    before = set(ops.PRIMITIVES)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(code, "README.md", "exec"), {"__name__": "readme_snippet"})
    finally:
        # Snippets register primitives such as "softplus"; primitive names are global.
        for name in set(ops.PRIMITIVES) - before:
            del ops.PRIMITIVES[name]
    assert printed.getvalue().splitlines() == expected

"""The one page shell: every HTML page viz writes is `page(title, body, data, css, js)`.

The step page and the epoch page (and the pages to come: a quiz, a worksheet, training) are each
one body and one piece of JSON data. The shell makes the page self-contained (style and script
inline: it opens from file:// with no network) and escapes the data once, so that `</` inside the
JSON cannot end its script element early.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path
from typing import Any


def static(name: str) -> str:
    """The text of `viz/static/<name>` (a page's style or script)."""
    return resources.files("viz").joinpath("static", name).read_text(encoding="utf-8")


def save(html_text: str, path: str | Path) -> Path:
    """Write a page to `path` (an .html file; folders are made) and return the path."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"the page is HTML: end the file name with .html, got {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_text, encoding="utf-8")
    return path


def page(title: str, body: str, data: Any, css: str = "", js: str = "", *, data_id: str = "ad-data") -> str:
    """A whole page: `body` in `<main>`, `data` as JSON in `<script id=data_id>`, `css` and `js` inline.

    `title` is plain text (escaped here); `body` is HTML, already escaped by its maker.
    """
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return _SHELL.format(title=html.escape(title), body=body, data_id=data_id, data=payload, css=css, js=js)


_SHELL = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{css}</style>
</head>
<body>
<main>
{body}
</main>
<script type="application/json" id="{data_id}">{data}</script>
<script>
{js}</script>
</body>
</html>
"""

"""examples/article.ipynb: committed without outputs, and it runs, showing the article's epoch."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "article.ipynb"


def test_the_notebook_is_committed_without_outputs():
    # Outputs hold SVGs that name the Graphviz version: they would change on every machine.
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert len(code) >= 3
    for cell in code:
        assert cell["outputs"] == [] and cell["execution_count"] is None, "".join(cell["source"])[:60]
    assert all(cell["metadata"] == {} for cell in notebook["cells"])


def _executed() -> dict:
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError as missing:
        if os.environ.get("CI"):
            raise AssertionError("CI must install the extra: pip install -e '.[notebook]'") from missing
        pytest.skip(f"the notebook extra is not installed ({missing.name}): pip install -e '.[notebook]'")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed: the notebook's pictures need it")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    where = {"metadata": {"path": str(NOTEBOOK.parent)}}
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources=where).execute()
    return notebook


def test_the_notebook_runs_the_epoch_with_its_pictures():
    notebook = _executed()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "patient 3: o3 = 0, loss = 1/2" in text
    assert "δ4 = -1  δ3 = -1" in text  # relu′(0) = 1 lets the δ through
    assert "δw2 = 0 -2000 -3000" in text
    assert "w2 = 1/200 -17/290000 137/290000" in text
    assert "x = (0, 2000, 3000): o3 = 13/10, loss = 9/200" in text
    pictures = [o for o in outputs if o.output_type == "display_data" and "image/svg+xml" in o.data]
    assert len(pictures) == 3  # one δ flow per patient, inline
    assert "Patient 3" in pictures[2].data["image/svg+xml"]
    assert "ŵ2_3 = w2_3 − α·δw2_3" in pictures[2].data["image/svg+xml"]  # drawn with lr=
    # The step-through: 17 δ steps then 3 updates, shown inline as a page (an iframe).
    assert "20 steps; the last δ: δ1_3 = δ2_3 · 1 = (−1/5800) · 1 = −1/5800" in text
    pages = [o for o in outputs if o.output_type == "execute_result" and "text/html" in o.data]
    assert len(pages) == 1 and pages[0].data["text/html"].startswith("<iframe srcdoc=")
    assert "Next" in pages[0].data["text/html"]
    # Three mistakes checked, each named by its recomputed hint.
    assert "first wrong: δ3" in text and "relu_at_zero (δ3): relu′(0) = 1" in text
    assert "carried (δw2_2, δw2_3)" in text
    assert "factor (δ4)" in text and "learning_rate (δw2_3)" in text

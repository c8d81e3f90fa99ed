"""The tutorial's notebook, executed headless with a real kernel (nbclient): every cell
runs, and its outputs hold the scores (SVG) and the players (audio) it promises."""

from __future__ import annotations

import nbformat
import pytest
from helpers import ROOT
from nbclient import NotebookClient

NOTEBOOK = ROOT / "notebooks" / "nabiya.ipynb"


@pytest.mark.slow
def test_the_notebook_runs_and_shows_scores_and_players(monkeypatch):
    monkeypatch.setenv("NABI_EPOCHS", "30")  # the kernel inherits it: a short training
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": NOTEBOOK.parent}},
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    pages = [o.data["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    # the melody, four predictions of two scores each, and the composed melody
    figures = sum(page.count("<figure") for page in pages)
    assert figures == 1 + 4 * 2 + 1, figures
    for page in pages:
        assert page.count("<svg") >= page.count("<figure")
        assert page.count("<audio controls") == page.count("<figure")
        assert "data:audio/mpeg;base64," in page
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "<Melody '나비야': 54 notes, C major, 2/4: g8 e8 e4" in text
    assert text.count("<Bundle ") == 4 and "<Composition by stateful-lstm: 1 melody" in text

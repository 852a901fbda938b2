"""The notebooks are stored without outputs and run from top to bottom without error."""

from __future__ import annotations

import json

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_expected_notebooks_exist():
    names = [p.name for p in NOTEBOOKS]
    assert names == [
        "01-quickstart.ipynb",
        "02-pivotal-trials-reanalysis.ipynb",
        "03-reported-vs-recomputed.ipynb",
        "04-composite-responders.ipynb",
        "05-what-it-means.ipynb",
        "06-interval-coverage.ipynb",
        "07-trial-planning.ipynb",
        "08-network.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    nb = json.loads(path.read_text("utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert not errors
    # every cell that draws a plot shows it: an image/png output (the figures carry their own _repr_png_, so
    # this holds without pyplot and whatever the backend)
    drawn = [c for c in nb.cells if c.cell_type == "code" and "plot_" in c.source]
    for cell in drawn:
        pngs = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        assert pngs, f"{path.name}: no figure shown for {cell.source!r}"

"""The example notebooks run end to end (with few epochs), as users run them, through a Jupyter kernel."""

import sys
from pathlib import Path

import pytest

from conftest import REPO

NOTEBOOKS = sorted((REPO / "examples").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, tmp_path, monkeypatch, request):
    if "deploy" in path.stem:
        board = request.getfixturevalue("loopback_board")
        for name, value in {"EDGEACCEL_BOARD": "linux-generic", "EDGEACCEL_BOARD_HOST": "127.0.0.1",
                            "EDGEACCEL_BOARD_PORT": str(board.port), "EDGEACCEL_BOARD_USER": board.user,
                            "EDGEACCEL_BOARD_KEY": str(board.key), "EDGEACCEL_KNOWN_HOSTS": str(board.known_hosts),
                            "EDGEACCEL_REMOTE_PYTHON": sys.executable,
                            "EDGEACCEL_BOARD_WORKDIR": str(tmp_path / "board")}.items():
            monkeypatch.setenv(name, value)
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), "stored with outputs"
    monkeypatch.setenv("EDGEACCEL_NOTEBOOK_EPOCHS", "5")
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    NotebookClient(notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [output for cell in notebook.cells for output in cell.get("outputs", []) if output.output_type == "error"]
    assert not errors

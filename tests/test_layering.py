"""The import layering of DESIGN.md (stages import only the layers below them, sibling stages never
each other, shared records no stage), enforced by import-linter's contracts in pyproject.toml."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True,
                          env=os.environ | {"PYTHONPATH": str(root)})


def test_the_package_keeps_its_layering_contracts():
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 kept, 0 broken" in result.stdout


def test_a_stage_importing_a_sibling_breaks_the_contract(tmp_path):
    shutil.copytree(REPO / "edgeaccel", tmp_path / "edgeaccel", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    convert = tmp_path / "edgeaccel" / "convert" / "__init__.py"
    convert.write_text(convert.read_text() + "\nfrom edgeaccel.sim.csim_build import csim_library  # a cycle in the making\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1
    assert "edgeaccel.convert -> edgeaccel.sim.csim_build" in result.stdout
    assert "1 kept, 1 broken" in result.stdout

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import edgeaccel  # noqa: F401  (sets TF_USE_LEGACY_KERAS before anything imports TensorFlow)

# The csim library cache of this test session (CLI subprocesses inherit it), not the user's.
os.environ["EDGEACCEL_CACHE"] = os.environ.get("EDGEACCEL_TEST_CACHE") or tempfile.mkdtemp(prefix="edgeaccel-test-cache-")

from deploy.loopback import loopback_board  # noqa: E402,F401  (a real sshd on 127.0.0.1: the board deploy tests reach)

REPO = Path(__file__).resolve().parent.parent
EDGEACCEL = [sys.executable, "-m", "edgeaccel.cli"]


def run_cli(*args, cwd=REPO, check=False) -> subprocess.CompletedProcess:
    result = subprocess.run([*EDGEACCEL, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                            env=os.environ | {"PYTHONPATH": str(REPO)})
    if check and result.returncode != 0:
        raise AssertionError(f"edgeaccel {' '.join(map(str, args))} failed:\n{result.stderr}")
    return result


def error_line(result: subprocess.CompletedProcess) -> str:
    """The CLI's one-line error; the test fails if there is a traceback or more than one line."""
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("edgeaccel: error: "), lines[0]
    return lines[0]


def write_project(path: Path, **sections) -> Path:
    import yaml

    base = {
        "name": path.stem,
        "data": {"source": "sklearn:digits", "seed": 0},
        "model": {"builtin": "mlp", "hidden": [32]},
        "training": {"epochs": 3, "float_baseline": False},
    }
    path.write_text(yaml.safe_dump(base | sections))
    return path


@pytest.fixture(scope="session")
def digits_build(tmp_path_factory) -> Path:
    """`edgeaccel run examples/digits.yaml`, exactly as a user runs it (through the CLI)."""
    out = tmp_path_factory.mktemp("build") / "digits"
    run_cli("run", REPO / "examples" / "digits.yaml", "--out", out, "--quiet", check=True)
    return out


@pytest.fixture(scope="session")
def grid_inputs():
    """Digits samples scaled to [0, 1]: on the 8-bit unsigned input grid (multiples of 1/16)."""
    from sklearn.datasets import load_digits

    x = load_digits().images.astype(np.float32)[..., np.newaxis] / 16.0
    return np.minimum(x, 255 / 256)


@pytest.fixture(scope="session")
def digits_tflm(digits_build) -> Path:
    """The digits model converted for TFLite Micro on the Nano 33 BLE, through the CLI."""
    out = digits_build.parent / "digits-tflm"
    run_cli("convert", digits_build / "model.h5", "--target", "tflm", "--board", "nano33ble", "-o", out, "--quiet", check=True)
    return out

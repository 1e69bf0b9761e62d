"""hls4ml's generated C++ testbench (myproject_test.cpp with tb_data/) as a standalone executable.

This is the C simulation `make csim` and CI run: g++ builds it through
hls_templates/testbench/edgeaccel_testbench.mk, it runs on the golden inputs in tb_data/, and its
outputs are compared with the QKeras reference outputs stored beside them. The testbench prints
6 significant digits, so "matches" means equal to within one unit of the sixth digit; the csim
library (`--backend csim`) is the bit-exact comparison.
"""

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from edgeaccel.artifact import read_artifact
from edgeaccel.details import HlsDetails
from edgeaccel.errors import ModelError
from edgeaccel.tools import run_tool


_AXI_RECORD = re.compile(r"data:\s*([-+0-9.eE]+)")


@dataclass(frozen=True)
class TestbenchResult:
    samples: int
    matches_reference: float
    argmax_agreement: float
    max_abs_diff: float
    outputs: np.ndarray

    def summary(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "outputs"}


def run_testbench(artifact_dir: Path | str) -> TestbenchResult:
    artifact = read_artifact(artifact_dir, HlsDetails)
    project = Path(artifact_dir) / artifact.details.project_dir
    reference_path = project / "tb_data" / "tb_output_predictions.dat"
    if not reference_path.is_file():
        raise ModelError(f"{project}: expected golden data in tb_data/ (convert with calibration data), received none")
    run_tool(["make", "--no-print-directory", "-f", "edgeaccel_testbench.mk", "run"], cwd=project)
    reference = np.loadtxt(reference_path, ndmin=2)
    outputs = read_results(project / "tb_data" / "csim_results.log", reference.shape[1])
    if outputs.shape != reference.shape:
        raise ModelError(f"testbench: expected outputs of shape {reference.shape}, received {outputs.shape}")
    return TestbenchResult(
        samples=len(outputs),
        matches_reference=float(np.mean(np.all(equal_to_printed_digits(outputs, reference), axis=1))),
        argmax_agreement=float(np.mean(outputs.argmax(1) == reference.argmax(1))),
        max_abs_diff=float(np.abs(outputs - reference).max()),
        outputs=outputs,
    )


def read_results(path: Path, outputs_per_sample: int) -> np.ndarray:
    """csim_results.log: plain numbers, or `{ data: v, last: l }` records from accelerator testbenches."""
    text = path.read_text()
    values = _AXI_RECORD.findall(text) if "data:" in text else text.split()
    numbers = np.asarray([float(v) for v in values], dtype=np.float64)
    if numbers.size % outputs_per_sample:
        raise ModelError(f"{path}: expected a multiple of {outputs_per_sample} values, received {numbers.size}")
    return numbers.reshape(-1, outputs_per_sample)


def equal_to_printed_digits(printed: np.ndarray, exact: np.ndarray, digits: int = 6) -> np.ndarray:
    """True where `printed` (shown with `digits` significant digits) is `exact` to within one unit of the last digit."""
    magnitude = np.floor(np.log10(np.maximum(np.abs(exact), 1e-30)))
    unit = 10.0 ** (magnitude - (digits - 1))
    return np.abs(printed - exact) <= unit

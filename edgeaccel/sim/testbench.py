"""hls4ml's generated C++ testbench (myproject_test.cpp with tb_data/) as a standalone executable.

This is the C simulation `make csim` and CI run: g++ builds it through
hls_templates/testbench/edgeaccel_testbench.mk, it runs on the golden inputs in tb_data/ (on the
input grid), and its outputs are compared with the fixed-point reference's outputs stored beside
them. The testbench prints 6 significant digits, so "matches" means equal to within one unit of the
sixth digit; the csim library (`--backend csim`) is the bit-exact comparison. A final softmax is a
lookup table in hardware: its outputs are compared by argmax, which must agree on ARGMAX_THRESHOLD
of the samples.
"""

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from edgeaccel.artifact import read_artifact
from edgeaccel.details import HlsDetails
from edgeaccel.errors import ModelError
from edgeaccel.sim.fidelity import ARGMAX_THRESHOLD
from edgeaccel.tools import run_tool

_AXI_RECORD = re.compile(r"data:\s*([-+0-9.eE]+)")


@dataclass(frozen=True)
class TestbenchResult:
    samples: int
    compared: str
    matches_reference: float
    argmax_agreement: float
    max_abs_diff: float
    ok: bool
    verdict: str
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
    return compare(outputs, reference, artifact.details.softmax_layer, artifact.details.output_layer)


def compare(outputs: np.ndarray, reference: np.ndarray, softmax_layer: str | None, output_layer: str) -> TestbenchResult:
    """The testbench's printed outputs against the reference's, with a one-line verdict."""
    matching = np.all(equal_to_printed_digits(outputs, reference), axis=1)
    agreement = float(np.mean(outputs.argmax(1) == reference.argmax(1)))
    difference = float(np.abs(outputs - reference).max())
    n = len(outputs)
    if softmax_layer:
        compared = f"the softmax outputs ('{softmax_layer}') by argmax (a lookup table in hardware)"
        ok = agreement >= ARGMAX_THRESHOLD
        verdict = (f"testbench: {n} samples, {compared}: argmax agreement {agreement:.4f} (required >= {ARGMAX_THRESHOLD}); "
                   f"the probabilities differ from QKeras's float32 softmax by up to {difference:.3g}")
    else:
        compared = f"the outputs ('{output_layer}') to the 6 digits the testbench prints"
        ok = bool(matching.all())
        verdict = f"testbench: {n} samples, {compared}: equal on {int(matching.sum())} of {n}"
        if not ok:
            first = int(np.flatnonzero(~matching)[0])
            verdict += (f"; they differ by up to {difference:.3g} (sample {first}: {outputs[first][:4].tolist()} against "
                        f"{reference[first][:4].tolist()}): run `edgeaccel sim --backend csim` for the first diverging layer")
    return TestbenchResult(n, compared, float(matching.mean()), agreement, difference, ok, verdict, outputs)


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

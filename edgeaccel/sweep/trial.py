"""One sweep trial: QAT, export, the fidelity check and the estimate for one configuration, as
`edgeaccel run` does them on the trial's project file, inside the CPU budget the trial was given.

A trial's directory (`<sweep>/trials/<trial>/`) holds its project.yaml, its build directory (`build/`,
what `edgeaccel run project.yaml` writes) and row.json, the row it adds to the sweep. A trial whose
row.json says it finished with the same parameters is not run again.
"""

import contextlib
import fcntl
import json
import logging
import os
import resource
import shutil
import socket
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import yaml

from edgeaccel.errors import EdgeAccelError
from edgeaccel.staging import write_text_atomically

log = logging.getLogger(__name__)

ROW_FILE = "row.json"
LOCK_FILE = ".lock"
PROJECT_FILE = "project.yaml"
BUILD_DIR = "build"
TRIALS_DIR = "trials"


@dataclass(frozen=True)
class SweepContext:
    """What every trial of a sweep shares: the project file, the sweep directory, the cores per trial."""

    project_path: str
    directory: str
    cpus_per_trial: int


class TrialFailed(EdgeAccelError):
    """A trial that did not produce a row; its message is the trial's one-line error."""

    def __init__(self, message: str, exit_code: int, trial: str):
        super().__init__(message)
        self.exit_code, self.trial = exit_code, trial

    def __reduce__(self):
        return (TrialFailed, (str(self), self.exit_code, self.trial))


def run_trial(context: SweepContext, parameters: dict, default: bool = False) -> dict:
    """Run one configuration and return its row; raise TrialFailed (after writing row.json) when it fails."""
    from edgeaccel.sweep.space import SweepProject, effective_parameters, trial_name

    project = SweepProject(context.project_path)
    try:
        parameters = effective_parameters(parameters, project)
        name = trial_name(project, parameters)
    except EdgeAccelError as e:
        raise TrialFailed(str(e), e.exit_code, "(unnamed: its project is refused)") from e
    directory = Path(context.directory) / TRIALS_DIR / name
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory):  # Optuna may suggest a configuration twice: the second waits, then reads the first's row
        finished = _finished_row(directory)
        if finished is not None:
            log.info("sweep: trial %s finished earlier; not run again", name)
            return finished | {"default": default, "parameters": parameters}
        for stale in directory.glob(f".{BUILD_DIR}.partial-*"):  # left by a trial killed mid-build
            shutil.rmtree(stale, ignore_errors=True)
        row = _run(context, project, parameters, name, directory, default)
    if row["status"] != "ok":
        raise TrialFailed(row["error"], row["exit_code"], name)
    return row


def _run(context: SweepContext, project, parameters: dict, name: str, directory: Path, default: bool) -> dict:
    from edgeaccel.cpus import limit_cpus
    from edgeaccel.sweep.space import trial_project, trial_target

    threads = limit_cpus(context.cpus_per_trial)
    row = {"trial": name, "default": default, "parameters": parameters, "node": socket.gethostname(), "pid": os.getpid(),
           "directory": str(directory), "threads": threads}
    started, usage = time.perf_counter(), _cpu_seconds()
    try:
        from edgeaccel.pipeline import run_project

        target = trial_target(parameters)
        write_text_atomically(directory / PROJECT_FILE, yaml.safe_dump(trial_project(project, parameters, name), sort_keys=False))
        metrics = run_project(directory / PROJECT_FILE, directory / BUILD_DIR, progress=False).metrics
        row |= {"status": "ok", "target": target} | trial_measurements(metrics, target)
    except Exception as e:  # a failing trial is recorded, not fatal to the sweep
        exit_code = e.exit_code if isinstance(e, EdgeAccelError) else 70
        message = str(e) if isinstance(e, EdgeAccelError) else f"internal error: {type(e).__name__}: {e}"
        if not isinstance(e, EdgeAccelError):
            log.debug("sweep: trial %s:\n%s", name, traceback.format_exc())
        row |= {"status": "failed", "error": message.splitlines()[0] if message else type(e).__name__, "exit_code": exit_code}
    row |= {"seconds": round(time.perf_counter() - started, 2), "cpu_seconds": round(_cpu_seconds() - usage, 2)}
    write_text_atomically(directory / ROW_FILE, json.dumps(row, indent=2) + "\n")
    return row


@contextlib.contextmanager
def _locked(directory: Path):
    with open(directory / LOCK_FILE, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def trial_measurements(metrics: dict, target: str) -> dict:
    """A trial's measured figures from its metrics.json: accuracy on the simulated hardware, agreement
    and fidelity, and the estimate (FPGA resources and latency, or MCU flash, RAM and arena). A pure analysis."""
    backend = metrics["backends"][target]
    sparsity = metrics.get("weight_sparsity", {}).get("total", {})
    row = {"accuracy": backend["accuracy"], "qkeras_accuracy": metrics["backends"]["qkeras"]["accuracy"],
           "agreement": backend["argmax_agreement"], "zero_weights": sparsity.get("sparsity")}
    if target == "hls":
        fidelity = metrics["fidelity"]["csim"]
        estimate = metrics["estimates"]["hls"]
        row |= {"fidelity": "csim logits against QKeras", "fidelity_exact": fidelity["bit_exact_fraction"],
                "fidelity_samples": fidelity["samples"],
                "multipliers": sum(layer["multipliers"] for layer in estimate["layers"]),
                "latency_cycles": estimate["latency_cycles"], "ii_cycles": estimate["ii_cycles"],
                "latency_us": estimate["latency_us"]}
        for resource_name in ("lut", "ff", "dsp", "bram18"):
            usage = estimate["resources"][resource_name]
            row[resource_name], row[f"{resource_name}_percent"] = usage["used"], usage["percent"]
    else:
        fidelity = metrics["fidelity"]["tflm"]
        estimate = metrics["mcu_estimates"]["tflm"]
        row |= {"fidelity": f"TFLite Micro outputs against {fidelity['reference']}", "fidelity_exact": fidelity["exact_fraction"],
                "fidelity_samples": fidelity["samples"], "arena_bytes": estimate["ram"]["parts"]["tensor_arena"],
                "sparse_weights": "TFLite Micro stores and multiplies zero weights like any other: no flash or time saved"}
        for kind in ("flash", "ram"):
            row[f"{kind}_bytes"], row[f"{kind}_percent"] = estimate[kind]["used"], estimate[kind]["percent"]
    row["fits"], row["verdict"] = estimate["fits"], estimate["verdict"].split(":")[0]
    return row


def _finished_row(directory: Path) -> dict | None:
    """The row of a trial that finished in `directory` (named after its configuration), if any."""
    try:
        row = json.loads((directory / ROW_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return row if row.get("status") == "ok" else None


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

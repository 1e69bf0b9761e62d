"""The design-space sweep: trials per minute with one and with two concurrent trials (workers) on the
local Ray, and a grid for the PYNQ-Z2 on digits, whose Pareto front is measured against the
project's own configuration."""

import os
from pathlib import Path

import yaml

from bench.e2e import REPO

SCALING_PROJECT = {
    "name": "scaling",
    "data": {"source": "sklearn:digits", "seed": 0},
    "model": {"builtin": "mlp", "hidden": [32]},
    "quantization": {"activation_integer": 2},
    "training": {"epochs": 5, "float_baseline": False},
    "targets": {"hls": {"board": "pynq-z2", "reuse_factor": 4}},
}


def run(project: Path, space: Path, out: Path, max_concurrent: int | None = None) -> dict:
    """One sweep on a fresh local Ray, with a csim cache of its own (no run reuses another's builds)."""
    from edgeaccel.sweep import SweepRequest, run_sweep

    saved = os.environ.get("EDGEACCEL_CACHE")
    os.environ["EDGEACCEL_CACHE"] = str(out.parent / f"{out.name}-cache")
    try:
        result = run_sweep(SweepRequest(project, space, out=out, max_concurrent=max_concurrent, progress=False))
    finally:
        if saved is None:
            os.environ.pop("EDGEACCEL_CACHE", None)
        else:
            os.environ["EDGEACCEL_CACHE"] = saved
    return result.summary


def scaling(space: dict, epochs: int, workdir: Path) -> dict:
    """The same grid with one, then two, trials at a time: trials per minute and their ratio."""
    workdir.mkdir(parents=True, exist_ok=True)
    project = workdir / "scaling.yaml"
    project.write_text(yaml.safe_dump(SCALING_PROJECT | {"training": SCALING_PROJECT["training"] | {"epochs": epochs}}))
    space_file = workdir / "space.yaml"
    space_file.write_text(yaml.safe_dump(space))
    runs, loads = {}, {}
    for workers in (1, 2):
        loads[workers] = os.getloadavg()[0]  # other work on the machine slows both runs; it is recorded beside them
        runs[workers] = run(project, space_file, workdir / f"workers-{workers}", max_concurrent=workers)
    per_minute = {workers: summary["finished"] / summary["seconds"] * 60 for workers, summary in runs.items()}
    return {"summaries": runs, "loads": loads, "trials": runs[1]["trials"], "seconds": {w: s["seconds"] for w, s in runs.items()}, "per_minute": per_minute,
            "ratio": per_minute[2] / per_minute[1], "cpu_seconds": {w: [r.get("cpu_seconds") for r in s["rows"]] for w, s in runs.items()},
            "trial_seconds": {w: [r.get("seconds") for r in s["rows"]] for w, s in runs.items()}}


def digits_sweep_files() -> tuple[Path, Path]:
    return REPO / "examples" / "digits.yaml", REPO / "examples" / "digits-sweep.yaml"

"""`edgeaccel sweep`: the design space of a project explored on Ray, with hardware in the loop.

Each trial runs QAT, the export for its board (hls for an FPGA, tflm for an MCU), the fidelity
check (csim against QKeras bit for bit, or TFLite Micro against LiteRT) and the estimate, and adds
one row: accuracy on the simulated hardware, agreement, LUT/FF/DSP/BRAM18 (% of the board),
latency and II, or flash, RAM and arena. The project's own configuration always runs too (the
`default` row), so the front can be measured against it. Outputs in the sweep directory:
sweep.csv, sweep.json, sweep.md and sweep.html (the Pareto front per board), trials/<trial>/ (each
trial's project file and build directory) and ray/ (Ray Tune's experiment state, for --resume).

`best` picks the most accurate finished trial within limits and writes its project file.
"""

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from edgeaccel.errors import ConfigError, EdgeAccelError
from edgeaccel.staging import write_text_atomically

log = logging.getLogger(__name__)

REQUEST_FILE = "sweep-request.json"
SUMMARY_FILE = "sweep.json"
CSV_FILE = "sweep.csv"
BEST_FILE = "best.yaml"
DEFAULT_OPTUNA_TRIALS = 16


@dataclass(frozen=True)
class SweepRequest:
    """What to sweep and where.

    project, space: PROJECT.yaml and SPACE.yaml. out: the sweep directory (default
    build/<project name>-sweep). search: grid (every combination) or optuna (TPE over `trials`
    suggestions). address: None for a local Ray, else a running cluster (`auto`, `HOST:PORT`).
    resume: continue the interrupted sweep in `out` (finished trials are not rerun).
    cpus_per_trial: cores per trial (TensorFlow's and csim's threads follow it). max_concurrent:
    at most this many trials at once (default: as many as the cluster's cores allow).
    """

    project: Path
    space: Path
    out: Path | None = None
    search: Literal["grid", "optuna"] = "grid"
    trials: int | None = None
    address: str | None = None
    resume: bool = False
    cpus_per_trial: int = 1
    max_concurrent: int | None = None
    progress: bool = True


@dataclass(frozen=True)
class SweepResult:
    directory: Path
    summary: dict
    interrupted: bool


def default_sweep_dir(project_name: str) -> Path:
    return Path("build") / f"{project_name}-sweep"


def run_sweep(request: SweepRequest) -> SweepResult:
    """Run (or resume) a sweep; write sweep.csv, sweep.json and the report page; return its summary.

    Bad input (project, space, options, an existing sweep without --resume) raises ConfigError
    before Ray starts; a failing trial is a row with its one-line error. When every trial fails, the
    first failure's error is raised after the outputs are written. An interrupted sweep writes the
    rows it has and returns with `interrupted` set.
    """
    from edgeaccel.sweep.space import SweepProject, effective_parameters, grid, load_space

    project = SweepProject(request.project)
    space = load_space(request.space)
    if request.cpus_per_trial < 1:
        raise ConfigError(f"--cpus-per-trial: expected a positive integer, received {request.cpus_per_trial}")
    directory = (request.out or default_sweep_dir(project.name)).resolve()
    if request.search == "grid":
        configurations = grid(space, project)  # every trial's project checked here, before Ray starts
    else:
        configurations = [effective_parameters({}, project)]
        _check_values(space, project)
    trials = _trial_count(request, len(configurations))
    claim = _claim(directory, request, project, trials)
    started = time.perf_counter()
    rows, interrupted, cluster = _run_on_ray(request, project, space, configurations, trials, directory, claim)
    summary = summarize(rows, project, request, cluster, time.perf_counter() - started, interrupted)
    write_outputs(directory, summary)
    failed = [row for row in rows if row["status"] != "ok"]
    if rows and len(failed) == len(rows) and not interrupted:
        first = failed[0]
        error = EdgeAccelError(f"sweep: every trial failed; the first, {first['trial']}: {first['error']}")
        error.exit_code = first.get("exit_code", 70)
        raise error
    return SweepResult(directory, summary, interrupted)


def _trial_count(request: SweepRequest, grid_size: int) -> int:
    if request.search == "grid":
        if request.trials is not None and request.trials != grid_size:
            raise ConfigError(f"--trials: expected {grid_size} (every configuration of the grid, the project's own included) "
                              f"or no --trials with --search grid, received {request.trials}")
        return grid_size
    if request.trials is not None and request.trials < 1:
        raise ConfigError(f"--trials: expected a positive number of Optuna trials, received {request.trials}")
    return request.trials or DEFAULT_OPTUNA_TRIALS


def _check_values(space, project) -> None:
    """Each value of each parameter on top of the project's own configuration (Optuna combines them later)."""
    from edgeaccel.sweep.space import effective_parameters, trial_name

    for name, values in space.parameters().items():
        for value in values:
            trial_name(project, effective_parameters({name: value}, project))


def _claim(directory: Path, request: SweepRequest, project, trials: int):
    """Check that `directory` holds no other sweep (or, with --resume, this one); return the function
    that records this sweep there, called once Ray is up."""
    fingerprint = {"project": project.path.name, "project_sha256": _sha256(project.text),
                   "space_sha256": _sha256(Path(request.space).read_text()), "search": request.search, "trials": trials,
                   "cpus_per_trial": request.cpus_per_trial}
    path = directory / REQUEST_FILE
    if path.is_file():
        try:
            recorded = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}: expected the JSON record of a sweep, received a malformed file ({e})") from e
        if not request.resume:
            raise ConfigError(f"--out: expected a directory without a sweep (or --resume to continue it), received "
                              f"{directory}, which holds a sweep of {recorded.get('project')}")
        changed = [key for key in fingerprint if recorded.get(key) != fingerprint[key]]
        if changed:
            raise ConfigError(f"--resume: expected the project, space and options of the sweep in {directory}, received "
                              f"a different {', '.join(changed)}")
        return lambda: None

    def record():
        directory.mkdir(parents=True, exist_ok=True)
        write_text_atomically(path, json.dumps(fingerprint, indent=2) + "\n")

    return record


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _run_on_ray(request: SweepRequest, project, space, configurations: list[dict], trials: int, directory: Path, claim):
    from edgeaccel.sweep import ray_runner
    from edgeaccel.sweep.trial import SweepContext

    context = SweepContext(str(project.path), str(directory), request.cpus_per_trial)
    cluster = ray_runner.connect(request.address)
    try:
        if cluster["cpus"] < request.cpus_per_trial:
            raise ConfigError(f"--cpus-per-trial: expected at most the cluster's {cluster['cpus']} CPUs, "
                              f"received {request.cpus_per_trial}")
        claim()
        log.info("sweep: %d %s trial(s) of %s on %s (%d node(s), %d CPUs, %d per trial) into %s", trials, request.search,
                 project.name, cluster["address"], cluster["nodes"], cluster["cpus"], request.cpus_per_trial, directory)
        common = {"resume": request.resume, "max_concurrent": request.max_concurrent, "progress": request.progress}
        if request.search == "grid":
            listed = [{"parameters": parameters, "default": index == 0} for index, parameters in enumerate(configurations)]
            rows, interrupted = ray_runner.run_experiment("grid", directory, context, configurations=listed, **common)
        else:
            default = [{"parameters": configurations[0], "default": True}]
            rows, interrupted = ray_runner.run_experiment("default", directory, context, configurations=default, **common)
            if not interrupted:
                found, interrupted = ray_runner.run_experiment("optuna", directory, context, space=space.parameters(),
                                                               trials=trials, seed=project.record.data.seed, **common)
                rows += found
    finally:
        ray_runner.disconnect()
    return rows, interrupted, cluster


def summarize(rows: list[dict], project, request: SweepRequest, cluster: dict, seconds: float, interrupted: bool) -> dict:
    """sweep.json: every row with its configuration and scarcest resource, the front per board and
    how far it sits from the default configuration."""
    from edgeaccel.sweep.pareto import against_default, pareto_front, scarcest
    from edgeaccel.sweep.space import configuration, trial_project

    unique = list({row["trial"]: row for row in reversed(rows)}.values())[::-1]  # Optuna may suggest one twice
    duplicates, rows = len(rows) - len(unique), unique
    front = pareto_front(rows)
    on_front = {trial for trials in front.values() for trial in trials}
    completed = []
    for row in sorted(rows, key=lambda row: (not row.get("default"), row["trial"])):
        row = dict(row)
        try:
            row["configuration"] = configuration(trial_project(project, row["parameters"], "trial"))
        except EdgeAccelError:  # a configuration the project schema refuses: its row says so
            row["configuration"] = dict(row["parameters"])
        if row["status"] == "ok":
            row["scarcest"], row["scarcest_percent"] = scarcest(row)
        row["on_front"] = row["trial"] in on_front
        completed.append(row)
    finished = sum(row["status"] == "ok" for row in completed)
    return {"project": project.name, "project_file": str(project.path), "space_file": str(Path(request.space).resolve()),
            "search": request.search, "cluster": cluster, "cpus_per_trial": request.cpus_per_trial,
            "seconds": round(seconds, 1), "interrupted": interrupted, "trials": len(completed), "finished": finished,
            "failed": len(completed) - finished, "suggested_twice": duplicates, "front": front, "against_default": against_default(completed),
            "rows": completed}


CSV_COLUMNS = ("trial", "default", "status", "board", "target", "weight_bits", "activation_bits", "input_bits", "sparsity",
               "hidden", "reuse_factor", "strategy", "io_type", "accuracy", "qkeras_accuracy", "agreement", "fidelity_exact",
               "zero_weights", "multipliers", "lut", "lut_percent", "ff", "ff_percent", "dsp", "dsp_percent", "bram18",
               "bram18_percent", "latency_cycles", "ii_cycles", "latency_us", "flash_bytes", "flash_percent", "ram_bytes",
               "ram_percent", "arena_bytes", "scarcest", "scarcest_percent", "fits", "verdict", "on_front", "seconds", "cpu_seconds",
               "node", "error", "directory")


def write_outputs(directory: Path, summary: dict) -> None:
    """sweep.json, sweep.csv and the report page (sweep.md, sweep.html), each replaced atomically."""
    import csv
    import io

    from edgeaccel.artifact import write_json
    from edgeaccel.report.sweep import write_sweep_report

    write_json(directory / SUMMARY_FILE, summary)
    text = io.StringIO()
    writer = csv.DictWriter(text, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in summary["rows"]:
        flat = row | row["configuration"]
        flat["hidden"] = "x".join(map(str, flat["hidden"])) if flat.get("hidden") else ""
        writer.writerow(flat)
    write_text_atomically(directory / CSV_FILE, text.getvalue())
    write_sweep_report(directory, summary)


def read_summary(directory: Path) -> dict:
    path = Path(directory) / SUMMARY_FILE
    if not path.is_file():
        raise ConfigError(f"{directory}: expected a sweep directory with {SUMMARY_FILE}, received none")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: expected JSON, received a malformed file ({e})") from e


def best(directory: Path, limits: dict[str, float], min_accuracy: float | None = None, out: Path | None = None) -> tuple[dict, Path]:
    """The most accurate finished trial within `limits` (fractions of the board, e.g. {"lut": 0.8});
    writes the user's project with its configuration to `out` (default <sweep>/best.yaml)."""
    from edgeaccel.sweep.pareto import pick_best
    from edgeaccel.sweep.space import SweepProject, project_with

    summary = read_summary(directory)
    row = pick_best(summary["rows"], limits, min_accuracy)
    project = SweepProject(summary["project_file"])
    path = Path(out) if out else Path(directory) / BEST_FILE
    header = (f"# edgeaccel sweep --best: trial {row['trial']} of {directory}\n# accuracy {row['accuracy']:.4f} on "
              f"{row['target']} ({row['parameters']['board']}), {row['scarcest'].upper()} {row['scarcest_percent']:g}%\n")
    write_text_atomically(path, header + yaml.safe_dump(project_with(project, row["parameters"]), sort_keys=False))
    return row, path

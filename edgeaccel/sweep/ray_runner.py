"""Running a sweep's trials on Ray.

`connect` starts a local Ray (`ray.init()`) or joins a running cluster (`address`, e.g. `auto` or
`HOST:PORT` of a `ray start --head`). `run_experiment` hands the trials to Ray Tune: one trial per
`cpus_per_trial` cores of the cluster, no retry of a failing trial (its error is its result), the
experiment's state kept under the sweep directory so that an interrupted sweep resumes without
rerunning finished trials, and Optuna's TPE sampler (through Tune's OptunaSearch, on two
objectives: accuracy up, the scarcest resource down) for `search="optuna"`.

On a cluster of several machines, the sweep directory must be on a filesystem every node sees at
the same path (Ray Tune requires shared storage for its experiment state), and every node needs
the same Python environment with edgeaccel installed.
"""

import json
import logging
import os
from pathlib import Path

# Tune's console tables and per-trial CSV/TensorBoard files: the sweep draws its own progress and writes its own rows.
os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")

import ray  # noqa: E402
from ray import tune  # noqa: E402

from edgeaccel.errors import EnvironmentProblem  # noqa: E402
from edgeaccel.sweep.trial import SweepContext, TrialFailed, run_trial  # noqa: E402

log = logging.getLogger(__name__)

EXPERIMENTS_DIR = "ray"
OBJECTIVES = {"accuracy": "max", "cost": "min"}
OBJECT_STORE_BYTES = 256 * 1024 * 1024  # a sweep passes only small records between processes
CONNECT_TIMEOUT_S = 10


def connect(address: str | None) -> dict:
    """Start a local Ray, or join the cluster at `address`; returns what the sweep records of it."""
    _quiet_ray_loggers()
    options = {"include_dashboard": False, "logging_level": logging.ERROR, "log_to_driver": False}
    if address is None:
        from edgeaccel.cpus import cpu_budget

        options |= {"num_cpus": cpu_budget(), "object_store_memory": OBJECT_STORE_BYTES}
    else:
        options.pop("include_dashboard")
        _check_reachable(address)
    try:
        context = ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as e:
        where = f"a Ray cluster at {address}" if address else "a local Ray"
        raise EnvironmentProblem(f"--address: expected {where} to start or answer, received: {str(e).splitlines()[0]}") from e
    nodes = [node for node in ray.nodes() if node.get("Alive")]
    return {"address": address or "local", "gcs_address": context.address_info.get("gcs_address"),
            "nodes": len(nodes), "cpus": int(ray.cluster_resources().get("CPU", 0))}


def _check_reachable(address: str) -> None:
    """Refuse a HOST:PORT nothing listens on in seconds (ray.init would retry for minutes)."""
    import socket

    host, _, port = address.rpartition(":")
    if address == "auto" or address.startswith("ray://") or not port.isdigit():
        return
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as e:
        raise EnvironmentProblem(f"--address: expected a Ray cluster's head at {address}, received no answer "
                                 f"({e.strerror or e}); start one with `ray start --head --port {port}`") from e


def disconnect() -> None:
    if ray.is_initialized():
        ray.shutdown()


def _quiet_ray_loggers() -> None:
    """Ray Tune logs a traceback per failed trial and its own hints; the sweep reports failures as rows."""
    logging.getLogger("ray").setLevel(logging.ERROR)
    logging.getLogger("ray.tune").setLevel(logging.CRITICAL)
    logging.getLogger("ray.train").setLevel(logging.CRITICAL)


def tune_trial(config: dict, context: SweepContext) -> None:
    """The Ray Tune trainable: one trial, its row reported as JSON beside the two objectives."""
    from edgeaccel.sweep.pareto import objectives

    if "configuration" in config:
        parameters, default = config["configuration"]["parameters"], config["configuration"]["default"]
    else:
        parameters, default = decode(config), False
    row = run_trial(context, parameters, default) | {"ray_node": ray.get_runtime_context().get_node_id()}
    tune.report({"accuracy": row["accuracy"], "cost": max(objectives(row)), "row": json.dumps(row)})


def encode(space: dict[str, list]) -> dict:
    """The space as Tune choices for Optuna, whose categorical values must be scalars: a list of
    layer widths becomes its text, e.g. "64x32"."""
    return {name: tune.choice([_label(value) for value in values]) for name, values in space.items()}


def decode(config: dict) -> dict:
    return {name: [int(width) for width in value.split("x")] if name == "hidden" else value for name, value in config.items()}


def _label(value):
    return "x".join(str(width) for width in value) if isinstance(value, list) else value


def run_experiment(name: str, directory: Path, context: SweepContext, *, configurations: list[dict] | None = None,
                   space: dict[str, list] | None = None, trials: int = 0, seed: int = 0, resume: bool = False,
                   max_concurrent: int | None = None, progress: bool = True) -> tuple[list[dict], bool]:
    """Run the trials of one Tune experiment: every one of `configurations` (a grid; each a dict of
    parameters and whether it is the default), or `trials` suggested by Optuna's TPE over `space`.
    Returns the rows and whether the experiment was interrupted before every trial ran."""
    storage = (directory / EXPERIMENTS_DIR).resolve()
    path = storage / name
    trainable = tune.with_resources(tune.with_parameters(tune_trial, context=context), {"cpu": context.cpus_per_trial})
    total = len(configurations) if configurations is not None else trials
    if resume and tune.Tuner.can_restore(str(path)):
        log.info("sweep: resuming %s from %s", name, path)
        tuner = tune.Tuner.restore(str(path), trainable=trainable, resume_unfinished=True, resume_errored=False,
                                   restart_errored=False)
    else:
        if configurations is not None:
            param_space = {"configuration": tune.grid_search(configurations)}
            tune_config = tune.TuneConfig(num_samples=1, max_concurrent_trials=max_concurrent)
        else:
            import optuna
            from optuna.samplers import TPESampler
            from ray.tune.search.optuna import OptunaSearch

            optuna.logging.set_verbosity(optuna.logging.WARNING)

            param_space = encode(space)
            searcher = OptunaSearch(metric=list(OBJECTIVES), mode=list(OBJECTIVES.values()), sampler=TPESampler(seed=seed))
            tune_config = tune.TuneConfig(search_alg=searcher, num_samples=trials, max_concurrent_trials=max_concurrent)
        run_config = tune.RunConfig(name=name, storage_path=str(storage), verbose=0,
                                    callbacks=[TrialProgress(total, name, progress)],
                                    failure_config=tune.FailureConfig(max_failures=0, fail_fast=False))
        tuner = tune.Tuner(trainable, param_space=param_space, tune_config=tune_config, run_config=run_config)
    results = tuner.fit()
    rows, interrupted = [], False
    for result in results:
        if result.error is not None:
            rows.append(_failed_row(result, context))
        elif "row" in (result.metrics or {}):
            rows.append(json.loads(result.metrics["row"]))
        else:
            interrupted = True
    return rows, interrupted or len(rows) < total


def _failed_row(result, context: SweepContext) -> dict:
    from edgeaccel.sweep.space import SweepProject, effective_parameters, trial_name

    config = result.config or {}
    if "configuration" in config:
        parameters, default = config["configuration"]["parameters"], config["configuration"]["default"]
    else:
        parameters, default = decode(config), False
    project = SweepProject(context.project_path)
    parameters = effective_parameters(parameters, project)
    cause = getattr(result.error, "cause", result.error)
    if isinstance(cause, TrialFailed):
        error, exit_code, name = str(cause), cause.exit_code, cause.trial
    else:
        first = str(cause).splitlines()[0] if str(cause) else ""
        error, exit_code = f"the trial's process failed: {type(cause).__name__}: {first}", 70
        name = trial_name(project, parameters)
    return {"trial": name, "default": default, "parameters": parameters, "status": "failed", "error": error,
            "exit_code": exit_code}


class TrialProgress(tune.Callback):
    """One bar over the trials on stderr. Tune saves its callbacks with the experiment, so the bar is
    made when the experiment starts and left out of the saved state."""

    def __init__(self, total: int, name: str, enabled: bool):
        self.total, self.name, self.enabled, self.bar = total, name, enabled, None

    def setup(self, **info):
        from edgeaccel.progress import progress_bar

        self.bar = progress_bar(self.total, f"sweep {self.name}", unit="trial", enabled=self.enabled)

    def on_trial_complete(self, iteration, trials, trial, **info):
        self._advance()

    def on_trial_error(self, iteration, trials, trial, **info):
        self._advance()

    def on_experiment_end(self, trials, **info):
        if self.bar is not None:
            self.bar.close()

    def _advance(self):
        if self.bar is not None:
            self.bar.update(1)

    def __getstate__(self):
        return self.__dict__ | {"bar": None}

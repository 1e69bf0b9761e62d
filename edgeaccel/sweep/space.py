"""The search space (SPACE.yaml) and the project file each trial runs.

A space lists the values each parameter takes; a parameter it leaves out keeps the project's value:

    weight_bits: [8, 6, 4]            quantization.weight_bits
    activation_bits: [8, 4]           quantization.activation_bits (activation_integer capped at bits - 1)
    input_bits: [8, 6]                quantization.input_bits (input_integer capped at bits - 1)
    sparsity: [0.0, 0.5, 0.75]        training.pruning.target_sparsity (0: no pruning)
    hidden: [[64, 32], [32, 16]]      model.hidden (builtin models)
    reuse_factor: [1, 4, 8]           targets.hls.reuse_factor   (FPGA boards)
    strategy: [latency, resource]     targets.hls.strategy       (FPGA boards)
    io_type: [io_parallel, io_stream] targets.hls.io_type        (FPGA boards)
    board: [pynq-z2, nano33ble]       an FPGA board builds the hls target, an MCU board the tflm target

A trial's project is the project file with its parameters applied, its relative paths made
absolute, one target (hls or tflm, for the trial's board) and no bit sweep. `edgeaccel run` on that
file reproduces the trial.
"""

import copy
import hashlib
import itertools
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PositiveInt

from edgeaccel.errors import ConfigError
from edgeaccel.specs import Bits
from edgeaccel.yamlschema import Strict, load_record, read_yaml, validate

TRIAL_TARGETS = {"fpga": "hls", "mcu": "tflm"}
HLS_PARAMETERS = ("reuse_factor", "strategy", "io_type")
DEFAULT_TRIAL = "default"

class SweepSpace(Strict):
    """SPACE.yaml: the values each parameter takes (each list non-empty, without repeats)."""

    weight_bits: Annotated[list[Bits], Field(min_length=1)] | None = None
    activation_bits: Annotated[list[Bits], Field(min_length=1)] | None = None
    input_bits: Annotated[list[Bits], Field(min_length=1)] | None = None
    sparsity: Annotated[list[Annotated[float, Field(ge=0.0, lt=1.0)]], Field(min_length=1)] | None = None
    hidden: Annotated[list[Annotated[list[PositiveInt], Field(min_length=1)]], Field(min_length=1)] | None = None
    reuse_factor: Annotated[list[PositiveInt], Field(min_length=1)] | None = None
    strategy: Annotated[list[Literal["latency", "resource"]], Field(min_length=1)] | None = None
    io_type: Annotated[list[Literal["io_parallel", "io_stream"]], Field(min_length=1)] | None = None
    board: Annotated[list[str], Field(min_length=1)] | None = None

    def parameters(self) -> dict[str, list]:
        """The parameters the space sweeps, in file order, with their values."""
        return {name: values for name, values in self if values is not None}


def load_space(path: Path | str) -> SweepSpace:
    """SPACE.yaml checked key by key; repeated values and unknown boards are refused with one line."""
    space = load_record(Path(path), SweepSpace)
    parameters = space.parameters()
    if not parameters:
        raise ConfigError(f"{path}: expected at least one parameter to sweep ({', '.join(SweepSpace.model_fields)}), received none")
    for name, values in parameters.items():
        keys = [json.dumps(value) for value in values]
        if len(set(keys)) != len(keys):
            raise ConfigError(f"{path}: {name}: expected distinct values, received {values}")
    for board in parameters.get("board", []):
        board_kind(board)
    return space


def board_kind(name: str) -> str:
    from edgeaccel.boards import load_board

    board = load_board(name)
    if board.kind not in TRIAL_TARGETS:
        raise ConfigError(f"board {name!r}: expected an FPGA or MCU board (a trial checks fidelity with csim or TFLite Micro), "
                          f"received a board of kind {board.kind}")
    return board.kind


class SweepProject:
    """A project file as the sweep reads it: its raw mapping (paths made absolute) and the board and
    target options it builds by default."""

    def __init__(self, path: Path | str):
        from edgeaccel.project import load_project

        self.path = Path(path).resolve()
        self.record = load_project(self.path)
        self.name = self.record.name
        self.raw = _absolute_paths(read_yaml(self.path), self.path.parent)
        self.text = self.path.read_text()

    def default_board(self) -> str:
        """The board of the project's hls target, else of its tflm target."""
        targets = self.record.target_specs()
        for target in ("hls", "tflm"):
            if target in targets and getattr(targets[target], "board", None):
                return targets[target].board
        raise ConfigError(f"{self.path}: expected an hls or tflm target (its board is the sweep's default), or `board` "
                          f"in the space, received targets {', '.join(targets) or 'none'}")


def grid(space: SweepSpace, project: SweepProject) -> list[dict]:
    """Every combination of the space's values, the project's own configuration (`default`) first.
    Combinations that build the same trial (e.g. reuse factors on an MCU board, or the project's
    own values) appear once."""
    parameters = space.parameters()
    combinations = [dict(zip(parameters, values)) for values in itertools.product(*parameters.values())]
    seen, configurations = set(), []
    for parameters_of_trial in [{}] + combinations:
        effective = effective_parameters(parameters_of_trial, project)
        name = trial_name(project, effective)
        if name not in seen:
            seen.add(name)
            configurations.append(effective)
    return configurations


def effective_parameters(parameters: dict, project: SweepProject) -> dict:
    """`parameters` with the board made explicit and the hls options dropped on an MCU board."""
    effective = dict(parameters)
    effective.setdefault("board", project.default_board())
    if board_kind(effective["board"]) != "fpga":
        for name in HLS_PARAMETERS:
            effective.pop(name, None)
    return effective


def trial_name(project: SweepProject, parameters: dict) -> str:
    """A name fixed by what the trial builds (its configuration, `configuration`), so that a resumed
    sweep finds its finished trials and equal configurations are one trial."""
    values = configuration(trial_project(project, parameters, "trial"))
    digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
    return f"t{digest[:10]}"


def trial_project(project: SweepProject, parameters: dict, name: str) -> dict:
    """The project mapping a trial runs, checked against the project schema (one line on a mistake)."""
    from edgeaccel.project import project_record
    from edgeaccel.targets import targets

    raw = copy.deepcopy(project.raw)
    raw["name"] = name
    quantization = raw.setdefault("quantization", {}) or {}
    raw["quantization"] = quantization
    quantization["sweep_bits"] = []
    training = raw.setdefault("training", {}) or {}
    raw["training"] = training
    defaults = project.record
    if "weight_bits" in parameters:
        quantization["weight_bits"] = parameters["weight_bits"]
    if "activation_bits" in parameters:
        quantization["activation_bits"] = parameters["activation_bits"]
        quantization["activation_integer"] = min(defaults.quantization.activation_integer, parameters["activation_bits"] - 1)
    if "input_bits" in parameters:
        quantization["input_bits"] = parameters["input_bits"]
        quantization["input_integer"] = min(defaults.quantization.input_integer, parameters["input_bits"] - 1)
    if "sparsity" in parameters:
        if parameters["sparsity"] == 0:
            training.pop("pruning", None)
        else:
            training["pruning"] = (training.get("pruning") or {}) | {"target_sparsity": parameters["sparsity"]}
    if "hidden" in parameters:
        if not defaults.model.builtin:
            raise ConfigError(f"space hidden: expected a project with a builtin model, received model.path {defaults.model.path}")
        raw["model"]["hidden"] = parameters["hidden"]
    board = parameters["board"]
    target = TRIAL_TARGETS[board_kind(board)]
    own = (raw.get("targets") or {}).get(target) or {}
    options = own | {"board": board} | {name: parameters[name] for name in HLS_PARAMETERS if name in parameters}
    raw["targets"] = {name: None for name in targets()} | {target: options}
    validate(raw | {"base_dir": project.path.parent}, project_record(), f"trial {name}")
    return raw


def configuration(trial: dict) -> dict:
    """What a trial's project builds, parameter by parameter (swept or the project's own value)."""
    from edgeaccel.project import project_record

    record = project_record().model_validate(trial)
    target = next(name for name, spec in record.target_specs().items())
    options = record.target_specs()[target]
    pruning = record.training.pruning
    values = {"board": options.board, "target": target, "weight_bits": record.quantization.weight_bits,
              "activation_bits": record.quantization.activation_bits, "input_bits": record.quantization.input_bits,
              "sparsity": pruning.target_sparsity if pruning else 0.0,
              "hidden": list(record.model.hidden) if record.model.builtin else None}
    if target == "hls":
        values |= {name: getattr(options, name) for name in HLS_PARAMETERS}
    return values


def trial_target(parameters: dict) -> str:
    return TRIAL_TARGETS[board_kind(parameters["board"])]


def project_with(project: SweepProject, parameters: dict) -> dict:
    """The user's whole project (every target it builds) with a trial's parameters applied: what
    `edgeaccel sweep --best` writes."""
    trial = trial_project(project, parameters, project.name)
    raw = copy.deepcopy(project.raw)
    for section in ("quantization", "training", "model"):
        if trial.get(section) is not None:
            raw[section] = trial[section]
    raw.setdefault("quantization", {})["sweep_bits"] = (project.raw.get("quantization") or {}).get("sweep_bits", [])
    if not raw["quantization"]["sweep_bits"]:
        raw["quantization"].pop("sweep_bits")
    target = trial_target(parameters)
    raw["targets"] = dict(raw.get("targets") or {}) | {target: trial["targets"][target]}
    return raw


def _absolute_paths(raw: Any, base: Path) -> Any:
    """The project mapping with data.source, model.path and a distillation teacher's path made absolute."""
    if not isinstance(raw, dict):
        return raw
    raw = copy.deepcopy(raw)
    training = raw.get("training") if isinstance(raw.get("training"), dict) else {}
    for holder, key in ((raw.get("data"), "source"), (raw.get("model"), "path"), (training.get("distillation"), "teacher")):
        if isinstance(holder, dict) and isinstance(holder.get(key), str) and holder[key] != "float" \
                and not holder[key].startswith("sklearn:"):
            holder[key] = str((base / holder[key]).resolve())
    return raw

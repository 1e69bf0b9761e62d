"""The export targets, one line each, and what is derived from them.

A target is one module in edgeaccel/convert holding its `Options`, its converter and its `TARGET`
record (see `edgeaccel.convert.Target`). Adding a target is that module plus one line in
`TARGET_MODULES`: the CLI flags and help, the project file's `targets` section, the backend that
simulates its artifacts and the report titles all come from the records.
"""

import importlib
import logging
from functools import cache
from pathlib import Path

from edgeaccel.artifact import Artifact, read_artifact, record_estimate
from edgeaccel.convert import ConvertRequest, Target
from edgeaccel.errors import ConfigError

log = logging.getLogger(__name__)

BOARD_KINDS = {"fpga": "an FPGA", "mcu": "an MCU", "linux": "a Linux", "edgetpu": "an Edge TPU"}

TARGET_MODULES = (
    "edgeaccel.convert.tflite",
    "edgeaccel.convert.tflm",
    "edgeaccel.convert.edgetpu",
    "edgeaccel.convert.hls",
    "edgeaccel.convert.onnx",
)


@cache
def targets() -> dict[str, Target]:
    """Every target by name, in the order of TARGET_MODULES."""
    records = [importlib.import_module(module).TARGET for module in TARGET_MODULES]
    return {record.name: record for record in records}


def target(name: str) -> Target:
    known = targets()
    if name not in known:
        raise ConfigError(f"--target: expected one of {', '.join(known)}, received {name!r}")
    return known[name]


def checked_request(request: ConvertRequest, name: str) -> ConvertRequest:
    """The request with its options checked against the target and its board checked to exist and to
    be of a kind the target builds for, so that a bad option or board fails before any work starts."""
    from dataclasses import replace

    from edgeaccel.boards import load_board

    record = target(name)
    board = request.board or record.default_board
    if board is not None:
        loaded = load_board(board)
        if record.board_kinds and loaded.kind not in record.board_kinds:
            kinds = " or ".join(BOARD_KINDS[kind] for kind in record.board_kinds)
            raise ConfigError(f"--board: expected {kinds} board for --target {name}, "
                              f"received {loaded.name!r} (kind {loaded.kind})")
        board = loaded.name
    return replace(request, board=board, options=record.Options.of(request.options))


def convert(request: ConvertRequest, name: str) -> Artifact:
    """Convert `request.model_path` for target `name` into `request.out_dir`. Where edgeaccel can
    estimate the artifact on its board (FPGA resources, MCU memory, Edge TPU op mapping), the
    estimate is recorded in artifact.json too."""
    from edgeaccel.estimate import can_estimate, estimate_artifact

    artifact = target(name).convert(checked_request(request, name))
    if can_estimate(artifact):
        artifact = record_estimate(artifact, estimate_artifact(artifact.directory))
    return artifact


def backend_names() -> list[str]:
    """Every simulation backend `open_backend` knows: edgeaccel.sim's and those targets bring."""
    from edgeaccel.sim import BACKENDS

    own = [record.name for record in targets().values() if callable(record.simulator)]
    return list(BACKENDS) + [name for name in own if name not in BACKENDS]


def open_backend(name: str, artifact: Path | str):
    """A simulation backend by name, as `edgeaccel sim --backend NAME`.

    `keras` runs a model file (or a build directory's model.h5); `tflite`, `tflm` and `csim` run
    artifact directories of their targets; a target that brings its own backend (e.g. `onnx`) is
    named after the target. Every backend has `predict(x) -> outputs`: float inputs, quantized to
    the model's input grid by the backend itself, and raw outputs in the shape Keras `predict` gives.
    """
    from edgeaccel import sim

    if name in sim.BACKENDS:
        return sim.open_backend(name, artifact)
    record = targets().get(name)
    if record is None or not callable(record.simulator):
        raise ConfigError(f"--backend: expected one of {', '.join(backend_names())}, received {name!r}")
    return record.simulator(Path(artifact))


def simulator_for(name: str) -> str:
    """The backend name that simulates artifacts of target `name`."""
    record = target(name)
    return record.name if callable(record.simulator) else record.simulator


def load_artifact(path: Path | str) -> Artifact:
    """An artifact of any target, its details typed by the target's record."""
    artifact = read_artifact(path)
    record = targets().get(artifact.target)
    if record is not None and record.Details is not None and not isinstance(artifact.details, record.Details):
        return read_artifact(path, record.Details)
    return artifact

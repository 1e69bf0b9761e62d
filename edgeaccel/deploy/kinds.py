"""The bundle kinds: one table, one record per kind, saying which artifacts it takes, which runner runs
it on the board, which boards can run it, how its bundle is built, and how close the board must come
to the simulation.

    edgetpu  Coral boards: the Edge TPU model, tflite_runner.py with the libedgetpu delegate; argmax >= 0.99
    tflite   Linux CPU boards: the .tflite, tflite_runner.py (tflite_runtime, ai_edge_litert or tensorflow.lite); argmax >= 0.999
    pynq     PYNQ/Zynq boards: bitstream (.bit + .hwh), the edgeaccel_overlay driver, pynq_runner.py; bit-exact
    csim     any board with g++: the hls4ml firmware and csim_runner.cpp, compiled and run there; bit-exact

Argmax agreement for TFLite and the Edge TPU, whose runtimes may round differently from LiteRT on
the host; bit-exact for the csim and FPGA bundles, whose arithmetic is the csim library's. Without
`--bundle`, an artifact goes to the first kind in the table that takes its target and the board.
"""

import logging
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable

import numpy as np

from edgeaccel.artifact import Artifact
from edgeaccel.deploy.bundle import RUNNERS, BundleWriter, artifact_file, inside_artifact
from edgeaccel.deploy.golden import Golden, csim_golden, tflite_golden
from edgeaccel.deploy.validate import Tolerance
from edgeaccel.errors import ConfigError, ModelError, UnsupportedError

log = logging.getLogger(__name__)

TFLITE_RUNTIMES = {"tflite_runtime", "ai_edge_litert", "tensorflow"}
EDGETPU_DELEGATE = "libedgetpu.so.1"
PYNQ_DRIVER = "edgeaccel_overlay.py"
PYNQ_DMA = "hier_0/axi_dma_0"
PYNQ_TIMEOUT_S = 5.0
HLS_PROJECT = "hls4ml_prj"


@dataclass(frozen=True)
class Built:
    """What a kind's builder wrote into the bundle: the runner's arguments, the golden data, and the
    bundle file holding the golden inputs in the runner's format."""

    runner_args: dict
    golden: Golden
    inputs: str


@dataclass(frozen=True)
class BundleKind:
    name: str
    targets: tuple[str, ...]
    runner: str
    check_board: Callable[..., str | None]  # (board) -> why it cannot run this kind, or None
    build: Callable[..., Built]  # (writer, artifact, board, golden inputs x, bitstream or None) -> Built
    tolerance: Tolerance


def _runtimes(board) -> list[str]:
    return list(board.linux.runtimes) if board.linux else []


def _tflite_board(board) -> str | None:
    if TFLITE_RUNTIMES & set(_runtimes(board)):
        return None
    return (f"expected a board with a TFLite runtime ({', '.join(sorted(TFLITE_RUNTIMES))}), received runtimes "
            f"{', '.join(_runtimes(board)) or 'none'}")


def _edgetpu_board(board) -> str | None:
    if board.kind == "edgetpu":
        return None
    return f"expected an Edge TPU board (coral-devboard, rpi4-coral-usb), received a board of kind {board.kind}"


def _pynq_board(board) -> str | None:
    if board.kind == "fpga" and board.fpga.backend == "VivadoAccelerator" and "pynq" in _runtimes(board):
        return None
    backend = board.fpga.backend if board.fpga else "none"
    return (f"expected a PYNQ board (VivadoAccelerator backend, pynq runtime), received a {board.kind} board with "
            f"backend {backend} and runtimes {', '.join(_runtimes(board)) or 'none'}; --bundle csim runs the firmware "
            f"on any board with g++")


def _csim_board(board) -> str | None:
    if "g++" in _runtimes(board):
        return None
    return f"expected a board with g++ (runtimes: g++), received runtimes {', '.join(_runtimes(board)) or 'none'}"


def _grid(details):
    from edgeaccel.quantize.grid import InputGrid

    return InputGrid.from_dict(details["input_grid"]) if details.get("input_grid") else None


def _tflite(writer: BundleWriter, artifact: Artifact, board, x: np.ndarray, bitstream) -> Built:
    name = artifact.details["model_file"]
    model = writer.copy_from_artifact(artifact, name, f"model/{PurePosixPath(name).name}")
    golden = tflite_golden(model, x, _grid(artifact.details))
    writer.save("golden/inputs.npy", golden.inputs)
    return Built({"model": f"model/{model.name}", "delegate": None}, golden, "golden/inputs.npy")


def _edgetpu(writer: BundleWriter, artifact: Artifact, board, x: np.ndarray, bitstream) -> Built:
    """The compiled Edge TPU model runs on the board; the reference comes from the int8 model it was
    compiled from (details.model_file), on LiteRT. Without edgetpu_compiler at convert time the
    artifact has no compiled model, and the board runs the int8 model on its CPU."""
    details = artifact.details
    compiled = (details.get("compiler") or {}).get("model_file")
    if not compiled:
        log.warning("edgetpu bundle: %s holds no compiled Edge TPU model (edgetpu_compiler was absent at convert time); "
                    "the board runs the int8 model on its CPU", artifact.directory)
    name = compiled or details["model_file"]
    model = writer.copy_from_artifact(artifact, name, f"model/{PurePosixPath(name).name}")
    cpu_model = artifact_file(artifact, details["model_file"]) if compiled else model
    golden = tflite_golden(cpu_model, x, _grid(details))
    writer.save("golden/inputs.npy", golden.inputs)
    return Built({"model": f"model/{model.name}", "delegate": EDGETPU_DELEGATE}, golden, "golden/inputs.npy")


def _pynq(writer: BundleWriter, artifact: Artifact, board, x: np.ndarray, bitstream: Path | None) -> Built:
    if artifact.board != board.name:
        raise ConfigError(f"--board {board.name}: expected an hls artifact converted for {board.name} (a bitstream "
                          f"is board-specific), received one converted for {artifact.board}")
    bit, hwh = find_bitstream(artifact, bitstream)
    golden = csim_golden(artifact, x)
    writer.copy(bit, f"overlay/{bit.stem}.bit")
    writer.copy(hwh, f"overlay/{bit.stem}.hwh")
    writer.copy_from_artifact(artifact, PYNQ_DRIVER, PYNQ_DRIVER)
    writer.save("golden/inputs.npy", golden.inputs)
    details = artifact.details
    return Built({"bitstream": f"overlay/{bit.stem}.bit", "n_in": int(details["n_in"]), "n_out": int(details["n_out"]),
                  "dma": PYNQ_DMA, "timeout_s": PYNQ_TIMEOUT_S}, golden, "golden/inputs.npy")


def find_bitstream(artifact: Artifact, bitstream: Path | None) -> tuple[Path, Path]:
    """The .bit (given, or the one the vendor build left in the artifact) and its .hwh. Files found
    in the artifact must be regular files inside it, reached without a symlink."""
    board = artifact.board
    if bitstream is not None:
        bit = Path(bitstream).expanduser()
        if bit.suffix != ".bit" or not bit.is_file():
            raise ConfigError(f"--bitstream: expected an existing .bit file, received {str(bitstream)!r}")
        checked = Path
    else:
        found = sorted(artifact.directory.rglob("*.bit"))
        if not found:
            raise ConfigError(
                f"pynq bundle: expected a bitstream (.bit with its .hwh) in {artifact.directory}, received none; build one "
                f"with `make board={board} bitstream` or `edgeaccel bitstream {artifact.directory}` (needs Vivado), or pass "
                f"one with --bitstream FILE.bit (BITSTREAM=FILE.bit with make); --bundle csim checks the numerics on the "
                f"board's CPU without one")
        if len(found) > 1:
            raise ConfigError(f"pynq bundle: expected one .bit in {artifact.directory}, received {len(found)} "
                              f"({', '.join(p.name for p in found[:3])}); choose one with --bitstream FILE.bit")
        bit = inside_artifact(artifact, found[0])

        def checked(path):
            return inside_artifact(artifact, path)
    beside = bit.with_suffix(".hwh")
    if beside.is_file():
        return bit, checked(beside)
    near = sorted(artifact.directory.rglob("*.hwh") if bitstream is None else bit.parent.glob("*.hwh"))
    if len(near) == 1:
        return bit, checked(near[0])
    raise ConfigError(f"pynq bundle: expected the hardware handoff {beside.name} beside {bit} (PYNQ needs it to load the "
                      f"overlay), received {len(near) or 'no'} .hwh files nearby")


def _csim(writer: BundleWriter, artifact: Artifact, board, x: np.ndarray, bitstream) -> Built:
    project = artifact.details["project_dir"]
    golden = csim_golden(artifact, x)
    bridge = f"{project}/myproject_bridge.cpp"
    wanted = [name for name in artifact.files if name.startswith(f"{project}/firmware/") or name == bridge]
    if bridge not in wanted:
        raise ModelError(f"{artifact.directory}: expected {bridge} (hls4ml's C bridge), received none")
    for name in wanted:
        writer.copy_from_artifact(artifact, name, f"{HLS_PROJECT}/{name[len(project) + 1:]}")
    writer.copy(RUNNERS / "csim_runner.cpp", "csim_runner.cpp")
    writer.write_text("golden/inputs.txt", "".join(" ".join(repr(float(v)) for v in row) + "\n" for row in golden.inputs))
    details = artifact.details
    return Built({"project": HLS_PROJECT, "n_in": int(details["n_in"]), "n_out": int(details["n_out"])}, golden,
                 "golden/inputs.txt")


KINDS: dict[str, BundleKind] = {kind.name: kind for kind in (
    BundleKind("edgetpu", ("edgetpu",), "tflite_runner.py", _edgetpu_board, _edgetpu, Tolerance("argmax", 0.99)),
    BundleKind("tflite", ("tflite",), "tflite_runner.py", _tflite_board, _tflite, Tolerance("argmax", 0.999)),
    BundleKind("pynq", ("hls",), "pynq_runner.py", _pynq_board, _pynq, Tolerance("bit-exact")),
    BundleKind("csim", ("hls",), "csim_runner.py", _csim_board, _csim, Tolerance("bit-exact")),
)}


def choose_kind(artifact: Artifact, board, requested: str | None = None) -> BundleKind:
    """`requested`, or the first kind in KINDS that takes the artifact's target and the board."""
    if requested is not None:
        if requested not in KINDS:
            raise ConfigError(f"--bundle: expected one of {', '.join(KINDS)}, received {requested!r}")
        kind = KINDS[requested]
        if artifact.target not in kind.targets:
            raise ConfigError(f"--bundle {kind.name}: expected a {' or '.join(kind.targets)} artifact, received a "
                              f"{artifact.target} artifact ({artifact.directory})")
        refusal = kind.check_board(board)
        if refusal:
            raise ConfigError(f"--board {board.name}: {refusal} for a {kind.name} bundle")
        return kind
    candidates = [kind for kind in KINDS.values() if artifact.target in kind.targets]
    if not candidates:
        takes = sorted({target for kind in KINDS.values() for target in kind.targets})
        raise UnsupportedError(f"deploy: expected a {', '.join(takes)} artifact, received a {artifact.target} artifact "
                               f"({artifact.directory}); TFLite Micro builds are flashed, not deployed over SSH")
    refusals = []
    for kind in candidates:
        refusal = kind.check_board(board)
        if refusal is None:
            return kind
        refusals.append(f"{refusal} for a {kind.name} bundle")
    raise ConfigError(f"--board {board.name}: {'; '.join(refusals)}")


def kinds_for_board(board) -> list[BundleKind]:
    """The kinds a board can run, in the table's order."""
    return [kind for kind in KINDS.values() if kind.check_board(board) is None]


def resolve_artifact(path: Path, board, board_name: str) -> Path:
    """`path` itself when it is an artifact; in a build directory, the artifact of the first kind the
    board runs (`<target>-<board>` before `<target>`)."""
    path = Path(path)
    if (path / "artifact.json").is_file() or not path.is_dir():
        return path
    targets = dict.fromkeys(target for kind in kinds_for_board(board) for target in kind.targets)
    candidates = list(dict.fromkeys(name for target in targets
                                    for name in (f"{target}-{board_name}", f"{target}-{board.name}", target)))
    for name in candidates:
        if (path / name / "artifact.json").is_file():
            return path / name
    raise ModelError(f"{path}: expected an artifact directory, or a build directory holding "
                     f"{' or '.join(candidates) or 'an artifact'} for {board.name}, received neither")

"""Deploy bundles: what a board needs to run an artifact on golden inputs. A bundle is a directory of
files, a standalone runner script (it never imports edgeaccel) and bundle.json, which lists every
file with its sha256, the runner's arguments, the golden data and the tolerance.

    tflite   Linux CPU boards: the .tflite and tflite_runner.py (tflite_runtime, ai_edge_litert or tensorflow.lite)
    edgetpu  Coral boards: the Edge TPU model and tflite_runner.py with the libedgetpu delegate
    pynq     PYNQ/Zynq boards: bitstream (.bit + .hwh), the edgeaccel_overlay driver and pynq_runner.py
    csim     any board with g++: the hls4ml firmware and csim_runner.cpp, compiled and run on the board
"""

import datetime
import hashlib
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable

import numpy as np

from edgeaccel.artifact import Artifact, sha256
from edgeaccel.deploy.golden import Golden, csim_golden, tflite_golden
from edgeaccel.deploy.validate import TOLERANCES, Tolerance
from edgeaccel.errors import ConfigError, ModelError, UnsupportedError
from edgeaccel.resources import hls_template

log = logging.getLogger(__name__)

RUNNERS = Path(__file__).resolve().parent / "runners"
MANIFEST = "bundle.json"
RESULTS = "results.json"
FORMAT = 1
TFLITE_RUNTIMES = {"tflite_runtime", "ai_edge_litert", "tensorflow"}
EDGETPU_DELEGATE = "libedgetpu.so.1"
PYNQ_DMA = "hier_0/axi_dma_0"
PYNQ_TIMEOUT_S = 5.0
HLS_PROJECT = "hls4ml_prj"


@dataclass(frozen=True)
class Bundle:
    directory: Path
    kind: str
    manifest: dict
    files: dict
    reference: np.ndarray

    @property
    def runner(self) -> str:
        return self.manifest["runner"]

    @property
    def tolerance(self) -> Tolerance:
        return Tolerance(**self.manifest["tolerance"])

    @property
    def reference_name(self) -> str:
        return self.manifest["golden"]["reference_from"]

    @property
    def bytes(self) -> int:
        return sum((self.directory / name).stat().st_size for name in self.files)

    @property
    def directories(self) -> list[str]:
        """Every directory the files need, parents first."""
        found = {str(parent) for name in self.files for parent in PurePosixPath(name).parents if str(parent) != "."}
        return sorted(found, key=lambda d: (d.count("/"), d))

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(sorted(self.files.items())).encode()).hexdigest()


def bundle_kind(artifact: Artifact, board, requested: str | None = None) -> str:
    """The bundle an artifact makes for a board: `requested`, or the natural one, checked against the board."""
    defaults = {"tflite": "tflite", "edgetpu": "edgetpu", "hls": None}
    if artifact.target not in defaults:
        raise UnsupportedError(f"deploy: expected a tflite, edgetpu or hls artifact, received a {artifact.target} artifact "
                               f"({artifact.directory}); TFLite Micro builds are flashed, not deployed over SSH")
    kind = requested or defaults[artifact.target]
    if kind is None:
        is_pynq = board.kind == "fpga" and board.fpga.backend == "VivadoAccelerator" and "pynq" in _runtimes(board)
        kind = "pynq" if is_pynq else "csim"
    if kind not in BUILDERS:
        raise ConfigError(f"--bundle: expected one of {', '.join(BUILDERS)}, received {kind!r}")
    targets = {"tflite": ("tflite",), "edgetpu": ("edgetpu",), "pynq": ("hls",), "csim": ("hls",)}[kind]
    if artifact.target not in targets:
        raise ConfigError(f"--bundle {kind}: expected a {' or '.join(targets)} artifact, received a {artifact.target} "
                          f"artifact ({artifact.directory})")
    _check_board(kind, artifact, board)
    return kind


def _runtimes(board) -> list[str]:
    return list(board.linux.runtimes) if board.linux else []


def _check_board(kind: str, artifact: Artifact, board) -> None:
    runtimes = _runtimes(board)
    if kind == "tflite" and not TFLITE_RUNTIMES & set(runtimes):
        raise ConfigError(f"--board {board.name}: expected a board with a TFLite runtime ({', '.join(sorted(TFLITE_RUNTIMES))}) "
                          f"for a tflite bundle, received runtimes {', '.join(runtimes) or 'none'}")
    if kind == "edgetpu" and board.kind != "edgetpu":
        raise ConfigError(f"--board {board.name}: expected an Edge TPU board (coral-devboard, rpi4-coral-usb) for an "
                          f"edgetpu bundle, received a board of kind {board.kind}")
    if kind == "pynq":
        if board.kind != "fpga" or board.fpga.backend != "VivadoAccelerator" or "pynq" not in runtimes:
            backend = board.fpga.backend if board.fpga else "none"
            raise ConfigError(f"--board {board.name}: expected a PYNQ board (VivadoAccelerator backend, pynq runtime) "
                              f"for a pynq bundle, received a {board.kind} board with backend {backend} and runtimes "
                              f"{', '.join(runtimes) or 'none'}; --bundle csim runs the firmware on any board with g++")
        if artifact.board != board.name:
            raise ConfigError(f"--board {board.name}: expected an hls artifact converted for {board.name} (a bitstream "
                              f"is board-specific), received one converted for {artifact.board}")
    if kind == "csim" and "g++" not in runtimes:
        raise ConfigError(f"--board {board.name}: expected a board with g++ (runtimes: g++) for a csim bundle, "
                          f"received runtimes {', '.join(runtimes) or 'none'}")


def build_bundle(artifact: Artifact, board, kind: str, x: np.ndarray, directory: Path,
                 bitstream: Path | None = None) -> Bundle:
    """Write the bundle into `directory` (which must not exist) and return it."""
    writer = _Writer(directory)
    runner_args, golden = BUILDERS[kind](writer, artifact, x, bitstream)
    if kind == "csim":
        writer.write_text("golden/inputs.txt", "".join(" ".join(repr(float(v)) for v in row) + "\n" for row in golden.inputs))
        inputs = "golden/inputs.txt"
    else:
        writer.save("golden/inputs.npy", golden.inputs)
        inputs = "golden/inputs.npy"
    writer.save("golden/reference.npy", golden.reference)
    runner = {"tflite": "tflite_runner.py", "edgetpu": "tflite_runner.py", "pynq": "pynq_runner.py", "csim": "csim_runner.py"}[kind]
    writer.copy(RUNNERS / runner, runner)
    writer.copy(RUNNERS / "edgeaccel_results.py", "edgeaccel_results.py")
    from edgeaccel import __version__

    manifest = {
        "format": FORMAT,
        "kind": kind,
        "board": board.name,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "edgeaccel": __version__,
        "artifact": {"directory": str(artifact.directory), "target": artifact.target, "board": artifact.board},
        "runner": runner,
        "runner_args": runner_args,
        "results": RESULTS,
        "golden": {"inputs": inputs, "reference": "golden/reference.npy", "samples": int(len(golden.inputs)),
                   "reference_from": golden.reference_name},
        "tolerance": vars(TOLERANCES[kind]),
        "files": writer.files(),
    }
    writer.write_text(MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return Bundle(directory, kind, manifest, writer.files(), golden.reference)


class _Writer:
    def __init__(self, directory: Path):
        directory.mkdir(parents=True)
        self.directory = directory

    def _target(self, name: str) -> Path:
        target = self.directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def copy(self, source: Path, name: str) -> None:
        shutil.copyfile(source, self._target(name))

    def write_text(self, name: str, text: str) -> None:
        self._target(name).write_text(text)

    def save(self, name: str, array: np.ndarray) -> None:
        np.save(self._target(name), array, allow_pickle=False)

    def files(self) -> dict:
        return {path.relative_to(self.directory).as_posix(): sha256(path)
                for path in sorted(self.directory.rglob("*")) if path.is_file()}


def artifact_file(artifact: Artifact, name: str) -> Path:
    """A file the manifest lists, checked to lie inside the artifact and to match its recorded sha256."""
    relative = PurePosixPath(name)
    if not name or relative.is_absolute() or ".." in relative.parts:
        raise ModelError(f"{artifact.directory}/artifact.json: expected file names inside the artifact, received {name!r}")
    if name not in artifact.files:
        raise ModelError(f"{artifact.directory}/artifact.json: expected {name!r} among its files, received "
                         f"{', '.join(list(artifact.files)[:5])}{', ...' if len(artifact.files) > 5 else ''}")
    path = artifact.directory / name
    if not path.is_file():
        raise ModelError(f"{path}: expected the file artifact.json lists, received a path that does not exist")
    recorded, actual = artifact.files[name].get("sha256"), sha256(path)
    if recorded != actual:
        raise ModelError(f"{path}: expected sha256 {recorded} (artifact.json), received {actual}; the file changed after convert")
    return path


def _tflite(writer: _Writer, artifact: Artifact, x: np.ndarray, bitstream) -> tuple[dict, Golden]:
    from edgeaccel.quantize.grid import InputGrid

    model = artifact_file(artifact, artifact.details["model_file"])
    grid = artifact.details.get("input_grid")
    golden = tflite_golden(model, x, InputGrid.from_dict(grid) if grid else None)
    writer.copy(model, f"model/{model.name}")
    return {"model": f"model/{model.name}", "delegate": None}, golden


def _edgetpu(writer: _Writer, artifact: Artifact, x: np.ndarray, bitstream) -> tuple[dict, Golden]:
    """The compiled Edge TPU model runs on the board; the reference comes from the int8 model it was
    compiled from (details.model_file), on LiteRT. Without edgetpu_compiler at convert time the
    artifact has no compiled model, and the board runs the int8 model on its CPU."""
    from edgeaccel.quantize.grid import InputGrid

    details = artifact.details
    cpu_model = artifact_file(artifact, details["model_file"])
    compiled = (details.get("compiler") or {}).get("model_file")
    model = artifact_file(artifact, compiled) if compiled else cpu_model
    if not compiled:
        log.warning("edgetpu bundle: %s holds no compiled Edge TPU model (edgetpu_compiler was absent at convert time); "
                    "the board runs the int8 model on its CPU", artifact.directory)
    grid = details.get("input_grid")
    golden = tflite_golden(cpu_model, x, InputGrid.from_dict(grid) if grid else None)
    writer.copy(model, f"model/{model.name}")
    return {"model": f"model/{model.name}", "delegate": EDGETPU_DELEGATE}, golden


def _pynq(writer: _Writer, artifact: Artifact, x: np.ndarray, bitstream: Path | None) -> tuple[dict, Golden]:
    bit, hwh = find_bitstream(artifact, bitstream)
    golden = csim_golden(artifact, x)
    writer.copy(bit, f"overlay/{bit.stem}.bit")
    writer.copy(hwh, f"overlay/{bit.stem}.hwh")
    driver = hls_template("pynq", "edgeaccel_overlay.py")
    writer.copy(driver, driver.name)
    details = artifact.details
    return {"bitstream": f"overlay/{bit.stem}.bit", "n_in": int(details["n_in"]), "n_out": int(details["n_out"]),
            "dma": PYNQ_DMA, "timeout_s": PYNQ_TIMEOUT_S}, golden


def find_bitstream(artifact: Artifact, bitstream: Path | None) -> tuple[Path, Path]:
    """The .bit (given, or the one the vendor build left in the artifact) and its .hwh."""
    board = artifact.board
    if bitstream is not None:
        bit = Path(bitstream).expanduser()
        if bit.suffix != ".bit" or not bit.is_file():
            raise ConfigError(f"--bitstream: expected an existing .bit file, received {str(bitstream)!r}")
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
        bit = found[0]
    beside = bit.with_suffix(".hwh")
    if beside.is_file():
        return bit, beside
    near = sorted(artifact.directory.rglob("*.hwh") if bitstream is None else bit.parent.glob("*.hwh"))
    if len(near) == 1:
        return bit, near[0]
    raise ConfigError(f"pynq bundle: expected the hardware handoff {beside.name} beside {bit} (PYNQ needs it to load the "
                      f"overlay), received {len(near) or 'no'} .hwh files nearby")


def _csim(writer: _Writer, artifact: Artifact, x: np.ndarray, bitstream) -> tuple[dict, Golden]:
    project = artifact.details["project_dir"]
    golden = csim_golden(artifact, x)
    wanted = [name for name in artifact.files
              if name.startswith(f"{project}/firmware/") or name == f"{project}/myproject_bridge.cpp"]
    if f"{project}/myproject_bridge.cpp" not in wanted:
        raise ModelError(f"{artifact.directory}: expected {project}/myproject_bridge.cpp (hls4ml's C bridge), received none")
    for name in wanted:
        writer.copy(artifact_file(artifact, name), f"{HLS_PROJECT}/{name[len(project) + 1:]}")
    writer.copy(RUNNERS / "csim_runner.cpp", "csim_runner.cpp")
    details = artifact.details
    return {"project": HLS_PROJECT, "n_in": int(details["n_in"]), "n_out": int(details["n_out"])}, golden


BUILDERS: dict[str, Callable] = {"tflite": _tflite, "edgetpu": _edgetpu, "pynq": _pynq, "csim": _csim}


def resolve_artifact(path: Path, board, board_name: str) -> Path:
    """`path` itself when it is an artifact; in a build directory, the artifact for the board's kind."""
    path = Path(path)
    if (path / "artifact.json").is_file() or not path.is_dir():
        return path
    candidates = {"linux": ["tflite"], "edgetpu": ["edgetpu"],
                  "fpga": [f"hls-{board_name}", f"hls-{board.name}", "hls"]}.get(board.kind, [])
    for name in candidates:
        if (path / name / "artifact.json").is_file():
            return path / name
    raise ModelError(f"{path}: expected an artifact directory, or a build directory holding "
                     f"{' or '.join(candidates) or 'an artifact'} for a {board.kind} board, received neither")

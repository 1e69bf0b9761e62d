"""The edgetpu target: a full-integer int8 model for the Coral Edge TPU, the analysis of which ops
map to the Edge TPU, and edgetpu_compiler's own operation log when the compiler is installed.

- Input and output are int8. edgetpu_compiler (15 and later) takes TF2's int8 full-integer models
  as they are; uint8 I/O would only add Quantize ops at the graph's edges. The model is the tflite
  target's int8 model with a static batch of 1 (the Edge TPU needs static shapes, and TF2's
  converter otherwise leaves the batch dynamic), so the LiteRT backend runs it on the host: there
  is no Edge TPU simulator.
- edgetpu_compiler is closed source and x86-64 Debian only. Without it the artifact holds the
  uncompiled model and edgeaccel's analysis, and says so.
"""

import logging
import re
import shutil
from pathlib import Path

from edgeaccel.artifact import Artifact, read_artifact, write_manifest
from edgeaccel.convert import ConvertRequest, Target
from edgeaccel.convert.tflite import CalibratedOptions
from edgeaccel.details import EdgeTpuDetails
from edgeaccel.errors import ConfigError
from edgeaccel.staging import staged_directory

log = logging.getLogger(__name__)

MODEL_FILE = "model.tflite"
COMPILER = "edgetpu_compiler"
COMPILER_ABSENT = (f"{COMPILER} is not on PATH (closed source, x86-64 Debian only: apt package edgetpu-compiler from "
                   "Coral's repository); the op mapping is edgeaccel's analysis of the documented constraints")
_LOG_ROW = re.compile(r"^([A-Z][A-Z0-9_]*)\s+(\d+)\s+(\S.*?)\s*$")


class EdgeTpuOptions(CalibratedOptions):
    pass


def convert_edgetpu(request: ConvertRequest) -> Artifact:
    from edgeaccel.boards import load_board
    from edgeaccel.convert.tflite import export_int8
    from edgeaccel.readers.tflite_info import describe_tflite

    request = request.with_options(EdgeTpuOptions)
    if request.board is not None:
        board = load_board(request.board)
        if board.kind != "edgetpu":
            raise ConfigError(f"--board: expected an Edge TPU board for --target edgetpu, received {board.name!r} (kind {board.kind})")
    export = export_int8(request, batch_size=1)
    with staged_directory(request.out_dir) as staged:
        (staged / MODEL_FILE).write_bytes(export.flatbuffer)
        compiler = compile_for_edgetpu(staged / MODEL_FILE)
        details = EdgeTpuDetails(**describe_tflite(export.flatbuffer), **{
            "mode": "int8",
            "dense_quantization": export.dense_quantization,
            "io_type": "int8",
            "model_file": MODEL_FILE,
            "input_grid": export.grid.to_dict() if export.grid else None,
            "calibration_samples": export.calibration_samples,
            "compiler": compiler,
        })
        write_manifest(staged, "edgetpu", request.board, details, source=request.model_path)
    if not compiler["available"]:
        log.warning("edgetpu: %s", COMPILER_ABSENT)
    return read_artifact(request.out_dir)


def compile_for_edgetpu(model: Path) -> dict:
    """Run edgetpu_compiler beside `model` when it is installed; its version and per-op log."""
    from edgeaccel.tools import run_tool

    if shutil.which(COMPILER) is None:
        return {"available": False, "reason": COMPILER_ABSENT}
    version = run_tool([COMPILER, "--version"]).stdout.strip()
    result = run_tool([COMPILER, "-s", "-o", str(model.parent), str(model)])
    log_file = model.with_name(f"{model.stem}_edgetpu.log")
    text = log_file.read_text() if log_file.is_file() else result.stdout
    return {
        "available": True,
        "version": version,
        "model_file": f"{model.stem}_edgetpu.tflite",
        "log_file": log_file.name if log_file.is_file() else None,
        "operations": parse_compiler_log(text),
        "summary": [line.strip() for line in result.stdout.splitlines() if line.startswith("Number of")],
    }


def parse_compiler_log(text: str) -> list[dict]:
    """The rows of edgetpu_compiler's operation table: operator, count and status."""
    rows = (_LOG_ROW.match(line) for line in text.splitlines())
    return [{"operator": row.group(1), "count": int(row.group(2)), "status": row.group(3)} for row in rows if row]


TARGET = Target(
    name="edgetpu",
    title="Edge TPU model (LiteRT on the host)",
    summary="an int8 model for the Coral Edge TPU, its op mapping, and edgetpu_compiler's log when it is installed",
    convert=convert_edgetpu,
    Options=EdgeTpuOptions,
    Details=EdgeTpuDetails,
    simulator="tflite",
    board_kinds=("edgetpu",),
    default_board="coral-devboard",
    bundle_kind="edgetpu",
)

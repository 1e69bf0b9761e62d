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
from edgeaccel.errors import ConfigError, ToolError
from edgeaccel.staging import staged_directory

log = logging.getLogger(__name__)

MODEL_FILE = "model.tflite"
COMPILER = "edgetpu_compiler"
COMPILER_ABSENT = (f"{COMPILER} is not on PATH (closed source, x86-64 Debian only: apt package edgetpu-compiler from "
                   "Coral's repository); the op mapping is edgeaccel's analysis of the documented constraints")
_LOG_ROW = re.compile(r"^([A-Z][A-Z0-9_]*)\s+(\d+)\s+(\S.*?)\s*$")


def convert_edgetpu(request) -> Artifact:
    from edgeaccel.boards import load_board
    from edgeaccel.convert.tflite import export_int8
    from edgeaccel.convert.tflite_info import describe_tflite
    from edgeaccel.estimate.edgetpu import analyse_edgetpu

    if request.board is not None:
        board = load_board(request.board)
        if board.kind != "edgetpu":
            raise ConfigError(f"--board: expected an Edge TPU board for --target edgetpu, received {board.name!r} (kind {board.kind})")
    export = export_int8(request, batch_size=1)
    analysis = analyse_edgetpu(export.flatbuffer)
    with staged_directory(request.out_dir) as staged:
        (staged / MODEL_FILE).write_bytes(export.flatbuffer)
        compiler = compile_for_edgetpu(staged / MODEL_FILE, analysis)
        details = describe_tflite(export.flatbuffer) | {
            "mode": "int8",
            "io_type": "int8",
            "model_file": MODEL_FILE,
            "input_grid": export.grid.to_dict() if export.grid else None,
            "calibration_samples": export.calibration_samples,
            "mapping": analysis,
            "compiler": compiler,
        }
        write_manifest(staged, "edgetpu", request.board, details, source=request.model_path)
    summary = analysis["summary"]
    log.info("edgetpu: %d of %d ops map to the Edge TPU%s", summary["edgetpu"], summary["ops"],
             f"; CPU from op {summary['split']['index']} ({summary['split']['op']})" if summary["split"] else "")
    if not compiler["available"]:
        log.warning("edgetpu: %s", COMPILER_ABSENT)
    return read_artifact(request.out_dir)


def compile_for_edgetpu(model: Path, analysis: dict) -> dict:
    """Run edgetpu_compiler beside `model` when it is installed; its version and per-op log."""
    from edgeaccel.sim.csim_build import run_tool

    if shutil.which(COMPILER) is None:
        return {"available": False, "reason": COMPILER_ABSENT}
    version = run_tool([COMPILER, "--version"]).stdout.strip()
    try:
        result = run_tool([COMPILER, "-s", "-o", str(model.parent), str(model)])
    except ToolError as e:
        limits = "; ".join(analysis["compiler_limits"])
        raise ToolError(f"{e}{' (' + limits + ')' if limits else ''}") from e
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

"""The tflm target: the int8 model as C sources for TensorFlow Lite Micro, with its tensor arena measured.

The output directory holds model_data.cc/.h (the flatbuffer as a 16-byte aligned const array),
op_resolver.h (a MicroMutableOpResolver<N> with N = the model's distinct ops, each added once),
main.cc (interpreter setup and one inference, with the measured arena), CMakeLists.txt (to adapt),
and model.tflite (the same model, for the tflm and tflite simulation backends). The model has a
static batch of 1: a microcontroller runs one sample at a time.
"""

import logging
from typing import Literal

from pydantic import Field

from edgeaccel.artifact import Artifact, read_artifact, write_manifest
from edgeaccel.convert import ConvertRequest, Target
from edgeaccel.convert.tflite import CalibratedOptions
from edgeaccel.details import TflmDetails
from edgeaccel.errors import ConfigError
from edgeaccel.staging import staged_directory

log = logging.getLogger(__name__)

MODEL_FILE = "model.tflite"
DEFAULT_BOARD = "nano33ble"
DENSE_ON_MCU = ("TFLite Micro stores zero weights in flash and multiplies by them like any other value: "
                "sparsity saves neither flash nor time on a microcontroller")


class TflmOptions(CalibratedOptions):
    kernels: Literal["reference", "cmsis_nn"] = Field(
        "reference", description="TFLM kernels to build with: reference (default) or cmsis_nn (Arm Cortex-M); "
                                 "sets the build command and the flash estimate")


def convert_tflm(request: ConvertRequest) -> Artifact:
    from edgeaccel import __version__
    from edgeaccel.boards import load_board
    from edgeaccel.convert.mcu_toolchain import core_for, cross_compile_model_data
    from edgeaccel.convert.tflite import export_int8
    from edgeaccel.readers.tflite_graph import count_macs, read_graph
    from edgeaccel.readers.tflite_info import describe_tflite, kernel_sparsity
    from edgeaccel.convert.tflm_arena import measure_arena
    from edgeaccel.convert.tflm_sources import render_sources, resolver_ops

    request = request.with_options(TflmOptions)
    if request.board is None:
        log.info("tflm: no --board given; sizing for %s", DEFAULT_BOARD)
    board = load_board(request.board or DEFAULT_BOARD)
    if board.kind != "mcu":
        raise ConfigError(f"--board: expected an MCU board for --target tflm, received {board.name!r} (kind {board.kind})")
    export = export_int8(request, batch_size=1)
    graph = read_graph(export.flatbuffer)
    ops = resolver_ops(graph)
    info = describe_tflite(export.flatbuffer)
    core = core_for(board.mcu.core)
    with staged_directory(request.out_dir) as staged:
        (staged / MODEL_FILE).write_bytes(export.flatbuffer)
        arena = measure_arena(staged / MODEL_FILE)
        context = {"version": __version__, "source": request.model_path.name, "board": board.name, "chip": board.mcu.chip,
                   "core": board.mcu.core, "arena": arena, "input": info["inputs"][0], "output": info["outputs"][0],
                   "tflm_target_arch": core.tflm_target_arch, "gcc_flags": core.gcc_flags, "toolchain": core.toolchain,
                   "kernels": request.options.kernels}
        sources = render_sources(export.flatbuffer, graph, context)
        for name, text in sources.items():
            (staged / name).write_text(text)
        cross = cross_compile_model_data(staged, board.mcu.core)
        if not cross["available"]:
            log.warning("tflm: model_data.cc not cross-compiled: %s", cross["reason"])
        details = TflmDetails(**info, **{
            "mode": "int8",
            "dense_quantization": export.dense_quantization,
            "kernels": request.options.kernels,
            "model_file": MODEL_FILE,
            "input_grid": export.grid.to_dict() if export.grid else None,
            "calibration_samples": export.calibration_samples,
            "arena_bytes": arena["arena_bytes"],
            "arena": arena,
            "resolver": {"type": f"tflite::MicroMutableOpResolver<{len(ops)}>", "op_count": len(ops), "ops": ops},
            "macs": sum(count_macs(op) for op in graph.ops),
            "macs_per_op": [{"index": op.index, "op": op.name, "macs": count_macs(op)} for op in graph.ops if count_macs(op)],
            "sources": sorted(sources),
            "cross_compile": cross,
            "sparsity": kernel_sparsity(export.flatbuffer) | {"note": DENSE_ON_MCU},
        })
        write_manifest(staged, "tflm", board.name, details, source=request.model_path)
    log.info("tflm: %d-byte model, %d ops, arena %d bytes, for %s", info["bytes"], len(ops), arena["arena_bytes"], board.name)
    return read_artifact(request.out_dir)


TARGET = Target(
    name="tflm",
    title="TFLite Micro (host interpreter)",
    summary="C sources for TensorFlow Lite Micro on a microcontroller: the int8 model as a C array, the op resolver, "
            "main.cc and the measured tensor arena",
    convert=convert_tflm,
    Options=TflmOptions,
    Details=TflmDetails,
    simulator="tflm",
    board_kinds=("mcu",),
    default_board=DEFAULT_BOARD,
)

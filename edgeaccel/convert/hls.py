"""The hls target: a QKeras model to an hls4ml project whose C simulation equals QKeras bit for bit.

Precisions come from the QKeras quantizers; the types hls4ml would leave at its default are
pinned to exact ones (see `hls4ml_adapter.exact_graph`). Every layer is traced in the C++ (not in
synthesis), so csim can return any layer's output, the logits included.
"""

import logging
import shutil
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, PositiveInt

from edgeaccel.artifact import Artifact, read_artifact, write_manifest
from edgeaccel.convert import ConvertRequest, Target, TargetOptions
from edgeaccel.details import HlsDetails
from edgeaccel.errors import ConfigError, UnsupportedError
from edgeaccel.resources import hls_template
from edgeaccel.staging import staged_directory

log = logging.getLogger(__name__)

PROJECT_DIR = "hls4ml_prj"
DEFAULT_BOARD = "pynq-z2"
TESTBENCH_SAMPLES = 200
TESTBENCH_MAKEFILE = hls_template("testbench", "edgeaccel_testbench.mk")
PYNQ_DRIVER = hls_template("pynq", "edgeaccel_overlay.py")


class HlsOptions(TargetOptions):
    io_type: Literal["io_parallel", "io_stream"] = Field(
        "io_parallel", description="io_parallel (default: every layer's values at once) or io_stream (FIFOs between layers)")
    reuse_factor: PositiveInt = Field(1, description="multiplications per multiplier (default 1)")
    strategy: Literal["latency", "resource"] = Field("latency", description="latency (default) or resource")
    softmax: Literal["stable", "argmax", "drop"] = Field(
        "stable", description="a final softmax as stable (default) or argmax hardware, or drop it")


def convert_hls(request: ConvertRequest) -> Artifact:
    from edgeaccel.boards import load_board
    from edgeaccel.convert import hls4ml_adapter as hls
    from edgeaccel.models.files import load_model
    from edgeaccel.quantize.grid import input_grid

    request = request.with_options(HlsOptions)
    options = request.options.model_dump()
    board = load_board(request.board or DEFAULT_BOARD)
    if board.kind != "fpga":
        raise ConfigError(f"--board: expected an FPGA board for --target hls, received {board.name!r} (kind {board.kind})")
    qmodel = load_model(request.model_path)
    grid = input_grid(qmodel)
    if grid is None:
        raise UnsupportedError(
            "expected a QKeras model whose first layer quantizes its input (QActivation(quantized_bits(...))), "
            f"received first layer {type(qmodel.layers[1]).__name__}; without it csim cannot match QKeras"
        )
    model, softmax_layer = _model_for_hardware(qmodel, options["softmax"])
    hls.check_supported(model)
    backend = board.fpga.backend
    config = hls.config_from_qkeras(model, backend)
    _apply_options(config, options, softmax_layer)
    backend_options = _backend_options(board, options["io_type"])
    with staged_directory(request.out_dir) as staged:
        project = staged / PROJECT_DIR
        testbench = _testbench_data(request, model, grid, staged)
        backend_options |= testbench
        graph, config = hls.exact_graph(model, config, project, backend, options["io_type"], **backend_options)
        problems = hls.reuse_factor_problems(graph, backend, options["reuse_factor"])
        if problems:
            layer, valid = problems[0]
            raise ConfigError(f"--reuse-factor: expected one of {valid} for layer {layer!r}, received {options['reuse_factor']}")
        hls.write_project(graph)
        shutil.copy(TESTBENCH_MAKEFILE, project / TESTBENCH_MAKEFILE.name)
        if backend == "VivadoAccelerator":
            shutil.copy(PYNQ_DRIVER, staged / PYNQ_DRIVER.name)
        for path in testbench.values():
            Path(path).unlink()
        records = hls.layer_records(graph)
        n_in, n_out = hls.input_output_sizes(graph)
        details = HlsDetails(**{
            "project_dir": PROJECT_DIR,
            "backend": backend,
            "part": board.fpga.part,
            "clock_mhz": board.fpga.clock_mhz,
            **options,
            "softmax_layer": softmax_layer,
            "logits_layer": hls.softmax_input_layer(graph) or records[-1]["name"],
            "input_grid": grid.to_dict(),
            "n_in": n_in,
            "n_out": n_out,
            "output_shape": [int(d) for d in model.output_shape[1:]],
            "layers": records,
            "precisions": {r["name"]: {k: v for k, v in r.items() if k in ("result", "weight_type", "bias_type", "accum")}
                           for r in records},
            "hls_config": config,
            "sparsity": firmware_sparsity(records, options["strategy"]),
        })
        write_manifest(staged, "hls", board.name, details, source=request.model_path)
    log.info("hls: %s project for %s (%s, %s, reuse factor %d)", backend, board.name,
             options["io_type"], options["strategy"], options["reuse_factor"])
    return read_artifact(request.out_dir)


def firmware_sparsity(records: list[dict], strategy: str) -> dict:
    """Zero weights per layer of the firmware, and what the strategy does with them."""
    layers = {r["name"]: {"weights": r["weights"], "zeros": r["weights"] - r["nonzero_weights"],
                          "sparsity": (r["weights"] - r["nonzero_weights"]) / r["weights"]}
              for r in records if r.get("weights")}
    weights = sum(layer["weights"] for layer in layers.values())
    zeros = sum(layer["zeros"] for layer in layers.values())
    note = ("Latency strategy: every weight is a constant in the logic, so synthesis removes the products by zero "
            "weights (the estimate counts only non-zero ones)" if strategy == "latency" else
            "Resource strategy: the weights are read from memory and every product is computed, zeros included")
    return {"layers": layers, "total": {"weights": weights, "zeros": zeros, "sparsity": zeros / weights if weights else 0.0},
            "note": note}


def write_weights(artifact: Artifact, qmodel, directory: Path) -> Path:
    """Write the firmware weights of `qmodel` for the artifact's design into `directory`; return the
    weights folder. Refuses a model whose architecture or precisions differ from the artifact's."""
    from edgeaccel.boards import load_board
    from edgeaccel.convert import hls4ml_adapter as hls

    details = artifact.details
    model, _ = _model_for_hardware(qmodel, details["softmax"])
    board = load_board(artifact.board)
    graph = hls.convert_keras2(model, details["hls_config"], directory, details["backend"], details["io_type"],
                               **_backend_options(board, details["io_type"]))
    fields = ("name", "class", "result", "weight_type", "bias_type", "accum", "shape")
    built = [{k: r.get(k) for k in fields} for r in details["layers"]]
    given = [{k: r.get(k) for k in fields} for r in hls.layer_records(graph)]
    if built != given:
        first = next((b, g) for b, g in zip(built + [None] * len(given), given + [None] * len(built)) if b != g)
        raise UnsupportedError(f"weights-only reload: expected the architecture and precisions of {artifact.directory} "
                               f"(e.g. {first[0]}), received {first[1]}; convert the model again instead")
    hls.write_weights_only(graph)
    return directory / "firmware" / "weights"


def _model_for_hardware(qmodel, softmax: str):
    """The model hls4ml converts, and the name of its final softmax layer (None when there is none or it is dropped)."""
    last = qmodel.layers[-1]
    is_softmax = type(last).__name__ == "Activation" and last.activation.__name__ == "softmax"
    if not is_softmax:
        if getattr(getattr(last, "activation", None), "__name__", "") == "softmax":
            raise UnsupportedError(f"layer {last.name!r}: expected the softmax as its own Activation layer, received it fused into {type(last).__name__}")
        return qmodel, None
    if softmax == "drop":
        from edgeaccel.tfenv import tensorflow

        tf = tensorflow()
        return tf.keras.Model(qmodel.inputs, last.input, name=qmodel.name), None
    return qmodel, last.name


def _apply_options(config: dict, options: dict, softmax_layer: str | None) -> None:
    from edgeaccel.convert import hls4ml_adapter as hls

    strategy = options["strategy"].capitalize()
    config["Model"]["ReuseFactor"] = options["reuse_factor"]
    config["Model"]["Strategy"] = strategy
    for entry in config["LayerName"].values():
        entry["ReuseFactor"] = options["reuse_factor"]
        entry["Strategy"] = strategy
    if softmax_layer:
        hls.configure_softmax(config, softmax_layer, options["softmax"])
    hls.enable_trace(config)


def _backend_options(board, io_type: str) -> dict:
    options = {"part": board.fpga.part, "clock_period": round(1000.0 / board.fpga.clock_mhz, 3)}
    if board.fpga.backend == "VivadoAccelerator":
        options |= {"board": board.fpga.accelerator_board, "interface": "axi_stream", "driver": "python"}
    return options


def _testbench_data(request, model, grid, staged: Path) -> dict:
    """Golden inputs and QKeras outputs for hls4ml's testbench (tb_data/), from the calibration data."""
    from edgeaccel.data import read_npz

    path = request.calib_path or Path(request.model_path).parent / "calib.npz"
    if not Path(path).is_file():
        if request.calib_path:
            read_npz(path)
        log.info("hls: no calibration data beside the model; the testbench will run on zeros")
        return {}
    x, _ = read_npz(path)
    x = grid.quantize(x[:TESTBENCH_SAMPLES]).astype(np.float64)
    y = np.asarray(model.predict(x.astype(np.float32), verbose=0), dtype=np.float64)
    np.save(staged / "tb_input.npy", x)
    np.save(staged / "tb_output.npy", y)
    return {"input_data_tb": str(staged / "tb_input.npy"), "output_data_tb": str(staged / "tb_output.npy")}


TARGET = Target(
    name="hls",
    title="HLS csim (hls4ml, g++)",
    summary="an hls4ml project (HLS C++) for an FPGA board, whose C simulation equals QKeras bit for bit",
    convert=convert_hls,
    Options=HlsOptions,
    Details=HlsDetails,
    simulator="csim",
    board_kinds=("fpga",),
    default_board=DEFAULT_BOARD,
    bundle_kind="csim",
)

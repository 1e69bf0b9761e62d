"""The hls target: a QKeras or float Keras model to an hls4ml project whose C simulation equals
its fixed-point reference bit for bit.

The reference (`hls_reference`) is the given model made fully fixed-point: its own quantizers, an
input precision, and derived precisions for float layers, each change listed with its reason. Every
type in the firmware is the exact type of `exact_types`; `hls4ml_adapter` plans the whole hls4ml
configuration before converting once. Every layer is traced in the C++ (not in synthesis), so csim
can return any layer's output for the layer-by-layer check. The reference is saved in the
artifact as `reference.h5`: `sim`, `testbench` and `run` compare against it.
"""

import logging
import shutil
from pathlib import Path
from typing import Literal

import numpy as np
import pydantic
from pydantic import Field, PositiveInt

from edgeaccel.artifact import Artifact, read_artifact, write_manifest
from edgeaccel.convert import ConvertRequest, Target, TargetOptions
from edgeaccel.details import HlsDetails
from edgeaccel.errors import ConfigError, UnsupportedError
from edgeaccel.resources import hls_template
from edgeaccel.staging import staged_directory

log = logging.getLogger(__name__)

PROJECT_DIR = "hls4ml_prj"
REFERENCE_FILE = "reference.h5"
DEFAULT_BOARD = "pynq-z2"
TESTBENCH_SAMPLES = 200
CALIBRATION_SAMPLES = 2000
IO_PARALLEL_MAX_POSITIONS = 256
IO_PARALLEL_MAX_WINDOW = 16384
TESTBENCH_MAKEFILE = hls_template("testbench", "edgeaccel_testbench.mk")
PYNQ_DRIVER = hls_template("pynq", "edgeaccel_overlay.py")


class HlsOptions(TargetOptions):
    io_type: Literal["auto", "io_parallel", "io_stream"] = Field(
        "auto", description="auto (default: io_stream when a convolution or pooling layer has more than "
                            f"{IO_PARALLEL_MAX_POSITIONS} output positions or {IO_PARALLEL_MAX_WINDOW} window values), "
                            "io_parallel (every layer's values at once) or io_stream (FIFOs between layers)")
    input_precision: str | None = Field(
        None, description="the input type in hls4ml syntax, e.g. fixed<16,6> (default: the model's input quantizer, "
                          "else the smallest type covering the calibration data)")
    reuse_factor: PositiveInt = Field(1, description="multiplications per multiplier (default 1; a layer that cannot "
                                                     "take it gets the closest valid one)")
    strategy: Literal["latency", "resource"] = Field("latency", description="latency (default) or resource")
    softmax: Literal["stable", "argmax", "drop"] = Field(
        "stable", description="a final softmax as stable (default, tables sized from the logits) or argmax hardware, "
                              "or drop it")

    @pydantic.field_validator("input_precision")
    @classmethod
    def _hls4ml_syntax(cls, value: str | None) -> str | None:
        from edgeaccel.quantize.fixed import parse_precision

        if value is not None:
            try:
                parse_precision(value)
            except ConfigError as e:
                raise ValueError(str(e).split(": ", 1)[-1].rsplit(", received", 1)[0]) from e
        return value


def convert_hls(request: ConvertRequest) -> Artifact:
    from edgeaccel.boards import load_board
    from edgeaccel.convert import hls4ml_adapter as hls
    from edgeaccel.convert.exact_types import FLOAT32_SIGNIFICAND_BITS, layer_values, propagate
    from edgeaccel.convert.hls_reference import accuracy_cost, build_reference
    from edgeaccel.models.files import load_model, save_model

    request = request.with_options(HlsOptions)
    options = request.options.model_dump()
    board = load_board(request.board or DEFAULT_BOARD)
    if board.kind != "fpga":
        raise ConfigError(f"--board: expected an FPGA board for --target hls, received {board.name!r} (kind {board.kind})")
    model = load_model(request.model_path)
    calibration, labels = _calibration(request)
    reference = build_reference(model, calibration, options["input_precision"], options["softmax"])
    reference, softmax_layer = _softmax_choice(reference, options["softmax"])
    types = propagate(reference.model, reference.grid.fixed_type)
    values = {layer.name: layer_values(layer) for layer in reference.model.layers}
    softmax_config, softmax_tables = _softmax_config(reference, types, softmax_layer, options["softmax"], calibration)
    io_type, io_reason = _io_type(options["io_type"], reference.model)
    log.info("hls: %s (%s)", io_type, io_reason)
    log.info("hls: input %s, from %s", reference.grid.precision, reference.grid_source)
    for change in reference.changes:
        log.info("hls: %s: %s (%s)", change["layer"], change["change"], change["reason"])
    for note in reference.notes:
        log.warning("hls: %s", note)
    backend = board.fpga.backend
    plan = hls.plan_design(reference.model, types, values, backend=backend, io_type=io_type,
                           reuse_factor=options["reuse_factor"], strategy=options["strategy"], softmax=softmax_config)
    for note in plan.reuse_notes:
        log.warning("hls: %s", note)
    cost = None
    if calibration is not None and reference.changes:
        cost = accuracy_cost(model, reference.model, reference.grid, calibration, labels)
    with staged_directory(request.out_dir) as staged:
        project = staged / PROJECT_DIR
        testbench = _testbench_data(reference, calibration, staged)
        graph = hls.build_design(plan, project, testbench, **_backend_options(board))
        hls.write_project(graph)
        shutil.copy(TESTBENCH_MAKEFILE, project / TESTBENCH_MAKEFILE.name)
        if backend == "VivadoAccelerator":
            shutil.copy(PYNQ_DRIVER, staged / PYNQ_DRIVER.name)
        for path in testbench.values():
            Path(path).unlink()
        save_model(reference.model, staged / REFERENCE_FILE)
        inexact = {name for name, t in types.items() if t.float32_bits > FLOAT32_SIGNIFICAND_BITS or not t.exact}
        records = hls.layer_records(graph, plan.twins, inexact)
        n_in, n_out = hls.input_output_sizes(graph)
        details = HlsDetails(**{
            "project_dir": PROJECT_DIR,
            "reference_model": REFERENCE_FILE,
            "backend": backend,
            "part": board.fpga.part,
            "clock_mhz": board.fpga.clock_mhz,
            "io_type": io_type,
            "strategy": options["strategy"],
            "reuse_factor": options["reuse_factor"],
            "softmax": options["softmax"],
            "io_type_reason": io_reason,
            "softmax_layer": softmax_layer,
            "softmax_tables": softmax_tables,
            "logits_layer": _logits_layer(reference.model, softmax_layer),
            "output_layer": reference.model.layers[-1].name,
            "input_grid": reference.grid.to_dict(),
            "input_precision": {"precision": reference.grid.precision, "source": reference.grid_source},
            "reference": {"changes": reference.changes, "notes": reference.notes, "cost_on_calibration": cost,
                          "description": _reference_description(reference)},
            "reuse_factor_notes": plan.reuse_notes,
            "n_in": n_in,
            "n_out": n_out,
            "output_shape": [int(d) for d in reference.model.output_shape[1:]],
            "layers": records,
            "precisions": {r["name"]: {k: v for k, v in r.items() if k in ("result", "weight_type", "bias_type", "accum")}
                           for r in records},
            "hls_config": plan.config,
            "sparsity": firmware_sparsity(records, options["strategy"]),
        })
        write_manifest(staged, "hls", board.name, details, source=request.model_path)
    log.info("hls: %s project for %s (%s, %s, reuse factor %d)", backend, board.name,
             io_type, options["strategy"], options["reuse_factor"])
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


def reference_for(artifact: Artifact, qmodel):
    """The fixed-point reference of `qmodel` (e.g. a retrain of the artifact's model) made as the artifact's was:
    its input precision, softmax choice and the changes that need no calibration data. Pass it to
    `sim.fidelity.csim_fidelity` to check csim running `qmodel`'s weights (`write_weights`)."""
    return _reference_for(artifact, qmodel)[0].model


def _reference_for(artifact: Artifact, qmodel):
    from edgeaccel.convert.hls_reference import build_reference

    details = artifact.details
    reference = build_reference(qmodel, None, details.input_precision.precision, details.softmax)
    return _softmax_choice(reference, details.softmax)


def design_for(artifact: Artifact, qmodel, directory: Path):
    """The hls4ml graph of `qmodel` (a retrain of the artifact's model) with the artifact's design choices,
    written nowhere yet; refuses a model whose architecture or precisions differ from the artifact's."""
    from edgeaccel.boards import load_board
    from edgeaccel.convert import hls4ml_adapter as hls
    from edgeaccel.convert.exact_types import layer_values, propagate

    details = artifact.details
    reference, softmax_layer = _reference_for(artifact, qmodel)
    types = propagate(reference.model, reference.grid.fixed_type)
    values = {layer.name: layer_values(layer) for layer in reference.model.layers}
    softmax = {k: v for k, v in details.hls_config["LayerName"].get(softmax_layer or "", {}).items()
               if k not in ("Trace", "Strategy", "ReuseFactor")} or None
    plan = hls.plan_design(reference.model, types, values, backend=details.backend, io_type=details.io_type,
                           reuse_factor=details.reuse_factor, strategy=details.strategy, softmax=softmax)
    graph = hls.build_design(plan, directory, None, **_backend_options(load_board(artifact.board)))
    fields = ("name", "class", "result", "weight_type", "bias_type", "accum", "shape")
    built = [{k: r.get(k) for k in fields} for r in details.layers]
    given = [{k: r.get(k) for k in fields} for r in hls.layer_records(graph, plan.twins)]
    if built != given:
        first = next((b, g) for b, g in zip(built + [None] * len(given), given + [None] * len(built)) if b != g)
        raise UnsupportedError(f"weights-only reload: expected the architecture and precisions of {artifact.directory} "
                               f"(e.g. {first[0]}), received {first[1]}; convert the model again instead")
    return graph


def write_weights(artifact: Artifact, qmodel, directory: Path) -> Path:
    """Write the firmware weights of `qmodel` for the artifact's design into `directory`; return the
    weights folder. Refuses a model whose architecture or precisions differ from the artifact's."""
    from edgeaccel.convert import hls4ml_adapter as hls

    hls.write_weights_only(design_for(artifact, qmodel, directory))
    return directory / "firmware" / "weights"


def _calibration(request) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The calibration inputs (and labels, when the file has them): --calib, else calib.npz beside the model."""
    from edgeaccel.data import read_npz

    path = request.calib_path or Path(request.model_path).parent / "calib.npz"
    if not Path(path).is_file() and not request.calib_path:
        log.info("hls: no calibration data beside the model; the testbench will run on zeros")
        return None, None
    x, y = read_npz(path)
    return x[:CALIBRATION_SAMPLES], (None if y is None else y[:CALIBRATION_SAMPLES])


def _softmax_choice(reference, softmax: str):
    """The reference without its final softmax when it is dropped, and the softmax layer's name otherwise."""
    from dataclasses import replace

    from edgeaccel.tfenv import tensorflow

    model = reference.model
    softmaxes = [l.name for l in model.layers if type(l).__name__ == "Activation" and l.activation.__name__ == "softmax"]
    last = model.layers[-1].name
    inner = [name for name in softmaxes if name != last]
    if inner:
        raise UnsupportedError(f"layer {inner[0]!r}: expected a softmax only as the last layer, received one inside the model")
    if not softmaxes:
        return reference, None
    if softmax == "drop":
        tf = tensorflow()
        truncated = tf.keras.Model(model.inputs, model.layers[-1].input, name=model.name)
        return replace(reference, model=truncated), None
    return reference, last


def _softmax_config(reference, types, softmax_layer, implementation, calibration):
    from edgeaccel.convert.hls_softmax import size_softmax
    from edgeaccel.quantize.fixed import FixedType

    if softmax_layer is None:
        return None, None
    if implementation == "argmax":
        return {"Implementation": "argmax", "Precision": {"result": FixedType(1, 1, False).text()}}, None
    model = reference.model
    logits_name = _logits_layer(model, softmax_layer)
    logits = None
    if calibration is not None:
        from edgeaccel.tfenv import tensorflow

        tf = tensorflow()
        probe = tf.keras.Model(model.inputs, model.get_layer(logits_name).output)
        logits = np.asarray(probe.predict(reference.grid.quantize(calibration), verbose=0, batch_size=1024))
    classes = int(np.prod(model.output_shape[1:]))
    tables = size_softmax(types[logits_name].result, classes, logits)
    return tables.layer_config(), tables.describe()


def _logits_layer(model, softmax_layer: str | None) -> str:
    from edgeaccel.convert.exact_types import inbound_layers

    if softmax_layer is None:
        return model.layers[-1].name
    return inbound_layers(model)[softmax_layer][0]


def _io_type(requested: str, model) -> tuple[str, str]:
    """The rule: io_stream when a convolution or pooling layer has more than IO_PARALLEL_MAX_POSITIONS output
    positions, or more than IO_PARALLEL_MAX_WINDOW input values in all its windows together (positions x
    kernel area x input channels): io_parallel unrolls every window, and g++ and the HLS tools take minutes
    and gigabytes over it. io_parallel otherwise (lower latency)."""
    if requested != "auto":
        return requested, "as requested"
    worst = None
    for layer in model.layers:
        kind = type(layer).__name__
        if not ("Conv" in kind or ("Pooling" in kind and "Global" not in kind)):
            continue
        positions = int(np.prod(layer.output_shape[1:-1]))
        kernel = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", (1,))
        window = positions * int(np.prod(kernel)) * int(layer.input_shape[-1])
        if positions > IO_PARALLEL_MAX_POSITIONS or window > IO_PARALLEL_MAX_WINDOW:
            return "io_stream", (f"layer {layer.name!r} has {positions} output positions and {window} window values, more "
                                 f"than io_parallel's {IO_PARALLEL_MAX_POSITIONS} and {IO_PARALLEL_MAX_WINDOW}: it would "
                                 f"unroll every window")
        worst = max(worst or (0, 0, ""), (positions, window, layer.name))
    if worst is None:
        return "io_parallel", "no convolution: every layer unrolled"
    return "io_parallel", (f"at most {worst[0]} output positions and {worst[1]} window values per convolution (io_parallel "
                           f"up to {IO_PARALLEL_MAX_POSITIONS} and {IO_PARALLEL_MAX_WINDOW})")


def _reference_description(reference) -> str:
    if not reference.changes:
        return f"the model itself, with its inputs quantized to {reference.grid.precision}"
    return (f"the model with its inputs quantized to {reference.grid.precision} and {len(reference.changes)} "
            f"change(s) listed in `changes`")


def _backend_options(board) -> dict:
    options = {"part": board.fpga.part, "clock_period": round(1000.0 / board.fpga.clock_mhz, 3)}
    if board.fpga.backend == "VivadoAccelerator":
        options |= {"board": board.fpga.accelerator_board, "interface": "axi_stream", "driver": "python"}
    return options


def _testbench_data(reference, calibration: np.ndarray | None, staged: Path) -> dict:
    """Golden inputs (on the input grid) and the reference's outputs for hls4ml's testbench (tb_data/)."""
    if calibration is None:
        return {}
    x = reference.grid.quantize(calibration[:TESTBENCH_SAMPLES]).astype(np.float64)
    y = np.asarray(reference.model.predict(x.astype(np.float32), verbose=0), dtype=np.float64)
    np.save(staged / "tb_input.npy", x.reshape(len(x), -1))
    np.save(staged / "tb_output.npy", y.reshape(len(y), -1))
    return {"inputs": str(staged / "tb_input.npy"), "outputs": str(staged / "tb_output.npy")}


TARGET = Target(
    name="hls",
    title="HLS csim (hls4ml, g++)",
    summary="an hls4ml project (HLS C++) for an FPGA board, whose C simulation equals its fixed-point reference bit for bit",
    convert=convert_hls,
    Options=HlsOptions,
    Details=HlsDetails,
    simulator="csim",
    board_kinds=("fpga",),
    default_board=DEFAULT_BOARD,
    bundle_kind="csim",
)

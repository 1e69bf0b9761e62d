"""The TFLite target: int8 full-integer (int8 input and output), float16, dynamic-range or float32.

The model converted is `plain_keras_model(qmodel)`: plain Keras layers carrying the QKeras
quantized weights, so no float quantizer ops reach the graph.
"""

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from typing import Literal

from pydantic import Field, PositiveInt

from edgeaccel.artifact import Artifact, write_manifest
from edgeaccel.convert import ConvertRequest, Target, TargetOptions
from edgeaccel.details import TfliteDetails
from edgeaccel.readers.tflite_info import describe_tflite
from edgeaccel.errors import DataError, ModelError
from edgeaccel.quantize.grid import InputGrid
from edgeaccel.progress import progress_bar
from edgeaccel.staging import staged_directory
from edgeaccel.tfenv import quiet_native_stderr, tensorflow

log = logging.getLogger(__name__)

MODEL_FILE = "model.tflite"


class CalibratedOptions(TargetOptions):
    calibration_samples: PositiveInt = Field(300, description="int8: how many calibration samples to use (default 300)")
    # Per-tensor Dense weights drop the per-channel scale arrays and the per-channel requantization
    # buffers, so the flatbuffer and the TFLite Micro arena are smaller.
    dense_quantization: Literal["per_channel", "per_tensor"] = Field(
        "per_channel", description="int8: Dense weights per output channel (default) or per tensor (a smaller model and "
                                   "TFLite Micro arena)")


class TfliteOptions(CalibratedOptions):
    mode: Literal["int8", "float16", "dynamic", "float32"] = Field(
        "int8", description="int8 full-integer (default), float16, dynamic range or float32")


def convert_tflite(request: ConvertRequest) -> Artifact:
    from edgeaccel.models.files import load_model
    from edgeaccel.quantize.export import plain_keras_model
    from edgeaccel.quantize.grid import input_grid

    request = request.with_options(TfliteOptions)
    mode = request.options.mode
    dense = request.options.dense_quantization
    qmodel = load_model(request.model_path)
    grid = input_grid(qmodel)
    calibration = calibration_data(request, qmodel, grid) if mode == "int8" else None
    plain = plain_keras_model(qmodel)
    flatbuffer = to_tflite(plain_keras_model(qmodel, int8=True) if mode == "int8" else plain, mode, calibration, dense)
    reference = to_tflite(plain, "float32", None) if mode != "float32" else flatbuffer
    with staged_directory(request.out_dir) as staged:
        (staged / MODEL_FILE).write_bytes(flatbuffer)
        details = TfliteDetails(**describe_tflite(flatbuffer), **{
            "mode": mode,
            "dense_quantization": dense if mode == "int8" else None,
            "model_file": MODEL_FILE,
            "input_grid": grid.to_dict() if grid else None,
            "calibration_samples": 0 if calibration is None else len(calibration),
            "float32_reference": {"bytes": len(reference), "weight_bytes": describe_tflite(reference)["weight_bytes"]},
        })
        write_manifest(staged, "tflite", request.board, details, source=request.model_path)
    log.info("tflite: %s model, %d bytes (float32: %d bytes)", mode, len(flatbuffer), len(reference))
    from edgeaccel.artifact import read_artifact

    return read_artifact(request.out_dir)


@dataclass(frozen=True)
class Int8Export:
    """A full-integer int8 flatbuffer (int8 input and output) and what a backend needs to feed it."""

    flatbuffer: bytes
    grid: InputGrid | None
    calibration_samples: int
    dense_quantization: str


def export_int8(request, batch_size: int | None = None) -> Int8Export:
    """The int8 flatbuffer of `request.model_path`; `batch_size` fixes the batch dimension (static shapes)."""
    from edgeaccel.models.files import load_model
    from edgeaccel.quantize.export import plain_keras_model
    from edgeaccel.quantize.grid import input_grid

    dense = request.options.dense_quantization
    qmodel = load_model(request.model_path)
    grid = input_grid(qmodel)
    calibration = calibration_data(request, qmodel, grid)
    plain = plain_keras_model(qmodel, int8=True)
    if batch_size is not None:
        plain = with_static_batch(plain, batch_size)
    return Int8Export(to_tflite(plain, "int8", calibration, dense), grid, len(calibration), dense)


def with_static_batch(plain_model, batch_size: int):
    """The same model with a fixed batch dimension, so every tensor of the flatbuffer has a static shape."""
    tf = tensorflow()
    inputs = tf.keras.Input(batch_size=batch_size, shape=plain_model.input_shape[1:], name=plain_model.input_names[0])
    return tf.keras.Model(inputs, plain_model(inputs), name=plain_model.name)


def calibration_data(request, qmodel, grid) -> np.ndarray:
    """Calibration samples for int8 (`--calib`, or calib.npz beside the model), snapped to the input grid."""
    from edgeaccel.data import check_against_input, read_npz
    from edgeaccel.models.files import input_shape

    calib_path = request.calib_path or _default_calibration(request.model_path)
    x, _ = read_npz(calib_path)
    check_against_input(x, input_shape(qmodel), f"{calib_path}: x")
    limit = request.options.calibration_samples
    return x[:limit] if grid is None else grid.quantize(x[:limit])


def to_tflite(plain_model, mode: str, calibration: np.ndarray | None, dense: str = "per_channel") -> bytes:
    tf = tensorflow()
    converter = tf.lite.TFLiteConverter.from_keras_model(plain_model)
    converter._experimental_disable_per_channel_quantization_for_dense_layers = dense == "per_tensor"
    if mode in ("int8", "float16", "dynamic"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if mode == "int8":
        samples = calibration.astype(np.float32)

        def representative_dataset():
            with progress_bar(len(samples), "calibration", unit="sample") as bar:
                for sample in samples:
                    yield [sample[np.newaxis]]
                    bar.update(1)

        converter.representative_dataset = representative_dataset
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    with warnings.catch_warnings(), quiet_native_stderr():
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs were expected")
        flatbuffer = converter.convert()
    if mode == "int8":
        check_calibrated(flatbuffer)
        flatbuffer = _biases_on_the_kernels_grid(flatbuffer)
    return flatbuffer


def _biases_on_the_kernels_grid(flatbuffer: bytes) -> bytes:
    from edgeaccel.convert.tflite_bias import requantize_biases

    flatbuffer, changes = requantize_biases(flatbuffer)
    if changes:
        log.info("int8: requantized %d biases to input scale x weight scale (TF's quantizer had scaled them for a calibrated "
                 "input range where a fake quantization sets it: they were %s times too large)", len(changes),
                 ", ".join(f"{c['factor']:.2f}" for c in changes))
    return flatbuffer


def check_calibrated(flatbuffer: bytes) -> None:
    """Refuse an int8 model with a tensor that was constant on all calibration samples (LiteRT and TFLM abort on it)."""
    from edgeaccel.readers.tflite_info import constant_tensors

    constant = constant_tensors(flatbuffer)
    if constant:
        name, scale = constant[0]
        raise ModelError(f"int8 calibration: expected every tensor to vary over the calibration data, received {len(constant)} "
                         f"constant (first {name!r}, int8 scale {scale:.3g}), which LiteRT and TFLite Micro abort on; "
                         "calibrate on more varied data (--calib), or check the model for layers whose outputs are always 0")


def _default_calibration(model_path: Path) -> Path:
    beside = Path(model_path).parent / "calib.npz"
    if beside.is_file():
        return beside
    raise DataError(
        f"int8 conversion needs calibration data: expected --calib DATA.npz (or calib.npz beside {model_path}), received none"
    )


TARGET = Target(
    name="tflite",
    title="TFLite (LiteRT)",
    summary="a .tflite for Linux boards and phones: int8 full-integer, float16, dynamic range or float32",
    convert=convert_tflite,
    Options=TfliteOptions,
    Details=TfliteDetails,
    simulator="tflite",
    board_kinds=("linux", "edgetpu"),
    bundle_kind="tflite",
    in_new_projects=True,
)

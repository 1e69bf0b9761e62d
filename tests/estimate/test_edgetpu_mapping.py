import warnings

import numpy as np
import pytest

from conftest import error_line, run_cli
from edgeaccel.convert.tflite import to_tflite, with_static_batch
from edgeaccel.errors import ModelError
from edgeaccel.estimate import estimate_artifact
from edgeaccel.estimate.edgetpu import analyse_edgetpu
from edgeaccel.tfenv import tensorflow


def _int8(model, batches: np.ndarray, float_fallback: bool = False) -> bytes:
    """Full-integer int8 conversion (calibrated on `batches`); with `float_fallback`, ops without an int8 kernel stay float."""
    tf = tensorflow()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([batch] for batch in batches)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8] + (
        [tf.lite.OpsSet.TFLITE_BUILTINS] if float_fallback else [])
    converter.inference_input_type = converter.inference_output_type = tf.int8
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs were expected")
        return converter.convert()


def _cpu_rows(analysis):
    return [(row["index"], row["op"]) for row in analysis["ops"] if row["maps_to"] == "cpu"]


def test_an_unsupported_op_splits_the_graph(tmp_path, grid_inputs):
    """A QKeras MLP with a LeakyReLU, through the edgetpu target: Dense maps, LeakyReLU and all after it fall back."""
    from qkeras import QActivation, QDense, quantized_bits

    from edgeaccel.targets import ConvertRequest, convert
    from edgeaccel.data import write_npz
    from edgeaccel.models.files import save_model

    tf = tensorflow()
    weights = {"kernel_quantizer": quantized_bits(8, 0, alpha=1), "bias_quantizer": quantized_bits(8, 0, alpha=1)}
    inputs = tf.keras.Input((8, 8, 1), name="features")
    x = QActivation(quantized_bits(8, 0, keep_negative=False, alpha=1), name="input_quant")(inputs)
    x = tf.keras.layers.Flatten(name="flatten")(x)
    x = tf.keras.layers.LeakyReLU(0.1, name="leaky")(QDense(32, name="dense0", **weights)(x))
    x = tf.keras.layers.Activation("softmax", name="softmax")(QDense(10, name="logits", **weights)(x))
    save_model(tf.keras.Model(inputs, x), tmp_path / "model.h5")
    write_npz(tmp_path / "calib.npz", grid_inputs[:100])
    mapping = convert(ConvertRequest(tmp_path / "model.h5", tmp_path / "edgetpu"), "edgetpu").estimate
    assert [(row["op"], row["maps_to"]) for row in mapping["ops"]] == [
        ("RESHAPE", "edgetpu"), ("FULLY_CONNECTED", "edgetpu"), ("LEAKY_RELU", "cpu"), ("FULLY_CONNECTED", "cpu"),
        ("SOFTMAX", "cpu")]
    assert mapping["summary"]["split"] == {"index": 2, "op": "LEAKY_RELU", "reason": "LEAKY_RELU is not an Edge TPU op"}
    assert mapping["summary"]["edgetpu"] == 2 and mapping["summary"]["cpu"] == 3 and not mapping["summary"]["fully_mapped"]
    assert mapping["ops"][3]["reason"] == "after the split at op 2 (LEAKY_RELU): the CPU runs the rest of the graph"


def test_a_float_only_op_falls_back_from_its_dequantize_on():
    tf = tensorflow()
    inputs = tf.keras.Input(batch_size=1, shape=(16,))
    x = tf.keras.layers.Lambda(lambda t: tf.math.sin(t))(tf.keras.layers.Dense(8)(inputs))
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(4)(x))
    batches = np.random.default_rng(0).uniform(-1, 1, (50, 1, 16)).astype(np.float32)
    analysis = analyse_edgetpu(_int8(model, batches, float_fallback=True))
    assert [row["op"] for row in analysis["ops"]] == ["FULLY_CONNECTED", "DEQUANTIZE", "SIN", "QUANTIZE", "FULLY_CONNECTED"]
    assert _cpu_rows(analysis) == [(1, "DEQUANTIZE"), (2, "SIN"), (3, "QUANTIZE"), (4, "FULLY_CONNECTED")]
    assert analysis["summary"]["split"]["op"] == "DEQUANTIZE" and "float32" in analysis["summary"]["split"]["reason"]


def test_more_than_three_nontrivial_dimensions_fall_back():
    tf = tensorflow()
    inputs = tf.keras.Input((6, 6, 2))
    x = tf.keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(3)(tf.keras.layers.Flatten()(x)))
    samples = np.random.default_rng(0).uniform(0, 1, (30, 6, 6, 2)).astype(np.float32)
    single = analyse_edgetpu(_int8(with_static_batch(model, 1), samples.reshape(30, 1, 6, 6, 2)))
    assert single["summary"]["fully_mapped"]
    pair = analyse_edgetpu(_int8(with_static_batch(model, 2), samples.reshape(15, 2, 6, 6, 2)))
    assert pair["ops"][0]["op"] == "CONV_2D" and pair["ops"][0]["maps_to"] == "cpu"
    assert "[2, 6, 6, 2], 4 dimensions larger than 1: the Edge TPU takes at most 3" in pair["ops"][0]["reason"]
    assert pair["summary"]["edgetpu"] == 0


def test_one_model_gets_one_mapping_whatever_its_batch_dimension(digits_build, tmp_path):
    """issue 13 item 6: a tflite artifact (batch -1) maps as its edgetpu twin (batch 1), and says what it assumed."""
    run_cli("convert", digits_build / "model.h5", "--target", "edgetpu", "-o", tmp_path / "edgetpu", "--quiet", check=True)
    dynamic = estimate_artifact(digits_build / "tflite", "coral-devboard")
    static = estimate_artifact(tmp_path / "edgetpu", "coral-devboard")
    assert dynamic["summary"] == static["summary"] and dynamic["summary"]["fully_mapped"]
    assert dynamic["summary"]["edgetpu"] == dynamic["summary"]["ops"] > 0
    assert "batch dimension is dynamic (-1); read as 1" in dynamic["assumptions"][0] and static["assumptions"] == []
    assert not dynamic["compiler"]["available"] and "convert with --target edgetpu" in dynamic["compiler"]["reason"]
    strict = analyse_edgetpu((digits_build / "tflite" / "model.tflite").read_bytes(), batch_as_one=False)
    assert strict["summary"]["split"]["index"] == 0 and strict["summary"]["edgetpu"] == 0
    assert "dynamic shape [-1, 8, 8, 1]: the Edge TPU needs static shapes" in strict["summary"]["split"]["reason"]


def test_a_non_int8_model_is_refused(digits_build, tmp_path):
    tf = tensorflow()
    inputs = tf.keras.Input(batch_size=1, shape=(4,))
    with pytest.raises(ModelError, match=r"expected a full-integer int8 \.tflite \(8-bit activations\), received one whose "
                                         r"activations are float32"):
        analyse_edgetpu(to_tflite(tf.keras.Model(inputs, tf.keras.layers.Dense(2)(inputs)), "float32", None))
    run_cli("convert", digits_build / "model.h5", "--target", "tflite", "--mode", "float16", "-o", tmp_path / "fp16", "--quiet",
            check=True)
    result = run_cli("estimate", tmp_path / "fp16", "--board", "rpi4-coral-usb")
    assert "edgetpu: expected a full-integer int8 .tflite (8-bit activations), received one whose activations are float32" \
        in error_line(result)
    assert result.returncode == 2
    with pytest.raises(ModelError, match="expected a .tflite flatbuffer"):
        analyse_edgetpu(b"not a flatbuffer at all")

"""TFLite Micro against LiteRT's reference kernels: equal, different by FULLY_CONNECTED rounding alone, or not
explained. Real interpreters on small plain Keras models converted here (the MLPerf Tiny models are in
tests/test_mlperf_tiny.py)."""

import numpy as np
import pytest

from edgeaccel.convert.tflite import to_tflite
from edgeaccel.sim.tflm_fidelity import double_rounding, quantize_multiplier, tflm_fidelity, trace_differences
from edgeaccel.tfenv import tensorflow


def test_fixed_point_rescaling_differs_from_double_precision_only_near_a_rounding_boundary():
    # The case that made the untrained MLPerf Tiny autoencoder differ (its last FULLY_CONNECTED, right shift 3): TFLM's
    # two roundings give -64 where the exact value, -63.44, rounds to -63 as LiteRT's double precision does.
    assert double_rounding(np.array([-922]), np.array([1182072155]), np.array([-3]))[0] == -64
    assert quantize_multiplier(1182072155 / 2 ** 31 / 8) == (1182072155, -3)
    rng = np.random.default_rng(0)
    accumulators = rng.integers(-2**20, 2**20, 200_000)
    real = rng.uniform(2.0 ** -14, 0.99, 200_000)
    pairs = [quantize_multiplier(m) for m in real]
    multiplier, shift = np.array([q for q, _ in pairs]), np.array([s for _, s in pairs])
    fixed = double_rounding(accumulators, multiplier, shift)
    exact = accumulators * (multiplier / 2.0 ** 31) * 2.0 ** shift
    nearest = np.sign(exact) * np.floor(np.abs(exact) + 0.5)
    differ = fixed != nearest
    assert np.abs(fixed - nearest).max() == 1
    # They differ only within 2^-(r+1) of a half-way point, r being the right shift: the first rounding's reach.
    distance = np.abs(np.abs(exact - np.trunc(exact)) - 0.5)
    assert np.all(distance[differ] <= 2.0 ** (shift[differ] - 1))
    assert 0.08 < differ.mean() < 0.09  # measured: 8.5% of these, most with right shifts of 0-3


def _small_models(tmp_path):
    """A small CNN without FULLY_CONNECTED and an MLP, int8, each with its calibration set."""
    tf = tensorflow()
    L = tf.keras.layers
    tf.keras.utils.set_random_seed(0)
    cnn_in = tf.keras.Input((12, 12, 2))
    h = L.DepthwiseConv2D(3, padding="same", activation="relu")(L.Conv2D(8, 3, activation="relu")(cnn_in))
    h = L.Conv2D(5, 1)(L.AveragePooling2D(pool_size=5)(h))
    cnn = tf.keras.Model(cnn_in, L.Softmax()(L.Flatten()(h)))
    mlp_in = tf.keras.Input((40,))
    mlp = tf.keras.Model(mlp_in, L.Dense(300)(L.Dense(32, activation="relu")(mlp_in)))
    rng = np.random.default_rng(1)
    paths = {}
    for name, model, shape in (("cnn", cnn, (12, 12, 2)), ("mlp", mlp, (40,))):
        x = rng.uniform(-1, 1, (64, *shape)).astype(np.float32)
        paths[name] = (tmp_path / f"{name}.tflite", x)
        paths[name][0].write_bytes(to_tflite(model, "int8", x))
    return paths


def test_tflm_equals_litert_reference_kernels_or_differs_by_fully_connected_rounding_alone(tmp_path):
    models = _small_models(tmp_path)
    path, x = models["cnn"]
    cnn = tflm_fidelity(path, x, "classification")
    assert cnn["ok"] and cnn["exact_fraction"] == 1.0 and cnn["starts"] == []
    assert cnn["verdict"].endswith("outputs equal on 64 of 64 samples, bit for bit")
    path, x = models["mlp"]
    mlp = tflm_fidelity(path, x, "regression")
    # Measured: 42 of 64 samples equal; 22 differ, starting at the 300-wide FULLY_CONNECTED (op 1) in 19 (24 elements)
    # and at the first (op 0) in 3.
    assert mlp["ok"] and mlp["exact_fraction"] == 42 / 64
    assert mlp["rounding_fraction"] == 1 - mlp["exact_fraction"] and mlp["unexplained_fraction"] == 0
    assert [(s["op"], s["name"], s["status"], s["samples"], s["elements"]) for s in mlp["starts"]] == [
        (0, "FULLY_CONNECTED", "rounding", 3, 3), (1, "FULLY_CONNECTED", "rounding", 19, 24)]
    assert all("every TFLM output is the fixed-point result" in s["reason"] for s in mlp["starts"])
    assert "differ by FULLY_CONNECTED rounding alone" in mlp["verdict"] and mlp["max_abs_diff"] > 0
    assert mlp["correlation"] > 0.99


def test_a_difference_rounding_does_not_explain_fails_the_check(tmp_path):
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    path, x = _small_models(tmp_path)["cnn"]
    from edgeaccel.sim.tflite_backend import TfliteBackend, quantize

    litert = TfliteBackend(path, reference_kernels=True)
    outputs = litert.predict(x)
    outputs[3] = np.roll(outputs[3], 1)  # outputs that TFLM, traced again, does not give
    result = tflm_fidelity(path, x, "classification", tflm_outputs=outputs)
    assert not result["ok"] and result["unexplained_fraction"] == 1 / 64
    assert result["starts"][0]["op"] is None and "every tensor is equal when traced" in result["starts"][0]["reason"]
    assert "1 differ in a way rounding does not explain" in result["verdict"]

    # LiteRT on a copy whose first convolution has one weight changed: the difference starts there, unexplained.
    data = bytearray(path.read_bytes())
    model = schema.Model.GetRootAs(data, 0)
    subgraph = model.Subgraphs(0)
    weights = subgraph.Tensors(int(subgraph.Operators(0).InputsAsNumpy()[1]))
    values = model.Buffers(weights.Buffer()).DataAsNumpy().view(np.int8)
    values[0] = values[0] + 1 if values[0] < 127 else values[0] - 1
    edited = tmp_path / "edited.tflite"
    edited.write_bytes(bytes(data))
    starts = trace_differences(path, edited, quantize(x[:4], litert.input))
    assert all(sample[0]["op"] == 0 and sample[0]["status"] == "unexplained" for sample in starts)
    assert "constant input" in starts[0][0]["reason"] and "differs between the two models" in starts[0][0]["reason"]


@pytest.mark.parametrize("activation", ["ranged", "relu6"])
def test_every_bias_is_on_the_grid_the_kernels_assume(tmp_path, activation):
    """TF's quantizer scales the bias of a layer after a fake-quantized (folded, clipped) ReLU for the calibrated input
    range; edgeaccel puts it back on input scale x weight scale, so LiteRT computes what the Keras model does."""
    from edgeaccel.convert.tflite_bias import requantize_biases
    from edgeaccel.quantize.export import ranged_relu
    from edgeaccel.sim.tflite_backend import TfliteBackend

    tf = tensorflow()
    L = tf.keras.layers
    tf.keras.utils.set_random_seed(0)
    inputs = tf.keras.Input((16,))
    clip = ranged_relu(3.984375, "clip") if activation == "ranged" else L.ReLU(6.0)
    last = L.Dense(4)
    model = tf.keras.Model(inputs, last(clip(L.Dense(8)(inputs))))
    kernel, bias = last.get_weights()
    last.set_weights([kernel, np.full_like(bias, 0.25)])
    x = np.random.default_rng(0).uniform(-1, 1, (256, 16)).astype(np.float32)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)  # TF's converter as edgeaccel calls it, without the fix
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([sample[np.newaxis]] for sample in x)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    raw = converter.convert()
    fixed = to_tflite(model, "int8", x)
    assert requantize_biases(fixed)[1] == []
    changes = requantize_biases(raw)[1]
    (tmp_path / "raw.tflite").write_bytes(raw)
    (tmp_path / "fixed.tflite").write_bytes(fixed)
    expected = model.predict(x, verbose=0)
    error = {name: TfliteBackend(tmp_path / f"{name}.tflite").predict(x) - expected for name in ("raw", "fixed")}
    step = TfliteBackend(tmp_path / "fixed.tflite").output["quantization"][0]
    assert abs(error["fixed"].mean()) < 0.25 * step
    if activation == "ranged":
        # Measured: the raw model adds the bias 2.0x (0.25 -> 0.50), so every output is 0.25 (18 int8 steps) too large;
        # fixed, the mean error is 0.0003.
        assert [c["name"] for c in changes] == ["FULLY_CONNECTED"] and 1.9 < changes[0]["factor"] < 2.1
        assert 0.2 < error["raw"].mean() < 0.3
    else:
        assert changes == [] and np.array_equal(error["raw"], error["fixed"])

"""The onnx target: QKeras to ONNX through tf2onnx, run by onnxruntime. The logits equal QKeras's bit
for bit; a float softmax after them agrees to float rounding (onnxruntime's exp is not TensorFlow's)."""

import json

import numpy as np
import pytest

from conftest import error_line, run_cli
from convert.hls_models import BUILDERS, inputs_for, randomized
from edgeaccel.data import read_npz, write_npz
from edgeaccel.models.files import save_model
from edgeaccel.targets import ConvertRequest, convert, open_backend


def _jet_tagger():
    """The QKeras jet-tagging MLP of the hls4ml tutorial, part 4 (fastmachinelearning/hls4ml-tutorial,
    part4_quantization.ipynb): 16 inputs, 64-32-32 quantized_bits(6,0) Dense layers with
    quantized_relu(6), 5 outputs, softmax."""
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    q = {"kernel_quantizer": quantized_bits(6, 0, alpha=1), "bias_quantizer": quantized_bits(6, 0, alpha=1)}
    inputs = tf.keras.Input((16,), name="input_1")
    x = inputs
    for i, units in enumerate((64, 32, 32), start=1):
        x = QDense(units, name=f"fc{i}", kernel_initializer="lecun_uniform", **q)(x)
        x = QActivation(quantized_relu(6), name=f"relu{i}")(x)
    x = QDense(5, name="output", kernel_initializer="lecun_uniform", **q)(x)
    return tf.keras.Model(inputs, tf.keras.layers.Activation("softmax", name="softmax")(x), name="jet_tagger")


def _onnx_outputs(model, x, directory, opset=17):
    directory.mkdir()
    save_model(model, directory / "model.h5")
    artifact = convert(ConvertRequest(directory / "model.h5", directory / "onnx", options={"opset": opset}), "onnx")
    return artifact, open_backend("onnx", artifact.directory).predict(x)


def _check_against_qkeras(model, x, tmp_path, opset=17):
    """Logits bit for bit (the model up to its softmax), softmax outputs to float rounding."""
    from edgeaccel.tfenv import tensorflow

    logits_model = tensorflow().keras.Model(model.inputs, model.layers[-1].input)
    _, logits = _onnx_outputs(logits_model, x, tmp_path / "logits", opset)
    assert np.array_equal(logits, logits_model.predict(x, verbose=0))
    artifact, outputs = _onnx_outputs(model, x, tmp_path / "whole", opset)
    expected = model.predict(x, verbose=0)
    assert np.allclose(outputs, expected, rtol=1e-5, atol=1e-7)
    assert np.array_equal(outputs.argmax(1), expected.argmax(1))
    return artifact


def test_published_jet_tagger_is_bit_exact_on_onnxruntime(tmp_path):
    model = randomized(_jet_tagger(), seed=3)
    x = np.random.default_rng(0).normal(0, 1, (2000, 16)).astype(np.float32)
    artifact = _check_against_qkeras(model, x, tmp_path)
    assert artifact.details.opset == 17 and artifact.details.inputs[0].shape == [None, 16]
    assert artifact.details.ops["MatMul"] == 4 and artifact.details.ops["Round"] >= 3, "activation quantizers are in the graph"


@pytest.mark.parametrize("name", ["cnn", "conv1d"])
def test_convolutions_batchnorm_and_pooling_are_bit_exact(name, tmp_path):
    model = randomized(BUILDERS[name](), seed=7)
    _check_against_qkeras(model, inputs_for(model, 1000), tmp_path, opset=13)


def test_cli_converts_and_simulates_the_demo_build(digits_build, tmp_path):
    out = tmp_path / "onnx"
    run_cli("convert", digits_build / "model.h5", "--target", "onnx", "-o", out, "--quiet", check=True)
    manifest = json.loads((out / "artifact.json").read_text())
    assert manifest["target"] == "onnx" and manifest["files"]["model.onnx"]["bytes"] == manifest["onnx"]["bytes"]
    run_cli("sim", out, "--backend", "onnx", "--data", digits_build / "test.npz", "--out", tmp_path / "onnx.npy", check=True)
    run_cli("sim", digits_build, "--backend", "keras", "--data", digits_build / "test.npz", "--out", tmp_path / "keras.npy",
            check=True)
    onnx, keras = np.load(tmp_path / "onnx.npy"), np.load(tmp_path / "keras.npy")
    assert np.allclose(onnx, keras, rtol=1e-5, atol=1e-7) and np.array_equal(onnx.argmax(1), keras.argmax(1))


def test_an_opset_out_of_range_is_one_line(digits_build, tmp_path):
    result = run_cli("convert", digits_build / "model.h5", "--target", "onnx", "--opset", "9", "-o", tmp_path / "x")
    assert result.returncode == 2
    assert error_line(result) == "edgeaccel: error: --opset: expected greater than or equal to 13, received '9'"
    assert not (tmp_path / "x").exists()


def test_the_hls_options_are_refused_for_onnx(digits_build, tmp_path):
    result = run_cli("convert", digits_build / "model.h5", "--target", "onnx", "--io-type", "io_stream", "-o", tmp_path / "x")
    assert error_line(result) == "edgeaccel: error: --io-type: expected with --target hls, received with --target onnx"

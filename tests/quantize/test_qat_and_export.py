import numpy as np
import pytest

from edgeaccel.errors import ModelError, UnsupportedError
from edgeaccel.models.builtin import build_float_model
from edgeaccel.specs import ModelSpec, QuantSpec
from edgeaccel.quantize.export import plain_keras_model
from edgeaccel.quantize.grid import input_grid
from edgeaccel.quantize.qat import quantize_model
from edgeaccel.tfenv import tensorflow


def _randomize_batchnorm(model):
    rng = np.random.default_rng(1)
    for layer in model.layers:
        if "BatchNormalization" in type(layer).__name__:
            layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32) for w in layer.get_weights()])


@pytest.mark.parametrize("builtin", ["mlp", "cnn"])
def test_twin_starts_with_input_quantizer_and_quantizes_every_weighted_layer(builtin):
    float_model = build_float_model(ModelSpec(builtin=builtin), (8, 8, 1), 10)
    qmodel = quantize_model(float_model, QuantSpec(weight_bits=4, overrides={"logits": {"weight_bits": 6}}), input_signed=False)
    assert type(qmodel.layers[1]).__name__ == "QActivation"
    assert str(qmodel.layers[1].quantizer).startswith("quantized_bits(8,0,0")
    weighted = [l for l in qmodel.layers if hasattr(l, "kernel_quantizer_internal")]
    assert weighted and all(type(l).__name__.startswith("Q") for l in weighted)
    bits = {l.name: l.kernel_quantizer_internal.bits for l in weighted}
    assert bits.pop("logits") == 6 and set(bits.values()) == {4}
    assert not any(type(l).__name__ == "QActivation" for l in float_model.layers), "the float model must not change"


@pytest.mark.parametrize("builtin", ["mlp", "cnn"])
def test_plain_export_folds_batchnorm_and_matches_qkeras(builtin, grid_inputs):
    float_model = build_float_model(ModelSpec(builtin=builtin, batchnorm=True), (8, 8, 1), 10)
    # 16-bit activations: what remains between the two is activation rounding, which TFLite calibrates.
    qmodel = quantize_model(float_model, QuantSpec(activation_bits=16, activation_integer=4), input_signed=False)
    _randomize_batchnorm(qmodel)
    plain = plain_keras_model(qmodel)
    kinds = [type(l).__name__ for l in plain.layers]
    assert "BatchNormalization" not in kinds and not any(k.startswith("Q") for k in kinds)
    x = input_grid(qmodel).quantize(grid_inputs[:256])
    np.testing.assert_allclose(plain.predict(x, verbose=0), qmodel.predict(x, verbose=0), atol=2e-4)


def test_exported_weights_are_the_quantized_ones():
    float_model = build_float_model(ModelSpec(builtin="mlp", hidden=[16]), (8, 8, 1), 10)
    qmodel = quantize_model(float_model, QuantSpec(weight_bits=4, bias_bits=4), input_signed=False)
    kernel = plain_keras_model(qmodel).get_layer("dense0").get_weights()[0]
    steps = kernel * 2 ** 3
    np.testing.assert_array_equal(steps, np.round(steps))
    assert len(np.unique(kernel)) <= 16


def test_unsupported_layer_is_named():
    tf = tensorflow()
    inputs = tf.keras.Input((8,))
    x = tf.keras.layers.LSTM(4)(tf.keras.layers.Reshape((8, 1))(inputs))
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(2)(x))
    with pytest.raises(UnsupportedError, match="received LSTM"):
        quantize_model(model, QuantSpec(), input_signed=True)


def test_override_for_a_missing_layer_is_refused():
    float_model = build_float_model(ModelSpec(builtin="mlp", hidden=[8]), (8, 8, 1), 10)
    with pytest.raises(ModelError, match=r"received \['dense7'\]"):
        quantize_model(float_model, QuantSpec(overrides={"dense7": {"weight_bits": 3}}), input_signed=False)

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
    with pytest.raises(UnsupportedError, match="received LSTM \\(QKeras can quantize recurrent layers, but edgeaccel"):
        quantize_model(model, QuantSpec(), input_signed=True)


def test_override_for_a_missing_layer_is_refused():
    float_model = build_float_model(ModelSpec(builtin="mlp", hidden=[8]), (8, 8, 1), 10)
    with pytest.raises(ModelError, match=r"received \['dense7'\]"):
        quantize_model(float_model, QuantSpec(overrides={"dense7": {"weight_bits": 3}}), input_signed=False)


def _layers():
    return tensorflow().keras.layers


def test_relu6_keeps_its_bound_through_qat_save_and_int8_export(tmp_path):
    """issue 13 item 3: ReLU(max_value=6) used to become quantized_relu(8,2), capping outputs at 3.98."""
    from edgeaccel.convert.tflite import to_tflite
    from edgeaccel.readers.tflite_graph import read_graph
    from edgeaccel.models.files import load_model, save_model

    tf, L = tensorflow(), _layers()
    inputs = tf.keras.Input((4,))
    x = L.ReLU(max_value=6.0, name="relu6")(L.Dense(4, name="dense")(inputs))
    model = tf.keras.Model(inputs, x)
    model.get_layer("dense").set_weights([np.eye(4, dtype=np.float32) * 4, np.zeros(4, np.float32)])
    qmodel = quantize_model(model, QuantSpec(weight_integer=3, input_integer=1, activation_integer=2), input_signed=False)
    assert str(qmodel.get_layer("relu6").quantizer) == "quantized_relu(8,3)"
    assert qmodel.get_layer("relu6").quantizer.relu_upper_bound == 6
    save_model(qmodel, tmp_path / "q.h5")
    reloaded = load_model(tmp_path / "q.h5")
    x = np.array([[0.25, 1.0, 1.75, 0.99]], np.float32)  # dense: 1, 4, 7, 3.96
    np.testing.assert_array_equal(reloaded.predict(x, verbose=0), [[1.0, 4.0, 6.0, 3.96875]])
    graph = read_graph(to_tflite(plain_keras_model(reloaded, int8=True), "int8",
                                 np.random.default_rng(0).uniform(0, 1, (64, 4)).astype(np.float32)))
    assert [(op.name, op.fused_activation) for op in graph.ops] == [("FULLY_CONNECTED", "RELU6")]


def test_depthwise_and_separable_convs_are_quantized_and_exported(grid_inputs):
    tf, L = tensorflow(), _layers()
    inputs = tf.keras.Input((8, 8, 1))
    x = L.Conv2D(4, 3, padding="same", name="conv")(inputs)
    x = L.BatchNormalization(name="conv_bn")(x)
    x = L.Activation("relu", name="conv_relu")(x)
    x = L.DepthwiseConv2D(3, padding="same", depth_multiplier=2, name="dw")(x)
    x = L.BatchNormalization(name="dw_bn")(x)
    x = L.ReLU(name="dw_relu")(x)
    x = L.SeparableConv2D(8, 3, strides=2, padding="same", activation="relu", name="sep")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    model = tf.keras.Model(inputs, L.Dense(10, activation="softmax", name="logits")(x))
    qmodel = quantize_model(model, QuantSpec(activation_bits=16, activation_integer=4, overrides={"sep": {"weight_bits": 6}}),
                            input_signed=False)
    _randomize_batchnorm(qmodel)
    kinds = {layer.name: type(layer).__name__ for layer in qmodel.layers}
    assert kinds["dw"] == kinds["sep_depthwise"] == "QDepthwiseConv2D" and kinds["sep"] == "QConv2D"
    assert qmodel.get_layer("sep_depthwise").depthwise_quantizer_internal.bits == 6  # the separable layer's override
    assert qmodel.get_layer("sep").kernel_quantizer_internal.bits == 6
    x = input_grid(qmodel).quantize(grid_inputs[:128])
    plain = plain_keras_model(qmodel)
    assert not any("BatchNormalization" in type(l).__name__ for l in plain.layers)
    np.testing.assert_allclose(plain.predict(x, verbose=0), qmodel.predict(x, verbose=0), atol=2e-4)


def test_the_split_separable_conv_computes_what_the_original_did(grid_inputs):
    from edgeaccel.quantize.qat import _rebuilt

    tf, L = tensorflow(), _layers()
    inputs = tf.keras.Input((8, 8, 1))
    x = L.SeparableConv2D(6, 3, strides=2, padding="same", depth_multiplier=3, activation="relu", name="sep")(inputs)
    model = tf.keras.Model(inputs, L.Flatten()(x))
    rebuilt, split = _rebuilt(model, tf)
    assert split == {"sep_depthwise": "sep"}
    np.testing.assert_allclose(rebuilt.predict(grid_inputs[:64], verbose=0), model.predict(grid_inputs[:64], verbose=0), atol=1e-5)


@pytest.mark.parametrize("layer,expected", [
    (lambda L: L.LeakyReLU(0.1), "received LeakyReLU"),
    (lambda L: L.ReLU(negative_slope=0.25), "expected negative_slope=0 and threshold=0, received negative_slope=0.25"),
    (lambda L: L.Activation("elu"), "expected an activation among"),
])
def test_unsupported_layers_are_named(layer, expected):
    tf, L = tensorflow(), _layers()
    inputs = tf.keras.Input((8,))
    model = tf.keras.Model(inputs, layer(L)(L.Dense(4)(inputs)))
    with pytest.raises(UnsupportedError, match=expected):
        quantize_model(model, QuantSpec(), input_signed=True)

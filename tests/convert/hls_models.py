"""Small QKeras models covering the layers the hls target must simulate bit for bit."""

import numpy as np

from edgeaccel.tfenv import tensorflow


def _quantizers(bits=6, integer=0):
    from qkeras import quantized_bits

    return {"kernel_quantizer": quantized_bits(bits, integer, alpha=1), "bias_quantizer": quantized_bits(bits, integer, alpha=1)}


def _input(shape, name="inp"):
    from qkeras import QActivation, quantized_bits

    tf = tensorflow()
    inputs = tf.keras.Input(shape, name=name)
    return inputs, QActivation(quantized_bits(8, 0, alpha=1), name="q_in")(inputs)


def mlp():
    from qkeras import QActivation, QDense, quantized_relu

    tf = tensorflow()
    inputs, x = _input((16,))
    x = QDense(64, name="fc1", **_quantizers())(x)
    x = QActivation(quantized_relu(6), name="relu1")(x)
    x = QDense(32, name="fc2", **_quantizers())(x)
    x = tf.keras.layers.Activation("relu", name="relu2")(x)
    x = QDense(5, name="logits", **_quantizers())(x)
    return tf.keras.Model(inputs, tf.keras.layers.Activation("softmax", name="softmax")(x), name="mlp")


def cnn():
    """Conv2D, max pooling, BatchNormalization before a quantized ReLU, average pooling."""
    from qkeras import QActivation, QConv2D, QDense, quantized_relu

    tf = tensorflow()
    layers = tf.keras.layers
    inputs, x = _input((8, 8, 1))
    x = QConv2D(4, 3, padding="same", name="conv1", **_quantizers())(x)
    x = QActivation(quantized_relu(6), name="relu1")(x)
    x = layers.MaxPooling2D(2, name="maxpool")(x)
    x = QConv2D(8, 3, padding="same", name="conv2", **_quantizers())(x)
    x = layers.BatchNormalization(name="bn")(x)
    x = QActivation(quantized_relu(6, 2), name="relu2")(x)
    x = layers.AveragePooling2D(2, name="avgpool")(x)
    x = layers.Flatten(name="flat")(x)
    x = QDense(5, name="logits", **_quantizers())(x)
    return tf.keras.Model(inputs, layers.Activation("softmax", name="softmax")(x), name="cnn")


def conv1d():
    from qkeras import QActivation, QConv1D, QDense, quantized_relu

    tf = tensorflow()
    layers = tf.keras.layers
    inputs, x = _input((32, 2))
    x = QConv1D(8, 5, name="conv1", **_quantizers())(x)
    x = QActivation(quantized_relu(6), name="relu1")(x)
    x = layers.MaxPooling1D(2, name="maxpool")(x)
    x = QConv1D(4, 3, padding="same", name="conv2", **_quantizers())(x)
    x = QActivation(quantized_relu(6, 1), name="relu2")(x)
    x = layers.AveragePooling1D(2, name="avgpool")(x)
    x = layers.Flatten(name="flat")(x)
    x = QDense(5, name="logits", **_quantizers())(x)
    return tf.keras.Model(inputs, layers.Activation("softmax", name="softmax")(x), name="conv1d")


def residual_tanh():
    """A residual Add and quantized tanh activations."""
    from qkeras import QActivation, QDense, quantized_relu, quantized_tanh

    tf = tensorflow()
    inputs, x0 = _input((16,))
    x = QDense(16, name="fc1", **_quantizers())(x0)
    x = QActivation(quantized_tanh(6), name="tanh1")(x)
    x = QDense(16, name="fc2", **_quantizers())(x)
    x = tf.keras.layers.Add(name="add")([x, x0])
    x = QActivation(quantized_relu(8, 2), name="relu2")(x)
    x = QDense(16, name="fc3", **_quantizers())(x)
    x = QActivation(quantized_tanh(8, symmetric=True), name="tanh2")(x)
    x = QDense(5, name="logits", **_quantizers())(x)
    return tf.keras.Model(inputs, tf.keras.layers.Activation("softmax", name="softmax")(x), name="residual_tanh")


BUILDERS = {"mlp": mlp, "cnn": cnn, "conv1d": conv1d, "residual_tanh": residual_tanh}


def randomized(model, seed=0):
    """Random kernels, non-zero biases and BatchNorm statistics, so every path carries information."""
    rng = np.random.default_rng(seed)
    draws = {
        "kernel": lambda shape: rng.normal(0, 1.2 / np.sqrt(np.prod(shape[:-1])), shape),
        "bias": lambda shape: rng.normal(0, 0.3, shape),
        "gamma": lambda shape: rng.uniform(0.5, 1.5, shape),
        "beta": lambda shape: rng.normal(0, 0.2, shape),
        "moving_mean": lambda shape: rng.normal(0, 0.3, shape),
        "moving_variance": lambda shape: rng.uniform(0.3, 2.0, shape),
    }
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([draws[w.name.split("/")[-1].split(":")[0]](tuple(w.shape)).astype(np.float32)
                               for w in layer.weights])
    return model


def inputs_for(model, samples, seed=1, on_grid=True):
    rng = np.random.default_rng(seed)
    shape = (samples,) + tuple(model.input_shape[1:])
    if on_grid:
        return (rng.integers(-128, 128, shape) / 128.0).astype(np.float32)
    return rng.uniform(-1.1, 1.1, shape).astype(np.float32)

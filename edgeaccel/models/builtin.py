"""The builtin float architectures. They are quantized by `edgeaccel.quantize.qat` afterwards.

Activations are separate layers, and the softmax is its own final layer, so that the logits
before it can be compared bit for bit across backends. A regression or autoencoder model ends in a
linear Dense with one output per target value (reshaped to the targets' shape), without softmax.
"""

import math

from edgeaccel.specs import ModelSpec
from edgeaccel.tfenv import tensorflow


def build_float_model(spec: ModelSpec, input_shape: tuple, classes: int | None, output_shape: tuple | None = None):
    """`classes` for a classifier; otherwise `output_shape`, the shape of one sample's targets."""
    tf = tensorflow()
    layers = tf.keras.layers
    inputs = tf.keras.Input(shape=input_shape, name="features")  # hls4ml reserves "input"
    x = inputs
    if spec.builtin == "cnn":
        if len(input_shape) != 3:
            from edgeaccel.errors import DataError

            raise DataError(f"model.builtin cnn: expected image samples of shape (H, W, C), received {tuple(input_shape)}")
        for i, filters in enumerate(spec.filters):
            x = layers.Conv2D(filters, spec.kernel_size, padding="same", name=f"conv{i}")(x)
            if spec.batchnorm:
                x = layers.BatchNormalization(name=f"conv{i}_bn")(x)
            x = layers.Activation("relu", name=f"conv{i}_relu")(x)
            x = layers.MaxPooling2D(2, name=f"conv{i}_pool")(x)
    if len(input_shape) > 1:
        x = layers.Flatten(name="flatten")(x)
    for i, units in enumerate(spec.hidden):
        x = layers.Dense(units, name=f"dense{i}")(x)
        if spec.batchnorm:
            x = layers.BatchNormalization(name=f"dense{i}_bn")(x)
        x = layers.Activation("relu", name=f"dense{i}_relu")(x)
    if classes is not None:
        x = layers.Dense(classes, name="logits")(x)
        outputs = layers.Activation("softmax", name="softmax")(x)
    else:
        outputs = layers.Dense(math.prod(output_shape), name="outputs")(x)
        if len(output_shape) != 1:
            outputs = layers.Reshape(output_shape, name="outputs_shape")(outputs)
    return tf.keras.Model(inputs, outputs, name=f"{spec.builtin}_float")

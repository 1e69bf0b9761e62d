"""Other people's models, re-created in code from their source, for the hls target.

Each entry cites the repository and path it re-creates (the architecture, quantizers, layer names
where the source names them, and the input range its data has). Weights are drawn at random with
the scale of each layer's initializer (He/LeCun), BatchNormalization statistics included, so that
every path carries information; inputs follow the source's preprocessing (standardized features,
pixels / 255, ...). `expect` is what edgeaccel must do with it: "bit-exact" (logits and final
outputs equal the fixed-point reference on every sample, softmax argmax agreement >= 0.999) or
"refused: <words of the one-line reason>".
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

from edgeaccel.tfenv import tensorflow


@dataclass(frozen=True)
class Published:
    name: str
    source: str
    build: Callable
    inputs: Callable
    expect: str = "bit-exact"
    slow: bool = False
    own_weights: bool = False


def _tf():
    return tensorflow()


# --- input data, as each source preprocesses it ---------------------------------------------

def uniform01(shape, on_grid_bits=None):
    """np.random.rand, optionally rounded as hls4ml's tests do: np.round(X * 2**10) * 2**-10."""
    def draw(n, seed):
        x = np.random.default_rng(seed).random((n,) + shape)
        return (np.round(x * 2 ** on_grid_bits) * 2.0 ** -on_grid_bits if on_grid_bits else x).astype(np.float32)
    return draw


def negated_uniform01(shape, on_grid_bits):
    def draw(n, seed):
        return -uniform01(shape, on_grid_bits)(n, seed)
    return draw


def standardized(shape, scale=1.0):
    """StandardScaler output (jet-tagging high-level features, audio features)."""
    def draw(n, seed):
        return (np.random.default_rng(seed).normal(0, scale, (n,) + shape)).astype(np.float32)
    return draw


def pixels(shape, divisor=255.0, flat=False):
    """8-bit images divided by 255 (or 256): blobs rather than noise, so convolutions see structure; `flat` for
    models that take the image as one vector (MNIST MLPs)."""
    def draw(n, seed):
        rng = np.random.default_rng(seed)
        height, width = shape[0], shape[1]
        yy, xx = np.mgrid[0:height, 0:width]
        images = np.zeros((n,) + shape, dtype=np.float64)
        for i in range(n):
            for _ in range(3):
                cy, cx, r = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(1.5, max(height, width) / 3)
                blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
                images[i] += blob[..., None] * rng.uniform(0.2, 1.0, shape[2:] or (1,))
        images += rng.uniform(0, 0.15, images.shape)
        images = (np.round(np.clip(images, 0, 1) * 255) / divisor).astype(np.float32)
        return images.reshape(n, -1) if flat else images
    return draw


# --- weights ----------------------------------------------------------------------------------

def randomized(model, seed=0, logit_scale=1.0):
    """Weights at their initializer's scale, BatchNormalization statistics that move values, biases that matter."""
    rng = np.random.default_rng(seed)
    weighted = [layer.name for layer in model.layers if layer.weights]
    last = weighted[-1] if weighted else None
    for layer in model.layers:
        if not layer.weights:
            continue
        values = []
        for weight in layer.weights:
            short = weight.name.split("/")[-1].split(":")[0]
            shape = tuple(weight.shape)
            if short in ("kernel", "depthwise_kernel", "pointwise_kernel"):
                fan_in = int(np.prod(shape[:-1])) if short != "depthwise_kernel" else int(np.prod(shape[:2]))
                value = rng.normal(0, np.sqrt(2.0 / fan_in), shape) * (logit_scale if layer.name == last else 1.0)
            elif short == "bias":
                value = rng.normal(0, 0.1, shape)
            elif short == "gamma":
                value = rng.uniform(0.6, 1.4, shape)
            elif short == "beta":
                value = rng.normal(0, 0.2, shape)
            elif short == "moving_mean":
                value = rng.normal(0, 0.2, shape)
            elif short == "moving_variance":
                value = rng.uniform(0.4, 1.6, shape)
            else:
                value = weight.numpy()
            values.append(value.astype(np.float32))
        layer.set_weights(values)
    return model


# --- hls4ml's test suite: fastmachinelearning/hls4ml test/pytest/test_qkeras.py ----------------

def hls4ml_dense_activation(alpha):
    """test_single_dense_activation_exact: input quantizer, QDense, and a quantizer as the last layer."""
    def build():
        from qkeras import QActivation, QDense, quantized_bits, quantized_relu

        tf = _tf()
        bits = 4
        return tf.keras.Sequential([
            QActivation(activation=quantized_bits(bits, 0, alpha=1), input_shape=(16,), name="inp_quant"),
            QDense(16, name="fc1", kernel_quantizer=quantized_bits(bits, 0, alpha=alpha),
                   bias_quantizer=quantized_bits(bits, 0, alpha=1), kernel_initializer="lecun_uniform"),
            QActivation(activation=quantized_relu(bits, 0), name="relu1"),
        ])
    return build


def hls4ml_qactivation_kwarg(weight_quantizer, activation_quantizer):
    """test_qactivation_kwarg: the activation fused into QDense (activation=...), no input quantizer."""
    def build():
        from qkeras import QDense

        tf = _tf()
        inputs = tf.keras.Input(shape=(10,))
        outputs = QDense(10, activation=activation_quantizer, name="qdense", kernel_quantizer=weight_quantizer,
                         bias_quantizer=weight_quantizer, kernel_initializer="lecun_uniform")(inputs)
        return tf.keras.Model(inputs, outputs)
    return build


def hls4ml_btnn_ternary_batchnorm():
    """test_btnn case 5: ternary(alpha='auto') weights, BatchNormalization, ternary(threshold=0.2) activation."""
    from qkeras import QActivation, QDense, quantized_bits, ternary

    tf = _tf()
    model = tf.keras.Sequential()
    model.add(QDense(10, input_shape=(10,), kernel_quantizer=ternary(alpha="auto"), bias_quantizer=quantized_bits(5, 2),
                     name="dense"))
    model.add(tf.keras.layers.BatchNormalization(name="bn"))
    model.add(QActivation(activation=ternary(threshold=0.2)))
    return model


def hls4ml_btnn_binary():
    """test_btnn case 7: binary weights and a binary activation, no BatchNormalization."""
    from qkeras import QActivation, QDense, binary, quantized_bits

    tf = _tf()
    model = tf.keras.Sequential()
    model.add(QDense(10, input_shape=(10,), kernel_quantizer=binary(), bias_quantizer=quantized_bits(5, 2), name="dense"))
    model.add(QActivation(activation=binary()))
    return model


def hls4ml_quantizer_parsing():
    """test_quantizer_parsing: kernel_quantizer=None (float weights) with a fused quantized_relu."""
    from qkeras import QDense

    tf = _tf()
    model = tf.keras.Sequential()
    model.add(QDense(8, input_shape=(10,), kernel_quantizer=None, kernel_initializer="ones", bias_quantizer=None,
                     bias_initializer="zeros", activation="quantized_relu(8, 0)"))
    return model


def hls4ml_qconv2dbn():
    """test_qconv2dbn: QConv2DBatchnorm with a fused quantized_relu."""
    from qkeras.qconv2d_batchnorm import QConv2DBatchnorm

    tf = _tf()
    model = tf.keras.Sequential()
    model.add(QConv2DBatchnorm(4, kernel_size=(3, 3), input_shape=(8, 8, 1), kernel_quantizer="quantized_bits(8, 0, alpha=1)",
                               kernel_initializer="ones", bias_quantizer="quantized_bits(8, 0, alpha=1)",
                               bias_initializer="zeros", activation="quantized_relu(8, 0)"))
    return model


def hls4ml_qdepthwiseconv2d():
    """test_qdepthwiseconv2d: QDepthwiseConv2D on 32x32x3 with a fused quantized_relu(3, 0)."""
    from qkeras.qconvolutional import QDepthwiseConv2D

    tf = _tf()
    model = tf.keras.Sequential()
    model.add(QDepthwiseConv2D(kernel_size=(3, 3), input_shape=(32, 32, 3), depthwise_quantizer="quantized_bits(6, 0, alpha=1)",
                               bias_quantizer="quantized_bits(4, 0, alpha=1)", bias_initializer="he_normal",
                               activation="quantized_relu(3, 0)"))
    return model


def hls4ml_qseparableconv(dims):
    """test_qseparableconv1d / test_qseparableconv2d: QSeparableConv with 8-bit (3 integer bits) quantizers."""
    def build():
        from qkeras import quantized_bits
        from qkeras.qconvolutional import QSeparableConv1D, QSeparableConv2D

        tf = _tf()
        shape, layer = ((13, 20), QSeparableConv1D) if dims == 1 else ((13, 21, 20), QSeparableConv2D)
        x_in = tf.keras.Input(shape, name="input_layer")
        x = layer(5, 3, depthwise_quantizer=quantized_bits(8, 3, alpha=1), pointwise_quantizer=quantized_bits(8, 3, alpha=1),
                  bias_quantizer=quantized_bits(8, 3, alpha=1), name="qsepconv_1")(x_in)
        return tf.keras.Model(inputs=x_in, outputs=x)
    return build


def hls4ml_quantized_po2_bit_width():
    """test_quantised_po2_bit_width: QDense with quantized_po2(18, max_value=2**20) and weights near 2**18."""
    from qkeras import QDense, quantized_po2

    tf = _tf()
    model = tf.keras.Sequential()
    model.add(QDense(6, input_shape=(26,), name="dense", kernel_quantizer=quantized_po2(18, max_value=2 ** 20)))
    weights = model.layers[0].get_weights()
    weights[0] = (2 ** 18) * np.random.default_rng(0).random((26, 6))
    model.layers[0].set_weights(weights)
    return model


def hls4ml_qlstm():
    """test_qlstm: QLSTM(4) on (5, 2) with 8-bit quantizers."""
    from qkeras import QLSTM

    tf = _tf()
    model = tf.keras.Sequential()
    model.add(QLSTM(4, input_shape=(5, 2), kernel_quantizer="quantized_bits(8, 0, alpha=1)",
                    recurrent_quantizer="quantized_bits(8, 0, alpha=1)", bias_quantizer="quantized_bits(8, 0, alpha=1)",
                    state_quantizer="quantized_bits(8, 0, alpha=1)", activation="tanh", recurrent_activation="sigmoid"))
    return model


def hls4ml_single_quantizer(quantizer_text):
    """test_quantizer / test_quantizer_special / test_relu_negative_slope: one QActivation as the whole model."""
    def build():
        from qkeras import QActivation

        tf = _tf()
        model = tf.keras.Sequential()
        model.add(QActivation(input_shape=(1,), activation=quantizer_text, name="quantizer"))
        return model
    return build


# --- hls4ml example-models (fastmachinelearning/example-models, keras/*.json) -------------------

def jet_tagger_qkeras():
    """keras/qkeras_3layer.json: the jet-tagging MLP 16-64-32-32-5, 6-bit (also hls4ml-tutorial part4)."""
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    tf = _tf()
    q = {"kernel_quantizer": quantized_bits(6, 0, alpha=1), "bias_quantizer": quantized_bits(6, 0, alpha=1)}
    model = tf.keras.Sequential()
    model.add(QDense(64, input_shape=(16,), name="fc1", kernel_initializer="lecun_uniform", **q))
    model.add(QActivation(quantized_relu(6), name="relu1"))
    model.add(QDense(32, name="fc2", kernel_initializer="lecun_uniform", **q))
    model.add(QActivation(quantized_relu(6), name="relu2"))
    model.add(QDense(32, name="fc3", kernel_initializer="lecun_uniform", **q))
    model.add(QActivation(quantized_relu(6), name="relu3"))
    model.add(QDense(5, name="output", kernel_initializer="lecun_uniform", **q))
    model.add(tf.keras.layers.Activation("softmax", name="softmax"))
    return model


def qkeras_mnist_cnn():
    """keras/qkeras_mnist_cnn.json (hls4ml test_cnn_mnist_qkeras.py): QConv2D with a float relu, quantized_relu, Dropout."""
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    tf = _tf()
    layers = tf.keras.layers
    q = {"kernel_quantizer": quantized_bits(6, 0, alpha=1), "bias_quantizer": quantized_bits(6, 0, alpha=1)}
    model = tf.keras.Sequential(name="qkeras_mnist_cnn")
    model.add(QConv2D(16, (3, 3), input_shape=(28, 28, 1), activation="relu", name="q_conv2d", **q))
    model.add(QActivation(quantized_relu(6), name="q_activation"))
    model.add(layers.MaxPooling2D((2, 2), name="max_pooling2d"))
    model.add(QConv2D(16, (3, 3), activation="relu", name="q_conv2d_1", **q))
    model.add(QActivation(quantized_relu(6), name="q_activation_1"))
    model.add(layers.MaxPooling2D((2, 2), name="max_pooling2d_1"))
    model.add(layers.Flatten(name="flatten"))
    model.add(layers.Dropout(0.5, name="dropout"))
    model.add(QDense(10, name="q_dense", **q))
    model.add(layers.Activation("softmax", name="softmax"))
    return model


def qkeras_mnist_dense():
    """keras/qkeras_mnist_dense.json: quantized_relu(2) at the input, quantized_po2(4, max_value=1) weights,
    symmetric 2- and 4-bit quantizers."""
    from qkeras import QActivation, QDense, quantized_bits, quantized_po2

    tf = _tf()
    inputs = tf.keras.Input((784,), name="input_3")
    x = QActivation("quantized_relu(2)", name="q_activation_2")(inputs)
    x = QDense(20, kernel_quantizer=quantized_po2(4, max_value=1), bias_quantizer=quantized_bits(2, 0, 1), name="q_dense_2")(x)
    x = QActivation("quantized_relu(3,1)", name="q_activation_3")(x)
    x = QDense(10, kernel_quantizer=quantized_bits(4, 0, 1), bias_quantizer=quantized_bits(4, 0, 1), name="q_dense_3")(x)
    return tf.keras.Model(inputs, tf.keras.layers.Activation("softmax", name="activation_3")(x))


def jet_tagger_conv2d_float():
    """keras/jetTagger_Conv2D_Small.json: a float jet-image CNN with BatchNormalization on the input and Dropout."""
    tf = _tf()
    layers = tf.keras.layers
    inputs = tf.keras.Input((25, 25, 1), name="input_1")
    x = layers.BatchNormalization(name="batch_normalization_1")(inputs)
    x = layers.Conv2D(5, (3, 3), strides=(3, 3), padding="same", activation="relu", name="cnn2D_1_relu")(x)
    x = layers.Dropout(0.25, name="dropout_1")(x)
    x = layers.BatchNormalization(name="batch_normalization_2")(x)
    x = layers.Conv2D(2, (5, 5), strides=(2, 2), padding="same", activation="relu", name="cnn2D_2_relu")(x)
    x = layers.Dropout(0.25, name="dropout_2")(x)
    x = layers.Flatten(name="flatten_1")(x)
    x = layers.Dense(10, activation="relu", name="dense_1_relu")(x)
    x = layers.Dropout(0.25, name="dropout_3")(x)
    return tf.keras.Model(inputs, layers.Dense(5, activation="softmax", name="output_softmax")(x))


def conv1d_small_float():
    """keras/KERAS_conv1d_small.json: three float Conv1D layers, then Dense layers."""
    tf = _tf()
    layers = tf.keras.layers
    inputs = tf.keras.Input((10, 4), name="input_1")
    x = layers.Conv1D(3, 4, padding="same", activation="relu", name="conv1_relu")(inputs)
    x = layers.Conv1D(2, 4, padding="same", activation="relu", name="conv2_relu")(x)
    x = layers.Conv1D(1, 4, padding="same", activation="relu", name="conv3_relu")(x)
    x = layers.Flatten(name="flatten_1")(x)
    x = layers.Dense(5, activation="relu", name="fc1_relu")(x)
    return tf.keras.Model(inputs, layers.Dense(5, activation="softmax", name="output_softmax")(x))


# --- hls4ml-tutorial (fastmachinelearning/hls4ml-tutorial) --------------------------------------

def tutorial_part1_float_mlp():
    """part1_getting_started.ipynb: the float jet-tagging MLP 16-64-32-32-5."""
    tf = _tf()
    layers = tf.keras.layers
    model = tf.keras.Sequential()
    model.add(layers.Dense(64, input_shape=(16,), name="fc1", kernel_initializer="lecun_uniform"))
    model.add(layers.Activation("relu", name="relu1"))
    model.add(layers.Dense(32, name="fc2", kernel_initializer="lecun_uniform"))
    model.add(layers.Activation("relu", name="relu2"))
    model.add(layers.Dense(32, name="fc3", kernel_initializer="lecun_uniform"))
    model.add(layers.Activation("relu", name="relu3"))
    model.add(layers.Dense(5, name="output", kernel_initializer="lecun_uniform"))
    model.add(layers.Activation("softmax", name="softmax"))
    return model


def tutorial_part6_qkeras_cnn():
    """part6_cnns.ipynb: the QKeras SVHN CNN: QConv2DBatchnorm blocks, QDense + BatchNormalization, a float Dense output."""
    from qkeras import QActivation, QConv2DBatchnorm, QDense

    tf = _tf()
    layers = tf.keras.layers
    x = x_in = tf.keras.Input(shape=(32, 32, 3))
    for i, f in enumerate([16, 16, 24]):
        x = QConv2DBatchnorm(int(f), kernel_size=(3, 3), strides=(1, 1), kernel_quantizer="quantized_bits(6,0,alpha=1)",
                             bias_quantizer="quantized_bits(6,0,alpha=1)", kernel_initializer="lecun_uniform",
                             use_bias=True, name=f"fused_convbn_{i}")(x)
        x = QActivation("quantized_relu(6)", name=f"conv_act_{i}")(x)
        x = layers.MaxPooling2D(pool_size=(2, 2), name=f"pool_{i}")(x)
    x = layers.Flatten()(x)
    for i, n in enumerate([42, 64]):
        x = QDense(n, kernel_quantizer="quantized_bits(6,0,alpha=1)", kernel_initializer="lecun_uniform",
                   name=f"dense_{i}", use_bias=False)(x)
        x = layers.BatchNormalization(name=f"bn_dense_{i}")(x)
        x = QActivation("quantized_relu(6)", name=f"dense_act_{i}")(x)
    x = layers.Dense(10, name="output_dense")(x)
    return tf.keras.Model(inputs=[x_in], outputs=[layers.Activation("softmax", name="output_softmax")(x)], name="qkeras")


# --- QKeras examples (google/qkeras examples/) -------------------------------------------------

def qkeras_example_mnist():
    """examples/example_mnist.py: 4-bit symmetric QConv2D with strides, quantized_relu(4,0)."""
    from qkeras import QActivation, QConv2D, QDense, quantized_bits

    tf = _tf()
    q = {"kernel_quantizer": quantized_bits(4, 0, 1), "bias_quantizer": quantized_bits(4, 0, 1)}
    x = x_in = tf.keras.Input((28, 28, 1), name="input")
    x = QConv2D(32, (2, 2), strides=(2, 2), name="conv2d_0_m", **q)(x)
    x = QActivation("quantized_relu(4,0)", name="act0_m")(x)
    x = QConv2D(64, (3, 3), strides=(2, 2), name="conv2d_1_m", **q)(x)
    x = QActivation("quantized_relu(4,0)", name="act1_m")(x)
    x = QConv2D(64, (2, 2), strides=(2, 2), name="conv2d_2_m", **q)(x)
    x = QActivation("quantized_relu(4,0)", name="act2_m")(x)
    x = tf.keras.layers.Flatten()(x)
    x = QDense(10, name="dense", **q)(x)
    return tf.keras.Model(inputs=[x_in], outputs=[tf.keras.layers.Activation("softmax", name="softmax")(x)])


def qkeras_example_qdense():
    """examples/example_qdense.py: quantized_relu(4) input, ternary() weights, quantized_relu(2)."""
    from qkeras import QActivation, QDense, quantized_bits, ternary

    tf = _tf()
    x = x_in = tf.keras.Input((784,), name="input")
    x = QActivation("quantized_relu(4)", name="act_i")(x)
    x = QDense(100, kernel_quantizer=ternary(), bias_quantizer=quantized_bits(4, 0, 1), name="dense0")(x)
    x = QActivation("quantized_relu(2)", name="act0")(x)
    x = QDense(10, kernel_quantizer=quantized_bits(4, 0, 1), bias_quantizer=quantized_bits(4, 0, 1), name="dense2")(x)
    return tf.keras.Model(inputs=[x_in], outputs=[tf.keras.layers.Activation("softmax", name="softmax")(x)])


def qkeras_example_mnist_po2():
    """examples/example_mnist_po2.py: power-of-two activations (quantized_relu_po2) and weights."""
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_po2

    tf = _tf()
    x = x_in = tf.keras.Input((28, 28, 1), name="input")
    x = QActivation("quantized_relu_po2(4)", name="acti")(x)
    x = QConv2D(32, (2, 2), strides=(2, 2), kernel_quantizer=quantized_po2(4, 1), bias_quantizer=quantized_po2(4, 1),
                name="conv2d_0_m")(x)
    x = QActivation("quantized_relu_po2(4,4)", name="act0_m")(x)
    x = tf.keras.layers.Flatten()(x)
    x = QDense(10, kernel_quantizer=quantized_bits(4, 0, 1), bias_quantizer=quantized_bits(4, 0, 1), name="dense")(x)
    return tf.keras.Model(inputs=[x_in], outputs=[tf.keras.layers.Activation("softmax", name="softmax")(x)])


# --- MLPerf Tiny and its hls4ml submissions ---------------------------------------------------

def mlperf_tiny_resnet8_float():
    """mlcommons/tiny benchmark/training/image_classification/keras_model.py resnet_v1_eembc, with the 16 filters
    of the benchmark's ResNet-8 reference model (trained_models/pretrainedResnet.h5)."""
    tf = _tf()
    layers = tf.keras.layers
    num_filters = 16
    inputs = tf.keras.Input(shape=[32, 32, 3])

    def conv(filters, kernel, strides):
        return layers.Conv2D(filters, kernel_size=kernel, strides=strides, padding="same", kernel_initializer="he_normal")

    x = layers.Activation("relu")(layers.BatchNormalization()(conv(num_filters, 3, 1)(inputs)))
    y = layers.Activation("relu")(layers.BatchNormalization()(conv(num_filters, 3, 1)(x)))
    y = layers.BatchNormalization()(conv(num_filters, 3, 1)(y))
    x = layers.Activation("relu")(layers.add([x, y]))
    for multiplier in (2, 4):
        filters = num_filters * multiplier
        y = layers.Activation("relu")(layers.BatchNormalization()(conv(filters, 3, 2)(x)))
        y = layers.BatchNormalization()(conv(filters, 3, 1)(y))
        x = conv(filters, 1, 2)(x)
        x = layers.Activation("relu")(layers.add([x, y]))
    pool_size = int(np.amin(x.shape[1:3]))
    x = layers.AveragePooling2D(pool_size=pool_size)(x)
    y = layers.Flatten()(x)
    outputs = layers.Dense(10, activation="softmax", kernel_initializer="he_normal")(y)
    return tf.keras.Model(inputs=inputs, outputs=outputs)


def hls4ml_finn_rn07():
    """mlcommons/tiny_results_v0.7 open/hls4ml-finn/code/ic/RN07/training/resnet_v1_eembc.py
    resnet_v1_eembc_quantized with RN07.yml: filters [32, 4, 32, 32], kernels [1, 4, 4, 4, 4, 4],
    strides '111', '414', no skip, no average pooling, 8-bit (2 integer) quantized_bits and quantized_relu. Without
    the skip connections the source's identity-path QConv2D feeds nothing, so it is left out."""
    from qkeras import QActivation, QConv2DBatchnorm, QDense, quantized_bits, quantized_relu

    tf = _tf()
    logit = quantized_bits(8, 2, alpha=1)
    activation = quantized_relu(8, 2)
    inputs = tf.keras.Input(shape=[32, 32, 3])

    def conv_bn(filters, kernel, strides):
        return QConv2DBatchnorm(filters, kernel_size=kernel, strides=strides, padding="same", kernel_quantizer=logit,
                                bias_quantizer=logit, kernel_initializer="he_normal")

    x = QActivation(activation=activation)(conv_bn(32, 1, 1)(inputs))
    y = QActivation(activation=activation)(conv_bn(4, 4, 1)(x))
    x = QActivation(activation=activation)(conv_bn(32, 4, 1)(y))
    y = QActivation(activation=activation)(conv_bn(32, 4, 4)(x))
    y = conv_bn(32, 4, 1)(y)
    x = QActivation(activation=activation)(y)
    y = tf.keras.layers.Flatten()(x)
    outputs = QDense(10, kernel_quantizer=logit, bias_quantizer=logit, kernel_initializer="he_normal")(y)
    return tf.keras.Model(inputs=inputs, outputs=tf.keras.layers.Activation("softmax", name="softmax")(outputs))


def hls4ml_finn_ad08():
    """mlcommons/tiny_results_v0.7 open/hls4ml-finn/code/ad/AD08/training/keras_model.py get_qkeras_model with the
    sizes of ad08.yml (64 inputs, 72 hidden, latent 8, depth 2 and 2; 12-bit weights with 6 integer bits, relu
    (6, 6), last layer 12 bits with 0). ad08.yml names qdense_batchnorm_model, whose QDenseBatchnorm QKeras 0.9
    lacks; this is the same network with QDense and BatchNormalization, the file's qkeras_model."""
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    tf = _tf()
    q = {"kernel_quantizer": quantized_bits(12, 6, alpha=1), "bias_quantizer": quantized_bits(12, 6, alpha=1),
         "kernel_initializer": "lecun_uniform"}
    inputs = tf.keras.Input(shape=(64,))
    h = inputs
    for units in (72, 72, 8, 72, 72):
        h = QDense(units, **q)(h)
        h = tf.keras.layers.BatchNormalization()(h)
        h = QActivation(activation=quantized_relu(6, 6))(h)
    last = {"kernel_quantizer": quantized_bits(12, 0, alpha=1), "bias_quantizer": quantized_bits(12, 0, alpha=1),
            "kernel_initializer": "lecun_uniform"}
    return tf.keras.Model(inputs=inputs, outputs=QDense(64, **last)(h))


def mlperf_tiny_kws_dscnn_float():
    """mlcommons/tiny benchmark/training/keyword_spotting/keras_model.py, model 'ds_cnn' (49x10 MFCC, 12 labels)."""
    tf = _tf()
    layers = tf.keras.layers
    inputs = tf.keras.Input(shape=[49, 10, 1])
    x = layers.Conv2D(64, (10, 4), strides=(2, 2), padding="same")(inputs)
    x = layers.Dropout(rate=0.2)(layers.Activation("relu")(layers.BatchNormalization()(x)))
    for _ in range(4):
        x = layers.DepthwiseConv2D(depth_multiplier=1, kernel_size=(3, 3), padding="same")(x)
        x = layers.Activation("relu")(layers.BatchNormalization()(x))
        x = layers.Conv2D(64, (1, 1), padding="same")(x)
        x = layers.Activation("relu")(layers.BatchNormalization()(x))
    x = layers.Dropout(rate=0.4)(x)
    x = layers.AveragePooling2D(pool_size=(24, 5))(x)
    x = layers.Flatten()(x)
    return tf.keras.Model(inputs=inputs, outputs=layers.Dense(12, activation="softmax")(x))


def hls4ml_transpose_concat():
    """fastmachinelearning/hls4ml test/pytest/test_transpose_concat.py: Permute and two Concatenates."""
    tf = _tf()
    layers = tf.keras.layers
    inp = tf.keras.Input(shape=(2, 3), name="input_1")
    x = layers.Permute((2, 1))(inp)
    y = layers.Concatenate(axis=1)([x, x])
    x = layers.Activation("relu", name="relu")(x)
    return tf.keras.Model(inputs=inp, outputs=layers.Concatenate(axis=1)([x, y]))


def hls4ml_upsampling2d():
    """fastmachinelearning/hls4ml test/pytest/test_upsampling.py keras_model_2d: UpSampling2D(size=(2, 2)) on 6x8x4."""
    tf = _tf()
    model = tf.keras.Sequential()
    model.add(tf.keras.layers.UpSampling2D(input_shape=(6, 8, 4), size=(2, 2)))
    return model


ZOO = [
    Published("hls4ml_dense_activation_exact", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::"
              "test_single_dense_activation_exact[4-1]", hls4ml_dense_activation(1), uniform01((16,))),
    Published("hls4ml_dense_activation_auto_po2", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::"
              "test_single_dense_activation_exact[4-auto_po2]", hls4ml_dense_activation("auto_po2"), uniform01((16,))),
    Published("hls4ml_qactivation_kwarg_relu", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::test_qactivation_kwarg"
              "[quantized_bits(4, 0, alpha=1)-quantized_relu(4, 0)]",
              hls4ml_qactivation_kwarg("quantized_bits(4, 0, alpha=1)", "quantized_relu(4, 0)"), uniform01((10,), 10)),
    Published("hls4ml_qactivation_kwarg_binary", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::test_qactivation_kwarg"
              "[binary-binary]", hls4ml_qactivation_kwarg("binary", "binary"), uniform01((10,), 10)),
    Published("hls4ml_qactivation_kwarg_ternary", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::test_qactivation_kwarg"
              "[ternary-ternary]", hls4ml_qactivation_kwarg("ternary", "ternary"), uniform01((10,), 10)),
    Published("hls4ml_btnn_binary", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::test_btnn (case 7)",
              hls4ml_btnn_binary, uniform01((10,))),
    Published("hls4ml_btnn_ternary_batchnorm", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::test_btnn (case 5)",
              hls4ml_btnn_ternary_batchnorm, uniform01((10,))),
    Published("hls4ml_quantizer_parsing", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::test_quantizer_parsing",
              hls4ml_quantizer_parsing, uniform01((10,), 10)),
    Published("hls4ml_qconv2dbn", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::test_qconv2dbn",
              hls4ml_qconv2dbn, uniform01((8, 8, 1), 10)),
    Published("hls4ml_qdepthwiseconv2d", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::test_qdepthwiseconv2d",
              hls4ml_qdepthwiseconv2d, uniform01((32, 32, 3), 10), slow=True),
    Published("hls4ml_qseparableconv1d", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::test_qseparableconv1d",
              hls4ml_qseparableconv(1), uniform01((13, 20), 8)),
    Published("hls4ml_qseparableconv2d", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::test_qseparableconv2d",
              hls4ml_qseparableconv(2), uniform01((13, 21, 20), 8), slow=True),
    Published("hls4ml_quantized_po2_bit_width", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::"
              "test_quantised_po2_bit_width", hls4ml_quantized_po2_bit_width, uniform01((26,)), own_weights=True),
    Published("hls4ml_qlstm", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::test_qlstm", hls4ml_qlstm,
              standardized((5, 2), 0.3), expect="refused: QLSTM"),
    Published("hls4ml_relu_negative_slope", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::test_relu_negative_slope"
              "[quantized_relu(4, negative_slope=0.5)]", hls4ml_single_quantizer("quantized_relu(4, negative_slope=0.5)"),
              negated_uniform01((1,), 10)),
    Published("hls4ml_quantized_tanh", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::test_quantizer_special"
              "[quantized_tanh(8)]", hls4ml_single_quantizer("quantized_tanh(8)"), uniform01((1,), 10)),
    Published("hls4ml_quantized_sigmoid", "fastmachinelearning/hls4ml test/pytest/test_qkeras.py::test_quantizer_special"
              "[quantized_sigmoid(5)]", hls4ml_single_quantizer("quantized_sigmoid(5)"), uniform01((1,), 10)),
    Published("jet_tagger_qkeras_3layer", "fastmachinelearning/example-models keras/qkeras_3layer.json "
              "(hls4ml-tutorial part4_quantization.ipynb)", jet_tagger_qkeras, standardized((16,))),
    Published("qkeras_mnist_cnn", "fastmachinelearning/example-models keras/qkeras_mnist_cnn.json "
              "(hls4ml test/pytest/test_cnn_mnist_qkeras.py)", qkeras_mnist_cnn, pixels((28, 28, 1)), slow=True),
    Published("qkeras_mnist_dense", "fastmachinelearning/example-models keras/qkeras_mnist_dense.json",
              qkeras_mnist_dense, pixels((28, 28, 1), flat=True)),
    Published("jet_tagger_conv2d_small_float", "fastmachinelearning/example-models keras/jetTagger_Conv2D_Small.json",
              jet_tagger_conv2d_float, standardized((25, 25, 1))),
    Published("conv1d_small_float", "fastmachinelearning/example-models keras/KERAS_conv1d_small.json",
              conv1d_small_float, standardized((10, 4))),
    Published("tutorial_part1_float_mlp", "fastmachinelearning/hls4ml-tutorial part1_getting_started.ipynb",
              tutorial_part1_float_mlp, standardized((16,))),
    Published("tutorial_part6_qkeras_cnn", "fastmachinelearning/hls4ml-tutorial part6_cnns.ipynb (the QKeras model)",
              tutorial_part6_qkeras_cnn, pixels((32, 32, 3)), slow=True),
    Published("qkeras_example_mnist", "google/qkeras examples/example_mnist.py", qkeras_example_mnist,
              pixels((28, 28, 1), divisor=256.0)),
    Published("qkeras_example_qdense", "google/qkeras examples/example_qdense.py", qkeras_example_qdense,
              pixels((28, 28, 1), flat=True)),
    Published("qkeras_example_mnist_po2", "google/qkeras examples/example_mnist_po2.py", qkeras_example_mnist_po2,
              pixels((28, 28, 1), divisor=256.0), expect="refused: quantized_relu_po2"),
    Published("mlperf_tiny_resnet8_float", "mlcommons/tiny benchmark/training/image_classification/keras_model.py "
              "(resnet_v1_eembc)", mlperf_tiny_resnet8_float, pixels((32, 32, 3)), slow=True),
    Published("hls4ml_finn_rn07", "mlcommons/tiny_results_v0.7 open/hls4ml-finn/code/ic/RN07/training/resnet_v1_eembc.py "
              "with RN07.yml", hls4ml_finn_rn07, pixels((32, 32, 3), divisor=256.0), slow=True),
    Published("hls4ml_finn_ad08", "mlcommons/tiny_results_v0.7 open/hls4ml-finn/code/ad/AD08/training/keras_model.py "
              "with ad08.yml", hls4ml_finn_ad08, standardized((64,), 2.0)),
    Published("mlperf_tiny_kws_dscnn_float", "mlcommons/tiny benchmark/training/keyword_spotting/keras_model.py (ds_cnn)",
              mlperf_tiny_kws_dscnn_float, standardized((49, 10, 1), 1.0), slow=True),
    Published("hls4ml_transpose_concat", "fastmachinelearning/hls4ml test/pytest/test_transpose_concat.py",
              hls4ml_transpose_concat, uniform01((2, 3))),
    Published("hls4ml_upsampling2d", "fastmachinelearning/hls4ml test/pytest/test_upsampling.py (keras_model_2d)",
              hls4ml_upsampling2d, uniform01((6, 8, 4))),
]

BY_NAME = {entry.name: entry for entry in ZOO}

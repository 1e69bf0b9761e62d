"""The published hls4ml designs of the FPGA calibration table, rebuilt in code.

`edgeaccel/estimate/data/fpga_reports.csv` lists synthesis reports other people published
(repository, commit, path). Each row names one of the builders below, which re-creates that design's
Keras model from its source and the hls4ml configuration the report was made with (for the designs
whose firmware was committed beside the report, every layer's published type and reuse factor:
`DESIGN_LAYERS`). The original training data (the hls4ml LHC jet dataset on OpenML, SVHN, UCI HAR,
MNIST, smart-pixel, DeepPicar, top-tagging, jet-constituent, quantum-control and L1Topo samples) cannot be
downloaded here, so each model is trained on synthetic data of the same shape (the designs converted
untrained, hls4ml's test report and MagiPrince/CNNandMLP's, are left untrained; the sources that trained on
their own random data, and the iris MLP on scikit-learn's iris set, get that data), with the published
initializer, regularizer, quantizers and pruning, so that its weights have the structure the
estimate reads (zero, power-of-two and few-digit constants) but not the published values: a count
that depends on exact zeros (the 0.4 jet tagger's II at reuse factors 64 to 256) can differ.

`records_for(row)` converts the rebuilt model with hls4ml 1.3 (through edgeaccel's adapter) in
the published configuration and returns the per-layer records the estimate is computed from.
"""

import copy
import functools
import tempfile
from pathlib import Path

import numpy as np

SEED = 0
JET_SAMPLES, JET_EPOCHS, JET_PRUNING_EPOCH = 498_000, 30, 4


def _tf():
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    tf.keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    return tf


def _classification(samples: int, features: int, classes: int):
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=samples, n_features=features, n_informative=min(features, 12),
                               n_redundant=min(2, features - min(features, 12)), n_classes=classes,
                               n_clusters_per_class=2, class_sep=1.0, random_state=SEED)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return x.astype(np.float32), np.eye(classes, dtype=np.float32)[y]


def _patterns(samples: int, shape: tuple, classes: int):
    """Images or sequences: a smooth class template plus noise, standardized."""
    rng = np.random.default_rng(SEED)
    y = rng.integers(0, classes, samples)
    grids = np.meshgrid(*[np.linspace(0, 1, n) for n in shape[:-1]], indexing="ij")
    templates = []
    for c in range(classes):
        phase = sum(np.sin((c + 1) * np.pi * g + k) for k, g in enumerate(grids))
        templates.append(np.stack([phase * np.cos(c + ch) for ch in range(shape[-1])], axis=-1))
    x = np.stack([templates[c] for c in y]) + rng.normal(0, 0.8, (samples, *shape))
    x = (x - x.mean()) / x.std()
    return x.astype(np.float32), np.eye(classes, dtype=np.float32)[y]


def _fit(model, x, y, epochs: int, learning_rate: float, batch_size: int = 256, callbacks=()):
    """Adam on cross-entropy for a sigmoid or softmax output, on mean squared error for a linear one."""
    tf = _tf()
    output = getattr(getattr(model.layers[-1], "activation", None), "__name__", "")
    loss = ("mse" if output not in ("sigmoid", "softmax") else
            "binary_crossentropy" if y.shape[-1] == 1 else "categorical_crossentropy")
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate), loss=loss)
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=True, callbacks=list(callbacks))
    return model


def _pruning_masks(model, fractions: dict):
    """Magnitude pruning of the named kernels to the given fractions of zero weights: the masks are applied now,
    and the function returned applies them again (a Keras on_batch_end callback holds the zeros while training)."""
    masks = {}
    for name, fraction in fractions.items():
        kernel = model.get_layer(name).get_weights()[0]
        masks[name] = (np.abs(kernel) > np.quantile(np.abs(kernel), fraction)).astype(np.float32)

    def apply_masks(*_, **__):
        for name, mask in masks.items():
            weights = model.get_layer(name).get_weights()
            model.get_layer(name).set_weights([weights[0] * mask, *weights[1:]])

    apply_masks()
    return apply_masks


def _prune(model, sparsity: float | dict, names: list[str], x, y, epochs: int, learning_rate: float, batch_size: int = 256):
    """Magnitude pruning to `sparsity` per kernel (one fraction, or one per layer name), then training on with the
    pruned weights held at zero: the effect of tfmot's prune_low_magnitude + strip_pruning that the sources use."""
    tf = _tf()
    hold = _pruning_masks(model, {name: sparsity[name] if isinstance(sparsity, dict) else sparsity for name in names})
    _fit(model, x, y, epochs, learning_rate, batch_size, callbacks=[tf.keras.callbacks.LambdaCallback(on_batch_end=hold)])
    hold()
    return model


def _prune_to_masks(model, sparsity: dict, x, targets):
    """`_prune` for the models of several outputs, which `_fit` does not take: two epochs of fine-tuning on
    `targets` with the model's own losses."""
    tf = _tf()
    hold = _pruning_masks(model, sparsity)
    model.fit(x, targets, epochs=2, batch_size=256, verbose=0, callbacks=[tf.keras.callbacks.LambdaCallback(on_batch_end=hold)])
    hold()
    return model


def _fold_batchnorm(model):
    """The model with every BatchNormalization folded into the bias-free Conv2D/Dense before it, as
    hls4ml 0.6 fused them in the published design (its report has no BatchNormalization instance)."""
    tf = _tf()
    layers = tf.keras.layers
    x = inputs = layers.Input(model.input_shape[1:], name=model.layers[0].name)
    pending = None
    for layer in model.layers[1:]:
        if isinstance(layer, layers.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            scale = gamma / np.sqrt(variance + layer.epsilon)
            kernel = pending.get_weights()[0]
            config = pending.get_config() | {"use_bias": True}
            folded = type(pending).from_config(config)
            x = folded(x)
            folded.set_weights([kernel * scale, beta - mean * scale])
            pending = None
            continue
        if pending is not None:
            clone = type(pending).from_config(pending.get_config())
            x = clone(x)
            clone.set_weights(pending.get_weights())
            pending = None
        if isinstance(layer, (layers.Conv2D, layers.Dense)) and not layer.get_config()["use_bias"]:
            pending = layer
            continue
        clone = type(layer).from_config(layer.get_config())
        x = clone(x)
        clone.set_weights(layer.get_weights())
    return tf.keras.Model(inputs, x, name=model.name)


# --- the models ------------------------------------------------------------------------------


def jet_mlp():
    """hls4ml-tutorial part1_getting_started.ipynb: the LHC jet tagger, 16-64-32-32-5 with ReLU and
    softmax, lecun_uniform kernels, L1(1e-4) (fastmachinelearning/hls4ml-tutorial, cell "model = Sequential()")."""
    tf = _tf()
    layers = tf.keras.layers
    l1 = tf.keras.regularizers.l1(0.0001)
    model = tf.keras.Sequential(name="jet_mlp")
    model.add(layers.Dense(64, input_shape=(16,), name="fc1", kernel_initializer="lecun_uniform", kernel_regularizer=l1))
    model.add(layers.Activation("relu", name="relu1"))
    model.add(layers.Dense(32, name="fc2", kernel_initializer="lecun_uniform", kernel_regularizer=l1))
    model.add(layers.Activation("relu", name="relu2"))
    model.add(layers.Dense(32, name="fc3", kernel_initializer="lecun_uniform", kernel_regularizer=l1))
    model.add(layers.Activation("relu", name="relu3"))
    model.add(layers.Dense(5, name="output", kernel_initializer="lecun_uniform", kernel_regularizer=l1))
    model.add(layers.Activation("softmax", name="softmax"))
    return model


def _jet_training(model, pruned: bool):
    """The tutorial's training: Adam(lr=1e-4), batch 1024, 30 epochs on the 498k training jets (here
    as many synthetic ones); pruned models reach 75% sparsity at step 2000 (ConstantSparsity(0.75,
    begin_step=2000)) and train on with the pruned weights held at zero."""
    x, y = _classification(JET_SAMPLES, 16, 5)
    if not pruned:
        return _fit(model, x, y, epochs=JET_EPOCHS, learning_rate=1e-4, batch_size=1024)
    _fit(model, x, y, epochs=JET_PRUNING_EPOCH, learning_rate=1e-4, batch_size=1024)
    return _prune(model, 0.75, ["fc1", "fc2", "fc3", "output"], x, y, epochs=JET_EPOCHS - JET_PRUNING_EPOCH,
                  learning_rate=1e-4, batch_size=1024)


def _tutorial_qmlp(name: str, widths: tuple[int, ...]):
    """The hls4ml tutorial's quantized jet tagger: QDense layers of `widths` and 5 outputs, quantized_bits(6,0,alpha=1)
    kernels and biases, lecun_uniform, l1(1e-4), quantized_relu(6) between them, softmax."""
    tf = _tf()
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = {"kernel_quantizer": quantized_bits(6, 0, alpha=1), "bias_quantizer": quantized_bits(6, 0, alpha=1),
         "kernel_initializer": "lecun_uniform", "kernel_regularizer": tf.keras.regularizers.l1(0.0001)}
    model = tf.keras.Sequential(name=name)
    for index, width in enumerate(widths, start=1):
        model.add(QDense(width, name=f"fc{index}", **({"input_shape": (16,)} if index == 1 else {}), **q))
        model.add(QActivation(quantized_relu(6), name=f"relu{index}"))
    model.add(QDense(5, name="output", **q))
    model.add(tf.keras.layers.Activation("softmax", name="softmax"))
    return model


def jet_qmlp():
    """hls4ml-tutorial part4_quantization.ipynb: QDense 64-32-32-5 (trained pruned to 75% sparsity, like part3)."""
    return _tutorial_qmlp("jet_qmlp_pruned", (64, 32, 32))


def _svhn_blocks(conv, dense_block):
    tf = _tf()
    layers = tf.keras.layers
    x = x_in = layers.Input((32, 32, 3), name="input_1")
    for i, filters in enumerate((16, 16, 24)):
        x = conv(i, filters)(x)
        x = layers.MaxPooling2D(pool_size=(2, 2), name=f"pool_{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    for i, units in enumerate((42, 64)):
        x = dense_block(i, units, x)
    x = layers.Dense(10, name="output_dense")(x)
    return x_in, layers.Activation("softmax", name="output_softmax")(x)


def svhn_cnn():
    """hls4ml-tutorial part6_cnns.ipynb (commit 3ebcbd9): the SVHN CNN, three Conv2D(3x3, no bias) +
    BatchNorm + ReLU + MaxPooling2D blocks with 16, 16, 24 filters, Dense 42 and 64 with BatchNorm and
    ReLU, Dense 10 and softmax, lecun_uniform and L1(1e-4) (trained pruned to 50%, PolynomialDecay to 0.50)."""
    tf = _tf()
    layers = tf.keras.layers
    l1 = tf.keras.regularizers.l1(0.0001)

    def conv(i, filters):
        def block(x):
            x = layers.Conv2D(filters, (3, 3), kernel_initializer="lecun_uniform", kernel_regularizer=l1, use_bias=False,
                              name=f"conv_{i}")(x)
            x = layers.BatchNormalization(name=f"bn_conv_{i}")(x)
            return layers.Activation("relu", name=f"conv_act_{i}")(x)
        return block

    def dense_block(i, units, x):
        x = layers.Dense(units, kernel_initializer="lecun_uniform", kernel_regularizer=l1, use_bias=False, name=f"dense_{i}")(x)
        x = layers.BatchNormalization(name=f"bn_dense_{i}")(x)
        return layers.Activation("relu", name=f"dense_act_{i}")(x)

    return tf.keras.Model(*_svhn_blocks(conv, dense_block), name="svhn_cnn_pruned")


def svhn_qcnn():
    """hls4ml-tutorial part6_cnns.ipynb (commit 3ebcbd9): the SVHN CNN in QKeras, QConv2DBatchnorm with
    quantized_bits(6,0,alpha=1), quantized_relu(6), QDense 42 and 64 (6-bit) + BatchNorm, Dense 10, softmax
    (trained pruned to 50%)."""
    tf = _tf()
    layers = tf.keras.layers
    from qkeras import QActivation, QConv2DBatchnorm, QDense

    l1 = tf.keras.regularizers.l1(0.0001)

    def conv(i, filters):
        def block(x):
            x = QConv2DBatchnorm(filters, kernel_size=(3, 3), strides=(1, 1), kernel_quantizer="quantized_bits(6,0,alpha=1)",
                                 bias_quantizer="quantized_bits(6,0,alpha=1)", kernel_initializer="lecun_uniform",
                                 kernel_regularizer=l1, use_bias=True, name=f"fused_convbn_{i}")(x)
            return QActivation("quantized_relu(6)", name=f"conv_act_{i}")(x)
        return block

    def dense_block(i, units, x):
        x = QDense(units, kernel_quantizer="quantized_bits(6,0,alpha=1)", kernel_initializer="lecun_uniform",
                   kernel_regularizer=l1, name=f"dense_{i}", use_bias=False)(x)
        x = layers.BatchNormalization(name=f"bn_dense_{i}")(x)
        return QActivation("quantized_relu(6)", name=f"dense_act_{i}")(x)

    return tf.keras.Model(*_svhn_blocks(conv, dense_block), name="svhn_qcnn_pruned")


def dense16x5():
    """hls4ml test/pytest/test_report.py: Dense(5, input_shape=(16,), activation='relu'), not trained
    (the report is of the randomly initialised model)."""
    tf = _tf()
    model = tf.keras.Sequential(name="dense16x5")
    model.add(tf.keras.layers.Dense(5, input_shape=(16,), name="fc1", activation="relu"))
    return model


def dnd_qmlp4():
    """thaarres/dnd_hls4ml synthesize.py buildQKeras(): QDense 98-20-1, quantized_bits(4,0,alpha=1) kernels
    and biases, a quantized ReLU, sigmoid output. The published report's ReLU output is 6 bits wide
    (ap_ufixed<6,0>), so the ReLU is rebuilt as quantized_relu(6)."""
    tf = _tf()
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = {"kernel_quantizer": quantized_bits(4, 0, alpha=1), "bias_quantizer": quantized_bits(4, 0, alpha=1)}
    inputs = tf.keras.layers.Input(shape=[98], name="qinput_features")
    x = QDense(20, name="fc1", **q)(inputs)
    x = QActivation(activation=quantized_relu(6), name="relu1")(x)
    x = QDense(1, name="output", **q)(x)
    return tf.keras.Model(inputs, tf.keras.layers.Activation("sigmoid", name="output_act")(x), name="dnd_qmlp4")


def har_conv1d():
    """seanlipps/ECE226_CoDesign ECE226_Final_Group19.ipynb: UCI HAR, Input(128, 9), Conv1D(16, 3,
    padding='same'), ReLU, GlobalMaxPooling1D, Dense(6, softmax)."""
    tf = _tf()
    layers = tf.keras.layers
    return tf.keras.Sequential([layers.Input(shape=(128, 9)), layers.Conv1D(16, kernel_size=3, padding="same", name="conv1"),
                                layers.Activation("relu"), layers.GlobalMaxPooling1D(), layers.Dense(6, activation="softmax")],
                               name="har_conv1d")


def _svhn_training(model, names: list[str]):
    """Four epochs on 3000 synthetic 32x32x3 images (the notebook's 30 epochs on SVHN take hours on a CPU),
    then pruning to 50%."""
    x, y = _patterns(3000, (32, 32, 3), 10)
    _fit(model, x, y, epochs=4, learning_rate=0.003)
    return _prune(model, 0.5, names, x, y, epochs=2, learning_rate=0.001)


def _dnd_training(model):
    x, y = _classification(10000, 98, 2)
    return _fit(model, x, y[:, 1:], epochs=20, learning_rate=0.001)


def _har_training(model):
    x, y = _patterns(3000, (128, 9), 6)
    return _fit(model, x, y, epochs=15, learning_rate=0.003)


def jet_qmlp8():
    """hls4ml-tutorial deploy/vivado_flow/vivado_flow.ipynb (commit 4fbceaa): the jet tagger shrunk for a MiniZed,
    QDense 16-8-8-8-5; pruned to 75% (ConstantSparsity(0.75, begin_step=2000))."""
    return _tutorial_qmlp("jet_qmlp8", (8, 8, 8))


def l1_llp_tagger():
    """Brainz22/L1JetTagger qkerasModel.py: 10 particles x 14 features, two pointwise QConv1D(10) with
    quantized_bits(8,3,alpha=1) and quantized_relu(8), GlobalAveragePooling1D, QDense 10 + quantized_relu(8),
    QDense 1, sigmoid; pruned to 75% (ConstantSparsity(0.75, begin_step=2000))."""
    tf = _tf()
    from qkeras import QActivation, QConv1D, QDense, quantized_bits, quantized_relu

    l1 = tf.keras.regularizers.l1(0.0001)
    q = {"kernel_quantizer": quantized_bits(8, 3, alpha=1), "bias_quantizer": quantized_bits(8, 3, alpha=1),
         "kernel_initializer": "lecun_uniform", "kernel_regularizer": l1, "bias_regularizer": l1}
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(10, 14), name="input_1")
    x = QConv1D(filters=10, kernel_size=1, strides=1, name="q_conv1d", **q)(x)
    x = QActivation(quantized_relu(8), name="q_activation")(x)
    x = QConv1D(filters=10, kernel_size=1, strides=1, name="q_conv1d_1", **q)(x)
    x = QActivation(quantized_relu(8), name="q_activation_1")(x)
    x = layers.GlobalAveragePooling1D(name="global_average_pooling1d")(x)
    x = QDense(10, name="q_dense", **q)(x)
    x = QActivation(quantized_relu(8), name="q_activation_2")(x)
    x = QDense(1, name="q_dense_1", **q)(x)
    return tf.keras.Model(inputs, layers.Activation("sigmoid", name="sigmoid")(x), name="l1_llp_tagger")


def smartpixel_dnn(weight_bits: int, weight_integer: int, relu_bits: int, bn_names: tuple, relu_names: tuple, name: str):
    """Alezander9/ML_FPGAonPixel HLS/src/alex_model (and cnn_small) keras_model.h5: the smart-pixel filter,
    y-profile input 53, QDense 24 + BatchNormalization + quantized_relu, QDense 12 + BatchNormalization +
    quantized_relu, QDense 1, with quantized_bits(weight_bits, weight_integer, alpha=1) kernels and biases."""
    tf = _tf()
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = {"kernel_quantizer": quantized_bits(weight_bits, weight_integer, alpha=1),
         "bias_quantizer": quantized_bits(weight_bits, weight_integer, alpha=1)}
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(53,), name="y_timed_input")
    for i, units in enumerate((24, 12)):
        x = QDense(units, name=f"dense{i + 1}", **q)(x)
        x = layers.BatchNormalization(name=bn_names[i])(x)
        x = QActivation(quantized_relu(relu_bits), name=relu_names[i])(x)
    return tf.keras.Model(inputs, QDense(1, name="dense_output", **q)(x), name=name)


def smartpixel_cnn(filters: tuple, dense_units: int, bits: int, integer: int, relu: str, batchnorm: bool, name: str):
    """Alezander9/ML_FPGAonPixel HLS/src/cnn_large and HLS/package/pruned_cnn keras_model.h5: the smart-pixel
    CNN, an 8x13x1 y-profile through two 3x3 'same' QConv2D (QConv2DBatchnorm in pruned_cnn) + quantized_relu +
    MaxPooling2D(2), flattened and concatenated with the scalar y0 input, QDense + quantized_relu, QDense 1,
    sigmoid; quantized_bits(bits, integer, alpha=1) kernels and biases, the dense layers pruned."""
    tf = _tf()
    from qkeras import QActivation, QConv2D, QConv2DBatchnorm, QDense, quantized_bits

    q = {"kernel_quantizer": quantized_bits(bits, integer, alpha=1), "bias_quantizer": quantized_bits(bits, integer, alpha=1)}
    layers = tf.keras.layers
    conv = QConv2DBatchnorm if batchnorm else QConv2D
    image = layers.Input(shape=(8, 13, 1), name="y_profile_input")
    x = image
    for i, count in enumerate(filters):
        x = conv(count, (3, 3), padding="same", name=f"conv{i + 1}", **q)(x)
        x = QActivation(relu, name=f"q_activation_{9 + i}")(x)
        x = layers.MaxPooling2D((2, 2), name=f"maxpool{i + 1}")(x)
    y0 = layers.Input(shape=(1,), name="y0_input")
    x = layers.Concatenate(name="concat")([layers.Flatten(name="flattened")(x), y0])
    x = QActivation(relu, name="q_activation_11")(QDense(dense_units, name="dense1", **q)(x))
    x = layers.Activation("sigmoid", name="output_sigmoid")(QDense(1, name="dense2", **q)(x))
    return tf.keras.Model([image, y0], x, name=name)


def deeppicar_cnn(filters: tuple, kernels: tuple, strides: tuple, input_quantizer: bool, names: tuple, name: str):
    """tsopeter/753-FPGA (DeepPicar steering CNNs found by NAS, keras_model.keras beside each report): a 64x64x1
    8-bit image through QConv2D layers with quantized_bits(6,1,alpha=1) kernels and biases, each followed by
    quantized_relu(6), flattened into a QDense(1) steering output."""
    tf = _tf()
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    q = {"kernel_quantizer": quantized_bits(6, 1, alpha=1), "bias_quantizer": quantized_bits(6, 1, alpha=1)}
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(64, 64, 1), name="input_1")
    if input_quantizer:
        x = QActivation(quantized_bits(8, 0, keep_negative=False, alpha=1 / 255), name="q_activation_139")(x)
    for (conv_name, relu_name), count, kernel, stride in zip(names[:-1], filters, kernels, strides):
        x = QConv2D(count, (kernel, kernel), strides=(stride, stride), name=conv_name, **q)(x)
        x = QActivation(quantized_relu(6), name=relu_name)(x)
    x = QDense(1, name=names[-1], **q)(layers.Flatten(name="flatten")(x))
    return tf.keras.Model(inputs, x, name=name)


def toptag_rnn(kind: str, units: int, dense_units: int, name: str):
    """The top-tagging recurrent network as uw-acme/HLS4ML_VS_MANUAL built it (documents/Benchmarks/Toptag,
    RNN/toptagging and GRU/model_1; firmware/parameters.h beside each report): 20 particles x 6 features
    through a GRU or LSTM, Dense + ReLU, Dense(1) + sigmoid."""
    tf = _tf()
    layers = tf.keras.layers
    recurrent = layers.GRU if kind == "GRU" else layers.LSTM
    x = inputs = layers.Input(shape=(20, 6), name="input_1")
    x = recurrent(units, name="layer1")(x)
    x = layers.Dense(dense_units, activation="relu", name="layer3" if units == 20 else "layer2")(x)
    return tf.keras.Model(inputs, layers.Dense(1, activation="sigmoid", name="output_sigmoid")(x), name=name)


def mnist_cnn(kernels: tuple, filters: tuple, pools: tuple, classes: int, softmax: bool, name: str):
    """pominiq/DNNonSilicon Folder_1_TensorFlow_model/Scr_1_TensorFlowCNN.py (and keras_model.h5 beside each
    report): a small float MNIST CNN, Conv2D + ReLU + MaxPooling2D blocks, Flatten, Dense (softmax or linear)."""
    tf = _tf()
    layers = tf.keras.layers
    model = tf.keras.Sequential(name=name)
    model.add(layers.Input(shape=(28, 28, 1), name="conv2d_input"))
    for i, (kernel, count, pool) in enumerate(zip(kernels, filters, pools)):
        suffix = f"_{i}" if i else ""
        model.add(layers.Conv2D(count, (kernel, kernel), activation="relu", name=f"conv2d{suffix}"))
        model.add(layers.MaxPooling2D((pool, pool), name=f"max_pooling2d{suffix}"))
    model.add(layers.Flatten(name="flatten"))
    model.add(layers.Dense(classes, activation="softmax" if softmax else None, name="dense"))
    return model


def _binary_training(model, shape: tuple, epochs: int, prune: tuple = (), sparsity: float = 0.0, samples: int = 4000):
    """Synthetic stand-in for the source's data (binary labels), a few epochs, then magnitude pruning of `prune`."""
    x, y = _patterns(samples, shape, 2) if len(shape) > 1 else _classification(samples, shape[0], 2)
    y = y[:, 1:]
    inputs = x
    if len(model.inputs) == 2:
        inputs = [x, np.random.default_rng(SEED).normal(size=(samples, 1)).astype(np.float32)]
    _fit(model, inputs, y, epochs=epochs, learning_rate=0.003)
    return _prune(model, sparsity, list(prune), inputs, y, epochs=2, learning_rate=0.001) if prune else model


def _mnist_training(model):
    x, y = _patterns(3000, (28, 28, 1), model.output_shape[-1])
    return _fit(model, x, y, epochs=3, learning_rate=0.003)


def sparse_cnn():
    """hftsoi/sparse model_conv_parallel*/keras_model.keras (and model_conv_stream; firmware/parameters.h and
    hls4ml_config.yml beside each report): a 20x20x3 image through QConv2D(2, 3x3, 'same') with
    quantized_bits(6,0,alpha=1) kernels and biases, quantized_relu(6,0), AveragePooling2D(4), Flatten and a
    linear QDense(1) with the same quantizers."""
    tf = _tf()
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    q = {"kernel_quantizer": quantized_bits(6, 0, alpha=1), "bias_quantizer": quantized_bits(6, 0, alpha=1)}
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(20, 20, 3), name="x_in")
    x = QConv2D(2, (3, 3), padding="same", name="conv1", **q)(x)
    x = QActivation(quantized_relu(6, 0), name="relu1")(x)
    x = layers.AveragePooling2D((4, 4), name="pool1")(x)
    x = layers.Flatten(name="flatten")(x)
    return tf.keras.Model(inputs, QDense(1, name="dense1", **q)(x), name="sparse_cnn")


def deepset_phi3():
    """hftsoi/sparse hls_deepset_pointwisePhi_{ioparallel,iostream}/keras_model.keras (commits 5e0bbf0 and 3abc271,
    which add the two reports; firmware beside each): a DeepSets jet classifier, 16 particles x 3 features through three pointwise
    QConv1D(32, kernel 1) + quantized_relu(8,0) (phi), QActivation quantized_bits(20,10), GlobalAveragePooling1D,
    QDense 32 + quantized_relu(8,0), QDense 5 (rho), Softmax; quantized_bits(8,0,alpha=1) kernels and biases."""
    tf = _tf()
    from qkeras import QActivation, QConv1D, QDense, quantized_bits, quantized_relu

    q = {"kernel_quantizer": quantized_bits(8, 0, alpha=1), "bias_quantizer": quantized_bits(8, 0, alpha=1)}
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(16, 3), name="phi_input")
    for i in (1, 2, 3):
        x = QConv1D(32, 1, name=f"phi{i}", **q)(x)
        x = QActivation(quantized_relu(8, 0), name=f"relu{i}")(x)
    x = QActivation(quantized_bits(20, 10), name="act_agg")(x)
    x = layers.GlobalAveragePooling1D(name="agg")(x)
    x = QActivation(quantized_relu(8, 0), name="relu4")(QDense(32, name="rho1", **q)(x))
    x = QDense(5, name="rho2", **q)(x)
    return tf.keras.Model(inputs, layers.Softmax(name="softmax")(x), name="deepset_phi3")


def mnist_denoise_autoencoder():
    """ChiRuiChen/AutoEncoder_hls4ml keras_model.h5 (an MNIST denoising autoencoder, README and hls4ml_config.yml
    beside the report): a 32x32x1 image through 3x3 'same' Conv2D + ReLU layers of 8, 4, 4, 4 filters with
    MaxPooling2D(2) after the first three, then 4, 8 and 1 filters each after an UpSampling2D(2) (nearest)."""
    tf = _tf()
    layers = tf.keras.layers
    model = tf.keras.Sequential(name="mnist_denoise_autoencoder")
    model.add(layers.Input(shape=(32, 32, 1), name="conv2d_147_input"))
    for index, filters in enumerate((8, 4, 4), start=147):
        model.add(layers.Conv2D(filters, (3, 3), padding="same", activation="relu", name=f"conv2d_{index}"))
        model.add(layers.MaxPooling2D((2, 2), name=f"max_pooling2d_{index - 84}"))
    model.add(layers.Conv2D(4, (3, 3), padding="same", activation="relu", name="conv2d_150"))
    for index, filters in enumerate((4, 8, 1), start=151):
        model.add(layers.UpSampling2D((2, 2), name=f"up_sampling2d_{index - 88}"))
        model.add(layers.Conv2D(filters, (3, 3), padding="same", activation="relu", name=f"conv2d_{index}"))
    return model


# (filters, kernel, stride) of each convolution: the two stem convolutions, then the two of each basic block
_CALO_QCNN_BLOCKS = ((2, 7, 2), (2, 3, 3),
                     *[conv for filters, stride in ((4, 1), (4, 1), (8, 2), (8, 1), (16, 2), (16, 1), (32, 2), (32, 1))
                       for conv in ((filters, 3, stride), (filters, 3, 1))])


def calo_qcnn_localizer():
    """MagiPrince/CNNandMLP qresnet_and_mlp.py qresnetModelWithLocalization (commit 1ca5b25, the one that adds the
    report; model_to_hls4ml.py converts it untrained): a 64x64x3 calorimeter image through 18 'same' QConv2D +
    QBatchNormalization + quantized_relu(16,6) blocks (7x7 stride 2 and 3x3 stride 3 with 2 filters, then pairs of
    3x3 with 4, 4, 8, 8, 16, 16, 32, 32 filters, the first of each new width at stride 2; the residual additions
    are commented out), quantized_bits(16,6,alpha=1) kernels and biases, lecun_uniform; Flatten into three
    QDense(2) (quantized_bits(16,0,alpha=1)) + quantized_relu(16,6), concatenated and reshaped to (3, 2)."""
    tf = _tf()
    from qkeras import QActivation, QBatchNormalization, QConv2D, QDense, quantized_bits, quantized_relu

    layers = tf.keras.layers
    conv_q = {"kernel_quantizer": quantized_bits(16, 6, alpha=1), "bias_quantizer": quantized_bits(16, 6, alpha=1),
              "kernel_initializer": "lecun_uniform", "use_bias": True}
    dense_q = {"kernel_quantizer": quantized_bits(16, 0, alpha=1), "bias_quantizer": quantized_bits(16, 0, alpha=1),
               "kernel_initializer": "lecun_uniform", "use_bias": True}
    x = inputs = layers.Input(shape=(64, 64, 3), name="input_1")
    for i, (filters, kernel, stride) in enumerate(_CALO_QCNN_BLOCKS):
        suffix = f"_{i}" if i else ""
        x = QConv2D(filters, (kernel, kernel), strides=(stride, stride), padding="same", name=f"q_conv2d{suffix}", **conv_q)(x)
        x = QBatchNormalization(name=f"q_batch_normalization{suffix}")(x)
        x = QActivation(quantized_relu(16, 6), name=f"q_activation{suffix}")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = [QActivation(quantized_relu(16, 6), name=f"q_activation_{18 + i}")(
        QDense(2, name="q_dense" + (f"_{i}" if i else ""), **dense_q)(x)) for i in range(3)]
    y = layers.Concatenate(axis=-1, name="concatenate")(outputs[:2])
    y = layers.Concatenate(axis=-1, name="concatenate_1")([y, outputs[2]])
    return tf.keras.Model(inputs, layers.Reshape((3, 2), name="reshape")(y), name="calo_qcnn_localizer")


def _deepset_training(model):
    x, y = _patterns(3000, (16, 3), 5)
    return _fit(model, x, y, epochs=10, learning_rate=0.003)


def _autoencoder_training(model):
    """Denoising: a noisy synthetic image in, the clean one out (mean squared error), as the source trains on MNIST."""
    clean, _ = _patterns(2000, (32, 32, 1), 10)
    clean = (clean - clean.min()) / (clean.max() - clean.min())
    noisy = np.clip(clean + np.random.default_rng(SEED).normal(0, 0.3, clean.shape), 0, 1).astype(np.float32)
    return _fit(model, noisy, clean, epochs=3, learning_rate=0.003)


def lhc_beam_autoencoder():
    """Daniel-Alencar/LHC-anomaly-detector train_lhc_model.py (commit cbd7452; lhc_autoencoder_model.h5, firmware and
    hls4ml_config.yml beside the report): a beam-orbit anomaly autoencoder on 8 sensors, Dense 6 (ReLU), Dense 3
    (ReLU), Dense 6 (ReLU) and a linear Dense 8, float Keras."""
    tf = _tf()
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(8,), name="input_layer")
    for name, units in (("encoder_1", 6), ("bottleneck", 3), ("decoder_1", 6)):
        x = layers.Dense(units, activation="relu", name=name)(x)
    return tf.keras.Model(inputs, layers.Dense(8, activation="linear", name="output_layer")(x), name="lhc_beam_autoencoder")


def _lhc_beam_training(model):
    """The source's own data is synthetic: 10000 beam-orbit readings of 8 sensors from N(0, 0.5), 80% trained on
    (autoencoder, input = target), Adam(1e-3), batch 32, 50 epochs, mean squared error."""
    x = np.random.default_rng(42).normal(0.0, 0.5, (8000, 8)).astype(np.float32)
    return _fit(model, x, x, epochs=50, learning_rate=0.001, batch_size=32)


def ml4quantum_qmlp():
    """fastmachinelearning/ml4quantum-release model/appendix/forward_problem/hls4ml_prj/keras_model.h5 (commit 275bdf8,
    firmware and hls4ml_config.yml beside the report; "Neural network accelerator for quantum control",
    arXiv:2208.02645): a regression MLP from 1 gate parameter to 20 pulse parameters, QDense 4, 8, 12, 12, 12, 12
    with quantized_bits(18,3,alpha=1) kernels and biases, each followed by quantized_relu(18,3), and a linear QDense 20."""
    tf = _tf()
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = {"kernel_quantizer": quantized_bits(18, 3, alpha=1), "bias_quantizer": quantized_bits(18, 3, alpha=1)}
    x = inputs = tf.keras.layers.Input(shape=(1,), name="fc1_input")
    for index, units in enumerate((4, 8, 12, 12, 12, 12), start=1):
        x = QActivation(quantized_relu(18, 3), name=f"relu{index}")(QDense(units, name=f"fc{index}", **q)(x))
    return tf.keras.Model(inputs, QDense(20, name="fc7", **q)(x), name="ml4quantum_qmlp")


def _ml4quantum_training(model):
    """A smooth synthetic map from one parameter to 20 (the source fits pulse parameters of simulated quantum gates,
    data/appendix/*.npy), mean squared error."""
    rng = np.random.default_rng(SEED)
    beta = rng.uniform(-1, 1, (6000, 1)).astype(np.float32)
    alpha = np.concatenate([np.sin((k + 1) * np.pi * beta / 2) for k in range(20)], axis=1).astype(np.float32)
    return _fit(model, beta, alpha, epochs=30, learning_rate=0.003, batch_size=64)


def pynq_mnist_qcnn(conv_quantizers: tuple, dense_quantizers: tuple, flatten: str, name: str):
    """Gabriele-bot/PYNQ_IA NN_train/MNIST_Test/HLS_projects/Qkeras_pruned_CNN/hls4ml_PYNQ_prj/keras_model.h5 (commits
    2f2d701 and b75fff6, firmware and hls4ml_config.yml beside each report; MNIST_CNN_train.ipynb trains it pruned): a
    28x28x1 image through QConv2D(16, 3x3), quantized_relu(3,1), MaxPooling2D(2), QConv2D(16, 3x3), quantized_relu(3,1),
    MaxPooling2D(2), Flatten, QDense 10 and softmax; `conv_quantizers` are the (kernel, bias) quantized_bits
    (bits, integer) of each convolution, `dense_quantizers` the QDense's, all alpha=1."""
    tf = _tf()
    from qkeras import QActivation, QConv2D, QDense, quantized_bits

    def q(kernel: tuple, bias: tuple) -> dict:
        return {"kernel_quantizer": quantized_bits(*kernel, alpha=1), "bias_quantizer": quantized_bits(*bias, alpha=1)}

    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(28, 28, 1), name="layer0")
    for (conv_name, relu_name, pool_name), quantizers in zip((("q_conv2d", "q_relu", "maxp"), ("q_conv2d_1", "1_relu_1", "maxp_1")),
                                                             conv_quantizers):
        x = QConv2D(16, (3, 3), name=conv_name, **q(*quantizers))(x)
        x = layers.MaxPooling2D((2, 2), name=pool_name)(QActivation("quantized_relu(3,1)", name=relu_name)(x))
    x = QDense(10, name="q_dense", **q(*dense_quantizers))(layers.Flatten(name=flatten)(x))
    return tf.keras.Model(inputs, layers.Activation("softmax", name="softmax")(x), name=name)


def _pynq_mnist_training(model, zeros: dict):
    """Synthetic 28x28 digits stand-in, then magnitude pruning of each layer to the published firmware's fraction of
    zero weights (parameters.h n_zeros of 144, 2304 and 4000 weights: `zeros`)."""
    x, y = _patterns(3000, (28, 28, 1), 10)
    _fit(model, x, y, epochs=3, learning_rate=0.003)
    sizes = {"q_conv2d": 144, "q_conv2d_1": 2304, "q_dense": 4000}
    sparsity = {name: zeros[name] / size for name, size in sizes.items()}
    return _prune(model, sparsity, list(sparsity), x, y, epochs=2, learning_rate=0.001)


def l1topo_ad_encoder():
    """max-cohen54/AD_trigger_training L1AD/HLS/FiorDiLatte_DenseBN_Topo2A_trigger_VAE_GAN_LUT_NoData (commit 5b9c1b4:
    keras_model.h5, hls4ml_config.yml and the firmware beside the report; the report is of the generated firmware, kept
    as firmware_bak/, not of the hand-edited firmware/ with integer ports): the encoder of an ATLAS L1Topo anomaly-detection
    VAE, 44 jet, e/tau, muon and MET inputs through Dense 32, ReLU, Dense 16, ReLU and Dense 3 (z_mean). The published
    model's two hidden layers are QDenseBatchnorm, which hls4ml folds into a Dense (the firmware has no BatchNormalization)
    and hls4ml 1.3 does not parse: they are rebuilt as QDense; every kernel and bias quantized_bits(10,5,alpha=1); the
    ReLUs quantized_relu(15,0) (the published negative_slope of 2^-10 is left out: the firmware computes a plain ReLU)."""
    tf = _tf()
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = {"kernel_quantizer": quantized_bits(10, 5, alpha=1), "bias_quantizer": quantized_bits(10, 5, alpha=1),
         "kernel_initializer": "he_normal"}
    x = inputs = tf.keras.layers.Input(shape=(44,), name="inputs")
    for index, units in ((1, 32), (2, 16)):
        x = QActivation(quantized_relu(15, 0), name=f"relu{index}")(QDense(units, name=f"dense{index}", **q)(x))
    return tf.keras.Model(inputs, QDense(3, name="z_mean", **q)(x), name="l1topo_ad_encoder")


def _l1topo_ad_training(model):
    """Synthetic stand-in for the L1Topo objects (44 standardized features) regressed onto a random linear 3-dimensional
    projection of them, then pruned to the published firmware's zero weights (parameters.h n_zeros 369 of 1408, 30 of
    512, 1 of 48; the 10-bit quantization zeroes a few more of the rebuilt dense2 and z_mean weights: 38 and 2)."""
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(8000, 44)).astype(np.float32)
    y = (x @ rng.normal(size=(44, 3))).astype(np.float32)
    _fit(model, x, y, epochs=10, learning_rate=0.003)
    sparsity = {"dense1": 369 / 1408, "dense2": 30 / 512, "z_mean": 1 / 48}
    return _prune(model, sparsity, list(sparsity), x, y, epochs=2, learning_rate=0.001)


def random_qmlp():
    """kimhaneal11/hls4ml_practice 01_SimpleFNN_RandomData/01_synthesize.ipynb (commit b945f14; keras_model.keras,
    hls4ml_config.yml and the firmware beside the report): a QKeras MLP on 10 random inputs, QDense 64, 32 and 1 with
    quantized_bits(6,0,alpha=1) kernels and biases and lecun_uniform, quantized_relu(6) between them, sigmoid output."""
    tf = _tf()
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = {"kernel_quantizer": quantized_bits(6, 0, alpha=1), "bias_quantizer": quantized_bits(6, 0, alpha=1),
         "kernel_initializer": "lecun_uniform"}
    x = inputs = tf.keras.layers.Input(shape=(10,), name="q_dense_3_input")
    for dense, relu, units in (("q_dense_3", "q_activation_2", 64), ("q_dense_4", "q_activation_3", 32)):
        x = QActivation(quantized_relu(6), name=relu)(QDense(units, name=dense, **q)(x))
    x = tf.keras.layers.Activation("sigmoid", name="activation_1")(QDense(1, name="q_dense_5", **q)(x))
    return tf.keras.Model(inputs, x, name="random_qmlp")


def _random_qmlp_training(model):
    """The notebook's own data: 1000 uniform random 10-vectors with random binary labels, Adam(1e-3), batch 32, 5 epochs."""
    rng = np.random.default_rng(SEED)
    x = rng.random((1000, 10)).astype(np.float32)
    y = rng.integers(0, 2, (1000, 1)).astype(np.float32)
    return _fit(model, x, y, epochs=5, learning_rate=0.001, batch_size=32)


def iris_mlp():
    """Thifjj/Iris_hls4ml_pynqZ2 projeto_iris_hls_ip_axi/keras_model.keras (commit 78cc2c6; firmware and
    hls4ml_config.yml beside the report, configurar_hls4ml.py converts iris_mlp_fixed.h5): a float Keras MLP on the 4
    standardized iris features, Dense 8 (ReLU), Dense 8 (ReLU), Dense 3 (softmax)."""
    tf = _tf()
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(4,), name="input_layer")
    x = layers.Dense(8, activation="relu", name="dense_8")(x)
    x = layers.Dense(8, activation="relu", name="dense_8_2")(x)
    return tf.keras.Model(inputs, layers.Dense(3, activation="softmax", name="output")(x), name="iris_mlp")


def _iris_training(model):
    """The iris data set itself (shipped with scikit-learn), standardized as the source's iris_scaler does."""
    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True)
    x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype(np.float32)
    return _fit(model, x, np.eye(3, dtype=np.float32)[y], epochs=100, learning_rate=0.01, batch_size=16)


def lenet5_qcnn():
    """abdennour-GUESSOUM/Lenet5-hls4ml lenet5_quantifié_8_4/keras_model.keras (commit 4fcac1b; Lenet5_hls4ml_8_4.ipynb,
    firmware and hls4ml_config.yml beside the report): a QKeras LeNet-5 on 28x28x1 MNIST, QConv2DBatchnorm(6, 5x5) and
    QConv2DBatchnorm(16, 5x5) each followed by quantized_tanh(8) (hard tanh) and MaxPooling2D(2), Flatten, QDense 16 +
    BatchNormalization + quantized_tanh(8) twice, QDense 10 and softmax; quantized_bits(8,3,alpha=1) kernels and biases."""
    tf = _tf()
    from qkeras import QActivation, QConv2DBatchnorm, QDense, quantized_bits, quantized_tanh

    q = {"kernel_quantizer": quantized_bits(8, 3, alpha=1), "bias_quantizer": quantized_bits(8, 3, alpha=1)}
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(28, 28, 1), name="input_layer")
    for i, filters in ((1, 6), (2, 16)):
        x = QActivation(quantized_tanh(8), name=f"qtanh{i}")(QConv2DBatchnorm(filters, (5, 5), name=f"qconvbn{i}", **q)(x))
        x = layers.MaxPooling2D((2, 2), name=f"qmaxpool{i}")(x)
    x = layers.Flatten(name="qflatten")(x)
    for i in (1, 2):
        x = layers.BatchNormalization(name=f"bn{i}")(QDense(16, name=f"qdense{i}", **q)(x))
        x = QActivation(quantized_tanh(8), name=f"qtanh{i + 2}")(x)
    x = layers.Activation("softmax", name="softmax")(QDense(10, name="qoutput", **q)(x))
    return tf.keras.Model(inputs, x, name="lenet5_qcnn")


def _lenet5_training(model):
    """Synthetic 28x28 digits stand-in, then magnitude pruning of each layer to the published firmware's zero weights
    (parameters.h n_zeros 40 of 150, 649 of 2400, 1130 of 4096, 69 of 256, 43 of 160)."""
    x, y = _patterns(3000, (28, 28, 1), 10)
    _fit(model, x, y, epochs=3, learning_rate=0.003)
    sparsity = {"qconvbn1": 40 / 150, "qconvbn2": 649 / 2400, "qdense1": 1130 / 4096, "qdense2": 69 / 256, "qoutput": 43 / 160}
    return _prune(model, sparsity, list(sparsity), x, y, epochs=2, learning_rate=0.001)


def tau_nn():
    """Duchstf/Tau_L1 HLS_IP/hardwareII_COM/testing60_pruned/hls4ml_prj (commit 6114d96; firmware/tau_nn.cpp, parameters.h,
    defines.h and hls4ml_config.yml beside the report, HLS_IP/convert.py converts it): the L1 tau tagger with two heads
    on 80 PUPPI-candidate inputs, QDense 25, 25, 15, 15, 10 each followed by quantized_relu(9) (ufixed<9,0>), with
    quantized_bits(9,2,alpha=1) kernels and biases; a QDense(1) + sigmoid tau-ID head and a linear QDense(1) pT head,
    both with quantized_bits(16,6,alpha=1); every kernel pruned to 60%."""
    tf = _tf()
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q9 = {"kernel_quantizer": quantized_bits(9, 2, alpha=1), "bias_quantizer": quantized_bits(9, 2, alpha=1)}
    q16 = {"kernel_quantizer": quantized_bits(16, 6, alpha=1), "bias_quantizer": quantized_bits(16, 6, alpha=1)}
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(80,), name="model_input")
    for i, units in enumerate((25, 25, 15, 15, 10), start=1):
        x = QActivation(quantized_relu(9), name=f"relu_{i}")(QDense(units, name=f"Dense_{i}", **q9)(x))
    jet_id = layers.Activation("sigmoid", name="jetID_output")(QDense(1, name="Dense_6", **q16)(x))
    return tf.keras.Model(inputs, [jet_id, QDense(1, name="pT_output", **q16)(x)], name="tau_nn")


def _tau_training(model):
    """Synthetic stand-in for the tau/QCD ntuples: a binary label for the ID head and a regression target for the pT
    head, then magnitude pruning of every kernel to the published firmware's zero weights (parameters.h n_zeros
    1205 of 2000, 375 of 625, 225 of 375, 135 of 225, 90 of 150, 6 of 10 and 6 of 10)."""
    tf = _tf()
    x, y = _classification(20000, 80, 2)
    pt = (x[:, :8].sum(axis=1, keepdims=True) / 4).astype(np.float32)
    targets = [y[:, 1:], pt]
    model.compile(optimizer=tf.keras.optimizers.Adam(0.003), loss=["binary_crossentropy", "mse"])
    model.fit(x, targets, epochs=5, batch_size=256, verbose=0)
    sparsity = {"Dense_1": 1205 / 2000, "Dense_2": 0.6, "Dense_3": 0.6, "Dense_4": 0.6, "Dense_5": 0.6, "Dense_6": 0.6,
                "pT_output": 0.6}
    return _prune_to_masks(model, sparsity, x, targets)


def wavrec_cnn1d(name: str):
    """uw-acme/HLS4ML_-NeutDetector src/hdl/IGNORE/uplane-*/keras_model.h5 (commit f444fcf; firmware and hls4ml_config.yml
    beside each report, src/python/TrainU_NU.ipynb trains it): the U-plane neutrino waveform recogniser, a 200-sample
    waveform x 1 channel through Conv1D(16, 3, strides 2, ReLU), MaxPooling1D(2), Conv1D(32, 5, strides 2, ReLU),
    MaxPooling1D(2), Dropout(0.1), Conv1D(64, 9, ReLU), GlobalMaxPooling1D, Dropout(0.2), Flatten and Dense(1, sigmoid)
    'wavrec_out'; float Keras, glorot_uniform."""
    tf = _tf()
    layers = tf.keras.layers
    model = tf.keras.Sequential(name=name)
    model.add(layers.Input(shape=(200, 1), name="conv1d_input"))
    model.add(layers.Conv1D(16, 3, strides=2, activation="relu", name="conv1d"))
    model.add(layers.MaxPooling1D(2, name="max_pooling1d"))
    model.add(layers.Conv1D(32, 5, strides=2, activation="relu", name="conv1d_1"))
    model.add(layers.MaxPooling1D(2, name="max_pooling1d_1"))
    model.add(layers.Dropout(0.1, name="dropout"))
    model.add(layers.Conv1D(64, 9, activation="relu", name="conv1d_2"))
    model.add(layers.GlobalMaxPooling1D(name="global_max_pooling1d"))
    model.add(layers.Dropout(0.2, name="dropout_1"))
    model.add(layers.Flatten(name="flatten"))
    model.add(layers.Dense(1, activation="sigmoid", name="wavrec_out"))
    return model


def spehic_mnist_qcnn():
    """Spehic/Diplomska-hls4ml mnist/qkeras-pruned/train.py (commit 08539a9; my-hls-test/keras_model.keras, the firmware and
    hls4ml_config.yml beside the report): a QKeras MNIST CNN, 28x28x1 through QConv2D(32, 3x3) and QConv2D(32, 3x3) each with
    a quantized_relu(4) activation and MaxPooling2D(2), Flatten, QDense 32 + quantized_relu(4) and QDense 10 + softmax;
    quantized_bits(4,0,alpha=1) kernels and biases; pruned (ConstantSparsity(0.5, begin_step=2000))."""
    tf = _tf()
    from qkeras import QConv2D, QDense, quantized_bits, quantized_relu

    q = {"kernel_quantizer": quantized_bits(4, 0, alpha=1), "bias_quantizer": quantized_bits(4, 0, alpha=1)}
    layers = tf.keras.layers
    model = tf.keras.Sequential(name="spehic_mnist_qcnn")
    model.add(layers.Input(shape=(28, 28, 1), name="qconv2d_1_input"))
    model.add(QConv2D(32, (3, 3), activation=quantized_relu(4), name="qconv2d_1", **q))
    model.add(layers.MaxPooling2D(2, 2, name="max_pooling2d_1"))
    model.add(QConv2D(32, (3, 3), activation=quantized_relu(4), name="qconv2d_2", **q))
    model.add(layers.MaxPooling2D(2, 2, name="max_pooling2d_2"))
    model.add(layers.Flatten(name="flatten"))
    model.add(QDense(32, activation=quantized_relu(4), name="qdense_1", **q))
    model.add(QDense(10, activation="softmax", name="qdense_2", **q))
    return model


def _pruned_patterns_training(sparsity: dict, samples: int, shape: tuple, classes: int):
    """Training for a published pruned classifier whose data is not used: `samples` synthetic images of `shape` in
    `classes` classes, then magnitude pruning of each named kernel to the fraction of zero weights its published
    firmware has (parameters.h n_zeros)."""
    def train(model):
        x, y = _patterns(samples, shape, classes)
        _fit(model, x, y, epochs=3, learning_rate=0.003)
        return _prune(model, sparsity, list(sparsity), x, y, epochs=2, learning_rate=0.001)
    return train


def tiny_cnn8():
    """kojos03/fpga_cnn_hls4ml hls4ml_init/train_convert_cnn.py (commit ba1a39f; hls4ml_cnn_zcu106/keras_model.keras, the
    firmware and hls4ml_config.yml beside the report): a tiny float Keras CNN on an 8x8x1 input, Conv2D(4, 3x3, ReLU),
    MaxPooling2D(2), Flatten, Dense 8 (ReLU) and Dense 2 (softmax), trained one epoch on 256 random images."""
    tf = _tf()
    layers = tf.keras.layers
    model = tf.keras.Sequential(name="tiny_cnn8")
    model.add(layers.Input(shape=(8, 8, 1), name="inp"))
    model.add(layers.Conv2D(4, (3, 3), activation="relu", padding="valid", name="conv1"))
    model.add(layers.MaxPooling2D((2, 2), name="pool1"))
    model.add(layers.Flatten(name="flat"))
    model.add(layers.Dense(8, activation="relu", name="fc1"))
    model.add(layers.Dense(2, activation="softmax", name="out"))
    return model


def _tiny_cnn8_training(model):
    """The script's own data: 256 standard-normal 8x8x1 images with random labels, Adam, batch 32, one epoch."""
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((256, 8, 8, 1)).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[rng.integers(0, 2, 256)]
    return _fit(model, x, y, epochs=1, learning_rate=0.001, batch_size=32)


def cestmerneil_lenet():
    """CestMerNeil/FPGA_Accelerator4NN_Inference LeNet/LeNet_PYNQ/keras_model.h5 (commit c607ec5; LeNet2HLS.ipynb converts it,
    firmware and hls4ml_config.yml beside the report): a QKeras LeNet on 28x28x1 MNIST, QConv2D(16, 5x5) and QConv2D(4, 5x5)
    each followed by quantized_relu(4) and MaxPooling2D(2), Flatten, QDense 30 and QDense 10 (no activation between them),
    softmax; quantized_bits(8,4,alpha=1) kernels and biases, lecun_uniform."""
    tf = _tf()
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    q = {"kernel_quantizer": quantized_bits(8, 4, alpha=1), "bias_quantizer": quantized_bits(8, 4, alpha=1),
         "kernel_initializer": "lecun_uniform"}
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(28, 28, 1), name="input_1")
    for i, filters in ((1, 16), (2, 4)):
        x = QActivation(quantized_relu(4), name=f"relu{i}")(QConv2D(filters, (5, 5), name=f"conv{i}", **q)(x))
        x = layers.MaxPooling2D((2, 2), name=f"pool{i}")(x)
    x = QDense(10, name="fc2", **q)(QDense(30, name="fc1", **q)(layers.Flatten(name="flatten")(x)))
    return tf.keras.Model(inputs, layers.Activation("softmax", name="softmax")(x), name="cestmerneil_lenet")


def sepconv_pf4():
    """calwilee/hls4ml-automated-testing modelTest.py / util/createKerasModel.py (commit ba6f0be; the keras_model.keras,
    firmware and hls4ml_config.yml of 0/proj_14-6_rf_1_pf_4_InH8_InW8/qkmodel beside the report): an automated test of
    hls4ml's separable convolution, Input(8, 8, 2), SeparableConv2D(5, 3x3, no bias, depthwise and pointwise kernels
    initialised to ones), Flatten, Dense(2) (linear)."""
    tf = _tf()
    layers = tf.keras.layers
    x = inputs = layers.Input((8, 8, 2), name="input_1")
    x = layers.SeparableConv2D(5, (3, 3), use_bias=False, depthwise_initializer="ones", pointwise_initializer="ones",
                               name="separable_conv2d")(x)
    x = layers.Dense(2, name="dense")(layers.Flatten(name="flatten")(x))
    return tf.keras.Model(inputs, x, name="sepconv_pf4")


def _sepconv_training(model):
    """modelTest.py's own data: 10 uniform random 8x8x2 inputs with random binary labels, binary cross-entropy,
    Adam(1e-3), batch 50, 50 epochs on the 8 left after its 20% validation split."""
    tf = _tf()
    rng = np.random.default_rng(SEED)
    x = rng.random((10, 8, 8, 2)).astype(np.float32)
    y = rng.integers(0, 2, (10, 1)).astype(np.float32)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.001), loss="binary_crossentropy")
    model.fit(x, y, epochs=50, batch_size=50, verbose=0, validation_split=0.2)
    return model


def kv260_mnist_cnn():
    """lolbraa/HLS4ML_testbench_KV260 development/MNIST_CNN/baseline/hls4ml_prj_MNIST_baseline_iostream (commit f91b624;
    keras_model.keras and hls4ml_config.yml beside the report, the firmware as myproject_prj/solution1/.autopilot/db/
    myproject.pp.0.cpp preprocessed it; the model as lolbraa/HLS4ML_testbench_KV260_clean development/mnist/
    MNIST_baseline.ipynb, commit 7972c41, defines it): a float Keras MNIST CNN, Input(28, 28, 1), Conv2D(32, 3x3, ReLU),
    MaxPooling2D(2), Conv2D(32, 3x3, ReLU), MaxPooling2D(2), Flatten, Dropout(0.4), Dense(10, softmax)."""
    tf = _tf()
    layers = tf.keras.layers
    x = inputs = layers.Input((28, 28, 1), name="input_layer")
    x = layers.MaxPooling2D((2, 2), name="max_pooling2d")(layers.Conv2D(32, (3, 3), activation="relu", name="conv2d")(x))
    x = layers.MaxPooling2D((2, 2), name="max_pooling2d_1")(layers.Conv2D(32, (3, 3), activation="relu", name="conv2d_1")(x))
    x = layers.Dropout(0.4, name="dropout")(layers.Flatten(name="flatten")(x))
    x = layers.Dense(10, activation="softmax", name="dense")(x)
    return tf.keras.Model(inputs, x, name="kv260_mnist_cnn")


def _kv260_mnist_training(model):
    """Synthetic 28x28 digits stand-in (the source trains on MNIST), three epochs."""
    x, y = _patterns(3000, (28, 28, 1), 10)
    return _fit(model, x, y, epochs=3, learning_rate=0.001)


def tiny_mnist_cnn2():
    """MuhammadAshraful/CNN-in-FPGA-hls4ml hls_cnn/keras_model.h5 (commit ba1a637; the firmware and hls4ml_config.yml of
    hls_conversion/convert_to_hls.py beside the report): the first model of model_training/train_cnn.py, a float Keras
    MNIST CNN, Input(28, 28, 1), Conv2D(2, 3x3, ReLU), Flatten, Dense(10, softmax), trained one epoch (Adam, batch 128)."""
    tf = _tf()
    layers = tf.keras.layers
    x = inputs = layers.Input((28, 28, 1), name="input_1")
    x = layers.Flatten(name="flatten")(layers.Conv2D(2, (3, 3), activation="relu", name="conv2d")(x))
    x = layers.Dense(10, activation="softmax", name="dense")(x)
    return tf.keras.Model(inputs, x, name="tiny_mnist_cnn2")


def _tiny_mnist_cnn2_training(model):
    """Synthetic 28x28 digits stand-in (the source trains one epoch on MNIST, Adam, batch 128)."""
    x, y = _patterns(3000, (28, 28, 1), 10)
    return _fit(model, x, y, epochs=1, learning_rate=0.001, batch_size=128)


def example_1layer():
    """FeynmanLogic/LightningSimHLS4MLintegration examples/fifo_stream_models_vitis2023/KERAS_1layer (commit cb19c88) and
    examples/my-hls-test (commit ae190c7) (the firmware and hls4ml_config.yml beside each report, converted from hls4ml's
    example model KERAS_1layer.json): Input(10), Dense(32, ReLU) named fc1_relu, Dense(1, sigmoid) named output_sigmoid."""
    tf = _tf()
    layers = tf.keras.layers
    x = inputs = layers.Input((10,), name="input_1")
    x = layers.Dense(32, activation="relu", name="fc1_relu")(x)
    x = layers.Dense(1, activation="sigmoid", name="output_sigmoid")(x)
    return tf.keras.Model(inputs, x, name="example_1layer")


def tiny_cnn_same8():
    """mbavier/HLS4ML_VerilogAndC CNN/keras_model.h5 (commit 5a07166; the firmware and hls4ml_config.yml beside the report):
    a float Keras CNN on an 8x8x1 input, Conv2D(2, 3x3, padding 'same', ReLU) named conv2d_1, Flatten, Dense(10, softmax)
    named dense_1."""
    tf = _tf()
    layers = tf.keras.layers
    x = inputs = layers.Input((8, 8, 1), name="conv2d_1_input")
    x = layers.Conv2D(2, (3, 3), padding="same", activation="relu", name="conv2d_1")(x)
    x = layers.Dense(10, activation="softmax", name="dense_1")(layers.Flatten(name="flatten_1")(x))
    return tf.keras.Model(inputs, x, name="tiny_cnn_same8")


def _tiny_cnn_same8_training(model):
    """Synthetic 8x8x1 images of 10 classes (the source's data is not in the repository), five epochs."""
    x, y = _patterns(3000, (8, 8, 1), 10)
    return _fit(model, x, y, epochs=5, learning_rate=0.003)


def cms_l1_deepset():
    """CMS-L1T-Jet-Tagging/CL2TaggerFirmware models/model_QDeepSets_PermutationInv_nconst_16_nfeatures_21_nbits_8_pruned.h5
    (commit 766b612; convert.py converts it into JetTaggerNN/, whose keras_model.h5, firmware/parameters.h, defines.h and
    hls4ml_config.yml sit beside the report): the CMS L1 multiclass jet tagger, a DeepSets over 16 constituents x 21 features:
    BatchNormalization, two per-constituent QDense(32) + quantized_relu(9,0) (phi, converted to pointwise convolutions),
    QActivation quantized_bits(18,8), GlobalAveragePooling1D, QDense 32 + quantized_relu(9,0) (rho), then a class head
    (QDense 32 + quantized_relu(9,0), QDense 8, softmax) and a regression head (QDense 32 + quantized_relu(9,0), linear
    QDense 1); quantized_bits(9,2,alpha=1) kernels and biases, quantized_bits(16,6,alpha=1) in the two output layers."""
    tf = _tf()
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q9 = {"kernel_quantizer": quantized_bits(9, 2, alpha=1), "bias_quantizer": quantized_bits(9, 2, alpha=1)}
    q16 = {"kernel_quantizer": quantized_bits(16, 6, alpha=1), "bias_quantizer": quantized_bits(16, 6, alpha=1)}
    layers = tf.keras.layers

    def dense_relu(x, units, name):
        return QActivation(quantized_relu(9, 0), name=f"qActivation_{name}")(QDense(units, name=f"qDense_{name}", **q9)(x))

    x = inputs = layers.Input(shape=(16, 21), name="inputs")
    x = layers.BatchNormalization(name="batchnorm_inputs")(x)
    x = dense_relu(dense_relu(x, 32, "phi_1"), 32, "phi_2")
    x = QActivation(quantized_bits(18, 8), name="qActivationForPool")(x)
    x = dense_relu(layers.GlobalAveragePooling1D(name="avgpool")(x), 32, "rho_1")
    jet_class = layers.Activation("softmax", name="output_class")(
        QDense(8, name="qDense_out_class", **q16)(dense_relu(x, 32, "2_class")))
    jet_pt = layers.Activation("linear", name="output_reg")(QDense(1, name="qDense_out_reg", **q16)(dense_relu(x, 32, "2_reg")))
    return tf.keras.Model(inputs, [jet_class, jet_pt], name="cms_l1_deepset")


def _cms_l1_deepset_training(model):
    """Synthetic stand-in for the jet-constituent samples: 8 classes for the softmax head and a regression target for
    the linear head, then magnitude pruning of the kernels to the published firmware's zero weights (parameters.h
    n_zeros 336 of 672, 512 of 1024, 664 of 1024, 745 of 1024 and 843 of 1024; none in the two output layers)."""
    tf = _tf()
    x, y = _patterns(4000, (16, 21), 8)
    target = (x[:, :, :4].mean(axis=(1, 2))[:, None] * 4).astype(np.float32)
    targets = [y, target]
    model.compile(optimizer=tf.keras.optimizers.Adam(0.003), loss=["categorical_crossentropy", "mse"])
    model.fit(x, targets, epochs=5, batch_size=256, verbose=0)
    sparsity = {"qDense_phi_1": 336 / 672, "qDense_phi_2": 512 / 1024, "qDense_rho_1": 664 / 1024,
                "qDense_2_class": 745 / 1024, "qDense_2_reg": 843 / 1024}
    return _prune_to_masks(model, sparsity, x, targets)


def pokerml_card_qcnn(name: str, classes: int):
    """RishThakkar/PokerML projects/qat_hls4ml_prj_Rank/keras_model.h5 and projects/qat_hls4ml_prj_Suits/keras_model.h5
    (= models/qkeras/Ranks_model.h5 and suits_model.h5, trained by 01_Rank_training.ipynb and 01_Suits_training.ipynb and
    converted by model_hls4ml.ipynb; the firmware and hls4ml_config.yml beside each report): QKeras playing-card classifiers,
    a 64x64x3 image through QConv2D(4, 3x3) + quantized_relu(6,0) + MaxPooling2D(2) twice, Flatten and QDense with a softmax
    activation over the 13 ranks or the 4 suits; quantized_bits(6,0,alpha=1) kernels and biases."""
    tf = _tf()
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    q = {"kernel_quantizer": quantized_bits(6, 0, alpha=1), "bias_quantizer": quantized_bits(6, 0, alpha=1)}
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(64, 64, 3), name="conv1_input")
    for i in (1, 2):
        x = QActivation(quantized_relu(6, 0), name=f"relu{i}")(QConv2D(4, (3, 3), name=f"conv{i}", **q)(x))
        x = layers.MaxPooling2D((2, 2), name=f"maxpool{i}")(x)
    x = QDense(classes, activation="softmax", name="output", **q)(layers.Flatten(name="flatten")(x))
    return tf.keras.Model(inputs, x, name=name)


def eeg_conv1d_encoder(name: str, weight_bits: int, activation_bits: int, names: dict):
    """Berk-Bilgin/ML-fpga model_{1,2,3}/hls4ml_prj/keras_model.h5 (commit 20ad213; hls4ml.ipynb converts them, Qkeras.ipynb
    trains them; the firmware and hls4ml_config.yml beside each report): the QKeras encoder of an EEG (EDF recordings)
    autoencoder, 64 int16 samples x 1 channel through 'same' QConv1D(8, 3), QConv1D(8, 5), QConv1D(4, 5, strides 2) and
    QConv1D(4, 5, strides 2), each followed by a QActivation quantized_bits(activation_bits, 15), Flatten, QDense 16 and a
    QActivation quantized_bits(16, 15); quantized_bits(weight_bits, 0, alpha=1) kernels and biases. `names` maps the
    layer roles to the source's Keras names (they differ between model_1 and models 2 and 3)."""
    tf = _tf()
    from qkeras import QActivation, QConv1D, QDense, quantized_bits

    q = {"kernel_quantizer": quantized_bits(weight_bits, 0, alpha=1), "bias_quantizer": quantized_bits(weight_bits, 0, alpha=1)}
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(64, 1), name="input_time_series")
    for conv, act, (filters, kernel, stride) in zip(names["conv"], names["act"], ((8, 3, 1), (8, 5, 1), (4, 5, 2), (4, 5, 2))):
        x = QConv1D(filters, kernel, strides=stride, padding="same", name=conv, **q)(x)
        x = QActivation(quantized_bits(activation_bits, 15), name=act)(x)
    x = QDense(16, name=names["dense"], **q)(layers.Flatten(name=names["flatten"])(x))
    return tf.keras.Model(inputs, QActivation(quantized_bits(16, 15), name=names["act"][4])(x), name=name)


def _eeg_encoder_training(model):
    """Synthetic 64-sample single-channel waveforms (the EDF recordings are in the repository but not read here) mapped to a
    fixed random 16-dimensional projection (mean squared error), a few epochs: the encoder half is what the source converts."""
    x, _ = _patterns(3000, (64, 1), 4)
    target = (x[:, :, 0] @ np.random.default_rng(SEED).normal(0, 0.2, (64, 16))).astype(np.float32)
    return _fit(model, x, target, epochs=5, learning_rate=0.003)


def qubit_readout_mlp(name: str):
    """freaksie/ML-on-Chip {model_1,tmp,Q3_new}/lbnl/keras_model.h5 (commit 3e107a9; Code/hls4ml.ipynb converts it, the firmware
    and hls4ml_config.yml beside each report): a float Keras MLP that classifies a qubit's readout from its two (I, Q)
    values (Data/x_test.npy, two Gaussian clusters), Dense 8 (ReLU), Dense 4 (ReLU), Dense 1 (sigmoid), glorot_uniform."""
    tf = _tf()
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(2,), name="input_2")
    x = layers.Dense(8, activation="relu", name="HiddenLayer1")(x)
    x = layers.Dense(4, activation="relu", name="HiddenLayer2")(x)
    return tf.keras.Model(inputs, layers.Dense(1, activation="sigmoid", name="OuputLayer")(x), name=name)


def _qubit_readout_training(model):
    """Synthetic readouts like the source's test set (the training script is not in the repository): two Gaussian (I, Q)
    clusters, state 0 at (-2.5, -3.5) and state 1 at (0.4, 2.0), standard deviations 1.5 and 1.75; Adam(1e-3), 20 epochs."""
    rng = np.random.default_rng(SEED)
    y = rng.integers(0, 2, 8000)
    centers = np.array([[-2.5, -3.5], [0.4, 2.0]])
    x = (centers[y] + rng.normal(0, 1, (8000, 2)) * np.array([1.5, 1.75])).astype(np.float32)
    return _fit(model, x, y[:, None].astype(np.float32), epochs=20, learning_rate=0.001, batch_size=64)


def dune_le_cnn2d():
    """akshaynevis/DUNE_2DCNN_real-time hls4ml_prj_u250_custom_stream_axi_fused_fixed_1024_1024_12_2018 (commit e4f6774; the
    firmware and hls4ml_config.yml of the project, converted by rt_detect_le_events_dune's synthesise.py, which is not
    public here): the QKeras classifier of low-energy DUNE events as the network top myproject has it. The wrapper
    myproject_axi zero-pads the 64x480 readout image to 64x512, sum-pools it 2x8 to 32x64 and pads it by one pixel (custom
    code), so the network's input is that padded 34x66x1 image: QConv2D(8, 3x3, valid), MaxPooling2D(2x4), QConv2D(16, 3x3,
    same), MaxPooling2D(4x4), Flatten, QDense 12 and QDense 2 ('output'), no activations; kernels quantized_bits(6,0,alpha=1)
    (fixed<6,1>), the convolutions' biases fixed<16,9> and the dense layers' fixed<6,1> (quantizers inferred from those
    types)."""
    tf = _tf()
    from qkeras import QConv2D, QDense, quantized_bits

    kernel = {"kernel_quantizer": quantized_bits(6, 0, alpha=1)}
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(34, 66, 1), name="input_1")
    x = QConv2D(8, (3, 3), name="q_conv2d", bias_quantizer=quantized_bits(16, 8, alpha=1), **kernel)(x)
    x = layers.MaxPooling2D((2, 4), name="max_pooling2d")(x)
    x = QConv2D(16, (3, 3), padding="same", name="q_conv2d_1", bias_quantizer=quantized_bits(16, 8, alpha=1), **kernel)(x)
    x = layers.MaxPooling2D((4, 4), name="max_pooling2d_1")(x)
    x = QDense(12, name="q_dense", bias_quantizer=quantized_bits(6, 0, alpha=1), **kernel)(layers.Flatten(name="flatten")(x))
    x = QDense(2, name="output", bias_quantizer=quantized_bits(6, 0, alpha=1), **kernel)(x)
    return tf.keras.Model(inputs, x, name="dune_le_cnn2d")


def benchmark_mlp():
    """baranyusuf/fpga-vs-cpu-mlp-power-performance-benchmark model.py and build_fpga.py (commit b2ab56c;
    hls_project/keras_model.keras, hls4ml_config.yml and the firmware beside the report): a float Keras MLP on 32
    inputs, Dense 64 (ReLU), Dense 32 (ReLU), Dense 8 (linear), named as Keras 3 names them."""
    tf = _tf()
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(32,), name="input_layer")
    x = layers.Dense(64, activation="relu", name="dense")(x)
    x = layers.Dense(32, activation="relu", name="dense_1")(x)
    return tf.keras.Model(inputs, layers.Dense(8, name="dense_2")(x), name="benchmark_mlp")


def _benchmark_mlp_weights(model):
    """Not trained: model.py's own weights, np.random.seed(0) and then np.random.randn for each kernel and bias in
    layer order (the committed model is saved with exactly these)."""
    np.random.seed(0)
    for name in ("dense", "dense_1", "dense_2"):
        layer = model.get_layer(name)
        layer.set_weights([np.random.randn(*w.shape).astype(np.float32) for w in layer.get_weights()])
    return model


def housing_etf_mlp():
    """josema060603/FPGA_for_financial_data_analysis mlp_housing_etf_predictor.py build_mlp_model (commit a457db1;
    hls.py converts mlp_vnq.h5; hls_project/hls4ml_config.yml, defines.h and the preprocessed firmware with
    parameters.h, .autopilot/db/myproject.pp.0.cpp, beside the report): a float Keras MLP predicting a housing ETF's
    next-day move from 75 standardized technical indicators, Dense 64, 32 and 16 (ReLU) with Dropout 0.3, 0.2 and
    0.2 after them, Dense 1 (sigmoid)."""
    tf = _tf()
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(75,), name="hidden_1_input")
    for index, (units, rate) in enumerate(((64, 0.3), (32, 0.2), (16, 0.2)), start=1):
        x = layers.Dense(units, activation="relu", name=f"hidden_{index}")(x)
        x = layers.Dropout(rate, name=f"dropout_{index}")(x)
    return tf.keras.Model(inputs, layers.Dense(1, activation="sigmoid", name="output")(x), name="housing_etf_mlp")


def snl_vae_encoder(name: str, widths: tuple):
    """Kenny-Jia/ToyVAE HLS/src/VAE_SNL_synthesis.py and large_VAE_SNL_synthesis.py (commit 84c82d9; keras_model.h5 and
    hls4ml_config.yml beside the small designs' reports, the firmware beside every report; software_dev/Notebooks
    SNL_VAE_Trainer_Vsmall.ipynb and SNL_VAE_Trainer_Vlarge.ipynb train them): the encoder of an anomaly-detection VAE
    on the 57 ADC2021 (CMS L1 trigger) inputs, float Keras Dense `widths[0]`, ReLU, Dense `widths[1]`, ReLU and Dense
    `widths[2]` (z_mean): 32, 16, 3 for the small model, 128, 64, 16 for the large one."""
    tf = _tf()
    layers = tf.keras.layers
    x = inputs = layers.Input(shape=(57,), name="inputs")
    x = layers.ReLU(name="relu1")(layers.Dense(widths[0], name="dense1")(x))
    x = layers.ReLU(name="relu2")(layers.Dense(widths[1], name="dense2")(x))
    return tf.keras.Model(inputs, layers.Dense(widths[2], name="z_mean")(x), name=name)


def _snl_vae_training(model):
    """Synthetic stand-in for the ADC2021 events (57 standardized features) regressed onto a random linear projection to
    the latent size (the encoder's z_mean; the source trains the whole VAE), a few epochs; no pruning (n_zeros 0)."""
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(8000, 57)).astype(np.float32)
    y = (x @ rng.normal(0, 0.3, size=(57, model.output_shape[-1]))).astype(np.float32)
    return _fit(model, x, y, epochs=5, learning_rate=0.003)


_EEG_NAMES = {"model_1": {"conv": [f"q_conv1d_{i}" for i in range(16, 20)], "act": [f"q_activation_{i}" for i in range(20, 25)],
                          "dense": "q_dense_4", "flatten": "flatten_4"},
              "model_2": {"conv": [f"q_conv1d_{i}" for i in range(4, 8)], "act": [f"q_activation_{i}" for i in range(4, 9)],
                          "dense": "q_dense_1", "flatten": "flatten_1"}}


# freaksie/ML-on-Chip's three designs of the qubit-readout MLP: the input's type and the (width, integer bits) of every other
# type (weights, biases, results, and the accumulators, which are the model default), as hls4ml_config.yml and defines.h have them.
_QUBIT_READOUT_TYPES = {"qubit_readout_mlp_q16_6": ("fixed<16,6>", (16, 6)),
                        "qubit_readout_mlp_q18_4": ("fixed<32,32>", (18, 4)),
                        "qubit_readout_mlp_q18_6": ("fixed<18,6>", (18, 6))}

# The NeutDetector CNN's published reuse factors, (conv1d, its ReLU and the pools, conv1d_1, conv1d_2, wavrec_out) per design,
# as its firmware has them (hls4ml moved each requested factor to the nearest valid one): the uplane-reuse16,
# uplane_reuse12_implementation and uplane-test projects.
_WAVREC_REUSE = {16: (12, 16, 16, 16, 16), 12: (12, 12, 10, 12, 8), 48: (48, 48, 40, 48, 32)}
_SPARSE_CNN_PF = (1, 10, 20, 50, 100, 200)
_PIXEL_RELU = (("batch_normalization", "batch_normalization_1"), ("q_activation", "q_activation_1"))
_DEEPPICAR_NAMES = {"deeppicar_best": (("conv1", "q_activation_140"), ("q_conv2d_140", "q_activation_141"),
                                       ("q_conv2d_141", "q_activation_142"), ("q_conv2d_143", "q_activation_143"), "output_1"),
                    "deeppicar_1100_000": (("conv1", "q_activation"), ("q_conv2d", "q_activation_1"),
                                           ("q_conv2d_1", "q_activation_2"), "output_1")}

ARCHITECTURES = {
    "jet_mlp": jet_mlp, "jet_mlp_pruned": jet_mlp, "jet_qmlp_pruned": jet_qmlp, "svhn_cnn_pruned": svhn_cnn,
    "svhn_qcnn_pruned": svhn_qcnn, "dense16x5": dense16x5, "dnd_qmlp4": dnd_qmlp4, "har_conv1d": har_conv1d,
    "jet_qmlp8_pruned": jet_qmlp8,
    "l1_llp_tagger": l1_llp_tagger,
    "smartpixel_dnn_q10": lambda: smartpixel_dnn(10, 0, 10, *_PIXEL_RELU, name="smartpixel_dnn_q10"),
    "smartpixel_dnn_q8": lambda: smartpixel_dnn(8, 2, 12, ("batch_normalization_18", "batch_normalization_19"),
                                                ("q_activation_18", "q_activation_19"), name="smartpixel_dnn_q8"),
    "smartpixel_dnn_q10_r15": lambda: smartpixel_dnn(10, 0, 15, ("batch_normalization_9", "batch_normalization_10"),
                                                     ("q_activation_8", "q_activation_9"), name="smartpixel_dnn_q10_r15"),
    "smartpixel_cnn_large": lambda: smartpixel_cnn((8, 13), 13, 10, 2, "quantized_relu(10)", False, "smartpixel_cnn_large"),
    "smartpixel_cnn_pruned": lambda: smartpixel_cnn((2, 4), 4, 24, 8, "quantized_relu(24,8)", True, "smartpixel_cnn_pruned"),
    "deeppicar_best": lambda: deeppicar_cnn((2, 4, 5, 6), (5, 5, 5, 3), (2, 2, 2, 1), True, _DEEPPICAR_NAMES["deeppicar_best"],
                                            "deeppicar_best"),
    "deeppicar_1100_000": lambda: deeppicar_cnn((2, 4, 5), (5, 5, 5), (2, 2, 2), False, _DEEPPICAR_NAMES["deeppicar_1100_000"],
                                                "deeppicar_1100_000"),
    "toptag_gru20": lambda: toptag_rnn("GRU", 20, 64, "toptag_gru20"),
    "toptag_gru5": lambda: toptag_rnn("GRU", 5, 5, "toptag_gru5"),
    "toptag_lstm20": lambda: toptag_rnn("LSTM", 20, 64, "toptag_lstm20"),
    "mnist_cnn": lambda: mnist_cnn((3, 3), (4, 8), (4, 2), 10, True, "mnist_cnn"),
    "mnist_cnn_linear": lambda: mnist_cnn((3, 3), (4, 8), (4, 2), 10, False, "mnist_cnn_linear"),
    "mnist_cnn_k4": lambda: mnist_cnn((4,), (4,), (4,), 12, True, "mnist_cnn_k4"),
    **{"sparse_cnn" + (f"_pf{factor}" if factor > 1 else ""): sparse_cnn for factor in _SPARSE_CNN_PF},
    "deepset_phi3": deepset_phi3,
    "mnist_denoise_autoencoder": mnist_denoise_autoencoder,
    "calo_qcnn_localizer": calo_qcnn_localizer,
    "lhc_beam_autoencoder": lhc_beam_autoencoder,
    "ml4quantum_qmlp": ml4quantum_qmlp,
    "pynq_mnist_qcnn": lambda: pynq_mnist_qcnn((((4, 1), (7, 0)), ((5, 0), (6, 0))), ((5, 0), (6, 0)), "flatten_3",
                                               "pynq_mnist_qcnn"),
    "pynq_mnist_qcnn6": lambda: pynq_mnist_qcnn((((6, 1), (6, 1)), ((6, 1), (6, 1))), ((6, 0), (6, 0)), "flatten",
                                                "pynq_mnist_qcnn6"),
    "l1topo_ad_encoder": l1topo_ad_encoder,
    "random_qmlp": random_qmlp,
    "iris_mlp": iris_mlp,
    "lenet5_qcnn": lenet5_qcnn,
    "tau_nn": tau_nn,
    **{f"wavrec_cnn1d_rf{rf}": functools.partial(wavrec_cnn1d, f"wavrec_cnn1d_rf{rf}") for rf in _WAVREC_REUSE},
    "spehic_mnist_qcnn": spehic_mnist_qcnn,
    "tiny_cnn8": tiny_cnn8,
    "cestmerneil_lenet": cestmerneil_lenet,
    "sepconv_pf4": sepconv_pf4,
    "kv260_mnist_cnn": kv260_mnist_cnn,
    "tiny_mnist_cnn2": tiny_mnist_cnn2,
    "example_1layer": example_1layer,
    "example_1layer_rf1": example_1layer,
    "tiny_cnn_same8": tiny_cnn_same8,
    "cms_l1_deepset": cms_l1_deepset,
    "cms_l1_deepset_auto": cms_l1_deepset,
    **{name: functools.partial(pokerml_card_qcnn, name, 13) for name in ("poker_rank_qcnn", "poker_rank_qcnn_b")},
    **{name: functools.partial(pokerml_card_qcnn, name, 4) for name in ("poker_suit_qcnn", "poker_suit_qcnn_rf512")},
    "eeg_encoder_q12": functools.partial(eeg_conv1d_encoder, "eeg_encoder_q12", 12, 28, _EEG_NAMES["model_1"]),
    **{name: functools.partial(eeg_conv1d_encoder, name, 8, 24, _EEG_NAMES["model_2"])
       for name in ("eeg_encoder_q8_rf2", "eeg_encoder_q8_rf3")},
    **{name: functools.partial(qubit_readout_mlp, name) for name in _QUBIT_READOUT_TYPES},
    "dune_le_cnn2d": dune_le_cnn2d,
    "benchmark_mlp": benchmark_mlp,
    "housing_etf_mlp": housing_etf_mlp,
    "snl_vae_encoder_small": functools.partial(snl_vae_encoder, "snl_vae_encoder_small", (32, 16, 3)),
    **{name: functools.partial(snl_vae_encoder, name, (128, 64, 16)) for name in ("snl_vae_encoder_large", "snl_vae_encoder_large_rf12")},
}
TRAINING = {
    "jet_mlp": lambda model: _jet_training(model, pruned=False),
    "jet_mlp_pruned": lambda model: _jet_training(model, pruned=True),
    "jet_qmlp_pruned": lambda model: _jet_training(model, pruned=True),
    "svhn_cnn_pruned": lambda model: _fold_batchnorm(_svhn_training(model, ["conv_0", "conv_1", "conv_2", "dense_0", "dense_1"])),
    "svhn_qcnn_pruned": lambda model: _svhn_training(model, ["fused_convbn_0", "fused_convbn_1", "fused_convbn_2", "dense_0", "dense_1"]),
    "dense16x5": lambda model: model,
    "dnd_qmlp4": _dnd_training,
    "har_conv1d": _har_training,
    "jet_qmlp8_pruned": lambda model: _jet_training(model, pruned=True),
    "l1_llp_tagger": lambda model: _binary_training(model, (10, 14), 10, ("q_conv1d", "q_conv1d_1", "q_dense", "q_dense_1"), 0.75),
    "smartpixel_dnn_q10": lambda model: _binary_training(model, (53,), 10, ("dense1", "dense2", "dense_output"), 0.3),
    "smartpixel_dnn_q8": lambda model: _binary_training(model, (53,), 10),
    "smartpixel_dnn_q10_r15": lambda model: _binary_training(model, (53,), 10, ("dense1", "dense2", "dense_output"), 0.3),
    "smartpixel_cnn_large": lambda model: _binary_training(model, (8, 13, 1), 6, ("dense1", "dense2"), 0.25),
    "smartpixel_cnn_pruned": lambda model: _binary_training(model, (8, 13, 1), 6, ("dense1", "dense2"), 0.5),
    "deeppicar_best": lambda model: _binary_training(model, (64, 64, 1), 3, samples=2000),
    "deeppicar_1100_000": lambda model: _binary_training(model, (64, 64, 1), 3, samples=2000),
    "toptag_gru20": lambda model: _binary_training(model, (20, 6), 5),
    "toptag_gru5": lambda model: _binary_training(model, (20, 6), 5),
    "toptag_lstm20": lambda model: _binary_training(model, (20, 6), 5),
    "mnist_cnn": _mnist_training,
    "mnist_cnn_linear": _mnist_training,
    "mnist_cnn_k4": _mnist_training,
    **{"sparse_cnn" + (f"_pf{factor}" if factor > 1 else ""): lambda model: _binary_training(model, (20, 20, 3), 5)
       for factor in _SPARSE_CNN_PF},
    "deepset_phi3": _deepset_training,
    "mnist_denoise_autoencoder": _autoencoder_training,
    "calo_qcnn_localizer": lambda model: model,
    "lhc_beam_autoencoder": _lhc_beam_training,
    "ml4quantum_qmlp": _ml4quantum_training,
    "pynq_mnist_qcnn": lambda model: _pynq_mnist_training(model, {"q_conv2d": 130, "q_conv2d_1": 1729, "q_dense": 3000}),
    "pynq_mnist_qcnn6": lambda model: _pynq_mnist_training(model, {"q_conv2d": 31, "q_conv2d_1": 1090, "q_dense": 740}),
    "l1topo_ad_encoder": _l1topo_ad_training,
    "random_qmlp": _random_qmlp_training,
    "iris_mlp": _iris_training,
    "lenet5_qcnn": _lenet5_training,
    "tau_nn": _tau_training,
    **{f"wavrec_cnn1d_rf{rf}": lambda model: _binary_training(model, (200, 1), 5) for rf in _WAVREC_REUSE},
    # parameters.h n_zeros 28 of 288, 4269 of 9216, 14671 of 25600, 15 of 320
    "spehic_mnist_qcnn": _pruned_patterns_training({"qconv2d_1": 28 / 288, "qconv2d_2": 4269 / 9216, "qdense_1": 14671 / 25600,
                                                    "qdense_2": 15 / 320}, 3000, (28, 28, 1), 10),
    "tiny_cnn8": _tiny_cnn8_training,
    # parameters.h n_zeros 65 of 400, 867 of 1600, 512 of 1920, 38 of 300
    "cestmerneil_lenet": _pruned_patterns_training({"conv1": 65 / 400, "conv2": 867 / 1600, "fc1": 512 / 1920, "fc2": 38 / 300},
                                                   3000, (28, 28, 1), 10),
    "sepconv_pf4": _sepconv_training,
    "kv260_mnist_cnn": _kv260_mnist_training,
    "tiny_mnist_cnn2": _tiny_mnist_cnn2_training,
    "example_1layer": lambda model: _binary_training(model, (10,), 10),
    "example_1layer_rf1": lambda model: _binary_training(model, (10,), 10),
    "tiny_cnn_same8": _tiny_cnn_same8_training,
    "cms_l1_deepset": _cms_l1_deepset_training,
    "cms_l1_deepset_auto": _cms_l1_deepset_training,
    # PokerML: synthetic 64x64x3 card images of the 13 ranks or 4 suits (the repository's card photographs are not used);
    # the rank model's first conversion (commits d735975 and 5dc6ecf: n_zeros 4 of 108, 9 of 144, 4704 of 10192), then the
    # retrained one (commit a8b5000: 4 of 108, 4 of 144, 3402 of 10192); the suit model (3 of 108, 9 of 144, 437 of 3136)
    "poker_rank_qcnn": _pruned_patterns_training({"conv1": 4 / 108, "conv2": 9 / 144, "output": 4704 / 10192}, 1500, (64, 64, 3), 13),
    "poker_rank_qcnn_b": _pruned_patterns_training({"conv1": 4 / 108, "conv2": 4 / 144, "output": 3402 / 10192}, 1500, (64, 64, 3), 13),
    **{name: _pruned_patterns_training({"conv1": 3 / 108, "conv2": 9 / 144, "output": 437 / 3136}, 1500, (64, 64, 3), 4)
       for name in ("poker_suit_qcnn", "poker_suit_qcnn_rf512")},
    **{name: _eeg_encoder_training for name in ("eeg_encoder_q12", "eeg_encoder_q8_rf2", "eeg_encoder_q8_rf3")},
    **{name: _qubit_readout_training for name in _QUBIT_READOUT_TYPES},
    # DUNE low-energy CNN: synthetic padded 34x66 images of 2 classes (the readout data are not used), pruned to the firmware's
    # n_zeros (35 of 72, 1016 of 1152, 2638 of 3072 and 10 of 24)
    "dune_le_cnn2d": _pruned_patterns_training({"q_conv2d": 35 / 72, "q_conv2d_1": 1016 / 1152, "q_dense": 2638 / 3072,
                                                "output": 10 / 24}, 2000, (34, 66, 1), 2),
    "benchmark_mlp": _benchmark_mlp_weights,
    # housing ETF MLP: synthetic 75-feature samples with binary labels (the source's Yahoo Finance indicators are not used)
    "housing_etf_mlp": lambda model: _binary_training(model, (75,), 10),
    **{name: _snl_vae_training for name in ("snl_vae_encoder_small", "snl_vae_encoder_large", "snl_vae_encoder_large_rf12")},
}

# The published designs' types where they differ from hls4ml 1.3's defaults (read off the
# reports' instance names): hls4ml 0.6-0.8 gave QKeras layers the model default fixed<16,6> for
# results and accumulators, and the tutorial rounds and saturates ReLU outputs.
_FIXED_16_6 = "fixed<16,6>"
_RELU_RND_SAT = "fixed<16,6,RND,SAT>"


def _fixed(bits: int, integer: int) -> dict:
    return {"weight": f"fixed<{bits},{integer}>", "bias": f"fixed<{bits},{integer}>"}


def _relu(bits: int, integer: int = 0) -> dict:
    return {"Precision": {"result": f"ufixed<{bits},{integer},RND_CONV,SAT>"}}


def _types(weight: tuple, result: str, accum: str | None = None, **extra) -> dict:
    return {"Precision": _fixed(*weight) | {"result": result} | ({"accum": accum} if accum else {})} | extra


def _linear_kept_out(results: dict) -> dict:
    """The linear activation hls4ml puts after each named layer, typed like that layer's result so that
    hls4ml removes it, as it did in the published design (whose firmware has no such layer)."""
    return {f"{name}_linear": {"Precision": {"result": result}} for name, result in results.items()}


def _sparse_cnn_layers(factor: int) -> dict:
    """hftsoi/sparse's CNN as its firmware types it; `factor` is the convolution's ParallelizationFactor
    (the model_conv_parallel_pf<factor> designs: 400 output pixels computed in 400 / factor partitions)."""
    return {"conv1": _types((6, 1), "fixed<28,13>", "fixed<28,13>", ParallelizationFactor=factor),
            "relu1": _relu(6),
            "pool1": {"Precision": {"accum": "ufixed<14,4>", "result": "ufixed<6,0,RND_CONV,SAT>"}},
            "dense1": _types((6, 1), "fixed<19,8>", "fixed<19,8>"),
            **_linear_kept_out({"conv1": "fixed<28,13>", "dense1": "fixed<19,8>"})}


def _calo_qcnn_layers() -> dict:
    """model_to_hls4ml.py's configuration: every layer Latency at reuse factor 64, but the convolutions of more
    than 4096 weights (the last four, 3x3 onto 32 filters) Resource; the QKeras types (no firmware was committed)."""
    layers = {}
    channels = 3
    for i, (filters, kernel, _) in enumerate(_CALO_QCNN_BLOCKS):
        suffix = f"_{i}" if i else ""
        strategy = "Resource" if kernel * kernel * channels * filters > 4096 else "Latency"
        layers[f"q_conv2d{suffix}"] = _types((16, 7), _F16_6, _F16_6, ReuseFactor=64, Strategy=strategy)
        layers[f"q_batch_normalization{suffix}"] = {"ReuseFactor": 64}
        layers[f"q_activation{suffix}"] = {"Precision": {"result": "ufixed<16,6,RND_CONV,SAT>"}, "ReuseFactor": 64}
        channels = filters
    for i in range(3):
        layers["q_dense" + (f"_{i}" if i else "")] = _types((16, 1), _F16_6, _F16_6, ReuseFactor=64)
        layers[f"q_activation_{18 + i}"] = {"Precision": {"result": "ufixed<16,6,RND_CONV,SAT>"}, "ReuseFactor": 64}
    return layers


def _pynq_mnist_layers(input_type: str, weighted: tuple) -> dict:
    """Gabriele-bot/PYNQ_IA's MNIST CNN as its firmware types it: `weighted` gives (weight, bias, reuse factor) of the two
    convolutions (Encoded: the firmware's pixels[] tables) and the QDense; results and accumulators fixed<16,6>, the
    ReLUs to fixed<3,2,RND,SAT> at reuse factor 1, the softmax with 12-bit tables at reuse factor 1, the pools Encoded
    too (the firmware predates hls4ml's line-buffer streaming: its configs have no implementation field) at the
    model's reuse factor."""
    layers = {"layer0": {"Precision": {"result": input_type}}}
    for name, (weight, bias, reuse) in zip(("q_conv2d", "q_conv2d_1", "q_dense"), weighted):
        layers[name] = {"Precision": {"weight": weight, "bias": bias, "result": _F16_6, "accum": _F16_6}, "ReuseFactor": reuse}
        if name != "q_dense":
            layers[name]["ConvImplementation"] = "Encoded"
    layers |= {name: {"Precision": {"result": "fixed<3,2,RND,SAT>"}, "ReuseFactor": 1} for name in ("q_relu", "1_relu_1")}
    layers |= {name: {"Precision": {"result": _F16_6, "accum": _F16_6}, "ConvImplementation": "Encoded"} for name in ("maxp", "maxp_1")}
    layers["softmax"] = {"Precision": {"result": _F16_6, "exp_table": "fixed<12,4>", "inv_table": "fixed<12,2>"}, "ReuseFactor": 1}
    return layers | _linear_kept_out({"q_conv2d": _F16_6, "q_conv2d_1": _F16_6, "q_dense": _F16_6})

def _wavrec_layers(reuse: int) -> dict:
    """The NeutDetector CNN as its firmware types it: everything fixed<16,6>, the Resource strategy, Encoded convolutions
    and pools (hls4ml 0.6's `pixels[]` tables), each layer at its published reuse factor (`_WAVREC_REUSE`)."""
    conv, other, conv_1, conv_2, dense = _WAVREC_REUSE[reuse]
    encoded = {"ConvImplementation": "Encoded"}
    layers = {"conv1d_input": {"Precision": {"result": "fixed<16,6>"}}}
    for name, factor in (("conv1d", conv), ("conv1d_1", conv_1), ("conv1d_2", conv_2)):
        layers[name] = _types((16, 6), "fixed<16,6>", "fixed<16,6>", ReuseFactor=factor) | encoded
        layers[f"{name}_relu"] = {"Precision": {"result": "fixed<16,6>"}, "ReuseFactor": other}
    for name in ("max_pooling1d", "max_pooling1d_1", "global_max_pooling1d"):
        layers[name] = {"Precision": {"result": "fixed<16,6>", "accum": "fixed<16,6>"}, "ReuseFactor": other} | encoded
    layers["wavrec_out"] = _types((16, 6), "fixed<16,6>", "fixed<16,6>", ReuseFactor=dense)
    layers["wavrec_out_sigmoid"] = {"Precision": {"result": "fixed<16,6>"}, "ReuseFactor": other}
    return layers


def _pokerml_layers(dense_reuse: int | None = None) -> dict:
    """RishThakkar/PokerML's card CNNs as their firmware types them: the model default fixed<32,16> is every accumulator
    (convolutions, pools, dense), results fixed<16,6>, weights and biases fixed<6,1>, the ReLUs ufixed<6,0,RND_CONV,SAT>;
    every layer Resource at the row's requested reuse factor, which hls4ml lowered to 108 and 144 for the convolutions
    and to `dense_reuse` (when given) for the output layer."""
    layers = {"conv1_input": {"Precision": {"result": "fixed<16,6>"}}}
    for name, reuse in (("conv1", 108), ("conv2", 144)):
        layers[name] = _types((6, 1), "fixed<16,6>", "fixed<32,16>", ReuseFactor=reuse, ConvImplementation="LineBuffer")
        layers[f"{name}_linear"] = {"Precision": {"result": "fixed<16,6>"}}
    for i in (1, 2):
        layers[f"relu{i}"] = _relu(6)
        layers[f"maxpool{i}"] = {"Precision": {"result": "fixed<16,6>", "accum": "fixed<32,16>"}, "ConvImplementation": "LineBuffer"}
    layers["flatten"] = {"Precision": {"result": "fixed<16,6>"}}
    layers["output"] = _types((6, 1), "fixed<16,6>", "fixed<32,16>", **({"ReuseFactor": dense_reuse} if dense_reuse else {}))
    layers["output_softmax"] = {"Precision": {"result": "fixed<16,6>", "exp_table": "fixed<18,8,RND,SAT>",
                                              "inv_table": "fixed<18,8,RND,SAT>"}, "Implementation": "stable"}
    return layers


def _eeg_encoder_layers(names: dict, weight_bits: int, default: str, output: str, reuse: tuple) -> dict:
    """Berk-Bilgin/ML-fpga's encoder as its firmware types it: the int16 input, every result and accumulator the model
    default `default` (the QActivations between the layers have that type, so hls4ml removed them), kernels and biases
    fixed<weight_bits,1>, the output QActivation `output`; `reuse` gives the firmware's reuse factors of the four
    convolutions, the dense layer and the output activation."""
    layers = {"input_time_series": {"Precision": {"result": "int<16>"}}, names["flatten"]: {"Precision": {"result": default}}}
    for name, factor in zip((*names["conv"], names["dense"]), reuse):
        layers[name] = _types((weight_bits, 1), default, default, ReuseFactor=factor,
                              **({} if name == names["dense"] else {"ConvImplementation": "LineBuffer"}))
        layers[f"{name}_linear"] = {"Precision": {"result": default}}
    for name in names["act"][:4]:
        layers[name] = {"Precision": {"result": default}}
    layers[names["act"][4]] = {"Precision": {"result": output}, "ReuseFactor": reuse[5]}
    return layers


def _dune_le_cnn2d_layers() -> dict:
    """akshaynevis/DUNE_2DCNN_real-time's network as its firmware types it: the input ufixed<16,4> (the sum-pooled image),
    the model default fixed<27,9> for every result and accumulator (convolutions, pools, dense layers), kernels fixed<6,1>,
    the convolutions' biases fixed<16,9> and the dense layers' fixed<6,1>; the linear activations after the convolutions
    and q_dense round and saturate (fixed<27,9,RND_CONV,SAT>), the output's is the AcceleratorConfig output type
    fixed<1024,1006,RND_CONV,SAT>; line-buffer convolutions and pools, every layer Resource at reuse factor 1."""
    f27 = "fixed<27,9>"
    layers = {"input_1": {"Precision": {"result": "ufixed<16,4>"}}, "flatten": {"Precision": {"result": f27}}}
    for name in ("q_conv2d", "q_conv2d_1"):
        layers[name] = {"Precision": {"weight": "fixed<6,1>", "bias": "fixed<16,9>", "result": f27, "accum": f27},
                        "ConvImplementation": "LineBuffer"}
    for name in ("max_pooling2d", "max_pooling2d_1"):
        layers[name] = {"Precision": {"result": f27, "accum": f27}, "ConvImplementation": "LineBuffer"}
    for name in ("q_dense", "output"):
        layers[name] = _types((6, 1), f27, f27)
    # typed unlike their inputs, so hls4ml keeps these linear layers, as the firmware does (nnet::linear)
    for name, result in (("q_conv2d", "fixed<27,9,RND_CONV,SAT>"), ("q_conv2d_1", "fixed<27,9,RND_CONV,SAT>"),
                         ("q_dense", "fixed<27,9,RND_CONV,SAT>"), ("output", "fixed<1024,1006,RND_CONV,SAT>")):
        layers[f"{name}_linear"] = {"Precision": {"result": result}}
    return layers


def _qubit_readout_layers(input_type: str, default: tuple) -> dict:
    """freaksie/ML-on-Chip's MLP as its firmware types it: the input, then fixed<`default`> for the dense layers' weights,
    biases, results and accumulators (accum_t is model_default_t) and the ReLU and sigmoid results (the sigmoid's table is
    hls4ml's default 1024 entries of fixed<18,8>)."""
    fixed = "fixed<{},{}>".format(*default)
    return {"input_2": {"Precision": {"result": input_type}},
            **{name: _types(default, fixed, fixed) for name in ("HiddenLayer1", "HiddenLayer2", "OuputLayer")},
            **{name: {"Precision": {"result": fixed}} for name in ("HiddenLayer1_relu", "HiddenLayer2_relu", "OuputLayer_sigmoid")}}


def _benchmark_mlp_layers() -> dict:
    """baranyusuf's MLP as its firmware types it (hls4ml 1.0.0, 'auto' results): the input and every weight and bias
    the model default fixed<16,6>, which is also every accumulator (accum_t is model_default_t); the dense results
    hls4ml inferred, fixed<38,18>, fixed<39,19> and fixed<38,18> (the last is the output: no linear layer follows it
    in the firmware); the ReLUs back to fixed<16,6>."""
    layers = {"input_layer": {"Precision": {"result": _F16_6}}}
    for name, result in (("dense", "fixed<38,18>"), ("dense_1", "fixed<39,19>"), ("dense_2", "fixed<38,18>")):
        layers[name] = _types((16, 6), result, _F16_6)
    layers |= {name: {"Precision": {"result": _F16_6}} for name in ("dense_relu", "dense_1_relu")}
    return layers | _linear_kept_out({"dense_2": "fixed<38,18>"})


def _housing_etf_mlp_layers() -> dict:
    """josema060603's housing ETF MLP as its firmware types it (defines.h, hls4ml_config.yml): the input fixed<32,16>,
    every dense weight, bias, accumulator and result fixed<32,18>, the ReLUs and the sigmoid to fixed<16,6> (the
    sigmoid's table hls4ml's default 1024 entries of fixed<18,8>)."""
    f32_18 = "fixed<32,18>"
    return {"hidden_1_input": {"Precision": {"result": "fixed<32,16>"}},
            **{name: _types((32, 18), f32_18, f32_18) for name in ("hidden_1", "hidden_2", "hidden_3", "output")},
            **{name: {"Precision": {"result": _F16_6}}
               for name in ("hidden_1_relu", "hidden_2_relu", "hidden_3_relu", "output_sigmoid")}}


def _snl_vae_layers(reuse: dict | None = None) -> dict:
    """Kenny-Jia/ToyVAE's encoders as their firmware types them: every input, weight, bias, dense result and accumulator
    (accum_t is the model default) fixed<32,16>, the ReLUs fixed<32,16,RND_CONV,SAT>; no linear layers in the
    firmware; `reuse` gives the dense layers' reuse factors where the firmware has them apart from the model's."""
    f32 = "fixed<32,16>"
    layers = {"inputs": {"Precision": {"result": f32}},
              **{name: _types((32, 16), f32, f32) for name in ("dense1", "dense2", "z_mean")},
              **{name: {"Precision": {"result": "fixed<32,16,RND_CONV,SAT>"}} for name in ("relu1", "relu2")},
              **_linear_kept_out({name: f32 for name in ("dense1", "dense2", "z_mean")})}
    for name, factor in (reuse or {}).items():
        layers[name]["ReuseFactor"] = factor
    return layers


_F15_12 = "fixed<15,12,RND,SAT>"
# The CMS L1 DeepSets tagger's Dense results hls4ml inferred in the later conversion (defines.h of commit 824e271).
_CMS_AUTO_RESULTS = {"phi_1": "fixed<30,21>", "phi_2": "fixed<24,9>", "rho_1": "fixed<31,15>", "2_class": "fixed<24,9>",
                     "2_reg": "fixed<24,9>"}


# The published designs' per-layer configuration, read off the firmware (parameters.h, defines.h) and
# hls4ml_config.yml committed beside each report; layers not named take the row's model-wide precision,
# reuse factor and strategy.
_F16_6 = "fixed<16,6>"
DESIGN_LAYERS = {
    "jet_qmlp8_pruned": {**{name: _types((7, 1), _F16_6, _F16_6) for name in ("fc1", "fc2", "fc3", "output")},
                         **{name: {"Precision": {"result": "fixed<7,1>"}} for name in ("relu1", "relu2", "relu3")},
                         "softmax": {"Precision": {"exp_table": "fixed<18,8>", "inv_table": "fixed<18,4>"}}},
    "l1_llp_tagger": {"input_1": {"Precision": {"result": "fixed<10,3>"}},
                      **{name: _types((8, 4), _F16_6, _F16_6, ReuseFactor=2)
                         for name in ("q_conv1d", "q_conv1d_1")},
                      **{name: _types((8, 4), _F16_6, _F16_6) for name in ("q_dense", "q_dense_1")},
                      **{name: _relu(8) for name in ("q_activation", "q_activation_1", "q_activation_2")}},
    "smartpixel_dnn_q10": {**{name: _types((10, 1), _F16_6, _F16_6) for name in ("dense1", "dense2", "dense_output")},
                           **{name: {"Precision": {"scale": _F16_6, "bias": _F16_6, "result": _F16_6}}
                              for name in ("batch_normalization", "batch_normalization_1")},
                           **{name: _relu(10) for name in ("q_activation", "q_activation_1")}},
    "smartpixel_dnn_q8": {"y_timed_input": {"Precision": {"result": "fixed<12,2>"}},
                          **{name: _types((8, 3), "fixed<12,2>", _F16_6) for name in ("dense1", "dense2", "dense_output")},
                          **{name: {"Precision": {"scale": _F16_6, "bias": "fixed<8,2>", "result": "fixed<12,2>"}}
                             for name in ("batch_normalization_18", "batch_normalization_19")},
                          **{name: {"Precision": {"result": "fixed<12,2>"}} for name in ("q_activation_18", "q_activation_19")}},
    "smartpixel_dnn_q10_r15": {"y_timed_input": {"Precision": {"result": _F16_6}},
                               "dense1": _types((10, 1), _F16_6, "fixed<15,5>", ReuseFactor=1272),
                               "dense2": _types((10, 1), _F16_6, "fixed<15,5>", ReuseFactor=288),
                               "dense_output": _types((10, 1), _F16_6, "fixed<15,5>", ReuseFactor=12),
                               **{name: {"Precision": {"scale": _F16_6, "bias": "fixed<15,5>", "result": _F16_6}, "ReuseFactor": 10000}
                                  for name in ("batch_normalization_9", "batch_normalization_10")},
                               **{name: _relu(15) | {"ReuseFactor": 10000} for name in ("q_activation_8", "q_activation_9")},
                               **_linear_kept_out({"dense1": _F16_6, "dense2": _F16_6, "dense_output": _F16_6})},
    "smartpixel_cnn_large": {**{name: _types((10, 3), _F16_6, _F16_6) for name in ("conv1", "conv2", "dense1", "dense2")},
                             **{f"q_activation_{i}": _relu(10) for i in (9, 10, 11)}},
    "smartpixel_cnn_pruned": {**{name: _types((24, 9), _F16_6, "fixed<32,10>") for name in ("conv1", "conv2", "dense1", "dense2")},
                              **{f"q_activation_{i}": _relu(24, 8) for i in (9, 10, 11)},
                              **{name: {"Precision": {"result": _F16_6}} for name in
                                 ("y_profile_input", "y0_input", "maxpool1", "maxpool2", "concat", "flattened", "output_sigmoid")},
                              **_linear_kept_out({"conv1": _F16_6, "conv2": _F16_6, "dense1": _F16_6, "dense2": _F16_6})},
    "deeppicar_best": {"input_1": {"Precision": {"result": "uint<8>"}},
                       "q_activation_139": {"Precision": {"result": "fixed<8,1,RND_CONV,SAT>"}},
                       "conv1": _types((6, 2), "fixed<20,9>", "fixed<20,9>", ReuseFactor=50),
                       "q_conv2d_140": _types((6, 2), "fixed<19,9>", "fixed<19,9>", ReuseFactor=50),
                       "q_conv2d_141": _types((6, 2), "fixed<20,10>", "fixed<20,10>", ReuseFactor=50),
                       "q_conv2d_143": _types((6, 2), "fixed<19,9>", "fixed<19,9>", ReuseFactor=45),
                       "output_1": _types((6, 2), "fixed<19,9>", "fixed<19,9>", ReuseFactor=54),
                       **{f"q_activation_{i}": _relu(6) for i in (140, 141, 142, 143)},
                       **_linear_kept_out({"conv1": "fixed<20,9>", "q_conv2d_140": "fixed<19,9>", "q_conv2d_141": "fixed<20,10>",
                                           "q_conv2d_143": "fixed<19,9>", "output_1": "fixed<19,9>"})},
    "deeppicar_1100_000": {"input_1": {"Precision": {"result": "uint<8>"}},
                           "conv1": _types((6, 2), "fixed<20,16>", "fixed<20,16>", ReuseFactor=50),
                           "q_conv2d": _types((6, 2), "fixed<19,9>", "fixed<19,9>", ReuseFactor=50),
                           "q_conv2d_1": _types((6, 2), "fixed<20,10>", "fixed<20,10>", ReuseFactor=50),
                           "output_1": _types((6, 2), _F16_6, "fixed<20,10>", ReuseFactor=25),
                           "output_1_linear": {"Precision": {"result": "fixed<4,0>"}},
                           **{name: _relu(6) for name in ("q_activation", "q_activation_1", "q_activation_2")},
                           **_linear_kept_out({"conv1": "fixed<20,16>", "q_conv2d": "fixed<19,9>", "q_conv2d_1": "fixed<20,10>"})},
    "mnist_cnn": {"dense_softmax": {"Precision": {"exp_table": "fixed<18,8,RND,SAT>", "inv_table": "fixed<18,8,RND,SAT>"}}},
    "mnist_cnn_linear": {"conv2d": {"ReuseFactor": 9}, "conv2d_1": {"ReuseFactor": 9}},
    "mnist_cnn_k4": {"dense": {"Strategy": "Resource"},
                     "dense_softmax": {"Precision": {"exp_table": "fixed<18,8,RND,SAT>", "inv_table": "fixed<18,8,RND,SAT>"}}},
    **{"sparse_cnn" + (f"_pf{factor}" if factor > 1 else ""): _sparse_cnn_layers(factor) for factor in _SPARSE_CNN_PF},
    "deepset_phi3": {"phi_input": {"Precision": {"result": "fixed<12,4,RND,SAT>"}},
                     "phi1": _types((8, 1), "fixed<23,8>", "fixed<23,8>"),
                     "phi2": _types((8, 1), "fixed<22,7>", "fixed<22,7>"),
                     "phi3": _types((8, 1), "fixed<22,7>", "fixed<22,7>"),
                     **{f"relu{i}": _relu(8) for i in (1, 2, 3, 4)},
                     "act_agg": {"Precision": {"result": "fixed<20,11,RND_CONV,SAT>"}},
                     "agg": {"Precision": {"result": _F16_6}},
                     "rho1": _types((8, 1), "fixed<30,13>", "fixed<30,13>"),
                     "rho2": _types((8, 1), "fixed<22,7>", "fixed<22,7>"),
                     "softmax": {"Precision": {"result": _F16_6, "exp_table": "fixed<18,8,RND,SAT>",
                                               "inv_table": "fixed<18,8,RND,SAT>"}},
                     **_linear_kept_out({"phi1": "fixed<23,8>", "phi2": "fixed<22,7>", "phi3": "fixed<22,7>",
                                         "rho1": "fixed<30,13>", "rho2": "fixed<22,7>"})},
    "mnist_denoise_autoencoder": {f"conv2d_{index}": {"ReuseFactor": reuse}
                                  for index, reuse in zip(range(147, 154), (9, 72, 36, 36, 36, 36, 72))},
    "calo_qcnn_localizer": _calo_qcnn_layers(),
    "lhc_beam_autoencoder": {"input_layer": {"Precision": {"result": _F16_6}},
                             **{name: _types((16, 6), _F16_6, _F16_6, ReuseFactor=4)
                                for name in ("encoder_1", "bottleneck", "decoder_1", "output_layer")},
                             **{f"{name}_relu": {"Precision": {"result": _F16_6}, "ReuseFactor": 4}
                                for name in ("encoder_1", "bottleneck", "decoder_1")},
                             **_linear_kept_out({"output_layer": _F16_6})},
    "ml4quantum_qmlp": {"fc1_input": {"Precision": {"result": "fixed<32,6>"}},
                        **{f"fc{i}": _types((18, 4), result, "fixed<64,16>")
                           for i, result in enumerate(("fixed<23,4>", "fixed<23,4>", "fixed<16,4>", "fixed<24,4>",
                                                       "fixed<28,4>", "fixed<28,4>", "fixed<32,2>"), start=1)},
                        **{f"fc{i}_linear": {"Precision": {"result": "fixed<64,16>"}} for i in range(1, 8)},
                        **{f"relu{i}": {"Precision": {"result": result}}
                           for i, result in enumerate(("ufixed<22,3>", "ufixed<14,4>", "ufixed<16,4>", "ufixed<24,4>",
                                                       "ufixed<28,4>", "ufixed<28,4>"), start=1)}},
    "pynq_mnist_qcnn": _pynq_mnist_layers("fixed<8,3>", (("fixed<4,2>", "fixed<7,1>", 72), ("fixed<5,1>", "fixed<6,1>", 144),
                                                         ("fixed<5,1>", "fixed<6,1>", 40))),
    "pynq_mnist_qcnn6": _pynq_mnist_layers(_F16_6, (("fixed<6,2>", "fixed<6,2>", 144), ("fixed<6,2>", "fixed<6,2>", 1152),
                                                    ("fixed<6,1>", "fixed<6,1>", 40))),
    "l1topo_ad_encoder": {"inputs": {"Precision": {"result": "fixed<19,11>"}},
                          **{name: _types((10, 6), result, "fixed<19,11>")
                             for name, result in (("dense1", "fixed<19,11>"), ("dense2", "fixed<14,6>"), ("z_mean", "fixed<12,4>"))},
                          **{name: _relu(15) for name in ("relu1", "relu2")},
                          **{f"{name}_linear": {"Precision": {"result": "fixed<19,11>"}} for name in ("dense1", "dense2", "z_mean")}},
    "random_qmlp": {"q_dense_3_input": {"Precision": {"result": _F16_6}},
                    **{name: _types((6, 1), _F16_6, _F16_6) for name in ("q_dense_3", "q_dense_4", "q_dense_5")},
                    **{name: {"Precision": {"result": _F16_6}} for name in ("q_activation_2", "q_activation_3", "activation_1")},
                    **_linear_kept_out({name: _F16_6 for name in ("q_dense_3", "q_dense_4", "q_dense_5")})},
    "iris_mlp": {"input_layer": {"Precision": {"result": _F16_6}},
                 **{name: _types((16, 6), _F16_6, _F16_6) for name in ("dense_8", "dense_8_2", "output")},
                 **{name: {"Precision": {"result": _F16_6}} for name in ("dense_8_relu", "dense_8_2_relu")},
                 "output_softmax": {"Precision": {"result": _F16_6, "exp_table": "fixed<18,8,RND,SAT>",
                                                  "inv_table": "fixed<18,8,RND,SAT>"}}},
    "lenet5_qcnn": {"input_layer": {"Precision": {"result": "fixed<8,4>"}},
                    **{name: _types((8, 4), result, result) for name, result in (
                        ("qconvbn1", "fixed<22,14>"), ("qconvbn2", "fixed<25,14>"), ("qdense1", "fixed<25,14>"),
                        ("qdense2", "fixed<21,10>"), ("qoutput", "fixed<21,10>"))},
                    **{f"qtanh{i}": {"Precision": {"result": "fixed<8,1,RND_CONV,SAT>"}} for i in (1, 2, 3, 4)},
                    **{name: {"Precision": {"result": "fixed<8,1,RND_CONV,SAT>", "accum": "fixed<8,1,RND_CONV,SAT>"}}
                       for name in ("qmaxpool1", "qmaxpool2")},
                    "bn1": {"Precision": {"scale": "fixed<8,4>", "bias": "fixed<8,4>", "result": "fixed<34,19>"}},
                    "bn2": {"Precision": {"scale": "fixed<8,4>", "bias": "fixed<8,4>", "result": "fixed<30,15>"}},
                    "softmax": {"Precision": {"result": "fixed<8,4>", "exp_table": "fixed<18,8,RND,SAT>",
                                              "inv_table": "fixed<18,8,RND,SAT>"}},
                    **_linear_kept_out({"qconvbn1": "fixed<22,14>", "qconvbn2": "fixed<25,14>", "qdense1": "fixed<25,14>",
                                        "qdense2": "fixed<21,10>", "qoutput": "fixed<21,10>"})},
    "tau_nn": {"model_input": {"Precision": {"result": _F16_6}},
               **{f"Dense_{i}": _types((9, 3), _F16_6, _F16_6) for i in range(1, 6)},
               **{name: _types((16, 7), _F16_6, _F16_6) for name in ("Dense_6", "pT_output")},
               **{f"relu_{i}": _relu(9) for i in range(1, 6)},
               "jetID_output": {"Precision": {"result": _F16_6}},
               **_linear_kept_out({name: _F16_6 for name in (*(f"Dense_{i}" for i in range(1, 7)), "pT_output")})},
    **{f"wavrec_cnn1d_rf{reuse}": _wavrec_layers(reuse) for reuse in _WAVREC_REUSE},
    "spehic_mnist_qcnn": {"qconv2d_1_input": {"Precision": {"result": _F16_6}},
                          **{name: _types((4, 1), result, result, ReuseFactor=reuse, ConvImplementation="LineBuffer")
                             for name, result, reuse in (("qconv2d_1", "fixed<25,12>", 72), ("qconv2d_2", "fixed<18,11>", 72))},
                          **{name: _types((4, 1), result, result, ReuseFactor=reuse)
                             for name, result, reuse in (("qdense_1", "fixed<19,12>", 50), ("qdense_2", "fixed<14,7>", 64))},
                          **{f"{name}_quantized_relu": _relu(4) for name in ("qconv2d_1", "qconv2d_2", "qdense_1")},
                          **{name: {"Precision": {"result": "ufixed<4,0,RND_CONV,SAT>", "accum": "ufixed<4,0,RND_CONV,SAT>"},
                                    "ConvImplementation": "LineBuffer"} for name in ("max_pooling2d_1", "max_pooling2d_2")},
                          "flatten": {"Precision": {"result": "ufixed<4,0,RND_CONV,SAT>"}},
                          "qdense_2_softmax": {"Precision": {"result": _F16_6, "exp_table": "fixed<18,8,RND,SAT>",
                                                             "inv_table": "fixed<18,8,RND,SAT>"}, "Implementation": "stable"}},
    "tiny_cnn8": {"inp": {"Precision": {"result": _F16_6}},
                  **{name: _types((16, 6), result, _F16_6) for name, result in (("fc1", "fixed<39,19>"), ("out", "fixed<36,16>"))},
                  "conv1": _types((16, 6), "fixed<37,17>", _F16_6, ConvImplementation="LineBuffer"),
                  **{name: {"Precision": {"result": _F16_6}} for name in ("conv1_relu", "fc1_relu", "flat")},
                  "pool1": {"Precision": {"result": _F16_6, "accum": _F16_6}, "ConvImplementation": "LineBuffer"},
                  "out_softmax": {"Precision": {"result": _F16_6, "exp_table": "fixed<18,8,RND,SAT>",
                                                "inv_table": "fixed<18,8,RND,SAT>"}, "Implementation": "stable"}},
    "cestmerneil_lenet": {"input_1": {"Precision": {"result": _F16_6}},
                          **{name: _types((8, 5), _F16_6, "fixed<12,6>", ConvImplementation="LineBuffer") for name in ("conv1", "conv2")},
                          **{name: _types((8, 5), _F16_6, "fixed<12,6>") for name in ("fc1", "fc2")},
                          **{f"relu{i}": _relu(4) for i in (1, 2)},
                          **{f"pool{i}": {"Precision": {"result": _F16_6, "accum": "fixed<12,6>"}, "ConvImplementation": "LineBuffer"}
                             for i in (1, 2)},
                          "flatten": {"Precision": {"result": _F16_6}},
                          "softmax": {"Precision": {"result": _F16_6, "exp_table": "fixed<18,8,RND,SAT>",
                                                    "inv_table": "fixed<18,8,RND,SAT>"}, "Implementation": "stable"},
                          **_linear_kept_out({name: _F16_6 for name in ("conv1", "conv2", "fc1", "fc2")})},
    "sepconv_pf4": {"input_1": {"Precision": {"result": "fixed<14,6>"}},
                    # hls4ml 1.3 splits the layer in two and takes each half's types from these keys
                    "separable_conv2d": {"Precision": {"depthwise": _F16_6, "depthwise_accum": _F16_6, "depthwise_result": "fixed<35,17>",
                                                       "pointwise": _F16_6, "pointwise_accum": _F16_6, "pointwise_result": "fixed<53,25>",
                                                       "result": "fixed<53,25>"}, "ParallelizationFactor": 4},
                    "dense": _types((16, 6), "fixed<78,40>", _F16_6),
                    **_linear_kept_out({"separable_conv2d": "fixed<53,25>", "dense": "fixed<78,40>"})},
    "kv260_mnist_cnn": {"input_layer": {"Precision": {"result": _F16_6}},
                        **{name: _types((16, 6), result, _F16_6, ConvImplementation="LineBuffer")
                           for name, result in (("conv2d", "fixed<37,17>"), ("conv2d_1", "fixed<42,22>"))},
                        "dense": _types((16, 6), "fixed<43,23>", _F16_6),
                        **{name: {"Precision": {"result": _F16_6}} for name in ("conv2d_relu", "conv2d_1_relu", "flatten", "dropout")},
                        **{name: {"Precision": {"result": _F16_6, "accum": _F16_6}, "ConvImplementation": "LineBuffer"}
                           for name in ("max_pooling2d", "max_pooling2d_1")},
                        "dense_softmax": {"Precision": {"result": _F16_6, "exp_table": "fixed<18,8,RND,SAT>",
                                                        "inv_table": "fixed<18,8,RND,SAT>"}, "Implementation": "stable"}},
    "tiny_mnist_cnn2": {"input_1": {"Precision": {"result": "fixed<6,2>"}},
                        "conv2d": _types((6, 2), "fixed<6,2>", "fixed<6,2>", ConvImplementation="LineBuffer"),
                        "conv2d_relu": {"Precision": {"result": "fixed<6,2>"}},
                        "flatten": {"Precision": {"result": "fixed<6,2>"}},
                        "dense": _types((6, 2), "fixed<6,2>", "fixed<6,2>", ReuseFactor=104, Strategy="Resource"),
                        "dense_softmax": {"Precision": {"result": "fixed<6,2>", "exp_table": "fixed<18,8,RND,SAT>",
                                                        "inv_table": "fixed<18,8,RND,SAT>"}, "Implementation": "stable",
                                          "TableSize": 1024}},
    "example_1layer": {"input_1": {"Precision": {"result": _F16_6}},
                       "fc1_relu": _types((16, 6), _F16_6, _F16_6, ReuseFactor=5),
                       "output_sigmoid": _types((16, 6), _F16_6, _F16_6, ReuseFactor=4),
                       **{name: {"Precision": {"result": _F16_6}, "ReuseFactor": 4} for name in ("fc1_relu_relu", "output_sigmoid_sigmoid")}},
    "example_1layer_rf1": {"input_1": {"Precision": {"result": _F16_6}},
                           **{name: _types((16, 6), _F16_6, _F16_6) for name in ("fc1_relu", "output_sigmoid")},
                           **{name: {"Precision": {"result": _F16_6}} for name in ("fc1_relu_relu", "output_sigmoid_sigmoid")}},
    "tiny_cnn_same8": {"conv2d_1_input": {"Precision": {"result": _F16_6}},
                       "conv2d_1": _types((16, 6), _F16_6, _F16_6, ConvImplementation="LineBuffer"),
                       "dense_1": _types((16, 6), _F16_6, _F16_6),
                       "conv2d_1_relu": {"Precision": {"result": _F16_6}},
                       "dense_1_softmax": {"Precision": {"result": _F16_6, "exp_table": "fixed<18,8>", "inv_table": "fixed<18,8>"},
                                           "Implementation": "stable"}},
    "cms_l1_deepset": {"inputs": {"Precision": {"result": _F16_6}},
                       "batchnorm_inputs": {"Precision": {"scale": _F16_6, "bias": _F16_6, "result": _F16_6}},
                       **{f"qDense_{name}": _types((9, 3), _F16_6, _F16_6) for name in ("phi_1", "phi_2", "rho_1", "2_class", "2_reg")},
                       **{f"qDense_out_{name}": _types((16, 7), _F16_6, _F16_6) for name in ("class", "reg")},
                       **{f"qActivation_{name}": _relu(9) for name in ("phi_1", "phi_2", "rho_1", "2_class", "2_reg")},
                       "qActivationForPool": {"Precision": {"result": "fixed<18,9,RND_CONV,SAT>"}},
                       "avgpool": {"Precision": {"result": _F16_6, "accum": _F16_6}},
                       "output_class": {"Precision": {"result": _F16_6, "exp_table": "fixed<18,8,RND,SAT>",
                                                      "inv_table": "fixed<18,8,RND,SAT>"}, "Implementation": "stable"},
                       "output_reg": {"Precision": {"result": _F16_6}},
                       **_linear_kept_out({f"qDense_{name}": _F16_6 for name in ("phi_1", "phi_2", "rho_1", "2_class", "2_reg",
                                                                                  "out_class", "out_reg")})},
    # The later conversion (commit 824e271): the results hls4ml inferred ('auto'), the input and BatchNormalization at
    # fixed<15,12,RND,SAT>, the regression output fixed<10,6,RND,SAT> then a kept linear layer to fixed<16,6>, the legacy softmax.
    "cms_l1_deepset_auto": {"inputs": {"Precision": {"result": _F15_12}},
                            "batchnorm_inputs": {"Precision": {"scale": _F15_12, "bias": _F15_12, "result": _F15_12}},
                            **{f"qDense_{name}": _types((9, 3), result, _F16_6) for name, result in _CMS_AUTO_RESULTS.items()},
                            "qDense_out_class": _types((16, 7), "fixed<31,13>", _F16_6),
                            "qDense_out_reg": _types((16, 7), "fixed<10,6,RND,SAT>", _F16_6),
                            **{f"qActivation_{name}": _relu(9) for name in _CMS_AUTO_RESULTS},
                            "qActivationForPool": {"Precision": {"result": "fixed<18,9,RND_CONV,SAT>"}},
                            "avgpool": {"Precision": {"result": _F16_6, "accum": _F16_6}},
                            "output_class": {"Precision": {"result": "ufixed<8,0,RND,SAT>", "exp_table": "fixed<18,8,RND,SAT>",
                                                           "inv_table": "fixed<18,8,RND,SAT>"}, "Implementation": "legacy"},
                            "qDense_out_reg_linear": {"Precision": {"result": _F16_6}},
                            "output_reg": {"Precision": {"result": _F16_6}},
                            **_linear_kept_out({**{f"qDense_{name}": result for name, result in _CMS_AUTO_RESULTS.items()},
                                                "qDense_out_class": "fixed<31,13>"})},
    **{name: _pokerml_layers() for name in ("poker_rank_qcnn", "poker_rank_qcnn_b")},
    "poker_suit_qcnn": _pokerml_layers(dense_reuse=196),
    "poker_suit_qcnn_rf512": _pokerml_layers(dense_reuse=392),
    "eeg_encoder_q12": _eeg_encoder_layers(_EEG_NAMES["model_1"], 12, "fixed<28,16,RND_ZERO,SAT>", "fixed<16,16,RND_ZERO,SAT>",
                                           (1, 1, 1, 1, 1, 1)),
    "eeg_encoder_q8_rf2": _eeg_encoder_layers(_EEG_NAMES["model_2"], 8, "fixed<24,16,RND,SAT>", "fixed<16,16,RND,SAT>",
                                              (1, 2, 2, 2, 2, 2)),
    "eeg_encoder_q8_rf3": _eeg_encoder_layers(_EEG_NAMES["model_2"], 8, "fixed<24,16,RND,SAT>", "fixed<16,16,RND,SAT>",
                                              (3, 2, 2, 2, 2, 3)),
    **{name: _qubit_readout_layers(*types) for name, types in _QUBIT_READOUT_TYPES.items()},
    "dune_le_cnn2d": _dune_le_cnn2d_layers(),
    "benchmark_mlp": _benchmark_mlp_layers(),
    "housing_etf_mlp": _housing_etf_mlp_layers(),
    **{name: _snl_vae_layers() for name in ("snl_vae_encoder_small", "snl_vae_encoder_large")},
    # the Vivado Resource design of the large encoder: requested reuse factor 12 (the ReLUs have it), the dense layers at
    # the valid factors hls4ml chose, 19, 8 and 8
    "snl_vae_encoder_large_rf12": _snl_vae_layers({"dense1": 19, "dense2": 8, "z_mean": 8}),
}


def _published_config(model_name: str, model, row: dict) -> dict:
    if model_name in DESIGN_LAYERS:
        return _design_config(model_name, row)
    strategy = row["strategy"].capitalize()
    config = {"Model": {"Precision": row["precision"], "ReuseFactor": int(row["reuse_factor"]), "Strategy": strategy},
              "LayerName": {}}
    layers = config["LayerName"]
    for layer in model.layers:
        kind = type(layer).__name__
        entry = {"ReuseFactor": int(row["reuse_factor"]), "Strategy": strategy}
        if kind in ("QDense", "QConv2DBatchnorm", "Dense", "Conv2D", "Conv1D"):
            entry["Precision"] = {"result": _FIXED_16_6, "accum": _FIXED_16_6}
            quantizer = getattr(layer, "kernel_quantizer_internal", None)
            if quantizer is not None:
                bits, integer = int(quantizer.bits), int(quantizer.integer)
                entry["Precision"] |= {"weight": f"fixed<{bits},{integer + 1}>", "bias": f"fixed<{bits},{integer + 1}>"}
        elif kind == "QActivation":
            bits = int(layer.quantizer.bits)
            entry["Precision"] = {"result": f"ufixed<{bits},{int(layer.quantizer.integer)},RND,SAT>"}
        elif kind == "Activation" and layer.get_config()["activation"] == "relu" and model_name.startswith("svhn"):
            entry["Precision"] = {"result": _RELU_RND_SAT}
        elif kind == "Activation" and layer.get_config()["activation"] == "softmax" and model_name == "jet_qmlp_pruned":
            entry["Precision"] = {"exp_table": "fixed<18,8>", "inv_table": "fixed<18,4>"}
        layers[layer.name] = entry
    return config


def _design_config(model_name: str, row: dict) -> dict:
    """The row's model-wide precision, reuse factor and strategy, and the published per-layer entries."""
    model_wide = {"ReuseFactor": int(row["reuse_factor"]), "Strategy": row["strategy"].capitalize()}
    layers = {name: model_wide | copy.deepcopy(entry) for name, entry in DESIGN_LAYERS[model_name].items()}
    return {"Model": {"Precision": row["precision"]} | model_wide, "LayerName": layers}


@functools.lru_cache(maxsize=None)
def trained(model_name: str):
    """The row's model, built and trained as its source describes (see each architecture's docstring)."""
    return TRAINING[model_name](ARCHITECTURES[model_name]())


def records_for(row: dict) -> list[dict]:
    """The per-layer records of the row's design, converted by hls4ml 1.3 in the published configuration."""
    from edgeaccel.convert import hls4ml_adapter as hls

    model = trained(row["model"])
    config = _published_config(row["model"], model, row)
    backend = "Vitis" if row["tool"] == "vitis" else "Vivado"
    with tempfile.TemporaryDirectory(prefix="edgeaccel-published-") as tmp:
        graph = hls.convert_keras2(model, config, Path(tmp) / "prj", backend, row["io_type"], part=row["part"],
                                   clock_period=float(row["clock_ns"]))
        return hls.layer_records(graph)

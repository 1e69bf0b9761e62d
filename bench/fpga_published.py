"""The published hls4ml designs of the FPGA calibration table, rebuilt in code.

`edgeaccel/estimate/data/fpga_reports.csv` lists synthesis reports other people published
(repository, commit, path). Each row names one of the builders below, which re-creates that
design's Keras model from its source and the hls4ml configuration the report was made with. The
original training data (the hls4ml LHC jet dataset on OpenML, SVHN, UCI HAR) cannot be
downloaded here, so each model is trained on synthetic data of the same shape, with the
published initializer, regularizer and pruning, so that its weights have the structure the
estimate reads (zero, power-of-two and few-digit constants).

`records_for(row)` converts the rebuilt model with hls4ml 1.3 (through edgeaccel's adapter) in
the published configuration and returns the per-layer records the estimate is computed from.
"""

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
    tf = _tf()
    loss = "binary_crossentropy" if y.shape[-1] == 1 else "categorical_crossentropy"
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate), loss=loss)
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=True, callbacks=list(callbacks))
    return model


def _prune(model, sparsity: float, names: list[str], x, y, epochs: int, learning_rate: float, batch_size: int = 256):
    """Magnitude pruning to `sparsity` per kernel, then training on with the pruned weights held at
    zero: the effect of tfmot's prune_low_magnitude + strip_pruning that the sources use."""
    tf = _tf()
    masks = {}
    for name in names:
        kernel = model.get_layer(name).get_weights()[0]
        threshold = np.quantile(np.abs(kernel), sparsity)
        masks[name] = (np.abs(kernel) > threshold).astype(np.float32)

    def apply_masks(*_, **__):
        for name, mask in masks.items():
            weights = model.get_layer(name).get_weights()
            model.get_layer(name).set_weights([weights[0] * mask, *weights[1:]])

    apply_masks()
    _fit(model, x, y, epochs, learning_rate, batch_size, callbacks=[tf.keras.callbacks.LambdaCallback(on_batch_end=apply_masks)])
    apply_masks()
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


def jet_qmlp():
    """hls4ml-tutorial part4_quantization.ipynb: QDense 64-32-32-5 with quantized_bits(6,0,alpha=1)
    kernels and biases, quantized_relu(6), softmax (trained pruned to 75% sparsity, like part3)."""
    tf = _tf()
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    l1 = tf.keras.regularizers.l1(0.0001)
    q = {"kernel_quantizer": quantized_bits(6, 0, alpha=1), "bias_quantizer": quantized_bits(6, 0, alpha=1),
         "kernel_initializer": "lecun_uniform", "kernel_regularizer": l1}
    model = tf.keras.Sequential(name="jet_qmlp_pruned")
    model.add(QDense(64, input_shape=(16,), name="fc1", **q))
    model.add(QActivation(quantized_relu(6), name="relu1"))
    model.add(QDense(32, name="fc2", **q))
    model.add(QActivation(quantized_relu(6), name="relu2"))
    model.add(QDense(32, name="fc3", **q))
    model.add(QActivation(quantized_relu(6), name="relu3"))
    model.add(QDense(5, name="output", **q))
    model.add(tf.keras.layers.Activation("softmax", name="softmax"))
    return model


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


ARCHITECTURES = {"jet_mlp": jet_mlp, "jet_mlp_pruned": jet_mlp, "jet_qmlp_pruned": jet_qmlp, "svhn_cnn_pruned": svhn_cnn,
                 "svhn_qcnn_pruned": svhn_qcnn, "dense16x5": dense16x5, "dnd_qmlp4": dnd_qmlp4, "har_conv1d": har_conv1d}
TRAINING = {
    "jet_mlp": lambda model: _jet_training(model, pruned=False),
    "jet_mlp_pruned": lambda model: _jet_training(model, pruned=True),
    "jet_qmlp_pruned": lambda model: _jet_training(model, pruned=True),
    "svhn_cnn_pruned": lambda model: _fold_batchnorm(_svhn_training(model, ["conv_0", "conv_1", "conv_2", "dense_0", "dense_1"])),
    "svhn_qcnn_pruned": lambda model: _svhn_training(model, ["fused_convbn_0", "fused_convbn_1", "fused_convbn_2", "dense_0", "dense_1"]),
    "dense16x5": lambda model: model,
    "dnd_qmlp4": _dnd_training,
    "har_conv1d": _har_training,
}

# The published designs' types where they differ from hls4ml 1.3's defaults (read off the
# reports' instance names): hls4ml 0.6-0.8 gave QKeras layers the model default fixed<16,6> for
# results and accumulators, and the tutorial rounds and saturates ReLU outputs.
_FIXED_16_6 = "fixed<16,6>"
_RELU_RND_SAT = "fixed<16,6,RND,SAT>"


def _published_config(model_name: str, model, row: dict) -> dict:
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

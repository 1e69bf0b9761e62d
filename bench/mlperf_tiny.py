"""The four MLPerf Tiny reference models, re-created from mlcommons/tiny's reference training code,
with small synthetic data sets that have the real inputs' shapes (no downloads).

- Keyword spotting DS-CNN: benchmark/training/keyword_spotting/keras_model.py, `get_model` with
  model_architecture 'ds_cnn' and kws_util.py's defaults (16 kHz, 1 s clips, 30 ms windows every
  20 ms, 10 MFCCs: input 49x10x1), 12 labels.
- Visual wake words MobileNetV1 (alpha 0.25, 96x96x3, 2 classes):
  benchmark/training/visual_wake_words/vww_model.py, `mobilenet_v1`.
- Image classification ResNet-8 (CIFAR-10, 32x32x3): benchmark/training/image_classification/keras_model.py,
  `resnet_v1_eembc`, with 16 first-stage filters as in the version that trained the reference
  pretrainedResnet_quant.tflite (the file's state before commit 9adec29, which made the filter count an
  argument with default 26).
- Anomaly detection autoencoder (ToyCar, 5 frames x 128 mels = 640 in):
  benchmark/training/anomaly_detection/keras_model.py, `get_model(640)`; trained with MSE
  (baseline.yaml: loss mean_squared_error).

The reference int8 figures are those in the workspace's REFERENCE.md, measured on the reference
`.tflite` files in those directories.
"""

import numpy as np

REFERENCE = {  # int8 .tflite bytes, minimum TFLM arena bytes (REFERENCE.md)
    "kws_ds_cnn": {"bytes": 53_936, "arena": 24_272},
    "vww_mobilenet_v1_025": {"bytes": 333_288, "arena": 103_680},
    "ic_resnet8": {"bytes": 98_496, "arena": 55_984},
    "ad_autoencoder": {"bytes": 276_976, "arena": 4_640, "note": "per-tensor Dense"},
}


def _tf():
    from edgeaccel.tfenv import tensorflow

    return tensorflow()


def ds_cnn(input_shape=(49, 10, 1), labels=12):
    tf = _tf()
    L, l2 = tf.keras.layers, tf.keras.regularizers.l2
    filters, regularizer = 64, l2(1e-4)
    final_pool_size = (int(input_shape[0] / 2), int(input_shape[1] / 2))
    inputs = L.Input(shape=input_shape)
    x = L.Conv2D(filters, (10, 4), strides=(2, 2), padding="same", kernel_regularizer=regularizer)(inputs)
    x = L.BatchNormalization()(x)
    x = L.Activation("relu")(x)
    x = L.Dropout(rate=0.2)(x)
    for _ in range(4):
        x = L.DepthwiseConv2D(depth_multiplier=1, kernel_size=(3, 3), padding="same", kernel_regularizer=regularizer)(x)
        x = L.BatchNormalization()(x)
        x = L.Activation("relu")(x)
        x = L.Conv2D(filters, (1, 1), padding="same", kernel_regularizer=regularizer)(x)
        x = L.BatchNormalization()(x)
        x = L.Activation("relu")(x)
    x = L.Dropout(rate=0.4)(x)
    x = L.AveragePooling2D(pool_size=final_pool_size)(x)
    x = L.Flatten()(x)
    outputs = L.Dense(labels, activation="softmax")(x)
    return tf.keras.Model(inputs=inputs, outputs=outputs, name="kws_ds_cnn")


def mobilenet_v1_025(input_shape=(96, 96, 3), num_classes=2):
    tf = _tf()
    L, l2 = tf.keras.layers, tf.keras.regularizers.l2
    common = {"padding": "same", "kernel_initializer": "he_normal", "kernel_regularizer": l2(1e-4)}

    def conv_bn_relu(x, layer):
        return L.Activation("relu")(L.BatchNormalization()(layer(x)))

    num_filters = 8
    inputs = L.Input(shape=input_shape)
    x = conv_bn_relu(inputs, L.Conv2D(num_filters, kernel_size=3, strides=2, **common))
    # (depthwise stride, whether the pointwise conv doubles the filters) for layers 2..14 of vww_model.py
    for stride, double in ((1, True), (2, True), (1, False), (2, True), (1, False), (2, True),
                           (1, False), (1, False), (1, False), (1, False), (1, False), (2, True), (1, False)):
        x = conv_bn_relu(x, L.DepthwiseConv2D(kernel_size=3, strides=stride, **common))
        num_filters = 2 * num_filters if double else num_filters
        x = conv_bn_relu(x, L.Conv2D(num_filters, kernel_size=1, strides=1, **common))
    x = L.AveragePooling2D(pool_size=x.shape[1:3])(x)
    x = L.Flatten()(x)
    outputs = L.Dense(num_classes, activation="softmax")(x)
    return tf.keras.Model(inputs=inputs, outputs=outputs, name="vww_mobilenet_v1_025")


def resnet8(input_shape=(32, 32, 3), num_classes=10, conv_filters=16):
    tf = _tf()
    L, l2 = tf.keras.layers, tf.keras.regularizers.l2
    common = {"padding": "same", "kernel_initializer": "he_normal", "kernel_regularizer": l2(1e-4)}
    inputs = L.Input(shape=input_shape)
    x = L.Conv2D(conv_filters, kernel_size=3, strides=1, **common)(inputs)
    x = L.Activation("relu")(L.BatchNormalization()(x))
    for stack, stride in ((1, 1), (2, 2), (4, 2)):
        filters = conv_filters * stack
        y = L.Conv2D(filters, kernel_size=3, strides=stride, **common)(x)
        y = L.Activation("relu")(L.BatchNormalization()(y))
        y = L.BatchNormalization()(L.Conv2D(filters, kernel_size=3, strides=1, **common)(y))
        if stride != 1:
            x = L.Conv2D(filters, kernel_size=1, strides=stride, **common)(x)
        x = L.Activation("relu")(tf.keras.layers.add([x, y]))
    x = L.AveragePooling2D(pool_size=int(np.amin(x.shape[1:3])))(x)
    y = L.Flatten()(x)
    outputs = L.Dense(num_classes, activation="softmax", kernel_initializer="he_normal")(y)
    return tf.keras.Model(inputs=inputs, outputs=outputs, name="ic_resnet8")


def ad_autoencoder(input_dim=640):
    tf = _tf()
    L = tf.keras.layers
    inputs = L.Input(shape=(input_dim,))
    h = inputs
    for units in (128, 128, 128, 128, 8, 128, 128, 128, 128):
        h = L.Activation("relu")(L.BatchNormalization()(L.Dense(units)(h)))
    outputs = L.Dense(input_dim)(h)
    return tf.keras.Model(inputs=inputs, outputs=outputs, name="ad_autoencoder")


MODELS = {"kws_ds_cnn": ds_cnn, "vww_mobilenet_v1_025": mobilenet_v1_025, "ic_resnet8": resnet8, "ad_autoencoder": ad_autoencoder}


def synthetic_classes(shape: tuple, classes: int, samples: int, seed: int = 0, noise: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Learnable stand-in data, values in [0, 1]: each class is a plane wave (grating) of its own orientation and
    spatial frequency (class k: orientation k mod 4 of 4, frequency k mod 3 of 3; the first 12 all differ) and channel mix, at a random phase per sample,
    plus Gaussian noise. Texture, not position, tells the classes apart, as the reference models' global average
    pooling needs: a fixed random template per class (the first version) is not learnable through that pooling."""
    rng = np.random.default_rng(seed)
    height, width, channels = shape
    y = rng.integers(0, classes, samples)
    angle = np.pi * (np.arange(classes) % 4) / 4
    frequency = np.array([0.07, 0.15, 0.3])[np.arange(classes) % 3]  # cycles per pixel
    mix = rng.uniform(0.3, 1.0, (classes, channels))
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    along = np.cos(angle)[:, None, None] * rows + np.sin(angle)[:, None, None] * cols
    phase = rng.uniform(0.0, 2 * np.pi, samples)[:, None, None]
    wave = np.sin(2 * np.pi * frequency[y, None, None] * along[y] + phase)
    x = wave[..., None] * mix[y][:, None, None, :] + noise * rng.standard_normal((samples, *shape))
    x = (x - x.min()) / (x.max() - x.min())
    return x.astype(np.float32), y.astype(np.int64)


def recalibrate_batchnorm(model, x: np.ndarray) -> None:
    """Set every BatchNormalization layer's moving mean and variance to the statistics of `x` (at most 512 samples,
    in one training-mode pass). A few hundred steps leave the moving averages (momentum 0.99) far behind weights
    that are still changing fast, and the model then predicts one class in inference; the reference trains for
    hundreds of epochs, where they catch up."""
    layers = [layer for layer in model.layers if type(layer).__name__ == "BatchNormalization"]
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.momentum = 0.0
    model(x[:512], training=True)
    for layer, momentum in zip(layers, momenta):
        layer.momentum = momentum


def synthetic_machine_sound(samples: int, dim: int = 640, anomalous_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Stand-in log-mel frames: normal samples lie near an 8-dimensional subspace (as the autoencoder's
    bottleneck assumes), anomalous ones add energy outside it; y = 1 marks the anomalous."""
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((8, dim)) / np.sqrt(8)
    codes = rng.standard_normal((samples, 8))
    x = codes @ basis + 0.05 * rng.standard_normal((samples, dim))
    y = (rng.uniform(size=samples) < anomalous_fraction).astype(np.int64)
    x[y == 1] += 0.6 * rng.standard_normal((int(y.sum()), dim))
    return x.astype(np.float32), y


def tensor_name_bytes(path) -> int:
    """The bytes of a .tflite file's tensor names: debugging strings the converter derives from the Keras layer
    and model names, which differ between the reference files and edgeaccel's as names do, not as models do."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    model = schema.Model.GetRootAs(bytearray(open(path, "rb").read()), 0)
    return sum(len(subgraph.Tensors(i).Name() or b"") for subgraph in (model.Subgraphs(k) for k in range(model.SubgraphsLength()))
               for i in range(subgraph.TensorsLength()))


def run_reference(name: str, workdir, samples: int, float_epochs: int, qat_epochs: int) -> dict:
    """`edgeaccel run` on one reference model: float-trained first (the user's model), then QAT -> tflite, tflm, edgetpu.
    The autoencoder's TFLM model uses per-tensor Dense quantization, as the reference's does; its per-channel twin is
    converted too, for both figures."""
    import yaml

    from edgeaccel.artifact import read_artifact
    from edgeaccel.targets import ConvertRequest, convert
    from edgeaccel.models.files import save_model
    from edgeaccel.models.training import seed_everything, train
    from edgeaccel.pipeline import run_project
    from edgeaccel.data.datasets import Dataset, split_dataset
    from edgeaccel.specs import DataSpec, TrainingSpec

    workdir.mkdir(parents=True, exist_ok=True)
    autoencoder = name == "ad_autoencoder"
    if autoencoder:
        x, y = synthetic_machine_sound(samples)
        task = "autoencoder"
    else:
        shape = {"kws_ds_cnn": (49, 10, 1), "vww_mobilenet_v1_025": (96, 96, 3), "ic_resnet8": (32, 32, 3)}[name]
        x, y = synthetic_classes(shape, {"kws_ds_cnn": 12, "vww_mobilenet_v1_025": 2, "ic_resnet8": 10}[name], samples)
        task = "classification"
    data = DataSpec(source="data.npz", normalize="none")
    # The float model (the user's) sees only the samples `edgeaccel run` will fit on, never its test split.
    split = split_dataset(Dataset(x, y, name), data, task)
    seed_everything(0)
    model = MODELS[name]()
    train(model, split.fit_x, split.fit_y, TrainingSpec(epochs=float_epochs, learning_rate=0.001, batch_size=16, early_stopping=None,
                                            validation_fraction=0.0), 0, f"float {name}", progress=False, task=task)
    recalibrate_batchnorm(model, split.fit_x)
    save_model(model, workdir / "float.h5")
    np.savez(workdir / "data.npz", x=x, y=y)
    dense = "per_tensor" if autoencoder else "per_channel"
    project = {"name": name, "data": {"source": "data.npz", "normalize": "none"}, "model": {"path": "float.h5"},
               "quantization": {"activation_integer": 3 if autoencoder else 2, "input_integer": 3 if autoencoder else 0},
               "training": {"task": task, "epochs": qat_epochs, "learning_rate": 0.0003, "batch_size": 16, "early_stopping": None},
               "targets": {"tflite": {"mode": "int8"}, "tflm": {"board": "nano33ble", "dense_quantization": dense},
                           "edgetpu": {"dense_quantization": dense}}}
    (workdir / "project.yaml").write_text(yaml.safe_dump(project))
    build = run_project(workdir / "project.yaml", workdir / "build", progress=False)
    metrics = build.metrics
    tflm_artifact = read_artifact(build.directory / "tflm")
    tflm = tflm_artifact.details
    row = {"model": name, "task": task, "reference": REFERENCE[name], "int8_bytes": tflm["bytes"],
           "arena_minimum": tflm["arena"]["minimum_bytes"], "ops": tflm["op_count"], "dense": dense,
           "backends": metrics["backends"], "tflm_exact_vs_reference_kernels": metrics["fidelity"]["tflm"]["exact_fraction"],
           "tflm_vs_optimized": metrics["fidelity"]["tflm"]["optimized_kernels"], "edgetpu": metrics["edgetpu"],
           "tflm_fidelity_ok": metrics["fidelity"]["tflm"]["ok"], "tflm_verdict": metrics["fidelity"]["tflm"]["verdict"],
           "tensor_name_bytes": tensor_name_bytes(build.directory / "tflm" / "model.tflite"),
           "flash_estimate": tflm_artifact.estimate["flash"]["used"]}
    if autoencoder:
        other = convert(ConvertRequest(build.directory / "model.h5", workdir / "tflm-per-channel", board="nano33ble",
                                       calib_path=build.directory / "calib.npz", options={"dense_quantization": "per_channel"}), "tflm")
        row["per_channel"] = {"int8_bytes": other.details["bytes"], "arena_minimum": other.details["arena"]["minimum_bytes"]}
    return row

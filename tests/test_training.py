import numpy as np

from conftest import write_project
from edgeaccel.models.files import load_model
from edgeaccel.pipeline import train_project


def test_training_is_reproducible_from_the_seed(tmp_path):
    project = write_project(tmp_path / "p.yaml")
    first = load_model(train_project(project, tmp_path / "a", progress=False).directory / "model.h5")
    second = load_model(train_project(project, tmp_path / "b", progress=False).directory / "model.h5")
    for w1, w2 in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(w1, w2)


def test_a_users_float_model_is_quantized_and_fine_tuned(tmp_path, grid_inputs):
    from sklearn.datasets import load_digits

    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([
        tf.keras.Input((8, 8, 1)), tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(32, activation="relu"), tf.keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(grid_inputs, load_digits().target, epochs=15, verbose=0)
    model.save(tmp_path / "user.h5", save_format="h5")

    project = write_project(tmp_path / "p.yaml", model={"path": "user.h5"}, training={"epochs": 3})
    build = train_project(project, tmp_path / "build", progress=False)
    qmodel = load_model(build.directory / "model.h5")
    kinds = [type(layer).__name__ for layer in qmodel.layers]
    assert kinds[1] == "QActivation" and kinds.count("QDense") == 2
    from edgeaccel.data import read_npz

    x, y = read_npz(build.directory / "test.npz", need_labels=True)
    assert np.mean(qmodel.predict(x, verbose=0).argmax(1) == y) >= 0.9


def test_an_unsupported_layer_is_refused_by_name_before_training(tmp_path):
    import time

    from conftest import error_line, run_cli
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    inputs = tf.keras.Input((8, 8, 1))
    x = tf.keras.layers.LeakyReLU(0.1, name="leaky")(tf.keras.layers.Dense(16)(tf.keras.layers.Flatten()(inputs)))
    tf.keras.Model(inputs, tf.keras.layers.Dense(10, activation="softmax")(x)).save(tmp_path / "user.h5", save_format="h5")
    project = write_project(tmp_path / "p.yaml", model={"path": "user.h5"}, training={"epochs": 100000})
    start = time.monotonic()
    result = run_cli("run", project, "--out", tmp_path / "build", "--quiet")
    assert "layer 'leaky': expected one of" in error_line(result) and "received LeakyReLU" in result.stderr
    assert result.returncode == 2 and not (tmp_path / "build").exists()
    # 100,000 epochs of QAT would take hours: the refusal came before training (the bound allows a loaded machine).
    assert time.monotonic() - start < 600, "refused only after training started"


def test_an_unknown_task_is_refused_by_name(tmp_path):
    from conftest import error_line, run_cli

    result = run_cli("train", write_project(tmp_path / "p.yaml", training={"task": "segmentation"}))
    line = error_line(result)
    assert "training.task" in line and "segmentation" in line and result.returncode == 2


def test_the_task_is_inferred_from_the_data_and_checked():
    import pytest

    from edgeaccel.data import settle_task
    from edgeaccel.errors import DataError

    x = np.zeros((6, 4), np.float32)
    assert settle_task("auto", x, None).name == "autoencoder"
    assert settle_task("auto", x, x + 1).reason == "inferred: y has x's shape (4,)"
    assert settle_task("auto", x, np.linspace(0, 1, 6).astype(np.float32)).name == "regression"
    classes = settle_task("auto", x, np.array([0, 1, 2, 0, 1, 2]))
    assert (classes.name, classes.classes) == ("classification", 3)
    labelled = settle_task("autoencoder", x, np.array([0, 0, 1, 0, 1, 0]))
    assert labelled.anomaly_labels and labelled.reason == "stated in training.task; y holds 0/1 anomaly labels"
    with pytest.raises(DataError, match="expected integer class labels"):
        settle_task("classification", x, np.full(6, 0.5, np.float32))
    with pytest.raises(DataError, match="expected numeric targets y, one row per sample, for task regression, received no y"):
        settle_task("regression", x, None)


def test_a_regression_model_is_trained_with_mse_and_compared_by_correlation(tmp_path):
    from edgeaccel.pipeline import run_project

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (800, 6)).astype(np.float32)
    y = np.stack([x[:, 0] + 0.5 * x[:, 1], x[:, 2] * x[:, 3]], axis=1).astype(np.float32)
    np.savez(tmp_path / "reg.npz", x=x, y=y)
    project = write_project(tmp_path / "reg.yaml", data={"source": "reg.npz"}, model={"builtin": "mlp", "hidden": [32]},
                            training={"epochs": 40, "float_baseline": True, "learning_rate": 0.01})
    metrics = run_project(project, tmp_path / "build", progress=False).metrics
    assert metrics["task"]["name"] == "regression" and metrics["task"]["loss"] == "mean_squared_error"
    assert metrics["task"]["reason"] == "inferred: y is float"
    qkeras, tflite = metrics["backends"]["qkeras"], metrics["backends"]["tflite"]
    assert qkeras["correlation"] >= 0.95 and qkeras["mse"] < 0.1 * float(np.var(y))
    assert tflite["correlation_with_reference"] >= 0.99 and "accuracy" not in tflite

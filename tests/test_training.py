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

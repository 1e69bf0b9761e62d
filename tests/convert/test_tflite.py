import numpy as np
import pytest

from edgeaccel.targets import ConvertRequest, convert
from edgeaccel.data import write_npz
from edgeaccel.models.builtin import build_float_model
from edgeaccel.models.files import save_model
from edgeaccel.specs import ModelSpec, QuantSpec
from edgeaccel.quantize.qat import quantize_model
from edgeaccel.sim import open_backend


@pytest.fixture(scope="module")
def wide_model(tmp_path_factory, grid_inputs):
    """An untrained 8-bit MLP of about 120k parameters, with calibration data beside it."""
    directory = tmp_path_factory.mktemp("wide")
    from edgeaccel.tfenv import tensorflow

    tensorflow().keras.utils.set_random_seed(0)
    float_model = build_float_model(ModelSpec(builtin="mlp", hidden=[256, 256, 128]), (8, 8, 1), 10)
    qmodel = quantize_model(float_model, QuantSpec(), input_signed=False)
    rng = np.random.default_rng(0)
    for layer in qmodel.layers:
        if layer.get_weights():
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, rng.uniform(-0.5, 0.5, bias.shape).astype(np.float32)])
    assert qmodel.count_params() >= 100_000
    save_model(qmodel, directory / "model.h5")
    write_npz(directory / "calib.npz", grid_inputs[:300])
    return directory


def _convert(directory, mode):
    return convert(ConvertRequest(directory / "model.h5", directory / mode, options={"mode": mode}), "tflite")


def test_int8_holds_a_quarter_of_the_float_weight_bytes(wide_model):
    int8 = _convert(wide_model, "int8").details
    float32 = _convert(wide_model, "float32").details
    assert int8["kernel_bytes"] * 4 == float32["kernel_bytes"]
    assert int8["weight_bytes"] <= 0.26 * float32["weight_bytes"]
    assert int8["bytes"] < 0.3 * float32["bytes"]
    assert int8["float32_reference"]["bytes"] == float32["bytes"]


@pytest.mark.parametrize("mode,agreement", [("int8", 0.98), ("float16", 0.99), ("dynamic", 0.98), ("float32", 0.99)])
def test_every_mode_runs_on_litert_and_agrees_with_qkeras(digits_build, tmp_path, mode, agreement):
    import shutil

    from edgeaccel.data import read_npz

    shutil.copy(digits_build / "model.h5", tmp_path / "model.h5")
    shutil.copy(digits_build / "calib.npz", tmp_path / "calib.npz")
    artifact = _convert(tmp_path, mode)
    assert artifact.details["mode"] == mode
    x, _ = read_npz(digits_build / "test.npz")
    reference = open_backend("keras", digits_build / "model.h5").predict(x)
    outputs = open_backend("tflite", artifact.directory).predict(x)
    assert outputs.shape == reference.shape
    assert np.mean(outputs.argmax(1) == reference.argmax(1)) >= agreement


def test_tflite_backend_batches_without_changing_results(wide_model, grid_inputs):
    backend = open_backend("tflite", _convert(wide_model, "int8").directory)
    x = grid_inputs[:700]
    one_by_one = np.concatenate([backend.predict(x[i:i + 1]) for i in range(0, 700, 7)])
    backend.batch_size = 256
    batched = backend.predict(x)
    np.testing.assert_array_equal(batched[::7], one_by_one)


def _float_models():
    """The two commonest user models (issue 10, item 5): a plain Sequential MLP and a functional CNN
    ending in the standard Dense(10, activation='softmax') head."""
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    L = tf.keras.layers
    tf.keras.utils.set_random_seed(0)
    sequential = tf.keras.Sequential([tf.keras.Input((8, 8, 1)), L.Flatten(), L.Dense(32, activation="relu"),
                                      L.Dense(10, activation="softmax")])
    inputs = tf.keras.Input((8, 8, 1))
    x = L.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = L.MaxPooling2D()(x)
    x = L.Flatten()(L.Dropout(0.2)(x))
    functional = tf.keras.Model(inputs, L.Dense(10, activation="softmax")(x))
    return {"sequential": sequential, "functional": functional}


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_plain_float_keras_models_convert_to_tflite_tflm_and_edgetpu(tmp_path, grid_inputs, kind):
    from sklearn.datasets import load_digits

    from conftest import run_cli

    model = _float_models()[kind]
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(grid_inputs, load_digits().target, epochs=3, verbose=0)
    model.save(tmp_path / "f.h5", save_format="h5")
    write_npz(tmp_path / "calib.npz", grid_inputs[:200])
    x = grid_inputs[1000:1200]
    expected = model.predict(x, verbose=0).argmax(1)
    for target, backend in (("tflite", "tflite"), ("tflm", "tflm"), ("edgetpu", "tflite")):
        run_cli("convert", tmp_path / "f.h5", "--target", target, "-o", tmp_path / target, "--quiet", check=True)
        outputs = open_backend(backend, tmp_path / target).predict(x)
        assert np.mean(outputs.argmax(1) == expected) >= 0.97, (target, np.mean(outputs.argmax(1) == expected))


def test_a_tensor_left_constant_by_calibration_is_refused_by_name():
    """TF's converter gives a tensor that was constant on every calibration sample an int8 scale of ~1e-8, and
    LiteRT and TFLite Micro then abort the whole process: edgeaccel refuses it at conversion instead."""
    from edgeaccel.convert.tflite import to_tflite
    from edgeaccel.errors import ModelError
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    inputs = tf.keras.Input((4,))
    dead = tf.keras.layers.Dense(3, activation="relu", name="dead")
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(2, name="out")(dead(inputs)))
    dead.set_weights([np.zeros((4, 3), np.float32), np.full(3, -1.0, np.float32)])
    calibration = np.random.default_rng(0).uniform(0, 1, (32, 4)).astype(np.float32)
    with pytest.raises(ModelError, match=r"int8 calibration: expected every tensor to vary over the calibration data, "
                                         r"received \d+ constant \(first '.*"):
        to_tflite(model, "int8", calibration)

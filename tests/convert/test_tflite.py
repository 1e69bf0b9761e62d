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

import numpy as np
import pytest

from convert.hls_models import BUILDERS, inputs_for, randomized
from edgeaccel.targets import ConvertRequest, convert
from edgeaccel.data import write_npz
from edgeaccel.errors import ConfigError, UnsupportedError
from edgeaccel.models.files import save_model
from edgeaccel.sim.csim_backend import CsimBackend
from edgeaccel.sim.fidelity import csim_fidelity
from edgeaccel.convert.hls import write_weights


def _convert(tmp_path, model, name="hls", calib=True, **options):
    directory = tmp_path / name
    directory.mkdir(exist_ok=True)
    save_model(model, directory / "model.h5")
    if calib:
        write_npz(directory / "calib.npz", inputs_for(model, 100, seed=9))
    return convert(ConvertRequest(directory / "model.h5", directory / "out", board=options.pop("board", "pynq-z2"),
                                  options=options), "hls")


@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_csim_logits_equal_qkeras_bit_for_bit(tmp_path, name, io_type):
    model = randomized(BUILDERS[name]())
    artifact = _convert(tmp_path, model, io_type=io_type)
    csim = CsimBackend(artifact.directory)
    for on_grid in (True, False):
        fidelity = csim_fidelity(csim, model, inputs_for(model, 1500, on_grid=on_grid))
        assert fidelity["bit_exact_fraction"] == 1.0, fidelity
        assert fidelity["max_abs_diff"] == 0.0


def test_precisions_and_estimate_are_recorded(tmp_path):
    artifact = _convert(tmp_path, randomized(BUILDERS["mlp"]()))
    details = artifact.details
    assert details["backend"] == "VivadoAccelerator" and details["part"] == "xc7z020clg400-1"
    assert details["precisions"]["inp"]["result"] == "fixed<8,1>", "the input takes the input quantizer's type"
    assert details["precisions"]["fc1"]["weight_type"] == "fixed<6,1>"
    assert details["precisions"]["relu1"]["result"] == "ufixed<6,0>"
    assert artifact.estimate["resources"]["lut"]["available"] == 53200
    assert (artifact.directory / "hls4ml_prj" / "firmware" / "myproject.cpp").is_file()
    assert (artifact.directory / "hls4ml_prj" / "edgeaccel_testbench.mk").is_file()


def test_vitis_for_boards_without_an_accelerator_template(tmp_path):
    artifact = _convert(tmp_path, randomized(BUILDERS["mlp"]()), board="zcu104")
    assert artifact.details["backend"] == "Vitis" and artifact.details["part"] == "xczu7ev-ffvc1156-2-e"


def test_a_weights_only_change_reuses_the_compiled_library(tmp_path):
    first = randomized(BUILDERS["cnn"](), seed=1)
    library = CsimBackend(_convert(tmp_path, first, name="a").directory).library
    built = library.stat().st_mtime_ns
    retrained = randomized(BUILDERS["cnn"](), seed=2)
    csim = CsimBackend(_convert(tmp_path, retrained, name="b").directory)
    assert csim.library == library and library.stat().st_mtime_ns == built
    assert csim_fidelity(csim, retrained, inputs_for(retrained, 500))["bit_exact_fraction"] == 1.0
    wider = BUILDERS["cnn"]()
    assert CsimBackend(_convert(tmp_path, randomized(wider), name="c", io_type="io_stream").directory).library != library


def test_softmax_can_be_dropped_in_hardware(tmp_path):
    model = randomized(BUILDERS["mlp"]())
    artifact = _convert(tmp_path, model, softmax="drop")
    assert artifact.details["softmax_layer"] is None
    x = inputs_for(model, 300)
    outputs = CsimBackend(artifact.directory).predict(x)
    from edgeaccel.sim.fidelity import keras_layer_outputs

    np.testing.assert_array_equal(outputs, keras_layer_outputs(model, x, ["logits"])["logits"].astype(np.float32))


def test_first_diverging_layer_is_reported(tmp_path):
    model = randomized(BUILDERS["mlp"]())
    artifact = _convert(tmp_path, model)
    csim = CsimBackend(artifact.directory)
    tampered = randomized(BUILDERS["mlp"](), seed=0)
    weights = tampered.get_layer("fc2").get_weights()
    tampered.get_layer("fc2").set_weights([weights[0] + 1 / 32, weights[1]])
    fidelity = csim_fidelity(csim, tampered, inputs_for(model, 200))
    assert fidelity["bit_exact_fraction"] < 1.0
    assert fidelity["first_divergence"]["layer"] == "fc2"


def test_invalid_reuse_factor_lists_the_valid_ones(tmp_path):
    with pytest.raises(ConfigError, match=r"--reuse-factor: expected one of \[1, 2, 4, 8, 16, .*\] for layer 'fc1', received 7"):
        _convert(tmp_path, randomized(BUILDERS["mlp"]()), reuse_factor=7)


def test_model_without_an_input_quantizer_is_refused(tmp_path):
    from qkeras import QDense

    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    inputs = tf.keras.Input((4,), name="inp")
    model = tf.keras.Model(inputs, QDense(2, name="d", kernel_quantizer="quantized_bits(6,0,alpha=1)")(inputs))
    with pytest.raises(UnsupportedError, match="first layer quantizes its input"):
        _convert(tmp_path, model)


def test_unsupported_layer_is_named(tmp_path):
    from qkeras import QActivation, quantized_bits

    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    inputs = tf.keras.Input((4, 4, 2), name="inp")
    x = QActivation(quantized_bits(8, 0, alpha=1), name="q_in")(inputs)
    model = tf.keras.Model(inputs, tf.keras.layers.Conv2DTranspose(3, 2, name="upsample")(x))
    with pytest.raises(UnsupportedError, match="layer 'upsample': expected a layer hls4ml 1.3 supports, received Conv2DTranspose"):
        _convert(tmp_path, model)


def test_a_microcontroller_board_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="expected an FPGA board for --target hls, received 'nano33ble'"):
        _convert(tmp_path, randomized(BUILDERS["mlp"]()), board="nano33ble")


def test_weights_of_a_retrain_load_without_recompiling(tmp_path):
    csim = CsimBackend(_convert(tmp_path, randomized(BUILDERS["conv1d"](), seed=1)).directory)
    retrained = randomized(BUILDERS["conv1d"](), seed=5)
    csim.use_weights(write_weights(csim.artifact, retrained, tmp_path / "retrained"))
    assert csim_fidelity(csim, retrained, inputs_for(retrained, 500))["bit_exact_fraction"] == 1.0
    from qkeras import QActivation, QDense, quantized_bits

    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    inputs = tf.keras.Input((32, 2), name="inp")
    x = tf.keras.layers.Flatten(name="flat")(QActivation(quantized_bits(8, 0, alpha=1), name="q_in")(inputs))
    other = tf.keras.Model(inputs, tf.keras.layers.Activation("softmax", name="softmax")(
        QDense(5, name="logits", kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1))(x)))
    with pytest.raises(UnsupportedError, match="weights-only reload: expected the architecture and precisions"):
        write_weights(csim.artifact, other, tmp_path / "other")


def test_accelerator_artifacts_carry_the_pynq_driver(tmp_path):
    import ast

    artifact = _convert(tmp_path, randomized(BUILDERS["mlp"]()))
    driver = artifact.directory / "edgeaccel_overlay.py"
    tree = ast.parse(driver.read_text())
    imports = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
               for alias in node.names} | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "edgeaccel" not in " ".join(filter(None, imports)), "the board-side driver must not need edgeaccel"
    assert "edgeaccel_overlay.py" in artifact.files

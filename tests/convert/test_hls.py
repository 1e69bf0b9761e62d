import json

import numpy as np
import pytest

from convert.hls_models import BUILDERS, inputs_for, randomized
from edgeaccel.convert.hls import reference_for, write_weights
from edgeaccel.data import write_npz
from edgeaccel.errors import ConfigError, DataError, UnsupportedError
from edgeaccel.models.files import save_model
from edgeaccel.sim.csim_backend import CsimBackend
from edgeaccel.sim.fidelity import csim_fidelity
from edgeaccel.targets import ConvertRequest, convert


def _convert(tmp_path, model, name="hls", calib=True, **options):
    directory = tmp_path / name
    directory.mkdir(exist_ok=True)
    save_model(model, directory / "model.h5")
    if calib is True:
        write_npz(directory / "calib.npz", inputs_for(model, 100, seed=9))
    elif calib is not None and calib is not False:
        write_npz(directory / "calib.npz", calib)
    return convert(ConvertRequest(directory / "model.h5", directory / "out", board=options.pop("board", "pynq-z2"),
                                  options=options), "hls")


def _tf():
    from edgeaccel.tfenv import tensorflow

    return tensorflow()


@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_csim_equals_its_reference_bit_for_bit(tmp_path, name, io_type):
    model = randomized(BUILDERS[name]())
    artifact = _convert(tmp_path, model, io_type=io_type)
    csim = CsimBackend(artifact.directory)
    for on_grid in (True, False):
        fidelity = csim_fidelity(csim, None, inputs_for(model, 1500, on_grid=on_grid))
        assert fidelity["bit_exact_fraction"] == 1.0 and fidelity["max_abs_diff"] == 0.0, fidelity["verdict"]
        assert fidelity["softmax"]["argmax_agreement"] >= 0.999 and fidelity["ok"], fidelity["verdict"]
        assert not [row for row in fidelity["layers"] if row["status"] == "differs"], fidelity["layers"]


def test_precisions_and_estimate_are_recorded(tmp_path):
    artifact = _convert(tmp_path, randomized(BUILDERS["mlp"]()))
    details = artifact.details
    assert details["backend"] == "VivadoAccelerator" and details["part"] == "xc7z020clg400-1"
    assert details["precisions"]["inp"]["result"] == "fixed<8,1>", "the input takes the input quantizer's type"
    assert details["input_precision"]["precision"] == "fixed<8,1,RND_CONV,SAT>"
    assert "input quantizer 'q_in'" in details["input_precision"]["source"]
    assert details["precisions"]["fc1"]["weight_type"] == "fixed<6,1>", "quantized_bits(6,0) declares fixed<6,1>"
    assert details["precisions"]["relu1"]["result"] == "ufixed<6,0>"
    assert details["io_type"] == "io_parallel"
    assert [(c["layer"], c["change"]) for c in details["reference"]["changes"]] == [
        ("logits_quant", "inserted quantized_bits(21,12,alpha=1) after 'logits'")], "the logits, rounded for the softmax"
    assert artifact.estimate["resources"]["lut"]["available"] == 53200
    assert (artifact.directory / "hls4ml_prj" / "firmware" / "myproject.cpp").is_file()
    assert (artifact.directory / "hls4ml_prj" / "edgeaccel_testbench.mk").is_file()
    assert (artifact.directory / "reference.h5").is_file()


def test_vitis_for_boards_without_an_accelerator_template(tmp_path):
    artifact = _convert(tmp_path, randomized(BUILDERS["mlp"]()), board="zcu104")
    assert artifact.details["backend"] == "Vitis" and artifact.details["part"] == "xczu7ev-ffvc1156-2-e"


def test_a_weights_only_change_reuses_the_compiled_library(tmp_path):
    first = randomized(BUILDERS["cnn"](), seed=1)
    library = CsimBackend(_convert(tmp_path, first, name="a", softmax="drop").directory).library
    built = library.stat().st_mtime_ns
    retrained = randomized(BUILDERS["cnn"](), seed=2)
    csim = CsimBackend(_convert(tmp_path, retrained, name="b", softmax="drop").directory)
    assert csim.library == library and library.stat().st_mtime_ns == built
    assert csim_fidelity(csim, None, inputs_for(retrained, 500))["bit_exact_fraction"] == 1.0
    wider = BUILDERS["cnn"]()
    assert CsimBackend(_convert(tmp_path, randomized(wider), name="c", io_type="io_stream").directory).library != library


def test_softmax_can_be_dropped_in_hardware(tmp_path):
    model = randomized(BUILDERS["cnn"](), seed=1)
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
    fidelity = csim_fidelity(csim, reference_for(csim.artifact, tampered), inputs_for(model, 200))
    assert fidelity["bit_exact_fraction"] < 1.0 and not fidelity["ok"]
    assert fidelity["first_divergence"]["layer"] == "fc2"
    assert "first divergence at 'fc2'" in fidelity["verdict"]
    statuses = {row["layer"]: row["status"] for row in fidelity["layers"]}
    assert statuses["fc1"] == "exact" and statuses["fc2"] == "differs" and statuses["inp"] == "unchecked"


def test_a_final_quantizer_is_in_the_firmware_and_checked_on_the_real_outputs(tmp_path):
    """QDense then QActivation(quantized_bits(8, 2)) as the last layer: hls4ml 1.3 merges that quantizer away
    when the dense's type is left to it, and the outputs are off by half a step."""
    from qkeras import QActivation, QDense, quantized_bits

    tf = _tf()
    inputs = tf.keras.Input((16,), name="inp")
    x = QActivation(quantized_bits(8, 0, alpha=1), name="q_in")(inputs)
    x = QDense(5, name="fc", kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1))(x)
    model = randomized(tf.keras.Model(inputs, QActivation(quantized_bits(8, 2, alpha=1), name="q_out")(x)))
    artifact = _convert(tmp_path, model)
    assert artifact.details["precisions"]["q_out"]["result"] == "fixed<8,3>"
    csim = CsimBackend(artifact.directory)
    x = inputs_for(model, 1000, on_grid=False)
    fidelity = csim_fidelity(csim, model, x)
    assert fidelity["outputs"]["layer"] == "q_out" and fidelity["outputs"]["bit_exact_fraction"] == 1.0 and fidelity["ok"]
    rounded_differently = tf.keras.Model(model.inputs, QActivation(quantized_bits(8, 3, alpha=1), name="q_out")(
        model.get_layer("fc").output))
    check = csim_fidelity(csim, rounded_differently, x)
    assert not check["ok"] and check["outputs"]["bit_exact_fraction"] < 1.0
    assert check["first_divergence"]["layer"] == "q_out", "a differing last quantizer is named, never reported exact"


def test_invalid_reuse_factor_takes_the_closest_valid_one_with_a_note(tmp_path, caplog):
    artifact = _convert(tmp_path, randomized(BUILDERS["mlp"]()), reuse_factor=7)
    notes = artifact.details["reuse_factor_notes"]
    assert any("layer 'fc1': reuse factor 7 is not valid" in note and "using 8, the closest" in note for note in notes), notes
    layers = {r["name"]: r for r in artifact.details["layers"]}
    assert layers["fc1"]["reuse_factor"] == 8
    from edgeaccel.convert.hls4ml_adapter import valid_reuse_factors

    for record in artifact.details["layers"]:
        if record["class"] == "Dense":
            assert record["reuse_factor"] in valid_reuse_factors("VivadoAccelerator", record["n_in"], record["n_out"])


def test_a_model_without_an_input_quantizer_takes_its_precision_from_calibration(tmp_path):
    from qkeras import QDense

    tf = _tf()
    inputs = tf.keras.Input((4,), name="inp")
    model = randomized(tf.keras.Model(inputs, QDense(2, name="d", kernel_quantizer="quantized_bits(6,0,alpha=1)",
                                                     bias_quantizer="quantized_bits(6,0,alpha=1)")(inputs)))
    calib = (np.random.default_rng(0).integers(0, 17, (200, 4)) / 16.0).astype(np.float32)
    artifact = _convert(tmp_path, model, calib=calib)
    assert artifact.details["input_precision"]["precision"] == "ufixed<5,1,RND_CONV,SAT>"
    assert "lies on a 2^-4 grid" in artifact.details["input_precision"]["source"]
    fidelity = csim_fidelity(CsimBackend(artifact.directory), None, np.random.default_rng(1).uniform(0, 1, (500, 4)))
    assert fidelity["ok"] and fidelity["bit_exact_fraction"] == 1.0
    assert "with its inputs quantized to ufixed<5,1,RND_CONV,SAT>" in fidelity["reference"]
    chosen = _convert(tmp_path, model, name="option", calib=calib, input_precision="fixed<10,3>")
    assert chosen.details["input_precision"].to_dict() == {"precision": "fixed<10,3,RND_CONV,SAT>",
                                                           "source": "--input-precision fixed<10,3>"}
    with pytest.raises(DataError, match=r"expected an input precision: the model has no input quantizer .* received neither"):
        _convert(tmp_path, model, name="none", calib=None)
    with pytest.raises(ConfigError, match=r"^--input-precision: expected hls4ml syntax such as fixed<16,6> .*, received 'fixed16'$"):
        _convert(tmp_path, model, name="bad", input_precision="fixed16")


def test_a_float_keras_classifier_with_a_fused_softmax_converts(tmp_path):
    """The standard Keras head, Dense(10, activation='softmax'), on a plain float model with Dropout."""
    tf = _tf()
    layers = tf.keras.layers
    inputs = tf.keras.Input((8, 8, 1), name="image")
    x = layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = layers.Dropout(0.3, name="dropout")(layers.Flatten(name="flat")(x))
    model = randomized(tf.keras.Model(inputs, layers.Dense(10, activation="softmax", name="head")(x)))
    calib = np.random.default_rng(0).uniform(0, 1, (300, 8, 8, 1)).astype(np.float32)
    artifact = _convert(tmp_path, model, calib=calib)
    details = artifact.details
    changes = {(c["layer"], c["change"].split(" ")[0]) for c in details["reference"]["changes"]}
    assert ("dropout", "removed") in changes and ("conv", "weight") in changes and ("head", "weight") in changes
    assert details["softmax_layer"] == "head_softmax" and details["logits_layer"] == "head_quant"
    cost = details["reference"]["cost_on_calibration"]
    assert cost["samples"] == 300 and cost["argmax_agreement"] >= 0.95
    fidelity = csim_fidelity(CsimBackend(artifact.directory), None, np.random.default_rng(2).uniform(0, 1, (500, 8, 8, 1)))
    assert fidelity["ok"] and fidelity["bit_exact_fraction"] == 1.0 and fidelity["softmax"]["argmax_agreement"] >= 0.999


def test_io_stream_is_chosen_for_large_feature_maps(tmp_path):
    from qkeras import QActivation, QConv2D, quantized_bits

    tf = _tf()
    inputs = tf.keras.Input((20, 20, 1), name="inp")
    x = QActivation(quantized_bits(8, 0, alpha=1), name="q_in")(inputs)
    x = QConv2D(2, 3, padding="same", name="conv", kernel_quantizer="quantized_bits(4,0,alpha=1)",
                bias_quantizer="quantized_bits(4,0,alpha=1)")(x)
    model = randomized(tf.keras.Model(inputs, tf.keras.layers.Flatten(name="flat")(x)))
    artifact = _convert(tmp_path, model)
    assert artifact.details["io_type"] == "io_stream"
    assert artifact.details["io_type_reason"].startswith("layer 'conv' has 400 output positions and 3600 window values")
    small = _convert(tmp_path, randomized(BUILDERS["cnn"]()), name="small")
    assert small.details["io_type"] == "io_parallel"


def test_unsupported_layer_is_named(tmp_path):
    from qkeras import QActivation, quantized_bits

    tf = _tf()
    inputs = tf.keras.Input((4, 4, 2), name="inp")
    x = QActivation(quantized_bits(8, 0, alpha=1), name="q_in")(inputs)
    model = tf.keras.Model(inputs, tf.keras.layers.Conv2DTranspose(3, 2, name="upsample")(x))
    with pytest.raises(UnsupportedError, match=r"^layer 'upsample': expected a layer edgeaccel computes exactly .* "
                                               r"received Conv2DTranspose$"):
        _convert(tmp_path, model)


def test_relu6_is_refused_at_convert_where_hls4ml_would_drop_its_clip(tmp_path):
    """A QAT'd ReLU6 is quantized_relu(8,3,relu_upper_bound=6): hls4ml 1.3 converts it without the clip at 6, and csim
    then matched QKeras on 9% of samples whose values reach it. Refused by name instead."""
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    tf = _tf()
    inputs = tf.keras.Input((4,), name="inp")
    x = QActivation(quantized_bits(8, 0, alpha=1), name="q_in")(inputs)
    x = QDense(4, name="dense", kernel_quantizer="quantized_bits(4,0,alpha=1)", bias_quantizer="quantized_bits(4,0,alpha=1)")(x)
    model = tf.keras.Model(inputs, QActivation(quantized_relu(8, 3, relu_upper_bound=6), name="relu6")(x))
    with pytest.raises(UnsupportedError, match=r"^layer 'relu6'.*expected relu_upper_bound=None, received 6"):
        _convert(tmp_path, randomized(model))


def test_a_microcontroller_board_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="expected an FPGA board for --target hls, received 'nano33ble'"):
        _convert(tmp_path, randomized(BUILDERS["mlp"]()), board="nano33ble")


def test_weights_of_a_retrain_load_without_recompiling(tmp_path):
    csim = CsimBackend(_convert(tmp_path, randomized(BUILDERS["conv1d"]())).directory)
    retrained = randomized(BUILDERS["conv1d"](), seed=5)
    csim.use_weights(write_weights(csim.artifact, retrained, tmp_path / "retrained"))
    fidelity = csim_fidelity(csim, reference_for(csim.artifact, retrained), inputs_for(retrained, 500))
    assert fidelity["bit_exact_fraction"] == 1.0 and fidelity["ok"]
    from qkeras import QActivation, QDense, quantized_bits

    tf = _tf()
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


def test_sim_prints_the_agreement_records_it_and_exits_1_when_the_reference_differs(tmp_path):
    from conftest import error_line, run_cli

    model = randomized(BUILDERS["mlp"]())
    artifact = _convert(tmp_path, model)
    x = inputs_for(model, 300, on_grid=False)
    write_npz(tmp_path / "data.npz", x)
    result = run_cli("sim", artifact.directory, "--backend", "csim", "--data", tmp_path / "data.npz",
                     "--out", tmp_path / "pred.npy", check=True)
    assert "softmax ('softmax', a lookup table in hardware) argmax agreement 1.0000 (required >= 0.999)" in result.stdout
    recorded = json.loads((tmp_path / "pred.json").read_text())
    assert recorded["argmax_agreement"] == 1.0 and recorded["fidelity"]["bit_exact_fraction"] == 1.0
    save_model(reference_for(artifact, randomized(BUILDERS["mlp"](), seed=3)), artifact.directory / "reference.h5")
    line = error_line(run_cli("sim", artifact.directory, "--backend", "csim", "--data", tmp_path / "data.npz", "--quiet"))
    assert "logits ('logits_quant') bit-exact on 0 of 300 samples" in line and "first divergence at 'fc1'" in line

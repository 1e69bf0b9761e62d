import json

import numpy as np

from edgeaccel.artifact import read_artifact, sha256
from edgeaccel.data import read_npz


def test_digits_qkeras_8bit_accuracy_and_tflite_agreement(digits_build):
    metrics = json.loads((digits_build / "metrics.json").read_text())
    backends = metrics["backends"]
    assert backends["qkeras"]["accuracy"] >= 0.95
    assert backends["tflite"]["argmax_agreement"] >= 0.98
    assert backends["tflite"]["accuracy"] >= 0.94
    assert backends["float"]["accuracy"] >= 0.94
    assert metrics["quantization"]["weight_bits"] == 8


def test_build_directory_holds_the_contracted_files(digits_build):
    for name in ("model.h5", "test.npz", "metrics.json", "report.md", "tflite/model.tflite", "tflite/artifact.json"):
        assert (digits_build / name).is_file(), name
    x, y = read_npz(digits_build / "test.npz", need_labels=True)
    assert x.shape == (360, 8, 8, 1) and y.shape == (360,)
    assert 0.0 <= x.min() and x.max() <= 1.0


def test_report_states_the_measured_figures(digits_build):
    metrics = json.loads((digits_build / "metrics.json").read_text())
    report = (digits_build / "report.md").read_text()
    assert f"{metrics['backends']['tflite']['accuracy']:.4f}" in report
    assert f"{metrics['backends']['qkeras']['accuracy']:.4f}" in report
    assert str(metrics["sizes"]["tflite"]["bytes"]) in report


def test_manifest_lists_files_with_true_sizes_and_hashes(digits_build):
    artifact = read_artifact(digits_build / "tflite")
    assert artifact.target == "tflite"
    entry = artifact.files["model.tflite"]
    path = digits_build / "tflite" / "model.tflite"
    assert entry["bytes"] == path.stat().st_size
    assert entry["sha256"] == sha256(path)
    details = artifact.details
    assert details["mode"] == "int8"
    assert details["inputs"][0]["dtype"] == "int8" and details["outputs"][0]["dtype"] == "int8"
    assert "FULLY_CONNECTED" in details["ops"]
    # The calibration data lies on the QKeras input grid, so the int8 input scale is that grid's step.
    assert details["inputs"][0]["scale"] == details["input_grid"]["step"] == 1 / 256


def test_sim_cli_writes_raw_outputs_in_keras_shape(digits_build, tmp_path):
    from conftest import run_cli

    pred = tmp_path / "pred.npy"
    result = run_cli("sim", digits_build / "tflite", "--backend", "tflite", "--data", digits_build / "test.npz",
                     "--out", pred, "--json", check=True)
    summary = json.loads(result.stdout)
    outputs = np.load(pred)
    assert outputs.shape == (360, 10)
    metrics = json.loads((digits_build / "metrics.json").read_text())
    assert summary["accuracy"] == metrics["backends"]["tflite"]["accuracy"]
    keras = tmp_path / "keras.npy"
    run_cli("sim", digits_build, "--backend", "keras", "--data", digits_build / "test.npz", "--out", keras, check=True)
    assert np.load(keras).shape == outputs.shape


def test_cnn_with_batchnorm_runs_end_to_end(tmp_path):
    from conftest import write_project
    from edgeaccel.pipeline import run_project

    project = write_project(tmp_path / "cnn.yaml", model={"builtin": "cnn", "filters": [8, 16], "hidden": [32], "batchnorm": True},
                            training={"epochs": 8, "float_baseline": True})
    metrics = run_project(project, tmp_path / "build", progress=False).metrics
    assert metrics["backends"]["qkeras"]["accuracy"] >= 0.9
    assert metrics["backends"]["tflite"]["argmax_agreement"] >= 0.97
    ops = json.loads((tmp_path / "build" / "tflite" / "artifact.json").read_text())["tflite"]["ops"]
    assert "CONV_2D" in ops and "MAX_POOL_2D" in ops
    assert not any("BATCH" in op or op == "MUL" for op in ops), "BatchNormalization must be folded"
    # QAT fine-tunes the trained float model with its BatchNormalization fixed: the QKeras model keeps the float
    # model's statistics and affine terms, so what QAT trained is the folded convolution the export ships.
    from edgeaccel.models.files import load_model

    def batchnorms(path):
        return [layer.get_weights() for layer in load_model(path).layers if type(layer).__name__ == "BatchNormalization"]

    qat, float_ = batchnorms(tmp_path / "build" / "model.h5"), batchnorms(tmp_path / "build" / "float_model.h5")
    assert len(qat) == len(float_) == 3  # two convolutions and the hidden Dense
    assert all(np.array_equal(a, b) for q, f in zip(qat, float_) for a, b in zip(q, f))

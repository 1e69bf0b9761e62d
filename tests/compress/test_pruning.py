"""Pruning during QAT (tensorflow-model-optimization around the QKeras layers, the hls4ml tutorial's
flow): the per-layer sparsity reached and recorded, csim still bit-exact with QKeras, the FPGA
estimate counting only non-zero weights, and TFLite Micro's manifest saying it runs them dense."""

import pytest

from conftest import error_line, run_cli, write_project
from edgeaccel.artifact import read_artifact
from edgeaccel.compress.pruning import kernel_sparsity
from edgeaccel.models.files import load_model


TRAINING = {"epochs": 4, "float_baseline": False}
PRUNING = {"target_sparsity": 0.75, "end_epoch": 2}


def build(directory, training, targets):
    from edgeaccel.pipeline import run_project

    project = write_project(directory / "project.yaml", model={"builtin": "mlp", "hidden": [32]},
                            quantization={"activation_integer": 2}, training=training, targets=targets)
    return run_project(project, directory / "build", progress=False)


@pytest.fixture(scope="module")
def pruned_build(tmp_path_factory):
    return build(tmp_path_factory.mktemp("pruned"), TRAINING | {"pruning": PRUNING},
                 {"tflite": None, "tflm": {"board": "nano33ble"}, "hls": {"board": "pynq-z2", "reuse_factor": 1}})


@pytest.fixture(scope="module")
def dense_build(tmp_path_factory):
    """The same model, seed and epochs without pruning."""
    return build(tmp_path_factory.mktemp("dense"), TRAINING, {"tflite": None, "hls": {"board": "pynq-z2", "reuse_factor": 1}})


def test_every_kernel_reaches_the_target_sparsity_and_model_h5_keeps_it(pruned_build):
    pruning = pruned_build.metrics["compression"]["pruning"]
    assert pruning["target_sparsity"] == 0.75 and pruning["schedule"] == "polynomial"
    assert set(pruning["layers"]) == {"dense0", "logits"}
    for layer in pruning["layers"].values():  # tfmot masks round(0.75 n) weights; 8-bit rounding may add a few
        assert layer["zeros"] >= round(0.75 * layer["weights"]) and layer["sparsity"] < 0.8
    saved = kernel_sparsity(load_model(pruned_build.directory / "model.h5"))
    assert saved == pruning["layers"] == pruned_build.metrics["weight_sparsity"]["layers"]


def test_csim_stays_bit_exact_and_the_estimate_counts_only_non_zero_weights(pruned_build, dense_build):
    metrics = pruned_build.metrics
    assert metrics["fidelity"]["csim"]["bit_exact_fraction"] == 1.0 and metrics["fidelity"]["csim"]["samples"] == 360
    pruned, dense = read_artifact(pruned_build.directory / "hls"), read_artifact(dense_build.directory / "hls")
    sparsity = pruned.details.sparsity
    assert sparsity["total"]["sparsity"] >= 0.75 and "removes the products by zero weights" in sparsity["note"]
    assert dense.details.sparsity["total"]["sparsity"] < 0.1
    multipliers = lambda artifact: sum(layer["multipliers"] for layer in artifact.estimate["layers"])  # noqa: E731
    nonzero = sum(record["nonzero_weights"] for record in pruned.details.layers if record.get("weights"))
    assert multipliers(pruned) <= nonzero, "a product by zero is dropped (and one by a power of two is a shift)"
    assert multipliers(dense) >= 3 * multipliers(pruned), (multipliers(dense), multipliers(pruned))
    assert pruned.estimate["resources"]["lut"]["used"] < 0.5 * dense.estimate["resources"]["lut"]["used"]


def test_tflite_micro_is_said_to_run_sparse_weights_dense(pruned_build):
    tflm = read_artifact(pruned_build.directory / "tflm")
    sparsity = tflm.details.sparsity
    assert [layer["op"] for layer in sparsity["layers"]] == ["FULLY_CONNECTED", "FULLY_CONNECTED"]
    assert sparsity["total"]["sparsity"] >= 0.75
    assert "saves neither flash nor time" in sparsity["note"]
    report = (pruned_build.directory / "report.md").read_text()
    assert "## Compression" in report and "| dense0 | 2048 | " in report
    assert "saves neither flash nor time on a microcontroller" in report
    assert "removes the products by zero weights" in report


def test_a_schedule_that_does_not_fit_the_epochs_is_one_line(tmp_path):
    project = write_project(tmp_path / "p.yaml", training={"epochs": 3, "pruning": {"target_sparsity": 0.5, "end_epoch": 5}})
    line = error_line(run_cli("train", project, "--out", tmp_path / "out"))
    assert "training: expected pruning.begin_epoch (0) < pruning.end_epoch (5) <= epochs (3), received {" in line
    project = write_project(tmp_path / "q.yaml", training={"pruning": {"target_sparsity": 1.0}})
    assert "training.pruning.target_sparsity: expected less than 1" in error_line(run_cli("train", project))
    assert not (tmp_path / "out").exists()

import json

import numpy as np

from conftest import error_line, run_cli, write_project
from edgeaccel.data import read_npz
from edgeaccel.sim import open_backend
from edgeaccel.sim.fidelity import agreement


def test_tflm_agrees_with_litert_int8_on_the_digits_test_split(digits_build, digits_tflm):
    x, y = read_npz(digits_build / "test.npz")
    tflm = open_backend("tflm", digits_tflm).predict(x)
    same_model = agreement(tflm, open_backend("tflite", digits_tflm).predict(x), "LiteRT")
    tflite_target = agreement(tflm, open_backend("tflite", digits_build / "tflite").predict(x), "LiteRT")
    assert tflm.shape == (len(x), 10) and tflm.dtype == np.float32
    assert same_model["samples"] == 360
    assert same_model["argmax_agreement"] >= 0.99 and same_model["exact_fraction"] >= 0.95
    assert tflite_target["argmax_agreement"] >= 0.99
    assert np.mean(tflm.argmax(1) == y) >= 0.95


def test_tflm_backend_quantizes_float_inputs_to_the_grid_itself(digits_build, digits_tflm):
    x, _ = read_npz(digits_build / "test.npz")
    x = x[:50]
    backend = open_backend("tflm", digits_tflm)
    jitter = np.random.default_rng(0).uniform(-0.4, 0.4, x.shape).astype(np.float32) / 256
    np.testing.assert_array_equal(backend.predict(x + jitter), backend.predict(x))
    assert backend.arena_bytes == json.loads((digits_tflm / "artifact.json").read_text())["tflm"]["arena_bytes"]


def test_sim_cli_with_the_tflm_backend(digits_build, digits_tflm, tmp_path):
    summary = json.loads(run_cli("sim", digits_tflm, "--backend", "tflm", "--data", digits_build / "test.npz",
                                 "--out", tmp_path / "pred.npy", "--json", check=True).stdout)
    assert summary["backend"] == "tflm" and summary["output_shape"] == [360, 10] and summary["accuracy"] >= 0.95
    assert np.load(tmp_path / "pred.npy").shape == (360, 10)
    line = error_line(run_cli("sim", digits_build / "hls", "--backend", "tflm", "--data", digits_build / "test.npz"))
    assert "expected a tflite, tflm or edgetpu artifact, received an hls artifact" in line


def test_run_reports_tflm_agreement_mcu_estimate_and_edgetpu_mapping(tmp_path):
    project = write_project(tmp_path / "mcu.yaml", targets={"tflite": {"mode": "int8"}, "tflm": {"board": "rpi-pico"},
                                                            "edgetpu": {}})
    out = tmp_path / "build"
    run_cli("run", project, "--out", out, "--quiet", check=True)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["fidelity"]["tflm"]["argmax_agreement"] >= 0.99
    assert 0.9 <= metrics["fidelity"]["tflm"]["exact_fraction"] <= 1.0
    assert {"tflm", "edgetpu", "tflite"} <= set(metrics["backends"])
    assert metrics["mcu_estimates"]["tflm"]["board"] == "rpi-pico" and metrics["mcu_estimates"]["tflm"]["fits"]
    assert metrics["edgetpu"]["fully_mapped"] and metrics["edgetpu"]["ops"] == metrics["edgetpu"]["edgetpu"]
    assert (out / "tflm" / "main.cc").is_file() and (out / "edgetpu" / "model.tflite").is_file()

"""csim and the standalone testbench on the digits build (examples/digits.yaml has an hls target)."""

import json

import numpy as np

from conftest import error_line, run_cli
from edgeaccel.artifact import read_artifact
from edgeaccel.sim.testbench import run_testbench


def test_run_checks_csim_bit_exact_on_the_test_split(digits_build):
    metrics = json.loads((digits_build / "metrics.json").read_text())
    fidelity = metrics["fidelity"]["csim"]
    assert fidelity["samples"] == 360 and fidelity["bit_exact_fraction"] == 1.0 and fidelity["first_divergence"] is None
    assert fidelity["ok"] and fidelity["softmax"]["argmax_agreement"] >= 0.999, fidelity["verdict"]
    assert metrics["backends"]["hls"]["argmax_agreement"] >= 0.999
    assert "bit for bit" in (digits_build / "report.md").read_text()


def test_standalone_testbench_runs_and_matches(digits_build, tmp_path):
    import shutil

    copy = tmp_path / "hls"
    shutil.copytree(digits_build / "hls", copy)
    result = run_testbench(copy)
    assert result.samples == 200
    assert result.argmax_agreement >= 0.999
    from edgeaccel.sim.csim_backend import CsimBackend
    from edgeaccel.sim.testbench import equal_to_printed_digits

    inputs = np.loadtxt(copy / "hls4ml_prj" / "tb_data" / "tb_input_features.dat", ndmin=2)
    library = CsimBackend(copy).predict(inputs.reshape(-1, 8, 8, 1).astype(np.float32)).astype(np.float64)
    assert np.all(equal_to_printed_digits(result.outputs, library))


def test_sim_cli_csim_writes_predictions(digits_build, tmp_path):
    out = tmp_path / "pred.npy"
    summary = json.loads(run_cli("sim", digits_build / "hls", "--backend", "csim", "--data", digits_build / "test.npz",
                                 "--out", out, "--json", check=True).stdout)
    metrics = json.loads((digits_build / "metrics.json").read_text())
    assert np.load(out).shape == (360, 10)
    assert summary["accuracy"] == metrics["backends"]["hls"]["accuracy"]


def test_testbench_cli(digits_build, tmp_path):
    import shutil

    shutil.copytree(digits_build / "hls", tmp_path / "hls")
    summary = json.loads(run_cli("testbench", tmp_path / "hls", "--json", check=True).stdout)
    assert summary["argmax_agreement"] >= 0.999


def test_bitstream_without_vendor_tools_names_the_tool(digits_build):
    line = error_line(run_cli("bitstream", digits_build / "hls"))
    assert "expected 'vivado_hls' on PATH (Vivado HLS 2019.2 or 2020.1" in line and "received none" in line


def test_csim_on_a_tflite_artifact_is_refused(digits_build, tmp_path):
    line = error_line(run_cli("sim", digits_build / "tflite", "--backend", "csim", "--data", digits_build / "test.npz"))
    assert "expected an hls artifact, received a tflite artifact" in line


def test_a_reuse_factor_a_layer_cannot_take_becomes_the_closest_valid_one_on_the_cli(digits_build, tmp_path):
    result = run_cli("convert", digits_build / "model.h5", "--target", "hls", "--reuse-factor", "7", "-o", tmp_path / "o",
                     check=True)
    notes = read_artifact(tmp_path / "o").details.reuse_factor_notes
    assert notes and all("reuse factor 7 is not valid" in note and "the closest, as hls4ml does" in note for note in notes)
    assert all(note in result.stderr for note in notes)
    line = error_line(run_cli("convert", digits_build / "model.h5", "--target", "hls", "--reuse-factor", "0", "-o", tmp_path / "z"))
    assert line.endswith("--reuse-factor: expected greater than 0, received '0'"), line
    assert not (tmp_path / "z").exists()

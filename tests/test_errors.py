"""Each bad input gets one line on stderr naming what was expected and what was received."""

import numpy as np
import pytest

from conftest import error_line, run_cli, write_project


def test_missing_project_file(tmp_path):
    line = error_line(run_cli("run", tmp_path / "nope.yaml"))
    assert "expected an existing YAML file" in line and "nope.yaml" in line


def test_malformed_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ndata: {source: sklearn:digits\n")
    line = error_line(run_cli("train", path))
    assert "expected valid YAML" in line and "line 3" in line


def test_unknown_key_and_wrong_type_name_the_key_path(tmp_path):
    line = error_line(run_cli("train", write_project(tmp_path / "p.yaml", training={"epochz": 3})))
    assert "training.epochz: unknown key; expected one of batch_size" in line and "received 'epochz'" in line
    line = error_line(run_cli("train", write_project(tmp_path / "q.yaml", training={"epochs": "ten"})))
    assert "training.epochs: expected a valid integer, received 'ten'" in line


def test_nan_in_data(tmp_path):
    x = np.random.rand(50, 4).astype(np.float32)
    x[7, 2] = np.nan
    np.savez(tmp_path / "nan.npz", x=x, y=np.arange(50) % 2)
    line = error_line(run_cli("train", write_project(tmp_path / "p.yaml", data={"source": "nan.npz"})))
    assert "expected finite values, received 1 NaN and 0 Inf (first in sample 7)" in line


def test_inf_in_sim_data(digits_build, tmp_path):
    x = np.zeros((4, 8, 8, 1), np.float32)
    x[2, 0, 0, 0] = np.inf
    np.savez(tmp_path / "inf.npz", x=x)
    line = error_line(run_cli("sim", digits_build / "tflite", "--backend", "tflite", "--data", tmp_path / "inf.npz"))
    assert "received 0 NaN and 1 Inf" in line


@pytest.mark.parametrize("backend,artifact", [("tflite", "tflite"), ("keras", "model.h5")])
def test_data_shape_mismatch(digits_build, tmp_path, backend, artifact):
    np.savez(tmp_path / "flat.npz", x=np.zeros((5, 64), np.float32))
    line = error_line(run_cli("sim", digits_build / artifact, "--backend", backend, "--data", tmp_path / "flat.npz"))
    assert "expected samples of shape (8, 8, 1) (the model's input), received (64,)" in line


def test_corrupt_h5(tmp_path):
    bad = tmp_path / "model.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"garbage" * 100)
    line = error_line(run_cli("convert", bad, "--target", "tflite", "--calib", tmp_path / "c.npz", "-o", tmp_path / "out"))
    assert "expected a Keras-2 HDF5 model file" in line
    assert not (tmp_path / "out").exists()


def test_missing_model_and_unknown_target_and_board(tmp_path, digits_build):
    line = error_line(run_cli("convert", tmp_path / "none.h5", "--target", "tflite", "-o", tmp_path / "o"))
    assert "expected an existing Keras .h5 model file" in line
    line = error_line(run_cli("convert", digits_build / "model.h5", "--target", "nosuch", "-o", tmp_path / "o"))
    assert "--target: expected one of tflite" in line and "received 'nosuch'" in line
    line = error_line(run_cli("convert", digits_build / "model.h5", "--target", "tflite", "--board", "pynq-z9", "-o", tmp_path / "o"))
    assert "unknown board: expected one of" in line and "received 'pynq-z9'" in line


def test_int8_without_calibration_data(tmp_path, digits_build):
    import shutil

    shutil.copy(digits_build / "model.h5", tmp_path / "model.h5")
    line = error_line(run_cli("convert", tmp_path / "model.h5", "--target", "tflite", "-o", tmp_path / "o"))
    assert "expected --calib DATA.npz" in line and "received none" in line


def test_a_failed_run_leaves_the_previous_build_intact(tmp_path):
    previous = tmp_path / "build"
    previous.mkdir()
    (previous / "model.h5").write_text("the previous build")
    x = np.random.rand(40, 4).astype(np.float32)
    np.savez(tmp_path / "labels.npz", x=x, y=np.full(40, -1))
    error_line(run_cli("run", write_project(tmp_path / "p.yaml", data={"source": "labels.npz"}), "--out", previous))
    assert (previous / "model.h5").read_text() == "the previous build"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "labels.npz", "p.yaml"]


def test_debug_shows_the_traceback(tmp_path):
    result = run_cli("--debug", "run", tmp_path / "nope.yaml")
    assert result.returncode != 0 and "Traceback" in result.stderr

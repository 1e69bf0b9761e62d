"""Deploys of the digits build to the loopback boards (with and without SFTP): TFLite and csim
validation runs, releases and rollback, a failing runner, a disagreeing board, hostile names and
hostile artifacts, golden inputs made without test data."""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import error_line, run_cli
from deploy.loopback import assert_current_release_sound, either_loopback_board, loopback_board_without_sftp  # noqa: F401
from edgeaccel.artifact import read_artifact, write_manifest
from edgeaccel.deploy import deploy
from edgeaccel.errors import ValidationMismatch


def _releases(workdir: Path) -> list[str]:
    return sorted(p.name for p in (workdir / "releases").iterdir())


def _current(workdir: Path) -> str:
    return Path(os.readlink(workdir / "current")).name


def test_tflite_deploy_runs_validates_and_switches_current(digits_build, either_loopback_board, tmp_path):
    board = either_loopback_board
    workdir = tmp_path / "board"
    result = run_cli("deploy", digits_build / "tflite", *board.options(workdir), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["transfer"] == board.transfer and summary["golden"] == str(digits_build / "test.npz")
    validation = summary["validation"]
    assert validation["passed"] and validation["samples"] == 360 and validation["argmax_agreement"] == 1.0
    assert validation["tolerance"] == "argmax agreement >= 0.999"
    assert summary["runtime"].startswith("ai_edge_litert ") and summary["bundle"] == "tflite"
    timing = summary["timing"]
    assert timing["samples"] == 360 and 0 < timing["p50_ms"] <= timing["p99_ms"] and timing["throughput_per_s"] > 0
    assert _current(workdir) == summary["release"] and _releases(workdir) == [summary["release"]]
    release = workdir / "current"
    assert (release / "model" / "model.tflite").read_bytes() == (digits_build / "tflite" / "model.tflite").read_bytes()
    on_board = json.loads((release / "results.json").read_text())
    assert on_board["timing"] == timing and len(on_board["outputs"]) == 360
    assert os.readlink(workdir / "current") == f"releases/{summary['release']}"
    assert assert_current_release_sound(board, workdir) == summary["release"]


def test_csim_bundle_is_compiled_on_the_board_and_bit_exact(digits_build, loopback_board, tmp_path):
    workdir = tmp_path / "board"
    result = run_cli("deploy", digits_build / "hls", *loopback_board.options(workdir), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["bundle"] == "csim" and summary["runtime"].startswith("g++")
    assert summary["validation"]["exact_fraction"] == 1.0 and summary["validation"]["tolerance"] == "bit-exact outputs"
    release = workdir / "current"
    assert (release / "build" / "csim_runner").is_file()
    outputs = np.asarray(json.loads((release / "results.json").read_text())["outputs"])
    labels = np.load(digits_build / "test.npz")["y"]
    assert outputs.shape == (360, 10) and np.mean(outputs.argmax(axis=1) == labels) > 0.95


def test_second_deploy_then_rollback_and_keep(digits_build, either_loopback_board, tmp_path):
    board = either_loopback_board
    workdir = tmp_path / "board"
    artifact = digits_build / "tflite"
    first = deploy(board.request(artifact, workdir, keep=2))
    second = deploy(board.request(artifact, workdir, keep=2))
    assert second.previous == first.release and _current(workdir) == second.release
    third = deploy(board.request(artifact, workdir, keep=2))
    assert third.removed == (first.release,) and _releases(workdir) == [second.release, third.release]

    back = deploy(board.request(None, workdir, rollback=True))
    assert (back.release, back.previous) == (second.release, third.release) and _current(workdir) == second.release
    assert assert_current_release_sound(board, workdir) == second.release
    result = run_cli("deploy", *board.options(workdir), "--rollback", "--quiet")
    assert f"expected a release older than {second.release}" in error_line(result) and result.returncode == 4
    assert _current(workdir) == second.release


def _fake_edgetpu_artifact(digits_build: Path, directory: Path) -> Path:
    """The int8 model as an uncompiled edgetpu artifact, the form `convert --target edgetpu` writes
    without edgetpu_compiler."""
    shutil.copytree(digits_build / "tflite", directory)
    (directory / "artifact.json").unlink()
    details = read_artifact(digits_build / "tflite").details.to_dict() | {"io_type": "int8", "compiler": {"available": False}}
    details.pop("float32_reference")
    write_manifest(directory, "edgetpu", "coral-devboard", details)
    shutil.copy(digits_build / "test.npz", directory.parent / "test.npz")
    return directory


def test_remote_runner_failure_surfaces_its_stderr_and_keeps_current(digits_build, loopback_board, tmp_path):
    workdir = tmp_path / "board"
    before = deploy(loopback_board.request(digits_build / "tflite", workdir))
    assert assert_current_release_sound(loopback_board, workdir) == before.release
    edgetpu = _fake_edgetpu_artifact(digits_build, tmp_path / "edgetpu")
    options = loopback_board.options(workdir)
    options[options.index("--board") + 1] = "coral-devboard"
    result = run_cli("deploy", edgetpu, *options, "--quiet")
    warning, line = result.stderr.strip().splitlines()
    assert "holds no compiled Edge TPU model" in warning and "Traceback" not in result.stderr
    assert result.returncode == 4
    assert "tflite_runner.py" in line and "expected exit status 0, received 1" in line
    assert "expected the delegate libedgetpu.so.1 to load" in line
    assert _current(workdir) == before.release
    assert any(name.endswith(".rejected") for name in _releases(workdir))

    missing = run_cli("deploy", digits_build / "tflite", *loopback_board.options(workdir), "--remote-python",
                      "/nonexistent/python3", "--quiet")
    assert "expected /nonexistent/python3 -S edgeaccel_board.py serve to keep running, received exit status 127" in error_line(missing)
    assert missing.returncode == 4
    assert assert_current_release_sound(loopback_board, workdir) == before.release


def test_disagreeing_board_exits_1_and_keeps_current(digits_build, loopback_board, tmp_path, monkeypatch):
    from edgeaccel.deploy import kinds

    workdir = tmp_path / "board"
    before = deploy(loopback_board.request(digits_build / "tflite", workdir))
    assert assert_current_release_sound(loopback_board, workdir) == before.release
    golden = kinds.tflite_golden

    def wrong_reference(*args):
        right = golden(*args)
        return right.__class__(right.inputs, np.roll(right.reference, 1, axis=1), right.reference_name)

    monkeypatch.setattr(kinds, "tflite_golden", wrong_reference)
    with pytest.raises(ValidationMismatch) as mismatch:
        deploy(loopback_board.request(digits_build / "tflite", workdir))
    message = str(mismatch.value)
    assert mismatch.value.exit_code == 1
    assert "expected argmax agreement >= 0.999, received 0 of 360 samples equal" in message
    assert "first difference at sample 0 output " in message and f"current still points to {before.release}" in message
    assert assert_current_release_sound(loopback_board, workdir) == before.release


HOSTILE_DIR = "board dir; rm -rf {victim} $(touch {pwned}) `touch {pwned}` 'q\"x"
HOSTILE_FILE = "model; rm -rf ~ $(touch PWNED) 'it''s' \"q\" `touch PWNED`.tflite"


def test_hostile_workdir_and_file_names_are_only_names(digits_build, either_loopback_board, tmp_path):
    loopback_board = either_loopback_board
    victim, pwned = tmp_path / "victim", tmp_path / "pwned"
    victim.mkdir()
    (victim / "keep").write_text("still here")
    artifact = tmp_path / "artifact"
    shutil.copytree(digits_build / "tflite", artifact)
    (artifact / "model.tflite").rename(artifact / HOSTILE_FILE)
    (artifact / "artifact.json").unlink()
    write_manifest(artifact, "tflite", None, read_artifact(digits_build / "tflite").details.to_dict() | {"model_file": HOSTILE_FILE})
    shutil.copy(digits_build / "test.npz", tmp_path / "test.npz")
    workdir = f"{tmp_path}/x y/../{HOSTILE_DIR.format(victim=victim, pwned=pwned)}/-edge"
    result = run_cli("deploy", artifact, *loopback_board.options(workdir), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["validation"]["passed"]
    landed = Path(os.path.normpath(workdir))
    assert (landed / "current" / "model" / HOSTILE_FILE).read_bytes() == (artifact / HOSTILE_FILE).read_bytes()
    assert (victim / "keep").read_text() == "still here" and not (tmp_path / "x y").exists()
    assert not pwned.exists() and not (Path.home() / "PWNED").exists() and not list(tmp_path.rglob("PWNED"))


def test_manifest_paths_outside_the_artifact_are_refused(digits_build, loopback_board, tmp_path):
    artifact = tmp_path / "artifact"
    shutil.copytree(digits_build / "tflite", artifact)
    (artifact / "artifact.json").unlink()
    write_manifest(artifact, "tflite", None, read_artifact(digits_build / "tflite").details.to_dict() | {"model_file": "../test.npz"})
    result = run_cli("deploy", artifact, *loopback_board.options(tmp_path / "board"), "--data", digits_build / "test.npz",
                     "--quiet")
    assert "expected file names inside the artifact, received '../test.npz'" in error_line(result)
    assert result.returncode == 2 and not (tmp_path / "board").exists()


def _copy_artifact(source: Path, directory: Path, **details) -> Path:
    shutil.copytree(source, directory, symlinks=True)
    artifact = read_artifact(source)
    (directory / "artifact.json").unlink()
    write_manifest(directory, artifact.target, artifact.board, artifact.details.to_dict() | details)
    return directory


def test_symlinks_named_in_the_manifest_are_refused(digits_build, loopback_board, tmp_path):
    """A crafted artifact.json may record the sha256 of what a symlink points to (here a secret beside
    the artifact): deploy must still refuse to follow it, whether it points out or in."""
    secret = tmp_path / "secret.tflite"
    secret.write_bytes(b"root:x:0:0:secret\n")
    outward = tmp_path / "outward" / "tflite"
    shutil.copytree(digits_build / "tflite", outward)
    (outward / "model.tflite").unlink()
    (outward / "model.tflite").symlink_to(secret)
    (outward / "artifact.json").unlink()
    write_manifest(outward, "tflite", None, read_artifact(digits_build / "tflite").details)
    assert read_artifact(outward).files["model.tflite"]["bytes"] == secret.stat().st_size
    workdir = tmp_path / "board"
    result = run_cli("deploy", outward, *loopback_board.options(workdir), "--data", digits_build / "test.npz", "--quiet")
    assert f"{outward / 'model.tflite'}: expected a regular file inside the artifact, received a symlink" in error_line(result)
    assert f"-> {secret}" in error_line(result) and result.returncode == 2 and not workdir.exists()

    inward = tmp_path / "inward" / "tflite"
    shutil.copytree(digits_build / "tflite", inward)
    (inward / "model.tflite").rename(inward / "real.tflite")
    (inward / "model.tflite").symlink_to("real.tflite")
    (inward / "artifact.json").unlink()
    write_manifest(inward, "tflite", None, read_artifact(digits_build / "tflite").details)
    result = run_cli("deploy", inward, *loopback_board.options(workdir), "--data", digits_build / "test.npz", "--quiet")
    assert "received a symlink" in error_line(result) and result.returncode == 2 and not workdir.exists()


def test_a_symlinked_directory_in_an_hls_project_is_refused(digits_build, tmp_path):
    from edgeaccel.boards import load_board
    from edgeaccel.deploy.bundle import build_bundle
    from edgeaccel.deploy.kinds import KINDS
    from edgeaccel.errors import ModelError

    hls = tmp_path / "hls"
    shutil.copytree(digits_build / "hls", hls)
    weights = hls / "hls4ml_prj" / "firmware" / "weights"
    shutil.move(weights, tmp_path / "elsewhere")
    weights.symlink_to(tmp_path / "elsewhere")
    x = np.load(digits_build / "test.npz")["x"][:2]
    with pytest.raises(ModelError, match=r"firmware/weights/\S+: expected a regular file inside the artifact, received a symlink"):
        build_bundle(read_artifact(hls), load_board("linux-generic"), KINDS["csim"], x, tmp_path / "bundle")


def test_without_test_data_golden_inputs_are_drawn_on_the_input_grid_and_said(digits_build, loopback_board, tmp_path):
    alone = _copy_artifact(digits_build / "tflite", tmp_path / "alone" / "tflite")
    workdir = tmp_path / "board"
    result = run_cli("deploy", alone, *loopback_board.options(workdir), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    said = ("256 samples generated with seed 0, uniform on the unsigned 8-bit input grid, [0, 0.996094] in steps of "
            "0.00390625")
    assert summary["golden"] == said and said in result.stderr and "without labels" in result.stderr
    assert summary["validation"]["passed"] and summary["validation"]["samples"] == 256
    inputs = np.load(workdir / "current" / "golden" / "inputs.npy")
    assert inputs.dtype == np.int8 and inputs.shape == (256, 8, 8, 1) and len(np.unique(inputs)) > 200

    shutil.copy(digits_build / "calib.npz", tmp_path / "alone" / "calib.npz")
    drawn = run_cli("deploy", alone, *loopback_board.options(workdir), "--samples", "40", "--json")
    assert drawn.returncode == 0, drawn.stderr
    summary = json.loads(drawn.stdout)
    assert summary["golden"] == f"40 samples of {tmp_path / 'alone' / 'calib.npz'} drawn with seed 0"
    assert summary["validation"]["passed"] and summary["validation"]["samples"] == 40


def test_generated_inputs_are_seeded_codes_of_the_grid_or_refused(digits_build):
    from edgeaccel.deploy.golden import generated_inputs
    from edgeaccel.errors import DataError

    hls = read_artifact(digits_build / "hls")
    x, _ = generated_inputs(hls, 500)
    codes = x / 2.0 ** -8
    assert x.shape == (500, 64) and np.array_equal(codes, np.round(codes)) and codes.min() == 0 and codes.max() == 255
    assert np.array_equal(generated_inputs(hls, 500)[0], x) and not np.array_equal(generated_inputs(hls, 500, seed=1)[0], x)

    tflite = read_artifact(digits_build / "tflite")
    no_grid = tflite.__class__(tflite.directory, "tflite", None, tflite.files, tflite.details.to_dict() | {"input_grid": None})
    x, said = generated_inputs(no_grid, 100)
    assert "int8 input tensor (scale 0.00390625, zero point -128)" in said
    assert x.shape == (100, 8, 8, 1) and np.array_equal(x / 2.0 ** -8 - 128, np.round(x / 2.0 ** -8 - 128))
    float_input = [{"name": "x", "shape": [-1, 8, 8, 1], "dtype": "float32", "scale": 0.0, "zero_point": 0}]
    floating = tflite.__class__(tflite.directory, "tflite", None, tflite.files, no_grid.details | {"inputs": float_input})
    with pytest.raises(DataError, match="the tflite model's input is float32 with no quantizer"):
        generated_inputs(floating, 10)

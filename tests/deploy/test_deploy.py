"""Deploys of the digits build to the loopback board: TFLite and csim validation runs, releases and
rollback, an upload cut mid-way, a failing runner, a disagreeing board, hostile names."""

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import paramiko
import pytest

from conftest import error_line, run_cli
from edgeaccel.artifact import read_artifact, write_manifest
from edgeaccel.deploy import deploy
from edgeaccel.deploy.transport import connect
from edgeaccel.errors import DeployError, ValidationMismatch


def _releases(workdir: Path) -> list[str]:
    return sorted(p.name for p in (workdir / "releases").iterdir())


def _current(workdir: Path) -> str:
    return Path(os.readlink(workdir / "current")).name


def test_tflite_deploy_runs_validates_and_switches_current(digits_build, loopback_board, tmp_path):
    workdir = tmp_path / "board"
    result = run_cli("deploy", digits_build / "tflite", *loopback_board.options(workdir), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
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


def test_second_deploy_then_rollback_and_keep(digits_build, loopback_board, tmp_path):
    workdir = tmp_path / "board"
    artifact = digits_build / "tflite"
    first = deploy(loopback_board.request(artifact, workdir, keep=2))
    second = deploy(loopback_board.request(artifact, workdir, keep=2))
    assert second.previous == first.release and _current(workdir) == second.release
    third = deploy(loopback_board.request(artifact, workdir, keep=2))
    assert third.removed == (first.release,) and _releases(workdir) == [second.release, third.release]

    back = deploy(loopback_board.request(None, workdir, rollback=True))
    assert (back.release, back.previous) == (second.release, third.release) and _current(workdir) == second.release
    result = run_cli("deploy", *loopback_board.options(workdir), "--rollback", "--quiet")
    assert f"expected a release older than {second.release}" in error_line(result) and result.returncode == 4
    assert _current(workdir) == second.release


def test_connection_dropped_mid_upload_leaves_current_running(digits_build, loopback_board, tmp_path, monkeypatch):
    workdir = tmp_path / "board"
    before = deploy(loopback_board.request(digits_build / "tflite", workdir))
    put = paramiko.SFTPClient.put
    uploads = []

    def put_then_drop(self, localpath, remotepath, callback=None, confirm=True):
        uploads.append(remotepath)

        def progress(done, total):
            if callback:
                callback(done, total)
            if len(uploads) == 30:
                self.get_channel().get_transport().close()

        return put(self, localpath, remotepath, callback=progress, confirm=confirm)

    monkeypatch.setattr(paramiko.SFTPClient, "put", put_then_drop)
    with pytest.raises(DeployError, match="expected the connection to stay up") as dropped:
        deploy(loopback_board.request(digits_build / "hls", workdir))
    monkeypatch.undo()
    assert len(uploads) == 30 and f"(connection lost); current still points to {before.release}" in str(dropped.value)
    assert _current(workdir) == before.release
    partial = [name for name in _releases(workdir) if name.endswith(".partial")]
    assert len(partial) == 1 and 0 < len(list((workdir / "releases" / partial[0]).rglob("*"))) < 97

    with connect(loopback_board.destination(workdir)) as session:
        still = session.check([sys.executable, "tflite_runner.py", "--out", "after-drop.json"], "runner",
                              cwd=str(workdir / "current"))
    assert still.status == 0 and len(json.loads((workdir / "current" / "after-drop.json").read_text())["outputs"]) == 360


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
    assert "expected exit status 0, received 127" in error_line(missing) and "/nonexistent/python3" in error_line(missing)
    assert _current(workdir) == before.release


def test_disagreeing_board_exits_1_and_keeps_current(digits_build, loopback_board, tmp_path, monkeypatch):
    from edgeaccel.deploy import bundle as bundles

    workdir = tmp_path / "board"
    before = deploy(loopback_board.request(digits_build / "tflite", workdir))
    golden = bundles.tflite_golden

    def wrong_reference(*args):
        right = golden(*args)
        return right.__class__(right.inputs, np.roll(right.reference, 1, axis=1), right.reference_name)

    monkeypatch.setattr(bundles, "tflite_golden", wrong_reference)
    with pytest.raises(ValidationMismatch) as mismatch:
        deploy(loopback_board.request(digits_build / "tflite", workdir))
    message = str(mismatch.value)
    assert mismatch.value.exit_code == 1
    assert "expected argmax agreement >= 0.999, received 0 of 360 samples equal" in message
    assert "first difference at sample 0 output " in message and f"current still points to {before.release}" in message
    assert _current(workdir) == before.release


HOSTILE_DIR = "board dir; rm -rf {victim} $(touch {pwned}) `touch {pwned}` 'q\"x"
HOSTILE_FILE = "model; rm -rf ~ $(touch PWNED) 'it''s' \"q\" `touch PWNED`.tflite"


def test_hostile_workdir_and_file_names_are_only_names(digits_build, loopback_board, tmp_path):
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

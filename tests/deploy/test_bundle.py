"""Bundles without a board: what each kind holds, which artifact/board pairs are refused, the PYNQ
runner against a stand-in `pynq` module, standalone runners, and the make front door."""

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, error_line, run_cli
from edgeaccel.artifact import read_artifact, write_manifest
from edgeaccel.boards import load_board
from edgeaccel.deploy.bundle import RUNNERS, build_bundle
from edgeaccel.deploy.kinds import KINDS, choose_kind, resolve_artifact
from edgeaccel.errors import ConfigError, UnsupportedError

FAKE_PYNQ = '''
"""A stand-in for the pynq package: one AXI DMA whose receive channel returns the sum of each sample."""
import numpy as np

__version__ = "stand-in"


class _Channel:
    idle = True

    def __init__(self, dma):
        self.dma = dma

    def transfer(self, buffer, nbytes):
        if self is self.dma.recvchannel:
            self.dma.out = buffer
        else:
            rows = nbytes // (4 * buffer.shape[1])
            self.dma.out[:rows] = buffer[:rows].sum(axis=1, keepdims=True)


class _Dma:
    def __init__(self):
        self.sendchannel, self.recvchannel = _Channel(self), _Channel(self)


class _Hier:
    axi_dma_0 = None


class Overlay:
    def __init__(self, bitfile):
        assert bitfile.endswith(".bit")
        self.hier_0 = _Hier()
        self.hier_0.axi_dma_0 = _Dma()


def allocate(shape, dtype):
    return np.zeros(shape, dtype=dtype)
'''


def _fake_bitstream(directory: Path) -> Path:
    directory.mkdir(parents=True)
    (directory / "design_1_wrapper.bit").write_bytes(b"\x00\x09\x0f\xf0 not a real bitstream")
    (directory / "design_1.hwh").write_text("<MODULES/>")
    return directory / "design_1_wrapper.bit"


def test_pynq_bundle_without_a_bitstream_says_how_to_get_one(digits_build):
    line = error_line(run_cli("deploy", digits_build / "hls", "--board", "pynq-z2", "--host", "127.0.0.1", "--quiet"))
    assert "expected a bitstream (.bit with its .hwh)" in line
    assert "make board=pynq-z2 bitstream" in line and "--bitstream FILE.bit" in line and "BITSTREAM=" in line


def test_pynq_bundle_holds_bitstream_driver_runner_and_csim_reference(digits_build, tmp_path):
    from edgeaccel.sim.csim_backend import CsimBackend

    artifact = read_artifact(digits_build / "hls")
    board = load_board("pynq")
    assert choose_kind(artifact, board) is KINDS["pynq"]
    x = np.load(digits_build / "test.npz")["x"][:20]
    bit = _fake_bitstream(tmp_path / "vivado")
    bundle = build_bundle(artifact, board, KINDS["pynq"], x, tmp_path / "bundle", bitstream=bit)
    assert {"overlay/design_1_wrapper.bit", "overlay/design_1_wrapper.hwh", "edgeaccel_overlay.py", "pynq_runner.py",
            "edgeaccel_results.py", "golden/inputs.npy", "golden/reference.npy", "bundle.json"} == set(bundle.files)
    manifest = json.loads((bundle.directory / "bundle.json").read_text())
    assert manifest["runner_args"] | {"n_in": 64, "n_out": 10} == manifest["runner_args"]
    assert manifest["tolerance"] == {"rule": "bit-exact", "min_argmax_agreement": 1.0}
    np.testing.assert_array_equal(bundle.reference, CsimBackend(digits_build / "hls").predict(x))

    stand_in = tmp_path / "site"
    stand_in.mkdir()
    (stand_in / "pynq.py").write_text(FAKE_PYNQ)
    run = subprocess.run([sys.executable, "pynq_runner.py", "--out", "results.json"], cwd=bundle.directory,
                         capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(stand_in)})
    assert run.returncode == 0, run.stderr
    results = json.loads((bundle.directory / "results.json").read_text())
    inputs = np.load(bundle.directory / "golden" / "inputs.npy").reshape(20, 64)
    np.testing.assert_allclose(np.asarray(results["outputs"])[:, 0], inputs.sum(axis=1), rtol=1e-6)
    assert results["runtime"] == "pynq stand-in" and results["timing"]["samples"] == 20


def test_edgetpu_bundle_ships_the_compiled_model_and_the_cpu_reference(digits_build, tmp_path):
    directory = tmp_path / "edgetpu"
    shutil.copytree(digits_build / "tflite", directory)
    (directory / "artifact.json").unlink()
    shutil.copy(directory / "model.tflite", directory / "model_edgetpu.tflite")
    details = read_artifact(digits_build / "tflite").details.to_dict() | {
        "io_type": "int8", "compiler": {"available": True, "model_file": "model_edgetpu.tflite"}}
    details.pop("float32_reference")
    artifact = write_manifest(directory, "edgetpu", "coral-devboard", details)
    board = load_board("coral")
    x = np.load(digits_build / "test.npz")["x"][:10]
    bundle = build_bundle(artifact, board, choose_kind(artifact, board), x, tmp_path / "bundle")
    manifest = json.loads((bundle.directory / "bundle.json").read_text())
    assert manifest["runner_args"] == {"model": "model/model_edgetpu.tflite", "delegate": "libedgetpu.so.1"}
    assert manifest["runner"] == "tflite_runner.py" and manifest["tolerance"]["rule"] == "argmax"
    assert bundle.reference.dtype == np.int8 and bundle.reference.shape == (10, 10)
    assert np.load(bundle.directory / "golden" / "inputs.npy").dtype == np.int8


@pytest.mark.parametrize("target, board, expected", [
    ("tflite", "pynq-z2", "expected a board with a TFLite runtime"),
    ("hls", "rpi4", "expected a board with g++"),
    ("hls", "zcu102", "expected an hls artifact converted for zcu102"),
    ("hls", "nano33ble", "expected a board with g++"),
])
def test_artifact_and_board_that_do_not_go_together_are_refused(digits_build, target, board, expected, tmp_path):
    artifact, loaded = read_artifact(digits_build / target), load_board(board)
    x = np.load(digits_build / "test.npz")["x"][:2]
    with pytest.raises(ConfigError, match=expected):
        build_bundle(artifact, loaded, choose_kind(artifact, loaded), x, tmp_path / "bundle")


def test_mcu_boards_and_tflm_artifacts_are_not_deployed_over_ssh(digits_build, tmp_path):
    line = error_line(run_cli("deploy", digits_build / "tflite", "--board", "nano33ble", "--host", "h", "--quiet"))
    assert "expected a board reached over SSH" in line and "nano33ble" in line
    tflm = read_artifact(digits_build / "tflite").__class__(tmp_path, "tflm", "nano33ble", {}, {})
    with pytest.raises(UnsupportedError, match="TFLite Micro builds are flashed"):
        choose_kind(tflm, load_board("linux-generic"))


def test_build_directory_resolves_to_the_artifact_for_the_board(digits_build):
    assert resolve_artifact(digits_build, load_board("rpi4"), "rpi4") == digits_build / "tflite"
    assert resolve_artifact(digits_build, load_board("pynq"), "pynq") == digits_build / "hls"
    assert resolve_artifact(digits_build / "hls", load_board("linux-generic"), "linux") == digits_build / "hls"


def test_runners_never_import_edgeaccel_and_parse_as_python_38():
    runners = sorted(RUNNERS.glob("*.py"))
    assert {p.name for p in runners} >= {"tflite_runner.py", "pynq_runner.py", "csim_runner.py", "edgeaccel_results.py"}
    for path in runners:
        tree = ast.parse(path.read_text(), feature_version=(3, 8))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not {name for name in imported if name == "edgeaccel" or name.startswith("edgeaccel.")}, path.name


def test_make_deploy_passes_only_what_was_given_quoted():
    def dry_run(*args):
        # A fresh make, not a sub-make of `make test`: its MAKEFLAGS/MAKELEVEL would add directory lines.
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
        return subprocess.run(["make", "--no-print-directory", "-n", *args], cwd=REPO, capture_output=True, text=True,
                              check=True, env=env | {"USER": "from-the-environment"}).stdout.splitlines()[-1]

    line = dry_run("board=linux-generic", "deploy", "HOST=127.0.0.1", "USER=root", "KEY=~/my key's")
    assert line.split()[:2] == [".venv/bin/edgeaccel", "deploy"]
    assert "--board 'linux-generic' --host '127.0.0.1' --user 'root' --key '~/my key'\\''s'" in line
    assert "--user" not in dry_run("board=rpi4", "deploy", "HOST=pi4.local")
    assert "--rollback --board 'rpi4' --host 'pi4.local'" in dry_run("board=rpi4", "rollback", "HOST=pi4.local")


def test_every_deployable_target_names_a_bundle_kind_that_takes_it():
    """The target registry's bundle_kind (above deploy in the layering) and deploy's KINDS table agree."""
    from edgeaccel.targets import targets

    deployable = {name: record.bundle_kind for name, record in targets().items() if record.bundle_kind}
    assert deployable == {"tflite": "tflite", "edgetpu": "edgetpu", "hls": "csim"}
    for name, kind in deployable.items():
        assert name in KINDS[kind].targets
    assert {target for kind in KINDS.values() for target in kind.targets} == set(deployable)


@pytest.mark.parametrize("python, expected", [
    ("python3", ["python3"]),
    ("sudo -n /usr/local/share/pynq-venv/bin/python3", ["/usr/local/share/pynq-venv/bin/python3"]),
    ("/usr/bin/sudo -n -u root -- python3 -X utf8", ["python3", "-X", "utf8"]),
    ("sudo", ["sudo"]),
])
def test_board_operations_run_as_the_login_user(python, expected):
    import shlex

    from edgeaccel.deploy.agent import board_command

    command = board_command(shlex.split(python), "unpack", "w")
    assert command[:len(expected)] == expected and command[len(expected):len(expected) + 2] == ["-S", "-c"]
    assert command[-2:] == ["unpack", "w"]


def test_the_board_unpacks_regular_files_only_and_nothing_outside(tmp_path):
    import io
    import tarfile

    def stream(*members):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for info, data in members:
                archive.addfile(info, io.BytesIO(data) if data is not None else None)
        return buffer.getvalue()

    def unpack(data):
        (tmp_path / "release").mkdir(exist_ok=True)
        return subprocess.run([sys.executable, "-S", str(RUNNERS / "edgeaccel_board.py"), "unpack", str(tmp_path / "release")],
                              input=data, capture_output=True)

    good = tarfile.TarInfo("golden/inputs.npy")
    good.size = 3
    done = unpack(stream((good, b"abc")))
    assert done.returncode == 0 and json.loads(done.stdout) == {"files": 1}
    assert (tmp_path / "release" / "golden" / "inputs.npy").read_bytes() == b"abc"

    climbing = tarfile.TarInfo("../outside")
    climbing.size = 1
    link = tarfile.TarInfo("model.tflite")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    for member in ((climbing, b"x"), (link, None)):
        refused = unpack(stream(member))
        assert refused.returncode == 1 and b"expected regular files inside the release" in refused.stderr
    assert not (tmp_path / "outside").exists() and not (tmp_path / "release" / "model.tflite").exists()

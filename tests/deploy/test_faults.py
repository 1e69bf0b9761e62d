"""Faulty deploys against the loopback boards (with and without SFTP): the TCP connection cut at
byte offsets through the upload (a loopback proxy), a full disk (a small tmpfs), a rollback onto a
release changed after its deploy, and concurrent deploys to one workdir. Before and after each,
`current` points at a release whose sha256 manifest verifies and whose runner still runs (the run
is checked once where `current` cannot have changed in between: its files are checked each time).
"""

import hashlib
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import error_line, run_cli
from deploy.loopback import assert_current_release_sound, current_release, either_loopback_board, loopback_board_without_sftp  # noqa: F401
from deploy.proxy import CuttingProxy
from edgeaccel.deploy import deploy
from edgeaccel.deploy.release import RELEASE_ID, Releases
from edgeaccel.errors import DeployError

CUTS = [0.02, 0.3, 0.6, 0.9]  # where in the upload's client-to-server bytes the connection is cut


def _leftovers(workdir: Path) -> list[str]:
    return sorted(p.name for p in (workdir / "releases").iterdir() if not RELEASE_ID.match(p.name))


def test_connection_cut_during_the_upload_leaves_current_sound(digits_build, either_loopback_board, tmp_path,
                                                              monkeypatch):
    """The first deploy goes through the proxy uncut, to measure where its upload starts and ends in the
    bytes the client sends; later ones are cut at fractions of that span."""
    board, artifact, workdir = either_loopback_board, digits_build / "tflite", tmp_path / "board"
    upload, span = Releases.upload, []

    def measured(self, *args, **kwargs):
        start = proxy.sent
        partial = upload(self, *args, **kwargs)
        span.extend([start, proxy.sent])
        return partial

    with CuttingProxy(board.port) as proxy:
        with monkeypatch.context() as patch:
            patch.setattr(Releases, "upload", measured)
            before = deploy(board.through(proxy.port, artifact, workdir)).release
        start, end = span
        assert end - start > 47_888 and end - start > 0.5 * proxy.sent, "the upload is most of what the client sends"
        assert assert_current_release_sound(board, workdir) == before
        for cuts, fraction in enumerate(CUTS, 1):
            proxy.cut_at = start + int(fraction * (end - start))
            with pytest.raises(DeployError) as cut:
                deploy(board.through(proxy.port, artifact, workdir, connect_timeout_s=5))
            assert proxy.cuts == cuts and proxy.sent == proxy.cut_at
            message = str(cut.value)
            assert "(connection lost)" in message and f"current still points to {before}" in message, message
            assert cut.value.exit_code == 4 and len(_leftovers(workdir)) == 1
            assert assert_current_release_sound(board, workdir, run=False) == before
    assert assert_current_release_sound(board, workdir) == before

    after = deploy(board.request(artifact, workdir))
    assert after.previous == before and _leftovers(workdir) == []
    assert assert_current_release_sound(board, workdir) == after.release


def test_rollback_onto_a_release_changed_after_its_deploy_is_refused(digits_build, loopback_board, tmp_path):
    """On the SFTP board; test_second_deploy_then_rollback_and_keep rolls back (and so checks a release)
    on the board without SFTP too."""
    board, workdir = loopback_board, tmp_path / "board"
    first = deploy(board.request(digits_build / "tflite", workdir)).release
    second = deploy(board.request(digits_build / "tflite", workdir)).release
    release = workdir / "releases" / first
    model, manifest, reference = release / "model" / "model.tflite", release / "bundle.json", release / "golden" / "reference.npy"
    originals = {path: path.read_bytes() for path in (model, manifest, reference)}

    model.write_bytes(originals[model][:-1] + bytes([originals[model][-1] ^ 1]))
    result = run_cli("deploy", "--rollback", *board.options(workdir), "--quiet")
    line = error_line(result)
    assert result.returncode == 4 and f"rollback to releases/{first} refused" in line
    assert f"{first}/model/model.tflite: expected sha256 " in line and f"current still points to {second}" in line
    assert assert_current_release_sound(board, workdir) == second

    recorded = json.loads(originals[manifest])
    recorded["files"]["model/model.tflite"] = hashlib.sha256(model.read_bytes()).hexdigest()
    manifest.write_text(json.dumps(recorded, indent=2) + "\n")
    with pytest.raises(DeployError, match="bundle.json: expected the manifest the release id .* it changed after the deploy; "
                                          f"current still points to {second}"):
        deploy(board.request(None, workdir, rollback=True))
    assert assert_current_release_sound(board, workdir, run=False) == second

    model.write_bytes(originals[model])
    manifest.write_bytes(originals[manifest])
    reference.unlink()
    with pytest.raises(DeployError, match=r"golden/reference.npy: expected sha256 \w+, received unreadable \(No such file"):
        deploy(board.request(None, workdir, rollback=True))
    assert assert_current_release_sound(board, workdir, run=False) == second

    reference.write_bytes(originals[reference])
    back = deploy(board.request(None, workdir, rollback=True))
    assert (back.release, back.previous) == (first, second)
    assert assert_current_release_sound(board, workdir) == first


@pytest.fixture
def small_disk(tmp_path):
    """A 320 KiB tmpfs: a workdir on it fills up (root only; elsewhere the test is skipped)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=320k,mode=0755", "tmpfs", str(mount)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def _df_available(path: Path) -> int:
    line = subprocess.run(["df", "-Pk", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[-1]
    return int(line.split()[3]) * 1024


def test_a_full_disk_is_refused_before_the_upload_and_cleaned_after_a_failed_one(
        digits_build, either_loopback_board, small_disk, tmp_path, monkeypatch):
    board, workdir = either_loopback_board, small_disk / "board"
    big = tmp_path / "big.npz"
    x = np.load(digits_build / "test.npz")["x"]
    np.savez(big, x=np.tile(x, (12, 1, 1, 1)))  # 4320 samples: 276 KiB of int8 inputs, more than the disk has
    before = deploy(board.request(digits_build / "tflite", workdir, samples=20)).release
    free = _df_available(small_disk)

    refused = run_cli("deploy", digits_build / "tflite", *board.options(workdir), "--data", big, "--quiet")
    line = error_line(refused)
    assert refused.returncode == 4 and f"remote disk full: need " in line and f" bytes, have {free} in {workdir}" in line
    need = int(line.split("need ")[1].split(" bytes")[0])
    assert need > free and f"current still points to {before}" in line
    assert _leftovers(workdir) == [] and _df_available(small_disk) == free
    assert assert_current_release_sound(board, workdir) == before

    monkeypatch.setattr(Releases, "prepare", _prepare_without_the_space_check)
    with pytest.raises(DeployError) as failed:
        deploy(board.request(digits_build / "tflite", workdir, data=big))
    monkeypatch.undo()
    message = str(failed.value)
    assert f"remote disk full: need {need} bytes, have {free} in {workdir} (after removing the partial upload" in message
    assert f"current still points to {before}" in message
    assert _leftovers(workdir) == [] and _df_available(small_disk) == free
    assert assert_current_release_sound(board, workdir) == before

    again = deploy(board.request(digits_build / "tflite", workdir, samples=20))
    assert again.previous == before and assert_current_release_sound(board, workdir) == again.release


def _prepare_without_the_space_check(self, bundle, release_id):
    """Releases.prepare as if df had reported room enough: the upload then meets the full disk itself."""
    from edgeaccel.deploy.release import Listing

    prepared = self.agent.call("creating the partial upload", "prepare", self.workdir, release_id, *bundle.directories)
    return Listing.from_state(prepared)


def test_a_deploy_waits_for_the_lock_and_stops_with_who_holds_it(digits_build, loopback_board, tmp_path):
    from edgeaccel.deploy.agent import board_agent
    from edgeaccel.deploy.transport import connect

    board, workdir = loopback_board, tmp_path / "board"
    before = deploy(board.request(digits_build / "tflite", workdir)).release
    assert assert_current_release_sound(board, workdir, run=False) == before
    with connect(board.destination(workdir)) as session, board_agent(session, board.destination(workdir).python_command, 5):
        started = time.monotonic()
        result = run_cli("deploy", digits_build / "tflite", *board.options(workdir), "--lock-timeout", "1", "--quiet")
        waited = time.monotonic() - started
    line = error_line(result)
    assert result.returncode == 4 and "another deploy holds the lock since 20" in line
    assert f"on {os.uname().nodename}, pid {os.getpid()};" in line and waited >= 1
    assert _leftovers(workdir) == [] and assert_current_release_sound(board, workdir) == before


def test_concurrent_deploys_to_one_workdir_take_turns(digits_build, loopback_board, tmp_path, caplog):
    from edgeaccel.deploy.agent import board_agent
    from edgeaccel.deploy.transport import connect

    board, workdir = loopback_board, tmp_path / "board"
    first = deploy(board.request(digits_build / "tflite", workdir, keep=2)).release
    assert assert_current_release_sound(board, workdir, run=False) == first
    results, errors = {}, []

    def one(name):
        try:
            results[name] = deploy(board.request(digits_build / "tflite", workdir, keep=2))
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(e)

    threads = [threading.Thread(target=one, args=(name,)) for name in "ab"]
    with caplog.at_level("INFO", logger="edgeaccel.deploy.agent"):
        with connect(board.destination(workdir)) as session, board_agent(session, board.destination(workdir).python_command, 30):
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 20
            while caplog.text.count("waiting up to") < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert caplog.text.count("waiting up to") == 2, "both deploys wait for the held lock"
        for thread in threads:
            thread.join(timeout=60)
    assert not errors
    earlier, later = sorted(results.values(), key=lambda r: r.release)
    assert earlier.previous == first and later.previous == earlier.release
    assert later.removed == (first,) and current_release(workdir) == later.release
    assert sorted(os.listdir(workdir / "releases")) == [earlier.release, later.release]
    assert assert_current_release_sound(board, workdir) == later.release

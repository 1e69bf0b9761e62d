"""SSH transport against the loopback OpenSSH server: host keys, authentication, retries, quoting."""

import subprocess
import time

import pytest

from conftest import error_line, run_cli
from deploy.loopback import free_port
from edgeaccel.deploy.transport import connect
from edgeaccel.errors import DeployError

HOSTILE = ["; rm -rf ~", "$(touch pwned)", "`touch pwned`", "a'b\"c", "spaces  and\ttabs", "../..", "-rf", "new\nline", "*", ""]


def _fingerprint(public_key_file) -> str:
    return subprocess.run(["ssh-keygen", "-lf", str(public_key_file)], capture_output=True, text=True,
                          check=True).stdout.split()[1]


def test_unknown_host_is_refused_unless_trusted_then_recorded(loopback_board, tmp_path):
    known_hosts = tmp_path / "ssh" / "known_hosts"
    with pytest.raises(DeployError) as refused:
        connect(loopback_board.destination(known_hosts=known_hosts))
    fingerprint = _fingerprint(loopback_board.directory / "host_key.pub")
    assert f"received an unknown ssh-ed25519 key {fingerprint}" in str(refused.value)
    assert "--trust-new-host" in str(refused.value) and not known_hosts.exists()

    with connect(loopback_board.destination(known_hosts=known_hosts, trust_new_host=True)) as session:
        assert session.check(["true"], "true").status == 0
    assert known_hosts.read_text() == loopback_board.host_key_line
    with connect(loopback_board.destination(known_hosts=known_hosts)) as session:
        assert session.alive


def test_changed_host_key_is_always_refused_with_both_fingerprints(loopback_board, tmp_path):
    known_hosts = tmp_path / "known_hosts"
    stranger = (loopback_board.directory / "stranger_key.pub").read_text().split()
    recorded = f"# a comment\n[127.0.0.1]:{loopback_board.port} {stranger[0]} {stranger[1]}\n"
    known_hosts.write_text(recorded)
    line = error_line(run_cli("deploy", *loopback_board.options("w", known_hosts), "--rollback",
                              "--trust-new-host", "--quiet"))
    expected = _fingerprint(loopback_board.directory / "stranger_key.pub")
    received = _fingerprint(loopback_board.directory / "host_key.pub")
    assert f"host key changed: expected ssh-ed25519 {expected}" in line
    assert f"received ssh-ed25519 {received}" in line
    assert known_hosts.read_text() == recorded


def test_wrong_key_is_refused_at_once_with_a_clear_message(loopback_board):
    started = time.monotonic()
    result = run_cli("deploy", "--rollback", *loopback_board.options("w"), "--key", loopback_board.stranger_key, "--quiet")
    line = error_line(result)
    assert result.returncode == 4
    assert f"expected the board to accept the key {loopback_board.stranger_key}" in line
    assert "received a refusal" in line and "authorized_keys" in line
    assert time.monotonic() - started < 10, "an authentication failure must not be retried"


def test_unreachable_host_gives_one_line_after_bounded_retries(loopback_board, tmp_path):

    started = time.monotonic()
    options = loopback_board.options("w")
    options[options.index("--port") + 1] = str(free_port())
    result = run_cli("deploy", "--rollback", *options, "--quiet")
    elapsed = time.monotonic() - started
    line = error_line(result)
    assert result.returncode == 4
    assert "expected a reachable SSH server, received connection refused (4 attempts over 3.5 s)" in line
    assert elapsed >= 3.5, "the backoff between the attempts was really waited"


def test_remote_commands_reach_the_board_exactly_as_given(loopback_board, tmp_path):
    with connect(loopback_board.destination()) as session:
        result = session.check(["printf", "%s\\0", *HOSTILE], "printf", cwd=str(tmp_path))
        assert result.stdout.split("\0")[:-1] == HOSTILE
        failed = session.run(["sh", "-c", "echo to stderr >&2; exit 3"])
        assert (failed.status, failed.stderr_tail()) == (3, "to stderr")
    assert not list(tmp_path.iterdir())


def test_a_missing_sshd_fails_in_ci_and_skips_elsewhere(monkeypatch):
    from deploy.loopback import _unavailable

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="in CI"):
        _unavailable("/usr/sbin/sshd does not exist")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install openssh-server"):
        _unavailable("/usr/sbin/sshd does not exist")

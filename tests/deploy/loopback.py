"""The loopback boards, fixtures for the deploy tests (import them into a test module): real OpenSSH
servers (Debian's openssh-server) on 127.0.0.1, with host and client keys made for the test
session. `loopback_board` has the SFTP subsystem; `loopback_board_without_sftp` has none, as
Dropbear and minimal Buildroot images, so deploys stream their files over exec channels;
`either_loopback_board` runs a test once against each. Their runners really execute, with this
venv's Python (which has ai_edge_litert) and the machine's g++.

Without /usr/sbin/sshd these tests are skipped locally and fail in CI (CI=true): `make test` and
.ci/run install openssh-server.
"""

import getpass
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

SSHD = Path("/usr/sbin/sshd")

SSHD_CONFIG = """\
ListenAddress 127.0.0.1
Port {port}
HostKey {host_key}
AuthorizedKeysFile {authorized_keys}
PidFile none
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxSessions 32
LogLevel ERROR
"""
SFTP_SUBSYSTEM = "Subsystem sftp internal-sftp\n"


@dataclass(frozen=True)
class LoopbackBoard:
    port: int
    user: str
    key: Path
    stranger_key: Path
    known_hosts: Path
    host_key_line: str
    directory: Path
    sftp: bool

    def options(self, workdir: Path | str, known_hosts: Path | None = None, port: int | None = None) -> list[str]:
        """The `edgeaccel deploy` options that reach this board."""
        return ["--board", "linux-generic", "--host", "127.0.0.1", "--port", str(port or self.port), "--user", self.user,
                "--key", str(self.key), "--known-hosts", str(known_hosts or self.known_hosts),
                "--workdir", str(workdir), "--remote-python", sys.executable]

    def request(self, artifact, workdir, **overrides):
        from edgeaccel.deploy import DeployRequest

        fields = dict(board="linux-generic", host="127.0.0.1", artifact=artifact, port=self.port, user=self.user,
                      key=self.key, known_hosts=self.known_hosts, workdir=str(workdir), remote_python=sys.executable,
                      progress=False)
        return DeployRequest(**(fields | overrides))

    def destination(self, workdir="unused", **overrides):
        from edgeaccel.deploy.destination import Destination

        fields = dict(board="linux-generic", host="127.0.0.1", port=self.port, user=self.user, workdir=str(workdir),
                      python=sys.executable, known_hosts=self.known_hosts, key=self.key)
        return Destination(**(fields | overrides))

    def through(self, port: int, artifact, workdir, **overrides):
        """A request that reaches this board through a proxy on `port` (its host key recorded for that port)."""
        known_hosts = self.directory / f"known_hosts-{port}"
        known_hosts.write_text(self.host_key_line.replace(f"]:{self.port} ", f"]:{port} "))
        return self.request(artifact, workdir, port=port, known_hosts=known_hosts, **overrides)

    @property
    def transfer(self) -> str:
        """How a deploy moves files to this board (DeployResult.transfer)."""
        return "sftp" if self.sftp else "exec"


def current_release(workdir: Path) -> str | None:
    link = Path(workdir) / "current"
    return Path(os.readlink(link)).name if link.is_symlink() else None


def assert_current_release_sound(board: LoopbackBoard, workdir: Path, run: bool = True) -> str:
    """`current` points at a release whose every file matches its bundle.json, whose bundle.json matches
    the digest in its id, and (`run`) whose runner still runs on the board and gives its reference
    outputs. Checked from the test's side (the board's file system is this machine's), not with
    edgeaccel's own check. Returns the release id."""
    from edgeaccel.deploy.transport import connect

    release = current_release(workdir)
    assert release is not None, f"{workdir}/current is not a link"
    directory = Path(workdir) / "releases" / release
    manifest_bytes = (directory / "bundle.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == digest, f"{release}/{name} changed"
    listed = manifest["files"] | {"bundle.json": hashlib.sha256(manifest_bytes).hexdigest()}
    assert hashlib.sha256(json.dumps(sorted(listed.items())).encode()).hexdigest()[:8] == release[-8:]
    if not run:
        return release
    out = f"check-{time.monotonic_ns()}.json"
    with connect(board.destination(workdir)) as session:
        session.check([sys.executable, "-B", manifest["runner"], "--out", out], "the current release's runner",
                      cwd=str(directory))
    outputs = np.asarray(json.loads((directory / out).read_text())["outputs"])
    (directory / out).unlink()
    reference = np.load(directory / manifest["golden"]["reference"])
    assert outputs.shape == reference.shape
    assert np.mean(outputs.reshape(len(outputs), -1).argmax(1) == reference.reshape(len(reference), -1).argmax(1)) >= 0.99
    return release


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"deploy tests need a local OpenSSH server in CI: {reason} (.ci/run installs openssh-server)")
    pytest.skip(f"deploy tests need a local OpenSSH server: {reason} (apt-get install openssh-server)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)], check=True)


def _serve(directory: Path, sftp: bool):
    """Start sshd for a loopback board in `directory`; yield the board, stop the server after."""
    if not SSHD.is_file():
        _unavailable(f"{SSHD} does not exist")
    privsep = Path("/run/sshd")
    if not privsep.is_dir():
        if os.geteuid() != 0:
            _unavailable(f"{privsep} (sshd's privilege separation directory) is missing and this is not root")
        privsep.mkdir(mode=0o755, parents=True)
    for name in ("host_key", "client_key", "stranger_key"):
        _keygen(directory / name)
    (directory / "authorized_keys").write_text((directory / "client_key.pub").read_text())
    port = free_port()
    config = directory / "sshd_config"
    config.write_text(SSHD_CONFIG.format(port=port, host_key=directory / "host_key",
                                         authorized_keys=directory / "authorized_keys") + (SFTP_SUBSYSTEM if sftp else ""))
    host_key_type, host_key_data = (directory / "host_key.pub").read_text().split()[:2]
    line = f"[127.0.0.1]:{port} {host_key_type} {host_key_data}\n"
    (directory / "known_hosts").write_text(line)
    log = open(directory / "sshd.log", "w")
    daemon = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(port, daemon, directory / "sshd.log")
        yield LoopbackBoard(port, getpass.getuser(), directory / "client_key", directory / "stranger_key",
                            directory / "known_hosts", line, directory, sftp)
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log.close()


@pytest.fixture(scope="module")
def loopback_board(tmp_path_factory):
    yield from _serve(tmp_path_factory.mktemp("sshd"), sftp=True)


@pytest.fixture(scope="module")
def loopback_board_without_sftp(tmp_path_factory):
    yield from _serve(tmp_path_factory.mktemp("sshd-no-sftp"), sftp=False)


@pytest.fixture(params=["sftp", "no-sftp"])
def either_loopback_board(request):
    return request.getfixturevalue("loopback_board" if request.param == "sftp" else "loopback_board_without_sftp")


def _wait_for(port: int, daemon: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            pytest.fail(f"sshd exited with {daemon.returncode}: {log.read_text()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"sshd did not listen on 127.0.0.1:{port} within 15 s: {log.read_text()}")

"""SSH to a board with paramiko: connecting (host key checked, a key file or the agent, never a
password; bounded retries with backoff on transient failures only), remote commands built from
argument lists with shlex, and moving files: over SFTP when the board has the subsystem, else
streamed through exec channels (a command's stdin and stdout), as Ansible's `transfer_method: smart`
falls back from SFTP to piping.
"""

import logging
import shlex
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import paramiko

from edgeaccel.deploy.destination import Destination
from edgeaccel.deploy.hostkeys import KnownHosts, UnknownHostKey
from edgeaccel.deploy.keys import load_key
from edgeaccel.errors import DeployError

log = logging.getLogger(__name__)

EOF_GRACE_S = 2.0
STREAM_BLOCK = 1 << 15


@dataclass(frozen=True)
class RemoteResult:
    command: str
    status: int
    output: bytes
    errors: bytes

    @property
    def stdout(self) -> str:
        return self.output.decode(errors="replace")

    @property
    def stderr(self) -> str:
        return self.errors.decode(errors="replace")

    @property
    def status_text(self) -> str:
        """The exit status in words (SSH servers report a command killed by a signal with no status)."""
        return "no exit status (killed by a signal)" if self.status == -1 else str(self.status)

    def stderr_tail(self, lines: int = 5) -> str:
        """The last lines of stderr on one line (a Python traceback's header left out)."""
        kept = [line.strip() for line in self.stderr.splitlines()
                if line.strip() and line.strip() != "Traceback (most recent call last):"]
        return " | ".join(kept[-lines:]) or "(no output on stderr)"


def connect(destination: Destination, key: paramiko.PKey | None = None) -> "Session":
    """An authenticated session, after at most `destination.attempts` tries (transient failures only).
    `key` is `destination.key` loaded (keys.load_key); it is loaded here when not given."""
    known_hosts = KnownHosts(destination.known_hosts)
    if key is None and destination.key is not None:
        key = load_key(destination.key)
    started, delay = time.monotonic(), destination.backoff_s
    for attempt in range(1, destination.attempts + 1):
        client = paramiko.SSHClient()
        known_hosts.install(client, destination.trust_new_host)
        try:
            client.connect(
                destination.host, port=destination.port, username=destination.user, pkey=key,
                allow_agent=key is None, look_for_keys=key is None,
                timeout=destination.connect_timeout_s, banner_timeout=destination.connect_timeout_s,
                auth_timeout=destination.connect_timeout_s, channel_timeout=destination.connect_timeout_s,
            )
        except (paramiko.SSHException, OSError, EOFError) as e:
            client.close()
            reason = _transient_reason(e, destination)
            if reason is None:
                raise _refusal(e, destination, key) from e
            if attempt == destination.attempts:
                raise DeployError(f"ssh {destination.address}: expected a reachable SSH server, received {reason} "
                                  f"({attempt} attempts over {time.monotonic() - started:.1f} s)") from e
            log.info("ssh %s: %s; retrying in %.1f s (attempt %d of %d)", destination.address, reason, delay,
                     attempt + 1, destination.attempts)
            time.sleep(delay)
            delay *= 2
            continue
        transport = client.get_transport()
        transport.set_keepalive(destination.keepalive_s)
        try:
            known_hosts.check_not_revoked(destination.hostkey_name, transport.get_remote_server_key())
        except DeployError:
            client.close()
            raise
        log.info("ssh %s: connected (%s host key %s)", destination.address, transport.get_remote_server_key().get_name(),
                 transport.get_remote_server_key().fingerprint)
        return Session(client, destination)
    raise AssertionError("unreachable")


def _transient_reason(error: Exception, destination: Destination) -> str | None:
    """Why a connection failed, when trying again may help; None for failures that are final."""
    if isinstance(error, (paramiko.AuthenticationException, paramiko.BadHostKeyException, UnknownHostKey,
                          paramiko.IncompatiblePeer, socket.gaierror)):
        return None
    if isinstance(error, paramiko.SSHException) and "authentication" in str(error).lower():
        return None
    if isinstance(error, (ConnectionRefusedError, paramiko.ssh_exception.NoValidConnectionsError)):
        return "connection refused"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return f"no answer within {destination.connect_timeout_s:g} s"
    if isinstance(error, (OSError, EOFError, paramiko.SSHException)):
        return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return None


def _refusal(error: Exception, destination: Destination, key: paramiko.PKey | None) -> DeployError:
    where = f"ssh {destination.address}"
    if isinstance(error, UnknownHostKey):
        return DeployError(
            f"{where}: expected a host key recorded in {destination.known_hosts}, received an unknown {error.key.get_name()} "
            f"key {error.key.fingerprint}; check it against the board (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub "
            f"there) and deploy once with --trust-new-host to record it")
    if isinstance(error, paramiko.BadHostKeyException):
        name = destination.hostkey_name
        return DeployError(
            f"{where}: host key changed: expected {error.expected_key.get_name()} {error.expected_key.fingerprint} "
            f"(recorded in {destination.known_hosts}), received {error.key.get_name()} {error.key.fingerprint}; "
            f"if the board was re-imaged, remove the old key with ssh-keygen -R {shlex.quote(name)} -f "
            f"{shlex.quote(str(destination.known_hosts))} and deploy with --trust-new-host")
    if isinstance(error, socket.gaierror):
        return DeployError(f"{where}: expected a host name that resolves, received {destination.host!r} ({error.strerror})")
    if isinstance(error, paramiko.IncompatiblePeer):
        return DeployError(f"{where}: expected an SSH server paramiko can negotiate with, received {error}")
    if not isinstance(error, paramiko.AuthenticationException) and "authentication" not in str(error).lower():
        return DeployError(f"{where}: expected an SSH session, received {_describe(error)}")
    if key is not None:
        return DeployError(
            f"{where}: expected the board to accept the key {destination.key} ({key.get_name()} {key.fingerprint}), "
            f"received a refusal ({error or 'authentication failed'}); add {destination.key}.pub to "
            f"~{destination.user}/.ssh/authorized_keys on the board")
    return DeployError(
        f"{where}: expected the board to accept a key from ssh-agent or ~/.ssh/id_*, received a refusal "
        f"({error or 'authentication failed'}); pass --key FILE, or load the right key with ssh-add")


class Session:
    """One authenticated connection. Every remote command is an argument list, quoted with shlex."""

    def __init__(self, client: paramiko.SSHClient, destination: Destination):
        self.client = client
        self.destination = destination
        self._sftp: paramiko.SFTPClient | None = None
        self._sftp_tried = False

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._sftp is not None:
            try:
                self._sftp.close()
            except (OSError, EOFError, paramiko.SSHException):
                pass
        self.client.close()

    @property
    def alive(self) -> bool:
        transport = self.client.get_transport()
        return transport is not None and transport.is_active()

    @property
    def transport(self) -> paramiko.Transport:
        transport = self.client.get_transport()
        if transport is None or not transport.is_active():
            raise DeployError(f"ssh {self.destination.address}: expected an open connection, received a closed one")
        return transport

    def start(self, argv: list[str], cwd: str | None = None, what: str | None = None) -> paramiko.Channel:
        """`argv` started on the board (in `cwd`), its channel open: for commands that stream."""
        command = shlex.join(argv) if cwd is None else f"cd {shlex.quote(cwd)} && {shlex.join(argv)}"
        log.debug("ssh %s: %s", self.destination.address,
                  shlex.join(a if len(a) <= 200 else f"<{len(a)} characters>" for a in argv))
        try:
            channel = self.transport.open_session(timeout=self.destination.connect_timeout_s)
            channel.exec_command(command)
        except (OSError, EOFError, paramiko.SSHException) as e:
            raise self.lost(what or f"running {argv[0]}", e) from e
        return channel

    def run(self, argv: list[str], cwd: str | None = None, timeout_s: float | None = 120.0,
            stdin: Path | None = None, progress=None, what: str | None = None) -> RemoteResult:
        """Run `argv` on the board (in `cwd`), with the file `stdin` streamed to it (`progress(sent, total)`
        after each block), and wait for it; the exit status is returned, not checked."""
        what = what or f"running {argv[0]}"
        channel = self.start(argv, cwd, what)
        try:
            if stdin is not None:
                self._send(channel, stdin, progress)
            channel.shutdown_write()
            stdout, stderr = self.collect(channel, argv[0], timeout_s)
            status = channel.recv_exit_status()
            if status == -1 and not self.alive:
                raise EOFError("the connection closed before the command finished")
        except (OSError, EOFError, paramiko.SSHException) as e:
            raise self.lost(what, e) from e
        finally:
            channel.close()
        return RemoteResult(shlex.join(argv), status, stdout, stderr)

    def check(self, argv: list[str], what: str, cwd: str | None = None, timeout_s: float | None = 120.0,
              stdin: Path | None = None, progress=None) -> RemoteResult:
        result = self.run(argv, cwd=cwd, timeout_s=timeout_s, stdin=stdin, progress=progress, what=what)
        if result.status != 0:
            raise DeployError(f"ssh {self.destination.address}: {what}: expected exit status 0, received "
                              f"{result.status_text}: {result.stderr_tail()}")
        return result

    @staticmethod
    def _send(channel: paramiko.Channel, path: Path, progress) -> None:
        total, sent = path.stat().st_size, 0
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(STREAM_BLOCK), b""):
                if channel.exit_status_ready():
                    break  # the command stopped reading (its stderr says why)
                channel.sendall(block)
                sent += len(block)
                if progress is not None:
                    progress(sent, total)

    def collect(self, channel: paramiko.Channel, program: str, timeout_s: float | None) -> tuple[bytes, bytes]:
        """The rest of a started command's stdout and stderr, once it has exited."""
        stdout, stderr = bytearray(), bytearray()
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        exited_at = None
        while True:
            busy = False
            while channel.recv_ready():
                stdout += channel.recv(1 << 16)
                busy = True
            while channel.recv_stderr_ready():
                stderr += channel.recv_stderr(1 << 16)
                busy = True
            if channel.exit_status_ready():
                exited_at = exited_at or time.monotonic()
                if channel.eof_received or channel.closed or time.monotonic() - exited_at > EOF_GRACE_S:
                    if not channel.recv_ready() and not channel.recv_stderr_ready():
                        return bytes(stdout), bytes(stderr)
            elif not self.alive:
                raise EOFError("the connection closed before the command finished")
            if deadline is not None and time.monotonic() > deadline:
                channel.close()
                raise DeployError(f"ssh {self.destination.address}: expected {program} to finish within {timeout_s:g} s, "
                                  f"received no exit status (stopped waiting)")
            if not busy:
                time.sleep(0.01)

    def lost(self, what: str, error: BaseException) -> DeployError:
        if self.alive:
            return DeployError(f"ssh {self.destination.address}: {what}: expected success, received {_describe(error)}")
        return DeployError(f"ssh {self.destination.address}: {what}: expected the connection to stay up, received "
                           f"{_describe(error)} (connection lost)")

    @property
    def sftp(self) -> paramiko.SFTPClient | None:
        """The SFTP client, opened once; None when the board has no SFTP subsystem."""
        if not self._sftp_tried:
            self._sftp_tried = True
            try:
                self._sftp = self.client.open_sftp()
            except (OSError, EOFError, paramiko.SSHException) as e:
                if not self.alive:
                    raise self.lost("opening SFTP", e) from e
                log.info("ssh %s: no SFTP subsystem (%s); files go over exec channels", self.destination.address,
                         _describe(e))
        return self._sftp

    @property
    def transfer(self) -> str:
        """How files move: "sftp", or "exec" (streamed through commands) on a board without SFTP."""
        return "sftp" if self.sftp is not None else "exec"

    def put(self, local: Path, remote: str, callback=None) -> None:
        """Upload one file over SFTP (`callback(sent, total)` as it goes)."""
        if self.sftp is None:
            raise DeployError(f"ssh {self.destination.address}: uploading {remote}: expected an SFTP subsystem, received "
                              f"none (stream the files through a command instead)")
        try:
            self.sftp.put(str(local), remote, callback=callback, confirm=True)
        except (OSError, EOFError, paramiko.SSHException) as e:
            raise self.lost(f"uploading {remote}", e) from e

    def read(self, remote: str) -> bytes:
        """A remote file's bytes, over SFTP or `cat`."""
        if self.sftp is None:
            return self.check(["cat", "--", remote], f"reading {remote}").output
        try:
            with self.sftp.open(remote, "rb") as f:
                return f.read()
        except (OSError, EOFError, paramiko.SSHException) as e:
            raise self.lost(f"reading {remote}", e) from e


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__

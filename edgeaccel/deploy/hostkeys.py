"""Host keys, checked against an OpenSSH known_hosts file.

An unknown host is refused unless the caller trusts new hosts; then its key is appended to the
file (one line, as OpenSSH writes it; the rest of the file is left as it was). A changed key is
refused by paramiko (BadHostKeyException); `@revoked` keys are refused here.
"""

import logging
import os
from pathlib import Path

import paramiko

from edgeaccel.errors import DeployError

log = logging.getLogger(__name__)


class UnknownHostKey(paramiko.SSHException):
    def __init__(self, hostname: str, key: paramiko.PKey):
        super().__init__(f"unknown host key for {hostname}")
        self.hostname, self.key = hostname, key


class KnownHosts:
    def __init__(self, path: Path):
        self.path = path
        self.keys = paramiko.HostKeys()
        self.revoked: set[tuple[str, str]] = set()
        if path.is_file():
            self._load()

    def install(self, client: paramiko.SSHClient, trust_new_host: bool) -> None:
        """Make `client` check host keys against this file, and refuse or record unknown hosts."""
        keys = client.get_host_keys()
        for hostname in self.keys.keys():
            for key_type, key in self.keys[hostname].items():
                keys.add(hostname, key_type, key)
        client.set_missing_host_key_policy(_RecordNewHost(self) if trust_new_host else _RefuseNewHost())

    def record(self, hostname: str, key: paramiko.PKey) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        line = paramiko.hostkeys.HostKeyEntry([hostname], key).to_line()
        needs_newline = self.path.is_file() and self.path.stat().st_size > 0 and not self.path.read_bytes().endswith(b"\n")
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a") as f:
            f.write(("\n" if needs_newline else "") + line)
        self.keys.add(hostname, key.get_name(), key)
        log.info("recorded the %s host key of %s (%s) in %s", key.get_name(), hostname, key.fingerprint, self.path)

    def check_not_revoked(self, hostname: str, key: paramiko.PKey) -> None:
        if (key.get_name(), key.get_base64()) in self.revoked:
            raise DeployError(f"host key of {hostname}: expected a key that is not revoked, received {key.get_name()} "
                              f"{key.fingerprint}, marked @revoked in {self.path}")

    def _load(self) -> None:
        """Like paramiko's loader, but a line it cannot parse (a certificate authority, an unknown key
        type) is skipped instead of stopping the load, and @revoked lines are remembered."""
        for number, raw in enumerate(self.path.read_text(errors="replace").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("@"):
                fields = line.split()
                if fields[0] == "@revoked" and len(fields) >= 4:
                    self.revoked.add((fields[2], fields[3]))
                continue
            try:
                entry = paramiko.hostkeys.HostKeyEntry.from_line(line, number)
            except (paramiko.SSHException, paramiko.hostkeys.InvalidHostKey, ValueError):
                entry = None
            if entry is None:
                log.debug("%s:%d: skipped a line paramiko cannot use", self.path, number)
                continue
            for name in entry.hostnames:
                self.keys.add(name, entry.key.get_name(), entry.key)


class _RefuseNewHost(paramiko.MissingHostKeyPolicy):
    def missing_host_key(self, client, hostname, key):
        raise UnknownHostKey(hostname, key)


class _RecordNewHost(paramiko.MissingHostKeyPolicy):
    def __init__(self, known_hosts: KnownHosts):
        self.known_hosts = known_hosts

    def missing_host_key(self, client, hostname, key):
        self.known_hosts.record(hostname, key)

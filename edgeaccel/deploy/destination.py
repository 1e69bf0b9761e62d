"""Where a deploy goes: the board file's SSH defaults (user, port, workdir, Python) with the command
line's overrides, checked once."""

import math
import posixpath
import shlex
from dataclasses import dataclass
from pathlib import Path

from edgeaccel.errors import ConfigError

SSH_PORT = 22


@dataclass(frozen=True)
class Destination:
    board: str
    host: str
    port: int
    user: str
    workdir: str
    python: str
    known_hosts: Path
    key: Path | None = None
    trust_new_host: bool = False
    connect_timeout_s: float = 10.0
    attempts: int = 4
    backoff_s: float = 0.5
    keepalive_s: int = 15

    def __post_init__(self):
        if not self.host or any(c.isspace() for c in self.host):
            raise ConfigError(f"--host: expected a host name or address, received {self.host!r}")
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"--port: expected 1 to 65535, received {self.port}")
        if not self.user:
            raise ConfigError(f"--user: expected a user name, received {self.user!r}")
        try:
            if not shlex.split(self.python):
                raise ValueError("nothing to run")
        except ValueError as e:
            raise ConfigError(f"--remote-python: expected a command such as /usr/bin/python3, received {self.python!r} ({e})") from None
        if self.known_hosts.exists() and not self.known_hosts.is_file():
            raise ConfigError(f"--known-hosts: expected a known_hosts file, received {str(self.known_hosts)!r} (not a file)")
        if not (isinstance(self.connect_timeout_s, (int, float)) and math.isfinite(self.connect_timeout_s)
                and self.connect_timeout_s > 0):
            raise ConfigError(f"--connect-timeout: expected a finite number of seconds above 0, received {self.connect_timeout_s!r}")
        if self.attempts < 1:
            raise ConfigError(f"expected at least one connection attempt, received {self.attempts}")

    @property
    def python_command(self) -> list[str]:
        """The remote Python as an argument list: a path, or a prefix such as `sudo -n /path/python3`."""
        return shlex.split(self.python)

    @property
    def address(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"

    @property
    def hostkey_name(self) -> str:
        """The host's name in known_hosts, as OpenSSH writes it."""
        return self.host if self.port == SSH_PORT else f"[{self.host}]:{self.port}"


def destination_for(board, host: str, *, user: str | None = None, port: int | None = None, workdir: str | None = None,
                    python: str | None = None, key: Path | str | None = None, known_hosts: Path | str | None = None,
                    trust_new_host: bool = False, connect_timeout_s: float | None = None) -> Destination:
    """`board` is a loaded Board; every keyword left None takes the board's default (an empty string is
    refused, not taken for the default)."""
    if board.ssh is None:
        raise ConfigError(f"--board: expected a board reached over SSH (kind linux, edgetpu, or fpga with an ssh "
                          f"section), received {board.name!r} (kind {board.kind}, no ssh section)")
    ssh = board.ssh
    return Destination(
        board=board.name,
        host=host,
        port=ssh.port if port is None else int(port),
        user=ssh.user if user is None else user,
        workdir=remote_directory(ssh.workdir if workdir is None else workdir),
        python=ssh.python if python is None else python,
        known_hosts=Path.home() / ".ssh" / "known_hosts" if known_hosts is None else Path(known_hosts).expanduser(),
        key=None if key is None else Path(key).expanduser(),
        trust_new_host=trust_new_host,
        **({} if connect_timeout_s is None else {"connect_timeout_s": connect_timeout_s}),
    )


def remote_directory(path: str) -> str:
    """A remote directory as SFTP and the shell both take it: `~/x` becomes `x` (relative paths start
    in the login directory), and a relative path never begins with `-`."""
    if not path or "\0" in path:
        raise ConfigError(f"--workdir: expected a directory path, received {path!r}")
    if path == "~" or path.startswith("~/"):
        path = path[2:] or "."
    elif path.startswith("~"):
        raise ConfigError(f"--workdir: expected an absolute path or one relative to the login directory, received {path!r}")
    path = posixpath.normpath(path) if not path.startswith("//") else path
    if path == "/":
        raise ConfigError("--workdir: expected a directory of its own, received the root directory '/'")
    if path.startswith("-"):
        path = "./" + path
    return path

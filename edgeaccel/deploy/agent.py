"""edgeaccel's agent on the board: one process of the board's Python (runners/edgeaccel_board.py
`serve`), started over an exec channel for the length of a deploy or rollback. It holds the deploy
lock, flock(2) on <workdir>/.edgeaccel.lock, and answers the deploy's operations on the working
directory (listing, preparing, sha256 checks, renames, the switch of `current`), one JSON line each
way, so that a deploy costs one interpreter start on the board however many steps it takes.

Closing the channel, or losing the connection, ends the process and with it the lock: nothing stale
is left behind. The holder's record in the lock file (host, pid, board pid, since when) is what a
deploy that waited longer than its timeout reports: "another deploy holds the lock since ...".
"""

import contextlib
import json
import logging
import os
import posixpath
import socket
import time

import paramiko

from edgeaccel.deploy.bundle import RUNNERS
from edgeaccel.deploy.transport import Session
from edgeaccel.errors import DeployError

log = logging.getLogger(__name__)

LOCK_FILE = ".edgeaccel.lock"
HELD = 75  # edgeaccel_board.py's exit status when another process held the lock until the timeout
SCRIPT = (RUNNERS / "edgeaccel_board.py").read_text()
SUDO_OPTIONS_WITH_VALUES = {"-C", "-D", "-g", "-h", "-p", "-R", "-r", "-t", "-T", "-U", "-u"}


def board_command(python: list[str], *arguments: str) -> list[str]:
    """The argument list that runs edgeaccel_board.py with the board's Python, as the login user (a
    leading sudo is left out: the files it makes must be the user's, as SFTP's are) and without
    site-packages (-S: it needs the standard library only, and starts faster)."""
    return [*without_sudo(python), "-S", "-c", SCRIPT, *arguments]


def without_sudo(python: list[str]) -> list[str]:
    """`sudo -n /path/python3` -> `/path/python3`; any other command as it is."""
    if not python or posixpath.basename(python[0]) != "sudo":
        return python
    rest = python[1:]
    while rest and rest[0].startswith("-") and rest[0] != "--":
        rest = rest[2:] if rest[0] in SUDO_OPTIONS_WITH_VALUES else rest[1:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    return rest or python


def describe_holder(text: str) -> str:
    """The lock file's record of its holder, in words."""
    try:
        holder = json.loads(text)
        return (f"since {holder['since']} (edgeaccel {holder['edgeaccel']} on {holder['host']}, pid {holder['pid']}; "
                f"pid {holder['board_pid']} on the board holds it)")
    except (ValueError, KeyError, TypeError):
        return "since an unknown time (the lock file names no holder)"


class BoardAgent:
    """The agent process on the board, started by `board_agent`; `call` runs one operation."""

    def __init__(self, session: Session, python: list[str], lock_timeout_s: float):
        from edgeaccel import __version__

        self.session, self.lock_timeout_s = session, lock_timeout_s
        self.where = f"ssh {session.destination.address}"
        workdir = session.destination.workdir
        self.lock = posixpath.join(workdir, LOCK_FILE)
        self.program = " ".join([*without_sudo(python), "-S", "edgeaccel_board.py", "serve"])
        holder = {"host": socket.gethostname(), "pid": os.getpid(), "edgeaccel": __version__}
        command = board_command(python, "serve", workdir, json.dumps(holder), repr(float(lock_timeout_s)))
        self.channel = session.start(command, what=f"starting {self.program}")
        self._pending = b""

    def wait_for_the_lock(self) -> None:
        what = f"taking the deploy lock {self.lock}"
        deadline = time.monotonic() + self.lock_timeout_s + self.session.destination.connect_timeout_s
        while True:
            line = self._line(what, deadline)
            if line == "locked":
                log.info("holding the deploy lock %s", self.lock)
                return
            if line.startswith("waiting "):
                log.info("%s: waiting up to %g s for the deploy lock %s, held %s", self.where, self.lock_timeout_s,
                         self.lock, describe_holder(line[len("waiting "):]))

    def call(self, what: str, operation: str, *arguments: str, timeout_s: float = 300.0):
        """The answer to one operation; DeployError, saying `what` failed and why, when it fails."""
        try:
            self.channel.sendall(json.dumps({"op": operation, "args": list(arguments)}).encode() + b"\n")
        except (OSError, EOFError, paramiko.SSHException) as e:
            raise self.session.lost(what, e) from e
        line = self._line(what, time.monotonic() + timeout_s)
        try:
            answer = json.loads(line)
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or not {"ok", "error"} & answer.keys():
            raise DeployError(f"{self.where}: {what}: expected a JSON answer from {self.program}, received {line[:200]!r}")
        if "error" in answer:
            raise DeployError(f"{self.where}: {what}: expected success, received {answer['error']}")
        return answer["ok"]

    def close(self) -> None:
        """Close stdin: the agent exits, and the lock is released."""
        try:
            self.channel.shutdown_write()
            self.channel.close()
        except (OSError, EOFError, paramiko.SSHException):
            pass

    def _line(self, what: str, deadline: float) -> str:
        try:
            while b"\n" not in self._pending:
                if self.channel.recv_ready():
                    self._pending += self.channel.recv(1 << 16)
                    continue
                if self.channel.exit_status_ready():
                    raise self._ended(what)
                if not self.session.alive:
                    raise EOFError("the connection closed before the board answered")
                if time.monotonic() > deadline:
                    raise DeployError(f"{self.where}: {what}: expected an answer from {self.program}, received none "
                                      f"within the time allowed")
                time.sleep(0.005)
        except (OSError, EOFError, paramiko.SSHException) as e:
            raise self.session.lost(what, e) from e
        line, self._pending = self._pending.split(b"\n", 1)
        return line.decode(errors="replace")

    def _ended(self, what: str) -> DeployError:
        """Why the agent exited before answering."""
        _, errors = self.session.collect(self.channel, self.program, timeout_s=self.session.destination.connect_timeout_s)
        status = self.channel.recv_exit_status()
        if status == -1 and not self.session.alive:
            raise EOFError("the connection closed before the board answered")
        text = errors.decode(errors="replace").strip()
        if status == HELD:
            return DeployError(f"{self.where}: expected the deploy lock {self.lock} within {self.lock_timeout_s:g} s, "
                               f"received none: another deploy holds the lock {describe_holder(text)}")
        tail = " | ".join(line.strip() for line in text.splitlines()[-3:]) or "(no output on stderr)"
        status_text = "no exit status (killed by a signal)" if status == -1 else status
        return DeployError(f"{self.where}: {what}: expected {self.program} to keep running, received exit status "
                           f"{status_text}: {tail}")


@contextlib.contextmanager
def board_agent(session: Session, python: list[str], lock_timeout_s: float):
    """The agent for `session`'s workdir, holding the deploy lock, for the block."""
    agent = BoardAgent(session, python, lock_timeout_s)
    try:
        agent.wait_for_the_lock()
        yield agent
    finally:
        agent.close()

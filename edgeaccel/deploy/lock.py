"""One deploy at a time per working directory: flock(2) on <workdir>/.edgeaccel.lock, taken on the
board by a process of the board's Python (edgeaccel_board.py lock) that lives as long as its exec
channel. Closing the channel, or losing the connection, ends the process and so releases the lock;
nothing stale is left behind.

The holder writes who it is into the lock file (host, pid, board pid, since when), so a deploy that
waits longer than its timeout stops with "another deploy holds the lock since ...".
"""

import contextlib
import json
import logging
import os
import posixpath
import socket
import time

from edgeaccel.deploy.release import board_command
from edgeaccel.deploy.transport import Session
from edgeaccel.errors import DeployError

log = logging.getLogger(__name__)

LOCK_FILE = ".edgeaccel.lock"
HELD = 75  # edgeaccel_board.py's exit status when another process held the lock until the timeout


def describe_holder(text: str) -> str:
    """The lock file's record of its holder, in words."""
    try:
        holder = json.loads(text)
        return (f"since {holder['since']} (edgeaccel {holder['edgeaccel']} on {holder['host']}, pid {holder['pid']}; "
                f"pid {holder['board_pid']} on the board holds it)")
    except (ValueError, KeyError, TypeError):
        return "since an unknown time (the lock file names no holder)"


@contextlib.contextmanager
def board_lock(session: Session, python: list[str], timeout_s: float):
    """Hold the deploy lock of `session`'s workdir for the block."""
    from edgeaccel import __version__

    workdir = session.destination.workdir
    path = posixpath.join(workdir, LOCK_FILE)
    holder = {"host": socket.gethostname(), "pid": os.getpid(), "edgeaccel": __version__}
    channel = session.start(board_command(python, "lock", workdir, json.dumps(holder), repr(float(timeout_s))))
    try:
        _wait_until_locked(session, channel, path, timeout_s)
        log.info("holding the deploy lock %s", path)
        yield
    finally:
        try:
            channel.shutdown_write()
            channel.close()
        except (OSError, EOFError):
            pass


def _wait_until_locked(session: Session, channel, path: str, timeout_s: float) -> None:
    where = f"ssh {session.destination.address}"
    deadline = time.monotonic() + timeout_s + session.destination.connect_timeout_s
    pending = b""
    while True:
        while channel.recv_ready():
            pending += channel.recv(4096)
        *lines, pending = pending.split(b"\n")
        for line in (raw.decode(errors="replace") for raw in lines):
            if line == "locked":
                return
            if line.startswith("waiting "):
                log.info("%s: waiting up to %g s for the deploy lock %s, held %s", where, timeout_s, path,
                         describe_holder(line[len("waiting "):]))
        if channel.exit_status_ready() and not channel.recv_ready():
            _, errors = session.collect(channel, "the lock script", timeout_s=session.destination.connect_timeout_s)
            status = channel.recv_exit_status()
            text = errors.decode(errors="replace").strip()
            if status == HELD:
                raise DeployError(f"{where}: expected the deploy lock {path} within {timeout_s:g} s, received none: "
                                  f"another deploy holds the lock {describe_holder(text)}")
            tail = " | ".join(text.splitlines()[-3:]) or "(no output on stderr)"
            raise DeployError(f"{where}: taking the deploy lock {path}: expected exit status 0, received {status}: {tail}")
        if not session.alive:
            raise DeployError(f"{where}: taking the deploy lock {path}: expected the connection to stay up, received "
                              f"a closed connection (connection lost)")
        if time.monotonic() > deadline:
            raise DeployError(f"{where}: expected the deploy lock {path} within {timeout_s:g} s, received no answer")
        time.sleep(0.02)

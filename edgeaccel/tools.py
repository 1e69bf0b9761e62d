"""Running external tools (g++, make, vendor flows, compilers): one place, one failure form."""

import logging
import subprocess
from pathlib import Path

from edgeaccel.errors import ToolError

log = logging.getLogger(__name__)


def run_tool(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run an external tool; a failure becomes a ToolError carrying the command and its output."""
    log.debug("running %s", " ".join(command))
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True)
    except FileNotFoundError as e:
        raise ToolError(f"expected {command[0]!r} on PATH, received none") from e
    except subprocess.CalledProcessError as e:
        tail = " | ".join((e.stderr or e.stdout or "").strip().splitlines()[-5:])
        raise ToolError(f"{Path(command[0]).name} failed (exit {e.returncode}): {' '.join(command[:3])} ...: {tail}") from e

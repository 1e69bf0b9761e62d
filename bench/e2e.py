"""End to end: `edgeaccel run` wall time and peak memory (RSS), and the csim compilation's peak RSS."""

import os
import subprocess
import sys
from pathlib import Path

from bench.timing import Stat

REPO = Path(__file__).resolve().parents[1]


# Runs the command and reports its wall seconds and peak RSS (KiB) on stdout. Linux carries a process's
# ru_maxrss across fork and exec, so a command started straight from the benchmark process (hundreds of MiB
# of TensorFlow) would report at least the benchmark's size; started from this small launcher it does not.
_LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(process.pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measured(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB, the largest of the process and its children) of one command."""
    process = subprocess.run([sys.executable, "-c", _LAUNCHER, *command], cwd=REPO, capture_output=True, text=True,
                             env=os.environ | (env or {}))
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {process.stderr[-500:]}")
    seconds, peak_kib = process.stdout.split()
    return float(seconds), int(peak_kib) / 1024


def run_project(project: Path, out: Path, repeats: int) -> dict:
    runs = [measured([sys.executable, "-m", "edgeaccel.cli", "run", str(project), "--out", str(out), "--quiet"],
                     {"EDGEACCEL_CACHE": str(out.parent / f"cache-{i}")}) for i in range(repeats)]
    return {"seconds": _stat([r[0] for r in runs]), "peak_rss_mib": _stat([r[1] for r in runs])}


def csim_compile(artifact: Path, cache: Path, repeats: int) -> dict:
    code = ("import sys, edgeaccel\nfrom edgeaccel.sim.csim_backend import CsimBackend\nCsimBackend(sys.argv[1])")
    runs = [measured([sys.executable, "-c", code, str(artifact)], {"EDGEACCEL_CACHE": str(cache / str(i))})
            for i in range(repeats)]
    return {"seconds": _stat([r[0] for r in runs]), "peak_rss_mib": _stat([r[1] for r in runs])}


def _stat(values: list[float]) -> Stat:
    ordered = sorted(values)
    return Stat(ordered[len(ordered) // 2], ordered[0], ordered[-1], len(ordered))

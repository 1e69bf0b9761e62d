"""End to end: `edgeaccel run` wall time and peak memory (RSS), and the csim compilation's peak RSS."""

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.timing import Stat

REPO = Path(__file__).resolve().parents[1]


def measured(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB, the largest of the process and its children) of one command."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=os.environ | (env or {}))
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {process.stderr.read().decode()[-500:]}")
    return elapsed, usage.ru_maxrss / 1024


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

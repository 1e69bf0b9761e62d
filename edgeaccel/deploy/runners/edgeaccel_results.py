"""What every edgeaccel deploy runner shares: reading bundle.json, latency statistics, and writing
the results file. Standalone: the Python standard library only (no numpy, never edgeaccel).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load_bundle() -> dict:
    return json.loads((HERE / "bundle.json").read_text())


def start(description: str) -> tuple[str, dict]:
    """Every runner's command line (`--out RESULTS`), and the bundle it runs: (results path, bundle)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", required=True, help="the results file to write")
    return parser.parse_args().out, load_bundle()


def fail(message: str) -> None:
    """Stop the runner with one line on stderr, which edgeaccel shows on the host. It exits at once:
    runtime objects' destructors (e.g. a half-loaded delegate's) must not print after it."""
    print(f"{Path(sys.argv[0]).name}: {message}", file=sys.stderr, flush=True)
    os._exit(1)


def latency_summary(seconds: list[float]) -> dict:
    """Per-sample latency (one sample at a time) and the throughput that gives."""
    if not seconds:
        fail("expected at least one timed sample, received none")
    ordered = sorted(seconds)
    total = sum(ordered)
    return {
        "samples": len(ordered),
        "mean_ms": 1e3 * total / len(ordered),
        "p50_ms": 1e3 * _percentile(ordered, 50),
        "p99_ms": 1e3 * _percentile(ordered, 99),
        "min_ms": 1e3 * ordered[0],
        "max_ms": 1e3 * ordered[-1],
        "throughput_per_s": len(ordered) / total if total > 0 else float("inf"),
        "batch": 1,
    }


def write_results(path: str, outputs: list, timing: dict, runtime: str, **about) -> None:
    """Write the results file atomically: a half-written file never appears under `path`."""
    results = {
        "outputs": outputs,
        "timing": timing,
        "runtime": runtime,
        "machine": platform.machine(),
        "python": platform.python_version(),
        **about,
    }
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(json.dumps(results))
    os.replace(partial, target)


def _percentile(ordered: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (NumPy's default method)."""
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

"""edgeaccel deploy runner for the csim bundle: the hls4ml firmware compiled on the board with its own
g++ and run there on the golden inputs. It checks the fixed-point numerics on the target CPU
without a bitstream. Standalone: the Python standard library and a C++ compiler, never edgeaccel.

    python3 csim_runner.py --out results.json

CXX (default g++) and CXXFLAGS (default -O2 -std=c++17) are taken from the environment. The
program is built once per release (build/csim_runner) and reused by later runs.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from edgeaccel_results import HERE, fail, latency_summary, start, write_results

BUILD = HERE / "build"


def compiler() -> list[str]:
    return shlex.split(os.environ.get("CXX", "g++"))


def build(spec: dict) -> Path:
    program = BUILD / "csim_runner"
    if program.is_file():
        return program
    project = spec["project"]
    cxx = compiler()
    flags = [*shlex.split(os.environ.get("CXXFLAGS", "-O2 -std=c++17")),
             f"-I{project}", f"-I{project}/firmware", f"-I{project}/firmware/ap_types",
             f'-DWEIGHTS_DIR="{project}/firmware/weights"',
             f"-DEDGEACCEL_N_IN={int(spec['n_in'])}", f"-DEDGEACCEL_N_OUT={int(spec['n_out'])}"]
    sources = ["csim_runner.cpp", *sorted(str(p.relative_to(HERE)) for p in (HERE / project / "firmware").glob("*.cpp"))]
    BUILD.mkdir(exist_ok=True)
    objects = [str(BUILD / f"{index}-{Path(source).stem}.o") for index, source in enumerate(sources)]
    commands = [[*cxx, *flags, "-c", source, "-o", obj] for source, obj in zip(sources, objects)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(_compile, commands))
    partial = BUILD / "csim_runner.partial"
    _compile([*cxx, *objects, "-o", str(partial)])
    os.replace(partial, program)
    return program


def _compile(command: list[str]) -> None:
    try:
        subprocess.run(command, cwd=HERE, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        fail(f"expected the C++ compiler {command[0]!r} on the board (e.g. apt install g++), received none")
    except subprocess.CalledProcessError as e:
        tail = " | ".join((e.stderr or e.stdout or "").strip().splitlines()[-5:])
        fail(f"{command[0]} failed (exit {e.returncode}) on {command[-3]}: {tail}")


def main() -> None:
    out, bundle = start(__doc__.splitlines()[0])
    spec = bundle["runner_args"]
    program = build(spec)
    outputs_path, latency_path = BUILD / "outputs.txt", BUILD / "latency_ns.txt"
    run = subprocess.run([str(program), bundle["golden"]["inputs"], str(outputs_path), str(latency_path)],
                         cwd=HERE, capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"csim_runner failed (exit {run.returncode}): {' | '.join(run.stderr.strip().splitlines()[-5:])}")
    outputs = [[float(v) for v in line.split()] for line in outputs_path.read_text().splitlines() if line.strip()]
    seconds = [int(v) * 1e-9 for v in latency_path.read_text().split()]
    version = subprocess.run([*compiler(), "--version"], capture_output=True, text=True).stdout.splitlines()
    write_results(out, outputs, latency_summary(seconds), version[0] if version else "unknown compiler")


if __name__ == "__main__":
    main()

"""The tensor arena a model needs under TFLite Micro, measured with tflite-micro's host interpreter.

1. The interpreter's RecordingMicroAllocator reports the arena it used (`print_allocations`) after
   one inference in a generous arena (tflite-micro's default of 10x the model, at least 64 KiB,
   and 4x larger again while that fails to allocate, up to 256 MiB).
2. That record leaves out temporary allocations made during Prepare (tflite-micro#2738): on the
   digits MLP it reports 3,264 bytes, while 4,128 is the smallest arena that allocates. So the
   smallest arena in which the interpreter allocates and invokes is searched for, upwards from the
   record, in 16-byte steps. Every probe runs in a child process, because some undersized arenas
   crash the interpreter instead of failing cleanly (tflite-micro#2037).
3. The arena written into main.cc and artifact.json is that minimum plus a margin of 25% (at least
   1 KiB), rounded up to 16 bytes. The margin covers optimized kernels (CMSIS-NN, ESP-NN) whose
   scratch buffers differ from the host's reference kernels, and other TFLM versions. The host is
   64-bit, so its structs are larger than a 32-bit MCU's: the host figure errs on the safe side.
"""

import logging
import math
import os
import re
import subprocess
import sys
from pathlib import Path

from edgeaccel.errors import ToolError

log = logging.getLogger(__name__)

ALIGNMENT = 16
MARGIN_FRACTION = 0.25
MARGIN_MIN_BYTES = 1024
GENEROUS_MIN_BYTES = 64 * 1024
GENEROUS_MAX_BYTES = 256 * 1024 * 1024
_RECORDED = re.compile(r"Arena allocation (total|head|tail) (\d+) bytes")


def measure_arena(model_path: Path) -> dict:
    """The recorded, minimum working and recommended (margin included) arena sizes, in bytes."""
    model_path = Path(model_path)
    generous = round_up(max(10 * model_path.stat().st_size, GENEROUS_MIN_BYTES))
    ok, output = arena_works(model_path, generous)
    while not ok and generous < GENEROUS_MAX_BYTES and "allocate" in output:
        generous *= 4
        ok, output = arena_works(model_path, generous)
    if not ok:
        raise ToolError(f"tflite-micro: expected the host interpreter to run {model_path.name} in a {generous}-byte arena, "
                        f"received a failure: {_tail(output)}")
    recorded = {kind: int(value) for kind, value in _RECORDED.findall(output)}
    if "total" not in recorded:
        raise ToolError(f"tflite-micro: expected print_allocations() to report 'Arena allocation total', received: {_tail(output)}")
    minimum = _smallest_working_arena(model_path, round_up(recorded["total"]), generous)
    arena = round_up(max(math.ceil(minimum * (1 + MARGIN_FRACTION)), minimum + MARGIN_MIN_BYTES))
    ok, output = arena_works(model_path, arena)
    if not ok:
        raise ToolError(f"tflite-micro: expected the {arena}-byte arena (minimum {minimum} + margin) to work, received: {_tail(output)}")
    log.info("tflm: arena %d bytes recorded, %d bytes needed (Prepare temporaries included), %d bytes with the margin",
             recorded["total"], minimum, arena)
    return {
        "arena_bytes": arena,
        "minimum_bytes": minimum,
        "recorded_bytes": recorded["total"],
        "recorded_head_bytes": recorded.get("head"),
        "recorded_tail_bytes": recorded.get("tail"),
        "margin": f"{MARGIN_FRACTION:.0%} of the minimum, at least {MARGIN_MIN_BYTES} bytes, rounded up to {ALIGNMENT} bytes",
        "method": "tflite-micro host interpreter (64-bit): smallest arena that allocates and invokes, "
                  "found by bisection from the RecordingMicroAllocator total (which omits Prepare temporaries, tflite-micro#2738)",
    }


def round_up(size: int, alignment: int = ALIGNMENT) -> int:
    return -(-int(size) // alignment) * alignment


def _smallest_working_arena(model_path: Path, low: int, high: int) -> int:
    if arena_works(model_path, low)[0]:
        return low
    step = low
    while (candidate := round_up(low + step // 2)) < high:
        if arena_works(model_path, candidate)[0]:
            high = candidate
            break
        low, step = candidate, 2 * step
    while high - low > ALIGNMENT:
        middle = round_up((low + high) // 2)
        if middle >= high:
            break
        if arena_works(model_path, middle)[0]:
            high = middle
        else:
            low = middle
    return high


def arena_works(model_path: Path, arena: int) -> tuple[bool, str]:
    """Allocate and invoke once in a child process; (succeeded, what the interpreter printed)."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "edgeaccel.convert.tflm_arena", str(model_path), str(arena)]
    log.debug("running %s", " ".join(command))
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    return result.returncode == 0, result.stdout + result.stderr


def _tail(output: str) -> str:
    return " | ".join(line for line in output.strip().splitlines()[-4:]) or "no output"


def _run_once(model_path: str, arena: int) -> int:
    import numpy as np
    from tflite_micro.python.tflite_micro import runtime

    try:
        interpreter = runtime.Interpreter.from_file(model_path, arena_size=arena)
        detail = interpreter.get_input_details(0)
        interpreter.set_input(np.zeros(detail["shape"], dtype=detail["dtype"]), 0)
        interpreter.invoke()
    except (RuntimeError, ValueError) as e:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1
    sys.stderr.flush()
    interpreter.print_allocations()
    return 0


if __name__ == "__main__":
    sys.exit(_run_once(sys.argv[1], int(sys.argv[2])))

"""The tensor arena a model needs under TFLite Micro, measured with tflite-micro's host interpreter.

1. The interpreter's RecordingMicroAllocator reports the arena it used (`print_allocations`) after
   one inference in a generous arena (tflite-micro's default of 10x the model, at least 64 KiB,
   and 4x larger again while the interpreter says the arena is too small, up to 256 MiB).
2. That record leaves out temporary allocations made during Prepare (tflite-micro#2738): on the
   digits MLP it reports 3,264 bytes, while 4,128 is the smallest arena that allocates. So the
   smallest arena in which the interpreter allocates and invokes is searched for, upwards from the
   record, in 16-byte steps. Every probe runs in a process of its own, because some undersized
   arenas crash the interpreter instead of failing cleanly (tflite-micro#2037): one child process
   loads tflite-micro once and forks a fresh copy of itself per probe.
3. The arena written into main.cc and artifact.json is that minimum plus a margin of 25% (at least
   1 KiB), rounded up to 16 bytes. The margin covers optimized kernels (CMSIS-NN, ESP-NN) whose
   scratch buffers differ from the host's reference kernels, and other TFLM versions. The host is
   64-bit, so its structs are larger than a 32-bit MCU's: the host figure errs on the safe side.

A failure that is not about the arena's size (an op that refuses its tensors in Prepare, such as a
FULLY_CONNECTED whose bias scale is not its input scale times its weight scale) is refused at once
with the op and TFLM's reason (ModelError), without growing the arena.
"""

import json
import logging
import math
import os
import re
import subprocess
import sys
from pathlib import Path

from edgeaccel.errors import ModelError, ToolError

log = logging.getLogger(__name__)

ALIGNMENT = 16
MARGIN_FRACTION = 0.25
MARGIN_MIN_BYTES = 1024
GENEROUS_MIN_BYTES = 64 * 1024
GENEROUS_MAX_BYTES = 256 * 1024 * 1024
_RECORDED = re.compile(r"Arena allocation (total|head|tail) (\d+) bytes")
# What TFLM's arena allocators print when the arena is too small (arena_allocator/*.cc, micro_allocator.cc).
_TOO_SMALL = re.compile(r"Failed to (allocate|resize)|missing: \d+")
_NODE_FAILED = re.compile(r"Node (\w+) \(number (\d+)\) failed to (prepare|invoke)")
_CHECK_FAILED = re.compile(r"(\S+:\d+ .+ was not true\.?|\S+:\d+ .+ != .+ \(.*\))")


def measure_arena(model_path: Path) -> dict:
    """The recorded, minimum working and recommended (margin included) arena sizes, in bytes.
    Raises ModelError when TFLM refuses the model whatever the arena, ToolError when the interpreter fails otherwise."""
    model_path = Path(model_path)
    with ArenaProbe(model_path) as works:
        generous = round_up(max(10 * model_path.stat().st_size, GENEROUS_MIN_BYTES))
        ok, output = works(generous)
        while not ok and arena_too_small(output) and generous < GENEROUS_MAX_BYTES:
            generous *= 4
            ok, output = works(generous)
        if not ok:
            raise refusal(model_path, generous, output)
        recorded = {kind: int(value) for kind, value in _RECORDED.findall(output)}
        if "total" not in recorded:
            raise ToolError(f"tflite-micro: expected print_allocations() to report 'Arena allocation total', received: {_tail(output)}")
        minimum = _smallest_working_arena(works, round_up(recorded["total"]), generous)
        arena = round_up(max(math.ceil(minimum * (1 + MARGIN_FRACTION)), minimum + MARGIN_MIN_BYTES))
        ok, output = works(arena)
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


def arena_too_small(output: str) -> bool:
    """Whether the interpreter's output says that the arena was too small."""
    return bool(_TOO_SMALL.search(output))


def refusal(model_path: Path, arena: int, output: str):
    """The error for a model the interpreter could not run in `arena` bytes: the op and TFLM's reason when an op
    refused it (ModelError: no arena size fixes that), else what the interpreter said (ToolError)."""
    node = _NODE_FAILED.search(output)
    if node and not arena_too_small(output):
        op, number, stage = node.groups()
        check = _CHECK_FAILED.search(output[:node.start()])
        reason = check.group(1) if check else "no reason printed"
        return ModelError(f"tflite-micro: expected {op} (op {number}) of {model_path.name} to {stage}, received a refusal "
                          f"that no arena size fixes: {reason}")
    return ToolError(f"tflite-micro: expected the host interpreter to run {model_path.name} in a {arena}-byte arena, "
                     f"received a failure: {_tail(output)}")


def round_up(size: int, alignment: int = ALIGNMENT) -> int:
    return -(-int(size) // alignment) * alignment


def arena_works(model_path: Path, arena: int) -> tuple[bool, str]:
    """Allocate and invoke once in a process of its own; (succeeded, what the interpreter printed)."""
    with ArenaProbe(Path(model_path)) as works:
        return works(arena)


class ArenaProbe:
    """`probe(arena) -> (succeeded, output)`: one child process holds tflite-micro and the model, and forks a fresh
    copy of itself for every probe, so a probe that crashes the interpreter costs only that copy."""

    def __init__(self, model_path: Path):
        self.model_path = Path(model_path)
        self.process = None

    def __enter__(self):
        package_root = str(Path(__file__).resolve().parents[2])
        env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
                            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        command = [sys.executable, "-m", "edgeaccel.convert.tflm_arena", str(self.model_path)]
        log.debug("running %s", " ".join(command))
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env=env)
        return self

    def __call__(self, arena: int) -> tuple[bool, str]:
        try:
            self.process.stdin.write(f"{int(arena)}\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            self.process.kill()
            raise ToolError(f"tflite-micro: expected the arena probe for {self.model_path.name} to answer, received its exit "
                            f"({_tail(self.process.stderr.read())})")
        answer = json.loads(line)
        return answer["ok"], answer["output"]

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.stdout.close()
        self.process.stderr.close()
        return False


def _smallest_working_arena(works, low: int, high: int) -> int:
    if works(low)[0]:
        return low
    step = low
    while (candidate := round_up(low + step // 2)) < high:
        if works(candidate)[0]:
            high = candidate
            break
        low, step = candidate, 2 * step
    while high - low > ALIGNMENT:
        middle = round_up((low + high) // 2)
        if middle >= high:
            break
        if works(middle)[0]:
            high = middle
        else:
            low = middle
    return high


def _tail(output: str) -> str:
    return " | ".join(line for line in output.strip().splitlines()[-4:]) or "no output"


def _serve(model_path: str) -> int:
    """The probe process: one arena size per line on stdin, one JSON answer per line on stdout."""
    answers = os.fdopen(os.dup(1), "w")
    model = Path(model_path).read_bytes()
    import numpy  # noqa: F401  (loaded once, before forking)
    from tflite_micro.python.tflite_micro import runtime  # noqa: F401

    for line in sys.stdin:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            os.dup2(write_end, 1)
            os.dup2(write_end, 2)
            code = _run_once(model, int(line))
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            output = pipe.read().decode(errors="replace")
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            output += f"\nthe interpreter crashed (signal {os.WTERMSIG(status)})"
        answers.write(json.dumps({"ok": os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "output": output}) + "\n")
        answers.flush()
    return 0


def _run_once(model: bytes, arena: int) -> int:
    import numpy as np
    from tflite_micro.python.tflite_micro import runtime

    try:
        interpreter = runtime.Interpreter.from_bytes(model, arena_size=arena)
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
    sys.exit(_serve(sys.argv[1]))

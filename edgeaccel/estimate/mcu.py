"""Whether a TFLite Micro artifact fits a microcontroller: flash and RAM against the board's budget.
A pure analysis of the tflm artifact's details, plus a text renderer.

- Flash = the model + the TFLM framework + each distinct op's kernel + the code that a family of
  kernels shares (convolutions, pooling, elementwise arithmetic, exp/tanh), counted once per family. The model is the section
  arm-none-eabi-g++ produced for model_data.cc when it was installed at convert time, otherwise the
  C array's size. The framework and kernel figures are measured, not guessed: they come from real
  arm-none-eabi links of edgeaccel's own main.cc against TFLM built for Cortex-M4F
  (`data/tflm_flash_cortex_m4f.json` beside this file says how they were measured: a least-squares fit
  on links of many op subsets, and records the whole-model links the estimate is checked against). Reference kernels by default; `kernels="cmsis_nn"`
  (`--kernels cmsis_nn` at convert) uses the CMSIS-NN build's figures. Other Cortex-M cores use the same figures (their code differs
  by a few percent); an op without a measured figure gets the largest measured kernel, and is named.
- RAM = the tensor arena (measured on the host, margin included) + the framework's static data
  (the interpreter, allocator and resolver objects of main.cc, measured in the same links) + a stack
  allowance for one inference.
- Not counted: your application, an RTOS, the board support code and their buffers.
"""

import json
from functools import cache
from importlib import resources

from edgeaccel.boards import Board
from edgeaccel.errors import ConfigError

KIB = 1024
CALIBRATION = "tflm_flash_cortex_m4f.json"
STACK_RAM_BYTES = 2 * KIB


@cache
def calibration() -> dict:
    """The measured TFLM flash and RAM figures (see the file's `how` entry)."""
    return json.loads(resources.files("edgeaccel.estimate").joinpath("data", CALIBRATION).read_text())


def flash_parts(ops: list[str], model_bytes: int, kernels: str = "reference") -> tuple[dict, dict, list[str]]:
    """(flash parts, kernel bytes per op, ops without a measured figure) of a model with these distinct ops."""
    if kernels not in calibration()["kernels"]:
        raise ConfigError(f"kernels: expected one of {', '.join(calibration()['kernels'])} (the measured TFLM builds), received {kernels!r}")
    measured = calibration()["kernels"][kernels]
    largest = max(measured["ops"].values())
    per_op = {op: measured["ops"].get(op, largest) for op in ops}
    for name, group in measured["shared_groups"].items():
        if set(group["ops"]) & set(ops):
            per_op[f"{name} (shared)"] = group["bytes"]
    unmeasured = [op for op in ops if op not in measured["ops"]]
    parts = {"model": model_bytes, "tflm_framework": measured["framework_bytes"], "op_kernels": sum(per_op.values())}
    return parts, per_op, unmeasured


def estimate_mcu(details, board: Board, kernels: str | None = None) -> dict:
    """Flash and RAM used against the board's budget, with percentages, a verdict and the MAC count.
    `kernels`: reference or cmsis_nn; by default the kernels the artifact was converted for."""
    kernels = kernels or details.get("kernels") or "reference"
    if board.kind != "mcu":
        raise ConfigError(f"--board: expected an MCU board for a tflm artifact, received {board.name!r} (kind {board.kind})")
    cross = details.get("cross_compile") or {}
    model_flash = cross["flash_bytes"] if cross.get("available") else details["bytes"]
    flash, per_op, unmeasured = flash_parts(details["ops"], model_flash, kernels)
    measured = calibration()["kernels"][kernels]
    ram = {"tensor_arena": details["arena"]["arena_bytes"], "tflm_static": measured["static_ram_bytes"], "stack": STACK_RAM_BYTES}
    if cross.get("available") and cross.get("ram_bytes"):
        ram["model_data"] = cross["ram_bytes"]
    budget = {"flash": board.mcu.flash_kb * KIB, "ram": board.mcu.ram_kb * KIB}
    memory = {kind: _usage(parts, budget[kind]) for kind, parts in (("flash", flash), ("ram", ram))}
    over = [kind for kind, usage in memory.items() if usage["used"] > usage["available"]]
    source = calibration()
    assumptions = (f"flash: model + TFLM framework + each op's kernel ({kernels} kernels), measured in arm-none-eabi links for "
                   f"Cortex-M4F ({source['toolchain']}, {source['tflm']}, newlib-nano, --gc-sections); RAM: arena + TFLM static "
                   f"data + {STACK_RAM_BYTES // KIB} KiB stack; application, RTOS and board support not counted")
    if board.mcu.core != "cortex-m4f":
        assumptions += f"; the kernel figures are Cortex-M4F's, {board.mcu.core} code differs"
    if unmeasured:
        assumptions += f"; no measured figure for {', '.join(unmeasured)}: counted as the largest measured kernel"
    return {
        "kind": "mcu",
        "board": board.name,
        "chip": board.mcu.chip,
        "core": board.mcu.core,
        "clock_mhz": board.mcu.clock_mhz,
        "kernels": kernels,
        "flash": memory["flash"],
        "ram": memory["ram"],
        "model_flash_source": (f"measured: {cross['compiler'].split()[0]} section sizes of model_data.o" if cross.get("available")
                               else "the C array's size (" + cross.get("reason", "not cross-compiled") + ")"),
        "kernel_flash": per_op,
        "unmeasured_ops": unmeasured,
        "macs": int(details["macs"]),
        "assumptions": assumptions,
        "fits": not over,
        "over_budget": over,
        "verdict": "fits" if not over else "does not fit: " + ", ".join(f"{k.upper()} {memory[k]['percent']}%" for k in over),
    }


def _usage(parts: dict, available: int) -> dict:
    used = sum(parts.values())
    return {"used": used, "available": available, "percent": round(100.0 * used / available, 1), "parts": parts}


def render_mcu_estimate(estimate: dict) -> str:
    """The estimate as text: flash and RAM with their parts, against the budget, and the verdict."""
    lines = [f"{estimate['board']} ({estimate['chip']}, {estimate['core']}, {estimate['clock_mhz']:g} MHz)", "",
             f"{'memory':<7} {'used':>10} {'available':>10} {'percent':>8}   parts"]
    for kind in ("flash", "ram"):
        usage = estimate[kind]
        parts = ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in usage["parts"].items())
        flag = "  <-- over budget" if kind in estimate["over_budget"] else ""
        lines.append(f"{kind.upper():<7} {usage['used']:>10} {usage['available']:>10} {usage['percent']:>7}%   {parts}{flag}")
    kernels = ", ".join(f"{op} {size}" for op, size in estimate["kernel_flash"].items())
    lines += ["", f"model flash: {estimate['model_flash_source']}",
              f"op kernels ({estimate['kernels']}): {kernels}",
              f"multiply-accumulates per inference: {estimate['macs']}",
              f"assumptions: {estimate['assumptions']}",
              f"verdict: {estimate['verdict']}"]
    return "\n".join(lines)

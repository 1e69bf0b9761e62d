"""Whether a TFLite Micro artifact fits a microcontroller: flash and RAM against the board's budget.
A pure analysis of the tflm artifact's details, plus a text renderer.

- Flash = the model + the TFLM runtime. The model is the section arm-none-eabi-g++ produced for
  model_data.cc when it was installed at convert time, otherwise the C array's size. The runtime
  allowance is 20 KiB for the framework (the upper end of the 10-20 KB tflite-micro's
  examples/memory_footprint reports) plus 4 KiB per distinct op kernel (8 KiB for convolutions,
  whose optimized int8 kernels are the largest). The kernel figures are planning figures.
- RAM = the tensor arena (measured on the host, margin included) + 4 KiB for the interpreter and
  op-resolver objects and the stack of an inference.
- Not counted: your application, an RTOS, the board support code and their buffers.
"""

from edgeaccel.boards import Board
from edgeaccel.errors import ConfigError

KIB = 1024
FRAMEWORK_FLASH_BYTES = 20 * KIB
KERNEL_FLASH_BYTES = 4 * KIB
LARGE_KERNEL_FLASH_BYTES = {"CONV_2D": 8 * KIB, "DEPTHWISE_CONV_2D": 8 * KIB, "TRANSPOSE_CONV": 8 * KIB}
RUNTIME_RAM_BYTES = 4 * KIB


def estimate_mcu(details: dict, board: Board) -> dict:
    """Flash and RAM used against the board's budget, with percentages, a verdict and the MAC count."""
    if board.kind != "mcu":
        raise ConfigError(f"--board: expected an MCU board for a tflm artifact, received {board.name!r} (kind {board.kind})")
    cross = details.get("cross_compile") or {}
    model_flash = cross["flash_bytes"] if cross.get("available") else details["bytes"]
    kernels = {op: LARGE_KERNEL_FLASH_BYTES.get(op, KERNEL_FLASH_BYTES) for op in details["ops"]}
    flash_parts = {"model": model_flash, "tflm_framework": FRAMEWORK_FLASH_BYTES, "op_kernels": sum(kernels.values())}
    ram_parts = {"tensor_arena": details["arena"]["arena_bytes"], "runtime": RUNTIME_RAM_BYTES}
    if cross.get("available") and cross.get("ram_bytes"):
        ram_parts["model_data"] = cross["ram_bytes"]
    budget = {"flash": board.mcu.flash_kb * KIB, "ram": board.mcu.ram_kb * KIB}
    memory = {kind: _usage(parts, budget[kind]) for kind, parts in (("flash", flash_parts), ("ram", ram_parts))}
    over = [kind for kind, usage in memory.items() if usage["used"] > usage["available"]]
    return {
        "kind": "mcu",
        "board": board.name,
        "chip": board.mcu.chip,
        "core": board.mcu.core,
        "clock_mhz": board.mcu.clock_mhz,
        "flash": memory["flash"],
        "ram": memory["ram"],
        "model_flash_source": (f"measured: {cross['compiler'].split()[0]} section sizes of model_data.o" if cross.get("available")
                               else "the C array's size (" + cross.get("reason", "not cross-compiled") + ")"),
        "kernel_allowance": kernels,
        "macs": int(details["macs"]),
        "assumptions": (f"flash: model + {FRAMEWORK_FLASH_BYTES // KIB} KiB TFLM framework + {KERNEL_FLASH_BYTES // KIB} KiB "
                        f"per op kernel (8 KiB for convolutions); RAM: arena + {RUNTIME_RAM_BYTES // KIB} KiB runtime; "
                        "application, RTOS and board support not counted"),
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
    lines += ["", f"model flash: {estimate['model_flash_source']}",
              f"multiply-accumulates per inference: {estimate['macs']}",
              f"assumptions: {estimate['assumptions']}",
              f"verdict: {estimate['verdict']}"]
    return "\n".join(lines)

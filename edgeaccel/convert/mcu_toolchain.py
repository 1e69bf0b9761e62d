"""Compiler flags per MCU core, and cross-compiling the generated model_data.cc with
arm-none-eabi-g++ (Debian package gcc-arm-none-eabi) to measure the model's real flash footprint."""

import logging
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from edgeaccel.tools import run_tool

log = logging.getLogger(__name__)

CROSS_CXX = "arm-none-eabi-g++"
CROSS_SIZE = "arm-none-eabi-size"
CROSS_READELF = "arm-none-eabi-readelf"
CROSS_FLAGS = ("-Os", "-std=c++17", "-fdata-sections", "-ffunction-sections")


@dataclass(frozen=True)
class Core:
    gcc_flags: tuple[str, ...] | None
    tflm_target_arch: str | None
    toolchain: str


CORES = {
    "cortex-m0plus": Core(("-mcpu=cortex-m0plus", "-mthumb", "-mfloat-abi=soft"), "cortex-m0plus", CROSS_CXX),
    "cortex-m4": Core(("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft"), "cortex-m4", CROSS_CXX),
    "cortex-m4f": Core(("-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"), "cortex-m4+fp", CROSS_CXX),
    "cortex-m7": Core(("-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"), "cortex-m7+fp", CROSS_CXX),
    "xtensa-lx7": Core(None, None, "ESP-IDF's xtensa-esp32s3-elf-g++ with the esp-tflite-micro component"),
}


def core_for(name: str) -> Core:
    return CORES.get(name, Core(None, None, f"a toolchain for {name} (edgeaccel knows no compiler flags for it)"))


def cross_compile_model_data(source_dir: Path, core_name: str) -> dict:
    """Sections of model_data.o built for the core, or why it was not built."""
    core = core_for(core_name)
    if core.gcc_flags is None:
        return {"available": False, "reason": f"{core_name} is not an Arm Cortex-M core: build with {core.toolchain}"}
    if shutil.which(CROSS_CXX) is None:
        return {"available": False,
                "reason": f"{CROSS_CXX} is not on PATH (Debian package gcc-arm-none-eabi): flash figures use the C array's size"}
    with tempfile.TemporaryDirectory(prefix="edgeaccel-mcu-") as build:
        obj = Path(build) / "model_data.o"
        command = [CROSS_CXX, *core.gcc_flags, *CROSS_FLAGS, "-c", str(Path(source_dir) / "model_data.cc"), "-o", str(obj)]
        log.info("tflm: cross-compiling model_data.cc for %s", core_name)
        run_tool(command)
        sections = _sections(run_tool([CROSS_SIZE, "-A", "-d", str(obj)]).stdout)
        alignment = _alignments(run_tool([CROSS_READELF, "-S", "-W", str(obj)]).stdout)
        version = run_tool([CROSS_CXX, "--version"]).stdout.splitlines()[0]
    in_flash = {name: size for name, size in sections.items() if name.startswith((".text", ".rodata", ".data")) and size}
    in_ram = {name: size for name, size in sections.items() if name.startswith((".data", ".bss")) and size}
    return {
        "available": True,
        "compiler": version,
        "command": [Path(command[0]).name, *core.gcc_flags, *CROSS_FLAGS, "-c", "model_data.cc"],
        "sections": in_flash,
        "model_section_alignment": alignment.get(".rodata.g_model_data"),
        "flash_bytes": sum(in_flash.values()),
        "ram_bytes": sum(in_ram.values()),
    }


def _sections(size_output: str) -> dict[str, int]:
    rows = (re.match(r"^(\.\S+)\s+(\d+)\s+\d+\s*$", line) for line in size_output.splitlines())
    return {row.group(1): int(row.group(2)) for row in rows if row}


def _alignments(readelf_output: str) -> dict[str, int]:
    alignments = {}
    for line in readelf_output.splitlines():
        fields = line.split("]", 1)[-1].split()
        if line.strip().startswith("[") and len(fields) >= 9 and fields[0].startswith("."):
            alignments[fields[0]] = int(fields[-1])
    return alignments

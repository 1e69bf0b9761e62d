"""Board files (`boards/NAME.yaml`): pure data, loaded into frozen records that check themselves.

Importing this module must stay cheap: `edgeaccel boards` never imports TensorFlow.
"""

import os
from pathlib import Path
from typing import Annotated, Literal

import pydantic
from pydantic import Field, PositiveInt

from edgeaccel.errors import ConfigError
from edgeaccel.yamlschema import Strict, load_record, read_yaml

BOARDS_DIR = Path(os.environ.get("EDGEACCEL_BOARDS", Path(__file__).resolve().parent.parent / "boards"))

Count = Annotated[int, Field(ge=0)]


class FpgaResources(Strict):
    lut: PositiveInt
    ff: PositiveInt
    bram18: Count
    dsp: Count
    uram: Count = 0


class FpgaSpec(Strict):
    part: str
    clock_mhz: Annotated[float, Field(gt=0)]
    backend: Literal["VivadoAccelerator", "Vitis", "Vivado"]
    accelerator_board: str | None = Field(None, description="hls4ml VivadoAccelerator board name, e.g. pynq-z2")
    resources: FpgaResources


class McuSpec(Strict):
    chip: str
    core: str
    clock_mhz: Annotated[float, Field(gt=0)]
    flash_kb: PositiveInt
    ram_kb: PositiveInt


class LinuxSpec(Strict):
    arch: Literal["aarch64", "armv7l", "x86_64"]
    runtimes: list[Literal["tflite_runtime", "ai_edge_litert", "tensorflow", "pynq", "g++"]]


class EdgeTpuSpec(Strict):
    attachment: Literal["soc", "usb", "pcie"]
    tops: Annotated[float, Field(gt=0)] = 4.0


class SshDefaults(Strict):
    user: str
    port: Annotated[int, Field(ge=1, le=65535)] = 22
    workdir: str
    python: str = "python3"


class Board(Strict):
    name: str
    aliases: list[str] = []
    kind: Literal["fpga", "mcu", "linux", "edgetpu"]
    description: str
    source: str = Field(description="where the figures come from")
    fpga: FpgaSpec | None = None
    mcu: McuSpec | None = None
    linux: LinuxSpec | None = None
    edgetpu: EdgeTpuSpec | None = None
    ssh: SshDefaults | None = None

    @pydantic.model_validator(mode="after")
    def _sections_match_kind(self):
        needed = {"fpga": ["fpga"], "mcu": ["mcu"], "linux": ["linux", "ssh"], "edgetpu": ["linux", "edgetpu", "ssh"]}
        missing = [section for section in needed[self.kind] if getattr(self, section) is None]
        if missing:
            raise ValueError(f"a board of kind {self.kind!r} to have a {' and a '.join(missing)} section")
        if self.kind == "mcu" and self.ssh is not None:
            raise ValueError("an mcu board to have no ssh section (it is flashed, not reached over SSH)")
        return self


def board_names() -> list[str]:
    return sorted(path.stem for path in BOARDS_DIR.glob("*.yaml"))


def load_board(name: str) -> Board:
    """Load a board by its file name or one of its aliases (`pynq` for `pynq-z2`)."""
    path = BOARDS_DIR / f"{name}.yaml"
    if not path.is_file():
        path = _path_for_alias(name)
    board = load_record(path, Board)
    if board.name != path.stem:
        raise ConfigError(f"{path}: name: expected {path.stem!r} (the file's name), received {board.name!r}")
    return board


def load_all_boards() -> list[Board]:
    return [load_board(name) for name in board_names()]


def _path_for_alias(alias: str) -> Path:
    for path in sorted(BOARDS_DIR.glob("*.yaml")):
        aliases = (read_yaml(path) or {}).get("aliases", []) if path.is_file() else []
        if isinstance(aliases, list) and alias in aliases:
            return path
    raise ConfigError(f"unknown board: expected one of {', '.join(board_names())}, received {alias!r}")

"""Board files (`boards/NAME.yaml`): pure data, loaded into frozen records that check themselves.

Importing this module must stay cheap: `edgeaccel boards` never imports TensorFlow.
"""

import os
import re
from pathlib import Path
from typing import Annotated, Literal

import pydantic
from pydantic import Field, PositiveInt

from edgeaccel.errors import ConfigError
from edgeaccel.resources import builtin_boards_dir
from edgeaccel.yamlschema import Strict, load_record, read_yaml

BOARDS_DIR = builtin_boards_dir()
USER_BOARDS_VARIABLE = "EDGEACCEL_BOARDS"
_BOARD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

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


def board_dirs() -> list[Path]:
    """Where board files are looked up: the folders in $EDGEACCEL_BOARDS (os.pathsep-separated, first
    wins), then the boards that ship with edgeaccel. A user's board of the same name takes precedence."""
    user = [Path(part).expanduser() for part in os.environ.get(USER_BOARDS_VARIABLE, "").split(os.pathsep) if part]
    for directory in user:
        if not directory.is_dir():
            raise ConfigError(f"${USER_BOARDS_VARIABLE}: expected folders of board .yaml files, received {str(directory)!r}, "
                              "which is not a folder")
    return user + [BOARDS_DIR]


def board_files() -> dict[str, Path]:
    """Every board file by name; a name found in an earlier folder hides the later ones."""
    found: dict[str, Path] = {}
    for directory in board_dirs():
        for path in sorted(directory.glob("*.yaml")):
            found.setdefault(path.stem, path)
    return dict(sorted(found.items()))


def board_names() -> list[str]:
    return list(board_files())


def load_board(name: str) -> Board:
    """Load a board by its file name or one of its aliases (`pynq` for `pynq-z2`)."""
    if not isinstance(name, str) or not _BOARD_NAME.match(name):
        raise ConfigError(f"board: expected a board name (letters, digits, '.', '_', '-'; see `edgeaccel boards`), "
                          f"received {name!r}")
    files = board_files()
    path = files.get(name) or _path_for_alias(name, files)
    board = load_record(path, Board)
    if board.name != path.stem:
        raise ConfigError(f"{path}: name: expected {path.stem!r} (the file's name), received {board.name!r}")
    return board


def load_all_boards() -> list[Board]:
    return [load_board(name) for name in board_names()]


def _path_for_alias(alias: str, files: dict[str, Path]) -> Path:
    for path in files.values():
        aliases = (read_yaml(path) or {}).get("aliases", [])
        if isinstance(aliases, list) and alias in aliases:
            return path
    raise ConfigError(f"unknown board: expected one of {', '.join(files)}, received {alias!r}")

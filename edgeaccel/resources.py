"""Files that ship inside the package: the board files and edgeaccel's hls templates.

Found through `importlib.resources`, so a wheel installed anywhere works as a checkout does.
"""

from importlib.resources import files
from pathlib import Path


def builtin_boards_dir() -> Path:
    return Path(str(files("edgeaccel") / "board_files"))


def hls_template(*parts: str) -> Path:
    """A file or folder under edgeaccel/hls_templates (csim bridge, testbench makefile, PYNQ driver)."""
    return Path(str(files("edgeaccel").joinpath("hls_templates", *parts)))

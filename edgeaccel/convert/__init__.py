"""Export targets, looked up by name: a QKeras `.h5` in, an artifact directory with `artifact.json` out."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from edgeaccel.artifact import Artifact
from edgeaccel.errors import ConfigError


@dataclass(frozen=True)
class ConvertRequest:
    """What every target receives. `options` holds target-specific settings (e.g. tflite `mode`)."""

    model_path: Path
    out_dir: Path
    board: str | None = None
    calib_path: Path | None = None
    options: dict = field(default_factory=dict)


def _tflite(request: ConvertRequest) -> Artifact:
    from edgeaccel.convert.tflite import convert_tflite

    return convert_tflite(request)


def _hls(request: ConvertRequest) -> Artifact:
    from edgeaccel.convert.hls import convert_hls

    return convert_hls(request)


def _tflm(request: ConvertRequest) -> Artifact:
    from edgeaccel.convert.tflm import convert_tflm

    return convert_tflm(request)


def _edgetpu(request: ConvertRequest) -> Artifact:
    from edgeaccel.convert.edgetpu import convert_edgetpu

    return convert_edgetpu(request)


TARGETS: dict[str, Callable[[ConvertRequest], Artifact]] = {
    "tflite": _tflite,
    "tflm": _tflm,
    "edgetpu": _edgetpu,
    "hls": _hls,
}


def convert(request: ConvertRequest, target: str) -> Artifact:
    if target not in TARGETS:
        raise ConfigError(f"--target: expected one of {', '.join(TARGETS)}, received {target!r}")
    return TARGETS[target](request)

"""Export targets: a QKeras or Keras `.h5` in, an artifact directory with `artifact.json` out.

Each target module (tflite.py, tflm.py, edgetpu.py, hls.py, onnx.py) defines its typed `Options`
and one `Target` record, `TARGET`. `edgeaccel.targets` lists those modules, one line each, and
derives everything else from the records: the CLI flags and help, the project file's `targets`
section, the backend that simulates each artifact, and the report titles.
"""

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import pydantic

from edgeaccel.artifact import Artifact
from edgeaccel.details import Details
from edgeaccel.errors import ConfigError
from edgeaccel.yamlschema import Strict, describe


class TargetOptions(Strict):
    """Base of every target's options. Each field is a CLI flag (`io_type` -> `--io-type`, its
    description the help) and a key of the target's section in a project file."""

    @classmethod
    def of(cls, options: "TargetOptions | dict | None") -> "TargetOptions":
        """`options` checked against this model; a wrong value gives one line naming the flag."""
        if isinstance(options, cls):
            return options
        try:
            return cls.model_validate(dict(options or {}))
        except pydantic.ValidationError as e:
            error = e.errors()[0]
            flag = "--" + str(error["loc"][0]).replace("_", "-") if error["loc"] else "options"
            raise ConfigError(f"{flag}: {describe(error, cls).split(': ', 1)[-1]}") from e


@dataclass(frozen=True)
class ConvertRequest:
    """What to convert, where to, and how.

    model_path: a QKeras or plain Keras model in the Keras-2 HDF5 format.
    out_dir: the artifact directory to write (replaced only when the conversion succeeds).
    board: a board name (`edgeaccel boards`); None takes the target's default board.
    calib_path: a DATA.npz for int8 calibration, golden inputs and data-derived precisions
        (default: calib.npz beside the model).
    options: the target's `Options`, or a dict checked into them (e.g. `{"io_type": "io_stream"}`).
    """

    model_path: Path
    out_dir: Path
    board: str | None = None
    calib_path: Path | None = None
    options: Any = field(default_factory=dict)

    def with_options(self, options_model: type[TargetOptions]) -> "ConvertRequest":
        """The same request with its options checked into `options_model`."""
        return replace(self, options=options_model.of(self.options))


@dataclass(frozen=True)
class Target:
    """One export target, as the rest of edgeaccel sees it.

    simulator: the name of the edgeaccel.sim backend that runs its artifacts, or, for a target that
    brings its own, a callable from the artifact directory to a backend (an object with `predict`).
    board_kinds: the board kinds it builds for (empty: any board, or none).
    bundle_kind: the deploy bundle its artifacts go to a board in (None: not deployable).
    in_new_projects: built by a project file whose `targets` section does not mention it.
    """

    name: str
    title: str
    summary: str
    convert: Callable[[ConvertRequest], Artifact]
    Options: type[TargetOptions]
    Details: type[Details] | None
    simulator: str | Callable[[Path], Any]
    board_kinds: tuple[str, ...] = ()
    default_board: str | None = None
    bundle_kind: str | None = None
    in_new_projects: bool = False

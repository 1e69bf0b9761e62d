"""The project file: what to train, how to quantize it, and which targets to build.

See `examples/digits.yaml` for a commented example; every key is checked here. The `targets`
section has one optional key per export target (edgeaccel.targets); each takes the target's
options and, where the target builds for a board, `board`.
"""

from functools import cache
from pathlib import Path
from typing import Annotated, Any

import pydantic
from pydantic import Field

from edgeaccel.specs import DataSpec, ModelSpec, QuantSpec, TrainingSpec
from edgeaccel.yamlschema import Strict, load_record


@cache
def targets_spec() -> type[Strict]:
    """The `targets` section's record, generated from the target registry."""
    from edgeaccel.targets import targets

    fields: dict[str, Any] = {}
    for name, record in targets().items():
        spec = record.Options
        if record.board_kinds or record.default_board:
            board = Field(record.default_board, description=f"a board of kind {' or '.join(record.board_kinds)}")
            spec = pydantic.create_model(f"{record.Options.__name__}InProject", __base__=record.Options,
                                         board=(str | None, board))
        default = spec() if record.in_new_projects else None
        fields[name] = (spec | None, Field(default, description=record.summary))
    return pydantic.create_model("TargetsSpec", __base__=Strict, **fields)


@cache
def project_record() -> type[Strict]:
    class Project(Strict):
        name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
        data: DataSpec
        model: ModelSpec
        quantization: QuantSpec = QuantSpec()
        training: TrainingSpec = TrainingSpec()
        targets: targets_spec() = targets_spec()()
        base_dir: Path = Field(Path("."), exclude=True, description="the project file's folder; relative paths start here")

        def resolve(self, path: Path | str) -> Path:
            path = Path(path)
            return path if path.is_absolute() else self.base_dir / path

        def target_specs(self) -> dict[str, Any]:
            """The targets this project builds, by name, with their options (and board)."""
            return {name: spec for name, spec in self.targets if spec is not None}

    return Project


def load_project(path: Path | str):
    """The project file at `path`, checked key by key (one line naming the key on a mistake)."""
    path = Path(path)
    return load_record(path, project_record(), base_dir=path.parent)


def __getattr__(name: str):
    if name == "Project":
        return project_record()
    if name == "TargetsSpec":
        return targets_spec()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

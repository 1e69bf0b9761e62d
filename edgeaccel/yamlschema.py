"""Loading YAML files into frozen, self-checking pydantic records, with one-line errors.

Errors name the file, the key path, what was expected and what was received, e.g.
`examples/digits.yaml: training.epochs: expected a valid integer, received 'ten'`.
"""

import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from edgeaccel.errors import ConfigError, received_path

Record = TypeVar("Record", bound=pydantic.BaseModel)


class Strict(pydantic.BaseModel):
    """Base for every file schema: unknown keys are errors, loaded records are immutable."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, strict=False)


def read_yaml(path: Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: expected an existing YAML file, received {received_path(path)}")
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(f"{path}: expected valid YAML, received a syntax error{where}: {problem}") from e


def load_record(path: Path, schema: type[Record], **extra: Any) -> Record:
    """Read `path` and validate it against `schema`; `extra` fills fields the file does not carry."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level, received {_kind(data)}")
    return validate(data | extra, schema, source=str(path))


def validate(data: Any, schema: type[Record], source: str) -> Record:
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as e:
        raise ConfigError(f"{source}: {describe(e.errors()[0], schema)}") from e


def describe(error: dict, schema: type[pydantic.BaseModel]) -> str:
    """One line for one pydantic error: `key.path: expected ..., received ...`."""
    loc = [str(part) for part in error["loc"] if not str(part).startswith("function-")]
    path = ".".join(loc) or "(top level)"
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(schema, error["loc"][:-1])
        hint = f"expected one of {', '.join(allowed)}" if allowed else "expected no such key"
        return f"{path}: unknown key; {hint}, received {loc[-1]!r}"
    if error["type"] == "missing":
        return f"{path}: expected this key, received nothing"
    if error["type"] == "int_parsing_size":
        return f"{path}: expected an integer of a usable size, received {_shown(error.get('input'))}"
    message = error["msg"]
    for prefix in ("Input should be ", "Value error, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    message = message.split(", unable to")[0]
    if not message.startswith("expected"):
        message = f"expected {message}"
    return f"{path}: {message}, received {_shown(error.get('input'))}"


def _allowed_keys(schema: type[pydantic.BaseModel], loc: tuple) -> list[str]:
    """The keys the record at `loc` accepts; dict keys and list indices on the way are skipped."""
    annotation: Any = schema
    for part in loc:
        annotation = _unwrap_optional(annotation)
        if typing.get_origin(annotation) in (dict, list):
            annotation = typing.get_args(annotation)[-1]
        elif isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
            if part not in annotation.model_fields:
                return []
            annotation = annotation.model_fields[part].annotation
        else:
            return []
    annotation = _unwrap_optional(annotation)
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return sorted(annotation.model_fields)
    return []


def _unwrap_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return members[0] if len(members) == 1 else annotation
    return annotation


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    return "nothing (an empty file)" if value is None else f"a {type(value).__name__}"

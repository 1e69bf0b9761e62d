"""The `artifact.json` manifest every convert output directory carries, and reading it back.

A manifest holds its `format` version, the target, the board, every file with its size and
sha256, the source model, and the target's typed details (edgeaccel.details). A reader names the
details record it expects; a manifest of another format, another target or with details that do
not match the record is refused at load, with one line.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pydantic

from edgeaccel.details import BUILTIN_DETAILS, Details
from edgeaccel.errors import ModelError
from edgeaccel.staging import write_text_atomically
from edgeaccel.yamlschema import describe

MANIFEST = "artifact.json"
FORMAT = 2


@dataclass(frozen=True)
class Artifact:
    """A convert output directory, as read from its artifact.json.

    target and board: what it was built for. files: every file's size and sha256. details: the
    target's typed record (edgeaccel.details, or the target module's own). estimate: the estimate
    on its board recorded at convert time (FPGA resources, MCU memory or Edge TPU op mapping), or None.
    """

    directory: Path
    target: str
    board: str | None
    files: dict
    details: Details | dict
    estimate: dict | None = None

    def file(self, name: str) -> Path:
        return self.directory / name


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(directory: Path, target: str, board: str | None, details: Details | dict,
                   source: Path | None = None) -> Artifact:
    """Write artifact.json for every file in `directory`. `details` is the target's record (a dict is
    checked against the built-in record for `target` first, so a writer cannot drift from its readers)."""
    from edgeaccel import __version__

    if isinstance(details, dict) and target in BUILTIN_DETAILS:
        details = BUILTIN_DETAILS[target].model_validate(details)

    files = {
        str(path.relative_to(directory)): {"bytes": path.stat().st_size, "sha256": sha256(path)}
        for path in sorted(directory.rglob("*")) if path.is_file() and path.name != MANIFEST
    }
    manifest = {
        "format": FORMAT,
        "target": target,
        "board": board,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "edgeaccel": __version__,
        "source": {"file": source.name, "sha256": sha256(source)} if source else None,
        "files": files,
        target: details.to_dict() if isinstance(details, Details) else details,
    }
    write_json(directory / MANIFEST, manifest)
    return Artifact(directory, target, board, files, details)


def read_artifact(path: Path | str, *expected: type[Details]) -> Artifact:
    """Load `path`/artifact.json. With `expected` records, the artifact must be of one of their targets
    and its details must match that record; without, built-in targets' details are typed too."""
    directory = Path(path)
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        what = "a directory" if directory.is_dir() else "a file" if directory.exists() else "a path that does not exist"
        raise ModelError(f"{directory}: expected a convert output directory with {MANIFEST}, received {what} without one")
    try:
        manifest = json.loads(manifest_path.read_text())
        target = manifest["target"]
        raw = manifest[target]
        files = manifest["files"]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise ModelError(f"{manifest_path}: expected a manifest with target, files and details, received a malformed file ({e})") from e
    if manifest.get("format") != FORMAT:
        raise ModelError(f"{manifest_path}: expected artifact format {FORMAT}, received format {manifest.get('format', 1)} "
                         f"(written by edgeaccel {manifest.get('edgeaccel', '0.1')}); convert the model again")
    if expected:
        allowed = {name: record for record in expected for name in record.TARGETS}
        if target not in allowed:
            raise ModelError(f"{directory}: expected {_a(_one_of(list(allowed)))} artifact, received {_a(target)} artifact")
        record = allowed[target]
    else:
        record = BUILTIN_DETAILS.get(target)
    details = _typed(record, raw, manifest_path) if record else raw
    return Artifact(directory, target, manifest.get("board"), files, details, manifest.get("estimate"))


def record_estimate(artifact: Artifact, estimate: dict) -> Artifact:
    """Add the estimate against the artifact's board to its artifact.json (an analysis, kept beside
    the target's details); the files and their hashes are unchanged."""
    path = artifact.directory / MANIFEST
    manifest = json.loads(path.read_text())
    manifest["estimate"] = estimate
    write_json(path, manifest)
    return Artifact(artifact.directory, artifact.target, artifact.board, artifact.files, artifact.details, estimate)


def _one_of(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiouh" else f"a {word}"


def _typed(record: type[Details], raw, source: Path) -> Details:
    try:
        return record.model_validate(raw)
    except pydantic.ValidationError as e:
        raise ModelError(f"{source}: details: {describe(e.errors()[0], record)}") from e


def write_json(path: Path, data: dict) -> None:
    write_text_atomically(path, json.dumps(data, indent=2, sort_keys=False, default=_jsonable) + "\n")


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")

"""The `artifact.json` manifest every convert output directory carries, and reading it back."""

import datetime
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from edgeaccel.errors import ModelError
from edgeaccel.staging import write_text_atomically

MANIFEST = "artifact.json"


@dataclass(frozen=True)
class Artifact:
    directory: Path
    target: str
    board: str | None
    files: dict
    details: dict

    def file(self, name: str) -> Path:
        return self.directory / name


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(directory: Path, target: str, board: str | None, details: dict, source: Path | None = None) -> Artifact:
    from edgeaccel import __version__

    files = {
        str(path.relative_to(directory)): {"bytes": path.stat().st_size, "sha256": sha256(path)}
        for path in sorted(directory.rglob("*")) if path.is_file() and path.name != MANIFEST
    }
    manifest = {
        "target": target,
        "board": board,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "edgeaccel": __version__,
        "source": {"file": source.name, "sha256": sha256(source)} if source else None,
        "files": files,
        target: details,
    }
    write_json(directory / MANIFEST, manifest)
    return Artifact(directory, target, board, files, details)


def read_artifact(path: Path | str) -> Artifact:
    directory = Path(path)
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise ModelError(f"{directory}: expected a convert output directory with {MANIFEST}, received none")
    try:
        manifest = json.loads(manifest_path.read_text())
        return Artifact(directory, manifest["target"], manifest.get("board"), manifest["files"], manifest[manifest["target"]])
    except (json.JSONDecodeError, KeyError) as e:
        raise ModelError(f"{manifest_path}: expected a manifest with target, files and details, received a malformed file ({e})") from e


def write_json(path: Path, data: dict) -> None:
    write_text_atomically(path, json.dumps(data, indent=2, sort_keys=False, default=_jsonable) + "\n")


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")

"""Deploy bundles: what a board needs to run an artifact on golden inputs. A bundle is a directory of
files, a standalone runner script (it never imports edgeaccel) and bundle.json, which lists every
file with its sha256, the runner's arguments, the golden data and the tolerance. What each kind
holds is in kinds.py.

Only regular files inside the artifact go into a bundle: a name in artifact.json that is absolute,
climbs out with `..`, or passes through a symlink is refused (exit 2), and every copy is checked
against the sha256 artifact.json records for it.
"""

import datetime
import hashlib
import json
import logging
import os
import shutil
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import numpy as np

from edgeaccel.artifact import Artifact, sha256
from edgeaccel.deploy.validate import Tolerance
from edgeaccel.errors import ModelError

if TYPE_CHECKING:
    from edgeaccel.deploy.kinds import BundleKind

log = logging.getLogger(__name__)

RUNNERS = Path(__file__).resolve().parent / "runners"
MANIFEST = "bundle.json"
RESULTS = "results.json"
FORMAT = 1


@dataclass(frozen=True)
class Bundle:
    directory: Path
    kind: str
    manifest: dict
    files: dict
    reference: np.ndarray

    @property
    def runner(self) -> str:
        return self.manifest["runner"]

    @property
    def tolerance(self) -> Tolerance:
        return Tolerance(**self.manifest["tolerance"])

    @property
    def reference_name(self) -> str:
        return self.manifest["golden"]["reference_from"]

    @property
    def bytes(self) -> int:
        return sum((self.directory / name).stat().st_size for name in self.files)

    @property
    def directories(self) -> list[str]:
        """Every directory the files need, parents first."""
        found = {str(parent) for name in self.files for parent in PurePosixPath(name).parents if str(parent) != "."}
        return sorted(found, key=lambda d: (d.count("/"), d))

    @property
    def digest(self) -> str:
        return manifest_digest(self.files)

    def archive(self) -> Path:
        """The bundle's files as one uncompressed tar beside the bundle directory (regular files only,
        no owners), written once."""
        path = self.directory.with_name(self.directory.name + ".tar")
        if not path.exists():
            with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as archive:
                for name in self.files:
                    info = archive.gettarinfo(self.directory / name, arcname=name)
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    info.mode = 0o644
                    with open(self.directory / name, "rb") as f:
                        archive.addfile(info, f)
        return path


def manifest_digest(files: dict) -> str:
    """The sha256 of a bundle's file list (name: sha256, bundle.json included); release ids end with it."""
    return hashlib.sha256(json.dumps(sorted(files.items())).encode()).hexdigest()


def build_bundle(artifact: Artifact, board, kind: "BundleKind", x: np.ndarray, directory: Path,
                 bitstream: Path | None = None, golden_source: str | None = None) -> Bundle:
    """Write the bundle into `directory` (which must not exist) and return it."""
    writer = BundleWriter(directory)
    built = kind.build(writer, artifact, board, x, bitstream)
    writer.save("golden/reference.npy", built.golden.reference)
    writer.copy(RUNNERS / kind.runner, kind.runner)
    writer.copy(RUNNERS / "edgeaccel_results.py", "edgeaccel_results.py")
    from edgeaccel import __version__

    manifest = {
        "format": FORMAT,
        "kind": kind.name,
        "board": board.name,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "edgeaccel": __version__,
        "artifact": {"directory": str(artifact.directory), "target": artifact.target, "board": artifact.board},
        "runner": kind.runner,
        "runner_args": built.runner_args,
        "results": RESULTS,
        "golden": {"inputs": built.inputs, "reference": "golden/reference.npy", "samples": int(len(built.golden.inputs)),
                   "reference_from": built.golden.reference_name, "inputs_from": golden_source},
        "tolerance": vars(kind.tolerance),
        "files": writer.files(),
    }
    writer.write_text(MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return Bundle(directory, kind.name, manifest, writer.files(), built.golden.reference)


class BundleWriter:
    def __init__(self, directory: Path):
        directory.mkdir(parents=True)
        self.directory = directory

    def _target(self, name: str) -> Path:
        target = self.directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def copy(self, source: Path, name: str) -> Path:
        return Path(shutil.copyfile(source, self._target(name)))

    def copy_from_artifact(self, artifact: Artifact, name: str, destination: str) -> Path:
        """The artifact's file `name` (see artifact_file) copied to `destination`; the copy is checked
        against the sha256 artifact.json records, so the bundle holds exactly what convert wrote."""
        copy = self.copy(artifact_file(artifact, name), destination)
        recorded, actual = artifact.files[name].get("sha256"), sha256(copy)
        if recorded != actual:
            raise ModelError(f"{artifact.directory / name}: expected sha256 {recorded} (artifact.json), received "
                             f"{actual}; the file changed after convert")
        return copy

    def write_text(self, name: str, text: str) -> None:
        self._target(name).write_text(text)

    def save(self, name: str, array: np.ndarray) -> None:
        np.save(self._target(name), array, allow_pickle=False)

    def files(self) -> dict:
        return {path.relative_to(self.directory).as_posix(): sha256(path)
                for path in sorted(self.directory.rglob("*")) if path.is_file()}


def artifact_file(artifact: Artifact, name: str) -> Path:
    """A file the manifest lists, as a path checked to be a regular file inside the artifact."""
    relative = PurePosixPath(name)
    if not name or relative.is_absolute() or ".." in relative.parts:
        raise ModelError(f"{artifact.directory}/artifact.json: expected file names inside the artifact, received {name!r}")
    if name not in artifact.files:
        raise ModelError(f"{artifact.directory}/artifact.json: expected {name!r} among its files, received "
                         f"{', '.join(list(artifact.files)[:5])}{', ...' if len(artifact.files) > 5 else ''}")
    return inside_artifact(artifact, artifact.directory / name)


def inside_artifact(artifact: Artifact, path: Path) -> Path:
    """`path`, when it is a regular file under the artifact directory reached without any symlink
    (the artifact directory itself may be one)."""
    root = artifact.directory.resolve()
    relative = Path(os.path.relpath(os.path.abspath(path), os.path.abspath(artifact.directory)))
    if not relative.parts or relative.parts[:1] == ("..",) or relative.is_absolute() or relative == Path("."):
        raise ModelError(f"{path}: expected a file inside the artifact {artifact.directory}, received a path outside it")
    current = root
    for part in relative.parts:
        current = current / part
        try:
            mode = current.lstat().st_mode
        except FileNotFoundError:
            raise ModelError(f"{current}: expected the file artifact.json lists, received a path that does not exist") from None
        if stat.S_ISLNK(mode):
            raise ModelError(f"{artifact.directory / relative}: expected a regular file inside the artifact, received a "
                             f"symlink ({current} -> {os.readlink(current)}); deploy uploads no symlinks")
    if not stat.S_ISREG(mode):
        raise ModelError(f"{current}: expected a regular file, received {_file_type(mode)}")
    return current


def _file_type(mode: int) -> str:
    return "a directory" if stat.S_ISDIR(mode) else "a special file (device, FIFO or socket)"

"""Releases on the board, under the deploy's working directory:

    releases/<id>.partial    an upload in progress, or one a lost connection interrupted
    releases/<id>            a bundle whose every file passed a sha256 check on the board and
                             whose validation run agreed with the simulation
    releases/<id>.rejected   a verified bundle whose run failed or disagreed (the newest is kept)
    current -> releases/<id> switched with one rename(2) of a fresh symlink over the old one
    .edgeaccel.lock          the deploy lock (lock.py): every step below runs under it

Nothing here touches `current` until a release is complete, so an interrupted or failed deploy
leaves the board running what it ran before. What a failed deploy leaves behind is removed: its
partial upload at once while the connection is up, else by the next deploy (under the lock, every
`.partial` is a dead deploy's). A release id ends with the first 8 hex digits of the sha256 of its
file list (bundle.json included), so a rollback checks a release's manifest as well as its files.

Every step on the board is an operation of the board agent (agent.py), which holds the lock.
"""

import datetime
import hashlib
import json
import logging
import math
import posixpath
import re
import time
from dataclasses import dataclass

from edgeaccel.deploy.agent import BoardAgent, board_command
from edgeaccel.deploy.bundle import MANIFEST, Bundle, manifest_digest
from edgeaccel.errors import DeployError

log = logging.getLogger(__name__)

PARTIAL = ".partial"
REJECTED = ".rejected"
RELEASE_ID = re.compile(r"^\d{8}-\d{6}\.\d{3}-[0-9a-f]{8}$")
BLOCK = 4096  # an upload's footprint is estimated in blocks of this size (ext4's and tmpfs's)


@dataclass(frozen=True)
class Listing:
    """What the board's workdir holds: the release `current` points to, and the names in releases/."""

    current: str | None
    entries: tuple[str, ...]

    @classmethod
    def from_state(cls, state: dict) -> "Listing":
        target = state["current"]
        name = None if target is None else posixpath.basename(posixpath.normpath(target))
        return cls(name if name and RELEASE_ID.match(name) else None, tuple(state["entries"]))

    @property
    def finished(self) -> list[str]:
        return [name for name in self.entries if RELEASE_ID.match(name)]


class Releases:
    def __init__(self, agent: BoardAgent, python: list[str]):
        self.agent = agent
        self.session = agent.session
        self.python = python
        self.where = agent.where
        self.workdir = self.session.destination.workdir
        self.directory = posixpath.join(self.workdir, "releases")
        self.current_link = posixpath.join(self.workdir, "current")

    def path(self, name: str) -> str:
        return posixpath.join(self.directory, name)

    def partial(self, release_id: str) -> str:
        return self.path(release_id + PARTIAL)

    @staticmethod
    def new_id(bundle: Bundle) -> str:
        now = datetime.datetime.now(datetime.timezone.utc)
        return f"{now:%Y%m%d-%H%M%S}.{now.microsecond // 1000:03d}-{bundle.digest[:8]}"

    def listing(self) -> Listing:
        return Listing.from_state(self.agent.call("reading the releases", "state", self.workdir))

    def current(self) -> str | None:
        return self.listing().current

    def prepare(self, bundle: Bundle, release_id: str) -> "Listing":
        """Remove what failed deploys left, create releases/<id>.partial with the bundle's directories,
        and check that the upload fits (else remove it again and raise "remote disk full")."""
        partial = self.partial(release_id)
        prepared = self.agent.call(f"creating {partial}", "prepare", self.workdir, release_id, *bundle.directories)
        if prepared["removed"]:
            log.info("removed what failed deploys left: %s", ", ".join(prepared["removed"]))
        self._warn_not_removed(prepared)
        listing = Listing.from_state(prepared)
        need, have = footprint(bundle), int(prepared["free_bytes"])
        if need > have:
            self.discard(partial)
            raise DeployError(f"{self.where}: remote disk full: need {need} bytes, have {have} in {self.workdir}; free "
                              f"space on the board or choose another --workdir; current still points to "
                              f"{listing.current or 'nothing'}")
        log.info("%s: %d bytes free in %s for an upload of about %d", self.where, have, self.workdir, need)
        return listing

    def upload(self, bundle: Bundle, release_id: str, progress: bool = True) -> str:
        """Copy the bundle into the prepared releases/<id>.partial and check the sha256 of every file
        there; return that path. Over SFTP file by file; without SFTP as one tar stream, which the
        board's Python unpacks (one command, where `cat > FILE` would take one per file). On a failure
        with the connection up, the partial upload is removed before the error is raised."""
        from edgeaccel.progress import progress_bar

        partial = self.partial(release_id)
        started = time.monotonic()
        try:
            with progress_bar(bundle.bytes, f"upload {release_id}", unit="B", enabled=progress, unit_scale=True) as bar:
                if self.session.sftp is not None:
                    for name in bundle.files:
                        self.session.put(bundle.directory / name, posixpath.join(partial, name), callback=_Advance(bar))
                else:
                    self.session.check(board_command(self.python, "unpack", partial), f"uploading into {partial}",
                                       stdin=bundle.archive(), progress=_Advance(bar, bundle.bytes))
            log.info("uploaded %d files (%d bytes) to %s over %s in %.2f s", len(bundle.files), bundle.bytes, partial,
                     self.session.transfer, time.monotonic() - started)
            self.verify(bundle.files, partial)
        except DeployError as e:
            raise self._failed_upload(e, footprint(bundle), partial) from e
        return partial

    def _failed_upload(self, error: DeployError, need: int, partial: str) -> DeployError:
        if not self.session.alive or not self.discard(partial):
            return DeployError(f"{error}; the next deploy removes {partial}")
        try:
            have = int(self.agent.call("reading the free space", "free", self.directory)["free_bytes"])
        except DeployError:
            have = None
        if have is not None and need > have:
            return DeployError(f"{self.where}: remote disk full: need {need} bytes, have {have} in {self.workdir} "
                               f"(after removing the partial upload; the upload failed: {error})")
        return DeployError(f"{error}; the partial upload was removed")

    def discard(self, path: str) -> bool:
        """Remove a failed upload; False when that failed too (it must not hide the failure that caused it)."""
        try:
            self.agent.call(f"removing {path}", "remove", path)
        except DeployError as e:
            log.warning("could not remove %s: %s", path, e)
            return False
        return True

    def verify(self, files: dict, remote: str) -> None:
        """Check the sha256 of every file in `files` (name: sha256) under `remote`, computed on the board."""
        received = self.agent.call(f"sha256 check of {remote}", "sha256", remote, *files)
        wrong = [name for name, digest in files.items() if received.get(name) != digest]
        if wrong:
            name = wrong[0]
            raise DeployError(f"{self.where}: {remote}/{name}: expected sha256 {files[name]}, received "
                              f"{received.get(name)}{f' (and {len(wrong) - 1} more files differ)' if len(wrong) > 1 else ''}")
        log.info("verified the sha256 of %d files in %s on the board", len(files), remote)

    def verify_release(self, release_id: str) -> None:
        """A finished release as it was deployed: its bundle.json matches the digest in its id, and every
        file it lists matches its sha256."""
        remote = self.path(release_id)
        text = self.agent.call(f"reading {remote}/{MANIFEST}", "read", posixpath.join(remote, MANIFEST))
        try:
            files = json.loads(text)["files"]
            listed = files | {MANIFEST: hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()}
        except (ValueError, KeyError, TypeError) as e:
            raise DeployError(f"{self.where}: {remote}/{MANIFEST}: expected the release's manifest, received "
                              f"{text[:80]!r} ({e})") from e
        if manifest_digest(listed)[:8] != release_id[-8:]:
            raise DeployError(f"{self.where}: {remote}/{MANIFEST}: expected the manifest the release id {release_id} "
                              f"was made from (digest {release_id[-8:]}), received one with digest "
                              f"{manifest_digest(listed)[:8]}: it changed after the deploy")
        self.verify(files, remote)

    def finish(self, release_id: str, keep: int) -> list[str]:
        """releases/<id>.partial becomes releases/<id>, `current` points at it, and all but the newest
        `keep` releases are removed; returns the removed ones."""
        finished = self.agent.call(f"switching current to releases/{release_id}", "finish", self.workdir, release_id,
                                   str(keep))
        log.info("current -> releases/%s", release_id)
        if finished["removed"]:
            log.info("removed %s", ", ".join(finished["removed"]))
        self._warn_not_removed(finished)
        return finished["removed"]

    def _warn_not_removed(self, answer: dict) -> None:
        for name, reason in answer["not_removed"].items():
            log.warning("%s: could not remove %s (%s); remove it on the board as the user who made those files",
                        self.where, self.path(name), reason)

    def reject(self, partial: str, release_id: str) -> str | None:
        """Keep a failed release for inspection, out of the way of rollbacks (best effort); its new path."""
        if not self.session.alive:
            return None
        rejected = self.path(release_id + REJECTED)
        try:
            self.agent.call(f"renaming {partial} to {rejected}", "rename", partial, rejected)
        except DeployError as e:
            log.warning("could not set the failed release aside: %s", e)
            return None
        return rejected

    def switch(self, release_id: str) -> None:
        """Point `current` at releases/<id> in one rename: no moment without a valid `current`."""
        self.agent.call(f"switching current to releases/{release_id}", "switch", self.workdir, release_id)
        log.info("current -> releases/%s", release_id)

    def previous(self, release_id: str) -> str:
        older = [name for name in self.listing().finished if name < release_id]
        if not older:
            raise DeployError(f"{self.where}: rollback: expected a release older than {release_id} in {self.directory}, "
                              f"received none")
        return older[-1]


def footprint(bundle: Bundle) -> int:
    """The bytes an upload of `bundle` takes on disk: every file and directory rounded up to whole blocks."""
    files = sum(math.ceil((bundle.directory / name).stat().st_size / BLOCK) * BLOCK for name in bundle.files)
    return files + BLOCK * (len(bundle.directories) + 1)


class _Advance:
    """A transfer callback `(sent, total)` moving a progress bar by what was sent since the last call
    (scaled to `scale` bytes for a stream whose total differs from the bar's)."""

    def __init__(self, bar, scale: int | None = None):
        self.bar, self.scale, self.shown = bar, scale, 0

    def __call__(self, sent: int, total: int) -> None:
        shown = sent if self.scale is None or not total else sent * self.scale // total
        self.bar.update(shown - self.shown)
        self.shown = shown

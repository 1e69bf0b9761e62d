"""Releases on the board, under the deploy's working directory:

    releases/<id>.partial    an upload in progress, or an interrupted one (removed by a later
                             deploy once it is an hour old)
    releases/<id>            a bundle whose every file passed a sha256 check on the board and
                             whose validation run agreed with the simulation
    releases/<id>.rejected   a verified bundle whose run failed or disagreed (the newest is kept)
    current -> releases/<id> switched with one rename(2) of a fresh symlink over the old one

Nothing here touches `current` until a release is complete, so an interrupted or failed deploy
leaves the board running what it ran before.
"""

import datetime
import json
import logging
import posixpath
import re
import time

from edgeaccel.deploy.bundle import Bundle
from edgeaccel.deploy.transport import Session
from edgeaccel.errors import DeployError

log = logging.getLogger(__name__)

PARTIAL = ".partial"
REJECTED = ".rejected"
RELEASE_ID = re.compile(r"^\d{8}-\d{6}\.\d{3}-[0-9a-f]{8}$")
STALE_PARTIAL_S = 3600

# Run on the board with its own Python: the sha256 of every path given, as JSON.
SHA256_SCRIPT = """\
import hashlib, json, sys
def digest(path):
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as e:
        return "unreadable (%s)" % e.strerror
    return h.hexdigest()
print(json.dumps({path: digest(path) for path in sys.argv[1:]}))
"""


class Releases:
    def __init__(self, session: Session, python: list[str]):
        self.session = session
        self.python = python
        self.workdir = session.destination.workdir
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

    def upload(self, bundle: Bundle, release_id: str, progress: bool = True) -> str:
        """Copy the bundle into releases/<id>.partial (a new directory); return that path."""
        from edgeaccel.progress import progress_bar

        partial = self.partial(release_id)
        self.session.makedirs(self.directory)
        self.session.mkdir(partial)
        for directory in bundle.directories:
            self.session.mkdir(posixpath.join(partial, directory))
        started = time.monotonic()
        with progress_bar(bundle.bytes, f"upload {release_id}", unit="B", enabled=progress, unit_scale=True) as bar:
            for name in bundle.files:
                sent = [0]

                def advance(done, total, sent=sent):
                    bar.update(done - sent[0])
                    sent[0] = done

                self.session.put(bundle.directory / name, posixpath.join(partial, name), callback=advance)
        log.info("uploaded %d files (%d bytes) to %s in %.2f s", len(bundle.files), bundle.bytes, partial,
                 time.monotonic() - started)
        return partial

    def verify(self, bundle: Bundle, remote: str) -> None:
        """Check the sha256 of every uploaded file, computed on the board."""
        names = list(bundle.files)
        result = self.session.check([*self.python, "-c", SHA256_SCRIPT, *names], "sha256 check of the upload", cwd=remote)
        try:
            received = json.loads(result.stdout)
        except json.JSONDecodeError as e:
            raise DeployError(f"ssh {self.session.destination.address}: sha256 check: expected JSON from "
                              f"{' '.join(self.python)}, received {result.stdout[:200]!r}") from e
        for name, digest in bundle.files.items():
            if received.get(name) != digest:
                raise DeployError(f"ssh {self.session.destination.address}: {remote}/{name}: expected sha256 {digest}, "
                                  f"received {received.get(name)}")
        log.info("verified the sha256 of %d files on the board", len(names))

    def finish(self, partial: str, release_id: str) -> str:
        final = self.path(release_id)
        self.session.rename(partial, final)
        return final

    def reject(self, partial: str, release_id: str) -> str | None:
        """Keep a failed release for inspection, out of the way of rollbacks (best effort); its new path."""
        if not self.session.alive:
            return None
        rejected = self.path(release_id + REJECTED)
        try:
            self.session.rename(partial, rejected)
        except DeployError as e:
            log.warning("could not set the failed release aside: %s", e)
            return None
        return rejected

    def current(self) -> str | None:
        target = self.session.readlink(self.current_link)
        if target is None:
            return None
        name = posixpath.basename(posixpath.normpath(target))
        return name if RELEASE_ID.match(name) else None

    def switch(self, release_id: str) -> None:
        """Point `current` at releases/<id> in one rename: no moment without a valid `current`."""
        link = posixpath.join(self.workdir, f".current-{release_id}")
        if self.session.lstat(link) is not None:
            self.session.remove(link)
        self.session.symlink(posixpath.join("releases", release_id), link)
        self.session.replace(link, self.current_link)
        log.info("current -> releases/%s", release_id)

    def finished(self) -> list[str]:
        if not self.session.is_directory(self.directory):
            return []
        return sorted(entry.filename for entry in self.session.listdir_attr(self.directory)
                      if RELEASE_ID.match(entry.filename))

    def previous(self, release_id: str) -> str:
        older = [name for name in self.finished() if name < release_id]
        if not older:
            raise DeployError(f"ssh {self.session.destination.address}: rollback: expected a release older than {release_id} "
                              f"in {self.directory}, received none")
        return older[-1]

    def prune(self, keep: int) -> list[str]:
        """Remove all but the newest `keep` releases (never the current one), stale partial uploads,
        and all but the newest rejected release."""
        entries = self.session.listdir_attr(self.directory)
        finished = sorted(e.filename for e in entries if RELEASE_ID.match(e.filename))
        current = self.current()
        doomed = [name for name in finished[:-keep] if name != current]
        rejected = sorted(e.filename for e in entries if e.filename.endswith(REJECTED))
        doomed += rejected[:-1]
        now = time.time()
        doomed += [e.filename for e in entries
                   if e.filename.endswith(PARTIAL) and now - (e.st_mtime or 0) > STALE_PARTIAL_S]
        if doomed:
            self.session.check(["rm", "-rf", "--", *(self.path(name) for name in doomed)], "removing old releases")
            log.info("removed %s", ", ".join(doomed))
        return doomed

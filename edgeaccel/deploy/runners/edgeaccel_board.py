"""edgeaccel's agent on a board: the operations a deploy makes on its working directory, run with
the board's own Python (`python3 -S -c <this file> ...`). Standalone: the standard library only,
never edgeaccel.

    serve WORKDIR HOLDER TIMEOUT   take flock(2) on WORKDIR/.edgeaccel.lock (waiting up to TIMEOUT s; exit
                                   75 if another process holds it), record HOLDER (JSON) in it and print
                                   "locked"; then answer requests, one JSON line each on stdin
                                   ({"op": NAME, "args": [...]}), with one JSON line each on stdout
                                   ({"ok": ANSWER} or {"error": WHY}), until stdin closes: the deploy ends,
                                   or its connection drops, and the lock goes with the process
    unpack DIRECTORY               write the regular files of the tar stream on stdin under DIRECTORY (the
                                   upload on boards without SFTP); names that climb out are refused

The operations `serve` answers:

    state WORKDIR                  where `current` points and what releases/ holds
    prepare WORKDIR ID DIR...      remove the partial uploads (under the lock, each is a dead deploy's) and
                                   all but the newest rejected release, create releases/ID.partial and the
                                   DIRs in it; the state, what was removed and the free bytes
    free DIRECTORY                 the bytes this user may still write there (df's Available, from statvfs)
    sha256 DIRECTORY NAME...       the sha256 of each file NAME under DIRECTORY
    read PATH                      a (small) file's text
    remove PATH                    remove a directory tree
    rename OLD NEW                 rename, refused when NEW exists
    finish WORKDIR ID KEEP         rename releases/ID.partial to releases/ID, point `current` at it, remove
                                   all but the newest KEEP releases (never the current one)
    switch WORKDIR ID              point `current` at releases/ID
"""

import datetime
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
import tarfile
import time

LOCK_FILE = ".edgeaccel.lock"
LOCK_HELD = 75
RELEASE_ID = re.compile(r"^\d{8}-\d{6}\.\d{3}-[0-9a-f]{8}$")
PARTIAL, REJECTED = ".partial", ".rejected"


def serve(workdir, holder, timeout):
    if not os.path.isdir(workdir):
        os.makedirs(workdir)
    fd = os.open(os.path.join(workdir, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + float(timeout)
    waiting = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as e:
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
        if not waiting:
            print("waiting " + _holder(fd), flush=True)
            waiting = True
        if time.monotonic() > deadline:
            sys.stderr.write(_holder(fd))
            sys.exit(LOCK_HELD)
        time.sleep(0.1)
    record = json.loads(holder)
    record["board_pid"] = os.getpid()
    record["since"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(record).encode(), 0)
    print("locked", flush=True)
    while True:
        line = sys.stdin.buffer.readline()
        if not line:
            return
        try:
            request = json.loads(line)
            answer = {"ok": OPERATIONS[request["op"]](*request["args"])}
        except Exception as e:  # every failure is an answer: the deploy says what went wrong
            answer = {"error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(answer), flush=True)


def _holder(fd):
    try:
        return os.pread(fd, 4096, 0).decode("utf-8", "replace")
    except OSError:
        return ""


def state(workdir):
    current = os.path.join(workdir, "current")
    releases = os.path.join(workdir, "releases")
    return {"current": os.readlink(current) if os.path.islink(current) else None,
            "entries": sorted(os.listdir(releases)) if os.path.isdir(releases) else []}


def prepare(workdir, release_id, *directories):
    releases = os.path.join(workdir, "releases")
    if not os.path.isdir(releases):
        os.makedirs(releases)
    entries = state(workdir)["entries"]
    doomed = [name for name in entries if name.endswith(PARTIAL)] + [name for name in entries if name.endswith(REJECTED)][:-1]
    removed, kept = _remove(releases, doomed)
    partial = os.path.join(releases, release_id + PARTIAL)
    os.mkdir(partial)
    for directory in directories:
        os.makedirs(os.path.join(partial, directory))
    return dict(state(workdir), removed=removed, not_removed=kept, **free(releases))


def _remove(releases, names):
    """Remove releases/NAME for each name; a failure (files another user made) keeps it and says why."""
    removed, kept = [], {}
    for name in names:
        try:
            shutil.rmtree(os.path.join(releases, name))
            removed.append(name)
        except OSError as e:
            kept[name] = "%s: %s" % (e.filename, e.strerror)
    return removed, kept


def free(directory):
    """The bytes this user may still write on the file system of `directory`: what df calls Available."""
    usage = os.statvfs(directory)
    return {"free_bytes": usage.f_bavail * usage.f_frsize}


def unpack(directory):
    files = 0
    with tarfile.open(fileobj=sys.stdin.buffer, mode="r|") as archive:
        for member in archive:
            parts = member.name.split("/")
            if not member.isfile() or member.name.startswith("/") or ".." in parts:
                raise ValueError("expected regular files inside the release, received %r" % member.name)
            target = os.path.join(directory, *parts)
            if not os.path.isdir(os.path.dirname(target)):
                os.makedirs(os.path.dirname(target))
            with open(target, "xb") as f:
                shutil.copyfileobj(archive.extractfile(member), f)
            files += 1
    return {"files": files}


def sha256(directory, *names):
    return {name: _digest(os.path.join(directory, name)) for name in names}


def _digest(path):
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as e:
        return "unreadable (%s)" % e.strerror
    return h.hexdigest()


def read(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


def remove(path):
    if os.path.lexists(path):
        shutil.rmtree(path)


def rename(old, new):
    if os.path.lexists(new):
        raise FileExistsError(errno.EEXIST, "exists", new)
    os.rename(old, new)


def switch(workdir, release_id):
    link = os.path.join(workdir, ".current-" + release_id)
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(os.path.join("releases", release_id), link)
    os.replace(link, os.path.join(workdir, "current"))
    return {"current": release_id}


def finish(workdir, release_id, keep):
    releases = os.path.join(workdir, "releases")
    final = os.path.join(releases, release_id)
    if os.path.lexists(final):
        raise FileExistsError(errno.EEXIST, "a release with this id exists", final)
    os.rename(final + PARTIAL, final)
    switch(workdir, release_id)
    finished = [name for name in state(workdir)["entries"] if RELEASE_ID.match(name)]
    removed, kept = _remove(releases, [name for name in finished[:-int(keep)] if name != release_id])
    return {"current": release_id, "removed": removed, "not_removed": kept}


OPERATIONS = {"state": state, "prepare": prepare, "free": free, "sha256": sha256, "read": read, "remove": remove,
              "rename": rename, "finish": finish, "switch": switch}


if __name__ == "__main__":
    answer = {"serve": serve, "unpack": unpack}[sys.argv[1]](*sys.argv[2:])
    if answer is not None:
        print(json.dumps(answer))

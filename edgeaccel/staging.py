"""Writing outputs so that a failure leaves the previous ones as they were: whole directories
(`staged_directory`) and single files (`replaced_atomically`, `write_text_atomically`)."""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


@contextlib.contextmanager
def staged_directory(destination: Path | str):
    """Yield a fresh sibling directory; on success it replaces `destination` in one rename.

    On any exception (KeyboardInterrupt included) the staged directory is removed and
    `destination`, if it existed, is untouched.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{destination.name}.partial-", dir=destination.parent))
    staged.chmod(0o777 & ~current_umask())
    try:
        yield staged
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    previous = None
    if destination.exists():
        previous = Path(tempfile.mkdtemp(prefix=f".{destination.name}.old-", dir=destination.parent))
        os.rename(destination, previous / destination.name)
    os.rename(staged, destination)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)


@contextlib.contextmanager
def replaced_atomically(path: Path | str):
    """Yield a temporary path beside `path`; when the block succeeds it replaces `path` in one rename
    (with the permissions a new file would get). A crash never leaves a half-written `path`."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomically(path: Path | str, text: str) -> None:
    with replaced_atomically(path) as tmp:
        tmp.write_text(text)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

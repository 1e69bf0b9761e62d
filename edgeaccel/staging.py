"""Writing an output directory so that a failure leaves the previous one as it was."""

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


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

"""Progress bars on stderr: shown on a terminal, hidden when stderr is not one or under --quiet."""

import os
import sys


def progress_bar(total: int | None, description: str, unit: str = "it", enabled: bool = True, **options):
    from tqdm.auto import tqdm

    hidden = not enabled or os.environ.get("EDGEACCEL_PROGRESS") == "0"
    return tqdm(total=total, desc=description, unit=unit, file=sys.stderr, leave=False,
                disable=True if hidden else None, **options)


def silence_progress() -> None:
    """--quiet: no bars from here on (subprocesses inherit it)."""
    os.environ["EDGEACCEL_PROGRESS"] = "0"

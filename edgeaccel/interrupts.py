"""Ctrl-C that a library cannot lose.

Python turns SIGINT into a KeyboardInterrupt wherever the main thread is at that moment; a library that
catches every exception there (a bare `except:` around an optional import, say) loses it, and the command
runs on. Once `install()` has run, SIGINT also leaves a mark that long loops check with
`raise_if_requested()`, so the interrupt comes back at the next check however it was lost.
"""

import signal
import threading

_requested = threading.Event()


def install() -> None:
    """SIGINT raises KeyboardInterrupt, as Python's default handler does, and is remembered. Only the main
    thread can set a signal handler; elsewhere this does nothing."""
    if threading.current_thread() is threading.main_thread():
        _requested.clear()
        signal.signal(signal.SIGINT, _on_sigint)


def _on_sigint(signum, frame):
    _requested.set()
    raise KeyboardInterrupt


def raise_if_requested() -> None:
    """KeyboardInterrupt when a SIGINT came since `install()`, even one whose exception somebody caught."""
    if _requested.is_set():
        raise KeyboardInterrupt

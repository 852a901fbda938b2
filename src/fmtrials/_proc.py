"""Process hygiene for the report: SIGTERM cleans up, and figure workers never outlive the report.

Private helpers behind :mod:`fmtrials.report`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

__all__ = ["Terminated", "sigterm_cleans_up", "die_with_parent", "stop_pool"]


class Terminated(SystemExit):
    """SIGTERM arrived while the report was being written (the build folder and workers are cleaned up)."""


@contextlib.contextmanager
def sigterm_cleans_up():
    """While writing, SIGTERM raises :class:`Terminated` (exit status 143) so the ``finally`` clauses remove
    the build folder and stop the figure workers; the previous handler is restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def die_with_parent(parent: int) -> None:
    """Worker initializer: the worker dies with the process that started it. On Linux the kernel sends it
    SIGKILL when the parent dies (``prctl(PR_SET_DEATHSIG)``); everywhere a watchdog thread exits once the
    parent is gone (re-parented). SIGTERM and SIGINT get their default meaning back in the worker."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_DEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        import time

        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="fmtrials-parent-watchdog", daemon=True).start()


def stop_pool(ex) -> None:
    """Shut a process pool down now: pending figures are cancelled and running workers killed."""
    # the workers are taken before shutdown: shutdown(wait=False) lets the pool's manager thread drop its
    # process table at any moment, after which a worker still drawing would be left running
    procs = list((getattr(ex, "_processes", None) or {}).values())
    ex.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.kill()
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.join(5)

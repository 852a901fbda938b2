"""Process hygiene for the report: SIGTERM and SIGINT stop it at once, and figure workers never outlive it.

Private helpers behind :mod:`fmtrials.report`.

Why the report is built in a thread: Python runs a signal handler only in the main thread, between two
bytecodes. A main thread busy in a long C call (a numpy kernel, a full ``gc.collect()`` as statsmodels'
Holm adjustment makes) runs it only when the call returns, and a handler that raises while the interpreter
is inside a weakref callback or ``__del__`` has its exception printed as "ignored" and lost: the signal
would then be honoured at the end of a stage, or never. :func:`run_stoppable` therefore runs the work in a
thread and keeps the main thread waiting; the handlers only note the signal, and the main thread, which does
nothing else, stops the run within a fraction of a second whatever the work is doing: it kills the figure
workers, removes the build folder and raises. Steps that must run whole or not at all (creating the build
folder, starting the worker pool, putting the report in place) hold :func:`critical`; the building thread,
abandoned, ends at its next :func:`checkpoint` (a progress line).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

__all__ = [
    "Terminated",
    "Interrupted",
    "Stopped",
    "run_stoppable",
    "checkpoint",
    "critical",
    "on_stop",
    "committed",
    "die_with_parent",
    "stop_pool",
]

T = TypeVar("T")
#: how often the waiting main thread looks for a signal (a signal also wakes it up)
POLL_SECONDS = 0.05


class Terminated(SystemExit):
    """SIGTERM arrived while the report was being written (the build folder and workers are cleaned up).
    ``written`` is True when the report had already been put in place when the signal came."""

    written = False


class Interrupted(KeyboardInterrupt):
    """SIGINT (Ctrl-C) arrived while the report was being written (cleaned up as for :class:`Terminated`)."""

    written = False


class Stopped(BaseException):
    """Raised in the building thread at its next checkpoint once the run was stopped (nobody waits for it)."""


class _Run:
    """One stoppable run: the signal that stopped it, what to undo then, and whether the report is in place."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.signum: int | None = None
        self.committed = False
        self.undo: list[Callable[[], Any]] = []

    def stop(self, signum: int) -> bool:
        """Mark the run stopped (after any critical step in progress) and undo its steps, last first; return
        whether the report was already in place."""
        with self.lock:
            self.signum = signum
            undo, self.undo = self.undo, []
        for fn in reversed(undo):
            with contextlib.suppress(Exception):
                fn()
        return self.committed


_RUN: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("fmtrials_run", default=None)


def checkpoint() -> None:
    """Raise :class:`Stopped` in a run that was stopped (a no-op outside :func:`run_stoppable`)."""
    run = _RUN.get()
    if run is not None and run.signum is not None:
        raise Stopped


@contextlib.contextmanager
def critical() -> Iterator[None]:
    """A step that runs whole or not at all with respect to a stop: a signal arriving meanwhile is acted on
    once the step is over, and a step that would start after it raises :class:`Stopped` instead."""
    run = _RUN.get()
    if run is None:
        yield
        return
    with run.lock:
        if run.signum is not None:
            raise Stopped
        yield


def on_stop(fn: Callable[[], Any]) -> None:
    """Have a stop call ``fn`` (after the ones registered later); call it inside :func:`critical`, together
    with what it undoes. A no-op outside :func:`run_stoppable`."""
    run = _RUN.get()
    if run is not None:
        run.undo.append(fn)


def committed() -> None:
    """Record, inside :func:`critical`, that the report is in place (a later stop no longer changes it)."""
    run = _RUN.get()
    if run is not None:
        run.committed = True


def run_stoppable(work: Callable[[], T]) -> T:
    """``work()``, stopped at once by SIGTERM or SIGINT: in the main thread the work runs in a thread while
    the main thread waits; on a signal the steps registered with :func:`on_stop` are undone and
    :class:`Terminated` (exit status 143) or :class:`Interrupted` (130) is raised. A signal the process
    ignores (``nohup``, a background job) stays ignored. Outside the main thread the work simply runs.

    Examples
    --------
    >>> run_stoppable(lambda: 6 * 7)
    42
    """
    if threading.current_thread() is not threading.main_thread():
        return work()
    run = _Run()
    caught: list[int] = []

    def note(signum: int, frame: Any) -> None:  # never raises: see the module docstring
        caught.append(signum)

    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, note)
    outcome: dict[str, Any] = {}

    def target() -> None:
        _RUN.set(run)
        try:
            outcome["value"] = work()
        except BaseException as err:  # noqa: BLE001  (handed to the main thread, or dropped after a stop)
            outcome["error"] = err

    try:
        thread = threading.Thread(target=contextvars.copy_context().run, args=(target,), name="fmtrials-report")
        thread.daemon = True  # a stopped run is abandoned: it must not keep the interpreter alive
        thread.start()
        while thread.is_alive() and not caught:
            thread.join(POLL_SECONDS)
        if caught:
            written = run.stop(caught[0])
            stop: Terminated | Interrupted
            stop = Interrupted() if caught[0] == signal.SIGINT else Terminated(128 + caught[0])
            stop.written = written
            raise stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


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

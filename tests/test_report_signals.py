"""SIGTERM and SIGINT stop ``fmtrials report`` at any point, not at the end of a stage (issue 22, item 13).

A stage is made to hold, in a subprocess, the way a long C call holds the thread running it (a numpy kernel,
the full ``gc.collect()`` of statsmodels' Holm adjustment): one C call (``read`` of a pipe, SIGTERM and SIGINT
blocked in that thread) that returns only when the test closes the other end of the pipe. The test signals
the process once it is inside the held stage and releases the stage only if the process has not exited after
a generous timeout (whose only role is not to hang): a process that exits with the stage still held did not
wait for its end. No assertion depends on the speed of the machine.
"""

from __future__ import annotations

import csv
import ctypes
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import fmtrials
from fmtrials import _proc
from fmtrials.report import build as R
from fmtrials.report import write_report

SRC = str(Path(fmtrials.__file__).resolve().parents[1])
GIVE_UP = 90  # seconds; only for a process that never exits (the old code with a held stage)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(signal, "pthread_sigmask"),
    reason="needs Linux /proc and pthread_sigmask",
)

# Run in the subprocess before the CLI: hold the stage named by FMTRIALS_TEST_STAGE.
#   compute: the analysis of the endpoints (before any figure worker exists);
#   figures: the figure workers each hold inside their first figure, and the build holds right after starting
#            them (so the workers are drawing while the build computes).
WRAPPER = r"""
import ctypes, os, signal, sys, threading
signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal, even when pytest runs in the background
import fmtrials.report.build as R
from fmtrials.report import figures as F
from fmtrials.cli import main

RELEASE = int(os.environ["FMTRIALS_TEST_RELEASE_FD"])
STAGE = os.environ["FMTRIALS_TEST_STAGE"]
libc = ctypes.CDLL(None, use_errno=True)

def hold(what):
    # one long C call in a thread that services no signal, until the test closes the pipe's other end
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    # one write (lines of two workers never mix); the test signals once this thread is inside read()
    os.write(2, f"HOLD-START {what} {os.getpid()} {threading.get_native_id()}\n".encode())
    buf = ctypes.create_string_buffer(1)
    while libc.read(RELEASE, buf, 1) < 0:
        pass
    os.write(2, f"HOLD-END {what} {os.getpid()}\n".encode())
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

if STAGE == "compute":
    analyse = R.analyse
    def held_analyse(*a, **k):
        hold("compute")
        return analyse(*a, **k)
    R.analyse = held_analyse
else:
    render, start = F._render_job, F.start_all
    def held_render(*a, **k):
        hold("worker")
        return render(*a, **k)
    def held_start(*a, **k):
        drawing = start(*a, **k)
        hold("build")
        return drawing
    F._render_job, F.start_all = held_render, held_start
sys.exit(main(sys.argv[1:]))
"""


def _pair(study: str, endpoint: str, events_t: int) -> list[tuple]:
    return [(study, 0, endpoint, 50, 10, "harmful"), (study, 100, endpoint, 50, events_t, "harmful")]


def _csv(path: Path) -> Path:
    """Three endpoints x four studies: 12 figures, enough for the worker processes."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["study", "dose_mg_day", "endpoint", "n", "responders", "direction"])
    w.writerows(r for e in range(3) for i, st in enumerate("ABCD") for r in _pair(st, f"ep{e}", 12 + 3 * i + e))
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(root.rglob("*"))
    }


def _in_read(pid: int, tid: int) -> bool | None:
    """Is thread ``tid`` of ``pid`` blocked in ``read`` of a pipe (None: /proc does not say)?"""
    task = Path(f"/proc/{pid}/task/{tid}")
    try:
        wchan = (task / "wchan").read_text().strip()
    except OSError:
        wchan = ""
    if wchan not in ("", "0"):
        return "pipe" in wchan
    read_call = {"x86_64": "0", "aarch64": "63"}.get(os.uname().machine)
    try:
        call = (task / "syscall").read_text().split()
    except OSError:
        return None
    return None if read_call is None or not call else call[0] == read_call


def _wait_in_read(pid: int, tid: int) -> bool:
    """Wait until the holding thread is inside its C call: a signal sent before (while it still runs Python
    code) would be handled there by any code, and prove nothing."""
    for _ in range(GIVE_UP * 50):
        state = _in_read(pid, tid)
        if state is None:
            pytest.skip("/proc does not show where a thread is blocked")
        if state:
            return True
        time.sleep(0.02)
    return False


def _alive(pid: int) -> bool:
    """Running (neither gone nor a zombie waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def old_report(tmp_path_factory) -> tuple[Path, Path]:
    """(input CSV, an earlier report of it) built once; each test works on a copy."""
    root = tmp_path_factory.mktemp("signals")
    data = _csv(root / "in.csv")
    write_report(root / "old", data=data, quiet=True, figures=False)
    return data, root / "old"


def _run_held(tmp_path: Path, old_report, stage: str, sig: int) -> tuple[int, str, list[int], Path, bool]:
    """Signal the report inside the held ``stage``: (exit status, stderr, worker pids, --out, whether the
    stage had to be released for the process to exit)."""
    data, old = old_report
    out = tmp_path / "rep"
    shutil.copytree(old, out)
    held, release = os.pipe()
    env = dict(
        os.environ,
        PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
        MPLBACKEND="Agg",
        FMTRIALS_TEST_STAGE=stage,
        FMTRIALS_TEST_RELEASE_FD=str(held),
    )
    cmd = [sys.executable, "-c", WRAPPER, "report", "--data", str(data), "--out", str(out)]
    try:
        p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env, pass_fds=(held,))
    finally:
        os.close(held)
    lines: list[str] = []
    workers: list[int] = []
    released = False
    try:
        wanted = {"build", "worker"} if stage == "figures" else {"compute"}
        seen: set[str] = set()
        for line in p.stderr:
            lines.append(line)
            if line.startswith("HOLD-START"):
                _, what, pid, tid = line.split()
                assert _wait_in_read(int(pid), int(tid)), line
                seen.add(what)
                if what == "worker":
                    workers.append(int(pid))
                if seen == wanted and (stage != "figures" or len(workers) == 2):
                    break
        assert p.poll() is None, "".join(lines)
        os.kill(p.pid, sig)
        try:
            p.wait(GIVE_UP)
        except subprocess.TimeoutExpired:
            released = True  # the process waits for the stage to end: end it, and see what follows
            os.close(release)
            p.wait(GIVE_UP)
        lines.extend(p.stderr)
    finally:
        if not released:
            os.close(release)
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stderr.close()
        for pid in workers:  # never leave an orphan behind, even when the test fails
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    return p.returncode, "".join(lines), workers, out, released


def _check_stopped(tmp_path, old_report, status, err, out, sig, released):
    assert not released and "HOLD-END" not in err, "the signal waited for the end of the stage"
    assert status == (130 if sig == signal.SIGINT else 143), err
    assert ("interrupted" if sig == signal.SIGINT else "terminated") + " (nothing was changed)" in err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert _digest(out) == _digest(old_report[1]), "the earlier report was changed"
    assert sorted(q.name for q in tmp_path.iterdir()) == ["rep"], "the build folder was left behind"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_report_inside_a_long_computation(tmp_path, old_report, sig):
    status, err, workers, out, released = _run_held(tmp_path, old_report, "compute", sig)
    assert not workers
    _check_stopped(tmp_path, old_report, status, err, out, sig, released)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="figures are drawn in worker processes on two cores or more")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_report_and_its_workers_while_figures_are_drawn(tmp_path, old_report, sig):
    status, err, workers, out, released = _run_held(tmp_path, old_report, "figures", sig)
    assert len(workers) == 2
    # the report exits only after killing and reaping its workers: none may be running now (gone, or a
    # zombie of an exited parent about to be reaped by init)
    assert not [pid for pid in workers if _alive(pid)], "a figure worker outlived the report"
    _check_stopped(tmp_path, old_report, status, err, out, sig, released)


def test_ctrl_c_in_write_report_cleans_up_and_the_abandoned_build_ends_quietly(tmp_path, old_report, monkeypatch):
    # the library: write_report in the main thread raises KeyboardInterrupt with the computation still held,
    # the build folder removed and the earlier report untouched; the build, released afterwards, ends at its
    # next progress line, writing nothing
    data, old = old_report
    out = tmp_path / "rep"
    shutil.copytree(old, out)
    entered, returned, ended = threading.Event(), threading.Event(), threading.Event()
    held, release = os.pipe()
    libc = ctypes.CDLL(None, use_errno=True)
    analyse = R.analyse

    holder: list[int] = []

    def hold(*a, **k):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # one long C call in a thread deaf to signals
        holder.append(threading.get_native_id())
        entered.set()
        while libc.read(held, ctypes.create_string_buffer(1), 1) < 0:
            pass
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        try:
            return analyse(*a, **k)
        finally:
            ended.set()

    gave_up = []

    def signal_then_watch() -> None:
        if entered.wait(GIVE_UP) and _wait_in_read(os.getpid(), holder[0]):
            os.kill(os.getpid(), signal.SIGINT)
        if not returned.wait(GIVE_UP):  # write_report waits for the stage to end: end it, and see what follows
            gave_up.append(True)
            os.close(release)

    monkeypatch.setattr(R, "analyse", hold)
    watch = threading.Thread(target=signal_then_watch)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        watch.start()
        with pytest.raises(KeyboardInterrupt) as stop:
            try:
                write_report(out, data=data, quiet=True, figures=False)
            finally:
                returned.set()
        assert not gave_up and not ended.is_set(), "the signal waited for the end of the stage"
    finally:
        returned.set()
        watch.join()
        if not gave_up:
            os.close(release)
        signal.signal(signal.SIGINT, previous)
    assert isinstance(stop.value, _proc.Interrupted) and not stop.value.written
    assert _digest(out) == _digest(old)
    assert sorted(q.name for q in tmp_path.iterdir()) == ["rep"]
    assert ended.wait(GIVE_UP)  # the abandoned build went on, and stops at its next progress line
    for t in [t for t in threading.enumerate() if t.name == "fmtrials-report"]:
        t.join(GIVE_UP)
        assert not t.is_alive()
    os.close(held)
    assert _digest(out) == _digest(old) and sorted(q.name for q in tmp_path.iterdir()) == ["rep"]


def test_a_run_stopped_after_the_report_was_put_in_place_says_so():
    # a signal arriving once the report is in place (the last critical step done) cannot undo it: the stop
    # still raises, but records that the report was written
    release = threading.Event()

    def work():
        with _proc.critical():
            _proc.committed()
        os.kill(os.getpid(), signal.SIGTERM)
        release.wait(GIVE_UP)  # the build would go on; the main thread must not wait for it
        _proc.checkpoint()

    try:
        with pytest.raises(_proc.Terminated) as stop:
            _proc.run_stoppable(work)
        assert not release.is_set()
    finally:
        release.set()
    assert stop.value.code == 143 and stop.value.written


def test_the_import_that_holds_the_gil_comes_before_the_stoppable_run(tmp_path):
    # importing fmtrials.decision computes Gauss-Legendre nodes in one LAPACK call that holds the GIL (seconds
    # on a loaded machine): inside the run it would keep the waiting main thread from acting on a signal
    code = (
        "import sys\n"
        "from fmtrials import _proc, report\n"
        "_proc.run_stoppable = lambda work: print(sorted(m for m in sys.modules if m.startswith('fmtrials.decision.')"
        " and m.rsplit('.', 1)[1] in ('bayes_meta', 'bayes_rd')))\n"
        f"report.write_report({str(tmp_path / 'rep')!r}, quiet=True)\n"
    )
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=GIVE_UP)
    assert r.stdout.strip() == "['fmtrials.decision.bayes_meta', 'fmtrials.decision.bayes_rd']", r.stderr

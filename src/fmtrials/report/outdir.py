"""Where the report goes: the output-directory rules and atomic replacement (safe file names:
:mod:`fmtrials.report.names`).

Private helpers behind :mod:`fmtrials.report`:

* :func:`check_target`: may ``out`` be (re)placed? Never a symbolic link, never a folder holding the input
  file, never a folder holding files fmtrials did not write (unless ``force``), never the current directory
  unless it is empty;
* :func:`replace_dir`: put the built directory at ``out`` atomically (Linux ``renameat2(RENAME_EXCHANGE)``,
  else two renames whose leftover ``.NAME.old-*`` is recovered on the next run by :func:`recover`);
* :func:`locked`: one run at a time per ``out``: an exclusive ``flock`` on ``.NAME.lock`` beside ``out`` (removed
  when the run ends), held from the first check to the replacement; a second run into the same ``out`` is
  refused at once (exit 2, "another fmtrials report is being written there"), it does not wait;
* :func:`put_in_place`: the moment of replacement re-checks the rules (:func:`check_target`, and with
  ``force`` that nothing appeared since the run began), so a file or folder a user creates at or inside ``out``
  during the build is never deleted: the run is refused naming it (exit 2) and the new report is discarded.
  The previous report is then removed file by file, only what its manifest listed (or, with ``force``, what
  was there when the run began); anything else is kept in ``NAME.kept-*`` beside ``out`` with a warning;
* ``out`` on a mount point cannot be swapped (``EBUSY``/``EXDEV``): refused with a clear message (exit 2).
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..errors import Problem, ReportError

__all__: list[str] = []  # private module: the public name is fmtrials.report.write_report

MANIFEST = "manifest.json"
#: folders fmtrials creates in a report even when they stay empty
REPORT_DIRS = ("tables", "figures")
# ---------------------------------------------------------------------------------------------------- target


def _manifest(path: Path) -> dict | None:
    try:
        m = json.loads((path / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return m if isinstance(m, dict) and m.get("generator") == "fmtrials" else None


def report_listing(path: Path) -> tuple[bool, list[str]]:
    """(is an fmtrials report, entries it holds that fmtrials did not write according to its manifest)."""
    m = _manifest(path)
    if m is None:
        return False, []
    listed = {str(f) for f in m.get("files", []) if isinstance(f, str)} | {MANIFEST}
    allowed_dirs = set(REPORT_DIRS) | {str(p) for f in listed for p in Path(f).parents if str(p) != "."}
    extra = []
    for p in sorted(path.rglob("*")):
        rel = str(p.relative_to(path))
        if p.is_dir() and not p.is_symlink():
            if rel not in allowed_dirs:
                extra.append(rel + "/")
        elif rel not in listed:
            extra.append(rel)
    return True, [e for e in extra if not any(e.startswith(d) and d.endswith("/") and e != d for d in extra)]


def _is_within(child: Path, parent: Path) -> bool:
    try:
        return child.resolve().is_relative_to(parent.resolve())
    except OSError:
        return False


def _inputs(data: Path | Sequence[Path | None] | None) -> list[Path]:
    """The input files a run reads (the outcomes file, a continuous file, ...), ``None`` entries dropped."""
    if data is None:
        return []
    if isinstance(data, Path):
        return [data]
    return [Path(p) for p in data if p is not None]


def _some(names: list[str], most: int = 10) -> str:
    """The first ``most`` names and how many more: ``"a, b and 3 more"``."""
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def check_target(out: Path, force: bool, data: Path | Sequence[Path | None] | None) -> None:
    """Raise :class:`ReportError` unless the report may be written at ``out`` (see the module docstring).
    ``data``: every input file of the run (one path or several); none of them may lie inside ``out``."""
    if out.is_symlink():
        state = "dangling " if not out.exists() else ""
        raise ReportError(
            Problem(
                f"is a {state}symbolic link; fmtrials neither follows nor replaces links for --out: pass the real "
                "directory",
                file=str(out),
            )
        )
    if out.exists() and not out.is_dir():
        raise ReportError(Problem("exists and is not a directory; choose another --out", file=str(out)))
    if not out.is_dir():
        return
    if os.path.ismount(out):
        raise _mount_error(out)
    for path in _inputs(data):
        if _is_within(path, out):
            raise ReportError(
                Problem(
                    f"the input file {path.name} lies inside --out, which the report replaces; move the input or "
                    "choose another --out (--force does not override this)",
                    file=str(out),
                )
            )
    entries = list(out.iterdir())
    if entries and _is_within(Path.cwd(), out):
        raise ReportError(
            Problem(
                "--out is the current directory (or holds it) and is not empty; fmtrials replaces a report by "
                "swapping whole folders, which it cannot do to the directory you are in: choose another --out",
                file=str(out),
            )
        )
    if not entries or force:
        return
    is_report, extra = report_listing(out)
    if not is_report:
        raise ReportError(
            Problem(
                "directory is not empty and holds no earlier fmtrials report; choose another --out or pass --force",
                file=str(out),
            )
        )
    if extra:
        shown = _some(extra)
        raise ReportError(
            Problem(
                f"holds an earlier fmtrials report plus files fmtrials did not write ({shown}); replacing the "
                "report would delete them: move them away, choose another --out, or pass --force",
                file=str(out),
            )
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def recover(out: Path) -> None:
    """Tidy what an interrupted run left beside ``out``: build folders ``.NAME.tmp-PID-*`` of a process that
    no longer runs are removed; with ``out`` missing, the newest leftover ``.NAME.old-*`` report of an
    interrupted two-rename replacement is moved back to ``out``; with ``out`` present, leftover copies that
    hold exactly an fmtrials report are removed. Anything else is left alone."""
    for stale in out.parent.glob(f".{out.name}.tmp-*-*"):
        pid = stale.name[len(f".{out.name}.tmp-") :].split("-", 1)[0]
        if pid.isdigit() and stale.is_dir() and not stale.is_symlink() and not _pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    leftovers = sorted(out.parent.glob(f".{out.name}.old-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in leftovers:
        if old.is_symlink() or not old.is_dir():
            continue
        is_report, extra = report_listing(old)
        if not is_report or extra:
            continue
        if not out.exists() and not out.is_symlink():
            os.rename(old, out)
        else:
            shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------- replace


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def make_build_dir(out: Path) -> Path:
    """A fresh hidden sibling of ``out`` to build in, with the permissions the umask gives a new folder
    (``mkdtemp`` alone makes it 0700)."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    return tmp


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with ``renameat2(RENAME_EXCHANGE)``; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    fn.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


def replace_dir(tmp: Path, out: Path, allowed: set[str] | None = None) -> None:
    """Put ``tmp`` at ``out``: a plain rename when ``out`` is absent, an atomic exchange (then the old
    report is removed) when it exists, else two renames (a crash between them leaves ``.NAME.old-*``,
    which :func:`recover` restores on the next run). With ``allowed`` (relative paths), the old report is
    removed only as far as ``allowed`` covers it (:func:`_discard`); otherwise entirely."""
    if not out.exists():
        os.rename(tmp, out)
        return
    if _exchange(tmp, out):
        if allowed is None:
            shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous report
        else:
            _discard(tmp, out, allowed)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    if allowed is None:
        shutil.rmtree(old, ignore_errors=True)
    else:
        _discard(old, out, allowed)


def move_into(tmp: Path, out: Path) -> None:
    """Fill the existing empty folder ``out`` (e.g. ``--out .``) with the built files, the manifest last,
    so an interrupted move never leaves a folder that claims to be a complete report."""
    names = sorted(p.name for p in tmp.iterdir() if p.name != MANIFEST) + [MANIFEST]
    for name in names:
        os.rename(tmp / name, out / name)
    tmp.rmdir()


# ---------------------------------------------------------------------------------------------------- races


def _mount_error(out: Path) -> ReportError:
    return ReportError(
        Problem(
            "is a mount point (or on another file system than its parent folder): fmtrials builds a report beside "
            "--out and swaps whole folders, which cannot be done to a mount point; pass a folder inside it, "
            f"e.g. --out {out / 'report'}",
            file=str(out),
        )
    )


def lock_path(out: Path) -> Path:
    """The lock file of ``out``: ``.NAME.lock`` in its parent folder, present only while a run holds it."""
    return out.parent / f".{out.name}.lock"


def _refused(out: Path) -> ReportError:
    return ReportError(
        Problem(
            "another fmtrials report is being written there right now (it holds the lock "
            f"{lock_path(out).name} beside it); wait for it to finish or choose another --out",
            file=str(out),
        )
    )


@contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out`` (``flock`` on :func:`lock_path`; the parent folder must exist);
    :class:`ReportError` at once when another run holds it. The lock file is removed by its holder before
    the lock is released, and a lock taken on a file that was meanwhile removed is taken again, so two runs
    can never both hold it. Where ``fcntl`` is missing (Windows) no lock is taken; the re-check at replacement
    (:func:`put_in_place`) still protects user files."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    path = lock_path(out)
    for _ in range(100):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise _refused(out) from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder before us removed the file: lock the new one
    else:  # pragma: no cover - a hundred holders in a row
        raise _refused(out)
    try:
        yield
    finally:
        with _suppress_oserror():
            os.unlink(path)
        os.close(fd)  # releases the lock


def _entries(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


def snapshot(out: Path) -> set[str] | None:
    """What ``out`` holds when the run begins (relative paths), None when it is not a directory."""
    return _entries(out) if out.is_dir() and not out.is_symlink() else None


def _listed(path: Path) -> set[str]:
    m = _manifest(path)
    files = {str(f) for f in (m or {}).get("files", []) if isinstance(f, str)}
    return files | ({MANIFEST} if m is not None else set())


def put_in_place(
    tmp: Path, out: Path, force: bool, data: Path | Sequence[Path | None] | None, before: set[str] | None
) -> None:
    """Re-check the rules at the moment of replacement, then put the built ``tmp`` at ``out``: fill an empty
    folder, else swap; the previous report is removed only as far as its manifest (or, with ``force``, the
    snapshot ``before``) covers it (see the module docstring)."""
    check_target(out, force, data)
    if force and out.is_dir():
        new = sorted(_entries(out) - (before or set()) - _listed(out))
        if new:
            shown = _some(new)
            raise ReportError(
                Problem(
                    f"{shown} appeared in --out while the report was being built; it is not replaced, so "
                    "nothing is lost: the new report was discarded, run again when --out is settled",
                    file=str(out),
                )
            )
    allowed = _listed(out) | ((before or set()) if force else set()) if out.is_dir() else set()
    try:
        if out.is_dir() and not any(out.iterdir()):
            move_into(tmp, out)  # an existing empty folder (maybe the current directory) is filled
            return
        replace_dir(tmp, out, allowed)
    except OSError as err:
        if err.errno in (errno.EBUSY, errno.EXDEV):
            raise _mount_error(out) from None
        raise


def _discard(old: Path, out: Path, allowed: set[str]) -> None:
    """Remove the previous report ``old`` file by file, only the entries in ``allowed``, then its emptied
    folders; whatever else is there (created during the replacement) is kept as ``NAME.kept-*``."""
    for p in sorted(old.rglob("*"), key=lambda q: len(q.parts), reverse=True):
        rel = str(p.relative_to(old))
        if p.is_dir() and not p.is_symlink():
            with _suppress_oserror():
                p.rmdir()  # only when empty
        elif rel in allowed:
            p.unlink(missing_ok=True)
    with _suppress_oserror():
        old.rmdir()
    if old.exists():
        kept = Path(tempfile.mkdtemp(prefix=f"{out.name}.kept-", dir=out.parent))
        kept.rmdir()
        os.rename(old, kept)
        warnings.warn(
            f"{out}: files that are not part of the previous report appeared during the replacement; they were "
            f"kept in {kept}",
            stacklevel=3,
        )


@contextmanager
def _suppress_oserror() -> Iterator[None]:
    try:
        yield
    except OSError:
        pass

"""Running ``fmtrials report``: :func:`write_report` checks its options, reads the input, and builds the
report in a folder of its own that replaces ``out`` atomically.

:func:`write_report` analyses the bundled data (or a user outcomes CSV) and writes::

    DIR/report.html        self-contained: inline SVG figures and CSS, no JavaScript, no network
    DIR/tables/*.csv       every table shown in the report
    DIR/figures/*.svg|png  every figure
    DIR/results.json       pooled results and audit verdicts
    DIR/manifest.json      input SHA-256, package and dependency versions, options (no timestamps)

The report is built in a temporary sibling directory and swapped into place atomically, so a failed or killed
run leaves no half report (see :mod:`fmtrials.report.outdir` for the rules on what may be replaced: never a
symbolic link, never a folder holding the input file or files fmtrials did not write, unless ``force=True``
for the latter). File names come from safe slugs of the endpoint names and every path written is checked to
lie inside the build directory. All text from data is HTML-escaped (Jinja2 autoescaping); text cells of the
CSV tables that a spreadsheet would run as a formula are prefixed with ``'``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import warnings
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path

import pandas as pd

from .. import __version__, _proc
from .. import data as _data
from .._vocab import Measure, PoolMethod, PoolTest, RDInterval, renamed_args
from ..errors import DataError, Problem
from . import build, names
from . import figures as _figures
from . import network_input as _network
from . import outdir as _outdir
from .options import ReportOptions

__all__ = ["write_report"]

MANIFEST = _outdir.MANIFEST
DEPENDENCIES = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "jinja2")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Progress:
    """Progress lines on stderr (none with ``quiet``); every line is also a point where a stopped run ends."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def __call__(self, msg: str) -> None:
        _proc.checkpoint()  # a stopped run ends here (SIGTERM / SIGINT: see fmtrials._proc)
        if not self.quiet:
            print(f"fmtrials report: {msg}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _warnings_routed(progress: Progress) -> Iterator[None]:
    """Python warnings become progress lines (``warning: ...``); with ``quiet`` they are silenced."""
    with warnings.catch_warnings():
        if progress.quiet:
            warnings.simplefilter("ignore")
        else:
            warnings.showwarning = lambda message, category, *a, **k: progress(
                f"warning: {category.__name__}: {message}".replace("\n", " ")
            )
        yield


@renamed_args(treatment_label="treatment")
def write_report(
    out: str | os.PathLike = "report",
    *,
    data: str | os.PathLike | None = None,
    endpoints: Iterable[str] | None = None,
    measure: Measure = "RR",
    ci: RDInterval = "newcombe",
    force: bool = False,
    quiet: bool = False,
    figures: bool = True,
    treatment: str | None = None,
    title: str | None = None,
    method: PoolMethod | None = None,
    test: PoolTest | None = None,
    dpi: int = 300,
    continuous: str | os.PathLike | None = None,
    comparators: str | os.PathLike | None = None,
) -> Path:
    """Analyse the bundled data (or a user outcomes CSV) and write the report into ``out``.

    Parameters
    ----------
    out : path
        Output directory: created, or replaced atomically when it holds exactly an earlier fmtrials report
        (the files its ``manifest.json`` lists). An existing empty directory (also the current one,
        ``--out .``) is filled. A symbolic link is refused (neither followed nor replaced). One run at a time
        per ``out`` (a second is refused at once); the rules are checked again at the moment of replacement, so
        a file created in ``out`` during the build is never deleted (the run is refused naming it and the new
        report is discarded). A mount point is refused: pass a folder inside it.
    data : path, optional
        A user outcomes CSV (``study, dose_mg_day, endpoint, n, responders``); the bundled data by default.
        At most :data:`fmtrials.data.MAX_ROWS` rows and :data:`fmtrials.data.MAX_STUDIES` studies.
    endpoints : list of str, optional
        Endpoints to analyse; by default :func:`default_endpoints`.
    measure : {"RR", "OR", "RD"}
        Effect measure for pooling (any letter case).
    ci : str
        Risk-difference interval method for the per-comparison table (see :func:`fmtrials.risk_difference`).
    force : bool
        Replace a non-empty directory that is not (exactly) an earlier report. Never a folder holding the
        input file, a symbolic link, or the current directory.
    quiet : bool
        No progress lines on stderr, and Python warnings silenced (otherwise they are progress lines).
    figures : bool
        Draw the figures (True for the real report).
    treatment : str, optional
        The name of the treatment in tables, figures and text (``treatment_label=`` in the previous release;
        ``title`` likewise: at most 200 characters, no control characters nor bidi embedding/override/isolate
        characters; right-to-left text is isolated).
        Default ``"milnacipran"`` for the bundled data
        and ``"treatment"`` for user data: a report on your data names no drug you did not name.
    title : str, optional
        The report's title (``<title>`` and heading). Default: the bundled question, or ``"fmtrials report:
        <file name>"`` for user data.
    method, test : str, optional
        The main pooling model (see :func:`fmtrials.analyse`), e.g. ``method="DL", test="z"``; default the
        report's policy (REML with Hartung-Knapp-Sidik-Jonkman and its ad hoc truncation; Mantel-Haenszel at
        k <= 2). Recorded in ``manifest.json``.
    dpi : int, default 300
        Resolution of the PNG files under ``figures/`` (the HTML holds SVG).
    continuous : path, optional
        A user continuous outcomes CSV (``study, endpoint, mean_t, sd_t, n_t, mean_c, sd_c, n_c``, see
        :func:`fmtrials.read_continuous`): its endpoints are shown as mean and standardised mean differences in the
        section "Continuous endpoints". Without it, on the bundled data, that section lists the missing numbers.
    comparators : path, optional
        Comparator arms (the layout of ``data/comparator_arms.csv``) for the section "How does milnacipran compare
        with duloxetine and pregabalin?" instead of the bundled ones; with user ``data`` the section is shown
        only when this is given.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    DataError
        Invalid input (file, row and column named), or, as :class:`~fmtrials.errors.ReportError`, an unsafe
        output directory. Nothing is written then.
    """
    options = ReportOptions.of(
        data=data,
        endpoints=endpoints,
        measure=measure,
        ci=ci,
        force=force,
        quiet=quiet,
        figures=figures,
        treatment=treatment,
        title=title,
        method=method,
        test=test,
        dpi=dpi,
        continuous=continuous,
        comparators=comparators,
    )
    progress = Progress(options.quiet)
    target = Path(os.path.abspath(out))
    # imported here, before the stoppable run: importing fmtrials.decision computes Gauss-Legendre nodes in a
    # LAPACK call that holds the GIL (seconds on a loaded machine), during which the waiting main thread could
    # not act on a signal; here a signal has its usual effect, with nothing to clean up yet
    from .. import decision  # noqa: F401

    with _warnings_routed(progress):
        return _proc.run_stoppable(lambda: _write_report(target, options, progress))


def _read_input(data: Path | None) -> tuple[pd.DataFrame, str, dict[str, str]]:
    """(outcomes, what the report calls the input, input file -> SHA-256); only base names are recorded."""
    if data is None:
        inputs = {f"data/{t}.csv": _sha256(_data.data_dir() / f"{t}.csv") for t in _data.SPECS}
        return _data.load_outcomes(), "the bundled data", inputs
    from .._validation import safe_text

    outcomes = _data.read_outcomes(data)
    name = safe_text(Path(data).name)
    if not (~_data.is_placebo(outcomes)).any():
        raise DataError(
            Problem(
                "every row is a placebo arm: there is nothing to compare against placebo; add "
                "the active arms (dose_mg_day above 0)",
                file=str(data),
                column="dose_mg_day",
            )
        )
    return outcomes, name, {Path(data).name: _sha256(Path(data))}


def _write_report(out: Path, options: ReportOptions, progress: Progress) -> Path:
    data_path, force = options.data, options.force
    inputs_read = (data_path, options.continuous, options.comparators)  # none of them may lie inside --out
    _outdir.check_target(out, force, inputs_read)  # early, for a quick answer; again under the lock
    progress("reading data")
    outcomes, input_note, inputs = _read_input(data_path)
    cont = None if options.continuous is None else _data.read_continuous(options.continuous)
    if options.continuous is not None:
        inputs[options.continuous.name] = _sha256(options.continuous)
    if options.comparators is not None:  # validated and fitted now: a bad file leaves nothing written
        _network.prepare(options.comparators, options.measure)
        inputs[options.comparators.name] = _sha256(options.comparators)
    if options.endpoints:
        known = set(outcomes["endpoint"].dropna())
        unknown = [e for e in options.endpoints if e not in known]
        if unknown:
            raise DataError(
                Problem(
                    f"endpoint(s) not in the data: {', '.join(unknown)}; known: " + ", ".join(sorted(known)),
                    column="--endpoint",
                )
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as held:
        with _proc.critical():  # a stop (SIGTERM / SIGINT) removes the lock file, as its holder
            held.enter_context(_outdir.locked(out))  # one run at a time per --out, from the check to the replacement
            _proc.on_stop(lambda: _outdir.lock_path(out).unlink(missing_ok=True))
        _outdir.recover(out)
        _outdir.check_target(out, force, inputs_read)
        before = _outdir.snapshot(out)
        with _proc.critical():  # a stop removes the build folder at once, whatever the build is doing
            tmp = _outdir.make_build_dir(out)
            _proc.on_stop(lambda: shutil.rmtree(tmp, ignore_errors=True))
        try:
            built = build.assemble(tmp, outcomes, input_note, options, progress, continuous=cont)
            _write_manifest(tmp, inputs, input_note, built, options)
            with _proc.critical():  # a signal now waits for the report to be in place, or it is never touched
                _outdir.put_in_place(tmp, out, force, inputs_read, before)
                _proc.committed()
        finally:
            _figures.stop_all()  # figure workers still running when the build failed
            shutil.rmtree(tmp, ignore_errors=True)
    progress(f"done: {out / 'report.html'}")
    return out


def _write_manifest(
    tmp: Path, inputs: dict[str, str], input_note: str, endpoints: list[str], options: ReportOptions
) -> None:
    """``manifest.json``: what was run (options already normalised) and every file written."""
    files = sorted(
        str(names.inside(tmp, p.relative_to(tmp)).relative_to(tmp))
        for p in tmp.rglob("*")
        if p.is_file() or p.is_symlink()
    )
    manifest = {
        "generator": "fmtrials",
        "version": __version__,
        "inputs": inputs,
        "python": sys.version.split()[0],
        "dependencies": {d: _dist_version(d) for d in DEPENDENCIES},
        "options": {
            "data": None if options.bundled else input_note,
            "endpoints": endpoints,
            "measure": options.measure,
            "ci": options.ci,
            "figures": options.figures,
            **options.recorded(),
        },
        "files": files,
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None

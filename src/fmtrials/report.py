"""``fmtrials report``: a self-contained, byte-reproducible HTML report.

:func:`write_report` analyses the bundled data (or a user outcomes CSV) and writes::

    DIR/report.html        self-contained: inline SVG figures and CSS, no JavaScript, no network
    DIR/tables/*.csv       every table shown in the report
    DIR/figures/*.svg|png  every figure
    DIR/results.json       pooled results and audit verdicts
    DIR/manifest.json      input SHA-256, package and dependency versions, options (no timestamps)

The report is built in a temporary sibling directory and swapped into place atomically, so a failed or killed
run leaves no half report (see :mod:`fmtrials._outdir` for the rules on what may be replaced: never a
symbolic link, never a folder holding the input file or files fmtrials did not write, unless ``force=True``
for the latter). File names come from safe slugs of the endpoint names and every path written is checked to
lie inside the build directory. All text from data is HTML-escaped (Jinja2 autoescaping); text cells of the
CSV tables that a spreadsheet would run as a formula are prefixed with ``'``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import sys
import warnings
from collections.abc import Iterable, Sequence
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__, _outdir, _proc
from . import _report_figures as _figures
from . import data as _data
from ._csv import write_csv
from ._format import measure_name, pool_label
from ._report_extras import diagnostics_part, what_it_means_part
from ._report_figures import no_attrs as _no_attrs
from ._report_tables import (
    SINGLE_LABEL,
    _display_audit,
    _display_compared,
    _fmt,
    _fmt_p,
    _known_gaps,
    _loo_rows,
    _pooled_rows,
    _records,
    _sensitivity_notes,
)
from ._vocab import Measure, PoolMethod, PoolTest, RDInterval, renamed_args
from .analysis import (
    ANALYSIS_PREFERENCE,
    EFFICACY_ENDPOINTS,
    EndpointAnalysis,
    analyse,
    default_endpoints,
    methods_paragraph,
)
from .errors import DataError, Problem

__all__ = ["write_report", "default_endpoints", "EFFICACY_ENDPOINTS"]

MANIFEST = _outdir.MANIFEST
DEPENDENCIES = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "jinja2")


# ---------------------------------------------------------------------------------------------------- helpers


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Progress:
    def __init__(self, quiet: bool):
        self.quiet = quiet

    def __call__(self, msg: str) -> None:
        _proc.checkpoint()  # a stopped run ends here (SIGTERM / SIGINT: see fmtrials._proc)
        if not self.quiet:
            print(f"fmtrials report: {msg}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _warnings_routed(progress: _Progress):
    """Python warnings become progress lines (``warning: ...``); with ``quiet`` they are silenced."""
    with warnings.catch_warnings():
        if progress.quiet:
            warnings.simplefilter("ignore")
        else:
            warnings.showwarning = lambda message, category, *a, **k: progress(
                f"warning: {category.__name__}: {message}".replace("\n", " ")
            )
        yield


def _json_safe(value: Any) -> Any:
    """Plain JSON types; NaN/inf -> None; floats rounded to 12 significant digits for stable bytes."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if not math.isfinite(v) else float(f"{v:.12g}")
    return str(value)


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    write_csv(df, path, float_format="%.10g")


class _Shown:
    """One endpoint as the report shows it: the analysis layer's :class:`~fmtrials.analysis.EndpointAnalysis`
    (every attribute read through) plus the figures drawn for it (name -> inline SVG)."""

    def __init__(self, analysis: EndpointAnalysis):
        self.analysis = analysis
        self.figures: dict[str, str] = {}
        self.figure_notes: list[str] = []  # figures not drawn, and why
        self.diagnostics: dict[str, Any] | None = None  # dose meta-regression, influence, small-study tests
        self.loo = analysis.leave_one_out
        self.sensitivity = analysis.sensitivity

    def __getattr__(self, name: str) -> Any:
        return getattr(self.analysis, name)


# ---------------------------------------------------------------------------------------------------- formatting


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
    progress = _Progress(quiet)
    options = _options(data, treatment, title, method, test, dpi, ci)
    target, ci = Path(os.path.abspath(out)), options.pop("ci")
    # imported here, before the stoppable run: importing fmtrials.decision computes Gauss-Legendre nodes in a
    # LAPACK call that holds the GIL (seconds on a loaded machine), during which the waiting main thread could
    # not act on a signal; here a signal has its usual effect, with nothing to clean up yet
    from . import decision  # noqa: F401

    with _warnings_routed(progress):
        return _proc.run_stoppable(
            lambda: _write_report(target, data, endpoints, measure, ci, force, progress, figures, options)
        )


def _options(data, treatment_label, title, method, test, dpi, ci) -> dict[str, Any]:
    """The presentation and model options, checked before any work (a DataError names the bad one) and
    normalised before they are recorded (choices in their canonical spelling, text on one line), so options
    that mean the same give the same bytes. Text is checked by :func:`fmtrials._validation.check_text`:
    control characters (NUL included) and explicit bidi overrides are refused."""
    from ._validation import check_int, check_text, safe_text
    from ._vocab import POOL_METHODS, POOL_TESTS, RD_INTERVALS, choice

    bundled = data is None
    label = treatment_label if treatment_label is not None else ("milnacipran" if bundled else "treatment")
    label = check_text(label, "--treatment-label")
    if title is None:
        title = "milnacipran in fibromyalgia" if bundled else safe_text(Path(data).name)
        title = f"fmtrials report: {title}"
    else:
        title = check_text(title, "--title")
    return {
        "treatment_label": label,
        "title": title,
        "method": None if method is None else choice(method, POOL_METHODS, "--method"),
        "test": None if test is None else choice(test, POOL_TESTS, "--test"),
        "dpi": check_int(dpi, "--dpi", low=50, high=1200),
        "ci": choice(ci, RD_INTERVALS, "--ci"),
    }


def _read_input(data: str | os.PathLike | None) -> tuple[pd.DataFrame, str, dict[str, str]]:
    """(outcomes, what the report calls the input, input file -> SHA-256); only base names are recorded."""
    if data is None:
        inputs = {f"data/{t}.csv": _sha256(_data.data_dir() / f"{t}.csv") for t in _data.SPECS}
        return _data.load_outcomes(), "the bundled data", inputs
    from ._validation import safe_text

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


def _write_report(out: Path, data, endpoints, measure, ci, force, progress, figures, options) -> Path:
    from ._vocab import MEASURES, choice

    measure = choice(measure, MEASURES, "--measure")
    data_path = None if data is None else Path(data)
    _outdir.check_target(out, force, data_path)  # early, for a quick answer; again under the lock
    progress("reading data")
    outcomes, input_note, inputs = _read_input(data)
    known = set(outcomes["endpoint"].dropna())
    if endpoints:
        endpoints = list(dict.fromkeys(endpoints))
        unknown = [e for e in endpoints if e not in known]
        if unknown:
            raise DataError(
                Problem(
                    f"endpoint(s) not in the data: {', '.join(unknown)}; known: " + ", ".join(sorted(known)),
                    column="--endpoint",
                )
            )
    else:
        endpoints = None
    from .effects import risk_difference

    risk_difference(1, 2, 1, 2, ci=ci)  # validate the interval method before any work
    out.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as held:
        with _proc.critical():  # a stop (SIGTERM / SIGINT) removes the lock file, as its holder
            held.enter_context(_outdir.locked(out))  # one run at a time per --out, from the check to the replacement
            _proc.on_stop(lambda: _outdir.lock_path(out).unlink(missing_ok=True))
        _outdir.recover(out)
        _outdir.check_target(out, force, data_path)
        before = _outdir.snapshot(out)
        with _proc.critical():  # a stop removes the build folder at once, whatever the build is doing
            tmp = _outdir.make_build_dir(out)
            _proc.on_stop(lambda: shutil.rmtree(tmp, ignore_errors=True))
        try:
            built = _build(tmp, outcomes, endpoints, measure, ci, data is None, input_note, progress, figures, options)
            _write_manifest(tmp, inputs, data, input_note, built, measure, ci, figures, options)
            with _proc.critical():  # a signal now waits for the report to be in place, or it is never touched
                _outdir.put_in_place(tmp, out, force, data_path, before)
                _proc.committed()
        finally:
            _figures.stop_all()  # figure workers still running when the build failed
            shutil.rmtree(tmp, ignore_errors=True)
    progress(f"done: {out / 'report.html'}")
    return out


def _write_manifest(tmp: Path, inputs, data, input_note, endpoints, measure, ci, figures, options) -> None:
    """``manifest.json``: what was run (options already normalised) and every file written."""
    files = sorted(
        str(_outdir.inside(tmp, p.relative_to(tmp)).relative_to(tmp))
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
            "data": None if data is None else input_note,
            "endpoints": endpoints,
            "measure": measure,
            "ci": ci,
            "figures": bool(figures),
            **options,
        },
        "files": files,
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _build(
    tmp: Path,
    outcomes: pd.DataFrame,
    endpoints: Sequence[str] | None,
    measure: Measure,
    ci: RDInterval,
    bundled: bool,
    input_note: str,
    progress: _Progress,
    make_figures: bool,
    options: dict[str, Any],
) -> list[str]:
    (tmp / "tables").mkdir()
    (tmp / "figures").mkdir()
    result = analyse(
        outcomes, endpoints, measure=measure, ci=ci, progress=progress, method=options["method"], test=options["test"]
    )
    endpoints = result.endpoints
    analyses = [_Shown(a) for a in result]
    stems = _outdir.slugs(endpoints)
    progress("diagnostics")
    for a in analyses:  # before the figures: the funnel plot draws the trim-and-fill studies from k >= 10
        a.diagnostics = diagnostics_part(a)
    from ._validation import isolate

    treatment = isolate(options["treatment_label"])  # right-to-left text cannot reorder what surrounds it
    if make_figures:
        jobs = [
            job
            for a in analyses
            if a.main is not None
            for job in _figures.figure_jobs(outcomes, a, treatment=treatment)
        ]
        progress(f"drawing {len(jobs)} figures")  # in the background, while the rest is computed
        drawing = _figures.start_all(jobs, tmp / "figures", min(2, os.cpu_count() or 1), stems, png_dpi=options["dpi"])
    progress("re-analysing the published composite-responder table")
    main = _main_results(bundled, tmp, make_figures, result, outcomes, {**options, "treatment_label": treatment})
    progress("decision metrics")
    meaning = what_it_means_part(result, outcomes, bundled=bundled)
    progress("auditing reported figures")
    audit_table = _audit_table(bundled)
    if make_figures:
        by_endpoint = {a.endpoint: a for a in analyses}
        for endpoint, kind, svg in drawing.result():
            by_endpoint[endpoint].figures[kind] = svg
    progress("writing tables and results")
    compared = result.compared
    _write_csv(compared, tmp / "tables" / "comparisons.csv")
    pooled = pd.DataFrame([row for a in analyses for row in _pooled_rows_noted(a)])
    _write_csv(_pooled_frame(analyses, measure), tmp / "tables" / "pooled.csv")
    sens = (
        pd.concat(
            [_no_attrs(a.sensitivity).assign(endpoint=a.endpoint) for a in analyses if a.sensitivity is not None],
            ignore_index=True,
        )
        if any(a.sensitivity is not None for a in analyses)
        else pd.DataFrame()
    )
    _write_csv(sens, tmp / "tables" / "sensitivity.csv")
    loo = (
        pd.concat(
            [_no_attrs(a.loo).assign(endpoint=a.endpoint) for a in analyses if a.loo is not None], ignore_index=True
        )
        if any(a.loo is not None for a in analyses)
        else pd.DataFrame()
    )
    _write_csv(loo, tmp / "tables" / "leave_one_out.csv")
    models = _no_attrs(result.models())
    _write_csv(models, tmp / "tables" / "models.csv")
    methods = methods_paragraph(result, treatment=treatment)
    (tmp / "methods.txt").write_text(str(methods) + "\n", encoding="utf-8")
    if audit_table is not None:
        _write_csv(audit_table, tmp / "tables" / "audit.csv")
    for name, table in meaning["tables"].items() if meaning else ():
        _write_csv(_no_attrs(table), tmp / "tables" / f"what_it_means_{name}.csv")
    for name in ("dose_regression", "influence", "small_study"):
        parts = [
            _no_attrs(a.diagnostics["raw"][name]) for a in analyses if a.diagnostics and name in a.diagnostics["raw"]
        ]
        if parts:
            _write_csv(pd.concat(parts, ignore_index=True), tmp / "tables" / f"{name}.csv")
    results = {
        "endpoints": {
            a.endpoint: {"main": _result_dict(a.main), "common": _result_dict(a.common), "notes": a.notes}
            for a in analyses
        },
        "audit": None if audit_table is None else audit_table.to_dict(orient="records"),
    }
    (tmp / "results.json").write_text(
        json.dumps(_json_safe(results), indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    progress("rendering report.html")
    req = result.requested
    html_text = _render_html(
        {
            "analyses": analyses,
            "compared": compared,
            "pooled": pooled,
            "audit_table": audit_table,
            "outcomes": outcomes,
            "bundled": bundled,
            "input_note": input_note,
            "measure": measure,
            "ci": ci,
            "stems": stems,
            "main": main,
            "meaning": meaning,
            "options": options,
            "models": models,
            "methods": methods,
            "requested": None if req is None else pool_label(req.method, req.test),
        }
    )
    (tmp / "report.html").write_text(html_text, encoding="utf-8")
    return list(endpoints)


def _pooled_rows_noted(a: Any) -> list[dict[str, Any]]:
    """The HTML pooled rows of an endpoint; the last (the common-effect check's total) carries ``note``, the
    sentence printed under it when the check and the main model disagree materially
    (:func:`fmtrials.analysis.policy.models_disagree`)."""
    rows = _pooled_rows(a)
    if rows and a.disagreement:
        rows[-1] = {**rows[-1], "note": a.disagreement}
    return rows


def _pooled_frame(analyses: Sequence[Any], measure: str) -> pd.DataFrame:
    """``tables/pooled.csv``: the analysis layer's numbers (:meth:`EndpointAnalysis.to_frame`), numeric columns
    only (estimate, ci_low, ci_high, p_value, q, i2, tau2, pi_low, pi_high, subgroup test); text is for the
    HTML."""
    parts = [_no_attrs(a.to_frame()) for a in analyses]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True).assign(measure=measure)


def _model_rows(models: pd.DataFrame) -> list[dict[str, Any]]:
    """The report's "model per endpoint" rows: endpoint, k, the main model's label and why it was used."""
    return [
        {
            "endpoint": r["endpoint"],
            "k": int(r["k"]),
            "model": pool_label(r["method"], r["test"]) if r["method"] and r["rule"] != "single" else SINGLE_LABEL,
            "reason": r["reason"],
        }
        for r in models.to_dict(orient="records")
    ]


def _zero_cells(compared: pd.DataFrame) -> list[str]:
    """``"study endpoint"`` of every compared table with a zero (or full) cell: where the 0.5 correction acts."""
    if compared is None or compared.empty:
        return []
    from .effects.sizes import zero_cell

    rows = compared[zero_cell(*(compared[c].to_numpy(float) for c in ("events_t", "n_t", "events_c", "n_c")))]
    return list(dict.fromkeys(f"{r.study} {r.endpoint}" for r in rows.itertuples()))


def _contributions(analyses: Sequence[Any]) -> dict[str, list[str]]:
    """Study -> the endpoints whose analysed comparisons it gives counts to (the report's "Contributes to")."""
    out: dict[str, list[str]] = {}
    for a in analyses:
        if a.primary is None or not len(a.primary):
            continue
        for study in dict.fromkeys(a.primary["study"].astype(str)):
            out.setdefault(study, []).append(a.endpoint)
    return out


def _bundled_sources() -> set[str]:
    """Every source id any bundled table cites (``source``, ``alt_source``): the report cites them all."""
    out: set[str] = set()
    for name in _data.SPECS:
        table = _data._bundled(name)
        for col in ("source", "alt_source"):
            if col in table.columns:
                out |= {str(v) for v in table[col].dropna() if str(v)}
    return out


def _result_dict(r) -> dict:
    """A pooled result as written to ``results.json``: its one serialiser, ``PoolResult.to_dict()``."""
    return {} if r is None else r.to_dict()


def _audit_table(bundled: bool) -> pd.DataFrame | None:
    if not bundled:
        return None
    from .consistency import audit

    return audit(_data.load_reported(), _data.load_arms())


def _main_results(
    bundled: bool, tmp: Path, make_figures: bool, result: Any, outcomes: pd.DataFrame, options: dict[str, Any]
) -> dict | None:
    """The first section: the summary (every number computed, :mod:`fmtrials._report_main`), the published
    composite table re-analysed under every assumed denominator (``tables/composite_reanalysis.csv``,
    ``figures/composite_reanalysis.svg``), the other efficacy endpoints and the key safety endpoints per trial
    (``tables/main_trials.csv``) and pooled (``tables/main_pooled.csv``)."""
    if not bundled:
        return None
    from . import _report_main as M
    from ._report_tables import main_results_rows
    from .consistency import reanalyse_reported

    r = reanalyse_reported()
    seed = r[(r["source"] == "SEED003") & r["status"].notna()]
    _write_csv(_no_attrs(seed), tmp / "tables" / "composite_reanalysis.csv")
    tables = M.main_tables(result, outcomes)
    _write_csv(tables.pop("frame"), tmp / "tables" / "main_trials.csv")
    _write_csv(pd.DataFrame(tables.pop("pooled_numbers")), tmp / "tables" / "main_pooled.csv")
    tables["summary"] = M.seed_summary(seed)
    tables["holm_note"] = M.holm_note(tables["families"])
    svg = None
    if make_figures:
        svg = _figures.render_composite(
            seed, tmp / "figures", png_dpi=options["dpi"], treatment=options["treatment_label"]
        )
    from .consistency import SCENARIO_KINDS

    kinds = {k: SCENARIO_KINDS[k] for k in dict.fromkeys(seed["scenario_kind"]) if k in SCENARIO_KINDS}
    return {"rows": main_results_rows(seed), "svg": svg, "kinds": kinds, **tables}


def _render_html(shown: dict[str, Any]) -> str:
    """``report.html`` from the parts :func:`_build` computed (``shown``: analyses, tables, options, ...)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("fmtrials") / "templates")),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["fmt"] = _fmt
    env.filters["fmtp"] = _fmt_p
    template = env.get_template("report.html.j2")
    analyses, compared, outcomes, options = (shown[k] for k in ("analyses", "compared", "outcomes", "options"))
    bundled, measure = shown["bundled"], shown["measure"]
    trials = _records(_data.load_trials()) if bundled else None
    sources = _data.load_sources()
    used_sources = set(outcomes["source"].dropna()) | (_bundled_sources() if bundled else set())
    listed = sources[sources["source_id"].isin(used_sources)]
    return template.render(
        version=__version__,
        title=options["title"],
        requested=shown["requested"],
        models=_model_rows(shown["models"]),
        methods=shown["methods"],
        treatment=options["treatment_label"],
        input_note=shown["input_note"],
        bundled=bundled,
        measure=measure,
        measure_label=measure_name(measure),
        ci=shown["ci"],
        analyses=analyses,
        compared=_display_compared(compared),
        pooled=shown["pooled"],
        audit=_display_audit(shown["audit_table"]),
        trials=trials,
        sources=_records(listed),
        cited=set(listed["source_id"]),
        gaps=_known_gaps() if bundled else [],
        caption=_figures.figure_caption,
        small_study_shown={a.endpoint for a in analyses if a.diagnostics and a.diagnostics.get("small_study")},
        loo_rows=lambda a: _loo_rows(a.loo, measure),
        sensitivity_notes=_sensitivity_notes,
        stems=shown["stems"],
        meaning=shown["meaning"],
        formula_start="=, +, −, @, tab or carriage return",
        main=shown["main"],
        glossary=dict(zip(*_data.load_endpoints()[["code", "definition"]].to_numpy().T)),
        contributes=_contributions(analyses),
        zero_cells=_zero_cells(compared),
        status_meanings=_data.STATUS_MEANINGS,
        analysis_preference=ANALYSIS_PREFERENCE,
    )

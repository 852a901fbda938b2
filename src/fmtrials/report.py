"""``fmtrials report``: a self-contained, byte-reproducible HTML report.

:func:`write_report` analyses the bundled data (or a user outcomes CSV) and writes::

    DIR/report.html        self-contained: inline SVG figures and CSS, no JavaScript, no network
    DIR/tables/*.csv       every table shown in the report
    DIR/figures/*.svg|png  every figure
    DIR/results.json       pooled results and audit verdicts
    DIR/manifest.json      input SHA-256, package and dependency versions, options (no timestamps)

The report is built in a temporary sibling directory and renamed into place, so a failed run leaves no half
report. A non-empty directory that is not an earlier fmtrials report (no ``manifest.json`` naming fmtrials) is
not overwritten without ``force=True``. All text from data is HTML-escaped (Jinja2 autoescaping).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from . import __version__
from . import data as _data
from .analysis import EFFICACY_ENDPOINTS, EndpointAnalysis, analyse, default_endpoints
from .errors import DataError, Problem

__all__ = ["write_report", "default_endpoints", "EFFICACY_ENDPOINTS"]

MANIFEST = "manifest.json"
MEASURE_LABEL = {"RR": "risk ratio", "OR": "odds ratio", "RD": "risk difference"}
DEPENDENCIES = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "jinja2")


# ---------------------------------------------------------------------------------------------------- helpers

def _is_report_dir(path: Path) -> bool:
    try:
        return json.loads((path / MANIFEST).read_text("utf-8")).get("generator") == "fmtrials"
    except (OSError, ValueError, AttributeError):
        return False


def _check_target(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise DataError(Problem("exists and is not a directory; choose another --out", file=str(out)))
    if out.is_dir() and any(out.iterdir()) and not _is_report_dir(out) and not force:
        raise DataError(Problem("directory is not empty and holds no earlier fmtrials report; "
                                "choose another --out or pass --force", file=str(out)))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Progress:
    def __init__(self, quiet: bool):
        self.quiet = quiet

    def __call__(self, msg: str) -> None:
        if not self.quiet:
            print(f"fmtrials report: {msg}", file=sys.stderr, flush=True)


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
    df.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")


class _Shown:
    """One endpoint as the report shows it: the analysis layer's :class:`~fmtrials.analysis.EndpointAnalysis`
    (every attribute read through) plus the figures drawn for it (name -> inline SVG)."""

    def __init__(self, analysis: EndpointAnalysis):
        self.analysis = analysis
        self.figures: dict[str, str] = {}
        self.loo = analysis.leave_one_out
        self.sensitivity = None if analysis.sensitivity is None else _hksj_words(analysis.sensitivity)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.analysis, name)


def _hksj_words(sens: pd.DataFrame) -> pd.DataFrame:
    """The sensitivity table with its ``test`` column shown as the report's ``hksj`` column (no/yes/ad hoc)."""
    out = sens.rename(columns={"test": "hksj"})
    out["hksj"] = out["hksj"].map({"z": "no", "hksj": "yes", "hksj-adhoc": "ad hoc"})
    return out


#: figure kinds drawn per endpoint; L'Abbé and funnel plots only where enough comparisons make them readable
LABBE_FUNNEL_MIN_K = 4
FIGURE_CAPTIONS = {
    "responders": "event rate per arm with Wilson 95% CIs, placebo as the reference",
    "forest": "forest plot (REML + HKSJ with the ad hoc truncation, subgroups by dose, prediction interval)",
    "labbe": "L'Abbé plot (point area by n; pooled Mantel–Haenszel line)",
    "funnel": "funnel plot with pseudo 95% confidence limits (fewer than 10 studies: asymmetry cannot be judged)",
}


def _figure_jobs(outcomes: pd.DataFrame, ea: EndpointAnalysis) -> list[tuple]:
    """Picklable descriptions of the figures of one endpoint: (endpoint, kind, payload)."""
    harm = ea.event == "harmful"
    jobs = [
        (ea.endpoint, "responders", (_outcomes_like(outcomes, ea.primary),
                                     "Patients with event" if harm else "Responders")),
        (ea.endpoint, "forest", (ea.main, not harm, f"{ea.endpoint}: {MEASURE_LABEL[ea.main.measure]}, "
                                                     "REML random effects (HKSJ, ad hoc)")),
    ]
    if len(ea.primary) >= LABBE_FUNNEL_MIN_K:
        jobs.append((ea.endpoint, "labbe", (_no_attrs(ea.primary), ea.common,
                                            "with the event" if harm else "responders")))
        jobs.append((ea.endpoint, "funnel", (ea.common,)))
    return jobs


def _render_job(job: tuple, figure_dir: str) -> tuple[str, str, str]:
    """Draw one figure, write its PNG and SVG, return (endpoint, kind, inline SVG)."""
    from . import plots

    endpoint, kind, payload = job
    if kind == "responders":
        fig = plots.plot_responders(payload[0], endpoint=endpoint, events_label=payload[1])
    elif kind == "forest":
        fig = plots.plot_forest(payload[0], higher_is_better=payload[1], title=payload[2])
    elif kind == "labbe":
        fig = plots.plot_labbe(payload[0], result=payload[1], outcome=payload[2])
    else:
        fig = plots.plot_funnel(payload[0])
    stem = Path(figure_dir) / f"{endpoint}_{kind}"
    plots.save_figure(fig, stem.with_suffix(".png"), dpi=110)
    plots.save_figure(fig, stem.with_suffix(".svg"))
    del fig  # plain Figure objects (no pyplot state): nothing to close
    return endpoint, kind, _inline_svg(stem.with_suffix(".svg").read_text("utf-8"))


def _warm_up_matplotlib() -> None:
    from matplotlib.figure import Figure

    from . import plots  # noqa: F401  (imports the house style)

    fig = Figure(figsize=(1, 1))
    fig.text(0.5, 0.5, "fmtrials 0.1 [95% CI] –∞")
    fig.canvas.draw()


def _render_all(jobs: list[tuple], figure_dir: Path, workers: int) -> list[tuple[str, str, str]]:
    """Render every figure, in ``workers`` processes when more than one (each figure is independent, so the
    bytes are the same either way)."""
    if workers <= 1 or len(jobs) < 4:
        return [_render_job(j, str(figure_dir)) for j in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _warm_up_matplotlib()  # load fonts and backends once, before the workers fork

    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as ex:
        return list(ex.map(_render_job, jobs, [str(figure_dir)] * len(jobs)))


def _outcomes_like(outcomes: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """The outcome rows (active and placebo) behind the kept comparisons, one analysis per trial."""
    keys = ["study", "endpoint", "analysis", "population", "timepoint"]
    want = {tuple("" if pd.isna(v) else str(v) for v in row) for row in kept[keys].itertuples(index=False)}
    have = [tuple("" if pd.isna(v) else str(v) for v in row) for row in outcomes[keys].itertuples(index=False)]
    return outcomes[[h in want for h in have]]


def _inline_svg(svg: str) -> str:
    """Strip the XML prolog and DOCTYPE so the SVG can sit inside HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


# ---------------------------------------------------------------------------------------------------- formatting

def _fmt(x: Any, digits: int = 2) -> str:
    if x is None or x is pd.NA or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:.{digits}f}"


def _fmt_p(p: Any) -> str:
    if p is None or p is pd.NA or (isinstance(p, float) and not math.isfinite(p)):
        return "–"
    if p < 0.0001:
        return "<0.0001"
    return f"{p:.4f}" if p < 0.001 else f"{p:.3f}"


def _ci(est, lo, hi, digits=2) -> str:
    return f"{_fmt(est, digits)} [{_fmt(lo, digits)}, {_fmt(hi, digits)}]"


def _pooled_rows(ea: EndpointAnalysis) -> list[dict]:
    rows = []
    for label, res in (("REML + HKSJ (ad hoc)", ea.main), ("MH common effect", ea.common)):
        if res is None:
            continue
        groups = list(res.subgroups.items()) if res.subgroups else []
        for g, sub in groups:
            rows.append(_pooled_row(ea.endpoint, label, f"{g} mg/day", sub))
        rows.append(_pooled_row(ea.endpoint, label, "all doses" if groups else "overall", res))
        if groups and not (isinstance(res.q_between, float) and math.isnan(res.q_between)):
            rows[-1]["subgroup_test"] = (f"Q = {_fmt(res.q_between)}, df = {res.q_between_df}, "
                                         f"p = {_fmt_p(res.q_between_p)}")
    return rows


def _pooled_row(endpoint: str, model: str, group: str, r) -> dict:
    digits = 3 if r.measure == "RD" else 2
    return {"endpoint": endpoint, "model": model, "dose": group, "k": r.k,
            "estimate": _ci(r.estimate, r.ci_low, r.ci_high, digits), "p": _fmt_p(r.p_value),
            "heterogeneity": ("k = 1: not estimable" if r.k < 2 else
                              f"Q = {_fmt(r.q)} (df {r.q_df}, p = {_fmt_p(r.q_p)}); I² = {_fmt(r.i2, 1)}%"
                              + (f"; τ² = {_fmt(r.tau2, 4)}" if r.model == "random" else "")),
            "pi": (f"{_fmt(r.pi_low, digits)} to {_fmt(r.pi_high, digits)}"
                   if math.isfinite(r.pi_low) else "–"),
            "subgroup_test": ""}


def _result_json(r) -> dict:
    if r is None:
        return {}
    keys = ("measure", "method", "model", "k", "estimate", "ci_low", "ci_high", "beta", "se", "statistic",
            "stat_dist", "df", "p_value", "q", "q_df", "q_p", "i2", "h2", "tau2", "tau2_ci_low", "tau2_ci_high",
            "i2_ci_low", "i2_ci_high", "pi_low", "pi_high", "hksj", "alpha", "tau2_method", "zero_cell",
            "corrected", "excluded", "notes", "q_between", "q_between_df", "q_between_p")
    out = {k: getattr(r, k, None) for k in keys}
    out["studies"] = r.to_frame().to_dict(orient="records")
    out["subgroups"] = {str(g): _result_json(s) for g, s in (r.subgroups or {}).items()}
    return out


# ---------------------------------------------------------------------------------------------------- main entry

def write_report(out: str | os.PathLike = "report", *, data: str | os.PathLike | None = None,
                 endpoints: Iterable[str] | None = None, measure: str = "RR", ci: str = "newcombe",
                 force: bool = False, quiet: bool = False, figures: bool = True) -> Path:
    """Analyse the bundled data (or a user outcomes CSV) and write the report into ``out``.

    Parameters
    ----------
    out : path
        Output directory (created; replaced atomically when it holds an earlier fmtrials report).
    data : path, optional
        A user outcomes CSV (``study, dose_mg_day, endpoint, n, responders``); the bundled data by default.
    endpoints : list of str, optional
        Endpoints to analyse; by default :func:`default_endpoints`.
    measure : {"RR", "OR", "RD"}
        Effect measure for pooling.
    ci : str
        Risk-difference interval method for the per-comparison table (see :func:`fmtrials.risk_difference`).
    force : bool
        Overwrite a non-empty directory that is not an earlier report.
    quiet : bool
        No progress lines on stderr.
    figures : bool
        Draw the figures (True for the real report).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    DataError
        Invalid input (file, row and column named) or an unsafe output directory. Nothing is written then.
    """
    progress = _Progress(quiet)
    measure = str(measure).upper()
    if measure not in MEASURE_LABEL:
        raise DataError(Problem(f"measure must be RR, OR or RD, got {measure!r}", column="--measure"))
    out = Path(out)
    _check_target(out, force)
    progress("reading data")
    if data is None:
        outcomes = _data.load_outcomes()
        input_note = "the bundled data"
        inputs = {f"data/{t}.csv": _sha256(_data.data_dir() / f"{t}.csv") for t in _data.SPECS}
    else:
        outcomes = _data.read_outcomes(data)
        input_note = Path(data).name
        inputs = {Path(data).name: _sha256(Path(data))}
    known = set(outcomes["endpoint"].dropna())
    if endpoints:
        endpoints = list(dict.fromkeys(endpoints))
        unknown = [e for e in endpoints if e not in known]
        if unknown:
            raise DataError(Problem(f"endpoint(s) not in the data: {', '.join(unknown)}; known: "
                                    + ", ".join(sorted(known)), column="--endpoint"))
    else:
        endpoints = None
    from .effects import risk_difference

    risk_difference(1, 2, 1, 2, ci=ci)  # validate the interval method before any work
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    try:
        endpoints = _build(tmp, outcomes, endpoints, measure, ci, data is None, input_note, progress, figures)
        manifest = {
            "generator": "fmtrials", "version": __version__, "inputs": inputs,
            "python": sys.version.split()[0],
            "dependencies": {d: _dist_version(d) for d in DEPENDENCIES},
            "options": {"data": None if data is None else Path(data).name, "endpoints": endpoints,
                        "measure": measure, "ci": ci},
            "files": sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file()),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        _replace_dir(tmp, out, parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    progress(f"done: {out / 'report.html'}")
    return out


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _replace_dir(tmp: Path, out: Path, parent: Path) -> None:
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
        old.rmdir()
        out.rename(old)
        try:
            tmp.rename(out)
        except BaseException:
            old.rename(out)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)


def _build(tmp: Path, outcomes: pd.DataFrame, endpoints: Sequence[str] | None, measure: str, ci: str,
           bundled: bool, input_note: str, progress: _Progress, make_figures: bool) -> list[str]:
    (tmp / "tables").mkdir()
    (tmp / "figures").mkdir()
    result = analyse(outcomes, endpoints, measure=measure, ci=ci, progress=progress)
    endpoints = result.endpoints
    analyses = [_Shown(a) for a in result]
    if make_figures:
        jobs = [job for a in analyses if a.main is not None for job in _figure_jobs(outcomes, a)]
        progress(f"drawing {len(jobs)} figures")
        by_endpoint = {a.endpoint: a for a in analyses}
        for endpoint, kind, svg in _render_all(jobs, tmp / "figures", min(2, os.cpu_count() or 1)):
            by_endpoint[endpoint].figures[kind] = svg
    progress("auditing reported figures")
    audit_table = _audit_table(bundled)
    progress("writing tables and results")
    compared = result.compared
    _write_csv(compared, tmp / "tables" / "comparisons.csv")
    pooled = pd.DataFrame([row for a in analyses for row in _pooled_rows(a)])
    _write_csv(pooled, tmp / "tables" / "pooled.csv")
    sens = pd.concat([_no_attrs(a.sensitivity).assign(endpoint=a.endpoint) for a in analyses if a.sensitivity is not None],
                     ignore_index=True) if any(a.sensitivity is not None for a in analyses) else pd.DataFrame()
    _write_csv(sens, tmp / "tables" / "sensitivity.csv")
    loo = pd.concat([_no_attrs(a.loo).assign(endpoint=a.endpoint) for a in analyses if a.loo is not None],
                    ignore_index=True) if any(a.loo is not None for a in analyses) else pd.DataFrame()
    _write_csv(loo, tmp / "tables" / "leave_one_out.csv")
    if audit_table is not None:
        _write_csv(audit_table, tmp / "tables" / "audit.csv")
    results = {"endpoints": {a.endpoint: {"main": _result_json(a.main), "common": _result_json(a.common),
                                          "notes": a.notes} for a in analyses},
               "audit": None if audit_table is None else audit_table.to_dict(orient="records")}
    (tmp / "results.json").write_text(json.dumps(_json_safe(results), indent=1, sort_keys=True) + "\n",
                                      encoding="utf-8")
    progress("rendering report.html")
    html_text = _render_html(analyses, compared, pooled, audit_table, outcomes, bundled, input_note, measure, ci)
    (tmp / "report.html").write_text(html_text, encoding="utf-8")
    return list(endpoints)


def _no_attrs(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.attrs = {}
    return out


def _audit_table(bundled: bool) -> pd.DataFrame | None:
    if not bundled:
        return None
    from .consistency import audit

    return audit(_data.load_reported(), _data.load_arms())


def _render_html(analyses, compared, pooled, audit_table, outcomes, bundled, input_note, measure, ci) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("fmtrials") / "templates")),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["fmt"] = _fmt
    env.filters["fmtp"] = _fmt_p
    template = env.get_template("report.html.j2")
    trials = _records(_data.load_trials()) if bundled else None
    sources = _data.load_sources()
    used_sources = set(outcomes["source"].dropna()) | (set(_data.load_reported()["source"]) if bundled else set())
    return template.render(
        version=__version__, input_note=input_note, bundled=bundled, measure=measure,
        measure_label=MEASURE_LABEL[measure], ci=ci, analyses=analyses,
        compared=_display_compared(compared), pooled=pooled, audit=_display_audit(audit_table),
        trials=trials, sources=_records(sources[sources["source_id"].isin(used_sources)]),
        outcomes=outcomes, gaps=_known_gaps() if bundled else [], efficacy=EFFICACY_ENDPOINTS,
        captions=FIGURE_CAPTIONS, loo_rows=lambda a: _loo_rows(a.loo, measure))


def _loo_rows(loo: pd.DataFrame, measure: str) -> list[dict]:
    digits = 3 if measure == "RD" else 2
    return [{"omitted": r["omitted"], "k": int(r["k"]),
             "estimate": _ci(r["estimate"], r["ci_low"], r["ci_high"], digits), "p": _fmt_p(r["p_value"]),
             "i2": _fmt(r["i2"], 1), "tau2": _fmt(r["tau2"], 4),
             "pi": (f"{_fmt(r['pi_low'], digits)} to {_fmt(r['pi_high'], digits)}"
                    if math.isfinite(r["pi_low"]) else "–")} for r in loo.to_dict(orient="records")]


def _records(df: pd.DataFrame) -> list[dict]:
    """Rows as dicts with missing values as "" (for display)."""
    return [{k: ("" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v)
             for k, v in row.items()} for row in df.to_dict(orient="records")]


def _display_compared(compared: pd.DataFrame) -> list[dict]:
    if compared is None or compared.empty:
        return []
    rows = []
    for r in compared.to_dict(orient="records"):
        rows.append({
            "endpoint": r.get("endpoint", ""), "study": r.get("study", ""), "dose": r.get("dose_mg_day", ""),
            "analysis": r.get("analysis", ""),
            "treat": f"{r['events_t']}/{r['n_t']} ({_fmt(100 * r['events_t'] / r['n_t'], 1)}%)",
            "control": f"{r['events_c']}/{r['n_c']} ({_fmt(100 * r['events_c'] / r['n_c'], 1)}%)",
            "rd": _ci(r.get("rd"), r.get("rd_low"), r.get("rd_high"), 3),
            "rr": _ci(r.get("rr"), r.get("rr_low"), r.get("rr_high")),
            "or": _ci(r.get("or"), r.get("or_low"), r.get("or_high")),
            "nnt": r.get("nnt_label", ""), "p": _fmt_p(r.get("p_value")),
            "p_holm": _fmt_p(r.get("p_holm_report")), "status": f"{r.get('status_t', '')}/{r.get('status_c', '')}",
            "source": f"{r.get('source_t', '')}; {r.get('source_c', '')}" if r.get("source_t") != r.get("source_c")
            else str(r.get("source_t", "")),
        })
    return rows


def _display_audit(audit_table: pd.DataFrame | None) -> list[dict]:
    if audit_table is None or audit_table.empty:
        return []
    rows = []
    for r in _records(audit_table):
        rows.append({"source row": r["row"], "label": r["label"], "endpoint": r["endpoint"],
                     "dose": "" if r["dose_mg_day"] == "" else str(int(r["dose_mg_day"])),
                     "printed": f"{r['percent_t'] or '–'}% vs {r['percent_c'] or '–'}%, p {r['p_reported'] or '–'}",
                     "attribution": r["attribution"], "verdict": r["verdict"], "why": r["explanation"]})
    return rows


def _known_gaps() -> list[str]:
    text = (_data.data_dir() / "README.md").read_text("utf-8")
    part = text.split("## Known gaps", 1)[-1].splitlines()[1:]
    gaps, cur = [], ""
    for line in part:
        if line[:3].strip().rstrip(".").isdigit() and ". " in line[:4]:
            if cur:
                gaps.append(cur.strip())
            cur = line.split(". ", 1)[1]
        elif line.strip():
            cur += " " + line.strip()
    if cur:
        gaps.append(cur.strip())
    return gaps

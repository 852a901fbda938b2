"""Building the report's files in the build folder: the analysis (:mod:`fmtrials.analysis`) computes every
number; this module starts the figures, writes ``tables/*.csv``, ``results.json`` and ``methods.txt``, and
hands what is shown to :func:`fmtrials.report.page.render_html` for ``report.html``."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import data as _data
from .._csv import write_csv
from .._format import pool_label
from ..analysis import EndpointAnalysis, analyse, methods_paragraph
from ..analysis._pooling import single_comparison
from . import figures as _figures
from . import names, page
from . import network as _network
from .continuous import continuous_part
from .extras import diagnostics_part, what_it_means_part
from .figures import no_attrs as _no_attrs
from .options import ReportOptions
from .planning import planning_section
from .tables import _pooled_rows

__all__: list[str] = []  # private module: the public name is fmtrials.report.write_report


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


def assemble(
    tmp: Path,
    outcomes: pd.DataFrame,
    input_note: str,
    options: ReportOptions,
    progress: Any,
    continuous: pd.DataFrame | None = None,
) -> list[str]:
    """Write every file of the report but ``manifest.json`` into ``tmp``; return the endpoints analysed.
    ``progress`` is called with a line per stage (and is where a stopped run ends)."""
    measure, ci, bundled, make_figures = options.measure, options.ci, options.bundled, options.figures
    (tmp / "tables").mkdir()
    (tmp / "figures").mkdir()
    wanted = None if options.endpoints is None else list(options.endpoints)
    result = analyse(
        outcomes, wanted, measure=measure, ci=ci, progress=progress, method=options.method, test=options.test
    )
    endpoints = result.endpoints
    analyses = [_Shown(a) for a in result]
    stems = names.slugs(endpoints)
    progress("diagnostics")
    for a in analyses:  # before the figures: the funnel plot draws the trim-and-fill studies from k >= 10
        a.diagnostics = diagnostics_part(a)
    from .._validation import isolate

    treatment = isolate(options.treatment)  # right-to-left text cannot reorder what surrounds it
    if make_figures:
        jobs = [
            job
            for a in analyses
            if a.main is not None
            for job in _figures.figure_jobs(outcomes, a, treatment=treatment)
        ]
        progress(f"drawing {len(jobs)} figures")  # in the background, while the rest is computed
        drawing = _figures.start_all(jobs, tmp / "figures", min(2, os.cpu_count() or 1), stems, png_dpi=options.dpi)
    progress("re-analysing the published composite-responder table")
    main = _main_results(tmp, result, outcomes, options, treatment)
    progress("comparator network")
    network = _network.part(tmp, options, _write_csv)
    progress("decision metrics")
    meaning = what_it_means_part(result, outcomes)
    planning = planning_section(tmp, options, treatment, _write_csv)
    progress("auditing reported figures")
    audit_table = audit_table_of(bundled)
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
    network_methods = "" if network is None else "\n" + network["methods"] + "\n"
    (tmp / "methods.txt").write_text(str(methods) + "\n" + network_methods, encoding="utf-8")
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
    cont = continuous_part(continuous, options, tmp / "tables")
    results = {
        "endpoints": {a.endpoint: _endpoint_dict(a) for a in analyses},
        "audit": None if audit_table is None else audit_table.to_dict(orient="records"),
        "continuous": None if cont is None else cont["results"],
        **({"trial_plan": planning["records"]} if planning else {}),
        "network": None if network is None else network["json"],
    }
    (tmp / "results.json").write_text(
        json.dumps(_json_safe(results), indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    progress("rendering report.html")
    req = result.requested
    html_text = page.render_html(
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
            "network": network,
            "meaning": meaning,
            "planning": planning,
            "options": options,
            "models": models,
            "methods": methods,
            "requested": None if req is None else pool_label(req.method, req.test),
            "continuous": cont,
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


def _endpoint_dict(a: Any) -> dict[str, Any]:
    """One endpoint in ``results.json``: its main model and common-effect check, or, for a single comparison
    (k = 1), that comparison with its one named p-value and no model (:func:`single_comparison`)."""
    if getattr(a, "model_rule", None) == "single" and a.main is not None:
        return {"single": single_comparison(a.main), "notes": a.notes}
    return {"main": _result_dict(a.main), "common": _result_dict(a.common), "notes": a.notes}


def _result_dict(r: Any) -> dict[str, Any]:
    """A pooled result as written to ``results.json``: its one serialiser, ``PoolResult.to_dict()``."""
    return {} if r is None else r.to_dict()


def audit_table_of(bundled: bool) -> pd.DataFrame | None:
    """The audit of the bundled reported figures (:func:`fmtrials.audit`); None for user data."""
    if not bundled:
        return None
    from ..consistency import audit

    return audit(_data.load_reported(), _data.load_arms())


def _main_results(
    tmp: Path, result: Any, outcomes: pd.DataFrame, options: ReportOptions, treatment: str
) -> dict | None:
    """The first section: the summary (every number computed, :mod:`fmtrials.report.main_results`), the published
    composite table re-analysed under every assumed denominator (``tables/composite_reanalysis.csv``,
    ``figures/composite_reanalysis.svg``), the other efficacy endpoints and the key safety endpoints per trial
    (``tables/main_trials.csv``) and pooled (``tables/main_pooled.csv``)."""
    if not options.bundled:
        return None
    from ..analysis.headline import composite_table, headline_numbers
    from . import main_results as M
    from .tables import main_results_rows

    seed = composite_table()
    _write_csv(_no_attrs(seed), tmp / "tables" / "composite_reanalysis.csv")
    numbers = headline_numbers(result, outcomes)
    _write_csv(numbers.frame, tmp / "tables" / "main_trials.csv")
    _write_csv(pd.DataFrame(numbers.pooled), tmp / "tables" / "main_pooled.csv")
    tables = M.main_tables(numbers)
    tables["summary"] = M.seed_summary(seed)
    tables["holm_note"] = M.holm_note(tables["families"])
    svg = None
    if options.figures:
        svg = _figures.render_composite(seed, tmp / "figures", png_dpi=options.dpi, treatment=treatment)
    from ..consistency import SCENARIO_KINDS

    kinds = {k: SCENARIO_KINDS[k] for k in dict.fromkeys(seed["scenario_kind"]) if k in SCENARIO_KINDS}
    return {"rows": main_results_rows(seed), "svg": svg, "kinds": kinds, "seed": seed, **tables}

"""The report's continuous endpoints (issue 25): mean and standardised mean differences, or what is missing.

With a user continuous outcomes table (:func:`fmtrials.read_continuous`, ``write_report(continuous=...)``) each
endpoint is shown with its studies and pooled MD and SMD (Hedges' g) by the report's model policy, its direction
stated, and the SMD re-expressed in the units of the scale (Cochrane Handbook §15.5.3.1: SMD times a typical
among-patient SD of the scale; approximate). Without one, on the bundled data, the section lists the gap rows of
:func:`fmtrials.load_gaps` for continuous outcomes: which trial lacks which statistic.

Tables: ``tables/continuous_studies.csv`` and ``tables/continuous_pooled.csv`` (full precision), or
``tables/continuous_missing.csv``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from .. import data as _data
from .._csv import write_csv
from .._format import format_interval, format_number, format_p, pool_label
from ..analysis.continuous import BUNDLED_SCALES, MEASE_N, ContinuousEndpoint, analyse_continuous, pooled_sd

__all__: list[str] = []  # private module

_PREFIX = "continuous outcomes: "


def _fmt(x: Any, digits: int = 2) -> str:
    return format_number(x, digits, missing="–")


def _ci(est: Any, lo: Any, hi: Any, digits: int = 2) -> str:
    return format_interval(est, lo, hi, digits, missing="–")


def bundled_scales() -> list[dict[str, str]]:
    """The typical SDs of the bundled scales, with their arithmetic (source M09-T1)."""
    out = []
    for name, sds in BUNDLED_SCALES:
        terms = " + ".join(f"{n - 1}×{s}²" for n, s in zip(MEASE_N, sds))
        sd = pooled_sd(sds, MEASE_N)
        out.append({"scale": name, "sd": _fmt(sd), "arithmetic": f"√(({terms}) / {sum(MEASE_N) - 3}) = {_fmt(sd)}"})
    return out


def _direction(value: Any) -> str:
    if value == "harmful":
        return "lower is better (higher values are worse): a negative difference favours the treatment"
    if value == "beneficial":
        return "higher is better: a positive difference favours the treatment"
    return "not stated (no direction column): a negative difference means lower values with the treatment"


def _endpoint(e: ContinuousEndpoint) -> tuple[dict, pd.DataFrame, dict]:
    """The shown rows, the study CSV rows and the pooled CSV row of one endpoint."""
    endpoint, table, method, test, md, smd, sd, unit = (
        e.endpoint,
        e.table,
        e.method,
        e.test,
        e.md,
        e.smd,
        e.typical_sd,
        e.unit,
    )
    k = len(table)
    sd_text = (
        f"typical SD {_fmt(sd)} ({e.typical_source})"
        if e.typical_from == "given"
        else f"pooled SD {_fmt(sd)} of {e.typical_from}, the largest study"
    )
    direction = e.direction
    ms, ss = md.studies, smd.studies
    level = f"{100 * (1 - md.alpha):g}%"
    studies = []
    for (_, r), (_, m), (_, s) in zip(table.iterrows(), ms.iterrows(), ss.iterrows()):
        studies.append(
            {
                "Study": r.study,
                "Treatment mean (SD), n": f"{_fmt(r.mean_t)} ({_fmt(r.sd_t)}), {int(r.n_t)}",
                "Control mean (SD), n": f"{_fmt(r.mean_c)} ({_fmt(r.sd_c)}), {int(r.n_c)}",
                f"MD [{level} CI]": _ci(m.estimate, m.ci_low, m.ci_high),
                f"SMD [{level} CI]": _ci(s.estimate, s.ci_low, s.ci_high),
            }
        )
    h = md.heterogeneity
    het = "one study: its own estimate" if k < 2 else f"I² (Q-based) = {_fmt(h.i2, 1)}%; τ² = {_fmt(h.tau2, 4)}"
    pi = md.prediction
    pooled = {
        "Endpoint": endpoint,
        "k (participants)": f"{k} ({int((table.n_t + table.n_c).sum())})",
        "Model": pool_label(method, test),
        "Unit": unit or "not stated",
        f"MD [{level} CI]": _ci(md.estimate, md.ci_low, md.ci_high),
        "p (MD)": format_p(md.p_value, missing="–"),
        f"SMD [{level} CI]": _ci(smd.estimate, smd.ci_low, smd.ci_high),
        "SMD × typical SD [CI]": _ci(smd.estimate * sd, smd.ci_low * sd, smd.ci_high * sd),
        "Heterogeneity (MD)": het,
        "Prediction interval (MD)": "–" if not math.isfinite(pi.pi_low) else f"{_fmt(pi.pi_low)} to {_fmt(pi.pi_high)}",
    }
    shown = {
        "endpoint": endpoint,
        "direction": _direction(direction),
        "unit": unit,
        "typical": sd_text,
        "studies": studies,
        "pooled": pooled,
        "shared": sorted(table["study"][table["study"].duplicated()].unique()),
    }
    csv_studies = pd.DataFrame(
        {
            "endpoint": endpoint,
            "study": table["study"].to_numpy(),
            "md": ms["yi"].to_numpy(),
            "md_ci_low": ms["ci_low"].to_numpy(),
            "md_ci_high": ms["ci_high"].to_numpy(),
            "smd": ss["yi"].to_numpy(),
            "smd_ci_low": ss["ci_low"].to_numpy(),
            "smd_ci_high": ss["ci_high"].to_numpy(),
        }
    )
    csv_pooled = {
        "endpoint": endpoint,
        "k": k,
        "method": method,
        "test": test,
        "md": md.estimate,
        "md_ci_low": md.ci_low,
        "md_ci_high": md.ci_high,
        "md_p_value": md.p_value,
        "smd": smd.estimate,
        "smd_ci_low": smd.ci_low,
        "smd_ci_high": smd.ci_high,
        "typical_sd": sd,
        "smd_in_units": smd.estimate * sd,
        "smd_in_units_ci_low": smd.ci_low * sd,
        "smd_in_units_ci_high": smd.ci_high * sd,
        "q": h.q,
        "i2": h.i2,
        "tau2": h.tau2,
        "pi_low": pi.pi_low,
        "pi_high": pi.pi_high,
    }
    return shown, csv_studies, csv_pooled


def _missing_rows() -> tuple[list[dict[str, str]], pd.DataFrame]:
    """The gap rows of continuous outcomes, as shown: trial, what is missing, what the sources print instead."""
    g = _data.load_gaps()
    g = g[g["missing"].str.startswith(_PREFIX, na=False)]
    return [
        {
            "Trial": r.study,
            "Missing numbers": r.missing[len(_PREFIX) :],
            "Sources searched": str(r.sources_searched).replace(";", "; "),
            "What the sources print instead": f"{r.source}, {r.locator}",
        }
        for r in g.itertuples()
    ], g[["study", "missing", "sources_searched", "source", "locator"]]


def continuous_part(table: pd.DataFrame | None, options: Any, tables: Path) -> dict[str, Any] | None:
    """What the section shows, and its CSV tables written into ``tables`` (None: no section, user binary data
    without a continuous table)."""
    if table is None:
        if not options.bundled:
            return None
        rows, frame = _missing_rows()
        write_csv(frame, tables / "continuous_missing.csv")
        results = {"endpoints": {}, "missing": frame.to_dict(orient="records")}
        return {"missing": rows, "scales": bundled_scales(), "endpoints": [], "results": results}
    shown, studies, pooled, fits = [], [], [], {}
    for e in analyse_continuous(table, method=options.method, test=options.test):
        sh, st, p = _endpoint(e)
        shown.append(sh)
        studies.append(st)
        pooled.append(p)
        fits[e.endpoint] = _endpoint_results(e)
    write_csv(pd.concat(studies, ignore_index=True), tables / "continuous_studies.csv", float_format="%.10g")
    write_csv(pd.DataFrame(pooled), tables / "continuous_pooled.csv", float_format="%.10g")
    return {"missing": [], "scales": [], "endpoints": shown, "results": {"endpoints": fits, "missing": []}}


def _endpoint_results(e: ContinuousEndpoint) -> dict[str, Any]:
    """One continuous endpoint in ``results.json``: the MD and SMD fits (``PoolResult.to_dict()``, the one
    serialiser of pooled results) and the typical SD the SMD is re-expressed with."""
    return {
        "md": e.md.to_dict(),
        "smd": e.smd.to_dict(),
        "typical_sd": e.typical_sd,
        "typical_from": e.typical_from,
        "typical_source": e.typical_source,
        "unit": e.unit,
        "direction": e.direction,
    }

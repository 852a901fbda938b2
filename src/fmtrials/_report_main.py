"""The report's first section, ``id="main-results"``: what the composite-responder data show against placebo.

Every number in it is computed here from the data and the analysis (nothing is typed into the template) and
printed through :mod:`fmtrials._format`:

* the plain-language summary (:func:`summary_paragraphs`): the published composite table re-analysed under
  every assumed denominator, the Arnold 2010 registry composite, and one benefit-risk line (NNT vs NNH);
* the other efficacy endpoints and the key safety endpoints per trial (:func:`trial_rows`), with the Holm
  family of each adjusted p;
* a pooled risk difference and NNT next to the pooled risk ratio wherever more than one trial reports the
  endpoint (:func:`pooled_rows`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from . import data as _data
from ._format import format_interval, format_number, format_p, pool_label

__all__: list[str] = []  # private module

#: the safety endpoints the first section shows beside efficacy (their own Holm family each)
MAIN_SAFETY: tuple[str, ...] = ("nausea", "ae_withdrawal")
#: the composite with per-arm counts in a named trial, used for the benefit-risk line
BENEFIT_ENDPOINT = "composite_3"


def _pts(x: float, digits: int = 1) -> str:
    return format_number(100 * x, digits, missing="–")


def _nnt_text(rd: float) -> str:
    return "–" if not (math.isfinite(rd) and rd != 0) else format_number(1 / abs(rd), 1)


def _seed_rows(seed: pd.DataFrame) -> pd.DataFrame:
    return seed.drop_duplicates("row")


def _printed(rec: Any) -> str:
    dose = "" if pd.isna(rec.dose_mg_day) else f", {int(rec.dose_mg_day)} mg/day"
    return f"{rec.percent_t}% vs {rec.percent_c}% ({rec.label}{dose}, p {rec.p_reported})"


def seed_summary(seed: pd.DataFrame) -> list[str]:
    """Sentences on the published composite table, computed from :func:`fmtrials.reanalyse_reported` rows."""
    rows = _seed_rows(seed)
    out = [
        (
            "The only tabulated per-arm composite rates are the seed compound page's Table 1 (unverified; no "
            "trial or arm sizes printed): " + "; ".join(_printed(r) for r in rows.itertuples()) + "."
        )
    ]
    sized = seed[seed["n_t"].notna()]
    ok = sized[sized["consistent"].fillna(False).astype(bool)]
    if len(sized):
        labels = sorted(set(sized["label"]))
        text = (
            f"Re-analysed under every pair of arm sizes the trials admit (assumed denominators, not data), "
            f"the {' and '.join(labels)} rows are arithmetically possible under {len(ok)} of "
            f"{len(sized)} scenarios"
        )
        if len(ok):
            lo, hi = ok["estimate_min"].min(), ok["estimate_max"].max()
            excl = bool((ok["ci_low"] > 0).all() or (ok["ci_high"] < 0).all())
            reproduced = int(ok["p_in_range"].eq(True).sum())
            text += (
                f" ({_possible(ok)}); where possible, milnacipran's composite-responder rate "
                f"is {_pts(lo)} to {_pts(hi)} percentage points above placebo (NNT {_nnt_text(hi)} to "
                f"{_nnt_text(lo)}), with 95% intervals from {_pts(ok['ci_low'].min())} to "
                f"{_pts(ok['ci_high'].max())} points that "
                f"{'exclude' if excl else 'do not all exclude'} zero; the recomputed p-values (Fisher) run "
                f"from {format_p(ok['p_min'].min())} to {format_p(ok['p_max'].max())} against the printed "
                f"{', '.join(dict.fromkeys(ok['p_reported'].dropna()))}, which "
                + (
                    "none of the possible scenarios reproduces"
                    if reproduced == 0
                    else f"{reproduced} of the possible scenarios reproduce"
                )
            )
        out.append(text + ".")
    unsized = rows[rows["n_t"].isna()]
    for r in unsized.itertuples():
        out.append(
            f"The {r.label} row names no trial with known arm sizes: only the printed difference "
            f"({format_number(r.difference_printed, 1)} points) can be given."
        )
    return out


def _possible(ok: pd.DataFrame) -> str:
    """The possible scenarios grouped by reported row: ``"Phase III 100 mg/day: 516 vs 509 (...), ..."``."""
    parts = []
    for _, g in ok.groupby("row", sort=True):
        r = g.iloc[0]
        dose = "" if pd.isna(r["dose_mg_day"]) else f" {int(r['dose_mg_day'])} mg/day"
        parts.append(
            f"{r['label']}{dose}: "
            + ", ".join(f"{int(x['n_t'])} vs {int(x['n_c'])} ({_who(x)})" for _, x in g.iterrows())
        )
    return "; ".join(parts)


def _who(x: pd.Series) -> str:
    """``"mixed Clauw2008"``: the scenario kind and the trial(s) it borrows arm sizes from."""
    name = str(x["scenario"]).split(" (", 1)[0].split(" ", 1)[-1]
    return f"{x['scenario_kind']} {name}"


def _row_of(compared: pd.DataFrame, endpoint: str, study: str | None = None) -> pd.Series | None:
    m = compared[(compared["endpoint"] == endpoint) & compared.get("holm_counted", True)]
    if study is not None:
        m = m[m["study"] == study]
    return None if m.empty else m.iloc[0]


def _status(r: pd.Series) -> str:
    return r["status_t"] if r["status_t"] == r["status_c"] else f"{r['status_t']}/{r['status_c']}"


def _counts(r: pd.Series) -> str:
    return f"{r['events_t']}/{r['n_t']} vs {r['events_c']}/{r['n_c']}"


def composite_sentence(compared: pd.DataFrame) -> str | None:
    """The Arnold 2010 (or any) per-trial composite with counts, in words."""
    r = _row_of(compared, BENEFIT_ENDPOINT)
    if r is None:
        return None
    return (
        f"The one composite with per-arm counts in a named trial, {r['study']}'s {BENEFIT_ENDPOINT} "
        f"({_data.endpoint_title(BENEFIT_ENDPOINT).split(' — ', 1)[-1]}), is {_counts(r)} "
        f"(status: {_status(r)}; source {r['source_t']}): risk difference "
        f"{format_interval(100 * r['rd'], 100 * r['rd_low'], 100 * r['rd_high'], 1)} points, "
        f"{r['nnt_label']}, p {format_p(r['p_value'])} (Holm, {r['holm_family']} family: "
        f"{format_p(r['p_holm_report'])})."
    )


def benefit_risk_sentence(compared: pd.DataFrame) -> str | None:
    """One line: NNT of the composite against NNH of each :data:`MAIN_SAFETY` endpoint in the same trial."""
    b = _row_of(compared, BENEFIT_ENDPOINT)
    if b is None:
        return None
    found = [(e, _row_of(compared, e, b["study"])) for e in MAIN_SAFETY]
    harms = [(e, h) for e, h in found if h is not None]
    if not harms:
        return None
    parts = [
        f"{h['nnt_label']} for {_data.load_endpoints().set_index('code').loc[e, 'label']} ({_counts(h)}, {_status(h)})"
        for e, h in harms
    ]
    return (
        f"Benefit against risk in {b['study']} (same trial, same arms): {b['nnt_label']} for one more "
        f"{BENEFIT_ENDPOINT} responder, against "
        + "; ".join(parts)
        + ". NNT from 1/RD with Altman's interval; NNTB = benefit, NNTH = harm."
    )


def trial_rows(compared: pd.DataFrame) -> list[dict[str, str]]:
    """Display rows of the per-trial comparisons of ``compared`` (already filtered to the endpoints shown)."""
    rows = []
    for r in compared.to_dict(orient="records"):
        rows.append(
            {
                "Endpoint": _data.endpoint_title(r["endpoint"]),
                "Study": r["study"],
                "Dose (mg/day)": "" if pd.isna(r["dose_mg_day"]) else str(int(r["dose_mg_day"])),
                "Analysis": r["analysis"],
                "Milnacipran": f"{r['events_t']}/{r['n_t']} ({format_number(100 * r['events_t'] / r['n_t'], 1)}%)",
                "Placebo": f"{r['events_c']}/{r['n_c']} ({format_number(100 * r['events_c'] / r['n_c'], 1)}%)",
                "RD, points (95% CI)": format_interval(
                    100 * r["rd"], 100 * r["rd_low"], 100 * r["rd_high"], 1, missing="–"
                ),
                "NNT (95% CI)": r["nnt_label"],
                "RR (95% CI)": format_interval(r["rr"], r["rr_low"], r["rr_high"], 2, missing="–"),
                "p": format_p(r["p_value"], missing="–"),
                "p (Holm)": format_p(r["p_holm_report"], missing="–"),
                "Holm family": r["holm_family"],
                "Status": f"{r['status_t']}/{r['status_c']}",
                "Source": r["source_t"] if r["source_t"] == r["source_c"] else f"{r['source_t']}; {r['source_c']}",
            }
        )
    return rows


def pooled_numbers(analyses: Sequence[Any], alpha: float) -> list[dict[str, Any]]:
    """Pooled RD (points), its NNT and the pooled RR for every endpoint with more than one trial: the main
    model each endpoint actually used (``main_model``: the requested or policy model, small-k rule) over all doses,
    shared placebo arms split."""
    from .effects.number_needed import altman_columns
    from .meta import pool

    rows: list[dict[str, Any]] = []
    for ea in analyses:
        table = ea.pooled_table
        if table is None or table.empty or table["study"].nunique() < 2:
            continue
        model = ea.main_model
        fits = {
            m: pool(table, measure=m, method=model.method, test=model.test, alpha=alpha, warn_shared=False)
            for m in ("RD", "RR")
        }
        rd, rr = fits["RD"], fits["RR"]
        nnt = altman_columns([rd.estimate], [rd.ci_low], [rd.ci_high], ea.event)
        rows.append(
            {
                "endpoint": ea.endpoint,
                "event": ea.event,
                "trials": int(table["study"].nunique()),
                "comparisons": len(table),
                "doses_mg_day": ", ".join(map(str, sorted({int(d) for d in table["dose_mg_day"].dropna()}))),
                "rd": rd.estimate,
                "rd_low": rd.ci_low,
                "rd_high": rd.ci_high,
                "nnt": float(nnt["nnt"][0]),
                "nnt_type": str(nnt["nnt_type"][0]),
                "nnt_near": float(nnt["nnt_near"][0]),
                "nnt_near_type": str(nnt["nnt_near_type"][0]),
                "nnt_far": float(nnt["nnt_far"][0]),
                "nnt_far_type": str(nnt["nnt_far_type"][0]),
                "nnt_label": str(nnt["label"][0]),
                "rr": rr.estimate,
                "rr_low": rr.ci_low,
                "rr_high": rr.ci_high,
                "p_value_rr": rr.p_value,
                "method": model.method,
                "test": model.test,
                "alpha": alpha,
            }
        )
    return rows


def pooled_rows(numbers: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """The rows of :func:`pooled_numbers` as printed in the report (formatted text, HTML only)."""
    return [
        {
            "Endpoint": _data.endpoint_title(r["endpoint"]),
            "Trials (comparisons)": f"{r['trials']} ({r['comparisons']})",
            "Doses (mg/day)": r["doses_mg_day"],
            "Pooled RD, points (95% CI)": format_interval(100 * r["rd"], 100 * r["rd_low"], 100 * r["rd_high"], 1),
            "NNT (95% CI)": r["nnt_label"],
            "Pooled RR (95% CI)": format_interval(r["rr"], r["rr_low"], r["rr_high"], 2),
            "p (RR)": format_p(r["p_value_rr"]),
            "Model": pool_label(r["method"], r["test"]),
        }
        for r in numbers
    ]


def main_tables(result: Any, outcomes: pd.DataFrame) -> dict[str, Any]:
    """Efficacy and key-safety rows of the first section (and the frame written to
    ``tables/main_trials.csv``)."""
    from .analysis import analyse_endpoint, holm_families

    shown = [a for a in result if a.event == "beneficial"]
    extra = [e for e in MAIN_SAFETY if e not in result.results and e in set(outcomes["endpoint"].dropna())]
    safety = [result[e] for e in MAIN_SAFETY if e in result.results]
    req = result.requested
    safety += [
        analyse_endpoint(
            outcomes,
            e,
            measure=result.measure,
            ci=result.ci,
            alpha=result.alpha,
            method=None if req is None else req.method,
            test=None if req is None else req.test,
        )
        for e in extra
    ]
    compared = result.compared
    if extra:
        more = [a.compared.assign() for a in safety if a.endpoint in extra and len(a.compared)]
        for f in more:
            f.attrs = {}
        if more:
            compared = pd.concat([compared, holm_families(pd.concat(more, ignore_index=True))], ignore_index=True)
    keep_eff = compared["endpoint"].isin([a.endpoint for a in shown]).to_numpy()
    keep_saf = compared["endpoint"].isin(MAIN_SAFETY).to_numpy()
    eff = compared[keep_eff & (compared["endpoint"] != BENEFIT_ENDPOINT).to_numpy()]
    composite = compared[(compared["endpoint"] == BENEFIT_ENDPOINT).to_numpy()]
    order = {e: i for i, e in enumerate(MAIN_SAFETY)}
    saf = compared[keep_saf].sort_values("endpoint", key=lambda s: s.map(order), kind="mergesort")
    frame = pd.concat([composite, eff, saf], ignore_index=True)
    frame.attrs = {}
    return {
        "composite": trial_rows(composite),
        "efficacy": trial_rows(eff),
        "safety": trial_rows(saf),
        "pooled_numbers": (numbers := pooled_numbers(shown, result.alpha) + pooled_numbers(safety, result.alpha)),
        "pooled_efficacy": pooled_rows([r for r in numbers if r["endpoint"] in {a.endpoint for a in shown}]),
        "pooled_safety": pooled_rows([r for r in numbers if r["endpoint"] not in {a.endpoint for a in shown}]),
        "composite_sentence": composite_sentence(compared),
        "benefit_risk": benefit_risk_sentence(compared),
        "frame": frame,
        "definition": _data.endpoint_title(BENEFIT_ENDPOINT).split(" — ", 1)[-1],
        "families": list(
            dict.fromkeys(
                f for f in frame.get("holm_family", pd.Series(dtype=object)) if not str(f).startswith("not counted")
            )
        ),
    }


def holm_note(families: Sequence[str]) -> str:
    """How the adjusted p-values were formed, naming the families shown."""
    return (
        (
            "p (Holm) adjusts within its family: " + "; ".join(families) + ". A comparison reported under "
            "several analyses counts once (the analysis the pooled results use); the others are marked "
            "'not counted'."
        )
        if families
        else ""
    )

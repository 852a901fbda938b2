"""The report's display tables: pooled rows, per-comparison rows, leave-one-out and audit rows, known gaps.

Every value is printed through :mod:`fmtrials._format` (a missing value shows as ``–``).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .. import data as _data
from .._format import format_interval, format_number, format_p, pool_label
from ..analysis._pooling import TEST_NAMES, single_p
from ..consistency.reanalysis_reported import NO_ARM

__all__: list[str] = []  # private module


def _fmt(x: Any, digits: int = 2) -> str:
    return format_number(x, digits, missing="–")


def _fmt_p(p: Any) -> str:
    return format_p(p, missing="–")


def _p_is(p: Any) -> str:
    """``p = 0.012`` or ``p < 0.0001`` (never ``p = <0.0001``)."""
    text = _fmt_p(p)
    return f"p < {text[1:]}" if text.startswith("<") else f"p = {text}"


def _ci(est, lo, hi, digits=2) -> str:
    return format_interval(est, lo, hi, digits, missing="–")


#: the model cell of a row with one comparison (k = 1): its own estimate, no pooling model
SINGLE_LABEL = "one comparison, not pooled"


def _pooled_rows(ea: Any) -> list[dict]:
    """The pooled table's rows of one endpoint: the main model's, then the check's. A row of one comparison
    (k = 1) names no model and prints one p-value, the per-comparison test's (named); the check repeats no
    such row of the main model."""
    rows = []
    for role, res in (("main", ea.main), ("check", ea.common)):
        if res is None or (role == "check" and ea.main is not None and ea.main.method == res.method):
            continue  # small k: the main model is the common-effect one already
        label = f"{role}: {pool_label(res.method, res.test)}"
        groups = list(res.subgroups.items()) if res.subgroups else []
        parts = [(f"{g} mg/day", sub) for g, sub in groups] + [("all doses" if groups else "overall", res)]
        st = res.subgroup_test
        for group, r in parts:
            if r.k == 1 and role == "check" and ea.main is not None:
                continue  # the main model's rows show this comparison already
            row = _pooled_row(ea.endpoint, SINGLE_LABEL if r.k == 1 else label, group, r, ea.single_test)
            if r is res and groups and st is not None and math.isfinite(st.q):
                row["subgroup_test"] = f"Q = {_fmt(st.q)}, df = {st.df}, {_p_is(st.p)}"
            rows.append(row)
    return rows


#: a prediction bound beyond these (ratio scale) is not informative and is not printed as a number
PI_RATIO_LIMIT = 1000.0


def _pi_text(r, digits: int) -> str:
    """The prediction interval as printed: ``–`` when undefined, "not informative" when absurdly wide."""
    lo, hi = r.prediction.pi_low, r.prediction.pi_high
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "–"
    wide = (hi > PI_RATIO_LIMIT or lo < 1 / PI_RATIO_LIMIT) if r.measure != "RD" else (lo <= -1 or hi >= 1)
    return "not informative" if wide else f"{_fmt(lo, digits)} to {_fmt(hi, digits)}"


def _heterogeneity_text(r) -> str:
    h = r.heterogeneity
    if r.k < 2:
        return "one trial: its own estimate"
    if not h.estimable:
        return "not estimable (Q undefined for these counts)"
    return f"Q = {_fmt(h.q)} (df {h.q_df}, {_p_is(h.q_p)}); I² (Q-based) = {_fmt(h.i2_q, 1)}%" + (
        f"; τ² = {_fmt(h.tau2, 4)}" if r.model == "random" else ""
    )


def _pooled_row(endpoint: str, model: str, group: str, r, single_test: str = "fisher") -> dict:
    digits = 3 if r.measure == "RD" else 2
    if r.k == 1:  # one comparison: the per-comparison test's p-value, named (not the pooling model's Wald p)
        p = f"{_fmt_p(single_p(r, single_test))} ({TEST_NAMES.get(single_test, single_test)})"
    else:
        p = _fmt_p(r.p_value)
    return {
        "endpoint": endpoint,
        "model": model,
        "dose": group,
        "k": r.k,
        "estimate": _ci(r.estimate, r.ci_low, r.ci_high, digits),
        "p": p,
        "heterogeneity": _heterogeneity_text(r),
        "pi": _pi_text(r, digits),
        "subgroup_test": "",
    }


def _loo_rows(loo: pd.DataFrame, measure: str) -> list[dict]:
    digits = 3 if measure == "RD" else 2
    return [
        {
            "omitted": r["omitted"],
            "k": int(r["k"]),
            "estimate": _ci(r["estimate"], r["ci_low"], r["ci_high"], digits),
            "p": _fmt_p(r["p_value"]),
            "i2": _fmt(r["i2"], 1),
            "tau2": _fmt(r["tau2"], 4),
            "pi": (
                f"{_fmt(r['pi_low'], digits)} to {_fmt(r['pi_high'], digits)}" if math.isfinite(r["pi_low"]) else "–"
            ),
        }
        for r in loo.to_dict(orient="records")
    ]


def _sensitivity_notes(sens: pd.DataFrame) -> tuple[list[dict], list[str]]:
    """The sensitivity table's rows with each note replaced by its number (``note_ref``, "" without one), and the
    distinct notes once each, in order of first use: a note shared by many rows (e.g. "no prediction interval"
    on every random-effects row at k = 2) is printed once under the table, not on every row."""
    notes: list[str] = []
    rows = []
    for r in sens.to_dict(orient="records"):
        note = r.get("note")
        text = "" if note is None or (isinstance(note, float) and math.isnan(note)) else str(note).strip()
        if text and text not in notes:
            notes.append(text)
        rows.append({**r, "note_ref": str(notes.index(text) + 1) if text else ""})
    return rows, notes


def _records(df: pd.DataFrame) -> list[dict]:
    """Rows as dicts with missing values as "" (for display)."""
    return [
        {k: ("" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v) for k, v in row.items()}
        for row in df.to_dict(orient="records")
    ]


def _display_compared(compared: pd.DataFrame) -> list[dict]:
    if compared is None or compared.empty:
        return []
    rows = []
    for r in compared.to_dict(orient="records"):
        rows.append(
            {
                "endpoint": r.get("endpoint", ""),
                "study": r.get("study", ""),
                "dose": r.get("dose_mg_day", ""),
                "analysis": r.get("analysis", ""),
                "treat": f"{r['events_t']}/{r['n_t']} ({_fmt(100 * r['events_t'] / r['n_t'], 1)}%)",
                "control": f"{r['events_c']}/{r['n_c']} ({_fmt(100 * r['events_c'] / r['n_c'], 1)}%)",
                "rd": _ci(r.get("rd"), r.get("rd_low"), r.get("rd_high"), 3),
                "rr": _ci(r.get("rr"), r.get("rr_low"), r.get("rr_high")),
                "or": _ci(r.get("or"), r.get("or_low"), r.get("or_high")),
                "nnt": r.get("nnt_label", ""),
                "p": _fmt_p(r.get("p_value")),
                "p_holm": _fmt_p(r.get("p_holm_report")),
                "holm_family": r.get("holm_family", ""),
                "status": f"{r.get('status_t', '')}/{r.get('status_c', '')}",
                "source": f"{r.get('source_t', '')}; {r.get('source_c', '')}"
                if r.get("source_t") != r.get("source_c")
                else str(r.get("source_t", "")),
                "source_ids": list(dict.fromkeys(str(r[k]) for k in ("source_t", "source_c") if r.get(k))),
            }
        )
    return rows


def _display_audit(audit_table: pd.DataFrame | None) -> list[dict]:
    if audit_table is None or audit_table.empty:
        return []
    rows = []
    for r in _records(audit_table):
        rows.append(
            {
                "source row": r["row"],
                "label": r["label"],
                "endpoint": r["endpoint"],
                "dose": "" if r["dose_mg_day"] == "" else str(int(r["dose_mg_day"])),
                "printed": f"{r['percent_t'] or '–'}% vs {r['percent_c'] or '–'}%, p {r['p_reported'] or '–'}",
                "attribution": r["attribution"],
                "verdict": r["verdict"] + (" (by construction)" if r["by_construction"] is True else ""),
                "why": r["explanation"],
            }
        )
    return rows


def _known_gaps() -> list[str]:
    """One line per row of the bundled gaps table (``data/gaps.csv``): trial, what is missing, for which
    endpoints and arms, its status and the sources searched."""
    lines = []
    for g in _data.load_gaps().itertuples(index=False):
        endpoint, arm = str(g.endpoint), str(g.arm)  # "<NA>" when empty
        where = [f"endpoint{'s' if ';' in endpoint else ''} {endpoint.replace(';', ', ')}"]
        where = where if endpoint not in ("<NA>", "all") else []
        where += [f"arm {arm}"] if arm not in ("<NA>", "all") else []
        head = f"{'Seed table' if g.study is pd.NA else g.study}: {g.missing}"
        tail = "; ".join([*where, str(g.status), "searched: " + str(g.sources_searched).replace(";", ", ")])
        lines.append(f"{head} ({tail})" + ("" if g.note is pd.NA else f"; {g.note}"))
    return lines


def main_results_rows(seed: pd.DataFrame) -> list[dict[str, Any]]:
    """The published composite table re-analysed, one display row per reported row x attribution, the rows of
    a joint attribution together: the attribution, the printed rates and p, the assumed arm sizes, the counts,
    the risk difference in points with its interval, the recomputed p range, and the attribution's verdict
    (every seed scenario is an assumption)."""
    rows = []
    key = seed["joint_rows"].fillna(seed["row"].astype(str)) + "|" + seed["scenario"].astype(str)
    order = sorted(range(len(seed)), key=lambda i: (list(dict.fromkeys(key)).index(key.iloc[i]), seed["row"].iloc[i]))
    for rec in seed.iloc[order].itertuples():
        dose = "" if pd.isna(rec.dose_mg_day) else f"{int(rec.dose_mg_day)} mg/day"
        n = "not printed" if pd.isna(rec.n_t) else f"{int(rec.n_t)} vs {int(rec.n_c)}"
        counts, p = "", ""
        if rec.status == NO_ARM:
            n, result = f"– vs {int(rec.n_c)}", f"no {dose} arm in this trial"
        elif pd.isna(rec.n_t):
            result = f"{format_number(rec.difference_printed, 1)} points (printed % only; no interval)"
        elif not bool(rec.consistent):
            result = "impossible: the printed % cannot arise from these arm sizes"
        else:
            counts = _counts_text(rec)
            est = _range_text(100 * rec.estimate_min, 100 * rec.estimate_max, 2)
            result = f"{est} points ({format_number(100 * rec.ci_low, 1)} to {format_number(100 * rec.ci_high, 1)})"
            a, b = format_p(rec.p_min), format_p(rec.p_max)
            p = (a if a == b else f"{a} to {b}") + (
                " (printed p reproduced)" if rec.p_in_range is True else " (printed p not reproduced)"
            )
        head, _, rest = str(rec.scenario).partition(" (")
        rows.append(
            {
                "Attribution": f"{rec.scenario_kind}: {head.split(' ', 1)[-1]}"
                + (f" ({rest.rsplit(': ', 1)[0].removeprefix('mixed, ')})" if ": " in rest else ""),
                "Row": f"{rec.label} {dose}",
                "Printed": f"{rec.percent_t}% vs {rec.percent_c}%",
                "Printed p": rec.p_reported or "",
                "Arm sizes (assumed)": n,
                "Counts": counts,
                "RD, points (95% CI)": result,
                "Recomputed p (Fisher)": p,
                "Verdict on the attribution": rec.judgement if isinstance(rec.judgement, str) else "",
            }
        )
    return rows


def _counts_text(rec: Any) -> str:
    t = f"{rec.events_t_min}" if rec.events_t_min == rec.events_t_max else f"{rec.events_t_min}–{rec.events_t_max}"
    c = f"{rec.events_c_min}" if rec.events_c_min == rec.events_c_max else f"{rec.events_c_min}–{rec.events_c_max}"
    return f"{t}/{int(rec.n_t)} vs {c}/{int(rec.n_c)}"


def _range_text(lo: float, hi: float, digits: int) -> str:
    a, b = format_number(lo, digits), format_number(hi, digits)
    return a if a == b else f"{a} to {b}"

"""How a :class:`~fmtrials.meta.PoolResult` is shown: the forest-plot frame, the text summary, the HTML.

Every number, p-value, interval and method label goes through :mod:`fmtrials._format`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._format import format_interval, format_level, format_number, format_p, measure_name, pool_label
from ._table import group_order

if TYPE_CHECKING:  # pragma: no cover
    from .result import PoolResult

__all__: list[str] = []  # private module

_NAN = float("nan")
FRAME_COLUMNS = (
    "row_type",
    "group",
    "label",
    "events_t",
    "n_t",
    "events_c",
    "n_c",
    "estimate",
    "ci_low",
    "ci_high",
    "weight",
    "k",
    "included",
    "p_value",
    "q",
    "q_df",
    "q_p",
    "i2",
    "tau2",
    "pi_low",
    "pi_high",
)
_COUNTS = ("events_t", "n_t", "events_c", "n_c")


def _pooled_row(
    r: PoolResult, row_type: str, group: Any, label: str, studies: pd.DataFrame, weight: float
) -> dict[str, Any]:
    """A subtotal or total row: counts summed over the included studies, the pooled numbers of ``r``."""
    inc = studies["included"].to_numpy(dtype=bool)
    h, p = r.heterogeneity, r.prediction
    row = {"row_type": row_type, "group": group, "label": label}
    # a continuous outcome has no events: NaN (its arm sizes are summed as counts are)
    row.update({c: int(studies[c].to_numpy()[inc].sum()) if c in studies.columns else _NAN for c in _COUNTS})
    row.update(
        estimate=r.estimate,
        ci_low=r.ci_low,
        ci_high=r.ci_high,
        weight=weight,
        k=r.k,
        included=True,
        p_value=r.p_value,
        q=h.q,
        q_df=h.q_df,
        q_p=h.q_p,
        i2=h.i2,
        tau2=h.tau2,
        pi_low=p.pi_low,
        pi_high=p.pi_high,
    )
    return row


def _study_rows(studies: pd.DataFrame, group: Any) -> list[dict[str, Any]]:
    rows = []
    for s in studies.to_dict(orient="records"):
        row = {"row_type": "study", "group": group, "label": s["label"]}
        row.update({c: s.get(c, _NAN) for c in _COUNTS})
        row.update(
            estimate=s["estimate"],
            ci_low=s["ci_low"],
            ci_high=s["ci_high"],
            weight=s["weight"],
            k=int(bool(s["included"])),
            included=bool(s["included"]),
            p_value=_NAN,
            q=_NAN,
            q_df=_NAN,
            q_p=_NAN,
            i2=_NAN,
            tau2=_NAN,
            pi_low=_NAN,
            pi_high=_NAN,
        )
        rows.append(row)
    return rows


def summary_frame(r: PoolResult) -> pd.DataFrame:
    """One row per line of a forest plot (see :meth:`PoolResult.summary_frame`)."""
    s = r.studies
    rows: list[dict[str, Any]] = []
    if r.by is None:
        rows += _study_rows(s, None)
    else:
        g_all = s[r.by].to_numpy(dtype=object)
        for g in group_order(g_all):
            part = s[g_all == g]
            rows += _study_rows(part, g)
            sub = r.subgroups.get(g)
            if sub is not None:
                rows.append(
                    _pooled_row(
                        sub,
                        "subtotal",
                        g,
                        f"Subtotal ({r.by} = {g})",
                        part,
                        float(np.nansum(part["weight"].to_numpy(dtype=float))),
                    )
                )
    rows.append(_pooled_row(r, "total", None, pool_label(r.method, r.test, r.tau2_method), s, 100.0))
    out = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    out["group"] = pd.Series([row["group"] for row in rows], dtype=object)  # None stays None (not NaN)
    return out


def summary_text(r: PoolResult) -> str:
    """Plain-text summary in the spirit of metafor's ``print.rma``."""
    f = format_number
    lvl = format_level(r.alpha)
    h, pr = r.heterogeneity, r.prediction
    head = f"{pool_label(r.method, r.test, r.tau2_method)}, {measure_name(r.measure)}, k = {r.k}"
    lines = [head + (f", by {r.by}" if r.by is not None else ""), ""]
    lines.append(f"Pooled {r.measure}: {format_interval(r.estimate, r.ci_low, r.ci_high, 4)} ({lvl} CI)")
    scale = "log scale" if r.ratio else "difference scale"
    dft = f"({f(r.df, 0)})" if r.stat_dist == "t" else ""
    lines.append(
        f"  {scale}: beta = {f(r.beta, 4)}, se = {f(r.se, 4)}, {r.stat_dist}{dft} = "
        f"{f(r.statistic, 4)}, {format_p(r.p_value, prefix=True)}"
    )
    if h.estimable:
        lines.append(
            f"Heterogeneity: Q({h.q_df}) = {f(h.q, 2)}, {format_p(h.q_p, prefix=True)}; "
            f"I² = {f(h.i2, 1)}% (Q-based)" + ("" if r.model == "random" else f", H² = {f(h.h2, 2)}")
        )
    elif r.k < 2:
        lines.append("Heterogeneity: not estimable with one study.")
    else:
        lines.append("Heterogeneity: not estimable (Q is undefined for these counts).")
    if r.model == "random" and r.k >= 2:
        lines.append(
            f"τ² = {format_interval(h.tau2, h.tau2_ci_low, h.tau2_ci_high, 4)} ({lvl} CI); "
            f"τ²-based I² = {f(h.i2_tau2, 1)}% ({lvl} CI {f(h.i2_tau2_ci_low, 1)}% to {f(h.i2_tau2_ci_high, 1)}%), "
            f"H² = {f(h.h2, 2)}"
        )
        if np.isfinite(pr.pi_low):
            lines.append(f"Prediction interval ({pr.dist}): {f(pr.pi_low, 4)} to {f(pr.pi_high, 4)}")
        else:
            lines.append(f"Prediction interval: not defined ({pr.dist}, k = {r.k})")
    if r.subgroups:
        lines += ["", f"Subgroups by {r.by}:"]
        for g, s in r.subgroups.items():
            i2 = f"{f(s.heterogeneity.i2, 1)}%" if s.heterogeneity.estimable else "not estimable"
            lines.append(
                f"  {g}: k = {s.k}, {r.measure} {format_interval(s.estimate, s.ci_low, s.ci_high, 4)}, I² = {i2}"
            )
        st = r.subgroup_test
        if st is not None:
            lines.append(
                f"Test for subgroup differences: Q = {f(st.q, 2)}, df = {st.df}, {format_p(st.p, prefix=True)}"
            )
    lines += ["", f"Zero cells: {r.zero_cell}"]
    if r.corrected:
        lines.append(f"  corrected: {', '.join(r.corrected)}")
    if r.excluded:
        lines.append(f"  excluded: {', '.join(r.excluded)}")
    lines += [f"Note: {n}" for n in r.notes]
    return "\n".join(lines)


def summary_html(r: PoolResult) -> str:
    """An HTML table rendered from :func:`summary_frame`, then the text summary."""
    from .._result import render_html

    records = summary_frame(r).to_dict(orient="records")
    continuous = "mean_t" in r.studies.columns
    rows = [
        [
            row["label"],
            f"{row['events_t']}/{row['n_t']}" if not continuous else f"{row['n_t']}",
            f"{row['events_c']}/{row['n_c']}" if not continuous else f"{row['n_c']}",
            format_interval(row["estimate"], row["ci_low"], row["ci_high"], 2),
            format_number(row["weight"], 1),
        ]
        for row in records
    ]
    header = [
        "Study",
        "N (treatment)" if continuous else "Events/N (treatment)",
        "N (control)" if continuous else "Events/N (control)",
        f"{r.measure} [{format_level(r.alpha)} CI]",
        "Weight %",
    ]
    strong = [i for i, row in enumerate(records) if row["row_type"] != "study"]
    return render_html("pool", header=header, rows=rows, strong=strong, text=summary_text(r))

"""The lines of a forest plot, computed without matplotlib: study, subtotal, total and prediction lines, their
text cells, the heterogeneity and overall-effect footnotes, and the notes a reader needs (one comparison, a
Mantel–Haenszel study with weight 0% that still moves the estimate). :mod:`fmtrials.plots.forest` draws them.

References
----------
* Deeks JJ, Higgins JPT. *Statistical algorithms in Review Manager 5* (2010): layout (events/total per arm,
  weights, subtotal and total diamonds, heterogeneity and overall-effect lines).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._format import format_interval, format_level, format_number, format_p, measure_name, pool_label
from . import _layout as L
from . import _result as R

__all__ = ["Line", "forest_lines", "forest_footer", "mh_zero_weight_note", "effect_label", "SINGLE_NOTE", "MAX_STUDIES"]

#: above this many study rows the forest plot is drawn as a summary (subtotals and total only)
MAX_STUDIES = 60


@dataclass(frozen=True)
class Line:
    """One line of a forest plot: text cells (study, treatment, control, weight, effect) and its mark."""

    style: str = "normal"  # "normal", "heading", "summary", "note"
    cells: tuple[str, str, str, str, str] = ("", "", "", "", "")
    span: str = ""  # note spanning the left columns
    kind: str = ""  # "study", "subgroup", "overall", "prediction" or ""
    estimate: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    weight: float = math.nan
    dose: float = math.nan


# ======================================================================================= lines (no drawing)


def _effect_text(est: float, lo: float, hi: float, digits: int) -> str:
    return "Not estimable" if not math.isfinite(est) else format_interval(est, lo, hi, digits)


def _group_label(by: str, value: Any, treatment: str) -> str:
    if by == "dose_mg_day":
        return f"{L.arm_label(treatment)} {L.dose_text(value)}"
    return L.truncate(f"{by} = {value}")


def het_text(res: Any, *, tau: bool = True) -> str:
    """``Heterogeneity: τ² = ... (REML); Q = ..., df = ... (P = ...); I² = ...%``."""
    h = R.heterogeneity(res)
    if not h.estimable:
        return "Heterogeneity: not estimable"
    parts = []
    if tau and h.random and math.isfinite(h.tau2):
        parts.append(f"τ² = {format_number(h.tau2, 4)}" + (f" ({h.tau2_method})" if h.tau2_method else ""))
    parts.append(f"Q = {format_number(h.q, 2)}, df = {h.q_df} ({format_p(h.q_p, prefix=True)})")
    parts.append(f"I² = {format_number(h.i2, 0)}%")
    return "Heterogeneity: " + "; ".join(parts)


def overall_test_text(res: Any) -> str:
    """``Test for overall effect: Z = 2.13 (P = 0.033)`` (``t = ..., df = ...`` under HKSJ)."""
    t = R.effect_test(res)
    df = ""
    if t.df is not None and math.isfinite(t.df):
        df = f", df = {format_number(t.df, 0 if float(t.df).is_integer() else 2)}"
    return f"Test for overall effect: {t.name} = {format_number(t.statistic, 2)}{df} ({format_p(t.p, prefix=True)})"


def method_text(res: Any) -> str:
    """E.g. ``Risk ratio, 95% CI; Random-effects model (REML τ², HKSJ)``."""
    return (
        f"{L.arm_label(measure_name(res.measure))}, {format_level(res.alpha)} CI; "
        f"{pool_label(res.method, R.pool_test(res), res.tau2_method)}"
    )


def _arm_cells(r: Any) -> tuple[str, str]:
    """``events/total`` of each arm; a continuous outcome (no events) shows the arm sizes."""
    if isinstance(r.events_t, float) and math.isnan(r.events_t):
        return f"{int(r.n_t)}", f"{int(r.n_c)}"
    return f"{int(r.events_t)}/{int(r.n_t)}", f"{int(r.events_c)}/{int(r.n_c)}"


def _study_line(r: Any, digits: int) -> Line:
    w = float(r.weight)
    cells = (
        L.truncate(r.label),
        *_arm_cells(r),
        f"{format_number(w, 1)}%" if math.isfinite(w) else "",
        _effect_text(r.estimate, r.ci_low, r.ci_high, digits),
    )
    return Line(
        "normal",
        cells,
        kind="study",
        estimate=float(r.estimate),
        ci_low=float(r.ci_low),
        ci_high=float(r.ci_high),
        weight=w,
        dose=float(r.dose),
    )


def _summary_line(r: Any, label: str, kind: str, digits: int) -> Line:
    w = float(r.weight)
    cells = (
        label,
        *_arm_cells(r),
        f"{format_number(w, 1)}%" if math.isfinite(w) else "",
        _effect_text(r.estimate, r.ci_low, r.ci_high, digits),
    )
    return Line(
        "summary",
        cells,
        kind=kind,
        estimate=float(r.estimate),
        ci_low=float(r.ci_low),
        ci_high=float(r.ci_high),
        dose=float(r.dose),
    )


def forest_lines(
    result: Any,
    *,
    digits: int = 2,
    treatment: str = "milnacipran",
    show_prediction: bool = True,
    max_studies: int = MAX_STUDIES,
) -> list[Line]:
    """The lines of a forest plot of ``result``, top to bottom, computed without matplotlib.

    With more than ``max_studies`` study rows the studies are left out (summary forest: subgroup headings,
    subtotals and the total) and a note says so.

    Examples
    --------
    >>> import warnings, fmtrials
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     res = fmtrials.pool(fmtrials.contrasts(endpoint="nausea"), measure="RR", method="MH")
    >>> [ln.cells[0] for ln in forest_lines(res) if ln.kind]
    ['Mease2009 (100 mg/day)', 'Mease2009 (200 mg/day)', 'Arnold2010', 'Bateman2013', 'Total (95% CI)']
    >>> len(forest_lines(res, max_studies=3))      # note, blank line, total
    3
    """
    rows = R.forest_rows(result)
    ci = f"{format_level(result.alpha)} CI"
    n_studies = int((rows["row_type"] == "study").sum())
    summary_only = n_studies > max_studies
    by = getattr(result, "by", None)
    lines: list[Line] = []
    if summary_only:
        lines.append(Line("note", span=f"{n_studies} studies not drawn individually; see the table"))
    for value, sub in R.subgroups(result).items() if by else ():
        part = rows[(rows["row_type"] != "total") & (rows["group"].map(repr) == repr(value))]
        lines.append(Line("heading", (_group_label(str(by), value, treatment), "", "", "", "")))
        if not summary_only:
            lines += [_study_line(r, digits) for r in part[part["row_type"] == "study"].itertuples()]
        st = part[part["row_type"] == "subtotal"].iloc[0]
        label = f"Subtotal ({ci})" + (f", k = {int(st.k)}" if summary_only else "")
        lines.append(_summary_line(st, label, "subgroup", digits))
        if R.heterogeneity(sub).estimable:
            lines.append(Line("note", span=het_text(sub, tau=False)))
        one = int(sub.k) == 1  # one comparison: no test of a pooled effect (nor a second p-value for it)
        lines += [Line("note", span=SINGLE_NOTE if one else overall_test_text(sub)), Line()]
    if not (by and R.subgroups(result)):
        if not summary_only:
            lines += [_study_line(r, digits) for r in rows[rows["row_type"] == "study"].itertuples()]
        lines.append(Line())
    if _single(result):
        return lines  # one trial: its own estimate, no pooled diamond
    total = rows[rows["row_type"] == "total"].iloc[0]
    lines.append(
        _summary_line(total, f"Total ({ci})" + (f", k = {int(total.k)}" if summary_only else ""), "overall", digits)
    )
    lo, hi = R.prediction(result)
    if show_prediction and math.isfinite(lo) and math.isfinite(hi):
        lines.append(
            Line(
                "normal",
                ("Prediction interval", "", "", "", f"[{format_number(lo, digits)}, {format_number(hi, digits)}]"),
                kind="prediction",
                ci_low=lo,
                ci_high=hi,
            )
        )
    return lines


#: what a forest plot says of one comparison (the whole plot, or a subgroup), instead of a test of a pooled effect
SINGLE_NOTE = "One comparison: its own estimate and interval; nothing is pooled."


def _single(result: Any) -> bool:
    """True for one comparison without subgroups: drawn as the trial's own estimate, nothing pooled."""
    return int(result.k) == 1 and not (getattr(result, "by", None) and R.subgroups(result))


#: the Mantel-Haenszel terms by measure: (weight = denominator term, numerator term), as printed in a footnote
_MH_TERMS = {"OR": ("b·c/N", "a·d/N"), "RR": ("c·n_t/N", "a·n_c/N")}


def mh_zero_weight_note(result: Any, digits: int = 2) -> str | None:
    """The footnote for a Mantel–Haenszel forest in which an included study has weight 0 but still moves the
    estimate, else None.

    The weight column of a Mantel–Haenszel analysis is the study's share of the estimate's denominator
    (metafor ``weights.rma.mh``, RevMan): ``b·c/N`` for the odds ratio, ``c·n_t/N`` for the risk ratio. A study
    without events in the control arm (or, for the odds ratio, without non-events in the treatment arm) has
    weight 0, yet its numerator term (``a·d/N``, ``a·n_c/N``) still enters the pooled ratio. The note names those
    studies and gives the pooled estimate without them (``digits + 2`` decimals, so the change shows).
    """
    from ..meta import _core

    measure = str(result.measure).upper()
    if getattr(result, "method", None) != "MH" or measure not in _MH_TERMS:
        return None
    s = R.study_table(result)
    s = s[s["included"].to_numpy(dtype=bool)]
    a, n1, c, n2 = (s[col].to_numpy(dtype=float) for col in ("events_t", "n_t", "events_c", "n_c"))
    numerator = a * (n2 - c) / (n1 + n2) if measure == "OR" else a * n2 / (n1 + n2)
    zero = (s["weight"].to_numpy(dtype=float) == 0) & (numerator > 0)
    if not zero.any() or zero.all():
        return None
    keep = ~zero
    beta, _ = _core.mh(a[keep], n1[keep], c[keep], n2[keep], measure)
    if not math.isfinite(beta):
        return None
    labels = s["label"].to_numpy()
    names = ", ".join(L.truncate(str(v)) for v in labels[zero])
    den, num = _MH_TERMS[measure]
    one = zero.sum() == 1
    text = (
        f"Weight: the Mantel–Haenszel weight ({den}, the study's part of the estimate's denominator). {names} "
        f"{'has' if one else 'have'} weight 0% but {'its' if one else 'their'} {num} still enters the numerator: "
        f"without {'it' if one else 'them'} the pooled {measure} would be "
        f"{format_number(math.exp(beta), digits + 2)} instead of {format_number(result.estimate, digits + 2)}."
    )
    w = s["weight"].to_numpy(dtype=float)
    rounded = (w > 0) & (w < 0.05)  # printed as 0.0% (one decimal) although not 0
    if rounded.any():
        text += " " + ", ".join(L.truncate(str(v)) for v in labels[rounded]) + " show 0.0% for weights below 0.05%."
    return text


def forest_footer(result: Any, notes: Sequence[str] = ()) -> list[str]:
    """Heterogeneity, overall test, subgroup test, left-out studies, zero cells, a study with Mantel–Haenszel
    weight 0 that still counts (:func:`mh_zero_weight_note`), notes (the result's, then ``notes``) and the method
    (for one comparison: that nothing is pooled, instead of heterogeneity and the overall test)."""
    if _single(result):
        return [SINGLE_NOTE]
    out = [het_text(result), overall_test_text(result)]
    st = R.subgroup_test(result)
    if st is not None:
        out.append(
            f"Test for subgroup differences: Q = {format_number(st[0], 2)}, df = {st[1]} "
            f"({format_p(st[2], prefix=True)})"
        )
    excluded = tuple(getattr(result, "excluded", ()) or ())
    if excluded:
        where = (
            "no per-study estimate, left out of Q, kept in the Mantel–Haenszel sums"
            if getattr(result, "method", None) == "MH"
            else "left out of the pooling"
        )
        out.append(f"Not estimable, {where}: " + ", ".join(map(str, excluded)))
    corrected = tuple(getattr(result, "corrected", ()) or ())
    if corrected:
        out.append("Zero cells in " + ", ".join(map(str, corrected)) + f": {result.zero_cell}")
    zero_weight = mh_zero_weight_note(result)
    if zero_weight:
        out.append(zero_weight)
    out.extend(f"Note: {n}" for n in (*(getattr(result, "notes", ()) or ()), *notes))
    out.append(method_text(result))
    return out


def effect_label(measure: str, unit: str | None = None) -> str:
    """The name of the effect with its unit: a mean difference in the outcome's ``unit``, an SMD in standard
    deviations; a 2x2 measure is its name alone.

    Examples
    --------
    >>> effect_label("MD", "points, 0-10 NRS"), effect_label("SMD"), effect_label("RR")
    ('Mean difference (points, 0-10 NRS)', 'Standardised mean difference (SD units)', 'Risk ratio')
    """
    name = L.arm_label(measure_name(measure))
    if measure == "SMD":
        return f"{name} (SD units)"
    if measure == "MD":
        return f"{name} ({unit})" if unit else f"{name} (units of the outcome)"
    return f"{name} ({unit})" if unit else name

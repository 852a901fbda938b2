"""The one place the plots read a :class:`~fmtrials.PoolResult`.

Every figure asks this module for what it draws, never the result's fields directly, so the plots follow a
change of PoolResult here only. Today PoolResult is flat (``q, q_df, q_p, i2, tau2, hksj, hksj_truncate,
pi_low, pi_high, q_between, q_between_df, q_between_p``). Switching to the renovated PoolResult changes:

* :func:`heterogeneity`: read ``h = result.heterogeneity`` (``h.q, h.q_df, h.q_p, h.i2, h.tau2,
  h.estimable``) instead of ``result.q ...``; ``estimable`` is then taken as given;
* :func:`prediction`: ``result.prediction.pi_low, result.prediction.pi_high``;
* :func:`subgroup_test`: ``result.subgroup_test`` (None, or ``SubgroupTest(q, df, p)``) instead of
  ``q_between, q_between_df, q_between_p``;
* :func:`pool_test`: ``result.test`` instead of deriving it from ``hksj`` / ``hksj_truncate``;
* :func:`forest_rows`: the body becomes ``result.summary_frame()`` plus the ``dose`` column (the ``group``
  value when ``result.by == "dose_mg_day"``), see :func:`_with_dose`.

Unchanged by the renovation and read as is: ``measure, method, model, k, alpha, estimate, ci_low,
ci_high, beta, statistic, stat_dist, df, p_value, tau2_method, by, zero_cell, corrected, excluded, notes,
subgroups, studies``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validation import ARGUMENTS
from ..errors import DataError, Problem

__all__ = ["check_result", "study_table", "forest_rows", "heterogeneity", "prediction", "subgroup_test",
           "pool_test", "effect_test", "subgroups", "Heterogeneity", "EffectTest", "FOREST_COLUMNS"]

#: columns of :func:`forest_rows` (those of ``PoolResult.summary_frame()`` plus ``dose``)
FOREST_COLUMNS = ("row_type", "group", "label", "events_t", "n_t", "events_c", "n_c", "estimate", "ci_low",
                  "ci_high", "weight", "k", "included", "p_value", "q", "q_df", "q_p", "i2", "tau2", "pi_low",
                  "pi_high", "dose")


@dataclass(frozen=True)
class Heterogeneity:
    """What a figure prints about heterogeneity."""

    q: float
    q_df: int
    q_p: float
    i2: float
    tau2: float
    tau2_method: str | None
    random: bool
    estimable: bool


@dataclass(frozen=True)
class EffectTest:
    """The test of no effect: ``"Z"`` or ``"t"`` (with ``df``), statistic and two-sided p-value."""

    name: str
    statistic: float
    df: float | None
    p: float


def check_result(result: Any) -> None:
    """Raise DataError unless ``result`` looks like a PoolResult."""
    if not hasattr(result, "studies") or not hasattr(result, "measure"):
        raise DataError(Problem(f"result must be a PoolResult, got {type(result).__name__}", file=ARGUMENTS,
                                column="result"))


def study_table(result: Any) -> pd.DataFrame:
    """The per-study table (``study, label, [by], counts, yi, vi, estimate, ci_low, ci_high, weight, ...``)."""
    return result.studies.reset_index(drop=True).copy()


def subgroups(result: Any) -> dict:
    """Subgroup value -> PoolResult (empty without ``by``)."""
    return dict(getattr(result, "subgroups", None) or {})


def _f(x: Any) -> float:
    return math.nan if x is None else float(x)


def heterogeneity(result: Any) -> Heterogeneity:
    """Q, its df and p, I², tau² of ``result``; ``estimable`` False with k < 2 or an undefined Q."""
    q = _f(result.q)
    return Heterogeneity(q=q, q_df=int(result.q_df), q_p=_f(result.q_p), i2=_f(result.i2), tau2=_f(result.tau2),
                         tau2_method=result.tau2_method, random=str(result.model).lower() == "random",
                         estimable=int(result.k) >= 2 and math.isfinite(q))


def prediction(result: Any) -> tuple[float, float]:
    """Prediction interval (reporting scale); NaN bounds when undefined."""
    return _f(getattr(result, "pi_low", math.nan)), _f(getattr(result, "pi_high", math.nan))


def subgroup_test(result: Any) -> tuple[float, int, float] | None:
    """``(Q, df, p)`` of the test for subgroup differences, or None without subgroups."""
    if not subgroups(result) or not math.isfinite(_f(getattr(result, "q_between", math.nan))):
        return None
    return float(result.q_between), int(result.q_between_df), float(result.q_between_p)


def pool_test(result: Any) -> str:
    """The test applied: ``"z"``, ``"hksj"`` or ``"hksj-adhoc"`` (see :data:`fmtrials._vocab.POOL_TESTS`)."""
    if not getattr(result, "hksj", False):
        return "z"
    return "hksj-adhoc" if getattr(result, "hksj_truncate", False) else "hksj"


def effect_test(result: Any) -> EffectTest:
    """The test of no effect as printed under a forest plot."""
    t = str(result.stat_dist).lower().startswith("t")
    df = _f(result.df) if t and result.df is not None else None
    return EffectTest("t" if t else "Z", _f(result.statistic), df, _f(result.p_value))


def _summary_row(res: Any, row_type: str, group: Any, label: str, counts: pd.DataFrame,
                 weight: float) -> dict:
    inc = counts[counts["included"].astype(bool)] if "included" in counts.columns else counts
    h = heterogeneity(res)
    lo, hi = prediction(res)
    return {"row_type": row_type, "group": group, "label": label,
            **{c: int(inc[c].sum()) for c in ("events_t", "n_t", "events_c", "n_c")},
            "estimate": _f(res.estimate), "ci_low": _f(res.ci_low), "ci_high": _f(res.ci_high), "weight": weight,
            "k": int(res.k), "included": True, "p_value": _f(res.p_value), "q": h.q, "q_df": h.q_df, "q_p": h.q_p,
            "i2": h.i2, "tau2": h.tau2, "pi_low": lo, "pi_high": hi}


def _study_rows(frame: pd.DataFrame, group: Any) -> pd.DataFrame:
    nan = np.full(len(frame), np.nan)
    return pd.DataFrame({
        "row_type": "study", "group": [group] * len(frame), "label": frame["label"].astype(str).to_numpy(),
        **{c: frame[c].to_numpy() for c in ("events_t", "n_t", "events_c", "n_c")},
        **{c: frame[c].astype(float).to_numpy() for c in ("estimate", "ci_low", "ci_high", "weight")},
        "k": 1, "included": frame["included"].astype(bool).to_numpy() if "included" in frame.columns else True,
        "p_value": nan, "q": nan, "q_df": np.zeros(len(frame), dtype=int), "q_p": nan, "i2": nan, "tau2": nan,
        "pi_low": nan, "pi_high": nan})


def _with_dose(rows: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Add ``dose`` (mg/day, for colours): the group value when the result was pooled by dose, else NaN."""
    dose = pd.to_numeric(rows["group"], errors="coerce") if by == "dose_mg_day" else np.nan
    return rows.assign(dose=dose)


def forest_rows(result: Any) -> pd.DataFrame:
    """One row per drawn line of a forest plot, computed without matplotlib.

    Columns :data:`FOREST_COLUMNS` (``PoolResult.summary_frame()`` plus ``dose``): ``row_type`` is
    ``"study"``, ``"subtotal"`` or ``"total"``; with ``by``, per subgroup (in the order of
    ``result.subgroups``) its studies then its subtotal; then the total. Study weights are percent of the
    whole analysis, a subtotal's weight is its studies' share, the total's 100; subtotal and total counts
    are the sums over their included studies.

    Examples
    --------
    >>> import warnings, fmtrials
    >>> from fmtrials.plots import forest_rows
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     res = fmtrials.pool(fmtrials.contrasts(endpoint="nausea"), measure="RR", method="MH")
    >>> rows = forest_rows(res)
    >>> rows["row_type"].tolist()
    ['study', 'study', 'study', 'study', 'total']
    >>> total = rows.iloc[-1]
    >>> int(total.events_t), int(total.n_t), float(total.weight)
    (457, 1266, 100.0)
    """
    check_result(result)
    frame = study_table(result)
    by = getattr(result, "by", None)
    subs = subgroups(result)
    total_w = float(np.nansum(frame["weight"].astype(float)))
    parts: list[pd.DataFrame] = []
    if by and subs:
        key = frame[by].astype(str)
        for value, sub in subs.items():
            rows = frame[key == str(value)]
            share = float(np.nansum(rows["weight"].astype(float))) / total_w * 100 if total_w > 0 else math.nan
            parts += [_study_rows(rows, value),
                      pd.DataFrame([_summary_row(sub, "subtotal", value, "Subtotal", rows, share)])]
    else:
        parts.append(_study_rows(frame, None))
    parts.append(pd.DataFrame([_summary_row(result, "total", None, "Total", frame, 100.0)]))
    rows = pd.concat(parts, ignore_index=True)
    rows["group"] = rows["group"].astype(object).where(rows["group"].notna(), None)
    return _with_dose(rows, by)[list(FOREST_COLUMNS)]


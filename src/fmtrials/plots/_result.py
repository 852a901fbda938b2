"""The one place the plots read a :class:`~fmtrials.PoolResult`.

Every figure asks this module for what it draws, never the result's fields directly: the heterogeneity
(``result.heterogeneity``), the prediction interval (``result.prediction``), the subgroup test
(``result.subgroup_test``), the test applied (``result.test``) and the forest rows
(``result.summary_frame()`` plus a ``dose`` column for the colours).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validation import ARGUMENTS
from ..errors import DataError, Problem
from ..meta._render import FRAME_COLUMNS

__all__ = [
    "check_result",
    "study_table",
    "forest_rows",
    "heterogeneity",
    "prediction",
    "subgroup_test",
    "pool_test",
    "effect_test",
    "model_name",
    "subgroups",
    "Heterogeneity",
    "EffectTest",
    "FOREST_COLUMNS",
]

#: columns of :func:`forest_rows` (those of ``PoolResult.summary_frame()`` plus ``dose``)
FOREST_COLUMNS = (*FRAME_COLUMNS, "dose")


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
        raise DataError(
            Problem(f"result must be a PoolResult, got {type(result).__name__}", file=ARGUMENTS, column="result")
        )


def study_table(result: Any) -> pd.DataFrame:
    """The per-study table (``study, label, [by], counts, yi, vi, estimate, ci_low, ci_high, weight, ...``)."""
    return result.studies.reset_index(drop=True).copy()


def subgroups(result: Any) -> dict:
    """Subgroup value -> PoolResult (empty without ``by``)."""
    return dict(getattr(result, "subgroups", None) or {})


def _f(x: Any) -> float:
    return math.nan if x is None else float(x)


def heterogeneity(result: Any) -> Heterogeneity:
    """Q, its df and p, the Q-based I² (:attr:`~fmtrials.meta.result.Heterogeneity.i2_q`, as RevMan and the
    report's pooled table), tau² of ``result``; ``estimable`` False with k < 2 or an undefined Q."""
    h = result.heterogeneity
    return Heterogeneity(
        q=_f(h.q),
        q_df=int(h.q_df),
        q_p=_f(h.q_p),
        i2=_f(h.i2_q),  # the one I² of the report and of RevMan's forest plots: Q-based for every model
        tau2=_f(h.tau2),
        tau2_method=result.tau2_method,
        random=str(result.model).lower() == "random",
        estimable=bool(h.estimable) and int(result.k) >= 2 and math.isfinite(_f(h.q)),
    )


def prediction(result: Any) -> tuple[float, float]:
    """Prediction interval (reporting scale); NaN bounds when undefined."""
    return _f(result.prediction.pi_low), _f(result.prediction.pi_high)


def subgroup_test(result: Any) -> tuple[float, int, float] | None:
    """``(Q, df, p)`` of the test for subgroup differences, or None without subgroups."""
    st = result.subgroup_test
    if st is None or not math.isfinite(_f(st.q)):
        return None
    return float(st.q), int(st.df), float(st.p)


def pool_test(result: Any) -> str:
    """The test applied: ``"z"``, ``"hksj"`` or ``"hksj-adhoc"`` (see :data:`fmtrials._vocab.POOL_TESTS`)."""
    return str(result.test)


def effect_test(result: Any) -> EffectTest:
    """The test of no effect as printed under a forest plot."""
    t = str(result.stat_dist).lower().startswith("t")
    df = _f(result.df) if t and result.df is not None else None
    return EffectTest("t" if t else "Z", _f(result.statistic), df, _f(result.p_value))


def model_name(result: Any) -> str:
    r"""The pooling model of ``result`` for a legend, on two lines: ``"Random-effects model\n(REML τ²)"``,
    ``"Common-effect model\n(Mantel–Haenszel)"`` (the test is left out: it does not move the estimate).

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> model_name(R(method="REML", tau2_method="REML"))
    'Random-effects model\n(REML τ²)'
    """
    from .._format import pool_label

    return pool_label(result.method, "z", getattr(result, "tau2_method", None)).replace(" (", "\n(", 1)


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
    rows = result.summary_frame()
    return _with_dose(rows, result.by)[list(FOREST_COLUMNS)]

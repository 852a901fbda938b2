"""Risk ratio and odds ratio with Wald (Katz, Woolf), score (Koopman, Miettinen-Nurminen) and exact
conditional intervals, vectorised over tables.

The Wald intervals come from the one per-study rule of :func:`fmtrials.effects.effect_sizes` (metafor
``escalc``): ``exp(yi -/+ z sqrt(vi))``.

References
----------
.. [1] Katz D, Baptista J, Azen SP, Pike MC. Obtaining confidence intervals for the risk ratio in cohort
   studies. Biometrics 1978;34:469-474.
.. [2] Woolf B. On estimating the relation between blood group and disease. Ann Hum Genet 1955;19:251-253.
.. [3] Koopman PAR. Confidence intervals for the ratio of two binomial proportions. Biometrics
   1984;40:513-517.
.. [4] Miettinen O, Nurminen M. Comparative analysis of two rates. Stat Med 1985;4:213-226.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pandas as pd

from .._validation import check_alpha, check_number
from .._vocab import OR_INTERVALS, RR_INTERVALS, ORInterval, RRInterval, choice, renamed_args
from ._common import counts, frame, per_distinct_table, z_value
from ._score import or_score_lower, rr_score_lower
from ._solvers import by_chunks
from .exact import check_exact_size, or_exact_one, rr_exact_one
from .sizes import study_effects

__all__ = ["risk_ratio", "odds_ratio"]

#: ``note`` of a Wald row whose table had a zero cell / was a double-zero table
ZERO_CELL_NOTE = "zero cell: {cc:g} added to each cell"
DOUBLE_ZERO_NOTE = "double zero: not estimable"


def _swap_upper(lower_fn: Callable[..., np.ndarray], x1, n1, x2, n2, *args) -> np.ndarray:
    """Upper limit of a ratio measure as 1 / (lower limit of the arm-swapped table)."""
    with np.errstate(divide="ignore"):
        return 1.0 / lower_fn(x2, n2, x1, n1, *args)


def _score_interval(lower_fn: Callable[..., np.ndarray], x1, n1, x2, n2, z, factor):
    """Score limits of a ratio measure: the lower one directly, the upper one from the arm-swapped table."""
    lo = by_chunks(lambda *v: lower_fn(*v, z, factor), x1, n1, x2, n2)
    hi = by_chunks(lambda a1, b1, a2, b2: _swap_upper(lower_fn, a1, b1, a2, b2, z, factor), x1, n1, x2, n2)
    return lo, hi


def _wald(measure: str, x1, n1, x2, n2, z, add):
    """Katz (RR) or Woolf (OR): exp(yi -/+ z sqrt(vi)) of the per-study rule; correction amounts; notes."""
    eff = study_effects(x1, n1, x2, n2, measure=cast(Any, measure), add=add)
    se = np.sqrt(eff.vi)
    est, lo, hi = np.exp(eff.yi), np.exp(eff.yi - z * se), np.exp(eff.yi + z * se)
    corr = np.where(eff.corrected, add, 0.0)
    note = np.where(eff.excluded, DOUBLE_ZERO_NOTE, np.where(eff.corrected, ZERO_CELL_NOTE.format(cc=add), ""))
    return est, lo, hi, corr, note


def _ratio_inputs(
    events_t: Any, n_t: Any, events_c: Any, n_c: Any, ci: Any, methods: tuple[str, ...], alpha: Any, add: Any
):
    """Validated inputs shared by the ratio measures: method, alpha, add, counts and z."""
    ci = choice(ci, methods, "ci")
    alpha = check_alpha(alpha)
    add = check_number(add, "add", low=0.0, inclusive=False)
    return ci, alpha, add, counts(events_t, n_t, events_c, n_c), z_value(alpha)


@renamed_args(cc="add")
def risk_ratio(
    events_t: Any, n_t: Any, events_c: Any, n_c: Any, *, ci: RRInterval = "katz", alpha: float = 0.05, add: float = 0.5
) -> pd.DataFrame:
    """Risk ratio p_t / p_c with a confidence interval, one row per table.

    Parameters
    ----------
    events_t, n_t, events_c, n_c : int or array-like
        Counts (broadcast).
    ci : {"katz", "koopman", "mn", "exact"}
        ``katz``: Wald interval on the log scale (Katz et al. 1978). ``koopman``: score interval (Koopman
        1984). ``mn``: Miettinen-Nurminen score interval (the Koopman statistic times (N - 1)/N).
        ``exact``: exact unconditional interval, the Chan-Zhang construction for the ratio: two one-sided
        tests at alpha/2 ordering all tables by the Farrington-Manning score statistic of p_t = phi p_c,
        each p-value maximised over the nuisance p_c in [0, min(1, 1/phi)] (the engine of
        ``risk_difference(ci="exact")``; all tables scored per candidate phi, about 0.2 s at 34 per arm and
        5 s at 400 per arm; n_t * n_c <= 1,000,000).
    alpha : float
        Two-sided level.
    add : float
        Zero-cell correction for ``katz`` only (``cc=`` in the previous release, still accepted with a
        DeprecationWarning): a table with a zero cell (no events or all events in an arm) gets ``add`` added
        to all four cells, as metafor ``escalc(add=1/2, to="only0")`` and RevMan
        (the per-study rule of :func:`fmtrials.effects.effect_sizes`, shared with pooling). A double-zero
        table (no events in both arms, or all events in both) is not estimable by ``katz``: NaN estimate and
        limits, as pooling drops it (``drop00=TRUE``). The score methods need no correction.

    Returns
    -------
    pandas.DataFrame
        ``events_t, n_t, events_c, n_c, p_t, p_c, estimate, ci_low, ci_high, method, correction, note,
        alpha``. ``correction`` is the amount added to each cell (0 where nothing was added) and ``note``
        says why (``"zero cell: 0.5 added to each cell"``, ``"double zero: not estimable"``, else empty).
        For corrected rows the ``estimate`` is computed from the corrected table (as metafor reports it).
        For the score methods the estimate is the raw ratio: 0 if events_t = 0, inf if events_c = 0, NaN if both are 0
        (interval (0, inf)).

    Examples
    --------
    >>> from fmtrials import risk_ratio
    >>> risk_ratio(7, 34, 1, 34, ci="koopman").round(4)[["estimate", "ci_low", "ci_high"]]
       estimate  ci_low  ci_high
    0       7.0  1.2209  42.5757
    >>> risk_ratio([0, 0], [10, 85], [0, 3], [12, 21]).round(4)[["estimate", "ci_low", "correction", "note"]]
       estimate  ci_low  correction                               note
    0       NaN     NaN         0.0         double zero: not estimable
    1    0.0365   0.002         0.5  zero cell: 0.5 added to each cell
    """
    ci, alpha, add, (x1, n1, x2, n2), z = _ratio_inputs(events_t, n_t, events_c, n_c, ci, RR_INTERVALS, alpha, add)
    p1, p2 = x1 / n1, x2 / n2
    if ci == "katz":
        est, lo, hi, corr, note = _wald("RR", x1, n1, x2, n2, z, add)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            est = p1 / p2
        if ci == "exact":
            check_exact_size(n1, n2)
            res = per_distinct_table(x1, n1, x2, n2, lambda a, b, c, d: rr_exact_one(a, b, c, d, alpha))
            lo, hi = res[:, 0], res[:, 1]
        else:
            lo, hi = _score_interval(rr_score_lower, x1, n1, x2, n2, z, ci == "mn")
        corr, note = np.zeros(x1.shape), ""
    return frame(
        x1,
        n1,
        x2,
        n2,
        p_t=p1,
        p_c=p2,
        estimate=est,
        ci_low=lo,
        ci_high=hi,
        method=ci,
        correction=corr,
        note=note,
        alpha=alpha,
    )


@renamed_args(cc="add")
def odds_ratio(
    events_t: Any, n_t: Any, events_c: Any, n_c: Any, *, ci: ORInterval = "woolf", alpha: float = 0.05, add: float = 0.5
) -> pd.DataFrame:
    """Odds ratio of treatment vs control with a confidence interval, one row per table.

    Parameters
    ----------
    events_t, n_t, events_c, n_c : int or array-like
        Counts (broadcast).
    ci : {"woolf", "mn", "exact"}
        ``woolf``: Wald interval on the log scale (Woolf 1955); ``mn``: Miettinen-Nurminen score interval
        (with the (N - 1)/N factor); ``exact``: conditional exact (Cornfield) interval with the conditional
        MLE as estimate, as R ``fisher.test`` (computed per distinct table, to about 1e-12).
    alpha : float
        Two-sided level.
    add : float
        Zero-cell correction for ``woolf`` only (``cc=`` in the previous release): added to all four cells
        of a table with a zero cell
        (metafor ``add=1/2, to="only0"``, the rule of :func:`fmtrials.effects.effect_sizes`). A double-zero
        table is not estimable by ``woolf``: NaN estimate and limits (``drop00=TRUE``, as pooling). The
        ``mn`` and ``exact`` methods use the raw counts.

    Returns
    -------
    pandas.DataFrame
        ``events_t, n_t, events_c, n_c, p_t, p_c, estimate, ci_low, ci_high, method, correction, note,
        alpha``. ``correction`` and ``note`` as in :func:`risk_ratio`. For ``woolf`` the estimate of a
        corrected row comes from the corrected table. For ``mn`` the estimate is the sample odds ratio (0 or
        inf with a zero cell, NaN when both arms are 0% or both 100%, interval (0, inf)); for ``exact`` the
        conditional MLE.

    Examples
    --------
    >>> from fmtrials import odds_ratio
    >>> odds_ratio(7, 34, 1, 34, ci="exact").round(2)[["estimate", "ci_low", "ci_high"]]
       estimate  ci_low  ci_high
    0      8.33    0.97   396.99
    """
    ci, alpha, add, (x1, n1, x2, n2), z = _ratio_inputs(events_t, n_t, events_c, n_c, ci, OR_INTERVALS, alpha, add)
    corr, note = np.zeros(x1.shape), ""
    if ci == "woolf":
        est, lo, hi, corr, note = _wald("OR", x1, n1, x2, n2, z, add)
    elif ci == "mn":
        with np.errstate(divide="ignore", invalid="ignore"):
            est = (x1 * (n2 - x2)) / ((n1 - x1) * x2.astype(float))
        lo, hi = _score_interval(or_score_lower, x1, n1, x2, n2, z, True)
    else:
        res = per_distinct_table(x1, n1, x2, n2, lambda *t: or_exact_one(*t, alpha))
        est, lo, hi = res[:, 0], res[:, 1], res[:, 2]
    return frame(
        x1,
        n1,
        x2,
        n2,
        p_t=x1 / n1,
        p_c=x2 / n2,
        estimate=est,
        ci_low=lo,
        ci_high=hi,
        method=ci,
        correction=corr,
        note=note,
        alpha=alpha,
    )

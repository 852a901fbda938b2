""":func:`compare_revman`: re-run a RevMan review's dichotomous and continuous analyses with :func:`fmtrials.pool`
and line our results up with RevMan's.

RevMan 5's standardised mean difference is Hedges' g with the *approximate* small-sample correction
``1 - 3/(4N - 9)`` and the variance ``N/(n_t n_c) + g²/(2(N - 3.94))`` (N = n_t + n_c; Deeks & Higgins,
*Statistical algorithms in Review Manager 5*, 2010), where :func:`fmtrials.pool` (as metafor ``escalc``) uses
the exact correction ``J`` and the variance ``1/n_t + 1/n_c + g²/(2N)``. To reproduce RevMan, an SMD outcome is
re-run with RevMan's per-study g and variance (:func:`fmtrials.effects.continuous.revman_smd`) and then pooled by
the same inverse-variance code; the two conventions differ in the third or fourth decimal for small trials.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import replace
from typing import Any, cast

import numpy as np
import pandas as pd

from .._vocab import Model, PoolMeasure, PoolMethod, RevManMethod
from ..effects.continuous import revman_smd
from ..effects.sizes import StudyEffects
from ..errors import SharedPlaceboWarning
from ..meta import pool
from ..meta._table import prepare
from ..meta.fitting import fit
from ..meta.pooling import _pool_by, options
from ..meta.result import PoolResult
from .reading import _read

__all__ = ["compare_revman", "QUANTITIES", "revman_pool_method"]

#: what is compared, in RevMan's words (``z`` is |z|; ``i2`` in percent)
QUANTITIES = ("estimate", "ci_low", "ci_high", "chi2", "df", "p_chi2", "i2", "tau2", "z", "p_z")


def revman_pool_method(method: RevManMethod, model: Model) -> str:
    """RevMan's statistical method and analysis model -> :func:`fmtrials.pool`'s ``method=``.

    Examples
    --------
    >>> revman_pool_method("MH", "random"), revman_pool_method("IV", "random"), revman_pool_method("MH", "common")
    ('MH-DL', 'DL', 'MH')
    """
    if model == "random":
        return "MH-DL" if method == "MH" else "DL"
    return method


def _ours(r: Any) -> dict[str, float]:
    h = r.heterogeneity
    return {
        "estimate": r.estimate,
        "ci_low": r.ci_low,
        "ci_high": r.ci_high,
        "chi2": h.q,
        "df": float(h.q_df),
        "p_chi2": h.q_p,
        "i2": h.i2,
        "tau2": h.tau2,
        "z": abs(r.statistic),
        "p_z": r.p_value,
    }


def _pool_revman_smd(table: pd.DataFrame, method: str, by: str | None) -> PoolResult:
    """Pool an SMD outcome as RevMan 5 does: its per-study g and variance (approximate correction), then the
    inverse-variance fixed or DerSimonian-Laird random-effects model of :func:`fmtrials.pool`."""
    o = options("SMD", method, "z", 0.05, "hts", 1e-12, 100, "raise")
    d = prepare(table, by, "SMD")
    assert d.means is not None
    m = d.means
    g, v = revman_smd(m.mean_t, m.sd_t, d.n1, m.mean_c, m.sd_c, d.n2)
    none = np.zeros(len(g), dtype=bool)
    d = replace(d, means=replace(m, effects=StudyEffects(g, v, none, none.copy())))
    return _pool_by(d, o, by, False) if by is not None else fit(d, o)


def _rows(where: dict[str, Any], revman: pd.Series, ours: dict[str, float]) -> list[dict[str, Any]]:
    """One row per quantity in ``ours``, next to RevMan's value of the same name."""
    out = []
    for q, value in ours.items():
        rv = float(revman[q]) if pd.notna(revman[q]) else math.nan
        out.append({**where, "quantity": q, "revman": rv, "fmtrials": float(value), "difference": float(value) - rv})
    return out


def compare_revman(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Re-run every dichotomous and continuous outcome of a RevMan review and compare with RevMan's own results.

    Each outcome is pooled by :func:`fmtrials.pool` with RevMan's measure and method: "M-H, Random" as
    ``method="MH-DL"`` (RevMan 5's model: DerSimonian-Laird tau² from the Q around the Mantel-Haenszel
    estimate, then inverse-variance random-effects pooling), "IV, Random" as ``method="DL"``; an outcome with
    subgroups is pooled ``by="subgroup"`` so the subtotals and the test for subgroup differences are compared
    too. Continuous outcomes are pooled as mean differences ("MD") or standardised mean differences ("SMD",
    with RevMan's own convention for g and its variance: see the module docstring); other outcome types
    (O-E, generic inverse variance) are left out, and so is a continuous outcome for which the file stores no
    RevMan estimate.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.rm5`` review or an analysis CSV export (see :func:`~fmtrials.revman.read_revman`).

    Returns
    -------
    pandas.DataFrame
        One row per outcome (or subgroup) and quantity: ``comparison``, ``outcome``, ``subgroup`` (``None``
        for the total), ``quantity`` (:data:`QUANTITIES`, plus ``chi2_subgroups``, ``p_subgroups`` for an
        outcome with subgroups), ``revman`` (NaN if RevMan stored none), ``fmtrials`` and ``difference``
        (fmtrials - RevMan). RevMan's CSV export rounds to 8 decimals and its files print what RevMan
        printed, so compare at the precision the file carries.

    Examples
    --------
    >>> from fmtrials.revman import compare_revman, example_path
    >>> c = compare_revman(example_path("rm5"))
    >>> print(c[["quantity", "revman", "fmtrials"]].head(3).to_string(index=False))
    quantity   revman  fmtrials
    estimate 0.551299  0.551299
      ci_low 0.355271  0.355271
     ci_high 0.855491  0.855491
    >>> bool((c.difference.abs() < 1e-12).all())  # its continuous outcome stores no RevMan estimate: left out
    True
    """
    studies, results = _read(path)
    rows: list[dict[str, Any]] = []
    totals = results[results.subgroup_no == 0]
    for _, tot in totals.iterrows():
        if tot.measure is None or not isinstance(tot.measure, str):  # a type or measure fmtrials does not analyse
            continue
        if tot.data_type == "continuous" and pd.isna(tot.estimate):  # RevMan stored no result: nothing to compare
            continue
        keep = (studies.comparison_no == tot.comparison_no) & (studies.outcome_no == tot.outcome_no)
        table = studies[keep]
        subs = results[
            (results.comparison_no == tot.comparison_no)
            & (results.outcome_no == tot.outcome_no)
            & (results.subgroup_no != 0)
        ]
        method = cast(PoolMethod, revman_pool_method(tot.method, tot.model))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SharedPlaceboWarning)
            by = "subgroup" if len(subs) else None
            if tot.measure == "SMD":
                r = _pool_revman_smd(table, method, by)
            else:
                r = pool(table, measure=cast(PoolMeasure, tot.measure), method=method, by=by)
        where = {"comparison": tot.comparison, "outcome": tot.outcome, "subgroup": None}
        rows += _rows(where, tot, _ours(r))
        if r.subgroup_test is not None:
            rows += _rows(where, tot, {"chi2_subgroups": r.subgroup_test.q, "p_subgroups": r.subgroup_test.p})
        for _, sub in subs.iterrows():
            if sub.subgroup in (r.subgroups or {}):
                rows += _rows({**where, "subgroup": sub.subgroup}, sub, _ours(r.subgroups[sub.subgroup]))
    return pd.DataFrame(
        rows, columns=["comparison", "outcome", "subgroup", "quantity", "revman", "fmtrials", "difference"]
    )

"""Hypothesis tests for 2x2 tables: Pearson chi-square (with or without Yates), Fisher, Barnard, Boschloo and
the Miettinen-Nurminen score test; vectorised except the exact tests (once per distinct table, cached).

References
----------
.. [1] Miettinen O, Nurminen M. Comparative analysis of two rates. Stat Med 1985;4:213-226.
.. [2] Fagerland MW, Lydersen S, Laake P. Statistical Analysis of Contingency Tables. CRC 2017.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_int, check_number
from .._vocab import ALTERNATIVES, PROPORTIONS_TESTS, Alternative, ProportionsTest, choice
from ._common import counts, frame, per_distinct_table
from ._statistics import (
    _TIE_RTOL,
    _barnard_z,
    _chi2_test,
    _fisher_one_sided,
    _no_variation,
    _p_from_z,
    _score_z,
    _unconditional_p,
)

__all__ = ["proportions_test"]


@lru_cache(maxsize=4096)
def _exact_test_one(x1: int, n1: int, x2: int, n2: int, method: str, alternative: str) -> tuple[float, float]:
    if method == "fisher":
        res = stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]], alternative=alternative)
        return float(res.statistic), float(res.pvalue)
    if _no_variation(x1, n1, x2, n2):  # the one rule (see proportions_test): no evidence of a difference
        return (0.0 if method == "barnard" else 1.0), 1.0
    if method == "barnard":
        zs = _barnard_z(n1, n2)
        z_obs = zs[x1, x2]
        tie = _TIE_RTOL * abs(z_obs)
        tail = {"two-sided": np.abs(zs) >= abs(z_obs) - tie, "less": zs <= z_obs + tie, "greater": zs >= z_obs - tie}[
            alternative
        ]
        return float(z_obs), _unconditional_p(tail, n1, n2)
    sides = ("less", "greater") if alternative == "two-sided" else (alternative,)
    best = (math.inf, math.inf)
    for side in sides:
        fp = _fisher_one_sided(n1, n2, upper=side == "greater")
        obs = fp[x1, x2]
        p = _unconditional_p(fp <= obs * (1.0 + _TIE_RTOL), n1, n2)
        if p < best[1]:
            best = (float(obs), p)
    stat, p = best
    return stat, min(1.0, 2.0 * p) if alternative == "two-sided" else p


def _check_delta0(delta0: Any) -> float:
    """The null risk difference of the score test: a number in the open interval (-1, 1)."""
    return check_number(delta0, "delta0", low=-1.0, high=1.0, inclusive=False)


def proportions_test(
    events_t: Any,
    n_t: Any,
    events_c: Any,
    n_c: Any,
    *,
    test: ProportionsTest = "chi2",
    alternative: Alternative = "two-sided",
    delta0: float = 0.0,
    sobol_n: int = 32,
) -> pd.DataFrame:
    """Test for a 2x2 table (treatment vs control), one row per table.

    Parameters
    ----------
    events_t, n_t, events_c, n_c : int or array-like
        Counts (broadcast).
    test : str
        ``chi2``: Pearson chi-square; ``yates``: with Yates' continuity correction (each cell moved by
        ``min(1/2, |O - E|)``, as R ``chisq.test`` and scipy); ``fisher``: Fisher's exact test (scipy
        ``fisher_exact``; two-sided p sums tables no more probable than the observed one, as R);
        ``barnard`` / ``boschloo``: exact unconditional tests with scipy's definitions (pooled Wald
        statistic for Barnard, the one-sided Fisher p-value as ordering for Boschloo, two-sided Boschloo
        twice the smaller one-sided p), computed by fmtrials' own vectorised engine (all tables scored at
        once, the nuisance parameter maximised on a variance-stabilising grid with local zooms; see
        ``fmtrials.effects._unconditional``): about 20 to 60 times faster than scipy at 400 per arm
        (benchmarks/bench_exact.py) and never below scipy's p-value by more than rounding; ``score``:
        Miettinen-Nurminen score test of
        p_t - p_c = ``delta0`` (the pooled z with the N/(N-1) factor when ``delta0 = 0``).
        ``chi2``, ``yates`` and ``score`` are vectorised over tables; the exact tests run once per distinct
        table (each vectorised over all tables with its arm sizes).
        Letter case is ignored.
    alternative : {"two-sided", "less", "greater"}
        ``greater``: p_t > p_c (odds ratio > 1). For ``chi2``/``yates`` a one-sided p-value uses the signed
        square root of the statistic against the normal distribution.
    delta0 : float
        Null risk difference for ``score`` only (non-inferiority/superiority margins), in (-1, 1).
    sobol_n : int
        Kept for compatibility (it was scipy's ``n``); validated (a whole number >= 1) but no longer used.

    Returns
    -------
    pandas.DataFrame
        ``events_t, n_t, events_c, n_c, statistic, statistic_name, p_value, test, alternative``. ``statistic_name``
        is ``chi2`` (two-sided chi2/yates), ``z`` (one-sided chi2/yates, score, barnard), ``sample_or``
        (fisher) or ``fisher_p`` (boschloo). A table in which nobody or everybody had the event carries no
        evidence of a difference, and one rule holds for every test and alternative: p = 1; the statistic is
        0 for chi2, yates, score (``delta0 = 0``) and barnard, 1 for boschloo (its one-sided Fisher p-value) and
        NaN for fisher (the sample odds ratio 0/0). R ``chisq.test`` returns NaN there and scipy
        ``barnard_exact`` a NaN statistic; a one-sided score p is 1, not the 0.5 of z = 0.

    Examples
    --------
    >>> from fmtrials import effects
    >>> effects.proportions_test(3, 4, 1, 4, test="chi2")[["statistic", "p_value"]].round(5)
       statistic  p_value
    0        2.0   0.1573
    """
    method = choice(test, PROPORTIONS_TESTS, "test")
    alternative = choice(alternative, ALTERNATIVES, "alternative")
    d0 = _check_delta0(delta0)
    sobol_n = check_int(sobol_n, "sobol_n", low=1)
    x1, n1, x2, n2 = counts(events_t, n_t, events_c, n_c)
    if method in ("chi2", "yates"):
        stat, name, p = _chi2_test(x1, n1, x2, n2, method == "yates", alternative)
    elif method == "score":
        stat, name = _score_z(x1, n1, x2, n2, d0), "z"
        p = np.where(_no_variation(x1, n1, x2, n2) & (d0 == 0.0), 1.0, _p_from_z(stat, alternative))
    else:
        one = lambda *t: _exact_test_one(*t, method, alternative)  # noqa: E731
        if method == "fisher":  # scipy per table (the all-tables pass agrees to 1e-15, not to the bit)
            res = per_distinct_table(x1, n1, x2, n2, one)
        else:  # designs with several tables in one pass of the all-tables engine (bit-identical p-values)
            from ._allp import unconditional_tests

            res = unconditional_tests(x1, n1, x2, n2, method, alternative, one)
        stat, p = res[:, 0], res[:, 1]
        name = {"fisher": "sample_or", "barnard": "z", "boschloo": "fisher_p"}[method]
    return frame(
        x1,
        n1,
        x2,
        n2,
        statistic=stat,
        statistic_name=name,
        p_value=np.minimum(p, 1.0),
        test=method,
        alternative=alternative,
    )


proportions_test.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name

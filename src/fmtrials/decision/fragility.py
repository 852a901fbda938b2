"""The fragility index of Walsh et al. (2014), its quotient and the reverse fragility index, vectorised.

References
----------
.. [1] Walsh M, Srinathan SK, McAuley DF, et al. The statistical significance of randomized controlled trial
   results is frequently fragile: a case for a Fragility Index. J Clin Epidemiol 2014;67:622-628.
.. [2] Ahmed W, Fowler RA, McCredie VA. Does sample size matter when interpreting the fragility index?
   Crit Care Med 2016;44:e1142-e1143 (the fragility quotient, index / total N).
.. [3] Khan MS, Fonarow GC, Friede T, et al. Application of the reverse fragility index to statistically
   nonsignificant randomized clinical trial results. JAMA Netw Open 2020;3:e2012469.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._validation import as_count_arrays, check_alpha

__all__ = ["FRAGILITY_COLUMNS", "fisher_p", "fragility_index"]

#: the columns :func:`fragility_index` adds to the four counts
FRAGILITY_COLUMNS = (
    "p_value",
    "significant",
    "direction",
    "arm_modified",
    "fragility_index",
    "fragility_quotient",
    "p_after",
    "alpha",
    "test",
)

#: a p-value within this relative distance of alpha counts as equal to alpha (not significant): floating-point
#: sums cannot decide a tie such as 1/20 = 0.05
_TIE = 1e-9
#: R fisher.test's relative tolerance: tables whose probability is within this factor of the observed one count
#: as "no more probable" (scipy uses the same rule)
_REL = 1 + 1e-7


def _log_choose(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


def fisher_p(events_t: Any, n_t: Any, events_c: Any, n_c: Any) -> np.ndarray:
    """Two-sided Fisher exact p-values of many 2x2 tables at once (as R ``fisher.test`` and scipy).

    The p-value sums the hypergeometric probabilities of the tables with the observed margins that are no
    more probable than the observed table (relative tolerance 1e-7). One array operation over tables x
    support; counts are assumed already validated.

    Examples
    --------
    >>> fisher_p([15, 8], [40, 10], [6, 1], [40, 6]).round(8).tolist()
    [0.04060921, 0.03496503]
    """
    x1, n1, x2, n2 = (np.atleast_1d(np.asarray(v, dtype=np.int64)) for v in (events_t, n_t, events_c, n_c))
    m = x1 + x2
    lo = np.maximum(0, m - n2)
    hi = np.minimum(n1, m)
    width = int((hi - lo).max(initial=0)) + 1
    out = np.empty(x1.shape, dtype=float)
    # chunks keep the tables x support array near 4 million cells
    step = max(1, 4_000_000 // width)
    for s in range(0, x1.size, step):
        sl = slice(s, s + step)
        k = lo[sl, None] + np.arange(width)[None, :]
        ok = k <= hi[sl, None]
        kk = np.where(ok, k, lo[sl, None])
        logp = (
            _log_choose(n1[sl, None], kk)
            + _log_choose(n2[sl, None], m[sl, None] - kk)
            - _log_choose((n1 + n2)[sl, None], m[sl, None])
        )
        logp_obs = _log_choose(n1[sl], x1[sl]) + _log_choose(n2[sl], x2[sl]) - _log_choose(n1[sl] + n2[sl], m[sl])
        keep = ok & (logp <= logp_obs[:, None] + np.log(_REL))
        # normalise by the largest term to stay exact in relative terms
        top = np.where(ok, logp, -np.inf).max(axis=1, keepdims=True)
        num = np.where(keep, np.exp(logp - top), 0.0).sum(axis=1)
        den = np.where(ok, np.exp(logp - top), 0.0).sum(axis=1)
        out[sl] = np.minimum(1.0, num / den)
    return out


def _below(p: np.ndarray, alpha: float) -> np.ndarray:
    """p < alpha, a p-value within a relative 1e-9 of alpha counting as alpha."""
    return p < alpha * (1 - _TIE)


def _walk(x1, n1, x2, n2, alpha, to_treatment, significant) -> tuple[np.ndarray, np.ndarray]:
    """Move events one patient at a time in the chosen arm until significance flips (all tables at once).

    A significant table gains events in the chosen arm until p >= alpha; a non-significant one until
    p < alpha. Returns (steps, p after), NaN where the arm fills up (or empties) first.
    """
    steps = np.full(x1.shape, np.nan)
    p_after = np.full(x1.shape, np.nan)
    a1, a2 = x1.copy(), x2.copy()
    active = np.ones(x1.shape, dtype=bool)
    k = 0
    while active.any():
        k += 1
        i = np.nonzero(active)[0]
        a1[i] += to_treatment[i]
        a2[i] += ~to_treatment[i]
        room = np.where(to_treatment[i], a1[i] <= n1[i], a2[i] <= n2[i])
        p = np.full(i.shape, np.nan)
        p[room] = fisher_p(a1[i][room], n1[i][room], a2[i][room], n2[i][room])
        flipped = room & np.where(significant[i], ~_below(p, alpha), _below(p, alpha))
        steps[i[flipped]] = k
        p_after[i[flipped]] = p[flipped]
        active[i[flipped | ~room]] = False
    return steps, p_after


def fragility_index(events_t: Any, n_t: Any, events_c: Any, n_c: Any, *, alpha: float = 0.05) -> pd.DataFrame:
    """Fragility index (Walsh et al. 2014), fragility quotient and reverse fragility index of 2x2 tables.

    The rules, with Fisher's exact two-sided test throughout:

    * **significant** table (p < ``alpha``): events are added to the arm with the **lower event proportion**
      (ties: fewer events, then control), one patient at a time (a non-event becomes an event), until
      p >= ``alpha``; the number of patients changed is the fragility index (``direction="fragility"``).
      This is Walsh's "arm with fewer events" whenever that arm also has the lower proportion (always with
      equal arms); when arm sizes differ so much that the arm with fewer events has the higher proportion,
      Walsh's literal rule would move away from the null and never end, so the lower-proportion arm is used;
    * **non-significant** table: events are added to the arm with the **higher event proportion** (ties:
      treatment), one patient at a time, until p < ``alpha``: the reverse fragility index
      (``direction="reverse"``; Khan et al. 2020 count the fewest changes in either arm, this one-arm rule
      can give a larger number);
    * ``fragility_quotient`` = index / (n_t + n_c);
    * a p-value within a relative 1e-9 of ``alpha`` counts as equal to it (not significant): a sum of
      floating-point probabilities cannot decide a tie such as 1/20 = 0.05;
    * NaN when the arm fills up before a non-significant table turns significant; a table in which nobody or
      everybody had the event has p = 1 and is walked like any other.

    Parameters
    ----------
    events_t, n_t, events_c, n_c : int or array-like
        Counts (broadcast); treatment first.
    alpha : float
        Significance level (two-sided), in (0, 1).

    Returns
    -------
    pandas.DataFrame
        ``events_t, n_t, events_c, n_c`` and :data:`FRAGILITY_COLUMNS`: ``p_value`` (Fisher, observed table),
        ``significant``, ``direction`` (``"fragility"`` or ``"reverse"``), ``arm_modified`` (``"treatment"``
        or ``"control"``), ``fragility_index``, ``fragility_quotient``, ``p_after`` (Fisher p of the
        modified table), ``alpha``, ``test`` (``"fisher"``).

    Examples
    --------
    The example of the R ``fragilityindex`` README: 15/40 vs 6/40 has p = 0.0406, 15/40 vs 7/40 p = 0.0784.

    >>> from fmtrials import fragility_index
    >>> fragility_index(15, 40, 6, 40)[["p_value", "fragility_index", "p_after", "arm_modified"]].round(4)
       p_value  fragility_index  p_after arm_modified
    0   0.0406              1.0   0.0784      control
    """
    x1, n1, x2, n2 = as_count_arrays(events_t, n_t, events_c, n_c)
    x1, n1, x2, n2 = (v.ravel() for v in (x1, n1, x2, n2))
    alpha = check_alpha(alpha)
    p = fisher_p(x1, n1, x2, n2)
    significant = _below(p, alpha)
    prop1, prop2 = x1 / n1, x2 / n2
    lower_t = (prop1 < prop2) | ((prop1 == prop2) & (x1 < x2))
    higher_t = prop1 >= prop2
    to_treatment = np.where(significant, lower_t, higher_t)
    steps, p_after = _walk(x1, n1, x2, n2, alpha, to_treatment, significant)
    return pd.DataFrame(
        {
            "events_t": x1,
            "n_t": n1,
            "events_c": x2,
            "n_c": n2,
            "p_value": p,
            "significant": significant,
            "direction": np.where(significant, "fragility", "reverse"),
            "arm_modified": np.where(to_treatment, "treatment", "control"),
            "fragility_index": steps,
            "fragility_quotient": steps / (n1 + n2),
            "p_after": p_after,
            "alpha": alpha,
            "test": "fisher",
        }
    )

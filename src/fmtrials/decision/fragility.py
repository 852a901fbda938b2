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

__all__ = ["FRAGILITY_COLUMNS", "MAX_ARM", "fisher_p", "fragility_index"]

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


#: a support wider than this is cut to where the probabilities are not negligible (see :func:`_window`)
_WIDE = 10_000
#: a term whose log-probability is this far below the largest one underflows to 0 in the sum anyway
_NEGLIGIBLE = 760.0


def _window(n1, n2, m, lo, hi):
    """The part of each table's support where a term can count: the hypergeometric mode +- 40 standard
    deviations (+ 50), checked at both ends to lie more than :data:`_NEGLIGIBLE` below the mode's
    log-probability (else the whole support is kept), so the sum is the same while a table of a million
    patients costs a few thousand terms instead of a million. Supports up to :data:`_WIDE` are kept whole."""
    wide = (hi - lo) > _WIDE
    if not wide.any():
        return lo, hi
    n = (n1 + n2).astype(float)
    mode = np.clip(np.floor((m + 1.0) * (n1 + 1.0) / (n + 2.0)).astype(np.int64), lo, hi)
    sd = np.sqrt(m * (n1 / n) * (n2 / n) * (n - m) / np.maximum(n - 1.0, 1.0))
    h = np.ceil(40.0 * sd).astype(np.int64) + 50
    wlo, whi = np.maximum(lo, mode - h), np.minimum(hi, mode + h)

    def logp(k):
        return _log_choose(n1, k) + _log_choose(n2, m - k)

    top = logp(mode)
    ok = ((wlo == lo) | (logp(wlo) < top - _NEGLIGIBLE)) & ((whi == hi) | (logp(whi) < top - _NEGLIGIBLE))
    use = wide & ok
    return np.where(use, wlo, lo), np.where(use, whi, hi)


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
    lo, hi = _window(n1, n2, m, np.maximum(0, m - n2), np.minimum(n1, m))
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


#: the largest arm :func:`fragility_index` accepts: each Fisher p-value costs one pass over the table's support
#: (at most ``n + 1`` terms) and the search evaluates about ``2 log2(n)`` of them per table
MAX_ARM = 1_000_000
#: the most support terms (tables x arm size) one call may evaluate per search step
MAX_CELLS = 50_000_000


def _flips(x1, n1, x2, n2, k, alpha, to_treatment, significant) -> np.ndarray:
    """Whether moving ``k`` patients (per table) into events in the chosen arm flips significance."""
    a1 = x1 + np.where(to_treatment, k, 0)
    a2 = x2 + np.where(to_treatment, 0, k)
    p = fisher_p(a1, n1, a2, n2)
    return np.where(significant, ~_below(p, alpha), _below(p, alpha))


def _check_size(n1: np.ndarray, n2: np.ndarray) -> None:
    """DataError naming the argument when a table is beyond the supported size (see :func:`fragility_index`)."""
    from .._validation import ARGUMENTS
    from ..errors import DataError, Problem

    for name, n in (("n_t", n1), ("n_c", n2)):
        if n.size and int(n.max()) > MAX_ARM:
            raise DataError(
                Problem(
                    f"an arm of {int(n.max()):,} patients: the fragility index is computed for arms of at most "
                    f"{MAX_ARM:,} (each Fisher p-value sums over the whole arm)",
                    file=ARGUMENTS,
                    column=name,
                )
            )
    cells = int(n1.size) * int(max(int(n1.max(initial=0)), int(n2.max(initial=0))) + 1)
    if cells > MAX_CELLS:
        raise DataError(
            Problem(
                f"{n1.size:,} tables with arms up to {int(max(n1.max(), n2.max())):,}: more than {MAX_CELLS:,} Fisher "
                "terms per step; pass fewer tables at once",
                file=ARGUMENTS,
                column="n_t",
            )
        )


def _search(x1, n1, x2, n2, alpha, to_treatment, significant) -> tuple[np.ndarray, np.ndarray]:
    """The fewest patients whose change flips significance (all tables at once), by bisection.

    Along the walked direction the two-sided Fisher p-value is monotone: a significant table moves towards
    equal proportions (p rises, up to the point where the proportions cross), a non-significant one away from
    it (p falls). So the first flip is found by bisection on the number of patients moved, in ``[1, top]``:
    ``top`` is the arm's room (the whole arm fills), and for a significant table at most the first count at
    which the proportions have crossed (one further step allowed for the discreteness). Returns (steps,
    p after), NaN where no flip happens before ``top``.
    """
    room = np.where(to_treatment, n1 - x1, n2 - x2)
    top = room.copy()
    # a significant table: the first k at which the moved arm's proportion reaches the other's, plus one
    moved_x, moved_n = np.where(to_treatment, x1, x2), np.where(to_treatment, n1, n2)
    other_x, other_n = np.where(to_treatment, x2, x1), np.where(to_treatment, n2, n1)
    cross = -((-(other_x * moved_n - moved_x * other_n)) // np.maximum(other_n, 1))  # ceil, exact in integers
    top = np.where(significant, np.minimum(room, np.maximum(cross, 1) + 1), room)
    steps = np.full(x1.shape, np.nan)
    p_after = np.full(x1.shape, np.nan)
    has = (top >= 1) & _flips(x1, n1, x2, n2, np.maximum(top, 0), alpha, to_treatment, significant)
    if significant.any():  # the p-value peaks around the crossing: take the earliest of the last two steps
        alt = (
            significant & (top >= 2) & _flips(x1, n1, x2, n2, np.maximum(top - 1, 0), alpha, to_treatment, significant)
        )
        top = np.where(alt, top - 1, top)
        has = has | alt
    lo = np.zeros(x1.shape, dtype=np.int64)  # invariant: no flip at lo (0: the observed table), a flip at hi
    hi = np.where(has, top, 0).astype(np.int64)
    while True:
        open_ = has & (hi - lo > 1)
        if not open_.any():
            break
        mid = (lo + hi) // 2
        f = _flips(
            x1[open_], n1[open_], x2[open_], n2[open_], mid[open_], alpha, to_treatment[open_], significant[open_]
        )
        idx = np.nonzero(open_)[0]
        hi[idx[f]] = mid[idx[f]]
        lo[idx[~f]] = mid[idx[~f]]
    steps[has] = hi[has]
    if has.any():
        a1 = x1[has] + np.where(to_treatment[has], hi[has], 0)
        a2 = x2[has] + np.where(to_treatment[has], 0, hi[has])
        p_after[has] = fisher_p(a1, n1[has], a2, n2[has])
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
      everybody had the event has p = 1 and is walked like any other;
    * the fewest patients is found by bisection on the number moved (the Fisher p-value is monotone along the
      walk), about ``2 log2(n)`` Fisher p-values per table instead of one per patient.

    Supported size: arms of at most :data:`MAX_ARM` (1,000,000) patients, and at most :data:`MAX_CELLS`
    (5e7) support terms in all (tables x largest arm); beyond, a DataError is raised before any work.

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
    _check_size(n1, n2)
    p = fisher_p(x1, n1, x2, n2)
    significant = _below(p, alpha)
    prop1, prop2 = x1 / n1, x2 / n2
    lower_t = (prop1 < prop2) | ((prop1 == prop2) & (x1 < x2))
    higher_t = prop1 >= prop2
    to_treatment = np.where(significant, lower_t, higher_t)
    steps, p_after = _search(x1, n1, x2, n2, alpha, to_treatment, significant)
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

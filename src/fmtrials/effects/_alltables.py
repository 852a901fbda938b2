"""The all-tables engine of exact power: which of the (n_t + 1)(n_c + 1) tables of a design a test rejects.

A design is a pair of arm sizes (n1, n2). For the vectorised tests (``chi2``, ``yates``, ``score``) the p-value
of every table comes from :func:`fmtrials.effects.proportions_test` in one call; Fisher's two-sided p-value of
every table is summed margin by margin (the tables of one margin ``m = x1 + x2`` no more probable than the
observed one, relative tolerance 1e-14, as scipy ``fisher_exact``).

For Barnard and Boschloo each table's p-value is the supremum over the common rate of the probability of its
tail, the tables at least as extreme under the test's ordering (the pooled z for Barnard, the one-sided Fisher
p-value for Boschloo, with the tie tolerance of :func:`proportions_test`). The tails are nested along the
ordering, so the p-value is non-decreasing along it and the rejection region ``p <= alpha`` is a prefix of the
ordered tables: it is found by a search along the ordering in which every step computes one supremum with the
engine of :mod:`fmtrials.effects._unconditional` (grid in the variance-stabilising angle, then local zooms),
the same computation ``proportions_test`` makes for that table. The search starts from an upper bound of the
prefix read from the cumulated probabilities of all tables at a few common rates (a lower bound of every
p-value at once), then gallops down and bisects. A two-sided Boschloo test rejects where either one-sided
p-value is at most alpha / 2 (its p-value is twice the smaller one).

Tables in which nobody or everybody had the event are never rejected (p = 1 for every test).

Memory: about 100 bytes per table, 100 (n_t + 1)(n_c + 1) bytes (100 MB at 1000 per arm); designs above
:data:`MAX_TABLES` tables are refused before any work.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._unconditional import binom_pmf, row_runs, sup_tail

__all__ = ["MAX_TABLES", "rejection_region"]

#: the most tables (n_t + 1)(n_c + 1) of one design (1000 patients per arm, about 100 MB)
MAX_TABLES = 1_002_001
#: relative tie tolerances, as in :mod:`fmtrials.effects.tests` (unconditional) and scipy ``fisher_exact``
_TIE_RTOL = 1e-13
_FISHER_RTOL = 1e-14
#: common rates at which all tables' tail probabilities are cumulated to bound the prefix from above
_PROBE_RATES = np.array([0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98])


def _grid(n1: int, n2: int) -> tuple[np.ndarray, np.ndarray]:
    x1 = np.repeat(np.arange(n1 + 1), n2 + 1)
    x2 = np.tile(np.arange(n2 + 1), n1 + 1)
    return x1, x2


def _no_variation(n1: int, n2: int) -> np.ndarray:
    x1, x2 = _grid(n1, n2)
    return ((x1 + x2 == 0) | (x1 + x2 == n1 + n2)).reshape(n1 + 1, n2 + 1)


def _fisher_two_sided(n1: int, n2: int) -> np.ndarray:
    """Fisher's two-sided p-value of every table, shape (n1 + 1, n2 + 1)."""
    from .tests import _log_comb

    out = np.ones((n1 + 1, n2 + 1))
    lc1, lc2, lcn = _log_comb(n1), _log_comb(n2), _log_comb(n1 + n2)
    for m in range(1, n1 + n2):
        k = np.arange(max(0, m - n2), min(n1, m) + 1)
        pmf = np.exp(lc1[k] + lc2[m - k] - lcn[m])
        order = np.sort(pmf)
        cum = np.cumsum(order)
        idx = np.searchsorted(order, pmf * (1.0 + _FISHER_RTOL), side="right")
        out[k, m - k] = np.minimum(cum[idx - 1], 1.0)
    return out


def _vectorised_p(n1: int, n2: int, test: str, alternative: str) -> np.ndarray:
    from .tests import proportions_test

    x1, x2 = _grid(n1, n2)
    res = proportions_test(x1, n1, x2, n2, test=test, alternative=alternative)  # type: ignore[arg-type]
    return res["p_value"].to_numpy().reshape(n1 + 1, n2 + 1)


def _prefix_region(key: np.ndarray, tol: np.ndarray, n1: int, n2: int, alpha: float, exclude: np.ndarray) -> np.ndarray:
    """Tables rejected at ``alpha`` when each table's tail is {key >= own key - own tol} (key: larger = more extreme).

    p(table) = sup over the common rate of P(tail); non-decreasing as the key falls. Returns a boolean matrix.
    """
    flat = key.ravel()
    order = np.argsort(-flat, kind="stable")
    sorted_key = flat[order]
    thr = sorted_key - tol.ravel()[order]
    # tables in the tail of the i-th ordered table: the first count[i] of the ordering
    count = np.searchsorted(-sorted_key, -thr, side="right")
    valid = ~exclude.ravel()[order]

    def p_at(i: int) -> float:
        mask = np.zeros(flat.size, dtype=bool)
        mask[order[: count[i]]] = True
        tail = mask.reshape(n1 + 1, n2 + 1)
        if tail.all():
            return 1.0
        return sup_tail(*row_runs(tail), n1, n2)

    # lower bound of every p-value: the tail probability at a few common rates, cumulated along the ordering
    b1 = binom_pmf(n1, _PROBE_RATES)
    b2 = binom_pmf(n2, _PROBE_RATES)
    x1, x2 = _grid(n1, n2)
    low = np.zeros(flat.size)
    for g in range(_PROBE_RATES.size):
        cum = np.cumsum((b1[g][x1] * b2[g][x2])[order])
        low = np.maximum(low, cum[count - 1])
    candidates = np.nonzero(valid & (low <= alpha))[0]
    region = np.zeros(flat.size, dtype=bool)
    if candidates.size == 0:
        return region.reshape(n1 + 1, n2 + 1)
    hi = int(candidates[-1])  # no later table can be rejected (its lower bound exceeds alpha)
    if p_at(hi) <= alpha:
        best = hi
    else:
        # gallop down from hi, then bisect between the last failure and the first success
        step, fail, ok = 1, hi, -1
        while True:
            j = hi - step
            if j < 0:
                break
            if p_at(j) <= alpha:
                ok = j
                break
            fail, step = j, 2 * step
        if ok < 0 and p_at(0) > alpha:
            return region.reshape(n1 + 1, n2 + 1)
        ok = max(ok, 0)
        while fail - ok > 1:
            mid = (ok + fail) // 2
            if p_at(mid) <= alpha:
                ok = mid
            else:
                fail = mid
        best = ok
    # the sup at a probe rate may exceed the grid-and-zoom supremum by rounding: make sure the next table fails
    while best + 1 < flat.size and valid[best + 1] and p_at(best + 1) <= alpha:
        best += 1
    # every table ordered up to best has p <= p(best); tables with the same key share its p-value
    rejected = np.zeros(flat.size, dtype=bool)
    rejected[order] = sorted_key >= sorted_key[best]
    region = rejected & ~exclude.ravel()
    return region.reshape(n1 + 1, n2 + 1)


def _barnard_region(n1: int, n2: int, alternative: str, alpha: float) -> np.ndarray:
    from .tests import _barnard_z

    zs = _barnard_z(n1, n2)
    key = {"two-sided": np.abs(zs), "greater": zs, "less": -zs}[alternative]
    return _prefix_region(key, _TIE_RTOL * np.abs(zs), n1, n2, alpha, _no_variation(n1, n2))


def _boschloo_region(n1: int, n2: int, alternative: str, alpha: float) -> np.ndarray:
    from .tests import _fisher_one_sided

    sides = ("less", "greater") if alternative == "two-sided" else (alternative,)
    level = alpha / 2.0 if alternative == "two-sided" else alpha
    region = np.zeros((n1 + 1, n2 + 1), dtype=bool)
    exclude = _no_variation(n1, n2)
    for side in sides:
        fp = _fisher_one_sided(n1, n2, upper=side == "greater")
        # tail {fp <= fp_obs (1 + tol)}: the key -fp with tolerance tol * fp
        region |= _prefix_region(-fp, _TIE_RTOL * fp, n1, n2, level, exclude)
    return region


@lru_cache(maxsize=64)
def rejection_region(n1: int, n2: int, test: str, alternative: str, alpha: float) -> np.ndarray:
    """Boolean matrix (x_t rows 0..n1, x_c columns 0..n2): the tables ``test`` rejects at level ``alpha``.

    Equal to ``proportions_test(x_t, n1, x_c, n2, test=test, alternative=alternative)["p_value"] <= alpha`` for
    every table (``delta0 = 0``). Read-only (cached).
    """
    if test == "barnard":
        region = _barnard_region(n1, n2, alternative, alpha)
    elif test == "boschloo":
        region = _boschloo_region(n1, n2, alternative, alpha)
    else:
        p = _fisher_two_sided(n1, n2) if test == "fisher" and alternative == "two-sided" else None
        if p is None:
            p = (
                _vectorised_p(n1, n2, test, alternative)
                if test != "fisher"
                else _fisher_one_sided_p(n1, n2, alternative)
            )
        region = (p <= alpha) & ~_no_variation(n1, n2)
    region.setflags(write=False)
    return region


def _fisher_one_sided_p(n1: int, n2: int, alternative: str) -> np.ndarray:
    from .tests import _fisher_one_sided

    return np.minimum(_fisher_one_sided(n1, n2, upper=alternative == "greater"), 1.0)

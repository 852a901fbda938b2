"""The all-tables engine of exact power: which of the (n_t + 1)(n_c + 1) tables of a design a test rejects.

A design is a pair of arm sizes (n1, n2). For the vectorised tests (``chi2``, ``yates``, ``score``) the
statistic of every table is computed at once and the p-value (by the functions :func:`proportions_test` uses)
only for the tables near the critical value; the others are decided by the statistic. Fisher's two-sided
region: the tables of each margin ``m = x1 + x2`` laid out in a row, sorted by probability and cumulated, a
table rejected when the tables no more probable than it (relative tolerance 1e-14, as scipy ``fisher_exact``)
sum to at most alpha; every table's p-value is :func:`_fisher_two_sided` (bit-identical to summing margin by
margin).

For Barnard and Boschloo each table's p-value is the supremum over the common rate of the probability of its
tail, the tables at least as extreme under the test's ordering (the pooled z for Barnard, the one-sided Fisher
p-value for Boschloo, with the tie tolerance of :func:`proportions_test`). The tails are nested along the
ordering, so the p-value is non-decreasing along it and the rejection region ``p <= alpha`` is a prefix of the
ordered tables: it is found by a search along the ordering in which every step computes one supremum with the
engine of :mod:`fmtrials.effects._unconditional` (grid in the variance-stabilising angle, then local zooms),
the same computation ``proportions_test`` makes for that table. A two-sided Boschloo test rejects where either
one-sided p-value is at most alpha / 2 (its p-value is twice the smaller one).

* Cold start (the first design of a test, side and level in the process): the search starts from an upper bound
  of the prefix read from the cumulated probabilities of all tables at a few common rates (a lower bound of
  every p-value at once), then gallops down and bisects.
* Warm start (a later design, e.g. the next n of a sample-size search): the critical statistic of the last
  design searched is the start; only the few thousand tables whose statistic is nearest it are ordered (all of
  them if the boundary lies outside), and the search gallops out from there and bisects. A table whose tail
  probability at 63 common rates already exceeds alpha (1 + 1e-6) is not rejected without computing its
  supremum (that value is a lower bound of the supremum; the engine's supremum is far more accurate than 1e-6).
  The region is the same as from a cold start (tests/test_power_fast.py).
* :func:`region_bounds`: an inner and an outer bound of the region, at two efforts (no supremum at all; one on
  each side of the warm start), from which :func:`fmtrials.sample_size` decides most n without the region.

Tables in which nobody or everybody had the event are never rejected (p = 1 for every test).

Memory: about 100 bytes per table while a region is searched, 100 (n_t + 1)(n_c + 1) bytes (100 MB at 1000 per
arm); designs above :data:`MAX_TABLES` tables are refused before any work. Cached per process: up to 256
regions and 128 pairs of bounds (one byte per table each: 17 MB and 17 MB at 260 per arm, 1 MB per region at
1000 per arm) and the row runs of 256 regions (a few kB each); :func:`clear_caches` frees them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._unconditional import binom_pmf, row_runs, sup_tail, tail_prob

__all__ = ["MAX_TABLES", "rejection_region", "region_bounds", "region_runs"]

#: the most tables (n_t + 1)(n_c + 1) of one design (1000 patients per arm, about 100 MB)
MAX_TABLES = 1_002_001
#: relative tie tolerances, as in :mod:`fmtrials.effects.tests` (unconditional) and scipy ``fisher_exact``
_TIE_RTOL = 1e-13
_FISHER_RTOL = 1e-14
#: common rates at which all tables' tail probabilities are cumulated to bound the prefix from above
_PROBE_RATES = np.array([0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98])
#: common rates of the quick lower bound of a supremum (:meth:`_Prefix._test`)
_QUICK_RATES = np.sin(np.linspace(0.0, 1.0, 65)[1:-1] * np.pi / 2.0) ** 2
#: critical statistic of the last design searched, per (test, side, alpha): the warm start of the next search
_HINTS: dict[tuple, float] = {}
#: tables between the warm start and the first certified table on its other side
_BRACKET = 4
#: tables ordered around the warm start (the boundary of a neighbouring design is rarely further away)
_BAND = 4000
#: prefix searches kept (the last designs), see :func:`_searches`
_KEEP_SEARCHES = 4
_SEARCHES: dict[tuple, list] = {}


def _grid(n1: int, n2: int) -> tuple[np.ndarray, np.ndarray]:
    x1 = np.repeat(np.arange(n1 + 1), n2 + 1)
    x2 = np.tile(np.arange(n2 + 1), n1 + 1)
    return x1, x2


def _no_variation(n1: int, n2: int) -> np.ndarray:
    x1, x2 = _grid(n1, n2)
    return ((x1 + x2 == 0) | (x1 + x2 == n1 + n2)).reshape(n1 + 1, n2 + 1)


def _fisher_margins(n1: int, n2: int):
    """Every table's hypergeometric probability, the tables of each margin m = x1 + x2 laid out in a row and
    sorted by probability (the padding zeros sort first and add exactly nothing to the cumulated sums)."""
    from ._statistics import _log_comb

    x1, x2 = _grid(n1, n2)
    m = x1 + x2
    lc1, lc2, lcn = _log_comb(n1), _log_comb(n2), _log_comb(n1 + n2)
    pmf = np.exp(lc1[x1] + lc2[x2] - lcn[m])
    by_margin = np.zeros((n1 + n2 + 1, n1 + 1))
    by_margin[m, x1] = pmf
    srt = np.sort(by_margin, axis=1)
    return m, pmf * (1.0 + _FISHER_RTOL), srt, np.cumsum(srt, axis=1)


def _fisher_two_sided_region(n1: int, n2: int, alpha: float) -> np.ndarray:
    """``_fisher_two_sided(n1, n2) <= alpha`` without the p-values: in each margin the tables whose cumulated sum
    of the no more probable ones is at most alpha are the first k_m of the sorted row, so a table is rejected
    when the (k_m + 1)-th smallest probability of its margin exceeds its own (with the tie tolerance)."""
    m, query, srt, cum = _fisher_margins(n1, n2)
    k = (cum <= alpha).sum(axis=1)
    width = srt.shape[1]
    region = (k[m] == width) | (srt[m, np.minimum(k[m], width - 1)] > query)
    return region.reshape(n1 + 1, n2 + 1) & ~_no_variation(n1, n2)


def _fisher_two_sided(n1: int, n2: int) -> np.ndarray:
    """Fisher's two-sided p-value of every table, shape (n1 + 1, n2 + 1).

    The tables of one margin m = x1 + x2 laid out in a row, sorted by probability and cumulated (the padding
    zeros sort first and add exactly nothing); each table's count of tables no more probable is found by a
    bisection run on all rows at once.
    """
    m, query, srt, cum = _fisher_margins(n1, n2)
    width = srt.shape[1]
    # idx = number of entries of row m that are <= pmf (1 + tol), as searchsorted(side="right") per row
    lo = np.zeros(m.size, dtype=np.int64)
    hi = np.full(m.size, width, dtype=np.int64)
    while (lo < hi).any():
        mid = (lo + hi) // 2
        go = (srt[m, np.minimum(mid, width - 1)] <= query) & (lo < hi)
        lo = np.where(go, mid + 1, lo)
        hi = np.where(go | (lo >= hi), hi, mid)
    out = np.minimum(cum[m, lo - 1], 1.0).reshape(n1 + 1, n2 + 1)
    out[_no_variation(n1, n2)] = 1.0
    return out


def _vectorised_p(n1: int, n2: int, test: str, alternative: str) -> np.ndarray:
    """p-values of every table for chi2, yates and score, by the functions :func:`proportions_test` calls."""
    x1, x2 = _grid(n1, n2)
    return _vectorised_p_at(x1, n1, x2, n2, test, alternative).reshape(n1 + 1, n2 + 1)


def _vectorised_region(n1: int, n2: int, test: str, alternative: str, alpha: float) -> np.ndarray:
    """``p <= alpha`` for chi2, yates and score, the p-value evaluated only near the critical statistic.

    p is a decreasing function of the statistic s (chi-square, |z| or the signed z); tables with s clearly above
    or below the critical value are decided by it, the others get the p-value :func:`proportions_test` gives.
    """
    from scipy import stats

    from ._statistics import _chi2_stats, _score_z

    x1, x2 = _grid(n1, n2)
    if test in ("chi2", "yates"):
        chi2, z, _ = _chi2_stats(x1, n1, x2, n2, yates=test == "yates")
    else:
        z = _score_z(x1, n1, x2, n2, 0.0)
    if test != "score" and alternative == "two-sided":
        stat, crit = chi2, float(stats.chi2.isf(alpha, 1))
    else:
        stat = {"two-sided": np.abs(z), "greater": z, "less": -z}[alternative]
        crit = float(stats.norm.isf(alpha / 2.0 if alternative == "two-sided" else alpha))
    band = np.abs(stat - crit) <= 0.05 * abs(crit) + 1e-6
    region = stat > crit
    near = np.nonzero(band)[0]
    if near.size:
        region[near] = _vectorised_p_at(x1[near], n1, x2[near], n2, test, alternative) <= alpha
    return region.reshape(n1 + 1, n2 + 1) & ~_no_variation(n1, n2)


def _vectorised_p_at(x1, n1: int, x2, n2: int, test: str, alternative: str) -> np.ndarray:
    from ._statistics import _chi2_test, _p_from_z, _score_z
    from ._statistics import _no_variation as no_variation

    if test in ("chi2", "yates"):
        p = _chi2_test(x1, n1, x2, n2, test == "yates", alternative)[2]
    else:
        p = np.where(no_variation(x1, n1, x2, n2), 1.0, _p_from_z(_score_z(x1, n1, x2, n2, 0.0), alternative))
    return np.minimum(p, 1.0)


class _Prefix:
    """The rejection region of one prefix test, tables rejected at ``alpha`` when each table's tail is
    {key >= own key - own tol} (key: larger = more extreme): p(table) = sup over the common rate of P(tail),
    non-decreasing along the ordering, so the region is the prefix up to the last table with p <= alpha.

    ``ok`` (p <= alpha) and ``fail`` (p > alpha) are the certified ends of the search: the prefix up to ``ok`` is
    rejected, nothing from ``fail`` on is (:meth:`inner`, :meth:`outer`); :meth:`finish` bisects between them.
    """

    def __init__(self, key, tol, n1: int, n2: int, alpha: float, exclude: np.ndarray, hint: tuple | None) -> None:
        self.flat, self.tolf = key.ravel(), tol.ravel()
        self.n1, self.n2, self.alpha, self.hint = n1, n2, alpha, hint
        self.exclude = exclude.ravel()
        self.centre = _HINTS.get(hint) if hint is not None else None
        if self.centre is not None:
            self._order(self.centre, _BAND)  # searched lazily: quick_outer, bracket, finish
        else:
            self._order(0.0, None)
            valid = ~self.exclude[self.order]
            self.ok = _cold_search(self.p_at, self.sorted_key, self.thr, valid, n1, n2, alpha, self.order)
            self.fail = self.ok + 1
            self._remember()

    def _start(self) -> int:
        size = self.sorted_key.size
        centre = float(self.centre)  # type: ignore[arg-type]  # only called on a warm start
        return min(max(int(np.searchsorted(-self.sorted_key, -centre, side="right")) - 1, 0), size - 1)

    def _whole(self) -> None:
        """The band ran out: order all tables, keeping what is certified (as key values)."""
        ok_key = self.sorted_key[self.ok] if self.ok >= 0 else None
        fail_key = self.sorted_key[self.fail] if self.fail < self.sorted_key.size else None
        self._order(0.0, None)
        if ok_key is not None:
            self.ok = int(np.searchsorted(-self.sorted_key, -ok_key, side="right")) - 1
        if fail_key is not None:
            self.fail = int(np.searchsorted(-self.sorted_key, -fail_key, side="left"))

    def quick_outer(self) -> np.ndarray:
        """The outer bound from the cheap test alone: gallop from the warm start until a table's tail
        probability at the quick rates is clearly above alpha (no supremum computed)."""
        size = self.sorted_key.size
        if self.fail == size and self.centre is not None:
            i, step = self._start(), _BRACKET
            while self.fail == size:
                if i > self.ok and self._quick_fail(i):
                    break
                if i >= size - 1:
                    if not self.open_bottom:
                        break
                    self._whole()
                    size = self.sorted_key.size
                    i = self._start()
                    continue
                i, step = min(i + step, size - 1), 2 * step
        return self.outer()

    def _quick_fail(self, i: int) -> bool:
        tail = self._tail(i)
        if tail.all():
            return False
        # the tail probability at a few common rates is a lower bound of the supremum; clearly above alpha,
        # the table is not rejected whatever the supremum's last digits
        low = tail_prob(*row_runs(tail), self.n1, self.n2, _QUICK_RATES, _QUICK_RATES).max()
        if low > self.alpha * (1.0 + 1e-6):
            self.fail = min(self.fail, i)
            return True
        return False

    def _order(self, centre: float, band: int | None) -> bool:
        """Order the tables (or only the ``band`` tables whose key is nearest ``centre``, with their ties);
        False when that would be all tables anyway."""
        flat = self.flat
        if band is None or band >= flat.size:
            sel = np.arange(flat.size)
            self.open_top = self.open_bottom = False
        else:
            near = np.argpartition(np.abs(flat - centre), band - 1)[:band]
            low, high = flat[near].min(), flat[near].max()
            sel = np.nonzero((flat >= low) & (flat <= high))[0]
            self.open_top, self.open_bottom = bool(high < flat.max()), bool(low > flat.min())
        self.order = sel[np.argsort(-flat[sel], kind="stable")]
        self.sorted_key = flat[self.order]
        self.thr = self.sorted_key - self.tolf[self.order]
        self.ok, self.fail = -1, self.order.size
        return band is not None and band < flat.size

    def _tail(self, i: int) -> np.ndarray:
        # the tail of the i-th ordered table: every table with a key at least its key less the tie tolerance
        return (self.flat >= self.thr[i]).reshape(self.n1 + 1, self.n2 + 1)

    def p_at(self, i: int) -> float:
        tail = self._tail(i)
        if tail.all():
            return 1.0
        return sup_tail(*row_runs(tail), self.n1, self.n2)

    def _test(self, i: int) -> bool:
        if i <= self.ok:
            return True
        if i >= self.fail or self._quick_fail(i):
            return False
        if p_ok := self.p_at(i) <= self.alpha:
            self.ok = max(self.ok, i)
        else:
            self.fail = min(self.fail, i)
        return p_ok

    def bracket(self) -> None:
        """Certify a table on each side of the warm start (the critical statistic of the last design searched,
        a neighbouring n in a sample-size search), galloping outwards; the whole ordering if the band runs out."""
        if self.centre is None:
            return
        while True:
            size = self.sorted_key.size
            start, step = self._start(), _BRACKET
            if self._test(start):
                while self.fail == size and self.ok < size - 1:
                    self._test(min(self.ok + step, size - 1))
                    step *= 2
            else:
                while self.ok < 0 and self.fail > 0:
                    self._test(max(self.fail - step, 0))
                    step *= 2
            if (self.ok < 0 and self.open_top) or (self.fail == size and self.open_bottom):
                self._whole()
                continue
            return

    def finish(self) -> None:
        self.bracket()
        while self.fail - self.ok > 1:
            self._test((self.ok + self.fail) // 2)
        self._remember()

    def _remember(self) -> None:
        if self.hint is not None and self.ok >= 0:
            _HINTS[self.hint] = float(self.sorted_key[self.ok])

    def _prefix(self, last: int) -> np.ndarray:
        if last < 0:
            return np.zeros((self.n1 + 1, self.n2 + 1), dtype=bool)
        # every table ordered up to last has p <= p(last); tables with the same key share its p-value
        return ((self.flat >= self.sorted_key[last]) & ~self.exclude).reshape(self.n1 + 1, self.n2 + 1)

    def inner(self) -> np.ndarray:
        return self._prefix(self.ok)

    def outer(self) -> np.ndarray:
        return self._prefix(self.fail - 1)


def _cold_search(p_at, sorted_key, thr, valid, n1: int, n2: int, alpha: float, order) -> int:
    """Index of the last rejected table of the ordering (-1: none), searched from an upper bound read from the
    lower bounds of all p-values at the probe rates."""
    # lower bound of every p-value: the tail probability at a few common rates, cumulated along the ordering
    b1 = binom_pmf(n1, _PROBE_RATES)
    b2 = binom_pmf(n2, _PROBE_RATES)
    x1, x2 = _grid(n1, n2)
    count = np.searchsorted(-sorted_key, -thr, side="right")
    low = np.zeros(sorted_key.size)
    for g in range(_PROBE_RATES.size):
        cum = np.cumsum((b1[g][x1] * b2[g][x2])[order])
        low = np.maximum(low, cum[count - 1])
    candidates = np.nonzero(valid & (low <= alpha))[0]
    if candidates.size == 0:
        return -1
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
            return -1
        ok = max(ok, 0)
        while fail - ok > 1:
            mid = (ok + fail) // 2
            if p_at(mid) <= alpha:
                ok = mid
            else:
                fail = mid
        best = ok
    # the sup at a probe rate may exceed the grid-and-zoom supremum by rounding: make sure the next table fails
    while best + 1 < sorted_key.size and valid[best + 1] and p_at(best + 1) <= alpha:
        best += 1
    return best


def _searches(n1: int, n2: int, test: str, alternative: str, alpha: float) -> list[_Prefix]:
    """The prefix searches of an unconditional test (one per side of a two-sided Boschloo test), kept for the
    last few designs so that :func:`region_bounds` and :func:`rejection_region` share them."""
    key_ = (n1, n2, test, alternative, alpha)
    if key_ in _SEARCHES:
        return _SEARCHES[key_]
    from ._statistics import _barnard_z, _fisher_one_sided

    exclude = _no_variation(n1, n2)
    if test == "barnard":
        zs = _barnard_z(n1, n2)
        key = {"two-sided": np.abs(zs), "greater": zs, "less": -zs}[alternative]
        out = [_Prefix(key, _TIE_RTOL * np.abs(zs), n1, n2, alpha, exclude, ("barnard", alternative, alpha))]
    else:
        sides = ("less", "greater") if alternative == "two-sided" else (alternative,)
        level = alpha / 2.0 if alternative == "two-sided" else alpha
        out = []
        for side in sides:
            fp = _fisher_one_sided(n1, n2, upper=side == "greater")
            # tail {fp <= fp_obs (1 + tol)}: the key -fp with tolerance tol * fp
            out.append(_Prefix(-fp, _TIE_RTOL * fp, n1, n2, level, exclude, ("boschloo", side, level)))
    _SEARCHES[key_] = out
    while len(_SEARCHES) > _KEEP_SEARCHES:
        del _SEARCHES[next(iter(_SEARCHES))]
    return out


@lru_cache(maxsize=128)
def region_bounds(
    n1: int, n2: int, test: str, alternative: str, alpha: float, effort: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """(inner, outer): boolean matrices with inner <= the rejection region <= outer, cheaper than the region.

    For Barnard and Boschloo after a neighbouring design (the warm start of a sample-size search), ``effort``
    1: no supremum computed, the outer bound from the tail probabilities at a few common rates and, for
    Boschloo, the inner one from its bound by the one-sided Fisher p-value (Boschloo's p is at most it);
    ``effort`` 2: a table certified on each side of the warm start. Otherwise both are the rejection region.
    """
    if test not in ("barnard", "boschloo"):
        region = rejection_region(n1, n2, test, alternative, alpha)
        return region, region
    searches = _searches(n1, n2, test, alternative, alpha)
    if effort == 1:
        outer = np.logical_or.reduce([s.quick_outer() for s in searches])
        inner = np.logical_or.reduce([s.inner() for s in searches])
        if test == "boschloo":  # p <= the one-sided Fisher p (1 + tie tolerance): rejected below the level
            inner |= np.logical_or.reduce([(-s.flat <= s.alpha * (1.0 - 1e-9)).reshape(inner.shape) for s in searches])
            inner &= ~_no_variation(n1, n2)
    else:
        for s in searches:
            s.bracket()
        inner = np.logical_or.reduce([s.inner() for s in searches])
        outer = np.logical_or.reduce([s.outer() for s in searches])
    inner.setflags(write=False)
    outer.setflags(write=False)
    return inner, outer


@lru_cache(maxsize=256)
def region_runs(
    n1: int, n2: int, test: str, alternative: str, alpha: float, bound: str = "exact"
) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`fmtrials.effects._unconditional.row_runs` of the rejection region (``bound="exact"``) or of the
    inner or outer bound of :func:`region_bounds`; None for an empty region. Cached: a power curve or a
    sample-size search evaluates one region at many rates."""
    if bound == "exact":
        region = rejection_region(n1, n2, test, alternative, alpha)
    else:  # "inner1", "outer1", "inner2", "outer2": the bounds of that effort
        region = region_bounds(n1, n2, test, alternative, alpha, int(bound[-1]))[0 if bound[0] == "i" else 1]
    return row_runs(region) if region.any() else None


@lru_cache(maxsize=256)
def rejection_region(n1: int, n2: int, test: str, alternative: str, alpha: float) -> np.ndarray:
    """Boolean matrix (x_t rows 0..n1, x_c columns 0..n2): the tables ``test`` rejects at level ``alpha``.

    Equal to ``proportions_test(x_t, n1, x_c, n2, test=test, alternative=alternative)["p_value"] <= alpha`` for
    every table (``delta0 = 0``). Read-only (cached).
    """
    if test in ("barnard", "boschloo"):
        searches = _searches(n1, n2, test, alternative, alpha)
        for s in searches:
            s.finish()
        region = np.logical_or.reduce([s.inner() for s in searches])
    elif test == "fisher":
        if alternative == "two-sided":
            region = _fisher_two_sided_region(n1, n2, alpha)
        else:
            region = (_fisher_one_sided_p(n1, n2, alternative) <= alpha) & ~_no_variation(n1, n2)
    else:
        region = _vectorised_region(n1, n2, test, alternative, alpha)
    region.setflags(write=False)
    return region


def _fisher_one_sided_p(n1: int, n2: int, alternative: str) -> np.ndarray:
    from ._statistics import _fisher_one_sided

    return np.minimum(_fisher_one_sided(n1, n2, upper=alternative == "greater"), 1.0)


def clear_caches() -> None:
    """Forget the cached regions, prefix searches and warm starts (benchmarks and tests of the cold path)."""
    rejection_region.cache_clear()
    region_bounds.cache_clear()
    region_runs.cache_clear()
    _HINTS.clear()
    _SEARCHES.clear()

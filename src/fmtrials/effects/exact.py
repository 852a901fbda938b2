"""Exact intervals: the Chan-Zhang exact unconditional interval for a risk difference and the conditional
exact (Cornfield) interval for an odds ratio. Both run once per *distinct* table (cached).

References
----------
.. [1] Chan ISF, Zhang Z. Test-based exact confidence intervals for the difference of two binomial
   proportions. Biometrics 1999;55:1202-1209 (``risk_difference(ci="exact")``).
.. [2] Fagerland MW, Lydersen S, Laake P. Statistical Analysis of Contingency Tables. CRC 2017, section 4.5.
.. [3] Cornfield J. A statistical problem arising from retrospective studies. Proc Third Berkeley Symp
   1956;4:135-148 (the conditional exact odds-ratio interval of R ``fisher.test``).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable

import numpy as np
from scipy import optimize, special

from .._validation import ARGUMENTS
from ..errors import DataError, Problem
from ._rmle import score_var_diff

__all__ = ["EXACT_MAX_TABLES", "check_exact_size", "rd_exact_one", "or_exact_one"]

# ci="exact" enumerates all (n_t + 1)(n_c + 1) tables for every candidate delta: tables with n_t * n_c above
# this limit are refused (at the limit, 500 vs 500, one interval takes several seconds)
EXACT_MAX_TABLES = 250_000
# nuisance parameter p_c: a grid of equally spaced values over its admissible range (end points included),
# then the best few local maxima are refined by zooming: each round puts _EXACT_ZOOM_POINTS values between
# the neighbours of the current best point, so the spacing shrinks by a factor of about 10 per round
_EXACT_GRID = 1001
_EXACT_CANDIDATES = 3
_EXACT_ZOOM_POINTS = 21
_EXACT_ZOOM_ROUNDS = 4
# bisection on delta stops when the bracket is narrower than this
_EXACT_DELTA_TOL = 1e-8
# tables whose score statistic equals the observed one up to rounding belong to the tail
_EXACT_TIE_RTOL = 1e-9


def check_exact_size(n1: np.ndarray, n2: np.ndarray) -> None:
    big = np.nonzero(n1.astype(np.int64) * n2.astype(np.int64) > EXACT_MAX_TABLES)[0]
    if big.size:
        raise DataError([Problem(f"ci='exact' enumerates (n_t + 1)(n_c + 1) tables and is limited to n_t * n_c "
                                 f"<= {EXACT_MAX_TABLES}; got {n1[i]} * {n2[i]} = {int(n1[i]) * int(n2[i])} at "
                                 f"position {i} (use ci='mn')", file=ARGUMENTS, column="n_t")
                         for i in big])


def _binom_pmf_rows(n: int, p: np.ndarray) -> np.ndarray:
    """Binomial(n, p) probabilities of 0..n, one row per value of ``p`` (shape (len(p), n + 1))."""
    k = np.arange(n + 1, dtype=float)
    log_c = special.gammaln(n + 1.0) - special.gammaln(k + 1.0) - special.gammaln(n - k + 1.0)
    # log(0) replaced by a large finite negative number: 0 * it = 0 and k * it underflows exp() to exactly 0,
    # so p = 0 and p = 1 give the exact degenerate distributions without warnings
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -1e6)
        log_q = np.maximum(np.log1p(-p), -1e6)
    return np.exp(log_c + k * log_p[:, None] + (n - k) * log_q[:, None])


def _all_tables_z(n1: int, n2: int, delta: float) -> np.ndarray:
    """Score statistic (p1 - p2 - delta) / sqrt(V~(delta)) of every table, shape (n1 + 1, n2 + 1).

    V~ is the variance at the restricted MLE under p1 - p2 = delta (Farrington-Manning / Mee; the
    Miettinen-Nurminen factor N/(N - 1) is the same for all tables and would not change their order).
    With V~ = 0 (only possible for delta = 0 and no variation) the statistic is 0.
    """
    p1 = np.repeat(np.arange(n1 + 1) / n1, n2 + 1)
    p2 = np.tile(np.arange(n2 + 1) / n2, n1 + 1)
    var = score_var_diff(p1, p2, float(n1), float(n2), np.full(p1.shape, delta))
    num = p1 - p2 - delta
    pos = var > 0
    zs = np.where(pos, num / np.sqrt(np.where(pos, var, 1.0)), np.where(num == 0, 0.0, np.copysign(np.inf, num)))
    return zs.reshape(n1 + 1, n2 + 1)


def _tail_prob(tail: np.ndarray, n1: int, n2: int, delta: float, p2: np.ndarray) -> np.ndarray:
    """P(table in ``tail``) under p_c = ``p2`` (array) and p_t = p2 + delta.

    When every row x_t of the tail is a run x_c = 0..c(x_t) - 1 (the usual shape: the statistic falls as
    x_c grows), the sum is sum_x P(X_t = x) P(X_c < c(x)), O(n_t + n_c) per nuisance value; otherwise the
    full double sum over the tail tables.
    """
    b1 = _binom_pmf_rows(n1, np.clip(p2 + delta, 0.0, 1.0))
    b2 = _binom_pmf_rows(n2, p2)
    runs = tail.sum(axis=1).astype(np.int64)
    if np.array_equal(tail, np.arange(n2 + 1)[None, :] < runs[:, None]):
        below = np.concatenate([np.zeros((p2.size, 1)), np.cumsum(b2, axis=1)], axis=1)  # P(X_c < c)
        return np.einsum("gi,gi->g", b1, below[:, runs])
    return np.einsum("gj,gj->g", b1 @ tail.astype(float), b2)


def _max_tail_prob(tail: np.ndarray, n1: int, n2: int, delta: float) -> float:
    """Supremum over the nuisance parameter p_c of the tail probability (grid plus local zoom)."""
    lo, hi = max(0.0, -delta), min(1.0, 1.0 - delta)
    grid = np.linspace(lo, hi, _EXACT_GRID)
    vals = _tail_prob(tail, n1, n2, delta, grid)
    best = float(vals.max())
    # local maxima of the grid values (plateaus included), the highest few refined
    padded = np.concatenate([[-np.inf], vals, [-np.inf]])
    peaks = np.nonzero((vals >= padded[:-2]) & (vals >= padded[2:]))[0]
    peaks = peaks[np.argsort(vals[peaks])[::-1][:_EXACT_CANDIDATES]]
    step = grid[1] - grid[0]
    centre = grid[peaks]
    for _ in range(_EXACT_ZOOM_ROUNDS):
        offsets = np.linspace(-step, step, _EXACT_ZOOM_POINTS)
        pts = np.clip(centre[:, None] + offsets[None, :], lo, hi)
        v = _tail_prob(tail, n1, n2, delta, pts.ravel()).reshape(pts.shape)
        k = np.argmax(v, axis=1)
        best = max(best, float(v.max()))
        centre = pts[np.arange(pts.shape[0]), k]
        step = offsets[1] - offsets[0]
    return min(best, 1.0)


def _exact_upper_p(x1: int, n1: int, x2: int, n2: int, delta: float) -> float:
    """Exact unconditional p-value of H0: p1 - p2 = delta against p1 - p2 > delta (tail Z >= z_obs)."""
    zs = _all_tables_z(n1, n2, delta)
    z_obs = zs[x1, x2]
    tail = zs >= z_obs - _EXACT_TIE_RTOL * max(1.0, abs(z_obs))
    if tail.all():
        return 1.0
    return _max_tail_prob(tail, n1, n2, delta)


@lru_cache(maxsize=2048)
def _exact_lower(x1: int, n1: int, x2: int, n2: int, alpha: float) -> float:
    """Chan-Zhang lower limit: the smallest delta whose upper-tail exact p-value reaches alpha/2 (bisection)."""
    d = x1 / n1 - x2 / n2
    if d <= -1.0:
        return -1.0
    lo, hi = -1.0, d  # p(lo) < alpha/2 (p -> 0 as delta -> -1 unless d = -1); p(d) >= alpha/2
    target = alpha / 2.0
    while hi - lo > _EXACT_DELTA_TOL:
        mid = 0.5 * (lo + hi)
        if _exact_upper_p(x1, n1, x2, n2, mid) >= target:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def rd_exact_one(x1: int, n1: int, x2: int, n2: int, alpha: float) -> tuple[float, float]:
    """(lower, upper) Chan-Zhang limits; the upper one is minus the lower one of the arm-swapped table.

    The one-sided limits are cached, so the arm-swapped table costs nothing once the table is known.
    """
    return _exact_lower(x1, n1, x2, n2, alpha), -_exact_lower(x2, n2, x1, n1, alpha)


# exact conditional odds ratio (Fisher's noncentral hypergeometric distribution of x1 given the margins)
def _fnch_support(x1: int, n1: int, x2: int, n2: int) -> tuple[np.ndarray, np.ndarray]:
    m = x1 + x2
    ks = np.arange(max(0, m - n2), min(n1, m) + 1)
    logw = (special.gammaln(n1 + 1) - special.gammaln(ks + 1) - special.gammaln(n1 - ks + 1)
            + special.gammaln(n2 + 1) - special.gammaln(m - ks + 1) - special.gammaln(n2 - m + ks + 1))
    return ks, logw


def _log_tail(ks, logw, x1, t, upper):
    lw = logw + ks * t
    tot = special.logsumexp(lw)
    sel = ks >= x1 if upper else ks <= x1
    return special.logsumexp(lw[sel]) - tot


def _solve_log_psi(fn: Callable[[float], float], start: float) -> float:
    """Root of the increasing function ``fn`` of t = log(psi), expanding a bracket around ``start``."""
    lo, hi = start - 1.0, start + 1.0
    while fn(lo) > 0:
        lo -= 2 * (hi - lo)
    while fn(hi) < 0:
        hi += 2 * (hi - lo)
    return optimize.brentq(fn, lo, hi, xtol=1e-12, rtol=1e-14, maxiter=500)


@lru_cache(maxsize=4096)
def or_exact_one(x1: int, n1: int, x2: int, n2: int, alpha: float) -> tuple[float, float, float]:
    """Conditional MLE and exact conditional interval (as R fisher.test), to full precision."""
    ks, logw = _fnch_support(x1, n1, x2, n2)
    kmin, kmax = ks[0], ks[-1]
    if kmin == kmax:  # a zero margin: the table carries no information about the odds ratio
        return math.nan, 0.0, math.inf
    log_a2 = math.log(alpha / 2)
    start = math.log((x1 + 0.5) * (n2 - x2 + 0.5) / ((n1 - x1 + 0.5) * (x2 + 0.5)))

    def mean_minus_x(t):
        lw = logw + ks * t
        w = np.exp(lw - lw.max())
        return float((ks * w).sum() / w.sum()) - x1

    est = 0.0 if x1 == kmin else math.inf if x1 == kmax else math.exp(_solve_log_psi(mean_minus_x, start))
    lo = 0.0 if x1 == kmin else math.exp(_solve_log_psi(
        lambda t: _log_tail(ks, logw, x1, t, upper=True) - log_a2, start))
    hi = math.inf if x1 == kmax else math.exp(_solve_log_psi(
        lambda t: log_a2 - _log_tail(ks, logw, x1, t, upper=False), start))
    return est, lo, hi

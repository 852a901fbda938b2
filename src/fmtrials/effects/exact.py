"""Exact intervals: the Chan-Zhang exact unconditional interval for a risk difference (on the engine of
:mod:`fmtrials.effects._unconditional`) and the conditional exact (Cornfield) interval for an odds ratio. Both
run once per *distinct* table (cached).

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
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from scipy import optimize, special

from .._validation import ARGUMENTS
from ..errors import DataError, Problem
from ._common import z_value
from ._rmle import rmle_ratio, score_var_diff
from ._score import rd_score_limits, rr_score_lower
from ._unconditional import row_runs, sup_tail

__all__ = ["EXACT_MAX_TABLES", "check_exact_size", "rd_exact_one", "rr_exact_one", "or_exact_one"]

# ci="exact" enumerates all (n_t + 1)(n_c + 1) tables: tables with n_t * n_c above this limit are refused
# (1000 vs 1000 takes about 2 s)
EXACT_MAX_TABLES = 1_000_000
# the search on delta stops when the bracket is narrower than this
_EXACT_DELTA_TOL = 1e-8
# tables whose score statistic equals the observed one up to rounding belong to the tail
_EXACT_TIE_RTOL = 1e-9


def check_exact_size(n_t: np.ndarray, n_c: np.ndarray) -> None:
    n1, n2 = n_t, n_c
    big = np.nonzero(n1.astype(np.int64) * n2.astype(np.int64) > EXACT_MAX_TABLES)[0]
    if big.size:
        raise DataError(
            [
                Problem(
                    f"ci='exact' enumerates (n_t + 1)(n_c + 1) tables and is limited to n_t * n_c "
                    f"<= {EXACT_MAX_TABLES}; got {n1[i]} * {n2[i]} = {int(n1[i]) * int(n2[i])} at "
                    f"position {i} (use ci='mn')",
                    file=ARGUMENTS,
                    column="n_t",
                )
                for i in big
            ]
        )


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


def _row_counts(x1: int, n1: int, x2: int, n2: int, delta: float) -> np.ndarray:
    """For every row x_t, the number c of tables x_c = 0..c - 1 with Z(delta) >= z_obs, by a binary search
    along each row (all rows at once); valid when Z falls as x_c grows (checked by :func:`_exact_upper_p`)."""
    rows = np.arange(n1 + 1, dtype=float)
    params = (float(n1), float(n2))

    def z_at(i, j):
        p1, p2 = i / n1, j / n2
        var = score_var_diff(p1, p2, *params, np.full(p1.shape, delta))
        num = p1 - p2 - delta
        pos = var > 0
        return np.where(pos, num / np.sqrt(np.where(pos, var, 1.0)), np.where(num == 0, 0.0, np.copysign(np.inf, num)))

    z_obs = float(z_at(np.array([float(x1)]), np.array([float(x2)]))[0])
    thr = z_obs - _EXACT_TIE_RTOL * max(1.0, abs(z_obs))
    lo = np.zeros(n1 + 1, dtype=np.int64)
    hi = np.full(n1 + 1, n2 + 1, dtype=np.int64)
    while (lo < hi).any():
        mid = (lo + hi) // 2
        ok = z_at(rows, np.minimum(mid, n2).astype(float)) >= thr
        active = lo < hi
        lo = np.where(active & ok, mid + 1, lo)
        hi = np.where(active & ~ok, mid, hi)
    return lo


def _full_tail(x1: int, n1: int, x2: int, n2: int, delta: float) -> np.ndarray:
    zs = _all_tables_z(n1, n2, delta)
    z_obs = zs[x1, x2]
    return zs >= z_obs - _EXACT_TIE_RTOL * max(1.0, abs(z_obs))


def _exact_upper_p(x1: int, n1: int, x2: int, n2: int, delta: float, full: bool = False) -> float:
    """Exact unconditional p-value of H0: p1 - p2 = delta against p1 - p2 > delta (tail Z >= z_obs).

    ``full``: score all tables (any tail shape); otherwise each row's tail is the run found by
    :func:`_row_counts`.
    """
    if full:
        tail = _full_tail(x1, n1, x2, n2, delta)
        if tail.all():
            return 1.0
        return sup_tail(*row_runs(tail), n1, n2, delta)
    ends = _row_counts(x1, n1, x2, n2, delta)
    if (ends == n2 + 1).all():
        return 1.0
    return sup_tail(np.zeros((n1 + 1, 1), dtype=np.int64), ends[:, None], n1, n2, delta)


def _runs_hold(x1: int, n1: int, x2: int, n2: int, delta: float) -> bool:
    """True when the full tail at ``delta`` is exactly the row runs of the binary search."""
    runs = np.arange(n2 + 1)[None, :] < _row_counts(x1, n1, x2, n2, delta)[:, None]
    return bool(np.array_equal(runs, _full_tail(x1, n1, x2, n2, delta)))


def _crossing(
    pfun: Callable[[float], float], d: float, start: float, target: float, floor: float = -1.0
) -> tuple[float, float]:
    """Bracket (lo, hi), hi - lo <= tol, with pfun(lo) < target <= pfun(hi), lo in [floor, d] (p(floor) = 0).

    The bracket is grown from ``start`` (a score limit) in doubling steps, then shrunk by the Illinois
    variant of regula falsi on log p - log target, every third step a bisection.
    """
    x = min(max(start, floor), d)
    px = pfun(x)
    lo, plo, hi, phi = floor, 0.0, d, math.inf
    w = 0.002
    if px >= target:
        hi, phi = x, px
        while hi > floor:
            y = max(hi - w, floor)
            py = pfun(y) if y > floor else 0.0
            if py < target:
                lo, plo = y, py
                break
            hi, phi, w = y, py, 2 * w
    else:
        lo, plo = x, px
        while lo < d:
            y = min(lo + w, d)
            py = pfun(y)
            if py >= target:
                hi, phi = y, py
                break
            lo, plo, w = y, py, 2 * w
    log_t = math.log(target)
    glo = math.log(plo) - log_t if plo > 0 else -math.inf
    ghi = math.log(phi) - log_t if math.isfinite(phi) else math.inf
    step = 0
    while hi - lo > _EXACT_DELTA_TOL:
        step += 1
        if step % 3 == 0 or not (math.isfinite(glo) and math.isfinite(ghi)) or ghi == glo:
            mid = 0.5 * (lo + hi)
        else:
            mid = hi - ghi * (hi - lo) / (ghi - glo)
            mid = min(max(mid, lo + 0.01 * (hi - lo)), hi - 0.01 * (hi - lo))
        pm = pfun(mid)
        gm = math.log(pm) - log_t if pm > 0 else -math.inf
        if pm >= target:
            hi, ghi = mid, gm
            glo = glo / 2 if math.isfinite(glo) else glo
        else:
            lo, glo = mid, gm
            ghi = ghi / 2 if math.isfinite(ghi) else ghi
    return lo, hi


@lru_cache(maxsize=2048)
def _exact_lower(x1: int, n1: int, x2: int, n2: int, alpha: float) -> float:
    """Chan-Zhang lower limit: the smallest delta whose upper-tail exact p-value reaches alpha/2."""
    d = x1 / n1 - x2 / n2
    if d <= -1.0:
        return -1.0
    target = alpha / 2.0
    start = _score_start(x1, n1, x2, n2, alpha)
    lo, hi = _crossing(lambda t: _exact_upper_p(x1, n1, x2, n2, t), d, start, target)
    if not (_runs_hold(x1, n1, x2, n2, hi) and (lo <= -1.0 or _runs_hold(x1, n1, x2, n2, lo))):
        lo, hi = _crossing(lambda t: _exact_upper_p(x1, n1, x2, n2, t, full=True), d, start, target)
    return 0.5 * (lo + hi)


def _score_start(x1: int, n1: int, x2: int, n2: int, alpha: float) -> float:
    """The Miettinen-Nurminen lower limit (``risk_difference(ci="mn")``), where the exact search starts."""
    lo, _ = rd_score_limits(*_table(x1, n1, x2, n2), z_value(alpha), factor=True)
    return float(np.clip(lo[0], -1.0, 1.0))


def _table(x1: int, n1: int, x2: int, n2: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One table as the int64 arrays the vectorised score limits take."""
    a, b, c, d = (np.array([v], dtype=np.int64) for v in (x1, n1, x2, n2))
    return a, b, c, d


def rd_exact_one(events_t: int, n_t: int, events_c: int, n_c: int, alpha: float) -> tuple[float, float]:
    """(lower, upper) Chan-Zhang limits; the upper one is minus the lower one of the arm-swapped table.

    The one-sided limits are cached, so the arm-swapped table costs nothing once the table is known.
    """
    x1, n1, x2, n2 = events_t, n_t, events_c, n_c
    return _exact_lower(x1, n1, x2, n2, alpha), -_exact_lower(x2, n2, x1, n1, alpha)


# exact unconditional risk ratio: the same construction with the Farrington-Manning (Koopman-type) score
# statistic of H0: p1 = phi p2, searched in t = phi / (1 + phi)
def _rr_tail(x1: int, n1: int, x2: int, n2: int, phi: float) -> np.ndarray:
    """Tables whose statistic (p1 - phi p2)/sqrt(V~(phi)) is at least the observed one (V~ at the restricted MLE)."""
    i = np.repeat(np.arange(n1 + 1, dtype=float), n2 + 1)
    j = np.tile(np.arange(n2 + 1, dtype=float), n1 + 1)
    pt1, pt2 = rmle_ratio(i, float(n1), j, float(n2), phi)
    var = pt1 * (1 - pt1) / n1 + phi * phi * pt2 * (1 - pt2) / n2
    num = i / n1 - phi * j / n2
    pos = var > 0
    zs = np.where(pos, num / np.sqrt(np.where(pos, var, 1.0)), np.where(num == 0, 0.0, np.copysign(np.inf, num)))
    zs = zs.reshape(n1 + 1, n2 + 1)
    z_obs = zs[x1, x2]
    return zs >= z_obs - _EXACT_TIE_RTOL * max(1.0, abs(z_obs))


def _rr_upper_p(x1: int, n1: int, x2: int, n2: int, t: float) -> float:
    """Exact unconditional p-value of H0: p1/p2 = phi against p1/p2 > phi, phi = t/(1 - t)."""
    phi = t / (1.0 - t)
    tail = _rr_tail(x1, n1, x2, n2, phi)
    if tail.all():
        return 1.0
    return sup_tail(*row_runs(tail), n1, n2, ratio=phi)


@lru_cache(maxsize=2048)
def _rr_lower(x1: int, n1: int, x2: int, n2: int, alpha: float) -> float:
    """Lower exact unconditional limit of p1/p2 (0 when x1 = 0)."""
    if x1 == 0:
        return 0.0
    p1, p2 = x1 / n1, x2 / n2
    t_hat = min(p1 / (p1 + p2), 1.0 - 1e-12)
    koopman = float(rr_score_lower(*_table(x1, n1, x2, n2), z_value(alpha), False)[0])  # risk_ratio(ci="koopman")
    lo, hi = _crossing(
        lambda t: _rr_upper_p(x1, n1, x2, n2, t), t_hat, koopman / (1.0 + koopman), alpha / 2.0, floor=0.0
    )
    t = 0.5 * (lo + hi)
    return t / (1.0 - t)


def rr_exact_one(events_t: int, n_t: int, events_c: int, n_c: int, alpha: float) -> tuple[float, float]:
    """(lower, upper) exact unconditional limits of the risk ratio; upper = 1 / lower of the swapped table."""
    x1, n1, x2, n2 = events_t, n_t, events_c, n_c
    lo_swapped = _rr_lower(x2, n2, x1, n1, alpha)
    return _rr_lower(x1, n1, x2, n2, alpha), (math.inf if lo_swapped == 0.0 else 1.0 / lo_swapped)


# exact conditional odds ratio (Fisher's noncentral hypergeometric distribution of x1 given the margins)
def _fnch_support(x1: int, n1: int, x2: int, n2: int) -> tuple[np.ndarray, np.ndarray]:
    m = x1 + x2
    ks = np.arange(max(0, m - n2), min(n1, m) + 1)
    logw = (
        special.gammaln(n1 + 1)
        - special.gammaln(ks + 1)
        - special.gammaln(n1 - ks + 1)
        + special.gammaln(n2 + 1)
        - special.gammaln(m - ks + 1)
        - special.gammaln(n2 - m + ks + 1)
    )
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
def or_exact_one(events_t: int, n_t: int, events_c: int, n_c: int, alpha: float) -> tuple[float, float, float]:
    """Conditional MLE and exact conditional interval (as R fisher.test), to full precision."""
    x1, n1, x2, n2 = events_t, n_t, events_c, n_c
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
    lo = (
        0.0
        if x1 == kmin
        else math.exp(_solve_log_psi(lambda t: _log_tail(ks, logw, x1, t, upper=True) - log_a2, start))
    )
    hi = (
        math.inf
        if x1 == kmax
        else math.exp(_solve_log_psi(lambda t: log_a2 - _log_tail(ks, logw, x1, t, upper=False), start))
    )
    return est, lo, hi

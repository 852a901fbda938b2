"""Per-comparison effect measures, confidence intervals and tests for 2x2 tables.

Every function takes ``x_t, n_t, x_c, n_c`` (treatment events, treatment size, control events, control size)
as scalars or array-likes that broadcast against each other, validates them with
:func:`fmtrials._validation.as_count_arrays` and returns a :class:`pandas.DataFrame` with one row per table.
Effects are treatment minus (or over) control. All interval and asymptotic-test code is vectorised over
tables; only the exact tests (Fisher, Barnard, Boschloo, conditional exact odds-ratio interval) loop, once per
*distinct* table.

Columns shared by the interval functions: ``x_t, n_t, x_c, n_c`` (the validated counts), ``p_t, p_c`` (raw
proportions), ``estimate``, ``ci_low``, ``ci_high``, ``method`` and ``alpha``.

References
----------
.. [1] Newcombe RG. Interval estimation for the difference between independent proportions: comparison of
   eleven methods. Stat Med 1998;17:873-890.
.. [2] Miettinen O, Nurminen M. Comparative analysis of two rates. Stat Med 1985;4:213-226.
.. [3] Farrington CP, Manning G. Test statistics and sample size formulae for comparative binomial trials with
   null hypothesis of non-zero risk difference or non-unity relative risk. Stat Med 1990;9:1447-1454.
.. [4] Mee RW. Confidence bounds for the difference between two probabilities. Biometrics 1984;40:1175-1176.
.. [5] Agresti A, Caffo B. Simple and effective confidence intervals for proportions and differences of
   proportions result from adding two successes and two failures. Am Stat 2000;54:280-288.
.. [6] Koopman PAR. Confidence intervals for the ratio of two binomial proportions. Biometrics
   1984;40:513-517.
.. [7] Katz D, Baptista J, Azen SP, Pike MC. Obtaining confidence intervals for the risk ratio in cohort
   studies. Biometrics 1978;34:469-474.  Woolf B. On estimating the relation between blood group and
   disease. Ann Hum Genet 1955;19:251-253.
.. [8] Cornfield J. A statistical problem arising from retrospective studies. Proc Third Berkeley Symp
   1956;4:135-148 (the conditional exact odds-ratio interval of R ``fisher.test``).
.. [9] Altman DG. Confidence intervals for the number needed to treat. BMJ 1998;317:1309-1312.
.. [10] Brown LD, Cai TT, DasGupta A. Interval estimation for a binomial proportion. Stat Sci
   2001;16:101-133 (Wilson, Jeffreys, Clopper-Pearson).
.. [11] Fagerland MW, Lydersen S, Laake P. Statistical Analysis of Contingency Tables. CRC 2017 (published
   values used in the tests; R package ``contingencytables``).  Fagerland MW, Lydersen S, Laake P.
   Recommended confidence intervals for two independent binomial proportions. Stat Methods Med Res
   2015;24:224-254.
.. [12] Chan ISF, Zhang Z. Test-based exact confidence intervals for the difference of two binomial
   proportions. Biometrics 1999;55:1202-1209 (``risk_difference(ci="exact")``).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Callable, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from .._validation import as_count_arrays, as_counts, check_alpha
from ..errors import DataError, Problem

__all__ = [
    "risk_difference",
    "risk_ratio",
    "odds_ratio",
    "nnt",
    "proportion_ci",
    "proportions_test",
    "RD_METHODS",
    "RR_METHODS",
    "OR_METHODS",
    "TEST_METHODS",
    "PROPORTION_METHODS",
]

RD_METHODS = ("wald", "wald_cc", "agresti_caffo", "newcombe", "mn", "mee", "exact")
RR_METHODS = ("katz", "koopman", "mn")
OR_METHODS = ("woolf", "mn", "exact")
TEST_METHODS = ("chi2", "yates", "fisher", "barnard", "boschloo", "score")
PROPORTION_METHODS = ("wilson", "jeffreys", "clopper_pearson")
_ALTERNATIVES = ("two-sided", "less", "greater")

# rows are processed in slices of this many tables by the iterative solvers: bounds temporary memory and keeps
# the working set in cache (16384 was fastest on the 2-core development machine)
_CHUNK = 1 << 14


# ----------------------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------------------
def _choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise DataError(Problem(f"must be one of {', '.join(map(repr, allowed))}; got {value!r}",
                                file="<arguments>", column=name))
    return value


def _z(alpha: float) -> float:
    """Two-sided standard normal critical value z_{1 - alpha/2}."""
    return float(stats.norm.isf(alpha / 2.0))


def _counts(x_t: Any, n_t: Any, x_c: Any, n_c: Any) -> tuple[np.ndarray, ...]:
    x1, n1, x2, n2 = as_count_arrays(x_t, n_t, x_c, n_c)
    return x1.ravel(), n1.ravel(), x2.ravel(), n2.ravel()


def _frame(x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, **cols: Any) -> pd.DataFrame:
    out = {"x_t": x1, "n_t": n1, "x_c": x2, "n_c": n2}
    out.update(cols)
    return pd.DataFrame(out)


def _by_chunks(fn: Callable[..., np.ndarray], *arrays: np.ndarray) -> np.ndarray:
    """Apply ``fn`` to consecutive slices of ``arrays`` (bounded memory for iterative solvers)."""
    n = arrays[0].shape[0]
    if n <= _CHUNK:
        return fn(*arrays)
    out = np.empty(n, dtype=float)
    for start in range(0, n, _CHUNK):
        sl = slice(start, start + _CHUNK)
        out[sl] = fn(*(a[sl] for a in arrays))
    return out


def _illinois(f: Callable[..., np.ndarray], a: np.ndarray, fa: np.ndarray, b: np.ndarray, fb: np.ndarray,
              params: tuple[np.ndarray, ...], x0: np.ndarray | None = None, xtol: float = 1e-12,
              ftol: float = 1e-12, maxiter: int = 200) -> np.ndarray:
    """Vectorised Illinois (modified regula falsi) root finding for many brackets at once.

    ``f(x, *params)`` evaluates the function elementwise. Requires ``fa > 0 > fb`` and exactly one sign
    change in each bracket [a, b]. ``x0`` is an optional first trial point inside the brackets. Converged
    elements are dropped (together with their ``params``), so late iterations touch only slow tables.
    """
    a, fa, b, fb = (np.array(v, dtype=float) for v in (a, fa, b, fb))
    root = np.empty_like(a)
    idx = np.arange(a.size)
    prev_pos = np.zeros(a.size, dtype=bool)  # the previous step replaced a
    prev_neg = np.zeros(a.size, dtype=bool)  # the previous step replaced b
    c = None if x0 is None else np.array(x0, dtype=float)
    for _ in range(maxiter):
        if c is None:
            c = b - fb * (b - a) / (fb - fa)
        # rounding can put the secant point on or outside the bracket: bisect there
        c = np.where((c > a) & (c < b), c, 0.5 * (a + b))
        fc = f(c, *params)
        pos = fc > 0
        # Illinois: halve the function value at an end point that is retained twice in a row
        fa = np.where(pos, fc, np.where(prev_neg, 0.5 * fa, fa))
        fb = np.where(pos, np.where(prev_pos, 0.5 * fb, fb), fc)
        a = np.where(pos, c, a)
        b = np.where(pos, b, c)
        prev_pos, prev_neg = pos, ~pos
        done = (b - a <= xtol) | (np.abs(fc) <= ftol)
        ndone = int(np.count_nonzero(done))
        if ndone == idx.size:
            root[idx] = c
            return root
        # compact the working set only when it pays (fancy indexing of every array is not free)
        if ndone and (ndone >= idx.size // 4 or idx.size < 512):
            root[idx[done]] = c[done]
            keep = ~done
            idx, a, fa, b, fb = idx[keep], a[keep], fa[keep], b[keep], fb[keep]
            prev_pos, prev_neg = prev_pos[keep], prev_neg[keep]
            params = tuple(p[keep] for p in params)
        c = None
    root[idx] = 0.5 * (a + b)  # not converged within maxiter (not expected): bracket midpoint
    return root


def _bisect_bool(outside: Callable[[np.ndarray], np.ndarray], lo: np.ndarray, hi: np.ndarray,
                 iters: int = 64) -> np.ndarray:
    """Vectorised bisection: ``outside(x)`` is True left of the root, False right of it."""
    lo = np.array(lo, dtype=float)
    hi = np.array(hi, dtype=float)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        left = outside(mid)
        lo = np.where(left, mid, lo)
        hi = np.where(left, hi, mid)
    return 0.5 * (lo + hi)


# ----------------------------------------------------------------------------------------------------------
# single proportions
# ----------------------------------------------------------------------------------------------------------
def _wilson(x: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    p = x / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    lo = np.where(x == 0, 0.0, np.maximum(centre - half, 0.0))
    hi = np.where(x == n, 1.0, np.minimum(centre + half, 1.0))
    return lo, hi


def _jeffreys(x: np.ndarray, n: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    lo = np.where(x == 0, 0.0, special.betaincinv(x + 0.5, n - x + 0.5, alpha / 2))
    hi = np.where(x == n, 1.0, special.betaincinv(x + 0.5, n - x + 0.5, 1 - alpha / 2))
    return lo, hi


def _clopper_pearson(x: np.ndarray, n: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(x == 0, 0.0, special.betaincinv(np.maximum(x, 1e-300), n - x + 1, alpha / 2))
        hi = np.where(x == n, 1.0, special.betaincinv(x + 1, np.maximum(n - x, 1e-300), 1 - alpha / 2))
    return lo, hi


def proportion_ci(events: Any, n: Any, *, ci: Literal["wilson", "jeffreys", "clopper_pearson"] = "wilson",
                  alpha: float = 0.05) -> pd.DataFrame:
    """Confidence interval for a single binomial proportion, one row per arm.

    Parameters
    ----------
    events, n : int or array-like
        Events and arm size (broadcast against each other).
    ci : {"wilson", "jeffreys", "clopper_pearson"}
        ``wilson``: score interval (Wilson 1927), no continuity correction. ``jeffreys``: equal-tailed
        Beta(x + 1/2, n - x + 1/2) quantiles with the lower limit set to 0 when x = 0 and the upper to 1 when
        x = n (Brown, Cai & DasGupta 2001). ``clopper_pearson``: exact, equal tails (as R ``binom.test``).
    alpha : float
        Two-sided level; the interval has nominal coverage 1 - alpha.

    Returns
    -------
    pandas.DataFrame
        Columns ``events, n, estimate, ci_low, ci_high, method, alpha``.

    Examples
    --------
    >>> from fmtrials import proportion_ci
    >>> proportion_ci(81, 263).round(4)[["estimate", "ci_low", "ci_high"]]
       estimate  ci_low  ci_high
    0     0.308  0.2553   0.3662
    """
    method = _choice(ci, PROPORTION_METHODS, "ci")
    alpha = check_alpha(alpha)
    xa = as_counts(events, "events")
    na = as_counts(n, "n")
    try:
        xa, na = (np.atleast_1d(v).ravel() for v in np.broadcast_arrays(xa, na))
    except ValueError:
        raise DataError(Problem(f"shapes do not broadcast: events {xa.shape}, n {na.shape}",
                                file="<arguments>")) from None
    problems = [Problem(f"events ({xa[i]}) exceed arm size n ({na[i]}) at position {i}", file="<arguments>",
                        column="events") for i in np.nonzero(xa > na)[0]]
    problems += [Problem(f"arm size is 0 at position {i}", file="<arguments>", column="n")
                 for i in np.nonzero(na == 0)[0]]
    if problems:
        raise DataError(problems)
    if method == "wilson":
        lo, hi = _wilson(xa, na, _z(alpha))
    elif method == "jeffreys":
        lo, hi = _jeffreys(xa, na, alpha)
    else:
        lo, hi = _clopper_pearson(xa, na, alpha)
    return pd.DataFrame({"events": xa, "n": na, "estimate": xa / na, "ci_low": lo, "ci_high": hi,
                         "method": method, "alpha": alpha})


# ----------------------------------------------------------------------------------------------------------
# risk difference
# ----------------------------------------------------------------------------------------------------------
class _DiffCubic:
    """Per-table constants of the restricted-MLE cubic for p1 - p2 = delta (Farrington & Manning 1990).

    With theta = n2/n1, a = 1 + theta, b = -(1 + theta + p1 + theta p2 + delta (theta + 2)),
    c = delta^2 + delta (2 p1 + theta + 1) + p1 + theta p2, d = -p1 delta (1 + delta); the root is
    p1~ = 2 u cos(w) - b/(3a) with v = b^3/(3a)^3 - bc/(6a^2) + d/(2a), u = sign(v) sqrt(b^2/(3a)^2 - c/(3a)),
    w = (pi + arccos(v/u^3))/3 (Miettinen & Nurminen 1985, appendix). Everything not depending on delta is
    computed once here; :meth:`params` returns the arrays the iteration needs.
    """

    @staticmethod
    def params(p1, p2, n1, n2):
        theta = n2 / n1
        a = 1.0 + theta
        s0 = 1.0 + theta + p1 + theta * p2
        s1 = 2.0 * p1 + theta + 1.0
        s2 = p1 + theta * p2
        return (p1, s0, theta + 2.0, s1, s2, 1.0 / (3.0 * a), 1.0 / (6.0 * a * a), 1.0 / (2.0 * a),
                1.0 / n1, 1.0 / n2)

    @staticmethod
    def variance(delta, p1, s0, th2, s1, s2, inv3a, inv6a2, inv2a, in1, in2):
        """p1~(1 - p1~)/n1 + p2~(1 - p2~)/n2 at the restricted MLE (elementwise)."""
        b = -(s0 + delta * th2)
        c = delta * (delta + s1) + s2
        d = -p1 * delta * (1.0 + delta)
        b3a = b * inv3a
        b3a2 = b3a * b3a
        v = b3a2 * b3a - b * c * inv6a2 + d * inv2a
        u = np.sqrt(np.maximum(b3a2 - c * inv3a, 0.0))
        u = np.where(v < 0, -u, u)
        u3 = u * u * u
        ratio = np.divide(v, u3, out=np.zeros_like(v), where=u3 != 0.0)
        w = (np.pi + np.arccos(np.clip(ratio, -1.0, 1.0))) * (1.0 / 3.0)
        pt1 = 2.0 * u * np.cos(w) - b3a
        pt1 = np.minimum(np.maximum(pt1, np.maximum(delta, 0.0)), np.minimum(1.0 + delta, 1.0))
        pt2 = pt1 - delta
        return pt1 * (1.0 - pt1) * in1 + pt2 * (1.0 - pt2) * in2


def _score_var_diff(p1, p2, n1, n2, delta):
    """Variance of p1^ - p2^ at the restricted MLE under p1 - p2 = delta."""
    return _DiffCubic.variance(delta, *_DiffCubic.params(p1, p2, n1, n2))


def _phi_lower(delta, dhat, zk, *cubic):
    """(d - delta) - z sqrt(k V(delta)): positive below the lower score limit, negative above it."""
    return (dhat - delta) - zk * np.sqrt(np.maximum(_DiffCubic.variance(delta, *cubic), 0.0))


def _mn_lower(x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, z: float,
              factor: bool, start: np.ndarray | None = None) -> np.ndarray:
    """Lower Miettinen-Nurminen (factor=True) or Mee (factor=False) limit for p1 - p2, vectorised.

    The limit is the delta in [-1, d] where the score statistic (d - delta)/sqrt(k V(delta)) equals z.
    Degenerate tables (both proportions 0 or 1) have closed forms; the rest are solved by Illinois
    iteration on phi(delta) = (d - delta) - z sqrt(k V(delta)), positive at -1 and negative at d,
    starting from ``start`` (e.g. the Newcombe limit) when given.
    """
    x1 = x1.astype(float)
    n1 = n1.astype(float)
    x2 = x2.astype(float)
    n2 = n2.astype(float)
    big_n = n1 + n2
    k = big_n / (big_n - 1.0) if factor else np.ones_like(big_n)
    zk = z * z * k
    p1 = x1 / n1
    p2 = x2 / n2
    d = p1 - p2
    out = np.empty_like(d)

    all0 = (x1 == 0) & (x2 == 0)
    all1 = (x1 == n1) & (x2 == n2)
    minus1 = (x1 == 0) & (x2 == n2)
    plus1 = (x1 == n1) & (x2 == 0)
    # both arms 0%: for delta < 0 the restricted MLE is p1 = 0, p2 = -delta, so V = |delta|(1 - |delta|)/n2 and
    # T^2 = z^2 solves to |delta| = c/(1 + c), c = z^2 k/n2 (MN 1985 example 4); 100% vs 100% mirrors it
    c2 = zk / n2
    c1 = zk / n1
    out[all0] = -(c2 / (1.0 + c2))[all0]
    out[all1] = -(c1 / (1.0 + c1))[all1]
    out[minus1] = -1.0
    if plus1.any():
        # d = 1: interior restricted MLE gives V = (1 - delta^2)/N while delta <= min(n1/n2, n2/n1),
        # otherwise the MLE sits on the boundary of the smaller arm, V = delta(1 - delta)/min(n1, n2)
        cn = (zk / big_n)[plus1]
        interior = (1.0 - cn) / (1.0 + cn)
        m = np.minimum(n1 / n2, n2 / n1)[plus1]
        boundary = 1.0 / (1.0 + (zk / np.minimum(n1, n2))[plus1])
        out[plus1] = np.where(interior <= m, interior, boundary)

    gen = ~(all0 | all1 | minus1 | plus1)
    if gen.any():
        gp1, gp2, gn1, gn2, gd, gk = p1[gen], p2[gen], n1[gen], n2[gen], d[gen], k[gen]
        zk = z * np.sqrt(gk)
        wald_sd = np.sqrt(gp1 * (1 - gp1) / gn1 + gp2 * (1 - gp2) / gn2)
        # start at the Newcombe limit, which is close to the score limit and strictly inside (-1, d)
        x0 = None
        if start is not None:
            x0 = start[gen]
        out[gen] = _illinois(_phi_lower, np.full(gd.shape, -1.0), gd + 1.0, gd.copy(), -zk * wald_sd,
                             params=(gd, zk, *_DiffCubic.params(gp1, gp2, gn1, gn2)), x0=x0)
    return out


def _newcombe_lower(x1, n1, x2, n2, z):
    """Lower limit of Newcombe's hybrid score interval: d - sqrt((p1 - l1)^2 + (u2 - p2)^2)."""
    f1 = x1 / n1
    f2 = x2 / n2
    l1 = _wilson(x1, n1, z)[0]
    u2 = _wilson(x2, n2, z)[1]
    e1 = f1 - l1
    e2 = u2 - f2
    return (f1 - f2) - np.sqrt(e1 * e1 + e2 * e2)


# ----------------------------------------------------------------------------------------------------------
# exact unconditional interval for the risk difference (Chan & Zhang 1999)
# ----------------------------------------------------------------------------------------------------------
# ci="exact" enumerates all (n_t + 1)(n_c + 1) tables for every candidate delta: tables with n_t * n_c above
# this limit are refused (at the limit, 500 vs 500, one interval takes several seconds)
_EXACT_MAX_TABLES = 250_000
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


def _check_exact_size(n1: np.ndarray, n2: np.ndarray) -> None:
    big = np.nonzero(n1.astype(np.int64) * n2.astype(np.int64) > _EXACT_MAX_TABLES)[0]
    if big.size:
        raise DataError([Problem(f"ci='exact' enumerates (n_t + 1)(n_c + 1) tables and is limited to n_t * n_c "
                                 f"<= {_EXACT_MAX_TABLES}; got {n1[i]} * {n2[i]} = {int(n1[i]) * int(n2[i])} at "
                                 f"position {i} (use ci='mn')", file="<arguments>", column="n_t")
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
    var = _score_var_diff(p1, p2, float(n1), float(n2), np.full(p1.shape, delta))
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


def _rd_exact_one(x1: int, n1: int, x2: int, n2: int, alpha: float) -> tuple[float, float]:
    """(lower, upper) Chan-Zhang limits; the upper one is minus the lower one of the arm-swapped table.

    The one-sided limits are cached, so the arm-swapped table costs nothing once the table is known.
    """
    return _exact_lower(x1, n1, x2, n2, alpha), -_exact_lower(x2, n2, x1, n1, alpha)


def _rd_interval(x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, method: str,
                 alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(ci_low, ci_high) for p1 - p2 by ``method``; arrays of validated counts."""
    z = _z(alpha)
    f1 = x1 / n1
    f2 = x2 / n2
    d = f1 - f2
    if method in ("wald", "wald_cc"):
        se = np.sqrt(f1 * (1 - f1) / n1 + f2 * (1 - f2) / n2)
        half = z * se + (0.5 * (1.0 / n1 + 1.0 / n2) if method == "wald_cc" else 0.0)
        lo, hi = d - half, d + half
    elif method == "agresti_caffo":
        a1 = (x1 + 1.0) / (n1 + 2.0)
        a2 = (x2 + 1.0) / (n2 + 2.0)
        se = np.sqrt(a1 * (1 - a1) / (n1 + 2.0) + a2 * (1 - a2) / (n2 + 2.0))
        lo, hi = a1 - a2 - z * se, a1 - a2 + z * se
    elif method == "newcombe":
        lo = _newcombe_lower(x1, n1, x2, n2, z)
        hi = -_newcombe_lower(x2, n2, x1, n1, z)
    elif method == "exact":
        _check_exact_size(n1, n2)
        res = _per_distinct_table(x1, n1, x2, n2, lambda *t: _rd_exact_one(*t, alpha))
        lo, hi = res[:, 0], res[:, 1]
    else:  # mn / mee: lower limit directly, upper limit by swapping the arms (exact mirror symmetry)
        factor = method == "mn"

        def both(a1, b1, a2, b2):
            xa, na, xb, nb = (np.concatenate([a1, a2]), np.concatenate([b1, b2]),
                              np.concatenate([a2, a1]), np.concatenate([b2, b1]))
            start = _newcombe_lower(xa, na, xb, nb, z)
            return _mn_lower(xa, na, xb, nb, z, factor, start=start)

        n = x1.shape[0]
        step = max(_CHUNK // 2, 1)
        lo = np.empty(n)
        hi = np.empty(n)
        for start in range(0, n, step):
            sl = slice(start, start + step)
            r = both(x1[sl], n1[sl], x2[sl], n2[sl])
            m = r.shape[0] // 2
            lo[sl] = r[:m]
            hi[sl] = -r[m:]
    return np.clip(lo, -1.0, 1.0), np.clip(hi, -1.0, 1.0)


def risk_difference(x_t: Any, n_t: Any, x_c: Any, n_c: Any,
                    ci: Literal["wald", "wald_cc", "agresti_caffo", "newcombe", "mn", "mee", "exact"] = "newcombe",
                    alpha: float = 0.05) -> pd.DataFrame:
    """Risk difference p_t - p_c with a confidence interval, one row per table.

    Parameters
    ----------
    x_t, n_t, x_c, n_c : int or array-like
        Treatment events and size, control events and size; broadcast against each other.
    ci : str
        ``wald`` (no correction); ``wald_cc`` (Wald with continuity correction (1/n_t + 1/n_c)/2; Newcombe
        method 2); ``agresti_caffo`` (one success and one failure added to each arm); ``newcombe`` (hybrid
        score from two Wilson intervals; Newcombe 1998 method 10); ``mn`` (Miettinen-Nurminen score
        interval, variance multiplied by N/(N - 1)); ``mee`` (the same score interval without that factor;
        Mee 1984, as in Fagerland et al.); ``exact`` (Chan & Zhang 1999 exact unconditional interval, see
        Notes). All limits are clipped to [-1, 1]. Zero cells need no correction for any method.
    alpha : float
        Two-sided level (default 0.05).

    Returns
    -------
    pandas.DataFrame
        ``x_t, n_t, x_c, n_c, p_t, p_c, estimate, ci_low, ci_high, method, alpha``; ``estimate`` is the raw
        p_t - p_c for every method.

    Notes
    -----
    The MN/Mee limits are the roots of the score statistic with the restricted MLE in closed form (the
    cubic of Miettinen & Nurminen 1985 / Farrington & Manning 1990), found for all tables at once by
    Illinois iteration to about 1e-13; the upper limit is minus the lower limit of the arm-swapped table.
    Tables with both arms at 0% (or 100%), or one arm at 0% and the other at 100%, use the closed forms
    of the score equation, e.g. 0/10 vs 0/20 gives (-0.1657585, 0.2843637) (MN 1985, example 4).

    ``exact`` inverts two one-sided exact unconditional tests, each at level alpha/2 (Chan & Zhang 1999;
    Fagerland, Lydersen & Laake 2017, section 4.5). For a candidate delta every table with the observed arm
    sizes is ordered by the score statistic Z(delta) = (p_t - p_c - delta)/sqrt(V~(delta)), V~ the variance
    at the restricted MLE (the Farrington-Manning/Mee form; the Miettinen-Nurminen factor N/(N - 1) is
    common to all tables and does not change the order). The p-value is the maximum over the nuisance
    parameter p_c in [max(0, -delta), min(1, 1 - delta)] of P(Z(delta) >= z_obs), maximised on 1,001
    equally spaced values (end points included) after which the three highest local maxima are refined by
    four rounds of 21-point zooms (final spacing about 1e-7 of the range). The lower limit is the delta,
    found by bisection on (-1, estimate) to 1e-8, where this p-value reaches alpha/2; the upper limit is minus
    the lower limit of the arm-swapped table (the lower-tail test), so swapping the arms mirrors the interval
    exactly. Bisection assumes the p-value crosses alpha/2 once, as in the published algorithms. Exact
    intervals are usually wider than ``mn`` and never need a zero-cell correction. Cost: all
    (n_t + 1)(n_c + 1) tables are enumerated (vectorised) for each of about 2 x 28 candidate deltas, once
    per distinct input table: about 0.2 s for 34 vs 34, 0.5 s for 100 vs 100 and 3-5 s for 400-500 per arm
    on a 2-core machine. Tables with n_t * n_c above 250,000 are refused with a :class:`DataError` naming
    the position (use ``mn`` there; the exact interval is meant for small trials). For 7/34 vs 1/34 the
    result is (0.0194, 0.3584), published as 0.019 to 0.36 (Fagerland et al. 2015).

    Examples
    --------
    >>> from fmtrials import risk_difference
    >>> risk_difference(56, 70, 48, 80, ci="mn").round(4)[["estimate", "ci_low", "ci_high"]]
       estimate  ci_low  ci_high
    0       0.2  0.0528   0.3382
    >>> risk_difference(7, 34, 1, 34, ci="exact").round(3)[["ci_low", "ci_high"]]
       ci_low  ci_high
    0   0.019    0.358
    """
    ci = _choice(ci, RD_METHODS, "ci")
    alpha = check_alpha(alpha)
    x1, n1, x2, n2 = _counts(x_t, n_t, x_c, n_c)
    lo, hi = _rd_interval(x1, n1, x2, n2, ci, alpha)
    p1 = x1 / n1
    p2 = x2 / n2
    return _frame(x1, n1, x2, n2, p_t=p1, p_c=p2, estimate=p1 - p2, ci_low=lo, ci_high=hi, method=ci,
                  alpha=alpha)


# ----------------------------------------------------------------------------------------------------------
# risk ratio and odds ratio
# ----------------------------------------------------------------------------------------------------------
def _zero_cell(x1, n1, x2, n2) -> np.ndarray:
    return (x1 == 0) | (x1 == n1) | (x2 == 0) | (x2 == n2)


def _rmle_ratio(x1, n1, x2, n2, phi):
    """Restricted MLE (p1, p2) under p1 = phi * p2 (Miettinen & Nurminen 1985, quadratic)."""
    big_a = (n1 + n2) * phi
    big_b = -(n1 * phi + x1 + n2 + x2 * phi)
    big_c = x1 + x2
    disc = np.sqrt(np.maximum(big_b * big_b - 4.0 * big_a * big_c, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        pt2 = np.where(big_c > 0, 2.0 * big_c / (-big_b + disc), 0.0)
    pt2 = np.clip(pt2, 0.0, 1.0)
    pt1 = np.clip(phi * pt2, 0.0, 1.0)
    return pt1, pt2


def _rr_score_lower(x1, n1, x2, n2, z, factor):
    """Lower score limit for p1/p2 (Koopman without, MN with the N/(N-1) factor); bisection in s = phi/(1+phi)."""
    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    big_n = n1 + n2
    k = big_n / (big_n - 1.0) if factor else np.ones_like(big_n)
    p1 = x1 / n1
    p2 = x2 / n2
    out = np.zeros_like(p1)
    all1 = (x1 == n1) & (x2 == n2)
    out[all1] = (1.0 / (1.0 + z * z * k / n1))[all1]
    gen = (x1 > 0) & ~all1
    if gen.any():
        gx1, gn1, gx2, gn2, gp1, gp2, gk = (v[gen] for v in (x1, n1, x2, n2, p1, p2, k))
        s_hat = np.where(gx2 > 0, gp1 / (gp1 + gp2), 1.0)  # phi_hat / (1 + phi_hat)

        def outside(s):
            with np.errstate(divide="ignore", invalid="ignore"):
                phi = s / (1.0 - s)
                pt1, pt2 = _rmle_ratio(gx1, gn1, gx2, gn2, phi)
                var = pt1 * (1 - pt1) / gn1 + phi * phi * pt2 * (1 - pt2) / gn2
                num = gp1 - phi * gp2
            return (num > 0) & (num * num > z * z * gk * var)

        s = _bisect_bool(outside, np.zeros_like(s_hat), s_hat, iters=60)
        out[gen] = s / (1.0 - s)
    return out


def _rmle_or(x1, n1, x2, n2, psi):
    """Restricted MLE (p1, p2) under odds ratio psi: n1 p1 + n2 p2 = x1 + x2 (quadratic in p2)."""
    m = x1 + x2
    big_a = n2 * (psi - 1.0)
    big_b = n1 * psi + n2 - m * (psi - 1.0)
    disc = np.sqrt(np.maximum(big_b * big_b + 4.0 * big_a * m, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        pt2 = np.where(big_b >= 0, 2.0 * m / (big_b + disc), (disc - big_b) / (2.0 * big_a))
    pt2 = np.clip(np.nan_to_num(pt2, nan=0.0), 0.0, 1.0)
    pt1 = np.clip((m - n2 * pt2) / n1, 0.0, 1.0)
    return pt1, pt2


def _or_score_lower(x1, n1, x2, n2, z, factor):
    """Lower MN score limit for the odds ratio; bisection in s = psi/(1+psi)."""
    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    big_n = n1 + n2
    k = big_n / (big_n - 1.0) if factor else np.ones_like(big_n)
    out = np.zeros_like(x1)
    gen = (x1 > 0) & (x2 < n2) & ~((x1 == n1) & (x2 == n2)) & ~((x1 == 0) & (x2 == 0))
    if gen.any():
        gx1, gn1, gx2, gn2, gk = (v[gen] for v in (x1, n1, x2, n2, k))
        with np.errstate(divide="ignore"):
            s_hat = np.where((gx1 < gn1) & (gx2 > 0),
                             1.0 / (1.0 + ((gn1 - gx1) * gx2) / (gx1 * (gn2 - gx2))), 1.0)

        def outside(s):
            with np.errstate(divide="ignore", invalid="ignore"):
                psi = s / (1.0 - s)
                pt1, pt2 = _rmle_or(gx1, gn1, gx2, gn2, psi)
                v1 = gn1 * pt1 * (1 - pt1)
                v2 = gn2 * pt2 * (1 - pt2)
                info = v1 * v2 / (v1 + v2)  # variance of x1 - n1 pt1 under the null
                u = gx1 - gn1 * pt1
            return (u > 0) & (u * u > z * z * gk * info)

        s = _bisect_bool(outside, np.zeros_like(s_hat), s_hat, iters=60)
        out[gen] = s / (1.0 - s)
    return out


def _swap_upper(lower_fn, x1, n1, x2, n2, *args):
    """Upper limit of a ratio measure as 1 / (lower limit of the arm-swapped table)."""
    with np.errstate(divide="ignore"):
        return 1.0 / lower_fn(x2, n2, x1, n1, *args)


def _ratio_inputs(x_t: Any, n_t: Any, x_c: Any, n_c: Any, ci: str, methods: tuple[str, ...], alpha: float,
                  cc: float):
    """Validated inputs shared by the ratio measures: method, alpha, cc, counts, z and both arm rates."""
    ci = _choice(ci, methods, "ci")
    alpha = check_alpha(alpha)
    cc = _check_cc(cc)
    x1, n1, x2, n2 = _counts(x_t, n_t, x_c, n_c)
    return ci, alpha, cc, (x1, n1, x2, n2), _z(alpha), x1 / n1, x2 / n2


def risk_ratio(x_t: Any, n_t: Any, x_c: Any, n_c: Any, ci: Literal["katz", "koopman", "mn"] = "katz",
               alpha: float = 0.05, cc: float = 0.5) -> pd.DataFrame:
    """Risk ratio p_t / p_c with a confidence interval, one row per table.

    Parameters
    ----------
    x_t, n_t, x_c, n_c : int or array-like
        Counts (broadcast).
    ci : {"katz", "koopman", "mn"}
        ``katz``: Wald interval on the log scale (Katz et al. 1978). ``koopman``: score interval (Koopman
        1984). ``mn``: Miettinen-Nurminen score interval (the Koopman statistic times (N - 1)/N).
    alpha : float
        Two-sided level.
    cc : float
        Zero-cell correction for ``katz`` only: a table with a zero cell (no events or all events in an
        arm) gets ``cc`` added to all four cells, as metafor ``escalc(add=1/2, to="only0")`` and RevMan.
        The score methods need no correction.

    Returns
    -------
    pandas.DataFrame
        ``x_t, n_t, x_c, n_c, p_t, p_c, estimate, ci_low, ci_high, method, correction, alpha``.
        ``correction`` is the amount added to each cell (0 where nothing was added); for corrected rows the
        ``estimate`` is computed from the corrected table (as metafor reports it). For the score methods the
        estimate is the raw ratio: 0 if x_t = 0, inf if x_c = 0, NaN if both are 0 (interval (0, inf)).

    Examples
    --------
    >>> from fmtrials import risk_ratio
    >>> risk_ratio(7, 34, 1, 34, ci="koopman").round(4)[["estimate", "ci_low", "ci_high"]]
       estimate  ci_low  ci_high
    0       7.0  1.2209  42.5757
    """
    ci, alpha, cc, (x1, n1, x2, n2), z, p1, p2 = _ratio_inputs(x_t, n_t, x_c, n_c, ci, RR_METHODS, alpha, cc)
    if ci == "katz":
        corr = np.where(_zero_cell(x1, n1, x2, n2), cc, 0.0)
        a, m1, c, m2 = x1 + corr, n1 + 2 * corr, x2 + corr, n2 + 2 * corr
        with np.errstate(divide="ignore", invalid="ignore"):
            log_rr = np.log(a / m1) - np.log(c / m2)
            se = np.sqrt(1.0 / a - 1.0 / m1 + 1.0 / c - 1.0 / m2)
        est, lo, hi = np.exp(log_rr), np.exp(log_rr - z * se), np.exp(log_rr + z * se)
    else:
        factor = ci == "mn"
        corr = np.zeros(x1.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            est = p1 / p2
        lo = _by_chunks(lambda *v: _rr_score_lower(*v, z, factor), x1, n1, x2, n2)
        hi = _by_chunks(lambda a1, b1, a2, b2: _swap_upper(_rr_score_lower, a1, b1, a2, b2, z, factor),
                        x1, n1, x2, n2)
    return _frame(x1, n1, x2, n2, p_t=p1, p_c=p2, estimate=est, ci_low=lo, ci_high=hi, method=ci,
                  correction=corr, alpha=alpha)


def _check_cc(cc: float) -> float:
    try:
        v = float(cc)
    except (TypeError, ValueError):
        v = float("nan")
    if not (v > 0 and math.isfinite(v)):
        raise DataError(Problem(f"zero-cell correction must be a positive number, got {cc!r}",
                                file="<arguments>", column="cc"))
    return v


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
def _or_exact_one(x1: int, n1: int, x2: int, n2: int, alpha: float) -> tuple[float, float, float]:
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


def odds_ratio(x_t: Any, n_t: Any, x_c: Any, n_c: Any, ci: Literal["woolf", "mn", "exact"] = "woolf",
               alpha: float = 0.05, cc: float = 0.5) -> pd.DataFrame:
    """Odds ratio of treatment vs control with a confidence interval, one row per table.

    Parameters
    ----------
    x_t, n_t, x_c, n_c : int or array-like
        Counts (broadcast).
    ci : {"woolf", "mn", "exact"}
        ``woolf``: Wald interval on the log scale (Woolf 1955); ``mn``: Miettinen-Nurminen score interval
        (with the (N - 1)/N factor); ``exact``: conditional exact (Cornfield) interval with the conditional
        MLE as estimate, as R ``fisher.test`` (computed per distinct table, to about 1e-12).
    alpha : float
        Two-sided level.
    cc : float
        Zero-cell correction for ``woolf`` only: added to all four cells of a table with a zero cell
        (metafor ``add=1/2, to="only0"``). The ``mn`` and ``exact`` methods use the raw counts.

    Returns
    -------
    pandas.DataFrame
        ``x_t, n_t, x_c, n_c, p_t, p_c, estimate, ci_low, ci_high, method, correction, alpha``. For
        ``woolf`` the estimate of a corrected row comes from the corrected table. For ``mn`` the estimate is
        the sample odds ratio (0 or inf with a zero cell, NaN when both arms are 0% or both 100%, interval
        (0, inf)); for ``exact`` the conditional MLE.

    Examples
    --------
    >>> from fmtrials import odds_ratio
    >>> odds_ratio(7, 34, 1, 34, ci="exact").round(2)[["estimate", "ci_low", "ci_high"]]
       estimate  ci_low  ci_high
    0      8.33    0.97   396.99
    """
    ci, alpha, cc, (x1, n1, x2, n2), z, p1, p2 = _ratio_inputs(x_t, n_t, x_c, n_c, ci, OR_METHODS, alpha, cc)
    corr = np.zeros(x1.shape)
    if ci == "woolf":
        corr = np.where(_zero_cell(x1, n1, x2, n2), cc, 0.0)
        a, b, c, d = x1 + corr, n1 - x1 + corr, x2 + corr, n2 - x2 + corr
        log_or = np.log(a) + np.log(d) - np.log(b) - np.log(c)
        se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        est, lo, hi = np.exp(log_or), np.exp(log_or - z * se), np.exp(log_or + z * se)
    elif ci == "mn":
        with np.errstate(divide="ignore", invalid="ignore"):
            est = (x1 * (n2 - x2)) / ((n1 - x1) * x2.astype(float))
        lo = _by_chunks(lambda *v: _or_score_lower(*v, z, True), x1, n1, x2, n2)
        hi = _by_chunks(lambda a1, b1, a2, b2: _swap_upper(_or_score_lower, a1, b1, a2, b2, z, True),
                        x1, n1, x2, n2)
    else:
        res = _per_distinct_table(x1, n1, x2, n2, lambda *t: _or_exact_one(*t, alpha))
        est, lo, hi = res[:, 0], res[:, 1], res[:, 2]
    return _frame(x1, n1, x2, n2, p_t=p1, p_c=p2, estimate=est, ci_low=lo, ci_high=hi, method=ci,
                  correction=corr, alpha=alpha)


def _per_distinct_table(x1, n1, x2, n2, fn: Callable[..., tuple[float, ...]]) -> np.ndarray:
    """Evaluate the scalar function ``fn(x1, n1, x2, n2)`` once per distinct table; rows in input order."""
    tables = np.stack([x1, n1, x2, n2], axis=1)
    uniq, inverse = np.unique(tables, axis=0, return_inverse=True)
    vals = np.array([fn(*(int(v) for v in row)) for row in uniq], dtype=float).reshape(len(uniq), -1)
    return vals[np.asarray(inverse).ravel()]


# ----------------------------------------------------------------------------------------------------------
# number needed to treat
# ----------------------------------------------------------------------------------------------------------
def _nnt_frame(rd: np.ndarray, lo: np.ndarray, hi: np.ndarray, event: str, digits: int) -> dict[str, Any]:
    """Altman (1998) NNT columns from a risk difference and its interval.

    ``event="beneficial"``: a positive RD is benefit (NNTB); ``"harmful"``: a positive RD is harm (NNTH).
    """
    rd = np.asarray(rd, dtype=float)
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    sign = 1.0 if event == "beneficial" else -1.0
    ben, ben_lo, ben_hi = sign * rd, np.minimum(sign * lo, sign * hi), np.maximum(sign * lo, sign * hi)
    with np.errstate(divide="ignore"):
        nnt = np.where(ben == 0, np.inf, 1.0 / np.abs(ben))
        inv_lo = np.where(ben_lo == 0, np.inf, 1.0 / np.abs(ben_lo))
        inv_hi = np.where(ben_hi == 0, np.inf, 1.0 / np.abs(ben_hi))
    kind = np.where(ben > 0, "NNTB", np.where(ben < 0, "NNTH", "NNT"))
    crosses = (ben_lo < 0) & (ben_hi > 0)
    # limit on the side of the estimate first (Altman): benefit side is ben_hi, harm side is ben_lo
    # (an estimate of exactly 0 counts as the benefit side: its benefit limit is printed first)
    first = np.where(ben >= 0, inv_hi, inv_lo)
    second = np.where(ben >= 0, inv_lo, inv_hi)
    first_kind = np.where(ben >= 0, "NNTB", "NNTH")
    second_kind = np.where(crosses, np.where(ben >= 0, "NNTH", "NNTB"), first_kind)
    labels = []
    for i in range(rd.size):
        labels.append(_nnt_label(nnt[i], kind[i], first[i], first_kind[i], second[i], second_kind[i],
                                 bool(crosses[i]), digits))
    return {"nnt": nnt, "nnt_type": kind, "ci_low": first, "ci_high": second, "ci_low_type": first_kind,
            "ci_high_type": second_kind, "crosses_zero": crosses, "label": labels}


def _fmt(v: float, digits: int) -> str:
    return "∞" if not math.isfinite(v) else f"{v:.{digits}f}"


def _nnt_label(nnt, kind, a, akind, b, bkind, crosses, digits) -> str:
    head = "NNT ∞" if not math.isfinite(nnt) else f"{kind} {_fmt(nnt, digits)}"
    if crosses:
        return f"{head} ({akind} {_fmt(a, digits)} to ∞ to {bkind} {_fmt(b, digits)})"
    return f"{head} ({_fmt(a, digits)} to {_fmt(b, digits)})"


def nnt(x_t: Any, n_t: Any, x_c: Any, n_c: Any,
        ci: Literal["wald", "wald_cc", "agresti_caffo", "newcombe", "mn", "mee", "exact"] = "newcombe",
        alpha: float = 0.05, event: Literal["beneficial", "harmful"] = "beneficial",
        digits: int = 1) -> pd.DataFrame:
    """Number needed to treat (Altman 1998) from the risk difference and its interval.

    Parameters
    ----------
    x_t, n_t, x_c, n_c : int or array-like
        Counts (broadcast).
    ci : str
        Risk-difference interval method (see :func:`risk_difference`); Bender (2001) recommends a score
        method such as ``newcombe`` over ``wald``.
    alpha : float
        Two-sided level.
    event : {"beneficial", "harmful"}
        Whether the counted event is good (responders: more on treatment is benefit, NNTB) or bad (adverse
        events: more on treatment is harm, NNTH).
    digits : int
        Decimals in ``label``.

    Returns
    -------
    pandas.DataFrame
        ``x_t, n_t, x_c, n_c, rd, rd_low, rd_high, nnt, nnt_type, ci_low, ci_high, ci_low_type,
        ci_high_type, crosses_zero, label, method, event, alpha``. ``nnt`` = 1/|RD| (inf when RD = 0) and
        ``nnt_type`` is ``NNTB`` or ``NNTH``. The interval limits are positive and given in Altman's printing
        order: ``ci_low`` is the limit on the side of the estimate, ``ci_high`` the other one; when the RD
        interval includes 0 they lie on opposite sides (types differ) and ``label`` reads e.g.
        ``"NNTB 10.0 (NNTB 4.0 to ∞ to NNTH 20.0)"``; otherwise e.g. ``"NNTB 6.0 (3.1 to 111.1)"``.
        The RD interval behind it is in ``rd, rd_low, rd_high``.

    Examples
    --------
    >>> from fmtrials import nnt
    >>> nnt(103, 516, 56, 509)["label"].iloc[0]
    'NNTB 11.2 (7.5 to 22.0)'
    """
    ci = _choice(ci, RD_METHODS, "ci")
    event = _choice(event, ("beneficial", "harmful"), "event")
    rd = risk_difference(x_t, n_t, x_c, n_c, ci=ci, alpha=alpha)
    cols = _nnt_frame(rd["estimate"].to_numpy(), rd["ci_low"].to_numpy(), rd["ci_high"].to_numpy(), event,
                      digits)
    out = rd[["x_t", "n_t", "x_c", "n_c"]].copy()
    out["rd"] = rd["estimate"]
    out["rd_low"] = rd["ci_low"]
    out["rd_high"] = rd["ci_high"]
    for key, val in cols.items():
        out[key] = val
    out["method"] = ci
    out["event"] = event
    out["alpha"] = rd["alpha"]
    return out


# ----------------------------------------------------------------------------------------------------------
# tests
# ----------------------------------------------------------------------------------------------------------
def _p_from_z(zstat: np.ndarray, alternative: str) -> np.ndarray:
    if alternative == "two-sided":
        return np.minimum(1.0, 2.0 * stats.norm.sf(np.abs(zstat)))
    if alternative == "greater":
        return stats.norm.sf(zstat)
    return stats.norm.cdf(zstat)


def _chi2_stats(x1, n1, x2, n2, yates: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pearson (or Yates) chi-square, signed z and a mask of tables with a zero margin."""
    a, b, c, d = (np.asarray(v, dtype=float) for v in (x1, n1 - x1, x2, n2 - x2))
    big_n = a + b + c + d
    diff = a * d - b * c
    den = (a + b) * (c + d) * (a + c) * (b + d)
    degenerate = den == 0
    # Yates: every cell moves min(1/2, |O - E|) towards E, as R chisq.test and scipy chi2_contingency
    num = np.maximum(np.abs(diff) - big_n / 2.0, 0.0) if yates else np.abs(diff)
    with np.errstate(invalid="ignore", divide="ignore"):
        chi2 = np.where(degenerate, 0.0, big_n * num * num / np.where(degenerate, 1.0, den))
    return chi2, np.sign(diff) * np.sqrt(chi2), degenerate


def _score_z(x1, n1, x2, n2, delta0: float) -> np.ndarray:
    """Miettinen-Nurminen score statistic for H0: p1 - p2 = delta0 (with the N/(N-1) factor)."""
    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    p1 = x1 / n1
    p2 = x2 / n2
    big_n = n1 + n2
    var = _score_var_diff(p1, p2, n1, n2, np.full(p1.shape, float(delta0))) * big_n / (big_n - 1.0)
    num = p1 - p2 - delta0
    with np.errstate(invalid="ignore", divide="ignore"):
        zs = np.where(var > 0, num / np.sqrt(np.where(var > 0, var, 1.0)),
                      np.where(num == 0, 0.0, np.copysign(np.inf, num)))
    return zs


@lru_cache(maxsize=4096)
def _exact_test_one(x1: int, n1: int, x2: int, n2: int, method: str, alternative: str,
                    sobol_n: int) -> tuple[float, float]:
    if method == "fisher":
        res = stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]], alternative=alternative)
        return float(res.statistic), float(res.pvalue)
    # scipy's unconditional tests take the two samples as COLUMNS: column 1 = treatment
    table = [[x1, x2], [n1 - x1, n2 - x2]]
    if (x1 + x2 == 0) or (x1 + x2 == n1 + n2):  # no variation: both statistics undefined, p = 1
        return math.nan, 1.0
    fn = stats.barnard_exact if method == "barnard" else stats.boschloo_exact
    with np.errstate(all="ignore"):
        res = fn(table, alternative=alternative, n=sobol_n)
    return float(res.statistic), float(res.pvalue)


def proportions_test(x_t: Any, n_t: Any, x_c: Any, n_c: Any, *,
                     test: Literal["chi2", "yates", "fisher", "barnard", "boschloo", "score"] = "chi2",
                     alternative: Literal["two-sided", "less", "greater"] = "two-sided", delta0: float = 0.0,
                     sobol_n: int = 32) -> pd.DataFrame:
    """Test for a 2x2 table (treatment vs control), one row per table.

    Parameters
    ----------
    x_t, n_t, x_c, n_c : int or array-like
        Counts (broadcast).
    test : str
        ``chi2``: Pearson chi-square; ``yates``: with Yates' continuity correction (each cell moved by
        min(1/2, |O - E|), as R ``chisq.test`` and scipy); ``fisher``: Fisher's exact test (scipy
        ``fisher_exact``; two-sided p sums tables no more probable than the observed one, as R);
        ``barnard`` / ``boschloo``: exact unconditional tests (scipy, pooled Wald statistic for Barnard,
        ``sobol_n`` points for the nuisance parameter); ``score``: Miettinen-Nurminen score test of
        p_t - p_c = ``delta0`` (the pooled z with the N/(N-1) factor when ``delta0 = 0``).
        ``chi2``, ``yates`` and ``score`` are vectorised; the exact tests run once per distinct table.
    alternative : {"two-sided", "less", "greater"}
        ``greater``: p_t > p_c (odds ratio > 1). For ``chi2``/``yates`` a one-sided p-value uses the signed
        square root of the statistic against the normal distribution.
    delta0 : float
        Null risk difference for ``score`` only (non-inferiority/superiority margins).
    sobol_n : int
        Sobol points for ``barnard``/``boschloo`` (scipy's ``n``).

    Returns
    -------
    pandas.DataFrame
        ``x_t, n_t, x_c, n_c, statistic, statistic_name, p_value, test, alternative``. ``statistic_name``
        is ``chi2`` (two-sided chi2/yates), ``z`` (one-sided chi2/yates, score, barnard), ``sample_or``
        (fisher) or ``fisher_p`` (boschloo). A table in which nobody or everybody had the event carries no
        evidence of a difference: chi2/yates then give statistic 0 and p = 1 (R returns NaN; Fisher gives 1).

    Examples
    --------
    >>> from fmtrials import effects
    >>> effects.proportions_test(3, 4, 1, 4, test="chi2")[["statistic", "p_value"]].round(5)
       statistic  p_value
    0        2.0   0.1573
    """
    method = _choice(test, TEST_METHODS, "test")
    alternative = _choice(alternative, _ALTERNATIVES, "alternative")
    x1, n1, x2, n2 = _counts(x_t, n_t, x_c, n_c)
    if method in ("chi2", "yates"):
        chi2, zs, degenerate = _chi2_stats(x1, n1, x2, n2, yates=method == "yates")
        if alternative == "two-sided":
            stat, name = chi2, "chi2"
            p = stats.chi2.sf(chi2, 1)
        else:
            stat, name = zs, "z"
            p = _p_from_z(zs, alternative)
        p = np.where(degenerate, 1.0, p)
    elif method == "score":
        try:
            d0 = float(delta0)
        except (TypeError, ValueError):
            d0 = math.nan
        if not -1.0 < d0 < 1.0:
            raise DataError(Problem(f"delta0 must be in (-1, 1), got {delta0!r}", file="<arguments>",
                                    column="delta0"))
        stat, name = _score_z(x1, n1, x2, n2, d0), "z"
        p = _p_from_z(stat, alternative)
    else:
        res = _per_distinct_table(x1, n1, x2, n2,
                                  lambda *t: _exact_test_one(*t, method, alternative, int(sobol_n)))
        stat, p = res[:, 0], res[:, 1]
        name = {"fisher": "sample_or", "barnard": "z", "boschloo": "fisher_p"}[method]
    return _frame(x1, n1, x2, n2, statistic=stat, statistic_name=name, p_value=np.minimum(p, 1.0),
                  test=method, alternative=alternative)


proportions_test.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name

"""Score intervals: the lower limits that the score intervals of :mod:`.difference` (Miettinen-Nurminen, Mee,
Newcombe) and :mod:`.ratios` (Koopman, Miettinen-Nurminen) are made of.

They live below both public modules and below :mod:`.exact`, whose exact searches start from a score limit
(the Chan-Zhang search at the Miettinen-Nurminen limit, the exact risk-ratio search at the Koopman limit), so
that no module calls back up into a public function.
"""

from __future__ import annotations

import numpy as np

from ._rmle import DiffCubic, rmle_or, rmle_ratio
from ._solvers import CHUNK, bisect_bool, illinois
from .proportion import wilson

__all__ = ["mn_lower", "newcombe_lower", "rd_score_limits", "rr_score_lower", "or_score_lower"]


def _phi_lower(delta, dhat, zk, *cubic):
    """(d - delta) - z sqrt(k V(delta)): positive below the lower score limit, negative above it."""
    return (dhat - delta) - zk * np.sqrt(np.maximum(DiffCubic.variance(delta, *cubic), 0.0))


def mn_lower(
    x1: np.ndarray,
    n1: np.ndarray,
    x2: np.ndarray,
    n2: np.ndarray,
    z: float,
    factor: bool,
    start: np.ndarray | None = None,
) -> np.ndarray:
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
        out[gen] = illinois(
            _phi_lower,
            np.full(gd.shape, -1.0),
            gd + 1.0,
            gd.copy(),
            -zk * wald_sd,
            params=(gd, zk, *DiffCubic.params(gp1, gp2, gn1, gn2)),
            x0=x0,
        )
    return out


def newcombe_lower(x1, n1, x2, n2, z):
    """Lower limit of Newcombe's hybrid score interval: d - sqrt((p1 - l1)^2 + (u2 - p2)^2)."""
    f1 = x1 / n1
    f2 = x2 / n2
    l1 = wilson(x1, n1, z)[0]
    u2 = wilson(x2, n2, z)[1]
    e1 = f1 - l1
    e2 = u2 - f2
    return (f1 - f2) - np.sqrt(e1 * e1 + e2 * e2)


def rd_score_limits(x1, n1, x2, n2, z, factor: bool):
    """MN (``factor``) or Mee limits: lower limits directly, upper ones as minus the lower limits of the
    arm-swapped tables (exact mirror symmetry); both solved together, in chunks."""

    def both(a1, b1, a2, b2):
        xa, na, xb, nb = (
            np.concatenate([a1, a2]),
            np.concatenate([b1, b2]),
            np.concatenate([a2, a1]),
            np.concatenate([b2, b1]),
        )
        start = newcombe_lower(xa, na, xb, nb, z)
        return mn_lower(xa, na, xb, nb, z, factor, start=start)

    n = x1.shape[0]
    step = max(CHUNK // 2, 1)
    lo = np.empty(n)
    hi = np.empty(n)
    for start in range(0, n, step):
        sl = slice(start, start + step)
        r = both(x1[sl], n1[sl], x2[sl], n2[sl])
        m = r.shape[0] // 2
        lo[sl] = r[:m]
        hi[sl] = -r[m:]
    return lo, hi


def rr_score_lower(x1, n1, x2, n2, z, factor):
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
                pt1, pt2 = rmle_ratio(gx1, gn1, gx2, gn2, phi)
                var = pt1 * (1 - pt1) / gn1 + phi * phi * pt2 * (1 - pt2) / gn2
                num = gp1 - phi * gp2
            return (num > 0) & (num * num > z * z * gk * var)

        s = bisect_bool(outside, np.zeros_like(s_hat), s_hat, iters=60)
        out[gen] = s / (1.0 - s)
    return out


def or_score_lower(x1, n1, x2, n2, z, factor):
    """Lower MN score limit for the odds ratio; bisection in s = psi/(1+psi)."""
    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    big_n = n1 + n2
    k = big_n / (big_n - 1.0) if factor else np.ones_like(big_n)
    out = np.zeros_like(x1)
    gen = (x1 > 0) & (x2 < n2) & ~((x1 == n1) & (x2 == n2)) & ~((x1 == 0) & (x2 == 0))
    if gen.any():
        gx1, gn1, gx2, gn2, gk = (v[gen] for v in (x1, n1, x2, n2, k))
        with np.errstate(divide="ignore"):
            s_hat = np.where((gx1 < gn1) & (gx2 > 0), 1.0 / (1.0 + ((gn1 - gx1) * gx2) / (gx1 * (gn2 - gx2))), 1.0)

        def outside(s):
            with np.errstate(divide="ignore", invalid="ignore"):
                psi = s / (1.0 - s)
                pt1, pt2 = rmle_or(gx1, gn1, gx2, gn2, psi)
                v1 = gn1 * pt1 * (1 - pt1)
                v2 = gn2 * pt2 * (1 - pt2)
                info = v1 * v2 / (v1 + v2)  # variance of x1 - n1 pt1 under the null
                u = gx1 - gn1 * pt1
            return (u > 0) & (u * u > z * z * gk * info)

        s = bisect_bool(outside, np.zeros_like(s_hat), s_hat, iters=60)
        out[gen] = s / (1.0 - s)
    return out

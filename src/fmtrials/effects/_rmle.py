"""Restricted maximum-likelihood estimates of two proportions under a null value of a contrast.

The score intervals and tests need (p1~, p2~), the MLE of the two proportions under p1 - p2 = delta, p1/p2 =
phi or odds ratio psi; all three have closed forms, computed here elementwise for many tables at once:

* risk difference: the cubic of Miettinen & Nurminen (1985, appendix) / Farrington & Manning (1990);
* risk ratio: a quadratic in p2 (Miettinen & Nurminen 1985);
* odds ratio: a quadratic in p2 given the margin n1 p1 + n2 p2 = x1 + x2.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DiffCubic", "score_var_diff", "rmle_ratio", "rmle_or"]


class DiffCubic:
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
        return (p1, s0, theta + 2.0, s1, s2, 1.0 / (3.0 * a), 1.0 / (6.0 * a * a), 1.0 / (2.0 * a), 1.0 / n1, 1.0 / n2)

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


def score_var_diff(p1, p2, n1, n2, delta):
    """Variance of p1^ - p2^ at the restricted MLE under p1 - p2 = delta."""
    return DiffCubic.variance(delta, *DiffCubic.params(p1, p2, n1, n2))


def rmle_ratio(x1, n1, x2, n2, phi):
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


def rmle_or(x1, n1, x2, n2, psi):
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

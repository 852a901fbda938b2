"""The test statistics of a 2x2 table and the small pieces the exact tests share: the one module below
:mod:`fmtrials.effects.tests` (``proportions_test``) and the all-tables engines (:mod:`._alltables`,
:mod:`._allp`), so that none of them imports another at run time."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special, stats

from ._rmle import score_var_diff
from ._unconditional import row_runs, sup_tail

__all__: list[str] = []  # private module

# tables whose statistic equals the observed one up to this relative rounding belong to the tail (scipy
# boschloo_exact uses the same 1e-13 for the Fisher p-value ordering)
_TIE_RTOL = 1e-13


def _no_variation(x1, n1, x2, n2) -> Any:
    """Tables in which nobody or everybody had the event (a zero margin): they carry no evidence of a difference.

    The one rule of :func:`proportions_test` for them: p = 1 for every test and alternative; the statistic is
    0 for the z and chi-square statistics (chi2, yates, score with ``delta0 = 0``, barnard), 1 for Boschloo's
    (a one-sided Fisher p-value) and NaN for Fisher's sample odds ratio (0/0, as R and scipy).
    """
    return (np.asarray(x1) + np.asarray(x2) == 0) | (np.asarray(x1) + np.asarray(x2) == np.asarray(n1) + np.asarray(n2))


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
    var = score_var_diff(p1, p2, n1, n2, np.full(p1.shape, float(delta0))) * big_n / (big_n - 1.0)
    num = p1 - p2 - delta0
    with np.errstate(invalid="ignore", divide="ignore"):
        zs = np.where(
            var > 0, num / np.sqrt(np.where(var > 0, var, 1.0)), np.where(num == 0, 0.0, np.copysign(np.inf, num))
        )
    return zs


def _barnard_z(n1: int, n2: int) -> np.ndarray:
    """Pooled Wald statistic of every table (x1 rows, x2 columns), computed as scipy ``barnard_exact``."""
    x1 = np.arange(n1 + 1).reshape(-1, 1)
    x2 = np.arange(n2 + 1).reshape(1, -1)
    p1, p2 = x1 / n1, x2 / n2
    p = (x1 + x2) / (n1 + n2)
    var = p * (1 - p) * (1 / n1 + 1 / n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        zs = (p1 - p2) / np.sqrt(var)
    zs[np.broadcast_to(p1 == p2, zs.shape)] = 0.0
    return zs


def _fisher_one_sided(n1: int, n2: int, upper: bool) -> np.ndarray:
    """One-sided Fisher p-value P(X1 <= x1 | x1 + x2) (or >= when ``upper``) of every table, shape (n1+1, n2+1).

    The hypergeometric probabilities of all tables are laid out by margin m = x1 + x2 and summed along x1.
    """
    big_n = n1 + n2
    x1 = np.arange(n1 + 1).reshape(-1, 1)
    x2 = np.arange(n2 + 1).reshape(1, -1)
    m = x1 + x2
    log_pmf = _log_comb(n1)[x1] + _log_comb(n2)[x2] - _log_comb(big_n)[m]
    by_margin = np.zeros((big_n + 1, n1 + 1))
    mm = np.broadcast_to(m, log_pmf.shape)
    kk = np.broadcast_to(x1, log_pmf.shape)
    by_margin[mm, kk] = np.exp(log_pmf)
    if upper:
        cum = np.cumsum(by_margin[:, ::-1], axis=1)[:, ::-1]
    else:
        cum = np.cumsum(by_margin, axis=1)
    return cum[mm, kk]


def _log_comb(n: int) -> np.ndarray:
    k = np.arange(n + 1, dtype=float)
    return special.gammaln(n + 1.0) - special.gammaln(k + 1.0) - special.gammaln(n - k + 1.0)


def _unconditional_p(tail: np.ndarray, n1: int, n2: int) -> float:
    if tail.all():
        return 1.0
    return sup_tail(*row_runs(tail), n1, n2)


def _chi2_test(x1, n1, x2, n2, yates: bool, alternative: str):
    """(statistic, its name, p): chi-square for two-sided, the signed root against N(0, 1) for one-sided."""
    chi2, zs, degenerate = _chi2_stats(x1, n1, x2, n2, yates=yates)
    if alternative == "two-sided":
        stat, name, p = chi2, "chi2", stats.chi2.sf(chi2, 1)
    else:
        stat, name, p = zs, "z", _p_from_z(zs, alternative)
    return stat, name, np.where(degenerate, 1.0, p)

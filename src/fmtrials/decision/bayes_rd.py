"""Posterior of a risk difference under independent Beta priors, by quadrature (no simulation), vectorised.

With p_t ~ Beta(a + x_t, b + n_t - x_t) and p_c ~ Beta(a + x_c, b + n_c - x_c) a posteriori, the distribution
function of RD = p_t - p_c is

    P(RD <= d) = E[F_t(p_c + d)] = integral over u in (0, 1) of F_t(Q_c(u) + d) du,

with F_t the Beta distribution function of p_t and Q_c the quantile function of p_c. On the quantile scale the
integrand is bounded and smooth, so Gauss-Legendre quadrature is accurate however peaked the posteriors are;
quantiles come from a vectorised safeguarded Newton iteration (the density is the same integral of f_t).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._validation import ARGUMENTS, as_count_arrays, check_alpha, check_number
from ..errors import DataError, Problem
from ._priors import check_beta_prior

__all__ = ["BAYES_RD_COLUMNS", "bayes_risk_difference", "rd_cdf"]

#: the columns :func:`bayes_risk_difference` adds to the four counts
BAYES_RD_COLUMNS = ("mean", "median", "ci_low", "ci_high", "threshold", "p_greater", "prior_a", "prior_b", "alpha")

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(400)
_U = (_NODES + 1) / 2
_W = _WEIGHTS / 2


def _posteriors(x1, n1, x2, n2, a, b):
    return (a + x1, b + n1 - x1), (a + x2, b + n2 - x2)


def rd_cdf(d: np.ndarray, post_t: tuple[np.ndarray, np.ndarray], post_c: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """P(RD <= d) for each table (arrays of one shape); see :func:`rd_cdf_density`."""
    return rd_cdf_density(d, post_t, post_c, density=False)[0]


def rd_cdf_density(
    d: np.ndarray, post_t: tuple[np.ndarray, np.ndarray], post_c: tuple[np.ndarray, np.ndarray], density: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """P(RD <= d) for each table (arrays of one shape) and, with ``density``, the density of RD at d.

    Integrates F_t(Q_c(u) + d) over the u where 0 < Q_c(u) + d < 1 only (the integrand is 0 below and 1
    above, and clipping would put a kink inside the range), and adds P(p_c >= 1 - d) for the part where
    F_t = 1. The density is the same integral of f_t(Q_c(u) + d).
    """
    d = np.asarray(d, dtype=float)
    u0 = np.where(d < 0, special.betainc(post_c[0], post_c[1], np.clip(-d, 0.0, 1.0)), 0.0)
    u1 = np.where(d > 0, special.betainc(post_c[0], post_c[1], np.clip(1.0 - d, 0.0, 1.0)), 1.0)
    u = u0[:, None] + (u1 - u0)[:, None] * _U[None, :]
    q = np.clip(special.betaincinv(post_c[0][:, None], post_c[1][:, None], u) + d[:, None], 0.0, 1.0)
    at, bt = post_t[0][:, None], post_t[1][:, None]
    cdf = (1.0 - u1) + (u1 - u0) * (special.betainc(at, bt, q) @ _W)
    if not density:
        return cdf, None
    logpdf = (
        (at - 1) * np.log(np.where(q > 0, q, 1.0))
        + (bt - 1) * np.log(np.where(q < 1, 1 - q, 1.0))
        - special.betaln(at, bt)
    )
    pdf = np.where((q > 0) & (q < 1), np.exp(logpdf), 0.0)
    return cdf, (u1 - u0) * (pdf @ _W)


def _quantile(prob: float, post_t, post_c, start: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """The RD with P(RD <= d) = prob: safeguarded Newton (bisection when a step leaves the bracket), all tables
    at once, to 1e-12."""
    lo = np.full(start.shape, -1.0)
    hi = np.full(start.shape, 1.0)
    x = np.clip(start, -1 + 1e-12, 1 - 1e-12)
    for _ in range(60):
        f, dens = rd_cdf_density(x, post_t, post_c)
        assert dens is not None
        below = f < prob
        lo = np.where(below, x, lo)
        hi = np.where(below, hi, x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a non-finite step bisects instead
            step = x - (f - prob) / dens
        bad = ~np.isfinite(step) | (step < lo) | (step > hi)
        new = np.where(bad, (lo + hi) / 2, step)
        done = (np.abs(new - x) < 1e-12) | (hi - lo < 1e-12)
        x = new
        if done.all():
            break
    return x


def _thresholds(value: Any) -> np.ndarray:
    """Thresholds as a float array in [-1, 1], or DataError."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return np.atleast_1d(check_number(value, "threshold", low=-1.0, high=1.0))
    try:
        raw = np.asarray(value)
        if raw.dtype == bool or raw.dtype.kind not in "iuf":
            raise TypeError
        arr = np.atleast_1d(raw.astype(float))
    except (TypeError, ValueError):
        arr = np.array([np.nan])
    if arr.size == 0 or not np.all(np.isfinite(arr) & (np.abs(arr) <= 1)):
        raise DataError(
            Problem(f"must be a number (or numbers) in [-1, 1], got {value!r}", file=ARGUMENTS, column="threshold")
        )
    return arr


def bayes_risk_difference(
    events_t: Any,
    n_t: Any,
    events_c: Any,
    n_c: Any,
    *,
    prior: tuple[float, float] = (1, 1),
    threshold: float = 0.0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Posterior of the risk difference p_t - p_c with independent Beta(a, b) priors on each arm's risk.

    Parameters
    ----------
    events_t, n_t, events_c, n_c : int or array-like
        Counts (broadcast); treatment first.
    prior : (float, float)
        Beta(a, b) prior of each arm's risk, a > 0 and b > 0: (1, 1) uniform, (0.5, 0.5) Jeffreys.
    threshold : float or array-like
        ``p_greater`` is P(RD > threshold) (broadcast with the counts), threshold in [-1, 1]: 0 for any benefit (or
        harm), e.g. 0.10 for
        a difference of at least 10 percentage points.
    alpha : float
        The credible interval is the equal-tailed (1 - alpha) interval.

    Returns
    -------
    pandas.DataFrame
        ``events_t, n_t, events_c, n_c`` and :data:`BAYES_RD_COLUMNS`: posterior ``mean`` (exact: the
        difference of the Beta means), ``median``, ``ci_low``/``ci_high`` and ``p_greater``, computed by
        400-point Gauss-Legendre quadrature (absolute error below 1e-6 against adaptive quadrature in the
        tests; probabilities beyond 1 - 1e-4 are accurate in absolute, not relative, terms) and a safeguarded
        Newton iteration.

    Examples
    --------
    >>> from fmtrials import bayes_risk_difference
    >>> r = bayes_risk_difference(103, 516, 56, 509, threshold=0.05)
    >>> r[["mean", "median", "ci_low", "ci_high", "p_greater"]].round(4)
         mean  median  ci_low  ci_high  p_greater
    0  0.0892  0.0892  0.0454   0.1333     0.9602
    """
    x1, n1, x2, n2 = as_count_arrays(events_t, n_t, events_c, n_c)
    a, b = check_beta_prior(prior)
    thr = _thresholds(threshold)
    try:
        x1, n1, x2, n2, thr = (v.ravel() for v in np.broadcast_arrays(x1, n1, x2, n2, thr))
    except ValueError:
        raise DataError(Problem("does not broadcast with the counts", file=ARGUMENTS, column="threshold")) from None
    alpha = check_alpha(alpha)
    post_t, post_c = _posteriors(x1.astype(float), n1.astype(float), x2.astype(float), n2.astype(float), a, b)
    mean = post_t[0] / (post_t[0] + post_t[1]) - post_c[0] / (post_c[0] + post_c[1])
    sd = np.sqrt(sum(a_ * b_ / ((a_ + b_) ** 2 * (a_ + b_ + 1)) for a_, b_ in (post_t, post_c)))
    z = special.ndtri(np.array([0.5, alpha / 2, 1 - alpha / 2]))
    med, lo, hi = (
        _quantile(p_, post_t, post_c, mean + z_ * sd, sd) for p_, z_ in zip((0.5, alpha / 2, 1 - alpha / 2), z)
    )
    p_greater = 1.0 - rd_cdf(thr.astype(float), post_t, post_c)
    return pd.DataFrame(
        {
            "events_t": x1,
            "n_t": n1,
            "events_c": x2,
            "n_c": n2,
            "mean": mean,
            "median": med,
            "ci_low": lo,
            "ci_high": hi,
            "threshold": thr,
            "p_greater": np.clip(p_greater, 0.0, 1.0),
            "prior_a": a,
            "prior_b": b,
            "alpha": alpha,
        }
    )

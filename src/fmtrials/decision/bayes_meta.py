"""Bayesian random-effects meta-analysis (normal-normal model), integrated over tau by quadrature, as R bayesmeta.

Model: y_i ~ N(mu, v_i + tau²) with the within-study variances v_i known (metafor ``escalc``), a flat prior
on mu and a half-normal prior on tau with scale ``tau_prior``. Given tau, mu is normal with mean
mu(tau) = sum w_i y_i / sum w_i and variance 1 / sum w_i (w_i = 1 / (v_i + tau²)); the marginal posterior of
tau is proportional to

    p(tau) * (sum w_i)^(-1/2) * prod (v_i + tau²)^(-1/2) * exp(-Q(tau) / 2),  Q(tau) = sum w_i (y_i - mu(tau))²

(Röver 2020, eq. 11-12). The integral over tau is done on the prior's probability scale u = 2 Phi(tau / s) - 1,
where the prior becomes uniform, by 400-point Gauss-Legendre quadrature; the posterior of mu is the
resulting mixture of normals, its quantiles found by bisection. No Markov chain Monte Carlo.

References
----------
.. [1] Röver C. Bayesian random-effects meta-analysis using the bayesmeta R package. J Stat Softw
   2020;93(6):1-51.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from .._result import IntervalMixin, ResultMixin
from .._validation import ARGUMENTS, DATAFRAME, check_alpha, check_number
from .._vocab import MEASURES, RATIO_MEASURES, Measure, choice
from ..effects import effect_sizes
from ..errors import DataError, Problem
from ._priors import check_positive

__all__ = ["BayesPool", "bayes_pool", "tau_posterior"]

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(400)
_U = (_NODES + 1) / 2
_W = _WEIGHTS / 2


@dataclass(frozen=True)
class BayesPool(IntervalMixin, ResultMixin):
    """Result of :func:`bayes_pool` (reporting scale: ratio for RR/OR).

    Attributes
    ----------
    measure : str
    k : int
        Studies used (double-zero studies are dropped for RR/OR, as metafor ``escalc``).
    estimate : float
        Posterior mean of mu on the analysis scale, back-transformed (exp for ratios).
    median, ci_low, ci_high : float
        Posterior median and equal-tailed credible interval of mu, reporting scale.
    null, threshold : float
        The reference value (reporting scale) and ``p_greater`` = P(effect > threshold).
    p_greater : float
    tau_median, tau_ci_low, tau_ci_high : float
        Posterior median and equal-tailed interval of tau (analysis scale).
    tau_prior : float
        Scale of the half-normal prior on tau.
    alpha : float
    """

    measure: str
    k: int
    estimate: float
    median: float
    ci_low: float
    ci_high: float
    threshold: float
    p_greater: float
    tau_median: float
    tau_ci_low: float
    tau_ci_high: float
    tau_prior: float
    alpha: float

    def to_frame(self) -> pd.DataFrame:
        """One row with every field."""
        return pd.DataFrame([self.__dict__])


def _conditional(y: np.ndarray, v: np.ndarray, tau: np.ndarray):
    """Per tau (rows): conditional mean and sd of mu, and the log marginal likelihood of tau (up to a constant)."""
    w = 1.0 / (v[None, :] + tau[:, None] ** 2)
    sw = w.sum(axis=1)
    m = (w * y[None, :]).sum(axis=1) / sw
    q = (w * (y[None, :] - m[:, None]) ** 2).sum(axis=1)
    loglik = -0.5 * np.log(sw) + 0.5 * np.log(w).sum(axis=1) - 0.5 * q
    return m, 1.0 / np.sqrt(sw), loglik


def _tau(u: np.ndarray, scale: float) -> np.ndarray:
    """Half-normal quantile: tau with P(tau' <= tau) = u under the prior."""
    return scale * special.ndtri((1.0 + u) / 2.0)


def tau_posterior(
    y: np.ndarray, v: np.ndarray, scale: float, u_max: np.ndarray | float = 1.0, ll_ref: float = 0.0
) -> np.ndarray:
    """Unnormalised posterior mass of tau below the prior quantile ``u_max`` (array in, array out); the log
    likelihood is shifted by ``ll_ref`` to avoid underflow."""
    u_max = np.atleast_1d(np.asarray(u_max, dtype=float))
    u = u_max[:, None] * _U[None, :]
    _, _, ll = _conditional(y, v, _tau(u.ravel(), scale))
    return u_max * (np.exp(ll.reshape(u.shape) - ll_ref) @ _W)


def _bisect(fn, lo: float, hi: float, target: float, n: int = 80) -> float:
    for _ in range(n):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fn(mid) < target else (lo, mid)
    return (lo + hi) / 2


def bayes_pool(
    table: pd.DataFrame,
    *,
    measure: Measure = "RR",
    tau_prior: float = 0.5,
    threshold: float | None = None,
    alpha: float = 0.05,
) -> BayesPool:
    """Bayesian random-effects meta-analysis of 2x2 tables: flat prior on mu, half-normal prior on tau.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``events_t, n_t, events_c, n_c`` (one row per comparison; bad counts raise
        :class:`~fmtrials.DataError` naming the 1-based row).
    measure : {"RR", "OR", "RD"}
        Effect measure; analysed as log RR, log OR or RD with metafor ``escalc`` variances (0.5 added to every
        cell of a zero-cell table).
    tau_prior : float
        Scale of the half-normal prior on tau (> 0), on the analysis scale (0.5 is Röver's "weakly
        informative" choice for log ratios).
    threshold : float or None
        ``p_greater`` = P(effect > threshold) on the reporting scale; default the null (1 for ratios, 0 for RD).
    alpha : float
        Credible intervals are equal-tailed at 1 - alpha.

    Returns
    -------
    BayesPool

    Examples
    --------
    >>> import pandas as pd
    >>> from fmtrials import bayes_pool
    >>> t = pd.DataFrame({"events_t": [73, 189, 18], "n_t": [224, 516, 85],
    ...                   "events_c": [24, 106, 6], "n_c": [112, 509, 21]})
    >>> r = bayes_pool(t, measure="RR", tau_prior=0.5)
    >>> round(r.median, 3), round(r.ci_low, 3), round(r.ci_high, 3), round(r.p_greater, 4)
    (1.496, 0.763, 2.354, 0.914)
    """
    measure = choice(measure, MEASURES, "measure")
    scale = check_positive(tau_prior, "tau_prior")
    alpha = check_alpha(alpha)
    ratio = measure in RATIO_MEASURES
    if threshold is None:
        threshold = 1.0 if ratio else 0.0
    threshold = check_number(threshold, "threshold", low=0.0 if ratio else -1.0, high=np.inf if ratio else 1.0)
    if ratio and threshold == 0.0:
        raise DataError(Problem("must be > 0 for a ratio measure", file=ARGUMENTS, column="threshold"))
    es = effect_sizes(table, measure=measure)
    ok = np.isfinite(es["yi"].to_numpy(dtype=float))
    y = es["yi"].to_numpy(dtype=float)[ok]
    v = es["vi"].to_numpy(dtype=float)[ok]
    if y.size == 0:
        raise DataError(Problem("no study with an estimable effect (all double-zero)", file=DATAFRAME))
    m, sd, ll = _conditional(y, v, _tau(_U, scale))
    ll_ref = float(ll.max())
    w = _W * np.exp(ll - ll_ref)
    w = w / w.sum()

    def cdf(x: float) -> float:
        return float(w @ special.ndtr((x - m) / sd))

    lo, hi = float((m - 40 * sd).min()), float((m + 40 * sd).max())
    q = {p: _bisect(cdf, lo, hi, p) for p in (alpha / 2, 0.5, 1 - alpha / 2)}
    thr = float(np.log(threshold)) if ratio else float(threshold)
    total = float(tau_posterior(y, v, scale, 1.0, ll_ref)[0])

    def tau_q(p: float) -> float:
        u = _bisect(lambda uu: float(tau_posterior(y, v, scale, uu, ll_ref)[0]) / total, 0.0, 1.0, p, n=60)
        return float(_tau(np.array([u]), scale)[0])

    back = np.exp if ratio else (lambda x: x)
    return BayesPool(
        measure=measure,
        k=int(y.size),
        estimate=float(back(w @ m)),
        median=float(back(q[0.5])),
        ci_low=float(back(q[alpha / 2])),
        ci_high=float(back(q[1 - alpha / 2])),
        threshold=threshold,
        p_greater=1.0 - cdf(thr),
        tau_median=tau_q(0.5),
        tau_ci_low=tau_q(alpha / 2),
        tau_ci_high=tau_q(1 - alpha / 2),
        tau_prior=scale,
        alpha=alpha,
    )

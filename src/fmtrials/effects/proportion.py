"""Confidence intervals for a single binomial proportion (one arm): Wilson, Jeffreys, Clopper-Pearson.

References
----------
.. [1] Brown LD, Cai TT, DasGupta A. Interval estimation for a binomial proportion. Stat Sci
   2001;16:101-133 (Wilson, Jeffreys, Clopper-Pearson).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._validation import ARGUMENTS, as_counts, check_alpha
from .._vocab import PROPORTION_INTERVALS, ProportionInterval, choice
from ..errors import DataError, Problem
from ._common import z_value

__all__ = ["proportion_ci"]


def wilson(x: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
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


def _arm_counts(events: Any, n: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validated, broadcast, flat (events, n) of one arm."""
    xa = as_counts(events, "events")
    na = as_counts(n, "n")
    try:
        xa, na = (np.atleast_1d(v).ravel() for v in np.broadcast_arrays(xa, na))
    except ValueError:
        raise DataError(Problem(f"shapes do not broadcast: events {xa.shape}, n {na.shape}", file=ARGUMENTS)) from None
    problems = [
        Problem(f"events ({xa[i]}) exceed arm size n ({na[i]}) at position {i}", file=ARGUMENTS, column="events")
        for i in np.nonzero(xa > na)[0]
    ]
    problems += [Problem(f"arm size is 0 at position {i}", file=ARGUMENTS, column="n") for i in np.nonzero(na == 0)[0]]
    if problems:
        raise DataError(problems)
    return xa, na


def proportion_ci(events: Any, n: Any, *, ci: ProportionInterval = "wilson", alpha: float = 0.05) -> pd.DataFrame:
    """Confidence interval for a single binomial proportion, one row per arm.

    Parameters
    ----------
    events, n : int or array-like
        Events and arm size (broadcast against each other).
    ci : {"wilson", "jeffreys", "clopper_pearson"}
        ``wilson``: score interval (Wilson 1927), no continuity correction. ``jeffreys``: equal-tailed
        Beta(x + 1/2, n - x + 1/2) quantiles with the lower limit set to 0 when x = 0 and the upper to 1 when
        x = n (Brown, Cai & DasGupta 2001). ``clopper_pearson``: exact, equal tails (as R ``binom.test``).
        Letter case is ignored.
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
    method = choice(ci, PROPORTION_INTERVALS, "ci")
    alpha = check_alpha(alpha)
    xa, na = _arm_counts(events, n)
    if method == "wilson":
        lo, hi = wilson(xa, na, z_value(alpha))
    elif method == "jeffreys":
        lo, hi = _jeffreys(xa, na, alpha)
    else:
        lo, hi = _clopper_pearson(xa, na, alpha)
    return pd.DataFrame(
        {"events": xa, "n": na, "estimate": xa / na, "ci_low": lo, "ci_high": hi, "method": method, "alpha": alpha}
    )

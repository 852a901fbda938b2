"""Standard deviations from what trial reports print, as the Cochrane Handbook, chapter 6 (version 6.4, 2023,
§6.5.2) prescribes. Every function is vectorised (scalars or array-likes that broadcast).

* :func:`sd_from_se` — SD of one arm from the SE of its mean (§6.5.2.2): ``SD = SE √n``;
* :func:`sd_from_ci` — SD of one arm from a confidence interval of its mean (§6.5.2.2): ``SD = √n (upper -
  lower) / (2 q)``, ``q`` the normal quantile (3.92 = 2 × 1.96 for a 95% CI) when ``n >= 60`` and the
  t quantile on ``n - 1`` df for smaller arms ("if the sample size is small (say fewer than 60 participants
  in each group) … the 3.92 should be replaced by … the t distribution");
* :func:`sd_from_diff_ci`, :func:`sd_from_t`, :func:`sd_from_p` — the SD assumed common to both arms from a CI
  of the mean difference, its t statistic or its two-sided p-value (§6.5.2.3): ``SE = (upper - lower) / (2 q)``
  (``q`` from t on ``n_t + n_c - 2`` df when ``n_t + n_c < 120`` [a group under 60], else normal), ``SE = |MD| /
  t``, ``t`` = the t quantile of ``p/2`` on ``n_t + n_c - 2`` df; then ``SD = SE / √(1/n_t + 1/n_c)``;
* :func:`sd_change` — SD of the change from baseline from the baseline and final SDs and their correlation
  (§6.5.2.8): ``SD_change = √(SD_b² + SD_f² - 2 r SD_b SD_f)``.

Bad input raises :class:`~fmtrials.DataError` naming the argument and the position.

References
----------
.. [1] Higgins JPT, Li T, Deeks JJ (editors). Chapter 6: Choosing effect measures and computing estimates of
   effect. In: Higgins JPT, Thomas J, et al. (editors). Cochrane Handbook for Systematic Reviews of
   Interventions version 6.4 (updated August 2023). Cochrane, 2023. Section 6.5.2.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from .._validation import ARGUMENTS, check_alpha
from ..errors import DataError, Problem

__all__ = ["sd_from_se", "sd_from_ci", "sd_from_diff_ci", "sd_from_t", "sd_from_p", "sd_change"]

#: an arm (or a group of a two-group CI) below this size takes the t quantile (Handbook §6.5.2.2-3)
SMALL_ARM = 60


def _arr(value: Any, name: str, *, low: float = -np.inf, positive: bool = False, whole: bool = False) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise DataError(Problem(f"must be numeric, got {value!r}", file=ARGUMENTS, column=name)) from None
    flat = np.atleast_1d(a).ravel()
    problems = []
    for i, v in enumerate(flat):
        where = f" at position {i}" if flat.size > 1 else ""
        if not np.isfinite(v):
            problems.append(f"must be a finite number, got {v:g}{where}")
        elif positive and not v > 0:
            problems.append(f"must be > 0, got {v:g}{where}")
        elif v < low:
            problems.append(f"must be >= {low:g}, got {v:g}{where}")
        elif whole and v != np.round(v):
            problems.append(f"must be a whole number, got {v:g}{where}")
    if problems:
        raise DataError([Problem(p, file=ARGUMENTS, column=name) for p in problems])
    return a


def _interval(ci_low: Any, ci_high: Any) -> np.ndarray:
    lo, hi = _arr(ci_low, "ci_low"), _arr(ci_high, "ci_high")
    width = hi - lo
    if np.any(~(width > 0)):
        raise DataError(Problem("ci_low must be below ci_high", file=ARGUMENTS, column="ci_low"))
    return width


def sd_from_se(se: Any, n: Any) -> np.ndarray:
    """SD of one arm from the standard error of its mean: ``SE √n`` (Handbook §6.5.2.2).

    Examples
    --------
    >>> float(sd_from_se(0.5, 100))
    5.0
    """
    return _arr(se, "se", positive=True) * np.sqrt(_arr(n, "n", low=2, whole=True))


def sd_from_ci(ci_low: Any, ci_high: Any, n: Any, *, alpha: float = 0.05) -> np.ndarray:
    """SD of one arm from a ``1 - alpha`` CI of its mean (Handbook §6.5.2.2): ``√n (upper - lower) / (2 q)``,
    ``q`` normal for ``n >= 60``, t on ``n - 1`` df below.

    Examples
    --------
    >>> round(float(sd_from_ci(-1.96, 1.96, 100)), 3)  # the Handbook's 3.92 for a 95% CI
    10.0
    >>> round(float(sd_from_ci(-1.0, 1.0, 25)), 4)  # t(24): 2 × 2.0639
    2.4226
    """
    width = _interval(ci_low, ci_high)
    n = _arr(n, "n", low=2, whole=True)
    a = check_alpha(alpha)
    q = np.where(n < SMALL_ARM, special.stdtrit(n - 1, 1 - a / 2), -special.ndtri(a / 2))
    return np.sqrt(n) * width / (2 * q)


def _common_sd(se: np.ndarray, n_t: np.ndarray, n_c: np.ndarray) -> np.ndarray:
    return se / np.sqrt(1 / n_t + 1 / n_c)


def _sizes(n_t: Any, n_c: Any) -> tuple[np.ndarray, np.ndarray]:
    return _arr(n_t, "n_t", low=2, whole=True), _arr(n_c, "n_c", low=2, whole=True)


def sd_from_diff_ci(ci_low: Any, ci_high: Any, n_t: Any, n_c: Any, *, alpha: float = 0.05) -> np.ndarray:
    """SD common to both arms from a ``1 - alpha`` CI of the mean difference (Handbook §6.5.2.3): ``SE = (upper
    - lower) / (2 q)`` (``q`` t on ``n_t + n_c - 2`` df if an arm has fewer than 60, else normal), ``SD = SE /
    √(1/n_t + 1/n_c)``.

    Examples
    --------
    >>> round(float(sd_from_diff_ci(-1.96, 1.96, 100, 100)), 4)
    7.0712
    """
    width = _interval(ci_low, ci_high)
    n_t, n_c = _sizes(n_t, n_c)
    a = check_alpha(alpha)
    small = (n_t < SMALL_ARM) | (n_c < SMALL_ARM)
    q = np.where(small, special.stdtrit(n_t + n_c - 2, 1 - a / 2), -special.ndtri(a / 2))
    return _common_sd(width / (2 * q), n_t, n_c)


def sd_from_t(md: Any, t_value: Any, n_t: Any, n_c: Any) -> np.ndarray:
    """SD common to both arms from the mean difference and its two-sample t statistic (Handbook §6.5.2.3):
    ``SE = |MD / t|``, ``SD = SE / √(1/n_t + 1/n_c)``.

    Examples
    --------
    >>> round(float(sd_from_t(2.0, 2.5, 50, 50)), 4)
    4.0
    """
    md = _arr(md, "md")
    t = _arr(t_value, "t_value")
    if np.any(t == 0):
        raise DataError(Problem("t = 0 carries no standard error", file=ARGUMENTS, column="t_value"))
    n_t, n_c = _sizes(n_t, n_c)
    return _common_sd(np.abs(md / t), n_t, n_c)


def sd_from_p(md: Any, p: Any, n_t: Any, n_c: Any) -> np.ndarray:
    """SD common to both arms from the mean difference and its two-sided p-value (Handbook §6.5.2.3): ``t`` is
    the t quantile of ``1 - p/2`` on ``n_t + n_c - 2`` df, then :func:`sd_from_t`. A p printed as an inequality
    (``p < 0.05``) gives only a bound: do not use it as the exact value.

    Examples
    --------
    >>> round(float(sd_from_p(2.0, 0.05, 50, 50)), 4)  # t(98) = 1.9845
    5.0391
    """
    p = _arr(p, "p")
    if np.any((p <= 0) | (p >= 1)):
        raise DataError(Problem("p must be in (0, 1)", file=ARGUMENTS, column="p"))
    n_t, n_c = _sizes(n_t, n_c)
    return sd_from_t(md, special.stdtrit(n_t + n_c - 2, 1 - p / 2), n_t, n_c)


def sd_change(sd_baseline: Any, sd_final: Any, r: Any) -> np.ndarray:
    """SD of the change from baseline (Handbook §6.5.2.8): ``√(SD_b² + SD_f² - 2 r SD_b SD_f)``, ``r`` the
    baseline-final correlation (imputed from a similar trial, and varied in a sensitivity analysis).

    Examples
    --------
    >>> round(float(sd_change(2.0, 2.0, 0.5)), 6)
    2.0
    """
    b, f = _arr(sd_baseline, "sd_baseline", positive=True), _arr(sd_final, "sd_final", positive=True)
    r = _arr(r, "r")
    if np.any((r < -1) | (r > 1)):
        raise DataError(Problem("a correlation must be in [-1, 1]", file=ARGUMENTS, column="r"))
    out = np.sqrt(np.maximum(b**2 + f**2 - 2 * r * b * f, 0.0))
    if np.any(out == 0):
        raise DataError(Problem("the change SD is 0 (r = 1 with equal SDs)", file=ARGUMENTS, column="r"))
    return out

"""Per-study effect sizes of a continuous outcome (metafor ``escalc``): MD, SMD (Hedges' g) and ROM.

From the summary statistics of each arm, ``mean_t, sd_t, n_t`` (treatment) and ``mean_c, sd_c, n_c``
(control):

* ``"MD"``: raw mean difference ``mean_t - mean_c``, variance ``sd_t²/n_t + sd_c²/n_c`` (escalc's
  default, the variances not assumed equal);
* ``"SMD"``: Hedges' g, ``J(m) (mean_t - mean_c) / s_p`` with ``s_p² = ((n_t-1) sd_t² + (n_c-1) sd_c²) / m``,
  ``m = n_t + n_c - 2`` and the *exact* correction ``J(m) = Γ(m/2) / (√(m/2) Γ((m-1)/2))`` [2]_; variance
  ``1/n_t + 1/n_c + g² / (2 (n_t + n_c))`` (escalc's default ``vtype="LS"``, the large-sample variance);
* ``"ROM"``: log ratio of means ``log(mean_t / mean_c)`` (both means > 0), variance
  ``sd_t²/(n_t mean_t²) + sd_c²/(n_c mean_c²)`` [3]_.

RevMan 5 computes the SMD with the approximate correction ``1 - 3/(4N - 9)`` (N = n_t + n_c) and the variance
``N/(n_t n_c) + g²/(2(N - 3.94))``; :func:`revman_smd` gives those, for :func:`fmtrials.compare_revman`.

References
----------
.. [1] Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat Softw 2010;36(3):1-48.
.. [2] Hedges LV. Distribution theory for Glass's estimator of effect size and related estimators. J Educ Stat
   1981;6:107-128.
.. [3] Lajeunesse MJ. On the meta-analysis of response ratios for studies with correlated and multi-group
   designs. Ecology 2011;92:2049-2055.
.. [4] Deeks JJ, Higgins JPT. Statistical algorithms in Review Manager 5. The Cochrane Collaboration, 2010.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from .._validation import DATAFRAME, frame_means
from .._vocab import CONTINUOUS_MEASURES, MEAN_COLUMNS, ContinuousMeasure, choice
from ..errors import DataError, Problem
from ._study import StudyEffects

__all__ = ["hedges_j", "mean_effects", "mean_effect_sizes", "revman_smd"]


def hedges_j(n_t, n_c) -> np.ndarray:
    """Hedges' exact small-sample correction ``J(m) = Γ(m/2) / (√(m/2) Γ((m-1)/2))``, ``m = n_t + n_c - 2``
    (metafor's ``.cmicalc``).

    Examples
    --------
    >>> round(float(hedges_j(6, 6)), 6)
    0.922746
    """
    m = np.asarray(n_t, dtype=float) + np.asarray(n_c, dtype=float) - 2
    return np.exp(special.gammaln(m / 2) - 0.5 * np.log(m / 2) - special.gammaln((m - 1) / 2))


def _pooled_sd(sd_t, n_t, sd_c, n_c) -> np.ndarray:
    return np.sqrt(((n_t - 1) * sd_t**2 + (n_c - 1) * sd_c**2) / (n_t + n_c - 2))


def mean_effects(mean_t, sd_t, n_t, mean_c, sd_c, n_c, *, measure: ContinuousMeasure) -> StudyEffects:
    """Per-study ``yi, vi`` of validated float arrays, as ``escalc(measure, m1i, sd1i, n1i, m2i, sd2i, n2i)``.

    ``DataError`` (naming the 1-based row and the column) for a zero pooled SD (SMD) or a mean <= 0 (ROM).

    Examples
    --------
    >>> e = mean_effects(np.array([5.0]), np.array([2.0]), np.array([20]), np.array([4.0]),
    ...                  np.array([2.0]), np.array([20]), measure="SMD")
    >>> round(float(e.yi[0]), 6), round(float(e.vi[0]), 6)
    (0.490055, 0.103002)
    """
    measure = choice(measure, CONTINUOUS_MEASURES, "measure")
    mean_t, sd_t, n_t, mean_c, sd_c, n_c = (np.asarray(x, dtype=float) for x in (mean_t, sd_t, n_t, mean_c, sd_c, n_c))
    problems: list[Problem] = []
    if measure == "MD":
        yi = mean_t - mean_c
        vi = sd_t**2 / n_t + sd_c**2 / n_c
    elif measure == "SMD":
        sp = _pooled_sd(sd_t, n_t, sd_c, n_c)
        for i in np.nonzero(~(sp > 0))[0]:
            problems.append(
                Problem("the pooled standard deviation is 0: no SMD", file=DATAFRAME, row=int(i) + 1, column="sd_t")
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            yi = hedges_j(n_t, n_c) * (mean_t - mean_c) / sp
        vi = 1 / n_t + 1 / n_c + yi**2 / (2 * (n_t + n_c))
    else:
        for col, m in (("mean_t", mean_t), ("mean_c", mean_c)):
            for i in np.nonzero(~(m > 0))[0]:
                problems.append(
                    Problem(
                        f"the ratio of means needs means > 0 ({m[i]:g})", file=DATAFRAME, row=int(i) + 1, column=col
                    )
                )
        with np.errstate(divide="ignore", invalid="ignore"):
            yi = np.log(mean_t / mean_c)
            vi = sd_t**2 / (n_t * mean_t**2) + sd_c**2 / (n_c * mean_c**2)
    if problems:
        raise DataError(problems)
    none = np.zeros(len(yi), dtype=bool)
    return StudyEffects(yi, vi, none, none.copy())


def revman_smd(mean_t, sd_t, n_t, mean_c, sd_c, n_c) -> tuple[np.ndarray, np.ndarray]:
    """RevMan 5's SMD and its variance (Deeks & Higgins, *Statistical algorithms in Review Manager 5*, 2010):
    Hedges' g with the approximate correction ``1 - 3/(4N - 9)`` and ``SE² = N/(n_t n_c) + g²/(2(N - 3.94))``.

    Examples
    --------
    >>> g, v = revman_smd(5.0, 2.0, 20, 4.0, 2.0, 20)
    >>> round(float(g), 6), round(float(v), 6)
    (0.490066, 0.10333)
    """
    mean_t, sd_t, n_t, mean_c, sd_c, n_c = (np.asarray(x, dtype=float) for x in (mean_t, sd_t, n_t, mean_c, sd_c, n_c))
    big_n = n_t + n_c
    g = (mean_t - mean_c) / _pooled_sd(sd_t, n_t, sd_c, n_c) * (1 - 3 / (4 * big_n - 9))
    return g, big_n / (n_t * n_c) + g**2 / (2 * (big_n - 3.94))


def mean_effect_sizes(table: pd.DataFrame, *, measure: ContinuousMeasure = "MD") -> pd.DataFrame:
    """Per-study effect sizes of a continuous outcome, as metafor ``escalc`` (see the module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``mean_t, sd_t, n_t, mean_c, sd_c, n_c``; other columns are carried through. Bad values (a
        missing mean, SD <= 0, n < 2) raise :class:`~fmtrials.DataError` naming the 1-based row and the column.
    measure : {"MD", "SMD", "ROM"}
        Mean difference, standardised mean difference (Hedges' g) or log ratio of means.

    Returns
    -------
    pandas.DataFrame
        The columns of ``table``, then ``yi``, ``vi``, ``corrected`` and ``excluded`` (always False: no
        correction applies to a continuous outcome).

    Examples
    --------
    >>> t = pd.DataFrame({"mean_t": [5.0], "sd_t": [2.0], "n_t": [20], "mean_c": [4.0], "sd_c": [2.0], "n_c": [20]})
    >>> mean_effect_sizes(t, measure="MD")[["yi", "vi"]].round(4)
        yi   vi
    0  1.0  0.4
    """
    measure = choice(measure, CONTINUOUS_MEASURES, "measure")
    eff = mean_effects(*frame_means(table, MEAN_COLUMNS), measure=measure)
    out = table.copy()
    out["yi"] = eff.yi
    out["vi"] = eff.vi
    out["corrected"] = eff.corrected
    out["excluded"] = eff.excluded
    return out

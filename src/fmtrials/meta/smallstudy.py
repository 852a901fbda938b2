""":func:`small_study_test`: tests for funnel-plot asymmetry (small-study effects).

* ``"egger"``: Egger et al. (1997), as metafor ``regtest(fit, model="lm", predictor="sei")``: weighted least
  squares of yi on sei with weights 1/vi, t test of the sei slope on k - 2 df;
* ``"egger_rma"``: metafor's default ``regtest(fit)``: the meta-regression ``rma(yi, vi, mods = ~ sei)`` with the
  chosen tau² estimator, z (or Knapp-Hartung t) test of the sei coefficient;
* ``"peters"``: Peters et al. (2006): weighted least squares of ln OR on 1/N (N the total sample size) with
  weights S·F/N (S, F the total events and non-events), t test of the slope on k - 2 df;
* ``"harbord"``: Harbord, Egger & Sterne (2006): ordinary least squares of Z/√V on √V (Z the efficient score
  a - E(a), V its hypergeometric variance), t test of the intercept on k - 2 df (no zero-cell correction;
  studies with V = 0 carry no information and are dropped);
* ``"begg"``: Begg & Mazumdar (1994), as metafor ``ranktest``: Kendall's tau between the standardised deviates
  (yi - theta_FE)/√(vi - v_FE) and vi; exact p-value without ties, the normal approximation with ties.

Per-study effects follow :func:`fmtrials.pool` (escalc ``add=1/2, to="only0"``; double-zero studies dropped for
RR/OR). The Cochrane Handbook (§10.4.3.1) advises against these tests with fewer than 10 studies: a
:class:`~fmtrials.errors.FewStudiesWarning` is given then; fewer than 3 studies is an error.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from scipy import special, stats

from .._validation import ARGUMENTS, DATAFRAME
from .._vocab import (
    MREG_METHODS,
    MREG_TESTS,
    POOL_MEASURES,
    SMALL_STUDY_TESTS,
    MRegMethod,
    MRegTest,
    PoolMeasure,
    SmallStudyTest,
    choice,
    renamed,
)
from ..errors import DataError, FewStudiesWarning, Problem
from ._mreg import mfit
from ._table import prepare

__all__ = ["small_study_test", "SMALL_STUDY_TESTS", "MIN_STUDIES"]

#: fewer studies than this: the test is run with a warning (Cochrane Handbook §10.4.3.1)
MIN_STUDIES = 10

_NAN = float("nan")
F = TypeVar("F", bound=Callable[..., Any])


def wls(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Weighted least squares as R ``lm(y ~ X - 1, weights = w)``: coefficients, SEs, residual df."""
    k, p = X.shape
    Xw = X * w[:, None]
    A_inv = np.linalg.inv(X.T @ Xw)
    b = A_inv @ (Xw.T @ y)
    sigma2 = float((w * (y - X @ b) ** 2).sum()) / (k - p)
    return b, np.sqrt(np.diag(A_inv) * sigma2), k - p


def _t_row(b: float, se: float, dfree: int) -> tuple[float, float]:
    stat = b / se
    return float(stat), float(2 * special.stdtr(dfree, -abs(stat)))


def _egger(y, v) -> tuple[float, float, float]:
    X = np.column_stack([np.ones_like(y), np.sqrt(v)])
    b, se, dfree = wls(y, X, 1 / v)
    return (*_t_row(b[1], se[1], dfree), float(dfree))


def _egger_rma(y, v, tau2_method: str, test: str) -> tuple[float, float, float]:
    X = np.column_stack([np.ones_like(y), np.sqrt(v)])
    f = mfit(y, v, X, tau2_method, "knha" if test == "hksj" else "z")
    stat = float(f.beta[1] / np.sqrt(f.vb[1, 1]))
    if test == "hksj":
        dfree = len(y) - 2
        return stat, float(2 * special.stdtr(dfree, -abs(stat))), float(dfree)
    return stat, float(2 * special.ndtr(-abs(stat))), _NAN


def _peters(y, a, n1, c, n2) -> tuple[float, float, float]:
    n = (n1 + n2).astype(float)
    s = (a + c).astype(float)
    f = n - s
    X = np.column_stack([np.ones_like(y), 1 / n])
    b, se, dfree = wls(y, X, s * f / n)
    return (*_t_row(b[1], se[1], dfree), float(dfree))


def harbord_parts(a, n1, c, n2) -> tuple[np.ndarray, np.ndarray]:
    """Efficient score Z = a - n1 m1 / N and its hypergeometric variance V of each 2x2 table."""
    a, n1, c, n2 = (x.astype(float) for x in (a, n1, c, n2))
    nn = n1 + n2
    m1 = a + c
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(nn > 1, n1 * n2 * m1 * (nn - m1) / (nn**2 * (nn - 1)), 0.0)
    return a - n1 * m1 / nn, v


def _harbord(z, v) -> tuple[float, float, float]:
    sv = np.sqrt(v)
    X = np.column_stack([np.ones_like(sv), sv])
    b, se, dfree = wls(z / sv, X, np.ones_like(sv))
    return (*_t_row(b[0], se[0], dfree), float(dfree))


def _begg(y, v) -> tuple[float, float, float]:
    w = 1 / v
    theta = (w * y).sum() / w.sum()
    ystar = (y - theta) / np.sqrt(v - 1 / w.sum())
    ties = len(np.unique(ystar)) < len(ystar) or len(np.unique(v)) < len(v)
    res = stats.kendalltau(ystar, v, method="asymptotic" if ties else "exact")
    return float(res.statistic), float(res.pvalue), _NAN


def _old_names(func: F) -> F:
    """Accept the previous release's spellings (with a DeprecationWarning): ``method=`` naming the test (now
    ``test=``), ``tau2_method=`` (now ``method=``) and ``test="z"/"knha"`` for egger_rma (now ``fit_test=``)."""

    def folded(value: Any) -> str | None:
        return value.strip().casefold() if isinstance(value, str) else None

    tests = {t.casefold() for t in SMALL_STUDY_TESTS}

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        new: dict[str, Any] = {}
        if folded(kwargs.get("test")) in {"z", "knha", "hksj"}:
            renamed("test", "fit_test", "small_study_test")
            new["fit_test"] = kwargs.pop("test")
        if folded(kwargs.get("method")) in tests:
            renamed("method", "test", "small_study_test")
            new["test"] = kwargs.pop("method")
        if "tau2_method" in kwargs:
            renamed("tau2_method", "method", "small_study_test")
            new["method"] = kwargs.pop("tau2_method")
        clash = sorted(set(new) & set(kwargs))
        if clash:
            raise TypeError(f"small_study_test() got {clash[0]}= twice (old and new spelling)")
        return func(*args, **kwargs, **new)

    return wrapper  # type: ignore[return-value]


@_old_names
def small_study_test(
    table: pd.DataFrame,
    *,
    measure: PoolMeasure = "RR",
    test: SmallStudyTest = "egger",
    method: MRegMethod = "REML",
    fit_test: MRegTest = "z",
) -> pd.DataFrame:
    """Test for funnel-plot asymmetry (small-study effects) of 2x2 tables.

    Parameters
    ----------
    table : DataFrame
        Columns ``events_t, n_t, events_c, n_c`` (optional ``study``).
    measure : {"RR", "OR", "RD", "MD", "SMD", "ROM"}
        Effect measure (``"peters"`` and ``"harbord"`` are defined for the odds ratio: use ``"OR"``). For a
        continuous measure ``table`` has ``mean_t, sd_t, n_t, mean_c, sd_c, n_c``; Egger's test of the SMD is
        biased towards asymmetry (the SMD's variance depends on the SMD itself).
    test : {"egger", "egger_rma", "peters", "harbord", "begg"}
        The test, see the module docstring (``method=`` in the previous release, still accepted with a
        DeprecationWarning).
    method : {"REML", "DL", "PM", "IV"}
        ``egger_rma`` only: the tau² estimator of the meta-regression (metafor's default is REML; ``tau2_method=``
        in the previous release).
    fit_test : {"z", "hksj"}
        ``egger_rma`` only: z test or Knapp-Hartung t(k - 2) (metafor ``test="knha"``, accepted as an alias).

    Returns
    -------
    DataFrame
        One row: ``method`` (the test), ``measure, k, statistic, statistic_name`` (``"t"``, ``"z"`` or ``"tau"``),
        ``df`` (NaN for z and tau), ``p_value``, ``model`` (the regression or correlation in words).

    Warns
    -----
    FewStudiesWarning
        k < 10: the test has too little power to be informative (Cochrane Handbook §10.4.3.1).

    Raises
    ------
    DataError
        Bad counts or options, or k < 3.

    Examples
    --------
    >>> import pandas as pd, fmtrials, warnings
    >>> t = pd.DataFrame({"events_t": [4, 6, 3, 62, 33, 180, 8, 505, 29, 17],
    ...                   "n_t": [123, 306, 231, 13598, 5069, 1541, 2545, 88391, 7499, 1716],
    ...                   "events_c": [11, 29, 11, 248, 47, 372, 10, 499, 45, 65],
    ...                   "n_c": [139, 303, 220, 12867, 5808, 1451, 629, 88391, 7277, 1665]})
    >>> r = fmtrials.small_study_test(t, measure="RR", test="egger")
    >>> int(r.at[0, "k"]), r.at[0, "statistic_name"], float(r.at[0, "df"])
    (10, 't', 8.0)
    """
    measure = choice(measure, POOL_MEASURES, "measure")
    tau2_method: str = choice(method, MREG_METHODS, "method")
    kind: str = choice(test, SMALL_STUDY_TESTS, "test")
    fit: str = choice(fit_test, MREG_TESTS, "fit_test")
    if kind in ("peters", "harbord") and measure != "OR":
        raise DataError(
            Problem(
                f"the {kind.capitalize()} test is defined for the odds ratio; use measure='OR' (got {measure!r})",
                file=ARGUMENTS,
                column="measure",
            )
        )
    d = prepare(table, measure=measure)
    eff = d.effects(measure)
    inc = ~eff.excluded
    if kind == "harbord":
        z, v = harbord_parts(d.a, d.n1, d.c, d.n2)
        inc = v > 0
    k = int(inc.sum())
    if k < 3:
        raise DataError(
            Problem(
                f"a small-study test needs at least 3 studies with an effect; got {k}",
                file=DATAFRAME,
                column="events_t",
            )
        )
    if k < MIN_STUDIES:
        warnings.warn(
            f"{kind}: k = {k} < {MIN_STUDIES} studies: too few for a test of funnel-plot asymmetry "
            "to be informative (Cochrane Handbook §10.4.3.1)",
            FewStudiesWarning,
            stacklevel=2,
        )
    y, v_i = eff.yi[inc], eff.vi[inc]
    if kind in ("egger", "egger_rma", "begg") and np.ptp(v_i) == 0:
        raise DataError(
            Problem(
                f"every study has the same standard error: the {kind} test has no spread of study precision to test",
                file=DATAFRAME,
                column="n_t",
            )
        )
    if kind == "egger":
        out, name, model = _egger(y, v_i), "t", "weighted regression of yi on sei (weights 1/vi), t test of the slope"
    elif kind == "egger_rma":
        out = _egger_rma(y, v_i, tau2_method, fit)
        name = "t" if fit == "hksj" else "z"
        model = f"meta-regression of yi on sei ({tau2_method}, test {fit}), test of the sei coefficient"
    elif kind == "peters":
        out, name = _peters(y, d.a[inc], d.n1[inc], d.c[inc], d.n2[inc]), "t"
        model = "weighted regression of ln OR on 1/N (weights S*F/N), t test of the slope"
    elif kind == "harbord":
        out, name = _harbord(z[inc], v[inc]), "t"
        model = "regression of Z/sqrt(V) on sqrt(V) (efficient score), t test of the intercept"
    else:
        out, name = _begg(y, v_i), "tau"
        model = "Kendall's tau of standardised deviates and vi (metafor ranktest)"
    return pd.DataFrame(
        {
            "method": [kind],
            "measure": [measure],
            "k": [k],
            "statistic": [out[0]],
            "statistic_name": [name],
            "df": [out[2]],
            "p_value": [out[1]],
            "model": [model],
        }
    )

""":func:`meta_regression`: mixed-effects meta-regression of 2x2 tables on study-level moderators (metafor
``rma(yi, vi, mods = ~ ...)``), e.g. the dose-response question "does 200 mg/day do more than 100 mg/day?".

Per-study effects follow :func:`fmtrials.pool` (escalc ``add=1/2, to="only0"``; double-zero studies dropped for
RR/OR). Moderators are columns of the table: numeric columns enter as they are; text (or boolean/categorical)
columns with treatment coding against their first level in sorted order (R's ``factor`` default), one term
``column[level]`` per other level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._format import format_number, format_p
from .._result import ResultMixin
from .._validation import ARGUMENTS, DATAFRAME, check_alpha, check_int, check_number
from .._vocab import (
    CONTINUOUS_MEASURES,
    COUNT_COLUMNS,
    MEAN_COLUMNS,
    MREG_TESTS,
    POOL_MEASURES,
    MRegMethod,
    MRegTest,
    PoolMeasure,
    choice,
)
from ..errors import DataError, Problem
from ._mreg import MREG_METHODS, mfit, tau2_of
from ._table import as_frame, prepare

__all__ = ["meta_regression", "MetaRegression", "MREG_TESTS"]


_NAN = float("nan")


@dataclass(frozen=True, eq=False)
class MetaRegression(ResultMixin):
    """Result of :func:`meta_regression` (every choice recorded).

    Attributes
    ----------
    measure, method, test : str
        Effect measure, tau² estimator (``"IV"`` = common effect) and test (``"z"`` or ``"hksj"``, metafor ``"knha"``).
    moderators : tuple of str
    k, p : int
        Studies fitted (double-zero studies excluded for RR/OR) and model coefficients (with the intercept).
    coefficients : DataFrame
        ``term, estimate, se, statistic, p_value, ci_low, ci_high`` on the model (log for RR/OR) scale.
    qm, qm_df, qm_p : float, tuple, float
        Omnibus test of the moderators: chi² on m df (z) or F on (m, k - p) df (hksj, ``qm`` is the F value).
    qe, qe_df, qe_p : float, int, float
        Test for residual heterogeneity (weights 1/vi).
    tau2, i2, r2 : float
        Residual tau², residual I² (percent) and R² (percent of the intercept-only tau² accounted for, metafor);
        for the common-effect model the adjusted R² of the weighted regression (metafor); 0 when the
        intercept-only tau² is 0.
    excluded, notes : tuple of str
    data : DataFrame
        The fitted studies: ``label, yi, vi, weight`` (percent) and the moderator columns.
    """

    measure: str
    method: str
    test: str
    moderators: tuple[str, ...]
    k: int
    p: int
    alpha: float
    coefficients: pd.DataFrame = field(repr=False)
    qm: float
    qm_df: tuple[int, ...]
    qm_p: float
    qe: float
    qe_df: int
    qe_p: float
    tau2: float
    i2: float
    r2: float
    excluded: tuple[str, ...]
    notes: tuple[str, ...]
    data: pd.DataFrame = field(repr=False)
    vb: np.ndarray = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`coefficients`."""
        return self.coefficients.copy()

    def predict(self, x: Any) -> pd.DataFrame:
        """Fitted effect (model scale) and its CI at the rows of design matrix ``x`` (numpy, p columns)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        b = self.coefficients["estimate"].to_numpy()
        pred = x @ b
        se = np.sqrt(np.einsum("ij,jk,ik->i", x, self.vb, x))
        df = float(self.k - self.p) if self.test == "hksj" else None
        cr = float(special.stdtrit(df, 1 - self.alpha / 2)) if df else float(-special.ndtri(self.alpha / 2))
        return pd.DataFrame({"pred": pred, "se": se, "ci_low": pred - cr * se, "ci_high": pred + cr * se})

    # to_dict, __str__, _repr_html_: fmtrials._result.ResultMixin (to_dict from every dataclass field)

    def summary(self) -> str:
        """Plain-text summary in the spirit of metafor's ``print.rma``."""
        lines = [
            f"Meta-regression ({self.method}, k = {self.k}; {self.measure}, "
            f"{'log scale' if self.measure in ('RR', 'OR') else 'difference'}; test {self.test})",
            f"tau² (residual) = {format_number(self.tau2, 4)}, I² = {format_number(self.i2, 1)}%, "
            f"R² = {format_number(self.r2, 1)}%",
            f"QE({self.qe_df}) = {format_number(self.qe, 4)}, p {format_p(self.qe_p)}",
            ("QM" if self.test == "z" else "F") + f"({', '.join(map(str, self.qm_df))}) = "
            f"{format_number(self.qm, 4)}, p {format_p(self.qm_p)}",
            "",
        ]
        c = self.coefficients
        lines.append(f"{'term':<24}{'estimate':>10}{'se':>10}{'stat':>9}{'p':>9}   CI")
        for r in c.itertuples():
            lines.append(
                f"{str(r.term)[:23]:<24}{r.estimate:>10.4f}{r.se:>10.4f}{r.statistic:>9.3f}"
                f"{format_p(r.p_value):>9}   [{r.ci_low:.4f}, {r.ci_high:.4f}]"
            )
        return "\n".join(lines + [f"Note: {n}" for n in self.notes])

    def __str__(self) -> str:
        return self.summary()


# ------------------------------------------------------------------------------------------ the design
def _numeric_term(col: pd.Series, name: str, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
    x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    x = x[rows]
    if not np.isfinite(x).all():
        raise DataError(Problem("moderator value is not a finite number", file=DATAFRAME, column=name))
    if np.ptp(x) == 0:
        raise DataError(
            Problem(
                f"moderator {name!r} is constant ({x[0]:g} in every study fitted): it cannot "
                "explain differences between studies; drop it",
                file=ARGUMENTS,
                column=name,
            )
        )
    return x[:, None], [name]


def _factor_terms(col: pd.Series, name: str, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
    vals = col.to_numpy(dtype=object)[rows]
    levels = sorted(set(map(str, vals)))
    if len(levels) < 2:
        raise DataError(
            Problem(
                f"moderator {name!r} is constant ({levels[0]!r} in every study fitted): it "
                "cannot explain differences between studies; drop it",
                file=ARGUMENTS,
                column=name,
            )
        )
    text = np.array([str(v) for v in vals], dtype=object)
    return np.column_stack([(text == lv).astype(float) for lv in levels[1:]]), [f"{name}[{lv}]" for lv in levels[1:]]


def design(df: pd.DataFrame, moderators: Sequence[str], rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The design matrix (intercept first) of the studies at ``rows``; DataError naming column and row."""
    problems = []
    for m in moderators:
        if m not in df.columns:
            problems.append(Problem(f"moderator column {m!r} not in the table", file=ARGUMENTS, column="moderators"))
            continue
        miss = df[m].isna().to_numpy()
        problems += [
            Problem("missing moderator value", file=DATAFRAME, row=int(i) + 1, column=m) for i in np.nonzero(miss)[0]
        ]
        if pd.api.types.is_numeric_dtype(df[m]) and not pd.api.types.is_bool_dtype(df[m]):
            bad = ~np.isfinite(df[m].to_numpy(dtype=float)) & ~miss
            problems += [
                Problem("moderator value is not finite", file=DATAFRAME, row=int(i) + 1, column=m)
                for i in np.nonzero(bad)[0]
            ]
    if problems:
        raise DataError(problems)
    cols, terms = [np.ones((len(rows), 1))], ["intrcpt"]
    for m in moderators:
        s = df[m]
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        x, t = (_numeric_term if numeric else _factor_terms)(s, m, rows)
        cols.append(x)
        terms += t
    X = np.hstack(cols)
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise DataError(
            Problem(
                f"the moderators {', '.join(moderators)} are collinear (with each other or the "
                "intercept) in the studies fitted: their effects cannot be told apart",
                file=ARGUMENTS,
                column="moderators",
            )
        )
    return X, terms


def _moderators(moderators: Any) -> tuple[str, ...]:
    mods = (moderators,) if isinstance(moderators, str) else tuple(moderators or ())
    if not mods or not all(isinstance(m, str) for m in mods):
        raise DataError(Problem("give one or more column names", file=ARGUMENTS, column="moderators"))
    return mods


# ---------------------------------------------------------------------------------------------- the fit
def meta_regression(
    table: pd.DataFrame,
    moderators: str | Sequence[str],
    *,
    measure: PoolMeasure = "RR",
    method: MRegMethod = "REML",
    test: MRegTest = "z",
    alpha: float = 0.05,
    tol: float = 1e-12,
    maxiter: int = 1000,
) -> MetaRegression:
    """Meta-regression of per-study effects on moderators, as metafor ``rma(yi, vi, mods = ~ ..., data)``.

    Parameters
    ----------
    table : DataFrame
        Columns ``events_t, n_t, events_c, n_c`` (continuous measures: ``mean_t, sd_t, n_t, mean_c, sd_c,
        n_c``), the moderator columns, optional ``study``.
    moderators : str or sequence of str
        Column names: numeric columns as they are, others as factors (treatment coding, first sorted level
        as the reference).
    measure : {"RR", "OR", "RD", "MD", "SMD", "ROM"}
    method : {"REML", "DL", "PM", "IV"}
        tau² estimator; ``"IV"`` fits the common-effect (fixed-effects) meta-regression (metafor ``"FE"``).
    test : {"z", "hksj"}
        Wald z and chi² omnibus test, or Knapp-Hartung t(k - p) and F(m, k - p) (metafor ``"knha"``,
        accepted as an alias).
    alpha : float
        1 - confidence level of the coefficient intervals.
    tol, maxiter : float, int
        Convergence of REML (change in tau²) and of the Paule-Mandel root.

    Returns
    -------
    MetaRegression

    Raises
    ------
    DataError
        Bad counts, a missing or constant moderator, collinear moderators or too few studies (k <= p),
        naming the column and the 1-based row.

    Examples
    --------
    >>> import fmtrials
    >>> t = fmtrials.contrasts(endpoint="nausea")
    >>> reg = fmtrials.meta_regression(t, "dose_mg_day", measure="RR", method="REML")
    >>> reg.coefficients["term"].tolist()
    ['intrcpt', 'dose_mg_day']
    >>> reg.k, reg.qm_df
    (4, (1,))
    """
    measure = choice(measure, POOL_MEASURES, "measure")
    method = choice(method, MREG_METHODS, "method")
    test = choice(test, MREG_TESTS, "test")
    alpha = check_alpha(alpha)
    tol = check_number(tol, "tol", low=0.0, high=1.0, inclusive=False)
    maxiter = check_int(maxiter, "maxiter", low=1, high=10**6)
    mods = _moderators(moderators)
    df = as_frame(table, MEAN_COLUMNS if measure in CONTINUOUS_MEASURES else COUNT_COLUMNS).reset_index(drop=True)
    d = prepare(df, measure=measure)
    eff = d.effects(measure)
    rows = np.nonzero(~eff.excluded)[0]
    X, terms = design(df, mods, rows)
    k, p = X.shape
    if k <= p:
        raise DataError(
            Problem(
                f"{k} studies cannot estimate {p} coefficients (and the residual "
                "heterogeneity): need more studies than coefficients",
                file=DATAFRAME,
                column=mods[0],
            )
        )
    y, v = eff.yi[rows], eff.vi[rows]
    f = mfit(y, v, X, method, "knha" if test == "hksj" else test, tol, maxiter)
    return _result(
        f,
        X,
        y,
        v,
        terms,
        d.label[rows],
        df.iloc[rows],
        mods,
        measure,
        method,
        test,
        alpha,
        tol,
        maxiter,
        tuple(str(x) for x in d.label[eff.excluded]),
    )


def _r2(f, y: np.ndarray, v: np.ndarray, method: str, tol: float, maxiter: int) -> float:
    """R² (percent) as metafor 3.8: (tau²_0 - tau²)/tau²_0 (0 when tau²_0 = 0); for the common-effect model
    the adjusted R² of the weighted regression, 1 - (QE/QE_0)(k - 1)/(k - p)."""
    k = len(y)
    ones = np.ones((k, 1))
    if method == "IV":
        qe0 = mfit(y, v, ones, "IV").qe
        return 0.0 if qe0 == 0 else max(0.0, 100 * (1 - (f.qe / qe0) * (k - 1) / (k - f.p)))
    tau2_0 = tau2_of(y, v, ones, method, tol, maxiter)
    return 0.0 if tau2_0 == 0 else max(0.0, 100 * (tau2_0 - f.tau2) / tau2_0)


def _result(
    f, X, y, v, terms, labels, rows_df, mods, measure, method, test, alpha, tol, maxiter, excluded
) -> MetaRegression:
    k, p = X.shape
    se = np.sqrt(np.diag(f.vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = f.beta / se
    if test == "hksj":
        dfree = k - p
        pv = 2 * special.stdtr(dfree, -np.abs(stat))
        cr = float(special.stdtrit(dfree, 1 - alpha / 2))
    else:
        pv = 2 * special.ndtr(-np.abs(stat))
        cr = float(-special.ndtri(alpha / 2))
    coefs = pd.DataFrame(
        {
            "term": terms,
            "estimate": f.beta,
            "se": se,
            "statistic": stat,
            "p_value": pv,
            "ci_low": f.beta - cr * se,
            "ci_high": f.beta + cr * se,
        }
    )
    b, vb = f.beta[1:], f.vb[1:, 1:]
    m = p - 1
    qm = float(b @ np.linalg.solve(vb, b)) if f.s2w > 0 else _NAN
    if test == "hksj":
        qm /= m
        qm_df: tuple[int, ...] = (m, k - p)
        qm_p = float(special.fdtrc(m, k - p, qm))
    else:
        qm_df, qm_p = (m,), float(special.chdtrc(m, qm))
    w0 = 1 / v
    Xw = X * w0[:, None]
    tr_p0 = w0.sum() - np.trace(np.linalg.solve(X.T @ Xw, X.T @ (Xw * w0[:, None])))
    vt = (k - p) / tr_p0
    i2 = 100 * f.tau2 / (vt + f.tau2)
    if method == "IV":  # metafor: I² from QE for the common-effect model
        i2 = max(0.0, 100 * (f.qe - (k - p)) / f.qe) if f.qe > 0 else 0.0
    notes = []
    r2 = _r2(f, y, v, method, tol, maxiter)
    if excluded:
        notes.append(
            f"{len(excluded)} double-zero stud{'y' if len(excluded) == 1 else 'ies'} excluded: " + ", ".join(excluded)
        )
    if test == "hksj" and f.s2w == 0:
        notes.append("the Knapp-Hartung scale factor is 0 (the model fits exactly): no tests")
    data = pd.DataFrame({"label": labels, "yi": y, "vi": v, "weight": 100 * f.w / f.w.sum()})
    for mname in mods:
        data[mname] = rows_df[mname].to_numpy()
    return MetaRegression(
        measure=measure,
        method=method,
        test=test,
        moderators=tuple(mods),
        k=k,
        p=p,
        alpha=alpha,
        coefficients=coefs,
        qm=qm,
        qm_df=qm_df,
        qm_p=qm_p,
        qe=f.qe,
        qe_df=k - p,
        qe_p=float(special.chdtrc(k - p, f.qe)),
        tau2=f.tau2,
        i2=float(i2),
        r2=float(r2),
        excluded=excluded,
        notes=tuple(notes),
        data=data,
        vb=f.vb,
    )

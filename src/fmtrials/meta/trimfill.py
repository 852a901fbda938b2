""":func:`trim_and_fill`: Duval & Tweedie's trim-and-fill method, as metafor ``trimfill.rma.uni`` (3.8).

Algorithm (metafor's, step for step): the side of the missing studies is the opposite of the sign of the
slope of ``rma(yi, vi, mods = ~ sqrt(vi))`` (the model's own tau² estimator); the effects are sorted (flipped
when the missing studies are on the right), then repeatedly the ``k - k0`` smallest are pooled, the centred
effects ranked by absolute value and k0 estimated (L0: (4 S_r - k(k + 1)) / (2k - 1); R0: the length of the
rightmost run of positive ranks minus 1), rounded and truncated at 0, until k0 does not change. The k0 most
extreme studies are mirrored about the last trimmed estimate and the model refitted on all k + k0 effects
(z test, as metafor). Mantel-Haenszel and Peto results are refitted with the inverse-variance common-effect
model (metafor's trimfill needs an ``rma.uni`` fit), with a note.

References
----------
Duval S, Tweedie R (2000). Biometrics 56:455-463; J Am Stat Assoc 95:89-98.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._result import IntervalMixin, ResultMixin
from .._validation import ARGUMENTS
from .._vocab import TRIMFILL_ESTIMATORS, TrimFillEstimator, TrimFillSide, choice
from ..errors import ConvergenceError, DataError, Problem
from ._mreg import mfit
from .result import back, crit

__all__ = ["trim_and_fill", "TrimFillResult", "TRIMFILL_ESTIMATORS", "model_inputs"]

_NAN = float("nan")


@dataclass(frozen=True, eq=False)
class TrimFillResult(IntervalMixin, ResultMixin):
    """Result of :func:`trim_and_fill`.

    Attributes
    ----------
    k0, se_k0 : int, float
        Estimated number of missing studies and its SE (metafor ``k0``, ``se.k0``).
    side : {"left", "right"}
        Side of the funnel on which studies were filled.
    estimator, measure, method : str
    k : int
        Studies in the filled analysis (observed + k0).
    estimate, ci_low, ci_high : float
        Pooled effect of the filled analysis on the reporting scale (ratio for RR/OR), z interval.
    beta, se, p_value, tau2 : float
        On the analysis (log) scale; tau² of the filled analysis (0 for a common-effect model).
    studies : DataFrame
        ``label, yi, vi, filled`` (observed studies first, then the filled ones "Filled 1", ...).
    notes : tuple of str
    """

    k0: int
    se_k0: float
    side: str
    estimator: str
    measure: str
    method: str
    k: int
    alpha: float
    estimate: float
    ci_low: float
    ci_high: float
    beta: float
    se: float
    p_value: float
    tau2: float
    studies: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()

    @property
    def filled(self) -> pd.DataFrame:
        """The filled (imputed) studies only."""
        return self.studies[self.studies["filled"]].reset_index(drop=True)


def model_inputs(result: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, list[str]]:
    """(yi, vi, labels, rma.uni method, notes) of the studies pooled in a PoolResult."""
    if not hasattr(result, "studies") or not hasattr(result, "method"):
        raise DataError(
            Problem(
                f"result must be a PoolResult (from fmtrials.pool), got {type(result).__name__}",
                file=ARGUMENTS,
                column="result",
            )
        )
    if len(getattr(result, "subgroups", {}) or {}):
        raise DataError(
            Problem("give a result pooled without by= (or one subgroup's result)", file=ARGUMENTS, column="result")
        )
    s = result.studies
    s = s[s["included"].to_numpy(dtype=bool)]
    notes = []
    method = result.method
    if method in ("MH", "Peto"):
        notes.append(
            f"the {method} result is refitted with the inverse-variance common-effect model "
            "(rma.uni method='FE'), on which these diagnostics are defined"
        )
        method = "IV"
    if method == "REML" and result.tau2_method == "DL":
        method = "DL"
    return (
        s["yi"].to_numpy(dtype=float),
        s["vi"].to_numpy(dtype=float),
        s["label"].to_numpy(dtype=object),
        method,
        notes,
    )


def _k0(yc: np.ndarray, estimator: str) -> tuple[float, float]:
    """k0 and its SE from the centred sorted effects (metafor's formulas; ranks by |yc|, ties first come)."""
    k = len(yc)
    order = np.argsort(np.abs(yc), kind="stable")
    ranks = np.empty(k)
    ranks[order] = np.arange(1, k + 1)
    signed = np.sign(yc) * ranks
    if estimator == "R0":
        neg = signed[signed < 0]
        k0 = (k - np.max(-neg)) - 1 if len(neg) else float(k - 1)  # R's max of an empty set is -Inf
        return float(k0), float(np.sqrt(2 * max(0.0, k0) + 2))
    sr = signed[signed > 0].sum()
    k0 = (4 * sr - k * (k + 1)) / (2 * k - 1)
    var_sr = (
        k * (k + 1) * (2 * k + 1) + 10 * k0**3 + 27 * k0**2 + 17 * k0 - 18 * k * k0**2 - 18 * k * k0 + 6 * k**2 * k0
    ) / 24
    with np.errstate(invalid="ignore"):  # var_sr < 0: metafor's se.k0 is NaN (sqrt of a negative number)
        return float(k0), float(4 * np.sqrt(var_sr) / (2 * k - 1))


def _p(b: float, se: float, result: Any, original: bool) -> float:
    if original:
        return float(result.p_value)
    return float(2 * special.ndtr(-abs(b / se)))


def trim_and_fill(
    result: Any, *, estimator: TrimFillEstimator = "L0", side: TrimFillSide | None = None, maxiter: int = 100
) -> TrimFillResult:
    """Trim-and-fill (Duval & Tweedie) on a pooled result, as metafor ``trimfill``.

    Parameters
    ----------
    result : PoolResult
        From :func:`fmtrials.pool` without ``by``: common effect (IV; MH and Peto are refitted with IV) or
        random effects (DL, REML, PM; the filled analysis uses the same tau² estimator).
    estimator : {"L0", "R0"}
    side : {"left", "right"}, optional
        Side of the funnel where studies are missing; by default from the sign of the Egger-type slope.
    maxiter : int
        Iterations of the trim step.

    Returns
    -------
    TrimFillResult

    Examples
    --------
    >>> import fmtrials
    >>> res = fmtrials.pool(fmtrials.contrasts(endpoint="nausea"), measure="RR", method="DL",
    ...                     warn_shared=False)
    >>> tf = fmtrials.trim_and_fill(res)
    >>> tf.side, tf.k == res.k + tf.k0
    ('right', True)
    """
    estimator = choice(estimator, TRIMFILL_ESTIMATORS, "estimator")
    if side is not None:
        side = choice(side, ("left", "right"), "side")
    y, v, labels, method, notes = model_inputs(result)
    k = len(y)
    if k < 3:
        raise DataError(Problem(f"trim-and-fill needs at least 3 studies; got {k}", file=ARGUMENTS, column="result"))
    ones = np.ones((k, 1))
    if side is None:
        slope = mfit(y, v, np.column_stack([ones, np.sqrt(v)]), method).beta[1]
        side = "right" if slope < 0 else "left"
    sign = -1.0 if side == "right" else 1.0
    ys = sign * y
    ix = np.argsort(ys, kind="stable")
    ys, vs = ys[ix], v[ix]
    k0, k0_prev, it = 0, -1, 0
    while k0 != k0_prev:
        k0_prev = k0
        it += 1
        if it > maxiter:
            raise ConvergenceError("the trim-and-fill algorithm did not converge")
        beta = float(mfit(ys[: k - k0], vs[: k - k0], np.ones((k - k0, 1)), method).beta[0])
        yc = ys - beta
        k0_raw, se_k0 = _k0(yc, estimator)
        k0 = int(max(0.0, np.round(k0_raw)))  # R's round(): half to even, as numpy
        se_k0 = float(np.maximum(0.0, se_k0))  # R's max(0, NaN) is NaN: an undefined SE stays undefined
    fill_y = sign * (2 * beta - ys[k - k0 :]) if k0 > 0 else np.empty(0)
    fill_v = vs[k - k0 :] if k0 > 0 else np.empty(0)
    y_all, v_all = np.r_[y, fill_y], np.r_[v, fill_v]
    f = mfit(y_all, v_all, np.ones((k + k0, 1)), method)
    b, se = float(f.beta[0]), float(np.sqrt(f.vb[0, 0]))
    cr = crit(result.alpha, "z", None)
    m = result.measure
    if k0 == 0 and method == result.method:  # metafor returns the original fit unchanged
        b, se, cr = float(result.beta), float(result.se), crit(result.alpha, result.stat_dist, result.df)
    elif result.test != "z":
        notes.append(
            f"the filled analysis uses the z test (as metafor's trimfill), not the original {result.test} test"
        )
    studies = pd.DataFrame(
        {
            "label": np.r_[labels, [f"Filled {i + 1}" for i in range(k0)]].astype(object),
            "yi": y_all,
            "vi": v_all,
            "filled": np.r_[np.zeros(k, bool), np.ones(k0, bool)],
        }
    )
    return TrimFillResult(
        k0=k0,
        se_k0=se_k0,
        side=side,
        estimator=estimator,
        measure=m,
        method=method,
        k=k + k0,
        alpha=result.alpha,
        estimate=float(back(b, m)),
        ci_low=float(back(b - cr * se, m)),
        ci_high=float(back(b + cr * se, m)),
        beta=b,
        se=se,
        p_value=_p(b, se, result, k0 == 0 and method == result.method),
        tau2=f.tau2,
        studies=studies,
        notes=tuple(notes),
    )

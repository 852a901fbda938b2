""":func:`diagnostics`: what a report shows beyond the pooled estimate, by the rules of the analysis plan:

* a dose meta-regression (``meta_regression(table, "dose_mg_day")``) only where the trials differ in dose;
* influence diagnostics only with k >= 3;
* small-study tests (:data:`SMALL_STUDY_METHODS`: Egger's classical regression, metafor's default
  ``regtest``, Begg) and trim-and-fill only with k >= 10 (Cochrane Handbook §10.4.3.1);
  otherwise a sentence saying why not.

Nothing here renders: the report (or a notebook) formats the parts it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from .._result import ResultMixin
from .._validation import ARGUMENTS
from .._vocab import SmallStudyTest, TrimFillEstimator
from ..errors import DataError, Problem
from .casewise import influence
from .regression import MetaRegression, meta_regression
from .smallstudy import MIN_STUDIES, small_study_test
from .trimfill import TrimFillResult, trim_and_fill

__all__ = ["diagnostics", "Diagnostics", "DOSE_COLUMN", "SMALL_STUDY_METHODS"]

DOSE_COLUMN = "dose_mg_day"
#: the trim-and-fill estimator of the report's diagnostics (Duval & Tweedie 2000; metafor trimfill's default), which
#: the methods paragraph and the report's Methods name
TRIMFILL_ESTIMATOR: TrimFillEstimator = "L0"
#: the small-study tests run from k >= 10: Egger's classical regression (metafor ``regtest(fit, model="lm")``),
#: metafor's default ``regtest(fit)`` (meta-regression on sei with the result's tau² estimator, z test) and Begg's
#: rank correlation (``ranktest``)
SMALL_STUDY_METHODS: tuple[SmallStudyTest, ...] = ("egger", "egger_rma", "begg")


@dataclass(frozen=True, eq=False)
class Diagnostics(ResultMixin):
    """The diagnostics of one pooled analysis; a part that is not meaningful is None and ``reasons`` says why.

    Attributes
    ----------
    dose_regression : MetaRegression or None
    influence : DataFrame or None
    small_study : DataFrame or None
        One row per test of :data:`SMALL_STUDY_METHODS` (k >= 10).
    trim_and_fill : TrimFillResult or None
    reasons : dict
        Part name -> the sentence the report prints instead of a missing part.
    """

    dose_regression: MetaRegression | None
    influence: pd.DataFrame | None = field(repr=False)
    small_study: pd.DataFrame | None = field(repr=False)
    trim_and_fill: TrimFillResult | None
    reasons: dict[str, str]

    def to_frame(self) -> pd.DataFrame:
        """One row per part: ``part``, ``run`` (whether it was run) and ``reason`` (why not, else empty)."""
        parts = ("dose_regression", "influence", "small_study", "trim_and_fill")
        return pd.DataFrame(
            {
                "part": list(parts),
                "run": [getattr(self, p) is not None for p in parts],
                "reason": [self.reasons.get(p, "") for p in parts],
            }
        )

    def summary(self) -> str:
        """One line per part: run, or the reason it was not."""
        return "\n".join(
            ["Diagnostics"] + [f"  {r.part}: {'run' if r.run else r.reason}" for r in self.to_frame().itertuples()]
        )


def _dose(table: pd.DataFrame, rows: np.ndarray, result: Any) -> tuple[MetaRegression | None, str | None]:
    if DOSE_COLUMN not in table.columns:
        return None, f"no dose meta-regression: the table has no {DOSE_COLUMN} column"
    dose = pd.to_numeric(table[DOSE_COLUMN], errors="coerce").to_numpy(dtype=float)[rows]
    if np.isnan(dose).any():
        return None, "no dose meta-regression: the dose is not stated for every comparison"
    if np.unique(dose).size < 2:
        return None, f"no dose meta-regression: every comparison uses the same dose ({dose[0]:g} mg/day)"
    if len(dose) < 3:
        return None, "no dose meta-regression: fewer than 3 comparisons"
    method = "IV" if result.model == "common" else (result.tau2_method or "REML")
    return meta_regression(
        table.iloc[rows],
        DOSE_COLUMN,
        measure=result.measure,
        method=cast(Any, method),
        test="hksj" if result.test != "z" else "z",
        alpha=result.alpha,
    ), None


def diagnostics(result: Any, table: pd.DataFrame | None = None) -> Diagnostics:
    """The meaningful diagnostics of a pooled analysis, and sentences for those left out.

    Parameters
    ----------
    result : PoolResult
        From :func:`fmtrials.pool` (without ``by``).
    table : DataFrame, optional
        The table that was pooled (same rows, in the same order), for the dose column; without it, no dose
        meta-regression.

    Returns
    -------
    Diagnostics

    Examples
    --------
    >>> import fmtrials
    >>> from fmtrials.meta import diagnostics
    >>> t = fmtrials.contrasts(endpoint="nausea")
    >>> res = fmtrials.pool(t, measure="RR", method="REML", warn_shared=False)
    >>> dg = diagnostics(res, t)
    >>> dg.dose_regression is not None, dg.influence is not None, dg.small_study is None
    (True, True, True)
    >>> print(dg.reasons["small_study"])
    no small-study tests or trim-and-fill: k = 4 comparisons, fewer than the 10 needed for a test of funnel-plot asymmetry to be informative (Cochrane Handbook §10.4.3.1)
    """
    if not hasattr(result, "studies") or not hasattr(result, "k"):
        raise DataError(
            Problem(f"result must be a PoolResult, got {type(result).__name__}", file=ARGUMENTS, column="result")
        )
    k = int(result.k)
    reasons: dict[str, str] = {}
    rows = np.nonzero(result.studies["included"].to_numpy(dtype=bool))[0]
    dose = None
    if table is None:
        reasons["dose_regression"] = "no dose meta-regression: the pooled table was not given"
    elif len(table) != len(result.studies):
        raise DataError(Problem("table must be the table that was pooled (same rows)", file=ARGUMENTS, column="table"))
    else:
        dose, why = _dose(table.reset_index(drop=True), rows, result)
        if why:
            reasons["dose_regression"] = why
    inf = influence(result) if k >= 3 else None
    if inf is None:
        reasons["influence"] = f"no influence diagnostics: k = {k} comparison(s), at least 3 needed"
    sst = tf = None
    if k >= MIN_STUDIES:
        counts = result.studies.assign(study=result.studies["label"])
        tau2 = "IV" if result.model == "common" else (result.tau2_method or "REML")
        sst = pd.concat(
            [
                small_study_test(counts, measure=result.measure, test=m, method=cast(Any, tau2))
                for m in SMALL_STUDY_METHODS
            ],
            ignore_index=True,
        )
        tf = trim_and_fill(result, estimator=TRIMFILL_ESTIMATOR)
    else:
        reasons["small_study"] = (
            f"no small-study tests or trim-and-fill: k = {k} comparisons, fewer than the "
            f"{MIN_STUDIES} needed for a test of funnel-plot asymmetry to be informative "
            "(Cochrane Handbook §10.4.3.1)"
        )
    return Diagnostics(dose_regression=dose, influence=inf, small_study=sst, trim_and_fill=tf, reasons=reasons)

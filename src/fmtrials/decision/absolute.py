"""Absolute effects per 1000 patients from a pooled relative effect (GRADE / RevMan "anticipated absolute
effects")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import ARGUMENTS
from .._vocab import Measure
from ..errors import DataError, Problem

if TYPE_CHECKING:
    from ..meta import PoolResult

__all__ = ["ABSOLUTE_COLUMNS", "absolute_effects", "corresponding_risk"]

#: the columns of :func:`absolute_effects`
ABSOLUTE_COLUMNS = (
    "measure",
    "estimate",
    "ci_low",
    "ci_high",
    "control_risk",
    "control_risk_source",
    "control_risk_per_1000",
    "risk_per_1000",
    "risk_per_1000_low",
    "risk_per_1000_high",
    "difference_per_1000",
    "difference_per_1000_low",
    "difference_per_1000_high",
    "note",
)


def corresponding_risk(control_risk: Any, effect: Any, measure: Measure) -> np.ndarray:
    """Risk on treatment for an assumed control risk: CR x RR; OR x CR / (1 - CR + OR x CR); CR + RD (RR and
    RD results clipped to [0, 1]: a risk cannot leave that range).

    Examples
    --------
    >>> corresponding_risk(0.2, [1.5, 2.0], "RR").round(4).tolist()
    [0.3, 0.4]
    >>> corresponding_risk(0.2, 2.0, "OR").round(4).tolist()
    [0.3333]
    """
    cr = np.asarray(control_risk, dtype=float)
    e = np.atleast_1d(np.asarray(effect, dtype=float))
    if measure == "RR":
        return np.minimum(cr * e, 1.0)
    if measure == "OR":
        return e * cr / (1 - cr + e * cr)
    return np.clip(cr + e, 0.0, 1.0)


def _control_risks(result: PoolResult, control_risk: Any) -> tuple[np.ndarray, list[str]]:
    if control_risk is None:
        s = result.studies
        s = s[s["included"]] if "included" in s else s
        risks = (s["events_c"] / s["n_c"]).to_numpy(dtype=float)
        med = float(np.median(risks))
        return np.array([med]), [
            (
                f"median placebo risk of the {len(risks)} pooled comparison(s) "
                f"(range {risks.min():.3f} to {risks.max():.3f})"
            )
        ]
    try:
        raw = np.asarray(control_risk)
        cr = np.atleast_1d(raw.astype(float)) if raw.dtype.kind in "iuf" else np.array([np.nan])
    except (TypeError, ValueError):
        cr = np.array([np.nan])
    if cr.ndim != 1 or cr.size == 0 or not np.all(np.isfinite(cr)) or np.any((cr < 0) | (cr > 1)):
        raise DataError(
            Problem(f"must be a risk (or risks) in [0, 1], got {control_risk!r}", file=ARGUMENTS, column="control_risk")
        )
    return cr, ["stated by the caller"] * cr.size


def absolute_effects(result: PoolResult, control_risk: Any = None) -> pd.DataFrame:
    """Assumed and corresponding risks per 1000 patients, and their difference, from a pooled result.

    Parameters
    ----------
    result : PoolResult
        A pooled result (:func:`fmtrials.pool`): its total estimate and CI are used.
    control_risk : float, array-like or None
        Assumed control (placebo) risk(s) in [0, 1], one row each. Default: the median placebo risk of the
        pooled comparisons (stated in ``control_risk_source``).

    Returns
    -------
    pandas.DataFrame
        :data:`ABSOLUTE_COLUMNS`. For a risk ratio the corresponding risk is control risk x RR (and x each CI
        bound); for an odds ratio OR x CR / (1 - CR + OR x CR); for a risk difference CR + RD; RR and RD risks
        are clipped to [0, 1] (``note`` says when). Differences are corresponding minus assumed, per 1000; not rounded
        (GRADE prints whole numbers).

    Examples
    --------
    >>> import pandas as pd
    >>> from fmtrials import pool, absolute_effects
    >>> t = pd.DataFrame({"study": ["A", "B"], "events_t": [73, 189], "n_t": [224, 516],
    ...                   "events_c": [24, 106], "n_c": [112, 509]})
    >>> r = pool(t, measure="RR", method="MH")
    >>> absolute_effects(r, control_risk=0.2)[["risk_per_1000", "difference_per_1000"]].round(1)
       risk_per_1000  difference_per_1000
    0          340.8                140.8
    """
    from ..meta import PoolResult

    if not isinstance(result, PoolResult):
        raise DataError(
            Problem(
                f"must be a PoolResult (fmtrials.pool), got {type(result).__name__}", file=ARGUMENTS, column="result"
            )
        )
    cr, source = _control_risks(result, control_risk)
    m: Any = result.measure
    risk = corresponding_risk(cr, result.estimate, m)
    lo = corresponding_risk(cr, result.ci_low, m)
    hi = corresponding_risk(cr, result.ci_high, m)
    if m == "RD":
        clipped = (cr + result.ci_low < 0) | (cr + result.ci_high > 1)
    else:
        clipped = (m == "RR") & (cr * result.ci_high > 1)
    return pd.DataFrame(
        {
            "measure": m,
            "estimate": result.estimate,
            "ci_low": result.ci_low,
            "ci_high": result.ci_high,
            "control_risk": cr,
            "control_risk_source": source,
            "control_risk_per_1000": 1000 * cr,
            "risk_per_1000": 1000 * risk,
            "risk_per_1000_low": 1000 * lo,
            "risk_per_1000_high": 1000 * hi,
            "difference_per_1000": 1000 * (risk - cr),
            "difference_per_1000_low": 1000 * (lo - cr),
            "difference_per_1000_high": 1000 * (hi - cr),
            "note": np.where(clipped, "corresponding risk clipped to [0, 1000]", ""),
        }
    )

""":func:`influence`: case-deletion diagnostics of a pooled result (metafor ``influence(fit)$inf``), and the
points of a Baujat plot (metafor ``baujat``).

Every deleted fit is a row of :func:`fmtrials.leave_one_out` with the result's own options (vectorised for IV
and DL, refitted per study for REML and PM). With mu, vb the full fit's estimate and (Knapp-Hartung-scaled)
variance, w = 1/(v + tau²), and for study i the deleted fit's estimate mu_(i), variance vb_(i), tau²_(i) and
Knapp-Hartung factor s²_(i) (1 for z), as metafor 3.8 ``influence.rma.uni``:

* ``rstudent`` = (y_i - mu_(i)) / sqrt(s²_(i) (v_i + tau²_(i)) + vb_(i));
* ``dffits`` = (mu - mu_(i)) / sqrt(s²_(i) h_i (tau²_(i) + v_i)), with the hat value h_i = w_i / sum w;
* ``cook_d`` = (mu - mu_(i))² / vb; ``cov_r`` = vb_(i) / vb;
* ``dfbetas`` = (mu - mu_(i)) / sqrt(s²_(i) / sum_j 1/(v_j + tau²_(i)));
* ``influential``: |dffits| > 3 sqrt(p/(k - p)), or P(chi²_1 <= cook_d) > 0.5, or h_i > 3 p/k, or
  |dfbetas| > 1 (p = 1).

Mantel-Haenszel and Peto results are diagnosed on the inverse-variance common-effect model (``influence`` is
defined for ``rma.uni`` fits), with a note; the Baujat points of MH/Peto results use MH/Peto deletions, as
metafor's ``baujat.rma.mh``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._validation import ARGUMENTS
from ..errors import DataError, Problem
from .sensitivity import leave_one_out
from .trimfill import model_inputs

__all__ = ["influence", "baujat_points", "INFLUENCE_COLUMNS"]

INFLUENCE_COLUMNS = (
    "label",
    "rstudent",
    "dffits",
    "cook_d",
    "cov_r",
    "tau2_del",
    "qe_del",
    "hat",
    "weight",
    "dfbetas",
    "influential",
)


def _deleted(result: Any, method: Any) -> pd.DataFrame:
    """leave_one_out rows of the included studies with the result's options (``method`` may differ)."""
    s = result.studies
    s = s[s["included"].to_numpy(dtype=bool)]
    table = pd.DataFrame(
        {
            "study": s["label"].to_numpy(dtype=object),
            **{c: s[c].to_numpy() for c in ("events_t", "n_t", "events_c", "n_c")},
        }
    )
    return leave_one_out(
        table, measure=result.measure, method=method, test=result.test, alpha=result.alpha, warn_shared=False
    )


def _check(result: Any) -> None:
    if not hasattr(result, "studies") or not hasattr(result, "beta"):
        raise DataError(
            Problem(f"result must be a PoolResult, got {type(result).__name__}", file=ARGUMENTS, column="result")
        )
    if int(result.k) < 3:
        raise DataError(
            Problem(
                f"influence diagnostics need at least 3 studies; got k = {result.k}", file=ARGUMENTS, column="result"
            )
        )


def influence(result: Any) -> pd.DataFrame:
    """Case-deletion diagnostics, one row per pooled study (metafor ``influence(fit)$inf`` and ``dfbs``).

    Parameters
    ----------
    result : PoolResult
        From :func:`fmtrials.pool` (k >= 3, without ``by``). MH and Peto results are diagnosed on the
        inverse-variance common-effect model (see ``attrs["notes"]``).

    Returns
    -------
    DataFrame
        Columns ``label, rstudent, dffits, cook_d, cov_r, tau2_del, qe_del, hat, weight`` (percent),
        ``dfbetas`` and ``influential`` (metafor's rules, see the module docstring); studies excluded from the
        pooling (double-zero) have no row. ``attrs["notes"]`` says how the model was fitted.

    Examples
    --------
    >>> import fmtrials
    >>> res = fmtrials.pool(fmtrials.contrasts(endpoint="nausea"), measure="RR", method="DL",
    ...                     warn_shared=False)
    >>> inf = fmtrials.influence(res)
    >>> round(float(inf["weight"].sum()), 10), len(inf)
    (100.0, 4)
    """
    _check(result)
    y, v, labels, method, notes = model_inputs(result)
    if method != result.method:
        from .pooling import pool

        s = result.studies[result.studies["included"].to_numpy(dtype=bool)]
        result = pool(
            s.assign(study=s["label"]),
            measure=result.measure,
            method=method,  # type: ignore[arg-type]
            test=result.test,
            alpha=result.alpha,
            warn_shared=False,
        )
    k = len(y)
    tau2, mu, vb = float(result.heterogeneity.tau2), float(result.beta), float(result.se) ** 2
    if result.model != "random":
        tau2 = 0.0
    w = 1 / (v + tau2)
    hat = w / w.sum()
    loo = _deleted(result, method)
    t2d = loo["tau2"].to_numpy(dtype=float) if result.model == "random" else np.zeros(k)
    bd, vbd = loo["beta"].to_numpy(dtype=float), loo["se"].to_numpy(dtype=float) ** 2
    sw_all = (1 / (v[None, :] + t2d[:, None])).sum(axis=1)  # deleted tau², all k studies
    sw_del = sw_all - 1 / (v + t2d)  # deleted tau², without study i
    s2w = vbd * sw_del if result.test != "z" else np.ones(k)
    dfb = mu - bd
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = y - bd
        resid[np.abs(resid) < 100 * np.finfo(float).eps] = 0.0
        out = pd.DataFrame(
            {
                "label": labels,
                "rstudent": resid / np.sqrt(v * s2w + vbd + t2d * s2w),
                "dffits": dfb / np.sqrt(s2w * hat * (t2d + v)),
                "cook_d": dfb**2 / vb,
                "cov_r": vbd / vb,
                "tau2_del": t2d,
                "qe_del": loo["q"].to_numpy(dtype=float),
                "hat": hat,
                "weight": 100 * hat,
                "dfbetas": dfb / np.sqrt(s2w / sw_all),
            }
        )
    p = 1
    out["influential"] = (
        (
            (np.abs(out["dffits"]) > 3 * np.sqrt(p / (k - p)))
            | (special.chdtr(p, out["cook_d"]) > 0.5)
            | (out["hat"] > 3 * p / k)
            | (np.abs(out["dfbetas"]) > 1)
        )
        .fillna(False)
        .astype(bool)
    )
    out.attrs["notes"] = tuple(notes) + (f"model: {method}, test {result.test}",)
    return out


def baujat_points(result: Any) -> pd.DataFrame:
    """The points of a Baujat plot (metafor ``baujat``): ``label``, ``x`` (contribution to heterogeneity,
    (y_i - mu)² / (v_i + tau²)) and ``y`` (influence on the pooled result, (mu_(i) - mu)² / vb_(i)).

    Examples
    --------
    >>> import fmtrials
    >>> res = fmtrials.pool(fmtrials.contrasts(endpoint="nausea"), measure="RR", method="MH",
    ...                     warn_shared=False)
    >>> fmtrials.meta.baujat_points(res).columns.tolist()
    ['label', 'x', 'y']
    """
    _check(result)
    s = result.studies[result.studies["included"].to_numpy(dtype=bool)]
    y, v = s["yi"].to_numpy(dtype=float), s["vi"].to_numpy(dtype=float)
    tau2 = float(result.heterogeneity.tau2) if result.model == "random" else 0.0
    loo = _deleted(result, result.method)
    mu = float(result.beta)
    bd, sd = loo["beta"].to_numpy(dtype=float), loo["se"].to_numpy(dtype=float)
    return pd.DataFrame(
        {"label": s["label"].to_numpy(dtype=object), "x": (y - mu) ** 2 / (v + tau2), "y": (bd - mu) ** 2 / sd**2}
    )

"""Pooling for the analysis layer: the one call into :mod:`fmtrials.meta`, the sensitivity grid, the pooled rows.

Every pooled fit of the analysis layer goes through :func:`_pooling`, so the mapping of the ``test=`` names
to the pooling API lives in one place.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal

import pandas as pd

from .._vocab import Measure
from ..errors import DataError
from .policy import Model, sensitivity_grid

#: what a pooled fit may raise on data it cannot pool (bad counts, nothing estimable, no convergence)
POOLING_ERRORS = (DataError, ValueError, RuntimeError)


def _pooling(
    kind: Literal["pool", "leave_one_out"],
    table: pd.DataFrame,
    *,
    measure: Measure,
    model: Model,
    alpha: float,
    by: str | None = None,
) -> Any:
    """Call :func:`fmtrials.pool` (``kind="pool"``) or :func:`fmtrials.leave_one_out` with warnings silenced
    (the analysis records shared placebo arms and every other caveat in its notes)."""
    from .. import meta

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "leave_one_out":
            return meta.leave_one_out(table, measure=measure, method=model.method, test=model.test, alpha=alpha)
        return meta.pool(table, measure=measure, method=model.method, test=model.test, alpha=alpha, by=by)


def _numbers(r: Any) -> dict[str, Any]:
    """The headline numbers of a PoolResult as a flat dict (``test``, estimate, CI, p, heterogeneity,
    prediction interval, subgroup test)."""
    het, pred, st = r.heterogeneity, r.prediction, r.subgroup_test
    sub = (math.nan, math.nan, math.nan) if st is None or not math.isfinite(st.q) else (st.q, st.df, st.p)
    return {
        "method": r.method,
        "test": r.test,
        "k": r.k,
        "estimate": r.estimate,
        "ci_low": r.ci_low,
        "ci_high": r.ci_high,
        "p_value": r.p_value,
        "q": het.q,
        "q_df": het.q_df,
        "q_p": het.q_p,
        "i2": het.i2,
        "tau2": het.tau2,
        "pi_low": pred.pi_low,
        "pi_high": pred.pi_high,
        "subgroup_q": sub[0],
        "subgroup_df": sub[1],
        "subgroup_p": sub[2],
    }


def sensitivity(table: pd.DataFrame, measure: Measure, alpha: float) -> pd.DataFrame:
    """Pool ``table`` with every model of :func:`~fmtrials.analysis.policy.sensitivity_grid`, one row each.

    Columns ``method, test, k, estimate, ci_low, ci_high, p_value, tau2, i2, pi_low, pi_high, note``; a model
    that cannot pool the table gets a row with its error in ``note`` (and ``k`` the number of rows given).
    """
    rows = []
    for model in sensitivity_grid(measure):
        head = {"method": model.method, "test": model.test}
        try:
            r = _pooling("pool", table, measure=measure, model=model, alpha=alpha)
        except POOLING_ERRORS as err:
            rows.append({**head, "k": len(table), "note": str(err)})
            continue
        n = _numbers(r)
        rows.append(
            {
                **head,
                **{
                    c: n[c]
                    for c in ("k", "estimate", "ci_low", "ci_high", "p_value", "tau2", "i2", "pi_low", "pi_high")
                },
                "note": "; ".join(r.notes),
            }
        )
    return pd.DataFrame(rows)


def pooled_rows(endpoint: str, role: str, r: Any) -> list[dict[str, Any]]:
    """The rows of one pooled model: one per subgroup (``"<dose> mg/day"``), then the total (``"all doses"``
    with subgroups, else ``"overall"``); the subgroup test on the total row."""
    groups = list(r.subgroups.items()) if r.subgroups else []
    rows = []
    for g, sub in groups:
        rows.append({"endpoint": endpoint, "model": role, "group": f"{g} mg/day", **_numbers(sub)})
    rows.append({"endpoint": endpoint, "model": role, "group": "all doses" if groups else "overall", **_numbers(r)})
    return rows

"""Pooling for the analysis layer: the one call into :mod:`fmtrials.meta`, the sensitivity grid, the pooled rows.

Every pooled fit of the analysis layer goes through :func:`_pooling`, so the mapping of the ``test=`` names
to the pooling API lives in one place.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal

import pandas as pd

from ..errors import DataError
from .policy import Model, sensitivity_grid

#: what a pooled fit may raise on data it cannot pool (bad counts, nothing estimable, no convergence)
POOLING_ERRORS = (DataError, ValueError, RuntimeError)


def _pooling(kind: Literal["pool", "leave_one_out"], table: pd.DataFrame, *, measure: str, model: Model,
             alpha: float, by: str | None = None) -> Any:  # transitional
    """Call :func:`fmtrials.pool` (``kind="pool"``) or :func:`fmtrials.leave_one_out` with warnings silenced.

    Transitional: the pooling API is moving from the booleans ``hksj``/``hksj_truncate`` to
    ``test="z"|"hksj"|"hksj-adhoc"``; this helper maps ``model.test`` to today's booleans. After the merge
    the lead replaces its body by a direct call,
    ``pool(table, measure=measure, method=model.method, test=model.test, alpha=alpha, by=by)`` (and
    ``leave_one_out(...)`` with the same keywords, without ``by``).
    """
    from .. import meta

    flags = {"hksj": model.test != "z", "hksj_truncate": model.test == "hksj-adhoc"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "leave_one_out":
            return meta.leave_one_out(table, measure=measure, method=model.method, alpha=alpha, **flags)
        return meta.pool(table, measure=measure, method=model.method, alpha=alpha, by=by, **flags)


def _numbers(r: Any) -> dict[str, Any]:  # transitional
    """The headline numbers of a PoolResult as a flat dict (``test``, estimate, CI, p, heterogeneity,
    prediction interval, subgroup test).

    Transitional: reads the nested ``heterogeneity`` / ``prediction`` / ``subgroup_test`` of the new
    PoolResult when present, else today's flat attributes; after the merge only the first branch remains.
    """
    het = getattr(r, "heterogeneity", r)
    pred = getattr(r, "prediction", r)
    if hasattr(r, "subgroup_test"):
        st = r.subgroup_test
        sub = (math.nan, 0, math.nan) if st is None else (st.q, st.df, st.p)
    else:
        sub = (r.q_between, r.q_between_df, r.q_between_p)
    if not math.isfinite(sub[0]):
        sub = (math.nan, math.nan, math.nan)
    test = getattr(r, "test", None)
    if test is None:
        test = "z" if not r.hksj else ("hksj-adhoc" if r.hksj_truncate else "hksj")
    return {"method": r.method, "test": test, "k": r.k, "estimate": r.estimate, "ci_low": r.ci_low,
            "ci_high": r.ci_high, "p_value": r.p_value, "q": het.q, "q_df": het.q_df, "q_p": het.q_p,
            "i2": het.i2, "tau2": het.tau2, "pi_low": pred.pi_low, "pi_high": pred.pi_high,
            "subgroup_q": sub[0], "subgroup_df": sub[1], "subgroup_p": sub[2]}


def sensitivity(table: pd.DataFrame, measure: str, alpha: float) -> pd.DataFrame:
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
        rows.append({**head, **{c: n[c] for c in ("k", "estimate", "ci_low", "ci_high", "p_value", "tau2",
                                                  "i2", "pi_low", "pi_high")},
                     "note": "; ".join(r.notes)})
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


"""Pooling for the analysis layer: the one call into :mod:`fmtrials.meta`, the sensitivity grid, the pooled rows.

Every pooled fit of the analysis layer goes through :func:`pooled_fit`, so the mapping of the ``test=`` names
to the pooling API lives in one place.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal

import pandas as pd

from .._vocab import PROPORTIONS_TESTS, Measure, choice
from ..errors import DataError
from .policy import Model, sensitivity_grid

#: what a pooled fit may raise on data it cannot pool (bad counts, nothing estimable, no convergence)
POOLING_ERRORS = (DataError, ValueError, RuntimeError)


def pooled_fit(
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
        "i2_tau2": het.i2_tau2,
        "tau2": het.tau2,
        "pi_low": pred.pi_low,
        "pi_high": pred.pi_high,
        "subgroup_q": sub[0],
        "subgroup_df": sub[1],
        "subgroup_p": sub[2],
    }


def sensitivity(table: pd.DataFrame, measure: Measure, alpha: float) -> pd.DataFrame:
    """Pool ``table`` with every model of :func:`~fmtrials.analysis.policy.sensitivity_grid`, one row each.

    Columns ``method, test, k, estimate, ci_low, ci_high, p_value, tau2, i2, i2_tau2, pi_low, pi_high, note``
    (``i2`` the Q-based I², ``i2_tau2`` metafor's τ²-based one, NaN for common-effect models); a model
    that cannot pool the table gets a row with its error in ``note`` (and ``k`` the number of rows given).
    """
    rows = []
    for model in sensitivity_grid(measure):
        head = {"method": model.method, "test": model.test}
        try:
            r = pooled_fit("pool", table, measure=measure, model=model, alpha=alpha)
        except POOLING_ERRORS as err:
            rows.append({**head, "k": len(table), "note": str(err)})
            continue
        n = _numbers(r)
        rows.append(
            {
                **head,
                **{
                    c: n[c]
                    for c in (
                        "k",
                        "estimate",
                        "ci_low",
                        "ci_high",
                        "p_value",
                        "tau2",
                        "i2",
                        "i2_tau2",
                        "pi_low",
                        "pi_high",
                    )
                },
                "note": "; ".join(r.notes),
            }
        )
    return pd.DataFrame(rows)


#: the per-comparison tests (:func:`fmtrials.effects.proportions_test`) as a table cell names them
TEST_NAMES = {
    "fisher": "Fisher exact",
    "chi2": "Pearson χ²",
    "yates": "Yates χ²",
    "barnard": "Barnard exact",
    "boschloo": "Boschloo exact",
    "score": "score test",
}


def single_p(r: Any, test: str) -> float:
    """The p-value of the one comparison of a k = 1 result ``r``: ``test`` (a
    :func:`fmtrials.effects.proportions_test` name, the per-comparison table's) on its counts as pooled."""
    from ..effects import proportions_test

    one = r.studies[r.studies["included"].astype(bool)]
    a, n1, c, n2 = (int(one[col].iloc[0]) for col in ("events_t", "n_t", "events_c", "n_c"))
    return float(proportions_test(a, n1, c, n2, test=choice(test, PROPORTIONS_TESTS, "test"))["p_value"].iloc[0])


def single_comparison(r: Any, test: str = "fisher") -> dict[str, Any]:
    """A k = 1 result ``r`` as what it is: one comparison, its own estimate and interval, one p-value with its
    test named (``test``, the per-comparison table's), and no pooling model (``results.json``).

    The estimate and interval are the study's own (the per-study effect on the analysis scale, back-transformed
    for ratios), so no model name is attached to them."""
    one = r.studies[r.studies["included"].astype(bool)].iloc[0]
    return {
        "what": "one comparison: its own estimate and interval; nothing is pooled",
        "study": str(one["label"]),
        "events_t": int(one["events_t"]),
        "n_t": int(one["n_t"]),
        "events_c": int(one["events_c"]),
        "n_c": int(one["n_c"]),
        "measure": r.measure,
        "alpha": r.alpha,
        "estimate": float(one["estimate"]),
        "ci_low": float(one["ci_low"]),
        "ci_high": float(one["ci_high"]),
        "p_value": single_p(r, test),
        "test": test,
    }


def _row_numbers(r: Any, single_test: str) -> dict[str, Any]:
    """:func:`_numbers`, except for one comparison (k = 1): no model (``method`` empty) and one p-value, that of
    the per-comparison test ``single_test`` (named in ``test``), not the pooling model's Wald p."""
    n = _numbers(r)
    if r.k == 1:
        n.update(method="", test=single_test, p_value=single_p(r, single_test))
    return n


def pooled_rows(endpoint: str, role: str, r: Any, single_test: str = "fisher") -> list[dict[str, Any]]:
    """The rows of one pooled model: one per subgroup (``"<dose> mg/day"``), then the total (``"all doses"``
    with subgroups, else ``"overall"``); the subgroup test on the total row. A row of one comparison
    (k = 1) names no model and carries the p-value of ``single_test`` (:func:`_row_numbers`)."""
    groups = list(r.subgroups.items()) if r.subgroups else []
    rows = []
    for g, sub in groups:
        rows.append({"endpoint": endpoint, "model": role, "group": f"{g} mg/day", **_row_numbers(sub, single_test)})
    total = "all doses" if groups else "overall"
    rows.append({"endpoint": endpoint, "model": role, "group": total, **_row_numbers(r, single_test)})
    return rows

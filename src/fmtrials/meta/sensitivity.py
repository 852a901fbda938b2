"""Sensitivity analyses: :func:`leave_one_out` (metafor ``leave1out``) and :func:`cumulative` (``cumul``).

Cost. For MH, Peto, IV and DL every subset is computed at once from array operations over the subset matrix
(O(k²) arithmetic in blocks, no refit per subset): k = 10,000 studies take a few seconds. REML and PM are
iterative: each subset is refitted on its own (O(k) per iteration, at most ``maxiter`` iterations per subset,
so O(k² · iterations) in all: about 1 s for k = 1,000 and minutes for k = 10,000). Subsets where a special
rule applies (fewer than 3 studies, an undefined estimate, a zero SE) are always refitted one by one.
The values equal a refit of :func:`~fmtrials.pool` on each subset (to rounding, 1e-10 relative).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._validation import ARGUMENTS
from .._vocab import Measure, OnNonconvergence, PiMethod, PoolMethod, PoolTest
from ..errors import DataError, Problem
from ._subsets import FAST_METHODS, subset_rows
from ._table import Data, as_frame, prepare
from .fitting import ROW_COLUMNS, Options, fit_row
from .pooling import options

__all__ = ["leave_one_out", "cumulative"]


def _rows(
    d: Data, o: Options, n: int, mask: Callable[[int, int], np.ndarray], take: Callable[[int], np.ndarray]
) -> pd.DataFrame:
    """The sensitivity columns of ``n`` subsets: vectorised where possible, refitted one by one otherwise."""
    if o.method in FAST_METHODS:
        cols, refit = subset_rows(d, o, n, mask)
    else:
        cols, refit = {c: np.full(n, np.nan) for c in ROW_COLUMNS}, np.ones(n, dtype=bool)
    for i in np.nonzero(refit)[0].tolist():
        row = fit_row(d.take(take(i)), o)
        for c in ROW_COLUMNS:
            cols[c][i] = row[c]
    out = pd.DataFrame(cols)
    out["k"] = out["k"].astype(np.int64)
    return out


def _check_by(by: Any, name: str) -> None:
    if by is not None:
        raise DataError(Problem(f"{name} does not take by=", file=ARGUMENTS, column="by"))


def leave_one_out(
    table: pd.DataFrame,
    *,
    measure: Measure = "RR",
    method: PoolMethod = "MH",
    test: PoolTest = "z",
    alpha: float = 0.05,
    by: None = None,
    pi_method: PiMethod = "hts",
    tol: float = 1e-12,
    maxiter: int = 100,
    on_nonconvergence: OnNonconvergence = "raise",
    warn_shared: bool = True,
) -> pd.DataFrame:
    """Pool again with each study left out in turn (metafor ``leave1out``).

    Takes the keywords of :func:`~fmtrials.pool` (``by`` must be None; the rows never warn about a shared
    placebo arm, so ``warn_shared`` has no effect). See the module docstring for the cost with large k.

    Returns
    -------
    DataFrame
        One row per study of ``table`` in input order: ``omitted`` (the study's label), ``k``, ``estimate``,
        ``ci_low``, ``ci_high`` (reporting scale), ``beta``, ``se``, ``statistic``, ``p_value``, ``q``, ``q_p``,
        ``i2`` (Q-based), ``i2_tau2`` (metafor's τ²-based I²; NaN for common-effect models), ``tau2``,
        ``pi_low``, ``pi_high``. A row whose remaining studies cannot be pooled has k = 0 and NaN.

    Examples
    --------
    >>> import pandas as pd, fmtrials
    >>> t = pd.DataFrame({"study": ["A", "B", "C"], "events_t": [73, 189, 18], "n_t": [224, 516, 85],
    ...                   "events_c": [47, 106, 6], "n_c": [223, 509, 21]})
    >>> fmtrials.leave_one_out(t, measure="RR", method="MH")["estimate"].round(4).tolist()
    [1.6747, 1.4097, 1.6937]
    """
    _check_by(by, "leave_one_out")
    o = options(measure, method, test, alpha, pi_method, tol, maxiter, on_nonconvergence)
    d = prepare(table)
    n = len(d.a)
    idx = np.arange(n)
    rows = _rows(d, o, n, lambda s, e: idx[None, :] != idx[s:e, None], lambda i: idx[idx != i])
    rows.insert(0, "omitted", d.label)
    return rows


def cumulative(
    table: pd.DataFrame,
    *,
    order_by: str | None = "year",
    measure: Measure = "RR",
    method: PoolMethod = "MH",
    test: PoolTest = "z",
    alpha: float = 0.05,
    by: None = None,
    pi_method: PiMethod = "hts",
    tol: float = 1e-12,
    maxiter: int = 100,
    on_nonconvergence: OnNonconvergence = "raise",
    warn_shared: bool = True,
) -> pd.DataFrame:
    """Cumulative meta-analysis: add studies one at a time in ``order_by`` order (metafor ``cumul``).

    Parameters
    ----------
    order_by : str or None
        Column to sort by (stable: ties keep table order); None keeps the table order.
    table, measure, method, test, alpha, by, pi_method, tol, maxiter, on_nonconvergence, warn_shared
        As :func:`~fmtrials.pool` (``by`` must be None).

    Returns
    -------
    DataFrame
        One row per step: ``added`` (label of the study added), the ``order_by`` value, then the columns of
        :func:`leave_one_out` for the studies added so far.

    Examples
    --------
    >>> import pandas as pd, fmtrials
    >>> t = pd.DataFrame({"study": ["A", "B", "C"], "year": [2009, 2013, 2010],
    ...                   "events_t": [73, 18, 189], "n_t": [224, 85, 516],
    ...                   "events_c": [47, 6, 106], "n_c": [223, 21, 509]})
    >>> fmtrials.cumulative(t, order_by="year", method="MH")["added"].tolist()
    ['A', 'C', 'B']
    """
    _check_by(by, "cumulative")
    o = options(measure, method, test, alpha, pi_method, tol, maxiter, on_nonconvergence)
    df = as_frame(table)
    d = prepare(df)  # labels from the table order, so they match pool()'s
    if order_by is not None:
        if order_by not in df.columns:
            raise DataError(
                Problem(f"order_by column {order_by!r} not in the table", file=ARGUMENTS, column="order_by")
            )
        pos = df.reset_index(drop=True).sort_values(order_by, kind="stable", na_position="last").index.to_numpy()
        d = d.take(pos)
        df = df.iloc[pos]
    n = len(d.a)
    idx = np.arange(n)
    rows = _rows(d, o, n, lambda s, e: idx[None, :] <= idx[s:e, None], lambda i: idx[: i + 1])
    rows.insert(0, "added", d.label)
    if order_by is not None:
        rows.insert(1, order_by, df[order_by].to_numpy())
    return rows

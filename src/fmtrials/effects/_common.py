"""Shared plumbing of the effects modules: validated counts, the result frame, z, per-distinct-table calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import as_count_arrays
from .._vocab import COUNT_COLUMNS


def z_value(alpha: float) -> float:
    """Two-sided standard normal critical value z_{1 - alpha/2}."""
    return float(stats.norm.isf(alpha / 2.0))


def counts(events_t: Any, n_t: Any, events_c: Any, n_c: Any) -> tuple[np.ndarray, ...]:
    """The four validated counts as flat int64 arrays (see :func:`fmtrials._validation.as_count_arrays`)."""
    x1, n1, x2, n2 = as_count_arrays(events_t, n_t, events_c, n_c, names=COUNT_COLUMNS)
    return x1.ravel(), n1.ravel(), x2.ravel(), n2.ravel()


def frame(x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, **cols: Any) -> pd.DataFrame:
    """Result frame: the counts under their vocabulary names, then ``cols`` in order."""
    out: dict[str, Any] = dict(zip(COUNT_COLUMNS, (x1, n1, x2, n2)))
    out.update(cols)
    return pd.DataFrame(out)


#: the most values a per-table function returns (the exact conditional OR: estimate, lower, upper)
_MAX_OUTPUTS = 3


def per_distinct_table(x1, n1, x2, n2, fn: Callable[..., tuple[float, ...]]) -> np.ndarray:
    """Evaluate the scalar function ``fn(x1, n1, x2, n2)`` once per distinct table; rows in input order.

    No tables give an empty array with as many columns as any caller reads (fn is never called).
    """
    tables = np.stack([x1, n1, x2, n2], axis=1)
    if len(tables) == 0:
        return np.empty((0, _MAX_OUTPUTS), dtype=float)
    uniq, inverse = np.unique(tables, axis=0, return_inverse=True)
    vals = np.array([fn(*(int(v) for v in row)) for row in uniq], dtype=float).reshape(len(uniq), -1)
    return vals[np.asarray(inverse).ravel()]

"""Argument validation shared by every statistical function.

One layer turns the user's ``x_t, n_t, x_c, n_c`` (scalars, lists, arrays or pandas Series) into broadcast
int64 arrays in the package's orientation (treatment first), or raises :class:`~fmtrials.DataError` naming the
offending argument and position.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import DataError, Problem

__all__ = ["as_count_arrays", "as_counts", "check_alpha"]

_WHERE = "<arguments>"


def _position(idx: tuple[int, ...]) -> str:
    return "position " + (str(idx[0]) if len(idx) == 1 else str(tuple(int(i) for i in idx)))


def as_counts(value: Any, name: str) -> np.ndarray:
    """Return ``value`` as an int64 array of non-negative whole numbers, or raise DataError."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise DataError(Problem(f"must be numeric counts, got {value!r}", file=_WHERE, column=name)) from None
    problems: list[Problem] = []
    bad_nan = ~np.isfinite(arr)
    bad_int = np.isfinite(arr) & (arr != np.round(arr))
    bad_neg = np.isfinite(arr) & (arr < 0)
    for mask, what in ((bad_nan, "missing or non-finite count"), (bad_int, "non-integer count"),
                       (bad_neg, "negative count")):
        for idx in zip(*np.nonzero(np.atleast_1d(mask))):
            v = np.atleast_1d(arr)[idx]
            problems.append(Problem(f"{what} ({v:g}) at {_position(idx)}", file=_WHERE, column=name))
    if problems:
        raise DataError(problems)
    return arr.astype(np.int64)


def as_count_arrays(x_t: Any, n_t: Any, x_c: Any, n_c: Any,
                    names: tuple[str, str, str, str] = ("x_t", "n_t", "x_c", "n_c"),
                    allow_zero_n: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate and broadcast the four counts of 2x2 tables.

    Returns four int64 arrays of one common shape (at least 1-d). Raises :class:`DataError` for
    non-numeric, non-integer, negative or missing counts, events above their arm size, an arm size of
    zero (unless ``allow_zero_n``) and shapes that do not broadcast, naming argument and position.
    """
    arrays = [as_counts(v, nm) for v, nm in zip((x_t, n_t, x_c, n_c), names)]
    try:
        b = np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = ", ".join(f"{nm} {a.shape}" for nm, a in zip(names, arrays))
        raise DataError(Problem(f"shapes do not broadcast: {shapes}", file=_WHERE)) from None
    x1, m1, x2, m2 = (np.atleast_1d(a).astype(np.int64, copy=True) for a in b)
    problems: list[Problem] = []
    for x, n, xn, nn in ((x1, m1, names[0], names[1]), (x2, m2, names[2], names[3])):
        for idx in zip(*np.nonzero(x > n)):
            problems.append(Problem(f"events ({x[idx]}) exceed arm size {nn} ({n[idx]}) at {_position(idx)}",
                                    file=_WHERE, column=xn))
        if not allow_zero_n:
            for idx in zip(*np.nonzero(n == 0)):
                problems.append(Problem(f"arm size is 0 at {_position(idx)}", file=_WHERE, column=nn))
    if problems:
        raise DataError(problems)
    return x1, m1, x2, m2


def check_alpha(alpha: float) -> float:
    """Return ``alpha`` as a float in (0, 1) or raise DataError."""
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        a = float("nan")
    if not (0.0 < a < 1.0):
        raise DataError(Problem(f"alpha must be in (0, 1), got {alpha!r}", file=_WHERE, column="alpha"))
    return a

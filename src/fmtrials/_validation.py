"""The one validation path for counts and arguments.

* :func:`as_count_arrays` turns the user's ``events_t, n_t, events_c, n_c`` (scalars, lists, arrays or pandas
  Series) into broadcast int64 arrays, naming argument and position of every problem;
* :func:`frame_counts` does the same for the count columns of a DataFrame, naming 1-based rows;
* :func:`check_alpha`, :func:`check_int`, :func:`check_number` and :func:`fmtrials._vocab.choice` check
  options.

Counts are checked on their exact value before any cast: whole numbers from 0 to
:data:`~fmtrials._vocab.MAX_COUNT`; a huge float or Python integer is refused, never wrapped or rounded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from ._vocab import COUNT_COLUMNS, MAX_COUNT, choice
from .errors import DataError, Problem

__all__ = [
    "as_counts",
    "as_count_arrays",
    "frame_counts",
    "check_alpha",
    "check_int",
    "check_number",
    "choice",
    "ARGUMENTS",
    "DATAFRAME",
]

#: the ``file`` of a problem found in a function argument / in a DataFrame passed in
ARGUMENTS = "<arguments>"
DATAFRAME = "<DataFrame>"


def _position(idx: tuple[int, ...]) -> str:
    return "position " + (str(int(idx[0])) if len(idx) == 1 else str(tuple(int(i) for i in idx)))


def _exact_floats(value: Any, name: str) -> np.ndarray:
    """``value`` as a float array, refusing non-numbers and integers too large to be represented exactly."""
    if isinstance(value, (pd.Series, pd.Index)):
        # plain numpy int/float columns keep their dtype (the checks below are the same, without a loop per value)
        numeric = isinstance(value.dtype, np.dtype) and value.dtype.kind in "iuf"
        value = value.to_numpy() if numeric else value.to_numpy(dtype=object, na_value=np.nan)
    arr = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) else value
    if arr.dtype == object:
        flat = arr.ravel()
        out = np.empty(flat.shape, dtype=float)
        problems = []
        for i, v in enumerate(flat):
            if v is None or v is pd.NA:
                out[i] = np.nan
            elif isinstance(v, (bool, np.bool_)):
                out[i] = float(v)
            elif isinstance(v, Integral):
                iv = int(v)
                out[i] = float(iv) if abs(iv) <= MAX_COUNT else (math.inf if iv > 0 else -math.inf)
            elif isinstance(v, Real):
                out[i] = float(v)
            else:
                try:
                    out[i] = float(v)
                except (TypeError, ValueError, OverflowError):
                    problems.append(
                        Problem(f"must be numeric counts, got {v!r} at {_position((i,))}", file=ARGUMENTS, column=name)
                    )
        if problems:
            raise DataError(problems)
        return out.reshape(arr.shape)
    if arr.dtype.kind in "iu":
        big = np.abs(arr.astype(np.float64)) > MAX_COUNT
        out = arr.astype(float)
        out[big] = np.where(arr[big] > 0, math.inf, -math.inf)
        return out
    try:
        return arr.astype(float)
    except (TypeError, ValueError):
        raise DataError(Problem(f"must be numeric counts, got {value!r}", file=ARGUMENTS, column=name)) from None


def as_counts(value: Any, name: str) -> np.ndarray:
    """``value`` as an int64 array of whole numbers in [0, MAX_COUNT], or raise DataError naming positions."""
    arr = _exact_floats(value, name)
    problems = [
        Problem(f"{what} at {_position(idx)}", file=ARGUMENTS, column=name)
        for what, idx in _with_positions(np.atleast_1d(arr), name)
    ]
    if problems:
        raise DataError(problems)
    return arr.astype(np.int64)


def _with_positions(a: np.ndarray, name: str):
    fin = np.isfinite(a)
    checks = (
        (np.isnan(a), "missing count"),
        (
            np.isinf(a) | (fin & (np.abs(a) > MAX_COUNT)),
            f"count out of range (counts are whole numbers from 0 to {MAX_COUNT:,})",
        ),
        (fin & (a != np.round(a)), "non-integer count"),
        (fin & (a < 0) & (np.abs(a) <= MAX_COUNT), "negative count"),
    )
    for mask, what in checks:
        for idx in zip(*np.nonzero(mask)):
            v = a[idx]
            yield (what + ("" if np.isnan(v) else f" ({v:g})")), idx


def _check_series_alignment(values: Sequence[Any], names: Sequence[str]) -> None:
    """Series passed together must share one index: pairing them by position would silently mismatch rows."""
    series = [(nm, v) for nm, v in zip(names, values) if isinstance(v, pd.Series)]
    for nm, s in series[1:]:
        if not s.index.equals(series[0][1].index):
            raise DataError(
                Problem(
                    f"the pandas Series {series[0][0]} and {nm} have different indexes; "
                    "align them (or pass arrays) so each table's counts come from one row",
                    file=ARGUMENTS,
                    column=nm,
                )
            )


def as_count_arrays(
    events_t: Any,
    n_t: Any,
    events_c: Any,
    n_c: Any,
    names: tuple[str, str, str, str] = COUNT_COLUMNS,
    allow_zero_n: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate and broadcast the four counts of 2x2 tables.

    Returns four int64 arrays of one common shape (at least 1-d). Raises :class:`DataError` for
    non-numeric, non-integer, negative, missing or out-of-range counts, events above their arm size, an arm
    size of zero (unless ``allow_zero_n``), pandas Series with different indexes and shapes that do not
    broadcast, naming argument and position.

    Examples
    --------
    >>> [a.tolist() for a in as_count_arrays(3, 10, [1, 2], 10)]
    [[3, 3], [10, 10], [1, 2], [10, 10]]
    """
    values = (events_t, n_t, events_c, n_c)
    _check_series_alignment(values, names)
    problems: list[Problem] = []
    arrays = []
    for v, nm in zip(values, names):
        try:
            arrays.append(as_counts(v, nm))
        except DataError as err:
            problems.extend(err.problems)
    if problems:
        raise DataError(problems)
    try:
        b = np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = ", ".join(f"{nm} {a.shape}" for nm, a in zip(names, arrays))
        raise DataError(Problem(f"shapes do not broadcast: {shapes}", file=ARGUMENTS)) from None
    x1, m1, x2, m2 = (np.atleast_1d(a).astype(np.int64, copy=True) for a in b)
    for x, n, xn, nn in ((x1, m1, names[0], names[1]), (x2, m2, names[2], names[3])):
        for idx in zip(*np.nonzero(x > n)):
            problems.append(
                Problem(
                    f"events ({x[idx]}) exceed arm size {nn} ({n[idx]}) at {_position(idx)}", file=ARGUMENTS, column=xn
                )
            )
        if not allow_zero_n:
            for idx in zip(*np.nonzero(n == 0)):
                problems.append(Problem(f"arm size is 0 at {_position(idx)}", file=ARGUMENTS, column=nn))
    if problems:
        raise DataError(problems)
    return x1, m1, x2, m2


def frame_counts(
    df: pd.DataFrame,
    columns: Sequence[str] = COUNT_COLUMNS,
    *,
    file: str = DATAFRAME,
    allow_zero_n: bool = False,
    rows: Sequence[int] | np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """Validate the count columns of ``df`` and return them as int64 arrays (one per column).

    ``columns`` is the four 2x2 counts (``events_t, n_t, events_c, n_c``, with the events <= n check per
    arm) or the two of one arm (``events, n``). Every problem names ``file``, the 1-based row (``rows[i]`` when
    given, else ``i + 1``) and the column. Missing columns are reported first.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"events_t": [3], "n_t": [10], "events_c": [12], "n_c": [10]})
    >>> try:
    ...     frame_counts(t)
    ... except DataError as err:
    ...     print(err)
    <DataFrame>, row 1, column 'events_c': events (12) exceed n_c (10)
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(Problem(f"must be a pandas DataFrame, got {type(df).__name__}", file=ARGUMENTS, column="table"))
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            Problem(f"missing column(s) {', '.join(missing)}; need {', '.join(columns)}", file=file, column=missing[0])
        )
    row_of = (lambda i: int(rows[i])) if rows is not None else (lambda i: int(i) + 1)
    problems: list[Problem] = []
    values = {}
    for c in columns:
        s = df[c]
        try:
            arr = _exact_floats(s, c)
        except DataError:
            arr = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            raw = s.to_numpy(dtype=object)
            bad = np.isnan(arr) & pd.notna(s).to_numpy()
            for i in np.nonzero(bad)[0]:
                problems.append(Problem(f"not a number: {raw[i]!r}", file=file, row=row_of(i), column=c))
            arr = np.where(bad, 0.0, arr)
        for what, idx in _with_positions(np.asarray(arr, dtype=float), c):
            problems.append(Problem(what, file=file, row=row_of(idx[0]), column=c))
        values[c] = np.asarray(arr, dtype=float)
    pairs = [(columns[0], columns[1])] if len(columns) == 2 else [(columns[0], columns[1]), (columns[2], columns[3])]
    for x, n in pairs:
        for i in np.nonzero(values[x] > values[n])[0]:
            problems.append(
                Problem(f"events ({values[x][i]:g}) exceed {n} ({values[n][i]:g})", file=file, row=row_of(i), column=x)
            )
        if not allow_zero_n:
            for i in np.nonzero(values[n] == 0)[0]:
                problems.append(Problem("arm size is 0", file=file, row=row_of(i), column=n))
    if problems:
        raise DataError(problems)
    return tuple(values[c].astype(np.int64) for c in columns)


def check_alpha(alpha: Any) -> float:
    """Return ``alpha`` as a float in (0, 1) or raise DataError."""
    return check_number(alpha, "alpha", low=0.0, high=1.0, inclusive=False)


def check_number(
    value: Any, name: str, *, low: float = -math.inf, high: float = math.inf, inclusive: bool = True
) -> float:
    """``value`` as a finite float in [low, high] (open interval when ``inclusive`` is False), or DataError."""
    ok = not isinstance(value, (bool, np.bool_)) and isinstance(value, (Real, np.floating, np.integer))
    v = float(value) if ok else math.nan
    if ok and math.isfinite(v):
        ok = (low <= v <= high) if inclusive else (low < v < high)
    else:
        ok = False
    if not ok:
        rng = f"[{low:g}, {high:g}]" if inclusive else f"({low:g}, {high:g})"
        raise DataError(Problem(f"must be a number in {rng}, got {value!r}", file=ARGUMENTS, column=name))
    return v


def check_int(value: Any, name: str, *, low: int = 0, high: int = 2**31 - 1) -> int:
    """``value`` as an int in [low, high] (a whole float such as 2.0 is accepted), or DataError."""
    ok = not isinstance(value, (bool, np.bool_))
    if ok and isinstance(value, (Integral, np.integer)):
        v = int(value)
    elif ok and isinstance(value, (Real, np.floating)) and math.isfinite(float(value)) and float(value).is_integer():
        v = int(value)  # type: ignore[arg-type]  # numbers.Real has __int__ at run time
    else:
        ok = False
        v = 0
    if not ok or not (low <= v <= high):
        raise DataError(
            Problem(f"must be a whole number from {low} to {high}, got {value!r}", file=ARGUMENTS, column=name)
        )
    return v

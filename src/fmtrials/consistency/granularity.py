"""GRIM for percentages: every whole count ``k`` in ``[0, n]`` whose percentage ``100 k / n`` rounds to a
printed value (Brown & Heathers 2017, applied to proportions).

The admissible counts always form one run of consecutive integers ``events_min..events_max``, found in exact
integer arithmetic (no floating-point ties), vectorised over the inputs. A printed value ``P = num / 10**d``
percent is within half a unit of ``100 k / n`` iff ``n (2 num - 1) <= 200 * 10**d * k <= n (2 num + 1)``;
the rounding rule decides which ends are closed.

Exactness: ``n (2 num + 1)`` reaches about ``4.3e20`` for ``n = 2**31 - 1`` at 9 decimals, beyond int64.
Rows whose product could overflow (only at 8 or 9 decimals with ``n`` above about ``4e8``) are divided in
Python integers; every other row stays in vectorised int64. The bounds are therefore exact for every ``n``
up to :data:`fmtrials._vocab.MAX_COUNT` and every accepted number of decimals.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .._format import format_number
from .._validation import ARGUMENTS, as_counts, choice
from .._vocab import ROUNDING_RULES, Rounding
from ..errors import DataError, Problem
from .percent import parse_percents

__all__ = ["grim", "grim_summary"]

_INT64_MAX = np.iinfo(np.int64).max
#: the most rows ``grim()`` builds (one per admissible count); use ``grim_summary()`` beyond
_MAX_EXPANDED = 10_000_000


def _exact_floor_ceil(n: np.ndarray, a: np.ndarray, D: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``floor(n a / D)`` and ``ceil(n a / D)`` exactly (int64 in, int64 out, no overflow).

    Rows where ``n * a`` could leave int64 are computed in Python integers (object arrays).
    """
    big = n > _INT64_MAX // np.maximum(np.abs(a), 1)
    floor = np.empty(n.shape, np.int64)
    ceil = np.empty(n.shape, np.int64)
    small = ~big
    p = n[small] * a[small]
    floor[small] = p // D[small]
    ceil[small] = -((-p) // D[small])
    if big.any():
        pb = n[big].astype(object) * a[big].astype(object)
        Db = D[big].astype(object)
        floor[big] = (pb // Db).astype(np.int64)
        ceil[big] = (-((-pb) // Db)).astype(np.int64)
    return floor, ceil


def grim_bounds(num: np.ndarray, d: np.ndarray, n: np.ndarray, rounding: str) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest admissible count per row (``events_min > events_max`` when none).

    ``num / 10**d`` is the printed percentage, ``n`` the arm size, ``rounding`` a canonical rule of
    :data:`fmtrials._vocab.ROUNDING_RULES`. Exact for every ``n`` up to ``2**31 - 1`` and ``d`` up to 9.

    Examples
    --------
    >>> lo, hi = grim_bounds(np.array([155, 155]), np.array([1, 1]), np.array([223, 401]), "either")
    >>> lo.tolist(), hi.tolist()
    ([35, 62], [34, 62])
    """
    num, d, n = (np.asarray(x, dtype=np.int64) for x in (num, d, n))
    num, d, n = np.broadcast_arrays(num, d, n)
    D = 200 * np.power(np.int64(10), d)
    lo_floor, lo_ceil = _exact_floor_ceil(n, 2 * num - 1, D)
    hi_floor, hi_ceil = _exact_floor_ceil(n, 2 * num + 1, D)
    lo_closed = lo_ceil  # smallest k with D k >= n (2 num - 1)
    lo_open = lo_floor + 1  # smallest k with D k >  n (2 num - 1)
    hi_closed = hi_floor  # largest k with D k <= n (2 num + 1)
    hi_open = hi_ceil - 1  # largest k with D k <  n (2 num + 1)
    if rounding == "either":
        lo, hi = lo_closed, hi_closed
    elif rounding == "half_up":
        lo, hi = lo_closed, hi_open
    elif rounding == "half_down":
        lo, hi = lo_open, hi_closed
    else:  # half_even: a tie at P +- 1/2 rounds to P only when P's last digit is even
        even = num % 2 == 0
        lo = np.where(even, lo_closed, lo_open)
        hi = np.where(even, hi_closed, hi_open)
    return np.maximum(lo, 0), np.minimum(hi, n)


class _GrimRows(NamedTuple):
    """Flattened, validated GRIM inputs and their admissible ranges."""

    text: np.ndarray
    n: np.ndarray
    decimals: np.ndarray
    events_min: np.ndarray
    events_max: np.ndarray
    shape: tuple[int, ...]


def _grim_rows(
    percent: Any, n: Any, decimals: Any, rounding: str, *, percent_name: str = "percent", n_name: str = "n"
) -> _GrimRows:
    """Validate, broadcast and bound (``rounding`` already canonical)."""
    num, d, txt = parse_percents(percent, decimals, percent_name)
    nn = as_counts(n, n_name)
    try:
        num, d, txt, nn = np.broadcast_arrays(num, d, txt, nn)
    except ValueError:
        raise DataError(
            Problem(f"shapes do not broadcast: {percent_name} {num.shape}, {n_name} {nn.shape}", file=ARGUMENTS)
        ) from None
    shape = num.shape
    num, d, txt, nn = (np.ravel(a) for a in (num, d, txt, nn))
    zero = np.nonzero(nn == 0)[0]
    if zero.size:
        raise DataError([Problem(f"arm size is 0 at position {int(i)}", file=ARGUMENTS, column=n_name) for i in zero])
    lo, hi = grim_bounds(num, d, nn, rounding)
    return _GrimRows(txt, nn, d, lo, hi, shape)


def _admissible_counts(
    percent: Any,
    n: Any,
    *,
    decimals: Any = None,
    rounding: Rounding = "either",
    percent_name: str = "percent",
    n_name: str = "n",
) -> tuple[np.ndarray, np.ndarray]:
    """``events_min, events_max`` per row, shaped like the broadcast inputs (min > max: no count fits).

    The reusable core of :func:`grim` (for functions that turn printed percentages back into counts).

    Examples
    --------
    >>> lo, hi = _admissible_counts(["15.5", "37"], [401, 1000])
    >>> lo.tolist(), hi.tolist()
    ([62, 365], [62, 375])
    """
    rounding = choice(rounding, ROUNDING_RULES, "rounding")
    rows = _grim_rows(percent, n, decimals, rounding, percent_name=percent_name, n_name=n_name)
    return rows.events_min.reshape(rows.shape), rows.events_max.reshape(rows.shape)


def grim(
    percent: Any, n: Any, *, decimals: Any = None, rounding: Rounding = "either", expand: bool | None = None
) -> pd.DataFrame:
    """Counts that reproduce a printed percentage (the GRIM test for proportions): one row per admissible count.

    For each printed percentage and arm size ``n``, find every whole count ``k`` in ``[0, n]`` for which
    ``100 k / n`` rounds to the printed value. The admissible counts always form one run of consecutive
    integers, found in exact integer arithmetic (no floating-point ties, exact for every ``n`` up to
    ``2**31 - 1``), vectorised over the inputs. :func:`grim_summary` gives the same answer as one row per
    input (the run ``events_min..events_max`` and a verdict).

    Parameters
    ----------
    percent : str, float or array-like
        Printed percentages, preferably as **text exactly as printed** (``"25.4"``, ``"37"``, ``"15.50"``):
        text keeps trailing zeros, which fix the number of decimals. A trailing ``%`` is allowed. Numbers
        are read by their shortest representation (``15.50`` becomes ``"15.5"``, 1 decimal). At most 9
        decimals.
    n : int or array-like
        Arm sizes (denominators), broadcast against ``percent``.
    decimals : int, array-like or None
        Decimal places the percentage was rounded to; ``None`` infers them from the printed text.
    rounding : {"either", "half_up", "half_even", "half_down"}
        How ties were broken (letter case ignored):

        ``"either"`` (default)
            A count is accepted if its exact percentage rounds to the printed value with ties broken up
            *or* down: ``P - h <= 100 k / n <= P + h`` with ``h = 0.5 * 10**-d``. The charitable rule of
            Brown & Heathers (2017) and of R ``scrutiny::grim()`` (``rounding = "up_or_down"``): a verdict
            of *impossible* must not rest on a guess of the author's rounding.
        ``"half_up"``
            Ties away from zero (``P - h <= x < P + h``), as SAS, SPSS, Stata and Excel.
        ``"half_even"``
            Ties to the even last digit (numpy, R ``round``, Python ``round``).
        ``"half_down"``
            Ties toward zero (``P - h < x <= P + h``).
    expand : bool, optional
        Deprecated, removed in the next release (a DeprecationWarning): ``grim`` always returns one row per
        admissible count; ``expand=False`` still returns :func:`grim_summary`'s frame until then.

    Returns
    -------
    pandas.DataFrame
        One row per admissible count:

        * ``input``: 0-based position in the flattened broadcast inputs;
        * ``percent``: the printed percentage as text; ``n``: the arm size; ``decimals``; ``rounding``;
        * ``events`` (Int64): an admissible count, ``<NA>`` when no count fits (the input keeps one row);
        * ``percent_exact``: ``100 events / n`` (NaN when no count fits);
        * ``consistent``: whether any count fits (per input).

    Raises
    ------
    DataError
        Unreadable or out-of-range percentages, non-integer or zero ``n``, unknown ``rounding``, or more
        than 10 million admissible counts (use :func:`grim_summary`).

    Examples
    --------
    15.5% is impossible with 223 placebo patients but is 62/401 (evidence.md §4):

    >>> import fmtrials
    >>> fmtrials.grim("15.5", [223, 401])[["n", "events", "consistent"]]
         n  events  consistent
    0  223    <NA>       False
    1  401      62        True
    """
    if expand is not None:
        warnings.warn(
            "grim(expand=...) is deprecated: grim() returns one row per admissible count, grim_summary() one "
            "row per input; expand= will be removed in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        if not expand:
            return grim_summary(percent, n, decimals=decimals, rounding=rounding)
    rounding = choice(rounding, ROUNDING_RULES, "rounding")
    return _tidy_frame(_grim_rows(percent, n, decimals, rounding), rounding)


def grim_summary(percent: Any, n: Any, *, decimals: Any = None, rounding: Rounding = "either") -> pd.DataFrame:
    """The GRIM test for proportions, one row per input: the run of admissible counts and a verdict.

    The same counts as :func:`grim` (see it for the reading of ``percent`` and the rounding rules), summarised
    per printed percentage and arm size, with no limit on their number.

    Parameters
    ----------
    percent : str, float or array-like
        Printed percentages, preferably as text exactly as printed (as :func:`grim`).
    n : int or array-like
        Arm sizes (denominators), broadcast against ``percent``.
    decimals : int, array-like or None
        Decimal places the percentage was rounded to; ``None`` infers them from the printed text.
    rounding : {"either", "half_up", "half_even", "half_down"}
        How ties were broken (letter case ignored; as :func:`grim`).

    Returns
    -------
    pandas.DataFrame
        One row per input: ``input``, ``percent``, ``n``, ``decimals``, ``rounding``, ``events_min`` and
        ``events_max`` (Int64: smallest and largest admissible count, ``events_min > events_max`` when none
        fits), ``n_candidates`` (``events_max - events_min + 1``, at least 0), ``consistent`` and ``nearest``
        (text: the closest achievable percentages below/above when inconsistent, else ``None``).

    Raises
    ------
    DataError
        Unreadable or out-of-range percentages, non-integer or zero ``n``, unknown ``rounding``.

    Examples
    --------
    Which phase II arm sizes near 41 allow 37%? (15/40 = 37.5% is a tie: only rounding half up excludes it.)

    >>> import fmtrials
    >>> g = fmtrials.grim_summary("37", range(40, 44), rounding="half_up")
    >>> g[["n", "events_min", "consistent"]]
        n  events_min  consistent
    0  40          15       False
    1  41          15        True
    2  42          16       False
    3  43          16        True
    """
    rounding = choice(rounding, ROUNDING_RULES, "rounding")
    return _summary_frame(_grim_rows(percent, n, decimals, rounding), rounding)


def _summary_frame(rows: _GrimRows, rounding: str) -> pd.DataFrame:
    lo, hi, nn, d = rows.events_min, rows.events_max, rows.n, rows.decimals
    ok = lo <= hi
    out = pd.DataFrame(
        {
            "input": np.arange(lo.size),
            "percent": pd.array(rows.text, dtype=object),
            "n": nn,
            "decimals": d,
            "rounding": rounding,
            "events_min": pd.array(lo, dtype="Int64"),
            "events_max": pd.array(hi, dtype="Int64"),
            "n_candidates": np.maximum(hi - lo + 1, 0),
            "consistent": ok,
        }
    )
    out["nearest"] = [None if o else nearest_text(k, n_, dd) for o, k, n_, dd in zip(ok, lo, nn, d)]
    return out


def _tidy_frame(rows: _GrimRows, rounding: str) -> pd.DataFrame:
    lo, hi, nn = rows.events_min, rows.events_max, rows.n
    ok = lo <= hi
    counts = np.where(ok, hi - lo + 1, 1)
    total = int(counts.sum())
    if total > _MAX_EXPANDED:
        raise DataError(
            Problem(
                f"{total:,} admissible counts: too many rows for grim() (use grim_summary() for "
                "events_min / events_max)",
                file=ARGUMENTS,
                column="n",
            )
        )
    idx = np.repeat(np.arange(lo.size), counts)
    offset = np.arange(idx.size) - np.repeat(np.cumsum(counts) - counts, counts)
    k = lo[idx] + offset
    valid = ok[idx]
    events = pd.array(np.where(valid, k, 0), dtype="Int64")
    events[~valid] = pd.NA
    return pd.DataFrame(
        {
            "input": idx,
            "percent": pd.array(rows.text[idx], dtype=object),
            "n": nn[idx],
            "decimals": rows.decimals[idx],
            "rounding": rounding,
            "events": events,
            "percent_exact": np.where(valid, 100.0 * k / nn[idx], np.nan),
            "consistent": valid,
        }
    )


def nearest_text(events_min: int, n: int, d: int) -> str:
    """``'34/223 = 15.25%, 35/223 = 15.70%'``: the achievable percentages either side of an impossible one
    (one decimal more than printed)."""
    below, above = int(events_min) - 1, int(events_min)
    return ", ".join(f"{k}/{n} = {format_number(100 * k / n, int(d) + 1)}%" for k in (below, above) if 0 <= k <= n)

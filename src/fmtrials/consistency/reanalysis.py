"""Re-analysis from printed percentages: every count pair a printed pair of percentages admits, analysed.

The public record prints percentages far more often than counts. :func:`reanalyse_percentages` takes a
printed percentage and a candidate denominator per arm, finds every whole count that reproduces each
percentage (GRIM, :func:`fmtrials.consistency.granularity._admissible_counts`), forms **every** admissible pair of
counts, and runs the package's public effect and test functions over all pairs of all rows at once. The
result is a range per row: the smallest and largest estimate, the lowest lower and highest upper confidence
limit, the smallest and largest p. A percentage no count reproduces gives ``consistent = False`` and missing
estimates -- never a rounded-to-nearest count.

:func:`~fmtrials.consistency.reanalyse_reported` (:mod:`.reanalysis_reported`) applies it to the bundled
reported table under every attribution of arm sizes
that :func:`fmtrials.audit` tries. Those arm sizes are **assumptions** (the papers do not print them next to
the percentages): every such row is labelled ``"assumed denominators"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, cast

import numpy as np
import pandas as pd

from .._validation import ARGUMENTS, check_alpha, choice
from .._vocab import (
    MEASURES,
    OR_INTERVALS,
    PROPORTIONS_TESTS,
    RD_INTERVALS,
    ROUNDING_RULES,
    RR_INTERVALS,
    Measure,
    ORInterval,
    ProportionsTest,
    RDInterval,
    Rounding,
    RRInterval,
)
from ..errors import DataError, Problem
from .granularity import _admissible_counts
from .percent import parse_percent_text, text_or_none

__all__ = ["reanalyse_percentages", "REANALYSIS_COLUMNS"]

#: the most admissible count pairs one call analyses (beyond, the call is refused with a DataError)
MAX_PAIRS = 5_000_000
#: fewer pairs for the tests and intervals computed one table at a time (an exact test or interval per pair)
MAX_PAIRS_EXACT = {"fisher": 10_000, "barnard": 20, "boschloo": 20, "exact": 200}

#: the interval methods each measure offers (the first is the default when ``ci`` is not given)
_INTERVALS = {"RD": RD_INTERVALS, "RR": RR_INTERVALS, "OR": OR_INTERVALS}

#: Columns of :func:`reanalyse_percentages`, in order.
REANALYSIS_COLUMNS = (
    "percent_t",
    "n_t",
    "percent_c",
    "n_c",
    "consistent",
    "consistent_t",
    "consistent_c",
    "events_t_min",
    "events_t_max",
    "events_c_min",
    "events_c_max",
    "n_pairs",
    "estimate_min",
    "estimate_max",
    "ci_low",
    "ci_high",
    "p_min",
    "p_max",
    "measure",
    "ci",
    "test",
    "alpha",
    "rounding",
)


class _Pairs(NamedTuple):
    """Every admissible pair of counts of every consistent row, flattened."""

    row: np.ndarray  # which input row each pair belongs to
    starts: np.ndarray  # first pair of each consistent row (for reduceat)
    rows: np.ndarray  # the consistent rows, in order
    events_t: np.ndarray
    events_c: np.ndarray


# --------------------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------------------


def _as_1d(values: Sequence[Any], names: Sequence[str]) -> list[np.ndarray]:
    """The four inputs as 1-d object arrays of one length (scalars broadcast); DataError naming both
    arguments when lengths differ."""
    arrays = [
        np.atleast_1d(np.asarray(v.to_numpy(dtype=object) if isinstance(v, pd.Series) else v, dtype=object))
        for v in values
    ]
    for a, nm in zip(arrays, names):
        if a.ndim != 1:
            raise DataError(
                Problem(f"must be a scalar or one-dimensional, got shape {a.shape}", file=ARGUMENTS, column=nm)
            )
    sizes = {nm: a.size for a, nm in zip(arrays, names) if a.size != 1}
    if len(set(sizes.values())) > 1:
        desc = ", ".join(f"{nm} has {k}" for nm, k in sizes.items())
        raise DataError(Problem(f"mismatched lengths: {desc}", file=ARGUMENTS, column=next(iter(sizes))))
    length = max([a.size for a in arrays])
    return [np.broadcast_to(a, (length,)) if a.size == 1 else a for a in arrays]


def _texts(percent: np.ndarray) -> np.ndarray:
    """The printed percentages as text (already validated by GRIM), without a trailing ``%``."""
    return np.array([parse_percent_text(text_or_none(v))[2] for v in percent], dtype=object)


def _options(measure: Any, ci: Any, test: Any, alpha: Any, rounding: Any) -> tuple[str, str, str, float, str]:
    measure = choice(measure, MEASURES, "measure")
    ci = choice(ci if ci is not None else _INTERVALS[measure][0], _INTERVALS[measure], "ci")
    return (
        measure,
        ci,
        choice(test, PROPORTIONS_TESTS, "test"),
        check_alpha(alpha),
        choice(rounding, ROUNDING_RULES, "rounding"),
    )


# --------------------------------------------------------------------------------------------------------
# the engine
# --------------------------------------------------------------------------------------------------------


def _pair_limit(ci: str, test: str) -> tuple[int, str]:
    """The most pairs one call analyses with this interval and test, and why (the slowest of the two)."""
    limit, why = MAX_PAIRS, ""
    for option, name in ((test, "test"), (ci, "ci")):
        if MAX_PAIRS_EXACT.get(option, MAX_PAIRS) < limit:
            limit, why = MAX_PAIRS_EXACT[option], f" with {name}={option!r} (computed one table at a time)"
    return limit, why


def _pairs(
    lo_t: np.ndarray, hi_t: np.ndarray, lo_c: np.ndarray, hi_c: np.ndarray, limit: tuple[int, str] = (MAX_PAIRS, "")
) -> _Pairs:
    """Every (events_t, events_c) with ``lo_t <= events_t <= hi_t`` and ``lo_c <= events_c <= hi_c``; the
    number is counted arithmetically first and refused beyond ``limit`` (before any array is made)."""
    k_t = np.maximum(hi_t - lo_t + 1, 0)
    k_c = np.maximum(hi_c - lo_c + 1, 0)
    count = k_t * k_c
    total = int(sum(int(c) for c in count))  # exact: a product of two counts up to 2**31 overflows no int
    if total > limit[0]:
        worst = int(np.argmax(count))
        raise DataError(
            Problem(
                f"{total:,} admissible count pairs (row {worst}: {int(k_t[worst]):,} x {int(k_c[worst]):,}): more "
                f"than the {limit[0]:,} one call analyses{limit[1]}; give more decimals, fewer rows or a faster "
                "test (chi2, score)",
                file=ARGUMENTS,
                column="percent_t" if k_t[worst] >= k_c[worst] else "percent_c",
            )
        )
    row = np.repeat(np.arange(count.size), count)
    first = np.cumsum(count) - count
    offset = np.arange(total) - first[row]
    rows = np.nonzero(count > 0)[0]
    return _Pairs(row, first[rows], rows, lo_t[row] + offset // k_c[row], lo_c[row] + offset % k_c[row])


def _effect(measure: str, pairs: _Pairs, n_t: np.ndarray, n_c: np.ndarray, ci: str, alpha: float) -> pd.DataFrame:
    """The effect of every pair, by the package's public function for ``measure``."""
    from ..effects import odds_ratio, risk_difference, risk_ratio

    fn: Any = {"RD": risk_difference, "RR": risk_ratio, "OR": odds_ratio}[measure]
    return fn(pairs.events_t, n_t[pairs.row], pairs.events_c, n_c[pairs.row], ci=ci, alpha=alpha)


def _reduce(values: np.ndarray, pairs: _Pairs, size: int, how: Any) -> np.ndarray:
    """Per-row reduction (``np.fmin`` / ``np.fmax``, NaN-ignoring) over each row's pairs; NaN elsewhere."""
    out = np.full(size, np.nan)
    if pairs.rows.size:
        out[pairs.rows] = how.reduceat(np.asarray(values, dtype=float), pairs.starts)
    return out


def _int_col(values: np.ndarray, ok: np.ndarray) -> pd.arrays.IntegerArray:
    arr = pd.array(np.where(ok, values, 0), dtype="Int64")
    arr[~ok] = pd.NA
    return arr


def _engine(
    percent_t: Any, n_t: Any, percent_c: Any, n_c: Any, measure: str, ci: str, test: str, alpha: float, rounding: str
) -> tuple[pd.DataFrame, _Pairs, np.ndarray]:
    """The result frame, the pairs and the p-value of every pair (for :func:`reanalyse_reported`)."""
    pt, nt, pc, nc = _as_1d((percent_t, n_t, percent_c, n_c), ("percent_t", "n_t", "percent_c", "n_c"))
    lo_t, hi_t = _admissible_counts(pt, nt, rounding=cast(Any, rounding), percent_name="percent_t", n_name="n_t")
    lo_c, hi_c = _admissible_counts(pc, nc, rounding=cast(Any, rounding), percent_name="percent_c", n_name="n_c")
    nt, nc = nt.astype(np.int64), nc.astype(np.int64)
    pairs = _pairs(lo_t, hi_t, lo_c, hi_c, _pair_limit(ci, test))
    if pairs.row.size:
        eff = _effect(measure, pairs, nt, nc, ci, alpha)
        from ..effects import proportions_test

        p = proportions_test(pairs.events_t, nt[pairs.row], pairs.events_c, nc[pairs.row], test=cast(Any, test))[
            "p_value"
        ].to_numpy(float)
    else:  # no admissible pair anywhere (the effect functions are not called with empty arrays)
        eff = pd.DataFrame({"estimate": [], "ci_low": [], "ci_high": []}, dtype=float)
        p = np.empty(0)
    ok_t, ok_c = lo_t <= hi_t, lo_c <= hi_c
    ok = ok_t & ok_c
    size = ok.size
    out = pd.DataFrame(
        {
            "percent_t": _texts(pt),
            "n_t": nt,
            "percent_c": _texts(pc),
            "n_c": nc,
            "consistent": ok,
            "consistent_t": ok_t,
            "consistent_c": ok_c,
            "events_t_min": _int_col(lo_t, ok_t),
            "events_t_max": _int_col(hi_t, ok_t),
            "events_c_min": _int_col(lo_c, ok_c),
            "events_c_max": _int_col(hi_c, ok_c),
            "n_pairs": np.where(ok, np.maximum(hi_t - lo_t + 1, 0) * np.maximum(hi_c - lo_c + 1, 0), 0),
            "estimate_min": _reduce(eff["estimate"], pairs, size, np.fmin),
            "estimate_max": _reduce(eff["estimate"], pairs, size, np.fmax),
            "ci_low": _reduce(eff["ci_low"], pairs, size, np.fmin),
            "ci_high": _reduce(eff["ci_high"], pairs, size, np.fmax),
            "p_min": _reduce(p, pairs, size, np.fmin),
            "p_max": _reduce(p, pairs, size, np.fmax),
            "measure": measure,
            "ci": ci,
            "test": test,
            "alpha": alpha,
            "rounding": rounding,
        }
    )
    return out, pairs, p


def reanalyse_percentages(
    percent_t: Any,
    n_t: Any,
    percent_c: Any,
    n_c: Any,
    *,
    ci: RDInterval | RRInterval | ORInterval | None = "newcombe",
    test: ProportionsTest = "fisher",
    alpha: float = 0.05,
    rounding: Rounding = "either",
    measure: Measure = "RD",
) -> pd.DataFrame:
    """Re-analyse printed percentages under candidate denominators, over every count pair they admit.

    For each row, every whole count ``events_t`` in ``[0, n_t]`` whose percentage rounds to ``percent_t``
    (and likewise for control) is found exactly (GRIM, :func:`fmtrials.grim`); every admissible pair of
    counts is analysed with :func:`fmtrials.risk_difference` (or :func:`~fmtrials.risk_ratio` /
    :func:`~fmtrials.odds_ratio`) and :func:`fmtrials.proportions_test`, all pairs of all rows in one
    vectorised call, and the row reports the range over its pairs.

    Parameters
    ----------
    percent_t, percent_c : str, float or array-like
        Printed percentages, preferably as text exactly as printed (``"25.4"``; trailing zeros fix the
        decimals, see :func:`fmtrials.grim`). Scalars broadcast.
    n_t, n_c : int or array-like
        Candidate arm sizes (whole numbers >= 1). Scalars broadcast; arrays must have one length.
    ci : str or None
        Interval method of ``measure``: for ``"RD"`` any of :data:`fmtrials._vocab.RD_INTERVALS` (default
        ``"newcombe"``); for ``"RR"`` katz / koopman / mn, for ``"OR"`` woolf / mn / exact (``None``: the
        measure's first method). Letter case is ignored.
    test : str
        Any test of :func:`fmtrials.proportions_test` (default ``"fisher"``, two-sided).
    alpha : float
        Two-sided level of the intervals.
    rounding : {"either", "half_up", "half_even", "half_down"}
        How the printed percentages were rounded (see :func:`fmtrials.grim`; default ``"either"``).
    measure : {"RD", "RR", "OR"}
        The effect measure (default the risk difference, as a proportion: 0.0998 is 9.98 points).

    Returns
    -------
    pandas.DataFrame
        One row per input, columns :data:`REANALYSIS_COLUMNS`: the inputs (percentages as text);
        ``consistent`` (both percentages reachable), ``consistent_t``, ``consistent_c``; the admissible
        counts ``events_t_min..events_t_max`` and ``events_c_min..events_c_max`` (Int64, ``<NA>`` when none);
        ``n_pairs``; ``estimate_min`` / ``estimate_max`` (the measure over all admissible pairs);
        ``ci_low`` (lowest lower limit over the pairs) and ``ci_high`` (highest upper limit); ``p_min`` /
        ``p_max``; and the method columns ``measure``, ``ci``, ``test``, ``alpha``, ``rounding``. An
        inconsistent row has NaN estimates, limits and p.

    Raises
    ------
    DataError
        Unreadable or out-of-range percentages, arm sizes that are not whole numbers >= 1, mismatched
        lengths or an unknown option -- naming the argument and the (0-based) position; more admissible
        pairs than supported (below).

    Notes
    -----
    Supported size: arms up to 2**31 - 1 (the admissible counts are found arithmetically, never by scanning
    the arm); at most :data:`MAX_PAIRS` (5,000,000) admissible pairs per call, and fewer when a pair is
    analysed one table at a time (:data:`MAX_PAIRS_EXACT`: 10,000 for ``test="fisher"``, 20 for barnard and
    boschloo, 200 for ``ci="exact"``). Beyond, the call is refused before any analysis, naming the argument.

    Examples
    --------
    The seed table's phase III 100 mg row (25.4% vs 15.5%) under 401 patients per arm, and the same row
    under arm sizes that cannot give 15.5%:

    >>> import fmtrials
    >>> r = fmtrials.reanalyse_percentages("25.4", [401, 399], "15.5", [401, 223])
    >>> r[["n_t", "n_c", "consistent", "events_t_min", "events_c_min", "n_pairs"]]
       n_t  n_c  consistent  events_t_min  events_c_min  n_pairs
    0  401  401        True           102            62        1
    1  399  223       False          <NA>          <NA>        0
    >>> r.loc[0, ["estimate_min", "ci_low", "ci_high"]].astype(float).round(4).tolist()
    [0.0998, 0.044, 0.1549]

    Several admissible pairs give ranges (31% of 435 admits 133 to 137 events):

    >>> r = fmtrials.reanalyse_percentages("31", 435, "25", 449, test="chi2")
    >>> int(r.n_pairs[0]), r.loc[0, ["estimate_min", "estimate_max"]].astype(float).round(3).tolist()
    (20, [0.052, 0.068])
    """
    opts = _options(measure, ci, test, alpha, rounding)
    return _engine(percent_t, n_t, percent_c, n_c, *opts)[0]


# --------------------------------------------------------------------------------------------------------
# the reported table
# --------------------------------------------------------------------------------------------------------

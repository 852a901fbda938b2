"""Exact coverage probability of the risk-difference intervals, by full enumeration of the outcomes.

For arm sizes (n_t, n_c) every one of the (n_t + 1)(n_c + 1) possible tables is given its interval once
(:func:`fmtrials.risk_difference`, vectorised). The coverage at true proportions (p_t, p_c) is

    C(p_t, p_c) = sum over tables with ci_low <= p_t - p_c <= ci_high of Bin(x_t; n_t, p_t) Bin(x_c; n_c, p_c).

When, for each x_t, both limits fall (weakly) as x_c grows (true of every interval here on the tables checked;
verified each call) the covering tables of a row are one run of x_c, found for all rows and all grid points
at once by a binary search in the sorted limits; the sum is then a difference of cumulative binomial
probabilities, O(G (n_t + n_c) log) for G grid points. Otherwise the indicator is summed directly, in chunks
of the grid. Nothing is simulated: the coverage is exact up to rounding.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from .._validation import check_alpha, check_int
from .._vocab import RD_INTERVALS, RDInterval, choice
from ..errors import DataError, Problem
from ._unconditional import binom_pmf
from .difference import risk_difference

__all__ = ["coverage", "coverage_summary"]

# grid points per block (bounds memory: block x (n_t + 1) floats per array, or block x tables in the dense path)
_BLOCK_FLOATS = 4_000_000


#: supported size: the most outcome tables (n_t + 1)(n_c + 1) one call enumerates (1000 patients per arm), and
#: for the ``exact`` interval, which enumerates again per table, (20 + 1)**2
MAX_TABLES = 1_002_001
MAX_TABLES_EXACT = 441
#: the most grid points x (n_t + n_c + 2) one call sums over
MAX_GRID_WORK = 500_000_000


def _check_size(ci: str, n1: int, n2: int, points: int) -> None:
    """DataError naming the argument when a call is beyond the supported size, before any work."""
    limit = MAX_TABLES_EXACT if ci == "exact" else MAX_TABLES
    tables = (n1 + 1) * (n2 + 1)
    if tables > limit:
        raise DataError(
            Problem(
                f"{n1:,} x {n2:,} patients give {tables:,} outcome tables to enumerate; coverage() supports at most "
                f"{limit:,} for ci={ci!r} ((n_t + 1)(n_c + 1)): exact enumeration of larger arms takes more "
                "time and memory than a call should",
                file="<arguments>",
                column="n_t" if n1 >= n2 else "n_c",
            )
        )
    if points * (n1 + n2 + 2) > MAX_GRID_WORK:
        raise DataError(
            Problem(
                f"{points:,} (p_t, p_c) points with {n1 + n2:,} patients: more than {MAX_GRID_WORK:,} terms; pass "
                "fewer points per call",
                file="<arguments>",
                column="p_t",
            )
        )


def _all_intervals(ci: str, n1: int, n2: int, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(ci_low, ci_high) of every table, shape (n1 + 1, n2 + 1) each (x_t rows, x_c columns)."""
    x1 = np.repeat(np.arange(n1 + 1), n2 + 1)
    x2 = np.tile(np.arange(n2 + 1), n1 + 1)
    res = risk_difference(x1, n1, x2, n2, ci=cast(Any, ci), alpha=alpha)
    shape = (n1 + 1, n2 + 1)
    return res["ci_low"].to_numpy().reshape(shape), res["ci_high"].to_numpy().reshape(shape)


def _run_coverage(lo, hi, n1, n2, p1, p2, delta):
    """Coverage when each row's covering set is a run (limits non-increasing along x_c)."""
    rows = np.arange(n1 + 1)
    width = n2 + 1
    key_lo = (-lo + 3.0 * rows[:, None]).ravel()  # increasing: rows 3 apart, limits span at most 2
    key_hi = (-hi + 3.0 * rows[:, None]).ravel()
    target = -delta[:, None] + 3.0 * rows[None, :]
    start = np.searchsorted(key_lo, target, side="left") - rows * width  # first x_c with ci_low <= delta
    end = np.searchsorted(key_hi, target, side="right") - rows * width  # past the last with ci_high >= delta
    end = np.maximum(end, start)
    b1 = binom_pmf(n1, p1)
    b2 = binom_pmf(n2, p2)
    below = np.concatenate([np.zeros((p2.size, 1)), np.cumsum(b2, axis=1)], axis=1)
    mass = np.take_along_axis(below, end, axis=1) - np.take_along_axis(below, start, axis=1)
    return np.einsum("gi,gi->g", b1, mass)


def _dense_coverage(lo, hi, n1, n2, p1, p2, delta):
    cover = (lo[None] <= delta[:, None, None]) & (delta[:, None, None] <= hi[None])
    return np.einsum("gi,gij,gj->g", binom_pmf(n1, p1), cover, binom_pmf(n2, p2))


def coverage(ci: RDInterval, n_t: int, n_c: int, p_t: Any, p_c: Any, *, alpha: float = 0.05) -> pd.DataFrame:
    """Exact coverage probability of a risk-difference interval at true proportions (p_t, p_c).

    Parameters
    ----------
    ci : str
        Any interval of :func:`fmtrials.risk_difference` (``wald``, ``wald_cc``, ``agresti_caffo``,
        ``newcombe``, ``mn``, ``mee``, ``exact``); letter case is ignored.
    n_t, n_c : int
        Arm sizes (whole numbers >= 1).
    p_t, p_c : float or array-like
        True proportions in [0, 1], broadcast against each other (e.g. the two halves of a meshgrid).
    alpha : float
        Nominal two-sided level; the target coverage is 1 - alpha.

    Returns
    -------
    pandas.DataFrame
        ``p_t, p_c, rd, coverage`` (one row per pair, in broadcast order) and ``ci, n_t, n_c, alpha``.

    Notes
    -----
    Full enumeration: every one of the (n_t + 1)(n_c + 1) outcomes is scored once, so the answer is exact
    (no simulation). The cost is the intervals of all outcomes (the ``exact`` interval enumerates again per
    outcome and is only practical for small arms) plus a binary search per row and grid point.

    Supported size, refused with a DataError before any work: (n_t + 1)(n_c + 1) at most
    :data:`MAX_TABLES` (1000 patients per arm; 20 for ``ci="exact"``, :data:`MAX_TABLES_EXACT`), and grid
    points x (n_t + n_c + 2) at most :data:`MAX_GRID_WORK`.

    Examples
    --------
    >>> from fmtrials import coverage
    >>> coverage("wald", 10, 10, 0.5, 0.5)[["rd", "coverage"]].round(6)
        rd  coverage
    0  0.0   0.91169
    """
    ci = choice(ci, RD_INTERVALS, "ci")
    alpha = check_alpha(alpha)
    n1 = check_int(n_t, "n_t", low=1)
    n2 = check_int(n_c, "n_c", low=1)
    p1, p2 = (np.asarray(v, dtype=float) for v in np.broadcast_arrays(p_t, p_c))
    for name, v in (("p_t", p1), ("p_c", p2)):
        bad = np.nonzero(~((v >= 0) & (v <= 1)))[0] if v.ndim else np.nonzero(~((v >= 0) & (v <= 1)).ravel())[0]
        if bad.size:
            raise DataError(
                Problem(
                    f"must be proportions in [0, 1]; got {v.ravel()[bad[0]]!r} at position {int(bad[0])}",
                    file="<arguments>",
                    column=name,
                )
            )
    p1, p2 = p1.ravel(), p2.ravel()
    _check_size(ci, n1, n2, p1.size)
    lo, hi = _all_intervals(ci, n1, n2, alpha)
    runs = bool((np.diff(lo, axis=1) <= 0).all() and (np.diff(hi, axis=1) <= 0).all())
    delta = p1 - p2
    out = np.empty(p1.size)
    per_point = (n1 + 1) * (4 if runs else n2 + 1)
    step = max(_BLOCK_FLOATS // per_point, 1)
    fn = _run_coverage if runs else _dense_coverage
    for g in range(0, p1.size, step):
        sl = slice(g, g + step)
        out[sl] = fn(lo, hi, n1, n2, p1[sl], p2[sl], delta[sl])
    return pd.DataFrame(
        {
            "p_t": p1,
            "p_c": p2,
            "rd": delta,
            "coverage": np.minimum(out, 1.0),
            "ci": ci,
            "n_t": n1,
            "n_c": n2,
            "alpha": alpha,
        }
    )


def coverage_summary(ci: RDInterval, n_t: int, n_c: int, *, points: int = 50, alpha: float = 0.05) -> dict:
    """Mean and minimum exact coverage over a ``points`` x ``points`` grid of (p_t, p_c).

    The grid is the midpoints (k - 1/2)/points, k = 1..points, in each arm (so 0 and 1 are excluded, where
    every interval is degenerate).

    Returns
    -------
    dict
        ``ci, n_t, n_c, alpha, points, mean, minimum, p_t_at_min, p_c_at_min, below_nominal`` (the share of
        grid points whose coverage is below 1 - alpha).

    Examples
    --------
    >>> from fmtrials.effects.interval_coverage import coverage_summary
    >>> s = coverage_summary("mn", 20, 20, points=10)
    >>> round(s["mean"], 4), round(s["minimum"], 4)
    (0.9505, 0.9334)
    """
    points = check_int(points, "points", low=1, high=1000)
    mid = (np.arange(points) + 0.5) / points
    pt, pc = np.meshgrid(mid, mid, indexing="ij")
    res = coverage(ci, n_t, n_c, pt.ravel(), pc.ravel(), alpha=alpha)
    cov = res["coverage"].to_numpy()
    k = int(np.argmin(cov))
    return {
        "ci": res["ci"].iloc[0],
        "n_t": int(n_t),
        "n_c": int(n_c),
        "alpha": float(alpha),
        "points": points,
        "mean": float(cov.mean()),
        "minimum": float(cov[k]),
        "p_t_at_min": float(pt.ravel()[k]),
        "p_c_at_min": float(pc.ravel()[k]),
        "below_nominal": float((cov < 1 - alpha).mean()),
    }

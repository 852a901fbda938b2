"""Exact power, actual size and sample size of the 2x2 tests of :func:`fmtrials.proportions_test`.

The power of a test at true rates (p_t, p_c) with arm sizes (n_t, n_c) is the probability of its rejection
region under independent binomials,

    power = sum over rejected tables of Bin(x_t; n_t, p_t) Bin(x_c; n_c, p_c),

with the region found once per design by the all-tables engine (:mod:`fmtrials.effects._alltables`). Its actual
size is the same sum maximised over the common rate p_t = p_c (the supremum of :mod:`fmtrials.effects.
_unconditional`: a grid in the variance-stabilising angle, then local zooms). Nothing is simulated.

Exact power is not monotone in n: it saw-tooths, because the attainable p-values are discrete.
:func:`sample_size` therefore reports the smallest n reaching the target *and* the smallest n from which every
larger n up to +10% keeps it, beside the normal approximation.

References
----------
.. [1] Suissa S, Shuster JJ (1985): the exact unconditional test on the pooled z (Barnard's ordering here), the
   "Suissa-Shuster test" of Fagerland et al. [4] and R ``contingencytables``.
.. [2] Berger RL, Boos DD. P values maximized over a confidence set for the nuisance parameter. J Am Stat Assoc
   1994;89:1012-1016 (here the supremum is over the whole range of the common rate, their gamma = 0).
.. [3] Mehrotra DV, Chan ISF, Berger RL. A cautionary note on exact unconditional inference for a difference
   between two independent binomial proportions. Biometrics 2003, doi:10.1111/1541-0420.00051 (exact size and
   power of Fisher's, Boschloo's and score-ordered unconditional tests).
.. [4] Fagerland MW, Lydersen S, Laake P. Statistical Analysis of Contingency Tables. CRC 2017, chapter 4
   (The 2x2 table).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._validation import ARGUMENTS, check_alpha, check_int, check_number
from .._vocab import ALTERNATIVES, PROPORTIONS_TESTS, Alternative, ProportionsTest, choice
from ..errors import DataError, Problem
from ._alltables import MAX_TABLES, region_runs, rejection_region
from ._unconditional import row_runs, sup_tail, tail_prob

__all__ = ["exact_power", "sample_size", "normal_sample_size", "MAX_TABLES"]

#: the window above a sample size in which every n must keep the target power (``n_c_stable``)
STABLE_WINDOW = 0.10


def _rates(p_t: Any, p_c: Any) -> tuple[np.ndarray, np.ndarray]:
    arrays = []
    for name, value in (("p_t", p_t), ("p_c", p_c)):
        try:
            v = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise DataError(Problem(f"must be rates in [0, 1], got {value!r}", file=ARGUMENTS, column=name)) from None
        bad = np.nonzero(~((v >= 0) & (v <= 1)).ravel())[0]
        if bad.size:
            raise DataError(
                Problem(
                    f"must be rates in [0, 1]; got {v.ravel()[bad[0]]!r} at position {int(bad[0])}",
                    file=ARGUMENTS,
                    column=name,
                )
            )
        arrays.append(v)
    try:
        p1, p2 = np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = f"{arrays[0].shape} and {arrays[1].shape}"
        raise DataError(Problem(f"p_t and p_c do not broadcast: {shapes}", file=ARGUMENTS, column="p_c")) from None
    return p1.ravel(), p2.ravel()


def _check_design(n1: int, n2: int, name: str = "n_t") -> None:
    tables = (n1 + 1) * (n2 + 1)
    if tables > MAX_TABLES:
        raise DataError(
            Problem(
                f"{n1:,} x {n2:,} patients give {tables:,} tables ((n_t + 1)(n_c + 1)), about "
                f"{100 * tables / 1e6:,.0f} MB; exact power supports at most {MAX_TABLES:,} tables (1000 per arm)",
                file=ARGUMENTS,
                column=name,
            )
        )


def _power_of(runs: tuple | None, n1: int, n2: int, p1: float, p2: float) -> float:
    """Power at one pair of rates from the row runs of a region (:func:`region_runs`), as :func:`exact_power`."""
    if runs is None:
        return 0.0
    pw = tail_prob(runs[0], runs[1], n1, n2, np.array([p1]), np.array([p2]))[0]
    return float(min(max(pw, 0.0), 1.0))


def _size(region: np.ndarray, n1: int, n2: int) -> float:
    if not region.any():
        return 0.0
    return float(sup_tail(*row_runs(region), n1, n2))


def exact_power(
    p_t: Any,
    p_c: Any,
    n_t: int,
    n_c: int,
    *,
    test: ProportionsTest = "boschloo",
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> pd.DataFrame:
    """Exact power and actual size of a 2x2 test for arm sizes (n_t, n_c), at true rates (p_t, p_c).

    Parameters
    ----------
    p_t, p_c : float or array-like
        True event rates of the treatment and control arms, in [0, 1], broadcast against each other (arrays give
        a power curve; the design's rejection region is computed once).
    n_t, n_c : int
        Arm sizes (whole numbers >= 1).
    test : {"boschloo", "barnard", "fisher", "chi2", "yates", "score"}
        The test as :func:`fmtrials.proportions_test` defines it (``score`` with ``delta0 = 0``); letter case is
        ignored.
    alpha : float
        Level: a table is rejected when its p-value is at most ``alpha``.
    alternative : {"two-sided", "less", "greater"}
        As in :func:`fmtrials.proportions_test` (``greater``: p_t > p_c).

    Returns
    -------
    pandas.DataFrame
        One row per pair of rates: ``p_t, p_c`` (the rates), ``n_t, n_c``, ``test, alternative, alpha``,
        ``power`` (probability of rejection at (p_t, p_c)), ``size`` (the actual type I error: the probability of
        rejection maximised over the common rate p_t = p_c; at most ``alpha`` for fisher, barnard and boschloo,
        possibly above it for chi2 and score), ``tables_rejected`` (tables in the rejection region) and
        ``tables`` ((n_t + 1)(n_c + 1)).

    Notes
    -----
    Memory is about 100 bytes per table, 100 (n_t + 1)(n_c + 1) bytes (100 MB at 1000 per arm); designs with
    more than :data:`MAX_TABLES` tables are refused with a DataError before any work, as are rates outside
    [0, 1] and n < 1. The rejection region equals ``proportions_test(...)["p_value"] <= alpha`` computed table
    by table (tests/test_power.py checks it by brute force).

    Examples
    --------
    >>> from fmtrials import exact_power
    >>> exact_power(0.7, 0.2, 15, 15, test="fisher")[["power", "size", "tables_rejected"]].round(6)
          power     size  tables_rejected
    0  0.679619  0.01768              102
    """
    method = choice(test, PROPORTIONS_TESTS, "test")
    side = choice(alternative, ALTERNATIVES, "alternative")
    level = check_alpha(alpha)
    n1 = check_int(n_t, "n_t", low=1)
    n2 = check_int(n_c, "n_c", low=1)
    p1, p2 = _rates(p_t, p_c)
    _check_design(n1, n2)
    region = rejection_region(n1, n2, method, side, level)
    if region.any():
        pw = tail_prob(*row_runs(region), n1, n2, p1, p2) if p1.size else np.empty(0)
    else:
        pw = np.zeros(p1.size)
    return pd.DataFrame(
        {
            "p_t": p1,
            "p_c": p2,
            "n_t": n1,
            "n_c": n2,
            "test": method,
            "alternative": side,
            "alpha": level,
            "power": np.clip(pw, 0.0, 1.0),
            "size": _size(region, n1, n2),
            "tables_rejected": int(region.sum()),
            "tables": (n1 + 1) * (n2 + 1),
        }
    )


def normal_sample_size(
    p_t: float,
    p_c: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    ratio: float = 1.0,
) -> float:
    """Control-arm size of the normal approximation (not rounded), n_t = ratio * n_c.

    n_c = (z_a sqrt(pbar qbar (1 + 1/ratio)) + z_b sqrt(p_t q_t / ratio + p_c q_c))² / (p_t - p_c)², with
    pbar = (ratio p_t + p_c) / (1 + ratio), z_a the upper alpha/2 (two-sided) or alpha point and z_b the upper
    1 - power point: R ``power.prop.test`` (``strict = FALSE``) when ratio = 1 (tests/r/power_reference.R).

    Examples
    --------
    >>> round(normal_sample_size(0.254, 0.155), 3)  # R: power.prop.test(p1 = 0.254, p2 = 0.155, power = 0.8)
    259.374
    """
    p1, p2 = check_number(p_t, "p_t", low=0.0, high=1.0), check_number(p_c, "p_c", low=0.0, high=1.0)
    side = choice(alternative, ALTERNATIVES, "alternative")
    target = check_number(power, "power", low=0.0, high=1.0, inclusive=False)
    level = check_alpha(alpha)
    r = check_number(ratio, "ratio", low=1e-3, high=1e3)
    if p1 == p2:
        raise DataError(Problem("p_t equals p_c: no sample size detects no difference", file=ARGUMENTS, column="p_t"))
    z_a = -special.ndtri(level / 2.0 if side == "two-sided" else level)
    z_b = special.ndtri(target)
    pbar = (r * p1 + p2) / (1.0 + r)
    num = z_a * math.sqrt(pbar * (1 - pbar) * (1 + 1 / r)) + z_b * math.sqrt(p1 * (1 - p1) / r + p2 * (1 - p2))
    return float(num * num / (p1 - p2) ** 2)


def sample_size(
    p_t: float,
    p_c: float,
    *,
    power: float = 0.8,
    test: ProportionsTest = "boschloo",
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    ratio: float = 1.0,
) -> pd.DataFrame:
    """Smallest arm sizes at which a 2x2 test reaches the target exact power, beside the normal approximation.

    Parameters
    ----------
    p_t, p_c : float
        True event rates of the treatment and control arms, in [0, 1], different.
    power : float
        Target power, in (0, 1).
    test, alpha, alternative
        As in :func:`exact_power`.
    ratio : float
        Allocation ratio n_t / n_c (n_t = ceil(ratio * n_c)), in [0.001, 1000].

    Returns
    -------
    pandas.DataFrame
        One row: ``p_t, p_c, test, alternative, alpha, target_power, ratio``; ``n_t, n_c, power``: the smallest
        design reaching the target (searched from 10% below the first crossing of a bisection on n_c);
        ``n_t_stable, n_c_stable, power_stable``: the smallest n_c from which every n_c up to +10% reaches the
        target (``power_stable`` is the lowest power in that window); ``n_t_normal, n_c_normal``: the normal
        approximation (:func:`normal_sample_size`, rounded up) and ``power_at_normal``, the test's exact power
        there.

    Notes
    -----
    Exact power saw-tooths in n, so the smallest n reaching the target can be followed by larger n that miss
    it; ``n_c_stable`` is the answer to plan with. Every design examined costs one rejection region (memory as
    in :func:`exact_power`); a search that would need more than :data:`MAX_TABLES` tables (a difference too
    small for 1000 per arm) is refused with a DataError naming ``p_t`` before any work.

    Examples
    --------
    >>> from fmtrials import sample_size
    >>> sample_size(0.7, 0.2, test="fisher")[["n_c", "power", "n_c_stable", "n_c_normal"]].round(4)
       n_c   power  n_c_stable  n_c_normal
    0   18  0.8349          18          15
    """
    method = choice(test, PROPORTIONS_TESTS, "test")
    side = choice(alternative, ALTERNATIVES, "alternative")
    level = check_alpha(alpha)
    target = check_number(power, "power", low=0.0, high=1.0, inclusive=False)
    r = check_number(ratio, "ratio", low=1e-3, high=1e3)
    p1, p2 = (float(v[0]) for v in _rates(p_t, p_c))
    n_norm = normal_sample_size(p1, p2, power=target, alpha=level, alternative=side, ratio=r)

    def arms(n: int) -> tuple[int, int]:
        return max(1, math.ceil(r * n - 1e-9)), n

    n_max = 1
    while (arms(n_max + 1)[0] + 1) * (n_max + 2) <= MAX_TABLES:
        n_max += 1
    if math.ceil(n_norm) > n_max / (1.0 + STABLE_WINDOW):
        raise DataError(
            Problem(
                f"the normal approximation needs {math.ceil(n_norm):,} per control arm: beyond the exact search's "
                f"limit of {MAX_TABLES:,} tables (about {n_max:,} per control arm at ratio {r:g}); the difference "
                "is too small for an exact sample size",
                file=ARGUMENTS,
                column="p_t",
            )
        )
    cache: dict[int, float] = {}
    bounds: dict[int, tuple[float, float]] = {}
    tight: set[int] = set()

    def pw(n: int) -> float:
        if n not in cache:
            a, b = arms(n)
            cache[n] = _power_of(region_runs(a, b, method, side, level), a, b, p1, p2)
            bounds[n] = (cache[n], cache[n])
        return cache[n]

    def bound(n: int, effort: int = 1) -> tuple[float, float]:
        # power of the tables certified rejected and of those not certified accepted: decides most n cheaply
        if n not in bounds or (effort == 2 and n not in cache and n not in tight):
            a, b = arms(n)
            if method in ("barnard", "boschloo"):
                runs = [region_runs(a, b, method, side, level, f"{x}{effort}") for x in ("inner", "outer")]
                bounds[n] = (_power_of(runs[0], a, b, p1, p2), _power_of(runs[1], a, b, p1, p2))
                if effort == 2:
                    tight.add(n)
            else:  # the region itself is cheap
                pw(n)
        return bounds[n]

    def reaches(n: int) -> bool:
        for effort in (1, 2):
            low, high = bound(n, effort)
            if low >= target or high < target:
                return low >= target
        return pw(n) >= target

    hi = max(1, math.ceil(n_norm))
    while not reaches(hi):
        if hi >= n_max:
            raise DataError(
                Problem(
                    f"{method} does not reach power {target:g} within {n_max:,} per arm", file=ARGUMENTS, column="p_t"
                )
            )
        hi = min(2 * hi, n_max)
    lo = hi // 2
    while lo >= 1 and reaches(lo):
        hi, lo = lo, lo // 2
    while hi - lo > 1:  # power(lo) < target <= power(hi) (lo = 0: no design smaller)
        mid = (lo + hi) // 2
        if reaches(mid):
            hi = mid
        else:
            lo = mid
    first = hi
    smallest = first
    for n in range(first - 1, max(1, math.floor((1 - STABLE_WINDOW) * first)) - 1, -1):
        if reaches(n):
            smallest = n
    stable = first
    while True:
        top = min(math.ceil((1 + STABLE_WINDOW) * stable), n_max)
        miss = [n for n in range(stable, top + 1) if not reaches(n)]
        if not miss:
            break
        stable = miss[-1] + 1
    window = range(stable, min(math.ceil((1 + STABLE_WINDOW) * stable), n_max) + 1)
    lowest = math.inf
    for n in sorted(window, key=lambda n: bound(n)[0]):  # the exact power only where it can be the lowest
        if bound(n)[0] < lowest and bound(n, 2)[0] < lowest:
            lowest = min(lowest, pw(n))
    n_c_norm = math.ceil(n_norm - 1e-9)
    a_norm = arms(n_c_norm)[0]
    at_norm = pw(n_c_norm) if n_c_norm <= n_max else math.nan
    return pd.DataFrame(
        {
            "p_t": [p1],
            "p_c": p2,
            "test": method,
            "alternative": side,
            "alpha": level,
            "target_power": target,
            "ratio": r,
            "n_t": arms(smallest)[0],
            "n_c": smallest,
            "power": pw(smallest),
            "n_t_stable": arms(stable)[0],
            "n_c_stable": stable,
            "power_stable": lowest,
            "n_t_normal": a_norm,
            "n_c_normal": n_c_norm,
            "power_at_normal": at_norm,
        }
    )

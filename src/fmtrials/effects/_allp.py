"""The p-value of every table of an n_t x n_c design in one pass, as :func:`fmtrials.proportions_test` defines it.

:func:`table_p_values` gives (statistic, p-value) of every table (or of the tables asked for) of one design:

* ``chi2``, ``yates``, ``score``: the vectorised formulas :func:`proportions_test` uses, on all tables at once;
* ``fisher``: two-sided, every margin m = x1 + x2 laid out in a row, sorted and cumulated once
  (:func:`fmtrials.effects._alltables._fisher_two_sided`; scipy ``fisher_exact``'s relative tie tolerance 1e-14);
  one-sided, the hypergeometric probabilities cumulated along each margin. These agree with scipy's per-table
  ``fisher_exact`` to about 1e-15 (tests/test_power_allp.py checks every table to 1e-12) but are not
  bit-identical to it, so :func:`proportions_test` keeps scipy for Fisher;
* ``barnard``, ``boschloo``: the statistic of every table is computed once and the tables are ordered by it; a
  table's tail is a prefix of the ordering, so tables whose tails coincide (ties, and for a two-sided Barnard
  test the mirror tables with the same |z|) share one supremum; the supremum is the same computation as
  :func:`proportions_test`'s (:func:`fmtrials.effects._unconditional.sup_tail` on the same tail), so the
  p-values are bit-identical. Once a tail's p-value is 1, every later tail's is too (the tails are nested) and no
  further supremum is computed.

Memory: a few arrays of (n_t + 1)(n_c + 1) floats, about 100 bytes per table.
"""

from __future__ import annotations

import numpy as np

from ._alltables import _fisher_one_sided_p, _fisher_two_sided, _grid, _no_variation, _vectorised_p
from ._unconditional import row_runs, sup_tail

__all__ = ["table_p_values"]

_TIE_RTOL = 1e-13


def _prefix_sups(key: np.ndarray, thr: np.ndarray, want: np.ndarray) -> np.ndarray:
    """sup over the common rate of P(tail) for the tables ``want`` (flat indices), tail = {key >= thr} with
    ``thr`` the wanted tables' thresholds (their own key less the tie tolerance, rounded as proportions_test).

    Tails are identified by their size in the ordering; each distinct one is computed once, in order of size,
    and 1 from the first that reaches 1 on (the tails are nested)."""
    n1p, n2p = key.shape
    flat = key.ravel()
    sorted_key = np.sort(flat)[::-1]
    size = np.searchsorted(-sorted_key, -thr, side="right")  # tables in each wanted tail
    out = np.empty(want.size)
    done_at_one = None
    for s in np.unique(size):
        sel = size == s
        if done_at_one is not None or s == flat.size:
            out[sel] = 1.0
            continue
        i = int(np.nonzero(sel)[0][0])
        tail = (flat >= thr[i]).reshape(n1p, n2p)
        p = sup_tail(*row_runs(tail), n1p - 1, n2p - 1)
        out[sel] = p
        if p >= 1.0:
            done_at_one = s
    return out


def table_p_values(
    n1: int, n2: int, test: str, alternative: str, x1: np.ndarray | None = None, x2: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(statistic, p-value) of the tables (x1, x2) of the design (n1, n2), or of every table as (n1 + 1, n2 + 1)
    matrices when x1 and x2 are None; ``test`` and ``alternative`` as :func:`proportions_test` names them
    (lower case; ``score`` with ``delta0 = 0``)."""
    whole = x1 is None
    if whole:
        gx1, gx2 = _grid(n1, n2)
        want = np.arange(gx1.size)
    else:
        want = np.asarray(x1, dtype=np.int64) * (n2 + 1) + np.asarray(x2, dtype=np.int64)
    novar = _no_variation(n1, n2).ravel()[want]
    if test in ("chi2", "yates", "score"):
        from ._statistics import _chi2_stats, _score_z

        a, b = (gx1, gx2) if whole else (np.asarray(x1), np.asarray(x2))
        p = _vectorised_p(n1, n2, test, alternative).ravel()[want]
        if test == "score":
            stat = _score_z(a, n1, b, n2, 0.0)
        else:
            chi2, z, _ = _chi2_stats(a, n1, b, n2, yates=test == "yates")
            stat = chi2 if alternative == "two-sided" else z
    elif test == "fisher":
        pm = _fisher_two_sided(n1, n2) if alternative == "two-sided" else _fisher_one_sided_p(n1, n2, alternative)
        p = pm.ravel()[want]
        a, b = (gx1, gx2) if whole else (np.asarray(x1), np.asarray(x2))
        c, d = n1 - a, n2 - b
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = np.where((b > 0) & (c > 0), a * d / np.where((b > 0) & (c > 0), b * c, 1).astype(float), np.inf)
        stat = np.where(novar, np.nan, stat)
        p = np.where(novar, 1.0, p)
    elif test == "barnard":
        from ._statistics import _barnard_z

        zs = _barnard_z(n1, n2)
        key = {"two-sided": np.abs(zs), "greater": zs, "less": -zs}[alternative]
        stat = np.where(novar, 0.0, zs.ravel()[want])
        z_obs = zs.ravel()[want]
        tie = _TIE_RTOL * np.abs(z_obs)
        thr = {"two-sided": np.abs(z_obs) - tie, "greater": z_obs - tie, "less": -(z_obs + tie)}[alternative]
        p = np.where(novar, 1.0, _prefix_sups(key, thr, want))
    else:  # boschloo
        from ._statistics import _fisher_one_sided

        sides = ("less", "greater") if alternative == "two-sided" else (alternative,)
        best_p = np.full(want.size, np.inf)
        stat = np.zeros(want.size)
        for side in sides:
            fp = _fisher_one_sided(n1, n2, upper=side == "greater")
            ps = _prefix_sups(-fp, -(fp.ravel()[want] * (1.0 + _TIE_RTOL)), want)
            better = ps < best_p  # strict: the first side ("less") on ties, as proportions_test
            stat = np.where(better, fp.ravel()[want], stat)
            best_p = np.where(better, ps, best_p)
        p = np.minimum(1.0, 2.0 * best_p) if alternative == "two-sided" else best_p
        stat = np.where(novar, 1.0, stat)
        p = np.where(novar, 1.0, p)
    p = np.minimum(p, 1.0)
    if whole:
        return np.asarray(stat, dtype=float).reshape(n1 + 1, n2 + 1), p.reshape(n1 + 1, n2 + 1)
    return np.asarray(stat, dtype=float), p


#: a design goes through the all-tables pass when a call holds at least this fraction of its tables (and two);
#: below it one supremum per table is as fast (benchmarks/bench_allp.py). Boschloo's per-table path recomputes
#: the one-sided Fisher p-values of the whole design for every table, so it gains from far fewer tables.
FRACTION = {"barnard": 1 / 500, "boschloo": 1 / 40_000}


def use_all_tables(method: str, distinct: int, n1: int, n2: int) -> bool:
    """Whether ``distinct`` tables of design (n1, n2) in one ``proportions_test`` call are faster in one pass."""
    return distinct >= max(2.0, FRACTION[method] * (n1 + 1) * (n2 + 1))


def unconditional_tests(x1, n1, x2, n2, method: str, alternative: str, one) -> np.ndarray:
    """(statistic, p) per table for Barnard or Boschloo: designs with enough distinct tables in one all-tables
    pass (:func:`use_all_tables`), the others with ``one(x1, n1, x2, n2)`` once per distinct table."""
    from ._common import per_distinct_table

    x1, n1, x2, n2 = (np.asarray(v, dtype=np.int64).ravel() for v in (x1, n1, x2, n2))
    out = np.empty((x1.size, 2))
    done = np.zeros(x1.size, dtype=bool)
    designs = np.unique(np.stack([n1, n2], axis=1), axis=0) if x1.size else np.empty((0, 2), dtype=np.int64)
    for a, b in designs:
        sel = np.nonzero((n1 == a) & (n2 == b))[0]
        cells = np.unique(np.stack([x1[sel], x2[sel]], axis=1), axis=0)
        if use_all_tables(method, len(cells), int(a), int(b)):
            stat, p = table_p_values(int(a), int(b), method, alternative, cells[:, 0], cells[:, 1])
            pos = np.searchsorted(cells[:, 0] * (b + 1) + cells[:, 1], x1[sel] * (b + 1) + x2[sel])
            out[sel, 0], out[sel, 1] = stat[pos], p[pos]
            done[sel] = True
    rest = np.nonzero(~done)[0]
    if rest.size:
        out[rest] = per_distinct_table(x1[rest], n1[rest], x2[rest], n2[rest], one)[:, :2]
    return out

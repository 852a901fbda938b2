"""Benchmark: proportions_test on many tables of one design, the all-tables pass (fmtrials.effects._allp) against
one supremum per table (the per-table path proportions_test takes for a single table), in the same run.

Usage::

    python benchmarks/bench_allp.py [--repeat 3]

For Barnard and Boschloo (two-sided) and several (arm size, number of tables) cases it prints the seconds of
each path, their ratio and whether the p-values are identical (they must be: the same supremum on the same tail).
The thresholds of ``fmtrials.effects._allp.use_all_tables`` come from this table: Boschloo gains from a few
tables of a design on (the per-table path recomputes the one-sided Fisher p-values of the whole design per
table; at 400 per arm from about 1/40,000 of the tables), Barnard only when the call holds a fair share of the
design's tables (below about 1/500 of them the per-table path is as fast).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from fmtrials.effects import _allp, tests
from fmtrials.effects._common import per_distinct_table

CASES = [(30, None), (100, 50), (200, 20), (400, 5), (400, 2)]


def _best(fn, repeat):
    best, out = math.inf, None
    for _ in range(repeat):
        tests._exact_test_one.cache_clear()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    rng = np.random.default_rng(1)
    print(f"{'test':9s} {'n/arm':>5s} {'tables':>7s} {'per table s':>11s} {'all-tables s':>12s} {'ratio':>6s} same")
    for n, k in CASES:
        if k is None:
            x1, x2 = np.repeat(np.arange(n + 1), n + 1), np.tile(np.arange(n + 1), n + 1)
        else:
            x1, x2 = rng.integers(0, n + 1, k), rng.integers(0, n + 1, k)
        nn = np.full(x1.size, n)
        for test in ("barnard", "boschloo"):
            t_one, r_one = _best(
                lambda: per_distinct_table(x1, nn, x2, nn, lambda *t: tests._exact_test_one(*t, test, "two-sided")),
                a.repeat,
            )
            t_all, r_all = _best(lambda: _allp.table_p_values(n, n, test, "two-sided", x1, x2)[1], a.repeat)
            same = bool(np.array_equal(r_one[:, 1], r_all))
            used = "all-tables" if _allp.use_all_tables(test, len(set(zip(x1, x2))), n, n) else "per table"
            print(
                f"{test:9s} {n:5d} {x1.size:7d} {t_one:11.3f} {t_all:12.3f} {t_one / t_all:5.2f}x {same}"
                f"  (proportions_test uses: {used})"
            )


if __name__ == "__main__":
    main()

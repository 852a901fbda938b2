"""Benchmark: reanalyse_percentages over every admissible count pair, vectorised, against a per-pair loop.

Usage::

    python benchmarks/bench_reanalysis.py [--rows 100] [--grid 50] [--loop 300]

Builds ``--rows`` rows whose printed percentages admit ``--grid`` counts per arm (arm sizes of about 5,000 and
percentages printed to whole percent), i.e. ``rows x grid x grid`` pairs (250,000 by default), and times
``fmtrials.reanalyse_percentages(..., ci="newcombe", test=...)`` for the vectorised tests (chi2, score).
The alternative, measured in the same run: the same analysis one pair at a time through the same public
functions (``risk_difference`` and ``proportions_test`` on one table per call) for ``--loop`` pairs,
extrapolated to all pairs. Prints the ratio. Fisher's exact test runs once per distinct table (scipy) and
is timed on one row (2,500 pairs) only.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import fmtrials


def _rows(rows: int, grid: int) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """Whole-percent rows under n = 100 * grid: ``grid + 1`` admissible counts per arm (both ends of the
    half-unit band are reachable), so about ``grid x grid`` pairs per row."""
    rng = np.random.default_rng(1)
    n = np.full(rows, 100 * grid)
    pt = [str(v) for v in rng.integers(20, 60, rows)]
    pc = [str(v) for v in rng.integers(5, 40, rows)]
    return pt, n, pc, n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100)
    ap.add_argument("--grid", type=int, default=50)
    ap.add_argument("--loop", type=int, default=300)
    a = ap.parse_args()
    pt, nt, pc, nc = _rows(a.rows, a.grid)
    fmtrials.reanalyse_percentages(pt[:2], nt[:2], pc[:2], nc[:2], test="chi2")  # warm-up (imports)
    for test in ("chi2", "score"):
        t0 = time.perf_counter()
        r = fmtrials.reanalyse_percentages(pt, nt, pc, nc, test=test)
        vec = time.perf_counter() - t0
        pairs = int(r.n_pairs.sum())
        t0 = time.perf_counter()
        k = 0
        for row in r.itertuples():
            for et in range(int(row.events_t_min), int(row.events_t_max) + 1):
                for ec in range(int(row.events_c_min), int(row.events_c_max) + 1):
                    fmtrials.risk_difference(et, row.n_t, ec, row.n_c, ci="newcombe")
                    fmtrials.proportions_test(et, row.n_t, ec, row.n_c, test=test)
                    k += 1
                    if k >= a.loop:
                        break
                if k >= a.loop:
                    break
            if k >= a.loop:
                break
        loop = (time.perf_counter() - t0) / k * pairs
        print(
            f"test={test}: {a.rows} rows, {pairs:,} pairs: vectorised {vec:.3f} s; per-pair loop "
            f"(extrapolated from {k} pairs) {loop:.1f} s; ratio {loop / vec:,.0f}x"
        )
    t0 = time.perf_counter()
    r = fmtrials.reanalyse_percentages(pt[:1], nt[:1], pc[:1], nc[:1], test="fisher")
    print(
        f"test=fisher: 1 row, {int(r.n_pairs.sum()):,} pairs: {time.perf_counter() - t0:.3f} s "
        "(once per distinct table)"
    )


if __name__ == "__main__":
    main()

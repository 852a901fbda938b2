"""Benchmark: fmtrials' exact unconditional engine against scipy, side by side in the same run.

Usage::

    python benchmarks/bench_exact.py [--repeat 3] [--quick]

* Barnard and Boschloo (two-sided) at 50, 200 and 400 per arm (35% vs 24% events): fmtrials'
  ``proportions_test(test=...)`` (cache cleared before each call) against scipy ``barnard_exact`` /
  ``boschloo_exact`` (default ``n=32``) on the same table; goal >= 20x at 400 per arm. The p-values are printed
  too: fmtrials' value may exceed scipy's only where scipy misses the supremum or drops a float tie.
* Chan-Zhang interval (``risk_difference(ci="exact")``) at 400 and 1000 per arm, as a fraction of scipy's
  two-sided Boschloo time on the same table; goal <= 1/4 at 400 per arm.
* Exact coverage of the MN interval at 500 per arm on a 50 x 50 grid (``coverage_summary``) against the direct
  summation of the coverage indicator over all 251,001 outcomes (the same enumeration without the run-wise
  binary search); goal: seconds.

Each timing is the best of ``--repeat`` runs (scipy: one run per repeat as well). Peak memory is reported
from ``resource.getrusage`` (max RSS of this process).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
from scipy import stats

import fmtrials
from fmtrials.effects import exact, tests
from fmtrials.effects import interval_coverage as cov_mod


def _best(fn, repeat: int, before=None) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        if before is not None:
            before()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _peak_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def _table(n: int) -> tuple[int, int, int, int]:
    return round(0.35 * n), n, round(0.24 * n), n


def bench_tests(sizes, repeat: int) -> dict[tuple[str, int], float]:
    print(f"Barnard / Boschloo, two-sided: fmtrials vs scipy (best of {repeat})")
    print(f"{'test':9} {'n/arm':>5} {'fmtrials s':>11} {'scipy s':>9} {'ratio':>7}  {'p fmtrials':>12} {'p scipy':>12}")
    scipy_times = {}
    for n in sizes:
        x1, n1, x2, n2 = _table(n)
        for name, fn in (("barnard", stats.barnard_exact), ("boschloo", stats.boschloo_exact)):
            t_ours, res = _best(
                lambda: fmtrials.proportions_test(x1, n1, x2, n2, test=name),
                repeat,
                before=tests._exact_test_one.cache_clear,
            )
            t_sc, sres = _best(lambda: fn([[x1, x2], [n1 - x1, n2 - x2]]), repeat)
            scipy_times[(name, n)] = t_sc
            print(
                f"{name:9} {n:5d} {t_ours:11.4f} {t_sc:9.4f} {t_sc / t_ours:6.1f}x  "
                f"{res['p_value'].iloc[0]:12.6e} {sres.pvalue:12.6e}"
            )
    return scipy_times


def bench_chan_zhang(sizes, repeat: int, scipy_times) -> None:
    print("\nChan-Zhang exact RD interval vs scipy two-sided Boschloo on the same table")
    print(f"{'n/arm':>5} {'CZ s':>8} {'Boschloo s':>11} {'CZ / Boschloo':>14}  interval")
    for n in sizes:
        x1, n1, x2, n2 = _table(n)
        t_cz, res = _best(
            lambda: fmtrials.risk_difference(x1, n1, x2, n2, ci="exact"), repeat, before=exact._exact_lower.cache_clear
        )
        t_b = scipy_times.get(("boschloo", n))
        if t_b is None:
            t_b, _ = _best(lambda: stats.boschloo_exact([[x1, x2], [n1 - x1, n2 - x2]]), 1)
        r = res.iloc[0]
        print(f"{n:5d} {t_cz:8.3f} {t_b:11.3f} {t_cz / t_b:14.3f}  ({r.ci_low:.6f}, {r.ci_high:.6f})")


def bench_coverage(n: int, points: int, repeat: int) -> None:
    print(f"\nExact coverage of the MN interval, {n} per arm, {points} x {points} grid")
    t_fast, s = _best(lambda: cov_mod.coverage_summary("mn", n, n, points=points), repeat)
    mid = (np.arange(points) + 0.5) / points
    pt, pc = (a.ravel() for a in np.meshgrid(mid, mid, indexing="ij"))

    def dense():
        lo, hi = cov_mod._all_intervals("mn", n, n, 0.05)
        out = np.empty(pt.size)
        step = max(4_000_000 // ((n + 1) * (n + 1)), 1)
        for g in range(0, pt.size, step):
            sl = slice(g, g + step)
            out[sl] = cov_mod._dense_coverage(lo, hi, n, n, pt[sl], pc[sl], pt[sl] - pc[sl])
        return out

    t_dense, vals = _best(dense, 1)
    print(
        f"run-wise search {t_fast:.2f} s, direct summation {t_dense:.2f} s, ratio {t_dense / t_fast:.1f}x; "
        f"mean {s['mean']:.6f} (direct {vals.mean():.6f}), minimum {s['minimum']:.6f} "
        f"at p_t = {s['p_t_at_min']}, p_c = {s['p_c_at_min']}"
    )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = ap.parse_args(argv)
    sizes = (50, 100) if args.quick else (50, 200, 400)
    scipy_times = bench_tests(sizes, args.repeat)
    bench_chan_zhang((100,) if args.quick else (400, 1000), args.repeat, scipy_times)
    bench_coverage(100 if args.quick else 500, 20 if args.quick else 50, args.repeat)
    print(f"\npeak memory {_peak_mb():.0f} MB")


if __name__ == "__main__":
    main()

"""Benchmark: vectorised risk-difference intervals (MN, Newcombe) against statsmodels' per-call interval.

Usage::

    python benchmarks/bench_intervals.py [--n 1000000] [--chunk 1000000] [--sm 300] [--seed 1]

Draws ``--n`` random 2x2 tables (arms of 20-500, true rates uniform on (0, 1)) in chunks of ``--chunk``
tables (so 1e7 tables stay well under 2 GB), times ``fmtrials.risk_difference(..., ci="mn")`` and
``ci="newcombe"`` on all of them through the public API (validation and DataFrame included), then times
statsmodels' ``confint_proportions_2indep(compare="diff", method="score")`` on ``--sm`` of the same tables and
prints the per-table ratio. statsmodels is only timed here, never used as an oracle: its MN interval is wrong
(statsmodels issue 10269) and it raises on some tables, which are counted and skipped.
Peak memory is reported from ``resource.getrusage`` (max RSS of this process).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings

import numpy as np

import fmtrials


def _tables(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """``n`` random 2x2 tables as the keyword arguments ``events_t, n_t, events_c, n_c``."""
    n_t = rng.integers(20, 501, n)
    n_c = rng.integers(20, 501, n)
    events_t = rng.binomial(n_t, rng.uniform(0, 1, n))
    events_c = rng.binomial(n_c, rng.uniform(0, 1, n))
    return {"events_t": events_t, "n_t": n_t, "events_c": events_c, "n_c": n_c}


def _peak_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="number of random tables")
    ap.add_argument("--chunk", type=int, default=1_000_000, help="tables per call")
    ap.add_argument("--sm", type=int, default=300, help="tables timed with statsmodels")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    timings = {}
    for method in ("mn", "newcombe"):
        rng = np.random.default_rng(args.seed)
        wall = cpu = 0.0
        done = 0
        while done < args.n:
            m = min(args.chunk, args.n - done)
            tabs = _tables(rng, m)
            t0, c0 = time.perf_counter(), time.process_time()
            out = fmtrials.risk_difference(**tabs, ci=method)
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
            assert len(out) == m and out["ci_low"].between(-1, 1).all()
            done += m
            del out
        timings[method] = (wall, cpu)
        print(
            f"fmtrials {method:9s}: {args.n:>10,d} tables in {wall:7.3f} s wall ({cpu:7.3f} s CPU), "
            f"{wall / args.n * 1e6:8.3f} us/table"
        )

    from statsmodels.stats.proportion import confint_proportions_2indep

    rng = np.random.default_rng(args.seed)
    tabs = _tables(rng, args.sm)
    x1, n1, x2, n2 = (tabs[k] for k in ("events_t", "n_t", "events_c", "n_c"))
    failures = 0
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(args.sm):
            try:
                confint_proportions_2indep(x1[i], n1[i], x2[i], n2[i], compare="diff", method="score")
            except Exception:  # noqa: BLE001  - statsmodels raises on some tables (methods.md section 4)
                failures += 1
    sm_per = (time.perf_counter() - t0) / args.sm
    mn_per = timings["mn"][0] / args.n
    print(f"statsmodels score (per call): {args.sm} tables, {sm_per * 1e6:10.1f} us/table ({failures} raised)")
    print(f"speed-up MN vs statsmodels per table: {sm_per / mn_per:,.0f}x (wall-clock)")
    print(
        f"goal: 1e6 MN intervals <= 3 s -> {timings['mn'][0] * 1e6 / args.n:.2f} s per 1e6 (wall), "
        f"{timings['mn'][1] * 1e6 / args.n:.2f} s per 1e6 (CPU)"
    )
    print(f"peak memory (max RSS): {_peak_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Time a full sensitivity sweep: every measure x method x endpoint of the bundled data.

Run: ``python benchmarks/bench_meta.py``. Prints wall times (target for the basic sweep: under 1 s). Not a test.

* basic sweep: each endpoint's contrasts table pooled with every measure (RR, OR, RD) and method (MH, IV, Peto
  for OR, DL, REML, PM);
* extended sweep: the same plus the HKSJ variant of every random-effects model, each with dose subgroups
  (``by="dose_mg_day"``) and the test for subgroup differences.

Building the tables with ``fmtrials.contrasts()`` is timed separately (it belongs to fmtrials.data).

* leave-one-out at scale: ``leave_one_out`` on random tables of k = 1,000 and 10,000 studies (MH, DL with
  HKSJ: vectorised over subsets; REML: one fit per subset, k = 1,000 only) against the old way, a
  ``pool()`` refit per subset, measured in the same run (for k = 10,000 on a sample of subsets and
  extrapolated, as the full refit takes many minutes).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

import fmtrials
from fmtrials import meta


def tables() -> list:
    outcomes = fmtrials.load_outcomes()
    out = []
    for ep in sorted(outcomes["endpoint"].dropna().unique()):
        try:
            t = fmtrials.contrasts(endpoint=ep)
        except (fmtrials.DataError, ValueError):  # endpoint without poolable counts
            continue
        if len(t):
            out.append(t)
    return out


def sweep(tabs: list, extended: bool = False) -> int:
    n = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", meta.SharedPlaceboWarning)
        for t in tabs:
            for measure in meta.MEASURES:
                for method in meta.POOL_METHODS:
                    if method == "Peto" and measure != "OR":
                        continue
                    variants = ("z", "hksj") if (extended and method in ("DL", "REML", "PM")) else ("z",)
                    for test in variants:
                        try:
                            fmtrials.pool(
                                t, measure=measure, method=method, test=test, by="dose_mg_day" if extended else None
                            )
                        except fmtrials.DataError:
                            pass
                        n += 1
    return n


def main() -> None:
    t0 = time.perf_counter()
    tabs = tables()
    t_tables = time.perf_counter() - t0
    sweep(tabs)  # warm up imports
    for extended in (False, True):
        t0 = time.perf_counter()
        n = sweep(tabs, extended)
        dt = time.perf_counter() - t0
        kind = "extended (HKSJ variants, dose subgroups)" if extended else "basic"
        print(
            f"{kind} sweep: {n} pooled analyses over {len(tabs)} endpoints in {dt:.3f} s "
            f"({1000 * dt / max(n, 1):.2f} ms each)"
        )
    print(f"(building the {len(tabs)} contrasts tables: {t_tables:.3f} s, not included)")
    for k, method, test in (
        (1000, "MH", "z"),
        (1000, "DL", "hksj"),
        (1000, "REML", "z"),
        (10000, "MH", "z"),
        (10000, "DL", "hksj"),
    ):
        bench_leave_one_out(k, method, test)


def random_table(k: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_t, n_c = rng.integers(20, 400, k), rng.integers(20, 400, k)
    p = rng.uniform(0.05, 0.5, k)
    return pd.DataFrame(
        {
            "study": [f"S{i}" for i in range(k)],
            "events_t": rng.binomial(n_t, p * 1.3 % 1),
            "n_t": n_t,
            "events_c": rng.binomial(n_c, p),
            "n_c": n_c,
        }
    )


def bench_leave_one_out(k: int, method: str, test: str, sample: int = 1000) -> None:
    """leave_one_out (new) against a pool() refit per subset (old), timed in the same run."""
    t = random_table(k)
    kw = dict(measure="RR", method=method, test=test)
    t0 = time.perf_counter()
    fmtrials.leave_one_out(t, **kw)
    new = time.perf_counter() - t0
    n = min(sample if k <= 1000 else 40, k)
    t0 = time.perf_counter()
    for i in range(n):
        fmtrials.pool(t.drop(index=t.index[i]), **kw)
    old = (time.perf_counter() - t0) * k / n
    how = "measured" if n == k else f"extrapolated from {n} subsets"
    print(
        f"leave_one_out k = {k:,} {method}/{test}: {new:.2f} s; per-subset refit {old:.1f} s ({how}); "
        f"ratio {old / new:.0f}x"
    )


if __name__ == "__main__":
    main()

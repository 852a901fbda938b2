"""Time a full sensitivity sweep: every measure x method x endpoint of the bundled data.

Run: ``python benchmarks/bench_meta.py``. Prints wall times (target for the basic sweep: under 1 s). Not a test.

* basic sweep: each endpoint's contrasts table pooled with every measure (RR, OR, RD) and method (MH, IV, Peto
  for OR, DL, REML, PM);
* extended sweep: the same plus the HKSJ variant of every random-effects model, each with dose subgroups
  (``by="dose_mg_day"``) and the test for subgroup differences.

Building the tables with ``fmtrials.contrasts()`` is timed separately (it belongs to fmtrials.data).
"""

from __future__ import annotations

import time
import warnings

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
                for method in meta.METHODS:
                    if method == "Peto" and measure != "OR":
                        continue
                    variants = (False, True) if (extended and method in ("DL", "REML", "PM")) else (False,)
                    for hksj in variants:
                        try:
                            fmtrials.pool(t, measure=measure, method=method, hksj=hksj,
                                          by="dose_mg_day" if extended else None)
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
        print(f"{kind} sweep: {n} pooled analyses over {len(tabs)} endpoints in {dt:.3f} s "
              f"({1000 * dt / max(n, 1):.2f} ms each)")
    print(f"(building the {len(tabs)} contrasts tables: {t_tables:.3f} s, not included)")


if __name__ == "__main__":
    main()

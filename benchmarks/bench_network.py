"""Benchmark (not a test): REML network meta-analysis of a synthetic 100-treatment, 2,000-study network.

Run:  PYTHONPATH=src python benchmarks/bench_network.py
Target: <= 2 s on one core (the within-study covariance is block-diagonal; REML is a root of the score in one
tau², each evaluation a batched pass over the studies plus one 99 x 99 solve).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import fmtrials


def synthetic(n_treatments: int = 100, n_studies: int = 2000, seed: int = 20240) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = ["placebo"] + [f"T{i:03d}" for i in range(1, n_treatments)]
    effect = np.concatenate([[0.0], rng.normal(0.3, 0.3, n_treatments - 1)])
    rows = []
    for s in range(n_studies):
        k = 3 if rng.random() < 0.1 else 2
        # a chain through every treatment first (connected), then random designs
        if s < n_treatments - 1:
            arms = [s, s + 1] if k == 2 else [s, s + 1, int(rng.integers(n_treatments))]
            arms = list(dict.fromkeys(arms))
        else:
            arms = list(rng.choice(n_treatments, size=k, replace=False))
        base = rng.normal(-1.0, 0.5)
        study_re = rng.normal(0, 0.2)
        for t in arms:
            n = int(rng.integers(40, 400))
            p = 1 / (1 + np.exp(-(base + effect[t] + (study_re if t else 0.0))))
            rows.append({"study": f"s{s}", "treatment": names[t], "events": int(rng.binomial(n, p)), "n": n})
    return pd.DataFrame(rows)


def main() -> None:
    arms = synthetic()
    fmtrials.network_meta(arms.iloc[:40], measure="OR", reference="placebo", method="common", disconnected="each")
    t0 = time.perf_counter()
    res = fmtrials.network_meta(arms, measure="OR", reference="placebo", method="REML")
    dt = time.perf_counter() - t0
    print(f"{len(res.treatments)} treatments, {res.k} studies, {len(arms)} arms: REML fit in {dt:.2f} s")
    print(f"tau2 = {res.tau2:.5f}, Q = {res.q:.1f} on {res.q_df} df")


if __name__ == "__main__":
    main()

"""Benchmark: the vectorised fragility index and Bayesian risk difference against per-table alternatives.

Usage::

    python benchmarks/bench_decision.py [--n 2000] [--loop 200] [--mc 200000] [--seed 1]

Draws ``--n`` random 2x2 tables (arms of 50-300, rates uniform on (0.05, 0.6)) and times, in the same run:

* ``fmtrials.fragility_index`` on all of them, against a Python loop over ``--loop`` of them that walks one
  patient at a time with ``scipy.stats.fisher_exact`` (the usual implementation, e.g. R ``fragilityindex``);
* ``fmtrials.bayes_risk_difference`` (quadrature) on all of them, against Monte Carlo with ``--mc`` draws per
  table on ``--loop`` of them (the simulation the issue rules out), reporting the per-table time ratio and the
  largest difference in P(RD > 0).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import fisher_exact

import fmtrials


def _tables(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    n_t = rng.integers(50, 301, n)
    n_c = rng.integers(50, 301, n)
    return (rng.binomial(n_t, rng.uniform(0.05, 0.6, n)), n_t, rng.binomial(n_c, rng.uniform(0.05, 0.6, n)), n_c)


def _loop_fragility(x1, n1, x2, n2, alpha=0.05) -> float:
    p = fisher_exact([[x1, n1 - x1], [x2, n2 - x2]])[1]
    sig = p < alpha
    to_t = (x1 / n1 < x2 / n2) if sig else (x1 / n1 >= x2 / n2)
    k = 0
    while True:
        k += 1
        x1, x2 = (x1 + 1, x2) if to_t else (x1, x2 + 1)
        if x1 > n1 or x2 > n2:
            return np.nan
        q = fisher_exact([[x1, n1 - x1], [x2, n2 - x2]])[1]
        if (q >= alpha) if sig else (q < alpha):
            return k


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--loop", type=int, default=200)
    ap.add_argument("--mc", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    x1, n1, x2, n2 = _tables(rng, a.n)
    sub = slice(0, a.loop)

    t0 = time.perf_counter()
    fi = fmtrials.fragility_index(x1, n1, x2, n2)
    t_vec = (time.perf_counter() - t0) / a.n
    t0 = time.perf_counter()
    loop = [_loop_fragility(*map(int, row)) for row in zip(x1[sub], n1[sub], x2[sub], n2[sub])]
    t_loop = (time.perf_counter() - t0) / a.loop
    agree = np.array_equal(
        np.nan_to_num(fi["fragility_index"].to_numpy()[sub], nan=-1), np.nan_to_num(np.array(loop, dtype=float), nan=-1)
    )
    print(
        f"fragility_index: {t_vec * 1e3:.3f} ms/table vectorised vs {t_loop * 1e3:.3f} ms/table scipy loop "
        f"(ratio {t_loop / t_vec:.1f}x); indices agree on {a.loop} tables: {agree}"
    )

    t0 = time.perf_counter()
    br = fmtrials.bayes_risk_difference(x1, n1, x2, n2, threshold=0.0)
    t_q = (time.perf_counter() - t0) / a.n
    t0 = time.perf_counter()
    mc = []
    for row in zip(x1[sub], n1[sub], x2[sub], n2[sub]):
        u1, m1, u2, m2 = map(int, row)
        d = rng.beta(1 + u1, 1 + m1 - u1, a.mc) - rng.beta(1 + u2, 1 + m2 - u2, a.mc)
        mc.append(((d > 0).mean(), np.quantile(d, [0.025, 0.5, 0.975])))
    t_mc = (time.perf_counter() - t0) / a.loop
    diff = np.max(np.abs(br["p_greater"].to_numpy()[sub] - np.array([m[0] for m in mc])))
    print(
        f"bayes_risk_difference: {t_q * 1e3:.3f} ms/table quadrature vs {t_mc * 1e3:.3f} ms/table Monte Carlo "
        f"({a.mc} draws; ratio {t_mc / t_q:.1f}x); max |P(RD > 0) difference| {diff:.2e} "
        f"(MC standard error <= {0.5 / np.sqrt(a.mc):.1e})"
    )


if __name__ == "__main__":
    main()

"""Benchmark: exact power and sample size (fmtrials.exact_power / sample_size) beside a brute force and the normal
approximation, all measured in the same run.

Usage::

    python benchmarks/bench_power.py [--repeat 3] [--quick]

* Boschloo (two-sided) power at 400 per arm, 25.4% vs 15.5%: the all-tables engine (cache cleared before each
  run); goal <= 2 s on one core.
* The same power by brute force: every table's p-value from ``proportions_test`` (one supremum per table), the
  rejection region's binomial probabilities summed. Run at small n (all 400 per arm would take hours) and
  extrapolated to 400 per arm with the exponent fitted between the two smallest sizes; the ratio to the engine
  at the same n is measured, the one at 400 per arm is extrapolated (said so in the output).
* ``sample_size(0.254, 0.155, power=0.8, test="boschloo")``: goal <= 30 s; beside it the normal approximation
  (the closed form of R ``power.prop.test`` and statsmodels ``NormalIndPower`` on Cohen's h), whose answers are
  printed too.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

import fmtrials
from fmtrials.effects import _alltables, normal_sample_size, tests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the slow search of the tests

P_T, P_C = 0.254, 0.155


def _best(fn, repeat: int, before=None):
    best, out = math.inf, None
    for _ in range(repeat):
        if before is not None:
            before()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _clear():
    _alltables.clear_caches()
    tests._exact_test_one.cache_clear()


def engine_power(n: int) -> float:
    return float(fmtrials.exact_power(P_T, P_C, n, n, test="boschloo")["power"].iloc[0])


def brute_power(n: int) -> float:
    # one supremum per table, as proportions_test computes a single table (a vectorised call of one design
    # would take the all-tables pass)
    p = np.array(
        [tests._exact_test_one(a, n, b, n, "boschloo", "two-sided")[1] for a in range(n + 1) for b in range(n + 1)]
    )
    prob = np.outer(stats.binom.pmf(np.arange(n + 1), n, P_T), stats.binom.pmf(np.arange(n + 1), n, P_C)).ravel()
    return float(prob[p <= 0.05].sum())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smaller brute-force sizes, one sample-size run")
    a = ap.parse_args()
    brute_sizes = (15, 25) if a.quick else (25, 40)

    print(f"Boschloo two-sided power, {P_T:.1%} vs {P_C:.1%} (best of {a.repeat})")
    t400, pw400 = _best(lambda: engine_power(400), a.repeat, before=_clear)
    print(f"  engine, 400 per arm: {t400:8.3f} s  power {pw400:.10f}  (goal <= 2 s)")
    print(f"  {'n/arm':>5} {'engine s':>9} {'brute s':>9} {'ratio':>8}  {'|power diff|':>12}")
    times = []
    for n in brute_sizes:
        te, pe = _best(lambda: engine_power(n), a.repeat, before=_clear)
        tb, pb = _best(lambda: brute_power(n), 1, before=_clear)
        times.append((n, tb))
        print(f"  {n:5d} {te:9.4f} {tb:9.3f} {tb / te:7.0f}x  {abs(pe - pb):12.2e}")
    (n0, t0), (n1, t1) = times
    k = math.log(t1 / t0) / math.log(n1 / n0)
    t_brute400 = t1 * (400 / n1) ** k
    print(
        f"  brute force at 400 per arm, EXTRAPOLATED (time ~ n^{k:.2f}): {t_brute400:,.0f} s, "
        f"{t_brute400 / t400:,.0f}x the engine (measured: {t400:.3f} s)"
    )

    print("\nSample size, 80% power, two-sided alpha 0.05")
    rep = 1 if a.quick else a.repeat
    ts, res = _best(lambda: fmtrials.sample_size(P_T, P_C, power=0.8, test="boschloo"), rep, before=_clear)
    r = res.iloc[0]
    print(
        f"  Boschloo exact search: {ts:8.3f} s  smallest n {r.n_c} (power {r.power:.4f}), stable n {r.n_c_stable} "
        f"(lowest power to +10%: {r.power_stable:.4f}); goal <= 30 s"
    )
    # the slow path: the same search with the exact power (every region searched in full) at every n visited
    visited: list[int] = []

    def slow_search() -> int:
        import test_power_fast as slow

        orig = slow.exact_power

        def counting(*args, **kw):
            visited.append(int(args[3]))
            return orig(*args, **kw)

        slow.exact_power = counting  # the slow search of the tests calls it once per n visited
        try:
            return slow._slow_sample_size(P_T, P_C, "boschloo")["n_c_stable"]
        finally:
            slow.exact_power = orig

    tslow, nslow = _best(slow_search, 1, before=_clear)
    print(
        f"  slow path (exact power at each of the {len(set(visited))} n visited): {tslow:8.3f} s, stable n {nslow}; "
        f"fast / slow: {tslow / ts:.1f}x"
    )
    t_brute_search = sum(t1 * (n / n1) ** k for n in set(visited))
    print(
        f"  brute force of the same search, EXTRAPOLATED (one supremum per table at each n visited, time ~ n^{k:.2f}): "
        f"{t_brute_search:,.0f} s, {t_brute_search / ts:,.0f}x the search"
    )
    tn, nn = _best(lambda: normal_sample_size(P_T, P_C), max(a.repeat, 100))
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    h = proportion_effectsize(P_T, P_C)
    tsm, nsm = _best(lambda: NormalIndPower().solve_power(effect_size=h, power=0.8, alpha=0.05), a.repeat)
    print(f"  normal closed form (R power.prop.test): {tn * 1e6:8.1f} us  n = {nn:.2f} -> {math.ceil(nn)}")
    print(f"  statsmodels NormalIndPower (Cohen's h):  {tsm * 1e3:8.2f} ms  n = {nsm:.2f} -> {math.ceil(nsm)}")
    print(
        f"  exact search / closed form: {ts / tn:,.0f}x; exact search / statsmodels: {ts / tsm:,.0f}x "
        f"(exact power at the closed-form n {r.n_c_normal}: {r.power_at_normal:.4f})"
    )


if __name__ == "__main__":
    main()

"""The fast sample-size search (warm-started regions, cheap power bounds) against the slow path and brute force.

The slow path is the search as first written: the exact power (``exact_power``, every region searched in full)
at every n the search visits. The fast path decides most n from bounds of the rejection region and must give
the same row, number for number.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_power import _brute_region

from fmtrials.effects import _alltables, exact_power, normal_sample_size, sample_size
from fmtrials.effects.power import STABLE_WINDOW


def _slow_sample_size(p1, p2, test, power=0.8, alpha=0.05, side="two-sided", ratio=1.0):
    def arms(n):
        return max(1, math.ceil(ratio * n - 1e-9)), n

    cache = {}

    def pw(n):
        if n not in cache:
            a, b = arms(n)
            cache[n] = float(exact_power(p1, p2, a, b, test=test, alpha=alpha, alternative=side)["power"].iloc[0])
        return cache[n]

    n_norm = normal_sample_size(p1, p2, power=power, alpha=alpha, alternative=side, ratio=ratio)
    hi = max(1, math.ceil(n_norm))
    while pw(hi) < power:
        hi *= 2
    lo = hi // 2
    while lo >= 1 and pw(lo) >= power:
        hi, lo = lo, lo // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        hi, lo = (mid, lo) if pw(mid) >= power else (hi, mid)
    first = smallest = hi
    for n in range(first - 1, max(1, math.floor((1 - STABLE_WINDOW) * first)) - 1, -1):
        if pw(n) >= power:
            smallest = n
    stable = first
    while True:
        miss = [n for n in range(stable, math.ceil((1 + STABLE_WINDOW) * stable) + 1) if pw(n) < power]
        if not miss:
            break
        stable = miss[-1] + 1
    window = range(stable, math.ceil((1 + STABLE_WINDOW) * stable) + 1)
    n_c_norm = math.ceil(n_norm - 1e-9)
    return {
        "n_c": smallest,
        "power": pw(smallest),
        "n_c_stable": stable,
        "power_stable": min(pw(n) for n in window),
        "n_c_normal": n_c_norm,
        "power_at_normal": pw(n_c_norm),
        "n_t": arms(smallest)[0],
    }


def _same(fast, slow):
    for k, v in slow.items():
        assert fast[k] == v, (k, fast[k], v)


@pytest.mark.parametrize(
    ("p1", "p2", "test", "power"),
    [
        (0.7, 0.3, "boschloo", 0.795),  # a saw-tooth: n = 24 reaches the target, 25 does not
        (0.37, 0.05, "boschloo", 0.8),  # the printed Phase II composite rates
        (0.6, 0.25, "barnard", 0.8),
        (0.254, 0.155, "fisher", 0.8),  # the printed Phase III 100 mg/day rates
        (0.269, 0.155, "chi2", 0.8),
        (0.3, 0.1, "boschloo", 0.9),
    ],
)
def test_fast_search_equals_the_slow_path(p1, p2, test, power):
    _alltables.clear_caches()
    slow = _slow_sample_size(p1, p2, test, power)
    _alltables.clear_caches()
    fast = sample_size(p1, p2, test=test, power=power).iloc[0]
    _same(fast, slow)
    # and again with every cache warm from the first search (the report's case: several rows share designs)
    _same(sample_size(p1, p2, test=test, power=power).iloc[0], slow)


def test_fast_search_one_sided_and_unequal_allocation():
    _alltables.clear_caches()
    slow = _slow_sample_size(0.45, 0.2, "boschloo", 0.8, alpha=0.025, side="greater", ratio=2.0)
    _alltables.clear_caches()
    fast = sample_size(0.45, 0.2, test="boschloo", alpha=0.025, alternative="greater", ratio=2.0).iloc[0]
    _same(fast, slow)


@pytest.mark.slow
def test_fast_search_equals_the_slow_path_boschloo_phase_iii():
    _alltables.clear_caches()
    slow = _slow_sample_size(0.254, 0.155, "boschloo")
    _alltables.clear_caches()
    _same(sample_size(0.254, 0.155, test="boschloo").iloc[0], slow)


@pytest.mark.parametrize("test", ["boschloo", "barnard"])
@pytest.mark.parametrize("alt", ["two-sided", "less", "greater"])
def test_bounds_hold_and_warm_regions_equal_brute_force(test, alt):
    # a sequence of designs as a search visits them (jumps and neighbours), each warm-started from the last:
    # both efforts' bounds hold and the region equals every table's p-value from proportions_test
    _alltables.clear_caches()
    for n1, n2 in [(16, 17), (8, 9), (15, 16), (16, 16), (17, 16), (11, 19), (19, 18)]:
        inner1, outer1 = _alltables.region_bounds(n1, n2, test, alt, 0.05, 1)
        inner2, outer2 = _alltables.region_bounds(n1, n2, test, alt, 0.05, 2)
        region = _alltables.rejection_region(n1, n2, test, alt, 0.05)
        assert np.array_equal(region, _brute_region(n1, n2, test, alt, 0.05)), (n1, n2)
        for inner, outer in ((inner1, outer1), (inner2, outer2)):
            assert not (inner & ~region).any() and not (region & ~outer).any(), (n1, n2)


def test_band_fallback_gives_the_same_region(monkeypatch):
    # a band of 3 tables around the warm start is always too narrow: the search must fall back to the whole
    # ordering and still find the region a cold search finds
    _alltables.clear_caches()
    cold = {n: _alltables.rejection_region(n, n, "boschloo", "two-sided", 0.05).copy() for n in (30, 45)}
    _alltables.clear_caches()
    monkeypatch.setattr(_alltables, "_BAND", 3)
    _alltables.rejection_region(20, 20, "boschloo", "two-sided", 0.05)
    for n in (30, 45):
        assert np.array_equal(_alltables.rejection_region(n, n, "boschloo", "two-sided", 0.05), cold[n])
    _alltables.clear_caches()

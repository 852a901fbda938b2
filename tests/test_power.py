"""Exact power, size and sample size (fmtrials.effects.power) against brute force and R power.prop.test.

The brute force computes every table's p-value separately with ``proportions_test`` (the exact tests run once
per table), sums the binomial probabilities of the tables with p <= alpha, and maximises the size over a
20,001-point grid of the common rate refined by a bounded scalar search around the best grid points.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
from scipy import optimize, stats

import fmtrials
from fmtrials import DataError
from fmtrials.effects import exact_power, normal_sample_size, proportions_test, sample_size
from fmtrials.effects.tests import _exact_test_one

TESTS = ("fisher", "chi2", "yates", "score", "barnard", "boschloo")
ALTS = ("two-sided", "less", "greater")
REF = json.loads((pathlib.Path(__file__).parent / "data" / "power_reference.json").read_text())


def _brute_region(n1, n2, test, alt, alpha):
    if test in ("barnard", "boschloo"):
        # one supremum per table, as proportions_test computes a single table (a call with many tables of one
        # design goes through the all-tables pass, which tests/test_power_allp.py checks against this)
        p = np.array([[_exact_test_one(a, n1, b, n2, test, alt)[1] for b in range(n2 + 1)] for a in range(n1 + 1)])
        return np.minimum(p, 1.0) <= alpha
    x1 = np.repeat(np.arange(n1 + 1), n2 + 1)
    x2 = np.tile(np.arange(n2 + 1), n1 + 1)
    p = proportions_test(x1, n1, x2, n2, test=test, alternative=alt)["p_value"].to_numpy()
    return (p <= alpha).reshape(n1 + 1, n2 + 1)


def _prob(region, n1, n2, p1, p2):
    b1 = stats.binom.pmf(np.arange(n1 + 1), n1, p1)
    b2 = stats.binom.pmf(np.arange(n2 + 1), n2, p2)
    return float((np.outer(b1, b2) * region).sum())


def _brute_size(region, n1, n2):
    grid = np.linspace(0.0, 1.0, 20_001)
    k1, k2 = np.arange(n1 + 1), np.arange(n2 + 1)
    b1 = stats.binom.pmf(k1[None, :], n1, grid[:, None])
    b2 = stats.binom.pmf(k2[None, :], n2, grid[:, None])
    vals = np.einsum("gi,ij,gj->g", b1, region.astype(float), b2)
    best = float(vals.max())
    for g in np.argsort(vals)[::-1][:5]:
        lo, hi = grid[max(g - 1, 0)], grid[min(g + 1, grid.size - 1)]
        res = optimize.minimize_scalar(
            lambda p: -_prob(region, n1, n2, p, p), bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}
        )
        best = max(best, -float(res.fun))
    return best


RATES = [(0.62, 0.2), (0.1, 0.45), (0.3, 0.3)]


def _check(n1, n2, test, alt, alpha=0.05):
    region = _brute_region(n1, n2, test, alt, alpha)
    p_t = np.array([r[0] for r in RATES])
    p_c = np.array([r[1] for r in RATES])
    res = exact_power(p_t, p_c, n1, n2, test=test, alternative=alt, alpha=alpha)
    brute = [_prob(region, n1, n2, a, b) for a, b in RATES]
    np.testing.assert_allclose(res["power"].to_numpy(), brute, rtol=0, atol=1e-8)
    assert res["tables_rejected"].iloc[0] == region.sum()
    size = _brute_size(region, n1, n2)
    assert abs(res["size"].iloc[0] - size) <= 1e-8, (res["size"].iloc[0], size)
    if test in ("fisher", "barnard", "boschloo"):
        assert res["size"].iloc[0] <= alpha + 1e-12  # exact tests keep their level
    return res


@pytest.mark.parametrize("test", TESTS)
@pytest.mark.parametrize("alt", ALTS)
def test_power_and_size_equal_brute_force_small_designs(test, alt):
    _check(12, 15, test, alt)
    _check(9, 4, test, alt, alpha=0.1)


@pytest.mark.parametrize("test", TESTS)
def test_power_and_size_equal_brute_force_up_to_30_per_arm(test):
    # the unconditional tests' brute force (one supremum per table) is slow: 30 per arm for them is in the slow set
    _check(30, 30, test, "two-sided") if test not in ("barnard", "boschloo") else _check(21, 24, test, "two-sided")


@pytest.mark.slow
@pytest.mark.parametrize("test", ("barnard", "boschloo", "fisher"))
@pytest.mark.parametrize("alt", ("less", "two-sided"))
def test_power_and_size_equal_brute_force_30_per_arm_slow(test, alt):
    _check(30, 30, test, "two-sided")
    _check(30, 29, test, alt, alpha=0.01)
    _check(30, 23, test, "greater", alpha=0.025)


@pytest.mark.parametrize("test", ("barnard", "boschloo"))
def test_region_search_without_useful_bounds(monkeypatch, test):
    # with a single probe rate of 0.999 the lower bounds of the p-values are useless, so the search starts far
    # beyond the boundary and must gallop down and bisect: the region is still the brute-force one
    from fmtrials.effects import _alltables

    monkeypatch.setattr(_alltables, "_PROBE_RATES", np.array([0.999]))
    _alltables.clear_caches()
    try:
        for alt in ALTS:
            region = _alltables.rejection_region(14, 11, test, alt, 0.05)
            assert np.array_equal(region, _brute_region(14, 11, test, alt, 0.05))
            _alltables.clear_caches()  # every alternative from a cold start (no warm start from the last)
    finally:
        _alltables.clear_caches()


def test_power_curve_is_vectorised_over_rates():
    p_c = np.linspace(0.05, 0.5, 7)
    curve = exact_power(0.5, p_c, 20, 20, test="boschloo")
    single = [exact_power(0.5, c, 20, 20, test="boschloo")["power"].iloc[0] for c in p_c]
    np.testing.assert_allclose(curve["power"], single, rtol=0, atol=1e-15)
    assert list(curve.columns[:2]) == ["p_t", "p_c"] and len(curve) == 7


def test_top_level_exports():
    assert fmtrials.exact_power is exact_power and fmtrials.sample_size is sample_size


@pytest.mark.parametrize("case", REF["cases"], ids=lambda c: f"{c['p_t']}-{c['p_c']}-{c['alternative']}")
def test_normal_sample_size_equals_r_power_prop_test(case):
    alt = "two-sided" if case["alternative"] == "two.sided" else ("greater" if case["p_t"] > case["p_c"] else "less")
    n = normal_sample_size(case["p_t"], case["p_c"], power=case["power"], alpha=case["alpha"], alternative=alt)
    assert n == pytest.approx(case["n"], rel=1e-10)


def _brute_power(n1, n2, test, p1, p2):
    return _prob(_brute_region(n1, n2, test, "two-sided", 0.05), n1, n2, p1, p2)


def _powers(test, p1, p2, ns):
    return {n: exact_power(p1, p2, n, n, test=test)["power"].iloc[0] for n in ns}


def test_sample_size_smallest_and_stable_n():
    # Boschloo 0.7 vs 0.2: every n_c from 5 to the stable answer + 10% scanned (exact_power is checked by brute
    # force above; the two designs around the answer are checked by brute force here)
    res = sample_size(0.7, 0.2, test="boschloo").iloc[0]
    powers = _powers("boschloo", 0.7, 0.2, range(5, int(res.n_c_stable * 1.1) + 2))
    assert res.n_c == min(n for n, v in powers.items() if v >= 0.8)
    assert res.power == pytest.approx(_brute_power(res.n_c, res.n_c, "boschloo", 0.7, 0.2), abs=1e-8)
    assert _brute_power(res.n_c - 1, res.n_c - 1, "boschloo", 0.7, 0.2) < 0.8
    assert res.n_c_normal == int(np.ceil(normal_sample_size(0.7, 0.2)))
    assert res.power_at_normal == pytest.approx(powers[res.n_c_normal], abs=1e-12)


def test_sample_size_reports_a_saw_tooth():
    # Boschloo 0.7 vs 0.3 at 79.5% power: n = 24 reaches it (0.7968), n = 25 does not (0.7930), so the smallest
    # n reaching the target is not the one to plan with
    assert _brute_power(24, 24, "boschloo", 0.7, 0.3) >= 0.795 > _brute_power(25, 25, "boschloo", 0.7, 0.3)
    res = sample_size(0.7, 0.3, power=0.795, test="boschloo").iloc[0]
    powers = _powers("boschloo", 0.7, 0.3, range(15, 35))
    assert res.n_c == 24 == min(n for n, v in powers.items() if v >= 0.795)
    stable = min(n for n in range(15, 30) if all(powers[m] >= 0.795 for m in range(n, int(np.ceil(1.1 * n)) + 1)))
    assert res.n_c_stable == stable > 25
    window = range(stable, int(np.ceil(1.1 * stable)) + 1)
    assert res.power_stable == pytest.approx(min(powers[m] for m in window), abs=1e-12)


def test_unequal_allocation():
    res = sample_size(0.6, 0.25, test="fisher", ratio=2.0).iloc[0]
    assert res.n_t == int(np.ceil(2 * res.n_c))
    assert (
        _prob(
            _brute_region(int(res.n_t), int(res.n_c), "fisher", "two-sided", 0.05),
            int(res.n_t),
            int(res.n_c),
            0.6,
            0.25,
        )
        >= 0.8
    )


@pytest.mark.parametrize("ratio", [0.5, 2.0, 3.0])
@pytest.mark.parametrize(("p_t", "p_c"), [(0.254, 0.155), (0.6, 0.25)])
def test_normal_sample_size_with_unequal_arms_gives_the_target_power(p_t, p_c, ratio):
    # the asymptotic power of the two-sample z test written with each arm's own n (Fleiss, Levin & Paik 2003
    # §4.4): Phi((|d| - z_a s0) / s1), s0 = sqrt(pbar qbar (1/n_t + 1/n_c)) with pbar the pooled rate of the
    # design, s1 = sqrt(p_t q_t / n_t + p_c q_c / n_c); at the returned n_c and n_t = ratio n_c it is the target
    n_c = normal_sample_size(p_t, p_c, ratio=ratio)
    n_t = ratio * n_c
    pbar = (n_t * p_t + n_c * p_c) / (n_t + n_c)
    s0 = np.sqrt(pbar * (1 - pbar) * (1 / n_t + 1 / n_c))
    s1 = np.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    power = stats.norm.cdf((abs(p_t - p_c) - stats.norm.ppf(0.975) * s0) / s1)
    assert power == pytest.approx(0.8, abs=1e-12)


@pytest.mark.parametrize(
    ("call", "column"),
    [
        (lambda: exact_power(1.2, 0.2, 10, 10), "p_t"),
        (lambda: exact_power(0.2, [0.1, -0.1], 10, 10), "p_c"),
        (lambda: exact_power(0.2, float("nan"), 10, 10), "p_c"),
        (lambda: exact_power(0.2, "high", 10, 10), "p_c"),
        (lambda: exact_power([0.2, 0.3], [0.1, 0.2, 0.3], 10, 10), "p_c"),
        (lambda: exact_power(0.3, 0.2, 0, 10), "n_t"),
        (lambda: exact_power(0.3, 0.2, 10, 0), "n_c"),
        (lambda: exact_power(0.3, 0.2, 5000, 5000), "n_t"),
        (lambda: exact_power(0.3, 0.2, 10, 10, test="wald"), "test"),
        (lambda: exact_power(0.3, 0.2, 10, 10, alpha=1.5), "alpha"),
        (lambda: sample_size(0.3, 0.2, power=1.0), "power"),
        (lambda: sample_size(0.3, 0.2, power=0.0), "power"),
        (lambda: sample_size(0.3, 0.3), "p_t"),
        (lambda: sample_size(-0.3, 0.2), "p_t"),
        (lambda: sample_size(0.30, 0.29), "p_t"),  # needs ~33,000 per arm: refused before any work
        (lambda: sample_size(0.3, 0.2, ratio=0), "ratio"),
    ],
)
def test_bad_input_is_a_data_error_naming_the_argument(call, column):
    with pytest.raises(DataError) as err:
        call()
    assert err.value.problems[0].column == column

"""fmtrials.coverage: exact coverage by full enumeration, checked against an independent brute force (a plain
loop over all outcomes with scipy.stats.binom.pmf and each outcome's interval computed on its own), the
direct (dense) summation path, closed forms, and the input rules."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import fmtrials
from fmtrials import DataError, risk_difference
from fmtrials.effects import interval_coverage as cov_mod

CIS = ["wald", "wald_cc", "agresti_caffo", "newcombe", "mn", "mee"]


def brute(ci, n1, n2, pt, pc, alpha=0.05):
    total = 0.0
    for a in range(n1 + 1):
        for b in range(n2 + 1):
            r = risk_difference(a, n1, b, n2, ci=ci, alpha=alpha).iloc[0]
            if r.ci_low <= pt - pc <= r.ci_high:
                total += stats.binom.pmf(a, n1, pt) * stats.binom.pmf(b, n2, pc)
    return total


@pytest.mark.parametrize("ci", CIS)
def test_matches_brute_force(ci):
    pts = [(0.3, 0.2), (0.5, 0.5), (0.1, 0.85), (0.02, 0.0), (1.0, 0.6)]
    got = fmtrials.coverage(ci, 6, 9, [p for p, _ in pts], [q for _, q in pts])["coverage"].to_numpy()
    want = [brute(ci, 6, 9, p, q) for p, q in pts]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-13)


def test_exact_interval_coverage_is_at_least_nominal_on_a_grid():
    # Chan-Zhang is exact: its coverage never falls below 1 - alpha (here 8 vs 8 on a 9 x 9 grid)
    mid = (np.arange(9) + 0.5) / 9
    pt, pc = np.meshgrid(mid, mid)
    res = fmtrials.coverage("exact", 8, 8, pt.ravel(), pc.ravel())
    assert (res["coverage"] >= 0.95 - 1e-12).all()
    assert res["coverage"].iloc[7] == pytest.approx(brute("exact", 8, 8, pt.ravel()[7], pc.ravel()[7]), abs=1e-13)


def test_wald_at_one_half_closed_form():
    # n = 1 per arm: Wald intervals are (d, d) for every outcome (zero variance), so at p_t = p_c = 1/2 only
    # the two tables with d = 0 cover 0: coverage 1/2
    assert fmtrials.coverage("wald", 1, 1, 0.5, 0.5)["coverage"].iloc[0] == pytest.approx(0.5, abs=1e-15)


@pytest.mark.parametrize("ci", ["wald", "newcombe", "mn"])
def test_run_path_equals_dense_path(ci, monkeypatch):
    mid = (np.arange(7) + 0.5) / 7
    pt, pc = np.meshgrid(mid, mid)
    fast = fmtrials.coverage(ci, 15, 11, pt.ravel(), pc.ravel())["coverage"].to_numpy()
    lo, hi = cov_mod._all_intervals(ci, 15, 11, 0.05)
    d = pt.ravel() - pc.ravel()
    dense = cov_mod._dense_coverage(lo, hi, 15, 11, pt.ravel(), pc.ravel(), d)
    np.testing.assert_allclose(fast, dense, atol=1e-13)


@settings(max_examples=40, deadline=None)
@given(n1=st.integers(1, 30), n2=st.integers(1, 30), pt=st.floats(0, 1), pc=st.floats(0, 1), ci=st.sampled_from(CIS))
def test_property_coverage_is_a_probability_and_symmetric(n1, n2, pt, pc, ci):
    a = fmtrials.coverage(ci, n1, n2, pt, pc)["coverage"].iloc[0]
    assert 0.0 <= a <= 1.0
    # swapping arms mirrors every interval exactly for these methods, so coverage is unchanged
    b = fmtrials.coverage(ci, n2, n1, pc, pt)["coverage"].iloc[0]
    assert a == pytest.approx(b, abs=1e-12)


def test_summary_on_a_grid():
    s = cov_mod.coverage_summary("wald", 10, 10, points=4)
    mid = (np.arange(4) + 0.5) / 4
    vals = [brute("wald", 10, 10, p, q) for p in mid for q in mid]
    assert s["mean"] == pytest.approx(np.mean(vals), abs=1e-13)
    assert s["minimum"] == pytest.approx(min(vals), abs=1e-13)
    assert s["below_nominal"] == pytest.approx(np.mean(np.array(vals) < 0.95))


def test_bad_input_names_the_argument():
    with pytest.raises(DataError, match="p_c"):
        fmtrials.coverage("mn", 10, 10, [0.2, 0.3], [0.1, 1.5])
    with pytest.raises(DataError, match="n_t"):
        fmtrials.coverage("mn", 0, 10, 0.2, 0.1)
    with pytest.raises(DataError, match="ci"):
        fmtrials.coverage("bogus", 10, 10, 0.2, 0.1)


def test_mn_at_500_per_arm_on_a_50_by_50_grid_takes_seconds():
    t0 = time.perf_counter()
    s = cov_mod.coverage_summary("mn", 500, 500, points=50)
    assert time.perf_counter() - t0 < 30  # about 1 s on the 2-core development machine
    assert 0.94 < s["minimum"] < 0.95 < s["mean"] + 0.001

"""Fragility index against a brute-force walk with scipy's fisher_exact (an independent implementation)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact

from fmtrials import DataError, fragility_index
from fmtrials.decision.fragility import fisher_p


def below(p, alpha):
    # the documented tie rule: within a relative 1e-9 of alpha counts as alpha
    return p < alpha * (1 - 1e-9)


def brute(x1, n1, x2, n2, alpha=0.05):
    """One table at a time, scipy's Fisher test, the documented arm rule."""
    p = fisher_exact([[x1, n1 - x1], [x2, n2 - x2]])[1]
    sig = below(p, alpha)
    r1, r2 = x1 / n1, x2 / n2
    to_t = ((r1 < r2) or (r1 == r2 and x1 < x2)) if sig else (r1 >= r2)
    a1, a2, k = x1, x2, 0
    while True:
        k += 1
        a1, a2 = (a1 + 1, a2) if to_t else (a1, a2 + 1)
        if a1 > n1 or a2 > n2:
            return p, np.nan
        q = fisher_exact([[a1, n1 - a1], [a2, n2 - a2]])[1]
        if (not below(q, alpha)) if sig else below(q, alpha):
            return p, k


def test_published_fragilityindex_readme():
    # R fragilityindex README: 15/40 vs 6/40 p = 0.04060921; 15/40 vs 7/40 p = 0.07836101; FI = 1
    r = fragility_index(15, 40, 6, 40).iloc[0]
    assert r["p_value"] == pytest.approx(0.04060921, abs=5e-9)
    assert r["p_after"] == pytest.approx(0.07836101, abs=5e-9)
    assert r["fragility_index"] == 1 and r["direction"] == "fragility" and r["arm_modified"] == "control"
    assert r["fragility_quotient"] == pytest.approx(1 / 80)


def test_fisher_matches_scipy_and_published():
    # FragilityTools README table (40, 20; 100, 110): p = 0.0124; scipy docs (8, 2; 1, 5): 0.034965034965034975
    assert fisher_p(40, 60, 100, 210)[0] == pytest.approx(0.0124, abs=5e-5)
    assert fisher_p(8, 10, 1, 6)[0] == pytest.approx(0.034965034965034975, rel=1e-12)


CASES = [
    (15, 40, 6, 40),
    (103, 516, 56, 509),
    (0, 10, 0, 10),
    (5, 5, 0, 5),
    (10, 10, 0, 20),
    (40, 60, 100, 210),
    (0, 21, 4, 85),
    (26, 79, 5, 21),
    (1, 2, 0, 2),
    (189, 516, 106, 509),
]


def test_against_brute_force_including_zero_cells():
    x1, n1, x2, n2 = map(np.array, zip(*CASES))
    got = fragility_index(x1, n1, x2, n2)
    for row, case in zip(got.itertuples(), CASES):
        p, k = brute(*case)
        assert row.p_value == pytest.approx(p, rel=1e-9, abs=1e-14)
        if np.isnan(k):
            assert np.isnan(row.fragility_index)
        else:
            assert row.fragility_index == k, case


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.data())
def test_property_matches_brute_force(n1, n2, data):
    x1 = data.draw(st.integers(0, n1))
    x2 = data.draw(st.integers(0, n2))
    alpha = data.draw(st.sampled_from([0.05, 0.01, 0.2]))
    r = fragility_index(x1, n1, x2, n2, alpha=alpha).iloc[0]
    p, k = brute(x1, n1, x2, n2, alpha)
    assert r["p_value"] == pytest.approx(p, rel=1e-9, abs=1e-14)
    assert (np.isnan(k) and np.isnan(r["fragility_index"])) or r["fragility_index"] == k
    # the index is at least 1 when defined, and significance flips exactly there
    if not np.isnan(k):
        assert r["fragility_index"] >= 1
        assert (not below(r["p_after"], alpha)) == bool(r["significant"])


def test_tie_at_alpha_is_not_significant():
    # 1/1 vs 0/19: Fisher p = 1/20 = 0.05 exactly, not significant; 0/1 vs 0/19 reaches only that table
    # (the one-patient arm is then full), so its reverse index is undefined
    r = fragility_index([1, 0], [1, 1], [0, 0], [19, 19])
    assert r["p_value"][0] == pytest.approx(0.05, rel=1e-12) and not r["significant"][0]
    assert r["direction"][1] == "reverse" and np.isnan(r["fragility_index"][1])


def test_bad_input_is_a_data_error():
    with pytest.raises(DataError, match="events_t"):
        fragility_index(11, 10, 1, 10)
    with pytest.raises(DataError, match="alpha"):
        fragility_index(1, 10, 1, 10, alpha=1.5)

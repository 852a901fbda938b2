"""Every table's p-value of a design in one pass (fmtrials.effects._allp) against proportions_test table by table.

The reference is ``proportions_test`` called on one table at a time (scipy ``fisher_exact`` for Fisher; one
supremum per table for Barnard and Boschloo; caches cleared so nothing is shared with the all-tables pass).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from fmtrials.effects import _allp, proportions_test, tests

TESTS = ("fisher", "chi2", "yates", "score", "barnard", "boschloo")
ALTS = ("two-sided", "less", "greater")


def _one_by_one(n1, n2, test, alt):
    tests._exact_test_one.cache_clear()
    stat = np.empty((n1 + 1, n2 + 1))
    p = np.empty((n1 + 1, n2 + 1))
    for a in range(n1 + 1):
        for b in range(n2 + 1):
            r = proportions_test(a, n1, b, n2, test=test, alternative=alt).iloc[0]
            stat[a, b], p[a, b] = r["statistic"], r["p_value"]
    return stat, p


@pytest.mark.parametrize("test", TESTS)
@pytest.mark.parametrize("alt", ALTS)
@pytest.mark.parametrize(("n1", "n2"), [(7, 5), (12, 15)])
def test_every_table_equals_proportions_test(test, alt, n1, n2):
    stat, p = _allp.table_p_values(n1, n2, test, alt)
    ref_stat, ref_p = _one_by_one(n1, n2, test, alt)
    if test in ("barnard", "boschloo"):  # the same supremum on the same tail: bit-identical
        assert np.array_equal(p, ref_p)
    else:
        np.testing.assert_allclose(p, ref_p, rtol=0, atol=1e-12)
    np.testing.assert_allclose(stat, ref_stat, rtol=1e-12, atol=0, equal_nan=True)


def test_fisher_two_sided_against_scipy_at_30_per_arm():
    _, p = _allp.table_p_values(30, 30, "fisher", "two-sided")
    for a in range(31):
        for b in range(31):
            ref = stats.fisher_exact([[a, 30 - a], [b, 30 - b]]).pvalue
            assert abs(p[a, b] - ref) <= 1e-12, (a, b, p[a, b], ref)


def test_subset_of_tables_equals_the_whole_design():
    x1 = np.array([3, 9, 9, 0, 14])
    x2 = np.array([6, 2, 2, 0, 11])
    for test in ("barnard", "boschloo", "fisher"):
        _, whole = _allp.table_p_values(14, 11, test, "two-sided")
        _, some = _allp.table_p_values(14, 11, test, "two-sided", x1, x2)
        assert np.array_equal(some, whole[x1, x2])


@pytest.mark.parametrize("test", ("barnard", "boschloo"))
def test_proportions_test_vectorised_equals_one_table_at_a_time(test):
    # a call with many tables of a few designs (all-tables pass for the designs with enough tables, one supremum
    # per table for the others): the same statistic and p-value as each table alone
    rng = np.random.default_rng(7)
    n1 = np.array([20] * 30 + [60] * 3 + [9])
    n2 = np.array([18] * 30 + [55] * 3 + [9])
    x1 = rng.integers(0, n1 + 1)
    x2 = rng.integers(0, n2 + 1)
    for alt in ALTS:
        got = proportions_test(x1, n1, x2, n2, test=test, alternative=alt)
        tests._exact_test_one.cache_clear()
        for i in range(len(x1)):
            one = proportions_test(x1[i], n1[i], x2[i], n2[i], test=test, alternative=alt).iloc[0]
            assert got["p_value"].iloc[i] == one["p_value"] and got["statistic"].iloc[i] == one["statistic"], i
    assert _allp.use_all_tables(test, 30, 20, 18) and not _allp.use_all_tables(test, 1, 20, 18)
    assert not _allp.use_all_tables("barnard", 20, 200, 200) and _allp.use_all_tables("boschloo", 20, 200, 200)

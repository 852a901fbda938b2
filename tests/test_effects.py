"""fmtrials.effects: 2x2 tests, input validation, zero cells, NNT labels and interval properties.

Published/R oracle values live in tests/data/intervals_reference.json (test_effects_reference.py); here are
the behaviours a wrong implementation would break. ``proportions_test`` is reached through the module so pytest does
not collect it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import fmtrials
from fmtrials import effects
from fmtrials._vocab import RD_INTERVALS
from fmtrials.effects import tests as effect_tests
from fmtrials.effects.number_needed import altman_columns

RD_ALL = tuple(m for m in RD_INTERVALS if m != "exact")  # "exact" has its own file (test_effects_exact.py)


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---------------------------------------------------------------------------------------------- 2x2 tests
def test_chi2_and_yates_vectorised_match_scipy_contingency():
    rng = np.random.default_rng(3)
    n1 = rng.integers(5, 200, 60)
    n2 = rng.integers(5, 200, 60)
    x1 = rng.integers(1, n1)
    x2 = rng.integers(1, n2)
    for method, correction in (("chi2", False), ("yates", True)):
        out = effects.proportions_test(x1, n1, x2, n2, test=method)
        for i in range(0, 60, 7):
            ref = stats.chi2_contingency([[x1[i], n1[i] - x1[i]], [x2[i], n2[i] - x2[i]]], correction=correction)
            assert out.statistic.iloc[i] == pytest.approx(ref.statistic, rel=1e-12)
            assert out.p_value.iloc[i] == pytest.approx(ref.pvalue, rel=1e-10)


def test_one_sided_chi2_is_half_of_two_sided_in_the_observed_direction():
    two = effects.proportions_test(30, 100, 18, 100, test="chi2").p_value.iloc[0]
    greater = effects.proportions_test(30, 100, 18, 100, test="chi2", alternative="greater").p_value.iloc[0]
    less = effects.proportions_test(30, 100, 18, 100, test="chi2", alternative="less").p_value.iloc[0]
    assert greater == pytest.approx(two / 2, rel=1e-12)
    assert less == pytest.approx(1 - two / 2, rel=1e-12)


def test_fisher_orientation_and_alternatives_match_scipy():
    for alt in ("two-sided", "less", "greater"):
        got = effects.proportions_test(2, 12, 9, 13, test="fisher", alternative=alt).p_value.iloc[0]
        assert got == pytest.approx(stats.fisher_exact([[2, 10], [9, 4]], alternative=alt).pvalue, rel=1e-12)


def test_barnard_takes_samples_as_columns():
    # scipy docs: barnard_exact([[7, 12], [8, 3]]) compares column 1 (7/15) with column 2 (12/15)
    a = effects.proportions_test(7, 15, 12, 15, test="barnard", alternative="less").iloc[0]
    b = effects.proportions_test(12, 15, 7, 15, test="barnard", alternative="greater").iloc[0]
    assert a.p_value == pytest.approx(b.p_value, rel=1e-9)
    assert a.statistic == pytest.approx(-b.statistic, rel=1e-9) and a.statistic < 0


def test_score_test_is_pooled_z_times_sqrt_n_minus_1_over_n():
    x1, n1, x2, n2 = 30, 80, 18, 90
    p = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    out = effects.proportions_test(x1, n1, x2, n2, test="score").iloc[0]
    assert out.statistic == pytest.approx(z * np.sqrt((n1 + n2 - 1) / (n1 + n2)), rel=1e-10)
    assert out.p_value == pytest.approx(2 * stats.norm.sf(out.statistic), rel=1e-10)


def test_score_test_with_margin_matches_interval_limit():
    """Testing delta0 = the MN lower limit gives exactly a one-sided p of alpha/2 (test/interval duality)."""
    lo = effects.risk_difference(56, 70, 48, 80, ci="mn").ci_low.iloc[0]
    p = effects.proportions_test(56, 70, 48, 80, test="score", alternative="greater", delta0=lo).p_value.iloc[0]
    assert p == pytest.approx(0.025, abs=1e-9)


@pytest.mark.parametrize("method", ["chi2", "yates", "fisher", "score", "barnard", "boschloo"])
def test_no_variation_tables_give_p_one_without_warnings(method):
    out = effects.proportions_test([0, 5], [10, 5], [0, 7], [20, 7], test=method)
    assert (out.p_value == 1.0).all()


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_no_variation_tables_follow_one_rule_in_every_test(alternative):
    """Nobody or everybody with the event (issue 22 item 12): p = 1 in every test and alternative; the z and
    chi-square statistics are 0 (Barnard's was NaN while chi2 and score gave 0), Boschloo's one-sided Fisher
    p-value is 1, Fisher's sample odds ratio 0/0 stays undefined."""
    tables = ([0, 5, 0], [10, 5, 3], [0, 7, 0], [20, 7, 4])
    expected = {"chi2": 0.0, "yates": 0.0, "score": 0.0, "barnard": 0.0, "boschloo": 1.0}
    for method, stat in expected.items():
        out = effects.proportions_test(*tables, test=method, alternative=alternative)
        assert (out.p_value == 1.0).all(), (method, out.p_value.tolist())
        assert (out.statistic == stat).all(), (method, out.statistic.tolist())
    fisher = effects.proportions_test(*tables, test="fisher", alternative=alternative)
    assert fisher.statistic.isna().all() and (fisher.p_value == 1.0).all()


def test_exact_tests_are_computed_once_per_distinct_table():
    effect_tests._exact_test_one.cache_clear()
    effects.proportions_test([3, 3, 3, 4], [10, 10, 10, 10], [1, 1, 1, 1], [10, 10, 10, 10], test="fisher")
    assert effect_tests._exact_test_one.cache_info().misses == 2


def test_proportions_test_is_not_collected_by_pytest():
    assert effects.proportions_test.__test__ is False


# ---------------------------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "args, where",
    [
        ((-1, 10, 3, 10), "events_t"),
        ((1.5, 10, 3, 10), "events_t"),
        ((11, 10, 3, 10), "events_t"),
        ((1, 10, 3, 0), "n_c"),
        (([1, 2, np.nan], 10, 3, 10), "events_t"),
    ],
)
def test_bad_counts_raise_data_error_naming_argument(args, where):
    for fn in (effects.risk_difference, effects.risk_ratio, effects.odds_ratio, effects.nnt):
        with pytest.raises(fmtrials.DataError) as err:
            fn(*args)
        assert where in str(err.value)
    with pytest.raises(fmtrials.DataError):
        effects.proportions_test(*args)


def test_non_broadcasting_shapes_and_bad_options():
    with pytest.raises(fmtrials.DataError, match="broadcast"):
        effects.risk_difference([1, 2], [10, 10, 10], 3, 10)
    with pytest.raises(fmtrials.DataError, match="position 1"):
        effects.risk_difference([1, 12], [10, 10], 3, 10)
    with pytest.raises(fmtrials.DataError, match="ci"):
        effects.risk_difference(1, 10, 3, 10, ci="score")
    with pytest.raises(fmtrials.DataError, match="alpha"):
        effects.risk_ratio(1, 10, 3, 10, alpha=1.5)
    with pytest.raises(fmtrials.DataError, match="test"):
        effects.proportions_test(1, 10, 3, 10, test="g")
    with pytest.raises(fmtrials.DataError, match="n"):
        effects.proportion_ci(3, 0)


def test_broadcasting_one_control_against_many_arms():
    out = effects.risk_difference([10, 20, 30], 100, 15, 100, ci="mn")
    assert list(out.events_c) == [15, 15, 15] and len(out) == 3
    np.testing.assert_allclose(out.estimate, [-0.05, 0.05, 0.15])


# ---------------------------------------------------------------------------------------------- zero cells
def test_zero_cell_correction_is_recorded_only_where_applied():
    out = effects.risk_ratio([7, 0, 12], [34, 85, 12], [1, 3, 3], [34, 21, 30], ci="katz")
    assert list(out.correction) == [0.0, 0.5, 0.5]
    score = effects.risk_ratio([7, 0], [34, 85], [1, 3], [34, 21], ci="koopman")
    assert list(score.correction) == [0.0, 0.0] and score.ci_low.iloc[1] == 0.0 and score.estimate.iloc[1] == 0


def test_score_ratio_intervals_at_zero_cells():
    rr = effects.risk_ratio([5, 0, 4], [40, 10, 4], [0, 0, 6], [40, 20, 6], ci="mn")
    assert rr.ci_high.iloc[0] == np.inf and 0 < rr.ci_low.iloc[0] < 11
    assert (rr.ci_low.iloc[1], rr.ci_high.iloc[1]) == (0.0, np.inf) and np.isnan(rr.estimate.iloc[1])
    assert rr.ci_low.iloc[2] < 1 < rr.ci_high.iloc[2]
    orr = effects.odds_ratio([5, 0], [40, 10], [0, 0], [40, 20], ci="mn")
    assert orr.ci_high.iloc[0] == np.inf and orr.ci_low.iloc[0] > 0
    assert (orr.ci_low.iloc[1], orr.ci_high.iloc[1]) == (0.0, np.inf)


def test_all_responders_rr_score_closed_form():
    # both arms 100%: score limits solve n1(1 - phi)/(k phi) = z^2 and n2(phi - 1)/k = z^2
    z2 = stats.norm.isf(0.025) ** 2
    rr = effects.risk_ratio(10, 10, 20, 20, ci="koopman").iloc[0]
    assert rr.ci_low == pytest.approx(1 / (1 + z2 / 10), rel=1e-9)
    assert rr.ci_high == pytest.approx(1 + z2 / 20, rel=1e-9)


# ---------------------------------------------------------------------------------------------- NNT
def test_nnt_altman_interval_through_infinity():
    # Newcombe's rapid response to Altman (BMJ): ARR -5% to +25% -> "NNTB 4 to infinity to NNTH 20"
    cols = altman_columns(np.array([0.10]), np.array([-0.05]), np.array([0.25]), "beneficial", 0)
    assert cols["nnt_near"][0] == pytest.approx(4) and cols["nnt_far"][0] == pytest.approx(20)
    assert (cols["nnt_near_type"][0], cols["nnt_far_type"][0]) == ("NNTB", "NNTH")
    assert cols["label"][0] == "NNTB 10 (NNTB 4 to ∞ to NNTH 20)"
    assert cols["crosses_zero"][0]


def test_nnt_cmaj_worked_example():
    # CMAJ 2002;166:1676: ARR 16.6% (0.9% to 32.2%) gives NNT 6 (3.1 to 111.1)
    cols = altman_columns(np.array([0.166]), np.array([0.009]), np.array([0.322]), "beneficial", 1)
    assert cols["nnt"][0] == pytest.approx(6.02, abs=0.005)
    assert (round(cols["nnt_near"][0], 1), round(cols["nnt_far"][0], 1)) == (3.1, 111.1)
    assert cols["label"][0] == "NNTB 6.0 (3.1 to 111.1)"


def test_nnt_harmful_events_and_reverse_order():
    out = effects.nnt([30, 10], [100, 100], [10, 12], [100, 100], event="harmful", ci="wald").iloc[0]
    assert out.nnt_type == "NNTH" and out.nnt == pytest.approx(5)
    assert out.nnt_near_type == out.nnt_far_type == "NNTH" and out.nnt_near < 5 < out.nnt_far
    crossing = effects.nnt(10, 100, 12, 100, event="harmful").iloc[0]
    assert crossing.nnt_type == "NNTB" and crossing.crosses_zero
    assert crossing.label.startswith("NNTB 50.0 (NNTB") and "to ∞ to NNTH" in crossing.label
    assert (crossing.nnt_near, crossing.nnt_far) == pytest.approx((1 / -crossing.rd_low, 1 / crossing.rd_high))


def test_nnt_zero_difference():
    out = effects.nnt(10, 100, 10, 100).iloc[0]
    assert out.nnt == np.inf and out.label.startswith("NNT ∞")


# ---------------------------------------------------------------------------------------------- proportions
def test_proportion_methods_against_scipy_binomtest():
    for x, n in [(0, 20), (1, 29), (81, 263), (20, 20)]:
        bt = stats.binomtest(x, n)
        for method, scipy_method in (("wilson", "wilson"), ("clopper_pearson", "exact")):
            ci = bt.proportion_ci(method=scipy_method)
            row = effects.proportion_ci(x, n, ci=method).iloc[0]
            assert (row.ci_low, row.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-10)
    j = effects.proportion_ci([0, 15], [20, 148], ci="jeffreys")
    assert j.ci_low.iloc[0] == 0.0
    assert j.ci_high.iloc[1] == pytest.approx(stats.beta.ppf(0.975, 15.5, 133.5), rel=1e-12)


# ---------------------------------------------------------------------------------------------- properties
tables = st.integers(1, 300).flatmap(
    lambda n1: st.integers(1, 300).flatmap(
        lambda n2: st.tuples(st.integers(0, n1), st.just(n1), st.integers(0, n2), st.just(n2))
    )
)


@settings(max_examples=150, deadline=None)
@given(tables)
def test_rd_intervals_hold_estimate_stay_in_range_and_mirror(t):
    x1, n1, x2, n2 = t
    for method in RD_ALL:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            row = effects.risk_difference(x1, n1, x2, n2, ci=method).iloc[0]
            swapped = effects.risk_difference(x2, n2, x1, n1, ci=method).iloc[0]
        assert -1.0 <= row.ci_low <= row.ci_high <= 1.0
        if method != "agresti_caffo":  # AC is centred on the shrunken difference
            assert row.ci_low - 1e-12 <= row.estimate <= row.ci_high + 1e-12, method
        assert swapped.ci_low == pytest.approx(-row.ci_high, abs=1e-10)
        assert swapped.ci_high == pytest.approx(-row.ci_low, abs=1e-10)


@settings(max_examples=80, deadline=None)
@given(tables)
def test_ratio_intervals_hold_estimate_and_invert_on_swap(t):
    x1, n1, x2, n2 = t
    double_zero = (x1 == x2 == 0) or (x1 == n1 and x2 == n2)
    for fn, methods in ((effects.risk_ratio, ("katz", "koopman", "mn")), (effects.odds_ratio, ("woolf", "mn"))):
        for method in methods:
            row = fn(x1, n1, x2, n2, ci=method).iloc[0]
            sw = fn(x2, n2, x1, n1, ci=method).iloc[0]
            if double_zero and method in ("katz", "woolf"):  # not estimable, as pooling drops it
                assert np.isnan([row.estimate, row.ci_low, row.ci_high, sw.ci_low]).all()
                assert row.note == "double zero: not estimable" and row.correction == 0
                continue
            assert 0 <= row.ci_low <= row.ci_high
            if np.isfinite(row.estimate) and row.estimate > 0:
                assert row.ci_low * (1 - 1e-9) <= row.estimate <= row.ci_high * (1 + 1e-9)
            with np.errstate(divide="ignore"):
                assert sw.ci_high == pytest.approx(1 / row.ci_low, rel=1e-8)


def test_mn_is_at_least_as_wide_as_mee():
    # MN (with N/(N-1)) is always at least as wide as Mee
    rng = np.random.default_rng(11)
    n1 = rng.integers(1, 100, 500)
    n2 = rng.integers(1, 100, 500)
    x1 = rng.integers(0, n1 + 1)
    x2 = rng.integers(0, n2 + 1)
    mn = effects.risk_difference(x1, n1, x2, n2, ci="mn")
    mee = effects.risk_difference(x1, n1, x2, n2, ci="mee")
    assert (mn.ci_low <= mee.ci_low + 1e-12).all() and (mn.ci_high >= mee.ci_high - 1e-12).all()


@pytest.mark.parametrize("method", ["mn", "newcombe"])
def test_coverage_near_nominal(method):
    """Seeded simulation: 4,000 tables per scenario, coverage within simulation error of >= 0.93."""
    rng = np.random.default_rng(2024)
    for p1, p2, n1, n2 in [(0.3, 0.2, 60, 60), (0.1, 0.05, 100, 50), (0.5, 0.5, 25, 40), (0.9, 0.7, 30, 30)]:
        x1 = rng.binomial(n1, p1, 4000)
        x2 = rng.binomial(n2, p2, 4000)
        out = effects.risk_difference(x1, n1, x2, n2, ci=method)
        cover = ((out.ci_low <= p1 - p2) & (p1 - p2 <= out.ci_high)).mean()
        assert 0.93 <= cover <= 0.975, (method, p1, p2, n1, n2, cover)
    # and Wald is known to undercover on small, skewed tables (guards the simulation itself)
    x1 = rng.binomial(15, 0.1, 4000)
    x2 = rng.binomial(15, 0.05, 4000)
    wald = effects.risk_difference(x1, 15, x2, 15, ci="wald")
    assert ((wald.ci_low <= 0.05) & (0.05 <= wald.ci_high)).mean() < 0.9


def test_result_columns_are_documented():
    rd = effects.risk_difference(5, 10, 3, 10)
    assert list(rd.columns) == [
        "events_t",
        "n_t",
        "events_c",
        "n_c",
        "p_t",
        "p_c",
        "estimate",
        "ci_low",
        "ci_high",
        "method",
        "alpha",
    ]
    rr = effects.risk_ratio(5, 10, 3, 10)
    assert (
        list(rr.columns)
        == [
            "events_t",
            "n_t",
            "events_c",
            "n_c",
            "p_t",
            "p_c",
            "estimate",
            "ci_low",
            "ci_high",
            "method",
            "correction",
            "note",
            "alpha",
        ]
        and rr.method.iloc[0] == "katz"
    )
    assert list(effects.odds_ratio(5, 10, 3, 10).columns) == list(rr.columns)
    assert list(effects.proportions_test(5, 10, 3, 10).columns) == [
        "events_t",
        "n_t",
        "events_c",
        "n_c",
        "statistic",
        "statistic_name",
        "p_value",
        "test",
        "alternative",
    ]
    assert list(effects.nnt(5, 10, 3, 10).columns) == [
        "events_t",
        "n_t",
        "events_c",
        "n_c",
        "rd",
        "rd_low",
        "rd_high",
        "nnt",
        "nnt_type",
        "nnt_near",
        "nnt_near_type",
        "nnt_far",
        "nnt_far_type",
        "crosses_zero",
        "label",
        "method",
        "event",
        "alpha",
    ]


# ---------------------------------------------------------------------------------------------- vocabulary
def test_choices_ignore_letter_case_and_give_the_canonical_spelling():
    assert effects.risk_difference(26, 79, 5, 21, ci="Newcombe").method.iloc[0] == "newcombe"
    np.testing.assert_array_equal(
        effects.risk_difference(26, 79, 5, 21, ci="MN")[["ci_low", "ci_high"]],
        effects.risk_difference(26, 79, 5, 21, ci="mn")[["ci_low", "ci_high"]],
    )
    assert effects.risk_ratio(7, 34, 1, 34, ci="Koopman").method.iloc[0] == "koopman"
    assert effects.odds_ratio(7, 34, 1, 34, ci="WOOLF").method.iloc[0] == "woolf"
    assert effects.proportion_ci(3, 10, ci="Clopper_Pearson").method.iloc[0] == "clopper_pearson"
    t = effects.proportions_test(2, 12, 9, 13, test="Fisher", alternative="Less").iloc[0]
    assert (t.test, t.alternative) == ("fisher", "less")
    assert t.p_value == pytest.approx(stats.fisher_exact([[2, 10], [9, 4]], alternative="less").pvalue)
    assert effects.nnt(30, 100, 10, 100, event="Harmful").nnt_type.iloc[0] == "NNTH"


@pytest.mark.parametrize(
    "fn", [effects.risk_difference, effects.risk_ratio, effects.odds_ratio, effects.nnt, effects.proportions_test]
)
def test_options_are_keyword_only(fn):
    with pytest.raises(TypeError):
        fn(7, 34, 1, 34, "wald")
    with pytest.raises(TypeError):
        effects.proportion_ci(3, 10, "wilson")


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: effects.proportions_test(7, 15, 12, 15, test="barnard", sobol_n=0), "sobol_n"),
        (lambda: effects.proportions_test(7, 15, 12, 15, test="barnard", sobol_n=2.5), "sobol_n"),
        (lambda: effects.proportions_test(7, 15, 12, 15, test="score", delta0=1.0), "delta0"),
        (lambda: effects.risk_ratio(0, 10, 3, 10, add=0), "add"),
        (lambda: effects.odds_ratio(0, 10, 3, 10, add="half"), "add"),
        (lambda: effects.nnt(7, 34, 1, 34, digits=11), "digits"),
        (lambda: effects.nnt(7, 34, 1, 34, digits=1.5), "digits"),
        (lambda: effects.nnt(7, 34, 1, 34, event="good"), "event"),
        (lambda: effects.risk_difference(7, 34, 1, 34, alpha=0), "alpha"),
    ],
)
def test_bad_options_name_the_argument(call, name):
    with pytest.raises(fmtrials.DataError) as err:
        call()
    assert err.value.problems[0].column == name


# ---------------------------------------------------------------------------------------------- huge counts
@pytest.mark.parametrize("value", [1e30, 2**63, 10**30, 2**53 + 1])
def test_huge_counts_are_refused_naming_the_argument(value):
    """Counts beyond 2**31 - 1 are refused on their exact value: never wrapped to int64 or rounded to float."""
    with pytest.raises(fmtrials.DataError) as err:
        effects.risk_difference(value, value, 1, 2)
    assert {p.column for p in err.value.problems} == {"events_t", "n_t"}
    assert "out of range" in str(err.value)
    with pytest.raises(fmtrials.DataError) as err:
        effects.risk_ratio(1, 2, 1, value)
    assert [p.column for p in err.value.problems] == ["n_c"]


def test_largest_count_is_accepted_exactly():
    big = 2**31 - 1
    row = effects.risk_difference(big - 1, big, 0, big, ci="wald").iloc[0]
    assert row.n_t == big and row.estimate == (big - 1) / big


def test_series_with_different_indexes_are_refused():
    a = pd.Series([3, 5], index=[0, 1])
    n = pd.Series([10, 10], index=[1, 2])
    with pytest.raises(fmtrials.DataError, match="different indexes"):
        effects.risk_difference(a, n, 1, 10)
    same = effects.risk_difference(a, pd.Series([10, 12], index=[0, 1]), 1, 10)
    assert same.estimate.tolist() == pytest.approx([3 / 10 - 0.1, 5 / 12 - 0.1])


# ---------------------------------------------------------------------------------------------- NNT columns
def test_nnt_limits_are_named_not_ordered():
    """The brief's example: Bateman 2013 PGIC 26/79 vs 5/21, interval through infinity."""
    row = effects.nnt(26, 79, 5, 21).iloc[0]
    assert row.label == "NNTB 11.0 (NNTB 3.8 to ∞ to NNTH 7.1)"
    assert (row.nnt_near_type, row.nnt_far_type) == ("NNTB", "NNTH") and row.crosses_zero
    assert row.nnt_near == pytest.approx(1 / row.rd_high) and row.nnt_far == pytest.approx(-1 / row.rd_low)
    assert row.rd_low <= row.rd <= row.rd_high
    assert not {"ci_low", "ci_high"} & set(effects.nnt(26, 79, 5, 21).columns)


@settings(max_examples=120, deadline=None)
@given(tables, st.sampled_from(["beneficial", "harmful"]), st.sampled_from(["wald", "newcombe", "mn"]))
def test_nnt_limits_are_the_inverse_rd_limits(t, event, method):
    row = effects.nnt(*t, ci=method, event=event).iloc[0]
    assert row.rd_low <= row.rd <= row.rd_high
    inv = {lim: (np.inf if lim == 0 else 1 / abs(lim)) for lim in (row.rd_low, row.rd_high)}
    sign = 1 if event == "beneficial" else -1
    # the near limit is on the side of the estimate: the benefit-side RD limit when the estimate is benefit
    benefit_limit = row.rd_high if sign > 0 else row.rd_low
    harm_limit = row.rd_low if sign > 0 else row.rd_high
    near, far = (benefit_limit, harm_limit) if sign * row.rd >= 0 else (harm_limit, benefit_limit)
    assert row.nnt_near == pytest.approx(inv[near]) and row.nnt_far == pytest.approx(inv[far])
    assert row.crosses_zero == (row.rd_low < 0 < row.rd_high)
    assert row.nnt == (np.inf if row.rd == 0 else pytest.approx(1 / abs(row.rd)))
    if not row.crosses_zero and np.isfinite(row.nnt):
        assert min(row.nnt_near, row.nnt_far) <= row.nnt * (1 + 1e-12)
        assert row.nnt <= max(row.nnt_near, row.nnt_far) * (1 + 1e-12)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.sampled_from(["wilson", "jeffreys", "clopper_pearson"]),
)
def test_proportion_interval_holds_the_estimate(arm, method):
    row = effects.proportion_ci(*arm, ci=method).iloc[0]
    assert 0.0 <= row.ci_low <= row.estimate <= row.ci_high <= 1.0


@pytest.mark.parametrize(
    "call",
    [
        lambda: effects.proportions_test([], [], [], [], test="fisher"),
        lambda: effects.proportions_test([], [], [], [], test="barnard"),
        lambda: effects.risk_difference([], [], [], [], ci="exact"),
        lambda: effects.odds_ratio([], [], [], [], ci="exact"),
        lambda: effects.risk_ratio([], [], [], [], ci="koopman"),
    ],
)
def test_no_tables_give_an_empty_frame(call):
    out = call()
    assert isinstance(out, pd.DataFrame) and len(out) == 0 and "events_t" in out.columns

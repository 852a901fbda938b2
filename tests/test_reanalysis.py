"""Tests for fmtrials.consistency.reanalysis: printed percentages re-analysed over every admissible count pair.

Oracles (outside this package):
* an independent brute-force enumeration: every count ``k`` in ``[0, n]`` with ``|100 k / n - P| <= 1/2 unit``
  in exact ``fractions.Fraction`` arithmetic, every pair analysed one at a time;
* the Newcombe (1998, method 10) hybrid score interval written out here from two Wilson intervals with
  ``scipy.stats.norm``; Newcombe's published example 56/70 vs 48/80 -> 0.0524 to 0.3339 (Table II, method 10);
* ``scipy.stats.fisher_exact`` and ``scipy.stats.chi2_contingency(correction=False)`` per pair;
* evidence.md §4: 25.4% and 15.5% are 102/401 and 62/401 (RD 9.98 points); 15.5% is impossible with 223.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import fmtrials
from fmtrials import DataError
from fmtrials.consistency import reanalysis as R
from fmtrials.consistency import reanalysis_reported as RR

# ---------------------------------------------------------------------------------------------------------
# independent oracles
# ---------------------------------------------------------------------------------------------------------


def brute_counts(percent: str, n: int) -> list[int]:
    """Every k with 100 k / n within half a unit of the printed value (ties either way), exact fractions."""
    p = Fraction(percent)
    d = len(percent.split(".")[1]) if "." in percent else 0
    h = Fraction(1, 2 * 10**d)
    return [k for k in range(n + 1) if abs(Fraction(100 * k, n) - p) <= h]


def wilson(x: int, n: int, z: float) -> tuple[float, float]:
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def newcombe(x1: int, n1: int, x2: int, n2: int, alpha: float = 0.05) -> tuple[float, float]:
    z = stats.norm.ppf(1 - alpha / 2)
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    d = p1 - p2
    return (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def brute(percent_t: str, n_t: int, percent_c: str, n_c: int, test: str = "fisher") -> dict:
    """The whole re-analysis of one row, one pair at a time."""
    kt, kc = brute_counts(percent_t, n_t), brute_counts(percent_c, n_c)
    if not kt or not kc:
        return {"consistent": False, "n_pairs": 0}
    est, lo, hi, ps = [], [], [], []
    for a in kt:
        for c in kc:
            est.append(a / n_t - c / n_c)
            lo_, hi_ = newcombe(a, n_t, c, n_c)
            lo.append(lo_)
            hi.append(hi_)
            table = [[a, n_t - a], [c, n_c - c]]
            ps.append(
                stats.fisher_exact(table)[1] if test == "fisher" else stats.chi2_contingency(table, correction=False)[1]
            )
    return {
        "consistent": True,
        "n_pairs": len(est),
        "events_t_min": min(kt),
        "events_t_max": max(kt),
        "events_c_min": min(kc),
        "events_c_max": max(kc),
        "estimate_min": min(est),
        "estimate_max": max(est),
        "ci_low": min(lo),
        "ci_high": max(hi),
        "p_min": min(ps),
        "p_max": max(ps),
    }


def test_newcombe_oracle_reproduces_the_published_example():
    lo, hi = newcombe(56, 70, 48, 80)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)


# ---------------------------------------------------------------------------------------------------------
# the "Done when" cases
# ---------------------------------------------------------------------------------------------------------


def test_seed_phase_iii_under_401_arms_is_102_vs_62():
    r = fmtrials.reanalyse_percentages("25.4", 401, "15.5", 401)
    row = r.iloc[0]
    assert bool(row.consistent) and row.n_pairs == 1
    assert (row.events_t_min, row.events_t_max, row.events_c_min, row.events_c_max) == (102, 102, 62, 62)
    assert round(100 * row.estimate_min, 2) == 9.98 and row.estimate_min == row.estimate_max
    lo, hi = newcombe(102, 401, 62, 401)
    assert row.ci_low == pytest.approx(lo, abs=1e-12) and row.ci_high == pytest.approx(hi, abs=1e-12)
    p = stats.fisher_exact([[102, 299], [62, 339]])[1]
    assert row.p_min == pytest.approx(p, rel=1e-9) and row.p_max == pytest.approx(p, rel=1e-9)
    # 0.000611: far below the printed p = 0.01
    assert 0.0006 < row.p_min < 0.00062


@pytest.mark.parametrize(
    "n_t, n_c, ok_t, ok_c", [(399, 401, False, True), (401, 223, True, False), (399, 223, False, False)]
)
def test_seed_phase_iii_impossible_arm_sizes(n_t, n_c, ok_t, ok_c):
    r = fmtrials.reanalyse_percentages("25.4", n_t, "15.5", n_c).iloc[0]
    assert not r.consistent and (bool(r.consistent_t), bool(r.consistent_c)) == (ok_t, ok_c)
    assert r.n_pairs == 0
    for col in ("estimate_min", "estimate_max", "ci_low", "ci_high", "p_min", "p_max"):
        assert math.isnan(r[col])  # missing, never a rounded-to-nearest count
    assert r.events_t_min is pd.NA or ok_t


@pytest.mark.parametrize("test", ["fisher", "chi2"])
def test_several_pairs_match_brute_force(test):
    r = fmtrials.reanalyse_percentages("31", 435, "25", 449, test=test).iloc[0]
    b = brute("31", 435, "25", 449, test)
    assert b["n_pairs"] == 20 == r.n_pairs  # 133..137 x 111..114
    for key in ("events_t_min", "events_t_max", "events_c_min", "events_c_max"):
        assert r[key] == b[key]
    for key in ("estimate_min", "estimate_max", "ci_low", "ci_high"):
        assert r[key] == pytest.approx(b[key], abs=1e-12)
    for key in ("p_min", "p_max"):
        assert r[key] == pytest.approx(b[key], rel=1e-9)
    assert r.p_min < 0.05 < r.p_max  # the pairs disagree on significance: a range, not a point


def test_rows_are_independent_and_vectorised():
    pt, nt, pc, nc = ["25.4", "31", "37", "26.9"], [401, 435, 41, 401], ["15.5", "25", "5", "15.5"], [401, 449, 42, 223]
    together = fmtrials.reanalyse_percentages(pt, nt, pc, nc)
    alone = pd.concat([fmtrials.reanalyse_percentages(*a) for a in zip(pt, nt, pc, nc)], ignore_index=True)
    pd.testing.assert_frame_equal(together, alone)
    assert list(together.columns) == list(R.REANALYSIS_COLUMNS)


def test_phase_ii_row_matches_brute_force():
    r = fmtrials.reanalyse_percentages("37", 41, "5", 42).iloc[0]
    b = brute("37", 41, "5", 42)
    for key in ("estimate_min", "estimate_max", "ci_low", "ci_high", "p_min", "p_max"):
        assert r[key] == pytest.approx(b[key], rel=1e-9, abs=1e-12)


def test_other_measures_and_intervals():
    rr = fmtrials.reanalyse_percentages("31", 435, "25", 449, measure="RR", ci="koopman").iloc[0]
    kt, kc = brute_counts("31", 435), brute_counts("25", 449)
    ratios = [(a / 435) / (c / 449) for a in kt for c in kc]
    assert rr.estimate_min == pytest.approx(min(ratios)) and rr.estimate_max == pytest.approx(max(ratios))
    assert rr.ci_low < rr.estimate_min and rr.ci_high > rr.estimate_max and rr.measure == "RR"
    orr = fmtrials.reanalyse_percentages("31", 435, "25", 449, measure="or", ci=None).iloc[0]
    odds = [(a * (449 - c)) / (c * (435 - a)) for a in kt for c in kc]
    assert orr.estimate_min == pytest.approx(min(odds)) and orr.ci == "woolf"
    mn = fmtrials.reanalyse_percentages("25.4", 401, "15.5", 401, ci="MN").iloc[0]
    assert mn.ci == "mn" and mn.ci_low != pytest.approx(newcombe(102, 401, 62, 401)[0], abs=1e-6)


# ---------------------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, column, words",
    [
        ((["25.4", "x"], 401, "15.5", 401), "percent_t", "position 1"),
        (("25.4", 401, ["15.5", "101"], 401), "percent_c", "above 100"),
        (("25.4", 401, ["-3", "1"], 401), "percent_c", "position 0"),
        (("25.4", [401, 0], "15.5", 401), "n_t", "position 1"),
        (("25.4", 401, "15.5", [401, -2]), "n_c", "position 1"),
        (("25.4", 401.5, "15.5", 401), "n_t", "non-integer"),
        ((["25.4", "26.9"], [401, 401, 401], "15.5", 401), "percent_t", "mismatched lengths"),
    ],
)
def test_bad_input_names_argument_and_position(args, column, words):
    with pytest.raises(DataError) as err:
        fmtrials.reanalyse_percentages(*args)
    text = str(err.value)
    assert column in text and words in text


@pytest.mark.parametrize(
    "kw, column",
    [
        ({"ci": "katz"}, "ci"),
        ({"test": "t"}, "test"),
        ({"alpha": 1.5}, "alpha"),
        ({"rounding": "up"}, "rounding"),
        ({"measure": "HR"}, "measure"),
    ],
)
def test_bad_options(kw, column):
    with pytest.raises(DataError, match=column):
        fmtrials.reanalyse_percentages("25.4", 401, "15.5", 401, **kw)


def test_too_many_pairs_refused(monkeypatch):
    monkeypatch.setattr(R, "MAX_PAIRS", 10)
    with pytest.raises(DataError, match="admissible count pairs"):
        fmtrials.reanalyse_percentages("31", 435, "25", 449)


# ---------------------------------------------------------------------------------------------------------
# invariants
# ---------------------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(1, 300), st.integers(0, 1000), st.integers(0, 1000), st.booleans())
def test_ranges_match_brute_force(n_t, n_c, pt10, pc10, one_decimal):
    fmt = (lambda v: f"{v / 10:.1f}") if one_decimal else (lambda v: str(v // 10))
    pt, pc = fmt(pt10), fmt(pc10)
    r = fmtrials.reanalyse_percentages(pt, n_t, pc, n_c, test="chi2").iloc[0]
    kt, kc = brute_counts(pt, n_t), brute_counts(pc, n_c)
    assert bool(r.consistent) == bool(kt and kc)
    assert r.n_pairs == (len(kt) * len(kc) if kt and kc else 0)
    if r.consistent:
        est = [a / n_t - c / n_c for a in kt for c in kc]
        assert r.estimate_min == pytest.approx(min(est), abs=1e-12)
        assert r.estimate_max == pytest.approx(max(est), abs=1e-12)
        assert r.ci_low <= r.estimate_min <= r.estimate_max <= r.ci_high
        assert 0 <= r.p_min <= r.p_max <= 1


# ---------------------------------------------------------------------------------------------------------
# the reported table
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reported():
    return fmtrials.reanalyse_reported(test="chi2")


def test_reported_columns_and_labels(reported):
    assert list(reported.columns) == list(RR.REPORTED_COLUMNS)
    seed = reported[reported.row <= 3]
    # every seed scenario is an assumption, never data
    assert set(seed.status.dropna()) <= {RR.ASSUMED, RR.NO_DENOMINATOR, RR.NO_ARM}
    assert (seed[seed.n_t.notna()].status == RR.ASSUMED).all()


def test_reported_seed_401_scenario(reported):
    s = reported[(reported.row == 2) & (reported.n_t == 401) & (reported.n_c == 401)].iloc[0]
    assert s.scenario_kind == "mixed" and bool(s.consistent)
    assert (s.events_t_min, s.events_c_min) == (102, 62) and round(100 * s.estimate_min, 2) == 9.98
    p = stats.chi2_contingency([[102, 299], [62, 339]], correction=False)[1]
    assert s.p_min == pytest.approx(p, rel=1e-9)
    assert s.p_in_range is False or not bool(s.p_in_range)  # printed p = 0.01, recomputed 0.0005


def test_reported_impossible_scenarios_kept(reported):
    r2 = reported[reported.row == 2]
    bad = r2[(r2.n_t == 399) & (r2.n_c == 401)].iloc[0]
    assert not bool(bad.consistent) and math.isnan(bad.estimate_min)
    r3 = reported[reported.row == 3]
    assert not bool(r3[(r3.n_t == 441) & (r3.n_c == 223)].iloc[0].consistent)


def test_reported_point_estimate_without_denominators(reported):
    vitton = reported[reported.study == "Vitton2004"]
    assert (vitton.status == RR.NO_DENOMINATOR).all()
    assert (vitton.difference_printed == 23.0).all() and vitton.estimate_min.isna().all()
    model = reported[reported.status == RR.MODEL_BASED]
    assert len(model) == 4 and model.estimate_min.isna().all()
    assert sorted(model.difference_printed.round(1)) == [11.5, 14.0, 16.2, 22.2]


def test_reported_p_in_range_is_checked_per_pair():
    table = pd.DataFrame(
        {
            "study": ["X"],
            "label": ["X"],
            "endpoint": ["e"],
            "dose_mg_day": [100],
            "percent_t": ["31"],
            "percent_c": ["25"],
            "n_t": [435],
            "n_c": [449],
            "p_reported": ["0.04"],
        }
    )
    r = fmtrials.reanalyse_reported(table, test="chi2").iloc[0]
    b = brute("31", 435, "25", 449, "chi2")
    assert r.status == RR.PRINTED and r.p_min == pytest.approx(b["p_min"])
    ps = [
        stats.chi2_contingency([[a, 435 - a], [c, 449 - c]], correction=False)[1]
        for a in brute_counts("31", 435)
        for c in brute_counts("25", 449)
    ]
    assert bool(r.p_in_range) == any(0.035 <= p < 0.045 for p in ps)


def test_reported_unknown_option():
    with pytest.raises(DataError, match="unknown options"):
        fmtrials.reanalyse_reported(cii="mn")

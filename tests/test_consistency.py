"""Tests for fmtrials.consistency: GRIM for percentages, printed p-values, and the audit of reported tables.

Oracles (outside this package):
* evidence.md §4 (hand arithmetic on the seed table) and §2;
* scipy.stats (fisher_exact, chi2_contingency) for every recomputed p-value;
* Python's ``decimal`` module (ROUND_HALF_UP / ROUND_HALF_EVEN) as an independent rounding oracle;
* published GRIM examples: Brown & Heathers (2017) via the R package scrutiny's tests and vignette
  (https://github.com/lhdjung/scrutiny: tests/testthat/test-grim.R, vignettes/grim.Rmd), Wikipedia's dice
  example, The Economist (18 June 2016) on GRIM, the Python ``grim`` package README (PyPI);
* statcheck's own classification tests (MicheleNuijten/statcheck, tests/testthat/test-error.R) for reading
  printed p-values;
* published 2x2 p-values: contingencytables (Fagerland, Lydersen & Laake) for (0/16 vs 15/72) and the R
  ``fragilityindex`` README for 15/40 vs 6/40 (both in methods.md §3.4-3.5).
"""

from __future__ import annotations

import dataclasses
import importlib
import io
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import fmtrials
from fmtrials import DataError

A = importlib.import_module("fmtrials.consistency")


def ks(percent, n, **kw):
    """Admissible counts for one percentage and one n, as a list."""
    g = A.grim(percent, n, **kw)
    return [int(k) for k in g["k"].dropna()]


def fisher_p(a, n1, c, n2):
    return stats.fisher_exact([[a, n1 - a], [c, n2 - c]])[1]


def chi2_p(a, n1, c, n2, correction=False):
    return stats.chi2_contingency([[a, n1 - a], [c, n2 - c]], correction=correction)[1]


# ------------------------------------------------------------------------------------------------------------
# GRIM: the hand-checked cases from the issue and evidence.md §4
# ------------------------------------------------------------------------------------------------------------

def test_issue_cases():
    assert ks("15.5", 223) == []
    assert ks("15.5", 405) == []
    assert ks("15.5", 401) == [62]
    assert ks("26.9", 441) == []


# evidence.md §4 table (rounding half up, as evidence.md uses); None = "no"
EVIDENCE_TABLE = {
    223: (None, None, 60), 224: (None, 57, None), 441: (None, 112, None), 401: (62, 102, 108),
    399: (62, None, None), 396: (None, None, None), 405: (None, 103, 109), 509: (79, None, 137),
    516: (80, 131, 139), 449: (None, 114, 121), 435: (None, None, 117), 624: (97, None, 168),
    623: (None, 158, None), 837: (130, 213, 225),
}


@pytest.mark.parametrize("rounding", ["half_up", "either", "half_even"])
def test_evidence_section4_table(rounding):
    ns = list(EVIDENCE_TABLE)
    for j, pct in enumerate(("15.5", "25.4", "26.9")):
        g = A.grim(pct, ns, rounding=rounding, expand=False)
        for n, lo, hi, ok in zip(g["n"], g["k_min"], g["k_max"], g["consistent"]):
            want = EVIDENCE_TABLE[n][j]
            if want is None:
                assert not ok, (pct, n)
            else:
                assert ok and lo == hi == want, (pct, n, lo, hi)


def test_evidence_phase2_arithmetic():
    """evidence.md §4, phase II: n from 35 to 50, whole percentages, half-up rounding."""
    rng = list(range(35, 51))
    g37 = A.grim("37", rng, rounding="half_up", expand=False)
    assert list(g37.loc[g37.consistent, "n"]) == [35, 38, 41, 43, 46, 49]
    assert ks("37", 41) == [15] and ks("37", 43) == [16]
    assert ks("37", 40, rounding="half_up") == []          # "15/40 gives 38%"
    assert ks("37", 40, rounding="half_down") == [15]      # 37.5 exactly: a tie
    assert ks("37", 40) == [15]                            # accepted by the charitable default
    g5 = A.grim("5", rng, rounding="half_up", expand=False)
    assert list(g5.loc[g5.consistent, "n"]) == list(range(37, 45))
    assert set(g5.loc[g5.consistent, "k_min"]) == {2}
    g14 = A.grim("14", rng, rounding="half_up", expand=False)
    ok = g14[g14.consistent]
    # evidence.md lists n = 35-37 (5) and 42-44 (6); 7/49 = 14.29% and 7/50 = 14.00% also give 14%
    # (checked here with decimal as an independent oracle): evidence.md's list is incomplete.
    assert list(ok["n"]) == [35, 36, 37, 42, 43, 44, 49, 50]
    assert list(ok["k_min"]) == [5, 5, 5, 6, 6, 6, 7, 7]
    for n, k in ((49, 7), (50, 7)):
        assert (Decimal(100 * k) / Decimal(n)).quantize(Decimal(1), ROUND_HALF_UP) == 14


def test_bateman_denominator():
    """evidence.md §2.6: 79 is the only n in 60..89 giving all four milnacipran percentages."""
    ns = np.arange(60, 90)
    ok = np.ones(ns.size, bool)
    for pct in ("32.9", "34.2", "29.1", "25.3"):
        ok &= A.grim(pct, ns, expand=False)["consistent"].to_numpy()
    assert list(ns[ok]) == [79]
    assert [ks(p, 79)[0] for p in ("32.9", "34.2", "29.1", "25.3")] == [26, 27, 23, 20]
    assert ks("23.8", 21) == [5]
    assert ks("32.9", 86) == []


# ------------------------------------------------------------------------------------------------------------
# GRIM: published examples from outside this literature
# ------------------------------------------------------------------------------------------------------------
# For a mean of single integer items printed with two decimals, GRIM depends only on the fractional part:
# a mean I.ff from n values is possible iff some remainder r in [0, n) gives 100 r / n rounding to ff, i.e.
# iff the whole percentage ff is possible with n. That maps the published mean examples onto grim().

def test_scrutiny_test_suite_percent_vector():
    # scrutiny tests/testthat/test-grim.R: grim(6:16, 50, percent = TRUE) -> T F T F T F T F T F T
    g = A.grim([str(v) for v in range(6, 17)], 50, expand=False)
    assert list(g["consistent"]) == [True, False] * 5 + [True]


def test_scrutiny_test_suite_means_5_19_to_5_30():
    # scrutiny tests/testthat/test-grim.R: grim(seq(5.19, 5.30), 28) -> F F T F F F T F F F T F
    fractional = [str(v) for v in range(19, 31)]
    g = A.grim(fractional, 28, expand=False)
    assert list(g["consistent"]) == [False, False, True, False, False, False, True, False, False, False,
                                      True, False]


@pytest.mark.parametrize("mean, n, possible, source", [
    ("5.27", 43, False, "scrutiny vignette: grim('5.27', 43) is FALSE"),
    ("3.48", 20, False, "Wikipedia 'GRIM test': 20 die rolls cannot average 3.48"),
    ("5.93", 49, False, "The Economist 2016 on Brown & Heathers: 49 participants, mean 5.93"),
    ("11.09", 21, False, "PyPI grim README: consistency_check('11.09', '21', ROUND_HALF_UP) is False"),
    ("4.71", 20, False, "Bauer & Francis 2021 via scrutiny vignette: 4.71 with 20/20 split"),
    ("4.71", 17, True, "Bauer & Francis 2021 via scrutiny vignette: 4.71 consistent with n = 17"),
])
def test_published_grim_examples(mean, n, possible, source):
    frac = mean.split(".")[1]
    assert bool(A.grim(frac, n, expand=False)["consistent"].iloc[0]) is possible, source


def test_scrutiny_vignette_percentages():
    # scrutiny vignette "Percentage conversion" inputs (32.5% of 438, 35.6% of 455, 21.7% of 501,
    # 39.3% of 516); the expected verdicts are hand-checked here with decimal as the oracle.
    pct, n = ["32.5", "35.6", "21.7", "39.3"], [438, 455, 501, 516]
    g = A.grim(pct, n, expand=False)
    for p, nn, ok in zip(pct, n, g["consistent"]):
        want = any((Decimal(100 * k) / Decimal(nn)).quantize(Decimal("0.1"), ROUND_HALF_UP) == Decimal(p)
                   for k in range(nn + 1))
        assert ok == want
    assert list(g["consistent"]) == [False, True, False, True]


# ------------------------------------------------------------------------------------------------------------
# GRIM: properties against decimal as an independent oracle
# ------------------------------------------------------------------------------------------------------------

def _printed(k, n, d, mode):
    q = Decimal(1).scaleb(-d)
    return str((Decimal(100 * k) / Decimal(n)).quantize(q, mode))


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 3000), frac=st.floats(0, 1), d=st.integers(0, 3),
       rule=st.sampled_from([("half_up", ROUND_HALF_UP), ("half_even", ROUND_HALF_EVEN)]))
def test_grim_roundtrip_property(n, frac, d, rule):
    name, mode = rule
    k = int(round(frac * n))
    text = _printed(k, n, d, mode)
    cands = ks(text, n, rounding=name)
    assert k in cands
    assert cands == list(range(cands[0], cands[-1] + 1))
    for kk in (cands[0] - 1, cands[-1] + 1):                  # the run is maximal
        if 0 <= kk <= n:
            assert _printed(kk, n, d, mode) != text
    for kk in cands:                                          # every candidate prints the same
        assert _printed(kk, n, d, mode) == text
    either = ks(text, n)
    assert set(cands) <= set(either)


def test_ties_decided_exactly():
    # 1/8 = 12.5%: a tie at 0 decimals.  half_up -> 13, half_even -> 12, either -> both
    assert ks("13", 8, rounding="half_up") == [1]
    assert ks("12", 8, rounding="half_up") == []
    assert ks("12", 8, rounding="half_even") == [1]
    assert ks("13", 8, rounding="half_even") == []
    assert ks("12", 8) == [1] and ks("13", 8) == [1]
    # 3/8 = 37.5%: half_even gives 38 (8 is even)
    assert ks("38", 8, rounding="half_even") == [3]


def test_edges_zero_and_hundred():
    assert ks("0", 50) == [0]
    assert ks("100", 50) == [50]
    assert ks("0.0", 2001, rounding="half_up") == [0, 1]     # 1/2001 = 0.0499..%
    assert ks("100.0", 2001, rounding="half_up") == [2000, 2001]


def test_decimals_from_text_and_trailing_zeros():
    g = A.grim(["25.4", "25.40", "37", "37%", ".5"], 224, expand=False)
    assert list(g["decimals"]) == [1, 2, 0, 0, 1]
    assert list(g["consistent"][:2]) == [True, False]        # 57/224 = 25.446% prints 25.45, not 25.40
    # a number loses its trailing zero; decimals= restores it
    assert bool(A.grim(25.40, 224, expand=False)["consistent"][0])
    assert not bool(A.grim(25.40, 224, decimals=2, expand=False)["consistent"][0])
    assert bool(A.grim(37.0, 41, expand=False)["consistent"][0])  # read as "37"


def test_tidy_output_and_broadcasting():
    g = A.grim("37", [100, 41])
    assert list(g.columns) == ["input", "percent", "n", "decimals", "rounding", "k", "pct_exact", "consistent"]
    assert list(g["k"]) == [37, 15]
    assert np.allclose(g["pct_exact"], [37.0, 100 * 15 / 41])
    # 36.5% and 37.5% are both ties: half_up keeps 365..374, the default "either" also 375
    assert list(A.grim("37", 1000, rounding="half_up")["k"]) == list(range(365, 375))
    assert list(A.grim("37", 1000)["k"]) == list(range(365, 376))
    assert list(A.grim("37", 1000, rounding="half_down")["k"]) == list(range(366, 376))
    g2 = A.grim([["15.5", "25.4"], ["26.9", "15.5"]], 401, expand=False)
    assert list(g2["k_min"]) == [62, 102, 108, 62]
    assert g2["nearest"].iloc[0] is None
    g3 = A.grim("15.5", 223, expand=False)
    assert g3["nearest"].iloc[0] == "34/223 = 15.25%, 35/223 = 15.70%"


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(percent="abc", n=10), "cannot read"),
    (dict(percent="101", n=10), "above 100"),
    (dict(percent="-5", n=10), "cannot read"),
    (dict(percent=-5.0, n=10), "negative"),
    (dict(percent=None, n=10), "missing"),
    (dict(percent="25.45", n=10, decimals=1), "more than decimals"),
    (dict(percent="25", n=0), "arm size is 0"),
    (dict(percent="25", n=2.5), "non-integer"),
    (dict(percent="25", n=10, rounding="bankers"), "rounding must be"),
    (dict(percent=["1", "2"], n=[1, 2, 3]), "broadcast"),
])
def test_grim_bad_input(kwargs, fragment):
    with pytest.raises(DataError, match=fragment):
        A.grim(**kwargs)


def test_grim_bad_input_names_position():
    with pytest.raises(DataError) as err:
        A.grim(["10", "x", "20", "y"], 50)
    msgs = [p.message for p in err.value.problems]
    assert len(msgs) == 2 and "position 1" in msgs[0] and "position 3" in msgs[1]


def test_grim_on_many_inputs_finds_the_generating_count():
    rng = np.random.default_rng(1)
    n = rng.integers(1, 2000, 100_000)
    k = (rng.random(n.size) * n).astype(int)
    pct = np.char.mod("%.1f", 100 * k / n)
    g = A.grim(pct, n, expand=False)
    assert g["consistent"].mean() > 0.99    # float formatting ties aside, every printed value is possible


# ------------------------------------------------------------------------------------------------------------
# printed p-values
# ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, lo, hi, lo_closed, hi_closed", [
    ("0.01", 0.005, 0.015, True, False),
    ("p=0.02", 0.015, 0.025, True, False),
    ("p = 0.020", 0.0195, 0.0205, True, False),
    ("0.0003", 0.00025, 0.00035, True, False),
    ("<0.001", 0.0, 0.001, True, False),
    ("P < .001", 0.0, 0.001, True, False),
    ("<.001", 0.0, 0.001, True, False),
    ("p<0.001", 0.0, 0.001, True, False),
    ("p < 0\u00b7001", 0.0, 0.001, True, False),
    ("\u22640.05", 0.0, 0.05, True, True),
    ("p \u2264 0.001", 0.0, 0.001, True, True),
    ("p=<0.05", 0.0, 0.05, True, True),
    ("<=0.05", 0.0, 0.05, True, True),
    ("\u22650.05", 0.05, 1.0, True, True),
    ("P > 0.05", 0.05, 1.0, False, True),
    ("\uff1c0.05", 0.0, 0.05, True, False),
    ("NS", 0.05, 1.0, True, True),
    ("n.s.", 0.05, 1.0, True, True),
    ("ns", 0.05, 1.0, True, True),
    ("0.05", 0.045, 0.055, True, False),
    ("<0.05", 0.0, 0.05, True, False),
    ("1.00", 0.995, 1.0, True, True),
    ("0.000", 0.0, 0.0005, True, False),
    ("2e-5", 1.5e-5, 2.5e-5, True, False),
    ("1.2 \u00d7 10\u207b\u2075", 1.15e-5, 1.25e-5, True, False),
    ("p = 3.4x10^-4", 3.35e-4, 3.45e-4, True, False),
])
def test_parse_p(text, lo, hi, lo_closed, hi_closed):
    r = A.parse_p(text)
    assert r.lower == pytest.approx(lo, abs=1e-15) and r.upper == pytest.approx(hi, abs=1e-15)
    assert (r.lower_closed, r.upper_closed) == (lo_closed, hi_closed)


def test_p_rounding_edges_005():
    eq, lt, le, ns = (A.parse_p(t) for t in ("0.05", "<0.05", "\u22640.05", "NS"))
    assert eq.contains(0.05) and not lt.contains(0.05) and le.contains(0.05) and ns.contains(0.05)
    assert eq.contains(0.0499) and lt.contains(0.0499) and not ns.contains(0.0499)
    assert eq.contains(0.045) and not eq.contains(0.0449999) and not eq.contains(0.055)
    assert not lt.contains(0.0500001)
    assert list(eq.contains([0.044, 0.046, 0.054, 0.056, np.nan])) == [False, True, True, False, False]


def test_parse_p_vector_and_errors():
    df = A.parse_p(["0.01", "<.001", "NS"])
    assert list(df["interval"]) == ["[0.005, 0.015)", "[0, 0.001)", "[0.05, 1]"]
    assert list(df["relation"]) == ["=", "<", "ns"]
    for bad in ["abc", "1.5", "<0", ">1", "p", "", "0,05", None, float("nan"), "p < 0.001 (BOCF)"]:
        with pytest.raises(DataError):
            A.parse_p(bad)
    with pytest.raises(DataError) as err:
        A.parse_p(["0.01", "x", None])
    assert [("position 1" in p.message, "position 2" in p.message) for p in err.value.problems] == [
        (True, False), (False, True)]


# statcheck's own classification tests (MicheleNuijten/statcheck, tests/testthat/test-error.R): a printed
# result is an error when no value of the test statistic within its printed rounding gives a p inside the
# printed p. Our parse_p supplies the p side; scipy the p of the statistic.
STATCHECK_CASES = [
    ("t", 28, "2.20", "p = .03", True),
    ("chi2", 28, "22.20", "p = .79", True),
    ("z", None, "2.20", "p = .04", True),
    ("z", None, "-2.42", "p = 0.016", False),
    ("t", 28, "-2.20", "p = .03", True),
    ("t", 28, "2.20", "ns", True),
    ("t", 28, "2.20", "p > .05", True),
    ("t", 28, "2.0", "p < .05", False),
    ("t", 48, "1.02", "p < .05", True),
]


@pytest.mark.parametrize("dist, df, stat, ptext, is_error", STATCHECK_CASES)
def test_parse_p_against_statcheck(dist, df, stat, ptext, is_error):
    dec = len(stat.split(".")[1])
    h = 0.5 * 10 ** -dec
    x = abs(float(stat))
    sf = {"t": lambda v: 2 * stats.t.sf(v, df), "z": lambda v: 2 * stats.norm.sf(v),
          "chi2": lambda v: stats.chi2.sf(v, df)}[dist]
    p_lo, p_hi = sf(x + h), sf(x - h)
    grid = np.linspace(p_lo, p_hi, 2001)
    consistent = bool(np.any(A.parse_p(ptext).contains(grid)))
    assert consistent is (not is_error)


# ------------------------------------------------------------------------------------------------------------
# audit_reported
# ------------------------------------------------------------------------------------------------------------

def test_evidence_fisher_example_phase2():
    """evidence.md §4: Fisher 15/41 vs 2/42 p ~ 0.0003 fits '<0.001'; 15/41 vs 6/42 p ~ 0.02."""
    r = A.audit_reported("37", 41, "5", 42, "<0.001")
    assert r.verdict == "consistent" and r.k_t == (15,) and r.k_c == (2,)
    fr = r.to_frame().set_index("test")
    assert fr.loc["fisher", "p_value"] == pytest.approx(fisher_p(15, 41, 2, 42), rel=1e-9)
    assert fr.loc["fisher", "p_value"] == pytest.approx(0.0003, abs=0.00005)
    assert fr.loc["chi2", "p_value"] == pytest.approx(chi2_p(15, 41, 2, 42), rel=1e-9)
    assert fr.loc["yates", "p_value"] == pytest.approx(chi2_p(15, 41, 2, 42, True), rel=1e-9)
    r6 = A.audit_reported("37", 41, "14", 42, "0.02", tests=["fisher"])
    assert r6.k_c == (6,)
    assert r6.p_range[0][1] == pytest.approx(fisher_p(15, 41, 6, 42), rel=1e-9)
    assert r6.verdict == "consistent"
    assert A.audit_reported("37", 41, "14", 42, "<0.001").verdict == "inconsistent"


def test_evidence_phase3_z_tests():
    """evidence.md §4: 102/401 vs 62/401 p ~ 0.0005; 108/401 vs 62/401 p ~ 0.00007; 57/224 vs 35/223 ~ 0.011."""
    r = A.audit_reported("25.4", 401, "15.5", 401, "0.01", tests=["chi2"])
    assert r.p_range[0][1] == pytest.approx(chi2_p(102, 401, 62, 401), rel=1e-9)
    assert r.p_range[0][1] == pytest.approx(0.0005, abs=0.0001)
    assert r.verdict == "inconsistent" and r.grim_t and r.grim_c and r.p_consistent is False
    r = A.audit_reported("26.9", 401, "15.5", 401, "0.02", tests=["chi2"])
    assert r.p_range[0][1] == pytest.approx(0.00007, abs=0.00002)
    assert r.verdict == "inconsistent"
    # 57/224 (25.4%) vs 35/223 (15.7%): p ~ 0.011 -> a printed 0.01 is reproducible
    r = A.audit_reported("25.4", 224, "15.7", 223, "0.01", tests=["chi2"])
    assert r.verdict == "consistent" and r.matches[0][1:3] == (57, 35)
    assert r.matches[0][3] == pytest.approx(chi2_p(57, 224, 35, 223), rel=1e-9)


def test_seed_rows_with_published_arm_sizes():
    r = A.audit_reported("25.4", 224, "15.5", 223, "0.01")       # Mease 2009 100 mg
    assert r.verdict == "inconsistent" and r.grim_c is False and "15.5% is impossible with n = 223" in \
        r.explanation
    r = A.audit_reported("26.9", 441, "15.5", 223, "0.02")       # Mease 2009 200 mg
    assert r.grim_t is False and r.grim_c is False


def test_published_2x2_contingencytables():
    """contingencytables (methods.md §3.4): 0/16 vs 15/72, Fisher 0.06287, Yates 0.1016."""
    pct_c = "20.8"                                               # 15/72 = 20.83%
    assert ks(pct_c, 72) == [15]
    r = A.audit_reported("0", 16, pct_c, 72, "0.063", tests=["fisher"])
    assert r.verdict == "consistent" and r.matches[0][3] == pytest.approx(0.06287, abs=5e-6)
    assert A.audit_reported("0", 16, pct_c, 72, "0.10", tests=["yates"]).verdict == "consistent"
    assert A.audit_reported("0", 16, pct_c, 72, "0.063", tests=["yates"]).verdict == "inconsistent"
    r = A.audit_reported("0", 16, pct_c, 72, "0.063")
    assert [m[0] for m in r.matches] == ["fisher"]


def test_published_2x2_fragilityindex():
    """R fragilityindex README (methods.md §3.5): 15/40 vs 6/40 Fisher p = 0.04060921."""
    r = A.audit_reported("37.5", 40, "15.0", 40, "0.041", tests=["fisher", "chi2"])
    assert r.verdict == "consistent"
    assert [m[0] for m in r.matches] == ["fisher"]               # Pearson gives 0.024: not 0.041
    assert r.matches[0][3] == pytest.approx(0.04060921, abs=1e-8)
    assert A.audit_reported("37.5", 40, "15.0", 40, "<0.05", tests=["fisher"]).verdict == "consistent"
    assert A.audit_reported("37.5", 40, "15.0", 40, "NS", tests=["fisher"]).verdict == "inconsistent"


def test_several_candidate_counts():
    # whole percentages with n = 400, half up: 37% -> 146..149, 30% -> 118..121 (the default "either" would
    # add the tie 150/400 = 37.5%); the p range spans all 16 pairs
    r = A.audit_reported("37", 400, "30", 400, "0.04", tests=["fisher"], rounding="half_up")
    assert r.k_t == (146, 147, 148, 149) and r.k_c == (118, 119, 120, 121)
    ps = [fisher_p(a, 400, c, 400) for a in r.k_t for c in r.k_c]
    assert r.p_range[0][1] == pytest.approx(min(ps), rel=1e-9)
    assert r.p_range[0][2] == pytest.approx(max(ps), rel=1e-9)
    inside = {(a, c) for a in r.k_t for c in r.k_c if 0.035 <= fisher_p(a, 400, c, 400) < 0.045}
    assert {(m[1], m[2]) for m in r.matches} == inside and inside
    assert len(r.to_frame()) == 16


def test_indeterminate_and_model_based():
    r = A.audit_reported("37", None, "5", None, "<0.001")
    assert r.verdict == "indeterminate" and r.grim_t is None and "unknown" in r.explanation
    r = A.audit_reported(None, 516, None, 509, "<0.001")
    assert r.verdict == "indeterminate" and "not printed" in r.explanation
    r = A.audit_reported("20.6", 624, "36.8", 623, "<.001", model_based=True)
    assert r.verdict == "indeterminate" and r.grim_t is False and "model-based" in r.explanation
    r = A.audit_reported("32.9", 79, "23.8", 21)                 # no p printed
    assert r.verdict == "consistent" and r.p_consistent is None and "no p-value" in r.explanation


def test_audit_result_object():
    r = A.audit_reported("37", 41, "5", 42, "<0.001")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.verdict = "x"
    assert list(r.to_frame().columns) == ["test", "k_t", "n_t", "k_c", "n_c", "pct_t", "pct_c", "p_value",
                                          "in_interval"]
    s = r.summary()
    assert "verdict: consistent" in s and "fisher" in s
    assert "<table" in r._repr_html_()
    assert isinstance(r, fmtrials.AuditResult)


def test_audit_reported_bad_input():
    with pytest.raises(DataError, match="tests"):
        A.audit_reported("37", 41, "5", 42, "<0.001", tests=["t"])
    with pytest.raises(DataError, match="p-value"):
        A.audit_reported("37", 41, "5", 42, "p < zero")
    with pytest.raises(DataError, match="above 100"):
        A.audit_reported("137", 41, "5", 42, "<0.001")
    with pytest.raises(DataError, match="n_t"):
        A.audit_reported("37", -1, "5", 42, "<0.001")


# ------------------------------------------------------------------------------------------------------------
# audit of whole tables
# ------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundled():
    return fmtrials.audit()


def test_audit_columns_and_every_row(bundled):
    assert list(bundled.columns) == list(A.AUDIT_COLUMNS)
    rep = fmtrials.load_reported()
    assert sorted(bundled["row"].unique()) == list(range(1, len(rep) + 1))
    assert set(bundled["verdict"]) <= {"consistent", "inconsistent", "indeterminate"}
    assert bundled["explanation"].str.len().min() > 10


def test_audit_seed_rows(bundled):
    a = bundled
    # seed 100 mg row: no phase III attribution is consistent
    assert (a.loc[a.row == 2, "verdict"] == "inconsistent").all()
    assert (a.loc[a.row == 3, "verdict"] == "inconsistent").all()
    got = {(int(n_t), int(n_c)) for n_t, n_c in zip(a.loc[a.row == 2, "n_t"], a.loc[a.row == 2, "n_c"])}
    assert {(399, 401), (401, 405), (224, 223), (516, 509)} <= got
    arnold = a[(a.row == 2) & (a.n_t == 516)].iloc[0]
    assert arnold["k_t"] == (131,) and arnold["k_c"] == (79,) and arnold["grim_t"] and arnold["grim_c"]
    assert arnold["p_fisher_min"] == pytest.approx(fisher_p(131, 516, 79, 509), rel=1e-9)
    assert arnold["p_chi2_min"] == pytest.approx(chi2_p(131, 516, 79, 509), rel=1e-9)
    assert arnold["p_consistent"] is False or arnold["p_consistent"] == False  # noqa: E712
    mease = a[(a.row == 2) & (a.n_t == 224)].iloc[0]
    assert mease["grim_c"] == False and mease["k_t"] == (57,)  # noqa: E712
    pooled = a[(a.row == 3) & (a.attribution_kind == "pooled")].iloc[0]
    assert (pooled["n_t"], pooled["n_c"]) == (837, 624)
    assert pooled["k_t"] == (225,) and pooled["k_c"] == (97,)
    assert pooled["p_chi2_min"] == pytest.approx(chi2_p(225, 837, 97, 624), rel=1e-9)
    assert (a.loc[a.row == 1, "verdict"] == "indeterminate").all()
    assert set(a.loc[a.row.isin([1, 2, 3]), "row_verdict"]) == {"indeterminate", "inconsistent"}


def test_audit_bateman_denominators(bundled):
    b = bundled[bundled["study"] == "Bateman2013"].set_index("n_t")
    assert b.loc[86, "verdict"] == "inconsistent" and b.loc[86, "grim_t"] == False  # noqa: E712
    assert b.loc[79, "verdict"] == "consistent" and b.loc[79, "k_t"] == (26,) and b.loc[79, "k_c"] == (5,)
    assert set(b["row_verdict"]) == {"consistent"}


def test_audit_subgroup_and_other_tests(bundled):
    sub = bundled[bundled["attribution_kind"] == "subgroup"]
    assert len(sub) >= 1 and (sub["verdict"] == "indeterminate").all() and sub["n_t"].isna().all()
    c13 = bundled[bundled["study"] == "Clauw2013"]
    if len(c13):  # printed p is a time-to-event test: percentages checked, p not
        assert c13["p_consistent"].isna().all() and (c13["verdict"] == "consistent").all()
    r = A.audit_reported("35", 100, "64", 50, "0.0004", p_other_test=True)
    assert r.verdict == "consistent" and r.p_consistent is None and r.p_range
    assert A.audit_reported("35", 100, "64", 50, "0.0004").verdict == "inconsistent"


def test_audit_custom_table_and_errors():
    arms = pd.read_csv(io.StringIO(
        "study,arm,treatment,dose_mg_day,n_randomized,n_randomized_alt,alt_source\n"
        "T1,placebo,placebo,0,42,,\nT1,drug,milnacipran,100,41,,\n"
        "T2,placebo,placebo,0,223,,\nT2,drug,milnacipran,100,224,,\n"))
    rep = pd.DataFrame({"study": [None, "T1"], "label": ["x", "y"], "endpoint": ["e", "e"],
                        "dose_mg_day": [100, 100], "percent_t": ["37", "37"], "percent_c": ["5", "5"],
                        "n_t": pd.array([pd.NA, pd.NA], dtype="Int64"),
                        "n_c": pd.array([pd.NA, pd.NA], dtype="Int64"), "p_reported": ["0.0003", "0.5"]})
    out = A.audit(rep, arms, trials=None, outcomes=pd.DataFrame(columns=["study", "arm", "endpoint", "n"]))
    first = out[out.row == 1].set_index("n_t")
    assert first.loc[41, "verdict"] == "consistent" and first.loc[224, "verdict"] == "inconsistent"
    assert first.loc[41, "row_verdict"] == "consistent"
    second = out[out.row == 2].iloc[0]
    assert second["verdict"] == "inconsistent" and second["p_interval"] == "[0.45, 0.55)"
    assert "fisher: 15/41 vs 2/42" in first.loc[41, "p_match"]
    bad = rep.assign(p_reported=["<0.001", "p is small"])
    with pytest.raises(DataError) as err:
        A.audit(bad, arms, trials=None, outcomes=None)
    assert err.value.problems[0].row == 2 and err.value.problems[0].column == "p_reported"


def test_package_attribute_is_the_function_after_submodule_import():
    importlib.import_module("fmtrials.consistency")
    assert callable(fmtrials.audit) and fmtrials.audit.__module__ == "fmtrials.consistency"
    out = fmtrials.audit()
    assert isinstance(out, pd.DataFrame) and len(out) > 0

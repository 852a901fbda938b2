"""Tests for fmtrials.consistency.granularity (and .percent): GRIM for printed percentages.

Oracles (outside this package):
* evidence.md §4 (hand arithmetic on the seed table) and §2;
* Python's ``decimal`` (ROUND_HALF_UP / ROUND_HALF_EVEN) and ``fractions.Fraction`` as independent rounding
  oracles (brute force over every count for small n; around both ends of the run for n up to 2**31 - 1);
* published GRIM examples: Brown & Heathers (2017) via the R package scrutiny's tests and vignette
  (https://github.com/lhdjung/scrutiny: tests/testthat/test-grim.R, vignettes/grim.Rmd), Wikipedia's dice
  example, The Economist (18 June 2016) on GRIM, the Python ``grim`` package README (PyPI).
"""

from __future__ import annotations

import importlib
import inspect
import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fmtrials import DataError

A = importlib.import_module("fmtrials.consistency")
G = importlib.import_module("fmtrials.consistency.granularity")


def ks(percent, n, **kw):
    """Admissible counts for one percentage and one n, as a list."""
    g = A.grim(percent, n, **kw)
    return [int(k) for k in g["events"].dropna()]


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
    223: (None, None, 60),
    224: (None, 57, None),
    441: (None, 112, None),
    401: (62, 102, 108),
    399: (62, None, None),
    396: (None, None, None),
    405: (None, 103, 109),
    509: (79, None, 137),
    516: (80, 131, 139),
    449: (None, 114, 121),
    435: (None, None, 117),
    624: (97, None, 168),
    623: (None, 158, None),
    837: (130, 213, 225),
}


@pytest.mark.parametrize("rounding", ["half_up", "either", "half_even"])
def test_evidence_section4_table(rounding):
    ns = list(EVIDENCE_TABLE)
    for j, pct in enumerate(("15.5", "25.4", "26.9")):
        g = A.grim_summary(pct, ns, rounding=rounding)
        for n, lo, hi, ok in zip(g["n"], g["events_min"], g["events_max"], g["consistent"]):
            want = EVIDENCE_TABLE[n][j]
            if want is None:
                assert not ok, (pct, n)
            else:
                assert ok and lo == hi == want, (pct, n, lo, hi)


def test_evidence_phase2_arithmetic():
    """evidence.md §4, phase II: n from 35 to 50, whole percentages, half-up rounding."""
    rng = list(range(35, 51))
    g37 = A.grim_summary("37", rng, rounding="half_up")
    assert list(g37.loc[g37.consistent, "n"]) == [35, 38, 41, 43, 46, 49]
    assert ks("37", 41) == [15] and ks("37", 43) == [16]
    assert ks("37", 40, rounding="half_up") == []  # "15/40 gives 38%"
    assert ks("37", 40, rounding="half_down") == [15]  # 37.5 exactly: a tie
    assert ks("37", 40) == [15]  # accepted by the charitable default
    g5 = A.grim_summary("5", rng, rounding="half_up")
    assert list(g5.loc[g5.consistent, "n"]) == list(range(37, 45))
    assert set(g5.loc[g5.consistent, "events_min"]) == {2}
    g14 = A.grim_summary("14", rng, rounding="half_up")
    ok = g14[g14.consistent]
    # evidence.md lists n = 35-37 (5) and 42-44 (6); 7/49 = 14.29% and 7/50 = 14.00% also give 14%
    # (checked here with decimal as an independent oracle): evidence.md's list is incomplete.
    assert list(ok["n"]) == [35, 36, 37, 42, 43, 44, 49, 50]
    assert list(ok["events_min"]) == [5, 5, 5, 6, 6, 6, 7, 7]
    for n, k in ((49, 7), (50, 7)):
        assert (Decimal(100 * k) / Decimal(n)).quantize(Decimal(1), ROUND_HALF_UP) == 14


def test_bateman_denominator():
    """evidence.md §2.6: 79 is the only n in 60..89 giving all four milnacipran percentages."""
    ns = np.arange(60, 90)
    ok = np.ones(ns.size, bool)
    for pct in ("32.9", "34.2", "29.1", "25.3"):
        ok &= A.grim_summary(pct, ns)["consistent"].to_numpy()
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
    g = A.grim_summary([str(v) for v in range(6, 17)], 50)
    assert list(g["consistent"]) == [True, False] * 5 + [True]


def test_scrutiny_test_suite_means_5_19_to_5_30():
    # scrutiny tests/testthat/test-grim.R: grim(seq(5.19, 5.30), 28) -> F F T F F F T F F F T F
    fractional = [str(v) for v in range(19, 31)]
    g = A.grim_summary(fractional, 28)
    assert list(g["consistent"]) == [False, False, True, False, False, False, True, False, False, False, True, False]


@pytest.mark.parametrize(
    "mean, n, possible, source",
    [
        ("5.27", 43, False, "scrutiny vignette: grim('5.27', 43) is FALSE"),
        ("3.48", 20, False, "Wikipedia 'GRIM test': 20 die rolls cannot average 3.48"),
        ("5.93", 49, False, "The Economist 2016 on Brown & Heathers: 49 participants, mean 5.93"),
        ("11.09", 21, False, "PyPI grim README: consistency_check('11.09', '21', ROUND_HALF_UP) is False"),
        ("4.71", 20, False, "Bauer & Francis 2021 via scrutiny vignette: 4.71 with 20/20 split"),
        ("4.71", 17, True, "Bauer & Francis 2021 via scrutiny vignette: 4.71 consistent with n = 17"),
    ],
)
def test_published_grim_examples(mean, n, possible, source):
    frac = mean.split(".")[1]
    assert bool(A.grim_summary(frac, n)["consistent"].iloc[0]) is possible, source


def test_scrutiny_vignette_percentages():
    # scrutiny vignette "Percentage conversion" inputs (32.5% of 438, 35.6% of 455, 21.7% of 501,
    # 39.3% of 516); the expected verdicts are hand-checked here with decimal as the oracle.
    pct, n = ["32.5", "35.6", "21.7", "39.3"], [438, 455, 501, 516]
    g = A.grim_summary(pct, n)
    for p, nn, ok in zip(pct, n, g["consistent"]):
        want = any(
            (Decimal(100 * k) / Decimal(nn)).quantize(Decimal("0.1"), ROUND_HALF_UP) == Decimal(p)
            for k in range(nn + 1)
        )
        assert ok == want
    assert list(g["consistent"]) == [False, True, False, True]


# ------------------------------------------------------------------------------------------------------------
# GRIM: properties against decimal as an independent oracle
# ------------------------------------------------------------------------------------------------------------


def _printed(k, n, d, mode):
    q = Decimal(1).scaleb(-d)
    return str((Decimal(100 * k) / Decimal(n)).quantize(q, mode))


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 3000),
    frac=st.floats(0, 1),
    d=st.integers(0, 3),
    rule=st.sampled_from([("half_up", ROUND_HALF_UP), ("half_even", ROUND_HALF_EVEN)]),
)
def test_grim_roundtrip_property(n, frac, d, rule):
    name, mode = rule
    k = int(round(frac * n))
    text = _printed(k, n, d, mode)
    cands = ks(text, n, rounding=name)
    assert k in cands
    assert cands == list(range(cands[0], cands[-1] + 1))
    for kk in (cands[0] - 1, cands[-1] + 1):  # the run is maximal
        if 0 <= kk <= n:
            assert _printed(kk, n, d, mode) != text
    for kk in cands:  # every candidate prints the same
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
    assert ks("0.0", 2001, rounding="half_up") == [0, 1]  # 1/2001 = 0.0499..%
    assert ks("100.0", 2001, rounding="half_up") == [2000, 2001]


def test_decimals_from_text_and_trailing_zeros():
    g = A.grim_summary(["25.4", "25.40", "37", "37%", ".5"], 224)
    assert list(g["decimals"]) == [1, 2, 0, 0, 1]
    assert list(g["consistent"][:2]) == [True, False]  # 57/224 = 25.446% prints 25.45, not 25.40
    # a number loses its trailing zero; decimals= restores it
    assert bool(A.grim_summary(25.40, 224)["consistent"][0])
    assert not bool(A.grim_summary(25.40, 224, decimals=2)["consistent"][0])
    assert bool(A.grim_summary(37.0, 41)["consistent"][0])  # read as "37"


def test_tidy_output_and_broadcasting():
    g = A.grim("37", [100, 41])
    assert list(g.columns) == ["input", "percent", "n", "decimals", "rounding", "events", "percent_exact", "consistent"]
    assert list(g["events"]) == [37, 15]
    assert np.allclose(g["percent_exact"], [37.0, 100 * 15 / 41])
    # 36.5% and 37.5% are both ties: half_up keeps 365..374, the default "either" also 375
    assert list(A.grim("37", 1000, rounding="half_up")["events"]) == list(range(365, 375))
    assert list(A.grim("37", 1000)["events"]) == list(range(365, 376))
    assert list(A.grim("37", 1000, rounding="half_down")["events"]) == list(range(366, 376))
    g2 = A.grim_summary([["15.5", "25.4"], ["26.9", "15.5"]], 401)
    assert list(g2["events_min"]) == [62, 102, 108, 62]
    assert g2["nearest"].iloc[0] is None
    g3 = A.grim_summary("15.5", 223)
    assert g3["nearest"].iloc[0] == "34/223 = 15.25%, 35/223 = 15.70%"


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(percent="abc", n=10), "cannot read"),
        (dict(percent="101", n=10), "above 100"),
        (dict(percent="-5", n=10), "cannot read"),
        (dict(percent=-5.0, n=10), "negative"),
        (dict(percent=None, n=10), "missing"),
        (dict(percent="25.45", n=10, decimals=1), "more than decimals"),
        (dict(percent="25", n=0), "arm size is 0"),
        (dict(percent="25", n=2.5), "non-integer"),
        (dict(percent="25", n=10, rounding="bankers"), "must be one of"),
        (dict(percent=["1", "2"], n=[1, 2, 3]), "broadcast"),
    ],
)
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
    g = A.grim_summary(pct, n)
    # every printed value was produced from a real count, so every one is possible (a tie printed by float
    # formatting either way is accepted by rounding="either"): the truth is exactly 100%
    assert bool(g["consistent"].all()), pct[~g["consistent"].to_numpy()][:5]


def test_rounding_and_size_arguments():
    assert ks("13", 8, rounding="HALF_UP") == [1]  # letter case ignored
    assert set(A.grim("37", 40, rounding="Half_Even")["rounding"]) == {"half_even"}
    with pytest.raises(DataError) as err:
        A.grim("37", 40, rounding="up")
    assert err.value.problems[0].column == "rounding"
    with pytest.raises(TypeError):
        A.grim("37", 40, 1)  # decimals is keyword-only
    with pytest.raises(DataError, match="grim_summary"):
        A.grim("50", 2**31 - 1)  # 21 million rows: refused, not built
    g = A.grim_summary("50", 2**31 - 1)
    assert int(g["n_candidates"][0]) == 1084479241 - 1063004406 + 1  # ceil(.495 n) .. floor(.505 n)
    assert bool(g["consistent"][0])


def test_admissible_counts_keeps_the_input_shape():
    lo, hi = G._admissible_counts([["15.5", "37"], ["15.5", "5"]], [[223], [401]], rounding="half_up")
    assert lo.shape == hi.shape == (2, 2)
    assert lo.tolist() == [[35, 82], [62, 19]] and hi.tolist() == [[34, 83], [62, 22]]
    assert (lo > hi).tolist() == [[True, False], [False, False]]


# ------------------------------------------------------------------------------------------------------------
# GRIM: exact for every n up to 2**31 - 1 and every number of decimals (Fraction as the oracle)
# ------------------------------------------------------------------------------------------------------------

RULES = ("either", "half_up", "half_even", "half_down")


def _prints_as(k, n, num, d, rule):
    """Whether k/n, as a percentage rounded to d decimals by ``rule``, prints as num / 10**d (exact)."""
    x = Fraction(100 * k * 10**d, n)  # the exact percentage, in units of 10**-d
    if rule == "either":
        return abs(x - num) <= Fraction(1, 2)
    if rule == "half_up":
        return math.floor(x + Fraction(1, 2)) == num
    if rule == "half_down":
        return math.ceil(x - Fraction(1, 2)) == num
    return round(x) == num  # Fraction rounds half to even


def _oracle_run(n, num, d, rule):
    """(min, max) admissible count, or None, from the Fraction predicate alone.

    For n up to a few thousand every k is tried. For larger n: 100 k / n grows with k and every rounding rule
    is monotone, so the admissible counts are one run, and it contains k0 = the largest k with 100 k / n <= P
    or k0 + 1 whenever it is not empty; its ends are then found by bisection on the predicate.
    """
    if n <= 3000:
        ok = [k for k in range(n + 1) if _prints_as(k, n, num, d, rule)]
        return (ok[0], ok[-1]) if ok else None
    k0 = (num * n) // (100 * 10**d)  # floor of n P / 100, exactly
    start = next((k for k in (k0, k0 + 1) if 0 <= k <= n and _prints_as(k, n, num, d, rule)), None)
    if start is None:
        return None
    lo_out, lo_in = -1, start  # predicate false at lo_out, true at lo_in
    while lo_in - lo_out > 1:
        mid = (lo_in + lo_out) // 2
        lo_out, lo_in = (lo_out, mid) if _prints_as(mid, n, num, d, rule) else (mid, lo_in)
    hi_in, hi_out = start, n + 1
    while hi_out - hi_in > 1:
        mid = (hi_in + hi_out) // 2
        hi_in, hi_out = (mid, hi_out) if _prints_as(mid, n, num, d, rule) else (hi_in, mid)
    return lo_in, hi_in


def _check_against_oracle(n, num, d, rule):
    text = str(Decimal(num).scaleb(-d))
    if "E" in text:  # Decimal writes 0 at d decimals as 0E-9
        text = f"{Decimal(num).scaleb(-d):.{d}f}"
    g = A.grim_summary(text, n, decimals=d, rounding=rule)
    lo, hi = int(g["events_min"][0]), int(g["events_max"][0])
    want = _oracle_run(n, num, d, rule)
    assert bool(g["consistent"][0]) is (want is not None), (n, text, rule)
    if want is not None:
        assert (lo, hi) == want, (n, text, rule)
    for k in {lo - 1, lo, lo + 1, hi - 1, hi, hi + 1}:  # every count around both ends, directly
        if 0 <= k <= n:
            assert _prints_as(k, n, num, d, rule) is (lo <= k <= hi), (n, text, rule, k)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("d", range(10))
def test_grim_exact_for_big_n(rule, d):
    """n in [10**8, 2**31 - 1]: n (2 P + 1) leaves int64 at 8-9 decimals; the bounds must stay exact."""
    rng = np.random.default_rng(1000 * d + RULES.index(rule))
    ns = [int(v) for v in rng.integers(10**8, 2**31, 6)] + [2**31 - 1, 2**31 - 2, 10**8]
    for n in ns:
        k = int(rng.integers(0, n + 1))
        printed = math.floor(Fraction(100 * k * 10**d, n) + Fraction(1, 2))  # a value k/n really prints as
        for num in {
            printed,
            max(printed - 1, 0),
            min(printed + 1, 100 * 10**d),
            int(rng.integers(0, 100 * 10**d + 1)),
            0,
            100 * 10**d,
        }:
            _check_against_oracle(n, num, d, rule)


@pytest.mark.parametrize("rule", RULES)
def test_grim_exact_ties_for_big_n(rule):
    """n = 2**30: k = 2**(27 - d) j with j odd puts 100 k / n exactly halfway between two printed values."""
    n = 2**30
    rng = np.random.default_rng(7)
    for d in range(10):
        for _ in range(3):
            j = 2 * int(rng.integers(0, 2 ** (d + 2))) + 1
            k = 2 ** (27 - d) * j
            x = Fraction(100 * k * 10**d, n)
            assert x.denominator == 2  # an exact tie
            for num in (math.floor(x), math.ceil(x)):
                _check_against_oracle(n, num, d, rule)


def test_grim_big_n_regression():
    # n (2 P + 1) = 2147483647 * 99999999955 overflows int64: the old code gave events_max = -33062821 for
    # "49.999999977" and called it impossible, though 1073741823 / 2147483647 = 49.9999999767...%
    g = A.grim_summary(["49.999999977", "50.000000000"], 2**31 - 1)
    assert (int(g["events_min"][0]), int(g["events_max"][0])) == (1073741823, 1073741823)
    assert list(g["consistent"]) == [True, False]  # 50% exactly: n is odd
    assert f"{Decimal(100 * 1073741823) / Decimal(2**31 - 1):.9f}" == "49.999999977"
    assert g["nearest"][1] == "1073741823/2147483647 = 49.9999999767%, 1073741824/2147483647 = 50.0000000233%"


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 2000),
    frac=st.floats(0, 1),
    d=st.integers(0, 9),
    shift=st.integers(-2, 2),
    rule=st.sampled_from(RULES),
)
def test_grim_admissible_counts_are_exactly_those_that_print_the_value(n, frac, d, shift, rule):
    """Property: grim's counts are exactly the k in [0, n] whose rounded percentage is the printed one."""
    k = int(round(frac * n))
    num = min(max(math.floor(Fraction(100 * k * 10**d, n) + Fraction(1, 2)) + shift, 0), 100 * 10**d)
    text = f"{Decimal(num).scaleb(-d):.{d}f}"
    got = ks(text, n, rounding=rule)
    assert got == [kk for kk in range(n + 1) if _prints_as(kk, n, num, d, rule)]


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(10**8, 2**31 - 1),
    frac=st.fractions(0, 1),
    d=st.integers(0, 9),
    shift=st.integers(-1, 1),
    rule=st.sampled_from(RULES),
)
def test_grim_big_n_property(n, frac, d, shift, rule):
    k = math.floor(frac * n)
    num = min(max(math.floor(Fraction(100 * k * 10**d, n) + Fraction(1, 2)) + shift, 0), 100 * 10**d)
    _check_against_oracle(n, num, d, rule)


def test_grim_returns_one_frame_shape_and_expand_is_deprecated():
    """grim() is one row per admissible count, grim_summary() one row per input, whatever the options;
    expand= still works for one release, with a DeprecationWarning."""
    tidy_cols = ["input", "percent", "n", "decimals", "rounding", "events", "percent_exact", "consistent"]
    summary_cols = [
        "input", "percent", "n", "decimals", "rounding", "events_min", "events_max", "n_candidates", "consistent",
        "nearest",
    ]  # fmt: skip
    assert list(A.grim("37", [40, 41]).columns) == tidy_cols
    assert list(A.grim_summary("37", [40, 41]).columns) == summary_cols
    assert "expand" not in inspect.signature(A.grim_summary).parameters
    # 37% of 40..43 (half up): counts by brute force over k in [0, n], Decimal rounding half up
    for n in range(40, 44):
        brute = [k for k in range(n + 1) if (Decimal(100 * k) / n).quantize(Decimal(1), ROUND_HALF_UP) == 37]
        g = A.grim("37", n, rounding="half_up")
        assert [int(k) for k in g["events"].dropna()] == brute
        row = A.grim_summary("37", n, rounding="half_up").iloc[0]
        assert (bool(row["consistent"]), int(row["n_candidates"])) == (bool(brute), len(brute))
        if brute:
            assert (int(row["events_min"]), int(row["events_max"])) == (brute[0], brute[-1])
    with pytest.warns(DeprecationWarning, match="grim_summary"):
        old = A.grim("15.5", [223, 401], expand=False)
    pd.testing.assert_frame_equal(old, A.grim_summary("15.5", [223, 401]))
    with pytest.warns(DeprecationWarning):
        old = A.grim("15.5", [223, 401], expand=True)
    pd.testing.assert_frame_equal(old, A.grim("15.5", [223, 401]))

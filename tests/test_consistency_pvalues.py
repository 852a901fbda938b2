"""Tests for fmtrials.consistency.pvalues: what a printed p allows, and how a recomputed p is printed.

Oracles: statcheck's own classification tests (MicheleNuijten/statcheck, tests/testthat/test-error.R) for
reading printed p-values, with scipy for the p of each printed statistic.
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fmtrials import DataError

A = importlib.import_module("fmtrials.consistency")
P = importlib.import_module("fmtrials.consistency.pvalues")


# ------------------------------------------------------------------------------------------------------------
# printed p-values
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, lo, hi, lo_closed, hi_closed",
    [
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
    ],
)
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
    df = A.parse_p_many(["0.01", "<.001", "NS"])
    assert list(df["interval"]) == ["[0.005, 0.015)", "[0, 0.001)", "[0.05, 1]"]
    assert list(df["relation"]) == ["=", "<", "ns"]
    for bad in ["abc", "1.5", "<0", ">1", "p", "", "0,05", None, float("nan"), "p < 0.001 (BOCF)"]:
        with pytest.raises(DataError):
            A.parse_p(bad)
    with pytest.raises(DataError) as err:
        A.parse_p_many(["0.01", "x", None])
    assert [("position 1" in p.message, "position 2" in p.message) for p in err.value.problems] == [
        (True, False),
        (False, True),
    ]


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
    h = 0.5 * 10**-dec
    x = abs(float(stat))
    sf = {
        "t": lambda v: 2 * stats.t.sf(v, df),
        "z": lambda v: 2 * stats.norm.sf(v),
        "chi2": lambda v: stats.chi2.sf(v, df),
    }[dist]
    p_lo, p_hi = sf(x + h), sf(x - h)
    grid = np.linspace(p_lo, p_hi, 2001)
    consistent = bool(np.any(A.parse_p(ptext).contains(grid)))
    assert consistent is (not is_error)


@pytest.mark.parametrize(
    "p, printed, want",
    [
        (0.012, "0.01", "0.012"),  # format_p's rule: 3 decimals
        (0.00028, "<0.001", "0.0003"),  # 4 decimals below 0.001
        (2e-7, "0.01", "<0.0001"),  # "<0.0001" is unambiguous: all of [0, 1e-4) is outside [0.005, 0.015)
        (2e-7, "<0.001", "<0.0001"),  # ... or all inside [0, 0.001)
        (0.0449996, "0.05", "0.0449996"),  # "0.045" would read as inside [0.045, 0.055)
        (3e-5, "2e-5", "0.00003"),  # "<0.0001" would not say whether p is in [1.5e-05, 2.5e-05)
        (2e-5, "2e-5", "0.00002"),
    ],
)
def test_explain_p_goes_through_format_p_unless_ambiguous(p, printed, want):
    pint = A.parse_p(printed)
    got = P.explain_p(p, pint)
    assert got == want
    if not got.startswith("<"):
        assert pint.contains(float(got)) == pint.contains(p)


def test_parse_p_returns_one_type_and_a_sequence_is_deprecated():
    """parse_p is a PInterval for every input it reads; several printed p go to parse_p_many (a DataFrame, also
    for one string); a sequence given to parse_p still works for one release, with a DeprecationWarning."""
    for one in ("0.01", 0.01, np.float64(0.01), "NS", "<.001"):
        assert isinstance(A.parse_p(one), A.PInterval)
    one = A.parse_p_many("0.01")
    assert isinstance(one, pd.DataFrame) and len(one) == 1
    # the printed 0.01 allows [0.005, 0.015): half a unit of the last printed place either side, by hand
    assert (one["lower"][0], one["upper"][0], one["lower_closed"][0], one["upper_closed"][0]) == (
        0.005,
        0.015,
        True,
        False,
    )
    with pytest.warns(DeprecationWarning, match="parse_p_many"):
        old = A.parse_p(["0.01", "NS"])
    pd.testing.assert_frame_equal(old, A.parse_p_many(["0.01", "NS"]))

"""Tests for fmtrials.consistency.reported: audit_reported and AuditResult.

Oracles (outside this package):
* evidence.md §4 (hand arithmetic on the seed table);
* scipy.stats (fisher_exact, chi2_contingency) for every recomputed p-value;
* published 2x2 p-values: contingencytables (Fagerland, Lydersen & Laake) for (0/16 vs 15/72) and the R
  ``fragilityindex`` README for 15/40 vs 6/40 (both in methods.md §3.4-3.5).
"""

from __future__ import annotations

import dataclasses
import importlib

import pytest
from scipy import stats

import fmtrials
from fmtrials import DataError

A = importlib.import_module("fmtrials.consistency")


def ks(percent, n, **kw):
    """Admissible counts for one percentage and one n, as a list."""
    return [int(k) for k in A.grim(percent, n, **kw)["events"].dropna()]


def fisher_p(a, n1, c, n2):
    return stats.fisher_exact([[a, n1 - a], [c, n2 - c]])[1]


def chi2_p(a, n1, c, n2, correction=False):
    return stats.chi2_contingency([[a, n1 - a], [c, n2 - c]], correction=correction)[1]


# ------------------------------------------------------------------------------------------------------------
# audit_reported
# ------------------------------------------------------------------------------------------------------------


def test_evidence_fisher_example_phase2():
    """evidence.md §4: Fisher 15/41 vs 2/42 p ~ 0.0003 fits '<0.001'; 15/41 vs 6/42 p ~ 0.02."""
    r = A.audit_reported("37", 41, "5", 42, "<0.001")
    assert r.verdict == "consistent" and r.events_t == (15,) and r.events_c == (2,)
    fr = r.to_frame().set_index("test")
    assert fr.loc["fisher", "p_value"] == pytest.approx(fisher_p(15, 41, 2, 42), rel=1e-9)
    assert fr.loc["fisher", "p_value"] == pytest.approx(0.0003, abs=0.00005)
    assert fr.loc["chi2", "p_value"] == pytest.approx(chi2_p(15, 41, 2, 42), rel=1e-9)
    assert fr.loc["yates", "p_value"] == pytest.approx(chi2_p(15, 41, 2, 42, True), rel=1e-9)
    r6 = A.audit_reported("37", 41, "14", 42, "0.02", test=["fisher"])
    assert r6.events_c == (6,)
    assert r6.p_range[0][1] == pytest.approx(fisher_p(15, 41, 6, 42), rel=1e-9)
    assert r6.verdict == "consistent"
    assert A.audit_reported("37", 41, "14", 42, "<0.001").verdict == "inconsistent"


def test_evidence_phase3_z_tests():
    """evidence.md §4: 102/401 vs 62/401 p ~ 0.0005; 108/401 vs 62/401 p ~ 0.00007; 57/224 vs 35/223 ~ 0.011."""
    r = A.audit_reported("25.4", 401, "15.5", 401, "0.01", test=["chi2"])
    assert r.p_range[0][1] == pytest.approx(chi2_p(102, 401, 62, 401), rel=1e-9)
    assert r.p_range[0][1] == pytest.approx(0.0005, abs=0.0001)
    assert r.verdict == "inconsistent" and r.grim_t and r.grim_c and r.p_consistent is False
    r = A.audit_reported("26.9", 401, "15.5", 401, "0.02", test=["chi2"])
    assert r.p_range[0][1] == pytest.approx(0.00007, abs=0.00002)
    assert r.verdict == "inconsistent"
    # 57/224 (25.4%) vs 35/223 (15.7%): p ~ 0.011 -> a printed 0.01 is reproducible
    r = A.audit_reported("25.4", 224, "15.7", 223, "0.01", test=["chi2"])
    assert r.verdict == "consistent" and r.matches[0][1:3] == (57, 35)
    assert r.matches[0][3] == pytest.approx(chi2_p(57, 224, 35, 223), rel=1e-9)


def test_seed_rows_with_published_arm_sizes():
    r = A.audit_reported("25.4", 224, "15.5", 223, "0.01")  # Mease 2009 100 mg
    assert r.verdict == "inconsistent" and r.grim_c is False and "15.5% is impossible with n = 223" in r.explanation
    r = A.audit_reported("26.9", 441, "15.5", 223, "0.02")  # Mease 2009 200 mg
    assert r.grim_t is False and r.grim_c is False


def test_published_2x2_contingencytables():
    """contingencytables (methods.md §3.4): 0/16 vs 15/72, Fisher 0.06287, Yates 0.1016."""
    pct_c = "20.8"  # 15/72 = 20.83%
    assert ks(pct_c, 72) == [15]
    r = A.audit_reported("0", 16, pct_c, 72, "0.063", test=["fisher"])
    assert r.verdict == "consistent" and r.matches[0][3] == pytest.approx(0.06287, abs=5e-6)
    assert A.audit_reported("0", 16, pct_c, 72, "0.10", test=["yates"]).verdict == "consistent"
    assert A.audit_reported("0", 16, pct_c, 72, "0.063", test=["yates"]).verdict == "inconsistent"
    r = A.audit_reported("0", 16, pct_c, 72, "0.063")
    assert [m[0] for m in r.matches] == ["fisher"]


def test_published_2x2_fragilityindex():
    """R fragilityindex README (methods.md §3.5): 15/40 vs 6/40 Fisher p = 0.04060921."""
    r = A.audit_reported("37.5", 40, "15.0", 40, "0.041", test=["fisher", "chi2"])
    assert r.verdict == "consistent"
    assert [m[0] for m in r.matches] == ["fisher"]  # Pearson gives 0.024: not 0.041
    assert r.matches[0][3] == pytest.approx(0.04060921, abs=1e-8)
    assert A.audit_reported("37.5", 40, "15.0", 40, "<0.05", test=["fisher"]).verdict == "consistent"
    assert A.audit_reported("37.5", 40, "15.0", 40, "NS", test=["fisher"]).verdict == "inconsistent"


def test_several_candidate_counts():
    # whole percentages with n = 400, half up: 37% -> 146..149, 30% -> 118..121 (the default "either" would
    # add the tie 150/400 = 37.5%); the p range spans all 16 pairs
    r = A.audit_reported("37", 400, "30", 400, "0.04", test=["fisher"], rounding="half_up")
    assert r.events_t == (146, 147, 148, 149) and r.events_c == (118, 119, 120, 121)
    ps = [fisher_p(a, 400, c, 400) for a in r.events_t for c in r.events_c]
    assert r.p_range[0][1] == pytest.approx(min(ps), rel=1e-9)
    assert r.p_range[0][2] == pytest.approx(max(ps), rel=1e-9)
    inside = {(a, c) for a in r.events_t for c in r.events_c if 0.035 <= fisher_p(a, 400, c, 400) < 0.045}
    assert {(m[1], m[2]) for m in r.matches} == inside and inside
    assert len(r.to_frame()) == 16


def test_indeterminate_and_model_based():
    r = A.audit_reported("37", None, "5", None, "<0.001")
    assert r.verdict == "indeterminate" and r.grim_t is None and "unknown" in r.explanation
    r = A.audit_reported(None, 516, None, 509, "<0.001")
    assert r.verdict == "indeterminate" and "not printed" in r.explanation
    r = A.audit_reported("20.6", 624, "36.8", 623, "<.001", model_based=True)
    assert r.verdict == "indeterminate" and r.grim_t is False and "model-based" in r.explanation
    r = A.audit_reported("32.9", 79, "23.8", 21)  # no p printed
    assert r.verdict == "consistent" and r.p_consistent is None and "no p-value" in r.explanation


def test_audit_result_object():
    r = A.audit_reported("37", 41, "5", 42, "<0.001")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.verdict = "x"
    assert list(r.to_frame().columns) == [
        "test",
        "events_t",
        "n_t",
        "events_c",
        "n_c",
        "percent_exact_t",
        "percent_exact_c",
        "p_value",
        "in_interval",
    ]
    s = r.summary()
    assert "verdict: consistent" in s and "fisher" in s
    assert "<table" in r._repr_html_()
    assert isinstance(r, fmtrials.AuditResult)


def test_audit_reported_bad_input():
    with pytest.raises(DataError, match="test"):
        A.audit_reported("37", 41, "5", 42, "<0.001", test=["t"])
    with pytest.raises(DataError, match="p-value"):
        A.audit_reported("37", 41, "5", 42, "p < zero")
    with pytest.raises(DataError, match="above 100"):
        A.audit_reported("137", 41, "5", 42, "<0.001")
    with pytest.raises(DataError, match="n_t"):
        A.audit_reported("37", -1, "5", 42, "<0.001")


def test_test_argument_one_name_or_several_any_case():
    one = A.audit_reported("37", 41, "5", 42, "<0.001", test="FISHER")
    assert one.tests == ("fisher",) and [t for t, _, _ in one.p_range] == ["fisher"]
    two = A.audit_reported("37", 41, "5", 42, "<0.001", test=("Fisher", "chi2", "fisher"))
    assert two.tests == ("fisher", "chi2")
    assert two.p_range[1][1] == pytest.approx(chi2_p(15, 41, 2, 42), rel=1e-9)
    assert A.audit_reported("37", 41, "5", 42, "<0.001", rounding="HALF_UP").rounding == "half_up"
    for bad in ("barnard", "t", [], ["fisher", 3]):
        with pytest.raises(DataError) as err:
            A.audit_reported("37", 41, "5", 42, "<0.001", test=bad)
        assert err.value.problems[0].column == "test"
    with pytest.raises(TypeError):
        A.audit_reported("37", 41, "5", 42, "<0.001", "fisher")  # options are keyword-only


@pytest.mark.parametrize("n", [0, 2**31, 2.5, True, "41"])
def test_arm_sizes_are_checked(n):
    with pytest.raises(DataError) as err:
        A.audit_reported("37", n, "5", 42, "<0.001")
    assert err.value.problems[0].column == "n_t"


def test_explanation_prints_p_through_format_p():
    r = A.audit_reported("25.4", 516, "15.5", 509, "0.01")  # Arnold 2010 sizes: p ~ 1e-4
    assert r.verdict == "inconsistent"
    # every test's p lies below 0.0001 or just above: "<0.0001 to 0.0001" would say nothing, so two significant
    # digits; the span is that of scipy's tests over the admissible counts 131/516 vs 79/509 (the only pair)
    t = [[131, 516 - 131], [79, 509 - 79]]
    ps = [stats.chi2_contingency(t, correction=c)[1] for c in (False, True)] + [stats.fisher_exact(t)[1]]
    assert f"{min(ps):.2g}" == "9.1e-05" and f"{max(ps):.2g}" == "0.00013"
    assert "give p from 0.000091 to 0.00013, outside printed p 0.01 [0.005, 0.015)" in r.explanation
    assert "0.0001" in r.summary() and "e-0" not in r.summary()

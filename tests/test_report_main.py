"""The report's first section (numbers: fmtrials.analysis.headline; display: fmtrials.report.main_results):
pooled rows against R metafor (tests/r/main_results_reference.R), NNT labels and summary numbers written out by
hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import fmtrials
from fmtrials.analysis import headline as H
from fmtrials.report import main_results as M

REF = json.loads((Path(__file__).parent / "data" / "main_results_reference.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def everything():
    return fmtrials.analyse()


def _case(endpoint: str, measure: str) -> dict:
    return next(c for c in REF["cases"] if c["endpoint"] == endpoint and c["measure"] == measure)


def _mh_by_hand(t, measure: str) -> tuple[float, float, float]:
    """Mantel–Haenszel RD (Sato, Greenland & Robins 1989 variance) or RR (Greenland & Robins 1985), written out."""
    a, n1, c, n2 = (t[k].to_numpy(float) for k in ("events_t", "n_t", "events_c", "n_c"))
    n, z = n1 + n2, 1.959963984540054
    if measure == "RD":
        w = n1 * n2 / n
        est = (a * n2 / n - c * n1 / n).sum() / w.sum()
        p = (n1**2 * c - n2**2 * a + n1 * n2 * (n2 - n1) / 2) / n**2
        q = (a * (n2 - c) + c * (n1 - a)) / (2 * n)
        se = math.sqrt((est * p.sum() + q.sum()) / w.sum() ** 2)
        return est, est - z * se, est + z * se
    r, s_ = a * n2 / n, c * n1 / n
    v = (n1 * n2 * (a + c) - a * c * n) / n**2
    est = r.sum() / s_.sum()
    se = math.sqrt(v.sum() / (r.sum() * s_.sum()))
    return est, est * math.exp(-z * se), est * math.exp(z * se)


@pytest.mark.parametrize("endpoint", ["nausea", "pgic"])
def test_pooled_rows_match_metafor(everything, endpoint):
    """k >= 3 (nausea): the REML + HKSJ main model against metafor; k = 2 (pgic): the small-k rule's
    Mantel–Haenszel model against the formulas written out."""
    from fmtrials.analysis.policy import main_model_for
    from fmtrials.meta import pool

    ea = everything[endpoint]
    model = main_model_for(len(ea.pooled_table))
    assert model.method == ("MH" if endpoint == "pgic" else "REML")
    expected = {}
    for measure in ("RD", "RR"):
        got = pool(ea.pooled_table, measure=measure, method=model.method, test=model.test, warn_shared=False)
        if model.method == "MH":
            expected[measure] = _mh_by_hand(ea.pooled_table, measure)
        else:
            ref = _case(endpoint, measure)
            back = (lambda v: v) if measure == "RD" else math.exp
            assert got.k == ref["k"]
            assert got.p_value == pytest.approx(ref["p_value"], rel=1e-6)
            expected[measure] = tuple(back(ref[k]) for k in ("estimate", "ci_low", "ci_high"))
        assert (got.estimate, got.ci_low, got.ci_high) == pytest.approx(expected[measure], rel=1e-7, abs=1e-9)
    row = next(r for r in M.pooled_rows(H.pooled_numbers([ea], 0.05)) if r["Endpoint"].startswith(endpoint + " — "))
    rd, rr = expected["RD"], expected["RR"]
    assert row["Pooled RD, points (95% CI)"] == f"{100 * rd[0]:.1f} [{100 * rd[1]:.1f}, {100 * rd[2]:.1f}]"
    assert row["Pooled RR (95% CI)"] == f"{rr[0]:.2f} [{rr[1]:.2f}, {rr[2]:.2f}]"


def test_pooled_nnt_labels_by_hand(everything):
    rows = {
        r["Endpoint"].split(" — ")[0]: r
        for r in M.pooled_rows(H.pooled_numbers([everything["nausea"], everything["pgic"]], 0.05))
    }
    rd = _case("nausea", "RD")
    # harmful, interval above zero: NNTH 1/RD with 1/upper to 1/lower
    assert rows["nausea"]["NNT (95% CI)"] == (
        f"NNTH {1 / rd['estimate']:.1f} ({1 / rd['ci_high']:.1f} to {1 / rd['ci_low']:.1f})"
    )
    est, lo, hi = _mh_by_hand(everything["pgic"].pooled_table, "RD")  # k = 2: Mantel–Haenszel (small-k rule)
    # beneficial, interval above zero under MH: NNTB 1/RD with 1/upper to 1/lower
    assert lo > 0 and rows["pgic"]["NNT (95% CI)"] == f"NNTB {1 / est:.1f} ({1 / hi:.1f} to {1 / lo:.1f})"
    # one trial only: no pooled row
    assert "composite_3" not in rows and not H.pooled_numbers([everything["composite_3"]], 0.05)


def test_seed_summary_counts_and_ranges_by_hand():
    """The joint attribution count and implied range are checked by brute force in test_joint_attribution.py;
    here: the sentence names every reachable scenario and says the Phase II row has no arm sizes."""
    r = fmtrials.reanalyse_reported()
    seed = r[(r["source"] == "SEED003") & r["status"].notna()]
    text = " ".join(M.seed_summary(seed))
    assert "Clauw2008, mixed sizes (placebo 401, 100 mg/day 401, 200 mg/day 401)" in text
    assert "pooled Clauw2008+Mease2009 (placebo 624, 100 mg/day 623, 200 mg/day 837)" in text
    assert "Arnold2010 (placebo 509, 100 mg/day 516, 200 mg/day no arm) gives the Phase III 100 mg/day row" in text
    assert "(131/516 vs 79/509)" in text and "it has no 200 mg/day arm" in text
    assert "only the printed difference (32.0 points)" in text


def test_benefit_risk_none_without_the_composite(everything):
    c = everything.compared
    assert M.benefit_risk_sentence(c[c.endpoint != "composite_3"]) is None
    line = M.benefit_risk_sentence(c)
    assert line.startswith("Benefit against risk in Arnold2010") and "for nausea (189/516 vs 106/509" in line
    h = H.headline_numbers(everything, fmtrials.load_outcomes())
    assert list(h.frame["endpoint"].drop_duplicates())[-2:] == ["nausea", "ae_withdrawal"]
    # the section's line adds ae_withdrawal, which the default analysis leaves out and the headline analyses
    with_withdrawal = M.main_tables(h)["benefit_risk"]
    assert with_withdrawal.startswith(line.split(". NNT from")[0] + "; ")
    assert "withdrawal for adverse" in with_withdrawal

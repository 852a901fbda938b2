"""Benefit-risk, summary of findings and what_it_means: hand arithmetic on the bundled data and rule checks."""

import numpy as np
import pandas as pd
import pytest
from scipy import special

import fmtrials
from fmtrials import DataError, benefit_risk, summary_of_findings
from fmtrials.decision.balance import lhh_fieller
from fmtrials.decision.sof import load_judgements, optimal_information_size


@pytest.fixture(scope="module")
def analysis():
    return fmtrials.analyse()


def test_benefit_risk_by_hand():
    br = benefit_risk(harms=["nausea"])
    t = br[br["level"] == "trial"].iloc[0]
    # Arnold 2010: composite 103/516 vs 56/509, nausea 189/516 vs 106/509
    rd_b, rd_h = 103 / 516 - 56 / 509, 189 / 516 - 106 / 509
    assert t["rd_benefit"] == pytest.approx(rd_b, rel=1e-12)
    assert t["nnt"] == pytest.approx(1 / rd_b, rel=1e-12) and t["nnh"] == pytest.approx(1 / rd_h, rel=1e-12)
    assert t["lhh"] == pytest.approx((1 / rd_h) / (1 / rd_b), rel=1e-12)
    # Fieller bounds solve (b - L h)² = z² (vb + L² vh) exactly
    z = -special.ndtri(0.025)
    vb = (103 / 516) * (413 / 516) / 516 + (56 / 509) * (453 / 509) / 509
    vh = (189 / 516) * (327 / 516) / 516 + (106 / 509) * (403 / 509) / 509
    for L in (t["lhh_low"], t["lhh_high"]):
        assert (rd_b - L * rd_h) ** 2 == pytest.approx(z**2 * (vb + L**2 * vh), rel=1e-9)
    assert t["lhh_low"] < t["lhh"] < t["lhh_high"]
    assert t["status_harm"] == "reported / reported"


def test_fieller_undefined_cases():
    lhh, lo, hi = lhh_fieller([0.1, -0.1, 0.1], [0.02] * 3, [0.01, 0.05, 0.05], [0.01, 0.01, 0.01], [1.96] * 3)
    # harm not significant: no bounded interval; benefit negative: no LHH
    assert np.isfinite(lhh[0]) and np.isnan(lo[0]) and np.isnan(hi[0])
    assert np.isnan(lhh[1]) and np.isfinite(lhh[2])


def test_benefit_risk_bad_input():
    with pytest.raises(DataError, match="harms"):
        benefit_risk(harms=[])
    with pytest.raises(DataError, match="endpoint"):
        benefit_risk(benefit="no_such_endpoint")


def test_oi_size_by_hand():
    # n per arm = (1.959964 + 0.841621)² (0.2 x 0.8 + 0.15 x 0.85) / 0.05² = 902.6...
    z = 1.959963984540054 + 0.8416212335729143
    assert optimal_information_size(0.2) == pytest.approx(2 * z**2 * 0.2875 / 0.0025, rel=1e-12)


def test_sof_rules(analysis):
    sof = summary_of_findings(analysis).set_index("endpoint")
    comp = sof.loc["composite_3"]
    assert comp["participants"] == 516 + 509 and comp["trials"] == 1
    # judged risk of bias (efficacy) -1; one trial: inconsistency not assessed; 1025 < OIS -> imprecision -1
    assert (comp["risk_of_bias"], comp["inconsistency"], comp["imprecision"]) == (-1, 0, -1)
    assert comp["certainty"] == "low"
    assert comp["assumed_per_1000"] == pytest.approx(1000 * 56 / 509, rel=1e-12)
    assert comp["corresponding_per_1000"] == pytest.approx(1000 * 56 / 509 * comp["estimate"], rel=1e-12)
    # nausea: placebo arms counted once (Mease 2009's placebo serves both doses)
    assert sof.loc["nausea", "participants"] == 224 + 441 + 223 + 516 + 509 + 85 + 21
    # pgic, k = 2: the small-k rule's Mantel–Haenszel main model, CI 1.34 to 1.91 excludes no effect, so
    # imprecision is -1 for the information size alone (1125 < OIS 1375), not -2
    pgic = sof.loc["pgic"]
    assert pgic["ci_low"] > 1 and pgic["participants"] == 1125
    assert "optimal information size 1375" in pgic["explanation"]
    assert pgic["imprecision"] == -1 and pgic["certainty"] == "low"
    # corresponding risks never exceed 1000 per 1000
    assert (sof["corresponding_per_1000_high"] <= 1000).all()
    assert all("k = " in x and "< 10" in x for x in sof["explanation"])


def test_sof_threshold_and_judgement_override(analysis, tmp_path):
    base = summary_of_findings(analysis, endpoints=["nausea"])
    assert base["imprecision"].iloc[0] == 0
    thr = summary_of_findings(analysis, endpoints=["nausea"], thresholds={"nausea": 1.5})
    assert thr["imprecision"].iloc[0] == -1 and "decision threshold" in thr["explanation"].iloc[0]
    j = load_judgements()
    extra = pd.DataFrame(
        [
            {
                "endpoint": "nausea",
                "domain": "indirectness",
                "judgement": "very serious",
                "downgrade": "2",
                "reason": "test",
                "status": "judgement",
                "source": "X",
                "locator": "-",
            }
        ]
    )
    sof = summary_of_findings(analysis, endpoints=["nausea"], judgements=pd.concat([j, extra], ignore_index=True))
    assert sof["indirectness"].iloc[0] == -2 and sof["certainty"].iloc[0] == "low"


def test_judgement_file_errors_name_row_and_column(tmp_path):
    p = tmp_path / "j.csv"
    p.write_text(
        "endpoint,domain,judgement,downgrade,reason,status,source,locator\n"
        "efficacy,risk_of_bias,serious,1,r,judgement,CR12,x\n"
        "efficacy,bias,serious,3,r,judgement,,x\n"
    )
    with pytest.raises(DataError) as err:
        load_judgements(p)
    text = str(err.value)
    assert "row 2, column 'domain'" in text and "row 2, column 'downgrade'" in text and "column 'source'" in text


def test_sof_unknown_endpoint(analysis):
    with pytest.raises(DataError, match="endpoints"):
        summary_of_findings(analysis, endpoints=["nope"])


def test_what_it_means(analysis):
    w = fmtrials.what_it_means(analysis, mcid=0.05)
    assert set(w.tables()) == {"absolute", "summary_of_findings", "benefit_risk", "fragility", "posterior"}
    assert w.fragility["significant"].all() and (w.fragility["p_after"] >= 0.05).all()
    post = w.posterior
    assert set(post["level"]) == {"trial", "pooled"} and (post["threshold"] == 0.05).all()
    assert "5 percentage points" in w.choices[0]
    assert "What it means" in str(w)
    with pytest.raises(DataError, match="mcid"):
        fmtrials.what_it_means(analysis, mcid=0)
    with pytest.raises(DataError, match="tau_prior"):
        fmtrials.what_it_means(analysis, tau_prior=-1)
    with pytest.raises(DataError, match="prior"):
        fmtrials.what_it_means(analysis, prior="flat")


def _user_outcomes():
    rows = [
        ("S1", 0, 100, 20), ("S1", 50, 100, 35), ("S2", 0, 80, 15), ("S2", 50, 82, 25),
    ]  # fmt: skip
    return pd.DataFrame(
        [
            {
                "study": s,
                "dose_mg_day": d,
                "endpoint": "fiq_responder",
                "n": n,
                "responders": r,
                "direction": "beneficial",
            }
            for s, d, n, r in rows
        ]
    )


def test_a_beneficial_endpoint_outside_the_default_lists_takes_the_efficacy_judgements():
    """The judgement group follows the endpoint's direction, not a list of names: a user's beneficial
    ``fiq_responder`` is judged as efficacy (risk of bias serious, -1), never as an adverse event."""
    a = fmtrials.analyse(fmtrials.read_outcomes(_user_outcomes()))
    row = summary_of_findings(a).iloc[0]
    assert row["endpoint"] == "fiq_responder" and row["risk_of_bias"] == -1
    assert "imputation" in row["explanation"] and "adverse-event incidence" not in row["explanation"]


def test_without_judgements_the_certainty_is_an_upper_bound_that_says_so():
    from fmtrials.decision.sof import JUDGEMENT_COLUMNS

    a = fmtrials.analyse(fmtrials.read_outcomes(_user_outcomes()))
    none = pd.DataFrame(columns=list(JUDGEMENT_COLUMNS))
    row = summary_of_findings(a, judgements=none).iloc[0]
    assert row["risk_of_bias"] == 0 and row["indirectness"] == 0
    assert row["certainty"].endswith(" at most (risk of bias and indirectness not judged)")
    assert row["certainty"].split(" at most")[0] in ("very low", "low", "moderate", "high")

"""network_meta() against R metafor rma.mv (tests/r/network_reference.R), brute force and bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import fmtrials
from fmtrials import DataError

REF = json.loads((Path(__file__).parent / "data" / "network_reference.json").read_text())
CASES = [(name, m) for name in REF["cases"] for m in ("common", "DL", "REML")]
TOL = 1e-6


def _arms(c: dict) -> pd.DataFrame:
    return pd.DataFrame(REF["datasets"][c["data"]])


def _fit(name: str, method: str):
    c = REF["cases"][name]
    return c, fmtrials.network_meta(_arms(c), measure=c["measure"], reference=c["reference"], method=method)


@pytest.mark.parametrize(("name", "method"), CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_network_matches_metafor_rma_mv(name, method):
    c, r = _fit(name, method)
    ref = c["fits"][method]
    re_ = r.relative_effects().set_index("treatment").loc[ref["treatment"]]
    assert_allclose(np.log(re_["estimate"]), ref["estimate"], atol=TOL, err_msg="estimate")
    assert_allclose(re_["se"], ref["se"], atol=TOL, err_msg="se")
    assert_allclose(np.log(re_["ci_low"]), ref["ci_low"], atol=TOL, err_msg="ci_low")
    assert_allclose(np.log(re_["ci_high"]), ref["ci_high"], atol=TOL, err_msg="ci_high")
    assert r.tau2 == pytest.approx(ref["tau2"], abs=TOL)
    assert r.q == pytest.approx(ref["q"], abs=TOL) and r.q_df == ref["q_df"]
    ps = r.p_scores(event="beneficial").set_index("treatment")["p_score"]
    assert_allclose([ps[t] for t in ref["p_scores"]], list(ref["p_scores"].values()), atol=TOL)
    if method != "common":
        assert_allclose(np.log(re_["pi_low"]), ref["pi_low"], atol=TOL)
        assert_allclose(np.log(re_["pi_high"]), ref["pi_high"], atol=TOL)
    # the full covariance, hence every league entry
    idx = [r.treatments.index(t) for t in ref["treatment"]]
    assert_allclose(r.cov[np.ix_(idx, idx)], np.array(ref["vcov"]), atol=TOL)


@pytest.mark.parametrize("name", list(REF["cases"]))
def test_design_by_treatment_decomposition_matches_metafor(name):
    c, r = _fit(name, "common")
    dec = c["fits"]["decomposition"]
    d = r.decomposition
    assert d["q_within"] == pytest.approx(dec["q_within"], abs=TOL)
    assert d["q_between"] == pytest.approx(dec["q_between"], abs=TOL)
    assert (d["q_within_df"], d["q_between_df"]) == (dec["q_within_df"], dec["q_between_df"])
    assert d["q_between_p"] == pytest.approx(stats.chi2.sf(dec["q_between"], dec["q_between_df"]), abs=1e-9)


def test_league_is_every_ordered_pair_and_antisymmetric():
    _, r = _fit("hasselblad1998_OR", "REML")
    lg = r.league()
    t = len(r.treatments)
    assert len(lg) == t * (t - 1)
    both = lg.merge(lg, left_on=["treatment", "versus"], right_on=["versus", "treatment"])
    assert_allclose(both["estimate_x"] * both["estimate_y"], 1.0, rtol=1e-12)
    assert_allclose(both["ci_low_x"] * both["ci_high_y"], 1.0, rtol=1e-12)
    assert (lg["ci_low"] <= lg["ci_high"]).all() and (lg["pi_low"] <= lg["ci_low"]).all()
    # harmful P-scores are 1 - beneficial ones
    pb = r.p_scores(event="beneficial").set_index("treatment")["p_score"]
    ph = r.p_scores(event="harmful").set_index("treatment")["p_score"]
    assert_allclose(pb + ph[pb.index], 1.0, atol=1e-12)
    assert pb.mean() == pytest.approx(0.5)


def test_baseline_arm_order_does_not_change_the_fit():
    c = REF["cases"]["pagliaro1992_OR"]
    arms = _arms(c)
    shuffled = arms.iloc[::-1].reset_index(drop=True)  # every study's first arm changes
    a = fmtrials.network_meta(arms, measure="OR", reference="control", method="REML")
    b = fmtrials.network_meta(shuffled, measure="OR", reference="control", method="REML")
    assert a.tau2 == pytest.approx(b.tau2, abs=1e-10)
    assert_allclose(a.beta, b.beta, atol=1e-9)


def test_two_arm_network_equals_brute_force_gls_and_split_back_calculation():
    # triangle of two-arm trials: GLS by hand (dense) and netsplit's back-calculation identity
    arms = pd.DataFrame(
        {
            "study": ["a", "a", "b", "b", "c", "c", "d", "d"],
            "treatment": ["P", "A", "P", "B", "A", "B", "P", "A"],
            "events": [10, 22, 12, 18, 15, 11, 9, 17],
            "n": [50, 50, 60, 60, 40, 40, 45, 44],
        }
    )
    r = fmtrials.network_meta(arms, measure="OR", reference="P", method="common")
    # dense GLS: y = log OR of second vs first arm; X columns A, B
    e, n = arms["events"].to_numpy(float), arms["n"].to_numpy(float)
    lo, v = np.log(e / (n - e)), 1 / e + 1 / (n - e)
    y, w = lo[1::2] - lo[::2], 1 / (v[1::2] + v[::2])
    X = np.array([[1, 0], [0, 1], [-1, 1], [1, 0]], float)
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    beta = cov @ X.T @ (w * y)
    assert_allclose(r.beta[[r.treatments.index("A"), r.treatments.index("B")]], beta, atol=1e-12)
    res = y - X @ beta
    assert r.q == pytest.approx(float(np.sum(w * res**2)), abs=1e-10)
    sp = r.split().set_index(["treatment", "versus"])
    row = sp.loc[("A", "P")]  # pairs named in alphabetical order, effect of the first against the second
    d_w = w[[0, 3]]
    assert row["direct"] == pytest.approx(float(np.sum(d_w * y[[0, 3]]) / np.sum(d_w)), abs=1e-12)
    assert row["direct_se"] == pytest.approx(math.sqrt(1 / np.sum(d_w)), abs=1e-12)
    # the only indirect path is through B: (B - P) - (B - A), study b's and study c's contrasts
    ind = y[1] - y[2]
    v_ind = 1 / w[2] + 1 / w[1]
    assert row["indirect"] == pytest.approx(ind, abs=1e-10)
    assert row["indirect_se"] == pytest.approx(math.sqrt(v_ind), abs=1e-10)


def test_zero_cells_add_half_to_every_arm_of_the_study_and_all_zero_studies_are_dropped():
    arms = pd.DataFrame(
        {
            "study": ["z", "z", "z", "x", "x"],
            "treatment": ["P", "A", "B", "P", "B"],
            "events": [0, 5, 20, 0, 0],
            "n": [20, 20, 20, 25, 25],
        }
    )
    r = fmtrials.network_meta(arms, measure="OR", reference="P", method="common")
    assert r.corrected == ["z"] and r.dropped == ["x"] and r.k == 1
    # study z alone identifies A and B, 0.5 added to every cell of its three arms (B's all-event arm too)
    assert r.beta[r.treatments.index("A")] == pytest.approx(math.log((5.5 / 15.5) / (0.5 / 20.5)), abs=1e-12)
    assert r.beta[r.treatments.index("B")] == pytest.approx(math.log((20.5 / 0.5) / (0.5 / 20.5)), abs=1e-12)
    se_b = r.relative_effects().set_index("treatment").loc["B", "se"]
    assert se_b == pytest.approx(math.sqrt(1 / 20.5 + 1 / 0.5 + 1 / 0.5 + 1 / 20.5), abs=1e-12)


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        (
            {"study": ["s", "s", "s"], "treatment": ["P", "A", "A"], "events": [1, 2, 3], "n": [9, 9, 9]},
            ["duplicated", "'s'", "'A'"],
        ),
        ({"study": ["s", "s"], "treatment": ["P", "A"], "events": [1, 12], "n": [9, 9]}, ["impossible", "'s'", "'A'"]),
        (
            {"study": ["s", "s", "t"], "treatment": ["P", "A", "B"], "events": [1, 2, 3], "n": [9, 9, 9]},
            ["one arm", "'t'", "'B'"],
        ),
        ({"study": ["s", "s"], "treatment": ["P", "A"], "events": [1, 2.5], "n": [9, 9]}, ["whole count", "'A'"]),
        ({"study": ["s", "s"], "treatment": ["Q", "A"], "events": [1, 2], "n": [9, 9]}, ["reference", "'placebo'"]),
        (
            {
                "study": ["s", "s", "t", "t"],
                "treatment": ["placebo", "A", "B", "C"],
                "events": [1, 2, 3, 4],
                "n": [9] * 4,
            },
            ["disconnected", "{A, placebo}", "{B, C}"],
        ),
    ],
)
def test_bad_input_is_refused_naming_study_and_treatment(rows, words):
    with pytest.raises(DataError) as e:
        fmtrials.network_meta(pd.DataFrame(rows), method="common")
    for w in words:
        assert w in str(e.value)


def test_disconnected_each_analyses_every_component():
    rows = {
        "study": ["s", "s", "u", "u", "t", "t", "v", "v"],
        "treatment": ["placebo", "A", "placebo", "A", "B", "C", "B", "C"],
        "events": [1, 2, 2, 5, 3, 4, 6, 9],
        "n": [9, 9, 10, 10, 9, 9, 12, 12],
    }
    out = fmtrials.network_meta(pd.DataFrame(rows), method="common", disconnected="each")
    assert sorted(out) == ["B", "placebo"]
    assert out["B"].treatments == ["B", "C"] and out["placebo"].k == 2


def test_contrast_input_equals_arm_input_for_two_arm_studies():
    c = REF["cases"]["dong2013_OR"]
    arms = _arms(c)
    r_arms = fmtrials.network_meta(arms, measure="OR", reference="Placebo", method="REML")
    two = arms.groupby("study").filter(lambda g: len(g) == 2)
    rows = []
    for s, g in two.groupby("study", sort=False):
        e, n = g["events"].to_numpy(float), g["n"].to_numpy(float)
        if (e == 0).all() or (e == n).all():
            continue  # dropped from the arm-level fit too
        if (e == 0).any() or (e == n).any():
            e, n = e + 0.5, n + 1
        lo = np.log(e / (n - e))
        rows.append(
            {
                "study": s,
                "treatment": g["treatment"].iloc[1],
                "versus": g["treatment"].iloc[0],
                "yi": lo[1] - lo[0],
                "se": math.sqrt(np.sum(1 / e + 1 / (n - e))),
            }
        )
    r_c = fmtrials.network_meta(pd.DataFrame(rows), measure="OR", reference="Placebo", method="REML")
    r_a2 = fmtrials.network_meta(two, measure="OR", reference="Placebo", method="REML")
    assert r_c.tau2 == pytest.approx(r_a2.tau2, abs=1e-12)
    assert_allclose(r_c.beta, r_a2.beta, atol=1e-12)
    assert r_arms.k > r_c.k  # the multi-arm studies are only in the arm-level fit


def test_result_protocol():
    _, r = _fit("woods2010_OR", "REML")
    d = r.to_dict()
    json.dumps(d)
    assert d["reference"] == "Placebo" and "direct" not in d
    assert len(r.to_frame()) == len(r.treatments) * (len(r.treatments) - 1)
    assert "Network meta-analysis (REML, odds ratio)" in r.summary() and str(r) == r.summary()
    assert r._repr_html_().startswith("<div class='fmtrials-networkresult'>")
    ci = r.conf_int()
    assert set(ci) == set(r.treatments) - {"Placebo"} and all(i.ci_low <= i.ci_high for i in ci.values())
    with pytest.raises(DataError, match="event"):
        r.p_scores()


def test_contrast_input_refuses_a_second_contrast_of_a_study_and_bad_se():
    rows = pd.DataFrame(
        {
            "study": ["s", "s", "t"],
            "treatment": ["A", "B", "A"],
            "versus": ["P", "P", "P"],
            "yi": [0.1, 0.2, 0.3],
            "se": [0.1, 0.2, 0.0],
        }
    )
    with pytest.raises(DataError) as e:
        fmtrials.network_meta(rows, reference="P")
    msg = str(e.value)
    assert "study 's' gives 2 contrasts of 3 treatments (P, A, B)" in msg and "row 2" in msg
    assert "se 0 is not positive (study 't', treatment 'A')" in msg


@pytest.mark.parametrize(
    ("kw", "column"),
    [
        ({"alpha": 1.5}, "alpha"),
        ({"method": "ML"}, "method"),
        ({"disconnected": "merge"}, "disconnected"),
        ({"event": "good"}, "event"),
    ],
)
def test_bad_options_are_refused_naming_the_argument(kw, column):
    arms = pd.DataFrame({"study": ["s", "s"], "treatment": ["placebo", "A"], "events": [1, 2], "n": [9, 9]})
    with pytest.raises(DataError) as e:
        fmtrials.network_meta(arms, **kw)
    assert column in str(e.value)


def test_every_problem_of_a_bad_frame_is_listed_at_once():
    rows = pd.DataFrame(
        {"study": ["s", "s", "t", "t"], "treatment": ["P", "A", "P", "A"], "events": [1, 12, -1, 2], "n": [9, 9, 9, 9]}
    )
    with pytest.raises(DataError) as e:
        fmtrials.network_meta(rows, reference="P")
    assert len(e.value.problems) == 2
    with pytest.raises(DataError) as e:
        fmtrials.network_meta(pd.DataFrame({"study": ["s"]}))
    assert [p.column for p in e.value.problems] == ["treatment", "events", "n"]


def test_an_all_event_arm_alone_triggers_the_correction_of_the_whole_study():
    arms = pd.DataFrame({"study": ["s", "s"], "treatment": ["P", "A"], "events": [5, 20], "n": [20, 20]})
    r = fmtrials.network_meta(arms, measure="OR", reference="P", method="common")
    assert r.corrected == ["s"]
    assert r.beta[r.treatments.index("A")] == pytest.approx(math.log((20.5 / 0.5) / (5.5 / 15.5)), abs=1e-12)


def test_a_treatment_only_in_dropped_studies_is_named():
    arms = pd.DataFrame(
        {"study": ["s", "s", "x", "x"], "treatment": ["P", "A", "P", "B"], "events": [3, 6, 0, 0], "n": [20] * 4}
    )
    with pytest.raises(DataError, match=r"treatment 'B' is only in studies dropped .* \(x\)"):
        fmtrials.network_meta(arms, reference="P", measure="OR")

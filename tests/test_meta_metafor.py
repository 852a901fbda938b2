"""fmtrials.pool / leave_one_out / cumulative against R metafor 3.8 output.

The reference values are in tests/data/metafor_reference.json, written by ``Rscript tests/r/metafor_reference.R``
(R and metafor versions and the exact call of every case are recorded there). CI does not need R.
Tolerances: rtol 1e-6 for closed-form quantities, 1e-5 for anything that depends on an iterative tau² (REML,
PM) or a root search (Q-profile CI); an absolute floor of 1e-9 for quantities that are ~0 (tau² at the
boundary).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fmtrials
from fmtrials import meta

REF = json.loads((Path(__file__).parent / "data" / "metafor_reference.json").read_text())
DATASETS = {name: pd.DataFrame(cols) for name, cols in REF["datasets"].items()}


def _nan(x):
    return np.nan if x is None else x


def _arr(x):
    if isinstance(x, (pd.Series, np.ndarray)):
        return np.asarray(x, dtype=float)
    if not isinstance(x, list):
        x = [x]
    return np.array([_nan(v) for v in x], dtype=float)


def _close(ours, theirs, rtol, atol=1e-10, what=""):
    np.testing.assert_allclose(
        np.asarray(ours, dtype=float), _arr(theirs), rtol=rtol, atol=atol, equal_nan=True, err_msg=what
    )


#: metafor's recorded test= -> ours
TEST = {"z": "z", "knha": "hksj", "adhoc": "hksj-adhoc"}


def _pool(case, **kw):
    t = DATASETS[case["dataset"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", meta.SharedPlaceboWarning)
        return fmtrials.pool(t, measure=case["measure"], method=case["method"], test=TEST[case["test"]], **kw)


def test_reference_metadata():
    assert REF["metafor_version"] == "3.8.1"
    assert REF["r_version"].startswith("R version 4.2.2")
    assert all("call" in c for c in REF["cases"])
    assert len(REF["cases"]) > 300


def _rd_mh_kept_double_zero(case) -> bool:
    """An MH risk-difference case recorded with ``rma.mh(drop00=FALSE)`` on data with double-zero tables.

    fmtrials now follows ``rma.mh``'s default ``drop00 = c(TRUE, FALSE)`` (issue 22 item 8): those tables stay in
    the MH sums (estimate, SE, weights compared here) but have no per-study effect and are left out of Q, so Q,
    I², H² and yi/vi are compared with the default call in tests/test_meta_mh_edge.py instead.
    """
    fit_call = case["call"]["fit"] if isinstance(case["call"], dict) else case["call"]
    t = DATASETS[case["dataset"]]
    dz = ((t.events_t == 0) & (t.events_c == 0)) | ((t.events_t == t.n_t) & (t.events_c == t.n_c))
    return case["method"] == "MH" and "drop00=FALSE" in fit_call and bool(dz.any())


@pytest.mark.parametrize("case", REF["cases"], ids=[c["id"] for c in REF["cases"]])
def test_pool_matches_metafor(case):
    R = case["result"]
    iterative = case["method"] in ("REML", "PM")
    rt = 1e-5 if iterative else 1e-6
    res = _pool(case, pi_method="metafor")
    # rma.mh's k counts every table in the MH sums (double-zero ones too); Q's df counts the per-study effects
    assert res.k == (R["k"] if case["method"] == "MH" else R["k_yi"])
    if _rd_mh_kept_double_zero(case):
        _close(res.beta, R["beta"], rt, what="beta")
        _close(res.se, R["se"], rt, what="se")
        _close(res.studies["weight"], R["weights"], rt, atol=1e-9, what="weights")
        return
    _close(res.beta, R["beta"], rt, what="beta")
    _close(res.se, R["se"], rt, what="se")
    _close(res.statistic, R["statistic"], rt, what="statistic")
    _close(res.p_value, R["p_value"], rt, atol=1e-12, what="p")
    lo, hi = (np.log(res.ci_low), np.log(res.ci_high)) if res.ratio else (res.ci_low, res.ci_high)
    _close(lo, R["ci_low"], rt, what="ci_low")
    _close(hi, R["ci_high"], rt, what="ci_high")
    _close(res.heterogeneity.q, R["q"], 1e-6, what="Q")
    _close(res.heterogeneity.q_p, R["q_p"], 1e-6, atol=1e-12, what="Q p")
    _close(res.heterogeneity.tau2, R["tau2"], rt, atol=1e-9, what="tau2")
    # metafor's I2 is tau2-based for random-effects models (our named i2_tau2), Q-based otherwise; our i2 is
    # the Q-based one for every model, recomputed here from metafor's Q
    i2_q = 100 * max(0.0, (R["q"] - (R["k_yi"] - 1)) / R["q"]) if R["q"] > 0 else 0.0
    _close(res.heterogeneity.i2, i2_q, rt, atol=1e-5, what="I2 (Q-based)")
    if res.model == "random":
        _close(res.heterogeneity.i2_tau2, R["i2"], rt, atol=1e-5, what="I2 (tau2-based)")
    else:
        _close(res.heterogeneity.i2, R["i2"], rt, atol=1e-5, what="I2 (metafor, common effect: Q-based)")
        assert np.isnan(res.heterogeneity.i2_tau2)
    _close(res.heterogeneity.h2, R["h2"], rt, atol=1e-7, what="H2")
    if R.get("df") is not None:
        assert res.stat_dist == "t" and res.df == R["df"]
    else:
        assert res.stat_dist == "z" and res.df is None
    # per-study effects (escalc) and weights
    _close(res.studies["yi"], R["yi"], 1e-9, what="yi")
    _close(res.studies["vi"], R["vi"], 1e-9, what="vi")
    w = res.studies["weight"].to_numpy()
    rw = _arr(R["weights"])
    if len(rw) != len(w):
        w = w[res.studies["included"].to_numpy()]
    _close(w, rw, rt, atol=1e-9, what="weights")
    # random effects: Q-profile CI, I2 CI, metafor-style prediction interval
    if "tau2_ci_low" in R:
        _close(res.heterogeneity.tau2_ci_low, R["tau2_ci_low"], 1e-5, atol=1e-9, what="tau2 CI low")
        _close(res.heterogeneity.tau2_ci_high, R["tau2_ci_high"], 1e-5, atol=1e-9, what="tau2 CI high")
        _close(res.heterogeneity.i2_tau2_ci_low, R["i2_ci_low"], 1e-5, atol=1e-6, what="I2 CI low")
        _close(res.heterogeneity.i2_tau2_ci_high, R["i2_ci_high"], 1e-5, atol=1e-6, what="I2 CI high")
    if "pi_low" in R and res.model == "random":
        lo, hi = (
            (np.log(res.prediction.pi_low), np.log(res.prediction.pi_high))
            if res.ratio
            else (res.prediction.pi_low, res.prediction.pi_high)
        )
        _close(lo, R["pi_low"], rt, what="PI low (metafor)")
        _close(hi, R["pi_high"], rt, what="PI high (metafor)")
        assert res.prediction.dist == ("t(k-1)" if case["test"] != "z" else "z")
        assert res.test == TEST[case["test"]]


HTS_CASES = [c for c in REF["cases"] if "pi_hts_low" in c["result"]]


@pytest.mark.parametrize("case", HTS_CASES, ids=[c["id"] for c in HTS_CASES])
def test_prediction_interval_hts(case):
    """Default PI: Higgins-Thompson-Spiegelhalter t(k-2), classic SE (hand formula evaluated in R)."""
    R = case["result"]
    res = _pool(case)
    assert res.prediction.dist == "t(k-2)"
    lo, hi = (
        (np.log(res.prediction.pi_low), np.log(res.prediction.pi_high))
        if res.ratio
        else (res.prediction.pi_low, res.prediction.pi_high)
    )
    rt = 1e-5 if case["method"] in ("REML", "PM") else 1e-6
    _close(lo, R["pi_hts_low"], rt, what="HTS PI low")
    _close(hi, R["pi_hts_high"], rt, what="HTS PI high")


SUB_CASES = [c for c in REF["subgroups"] if not c["id"].endswith("/QM")]


@pytest.mark.parametrize("case", SUB_CASES, ids=[c["id"] for c in SUB_CASES])
def test_subgroup_difference_matches_metafor(case):
    R = case["result"]
    res = _pool(case, by="dose_mg_day")
    assert res.by == "dose_mg_day"
    groups = [g for g in res.subgroups]
    assert [float(g) for g in groups] == [float(g) for g in R["groups"]]
    rt = 1e-5 if case["method"] in ("REML", "PM") else 1e-6
    _close([r.beta for r in res.subgroups.values()], R["beta"], rt, what="subgroup beta")
    _close([r.se for r in res.subgroups.values()], R["se"], rt, what="subgroup se")
    _close(res.subgroup_test.q, R["q_between"], rt, what="Q between")
    assert res.subgroup_test.df == R["q_between_df"]
    _close(res.subgroup_test.p, R["q_between_p"], rt, atol=1e-12, what="Q between p")


def test_subgroup_q_between_equals_metaregression_qm():
    case = next(c for c in REF["subgroups"] if c["id"].endswith("/QM"))
    res = fmtrials.pool(DATASETS[case["dataset"]], measure="RR", method="IV", by="dose_mg_day")
    _close(res.subgroup_test.q, case["result"]["q_between"], 1e-6)
    _close(res.subgroup_test.p, case["result"]["q_between_p"], 1e-6)


@pytest.mark.parametrize("case", REF["sensitivity"], ids=[c["id"] for c in REF["sensitivity"]])
def test_leave_one_out_and_cumulative_match_metafor(case):
    t = DATASETS[case["dataset"]]
    kw = dict(measure=case["measure"], method=case["method"], test=TEST[case["test"]], pi_method="metafor")
    rt = 1e-5 if case["method"] in ("REML", "PM") else 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", meta.SharedPlaceboWarning)
        l1 = fmtrials.leave_one_out(t, **kw)
        cu = fmtrials.cumulative(t, order_by="year", **kw)
    R = case["leave1out"]
    _close(l1["beta"], R["estimate"], rt, what="leave1out estimate")
    _close(l1["se"], R["se"], rt, what="leave1out se")
    _close(l1["p_value"], R["p_value"], rt, atol=1e-12, what="leave1out p")
    _close(l1["q"], R["q"], 1e-6, what="leave1out Q")
    if R["tau2"]:  # leave1out() of rma.mh / rma.peto has no tau2
        _close(l1["tau2"], R["tau2"], rt, atol=1e-9, what="leave1out tau2")
    random = case["method"] in ("DL", "REML", "PM")
    _close(l1["i2_tau2" if random else "i2"], R["i2"], rt, atol=1e-5, what="leave1out I2 (metafor's)")
    q, df = _arr(R["q"]), l1["k"].to_numpy() - 1.0
    i2_q = np.where(q > 0, 100 * np.maximum(0.0, (q - df) / np.where(q > 0, q, 1.0)), 0.0)
    _close(l1["i2"], i2_q, rt, atol=1e-5, what="leave1out I2 (Q-based, from metafor's Q)")
    lo = np.log(l1["ci_low"]) if case["measure"] != "RD" else l1["ci_low"]
    _close(lo, R["ci_low"], rt, what="leave1out ci")
    C = case["cumul"]
    _close(cu["beta"], C["estimate"], rt, what="cumul estimate")
    _close(cu["se"], C["se"], rt, what="cumul se")
    k_ge2 = cu["k"].to_numpy() >= 2
    _close(cu["q"].to_numpy()[k_ge2], _arr(C["q"])[k_ge2], 1e-6, what="cumul Q")
    if C["tau2"]:
        _close(cu["tau2"].to_numpy()[k_ge2], _arr(C["tau2"])[k_ge2], rt, atol=1e-9, what="cumul tau2")
    order = np.array(C["order"]) - 1
    labels = fmtrials.pool(t, measure=case["measure"], method="IV").studies["label"].to_numpy()
    assert cu["added"].tolist() == labels[order].tolist()


# ------------------------------------------------------------------------ published dat.bcg values (§3.1)
BCG = DATASETS["bcg"]

PUBLISHED = [  # (measure, method, hksj, attribute, value) from methods.md §3.1 (metafor README / tests)
    ("RR", "IV", False, "beta", -0.4303),
    ("RR", "IV", False, "ci_low", 0.6007),
    ("RR", "IV", False, "ci_high", 0.7040),
    ("RR", "IV", False, "statistic", -10.6247),
    ("RR", "IV", False, "q", 152.2330),
    ("RR", "IV", False, "estimate", 0.6503),
    ("RR", "DL", False, "beta", -0.7141),
    ("RR", "DL", False, "tau2", 0.3088),
    ("RR", "DL", False, "i2_tau2", 92.1173),
    ("RR", "DL", False, "statistic", -3.9952),
    ("RR", "DL", False, "estimate", 0.4896),
    ("RR", "DL", False, "ci_low", 0.3449),
    ("RR", "DL", False, "ci_high", 0.6950),
    ("RR", "DL", False, "tau2_ci_low", 0.1197),
    ("RR", "DL", False, "tau2_ci_high", 1.1115),
    ("RR", "DL", False, "i2_tau2_ci_high", 97.6781),
    ("RR", "DL", False, "h2", 12.6861),
    ("RR", "REML", False, "beta", -0.7145),
    ("RR", "REML", False, "se", 0.1798),
    ("RR", "REML", False, "tau2", 0.3132),
    ("RR", "REML", False, "i2_tau2", 92.22),
    ("RR", "REML", True, "se", 0.1808),
    ("RR", "REML", True, "statistic", -3.9522),
    ("RR", "REML", True, "df", 12),
    ("RR", "PM", False, "tau2", 0.3181),
    ("RR", "MH", False, "beta", -0.4537),
    ("RR", "MH", False, "estimate", 0.6353),
    ("RR", "MH", False, "ci_low", 0.5881),
    ("RR", "MH", False, "ci_high", 0.6862),
    ("RR", "MH", False, "statistic", -11.5338),
    ("RR", "MH", False, "q", 152.5676),
    ("OR", "MH", False, "beta", -0.4734),
    ("OR", "MH", False, "estimate", 0.6229),
    ("OR", "MH", False, "ci_low", 0.5748),
    ("OR", "MH", False, "ci_high", 0.6750),
    ("OR", "MH", False, "q", 163.9426),
    ("RD", "MH", False, "beta", -0.0033),
    ("RD", "MH", False, "statistic", -11.4708),
    ("RD", "MH", False, "q", 386.7759),
    ("OR", "Peto", False, "beta", -0.4744),
    ("OR", "Peto", False, "estimate", 0.6222),
    ("OR", "Peto", False, "ci_low", 0.5746),
    ("OR", "Peto", False, "ci_high", 0.6738),
    ("OR", "Peto", False, "q", 167.7302),
    ("OR", "IV", False, "beta", -0.4361),
    ("OR", "IV", False, "q", 163.1649),
    ("OR", "DL", False, "beta", -0.7474),
    ("OR", "DL", False, "tau2", 0.3663),
    ("OR", "DL", False, "i2_tau2", 92.6455),
    ("OR", "DL", False, "estimate", 0.4736),
    ("OR", "DL", False, "ci_low", 0.3249),
    ("OR", "DL", False, "ci_high", 0.6903),
    ("RD", "IV", False, "beta", -0.0009),
    ("RD", "IV", False, "q", 276.4737),
]


@pytest.mark.parametrize("measure,method,hksj,attr,value", PUBLISHED)
def test_published_bcg_values(measure, method, hksj, attr, value):
    res = fmtrials.pool(BCG, measure=measure, method=method, test="hksj" if hksj else "z")
    decimals = len(str(value).split(".")[1]) if "." in str(value) else 0
    holder = (
        res.heterogeneity
        if attr in ("q", "tau2", "i2", "i2_tau2", "h2", "tau2_ci_low", "tau2_ci_high", "i2_tau2_ci_high")
        else res
    )
    assert getattr(holder, attr) == pytest.approx(value, abs=0.5 * 10**-decimals + 1e-12)


def test_published_bcg_reml_knha_interval_and_cumulative():
    res = fmtrials.pool(BCG, measure="RR", method="REML", test="hksj")
    assert np.log(res.ci_low) == pytest.approx(-1.1084, abs=5e-5)
    assert np.log(res.ci_high) == pytest.approx(-0.3206, abs=5e-5)
    assert (round(res.ci_low, 2), round(res.ci_high, 2)) == (0.33, 0.73)
    pr = fmtrials.pool(BCG, measure="RR", method="REML", test="hksj", pi_method="metafor").prediction
    assert (round(pr.pi_low, 2), round(pr.pi_high, 2)) == (0.14, 1.76)
    cu = fmtrials.cumulative(BCG, order_by="year", measure="RR", method="REML")
    published = [
        -0.889311,
        -1.325003,
        -0.97208,
        -1.001094,
        -1.101424,
        -0.973464,
        -0.901251,
        -0.788566,
        -0.865607,
        -0.785211,
        -0.708206,
        -0.794768,
        -0.714532,
    ]
    # published with metafor's default REML threshold 1e-5, so agreement is to ~1e-5
    np.testing.assert_allclose(cu["beta"], published, atol=2e-5)

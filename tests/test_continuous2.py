"""Continuous outcomes, part 2 (issue 25): every method and test of :func:`fmtrials.pool` and its companions on
MD / SMD / ROM against R metafor 3.8 (tests/r/continuous2_reference.R -> tests/data/continuous2_reference.json):
Q-profile CI of tau², HTS prediction interval, ad hoc HKSJ, subgroups and the test for subgroup differences,
leave-one-out and cumulative analyses, influence and Baujat points, meta-regression, small-study tests and
trim-and-fill, on dat.normand1999, dat.curtis1998 and dat.gibson2002 (continuous_reference.json has the rest)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import fmtrials
from fmtrials.errors import FewStudiesWarning

REF = json.loads((Path(__file__).parent / "data" / "continuous2_reference.json").read_text())
TOL = dict(rtol=1e-6, atol=1e-8)


def _table(name: str) -> pd.DataFrame:
    return pd.DataFrame(REF["data"][name])


def _id(c) -> str:
    keys = ("data", "measure", "method", "test", "fit_test", "estimator", "side_arg")
    return "-".join(str(c[k]) for k in keys if c.get(k) is not None)


def _log(x, measure):
    return np.log(x) if measure == "ROM" else np.asarray(x, dtype=float)


def test_reference_records_versions_and_covers_every_data_set():
    assert REF["metafor_version"] == "3.8.1"
    assert {c["data"] for c in REF["heterogeneity"]} == {"normand1999", "curtis1998", "gibson2002"}
    assert {c["measure"] for c in REF["trimfill"]} == {"MD", "SMD", "ROM"}


@pytest.mark.parametrize("c", REF["heterogeneity"], ids=_id)
def test_tau2_ci_prediction_interval_and_adhoc_hksj_match_metafor(c):
    t = _table(c["data"])
    r = fmtrials.pool(t, measure=c["measure"], method=c["method"], pi_method="hts")
    h = r.heterogeneity
    assert_allclose(h.tau2, c["tau2"], **TOL)
    assert_allclose([h.tau2_ci_low, h.tau2_ci_high], [c["tau2_ci_lb"], c["tau2_ci_ub"]], rtol=1e-5, atol=1e-8)
    assert_allclose([h.i2_tau2_ci_low, h.i2_tau2_ci_high], [c["I2_ci_lb"], c["I2_ci_ub"]], rtol=1e-5, atol=1e-6)
    p = r.prediction
    assert p.dist == "t(k-2)"
    assert_allclose(_log([p.pi_low, p.pi_high], c["measure"]), [c["hts_pi_lb"], c["hts_pi_ub"]], **TOL)
    a = fmtrials.pool(t, measure=c["measure"], method=c["method"], test="hksj-adhoc")
    assert_allclose(a.se, c["adhoc_se"], **TOL)
    assert_allclose(_log([a.ci_low, a.ci_high], c["measure"]), [c["adhoc_ci_lb"], c["adhoc_ci_ub"]], **TOL)
    assert_allclose(a.p_value, c["adhoc_pval"], **TOL)


@pytest.mark.parametrize("c", REF["subgroups"], ids=_id)
def test_subgroups_and_the_test_for_subgroup_differences_match_metafor(c):
    t = _table(c["data"])
    r = fmtrials.pool(t, measure=c["measure"], method=c["method"], test=c["test"], by=c["by"])
    assert sorted(r.subgroups) == sorted(g["group"] for g in c["groups"])
    for g in c["groups"]:
        s = r.subgroups[g["group"]]
        assert s.k == g["k"]
        assert_allclose(
            [s.beta, s.se, s.heterogeneity.tau2, s.heterogeneity.q], [g[x] for x in ("beta", "se", "tau2", "QE")], **TOL
        )
        assert_allclose(_log([s.ci_low, s.ci_high], c["measure"]), [g["ci_lb"], g["ci_ub"]], **TOL)
        assert_allclose(s.p_value, g["pval"], **TOL)
    st = r.subgroup_test
    assert st.df == c["df_between"]
    assert_allclose([st.q, st.p], [c["Q_between"], c["p_between"]], **TOL)
    if "QM" in c:  # common effect: the test equals the moderator test of rma(mods = ~ factor(by), method="FE")
        assert_allclose(st.q, c["QM"], **TOL)


def _check_rows(out, c):
    ms = c["measure"]
    assert_allclose(out["beta"], c["estimate"], **TOL)
    assert_allclose(_log(out["estimate"], ms), c["estimate"], **TOL)
    assert_allclose(out["se"], c["se"], **TOL)
    assert_allclose(_log(out["ci_low"], ms), c["ci_lb"], **TOL)
    assert_allclose(_log(out["ci_high"], ms), c["ci_ub"], **TOL)
    assert_allclose(out["q"], c["Q"], **TOL)
    tau2 = np.array(c["tau2"], dtype=float)  # JSON null -> NaN
    if c["method"] == "IV":  # metafor leaves tau² out of a common-effect fit's leave1out; ours is 0
        assert (out["tau2"] == 0).all()
    else:
        assert_allclose(out["tau2"], tau2, **TOL)


@pytest.mark.parametrize("c", REF["leave1out"], ids=_id)
def test_leave_one_out_matches_metafor(c):
    out = fmtrials.leave_one_out(_table(c["data"]), measure=c["measure"], method=c["method"], test=c["test"])
    _check_rows(out, c)
    assert_allclose(out["p_value"], c["pval"], **TOL)


@pytest.mark.parametrize("c", REF["cumulative"], ids=_id)
def test_cumulative_matches_metafor(c):
    out = fmtrials.cumulative(
        _table(c["data"]), order_by=c["order_by"], measure=c["measure"], method=c["method"], test=c["test"]
    )
    _check_rows(out.iloc[1:], {**c, **{k: c[k][1:] for k in ("estimate", "se", "ci_lb", "ci_ub", "Q", "tau2")}})
    # the first step is one study: metafor's cumul gives its own estimate and SE (the test has no df for HKSJ)
    assert_allclose(out["beta"].iloc[0], c["estimate"][0], **TOL)


@pytest.mark.parametrize("c", REF["influence"], ids=_id)
def test_influence_matches_metafor(c):
    r = fmtrials.pool(_table(c["data"]), measure=c["measure"], method=c["method"], test=c["test"])
    inf = fmtrials.influence(r)
    tol = dict(rtol=1e-5, atol=1e-7)
    for col, rcol in (
        ("rstudent", "rstudent"),
        ("dffits", "dffits"),
        ("cook_d", "cook_d"),
        ("cov_r", "cov_r"),
        ("qe_del", "QE_del"),
        ("hat", "hat"),
        ("weight", "weight"),
        ("dfbetas", "dfbetas"),
    ):
        assert_allclose(inf[col], c[rcol], **tol, err_msg=col)
    if c["method"] != "IV":
        assert_allclose(inf["tau2_del"], c["tau2_del"], **tol)


@pytest.mark.parametrize("c", REF["baujat"], ids=_id)
def test_baujat_points_match_metafor(c):
    r = fmtrials.pool(_table(c["data"]), measure=c["measure"], method=c["method"])
    b = fmtrials.meta.baujat_points(r)
    assert_allclose(b["x"], c["x"], rtol=1e-6, atol=1e-9)
    assert_allclose(b["y"], c["y"], rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("c", REF["meta_regression"], ids=_id)
def test_meta_regression_matches_metafor(c):
    reg = fmtrials.meta_regression(
        _table(c["data"]), c["moderators"], measure=c["measure"], method=c["method"], test=c["test"]
    )
    co = reg.coefficients
    tol = dict(rtol=1e-5, atol=1e-8)
    pairs = (("estimate", "beta"), ("se", "se"), ("ci_low", "ci_lb"), ("ci_high", "ci_ub"), ("p_value", "pval"))
    for col, rcol in pairs:
        assert_allclose(co[col], c[rcol], **tol, err_msg=col)
    assert_allclose(
        [reg.tau2, reg.qm, reg.qm_p, reg.qe, reg.qe_p], [c[x] for x in ("tau2", "QM", "QMp", "QE", "QEp")], **tol
    )


@pytest.mark.parametrize("c", REF["small_study"], ids=_id)
def test_small_study_tests_match_regtest_and_ranktest(c):
    kw = {} if c["test"] != "egger_rma" else {"method": c["method"], "fit_test": c["fit_test"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewStudiesWarning)
        r = fmtrials.small_study_test(_table(c["data"]), measure=c["measure"], test=c["test"], **kw)
    assert_allclose([r.at[0, "statistic"], r.at[0, "p_value"]], [c["statistic"], c["pval"]], **TOL)
    if c.get("df") is not None:
        assert r.at[0, "df"] == c["df"]


@pytest.mark.parametrize("c", REF["trimfill"], ids=_id)
def test_trim_and_fill_matches_metafor(c):
    r = fmtrials.pool(_table(c["data"]), measure=c["measure"], method=c["method"])
    tf = fmtrials.trim_and_fill(r, estimator=c["estimator"], side=None if c["side_arg"] == "auto" else c["side_arg"])
    assert (tf.side, tf.k0) == (c["side"], c["k0"])
    assert_allclose(
        [tf.beta, tf.se, tf.tau2, tf.p_value], [c["beta"], c["se"], c["tau2"], c["pval"]], rtol=1e-5, atol=1e-8
    )
    assert_allclose(_log([tf.ci_low, tf.ci_high], c["measure"]), [c["ci_lb"], c["ci_ub"]], rtol=1e-5, atol=1e-8)
    # metafor's se.k0 is NaN when its variance formula goes negative (JSON null); never a made-up 0
    assert_allclose(tf.se_k0, np.nan if c["se_k0"] is None else c["se_k0"], **TOL)
    f = tf.filled
    assert_allclose(np.sort(f["yi"].to_numpy(dtype=float)), np.sort(np.atleast_1d(c["fill_yi"])), **TOL)
    assert_allclose(np.sort(f["vi"].to_numpy(dtype=float)), np.sort(np.atleast_1d(c["fill_vi"])), **TOL)


# ------------------------------------------------------------------------------------- RevMan (item 4)
REF1 = json.loads((Path(__file__).parent / "data" / "continuous_reference.json").read_text())


@pytest.mark.parametrize("name", ["continuous.rm5", "continuous.csv"])
@pytest.mark.parametrize(
    ("outcome", "method"), [("Length of stay (MD, fixed)", "IV"), ("Length of stay (MD, random, by centre)", "DL")]
)
def test_compare_revman_mean_differences_equal_metafor(name, outcome, method):
    # the fixture's RevMan values (tests/r/revman_continuous.R, Deeks & Higgins' formulas) and fmtrials' re-run
    # equal metafor's rma(method="FE" / "DL") of dat.normand1999: RevMan's IV fixed and random MD are metafor's
    c = fmtrials.compare_revman(Path(__file__).parent / "data" / "revman" / name)
    c = c[(c.outcome == outcome) & c.subgroup.isna()].set_index("quantity")
    ref = next(
        x
        for x in REF1["pool"]
        if (x["data"], x["measure"], x["method"], x["test"]) == ("normand1999", "MD", method, "z")
    )
    want = {
        "estimate": ref["beta"],
        "ci_low": ref["ci_lb"],
        "ci_high": ref["ci_ub"],
        "chi2": ref["QE"],
        "tau2": ref["tau2"],
    }
    want["z"] = abs(ref["zval"])  # RevMan prints |Z|
    want["p_z"] = ref["pval"]
    for q, w in want.items():
        assert_allclose([c.at[q, "revman"], c.at[q, "fmtrials"]], [w, w], rtol=1e-6, atol=1e-9, err_msg=q)

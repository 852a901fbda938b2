"""influence() and baujat_points() against R metafor 3.8 (tests/r/metafor_reference_2.R) and by refitting."""

from __future__ import annotations

import pytest
from _metafor2 import case_id, cases, table
from numpy.testing import assert_allclose

import fmtrials
from fmtrials import DataError

INF = cases("influence")
COLS = ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat", "weight", "dfbetas")


@pytest.mark.parametrize("c", INF, ids=[case_id(c) for c in INF])
def test_influence_matches_metafor(c):
    res = fmtrials.pool(
        table(c["dataset"]),
        measure=c["measure"],
        method=c["method"],
        test="hksj" if c["test"] == "knha" else "z",
        warn_shared=False,
    )
    inf = fmtrials.influence(res)
    tol = 1e-5 if c["method"] in ("REML", "PM") else 1e-6
    for col in COLS:
        assert_allclose(inf[col].to_numpy(), c[col], rtol=tol, atol=tol, err_msg=col)
    assert inf["influential"].tolist() == c["influential"]
    b = fmtrials.meta.baujat_points(res)
    assert_allclose(b["x"], c["baujat_x"], rtol=tol, atol=tol)
    assert_allclose(b["y"], c["baujat_y"], rtol=tol, atol=tol)


def test_baujat_of_a_mantel_haenszel_fit_matches_metafor():
    (c,) = cases("baujat_mh")
    b = fmtrials.meta.baujat_points(fmtrials.pool(table(c["dataset"]), method="MH", warn_shared=False))
    assert_allclose(b["x"], c["baujat_x"], rtol=1e-6)
    assert_allclose(b["y"], c["baujat_y"], rtol=1e-6)


def test_cook_distance_by_refitting_each_study_out():
    """Brute force: Cook's distance from separate pool() fits without each study."""
    t = table("bcg")
    res = fmtrials.pool(t, measure="RR", method="DL")
    inf = fmtrials.influence(res)
    for i in range(len(t)):
        r_i = fmtrials.pool(t.drop(index=i), measure="RR", method="DL")
        assert inf["cook_d"][i] == pytest.approx((res.beta - r_i.beta) ** 2 / res.se**2, rel=1e-10)
        assert inf["tau2_del"][i] == pytest.approx(r_i.heterogeneity.tau2, rel=1e-10, abs=1e-14)


def test_k_below_three_is_an_error():
    res = fmtrials.pool(table("hine1989_k3").iloc[:2], method="IV")
    with pytest.raises(DataError, match="at least 3"):
        fmtrials.influence(res)


def test_mh_result_is_diagnosed_on_the_iv_model_with_a_note():
    inf = fmtrials.influence(fmtrials.pool(table("bcg"), method="MH"))
    assert "inverse-variance" in inf.attrs["notes"][0] and inf["weight"].sum() == pytest.approx(100)


def test_diagnostics_follow_the_reporting_rules():
    from fmtrials.meta import diagnostics

    t = fmtrials.contrasts(endpoint="nausea")
    dg = diagnostics(fmtrials.pool(t, method="REML", warn_shared=False), t)
    assert dg.dose_regression.moderators == ("dose_mg_day",) and len(dg.influence) == 4
    assert dg.small_study is None and dg.trim_and_fill is None and "k = 4" in dg.reasons["small_study"]
    one_dose = t[t["dose_mg_day"] == 100]
    dg = diagnostics(fmtrials.pool(one_dose, method="REML"), one_dose)
    assert dg.dose_regression is None and "same dose (100 mg/day)" in dg.reasons["dose_regression"]
    big = table("bcg")
    dg = diagnostics(fmtrials.pool(big, method="REML"))
    assert dg.small_study["method"].tolist() == ["egger", "egger_rma", "begg"] and dg.trim_and_fill is not None
    assert "not given" in dg.reasons["dose_regression"]
    two = table("hine1989_k3").iloc[:2]
    dg = diagnostics(fmtrials.pool(two, method="IV"))
    assert dg.influence is None and "at least 3" in dg.reasons["influence"]

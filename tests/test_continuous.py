"""Continuous outcomes (issue 25): effect_sizes and pool for MD / SMD / ROM against R metafor 3.8
(tests/r/continuous_reference.R -> tests/data/continuous_reference.json), the validation of summary statistics,
and the SD conversions of the Cochrane Handbook §6.5.2 checked against hand calculations and scipy."""

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

REF = json.loads((Path(__file__).parent / "data" / "continuous_reference.json").read_text())
TOL = 1e-6


def _table(name: str) -> pd.DataFrame:
    return pd.DataFrame(REF["data"][name])


def _id(c) -> str:
    return "-".join(str(c[k]) for k in ("data", "measure", "method", "test") if k in c)


def test_reference_records_versions():
    assert REF["metafor_version"] == "3.8.1"
    assert len(REF["pool"]) == 8 * 8


@pytest.mark.parametrize("c", REF["escalc"], ids=_id)
def test_effect_sizes_match_escalc(c):
    out = fmtrials.effect_sizes(_table(c["data"]), measure=c["measure"].lower())
    assert_allclose(out["yi"], c["yi"], rtol=1e-10, atol=1e-12)
    assert_allclose(out["vi"], c["vi"], rtol=1e-10, atol=1e-12)
    assert not out["corrected"].any() and not out["excluded"].any()


@pytest.mark.parametrize("c", REF["pool"], ids=_id)
def test_pool_matches_rma(c):
    r = fmtrials.pool(_table(c["data"]), measure=c["measure"], method=c["method"], test=c["test"], pi_method="metafor")
    tol = dict(rtol=TOL, atol=TOL)
    assert r.k == c["k"]
    assert_allclose(r.beta, c["beta"], **tol)
    assert_allclose(r.se, c["se"], **tol)
    lo, hi = (np.log(r.ci_low), np.log(r.ci_high)) if c["measure"] == "ROM" else (r.ci_low, r.ci_high)
    assert_allclose([lo, hi], [c["ci_lb"], c["ci_ub"]], **tol)
    assert_allclose(r.statistic, c["zval"], **tol)
    assert_allclose(r.p_value, c["pval"], rtol=TOL, atol=1e-12)
    h = r.heterogeneity
    assert_allclose(h.tau2, c["tau2"], **tol)
    assert_allclose(h.q, c["QE"], **tol)
    assert_allclose(h.q_p, c["QEp"], rtol=TOL, atol=1e-12)
    i2 = h.i2 if c["method"] == "IV" else h.i2_tau2  # metafor: Q-based I² for FE, tau²-based for RE
    assert_allclose(i2, c["I2"], **tol)
    if c["method"] != "IV":
        p = r.prediction
        plo, phi = (np.log(p.pi_low), np.log(p.pi_high)) if c["measure"] == "ROM" else (p.pi_low, p.pi_high)
        assert_allclose([plo, phi], [c["pi_lb"], c["pi_ub"]], **tol)
    if c["measure"] == "ROM":
        assert_allclose(r.estimate, math.exp(c["beta"]), rtol=TOL)


@pytest.mark.parametrize("c", REF["leave1out"], ids=_id)
def test_leave_one_out_matches_metafor(c):
    loo = fmtrials.leave_one_out(_table(c["data"]), measure=c["measure"], method=c["method"], test=c["test"])
    tol = dict(rtol=1e-5 if c["method"] == "REML" else TOL, atol=TOL)
    assert_allclose(loo["estimate"], c["estimate"], **tol)
    assert_allclose(loo["se"], c["se"], **tol)
    assert_allclose(loo["ci_low"], c["ci_lb"], **tol)
    assert_allclose(loo["ci_high"], c["ci_ub"], **tol)
    assert_allclose(loo["q"], c["Q"], **tol)
    assert_allclose(loo["tau2"], c["tau2"], **tol)


@pytest.mark.parametrize("c", REF["influence"], ids=_id)
def test_influence_matches_metafor(c):
    r = fmtrials.pool(_table(c["data"]), measure=c["measure"], method=c["method"])
    inf = fmtrials.influence(r)
    tol = 1e-5 if c["method"] == "REML" else TOL
    for col in ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "hat", "dfbetas"):
        assert_allclose(inf[col], c[col], rtol=tol, atol=tol, err_msg=col)


@pytest.mark.parametrize("c", REF["meta_regression"], ids=_id)
def test_meta_regression_of_a_ratio_of_means_matches_metafor(c):
    reg = fmtrials.meta_regression(_table(c["data"]), c["moderators"], measure="ROM", method=c["method"])
    assert_allclose(reg.coefficients["estimate"], c["beta"], rtol=1e-5, atol=1e-8)
    assert_allclose(reg.coefficients["se"], c["se"], rtol=1e-5, atol=1e-8)
    assert_allclose(reg.tau2, c["tau2"], rtol=1e-5, atol=1e-10)


def test_egger_test_of_a_ratio_of_means_matches_regtest():
    c = REF["egger"]
    r = fmtrials.small_study_test(_table(c["data"]), measure="ROM", test="egger")
    assert_allclose(r.at[0, "statistic"], c["zval"], rtol=1e-8)
    assert_allclose(r.at[0, "p_value"], c["pval"], rtol=1e-8)
    assert r.at[0, "df"] == c["dfs"]


def test_subgroups_of_a_mean_difference_are_pooled_separately():
    t = _table("curtis1998")
    r = fmtrials.pool(t, measure="ROM", method="DL", by="fungrp")
    for g, sub in r.subgroups.items():
        alone = fmtrials.pool(t[t["fungrp"] == g], measure="ROM", method="DL")
        assert_allclose(sub.beta, alone.beta, rtol=1e-12)
    # Q between from the subgroup estimates (independent computation)
    b = np.array([s.beta for s in r.subgroups.values()])
    w = 1 / np.array([s.se for s in r.subgroups.values()]) ** 2
    q = float((w * (b - (w * b).sum() / w.sum()) ** 2).sum())
    assert_allclose(r.subgroup_test.q, q, rtol=1e-12)


@pytest.mark.parametrize("method", ["MH", "Peto", "MH-DL"])
def test_mantel_haenszel_and_peto_are_refused_for_continuous_measures(method):
    with pytest.raises(DataError, match="inverse variance"):
        fmtrials.pool(_table("normand1999"), measure="MD", method=method)


def test_study_table_carries_the_summary_statistics():
    r = fmtrials.pool(_table("normand1999"), measure="MD", method="IV")
    s = r.studies
    assert list(s.columns[2:8]) == ["mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c"]
    assert_allclose(s["estimate"], s["mean_t"] - s["mean_c"])
    assert r.zero_cell.startswith("none")


# ------------------------------------------------------------------------------------- bad input
def _good() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mean_t": [5.0, 3.0],
            "sd_t": [2.0, 1.5],
            "n_t": [20, 30],
            "mean_c": [4.0, 3.5],
            "sd_c": [2.0, 1.0],
            "n_c": [20, 31],
        }
    )


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("sd_t", 0.0, "standard deviation must be > 0"),
        ("sd_c", -1.0, "standard deviation must be > 0"),
        ("n_t", 1, "at least 2"),
        ("n_c", 2.5, "whole number"),
        ("mean_c", None, "missing mean"),
        ("mean_t", "abc", "not a number"),
        ("sd_t", float("inf"), "finite"),
    ],
)
@pytest.mark.parametrize("measure", ["MD", "SMD", "ROM"])
def test_bad_summary_statistics_name_row_and_column(column, value, message, measure):
    t = _good().astype(object)
    t.loc[1, column] = value
    for call in (
        lambda: fmtrials.effect_sizes(t, measure=measure),
        lambda: fmtrials.pool(t, measure=measure, method="IV"),
    ):
        with pytest.raises(DataError) as err:
            call()
        (p,) = err.value.problems
        assert (p.row, p.column) == (2, column) and message in p.message


def test_smd_with_a_zero_pooled_sd_and_rom_with_a_negative_mean_are_refused():
    t = _good()
    t.loc[0, ["sd_t", "sd_c"]] = 1e-200  # squares underflow to 0: no pooled SD
    with pytest.raises(DataError, match="pooled standard deviation is 0") as err:
        fmtrials.effect_sizes(t, measure="SMD")
    assert err.value.problems[0].row == 1
    t = _good()
    t.loc[1, "mean_c"] = -3.5
    with pytest.raises(DataError, match="means > 0") as err:
        fmtrials.pool(t, measure="ROM", method="IV")
    assert (err.value.problems[0].row, err.value.problems[0].column) == (2, "mean_c")


def test_missing_columns_are_named():
    with pytest.raises(DataError, match="sd_c"):
        fmtrials.pool(_good().drop(columns="sd_c"), measure="MD", method="IV")


# ------------------------------------------------------------------------------------- conversions
def test_sd_from_se_and_ci_follow_the_handbook():
    assert_allclose(fmtrials.sd_from_se(0.25, 64), 2.0)
    # Handbook §6.5.2.2: large arm, 95% CI width / 3.92 (exactly 2 × 1.959964) × √n
    assert_allclose(fmtrials.sd_from_ci(10.0, 14.0, 100), 10 * 4 / (2 * stats.norm.ppf(0.975)))
    # small arm (< 60): t on n - 1 df
    assert_allclose(fmtrials.sd_from_ci(10.0, 14.0, 25), 5 * 4 / (2 * stats.t.ppf(0.975, 24)))
    # 90% CI
    assert_allclose(fmtrials.sd_from_ci(10.0, 14.0, 100, alpha=0.1), 10 * 4 / (2 * stats.norm.ppf(0.95)))


def test_sd_from_a_difference_t_and_p_agree_with_a_two_sample_t_test():
    rng = np.random.default_rng(1)
    x, y = rng.normal(1.0, 2.0, 25), rng.normal(0.0, 2.0, 30)
    t = stats.ttest_ind(x, y)  # pooled-variance t test on 53 df
    sp = math.sqrt(((24) * x.var(ddof=1) + 29 * y.var(ddof=1)) / 53)
    md = x.mean() - y.mean()
    assert_allclose(fmtrials.sd_from_t(md, t.statistic, 25, 30), sp, rtol=1e-10)
    assert_allclose(fmtrials.sd_from_p(md, t.pvalue, 25, 30), sp, rtol=1e-8)
    half = stats.t.ppf(0.975, 53) * sp * math.sqrt(1 / 25 + 1 / 30)
    assert_allclose(fmtrials.sd_from_diff_ci(md - half, md + half, 25, 30), sp, rtol=1e-10)


def test_sd_change_from_correlation():
    b, f, r = 2.0, 3.0, 0.6
    # the variance of a difference of correlated variables
    assert_allclose(fmtrials.sd_change(b, f, r), math.sqrt(4 + 9 - 2 * 0.6 * 6))
    assert_allclose(fmtrials.sd_change([2.0, 2.0], [2.0, 2.0], [0.0, 0.5]), [math.sqrt(8), 2.0])


@pytest.mark.parametrize(
    "call, column",
    [
        (lambda: fmtrials.sd_from_se(-1, 10), "se"),
        (lambda: fmtrials.sd_from_se(1, 1), "n"),
        (lambda: fmtrials.sd_from_ci(2, 1, 10), "ci_low"),
        (lambda: fmtrials.sd_from_t(1.0, 0.0, 10, 10), "t_value"),
        (lambda: fmtrials.sd_from_p(1.0, 1.0, 10, 10), "p"),
        (lambda: fmtrials.sd_change(1.0, 1.0, 1.5), "r"),
        (lambda: fmtrials.sd_change(1.0, 1.0, 1.0), "r"),
    ],
)
def test_conversions_refuse_bad_input(call, column):
    with pytest.raises(DataError) as err:
        call()
    assert err.value.problems[0].column == column


# ------------------------------------------------------------------------------------- RevMan
REVMAN = Path(__file__).parent / "data" / "revman"


@pytest.mark.parametrize("name", ["continuous.rm5", "continuous.csv"])
def test_compare_revman_reproduces_revman_continuous_results(name):
    # RevMan's values in the files are computed by tests/r/revman_continuous.R from Deeks & Higgins' formulas
    c = fmtrials.compare_revman(REVMAN / name)
    assert set(c.outcome) == {
        "Length of stay (MD, fixed)",
        "Length of stay (MD, random, by centre)",
        "Length of stay (SMD, fixed)",
        "Length of stay (SMD, random)",
    }
    assert len(c) == 62 and c.revman.notna().all()
    assert_allclose(c.fmtrials, c.revman, rtol=1e-10, atol=1e-12)
    sub = c[c.quantity == "chi2_subgroups"]
    assert len(sub) == 1 and sub.revman.iloc[0] > 0


def test_revman_smd_uses_the_approximate_correction():
    # RevMan's g: (1 - 3/(4N - 9)) d, variance N/(n1 n2) + g²/(2(N - 3.94)); metafor's exact J differs slightly
    t = _table("normand1999")
    n = t.n_t + t.n_c
    sp = np.sqrt(((t.n_t - 1) * t.sd_t**2 + (t.n_c - 1) * t.sd_c**2) / (n - 2))
    d = (t.mean_t - t.mean_c) / sp
    g, v = fmtrials.effects.continuous.revman_smd(t.mean_t, t.sd_t, t.n_t, t.mean_c, t.sd_c, t.n_c)
    assert_allclose(g, d * (1 - 3 / (4 * n - 9)), rtol=1e-14)
    assert_allclose(v, n / (t.n_t * t.n_c) + g**2 / (2 * (n - 3.94)), rtol=1e-14)
    exact = fmtrials.effect_sizes(t, measure="SMD")
    assert np.abs(exact.yi - g).max() > 1e-5  # the two conventions are not the same numbers
    c = fmtrials.compare_revman(REVMAN / "continuous.rm5")
    smd = c[(c.outcome == "Length of stay (SMD, fixed)") & (c.quantity == "estimate")]
    metafor_way = fmtrials.pool(t, measure="SMD", method="IV").estimate
    assert abs(smd.revman.iloc[0] - metafor_way) > 1e-6
    assert_allclose(smd.fmtrials.iloc[0], smd.revman.iloc[0], rtol=1e-12)


@pytest.mark.parametrize(
    "attr, value, message",
    [
        ("SD_1", "0", "standard deviation must be > 0"),
        ("MEAN_2", "inf", "not a number"),
        ("TOTAL_1", "1", "at least 2"),
    ],
)
def test_revman_continuous_values_are_validated_naming_line_and_attribute(tmp_path, attr, value, message):
    text = (REVMAN / "continuous.rm5").read_text(encoding="utf-8")
    lines = text.splitlines()
    i = next(j for j, s in enumerate(lines) if s.startswith("<CONT_DATA"))
    import re

    lines[i] = re.sub(rf'{attr}="[^"]*"', f'{attr}="{value}"', lines[i])
    p = tmp_path / "bad.rm5"
    p.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DataError) as err:
        fmtrials.read_revman(p)
    (prob,) = err.value.problems
    assert prob.line == i + 1 and prob.column == attr and message in prob.message


def test_revman_csv_continuous_values_are_validated_naming_line_and_field(tmp_path):
    lines = (REVMAN / "continuous.csv").read_text(encoding="utf-8").splitlines()
    i = next(j for j, s in enumerate(lines) if s.startswith("1,1,0,Edinburgh,"))
    cells = lines[i].split(",")
    cells[10] = "-2"  # SD 1
    lines[i] = ",".join(cells)
    p = tmp_path / "bad.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        fmtrials.read_revman(p)
    (prob,) = err.value.problems
    assert (prob.line, prob.column) == (i + 1, "SD 1") and "must be > 0" in prob.message


# ------------------------------------------------------------------------------------- forest plot
def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


@pytest.mark.parametrize("measure, scale", [("MD", "linear"), ("SMD", "linear"), ("ROM", "log")])
def test_forest_of_a_continuous_outcome_has_its_scale_and_unit(measure, scale):
    import matplotlib.pyplot as plt

    r = fmtrials.pool(_table("normand1999"), measure=measure, method="DL")
    fig = fmtrials.plot_forest(r, unit="days", event="harmful")
    try:
        ax = fig.axes[0]
        assert ax.get_xscale() == scale
        lo, hi = ax.get_xlim()
        ci = r.studies[["ci_low", "ci_high"]].to_numpy()
        assert lo <= ci.min() and ci.max() <= hi  # no study interval cut by the automatic limits
        text = "\n".join(_texts(fig))
        want = {"MD": "Mean difference\n(days) [95% CI]", "SMD": "(SD units) [95% CI]", "ROM": "Ratio of means"}
        assert want[measure] in text
        assert "events/total" not in text
        assert "155" in text  # the arm sizes are shown
    finally:
        plt.close(fig)


def test_summary_frame_of_a_continuous_outcome_sums_arm_sizes_and_has_no_events():
    r = fmtrials.pool(_table("normand1999"), measure="MD", method="IV")
    f = r.summary_frame()
    total = f.iloc[-1]
    assert int(total.n_t) == 548 and int(total.n_c) == 610
    assert f.events_t.isna().all()
    assert "N (treatment)" in r._repr_html_()


# ------------------------------------------------------------------------------------- bundled data
def test_missing_continuous_data_of_the_milnacipran_trials_is_explicit():
    # no public page read prints a mean change with its SD/SE/CI and n for any pooled trial (evidence.md): each
    # trial has a gap row, with the source and locator of what was seen instead
    g = fmtrials.load_gaps()
    cont = g[g["missing"].str.startswith("continuous outcomes")]
    assert set(cont["study"]) == {"Vitton2004", "Clauw2008", "Mease2009", "Arnold2010", "Branco2010", "Bateman2013"}
    assert (cont["status"] == "not reported").all()
    assert cont["source"].notna().all() and cont["locator"].notna().all()
    bat = cont[cont["study"] == "Bateman2013"].iloc[0]
    assert "12.3 mm" in bat["locator"] and "no SD" in bat["locator"]

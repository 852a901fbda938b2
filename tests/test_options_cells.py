"""Options reach the computation (issue 29, class 2): each non-default value gives the outside reference's
value for that option (textbook formulas in tests/_oracle.py, scipy for the tests), not the default's."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import _oracle as o
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fmtrials import compare, nnt, odds_ratio, pool, reanalyse_percentages, risk_difference, risk_ratio
from fmtrials.effects import proportions_test

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("alpha", [0.10, 0.01])
def test_reanalyse_percentages_alpha_and_test_reach_the_interval_and_p(alpha):
    # 25.4% of 401 is only 102/401, 15.5% of 401 only 62/401
    r = reanalyse_percentages(25.4, 401, 15.5, 401, alpha=alpha, test="chi2").iloc[0]
    d, lo, hi = o.newcombe(102, 401, 62, 401, alpha)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi), abs=1e-12)
    want = stats.chi2_contingency([[102, 299], [62, 339]], correction=False)[1]
    assert r["p_min"] == pytest.approx(want, rel=1e-9) and r["p_max"] == pytest.approx(want, rel=1e-9)


def test_reanalyse_percentages_measure_rr_is_a_ratio():
    r = reanalyse_percentages(25.4, 401, 15.5, 401, measure="RR", ci="katz").iloc[0]
    assert r["estimate_min"] == pytest.approx((102 / 401) / (62 / 401), rel=1e-12)


@pytest.mark.parametrize("alpha", [0.10, 0.20])
def test_two_by_two_functions_at_a_non_default_level_and_correction(alpha):
    x = (7, 40, 0, 38)
    got = risk_ratio(*x, alpha=alpha, add=0.25).iloc[0]
    assert (got["estimate"], got["ci_low"], got["ci_high"]) == pytest.approx(o.ratio_ci(*x, "RR", alpha, 0.25))
    got = odds_ratio(*x, alpha=alpha, add=0.1).iloc[0]
    assert (got["estimate"], got["ci_low"], got["ci_high"]) == pytest.approx(o.ratio_ci(*x, "OR", alpha, 0.1))
    y = (30, 100, 18, 100)
    got = risk_difference(*y, ci="wald", alpha=alpha).iloc[0]
    assert (got["estimate"], got["ci_low"], got["ci_high"]) == pytest.approx(o.wald_rd(*y, alpha), abs=1e-12)
    got = nnt(*y, ci="wald", alpha=alpha, event="harmful").iloc[0]
    d, lo, hi = o.wald_rd(*y, alpha)
    want = o.nnt(d, lo, hi, "harmful")
    assert got["nnt"] == pytest.approx(want["nnt"]) and got["nnt_type"] == want["type"] == "NNTH"
    assert sorted([(got["nnt_near"], got["nnt_near_type"]), (got["nnt_far"], got["nnt_far_type"])]) == [
        (pytest.approx(v), t) for v, t in want["limits"]
    ]


@pytest.mark.parametrize("test", ["fisher", "chi2", "yates"])
def test_proportions_test_names_its_test(test):
    x1, n1, x2, n2 = 30, 100, 18, 100
    got = proportions_test(x1, n1, x2, n2, test=test)["p_value"].iloc[0]
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    want = {
        "fisher": stats.fisher_exact(table)[1],
        "chi2": stats.chi2_contingency(table, correction=False)[1],
        "yates": stats.chi2_contingency(table, correction=True)[1],
    }[test]
    assert got == pytest.approx(want, rel=1e-9)


def test_compare_options_reach_every_column():
    t = pd.DataFrame({"events_t": [30, 5], "n_t": [100, 40], "events_c": [18, 0], "n_c": [100, 41]})
    c = compare(t, rd_ci="wald", alpha=0.10, test="chi2", add=0.25, event="harmful")
    for i, x in enumerate(t.itertuples(index=False, name=None)):
        r = c.iloc[i]
        assert (r["rd"], r["rd_low"], r["rd_high"]) == pytest.approx(o.wald_rd(*x, 0.10), abs=1e-12)
        assert (r["rr"], r["rr_low"], r["rr_high"]) == pytest.approx(o.ratio_ci(*x, "RR", 0.10, 0.25))
        assert (r["or"], r["or_low"], r["or_high"]) == pytest.approx(o.ratio_ci(*x, "OR", 0.10, 0.25))
        assert (r["rate_t_low"], r["rate_t_high"]) == pytest.approx(o.wilson(x[0], x[1], 0.10))
        assert (r["rate_c_low"], r["rate_c_high"]) == pytest.approx(o.wilson(x[2], x[3], 0.10))
        table = [[x[0], x[1] - x[0]], [x[2], x[3] - x[2]]]
        assert r["p_value"] == pytest.approx(stats.chi2_contingency(table, correction=False)[1], rel=1e-9)
        assert r["nnt_type"] == "NNTH"


T = pd.DataFrame(
    {
        "study": list("ABCDE"),
        "events_t": [30, 12, 45, 8, 20],
        "n_t": [100, 60, 150, 40, 90],
        "events_c": [18, 10, 30, 3, 21],
        "n_c": [100, 58, 148, 41, 88],
    }
)
TABS = list(T[["events_t", "n_t", "events_c", "n_c"]].itertuples(index=False, name=None))


@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
@pytest.mark.parametrize(
    "method,test", [("MH", "z"), ("IV", "z"), ("DL", "z"), ("REML", "hksj"), ("PM", "hksj-adhoc"), ("DL", "hksj")]
)
def test_pool_at_90_percent_every_number(measure, method, test):
    r = pool(T, measure=measure, method=method, test=test, alpha=0.10)
    w = o.pool_tables(TABS, measure, method=method, test=test, alpha=0.10)
    est, lo, hi = (o.back(w[x], measure) for x in ("est", "lo", "hi"))
    assert (r.estimate, r.ci_low, r.ci_high) == pytest.approx((est, lo, hi), rel=1e-7)
    assert r.p_value == pytest.approx(w["p"], rel=1e-6)
    h = r.heterogeneity
    assert h.tau2 == pytest.approx(w["tau2"], rel=1e-6, abs=1e-10)
    assert h.q == pytest.approx(w["q"], rel=1e-9)
    if method in ("MH", "IV"):
        assert h.i2 == pytest.approx(w["i2"], rel=1e-9, abs=1e-9)
    if method not in ("MH", "IV"):
        want_pi = [o.back(v, measure) for v in w["pi"]]
        assert (r.prediction.pi_low, r.prediction.pi_high) == pytest.approx(want_pi, rel=1e-7)


def test_cli_measure_and_ci_reach_the_tables(tmp_path):
    out = tmp_path / "r"
    cmd = [sys.executable, "-m", "fmtrials", "report", "--data", str(DATA / "lee2004_outcomes.csv"), "--out", str(out)]
    cmd += ["--no-figures", "--quiet", "--measure", "rd", "--ci", "wald", "--method", "PM", "--test", "z"]
    subprocess.run(cmd, check=True, capture_output=True)
    with open(out / "tables" / "comparisons.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            x = tuple(int(float(r[c])) for c in ("events_t", "n_t", "events_c", "n_c"))
            assert (float(r["rd_low"]), float(r["rd_high"])) == pytest.approx(o.wald_rd(*x)[1:], rel=1e-8, abs=1e-12)
    with open(out / "tables" / "pooled.csv", newline="", encoding="utf-8") as fh:
        main = [r for r in csv.DictReader(fh) if r["model"] == "main" and r["group"] in ("overall", "all doses")]
    assert main and all(r["measure"] == "RD" and r["method"] == "PM" and r["test"] == "z" for r in main)
    with open(DATA / "lee2004_outcomes.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by = {}
    for r in rows:
        by.setdefault(r["study"], {})["c" if r["arm"] == "placebo" else "t"] = (int(r["responders"]), int(r["n"]))
    tabs = [(*v["t"], *v["c"]) for v in by.values()]
    w = o.pool_tables(tabs, "RD", method="PM", test="z")
    r = main[0]
    assert (float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"])) == pytest.approx(
        (w["est"], w["lo"], w["hi"]), rel=1e-7
    )
    assert math.isfinite(float(r["tau2"])) and float(r["tau2"]) == pytest.approx(w["tau2"], rel=1e-6, abs=1e-10)
    assert np.isclose(float(r["q"]), w["q"], rtol=1e-9)


REF = json.loads((DATA / "options2_reference.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", REF["cases"], ids=[f"{c['measure']}-{c['method']}-{c['test']}" for c in REF["cases"]])
def test_pool_at_90_percent_is_metafor_level_90(case):
    """fmtrials.pool(alpha=0.10) and the test's own arithmetic against metafor level = 90 (the JSON records the
    R call); a pool that ignored alpha would give the 95% interval."""
    assert REF["level"] == 90
    m, method, test = case["measure"], case["method"], case["test"]
    r = pool(T, measure=m, method=method, test=test, alpha=0.10)
    w = o.pool_tables(TABS, m, method=method, test=test, alpha=0.10)
    want = [o.back(case[k], m) for k in ("estimate", "ci_low", "ci_high")]
    assert (r.estimate, r.ci_low, r.ci_high) == pytest.approx(want, rel=1e-7), case["call"]
    assert [o.back(w[k], m) for k in ("est", "lo", "hi")] == pytest.approx(want, rel=1e-7), case["call"]
    assert r.p_value == pytest.approx(case["p_value"], rel=1e-6) and w["p"] == pytest.approx(case["p_value"], rel=1e-6)
    assert r.heterogeneity.q == pytest.approx(case["q"], rel=1e-9)
    assert r.heterogeneity.tau2 == pytest.approx(case["tau2"], rel=1e-6, abs=1e-10)


@pytest.mark.parametrize("alpha", [0.10, 0.20])
def test_proportion_intervals_by_name_at_a_non_default_level(alpha):
    """Clopper-Pearson and Jeffreys are Beta quantiles (scipy), Wilson the score formula; through compare's
    rate_ci, the option the report's arm rates use."""
    from fmtrials import proportion_ci

    x, n = 7, 40
    want = {
        "clopper_pearson": (stats.beta.ppf(alpha / 2, x, n - x + 1), stats.beta.ppf(1 - alpha / 2, x + 1, n - x)),
        "jeffreys": (
            stats.beta.ppf(alpha / 2, x + 0.5, n - x + 0.5),
            stats.beta.ppf(1 - alpha / 2, x + 0.5, n - x + 0.5),
        ),
        "wilson": o.wilson(x, n, alpha),
    }
    for ci, (lo, hi) in want.items():
        got = proportion_ci(x, n, ci=ci, alpha=alpha).iloc[0]
        assert (got["ci_low"], got["ci_high"]) == pytest.approx((lo, hi), rel=1e-9), ci
        c = compare(pd.DataFrame({"events_t": [x], "n_t": [n], "events_c": [3], "n_c": [41]}), rate_ci=ci, alpha=alpha)
        assert (c["rate_t_low"].iloc[0], c["rate_t_high"].iloc[0]) == pytest.approx((lo, hi), rel=1e-9), ci


@pytest.mark.parametrize("alpha", [0.10, 0.05])
def test_agresti_caffo_adds_one_success_and_one_failure_per_arm(alpha):
    x1, n1, x2, n2 = 12, 40, 5, 38
    p1, p2 = (x1 + 1) / (n1 + 2), (x2 + 1) / (n2 + 2)
    se = math.sqrt(p1 * (1 - p1) / (n1 + 2) + p2 * (1 - p2) / (n2 + 2))
    got = risk_difference(x1, n1, x2, n2, ci="agresti_caffo", alpha=alpha).iloc[0]
    d = p1 - p2
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((d - o.z(alpha) * se, d + o.z(alpha) * se), rel=1e-9)
    assert got["estimate"] == pytest.approx(x1 / n1 - x2 / n2)

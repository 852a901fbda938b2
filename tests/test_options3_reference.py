"""alpha reaches every public pooling function (issue 29, class 2, second review): fmtrials at alpha = 0.10
against R metafor at level = 90 (tests/data/options3_reference.json, written by tests/r/options3_reference.R) for
the functions whose level had no outside reference: :func:`fmtrials.analyse` (the report's main model, three
method/test pairs), :func:`fmtrials.leave_one_out`, :func:`fmtrials.cumulative`, :func:`fmtrials.meta_regression`
and :func:`fmtrials.pool_many`; and, by hand arithmetic, :func:`fmtrials.sd_from_diff_ci` and
:func:`fmtrials.coverage` at a non-default level. Every expected value is R's or the test's own; a function that
kept computing 95% intervals fails.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import _oracle as o
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import fmtrials

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "options3_reference.json").read_text(encoding="utf-8"))
TABLE = pd.DataFrame(REF["data"])
ALPHA = 1 - REF["level"] / 100
REL = 1e-7  # REML / PM roots at 1e-12 on both sides


def test_reference_records_versions_and_level():
    assert REF["r_version"].startswith("R version") and REF["metafor_version"]
    assert REF["level"] == 90 and ALPHA == pytest.approx(0.10)


@pytest.mark.parametrize("case", REF["main"], ids=[f"{c['measure']}-{c['method']}-{c['test']}" for c in REF["main"]])
def test_analyse_main_model_at_alpha_010_is_metafor_level_90(case):
    """The report's main model at alpha 0.10 (a user file: lee2004) is metafor's at level 90."""
    outcomes = fmtrials.read_outcomes(DATA / "lee2004_outcomes.csv")
    r = fmtrials.analyse(outcomes, measure=case["measure"], alpha=ALPHA, method=case["method"], test=case["test"])
    main = next(iter(r)).main
    assert (main.method, main.test, main.alpha) == (case["method"], case["test"], ALPHA)
    got = (main.estimate, main.ci_low, main.ci_high, main.p_value, main.heterogeneity.tau2)
    want = tuple(case[k] for k in ("estimate", "ci_low", "ci_high", "p_value", "tau2"))
    assert got == pytest.approx(want, rel=REL, abs=1e-12)
    # and the per-comparison intervals are at 90% too (Katz, hand arithmetic)
    c = r.compared.iloc[0]
    se = math.sqrt(1 / c["events_t"] - 1 / c["n_t"] + 1 / c["events_c"] - 1 / c["n_c"])
    assert c["rr_high"] == pytest.approx(c["rr"] * math.exp(stats.norm.ppf(0.95) * se), rel=1e-12)


def test_leave_one_out_at_alpha_010_is_metafor_leave1out_at_level_90():
    ref = REF["leave_one_out"]
    loo = fmtrials.leave_one_out(TABLE, measure="RR", method="REML", test="hksj", alpha=ALPHA)
    for col in ("estimate", "ci_low", "ci_high", "p_value", "tau2"):
        assert loo[col].to_numpy() == pytest.approx(np.array(ref[col]), rel=REL, abs=1e-12), col


def test_cumulative_at_alpha_010_is_metafor_cumul_at_level_90():
    ref = REF["cumulative"]
    cum = fmtrials.cumulative(TABLE, order_by=None, measure="OR", method="DL", alpha=ALPHA)
    for col in ("estimate", "ci_low", "ci_high", "p_value"):
        assert cum[col].to_numpy() == pytest.approx(np.array(ref[col]), rel=REL, abs=1e-12), col


def test_meta_regression_at_alpha_010_is_metafor_level_90():
    ref = REF["meta_regression"]
    reg = fmtrials.meta_regression(TABLE, "year", measure="RR", method="REML", test="hksj", alpha=ALPHA)
    coef = reg.coefficients
    for col in ("estimate", "ci_low", "ci_high", "p_value"):
        assert coef[col].to_numpy() == pytest.approx(np.array(ref[col]), rel=1e-6, abs=1e-9), col
    assert reg.tau2 == pytest.approx(ref["tau2"], rel=1e-6, abs=1e-12)


def test_pool_many_at_alpha_010_is_metafor_rma_mh_at_level_90():
    t = TABLE.assign(analysis=["A"] * 8 + ["B"] * 8)
    r = fmtrials.pool_many(t, measure="RR", method="MH", alpha=ALPHA).set_index("analysis")
    for g, ref in REF["pool_many"]["groups"].items():
        got = [r.loc[g, c] for c in ("k", "estimate", "ci_low", "ci_high", "p_value")]
        assert got == pytest.approx([ref[c] for c in ("k", "estimate", "ci_low", "ci_high", "p_value")], rel=1e-9)


@pytest.mark.parametrize("alpha", [0.10, 0.01])
@pytest.mark.parametrize(("n1", "n2"), [(25, 22), (100, 90)])
def test_sd_from_diff_ci_at_a_non_default_level(alpha, n1, n2):
    """Cochrane Handbook 6.5.2.3: SE = (upper − lower) / (2 q), SD = SE / sqrt(1/n_t + 1/n_c), q the
    1 − alpha/2 quantile of t on n_t + n_c − 2 df when an arm has fewer than 60 patients, else of the normal."""
    lo, hi = -3.1, 8.9
    small = min(n1, n2) < 60
    q = stats.t.ppf(1 - alpha / 2, n1 + n2 - 2) if small else stats.norm.ppf(1 - alpha / 2)
    got = float(np.asarray(fmtrials.sd_from_diff_ci(lo, hi, n1, n2, alpha=alpha)).ravel()[0])
    assert got == pytest.approx((hi - lo) / (2 * q) / math.sqrt(1 / n1 + 1 / n2), rel=1e-12)


@pytest.mark.parametrize("ci", ["newcombe", "wald"])
def test_coverage_at_alpha_010_by_enumeration(ci):
    """Exact coverage of a 90% RD interval: the probability, over every (x_t, x_c), that the interval computed
    by the textbook formula (tests/_oracle.py) contains the true difference."""
    n1, n2, p1, p2 = 12, 10, 0.3, 0.2
    fn = {"newcombe": o.newcombe, "wald": o.wald_rd}[ci]
    want = 0.0
    for x1 in range(n1 + 1):
        for x2 in range(n2 + 1):
            _, lo, hi = fn(x1, n1, x2, n2, 0.10)
            if lo <= p1 - p2 <= hi:
                want += stats.binom.pmf(x1, n1, p1) * stats.binom.pmf(x2, n2, p2)
    got = fmtrials.coverage(ci, n1, n2, p1, p2, alpha=0.10)
    assert float(got["coverage"].iloc[0]) == pytest.approx(want, abs=1e-9)


@pytest.mark.parametrize("method", ["REML", "common"])
def test_network_meta_at_alpha_010_is_metafors_estimate_and_se_at_90(method):
    """network_meta(alpha=0.10): each relative effect's interval is R metafor rma.mv's estimate ± z(0.95) × se
    (tests/data/network_reference.json, hasselblad1998), not the 95% one."""
    net = json.loads((DATA / "network_reference.json").read_text(encoding="utf-8"))
    c = net["cases"][next(k for k, v in net["cases"].items() if v["data"] == "hasselblad1998")]
    ref = c["fits"][method]
    arms = pd.DataFrame(net["datasets"][c["data"]])
    r = fmtrials.network_meta(arms, measure=c["measure"], reference=c["reference"], method=method, alpha=ALPHA)
    got = r.relative_effects().set_index("treatment").loc[ref["treatment"]]
    z = stats.norm.ppf(1 - ALPHA / 2)
    est, se = np.array(ref["estimate"]), np.array(ref["se"])
    assert np.log(got["ci_low"].to_numpy()) == pytest.approx(est - z * se, abs=1e-6)
    assert np.log(got["ci_high"].to_numpy()) == pytest.approx(est + z * se, abs=1e-6)


@pytest.mark.parametrize("alpha", [0.10, 0.20])
def test_bayes_pool_credible_intervals_at_a_non_default_level(alpha):
    """bayes_pool(alpha): the equal-tailed 1 − alpha credible intervals of mu and tau of the normal-normal model
    (flat prior on mu, half-normal prior on tau; Röver 2020, eq. 11-12), integrated here over tau with adaptive
    quadrature (scipy.integrate.quad) instead of the package's Gauss-Legendre rule, quantiles by root finding."""
    from scipy import integrate, optimize

    t = TABLE.iloc[:6]
    scale = 0.5
    y, v = [], []
    for _, r in t.iterrows():
        yi, vi = o.log_effect(r.events_t, r.n_t, r.events_c, r.n_c, "RR")
        y.append(yi)
        v.append(vi)
    y, v = np.array(y), np.array(v)

    def parts(tau):
        w = 1 / (v + tau**2)
        mu = float(np.sum(w * y) / np.sum(w))
        q = float(np.sum(w * (y - mu) ** 2))
        dens = stats.halfnorm.pdf(tau, scale=scale) * np.sum(w) ** -0.5 * np.prod((v + tau**2) ** -0.5)
        return dens * math.exp(-q / 2), mu, float(np.sum(w) ** -0.5)

    upper = 10 * scale
    total = integrate.quad(lambda s: parts(s)[0], 0, upper, epsabs=0, epsrel=1e-11, limit=200)[0]

    def mu_cdf(m):
        f = lambda s: (lambda d, mu, sd: d * stats.norm.cdf((m - mu) / sd))(*parts(s))  # noqa: E731
        return integrate.quad(f, 0, upper, epsabs=0, epsrel=1e-11, limit=200)[0] / total

    def tau_cdf(x):
        return integrate.quad(lambda s: parts(s)[0], 0, x, epsabs=0, epsrel=1e-11, limit=200)[0] / total

    lo = optimize.brentq(lambda m: mu_cdf(m) - alpha / 2, -5, 5, xtol=1e-12)
    hi = optimize.brentq(lambda m: mu_cdf(m) - (1 - alpha / 2), -5, 5, xtol=1e-12)
    r = fmtrials.bayes_pool(t, measure="RR", tau_prior=scale, alpha=alpha)
    assert (math.log(r.ci_low), math.log(r.ci_high)) == pytest.approx((lo, hi), abs=1e-6)
    tlo = optimize.brentq(lambda x: tau_cdf(x) - alpha / 2, 1e-9, upper, xtol=1e-12)
    thi = optimize.brentq(lambda x: tau_cdf(x) - (1 - alpha / 2), 1e-9, upper, xtol=1e-12)
    assert (r.tau_ci_low, r.tau_ci_high) == pytest.approx((tlo, thi), abs=1e-5)

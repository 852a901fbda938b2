"""Bayesian posteriors against independent computations: adaptive quadrature (scipy.integrate.quad) and seeded
Monte Carlo with tolerances from the Monte Carlo standard error."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from fmtrials import DataError, bayes_pool, bayes_risk_difference
from fmtrials.effects import effect_sizes

RD_CASES = [(103, 516, 56, 509), (0, 10, 0, 10), (5, 5, 0, 5), (1, 400, 0, 400), (0, 3, 2, 3), (26, 79, 5, 21)]


def quad_p_greater(x1, n1, x2, n2, d, a=1.0, b=1.0):
    def f(q):
        return stats.beta.pdf(q, a + x2, b + n2 - x2) * stats.beta.sf(q + d, a + x1, b + n1 - x1)

    pts = [x2 / n2, min(1.0, max(0.0, x1 / n1 - d))]
    return integrate.quad(f, 0, 1, limit=500, epsabs=1e-13, epsrel=1e-12, points=pts)[0]


@pytest.mark.parametrize("prior", [(1, 1), (0.5, 0.5)])
def test_rd_p_greater_against_adaptive_quadrature(prior):
    x1, n1, x2, n2 = map(np.array, zip(*RD_CASES))
    for d in (-0.05, 0.0, 0.1):
        got = bayes_risk_difference(x1, n1, x2, n2, prior=prior, threshold=d)["p_greater"].to_numpy()
        want = [quad_p_greater(*c, d, *prior) for c in RD_CASES]
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_rd_against_seeded_monte_carlo():
    rng = np.random.default_rng(20141)
    n = 400_000
    got = bayes_risk_difference(*map(np.array, zip(*RD_CASES)), threshold=0.05)
    for row, (x1, n1, x2, n2) in zip(got.itertuples(), RD_CASES):
        d = rng.beta(1 + x1, 1 + n1 - x1, n) - rng.beta(1 + x2, 1 + n2 - x2, n)
        sd = d.std()
        assert row.mean == pytest.approx(d.mean(), abs=5 * sd / np.sqrt(n))
        pg = (d > 0.05).mean()
        assert row.p_greater == pytest.approx(pg, abs=5 * np.sqrt(pg * (1 - pg) / n) + 1e-6)
        for prob, val in ((0.5, row.median), (0.025, row.ci_low), (0.975, row.ci_high)):
            # a quantile's MC error, via the empirical CDF at our value
            frac = (d <= val).mean()
            assert frac == pytest.approx(prob, abs=5 * np.sqrt(prob * (1 - prob) / n) + 1e-6)


def test_rd_mean_is_exact_beta_arithmetic_and_double_zero_symmetric():
    r = bayes_risk_difference(3, 10, 1, 10, prior=(1, 1)).iloc[0]
    assert r["mean"] == pytest.approx(4 / 12 - 2 / 12, abs=1e-15)
    z = bayes_risk_difference(0, 10, 0, 10).iloc[0]
    assert abs(z["median"]) < 1e-9 and z["ci_low"] == pytest.approx(-z["ci_high"], abs=1e-5)


def test_rd_thresholds_broadcast_and_are_checked():
    r = bayes_risk_difference(103, 516, 56, 509, threshold=[0.0, 0.05, 0.10])
    assert len(r) == 3 and r["p_greater"].is_monotonic_decreasing
    one = bayes_risk_difference(103, 516, 56, 509, threshold=0.05)["p_greater"].iloc[0]
    assert r["p_greater"].iloc[1] == one
    for bad in (1.5, [0.0, np.nan], "x", True):
        with pytest.raises(DataError, match="threshold"):
            bayes_risk_difference(103, 516, 56, 509, threshold=bad)


@pytest.mark.parametrize("prior", [(0, 1), (1, -1), (np.nan, 1), (1,), "flat"])
def test_rd_prior_outside_domain_refused(prior):
    with pytest.raises(DataError, match="prior"):
        bayes_risk_difference(1, 10, 1, 10, prior=prior)


def pool_mc(y, v, scale, n, rng):
    """Exact sampling: tau from its posterior by importance resampling of prior draws, then mu | tau."""
    tau = np.abs(rng.normal(0, scale, 4 * n))
    w = 1 / (v[None, :] + tau[:, None] ** 2)
    sw = w.sum(1)
    m = (w * y).sum(1) / sw
    ll = -0.5 * np.log(sw) + 0.5 * np.log(w).sum(1) - 0.5 * (w * (y - m[:, None]) ** 2).sum(1)
    p = np.exp(ll - ll.max())
    idx = rng.choice(tau.size, n, p=p / p.sum())
    mu = rng.normal(m[idx], 1 / np.sqrt(sw[idx]))
    return mu, tau[idx]


TABLES = {
    "k3": pd.DataFrame(
        {"events_t": [73, 189, 18], "n_t": [224, 516, 85], "events_c": [24, 106, 6], "n_c": [112, 509, 21]}
    ),
    "k2": pd.DataFrame({"events_t": [159, 35], "n_t": [516, 86], "events_c": [150, 10], "n_c": [509, 21]}),
    "zero_cell": pd.DataFrame({"events_t": [0, 4, 9], "n_t": [85, 40, 50], "events_c": [2, 1, 3], "n_c": [21, 40, 50]}),
}


@pytest.mark.parametrize("name", list(TABLES))
def test_pool_against_seeded_monte_carlo(name):
    t = TABLES[name]
    es = effect_sizes(t, measure="RR")
    y, v = es["yi"].to_numpy(float), es["vi"].to_numpy(float)
    rng = np.random.default_rng(7)
    n = 200_000
    mu, tau = pool_mc(y, v, 0.5, n, rng)
    r = bayes_pool(t, measure="RR", tau_prior=0.5)
    # importance resampling inflates MC error: compare quantiles through the empirical CDF with a margin
    for prob, val in ((0.5, np.log(r.median)), (0.025, np.log(r.ci_low)), (0.975, np.log(r.ci_high))):
        assert (mu <= val).mean() == pytest.approx(prob, abs=6 * np.sqrt(prob * (1 - prob) / n) + 2e-3)
    for prob, val in ((0.5, r.tau_median), (0.025, r.tau_ci_low), (0.975, r.tau_ci_high)):
        assert (tau <= val).mean() == pytest.approx(prob, abs=6 * np.sqrt(prob * (1 - prob) / n) + 2e-3)
    pg = (mu > 0).mean()
    assert r.p_greater == pytest.approx(pg, abs=6 * np.sqrt(pg * (1 - pg) / n) + 2e-3)
    assert np.log(r.estimate) == pytest.approx(mu.mean(), abs=6 * mu.std() / np.sqrt(n) + 2e-3)


def test_pool_against_adaptive_quadrature():
    t = TABLES["k3"]
    es = effect_sizes(t, measure="RR")
    y, v = es["yi"].to_numpy(float), es["vi"].to_numpy(float)

    def post(tau):
        w = 1 / (v + tau**2)
        m = (w * y).sum() / w.sum()
        return (
            stats.halfnorm.pdf(tau, scale=0.5)
            * np.exp(-0.5 * np.log(w.sum()) + 0.5 * np.log(w).sum() - 0.5 * (w * (y - m) ** 2).sum()),
            m,
            1 / np.sqrt(w.sum()),
        )

    z = integrate.quad(lambda s: post(s)[0], 0, np.inf, epsabs=0, epsrel=1e-11)[0]
    p_gt = (
        integrate.quad(
            lambda s: post(s)[0] * stats.norm.sf(0, post(s)[1], post(s)[2]), 0, np.inf, epsabs=0, epsrel=1e-11
        )[0]
        / z
    )
    mean = integrate.quad(lambda s: post(s)[0] * post(s)[1], 0, np.inf, epsabs=0, epsrel=1e-11)[0] / z
    r = bayes_pool(t, measure="RR", tau_prior=0.5)
    assert r.p_greater == pytest.approx(p_gt, abs=1e-8)
    assert np.log(r.estimate) == pytest.approx(mean, abs=1e-8)
    cdf_tau = integrate.quad(lambda s: post(s)[0], 0, r.tau_median, epsabs=0, epsrel=1e-11)[0] / z
    assert cdf_tau == pytest.approx(0.5, abs=1e-7)


def test_pool_threshold_and_rd():
    t = TABLES["k3"]
    base = bayes_pool(t, measure="RR")
    higher = bayes_pool(t, measure="RR", threshold=1.5)
    assert higher.p_greater < base.p_greater
    rd = bayes_pool(t, measure="RD", tau_prior=0.1, threshold=0.10)
    assert 0 < rd.p_greater < 1 and rd.ci_low < rd.median < rd.ci_high


@pytest.mark.parametrize(
    "kw",
    [
        {"tau_prior": 0},
        {"tau_prior": -0.5},
        {"tau_prior": np.inf},
        {"threshold": 0.0},
        {"threshold": -1.0},
        {"measure": "SMD"},
    ],
)
def test_pool_bad_options_refused(kw):
    with pytest.raises(DataError):
        bayes_pool(TABLES["k3"], **kw)


def test_pool_bad_table_names_row():
    t = TABLES["k3"].copy()
    t.loc[1, "events_t"] = 600
    with pytest.raises(DataError, match="row 2"):
        bayes_pool(t)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 300), st.integers(1, 300), st.data())
def test_rd_property_swap_symmetry_and_order(n1, n2, data):
    x1 = data.draw(st.integers(0, n1))
    x2 = data.draw(st.integers(0, n2))
    t = data.draw(st.floats(-0.5, 0.5))
    r = bayes_risk_difference(x1, n1, x2, n2, threshold=t).iloc[0]
    s = bayes_risk_difference(x2, n2, x1, n1, threshold=-t).iloc[0]
    # P(RD > t) = P(-RD < -t) = 1 - P(RD' > -t) for the swapped table (RD' = -RD, continuous)
    assert r["p_greater"] == pytest.approx(1 - s["p_greater"], abs=2e-6)
    assert r["median"] == pytest.approx(-s["median"], abs=1e-5)
    assert r["ci_low"] <= r["median"] <= r["ci_high"]
    assert -1 <= r["ci_low"] and r["ci_high"] <= 1

"""Decision metrics at NON-default settings, every column and bound, against independent arithmetic (issue 29,
class 3): Bayesian posteriors by one-dimensional quadrature of the convolution (and a seeded Monte Carlo check),
fragility indices by brute force with scipy's Fisher test, absolute effects per 1000 from the test's own pooling,
benefit-risk LHH bounds by root finding on Fieller's inequality (not its closed form)."""

from __future__ import annotations

import math

import _oracle as o
import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, stats

from fmtrials import absolute_effects, fragility_index, pool
from fmtrials.decision import bayes_risk_difference, benefit_risk


def posterior(x1, n1, x2, n2, prior, thr, alpha):
    a, b = prior
    b1, b2 = stats.beta(x1 + a, n1 - x1 + b), stats.beta(x2 + a, n2 - x2 + b)

    def cdf(d):
        lo, hi = max(0.0, -d), min(1.0, 1.0 - d)
        if lo >= hi:
            return 0.0 if d < 0 else 1.0
        # P(p1 - p2 <= d) = E[F1(p2 + d)] over p2
        return integrate.quad(lambda q: b2.pdf(q) * b1.cdf(q + d), 0, 1, epsabs=1e-13, limit=400)[0]

    q = lambda p: optimize.brentq(lambda d: cdf(d) - p, -1 + 1e-12, 1 - 1e-12, xtol=1e-12)  # noqa: E731
    return {
        "mean": b1.mean() - b2.mean(),
        "median": q(0.5),
        "ci_low": q(alpha / 2),
        "ci_high": q(1 - alpha / 2),
        "p_greater": 1 - cdf(thr),
    }


BAYES = [
    # counts, prior, threshold, alpha
    ((30, 100, 20, 100), (0.5, 0.5), 0.05, 0.10),
    ((12, 40, 3, 38), (2.0, 3.0), -0.02, 0.20),
    ((5, 60, 9, 61), (0.5, 0.5), 0.0, 0.01),
]


@pytest.mark.parametrize("counts,prior,thr,alpha", BAYES)
def test_bayes_risk_difference_every_column_at_non_default_settings(counts, prior, thr, alpha):
    got = bayes_risk_difference(*counts, prior=prior, threshold=thr, alpha=alpha).iloc[0]
    want = posterior(*counts, prior, thr, alpha)
    for col, w in want.items():
        assert got[col] == pytest.approx(w, abs=2e-6), col
    assert (got["prior_a"], got["prior_b"], got["alpha"], got["threshold"]) == (*prior, alpha, thr)


def test_bayes_p_greater_agrees_with_a_seeded_monte_carlo_within_its_error():
    (x1, n1, x2, n2), prior, thr, alpha = BAYES[1]
    rng = np.random.default_rng(29)
    m = 400_000
    d = rng.beta(x1 + prior[0], n1 - x1 + prior[1], m) - rng.beta(x2 + prior[0], n2 - x2 + prior[1], m)
    p = float(np.mean(d > thr))
    got = bayes_risk_difference(x1, n1, x2, n2, prior=prior, threshold=thr, alpha=alpha).iloc[0]
    assert abs(got["p_greater"] - p) < 5 * math.sqrt(p * (1 - p) / m)
    assert got["ci_low"] == pytest.approx(np.quantile(d, alpha / 2), abs=5e-3)
    assert got["ci_high"] == pytest.approx(np.quantile(d, 1 - alpha / 2), abs=5e-3)


def brute_fragility(x1, n1, x2, n2, alpha):
    """Walsh (2014) by brute force: events added to the lower-proportion arm until Fisher's p >= alpha."""
    p = o.fisher_p(x1, n1, x2, n2)
    assert p < alpha
    to_t = x1 / n1 < x2 / n2
    for i in range(1, n1 + n2):
        a, c = (x1 + i, x2) if to_t else (x1, x2 + i)
        q = o.fisher_p(a, n1, c, n2)
        if q >= alpha:
            return p, i, q, "treatment" if to_t else "control"
    raise AssertionError


@pytest.mark.parametrize(
    "counts,alpha",
    [((30, 100, 12, 100), 0.01), ((30, 100, 12, 100), 0.10), ((4, 50, 15, 52), 0.01), ((103, 516, 56, 509), 0.001)],
)
def test_fragility_every_column_at_a_non_default_alpha(counts, alpha):
    got = fragility_index(*counts, alpha=alpha).iloc[0]
    p, fi, after, arm = brute_fragility(*counts, alpha)
    assert got["p_value"] == pytest.approx(p, rel=1e-9)
    assert got["fragility_index"] == fi and got["arm_modified"] == arm and got["alpha"] == alpha
    assert got["p_after"] == pytest.approx(after, rel=1e-9)
    assert got["fragility_quotient"] == pytest.approx(fi / (counts[1] + counts[3]), rel=1e-12)


T = pd.DataFrame(
    {
        "study": ["A", "B", "C", "D"],
        "events_t": [30, 12, 45, 8],
        "n_t": [100, 60, 150, 40],
        "events_c": [18, 10, 30, 3],
        "n_c": [100, 58, 148, 41],
    }
)


@pytest.mark.parametrize(
    "measure,method,test,alpha,cr",
    [("OR", "DL", "z", 0.10, 0.30), ("RR", "REML", "hksj", 0.20, 0.05), ("RD", "PM", "z", 0.10, 0.40)],
)
def test_absolute_effects_each_bound_from_its_own_limit(measure, method, test, alpha, cr):
    r = pool(T, measure=measure, method=method, test=test, alpha=alpha)
    tabs = list(T[["events_t", "n_t", "events_c", "n_c"]].itertuples(index=False, name=None))
    w = o.pool_tables(tabs, measure, method=method, test=test, alpha=alpha)
    est, lo, hi = (o.back(w[x], measure) for x in ("est", "lo", "hi"))

    def corr(x):
        return {"RR": cr * x, "OR": cr * x / (1 - cr + cr * x), "RD": cr + x}[measure]

    a = absolute_effects(r, control_risk=cr).iloc[0]
    assert a["control_risk_per_1000"] == pytest.approx(1000 * cr)
    for suffix, x in (("", est), ("_low", lo), ("_high", hi)):
        assert a[f"risk_per_1000{suffix}"] == pytest.approx(1000 * min(1.0, max(0.0, corr(x))), rel=1e-7), suffix
        want = 1000 * (min(1.0, max(0.0, corr(x))) - cr)
        assert a[f"difference_per_1000{suffix}"] == pytest.approx(want, rel=1e-7, abs=1e-9), suffix


def fieller_by_roots(b, sb, h, sh, z):
    """The Fieller set {t : (b - t h)^2 <= z^2 (sb^2 + t^2 sh^2)} found by root finding around b / h."""
    f = lambda t: (b - t * h) ** 2 - z**2 * (sb**2 + t**2 * sh**2)  # noqa: E731
    t0 = b / h
    lo = optimize.brentq(f, t0 - 1e3, t0) if f(t0 - 1e3) > 0 else math.nan
    hi = optimize.brentq(f, t0, t0 + 1e3) if f(t0 + 1e3) > 0 else math.nan
    return lo, hi


def wald_se(x1, n1, x2, n2):
    p1, p2 = x1 / n1, x2 / n2
    return math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)


def test_benefit_risk_trial_rows_at_alpha_010():
    br = benefit_risk(alpha=0.10)
    trial = br[br["level"] == "trial"]
    assert len(trial)
    from fmtrials import contrasts

    for _, r in trial.iterrows():
        rows = {}
        for ep, key in ((r["benefit"], "b"), (r["harm"], "h")):
            c = contrasts(endpoint=ep)
            m = c[(c.study == r["study"]) & (c.arm == r["arm"])]
            hits = [
                tuple(int(v) for v in x)
                for x in m[["events_t", "n_t", "events_c", "n_c"]].itertuples(index=False, name=None)
                if math.isclose(o.newcombe(*(int(v) for v in x))[0], r[f"rd_{'benefit' if key == 'b' else 'harm'}"])
            ]
            assert len(hits) >= 1
            rows[key] = hits[0]
        for key, name in (("b", "benefit"), ("h", "harm")):
            d, lo, hi = o.newcombe(*rows[key], alpha=0.10)
            assert (r[f"rd_{name}"], r[f"rd_{name}_low"], r[f"rd_{name}_high"]) == pytest.approx((d, lo, hi), abs=1e-9)
        b, h = o.newcombe(*rows["b"])[0], o.newcombe(*rows["h"])[0]
        assert r["nnt"] == pytest.approx(1 / b) and r["nnh"] == pytest.approx(1 / h)
        assert r["lhh"] == pytest.approx(b / h)
        lo, hi = fieller_by_roots(b, wald_se(*rows["b"]), h, wald_se(*rows["h"]), o.z(0.10))
        assert r["lhh_low"] == pytest.approx(lo, rel=1e-7, nan_ok=True)
        assert r["lhh_high"] == pytest.approx(hi, rel=1e-7, nan_ok=True)


@pytest.mark.parametrize("counts,alpha", [((12, 60, 8, 61), 0.10), ((20, 100, 20, 100), 0.01)])
def test_reverse_fragility_at_a_non_default_alpha(counts, alpha):
    """Not significant: events added to the higher-proportion arm (ties: treatment) until p < alpha."""
    x1, n1, x2, n2 = counts
    assert o.fisher_p(*counts) >= alpha
    to_t = x1 / n1 >= x2 / n2
    for i in range(1, n1 + n2):
        a, c = (x1 + i, x2) if to_t else (x1, x2 + i)
        if o.fisher_p(a, n1, c, n2) < alpha:
            break
    got = fragility_index(*counts, alpha=alpha).iloc[0]
    assert got["direction"] == "reverse" and got["fragility_index"] == i
    assert got["arm_modified"] == ("treatment" if to_t else "control")
    assert got["p_after"] == pytest.approx(o.fisher_p(a, n1, c, n2), rel=1e-9)

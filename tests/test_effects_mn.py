"""Miettinen-Nurminen / Mee intervals against an independent slow implementation.

The slow version shares no code with fmtrials: for each candidate delta it maximises the restricted
binomial likelihood numerically (bounded scalar maximisation, no closed form), forms the score statistic and
finds the two limits with scipy's brentq. statsmodels is NOT used as an oracle (its MN interval is wrong,
statsmodels issue 10269).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import optimize, stats
from scipy.special import xlogy

from fmtrials import effects
from fmtrials.effects import _solvers

Z = stats.norm.isf(0.025)


def _restricted_var(x1, n1, x2, n2, delta):
    """Variance p1(1-p1)/n1 + p2(1-p2)/n2 at the likelihood maximum subject to p1 - p2 = delta."""
    lo, hi = max(0.0, -delta), min(1.0, 1.0 - delta)

    def negloglik(p2):
        p1 = p2 + delta
        return -(xlogy(x1, p1) + xlogy(n1 - x1, 1 - p1) + xlogy(x2, p2) + xlogy(n2 - x2, 1 - p2))

    res = optimize.minimize_scalar(
        negloglik, bounds=(lo, hi), method="bounded", options={"xatol": 1e-13, "maxiter": 2000}
    )
    p2 = res.x
    # the maximum may sit on the boundary: compare with the end points explicitly
    for end in (lo, hi):
        with np.errstate(divide="ignore", invalid="ignore"):
            if np.isfinite(negloglik(end)) and negloglik(end) < negloglik(p2):
                p2 = end
    p1 = p2 + delta
    return p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2


def slow_score_interval(x1, n1, x2, n2, factor=True, z=Z):
    k = (n1 + n2) / (n1 + n2 - 1) if factor else 1.0
    d = x1 / n1 - x2 / n2

    def excess(delta):  # > 0 outside (below) the interval on the lower side
        return (d - delta) ** 2 - z * z * k * _restricted_var(x1, n1, x2, n2, delta)

    eps = 1e-10
    lower = -1.0 if d <= -1 else optimize.brentq(lambda t: np.sign(d - t) * excess(t), -1 + eps, d - eps, xtol=1e-13)
    upper = 1.0 if d >= 1 else optimize.brentq(lambda t: -np.sign(t - d) * excess(t), d + eps, 1 - eps, xtol=1e-13)
    return lower, upper


def _tables():
    rng = np.random.default_rng(20240611)
    rows = []
    for _ in range(120):  # ordinary small and moderate tables
        n1, n2 = rng.integers(1, 80, size=2)
        rows.append((rng.integers(0, n1 + 1), n1, rng.integers(0, n2 + 1), n2))
    for _ in range(50):  # a zero cell in one arm
        n1, n2 = rng.integers(1, 60, size=2)
        x1 = 0 if rng.random() < 0.5 else n1
        rows.append((x1, n1, rng.integers(0, n2 + 1), n2))
    for _ in range(40):  # very unequal arms
        n1 = int(rng.integers(1, 6))
        n2 = int(rng.integers(200, 600))
        pair = (rng.integers(0, n1 + 1), n1, rng.integers(0, n2 // 3), n2)
        rows.append(pair if rng.random() < 0.5 else (pair[2], pair[3], pair[0], pair[1]))
    for _ in range(30):  # all-responder / no-responder arms, including both at once
        n1, n2 = rng.integers(1, 40, size=2)
        x1 = int(rng.choice([0, n1]))
        x2 = int(rng.choice([0, n2]))
        rows.append((x1, n1, x2, n2))
    for _ in range(40):  # extreme rates
        n1, n2 = rng.integers(20, 300, size=2)
        rows.append((rng.integers(0, 3), n1, n2 - rng.integers(0, 3), n2))
    # tables on which statsmodels 0.15 raises (methods.md section 4)
    rows += [(9, 10, 3, 10), (10, 10, 0, 20), (0, 16, 15, 72), (0, 10, 0, 20), (1, 1, 0, 1), (0, 1, 0, 1)]
    return np.array(rows, dtype=np.int64)


TABLES = _tables()


@pytest.mark.parametrize("method", ["mn", "mee"])
def test_matches_slow_implementation(method):
    assert len(TABLES) >= 280
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast = effects.risk_difference(*TABLES.T, ci=method)
    slow = np.array([slow_score_interval(*map(float, t), factor=method == "mn") for t in TABLES])
    np.testing.assert_allclose(fast[["ci_low", "ci_high"]].to_numpy(), slow, atol=1e-6, rtol=0)


def test_closed_forms_for_degenerate_tables():
    """0% vs 0%, 100% vs 100% and 100% vs 0% tables are solved in closed form: check against the slow root."""
    tables = [(0, 10, 0, 20), (7, 7, 30, 30), (10, 10, 0, 20), (3, 3, 0, 500), (400, 400, 0, 3), (0, 5, 9, 9)]
    fast = effects.risk_difference(*np.array(tables).T, ci="mn")[["ci_low", "ci_high"]].to_numpy()
    slow = np.array([slow_score_interval(*map(float, t)) for t in tables])
    np.testing.assert_allclose(fast, slow, atol=1e-9)
    assert fast[2, 1] == 1.0 and fast[5, 0] == -1.0


def test_alpha_is_used():
    fast = effects.risk_difference(56, 70, 48, 80, ci="mn", alpha=0.01).iloc[0]
    slow = slow_score_interval(56, 70, 48, 80, z=stats.norm.isf(0.005))
    assert (fast.ci_low, fast.ci_high) == pytest.approx(slow, abs=1e-8)


def test_large_batch_is_chunked_consistently():
    """More tables than one solver chunk: same values as table-by-table evaluation."""
    rng = np.random.default_rng(7)
    n = _solvers.CHUNK + 1234
    n1 = rng.integers(20, 500, n)
    n2 = rng.integers(20, 500, n)
    x1 = rng.binomial(n1, 0.3)
    x2 = rng.binomial(n2, 0.2)
    out = effects.risk_difference(x1, n1, x2, n2, ci="mn")
    pick = rng.choice(n, 25, replace=False)
    for i in pick:
        lo, hi = slow_score_interval(float(x1[i]), float(n1[i]), float(x2[i]), float(n2[i]))
        assert out.ci_low.iloc[i] == pytest.approx(lo, abs=1e-6)
        assert out.ci_high.iloc[i] == pytest.approx(hi, abs=1e-6)

"""The report's per-endpoint diagnostics (dose meta-regression, influence, small-study tests) are fitted with
every choice of the endpoint's main model, its level included: ``analyse(alpha=0.10)`` gives 90% intervals
there too (a blind-planted bug class of issue 29: an option that does not reach the computation)."""

from __future__ import annotations

import pytest
from scipy import stats

import fmtrials
from fmtrials.analysis.extras import endpoint_diagnostics


@pytest.mark.parametrize("alpha", [0.10, 0.20])
def test_diagnostics_follow_the_analysis_level(alpha):
    ea = fmtrials.analyse(alpha=alpha)["nausea"]
    d = endpoint_diagnostics(ea)
    assert d.pooled.alpha == alpha
    assert (d.pooled.estimate, d.pooled.ci_low, d.pooled.ci_high) == (ea.main.estimate, ea.main.ci_low, ea.main.ci_high)
    reg = d.diagnostics.dose_regression
    k, p = reg.k, len(reg.coefficients)
    # the interval's half-width in standard errors is the (1 - alpha/2) quantile of the test's distribution:
    # t on k - p df for HKSJ (metafor test="knha"/"adhoc"), the normal otherwise
    q = stats.t.ppf(1 - alpha / 2, k - p) if reg.test.startswith("hksj") else stats.norm.ppf(1 - alpha / 2)
    for _, row in reg.coefficients.iterrows():
        assert (row["ci_high"] - row["ci_low"]) / (2 * row["se"]) == pytest.approx(q, rel=1e-9)

"""The report's per-endpoint diagnostics (dose meta-regression, influence, small-study tests) are fitted with
every choice of the endpoint's main model, its level included: ``analyse(alpha=0.10)`` gives 90% intervals
there too (a blind-planted bug class of issue 29: an option that does not reach the computation)."""

from __future__ import annotations

import numpy as np
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


@pytest.mark.parametrize("alpha", [0.10, 0.01])
def test_leave_one_out_follows_the_analysis_level(alpha):
    # each leave-one-out row's interval is its estimate ± the (1 - alpha/2) quantile × se on the log scale: t on
    # k - 1 df for the HKSJ main model (metafor test="knha"/"adhoc"), the normal for z
    ea = fmtrials.analyse(alpha=alpha)["nausea"]
    loo = ea.leave_one_out
    assert ea.main.test.startswith("hksj") and len(loo) >= 3
    for _, r in loo.iterrows():
        q = stats.t.ppf(1 - alpha / 2, r["k"] - 1)
        half = (np.log(r["ci_high"]) - np.log(r["ci_low"])) / 2
        assert half == pytest.approx(q * r["se"], rel=1e-9), r["omitted"]


@pytest.mark.parametrize("alpha", [0.10, 0.01])
def test_the_main_results_pooled_numbers_follow_the_analysis_level(alpha):
    # pgic (2 comparisons, Mantel-Haenszel common effect): RR and RD intervals from the MH estimates with the
    # Greenland-Robins and Sato-Greenland-Robins variances (tests/_oracle.py) at the requested level
    import _oracle as o

    from fmtrials.analysis.headline import headline_numbers

    a = fmtrials.analyse(alpha=alpha)
    (row,) = [r for r in headline_numbers(a).pooled if r["endpoint"] == "pgic"]
    assert (row["method"], row["test"], row["alpha"]) == ("MH", "z", alpha)
    tables = [
        tuple(int(t[c]) for c in ("events_t", "n_t", "events_c", "n_c")) for _, t in a["pgic"].pooled_table.iterrows()
    ]
    b, v = o.mh_rr(tables)
    zq = o.z(alpha)
    assert (row["rr_low"], row["rr_high"]) == pytest.approx(
        (np.exp(b - zq * v**0.5), np.exp(b + zq * v**0.5)), rel=1e-9
    )
    d, vd = o.mh_rd(tables)
    assert (row["rd_low"], row["rd_high"]) == pytest.approx((d - zq * vd**0.5, d + zq * vd**0.5), rel=1e-9)

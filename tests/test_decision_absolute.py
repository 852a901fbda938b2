"""Absolute effects per 1000 checked by hand arithmetic."""

import numpy as np
import pandas as pd
import pytest

from fmtrials import DataError, absolute_effects, pool

T = pd.DataFrame(
    {"study": ["A", "B"], "events_t": [73, 189], "n_t": [224, 516], "events_c": [24, 106], "n_c": [112, 509]}
)


def test_rr_by_hand():
    r = pool(T, measure="RR", method="MH")
    a = absolute_effects(r, control_risk=[0.2, 0.05])
    # 1000 x 0.2 x RR and its bounds; difference = that minus 200
    np.testing.assert_allclose(a["risk_per_1000"], [200 * r.estimate, 50 * r.estimate], rtol=1e-14)
    np.testing.assert_allclose(a["risk_per_1000_low"], [200 * r.ci_low, 50 * r.ci_low], rtol=1e-14)
    np.testing.assert_allclose(a["difference_per_1000_high"], [200 * r.ci_high - 200, 50 * r.ci_high - 50], rtol=1e-14)
    assert list(a["control_risk_per_1000"]) == [200.0, 50.0]


def test_default_control_risk_is_median_placebo_risk():
    r = pool(T, measure="RR", method="MH")
    a = absolute_effects(r).iloc[0]
    assert a["control_risk"] == pytest.approx((24 / 112 + 106 / 509) / 2, rel=1e-15)
    assert "median placebo risk of the 2" in a["control_risk_source"]


def test_or_and_rd_by_hand_with_a_zero_cell():
    t = pd.DataFrame({"study": ["A", "B"], "events_t": [0, 10], "n_t": [20, 50], "events_c": [3, 2], "n_c": [20, 50]})
    ro = pool(t, measure="OR", method="IV")
    a = absolute_effects(ro, control_risk=0.1).iloc[0]
    odds = 0.1 / 0.9 * ro.estimate
    assert a["risk_per_1000"] == pytest.approx(1000 * odds / (1 + odds), rel=1e-13)
    rd = pool(t, measure="RD", method="MH")
    b = absolute_effects(rd, control_risk=0.01).iloc[0]
    assert b["difference_per_1000"] == pytest.approx(1000 * rd.estimate, rel=1e-12)
    assert b["risk_per_1000_low"] == pytest.approx(max(0.0, 1000 * (0.01 + rd.ci_low)), abs=1e-9)


@pytest.mark.parametrize("cr", [-0.1, 1.5, np.nan, "x", []])
def test_bad_control_risk(cr):
    with pytest.raises(DataError, match="control_risk"):
        absolute_effects(pool(T, measure="RR", method="MH"), control_risk=cr)


def test_not_a_result():
    with pytest.raises(DataError, match="result"):
        absolute_effects(T)

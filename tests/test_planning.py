"""trial_plan: the sample size per test for the printed composite rates, checked by brute force and R."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
from scipy import stats

import fmtrials
from fmtrials import DataError

REF = json.loads((pathlib.Path(__file__).parent / "data" / "power_reference.json").read_text())


def _brute_power(n1, n2, test, p1, p2):
    """Every table's p-value from proportions_test, binomial probabilities of the rejected ones summed."""
    x1 = np.repeat(np.arange(n1 + 1), n2 + 1)
    x2 = np.tile(np.arange(n2 + 1), n1 + 1)
    p = fmtrials.proportions_test(x1, n1, x2, n2, test=test)["p_value"].to_numpy()
    prob = np.outer(stats.binom.pmf(np.arange(n1 + 1), n1, p1), stats.binom.pmf(np.arange(n2 + 1), n2, p2))
    return float(prob.ravel()[p <= 0.05].sum())


def test_trial_plan_rows_for_the_printed_composite_rates():
    plan = fmtrials.trial_plan(tests=("chi2",))
    assert list(plan.columns) == list(fmtrials.analysis.PLAN_COLUMNS)
    row = plan[(plan["dose_mg_day"] == 100) & (plan["p_t"] == 0.254) & (plan["p_c"] == 0.155)].iloc[0]
    assert row.basis == "printed rates" and row.test == "chi2"
    r_n = next(c["n"] for c in REF["cases"] if c["p_t"] == 0.254 and c["power"] == 0.8)
    assert row.n_c_normal == int(np.ceil(r_n))  # R power.prop.test, rounded up
    # brute force: chi2 rejects at n_c (power >= 80%) and not at n_c - 1
    n = int(row.n_c)
    assert _brute_power(n, n, "chi2", 0.254, 0.155) == pytest.approx(row.power, abs=1e-8) and row.power >= 0.8
    assert _brute_power(n - 1, n - 1, "chi2", 0.254, 0.155) < 0.8
    # the re-analysed range brackets the printed difference, per dose
    for _, g in plan.groupby(["label", "dose_mg_day"]):
        printed = g[g["basis"] == "printed rates"]["difference"].iloc[0]
        other = g[g["basis"] != "printed rates"]["difference"]
        assert ((other - printed).abs() < 0.005).all()
    with pytest.raises(DataError) as err:
        fmtrials.trial_plan("no_such_endpoint", tests=("chi2",))
    assert err.value.problems[0].column == "endpoint"


def test_trial_plan_filters_by_source_and_basis():
    full = fmtrials.trial_plan(tests=("chi2",))
    some = fmtrials.trial_plan(tests=("chi2",), source="SEED003", bases=("printed rates",))
    assert set(some["source"]) == {"SEED003"} and set(some["basis"]) == {"printed rates"}
    want = full[(full["source"] == "SEED003") & (full["basis"] == "printed rates")].reset_index(drop=True)
    assert some.equals(want) and len(some) == 3  # Phase II 100, Phase III 100 and 200 mg/day


@pytest.mark.parametrize("alpha", [0.10, 0.01])
def test_trial_plan_follows_alpha(alpha):
    # the normal-approximation n by the closed formula (Fleiss, Levin & Paik eq. 4.14, R power.prop.test) and
    # the exact chi-square power at the plan's n by summing every table's probability, both at ``alpha``
    import _oracle as o

    plan = fmtrials.trial_plan(tests=("chi2",), alpha=alpha, bases=("printed rates",))
    for _, r in plan.iterrows():
        assert r["n_c_normal"] == int(np.ceil(o.normal_n(r["p_t"], r["p_c"], alpha=alpha) - 1e-9)), r["label"]
        if r["n_c"] <= 60:  # the Phase II row: exact power at n and n - 1 by brute force in the test
            assert o.chi2_power(int(r["n_c"]), r["p_t"], r["p_c"], alpha=alpha) == pytest.approx(r["power"], abs=1e-9)
            assert o.chi2_power(int(r["n_c"]) - 1, r["p_t"], r["p_c"], alpha=alpha) < 0.8

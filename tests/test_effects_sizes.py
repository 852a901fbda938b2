"""fmtrials.effects.effect_sizes and the Katz/Woolf intervals against R metafor ``escalc``.

Oracle: the per-study ``yi``/``vi`` recorded by ``tests/r/metafor_reference.R`` (R 4.2.2, metafor 3.8.1) in
tests/data/metafor_reference.json, one inverse-variance case per data set and measure: ``escalc(measure,
add=1/2, to="only0", drop00=TRUE)`` for RR/OR, ``drop00=FALSE`` for RD. ``None`` there is a study metafor
dropped (double zero). Nothing here compares fmtrials with itself.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import fmtrials
from fmtrials import effects

REF = json.loads((Path(__file__).parent / "data" / "metafor_reference.json").read_text(encoding="utf-8"))
DATASETS = {name: pd.DataFrame(cols) for name, cols in REF["datasets"].items()}
# one escalc per (data set, measure): the inverse-variance fits carry every study's yi and vi
ESCALC = [c for c in REF["cases"] if c["method"] == "IV" and c["test"] == "z"]
Z = stats.norm.isf(0.025)


def _r(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def test_fixture_has_the_escalc_cases():
    assert {(c["dataset"], c["measure"]) for c in ESCALC} >= {("bcg", m) for m in ("RR", "OR", "RD")}
    assert any(v is None for c in ESCALC for v in c["result"]["yi"])  # double zeros are covered
    assert all('add=1/2, to="only0"' in c["call"]["escalc"] for c in ESCALC)


@pytest.mark.parametrize("case", ESCALC, ids=[c["id"] for c in ESCALC])
def test_effect_sizes_match_metafor_escalc(case):
    table = DATASETS[case["dataset"]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = effects.effect_sizes(table, measure=case["measure"].lower())  # letter case ignored
    yi, vi = _r(case["result"]["yi"]), _r(case["result"]["vi"])
    np.testing.assert_allclose(out["yi"], yi, rtol=1e-9, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(out["vi"], vi, rtol=1e-9, atol=1e-12, equal_nan=True)
    assert (out["excluded"].to_numpy() == np.isnan(yi)).all()
    assert list(out.columns[: len(table.columns)]) == list(table.columns)  # carried through, first


@pytest.mark.parametrize(
    "case",
    [c for c in ESCALC if c["measure"] in ("RR", "OR")],
    ids=[c["id"] for c in ESCALC if c["measure"] in ("RR", "OR")],
)
def test_katz_and_woolf_intervals_are_the_escalc_rule(case):
    """exp(yi), exp(yi -/+ z sqrt(vi)) with R's yi and vi; NaN exactly where metafor drops the study."""
    t = DATASETS[case["dataset"]]
    fn = effects.risk_ratio if case["measure"] == "RR" else effects.odds_ratio
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn(t.events_t, t.n_t, t.events_c, t.n_c, ci="katz" if case["measure"] == "RR" else "woolf")
    yi, vi = _r(case["result"]["yi"]), _r(case["result"]["vi"])
    np.testing.assert_allclose(out["estimate"], np.exp(yi), rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(out["ci_low"], np.exp(yi - Z * np.sqrt(vi)), rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(out["ci_high"], np.exp(yi + Z * np.sqrt(vi)), rtol=1e-9, equal_nan=True)
    assert ((out["note"] == "double zero: not estimable").to_numpy() == np.isnan(yi)).all()


def test_double_zero_table_is_not_estimable_for_ratios_but_is_for_rd():
    # 0/10 vs 0/12 and 10/10 vs 12/12: RR and OR undefined (metafor drop00=TRUE); the RD is kept
    t = pd.DataFrame({"events_t": [0, 10, 3], "n_t": [10, 10, 10], "events_c": [0, 12, 0], "n_c": [12, 12, 12]})
    for measure in ("RR", "OR"):
        es = effects.effect_sizes(t, measure=measure)
        assert es["excluded"].tolist() == [True, True, False] and es["corrected"].tolist() == [False, False, True]
        assert np.isnan(es["yi"][:2]).all() and np.isfinite(es["yi"][2])
    rd = effects.effect_sizes(t, measure="RD")
    assert not rd["excluded"].any() and rd["corrected"].all()
    # escalc RD keeps the double zero and corrects it by 1/2 (as yusuf1985 study 11, 0/9 vs 0/8, in the
    # fixture): 0/10 vs 0/12 gives p - q and p(1-p)/11 + q(1-q)/13 with p = 0.5/11, q = 0.5/13
    p, q = 0.5 / 11, 0.5 / 13
    assert rd["yi"].iloc[0] == pytest.approx(p - q, rel=1e-12)
    assert rd["vi"].iloc[0] == pytest.approx(p * (1 - p) / 11 + q * (1 - q) / 13, rel=1e-12)
    for fn, ci in ((effects.risk_ratio, "katz"), (effects.odds_ratio, "woolf")):
        row = fn(0, 10, 0, 12, ci=ci).iloc[0]
        assert np.isnan([row.estimate, row.ci_low, row.ci_high]).all() and row.correction == 0.0


def test_add_is_the_zero_cell_correction_of_the_wald_intervals():
    # Katz with add = 1 by hand: (0 + 1)/(85 + 2) over (3 + 1)/(21 + 2)
    row = effects.risk_ratio(0, 85, 3, 21, add=1.0).iloc[0]
    assert row.estimate == pytest.approx((1 / 87) / (4 / 23), rel=1e-12) and row.correction == 1.0
    t = pd.DataFrame({"events_t": [0], "n_t": [85], "events_c": [3], "n_c": [21]})
    es = effects.effect_sizes(t, measure="RR", add=1.0)
    assert np.exp(es["yi"].iloc[0]) == pytest.approx(row.estimate, rel=1e-12)


def test_effect_sizes_validates_like_every_frame():
    t = pd.DataFrame({"study": ["a", "b"], "events_t": [3, 12], "n_t": [10, 10], "events_c": [1, 2], "n_c": [10, 10]})
    with pytest.raises(fmtrials.DataError) as err:
        effects.effect_sizes(t)
    assert (err.value.problems[0].row, err.value.problems[0].column) == (2, "events_t")
    with pytest.raises(fmtrials.DataError, match="measure"):
        effects.effect_sizes(t.iloc[:1], measure="HR")
    with pytest.raises(fmtrials.DataError, match="add"):
        effects.effect_sizes(t.iloc[:1], add=0)

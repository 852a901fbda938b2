"""Non-default options against R (tests/data/options_reference.json, written by tests/r/options_reference.R).

Every case sits away from the defaults a wrong implementation could hide behind: ``alpha`` 0.10 and 0.01, the
zero-cell correction ``cc`` 0.25, every ``ci=`` that R can check, ``PoolResult.conf_int(alpha)`` and ``pool()``
at levels 90 and 99 (metafor ``level=``), and :func:`fmtrials.compare` at alpha 0.10 with cc 0.25 (each arm's
rate from R ``prop.test``). The expected values are R's; none is our own output.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fmtrials
from fmtrials import effects

REF = json.loads((Path(__file__).parent / "data" / "options_reference.json").read_text(encoding="utf-8"))
CASES = REF["cases"]
POOL = REF["pool"]


def _tolerance(case: dict) -> dict:
    """R stats/metafor closed forms: 1e-9; brute-force score roots (optimize + uniroot): 1e-7; the exact
    conditional OR by uniroot at 1e-12 on log psi: rel 1e-8."""
    if case["call"].startswith("exact_or"):
        return {"rel": 1e-8}
    if case["call"].startswith("score_limits"):
        return {"rel": 1e-7, "abs": 1e-8}
    return {"rel": 1e-9, "abs": 1e-12}


def _ours(kwargs: dict) -> dict:
    """The reference's options in fmtrials' words (the JSON records the zero-cell correction as ``cc``)."""
    return {("add" if k == "cc" else k): v for k, v in kwargs.items()}


def test_reference_records_versions_and_calls():
    assert REF["generator"] == "tests/r/options_reference.R" and REF["metafor_version"] and REF["r_version"]
    assert all(c["call"] for c in CASES) and all(p["call"] for p in POOL)
    alphas = {c["kwargs"].get("alpha") for c in CASES}
    assert {0.1, 0.01} <= alphas
    assert {0.25} <= {c["kwargs"].get("cc") for c in CASES}
    covered = {(c["function"], c["kwargs"].get("ci")) for c in CASES}
    for fn, choices in (
        ("risk_difference", {"wald", "wald_cc", "newcombe", "agresti_caffo", "mn", "mee"}),
        ("risk_ratio", {"katz", "koopman", "mn"}),
        ("odds_ratio", {"woolf", "mn", "exact"}),
        ("proportion_ci", {"wilson", "jeffreys", "clopper_pearson"}),
    ):
        assert {(fn, c) for c in choices} <= covered


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_effects_against_r(case):
    row = getattr(effects, case["function"])(*case["args"], **_ours(case["kwargs"])).iloc[0]
    tol = _tolerance(case)
    for key, expected in case["expected"].items():
        assert float(row[key]) == pytest.approx(expected, **tol), (key, case["call"])


@pytest.mark.parametrize("ref", REF["compare"], ids=["alpha0.10-zero-cells", "alpha0.01-holm-vs-hochberg"])
def test_compare_against_r_prop_test_and_escalc(ref):
    counts = np.array([r["counts"] for r in ref["rows"]])
    tab = pd.DataFrame(counts, columns=["events_t", "n_t", "events_c", "n_c"])
    out = fmtrials.compare(tab, **_ours(ref["kwargs"]))
    for i, r in enumerate(ref["rows"]):
        for key, expected in r.items():
            if key == "counts":
                continue
            assert out[key].iloc[i] == pytest.approx(expected, rel=1e-9, abs=1e-12), (i, key)
        # the NNT limits are the reciprocals of R's risk-difference limits: the one on the estimate's side first
        near, far = (r["rd_high"], r["rd_low"]) if r["rd"] > 0 else (r["rd_low"], r["rd_high"])
        assert out["nnt_near"].iloc[i] == pytest.approx(1 / abs(near), rel=1e-9)
        assert out["nnt_far"].iloc[i] == pytest.approx(1 / abs(far), rel=1e-9)


def _pool_table(name: str) -> pd.DataFrame:
    return pd.DataFrame(REF["datasets"][name])


@pytest.mark.parametrize("case", POOL, ids=[c["id"] for c in POOL])
def test_pool_at_non_default_levels(case):
    t = _pool_table(case["dataset"])
    kw = dict(measure=case["measure"], method=case["method"], test=case["test"])
    r = fmtrials.pool(t, alpha=case["alpha"], **kw)
    e = case["result"]
    scale = math.exp if case["measure"] != "RD" else (lambda v: v)
    assert r.beta == pytest.approx(e["beta"], rel=1e-8, abs=1e-12)
    assert r.se == pytest.approx(e["se"], rel=1e-7)
    assert (r.ci_low, r.ci_high) == pytest.approx((scale(e["ci_low"]), scale(e["ci_high"])), rel=1e-7)
    assert r.p_value == pytest.approx(e["p_value"], rel=1e-6, abs=1e-300)
    if "pi_hts_low" in e:
        assert (r.prediction.pi_low, r.prediction.pi_high) == pytest.approx(
            (scale(e["pi_hts_low"]), scale(e["pi_hts_high"])), rel=1e-7
        )
        m = fmtrials.pool(t, alpha=case["alpha"], pi_method="metafor", **kw)
        assert (m.prediction.pi_low, m.prediction.pi_high) == pytest.approx(
            (scale(e["pi_metafor_low"]), scale(e["pi_metafor_high"])), rel=1e-7
        )
        h = r.heterogeneity
        assert (h.tau2_ci_low, h.tau2_ci_high) == pytest.approx(
            (e["tau2_ci_low"], e["tau2_ci_high"]), rel=1e-6, abs=1e-9
        )


@pytest.mark.parametrize(
    "case",
    [c for c in POOL if c["alpha"] == pytest.approx(0.1)],
    ids=[c["id"] for c in POOL if c["alpha"] == pytest.approx(0.1)],
)
def test_conf_int_at_another_level_is_metafors(case):
    """A result pooled at the default 95% gives metafor's 90% interval from conf_int(0.10)."""
    r = fmtrials.pool(_pool_table(case["dataset"]), measure=case["measure"], method=case["method"], test=case["test"])
    e = case["result"]
    scale = math.exp if case["measure"] != "RD" else (lambda v: v)
    assert r.conf_int(0.10) == pytest.approx((scale(e["ci_low"]), scale(e["ci_high"])), rel=1e-7)

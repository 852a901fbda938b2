"""fmtrials.effects against external oracle values (tests/data/intervals_reference.json).

Every expected value comes from a publication or from R/scipy output recorded with its call; none is our own
output. See the JSON file for source, software/version and call of each case.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from fmtrials import effects

REF = json.loads((Path(__file__).parent / "data" / "intervals_reference.json").read_text(encoding="utf-8"))
CASES = REF["cases"]


def _round_sig(v: float, sig: int) -> float:
    return float(f"{v:.{sig}g}")


#: the fixture records the calls in the API of the day it was written; the renovation renamed these (the
#: fixture itself stays untouched): function -> (new function, {old keyword: new keyword})
RENAMED = {"test_2x2": ("proportions_test", {"method": "test"}), "proportion_ci": ("proportion_ci", {"method": "ci"})}


def _call(case):
    name, keywords = RENAMED.get(case["function"], (case["function"], {}))
    kwargs = {keywords.get(k, k): v for k, v in case["kwargs"].items()}
    return getattr(effects, name)(*case["args"], **kwargs)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_reference_case(case):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # valid zero cells must not produce warning noise
        row = _call(case).iloc[0]
    for key, expected in case["expected"].items():
        got = float(row[key])
        if "trunc" in case:
            scale = 10.0 ** case["trunc"][key]
            assert math.trunc(got * scale) / scale == pytest.approx(expected, abs=1e-12), (key, got)
        elif "sig" in case and key in case["sig"]:
            assert _round_sig(got, case["sig"][key]) == pytest.approx(expected), (key, got)
        elif "rtol" in case:
            assert got == pytest.approx(expected, rel=case["rtol"], abs=1e-12), (key, got)
        else:
            assert got == pytest.approx(expected, abs=case["atol"]), (key, got)


def test_reference_file_is_documented():
    for case in CASES:
        assert case["source"] and case["software"] and case["call"], case["id"]
        assert sum(k in case for k in ("atol", "rtol", "sig", "trunc")) >= 1, case["id"]


def test_exact_or_limits_solve_the_tail_equations():
    """Our exact conditional limits are the exact roots: checked with scipy's noncentral hypergeometric.

    R's fisher.test stops uniroot at about 1e-4 relative (see the JSON notes), so the tight check is
    against the defining equations P(X >= x; lo) = P(X <= x; hi) = alpha/2.
    """
    from scipy.stats import nchypergeom_fisher

    for x1, n1, x2, n2 in [(9, 13, 4, 14), (7, 34, 1, 34), (103, 516, 56, 509), (2, 5, 0, 7)]:
        row = effects.odds_ratio(x1, n1, x2, n2, ci="exact").iloc[0]
        big_n, m = n1 + n2, x1 + x2
        assert nchypergeom_fisher.sf(x1 - 1, big_n, n1, m, row.ci_low) == pytest.approx(0.025, abs=1e-9)
        if math.isfinite(row.ci_high):
            assert nchypergeom_fisher.cdf(x1, big_n, n1, m, row.ci_high) == pytest.approx(0.025, abs=1e-9)
        else:
            assert x1 == min(n1, m)
        if math.isfinite(row.estimate):
            assert nchypergeom_fisher.mean(big_n, n1, m, row.estimate) == pytest.approx(x1, abs=1e-7)


def test_statsmodels_mn_bug_table_is_handled():
    """Tables where statsmodels 0.15 raises (methods.md section 4) give the published MN values here."""
    out = effects.risk_difference([9, 10, 0], [10, 10, 16], [3, 0, 15], [10, 20, 72], ci="mn")
    np.testing.assert_allclose(
        out[["ci_low", "ci_high"]].to_numpy(), [[0.17, 0.8406], [0.7156, 1.0], [-0.3164, -0.0056]], atol=5e-5
    )
    assert out["ci_high"].iloc[1] == 1.0  # exactly 1: the statistic never crosses above d = 1

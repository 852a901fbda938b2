"""The report's first section (fmtrials._report_main): pooled rows against R metafor (tests/r/
main_results_reference.R), NNT labels and summary numbers written out by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

import fmtrials
from fmtrials import _report_main as M

REF = json.loads((Path(__file__).parent / "data" / "main_results_reference.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def everything():
    return fmtrials.analyse()


def _case(endpoint: str, measure: str) -> dict:
    return next(c for c in REF["cases"] if c["endpoint"] == endpoint and c["measure"] == measure)


@pytest.mark.parametrize("endpoint", ["nausea", "pgic"])
def test_pooled_rows_match_metafor(everything, endpoint):
    from fmtrials.analysis import MAIN_MODEL
    from fmtrials.meta import pool

    ea = everything[endpoint]
    for measure in ("RD", "RR"):
        ref = _case(endpoint, measure)
        got = pool(ea.pooled_table, measure=measure, method=MAIN_MODEL.method, test=MAIN_MODEL.test, warn_shared=False)
        back = (lambda v: v) if measure == "RD" else math.exp
        assert got.k == ref["k"]
        for ours, theirs in (
            (got.estimate, ref["estimate"]),
            (got.ci_low, ref["ci_low"]),
            (got.ci_high, ref["ci_high"]),
        ):
            assert ours == pytest.approx(back(theirs), rel=1e-7, abs=1e-9)
        assert got.p_value == pytest.approx(ref["p_value"], rel=1e-6)
    row = next(r for r in M.pooled_rows(M.pooled_numbers([ea], 0.05)) if r["Endpoint"].startswith(endpoint + " — "))
    rd, rr = _case(endpoint, "RD"), _case(endpoint, "RR")
    assert row["Pooled RD, points (95% CI)"] == (
        f"{100 * rd['estimate']:.1f} [{100 * rd['ci_low']:.1f}, {100 * rd['ci_high']:.1f}]"
    )
    assert row["Pooled RR (95% CI)"] == (
        f"{math.exp(rr['estimate']):.2f} [{math.exp(rr['ci_low']):.2f}, {math.exp(rr['ci_high']):.2f}]"
    )


def test_pooled_nnt_labels_by_hand(everything):
    rows = {
        r["Endpoint"].split(" — ")[0]: r
        for r in M.pooled_rows(M.pooled_numbers([everything["nausea"], everything["pgic"]], 0.05))
    }
    rd = _case("nausea", "RD")
    # harmful, interval above zero: NNTH 1/RD with 1/upper to 1/lower
    assert rows["nausea"]["NNT (95% CI)"] == (
        f"NNTH {1 / rd['estimate']:.1f} ({1 / rd['ci_high']:.1f} to {1 / rd['ci_low']:.1f})"
    )
    rd = _case("pgic", "RD")
    # beneficial, interval crossing zero: Altman's NNTB ... to infinity to NNTH ...
    assert rows["pgic"]["NNT (95% CI)"] == (
        f"NNTB {1 / rd['estimate']:.1f} (NNTB {1 / rd['ci_high']:.1f} to ∞ to NNTH {1 / -rd['ci_low']:.1f})"
    )
    # one trial only: no pooled row
    assert "composite_3" not in rows and not M.pooled_numbers([everything["composite_3"]], 0.05)


def test_seed_summary_counts_and_ranges_by_hand():
    r = fmtrials.reanalyse_reported()
    seed = r[(r["source"] == "SEED003") & r["status"].notna()]
    text = " ".join(M.seed_summary(seed))

    # every scenario with arm sizes for the phase III rows, and the ones where both printed % are reachable;
    # reachable by hand: some count k with round(100 k / n, 1) equal to the printed value (either tie rounding)
    def reachable(pct: str, n: int) -> bool:
        return any(abs(100 * k / n - float(pct)) <= 0.05 + 1e-9 for k in range(n + 1))

    sized = seed[seed.n_t.notna()]
    ok = [
        reachable(t, int(a)) and reachable(c, int(b))
        for t, a, c, b in zip(sized.percent_t, sized.n_t, sized.percent_c, sized.n_c)
    ]
    assert f"possible under {sum(ok)} of {len(sized)} scenarios" in text
    assert "516 vs 509 (candidate Arnold2010)" in text and "401 vs 401 (mixed Clauw2008)" in text
    assert "none of the possible scenarios reproduces" in text


def test_benefit_risk_none_without_the_composite(everything):
    c = everything.compared
    assert M.benefit_risk_sentence(c[c.endpoint != "composite_3"]) is None
    line = M.benefit_risk_sentence(c)
    assert line.startswith("Benefit against risk in Arnold2010") and "for nausea (189/516 vs 106/509" in line
    assert isinstance(pd.DataFrame(M.main_tables(everything, fmtrials.load_outcomes())["frame"]), pd.DataFrame)

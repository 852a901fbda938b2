"""Mantel-Haenszel edge cases against R metafor ``rma.mh`` with its default settings (issue 22 item 8).

tests/data/mh_edge_reference.json is written by ``Rscript tests/r/mh_edge_reference.R`` (R 4.2.2, metafor 3.8-1;
the exact calls are recorded there). ``rma.mh``'s defaults ``add = c(1/2, 0)``, ``to = c("only0", "none")``,
``drop00 = c(TRUE, FALSE)``: a double-zero table (no events in both arms, or all events in both arms) has no
per-study effect (left out of Q and its df) but stays in the MH sums with its raw counts, for RR, OR and RD.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fmtrials

REF = json.loads((Path(__file__).parent / "data" / "mh_edge_reference.json").read_text())
CASES = [c for c in REF["cases"] if c.get("beta") is not None]
UNDEFINED = [c for c in REF["cases"] if c.get("beta") is None]


def _table(name: str) -> pd.DataFrame:
    return pd.DataFrame(REF["data"][name])


def test_reference_metadata():
    assert REF["metafor_version"] == "3.8.1" and REF["r_version"].startswith("R version 4.2.2")
    assert all("rma.mh(" in c["call"] and "drop00" not in c["call"] for c in REF["cases"])  # defaults only
    assert len(CASES) == 18 and len(UNDEFINED) == 3


@pytest.mark.parametrize("case", CASES, ids=[f"{c['data']}/{c['measure']}" for c in CASES])
def test_mh_matches_rma_mh_defaults(case):
    r = fmtrials.pool(_table(case["data"]), measure=case["measure"], method="MH")
    # estimate, its CI and SE (metafor's SE of a set of all-event tables is sqrt(-1e-17) = NaN: ours is 0)
    assert r.beta == pytest.approx(case["beta"], rel=1e-6, abs=1e-9)
    se = 0.0 if case["se"] is None else case["se"]
    assert r.se == pytest.approx(se, rel=1e-6, abs=1e-9)
    if case["ci_low"] is not None:
        lo, hi = (np.log(r.ci_low), np.log(r.ci_high)) if r.ratio else (r.ci_low, r.ci_high)
        assert (lo, hi) == pytest.approx((case["ci_low"], case["ci_high"]), rel=1e-6, abs=1e-9)
    if case["pval"] is not None and se > 1e-8:  # RD of all-event tables: metafor's z = -4e-17 / 3e-10 is rounding
        assert r.p_value == pytest.approx(case["pval"], rel=1e-6, abs=1e-12)
    # k counts every table in the MH sums; Q and its df only the tables with a per-study effect
    assert r.k == case["k"]
    h = r.heterogeneity
    if case["k_yi"] >= 2:
        assert h.q_df == case["k_yi"] - 1
        assert h.q == pytest.approx(case["QE"], rel=1e-6)
        assert h.q_p == pytest.approx(case["QEp"], rel=1e-6, abs=1e-12)
        assert h.i2 == pytest.approx(case["I2"], rel=1e-6, abs=1e-9)
    else:  # metafor prints Q = 0 on 0 df; fmtrials says heterogeneity cannot be estimated
        assert not h.estimable and np.isnan(h.q)
        assert any("cannot be estimated" in n for n in r.notes)
    # weights (percent) of every table, double-zero ones included
    np.testing.assert_allclose(r.studies["weight"], np.array(case["weights"], dtype=float), rtol=1e-6, atol=1e-9)
    # per-study effects: NaN for double-zero tables, as escalc(drop00 = TRUE)
    np.testing.assert_allclose(r.studies["yi"], np.array(case["yi"], dtype=float), rtol=1e-9, equal_nan=True)


def test_issue_numbers_all_events_table_added_to_bcg():
    """The issue's numbers: dat.bcg + 20/20 vs 30/30 gives log RR -0.4451 with k = 14 (was -0.4537, k = 13)."""
    r = fmtrials.pool(_table("bcg_all_events"), measure="RR", method="MH")
    assert round(r.beta, 4) == -0.4451 and r.k == 14 and r.heterogeneity.q_df == 12
    assert r.excluded == ("All events",) and "kept in the Mantel-Haenszel sums" in r.notes[0]
    rd = fmtrials.pool(_table("bcg_no_events"), measure="RD", method="MH")
    assert round(rd.heterogeneity.q, 3) == 386.734 and rd.heterogeneity.q_df == 12  # was 386.808 on 13 df


def test_only_all_event_tables_give_no_effect():
    """A set of only all-event tables: metafor gives log RR 0 (RR 1, CI 1 to 1) and RD 0; fmtrials raised."""
    for measure, value in (("RR", 1.0), ("RD", 0.0)):
        r = fmtrials.pool(_table("only_all_events"), measure=measure, method="MH")
        assert r.estimate == pytest.approx(value, abs=1e-12) and r.k == 3
        assert (r.ci_low, r.ci_high) == pytest.approx((value, value), abs=1e-9)
        assert np.isnan(r.p_value) and any("standard error of the pooled estimate is 0" in n for n in r.notes)


@pytest.mark.parametrize("case", UNDEFINED, ids=[f"{c['data']}/{c['measure']}" for c in UNDEFINED])
def test_undefined_mh_estimate_is_nothing_to_pool(case):
    """metafor's estimate is NA (no events in any treatment or control arm): fmtrials says nothing to pool."""
    with pytest.raises(fmtrials.DataError, match="nothing to pool"):
        fmtrials.pool(_table(case["data"]), measure=case["measure"], method="MH")


@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
def test_leave_one_out_keeps_double_zero_tables_in_the_mh_sums(measure):
    """The vectorised subsets of leave_one_out and cumulative equal a refit of pool on each subset."""
    t = _table("bcg_both")
    t["year"] = np.arange(len(t))
    l1 = fmtrials.leave_one_out(t, measure=measure, method="MH")
    cu = fmtrials.cumulative(t, measure=measure, method="MH", order_by="year")
    for i in range(len(t)):
        for frame, sub in ((l1, t.drop(index=i)), (cu, t.iloc[: i + 1])):
            row = frame.iloc[i]
            try:
                r = fmtrials.pool(sub, measure=measure, method="MH")
            except fmtrials.DataError:
                assert row["k"] == 0
                continue
            assert row["k"] == r.k
            assert row["beta"] == pytest.approx(r.beta, rel=1e-10, abs=1e-13, nan_ok=True)
            assert row["q"] == pytest.approx(r.heterogeneity.q, rel=1e-10, nan_ok=True)
            assert row["q_p"] == pytest.approx(r.heterogeneity.q_p, rel=1e-10, nan_ok=True)


def test_forest_footer_says_where_double_zero_tables_went():
    from fmtrials.plots.forest import forest_footer

    mh = forest_footer(fmtrials.pool(_table("bcg_all_events"), measure="RR", method="MH"))
    assert "Not estimable, no per-study estimate, left out of Q, kept in the Mantel–Haenszel sums: All events" in mh
    iv = forest_footer(fmtrials.pool(_table("bcg_all_events"), measure="RR", method="IV"))
    assert "Not estimable, left out of the pooling: All events" in iv

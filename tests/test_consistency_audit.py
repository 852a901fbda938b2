"""Tests for fmtrials.consistency.milnacipran: the audit of the bundled reported table.

Oracles: evidence.md §2 and §4 (hand arithmetic on the seed table and Bateman 2013) and scipy.stats
(fisher_exact, chi2_contingency) for every recomputed p-value.
"""

from __future__ import annotations

import importlib
import io

import pandas as pd
import pytest
from scipy import stats

import fmtrials
from fmtrials import DataError

A = importlib.import_module("fmtrials.consistency")


def fisher_p(a, n1, c, n2):
    return stats.fisher_exact([[a, n1 - a], [c, n2 - c]])[1]


def chi2_p(a, n1, c, n2, correction=False):
    return stats.chi2_contingency([[a, n1 - a], [c, n2 - c]], correction=correction)[1]


# ------------------------------------------------------------------------------------------------------------
# audit of whole tables
# ------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled():
    return fmtrials.audit()


def test_audit_columns_and_every_row(bundled):
    assert list(bundled.columns) == list(A.AUDIT_COLUMNS)
    rep = fmtrials.load_reported()
    assert sorted(bundled["row"].unique()) == list(range(1, len(rep) + 1))
    assert set(bundled["verdict"]) <= {"consistent", "inconsistent", "indeterminate"}
    assert bundled["explanation"].str.len().min() > 10


def test_audit_seed_rows(bundled):
    a = bundled
    # seed 100 mg row: no phase III attribution is consistent
    assert (a.loc[a.row == 2, "verdict"] == "inconsistent").all()
    assert (a.loc[a.row == 3, "verdict"] == "inconsistent").all()
    got = {(int(n_t), int(n_c)) for n_t, n_c in zip(a.loc[a.row == 2, "n_t"], a.loc[a.row == 2, "n_c"])}
    assert {(399, 401), (401, 405), (224, 223), (516, 509)} <= got
    arnold = a[(a.row == 2) & (a.n_t == 516)].iloc[0]
    assert arnold["events_t_min"] == arnold["events_t_max"] == 131
    assert arnold["events_c_min"] == arnold["events_c_max"] == 79
    assert arnold["grim_t"] and arnold["grim_c"]
    assert arnold["p_fisher_min"] == pytest.approx(fisher_p(131, 516, 79, 509), rel=1e-9)
    assert arnold["p_chi2_min"] == pytest.approx(chi2_p(131, 516, 79, 509), rel=1e-9)
    assert arnold["p_consistent"] is False or arnold["p_consistent"] == False  # noqa: E712
    mease = a[(a.row == 2) & (a.n_t == 224)].iloc[0]
    assert mease["grim_c"] == False and mease["events_t_min"] == 57  # noqa: E712
    pooled = a[(a.row == 3) & (a.attribution_kind == "pooled")].iloc[0]
    assert (pooled["n_t"], pooled["n_c"]) == (837, 624)
    assert (pooled["events_t_min"], pooled["events_t_max"]) == (225, 225)
    assert (pooled["events_c_min"], pooled["events_c_max"]) == (97, 97)
    assert pooled["p_chi2_min"] == pytest.approx(chi2_p(225, 837, 97, 624), rel=1e-9)
    assert (a.loc[a.row == 1, "verdict"] == "indeterminate").all()
    assert set(a.loc[a.row.isin([1, 2, 3]), "row_verdict"]) == {"indeterminate", "inconsistent"}


def test_audit_bateman_denominators(bundled):
    b = bundled[bundled["study"] == "Bateman2013"].set_index("n_t")
    assert b.loc[86, "verdict"] == "inconsistent" and b.loc[86, "grim_t"] == False  # noqa: E712
    assert b.loc[79, "verdict"] == "consistent"
    assert b.loc[79, "events_t_min"] == b.loc[79, "events_t_max"] == 26
    assert b.loc[79, "events_c_min"] == b.loc[79, "events_c_max"] == 5
    assert set(b["row_verdict"]) == {"consistent"}


def test_audit_subgroup_and_other_tests(bundled):
    sub = bundled[bundled["attribution_kind"] == "subgroup"]
    assert len(sub) >= 1 and (sub["verdict"] == "indeterminate").all() and sub["n_t"].isna().all()
    c13 = bundled[bundled["study"] == "Clauw2013"]
    assert len(c13) == 1  # the bundled data has one Clauw 2013 row
    # printed p is a time-to-event test: percentages checked, p not
    assert c13["p_consistent"].isna().all() and (c13["verdict"] == "consistent").all()
    r = A.audit_reported("35", 100, "64", 50, "0.0004", p_other_test=True)
    assert r.verdict == "consistent" and r.p_consistent is None and r.p_range
    assert A.audit_reported("35", 100, "64", 50, "0.0004").verdict == "inconsistent"


def test_audit_custom_table_and_errors():
    arms = pd.read_csv(
        io.StringIO(
            "study,arm,treatment,dose_mg_day,n_randomized,n_randomized_alt,alt_source\n"
            "T1,placebo,placebo,0,42,,\nT1,drug,milnacipran,100,41,,\n"
            "T2,placebo,placebo,0,223,,\nT2,drug,milnacipran,100,224,,\n"
        )
    )
    rep = pd.DataFrame(
        {
            "study": [None, "T1"],
            "label": ["x", "y"],
            "endpoint": ["e", "e"],
            "dose_mg_day": [100, 100],
            "percent_t": ["37", "37"],
            "percent_c": ["5", "5"],
            "n_t": pd.array([pd.NA, pd.NA], dtype="Int64"),
            "n_c": pd.array([pd.NA, pd.NA], dtype="Int64"),
            "p_reported": ["0.0003", "0.5"],
        }
    )
    out = A.audit(rep, arms, trials=None, outcomes=pd.DataFrame(columns=["study", "arm", "endpoint", "n"]))
    first = out[out.row == 1].set_index("n_t")
    assert first.loc[41, "verdict"] == "consistent" and first.loc[224, "verdict"] == "inconsistent"
    assert first.loc[41, "row_verdict"] == "consistent"
    second = out[out.row == 2].iloc[0]
    assert second["verdict"] == "inconsistent" and second["p_interval"] == "[0.45, 0.55)"
    assert "fisher: 15/41 vs 2/42" in first.loc[41, "p_match"]
    bad = rep.assign(p_reported=["<0.001", "p is small"])
    with pytest.raises(DataError) as err:
        A.audit(bad, arms, trials=None, outcomes=None)
    assert err.value.problems[0].row == 2 and err.value.problems[0].column == "p_reported"


def test_package_attribute_is_the_function_after_submodule_import():
    importlib.import_module("fmtrials.consistency")
    assert callable(fmtrials.audit) and fmtrials.audit is A.audit
    assert fmtrials.audit.__module__ == "fmtrials.consistency.milnacipran"
    out = fmtrials.audit()
    assert isinstance(out, pd.DataFrame) and len(out) > 0


def test_audit_columns_read_by_report_and_notebooks(bundled):
    for col in (
        "row",
        "label",
        "endpoint",
        "dose_mg_day",
        "percent_t",
        "percent_c",
        "p_reported",
        "attribution",
        "verdict",
        "explanation",
        "grim_t",
        "grim_c",
    ):
        assert col in bundled.columns


def test_audit_test_argument():
    out = fmtrials.audit(test="Fisher")
    assert out["p_chi2_min"].isna().all() and out["p_fisher_min"].notna().any()
    with pytest.raises(DataError):
        fmtrials.audit(test="boschloo")


def test_a_denominator_derived_from_the_same_percentages_is_flagged_as_by_construction(bundled):
    """Bateman 2013's PGIC: 32.9% is impossible with the randomized 86 (28/86 = 32.56%, 29/86 = 33.72%) and
    possible with n = 79, but 79 is the denominator the data derived from these very percentages (outcomes.csv
    status "derived"): the agreement is circular, and the audit says so."""
    bat = bundled[(bundled["study"] == "Bateman2013") & (bundled["endpoint"] == "pgic")]
    by_kind = bat.set_index("attribution_kind")
    assert by_kind.loc["study", "verdict"] == "inconsistent" and not by_kind.loc["study", "by_construction"]
    assert by_kind.loc["analysis_n", "verdict"] == "consistent"
    assert by_kind.loc["analysis_n", "by_construction"]
    assert "holds by construction" in by_kind.loc["analysis_n", "explanation"]
    assert "derived from these percentages" in by_kind.loc["analysis_n", "attribution"]
    others = bundled[~((bundled["study"] == "Bateman2013") & (bundled["endpoint"] == "pgic"))]
    assert not others["by_construction"].any()


def test_a_reported_denominator_is_not_by_construction():
    """The same n = 79 printed by the source (status "reported") is an independent check, not circular."""
    out = fmtrials.load_outcomes().copy()
    mask = (out["study"] == "Bateman2013") & (out["endpoint"] == "pgic")
    out.loc[mask, "status"] = "reported"
    a = fmtrials.audit(outcomes=out)
    bat = a[(a["study"] == "Bateman2013") & (a["endpoint"] == "pgic") & (a["attribution_kind"] == "analysis_n")]
    assert len(bat) == 1 and bat["verdict"].iloc[0] == "consistent" and not bat["by_construction"].iloc[0]
    assert "by construction" not in bat["explanation"].iloc[0]

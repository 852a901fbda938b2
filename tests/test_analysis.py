"""The analysis layer (``fmtrials.analyse``, ``fmtrials.analyse_endpoint``): the report's policy, checked against
R metafor (tests/data/metafor_reference.json), hand arithmetic, and the report's own tables."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import DATA

import fmtrials
from fmtrials import DataError
from fmtrials._format import format_interval
from fmtrials.analysis import (
    ANALYSIS_PREFERENCE,
    COMMON_MODEL,
    LOO_MAX_K,
    MAIN_MODEL,
    SENSITIVITY_GRID,
    analyse,
    analyse_endpoint,
    default_endpoints,
    endpoint_event,
    methods_paragraph,
    sensitivity_grid,
)
from fmtrials.report import write_report

REF = json.loads((DATA / "metafor_reference.json").read_text("utf-8"))
CASES = {c["id"]: c["result"] for c in REF["cases"]}
METAFOR_TEST = {"z": "z", "hksj": "knha", "hksj-adhoc": "adhoc"}


@pytest.fixture(scope="module")
def nausea():
    return analyse_endpoint(fmtrials.load_outcomes(), "nausea")


@pytest.fixture(scope="module")
def everything():
    return analyse()


@pytest.fixture(scope="module")
def report_dir(bundled_report_no_figures):
    return bundled_report_no_figures  # write_report(out, quiet=True, figures=False), shared (conftest)


def _user_outcomes(rows, directions=None):
    """User outcomes from ``rows``; ``directions`` (endpoint -> direction) fills a ``direction`` column."""
    df = pd.DataFrame(rows, columns=["study", "dose_mg_day", "endpoint", "n", "responders"])
    if directions:
        df["direction"] = df["endpoint"].map(directions).fillna("")
    return fmtrials.read_outcomes(df)


# ------------------------------------------------------------------------------------------ the policy as data


def test_policy_is_declared_data():
    assert MAIN_MODEL.method == "REML" and MAIN_MODEL.test == "hksj-adhoc"
    assert COMMON_MODEL.method == "MH" and COMMON_MODEL.test == "z"
    assert {m.test for m in SENSITIVITY_GRID} == {"z", "hksj", "hksj-adhoc"}
    assert ANALYSIS_PREFERENCE[:3] == ("BOCF", "LOCF", "OC")
    assert [m.method for m in sensitivity_grid("OR")].count("Peto") == 1
    assert "Peto" not in [m.method for m in sensitivity_grid("RR")]
    assert LOO_MAX_K >= 3


def test_default_endpoints_of_the_bundled_data():
    eps = default_endpoints(fmtrials.load_outcomes())
    assert eps == fmtrials.default_endpoints()
    assert eps[:4] == ["composite_3", "pain_30", "pain_50", "pgic"] and "nausea" in eps
    assert "hyperhidrosis" not in eps  # not in the key safety list


# ------------------------------------------------------------------------------------- numbers vs metafor


def test_main_and_common_models_match_metafor_on_the_split_nausea_table(nausea):
    """The report's main model is metafor rma(method="REML", test="adhoc") on the table with the Mease 2009
    placebo arm split 24/112 + 23/111 (tests/r/metafor_reference.R); the check is rma.mh."""
    assert nausea.pooled_table["events_c"].tolist()[:2] == [24, 23]
    assert nausea.pooled_table["n_c"].tolist()[:2] == [112, 111]
    assert nausea.by == "dose_mg_day" and set(nausea.main.subgroups) == {100, 200}
    for res, case in (
        (nausea.main, "milnacipran_nausea_split/RR/REML/adhoc"),
        (nausea.common, "milnacipran_nausea_split/RR/MH/z"),
    ):
        R = CASES[case]
        assert res.k == R["k"] == 4
        assert math.log(res.estimate) == pytest.approx(R["beta"], rel=1e-6)
        assert math.log(res.ci_low) == pytest.approx(R["ci_low"], rel=1e-5)
        assert math.log(res.ci_high) == pytest.approx(R["ci_high"], rel=1e-5)
        assert res.p_value == pytest.approx(R["p_value"], rel=1e-5)


def test_sensitivity_grid_matches_metafor_row_by_row(nausea):
    sens = nausea.sensitivity
    assert sens["analyses"].eq("primary").all()
    assert list(zip(sens["method"], sens["test"])) == [(m.method, m.test) for m in sensitivity_grid("RR")]
    for row in sens.itertuples():
        R = CASES[f"milnacipran_nausea_split/RR/{row.method}/{METAFOR_TEST[row.test]}"]
        rel = 1e-5 if row.method in ("REML", "PM") else 1e-6
        assert row.k == 4
        assert math.log(row.estimate) == pytest.approx(R["beta"], rel=rel), (row.method, row.test)
        assert math.log(row.ci_low) == pytest.approx(R["ci_low"], rel=rel), (row.method, row.test)
        assert math.log(row.ci_high) == pytest.approx(R["ci_high"], rel=rel), (row.method, row.test)
        assert row.p_value == pytest.approx(R["p_value"], rel=rel, abs=1e-12), (row.method, row.test)
        assert row.tau2 == pytest.approx(R["tau2"], rel=rel, abs=1e-9), (row.method, row.test)
        if "pi_hts_low" in R and row.method in ("DL", "REML", "PM"):
            assert row.pi_low == pytest.approx(math.exp(R["pi_hts_low"]), rel=1e-4)


def test_single_study_endpoint_is_that_trials_risk_ratio():
    a = analyse_endpoint(None, "composite_3")
    # Arnold 2010 registry: 103/516 responders vs 56/509 (hand arithmetic)
    assert a.main.k == 1 and a.by is None
    assert a.main.estimate == pytest.approx((103 / 516) / (56 / 509), rel=1e-12)
    assert a.common.estimate == pytest.approx((103 / 516) / (56 / 509), rel=1e-12)
    assert a.sensitivity is None and a.leave_one_out is None


def test_leave_one_out_refits_the_main_model(nausea):
    from fmtrials.analysis._pooling import pooled_fit

    loo = nausea.leave_one_out
    assert len(loo) == 4 and loo["k"].tolist() == [3, 3, 3, 3]
    # dropping Arnold 2010 leaves the split Mease rows and Bateman: the main model (no subgroups) on those
    rest = nausea.pooled_table[nausea.pooled_table["study"] != "Arnold2010"]
    ref = pooled_fit("pool", rest, measure="RR", model=MAIN_MODEL, alpha=0.05)
    row = loo[loo["omitted"] == "Arnold2010"].iloc[0]
    assert row["estimate"] == pytest.approx(ref.estimate, rel=1e-12)
    assert row["ci_high"] == pytest.approx(ref.ci_high, rel=1e-12)
    assert row["estimate"] != pytest.approx(nausea.main.estimate, rel=1e-3)


# ----------------------------------------------------------------------------------------- direction


def test_direction_from_the_default_lists(everything):
    for a in everything:
        want = "beneficial" if a.endpoint in fmtrials.analysis.EFFICACY_ENDPOINTS else "harmful"
        assert (a.event, a.event_source) == (want, "default list")
        if len(a.compared):
            assert a.compared["event"].eq(want).all()


def test_given_direction_wins_and_reaches_compare():
    harm = analyse_endpoint(None, "nausea")
    good = analyse_endpoint(None, "nausea", event="BENEFICIAL")
    assert (good.event, good.event_source) == ("beneficial", "given")
    # Arnold 2010: 189/516 vs 106/509 nausea, more on treatment: a harm (NNTH) unless told it is a benefit
    arnold = lambda a: a.compared[a.compared["study"] == "Arnold2010"].iloc[0]  # noqa: E731
    assert arnold(harm)["nnt_type"] == "NNTH" and arnold(good)["nnt_type"] == "NNTB"
    assert arnold(harm)["nnt"] == pytest.approx(1 / (189 / 516 - 106 / 509), rel=1e-12)
    assert good.main.estimate == harm.main.estimate  # the direction changes labels, not numbers
    with pytest.raises(DataError, match="event"):
        analyse_endpoint(None, "nausea", event="good")


def test_endpoint_with_no_known_direction_is_refused_by_name_never_guessed():
    assert endpoint_event("hyperhidrosis") == ("harmful", "glossary")
    o = fmtrials.load_outcomes()
    o.loc[o.endpoint == "hyperhidrosis", "endpoint"] = "itch"  # a code the glossary does not know
    with pytest.raises(DataError, match="'itch' has no known direction"):
        endpoint_event("itch")
    with pytest.raises(DataError, match="'itch' has no known direction"):
        analyse_endpoint(o, "itch")
    with pytest.raises(DataError, match="'itch' has no known direction"):
        fmtrials.analyse(o, endpoints=["nausea", "itch"])
    a = analyse_endpoint(o, "itch", event="harmful")
    assert (a.event, a.event_source) == ("harmful", "given")


def test_direction_column_of_the_data_is_read_and_explicit_event_wins():
    rows = []
    for study, (xt, xc) in {"A": (40, 20), "B": (35, 22)}.items():
        rows += [
            dict(study=study, dose_mg_day=0, endpoint="fiq_responder", n=100, responders=xc, direction="Beneficial"),
            dict(study=study, dose_mg_day=100, endpoint="fiq_responder", n=100, responders=xt, direction=""),
        ]
    user = fmtrials.read_outcomes(pd.DataFrame(rows))
    assert set(user["direction"].dropna()) == {"beneficial"}
    assert endpoint_event("fiq_responder", user) == ("beneficial", "data")
    a = analyse_endpoint(user, "fiq_responder")
    assert (a.event, a.event_source) == ("beneficial", "data")
    assert set(a.compared["nnt_type"]) == {"NNTB"}  # more responders on treatment is a benefit, not NNTH
    c = fmtrials.contrasts(user, endpoint="fiq_responder")
    assert set(fmtrials.compare(c)["nnt_type"]) == {"NNTB"}
    assert set(fmtrials.compare(c, event="harmful")["nnt_type"]) == {"NNTH"}  # explicit event wins
    assert analyse_endpoint(user, "fiq_responder", event="harmful").event_source == "given"
    harmful = fmtrials.read_outcomes(pd.DataFrame(rows).assign(direction="harmful"))
    assert set(fmtrials.compare(fmtrials.contrasts(harmful, endpoint="fiq_responder"))["nnt_type"]) == {"NNTH"}
    assert fmtrials.analyse(harmful).endpoints == ("fiq_responder",)


def test_direction_column_is_validated_with_row_and_column():
    bad = pd.DataFrame(
        {
            "study": ["A", "A", "B", "B"],
            "dose_mg_day": [0, 100, 0, 100],
            "endpoint": ["x"] * 4,
            "n": [10] * 4,
            "responders": [1, 2, 1, 2],
            "direction": ["harmful", "good", "beneficial", "harmful"],
        }
    )
    with pytest.raises(DataError) as err:
        fmtrials.read_outcomes(bad)
    text = str(err.value)
    assert "row 2" in text and "'direction'" in text and "'good'" in text
    assert "more than one direction" in text


def test_user_data_with_a_known_endpoint_keeps_the_unknown_ones():
    rows = []
    for ep, direction in (("pain_30", ""), ("fiq_responder", "beneficial")):
        for study in ("A", "B"):
            rows += [
                dict(study=study, dose_mg_day=0, endpoint=ep, n=100, responders=20, direction=direction),
                dict(study=study, dose_mg_day=100, endpoint=ep, n=100, responders=30, direction=direction),
            ]
    user = fmtrials.read_outcomes(pd.DataFrame(rows))
    assert fmtrials.default_endpoints(user) == ["pain_30", "fiq_responder"]


# ----------------------------------------------------------------------------------- analyses and inputs


def test_one_analysis_per_comparison_prefers_the_conservative_imputation(everything):
    with_alts = [a for a in everything if len(a.alternates)]
    assert with_alts, "the bundled data report some comparison under two analyses"
    rank = {x: i for i, x in enumerate(ANALYSIS_PREFERENCE)}
    for a in with_alts:
        assert len(a.primary) + len(a.alternates) == len(a.contrasts)
        assert not a.primary.duplicated(["study", "arm"]).any()
        for r in a.alternates.itertuples():
            kept = a.primary[(a.primary["study"] == r.study) & (a.primary["arm"] == r.arm)]["analysis"].iloc[0]
            assert rank.get(kept, len(rank)) <= rank.get(r.analysis, len(rank))
            assert any(f"'{r.analysis}' analysis" in n and f"'{kept}' figures" in n for n in a.notes)
        if a.sensitivity is not None:
            assert a.sensitivity["analyses"].str.startswith("alternative: ").any()


def test_contrasts_and_outcomes_give_the_same_analysis(nausea):
    c = fmtrials.contrasts(endpoint=["nausea", "headache"])
    from_contrasts = analyse_endpoint(c, "nausea")
    pd.testing.assert_frame_equal(from_contrasts.to_frame(), nausea.to_frame())
    pd.testing.assert_frame_equal(from_contrasts.compared, nausea.compared)


def test_bad_arguments_are_named():
    with pytest.raises(DataError, match="measure"):
        analyse_endpoint(None, "nausea", measure="HR")
    with pytest.raises(DataError, match="ci"):
        analyse_endpoint(None, "nausea", ci="nope")
    with pytest.raises(DataError, match="endpoint"):
        analyse_endpoint(None, "no_such_endpoint")
    with pytest.raises(DataError, match="no_such_endpoint"):
        analyse(endpoints=["nausea", "no_such_endpoint"])
    with pytest.raises(DataError, match="contrasts_or_outcomes"):
        analyse_endpoint([1, 2], "nausea")
    assert analyse_endpoint(None, "nausea", measure="or").measure == "OR"


def test_result_is_frozen_and_readable(nausea):
    with pytest.raises(dataclasses.FrozenInstanceError):
        nausea.main = None
    frame = nausea.to_frame()
    assert frame["group"].tolist() == ["100 mg/day", "200 mg/day", "all doses"] * 2
    assert frame["model"].tolist() == ["main"] * 3 + ["common"] * 3
    # the test actually applied; the one-trial 200 mg/day dose is no pooled model: its own Fisher exact p
    assert frame["test"].tolist() == ["hksj-adhoc", "fisher", "hksj-adhoc", "z", "fisher", "z"]
    assert frame["method"].tolist() == ["REML", "", "REML", "MH", "", "MH"]
    assert (frame["ci_low"] <= frame["estimate"]).all() and (frame["estimate"] <= frame["ci_high"]).all()
    text = nausea.summary()
    assert "event harmful (default list)" in text and "HKSJ ad hoc" in text
    assert format_interval(frame["estimate"][2], frame["ci_low"][2], frame["ci_high"][2]) in text
    assert "<table>" in nausea._repr_html_()
    assert "DataFrame" not in repr(nausea) and "event='harmful'" in repr(nausea)


def test_html_escapes_user_text():
    out = _user_outcomes(
        [["<b>X</b>", 0, "<i>e</i>", 50, 10], ["<b>X</b>", 100, "<i>e</i>", 50, 20]], {"<i>e</i>": "harmful"}
    )
    page = analyse_endpoint(out, "<i>e</i>")._repr_html_()
    assert "<i>e</i>" not in page and "&lt;i&gt;e&lt;/i&gt;" in page


# ------------------------------------------------------------------------------------------ robustness


def test_endpoint_with_no_events_is_not_estimable_and_the_others_go_on(tmp_path):
    rows = [
        ["A", 0, "zero", 50, 0],
        ["A", 100, "zero", 50, 0],
        ["B", 0, "zero", 40, 0],
        ["B", 100, "zero", 40, 0],
        ["A", 0, "pain_30", 50, 10],
        ["A", 100, "pain_30", 50, 20],
        ["B", 0, "pain_30", 40, 8],
        ["B", 100, "pain_30", 40, 15],
    ]
    res = analyse(_user_outcomes(rows, {"zero": "harmful"}), ["zero", "pain_30"])
    zero, pain = res["zero"], res["pain_30"]
    assert zero.main is None and zero.common is None and not zero.estimable
    assert zero.not_estimable.startswith("not estimable: ") and zero.not_estimable in zero.notes
    assert zero.leave_one_out is None and zero.sensitivity is None
    assert len(zero.compared) == 2  # the per-trial table is still there
    assert pain.estimable and pain.main.k == 2
    assert res.to_frame()["endpoint"].unique().tolist() == ["pain_30"]
    csv = tmp_path / "user.csv"
    frame = pd.DataFrame(rows, columns=["study", "dose_mg_day", "endpoint", "n", "responders"])
    frame.assign(direction=frame["endpoint"].map({"zero": "harmful"})).to_csv(csv, index=False)
    out = write_report(tmp_path / "rep", data=csv, endpoints=["zero", "pain_30"], quiet=True, figures=False)
    assert "not estimable: " in (out / "report.html").read_text("utf-8")
    assert set(pd.read_csv(out / "tables" / "pooled.csv")["endpoint"]) == {"pain_30"}


def test_leave_one_out_is_skipped_above_the_stated_k():
    k = LOO_MAX_K + 1
    rng = np.random.default_rng(7)
    n = rng.integers(30, 60, size=k)
    rows = []
    for i in range(k):
        rows += [
            [f"S{i:03d}", 0, "pain_30", int(n[i]), int(rng.integers(5, 15))],
            [f"S{i:03d}", 100, "pain_30", int(n[i]), int(rng.integers(10, 25))],
        ]
    a = analyse_endpoint(_user_outcomes(rows), "pain_30")
    assert a.main.k == k and a.leave_one_out is None
    assert any("Leave-one-out skipped" in n and str(LOO_MAX_K) in n for n in a.notes)


# ------------------------------------------------------------------------ the report prints these numbers


def test_report_comparisons_table_is_the_analysis_layers(report_dir, everything):
    csv = pd.read_csv(report_dir / "tables" / "comparisons.csv", keep_default_na=False, na_values=[""])
    ours = everything.compared
    assert list(csv.columns) == list(ours.columns) and len(csv) == len(ours) > 0
    for col in ours.columns:
        mine = ours[col]
        if pd.api.types.is_numeric_dtype(mine) and not pd.api.types.is_bool_dtype(mine):
            np.testing.assert_allclose(
                csv[col].to_numpy(float), mine.to_numpy(float), rtol=1e-9, equal_nan=True, err_msg=col
            )
        else:
            assert csv[col].fillna("").astype(str).tolist() == mine.fillna("").astype(str).tolist(), col
    assert ours["p_holm_report"].max() <= 1


def test_report_pooled_table_holds_the_analysis_layers_numbers_as_numbers(report_dir, everything):
    csv = pd.read_csv(report_dir / "tables" / "pooled.csv")
    ours = everything.to_frame()
    assert len(csv) == len(ours) > 0
    assert csv["endpoint"].tolist() == ours["endpoint"].tolist()
    assert csv["group"].tolist() == ours["group"].tolist()
    numeric = ["k", "estimate", "ci_low", "ci_high", "p_value", "q", "i2", "tau2", "pi_low", "pi_high", "subgroup_p"]
    for col in numeric:
        assert pd.api.types.is_numeric_dtype(csv[col]), col  # never "1.81 [1.34, 2.45]" or "<0.0001"
        np.testing.assert_allclose(
            csv[col].to_numpy(float), ours[col].to_numpy(float), rtol=1e-9, equal_nan=True, err_msg=col
        )
    assert (csv["ci_low"] <= csv["ci_high"]).all() and set(csv["measure"]) == {"RR"}


def test_no_csv_under_tables_holds_formatted_numbers(report_dir):
    """Numbers in numeric columns: no interval text, no "<0.0001", no "p = " in any table written."""
    formatted = r"^-?\d+(?:\.\d+)? \[|^<0\.\d+$|^[Pp] [=<] "
    for path in sorted((report_dir / "tables").glob("*.csv")):
        if path.name in ("audit.csv", "composite_reanalysis.csv"):
            continue  # p-values as printed in the sources (p_reported), kept verbatim as data
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in table.columns:
            bad = table[col].str.contains(formatted, regex=True)
            assert not bad.any(), (path.name, col, table.loc[bad, col].iloc[0])
    html = (report_dir / "report.html").read_text("utf-8")
    assert "= &lt;" not in html and "= <0" not in html


def test_report_sensitivity_and_leave_one_out_tables_are_the_analysis_layers(report_dir, everything):
    sens = pd.read_csv(report_dir / "tables" / "sensitivity.csv")
    ours = pd.concat(
        [a.sensitivity.assign(endpoint=a.endpoint) for a in everything if a.sensitivity is not None], ignore_index=True
    )
    assert len(sens) == len(ours)
    assert sens["test"].tolist() == ours["test"].tolist()
    for col in ("k", "estimate", "ci_low", "ci_high", "p_value", "tau2", "i2"):
        np.testing.assert_allclose(
            sens[col].to_numpy(float), ours[col].to_numpy(float), rtol=1e-9, equal_nan=True, err_msg=col
        )
    loo = pd.read_csv(report_dir / "tables" / "leave_one_out.csv")
    ours = pd.concat(
        [a.leave_one_out.assign(endpoint=a.endpoint) for a in everything if a.leave_one_out is not None],
        ignore_index=True,
    )
    assert loo["omitted"].tolist() == ours["omitted"].tolist()
    np.testing.assert_allclose(loo["estimate"].to_numpy(float), ours["estimate"].to_numpy(float), rtol=1e-9)


def test_direction_from_the_glossary_and_explicit_event_wins():
    from fmtrials.analysis import endpoint_event

    assert endpoint_event("loss_of_response") == ("harmful", "glossary")
    assert endpoint_event("constipation") == ("harmful", "glossary")
    assert endpoint_event("loss_of_response", event="beneficial") == ("beneficial", "given")
    with pytest.raises(DataError, match="not_a_code"):
        endpoint_event("not_a_code")


def _holm_by_hand(p):
    """Holm (1979) step-down, written out: sort, multiply the i-th smallest by (m - i), running max, clip."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    out, run = [0.0] * len(p), 0.0
    for rank, i in enumerate(order):
        run = max(run, (len(p) - rank) * p[i])
        out[i] = min(1.0, run)
    return out


def test_holm_families_efficacy_and_each_safety_endpoint_each_comparison_once(everything):
    c = everything.compared
    counted = c[c.holm_counted]
    # never one comparison twice: Arnold 2010's withdrawals (Cochrane table and registry flow) count once
    assert not counted.duplicated(["endpoint", "study", "arm"]).any()
    w = c[(c.endpoint == "withdrawal_any") & (c.study == "Arnold2010")]
    assert len(w) == 2 and w.holm_counted.sum() == 1 and w.p_holm_report.isna().sum() == 1
    assert w.loc[~w.holm_counted, "holm_family"].iloc[0].startswith("not counted: alternative analysis")
    fams = set(counted.holm_family)
    assert "efficacy" in fams and "safety: nausea" in fams and "safety: withdrawal_any" in fams
    eff = counted[counted.holm_family == "efficacy"]
    assert set(eff.endpoint) == {e for e in everything.endpoints if everything[e].event == "beneficial"}
    for fam, g in counted.groupby("holm_family"):
        np.testing.assert_allclose(
            g.p_holm_report.to_numpy(), _holm_by_hand(g.p_value.tolist()), rtol=1e-12, err_msg=fam
        )
    # a wrong implementation (one family for the whole table) gives larger adjusted p for nausea
    assert c.loc[(c.endpoint == "nausea") & (c.study == "Bateman2013"), "p_holm_report"].iloc[0] == pytest.approx(
        c.loc[(c.endpoint == "nausea") & (c.study == "Bateman2013"), "p_value"].iloc[0]
    )


# ------------------------------------------------------------------------------------------ small-k rules


def _mh_rr_by_hand(t):
    """Mantel–Haenszel risk ratio with the Greenland–Robins variance, written out (Rothman, Modern
    Epidemiology 3rd ed., eq. 15-21, 15-22)."""
    a, n1, c, n2 = (t[k].to_numpy(float) for k in ("events_t", "n_t", "events_c", "n_c"))
    n = n1 + n2
    r, s = a * n2 / n, c * n1 / n
    p = (n1 * n2 * (a + c) - a * c * n) / n**2
    rr = r.sum() / s.sum()
    se = math.sqrt(p.sum() / (r.sum() * s.sum()))
    return rr, rr * math.exp(-1.959963984540054 * se), rr * math.exp(1.959963984540054 * se)


def test_two_comparisons_use_the_common_effect_model_with_random_effects_in_sensitivity():
    from fmtrials.analysis.policy import COMMON_MAIN_MAX_K, main_model_for

    assert COMMON_MAIN_MAX_K == 2 and main_model_for(2).method == "MH" and main_model_for(3).method == "REML"
    a = analyse_endpoint(None, "sae")
    assert a.main.k == 2 and a.main.method == "MH" and a.main.model == "common"
    rr, lo, hi = _mh_rr_by_hand(a.pooled_table)
    assert (a.main.estimate, a.main.ci_low, a.main.ci_high) == pytest.approx((rr, lo, hi), rel=1e-9)
    assert a.main.ci_high < 10  # never the REML + HKSJ(1 df) interval [0.00, 815.22] as *the* result
    assert {"REML", "DL", "PM"} <= set(a.sensitivity["method"])  # random effects stay, as sensitivity
    assert a.model_rule == "small-k" and "small-k rule" in a.model_reason
    assert analyse_endpoint(None, "nausea").main.method == "REML"  # k = 4: the random-effects main model


def test_absurd_prediction_bounds_are_not_printed_as_numbers():
    from types import SimpleNamespace

    from fmtrials.report.tables import _pi_text

    def res(lo, hi, measure="RR"):
        return SimpleNamespace(measure=measure, prediction=SimpleNamespace(pi_low=lo, pi_high=hi))

    assert _pi_text(res(0.0000001, 3103902917.21), 2) == "not informative"
    assert _pi_text(res(0.5, 1200.0), 2) == "not informative"
    assert _pi_text(res(0.04, 50.91), 2) == "0.04 to 50.91"
    assert _pi_text(res(-1.2, 0.4, "RD"), 3) == "not informative"
    assert _pi_text(res(math.nan, math.nan), 2) == "–"


def test_report_states_the_small_k_rules_and_prints_no_na_footnotes(report_dir):
    html = (report_dir / "report.html").read_text("utf-8")
    assert "Small-k rules" in html and "k = 2" in html and "k = 1" in html
    assert "P = NA" not in html and "I² = NA" not in html and "815.22" not in html.split('id="sensitivity"')[0]


def test_the_report_states_the_models_in_the_methods_paragraphs_words(report_dir, everything):
    # issue 23: the pooled section's model and small-k sentences are the methods paragraph's (what applied),
    # not fixed template text; the template names no model itself
    import html as H
    from importlib import resources

    page = (report_dir / "report.html").read_text("utf-8")
    pooled = page.split('id="pooled"')[1].split("<table")[0]
    models = methods_paragraph(everything, treatment="milnacipran").models
    assert models and models in H.unescape(pooled)
    assert "With two comparisons (PGIC responder, any adverse event, serious adverse event and withdrawal" in models
    assert models in (report_dir / "methods.txt").read_text("utf-8")
    template = (resources.files("fmtrials") / "templates" / "report.html.j2").read_text("utf-8")
    assert "REML random effects" not in template and "k ≥ 3" not in template and "common-effect one" not in template


def test_pooled_table_prints_one_i2_convention_with_its_explanation(report_dir, everything):
    html = (report_dir / "report.html").read_text("utf-8")
    section = html.split('id="pooled"')[1].split("<h2")[0]
    assert "One I² in every table" in section and "τ²-based" in section
    assert "I² = " not in section.replace("the Q-based I² = ", "")  # no unlabelled I² in the table
    nausea = everything["nausea"]
    h = nausea.main.heterogeneity
    assert h.i2_tau2 == pytest.approx(0.0, abs=1e-6) and h.q > h.q_df  # τ²-based 0% where Q exceeds its df
    q_based = 100 * (h.q - h.q_df) / h.q
    assert f"I² (Q-based) = {q_based:.1f}%" in section

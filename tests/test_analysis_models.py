"""The main model as an option (``analyse(..., method=, test=)``): the rule at small k, what is recorded, the
numbers against R metafor (tests/data/metafor_reference.json, tests/r/metafor_reference.R) and hand formulas,
and the default left as it was."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import DATA
from hypothesis import given
from hypothesis import strategies as st

import fmtrials
from fmtrials import DataError
from fmtrials._vocab import POOL_METHODS, POOL_TESTS, RANDOM_METHODS
from fmtrials.analysis import COMMON_MODEL, MAIN_MODEL, Model, analyse, analyse_endpoint
from fmtrials.analysis.policy import COMMON_MAIN_MAX_K, requested_model, resolve_main_model

REF = json.loads((DATA / "metafor_reference.json").read_text("utf-8"))
CASES = {c["id"]: c["result"] for c in REF["cases"]}
SUBGROUPS = {c["id"]: c["result"] for c in REF["subgroups"]}
NUMBERS = ["k", "estimate", "ci_low", "ci_high", "p_value", "q", "i2", "tau2", "pi_low", "pi_high", "subgroup_p"]


@pytest.fixture(scope="module")
def default():
    return analyse()


@pytest.fixture(scope="module")
def dl_z():
    return analyse(method="dl", test="Z")


# ------------------------------------------------------------------------------------ numbers of a named model


def test_named_dl_z_is_metafor_dl_z_on_the_split_nausea_table(dl_z):
    """method="DL", test="z" at k = 4: metafor rma(method="DL", test="z") overall, and by dose."""
    a = dl_z["nausea"]
    assert a.main_model == Model("DL", "z") and a.model_rule == "main" and a.requested == Model("DL", "z")
    R = CASES["milnacipran_nausea_split/RR/DL/z"]
    assert a.main.k == R["k"] == 4
    assert math.log(a.main.estimate) == pytest.approx(R["beta"], rel=1e-9)
    assert math.log(a.main.ci_low) == pytest.approx(R["ci_low"], rel=1e-9)
    assert math.log(a.main.ci_high) == pytest.approx(R["ci_high"], rel=1e-9)
    assert a.main.p_value == pytest.approx(R["p_value"], rel=1e-8)
    assert a.main.heterogeneity.tau2 == pytest.approx(R["tau2"], rel=1e-9)
    S = SUBGROUPS["milnacipran_nausea_split/RR/DL/z/by_dose"]
    assert [math.log(a.main.subgroups[g].estimate) for g in S["groups"]] == pytest.approx(S["beta"], rel=1e-9)
    assert a.main.subgroup_test.p == pytest.approx(S["q_between_p"], rel=1e-8)
    # the policy's REML + HKSJ ad hoc gives another interval: the option is not ignored
    assert analyse_endpoint(None, "nausea").main.ci_low != pytest.approx(a.main.ci_low, rel=1e-3)


def test_named_model_equals_pool_on_the_same_table(dl_z):
    for ep in ("nausea", "headache", "dizziness"):
        a = dl_z[ep]
        assert len(a.pooled_table) >= 3
        ref = fmtrials.pool(a.pooled_table, measure="RR", method="DL", test="z", by=a.by, warn_shared=False)
        got = (a.main.estimate, a.main.ci_low, a.main.ci_high, a.main.p_value)
        assert got == pytest.approx((ref.estimate, ref.ci_low, ref.ci_high, ref.p_value), rel=1e-12), ep
        frame = a.to_frame()
        assert set(frame.loc[frame["model"] == "main", "rule"]) == {"main"}
        assert set(frame.loc[frame["model"] == "common", "rule"]) == {"check"}


def test_named_peto_with_odds_ratios_is_metafor_rma_peto():
    a = analyse_endpoint(None, "nausea", measure="or", method="PETO")
    R = CASES["milnacipran_nausea_split/OR/Peto/z"]
    assert a.main_model == Model("Peto", "z") and a.main.method == "Peto"
    assert math.log(a.main.estimate) == pytest.approx(R["beta"], rel=1e-9)
    assert math.log(a.main.ci_high) == pytest.approx(R["ci_high"], rel=1e-9)
    assert a.main.p_value == pytest.approx(R["p_value"], rel=1e-6)


def _iv_rr_by_hand(t):
    """Inverse-variance common-effect log risk ratio, written out (Katz variances, no zero cells here)."""
    a, n1, c, n2 = (t[k].to_numpy(float) for k in ("events_t", "n_t", "events_c", "n_c"))
    y = np.log((a / n1) / (c / n2))
    w = 1 / (1 / a - 1 / n1 + 1 / c - 1 / n2)
    b, se = (w * y).sum() / w.sum(), math.sqrt(1 / w.sum())
    return math.exp(b), math.exp(b - 1.959963984540054 * se), math.exp(b + 1.959963984540054 * se)


def test_named_common_effect_model_is_used_at_k_2_too():
    """A common-effect model named by the user replaces the small-k rule's MH at every k >= 2."""
    a = analyse_endpoint(None, "ae_any", method="IV")
    assert len(a.pooled_table) == 2 and a.main_model == Model("IV", "z") and a.model_rule == "main"
    assert (a.main.estimate, a.main.ci_low, a.main.ci_high) == pytest.approx(_iv_rr_by_hand(a.pooled_table), rel=1e-9)
    assert a.common.method == "MH" and a.main.estimate != pytest.approx(a.common.estimate, rel=1e-6)
    assert not any("small-k rule" in n for n in a.notes)


def test_named_random_effects_model_keeps_the_small_k_rule(dl_z):
    for ep, k in (("sae", 2), ("ae_any", 2), ("pain_30", 1)):
        a = dl_z[ep]
        assert len(a.pooled_table) == k and a.main_model == COMMON_MODEL and a.main.method == "MH", ep
        assert a.model_rule == ("single" if k == 1 else "small-k") and a.requested == Model("DL", "z")
    assert dl_z["sae"].main.estimate == pytest.approx(dl_z["sae"].common.estimate, rel=1e-15)


def test_leave_one_out_refits_the_named_model(dl_z):
    a = dl_z["nausea"]
    rest = a.pooled_table[a.pooled_table["study"] != "Arnold2010"]
    ref = fmtrials.pool(rest, measure="RR", method="DL", test="z", warn_shared=False)
    row = a.leave_one_out[a.leave_one_out["omitted"] == "Arnold2010"].iloc[0]
    assert (row["estimate"], row["ci_low"], row["ci_high"]) == pytest.approx(
        (ref.estimate, ref.ci_low, ref.ci_high), rel=1e-12
    )


def test_named_model_leaves_per_comparison_tables_and_sensitivity_alone(default, dl_z):
    pd.testing.assert_frame_equal(dl_z.compared, default.compared)
    pd.testing.assert_frame_equal(dl_z["nausea"].sensitivity, default["nausea"].sensitivity)


# -------------------------------------------------------------------------------------------- the default


def test_default_is_the_policy_and_equals_naming_the_policys_model(default):
    assert default.requested is None and default.origin == "bundled"
    named = analyse(method="REML", test="hksj-adhoc")
    mine, theirs = default.to_frame(), named.to_frame()
    assert mine["rule"].tolist() == theirs["rule"].tolist()
    np.testing.assert_array_equal(mine[NUMBERS].to_numpy(float), theirs[NUMBERS].to_numpy(float))
    rules = default.models().set_index("endpoint")["rule"].to_dict()
    assert rules["nausea"] == "main" and rules["sae"] == "small-k" and rules["pain_30"] == "single"
    assert default["nausea"].main_model == MAIN_MODEL and default["sae"].main_model == COMMON_MODEL
    assert set(default.models()["requested_method"]) == {""}


def test_default_numbers_are_the_reports_before_the_option(default):
    """The main model of nausea is still metafor rma(method="REML", test="adhoc") (the report's number)."""
    R = CASES["milnacipran_nausea_split/RR/REML/adhoc"]
    assert math.log(default["nausea"].main.estimate) == pytest.approx(R["beta"], rel=1e-6)
    assert math.log(default["nausea"].main.ci_low) == pytest.approx(R["ci_low"], rel=1e-5)


def test_models_frame_and_summary_record_the_choice(dl_z):
    m = dl_z.models().set_index("endpoint")
    assert m.loc["nausea", ["requested_method", "requested_test", "method", "test", "rule"]].tolist() == [
        "DL",
        "z",
        "DL",
        "z",
        "main",
    ]
    assert m.loc["sae", ["method", "rule"]].tolist() == ["MH", "small-k"]
    assert "small-k rule (k = 2)" in m.loc["sae", "reason"]
    assert "Main model requested: method='DL', test='z'" in dl_z.summary()
    assert "Requested: Random-effects model (DL τ²) (method='DL', test='z')" in dl_z["nausea"].summary()


# ---------------------------------------------------------------------------------------------- bad options


@pytest.mark.parametrize(
    ("kwargs", "column"),
    [
        ({"method": "MH", "test": "hksj"}, "test"),
        ({"method": "peto", "test": "hksj-adhoc", "measure": "OR"}, "test"),
        ({"method": "Peto"}, "method"),
        ({"method": "Peto", "measure": "RD"}, "method"),
        ({"method": "SJ"}, "method"),
        ({"test": "knapp"}, "test"),  # metafor's "knha" is an alias of "hksj" (tests/test_vocabulary.py)
        ({"method": "MH", "test": "knha"}, "test"),  # the alias is checked like the name it stands for
        ({"method": 3}, "method"),
    ],
)
def test_incompatible_or_unknown_options_are_refused_by_name(kwargs, column):
    for call in (lambda: analyse(**kwargs), lambda: analyse_endpoint(None, "nausea", **kwargs)):
        with pytest.raises(DataError) as info:
            call()
        assert info.value.problems[0].column == column


def test_method_alone_gets_its_kinds_test_and_test_alone_the_policys_method():
    assert requested_model("pm", None, "RR") == Model("PM", "hksj-adhoc")
    assert requested_model("iv", None, "RR") == Model("IV", "z")
    assert requested_model("IV", "hksj", "RR") == Model("IV", "hksj")
    assert requested_model(None, "hksj", "RR") == Model("REML", "hksj")
    assert requested_model(None, None, "OR") is None


@given(
    k=st.integers(1, 50),
    method=st.sampled_from(POOL_METHODS),
    test=st.sampled_from(POOL_TESTS),
    named=st.booleans(),
)
def test_resolve_main_model_rule(k, method, test, named):
    """Invariants of the rule: k = 1 is "single"; a random-effects model is never the main model at k <= 2;
    a named common-effect model is always used; k >= 3 always uses the chosen model."""
    requested = Model(method, test) if named else None
    model, rule = resolve_main_model(k, requested)
    chosen = requested or MAIN_MODEL
    assert (rule == "single") == (k == 1)
    if k <= COMMON_MAIN_MAX_K:
        assert model.method not in RANDOM_METHODS
    if chosen.method not in RANDOM_METHODS or k > COMMON_MAIN_MAX_K:
        assert model == chosen and rule in ("main", "single")
    else:
        assert model == COMMON_MODEL and rule in ("small-k", "single")


# ------------------------------------------------------------------------------- summary prints MH once (k <= 2)


def test_summary_prints_the_mh_rows_once_when_main_and_check_are_one_model(default):
    text = default["ae_any"].summary()
    assert text.count("Common-effect model (Mantel–Haenszel)") == 1
    assert text.count("overall: k = 2") == 1
    assert "Main and check: Common-effect model (Mantel–Haenszel)" in text and "\nCheck:" not in text
    nausea = default["nausea"].summary()  # k = 4: two models, two blocks
    assert "\nMain: Random-effects model (REML τ², HKSJ ad hoc)" in nausea and "\nCheck: Common-effect" in nausea
    assert nausea.count("all doses: k = 4") == 2
    iv = analyse_endpoint(None, "ae_any", method="IV").summary()  # IV main, MH check: two blocks
    assert "\nMain: Common-effect model (inverse variance)" in iv and "\nCheck: Common-effect model (Mantel" in iv


def test_one_comparison_with_a_named_common_effect_model_is_that_trials_estimate_without_an_mh_note():
    a = analyse_endpoint(None, "composite_3", method="IV")
    assert a.model_rule == "single" and a.main_model == Model("IV", "z") and a.main.method == "IV"
    # Arnold 2010 registry: 103/516 vs 56/509 (hand arithmetic), Katz interval
    rr, se = (103 / 516) / (56 / 509), math.sqrt(1 / 103 - 1 / 516 + 1 / 56 - 1 / 509)
    assert (a.main.estimate, a.main.ci_low) == pytest.approx((rr, rr * math.exp(-1.959963984540054 * se)), rel=1e-9)
    assert not any("Mantel–Haenszel" in n for n in a.notes)
    assert "k = 1: the trial's own estimate" in a.summary()


def test_notebook_view_shows_the_one_model_once_and_why(default):
    page = default["ae_any"]._repr_html_()
    assert page.count("<td>main and check</td>") == 1 and "<td>common</td>" not in page
    assert "Main model: small-k rule (k = 2)" in page
    nausea = default["nausea"]._repr_html_()
    assert nausea.count("<td>common</td>") == 3 and "Main model: the policy&#x27;s main model" in nausea

"""fmtrials.meta: edge cases, conventions, shared placebo arms, the milnacipran counts and invariants.

Numerical agreement with R metafor is in test_meta_metafor.py.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fmtrials
from fmtrials import meta

REF = json.loads((Path(__file__).parent / "data" / "metafor_reference.json").read_text())
NAUSEA = pd.DataFrame(REF["datasets"]["milnacipran_nausea"])


def _table(rows, **extra):
    df = pd.DataFrame(rows, columns=["events_t", "n_t", "events_c", "n_c"])
    df.insert(0, "study", [f"S{i + 1}" for i in range(len(df))])
    for k, v in extra.items():
        df[k] = v
    return df


# --------------------------------------------------------------------------- literal counts vs bundled data
@pytest.mark.parametrize(
    "dataset", [d for d in REF["datasets"] if d.startswith("milnacipran_") and not d.endswith("_split")]
)
def test_r_script_counts_equal_bundled_contrasts(dataset):
    """The counts typed into tests/r/metafor_reference.R must equal fmtrials.contrasts() on the bundled data."""
    endpoint = dataset.removeprefix("milnacipran_")
    c = fmtrials.contrasts(endpoint=endpoint)
    ours = {
        (r.study, int(r.dose_mg_day)): (int(r.events_t), int(r.n_t), int(r.events_c), int(r.n_c))
        for r in c.itertuples()
    }
    lit = pd.DataFrame(REF["datasets"][dataset])
    theirs = {(r.study, int(r.dose_mg_day)): (r.events_t, r.n_t, r.events_c, r.n_c) for r in lit.itertuples()}
    assert ours == theirs


def test_split_dataset_matches_split_shared_placebo():
    c = fmtrials.contrasts(endpoint="nausea")
    s = fmtrials.split_shared_placebo(c)
    lit = pd.DataFrame(REF["datasets"]["milnacipran_nausea_split"])
    assert s["events_c"].astype(int).tolist() == lit["events_c"].tolist()
    assert s["n_c"].astype(int).tolist() == lit["n_c"].tolist()


# ---------------------------------------------------------------------------------------- result contract
def test_result_contract_fields_and_frame():
    r = fmtrials.pool(NAUSEA.iloc[[0, 2, 3]], measure="RR", method="DL")
    for name in [
        "measure",
        "method",
        "model",
        "test",
        "k",
        "alpha",
        "estimate",
        "ci_low",
        "ci_high",
        "p_value",
        "beta",
        "se",
        "statistic",
        "stat_dist",
        "df",
        "tau2_method",
        "by",
        "zero_cell",
        "corrected",
        "excluded",
        "notes",
        "heterogeneity",
        "prediction",
        "subgroups",
        "subgroup_test",
        "studies",
    ]:
        assert hasattr(r, name), name
    assert r.test == "z" and np.isfinite(r.heterogeneity.i2_tau2) and r.heterogeneity.estimable
    assert r.prediction.method == "hts" and r.subgroup_test is None
    f = r.to_frame()
    assert list(f.columns[:7]) == ["study", "label", "events_t", "n_t", "events_c", "n_c", "yi"]
    assert {"vi", "estimate", "ci_low", "ci_high", "weight"} <= set(f.columns)
    assert f["weight"].sum() == pytest.approx(100)
    assert r.model == "random" and r.tau2_method == "DL" and r.by is None and dict(r.subgroups) == {}
    with pytest.raises(AttributeError):
        r.k = 5  # frozen
    with pytest.raises(AttributeError):
        r.heterogeneity.q = 0.0
    with pytest.raises(TypeError):
        r.subgroups["x"] = r  # read-only mapping
    assert "Random-effects model" in r.summary() and "<table>" in r._repr_html_()
    lo, hi = r.conf_int()
    assert (lo, hi) == pytest.approx((r.ci_low, r.ci_high))
    lo90, hi90 = r.conf_int(0.10)
    assert r.ci_low < lo90 < r.estimate < hi90 < r.ci_high


def test_ratio_scale_and_log_scale_consistent():
    r = fmtrials.pool(NAUSEA, measure="OR", method="IV", warn_shared=False)
    assert r.estimate == pytest.approx(np.exp(r.beta))
    assert r.statistic == pytest.approx(r.beta / r.se)
    assert np.log(r.ci_high) - r.beta == pytest.approx(1.959963984540054 * r.se)


# ------------------------------------------------------------------------------------------- edge cases
def test_k1_is_the_study_effect_and_says_so():
    t = NAUSEA.iloc[[2]]
    r = fmtrials.pool(t, measure="RR", method="REML")
    a, n1, c, n2 = 189, 516, 106, 509
    assert r.k == 1
    assert r.beta == pytest.approx(np.log((a / n1) / (c / n2)))
    assert r.se == pytest.approx(np.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2))
    h = r.heterogeneity
    assert not h.estimable and h.q_df == 0 and np.isnan(h.q) and np.isnan(h.q_p) and np.isnan(h.i2)
    assert np.isnan(h.h2) and np.isnan(r.prediction.pi_low) and np.isnan(h.tau2_ci_low)
    assert any("k = 1" in n for n in r.notes)
    assert "not estimable with one study" in r.summary()
    m = fmtrials.pool(t, measure="RR", method="MH")
    assert m.beta == pytest.approx(r.beta)


def test_all_double_zero_is_a_clear_error_for_ratios_but_pooled_for_rd():
    t = _table([[0, 10, 0, 12], [0, 20, 0, 19]])
    for measure, method in [("RR", "MH"), ("OR", "DL"), ("OR", "Peto")]:
        with pytest.raises(fmtrials.DataError, match="nothing to pool"):
            fmtrials.pool(t, measure=measure, method=method)
    r = fmtrials.pool(t, measure="RD", method="MH")
    assert r.k == 2 and r.beta == 0.0


def test_double_zero_excluded_and_zero_cell_corrected():
    t = _table([[0, 10, 0, 12], [0, 20, 3, 19], [5, 30, 9, 31]])
    r = fmtrials.pool(t, measure="RR", method="IV")
    assert r.excluded == ("S1",) and r.corrected == ("S2",) and r.k == 2
    f = r.to_frame()
    assert f["weight"].iloc[0] == 0 and not f["included"].iloc[0]
    # corrected study: 0.5 added to all four cells (a=0.5, n1=21, c=3.5, n2=20)
    assert f["yi"].iloc[1] == pytest.approx(np.log((0.5 / 21) / (3.5 / 20)))
    rd = fmtrials.pool(t, measure="RD", method="IV")
    assert rd.excluded == () and rd.k == 3 and "S1" in rd.corrected
    assert "excluded" in r.zero_cell and "kept" in rd.zero_cell


def test_reml_fisher_scoring_cut_short_still_finds_the_maximum():
    # two Fisher scoring iterations are not enough for the BCG data: the safeguarded search on [0, U] takes over
    # and gives metafor's REML tau² (not DL's, no error)
    t = pd.DataFrame(REF["datasets"]["bcg"])
    r = fmtrials.pool(t, measure="RR", method="REML", maxiter=2)
    full = fmtrials.pool(t, measure="RR", method="REML")
    assert r.tau2_method == "REML" and not any("did not converge" in n for n in r.notes)
    assert r.heterogeneity.tau2 == pytest.approx(full.heterogeneity.tau2, rel=1e-9)
    assert r.heterogeneity.tau2 != pytest.approx(fmtrials.pool(t, measure="RR", method="DL").heterogeneity.tau2)


def test_reml_search_failure_is_an_error_or_an_announced_fallback(monkeypatch):
    def boom(*args, **kwargs):
        raise meta.ConvergenceError("REML: no maximum")

    monkeypatch.setattr(meta._core, "reml_search", boom)
    t = pd.DataFrame(REF["datasets"]["bcg"])
    with pytest.raises(meta.ConvergenceError, match="no maximum"):
        fmtrials.pool(t, measure="RR", method="REML", maxiter=2)
    r = fmtrials.pool(t, measure="RR", method="REML", maxiter=2, on_nonconvergence="DL")
    dl = fmtrials.pool(t, measure="RR", method="DL")
    assert r.tau2_method == "DL" and r.method == "REML"
    assert r.heterogeneity.tau2 == pytest.approx(dl.heterogeneity.tau2)
    assert any("REML did not converge" in n for n in r.notes)


def test_subgroup_with_one_study():
    with warnings.catch_warnings():
        warnings.simplefilter("error", meta.SharedPlaceboWarning)  # one comparison per placebo per subgroup
        r = fmtrials.pool(fmtrials.contrasts(endpoint="nausea"), measure="RR", method="DL", by="dose_mg_day")
    assert set(r.subgroups) == {100, 200}
    one = r.subgroups[200]
    assert one.k == 1 and np.isnan(one.heterogeneity.i2) and not one.heterogeneity.estimable
    assert one.beta == pytest.approx(np.log((177 / 441) / (47 / 223)))
    assert r.subgroup_test.df == 1 and np.isfinite(r.subgroup_test.p)
    assert "dose_mg_day" in r.studies.columns
    assert any("overall total counts shared placebo" in n for n in r.notes)
    assert "Test for subgroup differences" in r.summary()


def test_hksj_k2_and_pi_needs_three():
    r = fmtrials.pool(NAUSEA.iloc[[2, 3]], measure="RR", method="DL", test="hksj")
    assert r.stat_dist == "t" and r.df == 1 and r.test == "hksj"
    assert np.isnan(r.prediction.pi_low) and r.prediction.dist == "t(k-2)"
    z = fmtrials.pool(NAUSEA.iloc[[2, 3]], measure="RR", method="DL", pi_method="metafor")
    assert np.isfinite(z.prediction.pi_low) and z.prediction.dist == "z" and z.prediction.method == "metafor"
    one = fmtrials.pool(NAUSEA.iloc[[2]], measure="RR", method="DL", test="hksj")
    assert one.test == "z" and one.stat_dist == "z" and any("HKSJ needs k >= 2" in n for n in one.notes)


def test_hksj_truncation_option_never_narrower():
    t = pd.DataFrame(REF["datasets"]["milnacipran_headache"]).iloc[[0, 2, 3]]
    plain = fmtrials.pool(t, measure="RR", method="DL")
    kh = fmtrials.pool(t, measure="RR", method="DL", test="hksj")
    adhoc = fmtrials.pool(t, measure="RR", method="DL", test="HKSJ-adhoc")
    assert adhoc.se >= plain.se - 1e-15 and adhoc.se >= kh.se - 1e-15
    assert adhoc.test == "hksj-adhoc" and kh.test == "hksj"


def test_common_effect_models_have_no_tau2_ci_or_pi():
    r = fmtrials.pool(NAUSEA.iloc[[0, 2, 3]], measure="OR", method="Peto")
    assert r.model == "common" and r.heterogeneity.tau2 == 0 and r.tau2_method is None
    assert np.isnan(r.heterogeneity.i2_tau2) and np.isnan(r.heterogeneity.i2_tau2_ci_low)
    assert np.isnan(r.prediction.pi_low) and np.isnan(r.heterogeneity.tau2_ci_low) and r.prediction.dist == "none"


@pytest.mark.parametrize(
    "kwargs,column",
    [
        (dict(measure="HR"), "measure"),
        (dict(method="GLMM"), "method"),
        (dict(alpha=1.5), "alpha"),
        (dict(method="Peto", measure="RR"), "measure"),
        (dict(method="MH", test="hksj"), "test"),
        (dict(test="knha-adhoc"), "test"),
        (dict(by="nope"), "by"),
        (dict(pi_method="exact"), "pi_method"),
        (dict(maxiter=0), "maxiter"),
        (dict(on_nonconvergence="PM"), "on_nonconvergence"),
    ],
)
def test_bad_arguments_raise_data_error(kwargs, column):
    with pytest.raises(fmtrials.DataError) as err:
        fmtrials.pool(NAUSEA.iloc[[2, 3]], **kwargs)
    assert err.value.problems[0].column == column


def test_bad_counts_name_column_and_row():
    t = _table([[5, 10, 3, 12], [12, 10, 3, 12]])
    with pytest.raises(fmtrials.DataError) as err:
        fmtrials.pool(t)
    p = err.value.problems[0]  # the second data row, numbered as compare() numbers it
    assert p.column == "events_t" and p.row == 2 and p.file == "<DataFrame>"
    with pytest.raises(fmtrials.DataError) as err2:
        fmtrials.compare(t)
    assert (err2.value.problems[0].row, err2.value.problems[0].column) == (p.row, p.column)
    with pytest.raises(fmtrials.DataError, match="missing column"):
        fmtrials.pool(t.drop(columns="n_c"))
    with pytest.raises(fmtrials.DataError, match="no rows"):
        fmtrials.pool(t.iloc[:0])
    with pytest.raises(fmtrials.DataError):
        fmtrials.pool([[1, 2, 3, 4]])


# ------------------------------------------------------------------------------------------ shared placebo
def test_shared_placebo_warns_when_double_counted():
    c = fmtrials.contrasts(endpoint="nausea")
    with pytest.warns(meta.SharedPlaceboWarning, match="Mease2009:placebo"):
        r = fmtrials.pool(c, measure="RR", method="MH")
    assert any("counted more than once" in n for n in r.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", meta.SharedPlaceboWarning)
        fmtrials.pool(fmtrials.split_shared_placebo(c), measure="RR", method="MH")
        fmtrials.pool(c, measure="RR", method="MH", by="dose_mg_day")


def test_split_shared_placebo_rule():
    t = pd.DataFrame(
        {
            "study": ["A", "A", "A", "B"],
            "events_t": [5, 6, 7, 8],
            "n_t": [50, 50, 50, 40],
            "events_c": [10, 10, 10, 4],
            "n_c": [41, 41, 41, 40],
            "placebo_id": ["A:p", "A:p", "A:p", "B:p"],
        }
    )
    s = fmtrials.split_shared_placebo(t)
    assert s["events_c"].tolist() == [4, 3, 3, 4] and s["n_c"].tolist() == [14, 14, 13, 40]
    assert s["placebo_split"].tolist() == [3, 3, 3, 1]
    assert s["placebo_id"].is_unique and not s["shared_placebo"].any()
    assert s["events_c"].iloc[:3].sum() == 10 and s["n_c"].iloc[:3].sum() == 41
    bad = t.copy()
    bad.loc[1, "n_c"] = 40
    with pytest.raises(fmtrials.DataError, match="disagree"):
        fmtrials.split_shared_placebo(bad)
    with pytest.raises(fmtrials.DataError, match="placebo_id"):
        fmtrials.split_shared_placebo(t.drop(columns="placebo_id"))


# ---------------------------------------------------------------------------- leave-one-out and cumulative
def test_leave_one_out_and_cumulative_frames():
    t = pd.DataFrame(REF["datasets"]["hine1989"])
    l1 = fmtrials.leave_one_out(t, measure="RR", method="DL")
    assert l1["k"].dtype == np.int64
    assert list(l1["omitted"]) == list(t["study"]) and (l1["k"] == len(t) - 1).all()
    full = fmtrials.pool(t, measure="RR", method="DL")
    cu = fmtrials.cumulative(t, order_by="year", measure="RR", method="DL")
    assert cu["k"].tolist() == list(range(1, len(t) + 1))
    assert cu["beta"].iloc[-1] == pytest.approx(full.beta)
    with pytest.raises(fmtrials.DataError, match="order_by"):
        fmtrials.cumulative(t, order_by="nope")


# ----------------------------------------------------------------------------------- property-based tests
arm = st.tuples(st.integers(1, 200), st.integers(0, 200)).map(lambda x: (min(x[1], x[0]), x[0]))
tables = st.lists(st.tuples(arm, arm).map(lambda p: [p[0][0], p[0][1], p[1][0], p[1][1]]), min_size=2, max_size=8)


@settings(max_examples=40, deadline=None)
@given(
    rows=tables, measure=st.sampled_from(["RR", "OR", "RD"]), method=st.sampled_from(["MH", "IV", "DL", "REML", "PM"])
)
def test_invariants(rows, measure, method):
    t = _table(rows)
    try:
        r = fmtrials.pool(t, measure=measure, method=method)
    except fmtrials.DataError:
        assume_all_dz = all((a == 0 and c == 0) or (a == n1 and c == n2) for a, n1, c, n2 in rows)
        assert assume_all_dz and measure != "RD"
        return
    w = r.studies["weight"]
    if np.isfinite(r.beta) and w.notna().all() and w.sum() > 0:
        assert w.sum() == pytest.approx(100)
        assert (w >= 0).all()
    if np.isfinite(r.beta):
        assert r.ci_low <= r.estimate <= r.ci_high
        assert r.heterogeneity.tau2 >= 0
        assert 0 <= r.p_value <= 1 if r.se > 0 else any("standard error" in n for n in r.notes)
        if method == "PM" and r.k >= 2:  # Q_gen(tau2_PM) = k-1 lies inside the chi2 quantiles
            h = r.heterogeneity
            assert h.tau2_ci_low <= h.tau2 + 1e-9 and h.tau2 <= h.tau2_ci_high + 1e-9
        # permuting studies does not change the pooled result
        p = fmtrials.pool(t.iloc[::-1], measure=measure, method=method)
        assert p.beta == pytest.approx(r.beta, rel=1e-7, abs=1e-9)
        assert p.heterogeneity.q == pytest.approx(r.heterogeneity.q, rel=1e-7, abs=1e-9, nan_ok=True)


@settings(max_examples=25, deadline=None)
@given(rows=tables, measure=st.sampled_from(["RR", "OR", "RD"]), method=st.sampled_from(["MH", "IV", "DL"]))
def test_swapping_arms_negates_the_effect(rows, measure, method):
    t = _table(rows)
    s = t.rename(columns={"events_t": "events_c", "n_t": "n_c", "events_c": "events_t", "n_c": "n_t"})
    all_dz = all((a == 0 and c == 0) or (a == n1 and c == n2) for a, n1, c, n2 in rows)
    # rma.mh keeps all-event tables in the MH risk-ratio sums: with one of them the MH RR is 1 (log RR 0)
    mh_rr_defined = method == "MH" and measure == "RR" and any(a == n1 and c == n2 for a, n1, c, n2 in rows)
    if all_dz and measure != "RD" and not mh_rr_defined:  # the refusal: no estimable study, in either orientation
        for table in (t, s):
            with pytest.raises(fmtrials.DataError, match="estimable|double"):
                fmtrials.pool(table, measure=measure, method=method)
        return
    r = fmtrials.pool(t, measure=measure, method=method)
    q = fmtrials.pool(s, measure=measure, method=method)
    if np.isfinite(r.beta):
        assert q.beta == pytest.approx(-r.beta, rel=1e-7, abs=1e-9)
        assert q.se == pytest.approx(r.se, rel=1e-7, nan_ok=True)


def test_subgroup_difference_uses_conventional_standard_errors_under_hksj():
    """Issue 13: the test for subgroup differences never uses HKSJ-shrunk subgroup errors (RevMan's Q between on
    the subgroups' z standard errors; the metafor fixture's knha cases are generated the same way)."""
    t = fmtrials.split_shared_placebo(fmtrials.contrasts(endpoint="nausea"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z = fmtrials.pool(t, measure="RR", method="DL", test="z", by="dose_mg_day")
        for test in ("hksj", "hksj-adhoc"):
            h = fmtrials.pool(t, measure="RR", method="DL", test=test, by="dose_mg_day")
            assert h.subgroup_test == z.subgroup_test
            assert [r.se for r in h.subgroups.values()] != [r.se for r in z.subgroups.values()]
            assert any("conventional (z) standard errors" in n for n in h.notes)
    assert not any("conventional (z)" in n for n in z.notes)

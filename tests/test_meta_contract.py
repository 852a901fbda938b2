"""The PoolResult contract: summary_frame, to_dict, conf_int, heterogeneity that is not estimable, shared
placebo arms recorded once, and the vectorised leave-one-out / cumulative analyses against a refit."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import fmtrials
from fmtrials import meta

REF = json.loads((Path(__file__).parent / "data" / "metafor_reference.json").read_text())
DATASETS = {name: pd.DataFrame(cols) for name, cols in REF["datasets"].items()}
TEST = {"z": "z", "knha": "hksj", "adhoc": "hksj-adhoc"}


def _table(rows, **extra):
    df = pd.DataFrame(rows, columns=["events_t", "n_t", "events_c", "n_c"])
    df.insert(0, "study", [f"S{i + 1}" for i in range(len(df))])
    for k, v in extra.items():
        df[k] = v
    return df


def _quiet_pool(t, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", meta.SharedPlaceboWarning)
        return fmtrials.pool(t, **kw)


# --------------------------------------------------------------------------------- the API's shape
def test_options_keyword_only_and_case_insensitive():
    t = DATASETS["bcg"]
    with pytest.raises(TypeError):
        fmtrials.pool(t, "RR")  # options are keyword-only
    a = fmtrials.pool(t, measure="rr", method="reml", test="HKSJ", pi_method="METAFOR")
    b = fmtrials.pool(t, measure="RR", method="REML", test="hksj", pi_method="metafor")
    assert (a.measure, a.method, a.test, a.prediction.method) == ("RR", "REML", "hksj", "metafor")
    assert a.beta == b.beta and a.se == b.se


# ----------------------------------------------------------------------- heterogeneity not estimable
@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_mh_heterogeneity_not_estimable_without_control_events(measure):
    """No events in any placebo arm: the MH estimate and so Q are undefined; never 'Q = 0, p = 1, I² = 0%'."""
    t = _table([[3, 20, 0, 20], [5, 30, 0, 31], [2, 15, 0, 14]])
    r = fmtrials.pool(t, measure=measure, method="MH")
    h = r.heterogeneity
    assert np.isnan(r.beta) and not h.estimable
    assert np.isnan(h.q) and np.isnan(h.q_p) and np.isnan(h.i2) and np.isnan(h.h2)
    assert any("not estimable" in n for n in r.notes)
    text = r.summary()
    assert "not estimable" in text and "Q(2) = 0.00" not in text and "I² = 0.0%" not in text
    total = r.summary_frame().iloc[-1]
    assert np.isnan(total["q"]) and np.isnan(total["i2"])
    loo = fmtrials.leave_one_out(t, measure=measure, method="MH")
    assert loo["q"].isna().all() and loo["i2"].isna().all() and (loo["k"] == 2).all()
    # the same counts pooled by inverse variance (0.5 correction) are estimable
    iv = fmtrials.pool(t, measure=measure, method="IV")
    assert iv.heterogeneity.estimable and np.isfinite(iv.heterogeneity.q)


# ------------------------------------------------------------------------------------- summary_frame
def test_summary_frame_rows_equal_studies_subgroups_and_total():
    c = fmtrials.split_shared_placebo(fmtrials.contrasts(endpoint="nausea"))
    r = fmtrials.pool(c, measure="RR", method="REML", test="hksj-adhoc", by="dose_mg_day")
    f = r.summary_frame()
    assert list(f.columns) == [
        "row_type",
        "group",
        "label",
        "events_t",
        "n_t",
        "events_c",
        "n_c",
        "estimate",
        "ci_low",
        "ci_high",
        "weight",
        "k",
        "included",
        "p_value",
        "q",
        "q_df",
        "q_p",
        "i2",
        "tau2",
        "pi_low",
        "pi_high",
    ]
    # order: per subgroup its studies then its subtotal, then the total
    expected = []
    for g in r.subgroups:
        expected += ["study"] * int((r.studies["dose_mg_day"] == g).sum()) + ["subtotal"]
    assert f["row_type"].tolist() == expected + ["total"]
    st = f[f["row_type"] == "study"]
    s = r.studies.set_index("label").loc[st["label"]]
    for col in ["events_t", "n_t", "events_c", "n_c", "estimate", "ci_low", "ci_high", "weight", "included"]:
        np.testing.assert_array_equal(st[col].to_numpy(), s[col].to_numpy(), err_msg=col)
    assert st["group"].tolist() == s["dose_mg_day"].tolist()
    assert st[["q", "i2", "tau2", "pi_low"]].isna().all().all()
    for g, sub in r.subgroups.items():
        row = f[(f["row_type"] == "subtotal") & (f["group"] == g)].iloc[0]
        assert (row["estimate"], row["ci_low"], row["ci_high"], row["p_value"], row["k"]) == (
            sub.estimate,
            sub.ci_low,
            sub.ci_high,
            sub.p_value,
            sub.k,
        )
        mine = r.studies[r.studies["dose_mg_day"] == g]
        assert row["events_t"] == mine["events_t"].sum() and row["n_c"] == mine["n_c"].sum()
        assert row["weight"] == pytest.approx(mine["weight"].sum())
        np.testing.assert_equal(
            [row["tau2"], row["pi_high"], row["q"]],
            [sub.heterogeneity.tau2, sub.prediction.pi_high, sub.heterogeneity.q],
        )
    tot = f.iloc[-1]
    assert tot["group"] is None and tot["weight"] == 100 and tot["k"] == r.k
    assert (tot["estimate"], tot["ci_low"], tot["ci_high"], tot["p_value"]) == (
        r.estimate,
        r.ci_low,
        r.ci_high,
        r.p_value,
    )
    h = r.heterogeneity
    assert (tot["q"], tot["q_df"], tot["q_p"], tot["i2"], tot["tau2"]) == (h.q, h.q_df, h.q_p, h.i2, h.tau2)
    assert (tot["pi_low"], tot["pi_high"]) == (r.prediction.pi_low, r.prediction.pi_high)
    assert tot["events_t"] == c["events_t"].sum() and tot["n_c"] == c["n_c"].sum()
    assert tot["label"] == "Random-effects model (REML τ², HKSJ ad hoc)"
    html = r._repr_html_()
    assert html.count("<tr") == len(f) + 1 and "Subtotal" in html


def test_summary_frame_without_by_and_excluded_study():
    t = _table([[0, 10, 0, 12], [0, 20, 3, 19], [5, 30, 9, 31]])
    r = fmtrials.pool(t, measure="RR", method="IV")
    f = r.summary_frame()
    assert f["row_type"].tolist() == ["study", "study", "study", "total"]
    assert f["group"].isna().all()
    assert f["included"].tolist() == [False, True, True, True] and f["k"].tolist() == [0, 1, 1, 2]
    assert f.iloc[-1]["events_t"] == 5 and f.iloc[-1]["n_t"] == 50  # excluded double-zero not summed


# -------------------------------------------------------------------------------------------- to_dict
def test_to_dict_is_json_and_records_every_choice():
    c = fmtrials.split_shared_placebo(fmtrials.contrasts(endpoint="nausea"))
    r = fmtrials.pool(c, measure="OR", method="PM", test="hksj", by="dose_mg_day", alpha=0.1)
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert (d["measure"], d["method"], d["test"], d["tau2_method"], d["alpha"], d["by"], d["model"]) == (
        "OR",
        "PM",
        "hksj",
        "PM",
        0.1,
        "dose_mg_day",
        "random",
    )
    assert d["prediction"]["method"] == "hts" and d["prediction"]["dist"] == "t(k-2)"
    assert d["heterogeneity"]["q"] == r.heterogeneity.q and d["heterogeneity"]["estimable"] is True
    assert d["subgroup_test"] == {"q": r.subgroup_test.q, "df": r.subgroup_test.df, "p": r.subgroup_test.p}
    assert set(d["subgroups"]) == {"100", "200"}
    one = d["subgroups"]["200"]  # one study: heterogeneity NaN -> None
    assert one["k"] == 1 and one["heterogeneity"]["q"] is None and one["heterogeneity"]["estimable"] is False
    assert len(d["studies"]) == len(c) and d["studies"][0]["label"] == r.studies["label"].iloc[0]
    assert d["beta"] == r.beta and d["df"] == r.df and d["notes"] == list(r.notes)


# ------------------------------------------------------------------------------------------- conf_int
@pytest.mark.parametrize("case_id", ["bcg/RR/DL/z", "bcg/RR/REML/knha", "bcg/OR/MH/z"])
def test_conf_int_at_90_percent_from_metafor_beta_and_se(case_id):
    case = next(c for c in REF["cases"] if c["id"] == case_id)
    R = case["result"]
    r = fmtrials.pool(
        DATASETS[case["dataset"]], measure=case["measure"], method=case["method"], test=TEST[case["test"]]
    )
    crit = stats.norm.ppf(0.95) if R.get("df") is None else stats.t.ppf(0.95, R["df"])
    lo, hi = r.conf_int(alpha=0.10)
    rt = 1e-5 if case["method"] == "REML" else 1e-6
    assert np.log(lo) == pytest.approx(R["beta"] - crit * R["se"], rel=rt)
    assert np.log(hi) == pytest.approx(R["beta"] + crit * R["se"], rel=rt)
    assert r.conf_int() == pytest.approx((r.ci_low, r.ci_high), rel=1e-14)


# ------------------------------------------------------------------------------------- shared placebo
def test_shared_placebo_recorded_once_in_total_and_subgroup_paths():
    c = fmtrials.contrasts(endpoint="nausea")
    with pytest.warns(meta.SharedPlaceboWarning) as rec:
        r = fmtrials.pool(c, measure="RR", method="MH")
    assert len(rec) == 1
    assert sum("counted more than once" in n for n in r.notes) == 1
    # both doses in one subgroup: the subgroup records it once, the total gets its own single note
    t = c.assign(grp="all")
    with pytest.warns(meta.SharedPlaceboWarning) as rec:
        r = fmtrials.pool(t, measure="RR", method="MH", by="grp")
    assert len(rec) == 1
    sub = r.subgroups["all"]
    assert sum("counted more than once" in n for n in sub.notes) == 1
    assert sum("overall total counts shared placebo" in n for n in r.notes) == 1
    assert not any("counted more than once" in n for n in r.notes)
    again = fmtrials.pool(t, measure="RR", method="MH", by="grp", warn_shared=False)
    assert again.subgroups["all"].notes == sub.notes  # nothing is added after construction


# --------------------------------------------------------------- vectorised sensitivity == refit
def _random_table(rng, k):
    n_t, n_c = rng.integers(5, 300, k), rng.integers(5, 300, k)
    p = rng.uniform(0.0, 0.6, k)
    e_t = rng.binomial(n_t, np.minimum(1, p * rng.uniform(0.5, 2.0, k)))
    e_c = rng.binomial(n_c, p)
    e_t[:2], e_c[:2] = 0, [0, 4]  # a double-zero study and a zero cell
    return pd.DataFrame(
        {
            "study": [f"T{i}" for i in range(k)],
            "year": rng.integers(1990, 2020, k),
            "events_t": e_t,
            "n_t": n_t,
            "events_c": e_c,
            "n_c": n_c,
        }
    )


def _refit_row(sub, kw):
    try:
        r = fmtrials.pool(sub, **kw)
    except fmtrials.DataError:
        return None
    h, p = r.heterogeneity, r.prediction
    return [
        r.k,
        r.estimate,
        r.ci_low,
        r.ci_high,
        r.beta,
        r.se,
        r.statistic,
        r.p_value,
        h.q,
        h.q_p,
        h.i2,
        h.tau2,
        p.pi_low,
        p.pi_high,
    ]


COLS = [
    "k",
    "estimate",
    "ci_low",
    "ci_high",
    "beta",
    "se",
    "statistic",
    "p_value",
    "q",
    "q_p",
    "i2",
    "tau2",
    "pi_low",
    "pi_high",
]
FAST = [
    ("RR", "MH", "z", "hts"),
    ("OR", "MH", "z", "hts"),
    ("RD", "MH", "z", "hts"),
    ("OR", "Peto", "z", "hts"),
    ("RR", "IV", "hksj", "hts"),
    ("RD", "IV", "z", "metafor"),
    ("RR", "DL", "z", "hts"),
    ("OR", "DL", "hksj", "metafor"),
    ("RR", "DL", "hksj-adhoc", "metafor"),
    ("RD", "DL", "z", "metafor"),
    ("RR", "REML", "hksj", "hts"),
]


@pytest.mark.parametrize("measure,method,test,pi", FAST)
@pytest.mark.parametrize("seed", [1, 2])
def test_leave_one_out_and_cumulative_equal_the_refit(measure, method, test, pi, seed):
    t = _random_table(np.random.default_rng(seed), 14)
    kw = dict(measure=measure, method=method, test=test, pi_method=pi, alpha=0.1)
    l1 = fmtrials.leave_one_out(t, **kw)
    cu = fmtrials.cumulative(t, order_by="year", **kw)
    order = t.sort_values("year", kind="stable").index
    for frame, subsets in (
        (l1, [t.drop(index=i) for i in t.index]),
        (cu, [t.loc[order[: i + 1]] for i in range(len(t))]),
    ):
        for i, sub in enumerate(subsets):
            want = _refit_row(sub, kw)
            got = frame[COLS].iloc[i].to_numpy(dtype=float)
            if want is None:
                assert got[0] == 0 and np.isnan(got[1:]).all()
                continue
            np.testing.assert_allclose(
                got, np.array(want, dtype=float), rtol=1e-10, atol=1e-13, equal_nan=True, err_msg=f"{method} row {i}"
            )
    assert l1["omitted"].tolist() == t["study"].tolist()
    assert cu["added"].tolist() == t.loc[order, "study"].tolist()


def test_leave_one_out_large_k_is_vectorised():
    t = _random_table(np.random.default_rng(7), 3000)
    l1 = fmtrials.leave_one_out(t, measure="RR", method="DL", test="hksj")
    dz = ((t["events_t"] == 0) & (t["events_c"] == 0)).to_numpy()  # double-zero studies are excluded
    assert len(l1) == 3000 and (l1["k"].to_numpy() == np.where(dz, 3000, 2999) - dz.sum()).all()
    for i in (5, 1234, 2999):
        want = _refit_row(t.drop(index=i), dict(measure="RR", method="DL", test="hksj"))
        np.testing.assert_allclose(l1[COLS].iloc[i].to_numpy(dtype=float), want, rtol=1e-10, atol=1e-13)


def test_result_pickles_with_its_subgroups():
    import pickle

    c = fmtrials.split_shared_placebo(fmtrials.contrasts(endpoint="nausea"))
    r = fmtrials.pool(c, measure="RR", method="DL", by="dose_mg_day")
    back = pickle.loads(pickle.dumps(r))
    assert back.to_dict() == r.to_dict() and list(back.subgroups) == [100, 200]

"""Tests for fmtrials.plots: structure, printed numbers, determinism, global state and image baselines.

Image baselines live in ``tests/baseline/*.png`` (80 dpi). Regenerate them after an intended visual change with

    python tests/test_plots.py --regenerate

(or ``FMTRIALS_REGENERATE_BASELINES=1 python -m pytest tests/test_plots.py``; that run writes the baselines and
FAILS on purpose, so a regenerating run never counts as a pass), look at every PNG, commit, and run again.
"""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fmtrials
from fmtrials import plots
from fmtrials.errors import DataError
from fmtrials.plots import _result as R

DATA = Path(__file__).parent / "data"

BASELINE_DIR = Path(__file__).parent / "baseline"
BASELINE_DPI = 80
IMAGE_TOL = 3.0  # RMS difference allowed by matplotlib.testing.compare.compare_images (0-255 scale)


# ------------------------------------------------------------------------------------------------ fixtures


def _pool(table, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shared-placebo warnings are the meta module's business
        return fmtrials.pool(table, **kw)


@pytest.fixture(scope="module")
def nausea():
    return fmtrials.contrasts(endpoint="nausea")


@pytest.fixture(scope="module")
def res_by(nausea):
    return _pool(nausea, measure="RR", method="REML", by="dose_mg_day")


@pytest.fixture(scope="module")
def res_mh(nausea):
    return _pool(nausea, measure="RR", method="MH")


@pytest.fixture(scope="module")
def res_rd(nausea):
    return _pool(nausea, measure="RD", method="DL", test="hksj")


def _texts(fig, gid=None):
    out = []
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts if gid is None or (t.get_gid() or "").startswith(gid)]
    return out


def _artists(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def _fmt2(x):
    return f"{x:.2f}"


# --------------------------------------------------------------------------------------- global state


def test_import_fmtrials_does_not_import_matplotlib():
    code = (
        "import fmtrials, fmtrials.plots, sys; fmtrials.contrasts(endpoint='nausea'); "
        "fmtrials.plot_forest; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_plotting_leaves_rcparams_and_pyplot_alone(nausea, res_by, res_mh, tmp_path):
    import matplotlib
    from matplotlib import _pylab_helpers

    before = matplotlib.rcParams.copy()
    backend = matplotlib.get_backend()
    figs = [
        plots.plot_responders(endpoint="nausea"),
        plots.plot_forest(res_by),
        plots.plot_labbe(nausea),
        plots.plot_funnel(res_mh),
    ]
    for i, fig in enumerate(figs):
        plots.save_figure(fig, tmp_path / f"f{i}.svg")
        plots.save_figure(fig, tmp_path / f"f{i}.png", dpi=50)
    after = matplotlib.rcParams.copy()
    assert {k: before[k] for k in before} == {k: after[k] for k in after}
    assert matplotlib.get_backend() == backend
    assert _pylab_helpers.Gcf.get_num_fig_managers() == 0


def test_house_style_applied_even_when_drawn_later(res_by):
    """Tick labels are made at draw time, outside the rc_context: they must still use the house font."""
    import matplotlib

    fig = plots.plot_forest(res_by)
    with matplotlib.rc_context({"font.family": "serif", "xtick.labelsize": 20}):
        fig.canvas.draw()
    labels = [t for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert labels
    assert all(t.get_fontsize() == 7.0 for t in labels)
    assert all(t.get_fontfamily() == ["DejaVu Sans"] for t in labels)


# ------------------------------------------------------------------------------------------- forest


def test_forest_structure_with_dose_subgroups(res_by):
    fig = plots.plot_forest(res_by, event="harmful")
    ax = fig.axes[0]
    frame = res_by.to_frame()
    assert ax.get_xscale() == "log"
    squares = _artists(ax, "square")
    assert len(squares) == len(frame) == 4
    assert len(_artists(ax, "diamond-subgroup")) == len(res_by.subgroups) == 2
    assert len(_artists(ax, "diamond-overall")) == 1
    null = _artists(ax, "null-line")
    assert len(null) == 1 and null[0].get_xdata()[0] == 1.0
    # squares: area proportional to the weight (all weights here are above the visibility floor)
    areas = np.array([sq.get_sizes()[0] for sq in squares])
    w = frame["weight"].to_numpy(dtype=float)
    np.testing.assert_allclose(np.sort(areas) / areas.max(), np.sort(w) / w.max(), rtol=1e-12)
    # diamonds span the pooled interval, widest point at the estimate
    ov = _artists(ax, "diamond-overall")[0].get_xy()
    np.testing.assert_allclose(
        sorted(ov[:4, 0]), sorted([res_by.ci_low, res_by.estimate, res_by.estimate, res_by.ci_high])
    )
    # headings per dose, subtotal and total rows
    texts = _texts(fig)
    assert "Milnacipran 100 mg/day" in texts and "Milnacipran 200 mg/day" in texts
    assert texts.count("Subtotal (95% CI)") == 2 and "Total (95% CI)" in texts


def test_forest_printed_numbers_equal_the_result(res_by):
    fig = plots.plot_forest(res_by)
    texts = _texts(fig)
    frame = res_by.to_frame()
    for _, r in frame.iterrows():
        assert f"{_fmt2(r.estimate)} [{_fmt2(r.ci_low)}, {_fmt2(r.ci_high)}]" in texts
        assert f"{r.weight:.1f}%" in texts
        assert f"{r.events_t}/{r.n_t}" in texts and f"{r.events_c}/{r.n_c}" in texts
    for sub in [res_by, *res_by.subgroups.values()]:
        assert f"{_fmt2(sub.estimate)} [{_fmt2(sub.ci_low)}, {_fmt2(sub.ci_high)}]" in texts
    pi_low, pi_high = R.prediction(res_by)
    assert f"[{_fmt2(pi_low)}, {_fmt2(pi_high)}]" in texts
    footer = " | ".join(_texts(fig, "footer"))
    het = R.heterogeneity(res_by)
    assert f"Q = {het.q:.2f}, df = {het.q_df}" in footer
    # one I², as the report's pooled table and RevMan: Q-based, max(0, (Q - df)/Q), even for the REML model
    i2_q = 100 * max(0.0, (res_by.heterogeneity.q - res_by.heterogeneity.q_df) / res_by.heterogeneity.q)
    assert f"I² = {i2_q:.0f}%" in footer
    if round(res_by.heterogeneity.i2_tau2) != round(i2_q):
        assert f"I² = {res_by.heterogeneity.i2_tau2:.0f}%" not in footer  # never metafor's τ²-based value
    assert f"τ² = {het.tau2:.4f} (REML)" in footer
    assert f"Z = {res_by.statistic:.2f}" in footer
    q, df, _ = R.subgroup_test(res_by)
    assert f"Test for subgroup differences: Q = {q:.2f}, df = {df}" in footer
    assert "Risk ratio, 95% CI; Random-effects model (REML τ²)" in footer


def test_forest_hksj_prints_t_and_df_and_risk_difference_axis(res_rd):
    fig = plots.plot_forest(res_rd)
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear"
    assert _artists(ax, "null-line")[0].get_xdata()[0] == 0.0
    footer = " | ".join(_texts(fig, "footer"))
    df = f"{res_rd.df:.0f}" if float(res_rd.df).is_integer() else f"{res_rd.df:.2f}"
    assert f"t = {res_rd.statistic:.2f}, df = {df}" in footer
    assert "Random-effects model (DL τ², HKSJ)" in footer
    assert _texts(fig, "cell").count("Prediction interval") == 1
    assert len(_artists(ax, "prediction")) == 1


def test_forest_common_effect_has_no_prediction_row(res_mh):
    fig = plots.plot_forest(res_mh)
    ax = fig.axes[0]
    assert not math.isfinite(R.prediction(res_mh)[0])
    assert "Prediction interval" not in _texts(fig)
    assert not _artists(ax, "prediction")
    assert "Common-effect model (Mantel–Haenszel)" in " ".join(_texts(fig, "footer"))
    # repeated Mease2009 rows are told apart by pool()'s unique labels, drawn as they are
    labels = res_mh.studies["label"].tolist()
    assert len(set(labels)) == 4 and set(labels) <= set(_texts(fig))


@pytest.mark.parametrize(
    "event, left, right", [("beneficial", "placebo", "milnacipran"), ("Harmful", "milnacipran", "placebo")]
)
def test_forest_favours_labels_flip_for_harms(res_mh, event, left, right):
    fig = plots.plot_forest(res_mh, event=event)
    fav = {t.get_text(): t for t in fig.axes[0].texts if t.get_gid() == "favours"}
    assert fav[f"Favours {left}"].get_ha() == "right"  # ends at the null line, i.e. on its left
    assert fav[f"Favours {right}"].get_ha() == "left"
    fig = plots.plot_forest(res_mh, control="control", treatment="drug X", event=event)
    assert {"Favours control", "Favours drug X"} == {
        t.get_text() for t in fig.axes[0].texts if t.get_gid() == "favours"
    }
    assert "Drug X\nevents/total" in _texts(fig, "header")


def test_forest_reads_the_direction_the_data_state_and_explicit_event_wins():
    rows = []
    for study, xt in (("A", 40), ("B", 35)):
        rows += [
            dict(study=study, dose_mg_day=0, endpoint="itch", n=100, responders=20, direction="harmful"),
            dict(study=study, dose_mg_day=100, endpoint="itch", n=100, responders=xt, direction="harmful"),
        ]
    res = fmtrials.pool(fmtrials.contrasts(fmtrials.read_outcomes(pd.DataFrame(rows)), endpoint="itch"))
    assert res.event == "harmful"

    def favours(fig):
        return {t.get_text(): t.get_ha() for t in fig.axes[0].texts if t.get_gid() == "favours"}

    assert favours(plots.plot_forest(res))["Favours milnacipran"] == "right"  # harm: treatment left of null
    assert favours(plots.plot_forest(res, event="beneficial"))["Favours milnacipran"] == "left"


def test_forest_arrows_for_intervals_beyond_the_axis(res_mh):
    frame = res_mh.to_frame()
    fig = plots.plot_forest(res_mh, xlim=(0.5, 2.0))
    ax = fig.axes[0]
    expected = int((frame["ci_low"] < 0.5).sum() + (frame["ci_high"] > 2.0).sum())
    assert expected >= 2  # Bateman2013 below 0.5, Mease2009 200 mg above 2
    assert len(_artists(ax, "arrow")) == expected
    assert ax.get_xlim() == pytest.approx((0.5, 2.0))
    fig = plots.plot_forest(res_mh)  # default limits hold every interval
    assert not _artists(fig.axes[0], "arrow")


def test_forest_zero_cell_and_weights(nausea):
    res = _pool(fmtrials.contrasts(endpoint="sae"), measure="RR", method="MH")
    fig = plots.plot_forest(res, event="harmful")
    footer = " ".join(_texts(fig, "footer"))
    assert "Zero cells in Bateman2013" in footer
    assert "0.0%" in _texts(fig)  # MH gives the zero-placebo-event study no weight


def test_forest_into_given_axes_and_bad_input(res_mh):
    from fmtrials.plots._figure import new_figure

    fig = new_figure(8, 4)
    ax = fig.add_axes((0.4, 0.3, 0.3, 0.6))
    assert plots.plot_forest(res_mh, ax=ax) is fig
    assert ax.get_xscale() == "log"
    with pytest.raises(DataError, match="PoolResult"):
        plots.plot_forest(pd.DataFrame())
    with pytest.raises(DataError, match="positive"):
        plots.plot_forest(res_mh, xlim=(-1, 2))
    with pytest.raises(DataError, match="'event'"):
        plots.plot_forest(res_mh, event="good")
    with pytest.raises(TypeError):
        plots.plot_forest(res_mh, higher_is_better=False)  # the old knob is gone: event=
    with pytest.raises(TypeError):
        plots.plot_forest(res_mh, None)  # options are keyword-only


def _metafor(case_id, section="cases"):
    import json

    ref = json.loads((DATA / "metafor_reference.json").read_text())
    return next(c for c in ref[section] if c["id"] == case_id)["result"]


def test_forest_rows_without_drawing_against_metafor(nausea, res_mh):
    """The rows a forest plot draws, computed without matplotlib, checked against R metafor rma.mh."""
    ref = _metafor("milnacipran_nausea/RR/MH/z")
    rows = plots.forest_rows(res_mh)
    assert rows["row_type"].tolist() == ["study"] * 4 + ["total"]
    study, total = rows[rows.row_type == "study"], rows[rows.row_type == "total"].iloc[0]
    np.testing.assert_allclose(study["weight"], ref["weights"], rtol=1e-9)
    np.testing.assert_allclose(np.log(study["estimate"]), ref["yi"], rtol=1e-9)
    np.testing.assert_allclose(
        np.log([total.estimate, total.ci_low, total.ci_high]), [ref["beta"], ref["ci_low"], ref["ci_high"]], rtol=1e-9
    )
    np.testing.assert_allclose([total.q, total.q_p, total.i2], [ref["q"], ref["q_p"], ref["i2"]], rtol=1e-9)
    assert total.k == ref["k"] == 4 and total.weight == 100.0
    # the total's counts are the sums of the input table (the shared placebo arm counted twice, as pooled)
    assert [total.events_t, total.n_t, total.events_c, total.n_c] == [
        int(nausea[c].sum()) for c in ("events_t", "n_t", "events_c", "n_c")
    ]
    assert study["label"].tolist() == res_mh.studies["label"].tolist()
    # what is printed is what forest_rows says, through the one formatter
    texts = _texts(plots.plot_forest(res_mh))
    assert "1.71 [1.48, 1.98]" in texts and "20.9%" in texts and "4.3%" in texts
    footer = " | ".join(_texts(plots.plot_forest(res_mh), "footer"))
    assert "Q = 5.33, df = 3 (P = 0.149); I² = 44%" in footer
    assert "Z = 7.35 (P < 0.0001)" in footer  # p = 2.0e-13


def test_forest_rows_subgroups_against_metafor(nausea):
    ref = _metafor("milnacipran_nausea/RR/MH/z/by_dose", "subgroups")
    res = _pool(nausea, measure="RR", method="MH", by="dose_mg_day")
    rows = plots.forest_rows(res)
    assert rows["row_type"].tolist() == ["study"] * 3 + ["subtotal", "study", "subtotal", "total"]
    sub = rows[rows.row_type == "subtotal"]
    assert sub["group"].tolist() == ref["groups"] and sub["dose"].tolist() == [100.0, 200.0]
    np.testing.assert_allclose(np.log(sub["estimate"]), ref["beta"], rtol=1e-9)
    # subtotal counts: sums of the input rows of that dose; weights: the subgroup's share of the total
    for r in sub.itertuples():
        part = nausea[nausea.dose_mg_day == r.group]
        assert [r.events_t, r.n_t, r.events_c, r.n_c] == [
            int(part[c].sum()) for c in ("events_t", "n_t", "events_c", "n_c")
        ]
        assert r.weight == pytest.approx(rows[(rows.row_type == "study") & (rows.group == r.group)].weight.sum())
    footer = " | ".join(_texts(plots.plot_forest(res), "footer"))
    assert "Test for subgroup differences: Q = 0.83, df = 1 (P = 0.362)" in footer


def test_forest_p_values_use_the_one_rule(res_by):
    """Below 0.001 a p-value prints with 4 decimals (P = 0.0003), below 0.0001 as P < 0.0001."""
    fig = plots.plot_forest(res_by)
    notes, footer = _texts(fig, "cell-note"), _texts(fig, "footer")
    p100 = res_by.subgroups[100].p_value
    assert 1e-4 < p100 < 1e-3
    assert f"(P = {p100:.4f})" in " ".join(notes)
    assert res_by.p_value < 1e-4 and any("(P < 0.0001)" in t for t in footer)
    # the 200 mg/day dose is one comparison: no test of a pooled effect (no second p-value for it)
    assert res_by.subgroups[200].k == 1 and sum(t.startswith("One comparison") for t in notes) == 1


HOSTILE = ["$x^2$", "a$b", "\\frac", "$\\frac{1$", "Study $5 vs $10", "x" * 120]


def _hostile_table():
    n = len(HOSTILE)
    return pd.DataFrame(
        {
            "study": HOSTILE,
            "events_t": [10 + i for i in range(n)],
            "n_t": [50] * n,
            "events_c": [5 + i for i in range(n)],
            "n_c": [50] * n,
            "dose_mg_day": [100, 200] * (n // 2),
        }
    )


def test_hostile_names_are_drawn_literally_and_long_names_cut():
    table = _hostile_table()
    res = _pool(table, measure="RR", method="DL", by="dose_mg_day")
    out = pd.DataFrame(
        {
            "study": np.repeat(HOSTILE, 2),
            "endpoint": "$e$",
            "dose_mg_day": [0, 100] * len(HOSTILE),
            "n": 50,
            "responders": 10,
        }
    )
    figs = [
        plots.plot_forest(res, control="$pl", treatment="$x$", title="$\\frac{$"),
        plots.plot_labbe(table, result=res, outcome="$o$", control="$a$", treatment="$b$"),
        plots.plot_funnel(res, title="$t$"),
        plots.plot_responders(out, endpoint="$e$", events_label="$E$", treatment="$t$"),
    ]
    for fig in figs:
        png = plots.figure_bytes(fig, "png", dpi=30)  # $\frac{1$ as math text would raise here
        assert png[:4] == b"\x89PNG"
        texts = [t for ax in fig.axes for t in ax.texts]
        assert texts and not any(t.get_parse_math() for t in texts)
        for ax in fig.axes:
            leg = ax.get_legend()
            assert leg is None or not any(t.get_parse_math() for t in leg.get_texts())
    shown = set(_texts(figs[0]))
    assert set(HOSTILE[:5]) <= shown and "a$b" in _texts(figs[3])
    assert "x" * 39 + "…" in shown  # cut at 40 characters
    assert not any(len(t) > 40 and "\n" not in t and t.startswith("xxx") for t in shown)
    assert figs[0].get_figwidth() < 11.0


def test_large_k_draws_a_summary_forest():
    rng = np.random.default_rng(7)
    k = 61
    n = rng.integers(40, 200, size=(k, 2))
    table = pd.DataFrame(
        {
            "study": [f"S{i:02d}" for i in range(k)],
            "n_t": n[:, 0],
            "n_c": n[:, 1],
            "events_t": (n[:, 0] * 0.3).astype(int),
            "events_c": (n[:, 1] * 0.2).astype(int),
            "dose_mg_day": [100, 200] * 30 + [100],
        }
    )
    for by, subtotals in ((None, 0), ("dose_mg_day", 2)):
        res = _pool(table, measure="RR", method="DL", by=by)
        fig = plots.plot_forest(res)
        ax = fig.axes[0]
        assert not _artists(ax, "square")
        assert len(_artists(ax, "diamond-subgroup")) == subtotals and len(_artists(ax, "diamond-overall")) == 1
        assert "61 studies not drawn individually; see the table" in _texts(fig)
        assert "Total (95% CI), k = 61" in _texts(fig)
        assert fig.get_figheight() < 4.5
    full = plots.plot_forest(res, max_studies=61)  # up to the limit every study is drawn
    assert len(_artists(full.axes[0], "square")) == 61
    assert full.get_figheight() > 61 * 0.19


# --------------------------------------------------------------------------------------- responders


def _many_trials(k: int) -> pd.DataFrame:
    rows = []
    for i in range(k):
        rows += [
            {"study": f"S{i:03d}", "dose_mg_day": 0, "endpoint": "e", "n": 50, "responders": 10},
            {"study": f"S{i:03d}", "dose_mg_day": 100, "endpoint": "e", "n": 50, "responders": 15 + i % 5},
        ]
    return pd.DataFrame(rows)


def test_responders_refuse_more_trials_than_rows_can_show():
    """One block of rows per trial: 61 trials would be unreadable (10,000 trials were 760 inches tall)."""
    fig = plots.plot_responders(_many_trials(60), endpoint="e")
    assert fig.get_figheight() < 60 * 3 * 0.19 + 3
    with pytest.raises(fmtrials.DataError, match="61 trials.*max_trials=60"):
        plots.plot_responders(_many_trials(61), endpoint="e")
    assert plots.plot_responders(_many_trials(61), endpoint="e", max_trials=61).get_figheight() > 60 * 0.19
    with pytest.raises(fmtrials.DataError, match="max_trials"):
        plots.plot_responders(_many_trials(2), endpoint="e", max_trials=0)


def test_responders_structure_and_wilson_intervals():
    from statsmodels.stats.proportion import proportion_confint  # outside oracle for the Wilson interval

    fig = plots.plot_responders(endpoint="nausea", events_label="Nausea")
    ax = fig.axes[0]
    out = fmtrials.load_outcomes()
    rows = out[out.endpoint == "nausea"]
    n_trials = rows.study.nunique()
    assert len(_artists(ax, "placebo")) == n_trials == 3
    assert len(_artists(ax, "arm")) == int((rows.dose_mg_day > 0).sum()) == 4
    assert len(_artists(ax, "placebo-ref")) == n_trials
    cis = _artists(ax, "ci")
    assert len(cis) == len(rows)
    got = sorted(tuple(np.round(c.get_xdata(), 9)) for c in cis)
    lo, hi = proportion_confint(rows.responders.astype(int), rows.n.astype(int), method="wilson")
    want = sorted(zip(np.round(lo * 100, 9), np.round(hi * 100, 9)))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    # placebo reference line at the placebo rate of its own trial
    refs = sorted(line.get_xdata()[0] for line in _artists(ax, "placebo-ref"))
    pl = rows[rows.dose_mg_day == 0]
    np.testing.assert_allclose(refs, sorted(pl.responders / pl.n * 100))
    texts = _texts(fig)
    for r in rows.itertuples():
        assert f"{r.responders}/{r.n}" in texts and str(r.n) in texts
    assert "32.6 [26.8, 39.0]" in texts  # Mease2009 100 mg: 73/224 = 32.6%, Wilson 26.8-39.0
    assert ax.get_xlabel() == "Nausea (%)"
    # doses told apart: different colours and markers
    arms = _artists(ax, "arm")
    styles = {(a.get_marker(), a.get_markerfacecolor()) for a in arms}
    assert len(styles) == 2


def _pain50_without_secondary():
    """pain_50 as the baseline image was drawn: without the congress-report (QRACR) Arnold 2010 rows added
    later (issue 12), so the printed-only and not-reported arms stay the subject of the figure."""
    o = fmtrials.load_outcomes()
    return o[(o.endpoint == "pain_50") & (o.source != "QRACR")]


def test_responders_printed_only_and_not_reported_arms():
    fig = plots.plot_responders(_pain50_without_secondary(), endpoint="pain_50")
    ax = fig.axes[0]
    assert len(_artists(ax, "printed-only")) == 2  # Vitton2004: percentages printed, no n
    texts = _texts(fig)
    assert "37 (printed)" in texts and "not reported" in texts  # Bateman2013 placebo not given
    assert len(_artists(ax, "arm")) == 1


def test_responders_user_data_scales_to_twenty_trials():
    rng = np.random.default_rng(1)
    rows = []
    for i in range(20):
        for dose in (0, 100, 200):
            n = int(rng.integers(30, 300))
            rows.append(
                {"study": f"Trial {i + 1:02d}", "dose_mg_day": dose, "n": n, "responders": int(rng.integers(0, n + 1))}
            )
    df = pd.DataFrame(rows)
    fig = plots.plot_responders(df, title="")
    ax = fig.axes[0]
    assert len(_artists(ax, "placebo")) == 20 and len(_artists(ax, "arm")) == 40
    assert 60 * 0.18 < fig.get_figheight() < 60 * 0.25
    small = plots.plot_responders(df[df.study == "Trial 01"])
    assert small.get_figheight() < 2.5


def test_responders_bad_input():
    with pytest.raises(DataError, match="several endpoints"):
        plots.plot_responders()
    with pytest.raises(DataError, match="not in the outcomes"):
        plots.plot_responders(endpoint="no_such")
    bad = pd.DataFrame({"study": ["A", "A"], "dose_mg_day": [0, 100], "n": [10, 10], "responders": [3, 12]})
    with pytest.raises(DataError, match=r"row 2, column 'responders': events \(12\) exceed n \(10\)"):
        plots.plot_responders(bad)
    dup = pd.DataFrame(
        {
            "study": ["A", "A", "A"],
            "arm": ["placebo", "placebo", "x"],
            "dose_mg_day": [0, 0, 100],
            "analysis": ["LOCF", "BOCF", "LOCF"],
            "n": [10, 10, 10],
            "responders": [3, 4, 5],
        }
    )
    with pytest.raises(DataError, match="analysis="):
        plots.plot_responders(dup)
    assert plots.plot_responders(dup, analysis="LOCF") is not None
    with pytest.raises(DataError, match="lack"):
        plots.plot_responders(pd.DataFrame({"study": ["A"]}))


# ------------------------------------------------------------------------------------ L'Abbé, funnel


def test_labbe_points_sizes_and_pooled_line(nausea, res_mh):
    fig = plots.plot_labbe(nausea, result=res_mh, outcome="with nausea")
    ax = fig.axes[0]
    pts = _artists(ax, "point")
    assert len(pts) == len(nausea)
    xy = np.array([p.get_offsets()[0] for p in pts])
    np.testing.assert_allclose(xy[:, 0], nausea.events_c / nausea.n_c * 100)
    np.testing.assert_allclose(xy[:, 1], nausea.events_t / nausea.n_t * 100)
    sizes = np.array([p.get_sizes()[0] for p in pts])
    n = (nausea.n_t + nausea.n_c).to_numpy(dtype=float)
    np.testing.assert_allclose(sizes / sizes.max(), n / n.max())
    line = _artists(ax, "pooled-line")[0]
    x, y = line.get_xdata(), line.get_ydata()
    np.testing.assert_allclose(y[1:] / x[1:], res_mh.estimate)  # p_t = RR * p_c
    diag = _artists(ax, "null-line")[0]
    np.testing.assert_allclose(diag.get_xdata(), diag.get_ydata())
    assert ax.get_xlabel() == "Placebo: % with nausea"


def test_labbe_odds_ratio_and_risk_difference_curves(nausea, res_rd):
    res_or = _pool(nausea, measure="OR", method="MH")
    for res in (res_or, res_rd):
        line = _artists(plots.plot_labbe(res, result=res).axes[0], "pooled-line")[0]
        pc, pt = line.get_xdata() / 100, line.get_ydata() / 100
        ok = (pc > 0) & (pc < 1) & (pt > 0) & (pt < 1)
        if res.measure == "OR":
            np.testing.assert_allclose(pt[ok] / (1 - pt[ok]) / (pc[ok] / (1 - pc[ok])), res.estimate)
        else:
            np.testing.assert_allclose(pt[ok] - pc[ok], res.estimate, atol=1e-12)
    with pytest.raises(DataError, match="lacks"):
        plots.plot_labbe(pd.DataFrame({"events_t": [1]}))


def test_funnel_points_and_pseudo_limits(res_mh):
    fig = plots.plot_funnel(res_mh)
    ax = fig.axes[0]
    frame = res_mh.to_frame()
    pts = _artists(ax, "point")
    assert len(pts) == len(frame)
    np.testing.assert_allclose(sorted(p.get_xdata()[0] for p in pts), sorted(np.exp(frame.yi)))
    np.testing.assert_allclose(sorted(p.get_ydata()[0] for p in pts), sorted(np.sqrt(frame.vi)))
    assert ax.yaxis_inverted() and ax.get_xscale() == "log"
    limits = _artists(ax, "funnel-limit")
    se_max = ax.get_ylim()[0]
    ends = sorted(line.get_xdata()[1] for line in limits)
    np.testing.assert_allclose(ends, np.exp(res_mh.beta + np.array([-1, 1]) * 1.959963984540054 * se_max))
    assert _artists(ax, "pooled-line")[0].get_xdata()[0] == pytest.approx(res_mh.estimate)
    assert any("too few studies" in t for t in _texts(fig, "note"))
    # alpha= sets the pseudo-confidence region: 90% uses the 0.95 normal quantile
    fig90 = plots.plot_funnel(res_mh, alpha=0.1)
    ends = sorted(line.get_xdata()[1] for line in _artists(fig90.axes[0], "funnel-limit"))
    np.testing.assert_allclose(ends, np.exp(res_mh.beta + np.array([-1, 1]) * 1.6448536269514722 * se_max))
    assert "Pseudo 90% limits" in [t.get_text() for t in fig90.axes[0].get_legend().get_texts()]
    with pytest.raises(DataError, match="alpha"):
        plots.plot_funnel(res_mh, alpha=0.95 * 2)
    with pytest.raises(TypeError):
        plots.plot_funnel(res_mh, level=0.95)


# ------------------------------------------------------------------------------------- determinism, export


def _all_figures(nausea, res_by, res_mh):
    return {
        "responders_nausea": lambda: plots.plot_responders(endpoint="nausea", events_label="Nausea"),
        "responders_pain50": lambda: plots.plot_responders(_pain50_without_secondary(), endpoint="pain_50"),
        "forest_nausea_by_dose": lambda: plots.plot_forest(res_by, event="harmful", title="Nausea"),
        "forest_nausea_mh": lambda: plots.plot_forest(res_mh, event="harmful"),
        "labbe_nausea": lambda: plots.plot_labbe(nausea, result=res_mh, outcome="with nausea"),
        "funnel_nausea": lambda: plots.plot_funnel(res_mh),
    }


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_two_renders_are_byte_identical(res_by, fmt):
    a = plots.figure_bytes(plots.plot_forest(res_by), fmt, dpi=72)
    b = plots.figure_bytes(plots.plot_forest(res_by), fmt, dpi=72)
    assert a == b
    if fmt == "svg":
        assert b"<dc:date>" not in a and b"Matplotlib" not in a
    if fmt == "png":
        assert b"Software" not in a and b"matplotlib" not in a.lower()
    if fmt == "pdf":
        assert b"CreationDate" not in a


def test_save_figure_formats_and_editable_text(res_mh, tmp_path):
    fig = plots.plot_forest(res_mh)
    p = plots.save_figure(fig, tmp_path / "f.svg")
    assert p.read_bytes() == plots.figure_bytes(fig, "svg")
    assert b"<text" not in p.read_bytes()  # default: glyphs as paths
    assert b"<text" in plots.figure_bytes(fig, "svg", editable_text=True)
    paths = plots.export_figure(fig, tmp_path / "forest", formats=("svg", "png"), dpi=50)
    assert [q.name for q in paths] == ["forest.svg", "forest.png"]
    assert paths[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(DataError, match="format"):
        plots.save_figure(fig, tmp_path / "f.jpg")


def test_images_match_baselines(nausea, res_by, res_mh, tmp_path):
    from matplotlib.testing.compare import compare_images

    regenerate = os.environ.get("FMTRIALS_REGENERATE_BASELINES") == "1"
    missing = []
    for name, make in _all_figures(nausea, res_by, res_mh).items():
        expected = BASELINE_DIR / f"{name}.png"
        if regenerate:
            BASELINE_DIR.mkdir(exist_ok=True)
            plots.save_figure(make(), expected, dpi=BASELINE_DPI)
            missing.append(name)
            continue
        if not expected.exists():
            missing.append(name)
            continue
        actual = tmp_path / f"{name}.png"
        plots.save_figure(make(), actual, dpi=BASELINE_DPI)
        err = compare_images(str(expected), str(actual), tol=IMAGE_TOL)
        assert err is None, err
    # regenerating never passes: a run that rewrote its own expectations has checked nothing
    assert not regenerate, (
        f"baselines regenerated on purpose ({len(missing)} written to {BASELINE_DIR}); look at "
        "every PNG, commit, and run again without FMTRIALS_REGENERATE_BASELINES"
    )
    assert not missing, f"missing baselines {missing}: run python tests/test_plots.py --regenerate"


if __name__ == "__main__":
    if "--regenerate" in sys.argv:
        os.environ["FMTRIALS_REGENERATE_BASELINES"] = "1"
        sys.exit(pytest.main([__file__, "-q", "-k", "test_images_match_baselines"]))
    sys.exit(pytest.main([__file__, "-q"]))


# ------------------------------------------------------------------------ contour funnel, bubble, Baujat (issue 14)
def test_contour_funnel_regions_are_the_z_quantiles_around_no_effect(res_mh):
    from scipy.stats import norm

    fig = plots.plot_funnel(res_mh, contours=True)
    ax = fig.axes[0]
    regions = _artists(ax, "contour-region")
    assert len(regions) == 4 and not _artists(ax, "funnel-region")
    se_max = ax.get_ylim()[0]
    # the three inner bands: at SE = se_max their half-width on the log scale is z_{1-a/2} * se_max
    for poly, a in zip(regions[1:], (0.01, 0.05, 0.10)):
        xs = np.log(poly.get_paths()[0].vertices[:, 0])
        assert xs.max() == pytest.approx(norm.ppf(1 - a / 2) * se_max, rel=1e-9)
    assert {"p < 0.01", "p > 0.10"} <= {t.get_text() for t in ax.get_legend().get_texts()}


def test_funnel_draws_trim_and_fill_studies_as_open_markers(res_mh):
    tf = fmtrials.trim_and_fill(
        fmtrials.pool(fmtrials.contrasts(endpoint="nausea"), measure="RR", method="IV", warn_shared=False)
    )
    fig = plots.plot_funnel(res_mh, filled=tf)
    (pts,) = _artists(fig.axes[0], "filled-point")
    assert len(pts.get_xdata()) == tf.k0 and pts.get_markerfacecolor() == "white"
    assert np.allclose(np.log(pts.get_xdata()), tf.filled["yi"])
    with pytest.raises(DataError, match="TrimFillResult"):
        plots.plot_funnel(res_mh, filled="yes")


def test_bubble_plot_line_is_the_fitted_model(nausea):
    reg = fmtrials.meta_regression(nausea, "dose_mg_day", measure="RR", method="REML")
    pts, line = plots.bubble.bubble_points(reg)
    b0, b1 = reg.coefficients["estimate"]
    assert np.allclose(line["pred"], b0 + b1 * line["x"], rtol=1e-12)
    assert pts["area"].max() == plots.bubble.MAX_AREA and np.allclose(
        pts["area"] / pts["weight"], pts["area"][0] / pts["weight"][0]
    )
    fig = plots.plot_bubble(reg)
    (fit,) = _artists(fig.axes[0], "fit")
    assert np.allclose(np.log(fit.get_ydata()), line["pred"])
    with pytest.raises(DataError, match="one numeric moderator"):
        plots.plot_bubble(fmtrials.meta_regression(nausea.assign(g=["a", "b", "a", "b"]), ["g"]))


def test_baujat_plot_numbers_every_study(res_mh):
    fig = plots.plot_baujat(res_mh)
    pts = fmtrials.meta.baujat_points(res_mh)
    nums = [t for t in fig.axes[0].texts if t.get_gid() == "point"]
    assert [t.get_text() for t in nums] == [str(i) for i in range(1, len(pts) + 1)]
    assert np.allclose([t.get_position() for t in nums], pts[["x", "y"]].to_numpy())
    assert "Mease2009 (200 mg/day)" in _texts(fig, "key")[0]


def test_new_figures_are_deterministic(nausea, res_mh):
    from fmtrials.plots import figure_bytes

    reg = fmtrials.meta_regression(nausea, "dose_mg_day")
    for make in (
        lambda: plots.plot_bubble(reg),
        lambda: plots.plot_baujat(res_mh),
        lambda: plots.plot_funnel(res_mh, contours=True),
    ):
        assert figure_bytes(make(), "png") == figure_bytes(make(), "png")


def test_forest_of_one_comparison_has_no_diamond_and_no_na_footnotes():
    one = fmtrials.contrasts(endpoint="nausea").query("study == 'Arnold2010'")
    res = fmtrials.pool(one, measure="RR", method="MH")
    assert res.k == 1
    labels = [ln.cells[0] for ln in plots.forest_lines(res) if ln.kind]
    assert labels == ["Arnold2010"]  # no "Total (95% CI)" diamond
    fig = plots.plot_forest(res)
    text = " ".join(_texts(fig))
    assert "Total" not in text and "NA" not in text and "not estimable" not in text
    assert not _artists(fig.axes[0], "diamond-overall") and "nothing is pooled" in text


def test_forest_footnote_prints_the_q_based_i2_where_the_tau2_based_one_differs(nausea):
    """The split nausea table under REML: τ̂² = 0 although Q = 5.08 exceeds its 3 df, so metafor's τ²-based I²
    is 0% and the Q-based one (RevMan's, the report table's) is 100 (5.08 - 3)/5.08 = 41%. The figure prints 41%."""
    table = fmtrials.split_shared_placebo(nausea)
    res = _pool(table, measure="RR", method="REML", test="hksj-adhoc")
    h = res.heterogeneity
    assert h.tau2 == pytest.approx(0, abs=1e-10) and h.i2_tau2 == pytest.approx(0, abs=1e-6)
    i2_q = 100 * (h.q - 3) / h.q
    assert round(i2_q) == 41
    footer = " | ".join(_texts(plots.plot_forest(res), "footer"))
    assert f"Q = {h.q:.2f}, df = 3" in footer and "I² = 41%" in footer and "I² = 0%" not in footer

"""Network figures: graph (nodes by patients, edges by trials), forest against any reference, league heat map."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import fmtrials
from fmtrials.plots import _style as S

ARMS = pd.DataFrame(
    {
        "study": ["a", "a", "a", "b", "b", "c", "c", "d", "d"],
        "treatment": ["placebo", "X", "Y", "placebo", "X", "placebo", "Y", "X", "Y"],
        "events": [10, 20, 18, 12, 25, 9, 15, 14, 16],
        "n": [50, 50, 50, 60, 60, 40, 40, 45, 45],
    }
)


@pytest.fixture(scope="module")
def res():
    return fmtrials.network_meta(ARMS, method="common")


def test_graph_edges_count_trials_and_nodes_grow_with_patients(res):
    fig = fmtrials.plot_network(res)
    ax = fig.axes[0]
    labels = sorted(t.get_text() for t in ax.texts if t.get_text().isdigit())
    # placebo-X: a, b; placebo-Y: a, c; X-Y: a, d (the three-arm trial counts for every pair)
    assert labels == ["2", "2", "2"]
    names = [t.get_text().split("\n")[0] for t in ax.texts if "\n" in t.get_text()]
    sizes = dict(zip(names, [c.get_sizes()[0] for c in ax.collections]))
    patients = {"placebo": 150, "X": 155, "Y": 135}
    assert sorted(sizes, key=sizes.get) == sorted(patients, key=patients.get)
    colours = {matplotlib.colors.to_hex(c.get_facecolor()[0]).upper() for c in ax.collections}
    assert colours <= {v.upper() for v in S.OKABE_ITO.values()}


def test_forest_against_another_reference_and_into_given_axes(res):
    import matplotlib.pyplot as plt

    fig0, ax = plt.subplots()
    fig = fmtrials.plot_network_forest(res, reference="X", ax=ax)
    assert fig is fig0 and ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Y", "placebo"]
    rel = res.relative_effects(reference="X")
    squares = [ln for ln in ax.lines if ln.get_marker() == "s"]
    assert sorted(float(s.get_xdata()[0]) for s in squares) == pytest.approx(sorted(rel.estimate))
    plt.close(fig0)


def test_league_heat_map_cells_are_the_league(res):
    fig = fmtrials.plot_league(res)
    ax = fig.axes[0]
    lg = res.league()
    texts = sorted(t.get_text().split("\n")[0] for t in ax.texts)
    assert texts == sorted(f"{e:.2f}" for e in lg.estimate)
    img = np.ma.filled(ax.images[0].get_array(), np.nan)
    assert np.isnan(np.diag(img)).all()
    # the colour is the log ratio of the row treatment against the column treatment
    i, j = res.treatments.index("X"), res.treatments.index("placebo")
    assert img[i, j] == pytest.approx(np.log(lg.set_index(["treatment", "versus"]).loc[("X", "placebo"), "estimate"]))


def test_league_heat_map_says_which_is_treatment_and_comparator_and_its_colours_follow(res):
    """The caption names row = treatment, column = comparator and the colour of benefit; the colour of a cell
    where the row treatment has more events (ratio above 1) is the one the caption names (purple: more blue than
    red), and the colour bar is labelled on the ratio scale."""
    fig = fmtrials.plot_league(res, benefit="more responders")
    caption = " ".join(t.get_text() for t in fig.texts)
    assert "the row treatment against the column treatment (the comparator)" in caption
    assert "above 1 (purple): more responders with the row treatment" in caption
    ax = fig.axes[0]
    img = ax.images[0]
    lg = res.league().set_index(["treatment", "versus"])
    i, j = res.treatments.index("X"), res.treatments.index("placebo")
    assert lg.loc[("X", "placebo"), "estimate"] > 1
    r, _g, b, _a = img.cmap(img.norm(img.get_array()[i, j]))
    assert b > r  # purple
    r, _g, b, _a = img.cmap(img.norm(img.get_array()[j, i]))
    assert r > b  # orange
    bar = fig.axes[1]
    assert "risk ratio" in bar.get_ylabel()
    labels = [t.get_text() for t in bar.get_yticklabels()]
    assert "1.00" in labels


def test_the_level_printed_on_the_plots_is_the_fit_s_level():
    # 97.5% must not be rounded to "98%" (a level formatter of its own would); the fit's alpha, not 0.05
    fit = fmtrials.network_meta(ARMS, method="common", alpha=0.025)
    fig = fmtrials.plot_network_forest(fit)
    assert "97.5% CI" in fig.axes[0].get_xlabel()
    fig = fmtrials.plot_league(fit)
    assert any("[97.5% CI]" in t.get_text() for t in fig.texts + [t for a in fig.axes for t in a.texts])


def test_a_drug_keeps_its_colour_across_doses_and_figures():
    arms = ARMS.replace({"X": "drugx 100", "Y": "drugx 200"})
    arms.loc[arms.study == "c", "treatment"] = ["placebo", "drugy 5"]
    dose = fmtrials.network_meta(arms, method="common")
    drugs = arms[arms.study != "d"].replace({"drugx 100": "drugx", "drugx 200": "drugx", "drugy 5": "drugy"})
    by_drug = fmtrials.network_meta(drugs.groupby(["study", "treatment"], as_index=False).sum(), method="common")

    def colours(fig):
        return {
            t.get_text(): matplotlib.colors.to_hex(ln.get_color())
            for ax in fig.axes
            for t, ln in zip(ax.get_yticklabels(), [ln for ln in ax.lines if ln.get_marker() == "s"])
        }

    a, b = colours(fmtrials.plot_network_forest(dose)), colours(fmtrials.plot_network_forest(by_drug))
    assert a["drugx 100"] == a["drugx 200"] == b["drugx"] and a["drugy 5"] == b["drugy"] != b["drugx"]

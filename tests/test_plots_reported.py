"""Tests for fmtrials.plot_reported: the published composite table against placebo, every assumed denominator."""

from __future__ import annotations

import fmtrials
from fmtrials.plots import figure_bytes


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]


def test_every_scenario_drawn_impossible_ones_marked():
    r = fmtrials.reanalyse_reported()
    seed = r[r.source == "SEED003"]
    fig = fmtrials.plot_reported()
    rd = fig.axes[1]
    impossible = [t for t in rd.texts if t.get_gid() == "impossible"]
    n_bad = int((seed.n_t.notna() & ~seed.consistent.fillna(True).astype(bool)).sum())
    assert len(impossible) == n_bad == 9
    ranges = [ln for ln in rd.lines if ln.get_gid() == "estimate-range"]
    contradicted = [ln for ln in rd.lines if ln.get_gid() == "estimate-range-contradicted"]
    assert len(ranges) + len(contradicted) == int(seed.consistent.fillna(False).astype(bool).sum()) == 5
    # the 401 vs 401 scenario of the 100 mg row: 102/401 vs 62/401, RD 9.98 points
    assert any(abs(ln.get_xdata()[0] - 100 * 40 / 401) < 1e-9 for ln in ranges)
    assert "10.0 (4.4 to 15.5)" in _texts(fig)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == "Phase II 100 mg/day: 37% vs 5% placebo, printed p <0.001"
    assert any("assumptions, not data" in t for t in _texts(fig))


def test_joint_scenarios_drawn_contradicted_one_marked_distinctly():
    from fmtrials.plots import _style as S

    r = fmtrials.reanalyse_reported()
    seed = r[r.source == "SEED003"]
    fig = fmtrials.plot_reported()
    rd = fig.axes[1]
    verdicts = [t for t in rd.texts if t.get_gid() in ("possible", "not-possible", "contradicted")]
    assert len(verdicts) == seed[seed.joint_rows.notna()].scenario.nunique() == 8  # one line per joint scenario
    (c,) = [t for t in verdicts if t.get_gid() == "contradicted"]
    assert c.get_text() == "⊘ contradicted by A10-reg; no 200 mg/day arm"
    assert c.get_color() == S.OKABE_ITO["reddish_purple"]
    (line,) = [ln for ln in rd.lines if ln.get_gid() == "estimate-range-contradicted"]
    assert abs(line.get_xdata()[0] - 100 * (131 / 516 - 79 / 509)) < 1e-9  # Arnold's 131/516 vs 79/509
    env = [ln for ln in rd.lines if ln.get_gid() == "ci-envelope" and ln.get_color() == S.OKABE_ITO["reddish_purple"]]
    assert len(env) == 1 and env[0].get_linestyle() == "--"  # dashed as well as coloured: not by hue alone
    assert sum(t.get_gid() == "no-arm" for t in rd.texts) == 2  # Arnold's 200 mg and Branco's 100 mg rows
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "  mixed: Clauw2008, placebo 401, 100 mg/day 401, 200 mg/day 401" in labels


def test_deterministic_and_ax_convention():
    a = figure_bytes(fmtrials.plot_reported(), "png")
    b = figure_bytes(fmtrials.plot_reported(), "png")
    assert a == b
    from fmtrials.plots._figure import new_figure

    fig = new_figure(5, 4)
    ax = fig.add_subplot()
    assert fmtrials.plot_reported(ax=ax) is fig and len(fig.axes) == 1

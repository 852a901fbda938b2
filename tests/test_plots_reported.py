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
    assert len(ranges) == int(seed.consistent.fillna(False).astype(bool).sum()) == 5
    # the 401 vs 401 scenario of the 100 mg row: 102/401 vs 62/401, RD 9.98 points
    assert any(abs(ln.get_xdata()[0] - 100 * 40 / 401) < 1e-9 for ln in ranges)
    assert "10.0 (4.4 to 15.5)" in _texts(fig)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == "Phase II 100 mg/day: 37% vs 5% placebo, printed p <0.001"
    assert any("assumptions, not data" in t for t in _texts(fig))


def test_deterministic_and_ax_convention():
    a = figure_bytes(fmtrials.plot_reported(), "png")
    b = figure_bytes(fmtrials.plot_reported(), "png")
    assert a == b
    from fmtrials.plots._style import new_figure

    fig = new_figure(5, 4)
    ax = fig.add_subplot()
    assert fmtrials.plot_reported(ax=ax) is fig and len(fig.axes) == 1

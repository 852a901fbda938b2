"""The composite headline's sentence about what a set of attributions implies states whether their intervals
exclude zero; the words must follow the intervals (issue 29, class 4), on data where they differ."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from fmtrials.report.main_results import _implied


def _group(est, lo, hi):
    return pd.DataFrame({"estimate_min": [est], "estimate_max": [est], "ci_low": [lo], "ci_high": [hi]})


@pytest.mark.parametrize(
    ("intervals", "says"),
    [
        ([(0.05, 0.01, 0.10), (0.03, 0.002, 0.08)], "which exclude zero"),  # both above zero
        ([(-0.05, -0.10, -0.01), (-0.03, -0.08, -0.002)], "which exclude zero"),  # both below
        ([(0.05, 0.01, 0.10), (0.03, -0.02, 0.08)], "which do not all exclude zero"),  # one reaches zero
        ([(0.05, 0.01, 0.10), (-0.05, -0.10, -0.01)], "which do not all exclude zero"),  # on opposite sides
    ],
)
def test_the_implied_sentence_says_what_the_intervals_show(intervals, says):
    text = _implied([_group(*t) for t in intervals])
    assert says in text
    m = re.search(r"intervals from (-?[\d.]+) to (-?[\d.]+) points", text)
    lows, highs = [100 * t[1] for t in intervals], [100 * t[2] for t in intervals]
    assert (float(m.group(1)), float(m.group(2))) == pytest.approx((min(lows), max(highs)), abs=0.05)
    m = re.search(r"rate (-?[\d.]+) to (-?[\d.]+) percentage points", text)
    est = [100 * t[0] for t in intervals]
    assert (float(m.group(1)), float(m.group(2))) == pytest.approx((min(est), max(est)), abs=0.05)


@pytest.mark.parametrize(("alpha", "level"), [(0.05, "95%"), (0.1, "90%"), (0.01, "99%")])
def test_the_implied_sentence_names_the_rows_level(alpha, level):
    g = _group(0.05, 0.01, 0.10).assign(alpha=alpha)
    assert f"; {level} intervals from 1.0 to 10.0 points" in _implied([g])


def test_the_composite_figure_names_the_rows_level():
    import fmtrials

    rows = fmtrials.reanalyse_reported(alpha=0.1)
    rows = rows[rows["source"] == "SEED003"]
    fig = fmtrials.plot_reported(rows)
    assert any("envelope of their 90% intervals" in t.get_text() for t in fig.texts)

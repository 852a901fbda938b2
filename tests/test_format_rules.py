"""The printing rules the package documents (README, ``fmtrials._format``'s docstring), checked against those
words over a grid of values, and the forest plot's total row at the result's own level (issue 29, classes 1
and 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fmtrials
from fmtrials._format import format_p

GRID = np.concatenate([np.geomspace(1e-7, 1.0, 400), [0.0001, 0.00099, 0.001, 0.0042, 0.0099, 0.01, 0.049, 0.5]])


def test_format_p_follows_the_documented_rule():
    # "3 decimals, with 4 below 0.001, and <0.0001 below 0.0001"
    for p in GRID:
        text = format_p(p)
        if p < 1e-4:
            assert text == "<0.0001", p
            continue
        decimals = 4 if p < 0.001 else 3
        whole, _, frac = text.partition(".")
        assert len(frac) == decimals and whole == "0" or text == "1.000", (p, text)
        assert abs(float(text) - p) <= 0.5 * 10**-decimals + 1e-15, (p, text)


@pytest.mark.parametrize(("alpha", "level"), [(0.05, "95%"), (0.1, "90%"), (0.01, "99%")])
def test_the_forest_total_row_names_the_result_s_level(alpha, level):
    t = pd.DataFrame(
        {"study": list("ABCD"), "events_t": [12, 8, 20, 5], "n_t": [50] * 4, "events_c": [6, 7, 10, 4], "n_c": [50] * 4}
    )
    fig = fmtrials.plot_forest(fmtrials.pool(t, method="DL", alpha=alpha))
    texts = [x.get_text() for ax in fig.axes for x in ax.texts] + [x.get_text() for x in fig.texts]
    texts += [x.get_text() for ax in fig.axes for x in ax.get_yticklabels()]
    assert any(f"Total ({level} CI)" in x for x in texts), texts
    assert not any("Total (" in x and level not in x for x in texts)

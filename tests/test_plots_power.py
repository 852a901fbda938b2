"""plot_power: the drawn curves are exact_power's values, one styled line per test, no global matplotlib state."""

from __future__ import annotations

import numpy as np
import pytest

import fmtrials
from fmtrials import DataError, plots


def test_power_curves_are_the_exact_power_values():
    import matplotlib
    from matplotlib import _pylab_helpers

    before = matplotlib.rcParams.copy()
    fig = plots.plot_power(0.2, 25, 20, tests=("fisher", "boschloo"), n_grid=11, alternative="greater")
    ax = fig.axes[0]
    grid = np.linspace(0, 1, 11)
    for test in ("fisher", "boschloo"):
        (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == f"power-{test}"]
        expect = fmtrials.exact_power(grid, 0.2, 25, 20, test=test, alternative="greater")["power"] * 100
        np.testing.assert_allclose(line.get_ydata(), expect, rtol=0, atol=1e-12)
    styles = {
        (ln.get_color(), str(ln.get_linestyle())) for ln in ax.get_lines() if str(ln.get_gid()).startswith("power-")
    }
    assert len(styles) == 2  # distinct colour and style per test
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("Fisher (size ") for t in texts) and "alpha = 0.05" in texts
    assert dict(matplotlib.rcParams) == dict(before)
    assert _pylab_helpers.Gcf.get_num_fig_managers() == 0


def test_into_given_axes_and_bad_input():
    fig0 = plots.plot_power(0.3, 10, 10, tests=("chi2",), n_grid=11)
    fig = plots.plot_power(0.3, 10, 10, tests=("chi2",), n_grid=11, ax=fig0.axes[0])
    assert fig is fig0
    for kwargs, column in (({"tests": ("wald",)}, "tests"), ({"tests": ()}, "tests"), ({"n_grid": 3}, "n_grid")):
        with pytest.raises(DataError) as err:
            plots.plot_power(0.3, 10, 10, **kwargs)
        assert err.value.problems[0].column == column
    with pytest.raises(DataError) as err:
        plots.plot_power(1.3, 10, 10)
    assert err.value.problems[0].column == "p_c"

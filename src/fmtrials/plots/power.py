"""Power curves of the 2x2 tests: exact power against the treatment arm's true rate, one line per test.

The curves are :func:`fmtrials.exact_power` (the exact probability of each test's rejection region, nothing
simulated) for one design (n_t, n_c) and one control rate; the horizontal lines mark ``alpha`` and 80% power.
Each test has its own Okabe-Ito colour *and* line style, so the figure survives greyscale printing.

References
----------
* Mehrotra DV, Chan ISF, Berger RL. A cautionary note on exact unconditional inference for a difference between
  two independent binomial proportions. Biometrics 2003, doi:10.1111/1541-0420.00051 (exact size and power of
  Fisher's and the unconditional tests).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import ARGUMENTS, check_int, check_number
from .._vocab import PROPORTIONS_TESTS, Alternative, ProportionsTest, choice
from ..errors import DataError, Problem
from . import _layout as L
from . import _style as S

__all__ = ["plot_power"]

_LINES = {
    "boschloo": (S.OKABE_ITO["blue"], "-"),
    "barnard": (S.OKABE_ITO["bluish_green"], (0, (6, 2))),
    "fisher": (S.OKABE_ITO["vermillion"], (0, (2, 1.5))),
    "chi2": (S.OKABE_ITO["black"], (0, (5, 1.5, 1, 1.5))),
    "yates": (S.OKABE_ITO["reddish_purple"], (0, (1, 1))),
    "score": (S.OKABE_ITO["orange"], (0, (8, 2, 1, 2, 1, 2))),
}
_NAMES = {
    "boschloo": "Boschloo",
    "barnard": "Barnard",
    "fisher": "Fisher",
    "chi2": "Pearson χ²",
    "yates": "Yates χ²",
    "score": "Score (MN)",
}


def plot_power(
    p_c: float,
    n_t: int,
    n_c: int,
    *,
    tests: tuple[ProportionsTest, ...] = ("boschloo", "fisher", "chi2"),
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    n_grid: int = 101,
    ax: Any = None,
    treatment: str = "milnacipran",
    control: str = "placebo",
    title: str | None = None,
) -> Any:
    """Exact power of 2x2 tests against the treatment arm's true rate, for one design and control rate.

    Parameters
    ----------
    p_c : float
        True event rate of the control arm, in [0, 1] (marked on the axis: there power is the test's rejection
        rate under the null hypothesis).
    n_t, n_c : int
        Arm sizes (whole numbers >= 1; the memory limit of :func:`fmtrials.exact_power` applies).
    tests : tuple of str
        Tests of :func:`fmtrials.proportions_test` to draw, one line each (letter case ignored).
    alpha, alternative
        As in :func:`fmtrials.exact_power`.
    n_grid : int
        Treatment rates evaluated, evenly spaced on [0, 1] (at least 11).
    ax : matplotlib Axes, optional
    treatment, control : str
        Arm names for the axis label and the note.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import fmtrials
    >>> fig = fmtrials.plots.plot_power(0.155, 60, 60, tests=("fisher", "chi2"), n_grid=21)
    >>> fig.axes[0].get_ylabel()
    'Exact power (%)'
    """
    methods = [choice(t, PROPORTIONS_TESTS, "tests") for t in (tests if not isinstance(tests, str) else (tests,))]
    if not methods:
        raise DataError(Problem("name at least one test", file=ARGUMENTS, column="tests"))
    pc = check_number(p_c, "p_c", low=0.0, high=1.0)
    grid_n = check_int(n_grid, "n_grid", low=11, high=10_001)
    from ..effects.power import exact_power

    grid = np.linspace(0.0, 1.0, grid_n)
    curves = {m: exact_power(grid, pc, n_t, n_c, test=m, alpha=alpha, alternative=alternative) for m in methods}
    level = float(next(iter(curves.values()))["alpha"].iloc[0])
    from matplotlib.lines import Line2D

    with S.house_style():
        if ax is None:
            from ._figure import new_figure

            fig = new_figure(5.4, 3.3 + (0.25 if title else 0.0))
            h = fig.get_figheight()
            ax = fig.add_axes((0.6 / 5.4, 0.5 / h, 3.2 / 5.4, 2.6 / h))
        else:
            fig = ax.figure
        S.style_axes(ax)
        ax.set_xlim(0, 100)
        ax.set_ylim(0, 100)
        ax.axhline(80, color=S.GREY, lw=0.6, ls=(0, (3, 2)), zorder=1, gid="target-80")
        ax.axhline(level * 100, color=S.GREY, lw=0.6, ls=(0, (1, 2)), zorder=1, gid="alpha-line")
        ax.axvline(pc * 100, color=S.GREY, lw=0.6, zorder=1, gid="control-rate")
        handles = []
        for m, res in curves.items():
            colour, style = _LINES[m]
            size = float(res["size"].iloc[0])
            ax.plot(
                grid * 100, res["power"].to_numpy() * 100, color=colour, ls=style, lw=1.1, zorder=3, gid=f"power-{m}"
            )
            label = f"{_NAMES[m]} (size {size * 100:.2f}%)"
            handles.append(Line2D([], [], color=colour, ls=style, lw=1.1, label=label))
        handles.append(Line2D([], [], color=S.GREY, lw=0.6, ls=(0, (3, 2)), label="80% power"))
        handles.append(Line2D([], [], color=S.GREY, lw=0.6, ls=(0, (1, 2)), label=f"alpha = {level:g}"))
        ax.set_xlabel(
            f"{L.arm_label(treatment)}: true rate (%)", fontsize=S.FONT_SIZE, fontfamily=S.FONT, parse_math=False
        )
        ax.set_ylabel("Exact power (%)", fontsize=S.FONT_SIZE, fontfamily=S.FONT, parse_math=False)
        L.literal_legend(
            ax.legend(
                handles=handles,
                loc="upper left",
                bbox_to_anchor=(1.02, 1.0),
                frameon=False,
                prop={"family": S.FONT, "size": S.SMALL_SIZE},
                borderaxespad=0.0,
            )
        )
        note = f"n = {n_t} vs {n_c}\n{L.arm_label(control)} rate {pc * 100:.1f}%\n{alternative}"
        L.put_text(
            ax,
            1.02,
            0.0,
            note,
            transform=ax.transAxes,
            fontsize=S.SMALL_SIZE,
            va="bottom",
            ha="left",
            color="#333333",
            gid="note",
        )
        if title:
            ax.set_title(
                title, fontsize=S.TITLE_SIZE, fontfamily=S.FONT, fontweight="bold", loc="left", parse_math=False
            )
    return fig

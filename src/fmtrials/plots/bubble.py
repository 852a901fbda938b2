"""Bubble plot of a meta-regression: each study's effect against a numeric moderator (marker area
proportional to its weight in the model), the fitted line and its confidence band (metafor ``regplot``).

For the milnacipran trials this is the dose-response picture: risk ratio against dose (100 vs 200 mg/day).

References
----------
Viechtbauer W. metafor ``regplot.rma`` (bubble plot with the regression line and its confidence band).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._format import format_level, format_number, format_p, measure_name
from .._validation import ARGUMENTS
from .._vocab import RATIO_MEASURES
from ..errors import DataError, Problem
from . import _layout as L
from . import _style as S

__all__ = ["plot_bubble", "bubble_points"]

#: marker area (points²) of the study with the largest weight
MAX_AREA = 400.0


def bubble_points(reg: Any, moderator: str | None = None, n_grid: int = 101) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(points, line): ``label, x, yi, weight, area`` per study and ``x, pred, ci_low, ci_high`` on a grid
    (model scale), computed without matplotlib. Only models with one numeric moderator can be drawn."""
    if not hasattr(reg, "coefficients") or not hasattr(reg, "moderators"):
        raise DataError(
            Problem(f"reg must be a MetaRegression, got {type(reg).__name__}", file=ARGUMENTS, column="reg")
        )
    moderator = moderator or reg.moderators[0]
    if list(reg.coefficients["term"]) != ["intrcpt", moderator]:
        raise DataError(
            Problem(
                "a bubble plot draws a model with one numeric moderator; got terms "
                + ", ".join(reg.coefficients["term"]),
                file=ARGUMENTS,
                column="moderator",
            )
        )
    d = reg.data
    x = d[moderator].to_numpy(dtype=float)
    w = d["weight"].to_numpy(dtype=float)
    pts = pd.DataFrame(
        {
            "label": d["label"].to_numpy(),
            "x": x,
            "yi": d["yi"].to_numpy(dtype=float),
            "weight": w,
            "area": MAX_AREA * w / w.max(),
        }
    )
    pad = 0.1 * (x.max() - x.min())
    grid = np.linspace(x.min() - pad, x.max() + pad, n_grid)
    line = reg.predict(np.column_stack([np.ones(n_grid), grid]))
    line.insert(0, "x", grid)
    return pts, line


def _ratio_y_axis(ax, ys: np.ndarray) -> None:
    """Log y axis with the house ratio ticks (0.5, 1, 2, ...) and 5% padding."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    from ._axis import RATIO_TICKS, RATIO_TICKS_DENSE

    lo, hi = np.log(ys.min()), np.log(ys.max())
    pad = 0.05 * (hi - lo or 1.0)
    lo_y, hi_y = float(np.exp(lo - pad)), float(np.exp(hi + pad))
    ax.set_yscale("log")
    ax.set_ylim(lo_y, hi_y)
    ladder = RATIO_TICKS_DENSE if hi_y / lo_y < 30 else RATIO_TICKS
    ax.yaxis.set_major_locator(FixedLocator([t for t in ladder if lo_y <= t <= hi_y]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_locator(NullLocator())


def plot_bubble(
    reg: Any, *, moderator: str | None = None, ax: Any = None, labels: bool | None = None, title: str | None = None
) -> Any:
    """Bubble plot of a one-moderator meta-regression (effect against moderator, area ∝ weight).

    Parameters
    ----------
    reg : MetaRegression
        From :func:`fmtrials.meta_regression` with one numeric moderator.
    moderator : str, optional
        Its name (default: the model's moderator).
    ax : matplotlib Axes, optional
    labels : bool, optional
        Write study labels next to the bubbles (default: at most 12 studies).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import fmtrials
    >>> from fmtrials.plots import plot_bubble
    >>> reg = fmtrials.meta_regression(fmtrials.contrasts(endpoint="nausea"), "dose_mg_day")
    >>> fig = plot_bubble(reg)
    >>> fig.axes[0].get_xlabel()
    'dose_mg_day'
    """
    pts, line = bubble_points(reg, moderator)
    moderator = moderator or reg.moderators[0]
    ratio = reg.measure in RATIO_MEASURES
    tr = np.exp if ratio else (lambda v: v)
    labels = len(pts) <= 12 if labels is None else labels
    with S.house_style():
        if ax is None:
            from ._figure import new_figure

            fig = new_figure(5.4, 3.5 + (0.25 if title else 0.0))
            h = fig.get_figheight()
            ax = fig.add_axes((0.75 / 5.4, 0.55 / h, 2.85 / 5.4, 2.8 / h))
        else:
            fig = ax.figure
        S.style_axes(ax)
        ax.fill_between(line["x"], tr(line["ci_low"]), tr(line["ci_high"]), color="#DDDDDD", lw=0, zorder=0, gid="band")
        ax.plot(line["x"], tr(line["pred"]), color="black", lw=1.0, zorder=1, gid="fit")
        ax.axhline(1.0 if ratio else 0.0, color="black", lw=0.7, ls=(0, (1, 1.5)), zorder=1, gid="null-line")
        ax.scatter(
            pts["x"],
            tr(pts["yi"]),
            s=pts["area"],
            facecolor=S.OKABE_ITO["blue"],
            edgecolor="white",
            linewidth=0.6,
            alpha=0.85,
            zorder=3,
            gid="bubble",
        )
        if ratio:
            _ratio_y_axis(ax, np.r_[tr(pts["yi"]), tr(line["ci_low"]), tr(line["ci_high"]), 1.0])
        if labels and len(pts):
            L.scatter_labels(
                ax,
                list(zip(pts["x"], tr(pts["yi"]))),
                [L.truncate(v) for v in pts["label"]],
                list(np.sqrt(pts["area"].to_numpy(dtype=float)) / 2),
                size=S.SMALL_SIZE - 0.5,
            )
        ax.set_xlabel(moderator, fontsize=S.FONT_SIZE, fontfamily=S.FONT)
        ax.set_ylabel(
            L.arm_label(measure_name(reg.measure)) + (" (log scale)" if ratio else ""),
            fontsize=S.FONT_SIZE,
            fontfamily=S.FONT,
        )
        slope = reg.coefficients.iloc[1]
        per = f"{'ratio' if ratio else 'difference'} per unit {format_number(float(tr(slope['estimate'])), 4)}"
        note = (
            f"{reg.method}, k = {reg.k}; {per}\n"
            f"slope p {format_p(slope['p_value'])}; band: {format_level(reg.alpha)} CI\n"
            f"bubble area ∝ weight"
        )
        L.put_text(
            ax,
            1.03,
            0.0,
            note,
            transform=ax.transAxes,
            ha="left",
            va="bottom",
            fontsize=S.SMALL_SIZE,
            color="#333333",
            gid="note",
        )
        if title:
            ax.set_title(
                title, fontsize=S.TITLE_SIZE, fontfamily=S.FONT, fontweight="bold", loc="left", parse_math=False
            )
    return fig

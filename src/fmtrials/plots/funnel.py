"""Funnel plot: each comparison's effect against its standard error, with pseudo-confidence limits.

References
----------
* Sterne JAC, Egger M. Funnel plots for detecting bias in meta-analysis. *J Clin Epidemiol* 2001;54:1046-55;
  Cochrane Handbook 5.1 §10.4.3.1 (asymmetry tests need at least 10 studies).
* Viechtbauer W. metafor ``funnel.rma``: pseudo-confidence region ``estimate ± z·SE``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .._format import format_level, format_number, measure_name
from .._validation import check_alpha
from .._vocab import RATIO_MEASURES
from . import _layout as L
from . import _result as R
from . import _style as S
from ._axis import RATIO_TICKS, RATIO_TICKS_DENSE, null_value

__all__ = ["plot_funnel"]

#: fewer comparisons than this: the figure says asymmetry cannot be judged
MIN_STUDIES_ASYMMETRY = 10


def funnel_points(result: Any) -> pd.DataFrame:
    """Studies with a finite effect and SE: ``label, yi, se, dose`` (analysis scale)."""
    frame = R.study_table(result)
    yi = frame["yi"].astype(float).to_numpy()
    se = np.sqrt(frame["vi"].astype(float).to_numpy())
    ok = np.isfinite(yi) & np.isfinite(se)
    dose = (
        pd.to_numeric(frame["dose_mg_day"], errors="coerce").astype(float).to_numpy()
        if "dose_mg_day" in frame.columns
        else np.full(len(frame), np.nan)
    )  # present when pooled by dose
    return pd.DataFrame(
        {"label": [L.truncate(s) for s in frame["label"].to_numpy()[ok]], "yi": yi[ok], "se": se[ok], "dose": dose[ok]}
    )


def _set_axes(ax, measure: str, xs: np.ndarray, treatment: str | None = None) -> None:
    """x limits with 5% padding (log scale with ratio ticks for RR/OR) and axis labels."""
    pad = 0.05 * (xs.max() - xs.min() or 1.0)
    ratio = measure in RATIO_MEASURES
    if ratio:
        from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

        ax.set_xscale("log")
        lo_x, hi_x = math.exp(xs.min() - pad), math.exp(xs.max() + pad)
        ax.set_xlim(lo_x, hi_x)
        ladder = RATIO_TICKS_DENSE if hi_x / lo_x < 30 else RATIO_TICKS
        ax.xaxis.set_major_locator(FixedLocator([t for t in ladder if lo_x <= t <= hi_x]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_ylabel(f"Standard error of log {measure_name(measure)}", fontsize=S.FONT_SIZE, fontfamily=S.FONT)
    else:
        ax.set_xlim(xs.min() - pad, xs.max() + pad)
        ax.set_ylabel("Standard error", fontsize=S.FONT_SIZE, fontfamily=S.FONT)
    versus = f", {L.truncate(treatment)} vs placebo" if treatment else ""
    ax.set_xlabel(
        L.arm_label(measure_name(measure)) + versus + (" (log scale)" if ratio else ""),
        fontsize=S.FONT_SIZE,
        fontfamily=S.FONT,
        parse_math=False,
    )


def _draw_points(ax, pts: pd.DataFrame, tr) -> list:
    """One marker per study (dose colour and shape); returns the legend handles of the doses."""
    from matplotlib.lines import Line2D

    styles_map = S.dose_style([d for d in pts["dose"] if not S.isnan(d)])
    handles, seen = [], set()
    for r in pts.itertuples():
        color, marker = ("#333333", "o") if S.isnan(r.dose) else S.lookup_dose(styles_map, r.dose)
        ax.plot(
            [tr(r.yi)],
            [r.se],
            ls="none",
            marker=marker,
            ms=6,
            color=color,
            mfc=color,
            mec="white",
            mew=0.5,
            zorder=3,
            gid="point",
        )
        if not S.isnan(r.dose) and r.dose not in seen:
            seen.add(r.dose)
            handles.append(Line2D([], [], ls="none", marker=marker, color=color, ms=6, label=L.dose_text(r.dose)))
    return handles


#: significance levels of the contour-enhanced funnel (two-sided p = 0.10, 0.05, 0.01) and their shades
CONTOUR_LEVELS = (0.10, 0.05, 0.01)
CONTOUR_SHADES = ("#FFFFFF", "#E6E6E6", "#C8C8C8", "#A8A8A8")


def _draw_contours(ax, measure: str, tr, se_max: float, xs: np.ndarray) -> list:
    """Shaded regions where a study would be significant at p < 0.10, 0.05, 0.01 (around no effect, metafor
    ``funnel(level=c(90, 95, 99), shade=..., refline=0)``; Peters et al. 2008); returns legend handles."""
    from matplotlib.patches import Patch
    from scipy.stats import norm

    null = 0.0
    s_grid = np.array([0.0, se_max])
    span = float(np.max(np.abs(xs - null))) * 1.2 + 4 * se_max
    handles = []
    zs = [float(norm.ppf(1 - a / 2)) for a in CONTOUR_LEVELS]
    # from outermost (p < 0.01) inwards, each band drawn over the previous one
    a10, a05, a01 = (f"{a:.2f}" for a in CONTOUR_LEVELS)  # the labels say the levels the bands are drawn at
    bands = [
        (np.inf, CONTOUR_SHADES[3], f"p < {a01}"),
        (zs[2], CONTOUR_SHADES[2], f"{a01} < p < {a05}"),
        (zs[1], CONTOUR_SHADES[1], f"{a05} < p < {a10}"),
        (zs[0], CONTOUR_SHADES[0], f"p > {a10}"),
    ]
    for i, (z, shade, label) in enumerate(bands):
        half = np.full(2, span) if i == 0 else z * s_grid  # the outermost band fills the whole panel
        ax.fill_betweenx(s_grid, tr(null - half), tr(null + half), color=shade, lw=0, zorder=0, gid="contour-region")
        handles.append(Patch(facecolor=shade, edgecolor="#999999", lw=0.4, label=label))
    return handles[::-1]


def _draw_filled(ax, filled: Any, tr) -> list:
    """Open markers for the studies imputed by trim-and-fill; returns the legend handle."""
    from matplotlib.lines import Line2D

    f = filled.filled
    ax.plot(
        tr(f["yi"].to_numpy(dtype=float)),
        np.sqrt(f["vi"].to_numpy(dtype=float)),
        ls="none",
        marker="o",
        ms=6,
        mfc="white",
        mec="black",
        mew=0.8,
        zorder=3,
        gid="filled-point",
    )
    ax.axvline(tr(filled.beta), color="black", lw=0.8, ls=(0, (6, 2, 1, 2)), zorder=1, gid="filled-line")
    return [
        Line2D(
            [],
            [],
            ls="none",
            marker="o",
            ms=6,
            mfc="white",
            mec="black",
            mew=0.8,
            label=f"Filled (trim-and-fill, k0 = {filled.k0})",
        ),
        Line2D(
            [],
            [],
            color="black",
            lw=0.8,
            ls=(0, (6, 2, 1, 2)),
            label=f"Adjusted {filled.measure} {format_number(filled.estimate, 2)}",
        ),
    ]


def plot_funnel(
    result: Any,
    *,
    ax: Any = None,
    alpha: float = 0.05,
    labels: bool | None = None,
    title: str | None = None,
    contours: bool = False,
    filled: Any = None,
    treatment: str | None = None,
) -> Any:
    """Funnel plot: each comparison's effect against its standard error, with pseudo-confidence limits.

    The standard-error axis runs downward from 0; the vertical line is the pooled estimate (its model named in
    the legend: give the result of the model the forest plot beside it shows) and the dashed
    funnel is ``estimate ± z·SE`` with ``z`` the ``1 - alpha/2`` normal quantile (metafor ``funnel``), drawn
    on the log scale for ratios (with ratio tick labels). The dotted line is no effect. With fewer than 10
    comparisons the figure says that asymmetry cannot be judged (Cochrane Handbook 5.1 §10.4.3.1).

    Parameters
    ----------
    result : PoolResult
    ax : matplotlib Axes, optional
    alpha : float, default 0.05
        The pseudo-confidence region covers ``1 - alpha``.
    labels : bool, optional
        Write study labels (``result.studies["label"]``) next to the points (default: at most 12 points).
    title : str, optional
    contours : bool, default False
        Contour-enhanced funnel (Peters et al. 2008): shade the regions where a study would be statistically
        significant against no effect at p < 0.10, 0.05 and 0.01 (two-sided z), instead of the pseudo
        confidence region around the pooled estimate.
    filled : TrimFillResult, optional
        From :func:`fmtrials.trim_and_fill` on ``result``: draw the filled studies (open markers) and the
        adjusted estimate (dash-dot line).
    treatment : str, optional
        The name of the treatment, shown on the effect axis (``"Risk ratio, milnacipran vs placebo"``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import fmtrials
    >>> res = fmtrials.pool(fmtrials.contrasts(endpoint="nausea"), measure="RR", method="REML",
    ...                     by="dose_mg_day")
    >>> fig = fmtrials.plot_funnel(res)
    >>> bool(fig.axes[0].yaxis_inverted())
    True
    """
    from matplotlib.lines import Line2D
    from scipy.stats import norm

    R.check_result(result)
    alpha = check_alpha(alpha)
    measure = str(result.measure).upper()
    tr = np.exp if measure in RATIO_MEASURES else (lambda v: v)
    pts = funnel_points(result)
    beta = float(result.beta)
    z = float(norm.ppf(1 - alpha / 2))
    if filled is not None and not hasattr(filled, "k0"):
        from .._validation import ARGUMENTS
        from ..errors import DataError, Problem

        raise DataError(
            Problem(f"filled must be a TrimFillResult, got {type(filled).__name__}", file=ARGUMENTS, column="filled")
        )
    se_all = pts["se"].to_numpy()
    if filled is not None:
        se_all = np.r_[se_all, np.sqrt(filled.filled["vi"].to_numpy(dtype=float))]
    se_max = float(se_all.max()) * 1.1 if len(se_all) else 1.0
    labels = len(pts) <= 12 if labels is None else labels
    with S.house_style():
        if ax is None:
            from ._figure import new_figure

            fig = new_figure(5.4, 3.5 + (0.25 if title else 0.0))
            h = fig.get_figheight()
            ax = fig.add_axes((0.7 / 5.4, 0.5 / h, 2.9 / 5.4, 2.85 / h))
        else:
            fig = ax.figure
        S.style_axes(ax)
        ax.set_ylim(se_max, 0)
        s_grid = np.array([0.0, se_max])
        lo_line, hi_line = beta - z * s_grid, beta + z * s_grid
        extra: list = []
        xs_all = np.r_[pts["yi"].to_numpy(), lo_line, hi_line, 0.0]
        if filled is not None:
            xs_all = np.r_[xs_all, filled.filled["yi"].to_numpy(dtype=float)]
        if contours:
            extra = _draw_contours(ax, measure if measure in RATIO_MEASURES else "RD", tr, se_max, xs_all)
        else:
            ax.fill_betweenx(s_grid, tr(lo_line), tr(hi_line), color="#EEEEEE", lw=0, zorder=0, gid="funnel-region")
        for line in (lo_line, hi_line):
            ax.plot(tr(line), s_grid, color=S.GREY, lw=0.8, ls=(0, (4, 2)), zorder=1, gid="funnel-limit")
        ax.axvline(tr(beta), color="black", lw=0.8, zorder=1, gid="pooled-line")
        ax.axvline(null_value(measure), color="black", lw=0.7, ls=(0, (1, 1.5)), zorder=1, gid="null-line")
        handles = [
            Line2D(
                [],
                [],
                color="black",
                lw=0.8,
                label=f"Pooled {measure} {format_number(result.estimate, 2)}\n{R.model_name(result)}",
            ),
            Line2D([], [], color=S.GREY, lw=0.8, ls=(0, (4, 2)), label=f"Pseudo {format_level(alpha)} limits"),
            Line2D([], [], color="black", lw=0.7, ls=(0, (1, 1.5)), label="No effect"),
        ]
        handles += _draw_points(ax, pts, tr)
        if filled is not None:
            handles += _draw_filled(ax, filled, tr)
        handles += extra
        _set_axes(ax, measure, xs_all, treatment)
        if labels and len(pts):
            xy = list(zip(tr(pts["yi"].to_numpy()), pts["se"].to_numpy()))
            L.scatter_labels(ax, xy, list(pts["label"]), [3.0] * len(pts), size=S.SMALL_SIZE - 0.5)
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
        if len(pts) < MIN_STUDIES_ASYMMETRY:
            L.put_text(
                ax,
                1.02,
                0.0,
                f"k = {len(pts)}: too few studies\nto judge asymmetry\n({MIN_STUDIES_ASYMMETRY} or more needed)",
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

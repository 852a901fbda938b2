"""Baujat plot: each study's contribution to the heterogeneity (x) against its influence on the pooled result
(y), as metafor ``baujat`` (the points are :func:`fmtrials.meta.baujat_points`).

References
----------
Baujat B, Mahé C, Pignon JP, Hill C (2002). A graphical method for exploring heterogeneity in meta-analyses:
application to a meta-analysis of 65 trials. Stat Med 21:2641-2652.
"""

from __future__ import annotations

from typing import Any

from . import _layout as L
from . import _style as S

__all__ = ["plot_baujat", "MAX_KEY"]

#: the key of study numbers is written for at most this many studies
MAX_KEY = 30


def plot_baujat(result: Any, *, ax: Any = None, title: str | None = None) -> Any:
    """Baujat plot of a pooled result (k >= 3): each study is drawn as its number (its row among the pooled
    studies, as metafor's default ``symbol="ids"``), with a key of the numbers beside the panel (up to
    :data:`MAX_KEY` studies).

    Examples
    --------
    >>> import fmtrials
    >>> from fmtrials.plots import plot_baujat
    >>> res = fmtrials.pool(fmtrials.contrasts(endpoint="nausea"), method="DL", warn_shared=False)
    >>> fig = plot_baujat(res)
    >>> fig.axes[0].get_ylabel()
    'Influence on overall result'
    """
    from ..meta.casewise import baujat_points

    pts = baujat_points(result)
    common = str(result.model) != "random"
    with S.house_style():
        if ax is None:
            from ._figure import new_figure

            fig = new_figure(5.6, 3.4 + (0.25 if title else 0.0))
            h = fig.get_figheight()
            ax = fig.add_axes((0.7 / 5.6, 0.55 / h, 3.0 / 5.6, 2.7 / h))
        else:
            fig = ax.figure
        S.style_axes(ax)
        for i, r in enumerate(pts.itertuples(), start=1):
            ax.text(
                r.x,
                r.y,
                str(i),
                ha="center",
                va="center",
                fontsize=S.SMALL_SIZE,
                fontfamily=S.FONT,
                color=S.OKABE_ITO["blue"],
                fontweight="bold",
                gid="point",
            )
        if len(pts) <= MAX_KEY:
            key = "\n".join(f"{i:>2}  {L.truncate(lab)}" for i, lab in enumerate(pts["label"], start=1))
            L.put_text(
                ax,
                1.03,
                1.0,
                key,
                transform=ax.transAxes,
                ha="left",
                va="top",
                fontsize=S.SMALL_SIZE - 0.5,
                color="#333333",
                gid="key",
            )
        for lim, vals in ((ax.set_xlim, pts["x"].to_numpy()), (ax.set_ylim, pts["y"].to_numpy())):
            span = float(vals.max() - vals.min()) or max(float(abs(vals.max())), 1.0)
            lim(min(0.0, float(vals.min())) - 0.06 * span, float(vals.max()) + 0.08 * span)  # text sets no limits
        ax.set_xlabel(
            "Contribution to overall heterogeneity" if common else "Squared Pearson residual",
            fontsize=S.FONT_SIZE,
            fontfamily=S.FONT,
        )
        ax.set_ylabel("Influence on overall result", fontsize=S.FONT_SIZE, fontfamily=S.FONT)
        if title:
            ax.set_title(
                title, fontsize=S.TITLE_SIZE, fontfamily=S.FONT, fontweight="bold", loc="left", parse_math=False
            )
    return fig

"""Figures of a network meta-analysis (:class:`fmtrials.NetworkResult`): the network graph, a forest of every
treatment against one reference, and the league table as a heat map. Okabe–Ito colours; each returns its Figure.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._format import format_level
from . import _style as S
from ._axis import auto_xlim, set_effect_axis

__all__ = ["plot_network", "plot_network_forest", "plot_league"]

_RATIO = ("RR", "OR")


def _edges(result: Any) -> dict[tuple[str, str], int]:
    """Number of studies comparing each pair directly (a multi-arm study counts for every pair of its arms)."""
    out: dict[tuple[str, str], int] = {}
    for design, studies in result.designs.items():
        ts = design.split(":")
        for i, a in enumerate(ts):
            for b in ts[i + 1 :]:
                out[(a, b)] = out.get((a, b), 0) + len(studies)
    return out


def _house_fonts(owner: Any, axes: list[Any]) -> None:
    """The house font named on every text of ``owner`` (our figure, or the caller's axes) and the tick labels
    of ``axes`` (as :func:`_style.style_axes` does), so the SVG names one font family like the other figures
    (tick labels are made at draw time, outside the style context)."""
    from matplotlib.text import Text

    for t in owner.findobj(Text):
        t.set_fontfamily(S.FONT)
    for ax in axes:
        ax.tick_params(labelfontfamily=S.FONT)


def _drug(treatment: str) -> str:
    """The drug a treatment node names: its first word ("pregabalin 300" and "pregabalin" -> "pregabalin")."""
    return treatment.split()[0].lower() if treatment.split() else treatment


def _colours(treatments: list[str]) -> dict[str, str]:
    """One colour per drug, not per node, so that a drug keeps its colour in the per-dose graph and forest and
    in the per-drug forest (doses of one drug share it; their labels tell them apart); placebo in the placebo
    colour. Drugs take the Okabe–Ito colours in alphabetical order.

    >>> c = _colours(["placebo", "pregabalin 300", "pregabalin 450", "duloxetine 60"])
    >>> c["pregabalin 300"] == c["pregabalin 450"] == _colours(["pregabalin", "duloxetine"])["pregabalin"]
    True
    """
    palette = [v for k, v in S.OKABE_ITO.items() if k not in ("black", "yellow")]
    drugs = sorted({_drug(t) for t in treatments if t.lower() != "placebo"})
    hue = {d: palette[i % len(palette)] for i, d in enumerate(drugs)}
    return {t: S.PLACEBO_COLOR if t.lower() == "placebo" else hue[_drug(t)] for t in treatments}


def plot_network(result: Any, *, ax: Any = None, title: str | None = None) -> Any:
    """The network graph: treatments on a circle, node area proportional to patients randomized to the
    treatment, edge width proportional to the number of trials comparing the two directly (labelled).

    Examples
    --------
    >>> import fmtrials
    >>> from fmtrials.plots import plot_network
    >>> fig = plot_network(fmtrials.comparator_network().by_dose)
    >>> len(fig.axes)
    1
    """
    ts = [result.reference] + [t for t in result.treatments if t != result.reference]
    angle = {t: math.pi / 2 - 2 * math.pi * i / len(ts) for i, t in enumerate(ts)}
    xy = {t: (math.cos(a), math.sin(a)) for t, a in angle.items()}
    colour = _colours(ts)
    with S.house_style():
        if ax is None:
            from ._figure import new_figure

            fig = new_figure(4.6, 4.2 + (0.25 if title else 0.0))
            ax = fig.add_axes((0.02, 0.02, 0.96, 0.9 if title else 0.96))
        else:
            fig = ax.figure
        edges = _edges(result)
        top = max(edges.values()) if edges else 1
        for (a, b), k in sorted(edges.items()):
            (x0, y0), (x1, y1) = xy[a], xy[b]
            ax.plot([x0, x1], [y0, y1], color=S.GREY, lw=0.8 + 4.0 * k / top, solid_capstyle="round", zorder=1)
            ax.text(
                (x0 + x1) / 2,
                (y0 + y1) / 2,
                str(k),
                fontsize=S.SMALL_SIZE,
                ha="center",
                va="center",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
                zorder=3,
            )
        pts = np.array([result.n_patients.get(t, 0.0) for t in ts], dtype=float)
        area = 80 + 900 * pts / max(pts.max(), 1.0)
        for t, s in zip(ts, area):
            ax.scatter(*xy[t], s=s, color=colour[t], edgecolor="white", linewidth=0.8, zorder=2)
            x, y = xy[t]
            r = 1.12 + 0.012 * math.sqrt(s)  # beyond the node (its radius in points, roughly in data units)
            ha = "center" if abs(x) < 0.3 else ("left" if x > 0 else "right")
            va = "center" if ha != "center" else ("bottom" if y > 0 else "top")
            ax.text(
                r * x,
                r * y,
                f"{t}\n(n = {result.n_patients.get(t, 0):,.0f})",
                ha=ha,
                va=va,
                fontsize=S.SMALL_SIZE,
                zorder=3,
            )
        ax.set_xlim(-2.2, 2.2)
        ax.set_ylim(-1.75, 1.85)
        ax.set_aspect("equal")
        ax.axis("off")
        if title:
            ax.set_title(title)
        _house_fonts(ax, [ax])
    return fig


def plot_network_forest(result: Any, *, reference: str | None = None, ax: Any = None, title: str | None = None) -> Any:
    """Every treatment against ``reference`` (default the network's): estimate, confidence interval (thick)
    and prediction interval (thin), on a log axis for ratios.

    Examples
    --------
    >>> import fmtrials
    >>> from fmtrials.plots import plot_network_forest
    >>> fig = plot_network_forest(fmtrials.comparator_network().by_dose, reference="milnacipran 100")
    >>> fig.axes[0].get_xscale()
    'log'
    """
    rel = result.relative_effects(reference=reference)
    ref = result.reference if reference is None else reference
    ratio = result.measure in _RATIO
    colour = _colours(list(result.treatments))
    with S.house_style():
        h = 0.9 + 0.32 * len(rel) + (0.25 if title else 0.0)
        if ax is None:
            from ._figure import new_figure

            fig = new_figure(5.2, h)
            ax = fig.add_axes((1.45 / 5.2, 0.65 / h, 3.5 / 5.2, (h - 0.8 - (0.25 if title else 0)) / h))
        else:
            fig = ax.figure
        S.style_axes(ax)
        y = np.arange(len(rel))[::-1]
        for yi, r in zip(y, rel.itertuples()):
            c = colour[r.treatment]
            ax.plot([r.pi_low, r.pi_high], [yi, yi], color=c, lw=0.7, alpha=0.6)
            ax.plot([r.ci_low, r.ci_high], [yi, yi], color=c, lw=2.2)
            ax.plot([r.estimate], [yi], marker="s", color=c, ms=5, mec="white", mew=0.5)
        ax.axvline(1.0 if ratio else 0.0, color=S.PLACEBO_COLOR, lw=0.6, ls="--")
        values = np.concatenate([rel.pi_low.to_numpy(float), rel.pi_high.to_numpy(float)])
        set_effect_axis(ax, result.measure, auto_xlim(result.measure, values))
        ax.set_yticks(y)
        ax.set_yticklabels(list(rel.treatment))
        ax.set_ylim(-0.7, len(rel) - 0.3)
        name = {"RR": "Risk ratio", "OR": "Odds ratio", "RD": "Risk difference"}[result.measure]
        ax.set_xlabel(f"{name} against {ref}\n(thick: {format_level(result.alpha)} CI; thin: prediction interval)")
        if title:
            ax.set_title(title)
    return fig


def plot_league(result: Any, *, ax: Any = None, title: str | None = None, benefit: str | None = None) -> Any:
    """The league table as a heat map: cell (row, column) is the row treatment against the column treatment
    (the comparator), coloured by the log ratio (diverging purple-orange, white at no difference), with the
    estimate and interval; a colour bar and a caption under the map say so. ``benefit``: what a larger effect
    means (e.g. ``"more responders"``), named in the caption.

    Examples
    --------
    >>> import fmtrials
    >>> from fmtrials.plots import plot_league
    >>> fig = plot_league(fmtrials.comparator_network().by_dose)
    >>> len(fig.axes[0].texts) == 6 * 5
    True
    """
    from matplotlib.colors import TwoSlopeNorm

    from .._format import format_number as f

    ts = list(result.treatments)
    lg = result.league().set_index(["treatment", "versus"])
    ratio = result.measure in _RATIO
    m = np.full((len(ts), len(ts)), np.nan)
    for i, a in enumerate(ts):
        for j, b in enumerate(ts):
            if a != b:
                e = lg.loc[(a, b), "estimate"]
                m[i, j] = math.log(e) if ratio else e
    lim = float(np.nanmax(np.abs(m))) or 1.0
    name = {"RR": "risk ratio", "OR": "odds ratio", "RD": "risk difference"}[result.measure]
    null = "1" if ratio else "0"
    more = benefit or "a larger effect"
    caption = (
        f"Each cell: the row treatment against the column treatment (the comparator), {name} "
        f"[{format_level(result.alpha)} CI].\n{name.capitalize()} above {null} (purple): {more} with the row "
        f"treatment; below {null} (orange): {more} with the column treatment."
    )
    with S.house_style():
        size = 1.4 + 0.95 * len(ts)
        if ax is None:
            from ._figure import new_figure

            foot = 0.75
            fig = new_figure(size + 1.3, size + foot + (0.25 if title else 0.0))
            h = size + foot + (0.25 if title else 0.0)
            ax = fig.add_axes((1.3 / (size + 1.3), (0.2 + foot) / h, (size - 1.3) / (size + 1.3), (size - 1.5) / h))
            cax = fig.add_axes(((size + 0.15) / (size + 1.3), (0.2 + foot) / h, 0.12 / (size + 1.3), (size - 1.5) / h))
            fig.text(0.02, 0.03, caption, fontsize=S.FONT_SIZE, ha="left", va="bottom", wrap=False)
        else:
            fig, cax = ax.figure, None
        img = ax.imshow(m, cmap="PuOr", norm=TwoSlopeNorm(0.0, -lim, lim))
        if cax is not None:
            from matplotlib.ticker import FuncFormatter

            cb = fig.colorbar(img, cax=cax)
            cb.set_label(f"{name} (log scale)" if ratio else name, fontsize=S.SMALL_SIZE)
            if ratio:  # ticks at round ratios, labelled on the ratio scale
                nice = (0.25, 0.33, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0)
                cb.set_ticks([math.log(v) for v in nice if abs(math.log(v)) <= lim])
                cb.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f(math.exp(v), 2)))
            cb.ax.tick_params(labelsize=S.SMALL_SIZE - 1)
        for i, a in enumerate(ts):
            for j, b in enumerate(ts):
                if a == b:
                    continue
                r = lg.loc[(a, b)]
                ax.text(
                    j,
                    i,
                    f"{f(r.estimate, 2)}\n({f(r.ci_low, 2)}–{f(r.ci_high, 2)})",
                    ha="center",
                    va="center",
                    fontsize=S.FONT_SIZE,
                    color="white" if abs(m[i, j]) > 0.55 * lim else "black",
                )
        ax.set_xticks(range(len(ts)))
        ax.set_xticklabels(ts, rotation=30, ha="left")
        ax.xaxis.tick_top()
        ax.set_yticks(range(len(ts)))
        ax.set_yticklabels(ts)
        ax.set_xlabel("column: comparator", labelpad=4)
        ax.set_ylabel("row: treatment")
        for s in ax.spines.values():
            s.set_visible(False)
        ax.tick_params(length=0)
        if title:
            ax.set_title(title, pad=40)
        _house_fonts(fig if cax is not None else ax, [ax] + ([cax] if cax is not None else []))
    return fig

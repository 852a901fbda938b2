"""L'Abbé plot: the treatment arm's event rate against its control arm's, one point per comparison.

References
----------
* L'Abbé KA, Detsky AS, O'Rourke K. Meta-analysis in clinical research. *Ann Intern Med* 1987;107:224-33.
* Viechtbauer W. metafor ``labbe.rma``: lines for a pooled risk ratio, odds ratio or risk difference.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .._format import format_number
from .._validation import ARGUMENTS, frame_counts
from .._vocab import COUNT_COLUMNS, renamed_args
from ..errors import DataError, Problem
from . import _layout as L
from . import _result as R
from . import _style as S

__all__ = ["plot_labbe"]

_LABBE_MAX = 260.0  # points², area of the largest comparison


def _point_labels(t: pd.DataFrame) -> list[str]:
    """The ``label`` column (a PoolResult's unique labels), else ``study`` told apart by dose, else ``#i``."""
    if "label" in t.columns:
        return [str(v) for v in t["label"]]
    if "study" not in t.columns:
        return [f"#{i + 1}" for i in range(len(t))]
    labels = t["study"].astype(str).tolist()
    if len(set(labels)) < len(labels) and "dose_mg_day" in t.columns:
        labels = [f"{s}, {L.dose_short(v)}" for s, v in zip(labels, t["dose_mg_day"])]
    return labels


def count_table(table: Any) -> pd.DataFrame:
    """Complete 2x2 rows of ``table`` (a DataFrame or a PoolResult's studies): ``label, x1, m1, x2, m2, dose``."""
    if hasattr(table, "studies") and hasattr(table, "measure"):
        table = R.study_table(table)
    if not isinstance(table, pd.DataFrame):
        raise DataError(
            Problem(
                f"table must be a DataFrame or PoolResult, got {type(table).__name__}", file=ARGUMENTS, column="table"
            )
        )
    missing = [c for c in COUNT_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(Problem("table lacks column(s): " + ", ".join(missing), file="<DataFrame>"))
    keep = table[list(COUNT_COLUMNS)].notna().all(axis=1).to_numpy()
    t = table.loc[keep].reset_index(drop=True)
    x1, m1, x2, m2 = frame_counts(t, rows=np.flatnonzero(keep) + 1)
    dose = (
        pd.to_numeric(t["dose_mg_day"], errors="coerce").astype(float).to_numpy()
        if "dose_mg_day" in t.columns
        else np.full(len(t), np.nan)
    )
    return pd.DataFrame(
        {"label": [L.truncate(s) for s in _point_labels(t)], "x1": x1, "m1": m1, "x2": x2, "m2": m2, "dose": dose}
    )


def pooled_curve(measure: str, est: float, p_c: np.ndarray) -> np.ndarray:
    """Treatment rate implied by a pooled RR, OR or RD at control rates ``p_c``.

    Examples
    --------
    >>> pooled_curve("RR", 2.0, np.array([0.1, 0.2])).tolist()
    [0.2, 0.4]
    >>> pooled_curve("OR", 1.0, np.array([0.3])).tolist()
    [0.3]
    """
    if measure == "RR":
        return est * p_c
    if measure == "OR":
        return est * p_c / (1 - p_c + est * p_c)
    return p_c + est


def _beyond(ax, x: float, y: float, top: float, color: str) -> tuple[float, float]:
    """Draw an arrow head on the axes edge for a point beyond ``top`` (right, up, or up-right) and return the
    position on the edge, where the point itself is then drawn (the axes clip its outer half)."""
    angle = -45.0 if (x > top and y > top) else (-90.0 if x > top else 0.0)
    ex, ey = min(x, top), min(y, top)
    ax.plot([ex], [ey], ls="none", marker=(3, 0, angle), ms=8, color=color, clip_on=False, zorder=4, gid="arrow")
    return ex, ey


def _draw_points(ax, t: pd.DataFrame, p_c: np.ndarray, p_t: np.ndarray, treatment: str, labels: bool) -> list:
    """One point per comparison (area ∝ total n); returns the legend handles of the doses drawn."""
    from matplotlib.lines import Line2D

    n_tot = (t["m1"] + t["m2"]).to_numpy(dtype=float)
    sizes = _LABBE_MAX * n_tot / (float(n_tot.max()) if len(t) else 1.0)
    styles_map = S.dose_style([d for d in t["dose"] if not S.isnan(d)])
    handles, seen, pending = [], set(), []
    key: tuple[Any, ...]
    top = float(ax.get_xlim()[1])
    for i, dose in enumerate(t["dose"]):
        if S.isnan(dose):
            (color, marker), key, lab = ("#333333", "o"), ("unknown",), L.arm_label(L.truncate(treatment))
        else:
            (color, marker), key, lab = S.lookup_dose(styles_map, dose), (float(dose),), L.dose_text(dose)
        x, y = p_c[i] * 100, p_t[i] * 100
        if x > top or y > top:  # beyond the axes: an arrow head on the edge, pointing where the point lies
            x, y = _beyond(ax, x, y, top, color)
        ax.scatter(
            [x],
            [y],
            s=[sizes[i]],
            marker=marker,
            color=color,
            alpha=0.85,
            edgecolors="white",
            linewidths=0.6,
            zorder=3,
            gid="point",
        )
        if key not in seen:
            seen.add(key)
            handles.append(Line2D([], [], ls="none", marker=marker, color=color, ms=6, label=lab))
        if labels:
            pending.append((t["label"].iloc[i], x, y, math.sqrt(sizes[i]) / 2))
    if pending:
        texts, xs, ys, radii = zip(*pending)
        L.scatter_labels(ax, list(zip(xs, ys)), texts, radii, size=S.SMALL_SIZE - 0.5)
    return handles


@renamed_args(arms=("control", "treatment"))
def plot_labbe(
    table: Any,
    *,
    result: Any = None,
    ax: Any = None,
    outcome: str = "responders",
    treatment: str = "milnacipran",
    control: str = "placebo",
    labels: bool | None = None,
    lim: float | None = None,
    title: str | None = None,
) -> Any:
    """L'Abbé plot: the treatment arm's event rate against its placebo arm's, one point per comparison.

    The point *area* is proportional to the comparison's total n; colour and marker give the dose as in the
    other fmtrials figures. The diagonal is the line of no effect; with ``result`` the pooled effect is drawn
    as the curve it implies (``p_t = RR·p_c`` for a risk ratio, the odds-ratio curve, or ``p_t = p_c + RD``).

    Parameters
    ----------
    table : DataFrame or PoolResult
        Columns ``events_t, n_t, events_c, n_c`` (as from :func:`fmtrials.contrasts`), optional ``label``,
        ``study`` and ``dose_mg_day``; a PoolResult's own studies (and unique labels) are used when one is
        given.
    result : PoolResult, optional
        Draw its pooled effect (the legend names its model; give the model of the forest plot beside it).
    ax : matplotlib Axes, optional
    outcome : str, default "responders"
        What the rates count, for the axis labels (e.g. ``"with nausea"``).
    treatment, control : str, default "milnacipran", "placebo"
        Names of the treatment and control arms for the axis labels (the previous release's
        ``arms=(control, treatment)`` is accepted with a DeprecationWarning).
    labels : bool, optional
        Write study names next to the points (default: when there are at most 12 points).
    lim : float, optional
        Upper limit of both axes, as a proportion; just above the highest rate by default.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import fmtrials
    >>> fig = fmtrials.plot_labbe(fmtrials.contrasts(endpoint="nausea"), outcome="with nausea")
    >>> fig.axes[0].get_xlabel()
    'Placebo: % with nausea'
    """
    t = count_table(table)
    if result is not None:
        R.check_result(result)
    p_t, p_c = (t["x1"] / t["m1"]).to_numpy(), (t["x2"] / t["m2"]).to_numpy()
    if lim is None:
        top = float(max(p_t.max(), p_c.max())) if len(t) else 0.5
        lim = min(1.0, math.ceil((top + 0.04) * 10) / 10)
    labels = len(t) <= 12 if labels is None else labels
    from matplotlib.lines import Line2D

    with S.house_style():
        if ax is None:
            from ._figure import new_figure

            fig = new_figure(5.4, 3.7 + (0.25 if title else 0.0))
            h = fig.get_figheight()
            ax = fig.add_axes((0.6 / 5.4, 0.5 / h, 2.9 / 5.4, 2.9 / h))
        else:
            fig = ax.figure
        S.style_axes(ax)
        ax.set_xlim(0, lim * 100)
        ax.set_ylim(0, lim * 100)
        ax.set_aspect("equal", adjustable="box")
        ax.plot([0, lim * 100], [0, lim * 100], color="black", lw=0.7, zorder=1, gid="null-line", label="No effect")
        handles = [Line2D([], [], color="black", lw=0.7, label="No effect")]
        if result is not None:
            measure = str(result.measure).upper()
            grid = np.linspace(0, lim, 201)
            curve = pooled_curve(measure, float(result.estimate), grid)
            ok = (curve >= 0) & (curve <= lim)
            ax.plot(grid[ok] * 100, curve[ok] * 100, color=S.GREY, lw=1.0, ls=(0, (4, 2)), zorder=1, gid="pooled-line")
            handles.append(
                Line2D(
                    [],
                    [],
                    color=S.GREY,
                    lw=1.0,
                    ls=(0, (4, 2)),
                    label=f"Pooled {measure} = {format_number(result.estimate, 2)}\n{R.model_name(result)}",
                )
            )
        handles += _draw_points(ax, t, p_c, p_t, treatment, labels)
        ax.set_xlabel(f"{L.arm_label(control)}: % {outcome}", fontsize=S.FONT_SIZE, fontfamily=S.FONT, parse_math=False)
        ax.set_ylabel(
            f"{L.arm_label(treatment)}: % {outcome}", fontsize=S.FONT_SIZE, fontfamily=S.FONT, parse_math=False
        )
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
        L.put_text(
            ax,
            1.02,
            0.0,
            "Area ∝ total n",
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

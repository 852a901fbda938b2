"""Forest plot of a pooled result, RevMan/metafor style.

The rows are computed without matplotlib (:func:`fmtrials.plots.forest_rows`, then :func:`forest_lines`
turns them into the lines of the figure: headings, studies, subtotals, notes, total, prediction interval);
:func:`plot_forest` only draws them.

References
----------
* Deeks JJ, Higgins JPT. *Statistical algorithms in Review Manager 5* (2010): layout (events/total per arm,
  weights, subtotal and total diamonds, heterogeneity and overall-effect lines).
* Viechtbauer W. metafor ``forest.rma``: prediction interval under the summary diamond, arrows for intervals
  beyond the axis limits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._format import format_level, measure_name
from .._validation import ARGUMENTS, check_int, check_text
from .._vocab import CONTINUOUS_MEASURES, EVENTS, RATIO_MEASURES, Event, choice, renamed_args
from ..errors import DataError, Problem
from . import _layout as L
from . import _result as R
from . import _style as S
from ._axis import auto_xlim, null_value, set_effect_axis
from ._forest_text import MAX_STUDIES, Line, effect_label, forest_footer, forest_lines, mh_zero_weight_note

__all__ = ["plot_forest", "forest_lines", "mh_zero_weight_note", "MAX_STUDIES"]

_SQUARE_MAX = 90.0  # points², area of the heaviest study's square
_SQUARE_MIN = 4.0


def _table(
    lines: list[Line], measure: str, alpha: float, control: str, treatment: str, unit: str | None = None
) -> L.Table:
    col = list(zip(*[ln.cells for ln in lines]))
    ci = f"{format_level(alpha)} CI"
    arm = "N" if measure in CONTINUOUS_MEASURES else "events/total"
    name = effect_label(measure, unit) if measure in CONTINUOUS_MEASURES else L.arm_label(measure_name(measure))
    return L.Table(
        left=[
            L.Column("Study", list(col[0])),
            L.Column(f"{L.arm_label(treatment)}\n{arm}", list(col[1]), "right"),
            L.Column(f"{L.arm_label(control)}\n{arm}", list(col[2]), "right"),
        ],
        right=[
            L.Column("Weight", list(col[3]), "right"),
            L.Column(f"{name}\n[{ci}]", list(col[4]), "right"),
        ],
        styles=[ln.style for ln in lines],
        spans={i: ln.span for i, ln in enumerate(lines) if ln.span},
    )


def _xlim(lines: list[Line], measure: str, xlim: tuple[float, float] | None) -> tuple[float, float]:
    null = null_value(measure)
    if xlim is None:
        vals = np.array([v for ln in lines if ln.kind for v in (ln.ci_low, ln.ci_high)], dtype=float)
        xlim = auto_xlim(measure, vals)
    xlim = (float(xlim[0]), float(xlim[1]))
    if measure in RATIO_MEASURES and (xlim[0] <= 0 or xlim[1] <= 0):
        raise DataError(Problem("xlim must be positive for a ratio measure", file=ARGUMENTS, column="xlim"))
    if not xlim[0] < null < xlim[1]:
        xlim = (min(xlim[0], null * 0.9 if null else -0.05), max(xlim[1], null * 1.1 if null else 0.05))
    return xlim


# ============================================================================================== drawing


def _interval(ax, lo: float, hi: float, y: float, xlim, color: str, lw: float = 1.0, gid: str = "ci") -> None:
    """A horizontal interval, clipped to the axis limits with an arrow head where it is cut."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return
    a, b = max(lo, xlim[0]), min(hi, xlim[1])
    if a >= b:
        return
    ax.plot([a, b], [y, y], color=color, lw=lw, solid_capstyle="butt", zorder=2, gid=gid)
    _cut_arrows(ax, lo, hi, y, xlim, color, gid="arrow")


def _diamond(ax, est: float, lo: float, hi: float, y: float, color: str, gid: str, xlim=None) -> None:
    """A summary diamond; where it runs beyond the axis it is cut at the axis edge, which then carries an
    outward arrow head (``gid="arrow-<gid>"``) so a truncated interval never passes for a short one."""
    from matplotlib.patches import Polygon

    ax.add_patch(
        Polygon(
            [(lo, y), (est, y - 0.38), (hi, y), (est, y + 0.38)],
            closed=True,
            facecolor=color,
            edgecolor=color,
            lw=0.6,
            zorder=4,
            gid=gid,
        )
    )
    if xlim is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return
    _cut_arrows(ax, lo, hi, y, xlim, color, gid=f"arrow-{gid}", outward=True)


def _cut_arrows(ax, lo: float, hi: float, y: float, xlim, color: str, *, gid: str, outward: bool = False) -> None:
    """An arrow head at each axis edge that cuts [lo, hi] (outward and larger on a summary diamond)."""
    for cut, side, x in ((lo < xlim[0], "left", xlim[0]), (hi > xlim[1], "right", xlim[1])):
        if cut:
            ax.plot(
                [x],
                [y],
                ls="none",
                marker=L.tip_marker(side, outward=True) if outward else L.tip_marker(side),
                ms=7 if outward else 6,
                color=color,
                mew=0,
                zorder=5 if outward else 3,
                clip_on=False,
                gid=gid,
            )


def _square_area(w: float, w_max: float) -> float:
    """Marker area (points²) proportional to the weight, with a floor so tiny weights stay visible."""
    return max(_SQUARE_MIN, _SQUARE_MAX * w / w_max) if w_max > 0 else _SQUARE_MIN


def _draw_marks(ax, lines: list[Line], xlim: tuple[float, float]) -> None:
    """Squares with intervals for studies, diamonds for subtotals and total, the prediction bar."""
    doses = [ln.dose for ln in lines if ln.kind in ("study", "subgroup") and math.isfinite(ln.dose)]
    styles_map = S.dose_style(doses)
    w_max = max((ln.weight for ln in lines if ln.kind == "study" and math.isfinite(ln.weight)), default=1.0)
    for y, ln in enumerate(lines):
        dose_color = S.lookup_dose(styles_map, ln.dose)[0] if math.isfinite(ln.dose) else None
        if ln.kind == "study":
            _interval(ax, ln.ci_low, ln.ci_high, y, xlim, "black", lw=0.9)
            if math.isfinite(ln.estimate) and math.isfinite(ln.weight) and xlim[0] <= ln.estimate <= xlim[1]:
                ax.scatter(
                    [ln.estimate],
                    [y],
                    s=[_square_area(ln.weight, w_max)],
                    marker="s",
                    color=dose_color or "#333333",
                    edgecolors="none",
                    zorder=3,
                    gid="square",
                )
        elif ln.kind in ("subgroup", "overall"):
            color = "black" if ln.kind == "overall" else (dose_color or S.GREY)
            _diamond(ax, ln.estimate, ln.ci_low, ln.ci_high, y, color, gid=f"diamond-{ln.kind}", xlim=xlim)
        elif ln.kind == "prediction":
            _interval(ax, ln.ci_low, ln.ci_high, y, xlim, S.GREY, lw=2.2, gid="prediction")
            for x in (ln.ci_low, ln.ci_high):
                if xlim[0] <= x <= xlim[1]:
                    ax.plot([x, x], [y - 0.22, y + 0.22], color=S.GREY, lw=1.0, zorder=2, gid="prediction-cap")


def _draw_favours(ax, null: float, left: str, right: str) -> None:
    """ "Favours ..." labels under the axis, either side of the null line."""
    for text, side in ((f"Favours {left}", "right"), (f"Favours {right}", "left")):
        ax.annotate(
            text,
            xy=(null, 0.0),
            xycoords=("data", "axes fraction"),
            xytext=(-5 if side == "right" else 5, -20),
            textcoords="offset points",
            ha=side,
            va="top",
            fontsize=S.SMALL_SIZE,
            fontfamily=S.FONT,
            gid="favours",
            annotation_clip=False,
            parse_math=False,
        )


def _draw_effect_header(ax, measure: str, alpha: float, unit: str | None = None) -> None:
    from matplotlib.transforms import ScaledTranslation

    text = f"{L.arm_label(measure_name(measure))}\n[{format_level(alpha)} CI]"
    if measure in CONTINUOUS_MEASURES:  # the name, then its unit with the level (a narrower header)
        name, _, rest = effect_label(measure, unit).partition(" (")
        text = f"{name}\n({rest} [{format_level(alpha)} CI]"
    L.put_text(
        ax,
        0.5,
        1.0,
        text,
        transform=ax.transAxes + ScaledTranslation(0, 0.06, ax.figure.dpi_scale_trans),
        ha="center",
        va="bottom",
        fontsize=S.FONT_SIZE,
        fontweight="bold",
        gid="header",
    )


@renamed_args(favours=("control", "treatment"))
def plot_forest(
    result: Any,
    *,
    ax: Any = None,
    event: Event | None = None,
    treatment: str = "milnacipran",
    control: str = "placebo",
    xlim: tuple[float, float] | None = None,
    digits: int = 2,
    title: str | None = None,
    show_prediction: bool = True,
    max_studies: int = MAX_STUDIES,
    notes: Sequence[str] = (),
    unit: str | None = None,
) -> Any:
    """Forest plot of a pooled result, RevMan/metafor style.

    Rows: one per comparison (study label, events/total per arm, weight, effect with its interval and a
    square whose *area* is proportional to the weight), then a diamond per subgroup (e.g. per dose, when
    the result was pooled with ``by=``) and an overall diamond, the prediction interval as a bar under it
    (when defined), heterogeneity and overall-effect text, the test for subgroup differences and the method.
    Ratios (RR, OR, ratio of means) are drawn on a log axis with plain tick labels; differences (RD, MD, SMD)
    on a linear axis; the line of no effect is at 1 (ratios) or 0 (differences); a continuous outcome shows the
    arm sizes (N) instead of events/total and names the effect with its unit; an interval reaching beyond the
    axis ends in an arrow head. Each line takes
    0.19 in (19 px at 100 dpi); with more than ``max_studies`` studies only subtotals and the total are drawn.

    Parameters
    ----------
    result : PoolResult
        From :func:`fmtrials.pool`; study names are its ``studies["label"]`` (cut to 40 characters).
    ax : matplotlib Axes, optional
        Axes for the graphical column (text columns are drawn outside it); a new figure by default.
    event : {"beneficial", "harmful"}, optional
        ``"beneficial"`` (responders): more events on treatment is good, so "Favours <treatment>" is right of
        the null line. ``"harmful"`` (adverse events) swaps the labels. Letter case is ignored. By default
        the direction the pooled table stated (``result.event``, from its ``direction`` column), else
        ``"beneficial"``; an explicit ``event`` wins. For a continuous outcome ``"beneficial"`` means higher
        values are better; pass ``"harmful"`` when lower is better (pain, FIQ), so "Favours <treatment>" is
        left of zero.
    treatment, control : str, default "milnacipran", "placebo"
        Names of the treatment and control arms: column headers and the "Favours ..." labels (the previous
        release's ``favours=(control, treatment)`` is accepted with a DeprecationWarning).
    xlim : (float, float), optional
        Effect-axis limits (reporting scale); symmetric around the null and wide enough for every interval
        (ratios up to 1/100-100) by default.
    digits : int, default 2
        Decimals of the printed effects and interval limits.
    title : str, optional
        Title above the figure.
    show_prediction : bool, default True
        Draw the prediction interval row when the result defines one.
    max_studies : int, default 60
        Above this many studies draw a summary forest (subtotals and total) with a note.
    notes : sequence of str, optional
        Footnotes printed after the result's own notes (``Note: ...``), e.g. the report's sentence when the
        common-effect check disagrees with this model. A Mantel–Haenszel forest in which a study shows weight
        0% but still enters the estimate always says so (:func:`mh_zero_weight_note`).
    unit : str, optional
        The unit of a mean difference, printed with the effect's name above the axis (e.g. ``"points, 0-10
        NRS"``); an SMD is in standard deviations ("SD units"). Ignored for 2x2 measures.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import fmtrials
    >>> res = fmtrials.pool(fmtrials.contrasts(endpoint="nausea"), measure="RR", method="REML",
    ...                     by="dose_mg_day")
    >>> fig = fmtrials.plot_forest(res, event="harmful")
    >>> fig.axes[0].get_xscale()
    'log'
    """
    R.check_result(result)
    event = choice(event if event is not None else (getattr(result, "event", None) or "beneficial"), EVENTS, "event")
    digits = check_int(digits, "digits", low=0, high=10)
    max_studies = check_int(max_studies, "max_studies", low=0)
    control, treatment = (L.truncate(str(f)) for f in (control, treatment))
    measure = str(result.measure).upper()
    lines = forest_lines(
        result, digits=digits, treatment=treatment, show_prediction=show_prediction, max_studies=max_studies
    )
    cont = measure in CONTINUOUS_MEASURES
    unit = check_text(unit, "unit") if (unit is not None and cont) else None
    table = (
        _table(lines, measure, result.alpha, control, treatment, unit)
        if cont
        else _table(lines, measure, result.alpha, control, treatment)
    )
    xlim = _xlim(lines, measure, xlim)
    left_in, right_in = table.left_width(), table.right_width()
    if isinstance(notes, str):
        notes = (notes,)
    foot = L.wrap(forest_footer(result, [str(n) for n in notes]), 0.95 * (left_in + L.PLOT_W + right_in))
    with S.house_style():
        fig, ax = L.make_figure(
            ax, left_in, L.PLOT_W, right_in, table.nrows, 0.5 + L.title_height(title), 0.52 + 0.15 * len(foot) + 0.1
        )
        L.row_axes(ax, table.nrows)
        set_effect_axis(ax, measure, xlim)
        null = null_value(measure)
        ax.axvline(null, color="black", lw=0.7, zorder=1, gid="null-line")
        ax.axvline(result.estimate, color=S.GREY, lw=0.6, ls=(0, (2, 2)), zorder=1, gid="overall-line")
        _draw_marks(ax, lines, xlim)
        L.draw_table(ax, table)
        _draw_favours(ax, null, *((control, treatment) if event == "beneficial" else (treatment, control)))
        _draw_effect_header(ax, measure, result.alpha, unit)
        L.footer(ax, foot, 0.52, x_in=-left_in)
        if title:
            L.title(ax, title, left_in)
    return fig

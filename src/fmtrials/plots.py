"""Pictures against placebo: responder rates per arm, forest, L'Abbé and funnel plots.

Every function takes ``ax=None`` (draw into a new figure sized to its content) or an existing
:class:`matplotlib.axes.Axes`, and returns the :class:`matplotlib.figure.Figure`. Nothing global changes: figures
are made without pyplot (an Agg canvas is attached to each new figure), the house style of
:mod:`fmtrials._style` is applied with :func:`matplotlib.rc_context` and explicit artist properties, and
``matplotlib.rcParams`` are left as they were. matplotlib is imported only when this module is.

When you pass ``ax`` to :func:`plot_responders` or :func:`plot_forest`, their text columns are drawn outside
the axes (to its left and right), so leave room for them in your layout.

Export with :func:`save_figure` (PNG, SVG or PDF with deterministic bytes; see :mod:`fmtrials._style`).

References
----------
* Deeks JJ, Higgins JPT. *Statistical algorithms in Review Manager 5* (2010): forest-plot layout (events/total
  per arm, weights, subtotal and total diamonds, heterogeneity and overall-effect lines).
* Viechtbauer W. metafor ``forest.rma``, ``funnel.rma``, ``labbe.rma`` (R package documentation): prediction
  interval under the summary diamond, arrows for intervals beyond the axis limits, pseudo-confidence region
  ``estimate ± z·SE`` in the funnel plot, L'Abbé lines for a pooled risk ratio, odds ratio or risk difference.
* L'Abbé KA, Detsky AS, O'Rourke K. Meta-analysis in clinical research. *Ann Intern Med* 1987;107:224-33.
* Sterne JAC, Egger M. Funnel plots for detecting bias in meta-analysis. *J Clin Epidemiol* 2001;54:1046-55;
  Cochrane Handbook 5.1 §10.4.3.1 (asymmetry tests need at least 10 studies).
* Wilson EB. Probable inference ... *J Am Stat Assoc* 1927;22:209-12 (via :func:`fmtrials.proportion_ci`).
* Okabe M, Ito K. *Color Universal Design* (2008): the palette.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from . import _style as S
from ._style import export_figure, figure_bytes, save_figure
from .errors import DataError, Problem

__all__ = ["plot_responders", "plot_forest", "plot_labbe", "plot_funnel", "save_figure", "export_figure",
           "figure_bytes"]

_MEASURE_NAME = {"RR": "Risk ratio", "OR": "Odds ratio", "RD": "Risk difference"}
_RATIO = {"RR", "OR"}
_ROW_H = 0.19          # inches per table row
_GAP = 0.14            # inches between text columns
_PAD = 0.12            # figure edge padding, inches
_PLOT_W = 2.3          # width of the graphical column, inches
_RATIO_LADDER = (2.0, 5.0, 10.0, 20.0, 50.0, 100.0)   # symmetric ratio axes run from 1/m to m
_RATIO_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
_RATIO_TICKS_DENSE = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0)


# ================================================================================================ helpers

def _text_width(s: str, size: float = S.FONT_SIZE, bold: bool = False) -> float:
    """Width of ``s`` in inches when set in the house font (multi-line: the widest line)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    if not s:
        return 0.0
    prop = FontProperties(family=S.FONT, size=size, weight="bold" if bold else "normal")
    ttp = TextToPath()
    return max(ttp.get_text_width_height_descent(line, prop, ismath=False)[0] for line in s.split("\n")) / 72.0


def _fmt(x: float, digits: int) -> str:
    if x is None or not np.isfinite(x):
        return "NA"
    s = f"{x:.{digits}f}"
    return "0." + "0" * digits if s == "-0." + "0" * digits else s  # no "-0.00"


def _fmt_p(p: float) -> str:
    """P as RevMan/metafor readers expect: ``P = 0.048``; ``P < 0.001`` below 0.001."""
    if p is None or not np.isfinite(p):
        return "P = NA"
    return "P < 0.001" if p < 0.001 else f"P = {p:.3f}"


def _ci_label(alpha: float) -> str:
    return f"{100 * (1 - alpha):g}% CI"


def _arm_label(text: str) -> str:
    return text[:1].upper() + text[1:]


def _dose_text(dose: Any) -> str:
    if S._isnan(dose):
        return "dose not fixed"
    return f"{float(dose):g} mg/day"


def _proportion_ci(x: np.ndarray, n: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate and Wilson interval per arm (NaN where the counts are unknown)."""
    est = np.full(len(x), np.nan)
    lo, hi = est.copy(), est.copy()
    ok = ~(np.isnan(x) | np.isnan(n))
    if ok.any():
        from .effects import proportion_ci

        r = proportion_ci(x[ok].astype(np.int64), n[ok].astype(np.int64), ci="wilson", alpha=alpha)
        est[ok], lo[ok], hi[ok] = (np.asarray(r[c], dtype=float) for c in ("estimate", "ci_low", "ci_high"))
    return est, lo, hi


def _tip_marker(direction: str):
    """A filled triangle whose *tip* sits at the data point (arrow heads for clipped intervals)."""
    from matplotlib.path import Path

    s = 1.0 if direction == "right" else -1.0
    return Path([(0.0, 0.0), (-s, 0.55), (-s, -0.55), (0.0, 0.0)],
                [Path.MOVETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY])


# ============================================================================ table-with-plot layout

@dataclass
class _Column:
    header: str
    cells: list[str]
    align: str = "left"            # "left", "right" or "center"


@dataclass
class _Table:
    """Rows of text columns left and right of a plotting axes (forest plot and responder plot)."""

    left: list[_Column]
    right: list[_Column]
    styles: list[str]              # per row: "normal", "heading", "summary", "note"
    spans: dict[int, str] = field(default_factory=dict)   # row -> text spanning the left columns

    @property
    def nrows(self) -> int:
        return len(self.styles)

    def widths(self, cols: list[_Column]) -> list[float]:
        out = []
        for c in cols:
            w = _text_width(c.header, S.FONT_SIZE, bold=True)
            for cell, st in zip(c.cells, self.styles):
                w = max(w, _text_width(cell, _size(st), bold=st in ("heading", "summary")))
            out.append(w)
        return out

    def left_width(self) -> float:
        w = self.widths(self.left)
        total = sum(w) + _GAP * len(w)
        span = max((_text_width(t, S.SMALL_SIZE) for t in self.spans.values()), default=0.0)
        return max(total, span + _GAP)

    def right_width(self) -> float:
        w = self.widths(self.right)
        return sum(w) + _GAP * len(w)


def _size(style: str) -> float:
    return S.SMALL_SIZE if style == "note" else S.FONT_SIZE


def _make_figure(ax, left_in: float, plot_in: float, right_in: float, nrows: int, top_in: float,
                 bottom_in: float):
    """Create a figure laid out in inches around one axes, or use the caller's axes."""
    if ax is not None:
        return ax.figure, ax
    width = _PAD + left_in + plot_in + right_in + _PAD
    height = top_in + nrows * _ROW_H + bottom_in
    fig = S.new_figure(width, height)
    ax = fig.add_axes(((_PAD + left_in) / width, bottom_in / height, plot_in / width, nrows * _ROW_H / height))
    return fig, ax


def _draw_table(ax, table: _Table) -> None:
    """Draw the text columns of ``table`` outside ``ax`` (x in inches from its edges, y in rows)."""
    from matplotlib.transforms import ScaledTranslation, blended_transform_factory

    fig = ax.figure

    def xform(edge: float, dx: float, y_axes: bool = False):
        x_t = ax.transAxes + ScaledTranslation(dx, 0.0, fig.dpi_scale_trans)
        y_t = (ax.transAxes + ScaledTranslation(0.0, 0.06, fig.dpi_scale_trans)) if y_axes else ax.transData
        return blended_transform_factory(x_t, y_t)

    def put(col: _Column, edge: float, start: float, width: float) -> None:
        x = {"left": start, "right": start + width, "center": start + width / 2}[col.align]
        ax.text(0.0 if edge == 0 else 1.0, 1.0, col.header, transform=xform(edge, x, y_axes=True), ha=col.align,
                va="bottom", fontsize=S.FONT_SIZE, fontweight="bold", fontfamily=S.FONT, clip_on=False,
                linespacing=1.15, gid="header")
        for i, (cell, st) in enumerate(zip(col.cells, table.styles)):
            if not cell:
                continue
            ax.text(0.0 if edge == 0 else 1.0, i, cell, transform=xform(edge, x), ha=col.align, va="center",
                    fontsize=_size(st), fontfamily=S.FONT, clip_on=False,
                    fontweight="bold" if st in ("heading", "summary") else "normal",
                    fontstyle="italic" if st == "note" else "normal", gid=f"cell-{st}")

    left_total = table.left_width()
    widths = table.widths(table.left)
    pos = -left_total
    for col, w in zip(table.left, widths):
        put(col, 0, pos, w)
        pos += w + _GAP
    for i, text in table.spans.items():
        ax.text(0.0, i, text, transform=xform(0, -left_total), ha="left", va="center", fontsize=S.SMALL_SIZE,
                fontfamily=S.FONT, fontstyle="italic", clip_on=False, gid="cell-note")
    pos = _GAP
    for col, w in zip(table.right, table.widths(table.right)):
        put(col, 1, pos, w)
        pos += w + _GAP


def _footer(ax, lines: Sequence[str], start_in: float, x_in: float | None = None) -> None:
    """Left-aligned small text lines below the axes, ``start_in`` inches under its bottom edge."""
    from matplotlib.transforms import ScaledTranslation

    fig = ax.figure
    for j, line in enumerate(lines):
        dy = -(start_in + j * 0.15)
        dx = 0.0 if x_in is None else x_in
        tr = ax.transAxes + ScaledTranslation(dx, dy, fig.dpi_scale_trans)
        ax.text(0.0, 0.0, line, transform=tr, ha="left", va="top", fontsize=S.SMALL_SIZE, fontfamily=S.FONT,
                clip_on=False, gid="footer")


def _wrap(lines: Sequence[str], width_in: float, size: float = S.SMALL_SIZE) -> list[str]:
    """Wrap footer lines so none is wider than ``width_in`` inches (continuation lines indented)."""
    import textwrap

    out: list[str] = []
    for line in lines:
        chars = len(line)
        while chars > 20 and _text_width(textwrap.fill(line, chars, subsequent_indent="    "), size) > width_in:
            chars -= 5
        out.extend(textwrap.wrap(line, chars, subsequent_indent="    ") or [""])
    return out


def _row_axes(ax, nrows: int) -> None:
    ax.set_ylim(nrows - 0.5, -0.5)
    ax.set_yticks([])
    S.style_axes(ax, left_spine=False)


# ======================================================================================= responders

def _responder_frame(outcomes: pd.DataFrame | None, endpoint: str | None, analysis: str | None) -> pd.DataFrame:
    from .data import is_placebo, load_outcomes

    df = load_outcomes() if outcomes is None else outcomes
    if not isinstance(df, pd.DataFrame):
        raise DataError(Problem(f"outcomes must be a DataFrame, got {type(df).__name__}", file="<arguments>",
                                column="outcomes"))
    missing = [c for c in ("study", "n", "responders") if c not in df.columns]
    if "arm" not in df.columns and "dose_mg_day" not in df.columns:
        missing.append("arm or dose_mg_day")
    if missing:
        raise DataError(Problem("outcomes lack column(s): " + ", ".join(missing), file="<DataFrame>"))
    df = df.copy()
    if "dose_mg_day" not in df.columns:
        df["dose_mg_day"] = np.where(df["arm"].astype(str).str.lower().str.startswith("placebo"), 0.0, np.nan)
    if "arm" not in df.columns:
        df["arm"] = [("placebo" if d == 0 else _dose_text(d)) for d in df["dose_mg_day"]]
    if "endpoint" in df.columns:
        eps = list(dict.fromkeys(df["endpoint"].dropna()))
        if endpoint is None:
            if len(eps) > 1:
                raise DataError(Problem("several endpoints present (" + ", ".join(map(str, eps[:10]))
                                        + (", ..." if len(eps) > 10 else "") + "); pass endpoint=...",
                                        file="<arguments>", column="endpoint"))
        else:
            if endpoint not in eps:
                raise DataError(Problem(f"endpoint {endpoint!r} not in the outcomes; known: "
                                        + ", ".join(sorted(map(str, eps))), file="<arguments>", column="endpoint"))
            df = df[df["endpoint"] == endpoint]
    if analysis is not None:
        if "analysis" not in df.columns:
            raise DataError(Problem("analysis= given but the outcomes have no 'analysis' column",
                                    file="<arguments>", column="analysis"))
        df = df[df["analysis"] == analysis]
    if df.empty:
        raise DataError(Problem("no rows to plot for this endpoint/analysis", file="<arguments>", column="endpoint"))
    dup = df.duplicated(["study", "arm"], keep=False)
    if dup.any():
        pairs = sorted({f"{s}/{a}" for s, a in zip(df.loc[dup, "study"], df.loc[dup, "arm"])})
        extra = [c for c in ("analysis", "population", "timepoint") if c in df.columns]
        raise DataError(Problem("several rows for the same study and arm (" + ", ".join(pairs) + "): they differ in "
                                + (", ".join(extra) or "other columns") + "; choose one with analysis=... or "
                                "filter the table first", file="<DataFrame>", column="arm"))
    x = pd.to_numeric(df["responders"], errors="coerce").astype(float).to_numpy()
    n = pd.to_numeric(df["n"], errors="coerce").astype(float).to_numpy()
    problems = []
    for i in np.flatnonzero(~np.isnan(x) & ~np.isnan(n)):
        if x[i] < 0 or n[i] <= 0 or x[i] > n[i] or x[i] != round(x[i]) or n[i] != round(n[i]):
            problems.append(Problem(f"invalid counts responders={x[i]:g}, n={n[i]:g} for "
                                    f"{df['study'].iloc[i]}/{df['arm'].iloc[i]}", file="<DataFrame>",
                                    row=int(i) + 1, column="responders"))
    if problems:
        raise DataError(problems)
    out = pd.DataFrame({
        "study": df["study"].astype(str).to_numpy(), "arm": df["arm"].astype(str).to_numpy(),
        "dose": pd.to_numeric(df["dose_mg_day"], errors="coerce").astype(float).to_numpy(),
        "placebo": is_placebo(df).to_numpy(), "x": x, "n": n,
        "printed": (pd.to_numeric(df["percent"], errors="coerce").astype(float).to_numpy()
                    if "percent" in df.columns else np.full(len(df), np.nan)),
    })
    return out


def plot_responders(outcomes: pd.DataFrame | None = None, endpoint: str | None = None, *,
                    analysis: str | None = None, alpha: float = 0.05, ax=None, title: str | None = None,
                    xlim: tuple[float, float] | None = None, treatment: str = "milnacipran",
                    events_label: str = "Responders"):
    """Each arm's responder percentage with its Wilson interval, trial by trial, placebo as the reference.

    Placebo is drawn as an open black circle with a dashed reference line through its trial's rows; each dose
    has its own colour and marker (100 mg/day blue diamonds, 200 mg/day vermillion triangles, others from the
    Okabe–Ito palette). The arm's n is printed in the label column, responders/n and the percentage with
    its interval on the right. Arms whose counts are unknown but whose percentage was printed are drawn as an
    open marker without an interval ("n not reported"); arms with nothing reported are listed as such.

    Parameters
    ----------
    outcomes : DataFrame, optional
        :func:`fmtrials.load_outcomes` (the default) or user data with columns ``study``, ``n``,
        ``responders`` and ``arm`` and/or ``dose_mg_day`` (0 = placebo); optional ``endpoint``,
        ``analysis``, ``percent`` (as printed).
    endpoint : str, optional
        Endpoint to draw; required when ``outcomes`` holds several.
    analysis : str, optional
        Keep one analysis (e.g. ``"LOCF"``) when a trial reports several.
    alpha : float, default 0.05
        1 - confidence level of the Wilson intervals.
    ax : matplotlib Axes, optional
        Draw here (the text columns go outside it); a new figure sized to the data by default.
    title : str, optional
        Figure title; ``"<events_label>: <endpoint>"`` by default, none with ``""``.
    xlim : (float, float), optional
        Percentage axis limits; from 0 to just above the highest upper limit by default.
    treatment : str, default "milnacipran"
        Word used for active arms whose dose is not known.
    events_label : str, default "Responders"
        What the counts are, for the column header and the axis label (e.g. ``"Nausea"`` for an adverse
        event).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import fmtrials
    >>> fig = fmtrials.plot_responders(endpoint="nausea", events_label="Nausea")
    >>> fig.axes[0].get_xlabel()
    'Nausea (%)'
    """
    if not (0 < float(alpha) < 1):
        raise DataError(Problem(f"alpha must be in (0, 1), got {alpha!r}", file="<arguments>", column="alpha"))
    d = _responder_frame(outcomes, endpoint, analysis)
    est, lo, hi = _proportion_ci(d["x"].to_numpy(), d["n"].to_numpy(), alpha)
    d = d.assign(est=est * 100, lo=lo * 100, hi=hi * 100)
    studies = list(dict.fromkeys(d["study"]))
    d["_s"] = d["study"].map({s: i for i, s in enumerate(studies)})
    d["_o"] = np.where(d["placebo"], -1.0, np.where(np.isnan(d["dose"]), 1e9, d["dose"]))
    d = d.sort_values(["_s", "_o", "arm"], kind="stable").reset_index(drop=True)
    styles_map = S.dose_style(d.loc[~d["placebo"], "dose"])

    # arm labels: dose text, plus the arm name when two arms of a trial share a dose
    labels = []
    for _, r in d.iterrows():
        if r["placebo"]:
            lab = "Placebo"
        elif np.isnan(r["dose"]):
            lab = _arm_label(r["arm"]) if r["arm"] else _arm_label(treatment)
        else:
            lab = _dose_text(r["dose"])
            same = d[(d["study"] == r["study"]) & (d["dose"] == r["dose"])]
            if len(same) > 1:
                lab += f" ({r['arm'].replace(treatment + '_', '')})"
        labels.append(lab)
    n_txt = [f"{int(v)}" if np.isfinite(v) else "n.r." for v in d["n"]]

    rows_style: list[str] = []
    trial_col, arm_col, n_col, resp_col, pct_col = [], [], [], [], []
    y_of: list[int] = []
    group_rows: dict[str, list[int]] = {}
    for i, r in d.iterrows():
        y = len(rows_style)
        first = i == 0 or d["study"].iloc[i - 1] != r["study"]
        trial_col.append(r["study"] if first else "")
        arm_col.append(labels[i])
        n_col.append(n_txt[i])
        if np.isfinite(r["est"]):
            resp_col.append(f"{int(r['x'])}/{int(r['n'])}")
            pct_col.append(f"{r['est']:.1f} [{r['lo']:.1f}, {r['hi']:.1f}]")
        elif np.isfinite(r["printed"]):
            resp_col.append("n.r.")
            pct_col.append(f"{r['printed']:g} (printed)")
        else:
            resp_col.append("not reported")
            pct_col.append("")
        rows_style.append("normal")
        y_of.append(y)
        group_rows.setdefault(r["study"], []).append(y)
    ci = _ci_label(alpha)
    table = _Table(
        left=[_Column("Trial", trial_col), _Column("Arm", arm_col), _Column("n", n_col, "right")],
        right=[_Column(events_label, resp_col, "right"), _Column(f"% [{ci}]", pct_col, "right")],
        styles=rows_style)
    nrows = table.nrows
    present = sorted({float(v) for v in d.loc[~d["placebo"], "dose"] if np.isfinite(v)})
    has_unknown = bool((~d["placebo"] & np.isnan(d["dose"])).any())
    top_in = 0.42 + (0.25 if title != "" else 0.0)
    printed_only = bool((~np.isfinite(d["est"]) & np.isfinite(d["printed"])).any())
    n_handles = 1 + len(present) + int(has_unknown) + int(printed_only)
    span_in = table.left_width() + _PLOT_W + table.right_width()
    legend_rows = math.ceil(n_handles / max(1, int(span_in // 1.9)))
    bottom_in = 0.5 + 0.19 * legend_rows + 0.3
    with S.house_style():
        fig, ax = _make_figure(ax, table.left_width(), _PLOT_W, table.right_width(), nrows, top_in, bottom_in)
        _row_axes(ax, nrows)
        # zebra bands per trial so 20 trials stay readable
        for j, s in enumerate(studies):
            ys = group_rows[s]
            if j % 2 == 1:
                ax.axhspan(min(ys) - 0.5, max(ys) + 0.5, color="#F0F0F0", zorder=0, lw=0, gid="band")
        hi_all = np.nanmax(np.r_[d["hi"].to_numpy(), d["printed"].to_numpy(), 10.0])
        if xlim is None:
            xlim = (0.0, float(min(100.0, math.ceil((hi_all + 2.0) / 10.0) * 10.0)))
        ax.set_xlim(*xlim)
        for s in studies:
            sub = d[d["study"] == s]
            ys = group_rows[s]
            pl = sub[sub["placebo"]]
            if len(pl):
                ref = pl["est"].iloc[0] if np.isfinite(pl["est"].iloc[0]) else pl["printed"].iloc[0]
                if np.isfinite(ref):
                    ax.plot([ref, ref], [min(ys) - 0.45, max(ys) + 0.45], color=S.PLACEBO_COLOR, lw=0.8,
                            ls=(0, (3, 2)), zorder=1, gid="placebo-ref")
        for i, r in d.iterrows():
            y = y_of[i]
            if r["placebo"]:
                color, marker, face = S.PLACEBO_COLOR, S.PLACEBO_MARKER, "white"
            else:
                color, marker = S.lookup_dose(styles_map, r["dose"])
                face = color
            if np.isfinite(r["est"]):
                ax.plot([r["lo"], r["hi"]], [y, y], color=color, lw=1.3, solid_capstyle="butt", zorder=2,
                        gid="ci")
                ax.plot([r["est"]], [y], ls="none", marker=marker, ms=6 if marker != "^" else 6.5, mfc=face,
                        color=color, mec=color, mew=1.1, zorder=3, gid="placebo" if r["placebo"] else "arm")
            elif np.isfinite(r["printed"]):
                ax.plot([r["printed"]], [y], ls="none", marker=marker, ms=6, mfc="white", color=color, mec=color,
                        mew=1.1,
                        zorder=3, gid="printed-only")
        _draw_table(ax, table)
        ax.set_xlabel(f"{events_label} (%)", fontsize=S.FONT_SIZE, fontfamily=S.FONT)
        ax.xaxis.set_major_locator(_percent_locator(xlim))
        # legend: placebo, each dose, then the glyph for printed-only arms
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], ls="none", marker=S.PLACEBO_MARKER, mfc="white", mec=S.PLACEBO_COLOR, mew=1.1,
                          ms=6, label="Placebo (dashed line: its rate)")]
        for dose in present:
            c, m = styles_map[dose]
            handles.append(Line2D([], [], color=c, marker=m, mfc=c, mec=c, ms=6, lw=1.3, label=_dose_text(dose)))
        if has_unknown:
            c, m = S.lookup_dose(styles_map, np.nan)
            handles.append(Line2D([], [], color=c, marker=m, mfc=c, mec=c, ms=6, lw=1.3,
                                  label=f"{_arm_label(treatment)}, dose not fixed"))
        if printed_only:
            handles.append(Line2D([], [], ls="none", marker="o", mfc="white", mec=S.GREY, ms=6,
                                  label="printed %, n not reported"))
        _bottom_legend(ax, handles, 0.45, x_in=-table.left_width(), ncol=math.ceil(len(handles) / legend_rows))
        _footer(ax, [f"Lines: Wilson {ci}. n.r.: not reported."], 0.5 + 0.19 * legend_rows + 0.04,
                x_in=-table.left_width())
        if title != "":
            same = endpoint is None or events_label.lower() == str(endpoint).replace("_", " ").lower()
            text = title if title is not None else (events_label if same else f"{events_label}: {endpoint}")
            _title(ax, text, table.left_width())
    return fig


def _percent_locator(xlim):
    from matplotlib.ticker import MultipleLocator

    span = xlim[1] - xlim[0]
    step = 5 if span <= 30 else (10 if span <= 60 else 20)
    return MultipleLocator(step)


def _bottom_legend(ax, handles, below_in: float, x_in: float, ncol: int) -> None:
    """Legend below the axes, its top-left corner ``below_in`` inches under the axes and ``x_in`` from its left."""
    from matplotlib.transforms import ScaledTranslation

    fig = ax.figure
    tr = ax.transAxes + ScaledTranslation(x_in, -below_in, fig.dpi_scale_trans)
    nrows = math.ceil(len(handles) / ncol)
    # matplotlib fills legend columns top to bottom; reorder so the entries read row by row
    handles = [handles[r * ncol + c] for c in range(ncol) for r in range(nrows) if r * ncol + c < len(handles)]
    leg = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, 0.0), bbox_transform=tr,
                    ncol=ncol, frameon=False, handlelength=1.6, columnspacing=1.4, borderaxespad=0.0,
                    borderpad=0.0, handletextpad=0.5, prop={"family": S.FONT, "size": S.SMALL_SIZE})
    leg.set_gid("legend")


def _title(ax, text: str, left_in: float) -> None:
    """Bold title above the column headers, flush with the leftmost text column."""
    from matplotlib.transforms import ScaledTranslation

    ax.text(0.0, 1.0, text, transform=ax.transAxes + ScaledTranslation(-left_in, 0.5, ax.figure.dpi_scale_trans),
            ha="left", va="bottom", fontsize=S.TITLE_SIZE, fontweight="bold", fontfamily=S.FONT, gid="title")


# ============================================================================================ forest

def _study_labels(frame: pd.DataFrame) -> list[str]:
    """Study names, made unique where a study contributes several rows (dose, then pool()'s label)."""
    labels = frame["study"].astype(str).tolist()
    if len(set(labels)) == len(labels):
        return labels
    if "dose_mg_day" in frame.columns:
        labels = [f"{s}, {_dose_short(v)}" for s, v in zip(labels, frame["dose_mg_day"])]
    if len(set(labels)) < len(labels) and "label" in frame.columns:
        # pool() labels repeated studies "Study (arm)"; arms named like "milnacipran_100" become ", 100 mg"
        labels = [re.sub(r" \((?:[A-Za-z]+_)?(\d+(?:\.\d+)?)\)$", r", \1 mg", str(v)) for v in frame["label"]]
    return labels


def _dose_short(dose: Any) -> str:
    return "dose n.f." if S._isnan(dose) else f"{float(dose):g} mg"


def _group_label(by: str, value: Any, treatment: str) -> str:
    if by == "dose_mg_day":
        return f"{_arm_label(treatment)} {_dose_text(value)}"
    return f"{by} = {value}"


def _het_text(r, tau: bool = True) -> str:
    parts = []
    if tau and r.tau2 is not None and np.isfinite(r.tau2) and str(r.model).lower().startswith("random"):
        parts.append(f"τ² = {_fmt(r.tau2, 4)}" + (f" ({r.tau2_method})" if r.tau2_method else ""))
    parts.append(f"Q = {_fmt(r.q, 2)}, df = {int(r.q_df)} ({_fmt_p(r.q_p)})")
    parts.append(f"I² = {_fmt(r.i2, 0)}%")
    return "Heterogeneity: " + "; ".join(parts)


def _test_text(r) -> str:
    stat = "t" if str(r.stat_dist).lower().startswith("t") else "Z"
    df = f", df = {_fmt(r.df, 0) if float(r.df).is_integer() else _fmt(r.df, 2)}" \
        if stat == "t" and r.df is not None and np.isfinite(r.df) else ""
    return f"Test for overall effect: {stat} = {_fmt(r.statistic, 2)}{df} ({_fmt_p(r.p_value)})"


_METHOD_NAME = {"MH": "Mantel–Haenszel", "IV": "inverse variance", "PETO": "Peto"}


def _method_text(r) -> str:
    """E.g. "Risk ratio, random effects (REML τ², Hartung–Knapp), 95% CI"."""
    name = _MEASURE_NAME.get(r.measure, r.measure)
    if str(r.model).lower().startswith("random"):
        extra = f"{r.tau2_method} τ²" if r.tau2_method else str(r.method)
        hk = (", Hartung–Knapp" + (" (ad hoc)" if getattr(r, "hksj_truncate", False) else "")) if r.hksj else ""
        model = f"random effects ({extra}{hk})"
    else:
        model = f"{_METHOD_NAME.get(str(r.method).upper(), r.method)}, common effect" + (
            " (Hartung–Knapp)" if r.hksj else "")
    return f"{name}, {model}, {_ci_label(r.alpha)}"


def _effect_text(est: float, lo: float, hi: float, digits: int) -> str:
    if not np.isfinite(est):
        return "Not estimable"
    return f"{_fmt(est, digits)} [{_fmt(lo, digits)}, {_fmt(hi, digits)}]"


def _auto_xlim(measure: str, values: np.ndarray) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    if measure in _RATIO:
        v = v[v > 0]
        need = float(np.max(np.abs(np.log(v)))) if v.size else math.log(2)
        m = next((L for L in _RATIO_LADDER if math.log(L) >= need - 1e-12), _RATIO_LADDER[-1])
        return 1.0 / m, m
    need = float(np.max(np.abs(v))) if v.size else 0.1
    m = next((L for L in (0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0) if L >= need - 1e-12), 1.0)
    return -m, m


def _set_effect_axis(ax, measure: str, xlim: tuple[float, float]) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

    if measure in _RATIO:
        ax.set_xscale("log")
        ax.set_xlim(*xlim)
        ticks: list[float] = []
        for ladder in (_RATIO_TICKS_DENSE, _RATIO_TICKS, (xlim[0], 0.01, 0.1, 1.0, 10.0, 100.0, xlim[1])):
            cand = [t for t in ladder if xlim[0] * (1 - 1e-9) <= t <= xlim[1] * (1 + 1e-9)]
            if len(cand) <= 7:
                ticks = sorted(set(cand))
                break
        ticks = sorted({xlim[0], 1.0, xlim[1], *ticks}) if len(ticks) < 3 else ticks

        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    else:
        ax.set_xlim(*xlim)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, symmetric=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}".replace("-", "−")))


def _interval(ax, lo: float, hi: float, y: float, xlim, color: str, lw: float = 1.0, gid: str = "ci") -> None:
    """A horizontal interval, clipped to the axis limits with an arrow head where it is cut."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return
    a, b = max(lo, xlim[0]), min(hi, xlim[1])
    if a >= b:
        return
    ax.plot([a, b], [y, y], color=color, lw=lw, solid_capstyle="butt", zorder=2, gid=gid)
    for cut, side, x in ((lo < xlim[0], "left", xlim[0]), (hi > xlim[1], "right", xlim[1])):
        if cut:
            ax.plot([x], [y], ls="none", marker=_tip_marker(side), ms=6, color=color, mew=0, zorder=3,
                    clip_on=False, gid="arrow")


def _diamond(ax, est: float, lo: float, hi: float, y: float, color: str, gid: str):
    from matplotlib.patches import Polygon

    poly = Polygon([(lo, y), (est, y - 0.38), (hi, y), (est, y + 0.38)], closed=True, facecolor=color,
                   edgecolor=color, lw=0.6, zorder=4, gid=gid)
    ax.add_patch(poly)
    return poly


def plot_forest(result, *, ax=None, favours: tuple[str, str] = ("placebo", "milnacipran"),
                higher_is_better: bool = True, xlim: tuple[float, float] | None = None, digits: int = 2,
                title: str | None = None, show_prediction: bool = True):
    """Forest plot of a pooled result, RevMan/metafor style.

    Rows: one per comparison (study label, events/total per arm, weight, effect with its interval and a
    square whose *area* is proportional to the weight), then a diamond per subgroup (e.g. per dose, when
    the result was pooled with ``by=``) and an overall diamond, the prediction interval as a bar under it
    (when defined), heterogeneity and overall-effect text, the test for subgroup differences and the method.
    Ratios are drawn on a log axis with plain tick labels; the line of no effect is at 1 (ratios) or 0 (risk
    difference); an interval reaching beyond the axis ends in an arrow head.

    Parameters
    ----------
    result : PoolResult
        From :func:`fmtrials.pool`.
    ax : matplotlib Axes, optional
        Axes for the graphical column (text columns are drawn outside it); a new figure by default.
    favours : (str, str), default ("placebo", "milnacipran")
        Names of the control and treatment arms: column headers and the "Favours ..." labels.
    higher_is_better : bool, default True
        True when more events on treatment is good (responders): effects above the null favour treatment.
        Use False for adverse events, where the labels swap sides.
    xlim : (float, float), optional
        Effect-axis limits (reporting scale); symmetric around the null and wide enough for every interval
        (ratios up to 1/100-100) by default.
    digits : int, default 2
        Decimals of the printed effects and interval limits.
    title : str, optional
        Title above the figure.
    show_prediction : bool, default True
        Draw the prediction interval row when the result defines one.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import fmtrials
    >>> res = fmtrials.pool(fmtrials.contrasts(endpoint="nausea"), measure="RR", method="REML",
    ...                     by="dose_mg_day")
    >>> fig = fmtrials.plot_forest(res, higher_is_better=False)
    >>> fig.axes[0].get_xscale()
    'log'
    """
    if not hasattr(result, "to_frame") or not hasattr(result, "measure"):
        raise DataError(Problem(f"result must be a PoolResult, got {type(result).__name__}", file="<arguments>",
                                column="result"))
    if len(favours) != 2:
        raise DataError(Problem("favours must be two names: (control, treatment)", file="<arguments>",
                                column="favours"))
    control, treatment = (str(f) for f in favours)
    measure = str(result.measure).upper()
    null = 1.0 if measure in _RATIO else 0.0
    frame = result.to_frame().reset_index(drop=True)
    by = getattr(result, "by", None)
    subgroups = dict(getattr(result, "subgroups", {}) or {})
    frame["_label"] = _study_labels(frame)
    if by and subgroups:   # labels need only be unique within a subgroup
        for _, idx in frame.groupby(frame[by].astype(str), sort=False).groups.items():
            frame.loc[idx, "_label"] = _study_labels(frame.loc[idx])
    weight_sum = float(np.nansum(frame["weight"].astype(float)))

    # ---- rows
    study_col, t_col, c_col, w_col, e_col = [], [], [], [], []
    styles: list[str] = []
    spans: dict[int, str] = {}
    marks: list[tuple] = []   # (kind, y, data...)

    def add(study="", t="", c="", w="", e="", style="normal"):
        study_col.append(study), t_col.append(t), c_col.append(c), w_col.append(w), e_col.append(e)
        styles.append(style)
        return len(styles) - 1

    def add_studies(sub: pd.DataFrame) -> None:
        for _, r in sub.iterrows():
            est = float(r["estimate"])
            y = add(r["_label"], f"{int(r['events_t'])}/{int(r['n_t'])}", f"{int(r['events_c'])}/{int(r['n_c'])}",
                    f"{float(r['weight']):.1f}%" if np.isfinite(float(r["weight"])) else "",
                    _effect_text(est, float(r["ci_low"]), float(r["ci_high"]), digits))
            dose = r["dose_mg_day"] if "dose_mg_day" in sub.columns else (r[by] if by == "dose_mg_day" else None)
            marks.append(("study", y, est, float(r["ci_low"]), float(r["ci_high"]), float(r["weight"]), dose))

    def add_summary(res, label: str, rows: pd.DataFrame, dose, kind: str) -> None:
        t = f"{int(rows['events_t'].sum())}/{int(rows['n_t'].sum())}"
        c = f"{int(rows['events_c'].sum())}/{int(rows['n_c'].sum())}"
        w = f"{float(np.nansum(rows['weight'].astype(float))) / weight_sum * 100:.1f}%" if weight_sum > 0 else ""
        y = add(label, t, c, w, _effect_text(res.estimate, res.ci_low, res.ci_high, digits), "summary")
        marks.append((kind, y, res.estimate, res.ci_low, res.ci_high, dose))

    ci = _ci_label(result.alpha)
    if by and subgroups:
        for value, sub in subgroups.items():
            rows = frame[frame[by].astype(str) == str(value)]
            add(_group_label(by, value, treatment), style="heading")
            add_studies(rows)
            add_summary(sub, f"Subtotal ({ci})", rows, value if by == "dose_mg_day" else None, "subgroup")
            if sub.k > 1:
                spans[add(style="note")] = _het_text(sub, tau=False)
            spans[add(style="note")] = _test_text(sub)
            add()
    else:
        add_studies(frame)
        add()
    add_summary(result, f"Total ({ci})", frame, None, "overall")
    pi_ok = show_prediction and np.isfinite(getattr(result, "pi_low", np.nan)) and \
        np.isfinite(getattr(result, "pi_high", np.nan))
    if pi_ok:
        y_pi = add("Prediction interval", e=f"[{_fmt(result.pi_low, digits)}, {_fmt(result.pi_high, digits)}]",
                   style="normal")

    table = _Table(
        left=[_Column("Study", study_col), _Column(f"{_arm_label(treatment)}\nevents/total", t_col, "right"),
              _Column(f"{_arm_label(control)}\nevents/total", c_col, "right")],
        right=[_Column("Weight", w_col, "right"),
               _Column(f"{_MEASURE_NAME.get(measure, measure)}\n[{ci}]", e_col, "right")],
        styles=styles, spans=spans)
    footer = [_het_text(result), _test_text(result)]
    if by and subgroups and np.isfinite(getattr(result, "q_between", np.nan)):
        footer.append(f"Test for subgroup differences: Q = {_fmt(result.q_between, 2)}, "
                      f"df = {int(result.q_between_df)} ({_fmt_p(result.q_between_p)})")
    excluded = tuple(getattr(result, "excluded", ()) or ())
    if excluded:
        footer.append("Not estimable, left out of the pooling: " + ", ".join(map(str, excluded)))
    corrected = tuple(getattr(result, "corrected", ()) or ())
    if corrected:
        footer.append("Zero cells in " + ", ".join(map(str, corrected)) + f": {result.zero_cell}")
    footer.extend(f"Note: {n}" for n in (getattr(result, "notes", ()) or ()))
    footer.append(_method_text(result))

    # ---- limits
    vals = [frame["ci_low"], frame["ci_high"], [result.ci_low, result.ci_high]]
    vals += [[s.ci_low, s.ci_high] for s in subgroups.values()]
    if pi_ok:
        vals.append([result.pi_low, result.pi_high])
    if xlim is None:
        xlim = _auto_xlim(measure, np.concatenate([np.asarray(v, dtype=float) for v in vals]))
    if measure in _RATIO and (xlim[0] <= 0 or xlim[1] <= 0):
        raise DataError(Problem("xlim must be positive for a ratio measure", file="<arguments>", column="xlim"))
    if not xlim[0] < null < xlim[1]:
        xlim = (min(xlim[0], null * 0.9 if null else -0.05), max(xlim[1], null * 1.1 if null else 0.05))

    nrows = table.nrows
    plot_in = _PLOT_W
    footer = _wrap(footer, 0.95 * (table.left_width() + plot_in + table.right_width()))
    top_in = 0.5 + (0.25 if title else 0.0)
    bottom_in = 0.52 + 0.15 * len(footer) + 0.1
    with S.house_style():
        fig, ax = _make_figure(ax, table.left_width(), plot_in, table.right_width(), nrows, top_in, bottom_in)
        _row_axes(ax, nrows)
        _set_effect_axis(ax, measure, xlim)
        ax.axvline(null, color="black", lw=0.7, zorder=1, gid="null-line")
        ax.axvline(result.estimate, color=S.GREY, lw=0.6, ls=(0, (2, 2)), zorder=1, gid="overall-line")
        doses = [m[6] for m in marks if m[0] == "study"] + [m[5] for m in marks if m[0] == "subgroup"]
        styles_map = S.dose_style([d for d in doses if d is not None and not S._isnan(d) and float(d) != 0])
        w_max = max((m[5] for m in marks if m[0] == "study" and np.isfinite(m[5])), default=1.0)
        for m in marks:
            if m[0] == "study":
                _, y, est, lo, hi, w, dose = m
                color = S.lookup_dose(styles_map, dose)[0] if dose is not None and not S._isnan(dose) else "#333333"
                _interval(ax, lo, hi, y, xlim, "black", lw=0.9)
                if np.isfinite(est) and np.isfinite(w) and xlim[0] <= est <= xlim[1]:
                    ax.scatter([est], [y], s=[_square_area(w, w_max)], marker="s", color=color, edgecolors="none",
                               zorder=3, gid="square")
            else:
                _, y, est, lo, hi, dose = m
                if m[0] == "overall":
                    color = "black"
                elif dose is not None and not S._isnan(dose):
                    color = S.lookup_dose(styles_map, dose)[0]
                else:
                    color = S.GREY
                _diamond(ax, est, lo, hi, y, color, gid=f"diamond-{m[0]}")
        if pi_ok:
            _interval(ax, result.pi_low, result.pi_high, y_pi, xlim, S.GREY, lw=2.2, gid="prediction")
            for x in (result.pi_low, result.pi_high):
                if xlim[0] <= x <= xlim[1]:
                    ax.plot([x, x], [y_pi - 0.22, y_pi + 0.22], color=S.GREY, lw=1.0, zorder=2, gid="prediction-cap")
        _draw_table(ax, table)
        # favours labels under the axis, either side of the null line
        left_lab, right_lab = (control, treatment) if higher_is_better else (treatment, control)
        for text, side in ((f"Favours {left_lab}", "right"), (f"Favours {right_lab}", "left")):
            ax.annotate(text, xy=(null, 0.0), xycoords=("data", "axes fraction"), xytext=(-5 if side == "right" else 5,
                        -20), textcoords="offset points", ha=side, va="top", fontsize=S.SMALL_SIZE,
                        fontfamily=S.FONT, gid="favours", annotation_clip=False)
        header_mid = ax.text(0.5, 1.0, f"{_MEASURE_NAME.get(measure, measure)}\n[{ci}]", transform=ax.transAxes,
                             ha="center", va="bottom", fontsize=S.FONT_SIZE, fontweight="bold", fontfamily=S.FONT,
                             gid="header")
        from matplotlib.transforms import ScaledTranslation

        header_mid.set_transform(ax.transAxes + ScaledTranslation(0, 0.06, fig.dpi_scale_trans))
        _footer(ax, footer, 0.52, x_in=-table.left_width())
        if title:
            _title(ax, title, table.left_width())
    return fig


_SQUARE_MAX = 90.0   # points², area of the heaviest study's square
_SQUARE_MIN = 4.0


def _square_area(w: float, w_max: float) -> float:
    """Marker area (points²) proportional to the weight, with a floor so tiny weights stay visible."""
    return max(_SQUARE_MIN, _SQUARE_MAX * w / w_max) if w_max > 0 else _SQUARE_MIN


# ============================================================================================ L'Abbé

def _count_table(table) -> pd.DataFrame:
    if hasattr(table, "to_frame") and hasattr(table, "measure"):
        table = table.to_frame()
    if not isinstance(table, pd.DataFrame):
        raise DataError(Problem(f"table must be a DataFrame or PoolResult, got {type(table).__name__}",
                                file="<arguments>", column="table"))
    missing = [c for c in ("events_t", "n_t", "events_c", "n_c") if c not in table.columns]
    if missing:
        raise DataError(Problem("table lacks column(s): " + ", ".join(missing), file="<DataFrame>"))
    from ._validation import as_count_arrays

    keep = table[["events_t", "n_t", "events_c", "n_c"]].notna().all(axis=1).to_numpy()
    t = table.loc[keep].reset_index(drop=True)
    x1, m1, x2, m2 = as_count_arrays(t["events_t"].astype(float), t["n_t"].astype(float),
                                     t["events_c"].astype(float), t["n_c"].astype(float),
                                     names=("events_t", "n_t", "events_c", "n_c"))
    out = pd.DataFrame({"study": _study_labels(t) if "study" in t.columns else [f"#{i + 1}" for i in range(len(t))],
                        "x1": x1, "m1": m1, "x2": x2, "m2": m2})
    out["dose"] = pd.to_numeric(t["dose_mg_day"], errors="coerce").astype(float).to_numpy() \
        if "dose_mg_day" in t.columns else np.nan
    return out


def _pooled_curve(measure: str, est: float, p_c: np.ndarray) -> np.ndarray:
    if measure == "RR":
        return est * p_c
    if measure == "OR":
        return est * p_c / (1 - p_c + est * p_c)
    return p_c + est


def plot_labbe(table, *, result=None, ax=None, outcome: str = "responders",
               arms: tuple[str, str] = ("placebo", "milnacipran"), labels: bool | None = None,
               lim: float | None = None, title: str | None = None):
    """L'Abbé plot: the treatment arm's event rate against its placebo arm's, one point per comparison.

    The point *area* is proportional to the comparison's total n; colour and marker give the dose as in the
    other fmtrials figures. The diagonal is the line of no effect; with ``result`` the pooled effect is drawn
    as the curve it implies (``p_t = RR·p_c`` for a risk ratio, the odds-ratio curve, or ``p_t = p_c + RD``).

    Parameters
    ----------
    table : DataFrame or PoolResult
        Columns ``events_t, n_t, events_c, n_c`` (as from :func:`fmtrials.contrasts`), optional ``study``
        and ``dose_mg_day``; a PoolResult's own table is used when one is given.
    result : PoolResult, optional
        Draw its pooled effect.
    ax : matplotlib Axes, optional
    outcome : str, default "responders"
        What the rates count, for the axis labels (e.g. ``"with nausea"``).
    arms : (str, str)
        Names of the control and treatment arms for the axis labels.
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
    t = _count_table(table)
    p_t, p_c = t["x1"] / t["m1"], t["x2"] / t["m2"]
    n_tot = (t["m1"] + t["m2"]).to_numpy(dtype=float)
    if lim is None:
        top = float(max(p_t.max(), p_c.max())) if len(t) else 0.5
        lim = min(1.0, math.ceil((top + 0.04) * 10) / 10)
    if labels is None:
        labels = len(t) <= 12
    control, treatment = arms
    with S.house_style():
        if ax is None:
            fig = S.new_figure(5.4, 3.7 + (0.25 if title else 0.0))
            h = fig.get_figheight()
            ax = fig.add_axes((0.6 / 5.4, 0.5 / h, 2.9 / 5.4, 2.9 / h))
        else:
            fig = ax.figure
        S.style_axes(ax)
        ax.set_xlim(0, lim * 100)
        ax.set_ylim(0, lim * 100)
        ax.set_aspect("equal", adjustable="box")
        ax.plot([0, lim * 100], [0, lim * 100], color="black", lw=0.7, zorder=1, gid="null-line",
                label="No effect")
        styles_map = S.dose_style([d for d in t["dose"] if not S._isnan(d)])
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color="black", lw=0.7, label="No effect")]
        if result is not None:
            measure = str(result.measure).upper()
            grid = np.linspace(0, lim, 201)
            curve = _pooled_curve(measure, float(result.estimate), grid)
            ok = (curve >= 0) & (curve <= lim)
            ax.plot(grid[ok] * 100, curve[ok] * 100, color=S.GREY, lw=1.0, ls=(0, (4, 2)), zorder=1,
                    gid="pooled-line")
            handles.append(Line2D([], [], color=S.GREY, lw=1.0, ls=(0, (4, 2)),
                                  label=f"Pooled {measure} = {_fmt(result.estimate, 2)}"))
        n_max = float(n_tot.max()) if len(t) else 1.0
        sizes = _LABBE_MAX * n_tot / n_max
        seen: set = set()
        pending: list[tuple[str, float, float, float]] = []
        for i, r in t.iterrows():
            if S._isnan(r["dose"]):
                color, marker = "#333333", "o"
                key, lab = ("unknown",), f"{_arm_label(treatment)}"
            else:
                color, marker = S.lookup_dose(styles_map, r["dose"])
                key, lab = (float(r["dose"]),), _dose_text(r["dose"])
            ax.scatter([p_c.iloc[i] * 100], [p_t.iloc[i] * 100], s=[sizes[i]], marker=marker, color=color,
                       alpha=0.85, edgecolors="white", linewidths=0.6, zorder=3, gid="point")
            if key not in seen:
                seen.add(key)
                handles.append(Line2D([], [], ls="none", marker=marker, color=color, ms=6, label=lab))
            if labels:
                pending.append((r["study"], p_c.iloc[i] * 100, p_t.iloc[i] * 100, math.sqrt(sizes[i]) / 2 + 2.5))
        for text, x, y, (dx, dy) in _spread_labels(ax, pending):
            ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", va="center",
                        fontsize=S.SMALL_SIZE - 0.5, fontfamily=S.FONT, color="#333333", gid="label")
        ax.set_xlabel(f"{_arm_label(control)}: % {outcome}", fontsize=S.FONT_SIZE, fontfamily=S.FONT)
        ax.set_ylabel(f"{_arm_label(treatment)}: % {outcome}", fontsize=S.FONT_SIZE, fontfamily=S.FONT)
        leg = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False,
                        prop={"family": S.FONT, "size": S.SMALL_SIZE}, borderaxespad=0.0)
        leg.set_gid("legend")
        ax.text(1.02, 0.0, "Area ∝ total n", transform=ax.transAxes, fontsize=S.SMALL_SIZE, fontfamily=S.FONT,
                va="bottom", ha="left", color="#333333", gid="note")
        if title:
            ax.set_title(title, fontsize=S.TITLE_SIZE, fontfamily=S.FONT, fontweight="bold", loc="left")
    return fig


_LABBE_MAX = 260.0   # points², area of the largest comparison
_LABEL_GAP = 9.0     # points between the baselines of two labels that would otherwise overlap
_LABEL_WIDTH = 95.0  # points: a label's assumed width when deciding whether two labels collide


def _spread_labels(ax, pending):
    """Offsets (points) for point labels so that labels of nearby points do not overlap.

    Labels are placed right of their points, lowest first; one that would sit within ``_LABEL_GAP`` of an
    already placed label whose horizontal extent overlaps it is moved up just enough.
    """
    to_pt = 72.0 / ax.figure.dpi
    placed: list[tuple[float, float]] = []
    out = []
    order = sorted(range(len(pending)), key=lambda i: (pending[i][2], pending[i][1]))
    for i in order:
        text, x, y, dx = pending[i]
        px, py = (v * to_pt for v in ax.transData.transform((x, y)))
        lx, ly = px + dx, py
        for qx, qy in sorted(placed, key=lambda q: q[1]):
            if abs(qx - lx) < _LABEL_WIDTH and abs(qy - ly) < _LABEL_GAP:
                ly = qy + _LABEL_GAP
        placed.append((lx, ly))
        out.append((text, x, y, (dx, ly - py)))
    return out


# ============================================================================================ funnel

def plot_funnel(result, *, ax=None, level: float = 0.95, labels: bool | None = None, title: str | None = None):
    """Funnel plot: each comparison's effect against its standard error, with pseudo-confidence limits.

    The standard-error axis runs downward from 0; the vertical line is the pooled estimate and the dashed
    funnel is ``estimate ± z·SE`` (metafor ``funnel``), drawn on the log scale for ratios (with ratio tick
    labels). The dotted line is no effect. With fewer than 10 comparisons the figure says that asymmetry
    cannot be judged (Cochrane Handbook 5.1 §10.4.3.1).

    Parameters
    ----------
    result : PoolResult
    ax : matplotlib Axes, optional
    level : float, default 0.95
        Coverage of the pseudo-confidence region.
    labels : bool, optional
        Write study names next to the points (default: at most 12 points).
    title : str, optional

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
    from scipy.stats import norm

    if not hasattr(result, "to_frame") or not hasattr(result, "measure"):
        raise DataError(Problem(f"result must be a PoolResult, got {type(result).__name__}", file="<arguments>",
                                column="result"))
    if not 0 < float(level) < 1:
        raise DataError(Problem(f"level must be in (0, 1), got {level!r}", file="<arguments>", column="level"))
    measure = str(result.measure).upper()
    ratio = measure in _RATIO
    frame = result.to_frame().reset_index(drop=True)
    yi = frame["yi"].astype(float).to_numpy()
    se = np.sqrt(frame["vi"].astype(float).to_numpy())
    ok = np.isfinite(yi) & np.isfinite(se)
    frame, yi, se = frame[ok].reset_index(drop=True), yi[ok], se[ok]
    frame["_label"] = _study_labels(frame) if len(frame) else []
    beta = float(result.beta)
    z = float(norm.ppf(0.5 + level / 2))
    se_max = float(se.max()) * 1.1 if se.size else 1.0
    tr = np.exp if ratio else (lambda v: v)
    if labels is None:
        labels = len(frame) <= 12
    with S.house_style():
        if ax is None:
            fig = S.new_figure(5.4, 3.5 + (0.25 if title else 0.0))
            h = fig.get_figheight()
            ax = fig.add_axes((0.7 / 5.4, 0.5 / h, 2.9 / 5.4, 2.85 / h))
        else:
            fig = ax.figure
        S.style_axes(ax)
        ax.set_ylim(se_max, 0)
        s_grid = np.array([0.0, se_max])
        lo_line, hi_line = beta - z * s_grid, beta + z * s_grid
        ax.fill_betweenx(s_grid, tr(lo_line), tr(hi_line), color="#EEEEEE", lw=0, zorder=0, gid="funnel-region")
        ax.plot(tr(lo_line), s_grid, color=S.GREY, lw=0.8, ls=(0, (4, 2)), zorder=1, gid="funnel-limit")
        ax.plot(tr(hi_line), s_grid, color=S.GREY, lw=0.8, ls=(0, (4, 2)), zorder=1, gid="funnel-limit")
        ax.axvline(tr(beta), color="black", lw=0.8, zorder=1, gid="pooled-line")
        null = 1.0 if ratio else 0.0
        ax.axvline(null, color="black", lw=0.7, ls=(0, (1, 1.5)), zorder=1, gid="null-line")
        doses = frame["dose_mg_day"] if "dose_mg_day" in frame.columns else (
            frame[result.by] if getattr(result, "by", None) == "dose_mg_day" else pd.Series([np.nan] * len(frame)))
        doses = pd.to_numeric(doses, errors="coerce").astype(float).to_numpy()
        styles_map = S.dose_style([d for d in doses if not S._isnan(d)])
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color="black", lw=0.8, label=f"Pooled {measure} {_fmt(float(result.estimate), 2)}"),
                   Line2D([], [], color=S.GREY, lw=0.8, ls=(0, (4, 2)), label=f"Pseudo {level * 100:g}% limits"),
                   Line2D([], [], color="black", lw=0.7, ls=(0, (1, 1.5)), label="No effect")]
        seen: set = set()
        for i in range(len(frame)):
            d = doses[i]
            color, marker = ("#333333", "o") if S._isnan(d) else S.lookup_dose(styles_map, d)
            ax.plot([tr(yi[i])], [se[i]], ls="none", marker=marker, ms=6, color=color, mfc=color, mec="white",
                    mew=0.5, zorder=3, gid="point")
            if not S._isnan(d) and d not in seen:
                seen.add(d)
                handles.append(Line2D([], [], ls="none", marker=marker, color=color, ms=6, label=_dose_text(d)))
            if labels:
                ax.annotate(frame["_label"].iloc[i], (tr(yi[i]), se[i]), xytext=(6, 0), textcoords="offset points",
                            va="center", fontsize=S.SMALL_SIZE - 0.5, fontfamily=S.FONT, color="#333333",
                            gid="label")
        xs = np.r_[yi, lo_line, hi_line, 0.0]
        pad = 0.05 * (xs.max() - xs.min() or 1.0)
        if ratio:
            from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

            ax.set_xscale("log")
            lo_x, hi_x = math.exp(xs.min() - pad), math.exp(xs.max() + pad)
            ax.set_xlim(lo_x, hi_x)
            ladder = _RATIO_TICKS_DENSE if hi_x / lo_x < 30 else _RATIO_TICKS
            ax.xaxis.set_major_locator(FixedLocator([t for t in ladder if lo_x <= t <= hi_x]))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.set_ylabel(f"Standard error of log {_MEASURE_NAME[measure].lower()}", fontsize=S.FONT_SIZE,
                          fontfamily=S.FONT)
        else:
            ax.set_xlim(xs.min() - pad, xs.max() + pad)
            ax.set_ylabel("Standard error", fontsize=S.FONT_SIZE, fontfamily=S.FONT)
        ax.set_xlabel(_MEASURE_NAME.get(measure, measure) + (" (log scale)" if ratio else ""), fontsize=S.FONT_SIZE,
                      fontfamily=S.FONT)
        leg = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False,
                        prop={"family": S.FONT, "size": S.SMALL_SIZE}, borderaxespad=0.0)
        leg.set_gid("legend")
        if len(frame) < 10:
            ax.text(1.02, 0.0, f"k = {len(frame)}: too few studies\nto judge asymmetry\n(10 or more needed)",
                    transform=ax.transAxes, ha="left", va="bottom", fontsize=S.SMALL_SIZE, fontfamily=S.FONT,
                    color="#333333", gid="note")
        if title:
            ax.set_title(title, fontsize=S.TITLE_SIZE, fontfamily=S.FONT, fontweight="bold", loc="left")
    return fig

"""Responder rates per arm against placebo, trial by trial, with Wilson intervals.

References
----------
* Wilson EB. Probable inference ... *J Am Stat Assoc* 1927;22:209-12 (via :func:`fmtrials.proportion_ci`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .. import data as _data
from .._format import format_interval, format_level, format_number
from .._validation import ARGUMENTS, DATAFRAME, check_alpha, check_int, frame_counts
from ..errors import DataError, Problem
from . import _layout as L
from . import _style as S

__all__ = ["plot_responders"]


# ============================================================================================== the data


def _select_rows(df: Any, endpoint: str | None, analysis: str | None) -> pd.DataFrame:
    """The rows of one endpoint (and analysis), refusing ambiguous or duplicated arms."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(
            Problem(f"outcomes must be a DataFrame, got {type(df).__name__}", file=ARGUMENTS, column="outcomes")
        )
    df = df.assign(_row=np.arange(1, len(df) + 1))  # 1-based rows of the caller's table, for messages
    missing = [c for c in ("study", "n") if c not in df.columns]
    if "events" not in df.columns and "responders" not in df.columns:
        missing.append("events (or responders)")
    if "arm" not in df.columns and "dose_mg_day" not in df.columns:
        missing.append("arm or dose_mg_day")
    if missing:
        raise DataError(Problem("outcomes lack column(s): " + ", ".join(missing), file=DATAFRAME))
    if "endpoint" in df.columns:
        eps = list(dict.fromkeys(df["endpoint"].dropna()))
        if endpoint is None and len(eps) > 1:
            raise DataError(
                Problem(
                    "several endpoints present ("
                    + ", ".join(map(str, eps[:10]))
                    + (", ..." if len(eps) > 10 else "")
                    + "); pass endpoint=...",
                    file=ARGUMENTS,
                    column="endpoint",
                )
            )
        if endpoint is not None:
            if endpoint not in eps:
                raise DataError(
                    Problem(
                        f"endpoint {endpoint!r} not in the outcomes; known: " + ", ".join(sorted(map(str, eps))),
                        file=ARGUMENTS,
                        column="endpoint",
                    )
                )
            df = df[df["endpoint"] == endpoint]
    if analysis is not None:
        if "analysis" not in df.columns:
            raise DataError(
                Problem("analysis= given but the outcomes have no 'analysis' column", file=ARGUMENTS, column="analysis")
            )
        df = df[df["analysis"] == analysis]
    if df.empty:
        raise DataError(Problem("no rows to plot for this endpoint/analysis", file=ARGUMENTS, column="endpoint"))
    df = df.copy()
    if "dose_mg_day" not in df.columns:
        df["dose_mg_day"] = np.where(df["arm"].astype(str).str.lower().str.startswith("placebo"), 0.0, np.nan)
    if "arm" not in df.columns:
        df["arm"] = [("placebo" if d == 0 else L.dose_text(d)) for d in df["dose_mg_day"]]
    dup = df.duplicated(["study", "arm"], keep=False)
    if dup.any():
        pairs = sorted({f"{s}/{a}" for s, a in zip(df.loc[dup, "study"], df.loc[dup, "arm"])})
        extra = [c for c in ("analysis", "population", "timepoint") if c in df.columns]
        raise DataError(
            Problem(
                "several rows for the same study and arm ("
                + ", ".join(pairs)
                + "): they differ in "
                + (", ".join(extra) or "other columns")
                + "; choose one with analysis=... or "
                "filter the table first",
                file=DATAFRAME,
                column="arm",
            )
        )
    return df


def _arm_counts(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Events and n as floats (NaN where not reported); reported pairs checked by the one validation path."""
    col = "events" if "events" in df.columns else "responders"
    x = pd.to_numeric(df[col], errors="coerce").astype(float).to_numpy()
    n = pd.to_numeric(df["n"], errors="coerce").astype(float).to_numpy()
    both = ~np.isnan(x) & ~np.isnan(n)
    if both.any():
        sub = pd.DataFrame({col: df[col].to_numpy()[both], "n": df["n"].to_numpy()[both]})
        frame_counts(sub, (col, "n"), rows=df["_row"].to_numpy()[both])
    return x, n


def responder_frame(
    outcomes: pd.DataFrame | None, endpoint: str | None, analysis: str | None, alpha: float
) -> pd.DataFrame:
    """One row per arm to draw, sorted by trial (first appearance), placebo first, then dose.

    Columns ``study, arm, dose, placebo, x, n, printed`` and ``est, lo, hi`` (percent, Wilson interval at
    level ``1 - alpha``; NaN where the counts are not reported).
    """
    from ..data import is_placebo, load_outcomes

    df = _select_rows(load_outcomes() if outcomes is None else outcomes, endpoint, analysis)
    x, n = _arm_counts(df)
    d = pd.DataFrame(
        {
            "study": df["study"].astype(str).to_numpy(),
            "arm": df["arm"].astype(str).to_numpy(),
            "dose": pd.to_numeric(df["dose_mg_day"], errors="coerce").astype(float).to_numpy(),
            "placebo": is_placebo(df).to_numpy(),
            "x": x,
            "n": n,
            "printed": (
                pd.to_numeric(df["percent"], errors="coerce").astype(float).to_numpy()
                if "percent" in df.columns
                else np.full(len(df), np.nan)
            ),
        }
    )
    est, lo, hi = _wilson(x, n, alpha)
    d = d.assign(est=est * 100, lo=lo * 100, hi=hi * 100)
    order = {s: i for i, s in enumerate(dict.fromkeys(d["study"]))}
    d["_s"] = d["study"].map(order)
    d["_o"] = np.where(d["placebo"], -1.0, np.where(np.isnan(d["dose"]), 1e9, d["dose"]))
    return d.sort_values(["_s", "_o", "arm"], kind="stable").drop(columns=["_s", "_o"]).reset_index(drop=True)


def _wilson(x: np.ndarray, n: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate and Wilson interval per arm (NaN where the counts are unknown), one vectorised call."""
    est = np.full(len(x), np.nan)
    lo, hi = est.copy(), est.copy()
    ok = ~(np.isnan(x) | np.isnan(n))
    if ok.any():
        from ..effects import proportion_ci

        r = proportion_ci(x[ok].astype(np.int64), n[ok].astype(np.int64), ci="wilson", alpha=alpha)
        est[ok], lo[ok], hi[ok] = (np.asarray(r[c], dtype=float) for c in ("estimate", "ci_low", "ci_high"))
    return est, lo, hi


def _arm_labels(d: pd.DataFrame, treatment: str) -> list[str]:
    """Dose text per arm, plus the arm name when two arms of a trial share a dose."""
    shared = d.duplicated(["study", "dose"], keep=False).to_numpy() & ~np.isnan(d["dose"].to_numpy())
    labels = []
    for r, twin in zip(d.itertuples(), shared):
        if r.placebo:
            lab = "Placebo"
        elif np.isnan(r.dose):
            lab = L.arm_label(r.arm) if r.arm else L.arm_label(treatment)
        else:
            lab = L.dose_text(r.dose) + (f" ({r.arm.replace(treatment + '_', '')})" if twin else "")
        labels.append(L.truncate(lab))
    return labels


def _printed(v: float) -> str:
    return format_number(v, 0 if float(v).is_integer() else 1)


def _table(d: pd.DataFrame, labels: list[str], events_label: str, alpha: float) -> L.Table:
    first = d["study"].ne(d["study"].shift()).to_numpy()
    trial = [L.truncate(s) if f else "" for s, f in zip(d["study"], first)]
    n_txt = [f"{int(v)}" if np.isfinite(v) else "n.r." for v in d["n"]]
    resp, pct = [], []
    for r in d.itertuples():
        if np.isfinite(r.est):
            resp.append(f"{int(r.x)}/{int(r.n)}")
            pct.append(format_interval(r.est, r.lo, r.hi, 1))
        elif np.isfinite(r.printed):
            resp.append("n.r.")
            pct.append(f"{_printed(r.printed)} (printed)")
        else:
            resp.append("not reported")
            pct.append("")
    return L.Table(
        left=[L.Column("Trial", trial), L.Column("Arm", labels), L.Column("n", n_txt, "right")],
        right=[
            L.Column(L.truncate(events_label), resp, "right"),
            L.Column(f"% [{format_level(alpha)} CI]", pct, "right"),
        ],
        styles=["normal"] * len(d),
    )


# ============================================================================================== drawing


def _percent_locator(xlim):
    from matplotlib.ticker import MultipleLocator

    span = xlim[1] - xlim[0]
    return MultipleLocator(5 if span <= 30 else (10 if span <= 60 else 20))


def _draw_trials(ax, d: pd.DataFrame) -> None:
    """Zebra bands per trial (so 20 trials stay readable) and the dashed placebo reference lines."""
    for j, (_, rows) in enumerate(d.groupby("study", sort=False)):
        y0, y1 = rows.index.min() - 0.5, rows.index.max() + 0.5
        if j % 2 == 1:
            ax.axhspan(y0, y1, color="#F0F0F0", zorder=0, lw=0, gid="band")
        pl = rows[rows["placebo"]]
        if len(pl):
            ref = pl["est"].iloc[0] if np.isfinite(pl["est"].iloc[0]) else pl["printed"].iloc[0]
            if np.isfinite(ref):
                ax.plot(
                    [ref, ref],
                    [y0 + 0.05, y1 - 0.05],
                    color=S.PLACEBO_COLOR,
                    lw=0.8,
                    ls=(0, (3, 2)),
                    zorder=1,
                    gid="placebo-ref",
                )


def _draw_arms(ax, d: pd.DataFrame, styles_map: dict, xlim: tuple[float, float]) -> None:
    """Each arm's marker and Wilson interval; an interval (or marker) beyond ``xlim`` ends in an arrow head
    on the axis edge, never silently cut."""
    for y, r in enumerate(d.itertuples()):
        if r.placebo:
            color, marker, face = S.PLACEBO_COLOR, S.PLACEBO_MARKER, "white"
        else:
            color, marker = S.lookup_dose(styles_map, r.dose)
            face = color
        if np.isfinite(r.est):
            ax.plot([r.lo, r.hi], [y, y], color=color, lw=1.3, solid_capstyle="butt", zorder=2, gid="ci")
            L.edge_arrows(ax, min(r.lo, r.est), max(r.hi, r.est), y, xlim, color)
            ax.plot(
                [r.est],
                [y],
                ls="none",
                marker=marker,
                ms=6 if marker != "^" else 6.5,
                mfc=face,
                color=color,
                mec=color,
                mew=1.1,
                zorder=3,
                gid="placebo" if r.placebo else "arm",
            )
        elif np.isfinite(r.printed):
            L.edge_arrows(ax, r.printed, r.printed, y, xlim, color)
            ax.plot(
                [r.printed],
                [y],
                ls="none",
                marker=marker,
                ms=6,
                mfc="white",
                color=color,
                mec=color,
                mew=1.1,
                zorder=3,
                gid="printed-only",
            )


def _legend_handles(d: pd.DataFrame, styles_map: dict, treatment: str, named: bool = False) -> list:
    """Placebo, each dose (``"Milnacipran 100 mg/day"`` when the treatment was ``named``), an unknown dose, then
    the glyph for printed-only arms."""
    from matplotlib.lines import Line2D

    active = d.loc[~d["placebo"], "dose"]
    handles = [
        Line2D(
            [],
            [],
            ls="none",
            marker=S.PLACEBO_MARKER,
            mfc="white",
            mec=S.PLACEBO_COLOR,
            mew=1.1,
            ms=6,
            label="Placebo (dashed line: its rate)",
        )
    ]
    for dose in sorted({float(v) for v in active if np.isfinite(v)}):
        c, m = styles_map[dose]
        label = f"{L.arm_label(L.truncate(treatment))} {L.dose_text(dose)}" if named else L.dose_text(dose)
        handles.append(Line2D([], [], color=c, marker=m, mfc=c, mec=c, ms=6, lw=1.3, label=label))
    if active.isna().any():
        c, m = S.lookup_dose(styles_map, np.nan)
        handles.append(
            Line2D(
                [],
                [],
                color=c,
                marker=m,
                mfc=c,
                mec=c,
                ms=6,
                lw=1.3,
                label=f"{L.arm_label(L.truncate(treatment))}, dose not fixed",
            )
        )
    if (~np.isfinite(d["est"]) & np.isfinite(d["printed"])).any():
        handles.append(
            Line2D([], [], ls="none", marker="o", mfc="white", mec=S.GREY, ms=6, label="printed %, n not reported")
        )
    return handles


def _n_handles(d: pd.DataFrame) -> int:
    active = d.loc[~d["placebo"], "dose"]
    return (
        1
        + len({float(v) for v in active if np.isfinite(v)})
        + int(active.isna().any())
        + int((~np.isfinite(d["est"]) & np.isfinite(d["printed"])).any())
    )


#: the most trials a responder plot draws (one block of rows each)
MAX_TRIALS = 60


def plot_responders(
    outcomes: pd.DataFrame | None = None,
    endpoint: str | None = None,
    *,
    analysis: str | None = None,
    alpha: float = 0.05,
    ax: Any = None,
    title: str | None = None,
    xlim: tuple[float, float] | None = None,
    treatment: str | None = None,
    events_label: str = "Responders",
    max_trials: int = MAX_TRIALS,
) -> Any:
    """Each arm's responder percentage with its Wilson interval, trial by trial, placebo as the reference.

    Placebo is drawn as an open black circle with a dashed reference line through its trial's rows; each dose
    has its own colour and marker (100 mg/day blue diamonds, 200 mg/day vermillion triangles, others from the
    Okabe–Ito palette). The arm's n is printed in the label column, events/n and the percentage with
    its interval on the right. Arms whose counts are unknown but whose percentage was printed are drawn as an
    open marker without an interval ("n not reported"); arms with nothing reported are listed as such. Names
    are drawn literally (no math text) and cut to 40 characters.

    Parameters
    ----------
    outcomes : DataFrame, optional
        :func:`fmtrials.load_outcomes` (the default) or user data with columns ``study``, ``n``,
        ``events`` (or ``responders``) and ``arm`` and/or ``dose_mg_day`` (0 = placebo); optional
        ``endpoint``, ``analysis``, ``percent`` (as printed).
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
    treatment : str, optional
        The name of the treatment: the legend names each dose with it (``"Milnacipran 100 mg/day"``) and active
        arms whose dose is not known are labelled with it. Not given: the legend shows the doses alone and an
        arm of unknown dose is called "milnacipran".
    events_label : str, default "Responders"
        What the counts are, for the column header and the axis label (e.g. ``"Nausea"`` for an adverse
        event).
    max_trials : int, default 60
        The figure has one block of rows per trial; above this many trials it would be unreadable (and
        hundreds of inches tall), so :class:`~fmtrials.DataError` is raised instead: draw
        :func:`plot_labbe` (one point per comparison) or a subset of the trials.

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
    alpha = check_alpha(alpha)
    max_trials = check_int(max_trials, "max_trials", low=1)
    named, treatment = treatment is not None, "milnacipran" if treatment is None else str(treatment)
    d = responder_frame(outcomes, endpoint, analysis, alpha)
    n_trials = d["study"].nunique()
    if n_trials > max_trials:
        raise DataError(
            Problem(
                f"{n_trials:,} trials: a responder plot draws one block of rows per trial and is "
                f"limited to max_trials={max_trials}; draw plot_labbe() or a subset of the trials",
                file=ARGUMENTS,
                column="max_trials",
            )
        )
    table = _table(d, _arm_labels(d, treatment), events_label, alpha)
    styles_map = S.dose_style(d.loc[~d["placebo"], "dose"])
    left_in, right_in = table.left_width(), table.right_width()
    legend_rows = math.ceil(_n_handles(d) / max(1, int((left_in + L.PLOT_W + right_in) // 1.9)))
    if title is None:
        same = endpoint is None or events_label.lower() == str(endpoint).replace("_", " ").lower()
        title = events_label if same else f"{events_label}: {_data.endpoint_label(str(endpoint))}"
    with S.house_style():
        fig, ax = L.make_figure(
            ax,
            left_in,
            L.PLOT_W,
            right_in,
            table.nrows,
            0.42 + L.title_height(title),
            0.5 + 0.19 * legend_rows + 0.3,
        )
        L.row_axes(ax, table.nrows)
        if xlim is None:
            hi_all = np.nanmax(np.r_[d["hi"].to_numpy(), d["printed"].to_numpy(), 10.0])
            xlim = (0.0, float(min(100.0, math.ceil((hi_all + 2.0) / 10.0) * 10.0)))
        ax.set_xlim(*xlim)
        _draw_trials(ax, d)
        _draw_arms(ax, d, styles_map, xlim)
        L.draw_table(ax, table)
        ax.set_xlabel(f"{events_label} (%)", fontsize=S.FONT_SIZE, fontfamily=S.FONT, parse_math=False)
        ax.xaxis.set_major_locator(_percent_locator(xlim))
        handles = _legend_handles(d, styles_map, treatment, named)
        L.bottom_legend(ax, handles, 0.45, x_in=-left_in, ncol=math.ceil(len(handles) / legend_rows))
        L.footer(
            ax,
            [f"Lines: Wilson {format_level(alpha)} CI. n.r.: not reported."],
            0.5 + 0.19 * legend_rows + 0.04,
            x_in=-left_in,
        )
        if title:
            L.title(ax, title, left_in)
    return fig

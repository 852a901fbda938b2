"""The published composite-responder table against placebo, re-analysed under every assumed denominator.

Left panel: each reported row's printed placebo and active rates. Right panel: for each scenario (an
assumed pair of arm sizes, from :func:`fmtrials.reanalyse_reported`) the risk difference in percentage
points -- the range of estimates over the admissible count pairs (thick) inside the envelope of their
confidence intervals (thin). Scenarios under which the printed percentages are impossible are written out
as such, never dropped; rows without arm sizes show the printed difference as an open marker.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._format import format_number, rows_level
from ..consistency.reanalysis_reported import NO_ARM
from . import _layout as L
from . import _style as S

__all__ = ["plot_reported"]

_ROW_IN = 0.19
_BOTTOM = 0.95  # inches below the panels: the x label and three lines of legend text
_W = 9.0


def _lines(r: pd.DataFrame) -> list[tuple[str, str, Any]]:
    """(kind, text, record) per figure line: a header per reported row, then its scenarios; rows attributed
    jointly (``joint_rows``) get their headers first, then per joint scenario a line naming it and a line per
    row."""
    out: list[tuple[str, str, Any]] = []
    joint = r["joint_rows"].notna() if "joint_rows" in r.columns else pd.Series(False, index=r.index)
    done: set[str] = set()
    for _, g in r.groupby("row", sort=True):
        jr = g["joint_rows"].iloc[0] if bool(joint[g.index].any()) else None
        if jr is None:
            out.append(("header", _header(g.iloc[0]), g.iloc[0]))
            for _, s in g.iterrows():
                n = "no arm sizes" if pd.isna(s.n_t) else f"n {int(s.n_t)} vs {int(s.n_c)}"
                out.append(("scenario", f"    {n} ({s.scenario_kind}: {_whose(s.scenario)})", s))
            continue
        if jr in done:
            continue
        done.add(jr)
        grp = r[(r["joint_rows"] == jr).to_numpy()]
        for _, h in grp.drop_duplicates("row").iterrows():
            out.append(("header", _header(h), h))
        for scenario, sg in grp.groupby("scenario", sort=False):
            first = sg.iloc[0]
            out.append(("joint", f"  {first.scenario_kind}: {_whose(scenario)}, {_sizes(scenario)}", sg))
            for _, s in sg.iterrows():
                n = f"– vs {int(s.n_c)}" if pd.isna(s.n_t) else f"{int(s.n_t)} vs {int(s.n_c)}"
                out.append(("scenario", f"    {_dose(s)}: n {n}", s))
    return out


def _whose(scenario: str) -> str:
    """The trial (and arm) a scenario attributes the row to: ``"candidate Vitton2004 milnacipran_qd (...)"``
    -> ``"Vitton2004 milnacipran_qd"``."""
    words = str(scenario).split(" (")[0].split(" ")
    return " ".join(words[1:]) if len(words) > 1 else str(scenario)


def _header(first: Any) -> str:
    p = "" if first.p_reported is None else f", printed p {first.p_reported}"
    dose = f" {_dose(first)}" if _dose(first) else ""
    return f"{first.label}{dose}: {first.percent_t}% vs {first.percent_c}% placebo{p}"


def _dose(s: Any) -> str:
    return "" if pd.isna(s.dose_mg_day) else f"{int(s.dose_mg_day)} mg/day"


def _sizes(scenario: str) -> str:
    """``"... (randomized: placebo 401, 100 mg/day 399, 200 mg/day 396)"`` -> ``"placebo 401, 100 mg/day 399,
    200 mg/day 396"``."""
    return str(scenario).partition(" (")[2].rsplit(": ", 1)[-1].rstrip(")")


def _verdict(sg: pd.DataFrame) -> tuple[str, str, str]:
    """(text, colour, gid) of a joint scenario's verdict: possible, contradicted (by which source) or not
    possible (why, briefly)."""
    if sg["possible"].eq(True).all():
        return "✓ possible", S.OKABE_ITO["blue"], "possible"
    why = [f"no {_dose(s)} arm" for _, s in sg.iterrows() if pd.isna(s.n_t)]
    if any(pd.notna(s.n_t) and not bool(s.consistent) for _, s in sg.iterrows()):
        why.append("printed % impossible")
    if "printed p not reproduced" in str(sg["judgement"].iloc[0]):
        why.append("printed p not reproduced")
    if sg["contradicted_by"].notna().any():
        src = "; ".join(dict.fromkeys(sg["contradicted_by"].dropna()))
        why = [w for w in why if w != "printed p not reproduced"]  # the contradiction is the stronger reason
        return "; ".join([f"⊘ contradicted by {src}", *why]), S.OKABE_ITO["reddish_purple"], "contradicted"
    colour = S.GREY if why == ["printed p not reproduced"] else S.OKABE_ITO["vermillion"]
    return "× not possible: " + "; ".join(why), colour, "not-possible"


def _default_rows(reported: pd.DataFrame | None) -> pd.DataFrame:
    if reported is None:  # the one definition of "the published composite table": the analysis layer's
        from ..analysis.headline import composite_table

        return composite_table()
    return reported[reported["status"].notna()]


def _draw_joint(ax, y: float, sg: pd.DataFrame) -> None:
    text, colour, gid = _verdict(sg)
    ax.text(
        0.02,
        y,
        text,
        va="center",
        ha="left",
        fontsize=S.SMALL_SIZE,
        color=colour,
        fontfamily=S.FONT,
        fontweight="bold",
        gid=gid,
        transform=ax.get_yaxis_transform(),
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
    )


def _draw_scenario(ax, y: float, s: Any) -> None:
    contradicted = isinstance(getattr(s, "contradicted_by", None), str)
    possible = getattr(s, "possible", pd.NA)
    # possible or not judged: blue; ruled out by p only: grey; contradicted by the trial: purple, dashed
    blue = (
        S.OKABE_ITO["reddish_purple"]
        if contradicted
        else S.GREY
        if possible is False or (not pd.isna(possible) and not bool(possible))
        else S.OKABE_ITO["blue"]
    )
    style = (0, (2.5, 1.2)) if contradicted else "-"
    if s.status == NO_ARM:
        ax.text(
            0.02,
            y,
            f"no {_dose(s)} arm in this trial",
            va="center",
            ha="left",
            fontsize=S.SMALL_SIZE,
            color=S.GREY,
            fontfamily=S.FONT,
            gid="no-arm",
            transform=ax.get_yaxis_transform(),
        )
        return
    if pd.notna(s.n_t) and not bool(s.consistent):
        ax.text(
            0.02,
            y,
            "× impossible: the printed % cannot arise from these arm sizes",
            va="center",
            ha="left",
            fontsize=S.SMALL_SIZE,
            color=S.OKABE_ITO["vermillion"],
            fontfamily=S.FONT,
            gid="impossible",
            transform=ax.get_yaxis_transform(),
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
        )
        return
    if pd.isna(s.estimate_min):
        ax.plot(
            [s.difference_printed], [y], marker="D", mfc="white", mec=S.GREY, ms=4, ls="none", gid="printed-difference"
        )
        ax.text(
            s.difference_printed - 1,
            y,
            f"{format_number(s.difference_printed, 1)}: difference of the printed % (no arm sizes)",
            va="center",
            ha="right",
            fontsize=S.SMALL_SIZE,
            fontfamily=S.FONT,
            color=S.GREY,
        )
        return
    ax.plot([100 * s.ci_low, 100 * s.ci_high], [y, y], color=blue, lw=0.9, ls=style, gid="ci-envelope")
    ax.plot(
        [100 * s.estimate_min, 100 * s.estimate_max],
        [y, y],
        color=blue,
        lw=3.0,
        solid_capstyle="butt",
        gid="estimate-range-contradicted" if contradicted else "estimate-range",
    )
    ax.plot([100 * s.estimate_min], [y], marker="x" if contradicted else "|", color=blue, ms=6)
    text = (
        f"{format_number(100 * s.estimate_min, 1)} ({format_number(100 * s.ci_low, 1)} to "
        f"{format_number(100 * s.ci_high, 1)})"
    )
    ax.text(100 * s.ci_high + 1, y, text, va="center", fontsize=S.SMALL_SIZE, fontfamily=S.FONT, color=blue)


def plot_reported(
    reported: pd.DataFrame | None = None, *, ax: Any = None, title: str | None = None, treatment: str = "milnacipran"
) -> Any:
    """The published composite-responder table against placebo, under every assumed denominator.

    Parameters
    ----------
    reported : pandas.DataFrame, optional
        Output of :func:`fmtrials.reanalyse_reported` (any rows); default: that function's rows of the seed
        table (source SEED003, "Table 1: Composite Responder Rates in Milnacipran Trials").
    ax : matplotlib Axes, optional
        Draw the risk-difference panel on ``ax`` (the printed-rates panel is then left out).
    title : str, optional
        Default names the endpoint and says the denominators are assumed.
    treatment : str, default "milnacipran"
        The active arms' name in the legend text.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import fmtrials
    >>> fig = fmtrials.plot_reported()
    >>> [a.get_xlabel() for a in fig.axes]
    ['Printed rate, %', 'Risk difference, percentage points']
    """
    r = _default_rows(reported)
    lines = _lines(r)
    n = len(lines)
    y = np.arange(n)[::-1].astype(float)
    left = 0.25 + max(L.text_width(text) for _, text, _ in lines)  # the row labels, measured
    width = left + 1.3 + 0.3 + 3.5 + 0.3
    heading = _wrap_title(title or _title(r), width - 0.6)  # measured widths run ~3% short of Agg's
    top = 0.2 + 0.16 * (heading.count("\n") + 1)  # inches above the panels: the title's lines
    with S.house_style():
        if ax is None:
            height = top + _BOTTOM + _ROW_IN * max(n, 1)
            from ._figure import new_figure

            fig = new_figure(width, height)
            box = (_BOTTOM / height, (height - top - _BOTTOM) / height)
            rates = fig.add_axes((left / width, box[0], 1.3 / width, box[1]))
            ax = fig.add_axes(((left + 1.6) / width, box[0], 3.5 / width, box[1]))
            _rates_panel(rates, lines, y)
        else:
            fig = ax.figure
        S.style_axes(ax, left_spine=False)
        ax.set_xlim(*_rd_limits(r))
        ax.axvline(0, color="black", lw=0.6, zorder=0, gid="null-line")
        for yy, (kind, _, rec) in zip(y, lines):
            if kind == "scenario":
                _draw_scenario(ax, yy, rec)
            elif kind == "joint":
                _draw_joint(ax, yy, rec)
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_yticks([])
        ax.set_xlabel("Risk difference, percentage points", fontfamily=S.FONT)
        fig.text(
            0.01,
            1 - 0.1 / fig.get_figheight(),
            heading,
            fontsize=S.TITLE_SIZE,
            fontfamily=S.FONT,
            va="top",
            parse_math=False,
        )
        fig.text(
            0.01,
            0.01,
            "Thick: range of the estimate over every count pair the printed % admit; thin: "
            f"envelope of their {rows_level(r)} intervals.\nRows sharing a placebo rate are attributed jointly "
            "(one trial or "
            "pooled set): ✓ possible; × not possible (grey: only the printed p fails);\n⊘ contradicted by the "
            "trial's own figures (purple, dashed). Arm sizes are assumptions, not data. "
            f"Rates: ● placebo, ◆ {L.truncate(treatment)}.",
            fontsize=S.SMALL_SIZE,
            fontfamily=S.FONT,
            color=S.GREY,
            parse_math=False,
        )
    return fig


def _wrap_title(text: str, width_in: float) -> str:
    """``text`` with its lines wrapped at word breaks to at most ``width_in`` inches in the title font."""
    import textwrap

    out: list[str] = []
    for line in text.split("\n"):
        chars = len(line)
        while chars > 20 and any(L.text_width(part, S.TITLE_SIZE) > width_in for part in textwrap.wrap(line, chars)):
            chars -= 4
        out.extend(textwrap.wrap(line, chars) or [""])
    return "\n".join(out)


def _title(r: pd.DataFrame) -> str:
    """Default title: the endpoint(s) by their glossary labels and definitions (never the bare code), and the
    assumption."""
    from ..data import load_endpoints

    g = load_endpoints().set_index("code")
    codes = list(dict.fromkeys(r["endpoint"].dropna().astype(str))) if "endpoint" in r.columns else []
    what = "; ".join(str(g.at[c, "label"]) if c in g.index else c for c in codes) or "published responder rates"
    defined = "; ".join(f"{g.at[c, 'label']}: {g.at[c, 'definition']}" for c in codes if c in g.index)
    return f"Published {what} vs placebo, re-analysed under each assumed attribution of arm sizes" + (
        f"\n{defined}" if defined else ""
    )


def _rd_limits(r: pd.DataFrame) -> tuple[float, float]:
    """x range of the risk-difference panel (points): zero, every interval and printed difference, room
    for the labels on the right."""
    vals = [0.0, *(100 * r["ci_low"].dropna()), *(100 * r["ci_high"].dropna()), *r["difference_printed"].dropna()]
    lo, hi = min(vals), max(vals)
    return min(-5.0, lo - 2.0), hi + 0.45 * (hi - min(0.0, lo)) + 2.0


def _rates_panel(ax, lines: list, y: np.ndarray) -> None:
    """Printed placebo (black circle) and active (blue diamond) rates on each header line; row labels."""
    S.style_axes(ax)
    for yy, (kind, _, rec) in zip(y, lines):
        if kind != "header":
            continue
        pt, pc = float(rec.percent_t), float(rec.percent_c)
        ax.plot([pc, pt], [yy, yy], color=S.GREY, lw=0.6)
        ax.plot([pc], [yy], marker=S.PLACEBO_MARKER, color=S.PLACEBO_COLOR, ms=4, ls="none", gid="placebo")
        ax.plot([pt], [yy], marker="D", color=S.OKABE_ITO["blue"], ms=4, ls="none", gid="active")
    ax.set_yticks(y, [text for _, text, _ in lines], fontsize=S.SMALL_SIZE, fontfamily=S.FONT)
    ax.set_ylim(-0.7, len(lines) - 0.3)
    ax.set_xlim(0, 50)
    ax.set_xlabel("Printed rate, %", fontfamily=S.FONT)

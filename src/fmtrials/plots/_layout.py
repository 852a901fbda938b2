"""Text-table layout shared by the forest and responder plots: measuring, truncating and placing text.

A figure is laid out in inches: text columns to the left and right of one plotting axes, one row per
:data:`ROW_H` inches, a footer below. Every text drawn from data goes through :func:`put_text` (or
:func:`literal_legend`), which switches matplotlib's math-text parsing off: a study called ``"$x^2$"`` or
``"a$b"`` is printed as typed and can never break the drawing. Labels longer than :data:`MAX_LABEL_CHARS`
characters are cut with an ellipsis (:func:`truncate`) so a long name cannot make a figure absurdly wide.

matplotlib is imported inside the functions only.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import _style as S

__all__ = [
    "ROW_H",
    "GAP",
    "PAD",
    "PLOT_W",
    "MAX_LABEL_CHARS",
    "text_width",
    "truncate",
    "Column",
    "Table",
    "put_text",
    "literal_legend",
    "make_figure",
    "draw_table",
    "footer",
    "wrap",
    "row_axes",
    "bottom_legend",
    "title",
    "title_height",
    "tip_marker",
    "edge_arrows",
    "arm_label",
    "dose_text",
    "dose_short",
    "place_labels",
    "scatter_labels",
]

ROW_H = 0.19  # inches per table row (19 px at 100 dpi, 21 px with the row gaps of the footer)
GAP = 0.14  # inches between text columns
PAD = 0.12  # figure edge padding, inches
PLOT_W = 2.3  # width of the graphical column, inches
#: labels drawn from data (study, trial, arm names) are cut to this many characters, ending in "…"
MAX_LABEL_CHARS = 40


def text_width(s: str, size: float = S.FONT_SIZE, bold: bool = False) -> float:
    """Width of ``s`` in inches when set in the house font (multi-line: the widest line), math text off."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    if not s:
        return 0.0
    prop = FontProperties(family=S.FONT, size=size, weight="bold" if bold else "normal")
    ttp = TextToPath()
    return max(ttp.get_text_width_height_descent(line, prop, ismath=False)[0] for line in s.split("\n")) / 72.0


def truncate(text: Any, limit: int = MAX_LABEL_CHARS) -> str:
    """``text`` as a string of at most ``limit`` characters, cut with an ellipsis when longer.

    Examples
    --------
    >>> truncate("Mease2009")
    'Mease2009'
    >>> truncate("A very long trial name indeed", 12)
    'A very long…'
    """
    s = str(text)
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


def put_text(ax, x: float, y: float, text: str, **kw: Any):
    """``ax.text`` with the house font and math text off (data is drawn literally)."""
    kw.setdefault("fontfamily", S.FONT)
    return ax.text(x, y, text, parse_math=False, **kw)


def literal_legend(leg) -> None:
    """Draw a legend's labels literally (no math text) and tag it ``legend``."""
    for t in leg.get_texts():
        t.set_parse_math(False)
    leg.set_gid("legend")


def arm_label(text: str) -> str:
    """First letter upper case: ``"placebo" -> "Placebo"``."""
    return text[:1].upper() + text[1:]


def dose_text(dose: Any) -> str:
    """``100 -> "100 mg/day"``; ``"dose not fixed"`` when unknown."""
    if S.isnan(dose):
        return "dose not fixed"
    return f"{float(dose):g} mg/day"


def dose_short(dose: Any) -> str:
    """``100 -> "100 mg"``; ``"dose n.f."`` when unknown."""
    return "dose n.f." if S.isnan(dose) else f"{float(dose):g} mg"


def tip_marker(direction: str, *, outward: bool = False):
    """A filled triangle pointing ``direction`` (arrow heads for clipped intervals): its *tip* sits at the data
    point, or with ``outward=True`` its *base* does (the head then lies beyond a cut drawn at that point)."""
    from matplotlib.path import Path

    s = 1.0 if direction == "right" else -1.0
    if outward:
        verts = [(0.0, 0.55), (s, 0.0), (0.0, -0.55), (0.0, 0.55)]
    else:
        verts = [(0.0, 0.0), (-s, 0.55), (-s, -0.55), (0.0, 0.0)]
    return Path(verts, [Path.MOVETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY])


def edge_arrows(ax, lo: float, hi: float, y: float, xlim: Sequence[float], color: str, gid: str = "arrow") -> int:
    """Arrow heads (tip on the axis edge) where the interval ``[lo, hi]`` at height ``y`` runs beyond ``xlim``;
    returns how many were drawn."""
    n = 0
    for cut, side, x in ((lo < xlim[0], "left", xlim[0]), (hi > xlim[1], "right", xlim[1])):
        if cut:
            ax.plot(
                [x], [y], ls="none", marker=tip_marker(side), ms=6, color=color, mew=0, zorder=4, clip_on=False, gid=gid
            )
            n += 1
    return n


@dataclass
class Column:
    """One text column: a bold header and one cell per row."""

    header: str
    cells: list[str]
    align: str = "left"  # "left", "right" or "center"


def size_of(style: str) -> float:
    """Font size of a row style (notes are small)."""
    return S.SMALL_SIZE if style == "note" else S.FONT_SIZE


@dataclass
class Table:
    """Rows of text columns left and right of a plotting axes (forest plot and responder plot)."""

    left: list[Column]
    right: list[Column]
    styles: list[str]  # per row: "normal", "heading", "summary", "note"
    spans: dict[int, str] = field(default_factory=dict)  # row -> text spanning the left columns

    @property
    def nrows(self) -> int:
        return len(self.styles)

    def widths(self, cols: list[Column]) -> list[float]:
        out = []
        for c in cols:
            w = text_width(c.header, S.FONT_SIZE, bold=True)
            for cell, st in zip(c.cells, self.styles):
                w = max(w, text_width(cell, size_of(st), bold=st in ("heading", "summary")))
            out.append(w)
        return out

    def left_width(self) -> float:
        w = self.widths(self.left)
        total = sum(w) + GAP * len(w)
        span = max((text_width(t, S.SMALL_SIZE) for t in self.spans.values()), default=0.0)
        return max(total, span + GAP)

    def right_width(self) -> float:
        w = self.widths(self.right)
        return sum(w) + GAP * len(w)


def make_figure(ax, left_in: float, plot_in: float, right_in: float, nrows: int, top_in: float, bottom_in: float):
    """Create a figure laid out in inches around one axes, or use the caller's axes."""
    if ax is not None:
        return ax.figure, ax
    width = PAD + left_in + plot_in + right_in + PAD
    height = top_in + nrows * ROW_H + bottom_in
    from ._figure import new_figure

    fig = new_figure(width, height)
    ax = fig.add_axes(((PAD + left_in) / width, bottom_in / height, plot_in / width, nrows * ROW_H / height))
    return fig, ax


def draw_table(ax, table: Table) -> None:
    """Draw the text columns of ``table`` outside ``ax`` (x in inches from its edges, y in rows)."""
    from matplotlib.transforms import ScaledTranslation, blended_transform_factory

    fig = ax.figure

    def xform(dx: float, y_axes: bool = False):
        x_t = ax.transAxes + ScaledTranslation(dx, 0.0, fig.dpi_scale_trans)
        y_t = (ax.transAxes + ScaledTranslation(0.0, 0.06, fig.dpi_scale_trans)) if y_axes else ax.transData
        return blended_transform_factory(x_t, y_t)

    def put(col: Column, edge: float, start: float, width: float) -> None:
        x = {"left": start, "right": start + width, "center": start + width / 2}[col.align]
        put_text(
            ax,
            edge,
            1.0,
            col.header,
            transform=xform(x, y_axes=True),
            ha=col.align,
            va="bottom",
            fontsize=S.FONT_SIZE,
            fontweight="bold",
            clip_on=False,
            linespacing=1.15,
            gid="header",
        )
        for i, (cell, st) in enumerate(zip(col.cells, table.styles)):
            if cell:
                put_text(
                    ax,
                    edge,
                    i,
                    cell,
                    transform=xform(x),
                    ha=col.align,
                    va="center",
                    fontsize=size_of(st),
                    clip_on=False,
                    fontweight="bold" if st in ("heading", "summary") else "normal",
                    fontstyle="italic" if st == "note" else "normal",
                    gid=f"cell-{st}",
                )

    left_total = table.left_width()
    pos = -left_total
    for col, w in zip(table.left, table.widths(table.left)):
        put(col, 0.0, pos, w)
        pos += w + GAP
    for i, text in table.spans.items():
        put_text(
            ax,
            0.0,
            i,
            text,
            transform=xform(-left_total),
            ha="left",
            va="center",
            fontsize=S.SMALL_SIZE,
            fontstyle="italic",
            clip_on=False,
            gid="cell-note",
        )
    pos = GAP
    for col, w in zip(table.right, table.widths(table.right)):
        put(col, 1.0, pos, w)
        pos += w + GAP


def footer(ax, lines: Sequence[str], start_in: float, x_in: float | None = None) -> None:
    """Left-aligned small text lines below the axes, ``start_in`` inches under its bottom edge."""
    from matplotlib.transforms import ScaledTranslation

    for j, line in enumerate(lines):
        tr = ax.transAxes + ScaledTranslation(
            0.0 if x_in is None else x_in, -(start_in + j * 0.15), ax.figure.dpi_scale_trans
        )
        put_text(
            ax, 0.0, 0.0, line, transform=tr, ha="left", va="top", fontsize=S.SMALL_SIZE, clip_on=False, gid="footer"
        )


def wrap(lines: Sequence[str], width_in: float, size: float = S.SMALL_SIZE) -> list[str]:
    """Wrap footer lines so none is wider than ``width_in`` inches (continuation lines indented)."""
    out: list[str] = []
    for line in lines:
        chars = len(line)
        while chars > 20 and text_width(textwrap.fill(line, chars, subsequent_indent="    "), size) > width_in:
            chars -= 5
        out.extend(textwrap.wrap(line, chars, subsequent_indent="    ") or [""])
    return out


def row_axes(ax, nrows: int) -> None:
    """Rows run downwards from 0; no y ticks, no left spine."""
    ax.set_ylim(nrows - 0.5, -0.5)
    ax.set_yticks([])
    S.style_axes(ax, left_spine=False)


def bottom_legend(ax, handles, below_in: float, x_in: float, ncol: int) -> None:
    """Legend below the axes, its top-left corner ``below_in`` inches under the axes and ``x_in`` from its left."""
    from matplotlib.transforms import ScaledTranslation

    tr = ax.transAxes + ScaledTranslation(x_in, -below_in, ax.figure.dpi_scale_trans)
    nrows = math.ceil(len(handles) / ncol)
    # matplotlib fills legend columns top to bottom; reorder so the entries read row by row
    handles = [handles[r * ncol + c] for c in range(ncol) for r in range(nrows) if r * ncol + c < len(handles)]
    leg = ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.0, 0.0),
        bbox_transform=tr,
        ncol=ncol,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.4,
        borderaxespad=0.0,
        borderpad=0.0,
        handletextpad=0.5,
        prop={"family": S.FONT, "size": S.SMALL_SIZE},
    )
    literal_legend(leg)


def title_height(text: str | None) -> float:
    """Inches to reserve above the column headers for a :func:`title` of ``text`` (one or more lines).

    Examples
    --------
    >>> title_height(None), title_height("One line"), round(title_height("Two\\nlines"), 2)
    (0.0, 0.25, 0.41)
    """
    return 0.09 + 0.16 * (text.count("\n") + 1) if text else 0.0


def title(ax, text: str, left_in: float) -> None:
    """Bold title above the column headers, flush with the leftmost text column."""
    from matplotlib.transforms import ScaledTranslation

    put_text(
        ax,
        0.0,
        1.0,
        text,
        transform=ax.transAxes + ScaledTranslation(-left_in, 0.5, ax.figure.dpi_scale_trans),
        ha="left",
        va="bottom",
        fontsize=S.TITLE_SIZE,
        fontweight="bold",
        gid="title",
    )


#: vertical steps (in label heights) tried, in order, when a label would cover another label or a point
_REPEL_STEPS = (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6)


def _boxes_hit(box: tuple[float, float, float, float], others: list[tuple[float, float, float, float]]) -> int:
    """How many of ``others`` the box ``(x0, y0, x1, y1)`` overlaps."""
    x0, y0, x1, y1 = box
    return sum(1 for a0, b0, a1, b1 in others if x0 < a1 and a0 < x1 and y0 < b1 and b0 < y1)


def place_labels(ax, xy: Any, texts: Sequence[str], radii: Sequence[float], size: float) -> list[tuple]:
    """Deterministic placement of point labels: offsets ``(dx, dy, ha)`` in points from each point.

    Each label goes right of its point (beyond its marker radius, in points) at its height if that spot is free;
    otherwise the first free spot of: left of the point, then one, two, … label heights above or below, right
    before left. A spot is free when the label's box stays inside the axes and covers no label already placed
    and no point's marker. Labels are placed from the top of the axes down (ties: left to right). When no spot
    is free, the one covering fewest is taken. Call after the axis limits are final.
    """
    import numpy as np

    fig = ax.figure
    ax.autoscale_view()
    ax.apply_aspect()
    to_pt = 72.0 / fig.dpi
    pts = ax.transData.transform(np.asarray(xy, dtype=float).reshape(-1, 2)) * to_pt
    bx0, by0, bx1, by1 = (v * to_pt for v in ax.bbox.extents)
    height = size * 1.55  # a line of text (about 1.2 x size) and a gap
    gap = 3.5
    markers = [(x - r, y - r, x + r, y + r) for (x, y), r in zip(pts, radii)]
    placed: list[tuple[float, float, float, float]] = []
    out: list[Any] = [None] * len(texts)
    for i in sorted(range(len(texts)), key=lambda i: (-pts[i][1], pts[i][0], i)):
        x, y = pts[i]
        w = text_width(texts[i], size) * 72.0
        dx = radii[i] + gap
        best: tuple | None = None
        for step in _REPEL_STEPS:
            dy = step * height
            for ha in ("left", "right"):
                left = x + dx if ha == "left" else x - dx - w
                box = (left, y + dy - height / 2, left + w, y + dy + height / 2)
                inside = box[0] >= bx0 and box[2] <= bx1 and box[1] >= by0 and box[3] <= by1
                hits = _boxes_hit(box, placed) + _boxes_hit(box, markers) + (0 if inside else 100)
                if best is None or hits < best[0]:
                    best = (hits, (dx if ha == "left" else -dx, dy, ha), box)
                if hits == 0:
                    break
            if best is not None and best[0] == 0:
                break
        assert best is not None
        placed.append(best[2])
        out[i] = best[1]
    return out


def scatter_labels(ax, xy: Any, texts: Sequence[str], radii: Sequence[float], *, size: float) -> None:
    """Draw point labels where :func:`place_labels` puts them (math text off, ``gid="label"``); a label moved
    off its point's height gets a thin leader line to the point."""
    for (x, y), text, r, (dx, dy, ha) in zip(xy, texts, radii, place_labels(ax, xy, texts, radii, size)):
        leader = {"arrowstyle": "-", "lw": 0.4, "color": "#999999", "shrinkA": 1.0, "shrinkB": r} if dy else None
        ax.annotate(
            text,
            (x, y),
            xytext=(dx, dy),
            textcoords="offset points",
            ha=ha,
            va="center",
            fontsize=size,
            fontfamily=S.FONT,
            color="#333333",
            gid="label",
            parse_math=False,
            arrowprops=leader,
            annotation_clip=False,
        )

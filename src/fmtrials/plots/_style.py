"""The fmtrials house style for figures.

One place fixes the fonts, sizes, colours and markers of every fmtrials figure:

* **Font**: DejaVu Sans, which ships with matplotlib, so a figure looks the same on every machine.
* **Sizes**: 8 pt text, 7 pt tick labels, 9 pt titles (a journal column is about 3.5 in wide).
* **Colours**: the Okabe–Ito palette (Okabe & Ito 2008, *Color Universal Design*), readable with the common
  colour-vision deficiencies; placebo is black, each dose also gets its own marker shape, so the figures
  survive greyscale printing.

The style is applied with :func:`matplotlib.rc_context` around figure construction (and explicit artist
properties for anything created lazily at draw time), never by changing the global ``matplotlib.rcParams``.

Export with deterministic bytes lives in :mod:`fmtrials.plots.export`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "OKABE_ITO",
    "PLACEBO_COLOR",
    "PLACEBO_MARKER",
    "FONT",
    "FONT_SIZE",
    "TICK_SIZE",
    "TITLE_SIZE",
    "RC",
    "house_style",
    "dose_style",
    "lookup_dose",
    "style_axes",
    "GREY",
    "SMALL_SIZE",
    "isnan",
]

#: Okabe–Ito colour-blind-safe palette (name -> hex).
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
PLACEBO_COLOR = OKABE_ITO["black"]
GREY = "#777777"
FONT = "DejaVu Sans"
FONT_SIZE = 8.0
TICK_SIZE = 7.0
TITLE_SIZE = 9.0
SMALL_SIZE = 7.0

#: rcParams applied (temporarily, with ``rc_context``) while a figure is built or saved.
RC: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "font.size": FONT_SIZE,
    "axes.titlesize": TITLE_SIZE,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": TICK_SIZE,
    "ytick.labelsize": TICK_SIZE,
    "legend.fontsize": SMALL_SIZE,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.minor.width": 0.4,
    "lines.linewidth": 0.9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "fmtrials",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "axes.unicode_minus": True,
    "path.simplify": False,
    "text.usetex": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.facecolor": "white",
    "savefig.edgecolor": "white",
    "figure.facecolor": "white",
    "axes.facecolor": "white",
}

# Doses that appear in the milnacipran trials get fixed styles; other doses take the remaining colours and
# markers in increasing dose order (see dose_style).
_DOSE_FIXED = {100.0: (OKABE_ITO["blue"], "D"), 200.0: (OKABE_ITO["vermillion"], "^")}
_DOSE_CYCLE = [
    (OKABE_ITO["orange"], "v"),
    (OKABE_ITO["bluish_green"], "s"),
    (OKABE_ITO["reddish_purple"], "P"),
    (OKABE_ITO["sky_blue"], "X"),
    (OKABE_ITO["yellow"], "h"),
]
_DOSE_UNKNOWN = (OKABE_ITO["reddish_purple"], "*")
PLACEBO_MARKER = "o"


@contextmanager
def house_style() -> Iterator[None]:
    """Apply the house rcParams for the duration of a ``with`` block (global rcParams restored after)."""
    import matplotlib

    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        yield


def dose_style(doses: Any) -> dict[float, tuple[str, str]]:
    """Map each active dose (mg/day) to a ``(colour, marker)`` pair.

    100 and 200 mg/day always get blue diamonds and vermillion triangles, so all figures agree; other doses
    take the remaining Okabe–Ito colours and markers in increasing order. Placebo (0) and unknown doses (NaN)
    are not in the map: see :data:`PLACEBO_COLOR`, :data:`PLACEBO_MARKER` and :func:`lookup_dose`.
    """
    known = {float(d) for d in doses if not isnan(d) and float(d) != 0.0}
    out = {d: _DOSE_FIXED[d] for d in known if d in _DOSE_FIXED}
    for i, d in enumerate(sorted(known - set(_DOSE_FIXED))):
        out[d] = _DOSE_CYCLE[i % len(_DOSE_CYCLE)]
    return out


def lookup_dose(styles: dict[float, tuple[str, str]], dose: Any) -> tuple[str, str]:
    """The ``(colour, marker)`` for ``dose`` from a :func:`dose_style` map (NaN-safe)."""
    if isnan(dose):
        return _DOSE_UNKNOWN
    return styles.get(float(dose), (GREY, "o"))


def isnan(x: Any) -> bool:
    try:
        return x is None or math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def style_axes(ax, *, left_spine: bool = True) -> None:
    """Set the house tick and spine properties explicitly on ``ax``.

    Tick labels are created lazily at draw time, possibly outside the ``rc_context`` of the plotting
    function, so their font and size are stored on the axes (``tick_params``), not taken from rcParams.
    """
    ax.tick_params(
        axis="both",
        which="both",
        labelsize=TICK_SIZE,
        labelfontfamily=FONT,
        width=0.6,
        direction="out",
        color="black",
        labelcolor="black",
    )
    ax.tick_params(axis="both", which="major", length=3)
    ax.tick_params(axis="both", which="minor", length=1.5, width=0.4)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_visible(left_spine)
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
    ax.xaxis.label.set_fontfamily(FONT)
    ax.yaxis.label.set_fontfamily(FONT)
    ax.xaxis.label.set_fontsize(FONT_SIZE)
    ax.yaxis.label.set_fontsize(FONT_SIZE)

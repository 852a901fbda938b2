"""Effect axes shared by the forest and funnel plots: symmetric limits around the null, ratio tick ladders.

matplotlib is imported inside the functions only.
"""

from __future__ import annotations

import math

import numpy as np

from .._vocab import CONTINUOUS_MEASURES, RATIO_MEASURES

__all__ = ["RATIO_TICKS", "RATIO_TICKS_DENSE", "null_value", "auto_xlim", "set_effect_axis", "set_ratio_ticks"]

RATIO_LADDER = (2.0, 5.0, 10.0, 20.0, 50.0, 100.0)  # symmetric ratio axes run from 1/m to m
RATIO_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
RATIO_TICKS_DENSE = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0)
DIFFERENCE_LADDER = (0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0)


def null_value(measure: str) -> float:
    """The line of no effect: 1 for a ratio, 0 for a difference."""
    return 1.0 if measure in RATIO_MEASURES else 0.0


def auto_xlim(measure: str, values: np.ndarray) -> tuple[float, float]:
    """Limits symmetric around the null (1/m to m for ratios) holding every finite value.

    Examples
    --------
    >>> auto_xlim("RR", np.array([0.6, 1.7]))
    (0.5, 2.0)
    >>> auto_xlim("RD", np.array([-0.03, 0.12]))
    (-0.2, 0.2)
    """
    v = values[np.isfinite(values)]
    if measure in RATIO_MEASURES:
        v = v[v > 0]
        need = float(np.max(np.abs(np.log(v)))) if v.size else math.log(2)
        m = next((L for L in RATIO_LADDER if math.log(L) >= need - 1e-12), RATIO_LADDER[-1])
        return 1.0 / m, m
    need = float(np.max(np.abs(v))) if v.size else 0.1
    if measure in CONTINUOUS_MEASURES:  # a mean difference in the outcome's units: 1, 2, 2.5, 5 x 10^j
        return (-_nice(need), _nice(need)) if need > 0 else (-1.0, 1.0)
    m = next((L for L in DIFFERENCE_LADDER if L >= need - 1e-12), 1.0)
    return -m, m


def _nice(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is >= ``x`` (> 0).

    Examples
    --------
    >>> _nice(0.7), _nice(3.2), _nice(55.0)
    (1.0, 5.0, 100.0)
    """
    e = math.floor(math.log10(x))
    for j in (e, e + 1):
        for m in (1.0, 2.0, 2.5, 5.0):
            if m * 10.0**j >= x - 1e-12 * x:
                return float(m * 10.0**j)
    return float(10.0 ** (e + 2))  # pragma: no cover


def set_ratio_ticks(ax, xlim: tuple[float, float], ladders: tuple[tuple[float, ...], ...]) -> None:
    """Log x axis with plain tick labels from the first ladder giving at most 7 ticks within ``xlim``."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ax.set_xscale("log")
    ax.set_xlim(*xlim)
    ticks: list[float] = []
    for ladder in ladders:
        cand = [t for t in ladder if xlim[0] * (1 - 1e-9) <= t <= xlim[1] * (1 + 1e-9)]
        if len(cand) <= 7:
            ticks = sorted(set(cand))
            break
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def set_effect_axis(ax, measure: str, xlim: tuple[float, float]) -> None:
    """The forest plot's effect axis: log with a ratio ladder, or linear with symmetric ticks."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    if measure in RATIO_MEASURES:
        set_ratio_ticks(ax, xlim, (RATIO_TICKS_DENSE, RATIO_TICKS, (xlim[0], 0.01, 0.1, 1.0, 10.0, 100.0, xlim[1])))
        ticks = list(ax.xaxis.get_major_locator().locs)
        if len(ticks) < 3:
            ax.xaxis.set_major_locator(FixedLocator(sorted({xlim[0], 1.0, xlim[1], *ticks})))
    else:
        ax.set_xlim(*xlim)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, symmetric=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}".replace("-", "−")))

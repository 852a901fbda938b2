"""Per-study effect sizes and their sampling variances (metafor's ``escalc``): one rule for every room.

Pooling, the per-comparison Wald intervals (Katz for the risk ratio, Woolf for the odds ratio) and the plots
take their per-study log risk ratios, log odds ratios, risk differences and variances from here:

* a table with a zero cell (no events, or only events, in an arm) gets ``add`` (1/2) added to all four
  cells (``to="only0"``);
* a *double-zero* table (no events in both arms, or only events in both arms) carries no information on a
  ratio scale: for RR, OR and Peto it is excluded (``drop00=TRUE``): NaN effect and variance, no correction.
  The risk difference keeps it (its effect is 0).

References
----------
.. [1] Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat Softw 2010;36(3):1-48
   (``escalc``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_number, frame_counts
from .._vocab import CONTINUOUS_MEASURES, COUNT_COLUMNS, POOL_MEASURES, EffectMeasure, PoolMeasure, choice, renamed_args
from ._study import StudyEffects

__all__ = ["ADD", "StudyEffects", "double_zero", "effect_sizes", "study_effects"]

#: metafor's default zero-cell correction (``add=1/2``)
ADD = 0.5


def zero_cell(a, n1, c, n2) -> np.ndarray:
    """A zero cell anywhere in the 2x2 table (no events or only events in an arm): where ``to="only0"`` adds
    the continuity correction (unless the study is dropped as double-zero)."""
    return (a == 0) | (a == n1) | (c == 0) | (c == n2)


def double_zero(events_t, n_t, events_c, n_c) -> np.ndarray:
    """No events in both arms, or only events in both arms (metafor's ``drop00`` definition)."""
    return ((events_t == 0) & (events_c == 0)) | ((events_t == n_t) & (events_c == n_c))


def _yi_vi(measure: str, a, b, c, d) -> tuple[np.ndarray, np.ndarray]:
    """``escalc`` effect and sampling variance of the (corrected) cells a, b (treatment), c, d (control)."""
    m1, m2 = a + b, c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            return np.log(a / m1) - np.log(c / m2), 1 / a - 1 / m1 + 1 / c - 1 / m2
        if measure == "OR":
            return np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d
        if measure == "RD":
            p1, p2 = a / m1, c / m2
            return p1 - p2, p1 * (1 - p1) / m1 + p2 * (1 - p2) / m2
        if measure == "PETO":
            nn = m1 + m2
            xt, yt = a + c, b + d
            e = xt * m1 / nn
            v = xt * yt * (m1 / nn) * (m2 / nn) / (nn - 1)
            return (a - e) / v, 1 / v
    raise ValueError(measure)  # pragma: no cover - validated by the caller


def drops_double_zero(measure: str) -> bool:
    """Does ``measure`` leave a double-zero table out by default (escalc's ``drop00``)? Ratios (RR, OR, Peto) do:
    such a table carries no information on a ratio; a risk difference of 0 does.

    >>> [drops_double_zero(m) for m in ("RR", "OR", "PETO", "RD")]
    [True, True, True, False]
    """
    return measure.upper() != "RD"


@renamed_args(a="events_t", n1="n_t", c="events_c", n2="n_c")
def study_effects(
    events_t, n_t, events_c, n_c, *, measure: EffectMeasure, add: float = ADD, drop00: bool | None = None
) -> StudyEffects:
    """Per-study yi, vi as ``escalc(measure, add=add, to="only0", drop00=drop00)``.

    ``measure`` is "RR", "OR", "RD" or "PETO" (Peto's one-step log odds ratio); the counts are validated
    arrays (the caller's job). ``drop00`` defaults to ``measure != "RD"``; the Mantel-Haenszel model passes
    ``True`` for every measure, as ``rma.mh`` (whose per-study effects leave double-zero tables out).
    The previous release's names ``a, n1, c, n2`` are accepted with a DeprecationWarning.

    Examples
    --------
    >>> import numpy as np
    >>> e = study_effects(np.array([0, 4]), np.array([10, 10]), np.array([2, 2]), np.array([10, 10]), measure="RR")
    >>> e.corrected.tolist(), np.round(np.exp(e.yi), 4).tolist()
    ([True, False], [0.2, 2.0])
    """
    a, n1, c, n2 = events_t, n_t, events_c, n_c
    a = a.astype(float)
    c = c.astype(float)
    b = n1 - a
    d = n2 - c
    zero = zero_cell(a, n1, c, n2)
    dz = double_zero(a, n1, c, n2)
    excluded = dz if (drops_double_zero(measure) if drop00 is None else drop00) else np.zeros_like(dz)
    corrected = zero & ~excluded
    inc = np.where(corrected, add, 0.0)
    yi, vi = _yi_vi(measure, a + inc, b + inc, c + inc, d + inc)
    yi = np.where(excluded, np.nan, yi)
    vi = np.where(excluded, np.nan, vi)
    return StudyEffects(yi, vi, corrected, excluded)


def effect_sizes(table: pd.DataFrame, *, measure: PoolMeasure = "RR", add: float = ADD) -> pd.DataFrame:
    """Per-study effect sizes and sampling variances of a table of 2x2 counts or of a continuous outcome's
    summary statistics, as metafor ``escalc``.

    The same rule as :func:`fmtrials.pool` and the Katz/Woolf intervals of :func:`fmtrials.risk_ratio` /
    :func:`fmtrials.odds_ratio`: ``escalc(measure, ai=events_t, n1i=n_t, ci=events_c, n2i=n_c, add=add,
    to="only0", drop00=TRUE)`` for RR and OR (``drop00=FALSE`` for RD).

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``events_t, n_t, events_c, n_c`` (RR, OR, RD) or ``mean_t, sd_t, n_t, mean_c, sd_c, n_c``
        (MD, SMD, ROM); other columns are carried through. Bad counts or summary statistics raise
        :class:`~fmtrials.DataError` naming the 1-based row and the column.
    measure : {"RR", "OR", "RD", "MD", "SMD", "ROM"}
        Log risk ratio, log odds ratio or risk difference (treatment vs control); or, for a continuous
        outcome, mean difference, standardised mean difference (Hedges' g, exact correction, escalc's default
        variance) or log ratio of means (:mod:`fmtrials.effects.continuous`); letter case is ignored.
    add : float
        Added to all four cells of a table with a zero cell (> 0; metafor's default 1/2; 2x2 tables only).

    Returns
    -------
    pandas.DataFrame
        The columns of ``table``, then ``yi`` (effect on the analysis scale: log RR, log OR or RD), ``vi``
        (its sampling variance), ``corrected`` (``add`` was added to the cells) and ``excluded`` (a
        double-zero table for RR/OR: ``yi`` and ``vi`` are NaN, as ``drop00=TRUE``).

    Examples
    --------
    >>> import pandas as pd
    >>> from fmtrials.effects import effect_sizes
    >>> t = pd.DataFrame({"events_t": [4, 0, 0], "n_t": [123, 10, 10], "events_c": [11, 2, 0],
    ...                   "n_c": [139, 12, 12]})
    >>> effect_sizes(t, measure="RR").round(4)
       events_t  n_t  events_c  n_c      yi      vi  corrected  excluded
    0         4  123        11  139 -0.8893  0.3256      False     False
    1         0   10         2   12 -1.4424  2.2322       True     False
    2         0   10         0   12     NaN     NaN      False      True
    >>> m = pd.DataFrame({"mean_t": [5.0], "sd_t": [2.0], "n_t": [20], "mean_c": [4.0], "sd_c": [2.0], "n_c": [20]})
    >>> effect_sizes(m, measure="SMD")[["yi", "vi"]].round(4)
           yi     vi
    0  0.4901  0.103
    """
    m: Any = choice(measure, POOL_MEASURES, "measure")
    add = check_number(add, "add", low=0.0, inclusive=False)
    if m in CONTINUOUS_MEASURES:
        from .continuous import mean_effect_sizes

        return mean_effect_sizes(table, measure=m)
    a, n1, c, n2 = frame_counts(table, COUNT_COLUMNS)
    eff = study_effects(a, n1, c, n2, measure=m, add=add)
    out = table.copy()
    out["yi"] = eff.yi
    out["vi"] = eff.vi
    out["corrected"] = eff.corrected
    out["excluded"] = eff.excluded
    return out

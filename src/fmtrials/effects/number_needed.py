"""Number needed to treat (Altman 1998) from a risk difference and its interval.

References
----------
.. [1] Altman DG. Confidence intervals for the number needed to treat. BMJ 1998;317:1309-1312.
.. [2] Bender R. Calculating confidence intervals for the number needed to treat. Control Clin Trials
   2001;22:102-110.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._format import format_number
from .._validation import check_int
from .._vocab import EVENTS, RD_INTERVALS, Event, RDInterval, choice
from .difference import risk_difference

__all__ = ["nnt", "NNT_COLUMNS", "altman_columns"]

#: the NNT columns of :func:`nnt` and :func:`fmtrials.compare` (there ``label`` is ``nnt_label``)
NNT_COLUMNS = ("nnt", "nnt_type", "nnt_near", "nnt_near_type", "nnt_far", "nnt_far_type", "crosses_zero", "label")


def _inverse(v: np.ndarray) -> np.ndarray:
    """1/|v|, infinite at 0."""
    with np.errstate(divide="ignore"):
        return np.where(v == 0, np.inf, 1.0 / np.abs(v))


def _label(
    nnt: float, kind: str, near: float, near_kind: str, far: float, far_kind: str, crosses: bool, digits: int
) -> str:
    """E.g. ``"NNTB 6.0 (3.1 to 111.1)"`` or ``"NNTB 11.0 (NNTB 3.8 to ∞ to NNTH 7.1)"``."""
    head = f"{kind} {format_number(nnt, digits)}" if np.isfinite(nnt) else "NNT ∞"
    if crosses:
        return f"{head} ({near_kind} {format_number(near, digits)} to ∞ to {far_kind} {format_number(far, digits)})"
    return f"{head} ({format_number(near, digits)} to {format_number(far, digits)})"


def altman_columns(rd: Any, rd_low: Any, rd_high: Any, event: Event, digits: int = 1) -> dict[str, np.ndarray]:
    """The :data:`NNT_COLUMNS` from risk differences and their limits (arrays; ``event`` already checked).

    ``event="beneficial"``: a positive RD is benefit (NNTB); ``"harmful"``: a positive RD is harm (NNTH).
    ``nnt_near`` is the limit on the side of the estimate (printed first by Altman), ``nnt_far`` the other.

    Examples
    --------
    >>> cols = altman_columns([0.10], [-0.05], [0.25], "beneficial", digits=0)
    >>> float(cols["nnt_near"][0]), float(cols["nnt_far"][0]), cols["label"][0]
    (4.0, 20.0, 'NNTB 10 (NNTB 4 to ∞ to NNTH 20)')
    """
    sign = 1.0 if event == "beneficial" else -1.0
    rd, lo, hi = (sign * np.asarray(v, dtype=float) for v in (rd, rd_low, rd_high))
    ben, ben_lo, ben_hi = rd, np.minimum(lo, hi), np.maximum(lo, hi)  # on the benefit scale
    kind = np.where(ben > 0, "NNTB", np.where(ben < 0, "NNTH", "NNT"))
    crosses = (ben_lo < 0) & (ben_hi > 0)
    # the limit on the side of the estimate first (Altman): the benefit side is ben_hi, the harm side ben_lo
    # (an estimate of exactly 0 counts as the benefit side: its benefit limit is printed first)
    benefit_side = ben >= 0
    near = np.where(benefit_side, _inverse(ben_hi), _inverse(ben_lo))
    far = np.where(benefit_side, _inverse(ben_lo), _inverse(ben_hi))
    near_kind = np.where(benefit_side, "NNTB", "NNTH")
    far_kind = np.where(crosses, np.where(benefit_side, "NNTH", "NNTB"), near_kind)
    nnt_ = _inverse(ben)
    labels = np.array(
        [
            _label(a, k, ne, nk, fa, fk, cr, digits)
            for a, k, ne, nk, fa, fk, cr in zip(nnt_, kind, near, near_kind, far, far_kind, crosses.tolist())
        ],
        dtype=object,
    )
    return {
        "nnt": nnt_,
        "nnt_type": kind,
        "nnt_near": near,
        "nnt_near_type": near_kind,
        "nnt_far": far,
        "nnt_far_type": far_kind,
        "crosses_zero": crosses,
        "label": labels,
    }


def nnt(
    events_t: Any,
    n_t: Any,
    events_c: Any,
    n_c: Any,
    *,
    ci: RDInterval = "newcombe",
    alpha: float = 0.05,
    event: Event = "beneficial",
    digits: int = 1,
) -> pd.DataFrame:
    """Number needed to treat (Altman 1998) from the risk difference and its interval.

    Parameters
    ----------
    events_t, n_t, events_c, n_c : int or array-like
        Counts (broadcast).
    ci : str
        Risk-difference interval method (see :func:`fmtrials.risk_difference`); Bender (2001) recommends a
        score method such as ``newcombe`` over ``wald``.
    alpha : float
        Two-sided level.
    event : {"beneficial", "harmful"}
        Whether the counted event is good (responders: more on treatment is benefit, NNTB) or bad (adverse
        events: more on treatment is harm, NNTH).
    digits : int
        Decimals in ``label`` (0 to 10).

    Returns
    -------
    pandas.DataFrame
        ``events_t, n_t, events_c, n_c, rd, rd_low, rd_high, nnt, nnt_type, nnt_near, nnt_near_type,
        nnt_far, nnt_far_type, crosses_zero, label, method, event, alpha``:

        * ``rd, rd_low, rd_high``: the risk difference p_t - p_c and its interval (``rd_low <= rd_high``);
        * ``nnt`` = ``1/|RD|`` (inf when RD = 0) and ``nnt_type`` ``"NNTB"``, ``"NNTH"`` (or ``"NNT"`` at RD =
          0);
        * ``nnt_near`` / ``nnt_far``: the NNT limits, positive, in Altman's printing order: ``nnt_near`` is
          the limit on the side of the estimate, ``nnt_far`` the other one (so they are *not* ordered by
          size); each is ``1/|limit|`` of the RD interval (inf for a limit of 0), of type ``nnt_near_type`` /
          ``nnt_far_type`` (``"NNTB"`` or ``"NNTH"``);
        * ``crosses_zero``: the RD interval includes 0, the NNT interval then runs through infinity and
          the two types differ;
        * ``label``: e.g. ``"NNTB 6.0 (3.1 to 111.1)"``, or ``"NNTB 10.0 (NNTB 4.0 to ∞ to NNTH 20.0)"``
          when the interval crosses zero.

    Examples
    --------
    >>> from fmtrials import nnt
    >>> nnt(103, 516, 56, 509)["label"].iloc[0]
    'NNTB 11.2 (7.5 to 22.0)'
    >>> nnt(26, 79, 5, 21).round(2)[["nnt", "nnt_near", "nnt_near_type", "nnt_far", "nnt_far_type"]]
         nnt  nnt_near nnt_near_type  nnt_far nnt_far_type
    0  10.99      3.81          NNTB     7.07         NNTH
    """
    ci = choice(ci, RD_INTERVALS, "ci")
    event = choice(event, EVENTS, "event")
    digits = check_int(digits, "digits", low=0, high=10)
    rd = risk_difference(events_t, n_t, events_c, n_c, ci=ci, alpha=alpha)
    out = rd[["events_t", "n_t", "events_c", "n_c"]].copy()
    out["rd"], out["rd_low"], out["rd_high"] = rd["estimate"], rd["ci_low"], rd["ci_high"]
    cols = altman_columns(rd["estimate"].to_numpy(), rd["ci_low"].to_numpy(), rd["ci_high"].to_numpy(), event, digits)
    for key, val in cols.items():
        out[key] = val
    out["method"] = ci
    out["event"] = event
    out["alpha"] = rd["alpha"]
    return out

"""Benefit against harm: NNT against NNH and the likelihood to be helped or harmed (LHH = NNH / NNT).

References
----------
.. [1] Citrome L, Ketter TA. When does a difference make a difference? Interpretation of number needed to treat,
   number needed to harm, and likelihood to be helped or harmed. Int J Clin Pract 2013;67:407-411.
.. [2] Fieller EC. Some problems in interval estimation. J R Stat Soc B 1954;16:175-185.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._format import format_number
from .._validation import ARGUMENTS, check_alpha
from .._vocab import RD_INTERVALS, RDInterval, choice
from ..errors import DataError, Problem

__all__ = ["BENEFIT_RISK_COLUMNS", "benefit_risk", "lhh_fieller"]

#: the columns of :func:`benefit_risk`
BENEFIT_RISK_COLUMNS = (
    "level",
    "study",
    "arm",
    "dose_mg_day",
    "benefit",
    "harm",
    "rd_benefit",
    "rd_benefit_low",
    "rd_benefit_high",
    "rd_harm",
    "rd_harm_low",
    "rd_harm_high",
    "nnt",
    "nnh",
    "lhh",
    "lhh_low",
    "lhh_high",
    "lhh_method",
    "reading",
    "status_benefit",
    "status_harm",
)

_ASSUMPTION = (
    "Fieller interval of RD_benefit / RD_harm assuming the two endpoints independent (their "
    "correlation in the same patients is not reported)"
)


def lhh_fieller(rd_b: Any, se_b: Any, rd_h: Any, se_h: Any, crit: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LHH = rd_b / rd_h and its Fieller interval (independent estimates), arrays.

    Defined (finite bounds) only when the harm difference is significant, (rd_h / se_h)² > crit²; NaN
    otherwise, and NaN when either difference is not in its expected direction (rd <= 0).

    Examples
    --------
    >>> [float(np.round(v[0], 4)) for v in lhh_fieller([0.10], [0.02], [0.05], [0.01], [1.959964])]
    [2.0, 1.1044, 3.6218]
    """
    b, sb, h, sh, z = (np.asarray(v, dtype=float) for v in (rd_b, se_b, rd_h, se_h, crit))
    with np.errstate(divide="ignore", invalid="ignore"):
        lhh = np.where((b > 0) & (h > 0), b / h, np.nan)
        # (b - t h)² = z² (sb² + t² sh²)  ->  t² (h² - z² sh²) - 2 b h t + (b² - z² sb²) = 0
        qa = h**2 - z**2 * sh**2
        qb = -2 * b * h
        qc = b**2 - z**2 * sb**2
        disc = qb**2 - 4 * qa * qc
        ok = np.isfinite(lhh) & (qa > 0) & (disc >= 0)
        r1 = (-qb - np.sqrt(np.where(ok, disc, 0.0))) / (2 * qa)
        r2 = (-qb + np.sqrt(np.where(ok, disc, 0.0))) / (2 * qa)
    return lhh, np.where(ok, np.minimum(r1, r2), np.nan), np.where(ok, np.maximum(r1, r2), np.nan)


def _reading(lhh: float, lo: float, hi: float, benefit: str, harm: str) -> str:
    if not np.isfinite(lhh):
        return (
            f"LHH not defined: the {benefit} difference or the {harm} difference is not in its expected "
            "direction (no benefit or no excess harm)"
        )
    more = "more" if lhh > 1 else "less"
    text = (
        f"a patient is {format_number(lhh, 1)} times as likely to gain {benefit} as to have {harm} "
        f"({more} likely helped than harmed)"
    )
    if np.isfinite(lo):
        text += f"; interval {format_number(lo, 1)} to {format_number(hi, 1)}"
        if lo > 1:
            text += ", benefit outweighs this harm"
        elif hi < 1:
            text += ", this harm outweighs the benefit"
    else:
        text += "; no bounded interval (the harm difference is not significant)"
    return text


def _nn(rd: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.where(rd > 0, 1.0 / rd, np.nan)


def _frame(level, keys, benefit, harm, b, h, se_b, se_h, crit) -> pd.DataFrame:
    lhh, lo, hi = lhh_fieller(b[0], se_b, h[0], se_h, crit)
    out = pd.DataFrame(
        {
            "level": level,
            **keys,
            "benefit": benefit,
            "harm": harm,
            "rd_benefit": b[0],
            "rd_benefit_low": b[1],
            "rd_benefit_high": b[2],
            "rd_harm": h[0],
            "rd_harm_low": h[1],
            "rd_harm_high": h[2],
            "nnt": _nn(b[0]),
            "nnh": _nn(h[0]),
            "lhh": lhh,
            "lhh_low": lo,
            "lhh_high": hi,
            "lhh_method": _ASSUMPTION,
        }
    )
    out["reading"] = [_reading(*r, benefit, harm) for r in zip(lhh, lo, hi)]
    return out


def _trial_rows(eb, eh, benefit, harm, alpha) -> pd.DataFrame:
    cols = [
        "study",
        "arm",
        "dose_mg_day",
        "events_t",
        "n_t",
        "events_c",
        "n_c",
        "rd",
        "rd_low",
        "rd_high",
        "status_t",
        "status_c",
    ]
    m = eb.compared.merge(eb.primary[["study", "arm", "analysis"]], on=["study", "arm", "analysis"])[cols].merge(
        eh.compared.merge(eh.primary[["study", "arm", "analysis"]], on=["study", "arm", "analysis"])[cols],
        on=["study", "arm", "dose_mg_day"],
        suffixes=("_b", "_h"),
    )

    def wald_se(s):
        pt, pc = m[f"events_t{s}"] / m[f"n_t{s}"], m[f"events_c{s}"] / m[f"n_c{s}"]
        return np.sqrt(pt * (1 - pt) / m[f"n_t{s}"] + pc * (1 - pc) / m[f"n_c{s}"]).to_numpy(float)

    z = -special.ndtri(alpha / 2)
    b = [m[f"{c}_b"].to_numpy(float) for c in ("rd", "rd_low", "rd_high")]
    h = [m[f"{c}_h"].to_numpy(float) for c in ("rd", "rd_low", "rd_high")]
    keys = {"study": m["study"].to_numpy(), "arm": m["arm"].to_numpy(), "dose_mg_day": m["dose_mg_day"].to_numpy()}
    out = _frame("trial", keys, benefit, harm, b, h, wald_se("_b"), wald_se("_h"), np.full(len(m), z))
    for s, name in (("_b", "status_benefit"), ("_h", "status_harm")):
        out[name] = (m[f"status_t{s}"].astype(str) + " / " + m[f"status_c{s}"].astype(str)).to_numpy()
    return out


def _pooled_row(eb, eh, benefit, harm) -> pd.DataFrame:
    rb, rh = eb.main, eh.main
    if rb is None or rh is None:
        return pd.DataFrame()
    crit = max((rb.ci_high - rb.estimate) / rb.se, (rh.ci_high - rh.estimate) / rh.se)
    keys = {"study": f"pooled (b: k = {rb.k}, h: k = {rh.k})", "arm": "milnacipran", "dose_mg_day": np.nan}
    b = [np.array([v]) for v in (rb.estimate, rb.ci_low, rb.ci_high)]
    h = [np.array([v]) for v in (rh.estimate, rh.ci_low, rh.ci_high)]
    out = _frame("pooled", keys, benefit, harm, b, h, np.array([rb.se]), np.array([rh.se]), np.array([crit]))
    out["status_benefit"] = out["status_harm"] = "derived (pooled)"
    return out


def benefit_risk(
    contrasts_or_outcomes: pd.DataFrame | None = None,
    *,
    benefit: str = "composite_3",
    harms: Iterable[str] = ("ae_withdrawal", "nausea"),
    ci: RDInterval = "newcombe",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """NNT for a benefit endpoint against NNH for harm endpoints, and LHH = NNH / NNT, per trial and pooled.

    Per trial: each active arm with both endpoints (the policy's primary analysis of each), risk
    differences with the ``ci`` interval. Pooled: the report's main model (REML, HKSJ ad hoc, placebo arms
    split) on the risk-difference scale for each endpoint. LHH = NNH / NNT = RD_benefit / RD_harm: above 1 a
    patient is more likely to be helped than harmed. Its interval (Fieller) is given where defined: both
    differences in their expected direction and the harm difference significant; it assumes the two
    endpoints independent (``lhh_method``).

    Parameters
    ----------
    contrasts_or_outcomes : pandas.DataFrame or None
        Outcomes (:func:`fmtrials.load_outcomes` layout) or contrasts; the bundled data by default.
    benefit : str
        The benefit endpoint (responders).
    harms : iterable of str
        Harm endpoints, each set against ``benefit``.
    ci : str
        Risk-difference interval of the per-trial rows.
    alpha : float

    Returns
    -------
    pandas.DataFrame
        :data:`BENEFIT_RISK_COLUMNS`, trial rows then the pooled row, for each harm. ``nnt`` and ``nnh`` are
        1 / RD where the difference is in its expected direction (NaN otherwise); ``status_benefit`` and
        ``status_harm`` carry the data status of the treatment / placebo counts (``reported``,
        ``unverified``, ...).

    Examples
    --------
    >>> from fmtrials import benefit_risk
    >>> br = benefit_risk(harms=["nausea"])
    >>> br[["level", "study", "nnt", "nnh", "lhh"]].round(2)
        level                        study    nnt   nnh   lhh
    0   trial                   Arnold2010  11.16  6.33  0.57
    1  pooled  pooled (b: k = 1, h: k = 4)  11.16  6.71  0.60
    """
    from ..analysis import analyse_endpoint

    ci = choice(ci, RD_INTERVALS, "ci")
    alpha = check_alpha(alpha)
    harms = [harms] if isinstance(harms, str) else list(harms)
    if not harms or not all(isinstance(h, str) for h in harms):
        raise DataError(Problem("must name at least one harm endpoint", file=ARGUMENTS, column="harms"))
    eb = analyse_endpoint(contrasts_or_outcomes, benefit, measure="RD", ci=ci, event="beneficial", alpha=alpha)
    frames = []
    for harm in harms:
        eh = analyse_endpoint(contrasts_or_outcomes, harm, measure="RD", ci=ci, event="harmful", alpha=alpha)
        frames += [_trial_rows(eb, eh, benefit, harm, alpha), _pooled_row(eb, eh, benefit, harm)]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(BENEFIT_RISK_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(BENEFIT_RISK_COLUMNS)]

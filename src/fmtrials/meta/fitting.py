"""One analysis, in named steps: per-study effects, common-effect estimate, random-effects tau², the test and
CI, heterogeneity, prediction interval and the per-study table.

:func:`fit` assembles a :class:`~fmtrials.meta.PoolResult` from the steps; :func:`fit_row` gives the numbers
of a sensitivity row (leave-one-out, cumulative) from the same steps without building the per-study table or
the Q-profile CI. Every step works on the arrays of one analysis at once (no loop per study).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._validation import DATAFRAME
from .._vocab import CONTINUOUS_MEASURES, RANDOM_METHODS
from ..effects.sizes import ADD, StudyEffects, study_effects
from ..errors import ConvergenceError, DataError, Problem
from . import _core as core
from ._table import Data
from .result import Heterogeneity, PoolResult, Prediction, Subgroups, back, crit

__all__: list[str] = []  # private module

_NAN = float("nan")

#: the columns of a sensitivity row (leave_one_out, cumulative), after the label column
ROW_COLUMNS = (
    "k",
    "estimate",
    "ci_low",
    "ci_high",
    "beta",
    "se",
    "statistic",
    "p_value",
    "q",
    "q_p",
    "i2",
    "i2_tau2",
    "tau2",
    "pi_low",
    "pi_high",
)


@dataclass(frozen=True)
class Options:
    """The method choices of one analysis (validated by :func:`fmtrials.pool`)."""

    measure: str
    method: str
    test: str
    alpha: float
    pi_method: str
    tol: float
    maxiter: int
    on_nonconvergence: str

    @property
    def model(self) -> str:
        return "random" if self.method in RANDOM_METHODS else "common"


# ------------------------------------------------------------------------------------------ the steps
def _nothing_to_pool(d: Data, o: Options) -> DataError:
    return DataError(
        Problem(
            f"nothing to pool: all {len(d.a)} studies are double-zero (no events, or only events, in both arms), "
            f"which are excluded for {o.measure}{' (Peto)' if o.method == 'Peto' else ''}; use measure='RD' to "
            "keep them",
            file=DATAFRAME,
            column="events_t",
        )
    )


def effects_step(d: Data, o: Options) -> tuple[StudyEffects, np.ndarray, list[str]]:
    """Per-study effects (escalc rule), the included mask and the exclusion note; DataError if none left.

    Mantel-Haenszel follows ``rma.mh``'s defaults (``drop00 = c(TRUE, FALSE)``): a double-zero table has no
    per-study effect (left out of Q and its df, for RD too) but stays in the MH sums with its raw counts, so
    a set of such tables is not an error here (:func:`common_step` decides).
    """
    if d.means is not None:  # a continuous outcome: every study has an effect (validated in prepare)
        eff = d.means.effects
        return eff, ~eff.excluded, []
    mh = o.method == "MH"
    measure: Any = "PETO" if o.method == "Peto" else o.measure
    eff = study_effects(d.a, d.n1, d.c, d.n2, measure=measure, drop00=True if mh else None)
    inc = ~eff.excluded
    if not inc.any() and not mh:
        raise _nothing_to_pool(d, o)
    excluded = d.label[eff.excluded]
    notes = []
    if len(excluded):
        s = "y" if len(excluded) == 1 else "ies"
        where = (
            "no per-study estimate and left out of Q, kept in the Mantel-Haenszel sums (as metafor rma.mh)"
            if mh
            else "excluded"
        )
        notes.append(f"{len(excluded)} double-zero stud{s} {where}: " + ", ".join(map(str, excluded)))
    return eff, inc, notes


def common_step(
    d: Data, y: np.ndarray, v: np.ndarray, inc: np.ndarray, o: Options
) -> tuple[float, float, float, np.ndarray, list[str]]:
    """Common-effect estimate, SE, Q (NaN when undefined) and raw weights: MH, Peto or inverse variance.

    Q is taken over the studies with a per-study effect (``inc``); the MH estimate over every table.
    """
    k = len(y)
    notes: list[str] = []
    w_raw = np.zeros(len(d.a))
    a, n1, c, n2 = d.a[inc], d.n1[inc], d.c[inc], d.n2[inc]
    if o.method in ("MH", "MH-DL"):  # every table, double-zero ones included (rma.mh's drop00 = c(TRUE, FALSE))
        beta, se = core.mh(d.a, d.n1, d.c, d.n2, o.measure)
        if o.method == "MH":
            w_raw = core.mh_weights(d.a, d.n1, d.c, d.n2, o.measure)
        else:  # RevMan's random-effects weights replace these (random_step)
            w_raw[inc] = 1 / v
        if not np.isfinite(beta) and not inc.any():
            raise _nothing_to_pool(d, o)
        if not np.isfinite(beta):
            notes.append(
                "the Mantel-Haenszel estimate is undefined for these counts "
                "(no events in the treatment or control arms across studies)"
            )
        q = max(0.0, float(((y - beta) ** 2 / v).sum())) if k > 1 and np.isfinite(beta) else _NAN
    elif o.method == "Peto":
        beta, se, q, w_raw[inc] = core.peto(a, n1, c, n2)
        if not np.isfinite(beta):
            notes.append("the Peto estimate is undefined: one outcome never occurred in any study")
        q = q if k > 1 else _NAN
    else:
        beta, se, q = core.iv_fixed(y, v)
        w_raw[inc] = 1 / v
        q = q if k > 1 else _NAN
    return beta, se, q, w_raw, notes


def random_step(y: np.ndarray, v: np.ndarray, o: Options, q: float = _NAN) -> tuple[float, str, list[str]]:
    """tau² by DL, PM or REML (with the DL fallback when asked for): (tau2, tau2_method, notes).

    ``"MH-DL"`` (RevMan 5's "M-H, Random"): the DerSimonian-Laird moment formula applied to ``q``, the
    inverse-variance-weighted Q around the Mantel-Haenszel estimate (Deeks & Higgins, Statistical algorithms in
    Review Manager 5), instead of the Q around the inverse-variance estimate; NaN ``q`` (MH undefined) falls
    back to the ordinary DL estimate with a note.
    """
    if o.method == "DL":
        return core.tau2_dl(y, v), "DL", []
    if o.method == "MH-DL":
        if not np.isfinite(q):
            return core.tau2_dl(y, v), "DL", ["the Mantel-Haenszel estimate is undefined: tau² from the ordinary DL Q"]
        return core.tau2_dl_from_q(q, v), "DL", []
    if o.method == "PM":
        return core.tau2_pm(y, v), "PM", []
    try:
        return core.tau2_reml(y, v, tol=o.tol, maxiter=o.maxiter)[0], "REML", []
    except ConvergenceError as err:
        if o.on_nonconvergence != "DL":
            raise
        return core.tau2_dl(y, v), "DL", [f"REML did not converge ({err}); fell back to the DL estimator of tau²"]


def inference_step(
    y: np.ndarray, v: np.ndarray, tau2: float, beta: float, se: float, o: Options
) -> tuple[str, float, str, float | None, float, float, float, float, list[str]]:
    """The test actually applied, its SE, distribution, df, statistic, p-value and CI (analysis scale)."""
    k = len(y)
    notes: list[str] = []
    test, dist, dfree = o.test, "z", None
    if test != "z" and k < 2:
        notes.append("HKSJ needs k >= 2: the z-based interval of the single study is reported")
        test = "z"
    if test != "z":
        s2 = core.knha_scale(y, 1 / (v + tau2), beta)
        if test == "hksj-adhoc" and s2 < 1:
            s2 = 1.0
        se = float(np.sqrt(s2)) * se
        dist, dfree = "t", float(k - 1)
        if o.model == "common":
            notes.append(
                "Knapp-Hartung adjustment applied to a common-effect model (it is meant for random-effects models)"
            )
    if np.isfinite(beta) and not se > 0:
        notes.append(
            "the standard error of the pooled estimate is 0 (e.g. no events in any arm for RD): "
            "no test statistic or p-value"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = beta / se if se > 0 else (np.sign(beta) * np.inf if beta != 0 else _NAN)
    p = float(2 * (special.stdtr(dfree, -abs(statistic)) if dist == "t" else special.ndtr(-abs(statistic))))
    cr = crit(o.alpha, dist, dfree)
    return test, float(se), dist, dfree, float(statistic), p, beta - cr * se, beta + cr * se, notes


def heterogeneity_step(
    y: np.ndarray, v: np.ndarray, q: float, tau2: float, o: Options, with_ci: bool = True, k_pooled: int = 0
) -> tuple[Heterogeneity, list[str]]:
    """Q, its p-value, the Q-based I², metafor's τ²-based I² and H², and (random effects, ``with_ci``) the
    Q-profile CI of tau² and of the τ²-based I².

    ``k_pooled`` is the number of tables in the pooled estimate when it exceeds the number of per-study
    effects (Mantel-Haenszel sums keep double-zero tables).
    """
    k = len(y)
    if k < 2 or not np.isfinite(q):
        why = (
            f"{k} of the {k_pooled} studies pooled ha{'s' if k == 1 else 've'} a per-study estimate (the others "
            "are double-zero): heterogeneity (Q, I², tau²) cannot be estimated"
            if k < 2 and k_pooled > k
            else "k = 1: the pooled estimate is that study's own effect; heterogeneity (Q, I², tau²) cannot be "
            "estimated from one study"
            if k < 2
            else "heterogeneity not estimable: Q is undefined because the pooled estimate is undefined"
        )
        return Heterogeneity(_NAN, max(k - 1, 0), _NAN, _NAN, _NAN, _NAN, float(tau2), _NAN, _NAN, _NAN, _NAN, False), [
            why
        ]
    q_df = k - 1
    q_p = float(special.chdtrc(q_df, q))
    i2 = max(0.0, 100 * (q - q_df) / q) if q > 0 else 0.0  # Higgins & Thompson (2002), every model
    notes: list[str] = []
    tci = ici = (_NAN, _NAN)
    if o.model == "random":
        vt = core.typical_v(v)
        i2_tau2, h2 = 100 * tau2 / (vt + tau2), tau2 / vt + 1
        if with_ci:
            tlo, thi, qn = core.qprofile_ci(y, v, o.alpha, tau2, tol=min(o.tol, 1e-12))
            notes.extend(qn)
            tci, ici = (tlo, thi), (100 * tlo / (vt + tlo), 100 * thi / (vt + thi))
    else:
        i2_tau2, h2 = _NAN, q / q_df
    return Heterogeneity(
        float(q),
        q_df,
        q_p,
        float(i2),
        float(i2_tau2),
        float(h2),
        float(tau2),
        float(tci[0]),
        float(tci[1]),
        float(ici[0]),
        float(ici[1]),
        True,
    ), notes


#: degrees of freedom the Higgins–Thompson–Spiegelhalter prediction interval loses: t on k - 2 (μ and τ² estimated)
HTS_DF_LOST = 2


def prediction_step(
    beta: float,
    se_classic: float,
    se: float,
    tau2: float,
    k: int,
    test: str,
    dist: str,
    dfree: float | None,
    o: Options,
) -> tuple[tuple[float, float], str, list[str]]:
    """Prediction interval (analysis scale) and its distribution label: HTS t(k-2), or metafor z / t(k-1)."""
    if o.model != "random":
        return (_NAN, _NAN), "none", []
    if o.pi_method == "hts":
        pi_df = k - HTS_DF_LOST  # the label below is written from the same df, so what is said is what was done
        label = f"t(k-{k - pi_df})"
        if pi_df < 1:
            return (
                (_NAN, _NAN),
                label,
                [f"no prediction interval: the {label} interval needs k >= {k - pi_df + 1} (k = {k})"],
            )
        half = float(special.stdtrit(pi_df, 1 - o.alpha / 2)) * np.sqrt(se_classic**2 + tau2)
        return (beta - half, beta + half), label, []
    if test != "z":
        half = crit(o.alpha, dist, dfree) * np.sqrt(se**2 + tau2)
        return (beta - half, beta + half), f"t(k-{k - int(dfree)})" if dist == "t" and dfree else "z", []
    half = crit(o.alpha, "z", None) * np.sqrt(se_classic**2 + tau2)
    return (beta - half, beta + half), "z", []


def study_table(
    d: Data, eff: StudyEffects, inc: np.ndarray, w_raw: np.ndarray, o: Options, by: str | None
) -> pd.DataFrame:
    """The per-study table: counts, yi, vi, z CI on the reporting scale, percent weight, flags."""
    sw = w_raw.sum()
    weight = 100 * w_raw / sw if sw > 0 else np.full(len(w_raw), _NAN)
    half = crit(o.alpha, "z", None) * np.sqrt(eff.vi)
    cols: dict[str, Any] = {"study": d.study, "label": d.label}
    if by is not None and d.group is not None:
        cols[by] = d.group
    if d.means is not None:
        mm = d.means
        cols.update(
            {"mean_t": mm.mean_t, "sd_t": mm.sd_t, "n_t": d.n1, "mean_c": mm.mean_c, "sd_c": mm.sd_c, "n_c": d.n2}
        )
    else:
        cols.update({"events_t": d.a, "n_t": d.n1, "events_c": d.c, "n_c": d.n2})
    cols.update(
        {
            "yi": eff.yi,
            "vi": eff.vi,
            "estimate": back(eff.yi, o.measure),
            "ci_low": back(eff.yi - half, o.measure),
            "ci_high": back(eff.yi + half, o.measure),
            "weight": weight,
            "included": inc,
            "corrected": eff.corrected,
        }
    )
    return pd.DataFrame(cols)


def zero_cell_text(measure: str, method: str) -> str:
    """The zero-cell rule applied, in words."""
    if measure in CONTINUOUS_MEASURES:
        return "none (continuous outcome: no zero-cell correction)"
    base = f"{ADD:g} added to all four cells of studies with a zero cell"
    where = (
        "for the per-study effects and Q only; the pooled estimate uses the raw counts"
        if method in ("MH", "Peto")
        else "for the per-study effects used in pooling"
    )
    dz = (
        "double-zero studies (no events, or only events, in both arms) left out of Q, kept in the "
        "Mantel–Haenszel sums (as metafor rma.mh)"
        if method == "MH"
        else "double-zero studies (no events, or only events, in both arms) kept with the correction"
        if measure == "RD"
        else "double-zero studies (no events, or only events, in both arms) excluded"
    )
    return f"{base} ({where}); {dz}"


# ---------------------------------------------------------------------------------------- assembly
def _estimate(d: Data, o: Options, with_ci: bool) -> dict[str, Any]:
    """Run the steps; a dict of every number of the analysis (analysis scale)."""
    eff, inc, notes = effects_step(d, o)
    y, v = eff.yi[inc], eff.vi[inc]
    k = len(y)
    beta, se, q, w_raw, n = common_step(d, y, v, inc, o)
    notes += n
    tau2, tau2_method = 0.0, (o.method if o.model == "random" else None)
    if o.model == "random" and k >= 2:
        tau2, tau2_method, n = random_step(y, v, o, q)
        notes += n
        beta, se, _ = core.re_fit(y, v, tau2)
        w_raw[inc] = 1 / (v + tau2)
    se_classic = se
    test, se, dist, dfree, statistic, p, lo, hi, n = inference_step(y, v, tau2, beta, se, o)
    notes += n
    het, n = heterogeneity_step(y, v, q, tau2, o, with_ci, k_pooled=len(d.a) if o.method == "MH" else k)
    notes += n
    pi, pi_dist, n = prediction_step(beta, se_classic, se, tau2, k, test, dist, dfree, o)
    notes += n
    return dict(
        eff=eff,
        inc=inc,
        k=len(d.a) if o.method == "MH" else k,  # rma.mh's k: every table is in the MH sums
        w_raw=w_raw,
        beta=float(beta),
        se=se,
        test=test,
        dist=dist,
        df=dfree,
        statistic=statistic,
        p=p,
        lo=lo,
        hi=hi,
        het=het,
        pi=pi,
        pi_dist=pi_dist,
        tau2_method=tau2_method,
        notes=notes,
    )


def fit(
    d: Data,
    o: Options,
    by: str | None = None,
    notes: tuple[str, ...] = (),
    subgroups: dict | None = None,
    subgroup_test: Any = None,
) -> PoolResult:
    """Pool the studies of ``d``; ``notes``, ``subgroups`` and ``subgroup_test`` are added as they are."""
    e = _estimate(d, o, with_ci=True)
    m = o.measure
    eff = e["eff"]
    return PoolResult(
        measure=m,
        method=o.method,
        model=o.model,
        test=e["test"],
        k=e["k"],
        alpha=o.alpha,
        estimate=float(back(e["beta"], m)),
        ci_low=float(back(e["lo"], m)),
        ci_high=float(back(e["hi"], m)),
        p_value=e["p"],
        beta=e["beta"],
        se=e["se"],
        statistic=e["statistic"],
        stat_dist=e["dist"],
        df=e["df"],
        tau2_method=e["tau2_method"],
        by=by,
        zero_cell=zero_cell_text(m, o.method),
        corrected=tuple(str(x) for x in d.label[eff.corrected]),
        excluded=tuple(str(x) for x in d.label[eff.excluded]),
        notes=tuple(e["notes"]) + tuple(notes),
        heterogeneity=e["het"],
        prediction=Prediction(float(back(e["pi"][0], m)), float(back(e["pi"][1], m)), e["pi_dist"], o.pi_method),
        _studies=study_table(d, eff, e["inc"], e["w_raw"], o, by),
        subgroups=Subgroups(subgroups),
        subgroup_test=subgroup_test,
    )


def fit_row(d: Data, o: Options) -> dict[str, float]:
    """The numbers of one sensitivity row (:data:`ROW_COLUMNS`); ``k = 0`` and NaN when nothing to pool."""
    try:
        e = _estimate(d, o, with_ci=False)
    except DataError:
        return {**{c: _NAN for c in ROW_COLUMNS}, "k": 0}
    m, h = o.measure, e["het"]
    return {
        "k": e["k"],
        "estimate": float(back(e["beta"], m)),
        "ci_low": float(back(e["lo"], m)),
        "ci_high": float(back(e["hi"], m)),
        "beta": e["beta"],
        "se": e["se"],
        "statistic": e["statistic"],
        "p_value": e["p"],
        "q": h.q,
        "q_p": h.q_p,
        "i2": h.i2,
        "i2_tau2": h.i2_tau2,
        "tau2": h.tau2,
        "pi_low": float(back(e["pi"][0], m)),
        "pi_high": float(back(e["pi"][1], m)),
    }

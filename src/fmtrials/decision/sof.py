"""A GRADE-style summary-of-findings table: one row per outcome, certainty with every domain explained.

Domains the data can inform are computed (imprecision, inconsistency, small-study effects); the domains that
need judgement (risk of bias, indirectness) are read from an editable table, ``data/certainty_judgements.csv``
(:func:`load_judgements`), each row with its reason and source.

References
----------
.. [1] Guyatt GH, et al. GRADE guidelines 6. Rating the quality of evidence: imprecision. J Clin Epidemiol
   2011;64:1283-1293 (optimal information size, RRR 25%, alpha 0.05, power 0.80).
.. [2] Guyatt GH, et al. GRADE guidelines 7. Inconsistency. J Clin Epidemiol 2011;64:1294-1302.
.. [3] Cochrane Handbook 5.1, section 10.4.3.1: funnel-plot asymmetry tests need at least 10 studies.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
from scipy import special

from .._csv import read_csv_strict
from .._format import format_interval, format_number, format_p, pool_label
from .._validation import ARGUMENTS
from ..errors import DataError, Problem
from .absolute import absolute_effects

if TYPE_CHECKING:
    from ..analysis import Analysis, EndpointAnalysis
    from ..meta import PoolResult

__all__ = [
    "CERTAINTY",
    "JUDGEMENT_COLUMNS",
    "SOF_COLUMNS",
    "load_judgements",
    "optimal_information_size",
    "summary_of_findings",
]

JUDGEMENT_COLUMNS = ("endpoint", "domain", "judgement", "downgrade", "reason", "status", "source", "locator")
_DOMAINS = ("risk_of_bias", "indirectness")
CERTAINTY = ("very low", "low", "moderate", "high")
#: the ratio a summary of findings shows when the main analysis pools risk differences
RELATIVE_MEASURE: Final = "RR"
#: what a domain says when the judgement table has no row for it; the certainty is then an upper bound
NOT_JUDGED = "no judgement recorded"
SOF_COLUMNS = (
    "endpoint",
    "event",
    "participants",
    "trials",
    "relative_effect",
    "measure",
    "estimate",
    "ci_low",
    "ci_high",
    "assumed_per_1000",
    "corresponding_per_1000",
    "corresponding_per_1000_low",
    "corresponding_per_1000_high",
    "difference_per_1000",
    "difference_per_1000_low",
    "difference_per_1000_high",
    "risk_of_bias",
    "inconsistency",
    "indirectness",
    "imprecision",
    "publication_bias",
    "certainty",
    "explanation",
)


def load_judgements(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The judgement table (bundled ``data/certainty_judgements.csv`` by default), checked.

    ``endpoint`` is an endpoint name or a group (``efficacy``, ``safety``); an endpoint's own row wins over its
    group's. ``domain`` is ``risk_of_bias`` or ``indirectness``; ``downgrade`` 0, 1 or 2. Problems raise
    :class:`~fmtrials.DataError` naming the file, the 1-based row and the column.

    Examples
    --------
    >>> load_judgements()[["endpoint", "domain", "downgrade"]].head(2)
       endpoint        domain downgrade
    0  efficacy  risk_of_bias         1
    1    safety  risk_of_bias         0
    """
    from ..data import data_dir

    p = Path(path) if path is not None else data_dir() / "certainty_judgements.csv"
    label = str(path) if path is not None else "data/certainty_judgements.csv"
    df, _ = read_csv_strict(p, label)
    missing = [c for c in JUDGEMENT_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(Problem("missing column(s) " + ", ".join(missing), file=label, column=missing[0]))
    problems = []
    for i, r in enumerate(df.itertuples(index=False), start=1):
        if r.domain not in _DOMAINS:
            problems.append(
                Problem(f"must be one of {', '.join(_DOMAINS)}; got {r.domain!r}", file=label, row=i, column="domain")
            )
        if r.downgrade not in ("0", "1", "2"):
            problems.append(Problem(f"must be 0, 1 or 2; got {r.downgrade!r}", file=label, row=i, column="downgrade"))
        for c in ("endpoint", "reason", "source"):
            if not getattr(r, c):
                problems.append(Problem("must not be empty", file=label, row=i, column=c))
    dup = df.duplicated(["endpoint", "domain"], keep="first").to_numpy()
    problems += [
        Problem("duplicate (endpoint, domain)", file=label, row=int(i) + 1, column="endpoint")
        for i in np.nonzero(dup)[0]
    ]
    if problems:
        raise DataError(problems)
    return df


def optimal_information_size(
    control_risk: float, *, rrr: float = 0.25, alpha: float = 0.05, power: float = 0.80
) -> float:
    """Total sample size (both arms) of a trial detecting a relative risk reduction ``rrr`` from ``control_risk``.

    The two-proportion normal approximation: n per arm = (z_(1-alpha/2) + z_power)² (p1 q1 + p2 q2) / (p1 - p2)².

    Examples
    --------
    >>> round(optimal_information_size(0.2))
    1805
    """
    p1, p2 = control_risk, control_risk * (1 - rrr)
    z = -special.ndtri(alpha / 2) + special.ndtri(power)
    return float(2 * z**2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p1 - p2) ** 2)


def _judged(judgements: pd.DataFrame, endpoint: str, group: str, domain: str) -> tuple[int, str]:
    for key in (endpoint, group):
        row = judgements[(judgements["endpoint"] == key) & (judgements["domain"] == domain)]
        if len(row):
            r = row.iloc[0]
            text = (
                f"{domain.replace('_', ' ')}: {r['judgement']} ({r['reason']}; {r['status']}, "
                f"source {r['source']}, {r['locator']})"
            )
            return int(r["downgrade"]), text
    return 0, f"{domain.replace('_', ' ')}: {NOT_JUDGED} (not downgraded)"


def _imprecision(r, participants: int, control_risk: float, threshold: float | None) -> tuple[int, str]:
    null = 1.0 if r.ratio else 0.0
    parts, down = [], 0
    if r.ci_low <= null <= r.ci_high:
        down += 1
        parts.append("the interval includes no effect")
    elif threshold is not None and r.ci_low < threshold < r.ci_high:
        down += 1
        parts.append(f"the interval crosses the decision threshold {format_number(threshold, 2)}")
    ois = optimal_information_size(control_risk) if 0 < control_risk < 1 else np.nan
    if np.isfinite(ois) and participants < ois:
        down += 1
        parts.append(
            f"{participants} participants, below the optimal information size {ois:.0f} (RRR 25%, "
            f"control risk {control_risk:.3f}, alpha 0.05, power 0.80)"
        )
    text = (
        "; ".join(parts)
        if parts
        else (f"interval excludes no effect; {participants} participants >= optimal information size {ois:.0f}")
    )
    return min(down, 2), "imprecision: " + text


#: Cochrane Handbook (ch. 10.10.2): an I² of 50% or more may represent substantial heterogeneity, 75% or more
#: considerable; GRADE guidelines 7 reads Cochran's Q at p < 0.10 (the test has little power with few studies)
I2_SUBSTANTIAL, I2_CONSIDERABLE, Q_ALPHA = 50.0, 75.0, 0.10
#: publication bias is rated down when Egger's test gives p below this (Sterne et al. 2011, BMJ 343:d4002: the
#: tests' low power; the usual 0.10)
EGGER_ALPHA = 0.10


def _interval_overlap(s: pd.DataFrame, null: float) -> tuple[int, int, bool]:
    """Pairs of study intervals that do not overlap, pairs compared, and whether studies exclude no effect in
    opposite directions (one interval wholly above ``null``, another wholly below)."""
    lo, hi = s["ci_low"].to_numpy(float), s["ci_high"].to_numpy(float)
    ok = np.isfinite(lo) & np.isfinite(hi)
    lo, hi = lo[ok], hi[ok]
    disjoint = (lo[:, None] > hi[None, :]) | (hi[:, None] < lo[None, :])
    n = len(lo)
    return int(np.triu(disjoint, 1).sum()), n * (n - 1) // 2, bool(np.any(lo > null) and np.any(hi < null))


def _inconsistency(r) -> tuple[int, str]:
    """GRADE guidelines 7: variation between the studies, judged on Cochran's Q (p < 0.10), the Q-based I²
    and the overlap of the study intervals. The prediction interval is no criterion: its t(k - 2) quantile makes
    it wide at small k whatever the variation (t(2) = 4.30 at k = 4, with τ² = 0)."""
    h = r.heterogeneity
    if r.k < 2:
        return 0, "inconsistency: not assessable with one comparison (not downgraded)"
    if not h.estimable:
        return 0, f"inconsistency: not assessable, Cochran's Q not estimable with k = {r.k} (not downgraded)"
    s = r.studies[r.studies["included"]] if "included" in r.studies else r.studies
    disjoint, pairs, opposite = _interval_overlap(s, 1.0 if r.ratio else 0.0)
    i2, q_small = h.i2_q, h.q_p < Q_ALPHA
    if i2 >= I2_CONSIDERABLE and q_small and disjoint and opposite:
        down, why = 2, "very serious: I² >= 75%, Q p < 0.10 and studies showing effects in opposite directions"
    elif i2 >= I2_SUBSTANTIAL and (q_small or disjoint):
        down, why = 1, "serious: I² >= 50% " + ("with Q p < 0.10" if q_small else "and study intervals apart")
    elif i2 >= I2_SUBSTANTIAL:
        down, why = 0, "not serious: I² >= 50% but Q p >= 0.10 and every pair of study intervals overlaps"
    else:
        down, why = 0, "not serious: I² below 50%" + ("" if q_small else " and Q p >= 0.10")
    overlap = (
        f"the {len(s)} study intervals overlap pairwise"
        if not disjoint
        else f"{disjoint} of {pairs} pairs of study intervals do not overlap"
    ) + ("; some studies exclude no effect in opposite directions" if opposite else "")
    p = format_p(h.q_p, prefix=True).replace("P ", "p ")
    basis = f"Q = {format_number(h.q, 2)}, df {h.q_df}, {p}; I² (Q-based) = {format_number(i2, 1)}%; {overlap}"
    return down, f"inconsistency: {why} ({basis})"


def _small_study(r) -> tuple[int, str]:
    """Egger's classical test (:func:`fmtrials.small_study_test`, ``test="egger"``) from k >= 10; p through
    :func:`~fmtrials._format.format_p` (never ``0.000``)."""
    from ..meta.smallstudy import MIN_STUDIES, small_study_test

    s = r.studies[r.studies["included"]]
    if len(s) < MIN_STUDIES:
        return 0, f"publication bias: small-study effects not assessed (k = {len(s)} < {MIN_STUDIES})"
    t = small_study_test(s.assign(study=s["label"]), measure=r.measure, test="egger")
    p = float(t.at[0, "p_value"])
    text = format_p(p)
    shown = f"< {text[1:]}" if text.startswith("<") else f"= {text}"
    down = p < EGGER_ALPHA
    verdict = "rated down" if down else "not rated down"
    limit = format_number(EGGER_ALPHA, 2)
    return int(
        down
    ), f"publication bias: Egger's regression test (classical) p {shown}, {verdict} (threshold p < {limit})"


def _participants(e: EndpointAnalysis) -> tuple[int, int]:
    t = e.primary
    n_c = t.drop_duplicates("placebo_id")["n_c"].sum() if "placebo_id" in t else t["n_c"].sum()
    return int(t["n_t"].sum() + n_c), int(t["study"].nunique())


def _relative(e: EndpointAnalysis) -> tuple[PoolResult, str, str]:
    """The result the row reads (a ratio), its "Relative effect" text and what the explanation says of the scale.

    A summary of findings shows a ratio and derives the absolute effects from it and the assumed risk (GRADE
    guidelines 12, Guyatt et al. 2013, J Clin Epidemiol 66:158; RevMan). When the main analysis is on the
    risk-difference scale, the risk ratio is pooled by the same model on the same comparisons; if that ratio
    cannot be pooled, the row keeps the risk difference for the absolute effects and says why the relative
    column is empty.
    """
    from ..analysis._pooling import POOLING_ERRORS, pooled_fit

    r = e.main
    assert r is not None and e.main_model is not None  # only estimable endpoints reach here
    if r.ratio:
        return r, f"{r.measure} {format_interval(r.estimate, r.ci_low, r.ci_high, 2)}", ""
    main = f"main analysis on the risk-difference scale: RD {format_interval(r.estimate, r.ci_low, r.ci_high, 3)}"
    model = pool_label(e.main_model.method, e.main_model.test)
    try:
        ratio = pooled_fit("pool", e.pooled_table, measure=RELATIVE_MEASURE, model=e.main_model, alpha=r.alpha, by=e.by)
    except POOLING_ERRORS as err:
        return (
            r,
            f"{RELATIVE_MEASURE} not estimable",
            (
                f"{main}; the risk ratio by the same model, {model}, is not estimable ({err}): the absolute "
                "effects come from the risk difference; "
            ),
        )
    return (
        ratio,
        f"{RELATIVE_MEASURE} {format_interval(ratio.estimate, ratio.ci_low, ratio.ci_high, 2)}",
        (
            f"{main}; relative effect: the risk ratio pooled on the same comparisons by the same model, {model}; "
            "the absolute effects and every domain below come from that risk ratio; "
        ),
    )


def _row(e: EndpointAnalysis, judgements: pd.DataFrame, threshold: float | None) -> dict[str, Any]:
    r, relative, scale = _relative(e)
    participants, trials = _participants(e)
    ab = absolute_effects(r).iloc[0]
    group = "efficacy" if e.event == "beneficial" else "safety"
    domains = {
        "risk_of_bias": _judged(judgements, e.endpoint, group, "risk_of_bias"),
        "inconsistency": _inconsistency(r),
        "indirectness": _judged(judgements, e.endpoint, group, "indirectness"),
        "imprecision": _imprecision(r, participants, float(ab["control_risk"]), threshold),
        "publication_bias": _small_study(r),
    }
    level = max(0, 3 - sum(d for d, _ in domains.values()))
    unjudged = [k.replace("_", " ") for k, (_, text) in domains.items() if NOT_JUDGED in text]
    certainty = CERTAINTY[level] + (f" at most ({' and '.join(unjudged)} not judged)" if unjudged else "")
    return {
        "endpoint": e.endpoint,
        "event": e.event,
        "participants": participants,
        "trials": trials,
        "relative_effect": relative,
        "measure": r.measure if r.ratio else RELATIVE_MEASURE,
        "estimate": r.estimate if r.ratio else np.nan,
        "ci_low": r.ci_low if r.ratio else np.nan,
        "ci_high": r.ci_high if r.ratio else np.nan,
        "assumed_per_1000": ab["control_risk_per_1000"],
        "corresponding_per_1000": ab["risk_per_1000"],
        "corresponding_per_1000_low": ab["risk_per_1000_low"],
        "corresponding_per_1000_high": ab["risk_per_1000_high"],
        "difference_per_1000": ab["difference_per_1000"],
        "difference_per_1000_low": ab["difference_per_1000_low"],
        "difference_per_1000_high": ab["difference_per_1000_high"],
        **{k: -d for k, (d, _) in domains.items()},
        "certainty": certainty,
        "explanation": scale
        + f"assumed risk: {ab['control_risk_source']}; "
        + "; ".join(t for _, t in domains.values()),
    }


def summary_of_findings(
    analysis: Analysis | Iterable[EndpointAnalysis] | None = None,
    *,
    endpoints: Iterable[str] | None = None,
    thresholds: dict[str, float] | None = None,
    judgements: pd.DataFrame | str | os.PathLike | None = None,
) -> pd.DataFrame:
    """GRADE-style summary of findings, one row per outcome pooled by the report's main model.

    Certainty starts at high (randomized trials) and each domain subtracts 0, 1 or 2 levels:

    * risk of bias, indirectness: from the judgement table (:func:`load_judgements`);
    * imprecision (computed): 1 if the CI includes no effect (or crosses the endpoint's decision threshold in
      ``thresholds``, reporting scale), 1 if the participants fall below the optimal information size
      (:func:`optimal_information_size`), at most 2;
    * inconsistency (computed, k >= 2; GRADE guidelines 7): from Cochran's Q (p < 0.10), the Q-based I²
      and the overlap of the study intervals; 1 (serious) if I² >= 50% with Q p < 0.10 or with two study
      intervals that do not overlap; 2 (very serious) if moreover I² >= 75% and studies exclude no effect in
      opposite directions; otherwise 0. The prediction interval is not a criterion (at small k its t(k - 2)
      quantile makes it wide even when the studies agree, τ² = 0);
    * publication bias: Egger's test (p < 0.10) only when k >= 10, otherwise not assessed.

    The relative column is always a ratio: when the analysis pools risk differences (``measure="RD"``) the risk
    ratio is pooled on the same comparisons by the same model, and the absolute effects and every computed domain
    come from it (GRADE guidelines 12); ``explanation`` gives the pooled risk difference.

    Parameters
    ----------
    analysis : Analysis, iterable of EndpointAnalysis, or None
        Default: :func:`fmtrials.analyse` on the bundled data.
    endpoints : iterable of str, optional
        Keep these endpoints (default: every estimable one).
    thresholds : dict, optional
        Decision threshold per endpoint on the reporting scale (e.g. ``{"composite_3": 1.25}``).
    judgements : DataFrame, path or None
        The judgement table; default the bundled one.

    Returns
    -------
    pandas.DataFrame
        :data:`SOF_COLUMNS`; domain columns hold the (negative) change in levels; ``explanation`` says why.

    Examples
    --------
    >>> from fmtrials import summary_of_findings
    >>> sof = summary_of_findings(endpoints=["composite_3", "nausea"])
    >>> sof[["endpoint", "participants", "trials", "certainty"]]
          endpoint  participants  trials certainty
    0  composite_3          1025       1       low
    1       nausea          2019       3      high
    """
    from ..analysis import analyse

    analysis = analyse() if analysis is None else analysis
    j = judgements if isinstance(judgements, pd.DataFrame) else load_judgements(judgements)
    thresholds = dict(thresholds or {})
    keep = None if endpoints is None else list(endpoints)
    results = list(analysis)
    if keep is not None:
        known = {e.endpoint for e in results}
        bad = [k for k in keep if k not in known]
        if bad:
            raise DataError(
                Problem(
                    f"not analysed: {', '.join(bad)}; known: {', '.join(sorted(known))}",
                    file=ARGUMENTS,
                    column="endpoints",
                )
            )
        results = sorted((e for e in results if e.endpoint in keep), key=lambda e: keep.index(e.endpoint))
    rows = [_row(e, j, thresholds.get(e.endpoint)) for e in results if e.main is not None]
    return pd.DataFrame(rows, columns=list(SOF_COLUMNS))

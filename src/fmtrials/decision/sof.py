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
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special

from .._csv import read_csv_strict
from .._format import format_interval, format_number, format_p
from .._validation import ARGUMENTS
from ..errors import DataError, Problem
from .absolute import absolute_effects

if TYPE_CHECKING:
    from ..analysis import Analysis, EndpointAnalysis

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


def optimal_information_size(control_risk: float, rrr: float = 0.25, alpha: float = 0.05, power: float = 0.80) -> float:
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


def _inconsistency(r) -> tuple[int, str]:
    h, pi = r.heterogeneity, r.prediction
    if r.k < 2 or not h.estimable:
        return 0, "inconsistency: not assessable with one trial (not downgraded)"
    null = 1.0 if r.ratio else 0.0
    pi_crosses = np.isfinite(pi.pi_low) and pi.pi_low <= null <= pi.pi_high and not (r.ci_low <= null <= r.ci_high)
    down = 2 if h.i2 >= 75 else 1 if (h.i2 >= 50 or pi_crosses) else 0
    pi_text = (
        f"prediction interval {format_number(pi.pi_low, 2)} to {format_number(pi.pi_high, 2)}"
        if np.isfinite(pi.pi_low)
        else "no prediction interval (k < 3)"
    )
    return down, f"inconsistency: I² = {format_number(h.i2, 1)}%, {pi_text}" + (
        " crosses no effect while the pooled interval does not" if pi_crosses else ""
    )


def _small_study(r) -> tuple[int, str]:
    """Egger's classical test (:func:`fmtrials.small_study_test`, ``method="egger"``) from k >= 10; p through
    :func:`~fmtrials._format.format_p` (never ``0.000``)."""
    from ..meta.smallstudy import MIN_STUDIES, small_study_test

    s = r.studies[r.studies["included"]]
    if len(s) < MIN_STUDIES:
        return 0, f"publication bias: small-study effects not assessed (k = {len(s)} < {MIN_STUDIES})"
    t = small_study_test(s.assign(study=s["label"]), measure=r.measure, method="egger")
    p = float(t.at[0, "p_value"])
    text = format_p(p)
    shown = f"< {text[1:]}" if text.startswith("<") else f"= {text}"
    return int(p < 0.10), f"publication bias: Egger's regression test (classical) p {shown} (downgraded below 0.10)"


def _participants(e: EndpointAnalysis) -> tuple[int, int]:
    t = e.primary
    n_c = t.drop_duplicates("placebo_id")["n_c"].sum() if "placebo_id" in t else t["n_c"].sum()
    return int(t["n_t"].sum() + n_c), int(t["study"].nunique())


def _row(e: EndpointAnalysis, judgements: pd.DataFrame, threshold: float | None) -> dict[str, Any]:
    r = e.main
    assert r is not None  # only estimable endpoints reach here
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
        "relative_effect": f"{r.measure} {format_interval(r.estimate, r.ci_low, r.ci_high, 2)}",
        "measure": r.measure,
        "estimate": r.estimate,
        "ci_low": r.ci_low,
        "ci_high": r.ci_high,
        "assumed_per_1000": ab["control_risk_per_1000"],
        "corresponding_per_1000": ab["risk_per_1000"],
        "corresponding_per_1000_low": ab["risk_per_1000_low"],
        "corresponding_per_1000_high": ab["risk_per_1000_high"],
        "difference_per_1000": ab["difference_per_1000"],
        "difference_per_1000_low": ab["difference_per_1000_low"],
        "difference_per_1000_high": ab["difference_per_1000_high"],
        **{k: -d for k, (d, _) in domains.items()},
        "certainty": certainty,
        "explanation": f"assumed risk: {ab['control_risk_source']}; " + "; ".join(t for _, t in domains.values()),
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
    * inconsistency (computed, k >= 2): 2 if I² >= 75%, 1 if I² >= 50% or the prediction interval includes no
      effect while the CI does not;
    * publication bias: Egger's test (p < 0.10) only when k >= 10, otherwise not assessed.

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

"""Every table of the report's "What it means" part, from one analysis: :func:`what_it_means`."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from .._format import format_number
from .._result import ResultMixin
from .._validation import ARGUMENTS, check_number
from ..errors import DataError, Problem
from ._priors import check_beta_prior, check_positive
from .absolute import ABSOLUTE_COLUMNS, absolute_effects
from .balance import BENEFIT_RISK_COLUMNS, benefit_risk
from .bayes_meta import bayes_pool
from .bayes_rd import bayes_risk_difference
from .fragility import MAX_ARM, fragility_index
from .sof import summary_of_findings

if TYPE_CHECKING:
    from ..analysis import Analysis

__all__ = ["WhatItMeans", "what_it_means"]

_KEYS = ("study", "arm", "dose_mg_day", "analysis", "status_t", "status_c")
#: the benefit-risk endpoints of the bundled milnacipran data, used by default where they were analysed
DEFAULT_BENEFIT = "composite_3"
DEFAULT_HARMS = ("ae_withdrawal", "nausea")


@dataclass(frozen=True, eq=False)
class WhatItMeans(ResultMixin):
    """The tables of the "What it means" part (:func:`what_it_means`).

    Attributes
    ----------
    absolute : DataFrame
        Per endpoint, :func:`absolute_effects` of the main pooled model (``endpoint`` first).
    summary_of_findings : DataFrame
        :func:`summary_of_findings`.
    benefit_risk : DataFrame
        :func:`benefit_risk` (per trial and pooled).
    fragility : DataFrame
        :func:`fragility_index` of every primary comparison that is significant by Fisher's test.
    posterior : DataFrame
        Per efficacy comparison (``level="trial"``, :func:`bayes_risk_difference`) and pooled per efficacy
        endpoint (``level="pooled"``, :func:`bayes_pool` on the RD scale): P(RD > ``mcid``).
    choices : tuple of str
        Every stated choice (the clinically important difference, priors, control risks, rules).
    reasons : tuple of str
        Why a table is empty or shorter than asked (e.g. ``"benefit-risk not computed: ..."``): nothing is
        left out silently.
    """

    absolute: pd.DataFrame = field(repr=False)
    summary_of_findings: pd.DataFrame = field(repr=False)
    benefit_risk: pd.DataFrame = field(repr=False)
    fragility: pd.DataFrame = field(repr=False)
    posterior: pd.DataFrame = field(repr=False)
    choices: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name (CSV file stems for a report: ``what_it_means_<name>.csv``)."""
        return {
            "absolute": self.absolute,
            "summary_of_findings": self.summary_of_findings,
            "benefit_risk": self.benefit_risk,
            "fragility": self.fragility,
            "posterior": self.posterior,
        }

    def summary(self) -> str:
        """Plain text: one line per outcome (per 1000 and certainty), the benefit-risk readings, fragility."""
        lines = ["What it means"]
        for r in self.summary_of_findings.itertuples():
            lines.append(
                f"  {r.endpoint}: {format_number(r.assumed_per_1000, 0)} per 1000 on placebo, "
                f"{format_number(r.corresponding_per_1000, 0)} on treatment "
                f"({format_number(r.corresponding_per_1000_low, 0)} to "
                f"{format_number(r.corresponding_per_1000_high, 0)}); {r.relative_effect}; certainty "
                f"{r.certainty}"
            )
        for r in self.benefit_risk[self.benefit_risk["level"] == "pooled"].itertuples():
            lines.append(f"  {r.benefit} vs {r.harm}: {r.reading}")
        for r in self.fragility.itertuples():
            lines.append(
                f"  fragility {r.endpoint} {r.study} {r.arm}: {format_number(r.fragility_index, 0)} "
                f"patient(s) (quotient {format_number(r.fragility_quotient, 4)})"
            )
        for r in self.posterior[self.posterior["level"] == "pooled"].itertuples():
            lines.append(f"  P({r.endpoint} RD > {format_number(r.threshold, 2)}) = {format_number(r.p_greater, 3)}")
        lines += [f"  Not shown: {r}" for r in self.reasons]
        lines += [f"  Note: {c}" for c in self.choices]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """A copy of the summary-of-findings table (the part's headline table)."""
        return self.summary_of_findings.copy()


def _absolute(analysis) -> pd.DataFrame:
    frames = [absolute_effects(e.main).assign(endpoint=e.endpoint) for e in analysis if e.main is not None]
    if not frames:
        return pd.DataFrame(columns=["endpoint", *ABSOLUTE_COLUMNS])
    out = pd.concat(frames, ignore_index=True)
    return out[["endpoint", *ABSOLUTE_COLUMNS]]


def _stacked_primary(analysis, only: Iterable[str] | None = None) -> pd.DataFrame:
    frames = [
        e.primary.assign(endpoint=e.endpoint, event=e.event)
        for e in analysis
        if len(e.primary) and (only is None or e.endpoint in only)
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _all_within(analysis) -> bool:
    """Every primary comparison within the fragility index's supported size."""
    t = _stacked_primary(analysis)
    return t.empty or bool(((t["n_t"] <= MAX_ARM) & (t["n_c"] <= MAX_ARM)).all())


def _fragility(analysis, alpha: float) -> pd.DataFrame:
    t = _stacked_primary(analysis)
    if t.empty:
        return pd.DataFrame()
    # a table with an arm beyond the supported size (fragility.MAX_ARM) has no fragility index: left out
    t = t[(t["n_t"] <= MAX_ARM) & (t["n_c"] <= MAX_ARM)].reset_index(drop=True)
    if t.empty:
        return pd.DataFrame()
    fi = fragility_index(t["events_t"], t["n_t"], t["events_c"], t["n_c"], alpha=alpha)
    keys = t[["endpoint", "event", *[k for k in _KEYS if k in t]]].reset_index(drop=True)
    out = pd.concat([keys, fi], axis=1)
    return out[out["significant"]].reset_index(drop=True)


def _posterior(analysis, mcid: float, prior: tuple[float, float], tau_prior: float, alpha: float) -> pd.DataFrame:
    efficacy = [e for e in analysis if e.event == "beneficial" and len(e.primary)]
    t = _stacked_primary(efficacy)
    if t.empty:
        return pd.DataFrame()
    rd = bayes_risk_difference(
        t["events_t"], t["n_t"], t["events_c"], t["n_c"], prior=prior, threshold=mcid, alpha=alpha
    )
    trial = pd.concat([t[["endpoint", *[k for k in _KEYS if k in t]]].reset_index(drop=True), rd], axis=1)
    trial.insert(0, "level", "trial")
    trial["prior"] = f"Beta({prior[0]:g}, {prior[1]:g}) per arm"
    pooled = []
    for e in efficacy:
        b = bayes_pool(e.pooled_table, measure="RD", tau_prior=tau_prior, threshold=mcid, alpha=alpha)
        pooled.append(
            {
                "level": "pooled",
                "endpoint": e.endpoint,
                "study": f"pooled (k = {b.k})",
                "mean": b.estimate,
                "median": b.median,
                "ci_low": b.ci_low,
                "ci_high": b.ci_high,
                "threshold": mcid,
                "p_greater": b.p_greater,
                "tau_median": b.tau_median,
                "tau_ci_low": b.tau_ci_low,
                "tau_ci_high": b.tau_ci_high,
                "alpha": alpha,
                "prior": f"flat on the pooled RD, half-normal({tau_prior:g}) on tau",
                "note": (
                    "k = 1: the data cannot inform tau, its posterior is the prior and widens the interval"
                    if b.k == 1
                    else ""
                ),
            }
        )
    return pd.concat([trial, pd.DataFrame(pooled)], ignore_index=True)


def _benefit_risk(
    analysis, outcomes, benefit: str | None, harms: Iterable[str] | str | None, alpha: float
) -> tuple[pd.DataFrame, list[str]]:
    """:func:`benefit_risk` of the named endpoints (it reads them from ``outcomes`` and names any that is not
    there), else of the bundled data's defaults among the analysed endpoints; when those are not analysed, an
    empty table and the reason."""
    empty = pd.DataFrame(columns=list(BENEFIT_RISK_COLUMNS))
    if outcomes is None and getattr(analysis, "origin", "bundled") != "bundled":
        if benefit is not None or harms is not None:
            raise DataError(
                Problem(
                    "needed for benefit-risk of a user analysis (it reads the counts)",
                    file=ARGUMENTS,
                    column="outcomes",
                )
            )
        return empty, ["benefit-risk not computed: the outcomes behind the analysis were not given (outcomes=)"]
    known = set(analysis.endpoints)
    b = DEFAULT_BENEFIT if benefit is None else benefit
    if harms is None:
        hs = [h for h in DEFAULT_HARMS if h in known]
        skipped = [h for h in DEFAULT_HARMS if h not in known]
    else:
        hs, skipped = ([harms] if isinstance(harms, str) else list(harms)), []
    if (benefit is None and b not in known) or (harms is None and not hs):
        what = f"benefit endpoint {b!r} is" if b not in known else f"harm endpoints ({', '.join(skipped)}) are"
        return empty, [
            f"benefit-risk not computed: the bundled data's default {what} not among the analysed endpoints "
            f"({', '.join(sorted(known))}); name them with what_it_means(benefit=..., harms=...)"
        ]
    notes = [f"benefit-risk: default harm endpoint(s) {', '.join(skipped)} not analysed, left out"] if skipped else []
    return benefit_risk(outcomes, benefit=b, harms=hs, alpha=alpha), notes


def what_it_means(
    analysis: Analysis | None = None,
    outcomes: pd.DataFrame | None = None,
    *,
    mcid: float = 0.10,
    benefit: str | None = None,
    harms: Iterable[str] | str | None = None,
    prior: tuple[float, float] = (1, 1),
    tau_prior: float = 0.1,
    alpha: float = 0.05,
    judgements: pd.DataFrame | str | os.PathLike | None = None,
) -> WhatItMeans:
    """Per-1000 effects, summary of findings, benefit-risk, fragility and posterior probabilities, together.

    Parameters
    ----------
    analysis : Analysis or None
        :func:`fmtrials.analyse` of ``outcomes`` (computed when None).
    outcomes : DataFrame or None
        The outcomes analysed (the bundled data by default); needed by the benefit-risk table.
    mcid : float
        The clinically important difference on the risk-difference scale, in (0, 1): posterior probabilities
        are P(RD > mcid). Default 0.10 (10 percentage points more responders), stated in ``choices``.
    benefit, harms
        Endpoints of :func:`benefit_risk`, read from ``outcomes`` (a named endpoint that is not there is a
        :class:`~fmtrials.DataError`). Default: the bundled data's (``composite_3`` against ``ae_withdrawal`` and
        ``nausea``) where they were analysed; ``reasons`` says which were left out, and why the benefit-risk
        table is empty when none was.
    prior : (float, float)
        Beta prior of each arm's risk for the per-trial posteriors (a, b > 0).
    tau_prior : float
        Half-normal scale of tau for the pooled posterior on the RD scale (> 0; 0.1 = 10 percentage points).
    alpha : float
    judgements : DataFrame, path or None
        Risk-of-bias and indirectness judgements for :func:`summary_of_findings` (the bundled
        ``data/certainty_judgements.csv`` by default). For other data pass your own, or an empty table
        (``pd.DataFrame(columns=JUDGEMENT_COLUMNS)``): the certainty is then an upper bound, saying which domains
        were not judged.

    Returns
    -------
    WhatItMeans

    Examples
    --------
    >>> from fmtrials import what_it_means
    >>> w = what_it_means()
    >>> w.fragility[["endpoint", "study", "fragility_index"]].head(2)
          endpoint       study  fragility_index
    0  composite_3  Arnold2010             22.0
    1      pain_30  Arnold2010             41.0
    """
    from ..analysis import analyse

    mcid = check_number(mcid, "mcid", low=0.0, high=1.0, inclusive=False)
    tau_prior = check_positive(tau_prior, "tau_prior")
    prior = check_beta_prior(prior)
    if analysis is None:
        analysis = analyse(outcomes, alpha=alpha)
    elif not hasattr(analysis, "results"):
        raise DataError(
            Problem(
                f"must be an Analysis (fmtrials.analyse), got {type(analysis).__name__}",
                file=ARGUMENTS,
                column="analysis",
            )
        )
    alpha = analysis.alpha
    br, reasons = _benefit_risk(analysis, outcomes, benefit, harms, alpha)
    choices = (
        (
            f"clinically important difference: {format_number(100 * mcid, 0)} percentage points more responders "
            "(posterior probabilities are P(RD > that))"
        ),
        (
            f"per-trial posteriors: independent Beta({prior[0]:g}, {prior[1]:g}) priors on each arm's risk; pooled: "
            f"flat prior on the RD, half-normal prior on tau with scale {tau_prior:g}, integrated by quadrature"
        ),
        (
            "per-1000 effects: assumed risk = median placebo risk of the pooled comparisons; corresponding risk from "
            "the main model's pooled ratio"
        ),
        (
            "fragility: Fisher's exact test, events added one patient at a time to the arm with the lower event "
            "proportion; shown for the significant primary comparisons"
            + ("" if _all_within(analysis) else f" with arms of at most {MAX_ARM:,} patients")
        ),
        "benefit-risk: LHH = NNH / NNT; its interval assumes the benefit and harm endpoints independent",
    )
    fragility = _fragility(analysis, alpha)
    if fragility.empty:
        reasons.append(f"fragility: no primary comparison is significant by Fisher's exact test at alpha = {alpha:g}")
    posterior = _posterior(analysis, mcid, prior, tau_prior, alpha)
    if posterior.empty:
        reasons.append("posterior probabilities: no beneficial endpoint with comparisons was analysed")
    return WhatItMeans(
        absolute=_absolute(analysis),
        summary_of_findings=summary_of_findings(analysis, judgements=judgements),
        benefit_risk=br,
        fragility=fragility,
        posterior=posterior,
        choices=choices,
        reasons=tuple(reasons),
    )

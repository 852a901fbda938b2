"""How milnacipran compares with duloxetine and pregabalin: the comparator network, as a report section shows it.

:func:`comparator_network` fits :func:`fmtrials.network_meta` to the bundled comparator trials
(:func:`fmtrials.load_comparator_arms`, >=30% pain response) and returns what a report section needs: the league
table, P-scores with their caveat, the inconsistency test, the unverified inputs and the published estimates
beside fmtrials' own (:data:`PUBLISHED`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .._result import ResultMixin, render_html
from .._vocab import MEASURES, NETWORK_METHODS, Measure, NetworkMethod, choice
from ..network import NetworkResult, network_meta

__all__ = ["comparator_network", "ComparatorNetwork", "PUBLISHED", "P_SCORE_CAVEAT"]

#: published estimates against placebo for >=30% pain response (comparators.md §4, status "reported"):
#: Lee & Song 2016 (Rheumatol Int, doi 10.1007/s00296-016-3468-5, abstract; Bayesian NMA of 9 RCTs, 5,140
#: patients) odds ratios per dose; the Arthritis Res Ther review (doi 10.1186/ar4441, Table 1; pairwise, all doses
#: pooled, 5 RCTs per drug) risk ratios per drug
#: ``trials`` and ``patients``: the published analysis's evidence (LS16: the whole network; H14: per drug);
#: ``model``: how it was estimated
PUBLISHED = pd.DataFrame(
    [
        ("LS16", "OR", "dose", "duloxetine 60", 2.33, 1.50, 3.67, 9, 5140, "Bayesian network meta-analysis"),
        ("LS16", "OR", "dose", "pregabalin 300", 1.68, 1.25, 2.28, 9, 5140, "Bayesian network meta-analysis"),
        ("LS16", "OR", "dose", "milnacipran 100", 1.62, 1.16, 2.25, 9, 5140, "Bayesian network meta-analysis"),
        ("LS16", "OR", "dose", "milnacipran 200", 1.61, 1.15, 2.24, 9, 5140, "Bayesian network meta-analysis"),
        ("H14", "RR", "drug", "duloxetine", 1.33, 1.18, 1.51, 5, 1884, "pairwise meta-analysis, all doses pooled"),
        ("H14", "RR", "drug", "milnacipran", 1.38, 1.25, 1.51, 5, 4110, "pairwise meta-analysis, all doses pooled"),
        ("H14", "RR", "drug", "pregabalin", 1.37, 1.22, 1.53, 5, 3259, "pairwise meta-analysis, all doses pooled"),
    ],
    columns=[
        "source",
        "measure",
        "level",
        "treatment",
        "published",
        "published_low",
        "published_high",
        "published_trials",
        "published_patients",
        "published_model",
    ],
)
PUBLISHED_CITATIONS = {
    "LS16": "Lee YH, Song GG. Rheumatol Int 2016 (doi 10.1007/s00296-016-3468-5), abstract: Bayesian network "
    "meta-analysis, 9 RCTs, 5,140 patients",
    "H14": "Review of pharmacological therapies in fibromyalgia syndrome. Arthritis Res Ther (doi 10.1186/ar4441), "
    "Table 1: pairwise meta-analyses per drug, all doses pooled (5 RCTs each)",
}

P_SCORE_CAVEAT = (
    "P-scores rank the treatments by their estimates and precision (1 = better than every other with certainty); "
    "they do not say how large any difference is, and close P-scores with overlapping intervals mean no "
    "demonstrated difference."
)

DIFFERENCES = (
    "The published estimates come from other trial sets and populations: Lee & Song 2016 analysed 9 RCTs "
    "(5,140 patients) in a Bayesian model; the Arthritis Res Ther review pooled 5 RCTs per drug and all doses. "
    "fmtrials' network has the 8 trials whose counts were transcribed from Roskell 2011 (nmadb): only 2 of the "
    "5-6 duloxetine trials, no trial after 2009, and arm sizes below the randomized n for Arnold 2005, Russell "
    "2008 and Mease 2009 (analysis population not stated)."
)


@dataclass(repr=False)
class ComparatorNetwork(ResultMixin):
    """The comparator network of :func:`comparator_network` (per dose and per drug) and what a report shows."""

    by_dose: NetworkResult
    by_drug: NetworkResult
    league: pd.DataFrame
    p_scores: pd.DataFrame
    p_score_caveat: str
    inconsistency: dict[str, Any]
    unverified: pd.DataFrame
    published: pd.DataFrame
    differences: str
    citations: dict[str, str] = field(default_factory=dict)
    #: every analysed arm: ``study, node`` (the per-dose network's treatment), ``treatment, dose_mg_day, arm,
    #: events, n, population, status, source, locator``
    inputs: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        """The published estimates beside fmtrials'."""
        return self.published

    def summary(self) -> str:
        from .._format import format_number as f

        d = self.inconsistency
        lines = [
            "How does milnacipran compare with duloxetine and pregabalin? (>=30% pain response)",
            self.by_dose.summary(),
            "P-scores: " + ", ".join(f"{r.treatment} {f(r.p_score, 2)}" for r in self.p_scores.itertuples()),
            "  " + self.p_score_caveat,
            f"Inconsistency between designs: Q = {f(d['q_between'], 2)} on {d['q_between_df']} df",
            f"Unverified inputs: {len(self.unverified)} arms ({', '.join(sorted(set(self.unverified.study)))})",
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return render_html("comparatornetwork", text=self.summary(), frame=self.published)


def _nodes(arms: pd.DataFrame, level: str) -> pd.DataFrame:
    if level == "dose":
        names = [t if t == "placebo" else f"{t} {d}" for t, d in zip(arms.treatment, arms.dose_mg_day)]
        return pd.DataFrame({"study": arms.study, "treatment": names, "events": arms.events, "n": arms.n})
    # per drug: the dose arms of a trial combined against its one placebo arm
    g = arms.groupby(["study", "treatment"], sort=False)[["events", "n"]].sum().reset_index()
    return g[["study", "treatment", "events", "n"]]


def comparator_network(
    *,
    measure: Measure = "RR",
    method: NetworkMethod = "REML",
    alpha: float = 0.05,
    arms: pd.DataFrame | None = None,
) -> ComparatorNetwork:
    """The network of milnacipran, duloxetine and pregabalin trials for >=30% pain response (bundled data).

    Two networks: per dose (nodes such as ``"milnacipran 100"``) and per drug (each trial's dose arms combined).
    The published estimates (:data:`PUBLISHED`) are shown beside fmtrials' estimate from the per-dose network on
    the published measure (Lee & Song: OR) or the per-drug network (Arthritis Res Ther review: RR).
    ``arms``: comparator arms in the layout of :func:`fmtrials.load_comparator_arms` (validated, e.g. by
    ``fmtrials.read_table(path, "comparator_arms")``) instead of the bundled ones.

    Examples
    --------
    >>> res = comparator_network()
    >>> sorted(res.by_dose.treatments)[:2], res.by_dose.k
    (['duloxetine 60', 'milnacipran 100'], 8)
    >>> res.published[["source", "treatment"]].iloc[0].tolist()
    ['LS16', 'duloxetine 60']
    """
    from ..data import load_comparator_arms

    measure = choice(measure, MEASURES, "measure")
    method = choice(method, NETWORK_METHODS, "method")
    c = load_comparator_arms() if arms is None else arms
    arms = c[(c.endpoint == "pain_30") & c.events.notna() & c.n.notna()].copy()
    arms["events"] = arms["events"].astype(int)
    arms["n"] = arms["n"].astype(int)
    kw: dict[str, Any] = {"reference": "placebo", "method": method, "event": "beneficial", "alpha": alpha}
    by_dose = network_meta(_nodes(arms, "dose"), measure=measure, **kw)
    by_drug = network_meta(_nodes(arms, "drug"), measure=measure, **kw)
    assert isinstance(by_dose, NetworkResult) and isinstance(by_drug, NetworkResult)
    fits = {
        ("OR", "dose"): by_dose if measure == "OR" else network_meta(_nodes(arms, "dose"), measure="OR", **kw),
        ("RR", "drug"): by_drug if measure == "RR" else network_meta(_nodes(arms, "drug"), measure="RR", **kw),
    }
    rows = []
    for r in PUBLISHED.itertuples():
        fit = fits[(r.measure, r.level)]
        assert isinstance(fit, NetworkResult)
        rel = fit.relative_effects().set_index("treatment")
        hit = rel.loc[r.treatment] if r.treatment in rel.index else None
        rows.append(
            {
                **r._asdict(),
                "fmtrials": float(hit["estimate"]) if hit is not None else math.nan,
                "fmtrials_low": float(hit["ci_low"]) if hit is not None else math.nan,
                "fmtrials_high": float(hit["ci_high"]) if hit is not None else math.nan,
                "fmtrials_k": sum(r.treatment in d.split(":") for d in fit.designs for _ in fit.designs[d]),
            }
        )
    published = pd.DataFrame(rows).drop(columns="Index")
    unverified = arms.loc[arms.status != "reported", ["study", "arm", "events", "n", "status", "source", "population"]]
    cols = ["study", "treatment", "dose_mg_day", "arm", "events", "n", "population", "status", "source", "locator"]
    inputs = arms[cols].assign(node=_nodes(arms, "dose")["treatment"].to_numpy())
    return ComparatorNetwork(
        by_dose=by_dose,
        by_drug=by_drug,
        league=by_dose.league(),
        p_scores=by_dose.p_scores(),
        p_score_caveat=P_SCORE_CAVEAT,
        inconsistency=dict(by_dose.decomposition),
        unverified=unverified.reset_index(drop=True),
        published=published,
        differences=DIFFERENCES,
        citations=dict(PUBLISHED_CITATIONS),
        inputs=inputs[["study", "node", *cols[1:]]].reset_index(drop=True),
    )

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


#: which row of an arm the network uses when several sources give its count: a primary source first
_STATUS_RANK = {"reported": 0, "derived": 1, "unverified": 2}


def _network_arms(c: pd.DataFrame) -> pd.DataFrame:
    """One count row per arm (study, treatment, dose) of the >=30% pain-response rows of ``c``.

    ``comparator_arms.csv`` keeps every source's count (a conflicting count is a second row, never an
    overwrite). The network takes, per arm, the rows of the best status (``reported`` before ``derived`` before
    ``unverified``); rows of that status must agree on events and n, else the choice is the curator's and a
    :class:`~fmtrials.DataError` names the study, the arm and the sources.

    Examples
    --------
    >>> rows = pd.DataFrame({"study": ["S", "S", "S"], "treatment": ["placebo", "drug", "drug"],
    ...     "dose_mg_day": [0, 60, 60], "endpoint": "pain_30", "events": [10, 20, 21], "n": [50, 50, 50],
    ...     "status": ["unverified", "unverified", "reported"], "source": ["A", "A", "B"]})
    >>> _network_arms(rows)[["treatment", "events", "source"]].values.tolist()
    [['placebo', 10, 'A'], ['drug', 21, 'B']]
    """
    from ..errors import DataError, Problem

    arms = c[(c.endpoint == "pain_30") & c.events.notna() & c.n.notna()].copy()
    arms["_rank"] = [_STATUS_RANK.get(str(s), len(_STATUS_RANK)) for s in arms.status]
    keep, problems = [], []
    for (study, treatment, dose), g in arms.groupby(["study", "treatment", "dose_mg_day"], sort=False, dropna=False):
        best = g[g._rank == g._rank.min()]
        if len({(int(e), int(n)) for e, n in zip(best.events, best.n)}) > 1:
            shown = "; ".join(f"{s}: {int(e)}/{int(n)}" for s, e, n in zip(best.source, best.events, best.n))
            dose_txt = "" if pd.isna(dose) else f" {dose}"
            problems.append(
                Problem(
                    f"study {study!r}, arm {treatment}{dose_txt}: {best.status.iloc[0]} sources disagree on the "
                    f">=30% pain count ({shown}); the network needs one",
                    file="comparator_arms.csv",
                    column="events",
                )
            )
        keep.append(best.index[0])
    if problems:
        raise DataError(problems)
    return arms.loc[sorted(keep)].drop(columns="_rank")


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
    the published measure (Lee & Song: OR) or the per-drug network (Arthritis Res Ther review: RR). Where several
    sources give an arm's count, the network uses the best-status one (``reported`` before ``derived`` before
    ``unverified``) and refuses conflicting counts of equal status.
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
    arms = _network_arms(c)
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

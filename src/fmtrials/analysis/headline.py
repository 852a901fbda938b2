"""The numbers of the report's first section (``id="main-results"``): :func:`headline_numbers`.

What the composite-responder data show against placebo, computed here so the report only prints them:

* the published composite table (:data:`~fmtrials.analysis.policy.COMPOSITE_TABLE_SOURCE`) re-analysed under
  every assumed denominator (:func:`fmtrials.reanalyse_reported`);
* the per-trial comparisons of the composite (:data:`~fmtrials.analysis.policy.BENEFIT_ENDPOINT`), of the other
  efficacy endpoints and of the key safety endpoints (:data:`~fmtrials.analysis.policy.MAIN_SAFETY`, analysed
  here when the analysis left them out, each its own Holm family);
* a pooled risk difference with its NNT next to the pooled risk ratio wherever more than one trial reports the
  endpoint (:func:`pooled_numbers`), with the main model each endpoint used.

Examples
--------
>>> import fmtrials
>>> from fmtrials.analysis.headline import headline_numbers
>>> h = headline_numbers(fmtrials.analyse())
>>> [r["endpoint"] for r in h.pooled]  # the endpoints more than one trial reports
['pgic', 'nausea']
>>> sorted(set(h.safety["endpoint"]))
['ae_withdrawal', 'nausea']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd

from .._result import ResultMixin
from .._vocab import Event
from .endpoint import EndpointAnalysis, analyse_endpoint
from .overall import Analysis, holm_families
from .policy import BENEFIT_ENDPOINT, COMPOSITE_TABLE_SOURCE, MAIN_SAFETY

__all__ = ["Headline", "headline_numbers", "pooled_numbers", "composite_table"]


@dataclass(frozen=True, eq=False)
class Headline(ResultMixin):
    """The first section's numbers.

    Attributes
    ----------
    composite, efficacy, safety : pandas.DataFrame
        Per-trial comparisons (rows of :attr:`Analysis.compared <fmtrials.analysis.Analysis>` with their Holm
        columns): the benefit composite, the other efficacy endpoints, the key safety endpoints in
        :data:`MAIN_SAFETY` order.
    compared : pandas.DataFrame
        Every comparison of the analysis plus those of the safety endpoints analysed here (Holm within each).
    pooled : list of dict
        :func:`pooled_numbers` of the efficacy endpoints, then of the safety ones.
    efficacy_endpoints : tuple of str
        The beneficial endpoints of the analysis.
    """

    composite: pd.DataFrame = field(repr=False)
    efficacy: pd.DataFrame = field(repr=False)
    safety: pd.DataFrame = field(repr=False)
    compared: pd.DataFrame = field(repr=False)
    pooled: list[dict[str, Any]] = field(repr=False)
    efficacy_endpoints: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The per-trial rows shown (:attr:`frame`)."""
        return self.frame

    def summary(self) -> str:
        """One line per pooled endpoint: pooled RD (points) with its NNT, pooled RR, the model."""
        from .._format import format_interval, pool_label

        lines = [f"Headline: {len(self.frame)} per-trial comparisons, {len(self.pooled)} pooled endpoints"]
        for r in self.pooled:
            rd = format_interval(100 * r["rd"], 100 * r["rd_low"], 100 * r["rd_high"], 1)
            rr = format_interval(r["rr"], r["rr_low"], r["rr_high"], 2)
            lines.append(
                f"  {r['endpoint']}: RD {rd} points, {r['nnt_label']}; RR {rr} ({pool_label(r['method'], r['test'])})"
            )
        return "\n".join(lines)

    @property
    def frame(self) -> pd.DataFrame:
        """The per-trial rows shown (composite, efficacy, safety): ``tables/main_trials.csv``."""
        out = pd.concat([self.composite, self.efficacy, self.safety], ignore_index=True)
        out.attrs = {}
        return out

    @property
    def families(self) -> list[str]:
        """The Holm families of the rows shown, in order (comparisons not counted left out)."""
        col = self.frame.get("holm_family", pd.Series(dtype=object))
        return list(dict.fromkeys(f for f in col if not str(f).startswith("not counted")))


def headline_numbers(result: Analysis, outcomes: pd.DataFrame | None = None) -> Headline:
    """The first section's numbers of ``result``; the key safety endpoints it did not analyse are analysed here
    from ``outcomes`` (default the bundled outcomes) with the same options and requested model."""
    if outcomes is None:
        from .. import data as _data

        outcomes = _data.load_outcomes()
    shown = [a for a in result if a.event == "beneficial"]
    extra = [e for e in MAIN_SAFETY if e not in result.results and e in set(outcomes["endpoint"].dropna())]
    safety = [result[e] for e in MAIN_SAFETY if e in result.results]
    req = result.requested
    safety += [
        analyse_endpoint(
            outcomes,
            e,
            measure=result.measure,  # type: ignore[arg-type]
            ci=result.ci,  # type: ignore[arg-type]
            alpha=result.alpha,
            method=None if req is None else req.method,
            test=None if req is None else req.test,
        )
        for e in extra
    ]
    compared = result.compared
    if extra:
        more = [a.compared.assign() for a in safety if a.endpoint in extra and len(a.compared)]
        for f in more:
            f.attrs = {}
        if more:
            compared = pd.concat([compared, holm_families(pd.concat(more, ignore_index=True))], ignore_index=True)
    keep_eff = compared["endpoint"].isin([a.endpoint for a in shown]).to_numpy()
    keep_saf = compared["endpoint"].isin(MAIN_SAFETY).to_numpy()
    order = {e: i for i, e in enumerate(MAIN_SAFETY)}
    return Headline(
        composite=compared[(compared["endpoint"] == BENEFIT_ENDPOINT).to_numpy()],
        efficacy=compared[keep_eff & (compared["endpoint"] != BENEFIT_ENDPOINT).to_numpy()],
        safety=compared[keep_saf].sort_values("endpoint", key=lambda s: s.map(order), kind="mergesort"),
        compared=compared,
        pooled=pooled_numbers(shown, result.alpha) + pooled_numbers(safety, result.alpha),
        efficacy_endpoints=tuple(a.endpoint for a in shown),
    )


def composite_table() -> pd.DataFrame:
    """The published composite table (:data:`COMPOSITE_TABLE_SOURCE`) re-analysed under every assumed
    denominator: the rows of :func:`fmtrials.reanalyse_reported` with a status."""
    from ..consistency import reanalyse_reported

    r = reanalyse_reported()
    return r[(r["source"] == COMPOSITE_TABLE_SOURCE) & r["status"].notna()]


def pooled_numbers(analysis: Sequence[EndpointAnalysis], alpha: float) -> list[dict[str, Any]]:
    """Pooled RD (points), its NNT and the pooled RR for every endpoint with more than one trial: the main
    model each endpoint actually used (``main_model``: the requested or policy model, small-k rule) over all doses,
    shared placebo arms split; ``analysis``: the endpoint analyses (or an :class:`~fmtrials.analysis.Analysis`)."""
    from ..effects.number_needed import altman_columns
    from ..meta import pool

    rows: list[dict[str, Any]] = []
    for ea in analysis:
        table, model = ea.pooled_table, ea.main_model
        if table is None or table.empty or table["study"].nunique() < 2 or model is None:
            continue
        fits = {
            m: pool(table, measure=m, method=model.method, test=model.test, alpha=alpha, warn_shared=False)
            for m in ("RD", "RR")
        }
        rd, rr = fits["RD"], fits["RR"]
        nnt = altman_columns([rd.estimate], [rd.ci_low], [rd.ci_high], cast(Event, ea.event))
        rows.append(
            {
                "endpoint": ea.endpoint,
                "event": ea.event,
                "trials": int(table["study"].nunique()),
                "comparisons": len(table),
                "doses_mg_day": ", ".join(map(str, sorted({int(d) for d in table["dose_mg_day"].dropna()}))),
                "rd": rd.estimate,
                "rd_low": rd.ci_low,
                "rd_high": rd.ci_high,
                "nnt": float(nnt["nnt"][0]),
                "nnt_type": str(nnt["nnt_type"][0]),
                "nnt_near": float(nnt["nnt_near"][0]),
                "nnt_near_type": str(nnt["nnt_near_type"][0]),
                "nnt_far": float(nnt["nnt_far"][0]),
                "nnt_far_type": str(nnt["nnt_far_type"][0]),
                "nnt_label": str(nnt["label"][0]),
                "rr": rr.estimate,
                "rr_low": rr.ci_low,
                "rr_high": rr.ci_high,
                "p_value_rr": rr.p_value,
                "method": model.method,
                "test": model.test,
                "alpha": alpha,
            }
        )
    return rows

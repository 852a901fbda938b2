"""Beyond the pooled results, as the report shows them: each endpoint's diagnostics (dose meta-regression,
influence, small-study tests and trim-and-fill: :func:`endpoint_diagnostics`), the decision metrics of the
"What it means" section (:func:`decision_metrics`), and which comparisons have a zero cell (:func:`zero_cells`).

The statistics are done by :mod:`fmtrials.meta` and :mod:`fmtrials.decision`; the choices (which model, which
clinically important difference, whose certainty judgements) are the analysis policy's
(:mod:`fmtrials.analysis.policy`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._result import ResultMixin
from ..errors import DataError
from .policy import MCID

if TYPE_CHECKING:
    from ..decision import WhatItMeans
    from ..meta import Diagnostics, PoolResult
    from .overall import Analysis

__all__ = ["EndpointDiagnostics", "endpoint_diagnostics", "decision_metrics", "zero_cells", "small_study_min_k"]


@dataclass(frozen=True, eq=False)
class EndpointDiagnostics(ResultMixin):
    """The diagnostics of one endpoint: the main model refitted over all doses (``pooled``) and
    :func:`fmtrials.meta.diagnostics` of it, or the reason they could not be computed (``error``)."""

    pooled: PoolResult | None = None
    diagnostics: Diagnostics | None = None
    error: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """The diagnostics' frame (:meth:`fmtrials.meta.Diagnostics.to_frame`), or one row with the error."""
        return self.diagnostics.to_frame() if self.diagnostics is not None else pd.DataFrame([{"error": self.error}])

    def summary(self) -> str:
        """The diagnostics' summary, or the error."""
        return self.diagnostics.summary() if self.diagnostics is not None else f"EndpointDiagnostics: {self.error}"


def endpoint_diagnostics(analysis: Any) -> EndpointDiagnostics | None:
    """Dose meta-regression, influence and small-study diagnostics of one endpoint analysis: all doses pooled
    with the main model, placebo arms split as for pooling. None with no main model or fewer than two
    comparisons; an :class:`EndpointDiagnostics` with ``error`` when the fit or a diagnostic fails (warnings
    are silenced: the report states what was not computed).

    Examples
    --------
    >>> import fmtrials
    >>> ea = fmtrials.analyse_endpoint(fmtrials.load_outcomes(), "nausea")
    >>> d = endpoint_diagnostics(ea)
    >>> d.pooled.k == len(ea.pooled_table), d.pooled.method == ea.main.method
    (True, True)
    >>> d.diagnostics.small_study is None  # fewer than small_study_min_k() comparisons
    True
    """
    from ..meta import diagnostics, pool

    ea = analysis
    table = getattr(ea, "pooled_table", None)
    if ea.main is None or table is None or len(table) < 2:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = ea.main  # every recorded choice of the main model, its level and prediction interval included
            res = pool(
                table, measure=m.measure, method=m.method, test=m.test, alpha=m.alpha, pi_method=m.prediction.method
            )
            return EndpointDiagnostics(res, diagnostics(res, table))
    except (DataError, ValueError, RuntimeError) as err:
        return EndpointDiagnostics(error=f"diagnostics not computed: {err}")


def decision_metrics(result: Analysis, outcomes: pd.DataFrame) -> WhatItMeans:
    """:func:`fmtrials.what_it_means` of ``result`` at the policy's :data:`~fmtrials.analysis.policy.MCID`,
    warnings silenced. The bundled certainty judgements (risk of bias, indirectness of the milnacipran trials)
    apply to the bundled data only: for user data (``result.origin == "user"``) no judgement is assumed and each
    certainty is an upper bound that says so. Raises :class:`~fmtrials.errors.DataError` when the data cannot
    give the metrics."""
    from ..decision import what_it_means
    from ..decision.sof import JUDGEMENT_COLUMNS

    judgements = None if result.origin == "bundled" else pd.DataFrame(columns=list(JUDGEMENT_COLUMNS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return what_it_means(result, outcomes, mcid=MCID, judgements=judgements)


def zero_cells(compared: pd.DataFrame | None) -> list[str]:
    """``"study endpoint"`` of every compared table with a zero (or full) cell: where the 0.5 correction acts.

    Examples
    --------
    >>> t = pd.DataFrame({"study": ["A", "B"], "endpoint": ["sae", "sae"], "events_t": [0, 3], "n_t": [10, 10],
    ...                   "events_c": [1, 2], "n_c": [10, 10]})
    >>> zero_cells(t)
    ['A sae']
    """
    if compared is None or compared.empty:
        return []
    from ..effects.sizes import zero_cell

    rows = compared[zero_cell(*(compared[c].to_numpy(float) for c in ("events_t", "n_t", "events_c", "n_c")))]
    return list(dict.fromkeys(f"{r.study} {r.endpoint}" for r in rows.itertuples()))


def small_study_min_k() -> int:
    """The fewest comparisons a small-study test is run on (Cochrane Handbook 5.1 §10.4.3.1).

    >>> small_study_min_k()
    10
    """
    from ..meta.smallstudy import MIN_STUDIES

    return int(MIN_STUDIES)

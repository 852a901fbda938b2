"""Every endpoint at once: :func:`analyse` (what the report analyses) and the report-wide Holm adjustment."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from .. import data as _data
from .._result import ResultMixin
from .._validation import ARGUMENTS, check_alpha
from .._vocab import MEASURES, RD_INTERVALS, Measure, PoolMethod, PoolTest, RDInterval, choice
from ..errors import DataError, Problem
from .endpoint import POOLED_COLUMNS, EndpointAnalysis, _analyse
from .policy import Model, all_contrasts, default_endpoints, endpoint_event, requested_model

__all__ = ["Analysis", "analyse", "holm_across", "holm_families", "EFFICACY_FAMILY"]

#: the Holm family of every beneficial (efficacy) comparison; each harmful endpoint is its own family
EFFICACY_FAMILY = "efficacy"
#: columns of :meth:`Analysis.models`
_MODEL_COLUMNS = ("endpoint", "k", "requested_method", "requested_test", "method", "test", "rule", "reason")


@dataclass(frozen=True, eq=False)
class Analysis(ResultMixin):
    """Every endpoint analysed (:func:`analyse`), with the report-wide Holm adjustment.

    Attributes
    ----------
    endpoints : tuple of str
        In the order analysed.
    results : Mapping[str, EndpointAnalysis]
        One :class:`EndpointAnalysis` per endpoint (read-only); also ``analysis[endpoint]``.
    compared : pandas.DataFrame
        The per-comparison tables of every endpoint, stacked, with ``holm_family``, ``holm_counted`` and
        ``p_holm_report`` (:func:`holm_families`: Holm within the efficacy family and within each safety
        endpoint, one analysis per comparison).
    measure, ci, alpha
        The options used.
    requested : Model or None
        The main model named with ``method=``/``test=`` (None: the policy's); each endpoint's
        ``main_model`` and ``model_rule`` say what was used (:meth:`models`).
    origin : {"bundled", "user"}
        Whose data: the bundled trials, or the user's.
    """

    endpoints: tuple[str, ...]
    results: Mapping[str, EndpointAnalysis] = field(repr=False)
    compared: pd.DataFrame = field(repr=False)
    measure: str
    ci: str
    alpha: float
    requested: Model | None = None
    origin: str = "bundled"

    def __getitem__(self, endpoint: str) -> EndpointAnalysis:
        return self.results[endpoint]

    def __iter__(self) -> Iterator[EndpointAnalysis]:
        return iter(self.results.values())

    def __len__(self) -> int:
        return len(self.results)

    def to_frame(self) -> pd.DataFrame:
        """The pooled rows of every endpoint (:meth:`EndpointAnalysis.to_frame`, stacked)."""
        frames = [a.to_frame() for a in self if a.main is not None or a.common is not None]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(POOLED_COLUMNS))

    def models(self) -> pd.DataFrame:
        """One row per endpoint: the model requested and the main model used, and why.

        Columns ``endpoint, k, requested_method, requested_test, method, test, rule, reason`` (``requested_*``
        empty when the policy applied; ``method``/``test`` empty when nothing was pooled, also for one comparison,
        ``rule`` "single").

        Examples
        --------
        >>> import fmtrials
        >>> fmtrials.analyse(endpoints=["nausea", "sae"], method="DL", test="z").models().iloc[:, :7]
          endpoint  k requested_method requested_test method test     rule
        0   nausea  4               DL              z     DL    z     main
        1      sae  2               DL              z     MH    z  small-k
        """
        rows = []
        for a in self:
            used, req = a.main_model, a.requested
            rows.append(
                {
                    "endpoint": a.endpoint,
                    "k": len(a.pooled_table),
                    "requested_method": "" if req is None else req.method,
                    "requested_test": "" if req is None else req.test,
                    "method": "" if used is None or a.model_rule == "single" else used.method,
                    "test": "" if used is None or a.model_rule == "single" else used.test,
                    "rule": a.model_rule or "",
                    "reason": a.model_reason or (a.not_estimable or ""),
                }
            )
        return pd.DataFrame(rows, columns=_MODEL_COLUMNS)

    def summary(self) -> str:
        """The summaries of every endpoint, after the model requested (when one was)."""
        head = []
        if self.requested is not None:
            head.append(
                f"Main model requested: method={self.requested.method!r}, test={self.requested.test!r} "
                "(k = 2: the small-k rule still applies to random-effects models)"
            )
        return "\n\n".join([*head, *(a.summary() for a in self)])

    def _repr_html_(self) -> str:
        return "".join(a._repr_html_() for a in self)


def holm_across(compared: pd.DataFrame) -> pd.DataFrame:
    """``compared`` with ``p_holm_report``: ``p_value`` Holm-adjusted across all its rows (as statsmodels
    ``multipletests`` and R ``p.adjust``); missing p-values stay missing and are not counted in the family."""
    from .._multiplicity import holm

    p = compared["p_value"].to_numpy(dtype=float)
    ok = np.isfinite(p)
    adj = np.full_like(p, np.nan)
    if ok.any():
        adj[ok] = holm(p[ok])
    return compared.assign(p_holm_report=adj)


def holm_families(compared: pd.DataFrame) -> pd.DataFrame:
    """``compared`` with ``holm_family``, ``holm_counted`` and ``p_holm_report``: Holm within families.

    The families are the ones a statistician would defend: every beneficial (efficacy) comparison together
    (:data:`EFFICACY_FAMILY`), and each harmful endpoint on its own (``"safety: <endpoint>"``). A comparison
    reported under several analyses (imputation, population, source) is counted **once**: the analysis the
    pooled results use (:data:`~fmtrials.analysis.ANALYSIS_PREFERENCE`); the other rows keep their own
    ``p_value`` but get ``holm_counted = False``, ``p_holm_report`` missing and a family saying why.
    Missing p-values are not counted either.

    Examples
    --------
    >>> import fmtrials
    >>> c = fmtrials.analyse(endpoints=["withdrawal_any"]).compared
    >>> c[["study", "analysis", "holm_counted"]]
             study        analysis  holm_counted
    0   Arnold2010  not applicable          True
    1   Arnold2010        registry         False
    2  Bateman2013        registry          True
    >>> print(c.holm_family[1])
    not counted: alternative analysis of Arnold2010 milnacipran_100 (counted as 'not applicable')
    """
    from .._multiplicity import holm
    from .policy import ANALYSIS_PREFERENCE

    if compared.empty:
        return compared.assign(
            holm_family=pd.Series(dtype=object),
            holm_counted=pd.Series(dtype=bool),
            p_holm_report=pd.Series(dtype=float),
        )
    rank = (
        compared["analysis"]
        .map({a: i for i, a in enumerate(ANALYSIS_PREFERENCE)})
        .fillna(len(ANALYSIS_PREFERENCE))
        .to_numpy()
    )
    order = np.lexsort((np.arange(len(compared)), rank))
    key = list(zip(compared["endpoint"], compared["study"], compared["arm"]))
    first: dict[tuple, int] = {}
    for i in order:
        first.setdefault(key[i], int(i))
    counted = np.zeros(len(compared), dtype=bool)
    counted[list(first.values())] = True
    family = np.where(
        compared["event"].to_numpy() == "beneficial",
        EFFICACY_FAMILY,
        "safety: " + compared["endpoint"].astype(str).to_numpy(),
    ).astype(object)
    for i in np.flatnonzero(~counted):
        j = first[key[i]]
        family[i] = (
            f"not counted: alternative analysis of {key[i][1]} {key[i][2]} "
            f"(counted as '{compared['analysis'].iloc[j]}')"
        )
    p = compared["p_value"].to_numpy(dtype=float)
    adj = np.full(len(p), np.nan)
    counted &= np.isfinite(p)
    for fam in dict.fromkeys(family[counted]):
        idx = np.flatnonzero(counted & (family == fam))
        adj[idx] = holm(p[idx])
    return compared.assign(holm_family=family, holm_counted=counted, p_holm_report=adj)


def _stacked(analyses: Iterable[EndpointAnalysis]) -> pd.DataFrame:
    frames = []
    for a in analyses:
        if len(a.compared):
            f = a.compared.copy()
            f.attrs = {}
            frames.append(f)
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return holm_families(out) if "p_value" in out.columns else out


def analyse(
    outcomes: pd.DataFrame | None = None,
    endpoints: Iterable[str] | None = None,
    *,
    measure: Measure = "RR",
    ci: RDInterval = "newcombe",
    alpha: float = 0.05,
    progress: Callable[[str], None] | None = None,
    method: PoolMethod | None = None,
    test: PoolTest | None = None,
) -> Analysis:
    """Analyse every endpoint as ``fmtrials report`` does, with the same numbers.

    Parameters
    ----------
    outcomes : pandas.DataFrame, optional
        Outcomes (:func:`fmtrials.load_outcomes` or :func:`fmtrials.read_outcomes`); the bundled data by default.
    endpoints : iterable of str, optional
        Endpoints to analyse (duplicates dropped); by default :func:`fmtrials.default_endpoints`.
    measure : {"RR", "OR", "RD"}
        Pooled effect measure (letter case ignored).
    ci : str
        Risk-difference interval of the per-comparison tables.
    alpha : float
        Two-sided level of every interval.
    progress : callable, optional
        Called with ``"analysing <endpoint>"`` before each endpoint.
    method : {"MH", "IV", "Peto", "DL", "REML", "PM"}, optional
        The main model's pooling method (any letter case); None: the policy (REML + HKSJ ad hoc; k ≤ 2:
        Mantel–Haenszel).
    test : {"z", "hksj", "hksj-adhoc"}, optional
        The main model's test; None: HKSJ ad hoc for a random-effects method, z for a common-effect one. A
        named random-effects model is the main model for k ≥ 3 and the small-k rule stays (k ≤ 2:
        Mantel–Haenszel); a named common-effect model (MH, IV, Peto) is used at every k
        (:func:`fmtrials.analysis.policy.resolve_main_model`). :meth:`Analysis.models` lists what was used.

    Returns
    -------
    Analysis

    Raises
    ------
    DataError
        Bad options (a method and test that do not go together, such as MH with HKSJ, or Peto with a measure
        other than OR), an endpoint not in the data or one with no known direction (all named, see
        :func:`fmtrials.analysis.endpoint_event`). An endpoint that cannot be pooled is not an
        error: its result says ``not estimable: <reason>`` and the others go on.

    Examples
    --------
    >>> import fmtrials
    >>> res = fmtrials.analyse(endpoints=["nausea", "ae_any"])
    >>> res.endpoints, [a.event for a in res]
    (('nausea', 'ae_any'), ['harmful', 'harmful'])

    ``p_holm`` adjusts within an endpoint, ``p_holm_report`` within its ``holm_family`` (efficacy; each
    safety endpoint):

    >>> res.compared[["endpoint", "study", "dose_mg_day", "p_value", "p_holm", "p_holm_report"]].round(4)
      endpoint        study  dose_mg_day  p_value  p_holm  p_holm_report
    0   nausea    Mease2009          100   0.0075  0.0150         0.0150
    1   nausea    Mease2009          200   0.0000  0.0000         0.0000
    2   nausea   Arnold2010          100   0.0000  0.0000         0.0000
    3   nausea  Bateman2013          100   0.5611  0.5611         0.5611
    4   ae_any   Arnold2010          100   0.0004  0.0007         0.0007
    5   ae_any  Bateman2013          100   1.0000  1.0000         1.0000
    """
    measure = choice(measure, MEASURES, "measure")
    ci = choice(ci, RD_INTERVALS, "ci")
    alpha = check_alpha(alpha)
    requested = requested_model(method, test, measure)
    outcomes = _data.load_outcomes() if outcomes is None else outcomes
    if not isinstance(outcomes, pd.DataFrame):
        raise DataError(
            Problem(
                f"outcomes must be a pandas DataFrame, got {type(outcomes).__name__}", file=ARGUMENTS, column="outcomes"
            )
        )
    contrasts = all_contrasts(outcomes)
    if endpoints is None:
        chosen = default_endpoints(outcomes, contrasts)
    else:
        chosen = list(dict.fromkeys([endpoints] if isinstance(endpoints, str) else endpoints))
        known = set(outcomes["endpoint"].dropna())
        unknown = [e for e in chosen if e not in known]
        if unknown:
            raise DataError(
                Problem(
                    f"endpoint(s) not in the data: {', '.join(map(str, unknown))}; known: "
                    + ", ".join(sorted(map(str, known))),
                    file=ARGUMENTS,
                    column="endpoints",
                )
            )
    _events(chosen, outcomes)  # refuse every endpoint without a known direction before any work
    results = {}
    for ep in chosen:
        if progress is not None:
            progress(f"analysing {ep}")
        c = contrasts[contrasts["endpoint"] == ep].reset_index(drop=True)
        c.attrs = {"excluded": [e for e in contrasts.attrs.get("excluded", []) if e["endpoint"] == ep]}
        results[ep] = _analyse(
            c, ep, measure=measure, ci=ci, event=None, alpha=alpha, data=outcomes, requested=requested
        )
    return Analysis(
        endpoints=tuple(chosen),
        results=MappingProxyType(results),
        compared=_stacked(results.values()),
        measure=measure,
        ci=ci,
        alpha=alpha,
        requested=requested,
        origin="bundled" if outcomes.attrs.get("origin") == "bundled" else "user",
    )


def _events(endpoints: list[str], outcomes: pd.DataFrame) -> dict[str, str]:
    """The direction of every endpoint; all those with none known are refused together, by name."""
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for ep in endpoints:
        try:
            out[ep] = endpoint_event(ep, outcomes)[0]
        except DataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems)
    return out

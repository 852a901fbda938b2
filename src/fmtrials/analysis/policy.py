"""The analysis policy, declared as data: which endpoints, which direction, which analysis, which models.

Everything the report decides about *what* to analyse lives here, so a notebook that calls
:func:`fmtrials.analyse` applies the same rules and gets the same numbers as ``fmtrials report``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import data as _data
from .._validation import ARGUMENTS, DATAFRAME
from .._vocab import (
    COUNT_COLUMNS,
    EVENT_SOURCES,
    EVENTS,
    POOL_METHODS,
    POOL_TESTS,
    RANDOM_METHODS,
    Event,
    EventSource,
    Measure,
    ModelRule,
    PoolMethod,
    PoolTest,
    choice,
)
from ..errors import DataError, Problem

__all__ = [
    "EFFICACY_ENDPOINTS",
    "KEY_SAFETY_ENDPOINTS",
    "ANALYSIS_PREFERENCE",
    "MAIN_SAFETY",
    "BENEFIT_ENDPOINT",
    "COMPOSITE_TABLE_SOURCE",
    "MCID",
    "LABBE_FUNNEL_MIN_K",
    "Model",
    "MAIN_MODEL",
    "COMMON_MODEL",
    "SENSITIVITY_GRID",
    "SENSITIVITY_MIN_K",
    "LOO_MIN_K",
    "LOO_MAX_K",
    "EventSource",
    "EVENT_SOURCES",
    "default_endpoints",
    "endpoint_event",
    "data_direction",
    "main_model_for",
    "requested_model",
    "resolve_main_model",
    "COMMON_MAIN_MAX_K",
    "sensitivity_grid",
    "DISAGREEMENT_RATIO",
    "models_disagree",
]

#: responder endpoints (higher is better: ``event="beneficial"``), analysed by default when the data hold a
#: comparison against placebo for at least one study
EFFICACY_ENDPOINTS: tuple[str, ...] = ("composite_2", "composite_3", "pain_30", "pain_40", "pain_50", "pgic")
#: safety endpoints (``event="harmful"``) analysed (and drawn) by default when the data hold them for >= 2 studies
KEY_SAFETY_ENDPOINTS: tuple[str, ...] = (
    "ae_any",
    "sae",
    "ae_withdrawal",
    "withdrawal_any",
    "nausea",
    "headache",
    "dizziness",
)
#: the report's first section: the safety endpoints shown beside efficacy (a Holm family each), the composite
#: with per-arm counts in a named trial (benefit against risk), and the published composite table re-analysed
MAIN_SAFETY: tuple[str, ...] = ("nausea", "ae_withdrawal")
BENEFIT_ENDPOINT = "composite_3"
COMPOSITE_TABLE_SOURCE = "SEED003"
#: the clinically important risk difference of the posterior probabilities ("What it means")
MCID = 0.10
#: L'Abbé and funnel plots are drawn from this many comparisons (fewer are unreadable)
LABBE_FUNNEL_MIN_K = 4
#: preferred analysis when one comparison is reported under several (most conservative imputation first);
#: analyses not listed rank after all of these
ANALYSIS_PREFERENCE: tuple[str, ...] = ("BOCF", "LOCF", "OC", "mixed model", "not applicable", "registry", "not stated")


@dataclass(frozen=True)
class Model:
    """A pooling model: a pooling ``method`` (:data:`fmtrials._vocab.POOL_METHODS`) and a ``test``
    (:data:`fmtrials._vocab.POOL_TESTS`)."""

    method: PoolMethod
    test: PoolTest = "z"


#: the main model: REML random effects, HKSJ with the ad hoc truncation (metafor ``test="adhoc"``), by dose
#: when the endpoint has several doses, shared placebo arms split
MAIN_MODEL = Model("REML", "hksj-adhoc")
#: the check: Mantel-Haenszel common effect, same subgroups and split
COMMON_MODEL = Model("MH", "z")
#: every model of the sensitivity table, in its row order; Peto is run for the odds ratio only
SENSITIVITY_GRID: tuple[Model, ...] = (
    Model("MH"),
    Model("IV"),
    Model("Peto"),
    *(Model(m, t) for m in ("DL", "REML", "PM") for t in ("z", "hksj", "hksj-adhoc")),
)
#: the sensitivity table needs at least this many comparisons
SENSITIVITY_MIN_K = 2
#: small-k rule: with at most this many comparisons the main model is the common-effect (Mantel-Haenszel) one
#: (τ² cannot be estimated from two studies, and HKSJ on t with 1 df gives uninformative intervals); the
#: random-effects models stay in the sensitivity table. One comparison is shown as the trial's own estimate.
COMMON_MAIN_MAX_K = 2
#: leave-one-out is run for LOO_MIN_K <= k <= LOO_MAX_K comparisons (above: skipped with a note, as it costs
#: k pooled fits)
LOO_MIN_K = 3
LOO_MAX_K = 200


#: the common-effect check and the main model "disagree materially" when their pooled ratios differ by more than
#: this factor (ratio of the two estimates outside [1/1.25, 1.25]): the GRADE default for an appreciable effect
#: (relative change of 25%, Guyatt et al. 2011, GRADE guidelines 6, J Clin Epidemiol 64:1283-93), here applied to
#: the gap between two analyses of the same trials. Intervals that do not overlap also count, for every measure.
DISAGREEMENT_RATIO = 1.25


def models_disagree(main: Any, common: Any) -> str | None:
    """A sentence when the common-effect check and the main model disagree materially, else None.

    The rule (:data:`DISAGREEMENT_RATIO`): for a ratio measure the two pooled estimates differ by more than a
    factor of 1.25 (either way); for every measure, their confidence intervals do not overlap. When the
    random-effects estimate lies further from no effect than the common-effect one, the smaller trials carry
    the difference (they weigh more under random effects): Cochrane Handbook 5.1 §10.4.4.1 ("Comparing fixed and
    random-effects estimates", with the intravenous magnesium trials, metadat ``dat.li2007``, as its example)
    reads such a gap as a possible small-study effect. Nothing is said when either model is missing,
    when they are the same model, or for one comparison.

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> main = R(method="REML", test="hksj-adhoc", tau2_method="REML", measure="OR", k=22, estimate=0.579,
    ...          ci_low=0.424, ci_high=0.792, alpha=0.05)
    >>> check = R(method="MH", test="z", tau2_method=None, measure="OR", k=22, estimate=0.987, ci_low=0.936,
    ...           ci_high=1.041, alpha=0.05)
    >>> print(models_disagree(main, check))  # doctest: +NORMALIZE_WHITESPACE
    The main model (OR 0.58 [0.42, 0.79]) and the common-effect check (Mantel–Haenszel, OR 0.99 [0.94, 1.04])
    disagree: the estimates differ by a factor of 1.70 (more than 1.25) and the intervals do not overlap. Under
    random effects the smaller trials weigh more, so a gap like this can be a small-study effect (Cochrane
    Handbook 5.1 §10.4.4.1); read the two together.
    >>> models_disagree(main, R(**{**vars(check), "estimate": 0.66, "ci_low": 0.5, "ci_high": 0.8})) is None
    True
    """
    from .._format import format_interval, format_number

    if main is None or common is None or int(main.k) < 2 or main.method == common.method:
        return None
    values = [main.estimate, main.ci_low, main.ci_high, common.estimate, common.ci_low, common.ci_high]
    if not all(math.isfinite(float(v)) for v in values):
        return None
    ratio = main.measure != "RD"
    reasons = []
    if ratio and main.estimate > 0 and common.estimate > 0:
        factor = max(main.estimate / common.estimate, common.estimate / main.estimate)
        if factor > DISAGREEMENT_RATIO:
            reasons.append(
                f"the estimates differ by a factor of {format_number(factor, 2)} "
                f"(more than {format_number(DISAGREEMENT_RATIO, 2)})"
            )
    if main.ci_high < common.ci_low or common.ci_high < main.ci_low:
        reasons.append("the intervals do not overlap")
    if not reasons:
        return None
    digits = 2 if ratio else 3
    m = main.measure
    name = {"MH": "Mantel–Haenszel", "IV": "inverse variance", "Peto": "Peto"}.get(common.method, common.method)
    text = (
        f"The main model ({m} {format_interval(main.estimate, main.ci_low, main.ci_high, digits)}) and the "
        f"common-effect check ({name}, {m} {format_interval(common.estimate, common.ci_low, common.ci_high, digits)}) "
        f"disagree: {' and '.join(reasons)}."
    )
    if main.method in RANDOM_METHODS:
        text += (
            " Under random effects the smaller trials weigh more, so a gap like this can be a small-study effect "
            "(Cochrane Handbook 5.1 §10.4.4.1); read the two together."
        )
    return text


def sensitivity_grid(measure: Measure) -> tuple[Model, ...]:
    """The rows of :data:`SENSITIVITY_GRID` that apply to ``measure`` (Peto: odds ratio only).

    Examples
    --------
    >>> [f"{m.method}/{m.test}" for m in sensitivity_grid("RR")][:4]
    ['MH/z', 'IV/z', 'DL/z', 'DL/hksj']
    >>> len(sensitivity_grid("OR")), len(sensitivity_grid("RR"))
    (12, 11)
    """
    return tuple(m for m in SENSITIVITY_GRID if m.method != "Peto" or measure == "OR")


def main_model_for(k: int) -> Model:
    """The main model for ``k`` pooled comparisons: :data:`COMMON_MODEL` when ``k <= COMMON_MAIN_MAX_K``,
    else :data:`MAIN_MODEL`.

    Examples
    --------
    >>> main_model_for(2), main_model_for(3)
    (Model(method='MH', test='z'), Model(method='REML', test='hksj-adhoc'))
    """
    return COMMON_MODEL if k <= COMMON_MAIN_MAX_K else MAIN_MODEL


def requested_model(method: PoolMethod | None, test: PoolTest | None, measure: Measure) -> Model | None:
    """The main model a user names with ``method=`` and ``test=`` (None when neither is given: the policy).

    Letter case is ignored. A method named without a test gets the policy's test for its kind: the HKSJ ad hoc
    test (:data:`MAIN_MODEL`) for a random-effects method (DL, REML, PM), the z test for a common-effect one
    (MH, IV, Peto); a test named without a method gets the policy's method (REML). How the named model is used
    at small k is :func:`resolve_main_model`.

    Raises
    ------
    DataError
        An unknown name, Mantel-Haenszel or Peto with an HKSJ test (naming ``test``), or Peto with a measure
        other than the odds ratio (naming ``method``).

    Examples
    --------
    >>> requested_model("dl", None, "RR"), requested_model(None, "Z", "RR")
    (Model(method='DL', test='hksj-adhoc'), Model(method='REML', test='z'))
    >>> requested_model("MH", None, "RR"), requested_model(None, None, "RR")
    (Model(method='MH', test='z'), None)
    >>> requested_model("MH", "hksj", "RR")
    Traceback (most recent call last):
    ...
    fmtrials.errors.DataError: <arguments>, column 'test': method='MH' is a common-effect model without an HKSJ ...
    """
    if method is None and test is None:
        return None
    m = MAIN_MODEL.method if method is None else choice(method, POOL_METHODS, "method")
    default_test = MAIN_MODEL.test if m in RANDOM_METHODS else COMMON_MODEL.test
    t = default_test if test is None else choice(test, POOL_TESTS, "test")
    if m in ("MH", "Peto") and t != "z":
        raise DataError(
            Problem(
                f"method={m!r} is a common-effect model without an HKSJ test; got test={t!r} (use test='z', or "
                "an inverse-variance or random-effects method: IV, DL, REML, PM)",
                file=ARGUMENTS,
                column="test",
            )
        )
    if m == "Peto" and measure != "OR":
        raise DataError(
            Problem(
                f"method='Peto' estimates an odds ratio; got measure={measure!r} (use measure='OR')",
                file=ARGUMENTS,
                column="method",
            )
        )
    return Model(m, t)


def resolve_main_model(k: int, requested: Model | None = None) -> tuple[Model, ModelRule]:
    """The main model for ``k`` pooled comparisons, and the rule that chose it.

    The rule: with no model named (``requested=None``) the policy applies, :data:`MAIN_MODEL` for
    ``k > COMMON_MAIN_MAX_K`` and :data:`COMMON_MODEL` below (:func:`main_model_for`). A named random-effects
    model (DL, REML, PM) is the main model for ``k > COMMON_MAIN_MAX_K``; at smaller k the small-k rule
    still gives :data:`COMMON_MODEL` (τ² cannot be estimated from two comparisons). A named common-effect model
    (MH, IV, Peto) is used at every k. The rule is ``"single"`` for one comparison (the trial's own
    estimate), ``"small-k"`` when the small-k rule replaced a random-effects model, else ``"main"``.

    Examples
    --------
    >>> resolve_main_model(4), resolve_main_model(2)
    ((Model(method='REML', test='hksj-adhoc'), 'main'), (Model(method='MH', test='z'), 'small-k'))
    >>> resolve_main_model(2, Model("DL", "z")), resolve_main_model(2, Model("IV", "z"))
    ((Model(method='MH', test='z'), 'small-k'), (Model(method='IV', test='z'), 'main'))
    >>> resolve_main_model(1, Model("DL", "z"))
    (Model(method='MH', test='z'), 'single')
    """
    chosen = MAIN_MODEL if requested is None else requested
    small = k <= COMMON_MAIN_MAX_K and chosen.method in RANDOM_METHODS
    model = COMMON_MODEL if small else chosen
    rule: ModelRule = "single" if k == 1 else ("small-k" if small else "main")
    return model, rule


def endpoint_event(
    endpoint: str, data: pd.DataFrame | None = None, *, event: Event | None = None
) -> tuple[Event, EventSource]:
    """The direction of ``endpoint`` and where it came from.

    An ``event`` given by the caller wins (``"given"``); then the ``direction`` column of ``data`` (outcomes or
    contrasts holding that column, ``"data"``); then efficacy endpoints (:data:`EFFICACY_ENDPOINTS`) are
    ``"beneficial"`` and the key safety endpoints ``"harmful"`` (``"default list"``); then the direction the
    glossary (:func:`fmtrials.load_endpoints`) states (``"glossary"``). An endpoint with none of these is
    refused: its direction is never guessed.

    Raises
    ------
    DataError
        No known direction for ``endpoint`` (naming it), or ``data`` giving it more than one direction.

    Examples
    --------
    >>> endpoint_event("pain_50"), endpoint_event("nausea"), endpoint_event("loss_of_response")
    (('beneficial', 'default list'), ('harmful', 'default list'), ('harmful', 'glossary'))
    >>> endpoint_event("itch", event="Beneficial")
    ('beneficial', 'given')
    >>> endpoint_event("itch")
    Traceback (most recent call last):
    ...
    fmtrials.errors.DataError: <arguments>, column 'endpoint': endpoint 'itch' has no known direction ...
    """
    if event is not None:
        return choice(event, EVENTS, "event"), "given"
    stated = data_direction(data, endpoint)
    if stated is not None:
        return stated, "data"
    if endpoint in EFFICACY_ENDPOINTS:
        return "beneficial", "default list"
    if endpoint in KEY_SAFETY_ENDPOINTS:
        return "harmful", "default list"
    glossary = _data._bundled("endpoints")
    hit = glossary.loc[glossary["code"] == endpoint, "direction"]
    if len(hit):
        return str(hit.iloc[0]), "glossary"  # type: ignore[return-value]
    raise DataError(
        Problem(
            f"endpoint {endpoint!r} has no known direction (it is not in the endpoint glossary and the data have "
            "no 'direction' column for it): add a 'direction' column (beneficial or harmful) to the outcomes "
            "(or, in Python, pass event=)",
            file=ARGUMENTS,
            column="endpoint",
        )
    )


def data_direction(data: pd.DataFrame | None, endpoint: str) -> Event | None:
    """The one direction the ``direction`` column of ``data`` states for ``endpoint`` (None if it states none).

    Examples
    --------
    >>> import pandas as pd
    >>> data_direction(pd.DataFrame({"endpoint": ["fiq", "fiq"], "direction": ["beneficial", None]}), "fiq")
    'beneficial'
    """
    if data is None or "direction" not in data.columns or "endpoint" not in data.columns:
        return None
    values = data.loc[data["endpoint"] == endpoint, "direction"].dropna()
    found = sorted({str(v).strip().casefold() for v in values} - {""})
    if not found:
        return None
    if len(found) > 1:
        raise DataError(
            Problem(
                f"endpoint {endpoint!r} has more than one direction in the data ({', '.join(map(repr, found))})",
                file=DATAFRAME,
                column="direction",
            )
        )
    return choice(found[0], EVENTS, "direction")


def all_contrasts(outcomes: pd.DataFrame) -> pd.DataFrame:
    """:func:`fmtrials.contrasts` of every endpoint in ``outcomes`` (an empty contrast table if none)."""
    eps = sorted(outcomes["endpoint"].dropna().unique())
    return _data.contrasts(outcomes, endpoint=eps) if eps else pd.DataFrame(columns=_data.CONTRAST_COLUMNS)


def default_endpoints(outcomes: pd.DataFrame | None = None, contrasts: pd.DataFrame | None = None) -> list[str]:
    """Endpoints analysed by default (by the report and by :func:`fmtrials.analyse`).

    For the bundled data: efficacy endpoints (:data:`EFFICACY_ENDPOINTS`) with at least one comparison against
    placebo, then the key safety endpoints (:data:`KEY_SAFETY_ENDPOINTS`) with comparisons from at least two
    studies. For user data (:func:`fmtrials.read_outcomes`): every endpoint with a comparison, none left out,
    those of the two lists first in their order, then the others alphabetically.

    Parameters
    ----------
    outcomes : pandas.DataFrame, optional
        Outcomes (:func:`fmtrials.load_outcomes` or :func:`fmtrials.read_outcomes`); the bundled data by default.
    contrasts : pandas.DataFrame, optional
        Their contrasts, when already computed.

    Examples
    --------
    >>> import fmtrials
    >>> fmtrials.default_endpoints(fmtrials.load_outcomes())[:4]
    ['composite_3', 'pain_30', 'pain_50', 'pgic']
    """
    bundled = outcomes is None or outcomes.attrs.get("origin") == "bundled"
    if contrasts is None:
        contrasts = all_contrasts(_data.load_outcomes() if outcomes is None else outcomes)
    studies = contrasts.groupby("endpoint")["study"].nunique().to_dict()
    listed = (*EFFICACY_ENDPOINTS, *KEY_SAFETY_ENDPOINTS)
    if not bundled:
        return [ep for ep in listed if ep in studies] + sorted(ep for ep in studies if ep not in listed)
    chosen = [ep for ep in listed if studies.get(ep, 0) >= (1 if ep in EFFICACY_ENDPOINTS else 2)]
    return chosen or sorted(studies)


def one_analysis_per_comparison(c: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep one analysis per (study, arm): the first in :data:`ANALYSIS_PREFERENCE`; return (kept, others)."""
    rank = c["analysis"].map({a: i for i, a in enumerate(ANALYSIS_PREFERENCE)}).fillna(len(ANALYSIS_PREFERENCE))
    order = c.assign(_rank=rank.to_numpy()).sort_values(["study", "arm", "_rank"], kind="mergesort")
    first = ~order.duplicated(["study", "arm"], keep="first")
    kept = c.loc[order.index[first.to_numpy()]].sort_index()
    others = c.loc[order.index[~first.to_numpy()]].sort_index()
    return _data.mark_shared_placebo(kept), others


def swap_in(kept: pd.DataFrame, others: pd.DataFrame) -> pd.DataFrame:
    """``kept`` with each (study, arm) that has an alternative analysis replaced by (the first) alternative."""
    alt = others.drop_duplicates(["study", "arm"])
    keys = set(zip(alt["study"], alt["arm"]))
    base = kept[[k not in keys for k in zip(kept["study"], kept["arm"])]]
    out = pd.concat([_no_attrs(base), _no_attrs(alt)], ignore_index=True)
    return _data.mark_shared_placebo(out)


def chosen_analysis(kept: pd.DataFrame, study: str, arm: str) -> str:
    """The analysis kept for (study, arm), ``"?"`` if none."""
    m = kept[(kept["study"] == study) & (kept["arm"] == arm)]
    return str(m["analysis"].iloc[0]) if len(m) else "?"


def prepare_for_pooling(c: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Split shared placebo arms between their comparisons (Cochrane Handbook v6 §23.3.4); return the table
    to pool and the notes saying so."""
    from ..meta import split_shared_placebo

    if c["shared_placebo"].any():
        shared = sorted(c.loc[c["shared_placebo"], "study"].unique())
        return split_shared_placebo(c), [
            "The placebo arm of " + ", ".join(shared) + " serves two dose comparisons; for pooling it "
            "is split between them (Cochrane Handbook v6 §23.3.4) so no placebo patient is counted twice."
        ]
    return c, []


def subgroup_column(table: pd.DataFrame) -> str | None:
    """``"dose_mg_day"`` when the table holds several doses (pooled by dose), else None."""
    return "dose_mg_day" if "dose_mg_day" in table.columns and table["dose_mg_day"].nunique(dropna=False) > 1 else None  # noqa: PD101


def _no_attrs(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.attrs = {}
    return out


#: contrast columns the policy reads besides the counts
_NEEDED = ("study", "arm", "dose_mg_day", "endpoint", "analysis", "placebo_id", "shared_placebo", "source_t")


def endpoint_contrasts(source: pd.DataFrame | None, endpoint: str) -> pd.DataFrame:
    """The contrasts of ``endpoint`` from outcomes (``n, responders`` columns) or from contrasts (counts)."""
    if source is None:
        source = _data.load_outcomes()
    if not isinstance(source, pd.DataFrame):
        raise DataError(
            Problem(
                f"must be a pandas DataFrame, got {type(source).__name__}",
                file=ARGUMENTS,
                column="contrasts_or_outcomes",
            )
        )
    if not all(c in source.columns for c in COUNT_COLUMNS):
        return _data.contrasts(source, endpoint=[endpoint])
    missing = [c for c in ("endpoint", *_NEEDED) if c not in source.columns]
    if missing:
        raise DataError(
            Problem("contrasts lack column(s): " + ", ".join(missing) + " (use fmtrials.contrasts)", file=DATAFRAME)
        )
    excluded = [e for e in source.attrs.get("excluded", []) if e.get("endpoint") == endpoint]
    if not (source["endpoint"] == endpoint).any() and not excluded:
        known = sorted(map(str, source["endpoint"].dropna().unique()))
        raise DataError(
            Problem(
                f"endpoint {endpoint!r} not in the contrasts; known: " + ", ".join(known),
                file=ARGUMENTS,
                column="endpoint",
            )
        )
    c = source[source["endpoint"] == endpoint].reset_index(drop=True)
    c.attrs = {"excluded": excluded}
    return c

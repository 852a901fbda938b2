"""The package's one vocabulary: every argument name, choice and column name, declared once.

Every public function takes its options from here, so a choice is spelled the same way (and accepted in any
letter case) everywhere:

* counts of a 2x2 table are ``events_t, n_t, events_c, n_c`` (:data:`COUNT_COLUMNS`); one arm is
  ``events, n`` (:data:`ARM_COLUMNS`); treatment is always first;
* intervals are ``ci_low <= ci_high`` in numeric order, at level ``1 - alpha`` (two-sided);
* the direction of an event is ``event="beneficial"`` (responders) or ``event="harmful"`` (adverse events);
* method knobs are named after what they choose: ``ci=`` (interval), ``test=`` (hypothesis test or pooled
  test), ``method=`` (pooling method), ``measure=`` (effect measure).

:func:`choice` turns a user's spelling into the canonical one or raises :class:`~fmtrials.DataError` naming
the argument.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from .errors import DataError, Problem

__all__ = [
    "COUNT_COLUMNS",
    "ARM_COLUMNS",
    "MAX_COUNT",
    "Event",
    "EVENTS",
    "Measure",
    "MEASURES",
    "RATIO_MEASURES",
    "ContinuousMeasure",
    "CONTINUOUS_MEASURES",
    "PoolMeasure",
    "POOL_MEASURES",
    "MEAN_COLUMNS",
    "EffectMeasure",
    "Model",
    "MODELS",
    "PoolMethod",
    "POOL_METHODS",
    "RANDOM_METHODS",
    "RevManMethod",
    "PoolTest",
    "POOL_TESTS",
    "PiMethod",
    "PI_METHODS",
    "MRegMethod",
    "MREG_METHODS",
    "MRegTest",
    "MREG_TESTS",
    "SmallStudyTest",
    "SMALL_STUDY_TESTS",
    "TrimFillEstimator",
    "TRIMFILL_ESTIMATORS",
    "RDInterval",
    "RD_INTERVALS",
    "RRInterval",
    "RR_INTERVALS",
    "ORInterval",
    "OR_INTERVALS",
    "ProportionInterval",
    "PROPORTION_INTERVALS",
    "ProportionsTest",
    "PROPORTIONS_TESTS",
    "AuditTest",
    "AUDIT_TESTS",
    "Alternative",
    "ALTERNATIVES",
    "Rounding",
    "ROUNDING_RULES",
    "choice",
    "ALIASES",
    "renamed",
    "renamed_args",
]

#: the four counts of a 2x2 table, treatment first (inputs and outputs of every function)
COUNT_COLUMNS = ("events_t", "n_t", "events_c", "n_c")
#: the counts of one arm
ARM_COLUMNS = ("events", "n")
#: the largest count accepted anywhere (2**31 - 1): checked on the exact input value before any cast, so
#: products of two counts stay exact in int64 and every count is exact in float64
MAX_COUNT = 2**31 - 1

Event = Literal["beneficial", "harmful"]
EVENTS: tuple[str, ...] = ("beneficial", "harmful")

Measure = Literal["RR", "OR", "RD"]
MEASURES: tuple[str, ...] = ("RR", "OR", "RD")
#: measures whose analysis scale is the log (ROM: the log ratio of means)
RATIO_MEASURES: tuple[str, ...] = ("RR", "OR", "ROM")
#: the measures of a continuous outcome (metafor ``escalc``): mean difference, standardised mean difference
#: (Hedges' g) and the ratio of means (analysed as its log)
ContinuousMeasure = Literal["MD", "SMD", "ROM"]
CONTINUOUS_MEASURES: tuple[str, ...] = ("MD", "SMD", "ROM")
#: every measure :func:`fmtrials.pool` accepts: the 2x2 measures and the continuous ones
PoolMeasure = Literal["RR", "OR", "RD", "MD", "SMD", "ROM"]
POOL_MEASURES: tuple[str, ...] = MEASURES + CONTINUOUS_MEASURES
#: the six summary statistics of a continuous outcome, treatment first (inputs of the continuous measures)
MEAN_COLUMNS = ("mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c")
#: the per-study effect scales of :func:`fmtrials.effects.sizes.study_effects`: the measures and Peto's log OR
EffectMeasure = Literal["RR", "OR", "RD", "PETO"]

#: ``"MH-DL"`` is RevMan 5's "M-H, Random" model: DerSimonian-Laird tau² from the Q around the Mantel-Haenszel
#: estimate (Cochrane's Q), then inverse-variance random-effects pooling (R meta ``Q.Cochrane = TRUE``)
#: the model of a pooled estimate, as :class:`~fmtrials.PoolResult` says it (RevMan's "fixed" is an alias of
#: ``"common"``)
Model = Literal["common", "random"]
MODELS: tuple[str, ...] = ("common", "random")

PoolMethod = Literal["MH", "IV", "Peto", "DL", "REML", "PM", "MH-DL"]
POOL_METHODS: tuple[str, ...] = ("MH", "IV", "Peto", "DL", "REML", "PM", "MH-DL")
RANDOM_METHODS: tuple[str, ...] = ("DL", "REML", "PM", "MH-DL")
#: the statistical methods a RevMan 5 dichotomous outcome can name
RevManMethod = Literal["MH", "IV", "Peto"]

#: the test (and interval) of a pooled estimate, in metafor's words: ``"z"`` (normal), ``"hksj"``
#: (Hartung-Knapp-Sidik-Jonkman, metafor ``test="knha"``), ``"hksj-adhoc"`` (never narrower than z,
#: metafor ``test="adhoc"``)
PoolTest = Literal["z", "hksj", "hksj-adhoc"]
POOL_TESTS: tuple[str, ...] = ("z", "hksj", "hksj-adhoc")

#: meta-regression (and the small-study/trim-and-fill fits): tau² estimator (``"IV"`` = common effect) and test
MRegMethod = Literal["IV", "DL", "REML", "PM"]
MREG_METHODS: tuple[str, ...] = ("IV", "DL", "REML", "PM")
#: ``"hksj"`` is the Knapp-Hartung t test (metafor ``test="knha"``, accepted as an alias)
MRegTest = Literal["z", "hksj"]
MREG_TESTS: tuple[str, ...] = ("z", "hksj")
SmallStudyTest = Literal["egger", "egger_rma", "peters", "harbord", "begg"]
SMALL_STUDY_TESTS: tuple[str, ...] = ("egger", "egger_rma", "peters", "harbord", "begg")
TrimFillEstimator = Literal["L0", "R0"]
TRIMFILL_ESTIMATORS: tuple[str, ...] = ("L0", "R0")

PiMethod = Literal["hts", "metafor"]
PI_METHODS: tuple[str, ...] = ("hts", "metafor")

RDInterval = Literal["wald", "wald_cc", "agresti_caffo", "newcombe", "mn", "mee", "exact"]
RD_INTERVALS: tuple[str, ...] = ("wald", "wald_cc", "agresti_caffo", "newcombe", "mn", "mee", "exact")
RRInterval = Literal["katz", "koopman", "mn", "exact"]
RR_INTERVALS: tuple[str, ...] = ("katz", "koopman", "mn", "exact")
ORInterval = Literal["woolf", "mn", "exact"]
OR_INTERVALS: tuple[str, ...] = ("woolf", "mn", "exact")
ProportionInterval = Literal["wilson", "jeffreys", "clopper_pearson"]
PROPORTION_INTERVALS: tuple[str, ...] = ("wilson", "jeffreys", "clopper_pearson")
ProportionsTest = Literal["chi2", "yates", "fisher", "barnard", "boschloo", "score"]
PROPORTIONS_TESTS: tuple[str, ...] = ("chi2", "yates", "fisher", "barnard", "boschloo", "score")
#: the 2x2 tests the audit of reported figures recomputes (the vectorised ones and Fisher; the exact
#: unconditional tests are too slow over every candidate pair of counts)
AuditTest = Literal["chi2", "yates", "fisher", "score"]
AUDIT_TESTS: tuple[AuditTest, ...] = ("chi2", "yates", "fisher", "score")
Alternative = Literal["two-sided", "less", "greater"]
ALTERNATIVES: tuple[str, ...] = ("two-sided", "less", "greater")
Rounding = Literal["either", "half_up", "half_even", "half_down"]
ROUNDING_RULES: tuple[str, ...] = ("either", "half_up", "half_even", "half_down")


#: other packages' spellings accepted for a canonical choice (metafor's ``test=`` values); applied only where the
#: canonical value is allowed
ALIASES: dict[str, str] = {"knha": "hksj", "adhoc": "hksj-adhoc", "fixed": "common"}


def choice(value: Any, allowed: tuple[str, ...], name: str) -> Any:
    """Return the canonical spelling of ``value`` among ``allowed`` (letter case ignored).

    metafor's and RevMan's spellings in :data:`ALIASES` are accepted where their canonical value is allowed
    (``"knha"`` is ``"hksj"``, ``"adhoc"`` is ``"hksj-adhoc"``, ``"fixed"`` is ``"common"``).

    Typed ``Any``: the result is one of ``allowed``, i.e. a value of the Literal type the caller declares.

    Raises :class:`~fmtrials.DataError` naming the argument ``name`` when ``value`` is not a string or not
    one of ``allowed``.

    Examples
    --------
    >>> choice("reml", POOL_METHODS, "method")
    'REML'
    >>> choice("Newcombe", RD_INTERVALS, "ci")
    'newcombe'
    >>> choice("KNHA", POOL_TESTS, "test")
    'hksj'
    """
    if isinstance(value, str):
        folded = value.strip().casefold()
        folded = ALIASES.get(folded, folded)
        for a in allowed:
            if folded == a.casefold():
                return a
    raise DataError(
        Problem(f"must be one of {', '.join(map(repr, allowed))}; got {value!r}", file="<arguments>", column=name)
    )


#: where the direction (``event``) of an endpoint came from (:func:`fmtrials.analysis.endpoint_event`): given
#: by the caller, the data's own ``direction`` column, one of the analysis policy's default lists, or the glossary
#: (an endpoint in none of these is refused, never guessed)
EventSource = Literal["given", "data", "default list", "glossary"]
EVENT_SOURCES: tuple[str, ...] = ("given", "data", "default list", "glossary")
__all__ += ["EventSource", "EVENT_SOURCES"]

#: why an endpoint's main model is the one used (:func:`fmtrials.analysis.policy.resolve_main_model`): ``"main"``
#: the chosen main model (the policy's or the one named), ``"small-k"`` the k = 2 rule (a random-effects main model
#: replaced by the Mantel-Haenszel common-effect model), ``"single"`` one comparison (the trial's own estimate)
ModelRule = Literal["main", "small-k", "single"]
MODEL_RULES: tuple[str, ...] = ("main", "small-k", "single")
__all__ += ["ModelRule", "MODEL_RULES"]


F = TypeVar("F", bound=Callable[..., Any])


def renamed(old: str, new: str, where: str, *, stacklevel: int = 3) -> None:
    """Warn (:class:`DeprecationWarning`) that ``where``'s argument ``old=`` is now ``new=``.

    The one place a deprecated spelling is announced: old names keep working for one release.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     renamed("cc", "add", "risk_ratio")
    >>> print(w[0].message)
    risk_ratio(cc=...) is deprecated: use add=...; cc= will be removed in the next release
    """
    warnings.warn(
        f"{where}({old}=...) is deprecated: use {new}=...; {old}= will be removed in the next release",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def renamed_args(**old_to_new: str | tuple[str, ...]) -> Callable[[F], F]:
    """Decorate a function so that its deprecated keyword names still work, with a warning (:func:`renamed`).

    ``old="new"`` passes ``old=value`` on as ``new=value``; ``old=("a", "b")`` unpacks a pair ``old=(x, y)`` into
    ``a=x, b=y``. Passing both an old name and its new one is an error. The signature shown is the new one.

    Examples
    --------
    >>> import warnings
    >>> @renamed_args(a="events_t")
    ... def f(events_t):
    ...     return events_t
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     f(a=3)
    3
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old not in kwargs:
                    continue
                names = (new,) if isinstance(new, str) else new
                clash = [n for n in names if n in kwargs]
                if clash:
                    raise TypeError(f"{func.__name__}() got both {old}= (deprecated) and {clash[0]}=")
                renamed(old, " and ".join(f"{n}" for n in names), func.__name__)
                value = kwargs.pop(old)
                if isinstance(new, str):
                    kwargs[new] = value
                else:
                    values = tuple(value)
                    if isinstance(value, str) or len(values) != len(names):
                        raise DataError(
                            Problem(f"must be {len(names)} names: {', '.join(names)}", file="<arguments>", column=old)
                        )
                    kwargs.update(zip(names, values))
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


# ------------------------------------------------------------------------------------------------------ glossary

#: how :func:`fmtrials.pool` reacts when REML does not converge
OnNonconvergence = Literal["raise", "DL"]
ON_NONCONVERGENCE: tuple[str, ...] = ("raise", "DL")
#: the side of the funnel plot on which trim-and-fill imputes studies
TrimFillSide = Literal["left", "right"]
TRIMFILL_SIDES: tuple[str, ...] = ("left", "right")
#: the file formats a figure is written in
FigureFormat = Literal["png", "svg", "pdf"]
FIGURE_FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
#: the example review files shipped with :mod:`fmtrials.revman`
ExampleKind = Literal["rm5", "csv"]
#: the between-study variance of a network meta-analysis (fmtrials.network_meta)
NetworkMethod = Literal["REML", "DL", "common"]
NETWORK_METHODS: tuple[str, ...] = ("REML", "DL", "common")
#: the effect measures of a network meta-analysis: counts (RR, OR, RD), means (MD, SMD), or any for contrasts
NetworkMeasure = Literal["RR", "OR", "RD", "MD", "SMD"]
NETWORK_MEASURES: tuple[str, ...] = ("RR", "OR", "RD", "MD", "SMD")
#: a disconnected network: refuse naming its components, or analyse each component
Disconnected = Literal["raise", "each"]
DISCONNECTED: tuple[str, ...] = ("raise", "each")
EXAMPLE_KINDS: tuple[str, ...] = ("rm5", "csv")
__all__ += [
    "OnNonconvergence",
    "ON_NONCONVERGENCE",
    "TrimFillSide",
    "TRIMFILL_SIDES",
    "FigureFormat",
    "FIGURE_FORMATS",
    "ExampleKind",
    "EXAMPLE_KINDS",
    "NetworkMethod",
    "NETWORK_METHODS",
    "NetworkMeasure",
    "NETWORK_MEASURES",
    "Disconnected",
    "DISCONNECTED",
    "Term",
    "GLOSSARY",
]


@dataclass(frozen=True)
class Term:
    """One public parameter name: what it means, whether it is data (may be positional) or an option (keyword
    only), and for a choice the ``_vocab`` Literal types its annotation may name."""

    meaning: str
    data: bool = False
    choices: tuple[Any, ...] = ()


def _data(meaning: str) -> Term:
    return Term(meaning, data=True)


def _opt(meaning: str, *choices: Any) -> Term:
    return Term(meaning, data=False, choices=choices)


#: every parameter name of the public API (the callables in ``fmtrials.__all__`` and in the ``__all__`` of every
#: public module), held to this list by ``tests/test_vocabulary.py``: a new name is declared here, once, with its
#: meaning, or the callable uses one already here
GLOSSARY: dict[str, Term] = {
    # counts and percentages of a 2x2 table (treatment first) and of one arm
    "events_t": _data("events in the treatment arm"),
    "n_t": _data("patients in the treatment arm"),
    "events_c": _data("events in the control arm"),
    "n_c": _data("patients in the control arm"),
    "events": _data("events in one arm"),
    "n": _data("patients in one arm"),
    "mean_t": _data("mean of the treatment arm (continuous outcome)"),
    "sd_t": _data("standard deviation of the treatment arm"),
    "mean_c": _data("mean of the control arm"),
    "sd_c": _data("standard deviation of the control arm"),
    "se": _data("a standard error"),
    "ci_low": _data("lower limit of a confidence interval"),
    "ci_high": _data("upper limit of a confidence interval"),
    "md": _data("a mean difference (treatment minus control)"),
    "t_value": _data("a t statistic"),
    "sd_baseline": _data("standard deviation at baseline"),
    "sds": _data("standard deviations, one per arm (pooled_sd)"),
    "ns": _data("patients, one per arm (pooled_sd)"),
    "sd_final": _data("standard deviation at the end of follow-up"),
    "r": _data("correlation between baseline and final values"),
    "p_t": _data("true event probability of the treatment arm"),
    "p_c": _data("true event probability of the control arm"),
    "percent": _data("a printed percentage"),
    "percent_t": _data("the printed percentage of the treatment arm"),
    "percent_c": _data("the printed percentage of the control arm"),
    "p_reported": _data("the printed p-value"),
    "p": _data("a p-value"),
    "text": _data("printed text to parse"),
    "value": _data("one value to format"),
    # tables, results and files
    "table": _data("a DataFrame of 2x2 counts, one row per comparison"),
    "contrasts": _data("a table of treatment-vs-control contrasts (fmtrials.contrasts)"),
    "contrasts_or_outcomes": _data("contrasts, or arm-level outcomes to derive them from"),
    "outcomes": _data("arm-level outcomes (load_outcomes / read_outcomes)"),
    "reported": _data("the printed figures table (load_reported)"),
    "arms": _data("the arms table (load_arms)"),
    "trials": _data("the trials table (load_trials)"),
    "sources": _data("the sources table (load_sources)"),
    "source": _data("a bundled table's name, file or DataFrame"),
    "bases": _opt(
        "which rates a trial plan is computed for (printed rates, smallest or largest re-analysed difference)"
    ),
    "path_or_frame": _data("a user outcomes CSV, or a DataFrame of its rows"),
    "path": _data("a file path"),
    "stem": _data("a file path without its suffix"),
    "out": _data("the output directory"),
    "data": _data("a user outcomes CSV or DataFrame (default the bundled data)"),
    "continuous": _data("a user continuous outcomes CSV (mean_t, sd_t, n_t, mean_c, sd_c, n_c per comparison)"),
    "comparators": _data("a comparator-arms CSV (the layout of data/comparator_arms.csv) for the network section"),
    "df": _data("an arm-level DataFrame (outcomes or arms: study, dose_mg_day, treatment, ...)"),
    "result": _data("a result object (PoolResult unless said)"),
    "analysis": _data(
        "an Analysis (fmtrials.analyse), the analysis kind of an outcome row, or (pool_many) the column naming "
        "the analysis of each row"
    ),
    "reg": _data("a MetaRegression"),
    "fig": _data("a matplotlib Figure"),
    "ax": _data("matplotlib Axes to draw into"),
    "argv": _data("command-line arguments"),
    "compared": _data("per-comparison statistics (fmtrials.compare)"),
    "comps": _data("comparisons to audit"),
    "member": _data("one member of a joint scenario"),
    "rec": _data("one printed-figure record"),
    "recs": _data("printed-figure records"),
    "pooled_ids": _data("source ids of pooled publications"),
    "interval": _data("the interval a printed p-value stands for"),
    "main": _data("the main model's result"),
    "common": _data("the common-effect model's result"),
    "k": _data("number of studies (comparisons)"),
    "code": _data("an endpoint code"),
    "endpoint": _data("an endpoint code"),
    "endpoints": _data("endpoint codes"),
    "x": _data("moderator values to predict at"),
    "moderators": _data("moderator columns of a meta-regression"),
    "options": _data("the options of a re-analysis"),
    "control_risk": _data("the assumed control-group risk"),
    "effect": _data("a relative effect"),
    "rd": _data("risk difference"),
    "rd_low": _data("lower limit of the risk difference"),
    "rd_high": _data("upper limit of the risk difference"),
    "rd_b": _data("risk difference of the benefit"),
    "se_b": _data("its standard error"),
    "rd_h": _data("risk difference of the harm"),
    "se_h": _data("its standard error"),
    "crit": _data("critical value of the interval"),
    "y": _data("per-study effects (analysis scale)"),
    "v": _data("per-study sampling variances"),
    "d": _data("risk differences at which to evaluate"),
    "post_t": _data("Beta posterior (a, b) of the treatment arm"),
    "post_c": _data("Beta posterior (a, b) of the control arm"),
    "benefit": _data("the benefit endpoint"),
    "harms": _data("the harm endpoints"),
    "judgements": _data("GRADE judgements (table or CSV)"),
    "thresholds": _data("decision thresholds per endpoint"),
    "requested": _data("the model asked for"),
    "name": _data("a column or argument name, for messages"),
    "where": _data("file/row of each audited comparison, for messages"),
    # options (keyword-only) and choices (a _vocab Literal)
    "measure": _opt("effect measure", Measure, EffectMeasure, PoolMeasure, ContinuousMeasure, NetworkMeasure),
    "method": _opt("pooling method or tau² estimator", PoolMethod, MRegMethod, RevManMethod, NetworkMethod),
    "test": _opt(
        "hypothesis test (of a 2x2 table, a pooled estimate or a small-study effect)",
        PoolTest,
        ProportionsTest,
        AuditTest,
        MRegTest,
        SmallStudyTest,
    ),
    "tests": _opt("2x2 tests to recompute or compare", AuditTest, ProportionsTest),
    "fit_test": _opt("test of the egger_rma meta-regression coefficient", MRegTest),
    "ci": _opt("interval method", RDInterval, RRInterval, ORInterval, ProportionInterval),
    "rd_ci": _opt("risk-difference interval method", RDInterval),
    "rr_ci": _opt("risk-ratio interval method", RRInterval),
    "or_ci": _opt("odds-ratio interval method", ORInterval),
    "rate_ci": _opt("interval method of one arm's rate", ProportionInterval),
    "event": _opt("direction of the event: beneficial (responders) or harmful (adverse events)", Event),
    "alternative": _opt("alternative hypothesis", Alternative),
    "pi_method": _opt("prediction-interval method", PiMethod),
    "estimator": _opt("trim-and-fill estimator", TrimFillEstimator),
    "side": _opt("funnel side of the missing studies", TrimFillSide),
    "rounding": _opt("rounding rule of printed percentages", Rounding),
    "on_nonconvergence": _opt("what to do when REML does not converge", OnNonconvergence),
    "model": _opt("common-effect or random-effects model", Model),
    "fmt": _opt("figure file format", FigureFormat),
    "formats": _opt("figure file formats", FigureFormat),
    "kind": _opt("which example file", ExampleKind),
    "reference": _opt("the treatment every network effect is reported against"),
    "disconnected": _opt("a disconnected network: refuse naming its components, or analyse each", Disconnected),
    "alpha": _opt("two-sided level: intervals at 1 - alpha"),
    "add": _opt("zero-cell correction added to all four cells (metafor add=, to='only0')"),
    "drop00": _opt("drop double-zero tables (metafor drop00=)"),
    "delta0": _opt("difference under the null hypothesis"),
    "sobol_n": _opt("quasi-Monte Carlo points of the exact unconditional tests"),
    "digits": _opt("decimals printed"),
    "decimals": _opt("decimals of the printed percentage"),
    "expand": _opt("return every candidate count"),
    "by": _opt("column to pool subgroups by"),
    "order_by": _opt("column to order a cumulative meta-analysis by"),
    "tol": _opt("convergence tolerance"),
    "maxiter": _opt("maximum iterations"),
    "warn_shared": _opt("warn about a placebo arm shared by several comparisons"),
    "poolable_only": _opt("only contrasts that may be pooled"),
    "include_pooled": _opt("also audit pooled publications"),
    "model_based": _opt("the printed figure is model-based (no 2x2 recomputation)"),
    "p_other_test": _opt("the printed p-value is from a test fmtrials does not recompute"),
    "prior": _opt("Beta prior (a, b) of each arm"),
    "tau_prior": _opt("scale of the half-normal prior on tau"),
    "threshold": _opt("decision threshold"),
    "mcid": _opt("minimal clinically important difference"),
    "rrr": _opt("relative risk reduction to detect"),
    "power": _opt("power"),
    "ratio": _opt("allocation ratio n_t / n_c"),
    "scale": _opt("prior scale"),
    "u_max": _opt("upper end of the integration grid"),
    "ll_ref": _opt("reference log-likelihood"),
    "n_grid": _opt("points on a curve"),
    "points": _opt("grid points per arm"),
    "progress": _opt("callback for progress lines"),
    # presentation
    "treatment": _opt("name of the treatment arm in labels and text"),
    "control": _opt("name of the control arm in labels and text"),
    "comparator": _opt("the treatment every other arm of a trial is compared with (default placebo)"),
    "default": _opt("the treatment name given to a non-placebo arm that names none"),
    "events_label": _opt("what the events are, in axis labels"),
    "group_labels": _opt("labels of group 1 (treatment) and group 2 (control)"),
    "comparison": _opt("name of a RevMan comparison"),
    "outcome": _opt("name of the outcome, in labels"),
    "label": _opt("name of a table, in messages"),
    "title": _opt("title"),
    "xlim": _opt("effect-axis limits"),
    "unit": _opt("unit of a continuous outcome's mean difference, in labels"),
    "lim": _opt("upper axis limit"),
    "labels": _opt("write study names"),
    "moderator": _opt("the moderator to draw"),
    "contours": _opt("draw significance contours"),
    "filled": _opt("draw trim-and-fill's imputed studies"),
    "show_prediction": _opt("draw the prediction interval"),
    "max_studies": _opt("above this many studies draw a summary"),
    "max_trials": _opt("at most this many trials"),
    "notes": _opt("footnotes"),
    "dpi": _opt("resolution of raster output"),
    "editable_text": _opt("keep text as text in vector output"),
    "png_compress": _opt("zlib level of PNG output"),
    "id_prefix": _opt("prefix of SVG element ids"),
    "figures": _opt("draw the figures"),
    "force": _opt("replace a non-empty directory"),
    "quiet": _opt("no progress lines"),
}

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

from typing import Any, Literal

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
    "PoolMethod",
    "POOL_METHODS",
    "RANDOM_METHODS",
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
RATIO_MEASURES: tuple[str, ...] = ("RR", "OR")

#: ``"MH-DL"`` is RevMan 5's "M-H, Random" model: DerSimonian-Laird tau² from the Q around the Mantel-Haenszel
#: estimate (Cochrane's Q), then inverse-variance random-effects pooling (R meta ``Q.Cochrane = TRUE``)
PoolMethod = Literal["MH", "IV", "Peto", "DL", "REML", "PM", "MH-DL"]
POOL_METHODS: tuple[str, ...] = ("MH", "IV", "Peto", "DL", "REML", "PM", "MH-DL")
RANDOM_METHODS: tuple[str, ...] = ("DL", "REML", "PM", "MH-DL")

#: the test (and interval) of a pooled estimate, in metafor's words: ``"z"`` (normal), ``"hksj"``
#: (Hartung-Knapp-Sidik-Jonkman, metafor ``test="knha"``), ``"hksj-adhoc"`` (never narrower than z,
#: metafor ``test="adhoc"``)
PoolTest = Literal["z", "hksj", "hksj-adhoc"]
POOL_TESTS: tuple[str, ...] = ("z", "hksj", "hksj-adhoc")

#: meta-regression (and the small-study/trim-and-fill fits): tau² estimator (``"IV"`` = common effect) and test
MRegMethod = Literal["IV", "DL", "REML", "PM"]
MREG_METHODS: tuple[str, ...] = ("IV", "DL", "REML", "PM")
MRegTest = Literal["z", "knha"]
MREG_TESTS: tuple[str, ...] = ("z", "knha")
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


def choice(value: Any, allowed: tuple[str, ...], name: str) -> Any:
    """Return the canonical spelling of ``value`` among ``allowed`` (letter case ignored).

    Typed ``Any``: the result is one of ``allowed``, i.e. a value of the Literal type the caller declares.

    Raises :class:`~fmtrials.DataError` naming the argument ``name`` when ``value`` is not a string or not
    one of ``allowed``.

    Examples
    --------
    >>> choice("reml", POOL_METHODS, "method")
    'REML'
    >>> choice("Newcombe", RD_INTERVALS, "ci")
    'newcombe'
    """
    if isinstance(value, str):
        folded = value.strip().casefold()
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

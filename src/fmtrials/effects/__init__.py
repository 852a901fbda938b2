"""Per-comparison effect measures, confidence intervals and tests for 2x2 tables.

Every function takes ``events_t, n_t, events_c, n_c`` (treatment events, treatment size, control events,
control size) as scalars or array-likes that broadcast against each other (options keyword-only), validates
them with :func:`fmtrials._validation.as_count_arrays` and returns a :class:`pandas.DataFrame` with one row
per table whose first columns are those counts. Effects are treatment minus (or over) control; every
interval is ``ci_low <= ci_high`` at level ``1 - alpha``; choices ignore letter case. All interval and
asymptotic-test code is vectorised over tables; only the exact methods (Fisher, Barnard, Boschloo, the
conditional exact odds-ratio and Chan-Zhang intervals) loop, once per *distinct* table.

Modules: :mod:`~fmtrials.effects.proportion` (one arm), :mod:`~fmtrials.effects.difference` (risk
difference), :mod:`~fmtrials.effects.ratios` (risk and odds ratio), :mod:`~fmtrials.effects.exact` (exact
intervals), :mod:`~fmtrials.effects.number_needed` (NNT), :mod:`~fmtrials.effects.tests` (2x2 tests),
:mod:`~fmtrials.effects.sizes` (per-study effect sizes, metafor ``escalc``, shared with pooling),
:mod:`~fmtrials.effects.interval_coverage` (exact coverage of the risk-difference intervals,
:func:`fmtrials.coverage`); the private ``_score`` (the score limits, shared by the public intervals and the
exact searches that start from them), ``_solvers`` (vectorised root finding) and ``_rmle`` (restricted MLEs).
"""

from .difference import risk_difference
from .number_needed import nnt
from .proportion import proportion_ci
from .ratios import odds_ratio, risk_ratio
from .sizes import effect_sizes, study_effects
from .tests import proportions_test

__all__ = [
    "risk_difference",
    "risk_ratio",
    "odds_ratio",
    "nnt",
    "proportion_ci",
    "proportions_test",
    "effect_sizes",
    "study_effects",
]

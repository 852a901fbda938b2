"""Meta-analysis of 2x2 tables (treatment vs placebo) at R metafor parity.

:func:`pool` pools risk ratios (RR), odds ratios (OR) or risk differences (RD) over studies with a
common-effect model (Mantel-Haenszel ``"MH"``, inverse variance ``"IV"``, Peto ``"Peto"``) or a random-effects
model (tau² estimators ``"DL"``, ``"REML"``, ``"PM"``, optionally with the Hartung-Knapp-Sidik-Jonkman
(HKSJ) interval), with heterogeneity statistics, a Q-profile CI for tau², a prediction interval,
subgroups with the test for subgroup differences, and :func:`leave_one_out` / :func:`cumulative` analyses.

Conventions (each one is recorded in the result)
-----------------------------------------------
* **Orientation**: effects are treatment over (or minus) control: columns ``events_t, n_t`` vs
  ``events_c, n_c``. Ratios are analysed on the log scale; ``estimate``, ``ci_low``, ``ci_high``, ``pi_low``,
  ``pi_high`` are reported on the ratio scale for RR and OR; ``beta``, ``se``, ``statistic`` and ``p_value``
  are on the analysis (log) scale.
* **Zero cells** (as metafor ``escalc(add=1/2, to="only0")`` and RevMan): 0.5 is added to all four cells of a
  study with any zero cell for its per-study effect and variance (used for the per-study table, IV and
  random-effects pooling and the MH/Peto heterogeneity Q). Double-zero studies (no events in either arm, or
  only events in both) are excluded for RR and OR (and Peto), kept (corrected) for RD. MH and Peto pooled
  estimates use the raw counts (no correction), as ``rma.mh`` and ``rma.peto``. For **MH**, as ``rma.mh``'s
  defaults (``drop00 = c(TRUE, FALSE)``), a double-zero table has no per-study effect (left out of Q and its
  df, for RD too) but stays in the MH sums with its raw counts and in ``k`` (a table with all events in both
  arms pulls a risk ratio or difference towards no effect).
* **MH**: estimate from the raw counts with metafor's ``rma.mh`` variances (Robins-Breslow-Greenland for OR,
  Greenland-Robins for RR, Sato-Greenland-Robins for RD); Q is the inverse-variance Q of the per-study effects
  around the MH estimate and I² = (Q - df)/Q, as ``rma.mh`` reports them; when the MH (or Peto) estimate is
  undefined, Q is too: ``heterogeneity.estimable`` is False and Q, its p-value and I² are NaN. **Peto** as ``rma.peto``.
* **Random effects**: DL, REML (Fisher scoring, as metafor; when it has not converged after ``maxiter``
  iterations, a safeguarded search of the restricted likelihood on [0, U]) and PM (Q_gen = k - 1, bracketed in
  [0, U]); tau² truncated at 0.
* **I²**: one rule for every model, the Q-based I² = 100 max(0, (Q - df)/Q) of Higgins & Thompson (2002)
  (``heterogeneity.i2``; RevMan's). metafor's τ²-based I² of a random-effects model, 100 tau²/(tau² + s²) with
  the "typical" within-study variance s² = (k-1)/(sum w - sum w²/sum w), is the separately named
  ``heterogeneity.i2_tau2`` (for DL with tau² > 0 the two are equal; they differ when tau² is truncated at 0
  while Q > df, and for REML/PM); H² follows metafor (tau²/s² + 1 for random effects, Q/df otherwise). The CI
  for tau² is the Q-profile interval (Viechtbauer 2007); ``i2_tau2_ci_low``/``i2_tau2_ci_high`` transform its
  bounds (``confint.rma.uni``).
* **HKSJ** (``test="hksj"``): metafor ``test="knha"``: SE scaled by sqrt(sum w (y - mu)²/(k - 1)), t with
  k - 1 df, *no* truncation; ``test="hksj-adhoc"`` gives the ad hoc variant (scale factor at least 1, metafor
  ``test="adhoc"``).
* **Prediction interval** (random-effects models, ``pi_method="hts"``, default): Higgins, Thompson &
  Spiegelhalter (2009), mu ± t_{k-2} sqrt(SE² + tau²) with the classic (not HKSJ) SE; undefined for k < 3.
  ``pi_method="metafor"`` reproduces ``predict.rma``: z with the classic SE, or t_{k-1} with the HKSJ SE when
  ``test`` is an HKSJ test. ``prediction.dist`` in the result says which was used. Common-effect models have no PI
  (NaN).
* **Subgroups** (``by=``): each subgroup is pooled separately with the same options (its own tau²); the test
  for subgroup differences is Q_between = sum_j (b_j - b̄)²/SE_j² on J - 1 df over the subgroup estimates, as
  RevMan reports it (for IV common effect it equals the moderator test QM of ``rma(mods=~factor(by))``).
* **Shared placebo arms**: rows of a multi-arm trial that share one placebo arm (``placebo_id``) must not be
  pooled together as if independent; :func:`pool` warns (:class:`SharedPlaceboWarning`) when an analysis would
  count a placebo arm twice; :func:`split_shared_placebo` divides the shared arm (Cochrane Handbook §23.3.4).

References
----------
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw 36(3).
metafor 3.8 source: ``escalc``, ``rma.uni``, ``rma.mh``, ``rma.peto``, ``confint.rma.uni``, ``predict.rma``.
DerSimonian R, Laird N (1986). Control Clin Trials 7:177-188.
Paule RC, Mandel J (1982). J Res Natl Bur Stand 87:377-385.
Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity. Stat Med 26:37-52.
Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis. Stat Med 21:1539-1558.
Higgins JPT, Thompson SG, Spiegelhalter DJ (2009). J R Stat Soc A 172:137-159.
Hartung J, Knapp G (2001) Stat Med 20:3875-3889; Sidik K, Jonkman JN (2002) Stat Med 21:3153-3159.
Robins J, Breslow N, Greenland S (1986) Biometrics 42:311-323; Greenland S, Robins JM (1985) Biometrics
41:55-68; Sato T, Greenland S, Robins JM (1989) Biometrics 45:1323-1324.
Deeks JJ, Higgins JPT (2010). Statistical algorithms in Review Manager 5.
Higgins JPT et al. (eds). Cochrane Handbook v6, chapter 23 (multi-arm studies); Handbook 5.1 §16.9.3.

Layout
------
``pooling`` (:func:`pool`: options, subgroups), ``fitting`` (one analysis in named steps), ``result``
(:class:`PoolResult` and its parts), ``_render`` (summary frame, text, HTML), ``sensitivity`` and ``_subsets``
(leave-one-out and cumulative analyses, vectorised over subsets), ``placebo`` (shared placebo arms), ``_table``
(input validation and study labels), ``_core`` (numerical core at metafor parity). Beyond pooling (metafor parity
part 2): ``regression`` (:func:`meta_regression`, ``rma(mods=)``) on the engine ``_mreg``, ``smallstudy``
(:func:`small_study_test`: ``regtest``, ``ranktest``, Peters, Harbord), ``trimfill`` (:func:`trim_and_fill`),
``casewise`` (:func:`influence`, :func:`baujat_points`), ``many`` (:func:`pool_many`: thousands of analyses
in one call, on the segmented-array engine ``_many``) and ``diagnostic_plan`` (:func:`diagnostics`: what a report
shows, by the rules of the analysis plan). No module is named like a function it defines, so
``fmtrials.meta.pool`` is always the function.
"""

from __future__ import annotations

from .._vocab import MEASURES, POOL_METHODS, POOL_TESTS
from ..errors import ConvergenceError, SharedPlaceboWarning
from .casewise import baujat_points, influence
from .diagnostic_plan import Diagnostics, diagnostics
from .many import pool_many
from .placebo import split_shared_placebo
from .pooling import pool
from .regression import MetaRegression, meta_regression
from .result import Heterogeneity, PoolResult, Prediction, SubgroupTest
from .sensitivity import cumulative, leave_one_out
from .smallstudy import small_study_test
from .trimfill import TrimFillResult, trim_and_fill

__all__ = [
    "PoolResult",
    "Heterogeneity",
    "Prediction",
    "SubgroupTest",
    "pool",
    "pool_many",
    "leave_one_out",
    "cumulative",
    "split_shared_placebo",
    "SharedPlaceboWarning",
    "ConvergenceError",
    "MEASURES",
    "POOL_METHODS",
    "POOL_TESTS",
    "meta_regression",
    "MetaRegression",
    "small_study_test",
    "trim_and_fill",
    "TrimFillResult",
    "influence",
    "baujat_points",
    "diagnostics",
    "Diagnostics",
]

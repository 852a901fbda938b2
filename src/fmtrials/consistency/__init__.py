"""Reported versus recomputed: which published percentages and p-values are arithmetically possible.

Most of the milnacipran evidence is printed as rounded percentages and rounded p-values, often without arm
sizes. This package answers, for every printed statement, *from which counts* it could have come and *which
test* on those counts reproduces the printed p:

* :func:`grim` (:mod:`.granularity`) -- every whole count in ``[0, n]`` whose percentage ``100 k / n`` rounds to
  the printed value (the GRIM test of Brown & Heathers applied to proportions), one row per count;
  :func:`grim_summary` gives one row per input (the run of counts and a verdict); exact integer arithmetic
  for every ``n`` up to ``2**31 - 1``, vectorised. Printed percentages are read exactly by :mod:`.percent`.
* :func:`parse_p` (:mod:`.pvalues`) -- the interval of p-values a printed p allows (``"0.01"`` ->
  ``[0.005, 0.015)``, ``"P < .001"`` -> ``[0, 0.001)``, ``"NS"`` -> ``[0.05, 1]``), a :class:`PInterval`;
  :func:`parse_p_many` reads several into a DataFrame.
* :func:`audit_reported` (:mod:`.reported`) -- one comparison (percent and n per arm, printed p):
  admissible counts per arm, the range of recomputed p for each test, which test and counts reproduce the
  printed p, and a verdict (an :class:`AuditResult`, :mod:`.result`).
* :func:`reanalyse_percentages` / :func:`reanalyse_reported` (:mod:`.reanalysis`, :mod:`.reanalysis_reported`) --
  printed percentages re-analysed over every admissible count pair (ranges of risk difference, interval and p),
  under every candidate (assumed) attribution of arm sizes; rows sharing one placebo rate are attributed jointly
  and each attribution is judged possible or not, with the trial's own figures as a check (:mod:`.joint`).
* :func:`audit` (:mod:`.milnacipran`) -- the bundled reported table; where the trial behind a row is
  unknown (the seed document's rows), every candidate trial's arm sizes are tried. The only module that
  knows about trials, arms and the seed table.

Tests: two-sided ``chi2`` (Pearson, no correction), ``yates`` (continuity-corrected), ``fisher`` (exact,
conditional) and ``score``, all from :func:`fmtrials.effects.proportions_test` (:data:`AUDIT_TESTS`).

References
----------
* Brown NJL, Heathers JAJ. The GRIM test: a simple technique detects numerous anomalies in the reporting of
  results in psychology. *Soc Psychol Personal Sci* 2017;8(4):363-369. doi:10.1177/1948550616673876.
* Jung L. scrutiny: error detection in science (R package), ``grim()`` and its tests
  (https://github.com/lhdjung/scrutiny, ``tests/testthat/test-grim.R``; vignette "GRIM", incl. the Bauer &
  Francis (2021) example of means 4.71 and 5.3 with 40 participants).
* Nuijten MB, Hartgerink CHJ, van Assen MALM, Epskamp S, Wicherts JM. The prevalence of statistical
  reporting errors in psychology (1985-2013). *Behav Res Methods* 2016;48:1205-1226 (statcheck: a printed
  p is consistent if the recomputed p rounds to it; ``"< v"`` and ``"> v"`` are checked as inequalities).
"""

from __future__ import annotations

from .._vocab import AUDIT_TESTS, ROUNDING_RULES
from .granularity import grim, grim_summary
from .joint import SCENARIO_KINDS
from .milnacipran import AUDIT_COLUMNS, audit
from .pvalues import PInterval, parse_p, parse_p_many
from .reanalysis import REANALYSIS_COLUMNS, reanalyse_percentages
from .reanalysis_reported import REPORTED_COLUMNS, reanalyse_reported
from .reported import audit_reported
from .result import AuditResult

__all__ = [
    "grim",
    "grim_summary",
    "parse_p",
    "parse_p_many",
    "PInterval",
    "audit_reported",
    "AuditResult",
    "audit",
    "AUDIT_COLUMNS",
    "AUDIT_TESTS",
    "ROUNDING_RULES",
    "reanalyse_percentages",
    "reanalyse_reported",
    "REANALYSIS_COLUMNS",
    "REPORTED_COLUMNS",
    "SCENARIO_KINDS",
]

"""The mutation gate: a curated list of small, plausible bugs, each of which the test suite must catch.

Run ``make mutants`` (or ``python tools/mutants.py [--only ID ...] [--list]``). For each mutation the
runner copies ``src/`` to a temporary directory ONCE, rewrites one snippet in that copy (the snippet must occur
exactly once), runs only the relevant test files against the copy (``PYTHONPATH=<copy>``, ``pytest -x``) and
restores the copied file afterwards, whatever happens; the real sources are never written. A mutation is
*caught* when the tests fail, *survived* when they pass. The run first checks that the unmutated copy passes
the union of the listed test files, and that the tests really import the copy. Exit status 0 only when every
mutation is caught (1 if one survived, 2 on a setup problem). The output ends with the caught share per
package (:func:`package_summary`), so a weakly tested package shows. Not part of ``make test``: it runs the selected
tests once per mutation (a few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    id: str
    area: str
    file: str  # relative to src/fmtrials
    old: str
    new: str
    tests: tuple[str, ...]
    what: str


OPT = "tests/test_options_reference.py"
EFF = ("tests/test_effects.py", "tests/test_effects_reference.py", "tests/test_effects_mn.py", OPT)
META = ("tests/test_meta_metafor.py", "tests/test_meta.py", OPT)
CONS = (
    "tests/test_consistency_grim.py",
    "tests/test_consistency_pvalues.py",
    "tests/test_consistency_reported.py",
    "tests/test_consistency_audit.py",
)
CMP = ("tests/test_comparisons.py", OPT)
ANA = ("tests/test_report_metafor.py", "tests/test_analysis.py")
REP = ("tests/test_report_metafor.py", "tests/test_report.py")
CELLS = ("tests/test_report_cells.py",)
WORDS = ("tests/test_report_words.py", "tests/test_report_cells.py")


def M(id, area, file, old, new, tests, what):  # noqa: N802,A002 - short constructor for the table below
    assert not isinstance(tests, str), id
    return Mutant(id, area, file, old, new, tuple(tests), what)


MUTANTS: tuple[Mutant, ...] = (
    # ------------------------------------------------------------------------------------------ effects
    M(
        "jeffreys-lower-alpha",
        "effects",
        "effects/proportion.py",
        "special.betaincinv(x + 0.5, n - x + 0.5, alpha / 2))",
        "special.betaincinv(x + 0.5, n - x + 0.5, alpha))",
        EFF,
        "Jeffreys lower limit at alpha instead of alpha/2",
    ),
    M(
        "jeffreys-prior-1",
        "effects",
        "effects/proportion.py",
        "hi = np.where(x == n, 1.0, special.betaincinv(x + 0.5, n - x + 0.5, 1 - alpha / 2))",
        "hi = np.where(x == n, 1.0, special.betaincinv(x + 1, n - x + 0.5, 1 - alpha / 2))",
        EFF,
        "Jeffreys upper limit with a wrong Beta parameter",
    ),
    M(
        "cp-upper-alpha",
        "effects",
        "effects/proportion.py",
        "special.betaincinv(x + 1, np.maximum(n - x, 1e-300), 1 - alpha / 2)",
        "special.betaincinv(x + 1, np.maximum(n - x, 1e-300), 1 - alpha)",
        EFF,
        "Clopper-Pearson upper at 1 - alpha",
    ),
    M(
        "wilson-centre",
        "effects",
        "effects/proportion.py",
        "centre = (p + z2 / (2 * n)) / (1 + z2 / n)",
        "centre = (p + z2 / (4 * n)) / (1 + z2 / n)",
        EFF,
        "Wilson centre with z^2/(4n)",
    ),
    M(
        "ratio-ignores-alpha",
        "effects",
        "effects/ratios.py",
        "counts(events_t, n_t, events_c, n_c), z_value(alpha)",
        "counts(events_t, n_t, events_c, n_c), z_value(0.05)",
        EFF,
        "risk_ratio/odds_ratio ignore alpha",
    ),
    M(
        "rr-ignores-cc",
        "effects",
        "effects/ratios.py",
        'est, lo, hi, corr, note = _wald("RR", x1, n1, x2, n2, z, add)',
        'est, lo, hi, corr, note = _wald("RR", x1, n1, x2, n2, z, 0.5)',
        EFF,
        "risk_ratio ignores add (the zero-cell correction)",
    ),
    M(
        "or-ignores-cc",
        "effects",
        "effects/ratios.py",
        'est, lo, hi, corr, note = _wald("OR", x1, n1, x2, n2, z, add)',
        'est, lo, hi, corr, note = _wald("OR", x1, n1, x2, n2, z, 0.5)',
        EFF,
        "odds_ratio ignores add (the zero-cell correction)",
    ),
    M(
        "koopman-gets-mn-factor",
        "effects",
        "effects/ratios.py",
        'lo, hi = _score_interval(rr_score_lower, x1, n1, x2, n2, z, ci == "mn")',
        "lo, hi = _score_interval(rr_score_lower, x1, n1, x2, n2, z, True)",
        EFF,
        "Koopman with the N/(N-1) factor",
    ),
    M(
        "or-mn-drops-factor",
        "effects",
        "effects/ratios.py",
        "lo, hi = _score_interval(or_score_lower, x1, n1, x2, n2, z, True)",
        "lo, hi = _score_interval(or_score_lower, x1, n1, x2, n2, z, False)",
        EFF,
        "OR MN without its factor",
    ),
    M(
        "or-exact-alpha",
        "effects",
        "effects/ratios.py",
        "lambda *t: or_exact_one(*t, alpha)",
        "lambda *t: or_exact_one(*t, 0.05)",
        EFF,
        "exact OR ignores alpha",
    ),
    M(
        "newcombe-swapped-wilson",
        "effects",
        "effects/_score.py",
        "u2 = wilson(x2, n2, z)[1]",
        "u2 = wilson(x2, n2, z)[0]",
        EFF,
        "Newcombe with the wrong Wilson limit",
    ),
    M(
        "wald-cc-halved",
        "effects",
        "effects/difference.py",
        "half = z * se + (0.5 * (1.0 / n1 + 1.0 / n2) if cc else 0.0)",
        "half = z * se + (0.25 * (1.0 / n1 + 1.0 / n2) if cc else 0.0)",
        EFF,
        "Wald-CC with half the correction",
    ),
    M(
        "agresti-caffo-adds-2",
        "effects",
        "effects/difference.py",
        "a1 = (x1 + 1.0) / (n1 + 2.0)",
        "a1 = (x1 + 2.0) / (n1 + 4.0)",
        EFF,
        "Agresti-Caffo adds two per arm",
    ),
    M(
        "mn-factor-dropped",
        "effects",
        "effects/difference.py",
        'lo, hi = rd_score_limits(x1, n1, x2, n2, z, factor=method == "mn")',
        "lo, hi = rd_score_limits(x1, n1, x2, n2, z, factor=False)",
        EFF,
        "MN interval without the N/(N-1) factor",
    ),
    M(
        "rd-exact-alpha",
        "effects",
        "effects/difference.py",
        "lambda a, b, c, d: rd_exact_one(a, b, c, d, alpha)",
        "lambda a, b, c, d: rd_exact_one(a, b, c, d, 2 * alpha)",
        EFF,
        "Chan-Zhang exact RD at the wrong level",
    ),
    M(
        "yates-full-half",
        "effects",
        "effects/_statistics.py",
        "num = np.maximum(np.abs(diff) - big_n / 2.0, 0.0) if yates else np.abs(diff)",
        "num = np.abs(np.abs(diff) - big_n / 2.0) if yates else np.abs(diff)",
        EFF,
        "Yates correction not capped at |O - E|",
    ),
    M(
        "chi2-df-2",
        "effects",
        "effects/_statistics.py",
        'stat, name, p = chi2, "chi2", stats.chi2.sf(chi2, 1)',
        'stat, name, p = chi2, "chi2", stats.chi2.sf(chi2, 2)',
        EFF,
        "chi-square p on 2 degrees of freedom",
    ),
    M(
        "score-test-no-factor",
        "effects",
        "effects/_statistics.py",
        "np.full(p1.shape, float(delta0))) * big_n / (big_n - 1.0)",
        "np.full(p1.shape, float(delta0)))",
        EFF,
        "MN score test without the N/(N-1) factor",
    ),
    # --------------------------------------------------------------------------------------------- meta
    M(
        "pool-ignores-alpha",
        "meta",
        "meta/pooling.py",
        "alpha=check_alpha(alpha)",
        "alpha=check_alpha(0.05) if check_alpha(alpha) else 0.05",
        META,
        "pool() ignores alpha",
    ),
    M(
        "conf-int-80",
        "meta",
        "meta/result.py",
        "cr = crit(a, self.stat_dist, self.df)",
        "cr = crit(2 * a, self.stat_dist, self.df)",
        (OPT,),
        "PoolResult.conf_int(0.10) gives an 80% interval",
    ),
    M(
        "crit-one-sided",
        "meta",
        "meta/result.py",
        "return float(-special.ndtri(alpha / 2))",
        "return float(-special.ndtri(alpha))",
        META,
        "z critical value one-sided",
    ),
    M(
        "hksj-df-k",
        "meta",
        "meta/fitting.py",
        'dist, dfree = "t", float(k - 1)',
        'dist, dfree = "t", float(k)',
        META,
        "HKSJ t on k instead of k-1 degrees of freedom",
    ),
    M(
        "hksj-adhoc-ignored",
        "meta",
        "meta/fitting.py",
        'if test == "hksj-adhoc" and s2 < 1:',
        'if test == "hksj-adhoc" and s2 < 0:',
        META,
        "ad hoc HKSJ truncation dropped",
    ),
    M(
        "hts-df-k-1",
        "meta",
        "meta/fitting.py",
        "half = float(special.stdtrit(pi_df, 1 - o.alpha / 2)) * np.sqrt(se_classic**2 + tau2)",
        "half = float(special.stdtrit(k - 1, 1 - o.alpha / 2)) * np.sqrt(se_classic**2 + tau2)",
        META,
        "HTS prediction interval on t(k-1)",
    ),
    M(
        "hts-ignores-alpha",
        "meta",
        "meta/fitting.py",
        "half = float(special.stdtrit(pi_df, 1 - o.alpha / 2)) * np.sqrt(se_classic**2 + tau2)",
        "half = float(special.stdtrit(pi_df, 0.975)) * np.sqrt(se_classic**2 + tau2)",
        META,
        "HTS prediction interval ignores alpha",
    ),
    M(
        "i2-df",
        "meta",
        "meta/fitting.py",
        "i2 = max(0.0, 100 * (q - q_df) / q) if q > 0 else 0.0",
        "i2 = max(0.0, 100 * (q - q_df - 1) / q) if q > 0 else 0.0",
        META,
        "I2 with Q - k",
    ),
    M(
        "dl-denominator",
        "meta",
        "meta/_core.py",
        "return max(0.0, float((q - (len(yi) - 1)) / (sw - (w**2).sum() / sw)))",
        "return max(0.0, float((q - len(yi)) / (sw - (w**2).sum() / sw)))",
        META,
        "DL tau2 with Q - k",
    ),
    M(
        "mh-rr-weight",
        "meta",
        "meta/_core.py",
        "        return c * n1 / nn\n",
        "        return a * n2 / nn\n",
        META,
        "MH RR weights from the treatment arm",
    ),
    M(
        "mh-or-variance",
        "meta",
        "meta/_core.py",
        "var = 0.5 * ((p * r).sum() / R**2 + (p * s + q * r).sum() / (R * S) + (q * s).sum() / S**2)",
        "var = 0.5 * ((p * r).sum() / R**2 + (p * s).sum() / (R * S) + (q * s).sum() / S**2)",
        META,
        "Robins-Breslow-Greenland variance missing a term",
    ),
    M(
        "peto-variance-n",
        "meta",
        "meta/_core.py",
        "v = np.where(nn > 1, xt * yt * (n1 / nn) * (n2 / nn) / (nn - 1), 0.0)",
        "v = np.where(nn > 1, xt * yt * (n1 / nn) * (n2 / nn) / nn, 0.0)",
        META,
        "Peto variance over N, not N-1",
    ),
    M(
        "qprofile-swapped",
        "meta",
        "meta/_core.py",
        "crit_u = float(special.chdtri(df, alpha / 2))",
        "crit_u = float(special.chdtri(df, alpha))",
        META,
        "Q-profile bound at alpha instead of alpha/2",
    ),
    M(
        "reml-is-ml",
        "meta",
        "meta/_core.py",
        "tr_p = sw - sw2 / sw",
        "tr_p = sw",
        META,
        "REML scoring without the restricted-likelihood term (ML)",
    ),
    M(
        "split-remainder-last",
        "meta",
        "meta/placebo.py",
        "new_ev[p] = x // g + (1 if j < x % g else 0)",
        "new_ev[p] = x // g + (1 if j >= g - x % g else 0)",
        META,
        "shared placebo remainder to the last rows",
    ),
    # -------------------------------------------------------------------------------------- consistency
    M(
        "grim-half-up-open",
        "consistency",
        "consistency/granularity.py",
        "lo, hi = lo_closed, hi_open\n    elif",
        "lo, hi = lo_open, hi_open\n    elif",
        CONS,
        "GRIM half_up excludes the lower tie",
    ),
    M(
        "grim-either-open",
        "consistency",
        "consistency/granularity.py",
        'if rounding == "either":\n        lo, hi = lo_closed, hi_closed',
        'if rounding == "either":\n        lo, hi = lo_closed, hi_open',
        CONS,
        "GRIM 'either' drops the upper tie",
    ),
    M(
        "grim-half-even-parity",
        "consistency",
        "consistency/granularity.py",
        "even = num % 2 == 0",
        "even = num % 2 == 1",
        CONS,
        "GRIM half_even parity flipped",
    ),
    M(
        "p-half-unit",
        "consistency",
        "consistency/pvalues.py",
        "half = Decimal(5).scaleb(exp - len(frac) - 1)",
        "half = Decimal(5).scaleb(exp - len(frac))",
        CONS,
        "printed p interval a whole unit wide",
    ),
    M(
        "p-less-closed",
        "consistency",
        "consistency/pvalues.py",
        'return PInterval(text, rel, value, lower, upper, rel != ">", rel != "<")',
        'return PInterval(text, rel, value, lower, upper, rel != ">", True)',
        CONS,
        "'< v' includes v",
    ),
    # -------------------------------------------------------------------------------------- comparisons
    M(
        "compare-control-from-treatment",
        "comparisons",
        "comparisons.py",
        'rate_c = run("rate_ci", effects.proportion_ci, x2, n2,',
        'rate_c = run("rate_ci", effects.proportion_ci, x1, n1,',
        CMP,
        "compare(): control rate from the treatment arm",
    ),
    M(
        "compare-ignores-cc",
        "comparisons",
        "comparisons.py",
        'ci=m["rr_method"], alpha=alpha, add=m["add"])',
        'ci=m["rr_method"], alpha=alpha)',
        CMP,
        "compare(): RR ignores add (the zero-cell correction)",
    ),
    M(
        "compare-rate-alpha",
        "comparisons",
        "comparisons.py",
        'rate_t = run("rate_ci", effects.proportion_ci, x1, n1, ci=m["rate_method"], alpha=alpha)',
        'rate_t = run("rate_ci", effects.proportion_ci, x1, n1, ci=m["rate_method"])',
        CMP,
        "compare(): treatment rate ignores alpha",
    ),
    M(
        "compare-hochberg-is-holm",
        "comparisons",
        "comparisons.py",
        'multipletests(p, method="simes-hochberg")[1]',
        'multipletests(p, method="holm")[1]',
        CMP,
        "compare(): Hochberg column is Holm",
    ),
    M(
        "compare-near-far-swapped",
        "comparisons",
        "comparisons.py",
        '        "crosses_zero",\n    ):\n        cols[col] = nn[col].to_numpy()',
        '        "crosses_zero",\n    ):\n        cols[col] = nn[{"nnt_near": "nnt_far", "nnt_far": "nnt_near"}.get(col, col)].to_numpy()',
        CMP,
        "compare(): nnt_near and nnt_far swapped",
    ),
    # ------------------------------------------------------------------------------------------ analysis
    M(
        "main-model-dl",
        "analysis",
        "analysis/policy.py",
        'MAIN_MODEL = Model("REML", "hksj-adhoc")',
        'MAIN_MODEL = Model("DL", "hksj-adhoc")',
        ANA,
        "the report's main model is DL, not REML",
    ),
    M(
        "main-model-plain-hksj",
        "analysis",
        "analysis/policy.py",
        'MAIN_MODEL = Model("REML", "hksj-adhoc")',
        'MAIN_MODEL = Model("REML", "hksj")',
        ANA,
        "the report's main model drops the ad hoc truncation",
    ),
    M(
        "sensitivity-grid-no-pm",
        "analysis",
        "analysis/policy.py",
        'for m in ("DL", "REML", "PM") for t in',
        'for m in ("DL", "REML") for t in',
        ANA,
        "sensitivity grid misses Paule-Mandel",
    ),
    M(
        "loo-common-model",
        "analysis",
        "analysis/endpoint.py",
        'loo = pooled_fit("leave_one_out", table, measure=measure, model=main_model, alpha=alpha)',
        'loo = pooled_fit("leave_one_out", table, measure=measure, model=COMMON_MODEL, alpha=alpha)',
        ANA,
        "leave-one-out of the common model",
    ),
    M(
        "named-random-model-drops-small-k",
        "analysis",
        "analysis/policy.py",
        "small = k <= COMMON_MAIN_MAX_K and chosen.method in RANDOM_METHODS",
        "small = k < COMMON_MAIN_MAX_K and chosen.method in RANDOM_METHODS",
        ("tests/test_analysis_models.py", "tests/test_report_options.py"),
        "a named random-effects model replaces the small-k rule at k = 2",
    ),
    M(
        "methods-citations-numbered-from-zero",
        "analysis",
        "analysis/methods.py",
        "nums = [order.setdefault(k, len(order) + 1) for k in keys]",
        "nums = [order.setdefault(k, len(order)) for k in keys]",
        ("tests/test_analysis_methods.py", "tests/test_report_options.py"),
        "methods-paragraph citations numbered from 0",
    ),
    M(
        "forest-i2-tau2-based",
        "plots",
        "plots/_result.py",
        "i2=_f(h.i2_q),",
        "i2=_f(h.i2_tau2),",
        ("tests/test_plots.py",),
        "forest footnotes print the tau2-based I² beside the table's Q-based one",
    ),
    M(
        "holm-across-is-hochberg",
        "analysis",
        "analysis/overall.py",
        "adj[ok] = holm(p[ok])",
        'adj[ok] = __import__("statsmodels.stats.multitest").stats.multitest.multipletests(p[ok], method="sh")[1]',
        ("tests/test_report_metafor.py", "tests/test_analysis.py"),
        "report-wide Holm is Hochberg",
    ),
    # -------------------------------------------------------------------------------------------- report
    M(
        "report-pi-swapped",
        "report",
        "report/tables.py",
        "lo, hi = r.prediction.pi_low, r.prediction.pi_high",
        "hi, lo = r.prediction.pi_low, r.prediction.pi_high",
        REP,
        "report prints the prediction interval backwards",
    ),
    M(
        "report-i2-digits",
        "report",
        "report/tables.py",
        "I² (Q-based) = {_fmt(h.i2_q, 1)}%",
        "I² (Q-based) = {_fmt(h.i2_q, 0)}%",
        REP,
        "report prints I2 without its decimal",
    ),
    M(
        "report-loo-ci-swapped",
        "report",
        "report/tables.py",
        '"estimate": _ci(r["estimate"], r["ci_low"], r["ci_high"], digits),\n            "p": _fmt_p(r["p_value"]),',
        '"estimate": _ci(r["estimate"], r["ci_high"], r["ci_low"], digits),\n            "p": _fmt_p(r["p_value"]),',
        REP,
        "report prints leave-one-out intervals backwards",
    ),
    M(
        "report-loo-tau2-digits",
        "report",
        "report/tables.py",
        '"tau2": _fmt(r["tau2"], 4)',
        '"tau2": _fmt(r["tau2"], 3)',
        REP,
        "report prints leave-one-out tau2 to 3 decimals",
    ),
    M(
        "format-p-threshold",
        "report",
        "_format.py",
        'text = f"{v:.4f}" if v < 0.001 else f"{v:.3f}"',
        'text = f"{v:.4f}" if v < 0.0001 else f"{v:.3f}"',
        REP,
        "p between 0.0001 and 0.001 printed with 3 decimals",
    ),
    # --- attrib ---
    M(
        "joint-p-placebo-not-shared",
        "consistency",
        "consistency/joint.py",
        "common = cs if common is None else common & cs",
        "common = cs if common is None else common | cs",
        ("tests/test_joint_attribution.py",),
        "joint p judged with a different placebo count per row",
    ),
    M(
        "joint-contradiction-inverted",
        "consistency",
        "consistency/joint.py",
        "not (int(lo[0]) <= e <= int(hi[0]))",
        "int(lo[0]) <= e <= int(hi[0])",
        ("tests/test_joint_attribution.py",),
        "a trial's own count contradicts when it matches, not when it differs",
    ),
    M(
        "possible-ignores-p",
        "consistency",
        "consistency/reanalysis_reported.py",
        "if with_p and pairs is not None and not joint_p(",
        "if False and with_p and pairs is not None and not joint_p(",
        ("tests/test_joint_attribution.py",),
        "a scenario judged possible without reproducing the printed p",
    ),
    # --- grade ---
    M(
        "grade-overlap-ignored",
        "decision",
        "decision/sof.py",
        "elif i2 >= I2_SUBSTANTIAL and (q_small or disjoint):",
        "elif i2 >= I2_SUBSTANTIAL and (q_small or not disjoint):",
        ("tests/test_decision_grade.py",),
        "GRADE inconsistency: I² >= 50% downgraded although Q p >= 0.10 and the study intervals overlap",
    ),
    M(
        "grade-tau2-i2",
        "decision",
        "decision/sof.py",
        "i2, q_small = h.i2_q, h.q_p < Q_ALPHA",
        "i2, q_small = h.i2_tau2, h.q_p < Q_ALPHA",
        ("tests/test_decision_grade.py",),
        "GRADE inconsistency judged on the tau²-based I² of a random-effects model",
    ),
    M(
        "grade-opposite-one-side",
        "decision",
        "decision/sof.py",
        "bool(np.any(lo > null) and np.any(hi < null))",
        "bool(np.any(lo > null) or np.any(hi < null))",
        ("tests/test_decision_grade.py",),
        "effects in 'opposite directions' when studies exclude no effect on one side only",
    ),
    M(
        "sof-rd-relative",
        "decision",
        "decision/sof.py",
        "    if r.ratio:\n        return r,",
        "    if True:\n        return r,",
        ("tests/test_decision_grade.py",),
        "summary of findings puts the risk difference in the relative column under measure RD",
    ),
    M(
        "what-it-means-default-benefit",
        "decision",
        "decision/overview.py",
        "if (benefit is None and b not in known) or (harms is None and not hs):",
        "if harms is None and not hs:",
        ("tests/test_report_extras.py",),
        "benefit-risk looks for the bundled composite in user data that names an endpoint nausea",
    ),
    # --- mh ---
    M(
        "mh-double-zero-out-of-sums",
        "meta",
        "meta/fitting.py",
        "beta, se = core.mh(d.a, d.n1, d.c, d.n2, o.measure)",
        "beta, se = core.mh(a, n1, c, n2, o.measure)",
        ("tests/test_meta_mh_edge.py",),
        "MH sums leave out double-zero tables (rma.mh keeps them)",
    ),
    M(
        "mh-rd-double-zero-in-q",
        "meta",
        "meta/fitting.py",
        "drop00=True if mh else None)",
        "drop00=None)",
        ("tests/test_meta_mh_edge.py",),
        "MH risk difference keeps double-zero tables in Q and its df",
    ),
    M(
        "mhdl-q-around-iv",
        "meta",
        "meta/fitting.py",
        'return core.tau2_dl_from_q(q, v), "DL", []',
        'return core.tau2_dl(y, v), "DL", []',
        ("tests/test_meta_mhdl.py",),
        "MH-DL takes tau2 from the Q around the inverse-variance estimate (metafor's DL, not RevMan's)",
    ),
    M(
        "barnard-no-variation-nan",
        "effects",
        "effects/tests.py",
        'return (0.0 if method == "barnard" else 1.0), 1.0',
        "return math.nan, 1.0",
        ("tests/test_effects.py",),
        "Barnard's statistic NaN for a table without events (chi2 and score give 0)",
    ),
    # --- revman ---
    M(
        "revman-count-digits-guard",
        "revman",
        "_validation.py",
        'value = math.inf if len(digits) > len(str(MAX_COUNT)) else float(int(digits or "0"))',
        'value = float(int(digits or "0"))',
        ("tests/test_revman_hostile.py",),
        "a count of thousands of digits converted with int() instead of refused as out of range",
    ),
    M(
        "revman-csv-duplicate-study",
        "revman",
        "revman/_csvexport.py",
        "if first_line != line:",
        "if first_line != line and False:",
        ("tests/test_revman_hostile.py",),
        "a study twice in one outcome of a CSV export is pooled twice",
    ),
    M(
        "revman-rm5-duplicate-study",
        "revman",
        "revman/_rm5.py",
        "for i in np.flatnonzero(keys.duplicated(keep=False).to_numpy()):",
        "for i in np.flatnonzero(keys.duplicated(keep=False).to_numpy())[:0]:",
        ("tests/test_revman_hostile.py",),
        "a study twice in one outcome of a .rm5 is pooled twice",
    ),
    M(
        "revman-csv-pair-checks",
        "revman",
        "revman/_csvexport.py",
        'keep = [i for i, s in enumerate(studies) if s["data_type"] == "dichotomous"]',
        'keep = [i for i, s in enumerate(studies) if s["data_type"] == "continuous"]',
        ("tests/test_revman_hostile.py", "tests/test_revman.py"),
        "events above n and n = 0 in a CSV export not checked at read time",
    ),
    M(
        "csv-writer-quotes-cr",
        "report",
        "_csv.py",
        """if any(ch in cell for ch in ',"\\r\\n') or cell != cell.strip():""",
        """if any(ch in cell for ch in ',"\\n') or cell != cell.strip():""",
        ("tests/test_revman_hostile.py",),
        "a carriage return inside a cell written unquoted (breaks the record)",
    ),
    # --- smallstudy ---
    M(
        "smallstudy-labbe-check-line",
        "report",
        "report/figures.py",
        '"result": ea.main,  # the forest\'s model',
        '"result": ea.common,  # the forest\'s model',
        ("tests/test_report_smallstudy.py",),
        "the L'Abbé pooled line is the common-effect check beside a random-effects forest",
    ),
    M(
        "smallstudy-disagree-ratio",
        "analysis",
        "analysis/policy.py",
        "if factor > DISAGREEMENT_RATIO:",
        "if factor > 2 * DISAGREEMENT_RATIO:",
        ("tests/test_report_smallstudy.py",),
        "a 1.7-fold gap between the check and the main model is not called a disagreement",
    ),
    M(
        "smallstudy-mh-zero-weight",
        "plots",
        "plots/_forest_text.py",
        'zero = (s["weight"].to_numpy(dtype=float) == 0) & (numerator > 0)',
        'zero = (s["weight"].to_numpy(dtype=float) < 0) & (numerator > 0)',
        ("tests/test_report_smallstudy.py",),
        "an MH forest study with weight 0% that still moves the estimate gets no footnote",
    ),
    M(
        "smallstudy-trimfill-side",
        "meta",
        "meta/trimfill.py",
        'side = "right" if slope < 0 else "left"',
        'side = "left" if slope < 0 else "right"',
        ("tests/test_report_smallstudy.py",),
        "trim-and-fill fills the wrong side of the funnel",
    ),
    # --- labels ---
    M(
        "i2-is-tau2-based-again",
        "meta",
        "meta/fitting.py",
        "i2_tau2, h2 = 100 * tau2 / (vt + tau2), tau2 / vt + 1",
        "i2 = i2_tau2 = 100 * tau2 / (vt + tau2); h2 = tau2 / vt + 1",
        ("tests/test_report_labels.py",),
        "random-effects I² from tau² (metafor's) instead of the one Q-based rule",
    ),
    M(
        "loo-i2-df",
        "meta",
        "meta/_subsets.py",
        "i2 = np.where(q > 0, np.maximum(0.0, 100 * (q - (k - 1)) / q), 0.0)",
        "i2 = np.where(q > 0, np.maximum(0.0, 100 * (q - k) / q), 0.0)",
        ("tests/test_meta_metafor.py", "tests/test_report_labels.py"),
        "leave-one-out/cumulative Q-based I² on k instead of k - 1 df (vectorised MH, IV, Peto, DL rows)",
    ),
    M(
        "single-comparison-wald-p",
        "analysis",
        "analysis/_pooling.py",
        'n.update(method="", test=single_test, p_value=single_p(r, single_test))',
        'n.update(method="", test=single_test)',
        ("tests/test_report_labels.py",),
        "a k = 1 row of pooled.csv keeps the pooling model's Wald p under the name of the exact test",
    ),
    M(
        "single-comparison-twice",
        "report",
        "report/tables.py",
        'if r.k == 1 and role == "check" and ea.main is not None:',
        "if False:",
        ("tests/test_report_labels.py",),
        "a dose with one comparison printed twice (main and check), two rows for one comparison",
    ),
    M(
        "sensitivity-notes-repeated",
        "report",
        "report/tables.py",
        "if text and text not in notes:",
        "if text:",
        ("tests/test_report_labels.py",),
        "the sensitivity table lists a shared note once per row again",
    ),
    # --- vocab ---
    M(
        "vocab-no-metafor-alias",
        "vocab",
        "_vocab.py",
        "folded = ALIASES.get(folded, folded)",
        "folded = folded",
        ("tests/test_vocabulary.py",),
        "metafor's test='knha' / 'adhoc' refused instead of read as hksj / hksj-adhoc",
    ),
    M(
        "vocab-revman-says-fixed",
        "vocab",
        "revman/_table.py",
        'return "random" if random.strip().upper() in ("YES", "RANDOM") else "common"',
        'return "random" if random.strip().upper() in ("YES", "RANDOM") else "fixed"',
        ("tests/test_vocabulary.py", "tests/test_revman.py"),
        "RevMan results say 'fixed' where PoolResult says 'common'",
    ),
    M(
        "vocab-old-test-not-fit-test",
        "vocab",
        "meta/smallstudy.py",
        'new["fit_test"] = kwargs.pop("test")',
        'new["test"] = kwargs.pop("test")',
        ("tests/test_vocabulary.py",),
        "small_study_test's old test='knha' taken as the new test= (the small-study test)",
    ),
    M(
        "result-interval-level",
        "result",
        "_result.py",
        'object.__setattr__(self, "level", float(level))',
        'object.__setattr__(self, "level", float(1 - level))',
        ("tests/test_result_protocol.py",),
        "conf_int() names alpha as the level",
    ),
    # --- cells --- (issue 29: written after tests/test_*_cells.py; each caught by those files)
    M(
        "cells-placebo-pct-by-n-t",
        "report",
        "report/tables.py",
        "\"control\": f\"{r['events_c']}/{r['n_c']} ({_fmt(100 * r['events_c'] / r['n_c'], 1)}%)\",",
        "\"control\": f\"{r['events_c']}/{r['n_c']} ({_fmt(100 * r['events_c'] / r['n_t'], 1)}%)\",",
        CELLS,
        "per-comparison table: placebo percentage divided by the treatment arm's n",
    ),
    M(
        "cells-main-placebo-pct-by-n-t",
        "report",
        "report/main_results.py",
        "\"Placebo\": f\"{r['events_c']}/{r['n_c']} ({format_number(100 * r['events_c'] / r['n_c'], 1)}%)\",",
        "\"Placebo\": f\"{r['events_c']}/{r['n_c']} ({format_number(100 * r['events_c'] / r['n_t'], 1)}%)\",",
        CELLS,
        "main-results per-trial table: placebo percentage divided by the treatment arm's n",
    ),
    M(
        "cells-per1000-high-from-low",
        "decision",
        "decision/absolute.py",
        '"risk_per_1000_high": 1000 * hi,',
        '"risk_per_1000_high": 1000 * lo,',
        CELLS + ("tests/test_decision_cells.py",),
        "corresponding risk per 1000: upper bound from the lower CI bound",
    ),
    M(
        "cells-per1000-diff-high-from-low",
        "decision",
        "decision/absolute.py",
        '"difference_per_1000_high": 1000 * (hi - cr),',
        '"difference_per_1000_high": 1000 * (lo - cr),',
        CELLS + ("tests/test_decision_cells.py",),
        "difference per 1000: upper bound from the lower CI bound",
    ),
    M(
        "cells-assumed-risk-treatment-arm",
        "decision",
        "decision/absolute.py",
        'risks = (s["events_c"] / s["n_c"]).to_numpy(dtype=float)',
        'risks = (s["events_c"] / s["n_t"]).to_numpy(dtype=float)',
        CELLS,
        "assumed (placebo) risk divided by the treatment arm's n",
    ),
    M(
        "cells-holm-family-bonferroni",
        "analysis",
        "analysis/overall.py",
        "adj[idx] = holm(p[idx])",
        "adj[idx] = np.minimum(1.0, p[idx] * len(idx))",
        CELLS,
        "p (Holm) of the report's families computed as Bonferroni",
    ),
    M(
        "cells-heterogeneity-tau2-digits",
        "report",
        "report/tables.py",
        'f"; τ² = {_fmt(h.tau2, 4)}" if r.model == "random" else ""',
        'f"; τ² = {_fmt(h.tau2 * 10, 4)}" if r.model == "random" else ""',
        CELLS,
        "pooled table: τ² printed ten times too large",
    ),
    M(
        "cells-fragility-quotient-one-arm",
        "decision",
        "decision/fragility.py",
        '"fragility_quotient": steps / (n1 + n2),',
        '"fragility_quotient": steps / n1,',
        CELLS + ("tests/test_decision_cells.py",),
        "fragility quotient over the treatment arm only",
    ),
    M(
        "cells-reanalysis-ignores-alpha",
        "consistency",
        "consistency/reanalysis.py",
        "return fn(pairs.events_t, n_t[pairs.row], pairs.events_c, n_c[pairs.row], ci=ci, alpha=alpha)",
        "return fn(pairs.events_t, n_t[pairs.row], pairs.events_c, n_c[pairs.row], ci=ci, alpha=0.05)",
        ("tests/test_options_cells.py",),
        "reanalyse_percentages(alpha=0.10) computes 95% intervals",
    ),
    M(
        "cells-bayes-prior-b-swapped",
        "decision",
        "decision/bayes_rd.py",
        "return (a + x1, b + n1 - x1), (a + x2, b + n2 - x2)",
        "return (a + x1, a + n1 - x1), (a + x2, b + n2 - x2)",
        ("tests/test_decision_cells.py",),
        "Bayesian RD: the treatment arm's Beta prior uses a for both shapes",
    ),
    M(
        "cells-benefit-risk-z-95",
        "decision",
        "decision/balance.py",
        "z = -special.ndtri(alpha / 2)",
        "z = -special.ndtri(0.05 / 2)",
        ("tests/test_decision_cells.py",),
        "benefit-risk Fieller bounds at 95% whatever alpha",
    ),
    M(
        "cells-revman-csv-labels-swapped",
        "revman",
        "revman/export.py",
        '"Group Label 1": group_labels[0],',
        '"Group Label 1": group_labels[1],',
        ("tests/test_revman_cells.py",),
        "write_revman_csv labels group 1 with the control label",
    ),
    M(
        "cells-effects-csv-ignores-add",
        "revman",
        "revman/export.py",
        "eff = effect_sizes(table, measure=measure, add=add)",
        "eff = effect_sizes(table, measure=measure, add=0.5)",
        ("tests/test_revman_cells.py",),
        "write_effects_csv ignores add",
    ),
    M(
        "cells-imprecision-cap-1",
        "decision",
        "decision/sof.py",
        'return min(down, 2), "imprecision: " + text',
        'return min(down, 1), "imprecision: " + text',
        ("tests/test_decision_grade_cells.py",),
        "GRADE imprecision: a wide interval below the OIS is downgraded one level, not two",
    ),
    M(
        "cells-ois-treatment-risk",
        "decision",
        "decision/sof.py",
        "ois = optimal_information_size(control_risk) if 0 < control_risk < 1 else np.nan",
        "ois = optimal_information_size(control_risk / 2) if 0 < control_risk < 1 else np.nan",
        ("tests/test_decision_grade_cells.py",),
        "GRADE imprecision: optimal information size from half the control risk",
    ),
    M(
        "cells-small-study-k-10-skipped",
        "decision",
        "decision/sof.py",
        "if len(s) < MIN_STUDIES:",
        "if len(s) <= MIN_STUDIES:",
        ("tests/test_decision_grade_cells.py",),
        "GRADE publication bias: Egger's test not done at k = 10",
    ),
    M(
        "cells-methods-pi-df-k-1",
        "analysis",
        "analysis/methods.py",
        'lost = df_text(lost_df((a.main for a in eps), "pi"), " − ")',
        'lost = "k − 1"',
        CELLS,
        "methods paragraph: prediction interval said to use k − 1 df (computed on k − 2)",
    ),
    M(
        "cells-methods-hksj-df-k-2",
        "analysis",
        "analysis/methods.py",
        'on = f" on {df_text(lost, \' − \')} degrees of freedom" if lost else ""',
        'on = " on k − 2 degrees of freedom"',
        CELLS,
        "methods paragraph: HKSJ ad hoc said to use k − 2 df",
    ),
    M(
        "cells-png-dpi-ignored",
        "plots",
        "plots/export.py",
        "path.write_bytes(figure_bytes(fig, cast(Any, fmt), dpi=dpi, editable_text=editable_text))",
        "path.write_bytes(figure_bytes(fig, cast(Any, fmt), dpi=300, editable_text=editable_text))",
        ("tests/test_figures_cells.py",),
        "save_figure writes every PNG at 300 dpi whatever dpi=",
    ),
    M(
        "cells-labbe-treatment-label-ignored",
        "report",
        "report/figures.py",
        'title=p["title"], treatment=p["treatment"]\n        )\n    return plots.plot_funnel(',
        'title=p["title"], treatment="treatment"\n        )\n    return plots.plot_funnel(',
        ("tests/test_figures_cells.py",),
        "L'Abbé plot ignores the treatment label",
    ),
    M(
        "cells-prose-p-is-holm",
        "report",
        "report/main_results.py",
        "f\"{r['nnt_label']}, p {format_p(r['p_value'])} (Holm, {r['holm_family']} family: \"",
        "f\"{r['nnt_label']}, p {format_p(r['p_holm_report'])} (Holm, {r['holm_family']} family: \"",
        CELLS,
        "main-results sentence: the unadjusted p printed as the Holm-adjusted one",
    ),
    M(
        "cells-report-png-dpi-ignored",
        "report",
        "report/figures.py",
        'png = figure_bytes(fig, "png", dpi=png_dpi, png_compress=PNG_COMPRESS)',
        'png = figure_bytes(fig, "png", dpi=300, png_compress=PNG_COMPRESS)',
        ("tests/test_figures_cells.py",),
        "the report writes its PNG figures at 300 dpi whatever --dpi",
    ),
    # --- signals ---
    M(
        "holm-running-minimum",
        "analysis",
        "_multiplicity.py",
        "stepped = np.maximum.accumulate(",
        "stepped = np.minimum.accumulate(",
        ("tests/test_multiplicity.py",),
        "Holm's step-down without its running maximum (adjusted p-values out of order)",
    ),
    M(
        "report-built-in-the-main-thread",
        "report",
        "_proc.py",
        "    if threading.current_thread() is not threading.main_thread():\n        return work()",
        "    if True:\n        return work()",
        ("tests/test_report_signals.py",),
        "the report is built in the main thread, where a signal waits for the end of a long call",
    ),
    # --- many ---
    M(
        "reml-cycling-raises",
        "meta",
        "meta/_core.py",
        "return reml_search(yi, vi, tol=tol), it",
        'raise ConvergenceError("REML Fisher scoring did not converge")',
        ("tests/test_meta_many.py",),
        "REML gives up when Fisher scoring cycles (fmtrials 0.1.0, metafor's default control)",
    ),
    M(
        "reml-search-no-boundary",
        "meta",
        "meta/_core.py",
        "cands = [0.0] if s[0] <= 0 else []",
        "cands = []",
        ("tests/test_meta_many.py",),
        "the REML search never considers the boundary tau2 = 0",
    ),
    M(
        "many-hksj-df",
        "meta",
        "meta/_many.py",
        "df = np.where(hk, k - 1, np.nan)",
        "df = np.where(hk, k, np.nan)",
        ("tests/test_meta_many.py",),
        "pool_many's HKSJ t test on k degrees of freedom instead of k - 1",
    ),
    M(
        "many-mh-k-with-effect",
        "meta",
        "meta/_many.py",
        '"k": k_all if o.method == "MH" else k,',
        '"k": k,',
        ("tests/test_meta_many.py",),
        "pool_many's MH k counts only tables with a per-study effect (rma.mh counts every table)",
    ),
    M(
        "many-duplicate-ids-pass",
        "meta",
        "meta/many.py",
        'if "study" in df.columns:',
        "if False:",
        ("tests/test_meta_many.py",),
        "pool_many pools an analysis that gives one study id twice",
    ),
    # --- power --- (issue 26: exact power and sample size, each caught by the brute force of tests/test_power.py)
    M(
        "power-boschloo-two-sided-level",
        "effects",
        "effects/_alltables.py",
        'level = alpha / 2.0 if alternative == "two-sided" else alpha',
        "level = alpha",
        ("tests/test_power.py",),
        "two-sided Boschloo rejects where a one-sided p is at most alpha (its p is twice the smaller one)",
    ),
    M(
        "power-fisher-ties-dropped",
        "effects",
        "effects/_alltables.py",
        "_FISHER_RTOL = 1e-14",
        "_FISHER_RTOL = -1e-14",
        ("tests/test_power.py",),
        "Fisher's two-sided p leaves out the tables exactly as probable as the observed one",
    ),
    M(
        "power-size-at-half",
        "effects",
        "effects/power.py",
        "return float(sup_tail(*row_runs(region), n1, n2))",
        "return float(tail_prob(*row_runs(region), n1, n2, np.array([0.5]), np.array([0.5]))[0])",
        ("tests/test_power.py",),
        "the size is the rejection rate at a common rate of 1/2, not its maximum over the common rate",
    ),
    M(
        "power-region-not-prefix-gallop",
        "effects",
        "effects/_alltables.py",
        "    if p_at(hi) <= alpha:\n        best = hi",
        "    if True:\n        best = hi",
        ("tests/test_power.py",),
        "the unconditional rejection region is read from the lower bounds at the probe rates, not refined",
    ),
    # --- continuous ---
    M(
        "smd-approximate-j",
        "effects",
        "effects/continuous.py",
        "yi = hedges_j(n_t, n_c) * (mean_t - mean_c) / sp",
        "yi = (1 - 3 / (4 * (n_t + n_c) - 9)) * (mean_t - mean_c) / sp",
        ("tests/test_continuous.py",),
        "the SMD with RevMan's approximate correction instead of escalc's exact J",
    ),
    M(
        "smd-variance-without-g2",
        "effects",
        "effects/continuous.py",
        "vi = 1 / n_t + 1 / n_c + yi**2 / (2 * (n_t + n_c))",
        "vi = 1 / n_t + 1 / n_c",
        ("tests/test_continuous.py",),
        "the SMD variance without its g²/(2N) term",
    ),
    M(
        "sd-from-ci-always-normal",
        "effects",
        "effects/conversions.py",
        "q = np.where(n < SMALL_ARM, special.stdtrit(n - 1, 1 - a / 2), -special.ndtri(a / 2))",
        "q = -special.ndtri(a / 2)",
        ("tests/test_continuous.py",),
        "an SD from a small arm's CI with the normal quantile (Handbook: t on n - 1 df)",
    ),
    M(
        "revman-smd-metafor-convention",
        "revman",
        "revman/compare.py",
        'if tot.measure == "SMD":',
        "if False:",
        ("tests/test_continuous.py",),
        "compare_revman pools an SMD outcome with escalc's g instead of RevMan's",
    ),
    M(
        "sd-zero-accepted",
        "validation",
        "_validation.py",
        'elif kind == "sd" and not v > 0:',
        'elif kind == "sd" and v < 0:',
        ("tests/test_continuous.py",),
        "a standard deviation of 0 passes validation",
    ),
    # --- network ---
    M(
        "network-reml-ml-score",
        "network",
        "network/_fit.py",
        "return 0.5 * (quad - trMP), trMP, b, cov",
        "return 0.5 * (quad - trWP), trMP, b, cov",
        ("tests/test_network.py",),
        "network REML score without the fixed-effects correction (the ML score)",
    ),
    M(
        "network-multiarm-independent",
        "network",
        "network/_build.py",
        "out.V.append(np.diag(va[1:]) + va[0])",
        "out.V.append(np.diag(va[1:] + va[0]))",
        ("tests/test_network.py",),
        "contrasts of a multi-arm trial treated as independent (shared-arm covariance dropped)",
    ),
    M(
        "network-rho-zero",
        "network",
        "network/_fit.py",
        "P = np.full((k, k), 0.5) + 0.5 * np.eye(k)",
        "P = np.eye(k)",
        ("tests/test_network.py",),
        "random effects of a multi-arm trial's contrasts uncorrelated instead of correlation 1/2",
    ),
    M(
        "network-zero-cell-all-event-arm",
        "network",
        "network/_build.py",
        "if np.any((x == 0) | (x == m)):",
        "if np.any(x == 0):",
        ("tests/test_network.py",),
        "no 0.5 correction for a study with an all-event arm (netmeta pairwise() corrects it)",
    ),
    M(
        "network-pscore-direction",
        "network",
        "network/result.py",
        'sign = 1.0 if ev == "beneficial" else -1.0',
        "sign = 1.0",
        ("tests/test_network.py",),
        "P-scores of a harmful event ranked as if larger were better",
    ),
    M(
        "network-dl-denominator",
        "network",
        "network/_fit.py",
        "tau2 = max(0.0, (q - df) / trMP0) if trMP0 > 0 else 0.0",
        "tau2 = max(0.0, (q - df) / (trMP0 + 1.0)) if trMP0 > 0 else 0.0",
        ("tests/test_network.py",),
        "generalised DerSimonian-Laird tau2 with a wrong denominator",
    ),
    # --- netengine --- (continuous network input and netsplit: caught by tests/test_network_continuous.py)
    M(
        "network-md-arm-variance",
        "network",
        "network/_means.py",
        "va = sd[rows] ** 2 / n[rows]",
        "va = sd[rows] ** 2 / (n[rows] - 1)",
        ("tests/test_network_continuous.py",),
        "arm variance of a mean sd²/(n-1) instead of escalc's sd²/n",
    ),
    M(
        "network-md-multiarm-independent",
        "network",
        "network/_means.py",
        "out.V.append(np.diag(va[1:]) + va[0])",
        "out.V.append(np.diag(va[1:] + va[0]))",
        ("tests/test_network_continuous.py",),
        "MD contrasts of a multi-arm trial treated as independent (shared-arm covariance dropped)",
    ),
    M(
        "network-smd-direction",
        "network",
        "network/_means.py",
        'e = mean_effects(mean[second], sd[second], n[second], mean[first], sd[first], n[first], measure="SMD")',
        'e = mean_effects(mean[first], sd[first], n[first], mean[second], sd[second], n[second], measure="SMD")',
        ("tests/test_network_continuous.py",),
        "SMD of a study's first arm against its second (sign of every two-arm contrast flipped)",
    ),
    M(
        "network-smd-multiarm-accepted",
        "network",
        "network/_means.py",
        "if len(rows) > 2:",
        "if len(rows) > 3:",
        ("tests/test_network_continuous.py",),
        "a three-arm study accepted with measure='SMD' (only its first two arms analysed)",
    ),
    M(
        "network-split-direct-without-tau2",
        "network",
        "network/__init__.py",
        "w = 1 / (v + tau2)",
        "w = 1 / v",
        ("tests/test_network_continuous.py",),
        "netsplit's direct estimate pooled without the network's tau² (random-effects split)",
    ),
    M(
        "network-split-indirect-variance",
        "network",
        "network/result.py",
        "diff, sdiff = d - ind, math.sqrt(vd + vi)",
        "diff, sdiff = d - ind, math.sqrt(vd + vn)",
        ("tests/test_network_continuous.py",),
        "direct-minus-indirect difference with the network variance in place of the indirect one",
    ),
    M(
        "network-contrast-multiarm-covariance",
        "network",
        "network/_contrasts.py",
        "V = -0.5 * D @ R @ D.T  # = D Lt D' (D Π = D)",
        "V = np.diag(np.diag(-0.5 * D @ R @ D.T))",
        ("tests/test_network_continuous.py",),
        "a multi-arm study given as contrasts: its contrasts' covariance (shared arm) dropped",
    ),
    M(
        "network-contrast-multiarm-consistency",
        "network",
        "network/_contrasts.py",
        "if gap > TOL_MULTIARM:",
        "if gap > 1.0:",
        ("tests/test_network_continuous.py",),
        "inconsistent contrasts of a multi-arm study accepted (netmeta's tol.multiarm check lost)",
    ),
    # --- cont2 --- (issue 25 part 2: continuous methods at metafor parity, the report's continuous endpoints)
    M(
        "trimfill-se-k0-nan-to-zero",
        "meta",
        "meta/trimfill.py",
        "se_k0 = float(np.maximum(0.0, se_k0))",
        "se_k0 = max(0.0, se_k0)",
        ("tests/test_continuous2.py",),
        "trim-and-fill's undefined SE of k0 (negative L0 variance) reported as 0 instead of metafor's NaN",
    ),
    M(
        "csv-thousands-separator-read",
        "validation",
        "_csv.py",
        "if _grouped(v):",
        "if False:",
        ("tests/test_continuous_report.py",),
        "a count written '1,000' read as 1000 (a thousands separator or a decimal comma, guessed)",
    ),
    M(
        "continuous-typical-sd-smallest-study",
        "analysis",
        "analysis/continuous.py",
        'i = int(np.argmax((t["n_t"] + t["n_c"]).to_numpy(dtype=float)))',
        'i = int(np.argmin((t["n_t"] + t["n_c"]).to_numpy(dtype=float)))',
        ("tests/test_continuous_report.py",),
        "the SMD re-expressed with the smallest study's SD instead of the largest study's",
    ),
    M(
        "continuous-md-z-test",
        "analysis",
        "analysis/continuous.py",
        'md = pool(t, measure="MD", method=m, test=s, warn_shared=False)',
        'md = pool(t, measure="MD", method=m, test="z", warn_shared=False)',
        ("tests/test_continuous_report.py",),
        "the report's pooled MD with the z test instead of the main model's HKSJ",
    ),
    M(
        "continuous-study-smd-shows-md",
        "report",
        "report/continuous.py",
        'f"SMD [{level} CI]": _ci(s.estimate, s.ci_low, s.ci_high),',
        'f"SMD [{level} CI]": _ci(m.estimate, m.ci_low, m.ci_high),',
        CELLS,
        "a study's SMD cell showing its MD",
    ),
    M(
        "continuous-duplicate-row-accepted",
        "validation",
        "data/continuous.py",
        "        if k in seen:",
        "        if False:",
        ("tests/test_continuous_report.py",),
        "two rows for one (study, endpoint, dose) of a continuous file accepted",
    ),
    # --- power2 --- (issue 26: the fast sample-size search, the all-tables p-values, the report's trial plan)
    M(
        "power2-boschloo-inner-bound",
        "effects",
        "effects/_alltables.py",
        "(-s.flat <= s.alpha * (1.0 - 1e-9))",
        "(-s.flat <= s.alpha * 1.5)",
        ("tests/test_power_fast.py",),
        "Boschloo's cheap inner bound takes one-sided Fisher p-values above the level as certainly rejected",
    ),
    M(
        "power2-quick-fail-margin",
        "effects",
        "effects/_alltables.py",
        "if low > self.alpha * (1.0 + 1e-6):",
        "if low > self.alpha * 0.9:",
        ("tests/test_power_fast.py",),
        "a tail probability below alpha at the quick rates certifies a table as accepted",
    ),
    M(
        "power2-reaches-loose",
        "effects",
        "effects/power.py",
        "if low >= target or high < target:",
        "if low >= target - 0.005 or high < target:",
        ("tests/test_power_fast.py",),
        "the search takes a design as reaching the target when only its lower power bound is near it",
    ),
    M(
        "power2-fisher-region-one-more",
        "effects",
        "effects/_alltables.py",
        "k = (cum <= alpha).sum(axis=1)",
        "k = (cum <= alpha).sum(axis=1) + 1",
        ("tests/test_power.py",),
        "Fisher's two-sided region also rejects the first table of each margin whose p-value exceeds alpha",
    ),
    M(
        "power2-allp-ones-early",
        "effects",
        "effects/_allp.py",
        "if p >= 1.0:",
        "if p >= 0.5:",
        ("tests/test_power_allp.py",),
        "the all-tables pass sets every later tail's p-value to 1 once one reaches 1/2",
    ),
    M(
        "power2-report-normal-n",
        "report",
        "report/planning.py",
        '"normal": str(int(first["n_c_normal"])),',
        '"normal": str(int(first["n_c_normal"]) - 1),',
        ("tests/test_report_cells.py",),
        "the report's normal-approximation n is one below R power.prop.test's, rounded up",
    ),
    # --- netreport ---
    M(
        "netreport-league-transposed",
        "report",
        "report/network.py",
        'row[b] = "" if a == b else _ci(lg.loc[(a, b)])',
        'row[b] = "" if a == b else _ci(lg.loc[(b, a)])',
        CELLS,
        "league table cell (row, column) showing the column treatment against the row treatment",
    ),
    M(
        "netreport-lead-reversed",
        "report",
        "report/network.py",
        "r = lg.loc[(t, FOCUS)]",
        "r = lg.loc[(FOCUS, t)]",
        CELLS,
        "the lead sentence gives milnacipran against the drug under the words 'drug against milnacipran'",
    ),
    M(
        "netreport-lead-count-placebo",
        "report",
        "report/network.py",
        '~dl["treatment"].isin(focus_doses + ["placebo"])',
        '~dl["treatment"].isin(focus_doses)',
        CELLS,
        "the per-dose count of drug-against-milnacipran comparisons includes placebo",
    ),
    M(
        "netreport-p-scores-harmful",
        "report",
        "analysis/network.py",
        '"event": "beneficial", "alpha": alpha',
        '"event": "harmful", "alpha": alpha',
        CELLS,
        "P-scores ranked as if response were harmful",
    ),
    M(
        "netreport-q-within-between",
        "report",
        "report/network.py",
        '{"part": "within designs", "q": d["q_within"]',
        '{"part": "within designs", "q": d["q_between"]',
        CELLS,
        "inconsistency table: the between-design Q printed as within",
    ),
    M(
        "netreport-published-trial-set",
        "report",
        "report/network.py",
        'if r.level == "dose":  # a network estimate',
        'if r.level == "drug":  # a network estimate',
        CELLS,
        "'why they differ' counts the wrong trial set (network for per-drug rows and vice versa)",
    ),
    M(
        "netreport-methods-estimator",
        "report",
        "report/network.py",
        "TAU2_WORDS.get(r.method, r.method)",
        'TAU2_WORDS["DL"]',
        CELLS,
        "the network methods paragraph names an estimator the numbers were not computed with",
    ),
    M(
        "netreport-error-row",
        "report",
        "report/network_input.py",
        "r = rows[p.row - 1]",
        "r = rows[p.row]",
        ("tests/test_report_network.py",),
        "a --comparators error names the study and treatment of the next row",
    ),
    M(
        "netreport-engine-row",
        "report",
        "report/network_input.py",
        "return used[r - 1] if r is not None",
        "return r if r is not None",
        ("tests/test_report_network.py",),
        "an engine error on --comparators names the engine's row, not the file's",
    ),
    M(
        "netreport-league-colours",
        "plots",
        "plots/network.py",
        'cmap="PuOr"',
        'cmap="PuOr_r"',
        ("tests/test_network_plots.py",),
        "league heat map colours the opposite of what its caption says",
    ),
    # --- words --- (issue 29 class 4: what the report and methods paragraph say against the numbers)
    M(
        "words-pi-df-stated-k-1",
        "analysis",
        "analysis/_wording.py",
        "return name, df_text(lost), max(lost) + 1",
        'return name, "k−1", max(lost) + 1',
        WORDS,
        "the report's pooled section and Methods state k−1 df for a prediction interval computed on k − 2",
    ),
    M(
        "words-rr-called-woolf",
        "analysis",
        "analysis/_wording.py",
        '"katz": "Katz log",',
        '"katz": "Woolf logit",',
        WORDS,
        "the risk-ratio interval is named after the odds-ratio one",
    ),
    M(
        "words-newcombe-year",
        "analysis",
        "analysis/_wording.py",
        '"newcombe": ("Newcombe", "1998", "hybrid score"),',
        '"newcombe": ("Newcombe", "1988", "hybrid score"),',
        WORDS,
        "a wrong citation year for the RD interval",
    ),
    M(
        "words-level-from-the-option",
        "analysis",
        "analysis/_wording.py",
        'level = format_level(float(recorded(compared, "alpha", str(alpha))))',
        "level = format_level(alpha)",
        WORDS,
        "the stated level is the option passed to the text, not the level the intervals were computed at",
    ),
    M(
        "words-caption-level-stale",
        "report",
        "report/figures.py",
        "level = format_level(main.alpha if main is not None else 0.05)",
        "level = format_level(0.05)",
        WORDS,
        "figure captions say 95% whatever the analysis' level",
    ),
    M(
        "words-figure-drawn-at-95",
        "report",
        "report/figures.py",
        '"alpha": ea.main.alpha,  # the level of the analysis, which the caption states',
        '"alpha": 0.05,',
        WORDS,
        "the responder plot is drawn at 95% while its caption states the analysis' level",
    ),
    M(
        "words-hksj-df-off-by-one",
        "analysis",
        "analysis/_wording.py",
        'lost = int(r.k) - int(r.df) if r.stat_dist == "t"',
        'lost = int(r.k) - int(r.df) + 1 if r.stat_dist == "t"',
        WORDS,
        "the HKSJ t test stated on k − 2 df while computed on k − 1",
    ),
    M(
        "words-egger-df-stated",
        "report",
        "report/extras.py",
        "lost = f\"k − {int(r['k']) - int(r['df'])}\" if",
        'lost = "k − 1" if',
        WORDS,
        "Egger's classical test stated on k − 1 df while the row is computed on k − 2",
    ),
    M(
        "words-zero-cell-add-stale",
        "analysis",
        "analysis/methods.py",
        "had {added(result.compared, ADD)} added to every cell",
        "had 1 added to every cell",
        WORDS,
        "the methods paragraph states a zero-cell correction other than the one applied",
    ),
    M(
        "words-contour-labels-reversed",
        "plots",
        "plots/funnel.py",
        'a10, a05, a01 = (f"{a:.2f}" for a in CONTOUR_LEVELS)',
        'a01, a05, a10 = (f"{a:.2f}" for a in CONTOUR_LEVELS)',
        WORDS,
        "the contour-enhanced funnel's legend names the bands' levels in the wrong order",
    ),
    M(
        "words-sensitivity-lists-peto-always",
        "analysis",
        "analysis/methods.py",
        'common = [w for m, w in _SENS_COMMON.items() if m in set(fitted["method"])]',
        "common = list(_SENS_COMMON.values())",
        WORDS,
        "the methods paragraph lists Peto among the sensitivity models of a risk-ratio analysis that never fitted it",
    ),
    # --- lead: the blind-planted survivors' classes, after the merge ---
    M(
        "diagnostics-alpha-dropped",
        "analysis",
        "analysis/extras.py",
        "method=m.method, test=m.test, alpha=m.alpha, pi_method",
        "method=m.method, test=m.test, pi_method",
        ("tests/test_extras_level.py",),
        "the per-endpoint diagnostics (dose regression, influence) refitted at 95% whatever the analysis level",
    ),
)


def _run(tests: tuple[str, ...], src: Path, timeout: float) -> tuple[bool, float, str]:
    """(passed, seconds, tail of the output) of pytest on ``tests`` with ``src`` first on the path."""
    env = dict(os.environ, PYTHONPATH=str(src), MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-m",
        "not slow",
        "-o",
        "addopts=",
        *tests,
    ]
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, time.perf_counter() - t0, "timeout"
    return r.returncode == 0, time.perf_counter() - t0, (r.stdout + r.stderr).strip().splitlines()[-1:][0]


def _apply(copy: Path, m: Mutant) -> str:
    """Mutate the copied file; return its original text (the caller restores it)."""
    path = copy / "fmtrials" / m.file
    text = path.read_text(encoding="utf-8")
    if text.count(m.old) != 1:
        raise SystemExit(f"mutation {m.id}: the snippet occurs {text.count(m.old)} times in {m.file} (need 1)")
    path.write_text(text.replace(m.old, m.new), encoding="utf-8")
    return text


def package_summary(rows: list[tuple[Mutant, str, float]]) -> str:
    """Caught share per package: the sub-package under src/fmtrials (``fmtrials`` for top-level modules).

    >>> m = Mutant("x", "a", "meta/fitting.py", "o", "n", (), "w")
    >>> print(package_summary([(m, "caught", 1.0), (m, "survived", 1.0)]))
    | package      | caught | share |
    |--------------|--------|-------|
    | meta         |  1 / 2 |   50% |
    """
    by: dict[str, list[bool]] = {}
    for m, result, _ in rows:
        pkg = m.file.split("/", 1)[0] if "/" in m.file else "fmtrials"
        by.setdefault(pkg, []).append(result == "caught")
    lines = [f"| {'package':12s} | caught | share |", f"|{'-' * 14}|--------|-------|"]
    for pkg in sorted(by):
        got = by[pkg]
        lines.append(f"| {pkg:12s} | {sum(got):2d} / {len(got):<2d}| {100 * sum(got) / len(got):4.0f}% |")
    return "\n".join(lines)


def load_mutants(path: Path) -> tuple[Mutant, ...]:
    """The ``MUTANTS`` of another Python file (e.g. mutations planted blind, kept outside the repository).

    The file may import :func:`M` from this module (``from tools.mutants import M``; the repository root is put on
    the path) or define its own; every entry must be a :class:`Mutant` with a unique id.
    """
    import importlib.util

    spec = importlib.util.spec_from_file_location("_mutants_from_file", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"--from {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    root = str(ROOT)
    added = root not in sys.path
    if added:
        sys.path.insert(0, root)
    try:
        spec.loader.exec_module(module)
    finally:
        if added:
            sys.path.remove(root)
    found = tuple(getattr(module, "MUTANTS", ()))
    if not found or not all(isinstance(m, Mutant) or type(m).__name__ == "Mutant" for m in found):
        raise SystemExit(f"--from {path}: no MUTANTS tuple of Mutant entries")
    ids = [m.id for m in found]
    if len(set(ids)) != len(ids):
        raise SystemExit(f"--from {path}: duplicate mutation ids")
    return tuple(Mutant(m.id, m.area, m.file, m.old, m.new, tuple(m.tests), m.what) for m in found)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="mutation ids to run (default: all)")
    ap.add_argument("--list", action="store_true", help="list the mutations and exit")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per test run")
    ap.add_argument("--from", dest="from_file", metavar="FILE", help="run the MUTANTS of this Python file instead")
    ap.add_argument(
        "--skip-stale",
        action="store_true",
        help="with --from: report a mutation whose snippet no longer occurs exactly once as 'stale' (the code it "
        "targeted was rewritten) and go on, instead of stopping",
    )
    args = ap.parse_args(argv)
    if args.skip_stale and not args.from_file:
        ap.error("--skip-stale applies to --from files only: the curated gate must always apply")
    pool = load_mutants(Path(args.from_file)) if args.from_file else MUTANTS
    chosen = [m for m in pool if not args.only or m.id in args.only]
    if args.list:
        for m in chosen:
            print(f"{m.id:32s} {m.area:12s} {m.file:28s} {m.what}")
        return 0
    with tempfile.TemporaryDirectory(prefix="fmtrials-mutants-") as tmp:
        copy = Path(tmp) / "src"
        shutil.copytree(ROOT / "src", copy, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        probe = subprocess.run(
            [sys.executable, "-c", "import fmtrials; print(fmtrials.__file__)"],
            env=dict(os.environ, PYTHONPATH=str(copy)),
            capture_output=True,
            text=True,
        )
        if not probe.stdout.strip().startswith(str(copy)):
            print(f"setup: the tests would not import the copy ({probe.stdout.strip() or probe.stderr})")
            return 2
        union = tuple(sorted({t for m in chosen for t in m.tests}))
        ok, secs, tail = _run(union, copy, args.timeout)
        print(f"baseline (unmutated copy, {len(union)} test files): {'pass' if ok else 'FAIL'} in {secs:.0f} s")
        if not ok:
            print(f"setup: the unmutated sources fail the selected tests: {tail}")
            return 2
        rows, stale = [], []
        for m in chosen:
            if args.skip_stale and (copy / "fmtrials" / m.file).read_text(encoding="utf-8").count(m.old) != 1:
                stale.append(m)
                print(f"  {m.id:32s} stale          the snippet no longer occurs once in {m.file}", flush=True)
                continue
            original = _apply(copy, m)
            try:
                passed, secs, tail = _run(m.tests, copy, args.timeout)
            finally:
                (copy / "fmtrials" / m.file).write_text(original, encoding="utf-8")
            rows.append((m, "survived" if passed else "caught", secs))
            print(f"  {m.id:32s} {'SURVIVED' if passed else 'caught':8s} {secs:5.0f} s  {m.what}", flush=True)
    caught = sum(r[1] == "caught" for r in rows)
    print()
    print(f"| {'mutation':32s} | {'area':11s} | {'file':28s} | result   |")
    print(f"|{'-' * 34}|{'-' * 13}|{'-' * 30}|----------|")
    for m, result, _ in rows:
        print(f"| {m.id:32s} | {m.area:11s} | {m.file:28s} | {result:8s} |")
    print(f"\n{caught} of {len(rows)} mutations caught, {len(rows) - caught} survived")
    if stale:
        print(f"{len(stale)} stale (not run): " + ", ".join(m.id for m in stale))
    print()
    print(package_summary(rows))
    return 0 if caught == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())

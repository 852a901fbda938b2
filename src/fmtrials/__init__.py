"""fmtrials: re-analysis of the milnacipran fibromyalgia trials.

Curated trial data with provenance (``load_*``), validated per-comparison statistics, meta-analysis at R
metafor parity, an audit of published figures, publication-quality plots and a reproducible report.

Submodules are imported on first use, so ``import fmtrials`` stays light (matplotlib is imported only when
a plotting function is called).
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__
from .errors import DataError, Problem

# public name -> submodule that defines it (imported lazily on first attribute access)
_LAZY = {
    # data
    "load_trials": "data",
    "load_arms": "data",
    "load_outcomes": "data",
    "load_reported": "data",
    "load_sources": "data",
    "load_endpoints": "data",
    "load_gaps": "data",
    "load_comparator_arms": "data",
    "read_outcomes": "data",
    "read_continuous": "data",
    "contrasts": "data",
    "validate_bundled": "data",
    "data_dir": "data",
    # per-comparison statistics
    "risk_difference": "effects",
    "risk_ratio": "effects",
    "odds_ratio": "effects",
    "nnt": "effects",
    "proportion_ci": "effects",
    "proportions_test": "effects",
    "compare": "comparisons",
    "effect_sizes": "effects",
    "coverage": "effects.interval_coverage",
    "exact_power": "effects",
    "sample_size": "effects",
    "sd_from_se": "effects",
    "sd_from_ci": "effects",
    "sd_from_diff_ci": "effects",
    "sd_from_t": "effects",
    "sd_from_p": "effects",
    "sd_change": "effects",
    # meta-analysis
    "pool": "meta",
    "pool_many": "meta",
    "PoolResult": "meta",
    "leave_one_out": "meta",
    "cumulative": "meta",
    "split_shared_placebo": "meta",
    "Heterogeneity": "meta",
    "Prediction": "meta",
    "SubgroupTest": "meta",
    "meta_regression": "meta",
    "MetaRegression": "meta",
    "small_study_test": "meta",
    "trim_and_fill": "meta",
    "TrimFillResult": "meta",
    "influence": "meta",
    # network meta-analysis
    "network_meta": "network",
    "NetworkResult": "network",
    # audit
    "grim": "consistency",
    "grim_summary": "consistency",
    "parse_p": "consistency",
    "parse_p_many": "consistency",
    "audit_reported": "consistency",
    "audit": "consistency",
    "AuditResult": "consistency",
    "PInterval": "consistency",
    "reanalyse_percentages": "consistency",
    "reanalyse_reported": "consistency",
    # plots
    "plot_responders": "plots",
    "plot_forest": "plots",
    "plot_labbe": "plots",
    "plot_funnel": "plots",
    "save_figure": "plots",
    "plot_reported": "plots",
    "plot_bubble": "plots",
    "plot_baujat": "plots",
    "plot_power": "plots",
    "plot_network": "plots",
    "plot_network_forest": "plots",
    "plot_league": "plots",
    # analysis policy (what the report analyses)
    "analyse": "analysis",
    "analyse_endpoint": "analysis",
    "Analysis": "analysis",
    "EndpointAnalysis": "analysis",
    "methods_paragraph": "analysis",
    "MethodsText": "analysis",
    "default_endpoints": "analysis",
    "trial_plan": "analysis",
    "comparator_network": "analysis",
    "ComparatorNetwork": "analysis",
    # decision metrics
    "fragility_index": "decision",
    "bayes_risk_difference": "decision",
    "bayes_pool": "decision",
    "absolute_effects": "decision",
    "summary_of_findings": "decision",
    "benefit_risk": "decision",
    "what_it_means": "decision",
    "WhatItMeans": "decision",
    "BayesPool": "decision",
    # report
    "write_report": "report",
    # RevMan files in and out
    "read_revman": "revman",
    "revman_results": "revman",
    "compare_revman": "revman",
    "write_effects_csv": "revman",
    "write_revman_csv": "revman",
}

__all__ = ["__version__", "DataError", "Problem", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fmtrials' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

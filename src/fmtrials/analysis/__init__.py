"""The analysis layer: the package's analysis policy, between the statistics and the report.

What ``fmtrials report`` analyses, and how, is decided here and only here, so a notebook reproduces the
report's numbers with one call:

* :func:`analyse` analyses every endpoint (by default :func:`default_endpoints`) and adds the Holm adjustment
  within families (:func:`holm_families`: efficacy; each safety endpoint; each comparison counted once);
  :func:`analyse_endpoint` analyses one endpoint;
* the policy is declared as data: :data:`EFFICACY_ENDPOINTS` and :data:`KEY_SAFETY_ENDPOINTS` (which
  endpoints, and their direction, :func:`endpoint_event`), :data:`ANALYSIS_PREFERENCE` (one analysis per
  comparison), :data:`MAIN_MODEL` and :data:`COMMON_MODEL`, :data:`SENSITIVITY_GRID`, and the limits
  :data:`SENSITIVITY_MIN_K`, :data:`LOO_MIN_K`, :data:`LOO_MAX_K`;
* :func:`trial_plan` gives the sample size per test a confirmatory trial needs for the printed rates;
* :func:`methods_paragraph` writes the methods paragraph of an :class:`Analysis` (with numbered references);
* the main model can be named (``analyse(..., method=, test=)``, :func:`requested_model`); the rule that
  picks the model used at each k is :func:`resolve_main_model`.

Examples
--------
>>> import fmtrials
>>> res = fmtrials.analyse()
>>> res.endpoints[:3]
('composite_3', 'pain_30', 'pain_50')
>>> res["nausea"].main.estimate > 1
True
"""

from .endpoint import POOLED_COLUMNS, EndpointAnalysis, analyse_endpoint
from .methods import REFERENCES, MethodsText, methods_paragraph
from .network import PUBLISHED, ComparatorNetwork, comparator_network
from .overall import EFFICACY_FAMILY, Analysis, analyse, holm_across, holm_families
from .planning import PLAN_COLUMNS, trial_plan
from .policy import (
    ANALYSIS_PREFERENCE,
    COMMON_MODEL,
    EFFICACY_ENDPOINTS,
    EVENT_SOURCES,
    KEY_SAFETY_ENDPOINTS,
    LOO_MAX_K,
    LOO_MIN_K,
    MAIN_MODEL,
    SENSITIVITY_GRID,
    SENSITIVITY_MIN_K,
    EventSource,
    Model,
    default_endpoints,
    endpoint_event,
    requested_model,
    resolve_main_model,
    sensitivity_grid,
)

__all__ = [
    "analyse",
    "trial_plan",
    "PLAN_COLUMNS",
    "comparator_network",
    "ComparatorNetwork",
    "PUBLISHED",
    "methods_paragraph",
    "MethodsText",
    "REFERENCES",
    "analyse_endpoint",
    "Analysis",
    "EndpointAnalysis",
    "default_endpoints",
    "endpoint_event",
    "holm_across",
    "holm_families",
    "EFFICACY_FAMILY",
    "sensitivity_grid",
    "requested_model",
    "resolve_main_model",
    "Model",
    "EventSource",
    "EVENT_SOURCES",
    "EFFICACY_ENDPOINTS",
    "KEY_SAFETY_ENDPOINTS",
    "ANALYSIS_PREFERENCE",
    "MAIN_MODEL",
    "COMMON_MODEL",
    "SENSITIVITY_GRID",
    "SENSITIVITY_MIN_K",
    "LOO_MIN_K",
    "LOO_MAX_K",
    "POOLED_COLUMNS",
]

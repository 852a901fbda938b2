"""The analysis layer: the package's analysis policy, between the statistics and the report.

What ``fmtrials report`` analyses, and how, is decided here and only here, so a notebook reproduces the
report's numbers with one call:

* :func:`analyse` analyses every endpoint (by default :func:`default_endpoints`) and adds the report-wide
  Holm adjustment; :func:`analyse_endpoint` analyses one endpoint;
* the policy is declared as data: :data:`EFFICACY_ENDPOINTS` and :data:`KEY_SAFETY_ENDPOINTS` (which
  endpoints, and their direction, :func:`endpoint_event`), :data:`ANALYSIS_PREFERENCE` (one analysis per
  comparison), :data:`MAIN_MODEL` and :data:`COMMON_MODEL`, :data:`SENSITIVITY_GRID`, and the limits
  :data:`SENSITIVITY_MIN_K`, :data:`LOO_MIN_K`, :data:`LOO_MAX_K`.

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
from .overall import Analysis, analyse, holm_across
from .policy import (ANALYSIS_PREFERENCE, COMMON_MODEL, EFFICACY_ENDPOINTS, EVENT_SOURCES, KEY_SAFETY_ENDPOINTS,
                     LOO_MAX_K, LOO_MIN_K, MAIN_MODEL, SENSITIVITY_GRID, SENSITIVITY_MIN_K, EventSource, Model,
                     default_endpoints, endpoint_event, sensitivity_grid)

__all__ = [
    "analyse", "analyse_endpoint", "Analysis", "EndpointAnalysis", "default_endpoints", "endpoint_event",
    "holm_across", "sensitivity_grid", "Model", "EventSource", "EVENT_SOURCES", "EFFICACY_ENDPOINTS",
    "KEY_SAFETY_ENDPOINTS", "ANALYSIS_PREFERENCE", "MAIN_MODEL", "COMMON_MODEL", "SENSITIVITY_GRID",
    "SENSITIVITY_MIN_K", "LOO_MIN_K", "LOO_MAX_K", "POOLED_COLUMNS",
]

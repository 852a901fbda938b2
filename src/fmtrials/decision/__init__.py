"""Decision metrics: what the pooled results mean for patients.

* :func:`absolute_effects`: assumed and corresponding risks per 1000 from a pooled result;
* :func:`summary_of_findings`: GRADE-style table, computed and judged certainty domains explained;
* :func:`benefit_risk`: NNT against NNH and the likelihood to be helped or harmed (LHH);
* :func:`fragility_index`: Walsh et al. (2014) fragility index, quotient and reverse index (vectorised);
* :func:`bayes_risk_difference`: posterior of a risk difference under Beta priors (quadrature, vectorised);
* :func:`bayes_pool`: normal-normal random-effects model, half-normal prior on tau, integrated as R bayesmeta;
* :func:`what_it_means`: every table above for the report's "What it means" part.

Modules, in the order above: ``absolute``, ``sof``, ``balance``, ``fragility``, ``bayes_rd``, ``bayes_meta``,
``overview`` (``_priors`` checks the priors).
"""

from .absolute import absolute_effects
from .balance import benefit_risk
from .bayes_meta import BayesPool, bayes_pool
from .bayes_rd import bayes_risk_difference
from .fragility import fragility_index
from .overview import WhatItMeans, what_it_means
from .sof import load_judgements, optimal_information_size, summary_of_findings

__all__ = [
    "BayesPool",
    "WhatItMeans",
    "absolute_effects",
    "bayes_pool",
    "bayes_risk_difference",
    "benefit_risk",
    "fragility_index",
    "load_judgements",
    "optimal_information_size",
    "summary_of_findings",
    "what_it_means",
]

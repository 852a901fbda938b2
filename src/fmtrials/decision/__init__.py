"""Decision metrics: fragility, Bayesian probabilities of a benefit, absolute effects per 1000.

* :func:`fragility_index`: Walsh et al. (2014) fragility index, quotient and reverse index (vectorised);
* :func:`bayes_risk_difference`: posterior of a risk difference under Beta priors (quadrature, vectorised);
* :func:`bayes_pool`: normal-normal random-effects model, half-normal prior on tau, integrated as R bayesmeta;
* :func:`absolute_effects`: assumed and corresponding risks per 1000 from a pooled result.
"""

from .absolute import absolute_effects
from .bayes_pool import BayesPool, bayes_pool
from .bayes_rd import bayes_risk_difference
from .fragility import fragility_index

__all__ = ["fragility_index", "bayes_risk_difference", "bayes_pool", "BayesPool", "absolute_effects"]

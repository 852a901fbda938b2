"""Checks of prior parameters (refused outside their domain) shared by the Bayesian functions."""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from .._validation import ARGUMENTS
from ..errors import DataError, Problem

__all__ = ["check_beta_prior", "check_positive"]


def check_positive(value: Any, name: str) -> float:
    """``value`` as a finite float > 0, or DataError naming ``name``."""
    ok = isinstance(value, (Real, np.floating, np.integer)) and not isinstance(value, (bool, np.bool_))
    v = float(value) if ok else math.nan
    if not (ok and math.isfinite(v) and v > 0):
        raise DataError(Problem(f"must be a finite number > 0, got {value!r}", file=ARGUMENTS, column=name))
    return v


def check_beta_prior(prior: Any, name: str = "prior") -> tuple[float, float]:
    """A Beta(a, b) prior as two finite numbers > 0, or DataError naming ``name``."""
    try:
        a, b = prior
    except (TypeError, ValueError):
        raise DataError(
            Problem(f"must be a pair (a, b) of Beta parameters, got {prior!r}", file=ARGUMENTS, column=name)
        ) from None
    return check_positive(a, f"{name}[0] (a)"), check_positive(b, f"{name}[1] (b)")

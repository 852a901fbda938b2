"""Per-study effect sizes and their sampling variances (metafor's ``escalc``): one rule for every room.

Pooling, the per-comparison tables and the plots take their per-study log risk ratios, log odds ratios, risk
differences and variances from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ADD", "StudyEffects", "double_zero", "study_effects"]

ADD = 0.5




@dataclass
class StudyEffects:
    yi: np.ndarray          # analysis-scale effect per study (NaN where excluded)
    vi: np.ndarray          # its sampling variance (NaN where excluded)
    corrected: np.ndarray   # bool: 0.5 added to all four cells
    excluded: np.ndarray    # bool: double-zero study dropped (RR/OR/Peto)


def double_zero(a, n1, c, n2) -> np.ndarray:
    """No events in both arms, or only events in both arms (metafor's ``drop00`` definition)."""
    return ((a == 0) & (c == 0)) | ((a == n1) & (c == n2))


def study_effects(a, n1, c, n2, measure: str) -> StudyEffects:
    """Per-study yi, vi as ``escalc(measure, add=1/2, to="only0", drop00=measure != "RD")``.

    ``measure`` is "RR", "OR", "RD" or "PETO" (Peto's one-step log odds ratio).
    """
    a = a.astype(float)
    c = c.astype(float)
    b = n1 - a
    d = n2 - c
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    dz = double_zero(a, n1, c, n2)
    excluded = dz if measure != "RD" else np.zeros_like(dz)
    corrected = zero & ~excluded
    inc = np.where(corrected, ADD, 0.0)
    a, b, c, d = a + inc, b + inc, c + inc, d + inc
    m1, m2 = a + b, c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            yi = np.log(a / m1) - np.log(c / m2)
            vi = 1 / a - 1 / m1 + 1 / c - 1 / m2
        elif measure == "OR":
            yi = np.log(a * d / (b * c))
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        elif measure == "RD":
            p1, p2 = a / m1, c / m2
            yi = p1 - p2
            vi = p1 * (1 - p1) / m1 + p2 * (1 - p2) / m2
        elif measure == "PETO":
            nn = m1 + m2
            xt, yt = a + c, b + d
            e = xt * m1 / nn
            v = xt * yt * (m1 / nn) * (m2 / nn) / (nn - 1)
            yi = (a - e) / v
            vi = 1 / v
        else:  # pragma: no cover - validated by the caller
            raise ValueError(measure)
    yi = np.where(excluded, np.nan, yi)
    vi = np.where(excluded, np.nan, vi)
    return StudyEffects(yi, vi, corrected, excluded)

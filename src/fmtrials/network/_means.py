"""Input of a network meta-analysis of a continuous outcome: arms ``study, treatment, mean, sd, n``.

* ``"MD"`` (mean difference): each arm's mean with variance ``sd² / n``; a study's contrasts are the differences
  of its arms' means against its first arm, their covariance the first arm's variance off the diagonal, so every
  pairwise contrast is metafor ``escalc("MD")``'s (difference of means, variance ``sd_1²/n_1 + sd_2²/n_2``) and a
  multi-arm study enters with its exact within-study covariance (netmeta ``pairwise()`` with ``sm = "MD"``).
* ``"SMD"`` (standardised mean difference, Hedges' g): two-arm studies only, each study's g of its second arm
  against its first with escalc's variance (:func:`fmtrials.effects.continuous.mean_effects`). The pairwise
  definition does not carry over to a multi-arm study: each pair is standardised by its own pooled SD, so the
  study's pairwise g's are not differences of arm-level quantities (g_AB + g_BC != g_AC) and escalc defines no
  covariance between them. netmeta's ``pairwise()`` makes a multi-arm study's SMDs consistent by the method of
  Crippa & Orsini 2016 (Balduzzi et al. 2023, J Stat Softw 106(2), section 5.1), a different estimate from the
  pairwise g, which no reference here checks; so a multi-arm study is refused with measure="SMD" (naming it):
  use MD.

Bad values (a missing mean, SD <= 0, n < 2, not a number) are refused through :func:`fmtrials._validation.
frame_means`, every problem naming the study, the treatment, the row and the column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import frame_means
from ..effects.continuous import mean_effects
from ..errors import DataError, Problem
from ._build import Blocks, _duplicates, _problem, group_studies, labelled, start_blocks

MEAN_INPUT = ("study", "treatment", "mean", "sd", "n")


def from_means(frame: pd.DataFrame, measure: str) -> Blocks:
    """Blocks from an arm-level frame ``study, treatment, mean, sd, n`` (every problem named, all at once)."""
    frame = labelled(frame, MEAN_INPUT, ("study", "treatment"))
    probs: list[Problem] = []
    where = [f"study '{s}', treatment '{t}': " for s, t in zip(frame["study"], frame["treatment"])]
    try:
        mean, sd, n = frame_means(frame, ("mean", "sd", "n"), context=where)
    except DataError as err:
        probs.extend(err.problems)
        mean = sd = n = np.full(len(frame), np.nan)
    _duplicates(frame, probs, ("study", "treatment"))
    names, study_rows = group_studies(frame, probs)
    if measure == "SMD":
        for name, rows in zip(names, study_rows):
            if len(rows) > 2:
                probs.append(
                    _problem(
                        f"study '{name}' has {len(rows)} arms: the SMD is defined here for two-arm studies only (the "
                        "pairwise Hedges' g of a multi-arm study are not consistent and have no within-study "
                        "covariance); use measure='MD'",
                        row=int(rows[0]) + 1,
                        column="study",
                    )
                )
    if probs:
        raise DataError(probs)
    out, tcode = start_blocks(frame["treatment"], n)
    for name, rows in zip(names, study_rows):
        out.studies.append(name)
        out.arms.append(tcode[rows])
        if measure == "MD":
            va = sd[rows] ** 2 / n[rows]
            out.y.append(mean[rows][1:] - mean[rows][0])
            out.V.append(np.diag(va[1:]) + va[0])
        else:
            second, first = rows[1:2], rows[:1]
            e = mean_effects(mean[second], sd[second], n[second], mean[first], sd[first], n[first], measure="SMD")
            out.y.append(np.asarray(e.yi, dtype=float))
            out.V.append(np.asarray(e.vi, dtype=float).reshape(1, 1))
    return out

"""A multi-arm study given as contrasts: every pairwise contrast ``yi, se`` of its arms (netmeta's input).

A study with ``p`` arms is given by all ``p(p-1)/2`` pairwise contrasts (each pair once, in either direction),
as R netmeta takes it (``netmeta(TE, seTE, treat1, treat2, studlab)``; R/chkmultiarm.R refuses incomplete or
duplicated comparisons). The within-study covariance is derived from the pairwise variances as netmeta's
``multiarm()`` does (Rücker 2012, Res Synth Methods 3:312-324, section 4; Gutman & Xiao 2004): with ``R`` the
matrix of pairwise variances and ``Π = I - J/p``, the arms' (pseudo-)covariance is ``Lt = -Π R Π / 2`` and the
contrasts of every arm against the study's first arm have covariance ``D Lt D' = -D R D' / 2`` (``D = [-1 | I]``,
``D Π = D``). When the
variances are those of independent arms (``R_ij = s_i + s_j``, e.g. derived from arm-level data) this is
exactly ``diag(s_1..) + s_0``, the covariance of the arm-level input. The effects must be consistent
(``yi_AC = yi_AB + yi_BC``): the study's treatment effects are the least-squares fit of its contrasts, and a
contrast more than 0.001 from it (netmeta's ``tol.multiarm``, the same residual as R/chkmultiarm.R) is refused
naming the study. (netmeta also zeroes
a reduced weight that is negative and small; that case, variances far from any arm-level structure, is not
reproduced: a covariance that is not positive definite is refused instead.)
"""

from __future__ import annotations

import numpy as np

TOL_MULTIARM = 0.001


def multiarm(
    study: str, pairs: list[tuple[int, int]], yi: np.ndarray, var: np.ndarray, p: int
) -> tuple[np.ndarray, np.ndarray] | str:
    """``(y, V)`` of the contrasts of arms ``1..p-1`` against arm 0, from the contrasts ``yi`` (arm ``i`` minus
    arm ``j`` for each ``(i, j)`` of ``pairs``) with variances ``var``; or the reason the study is refused."""
    B = np.zeros((len(pairs), p))
    R = np.zeros((p, p))
    for k, (i, j) in enumerate(pairs):
        B[k, i], B[k, j] = 1.0, -1.0
        R[i, j] = R[j, i] = var[k]
    theta = np.linalg.lstsq(B[:, 1:], yi, rcond=None)[0]  # arm 0 fixed at 0
    worst = int(np.argmax(np.abs(B[:, 1:] @ theta - yi)))
    gap = abs(float(B[worst, 1:] @ theta - yi[worst]))
    if gap > TOL_MULTIARM:
        return (
            f"the contrasts of multi-arm study '{study}' are not consistent (yi_AC = yi_AB + yi_BC): a contrast is "
            f"{gap:.4g} from the study's least-squares consistent fit, more than netmeta's tolerance {TOL_MULTIARM:g}"
        )
    D = np.hstack([-np.ones((p - 1, 1)), np.eye(p - 1)])
    V = -0.5 * D @ R @ D.T  # = D Lt D' (D Π = D)
    if np.min(np.linalg.eigvalsh(V)) <= 0:
        return (
            f"the variances of multi-arm study '{study}' imply no valid covariance of its contrasts (not of the form "
            "v_i + v_j of independent arms)"
        )
    return theta, (V + V.T) / 2

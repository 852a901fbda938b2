"""The network model, fitted on per-study blocks (block-diagonal covariance, one tau²).

Model (R metafor ``rma.mv(yi, V, mods = X, random = ~ comp | study, struct = "CS", rho = 1/2)``, netmeta's
random-effects model): ``y_s = X_s beta + u_s + e_s``, ``e_s ~ N(0, V_s)`` within study, ``u_s ~ N(0, tau² P_s)``
with ``P_s`` one on the diagonal and 1/2 off it (contrasts sharing the study's baseline arm). Every sum over
studies is done per block size in batches, and ``X_s' A X_s`` is scattered from ``D' A D`` (``D = [-1 | I]`` maps
arms to contrasts), so a fit costs O(studies · arms² + treatments³).

* ``"common"``: generalised least squares, ``tau² = 0``;
* ``"DL"``: the generalised method of moments of DerSimonian and Laird for one tau² (Jackson, White & Riley
  2012, Stat Med 31:3805-3820): ``tau² = max(0, (Q - df) / tr(M P))`` with ``M = W - W X (X'WX)^-1 X'W``,
  ``W = V^-1`` and ``P`` the block-diagonal 1 / (1/2) structure above. netmeta (Rücker 2012, Res Synth Methods
  3:312-324; R/nma.ruecker.R) computes it in the graph-theoretical form, on all pairwise contrasts of every
  study with the reduced (multi-arm adjusted, ``multiarm()``) weights ``W_r``: ``tau² = max(0, (Q - df) /
  tr((I - H) (B B' ∘ E / 2) W_r))``, ``B`` the edge-treatment incidence matrix, ``H = B L⁺ B' W_r`` the hat
  matrix, ``E`` the same-study indicator; ``B B' ∘ E / 2`` is ``P`` written on the pairwise contrasts and the
  reduced weights give the same Laplacian ``B' W_r B = X' W X``, so the two are one estimator (checked in
  tests/test_network_continuous.py against a direct implementation of netmeta's form and against netmeta's
  printed output for the Parkinson network of Balduzzi et al. 2023, J Stat Softw 106(2), a three-arm trial:
  tau² = 0.1518);
* ``"REML"``: the root of the restricted-likelihood score in tau² (zero when the score is negative at zero),
  by Brent's method to machine precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ._build import Blocks


@dataclass
class Groups:
    """Blocks of equal size stacked: ``arms (m, k+1)``, ``y (m, k)``, ``V (m, k, k)``, ``P (k, k)``."""

    arms: np.ndarray
    y: np.ndarray
    V: np.ndarray
    P: np.ndarray
    D: np.ndarray


def group(blocks: Blocks) -> list[Groups]:
    by: dict[int, list[int]] = {}
    for i, y in enumerate(blocks.y):
        by.setdefault(len(y), []).append(i)
    out = []
    for k, idx in sorted(by.items()):
        P = np.full((k, k), 0.5) + 0.5 * np.eye(k)
        D = np.hstack([-np.ones((k, 1)), np.eye(k)])
        out.append(
            Groups(
                arms=np.stack([blocks.arms[i] for i in idx]),
                y=np.stack([blocks.y[i] for i in idx]),
                V=np.stack([blocks.V[i] for i in idx]),
                P=P,
                D=D,
            )
        )
    return out


def _scatter(T: int, arms: np.ndarray, A: np.ndarray) -> np.ndarray:
    """sum over studies of E_s' A_s E_s as a T x T matrix (A_s of shape (m, k+1, k+1) on arm indices)."""
    rows = arms[:, :, None] * T + arms[:, None, :]
    return np.bincount(rows.ravel(), weights=A.ravel(), minlength=T * T).reshape(T, T)


def _scatter_vec(T: int, arms: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.bincount(arms.ravel(), weights=a.ravel(), minlength=T)


@dataclass
class Fit:
    beta: np.ndarray  # effects of treatments (all T, reference = 0), analysis scale
    cov: np.ndarray  # T x T covariance (reference row/column zero)
    tau2: float
    q: float  # common-effect Q (r' V^-1 r)
    q_df: int


def _pieces(groups: list[Groups], T: int, ref: int, tau2: float, beta: np.ndarray | None = None):
    """X'WX, X'Wy (reference dropped) and, with ``beta``, the REML score terms, at ``tau2``."""
    F = np.zeros((T, T))
    g = np.zeros(T)
    for G in groups:
        W = np.linalg.inv(G.V + tau2 * G.P)
        F += _scatter(T, G.arms, G.D.T @ W @ G.D)
        g += _scatter_vec(T, G.arms, np.einsum("ak,mkl,ml->ma", G.D.T, W, G.y))
    keep = np.arange(T) != ref
    return F[np.ix_(keep, keep)], g[keep]


def _score(groups: list[Groups], T: int, ref: int, tau2: float) -> tuple[float, float, np.ndarray, np.ndarray]:
    """(REML score at tau2, tr(M P) at tau2, beta, cov) where M is the residual projector of Sigma^-1."""
    F, g = _pieces(groups, T, ref, tau2)
    cov_r = np.linalg.inv(F)
    b = np.zeros(T)
    keep = np.arange(T) != ref
    b[keep] = cov_r @ g
    trWP = 0.0
    B = np.zeros((T, T))
    quad = 0.0
    for G in groups:
        W = np.linalg.inv(G.V + tau2 * G.P)
        WP = W @ G.P
        trWP += float(np.einsum("mkk->", WP))
        WPW = WP @ W
        B += _scatter(T, G.arms, G.D.T @ WPW @ G.D)
        r = G.y - (b[G.arms[:, 1:]] - b[G.arms[:, :1]])
        u = np.einsum("mkl,ml->mk", W, r)
        quad += float(np.einsum("mk,kl,ml->", u, G.P, u))
    trMP = trWP - float(np.sum(cov_r * B[np.ix_(keep, keep)]))
    cov = np.zeros((T, T))
    cov[np.ix_(keep, keep)] = cov_r
    return 0.5 * (quad - trMP), trMP, b, cov


def q_stat(groups: list[Groups], b: np.ndarray) -> float:
    """r' V^-1 r of the residuals of ``b`` (the common-effect Q when ``b`` is the GLS estimate)."""
    q = 0.0
    for G in groups:
        r = G.y - (b[G.arms[:, 1:]] - b[G.arms[:, :1]])
        q += float(np.einsum("mk,mk->", r, np.linalg.solve(G.V, r[..., None])[..., 0]))
    return q


def fit(blocks: Blocks, ref: int, method: str) -> Fit:
    groups = group(blocks)
    T = len(blocks.treatments)
    n_contrasts = sum(len(y) for y in blocks.y)
    df = n_contrasts - (T - 1)
    s0, trMP0, b0, cov0 = _score(groups, T, ref, 0.0)
    q = q_stat(groups, b0)
    if method == "common":
        return Fit(b0, cov0, 0.0, q, df)
    if method == "DL":
        tau2 = max(0.0, (q - df) / trMP0) if trMP0 > 0 else 0.0
    else:
        tau2 = 0.0
        if s0 > 0:
            hi = max(1e-4, 2 * abs((q - df) / trMP0) if trMP0 > 0 else 1.0)
            while _score(groups, T, ref, hi)[0] > 0:
                hi *= 4
            tau2 = optimize.brentq(lambda t: _score(groups, T, ref, t)[0], 0.0, hi, xtol=1e-15, rtol=1e-15, maxiter=500)
    _, _, b, cov = _score(groups, T, ref, tau2)
    return Fit(b, cov, float(tau2), q, df)

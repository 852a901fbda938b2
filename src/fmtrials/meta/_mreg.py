"""Numerical core of meta-regression: ``rma.uni(yi, vi, mods = X, intercept = FALSE)`` at metafor 3.8 parity.

One weighted least-squares fit of ``y`` on the design ``X`` (k x p) with weights ``1 / (v + tau²)``; tau² by
the common-effect model (0), DerSimonian-Laird, Paule-Mandel or REML (Fisher scoring, as metafor). Nothing
here forms the k x k matrix P = W - W X (X'WX)^-1 X'W: every trace and quadratic form is computed from
p x p matrices (O(k p²) time and O(k p) memory), so a fit of 10,000 studies is as cheap as a pooled mean.

Formulas (Viechtbauer 2005, J Educ Behav Stat 30:261-293; metafor ``rma.uni`` source):

* ``y'Py = sum w (y - X b)²``; ``tr P = sum w - tr(A^-1 X'W²X)``;
  ``tr PP = sum w² - 2 tr(A^-1 X'W³X) + tr((A^-1 X'W²X)²)`` with ``A = X'WX``;
* DL: tau² = max(0, (QE - (k - p)) / tr P(0)); PM: y'P(tau²)y = k - p;
  REML: tau² += (y'PPy - tr P) / tr PP, halved while it would go below 0;
* Knapp-Hartung (``test="knha"``): vb multiplied by s² = y'Py / (k - p) (0 when y'Py is ~0), t(k - p) tests
  and the omnibus test QM / m against F(m, k - p).

The fit is computed on centred and scaled moderators (:func:`_standardise`: ``Z = X S``, each non-constant
column minus its mean over its standard deviation when the design has an intercept column, else divided by
its root mean square) and transformed back (``beta = S gamma``, ``vb = S Vg S'``): a moderator such as a
year offset by 2e7 would otherwise make ``X'WX`` too ill-conditioned for double precision (wrong slopes
without a warning). tau², the residual Q, the weights and s² depend only on the column space and are
unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from .._vocab import MREG_METHODS
from ..errors import ConvergenceError

__all__: list[str] = []  # private module

__all__ += ["MREG_METHODS"]  # re-exported from _vocab: tau² estimators ("IV" = common effect, metafor "FE")


@dataclass(frozen=True)
class MFit:
    """One weighted fit: coefficients, their covariance (Knapp-Hartung-scaled when asked), tau², QE, s²."""

    beta: np.ndarray
    vb: np.ndarray
    tau2: float
    qe: float
    k: int
    p: int
    s2w: float
    w: np.ndarray


def _parts(y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2: float):
    """Weights, A^-1, coefficients, y'Py, tr P, tr PP and y'PPy at ``tau2``."""
    w = 1 / (v + tau2)
    Xw = X * w[:, None]
    A_inv = np.linalg.inv(X.T @ Xw)
    beta = A_inv @ (Xw.T @ y)
    r = y - X @ beta
    py = w * r
    B = A_inv @ (X.T @ (Xw * w[:, None]))  # A^-1 X'W²X
    C = A_inv @ (X.T @ (Xw * (w**2)[:, None]))  # A^-1 X'W³X
    tr_p = w.sum() - np.trace(B)
    tr_pp = (w**2).sum() - 2 * np.trace(C) + np.trace(B @ B)
    return w, A_inv, beta, float((w * r**2).sum()), float(tr_p), float(tr_pp), float((py**2).sum())


def _reml(y, v, X, tol: float, maxiter: int) -> float:
    k, p = X.shape
    # Hedges-type start: OLS residual sum of squares minus the sampling variance it contains
    xtx_inv = np.linalg.inv(X.T @ X)
    h = np.einsum("ij,jk,ik->i", X, xtx_inv, X)
    rss = float(((y - X @ (xtx_inv @ (X.T @ y))) ** 2).sum())
    tau2 = max(0.0, (rss - float(((1 - h) * v).sum())) / (k - p))
    for _ in range(maxiter):
        _, _, _, _, tr_p, tr_pp, ypy2 = _parts(y, v, X, tau2)
        adj = (ypy2 - tr_p) / tr_pp
        if not np.isfinite(adj):
            adj = 0.0
        while tau2 + adj < 0:
            adj /= 2
        new = tau2 + adj
        if abs(new - tau2) <= tol:
            return max(0.0, new)
        tau2 = new
    raise ConvergenceError(
        f"REML Fisher scoring did not converge in {maxiter} iterations; increase maxiter or use method='DL'/'PM'"
    )


def _pm(y, v, X, tol: float) -> float:
    k, p = X.shape

    def q(t):
        return _parts(y, v, X, t)[3] - (k - p)

    if q(0.0) <= 0:
        return 0.0
    hi = 100.0
    for _ in range(30):
        if q(hi) < 0:
            return float(optimize.brentq(q, 0.0, hi, xtol=tol, rtol=4 * np.finfo(float).eps, maxiter=1000))
        hi *= 10
    raise ConvergenceError("could not bracket the Paule-Mandel root for tau²")


def tau2_of(y: np.ndarray, v: np.ndarray, X: np.ndarray, method: str, tol: float = 1e-12, maxiter: int = 1000) -> float:
    """tau² of the model ``y ~ X`` by ``method`` (one of :data:`MREG_METHODS`)."""
    k, p = X.shape
    if method == "IV" or k <= p:
        return 0.0
    if method == "DL":
        _, _, _, qe, tr_p, _, _ = _parts(y, v, X, 0.0)
        return max(0.0, (qe - (k - p)) / tr_p)
    if method == "PM":
        return _pm(y, v, X, tol)
    return _reml(y, v, X, tol, maxiter)


def _standardise(X: np.ndarray) -> np.ndarray:
    """The p x p matrix ``S`` with ``X S`` centred and scaled (see the module docstring)."""
    k, p = X.shape
    S = np.eye(p)
    ones = [j for j in range(p) if np.all(X[:, j] == 1.0)]
    for j in range(p):
        if j in ones:
            continue
        col = X[:, j]
        if ones:
            c = float(col.mean())
            scale = float(np.sqrt(((col - c) ** 2).mean()))
            if scale > 0 and np.isfinite(scale):
                S[j, j] = 1.0 / scale
                S[ones[0], j] = -c / scale
        else:
            scale = float(np.sqrt((col**2).mean()))
            if scale > 0 and np.isfinite(scale):
                S[j, j] = 1.0 / scale
    return S


def mfit(
    y: np.ndarray, v: np.ndarray, X: np.ndarray, method: str, test: str = "z", tol: float = 1e-12, maxiter: int = 1000
) -> MFit:
    """Fit ``y ~ X`` (no intercept added) with ``method`` and ``test`` (``"z"``, ``"knha"``, ``"adhoc"``)."""
    k, p = X.shape
    S = _standardise(X)
    Z = X @ S
    tau2 = tau2_of(y, v, Z, method, tol, maxiter)
    qe = _parts(y, v, Z, 0.0)[3]
    w, A_inv, gamma, ypy, _, _, _ = _parts(y, v, Z, tau2)
    beta, A_inv = S @ gamma, S @ A_inv @ S.T
    s2w = 1.0
    if test != "z":
        s2w = 0.0 if ypy <= np.finfo(float).eps else ypy / (k - p)
        if test == "adhoc":
            s2w = max(s2w, 1.0)
    return MFit(beta=beta, vb=A_inv * s2w, tau2=float(tau2), qe=max(0.0, float(qe)), k=k, p=p, s2w=float(s2w), w=w)

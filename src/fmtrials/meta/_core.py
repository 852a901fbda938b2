"""Numerical core of :mod:`fmtrials.meta`: per-study effects, pooling, tau² estimators, Q-profile.

Every function here works on 1-d numpy arrays of one analysis (all studies at once, no Python loop per study).
Formulas follow R metafor 3.8 (``escalc``, ``rma.uni``, ``rma.mh``, ``rma.peto``, ``confint.rma.uni``,
``predict.rma``); the references are listed in :mod:`fmtrials.meta`.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special

from ..errors import ConvergenceError

__all__: list[str] = []  # private module


# ------------------------------------------------------------------------------------------ common effect
def mh(a, n1, c, n2, measure: str) -> tuple[float, float]:
    """Mantel-Haenszel estimate (log scale for RR/OR) and SE from the raw counts, as ``rma.mh``.

    Variances: Robins, Breslow & Greenland (1986) for OR; Greenland & Robins (1985) for RR; Sato, Greenland &
    Robins (1989) for RD. Returns (nan, nan) when the estimate is undefined (e.g. no events in one arm type).
    Every table counts, double-zero ones included (``rma.mh``'s default ``drop00 = c(TRUE, FALSE)``): a table
    with all events in both arms pulls a risk ratio or difference towards no effect.
    """
    a, c = a.astype(float), c.astype(float)
    n1, n2 = n1.astype(float), n2.astype(float)
    b, d = n1 - a, n2 - c
    nn = n1 + n2
    if measure == "OR":
        p, q = (a + d) / nn, (b + c) / nn
        r, s = a * d / nn, b * c / nn
        R, S = r.sum(), s.sum()
        if R == 0 or S == 0:
            return np.nan, np.nan
        var = 0.5 * ((p * r).sum() / R**2 + (p * s + q * r).sum() / (R * S) + (q * s).sum() / S**2)
        return float(np.log(R / S)), float(np.sqrt(var))
    if measure == "RR":
        R, S = (a * n2 / nn).sum(), (c * n1 / nn).sum()
        if a.sum() == 0 or c.sum() == 0:
            return np.nan, np.nan
        var = ((n1 / nn) * (n2 / nn) * (a + c) - (a / nn) * c).sum() / (R * S)
        # 0 in exact arithmetic for tables with all events in both arms: rounding must not make it NaN
        return float(np.log(R / S)), float(np.sqrt(max(var, 0.0)))
    # RD
    W = (n1 * n2 / nn).sum()
    beta = (a * n2 / nn - c * n1 / nn).sum() / W
    P = (c * (n1 / nn) ** 2 - a * (n2 / nn) ** 2 + (n1 / nn) * (n2 / nn) * (n2 - n1) / 2).sum()
    Q = (a * (n2 - c) / nn + c * (n1 - a) / nn).sum() / 2
    return float(beta), float(np.sqrt(max((beta * P + Q) / W**2, 0.0)))


def mh_weights(a, n1, c, n2, measure: str) -> np.ndarray:
    """Unnormalised MH weights as ``weights.rma.mh`` (raw counts)."""
    a, c = a.astype(float), c.astype(float)
    n1, n2 = n1.astype(float), n2.astype(float)
    nn = n1 + n2
    if measure == "OR":
        return (n1 - a) * c / nn
    if measure == "RR":
        return c * n1 / nn
    return n1 * n2 / nn


def peto(a, n1, c, n2) -> tuple[float, float, float, np.ndarray]:
    """Peto one-step log OR, its SE, Q (as ``rma.peto``) and the per-study hypergeometric variances."""
    a = a.astype(float)
    n1, n2, c = n1.astype(float), n2.astype(float), c.astype(float)
    nn = n1 + n2
    xt = a + c
    yt = nn - xt
    e = xt * n1 / nn
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(nn > 1, xt * yt * (n1 / nn) * (n2 / nn) / (nn - 1), 0.0)
    sv = v.sum()
    if sv == 0:
        return np.nan, np.nan, np.nan, v
    o_e = a - e
    pos = v > 0
    q = max(0.0, float((o_e[pos] ** 2 / v[pos]).sum() - o_e.sum() ** 2 / sv))
    return float(o_e.sum() / sv), float(np.sqrt(1 / sv)), q, v


def iv_fixed(yi, vi) -> tuple[float, float, float]:
    """Inverse-variance common-effect estimate, SE and Cochran's Q."""
    w = 1 / vi
    sw = w.sum()
    beta = (w * yi).sum() / sw
    q = float((w * (yi - beta) ** 2).sum())
    return float(beta), float(np.sqrt(1 / sw)), max(0.0, q)


# ---------------------------------------------------------------------------------------- random effects
def q_gen(tau2: float, yi, vi) -> float:
    """Generalised Q: sum w(tau2) (y - mu(tau2))^2 with w = 1/(v + tau2) (decreasing in tau2)."""
    w = 1 / (vi + tau2)
    mu = (w * yi).sum() / w.sum()
    return float((w * (yi - mu) ** 2).sum())


def tau2_dl(yi, vi) -> float:
    """DerSimonian-Laird (1986) estimator, truncated at 0."""
    w = 1 / vi
    sw = w.sum()
    mu = (w * yi).sum() / sw
    q = (w * (yi - mu) ** 2).sum()
    return max(0.0, float((q - (len(yi) - 1)) / (sw - (w**2).sum() / sw)))


def tau2_dl_from_q(q: float, vi) -> float:
    """The DerSimonian-Laird moment formula for a given Q: max(0, (Q - (k - 1)) / (sum w - sum w² / sum w))
    with w = 1/v. With Q around the Mantel-Haenszel estimate this is RevMan 5's tau² for "M-H, Random"."""
    w = 1 / vi
    sw = w.sum()
    return max(0.0, float((q - (len(vi) - 1)) / (sw - (w**2).sum() / sw)))


def tau2_upper(yi, vi) -> float:
    """An upper bound U for the REML and Paule-Mandel estimates of tau²: ``sum (y - ȳ)² / (k - 1) + max v``.

    With w = 1/(v + tau²) and the weighted mean mu, ``Q_gen(tau²) <= sum w (y - ȳ)² <= S / (tau² + min v)``
    (S = sum (y - ȳ)²), so Q_gen(U) < k - 1 (the Paule-Mandel root is below U); and
    ``y'PPy = sum w² (y - mu)² <= max(w) Q_gen <= max(w)² S`` while ``tr P >= (k - 1) min(w)``, so the REML
    score y'PPy - tr P is negative for every tau² >= U (no stationary point of the restricted likelihood above U).
    """
    k = len(yi)
    return float(((yi - yi.mean()) ** 2).sum() / (k - 1) + vi.max())


def tau2_pm(yi, vi) -> float:
    """Paule-Mandel (1982) estimator: Q_gen(tau2) = k - 1 (Q_gen decreases), 0 when Q_gen(0) <= k - 1.

    The root is bracketed in [0, :func:`tau2_upper`] (no search for a bracket that could fail) and found by
    Brent's method to machine precision (relative 4 eps), so that every quantity computed from it (I², H², the
    pooled estimate) is exact to rounding, whatever the scale of tau².
    """
    k = len(yi)
    if not q_gen(0.0, yi, vi) > k - 1:
        return 0.0
    g = lambda t: q_gen(t, yi, vi) - (k - 1)  # noqa: E731
    hi = tau2_upper(yi, vi)
    if not (np.isfinite(hi) and g(hi) <= 0):
        raise ConvergenceError(f"could not bracket the Paule-Mandel root for tau² in [0, {hi:g}]")
    eps = np.finfo(float).eps
    return float(optimize.brentq(g, 0.0, hi, xtol=np.finfo(float).tiny, rtol=4 * eps, maxiter=1000))


def _reml_ll(tau2: float, yi, vi) -> float:
    w = 1 / (vi + tau2)
    sw = w.sum()
    mu = (w * yi).sum() / sw
    return float(
        -0.5 * (len(yi) - 1) * np.log(2 * np.pi)
        - 0.5 * np.log(vi + tau2).sum()
        - 0.5 * np.log(sw)
        - 0.5 * (w * (yi - mu) ** 2).sum()
    )


def reml_score(tau2, yi, vi):
    """Twice the REML score ``y'PPy - tr P`` at each of ``tau2`` (an array: one column of weights per value)."""
    t = np.atleast_1d(np.asarray(tau2, dtype=float))
    w = 1 / (vi[:, None] + t[None, :])
    sw = w.sum(axis=0)
    mu = (w * yi[:, None]).sum(axis=0) / sw
    return ((w * (yi[:, None] - mu)) ** 2).sum(axis=0) - (sw - (w**2).sum(axis=0) / sw)


#: points of the grid on which :func:`reml_search` looks for sign changes of the score (0 and a geometric grid)
SEARCH_POINTS = 200


def reml_search(yi, vi, tol: float = 1e-12) -> float:
    """The maximum of the restricted likelihood on [0, U] (U = :func:`tau2_upper`), by a safeguarded search.

    The REML score (``y'PPy - tr P``) is evaluated on 0 and a geometric grid of :data:`SEARCH_POINTS` points up
    to U; every change of sign from + to - brackets a local maximum, found by Brent's method on the score
    (``xtol=tol``); the boundary tau² = 0 is a candidate when the score there is <= 0, and is then returned as
    exactly 0. The candidate with the highest restricted log-likelihood wins. The score is negative above U,
    so a maximum always lies in the searched range; raises :class:`ConvergenceError` only when the data give
    no finite likelihood.
    """
    hi = tau2_upper(yi, vi)
    if not (np.isfinite(hi) and np.isfinite(yi).all() and np.isfinite(vi).all() and (vi > 0).all()):
        raise ConvergenceError("REML: the restricted likelihood is not finite for these effects and variances")
    grid = np.concatenate(([0.0], np.geomspace(hi * 1e-12, hi, SEARCH_POINTS)))
    s = reml_score(grid, yi, vi)
    cands = [0.0] if s[0] <= 0 else []
    f = lambda t: float(reml_score(t, yi, vi)[0])  # noqa: E731
    for i in np.nonzero((s[:-1] > 0) & (s[1:] <= 0))[0].tolist():
        if s[i + 1] == 0:
            cands.append(float(grid[i + 1]))
        else:
            cands.append(float(optimize.brentq(f, grid[i], grid[i + 1], xtol=tol, rtol=4 * np.finfo(float).eps)))
    if not cands:  # pragma: no cover - the score is negative at U, so a sign change exists when s[0] > 0
        raise ConvergenceError("REML: no maximum of the restricted likelihood found in [0, U]")
    ll = [_reml_ll(t, yi, vi) for t in cands]
    return cands[int(np.argmax(ll))]


def reml_fisher_step(tau2: float, yi, vi) -> float:
    """One Fisher scoring step of ``rma.uni``: the change in tau² (halved while tau² would go below 0)."""
    w = 1 / (vi + tau2)
    sw, sw2, sw3 = w.sum(), (w**2).sum(), (w**3).sum()
    mu = (w * yi).sum() / sw
    py = w * (yi - mu)
    tr_p = sw - sw2 / sw
    tr_pp = sw2 - 2 * sw3 / sw + sw2**2 / sw**2
    adj = ((py**2).sum() - tr_p) / tr_pp
    if not np.isfinite(adj):
        adj = 0.0
    while tau2 + adj < 0:
        adj /= 2
    return adj


def tau2_he(yi, vi) -> float:
    """The Hedges (HE) estimator, metafor's start for Fisher scoring."""
    k = len(yi)
    rss = ((yi - yi.mean()) ** 2).sum()
    return max(0.0, float((rss - (vi.sum() - vi.sum() / k)) / (k - 1)))


def tau2_reml(yi, vi, tol: float = 1e-10, maxiter: int = 100) -> tuple[float, int]:
    """REML: Fisher scoring as ``rma.uni(method="REML")``, then a safeguarded search when it does not converge.

    Fisher scoring starts from the Hedges (HE) estimator, halves a step that would go below 0 and stops when
    the change in tau² is at most ``tol``; then metafor's ``ll0check``: tau² = 0 when the restricted
    log-likelihood there is higher. Fisher scoring can cycle without converging (a step that overshoots the
    maximum by more than it gained); after ``maxiter`` iterations :func:`reml_search` finds the maximum of the
    restricted likelihood on [0, U] instead (the estimator is the same; only the algorithm changes). Returns
    (tau2, iterations); ``iterations > maxiter`` means the search gave the value.
    """
    tau2 = tau2_he(yi, vi)
    change, it = np.inf, 0
    while change > tol:
        it += 1
        if it > maxiter:
            return reml_search(yi, vi, tol=tol), it
        adj = reml_fisher_step(tau2, yi, vi)
        new = tau2 + adj
        change = abs(new - tau2)
        tau2 = new
    if tau2 > tol and _reml_ll(0.0, yi, vi) - _reml_ll(tau2, yi, vi) > 1e-8:
        tau2 = 0.0
    return max(0.0, float(tau2)), it


def re_fit(yi, vi, tau2: float) -> tuple[float, float, np.ndarray]:
    """Random-effects estimate and (classic) SE for a given tau²; also the weights."""
    w = 1 / (vi + tau2)
    sw = w.sum()
    return float((w * yi).sum() / sw), float(np.sqrt(1 / sw)), w


def typical_v(vi) -> float:
    """metafor's 'typical' within-study variance (k - 1) / tr(P) with P from w = 1/v (Higgins & Thompson 2002)."""
    w = 1 / vi
    sw = w.sum()
    return float((len(vi) - 1) / (sw - (w**2).sum() / sw))


def qprofile_ci(yi, vi, alpha: float, tau2: float, tol: float = 1e-12) -> tuple[float, float, list[str]]:
    """Q-profile confidence interval for tau² (Viechtbauer 2007), as ``confint.rma.uni`` (type "QP").

    The search range is [0, max(100, 10 tau²)] as in metafor; a bound that does not fit in it is returned as
    the range end with a note (metafor does the same and warns).
    """
    k = len(yi)
    df = k - 1
    crit_u = float(special.chdtri(df, alpha / 2))
    crit_l = float(special.chdtri(df, 1 - alpha / 2))
    tmax = max(100.0, 10 * tau2)
    f = lambda t: q_gen(t, yi, vi)  # noqa: E731
    notes: list[str] = []
    q0, qmax = f(0.0), f(tmax)
    g = lambda t, target: f(t) - target  # noqa: E731
    bt = dict(xtol=tol, rtol=4 * np.finfo(float).eps, maxiter=1000)
    # upper bound: Q_gen(ub) = chi2 lower quantile
    if q0 < crit_l:
        lb = ub = 0.0
        notes.append("tau² CI: Q(0) is below the lower critical value; both bounds set to 0")
        return lb, ub, notes
    if qmax > crit_l:
        ub = tmax
        notes.append(f"tau² CI upper bound exceeds the search limit {tmax:g}; reported as that limit")
    else:
        ub = float(optimize.brentq(g, 0.0, tmax, args=(crit_l,), **bt))
    if qmax > crit_u:
        lb = tmax
    elif q0 < crit_u:
        lb = 0.0
    else:
        lb = float(optimize.brentq(g, 0.0, tmax, args=(crit_u,), **bt))
    return lb, ub, notes


def knha_scale(yi, w, beta: float) -> float:
    """Knapp-Hartung factor s² = sum w (y - beta)² / (k - 1) (0 when the residual sum is ~0, as metafor)."""
    rss = float((w * (yi - beta) ** 2).sum())
    if rss <= np.finfo(float).eps:
        return 0.0
    return rss / (len(yi) - 1)

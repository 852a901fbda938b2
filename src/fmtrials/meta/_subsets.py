"""Many analyses at once: the common-effect and DerSimonian-Laird fits of every subset of one table.

A subset is a row of a boolean matrix over the studies (leave-one-out: all but one; cumulative: the first
i). For MH, Peto, IV and DL each quantity of :mod:`fmtrials.meta.fitting` is a sum over the studies of a
subset, so all subsets are computed with array operations on blocks of the subset matrix (at most
:data:`BLOCK` cells at a time, O(k²) work in total, no Python loop per subset). The iterative estimators
(REML, PM) are not handled here. Subsets on which a special rule applies (k < 3, an undefined estimate, a zero
standard error) are marked so the caller refits them one by one with the ordinary steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import special

from ..effects.sizes import study_effects
from ._table import Data
from .fitting import ROW_COLUMNS, Options
from .result import back, crit

__all__: list[str] = []  # private module

#: the largest number of matrix cells handled at once (bounds the memory: 8 bytes each, a few arrays)
BLOCK = 2_000_000
#: the methods computed here in closed form
FAST_METHODS = ("MH", "Peto", "IV", "DL")


def _mh(M: np.ndarray, a, n1, c, n2, measure: str) -> tuple[np.ndarray, np.ndarray]:
    """Mantel-Haenszel estimate and SE of every subset (rows of the 0/1 matrix ``M``), as ``core.mh``."""
    a, c, n1, n2 = (x.astype(float) for x in (a, c, n1, n2))
    b, d = n1 - a, n2 - c
    nn = n1 + n2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            p, q = (a + d) / nn, (b + c) / nn
            r, s = a * d / nn, b * c / nn
            R, S = M @ r, M @ s
            var = 0.5 * ((M @ (p * r)) / R**2 + (M @ (p * s + q * r)) / (R * S) + (M @ (q * s)) / S**2)
            beta = np.where((R == 0) | (S == 0), np.nan, np.log(R / S))
            return beta, np.where(np.isfinite(beta), np.sqrt(var), np.nan)
        if measure == "RR":
            R, S = M @ (a * n2 / nn), M @ (c * n1 / nn)
            var = (M @ ((n1 / nn) * (n2 / nn) * (a + c) - (a / nn) * c)) / (R * S)
            beta = np.where(((M @ a) == 0) | ((M @ c) == 0), np.nan, np.log(R / S))
            return beta, np.where(np.isfinite(beta), np.sqrt(var), np.nan)
        W = M @ (n1 * n2 / nn)
        beta = (M @ (a * n2 / nn - c * n1 / nn)) / W
        P = M @ (c * (n1 / nn) ** 2 - a * (n2 / nn) ** 2 + (n1 / nn) * (n2 / nn) * (n2 - n1) / 2)
        Q = (M @ (a * (n2 - c) / nn + c * (n1 - a) / nn)) / 2
        return beta, np.sqrt((beta * P + Q) / W**2)


def _peto(M: np.ndarray, a, n1, c, n2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Peto estimate, SE and Q of every subset, as ``core.peto``."""
    a, c, n1, n2 = (x.astype(float) for x in (a, c, n1, n2))
    nn = n1 + n2
    xt = a + c
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(nn > 1, xt * (nn - xt) * (n1 / nn) * (n2 / nn) / (nn - 1), 0.0)
        o_e = a - xt * n1 / nn
        sv, so = M @ v, M @ o_e
        q = np.maximum(0.0, M @ np.where(v > 0, o_e**2 / v, 0.0) - so**2 / sv)
        beta = np.where(sv == 0, np.nan, so / sv)
        return beta, np.sqrt(1 / sv), np.where(sv == 0, np.nan, q)


def _block(
    M: np.ndarray, d: Data, y: np.ndarray, v: np.ndarray, o: Options, M_all: np.ndarray
) -> tuple[dict, np.ndarray]:
    """The sensitivity columns of the subsets in ``M`` and a mask of the subsets to refit one by one.

    ``M`` holds the studies with a per-study effect, ``M_all`` every study of the subset: the Mantel-Haenszel
    sums (and its k) take every table, double-zero ones included, as :func:`fmtrials.meta.fitting.common_step`.
    """
    k = M.sum(axis=1)
    Mf = (M_all if o.method == "MH" else M).astype(float)
    w = np.where(M, 1 / v, 0.0)  # inverse-variance weights, 0 outside the subset
    sw = w.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = (w * y).sum(axis=1) / sw
        q_iv = np.maximum(0.0, (w * (y - mu[:, None]) ** 2).sum(axis=1))
        tau2 = np.zeros(len(M))
        if o.method == "MH":
            beta, se = _mh(Mf, d.a, d.n1, d.c, d.n2, o.measure)
            q = np.maximum(0.0, np.where(M, (y - beta[:, None]) ** 2 / v, 0.0).sum(axis=1))
        elif o.method == "Peto":
            beta, se, q = _peto(Mf, d.a, d.n1, d.c, d.n2)
        else:
            beta, se, q = mu, np.sqrt(1 / sw), q_iv
        if o.method == "DL":
            tr = sw - (w**2).sum(axis=1) / sw
            tau2 = np.maximum(0.0, (q_iv - (k - 1)) / tr)
            wr = np.where(M, 1 / (v + tau2[:, None]), 0.0)
            swr = wr.sum(axis=1)
            beta, se = (wr * y).sum(axis=1) / swr, np.sqrt(1 / swr)
        else:
            wr = w
        se_classic = se
        dist, dfree = "z", None
        if o.test != "z":
            rss = (wr * (y - beta[:, None]) ** 2).sum(axis=1)
            s2 = np.where(rss <= np.finfo(float).eps, 0.0, rss / (k - 1))
            if o.test == "hksj-adhoc":
                s2 = np.maximum(s2, 1.0)
            se = np.sqrt(s2) * se
            dist, dfree = "t", (k - 1).astype(float)
        statistic = beta / se
        if dist == "t":
            p = 2 * special.stdtr(dfree, -np.abs(statistic))
            cr = special.stdtrit(dfree, 1 - o.alpha / 2)
        else:
            p = 2 * special.ndtr(-np.abs(statistic))
            cr = crit(o.alpha, "z", None)
        if o.model == "random":
            vt = (k - 1) / tr
            i2_tau2 = 100 * tau2 / (vt + tau2)
            if o.pi_method == "hts":
                half = special.stdtrit(k - 2, 1 - o.alpha / 2) * np.sqrt(se_classic**2 + tau2)
            elif o.test != "z":
                half = cr * np.sqrt(se**2 + tau2)
            else:
                half = crit(o.alpha, "z", None) * np.sqrt(se_classic**2 + tau2)
            pi = (beta - half, beta + half)
        else:
            i2_tau2 = np.full(len(M), np.nan)
            pi = (np.full(len(M), np.nan), np.full(len(M), np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):  # Q-based I², every model
        i2 = np.where(q > 0, np.maximum(0.0, 100 * (q - (k - 1)) / q), 0.0)
    refit = (k < 3) | ~np.isfinite(beta) | ~np.isfinite(se) | ~(se > 0) | ~np.isfinite(q)
    m = o.measure
    cols = {
        "k": M_all.sum(axis=1) if o.method == "MH" else k,
        "estimate": back(beta, m),
        "ci_low": back(beta - cr * se, m),
        "ci_high": back(beta + cr * se, m),
        "beta": beta,
        "se": se,
        "statistic": statistic,
        "p_value": p,
        "q": q,
        "q_p": special.chdtrc(k - 1, q),
        "i2": i2,
        "i2_tau2": i2_tau2,
        "tau2": tau2,
        "pi_low": back(pi[0], m),
        "pi_high": back(pi[1], m),
    }
    return cols, refit


def subset_rows(
    d: Data, o: Options, n_subsets: int, mask: Callable[[int, int], np.ndarray]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Sensitivity columns of ``n_subsets`` subsets; ``mask(start, stop)`` gives their rows of the subset matrix.

    Returns the columns (arrays of length ``n_subsets``) and the boolean mask of subsets the caller must refit
    one by one (their values here are not to be used).
    """
    mh = o.method == "MH"
    measure: Any = "PETO" if o.method == "Peto" else o.measure
    eff = study_effects(d.a, d.n1, d.c, d.n2, measure=measure, drop00=True if mh else None)
    inc = ~eff.excluded
    y = np.where(inc, eff.yi, 0.0)
    v = np.where(inc, eff.vi, 1.0)
    step = max(1, BLOCK // max(len(d.a), 1))
    out = {c: np.empty(n_subsets) for c in ROW_COLUMNS}
    refit = np.empty(n_subsets, dtype=bool)
    for start in range(0, n_subsets, step):
        stop = min(start + step, n_subsets)
        rows = mask(start, stop)
        cols, r = _block(rows & inc[None, :], d, y, v, o, rows)
        for c in ROW_COLUMNS:
            out[c][start:stop] = cols[c]
        refit[start:stop] = r
    return out, refit

"""Numerical core of :func:`fmtrials.pool_many`: every step of :mod:`fmtrials.meta.fitting` on segmented arrays.

The studies of all analyses sit in one set of 1-d arrays, sorted by analysis (``seg`` holds the 0-based analysis
of each row); a sum over the studies of each analysis is one ``np.bincount``. Every formula is the one of
:mod:`fmtrials.meta._core` / :mod:`fmtrials.meta.fitting`, applied to all analyses at once: Mantel-Haenszel, Peto and
inverse-variance common effects, DerSimonian-Laird (also from the Q around the MH estimate, ``"MH-DL"``),
Paule-Mandel (a bracketed Newton iteration on Q_gen = k - 1, per analysis in parallel), REML (metafor's Fisher
scoring in parallel, each analysis stopping at its own convergence), the z / HKSJ tests and the prediction
interval. There is no Python loop per analysis: the loops are over iterations, on the analyses not yet converged.

Two kinds of analyses leave the vectorised path, so that every number stays that of :func:`fmtrials.pool`:
those where Fisher scoring has not converged after ``maxiter`` iterations get :func:`_core.reml_search` (the
same search :func:`_core.tau2_reml` uses), and those where a special rule of :mod:`~fmtrials.meta.fitting` applies
(an undefined or zero-SE estimate, no study with an effect, Q undefined) are marked ``special`` for the caller
to refit with the ordinary steps.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special as sp

from ..errors import ConvergenceError
from . import _core as core
from .fitting import Options
from .result import crit

__all__: list[str] = []  # private module

_NAN = float("nan")


def _sum(seg: np.ndarray, n: int, x: np.ndarray) -> np.ndarray:
    """Per-analysis sums of ``x`` (one value per row)."""
    return np.bincount(seg, weights=x, minlength=n)


def _mh(
    seg: np.ndarray, n: int, a: np.ndarray, n1: np.ndarray, c: np.ndarray, n2: np.ndarray, measure: str
) -> tuple[np.ndarray, np.ndarray]:
    """Mantel-Haenszel estimate and SE of every analysis from the raw counts (all tables), as ``core.mh``."""
    a, c, n1, n2 = (x.astype(float) for x in (a, c, n1, n2))
    b, d = n1 - a, n2 - c
    nn = n1 + n2
    S_ = lambda x: _sum(seg, n, x)  # noqa: E731
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            p, q = (a + d) / nn, (b + c) / nn
            r, s = a * d / nn, b * c / nn
            R, S = S_(r), S_(s)
            var = 0.5 * (S_(p * r) / R**2 + S_(p * s + q * r) / (R * S) + S_(q * s) / S**2)
            bad = (R == 0) | (S == 0)
            return np.where(bad, np.nan, np.log(R / S)), np.where(bad, np.nan, np.sqrt(var))
        if measure == "RR":
            R, S = S_(a * n2 / nn), S_(c * n1 / nn)
            var = S_((n1 / nn) * (n2 / nn) * (a + c) - (a / nn) * c) / (R * S)
            bad = (S_(a) == 0) | (S_(c) == 0)
            return np.where(bad, np.nan, np.log(R / S)), np.where(bad, np.nan, np.sqrt(np.maximum(var, 0.0)))
        W = S_(n1 * n2 / nn)
        beta = S_(a * n2 / nn - c * n1 / nn) / W
        P = S_(c * (n1 / nn) ** 2 - a * (n2 / nn) ** 2 + (n1 / nn) * (n2 / nn) * (n2 - n1) / 2)
        Q = S_(a * (n2 - c) / nn + c * (n1 - a) / nn) / 2
        return beta, np.sqrt(np.maximum((beta * P + Q) / W**2, 0.0))


def _peto(
    seg: np.ndarray, n: int, inc: np.ndarray, a: np.ndarray, n1: np.ndarray, c: np.ndarray, n2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Peto estimate, SE and Q of every analysis over the tables in ``inc``, as ``core.peto``."""
    a, c, n1, n2 = (x.astype(float) for x in (a, c, n1, n2))
    nn = n1 + n2
    xt = a + c
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(inc & (nn > 1), xt * (nn - xt) * (n1 / nn) * (n2 / nn) / (nn - 1), 0.0)
        o_e = np.where(inc, a - xt * n1 / nn, 0.0)
        sv, so = _sum(seg, n, v), _sum(seg, n, o_e)
        q = np.maximum(0.0, _sum(seg, n, np.where(v > 0, o_e**2 / v, 0.0)) - so**2 / sv)
        bad = sv == 0
        return np.where(bad, np.nan, so / sv), np.where(bad, np.nan, np.sqrt(1 / sv)), np.where(bad, np.nan, q)


def _compact(seg: np.ndarray, active: np.ndarray, *rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """The rows of the ``active`` analyses, with their analyses renumbered 0..active.sum() - 1."""
    keep = active[seg]
    remap = np.cumsum(active) - 1
    return (remap[seg[keep]], *(r[keep] for r in rows))


def _padded(
    seg: np.ndarray, n: int, y: np.ndarray, v: np.ndarray, k: np.ndarray, solve: Callable[..., np.ndarray]
) -> np.ndarray:
    """``solve(Y, V, k, where)`` on padded matrices (an analysis per row, its studies in order, ``V = inf`` and
    ``Y = 0`` after its last study, so that every weight there is 0); analyses are grouped by k up to the next
    power of 2, so padding at most doubles the work. Sums over studies are matrix-vector products."""
    out = np.zeros(n)
    counts = np.bincount(seg, minlength=n)
    pos = np.arange(len(seg)) - np.r_[0, np.cumsum(counts)[:-1]][seg]
    bucket = np.ceil(np.log2(np.maximum(counts, 1))).astype(int)
    for b in np.unique(bucket).tolist():
        where = np.nonzero(bucket == b)[0]
        local = np.full(n, -1)
        local[where] = np.arange(len(where))
        rows = local[seg] >= 0
        kmax = int(counts[where].max())
        Y, V = np.zeros((len(where), kmax)), np.full((len(where), kmax), np.inf)
        Y[local[seg[rows]], pos[rows]] = y[rows]
        V[local[seg[rows]], pos[rows]] = v[rows]
        out[where] = solve(Y, V, k[where], where)
    return out


def _reml(Y: np.ndarray, V: np.ndarray, k: np.ndarray, tol: float, maxiter: int, fails: dict[int, str]) -> np.ndarray:
    """REML tau² of every analysis (a row of the padded ``Y, V``), exactly as :func:`core.tau2_reml`.

    Fisher scoring runs on all analyses at once; an analysis stops at its own convergence (frozen, and its row
    dropped once a quarter of the rows have stopped). An analysis whose search fails gets NaN and its message
    in ``fails`` (row -> message).
    """
    ones = np.ones(Y.shape[1])
    fin = np.isfinite(V)
    ybar = Y @ ones / k
    rss = np.where(fin, (Y - ybar[:, None]) ** 2, 0.0) @ ones
    sv = np.where(fin, V, 0.0) @ ones
    tau2 = np.maximum(0.0, (rss - (sv - sv / k)) / (k - 1))
    idx = np.arange(len(k))  # rows in the working arrays
    cur = np.ones(len(k), dtype=bool)  # of those, the ones still iterating
    YY, VV = Y, V
    it = 0
    while True:
        it += 1
        if it > maxiter:
            break
        t = tau2[idx]
        w = 1 / (VV + t[:, None])
        w2 = w * w
        sw, sw2, sw3 = w @ ones, w2 @ ones, (w2 * w) @ ones
        r = YY - ((w * YY) @ ones / sw)[:, None]
        tr_p = sw - sw2 / sw
        tr_pp = sw2 - 2 * sw3 / sw + sw2**2 / sw**2
        adj = ((w2 * (r * r)) @ ones - tr_p) / tr_pp
        adj = np.where(np.isfinite(adj) & cur & ~((t == 0) & (adj < 0)), adj, 0.0)  # at 0 the halving ends at 0
        if (neg := t + adj < 0).any():  # halve as core.reml_fisher_step, only where needed
            j = np.nonzero(neg)[0]
            a, tj = adj[j], t[j]
            while (bad := tj + a < 0).any():
                a = np.where(bad, a / 2, a)
            adj[j] = a
        new = t + adj
        tau2[idx] = new
        cur &= np.abs(new - t) > tol
        if not cur.any():
            break
        if cur.sum() < 0.75 * len(cur):
            idx, YY, VV = idx[cur], YY[cur], VV[cur]
            cur = np.ones(len(idx), dtype=bool)
    for j in idx[cur].tolist():  # Fisher scoring did not converge: the search of core.tau2_reml
        try:
            tau2[j] = core.reml_search(Y[j][fin[j]], V[j][fin[j]], tol=tol)
        except ConvergenceError as err:
            tau2[j] = np.nan
            fails[j] = str(err)
    # metafor's ll0check on the analyses Fisher scoring settled
    settled = np.ones(len(k), dtype=bool)
    settled[idx[cur]] = False
    t = np.where(settled, tau2, 0.0)
    ll0, llt = _reml_ll(Y, V, fin, np.zeros(len(k))), _reml_ll(Y, V, fin, t)
    tau2 = np.where(settled & (tau2 > tol) & (ll0 - llt > 1e-8), 0.0, tau2)
    return np.where(np.isnan(tau2), tau2, np.maximum(0.0, tau2))


def _reml_ll(Y: np.ndarray, V: np.ndarray, fin: np.ndarray, tau2: np.ndarray) -> np.ndarray:
    """The restricted log-likelihood of every row at ``tau2``, up to the constant in k."""
    ones = np.ones(Y.shape[1])
    vt = V + tau2[:, None]
    w = 1 / vt
    sw = w @ ones
    r = Y - ((w * Y) @ ones / sw)[:, None]
    return -0.5 * (np.log(np.where(fin, vt, 1.0)) @ ones) - 0.5 * np.log(sw) - 0.5 * ((w * (r * r)) @ ones)


def _pm(Y: np.ndarray, V: np.ndarray, k: np.ndarray, tau2_start: np.ndarray) -> np.ndarray:
    """Paule-Mandel tau² of every row: the root of Q_gen = k - 1 in [0, U] (0 when Q_gen(0) <= k - 1).

    Newton steps (dQ_gen/dtau² = -sum w² (y - mu)²) kept inside a shrinking bracket, bisection otherwise, to
    machine precision; :func:`core.tau2_pm` (Brent, relative 4 eps) finds the same root.
    """
    ones = np.ones(Y.shape[1])
    fin = np.isfinite(V)
    ybar = Y @ ones / k
    hi = np.where(fin, (Y - ybar[:, None]) ** 2, 0.0) @ ones / (k - 1) + np.where(fin, V, 0.0).max(axis=1)
    lo = np.zeros(len(k))
    t = np.clip(tau2_start, 0.0, hi)
    active = np.ones(len(k), dtype=bool)

    def q_and_slope(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = 1 / (V + t[:, None])
        r = Y - ((w * Y) @ ones / (w @ ones))[:, None]
        wr = w * r
        return (wr * r) @ ones - (k - 1), -((wr * wr) @ ones)

    g0, _ = q_and_slope(np.zeros(len(k)))
    active &= g0 > 0
    t = np.where(active, t, 0.0)
    for _ in range(500):
        if not active.any():
            break
        g, dg = q_and_slope(t)
        lo = np.where(g > 0, t, lo)
        hi = np.where(g > 0, hi, t)
        new = t - g / dg
        new = np.where((new > lo) & (new < hi), new, (lo + hi) / 2)
        new = np.where(g == 0, t, new)
        done = (np.abs(new - t) <= 4e-16 * new) | (hi - lo <= 4e-16 * hi)
        t = np.where(active, new, t)
        active &= ~done
    return t


def fit_segments(
    seg: np.ndarray,
    n: int,
    y: np.ndarray,
    v: np.ndarray,
    inc: np.ndarray,
    counts: tuple[np.ndarray, ...] | None,
    o: Options,
    fails: dict[int, str],
) -> dict[str, np.ndarray]:
    """Every number of :func:`fmtrials.pool` for ``n`` analyses of one measure (analysis scale), and ``special``.

    ``y, v``: per-study effects (any value where ``inc`` is False); ``counts`` the raw ``a, n1, c, n2`` (needed
    for MH, MH-DL and Peto, which use every table of the analysis). Rows sorted by ``seg``. An analysis whose
    REML search fails is added to ``fails`` (analysis -> message).
    """
    with np.errstate(divide="ignore", invalid="ignore"):  # k < 2 and zero SEs give NaN/inf, as the steps' rules
        return _fit(seg, n, y, v, inc, counts, o, fails)


def _fit(
    seg: np.ndarray,
    n: int,
    y: np.ndarray,
    v: np.ndarray,
    inc: np.ndarray,
    counts: tuple[np.ndarray, ...] | None,
    o: Options,
    fails: dict[int, str],
) -> dict[str, np.ndarray]:
    k_all = np.bincount(seg, minlength=n)
    k = _sum(seg, n, inc.astype(float))
    y0 = np.where(inc, y, 0.0)
    wi = np.where(inc, 1 / np.where(inc, v, 1.0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sw = _sum(seg, n, wi)
        mu = _sum(seg, n, wi * y0) / sw
        q_iv = np.maximum(0.0, _sum(seg, n, wi * (y0 - mu[seg]) ** 2))
        if o.method in ("MH", "MH-DL"):
            assert counts is not None
            beta, se = _mh(seg, n, counts[0], counts[1], counts[2], counts[3], o.measure)
            q = np.maximum(0.0, _sum(seg, n, wi * (y0 - beta[seg]) ** 2))
            q = np.where((k > 1) & np.isfinite(beta), q, np.nan)
        elif o.method == "Peto":
            assert counts is not None
            beta, se, q = _peto(seg, n, inc, counts[0], counts[1], counts[2], counts[3])
            q = np.where(k > 1, q, np.nan)
        else:
            beta, se, q = mu, np.sqrt(1 / sw), np.where(k > 1, q_iv, np.nan)
    tau2 = np.zeros(n)
    re = (o.model == "random") & (k >= 2)
    if re.any():
        tr = sw - _sum(seg, n, wi**2) / sw
        if o.method == "DL":
            tau2 = np.maximum(0.0, (q_iv - (k - 1)) / tr)
        elif o.method == "MH-DL":
            tau2 = np.maximum(0.0, (q - (k - 1)) / tr)
        else:
            rows = inc & re[seg]
            s = (np.cumsum(re) - 1)[seg[rows]]
            where = np.nonzero(re)[0]
            sub = np.zeros(n)
            if o.method == "PM":
                dl = np.maximum(0.0, (q_iv - (k - 1)) / tr)
                solve = lambda Y, V, kk, w: _pm(Y, V, kk, dl[where][w])  # noqa: E731
            else:

                def solve(Y: np.ndarray, V: np.ndarray, kk: np.ndarray, w: np.ndarray) -> np.ndarray:
                    f: dict[int, str] = {}
                    t = _reml(Y, V, kk, o.tol, o.maxiter, f)
                    fails.update({int(where[w[j]]): m for j, m in f.items()})
                    return t

            sub[re] = _padded(s, len(where), y[rows], v[rows], k[re], solve)
            tau2 = sub
        tau2 = np.where(re, tau2, 0.0)
        wr = np.where(inc, 1 / (np.where(inc, v, 1.0) + tau2[seg]), 0.0)
        swr = _sum(seg, n, wr)
        with np.errstate(divide="ignore", invalid="ignore"):
            beta = np.where(re, _sum(seg, n, wr * y0) / swr, beta)
            se = np.where(re, np.sqrt(1 / swr), se)
    else:
        wr = wi
    se_classic = se
    hk = (o.test != "z") & (k >= 2)
    df = np.where(hk, k - 1, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        if o.test != "z":
            rss = _sum(seg, n, wr * (y0 - beta[seg]) ** 2)
            s2 = np.where(rss <= np.finfo(float).eps, 0.0, rss / (k - 1))
            if o.test == "hksj-adhoc":
                s2 = np.where(s2 < 1, 1.0, s2)
            se = np.where(hk, np.sqrt(s2) * se, se)
        # a zero SE (e.g. HKSJ on identical effects): no finite statistic, as fitting.inference_step
        stat = np.where(se > 0, beta / se, np.where(beta != 0, np.sign(beta) * np.inf, np.nan))
        p = np.where(hk, 2 * sp.stdtr(df, -np.abs(stat)), 2 * sp.ndtr(-np.abs(stat)))
        cr = np.where(hk, sp.stdtrit(df, 1 - o.alpha / 2), crit(o.alpha, "z", None))
        q_df = np.maximum(k - 1, 0)
        q_p = sp.chdtrc(q_df, q)
        i2 = np.where(q > 0, np.maximum(0.0, 100 * (q - q_df) / q), 0.0)  # Q-based, every model
        if o.model == "random":
            vt = (k - 1) / (sw - _sum(seg, n, wi**2) / sw)
            i2_tau2, h2 = 100 * tau2 / (vt + tau2), tau2 / vt + 1
            if o.pi_method == "hts":
                half = np.where(k >= 3, sp.stdtrit(k - 2, 1 - o.alpha / 2), np.nan) * np.sqrt(se_classic**2 + tau2)
            else:
                half = np.where(
                    hk, cr * np.sqrt(se**2 + tau2), crit(o.alpha, "z", None) * np.sqrt(se_classic**2 + tau2)
                )
            pi = (beta - half, beta + half)
        else:
            i2_tau2, h2 = np.full(n, np.nan), q / q_df
            pi = (np.full(n, np.nan), np.full(n, np.nan))
    est = k >= 2
    special = ~np.isfinite(beta) | ~np.isfinite(se) | (k == 0) | (est & ~np.isfinite(q))
    return {
        "k": k_all if o.method == "MH" else k,
        "beta": beta,
        "lo": beta - cr * se,
        "hi": beta + cr * se,
        "se": se,
        "statistic": stat,
        "df": df,
        "p_value": p,
        "tau2": tau2,
        "q": np.where(est, q, np.nan),
        "q_df": q_df,
        "q_p": np.where(est, q_p, np.nan),
        "i2": np.where(est, i2, np.nan),
        "i2_tau2": np.where(est, i2_tau2, np.nan),
        "h2": np.where(est, h2, np.nan),
        "pi_low": pi[0],
        "pi_high": pi[1],
        "special": special,
    }

"""Independent arithmetic for the tests: textbook formulas written apart from the package (numpy/scipy only).

Nothing here imports :mod:`fmtrials`. Each function cites the formula it implements, so a test that compares the
package with it compares against an outside reference, not against the package's own code path.

* proportions: Wilson score interval (Wilson 1927);
* risk difference: Newcombe's hybrid score interval, method 10 (Newcombe 1998);
* risk ratio / odds ratio: Katz / Woolf log-Wald intervals, ``cc`` added to every cell of a table with a zero
  (metafor ``escalc(add=1/2, to="only0")``), double-zero tables dropped;
* NNT: Altman (1998), 1 / |RD| and the reciprocals of the RD limits;
* Fisher's exact test: :func:`scipy.stats.fisher_exact`;
* pooling: Mantel-Haenszel RR (Greenland & Robins 1985 variance), inverse variance, DerSimonian-Laird, Paule-Mandel
  and REML (Fisher scoring, Viechtbauer 2005) tau^2, Hartung-Knapp-Sidik-Jonkman with and without the ad hoc
  ``max(1, q)`` (Knapp & Hartung 2003; Roever 2015), prediction interval t(k-2) (Higgins et al. 2009).
* printed precision: :func:`close_printed` - a printed number is right when it is within half a unit of its last
  printed digit of the true value.
"""

from __future__ import annotations

import math
import re

import numpy as np
from scipy import optimize, stats

NUM = r"[-−]?(?:\d[\d,]*\.?\d*|∞)"


def z(alpha: float = 0.05) -> float:
    return float(stats.norm.ppf(1 - alpha / 2))


def decimals(text: str) -> int:
    text = text.strip().replace("−", "-")
    return len(text.split(".")[1]) if "." in text else 0


def num(text: str) -> float:
    text = text.strip().replace("−", "-").replace(",", "")
    if text in ("∞", "inf"):
        return math.inf
    return float(text)


def close_printed(text: str, value: float, *, slack: float = 1e-9) -> bool:
    """Is the printed ``text`` the true ``value`` rounded to the printed number of decimals?"""
    printed = num(text)
    if math.isinf(printed) or math.isinf(value):
        return math.isinf(printed) and math.isinf(value)
    return abs(printed - value) <= 0.5 * 10 ** (-decimals(text)) + slack * max(1.0, abs(value))


#: the package's printing rules, declared here from its documentation (README, ``fmtrials._format``'s docstring),
#: not read from its code: a percentage of events/n with 1 decimal; a p-value with 3 decimals, 4 below 0.001,
#: ``<0.0001`` below 0.0001; a pooled estimate with 3 decimals for a risk difference, 2 for a ratio
PERCENT_DECIMALS = 1
ESTIMATE_DECIMALS = {"RD": 3, "RR": 2, "OR": 2}


def _near(x: float, edge: float) -> bool:
    return abs(x - edge) <= 1e-9 * edge


def check_p(text: str, p: float) -> bool:
    """A printed p-value (``<0.0001``, ``0.0004``, ``0.012``, ``p < 0.0001``) against the true one, printed by
    the rule (3 decimals, 4 below 0.001, ``<0.0001`` below 0.0001; either side of an edge within 1e-9)."""
    t = text.strip().replace(" ", "").lower().lstrip("p").lstrip("=")
    if t.startswith("<"):
        return t == "<0.0001" and (p < 1e-4 or _near(p, 1e-4))
    if p < 1e-4 and not _near(p, 1e-4):
        return False
    want = {4} if p < 0.001 else {3}
    if _near(p, 0.001) or _near(p, 1e-4):
        want = {3, 4}
    return decimals(t) in want and close_printed(t, p)


def check_percent(text: str, events: float, n: float) -> bool:
    """The percentage of an ``events/n (p%)`` cell: 100 events / n with :data:`PERCENT_DECIMALS` decimals."""
    return decimals(text) == PERCENT_DECIMALS and close_printed(text, 100 * events / n)


# ---------------------------------------------------------------------------------------------- two by two
def wilson(x: float, n: float, alpha: float = 0.05) -> tuple[float, float]:
    zz = z(alpha)
    p = x / n
    centre = (p + zz**2 / (2 * n)) / (1 + zz**2 / n)
    half = zz / (1 + zz**2 / n) * math.sqrt(p * (1 - p) / n + zz**2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(x1, n1, x2, n2, alpha: float = 0.05) -> tuple[float, float, float]:
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, alpha)
    l2, u2 = wilson(x2, n2, alpha)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def wald_rd(x1, n1, x2, n2, alpha: float = 0.05) -> tuple[float, float, float]:
    p1, p2 = x1 / n1, x2 / n2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    d = p1 - p2
    return d, d - z(alpha) * se, d + z(alpha) * se


def log_effect(x1, n1, x2, n2, measure: str, cc: float = 0.5, drop00: bool = True) -> tuple[float, float] | None:
    """(yi, vi) of a log RR / log OR / RD (escalc, ``to="only0"``), None for a double-zero table if ``drop00``."""
    a, b, c, d = float(x1), float(n1 - x1), float(x2), float(n2 - x2)
    if drop00 and ((a == 0 and c == 0) or (b == 0 and d == 0)):
        return None
    if min(a, b, c, d) == 0:
        a, b, c, d = a + cc, b + cc, c + cc, d + cc
    if measure == "RR":
        return math.log((a / (a + b)) / (c / (c + d))), 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    if measure == "OR":
        return math.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d
    p1, p2 = a / (a + b), c / (c + d)
    return p1 - p2, p1 * (1 - p1) / (a + b) + p2 * (1 - p2) / (c + d)


def ratio_ci(x1, n1, x2, n2, measure: str, alpha: float = 0.05, cc: float = 0.5):
    yv = log_effect(x1, n1, x2, n2, measure, cc)
    if yv is None:
        return (math.nan,) * 3
    y, v = yv
    h = z(alpha) * math.sqrt(v)
    return math.exp(y), math.exp(y - h), math.exp(y + h)


def fisher_p(x1, n1, x2, n2) -> float:
    return float(stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]])[1])


def nnt(rd: float, lo: float, hi: float, event: str = "beneficial") -> dict:
    """Altman's NNT: value, type, and the set of (limit, type) of the interval ends."""

    def kind(v: float) -> str:
        good = v > 0 if event == "beneficial" else v < 0
        return "NNTB" if good else "NNTH"

    inv = lambda v: math.inf if v == 0 else 1 / abs(v)  # noqa: E731
    return {
        "nnt": inv(rd),
        "type": kind(rd),
        "limits": sorted([(inv(lo), kind(lo)), (inv(hi), kind(hi))]),
        "crosses": lo <= 0 <= hi,
    }


# ---------------------------------------------------------------------------------------------- pooling
def mh_rr(tables) -> tuple[float, float]:
    """Mantel-Haenszel log RR and its Greenland-Robins variance."""
    r = s = pv = 0.0
    for x1, n1, x2, n2 in tables:
        t = n1 + n2
        if (x1 == 0 and x2 == 0) or t == 0:
            continue
        r += x1 * n2 / t
        s += x2 * n1 / t
        pv += ((x1 + x2) * n1 * n2 - x1 * x2 * t) / t**2
    return math.log(r / s), pv / (r * s)


def mh_or(tables) -> tuple[float, float]:
    """Mantel-Haenszel log OR and the Robins-Breslow-Greenland variance."""
    sr = ss = a1 = a2 = a3 = 0.0
    for x1, n1, x2, n2 in tables:
        a, b, c, d = x1, n1 - x1, x2, n2 - x2
        t = n1 + n2
        r, s = a * d / t, b * c / t
        p, q = (a + d) / t, (b + c) / t
        sr += r
        ss += s
        a1 += p * r
        a2 += p * s + q * r
        a3 += q * s
    return math.log(sr / ss), a1 / (2 * sr**2) + a2 / (2 * sr * ss) + a3 / (2 * ss**2)


def mh_rd(tables) -> tuple[float, float]:
    """Mantel-Haenszel RD with the Sato, Greenland & Robins (1989) variance (as metafor ``rma.mh``)."""
    a = np.array([t[0] for t in tables], float)
    n1 = np.array([t[1] for t in tables], float)
    c = np.array([t[2] for t in tables], float)
    n2 = np.array([t[3] for t in tables], float)
    big = n1 + n2
    b = float(np.sum(a * n2 / big - c * n1 / big) / np.sum(n1 * n2 / big))
    p_ = np.sum(c * (n1 / big) ** 2 - a * (n2 / big) ** 2 + (n1 / big) * (n2 / big) * (n2 - n1) / 2)
    q_ = np.sum(a * (n2 - c) / big + c * (n1 - a) / big) / 2
    return b, float((b * p_ + q_) / np.sum(n1 * n2 / big) ** 2)


def _reml_ll(y: np.ndarray, v: np.ndarray, t2: float) -> float:
    """Restricted log-likelihood of tau^2 (constants dropped)."""
    w = 1 / (v + t2)
    mu = np.sum(w * y) / w.sum()
    return float(-0.5 * (np.sum(np.log(v + t2)) + np.log(w.sum()) + np.sum(w * (y - mu) ** 2)))


def _tau2(y: np.ndarray, v: np.ndarray, method: str) -> float:
    k = len(y)
    if method in ("IV", "MH", "FE", "EE"):
        return 0.0
    w = 1 / v
    mu = np.sum(w * y) / w.sum()
    q = float(np.sum(w * (y - mu) ** 2))
    if method == "DL":
        return max(0.0, (q - (k - 1)) / (w.sum() - np.sum(w**2) / w.sum()))
    if method == "PM":

        def g(t2: float) -> float:
            ww = 1 / (v + t2)
            m = np.sum(ww * y) / ww.sum()
            return float(np.sum(ww * (y - m) ** 2) - (k - 1))

        if g(0.0) <= 0:
            return 0.0
        hi = 1.0
        while g(hi) > 0:
            hi *= 2
        return float(optimize.brentq(g, 0.0, hi, xtol=1e-14, rtol=1e-14))
    if method == "REML":
        t2 = max(0.0, (q - (k - 1)) / (w.sum() - np.sum(w**2) / w.sum()))
        for _ in range(10000):
            ww = 1 / (v + t2)
            m = np.sum(ww * y) / ww.sum()
            new = max(0.0, float(np.sum(ww**2 * ((y - m) ** 2 - v)) / np.sum(ww**2) + 1 / ww.sum()))
            if abs(new - t2) < 1e-14:
                break
            t2 = new
        # the fixed point can be a local maximum: keep tau^2 = 0 when the restricted likelihood is larger there
        # (what metafor does, with its warning "Fisher scoring algorithm may have gotten stuck")
        return new if _reml_ll(y, v, new) >= _reml_ll(y, v, 0.0) else 0.0
    raise ValueError(method)


def pool(y, v, *, method: str = "REML", test: str = "z", alpha: float = 0.05, mh: tuple | None = None) -> dict:
    """Pooled estimate (analysis scale), CI, p, Q, I², tau², PI for one model.

    ``mh``: the Mantel-Haenszel (estimate, variance) to use instead of the inverse-variance mean (method "MH");
    Q is then Cochran's Q of the study effects around the MH estimate with inverse-variance weights (RevMan).
    """
    y, v = np.asarray(y, float), np.asarray(v, float)
    k = len(y)
    w = 1 / v
    mu_fe = float(np.sum(w * y) / w.sum())
    centre = mh[0] if mh is not None else mu_fe
    q = float(np.sum(w * (y - centre) ** 2))
    i2 = max(0.0, 100 * (q - (k - 1)) / q) if q > 0 and k > 1 else 0.0
    t2 = _tau2(y, v, method)
    ww = 1 / (v + t2)
    mu = float(np.sum(ww * y) / ww.sum()) if mh is None else mh[0]
    se = math.sqrt(1 / ww.sum()) if mh is None else math.sqrt(mh[1])
    se_classic = se
    if test in ("hksj", "hksj-adhoc", "knha"):
        qq = float(np.sum(ww * (y - mu) ** 2) / (k - 1))
        if test == "hksj-adhoc":
            qq = max(1.0, qq)
        se = math.sqrt(qq / ww.sum())
        crit = float(stats.t.ppf(1 - alpha / 2, k - 1))
        p = float(2 * stats.t.sf(abs(mu / se), k - 1))
    else:
        crit = z(alpha)
        p = float(2 * stats.norm.sf(abs(mu / se)))
    pi = (math.nan, math.nan)
    if method not in ("IV", "MH") and k >= 3:
        h = float(stats.t.ppf(1 - alpha / 2, k - 2)) * math.sqrt(se_classic**2 + t2)
        pi = (mu - h, mu + h)
    return {
        "est": mu,
        "lo": mu - crit * se,
        "hi": mu + crit * se,
        "p": p,
        "q": q,
        "q_df": k - 1,
        "q_p": float(stats.chi2.sf(q, k - 1)) if k > 1 else math.nan,
        "i2": i2,
        "tau2": t2,
        "pi": pi,
    }


def peto(tables, alpha: float = 0.05) -> dict:
    """Peto's one-step log OR (Yusuf et al. 1985): sum(O - E) / sum(V), var 1 / sum(V); Q its heterogeneity."""
    oe = v = q1 = 0.0
    k = 0
    for x1, n1, x2, n2 in tables:
        t, m1 = n1 + n2, x1 + x2
        vi = m1 * (t - m1) * n1 * n2 / (t * t * (t - 1))
        if vi == 0:
            continue
        e = n1 * m1 / t
        oe += x1 - e
        v += vi
        q1 += (x1 - e) ** 2 / vi
        k += 1
    est, se = oe / v, math.sqrt(1 / v)
    q = q1 - oe**2 / v
    return {
        "est": est,
        "lo": est - z(alpha) * se,
        "hi": est + z(alpha) * se,
        "p": float(2 * stats.norm.sf(abs(est / se))),
        "q": q,
        "q_df": k - 1,
        "q_p": float(stats.chi2.sf(q, k - 1)),
        "i2": max(0.0, 100 * (q - (k - 1)) / q) if q > 0 else 0.0,
        "tau2": 0.0,
        "pi": (math.nan, math.nan),
        "k": k,
    }


def pool_tables(tables, measure: str, *, method: str, test: str = "z", alpha: float = 0.05, cc: float = 0.5) -> dict:
    """:func:`pool` of 2x2 tables ``(events_t, n_t, events_c, n_c)``; double-zero tables dropped."""
    if method == "Peto":
        return peto(tables, alpha)
    effs = [log_effect(*t, measure, cc) for t in tables]
    keep = [e for e in effs if e is not None]
    y = [e[0] for e in keep]
    v = [e[1] for e in keep]
    mh = None
    if method == "MH":
        mh = {"RR": mh_rr, "OR": mh_or, "RD": mh_rd}[measure](tables)
    out = pool(y, v, method=method, test=test, alpha=alpha, mh=mh)
    out["k"] = len(keep)
    return out


def back(x: float, measure: str) -> float:
    return x if measure == "RD" else math.exp(x)


INTERVAL = re.compile(rf"^\s*({NUM})\s*(?:\[\s*({NUM})\s*,\s*({NUM})\s*\]|\(\s*({NUM})\s+to\s+({NUM})\s*\))\s*$")


# ------------------------------------------------------------------------------------------------ continuous
def mean_effect(m1, s1, n1, m2, s2, n2, measure: str) -> tuple[float, float]:
    """MD (unequal variances) or Hedges' g with the exact correction Γ(m/2) / (√(m/2) Γ((m-1)/2)), m = n1 + n2 - 2,
    and the large-sample variance 1/n1 + 1/n2 + g²/(2 (n1 + n2)) (Hedges 1981; metafor escalc's defaults)."""
    if measure == "MD":
        return m1 - m2, s1**2 / n1 + s2**2 / n2
    m = n1 + n2 - 2
    j = math.exp(math.lgamma(m / 2) - 0.5 * math.log(m / 2) - math.lgamma((m - 1) / 2))
    g = j * (m1 - m2) / math.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / m)
    return g, 1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2))


def parse_interval(text: str) -> tuple[str, str, str] | None:
    """``x [lo, hi]`` or ``x (lo to hi)`` -> the three printed numbers."""
    m = INTERVAL.match(text)
    if not m:
        return None
    g = m.groups()
    return (g[0], g[1], g[2]) if g[1] is not None else (g[0], g[3], g[4])


# ------------------------------------------------------------------------------------------ power, sample size
def normal_n(p1: float, p2: float, power: float = 0.8, alpha: float = 0.05) -> float:
    """Per-arm n of the normal approximation for two proportions, 1:1, two-sided (Fleiss, Levin & Paik 2003,
    eq. 4.14 without the continuity correction; R ``power.prop.test``):
    (z_{a/2} sqrt(2 pbar qbar) + z_b sqrt(p1 q1 + p2 q2))^2 / (p1 - p2)^2."""
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    pbar = (p1 + p2) / 2
    num_ = za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return num_**2 / (p1 - p2) ** 2


def _binom_outer(n: int, p1: float, p2: float) -> np.ndarray:
    k = np.arange(n + 1)
    return np.outer(stats.binom.pmf(k, n, p1), stats.binom.pmf(k, n, p2))


def chi2_power(n: int, p1: float, p2: float, alpha: float = 0.05) -> float:
    """Exact power of Pearson's chi-square test (no correction) with n per arm: every table's statistic
    N (ad - bc)^2 / ((a+b)(c+d)(a+c)(b+d)) against chi2(1); tables with a zero margin are not rejected."""
    a = np.arange(n + 1)[:, None].astype(float)
    c = np.arange(n + 1)[None, :].astype(float)
    b, d = n - a, n - c
    den = n * n * (a + c) * (b + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        x2 = np.where(den > 0, 2 * n * (a * d - b * c) ** 2 / np.where(den > 0, den, 1), 0.0)
    reject = (stats.chi2.sf(x2, 1) <= alpha) & (den > 0)
    return float((_binom_outer(n, p1, p2) * reject).sum())


def fisher_power(n: int, p1: float, p2: float, alpha: float = 0.05) -> float:
    """Exact power of Fisher's two-sided test with n per arm: in each margin m the hypergeometric probabilities
    (scipy ``hypergeom``), a table's p the sum of those no more probable (relative tolerance 1e-7, as R
    ``fisher.test``)."""
    reject = np.zeros((n + 1, n + 1), dtype=bool)
    for m in range(1, 2 * n):
        k = np.arange(max(0, m - n), min(n, m) + 1)
        pmf = stats.hypergeom.pmf(k, 2 * n, n, m)
        p = np.array([pmf[pmf <= v * (1 + 1e-7)].sum() for v in pmf])
        reject[k, m - k] = p <= alpha
    return float((_binom_outer(n, p1, p2) * reject).sum())


# ---------------------------------------------------------------------------------------------- network
def _arm_effect(x: float, n: float, measure: str) -> tuple[float, float]:
    if measure == "RR":
        return math.log(x / n), 1 / x - 1 / n
    if measure == "OR":
        return math.log(x / (n - x)), 1 / x + 1 / (n - x)
    p = x / n
    return p, p * (1 - p) / n


def _design_matrix(arms, measure: str, cols: list[str]):
    """Contrasts of every arm against its study's first arm: y, X (columns ``cols``; a treatment not in ``cols``
    is the reference), V (within-study covariance: the first arm's variance off the diagonal), P (1 on the
    diagonal, 1/2 between contrasts of one study: the random effects' correlation), study of each contrast.
    Zero cells as netmeta pairwise(): 0.5 added to the events and 1 to n of every arm of a study with a zero or
    all-event arm."""
    by: dict[str, list] = {}
    for s, t, x, n in arms:
        by.setdefault(s, []).append((t, float(x), float(n)))
    ys, xs, blocks, who = [], [], [], []
    for s, b in by.items():
        if any(x in (0, n) for _, x, n in b):
            b = [(t, x + 0.5, n + 1) for t, x, n in b]
        th = [_arm_effect(x, n, measure) for _, x, n in b]
        k = len(b)
        blk = np.full((k - 1, k - 1), th[0][1])
        for j in range(1, k):
            ys.append(th[j][0] - th[0][0])
            row = np.zeros(len(cols))
            if b[j][0] in cols:
                row[cols.index(b[j][0])] += 1
            if b[0][0] in cols:
                row[cols.index(b[0][0])] -= 1
            xs.append(row)
            blk[j - 1, j - 1] = th[0][1] + th[j][1]
            who.append(s)
        blocks.append(blk)
    n = len(ys)
    V = np.zeros((n, n))
    i = 0
    for blk in blocks:
        m = blk.shape[0]
        V[i : i + m, i : i + m] = blk
        i += m
    same = np.equal.outer(np.array(who), np.array(who))
    P = np.where(same, 0.5, 0.0) + 0.5 * np.eye(n)
    return np.array(ys), np.array(xs).reshape(n, len(cols)), V, P, who


def _gls(y, X, S):
    Si = np.linalg.inv(S)
    C = np.linalg.inv(X.T @ Si @ X)
    b = C @ X.T @ Si @ y
    r = y - X @ b
    return b, C, float(r @ Si @ r), Si


def network(arms, measure: str, *, method: str = "REML", reference: str = "placebo") -> dict:
    """Arm-based network meta-analysis by generalised least squares (the model of metafor ``rma.mv(yi, V, mods,
    random = ~ comp | study, struct = "CS", rho = 1/2)``): one tau^2, REML by maximising the restricted
    log-likelihood -1/2 (log|S| + log|X' S^-1 X| + r' S^-1 r), S = V + tau^2 P, over tau^2 >= 0: the root of
    d(-2 log-likelihood)/d tau^2 = tr(R P) - r' S^-1 P S^-1 r, R = S^-1 - S^-1 X (X' S^-1 X)^-1 X' S^-1
    (Harville 1977), or 0 when that derivative is not negative at 0. ``arms``: (study, treatment, events, n)
    in file order. Returns the treatments, the effects against ``reference`` (``beta``), their covariance,
    tau^2, Q (common effect) with df, and the design-by-treatment decomposition (Q within designs with >= 2
    studies, each design with its own treatment effects; between = Q - within)."""
    trts = sorted({t for _, t, _, _ in arms})
    cols = [t for t in trts if t != reference]
    y, X, V, P, who = _design_matrix(arms, measure, cols)
    t2 = 0.0
    if method == "REML":

        def score(t: float) -> float:  # d(-2 restricted log-likelihood) / d tau^2
            b, C, _, Si = _gls(y, X, V + t * P)
            r = y - X @ b
            R = Si - Si @ X @ C @ X.T @ Si
            return float(np.trace(R @ P) - r @ Si @ P @ Si @ r)

        if score(0.0) < 0:
            hi = 1.0
            while score(hi) < 0:
                hi *= 2
            t2 = float(optimize.brentq(score, 0.0, hi, xtol=1e-15, rtol=1e-15))
    b, C, _, _ = _gls(y, X, V + t2 * P)
    _, _, q, _ = _gls(y, X, V)
    designs: dict[str, list[str]] = {}
    for s in dict.fromkeys(s for s, *_ in arms):
        designs.setdefault(":".join(sorted({t for ss, t, _, _ in arms if ss == s})), []).append(s)
    qw, dfw = 0.0, 0
    for d, studies in designs.items():
        if len(studies) < 2:
            continue
        sub = [a for a in arms if a[0] in studies]
        ts = d.split(":")
        yg, Xg, Vg, _, _ = _design_matrix(sub, measure, ts[1:])
        qw += _gls(yg, Xg, Vg)[2]
        dfw += len(yg) - len(ts) + 1
    full_b = {reference: 0.0, **dict(zip(cols, b))}
    idx = {t: i for i, t in enumerate(cols)}

    def cov(a: str, c: str) -> float:
        return float(C[idx[a], idx[c]]) if a in idx and c in idx else 0.0

    return {
        "treatments": trts,
        "beta": full_b,
        "cov": cov,
        "tau2": t2,
        "q": q,
        "q_df": len(y) - len(cols),
        "q_within": qw,
        "q_within_df": dfw,
        "q_between": q - qw,
        "q_between_df": len(y) - len(cols) - dfw,
    }


def network_pair(fit: dict, a: str, b: str, alpha: float = 0.05) -> tuple[float, float, float, float]:
    """(estimate, ci_low, ci_high, se) of ``a`` against ``b`` on the analysis scale."""
    est = fit["beta"][a] - fit["beta"][b]
    se = math.sqrt(fit["cov"](a, a) + fit["cov"](b, b) - 2 * fit["cov"](a, b))
    return est, est - z(alpha) * se, est + z(alpha) * se, se


def p_scores(fit: dict, beneficial: bool = True) -> dict[str, float]:
    """Rücker & Schwarzer (2015): mean over j != i of Phi((b_i - b_j) / se_ij), larger = better."""
    sign = 1.0 if beneficial else -1.0
    out = {}
    for a in fit["treatments"]:
        vals = []
        for b in fit["treatments"]:
            if a != b:
                est, _, _, se = network_pair(fit, a, b)
                vals.append(float(stats.norm.cdf(sign * est / se)))
        out[a] = float(np.mean(vals))
    return out

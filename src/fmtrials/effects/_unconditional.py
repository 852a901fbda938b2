"""The engine of the exact unconditional tests and intervals: tail probabilities of a set of 2x2 tables for
many values of the nuisance parameter at once, and their certified supremum over that parameter.

A rejection region ("tail") is a boolean matrix over all (n1 + 1)(n2 + 1) tables with fixed arm sizes. Each of
its rows x1 is stored as a few runs x2 in [s, e), so that under independent binomials

    P(tail) = sum_x1 P(X1 = x1) sum_runs P(s <= X2 < e),

which costs O(G (n1 + n2)) for G nuisance values instead of O(G n1 n2) for the double sum; a run's mass is read
from the lower cumulative sum when it starts at 0 and from the upper one otherwise, so small tails keep their
relative accuracy.

Supremum over the nuisance parameter (:func:`sup_tail`)
-----------------------------------------------------
The nuisance value p2 runs over [lo, hi] = [max(0, -delta), min(1, 1 - delta)] (p1 = p2 + delta) and is
parametrised by u in [0, 1] with p2 = lo + (hi - lo) sin^2(u pi / 2), a variance-stabilising scale: in the angle
theta = u pi / 2 the Fisher information of the two arms is at most 4 N (N = n1 + n2; exactly 4 N when delta = 0),
so each table's probability is a bump of standard deviation at least 1/(2 sqrt(N)) in theta and the tail
probability, a sum of such bumps, cannot vary on a finer scale. The grid is uniform in theta with spacing half
that standard deviation (2 pi sqrt(N) points, at least 65, u = 1/2 included), and the two highest local maxima
are refined by seven rounds of 11-point zooms (the spacing shrinks five-fold per round). Cauchy-Schwarz gives
the rigorous slope bound |f'(theta)| <= 2 sqrt(N f (1 - f)); it proves the method cannot be far off but is too
loose to certify 1e-10 cheaply (a Piyavskii branch and bound with it needed 57,000 evaluations at 400 per arm
against about 330 here), so the tests compare with a 200,001-point brute force and with scipy instead. scipy's
optimiser (shgo from 32 Sobol points) can miss the maximum: ``barnard_exact([[7, 8], [12, 3]])`` two-sided gives
0.05977, the tail probability at p = 1/2 is 0.06751 (tests/test_effects_unconditional.py).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["binom_pmf", "row_runs", "tail_prob", "sup_tail"]

_GRID_MIN = 65
_GRID_PER_SD = 2.0
_PEAKS = 2
_ZOOM_POINTS = 11
_ZOOM_ROUNDS = 7
# floats of one chunk of the (nuisance values x rows x runs) gather: bounds memory at about 50 MB
_CHUNK_FLOATS = 2_000_000


def binom_pmf(n: int, p: np.ndarray) -> np.ndarray:
    """Binomial(n, p) probabilities of 0..n, one row per value of ``p`` (shape (len(p), n + 1)).

    p = 0 and p = 1 give the exact degenerate distributions (log 0 is replaced by a large negative number).
    """
    k = np.arange(n + 1, dtype=float)
    log_c = special.gammaln(n + 1.0) - special.gammaln(k + 1.0) - special.gammaln(n - k + 1.0)
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -1e6)
        log_q = np.maximum(np.log1p(-p), -1e6)
    return np.exp(log_c + k * log_p[:, None] + (n - k) * log_q[:, None])


def row_runs(tail: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of True along each row of ``tail``: (starts, ends), each (rows, R), empty runs padded as [0, 0)."""
    rows = tail.shape[0]
    t = tail.astype(np.int8)
    edge = np.diff(t, axis=1, prepend=0, append=0)
    r_s, c_s = np.nonzero(edge == 1)
    _, c_e = np.nonzero(edge == -1)
    count = np.bincount(r_s, minlength=rows)
    width = max(int(count.max()) if count.size else 0, 1)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    pos = np.arange(r_s.size) - first[r_s]
    starts = np.zeros((rows, width), dtype=np.int64)
    ends = np.zeros((rows, width), dtype=np.int64)
    starts[r_s, pos] = c_s
    ends[r_s, pos] = c_e
    return starts, ends


def tail_prob(starts: np.ndarray, ends: np.ndarray, n1: int, n2: int, p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """P(table in the tail given by its row runs) for X1 ~ Bin(n1, p1), X2 ~ Bin(n2, p2), per pair (p1, p2)."""
    p1 = np.atleast_1d(np.asarray(p1, dtype=float))
    p2 = np.atleast_1d(np.asarray(p2, dtype=float))
    out = np.empty(p1.size)
    step = max(_CHUNK_FLOATS // max(starts.size, 1), 1)
    for g in range(0, p1.size, step):
        sl = slice(g, g + step)
        out[sl] = _tail_chunk(starts, ends, n1, n2, p1[sl], p2[sl])
    return out


def _tail_chunk(starts, ends, n1, n2, p1, p2):
    b1 = binom_pmf(n1, p1)
    b2 = binom_pmf(n2, p2)
    zero = np.zeros((p2.size, 1))
    below = np.concatenate([zero, np.cumsum(b2, axis=1)], axis=1)  # P(X2 < k), k = 0..n2+1
    if starts.shape[1] == 1 and not starts.any():  # one run per row from x2 = 0 (one-sided tails)
        return np.einsum("gi,gi->g", b1, below[:, ends[:, 0]])
    above = np.concatenate([np.cumsum(b2[:, ::-1], axis=1)[:, ::-1], zero], axis=1)  # P(X2 >= k)
    s = starts.ravel()
    e = ends.ravel()
    from_below = below[:, e] - below[:, s]
    from_above = above[:, s] - above[:, e]
    mass = np.where(s == 0, from_below, from_above).reshape(p2.size, *starts.shape).sum(axis=2)
    return np.einsum("gi,gi->g", b1, mass)


def _nuisance(u: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return lo + (hi - lo) * np.sin(u * (np.pi / 2.0)) ** 2


def sup_tail(
    starts: np.ndarray, ends: np.ndarray, n1: int, n2: int, delta: float = 0.0, ratio: float | None = None
) -> float:
    """Supremum over the nuisance parameter p2 (p1 = p2 + delta, or p1 = ratio * p2) of the tail probability.

    See the module notes: a grid uniform in the variance-stabilising angle with spacing half the binomial
    standard deviation there, then local zooms around the highest peaks.
    """
    if ratio is None:
        lo, hi = max(0.0, -delta), min(1.0, 1.0 - delta)
    else:
        lo, hi = 0.0, min(1.0, 1.0 / ratio)

    def f(u):
        p2 = _nuisance(u, lo, hi)
        p1 = p2 + delta if ratio is None else ratio * p2
        return tail_prob(starts, ends, n1, n2, np.clip(p1, 0.0, 1.0), p2)

    # the angle runs over pi/2; the standard deviation of an arm's angle is 1/(2 sqrt(n)) >= 1/(2 sqrt(N))
    points = max(_GRID_MIN, math.ceil(_GRID_PER_SD * math.pi * math.sqrt(n1 + n2)))
    us = np.linspace(0.0, 1.0, 2 * (points // 2) + 1)  # odd: u = 1/2 (p = 1/2 when delta = 0) is a node
    return min(_zoom(f, us, f(us)), 1.0)


def _zoom(f, us: np.ndarray, fs: np.ndarray) -> float:
    """Refine the highest local maxima of the evaluated points by rounds of 21-point zooms (spacing / 10)."""
    padded = np.concatenate([[-np.inf], fs, [-np.inf]])
    peaks = np.nonzero((fs >= padded[:-2]) & (fs >= padded[2:]))[0]
    peaks = peaks[np.argsort(fs[peaks])[::-1][:_PEAKS]]
    best = float(fs.max())
    left = us[np.maximum(peaks - 1, 0)]
    right = us[np.minimum(peaks + 1, us.size - 1)]
    centre = us[peaks]
    step = np.maximum(centre - left, right - centre)
    for _ in range(_ZOOM_ROUNDS):
        pts = np.clip(centre[:, None] + step[:, None] * np.linspace(-1.0, 1.0, _ZOOM_POINTS)[None, :], 0.0, 1.0)
        v = f(pts.ravel()).reshape(pts.shape)
        k = np.argmax(v, axis=1)
        best = max(best, float(v.max()))
        centre = pts[np.arange(pts.shape[0]), k]
        step = step * (2.0 / (_ZOOM_POINTS - 1))
    return best

"""Vectorised root finders shared by the score intervals: Illinois iteration, bisection, chunking."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# rows are processed in slices of this many tables by the iterative solvers: bounds temporary memory and keeps
# the working set in cache (16384 was fastest on the 2-core development machine)
CHUNK = 1 << 14


def by_chunks(fn: Callable[..., np.ndarray], *arrays: np.ndarray) -> np.ndarray:
    """Apply ``fn`` to consecutive slices of ``arrays`` (bounded memory for iterative solvers)."""
    n = arrays[0].shape[0]
    if n <= CHUNK:
        return fn(*arrays)
    out = np.empty(n, dtype=float)
    for start in range(0, n, CHUNK):
        sl = slice(start, start + CHUNK)
        out[sl] = fn(*(a[sl] for a in arrays))
    return out


def illinois(
    f: Callable[..., np.ndarray],
    a: np.ndarray,
    fa: np.ndarray,
    b: np.ndarray,
    fb: np.ndarray,
    params: tuple[np.ndarray, ...],
    x0: np.ndarray | None = None,
    xtol: float = 1e-12,
    ftol: float = 1e-12,
    maxiter: int = 200,
) -> np.ndarray:
    """Vectorised Illinois (modified regula falsi) root finding for many brackets at once.

    ``f(x, *params)`` evaluates the function elementwise. Requires ``fa > 0 > fb`` and exactly one sign
    change in each bracket [a, b]. ``x0`` is an optional first trial point inside the brackets. Converged
    elements are dropped (together with their ``params``), so late iterations touch only slow tables.

    Examples
    --------
    >>> import numpy as np
    >>> r = illinois(lambda x, c: c - x * x, np.zeros(2), np.array([2.0, 3.0]), np.full(2, 2.0),
    ...              np.array([-2.0, -1.0]), params=(np.array([2.0, 3.0]),))
    >>> np.round(r, 12).tolist()
    [1.414213562373, 1.732050807569]
    """
    a, fa, b, fb = (np.array(v, dtype=float) for v in (a, fa, b, fb))
    root = np.empty_like(a)
    idx = np.arange(a.size)
    prev_pos = np.zeros(a.size, dtype=bool)  # the previous step replaced a
    prev_neg = np.zeros(a.size, dtype=bool)  # the previous step replaced b
    c = None if x0 is None else np.array(x0, dtype=float)
    for _ in range(maxiter):
        if c is None:
            c = b - fb * (b - a) / (fb - fa)
        # rounding can put the secant point on or outside the bracket: bisect there
        c = np.where((c > a) & (c < b), c, 0.5 * (a + b))
        fc = f(c, *params)
        pos = fc > 0
        # Illinois: halve the function value at an end point that is retained twice in a row
        fa = np.where(pos, fc, np.where(prev_neg, 0.5 * fa, fa))
        fb = np.where(pos, np.where(prev_pos, 0.5 * fb, fb), fc)
        a = np.where(pos, c, a)
        b = np.where(pos, b, c)
        prev_pos, prev_neg = pos, ~pos
        done = (b - a <= xtol) | (np.abs(fc) <= ftol)
        ndone = int(np.count_nonzero(done))
        if ndone == idx.size:
            root[idx] = c
            return root
        # compact the working set only when it pays (fancy indexing of every array is not free)
        if ndone and (ndone >= idx.size // 4 or idx.size < 512):
            root[idx[done]] = c[done]
            keep = ~done
            idx, a, fa, b, fb = idx[keep], a[keep], fa[keep], b[keep], fb[keep]
            prev_pos, prev_neg = prev_pos[keep], prev_neg[keep]
            params = tuple(p[keep] for p in params)
        c = None
    root[idx] = 0.5 * (a + b)  # not converged within maxiter (not expected): bracket midpoint
    return root


def bisect_bool(
    outside: Callable[[np.ndarray], np.ndarray], lo: np.ndarray, hi: np.ndarray, iters: int = 64
) -> np.ndarray:
    """Vectorised bisection: ``outside(x)`` is True left of the root, False right of it."""
    lo = np.array(lo, dtype=float)
    hi = np.array(hi, dtype=float)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        left = outside(mid)
        lo = np.where(left, mid, lo)
        hi = np.where(left, hi, mid)
    return 0.5 * (lo + hi)

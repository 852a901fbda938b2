"""Reported versus recomputed: which published percentages and p-values are arithmetically possible.

Most of the milnacipran evidence is printed as rounded percentages and rounded p-values, often without arm
sizes. This module answers, for every printed statement, *from which counts* it could have come and *which
test* on those counts reproduces the printed p:

* :func:`grim` -- every whole count ``k`` in ``[0, n]`` whose percentage ``100 k / n`` rounds to the printed
  value (the GRIM test of Brown & Heathers applied to proportions); exact integer arithmetic, vectorised.
* :func:`parse_p` -- the interval of p-values a printed p allows (``"0.01"`` -> ``[0.005, 0.015)``,
  ``"P < .001"`` -> ``[0, 0.001)``, ``"NS"`` -> ``[0.05, 1]``).
* :func:`audit_reported` -- one comparison (percent and n per arm, printed p): candidate counts per arm, the
  range of recomputed p for each test, which test and counts reproduce the printed p, and a verdict.
* :func:`audit` -- a whole reported table; where the trial behind a row is unknown (the seed document's
  rows), every candidate trial's arm sizes are tried.

Conventions
-----------
Rounding of percentages (``rounding=``):

``"either"`` (default)
    A count is accepted if its exact percentage rounds to the printed value with ties broken up *or* down,
    i.e. the printed value ``P`` (at ``d`` decimals) allows ``P - h <= 100 k / n <= P + h`` with
    ``h = 0.5 * 10**-d``. This is the charitable rule of Brown & Heathers (2017) and the default of R
    ``scrutiny::grim()`` (``rounding = "up_or_down"``): a verdict of *impossible* must not rest on the
    reader's guess of the author's rounding. It contains the ``half_up`` and ``half_even`` sets.
``"half_up"``
    Ties away from zero (``P - h <= x < P + h``), as in SAS, SPSS, Stata, Excel and in evidence.md.
``"half_even"``
    Ties to the even last digit (numpy, R ``round``, Python ``round``).
``"half_down"``
    Ties toward zero (``P - h < x <= P + h``).

Exact ties (``100 k / n`` exactly halfway) are decided in integer arithmetic, never in floating point.

Printed p-values (:func:`parse_p`): a p printed as ``"= v"`` with ``d`` significant decimals stands for the
half-open interval ``[v - h, v + h)`` with ``h = 0.5 * 10**-d`` (rounding half up, clipped to ``[0, 1]``);
``"< v"`` for ``[0, v)``; ``"<= v"`` / ``"≤ v"`` for ``[0, v]``; ``"> v"`` for ``(v, 1]``; ``">= v"`` for
``[v, 1]``; ``"NS"`` for ``[0.05, 1]``. The interval is taken literally: an author who prints ``"< 0.05"``
for p = 0.0501 is reported as inconsistent.

Tests: two-sided ``chi2`` (Pearson, no correction), ``yates`` (continuity-corrected), ``fisher`` (exact,
conditional) and ``score``, all from :func:`fmtrials.effects.proportions_test`. Trial p-values often come from
adjusted models (CMH, logistic regression), so a *p-inconsistent* verdict says "no unadjusted 2x2 test on
any admissible counts gives the printed p", not "the paper is wrong".

References
----------
* Brown NJL, Heathers JAJ. The GRIM test: a simple technique detects numerous anomalies in the reporting of
  results in psychology. *Soc Psychol Personal Sci* 2017;8(4):363-369. doi:10.1177/1948550616673876.
* Jung L. scrutiny: error detection in science (R package), ``grim()`` and its tests
  (https://github.com/lhdjung/scrutiny, ``tests/testthat/test-grim.R``; vignette "GRIM", incl. the Bauer &
  Francis (2021) example of means 4.71 and 5.3 with 40 participants).
* Nuijten MB, Hartgerink CHJ, van Assen MALM, Epskamp S, Wicherts JM. The prevalence of statistical
  reporting errors in psychology (1985-2013). *Behav Res Methods* 2016;48:1205-1226 (statcheck: a printed
  p is consistent if the recomputed p rounds to it; ``"< v"`` and ``"> v"`` are checked as inequalities).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from html import escape
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ._validation import as_counts
from .errors import DataError, Problem

__all__ = ["grim", "parse_p", "PInterval", "audit_reported", "AuditResult", "audit", "ROUNDING_RULES",
           "TESTS"]

_WHERE = "<arguments>"

#: Accepted values of ``rounding=`` (see the module docstring).
ROUNDING_RULES = ("either", "half_up", "half_even", "half_down")
#: Tests :func:`audit_reported` may recompute (passed to :func:`fmtrials.effects.proportions_test` as ``method``).
TESTS = ("chi2", "yates", "fisher", "score")

_MAX_DECIMALS = 9          # keeps n * (2P + 1) well inside int64 for n up to 10**7
_MAX_PAIRS = 250_000       # candidate (k_t, k_c) pairs per comparison before refusing

# --------------------------------------------------------------------------------------------------------
# percentages: parsing and GRIM
# --------------------------------------------------------------------------------------------------------

_PERCENT_RE = re.compile(r"^(\d+)(?:\.(\d*))?$|^\.(\d+)$")
_UNICODE = str.maketrans({"\u00b7": ".", "\u22c5": ".", "\u2212": "-", "\u2013": "-", "\u2014": "-",
                          "\u2264": "<=", "\u2a7d": "<=", "\u2265": ">=", "\u2a7e": ">=", "\uff1c": "<",
                          "\uff1e": ">", "\uff1d": "=", "\u00d7": "x", "\u2009": " ", "\u00a0": " ",
                          "\u202f": " ", "\u207b": "-", "\u2070": "0", "\u00b9": "1", "\u00b2": "2",
                          "\u00b3": "3", "\u2074": "4", "\u2075": "5", "\u2076": "6", "\u2077": "7",
                          "\u2078": "8", "\u2079": "9"})


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(np.isnan(value))
    except (TypeError, ValueError):
        return False


@lru_cache(maxsize=4096)
def _parse_percent_text(text: str, decimals: int | None) -> tuple[int, int, str]:
    """``"25.4"`` -> (254, 1, "25.4"): the printed value as an integer numerator over ``10**d``."""
    t = text.translate(_UNICODE).strip()
    if t.endswith("%"):
        t = t[:-1].strip()
    m = _PERCENT_RE.match(t)
    if not m:
        raise ValueError(f"cannot read {text!r} as a percentage")
    if m.group(3) is not None:
        whole, frac = "0", m.group(3)
    else:
        whole, frac = m.group(1), m.group(2) or ""
    d_printed = len(frac)
    if decimals is None:
        d = d_printed
        num = int(whole + frac) if (whole + frac) else 0
    else:
        d = decimals
        if d_printed > d and frac[d:].strip("0"):
            raise ValueError(f"{text!r} has more than decimals={d} decimal places")
        frac_d = (frac + "0" * d)[:d]
        num = int(whole + frac_d)
    if d > _MAX_DECIMALS:
        raise ValueError(f"{text!r}: at most {_MAX_DECIMALS} decimals are supported")
    if num > 100 * 10 ** d:
        raise ValueError(f"percentage {text!r} is above 100")
    return num, d, t


def _percent_to_text(value: Any) -> str:
    """A numeric percentage as text, by its shortest round-trip repr (trailing zeros are lost)."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"cannot read {value!r} as a percentage")
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"cannot read {value!r} as a percentage")
    if x < 0:
        raise ValueError(f"percentage {value!r} is negative")
    dec = Decimal(repr(x)).normalize()
    return format(dec, "f")


def _parse_percents(percent: Any, decimals: Any, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse broadcast percent/decimals object arrays -> (numerator int64, decimals int64, text object)."""
    pct = np.asarray(percent, dtype=object)
    dec = np.asarray(decimals, dtype=object) if decimals is not None else np.full(pct.shape, None, object)
    try:
        pct, dec = np.broadcast_arrays(pct, dec)
    except ValueError:
        raise DataError(Problem(f"shapes do not broadcast: {name} {pct.shape}, decimals {dec.shape}",
                                file=_WHERE)) from None
    num = np.zeros(pct.shape, np.int64)
    dd = np.zeros(pct.shape, np.int64)
    txt = np.empty(pct.shape, object)
    problems: list[Problem] = []
    for idx in np.ndindex(pct.shape):
        pos = idx[0] if len(idx) == 1 else idx
        value, d = pct[idx], dec[idx]
        try:
            if _is_missing(value):
                raise ValueError("missing percentage")
            if d is not None and not _is_missing(d):
                if isinstance(d, (bool, np.bool_)) or float(d) != int(d) or int(d) < 0:
                    raise ValueError(f"decimals must be a whole number >= 0, got {d!r}")
                d = int(d)
            else:
                d = None
            text = value if isinstance(value, str) else _percent_to_text(value)
            num[idx], dd[idx], txt[idx] = _parse_percent_text(text, d)
        except (ValueError, TypeError) as err:
            problems.append(Problem(f"{err} at position {pos}", file=_WHERE, column=name))
    if problems:
        raise DataError(problems)
    return num, dd, txt


def _ceil_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return -((-a) // b)


def _check_rounding(rounding: str) -> str:
    if rounding not in ROUNDING_RULES:
        raise DataError(Problem(f"rounding must be one of {ROUNDING_RULES}, got {rounding!r}", file=_WHERE,
                                column="rounding"))
    return rounding


def _grim_bounds(num: np.ndarray, d: np.ndarray, n: np.ndarray, rounding: str) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest admissible count (k_lo > k_hi when none), exact in integer arithmetic.

    The printed value is ``num / 10**d`` percent. ``100 k / n`` lies within half a unit of it iff
    ``n (2 num - 1) <= 200 * 10**d * k <= n (2 num + 1)``; the rounding rule decides which ends are closed.
    """
    num = num.astype(np.int64)
    n = n.astype(np.int64)
    D = 200 * np.power(10, d.astype(np.int64))
    a_lo = n * (2 * num - 1)
    a_hi = n * (2 * num + 1)
    lo_closed = _ceil_div(a_lo, D)          # smallest k with 200 s k >= a_lo
    lo_open = a_lo // D + 1                 # smallest k with 200 s k >  a_lo
    hi_closed = a_hi // D                   # largest k with 200 s k <= a_hi
    hi_open = _ceil_div(a_hi, D) - 1        # largest k with 200 s k <  a_hi
    if rounding == "either":
        lo, hi = lo_closed, hi_closed
    elif rounding == "half_up":
        lo, hi = lo_closed, hi_open
    elif rounding == "half_down":
        lo, hi = lo_open, hi_closed
    else:  # half_even: a tie at P +- 1/2 rounds to P only when P's last digit is even
        even = num % 2 == 0
        lo = np.where(even, lo_closed, lo_open)
        hi = np.where(even, hi_closed, hi_open)
    return np.maximum(lo, 0), np.minimum(hi, n)


def _grim_arrays(percent: Any, n: Any, decimals: Any, rounding: str, *, name: str = "percent",
                 n_name: str = "n"):
    """Validate, broadcast and bound: returns flat arrays (text, n, d, k_lo, k_hi) and the shape."""
    _check_rounding(rounding)
    num, d, txt = _parse_percents(percent, decimals, name)
    nn = as_counts(n, n_name)
    try:
        num, d, txt, nn = np.broadcast_arrays(num, d, txt, nn)
    except ValueError:
        raise DataError(Problem(f"shapes do not broadcast: {name} {num.shape}, {n_name} {nn.shape}",
                                file=_WHERE)) from None
    shape = num.shape
    num, d, txt, nn = (np.ravel(a) for a in (num, d, txt, nn))
    bad = np.nonzero(nn == 0)[0]
    if bad.size:
        raise DataError([Problem(f"arm size is 0 at position {int(i)}", file=_WHERE, column=n_name)
                         for i in bad])
    k_lo, k_hi = _grim_bounds(num, d, nn, rounding)
    return txt, nn, d, k_lo, k_hi, shape


def grim(percent: Any, n: Any, decimals: Any = None, *, rounding: str = "either",
         expand: bool = True) -> pd.DataFrame:
    """Counts that reproduce a printed percentage (the GRIM test for proportions).

    For each printed percentage and arm size ``n``, find every whole count ``k`` in ``[0, n]`` for which
    ``100 k / n`` rounds to the printed value. The admissible counts always form one run of consecutive
    integers, found in exact integer arithmetic (no floating-point ties), vectorised over the inputs.

    Parameters
    ----------
    percent : str, float or array-like
        Printed percentages, preferably as **text exactly as printed** (``"25.4"``, ``"37"``, ``"15.50"``):
        text keeps trailing zeros, which fix the number of decimals. A trailing ``%`` is allowed. Numbers
        are read by their shortest representation (``15.50`` becomes ``"15.5"``, 1 decimal).
    n : int or array-like
        Arm sizes (denominators), broadcast against ``percent``.
    decimals : int, array-like or None
        Decimal places the percentage was rounded to; ``None`` infers them from the printed text.
    rounding : {"either", "half_up", "half_even", "half_down"}
        How ties were broken; the default accepts either direction (see the module docstring).
    expand : bool
        ``True``: one row per admissible count (tidy). ``False``: one row per input with ``k_min`` /
        ``k_max``.

    Returns
    -------
    pandas.DataFrame
        With ``expand=True``: ``input`` (0-based position in the flattened broadcast inputs), ``percent``
        (text), ``n``, ``decimals``, ``rounding``, ``k`` (Int64; ``<NA>`` when no count fits), ``pct_exact``
        (``100 k / n``), ``consistent`` (bool, per input). Inconsistent inputs keep one row with ``k`` missing.
        With ``expand=False``: ``input``, ``percent``, ``n``, ``decimals``, ``rounding``, ``k_min``,
        ``k_max`` (Int64), ``n_candidates``, ``consistent``, ``nearest`` (text: the closest achievable
        percentages below/above when inconsistent).

    Raises
    ------
    DataError
        Unreadable or out-of-range percentages, non-integer or zero ``n``, unknown ``rounding``.

    Examples
    --------
    15.5% is impossible with 223 placebo patients but is 62/401 (evidence.md §4):

    >>> import fmtrials
    >>> fmtrials.grim("15.5", [223, 401])[["n", "k", "consistent"]]
         n     k  consistent
    0  223  <NA>       False
    1  401    62        True

    Which phase II arm sizes near 41 allow 37%? (15/40 = 37.5% is a tie: only rounding half up excludes it.)

    >>> fmtrials.grim("37", range(40, 44), rounding="half_up", expand=False)[["n", "k_min", "consistent"]]
        n  k_min  consistent
    0  40     15       False
    1  41     15        True
    2  42     16       False
    3  43     16        True
    """
    txt, nn, d, k_lo, k_hi, _ = _grim_arrays(percent, n, decimals, rounding)
    ok = k_lo <= k_hi
    m = txt.size
    if not expand:
        out = pd.DataFrame({
            "input": np.arange(m), "percent": pd.array(txt, dtype=object), "n": nn, "decimals": d,
            "rounding": rounding, "k_min": pd.array(k_lo, dtype="Int64"), "k_max": pd.array(k_hi, dtype="Int64"),
            "n_candidates": np.maximum(k_hi - k_lo + 1, 0), "consistent": ok,
        })
        out["nearest"] = [None if o else _nearest_text(k, n_, dd) for o, k, n_, dd in zip(ok, k_lo, nn, d)]
        return out
    counts = np.where(ok, k_hi - k_lo + 1, 1)
    idx = np.repeat(np.arange(m), counts)
    offset = np.arange(idx.size) - np.repeat(np.cumsum(counts) - counts, counts)
    k = k_lo[idx] + offset
    k_valid = ok[idx]
    k_arr = pd.array(np.where(k_valid, k, 0), dtype="Int64")
    k_arr[~k_valid] = pd.NA
    pct_exact = np.where(k_valid, 100.0 * k / nn[idx], np.nan)
    return pd.DataFrame({
        "input": idx, "percent": pd.array(txt[idx], dtype=object), "n": nn[idx], "decimals": d[idx],
        "rounding": rounding, "k": k_arr, "pct_exact": pct_exact, "consistent": ok[idx],
    })


def _nearest_text(k_lo: int, n: int, d: int) -> str:
    """'34/223 = 15.25%, 35/223 = 15.70%': the achievable percentages either side of an impossible one."""
    below, above = int(k_lo) - 1, int(k_lo)
    parts = [f"{k}/{n} = {100 * k / n:.{int(d) + 1}f}%" for k in (below, above) if 0 <= k <= n]
    return ", ".join(parts)


# --------------------------------------------------------------------------------------------------------
# printed p-values
# --------------------------------------------------------------------------------------------------------

_NS_RE = re.compile(r"^(?:p)?(?:=)?(?:n\.?s\.?|notsignificant|nonsignificant|non-significant)$")
_P_RE = re.compile(
    r"^(?:p(?:-?value)?)?"                      # optional p / p-value
    r"(?P<rel>=<|<=|=>|>=|<|>|=)?"              # relation
    r"(?P<mant>\d+(?:\.\d*)?|\.\d+)"            # mantissa
    r"(?:(?:e(?P<exp1>[-+]?\d+))|(?:[x*]10\^?(?P<exp2>[-+]?\d+)))?$")


@dataclass(frozen=True)
class PInterval:
    """The p-values a printed p allows.

    Attributes
    ----------
    text : str
        The printed p, as given.
    relation : str
        ``"="``, ``"<"``, ``"<="``, ``">"``, ``">="`` or ``"ns"``.
    value : float
        The printed number (0.05 for ``"ns"``).
    lower, upper : float
        Interval bounds, within ``[0, 1]``.
    lower_closed, upper_closed : bool
        Whether each bound belongs to the interval.
    """

    text: str
    relation: str
    value: float
    lower: float
    upper: float
    lower_closed: bool
    upper_closed: bool

    def contains(self, p: Any) -> Any:
        """Whether ``p`` (scalar or array) lies in the interval; NaN is never contained."""
        p = np.asarray(p, dtype=float)
        lo = (p >= self.lower) if self.lower_closed else (p > self.lower)
        hi = (p <= self.upper) if self.upper_closed else (p < self.upper)
        out = lo & hi & np.isfinite(p)
        return bool(out) if out.ndim == 0 else out

    def __str__(self) -> str:
        return (("[" if self.lower_closed else "(") + f"{self.lower:.6g}, {self.upper:.6g}"
                + ("]" if self.upper_closed else ")"))


@lru_cache(maxsize=4096)
def _parse_p_text(text: str) -> PInterval:
    t = text.translate(_UNICODE).lower()
    t = re.sub(r"\s+", "", t)
    if _NS_RE.match(t):
        return PInterval(text, "ns", 0.05, 0.05, 1.0, True, True)
    m = _P_RE.match(t)
    if not m:
        raise ValueError(f"cannot read {text!r} as a p-value")
    rel = {"=<": "<=", "=>": ">=", None: "="}.get(m.group("rel"), m.group("rel"))
    mant = m.group("mant")
    exp = int(m.group("exp1") or m.group("exp2") or 0)
    try:
        value_dec = Decimal(mant).scaleb(exp)
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        raise ValueError(f"cannot read {text!r} as a p-value") from None
    value = float(value_dec)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"p-value {text!r} is outside [0, 1]")
    if rel == "=":
        frac = mant.split(".")[1] if "." in mant else ""
        half = Decimal(5).scaleb(exp - len(frac) - 1)        # half a unit in the last printed place
        lo, hi = max(value_dec - half, Decimal(0)), min(value_dec + half, Decimal(1))
        return PInterval(text, "=", value, float(lo), float(hi), True, hi == 1)
    if rel == "<":
        if value == 0.0:
            raise ValueError(f"p-value {text!r}: no p is below 0")
        return PInterval(text, "<", value, 0.0, value, True, False)
    if rel == "<=":
        return PInterval(text, "<=", value, 0.0, value, True, True)
    if rel == ">":
        if value == 1.0:
            raise ValueError(f"p-value {text!r}: no p is above 1")
        return PInterval(text, ">", value, value, 1.0, False, True)
    return PInterval(text, ">=", value, value, 1.0, True, True)


def parse_p(text: Any) -> PInterval | pd.DataFrame:
    """The interval of p-values that a printed p allows.

    Reads what papers print: ``"0.01"``, ``"p=0.02"``, ``"P < .001"``, ``"<.001"``, ``"≤0.05"``,
    ``"p ≥ 0.05"``, ``"p=<0.05"``, ``"0.0003"``, ``"p < 0·001"`` (Lancet middle dot), ``"2e-5"``,
    ``"1.2 × 10⁻⁵"``, ``"NS"`` / ``"n.s."``; case, spaces and unicode relations are ignored.

    Parameters
    ----------
    text : str or sequence of str
        One printed p-value, or several.

    Returns
    -------
    PInterval or pandas.DataFrame
        For one string, a :class:`PInterval`. For a sequence, a DataFrame with columns ``text``,
        ``relation``, ``value``, ``lower``, ``upper``, ``lower_closed``, ``upper_closed``, ``interval``.
        ``"= v"`` printed with ``d`` decimals gives ``[v - 0.5e-d, v + 0.5e-d)`` (rounding half up);
        ``"< v"`` gives ``[0, v)``; ``"<= v"`` ``[0, v]``; ``"> v"`` ``(v, 1]``; ``">= v"`` ``[v, 1]``;
        ``"NS"`` ``[0.05, 1]``.

    Raises
    ------
    DataError
        Text that is not a p-value (naming the position), a value outside ``[0, 1]``, ``"< 0"``, ``"> 1"``
        or a missing value.

    Examples
    --------
    >>> import fmtrials
    >>> str(fmtrials.parse_p("0.01")), str(fmtrials.parse_p("P < .001")), str(fmtrials.parse_p("NS"))
    ('[0.005, 0.015)', '[0, 0.001)', '[0.05, 1]')
    >>> str(fmtrials.parse_p("0.05")), str(fmtrials.parse_p("<0.05")), str(fmtrials.parse_p("≤0.05"))
    ('[0.045, 0.055)', '[0, 0.05)', '[0, 0.05]')
    """
    if isinstance(text, str) or _is_missing(text) or np.ndim(text) == 0:
        return _parse_p_one(text, None)
    items = list(text.tolist() if isinstance(text, (pd.Series, np.ndarray, pd.Index)) else text)
    out: list[PInterval] = []
    problems: list[Problem] = []
    for i, t in enumerate(items):
        try:
            out.append(_parse_p_one(t, i))
        except DataError as err:
            problems.extend(err.problems)
    if problems:
        raise DataError(problems)
    return pd.DataFrame({
        "text": [p.text for p in out], "relation": [p.relation for p in out],
        "value": [p.value for p in out], "lower": [p.lower for p in out], "upper": [p.upper for p in out],
        "lower_closed": [p.lower_closed for p in out], "upper_closed": [p.upper_closed for p in out],
        "interval": [str(p) for p in out],
    })


def _parse_p_one(text: Any, position: int | None) -> PInterval:
    where = "" if position is None else f" at position {position}"
    if _is_missing(text):
        raise DataError(Problem(f"missing p-value{where}", file=_WHERE, column="p"))
    if not isinstance(text, str):
        if isinstance(text, (bool, np.bool_)):
            raise DataError(Problem(f"cannot read {text!r} as a p-value{where}", file=_WHERE, column="p"))
        try:
            text = format(Decimal(repr(float(text))).normalize(), "f")
        except (TypeError, ValueError, InvalidOperation):
            raise DataError(Problem(f"cannot read {text!r} as a p-value{where}", file=_WHERE,
                                    column="p")) from None
    try:
        return _parse_p_text(text)
    except ValueError as err:
        raise DataError(Problem(f"{err}{where}", file=_WHERE, column="p")) from None


# --------------------------------------------------------------------------------------------------------
# recomputing p over candidate counts
# --------------------------------------------------------------------------------------------------------

def _check_tests(tests: Iterable[str]) -> tuple[str, ...]:
    if isinstance(tests, str):
        tests = (tests,)
    tests = tuple(tests)
    bad = [t for t in tests if t not in TESTS]
    if bad or not tests:
        raise DataError(Problem(f"tests must be a non-empty subset of {TESTS}, got {tests!r}", file=_WHERE,
                                column="tests"))
    return tests


def _p_values(tables: np.ndarray, tests: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Two-sided p for each unique table row ``(k_t, n_t, k_c, n_c)`` and each test, via effects.proportions_test."""
    from .effects import proportions_test  # imported here: effects pulls in scipy

    out: dict[str, np.ndarray] = {}
    if len(tables) == 0:
        return {t: np.zeros(0) for t in tests}
    for t in tests:
        res = proportions_test(tables[:, 0], tables[:, 1], tables[:, 2], tables[:, 3], test=t,
                       alternative="two-sided")
        out[t] = np.asarray(res["p_value"], dtype=float)
    return out


@dataclass(frozen=True)
class _Comparison:
    """One (percent_t, n_t, percent_c, n_c, p) statement to audit; text fields as printed, None if absent."""

    percent_t: str | None
    n_t: int | None
    percent_c: str | None
    n_c: int | None
    p_reported: str | None
    model_based: bool = False
    p_other_test: bool = False


@dataclass(frozen=True, eq=False)
class AuditResult:
    """Audit of one printed comparison: are the percentages and the p-value arithmetically possible?

    Attributes
    ----------
    percent_t, percent_c : str or None
        Printed percentages (treatment, control), as text.
    n_t, n_c : int or None
        Arm sizes assumed (``None``: unknown).
    p_reported : str or None
        The printed p, as text.
    p_interval : PInterval or None
        What the printed p allows (:func:`parse_p`).
    tests : tuple of str
        Tests recomputed (two-sided).
    rounding : str
        Rounding rule for the percentages.
    model_based : bool
        The percentages are model estimates (e.g. mixed-model), not count / n: arithmetic is shown but the
        verdict is ``"indeterminate"``.
    grim_t, grim_c : bool or None
        Whether some count reproduces each printed percentage (``None``: not checkable).
    k_t, k_c : tuple of int
        Admissible counts per arm.
    p_range : tuple of (test, min p, max p)
        Range of the recomputed p over all admissible count pairs, per test.
    matches : tuple of (test, k_t, k_c, p)
        Test/count combinations whose p lies in ``p_interval``.
    p_consistent : bool or None
        Whether any combination reproduces the printed p (``None``: not checkable).
    verdict : str
        ``"consistent"``, ``"inconsistent"`` or ``"indeterminate"``.
    explanation : str
        One line in words.
    pairs : pandas.DataFrame
        Every (test, k_t, k_c) with its statistic, p and whether it is in the interval (:meth:`to_frame`).
    """

    percent_t: str | None
    n_t: int | None
    percent_c: str | None
    n_c: int | None
    p_reported: str | None
    p_interval: PInterval | None
    tests: tuple[str, ...]
    rounding: str
    model_based: bool
    grim_t: bool | None
    grim_c: bool | None
    k_t: tuple[int, ...]
    k_c: tuple[int, ...]
    p_range: tuple[tuple[str, float, float], ...]
    matches: tuple[tuple[str, int, int, float], ...]
    p_consistent: bool | None
    verdict: str
    explanation: str
    pairs: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per (test, k_t, k_c): ``test, k_t, n_t, k_c, n_c, pct_t, pct_c, statistic, p_value,
        in_interval``."""
        return self.pairs.copy()

    def summary(self) -> str:
        """A few lines of text: inputs, candidates, p ranges per test, verdict and explanation."""
        lines = [
            f"Audit of {self.percent_t or '?'}% of {self.n_t if self.n_t is not None else '?'} vs "
            f"{self.percent_c or '?'}% of {self.n_c if self.n_c is not None else '?'}, "
            f"printed p {self.p_reported or '(none)'}"
            + (f" -> {self.p_interval}" if self.p_interval is not None else ""),
            f"  rounding: {self.rounding}; tests: {', '.join(self.tests)} (two-sided)"
            + ("; model-based percentages" if self.model_based else ""),
            f"  counts: treatment {_ks_text(self.k_t, self.grim_t)}; control {_ks_text(self.k_c, self.grim_c)}",
        ]
        for test, lo, hi in self.p_range:
            lines.append(f"  {test:>6}: p in [{lo:.3g}, {hi:.3g}]")
        lines.append(f"  verdict: {self.verdict} -- {self.explanation}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<div>{escape(line)}</div>" for line in self.summary().splitlines())
        return f"<div class='fmtrials-audit'>{head}{self.pairs.to_html(index=False, max_rows=40)}</div>"


def _ks_text(ks: tuple[int, ...], ok: bool | None) -> str:
    if ok is None:
        return "not checkable"
    if not ok:
        return "none (impossible)"
    return str(ks[0]) if len(ks) == 1 else f"{ks[0]}..{ks[-1]} ({len(ks)})"


def _fmt_p(p: float) -> str:
    return f"{p:.2g}" if p < 0.001 else f"{p:.3f}" if p < 0.1 else f"{p:.2f}"


def _to_int_or_none(value: Any, name: str) -> int | None:
    if _is_missing(value):
        return None
    arr = as_counts(value, name)
    if arr.ndim != 0 and arr.size != 1:
        raise DataError(Problem("must be a single arm size", file=_WHERE, column=name))
    v = int(arr.reshape(-1)[0])
    if v == 0:
        raise DataError(Problem("arm size is 0", file=_WHERE, column=name))
    return v


def _to_text_or_none(value: Any) -> str | None:
    if _is_missing(value):
        return None
    return value if isinstance(value, str) else _percent_to_text(value)


def _audit_many(comps: Sequence[_Comparison], tests: tuple[str, ...], rounding: str,
                where: Sequence[tuple[str, int | None]] | None = None) -> list[AuditResult]:
    """Audit many comparisons with one batched call per test over all distinct candidate tables."""
    _check_rounding(rounding)
    m = len(comps)
    where = where or [(_WHERE, None)] * m
    problems: list[Problem] = []

    # 1. printed p-values
    p_int: list[PInterval | None] = []
    for c, (file, row) in zip(comps, where):
        try:
            p_int.append(None if c.p_reported is None else _parse_p_text(c.p_reported))
        except ValueError as err:
            p_int.append(None)
            problems.append(Problem(str(err), file=file, row=row, column="p_reported"))

    # 2. GRIM per arm, batched over every comparison with both a percentage and an arm size
    bounds: dict[tuple[int, str], tuple[int, int, int]] = {}
    arm_items = [(i, arm, pct, n) for i, c in enumerate(comps)
                 for arm, pct, n in (("t", c.percent_t, c.n_t), ("c", c.percent_c, c.n_c))
                 if pct is not None and n is not None]
    parsed: list[tuple[int, int, int, int, str]] = []
    for i, arm, pct, n in arm_items:
        try:
            num, d, _ = _parse_percent_text(pct, None)
            parsed.append((i, num, d, n, arm))
        except ValueError as err:
            file, row = where[i]
            problems.append(Problem(str(err), file=file, row=row, column=f"percent_{arm}"))
    # percentages without arm size are still validated
    for i, c in enumerate(comps):
        for arm, pct, n in (("t", c.percent_t, c.n_t), ("c", c.percent_c, c.n_c)):
            if pct is not None and n is None:
                try:
                    _parse_percent_text(pct, None)
                except ValueError as err:
                    file, row = where[i]
                    problems.append(Problem(str(err), file=file, row=row, column=f"percent_{arm}"))
    if problems:
        raise DataError(problems)
    if parsed:
        ii, num, d, nn, arms = zip(*parsed)
        k_lo, k_hi = _grim_bounds(np.array(num, np.int64), np.array(d, np.int64), np.array(nn, np.int64),
                                  rounding)
        for j in range(len(ii)):
            bounds[(ii[j], arms[j])] = (int(k_lo[j]), int(k_hi[j]), int(d[j]))

    # 3. candidate tables for every comparison that passes GRIM on both arms
    cand: dict[int, np.ndarray] = {}
    for i, c in enumerate(comps):
        bt, bc = bounds.get((i, "t")), bounds.get((i, "c"))
        if bt is None or bc is None or bt[0] > bt[1] or bc[0] > bc[1]:
            continue
        kt = np.arange(bt[0], bt[1] + 1)
        kc = np.arange(bc[0], bc[1] + 1)
        if kt.size * kc.size > _MAX_PAIRS:
            file, row = where[i]
            raise DataError(Problem(f"{kt.size * kc.size} candidate count pairs: too many to test (print more "
                                    f"decimals or audit a narrower question)", file=file, row=row))
        KT, KC = np.meshgrid(kt, kc, indexing="ij")
        cand[i] = np.column_stack([KT.ravel(), np.full(KT.size, c.n_t), KC.ravel(), np.full(KT.size, c.n_c)])
    need_p = list(cand)
    if need_p:
        all_tables = np.concatenate([cand[i] for i in need_p]).astype(np.int64)
        uniq, inverse = np.unique(all_tables, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        p_u = _p_values(uniq, tests)
        offsets = np.cumsum([0] + [len(cand[i]) for i in need_p])
        slices = {i: inverse[offsets[j]:offsets[j + 1]] for j, i in enumerate(need_p)}
    else:
        p_u, slices = {}, {}

    results = []
    for i, c in enumerate(comps):
        results.append(_assemble(c, p_int[i], bounds.get((i, "t")), bounds.get((i, "c")),
                                 cand.get(i), slices.get(i), p_u, tests, rounding))
    return results


def _assemble(c: _Comparison, pint: PInterval | None, bt, bc, tables, sl, p_u, tests, rounding) -> AuditResult:
    def arm_state(b):
        if b is None:
            return None, ()
        ok = b[0] <= b[1]
        return ok, tuple(range(b[0], b[1] + 1)) if ok else ()

    grim_t, k_t = arm_state(bt)
    grim_c, k_c = arm_state(bc)
    frames = []
    p_range: list[tuple[str, float, float]] = []
    matches: list[tuple[str, int, int, float]] = []
    if tables is not None:
        for t in tests:
            p = p_u[t][sl]
            inside = pint.contains(p) if pint is not None else np.zeros(p.shape, bool)
            frames.append(pd.DataFrame({
                "test": t, "k_t": tables[:, 0], "n_t": tables[:, 1], "k_c": tables[:, 2], "n_c": tables[:, 3],
                "pct_t": 100.0 * tables[:, 0] / tables[:, 1], "pct_c": 100.0 * tables[:, 2] / tables[:, 3],
                "p_value": p, "in_interval": inside}))
            finite = p[np.isfinite(p)]
            p_range.append((t, float(finite.min()) if finite.size else math.nan,
                            float(finite.max()) if finite.size else math.nan))
            for j in np.nonzero(inside)[0]:
                matches.append((t, int(tables[j, 0]), int(tables[j, 2]), float(p[j])))
    pairs = (pd.concat(frames, ignore_index=True) if frames else
             pd.DataFrame({k: pd.Series(dtype=dt) for k, dt in (
                 ("test", object), ("k_t", "int64"), ("n_t", "int64"), ("k_c", "int64"), ("n_c", "int64"),
                 ("pct_t", float), ("pct_c", float), ("p_value", float), ("in_interval", bool))}))
    p_consistent = None if (tables is None or pint is None or c.p_other_test) else bool(matches)
    verdict, explanation = _verdict(c, pint, bt, bc, grim_t, grim_c, k_t, k_c, p_range, matches, tests)
    return AuditResult(c.percent_t, c.n_t, c.percent_c, c.n_c, c.p_reported, pint, tests, rounding,
                       c.model_based, grim_t, grim_c, k_t, k_c, tuple(p_range), tuple(matches), p_consistent,
                       verdict, explanation, pairs)


def _verdict(c, pint, bt, bc, grim_t, grim_c, k_t, k_c, p_range, matches, tests) -> tuple[str, str]:
    prefix = "model-based estimates, not count/n, so the arithmetic is shown for information only; " \
        if c.model_based else ""

    def done(verdict: str, text: str) -> tuple[str, str]:
        return ("indeterminate" if c.model_based else verdict), prefix + text

    missing = [f"{what}" for what, v in (("treatment percentage", c.percent_t), ("control percentage",
                                          c.percent_c)) if v is None]
    unknown_n = [w for w, v in (("treatment", c.n_t), ("control", c.n_c)) if v is None]
    impossible = []
    for arm, pct, n, ok, b in (("treatment", c.percent_t, c.n_t, grim_t, bt), ("control", c.percent_c, c.n_c,
                                                                               grim_c, bc)):
        if ok is False:
            impossible.append(f"{pct}% is impossible with n = {n} ({_nearest_text(b[0], n, b[2])})")
    if impossible:
        return done("inconsistent", "; ".join(impossible))
    if missing:
        return done("indeterminate", f"{' and '.join(missing)} not printed: nothing to recompute")
    if unknown_n:
        return done("indeterminate", f"{' and '.join(unknown_n)} arm size unknown: no count can be checked")
    counts = f"{c.percent_t}% = {_ks_join(k_t, c.n_t)}, {c.percent_c}% = {_ks_join(k_c, c.n_c)}"
    if pint is None:
        return done("consistent", f"{counts}; no p-value printed, percentages only")
    if c.p_other_test:
        return done("consistent", f"{counts}; printed p {c.p_reported} comes from another kind of test (not a "
                                  f"comparison of the two proportions), so it is not checked")
    if matches:
        by_test: dict[str, tuple[int, int, float]] = {}
        for t, kt, kc, p in matches:
            by_test.setdefault(t, (kt, kc, p))
        first_t, (kt, kc, p) = next(iter(by_test.items()))
        others = [t for t in by_test if t != first_t]
        return done("consistent", f"{counts}; {first_t} p = {_fmt_p(p)} for {kt}/{c.n_t} vs {kc}/{c.n_c} fits "
                                  f"printed p {c.p_reported} {pint}"
                    + (f" (also {', '.join(others)})" if others else "")
                    + (f"; not {', '.join(t for t in tests if t not in by_test)}"
                       if len(by_test) < len(tests) else ""))
    finite = [(lo, hi) for _, lo, hi in p_range if math.isfinite(lo)]
    span = (f"p from {_fmt_p(min(lo for lo, _ in finite))} to {_fmt_p(max(hi for _, hi in finite))}"
            if finite else "no test gives a p")
    return done("inconsistent", f"{counts} are possible, but {', '.join(tests)} give {span}, outside printed "
                                f"p {c.p_reported} {pint}")


def _ks_join(ks: tuple[int, ...], n: int) -> str:
    if len(ks) == 1:
        return f"{ks[0]}/{n}"
    return f"{ks[0]}..{ks[-1]}/{n}"


def audit_reported(percent_t: Any, n_t: Any, percent_c: Any, n_c: Any, p_reported: Any = None, *,
                   tests: Sequence[str] = TESTS, rounding: str = "either",
                   model_based: bool = False, p_other_test: bool = False) -> AuditResult:
    """Audit one printed comparison: can these percentages and this p-value come from whole counts?

    Parameters
    ----------
    percent_t, percent_c : str or float or None
        Printed responder percentages, treatment and control, preferably as text (``"25.4"``).
    n_t, n_c : int or None
        Arm sizes; ``None`` (unknown) makes the verdict ``"indeterminate"``.
    p_reported : str or None
        The printed p (anything :func:`parse_p` reads). ``None``: percentages only.
    tests : sequence of str
        Any of ``"chi2"``, ``"yates"``, ``"fisher"``, ``"score"`` (two-sided, from
        :func:`fmtrials.effects.proportions_test`).
    rounding : {"either", "half_up", "half_even", "half_down"}
        Rounding rule for the percentages (see :func:`grim`).
    model_based : bool
        Set when the percentages are model estimates (e.g. mixed models): the arithmetic is still done
        but the verdict is ``"indeterminate"``.
    p_other_test : bool
        Set when the printed p tests something else than the two proportions (e.g. a time-to-event
        comparison): p ranges are still computed but the printed p is not checked (``p_consistent`` None).

    Returns
    -------
    AuditResult
        ``verdict``: ``"inconsistent"`` when a percentage no count can produce, or when no test on any
        admissible pair of counts lands in the printed p interval; ``"indeterminate"`` when an arm size or a
        percentage is unknown (or ``model_based``); ``"consistent"`` otherwise.

    Examples
    --------
    The phase II row of the seed table as 15/41 vs 2/42 (evidence.md §4):

    >>> import fmtrials
    >>> r = fmtrials.audit_reported("37", 41, "5", 42, "<0.001", tests=["fisher"])
    >>> r.verdict, r.k_t, r.k_c
    ('consistent', (15,), (2,))
    >>> fmtrials.audit_reported("25.4", 224, "15.5", 223, "0.01").verdict
    'inconsistent'
    """
    tests = _check_tests(tests)
    comp = _Comparison(_to_text_or_none(percent_t), _to_int_or_none(n_t, "n_t"),
                       _to_text_or_none(percent_c), _to_int_or_none(n_c, "n_c"),
                       _p_text_or_none(p_reported), bool(model_based), bool(p_other_test))
    return _audit_many([comp], tests, rounding)[0]


def _p_text_or_none(value: Any) -> str | None:
    if _is_missing(value):
        return None
    if isinstance(value, str):
        return value
    return _parse_p_one(value, None).text


# --------------------------------------------------------------------------------------------------------
# whole tables
# --------------------------------------------------------------------------------------------------------

#: Columns of :func:`audit`'s result, in order.
AUDIT_COLUMNS = (
    "row", "study", "label", "endpoint", "dose_mg_day", "attribution", "attribution_kind", "n_t", "n_c",
    "percent_t", "percent_c", "grim_t", "grim_c", "k_t", "k_c", "p_reported", "p_interval", "p_lower",
    "p_upper", *(f"p_{t}_{b}" for t in TESTS for b in ("min", "max")), "p_match", "p_consistent", "verdict",
    "row_verdict", "explanation",
)


_OTHER_TEST_RE = re.compile(r"time[- ]to[- ]event|hazard|log-?rank|not a test of", re.IGNORECASE)


def _phase_of(label: Any) -> str | None:
    m = re.search(r"phase\s+(iv|iii|ii|i)\b", str(label or ""), re.IGNORECASE)
    return m.group(1).upper() if m else None


def _num(value: Any) -> float | None:
    if _is_missing(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _arm_sets(study: str, dose: float | None, arms: pd.DataFrame, outcomes: pd.DataFrame | None,
              endpoint: Any, *, dose_strict: bool = True) -> list[tuple[str, str, int | None, int | None]]:
    """Attributions for one trial: (label, kind, n_t, n_c) from the randomized sizes, the alternative set and
    the analysis denominators in outcomes.csv for the same endpoint."""
    a = arms[arms["study"] == study]
    plc = a[a["treatment"].astype(str) == "placebo"]
    act = a[a["treatment"].astype(str) != "placebo"]
    if dose is not None and dose_strict:
        act = act[[(_num(v) == dose) for v in act["dose_mg_day"]]]
    if plc.empty or act.empty:
        return []
    p = plc.iloc[0]
    out: list[tuple[str, str, int | None, int | None]] = []
    for _, arm in act.iterrows():
        tag = "" if len(act) == 1 else f" {arm['arm']}"
        n_t, n_c = _int_or_none(arm["n_randomized"]), _int_or_none(p["n_randomized"])
        out.append((f"{study}{tag} (randomized {_n_str(n_t)}/{_n_str(n_c)})", "study", n_t, n_c))
        alt_t = _int_or_none(arm.get("n_randomized_alt"))
        alt_c = _int_or_none(p.get("n_randomized_alt"))
        if alt_t is not None or alt_c is not None:
            at, ac = alt_t if alt_t is not None else n_t, alt_c if alt_c is not None else n_c
            src = arm.get("alt_source") if alt_t is not None else p.get("alt_source")
            out.append((f"{study}{tag} (alternative {_n_str(at)}/{_n_str(ac)}, {src})", "study_alt", at, ac))
        if outcomes is not None and not _is_missing(endpoint):
            o = outcomes[(outcomes["study"] == study) & (outcomes["endpoint"] == endpoint)]
            ot = o[o["arm"] == arm["arm"]]["n"].dropna().unique()
            oc = o[o["arm"] == p["arm"]]["n"].dropna().unique()
            for vt in ot:
                for vc in (oc if len(oc) else [n_c]):
                    vt_i, vc_i = _int_or_none(vt), _int_or_none(vc)
                    if (vt_i, vc_i) != (n_t, n_c) and vt_i is not None:
                        out.append((f"{study}{tag} (outcomes.csv {endpoint} n {_n_str(vt_i)}/{_n_str(vc_i)})",
                                    "analysis_n", vt_i, vc_i))
    return out


def _is_subgroup(rec: pd.Series) -> bool:
    """A subgroup or post hoc row: the trial's arm sizes are not its denominators."""
    text = " ".join(str(rec.get(c) or "") for c in ("label", "note") if not _is_missing(rec.get(c))).lower()
    return "subgroup" in text


def _int_or_none(value: Any) -> int | None:
    v = _num(value)
    return None if v is None else int(v)


def _n_str(n: int | None) -> str:
    return "?" if n is None else str(n)


def _attributions(rec: pd.Series, arms: pd.DataFrame, trials: pd.DataFrame | None,
                  outcomes: pd.DataFrame | None, pooled_ids: Sequence[str], include_pooled: bool):
    """Every (attribution, kind, n_t, n_c) to try for one reported row."""
    n_t, n_c = _int_or_none(rec.get("n_t")), _int_or_none(rec.get("n_c"))
    study = None if _is_missing(rec.get("study")) else str(rec["study"])
    dose = _num(rec.get("dose_mg_day"))
    endpoint = rec.get("endpoint")
    if n_t is not None and n_c is not None:
        return [(f"{study or 'row'} (printed n {n_t}/{n_c})", "stated", n_t, n_c)]
    if study is not None and _is_subgroup(rec):
        return [(f"{study} subgroup (subgroup sizes not printed)", "subgroup", None, None)]
    if study is not None:
        sets = _arm_sets(study, dose, arms, outcomes, endpoint) or _arm_sets(study, dose, arms, outcomes,
                                                                             endpoint, dose_strict=False)
        return sets or [(f"{study} (arm sizes unknown)", "study", n_t, n_c)]
    # trial unknown: every trial of the same phase (when the label names one), dose-matched
    candidates = list(dict.fromkeys(arms["study"].astype(str)))
    phase = _phase_of(rec.get("label"))
    if trials is not None and phase is not None and "phase" in trials:
        same = set(trials.loc[trials["phase"].astype(str).str.upper() == phase, "study"].astype(str))
        candidates = [s for s in candidates if s in same]
    if trials is not None and "poolable" in trials:
        not_poolable = set(trials.loc[trials["poolable"].astype(str).str.lower() == "no", "study"].astype(str))
        candidates = [s for s in candidates if s not in not_poolable]
    out = []
    for s in candidates:
        out += [(f"candidate {lab}", "candidate", a, b) for lab, _, a, b in _arm_sets(s, dose, arms, outcomes,
                                                                                       endpoint)]
    if not out:  # no trial of that phase has an arm at this dose: try all active arms, flagged
        for s in candidates:
            out += [(f"candidate {lab}, dose {dose:g} not matched" if dose is not None else f"candidate {lab}",
                     "candidate", a, b) for lab, _, a, b in _arm_sets(s, dose, arms, outcomes, endpoint,
                                                                      dose_strict=False)]
    if include_pooled:
        for pid in pooled_ids:
            parts = pid.split("+")
            if not all(pt in candidates for pt in parts):
                continue
            sets = [_arm_sets(pt, dose, arms, None, None) for pt in parts]
            if not all(sets):
                continue
            firsts = [s[0] for s in sets]  # randomized sizes of each component trial
            if any(f[2] is None or f[3] is None for f in firsts):
                continue
            pt_n, pc_n = sum(f[2] for f in firsts), sum(f[3] for f in firsts)
            out.append((f"pooled {pid} (randomized {pt_n}/{pc_n})", "pooled", pt_n, pc_n))
    return out or [("no candidate trial", "candidate", None, None)]


def audit(reported: pd.DataFrame | None = None, arms: pd.DataFrame | None = None, *,
          trials: pd.DataFrame | None = None, outcomes: pd.DataFrame | None = None,
          tests: Sequence[str] = TESTS, rounding: str = "either", include_pooled: bool = True) -> pd.DataFrame:
    """Audit every row of a reported table against every plausible attribution of arm sizes.

    For each row of ``reported`` (default: :func:`fmtrials.load_reported`), the arm sizes tried are:

    * the printed ``n_t`` / ``n_c`` when both are given (kind ``"stated"``);
    * else, when the row is a subgroup (``"subgroup"`` in ``label`` or ``note``): nothing (kind
      ``"subgroup"``, verdict indeterminate), since the trial's arm sizes are not its denominators;
    * else, when the row names its trial: that trial's placebo arm vs its arm of the row's dose, with the
      randomized sizes (``"study"``), the alternative sizes ``n_randomized_alt`` where one exists, filling
      missing alternatives with the randomized size (``"study_alt"``), and every analysis denominator that
      ``outcomes.csv`` prints for the same trial, arm and endpoint (``"analysis_n"``, e.g. Bateman 2013's
      efficacy n of 79);
    * else (the seed document's rows name no trial): every trial in ``arms`` of the phase named in the
      ``label`` (``"Phase III"`` -> trials.csv phase III), excluding trials marked not poolable, with an
      active arm at the row's dose -- or any active arm, flagged, when no such trial has that dose -- each
      with its randomized and alternative sizes (``"candidate"``); plus, with ``include_pooled``, the
      **summed** randomized sizes of every pooled study id of the form ``"A+B"`` that occurs in
      ``reported`` when all its components are candidates (``"pooled"``, e.g. Clauw 2008 + Mease 2009 =
      623 vs 624 at 100 mg). Pooled sizes are a documented guess, not a published attribution.

    Rows whose ``analysis`` or ``note`` says the percentages are model-based (``"model"``) are audited with
    ``model_based=True``: verdict ``"indeterminate"``, arithmetic shown. Rows whose ``analysis`` or ``note``
    says the printed p comes from another kind of test (``"time-to-event"``, ``"hazard"``, ``"log-rank"``,
    ``"not a test of"``) are audited with ``p_other_test=True``: percentages checked, p not.

    Parameters
    ----------
    reported, arms, trials, outcomes : pandas.DataFrame, optional
        Default: the bundled tables (:func:`fmtrials.load_reported` etc.). ``trials`` gives the phase
        used to narrow the candidate trials; ``outcomes`` the analysis denominators.
    tests, rounding
        As in :func:`audit_reported`.
    include_pooled : bool
        Also try summed arm sizes of pooled analyses (see above).

    Returns
    -------
    pandas.DataFrame
        One row per (reported row x attribution), columns :data:`AUDIT_COLUMNS`:
        ``row`` (1-based data row of ``reported``), ``study``, ``label``, ``endpoint``, ``dose_mg_day``,
        ``attribution`` (words), ``attribution_kind`` (stated / study / study_alt / analysis_n / candidate /
        pooled), ``n_t``, ``n_c`` (Int64), ``percent_t``, ``percent_c`` (text), ``grim_t``, ``grim_c``
        (boolean, ``<NA>`` when not checkable), ``k_t``, ``k_c`` (tuples of admissible counts),
        ``p_reported``, ``p_interval`` (text), ``p_lower``, ``p_upper``, ``p_<test>_min`` /
        ``p_<test>_max`` for each of chi2, yates, fisher, score (NaN when not computed), ``p_match``
        (which test and counts reproduce the printed p), ``p_consistent`` (boolean), ``verdict``,
        ``row_verdict`` (per reported row: consistent if any attribution is, inconsistent if every
        attribution is, else indeterminate) and ``explanation``.

    Examples
    --------
    The seed table's 200 mg row (26.9% vs 15.5%, p = 0.02) against every phase III attribution:

    >>> import fmtrials
    >>> a = fmtrials.audit()
    >>> print(a.loc[a["row"] == 3, ["n_t", "n_c", "grim_t", "grim_c", "verdict"]].to_string(index=False))
     n_t  n_c  grim_t  grim_c      verdict
     396  401   False    True inconsistent
     401  405    True   False inconsistent
     441  223   False   False inconsistent
     435  449    True   False inconsistent
     837  624    True    True inconsistent
    """
    tests = _check_tests(tests)
    _check_rounding(rounding)
    if reported is None or arms is None or trials is None or outcomes is None:
        from . import data as _data
        reported = _data.load_reported() if reported is None else reported
        arms = _data.load_arms() if arms is None else arms
        if trials is None:
            trials = _safe_load(_data, "load_trials")
        if outcomes is None:
            outcomes = _safe_load(_data, "load_outcomes")
    need = {"percent_t", "percent_c", "p_reported"}
    missing = need - set(reported.columns)
    if missing:
        raise DataError(Problem(f"missing columns {sorted(missing)}", file="<DataFrame>", column="reported"))
    pooled_ids = [s for s in dict.fromkeys(reported.get("study", pd.Series(dtype=object)).dropna().astype(str))
                  if "+" in s]

    comps, meta, where = [], [], []
    for pos, (_, rec) in enumerate(reported.iterrows(), start=1):
        context = " ".join(str(rec.get(col)) for col in ("analysis", "note") if not _is_missing(rec.get(col)))
        model = "model" in context.lower()
        other_test = bool(_OTHER_TEST_RE.search(context))
        for label, kind, n_t, n_c in _attributions(rec, arms, trials, outcomes, pooled_ids, include_pooled):
            comps.append(_Comparison(_to_text_or_none(rec.get("percent_t")), n_t,
                                     _to_text_or_none(rec.get("percent_c")), n_c,
                                     None if _is_missing(rec.get("p_reported")) else str(rec["p_reported"]),
                                     model, other_test))
            meta.append((pos, rec, label, kind))
            where.append(("<reported>", pos))
    results = _audit_many(comps, tests, rounding, where)

    rows = []
    for (pos, rec, label, kind), r in zip(meta, results):
        prange = {t: (lo, hi) for t, lo, hi in r.p_range}
        row = {
            "row": pos, "study": None if _is_missing(rec.get("study")) else rec.get("study"),
            "label": rec.get("label"), "endpoint": rec.get("endpoint"),
            "dose_mg_day": _num(rec.get("dose_mg_day")),
            "attribution": label, "attribution_kind": kind, "n_t": r.n_t, "n_c": r.n_c,
            "percent_t": r.percent_t, "percent_c": r.percent_c, "grim_t": r.grim_t, "grim_c": r.grim_c,
            "k_t": r.k_t, "k_c": r.k_c, "p_reported": r.p_reported,
            "p_interval": None if r.p_interval is None else str(r.p_interval),
            "p_lower": math.nan if r.p_interval is None else r.p_interval.lower,
            "p_upper": math.nan if r.p_interval is None else r.p_interval.upper,
        }
        for t in TESTS:
            lo, hi = prange.get(t, (math.nan, math.nan))
            row[f"p_{t}_min"], row[f"p_{t}_max"] = lo, hi
        row["p_match"] = _match_text(r)
        row["p_consistent"] = r.p_consistent
        row["verdict"] = r.verdict
        row["explanation"] = r.explanation
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in ("n_t", "n_c", "dose_mg_day"):
        out[col] = pd.array([pd.NA if pd.isna(v) else int(v) for v in out[col]], dtype="Int64")
    for col in ("grim_t", "grim_c", "p_consistent"):
        out[col] = pd.array([pd.NA if v is None else bool(v) for v in out[col]], dtype="boolean")
    out["row_verdict"] = out.groupby("row")["verdict"].transform(_row_verdict)
    return out.loc[:, list(AUDIT_COLUMNS)]


def _safe_load(module: Any, name: str) -> pd.DataFrame | None:
    fn = getattr(module, name, None)
    if fn is None:
        return None
    try:
        return fn()
    except Exception:  # noqa: BLE001 - optional context only; the audit still runs without it
        return None


def _row_verdict(v: pd.Series) -> str:
    vals = set(v)
    if "consistent" in vals:
        return "consistent"
    if vals == {"inconsistent"}:
        return "inconsistent"
    return "indeterminate"


def _match_text(r: AuditResult) -> str:
    if not r.matches:
        return ""
    seen: dict[str, str] = {}
    for t, kt, kc, p in r.matches:
        seen.setdefault(t, f"{t}: {kt}/{r.n_t} vs {kc}/{r.n_c} (p = {_fmt_p(p)})")
    return "; ".join(seen.values())

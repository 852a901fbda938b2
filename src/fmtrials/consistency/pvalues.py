"""Printed p-values as intervals: what a printed p allows, and how to print a recomputed p next to it.

A p printed as ``"= v"`` with ``d`` significant decimals stands for the half-open interval ``[v - h, v + h)``
with ``h = 0.5 * 10**-d`` (rounding half up, clipped to ``[0, 1]``); ``"< v"`` for ``[0, v)``; ``"<= v"`` /
``"≤ v"`` for ``[0, v]``; ``"> v"`` for ``(v, 1]``; ``">= v"`` for ``[v, 1]``; ``"NS"`` for ``[0.05, 1]``.
The interval is taken literally: an author who prints ``"< 0.05"`` for p = 0.0501 is reported as
inconsistent (as statcheck does: Nuijten et al. 2016).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from .._format import format_number, format_p
from .._result import ResultMixin
from .._validation import ARGUMENTS
from ..errors import DataError, Problem
from ._common import UNICODE, is_missing

__all__ = ["PInterval", "parse_p", "parse_p_many", "p_text_or_none", "parse_p_text", "explain_p"]

_NS_RE = re.compile(r"^(?:p)?(?:=)?(?:n\.?s\.?|notsignificant|nonsignificant|non-significant)$")
_P_RE = re.compile(
    r"^(?:p(?:-?value)?)?"  # optional p / p-value
    r"(?P<rel>=<|<=|=>|>=|<|>|=)?"  # relation
    r"(?P<mant>\d+(?:\.\d*)?|\.\d+)"  # mantissa
    r"(?:(?:e(?P<exp1>[-+]?\d+))|(?:[x*]10\^?(?P<exp2>[-+]?\d+)))?$"
)


@dataclass(frozen=True)
class PInterval(ResultMixin):
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

    def summary(self) -> str:
        """The interval in mathematical notation, e.g. ``[0.0445, 0.0455)``."""
        # The bounds are exact decimals derived from the printed p (half a unit in its last place, e.g.
        # 0.00025), so they print in full (shortest form): format_p's 3-4 decimals would round them away.
        return (
            ("[" if self.lower_closed else "(")
            + f"{self.lower:.6g}, {self.upper:.6g}"
            + ("]" if self.upper_closed else ")")
        )


@lru_cache(maxsize=4096)
def parse_p_text(text: str) -> PInterval:
    """One printed p (text) as a :class:`PInterval`; ValueError when unreadable."""
    t = re.sub(r"\s+", "", text.translate(UNICODE).lower())
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
        half = Decimal(5).scaleb(exp - len(frac) - 1)  # half a unit in the last printed place
        lo, hi = max(value_dec - half, Decimal(0)), min(value_dec + half, Decimal(1))
        return PInterval(text, "=", value, float(lo), float(hi), True, hi == 1)
    if rel == "<" and value == 0.0:
        raise ValueError(f"p-value {text!r}: no p is below 0")
    if rel == ">" and value == 1.0:
        raise ValueError(f"p-value {text!r}: no p is above 1")
    lower, upper = (0.0, value) if rel in ("<", "<=") else (value, 1.0)
    return PInterval(text, rel, value, lower, upper, rel != ">", rel != "<")


def parse_p(text: Any) -> PInterval:
    """The interval of p-values that a printed p allows.

    Reads what papers print: ``"0.01"``, ``"p=0.02"``, ``"P < .001"``, ``"<.001"``, ``"≤0.05"``,
    ``"p ≥ 0.05"``, ``"p=<0.05"``, ``"0.0003"``, ``"p < 0·001"`` (Lancet middle dot), ``"2e-5"``,
    ``"1.2 × 10⁻⁵"``, ``"NS"`` / ``"n.s."``; case, spaces and unicode relations are ignored.

    Parameters
    ----------
    text : str or float
        One printed p-value (a number is read by its shortest representation). For several, use
        :func:`parse_p_many`; a sequence here is deprecated (a DeprecationWarning; it still returns
        :func:`parse_p_many`'s DataFrame until the next release).

    Returns
    -------
    PInterval
        ``"= v"`` printed with ``d`` decimals gives ``[v - 0.5e-d, v + 0.5e-d)`` (rounding half up);
        ``"< v"`` gives ``[0, v)``; ``"<= v"`` ``[0, v]``; ``"> v"`` ``(v, 1]``; ``">= v"`` ``[v, 1]``;
        ``"NS"`` ``[0.05, 1]``.

    Raises
    ------
    DataError
        Text that is not a p-value, a value outside ``[0, 1]``, ``"< 0"``, ``"> 1"`` or a missing value.

    Examples
    --------
    >>> import fmtrials
    >>> str(fmtrials.parse_p("0.01")), str(fmtrials.parse_p("P < .001")), str(fmtrials.parse_p("NS"))
    ('[0.005, 0.015)', '[0, 0.001)', '[0.05, 1]')
    >>> str(fmtrials.parse_p("0.05")), str(fmtrials.parse_p("<0.05")), str(fmtrials.parse_p("≤0.05"))
    ('[0.045, 0.055)', '[0, 0.05)', '[0, 0.05]')
    """
    if isinstance(text, str) or is_missing(text) or np.ndim(text) == 0:
        return _parse_p_one(text, None)
    warnings.warn(
        "parse_p() of a sequence is deprecated: use parse_p_many() (a DataFrame, one row per printed p); "
        "parse_p() will read one printed p only from the next release",
        DeprecationWarning,
        stacklevel=2,
    )
    return parse_p_many(text)  # the deprecated path (a DataFrame), for one release


def parse_p_many(text: Any) -> pd.DataFrame:
    """The intervals of p-values that several printed p-values allow: one row per printed p.

    Parameters
    ----------
    text : str, float or sequence of them
        Printed p-values, each read as :func:`parse_p` reads one (a single string is one row).

    Returns
    -------
    pandas.DataFrame
        Columns ``text``, ``relation``, ``value``, ``lower``, ``upper``, ``lower_closed``, ``upper_closed``
        (the fields of :class:`PInterval`) and ``interval`` (its text, e.g. ``[0.005, 0.015)``).

    Raises
    ------
    DataError
        One problem per unreadable entry, naming its 0-based position.

    Examples
    --------
    >>> import fmtrials
    >>> fmtrials.parse_p_many(["0.01", "<.001", "NS"])[["relation", "interval"]]
      relation        interval
    0        =  [0.005, 0.015)
    1        <      [0, 0.001)
    2       ns       [0.05, 1]
    """
    if isinstance(text, str) or is_missing(text) or np.ndim(text) == 0:
        text = [text]
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
    return pd.DataFrame(
        {
            "text": [p.text for p in out],
            "relation": [p.relation for p in out],
            "value": [p.value for p in out],
            "lower": [p.lower for p in out],
            "upper": [p.upper for p in out],
            "lower_closed": [p.lower_closed for p in out],
            "upper_closed": [p.upper_closed for p in out],
            "interval": [str(p) for p in out],
        }
    )


def _parse_p_one(text: Any, position: int | None) -> PInterval:
    where = "" if position is None else f" at position {position}"
    if is_missing(text):
        raise DataError(Problem(f"missing p-value{where}", file=ARGUMENTS, column="p"))
    if not isinstance(text, str):
        if isinstance(text, (bool, np.bool_)):
            raise DataError(Problem(f"cannot read {text!r} as a p-value{where}", file=ARGUMENTS, column="p"))
        try:
            text = format(Decimal(repr(float(text))).normalize(), "f")
        except (TypeError, ValueError, InvalidOperation):
            raise DataError(Problem(f"cannot read {text!r} as a p-value{where}", file=ARGUMENTS, column="p")) from None
    try:
        return parse_p_text(text)
    except ValueError as err:
        raise DataError(Problem(f"{err}{where}", file=ARGUMENTS, column="p")) from None


def p_text_or_none(value: Any) -> str | None:
    """A printed p as text (``None`` when missing); numbers are checked and written in full."""
    if is_missing(value):
        return None
    return value if isinstance(value, str) else _parse_p_one(value, None).text


def explain_p(p: float, interval: PInterval | None) -> str:
    """A recomputed p for an explanation next to a printed-p interval, through :func:`format_p`.

    format_p's 3 decimals (4 below 0.001, ``<0.0001`` below that) can put a p on the wrong side of the
    printed interval as the reader sees it: p = 0.0449996 prints ``0.045`` although ``[0.045, 0.055)``
    excludes it, and p = 3e-5 prints ``<0.0001`` next to ``[1.5e-05, 2.5e-05)``. Only then are more
    decimals shown (format_number), the fewest that keep the printed value on the same side as p.

    Examples
    --------
    >>> eq05 = parse_p_text("0.05")
    >>> explain_p(0.012, eq05), explain_p(0.0449996, eq05), explain_p(3e-5, parse_p_text("2e-5"))
    ('0.012', '0.0449996', '0.00003')
    """
    text = format_p(p)
    if interval is None or not np.isfinite(p) or _same_side(text, p, interval):
        return text
    for digits in range(3, 18):
        text = format_number(p, digits)
        if float(text) != 0.0 and _same_side(text, p, interval):
            return text
    return repr(float(p))  # pragma: no cover - 17 decimals always suffice for a float p in [0, 1]


def _same_side(text: str, p: float, interval: PInterval) -> bool:
    """Whether a reader of ``text`` would place p inside/outside ``interval`` as p really is."""
    inside = interval.contains(p)
    if text.startswith("<"):  # "<0.0001": unambiguous only if [0, 1e-4) is all in or all out
        bound = float(text[1:])
        all_in = interval.contains(0.0) and interval.upper >= bound
        all_out = interval.lower >= bound
        return (all_in and inside) or (all_out and not inside)
    return interval.contains(float(text)) == inside

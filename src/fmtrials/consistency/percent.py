"""Printed percentages as exact numbers: ``"25.4"`` is the integer 254 over ``10**1``.

A percentage is best given as text exactly as printed, since trailing zeros fix the number of decimals
(``"15.50"`` has 2). A number is read by its shortest round-trip representation (``15.50`` becomes
``"15.5"``, 1 decimal). At most :data:`MAX_DECIMALS` decimals are accepted.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np

from .._validation import ARGUMENTS
from ..errors import DataError, Problem
from ._common import UNICODE, is_missing

__all__ = ["MAX_DECIMALS", "parse_percent_text", "percent_to_text", "parse_percents", "text_or_none"]

#: The most decimals a printed percentage may carry (GRIM's bounds stay exact for every n up to
#: ``_vocab.MAX_COUNT`` at any of them, see :mod:`fmtrials.consistency.granularity`).
MAX_DECIMALS = 9

_PERCENT_RE = re.compile(r"^(\d+)(?:\.(\d*))?$|^\.(\d+)$")


@lru_cache(maxsize=4096)
def parse_percent_text(text: str, decimals: int | None = None) -> tuple[int, int, str]:
    """The printed value as an integer numerator over ``10**d``: ``"25.4"`` -> ``(254, 1, "25.4")``.

    Raises ValueError (turned into a :class:`~fmtrials.DataError` by the callers, who know the position).

    Examples
    --------
    >>> parse_percent_text("25.4"), parse_percent_text("37 %"), parse_percent_text("25.4", 2)
    ((254, 1, '25.4'), (37, 0, '37'), (2540, 2, '25.4'))
    """
    t = text.translate(UNICODE).strip()
    if t.endswith("%"):
        t = t[:-1].strip()
    m = _PERCENT_RE.match(t)
    if not m:
        raise ValueError(f"cannot read {text!r} as a percentage")
    whole, frac = ("0", m.group(3)) if m.group(3) is not None else (m.group(1), m.group(2) or "")
    if decimals is None:
        d = len(frac)
        num = int(whole + frac)
    else:
        d = decimals
        if len(frac) > d and frac[d:].strip("0"):
            raise ValueError(f"{text!r} has more than decimals={d} decimal places")
        num = int(whole + (frac + "0" * d)[:d])
    if d > MAX_DECIMALS:
        raise ValueError(f"{text!r}: at most {MAX_DECIMALS} decimals are supported")
    if num > 100 * 10**d:
        raise ValueError(f"percentage {text!r} is above 100")
    return num, d, t


def percent_to_text(value: Any) -> str:
    """A numeric percentage as text, by its shortest round-trip repr (trailing zeros are lost).

    Examples
    --------
    >>> percent_to_text(15.50), percent_to_text(37), percent_to_text(1e-5)
    ('15.5', '37', '0.00001')
    """
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"cannot read {value!r} as a percentage")
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"cannot read {value!r} as a percentage")
    if x < 0:
        raise ValueError(f"percentage {value!r} is negative")
    return format(Decimal(repr(x)).normalize(), "f")


def text_or_none(value: Any) -> str | None:
    """A printed percentage as text (``None`` when missing)."""
    if is_missing(value):
        return None
    return value if isinstance(value, str) else percent_to_text(value)


def _decimals_or_none(d: Any) -> int | None:
    if d is None or is_missing(d):
        return None
    if isinstance(d, (bool, np.bool_)) or float(d) != int(d) or int(d) < 0:
        raise ValueError(f"decimals must be a whole number >= 0, got {d!r}")
    return int(d)


def parse_percents(percent: Any, decimals: Any, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse broadcast percent/decimals arrays -> (numerator int64, decimals int64, text object).

    Every unreadable value is reported at once, naming the argument and the position.
    """
    pct = np.asarray(percent, dtype=object)
    dec = np.asarray(decimals, dtype=object) if decimals is not None else np.full(pct.shape, None, object)
    try:
        pct, dec = np.broadcast_arrays(pct, dec)
    except ValueError:
        raise DataError(
            Problem(f"shapes do not broadcast: {name} {pct.shape}, decimals {dec.shape}", file=ARGUMENTS)
        ) from None
    num = np.zeros(pct.shape, np.int64)
    dd = np.zeros(pct.shape, np.int64)
    txt = np.empty(pct.shape, object)
    problems: list[Problem] = []
    for idx in np.ndindex(pct.shape):
        pos = idx[0] if len(idx) == 1 else idx
        value = pct[idx]
        try:
            if is_missing(value):
                raise ValueError("missing percentage")
            text = value if isinstance(value, str) else percent_to_text(value)
            num[idx], dd[idx], txt[idx] = parse_percent_text(text, _decimals_or_none(dec[idx]))
        except (ValueError, TypeError) as err:
            problems.append(Problem(f"{err} at position {pos}", file=ARGUMENTS, column=name))
    if problems:
        raise DataError(problems)
    return num, dd, txt

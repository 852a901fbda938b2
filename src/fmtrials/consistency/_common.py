"""Helpers shared by the audit modules: missing values and the unicode spellings of printed numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["is_missing", "number_or_none", "int_or_none", "UNICODE"]

#: Typographic spellings papers print, mapped to ASCII (middle dots, minus signs, relations, superscripts).
UNICODE = str.maketrans(
    {
        "\u00b7": ".",
        "\u22c5": ".",
        "\u2212": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2264": "<=",
        "\u2a7d": "<=",
        "\u2265": ">=",
        "\u2a7e": ">=",
        "\uff1c": "<",
        "\uff1e": ">",
        "\uff1d": "=",
        "\u00d7": "x",
        "\u2009": " ",
        "\u00a0": " ",
        "\u202f": " ",
        "\u207b": "-",
        "\u2070": "0",
        "\u00b9": "1",
        "\u00b2": "2",
        "\u00b3": "3",
        "\u2074": "4",
        "\u2075": "5",
        "\u2076": "6",
        "\u2077": "7",
        "\u2078": "8",
        "\u2079": "9",
    }
)


def is_missing(value: Any) -> bool:
    """True for None, pandas NA/NaT, NaN and blank text (unlike ``_format.is_missing``, other text is present).

    Examples
    --------
    >>> [is_missing(v) for v in (None, float("nan"), "  ", "25.4", 0)]
    [True, True, True, False, False]
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(np.isnan(value))
    except (TypeError, ValueError):
        return False


def number_or_none(value: Any) -> float | None:
    """``value`` as a float; None when it is missing or not a number."""
    if is_missing(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def int_or_none(value: Any) -> int | None:
    """``value`` as an int (truncated, as ``int(float)``); None when it is missing or not a number."""
    v = number_or_none(value)
    return None if v is None else int(v)

"""The tidy tables :func:`~fmtrials.revman.read_revman` returns, and RevMan's words for measures and models.

Both readers (``.rm5`` XML and the analysis CSV export) build the same two tables: one row per study in an
outcome (:data:`STUDY_COLUMNS`) and one row per total or subtotal RevMan computed (:data:`RESULT_COLUMNS`).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from .._validation import shown

__all__ = [
    "STUDY_COLUMNS",
    "RESULT_COLUMNS",
    "decode_name",
    "revman_measure",
    "revman_model",
    "analysed_measure",
    "study_frame",
    "result_frame",
    "number",
    "year",
    "OUTCOME_KEYS",
]

#: what both readers know of the outcome a total belongs to (copied from the outcome context into each result row)
OUTCOME_KEYS = (
    "comparison",
    "outcome",
    "comparison_no",
    "outcome_no",
    "data_type",
    "revman_measure",
    "measure",
    "method",
    "model",
)

#: one row per study in an outcome (continuous outcomes keep means and SDs; counts are then ``<NA>`` events)
STUDY_COLUMNS = (
    "study",
    "comparison",
    "outcome",
    "subgroup",
    "comparison_no",
    "outcome_no",
    "subgroup_no",
    "data_type",
    "year",
    "events_t",
    "n_t",
    "events_c",
    "n_c",
    "mean_t",
    "sd_t",
    "mean_c",
    "sd_c",
    "revman_measure",
    "measure",
    "method",
    "model",
    "revman_estimate",
    "revman_ci_low",
    "revman_ci_high",
    "revman_weight",
)

#: one row per outcome total (``subgroup`` empty) or subgroup subtotal, with RevMan's own computed values
RESULT_COLUMNS = (
    "comparison",
    "outcome",
    "subgroup",
    "comparison_no",
    "outcome_no",
    "subgroup_no",
    "data_type",
    "revman_measure",
    "measure",
    "method",
    "model",
    "k",
    "events_t",
    "n_t",
    "events_c",
    "n_c",
    "estimate",
    "ci_low",
    "ci_high",
    "chi2",
    "df",
    "p_chi2",
    "i2",
    "tau2",
    "z",
    "p_z",
    "chi2_subgroups",
    "p_subgroups",
    "i2_subgroups",
)

_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")

#: RevMan's effect measure -> (fmtrials measure, method forced by the measure or None)
_MEASURES = {
    "OR": ("OR", None),
    "RR": ("RR", None),
    "RD": ("RD", None),
    "PETO_OR": ("OR", "Peto"),
    "PETO OR": ("OR", "Peto"),
    "MD": ("MD", None),
    "SMD": ("SMD", None),
}
#: the measures fmtrials analyses for each RevMan data type
_ANALYSED = {"dichotomous": ("OR", "RR", "RD"), "continuous": ("MD", "SMD")}
_METHODS = {"MH": "MH", "IV": "IV", "PETO": "Peto"}


def decode_name(text: str) -> str:
    """Decode RevMan's XML-name escapes (``_x002d_`` is ``-``) and drop a ``STD-`` id prefix.

    Examples
    --------
    >>> decode_name("STD-ISIS_x002d_2")
    'ISIS-2'
    """
    text = text[4:] if text.startswith("STD-") else text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def revman_measure(measure: str, method: str) -> tuple[str | None, str | None]:
    """RevMan's effect measure and method -> fmtrials ``measure=`` and ``method=`` (None: not analysable).

    Examples
    --------
    >>> revman_measure("PETO_OR", "PETO"), revman_measure("OR", "MH"), revman_measure("SMD", "IV")
    (('OR', 'Peto'), ('OR', 'MH'), ('SMD', 'IV'))
    """
    m, forced = _MEASURES.get(measure.strip().upper(), (None, None))
    return m, forced or _METHODS.get(method.strip().upper())


def analysed_measure(measure: str | None, data_type: str) -> str | None:
    """``measure`` when fmtrials analyses it for this data type (OR, RR, RD dichotomous; MD, SMD continuous),
    else None (a measure of another data type, or an outcome type fmtrials does not analyse).

    Examples
    --------
    >>> analysed_measure("SMD", "continuous"), analysed_measure("SMD", "dichotomous"), analysed_measure("OR", "o-e")
    ('SMD', None, None)
    """
    return measure if measure in _ANALYSED.get(data_type, ()) else None


def revman_model(random: str) -> str:
    """RevMan's ``RANDOM="YES"/"NO"`` or ``Analysis Model`` (``Fixed``/``Random``) -> ``"common"``/``"random"``,
    the words of :class:`~fmtrials.PoolResult` (RevMan's "fixed effect" is the common-effect model)."""
    return "random" if random.strip().upper() in ("YES", "RANDOM") else "common"


_NUMBER = re.compile(r"[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][+-]?[0-9]+)?")
_THOUSANDS = re.compile(r"[+-]?[1-9][0-9]{0,2}(,[0-9]{3})+")


def number(text: str | None) -> float:
    """A RevMan number attribute or cell (not a count) as a float; empty or missing is NaN.

    A decimal comma (``0,55``, some locales' exports) is read as a decimal point. Raises ValueError, saying
    why, for text that is not a plain decimal number (``inf``, ``nan``, ``1_0``), for a value beyond the
    range of a double, and for ``1,000`` (a thousands separator or a decimal comma: never guessed).

    Examples
    --------
    >>> number("0.5513"), number("0,25"), number("-1.5e-3"), number("")
    (0.5513, 0.25, -0.0015, nan)
    >>> number("1,000")
    Traceback (most recent call last):
    ...
    ValueError: '1,000' is ambiguous (a thousands separator or a decimal comma?): write the number without it
    """
    if text is None or not text.strip():
        return math.nan
    s = text.strip()
    if not _NUMBER.fullmatch(s):
        raise ValueError(f"{shown(s)} is not a number")
    if _THOUSANDS.fullmatch(s):
        raise ValueError(
            f"{shown(s)} is ambiguous (a thousands separator or a decimal comma?): write the number without it"
        )
    x = float(s.replace(",", "."))
    if not math.isfinite(x):
        raise ValueError(f"{shown(s)} is out of range")
    return x


def year(text: str | None) -> float | None:
    """A study's year as a number when it is one to four ASCII digits (``2001``), else None (``2001a``, empty).

    Examples
    --------
    >>> year("2001"), year("2001a"), year("²"), year(None)
    (2001.0, None, None, None)
    """
    t = (text or "").strip()
    return float(t) if re.fullmatch(r"[0-9]{1,4}", t) else None


def _none_for_missing(df: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Text columns hold ``None`` (not NaN) where there is no value: no subgroup, a measure not analysed."""
    for c in columns:
        df[c] = df[c].astype(object).where(df[c].notna(), None)


def study_frame(rows: list[dict[str, Any]] | dict[str, Any]) -> pd.DataFrame:
    """The study table from parsed rows (or columns), with its column order and dtypes."""
    df = pd.DataFrame(rows, columns=list(STUDY_COLUMNS))
    _none_for_missing(df, ("subgroup", "measure", "method"))
    for c in ("events_t", "n_t", "events_c", "n_c", "comparison_no", "outcome_no", "subgroup_no", "year"):
        df[c] = pd.array(df[c].to_numpy(dtype=float, na_value=np.nan), dtype="Float64").round().astype("Int64")
    return df


def result_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The results table from parsed rows, with its column order and dtypes."""
    df = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    _none_for_missing(df, ("subgroup", "measure", "method"))
    for c in ("k", "events_t", "n_t", "events_c", "n_c", "comparison_no", "outcome_no", "subgroup_no"):
        df[c] = pd.array(df[c].to_numpy(dtype=float, na_value=np.nan), dtype="Float64").round().astype("Int64")
    return df

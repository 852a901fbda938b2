"""A user's outcomes table (CSV path or DataFrame), read and validated: :func:`read_outcomes`."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .._csv import type_columns, where
from ..errors import DataError, Problem
from ._specs import MAX_STUDIES, SPECS, USER_REQUIRED, _check_table, _label, _read_text


def read_outcomes(path_or_frame: str | os.PathLike | pd.DataFrame) -> pd.DataFrame:
    """Read and validate a user's outcomes table (CSV path or DataFrame).

    Required columns: ``study``, ``endpoint``, ``n``, ``responders`` and at least one of ``dose_mg_day``
    (0 = placebo) or ``arm`` (``placebo`` marks the control). Optional: ``direction`` (``beneficial`` or
    ``harmful``, one per endpoint; read by :func:`fmtrials.compare`, the analysis and the report, needed for
    an endpoint the glossary :func:`fmtrials.load_endpoints` does not know); every other column of
    :func:`load_outcomes`; missing ones are filled (``analysis`` and ``population`` "not stated",
    ``status`` "reported", ``source`` "user", ``locator`` the file name and row).

    Returns
    -------
    DataFrame
        With the columns of :func:`load_outcomes` plus any extra columns of the input.

    Raises
    ------
    DataError
        Every problem at once, with file, row and column: missing columns, non-integer or negative counts,
        counts above 2,147,483,647, responders > n, n = 0, a percentage outside [0, 100] or inconsistent
        with responders/n beyond rounding, duplicate (study, arm, endpoint, analysis, population, timepoint)
        rows, a study without a placebo row for an endpoint or with more than one, a ``direction`` other than
        ``beneficial``/``harmful`` or two directions for one endpoint, an empty file, a wrong
        delimiter or encoding, more than :data:`MAX_ROWS` rows or :data:`MAX_STUDIES` studies.

    Notes
    -----
    The result is marked as user data (``attrs["origin"] == "user"``): :func:`contrasts` never matches its
    study ids against the bundled trials (a user study called ``Clauw2013`` is the user's, not the bundled
    randomized-withdrawal trial).

    Examples
    --------
    >>> import pandas as pd, fmtrials
    >>> user = pd.DataFrame({"study": ["A", "A"], "dose_mg_day": [0, 100], "endpoint": ["pain_30"] * 2,
    ...                      "n": [100, 98], "responders": [30, 45]})
    >>> fmtrials.read_outcomes(user)[["study", "arm", "dose_mg_day", "n", "responders"]]
    ... # doctest: +NORMALIZE_WHITESPACE
      study          arm  dose_mg_day    n  responders
    0     A      placebo            0  100          30
    1     A  100 mg/day          100   98          45
    """
    label = _label(path_or_frame)
    text, lines = _read_text(path_or_frame, label)
    problems: list[Problem] = []
    missing = [c for c in USER_REQUIRED if c not in text.columns]
    if "dose_mg_day" not in text.columns and "arm" not in text.columns:
        missing.append("dose_mg_day (or arm)")
    if missing:
        raise DataError(
            Problem(
                "missing required column(s): "
                + ", ".join(repr(c) for c in missing)
                + f" (found: {', '.join(map(repr, text.columns))})",
                file=label,
            )
        )
    text = text.copy()
    n = len(text)
    if "arm" not in text.columns:
        text["arm"] = [
            "placebo" if d.strip() in ("0", "0.0") else (f"{d} mg/day" if d else "") for d in text["dose_mg_day"]
        ]
    if "dose_mg_day" not in text.columns:
        text["dose_mg_day"] = ["0" if a.lower().startswith("placebo") else "" for a in text["arm"]]
    defaults = {
        "analysis": "not stated",
        "population": "not stated",
        "timepoint": "",
        "percent": "",
        "status": "reported",
        "derivation": "",
        "source": "user",
        "note": "",
    }
    for col, val in defaults.items():
        if col not in text.columns:
            text[col] = [val] * n
        else:
            text[col] = [
                v if v != "" or col in ("timepoint", "percent", "derivation", "note") else val for v in text[col]
            ]
    if "locator" not in text.columns:
        base = Path(label).name if isinstance(path_or_frame, (str, os.PathLike)) else label
        text["locator"] = [f"{base} row {i + 1}" for i in range(n)]  # base name: no path leaks into output
    spec = SPECS["outcomes"]
    df = type_columns(text, spec, label, lines, problems)
    if df is None:
        raise DataError(problems)
    for i, a in enumerate(df["arm"]):
        if a is pd.NA:
            problems.append(
                Problem("arm is empty and dose_mg_day does not name it", column="dose_mg_day", **where(label, i, lines))
            )
    _check_table(df, spec, label, lines, problems, sources=None)
    if "direction" in df.columns:
        df["direction"] = _directions(df, label, lines, problems)
    n_studies = df["study"].nunique()
    if n_studies > MAX_STUDIES:
        problems.append(
            Problem(
                f"{n_studies:,} studies: fmtrials supports up to {MAX_STUDIES:,} studies per file; split the data",
                file=label,
                column="study",
            )
        )
    if problems:
        raise DataError(problems)
    df.attrs = {"origin": "user"}
    return df


def _directions(df: pd.DataFrame, label: str, lines, problems: list[Problem]) -> pd.Series:
    """The optional ``direction`` column, lower-cased: ``beneficial`` or ``harmful`` (or empty), one per endpoint."""
    values = df["direction"].astype("string").str.strip().str.lower()
    for i, v in enumerate(values.tolist()):
        if v is not pd.NA and v not in ("beneficial", "harmful", ""):
            problems.append(
                Problem(
                    f"direction must be 'beneficial' or 'harmful', got {v!r}",
                    column="direction",
                    **where(label, i, lines),
                )
            )
    values = values.replace("", pd.NA)
    per = values.groupby(df["endpoint"].to_numpy()).agg(lambda s: sorted(set(s.dropna())))
    for endpoint, found in per.items():
        if len(found) > 1:
            problems.append(
                Problem(
                    f"endpoint {endpoint!r} is given more than one direction ({', '.join(map(repr, found))})",
                    file=label,
                    column="direction",
                )
            )
    return values

"""A user's outcomes table (CSV path or DataFrame), read and validated: :func:`read_outcomes`."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pandas as pd

from .._csv import type_columns, where
from ..errors import DataError, Problem
from ._arms import derive_treatment
from ._specs import MAX_STUDIES, SPECS, USER_ALIASES, USER_REQUIRED, _check_table, _label, _read_text


def read_outcomes(path_or_frame: str | os.PathLike | pd.DataFrame) -> pd.DataFrame:
    """Read and validate a user's outcomes table (CSV path or DataFrame).

    Required columns: ``study``, ``endpoint``, ``n``, ``events`` (its alias ``responders``, the bundled
    table's name, is accepted) and at least one of ``dose_mg_day`` (0 = placebo) or ``arm`` (``placebo`` marks
    the control). Optional: ``treatment`` (``placebo`` or the drug's name; where absent or empty, ``placebo``
    for placebo rows and :data:`DEFAULT_TREATMENT` for the others), ``direction`` (``beneficial`` or
    ``harmful``, one per endpoint; read by :func:`fmtrials.compare`, the analysis and the report, needed for
    an endpoint the glossary :func:`fmtrials.load_endpoints` does not know); every other column of
    :func:`load_outcomes`; missing ones are filled (``analysis`` and ``population`` "not stated",
    ``status`` "reported", ``source`` "user", ``locator`` the file name and row). Column names are read
    case-insensitively, surrounding spaces ignored (``Study``, `` N `` and ``Events`` are ``study``, ``n``,
    ``events``).

    Returns
    -------
    DataFrame
        With the columns of :func:`load_outcomes` (the events column named ``responders`` as there, treatment
        lower case) plus any extra columns of the input.

    Raises
    ------
    DataError
        Every problem at once, with file, row and column: missing columns, non-integer or negative counts,
        counts above 2,147,483,647, responders > n, n = 0, a percentage outside [0, 100] or inconsistent
        with responders/n beyond rounding, duplicate (study, arm, endpoint, analysis, population, timepoint)
        rows, a study without a placebo row for an endpoint or with more than one, ``events`` and ``responders``
        both given and different, two columns with one name but for case, a ``treatment`` of ``placebo`` with a
        dose above 0 (or another treatment at dose 0), a ``direction`` other than
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
    given: dict[str, str] = {}  # column name used here -> the user's spelling, for the error messages
    try:
        return _read(path_or_frame, given)
    except DataError as err:
        if not given:
            raise
        raise DataError([replace(p, column=given.get(p.column or "", p.column)) for p in err.problems]) from None


def _read(path_or_frame: str | os.PathLike | pd.DataFrame, given: dict[str, str]) -> pd.DataFrame:
    label = _label(path_or_frame)
    text, lines = _read_text(path_or_frame, label)
    problems: list[Problem] = []
    text = _canonical_columns(text, label, lines, problems, given)
    missing = [
        c if _alias(c) == c else f"{c} (or {_alias(c)})"
        for c in USER_REQUIRED
        if c not in text.columns and _alias(c) not in text.columns
    ]
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
    if "events" in text.columns:  # the canonical name, stored under the bundled table's name
        text = text.drop(columns=["responders"], errors="ignore").rename(columns={"events": "responders"})
    n = len(text)
    stated = [t.strip().lower() for t in text["treatment"]] if "treatment" in text.columns else [""] * n
    if "arm" not in text.columns:
        text["arm"] = [
            "placebo"
            if d.strip() in ("0", "0.0") or t == "placebo"
            else (f"{t + ' ' if t else ''}{d} mg/day" if d else t)
            for d, t in zip(text["dose_mg_day"], stated)
        ]
    if "dose_mg_day" not in text.columns:
        text["dose_mg_day"] = [
            "0" if a.lower().startswith("placebo") or t == "placebo" else "" for a, t in zip(text["arm"], stated)
        ]
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
    df["treatment"] = derive_treatment(df)
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


def _alias(name: str) -> str:
    """The alias of a canonical column name (``events`` -> ``responders``), or the name itself."""
    return next((a for a, c in USER_ALIASES.items() if c == name), name)


def _canonical_columns(
    text: pd.DataFrame, label: str, lines, problems: list[Problem], given: dict[str, str]
) -> pd.DataFrame:
    """``text`` with the known column names lower case and trimmed; ``events`` and its alias ``responders``
    must agree where both are given (a problem per row that differs); two columns naming one column are refused."""
    known = {c.name for c in SPECS["outcomes"].columns} | set(USER_ALIASES) | set(USER_ALIASES.values())
    known |= {"direction"}
    names = [str(c).strip().lower() if str(c).strip().lower() in known else str(c).strip() for c in text.columns]
    seen: dict[str, str] = {}
    for original, name in zip(text.columns, names):
        if name in seen:
            raise DataError(
                Problem(
                    f"columns {seen[name]!r} and {original!r} both name the column {name!r} (names are read "
                    "case-insensitively): keep one",
                    file=label,
                    column=str(original),
                )
            )
        seen[name] = str(original)
    text = text.set_axis(names, axis=1)
    given.update({name: str(original) for original, name in zip(seen.values(), seen) if name != str(original)})
    if "events" in text.columns and "responders" not in text.columns:  # stored as responders: name it as given
        given["responders"] = seen["events"]
    for alias, canonical in USER_ALIASES.items():
        if alias in text.columns and canonical in text.columns:
            for i, (a, c) in enumerate(zip(text[alias], text[canonical])):
                if a != c and a != "" and c != "":
                    problems.append(
                        Problem(
                            f"{canonical} {c!r} and {alias} {a!r} differ ({alias} is another name for {canonical}: "
                            "give one, or the same value in both)",
                            column=alias,
                            **where(label, i, lines),
                        )
                    )
            text[canonical] = [c if c != "" else a for a, c in zip(text[alias], text[canonical])]
    return text


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

"""A user's continuous outcomes (CSV path or DataFrame), read and validated: :func:`read_continuous`.

One row per comparison (treatment arm against its control) of one endpoint, with the summary statistics of
each arm: ``study, endpoint, mean_t, sd_t, n_t, mean_c, sd_c, n_c`` (the vocabulary of :func:`fmtrials.pool`
for ``measure="MD"``/``"SMD"``). The cells are typed by the same reader as every other table
(:func:`fmtrials._csv.type_columns`: a thousands separator such as ``1,000`` is refused, never guessed) and the
summary statistics are checked by :func:`fmtrials._validation.frame_means` (a missing mean, SD <= 0, n < 2), every
problem naming the file, row (and line) and column.
"""

from __future__ import annotations

import os

import pandas as pd

from .._csv import Column, TableSpec, type_columns, where
from .._validation import frame_means
from .._vocab import EVENTS, MEAN_COLUMNS
from ..errors import DataError, Problem
from ._specs import MAX_STUDIES, _label, _read_text

__all__ = ["read_continuous", "CONTINUOUS_SPEC"]

CONTINUOUS_SPEC = TableSpec(
    "continuous",
    (
        Column("study", nullable=False, description="study id"),
        Column("endpoint", nullable=False, description="endpoint code, e.g. pain_change"),
        Column("mean_t", "float", description="mean of the treatment arm (e.g. change from baseline)"),
        Column("sd_t", "float", description="its standard deviation (> 0)"),
        Column("n_t", "count", description="patients analysed in the treatment arm (>= 2)"),
        Column("mean_c", "float", description="mean of the control arm"),
        Column("sd_c", "float", description="its standard deviation (> 0)"),
        Column("n_c", "count", description="patients analysed in the control arm (>= 2)"),
        Column("dose_mg_day", "float", required=False, description="dose of the treatment arm (optional)"),
        Column(
            "direction",
            required=False,
            choices=EVENTS,
            description="harmful: higher values are worse, lower is better (pain, FIQ); beneficial: higher is better",
        ),
        Column("unit", required=False, description="unit of the scale, e.g. 'points (0-100 VAS)'"),
        Column("typical_sd", "float", required=False, description="a typical SD of the scale, for the SMD"),
        Column("typical_sd_source", required=False, description="where typical_sd comes from"),
        Column("analysis", required=False),
        Column("population", required=False),
        Column("timepoint", required=False),
        Column("source", required=False),
        Column("locator", required=False),
    ),
    key=("study", "endpoint", "dose_mg_day"),
    description="user continuous outcomes: one row per comparison, summary statistics of each arm",
)

#: one value per endpoint in these columns (a second one is a problem naming the row)
_PER_ENDPOINT = ("direction", "unit", "typical_sd", "typical_sd_source")


def read_continuous(path_or_frame: str | os.PathLike | pd.DataFrame) -> pd.DataFrame:
    """Read and validate a user's continuous outcomes table (CSV path or DataFrame).

    Required columns: ``study, endpoint, mean_t, sd_t, n_t, mean_c, sd_c, n_c`` (treatment ``_t`` against
    control ``_c``: means, standard deviations and numbers analysed). Optional: ``dose_mg_day``; ``direction``
    (``harmful`` = higher values are worse, so lower is better, as pain or FIQ scores; ``beneficial`` = higher
    is better), ``unit``, ``typical_sd`` (a typical among-patient SD of the scale, > 0, to re-express the SMD in
    the scale's units, Cochrane Handbook §15.5.3.1) with ``typical_sd_source``: one value of each per endpoint;
    ``analysis, population, timepoint, source, locator``. Column names are read case-insensitively.

    Returns
    -------
    DataFrame
        The typed columns (means and SDs as floats, sizes as integers), marked ``attrs["origin"] == "user"``.

    Raises
    ------
    DataError
        Every problem at once, naming file, row (and line) and column: a missing column, a cell that is not a
        number (``1,000`` included: a thousands separator or a decimal comma is never guessed), a missing mean,
        an SD <= 0, an arm size < 2, two rows for one (study, endpoint, dose), two directions, units or typical
        SDs for one endpoint, a typical SD <= 0, an empty table, more than :data:`MAX_STUDIES` studies.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"study": ["A", "B"], "endpoint": ["pain_change"] * 2, "mean_t": [-20.1, -18.0],
    ...                   "sd_t": [22.0, 24.5], "n_t": [100, 120], "mean_c": [-12.3, -11.0],
    ...                   "sd_c": [23.1, 25.0], "n_c": [98, 118]})
    >>> read_continuous(t)[["study", "mean_t", "n_t"]]
      study  mean_t  n_t
    0     A   -20.1  100
    1     B   -18.0  120
    >>> t.loc[1, "sd_c"] = 0
    >>> try:
    ...     read_continuous(t)
    ... except DataError as err:
    ...     print(err)
    <DataFrame>, row 2, column 'sd_c': standard deviation must be > 0 (0)
    """
    label = _label(path_or_frame)
    text, lines = _read_text(path_or_frame, label)
    known = {c.name for c in CONTINUOUS_SPEC.columns}
    names = [str(c).strip().lower() if str(c).strip().lower() in known else str(c).strip() for c in text.columns]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise DataError(Problem(f"two columns name the column {dup!r} (names are read case-insensitively)", file=label))
    text = text.set_axis(names, axis=1)
    if len(text) == 0:
        raise DataError(Problem("no data rows", file=label))
    problems: list[Problem] = []
    df = type_columns(text, CONTINUOUS_SPEC, label, lines, problems)
    if df is None:
        raise DataError(problems)
    bad = {p.row for p in problems}
    rows = [i for i in range(len(df)) if i + 1 not in bad]  # a cell already refused is reported once
    try:
        frame_means(df.iloc[rows], MEAN_COLUMNS, file=label)
    except DataError as err:  # numbered within the subset: give each problem its row (and line) in the file
        for p in err.problems:
            i = rows[p.row - 1] if p.row is not None else None
            problems.append(p if i is None else Problem(p.message, column=p.column, **where(label, i, lines)))
    _check_keys(df, label, lines, problems)
    n_studies = df["study"].nunique()
    if n_studies > MAX_STUDIES:
        problems.append(Problem(f"{n_studies:,} studies: at most {MAX_STUDIES:,} per file", file=label, column="study"))
    if problems:
        raise DataError(problems)
    df.attrs = {"origin": "user"}
    return df


def _check_keys(df: pd.DataFrame, label: str, lines, problems: list[Problem]) -> None:
    """One row per (study, endpoint, dose); one direction, unit and typical SD per endpoint (typical SD > 0)."""
    seen: dict[tuple, int] = {}
    for i, key in enumerate(zip(df["study"], df["endpoint"], df["dose_mg_day"])):
        k = tuple("" if pd.isna(x) else x for x in key)
        if k in seen:
            problems.append(
                Problem(
                    f"a second row for study {k[0]!r}, endpoint {k[1]!r}"
                    + (f", dose {k[2]:g}" if k[2] != "" else "")
                    + f" (first at row {seen[k] + 1})",
                    column="study",
                    **where(label, i, lines),
                )
            )
        else:
            seen[k] = i
    for col in _PER_ENDPOINT:
        first: dict[str, object] = {}
        for i, (e, v) in enumerate(zip(df["endpoint"], df[col])):
            if pd.isna(v):
                continue
            if col == "typical_sd" and not float(v) > 0:
                problems.append(Problem(f"typical SD must be > 0 ({v:g})", column=col, **where(label, i, lines)))
            if e in first and first[e] != v:
                problems.append(
                    Problem(
                        f"endpoint {e!r} has two values of {col}: {first[e]!r} and {v!r} (one per endpoint)",
                        column=col,
                        **where(label, i, lines),
                    )
                )
            first.setdefault(e, v)

"""Table specifications of the bundled and user tables, and the checks every table passes (:func:`read_table`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .._csv import Column, TableSpec, frame_as_text, read_csv_strict, type_columns, where
from ..errors import DataError, Problem
from ._arms import _check_one_placebo, _check_placebo_present, _check_treatment

#: supported input size: at most this many data rows per file (or DataFrame) ...
MAX_ROWS = 20_000
#: ... and at most this many studies in user outcomes; larger inputs are refused with a DataError naming
#: the limit (benchmarks/bench_scale.py measures a report at this size)
MAX_STUDIES = 10_000

ANALYSES = ("BOCF", "LOCF", "OC", "registry", "mixed model", "not stated", "not applicable")
STATUSES = ("reported", "derived", "unverified", "not reported")
#: what each status word means (the report's legend; data/README.md "Provenance rules" says the same)
STATUS_MEANINGS = {
    "reported": "printed by the source as it is used here",
    "derived": "computed from printed figures (e.g. a count from a printed percentage and arm size); the "
    "arithmetic is shown in the derivation column",
    "unverified": "holds only under an assumption the source does not confirm (usually the denominator); the "
    "derivation column names the assumption and the alternatives",
    "not reported": "the source gives no figure for this arm: the row exists so the gap is explicit; no counts",
}

#: the treatments of comparator_arms.csv (the network of fibromyalgia drugs)
COMPARATOR_TREATMENTS = ("placebo", "duloxetine", "milnacipran", "pregabalin")

_PROVENANCE = (
    Column("source", "str", required=True, nullable=False, description="source id (see sources.csv)"),
    Column("locator", "str", required=True, nullable=False, description="table, row, paragraph in the source"),
)

SPECS: dict[str, TableSpec] = {
    "trials": TableSpec(
        "trials",
        (
            Column("study", nullable=False),
            Column("first_author"),
            Column("year", "int"),
            Column("citation"),
            Column("doi"),
            Column("pmid"),
            Column("registry_id"),
            Column("phase"),
            Column("design"),
            Column("region"),
            Column("n_randomized_total", "count"),
            Column("treatment_duration"),
            Column("primary_timepoint"),
            Column("primary_endpoint"),
            Column("imputation"),
            Column("in_cochrane_2015"),
            Column("poolable", choices=("yes", "no"), nullable=False),
            Column("design_notes"),
            *_PROVENANCE,
        ),
        key=("study",),
        description="one row per trial",
    ),
    "arms": TableSpec(
        "arms",
        (
            Column("study", nullable=False),
            Column("arm", nullable=False),
            Column("treatment", choices=("placebo", "milnacipran"), nullable=False),
            Column("dose_mg_day", "count"),
            Column("dose_note"),
            Column("n_randomized", "count"),
            *_PROVENANCE,
            Column("n_randomized_alt", "count"),
            Column("alt_source"),
            Column("alt_locator"),
            Column("note"),
        ),
        key=("study", "arm"),
        description="one row per randomized arm",
    ),
    "outcomes": TableSpec(
        "outcomes",
        (
            Column("study", nullable=False),
            Column("arm", nullable=False),
            Column("treatment", required=False, description="placebo or the drug's name (from arms.csv)"),
            Column("dose_mg_day", "count"),
            Column("endpoint", nullable=False),
            Column("analysis", choices=ANALYSES, nullable=False),
            Column("population", nullable=False),
            Column("timepoint"),
            Column("n", "count"),
            Column("responders", "count"),
            Column("percent", "percent"),
            Column("status", choices=STATUSES, nullable=False),
            Column("derivation"),
            *_PROVENANCE,
            Column("note"),
        ),
        key=("study", "arm", "endpoint", "analysis", "population", "timepoint"),
        description="one row per arm x endpoint x analysis population",
    ),
    "reported": TableSpec(
        "reported",
        (
            Column("study"),
            Column("label", nullable=False),
            Column("endpoint", nullable=False),
            Column("dose_mg_day", "count"),
            Column("percent_t", "percent"),
            Column("percent_c", "percent"),
            Column("n_t", "count"),
            Column("n_c", "count"),
            Column("p_reported"),
            Column("analysis"),
            Column("timepoint"),
            Column("status", choices=STATUSES, nullable=False),
            *_PROVENANCE,
            Column("note"),
        ),
        key=("label", "endpoint", "dose_mg_day", "source", "analysis"),
        description="comparisons exactly as published",
    ),
    "sources": TableSpec(
        "sources",
        (
            Column("source_id", nullable=False),
            Column("short", nullable=False),
            Column("citation", nullable=False),
            Column("url"),
            Column("contains", nullable=False),
        ),
        key=("source_id",),
        description="source id -> citation and URL",
    ),
    "endpoints": TableSpec(
        "endpoints",
        (
            Column("code", nullable=False),
            Column("label", nullable=False),
            Column("definition", nullable=False),
            Column("direction", choices=("beneficial", "harmful"), nullable=False),
            *_PROVENANCE,
        ),
        key=("code",),
        description="glossary: endpoint code -> label, definition, direction",
    ),
    "gaps": TableSpec(
        "gaps",
        (
            Column("study", description="trial id; empty when the source names no trial"),
            Column("missing", nullable=False, description="what the sources do not give"),
            Column("endpoint", description="endpoint code(s), ';'-separated; 'all'; empty when not per endpoint"),
            Column("arm", description="arm id, or 'all'"),
            Column("sources_searched", nullable=False, description="source ids consulted, ';'-separated"),
            Column("status", choices=STATUSES, nullable=False),
            *_PROVENANCE,
            Column("note"),
        ),
        key=("study", "missing"),
        description="what the sources could not give (known gaps)",
    ),
    "comparator_arms": TableSpec(
        "comparator_arms",
        (
            Column("study", nullable=False, description="trial id (e.g. Crofford2005)"),
            Column("treatment", choices=COMPARATOR_TREATMENTS, nullable=False),
            Column("dose_mg_day", "count"),
            Column("dose_note"),
            Column("arm", nullable=False, description="the arm as the source names it"),
            Column("endpoint", nullable=False),
            Column("population", nullable=False),
            Column("events", "count"),
            Column("n", "count"),
            Column("percent", "percent"),
            Column("status", choices=STATUSES, nullable=False),
            *_PROVENANCE,
            Column("note"),
        ),
        key=("study", "arm", "endpoint", "population", "source"),
        description="arms of the pregabalin, duloxetine and milnacipran trials for the comparator network",
    ),
}


# Columns a user outcomes file must have (dose_mg_day or arm; see read_outcomes).
USER_REQUIRED = ("study", "endpoint", "n", "events")
#: accepted spellings of a user column -> its canonical name (``responders`` is the bundled table's name of
#: ``events``; the loaded frames keep ``responders``)
USER_ALIASES = {"responders": "events"}


def data_dir() -> Path:
    """The directory holding the bundled CSV files (inside the installed package)."""
    return Path(str(resources.files("fmtrials") / "datasets"))


# ----------------------------------------------------------------------------------------------------------
# reading and validating one table


def _label(source) -> str:
    return str(source) if isinstance(source, (str, os.PathLike)) else "<DataFrame>"


def _read_text(source, label: str) -> tuple[pd.DataFrame, list[int] | None]:
    """The cells of a CSV path or DataFrame as stripped strings, refusing more than :data:`MAX_ROWS` rows."""
    if not isinstance(source, pd.DataFrame):
        return read_csv_strict(source, label, max_rows=MAX_ROWS)
    if len(source) > MAX_ROWS:
        raise DataError(
            Problem(
                f"{len(source):,} rows: fmtrials supports up to {MAX_ROWS:,} rows per table; split the data", file=label
            )
        )
    return frame_as_text(source)


def read_table(
    source: str | os.PathLike | pd.DataFrame,
    table: str,
    *,
    sources: pd.DataFrame | None = None,
    label: str | None = None,
) -> pd.DataFrame:
    """Read and validate one table (``trials``, ``arms``, ``outcomes``, ``reported`` or ``sources``).

    Parameters
    ----------
    source : path or DataFrame
    table : str
        Which specification to validate against (see :data:`SPECS`).
    sources : DataFrame, optional
        The sources table; when given, every ``source`` id must appear in it.
    label : str, optional
        Name used in error messages instead of the path.

    Raises
    ------
    DataError
        Listing every problem with file, row and column.
    """
    spec = SPECS.get(table)
    if spec is None:
        raise DataError(Problem(f"unknown table {table!r}; choose one of {', '.join(SPECS)}"))
    label = label or _label(source)
    text, lines = _read_text(source, label)
    problems: list[Problem] = []
    df = type_columns(text, spec, label, lines, problems)
    if df is None:
        raise DataError(problems)
    _check_table(df, spec, label, lines, problems, sources)
    if problems:
        raise DataError(problems)
    return df


def _check_table(
    df: pd.DataFrame, spec: TableSpec, file: str, lines, problems: list[Problem], sources: pd.DataFrame | None
) -> None:
    if df.empty:
        problems.append(Problem("the file has a header but no data rows", file=file))
        return
    _check_duplicates(df, spec.key, file, lines, problems)
    if sources is not None and "source" in df.columns:
        known = set(sources["source_id"].dropna())
        for col in ("source", "alt_source"):
            if col not in df.columns:
                continue
            for i, v in enumerate(df[col]):
                if v is not pd.NA and v not in known:
                    problems.append(
                        Problem(f"unknown source id {v!r} (not in sources.csv)", column=col, **where(file, i, lines))
                    )
    if spec.name in ("arms", "outcomes"):
        _check_treatment(df, file, lines, problems)
    if spec.name == "outcomes":
        _check_outcome_counts(df, file, lines, problems)
        _check_placebo_present(df, file, problems)
        _check_one_placebo(df, file, lines, problems)
    if spec.name == "comparator_arms":
        _check_outcome_counts(df, file, lines, problems, events="events")
        _check_comparator_doses(df, file, lines, problems)
    if spec.name == "reported":
        for side in ("t", "c"):
            _check_arm_size(df[f"n_{side}"], f"n_{side}", file, lines, problems)


def _check_duplicates(df: pd.DataFrame, key: Sequence[str], file: str, lines, problems: list[Problem]) -> None:
    if not key or not set(key) <= set(df.columns):
        return
    k = df[list(key)].astype("string").fillna("")
    dup = k.duplicated(keep=False)
    if not dup.any():
        return
    first: dict[tuple, int] = {}
    for i in np.flatnonzero(dup.to_numpy()).tolist():
        t = tuple(k.iloc[i])
        if t in first:
            desc = ", ".join(f"{c}={v!r}" for c, v in zip(key, t) if v != "")
            problems.append(
                Problem(
                    f"duplicate key ({desc}); first seen on row {first[t] + 1}",
                    column=",".join(key),
                    **where(file, i, lines),
                )
            )
        else:
            first[t] = i


def _check_arm_size(n: pd.Series, col: str, file: str, lines, problems: list[Problem]) -> None:
    for i in np.flatnonzero((n == 0).fillna(False).to_numpy()).tolist():
        problems.append(Problem("arm size n is 0", column=col, **where(file, i, lines)))


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def _check_comparator_doses(df: pd.DataFrame, file: str, lines, problems: list[Problem]) -> None:
    """placebo exactly when the dose is 0; a count without its n (or n without a count) is refused."""
    for i, (t, dose, e, n) in enumerate(zip(df["treatment"], df["dose_mg_day"], df["events"], df["n"])):
        if (t == "placebo") != (dose is not pd.NA and dose == 0):
            problems.append(
                Problem(f"treatment {t!r} with dose_mg_day {dose}", column="dose_mg_day", **where(file, i, lines))
            )
        if (e is pd.NA) != (n is pd.NA):
            problems.append(
                Problem(
                    "events and n go together (a percentage without n stays a percentage)",
                    column="events",
                    **where(file, i, lines),
                )
            )


def _check_outcome_counts(
    df: pd.DataFrame, file: str, lines, problems: list[Problem], events: str = "responders"
) -> None:
    _check_arm_size(df["n"], "n", file, lines, problems)
    over = (df[events] > df["n"]).fillna(False).to_numpy()
    for i in np.flatnonzero(over).tolist():
        problems.append(
            Problem(
                f"{events} ({df[events].iloc[i]}) exceed n ({df['n'].iloc[i]})",
                column=events,
                **where(file, i, lines),
            )
        )
    for i, (r, n, pct) in enumerate(zip(df[events], df["n"], df["percent"])):
        if r is pd.NA or n is pd.NA or pct is pd.NA or n == 0 or r > n or not 0 <= float(pct) <= 100:
            continue
        d = _decimals(pct)
        exact = 100.0 * r / n
        tol = 0.5 * 10.0 ** (-d) + 1e-9
        if abs(exact - float(pct)) > tol:
            problems.append(
                Problem(
                    f"percent {pct!r} is inconsistent with {events}/n = {r}/{n} = {exact:.{d + 2}f}% "
                    f"(beyond rounding to {d} decimal{'s' if d != 1 else ''})",
                    column="percent",
                    **where(file, i, lines),
                )
            )

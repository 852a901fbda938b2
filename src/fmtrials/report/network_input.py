"""The input of the comparator-network section: the bundled comparator arms or a user ``--comparators`` file,
validated and fitted once per input and process (a report is built many times in the tests).

:func:`prepare` is called before anything is written (:func:`fmtrials.report.run.write_report`), so a bad file
leaves no trace; every problem names the file, row, column, study and treatment.
"""

from __future__ import annotations

import csv
import functools
import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError, Problem

__all__: list[str] = []  # private module: the public name is write_report(comparators=)

FOCUS = "milnacipran"
ENDPOINT = "pain_30"
METHOD = "REML"


def _rows_of(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return list(csv.DictReader(fh))
    except (OSError, UnicodeError, csv.Error):
        return []


def _named(p: Problem, rows: list[dict[str, str]]) -> Problem:
    """``p`` with the study and treatment of its row added to the message (when the row is known)."""
    if p.row is None or not 1 <= p.row <= len(rows):
        return p
    r = rows[p.row - 1]
    who = f"study {r.get('study', '')!r}, treatment {r.get('treatment', '')!r}"
    return Problem(f"{p.message} ({who})", file=p.file, row=p.row, column=p.column, line=p.line)


def read_comparators(path: str | Path) -> pd.DataFrame:
    """A user comparator-arms CSV (the layout of ``data/comparator_arms.csv``), validated: every problem names
    the file, row, column, study and treatment; one arm per treatment and dose per study; milnacipran, placebo
    and >=30% pain-response counts present."""
    from .. import data as _data

    path = Path(path)
    label = str(path)
    rows = _rows_of(path)
    try:
        arms = _data.read_table(path, "comparator_arms", label=label)
    except DataError as err:
        raise DataError([_named(p, rows) for p in err.problems]) from None
    use = arms[_analysed(arms)]
    problems = []
    seen: dict[tuple, int] = {}
    for i in use.index.tolist():
        r = arms.loc[i]
        key = (r["study"], r["treatment"], r["dose_mg_day"])
        if key in seen:
            problems.append(
                Problem(
                    f"a second {ENDPOINT} arm of treatment {r['treatment']!r} at dose {r['dose_mg_day']} in study "
                    f"{r['study']!r} (first on row {seen[key] + 1}): one arm per treatment and dose per study",
                    file=label,
                    row=i + 1,
                    column="dose_mg_day",
                )
            )
        seen.setdefault(key, i)
    for t in (FOCUS, "placebo"):
        if t not in set(use["treatment"]):
            problems.append(
                Problem(f"no {t} arm with {ENDPOINT} counts (events and n): no network to answer with", file=label)
            )
    if problems:
        raise DataError([_named(p, rows) for p in problems])
    return arms


def _sha(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""  # read_comparators names the problem


def prepare(comparators: Path | None, measure: str) -> Any:
    """The fitted :class:`~fmtrials.analysis.network.ComparatorNetwork` for the bundled arms or the file
    ``comparators`` (DataError naming the file for a bad one, before anything is written)."""
    return _fit(None if comparators is None else str(comparators), _sha(comparators) if comparators else "", measure)


@functools.lru_cache(maxsize=8)
def _fit(path: str | None, sha: str, measure: str) -> Any:
    from ..analysis.network import comparator_network

    del sha  # part of the cache key only: a changed file is fitted again
    arms = None if path is None else read_comparators(path)
    try:
        return comparator_network(measure=measure, method=METHOD, arms=arms)  # type: ignore[arg-type]
    except DataError as err:
        if path is None or arms is None:
            raise
        # the engine's rows count the analysed arms (pain_30 with counts, file order): back to the file's rows
        used = [int(i) + 1 for i in arms.index[_analysed(arms)]]
        rows = _rows_of(Path(path))

        def where(r: int | None) -> int | None:
            return used[r - 1] if r is not None and 1 <= r <= len(used) else None

        raise DataError(
            [_named(Problem(p.message, file=path, row=where(p.row), column=p.column), rows) for p in err.problems]
        ) from None


def _analysed(arms: pd.DataFrame) -> pd.Series:
    return (arms["endpoint"] == ENDPOINT) & arms["events"].notna() & arms["n"].notna()

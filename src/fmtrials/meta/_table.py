"""Input side of :mod:`fmtrials.meta`: the table of counts, unique study labels, subgroups, placebo ids.

Counts are validated by the package's one path (:func:`fmtrials._validation.frame_counts`), so every problem
names the 1-based data row and the column, exactly as :func:`fmtrials.compare` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validation import ARGUMENTS, DATAFRAME, frame_counts, frame_means
from .._vocab import CONTINUOUS_MEASURES, COUNT_COLUMNS, MEAN_COLUMNS
from ..effects.sizes import StudyEffects, study_effects
from ..errors import DataError, Problem

__all__: list[str] = []  # private module


def as_frame(table: Any, columns: tuple[str, ...] = COUNT_COLUMNS) -> pd.DataFrame:
    """``table`` as a DataFrame with the four count columns (or the given ``columns``) and at least one row, or
    DataError."""
    if isinstance(table, pd.DataFrame):
        df = table
    elif isinstance(table, Mapping):
        try:
            df = pd.DataFrame(dict(table))
        except ValueError as err:
            raise DataError(Problem(f"cannot make a table: {err}", file=ARGUMENTS, column="table")) from None
    else:
        raise DataError(
            Problem(
                f"must be a DataFrame (e.g. from fmtrials.contrasts()), got {type(table).__name__}",
                file=ARGUMENTS,
                column="table",
            )
        )
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            Problem(
                f"missing column(s) {', '.join(missing)}; need {', '.join(columns)}",
                file=DATAFRAME,
                column=missing[0],
            )
        )
    if len(df) == 0:
        raise DataError(Problem("the table has no rows: nothing to pool", file=DATAFRAME))
    if df.attrs:  # pandas deep-copies attrs on every column access: drop them once (speed)
        df = df.copy(deep=False)
        df.attrs = {}
    return df


def _dose_text(dose: object) -> str:
    """``100 -> "100 mg/day"`` (a missing dose reads "dose not stated")."""
    try:
        value = float(dose)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(dose)
    return "dose not stated" if value != value else f"{value:g} mg/day"


def study_labels(df: pd.DataFrame, by: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(study, label): ``label`` is unique; repeated studies are told apart by dose (``"Mease2009 (100 mg/day)"``),
    arm, ``by`` or position, the first that makes every label unique.

    This is the one place a study label is made; plots and the report use the ``label`` column of
    :attr:`PoolResult.studies`.
    """
    n = len(df)
    if "study" in df.columns:
        study = np.array([str(x) for x in df["study"].to_numpy(dtype=object)], dtype=object)
    else:
        study = np.array([f"Study {i + 1}" for i in range(n)], dtype=object)
    if len(set(study)) == n:
        return study, study
    counts = pd.Series(study).value_counts()
    dup = np.array([counts[x] > 1 for x in study])
    for col in ("dose_mg_day", "arm", by):
        if col is not None and col in df.columns:
            extra = [_dose_text(x) if col == "dose_mg_day" else str(x) for x in df[col].to_numpy(dtype=object)]
            cand = np.array([f"{a} ({b})" if d else a for a, b, d in zip(study, extra, dup)], dtype=object)
            if len(set(cand)) == n:
                return study, cand
    seen: dict[str, int] = {}
    out = []
    for a, d in zip(study, dup):
        seen[a] = seen.get(a, 0) + 1
        out.append(f"{a} [{seen[a]}]" if d else a)
    return study, np.array(out, dtype=object)


@dataclass(frozen=True)
class Means:
    """The validated summary statistics of a continuous outcome and their per-study effects (escalc)."""

    mean_t: np.ndarray
    sd_t: np.ndarray
    mean_c: np.ndarray
    sd_c: np.ndarray
    effects: StudyEffects

    def take(self, idx: np.ndarray) -> Means:
        e = self.effects
        sub = StudyEffects(e.yi[idx], e.vi[idx], e.corrected[idx], e.excluded[idx])
        return Means(self.mean_t[idx], self.sd_t[idx], self.mean_c[idx], self.sd_c[idx], sub)


@dataclass(frozen=True)
class Data:
    """The validated counts of one analysis (int64 arrays) with labels, subgroup values and placebo ids.

    A continuous outcome carries its :class:`Means` (``means``); its ``n1, n2`` are the arm sizes and ``a, c``
    zeros (no events)."""

    a: np.ndarray
    n1: np.ndarray
    c: np.ndarray
    n2: np.ndarray
    study: np.ndarray
    label: np.ndarray
    group: np.ndarray | None
    placebo: np.ndarray | None
    means: Means | None = None

    def take(self, idx: np.ndarray) -> Data:
        """The studies at positions ``idx``."""
        return Data(
            self.a[idx],
            self.n1[idx],
            self.c[idx],
            self.n2[idx],
            self.study[idx],
            self.label[idx],
            None if self.group is None else self.group[idx],
            None if self.placebo is None else self.placebo[idx],
            None if self.means is None else self.means.take(idx),
        )

    def effects(self, measure: Any) -> StudyEffects:
        """Per-study effects (escalc rule): the continuous ones of ``means``, else those of the 2x2 counts."""
        if self.means is not None:
            return self.means.effects
        return study_effects(self.a, self.n1, self.c, self.n2, measure=measure)


def prepare(table: Any, by: str | None = None, measure: str | None = None) -> Data:
    """Validate ``table`` (counts, or the summary statistics of a continuous ``measure``; ``by`` column) and
    return its :class:`Data`."""
    means = None
    if measure in CONTINUOUS_MEASURES:
        from ..effects.continuous import mean_effects

        df = as_frame(table, MEAN_COLUMNS)
        mt, st, nt, mc, sc, nc = frame_means(df, MEAN_COLUMNS)
        cm: Any = measure
        means = Means(mt, st, mc, sc, mean_effects(mt, st, nt, mc, sc, nc, measure=cm))
        n1, n2 = nt.astype(np.int64), nc.astype(np.int64)
        a, c = np.zeros_like(n1), np.zeros_like(n2)
    else:
        df = as_frame(table)
        a, n1, c, n2 = frame_counts(df, COUNT_COLUMNS)
    group = None
    if by is not None:
        if by not in df.columns:
            raise DataError(Problem(f"by column {by!r} not in the table", file=ARGUMENTS, column="by"))
        g = df[by]
        if g.isna().any():
            rows = [int(i) + 1 for i in np.nonzero(g.isna().to_numpy())[0]]
            raise DataError([Problem("missing subgroup value", file=DATAFRAME, row=r, column=by) for r in rows])
        group = g.to_numpy(dtype=object)
    placebo = None
    if "placebo_id" in df.columns:
        placebo = df["placebo_id"].to_numpy(dtype=object, na_value=None)
    study, label = study_labels(df, by)
    return Data(a, n1, c, n2, study, label, group, placebo, means)


def group_order(group: np.ndarray) -> list[Any]:
    """Subgroup values in their reporting order: sorted when comparable, else first appearance."""
    labels = list(pd.unique(pd.Series(group, dtype=object)))
    try:
        return sorted(labels)
    except TypeError:
        return labels

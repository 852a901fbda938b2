"""Reading RevMan 5's analysis CSV export.

One header line (``Comparison Number, Outcome Number, Subgroup Number, Name, Data Type, Statistical Method,
Effect Measure, Analysis Model, Events 1, Mean 1, SD 1, Total 1, Events 2, ..., Effect Estimate, SE, CI Start,
CI End, Weight, Q, P(Q), I²(Q), Tau², Z, P(Z), Qint, P(Qint), I²(Qint), df, ...``), then rows keyed by the three
numbers. The first row of each key is a header: outcome number 0 names a comparison, subgroup number 0 an
outcome (its data type, method, measure, model and RevMan's totals), any other subgroup number a subgroup (its
subtotals); every further row with that key is a study. In RevMan's totals ``Q`` is the heterogeneity Chi²
and ``Qint`` the test for subgroup differences.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from typing import Any

import pandas as pd

from ..errors import DataError, Problem
from ._table import OUTCOME_KEYS, number, result_frame, revman_measure, revman_model, study_frame

__all__ = ["read_revman_csv", "HEADER"]

#: the columns of RevMan 5's analysis export, in its order (also what :func:`write_revman_csv` writes)
HEADER = (
    "Comparison Number",
    "Outcome Number",
    "Subgroup Number",
    "Name",
    "Data Type",
    "Statistical Method",
    "Effect Measure",
    "Analysis Model",
    "Events 1",
    "Mean 1",
    "SD 1",
    "Total 1",
    "Events 2",
    "Mean 2",
    "SD 2",
    "Total 2",
    "Effect Estimate",
    "SE",
    "CI Start",
    "CI End",
    "Weight",
    "Q",
    "P(Q)",
    "I²(Q)",
    "Tau²",
    "Z",
    "P(Z)",
    "Qint",
    "P(Qint)",
    "I²(Qint)",
    "df",
    "Group Label 1",
    "Group Label 2",
    "Left Graph Label",
    "Right Graph Label",
    "Year of study",
    "User defined order",
)
_REQUIRED = (
    "Comparison Number",
    "Outcome Number",
    "Subgroup Number",
    "Name",
    "Data Type",
    "Statistical Method",
    "Effect Measure",
    "Analysis Model",
    "Events 1",
    "Total 1",
    "Events 2",
    "Total 2",
)
_TYPES = {"DIC": "dichotomous", "CON": "continuous"}


def _key(name: str) -> str:
    """A header cell reduced to letters and digits (``I²(Q)`` -> ``i2q``), robust to its encoding."""
    return re.sub(r"[^a-z0-9]", "", name.lower().replace("²", "2"))


def _text(path: str | os.PathLike[str], label: str) -> str:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise DataError(Problem("file not found", file=label)) from None
    except OSError as err:
        raise DataError(Problem(f"cannot read: {err.strerror}", file=label)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class _Rows:
    """Typed access to one CSV record, collecting problems with the file's line and the column's name."""

    def __init__(self, label: str, cols: dict[str, int]) -> None:
        self.label, self.cols = label, cols
        self.problems: list[Problem] = []
        self.record: list[str] = []
        self.line = 0

    def text(self, name: str) -> str:
        i = self.cols.get(_key(name))
        return self.record[i].strip() if i is not None and i < len(self.record) else ""

    def num(self, name: str, *, count: bool = False) -> float:
        cell = self.text(name)
        try:
            x = number(cell)
        except ValueError:
            self.problems.append(Problem(f"not a number: {cell!r}", file=self.label, column=name, line=self.line))
            return math.nan
        if count and not math.isnan(x) and (x < 0 or x != int(x)):
            self.problems.append(
                Problem(f"not a count (a whole number >= 0): {cell!r}", file=self.label, column=name, line=self.line)
            )
            return math.nan
        return x


def _totals(r: _Rows, ctx: dict[str, Any], subgroup: str | None, subgroup_no: float) -> dict[str, Any]:
    row = {k: ctx[k] for k in OUTCOME_KEYS}
    row.update(
        subgroup=subgroup,
        subgroup_no=subgroup_no,
        k=math.nan,
        events_t=r.num("Events 1", count=True),
        n_t=r.num("Total 1", count=True),
        events_c=r.num("Events 2", count=True),
        n_c=r.num("Total 2", count=True),
        estimate=r.num("Effect Estimate"),
        ci_low=r.num("CI Start"),
        ci_high=r.num("CI End"),
        chi2=r.num("Q"),
        df=r.num("df"),
        p_chi2=r.num("P(Q)"),
        i2=r.num("I²(Q)"),
        tau2=r.num("Tau²"),
        z=r.num("Z"),
        p_z=r.num("P(Z)"),
        chi2_subgroups=r.num("Qint"),
        p_subgroups=r.num("P(Qint)"),
        i2_subgroups=r.num("I²(Qint)"),
    )
    if subgroup is not None:
        row.update(chi2_subgroups=math.nan, p_subgroups=math.nan, i2_subgroups=math.nan)
    if ctx["data_type"] != "dichotomous":
        row.update(events_t=math.nan, events_c=math.nan)
    return row


def _study(r: _Rows, ctx: dict[str, Any]) -> dict[str, Any]:
    row = {k: ctx[k] for k in (*OUTCOME_KEYS, "subgroup", "subgroup_no")}
    year = r.text("Year of study")
    row.update(
        study=r.text("Name"),
        year=float(year) if year.isdigit() else None,
        n_t=r.num("Total 1", count=True),
        n_c=r.num("Total 2", count=True),
        revman_estimate=r.num("Effect Estimate"),
        revman_ci_low=r.num("CI Start"),
        revman_ci_high=r.num("CI End"),
        revman_weight=r.num("Weight"),
    )
    if ctx["data_type"] == "dichotomous":
        row.update(events_t=r.num("Events 1", count=True), events_c=r.num("Events 2", count=True))
    elif ctx["data_type"] == "continuous":
        row.update(mean_t=r.num("Mean 1"), sd_t=r.num("SD 1"), mean_c=r.num("Mean 2"), sd_c=r.num("SD 2"))
    return row


def _outcome_context(r: _Rows, comparison: str, cno: float, ono: float) -> dict[str, Any]:
    dtype = r.text("Data Type")
    data_type = _TYPES.get(dtype.upper(), dtype.lower())
    rm_measure = r.text("Effect Measure")
    measure, method = revman_measure(rm_measure, r.text("Statistical Method"))
    return {
        "comparison": comparison,
        "comparison_no": cno,
        "outcome": r.text("Name"),
        "outcome_no": ono,
        "data_type": data_type,
        "revman_measure": rm_measure,
        "measure": measure if data_type == "dichotomous" else None,
        "method": method,
        "model": revman_model(r.text("Analysis Model")),
        "subgroup": None,
        "subgroup_no": 0,
    }


def read_revman_csv(path: str | os.PathLike[str], label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The study table and RevMan's results table of an analysis CSV export (see :func:`fmtrials.read_revman`)."""
    reader = csv.reader(io.StringIO(_text(path, label), newline=""))
    header = next(reader, None)
    if header is None:
        raise DataError(Problem("empty file: no header line", file=label, line=1))
    cols = {_key(h): i for i, h in enumerate(header)}
    missing = [c for c in _REQUIRED if _key(c) not in cols]
    if missing:
        raise DataError(
            Problem(
                f"not a RevMan 5 analysis export: missing column(s) {', '.join(missing)}",
                file=label,
                column=missing[0],
                line=1,
            )
        )
    r = _Rows(label, cols)
    names: dict[float, str] = {}
    contexts: dict[tuple[float, float, float], dict[str, Any]] = {}
    studies: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for record in reader:
        r.record, r.line = record, reader.line_num
        if not any(c.strip() for c in record):
            continue
        cno, ono, sno = (r.num(c, count=True) for c in ("Comparison Number", "Outcome Number", "Subgroup Number"))
        if any(math.isnan(x) for x in (cno, ono, sno)):
            r.problems.append(
                Problem(
                    "a row needs its comparison, outcome and subgroup numbers",
                    file=label,
                    column="Comparison Number",
                    line=r.line,
                )
            )
            continue
        key = (cno, ono, sno)
        if ono == 0:
            if cno in names or sno != 0:
                r.problems.append(
                    Problem(
                        f"comparison {cno:g} has a second header row (outcome number 0)",
                        file=label,
                        column="Outcome Number",
                        line=r.line,
                    )
                )
            names[cno] = r.text("Name")
        elif key in contexts:
            studies.append(_study(r, contexts[key]))
        elif sno == 0:
            contexts[key] = _outcome_context(r, names.get(cno, ""), cno, ono)
            results.append(_totals(r, contexts[key], None, 0))
        elif (cno, ono, 0) not in contexts:
            r.problems.append(
                Problem(
                    f"subgroup {sno:g} comes before its outcome's header row",
                    file=label,
                    column="Subgroup Number",
                    line=r.line,
                )
            )
        else:
            contexts[key] = {**contexts[(cno, ono, 0)], "subgroup": r.text("Name"), "subgroup_no": sno}
            results.append(_totals(r, contexts[key], r.text("Name"), sno))
    if r.problems:
        raise DataError(r.problems)
    res = result_frame(results)
    st = study_frame(studies)
    k = st.groupby(["comparison_no", "outcome_no", "subgroup_no"]).size()
    k_total = st.groupby(["comparison_no", "outcome_no"]).size()
    res["k"] = pd.array(
        [
            k.get((c, o, s), 0) if s != 0 else k_total.get((c, o), 0)
            for c, o, s in zip(res["comparison_no"], res["outcome_no"], res["subgroup_no"])
        ],
        dtype="Int64",
    )
    return st, res

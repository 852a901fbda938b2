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

import codecs
import csv
import math
import os
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd

from .._csv import csv_error
from .._validation import count_from_text, count_problem, frame_counts, frame_means, shown
from ..errors import DataError, Problem
from ._table import (
    OUTCOME_KEYS,
    analysed_measure,
    number,
    result_frame,
    revman_measure,
    revman_model,
    study_frame,
    year,
)

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


_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def _encoding(path: str | os.PathLike[str], label: str) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as UTF-8, else Latin-1 (RevMan on Windows);
    UTF-16/32 and binary files (NUL bytes) are refused. Reads the file in blocks: memory stays small."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, first, lines = True, True, 0
    try:
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                if first:
                    for bom, name in _BOMS:
                        if block.startswith(bom):
                            raise DataError(
                                Problem(f"{name} text is not supported: save the export as UTF-8", file=label, line=1)
                            )
                    first = False
                if (nul := block.find(b"\x00")) >= 0:
                    line = lines + block.count(b"\n", 0, nul) + 1
                    raise DataError(Problem("a NUL byte: this is not a text CSV file", file=label, line=line))
                lines += block.count(b"\n")
                if utf8:
                    try:
                        decoder.decode(block)
                    except UnicodeDecodeError:
                        utf8 = False
            if utf8:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    utf8 = False
    except FileNotFoundError:
        raise DataError(Problem("file not found", file=label)) from None
    except OSError as err:
        raise DataError(Problem(f"cannot read: {err.strerror}", file=label)) from None
    return "utf-8-sig" if utf8 else "latin-1"


class _Rows:
    """Typed access to one CSV record, collecting problems with the file's line and the column's name."""

    def __init__(self, label: str, cols: dict[str, int]) -> None:
        self.label, self.cols = label, cols
        self.problems: list[Problem] = []
        self.unreadable: set[tuple[int, str]] = set()  # (line, column) of counts already reported
        self.record: list[str] = []
        self.line = 0

    def raw(self, name: str) -> str:
        """The cell as written (names keep their spaces: a write -> read round trip is exact)."""
        i = self.cols.get(_key(name))
        return self.record[i] if i is not None and i < len(self.record) else ""

    def text(self, name: str) -> str:
        return self.raw(name).strip()

    def num(self, name: str) -> float:
        try:
            return number(self.text(name))
        except ValueError as err:
            self.problems.append(Problem(str(err), file=self.label, column=name, line=self.line))
            self.unreadable.add((self.line, name))
            return math.nan

    def count(self, name: str) -> float:
        """A count cell, range-checked here (empty allowed: frame_counts refuses a study's missing count)."""
        text = self.text(name)
        try:
            x = count_from_text(text)
            what = count_problem(x, missing=True)
        except ValueError as err:
            what = str(err)
        else:
            if what is None:
                return x
            what = f"{shown(text)} is a {what}"
        self.problems.append(Problem(what, file=self.label, column=name, line=self.line))
        self.unreadable.add((self.line, name))
        return math.nan


def _totals(r: _Rows, ctx: dict[str, Any], subgroup: str | None, subgroup_no: float) -> dict[str, Any]:
    row = {k: ctx[k] for k in OUTCOME_KEYS}
    row.update(
        subgroup=subgroup,
        subgroup_no=subgroup_no,
        k=math.nan,
        events_t=r.count("Events 1"),
        n_t=r.count("Total 1"),
        events_c=r.count("Events 2"),
        n_c=r.count("Total 2"),
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
    dich = ctx["data_type"] == "dichotomous"
    row.update(
        study=r.raw("Name"),
        year=year(r.text("Year of study")),
        n_t=r.count("Total 1"),
        n_c=r.count("Total 2"),
        revman_estimate=r.num("Effect Estimate"),
        revman_ci_low=r.num("CI Start"),
        revman_ci_high=r.num("CI End"),
        revman_weight=r.num("Weight"),
    )
    if dich:
        row.update(events_t=r.count("Events 1"), events_c=r.count("Events 2"))
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
        "outcome": r.raw("Name"),
        "outcome_no": ono,
        "data_type": data_type,
        "revman_measure": rm_measure,
        "measure": analysed_measure(measure, data_type),
        "method": method,
        "model": revman_model(r.text("Analysis Model")),
        "subgroup": None,
        "subgroup_no": 0,
    }


def _check_studies(r: _Rows, studies: list[dict[str, Any]], lines: list[int]) -> None:
    """The one validation path (:func:`~fmtrials._validation.frame_counts`) on the dichotomous studies' counts:
    missing, out of range, events above the arm size, an arm size of 0; each problem names line and field."""
    keep = [i for i, s in enumerate(studies) if s["data_type"] == "dichotomous"]
    fields = ("Events 1", "Total 1", "Events 2", "Total 2")
    table = pd.DataFrame(
        {f: [studies[i][k] for i in keep] for f, k in zip(fields, ("events_t", "n_t", "events_c", "n_c"))}
    )
    try:
        frame_counts(
            table,
            fields,
            file=r.label,
            lines=[lines[i] for i in keep],
            context=[f"study {shown(studies[i]['study'])}: " for i in keep],
        )
    except DataError as err:  # a count already reported as unreadable is not reported again as missing
        r.problems.extend(
            q for q in err.problems if not ((q.line, q.column) in r.unreadable and "missing count" in q.message)
        )
    keep = [i for i, s in enumerate(studies) if s["data_type"] == "continuous"]
    cfields = ("Mean 1", "SD 1", "Total 1", "Mean 2", "SD 2", "Total 2")
    keys = ("mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c")
    means = pd.DataFrame({f: [studies[i][k] for i in keep] for f, k in zip(cfields, keys)})
    try:
        frame_means(
            means,
            cfields,
            file=r.label,
            lines=[lines[i] for i in keep],
            context=[f"study {shown(studies[i]['study'])}: " for i in keep],
        )
    except DataError as err:  # a value already reported as unreadable is not reported again as missing
        r.problems.extend(
            q for q in err.problems if not ((q.line, q.column) in r.unreadable and "missing" in q.message)
        )


def _records(path: str | os.PathLike[str], label: str) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, record) of a strictly parsed CSV file, read as a stream; csv module errors
    become DataErrors naming the line."""
    encoding = _encoding(path, label)
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, strict=True)
        start = 1
        try:
            for record in reader:
                yield start, reader.line_num, record
                start = reader.line_num + 1
        except csv.Error as err:
            raise csv_error(err, label, start, reader.line_num) from None


def read_revman_csv(path: str | os.PathLike[str], label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The study table and RevMan's results table of an analysis CSV export (see :func:`fmtrials.read_revman`)."""
    records = _records(path, label)
    first = next(records, None)
    if first is None:
        raise DataError(Problem("empty file: no header line", file=label, line=1))
    header = first[2]
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
    study_lines: list[int] = []
    seen: dict[tuple[float, float, float, str], int] = {}
    results: list[dict[str, Any]] = []
    for line, last, record in records:
        r.record, r.line = record, line
        if not any(c.strip() for c in record):
            continue
        if last > line:
            r.problems.append(
                Problem(
                    f'a quoted field runs from line {line} to line {last}: a stray quote (") or a line break in a '
                    "name (RevMan's names are one line)",
                    file=label,
                    line=line,
                )
            )
            continue
        if len(record) != len(header):
            r.problems.append(
                Problem(
                    f"has {len(record)} fields but the header has {len(header)} (a stray quote or comma?)",
                    file=label,
                    line=line,
                )
            )
            continue
        before = len(r.problems)
        cno, ono, sno = (r.count(c) for c in ("Comparison Number", "Outcome Number", "Subgroup Number"))
        if len(r.problems) > before:
            continue
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
            names[cno] = r.raw("Name")
        elif key in contexts:
            study = _study(r, contexts[key])
            first_line = seen.setdefault((*key, study["study"]), line)
            if first_line != line:
                r.problems.append(
                    Problem(
                        f"study {shown(study['study'])} appears twice in comparison {cno:g}, outcome {ono:g}"
                        + (f", subgroup {sno:g}" if sno else "")
                        + f" (lines {first_line} and {line}): pooled twice, its patients would count twice",
                        file=label,
                        column="Name",
                        line=line,
                    )
                )
            studies.append(study)
            study_lines.append(line)
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
            contexts[key] = {**contexts[(cno, ono, 0)], "subgroup": r.raw("Name"), "subgroup_no": sno}
            results.append(_totals(r, contexts[key], r.raw("Name"), sno))
    _check_studies(r, studies, study_lines)
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

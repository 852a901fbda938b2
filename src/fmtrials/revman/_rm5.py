"""Reading a RevMan 5 review file (``.rm5``: XML, usually ISO-8859-1 as its prolog declares).

Studies are listed under ``STUDIES_AND_REFERENCES`` (``STUDY ID="STD-ISIS_x002d_2" NAME="ISIS-2"``); the
analyses under ``ANALYSES_AND_DATA`` as ``COMPARISON`` / ``DICH_OUTCOME`` (or ``CONT_OUTCOME``) / optional
``DICH_SUBGROUP`` / ``DICH_DATA`` elements whose attributes hold the counts (``EVENTS_1, TOTAL_1, EVENTS_2,
TOTAL_2``; group 1 is the experimental arm) and RevMan's own computed values.

The file is parsed as a stream (expat, fed in blocks): only the rows read are kept, never the tree, so memory
grows with the number of studies, not with the review's text. Counts go through the package's one validation
path (:mod:`fmtrials._validation`); every problem names the element, its line and the attribute.
"""

from __future__ import annotations

import math
import os
import re
from array import array
from collections.abc import Sequence
from typing import Any
from xml.parsers import expat

import numpy as np
import pandas as pd

from .._validation import count_from_text, count_problem, frame_counts, frame_means, shown
from ..errors import DataError, Problem
from ._table import (
    OUTCOME_KEYS,
    analysed_measure,
    decode_name,
    number,
    result_frame,
    revman_measure,
    revman_model,
    study_frame,
    year,
)

__all__ = ["read_rm5"]

_KINDS = {"DICH": "dichotomous", "CONT": "continuous"}
_BLOCK = 1 << 20
_COUNTS = (("EVENTS_1", "events_t"), ("TOTAL_1", "n_t"), ("EVENTS_2", "events_c"), ("TOTAL_2", "n_c"))
_VALUES = (
    ("revman_estimate", "EFFECT_SIZE"),
    ("revman_ci_low", "CI_START"),
    ("revman_ci_high", "CI_END"),
    ("revman_weight", "WEIGHT"),
)
_MEANS = (("mean_t", "MEAN_1"), ("sd_t", "SD_1"), ("mean_c", "MEAN_2"), ("sd_c", "SD_2"))
#: the summary statistics of a continuous study, in :func:`~fmtrials._validation.frame_means` order
_CONT = (
    ("mean_t", "MEAN_1"),
    ("sd_t", "SD_1"),
    ("n_t", "TOTAL_1"),
    ("mean_c", "MEAN_2"),
    ("sd_c", "SD_2"),
    ("n_c", "TOTAL_2"),
)
_STUDY_NUMBERS = ("events_t", "n_t", "events_c", "n_c", *(k for k, _ in _VALUES + _MEANS))


class _Stop(Exception):
    """Raised from an expat handler to stop the parse with a DataError."""

    def __init__(self, error: DataError) -> None:
        self.error = error


class _Element:
    """What the reader keeps of an open element: tag, attributes, line, and what it stands for."""

    __slots__ = ("tag", "attrs", "line", "ctx", "name")

    def __init__(self, tag: str, attrs: dict[str, str], line: int) -> None:
        self.tag, self.attrs, self.line = tag, attrs, line
        self.ctx: dict[str, Any] | None = None  # a comparison, outcome or subgroup: the context of its rows
        self.name: list[str] | None = None  # a NAME element under one of those: its text


class _Reader:
    """Expat handlers that turn the analyses of a review into rows, collecting every problem found."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[Problem] = []
        self.unreadable: set[tuple[int, str]] = set()
        self.names: dict[str, str] = {}
        self.years: dict[str, str] = {}
        self.stack: list[_Element] = []
        self.results: list[dict[str, Any]] = []
        self.contexts: list[dict[str, Any]] = []  # outcomes and subgroups holding studies
        self.columns = {k: array("d") for k in _STUDY_NUMBERS}
        self.ctx_ix, self.lines = array("q"), array("q")
        self.sids: list[str] = []
        self.tags: list[str] = []
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.data
        self.parser.EntityDeclHandler = self.entity
        self.parser.buffer_text = True

    # ----------------------------------------------------------------------------------------- expat handlers

    def entity(self, name: str, *args: Any) -> None:
        raise _Stop(
            DataError(
                Problem(
                    f"declares the XML entity {shown(name)}: RevMan files have none, and entities can expand a "
                    "small file into a huge one",
                    file=self.label,
                    line=self.parser.CurrentLineNumber,
                )
            )
        )

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        el = _Element(tag, attrs, self.parser.CurrentLineNumber)
        parent = self.stack[-1] if self.stack else None
        if parent is None and tag != "COCHRANE_REVIEW":
            raise _Stop(
                DataError(
                    Problem(
                        f"not a RevMan 5 review: root element is <{tag}>, not <COCHRANE_REVIEW>",
                        file=self.label,
                        line=1,
                    )
                )
            )
        kind = tag.split("_")[0]
        if tag == "STUDY":
            sid = attrs.get("ID", "")
            self.names[sid] = attrs.get("NAME") or decode_name(sid)
            self.years[sid] = attrs.get("YEAR", "")
        elif tag == "COMPARISON" and [e.tag for e in self.stack] == ["COCHRANE_REVIEW", "ANALYSES_AND_DATA"]:
            el.ctx = {"name": None, "comparison_no": self.value(el, "NO")}
        elif parent is not None and parent.ctx is not None:
            pkind = parent.tag.split("_")[0]
            if parent.tag == "COMPARISON" and tag.endswith("_OUTCOME") and kind in _KINDS:
                el.ctx = self.outcome(el, kind, parent.ctx)
            elif parent.tag.endswith("_OUTCOME") and tag == f"{pkind}_SUBGROUP":
                el.ctx = {"name": None, "outcome": parent.ctx, "subgroup_no": self.value(el, "NO")}
                self.total(el, el.ctx)
            elif tag == f"{pkind}_DATA" and parent.tag != "COMPARISON":
                self.study(el, pkind, parent.ctx)
        if tag == "NAME" and parent is not None and parent.ctx is not None:
            el.name = []
        self.stack.append(el)

    def data(self, text: str) -> None:
        el = self.stack[-1] if self.stack else None
        if el is not None and el.name is not None:
            el.name.append(text)

    def end(self, tag: str) -> None:
        el = self.stack.pop()
        ctx = self.stack[-1].ctx if el.name is not None else None
        if ctx is not None and ctx["name"] is None:  # the first NAME child names its parent
            ctx["name"] = "".join(el.name or ()).strip()

    # ----------------------------------------------------------------------------------------------- values

    def problem(self, el: _Element, message: str, attr: str | None = None) -> None:
        self.problems.append(Problem(f"<{el.tag}> {message}", file=self.label, column=attr, line=el.line))

    def value(self, el: _Element, attr: str) -> float:
        try:
            return number(el.attrs.get(attr))
        except ValueError as err:
            self.problem(el, f"attribute {attr}: {err}", attr)
            self.unreadable.add((el.line, attr))
            return math.nan

    def count(self, el: _Element, attr: str) -> float:
        """A count attribute, range-checked here (empty allowed: frame_counts refuses a study's missing count)."""
        text = el.attrs.get(attr)
        try:
            x = count_from_text(text)
            what = count_problem(x, missing=True)
        except ValueError as err:
            what = str(err)
        else:
            if what is None:
                return x
            what = f"{shown(text or '')} is a {what}"
        self.problem(el, f"attribute {attr}: {what}", attr)
        self.unreadable.add((el.line, attr))
        return math.nan

    # ------------------------------------------------------------------------------------------------- rows

    def outcome(self, el: _Element, kind: str, cmp: dict[str, Any]) -> dict[str, Any]:
        rm_measure = el.attrs.get("EFFECT_MEASURE", "")
        measure, method = revman_measure(rm_measure, el.attrs.get("METHOD", ""))
        ctx: dict[str, Any] = {
            "name": None,
            "comparison": cmp,
            "outcome_no": self.value(el, "NO"),
            "data_type": _KINDS[kind],
            "revman_measure": rm_measure,
            "measure": analysed_measure(measure, _KINDS[kind]),
            "method": method,
            "model": revman_model(el.attrs.get("RANDOM", "NO")),
        }
        self.total(el, ctx)
        return ctx

    def total(self, el: _Element, ctx: dict[str, Any]) -> None:
        v, c = self.value, self.count
        row: dict[str, Any] = {"ctx": ctx}
        row.update(
            k=c(el, "STUDIES"),
            events_t=c(el, "EVENTS_1"),
            n_t=c(el, "TOTAL_1"),
            events_c=c(el, "EVENTS_2"),
            n_c=c(el, "TOTAL_2"),
            estimate=v(el, "EFFECT_SIZE"),
            ci_low=v(el, "CI_START"),
            ci_high=v(el, "CI_END"),
            chi2=v(el, "CHI2"),
            df=v(el, "DF"),
            p_chi2=v(el, "P_CHI2"),
            i2=v(el, "I2"),
            tau2=v(el, "TAU2"),
            z=v(el, "Z"),
            p_z=v(el, "P_Z"),
            chi2_subgroups=v(el, "Q"),
            p_subgroups=v(el, "P_Q"),
            i2_subgroups=v(el, "I2_Q"),
        )
        if "outcome" in ctx:  # a subgroup
            row.update(chi2_subgroups=math.nan, p_subgroups=math.nan, i2_subgroups=math.nan)
        self.results.append(row)

    def study(self, el: _Element, kind: str, ctx: dict[str, Any]) -> None:
        """One study's row, kept column by column (8 bytes a number) so memory stays near the file's size."""
        sid = el.attrs.get("STUDY_ID")
        if not sid:
            self.problem(el, "has no STUDY_ID attribute", "STUDY_ID")
            return
        if "ix" not in ctx:
            ctx["ix"] = len(self.contexts)
            self.contexts.append(ctx)
        dich = kind == "DICH"
        col = self.columns
        col["n_t"].append(self.count(el, "TOTAL_1"))
        col["n_c"].append(self.count(el, "TOTAL_2"))
        for key, attr in _VALUES if dich else _VALUES + _MEANS:
            col[key].append(self.value(el, attr))
        for key, attr in (("events_t", "EVENTS_1"), ("events_c", "EVENTS_2")):
            col[key].append(self.count(el, attr) if dich else math.nan)
        if dich:
            for key, _ in _MEANS:
                col[key].append(math.nan)
        self.ctx_ix.append(ctx["ix"])
        self.lines.append(el.line)
        self.sids.append(sid)
        self.tags.append(el.tag)

    # ------------------------------------------------------------------------------------------------ finish

    def finish(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Names resolved (a NAME or STUDY may come after the rows that use it) and the counts validated."""
        for row in self.results:
            row.update(_context(row.pop("ctx")))
        contexts = [_context(c) for c in self.contexts]
        table: dict[str, Any] = {k: np.frombuffer(v, dtype=float) for k, v in self.columns.items()}
        for key in (*OUTCOME_KEYS, "subgroup", "subgroup_no"):
            table[key] = [contexts[i][key] for i in self.ctx_ix]
        table["study"] = [self.names.get(sid) or decode_name(sid) for sid in self.sids]
        table["year"] = [year(self.years.get(sid)) for sid in self.sids]
        self.duplicates()
        self.check(table)
        if self.problems:
            raise DataError(self.problems)
        return study_frame(table), result_frame(self.results)

    def duplicates(self) -> None:
        """A study twice in one outcome (or subgroup) would be pooled twice: refused, naming both lines."""
        first: dict[tuple[int, str], int] = {}
        keys = pd.DataFrame({"ctx": np.frombuffer(self.ctx_ix, dtype=np.int64), "sid": self.sids})
        for i in np.flatnonzero(keys.duplicated(keep=False).to_numpy()):
            key = (self.ctx_ix[i], self.sids[i])
            if first.setdefault(key, self.lines[i]) != self.lines[i]:
                where = "subgroup" if "outcome" in self.contexts[key[0]] else "outcome"
                self.problems.append(
                    Problem(
                        f"<{self.tags[i]}> study {shown(key[1])} appears twice in one {where} (lines {first[key]} "
                        f"and {self.lines[i]}): pooled twice, its patients would count twice",
                        file=self.label,
                        column="STUDY_ID",
                        line=self.lines[i],
                    )
                )

    def check(self, table: dict[str, Any]) -> None:
        """The one validation path (:func:`~fmtrials._validation.frame_counts`) on the dichotomous studies."""
        keep = np.flatnonzero(np.array(table["data_type"], dtype=object) == "dichotomous")
        counts = pd.DataFrame({attr: table[key][keep] for attr, key in _COUNTS})
        where = _Where(self, keep)
        try:
            frame_counts(
                counts, [a for a, _ in _COUNTS], file=self.label, lines=[self.lines[i] for i in keep], context=where
            )
        except DataError as err:
            self.problems.extend(
                q for q in err.problems if not ((q.line, q.column) in self.unreadable and "missing count" in q.message)
            )
        keep = np.flatnonzero(np.array(table["data_type"], dtype=object) == "continuous")
        means = pd.DataFrame({attr: table[key][keep] for key, attr in _CONT})
        try:
            frame_means(
                means,
                [a for _, a in _CONT],
                file=self.label,
                lines=[self.lines[i] for i in keep],
                context=_Where(self, keep),
            )
        except DataError as err:  # an unreadable value is reported once, not again as missing
            self.problems.extend(
                q for q in err.problems if not ((q.line, q.column) in self.unreadable and "missing" in q.message)
            )


class _Where(Sequence[str]):
    """``"<DICH_DATA> study 'X': "`` for the i-th checked row, made only for the rows with a problem."""

    def __init__(self, reader: _Reader, keep: np.ndarray) -> None:
        self.reader, self.keep = reader, keep

    def __len__(self) -> int:
        return len(self.keep)

    def __getitem__(self, i: Any) -> Any:
        j = int(self.keep[i])
        return f"<{self.reader.tags[j]}> study {shown(self.reader.sids[j])}: "


def _context(ctx: dict[str, Any]) -> dict[str, Any]:
    """The outcome keys and subgroup of a row whose outcome (or subgroup) context is ``ctx``, names resolved."""
    out = ctx.get("outcome", ctx)
    d = {k: out[k] for k in OUTCOME_KEYS if k not in ("comparison", "outcome", "comparison_no")}
    d.update(comparison=out["comparison"]["name"] or "", comparison_no=out["comparison"]["comparison_no"])
    d.update(outcome=out["name"] or "", subgroup=None, subgroup_no=0)
    if "outcome" in ctx:
        d.update(subgroup=ctx["name"] or "", subgroup_no=ctx["subgroup_no"])
    return d


def _encoding_error(label: str, head: bytes) -> DataError:
    m = re.search(rb"""encoding\s*=\s*["']([^"']{0,40})""", head)
    declared = shown(m.group(1).decode("ascii", "replace")) if m else "an encoding"
    return DataError(
        Problem(
            f"the file declares the encoding {declared}, which it is not written in or which cannot be read: "
            "save it as UTF-8 or ISO-8859-1 (what RevMan writes)",
            file=label,
            line=1,
        )
    )


def read_rm5(path: str | os.PathLike[str], label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The study table and RevMan's results table of an ``.rm5`` file (see :func:`fmtrials.read_revman`)."""
    reader = _Reader(label)
    head = b""
    try:
        with open(path, "rb") as fh:
            while block := fh.read(_BLOCK):
                head = head or block[:200]
                reader.parser.Parse(block, False)
            reader.parser.Parse(b"", True)
    except (LookupError, ValueError):  # pyexpat: an encoding Python does not know, or a multi-byte one
        raise _encoding_error(label, head) from None
    except FileNotFoundError:
        raise DataError(Problem("file not found", file=label)) from None
    except OSError as err:
        raise DataError(Problem(f"cannot read: {err.strerror}", file=label)) from None
    except _Stop as stop:
        raise stop.error from None
    except expat.ExpatError as err:
        if expat.errors.messages[err.code] in (
            expat.errors.XML_ERROR_UNKNOWN_ENCODING,
            expat.errors.XML_ERROR_INCORRECT_ENCODING,
        ):
            raise _encoding_error(label, head) from None
        raise DataError(
            Problem(
                f"not well-formed XML (column {err.offset + 1}): {expat.ErrorString(err.code)}",
                file=label,
                line=err.lineno,
            )
        ) from None
    return reader.finish()

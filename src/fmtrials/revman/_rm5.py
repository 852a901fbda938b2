"""Reading a RevMan 5 review file (``.rm5``: XML, usually ISO-8859-1 as its prolog declares).

Studies are listed under ``STUDIES_AND_REFERENCES`` (``STUDY ID="STD-ISIS_x002d_2" NAME="ISIS-2"``); the
analyses under ``ANALYSES_AND_DATA`` as ``COMPARISON`` / ``DICH_OUTCOME`` (or ``CONT_OUTCOME``) / optional
``DICH_SUBGROUP`` / ``DICH_DATA`` elements whose attributes hold the counts (``EVENTS_1, TOTAL_1, EVENTS_2,
TOTAL_2``; group 1 is the experimental arm) and RevMan's own computed values.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from typing import Any
from xml.parsers import expat

import pandas as pd

from ..errors import DataError, Problem
from ._table import OUTCOME_KEYS, decode_name, number, result_frame, revman_measure, revman_model, study_frame

__all__ = ["read_rm5"]

_LINE = "{fmtrials}line"
_KINDS = {"DICH": "dichotomous", "CONT": "continuous"}


def _tree(data: bytes) -> ET.Element:
    """Parse XML bytes with expat (honouring the declared encoding), recording each element's line."""
    parser = expat.ParserCreate()
    builder = ET.TreeBuilder()

    def start(tag: str, attrs: dict[str, str]) -> None:
        builder.start(tag, {**attrs, _LINE: str(parser.CurrentLineNumber)})

    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.Parse(data, True)
    return builder.close()


def _parse(path: str | os.PathLike[str], label: str) -> ET.Element:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise DataError(Problem("file not found", file=label)) from None
    except OSError as err:
        raise DataError(Problem(f"cannot read: {err.strerror}", file=label)) from None
    try:
        root = _tree(data)
    except expat.ExpatError as err:
        raise DataError(
            Problem(
                f"not well-formed XML (column {err.offset + 1}): {expat.ErrorString(err.code)}",
                file=label,
                line=err.lineno,
            )
        ) from None
    if root.tag != "COCHRANE_REVIEW":
        raise DataError(
            Problem(f"not a RevMan 5 review: root element is <{root.tag}>, not <COCHRANE_REVIEW>", file=label, line=1)
        )
    return root


class _Reader:
    """Walks the analyses of one parsed review, collecting rows and every problem found."""

    def __init__(self, root: ET.Element, label: str) -> None:
        self.label = label
        self.problems: list[Problem] = []
        self.names = {s.get("ID", ""): s.get("NAME") or decode_name(s.get("ID", "")) for s in root.iter("STUDY")}
        self.years = {s.get("ID", ""): s.get("YEAR", "") for s in root.iter("STUDY")}
        self.studies: list[dict[str, Any]] = []
        self.results: list[dict[str, Any]] = []

    def problem(self, el: ET.Element, message: str, attr: str | None = None) -> None:
        self.problems.append(
            Problem(f"<{el.tag}> {message}", file=self.label, column=attr, line=int(el.get(_LINE, "0")) or None)
        )

    def value(self, el: ET.Element, attr: str, *, count: bool = False) -> float:
        text = el.get(attr)
        try:
            x = number(text)
        except ValueError:
            self.problem(el, f"attribute {attr}={text!r} is not a number", attr)
            return float("nan")
        if count and x == x and (x < 0 or x != int(x)):
            self.problem(el, f"attribute {attr}={text!r} is not a count (a whole number >= 0)", attr)
            return float("nan")
        return x

    def read(self, root: ET.Element) -> None:
        analyses = root.find("ANALYSES_AND_DATA")
        for cmp_el in [] if analyses is None else analyses.findall("COMPARISON"):
            cmp = {"comparison": _name(cmp_el), "comparison_no": self.value(cmp_el, "NO")}
            for out_el in cmp_el:
                kind = out_el.tag.split("_")[0]
                if out_el.tag.endswith("_OUTCOME") and kind in _KINDS:
                    self.outcome(out_el, kind, cmp)

    def outcome(self, el: ET.Element, kind: str, cmp: dict[str, Any]) -> None:
        rm_measure = el.get("EFFECT_MEASURE", "")
        measure, method = revman_measure(rm_measure, el.get("METHOD", ""))
        ctx = {
            **cmp,
            "outcome": _name(el),
            "outcome_no": self.value(el, "NO"),
            "data_type": _KINDS[kind],
            "revman_measure": rm_measure,
            "measure": measure if kind == "DICH" else None,
            "method": method,
            "model": revman_model(el.get("RANDOM", "NO")),
        }
        self.total(el, ctx, subgroup=None, subgroup_no=0)
        subs = el.findall(f"{kind}_SUBGROUP")
        for sub in subs:
            sctx = {**ctx, "subgroup": _name(sub), "subgroup_no": self.value(sub, "NO")}
            self.total(sub, sctx, subgroup=sctx["subgroup"], subgroup_no=sctx["subgroup_no"])
            for d in sub.findall(f"{kind}_DATA"):
                self.study(d, kind, sctx)
        for d in el.findall(f"{kind}_DATA"):
            self.study(d, kind, {**ctx, "subgroup": None, "subgroup_no": 0})

    def total(self, el: ET.Element, ctx: dict[str, Any], *, subgroup: str | None, subgroup_no: float) -> None:
        v = self.value
        row = {k: ctx[k] for k in OUTCOME_KEYS}
        row.update(
            subgroup=subgroup,
            subgroup_no=subgroup_no,
            k=v(el, "STUDIES", count=True),
            events_t=v(el, "EVENTS_1", count=True),
            n_t=v(el, "TOTAL_1", count=True),
            events_c=v(el, "EVENTS_2", count=True),
            n_c=v(el, "TOTAL_2", count=True),
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
        if subgroup is not None:
            row.update(chi2_subgroups=float("nan"), p_subgroups=float("nan"), i2_subgroups=float("nan"))
        self.results.append(row)

    def study(self, el: ET.Element, kind: str, ctx: dict[str, Any]) -> None:
        sid = el.get("STUDY_ID")
        if not sid:
            self.problem(el, "has no STUDY_ID attribute", "STUDY_ID")
            return
        v = self.value
        row = {k: ctx[k] for k in (*OUTCOME_KEYS, "subgroup", "subgroup_no")}
        year = self.years.get(sid, "")
        row.update(
            study=self.names.get(sid) or decode_name(sid),
            year=number(year) if year.isdigit() else None,
            n_t=v(el, "TOTAL_1", count=True),
            n_c=v(el, "TOTAL_2", count=True),
            revman_estimate=v(el, "EFFECT_SIZE"),
            revman_ci_low=v(el, "CI_START"),
            revman_ci_high=v(el, "CI_END"),
            revman_weight=v(el, "WEIGHT"),
        )
        if kind == "DICH":
            row.update(events_t=v(el, "EVENTS_1", count=True), events_c=v(el, "EVENTS_2", count=True))
        else:
            row.update(mean_t=v(el, "MEAN_1"), sd_t=v(el, "SD_1"), mean_c=v(el, "MEAN_2"), sd_c=v(el, "SD_2"))
        self.studies.append(row)


def _name(el: ET.Element) -> str:
    name = el.find("NAME")
    return "" if name is None or name.text is None else name.text.strip()


def read_rm5(path: str | os.PathLike[str], label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The study table and RevMan's results table of an ``.rm5`` file (see :func:`fmtrials.read_revman`)."""
    root = _parse(path, label)
    reader = _Reader(root, label)
    reader.read(root)
    if reader.problems:
        raise DataError(reader.problems)
    return study_frame(reader.studies), result_frame(reader.results)

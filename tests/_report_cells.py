"""Parse the rendered tables of a report (stdlib html.parser) and the reference counts (stdlib csv).

Tables are read by their header text, never by position: a table is a list of dicts keyed by header, plus the
heading it sits under. Rows whose cell count differs from the header (section rows such as ``Endpoint: x = ...``
and note rows) are kept apart as ``sections`` so the reader of a row knows its endpoint.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path


@dataclass
class Table:
    heading: str
    header: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)
    #: for each row: the last section row above it (e.g. "Endpoint: pgic = ...") or ""
    section: list[str] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self._raw: list[list[str]] | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._head: list[str] | None = None
        self._heading = ""
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._raw = []
            self._table_heading = self._heading
        elif tag == "tr" and self._raw is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag in ("h1", "h2", "h3", "h4", "caption"):
            self._head = []

    def handle_endtag(self, tag):
        if tag == "table" and self._raw is not None:
            raw, self._raw = self._raw, None
            if raw:
                t = Table(self._table_heading, raw[0])
                sec = ""
                for r in raw[1:]:
                    if len(r) != len(t.header):
                        sec = r[0] if r else sec
                        continue
                    t.rows.append(dict(zip(t.header, r)))
                    t.section.append(sec)
                self.tables.append(t)
        elif tag == "tr" and self._row is not None and self._raw is not None:
            self._raw.append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag in ("h1", "h2", "h3", "h4", "caption") and self._head is not None:
            self._heading = " ".join("".join(self._head).split())
            self._head = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._head is not None:
            self._head.append(data)


def html_tables(path: Path) -> list[Table]:
    p = _Parser()
    p.feed(Path(path).read_text(encoding="utf-8"))
    return p.tables


@dataclass(frozen=True)
class Arm:
    study: str
    arm: str
    endpoint: str
    dose: str
    events: int
    n: int
    analysis: str
    direction: str


PLACEBO = ("placebo", "control", "sham")


def reference_arms(outcomes_csv: Path, endpoints_csv: Path | None = None) -> list[Arm]:
    """Every arm with counts in an outcomes CSV (the bundled layout or the user layout)."""
    directions: dict[str, str] = {}
    if endpoints_csv is not None:
        with open(endpoints_csv, newline="", encoding="utf-8") as fh:
            directions = {r["code"]: r["direction"] for r in csv.DictReader(fh)}
    out = []
    with open(outcomes_csv, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if not r.get("n") or not r.get("responders"):
                continue
            out.append(
                Arm(
                    r["study"],
                    r.get("arm", ""),
                    r["endpoint"],
                    (r.get("dose_mg_day") or "").strip(),
                    int(float(r["responders"])),
                    int(float(r["n"])),
                    r.get("analysis", ""),
                    r.get("direction") or directions.get(r["endpoint"], ""),
                )
            )
    return out


def is_placebo(a: Arm) -> bool:
    return a.arm.strip().lower() in PLACEBO or a.dose == "0"


FRACTION = re.compile(r"^(\d+)/(\d+) \((\d+(?:\.\d+)?)%\)$")
EVENTS_VS = re.compile(r"^(\d+)/(\d+) vs (\d+)/(\d+)$")
ENDPOINT = re.compile(r"^(?:Endpoint:\s*)?([A-Za-z0-9_\-]+)")
NNT = re.compile(r"^(NNT[BH]|NNT) ([\d.,]+|∞) \((?:(NNT[BH]) )?([\d.,]+|∞) to (?:∞ to (NNT[BH]) )?([\d.,]+|∞)\)$")


def endpoint_of(text: str) -> str:
    m = ENDPOINT.match(text.strip())
    assert m, text
    return m.group(1)

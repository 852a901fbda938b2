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


# ------------------------------------------------------------------------------------------------ network
@dataclass(frozen=True)
class ComparatorArm:
    study: str
    node: str  # "placebo" or "<treatment> <dose_mg_day>"
    drug: str
    events: int
    n: int
    status: str
    source: str
    population: str


def comparator_arms(path: Path, endpoint: str = "pain_30") -> list[ComparatorArm]:
    """The arms of a comparator-arms CSV with counts for ``endpoint`` (file order)."""
    out = []
    with open(path, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["endpoint"] != endpoint or not r["events"] or not r["n"]:
                continue
            t = r["treatment"]
            node = t if t == "placebo" else f"{t} {r['dose_mg_day']}"
            out.append(
                ComparatorArm(
                    r["study"], node, t, int(r["events"]), int(r["n"]), r["status"], r["source"], r["population"]
                )
            )
    return out


def per_dose(arms: list[ComparatorArm]) -> list[tuple[str, str, int, int]]:
    return [(a.study, a.node, a.events, a.n) for a in arms]


def per_drug(arms: list[ComparatorArm]) -> list[tuple[str, str, int, int]]:
    """Each trial's arms of one drug summed against its placebo arm (first-seen order)."""
    acc: dict[tuple[str, str], list[int]] = {}
    for a in arms:
        s = acc.setdefault((a.study, a.drug), [0, 0])
        s[0] += a.events
        s[1] += a.n
    return [(s, t, e, n) for (s, t), (e, n) in acc.items()]


#: the published estimates against placebo for >=30% pain response, as /work/shared/reference/comparators.md §4
#: quotes them: Lee & Song 2016 (LS16, odds ratios per dose; Bayesian NMA of 9 RCTs, 5,140 patients) and the
#: Arthritis Res Ther review (H14, risk ratios per drug; 5 RCTs each with 1,884 / 4,110 / 3,259 patients)
PUBLISHED = {
    ("LS16", "duloxetine 60"): ("OR", 2.33, 1.50, 3.67, 9, 5140),
    ("LS16", "pregabalin 300"): ("OR", 1.68, 1.25, 2.28, 9, 5140),
    ("LS16", "milnacipran 100"): ("OR", 1.62, 1.16, 2.25, 9, 5140),
    ("LS16", "milnacipran 200"): ("OR", 1.61, 1.15, 2.24, 9, 5140),
    ("H14", "duloxetine"): ("RR", 1.33, 1.18, 1.51, 5, 1884),
    ("H14", "milnacipran"): ("RR", 1.38, 1.25, 1.51, 5, 4110),
    ("H14", "pregabalin"): ("RR", 1.37, 1.22, 1.53, 5, 3259),
}

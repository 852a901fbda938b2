"""Hostile RevMan files and the package's CSV writers (issue 28).

Every count in a ``.rm5`` or a RevMan CSV export is read as exact decimal digits and checked by the one
validation path (:mod:`fmtrials._validation`): nothing is wrapped, rounded or truncated, a duplicated study is
refused (it would be pooled twice), and every refusal is a :class:`~fmtrials.DataError` naming file, line (CSV) or
element and line (``.rm5``), and the field. The writers never write a live formula cell or a broken record.
The expected values are independent of the package: the counts are the ones written into each file here, the
records are those of the standard :mod:`csv` module reading the file back.
"""

from __future__ import annotations

import csv
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fmtrials
from fmtrials import DataError
from fmtrials.revman import example_path, write_effects_csv, write_revman_csv

HEADER = (
    "Comparison Number,Outcome Number,Subgroup Number,Name,Data Type,Statistical Method,Effect Measure,"
    "Analysis Model,Events 1,Mean 1,SD 1,Total 1,Events 2,Mean 2,SD 2,Total 2,Effect Estimate,SE,CI Start,CI End,"
    "Weight,Q,P(Q),I²(Q),Tau²,Z,P(Z),Qint,P(Qint),I²(Qint),df,Group Label 1,Group Label 2,Left Graph Label,"
    "Right Graph Label,Year of study,User defined order"
)
WIDTH = HEADER.count(",") + 1


def csv_row(name: str, e1: str, n1: str, e2: str, n2: str, numbers: tuple[int, int, int] = (1, 1, 0)) -> str:
    cells = [""] * WIDTH
    cells[0:4] = [*map(str, numbers), name]
    cells[8], cells[11], cells[12], cells[15] = e1, n1, e2, n2
    return ",".join(cells)


def export(*studies: str) -> str:
    """A RevMan CSV export: the header (line 1), a comparison (line 2), an outcome (line 3), then the studies."""
    outcome = "1,1,0,Death,DIC,MH,OR,Fixed" + "," * (WIDTH - 8)
    return "\n".join([HEADER, csv_row("Drug vs placebo", "", "", "", "", (1, 0, 0)), outcome, *studies]) + "\n"


def rm5(*data: str, encoding: str = "UTF-8") -> str:
    """A review whose ``DICH_DATA`` elements (``data``) start on line 6, one a line."""
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<COCHRANE_REVIEW>\n<ANALYSES_AND_DATA>\n'
        '<COMPARISON NO="1"><NAME>C</NAME>\n<DICH_OUTCOME NO="1" EFFECT_MEASURE="OR" METHOD="MH"><NAME>O</NAME>\n'
        + "".join(f"<DICH_DATA {d}/>\n" for d in data)
        + "</DICH_OUTCOME></COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>\n"
    )


def dich(study: str = "STD-A", e1: str = "1", n1: str = "10", e2: str = "2", n2: str = "10") -> str:
    return f'STUDY_ID="{study}" EVENTS_1="{e1}" TOTAL_1="{n1}" EVENTS_2="{e2}" TOTAL_2="{n2}"'


def refused(path: Path) -> list[str]:
    """The problems of the DataError reading ``path`` raises (any other exception fails the test)."""
    with pytest.raises(DataError) as e:
        fmtrials.read_revman(path)
    assert all(q.file == str(path) for q in e.value.problems)
    return [str(q) for q in e.value.problems]


# ------------------------------------------------------------------------------------------ counts, exactly

BAD_COUNTS = [
    ("1e30", "not a count"),
    ("1e20", "not a count"),
    ("inf", "not a count"),
    ("nan", "not a count"),
    ("-inf", "not a count"),
    ("1,000", "not a count"),
    ("12.0", "not a count"),
    ("3000000000", "count out of range"),
    (str(2**53 + 1), "count out of range"),
    (str(2**31), "count out of range"),
    ("9" * 5_000, "count out of range"),  # more digits than int() converts
    ("-3", "negative count"),
    ("x", "not a number"),
]


RM5_COUNTS = [*BAD_COUNTS, ("9" * 200_000, "count out of range")]  # (a CSV refuses so long a field: below)


@pytest.mark.parametrize("text, what", RM5_COUNTS, ids=[t[:12] for t, _ in RM5_COUNTS])
def test_rm5_count_refused_naming_element_line_and_attribute(tmp_path, text, what):
    p = tmp_path / "r.rm5"
    p.write_text(rm5(dich("STD-B", "1", "10", "2", "10"), dich(n1=text)), encoding="utf-8")
    msgs = refused(p)
    assert len(msgs) == 1, msgs
    assert "line 7" in msgs[0] and "<DICH_DATA>" in msgs[0] and "TOTAL_1" in msgs[0] and what in msgs[0]
    assert len(msgs[0]) < 300  # a 200,000-digit value is not echoed whole


@pytest.mark.parametrize("text, what", BAD_COUNTS, ids=[t[:12] for t, _ in BAD_COUNTS])
def test_csv_count_refused_naming_line_and_column(tmp_path, text, what):
    p = tmp_path / "r.csv"
    cell = f'"{text}"' if "," in text else text
    p.write_text(export(csv_row("B", "1", "10", "2", "10"), csv_row("A", cell, "2000", "2", "10")), encoding="utf-8")
    msgs = refused(p)
    assert len(msgs) == 1, msgs
    assert "line 5" in msgs[0] and "column 'Events 1'" in msgs[0] and what in msgs[0]


def test_largest_count_is_read_exactly(tmp_path):
    top = str(2**31 - 1)
    p = tmp_path / "r.rm5"
    p.write_text(rm5(dich(e1=top, n1=top, e2="0", n2=top)), encoding="utf-8")
    df = fmtrials.read_revman(p)
    assert df[["events_t", "n_t", "events_c", "n_c"]].iloc[0].tolist() == [2**31 - 1, 2**31 - 1, 0, 2**31 - 1]
    q = tmp_path / "r.csv"
    q.write_text(export(csv_row("A", top, top, "0", "0007")), encoding="utf-8")
    assert fmtrials.read_revman(q)[["events_t", "n_t", "n_c"]].iloc[0].tolist() == [2**31 - 1, 2**31 - 1, 7]


@pytest.mark.parametrize("text", ["inf", "NaN", "1e400", "1_0", "0x10", "1,000", "Infinity"])
def test_estimates_inf_nan_and_ambiguous_commas_refused(tmp_path, text):
    p = tmp_path / "r.rm5"
    p.write_text(rm5(dich() + f' EFFECT_SIZE="{text}"'), encoding="utf-8")
    msgs = refused(p)
    assert len(msgs) == 1 and "line 6" in msgs[0] and "EFFECT_SIZE" in msgs[0]


def test_decimal_comma_estimate_still_read(tmp_path):
    p = tmp_path / "r.csv"
    row = csv_row("A", "1", "10", "2", "10").split(",")
    row[16] = '"0,55"'
    p.write_text(export(",".join(row)), encoding="utf-8")
    assert fmtrials.read_revman(p).revman_estimate[0] == 0.55


# ------------------------------------------------------------------------- tables that cannot be pooled


def test_rm5_events_above_n_and_zero_n_refused_at_read_time(tmp_path):
    p = tmp_path / "r.rm5"
    p.write_text(rm5(dich(e1="11", n1="10"), dich("STD-B", e2="0", n2="0")), encoding="utf-8")
    msgs = refused(p)
    assert len(msgs) == 2, msgs
    assert "line 6" in msgs[0] and "EVENTS_1" in msgs[0] and "exceed" in msgs[0] and "STD-A" in msgs[0]
    assert "line 7" in msgs[1] and "TOTAL_2" in msgs[1] and "arm size is 0" in msgs[1] and "STD-B" in msgs[1]


def test_csv_events_above_n_and_zero_n_refused_at_read_time(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text(export(csv_row("A", "11", "10", "1", "10"), csv_row("B", "0", "0", "1", "10")), encoding="utf-8")
    msgs = refused(p)
    assert len(msgs) == 2, msgs
    assert "line 4" in msgs[0] and "'Events 1'" in msgs[0] and "exceed" in msgs[0]
    assert "line 5" in msgs[1] and "'Total 1'" in msgs[1] and "arm size is 0" in msgs[1]


def test_rm5_duplicated_study_refused_naming_both_lines(tmp_path):
    p = tmp_path / "r.rm5"
    p.write_text(rm5(dich(), dich("STD-B"), dich()), encoding="utf-8")
    msgs = refused(p)
    assert len(msgs) == 1 and "lines 6 and 8" in msgs[0] and "STD-A" in msgs[0] and "twice" in msgs[0]


def test_csv_duplicated_study_refused_naming_both_lines(tmp_path):
    p = tmp_path / "r.csv"
    a = csv_row("A", "1", "10", "2", "10")
    p.write_text(export(a, csv_row("B", "1", "10", "2", "10"), a), encoding="utf-8")
    msgs = refused(p)
    assert len(msgs) == 1 and "lines 4 and 6" in msgs[0] and "'A'" in msgs[0] and "column 'Name'" in msgs[0]


def test_same_study_in_two_subgroups_or_outcomes_is_kept(tmp_path):
    rows = [
        "1,1,1,Early" + "," * (WIDTH - 4),
        csv_row("A", "1", "10", "2", "10", (1, 1, 1)),
        "1,1,2,Late" + "," * (WIDTH - 4),
        csv_row("A", "3", "10", "4", "10", (1, 1, 2)),
        "1,2,0,Other,DIC,MH,RR,Fixed" + "," * (WIDTH - 8),
        csv_row("A", "5", "10", "6", "10", (1, 2, 0)),
    ]
    p = tmp_path / "r.csv"
    p.write_text(export(*rows), encoding="utf-8")
    df = fmtrials.read_revman(p)
    assert df.study.tolist() == ["A"] * 3 and df.events_t.tolist() == [1, 3, 5]


# ----------------------------------------------------------------------------- malformed CSV, encodings


@pytest.mark.parametrize(
    "rows, line, words",
    [
        ([csv_row('"Beta', "1", "10", "1", "10"), csv_row("Gamma", "2", "10", "3", "10")], "line 4", "quote"),
        ([csv_row('"Be"ta', "1", "10", "1", "10")], "line 4", "quote"),
        ([csv_row('"Beta', "1", "10", "1", "10"), csv_row('Gam"', "2", "10", "3", "10")], "line 4", "quote"),
        ([csv_row("A", "1", "10", "1", "10") + ",x"], "line 4", "38 fields but the header has 37"),
        ([csv_row("A" * 200_000, "1", "10", "1", "10")], "line 4", "longer than"),
    ],
    ids=["open-quote", "quote-then-text", "quote-spanning-lines", "extra-field", "200k-field"],
)
def test_malformed_csv_refused_naming_the_line(tmp_path, rows, line, words):
    p = tmp_path / "r.csv"
    p.write_text(export(*rows), encoding="utf-8")
    msgs = refused(p)
    assert len(msgs) == 1 and line in msgs[0] and words in msgs[0], msgs
    assert "field limit" not in msgs[0] and "expected after" not in msgs[0]  # our words, not the csv module's


def test_csv_encodings_read_and_refused(tmp_path):
    text = export(csv_row("Schädel", "1", "10", "2", "10"))
    for name, data in [
        ("bom", b"\xef\xbb\xbf" + text.encode()),
        ("utf8", text.encode()),
        ("latin1", text.encode("latin-1")),
    ]:
        p = tmp_path / f"{name}.csv"
        p.write_bytes(data)
        assert fmtrials.read_revman(p).study.tolist() == ["Schädel"], name
    for name, data, words in [
        ("utf16", text.encode("utf-16"), "UTF-16"),
        ("utf32", text.encode("utf-32"), "UTF-32"),
        ("nul", text.replace("Sch", "S\x00").encode(), "line 4: a NUL byte"),
    ]:
        p = tmp_path / f"{name}.csv"
        p.write_bytes(data)
        assert words in refused(p)[0], name


@pytest.mark.parametrize("declared", ["x-bogus", "UTF-7", "cp500", "UTF-16"])
def test_rm5_unknown_or_wrong_encoding_is_a_data_error(tmp_path, declared):
    p = tmp_path / "r.rm5"
    p.write_bytes(rm5(dich(), encoding=declared).encode())
    msgs = refused(p)
    assert len(msgs) == 1 and "line 1" in msgs[0] and declared in msgs[0] and "UTF-8" in msgs[0]


@pytest.mark.parametrize(
    "declared, codec", [("UTF-8", "utf-8-sig"), ("UTF-8", "utf-8"), ("ISO-8859-1", "latin-1"), ("UTF-16", "utf-16")]
)
def test_rm5_encodings_revman_writes_are_read(tmp_path, declared, codec):
    p = tmp_path / "r.rm5"
    p.write_bytes(rm5(dich(), encoding=declared).replace("<NAME>O</NAME>", "<NAME>Schädel</NAME>").encode(codec))
    df = fmtrials.read_revman(p)
    assert df.outcome.tolist() == ["Schädel"] and df.events_t.tolist() == [1]


def test_rm5_entity_declarations_refused(tmp_path):
    p = tmp_path / "r.rm5"
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(8))
    p.write_text(f'<?xml version="1.0"?><!DOCTYPE COCHRANE_REVIEW [{lol}]><COCHRANE_REVIEW>&l7;</COCHRANE_REVIEW>')
    assert "entity" in refused(p)[0]


# ------------------------------------------------------------------------------------------ memory


def big_review(path: Path, studies: int) -> None:
    """A review of ``studies`` studies with a few references each (many small elements, as in RevMan files) and
    three dichotomous outcomes holding every study."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<COCHRANE_REVIEW>\n<STUDIES_AND_REFERENCES><STUDIES>\n')
        for i in range(studies):
            refs = "".join(
                f"<REFERENCE><AU>Author {j} A, Other B</AU><TI>Title {j} of study {i}, long enough to weigh</TI>"
                "<SO>Journal</SO><YR>2001</YR><VL>1</VL><PG>1-9</PG></REFERENCE>"
                for j in range(6)
            )
            fh.write(f'<STUDY ID="STD-S{i}" NAME="Study {i}" YEAR="2001">{refs}</STUDY>\n')
        fh.write('</STUDIES></STUDIES_AND_REFERENCES>\n<ANALYSES_AND_DATA><COMPARISON NO="1"><NAME>C</NAME>\n')
        for o in range(1, 4):
            fh.write(f'<DICH_OUTCOME NO="{o}" EFFECT_MEASURE="OR" METHOD="MH"><NAME>O{o}</NAME>\n')
            for i in range(studies):
                fh.write(
                    f'<DICH_DATA CI_END="1.1205204215366222" CI_START="0.20024332175422618" '
                    f'EFFECT_SIZE="0.47368421052631576" ESTIMABLE="YES" EVENTS_1="{i % 40}" EVENTS_2="{i % 30}" '
                    f'LOG_CI_END="0.0494" LOG_CI_START="-0.6984" ORDER="{i}" SE="0.44" STUDY_ID="STD-S{i}" '
                    f'TOTAL_1="50" TOTAL_2="50" VAR="0.19" WEIGHT="0.028"/>\n'
                )
            fh.write("</DICH_OUTCOME>\n")
        fh.write("</COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>\n")


@pytest.mark.parametrize("studies", [2_000, pytest.param(12_000, marks=pytest.mark.slow)], ids=["4MB", "23MB"])
def test_rm5_read_in_memory_proportional_to_its_size(tmp_path, studies):
    p = tmp_path / "big.rm5"
    big_review(p, studies)
    size = p.stat().st_size
    fmtrials.read_revman(example_path("rm5"))  # imports done before measuring
    tracemalloc.start()
    try:
        df = fmtrials.read_revman(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(df) == 3 * studies and df.events_t.sum() == 3 * sum(i % 40 for i in range(studies))
    assert peak < 2.5 * size, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"  # the tree: ~13x


# ------------------------------------------------------------------------------------------ writers

HOSTILE = [
    "=cmd|' /C calc'!A0",
    "+SUM(A1)",
    "-2+3",
    "@x",
    "\tTab",
    "\rCR",
    "a\rb",
    " lead",
    "trail ",
    "-0.5",
    "A,B",
    'q"q',
]


def cells(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def live(cell: str) -> bool:
    """A cell a spreadsheet would run as a formula (OWASP): starts with = + - @ tab or CR, and is not a number."""
    try:
        float(cell)
        return False
    except ValueError:
        return cell[:1] in ("=", "+", "-", "@", "\t", "\r")


def test_write_effects_csv_defuses_formulas_and_keeps_records(tmp_path):
    t = pd.DataFrame(
        {"study": HOSTILE, "events_t": 3, "n_t": 10, "events_c": 4, "n_c": 10, "=note": ["=1+1"] * len(HOSTILE)}
    )
    write_effects_csv(t, tmp_path / "e.csv", measure="OR")
    rows = cells(tmp_path / "e.csv")
    assert len(rows) == 1 + len(HOSTILE) and {len(r) for r in rows} == {len(rows[0])}
    assert not any(live(c) for r in rows for c in r), [c for r in rows for c in r if live(c)]
    assert rows[0][-1] == "zero_cell_rule" and "'=note" in rows[0]
    study = [r[0] for r in rows[1:]]
    assert study == ["'" + s if live(s) else s for s in HOSTILE]  # the rest exactly, spaces and \r included
    assert float(rows[1][rows[0].index("yi")]) == pytest.approx(np.log(3 * 6 / (7 * 4)), rel=1e-15)


def test_write_revman_csv_defuses_formulas_and_round_trips_spaces(tmp_path):
    names = [n for n in HOSTILE if "\r" not in n] + ["  both  ", "Ünïcode "]
    t = pd.DataFrame({"study": names, "events_t": 3, "n_t": 10, "events_c": 4, "n_c": 10})
    p = tmp_path / "rm.csv"
    write_revman_csv(t, p, comparison="=HYPERLINK(x)", outcome=" Death ", group_labels=("@a", "-b"))
    rows = cells(p)
    assert len(rows) == 3 + len(names) and {len(r) for r in rows} == {37}
    assert not any(live(c) for r in rows for c in r)
    back = fmtrials.read_revman(p)
    assert back.study.tolist() == ["'" + s if live(s) else s for s in names]
    assert back.outcome[0] == " Death " and back.comparison[0] == "'=HYPERLINK(x)"


def test_write_revman_csv_refuses_duplicates_and_line_breaks(tmp_path):
    t = pd.DataFrame({"study": ["A", "B", "A", "C\rD"], "events_t": 1, "n_t": 5, "events_c": 1, "n_c": 5})
    with pytest.raises(DataError) as e:
        write_revman_csv(t, tmp_path / "x.csv")
    msgs = [str(q) for q in e.value.problems]
    assert any("row 3" in m and "row 1" in m and "twice" in m for m in msgs)
    assert any("row 4" in m and "line break" in m for m in msgs)
    assert not (tmp_path / "x.csv").exists()


def test_one_csv_writer_quotes_carriage_returns(tmp_path):
    from fmtrials._csv import write_csv

    t = pd.DataFrame({"study": ["a\rb", "c\r\nd", "e\nf", " g", "h"], "rd": [-0.5, 0.1, 0.2, 0.3, 1 / 3]})
    path = tmp_path / "t.csv"
    write_csv(t, path, float_format="%.10g")
    assert cells(path) == [
        ["study", "rd"],
        ["a\rb", "-0.5"],
        ["c\r\nd", "0.1"],
        ["e\nf", "0.2"],
        [" g", "0.3"],
        ["h", "0.3333333333"],
    ]
    assert pd.read_csv(path).study.tolist() == t.study.tolist()


def test_report_tables_keep_carriage_returns_inside_their_records(tmp_path):
    from fmtrials.report import write_report

    names = ["a\rb", "Plain", "c\r\nd"]
    rows = [
        (s, dose, "e\rf", 50, 10 + (4 + 3 * i) * (dose > 0), "harmful")
        for i, s in enumerate(names)
        for dose in (0, 100)
    ]
    data = tmp_path / "in.csv"
    with open(data, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)  # quoted: \r is data, not a line end
        w.writerow(["study", "dose_mg_day", "endpoint", "n", "responders", "direction"])
        w.writerows(rows)
    out = write_report(tmp_path / "rep", data=data, quiet=True, figures=False)
    tables = {p.name: cells(p) for p in (out / "tables").glob("*.csv")}
    for name, t in tables.items():
        assert {len(r) for r in t[1:]} <= {len(t[0])}, name
    comparisons = tables["comparisons.csv"]
    assert sorted(r[comparisons[0].index("study")] for r in comparisons[1:]) == sorted(names)
    assert {r[comparisons[0].index("endpoint")] for r in comparisons[1:]} == {"e\rf"}
    meaning = [t for n, t in tables.items() if n.startswith("what_it_means_") and "endpoint" in t[0]]
    assert meaning and all(r[t[0].index("endpoint")] == "e\rf" for t in meaning for r in t[1:])

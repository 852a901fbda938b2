"""Readers and writers round-trip every attribute (issue 29, class 5, second review): what fmtrials writes is
read back by an independent parser (the stdlib ``csv`` module by header name, ``xml.etree``) and by fmtrials'
own reader, attribute by attribute (names, years, labels, measure, method, model, counts with group 1 the
experimental group); files written by the test alone, with only the columns or attributes RevMan requires, are
read with the defaults for what is missing; and the escalc CSV's recorded measure and zero-cell rule reproduce
its own numbers."""

from __future__ import annotations

import csv
import math
import re
import xml.etree.ElementTree as ET

import _oracle as o
import pandas as pd
import pytest

import fmtrials
from fmtrials.revman import example_path, read_revman, revman_results, write_effects_csv, write_revman_csv

T = pd.DataFrame(
    {
        "study": ["Alpha", "Beta", "Gamma"],
        "year": [2001, 2004, 2009],
        "events_t": [30, 0, 7],
        "n_t": [100, 60, 41],
        "events_c": [18, 4, 2],
        "n_c": [101, 58, 40],
    }
)
COUNTS = ["events_t", "n_t", "events_c", "n_c"]


@pytest.mark.parametrize(
    ("measure", "method", "model"), [("OR", "IV", "random"), ("RR", "MH", "common"), ("OR", "Peto", "common")]
)
def test_every_attribute_written_to_the_revman_csv_is_read_back(tmp_path, measure, method, model):
    """Comparison and outcome names, group labels, years, method, measure and model: in the cells RevMan's
    export puts them (stdlib csv by header name), and back through read_revman / revman_results."""
    path = tmp_path / "r.csv"
    labels = ("Drug X", "Sham")
    write_revman_csv(
        T, path, comparison="Drug X vs sham", outcome="Nausea", measure=measure, method=method, model=model,
        group_labels=labels,
    )  # fmt: skip
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    comparison, outcome, studies = rows[0], rows[1], rows[2:]
    assert (comparison["Name"], comparison["Outcome Number"]) == ("Drug X vs sham", "0")
    assert (outcome["Name"], outcome["Group Label 1"], outcome["Group Label 2"]) == ("Nausea", *labels)
    assert outcome["Effect Measure"] == ("Peto OR" if method == "Peto" else measure)
    assert [s["Year of study"] for s in studies] == ["2001", "2004", "2009"]
    back = read_revman(path)
    assert back["study"].tolist() == T["study"].tolist()
    assert back["year"].astype(int).tolist() == T["year"].tolist()
    assert back[COUNTS].astype("int64").equals(T[COUNTS])
    assert set(back["comparison"]) == {"Drug X vs sham"} and set(back["outcome"]) == {"Nausea"}
    assert set(back["measure"]) == {measure} and set(back["method"]) == {method} and set(back["model"]) == {model}
    res = revman_results(path).iloc[0]
    assert (res.events_t, res.n_t, res.events_c, res.n_c) == tuple(int(T[c].sum()) for c in COUNTS)


def test_a_year_that_is_text_or_missing_is_written_as_such(tmp_path):
    t = T.assign(year=["2001a", None, 2009.0])
    write_revman_csv(t, tmp_path / "r.csv")
    with open(tmp_path / "r.csv", newline="", encoding="utf-8-sig") as fh:
        years = [r["Year of study"] for r in csv.DictReader(fh)][2:]
    assert years == ["2001a", "", "2009"]
    back = read_revman(tmp_path / "r.csv")
    assert back["year"].isna().tolist() == [True, True, False] and int(back["year"].iloc[2]) == 2009


def test_a_revman_csv_with_only_the_required_columns_reads_with_defaults(tmp_path):
    """A file written by the test (stdlib csv, the columns in another order, no optional column): the counts
    follow group 1 = experimental, "Fixed" is the common-effect model, and what is missing (year, subgroup,
    RevMan's own results) is missing, not invented."""
    cols = ["Name", "Total 2", "Events 2", "Total 1", "Events 1", "Analysis Model", "Effect Measure",
            "Statistical Method", "Data Type", "Subgroup Number", "Outcome Number", "Comparison Number"]  # fmt: skip
    rows = [
        {"Comparison Number": 1, "Outcome Number": 0, "Subgroup Number": 0, "Name": "C"},
        {
            "Comparison Number": 1,
            "Outcome Number": 1,
            "Subgroup Number": 0,
            "Name": "O",
            "Data Type": "DIC",
            "Statistical Method": "MH",
            "Effect Measure": "RR",
            "Analysis Model": "Fixed",
            "Events 1": 37,
            "Total 1": 201,
            "Events 2": 20,
            "Total 2": 199,
        },  # fmt: skip
    ]
    for s, (a, n1, c, n2) in zip(("S1", "S2"), ((30, 100, 18, 101), (7, 101, 2, 98))):
        rows.append({"Comparison Number": 1, "Outcome Number": 1, "Subgroup Number": 0, "Name": s, "Events 1": a,
                     "Total 1": n1, "Events 2": c, "Total 2": n2})  # fmt: skip
    path = tmp_path / "min.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    back = read_revman(path)
    assert back[COUNTS].astype(int).to_numpy().tolist() == [[30, 100, 18, 101], [7, 101, 2, 98]]
    assert set(back["model"]) == {"common"} and set(back["method"]) == {"MH"} and set(back["measure"]) == {"RR"}
    assert back["year"].isna().all() and back["subgroup"].isna().all()
    assert back["revman_estimate"].isna().all() and back["revman_weight"].isna().all()
    # and it pools as the same counts written by fmtrials would
    mine = tmp_path / "mine.csv"
    write_revman_csv(back[["study", *COUNTS]], mine, measure="RR", method="MH")
    assert read_revman(mine)[COUNTS].equals(back[COUNTS])


def _rm5_without(tmp_path, tag: str, attribute: str, study: str):
    raw = example_path("rm5").read_bytes()
    enc = re.search(rb'encoding="([^"]+)"', raw[:200]).group(1).decode()
    text = raw.decode(enc)
    m = re.search(rf'<{tag} [^>]*ID="STD-{study}"[^>]*>', text)
    cut = re.sub(rf' {attribute}="[^"]*"', "", m.group(0))
    path = tmp_path / f"no_{attribute}.rm5"
    path.write_bytes((text[: m.start()] + cut + text[m.end() :]).encode(enc))
    return path


def test_rm5_study_without_name_is_named_by_its_decoded_id_and_without_year_has_none(tmp_path):
    """RevMan 5 study ids encode characters as ``_xHHHH_`` (``STD-Alpha_x002d_1`` is "Alpha-1"): a STUDY with no
    NAME is named by its decoded id; one with no YEAR has no year (not 0, not the neighbour's)."""
    root = ET.parse(example_path("rm5")).getroot()
    years = {s.get("ID"): s.get("YEAR") for s in root.iter("STUDY")}
    path = _rm5_without(tmp_path, "STUDY", "NAME", "Alpha_x002d_1")
    assert "Alpha-1" in set(read_revman(path)["study"])
    path = _rm5_without(tmp_path, "STUDY", "YEAR", "Beta")
    back = read_revman(path).drop_duplicates("study").set_index("study")
    assert pd.isna(back.loc["Beta", "year"])
    assert int(back.loc["Gamma", "year"]) == int(years["STD-Gamma"])


@pytest.mark.parametrize(("measure", "add"), [("OR", 0.25), ("RR", 1.0), ("RD", 0.5)])
def test_the_effects_csv_records_the_measure_and_rule_that_reproduce_its_numbers(tmp_path, measure, add):
    """Read alone, the escalc CSV says how its yi and vi were made: the recorded measure and the ``add`` of its
    zero-cell rule reproduce every row (the test's escalc arithmetic), and the double-zero clause matches what
    happened to the double-zero study."""
    table = pd.concat([T, pd.DataFrame([{"study": "Zero", "year": 2010, "events_t": 0, "n_t": 20, "events_c": 0,
                                         "n_c": 21}])])  # fmt: skip
    write_effects_csv(table, tmp_path / "e.csv", measure=measure, add=add)
    with open(tmp_path / "e.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        m = re.fullmatch(r"add ([\d.]+) to all four cells of a table with a zero cell \(escalc to=\"only0\"\); (.*)",
                         r["zero_cell_rule"])  # fmt: skip
        stated_add, drop = float(m.group(1)), m.group(2)
        assert r["measure"] == measure and stated_add == add
        assert r["year"] == str(int(table.set_index("study").loc[r["study"], "year"]))
        counts = [int(r[c]) for c in COUNTS]
        drop00 = drop.startswith("double-zero tables excluded")
        want = o.log_effect(*counts, r["measure"], stated_add, drop00=drop00)
        if want is None:
            assert r["excluded"] == "True" and drop00
            continue
        assert float(r["yi"]) == pytest.approx(want[0], rel=1e-12, abs=1e-15)
        assert float(r["vi"]) == pytest.approx(want[1], rel=1e-12, abs=1e-15)
        assert math.isfinite(float(r["vi"]))
    assert any(r["study"] == "Zero" and (r["excluded"] == "True") == (measure != "RD") for r in rows)
    assert fmtrials.effect_sizes(table, measure=measure, add=add)["yi"].notna().sum() == sum(
        r["yi"] not in ("", "nan") for r in rows
    )

"""RevMan writers and readers through independent parsers (issue 29, class 5): the stdlib csv module against
RevMan's analysis-export layout by header name (group 1 is the experimental group), xml.etree against the .rm5
attributes (EVENTS_1 / TOTAL_1 are the experimental group; RevMan 5's DTD defaults for missing attributes), and
escalc's yi / vi recomputed in the test."""

from __future__ import annotations

import csv
import math
import re
import xml.etree.ElementTree as ET

import _oracle as o
import pandas as pd
import pytest

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


@pytest.mark.parametrize(
    "measure,method,model,labels", [("OR", "IV", "random", ("Drug X", "Sham")), ("RR", "MH", "fixed", ("Tx", "Pl"))]
)
def test_revman_csv_columns_by_header_name(tmp_path, measure, method, model, labels):
    path = tmp_path / "r.csv"
    write_revman_csv(T, path, measure=measure, method=method, model=model, group_labels=labels)
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    outcome = [r for r in rows if r["Data Type"]]
    assert len(outcome) == 1
    r = outcome[0]
    assert r["Data Type"] == "DIC" and r["Effect Measure"] == measure and r["Statistical Method"] == method
    assert r["Analysis Model"] == model.capitalize()
    # group 1 is the experimental group: its label, its events, its totals
    assert (r["Group Label 1"], r["Group Label 2"]) == labels
    assert (int(r["Events 1"]), int(r["Total 1"])) == (T.events_t.sum(), T.n_t.sum())
    assert (int(r["Events 2"]), int(r["Total 2"])) == (T.events_c.sum(), T.n_c.sum())
    studies = [x for x in rows if x["Name"] in set(T.study)]
    assert [x["Name"] for x in studies] == list(T.study)
    for x, (_, t) in zip(studies, T.iterrows()):
        assert (int(x["Events 1"]), int(x["Total 1"])) == (t.events_t, t.n_t), x["Name"]
        assert (int(x["Events 2"]), int(x["Total 2"])) == (t.events_c, t.n_c), x["Name"]


def _decode(study_id: str) -> str:
    return re.sub(r"_x([0-9a-fA-F]{4})_", lambda m: chr(int(m.group(1), 16)), study_id.removeprefix("STD-"))


def test_rm5_counts_follow_events_1_as_the_experimental_group():
    root = ET.parse(example_path("rm5")).getroot()
    want = {}
    for d in root.iter("DICH_DATA"):
        want[_decode(d.get("STUDY_ID"))] = tuple(int(d.get(a)) for a in ("EVENTS_1", "TOTAL_1", "EVENTS_2", "TOTAL_2"))
    got = read_revman(example_path("rm5"))
    got = got[got.data_type == "dichotomous"]
    assert want and len(got) == len(want)
    for _, r in got.iterrows():
        assert (r.events_t, r.n_t, r.events_c, r.n_c) == want[r.study], r.study


def test_rm5_outcome_attributes_and_the_dtd_defaults_when_missing(tmp_path):
    raw = example_path("rm5").read_bytes()
    enc = re.search(rb'encoding="([^"]+)"', raw[:200]).group(1).decode()
    text = raw.decode(enc)
    root = ET.fromstring(raw)
    out = next(root.iter("DICH_OUTCOME"))
    res = revman_results(example_path("rm5"))
    r = res[res.data_type == "dichotomous"].iloc[0]
    assert r.revman_measure == out.get("EFFECT_MEASURE") and r.method == out.get("METHOD")
    assert r.model == {"NO": "common", "YES": "random"}[out.get("RANDOM")]
    assert (r.events_t, r.n_t, r.events_c, r.n_c) == tuple(
        int(out.get(a)) for a in ("EVENTS_1", "TOTAL_1", "EVENTS_2", "TOTAL_2")
    )
    assert r.estimate == pytest.approx(float(out.get("EFFECT_SIZE")))
    assert (r.ci_low, r.ci_high) == pytest.approx((float(out.get("CI_START")), float(out.get("CI_END"))))
    # a missing RANDOM attribute is RevMan's default, NO (fixed effect: "common" in fmtrials' vocabulary);
    # drop it from the first outcome
    m = re.search(r"<DICH_OUTCOME [^>]*>", text)
    head = re.sub(r' RANDOM="[^"]*"', "", m.group(0))
    path = tmp_path / "defaults.rm5"
    path.write_bytes((text[: m.start()] + head + text[m.end() :]).encode(enc))
    r2 = revman_results(path)
    r2 = r2[r2.data_type == "dichotomous"].iloc[0]
    assert (r2.model, r2.method, r2.revman_measure) == ("common", r.method, r.revman_measure)
    # and RANDOM="YES" is read as random effects (the flag is not ignored)
    yes = m.group(0).replace('RANDOM="NO"', 'RANDOM="YES"')
    path.write_bytes((text[: m.start()] + yes + text[m.end() :]).encode(enc))
    r3 = revman_results(path)
    assert r3[r3.data_type == "dichotomous"].iloc[0].model == "random"


@pytest.mark.parametrize("measure,add", [("OR", 0.25), ("RR", 0.5), ("RD", 0.1), ("OR", 1.0)])
def test_effects_csv_is_escalc_recomputed(tmp_path, measure, add):
    table = pd.concat(
        [T, pd.DataFrame([{"study": "Zero", "year": 2010, "events_t": 0, "n_t": 20, "events_c": 0, "n_c": 21}])]
    )
    path = tmp_path / "e.csv"
    write_effects_csv(table, path, measure=measure, add=add)
    with open(path, newline="", encoding="utf-8") as fh:
        rows = {r["study"]: r for r in csv.DictReader(fh)}
    for _, t in table.iterrows():
        r = rows[t.study]
        # escalc: add to every cell of a table with a zero; double zeros dropped for RR/OR (drop00 as rma), kept
        # (corrected) for RD, escalc's default (checked with metafor 3.8-1 escalc(measure="RD", add=0.1))
        want = o.log_effect(t.events_t, t.n_t, t.events_c, t.n_c, measure, add, drop00=measure != "RD")
        if want is None:
            assert r["excluded"] == "True" and r["yi"] in ("", "nan", "NA"), t.study
            continue
        assert float(r["yi"]) == pytest.approx(want[0], rel=1e-12, abs=1e-15), t.study
        assert float(r["vi"]) == pytest.approx(want[1], rel=1e-12, abs=1e-15), t.study
        zero = min(t.events_t, t.n_t - t.events_t, t.events_c, t.n_c - t.events_c) == 0
        assert r["corrected"] == str(bool(zero)), t.study
        assert math.isfinite(float(r["vi"]))

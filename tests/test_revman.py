"""RevMan files in and out: the Fleiss (1993) aspirin review re-run to RevMan's printed values from both
formats, the layouts (escapes, encodings, subgroups, continuous outcomes), malformed files, and round trips.

Outside references: the Fleiss 1993 counts and RevMan 5's printed totals (tests/data/revman/README.md); the
example review's totals are R metafor 3.8-1 results (tests/r/revman_example.R); escalc's yi/vi are worked by
hand below.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fmtrials
from fmtrials.revman import compare_revman, example_path, revman_results, write_effects_csv, write_revman_csv

DATA = Path(__file__).parent / "data" / "revman"
FLEISS = [DATA / "fleiss1993_aspirin.rm5", DATA / "fleiss1993_aspirin.csv"]
COUNTS = {
    "MRC-1": (49, 615, 67, 624),
    "CDP": (44, 758, 64, 771),
    "MRC-2": (102, 832, 126, 850),
    "GASP": (32, 317, 38, 309),
    "PARIS": (85, 810, 52, 406),
    "AMIS": (246, 2267, 219, 2257),
    "ISIS-2": (1570, 8587, 1720, 8600),
}


def printed(x: float, digits: int) -> str:
    return f"{x:.{digits}f}"


@pytest.mark.parametrize("path", FLEISS, ids=["rm5", "csv"])
def test_fleiss_aspirin_pools_to_revmans_printed_values(path):
    df = fmtrials.read_revman(path)
    assert list(df.study) == list(COUNTS)
    got = {s: tuple(int(v) for v in r) for s, r in zip(df.study, df[["events_t", "n_t", "events_c", "n_c"]].to_numpy())}
    assert got == COUNTS
    assert set(df.measure) == {"OR"} and set(df.method) == {"MH"} and set(df.model) == {"common"}
    r = fmtrials.pool(df, measure=df.measure[0], method=df.method[0])
    # RevMan 5: OR 0.8969 [0.8405, 0.9570]; Chi² = 9.95, df = 6; I² = 40%; Z test P = 0.0010
    assert (printed(r.estimate, 4), printed(r.ci_low, 4), printed(r.ci_high, 4)) == ("0.8969", "0.8405", "0.9570")
    assert printed(r.heterogeneity.q, 2) == "9.95" and r.heterogeneity.q_df == 6
    assert printed(r.heterogeneity.i2, 0) == "40"
    assert printed(r.p_value, 4) == "0.0010"
    res = revman_results(path).iloc[0]
    for ours, theirs, digits in [
        (r.estimate, res.estimate, 4),
        (r.ci_low, res.ci_low, 4),
        (r.ci_high, res.ci_high, 4),
        (r.heterogeneity.q, res.chi2, 2),
        (r.heterogeneity.i2, res.i2, 0),
        (r.p_value, res.p_z, 4),
    ]:
        assert round(ours, digits) == pytest.approx(theirs, abs=1e-12)


@pytest.mark.parametrize("path", FLEISS, ids=["rm5", "csv"])
def test_compare_revman_lines_up_with_the_file_at_its_precision(path):
    c = compare_revman(path).set_index("quantity")
    assert abs(c.loc["estimate", "difference"]) < 0.5e-4
    assert abs(c.loc["chi2", "difference"]) < 0.5e-2
    assert abs(c.loc["i2", "difference"]) < 0.5
    assert np.isnan(c.loc["tau2", "revman"])  # not in the file: NaN, never invented


def test_example_review_matches_metafor_to_full_precision():
    # the example's totals are metafor rma.mh / escalc values (17 significant digits in the .rm5)
    c = compare_revman(example_path("rm5"))
    assert len(c) == 10
    assert c.difference.abs().max() < 1e-12
    csv = compare_revman(example_path("csv"))  # the CSV export rounds to 8 decimals
    assert csv.difference.abs().max() < 1e-8


def test_rm5_and_csv_give_the_same_tables():
    a, b = (fmtrials.read_revman(example_path(k)) for k in ("rm5", "csv"))
    cols = [
        "study",
        "comparison",
        "outcome",
        "data_type",
        "year",
        "events_t",
        "n_t",
        "events_c",
        "n_c",
        "mean_t",
        "sd_t",
        "mean_c",
        "sd_c",
        "measure",
        "method",
        "model",
    ]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    np.testing.assert_allclose(a.revman_estimate.dropna(), b.revman_estimate.dropna(), rtol=1e-8)


def test_continuous_outcomes_are_read_with_their_measure():
    df = fmtrials.read_revman(example_path("rm5"))
    cont = df[df.data_type == "continuous"]
    assert list(cont.study) == ["Alpha-1", "Beta"]
    assert cont.mean_t.tolist() == [4.1, 3.9] and cont.sd_c.tolist() == [2.2, 2.1]
    assert cont.events_t.isna().all() and (cont.measure == "MD").all()
    # the example stores no RevMan estimate for its continuous outcome: nothing to compare (issue 25)
    assert set(compare_revman(example_path("rm5")).outcome) == {"Death (example)"}


def test_escaped_ids_decode_and_latin1_names(tmp_path):
    p = tmp_path / "r.rm5"
    p.write_bytes(
        b'<?xml version="1.0" encoding="ISO-8859-1"?><COCHRANE_REVIEW><ANALYSES_AND_DATA>'
        b'<COMPARISON NO="1"><NAME>C</NAME><DICH_OUTCOME NO="1" EFFECT_MEASURE="RR" METHOD="MH" RANDOM="YES">'
        b'<NAME>Sch\xe4del</NAME><DICH_DATA STUDY_ID="STD-ISIS_x002d_2_x0020_b" EVENTS_1="1" TOTAL_1="10" '
        b'EVENTS_2="2" TOTAL_2="10"/></DICH_OUTCOME></COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>'
    )
    df = fmtrials.read_revman(p)
    assert df.study[0] == "ISIS-2 b"  # no STUDY element: the id is decoded
    assert df.outcome[0] == "Schädel" and df.model[0] == "random"


def test_subgroups_are_read_and_pooled_by_subgroup():
    df = fmtrials.read_revman(DATA / "subgroups.csv")
    assert df.groupby("subgroup", sort=False).size().to_dict() == {"Before 1980": 4, "1980 and later": 3}
    res = revman_results(DATA / "subgroups.csv")
    assert res.subgroup.tolist() == [None, "Before 1980", "1980 and later"]
    assert res.k.tolist() == [7, 4, 3]
    c = compare_revman(DATA / "subgroups.csv")
    assert set(c.subgroup.dropna()) == {"Before 1980", "1980 and later"}
    assert {"chi2_subgroups", "p_subgroups"} <= set(c.quantity)
    assert c.revman.isna().all()  # the fixture carries no RevMan values
    # "M-H, Random" in RevMan = DerSimonian-Laird tau² from the Q around the MH estimate (method="MH-DL")
    r = fmtrials.pool(df[df.subgroup == "Before 1980"], measure="RR", method="MH-DL")
    sub = c[(c.subgroup == "Before 1980") & (c.quantity == "estimate")].fmtrials.item()
    assert sub == pytest.approx(r.estimate, rel=1e-15)


@pytest.mark.parametrize(
    "text, where",
    [
        ("<COCHRANE_REVIEW>\n<ANALYSES_AND_DATA>\n<COMPARISON>\n</COCHRANE_REVIEW>", "line 4"),
        ("<REVIEW/>", "line 1"),
    ],
)
def test_malformed_xml_names_the_line(tmp_path, text, where):
    p = tmp_path / "bad.rm5"
    p.write_text(text)
    with pytest.raises(fmtrials.DataError) as e:
        fmtrials.read_revman(p)
    assert str(p) in str(e.value) and where in str(e.value)


def test_bad_count_names_element_attribute_and_line(tmp_path):
    p = tmp_path / "bad.rm5"
    p.write_text(
        '<COCHRANE_REVIEW><ANALYSES_AND_DATA><COMPARISON NO="1">\n<DICH_OUTCOME NO="1" '
        'EFFECT_MEASURE="OR" METHOD="MH">\n<DICH_DATA STUDY_ID="STD-A" EVENTS_1="2.5" TOTAL_1="x" '
        'EVENTS_2="1" TOTAL_2="9"/>\n</DICH_OUTCOME></COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>'
    )
    with pytest.raises(fmtrials.DataError) as e:
        fmtrials.read_revman(p)
    msgs = [str(q) for q in e.value.problems]
    assert any("line 3" in m and "EVENTS_1" in m and "<DICH_DATA>" in m and "count" in m for m in msgs)
    assert any("line 3" in m and "TOTAL_1" in m and "not a number" in m for m in msgs)


def test_bad_csv_names_line_and_column(tmp_path):
    p = tmp_path / "bad.csv"
    src = (DATA / "fleiss1993_aspirin.csv").read_text(encoding="utf-8").splitlines()
    src[6] = src[6].replace(",32,", ",3x2,", 1)  # GASP, on line 7
    p.write_text("\n".join(src) + "\n", encoding="utf-8")
    with pytest.raises(fmtrials.DataError) as e:
        fmtrials.read_revman(p)
    assert "line 7" in str(e.value) and "Events 1" in str(e.value) and "'3x2'" in str(e.value)
    q = tmp_path / "notrevman.csv"
    q.write_text("study,events_t\nA,1\n")
    with pytest.raises(fmtrials.DataError, match="missing column"):
        fmtrials.read_revman(q)
    with pytest.raises(fmtrials.DataError, match="file not found"):
        fmtrials.read_revman(tmp_path / "nope.rm5")


def test_effects_csv_matches_escalc_worked_by_hand(tmp_path):
    t = pd.DataFrame(
        {
            "study": ["A", "B", "C"],
            "events_t": [4, 0, 0],
            "n_t": [123, 10, 10],
            "events_c": [11, 2, 0],
            "n_c": [139, 12, 12],
        }
    )
    out = write_effects_csv(t, tmp_path / "e.csv", measure="OR")
    back = pd.read_csv(tmp_path / "e.csv")
    # A: log(4*128 / (119*11)), 1/4 + 1/119 + 1/11 + 1/128; B: add 1/2 -> log(0.5*10.5 / (10.5*2.5)), 2 + 2/10.5 + 0.4
    assert back.yi[0] == math.log(4 * 128 / (119 * 11))
    assert back.vi[0] == pytest.approx(1 / 4 + 1 / 119 + 1 / 11 + 1 / 128, rel=1e-15)
    assert back.yi[1] == pytest.approx(math.log(0.2), rel=1e-15) and bool(back.corrected[1])
    assert back.vi[1] == pytest.approx(2 + 2 / 10.5 + 0.4, rel=1e-15)
    assert np.isnan(back.yi[2]) and bool(back.excluded[2])
    assert set(back.zero_cell_rule) == {
        'add 0.5 to all four cells of a table with a zero cell (escalc to="only0"); '
        "double-zero tables excluded (drop00=TRUE)"
    }
    pd.testing.assert_series_equal(back.yi, out.yi)  # full precision survives the file


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(1, 50), st.integers(0, 50), st.integers(1, 50)),
        min_size=1,
        max_size=6,
    )
)
def test_revman_csv_round_trip(tmp_path_factory, rows):
    rows = [(min(a, n1), n1, min(c, n2), n2) for a, n1, c, n2 in rows]
    t = pd.DataFrame(rows, columns=["events_t", "n_t", "events_c", "n_c"])
    t.insert(0, "study", [f"Study, {i} é" for i in range(len(t))])
    p = tmp_path_factory.mktemp("rt") / "rm.csv"
    write_revman_csv(t, p, measure="RD", method="IV", model="random")
    back = fmtrials.read_revman(p)
    assert back.study.tolist() == t.study.tolist()
    assert back[["events_t", "n_t", "events_c", "n_c"]].astype("int64").equals(t.iloc[:, 1:])
    assert set(back.measure) == {"RD"} and set(back.method) == {"IV"} and set(back.model) == {"random"}
    res = revman_results(p).iloc[0]
    assert (res.events_t, res.n_t, res.events_c, res.n_c) == tuple(int(v) for v in t.iloc[:, 1:].sum())


def test_write_revman_csv_refuses_bad_input(tmp_path):
    t = pd.DataFrame({"study": ["A"], "events_t": [5], "n_t": [4], "events_c": [1], "n_c": [9]})
    with pytest.raises(fmtrials.DataError, match="row 1, column 'events_t'"):
        write_revman_csv(t, tmp_path / "x.csv")
    with pytest.raises(fmtrials.DataError, match="column 'study'"):
        write_revman_csv(t.drop(columns="study"), tmp_path / "x.csv")
    with pytest.raises(fmtrials.DataError, match="Peto"):
        write_revman_csv(t.assign(events_t=1), tmp_path / "x.csv", measure="RR", method="peto")
    with pytest.raises(fmtrials.DataError, match="does not exist"):
        write_revman_csv(t.assign(events_t=1), tmp_path / "no" / "x.csv")

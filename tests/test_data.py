"""The bundled data, the loaders, user-data validation and contrasts.

Expected values come from the sources named in ../shared/reference/evidence.md (arm sizes, counts), never
from fmtrials' own output.
"""

from __future__ import annotations

import pandas as pd
import pytest

import fmtrials
from fmtrials import DataError, data

# ------------------------------------------------------------------ bundled tables


def test_bundled_tables_validate_and_cross_reference():
    counts = fmtrials.validate_bundled()
    assert set(counts) == {"trials", "arms", "outcomes", "reported", "sources", "endpoints", "gaps", "comparator_arms"}
    assert all(n > 0 for n in counts.values())


def test_loaders_return_documented_dtypes():
    o = fmtrials.load_outcomes()
    for col in ("n", "responders", "dose_mg_day"):
        assert str(o[col].dtype) == "Int64", col
    assert str(o["percent"].dtype) == "string"
    assert str(fmtrials.load_arms()["n_randomized"].dtype) == "Int64"
    assert str(fmtrials.load_trials()["year"].dtype) == "Int64"
    r = fmtrials.load_reported()
    assert str(r["p_reported"].dtype) == "string" and str(r["n_t"].dtype) == "Int64"


def test_loaders_return_copies():
    a = fmtrials.load_arms()
    a.loc[0, "study"] = "changed"
    assert fmtrials.load_arms().loc[0, "study"] != "changed"


@pytest.mark.parametrize(
    "study, sizes",
    [
        ("Clauw2008", {"placebo": 401, "milnacipran_100": 399, "milnacipran_200": 396}),
        ("Mease2009", {"placebo": 223, "milnacipran_100": 224, "milnacipran_200": 441}),
        ("Arnold2010", {"placebo": 509, "milnacipran_100": 516}),
        ("Branco2010", {"placebo": 449, "milnacipran_200": 435}),
        ("Bateman2013", {"placebo": 21, "milnacipran_100": 86}),
    ],
)
def test_verified_randomized_arm_sizes(study, sizes):
    a = fmtrials.load_arms()
    got = a[a.study == study].set_index("arm")["n_randomized"].to_dict()
    assert got == sizes
    assert a[a.study == study]["source"].notna().all() and a[a.study == study]["locator"].notna().all()


def test_clauw2008_alternative_sizes_kept():
    a = fmtrials.load_arms().set_index(["study", "arm"])
    assert a.loc[("Clauw2008", "placebo"), "n_randomized_alt"] == 405
    assert a.loc[("Clauw2008", "placebo"), "alt_source"] == "NMA23-T39"


def test_arnold_registry_composite_counts_flagged_unverified():
    o = fmtrials.load_outcomes()
    rows = o[(o.study == "Arnold2010") & (o.endpoint == "composite_3")].set_index("arm")
    assert rows.loc["placebo", "responders"] == 56 and rows.loc["milnacipran_100", "responders"] == 103
    assert set(rows["status"]) == {"unverified"}
    assert rows["derivation"].str.contains("assumed").all()
    assert set(rows["source"]) == {"A10-reg"}


def test_cochrane_adverse_event_counts_present():
    o = fmtrials.load_outcomes()
    nausea = o[(o.study == "Arnold2010") & (o.endpoint == "nausea")].set_index("arm")["responders"]
    assert nausea.to_dict() == {"milnacipran_100": 189, "placebo": 106}
    # the check evidence.md gives: 189/516 - 106/509 = 15.80 points, the abstract's placebo-adjusted rate
    assert round(100 * (189 / 516 - 106 / 509), 1) == 15.8


def test_every_figure_has_source_and_locator_and_derived_says_how():
    o = fmtrials.load_outcomes()
    assert o["source"].notna().all() and o["locator"].notna().all()
    derived = o[o.status.isin(["derived", "unverified"])]
    assert derived["derivation"].notna().all()
    known = set(fmtrials.load_sources()["source_id"])
    for name in ("outcomes", "arms", "reported", "trials"):
        assert set(getattr(fmtrials, f"load_{name}")()["source"]) <= known


def test_reported_holds_seed_table_and_paper_p_values():
    r = fmtrials.load_reported()
    seed = r[r.source == "SEED003"]
    assert list(zip(seed.percent_t, seed.percent_c, seed.p_reported)) == [
        ("37", "5", "<0.001"),
        ("25.4", "15.5", "0.01"),
        ("26.9", "15.5", "0.02"),
    ]
    assert seed["study"].isna().all()
    papers = r[r["source"].isin(["A10", "B10"])]
    assert sorted(zip(papers.study, papers.endpoint, papers.p_reported)) == [
        ("Arnold2010", "composite_2", "<0.001"),
        ("Arnold2010", "composite_3", "<0.001"),
        ("Branco2010", "composite_2", "0.0003"),
    ]


def test_unknown_stays_missing():
    o = fmtrials.load_outcomes()
    vitton = o[o.study == "Vitton2004"]
    assert vitton["n"].isna().all() and vitton["responders"].isna().all()
    assert set(vitton["percent"]) == {"37", "14"}


# ------------------------------------------------------------------ validation rules (one broken input each)

GOOD = "study,dose_mg_day,endpoint,n,responders\nA,0,pain_30,100,30\nA,100,pain_30,98,45\n"


def _write(tmp_path, text, name="user.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


def _problems(exc_info):
    return [str(p) for p in exc_info.value.problems]


def test_good_user_file(tmp_path):
    df = fmtrials.read_outcomes(_write(tmp_path, GOOD))
    assert df["arm"].tolist() == ["placebo", "100 mg/day"]
    assert df["responders"].tolist() == [30, 45]


@pytest.mark.parametrize(
    "text, expect",
    [
        ("study,dose_mg_day,endpoint,n\nA,0,pain_30,100\n", "missing required column(s): 'events (or responders)'"),
        ("study,endpoint,n,responders\nA,pain_30,100,3\n", "dose_mg_day (or arm)"),
        (GOOD.replace("100,30", "100,3.5"), "row 1 (line 2), column 'responders': not a whole number: '3.5'"),
        (GOOD.replace("100,30", "100,-3"), "row 1 (line 2), column 'responders': negative count '-3'"),
        (GOOD.replace("100,30", "100,x"), "column 'responders': not a number: 'x'"),
        (GOOD.replace("98,45", "98,99"), "row 2 (line 3), column 'responders': responders (99) exceed n (98)"),
        (GOOD.replace("98,45", "0,0"), "row 2 (line 3), column 'n': arm size n is 0"),
        (
            GOOD + "A,100,pain_30,98,45\n",
            "row 3 (line 4), column 'study,arm,endpoint,analysis,population,timepoint': duplicate key",
        ),
        ("study,dose_mg_day,endpoint,n,responders\nA,100,pain_30,98,45\n", "has no placebo arm row"),
    ],
)
def test_each_rule_names_file_row_and_column(tmp_path, text, expect):
    path = _write(tmp_path, text)
    with pytest.raises(DataError) as ei:
        fmtrials.read_outcomes(path)
    msgs = _problems(ei)
    assert any(expect in m for m in msgs), msgs
    assert all(str(path) in m for m in msgs)


def test_percent_rules(tmp_path):
    text = (
        "study,dose_mg_day,endpoint,n,responders,percent\n"
        "A,0,pain_30,100,30,30.0\nA,100,pain_30,98,45,46.9\nB,0,pain_30,10,1,101\nB,100,pain_30,10,2,20\n"
    )
    with pytest.raises(DataError) as ei:
        fmtrials.read_outcomes(_write(tmp_path, text))
    msgs = _problems(ei)
    # 45/98 = 45.918...%: 46.9 is beyond rounding; 101 is out of range; 30.0 and 20 are fine
    assert any("row 2 (line 3), column 'percent': percent '46.9' is inconsistent" in m for m in msgs), msgs
    assert any("row 3 (line 4), column 'percent': percentage '101' outside [0, 100]" in m for m in msgs), msgs
    assert len(msgs) == 2


def test_percent_rounding_tolerance_follows_printed_decimals():
    ok = pd.DataFrame(
        {
            "study": ["A", "A"],
            "dose_mg_day": [0, 100],
            "endpoint": ["e", "e"],
            "n": [223, 224],
            "responders": [47, 73],
            "percent": ["21.1", "32.6"],
        }
    )
    fmtrials.read_outcomes(ok)
    bad = ok.assign(percent=["21.1", "32.5"])  # 73/224 = 32.589 rounds to 32.6, not 32.5
    with pytest.raises(DataError, match="32.5"):
        fmtrials.read_outcomes(bad)
    whole = ok.assign(percent=["21", "33"])  # whole percents: 21.08 -> 21, 32.59 -> 33
    fmtrials.read_outcomes(whole)


def test_all_problems_collected_at_once(tmp_path):
    text = GOOD.replace("100,30", "-1,30").replace("98,45", "98,x")
    with pytest.raises(DataError) as ei:
        fmtrials.read_outcomes(_write(tmp_path, text))
    assert len(ei.value.problems) == 2
    assert str(ei.value).startswith("2 problems found:")


def test_empty_file(tmp_path):
    with pytest.raises(DataError, match="file is empty"):
        fmtrials.read_outcomes(_write(tmp_path, ""))
    with pytest.raises(DataError, match="header but no data rows"):
        fmtrials.read_outcomes(_write(tmp_path, "study,dose_mg_day,endpoint,n,responders\n"))


def test_wrong_delimiter(tmp_path):
    with pytest.raises(DataError, match="semicolons"):
        fmtrials.read_outcomes(_write(tmp_path, GOOD.replace(",", ";")))
    with pytest.raises(DataError, match="tabs"):
        fmtrials.read_outcomes(_write(tmp_path, GOOD.replace(",", "\t")))


def test_wrong_encoding(tmp_path):
    text = GOOD.replace("A,0", "Zürich,0").replace("A,100", "Zürich,100")
    with pytest.raises(DataError, match=r"not UTF-8 text: byte 0xfc"):
        fmtrials.read_outcomes(_write(tmp_path, text, encoding="latin-1"))
    # UTF-8 with a byte-order mark is fine
    df = fmtrials.read_outcomes(_write(tmp_path, "\ufeff" + text, name="bom.csv"))
    assert df["study"].iloc[0] == "Zürich"


def test_ragged_row(tmp_path):
    with pytest.raises(DataError, match=r"row 2 \(line 3\): has 4 fields but the header has 5"):
        fmtrials.read_outcomes(_write(tmp_path, GOOD.replace("98,45", "98")))


def test_missing_file():
    with pytest.raises(DataError, match="no-such.csv: file not found"):
        fmtrials.read_outcomes("no-such.csv")


def test_unknown_source_id(tmp_path):
    arms = fmtrials.load_arms()
    arms.loc[3, "source"] = "NOPE"
    with pytest.raises(DataError, match=r"row 4, column 'source': unknown source id 'NOPE'"):
        data.read_table(arms, "arms", sources=fmtrials.load_sources())


def test_bad_choice_and_line_numbers_with_quoted_newlines(tmp_path):
    text = (
        "study,dose_mg_day,endpoint,n,responders,note,analysis\n"
        'A,0,pain_30,100,30,"two\nlines",LOCF\nA,100,pain_30,98,45,,ITT\n'
    )
    with pytest.raises(DataError) as ei:
        fmtrials.read_outcomes(_write(tmp_path, text))
    assert any("row 2 (line 4), column 'analysis': 'ITT' is not one of" in m for m in _problems(ei))


def test_data_error_is_value_error():
    assert issubclass(DataError, ValueError)


# ------------------------------------------------------------------ contrasts


def test_contrasts_nausea_counts_from_sources():
    c = fmtrials.contrasts(endpoint="nausea")
    got = list(zip(c.study, c.dose_mg_day, c.events_t, c.n_t, c.events_c, c.n_c))
    assert got == [
        ("Mease2009", 100, 73, 224, 47, 223),
        ("Mease2009", 200, 177, 441, 47, 223),
        ("Arnold2010", 100, 189, 516, 106, 509),
        ("Bateman2013", 100, 18, 85, 6, 21),
    ]
    assert c.shared_placebo.tolist() == [True, True, False, False]
    assert c.placebo_id.tolist()[:2] == ["Mease2009:placebo"] * 2
    assert c.source_t.tolist() == ["M09-T5", "M09-T5", "CR15-T4", "CR15-T4"]


def test_contrasts_exclude_unknown_counts_with_reason():
    c = fmtrials.contrasts(endpoint="pain_30")
    # Arnold 2010 (secondary source, counts derived under assumed denominators) is compared; Bateman 2013's
    # placebo rate is not reported, so it is excluded with a reason
    assert c.study.tolist() == ["Arnold2010"]
    assert (c.events_t.iloc[0], c.n_t.iloc[0], c.events_c.iloc[0], c.n_c.iloc[0]) == (230, 516, 156, 509)
    ex = c.attrs["excluded"]
    assert [e["study"] for e in ex] == ["Bateman2013"]
    assert "events_c" in ex[0]["reason"]
    both = pd.concat([c, fmtrials.contrasts(endpoint="nausea")])  # attrs must not break concatenation
    assert len(both) == 5


def test_contrasts_user_data_and_analysis_filter():
    user = pd.DataFrame(
        {
            "study": ["A", "A", "A", "A"],
            "dose_mg_day": [0, 100, 0, 100],
            "endpoint": ["e"] * 4,
            "analysis": ["LOCF", "LOCF", "BOCF", "BOCF"],
            "n": [50, 50, 50, 50],
            "responders": [10, 20, 8, 15],
        }
    )
    c = fmtrials.contrasts(fmtrials.read_outcomes(user), endpoint="e", analysis="BOCF")
    assert list(zip(c.events_t, c.events_c)) == [(15, 8)]
    # LOCF and BOCF rows reuse the same placebo patients: pooling both would double count them
    both = fmtrials.contrasts(fmtrials.read_outcomes(user), endpoint="e")
    assert len(both) == 2 and both.shared_placebo.all()


def test_contrasts_errors():
    with pytest.raises(DataError, match="several endpoints"):
        fmtrials.contrasts()
    with pytest.raises(DataError, match="'nope' not in the outcomes"):
        fmtrials.contrasts(endpoint="nope")


def test_efficacy_addendum_rows_state_their_assumed_denominators():
    """efficacy_sources.md section 2: under 516/509 each printed Arnold 2010 percentage has exactly one count;
    the rows say the denominator is assumed and name the other arm sizes that fit."""
    o = fmtrials.load_outcomes()
    a = o[(o.study == "Arnold2010") & o.endpoint.isin(["pain_30", "pain_50", "pgic"])]
    got = {(r.endpoint, r.arm): (r.responders, r.n, r.percent) for r in a.itertuples()}
    assert got == {
        ("pain_30", "placebo"): (156, 509, "30.6"),
        ("pain_30", "milnacipran_100"): (230, 516, "44.6"),
        ("pgic", "placebo"): (132, 509, "25.9"),
        ("pgic", "milnacipran_100"): (216, 516, "41.9"),
        ("pain_50", "placebo"): (92, 509, "18.1"),
        ("pain_50", "milnacipran_100"): (143, 516, "27.7"),
    }
    assert (a.status == "unverified").all()
    assert a.derivation.str.contains("assumed").all() and a.derivation.str.contains("401, 408").sum() == 3
    # independent check of the stated alternatives: every n in 400..516 for which 44.6, 41.9, 27.7 are reachable
    fits = [
        n
        for n in range(400, 517)
        if all(any(abs(100 * r / n - float(p)) <= 0.05 for r in range(n + 1)) for p in ("44.6", "41.9", "27.7"))
    ]
    assert ", ".join(map(str, fits)) in a.derivation.iloc[-1] or ", ".join(map(str, fits)) in " ".join(a.derivation)
    b = o[(o.study == "Branco2010") & (o.endpoint == "pgic")].set_index("arm")
    assert b.loc["milnacipran_200", "responders"] is pd.NA and b.loc["milnacipran_200", "percent"] == "31"
    assert b.loc["placebo", "status"] == "not reported"
    s = fmtrials.load_sources().set_index("source_id")
    for sid in ("ESC", "QRACR", "QREUL", "HDAY", "AUSPR"):
        assert "secondary source" in s.loc[sid, "contains"], sid


def test_endpoint_glossary_covers_the_data_and_defines_the_composites():
    g = fmtrials.load_endpoints().set_index("code")
    used = set(fmtrials.load_outcomes().endpoint) | set(fmtrials.load_reported().endpoint)
    assert used <= set(g.index)
    # the definitions of evidence.md section 1 (sources A10-reg and CR15 tblf-0009)
    assert "SF-36 PCS ≥ 6 points" in g.loc["composite_3", "definition"]
    assert "PGIC" in g.loc["composite_2", "definition"] and "SF-36" not in g.loc["composite_2", "definition"]
    assert set(g.direction) == {"beneficial", "harmful"}
    assert g.loc[["composite_2", "composite_3", "pain_30", "pain_50", "pgic"], "direction"].eq("beneficial").all()
    assert g.loc["loss_of_response", "direction"] == "harmful"
    assert set(g.source) <= set(fmtrials.load_sources().source_id)


def test_endpoint_glossary_is_validated(tmp_path):
    bad = tmp_path / "endpoints.csv"
    bad.write_text("code,label,definition,direction,source,locator\nx,X,an x,good,A10,here\n", encoding="utf-8")
    with pytest.raises(DataError) as ei:
        data.read_table(bad, "endpoints", sources=fmtrials.load_sources())
    p = ei.value.problems[0]
    assert p.row == 1 and p.column == "direction"

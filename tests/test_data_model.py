"""The data model for any treatments: arms carry a treatment, contrasts are "treatment vs comparator", user files
name their events column ``events`` (``responders`` an alias) in any case, and the known gaps are a table.

Expected values are the inputs themselves or hand arithmetic on them, never fmtrials' own output.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

import fmtrials
from fmtrials import DataError, data

# ------------------------------------------------------------------ treatment in the bundled tables


def test_arms_treatment_is_placebo_exactly_at_dose_zero():
    arms = fmtrials.load_arms()
    assert set(arms["treatment"]) == {"placebo", "milnacipran"}
    known = arms[arms["dose_mg_day"].notna()]
    assert ((known["treatment"] == "placebo") == (known["dose_mg_day"] == 0)).all()
    # the arm ids say the same thing as the treatment
    assert (arms["arm"].str.startswith("placebo") == (arms["treatment"] == "placebo")).all()


def test_outcomes_carry_the_treatment_of_their_arm():
    arms = fmtrials.load_arms().set_index(["study", "arm"])["treatment"]
    out = fmtrials.load_outcomes()
    assert out["treatment"].notna().all()
    assert out["treatment"].tolist() == [arms[(s, a)] for s, a in zip(out["study"], out["arm"])]
    assert list(out.columns[:4]) == ["study", "arm", "treatment", "dose_mg_day"]


def test_bundled_contrasts_are_milnacipran_vs_placebo():
    c = fmtrials.contrasts(endpoint="nausea")
    assert set(c["treatment"]) == {"milnacipran"} and set(c["comparator"]) == {"placebo"}
    # same rows and counts as asked with the comparator named
    named = fmtrials.contrasts(endpoint="nausea", comparator="Placebo")
    pd.testing.assert_frame_equal(c, named)


# ------------------------------------------------------------------ an active comparator in a multi-arm trial


def _three_drug_trials() -> pd.DataFrame:
    rows = [
        # study, arm, treatment, dose, n, events
        ("T1", "placebo", "placebo", 0, 100, 20),
        ("T1", "milnacipran_100", "milnacipran", 100, 100, 35),
        ("T1", "duloxetine_60", "duloxetine", 60, 110, 44),
        ("T2", "milnacipran_100", "milnacipran", 100, 50, 20),
        ("T2", "duloxetine_60", "duloxetine", 60, 52, 26),
        ("T3", "placebo", "placebo", 0, 80, 16),
        ("T3", "milnacipran_200", "milnacipran", 200, 81, 30),
    ]
    df = pd.DataFrame(rows, columns=["study", "arm", "treatment", "dose_mg_day", "n", "responders"])
    return df.assign(endpoint="pain_30")


def test_contrasts_against_an_active_comparator():
    c = fmtrials.contrasts(_three_drug_trials(), comparator="duloxetine")
    got = c[["study", "arm", "treatment", "events_t", "n_t", "events_c", "n_c", "comparator", "placebo_id"]]
    expected = [
        ("T1", "placebo", "placebo", 20, 100, 44, 110, "duloxetine", "T1:duloxetine_60"),
        ("T1", "milnacipran_100", "milnacipran", 35, 100, 44, 110, "duloxetine", "T1:duloxetine_60"),
        ("T2", "milnacipran_100", "milnacipran", 20, 50, 26, 52, "duloxetine", "T2:duloxetine_60"),
    ]
    assert [tuple(r) for r in got.astype(object).itertuples(index=False)] == expected
    # T1's duloxetine arm serves two rows: pooling both would count it twice; T2's serves one
    assert c["shared_placebo"].tolist() == [True, True, False]
    # T3 has no duloxetine arm: left out, with the reason
    assert c.attrs["excluded"] == [
        {
            "study": "T3",
            "arm": arm,
            "endpoint": "pain_30",
            "analysis": "not stated",
            "population": "not stated",
            "timepoint": None,
            "reason": "no duloxetine row",
        }
        for arm in ("placebo", "milnacipran_200")
    ]
    # the 2x2 statistics follow the pairing: risk ratio and difference by hand
    cmp = fmtrials.compare(c, event="beneficial")
    assert cmp["rr"].tolist() == pytest.approx(
        [(20 / 100) / (44 / 110), (35 / 100) / (44 / 110), (20 / 50) / (26 / 52)]
    )
    assert cmp["rd"].tolist() == pytest.approx([20 / 100 - 44 / 110, 35 / 100 - 44 / 110, 20 / 50 - 26 / 52])


def test_the_same_trials_against_placebo():
    c = fmtrials.contrasts(_three_drug_trials())
    got = c[["study", "treatment", "events_t", "n_t", "events_c", "n_c", "placebo_id", "shared_placebo"]]
    assert [tuple(r) for r in got.astype(object).itertuples(index=False)] == [
        ("T1", "duloxetine", 44, 110, 20, 100, "T1:placebo", True),
        ("T1", "milnacipran", 35, 100, 20, 100, "T1:placebo", True),
        ("T3", "milnacipran", 30, 81, 16, 80, "T3:placebo", False),
    ]
    assert {r["study"] for r in c.attrs["excluded"]} == {"T2"}
    assert {r["reason"] for r in c.attrs["excluded"]} == {"no placebo row"}


def test_comparator_errors():
    df = _three_drug_trials()
    with pytest.raises(DataError, match="comparator 'pregabalin' is no arm's treatment"):
        fmtrials.contrasts(df, comparator="pregabalin")
    two = pd.concat([df, df.iloc[[2]].assign(arm="duloxetine_120", dose_mg_day=120)], ignore_index=True)
    with pytest.raises(DataError) as err:
        fmtrials.contrasts(two, comparator="duloxetine")
    assert "row 8, column 'arm'" in str(err.value) and "has 2 duloxetine rows (rows 3, 8)" in str(err.value)
    with pytest.raises(DataError, match="comparator must be a treatment name"):
        fmtrials.contrasts(df, comparator="")


def test_split_shared_comparator_keys_on_the_comparator_arm():
    c = fmtrials.contrasts(_three_drug_trials(), comparator="duloxetine")
    split = fmtrials.split_shared_placebo(c)
    # T1's duloxetine arm (44/110) divided between its two rows: 22/55 each; T2 untouched
    assert split["events_c"].tolist() == [22, 22, 26] and split["n_c"].tolist() == [55, 55, 52]


# ------------------------------------------------------------------ user files: events, responders, case, treatment


def _write(tmp_path, text, name="user.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_events_is_canonical_and_responders_an_alias(tmp_path):
    events = fmtrials.read_outcomes(
        _write(tmp_path, "study,dose_mg_day,endpoint,n,events\nA,0,e,100,30\nA,100,e,98,45\n")
    )
    old = fmtrials.read_outcomes(
        _write(tmp_path, "study,dose_mg_day,endpoint,n,responders\nA,0,e,100,30\nA,100,e,98,45\n")
    )
    both = fmtrials.read_outcomes(
        _write(tmp_path, "study,dose_mg_day,endpoint,n,events,responders\nA,0,e,100,30,30\nA,100,e,98,45,45\n")
    )
    for df in (events, old, both):
        assert df["responders"].tolist() == [30, 45] and "events" not in df.columns
    pd.testing.assert_frame_equal(events.drop(columns="locator"), old.drop(columns="locator"))


def test_events_and_responders_that_differ_are_refused(tmp_path):
    p = _write(tmp_path, "study,dose_mg_day,endpoint,n,events,responders\nA,0,e,100,30,30\nA,100,e,98,45,44\n")
    with pytest.raises(DataError) as err:
        fmtrials.read_outcomes(p)
    assert [str(x) for x in err.value.problems] == [
        f"{p}, row 2 (line 3), column 'responders': events '45' and responders '44' differ (responders is another "
        "name for events: give one, or the same value in both)"
    ]


def test_missing_events_column_names_both_spellings(tmp_path):
    with pytest.raises(DataError, match=re.escape("missing required column(s): 'events (or responders)'")):
        fmtrials.read_outcomes(_write(tmp_path, "study,dose_mg_day,endpoint,n\nA,0,e,100\n"))


def test_column_names_are_case_insensitive_and_trimmed(tmp_path):
    canonical = fmtrials.read_outcomes(
        _write(tmp_path, "study,dose_mg_day,endpoint,n,events,direction\nA,0,e,100,30,beneficial\nA,100,e,98,45,\n")
    )
    shouting = fmtrials.read_outcomes(
        _write(
            tmp_path,
            " Study ,DOSE_MG_DAY,Endpoint,N, Events,Direction,My Note\nA,0,e,100,30,beneficial,x\nA,100,e,98,45,,y\n",
            name="b.csv",
        )
    )
    assert shouting["My Note"].tolist() == ["x", "y"]  # a column fmtrials does not know keeps its name
    pd.testing.assert_frame_equal(canonical.drop(columns="locator"), shouting.drop(columns=["locator", "My Note"]))


def test_problems_name_the_column_as_the_user_spelled_it(tmp_path):
    p = _write(tmp_path, "Study,Dose_mg_day,Endpoint,N,Events\nA,0,e,100,30\nA,100,e,98,99\n")
    with pytest.raises(DataError) as err:
        fmtrials.read_outcomes(p)
    assert str(err.value).startswith(f"{p}, row 2 (line 3), column 'Events': ")


def test_two_columns_with_one_name_but_for_case_are_refused(tmp_path):
    with pytest.raises(DataError, match="columns 'n' and 'N' both name the column 'n'"):
        fmtrials.read_outcomes(_write(tmp_path, "study,dose_mg_day,endpoint,n,N,events\nA,0,e,100,100,30\n"))


def test_treatment_is_read_or_derived(tmp_path):
    given = fmtrials.read_outcomes(
        _write(
            tmp_path,
            "study,treatment,dose_mg_day,endpoint,n,events\nA,Placebo,0,e,100,30\nA,Duloxetine,60,e,98,45\n"
            "A,milnacipran,100,e,99,40\n",
        )
    )
    assert given["treatment"].tolist() == ["placebo", "duloxetine", "milnacipran"]
    assert given["arm"].tolist() == ["placebo", "duloxetine 60 mg/day", "milnacipran 100 mg/day"]
    derived = fmtrials.read_outcomes(
        _write(tmp_path, "study,dose_mg_day,endpoint,n,events\nA,0,e,100,30\nA,100,e,98,45\n")
    )
    # no treatment column: placebo at dose 0, else the neutral default (a user report names no drug)
    assert derived["treatment"].tolist() == ["placebo", data.DEFAULT_TREATMENT] == ["placebo", "treatment"]
    assert derived["arm"].tolist() == ["placebo", "100 mg/day"]  # unchanged for files without a treatment


def test_treatment_that_disagrees_with_the_dose_is_refused(tmp_path):
    p = _write(
        tmp_path,
        "study,arm,treatment,dose_mg_day,endpoint,n,events\nA,p,placebo,0,e,100,30\nA,m,placebo,100,e,98,45\n"
        "A,d,duloxetine,0,e,97,40\n",
    )
    with pytest.raises(DataError) as err:
        fmtrials.read_outcomes(p)
    problems = [str(x) for x in err.value.problems]
    assert (
        f"{p}, row 2 (line 3), column 'treatment': treatment 'placebo' disagrees with dose_mg_day 100 "
        "(dose 0 means placebo)" in problems
    )
    assert (
        f"{p}, row 3 (line 4), column 'treatment': treatment 'duloxetine' disagrees with dose_mg_day 0 "
        "(dose 0 means placebo)" in problems
    )


# ------------------------------------------------------------------ known gaps


def test_gaps_table_loads_with_provenance():
    g = fmtrials.load_gaps()
    assert len(g) >= 10
    for col in ("missing", "sources_searched", "status", "source", "locator"):
        assert g[col].notna().all() and (g[col].str.strip() != "").all(), col
    assert set(g["status"]) <= set(data.STATUSES)
    sources = set(fmtrials.load_sources()["source_id"])
    assert {s for v in g["sources_searched"] for s in v.split(";")} <= sources
    assert set(g["source"]) <= sources
    # the trials the README's prose names as lacking per-arm counts are all in the table
    assert {"Vitton2004", "Clauw2008", "Mease2009", "Arnold2010", "Branco2010", "Bateman2013"} <= set(g["study"])
    assert fmtrials.validate_bundled()["gaps"] == len(g)


def test_gaps_table_rows_are_checked_against_the_other_tables():
    tables = {name: data._bundled(name) for name in data.SPECS}
    bad = tables["gaps"].copy()
    bad.loc[0, "arm"] = "duloxetine_60"
    bad.loc[1, "endpoint"] = "pain_30;itch"
    bad.loc[2, "sources_searched"] = "MINDS;NOPE"
    from fmtrials.data.bundled import _gap_problems

    problems = [str(p) for p in _gap_problems({**tables, "gaps": bad})]
    assert problems == [
        "data/gaps.csv, row 1, column 'arm': arm 'duloxetine_60' of 'Vitton2004' is not in arms.csv",
        "data/gaps.csv, row 2, column 'endpoint': endpoint 'itch' is not in the glossary (endpoints.csv)",
        "data/gaps.csv, row 3, column 'sources_searched': unknown source id 'NOPE' (not in sources.csv)",
    ]


def test_report_lists_one_known_gap_per_row():
    from fmtrials.report.tables import _known_gaps

    g = fmtrials.load_gaps()
    lines = _known_gaps()
    assert len(lines) == len(g)
    assert lines[0] == "Vitton2004: arm sizes (only the total is given) (not reported; searched: MINDS, V04, CR15)"


# ------------------------------------------------------------------ the data dictionary


def test_data_dictionary_documents_every_column():
    text = (data.data_dir() / "README.md").read_text("utf-8")
    for name, spec in data.SPECS.items():
        head = re.search(rf"^## {name}\.csv.*$", text, flags=re.M)
        assert head, f"no section for {name}.csv"
        section = text[head.end() :].split("\n## ", 1)[0]
        documented = {
            c.strip().strip("`")
            for line in section.splitlines()
            if line.startswith("| ") and not line.startswith("| column")
            for c in line.split("|")[1].split(",")
        }
        missing = [c.name for c in spec.columns if c.name not in documented]
        assert not missing, f"{name}.csv: {missing} not documented"
        # and every column of the file itself is in the specification
        header = (data.data_dir() / f"{name}.csv").read_text("utf-8").splitlines()[0].split(",")
        assert set(header) <= {c.name for c in spec.columns}, name


def test_command_line_shows_and_validates_the_gaps_table(capsys):
    from fmtrials.cli import main

    assert main(["data", "--table", "gaps", "--csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header == "study,missing,endpoint,arm,sources_searched,status,source,locator,note"
    assert main(["validate", str(data.data_dir() / "gaps.csv")]) == 0
    assert "(gaps table, " in capsys.readouterr().out

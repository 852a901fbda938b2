"""Fuzzing the CSV reader and the CLI with malformed files and hostile names (issue 11).

Every outcome must be a clean result or a :class:`~fmtrials.DataError` (exit 0 or 2), never another exception,
and nothing may be written outside ``--out``. Bounded to a few seconds (figures off in the CLI runs).
"""

from __future__ import annotations

import tempfile
from html import escape
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fmtrials
from fmtrials import DataError
from fmtrials.cli import main

HEADERS = [
    "study,dose_mg_day,endpoint,n,responders",
    "study,arm,endpoint,n,responders",
    "study,arm,dose_mg_day,endpoint,analysis,n,responders,percent",
    ",,,,",
    '""',
    "study;n;responders",
    "",
]
CELLS = [
    "",
    "0",
    "100",
    "200",
    "50",
    "10",
    "3",
    "-1",
    "1.5",
    "1e3",
    "9" * 25,
    str(2**63),
    "1,000",
    "12%",
    "=1+1",
    "@SUM(A1)",
    "+x",
    "-2",
    "../../PWNED",
    "/",
    "/tmp/x",
    ".",
    "..",
    "pain.30",
    "pain.50",
    "x" * 300,
    "placebo",
    "Placebo",
    "Clauw2013",
    "$x^$",
    "<b>",
    "é",
    "\u202e",
    '"',
    '""',
    "BOCF",
    "LOCF",
    "ITT",
    " ",
]


@st.composite
def csv_texts(draw) -> str:
    header = draw(st.sampled_from(HEADERS))
    width = max(1, header.count(",") + 1)
    rows = draw(
        st.lists(
            st.lists(
                st.one_of(st.sampled_from(CELLS), st.text(max_size=6)), min_size=max(1, width - 1), max_size=width + 1
            ),
            max_size=8,
        )
    )
    return header + "\n" + "\n".join(",".join(r) for r in rows) + draw(st.sampled_from(["", "\n", "\r\n"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=csv_texts())
def test_reader_raises_only_data_error(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.csv"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            fmtrials.read_outcomes(path)
        except DataError as err:
            assert err.problems and all(p.file for p in err.problems)


@st.composite
def valid_ish(draw) -> str:
    """Well-formed outcomes whose names are hostile, so many runs reach the analysis and the writing."""
    lines = ["study,dose_mg_day,endpoint,n,responders"]
    for _ in range(draw(st.integers(1, 4))):
        study = draw(st.sampled_from(CELLS[14:] + ["A", "B"]))
        endpoint = draw(st.sampled_from(CELLS[14:] + ["e"]))
        n = draw(st.integers(1, 60))
        for dose in draw(st.sampled_from([(0, 100), (0, 100, 200), (0,), (100,)])):
            lines.append(
                ",".join(
                    [
                        f'"{study}"' if "," in study or '"' in study else study,
                        str(dose),
                        endpoint.replace(",", ";").replace('"', "'"),
                        str(n),
                        str(draw(st.integers(0, n))),
                    ]
                )
            )
    return "\n".join(lines) + "\n"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(valid_ish(), csv_texts()))
def test_cli_report_exits_0_or_2_and_writes_only_inside_out(text):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "work").mkdir()
        data = root / "in.csv"
        data.write_text(text, encoding="utf-8", errors="surrogatepass")
        before = {str(p.relative_to(root)) for p in root.rglob("*")}
        rc = main(["report", "--data", str(data), "--out", str(root / "work" / "out"), "--quiet", "--no-figures"])
        assert rc in (0, 2), text
        new = {str(p.relative_to(root)) for p in root.rglob("*")} - before
        assert all(p == "work/out" or p.startswith("work/out/") for p in new), sorted(new)
        assert (rc == 0) == (root / "work" / "out" / "report.html").is_file()


# ------------------------------------------------------------------------------- RevMan readers and writers (28)

REVMAN_HEADER = (
    "Comparison Number,Outcome Number,Subgroup Number,Name,Data Type,Statistical Method,Effect Measure,"
    "Analysis Model,Events 1,Mean 1,SD 1,Total 1,Events 2,Mean 2,SD 2,Total 2,Effect Estimate,SE,CI Start,CI End,"
    "Weight,Q,P(Q),I²(Q),Tau²,Z,P(Z),Qint,P(Qint),I²(Qint),df,Group Label 1,Group Label 2,Left Graph Label,"
    "Right Graph Label,Year of study,User defined order"
)
NUMBERS = ["", "0", "1", "10", "-1", "1e30", "inf", "nan", "NaN", "1,000", "1.5", "3000000000", str(2**53 + 1), "x"]
NUMBERS += ["9" * 5000, "²", "0x10", "1_0", " 7 ", "+3"]


@st.composite
def revman_csv_texts(draw) -> str:
    width = REVMAN_HEADER.count(",") + 1
    cell = st.one_of(st.sampled_from(NUMBERS + CELLS), st.text(max_size=5))
    lines = [REVMAN_HEADER, "1,0,0,C" + "," * (width - 4), "1,1,0,O,DIC,MH,OR,Fixed" + "," * (width - 8)]
    for _ in range(draw(st.integers(0, 5))):
        row = [""] * width
        row[0:3] = draw(st.sampled_from([["1", "1", "0"], ["1", "1", "1"], ["1", "2", "0"], ["x", "1", "0"]]))
        for i in (3, 8, 11, 12, 15, 16, 35):
            row[i] = draw(cell)
        lines.append(",".join(row[: draw(st.sampled_from([width, width, width - 1, width + 1]))]))
    return "\n".join(lines) + "\n"


@st.composite
def rm5_texts(draw) -> str:
    value = st.one_of(st.sampled_from(NUMBERS), st.text(alphabet="0123456789.,e-+ainf", max_size=6))
    data = []
    for _ in range(draw(st.integers(0, 4))):
        attrs = {a: draw(value) for a in ("EVENTS_1", "TOTAL_1", "EVENTS_2", "TOTAL_2", "EFFECT_SIZE")}
        attrs["STUDY_ID"] = draw(st.sampled_from(["STD-A", "STD-B", "STD-A_x002d_1", ""]))
        data.append("<DICH_DATA " + " ".join(f'{k}="{escape(v)}"' for k, v in attrs.items()) + "/>")
    body = (
        '<COCHRANE_REVIEW><ANALYSES_AND_DATA><COMPARISON NO="1"><NAME>C</NAME>'
        f'<DICH_OUTCOME NO="{escape(draw(value))}" EFFECT_MEASURE="OR" METHOD="MH"><NAME>O</NAME>'
        + "\n".join(data)
        + "</DICH_OUTCOME></COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>"
    )
    prolog = draw(st.sampled_from(["", '<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="x"?>']))
    cut = draw(st.sampled_from([len(body), len(body), len(body) // 2]))
    return prolog + body[:cut]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(revman_csv_texts(), rm5_texts()), suffix=st.sampled_from([".csv", ".rm5", ".txt"]))
def test_revman_readers_raise_only_data_error_and_keep_counts_exact(text, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"in{suffix}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            df = fmtrials.read_revman(path)
        except DataError as err:
            assert err.problems and all(p.file == str(path) for p in err.problems)
            return
        dich = df[df.data_type == "dichotomous"]
        counts = dich[["events_t", "n_t", "events_c", "n_c"]].to_numpy(dtype="int64")
        assert ((counts >= 0) & (counts <= 2**31 - 1)).all()
        assert (counts[:, 0] <= counts[:, 1]).all() and (counts[:, 2] <= counts[:, 3]).all()
        assert (counts[:, 1] > 0).all() and (counts[:, 3] > 0).all()
        keys = dich[["comparison_no", "outcome_no", "subgroup_no", "study"]].astype(str)
        assert not keys.duplicated().any()


NAMES = st.one_of(st.sampled_from(CELLS + ["\rx", "a\rb", "a\nb", "\t=1", " s ", "A,B"]), st.text(max_size=8))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(NAMES, min_size=1, max_size=5, unique=True))
def test_writers_never_write_formulas_or_broken_records(names):
    import csv

    import pandas as pd

    from fmtrials.revman import write_effects_csv, write_revman_csv

    def live(cell: str) -> bool:
        try:
            float(cell)
            return False
        except ValueError:
            return cell[:1] in ("=", "+", "-", "@", "\t", "\r")

    t = pd.DataFrame({"study": names, "events_t": 1, "n_t": 9, "events_c": 2, "n_c": 9})
    with tempfile.TemporaryDirectory() as tmp:
        for write in ("effects", "revman"):
            path = Path(tmp) / f"{write}.csv"
            try:
                if write == "effects":
                    write_effects_csv(t, path, measure="OR")
                else:
                    write_revman_csv(t, path, outcome=names[0])
            except DataError as err:  # RevMan names with line breaks are refused, naming the row
                assert write == "revman" and any("line break" in p.message for p in err.problems)
                continue
            with open(path, newline="", encoding="utf-8", errors="surrogatepass") as fh:
                rows = list(csv.reader(fh))
            assert {len(r) for r in rows} == {len(rows[0])} and len(rows) == len(names) + (
                1 if write == "effects" else 3
            )
            assert not any(live(c) for r in rows for c in r)
            shown = [n if not live(n) else "'" + n for n in names]
            if write == "effects":
                assert [r[0] for r in rows[1:]] == shown
            else:
                back = fmtrials.read_revman(path)
                assert back.study.tolist() == shown and back.outcome[0] == shown[0]

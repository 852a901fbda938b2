"""Fuzzing the CSV reader and the CLI with malformed files and hostile names (issue 11).

Every outcome must be a clean result or a :class:`~fmtrials.DataError` (exit 0 or 2), never another exception,
and nothing may be written outside ``--out``. Bounded to a few seconds (figures off in the CLI runs).
"""

from __future__ import annotations

import tempfile
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

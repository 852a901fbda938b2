"""``fmtrials report --comparators FILE``: user comparator arms for the section "How does milnacipran compare with
duloxetine and pregabalin?" (issue 24). A bad file is refused before anything is written, naming the file, row,
column, study and treatment; the CLI exits 2. (The section's numbers: tests/test_report_cells.py.)"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import fmtrials
from fmtrials.cli import main

GOOD = Path(__file__).parent / "data" / "netreport_comparators.csv"


def _rows() -> list[dict[str, str]]:
    with open(GOOD, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def _changed(i: int, **cells: str) -> list[dict[str, str]]:
    rows = _rows()
    rows[i] = {**rows[i], **cells}
    return rows


def _refused(tmp_path: Path, rows: list[dict[str, str]]) -> str:
    bad = _write(tmp_path / "bad.csv", rows)
    out = tmp_path / "out"
    with pytest.raises(fmtrials.DataError) as e:
        fmtrials.write_report(out, comparators=bad, figures=False, quiet=True)
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]
    return str(e.value)


@pytest.mark.parametrize(
    ("row", "cells", "words"),
    [
        # row 2 of the file is Crofford2005's placebo arm; row 4 Arnold2008 pregabalin 300
        (3, {"events": "200"}, ("row 4", "column 'events'", "exceed n", "Arnold2008", "'pregabalin'")),
        (1, {"treatment": "amitriptyline"}, ("row 2", "column 'treatment'", "Crofford2005", "'amitriptyline'")),
        (3, {"n": "0"}, ("row 4", "column 'n'", "Arnold2008", "'pregabalin'")),
    ],
)
def test_a_bad_cell_is_named_by_file_row_column_study_and_treatment(tmp_path, row, cells, words):
    msg = _refused(tmp_path, _changed(row, **cells))
    assert "bad.csv" in msg
    for w in words:
        assert w in msg, (w, msg)


def test_a_second_arm_of_one_dose_in_a_study_is_refused_naming_both_rows(tmp_path):
    rows = _rows()
    dup = {**rows[0], "arm": "pregabalin 300 (second arm)"}  # Crofford2005 pregabalin 300 again
    msg = _refused(tmp_path, [*rows, dup])
    assert f"row {len(rows) + 1}" in msg and "first on row 1" in msg
    assert "'Crofford2005'" in msg and "'pregabalin'" in msg and "column 'dose_mg_day'" in msg


def test_a_network_without_milnacipran_or_disconnected_is_refused_naming_the_file(tmp_path):
    no_mln = [r for r in _rows() if r["treatment"] != "milnacipran"]
    msg = _refused(tmp_path, no_mln)
    assert "bad.csv" in msg and "no milnacipran arm" in msg
    # milnacipran trials against placebo, and Arnold2005 without its placebo arm: one arm, nothing to compare
    rows = [r for r in _rows() if r["study"] in ("Arnold2005", "Clauw2008")]
    rows = [r for r in rows if not (r["study"] == "Arnold2005" and r["treatment"] == "placebo")]
    # a row first that is not analysed (a percentage without n): the file's row 2 is the analysis's first arm
    pct = {**rows[0], "endpoint": "pain_50", "events": "", "n": "", "percent": "29", "arm": "duloxetine 60 (50%)"}
    msg = _refused(tmp_path, [pct, *rows])
    assert "bad.csv, row 2:" in msg and "study 'Arnold2005' has one arm" in msg and "'duloxetine'" in msg
    # ... and with a pregabalin arm instead: duloxetine against pregabalin only, two components
    extra = {**rows[0], "treatment": "pregabalin", "dose_mg_day": "300", "arm": "pregabalin 300"}
    msg = _refused(tmp_path, [*rows, extra])
    assert "bad.csv" in msg and "disconnected" in msg and "duloxetine 60" in msg and "milnacipran 100" in msg


def test_the_cli_exits_2_and_writes_nothing(tmp_path, capsys):
    bad = _write(tmp_path / "bad.csv", _changed(3, events="200"))
    out = tmp_path / "out"
    code = main(["report", "--comparators", str(bad), "--out", str(out), "--no-figures", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert "invalid input" in err and "bad.csv, row 4 (line 5), column 'events'" in err and "Arnold2008" in err


def test_user_comparators_are_recorded_in_the_manifest_and_drive_the_section(tmp_path):
    import json

    out = fmtrials.write_report(tmp_path / "r", comparators=GOOD, figures=False, quiet=True, endpoints=["pain_30"])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert GOOD.name in json.dumps(manifest)
    html = (out / "report.html").read_text(encoding="utf-8")
    # the synthetic file has no Vitton2004 (so no closed loop of designs) and Clauw2008 marked "reported"
    assert "Vitton2004" not in html.split('<section id="network">')[1].split("</section>")[0]
    assert "cannot be computed: no closed loop of designs (0 df)" in html
    assert "16 of the 19 input arms are unverified transcriptions" in html

"""A user file's default locator names each row as the package's errors do: "row 1" is the first data row (line
2 of the file), so a reader can go from a number in the report to the line in the file (issue 29, class 5)."""

from __future__ import annotations

import pytest

import fmtrials
from fmtrials import DataError

HEAD = "study,dose_mg_day,endpoint,n,responders\n"


def test_default_locators_number_rows_as_the_errors_do(tmp_path):
    good = tmp_path / "trials.csv"
    good.write_text(HEAD + "A,0,e,10,2\nA,100,e,10,5\nB,0,e,12,3\nB,100,e,12,6\n", encoding="utf-8")
    t = fmtrials.read_outcomes(good)
    assert t["locator"].tolist() == [f"trials.csv row {i}" for i in range(1, 5)]
    lines = good.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.csv"
    for i in range(1, 5):  # spoil data row i: the error names row i, line i + 1, the row the locator calls "row i"
        spoilt = lines.copy()
        spoilt[i] = spoilt[i].rsplit(",", 1)[0] + ",99"
        bad.write_text("\n".join(spoilt) + "\n", encoding="utf-8")
        with pytest.raises(DataError, match=rf"row {i} \(line {i + 1}\)"):
            fmtrials.read_outcomes(bad)
        assert t["locator"].iloc[i - 1].endswith(f"row {i}") and lines[i].startswith(t["study"].iloc[i - 1])

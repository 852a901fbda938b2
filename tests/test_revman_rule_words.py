"""The escalc-style export states its zero-cell rule in every row; the words must be what the numbers did
(issue 29, class 4): a double-zero table is said to be excluded exactly when its yi/vi are empty, and a table
with one zero cell is said to get ``add`` exactly when yi equals escalc's value with that correction (computed
here by hand)."""

from __future__ import annotations

import csv
import math

import pandas as pd
import pytest

from fmtrials.revman import write_effects_csv


@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
@pytest.mark.parametrize("add", [0.5, 0.25])
def test_the_written_rule_is_what_was_done(tmp_path, measure, add):
    t = pd.DataFrame(
        {
            "study": ["double zero", "one zero", "no zero"],
            "events_t": [0, 0, 5],
            "n_t": [20, 20, 20],
            "events_c": [0, 3, 2],
            "n_c": [20, 20, 20],
        }
    )
    path = tmp_path / "yi.csv"
    write_effects_csv(t, path, measure=measure, add=add)
    with open(path, newline="", encoding="utf-8") as fh:
        rows = {r["study"]: r for r in csv.DictReader(fh)}
    dz = rows["double zero"]
    says_excluded = "double-zero tables excluded" in dz["zero_cell_rule"]
    assert says_excluded == (dz["yi"] == "") == (dz["excluded"] == "True")
    assert says_excluded == (measure != "RD")  # escalc's drop00 default for ratios only
    assert f"add {add:g} to all four cells" in rows["one zero"]["zero_cell_rule"]
    a, b, c, d = 0 + add, 20 - 0 + add, 3 + add, 20 - 3 + add
    want = {
        "RR": math.log((a / (a + b)) / (c / (c + d))),
        "OR": math.log(a * d / (b * c)),
        "RD": a / (a + b) - c / (c + d),
    }[measure]
    assert float(rows["one zero"]["yi"]) == pytest.approx(want, rel=1e-12)

"""Continuous endpoints in the report and the user continuous outcomes CSV (issue 25, items 5 and 6).

The report's section "Continuous endpoints" is checked cell by cell against R metafor (a user file made of
metadat's dat.normand1999, tests/data/continuous_reference.json and continuous2_reference.json), and, on the bundled
data, against the gap rows of data/gaps.csv. The reader (:func:`fmtrials.read_continuous`) refuses bad summary
statistics naming file, row and column; a thousands separator is refused in every numeric cell (it used to be read
as a thousands separator in counts)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import _oracle as o
import pandas as pd
import pytest
from _report_cells import html_tables
from scipy import stats

import fmtrials
from fmtrials import DataError

DATA = Path(__file__).parent / "data"
REF1 = json.loads((DATA / "continuous_reference.json").read_text())
REF2 = json.loads((DATA / "continuous2_reference.json").read_text())
HEADER = "study,endpoint,mean_t,sd_t,n_t,mean_c,sd_c,n_c"
SECTION = "Continuous endpoints: mean and standardised mean differences"


def _normand_csv(path: Path) -> Path:
    """dat.normand1999 as a user file: length of hospital stay (days), lower is better."""
    d = pd.DataFrame(REF1["data"]["normand1999"])
    d["endpoint"] = "length_of_stay"
    d["direction"] = "harmful"
    d["unit"] = "days"
    d.to_csv(path, index=False)
    return path


# ------------------------------------------------------------------------------------------------ the reader
def test_a_thousands_separator_is_refused_in_the_binary_user_outcomes(tmp_path):
    # "1,000" is a thousands separator or a decimal comma: it used to be read as 1000 without a word
    p = tmp_path / "o.csv"
    p.write_text('study,dose_mg_day,endpoint,n,responders\nA,0,pain_30,"1,000",300\nA,100,pain_30,998,450\n')
    with pytest.raises(DataError) as err:
        fmtrials.read_outcomes(p)
    (prob,) = err.value.problems
    assert (prob.file, prob.row, prob.column) == (str(p), 1, "n") and "ambiguous" in prob.message


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("A,pain,-20,0,50,-10,10,50", "sd_t", "standard deviation must be > 0"),
        ("A,pain,-20,-3,50,-10,10,50", "sd_t", "standard deviation must be > 0"),
        ("A,pain,-20,10,1,-10,10,50", "n_t", "arm size must be at least 2"),
        ("A,pain,,10,50,-10,10,50", "mean_t", "missing mean"),
        ('A,pain,-20,10,50,-10,10,"1,000"', "n_c", "ambiguous"),
        ('A,pain,"-1,200.5",10,50,-10,10,50', "mean_t", "ambiguous"),
        ("A,pain,-20,10,50,x,10,50", "mean_c", "not a number"),
    ],
)
def test_bad_continuous_rows_name_file_row_and_column(tmp_path, row, column, message):
    p = tmp_path / "c.csv"
    p.write_text(f"{HEADER}\nB,pain,-20,10,50,-10,10,50\n{row}\n")
    with pytest.raises(DataError) as err:
        fmtrials.read_continuous(p)
    (prob,) = err.value.problems
    assert (prob.file, prob.row, prob.line, prob.column) == (str(p), 2, 3, column)
    assert message in prob.message


def test_one_row_per_comparison_and_one_direction_per_endpoint(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(
        f"{HEADER},direction,typical_sd\nA,pain,-20,10,50,-10,10,50,harmful,20\nA,pain,-21,10,50,-10,10,50,harmful,20\n"
        "B,pain,-20,10,50,-10,10,50,beneficial,0\n"
    )
    with pytest.raises(DataError) as err:
        fmtrials.read_continuous(p)
    got = {(x.row, x.column) for x in err.value.problems}
    assert got == {(2, "study"), (3, "direction"), (3, "typical_sd")}


def test_the_summary_statistics_are_read_as_typed():
    d = fmtrials.read_continuous(pd.DataFrame(REF1["data"]["normand1999"]).assign(endpoint="los"))
    assert d["n_t"].dtype == "Int64" and d["mean_t"].dtype == "Float64" and d.attrs["origin"] == "user"


# ------------------------------------------------------------------------------------------------ the report
@pytest.fixture(scope="module")
def normand_report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cont")
    out = tmp / "report"
    fmtrials.write_report(
        out,
        data=DATA / "lee2004_outcomes.csv",
        continuous=_normand_csv(tmp / "normand.csv"),
        figures=False,
        quiet=True,
    )
    return out


def _section_tables(out: Path):
    tables = html_tables(out / "report.html")
    return [t for t in tables if t.heading == SECTION], [t for t in tables if t.heading.startswith("length_of_stay")]


def _ref(items, **kw):
    (hit,) = [c for c in items if all(c.get(k) == v for k, v in kw.items())]
    return hit


def _check_interval(text, est, lo, hi):
    got = o.parse_interval(text)
    assert got is not None, text
    for t, v in zip(got, (est, lo, hi)):
        assert o.close_printed(t, v), (text, est, lo, hi)


def test_the_continuous_section_of_a_user_file_equals_metafor(normand_report):
    (pooled,), (studies,) = _section_tables(normand_report)
    (row,) = pooled.rows
    d = pd.DataFrame(REF1["data"]["normand1999"])
    assert row["Endpoint"] == "length_of_stay" and row["Unit"] == "days"
    assert row["k (participants)"] == f"9 ({int((d.n_t + d.n_c).sum())})"
    assert row["Model"] == "Random-effects model (REML τ², HKSJ ad hoc)"  # the main model at k = 9
    md = _ref(REF2["heterogeneity"], data="normand1999", measure="MD", method="REML")
    smd = _ref(REF2["heterogeneity"], data="normand1999", measure="SMD", method="REML")
    _check_interval(row["MD [95% CI]"], md["beta"], md["adhoc_ci_lb"], md["adhoc_ci_ub"])
    assert o.check_p(row["p (MD)"], md["adhoc_pval"])
    _check_interval(row["SMD [95% CI]"], smd["beta"], smd["adhoc_ci_lb"], smd["adhoc_ci_ub"])
    # Handbook §15.5.3.1: SMD x the pooled SD of the largest study (Edinburgh, 155 + 156), computed here
    big = d.iloc[(d.n_t + d.n_c).idxmax()]
    sd = math.sqrt(((big.n_t - 1) * big.sd_t**2 + (big.n_c - 1) * big.sd_c**2) / (big.n_t + big.n_c - 2))
    assert big.study == "Edinburgh"
    _check_interval(row["SMD × typical SD [CI]"], smd["beta"] * sd, smd["adhoc_ci_lb"] * sd, smd["adhoc_ci_ub"] * sd)
    i2 = 100 * max(0.0, (md["QE"] - 8) / md["QE"])
    i2_text, tau2_text = row["Heterogeneity (MD)"].split("; ")
    assert o.close_printed(i2_text.split("= ")[1].rstrip("%"), i2)
    assert o.close_printed(tau2_text.split("= ")[1], md["tau2"])
    lo, hi = row["Prediction interval (MD)"].split(" to ")
    assert o.close_printed(lo, md["hts_pi_lb"]) and o.close_printed(hi, md["hts_pi_ub"])
    # per study: escalc's yi, vi with the z interval yi ± 1.96 sqrt(vi)
    z = stats.norm.ppf(0.975)
    e_md = _ref(REF1["escalc"], data="normand1999", measure="MD")
    e_smd = _ref(REF1["escalc"], data="normand1999", measure="SMD")
    assert [r["Study"] for r in studies.rows] == list(d.study)
    for i, r in enumerate(studies.rows):
        for col, e in (("MD [95% CI]", e_md), ("SMD [95% CI]", e_smd)):
            y, v = e["yi"][i], e["vi"][i]
            _check_interval(r[col], y, y - z * math.sqrt(v), y + z * math.sqrt(v))
        assert r["Treatment mean (SD), n"] == f"{d.mean_t[i]:.2f} ({d.sd_t[i]:.2f}), {d.n_t[i]}"
        assert r["Control mean (SD), n"] == f"{d.mean_c[i]:.2f} ({d.sd_c[i]:.2f}), {d.n_c[i]}"
    html = (normand_report / "report.html").read_text(encoding="utf-8")
    assert "Direction: lower is better" in html and "a negative difference favours the treatment" in html


def test_the_continuous_csv_tables_equal_metafor(normand_report):
    with open(normand_report / "tables" / "continuous_pooled.csv", newline="", encoding="utf-8") as fh:
        (r,) = list(csv.DictReader(fh))
    md = _ref(REF2["heterogeneity"], data="normand1999", measure="MD", method="REML")
    smd = _ref(REF2["heterogeneity"], data="normand1999", measure="SMD", method="REML")
    want = {
        "md": md["beta"],
        "md_ci_low": md["adhoc_ci_lb"],
        "md_ci_high": md["adhoc_ci_ub"],
        "md_p_value": md["adhoc_pval"],
        "smd": smd["beta"],
        "smd_ci_low": smd["adhoc_ci_lb"],
        "smd_ci_high": smd["adhoc_ci_ub"],
        "tau2": md["tau2"],
        "q": md["QE"],
        "pi_low": md["hts_pi_lb"],
        "pi_high": md["hts_pi_ub"],
    }
    for col, w in want.items():
        assert math.isclose(float(r[col]), w, rel_tol=1e-6, abs_tol=1e-9), (col, r[col], w)
    assert (r["method"], r["test"]) == ("REML", "hksj-adhoc")
    studies = pd.read_csv(normand_report / "tables" / "continuous_studies.csv")
    e = _ref(REF1["escalc"], data="normand1999", measure="SMD")
    assert studies["smd"].tolist() == pytest.approx(e["yi"], rel=1e-9)


def test_results_json_holds_the_continuous_fits_as_metafor(normand_report):
    res = json.loads((normand_report / "results.json").read_text(encoding="utf-8"))["continuous"]
    assert res["missing"] == []
    manifest = json.loads((normand_report / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["continuous"] == "normand.csv" and "normand.csv" in manifest["inputs"]
    e = res["endpoints"]["length_of_stay"]
    for key, measure in (("md", "MD"), ("smd", "SMD")):
        ref = _ref(REF2["heterogeneity"], data="normand1999", measure=measure, method="REML")
        got = e[key]
        assert (got["method"], got["test"], got["measure"]) == ("REML", "hksj-adhoc", measure)
        for name, want in (("estimate", "beta"), ("ci_low", "adhoc_ci_lb"), ("ci_high", "adhoc_ci_ub")):
            assert math.isclose(got[name], ref[want], rel_tol=1e-6), (key, name)
        assert math.isclose(got["heterogeneity"]["tau2"], ref["tau2"], rel_tol=1e-6)
        assert math.isclose(got["heterogeneity"]["q"], ref["QE"], rel_tol=1e-9)
    d = pd.DataFrame(REF1["data"]["normand1999"])
    big = d.iloc[(d.n_t + d.n_c).idxmax()]
    sd = math.sqrt(((big.n_t - 1) * big.sd_t**2 + (big.n_c - 1) * big.sd_c**2) / (big.n_t + big.n_c - 2))
    assert math.isclose(e["typical_sd"], sd, rel_tol=1e-9) and e["unit"] == "days"


def test_the_bundled_report_says_which_continuous_numbers_are_missing(tmp_path):
    out = tmp_path / "r"
    fmtrials.write_report(out, figures=False, quiet=True)
    (missing,) = [t for t in html_tables(out / "report.html") if t.heading == SECTION]
    g = fmtrials.load_gaps()
    g = g[g["missing"].str.startswith("continuous outcomes: ")]
    assert [r["Trial"] for r in missing.rows] == list(g["study"])
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))["continuous"]
    assert res["endpoints"] == {} and [m["study"] for m in res["missing"]] == list(g["study"])
    for r, (_, gap) in zip(missing.rows, g.iterrows()):
        assert r["Missing numbers"] == gap["missing"].removeprefix("continuous outcomes: ")
        assert r["What the sources print instead"] == f"{gap['source']}, {gap['locator']}"
    html = (out / "report.html").read_text(encoding="utf-8")
    # the typical SDs of the scales, Mease 2009 Table 1 baselines pooled over 223, 224, 441 patients
    vas = math.sqrt((222 * 15.1**2 + 223 * 16.0**2 + 440 * 16.3**2) / 885)
    fiq = math.sqrt((222 * 13.4**2 + 223 * 13.7**2 + 440 * 14.4**2) / 885)
    assert f"= {vas:.2f}" in html and f"= {fiq:.2f}" in html
    assert "lower is better" in html

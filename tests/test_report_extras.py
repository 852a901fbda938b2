"""The report's "What it means" section (decision metrics) and per-endpoint diagnostics: the tables it writes are
the decision and meta rooms' own results (which their tests check against outside references), not numbers the
report computes itself."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import fmtrials
from fmtrials.report import write_report


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("extras") / "report"
    write_report(out, quiet=True, figures=False)
    return out


@pytest.fixture(scope="module")
def analysis():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fmtrials.analyse()


def test_what_it_means_tables_are_the_decision_rooms(report_dir, analysis):
    from fmtrials.decision import what_it_means

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = what_it_means(analysis, fmtrials.load_outcomes(), mcid=0.10).tables()
    for name, table in ours.items():
        csv = pd.read_csv(report_dir / "tables" / f"what_it_means_{name}.csv")
        assert len(csv) == len(table) > 0, name
        for col in table.columns:
            if pd.api.types.is_numeric_dtype(table[col]) and not pd.api.types.is_bool_dtype(table[col]):
                np.testing.assert_allclose(
                    csv[col].to_numpy(float),
                    table[col].to_numpy(float),
                    rtol=1e-9,
                    equal_nan=True,
                    err_msg=f"{name}.{col}",
                )
    html = (report_dir / "report.html").read_text("utf-8")
    assert 'id="meaning"' in html and "P(RD &gt; 10 points)" in html
    sof = ours["summary_of_findings"]
    first = sof.iloc[0]
    assert f"{first['assumed_per_1000']:.0f}" in html


def test_influence_table_is_metafor_influence_of_the_main_model(report_dir, analysis):
    ea = analysis["nausea"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fmtrials.pool(ea.pooled_table, measure="RR", method=ea.main.method, test=ea.main.test)
        inf = fmtrials.influence(res)
    csv = pd.read_csv(report_dir / "tables" / "influence.csv")
    mine = csv[csv["endpoint"] == "nausea"]
    np.testing.assert_allclose(mine["cook_d"].to_numpy(float), inf["cook_d"].to_numpy(float), rtol=1e-9)
    np.testing.assert_allclose(mine["rstudent"].to_numpy(float), inf["rstudent"].to_numpy(float), rtol=1e-9)
    reg = pd.read_csv(report_dir / "tables" / "dose_regression.csv")
    assert set(reg["endpoint"]) == {"nausea", "headache", "dizziness"}  # the endpoints with two doses
    html = (report_dir / "report.html").read_text("utf-8")
    small = html[html.index('<h2 id="small-study">') :]  # the reason sits in the Small-study effects section
    assert "<code>nausea</code>: no small-study tests or trim-and-fill: k = 4 comparisons" in small
    assert "No dose meta-regression: every comparison uses the same dose (100 mg/day)" in html


def test_user_data_without_a_benefit_endpoint_has_no_meaning_section(tmp_path):
    csv = tmp_path / "harms.csv"
    csv.write_text(
        "study,dose_mg_day,endpoint,n,responders\nA,0,nausea,50,5\nA,100,nausea,50,15\n"
        "B,0,nausea,60,6\nB,100,nausea,60,14\n"
    )
    write_report(tmp_path / "r", data=csv, quiet=True, figures=False)
    assert 'id="meaning"' not in (tmp_path / "r" / "report.html").read_text("utf-8")

"""The report's "What it means" section (decision metrics) and per-endpoint diagnostics: the tables it writes are
the decision and meta rooms' own results (which their tests check against outside references), not numbers the
report computes itself."""

from __future__ import annotations

import re
import warnings
from html import unescape

import numpy as np
import pandas as pd
import pytest

import fmtrials
from fmtrials.report import write_report


@pytest.fixture(scope="module")
def report_dir(bundled_report_no_figures):
    return bundled_report_no_figures  # write_report(out, quiet=True, figures=False), shared (conftest)


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


USER_NAUSEA = """study,dose_mg_day,endpoint,n,responders,direction
S1,0,fiq_responder,100,20,beneficial
S1,50,fiq_responder,100,35,beneficial
S2,0,fiq_responder,80,15,beneficial
S2,50,fiq_responder,82,25,beneficial
S3,0,fiq_responder,120,30,beneficial
S3,50,fiq_responder,118,41,beneficial
S1,0,nausea,100,10,harmful
S1,50,nausea,100,27,harmful
S2,0,nausea,80,8,harmful
S2,50,nausea,82,20,harmful
"""


def _visible(html: str) -> str:
    html = re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_user_endpoint_named_like_a_glossary_harm_keeps_what_it_means(tmp_path):
    """Issue 22 item 6: a user endpoint called ``nausea`` made the benefit-risk table look for the bundled
    composite (``composite_3``), the DataError was swallowed and the whole section vanished. The section stays;
    the table that cannot be computed says why."""
    from fmtrials.decision import what_it_means

    csv = tmp_path / "mine.csv"
    csv.write_text(USER_NAUSEA, encoding="utf-8")
    outcomes = fmtrials.read_outcomes(csv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analysis = fmtrials.analyse(outcomes)
        w = what_it_means(analysis, outcomes)
    assert w.benefit_risk.empty
    assert any("benefit-risk not computed" in r and "'composite_3'" in r for r in w.reasons), w.reasons
    assert "Not shown: benefit-risk not computed" in w.summary()
    # named endpoints are used (LHH of the pooled row: RD_benefit / RD_harm of the pooled RDs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        named = what_it_means(analysis, outcomes, benefit="fiq_responder", harms="nausea")
    pooled = named.benefit_risk[named.benefit_risk["level"] == "pooled"].iloc[0]
    assert pooled["lhh"] == pytest.approx(pooled["rd_benefit"] / pooled["rd_harm"], rel=1e-12)
    # a named endpoint that is not in the data is an error naming it, never silently dropped
    with pytest.raises(fmtrials.DataError, match="'composite_3' not in the outcomes"):
        what_it_means(analysis, outcomes, benefit="composite_3")
    with pytest.raises(fmtrials.DataError, match="'ae_withdrawal' not in the outcomes"):
        what_it_means(analysis, outcomes, benefit="fiq_responder", harms=["nausea", "ae_withdrawal"])
    with pytest.raises(fmtrials.DataError, match="outcomes"):
        what_it_means(analysis, benefit="fiq_responder", harms="nausea")  # the counts are the user's

    write_report(tmp_path / "r", data=csv, quiet=True, figures=False)
    html = (tmp_path / "r" / "report.html").read_text("utf-8")
    assert 'id="meaning"' in html and 'href="#meaning"' in html
    text = _visible(html)
    assert "Benefit-risk not computed: the bundled data's default benefit endpoint 'composite_3'" in text
    # the summary of findings lists both user endpoints: nausea 37/182 vs 18/180 participants, 2 trials
    assert re.search(r"nausea 362 \(2\) RR \d", text), text[text.find("What it means") :][:600]
    assert re.search(r"fiq_responder 600 \(3\) RR \d", text)
    written = sorted(p.name for p in (tmp_path / "r" / "tables").glob("what_it_means_*.csv"))
    assert written == [f"what_it_means_{n}.csv" for n in sorted(w.tables())]


def test_user_data_of_harms_only_shows_what_it_means_and_why_parts_are_missing(tmp_path):
    csv = tmp_path / "harms.csv"
    csv.write_text(
        "study,dose_mg_day,endpoint,n,responders\nA,0,nausea,50,5\nA,100,nausea,50,15\n"
        "B,0,nausea,60,6\nB,100,nausea,60,14\n"
    )
    write_report(tmp_path / "r", data=csv, quiet=True, figures=False)
    text = _visible((tmp_path / "r" / "report.html").read_text("utf-8"))
    assert "What it means" in text
    assert "Posterior probabilities: no beneficial endpoint with comparisons was analysed." in text
    assert "Benefit-risk not computed" in text


def test_no_broad_except_hides_a_failure():
    """Issue 22 item 6: no handler of ``Exception``/``BaseException`` (or a bare ``except:``) in the package may
    swallow an error; the only ones allowed re-raise, except the CLI's, which prints the error."""
    import ast
    from pathlib import Path

    root = Path(fmtrials.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.ExceptHandler):
                continue
            names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)} if node.type else {"bare"}
            if not names & {"Exception", "BaseException", "bare"}:
                continue
            reraises = any(isinstance(n, ast.Raise) for n in ast.walk(node))
            # the report's build thread hands its exception to the main thread, which raises it (_proc.py)
            hands_over = any(
                isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Constant) and n.slice.value == "error"
                for n in ast.walk(node)
            ) and 'raise outcome["error"]' in path.read_text("utf-8")
            if not (reraises or hands_over) and path.relative_to(root).as_posix() != "cli.py":
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []

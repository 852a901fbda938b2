"""Issue 13 items 2 and 6: the report's options (title, treatment label, main model, PNG resolution) recorded in
the manifest; a report on user data names no drug and borrows nothing from the bundled trials (no audit, no
sources, no certainty judgements); traceability words (status legend, "contributes to", the rule for choosing
among alternative analyses, a consistency that holds by construction).

Oracles are the inputs themselves (the options given, the CSV written here) and the bundled data's own
provenance (``outcomes.csv`` status and derivation of Bateman 2013's n = 79).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import fmtrials
from fmtrials import DataError
from fmtrials.data import STATUS_MEANINGS, STATUSES
from fmtrials.report import write_report

USER_CSV = """study,dose_mg_day,endpoint,n,responders,direction
S1,0,fiq_responder,100,20,beneficial
S1,50,fiq_responder,100,35,beneficial
S2,0,fiq_responder,80,15,beneficial
S2,50,fiq_responder,82,25,beneficial
S3,0,fiq_responder,120,30,beneficial
S3,50,fiq_responder,118,41,beneficial
S1,0,rash,100,2,harmful
S1,50,rash,100,7,harmful
S2,0,rash,80,1,harmful
S2,50,rash,82,4,harmful
"""


class _Text(HTMLParser):
    """The visible text of an HTML page, and its ids and in-page links."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("style", "svg"):
            self._skip += 1
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "a" and (a.get("href") or "").startswith("#"):
            self.links.append(a["href"][1:])

    def handle_endtag(self, tag):
        if tag in ("style", "svg"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _page(path: Path) -> _Text:
    p = _Text()
    p.feed((path / "report.html").read_text("utf-8"))
    p.text = re.sub(r"\s+", " ", " ".join(p.parts))  # type: ignore[attr-defined]
    return p


@pytest.fixture(scope="module")
def user_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("in") / "my_trials.csv"
    path.write_text(USER_CSV, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def user_report(tmp_path_factory, user_csv) -> Path:
    out = tmp_path_factory.mktemp("rep") / "user_report"
    write_report(out, data=user_csv, quiet=True, figures=False)
    return out


@pytest.fixture(scope="module")
def bundled_tables(bundled_report_no_figures) -> Path:
    return bundled_report_no_figures  # write_report(out, quiet=True, figures=False), shared (conftest)


# ---------------------------------------------------------------------------------------------- user data


def test_a_report_on_user_data_names_no_drug_and_takes_its_title_from_the_file(user_report):
    html = (user_report / "report.html").read_text("utf-8")
    assert "milnacipran" not in html.lower()
    page = _page(user_report)
    assert "<title>fmtrials report: my_trials.csv</title>" in html
    assert "<h1><bdi>fmtrials report: my_trials.csv</bdi></h1>" in html
    assert "Treatment" in page.text  # the arm column is named by the default label


def test_a_report_on_user_data_borrows_nothing_from_the_bundled_trials(user_report):
    page = _page(user_report)
    # no audit was run: neither the section nor the Methods line
    assert "Reported vs recomputed" not in page.text and "GRIM" not in page.text
    # no source of the user's file is in the bundled sources table: no empty Sources section, no dangling links
    assert "sources" not in page.ids
    assert not [link for link in page.links if link not in page.ids]
    # no certainty judgement of the milnacipran trials is applied to the user's endpoints
    assert "CR15" not in page.text and "certainty_judgements.csv" not in page.text
    sof = (user_report / "tables" / "what_it_means_summary_of_findings.csv").read_text("utf-8")
    assert "risk of bias and indirectness not judged" in sof
    assert "no judgement recorded" in sof


def test_directions_come_from_the_data_and_are_stated(user_report):
    page = _page(user_report)
    assert "fiq_responder benefit (more events is better) (the data's direction column)" in page.text
    assert "rash harm (more events is worse) (the data's direction column)" in page.text


def test_options_are_used_and_recorded_in_the_manifest(tmp_path, user_csv):
    out = tmp_path / "r"
    write_report(
        out,
        data=user_csv,
        quiet=True,
        figures=False,
        treatment="Drug  X",
        title="My   review",
        dpi=150,
    )
    html = (out / "report.html").read_text("utf-8")
    assert "<title>My review</title>" in html and "<h1><bdi>My review</bdi></h1>" in html
    assert "<th><bdi>Drug X</bdi></th>" in html and "Every 2×2 comparison is <bdi>Drug X</bdi> (treatment)" in html
    options = json.loads((out / "manifest.json").read_text("utf-8"))["options"]
    assert options["treatment_label"] == "Drug X" and options["title"] == "My review"
    assert options["dpi"] == 150 and options["method"] is None and options["test"] is None
    assert options["figures"] is False


@pytest.mark.parametrize(
    ("kwargs", "column"),
    [
        ({"title": "  "}, "--title"),
        ({"treatment": ""}, "--treatment-label"),
        ({"treatment": "x" * 201}, "--treatment-label"),
        ({"test": "knapp"}, "--test"),  # metafor's "knha" is an alias of "hksj"
        ({"method": "bayes"}, "--method"),
        ({"dpi": 10}, "--dpi"),
        ({"dpi": 2.5}, "--dpi"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(tmp_path, kwargs, column):
    out = tmp_path / "never"
    with pytest.raises(DataError) as err:
        write_report(out, quiet=True, figures=False, **kwargs)
    assert err.value.problems[0].column == column
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_options_reach_the_report(tmp_path, user_csv):
    out = tmp_path / "cli"
    cmd = [sys.executable, "-m", "fmtrials", "report", "--data", str(user_csv), "--out", str(out), "--quiet"]
    r = subprocess.run(
        cmd + ["--no-figures", "--treatment-label", "Drug Y", "--title", "T", "--test", "HKSJ", "--dpi", "200"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    options = json.loads((out / "manifest.json").read_text("utf-8"))["options"]
    assert (options["treatment_label"], options["title"], options["test"], options["dpi"]) == (
        "Drug Y",
        "T",
        "hksj",
        200,
    )
    bad = subprocess.run(cmd + ["--test", "t"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--test" in bad.stderr and "Traceback" not in bad.stderr


# ---------------------------------------------------------------------------------------------- traceability


def test_status_words_are_explained_and_linked(bundled_tables):
    page = _page(bundled_tables)
    assert "status-words" in page.ids and "status-words" in page.links
    for word in STATUSES:
        assert f"{word} = {STATUS_MEANINGS[word]}" in page.text


def test_trials_show_what_they_contribute_to_not_pooled_yes(bundled_tables):
    html = (bundled_tables / "report.html").read_text("utf-8")
    assert "<th>Pooled</th>" not in html and "<th>Contributes to</th>" in html
    table = html[html.index('id="analysed"') :]
    table = table[: table.index("</table>")]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"<tr><td>(\w+)</td>(.*?)</tr>", table, re.S)}
    analysed = set(fmtrials.analyse().compared["study"])
    assert "Clauw2008" not in analysed  # percentages only: it gives no counts
    assert "no analysed comparison with counts" in rows["Clauw2008"]
    assert "composite_3" in rows["Arnold2010"] and "nausea" in rows["Mease2009"]
    assert "design not poolable" in rows["Clauw2013"]


def test_the_rule_for_choosing_among_alternative_analyses_is_stated(bundled_tables):
    from fmtrials.analysis import ANALYSIS_PREFERENCE

    page = _page(bundled_tables)
    assert "the first of: " + ", ".join(ANALYSIS_PREFERENCE) in page.text


def test_a_consistency_that_holds_by_construction_says_so(bundled_tables):
    page = _page(bundled_tables)
    assert "consistent (by construction)" in page.text
    assert "n = 79 was derived from these same printed percentages" in page.text
    audit = (bundled_tables / "tables" / "audit.csv").read_text("utf-8")
    assert "by_construction" in audit.splitlines()[0]


def test_the_zero_cell_rule_is_printed_only_where_a_cell_is_zero(user_report, bundled_tables):
    assert "zero cell" not in _page(user_report).text  # the user's tables have no zero cell
    text = _page(bundled_tables).text
    assert "zero cell for these Wald-type intervals only (here: Bateman2013 sae)" in text  # 2/85 vs 0/21


def test_a_named_main_model_reaches_every_table_and_the_methods_text(tmp_path):
    """``--method DL --test z``: the pooled table, the first section and the methods paragraph use it; the
    nausea row equals R metafor's rma(method="DL", test="z") on the split nausea table (tests/r fixture)."""
    import math

    import pandas as pd
    from conftest import DATA

    ref = json.loads((DATA / "metafor_reference.json").read_text("utf-8"))
    R = {c["id"]: c["result"] for c in ref["cases"]}["milnacipran_nausea_split/RR/DL/z"]
    out = tmp_path / "dl"
    write_report(out, quiet=True, figures=False, method="dl", test="Z")
    pooled = pd.read_csv(out / "tables" / "pooled.csv")
    row = pooled[(pooled.endpoint == "nausea") & (pooled.model == "main") & (pooled.group == "all doses")].iloc[0]
    assert (row.method, row.test, row.k) == ("DL", "z", 4)
    assert math.log(row.estimate) == pytest.approx(R["beta"], rel=1e-8)
    assert math.log(row.ci_low) == pytest.approx(R["ci_low"], rel=1e-8)
    assert math.log(row.ci_high) == pytest.approx(R["ci_high"], rel=1e-8)
    sae = pooled[(pooled.endpoint == "sae") & (pooled.model == "main")].iloc[0]
    assert sae.method == "MH"  # k = 2: the small-k rule stays for a named random-effects model
    models = pd.read_csv(out / "tables" / "models.csv").set_index("endpoint")
    assert models.loc["nausea", "method"] == "DL" and models.loc["sae", "rule"] == "small-k"
    methods = (out / "methods.txt").read_text("utf-8")
    assert "DerSimonian" in methods and "Bias and efficiency" not in methods  # no REML reference
    page = _page(out)
    assert re.search(r"Main model, as requested \( --method , --test \): Random-effects model \(DL τ²\)\.", page.text)
    assert "REML + HKSJ" not in page.text
    options = json.loads((out / "manifest.json").read_text("utf-8"))["options"]
    assert (options["method"], options["test"]) == ("DL", "z")
    assert "methods.txt" in json.loads((out / "manifest.json").read_text("utf-8"))["files"]


def test_the_methods_paragraph_is_in_the_report_with_its_references(bundled_tables):
    page = _page(bundled_tables)
    text = (bundled_tables / "methods.txt").read_text("utf-8")
    paragraph, refs = text.split("\n\nReferences\n")
    refs = refs.split("\n\nComparator network: ")[0]  # the network section's paragraph follows the references
    assert paragraph in page.text  # the same words on the page as in the file
    cited = sorted({int(n) for group in re.findall(r"\[([\d, ]+)\]", paragraph) for n in group.split(",")})
    lines = refs.strip().splitlines()
    assert cited == list(range(1, len(lines) + 1))  # every reference cited, numbered in order
    for line in lines:
        assert line.split(". ", 1)[1] in page.text
    assert "Newcombe RG" in refs and "Altman DG" in refs and "Hartung J, Knapp G" in refs
    assert "Cochrane Handbook" in refs


def test_dpi_and_treatment_label_reach_the_figure_files(tmp_path, user_csv):
    """PNG pixel size scales with ``dpi`` (the PNG header's width and height); the SVGs name the user's drug."""
    import struct

    sizes = {}
    for dpi in (100, 300):
        out = tmp_path / f"d{dpi}"
        write_report(out, data=user_csv, quiet=True, dpi=dpi, treatment="Drug Z", endpoints=["rash"])
        head = (out / "figures" / "rash_forest.png").read_bytes()[:24]
        sizes[dpi] = struct.unpack(">II", head[16:24])
        svg = (out / "figures" / "rash_forest.svg").read_text("utf-8")
        assert "Drug Z" in svg and "milnacipran" not in svg.lower()
    assert sizes[300][0] == pytest.approx(3 * sizes[100][0], abs=3)
    assert sizes[300][1] == pytest.approx(3 * sizes[100][1], abs=3)


def test_the_requested_model_is_named_as_the_analysis_resolved_it(tmp_path, user_csv):
    """``--method REML`` alone: the analysis adds HKSJ ad hoc for a random-effects method, and the report names
    that model, not a plain-z one."""
    out = tmp_path / "reml"
    write_report(out, data=user_csv, quiet=True, figures=False, method="reml")
    text = _page(out).text
    assert re.search(r"as requested \( --method , --test \): Random-effects model \(REML τ², HKSJ ad hoc\)\.", text)

"""``fmtrials report``: contents, safety, atomicity, reproducibility, and a real browser."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import fmtrials
from fmtrials import DataError
from fmtrials.report import write_report


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_report_files(bundled_report):
    out = bundled_report
    assert (out / "report.html").is_file() and (out / "results.json").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["generator"] == "fmtrials" and manifest["version"] == fmtrials.__version__
    assert set(manifest["dependencies"]) >= {"numpy", "pandas", "scipy", "statsmodels", "matplotlib"}
    sha = hashlib.sha256((fmtrials.data_dir() / "outcomes.csv").read_bytes()).hexdigest()
    assert manifest["inputs"]["data/outcomes.csv"] == sha
    text = (out / "manifest.json").read_text()
    assert not re.search(r"20\d\d-\d\d-\d\d", text), "manifest must hold no timestamps"
    for name in ("comparisons", "pooled", "sensitivity", "audit"):
        assert (out / "tables" / f"{name}.csv").is_file()
    assert list((out / "figures").glob("*.svg")) and list((out / "figures").glob("*.png"))
    assert set(manifest["files"]) == {
        str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != "manifest.json"
    }


def test_report_content(bundled_report):
    html = (bundled_report / "report.html").read_text("utf-8")
    for needle in (
        "What was analysed",
        "Each trial against placebo",
        "Pooled results by dose",
        "Sensitivity",
        "Reported vs recomputed",
        "Methods",
        "Known data gaps",
        "Mease2009",
        "M09-T5",
        "Phase III",
        "Altman",
    ):
        assert needle in html, needle
    assert "<script" not in html.lower(), "the report needs no JavaScript"
    assert "http" not in re.sub(r'href="[^"]+"|>https?://[^<]+<', "", html).replace("http://www.w3.org", ""), (
        "no resource is loaded from the network"
    )
    # nausea, Arnold 2010: 189/516 vs 106/509 printed as counts and rates
    assert "189/516 (36.6%)" in html and "106/509 (20.8%)" in html
    # the report opens with efficacy: the main-results section comes before any other table
    assert html.index('id="main-results"') < html.index("<table")
    assert "assumed denominators" in html and "102/401 vs 62/401" in html
    n_fig = html.count("<figure")
    assert n_fig == len(list((bundled_report / "figures").glob("*.svg")))


def test_two_runs_byte_identical(tmp_path, bundled_report):
    again = tmp_path / "again"
    write_report(again, quiet=True)
    assert _digest(again) == _digest(bundled_report)


def test_user_data_is_escaped(tmp_path):
    csv = tmp_path / "user.csv"
    csv.write_text(
        "study,dose_mg_day,endpoint,n,responders\n"
        "<script>alert(1)</script>,0,pain_30,100,20\n<script>alert(1)</script>,100,pain_30,100,35\n"
        "B&B,0,pain_30,80,16\nB&B,100,pain_30,82,30\n"
    )
    out = tmp_path / "r"
    write_report(out, data=csv, quiet=True)
    html = (out / "report.html").read_text("utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "B&amp;B" in html


def test_many_trials_skip_the_responder_plot_with_a_note(tmp_path):
    csv = tmp_path / "many.csv"
    lines = ["study,dose_mg_day,endpoint,n,responders"]
    for i in range(61):
        lines += [f"S{i:03d},0,pain_30,50,10", f"S{i:03d},100,pain_30,50,{15 + i % 5}"]
    csv.write_text("\n".join(lines) + "\n")
    out = tmp_path / "r"
    write_report(out, data=csv, quiet=True)
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert "pain_30_forest.svg" in figures and "pain_30_labbe.svg" in figures
    assert not any("responders" in f for f in figures)
    assert "No responder plot: 61 trials are more than its 60 rows" in (out / "report.html").read_text("utf-8")


def test_refuses_foreign_directory_and_leaves_it_intact(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(DataError, match="not empty"):
        write_report(out, quiet=True, figures=False)
    assert (out / "thesis.tex").read_text() == "precious"
    write_report(out, quiet=True, figures=False, force=True)
    assert (out / "report.html").exists() and not (out / "thesis.tex").exists()


def test_failed_run_leaves_no_half_report(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("study,dose_mg_day,endpoint,n,responders\nA,0,e,10,12\nA,100,e,10,5\n")
    out = tmp_path / "out"
    with pytest.raises(DataError):
        write_report(out, data=bad, quiet=True)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.csv"]


def test_earlier_report_is_replaced_atomically(tmp_path, monkeypatch):
    out = tmp_path / "rep"
    write_report(out, quiet=True, figures=False)
    before = _digest(out)

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("fmtrials.report.page.render_html", boom)
    with pytest.raises(RuntimeError):
        write_report(out, quiet=True, figures=False)
    assert _digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def test_cli_bad_input_exit_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("study,dose_mg_day,endpoint,n,responders\nA,0,e,10,x\nA,100,e,10,5\n")
    r = subprocess.run(
        [sys.executable, "-m", "fmtrials", "report", "--data", str(bad), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2
    assert "row 1 (line 2), column 'responders': not a number: 'x'" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_progress_and_quiet(tmp_path):
    csv = tmp_path / "u.csv"
    csv.write_text("study,dose_mg_day,endpoint,n,responders,direction\nA,0,e,50,10,harmful\nA,100,e,50,20,harmful\n")
    cmd = [sys.executable, "-m", "fmtrials", "report", "--data", str(csv), "--out", str(tmp_path / "o")]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert [ln.split(":")[0] for ln in r.stderr.splitlines()] == ["fmtrials report"] * len(r.stderr.splitlines())
    assert len(r.stderr.splitlines()) >= 4
    r = subprocess.run(cmd + ["--quiet"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stderr == ""


def test_bundled_figure_names_are_the_endpoint_names(bundled_report):
    """Safe endpoint names keep their plain file names (slugs only alter unsafe ones)."""
    names = {p.name for p in (bundled_report / "figures").iterdir()}
    assert {"nausea_forest.svg", "nausea_forest.png", "pgic_responders.svg"} <= names
    html = (bundled_report / "report.html").read_text("utf-8")
    assert "<code>figures/nausea_forest.svg</code>" in html


def _main_section(html: str) -> str:
    start = html.index('<section id="main-results">')
    return html[start : html.index("</section>", start)]


def test_main_summary_numbers_are_computed_not_typed(bundled_report):
    """The summary's numbers, recomputed here by hand from the counts the printed rates admit."""
    import html as _html

    text = _html.unescape(re.sub(r"<[^>]+>", "", _main_section((bundled_report / "report.html").read_text("utf-8"))))
    # phase III joint attributions giving every printed %: 158/623 vs 97/624 (smallest RD) ... 108/401 vs 62/401
    lo, hi = 158 / 623 - 97 / 624, 108 / 401 - 62 / 401
    assert f"{100 * lo:.1f} to {100 * hi:.1f} percentage points above placebo" in text
    assert f"NNT {1 / hi:.1f} to {1 / lo:.1f}" in text
    assert "None of the 8 joint attributions is possible" in text and "but not the printed p-values" in text
    assert "contradicted by the trial's own composite_3 103/516 vs 56/509 (20.0% vs 11.0%; A10-reg)" in text
    assert "printed difference (32.0 points)" in text
    # Arnold 2010 registry composite and the benefit-risk line: NNT 1/RD by hand
    assert "103/516 vs 56/509" in text and f"NNTB {1 / (103 / 516 - 56 / 509):.1f}" in text
    assert f"NNTH {1 / (189 / 516 - 106 / 509):.1f} (4.7 to 9.7) for nausea" in text
    assert "withdrawal for adverse events" in text
    # the glossary definition, not a typed one
    assert "SF-36 PCS ≥ 6 points" in text
    # p-values go through format_p: never a p of 0.0000
    assert "0.0000" not in text and "<0.0001 (printed p not reproduced)" in text


def test_main_template_holds_no_typed_numbers():
    tpl = (Path(fmtrials.__file__).parent / "templates" / "report.html.j2").read_text("utf-8")
    block = tpl[tpl.index('<section id="main-results">') : tpl.index("</section>")]
    prose = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", block, flags=re.DOTALL)
    prose = re.sub(r"<[^>]+>", "", prose)
    assert not re.findall(r"\d", prose.replace("composite_3", "")), "numbers must come from the data"


def test_main_results_tables_efficacy_safety_and_holm_families(bundled_report):
    t = pd.read_csv(bundled_report / "tables" / "main_trials.csv", keep_default_na=False)
    assert t.endpoint.iloc[0] == "composite_3"
    assert {"pain_30", "pain_50", "pgic", "nausea", "ae_withdrawal"} <= set(t.endpoint)
    # Arnold 2010 withdrawals: two analyses, one counted
    w = t[(t.endpoint == "ae_withdrawal") & (t.study == "Arnold2010")]
    assert sorted(w.holm_counted.astype(str)) == ["False", "True"]
    assert set(t.loc[t.holm_counted.astype(str) == "True", "holm_family"]) == {
        "efficacy",
        "safety: nausea",
        "safety: ae_withdrawal",
    }
    pooled = pd.read_csv(bundled_report / "tables" / "main_pooled.csv", keep_default_na=False)
    assert {"pgic", "nausea"} <= set(pooled["endpoint"])
    for col in ("rd", "rd_low", "rd_high", "nnt", "rr", "rr_low", "rr_high", "p_value_rr"):
        assert pd.api.types.is_numeric_dtype(pooled[col]), col
    assert (pooled["rd_low"] <= pooled["rd_high"]).all() and (pooled["rr_low"] <= pooled["rr_high"]).all()
    nausea = pooled[pooled["endpoint"] == "nausea"].iloc[0]
    assert nausea["nnt_type"] == "NNTH" and nausea["nnt"] == pytest.approx(1 / nausea["rd"], rel=1e-9)
    html = (bundled_report / "report.html").read_text("utf-8")
    assert "Holm family" in html and "not counted: alternative analysis of Arnold2010" in html


def test_every_cited_source_has_an_anchored_entry_and_citations_link_to_it(bundled_report):
    import re

    html = (bundled_report / "report.html").read_text("utf-8")
    anchors = set(re.findall(r'<tr id="source-([^"]+)">', html))
    links = set(re.findall(r'href="#source-([^"]+)"', html))
    assert links and links <= anchors
    for sid in ("LAY", "M09-T1", "BAT", "C13", "NMA23-T110", "NMA23-T39"):  # cited, missing before
        known = set(fmtrials.load_sources()["source_id"])
        if sid in known:
            assert sid in anchors, sid
    cited = set()
    for name in ("outcomes", "arms", "reported", "certainty_judgements", "endpoints", "trials"):
        table = getattr(fmtrials, f"load_{name}", None)
        frame = table() if table else None
        if frame is not None and "source" in frame.columns:
            cited |= set(frame["source"].dropna().astype(str))
    assert cited & set(fmtrials.load_sources()["source_id"]) <= anchors

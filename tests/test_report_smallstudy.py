"""Issue 22, items 4 and 10: small-study evidence shown where it is informative, and no silent contradictions.

User-data fixtures (metadat, written by tests/r/smallstudy_reference.R): ``dat.li2007`` (intravenous magnesium
after myocardial infarction, 22 trials, deaths) and ``dat.lee2004`` (P6 stimulation, 16 trials, postoperative
nausea), in the CSV format of ``fmtrials report --data``. Every number is checked against R metafor 3.8-1
(``regtest``, ``ranktest``, ``trimfill``, ``rma``, ``rma.mh``, ``weights``) in tests/data/smallstudy_reference.json.
"""

from __future__ import annotations

import json
import re
import warnings
from html import unescape
from pathlib import Path

import numpy as np
import pytest

import fmtrials
from fmtrials.analysis import policy as P
from fmtrials.meta import diagnostics, pool
from fmtrials.plots import forest as FO
from fmtrials.report import figures as F

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "smallstudy_reference.json").read_text("utf-8"))
CASES = {(c["dataset"], c["measure"]): c for c in REF["cases"]}


def _analysis(dataset: str, measure: str, **kw):
    case = CASES[(dataset, measure)]
    outcomes = fmtrials.read_outcomes(DATA / case["file"])
    return fmtrials.analyse_endpoint(outcomes, case["endpoint"], measure=measure, **kw), case


def _metadat_studies(dataset: str) -> tuple[list[str], list[str]]:
    """(study, year) in metadat's order: the fixture lists each study's placebo row first, in that order."""
    import csv

    rows = list(csv.DictReader((DATA / CASES[(dataset, "OR")]["file"]).open(encoding="utf-8")))
    names = [r["study"] for r in rows if r["arm"] == "placebo"]
    return [n.rsplit(" ", 1)[0] for n in names], [n.rsplit(" ", 1)[1] for n in names]


class _Shown:
    """What the report's figure and caption helpers read: the analysis, its notes and diagnostics."""

    def __init__(self, analysis, diagnostics=None):
        self.analysis, self.figure_notes, self.diagnostics = analysis, [], diagnostics

    def __getattr__(self, name):
        return getattr(self.analysis, name)


# ------------------------------------------------------------------------------------ item 4: the numbers


@pytest.mark.parametrize("key", sorted(CASES))
def test_report_diagnostics_match_metafor_on_user_data(key):
    a, case = _analysis(*key)
    assert a.main.k == case["k"]
    np.testing.assert_allclose(a.main.estimate, case["hksj"]["estimate"], rtol=1e-7)
    np.testing.assert_allclose([a.main.ci_low, a.main.ci_high], [case["hksj"]["ci_low"], case["hksj"]["ci_high"]], 1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = pool(a.pooled_table, measure=a.measure, method=a.main.method, test=a.main.test)
        d = diagnostics(res, a.pooled_table)
    t = d.small_study.set_index("method")
    assert list(t.index) == ["egger", "egger_rma", "begg"]
    for method, stat in (("egger", "t"), ("egger_rma", "z"), ("begg", "tau")):
        assert t.at[method, "statistic_name"] == stat
        np.testing.assert_allclose(t.at[method, "statistic"], case[method]["statistic"], rtol=1e-6)
        np.testing.assert_allclose(t.at[method, "p_value"], case[method]["p_value"], rtol=1e-5)
    assert t.at["egger", "df"] == case["egger"]["df"]
    tf, ref = d.trim_and_fill, case["trimfill"]
    assert (tf.k0, tf.side, tf.estimator) == (ref["k0"], ref["side"], "L0")
    expected = [ref["estimate"], ref["ci_low"], ref["ci_high"]]
    np.testing.assert_allclose([tf.estimate, tf.ci_low, tf.ci_high], expected, rtol=1e-6)
    np.testing.assert_allclose(tf.p_value, ref["p_value"], rtol=1e-5)
    filled = tf.filled
    np.testing.assert_allclose(np.sort(filled["yi"]), np.sort(np.atleast_1d(ref["filled_yi"])), atol=1e-9)
    np.testing.assert_allclose(np.sort(filled["vi"]), np.sort(np.atleast_1d(ref["filled_vi"])), atol=1e-9)


@pytest.fixture(scope="module")
def li_report(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("li") / "report"
    fmtrials.write_report(out, data=DATA / "li2007_outcomes.csv", measure="OR", quiet=True)
    return (out / "report.html").read_text("utf-8")


def _section(html: str, start: str, end: str) -> str:
    i = html.index(start)
    return unescape(html[i : html.index(end, i + len(start))])


def test_small_study_section_is_visible_from_k10_with_named_tests_trimfill_and_funnel(li_report):
    case = CASES[("li2007", "OR")]
    assert '<a href="#small-study">Small-study effects</a>' in li_report
    sec = _section(li_report, '<h2 id="small-study">', "<h2 id=")
    assert "<code>death</code> (k = 22)" in sec
    # the tests, each with its variant named, statistics and p-values through format_p
    assert "Egger's regression test (Egger et al. 1997)" in sec and "classical variant" in sec
    assert 'regtest(fit, model="lm")' in sec
    assert "metafor's default" in sec and "ranktest(fit)" in sec
    eg = case["egger"]
    assert f't = {eg["statistic"]:.2f} (df {eg["df"]})</td><td class="num"><0.0001</td>' in sec
    assert f'τ = {case["begg"]["statistic"]:.3f}</td><td class="num">{case["begg"]["p_value"]:.3f}</td>' in sec
    # trim-and-fill: estimator, side, number filled, adjusted estimate with its CI
    tf = case["trimfill"]
    assert "L0 estimator" in sec
    assert f"{tf['k0']} comparisons filled on the {tf['side']} of the funnel" in sec
    assert f"adjusted OR\n{tf['estimate']:.2f} [{tf['ci_low']:.2f}, {tf['ci_high']:.2f}]" in sec
    # the contour-enhanced funnel with the filled studies (open markers), in this section
    assert sec.count("<svg") == 1 and "contour-enhanced funnel plot" in sec
    assert "fewer than" not in sec
    # the figure itself: the filled studies drawn, the shaded significance regions
    svg = sec[sec.index("<svg") : sec.index("</svg>")]
    assert 'id="death_funnel-filled-point' in svg or "filled-point" in svg
    assert "contour-region" in svg
    methods = _section(li_report, '<h2 id="methods">', "</ul>")
    assert "Tested here: <code>death</code> (k = 22)." in methods
    assert "fewer than 10 studies" not in li_report


def test_funnel_job_draws_filled_studies_and_the_main_model_line():
    a, case = _analysis("li2007", "OR")
    from fmtrials.report.extras import diagnostics_part

    shown = _Shown(a)
    shown.diagnostics = diagnostics_part(shown)
    jobs = {j.kind: j.payload for j in F.figure_jobs(a.contrasts, shown, treatment="magnesium")}
    fig = F.draw_job(F.FigureJob("death", "funnel", jobs["funnel"]))
    ax = fig.axes[0]
    gids = [c.get_gid() for c in ax.get_children()]
    filled = [c for c in ax.get_children() if c.get_gid() == "filled-point"][0]
    assert len(filled.get_xdata()) == case["trimfill"]["k0"] and gids.count("contour-region") == 4
    pooled = [c for c in ax.get_children() if c.get_gid() == "pooled-line"][0]
    np.testing.assert_allclose(pooled.get_xdata()[0], case["reml"]["estimate"], rtol=1e-7)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "Pooled OR 0.58\nRandom-effects model\n(REML τ²)"
    assert "Filled (trim-and-fill, k0 = 7)" in legend


def test_below_k10_the_caption_gives_the_actual_k():
    nausea = fmtrials.analyse_endpoint(None, "nausea")
    text = F.figure_caption(_Shown(nausea), "funnel")
    assert "k = 4: fewer than the 10 comparisons needed to judge asymmetry" in text
    assert "Random-effects model (REML τ²)" in text  # the forest's model, named
    a, _ = _analysis("lee2004", "RR")
    from fmtrials.report.extras import diagnostics_part

    shown = _Shown(a)
    shown.diagnostics = diagnostics_part(shown)
    assert "fewer than" not in F.figure_caption(shown, "funnel")
    assert "the 1 comparison trim-and-fill (L0) imputes" in F.figure_caption(shown, "funnel")


def test_no_p_value_prints_as_0_000(li_report):
    text = re.sub(r"<svg.*?</svg>", "", li_report, flags=re.S)
    # a p cell, "p = 0.000" or "p 0.000" anywhere (Cook's D or tau² may print 0.000; a p-value never)
    assert not re.search(r"\bp\s*=?\s*0\.0+\b(?!\d*[1-9])", text)
    sof = fmtrials.what_it_means(
        fmtrials.analyse(fmtrials.read_outcomes(DATA / "li2007_outcomes.csv"), measure="OR"),
        fmtrials.read_outcomes(DATA / "li2007_outcomes.csv"),
    ).tables()["summary_of_findings"]
    explanation = sof["explanation"].iloc[0]
    assert "publication bias: Egger's regression test (classical) p < 0.0001" in explanation
    assert "0.000 " not in explanation.split("publication bias")[1]


# ------------------------------------------------------------------------------ item 10: contradictions


def test_check_and_main_model_disagreement_is_said_beside_the_table_and_under_the_forest(li_report):
    a, case = _analysis("li2007", "OR")
    factor = case["mh"]["estimate"] / case["reml"]["estimate"]
    assert factor > P.DISAGREEMENT_RATIO
    note = a.disagreement
    assert note is not None
    assert f"OR {case['hksj']['estimate']:.2f} [{case['hksj']['ci_low']:.2f}, {case['hksj']['ci_high']:.2f}]" in note
    assert f"OR {case['mh']['estimate']:.2f} [{case['mh']['ci_low']:.2f}, {case['mh']['ci_high']:.2f}]" in note
    assert f"a factor of {factor:.2f}" in note and "intervals do not overlap" in note
    # in the pooled table, right under the check's row
    pooled = _section(li_report, '<h2 id="pooled">', "</table>\n\n")
    rows = pooled.split("<tr")
    check = next(i for i, r in enumerate(rows) if "check: Common-effect model" in r)
    assert 'class="disagree"' in rows[check + 1] and "a factor of 1.70" in rows[check + 1]
    # under the forest plot
    jobs = {j.kind: j.payload for j in F.figure_jobs(a.contrasts, _Shown(a), treatment="magnesium")}
    assert jobs["forest"]["notes"] == [note]
    footer = "\n".join(FO.forest_footer(a.main, jobs["forest"]["notes"]))
    assert f"Note: {note}" in footer


def test_no_disagreement_note_where_the_models_agree():
    a, case = _analysis("lee2004", "OR")
    assert case["reml"]["estimate"] / case["mh"]["estimate"] > 1 / P.DISAGREEMENT_RATIO
    assert a.disagreement is None
    assert fmtrials.analyse_endpoint(None, "nausea").disagreement is None
    assert P.models_disagree(a.main, None) is None
    # the same model twice (MH main at k = 2): never a note
    ae = fmtrials.analyse_endpoint(None, "ae_any")
    assert ae.main.method == ae.common.method == "MH" and ae.disagreement is None


@pytest.mark.parametrize("measure", ["OR", "RR"])
def test_mh_forest_footnotes_a_zero_weight_study_that_moves_the_estimate(measure):
    a, case = _analysis("li2007", measure, method="MH")
    assert a.main.method == "MH"
    weights = a.main.studies.set_index("label")["weight"]
    r_order = [f"{s} {y}" for s, y in zip(*_metadat_studies("li2007"))]
    np.testing.assert_allclose(weights[r_order].to_numpy(), case["mh"]["weights"], atol=1e-9)
    zero = {z["study"]: z for z in case["mh"]["zero_weight"]}
    assert zero["Urek 1996"]["weight"] == 0 == weights["Urek 1996"]
    footer = "\n".join(FO.forest_footer(a.main))
    without = zero["Urek 1996"]["estimate_without"]
    assert f"Urek 1996 has weight 0% but its {'a·d/N' if measure == 'OR' else 'a·n_c/N'}" in footer
    assert f"the pooled {measure} would be {without:.4f} instead of {case['mh']['estimate']:.4f}" in footer
    assert "Abraham 1987, Santoro 2000 show 0.0% for weights below 0.05%" in footer


def test_no_zero_weight_footnote_outside_mh_or_without_such_a_study():
    a, _ = _analysis("li2007", "OR")
    assert not any("Mantel–Haenszel weight" in line for line in FO.forest_footer(a.main))  # REML
    assert any("Mantel–Haenszel weight" in line for line in FO.forest_footer(a.common))  # the MH check has Urek
    b, _ = _analysis("lee2004", "OR", method="MH")
    assert not any("Mantel–Haenszel weight" in line for line in FO.forest_footer(b.main))


def test_labbe_and_funnel_draw_the_forest_model():
    a = fmtrials.analyse_endpoint(None, "nausea")
    jobs = {j.kind: j.payload for j in F.figure_jobs(fmtrials.load_outcomes(), _Shown(a), treatment="milnacipran")}
    assert jobs["labbe"]["result"] is a.main and jobs["funnel"]["result"] is a.main
    assert jobs["forest"]["result"] is a.main
    fig = F.draw_job(F.FigureJob("nausea", "labbe", jobs["labbe"]))
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert f"Pooled RR = {a.main.estimate:.2f}\nRandom-effects model\n(REML τ²)" in legend
    assert "pooled line: the main model, Random-effects model (REML τ²)" in F.figure_caption(_Shown(a), "labbe")


def test_methods_paragraph_states_the_small_study_methods_only_where_k_reaches_10():
    outcomes = fmtrials.read_outcomes(DATA / "li2007_outcomes.csv")
    m = fmtrials.methods_paragraph(fmtrials.analyse(outcomes, measure="OR"))
    assert "Small-study effects were assessed for death (at least 10 comparisons) with Egger's regression" in m.text
    refs = "\n".join(m.references)
    for ref in ("BMJ. 1997;315:629–634", "Biometrics. 1994;50:1088–1101", "Biometrics. 2000;56:455–463"):
        assert ref in refs
    assert "Small-study" not in fmtrials.methods_paragraph(fmtrials.analyse()).text  # bundled: every k < 10


def test_methods_paragraph_names_the_endpoints_below_10_with_their_k():
    import pandas as pd

    lee = pd.read_csv(DATA / "lee2004_outcomes.csv")
    lee = lee[lee["study"].isin(lee["study"].drop_duplicates().iloc[:5])]
    both = pd.concat([pd.read_csv(DATA / "li2007_outcomes.csv"), lee], ignore_index=True)
    m = fmtrials.methods_paragraph(fmtrials.analyse(fmtrials.read_outcomes(both), measure="OR"))
    assert "assessed for death (at least 10 comparisons)" in m.text
    assert "not for endpoints with fewer comparisons (postop_nausea k = 5)." in m.text

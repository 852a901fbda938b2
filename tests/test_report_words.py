"""Words against numbers (issue 29, class 4) without a report build: the analysis is changed (level, RD interval,
prediction-interval rule, zero cells, the level a figure is drawn at) and the words that describe it must follow,
checked against numbers recomputed here (scipy, hand formulas) and against the sources the words cite.

The built reports (bundled data and user files with zero cells, k >= 10, a requested model, another RD interval)
are checked statement by statement in ``tests/test_report_cells.py::test_the_reports_words_follow_its_numbers``.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from _words import RD_CITED
from scipy import special, stats

import fmtrials
from fmtrials.analysis import methods_paragraph
from fmtrials.analysis._wording import lost_df, stated_words

#: each RD interval: the words of the methods paragraph and the first author and year of the reference it must cite
#: (the papers themselves: Stat Med 1998;17:873; Stat Med 1985;4:213; Biometrics 1984;40:1175; Am Stat 2000;54:280;
#: Biometrics 1999;55:1202)
RD_SOURCES = {
    "newcombe": ("Newcombe's hybrid score interval", "Newcombe RG", "1998"),
    "mn": ("the Miettinen–Nurminen score interval", "Miettinen O", "1985"),
    "mee": ("Mee's score interval", "Mee RW", "1984"),
    "agresti_caffo": ("the Agresti–Caffo interval", "Agresti A", "2000"),
    "wald": ("the Wald interval", None, None),
    "exact": ("the Chan–Zhang exact unconditional interval", "Chan ISF", "1999"),
}
TABLE = pd.DataFrame(
    {
        "study": ["A", "B", "C", "D", "E"],
        "events_t": [73, 189, 18, 40, 0],
        "n_t": [224, 516, 85, 150, 30],
        "events_c": [24, 106, 6, 30, 3],
        "n_c": [112, 509, 21, 150, 30],
    }
)


def _katz_level(row: pd.Series) -> float:
    """The two-sided level a Katz RR interval was computed at, recovered from its numbers."""
    a, n1, c, n2 = (float(row[k]) for k in ("events_t", "n_t", "events_c", "n_c"))
    add = float(row["rr_correction"])
    a, c, n1, n2 = a + add, c + add, n1 + 2 * add, n2 + 2 * add
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return 2 * stats.norm.cdf(math.log(row["rr_high"] / row["rr"]) / se) - 1


@pytest.fixture(scope="module")
def nausea90():
    return fmtrials.analyse(endpoints=["nausea"], alpha=0.10)


def test_a_changed_level_is_the_level_stated(nausea90):
    """alpha = 0.10: the numbers are 90% intervals (recovered from the Katz intervals), and the paragraph and the
    report's words say 90%, not a stale 95%."""
    c = nausea90.compared
    assert [round(_katz_level(r), 9) for _, r in c.iterrows()] == [0.9] * len(c)
    assert "two-sided at the 90% level" in methods_paragraph(nausea90).text
    words = stated_words(
        c, [a.main for a in nausea90], ci="newcombe", alpha=0.05, rd_default="newcombe"
    )  # the table's level wins
    assert words["level"] == "90%"


def test_a_changed_level_reaches_the_captions_and_the_figures(nausea90):
    """The captions state the level each figure was drawn at, and the figure is drawn at the analysis' level:
    the responder plot's Wilson intervals and the funnel's pseudo-confidence limits at 90%."""
    from fmtrials.report import figures as F
    from fmtrials.report.build import _Shown

    ea = _Shown(next(iter(nausea90)))
    jobs = {j.kind: j for j in F.figure_jobs(fmtrials.load_outcomes(), ea, treatment="milnacipran")}
    assert "Wilson 90% CIs" in F.figure_caption(ea, "responders")
    assert "pseudo 90% confidence limits" in F.figure_caption(ea, "funnel")
    texts = {}
    for kind in ("responders", "funnel"):
        fig = F.draw_job(jobs[kind])
        texts[kind] = " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))
    assert "Wilson 90% CI" in texts["responders"] and "95%" not in texts["responders"]
    assert "Pseudo 90% limits" in texts["funnel"] and "95%" not in texts["funnel"]
    # the responder plot's printed interval of the first arm is the 90% Wilson interval of its counts
    row = nausea90.compared.iloc[0]
    lo, hi = (100 * v for v in _wilson(int(row["events_t"]), int(row["n_t"]), 0.10))
    assert f"[{lo:.1f}, {hi:.1f}]" in texts["responders"] or f"[{lo:.0f}, {hi:.0f}]" in texts["responders"]


def _wilson(x: int, n: int, alpha: float) -> tuple[float, float]:
    z = stats.norm.ppf(1 - alpha / 2)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("ci", list(RD_SOURCES))
def test_the_rd_interval_named_is_the_one_computed_with_its_own_citation(ci):
    """Each RD interval: the paragraph names it and cites its own paper (author and year from the paper), never
    another's; the report's Methods words give the same author and year."""
    r = fmtrials.analyse(endpoints=["nausea"], ci=ci)
    assert set(r.compared["rd_method"]) == {ci}
    m = methods_paragraph(r)
    words, author, year = RD_SOURCES[ci]
    assert f"the risk difference with {words}" in m.text
    if author:
        assert any(ref.split(". ", 1)[1].startswith(author) and f"{year};" in ref for ref in m.references)
    others = {a for k, (_, a, _) in RD_SOURCES.items() if k != ci and a}
    assert not any(ref.split(". ", 1)[1].startswith(tuple(others)) for ref in m.references)
    sentence = stated_words(r.compared, [a.main for a in r], ci="newcombe", alpha=0.05, rd_default="newcombe")[
        "rd_sentence"
    ]
    assert sentence.startswith(RD_CITED[ci])
    if ci == "newcombe":
        assert sentence == "Newcombe 1998 hybrid score by default; Miettinen–Nurminen 1985 available"
    else:
        assert sentence.endswith("as requested; Newcombe 1998 hybrid score by default")


def _pi_df(res) -> int:
    """The df whose t quantile reproduces ``res``'s prediction interval (classic SE, tau²), found from the
    numbers alone."""
    st = res.studies[res.studies["included"]]
    se_c = float(np.sum(1 / (st["vi"] + res.heterogeneity.tau2)) ** -0.5)
    half = (math.log(res.prediction.pi_high) - math.log(res.prediction.pi_low)) / 2
    se = se_c if res.prediction.method == "hts" else res.se
    t = half / math.sqrt(se**2 + res.heterogeneity.tau2)
    return next(d for d in range(1, res.k + 1) if abs(special.stdtrit(d, 0.975) - t) < 1e-9)


@pytest.mark.parametrize(("pi_method", "test"), [("hts", "hksj"), ("metafor", "hksj"), ("hts", "z")])
def test_the_prediction_interval_label_is_the_df_it_was_computed_on(pi_method, test):
    """Higgins–Thompson–Spiegelhalter: t on k − 2 (their 2009 paper, eq. 12); metafor predict() after HKSJ: t on
    k − 1. The recorded label, which the words are read from, names the df that reproduces the interval."""
    res = fmtrials.pool(TABLE, measure="RR", method="REML", test=test, pi_method=pi_method)
    df = _pi_df(res)
    assert df == res.k - (2 if pi_method == "hts" else 1)
    assert res.prediction.dist == f"t(k-{res.k - df})"
    assert lost_df([res], "pi") == [res.k - df]
    if test == "hksj":
        assert lost_df([res], "test") == [1] and res.df == res.k - 1


@pytest.mark.parametrize("lost", [2, 1])
def test_the_words_follow_a_changed_prediction_df(monkeypatch, lost):
    """Change the analysis (the prediction interval computed on k − 1 df instead of Higgins, Thompson &
    Spiegelhalter's k − 2): the numbers, the methods paragraph and the report's words all say the same df; a
    text that kept saying k − 2 (or said k − 1 for an interval on k − 2, issue 29's example) fails here."""
    from fmtrials.meta import fitting

    monkeypatch.setattr(fitting, "HTS_DF_LOST", lost)
    r = fmtrials.analyse(endpoints=["nausea", "headache"])
    mains = [a.main for a in r]
    assert all(_pi_df(m) == m.k - lost for m in mains)
    assert f"t distribution on k − {lost} degrees of freedom" in methods_paragraph(r).text
    words = stated_words(r.compared, mains, ci="newcombe", alpha=0.05, rd_default="newcombe")
    assert words["pi_df"] == f"k−{lost}" and words["pi"].endswith(f"(t, k−{lost} df; none for k<{lost + 1})")


def test_the_hksj_df_stated_is_the_df_of_the_test():
    """The HKSJ sentence states the df of the t test the pooled results record, and that df reproduces the
    printed p from the statistic."""
    r = fmtrials.analyse(endpoints=["nausea"], method="DL", test="hksj")
    main = next(iter(r)).main
    text = methods_paragraph(r).text
    lost = int(re.search(r"t test on k − (\d) degrees of freedom", text).group(1))
    assert main.df == main.k - lost == main.k - 1
    assert main.p_value == pytest.approx(2 * stats.t.sf(abs(main.statistic), main.k - lost), rel=1e-12)


def test_the_zero_cell_correction_stated_is_the_one_applied(tmp_path):
    """A user table with a zero cell: the correction the paragraph and the report state reproduces the corrected
    comparison's risk ratio (hand arithmetic) and the pooled per-study effect."""
    rows = []
    for s, (et, nt, ec, nc) in zip("ABC", [(0, 30, 4, 30), (10, 40, 5, 40), (12, 50, 6, 50)]):
        rows += [
            {"study": s, "arm": "drug", "dose_mg_day": 100, "endpoint": "x", "n": nt, "responders": et},
            {"study": s, "arm": "placebo", "dose_mg_day": 0, "endpoint": "x", "n": nc, "responders": ec},
        ]
    out = pd.DataFrame(rows).assign(direction="harmful")
    out.to_csv(tmp_path / "o.csv", index=False)
    r = fmtrials.analyse(fmtrials.read_outcomes(tmp_path / "o.csv"), measure="OR", method="IV")
    text = methods_paragraph(r).text
    add = float(re.search(r"had (\d+(?:\.\d+)?) added to every cell", text).group(1))
    words = stated_words(r.compared, [a.main for a in r], ci="newcombe", alpha=0.05, rd_default="newcombe")
    assert float(words["add"]) == float(words["pool_add"]) == add
    row = r.compared.loc[r.compared["study"] == "A"].iloc[0]
    assert row["rr"] == pytest.approx(((0 + add) / (30 + 2 * add)) / ((4 + add) / (30 + 2 * add)), rel=1e-12)
    st = next(iter(r)).main.studies.set_index("study").loc["A"]
    assert st["yi"] == pytest.approx(math.log((add * (26 + add)) / ((30 + add) * (4 + add))), rel=1e-12)


def test_the_contour_labels_and_caption_say_the_levels_the_bands_are_drawn_at():
    """Contour-enhanced funnel (Peters et al. 2008; metafor ``funnel(level=c(90, 95, 99), refline=0)``): each
    shaded band's legend label names the p-value at its outer edge, and the report's caption names the same
    levels."""
    from matplotlib.colors import to_hex

    from fmtrials import plots
    from fmtrials.plots.funnel import CONTOUR_LEVELS
    from fmtrials.report import figures as F

    res = fmtrials.pool(TABLE, measure="RD", method="REML")
    ax = plots.plot_funnel(res, contours=True).axes[0]
    legend = ax.get_legend()
    by_colour = {
        to_hex(h.get_facecolor()): t.get_text()
        for h, t in zip(legend.legend_handles, legend.get_texts())
        if hasattr(h, "get_facecolor") and "p" in t.get_text()
    }
    edges = {}
    for poly in (c for c in ax.collections if c.get_gid() == "contour-region"):
        v = poly.get_paths()[0].vertices
        se_max = v[:, 1].max()
        edges[by_colour[to_hex(poly.get_facecolor()[0])]] = np.abs(v[np.isclose(v[:, 1], se_max), 0]).max() / se_max
    stated = set()
    for label, half in edges.items():
        nums = [float(x) for x in re.findall(r"\d\.\d+", label)]
        stated |= set(nums)
        if label.startswith("p < "):
            continue  # the outermost band fills the panel
        assert half == pytest.approx(stats.norm.ppf(1 - min(nums) / 2), rel=1e-9), label
    assert stated == {0.10, 0.05, 0.01} == set(CONTOUR_LEVELS)

    class _Ea:  # the caption of a contour-enhanced funnel (k >= 10, trim-and-fill run)
        main = res
        diagnostics = {"trim_and_fill": fmtrials.trim_and_fill(res)}

    caption = F.figure_caption(_Ea(), "funnel")
    said = re.search(r"significant against no effect at p < ([\d., ]+)\)", caption).group(1)
    assert {float(x) for x in said.split(", ")} == stated

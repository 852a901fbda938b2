"""What the report *says* about its numbers (issue 22, items 2, 3 and 14): one I² rule everywhere, a single
comparison never labelled as pooled, and the sensitivity tables' notes printed once.

Expected values are recomputed here by hand from the per-study counts (log risk ratios, their variances, Cochran's
Q, Higgins & Thompson's I², the Mantel–Haenszel risk ratio) and scipy's Fisher exact test, never read from the
package's own output.
"""

from __future__ import annotations

import html
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from conftest import DATA
from scipy import stats

import fmtrials
from fmtrials._format import format_p

REF = json.loads((DATA / "metafor_reference.json").read_text("utf-8"))
#: nausea with the shared Mease2009 placebo arm split between its two doses, as the report pools it
NAUSEA = pd.DataFrame(REF["datasets"]["milnacipran_nausea_split"])
SINGLE = ("composite_3", "pain_30", "pain_50")  # one comparison each (Arnold2010)


@pytest.fixture(scope="module")
def report_dir(bundled_report_no_figures):
    return bundled_report_no_figures  # write_report(out, quiet=True, figures=False), shared (conftest)


@pytest.fixture(scope="module")
def page(report_dir):
    return (report_dir / "report.html").read_text("utf-8")


def _csv(report_dir, name):
    return pd.read_csv(report_dir / "tables" / name)


def _section(page: str, anchor: str) -> str:
    return page.split(f'id="{anchor}"')[1].split("<h2")[0]


def _rows(fragment: str) -> list[list[str]]:
    """The cells of every table row of an HTML fragment, as text."""
    out = []
    for tr in re.findall(r"<tr>(.*?)</tr>", fragment, flags=re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr, flags=re.S)
        out.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return out


# ------------------------------------------------------------------------------------------- hand arithmetic


def _log_rr(t: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    a, n1, c, n2 = (t[k].to_numpy(float) for k in ("events_t", "n_t", "events_c", "n_c"))
    return np.log((a / n1) / (c / n2)), 1 / a - 1 / n1 + 1 / c - 1 / n2


def _i2(q: float, k: int) -> float:
    """Higgins & Thompson (2002): 100 max(0, (Q - df)/Q), df = k - 1."""
    return 100 * max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0


def _q_iv(t: pd.DataFrame) -> float:
    """Cochran's Q around the inverse-variance mean (the Q of every inverse-variance and random-effects model)."""
    y, v = _log_rr(t)
    w = 1 / v
    return float(np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2))


def _q_mh(t: pd.DataFrame) -> float:
    """Q of the per-study log risk ratios around the Mantel–Haenszel risk ratio (as rma.mh)."""
    a, n1, c, n2 = (t[k].to_numpy(float) for k in ("events_t", "n_t", "events_c", "n_c"))
    n = n1 + n2
    mh = np.log(np.sum(a * n2 / n) / np.sum(c * n1 / n))
    y, v = _log_rr(t)
    return float(np.sum((y - mh) ** 2 / v))


def _i2_tau2(t: pd.DataFrame, tau2: float) -> float:
    """metafor's τ²-based I²: 100 τ²/(τ² + s²), s² = (k - 1) Σw / ((Σw)² - Σw²)."""
    _, v = _log_rr(t)
    w = 1 / v
    s2 = (len(t) - 1) * w.sum() / (w.sum() ** 2 - (w**2).sum())
    return 100 * tau2 / (tau2 + s2)


# ------------------------------------------------------------------------------------------------ item 2: I²


def test_hand_q_based_i2_of_nausea_is_not_the_tau2_based_one():
    """The premise: for nausea Q exceeds its df while REML's τ² is 0, so the two I² differ (41% vs 0%)."""
    i2 = _i2(_q_iv(NAUSEA), 4)
    assert i2 == pytest.approx(40.89, abs=0.01)
    r = fmtrials.pool(NAUSEA, measure="RR", method="REML", warn_shared=False)
    assert r.heterogeneity.i2 == pytest.approx(i2, rel=1e-9)
    assert r.heterogeneity.i2_tau2 < 1e-6  # metafor's I2 for this fit (tests/data/metafor_reference.json)


def test_every_csv_i2_of_nausea_is_the_q_based_one(report_dir):
    all_doses = _i2(_q_iv(NAUSEA), 4)
    dose100 = NAUSEA[NAUSEA["dose_mg_day"] == 100]
    pooled = _csv(report_dir, "pooled.csv")
    nausea = pooled[pooled["endpoint"] == "nausea"].set_index(["model", "group"])
    assert nausea.loc[("main", "all doses"), "i2"] == pytest.approx(all_doses, rel=1e-6)
    assert nausea.loc[("main", "100 mg/day"), "i2"] == pytest.approx(_i2(_q_iv(dose100), 3), rel=1e-6)
    assert nausea.loc[("common", "all doses"), "i2"] == pytest.approx(_i2(_q_mh(NAUSEA), 4), rel=1e-6)
    # metafor's τ²-based value only in its own, named column
    tau2 = nausea.loc[("main", "100 mg/day"), "tau2"]
    assert nausea.loc[("main", "100 mg/day"), "i2_tau2"] == pytest.approx(_i2_tau2(dose100, tau2), rel=1e-6)
    assert nausea.loc[("common", "all doses"), ["i2_tau2"]].isna().all()

    sens = _csv(report_dir, "sensitivity.csv")
    sens = sens[(sens["endpoint"] == "nausea") & (sens["analyses"] == "primary")]
    for row in sens.itertuples():
        want = _i2(_q_mh(NAUSEA) if row.method == "MH" else _q_iv(NAUSEA), 4)
        assert row.i2 == pytest.approx(want, rel=1e-6), (row.method, row.test)

    loo = _csv(report_dir, "leave_one_out.csv")
    loo = loo[loo["endpoint"] == "nausea"]
    assert len(loo) == 4
    for row, keep in zip(loo.itertuples(), _leave_one(4)):
        assert row.i2 == pytest.approx(_i2(_q_iv(NAUSEA.iloc[list(keep)]), 3), rel=1e-6), row.omitted


def _leave_one(n: int) -> list[list[int]]:
    return [[j for j in range(n) if j != i] for i in range(n)]


def test_every_printed_i2_of_nausea_is_the_q_based_one(report_dir, page):
    i2 = _i2(_q_iv(NAUSEA), 4)
    sof = _csv(report_dir, "what_it_means_summary_of_findings.csv").set_index("endpoint")
    printed = re.findall(r"I²[^=%]*= ([0-9.]+)%", sof.loc["nausea", "explanation"])
    meaning = html.unescape(_section(page, "meaning")).split("<code>nausea</code>")[1:]
    printed += [x for part in meaning for x in re.findall(r"I²[^=%]*= ([0-9.]+)%", part.split("</li>")[0])]
    assert len(printed) >= 2 and set(printed) == {f"{i2:.1f}"}, printed
    pooled = _section(page, "pooled")
    assert f"I² (Q-based) = {i2:.1f}%" in html.unescape(pooled)
    # the sensitivity table's I² column: the same value on every inverse-variance / random-effects row
    nausea = _section(page, "sensitivity").split("<code>nausea</code>")[1].split("<h3")[0]
    body = [r for r in _rows(nausea.split("</table>")[0]) if len(r) >= 9 and r[1] != "Method"]
    assert len(body) == 11
    for r in body:
        want = _i2(_q_mh(NAUSEA) if r[1] == "MH" else _q_iv(NAUSEA), 4)
        assert r[7] == f"{want:.1f}", r


def test_results_json_keeps_both_i2_under_their_names(report_dir):
    res = json.loads((report_dir / "results.json").read_text("utf-8"))
    het = res["endpoints"]["nausea"]["main"]["heterogeneity"]
    assert het["i2"] == pytest.approx(_i2(_q_iv(NAUSEA), 4), rel=1e-9)
    assert het["i2_tau2"] < 1e-6 and "i2_basis" not in het


# ------------------------------------------------------------------------------ item 3: one comparison (k = 1)


def _fisher(a: int, n1: int, c: int, n2: int) -> float:
    return float(stats.fisher_exact([[a, n1 - a], [c, n2 - c]])[1])


def test_single_comparison_rows_name_no_model_and_print_one_named_p(report_dir, page):
    compared = _csv(report_dir, "comparisons.csv")
    pooled_csv = _csv(report_dir, "pooled.csv")
    rows = [r for r in _rows(_section(page, "pooled").split("<table>")[-1]) if len(r) == 9]
    for endpoint in SINGLE:
        c = compared[compared["endpoint"] == endpoint]
        assert len(c) == 1 and c["test_method"].iloc[0] == "fisher"
        one = c.iloc[0]
        p = _fisher(one.events_t, one.n_t, one.events_c, one.n_c)
        mine = [r for r in rows if r[0] == endpoint]
        assert len(mine) == 1, mine  # one row: no second ("check") row with another p
        assert "model" not in mine[0][1].lower() and "Mantel" not in mine[0][1]
        assert mine[0][5] == f"{format_p(p)} (Fisher exact)"  # the per-trial table's test, named
        csv = pooled_csv[pooled_csv["endpoint"] == endpoint]
        assert (csv["method"].isna()).all() and (csv["test"] == "fisher").all()
        np.testing.assert_allclose(csv["p_value"], p, rtol=1e-9)
    models = _csv(report_dir, "models.csv").set_index("endpoint")
    assert models.loc[list(SINGLE), ["method", "test"]].isna().all().all()
    assert (models.loc[list(SINGLE), "rule"] == "single").all()
    model_rows = [r for r in _rows(_section(page, "pooled").split("</table>")[0]) if r and r[0] in SINGLE]
    assert len(model_rows) == 3 and all("model" not in r[2].lower() for r in model_rows)


def test_a_dose_with_one_comparison_is_not_labelled_as_pooled(report_dir, page):
    rows = [r for r in _rows(_section(page, "pooled").split("<table>")[-1]) if len(r) == 9]
    dose200 = [r for r in rows if r[0] == "nausea" and r[2] == "200 mg/day"]
    assert len(dose200) == 1
    t = NAUSEA[NAUSEA["dose_mg_day"] == 200].iloc[0]
    assert "model" not in dose200[0][1].lower()
    assert dose200[0][5] == f"{format_p(_fisher(t.events_t, t.n_t, t.events_c, t.n_c))} (Fisher exact)"
    csv = _csv(report_dir, "pooled.csv")
    csv = csv[(csv["endpoint"] == "nausea") & (csv["group"] == "200 mg/day")]
    assert csv["method"].isna().all() and (csv["test"] == "fisher").all()


def test_methods_and_captions_of_single_comparisons(page):
    methods = html.unescape(re.sub(r"<[^>]+>", "", _section(page, "methods")))
    sentence = re.search(r"Endpoints with a single comparison[^.]*\.", methods).group(0)
    assert "Fisher exact test" in sentence and "no pooling model" in sentence


def test_forest_of_one_comparison_names_no_model_and_tests_no_pooled_effect():
    from fmtrials.plots.forest import forest_lines
    from fmtrials.report import figures as F

    outcomes = fmtrials.load_outcomes()
    ea = fmtrials.analyse_endpoint(outcomes, "composite_3")
    title = next(j.payload["title"] for j in F.figure_jobs(outcomes, ea, treatment="Milnacipran") if j.kind == "forest")
    assert "model" not in title.lower() and "not pooled" in title
    assert "forest_single" in F.FIGURE_CAPTIONS and "model" not in F.FIGURE_CAPTIONS["forest_single"]
    # the 200 mg/day dose of nausea is one comparison: no "Test for overall effect" (a Wald p) under it
    by_dose = fmtrials.analyse_endpoint(outcomes, "nausea").main
    lines = forest_lines(by_dose)
    texts = [ln.span for ln in lines if getattr(ln, "span", None)]
    heading = next(i for i, ln in enumerate(lines) if ln.style == "heading" and "200" in ln.cells[0])
    after = [ln.span for ln in lines[heading:] if getattr(ln, "span", None)]
    assert after[0].startswith("One comparison")
    assert sum("Test for overall effect" in s for s in texts) == 1  # the 100 mg/day subgroup's only


# --------------------------------------------------------------------------- item 14: sensitivity notes once


def test_sensitivity_notes_are_printed_once_per_table(report_dir, page):
    sens = _csv(report_dir, "sensitivity.csv")
    section = _section(page, "sensitivity")
    for endpoint in ("pgic", "ae_any", "sae", "withdrawal_any"):
        block = section.split(f"<code>{endpoint}</code>")[1].split("<h3")[0]
        rows = sens[sens["endpoint"] == endpoint]
        notes = list(dict.fromkeys(n for n in rows["note"].dropna()))
        text = html.unescape(block)
        for i, note in enumerate(notes, 1):
            assert text.count(note) == 1, (endpoint, note)  # once, under the table
            assert f"[{i}] {note}" in text
            body = [r for r in _rows(block.split("</table>")[0]) if r and r[1] != "Method"]
            assert sum(r[-1] == f"[{i}]" for r in body) == int((rows["note"] == note).sum())
    # endpoints without any note get no Note column
    nausea = section.split("<code>nausea</code>")[1].split("</table>")[0]
    assert "<th>Note</th>" not in nausea and sens.loc[sens["endpoint"] == "nausea", "note"].isna().all()
    # the CSV keeps each row's own note (a row read alone still says why it has no prediction interval)
    assert (sens.loc[sens["endpoint"] == "pgic", "note"].notna()).sum() == 9


def test_heterogeneity_i2_is_q_based_for_every_model():
    """API: ``Heterogeneity.i2`` is Q-based whatever the model; metafor's τ²-based value is ``i2_tau2``."""
    q, k = _q_iv(NAUSEA), 4
    for method in ("IV", "DL", "REML", "PM"):
        h = fmtrials.pool(NAUSEA, measure="RR", method=method, warn_shared=False).heterogeneity
        assert h.i2 == pytest.approx(_i2(q, k), rel=1e-9) and h.i2_q == h.i2, method
        if method == "IV":
            assert math.isnan(h.i2_tau2)
        else:
            assert h.i2_tau2 == pytest.approx(_i2_tau2(NAUSEA, h.tau2), rel=1e-9), method
    mh = fmtrials.pool(NAUSEA, measure="RR", method="MH", warn_shared=False).heterogeneity
    assert mh.i2 == pytest.approx(_i2(_q_mh(NAUSEA), k), rel=1e-9)


def test_results_json_gives_a_single_comparison_no_model_and_its_fisher_p(report_dir):
    """Item 3 in the machine-readable output too: a k = 1 endpoint is written as its one comparison (own
    estimate and log-Wald interval, the two-sided Fisher p named), with no pooling model attached."""
    res = json.loads((report_dir / "results.json").read_text("utf-8"))["endpoints"]
    outcomes = pd.read_csv(fmtrials.data.data_dir() / "outcomes.csv")  # the bundled table as shipped
    singles = sorted(k for k, v in res.items() if "single" in v)
    assert singles == ["composite_3", "pain_30", "pain_50"]
    for endpoint in singles:
        entry = res[endpoint]
        assert set(entry) == {"single", "notes"}, endpoint  # no "main"/"common" model dicts
        s = entry["single"]
        rows = outcomes[(outcomes["endpoint"] == endpoint) & (outcomes["study"] == s["study"])]
        active = rows[rows["dose_mg_day"] > 0].iloc[0]
        placebo = rows[rows["dose_mg_day"] == 0].iloc[0]
        a, n1, c, n2 = int(active.responders), int(active.n), int(placebo.responders), int(placebo.n)
        assert (s["events_t"], s["n_t"], s["events_c"], s["n_c"]) == (a, n1, c, n2)
        rr = (a / n1) / (c / n2)
        se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
        z = stats.norm.ppf(0.975)
        assert s["estimate"] == pytest.approx(rr, rel=1e-10)
        assert (s["ci_low"], s["ci_high"]) == pytest.approx((rr * math.exp(-z * se), rr * math.exp(z * se)), rel=1e-9)
        assert s["test"] == "fisher" and s["p_value"] == pytest.approx(_fisher(a, n1, c, n2), rel=1e-9)
        assert "method" not in s and "model" not in s

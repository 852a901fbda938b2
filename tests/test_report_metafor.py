"""The report's own pooled numbers against R metafor, for the same data and the same models.

``fmtrials.analyse()`` (what ``fmtrials report`` prints) is run on the bundled data; its main model (REML,
HKSJ ad hoc, by dose), Mantel-Haenszel check, sensitivity grid and leave-one-out are compared with metafor
(tests/data/options_reference.json, section ``report``, written by tests/r/options_reference.R). The tables R
pooled were typed into the script; the first test asserts they are still exactly the tables the report pools,
so a change in the data or in the placebo split shows up here rather than as a silent mismatch.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import fmtrials

REF = json.loads((Path(__file__).parent / "data" / "options_reference.json").read_text(encoding="utf-8"))["report"]
ENDPOINTS = [e for e in REF if "__" not in e]
COUNTS = ["events_t", "n_t", "events_c", "n_c", "dose_mg_day"]
#: what metafor's numbers are called in fmtrials' flat rows, and the tolerance (REML to 1e-12 in both)
KEYS = {"estimate": 1e-8, "ci_low": 1e-8, "ci_high": 1e-8, "p_value": 1e-7, "tau2": 1e-7, "i2": 1e-7}


@pytest.fixture(scope="module")
def analysis():
    return fmtrials.analyse()


def _near(got: float, expected: float | None, rel: float, what: str) -> None:
    if expected is None:
        assert not math.isfinite(got), what
    else:
        assert got == pytest.approx(expected, rel=rel, abs=1e-10), what


def _i2_q(q: float, k: int) -> float:
    """Higgins & Thompson's I² from metafor's Q: 100 max(0, (Q - df)/Q)."""
    return 100 * max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0


def _fisher(counts) -> float:
    a, n1, c, n2 = (int(np.atleast_1d(x)[0]) for x in counts)
    return float(stats.fisher_exact([[a, n1 - a], [c, n2 - c]])[1])


def _counts(endpoint: str, dose: str | None = None) -> list:
    """The one comparison's counts (events_t, n_t, events_c, n_c) of the table R pooled (one dose's, or all)."""
    t = {c: np.atleast_1d(REF[endpoint]["table"][c]) for c in COUNTS}
    keep = np.ones(len(t["n_t"]), bool) if dose is None else t["dose_mg_day"] == int(dose)
    assert keep.sum() == 1, (endpoint, dose)
    return [t[c][keep][0] for c in COUNTS[:4]]


def _check(numbers: dict, expected: dict, what: str, counts: list | None = None) -> None:
    """A flat row of fmtrials numbers (``_numbers``/sensitivity/leave-one-out style) against metafor's.

    I²: fmtrials' ``i2`` is the Q-based one for every model (recomputed here from metafor's Q); metafor's ``I2``
    (τ²-based for random-effects models) is fmtrials' ``i2_tau2``, or ``i2`` for a common-effect model. One
    comparison (k = 1, with its ``counts``): no model and Fisher's exact p, not metafor's Wald p."""
    assert numbers["k"] == expected["k"], what
    for key, rel in KEYS.items():
        if key == "i2" and expected["k"] == 1:  # metafor prints I2 = Q = 0 for one study; fmtrials: undefined
            assert not math.isfinite(numbers["i2"]), what
            continue
        if key == "i2":
            _near(float(numbers["i2"]), _i2_q(expected["q"], expected["k"]), rel, f"{what}: i2 (Q-based)")
            tau2_based = numbers.get("i2_tau2", math.nan)
            _near(float(tau2_based if math.isfinite(tau2_based) else numbers["i2"]), expected["i2"], rel, what)
            continue
        if key == "p_value" and "test" in numbers and expected["k"] == 1:
            assert numbers["test"] == "fisher" and numbers["method"] == "", what
            _near(float(numbers["p_value"]), _fisher(counts), rel, f"{what}: Fisher p")
            continue
        _near(float(numbers[key]), expected[key], rel, f"{what}: {key}")
    if "q" in numbers and expected["k"] == 1:
        assert not math.isfinite(numbers["q"]), what
    elif "q" in numbers:
        _near(float(numbers["q"]), expected["q"], 1e-9, f"{what}: q")
    if "pi_low" in expected:
        _near(float(numbers["pi_low"]), expected["pi_low"], 1e-7, f"{what}: pi_low")
        _near(float(numbers["pi_high"]), expected["pi_high"], 1e-7, f"{what}: pi_high")
    elif expected["k"] < 3:
        assert not math.isfinite(numbers["pi_low"]), what


def test_r_tables_are_the_tables_the_report_pools(analysis):
    assert set(ENDPOINTS) == {e.endpoint for e in analysis}
    for name in ENDPOINTS:
        got = analysis[name].pooled_table[COUNTS].to_numpy()
        expected = np.array([np.atleast_1d(REF[name]["table"][c]) for c in COUNTS]).T  # jsonlite unboxes 1 row
        assert np.array_equal(got, expected), name
        assert list(analysis[name].pooled_table["study"]) == list(np.atleast_1d(REF[name]["table"]["study"])), name


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", ["main", "common"])
def test_pooled_rows_match_metafor(analysis, endpoint, role):
    e = analysis[endpoint]
    rows = e.to_frame()
    rows = rows[rows["model"] == role]
    # small-k rule: with k <= 2 comparisons the main model is Mantel-Haenszel (metafor rma.mh)
    ref = REF[endpoint]["common" if _small(analysis, endpoint) else role]
    groups = ref["groups"] or {}  # jsonlite writes an empty named list as []
    overall = rows[rows["group"].isin(["overall", "all doses"])]
    assert len(overall) == 1
    single = _counts(endpoint) if ref["overall"]["k"] == 1 else None
    _check(overall.iloc[0].to_dict(), ref["overall"], f"{endpoint} {role} overall", single)
    assert len(rows) == (1 + len(groups) if groups else 1)
    for dose, expected in groups.items():
        row = rows[rows["group"] == f"{dose} mg/day"]
        assert len(row) == 1, (endpoint, dose)
        single = _counts(endpoint, dose) if expected["k"] == 1 else None
        _check(row.iloc[0].to_dict(), expected, f"{endpoint} {role} {dose} mg/day", single)
    if groups:
        o = overall.iloc[0]
        assert o["subgroup_q"] == pytest.approx(ref["overall"]["subgroup_q"], rel=1e-8)
        assert o["subgroup_p"] == pytest.approx(ref["overall"]["subgroup_p"], rel=1e-7)


def test_main_model_is_what_the_report_says(analysis):
    """REML + HKSJ ad hoc: a DL or plain-z main model would move these digits (checked above too)."""
    e = analysis["nausea"]
    assert (e.main.method, e.main.test) == ("REML", "hksj-adhoc")
    assert e.main.estimate == pytest.approx(REF["nausea"]["main"]["overall"]["estimate"], rel=1e-8)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if "sensitivity" in REF[e]])
def test_sensitivity_rows_match_metafor(analysis, endpoint):
    sens = analysis[endpoint].sensitivity
    tables = {"primary": REF[endpoint]}
    if f"{endpoint}__alternative" in REF:
        tables["alternative"] = REF[f"{endpoint}__alternative"]
    assert {a.split(":")[0] for a in sens["analyses"]} == set(tables)
    for kind, ref in tables.items():
        block = sens[sens["analyses"].str.startswith(kind)]
        assert [(m, t) for m, t in zip(block["method"], block["test"])] == [
            (r["method"], r["test"]) for r in ref["sensitivity"]
        ]
        for (_, row), expected in zip(block.iterrows(), ref["sensitivity"]):
            _check(row.to_dict(), expected, f"{endpoint} {kind} {row['method']}/{row['test']}")


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if "leave_one_out" in REF[e]])
def test_leave_one_out_matches_metafor(analysis, endpoint):
    loo = analysis[endpoint].leave_one_out
    ref = REF[endpoint]["leave_one_out"]
    assert len(loo) == len(ref["estimate"])
    q = np.array(ref["q"], dtype=float)
    i2_q = [_i2_q(x, len(ref["estimate"]) - 1) for x in q]  # the Q-based I² from metafor's Q
    np.testing.assert_allclose(loo["i2"].to_numpy(dtype=float), i2_q, rtol=1e-7, atol=1e-10, err_msg="i2")
    for key in ("estimate", "ci_low", "ci_high", "p_value", "q", "i2_tau2", "tau2"):
        expected = np.array(ref["i2" if key == "i2_tau2" else key], dtype=float)  # metafor's I2: τ²-based
        if key in ("estimate", "ci_low", "ci_high"):
            expected = np.exp(expected)  # leave1out() reports the log risk ratio
        np.testing.assert_allclose(loo[key].to_numpy(dtype=float), expected, rtol=1e-7, atol=1e-10, err_msg=key)


def _small(analysis, endpoint: str) -> bool:
    """The small-k rule of the report (k <= 2 comparisons: common-effect main model), counted here."""
    return len(analysis[endpoint].pooled_table) <= 2


def test_small_k_main_model_is_mantel_haenszel(analysis):
    small = [e for e in ENDPOINTS if _small(analysis, e)]
    assert "sae" in small and "nausea" not in small
    for e in small:
        assert (analysis[e].main.method, analysis[e].main.test) == ("MH", "z"), e


# --------------------------------------------------------------------------- the printed report, digit by digit
LABELS = {
    "main": "main: Random-effects model (REML τ², HKSJ ad hoc)",
    "small": "main: Common-effect model (Mantel–Haenszel)",
    "common": "check: Common-effect model (Mantel–Haenszel)",
}


def _p_text(p: float) -> str:
    """The house rule for printed p-values (methods: 3 decimals, 4 below 0.001, '<0.0001' below that)."""
    return "<0.0001" if p < 1e-4 else f"{p:.4f}" if p < 1e-3 else f"{p:.3f}"


@pytest.fixture(scope="module")
def report_rows(bundled_report):
    import html
    import re

    text = (bundled_report / "report.html").read_text(encoding="utf-8")
    rows = [
        [html.unescape(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, flags=re.S)]
        for tr in re.findall(r"<tr>(.*?)</tr>", text, flags=re.S)
    ]
    table = {tuple(r[:3]): r for r in rows if len(r) >= 8}
    # leave-one-out rows: omitted, k, estimate [CI], p, I2, tau2, PI (in the report's endpoint order)
    table["__loo__"] = [r for r in rows if len(r) == 7 and r[1].isdigit()]
    return table


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", ["main", "common"])
def test_printed_pooled_rows_are_metafors_numbers(report_rows, analysis, endpoint, role):
    small = _small(analysis, endpoint)
    if small and role == "common":  # the main model is the common-effect one: no second row
        assert not [k for k in report_rows if k[:2] == (endpoint, LABELS["common"])]
        return
    ref = REF[endpoint]["common" if small else role]
    label = LABELS["small" if small else role]
    groups = ref["groups"] or {}
    wanted = [(f"{dose} mg/day", e) for dose, e in groups.items()]
    wanted.append(("all doses" if groups else "overall", ref["overall"]))
    for group, e in wanted:
        if e["k"] == 1:  # one comparison: no model named, printed once (not again as the check), Fisher's p
            assert (endpoint, LABELS["common"], group) not in report_rows
            if role == "common" and not small:
                continue
            row = report_rows[(endpoint, "one comparison, not pooled", group)]
            counts = _counts(endpoint, None if group == "overall" else group.split()[0])
            assert row[5] == f"{_p_text(_fisher(counts))} (Fisher exact)", (endpoint, role, group)
        else:
            row = report_rows[(endpoint, label, group)]
            assert row[5] == _p_text(e["p_value"]), (endpoint, role, group)
        assert row[3] == str(e["k"])
        assert row[4] == f"{e['estimate']:.2f} [{e['ci_low']:.2f}, {e['ci_high']:.2f}]", (endpoint, role, group)
        if e["k"] >= 2:
            i2_q = 100 * max(0.0, (e["q"] - (e["k"] - 1)) / e["q"])  # Higgins & Thompson, from metafor's Q
            assert f"Q = {e['q']:.2f} " in row[6] and f"I² (Q-based) = {i2_q:.1f}%" in row[6], (row[6], e)
        pi = f"{e['pi_low']:.2f} to {e['pi_high']:.2f}" if "pi_low" in e else "–"
        if "pi_low" in e and (e["pi_high"] > 1000 or e["pi_low"] < 0.001):
            pi = "not informative"
        assert row[7] == pi, (endpoint, role, group)


def _step_down_holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down rule written out here (not statsmodels)."""
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def test_report_holm_is_the_step_down_holm_within_each_family(analysis):
    """``p_holm_report``: Holm within each family (efficacy; each safety endpoint), each comparison counted once."""
    c = analysis.compared
    p = c["p_value"].to_numpy(dtype=float)
    got = c["p_holm_report"].to_numpy(dtype=float)
    counted = c["holm_counted"].to_numpy(dtype=bool) & np.isfinite(p)
    families = c["holm_family"].to_numpy(dtype=object)
    checked = 0
    for fam in sorted(set(families[counted])):
        rows = counted & (families == fam)
        np.testing.assert_allclose(got[rows], _step_down_holm(p[rows]), rtol=1e-12, err_msg=fam)
        checked += int(rows.sum())
    assert checked >= 10 and np.isnan(got[~counted]).all()
    assert (~c["holm_counted"]).sum() >= 1  # Arnold 2010's second withdrawal analysis


def test_printed_leave_one_out_rows_are_metafors_numbers(report_rows):
    rows = report_rows["__loo__"]
    expected = []
    for endpoint in ENDPOINTS:
        loo = REF[endpoint].get("leave_one_out")
        if loo is None:
            continue
        for i in range(len(loo["estimate"])):
            est, lo, hi = (math.exp(loo[k][i]) for k in ("estimate", "ci_low", "ci_high"))  # log scale in R
            expected.append(
                [
                    f"{est:.2f} [{lo:.2f}, {hi:.2f}]",
                    _p_text(loo["p_value"][i]),
                    f"{_i2_q(loo['q'][i], len(loo['estimate']) - 1):.1f}",  # Q-based, from metafor's Q
                    f"{loo['tau2'][i]:.4f}",
                ]
            )
    assert [r[2:6] for r in rows] == expected


def test_holm_across_where_holm_and_hochberg_differ():
    """On the bundled p-values Holm and Hochberg coincide; here they do not (Hochberg would give 0.045)."""
    import pandas as pd

    from fmtrials.analysis import holm_across

    out = holm_across(pd.DataFrame({"p_value": [0.04, 0.03, np.nan, 0.045]}))
    # step-down: 3 x 0.03 = 0.09, max(0.09, 2 x 0.04) = 0.09, max(0.09, 1 x 0.045) = 0.09; NaN not counted
    np.testing.assert_allclose(out["p_holm_report"].to_numpy(dtype=float), [0.09, 0.09, np.nan, 0.09], rtol=1e-12)

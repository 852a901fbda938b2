"""fmtrials.comparisons.compare: the tidy per-comparison table."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

import fmtrials
from fmtrials import effects

from fmtrials.comparisons import compare


@pytest.fixture
def table():
    # bundled efficacy tables (Arnold 2010 composite_3, Bateman 2013 pgic; evidence.md) plus a zero cell
    return pd.DataFrame({
        "study": ["Arnold2010", "Bateman2013", "Bateman2013"],
        "arm": ["100mg", "100mg", "100mg"],
        "endpoint": ["composite_3", "pgic", "muscle_spasms"],
        "events_t": [103, 26, 0], "n_t": [516, 79, 85], "events_c": [56, 5, 1], "n_c": [509, 21, 21],
    })


def test_values_equal_the_effect_functions(table):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = compare(table, rd_ci="mn", test="chi2")
    args = (table.events_t, table.n_t, table.events_c, table.n_c)
    rd = effects.risk_difference(*args, ci="mn")
    np.testing.assert_allclose(out[["rd", "rd_low", "rd_high"]], rd[["estimate", "ci_low", "ci_high"]])
    rr = effects.risk_ratio(*args)
    np.testing.assert_allclose(out[["rr", "rr_low", "rr_high"]], rr[["estimate", "ci_low", "ci_high"]])
    assert list(out.rr_correction) == [0.0, 0.0, 0.5] and list(out.or_correction) == [0.0, 0.0, 0.5]
    # Wilson rates: Arnold 2010 treatment arm 103/516 against R prop.test(103, 516, correct=FALSE)
    assert out.rate_t.iloc[0] == pytest.approx(103 / 516)
    p = effects.proportions_test(*args, test="chi2").p_value.to_numpy()
    np.testing.assert_allclose(out.p_value, p)
    np.testing.assert_allclose(out.p_holm, multipletests(p, method="holm")[1])
    np.testing.assert_allclose(out.p_hochberg, multipletests(p, method="simes-hochberg")[1])
    # Holm and Hochberg really differ from raw p here (3 comparisons)
    assert (out.p_holm >= out.p_value).all() and out.p_holm.iloc[0] == pytest.approx(3 * p.min())


def test_r_chisq_value_carried(table):
    # R 4.2.2: chisq.test(matrix(c(103,413,56,453),2,byrow=TRUE), correct=FALSE)$p.value
    out = compare(table, test="chi2")
    assert out.p_value.iloc[0] == pytest.approx(7.44763805217e-05, rel=1e-9)


def test_carry_through_and_methods_recorded(table):
    out = compare(table, rr_ci="koopman", or_ci="exact", event="harmful")
    assert list(out.columns[:3]) == ["study", "arm", "endpoint"]
    for col, val in (("rd_method", "newcombe"), ("rr_method", "koopman"), ("or_method", "exact"),
                     ("test_method", "fisher"), ("rate_method", "wilson"), ("event", "harmful")):
        assert (out[col] == val).all()
    assert out.attrs["methods"]["alpha"] == 0.05
    # harmful events: more nausea on drug is harm
    assert out.nnt_type.iloc[0] == "NNTH"


def test_missing_counts_are_dropped_and_recorded(table):
    t = table.copy()
    t["events_t"] = t["events_t"].astype("Float64")
    t.loc[1, "events_t"] = pd.NA
    t.loc[2, "n_c"] = np.nan
    out = compare(t)
    assert list(out.study) == ["Arnold2010"]
    ex = out.attrs["excluded"]
    assert len(ex) == 2 and [e["reason"] for e in ex] == ["missing events_t", "missing n_c"]
    # the adjustment runs over the comparisons kept
    assert out.p_holm.iloc[0] == pytest.approx(out.p_value.iloc[0])


def test_package_attribute_stays_the_function():
    import importlib

    importlib.import_module("fmtrials.comparisons")
    assert fmtrials.compare is compare


def test_all_rows_missing_gives_empty_table(table):
    t = table.assign(n_t=np.nan)
    out = compare(t)
    assert len(out) == 0 and len(out.attrs["excluded"]) == 3 and "p_holm" in out.columns


def test_bad_rows_named(table):
    t = table.copy()
    t.loc[2, "events_c"] = 30  # > n_c
    with pytest.raises(fmtrials.DataError) as err:
        compare(t)
    assert err.value.problems[0].row == 3 and err.value.problems[0].column == "events_c"
    with pytest.raises(fmtrials.DataError, match="n_c"):
        compare(table.drop(columns="n_c"))
    with pytest.raises(fmtrials.DataError, match="rd_ci"):
        compare(table, rd_ci="bogus")

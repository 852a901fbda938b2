"""fmtrials.comparisons.compare: the tidy per-comparison table."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

import fmtrials
from fmtrials import effects
from fmtrials.comparisons import compare


@pytest.fixture
def table():
    # bundled efficacy tables (Arnold 2010 composite_3, Bateman 2013 pgic; evidence.md) plus a zero cell
    return pd.DataFrame(
        {
            "study": ["Arnold2010", "Bateman2013", "Bateman2013"],
            "arm": ["100mg", "100mg", "100mg"],
            "endpoint": ["composite_3", "pgic", "muscle_spasms"],
            "events_t": [103, 26, 0],
            "n_t": [516, 79, 85],
            "events_c": [56, 5, 1],
            "n_c": [509, 21, 21],
        }
    )


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
    np.testing.assert_array_equal(out.rate_c, table.events_c / table.n_c)
    np.testing.assert_array_equal(out.rate_t, table.events_t / table.n_t)
    # outside values: the uncorrected Pearson chi-square of each table (R prop.test(correct=FALSE)),
    # computed here with scipy, and the Wilson limits of scipy's binomtest
    for i, (a, n1, c, n2) in enumerate(zip(*args)):
        ref = stats.chi2_contingency([[a, n1 - a], [c, n2 - c]], correction=False).pvalue
        assert out.p_value.iloc[i] == pytest.approx(ref, rel=1e-10)
        wilson = stats.binomtest(int(c), int(n2)).proportion_ci(method="wilson")
        assert (out.rate_c_low.iloc[i], out.rate_c_high.iloc[i]) == pytest.approx((wilson.low, wilson.high))
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
    for col, val in (
        ("rd_method", "newcombe"),
        ("rr_method", "koopman"),
        ("or_method", "exact"),
        ("test_method", "fisher"),
        ("rate_method", "wilson"),
        ("event", "harmful"),
    ):
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


def test_nnt_columns_are_those_of_nnt(table):
    out = compare(table, event="Beneficial")
    nn = effects.nnt(table.events_t, table.n_t, table.events_c, table.n_c)
    for col in (
        "rd",
        "rd_low",
        "rd_high",
        "nnt",
        "nnt_type",
        "nnt_near",
        "nnt_near_type",
        "nnt_far",
        "nnt_far_type",
        "crosses_zero",
    ):
        assert out[col].tolist() == nn[col].tolist(), col
    assert out.nnt_label.tolist() == nn.label.tolist()
    assert out.nnt_label.iloc[1] == "NNTB 11.0 (NNTB 3.8 to ∞ to NNTH 7.1)"
    for low, high in (
        ("rd_low", "rd_high"),
        ("rr_low", "rr_high"),
        ("or_low", "or_high"),
        ("rate_t_low", "rate_t_high"),
        ("rate_c_low", "rate_c_high"),
    ):
        assert (out[low] <= out[high]).all(), low
    assert not {"nnt_low", "nnt_high"} & set(out.columns)


def test_choices_ignore_letter_case(table):
    out = compare(table, rd_ci="MN", rr_ci="Koopman", or_ci="Woolf", test="CHI2", rate_ci="Jeffreys", event="Harmful")
    assert out.attrs["methods"] == {
        "rate_method": "jeffreys",
        "rd_method": "mn",
        "rr_method": "koopman",
        "or_method": "woolf",
        "test_method": "chi2",
        "event": "harmful",
        "alpha": 0.05,
        "add": 0.5,
    }
    assert (out.rd_method == "mn").all()


def test_double_zero_has_no_wald_ratio_as_in_pooling(table):
    t = table.copy()
    t.loc[2, ["events_t", "n_t", "events_c", "n_c"]] = [0, 10, 0, 12]
    out = compare(t)
    row = out.iloc[2]
    assert np.isnan([row.rr, row.rr_low, row.rr_high, row["or"], row.or_low, row.or_high]).all()
    assert row.rr_note == row.or_note == "double zero: not estimable" and row.rr_correction == 0
    # the risk difference of a double zero is 0 and estimable
    assert row.rd == 0 and row.rd_low < 0 < row.rd_high


def test_per_table_failure_names_row_column_and_study():
    """ci="exact" is limited to n_t * n_c <= 1000000: the failing comparison is named, not a position."""
    t = pd.DataFrame(
        {
            "study": ["Small", "Arnold2010"],
            "events_t": [7, 103],
            "n_t": [34, 1516],
            "events_c": [1, 56],
            "n_c": [34, 1509],
        }
    )
    t.index = [10, 11]  # the input's own index is not what is reported
    with pytest.raises(fmtrials.DataError) as err:
        compare(t, rd_ci="exact", test="chi2")
    (problem,) = err.value.problems
    assert (problem.file, problem.row, problem.column) == ("<DataFrame>", 2, "n_t")
    assert "Arnold2010" in problem.message and "rd_ci='exact'" in problem.message
    assert "position" not in str(err.value)
    # with a dropped row before it, the row is still the 1-based row of the input
    t2 = pd.concat([t.iloc[:1].assign(n_c=np.nan), t])
    with pytest.raises(fmtrials.DataError) as err:
        compare(t2, rd_ci="exact", test="chi2")
    assert err.value.problems[0].row == 3


def test_bad_options_are_refused_before_any_work(table):
    for kwargs, name in (
        ({"add": 0}, "add"),
        ({"alpha": 2}, "alpha"),
        ({"event": "good"}, "event"),
        ({"rate_ci": "wald"}, "rate_ci"),
        ({"test": "t"}, "test"),
    ):
        with pytest.raises(fmtrials.DataError) as err:
            compare(table, **kwargs)
        assert err.value.problems[0].column == name
    with pytest.raises(fmtrials.DataError) as err:
        compare(table.assign(n_t=[516, 79.5, 85]))
    assert (err.value.problems[0].row, err.value.problems[0].column) == (2, "n_t")
    with pytest.raises(fmtrials.DataError) as err:
        compare(table.assign(n_t=[516, 2**40, 85]))
    assert (err.value.problems[0].row, err.value.problems[0].column) == (2, "n_t")

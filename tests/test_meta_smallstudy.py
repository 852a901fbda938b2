"""small_study_test() and trim_and_fill() against R metafor 3.8 (tests/r/metafor_reference_2.R) and by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _metafor2 import case_id, cases, table
from numpy.testing import assert_allclose
from scipy import stats

import fmtrials
from fmtrials import DataError
from fmtrials.errors import FewStudiesWarning

SST = cases("small_study")
TF = cases("trimfill")


@pytest.mark.parametrize("c", SST, ids=[case_id(c) for c in SST])
def test_small_study_test_matches_metafor(c):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewStudiesWarning)
        r = fmtrials.small_study_test(
            table(c["dataset"]), measure=c["measure"], test=c["method"], method=c["tau2_method"], fit_test=c["test"]
        ).iloc[0]
    tol = 1e-5 if c["method"] == "egger_rma" and c["tau2_method"] in ("REML", "PM") else 1e-6
    assert r["statistic"] == pytest.approx(c["statistic"], rel=tol, abs=tol)
    assert r["p_value"] == pytest.approx(c["p_value"], rel=tol, abs=tol)
    if c["df"] is None:
        assert np.isnan(r["df"])
    else:
        assert r["df"] == c["df"]


def test_egger_equals_the_classic_regression_of_the_standard_normal_deviate_on_precision():
    """Egger (1997) as published: OLS of y/se on 1/se, t test of the intercept (statsmodels-free, scipy)."""
    t = table("egger2001")
    eff = fmtrials.effect_sizes(t, measure="OR")
    se = np.sqrt(eff["vi"].to_numpy())
    res = stats.linregress(1 / se, eff["yi"].to_numpy() / se)
    tval = res.intercept / res.intercept_stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewStudiesWarning)
        r = fmtrials.small_study_test(t, measure="OR", test="egger").iloc[0]
    assert r["statistic"] == pytest.approx(tval, rel=1e-10)


def test_begg_exact_p_is_kendall_permutation_distribution():
    """Brute force: all 6! orderings of k = 6 give the exact null distribution of Kendall's tau."""
    from itertools import permutations

    t = table("bcg").iloc[:6]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewStudiesWarning)
        r = fmtrials.small_study_test(t, test="begg").iloc[0]
    taus = np.array([stats.kendalltau(np.arange(6), p).statistic for p in permutations(range(6))])
    p_brute = min(1.0, 2 * min((taus <= r["statistic"] + 1e-12).mean(), (taus >= r["statistic"] - 1e-12).mean()))
    assert r["p_value"] == pytest.approx(p_brute, rel=1e-12)


def test_warning_below_ten_and_error_below_three():
    t = fmtrials.contrasts(endpoint="nausea")
    with pytest.warns(FewStudiesWarning, match="k = 4 < 10"):
        fmtrials.small_study_test(t)
    with pytest.raises(DataError, match="at least 3"):
        fmtrials.small_study_test(t.iloc[:2])


def test_peters_and_harbord_need_the_odds_ratio():
    with pytest.raises(DataError, match="odds ratio") as err:
        fmtrials.small_study_test(table("bcg"), measure="RR", test="harbord")
    assert err.value.problems[0].column == "measure"


def test_one_row_frame_records_the_method():
    r = fmtrials.small_study_test(table("bcg"), measure="RR", test="egger_rma")
    assert r.columns.tolist() == ["method", "measure", "k", "statistic", "statistic_name", "df", "p_value", "model"]
    assert r.iloc[0]["statistic_name"] == "z" and "REML" in r.iloc[0]["model"]


# ---------------------------------------------------------------------------------------------- trim-and-fill
@pytest.mark.parametrize("c", TF, ids=[case_id(c) for c in TF])
def test_trim_and_fill_matches_metafor(c):
    res = fmtrials.pool(table(c["dataset"]), measure=c["measure"], method=c["method"], warn_shared=False)
    tf = fmtrials.trim_and_fill(res, estimator=c["estimator"], side=c["side_given"])
    tol = 1e-5 if c["method"] in ("REML", "PM") else 1e-6
    assert (tf.k0, tf.side) == (c["k0"], c["side"])
    assert tf.se_k0 == pytest.approx(c["se_k0"], rel=1e-9)
    assert_allclose(
        [tf.beta, tf.se, tf.p_value, tf.tau2], [c["beta"], c["se"], c["p_value"], c["tau2"]], rtol=tol, atol=tol
    )
    ratio = c["measure"] in ("RR", "OR")
    lo, hi = (np.exp(c["ci_low"]), np.exp(c["ci_high"])) if ratio else (c["ci_low"], c["ci_high"])
    assert_allclose([tf.ci_low, tf.ci_high], [lo, hi], rtol=tol)
    assert_allclose(tf.studies["yi"], c["yi"], rtol=1e-9, atol=1e-12)
    assert tf.studies["filled"].tolist() == c["fill"]


def test_trim_and_fill_fills_mirror_images():
    """Brute force: each filled effect is the mirror image of an observed one about the trimmed estimate."""
    res = fmtrials.pool(table("egger2001"), measure="OR", method="IV")
    tf = fmtrials.trim_and_fill(res)
    obs = np.sort(tf.studies.loc[~tf.studies["filled"].to_numpy(), "yi"].to_numpy())
    assert tf.k0 > 0 and tf.k == res.k + tf.k0 and len(tf.filled) == tf.k0
    extreme = obs[-tf.k0 :] if tf.side == "left" else obs[: tf.k0][::-1]
    sums = tf.filled["yi"].to_numpy() + extreme
    assert np.ptp(sums) < 1e-12  # one centre 2 * beta_trimmed for every mirrored pair


def test_trim_and_fill_needs_three_studies_and_a_pool_result():
    res = fmtrials.pool(table("hine1989_k3").iloc[:2], method="IV")
    with pytest.raises(DataError, match="at least 3"):
        fmtrials.trim_and_fill(res)
    with pytest.raises(DataError, match="PoolResult"):
        fmtrials.trim_and_fill(table("bcg"))


def test_mh_result_is_refitted_with_iv_and_says_so():
    res = fmtrials.pool(table("bcg"), method="MH")
    tf = fmtrials.trim_and_fill(res)
    assert tf.method == "IV" and "inverse-variance" in tf.notes[0]


def test_identical_studies_are_a_clear_error_not_a_linear_algebra_crash():
    import pandas as pd

    t = pd.DataFrame({"events_t": [5] * 10, "n_t": [50] * 10, "events_c": [3] * 10, "n_c": [50] * 10})
    with pytest.raises(DataError, match="same standard error"):
        fmtrials.small_study_test(t, test="egger")

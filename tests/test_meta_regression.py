"""meta_regression() against R metafor 3.8 (tests/r/metafor_reference_2.R), brute force and edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _metafor2 import case_id, cases, table
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import fmtrials
from fmtrials import DataError
from fmtrials.meta._mreg import mfit

MREG = cases("meta_regression")


def _tol(c: dict) -> float:
    return 1e-5 if c["method"] in ("REML", "PM") else 1e-6


@pytest.mark.parametrize("c", MREG, ids=[case_id(c) for c in MREG])
def test_meta_regression_matches_metafor(c):
    r = fmtrials.meta_regression(
        table(c["dataset"]), c["moderators"], measure=c["measure"], method=c["method"], test=c["test"]
    )
    tol = _tol(c)
    co = r.coefficients
    assert r.k == c["k"] and len(co) == len(c["estimate"])
    for ours, theirs in (
        ("estimate", "estimate"),
        ("se", "se"),
        ("statistic", "statistic"),
        ("p_value", "p_value"),
        ("ci_low", "ci_low"),
        ("ci_high", "ci_high"),
    ):
        assert_allclose(co[ours].to_numpy(), c[theirs], rtol=tol, atol=tol, err_msg=ours)
    assert_allclose(
        [r.qm, r.qm_p, r.qe, r.qe_p, r.tau2, r.i2],
        [c["qm"], c["qm_p"], c["qe"], c["qe_p"], c["tau2"], c["i2"]],
        rtol=tol,
        atol=tol,
    )
    assert list(r.qm_df) == [int(x) for x in np.atleast_1d(c["qm_df"])]
    if c["r2"] is None:
        assert np.isnan(r.r2)
    else:
        assert r.r2 == pytest.approx(c["r2"], rel=tol, abs=tol)


def test_reference_file_records_versions_and_calls():
    from _metafor2 import reference

    ref = reference()
    assert ref["metafor_version"].startswith("3.8") and ref["r_version"].startswith("R version 4.2")
    assert all("calls" in c for c in ref["cases"])
    assert any("threshold=1e-12" in c["calls"].get("fit", "") for c in MREG)


def test_dose_regression_by_brute_force_weighted_least_squares():
    """Common-effect meta-regression equals weighted least squares written out by hand (np.linalg.lstsq)."""
    t = fmtrials.contrasts(endpoint="nausea")
    r = fmtrials.meta_regression(t, "dose_mg_day", measure="RR", method="IV")
    eff = fmtrials.effect_sizes(t, measure="RR")
    w = 1 / eff["vi"].to_numpy()
    X = np.column_stack([np.ones(len(t)), t["dose_mg_day"].to_numpy(dtype=float)])
    sw = np.sqrt(w)
    b = np.linalg.lstsq(X * sw[:, None], eff["yi"].to_numpy() * sw, rcond=None)[0]
    assert_allclose(r.coefficients["estimate"], b, rtol=1e-12)
    assert_allclose(r.coefficients["se"], np.sqrt(np.diag(np.linalg.inv((X * w[:, None]).T @ X))), rtol=1e-12)


def test_reml_maximises_the_restricted_likelihood():
    """The REML tau² is the maximiser of the restricted log-likelihood (grid search, independent of scoring)."""
    t = table("bcg")
    r = fmtrials.meta_regression(t, "ablat", measure="RR", method="REML")
    eff = fmtrials.effect_sizes(t, measure="RR")
    y, v = eff["yi"].to_numpy(), eff["vi"].to_numpy()
    X = np.column_stack([np.ones(len(y)), t["ablat"].to_numpy(dtype=float)])

    def ll(tau2):
        w = 1 / (v + tau2)
        A = (X * w[:, None]).T @ X
        b = np.linalg.solve(A, (X * w[:, None]).T @ y)
        return -0.5 * (np.log(v + tau2).sum() + np.linalg.slogdet(A)[1] + (w * (y - X @ b) ** 2).sum())

    grid = np.linspace(0, 0.2, 20001)
    best = grid[np.argmax([ll(g) for g in grid])]
    assert abs(r.tau2 - best) < 2e-5


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 40),
            st.integers(50, 80),
            st.integers(1, 40),
            st.integers(50, 80),
            st.floats(-5, 5, allow_nan=False),
        ),
        min_size=4,
        max_size=9,
    ),
    st.floats(-3, 3, allow_nan=False),
    st.floats(0.5, 4),
)
def test_invariant_under_shift_and_scale_of_the_moderator(rows, shift, scale):
    """Shifting/scaling a numeric moderator changes only the intercept and the slope's units: tau², QE, QM, the
    slope's z and p are unchanged (the model space is the same)."""
    t = pd.DataFrame(rows, columns=["events_t", "n_t", "events_c", "n_c", "x"])
    if np.ptp(t["x"]) < 1e-3:
        return
    t2 = t.assign(x=t["x"] * scale + shift)
    r1 = fmtrials.meta_regression(t, "x", method="DL")
    r2 = fmtrials.meta_regression(t2, "x", method="DL")
    assert r2.tau2 == pytest.approx(r1.tau2, rel=1e-7, abs=1e-10)
    assert r2.qm == pytest.approx(r1.qm, rel=1e-7, abs=1e-10)
    assert r2.coefficients["estimate"][1] * scale == pytest.approx(r1.coefficients["estimate"][1], rel=1e-7, abs=1e-12)


def test_zero_cells_use_the_package_convention():
    t = table("nielweise2007")
    r = fmtrials.meta_regression(t, "year", measure="OR")
    assert r.k == len(t) - 1 and len(r.excluded) == 1 and "double-zero" in r.notes[-1]


def test_constant_moderator_is_a_clear_error():
    t = fmtrials.contrasts(endpoint="nausea").assign(c=5.0)
    with pytest.raises(DataError, match="constant") as err:
        fmtrials.meta_regression(t, "c")
    assert err.value.problems[0].column == "c"


def test_missing_moderator_names_the_row():
    t = fmtrials.contrasts(endpoint="nausea").reset_index(drop=True)
    t.loc[2, "dose_mg_day"] = np.nan
    with pytest.raises(DataError) as err:
        fmtrials.meta_regression(t, "dose_mg_day")
    p = err.value.problems[0]
    assert (p.row, p.column) == (3, "dose_mg_day") and "missing" in p.message


@pytest.mark.parametrize(
    "mods, match", [("nope", "not in the table"), ([], "column names"), (["dose_mg_day", "dose_mg_day"], "collinear")]
)
def test_bad_moderators(mods, match):
    with pytest.raises(DataError, match=match):
        fmtrials.meta_regression(fmtrials.contrasts(endpoint="nausea"), mods)


def test_too_few_studies_for_the_coefficients():
    t = table("hine1989_k3").iloc[:2]
    with pytest.raises(DataError, match="cannot estimate"):
        fmtrials.meta_regression(t, "year")


def test_result_api():
    r = fmtrials.meta_regression(table("bcg"), ["alloc", "ablat"], measure="RR", test="knha")
    assert r.coefficients["term"].tolist() == ["intrcpt", "alloc[random]", "alloc[systematic]", "ablat"]
    assert r.to_frame() is not r.coefficients and r.to_dict()["qm_df"] == [3, 9]
    assert "Meta-regression" in r.summary() and "F(3, 9)" in str(r)
    pred = r.predict([[1, 0, 0, 40.0]])
    assert pred["ci_low"][0] < pred["pred"][0] < pred["ci_high"][0]


def test_engine_needs_no_k_by_k_matrix():
    """10,000 studies fit in well under a second (O(k p²), no k x k projection matrix)."""
    rng = np.random.default_rng(1)
    k = 10_000
    X = np.column_stack([np.ones(k), rng.normal(size=k)])
    v = rng.uniform(0.01, 0.1, k)
    y = 0.2 + 0.1 * X[:, 1] + rng.normal(0, np.sqrt(v + 0.05))
    f = mfit(y, v, X, "REML")
    assert f.tau2 == pytest.approx(0.05, rel=0.15)

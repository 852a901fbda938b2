"""pool_many (issue 27): every number equal to pool on each analysis, bad input reported per analysis; REML that
finds the maximum of the restricted likelihood where Fisher scoring cycles (checked against R metafor with tight
control and against a brute-force profile of the likelihood written here, independently of the package)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import optimize

import fmtrials
from fmtrials.meta import _core as core

REF = json.loads((Path(__file__).parent / "data" / "pool_many_reference.json").read_text())
CASES = REF["cases"]
COUNTS = ("events_t", "n_t", "events_c", "n_c")

# the pool result's numbers, by pool_many column
_POOL = {
    "k": lambda r: r.k,
    "estimate": lambda r: r.estimate,
    "ci_low": lambda r: r.ci_low,
    "ci_high": lambda r: r.ci_high,
    "p_value": lambda r: r.p_value,
    "beta": lambda r: r.beta,
    "se": lambda r: r.se,
    "statistic": lambda r: r.statistic,
    "df": lambda r: np.nan if r.df is None else r.df,
    "tau2": lambda r: r.heterogeneity.tau2,
    "q": lambda r: r.heterogeneity.q,
    "q_df": lambda r: r.heterogeneity.q_df,
    "q_p": lambda r: r.heterogeneity.q_p,
    "i2": lambda r: r.heterogeneity.i2,
    "i2_tau2": lambda r: r.heterogeneity.i2_tau2,
    "h2": lambda r: r.heterogeneity.h2,
    "pi_low": lambda r: r.prediction.pi_low,
    "pi_high": lambda r: r.prediction.pi_high,
}


def _table(case: dict) -> pd.DataFrame:
    return pd.DataFrame({c: case[c] for c in COUNTS})


def _pool(g: pd.DataFrame, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fmtrials.pool(g, **kw)


def assert_rows_equal_pool(frame: pd.DataFrame, res: pd.DataFrame, **kw) -> int:
    """Every analysis of ``frame``: pool_many's row equals pool on that analysis alone (1e-10, relative to
    max(1, |value|)), or both give no estimate. Returns the number of analyses compared."""
    n = 0
    for i, (key, g) in enumerate(frame.groupby("analysis", sort=False)):
        row = res.iloc[i]
        assert row["analysis"] == key
        try:
            p = _pool(g, **kw)
        except fmtrials.DataError:
            assert not row["converged"] and row["k"] == 0 and row["problem"], (key, kw)
            continue
        for col, get in _POOL.items():
            x, y = float(row[col]), float(get(p))
            if np.isnan(y):
                assert np.isnan(x), (key, col, kw, x)
            elif not np.isfinite(y):
                assert x == y, (key, col, kw, x, y)
            else:
                assert abs(x - y) <= 1e-10 * max(1.0, abs(y)), (key, col, kw, x, y)
        assert bool(row["converged"]) == bool(np.isfinite(p.beta))
        n += 1
    return n


# ------------------------------------------------------------------------------ brute-force REML profile
def reml_loglik(tau2: float, y: np.ndarray, v: np.ndarray) -> float:
    """The restricted log-likelihood of the random-effects model, from the matrices (Harville 1977):
    -1/2 [log|V| + log|X'V^-1 X| + (y - X b)' V^-1 (y - X b)] with V = diag(v + tau2), X = 1 (constants dropped)."""
    Vm = np.diag(v + tau2)
    Vi = np.linalg.inv(Vm)
    X = np.ones((len(y), 1))
    XtViX = X.T @ Vi @ X
    b = np.linalg.solve(XtViX, X.T @ Vi @ y)
    r = y - X @ b
    return float(-0.5 * (np.linalg.slogdet(Vm)[1] + np.linalg.slogdet(XtViX)[1] + r @ Vi @ r))


def brute_force_reml(y: np.ndarray, v: np.ndarray) -> float:
    """Maximise the restricted likelihood over tau² in [0, 10 (var(y) + max v)]: a dense grid of 4001 points,
    then bounded scalar minimisation between the neighbours of the best grid point (0 if that is best)."""
    top = 10 * (np.var(y) + v.max())
    grid = np.linspace(0.0, top, 4001)
    ll = np.array([reml_loglik(t, y, v) for t in grid])
    j = int(np.argmax(ll))
    lo, hi = grid[max(j - 1, 0)], grid[min(j + 1, len(grid) - 1)]
    r = optimize.minimize_scalar(lambda t: -reml_loglik(t, y, v), bounds=(lo, hi), method="bounded",
                                 options={"xatol": 1e-14})  # fmt: skip
    return 0.0 if j == 0 and -r.fun <= ll[0] else float(r.x)


# ----------------------------------------------------------------------- the analyses where REML cycled
def synthetic_counts(seed: int, n: int = 10_000, k: int = 10) -> tuple[np.ndarray, ...]:
    """The generator the fixtures were found with: ``n`` binary meta-analyses of ``k`` studies (arm sizes 10-299,
    control risk 2-60%, log RR N(0, 0.4²) plus a between-study SD of 0, 0.1, 0.3 or 0.6). With fmtrials 0.1.0,
    pool(measure="RR", method="REML") raised ConvergenceError on analyses 4350 and 6143 of seed 1 and 5865,
    7123 and 8748 of seed 2 (and on no other of these 20,000)."""
    rng = np.random.default_rng(seed)
    n1 = rng.integers(10, 300, size=(n, k))
    n2 = rng.integers(10, 300, size=(n, k))
    pc = rng.uniform(0.02, 0.6, size=(n, 1)) * np.ones((1, k))
    tau = rng.choice([0.0, 0.1, 0.3, 0.6], size=(n, 1))
    lrr = rng.normal(0, 0.4, size=(n, 1)) + tau * rng.normal(size=(n, k))
    a = rng.binomial(n1, np.clip(pc * np.exp(lrr), 0, 0.99))
    c = rng.binomial(n2, pc)
    return a, n1, c, n2


def test_fixtures_are_the_generated_analyses():
    for seed in (1, 2):
        a, n1, c, n2 = synthetic_counts(seed)
        for name, case in CASES.items():
            s, i = name.removeprefix("seed").split("_")
            if int(s) == seed:
                got = [x[int(i)].tolist() for x in (a, n1, c, n2)]
                assert got == [case[col] for col in COUNTS]


@pytest.mark.parametrize("name", sorted(CASES))
def test_reml_that_cycled_converges_to_the_restricted_maximum(name):
    # fmtrials 0.1.0 raised ConvergenceError on these (Fisher scoring cycled for 1000 iterations), as metafor
    # does with its default control; metafor with halved steps and 1000 iterations converges
    case = CASES[name]
    assert not case["reml_default"]["converged"]
    r = fmtrials.pool(_table(case), measure="RR", method="REML")
    y, v = np.array(case["yi"]), np.array(case["vi"])
    h = r.heterogeneity
    assert r.tau2_method == "REML" and not any("converge" in n for n in r.notes)
    tight = case["reml_tight"]
    assert tight["converged"]
    assert h.tau2 == pytest.approx(tight["tau2"], rel=1e-8)
    assert r.beta == pytest.approx(tight["beta"], rel=1e-8, abs=1e-10)
    assert r.se == pytest.approx(tight["se"], rel=1e-8)
    assert (r.ci_low, r.ci_high) == pytest.approx((np.exp(tight["ci_lb"]), np.exp(tight["ci_ub"])), rel=1e-8)
    assert h.i2_tau2 == pytest.approx(tight["I2"], rel=1e-8)
    # the maximum of the restricted likelihood, found independently of the package
    brute = brute_force_reml(y, v)
    assert h.tau2 == pytest.approx(brute, rel=1e-6)
    assert reml_loglik(h.tau2, y, v) >= reml_loglik(brute, y, v) - 1e-12
    assert reml_loglik(h.tau2, y, v) - reml_loglik(0.0, y, v) > 0.01  # not the boundary (the old DL fallback: 0)
    # metafor's restricted log-likelihood (it keeps the constants -(k - 1)/2 log 2 pi and 1/2 log |X'X|)
    const = -0.5 * (len(y) - 1) * np.log(2 * np.pi) + 0.5 * np.log(len(y))
    assert reml_loglik(h.tau2, y, v) + const == pytest.approx(tight["ll_reml"], abs=1e-9)
    # Paule-Mandel, bracketed exactly
    pm = fmtrials.pool(_table(case), measure="RR", method="PM").heterogeneity.tau2
    assert pm == pytest.approx(case["pm"]["tau2"], abs=1e-12)


def test_pool_many_on_the_cycling_analyses_equals_pool():
    frame = pd.concat([_table(c).assign(analysis=n) for n, c in CASES.items()], ignore_index=True)
    for test in ("z", "hksj"):
        res = fmtrials.pool_many(frame, measure="RR", method="REML", test=test)
        assert res["converged"].all() and (res["problem"] == "").all()
        assert assert_rows_equal_pool(frame, res, measure="RR", method="REML", test=test) == len(CASES)
        assert res["tau2"].to_numpy() == pytest.approx([CASES[n]["reml_tight"]["tau2"] for n in res["analysis"]])


def test_reml_search_takes_over_and_keeps_the_boundary_exact():
    # effects closer together than their variances allow: the maximum is at tau² = 0, returned as exactly 0
    y, v = np.array([0.10, 0.11, 0.09, 0.12]), np.array([0.05, 0.04, 0.06, 0.05])
    assert core.reml_score(0.0, y, v)[0] < 0
    assert core.reml_search(y, v) == 0.0
    assert core.tau2_reml(y, v, tol=1e-12, maxiter=0) == (0.0, 1)  # no Fisher step: the search alone
    assert brute_force_reml(y, v) == 0.0
    # an interior maximum: the search (Fisher cut short) and full Fisher scoring agree with the brute force
    case = CASES["seed1_4350"]
    y, v = np.array(case["yi"]), np.array(case["vi"])
    assert core.tau2_reml(y, v, tol=1e-12, maxiter=3)[0] == pytest.approx(brute_force_reml(y, v), rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-3, 3), min_size=2, max_size=12),
    st.lists(st.floats(1e-3, 5), min_size=12, max_size=12),
)
def test_upper_bound_holds_no_maximum_and_no_pm_root_above_it(ys, vs):
    y, v = np.array(ys), np.array(vs[: len(ys)])
    u = core.tau2_upper(y, v)
    for t in (u, 2 * u, 10 * u + 1):
        assert core.reml_score(t, y, v)[0] < 0
        assert core.q_gen(t, y, v) < len(y) - 1
    t = core.tau2_reml(y, v, tol=1e-12, maxiter=100)[0]
    assert 0.0 <= t <= u


# --------------------------------------------------------------------------------- pool_many = pool
def _random_frame(seed: int, n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(n):
        pc = rng.uniform(0.0, 0.5)
        for _ in range(int(rng.integers(1, 8))):
            n1, n2 = (int(x) for x in rng.integers(3, 80, 2))
            pt = min(1.0, pc * np.exp(rng.normal(0, 0.7)))
            rows.append((f"A{a}", int(rng.binomial(n1, pt)), n1, int(rng.binomial(n2, pc)), n2))
    rows += [("all-double-zero", 0, 10, 0, 12), ("all-double-zero", 0, 9, 0, 8)]
    rows += [("no-control-events", 3, 10, 0, 12), ("no-control-events", 2, 9, 0, 8)]
    rows += [("identical", 5, 20, 5, 20), ("identical", 5, 20, 5, 20)]
    return pd.DataFrame(rows, columns=["analysis", *COUNTS])


_COMBOS = [
    (m, meth, t)
    for m in ("RR", "OR", "RD")
    for meth in ("MH", "IV", "Peto", "DL", "REML", "PM", "MH-DL")
    for t in ("z", "hksj", "hksj-adhoc")
    if not (meth == "Peto" and m != "OR") and not (t != "z" and meth in ("MH", "Peto"))
]


@pytest.mark.parametrize(("measure", "method", "test"), _COMBOS)
def test_pool_many_equals_pool_on_each_analysis(measure, method, test):
    frame = _random_frame(7)
    for pi in ("hts", "metafor"):
        kw = dict(measure=measure, method=method, test=test, pi_method=pi, alpha=0.1)
        res = fmtrials.pool_many(frame, **kw)
        assert list(res["analysis"]) == list(pd.unique(frame["analysis"]))
        assert assert_rows_equal_pool(frame, res, **kw) >= 40


@st.composite
def _frames(draw):
    rows = []
    for a in range(draw(st.integers(1, 5))):
        for _ in range(draw(st.integers(1, 6))):
            n1, n2 = draw(st.integers(1, 60)), draw(st.integers(1, 60))
            rows.append((a, draw(st.integers(0, n1)), n1, draw(st.integers(0, n2)), n2))
    method = draw(st.sampled_from(("MH", "IV", "Peto", "DL", "REML", "PM", "MH-DL")))
    measure = "OR" if method == "Peto" else draw(st.sampled_from(("RR", "OR", "RD")))
    test = "z" if method in ("MH", "Peto") else draw(st.sampled_from(("z", "hksj", "hksj-adhoc")))
    return pd.DataFrame(rows, columns=["analysis", *COUNTS]), dict(measure=measure, method=method, test=test)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_frames())
def test_property_pool_many_equals_pool(drawn):
    frame, kw = drawn
    assert_rows_equal_pool(frame, fmtrials.pool_many(frame, **kw), **kw)


def test_effects_given_as_yi_vi_pool_as_the_counts():
    frame = _random_frame(3, n=15)
    frame = frame[~frame["analysis"].isin(["all-double-zero"])]
    eff = fmtrials.effect_sizes(frame, measure="OR")
    yv = eff[["analysis", "yi", "vi"]].dropna()
    for method in ("IV", "DL", "REML", "PM"):
        a = fmtrials.pool_many(frame, measure="OR", method=method, test="hksj")
        b = fmtrials.pool_many(yv, measure="OR", method=method, test="hksj")
        a = a[a["analysis"].isin(b["analysis"])].reset_index(drop=True)
        cols = ["analysis", "k", "estimate", "ci_low", "ci_high", "p_value", "tau2", "q", "i2", "pi_low", "pi_high"]
        assert len(b) >= 14
        pd.testing.assert_frame_equal(a[cols], b[cols], rtol=1e-10, atol=1e-12)
    # a mean difference needs no counts (DerSimonian-Laird by hand); MH does
    y, v = np.array([1.0, 2.0, 0.5, 3.0]), np.array([0.3, 0.2, 0.4, 0.1])
    md = pd.DataFrame({"analysis": "x", "yi": y, "vi": v})
    r = fmtrials.pool_many(md, measure="RD", method="DL").iloc[0]
    w = 1 / v
    q = np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2)
    tau2 = max(0.0, (q - 3) / (w.sum() - np.sum(w**2) / w.sum()))
    ws = 1 / (v + tau2)
    assert r["converged"] and r["tau2"] == pytest.approx(tau2) and tau2 > 0
    assert r["estimate"] == pytest.approx(np.sum(ws * y) / ws.sum()) and r["se"] == pytest.approx(ws.sum() ** -0.5)
    r = fmtrials.pool_many(md, measure="RD", method="MH").iloc[0]
    assert not r["converged"] and "MH pools counts" in r["problem"] and np.isnan(r["estimate"])


# ---------------------------------------------------------------------------------- bad input per analysis
def test_bad_input_is_reported_per_analysis_and_the_others_are_pooled():
    good = [("good", "S1", 73, 224, 47, 223, "RR"), ("good", "S2", 189, 516, 106, 509, "RR"),
            ("good", "S3", 18, 85, 6, 21, "RR")]  # fmt: skip
    frame = pd.DataFrame(
        good
        + [
            ("empty", "S1", 0, 10, 0, 12, "RR"),  # double-zero only: k = 0
            ("empty", "S2", 0, 9, 0, 8, "RR"),
            ("single", "S1", 40, 224, 8, 223, "RR"),  # one study
            ("dup", "S1", 40, 224, 8, 223, "RR"),  # a study id twice
            ("dup", "S1", 30, 200, 9, 210, "RR"),
            ("dup", "S2", 30, 200, 9, 210, "RR"),
            ("mixed", "S1", 40, 224, 8, 223, "RR"),  # two measures
            ("mixed", "S2", 30, 200, 9, 210, "OR"),
            ("badcount", "S1", 40, 24, 8, 223, "RR"),  # events > n
            ("badcount", "S2", 30, 200, 9, 210, "RR"),
            ("nomeasure", "S1", 30, 200, 9, 210, "HR"),
        ],
        columns=["analysis", "study", *COUNTS, "measure"],
    )
    res = fmtrials.pool_many(frame, method="REML").set_index("analysis")
    assert res.loc["good", "converged"] and res.loc["good", "problem"] == ""
    assert res.loc["good", "estimate"] == pytest.approx(_pool(frame.iloc[:3], measure="RR", method="REML").estimate)
    assert not res.loc["empty", "converged"] and res.loc["empty", "k"] == 0
    assert "nothing to pool" in res.loc["empty", "problem"]
    one = res.loc["single"]
    assert one["converged"] and one["k"] == 1 and "one study" in one["problem"] and np.isnan(one["q"])
    assert one["estimate"] == pytest.approx((40 / 224) / (8 / 223))
    assert (
        not res.loc["dup", "converged"]
        and "S1" in res.loc["dup", "problem"]
        and "more than once" in res.loc["dup", "problem"]
    )
    assert not res.loc["mixed", "converged"] and "mixed measures" in res.loc["mixed", "problem"]
    assert "OR, RR" in res.loc["mixed", "problem"]
    bad = res.loc["badcount"]
    assert not bad["converged"] and "row 12" in bad["problem"] and "events_t" in bad["problem"]
    assert not res.loc["nomeasure", "converged"] and "'HR'" in res.loc["nomeasure", "problem"]
    for a in ("empty", "dup", "mixed", "badcount", "nomeasure"):
        assert res.loc[a, ["estimate", "ci_low", "ci_high", "p_value", "tau2"]].isna().all()
    # no row has neither counts nor effects
    holes = pd.DataFrame({"analysis": ["a", "a", "b", "b"], "events_t": [3, np.nan, 3, 4], "n_t": [10, 10, 10, 10],
                          "events_c": [1, 2, 1, 2], "n_c": [10, 10, 10, 10]})  # fmt: skip
    r = fmtrials.pool_many(holes, measure="RR", method="DL").set_index("analysis")
    assert not r.loc["a", "converged"] and "row 2" in r.loc["a", "problem"] and r.loc["b", "converged"]


def test_whole_table_problems_raise():
    t = pd.DataFrame({"analysis": ["a", None], "events_t": [1, 2], "n_t": [5, 5], "events_c": [1, 2], "n_c": [5, 5]})
    with pytest.raises(fmtrials.DataError, match="row 2.*missing analysis id"):
        fmtrials.pool_many(t)
    with pytest.raises(fmtrials.DataError, match="'trial' not in the table"):
        fmtrials.pool_many(t, analysis="trial")
    with pytest.raises(fmtrials.DataError, match="not both"):
        fmtrials.pool_many(t.assign(analysis="a", measure="RR"), measure="OR")
    with pytest.raises(fmtrials.DataError, match="Peto"):
        fmtrials.pool_many(t.assign(analysis="a"), measure="RR", method="Peto")
    with pytest.raises(fmtrials.DataError, match="DataFrame"):
        fmtrials.pool_many([1, 2])


def test_readme_example_runs_and_equals_pool():
    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = text.split("**Many meta-analyses at once.**", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    ns: dict = {}
    exec(block, ns)
    res, table = ns["res"], ns["table"]
    assert list(res["endpoint"]) == ["nausea", "headache", "dizziness", "constipation", "pain_30"]
    assert res["converged"].all() and "one study" in res.set_index("endpoint").loc["pain_30", "problem"]
    table = table.rename(columns={"analysis": "population_analysis", "endpoint": "analysis"})
    assert_rows_equal_pool(
        table, res.rename(columns={"endpoint": "analysis"}), measure="RR", method="REML", test="hksj"
    )
    nausea = res.set_index("endpoint").loc["nausea"]
    assert (round(nausea["estimate"], 2), round(nausea["ci_low"], 2), round(nausea["ci_high"], 2)) == (1.69, 1.2, 2.37)


@pytest.mark.slow
def test_ten_thousand_analyses_of_ten_equal_pool_on_each():
    # issue 27's "done when": 10,000 synthetic analyses of k = 10 with REML (seed 1 holds two on which Fisher
    # scoring cycles), every number of pool_many equal to pool on the analysis alone
    a, n1, c, n2 = synthetic_counts(1)
    n, k = a.shape
    frame = pd.DataFrame(
        {"analysis": np.repeat(np.arange(n), k), "events_t": a.ravel(), "n_t": n1.ravel(),
         "events_c": c.ravel(), "n_c": n2.ravel()}
    )  # fmt: skip
    res = fmtrials.pool_many(frame, measure="RR", method="REML")
    assert res["converged"].all()
    assert assert_rows_equal_pool(frame, res, measure="RR", method="REML") == n


@pytest.mark.parametrize("name", ["bcg_no_events", "bcg_all_events", "bcg_both"])
def test_pool_many_mh_counts_every_table_as_rma_mh(name):
    """rma.mh's k counts every table, double-zero and all-event ones included, while Q's df counts only the
    tables with a per-study effect (tests/data/mh_edge_reference.json, R metafor 3.8-1)."""
    import json
    from pathlib import Path

    ref = json.loads((Path(__file__).parent / "data" / "mh_edge_reference.json").read_text())
    table = pd.DataFrame(ref["data"][name]).assign(analysis=name)
    for case in (c for c in ref["cases"] if c["data"] == name):
        row = fmtrials.pool_many(table, measure=case["measure"], method="MH").iloc[0]
        assert row["k"] == case["k"], (name, case["measure"])
        assert row["q_df"] == case["k_yi"] - 1, (name, case["measure"])
        if case["QE"] is not None and case["k_yi"] > 1:
            assert row["q"] == pytest.approx(case["QE"], rel=1e-6)

"""network_meta() with continuous outcomes (MD, SMD), netmeta's DL and netsplit with multi-arm trials.

Outside references:

* R metafor ``rma.mv`` (tests/r/network_split_reference.R -> tests/data/network_split_reference.json): common,
  DL (netmeta's tau², fixed) and REML fits of dat.senn2013 (metadat; a three-arm study), of the Parkinson network
  Stowe2010 (netmeta's data set; a three-arm study) and of dat.hasselblad1998, with netmeta's back-calculation
  (netsplit) and the P-scores computed in R from rma.mv's coefficients and vcov.
* netmeta's printed output for the Parkinson network: Balduzzi S, Rücker G, Nikolakopoulou A, Papakonstantinou T,
  Salanti G, Efthimiou O, Schwarzer G (2023). netmeta: An R package for network meta-analysis using frequentist
  methods. J Stat Softw 106(2):1-40, doi:10.18637/jss.v106.i02, section 5.1 (``net1 <- netmeta(pw1, common =
  FALSE, ref = "plac")`` on ``pairwise(..., mean, sd, n, data = Stowe2010)``, i.e. MD with netmeta's default DL);
  the article is netmeta's vignette, github.com/guido-s/netmeta, vignettes/netmeta.pdf (netmeta 3.6-2). The
  data, netmeta's data/Stowe2010.rda of the same repository, are tests/data/stowe2010_arms.csv.
* netmeta's DL formula in its own (graph-theoretical) form, implemented below with numpy from netmeta's
  R/nma.ruecker.R and R/multiarm.R, not from fmtrials' code.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import fmtrials
from fmtrials import DataError

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "network_split_reference.json").read_text())
CASES = [(name, m) for name in REF["cases"] for m in ("common", "DL", "REML")]
TOL = 1e-6
RATIO = {"OR", "RR"}


def _data(name: str) -> pd.DataFrame:
    return pd.DataFrame(REF["datasets"][name])


def _fit(name: str, method: str):
    c = REF["cases"][name]
    return c, fmtrials.network_meta(_data(c["data"]), measure=c["measure"], reference=c["reference"], method=method)


def _scale(x, measure):
    return np.log(x) if measure in RATIO else np.asarray(x, dtype=float)


@pytest.mark.parametrize(("name", "method"), CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_network_matches_metafor_rma_mv(name, method):
    c, r = _fit(name, method)
    ref = c["fits"][method]
    re_ = r.relative_effects().set_index("treatment").loc[ref["treatment"]]
    m = c["measure"]
    assert_allclose(_scale(re_["estimate"], m), ref["estimate"], atol=TOL, err_msg="estimate")
    assert_allclose(re_["se"], ref["se"], atol=TOL, err_msg="se")
    assert_allclose(_scale(re_["ci_low"], m), ref["ci_low"], atol=TOL, err_msg="ci_low")
    assert_allclose(_scale(re_["ci_high"], m), ref["ci_high"], atol=TOL, err_msg="ci_high")
    assert r.tau2 == pytest.approx(ref["tau2"], abs=TOL)
    assert r.q == pytest.approx(ref["q"], abs=TOL) and r.q_df == ref["q_df"]
    idx = [r.treatments.index(t) for t in ref["treatment"]]
    assert_allclose(r.cov[np.ix_(idx, idx)], np.array(ref["vcov"]), atol=TOL)
    # P-scores from rma.mv's coefficients and vcov (Rücker & Schwarzer 2015), larger effect better
    ps = r.p_scores(event="beneficial").set_index("treatment")["p_score"]
    assert_allclose([ps[t] for t in ref["p_scores"]], list(ref["p_scores"].values()), atol=TOL)


SPLIT_CASES = [(n, m) for n, m in CASES if "SMD" not in n]


@pytest.mark.parametrize(("name", "method"), SPLIT_CASES, ids=[f"{n}-{m}" for n, m in SPLIT_CASES])
def test_split_matches_netmeta_back_calculation_in_r(name, method):
    c, r = _fit(name, method)
    ref = [row for row in c["fits"][method]["split"] if "indirect" in row]
    sp = r.split()
    assert len(sp) == len(ref) and set(sp["method"]) == {"back-calculation"}
    sp = sp.set_index(["treatment", "versus"])
    for row in ref:
        got = sp.loc[(row["treatment"], row["versus"])]
        assert got["k_direct"] == row["k_direct"]
        for col in ("nma", "nma_se", "direct", "direct_se", "direct_share", "indirect", "indirect_se", "diff"):
            assert got[col] == pytest.approx(row[col], abs=TOL), col
        assert got["diff_se"] == pytest.approx(row["diff_se"], abs=TOL)
        assert got["z"] == pytest.approx(row["z"], abs=TOL) and got["p"] == pytest.approx(row["p"], abs=TOL)


def test_multi_arm_networks_are_split_where_a_multi_arm_trial_holds_both_treatments():
    # hasselblad1998 has two three-arm studies; stowe2010's LARGO is the only COMTI-MAOBI evidence
    _, r = _fit("stowe2010_MD", "DL")
    row = r.split().set_index(["treatment", "versus"]).loc[("COMTI", "MAOBI")]
    assert row["k_direct"] == 1 and row["direct"] == pytest.approx(-1.20 - -1.18, abs=1e-12)


# --------------------------------------------------------------------------------- netmeta's printed output
# Balduzzi et al. 2023 (J Stat Softw 106(2)), section 5.1, random effects model (netmeta's DL), printed digits
JSS_RANDOM = {  # treatment vs Placebo: MD [95%-CI]
    "COMTI": (-0.95, -1.27, -0.63),
    "Dopamine Agonist": (-1.49, -1.86, -1.12),
    "MAOBI": (-1.03, -1.56, -0.50),
}
JSS_FOREST = {  # figure 5: active treatment vs other
    ("COMTI", "Dopamine Agonist"): (0.55, 0.06, 1.04),
    ("COMTI", "MAOBI"): (0.09, -0.49, 0.67),
    ("Dopamine Agonist", "MAOBI"): (-0.46, -1.11, 0.19),
    ("MAOBI", "COMTI"): (-0.09, -0.67, 0.49),
}
JSS_PSCORES = {"Dopamine Agonist": 0.9677, "MAOBI": 0.5664, "COMTI": 0.4659, "Placebo": 0.0000}
JSS_NETSPLIT = {  # comparison: k, prop, nma, direct, indir., Diff, z, p-value
    ("COMTI", "MAOBI"): (1, 0.44, 0.09, -0.02, 0.17, -0.19, -0.33, 0.7450),
    ("COMTI", "Placebo"): (12, 0.98, -0.95, -0.93, -1.65, 0.72, 0.66, 0.5071),
    ("MAOBI", "Placebo"): (3, 0.90, -1.03, -1.03, -1.08, 0.05, 0.06, 0.9544),
}


def _printed(x: float, digits: int) -> float:
    return float(f"{x:.{digits}f}") + 0.0


def test_dl_equals_netmetas_published_parkinson_output():
    """netmeta's printout of net1 (Balduzzi et al. 2023, J Stat Softw 106(2), §5.1, pp. 19-25), digit for digit."""
    arms = pd.read_csv(DATA / "stowe2010_arms.csv")
    r = fmtrials.network_meta(arms, measure="MD", reference="Placebo", method="DL")
    assert r.measure == "MD" and r.k == 29 and len(r.designs) == 4
    # tau^2 = 0.1518; tau = 0.3896; I^2 = 43.9%
    assert _printed(r.tau2, 4) == 0.1518 and _printed(math.sqrt(r.tau2), 4) == 0.3896
    assert _printed(100 * (r.q - r.q_df) / r.q, 1) == 43.9
    # Total 48.15 27 0.0074; within designs 46.91 25 0.0050; between designs 1.24 2 0.5376
    d = r.decomposition
    assert (_printed(r.q, 2), r.q_df, _printed(r.q_p, 4)) == (48.15, 27, 0.0074)
    assert (_printed(d["q_within"], 2), d["q_within_df"], _printed(d["q_within_p"], 4)) == (46.91, 25, 0.0050)
    assert (_printed(d["q_between"], 2), d["q_between_df"], _printed(d["q_between_p"], 4)) == (1.24, 2, 0.5376)
    lg = r.league().set_index(["treatment", "versus"])
    for t, want in JSS_RANDOM.items():
        got = lg.loc[(t, "Placebo"), ["estimate", "ci_low", "ci_high"]]
        assert tuple(_printed(x, 2) for x in got) == want, t
    for pair, want in JSS_FOREST.items():
        assert tuple(_printed(x, 2) for x in lg.loc[pair, ["estimate", "ci_low", "ci_high"]]) == want, pair
    # netrank(net1): small values are good (off-time reduction), i.e. event="harmful"
    ps = r.p_scores(event="harmful").set_index("treatment")["p_score"]
    assert {t: _printed(ps[t], 4) for t in JSS_PSCORES} == JSS_PSCORES
    sp = r.split().set_index(["treatment", "versus"])
    assert len(sp) == len(JSS_NETSPLIT)
    for pair, (k, prop, nma, direct, ind, diff, z, p) in JSS_NETSPLIT.items():
        row = sp.loc[pair]
        assert row["k_direct"] == k
        got = [_printed(row[c], 2) for c in ("direct_share", "nma", "direct", "indirect", "diff", "z")]
        assert got == [prop, nma, direct, ind, diff, z], pair
        assert _printed(row["p"], 4) == p


def _netmeta_dl(arms: pd.DataFrame, treatments: list[str]) -> tuple[float, float]:
    """(Q, tau²) by netmeta's own route: every pairwise contrast of every study (pairwise()), the reduced
    weights of a multi-arm study (R/multiarm.R: minus the off-diagonal of the study's Laplacian, the
    pseudo-inverse of its pairwise-variance geometry), the graph Laplacian, the hat matrix and R/nma.ruecker.R's
    tau2 = max(0, (Q - df) / tr((I - H) (B B' * E / 2) W))."""
    idx = {t: i for i, t in enumerate(treatments)}
    edges, weights, te, study = [], [], [], []
    n_contr = 0
    for s, g in arms.groupby("study", sort=False):
        t, m, v = g["treatment"].tolist(), g["mean"].to_numpy(), (g["sd"] ** 2 / g["n"]).to_numpy()
        p = len(t)
        n_contr += p - 1
        # multiarm(): from the pairwise variances V_ij = v_i + v_j, the study Laplacian is the pseudo-inverse of
        # -1/2 (V - row means - column means + grand mean) (Rücker 2012, section 4); weights = -off-diagonal
        V = v[:, None] + v[None, :]
        np.fill_diagonal(V, 0.0)
        J = np.eye(p) - np.full((p, p), 1 / p)
        Lst = np.linalg.pinv(-0.5 * J @ V @ J)
        for i in range(p):
            for j in range(i + 1, p):
                edges.append((idx[t[i]], idx[t[j]]))
                weights.append(-Lst[i, j])
                te.append(m[i] - m[j])
                study.append(s)
    M, T = len(edges), len(treatments)
    B = np.zeros((M, T))
    for k, (i, j) in enumerate(edges):
        B[k, i], B[k, j] = 1, -1
    W, TE = np.diag(weights), np.array(te)
    E = (np.array(study)[:, None] == np.array(study)[None, :]).astype(float)
    H = B @ np.linalg.pinv(B.T @ W @ B) @ B.T @ W
    res = TE - H @ TE
    Q = float(res @ W @ res)
    df = n_contr - (T - 1)
    return Q, max(0.0, (Q - df) / float(np.trace((np.eye(M) - H) @ (B @ B.T * E / 2) @ W)))


def test_dl_tau2_equals_netmetas_graph_theoretical_formula_with_three_and_four_arm_studies():
    stowe = pd.read_csv(DATA / "stowe2010_arms.csv")
    rng = np.random.default_rng(20261206)
    rows = []
    designs = [["P", "A"], ["P", "B"], ["A", "B"], ["P", "A", "B"], ["P", "A", "B", "C"], ["P", "C"], ["B", "C"]]
    for s in range(21):
        for t in designs[s % len(designs)]:
            rows.append(
                {
                    "study": f"s{s}",
                    "treatment": t,
                    "mean": rng.normal({"P": 0, "A": -1, "B": -0.5, "C": -1.5}[t], 0.6),
                    "sd": rng.uniform(1, 3),
                    "n": int(rng.integers(10, 200)),
                }
            )
    synth = pd.DataFrame(rows)
    for arms, ref in ((stowe, "Placebo"), (synth, "P")):
        r = fmtrials.network_meta(arms, measure="MD", reference=ref, method="DL")
        q, tau2 = _netmeta_dl(arms, r.treatments)
        assert r.q == pytest.approx(q, rel=1e-10)
        assert tau2 > 0 and r.tau2 == pytest.approx(tau2, rel=1e-9)


def test_md_contrast_input_equals_metafor_for_two_arm_studies():
    c = REF["cases"]["senn2013_two_arm_MD"]
    arms = _data(c["data"])
    rows = []
    for s, g in arms.groupby("study", sort=False):
        m, v = g["mean"].to_numpy(), (g["sd"] ** 2 / g["n"]).to_numpy()
        rows.append(
            {
                "study": s,
                "treatment": g["treatment"].iloc[1],
                "versus": g["treatment"].iloc[0],
                "yi": m[1] - m[0],
                "se": math.sqrt(v.sum()),
            }
        )
    for method in ("common", "REML"):
        r = fmtrials.network_meta(pd.DataFrame(rows), measure="MD", reference="placebo", method=method)
        ref = c["fits"][method]
        re_ = r.relative_effects().set_index("treatment").loc[ref["treatment"]]
        assert_allclose(re_["estimate"], ref["estimate"], atol=TOL)
        assert_allclose(re_["ci_low"], ref["ci_low"], atol=TOL)
        assert r.tau2 == pytest.approx(ref["tau2"], abs=TOL)
        assert "mean difference" in r.summary()


def test_measure_defaults_to_md_for_means_and_is_checked_against_the_input():
    arms = pd.read_csv(DATA / "stowe2010_arms.csv")
    assert fmtrials.network_meta(arms, reference="Placebo", method="common").measure == "MD"
    with pytest.raises(DataError, match="measure"):
        fmtrials.network_meta(arms, measure="OR", reference="Placebo")
    counts = pd.DataFrame({"study": ["s", "s"], "treatment": ["placebo", "A"], "events": [1, 2], "n": [9, 9]})
    with pytest.raises(DataError, match="measure"):
        fmtrials.network_meta(counts, measure="MD")
    # estimates of MD are not exponentiated
    r = fmtrials.network_meta(arms, reference="Placebo", method="common")
    assert r.relative_effects()["estimate"].lt(0).all()


def test_smd_refuses_a_multi_arm_study_naming_it():
    arms = _data("senn2013")
    with pytest.raises(DataError) as e:
        fmtrials.network_meta(arms, measure="SMD", reference="placebo")
    assert "study 'Willms (1999)' has 3 arms" in str(e.value) and len(e.value.problems) == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"sd": 0.0}, ["study 'a', treatment 'A'", "column 'sd'", "standard deviation must be > 0"]),
        ({"sd": -1.0}, ["study 'a', treatment 'A'", "standard deviation must be > 0"]),
        ({"n": 1}, ["study 'a', treatment 'A'", "column 'n'", "at least 2"]),
        ({"mean": None}, ["study 'a', treatment 'A'", "column 'mean'", "missing mean"]),
        ({"mean": "x"}, ["study 'a', treatment 'A'", "column 'mean'", "not a number"]),
        ({"n": 10.5}, ["study 'a', treatment 'A'", "whole number"]),
    ],
)
def test_bad_means_are_refused_naming_study_treatment_and_column(change, words):
    arms = pd.DataFrame(
        {
            "study": ["a", "a", "b", "b"],
            "treatment": ["P", "A", "P", "A"],
            "mean": [0.0, 1.0, 0.5, 1.5],
            "sd": [1.0, 1.2, 1.1, 0.9],
            "n": [20, 20, 30, 30],
        }
    ).astype(object)
    for col, v in change.items():
        arms.loc[1, col] = v
    with pytest.raises(DataError) as e:
        fmtrials.network_meta(arms, reference="P")
    msg = str(e.value)
    for w in words:
        assert w in msg
    assert "row 2" in msg


def test_every_problem_of_a_bad_means_frame_is_listed_at_once():
    arms = pd.DataFrame(
        {
            "study": ["a", "a", "b", "b", "c"],
            "treatment": ["P", "A", "P", "P", "A"],
            "mean": [0.0, None, 0.5, 1.5, 1.0],
            "sd": [1.0, 1.2, 0.0, 0.9, 1.0],
            "n": [20, 20, 30, 30, 12],
        }
    )
    with pytest.raises(DataError) as e:
        fmtrials.network_meta(arms, reference="P")
    msg = str(e.value)
    assert len(e.value.problems) == 4
    assert "missing mean" in msg and "standard deviation must be > 0" in msg
    assert "duplicated arm: study 'b', treatment 'P'" in msg and "study 'c' has one arm" in msg


def test_smd_two_arm_network_is_hedges_g_of_each_study():
    c = REF["cases"]["senn2013_two_arm_SMD"]
    arms = _data(c["data"])
    r = fmtrials.network_meta(arms, measure="SMD", reference="placebo", method="common")
    # one study's g by hand (Hedges' exact J, escalc's variance): a study alone identifies its contrast
    g = arms[arms["study"] == arms["study"].iloc[0]]
    (m1, m2), (s1, s2), (n1, n2) = g["mean"].to_numpy(), g["sd"].to_numpy(), g["n"].to_numpy()
    mdf = n1 + n2 - 2
    j = math.exp(math.lgamma(mdf / 2) - math.log(math.sqrt(mdf / 2)) - math.lgamma((mdf - 1) / 2))
    sp = math.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / mdf)
    one = fmtrials.network_meta(g, measure="SMD", reference=g["treatment"].iloc[0], method="common")
    est = one.relative_effects()["estimate"].iloc[0]
    assert est == pytest.approx(j * (m2 - m1) / sp, abs=1e-12)
    assert one.relative_effects()["se"].iloc[0] == pytest.approx(
        math.sqrt(1 / n1 + 1 / n2 + est**2 / (2 * (n1 + n2))), abs=1e-12
    )
    assert r.q_df == c["fits"]["common"]["q_df"] and stats.chi2.sf(r.q, r.q_df) == pytest.approx(r.q_p)


# ------------------------------------------------------------------------------- multi-arm contrast input
def _all_pairs(arms: pd.DataFrame, measure: str, flip_every: int = 0) -> pd.DataFrame:
    """netmeta's contrast format: every pair of arms of every study, effect and SE from the arm-level data (the
    zero-cell rule of netmeta's pairwise() for OR); every ``flip_every``-th pair given the other way round."""
    rows = []
    for s, g in arms.groupby("study", sort=False):
        t = g["treatment"].tolist()
        if measure == "MD":
            th, v = g["mean"].to_numpy(float), (g["sd"] ** 2 / g["n"]).to_numpy(float)
        else:
            x, n = g["events"].to_numpy(float), g["n"].to_numpy(float)
            if ((x == 0) | (x == n)).any():
                x, n = x + 0.5, n + 1
            th, v = np.log(x / (n - x)), 1 / x + 1 / (n - x)
        for i in range(len(t)):
            for j in range(i + 1, len(t)):
                a, b, y = t[j], t[i], th[j] - th[i]
                if flip_every and len(rows) % flip_every == 0:
                    a, b, y = b, a, -y
                rows.append({"study": s, "treatment": a, "versus": b, "yi": y, "se": math.sqrt(v[i] + v[j])})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("name", ["senn2013_MD", "stowe2010_MD", "hasselblad1998_OR"])
@pytest.mark.parametrize("method", ["common", "DL", "REML"])
def test_multi_arm_contrast_input_equals_metafor_on_the_arm_level_data(name, method):
    c = REF["cases"][name]
    rows = _all_pairs(_data(c["data"]), c["measure"], flip_every=3)
    assert rows.groupby("study").size().max() == 3  # a three-arm study as its three contrasts
    r = fmtrials.network_meta(rows, measure=c["measure"], reference=c["reference"], method=method)
    ref = c["fits"][method]
    re_ = r.relative_effects().set_index("treatment").loc[ref["treatment"]]
    assert_allclose(_scale(re_["estimate"], c["measure"]), ref["estimate"], atol=TOL)
    assert_allclose(re_["se"], ref["se"], atol=TOL)
    assert r.tau2 == pytest.approx(ref["tau2"], abs=TOL)
    assert r.q == pytest.approx(ref["q"], abs=TOL) and r.q_df == ref["q_df"]
    sp = r.split().set_index(["treatment", "versus"])
    for row in (x for x in ref["split"] if "indirect" in x):
        got = sp.loc[(row["treatment"], row["versus"])]
        assert got["direct"] == pytest.approx(row["direct"], abs=TOL)
        assert got["indirect"] == pytest.approx(row["indirect"], abs=TOL)


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        (  # B vs A is 0.1 - 0.5 = -0.4 if consistent; given 0.65: the loop is 1.05 off, 0.35 on each contrast
            [("s", "A", "P", 0.5, 0.2), ("s", "B", "P", 0.1, 0.2), ("s", "B", "A", 0.65, 0.25)],
            ["multi-arm study 's' are not consistent", "0.35 from the study's least-squares"],
        ),
        (
            [("s", "A", "P", 0.5, 0.2), ("s", "B", "P", 0.1, 0.2), ("t", "A", "P", 0.3, 0.2)],
            ["study 's' gives 2 contrasts of 3 treatments (P, A, B)", "row 2"],
        ),
        (
            [("s", "A", "P", 0.5, 0.2), ("s", "P", "A", -0.5, 0.2), ("s", "B", "P", 0.1, 0.2)],
            ["study 's' gives 3 contrasts of 3 treatments", "every pair of its arms once"],
        ),
        (  # variances 0.01, 0.01, 1: no three independent arms give them
            [("s", "A", "P", 0.5, 0.1), ("s", "B", "P", 0.1, 0.1), ("s", "B", "A", -0.4, 1.0)],
            ["variances of multi-arm study 's' imply no valid covariance"],
        ),
    ],
)
def test_bad_multi_arm_contrasts_are_refused_naming_the_study(rows, words):
    frame = pd.DataFrame(rows, columns=["study", "treatment", "versus", "yi", "se"])
    with pytest.raises(DataError) as e:
        fmtrials.network_meta(frame, measure="MD", reference="P")
    for w in words:
        assert w in str(e.value)

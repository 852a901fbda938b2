"""RevMan 5's "M-H, Random" model, ``pool(method="MH-DL")`` (issue 22 item 9).

RevMan 5 (Deeks JJ, Higgins JPT. Statistical algorithms in Review Manager 5, 2010; R meta's
``metabin(method="MH", Q.Cochrane=TRUE)``) computes the heterogeneity Q around the Mantel-Haenszel estimate with
inverse-variance weights, DerSimonian-Laird's tau² from that Q, then pools with inverse-variance random-effects
weights 1/(v + tau²). metafor's DL (``method="DL"``) takes Q around the inverse-variance estimate instead.

Printed reference: Lee A, Done ML. Stimulation of the wrist acupuncture point P6 for preventing postoperative
nausea and vomiting. Cochrane Database of Systematic Reviews 2004, Issue 3, CD003281
(doi:10.1002/14651858.CD003281.pub2), a RevMan random-effects analysis; its abstract prints for nausea
"RR 0.72, 95% CI 0.59 to 0.89". The 16 trials are R metadat's ``dat.lee2004`` (taken from that review).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

import fmtrials
from fmtrials.revman.compare import revman_pool_method

# dat.lee2004 (metadat 1.2): study, year, nausea events / total with P6 stimulation, with sham
LEE2004 = pd.DataFrame(
    [
        ("Agarwal", 2000, 18, 100, 20, 100),
        ("Agarwal", 2002, 5, 50, 18, 50),
        ("Alkaissi", 1999, 9, 20, 7, 20),
        ("Alkaissi", 2002, 32, 135, 31, 139),
        ("Allen", 1994, 9, 23, 10, 23),
        ("Andrzejowski", 1996, 11, 18, 12, 18),
        ("Duggal", 1998, 69, 122, 80, 122),
        ("Dundee", 1986, 3, 25, 12, 25),
        ("Ferrera-Love", 1996, 1, 30, 1, 30),
        ("Gieron", 1993, 11, 30, 19, 30),
        ("Harmon", 1999, 7, 44, 16, 39),
        ("Harmon", 2000, 4, 47, 6, 47),
        ("Ho", 1996, 1, 30, 13, 30),
        ("Rusy", 2002, 24, 40, 71, 80),
        ("Wang", 2002, 16, 50, 53, 88),
        ("Zarate", 2001, 28, 110, 25, 111),
    ],
    columns=["author", "year", "events_t", "n_t", "events_c", "n_c"],
)
LEE2004["study"] = LEE2004.author + " " + LEE2004.year.astype(str)


def printed(x: float, digits: int) -> str:
    return f"{x:.{digits}f}"


def _by_hand(t: pd.DataFrame) -> dict[str, float]:
    """RevMan's M-H random-effects model written out from the counts (no fmtrials code; no zero cells here)."""
    a, n1, c, n2 = (t[k].to_numpy(float) for k in ("events_t", "n_t", "events_c", "n_c"))
    y = np.log(a / n1) - np.log(c / n2)
    v = 1 / a - 1 / n1 + 1 / c - 1 / n2
    mh = np.log((a * n2 / (n1 + n2)).sum() / (c * n1 / (n1 + n2)).sum())
    w = 1 / v
    q = float((w * (y - mh) ** 2).sum())
    tau2 = max(0.0, (q - (len(y) - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    wr = 1 / (v + tau2)
    beta, se = (wr * y).sum() / wr.sum(), wr.sum() ** -0.5
    return {"beta": beta, "se": se, "q": q, "tau2": tau2, "p": 2 * special.ndtr(-abs(beta / se))}


def test_lee2004_reproduces_the_printed_cochrane_result():
    r = fmtrials.pool(LEE2004, measure="RR", method="MH-DL")
    # the review's printed RevMan result: RR 0.72, 95% CI 0.59 to 0.89
    assert (printed(r.estimate, 2), printed(r.ci_low, 2), printed(r.ci_high, 2)) == ("0.72", "0.59", "0.89")
    # metafor's DL (Q around the inverse-variance estimate) prints 0.73: not RevMan's model
    dl = fmtrials.pool(LEE2004, measure="RR", method="DL")
    assert printed(dl.estimate, 2) == "0.73"
    # the numbers: 0.7248 [0.5917, 0.8877], tau² 0.0690, Q 30.94 (DL: 0.7259, tau² 0.0659)
    assert (round(r.estimate, 4), round(r.ci_low, 4), round(r.ci_high, 4)) == (0.7248, 0.5917, 0.8877)
    assert round(r.heterogeneity.tau2, 4) == 0.0690 and round(r.heterogeneity.q, 2) == 30.94
    assert round(dl.estimate, 4) == 0.7259 and round(dl.heterogeneity.tau2, 4) == 0.0659


def test_mhdl_equals_the_formulas_written_out():
    r = fmtrials.pool(LEE2004, measure="RR", method="mh-dl")  # any letter case
    h = _by_hand(LEE2004)
    assert r.beta == pytest.approx(h["beta"], rel=1e-12) and r.se == pytest.approx(h["se"], rel=1e-12)
    assert r.heterogeneity.q == pytest.approx(h["q"], rel=1e-12)  # RevMan's Chi²: Q around the MH estimate
    assert r.heterogeneity.q_df == 15 and r.k == 16
    assert r.heterogeneity.tau2 == pytest.approx(h["tau2"], rel=1e-12)
    assert r.p_value == pytest.approx(h["p"], rel=1e-10)
    # I² is RevMan's (Q - df)/Q with that Q, both as the model's I² and the Q-based one
    assert r.heterogeneity.i2 == pytest.approx(100 * (h["q"] - 15) / h["q"], rel=1e-10)
    assert r.heterogeneity.i2_q == pytest.approx(r.heterogeneity.i2, rel=1e-10)
    # named as RevMan's model, a random-effects model with the DL estimator
    assert r.method == "MH-DL" and r.model == "random" and r.tau2_method == "DL"
    assert "RevMan 5: DL τ² from the Cochrane Q" in r.summary().splitlines()[0]
    w = r.studies.weight.to_numpy()
    v = r.studies.vi.to_numpy()
    np.testing.assert_allclose(w, 100 * (1 / (v + h["tau2"])) / (1 / (v + h["tau2"])).sum(), rtol=1e-12)


def test_a_subgroup_crosses_005_under_revmans_model():
    """Studies before 1997 (k = 6): P for the overall effect 0.055 under RevMan's model, 0.043 under DL."""
    t = LEE2004.assign(era=np.where(LEE2004.year < 1997, "before 1997", "1997 on"))
    r = fmtrials.pool(t, measure="RR", method="MH-DL", by="era").subgroups["before 1997"]
    dl = fmtrials.pool(t, measure="RR", method="DL", by="era").subgroups["before 1997"]
    assert r.k == 6 and printed(r.p_value, 3) == "0.055" and printed(dl.p_value, 3) == "0.043"
    assert r.p_value == pytest.approx(_by_hand(t[t.year < 1997])["p"], rel=1e-10)


def test_without_heterogeneity_mhdl_is_inverse_variance_pooling():
    """Q_MH <= df: tau² = 0 and RevMan pools with 1/v (not with MH weights); HKSJ applies (random effects)."""
    t = LEE2004[LEE2004.author.isin(["Alkaissi", "Allen", "Andrzejowski", "Duggal", "Zarate"])]
    r = fmtrials.pool(t, measure="RR", method="MH-DL")
    iv = fmtrials.pool(t, measure="RR", method="IV")
    mh = fmtrials.pool(t, measure="RR", method="MH")
    assert r.heterogeneity.q == pytest.approx(_by_hand(t)["q"], rel=1e-12) and r.heterogeneity.q < 5
    assert r.heterogeneity.tau2 == 0 and r.heterogeneity.i2 == 0
    assert r.beta == pytest.approx(iv.beta, rel=1e-12) and r.se == pytest.approx(iv.se, rel=1e-12)
    assert r.beta != pytest.approx(mh.beta, rel=1e-6)
    hk = fmtrials.pool(LEE2004, measure="RR", method="MH-DL", test="hksj")
    assert hk.stat_dist == "t" and hk.df == 15


def test_compare_revman_uses_revmans_model_for_mh_random():
    assert revman_pool_method("MH", "random") == "MH-DL"
    assert revman_pool_method("IV", "random") == "DL"
    assert revman_pool_method("Peto", "fixed") == "Peto"


def test_compare_revman_pools_an_mh_random_outcome_as_mhdl(tmp_path):
    rows = "".join(
        f'<DICH_DATA STUDY_ID="STD-{s.replace(" ", "_x0020_")}" EVENTS_1="{a}" TOTAL_1="{n1}" EVENTS_2="{c}" '
        f'TOTAL_2="{n2}"/>'
        for s, a, n1, c, n2 in LEE2004[["study", "events_t", "n_t", "events_c", "n_c"]].itertuples(index=False)
    )
    p = tmp_path / "lee.rm5"
    p.write_text(
        '<?xml version="1.0" encoding="ISO-8859-1"?><COCHRANE_REVIEW><ANALYSES_AND_DATA>'
        '<COMPARISON NO="1"><NAME>P6 vs sham</NAME><DICH_OUTCOME NO="1" EFFECT_MEASURE="RR" METHOD="MH" '
        'RANDOM="YES" EFFECT_SIZE="0.72" CI_START="0.59" CI_END="0.89"><NAME>Nausea</NAME>'
        f"{rows}</DICH_OUTCOME></COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>",
        encoding="latin-1",
    )
    c = fmtrials.compare_revman(p).set_index("quantity")
    assert printed(c.loc["estimate", "fmtrials"], 2) == "0.72"
    assert c.loc["estimate", "revman"] == 0.72 and abs(c.loc["estimate", "difference"]) < 0.005
    assert printed(c.loc["ci_low", "fmtrials"], 2) == "0.59" and printed(c.loc["ci_high", "fmtrials"], 2) == "0.89"

"""The published composite table's phase III rows attributed jointly (issue 22, item 7).

Oracles (outside this package):
* the arm sizes as the sources print them (evidence.md §2 and §4; reference/efficacy_sources.md), typed here:
  Clauw 2008 401/399/396 (LAY) and 405/401/401 (NMA23-T39), Mease 2009 223/224/441 (M09-T1), Arnold 2010
  509/516 with no 200 mg arm (A10), Branco 2010 449/435 with no 100 mg arm (B10), pooled Clauw 2008 + Mease
  2009 624/623/837 (PP-b);
* an independent brute force: every whole count k in [0, n] with |100 k / n - P| <= half a unit (exact
  fractions, ties either way), the placebo count shared by the two rows, every pair tested one at a time
  with ``scipy.stats.fisher_exact``; printed p "0.01" allows [0.005, 0.015), "0.02" allows [0.015, 0.025);
* Arnold 2010's registry composite (A10-reg): 103 vs 56 responders, i.e. 103/516 vs 56/509 (20.0% vs 11.0%).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

import fmtrials
from fmtrials.report import main_results as M

PLACEBO = "15.5"
ROWS = (("25.4", Fraction(5, 1000), Fraction(15, 1000)), ("26.9", Fraction(15, 1000), Fraction(25, 1000)))

#: (trial, placebo, 100 mg/day, 200 mg/day) as the sources print them; None = the trial has no such arm
SIZES = {
    "Clauw2008 randomized": (401, 399, 396),
    "Clauw2008 alternative": (405, 401, 401),
    "Clauw2008 mixed placebo LAY": (401, 401, 401),
    "Clauw2008 mixed placebo NMA23": (405, 399, 396),
    "Mease2009": (223, 224, 441),
    "Arnold2010": (509, 516, None),
    "Branco2010": (449, None, 435),
    "pooled Clauw2008+Mease2009": (624, 623, 837),
}


def counts(percent: str, n: int) -> list[int]:
    p, d = Fraction(percent), len(percent.split(".")[1])
    return [k for k in range(n + 1) if abs(Fraction(100 * k, n) - p) <= Fraction(1, 2 * 10**d)]


def brute(sizes: tuple) -> dict:
    """GRIM for every row with the shared placebo count, the joint p check, and the RD range."""
    n_c, *n_ts = sizes
    placebo = counts(PLACEBO, n_c)
    if any(n is None for n in n_ts):
        return {"complete": False, "grim": False, "p": False, "rd": []}
    grim = bool(placebo) and all(counts(pt, n) for (pt, _, _), n in zip(ROWS, n_ts))
    joint_p, rd = False, []
    for c in placebo:
        ok_rows = []
        for (pt, lo, hi), n in zip(ROWS, n_ts):
            ps = [stats.fisher_exact([[k, n - k], [c, n_c - c]])[1] for k in counts(pt, n)]
            rd += [k / n - c / n_c for k in counts(pt, n)]
            ok_rows.append(any(lo <= Fraction(p) < hi for p in ps))
        joint_p = joint_p or all(ok_rows)
    return {"complete": True, "grim": grim, "p": joint_p, "rd": rd}


@pytest.fixture(scope="module")
def seed():
    r = fmtrials.reanalyse_reported()
    return r[r.source == "SEED003"]


def _scenarios(seed):
    joint = seed[seed.joint_rows.notna()]
    return {s: g for s, g in joint.groupby("scenario", sort=False)}


def _sizes_of(g) -> tuple:
    by_dose = {int(d): (None if np.isnan(float(t)) else int(t)) for d, t in zip(g.dose_mg_day, g.n_t.astype(float))}
    return (int(g.n_c.iloc[0]), by_dose[100], by_dose[200])


def test_phase_iii_rows_are_attributed_jointly_to_every_named_arm_size_set(seed):
    scen = _scenarios(seed)
    # each joint scenario covers both phase III rows, with one placebo arm
    assert all(sorted(g.row) == [2, 3] and g.n_c.nunique() == 1 for g in scen.values())
    assert set(seed[seed.joint_rows.notna()].joint_rows) == {"2, 3"}
    assert len(scen) == len(SIZES) and {_sizes_of(g) for g in scen.values()} == set(SIZES.values())


def test_possible_count_matches_brute_force(seed):
    scen = _scenarios(seed)
    expected = {sizes: brute(sizes) for sizes in SIZES.values()}
    # by hand: only the mixed Clauw 2008 set (102/401, 108/401 vs 62/401) and the pooled set (158/623, 225/837
    # vs 97/624) give every printed percentage; neither gives p near 0.01 / 0.02
    grim_ok = sorted(s for s, e in expected.items() if e["grim"])
    assert grim_ok == [(401, 401, 401), (624, 623, 837)]
    arnold_100 = counts("25.4", 516), counts("15.5", 509)
    assert arnold_100 == ([131], [79])  # Arnold alone reproduces the 100 mg row...
    contradicted = {(509, 516, None)}  # ...but its registry composite rules it out (next test)
    n_possible = sum(e["complete"] and e["grim"] and e["p"] and s not in contradicted for s, e in expected.items())
    assert n_possible == 0
    got = {_sizes_of(g): g for g in scen.values()}
    assert set(got) == set(expected)
    for sizes, g in got.items():
        e = expected[sizes]
        assert bool(g.possible.iloc[0]) is (e["complete"] and e["grim"] and e["p"] and sizes not in contradicted)
        assert g.possible.nunique() == 1  # one verdict per joint scenario
        assert bool(g.consistent.fillna(False).all()) is e["grim"]
        if e["grim"]:
            rd = np.array(e["rd"])
            assert g.estimate_min.min() == pytest.approx(rd.min(), abs=1e-12)
            assert g.estimate_max.max() == pytest.approx(rd.max(), abs=1e-12)
            assert "printed p not reproduced" in g.judgement.iloc[0]
    assert int(seed[seed.joint_rows.notna()].drop_duplicates("scenario").possible.sum()) == n_possible


def test_arnold_516_vs_509_is_contradicted_by_its_registry_composite(seed):
    # the registry counts under the scenario's own arm sizes do not give 25.4% / 15.5%
    assert 103 not in counts("25.4", 516) and 56 not in counts("15.5", 509)
    a = seed[(seed.row == 2) & (seed.n_t == 516) & (seed.n_c == 509)]
    assert len(a) == 1
    a = a.iloc[0]
    assert bool(a.consistent) and a.contradicted_by == "A10-reg"
    assert a.possible is False or not bool(a.possible)
    assert "103/516 vs 56/509 (20.0% vs 11.0%; A10-reg)" in a.judgement
    # the same joint scenario's 200 mg row: Arnold has no 200 mg arm, kept and flagged
    b = seed[(seed.row == 3) & (seed.scenario == a.scenario)].iloc[0]
    assert b.status == fmtrials.consistency.reanalysis_reported.NO_ARM and b.n_c == 509
    # no other scenario is contradicted (no other trial reports composite_3 counts)
    assert set(seed.contradicted_by.dropna()) == {"A10-reg"} and seed.contradicted_by.notna().sum() == 1


def test_duplicated_phase_ii_scenarios_are_merged():
    r = fmtrials.reanalyse_reported()
    one = r[r.row == 1]
    assert len(one) == 1 and "milnacipran_qd or milnacipran_bid" in one.scenario.iloc[0]
    assert len(r[r.study == "Vitton2004"]) == 1


def test_mixed_is_defined():
    from fmtrials.consistency import joint as J

    assert "placebo arm's size from one source" in J.SCENARIO_KINDS["mixed"]
    r = fmtrials.reanalyse_reported()
    assert set(r.scenario_kind) <= set(J.SCENARIO_KINDS)


def test_joint_p_needs_one_shared_placebo_count():
    from fmtrials.consistency import joint as J

    # row 0 reproduces its p only with placebo count 35, row 1 only with 36: each alone passes, jointly not
    row = np.array([0, 0, 1, 1])
    events_c = np.array([35, 36, 35, 36])
    assert not J.joint_p(np.array([True, False, False, True]), row, events_c, [0, 1])
    assert J.joint_p(np.array([True, False, True, True]), row, events_c, [0, 1])


def test_headline_states_the_joint_count_and_what_it_implies(seed):
    text = " ".join(M.seed_summary(seed[seed.status.notna()]))
    n = len(SIZES)
    assert f"None of the {n} joint attributions is possible" in text
    ok = [brute(s) for s in SIZES.values() if brute(s)["grim"]]
    rd = [x for e in ok for x in e["rd"]]
    lo, hi = f"{100 * min(rd):.1f}", f"{100 * max(rd):.1f}"
    assert "Two give every printed percentage but not the printed p-values" in text
    assert f"{lo} to {hi} percentage points above placebo" in text
    assert "contradicted by the trial's own composite_3 103/516 vs 56/509" in text
    assert "the other 5 cannot give every printed percentage" in text
    assert "possible under" not in text  # the row-by-row count is gone


def test_shared_placebo_rows_group_only_when_the_placebo_rate_is_the_same():
    from fmtrials.consistency import joint as J

    rep = fmtrials.load_reported()
    rep.loc[2, "percent_c"] = "15.4"  # the 200 mg row no longer shares the placebo rate
    model = [False] * len(rep)
    assert J.joint_groups(rep, model) == []
    assert J.joint_groups(fmtrials.load_reported(), model) == [[1, 2]]

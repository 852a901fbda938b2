"""The comparator trials' provenance rules: quoted counts, stated discrepancies, and one count per network arm.

``comparator_arms.csv`` keeps every source's count for an arm (a different count is a second row, never an
overwrite). These tests hold the rows to their locators and check that the network reads one count per arm.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import fmtrials
import fmtrials.data
from fmtrials import DataError

#: Cochrane CD012536, table of adverse events and withdrawals (PMC6424379 table-wrap6), Arnold 2016 row, as
#: printed: 'Withdrawals due to adverse events: Pregabalin: 4/54 Placebo: 4/53', 'No. participants with serious
#: adverse events: Pregabalin: 1/54 Placebo: 0/53', 'No. participants with any adverse event: Pregabalin: 38/54
#: Placebo: 34/53'
CD012536_ARNOLD2016 = {
    ("ae_withdrawal", "pregabalin"): (4, 54),
    ("ae_withdrawal", "placebo"): (4, 53),
    ("sae", "pregabalin"): (1, 54),
    ("sae", "placebo"): (0, 53),
    ("ae_any", "pregabalin"): (38, 54),
    ("ae_any", "placebo"): (34, 53),
}


def _counted(c: pd.DataFrame) -> pd.DataFrame:
    return c[c.events.notna() & c.n.notna()]


def test_every_reported_count_appears_in_its_locator_quote():
    c = fmtrials.load_comparator_arms()
    rep = _counted(c[c.status == "reported"])
    assert len(rep) >= 38
    missing = [
        (r.study, r.arm, r.endpoint, r.source, int(r.events))
        for r in rep.itertuples()
        if not re.search(rf"(?<![\d.]){int(r.events)}(?![\d.])", r.locator)
    ]
    assert missing == []


def test_cochrane_cd012536_confirms_the_arnold_2016_table_2_counts():
    c = fmtrials.load_comparator_arms()
    a16 = _counted(c[c.study == "Arnold2016"])
    cd = a16[a16.source == "CD012536"]
    got = {
        (r.endpoint, r.treatment): (int(r.events), int(r.n)) for r in cd.itertuples() if r.endpoint != "withdrawal_any"
    }
    assert got == CD012536_ARNOLD2016
    assert set(cd.status) == {"reported"} and set(cd.population) == {"randomized"}
    for r in cd.itertuples():
        assert f"{int(r.events)}/{int(r.n)}" in r.locator  # the quote carries the count over its denominator
    # the trial paper's Table 2 (safety population, same arm sizes) gives the same counts
    pgb16 = {(r.endpoint, r.treatment): (int(r.events), int(r.n)) for r in a16[a16.source == "PGB16"].itertuples()}
    assert {k: pgb16[k] for k in CD012536_ARNOLD2016} == CD012536_ARNOLD2016


def test_a_count_that_differs_between_sources_is_kept_and_stated_on_every_row():
    c = _counted(fmtrials.load_comparator_arms())
    keys = ["study", "treatment", "dose_mg_day", "endpoint"]
    differing = 0
    for _, g in c.groupby(keys, dropna=False):
        if len({(int(e), int(n)) for e, n in zip(g.events, g.n)}) > 1:
            differing += 1
            for r in g.itertuples():
                assert "differ" in f"{r.locator} {r.note}", (r.study, r.arm, r.endpoint, r.source)
    # Ohta 2012 placebo withdrawals for adverse events: article Table 5 9/248, registry participant flow 8/248
    assert differing == 1


# ------------------------------------------------------------------ one count per arm in the network


def _with_extra(monkeypatch, *extra: dict) -> None:
    bundled = fmtrials.load_comparator_arms()
    base = bundled[(bundled.study == "Crofford2005") & (bundled.endpoint == "pain_30") & (bundled.dose_mg_day == 300)]
    rows = [base.iloc[0].to_dict() | {"status": "reported", "percent": pd.NA} | e for e in extra]
    frame = pd.concat([bundled, pd.DataFrame(rows).astype(bundled.dtypes.to_dict())], ignore_index=True)
    monkeypatch.setattr(fmtrials.data, "load_comparator_arms", lambda: frame.copy())


def test_the_network_takes_a_reported_count_before_the_unverified_transcription(monkeypatch):
    from test_network_data import NMADB

    _with_extra(monkeypatch, {"source": "PGB05", "events": 51, "n": 132, "locator": "hypothetical: 51/132"})
    res = fmtrials.comparator_network(method="common")
    unv = res.unverified
    assert len(unv) == len(NMADB) - 1  # the Crofford 2005 300 mg arm is no longer an unverified input
    assert not ((unv.study == "Crofford2005") & (unv.arm == "pregabalin 300")).any()
    # the same network built by hand from the transcription with that one arm replaced
    counts = NMADB | {("Crofford2005", "pregabalin", 300): (51, 132)}
    hand = pd.DataFrame(
        [
            {"study": s, "treatment": t if t == "placebo" else f"{t} {d}", "events": e, "n": n}
            for (s, t, d), (e, n) in counts.items()
        ]
    )
    want = fmtrials.network_meta(hand, measure="RR", method="common", event="beneficial")
    got = res.by_dose.relative_effects().set_index("treatment")
    exp = want.relative_effects().set_index("treatment")
    for col in ("estimate", "se"):
        np.testing.assert_allclose(got.loc[exp.index, col], exp[col], rtol=1e-12)
    # and it moved: the bundled network gives pregabalin 300 a smaller ratio (50 of 132 responders)
    bundled = fmtrials.network_meta(
        hand.assign(
            events=[
                50 if (r.study, r.treatment) == ("Crofford2005", "pregabalin 300") else r.events
                for r in hand.itertuples()
            ]
        ),
        measure="RR",
        method="common",
        event="beneficial",
    )
    assert (
        got.loc["pregabalin 300", "estimate"]
        > bundled.relative_effects().set_index("treatment").loc["pregabalin 300", "estimate"]
    )


def test_equal_status_sources_that_disagree_are_refused_naming_the_arm(monkeypatch):
    _with_extra(
        monkeypatch,
        {"source": "PGB05", "events": 51, "n": 132, "locator": "hypothetical"},
        {"source": "CD012536", "events": 52, "n": 132, "locator": "hypothetical"},
    )
    with pytest.raises(DataError) as err:
        fmtrials.comparator_network()
    msg = str(err.value)
    assert "Crofford2005" in msg and "pregabalin 300" in msg
    assert "PGB05: 51/132" in msg and "CD012536: 52/132" in msg

"""The comparator trials (data/comparator_arms.csv): provenance, the nmadb counts, and bad files refused."""

from __future__ import annotations

import pandas as pd
import pytest

import fmtrials
from fmtrials import DataError
from fmtrials.data import read_table

#: comparators.md §2.1 (project reference), the nmadb transcription of Roskell 2011: (study, arm dose) -> events/n
NMADB = {
    ("Crofford2005", "pregabalin", 300): (50, 132),
    ("Crofford2005", "placebo", 0): (35, 129),
    ("Crofford2005", "pregabalin", 450): (62, 128),
    ("Arnold2008", "pregabalin", 300): (76, 183),
    ("Arnold2008", "placebo", 0): (56, 184),
    ("Arnold2008", "pregabalin", 450): (94, 190),
    ("Mease2008", "pregabalin", 300): (80, 185),
    ("Mease2008", "placebo", 0): (67, 190),
    ("Mease2008", "pregabalin", 450): (79, 183),
    ("Arnold2005", "duloxetine", 60): (64, 116),
    ("Arnold2005", "placebo", 0): (39, 118),
    ("Russell2008", "duloxetine", 60): (73, 144),
    ("Russell2008", "placebo", 0): (50, 139),
    ("Clauw2008", "milnacipran", 100): (149, 399),
    ("Clauw2008", "placebo", 0): (115, 401),
    ("Clauw2008", "milnacipran", 200): (158, 396),
    ("Mease2009", "milnacipran", 100): (76, 144),
    ("Mease2009", "placebo", 0): (66, 164),
    ("Mease2009", "milnacipran", 200): (155, 276),
    ("Vitton2004", "milnacipran", 200): (36, 97),
    ("Vitton2004", "placebo", 0): (6, 28),
}


def test_nmadb_pain_30_counts_are_the_transcription_unverified_population_not_stated():
    c = fmtrials.load_comparator_arms()
    p = c[(c.endpoint == "pain_30") & c.events.notna()]
    got = {(r.study, r.treatment, int(r.dose_mg_day)): (int(r.events), int(r.n)) for r in p.itertuples()}
    assert got == NMADB
    assert set(p.status) == {"unverified"} and set(p.source) == {"NMADB"} and set(p.population) == {"not stated"}


def test_percentages_without_n_stay_percentages_and_every_source_is_known():
    c = fmtrials.load_comparator_arms()
    only_pct = c[c.percent.notna() & c.n.isna()]
    assert only_pct.events.isna().all() and len(only_pct) >= 10
    # the Arnold 2005 abstract's 55 / 54 / 33% stay as printed
    a05 = c[(c.study == "Arnold2005") & (c.source == "DLX05")]
    assert sorted(a05.percent) == ["33", "54", "55"]
    known = set(fmtrials.load_sources().source_id)
    assert set(c.source) <= known
    assert fmtrials.validate_bundled()["comparator_arms"] == len(c)


def _row(**kw):
    base = dict(
        study="X2020",
        treatment="pregabalin",
        dose_mg_day="300",
        dose_note="",
        arm="pregabalin 300",
        endpoint="pain_30",
        population="not stated",
        events="10",
        n="50",
        percent="20",
        status="reported",
        source="NMADB",
        locator="Table 1",
        note="",
    )
    base.update(kw)
    return base


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (_row(percent="25"), "percent '25' is inconsistent with events/n = 10/50"),
        (_row(events="", percent=""), "events and n go together"),
        (_row(treatment="placebo"), "treatment 'placebo' with dose_mg_day 300"),
        (_row(treatment="duloxetine", dose_mg_day="0"), "treatment 'duloxetine' with dose_mg_day 0"),
        (_row(treatment="amitriptyline"), "amitriptyline"),
        (_row(events="60", percent=""), "events (60) exceed n (50)"),
        (_row(source="NOPE"), "unknown source id 'NOPE'"),
    ],
)
def test_a_bad_comparator_row_is_refused_naming_row_and_column(row, message):
    with pytest.raises(DataError) as e:
        read_table(pd.DataFrame([row]), "comparator_arms", sources=fmtrials.load_sources())
    assert message in str(e.value) and "row 1" in str(e.value)


# ------------------------------------------------------------------ the comparator network (analysis layer)


def test_comparator_network_per_drug_equals_pairwise_pooling_and_the_reference_note():
    import math

    import numpy as np

    res = fmtrials.comparator_network(method="common")
    rel = res.by_drug.relative_effects().set_index("treatment")
    # star network after combining dose arms: each drug vs placebo is the inverse-variance pooled log RR of its trials
    for drug in ("duloxetine", "milnacipran", "pregabalin"):
        ys, ws = [], []
        for study in {s for (s, t, _d) in NMADB if t == drug}:
            e = sum(v[0] for k, v in NMADB.items() if k[0] == study and k[1] == drug)
            n = sum(v[1] for k, v in NMADB.items() if k[0] == study and k[1] == drug)
            ep, np_ = NMADB[(study, "placebo", 0)]
            ys.append(math.log((e / n) / (ep / np_)))
            ws.append(1 / (1 / e - 1 / n + 1 / ep - 1 / np_))
        est = float(np.dot(ws, ys) / np.sum(ws))
        assert math.log(rel.loc[drug, "estimate"]) == pytest.approx(est, abs=1e-12)
        assert rel.loc[drug, "se"] == pytest.approx(1 / math.sqrt(sum(ws)), abs=1e-12)
    # comparators.md §2.3 (R metafor, I² = 0 so DL = common): duloxetine 1.52 (1.24-1.86), milnacipran 1.37 (1.20-1.56)
    shown = rel[["estimate", "ci_low", "ci_high"]].round(2)
    assert tuple(shown.loc["duloxetine"]) == (1.52, 1.24, 1.86)
    assert tuple(shown.loc["milnacipran"]) == (1.37, 1.20, 1.56)


def test_comparator_network_section_contents():
    res = fmtrials.comparator_network()
    assert set(res.by_dose.treatments) == {
        "placebo",
        "duloxetine 60",
        "milnacipran 100",
        "milnacipran 200",
        "pregabalin 300",
        "pregabalin 450",
    }
    assert len(res.unverified) == len(NMADB) and set(res.unverified.source) == {"NMADB"}
    pub = res.published.set_index(["source", "treatment"])
    assert pub.loc[("LS16", "duloxetine 60"), "published"] == 2.33
    assert pub.loc[("H14", "milnacipran"), "published"] == 1.38
    # fmtrials' side is the network estimate on the published measure (OR per dose, RR per drug)
    or_fit = fmtrials.network_meta(_dose_arms(), measure="OR", method="REML")
    or_rel = or_fit.relative_effects().set_index("treatment")
    assert pub.loc[("LS16", "milnacipran 100"), "fmtrials"] == pytest.approx(or_rel.loc["milnacipran 100", "estimate"])
    assert "P-scores" in res.p_score_caveat
    assert res.p_scores.set_index("treatment").loc["placebo", "p_score"] < 0.05
    assert "Roskell 2011" in res.differences and "Q =" in res.summary()


def _dose_arms() -> pd.DataFrame:
    rows = [
        {"study": s, "treatment": t if t == "placebo" else f"{t} {d}", "events": e, "n": n}
        for (s, t, d), (e, n) in NMADB.items()
    ]
    return pd.DataFrame(rows)

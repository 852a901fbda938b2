"""README "Differences from metafor's defaults" (issue 22 item 11): every metafor call printed there reproduces
the fmtrials number it is quoted for.

tests/data/defaults_reference.json is written by ``Rscript tests/r/defaults_reference.R`` (R 4.2.2, metafor
3.8-1), which evaluates exactly the calls recorded in it; this test checks that the README prints each call
verbatim and that fmtrials gives the recorded values.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import fmtrials
from fmtrials import pool, small_study_test

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "tests" / "data" / "defaults_reference.json").read_text())
VALUES = {c["id"]: c["value"] for c in REF["cases"]}


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Differences from metafor's defaults")
    end = text.index("\n## ", start + 1)
    return text[start:end]


@pytest.fixture(scope="module")
def t():
    from test_meta_mhdl import LEE2004  # dat.lee2004, the data of the README's calls

    return LEE2004


def test_readme_prints_every_call_verbatim():
    section = _section()
    for line in REF["setup"]:
        assert line in section, line
    for case in REF["cases"]:
        assert case["call"] in section, case["id"]
    assert REF["metafor_version"] == "3.8.1"


def test_prediction_interval(t):
    r = pool(t, method="REML").prediction
    assert (r.pi_low, r.pi_high) == pytest.approx(VALUES["pi_hts"], rel=1e-6) and r.dist == "t(k-2)"
    m = pool(t, method="REML", pi_method="metafor").prediction
    assert (m.pi_low, m.pi_high) == pytest.approx(VALUES["pi_metafor"], rel=1e-6) and m.dist == "z"
    assert "0.4227 to 1.2611" in _section() and "0.4431 to 1.2030" in _section()


def test_egger_variants(t):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fmtrials.errors.FewStudiesWarning)
        lm = small_study_test(t, test="egger").iloc[0]
        rma = small_study_test(t, test="egger_rma").iloc[0]
    assert (lm.statistic, lm.p_value) == pytest.approx(VALUES["egger_lm"], rel=1e-6)
    assert (rma.statistic, rma.p_value) == pytest.approx(VALUES["egger_rma"], rel=1e-5)
    assert "p = 0.128" in _section() and "p = 0.039" in _section()


def test_convergence_tolerances(t):
    h = pool(t, method="REML").heterogeneity
    assert h.tau2 == pytest.approx(VALUES["reml_tol"], rel=1e-9)
    assert h.tau2 != pytest.approx(VALUES["reml_default_tol"], rel=1e-5)  # metafor's default stops earlier
    assert (h.tau2_ci_low, h.tau2_ci_high) == pytest.approx(VALUES["qprofile"], rel=1e-8)
    assert pool(t, method="PM").heterogeneity.tau2 == pytest.approx(VALUES["pm_tol"], rel=1e-9)


def test_revman_mh_random_and_metafor_dl(t):
    for method, key in (("MH-DL", "mh_dl"), ("DL", "dl")):
        r = pool(t, method=method)
        got = (r.estimate, r.ci_low, r.ci_high, r.heterogeneity.tau2)
        assert got == pytest.approx(VALUES[key], rel=1e-9), method

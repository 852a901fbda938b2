"""The methods paragraph (``fmtrials.methods_paragraph``): written from the choices actually made, citations
numbered in order of first use, every citation with its reference and every reference cited, no rule stated
that did not apply, full references checked against the metafor 3.8 manual pages and PubMed."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fmtrials
from fmtrials import DataError
from fmtrials.analysis import REFERENCES, analyse, methods_paragraph


@pytest.fixture(scope="module")
def default():
    return methods_paragraph(analyse())


def _user(rows, direction="beneficial"):
    df = pd.DataFrame(rows, columns=["study", "dose_mg_day", "endpoint", "n", "responders"])
    return fmtrials.read_outcomes(df.assign(direction=direction))


#: three two-arm trials of one endpoint: k = 3, no shared placebo, no zero cell
THREE = [
    ["A", 0, "fiq_responder", 60, 12],
    ["A", 100, "fiq_responder", 60, 21],
    ["B", 0, "fiq_responder", 80, 15],
    ["B", 100, "fiq_responder", 82, 30],
    ["C", 0, "fiq_responder", 45, 9],
    ["C", 100, "fiq_responder", 44, 14],
]


def _numbers_in_order(text):
    return [int(n) for group in re.findall(r"\[(\d+(?:, \d+)*)\]", text) for n in group.split(", ")]


def _check_numbering(m):
    nums = _numbers_in_order(m.text)
    first = list(dict.fromkeys(nums))
    assert first == list(range(1, len(m.references) + 1))  # numbered in order of first use, all cited
    assert [int(r.split(".", 1)[0]) for r in m.references] == first  # every [n] has its reference
    assert {r.split(". ", 1)[1] for r in m.references} <= set(REFERENCES.values())


# ------------------------------------------------------------------------------------------------ citations


def test_citations_are_numbered_in_order_of_first_use_and_all_resolve(default):
    _check_numbering(default)
    assert default.references[0].startswith("1. Newcombe RG.") and "[1]" in default.text.split("Altman")[0]


def test_full_references_of_the_brief(default):
    """Journal, volume and pages as in the metafor 3.8 manual (rma.uni, rma.mh), PubMed and the authors'
    pages; the numbers a wrong reference would change."""
    refs = "\n".join(default.references)
    for expected in (
        "Stat Med. 1998;17:873–890",  # Newcombe
        "BMJ. 1998;317:1309–1312",  # Altman
        "J Am Stat Assoc. 1927;22:209–212",  # Wilson
        "J Educ Behav Stat. 2005;30:261–293",  # Viechtbauer (REML)
        "Stat Med. 2001;20:3875–3889",  # Hartung & Knapp
        "Stat Med. 2002;21:3153–3159",  # Sidik & Jonkman
        "Stat Med. 2003;22:2693–2710",  # Knapp & Hartung (ad hoc)
        "J R Stat Soc Ser A Stat Soc. 2009;172:137–159",  # Higgins, Thompson & Spiegelhalter
        "J Natl Cancer Inst. 1959;22:719–748",  # Mantel & Haenszel
        "Biometrics. 1985;41:55–68",  # Greenland & Robins
        "Scand J Stat. 1979;6:65–70",  # Holm
        "version 6.4 (updated August 2023)",  # Cochrane Handbook
        "Section 23.3.4",
        "J Stat Softw. 2010;36(3):1–48",  # metafor
    ):
        assert expected in refs, expected
    assert "Stat Med. 1985;4:213–226" in REFERENCES["mn"] and "1986;7:177–188" in REFERENCES["dersimonian"]


def test_ci_mn_cites_miettinen_nurminen_and_not_newcombe():
    m = methods_paragraph(analyse(ci="mn"))
    refs = "\n".join(m.references)
    assert "Miettinen–Nurminen score interval" in m.text and "Miettinen O, Nurminen M" in refs
    assert "Newcombe" not in m.text and "Newcombe RG" not in refs
    _check_numbering(m)


def test_method_dl_cites_dersimonian_laird_and_not_viechtbauer_2005(default):
    m = methods_paragraph(analyse(method="DL", test="z"))
    refs = "\n".join(m.references)
    assert "DerSimonian R, Laird N" in refs and "Bias and efficiency" not in refs
    assert "chosen by the analyst" in m.text and "DerSimonian–Laird estimator" in m.text
    assert "Hartung J, Knapp G" not in refs  # z test: no HKSJ citation
    assert "Bias and efficiency" in "\n".join(default.references) and "DerSimonian R" not in "\n".join(
        default.references
    )
    _check_numbering(m)


# -------------------------------------------------------------------------------------- what applied, only


def test_small_k_rules_name_the_endpoints_they_were_used_for(default):
    small = default.text.split("With two comparisons (")[1].split(")")[0]
    assert small == "PGIC responder, any adverse event, serious adverse event and withdrawal (any cause"
    single = default.text.split("Endpoints with a single comparison (")[1].split(")")[0]
    assert single == "3-measure composite responder, ≥30% pain responder and ≥50% pain responder"
    assert "nausea" not in small and "Mease2009" in default.text  # the shared placebo arm that was split


def test_user_table_with_k_3_mentions_no_rule_that_did_not_apply():
    res = analyse(_user(THREE))
    assert [a.model_rule for a in res] == ["main"]
    m = methods_paragraph(res)
    for absent in ("With two comparisons", "single comparison", "The placebo arm of", "zero cell", "several doses",
                   "several analyses", "milnacipran", "efficacy comparisons together and each safety"):  # fmt: skip
        assert absent not in m.text, absent
    assert "Each treatment arm" in m.text and "Prediction intervals" in m.text and "fiq_responder" in m.text
    assert "Cochrane" not in "\n".join(m.references)
    _check_numbering(m)


def test_no_prediction_interval_sentence_when_none_was_computed():
    two = [r for r in THREE if r[0] != "C"]
    m = methods_paragraph(analyse(_user(two)))
    assert "Prediction intervals" not in m.text and "Higgins JPT, Thompson SG" not in "\n".join(m.references)
    assert "With two comparisons (fiq_responder)" in m.text


def test_named_common_effect_model_is_not_called_a_small_k_rule():
    m = methods_paragraph(analyse(method="MH"))
    assert "With two comparisons" not in m.text and "was fitted as a check" not in m.text
    assert "main model (chosen by the analyst) was the Mantel–Haenszel common-effect model" in m.text
    assert "Hartung" not in m.text


def test_options_reach_the_text():
    m = methods_paragraph(analyse(_user(THREE), measure="OR", alpha=0.1), treatment="duloxetine")
    assert "Each duloxetine dose" in m.text and "at the 90% level" in m.text and "Odds ratios" in m.text


# -------------------------------------------------------------------------------------------- the object


def test_plain_text_str_and_html(default):
    assert "<" not in default.text and "\n" not in default.text
    assert str(default).startswith(default.text) and "\n\nReferences\n1. Newcombe" in str(default)
    page = methods_paragraph(analyse(_user([[s, d, "<i>e</i>", n, k] for s, d, _, n, k in THREE])))._repr_html_()
    assert "<i>e</i>" not in page and "&lt;i&gt;e&lt;/i&gt;" in page and page.count("<li>") >= 5


def test_user_text_cannot_forge_a_citation():
    m = methods_paragraph(analyse(_user([[s, d, "x\ue000holm\ue001", n, k] for s, d, _, n, k in THREE])))
    _check_numbering(m)
    assert "\ue000" not in m.text


def test_bad_arguments_are_named():
    with pytest.raises(DataError, match="result"):
        methods_paragraph("not an analysis")
    with pytest.raises(DataError, match="treatment"):
        methods_paragraph(analyse(_user(THREE)), treatment=3)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ci=st.sampled_from(["wald", "wald_cc", "agresti_caffo", "newcombe", "mn", "mee"]),
    measure=st.sampled_from(["RR", "OR", "RD"]),
    model=st.sampled_from([(None, None), ("DL", "hksj"), ("PM", "z"), ("IV", "z"), ("REML", None), ("MH", "z")]),
    drop=st.sampled_from(["", "C", "BC"]),
)
def test_numbering_invariants_hold_for_any_options(ci, measure, model, drop):
    rows = [r for r in THREE if r[0] not in drop]
    m = methods_paragraph(analyse(_user(rows), ci=ci, measure=measure, method=model[0], test=model[1]))
    _check_numbering(m)
    k = len(rows) // 2
    assert ("single comparison" in m.text) == (k == 1)
    assert ("With two comparisons" in m.text) == (k == 2 and model[0] not in ("IV", "MH"))


def test_an_endpoint_that_could_not_be_pooled_is_said_so_and_no_model_is_described():
    rows = [[s, d, "zero", n, 0] for s, d, _, n, _ in THREE]
    m = methods_paragraph(analyse(_user(rows, "harmful")))
    assert "No pooled estimate was possible for zero" in m.text
    assert "main model" not in m.text and "Mantel" not in m.text and "Prediction" not in m.text
    _check_numbering(m)

"""What the report and the methods paragraph say about how a number was computed, read from the result that
computed it (issue 29, class 4: words against numbers).

Every method name, citation, level, zero-cell correction and degree-of-freedom rule the text states comes from a
choice the computation recorded: the per-comparison table's ``rd_method``, ``rr_method``, ``or_method``,
``rate_method``, ``test_method``, ``alpha`` and ``rr_correction``/``or_correction`` columns; a pooled result's
``prediction.dist`` (written from the df the interval was computed on), ``df`` and ``k``; a small-study row's
``df`` and ``k``; a table's ``ci``/``test``/``alpha`` columns. Nothing here is a second copy of a default, so a
change of analysis changes the words with the numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

from .._format import format_level

__all__: list[str] = []  # private module: the words of methods_paragraph and the report

#: each risk-difference interval in the report's words: (author, year, kind)
RD_WORDS: dict[str, tuple[str, str, str]] = {
    "newcombe": ("Newcombe", "1998", "hybrid score"),
    "mn": ("Miettinen–Nurminen", "1985", "score"),
    "mee": ("Mee", "1984", "score"),
    "agresti_caffo": ("Agresti–Caffo", "2000", ""),
    "wald": ("Wald", "", ""),
    "wald_cc": ("Wald", "", "with continuity correction"),
    "exact": ("Chan–Zhang", "1999", "exact unconditional"),
}
#: each risk-ratio / odds-ratio interval in the report's words
RATIO_WORDS: dict[str, str] = {
    "katz": "Katz log",
    "woolf": "Woolf logit",
    "koopman": "Koopman score",
    "mn": "Miettinen–Nurminen score",
    "exact": "exact",
}
#: each per-comparison test in the report's words
TEST_WORDS: dict[str, str] = {
    "fisher": "Fisher's exact test (two-sided)",
    "chi2": "Pearson's chi-squared test",
    "yates": "Yates-corrected chi-squared test",
    "barnard": "Barnard's exact test",
    "boschloo": "Boschloo's exact test",
    "score": "score test",
}
#: each prediction-interval method in words
PI_METHODS = {"hts": "Higgins–Thompson–Spiegelhalter", "metafor": "metafor predict()"}
_DIST = re.compile(r"t\(k-(\d+)\)")


def rd_words(code: str, *, cited: bool = True) -> str:
    """A risk-difference interval in words, with its author and year (``cited``) or without.

    >>> rd_words("newcombe"), rd_words("mn", cited=False)
    ('Newcombe 1998 hybrid score', 'Miettinen–Nurminen score')
    """
    author, year, kind = RD_WORDS.get(code, (code, "", ""))
    return " ".join(x for x in (author, year if cited else "", kind) if x)


def default_of(function: Any, name: str) -> Any:
    """The default of ``function``'s keyword ``name``: the text names the default the code has.

    >>> import fmtrials
    >>> default_of(fmtrials.analyse, "ci")
    'newcombe'
    """
    import inspect

    return inspect.signature(function).parameters[name].default


def recorded(frame: Any, column: str, default: str) -> str:
    """The one value ``frame[column]`` records (as text), else ``default`` (no such column, no rows, or several
    values).

    >>> recorded(pd.DataFrame({"rd_method": ["mn", "mn"]}), "rd_method", "newcombe")
    'mn'
    >>> recorded(pd.DataFrame({"rd_method": ["mn", "wald"]}), "rd_method", "newcombe")
    'newcombe'
    """
    if not isinstance(frame, pd.DataFrame) or column not in frame.columns or frame.empty:
        return default
    values = list(dict.fromkeys(str(v) for v in frame[column].dropna()))
    return values[0] if len(values) == 1 else default


def added(compared: Any, default: float) -> str:
    """The zero-cell correction the per-comparison table records (``rr_correction``, ``or_correction``; several
    joined with "or"), else ``default`` (no table had a zero cell).

    >>> added(pd.DataFrame({"rr_correction": [0.0, 0.5], "or_correction": [0.0, 0.5]}), 0.25)
    '0.5'
    """
    found = sorted(
        {
            float(v)
            for col in ("rr_correction", "or_correction")
            if isinstance(compared, pd.DataFrame) and col in compared
            for v in compared[col].dropna()
            if float(v) > 0
        }  # fmt: skip
    )
    return " or ".join(f"{a:g}" for a in found) or f"{default:g}"


def lost_df(results: Iterable[Any], kind: str) -> list[int]:
    """The degrees of freedom below k of the t distributions ``results`` (pooled results) used: ``kind="pi"``
    from each prediction interval's recorded distribution (``"t(k-2)"`` -> 2), ``kind="test"`` from each
    t test's recorded ``df`` (HKSJ: k - 1 -> 1). Distinct values, in order of first appearance."""
    out: list[int] = []
    for r in results:
        if r is None:
            continue
        if kind == "pi":
            m = _DIST.fullmatch(str(r.prediction.dist))
            lost = int(m.group(1)) if m else None
        else:
            lost = int(r.k) - int(r.df) if r.stat_dist == "t" and r.df is not None else None
        if lost is not None and lost not in out:
            out.append(lost)
    return out


def df_text(lost: Iterable[int], sep: str = "−") -> str:
    """``"k−2"`` (``sep`` " − " for ``"k − 2"``); several rules joined with "or"."""
    return " or ".join(f"k{sep}{n}" for n in lost)


def pi_words(results: Iterable[Any]) -> tuple[str, str, int]:
    """(method name, df rule "k−2", smallest k) of the prediction intervals ``results`` computed; for results
    with no prediction interval (common-effect models only) the rule the pooling code would apply."""
    results = [r for r in results if r is not None]
    lost = lost_df(results, "pi")
    methods = list(dict.fromkeys(r.prediction.method for r in results if r.prediction.dist != "none"))
    if not lost:
        from ..meta.fitting import HTS_DF_LOST

        lost, methods = [HTS_DF_LOST], methods or ["hts"]
    name = " / ".join(PI_METHODS.get(m, m) for m in methods) or PI_METHODS["hts"]
    return name, df_text(lost), max(lost) + 1


def stated_words(
    compared: pd.DataFrame | None,
    results: Iterable[Any],
    *,
    ci: str,
    alpha: float,
    composite: pd.DataFrame | None = None,
    fragility: pd.DataFrame | None = None,
    rd_default: str,
) -> dict[str, Any]:
    """The report's statements on method, level, correction and df, from the recorded choices: ``compared`` (the
    per-comparison table) and ``results`` (the pooled results shown); ``ci`` and ``alpha`` are what was asked,
    used only where the table records nothing (no comparison); ``rd_default`` is the RD interval a user gets
    without asking (``default_of(fmtrials.analyse, "ci")``), named beside a requested one. ``composite`` (the
    re-analysed published table) and ``fragility`` (the fragility table) give the words of their own methods.

    Examples
    --------
    >>> import fmtrials
    >>> r = fmtrials.analyse(endpoints=["nausea"], ci="mn")
    >>> w = stated_words(r.compared, [a.main for a in r], ci="newcombe", alpha=0.05, rd_default="newcombe")
    >>> w["rd"], w["level"], w["pi"]
    ('mn', '95%', 'Higgins–Thompson–Spiegelhalter (t, k−2 df; none for k<3)')
    >>> w["rd_sentence"]
    'Miettinen–Nurminen 1985 score, as requested; Newcombe 1998 hybrid score by default'
    """
    from ..effects.sizes import ADD
    from ..meta.diagnostic_plan import TRIMFILL_ESTIMATOR
    from ..meta.smallstudy import MIN_STUDIES

    results = list(results)
    level = format_level(float(recorded(compared, "alpha", str(alpha))))
    rd = recorded(compared, "rd_method", ci)
    pi_name, pi_df, pi_min_k = pi_words(results)
    default = rd_default
    other = "mn" if rd == default else default
    rd_sentence = f"{rd_words(rd)} by default; {' '.join(RD_WORDS[other][:2])} available" if rd == default else (
        f"{rd_words(rd)}, as requested; {rd_words(default)} by default"
    )  # fmt: skip
    words = {
        "level": level,
        "rd": rd,
        "rd_sentence": rd_sentence,
        "rr_words": RATIO_WORDS.get(r := recorded(compared, "rr_method", "katz"), r),
        "or_words": RATIO_WORDS.get(r := recorded(compared, "or_method", "woolf"), r),
        "rate_words": "Wilson score" if (r := recorded(compared, "rate_method", "wilson")) == "wilson" else r,
        "test_words": TEST_WORDS.get(r := recorded(compared, "test_method", "fisher"), r),
        "add": added(compared, ADD),
        "pool_add": f"{ADD:g}",
        "pi_name": pi_name,
        "pi_df": pi_df,
        "pi": f"{pi_name} (t, {pi_df} df; none for k<{pi_min_k})",
        "small_study_min_k": MIN_STUDIES,
        "trimfill": TRIMFILL_ESTIMATOR,
    }
    if composite is not None:
        test = recorded(composite, "test", "fisher")
        words["composite"] = (
            f"{rd_words(recorded(composite, 'ci', rd), cited=False)} intervals; "
            f"{TEST_WORDS.get(test, test).split(' (')[0]}"
        )
    if fragility is not None:
        test = recorded(fragility, "test", "fisher")
        who = "Fisher's" if test == "fisher" else f"the {TEST_WORDS.get(test, test).split(' (')[0]}'s"
        words["fragility"] = f"{who} p to reach {float(recorded(fragility, 'alpha', str(alpha))):g}"
    return words

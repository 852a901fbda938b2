"""A paste-able methods paragraph written from the choices an :class:`~fmtrials.analysis.Analysis` actually made.

:func:`methods_paragraph` states only what was done: the rules that applied (and to which endpoints), the
interval and test methods recorded in the per-comparison table, the models used, and the software. Citations are
numbered ``[1]``, ``[2]`` ... in order of first use; :data:`REFERENCES` holds every full reference the text can
cite (checked against the metafor 3.8 manual pages, PubMed and package documentation; see the module's tests).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from .._format import format_level, measure_name
from .._result import ResultMixin, render_html
from .._validation import ARGUMENTS
from ..errors import DataError, Problem
from ._wording import RATIO_WORDS, added, df_text, lost_df
from .policy import ANALYSIS_PREFERENCE, COMMON_MODEL, Model

if TYPE_CHECKING:
    from .endpoint import EndpointAnalysis
    from .overall import Analysis

__all__ = ["MethodsText", "methods_paragraph", "REFERENCES"]

#: every reference the paragraph can cite, by key (Vancouver style, journal volume:pages)
REFERENCES: dict[str, str] = {
    "newcombe": "Newcombe RG. Interval estimation for the difference between independent proportions: comparison "
    "of eleven methods. Stat Med. 1998;17:873–890.",
    "mn": "Miettinen O, Nurminen M. Comparative analysis of two rates. Stat Med. 1985;4:213–226.",
    "mee": "Mee RW. Confidence bounds for the difference between two probabilities. Biometrics. 1984;40:1175–1176.",
    "agresti_caffo": "Agresti A, Caffo B. Simple and effective confidence intervals for proportions and differences "
    "of proportions result from adding two successes and two failures. Am Stat. 2000;54:280–288.",
    "chan_zhang": "Chan ISF, Zhang Z. Test-based exact confidence intervals for the difference of two binomial "
    "proportions. Biometrics. 1999;55:1202–1209.",
    "altman": "Altman DG. Confidence intervals for the number needed to treat. BMJ. 1998;317:1309–1312.",
    "wilson": "Wilson EB. Probable inference, the law of succession, and statistical inference. J Am Stat Assoc. "
    "1927;22:209–212.",
    "viechtbauer2005": "Viechtbauer W. Bias and efficiency of meta-analytic variance estimators in the "
    "random-effects model. J Educ Behav Stat. 2005;30:261–293.",
    "dersimonian": "DerSimonian R, Laird N. Meta-analysis in clinical trials. Control Clin Trials. 1986;7:177–188.",
    "paule": "Paule RC, Mandel J. Consensus values and weighting factors. J Res Natl Bur Stand. 1982;87:377–385.",
    "hartung": "Hartung J, Knapp G. A refined method for the meta-analysis of controlled clinical trials with "
    "binary outcome. Stat Med. 2001;20:3875–3889.",
    "sidik": "Sidik K, Jonkman JN. A simple confidence interval for meta-analysis. Stat Med. 2002;21:3153–3159.",
    "knapp": "Knapp G, Hartung J. Improved tests for a random effects meta-regression with a single covariate. "
    "Stat Med. 2003;22:2693–2710.",
    "higgins2009": "Higgins JPT, Thompson SG, Spiegelhalter DJ. A re-evaluation of random-effects meta-analysis. "
    "J R Stat Soc Ser A Stat Soc. 2009;172:137–159.",
    "mantel": "Mantel N, Haenszel W. Statistical aspects of the analysis of data from retrospective studies of "
    "disease. J Natl Cancer Inst. 1959;22:719–748.",
    "greenland": "Greenland S, Robins JM. Estimation of a common effect parameter from sparse follow-up data. "
    "Biometrics. 1985;41:55–68.",
    "robins": "Robins J, Breslow N, Greenland S. Estimators of the Mantel-Haenszel variance consistent in both "
    "sparse data and large-strata limiting models. Biometrics. 1986;42:311–323.",
    "sato": "Sato T, Greenland S, Robins JM. On the variance estimator for the Mantel-Haenszel risk difference. "
    "Biometrics. 1989;45:1323–1324.",
    "yusuf": "Yusuf S, Peto R, Lewis J, Collins R, Sleight P. Beta blockade during and after myocardial "
    "infarction: an overview of the randomized trials. Prog Cardiovasc Dis. 1985;27:335–371.",
    "holm": "Holm S. A simple sequentially rejective multiple test procedure. Scand J Stat. 1979;6:65–70.",
    "cochrane": "Higgins JPT, Eldridge S, Li T (editors). Chapter 23: Including variants on randomized trials. In: "
    "Higgins JPT, Thomas J, Chandler J, Cumpston M, Li T, Page MJ, Welch VA (editors). Cochrane Handbook for "
    "Systematic Reviews of Interventions version 6.4 (updated August 2023). Cochrane; 2023. Section 23.3.4.",
    "egger1997": "Egger M, Davey Smith G, Schneider M, Minder C. Bias in meta-analysis detected by a simple, "
    "graphical test. BMJ. 1997;315:629–634.",
    "begg1994": "Begg CB, Mazumdar M. Operating characteristics of a rank correlation test for publication bias. "
    "Biometrics. 1994;50:1088–1101.",
    "duval2000": "Duval S, Tweedie R. Trim and fill: a simple funnel-plot-based method of testing and adjusting for "
    "publication bias in meta-analysis. Biometrics. 2000;56:455–463.",
    "peters2008": "Peters JL, Sutton AJ, Jones DR, Abrams KR, Rushton L. Contour-enhanced meta-analysis funnel plots "
    "help distinguish publication bias from other causes of asymmetry. J Clin Epidemiol. 2008;61:991–996.",
    "metafor": "Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat Softw. 2010;36(3):1–48.",
}
#: the risk-difference interval of each ``ci`` (name in the text, references)
_RD_CI: dict[str, tuple[str, tuple[str, ...]]] = {
    "newcombe": ("Newcombe's hybrid score interval", ("newcombe",)),
    "mn": ("the Miettinen–Nurminen score interval", ("mn",)),
    "mee": ("Mee's score interval", ("mee",)),
    "agresti_caffo": ("the Agresti–Caffo interval", ("agresti_caffo",)),
    "wald": ("the Wald interval", ()),
    "wald_cc": ("the Wald interval with continuity correction", ("newcombe",)),
    "exact": ("the Chan–Zhang exact unconditional interval", ("chan_zhang",)),
}
_TESTS = {
    "fisher": "two-sided Fisher exact test",
    "chi2": "Pearson chi-squared test",
    "yates": "Yates-corrected chi-squared test",
    "barnard": "Barnard exact test",
    "boschloo": "Boschloo exact test",
    "score": "score test",
}
_TAU2 = {
    "REML": ("restricted maximum likelihood", ("viechtbauer2005",)),
    "DL": ("the DerSimonian–Laird estimator", ("dersimonian",)),
    "PM": ("the Paule–Mandel estimator", ("paule",)),
}
#: the sensitivity table's methods and tests in words (the sentence names those that were fitted)
_SENS_COMMON = {"MH": "Mantel–Haenszel", "IV": "inverse variance", "Peto": "Peto"}
_SENS_RANDOM = {"DL": "DerSimonian–Laird", "REML": "REML", "PM": "Paule–Mandel"}
_SENS_TESTS = {"z": "z", "hksj": "HKSJ", "hksj-adhoc": "HKSJ ad hoc"}
_MH_VARIANCE = {"RR": ("Greenland–Robins", "greenland"), "OR": ("Robins–Breslow–Greenland", "robins"),
                "RD": ("Sato–Greenland–Robins", "sato")}  # fmt: skip
#: marks where the sentences on the pooling models begin and end (removed from the text)
_MODELS = "\ue002"
_MARK = re.compile(r"(?:\ue000(\w+)\ue001)+")


def _cite(*keys: str) -> str:
    """Citation markers for ``keys`` (numbered later, in order of first use)."""
    return "".join(f"\ue000{k}\ue001" for k in keys)


@dataclass(frozen=True)
class MethodsText(ResultMixin):
    """A methods paragraph (:func:`methods_paragraph`): ``text`` (one plain-text paragraph citing ``[n]``),
    ``references`` (``"1. Newcombe RG. ..."``, numbered in order of first use) and ``models``, the sentences of
    ``text`` on the pooling models (the main model, the small-k rules that applied, the check), numbered alike
    (the report prints them above its pooled results)."""

    text: str
    references: tuple[str, ...]
    models: str = ""

    def summary(self) -> str:
        """The paragraph, then the numbered references."""
        return self.text + "\n\nReferences\n" + "\n".join(self.references)

    def to_frame(self) -> pd.DataFrame:
        """One row per reference: ``number`` and ``reference``."""

        return pd.DataFrame(
            {
                "number": list(range(1, len(self.references) + 1)),
                "reference": [r.split(". ", 1)[1] for r in self.references],
            }
        )

    def _repr_html_(self) -> str:
        return render_html("methods", paragraphs=[self.text], items=[r.split(". ", 1)[1] for r in self.references])


def methods_paragraph(result: Analysis, *, treatment: str | None = None) -> MethodsText:
    """A paste-able methods paragraph, with numbered references, generated from what ``result`` did.

    Only what applied is stated: the small-k rules name the endpoints they were used for (and are left out
    when they never applied); prediction intervals, the split of shared placebo arms, zero-cell corrections,
    dose subgroups and the choice among alternative analyses are mentioned only where they occurred. The
    interval and test methods are read from the per-comparison table (``rd_method``, ``rate_method``,
    ``test_method``), the models from each endpoint (``main_model``, ``model_rule``).

    Parameters
    ----------
    result : Analysis
        The output of :func:`fmtrials.analyse`.
    treatment : str, optional
        The treatment's name in the text; by default "milnacipran" for the bundled data and none for a user's
        own data (a paragraph never names a drug the user did not name).

    Returns
    -------
    MethodsText
        ``text`` (plain text, no HTML) and ``references``; ``str()`` gives both, ``_repr_html_`` a notebook view.

    Raises
    ------
    DataError
        ``result`` is not an :class:`~fmtrials.analysis.Analysis`, or ``treatment`` is not a string.

    Examples
    --------
    >>> import fmtrials
    >>> m = fmtrials.methods_paragraph(fmtrials.analyse())
    >>> m.text[:69]
    'Each milnacipran dose was compared with the placebo arm of its trial:'
    >>> len(m.references), m.references[0][:40]
    (13, '1. Newcombe RG. Interval estimation for ')
    >>> dl = fmtrials.methods_paragraph(fmtrials.analyse(method="DL", test="z"))
    >>> any("DerSimonian" in r for r in dl.references), any("Bias and efficiency" in r for r in dl.references)
    (True, False)
    """
    from .overall import Analysis

    if not isinstance(result, Analysis):
        raise DataError(
            Problem(
                f"must be the result of fmtrials.analyse(), got {type(result).__name__}",
                file=ARGUMENTS,
                column="result",
            )
        )
    if treatment is not None and not isinstance(treatment, str):
        raise DataError(
            Problem(f"must be a string, got {type(treatment).__name__}", file=ARGUMENTS, column="treatment")
        )
    name = _clean(treatment if treatment is not None else ("milnacipran" if result.origin == "bundled" else ""))
    sentences = [
        _per_comparison(result, name),
        _alternatives(result),
        _shared_placebo(result),
        _zero_cells(result),
        _MODELS.join(("", " ".join(_pooling(result)), "")),
        _subgroups(result),
        _prediction(result),
        _sensitivity(result),
        _small_study(result),
        _holm(result),
        _software(),
    ]
    return _numbered(" ".join(s for s in sentences if s.strip(_MODELS)))


# ------------------------------------------------------------------------------------------------ sentences


def _per_comparison(result: Analysis, name: str) -> str:
    c = result.compared
    rd = _one(c, "rd_method", result.ci)
    rd_name, rd_refs = _RD_CI.get(rd, (f"the {rd} interval", ()))
    test = _TESTS.get(_one(c, "test_method", "fisher"), "two-sided test")
    rate = _one(c, "rate_method", "wilson")
    rate_text = f"each arm's proportion has a Wilson score interval {_cite('wilson')}" if rate == "wilson" else (
        f"each arm's proportion has a {rate} interval"
    )  # fmt: skip
    arm = f"{name} dose" if name else "treatment arm"
    rr, odds = _one(c, "rr_method", "katz"), _one(c, "or_method", "woolf")
    ratios = (
        f"the risk ratio ({RATIO_WORDS.get(rr, rr)} interval) and odds ratio ({RATIO_WORDS.get(odds, odds)} interval)"
    )
    return (
        f"Each {arm} was compared with the placebo arm of its trial: the risk difference with {rd_name} "
        f"{_cite(*rd_refs)}; {ratios}; the number needed to treat for benefit or harm (NNTB/NNTH) from the risk "
        "difference and its interval, which runs through infinity when that interval includes zero "
        f"{_cite('altman')}; and a {test}. {rate_text[0].upper()}{rate_text[1:]}. All intervals are two-sided at the "
        f"{format_level(float(_one(c, 'alpha', str(result.alpha))))} level."
    )


def _alternatives(result: Analysis) -> str:
    eps = [a for a in result if len(a.alternates)]
    if not eps:
        return ""
    order = ", ".join(ANALYSIS_PREFERENCE)
    return (
        f"Where a comparison was reported under several analyses ({_names(eps, result)}), the pooled results use "
        f"the first available in the order {order}; the others enter the sensitivity analysis."
    )


def _shared_placebo(result: Analysis) -> str:
    studies = sorted(
        {str(s) for a in result if len(a.primary) for s in a.primary.loc[a.primary["shared_placebo"], "study"]}
    )
    if not studies:
        return ""
    return (
        f"The placebo arm of {_join(studies)} served two dose comparisons; for pooling, its events and patients were "
        f"divided between them so that no placebo patient was counted twice {_cite('cochrane')}."
    )


def _zero_cells(result: Analysis) -> str:
    from ..effects.sizes import ADD, zero_cell

    cells = ("events_t", "n_t", "events_c", "n_c")
    eps = [a for a in _pooled(result) if zero_cell(*(a.pooled_table[c].to_numpy(float) for c in cells)).any()]
    if not eps:
        return ""
    return (
        f"Trials with a zero cell ({_names(eps, result)}) had {added(result.compared, ADD)} added to every cell "
        "for their own estimate and for inverse-variance and random-effects pooling; Mantel–Haenszel estimates use "
        "the raw counts."
    )


def _pooling(result: Analysis) -> list[str]:
    pooled = _pooled(result)
    failed = [a for a in result if a.main is None]
    none = [f"No pooled estimate was possible for {_names(failed, result)} (see its notes)."] if failed else []
    if not pooled:
        return none
    scale = "on the log scale" if result.measure in ("RR", "OR") else "as differences"
    out = [*none, f"{_upper(measure_name(result.measure))}s were pooled {scale}."]
    groups: dict[tuple[Model, str], list[EndpointAnalysis]] = {}
    for a in pooled:
        assert a.main_model is not None and a.model_rule is not None
        groups.setdefault((a.main_model, a.model_rule), []).append(a)
    for (model, rule), eps in groups.items():
        if rule == "main":
            who = " (chosen by the analyst)" if result.requested is not None else ""
            tested = lost_df((a.main for a in eps), "test")
            out.append(f"For {_names(eps, result)} the main model{who} was {_model(model, result.measure, tested)}.")
    small = [a for (_, rule), eps in groups.items() if rule == "small-k" for a in eps]
    if small:
        out.append(
            f"With two comparisons ({_names(small, result)}) τ² cannot be estimated usefully and an HKSJ interval on "
            f"one degree of freedom is uninformative, so the main model was {_model(COMMON_MODEL, result.measure)}; "
            "the random-effects models are reported as sensitivity analyses."
        )
    single = [a for (_, rule), eps in groups.items() if rule == "single" for a in eps]
    if single:
        out.append(
            f"Endpoints with a single comparison ({_names(single, result)}) are reported as that trial's own "
            f"estimate with the p-value of its {_TESTS.get(_one(result.compared, 'test_method', 'fisher'), 'test')}"
            "; no pooling model applies to them, nor to a dose with a single comparison."
        )
    if any(a.main_model != COMMON_MODEL and a.common is not None for a in pooled):
        out.append(f"{_upper(_model(COMMON_MODEL, result.measure))} was fitted as a check.")
    return out


def _subgroups(result: Analysis) -> str:
    eps = [a for a in _pooled(result) if a.by]
    if not eps:
        return ""
    return (
        f"For endpoints with several doses ({_names(eps, result)}) each dose was also pooled on its own, and the test "
        "for subgroup differences is the between-subgroup Q on the subgroups' conventional (z) standard errors, as in "
        "RevMan."
    )


def _prediction(result: Analysis) -> str:
    import math

    eps = [a for a in _pooled(result) if a.main is not None and math.isfinite(a.main.prediction.pi_low)]
    if not eps:
        return ""
    lost = df_text(lost_df((a.main for a in eps), "pi"), " − ")
    return (
        f"Prediction intervals for the effect in a new trial (t distribution on {lost} degrees of freedom) "
        f"{_cite('higgins2009')} are given for {_names(eps, result)}."
    )


def _sensitivity(result: Analysis) -> str:
    sens = [a for a in result if a.sensitivity is not None]
    loo = [a for a in result if a.leave_one_out is not None]
    parts = []
    if sens:
        fitted = pd.concat([a.sensitivity[["method", "test"]] for a in sens if a.sensitivity is not None])
        common = [w for m, w in _SENS_COMMON.items() if m in set(fitted["method"])]
        random = fitted[fitted["method"].isin(list(_SENS_RANDOM))]
        tests = [w for t, w in _SENS_TESTS.items() if t in set(random["test"])]
        models = ", ".join(common) + (", and " if common and len(random) else "")
        if len(random):
            methods = [w for m, w in _SENS_RANDOM.items() if m in set(random["method"])]
            models += f"{_join(methods)} random effects, each with {_join(tests)} tests"
        parts.append(f"Sensitivity analyses ({_names(sens, result)}) refitted every model ({models})")
    if loo:
        parts.append(
            f"leave-one-out analyses ({_names(loo, result)}) refitted the main model without each comparison in turn"
        )
    return ("; ".join(parts) + ".") if parts else ""


def _small_study(result: Analysis) -> str:
    """The small-study sentence, only where an endpoint pooled at least 10 comparisons (the report's rule,
    :data:`fmtrials.meta.smallstudy.MIN_STUDIES`); the endpoints with fewer are named with their k."""
    from ..meta.diagnostic_plan import TRIMFILL_ESTIMATOR
    from ..meta.smallstudy import MIN_STUDIES

    ks = {a.endpoint: int(a.main.k) for a in result if a.main is not None and int(a.main.k) >= 2}
    tested = [a for a in result if ks.get(a.endpoint, 0) >= MIN_STUDIES]
    if not tested:
        return ""
    few = [a for a in result if 2 <= ks.get(a.endpoint, 0) < MIN_STUDIES]
    text = (
        f"Small-study effects were assessed for {_names(tested, result)} (at least {MIN_STUDIES} comparisons) with "
        f"Egger's regression test {_cite('egger1997')} (the classical weighted regression of each effect on its "
        "standard error, and metafor's default meta-regression variant), Begg's rank correlation "
        f"{_cite('begg1994')}, trim-and-fill with the {TRIMFILL_ESTIMATOR} estimator {_cite('duval2000')} and a "
        f"contour-enhanced funnel plot {_cite('peters2008')}"
    )
    if few:
        listed = ", ".join(f"{_label(a.endpoint, result)} k = {ks[a.endpoint]}" for a in few)
        text += f"; not for endpoints with fewer comparisons ({listed})"
    return text + "."


def _holm(result: Analysis) -> str:
    c = result.compared
    if c.empty or "holm_family" not in c.columns:
        return ""
    fams = [f for f in dict.fromkeys(c.loc[c["holm_counted"], "holm_family"]) if isinstance(f, str)]
    if not fams:
        return ""
    safety = [_label(f.removeprefix("safety: "), result) for f in fams if f.startswith("safety: ")]
    parts = (["all efficacy comparisons together"] if "efficacy" in fams else []) + (
        [f"each safety endpoint on its own ({_join(safety)})"] if safety else []
    )
    once = "; a comparison reported under several analyses was counted once" if (~c["holm_counted"]).any() else ""
    return (
        f"P values of the per-comparison tests were adjusted with Holm's procedure {_cite('holm')} within families: "
        f"{_join(parts)}{once}."
    )


def _software() -> str:
    from .. import __version__

    return (
        f"Analyses used fmtrials {__version__} (Python), whose pooled estimates are validated against R metafor 3.8 "
        f"{_cite('metafor')}."
    )


# ------------------------------------------------------------------------------------------------- helpers


def _model(model: Model, measure: str, lost: list[int] | None = None) -> str:
    """A model in words, with its citation markers; ``lost``: the degrees of freedom below k of the t tests the
    model's results recorded (:func:`fmtrials.analysis._wording.lost_df`)."""
    on = f" on {df_text(lost, ' − ')} degrees of freedom" if lost else ""
    if model.method == "MH":
        var, key = _MH_VARIANCE[measure]
        text = f"the Mantel–Haenszel common-effect model {_cite('mantel')} with the {var} variance {_cite(key)}"
    elif model.method == "Peto":
        text = f"the Peto one-step odds ratio {_cite('yusuf')}"
    elif model.method == "IV":
        text = "the inverse-variance common-effect model"
    elif model.method == "MH-DL":
        text = (
            "RevMan 5's Mantel–Haenszel random-effects model: τ² from the DerSimonian–Laird formula "
            f"{_cite('dersimonian')} applied to the heterogeneity Q around the Mantel–Haenszel estimate "
            f"{_cite('mantel')}, then inverse-variance random-effects pooling"
        )
    else:
        est, refs = _TAU2[model.method]
        text = f"a random-effects model with τ² from {est} {_cite(*refs)}"
    if model.test == "z" and model.method not in ("MH", "Peto"):
        text += ", with a z test"
    if model.test == "hksj":
        text += f", with the Hartung–Knapp–Sidik–Jonkman interval and t test{on} {_cite('hartung', 'sidik')}"
    elif model.test == "hksj-adhoc":
        text += (
            f", with the Hartung–Knapp–Sidik–Jonkman interval and t test{on} "
            f"{_cite('hartung', 'sidik')} in its ad hoc form, never narrower than the z interval {_cite('knapp')}"
        )
    return text


def _numbered(text: str) -> MethodsText:
    """Replace citation markers by ``[n]`` / ``[n, m]`` numbered in order of first use."""
    order: dict[str, int] = {}

    def number(m: re.Match[str]) -> str:
        keys = re.findall(r"\ue000(\w+)\ue001", m.group(0))
        nums = [order.setdefault(k, len(order) + 1) for k in keys]
        return "[" + ", ".join(map(str, nums)) + "]"

    out = _MARK.sub(number, text)
    out = re.sub(r" +", " ", out).replace(" ,", ",").replace(" .", ".").replace(" ;", ";")
    refs = tuple(f"{n}. {REFERENCES[k]}" for k, n in order.items())
    parts = out.split(_MODELS)
    models = parts[1].strip() if len(parts) == 3 else ""
    return MethodsText(text="".join(parts), references=refs, models=models)


def _pooled(result: Analysis) -> list[EndpointAnalysis]:
    return [a for a in result if a.main is not None]


def _one(frame: object, column: str, default: str) -> str:
    import pandas as pd

    if not isinstance(frame, pd.DataFrame) or column not in frame.columns or frame.empty:
        return default
    values = list(dict.fromkeys(str(v) for v in frame[column].dropna()))
    return values[0] if len(values) == 1 else default


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _label(endpoint: str, result: Analysis) -> str:
    """The glossary label of a bundled endpoint, else its code (user text, markers stripped)."""
    if result.origin == "bundled":
        from .. import data as _data

        g = _data._bundled("endpoints")
        hit = g.loc[g["code"] == endpoint, "label"]
        if len(hit):
            return _clean(str(hit.iloc[0]))
    return _clean(endpoint)


def _names(analyses: Iterable[EndpointAnalysis], result: Analysis) -> str:
    return _join([_label(a.endpoint, result) for a in analyses])


def _join(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _clean(text: str) -> str:
    """User text without the private-use characters that mark citations."""
    return text.replace("\ue000", "").replace("\ue001", "")

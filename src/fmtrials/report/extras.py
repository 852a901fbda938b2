"""The report's "What it means" part (issue 15: decision metrics) and per-endpoint diagnostics (issue 14: dose
meta-regression, influence, small-study tests), each as the raw tables written under ``tables/`` and the display
rows the template prints. The numbers come from :mod:`fmtrials.analysis.extras`
(:func:`~fmtrials.analysis.extras.decision_metrics`, :func:`~fmtrials.analysis.extras.endpoint_diagnostics`);
every one is printed through :mod:`fmtrials._format`.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from .._format import format_interval, format_number, format_p
from ..analysis.extras import decision_metrics, endpoint_diagnostics
from ..analysis.policy import MCID
from ..errors import DataError

__all__: list[str] = []  # private module


def _n(x: Any, digits: int = 0) -> str:
    return format_number(x, digits, missing="–")


def what_it_means_part(analysis: Any, outcomes: pd.DataFrame) -> dict[str, Any]:
    """Tables and display rows of the "What it means" section (numbers:
    :func:`fmtrials.analysis.extras.decision_metrics`). The section is always shown: a table that cannot be
    computed is replaced by the reason (``reasons``; the whole part by ``error`` when the data cannot give it)."""
    try:
        w = decision_metrics(analysis, outcomes)
    except DataError as err:
        return {"error": f"not computed: {err}", "tables": {}, "mcid_points": format_number(100 * MCID, 0)}
    tables = w.tables()
    sof = tables["summary_of_findings"]
    rows = [
        {
            "endpoint": r["endpoint"],
            "participants": f"{int(r['participants']):,} ({int(r['trials'])})",
            "relative": r["relative_effect"],
            "assumed": _n(r["assumed_per_1000"]),
            "corresponding": f"{_n(r['corresponding_per_1000'])} ({_n(r['corresponding_per_1000_low'])} to "
            f"{_n(r['corresponding_per_1000_high'])})",
            "difference": f"{_n(r['difference_per_1000'])} ({_n(r['difference_per_1000_low'])} to "
            f"{_n(r['difference_per_1000_high'])})",
            "certainty": r["certainty"],
            "explanation": r["explanation"],
        }
        for _, r in sof.iterrows()
    ]
    br = tables["benefit_risk"]
    readings = [f"{r['study']}: {r['reading']}" for _, r in br.iterrows()]
    fr = tables["fragility"]
    fragility = [
        {
            "endpoint": r["endpoint"],
            "study": r["study"],
            "dose": _n(r["dose_mg_day"]),
            "counts": f"{int(r['events_t'])}/{int(r['n_t'])} vs {int(r['events_c'])}/{int(r['n_c'])}",
            "p": format_p(r["p_value"], missing="–"),
            "index": _n(r["fragility_index"]),
            "quotient": _n(r["fragility_quotient"], 4),
            "status": f"{r['status_t']}/{r['status_c']}",
        }
        for _, r in fr.iterrows()
        if r["direction"] == "fragility"
    ]
    post = tables["posterior"]
    keep = [r for _, r in post.iterrows() if not (r["level"] == "pooled" and re.search(r"k = 1\b", str(r["study"])))]
    posterior = [
        {
            "endpoint": r["endpoint"],
            "study": r["study"],
            "rd": format_interval(r["mean"], r["ci_low"], r["ci_high"], 3, missing="–"),
            "p": format_number(r["p_greater"], 3, missing="–"),
            "note": r["note"] if isinstance(r["note"], str) else "",
        }
        for r in keep
    ]
    return {
        "tables": tables,
        "sof": rows,
        "readings": readings,
        "fragility": fragility,
        "posterior": posterior,
        "choices": list(w.choices),
        "reasons": list(w.reasons),
        "sof_note": _sof_note(analysis),
        "mcid_points": format_number(100 * MCID, 0),
    }


def _sof_note(analysis: Any) -> str:
    """The footnote of the summary-of-findings table: which ratio the relative column holds and where the
    absolute effects come from."""
    text = (
        "Relative effect: the pooled ratio of each endpoint's main model. Absolute effects per 1000: the assumed "
        "risk (the median placebo risk of the pooled comparisons) and the corresponding risk it implies under that "
        "ratio and its interval (assumed risk × RR; for an OR, OR × risk / (1 − risk + OR × risk)), as in GRADE "
        "summary-of-findings tables."
    )
    if getattr(analysis, "measure", None) == "RD":
        text += (
            " The analysis pools risk differences (--measure RD); a relative column shows a ratio, so it holds the "
            "risk ratio pooled on the same comparisons by the same model, and the absolute effects and the "
            "certainty domains come from it; each row's pooled risk difference is given under “Why each "
            "certainty” and in the pooled results."
        )
    return text


def diagnostics_part(ea: Any) -> dict[str, Any] | None:
    """Dose meta-regression, influence and small-study rows of one endpoint (all doses pooled with the main
    model, placebo arms split as for pooling), and the sentences for the parts that are not meaningful."""
    computed = endpoint_diagnostics(ea)
    if computed is None:
        return None
    res, d = computed.pooled, computed.diagnostics
    if res is None or d is None:
        return {"reasons": [computed.error], "regression": [], "influence": [], "raw": {}}
    raw: dict[str, pd.DataFrame] = {}
    regression = []
    if d.dose_regression is not None:
        coef = d.dose_regression.coefficients
        raw["dose_regression"] = coef.assign(endpoint=ea.endpoint, qm=d.dose_regression.qm, qm_p=d.dose_regression.qm_p)
        regression = [
            {
                "term": r["term"],
                "estimate": format_interval(r["estimate"], r["ci_low"], r["ci_high"], 4, missing="–"),
                "p": format_p(r["p_value"], missing="–"),
            }
            for _, r in coef.iterrows()
        ]
    influence = []
    if d.influence is not None:
        raw["influence"] = d.influence.assign(endpoint=ea.endpoint)
        influence = [
            {
                "study": r.get("label", r.get("study", "")),
                "rstudent": _n(r["rstudent"], 2),
                "cook_d": _n(r["cook_d"], 3),
                "hat": _n(r["hat"], 3),
                "weight": _n(r["weight"], 1),
                "influential": "yes" if bool(r["influential"]) else "",
            }
            for _, r in d.influence.iterrows()
        ]
    small = None
    if d.small_study is not None:
        raw["small_study"] = d.small_study.assign(endpoint=ea.endpoint)
        small = small_study_rows(d.small_study, d.trim_and_fill, res)
    reasons = [v for k, v in d.reasons.items() if k != "small_study"]
    return {
        "reasons": reasons,
        "regression": regression,
        "influence": influence,
        "raw": raw,
        "small_study": small,
        "small_study_reason": d.reasons.get("small_study"),
        "k": int(res.k),
        "pooled": res,
        "trim_and_fill": d.trim_and_fill,
    }


#: what each small-study test is, as the report names it: (test, variant with the metafor call)
SMALL_STUDY_NAMES = {
    "egger": (
        "Egger's regression test (Egger et al. 1997)",
        "classical variant: weighted least squares of each effect on its standard error (weights 1/vi), {stat} test "
        'of the slope on {df} df; metafor <code>regtest(fit, model="lm")</code>',
    ),
    "egger_rma": (
        "Egger's test, metafor's default",
        "meta-regression of each effect on its standard error with the main model's τ² estimator ({tau2}), {stat} "
        'test of the slope; metafor <code>regtest(fit)</code> on <code>rma(yi, vi, method="{tau2}")</code>',
    ),
    "begg": (
        "Begg's rank correlation (Begg & Mazumdar 1994)",
        "Kendall's τ between the standardised effects and their variances; metafor <code>ranktest(fit)</code>",
    ),
}


def small_study_rows(tests: pd.DataFrame, tf: Any, res: Any) -> dict[str, Any]:
    """Display rows of the "Small-study effects" section: one per test (name, variant, statistic, p) and the
    trim-and-fill sentence (estimator, side, number filled, adjusted estimate beside the observed one)."""
    from markupsafe import Markup

    tau2 = "FE" if res.model == "common" else (res.tau2_method or "REML")
    rows = []
    for r in tests.to_dict(orient="records"):
        name, variant = SMALL_STUDY_NAMES[r["method"]]
        stat = {"t": "t", "z": "z", "tau": "τ"}[r["statistic_name"]]
        digits = 3 if r["statistic_name"] == "tau" else 2
        df = f" (df {int(r['df'])})" if r["df"] == r["df"] else ""
        # the test and its df in words from the row that was computed (k − 2: slope and intercept estimated)
        lost = f"k − {int(r['k']) - int(r['df'])}" if r["df"] == r["df"] else ""
        variant = (
            variant.replace("{tau2}", tau2).replace("{stat}", stat).replace(" on {df} df" if not lost else "{df}", lost)
        )
        rows.append(
            {
                "test": name,
                "variant": Markup(variant),
                "k": int(r["k"]),
                "statistic": f"{stat} = {_n(r['statistic'], digits)}{df}",
                "p": format_p(r["p_value"], missing="–"),
            }
        )
    out: dict[str, Any] = {"tests": rows, "trim_and_fill": None}
    if tf is not None:
        digits = 3 if tf.measure == "RD" else 2
        model = "inverse-variance common effect" if tf.method == "IV" else f"{tf.method} random effects"
        out["trim_and_fill"] = {
            "estimator": tf.estimator,
            "side": tf.side,
            "k0": tf.k0,
            "k": tf.k,
            "model": model,
            "adjusted": format_interval(tf.estimate, tf.ci_low, tf.ci_high, digits, missing="–"),
            "p": format_p(tf.p_value, missing="–"),
            "observed": format_interval(res.estimate, res.ci_low, res.ci_high, digits, missing="–"),
            "notes": list(tf.notes),
        }
    return out

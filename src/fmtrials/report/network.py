"""The section "How does milnacipran compare with duloxetine and pregabalin?" (issue 24) as the report shows it.

The numbers come from :func:`fmtrials.analysis.network.comparator_network` (the bundled comparator trials, or a
user file given as ``--comparators``); this module words them, formats them (:mod:`fmtrials._format`), draws the
figures and writes the tables:

* ``tables/network_league.csv``: ``level`` (``dose``: the network of dose nodes; ``drug``: each trial's dose arms
  combined), ``treatment``, ``versus`` and :meth:`NetworkResult.league` (``estimate, ci_low, ci_high`` on the
  ratio scale, ``se`` and ``z`` on the log scale, ``p``, prediction interval ``pi_low, pi_high``);
* ``tables/network_p_scores.csv``: ``treatment, p_score`` (per dose, larger = better);
* ``tables/network_inconsistency.csv``: ``part`` (``total``, ``within designs``, ``between designs``), ``q``,
  ``df``, ``p``; the first row also ``tau2`` (the network's between-study variance);
* ``tables/network_published.csv``: :data:`fmtrials.analysis.network.PUBLISHED` (``source, measure, level,
  treatment, published, published_low, published_high, published_trials, published_patients, published_model``)
  beside fmtrials' estimate from the input counts on the published measure (``fmtrials, fmtrials_low,
  fmtrials_high``; ``fmtrials_k``: trials with that treatment) and what lies behind it (the whole network for a
  network estimate, the drug's trials for a per-drug one): ``fmtrials_trials``, ``fmtrials_patients``,
  ``fmtrials_arms`` and ``fmtrials_population_not_stated`` (arms whose analysis population is not stated);
* ``tables/network_inputs.csv``: every arm analysed (``study, node, arm, events, n, population, status, source,
  locator``).

The input (bundled, or ``--comparators``) is read and fitted by :mod:`fmtrials.report.network_input`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .._format import format_interval, format_number, format_p, measure_name
from .network_input import FOCUS, prepare

__all__: list[str] = []  # private module: the public names are fmtrials.comparator_network and write_report

#: how the methods paragraph names each between-study variance estimator of :func:`fmtrials.network_meta`
TAU2_WORDS = {
    "REML": "one between-study variance τ² for every comparison, estimated by restricted maximum likelihood, "
    "with correlation 1/2 between the random effects of contrasts sharing an arm (the model of R metafor "
    'rma.mv(yi, V, mods, random = ~ comp | study, rho = 1/2) and netmeta method.tau = "REML")',
    "DL": "one between-study variance τ² for every comparison, netmeta's generalised DerSimonian–Laird estimator",
    "common": "a common-effect model (generalised least squares, no between-study variance)",
}


# ------------------------------------------------------------------------------------------------ words
def _ci(r: Any, digits: int = 2) -> str:
    return format_interval(r.estimate, r.ci_low, r.ci_high, digits)


def _verdict(r: Any, null: float, a: str, b: str) -> str:
    if r.ci_low <= null <= r.ci_high:
        return "no difference demonstrated"
    return f"more responders with {a if r.estimate > null else b}"


def lead(net: Any) -> list[str]:
    """The answer in words derived from the numbers: each drug against milnacipran (per drug, all doses of a
    trial combined), per dose how many comparisons with a milnacipran dose exclude no difference, and the caveat."""
    drug, dose = net.by_drug, net.by_dose
    null = 0.0 if drug.measure == "RD" else 1.0
    mname = measure_name(drug.measure).lower()
    others = [t for t in drug.treatments if t not in ("placebo", FOCUS)]
    lg = drug.league().set_index(["treatment", "versus"])
    parts = []
    for t in others:
        r = lg.loc[(t, FOCUS)]
        parts.append(f"{t} against {FOCUS}: {mname} {_ci(r)} ({_verdict(r, null, t, FOCUS)})")
    dl = dose.league()
    focus_doses = [t for t in dose.treatments if t.startswith(FOCUS)]
    cross = dl[dl["versus"].isin(focus_doses) & ~dl["treatment"].isin(focus_doses + ["placebo"])]
    apart = cross[(cross["ci_low"] > null) | (cross["ci_high"] < null)]
    level = format_number(100 * (1 - drug.alpha), 0)
    first = (
        f"No trial compares {FOCUS} with {' or '.join(others)} directly; through their placebo-controlled trials "
        f"(network meta-analysis of {drug.k} trials, ≥30% pain response, {mname} with {level}% CI): "
        + "; ".join(parts)
        + "."
    )
    if len(apart) == 0:
        second = (
            f"Per dose, none of the {len(cross)} comparisons of a {' or '.join(others)} dose with a {FOCUS} dose "
            f"has an interval excluding {format_number(null, 0)}: no dose is shown better or worse than {FOCUS}. "
            "No difference shown is not equivalence shown: the intervals reach from "
            f"{format_number(cross['ci_low'].min(), 2)} to {format_number(cross['ci_high'].max(), 2)}."
        )
    else:
        named = "; ".join(f"{r.treatment} against {r.versus} {_ci(r)}" for r in apart.itertuples())
        second = (
            f"Per dose, {len(apart)} of the {len(cross)} comparisons with a {FOCUS} dose have an interval "
            f"excluding {format_number(null, 0)}: {named}."
        )
    inp = net.inputs
    unver = inp[inp["status"] != "reported"]
    how = (
        "every input is an unverified transcription"
        if len(unver) == len(inp)
        else f"{len(unver)} of the {len(inp)} input arms are unverified transcriptions"
    )
    srcs = ", ".join(dict.fromkeys(unver["source"].astype(str)))
    third = "Read it with care: these are indirect comparisons"
    if len(unver):
        via = "Roskell 2011 as transcribed in the nmadb database" if srcs == "NMADB" else f"sources {srcs}"
        third += f", and {how} ({via})"
    unstated = inp[inp["population"] == "not stated"]
    if len(unstated):
        whose = "of every arm" if len(unstated) == len(inp) else f"of {len(unstated)} arms"
        third += f"; the analysis population {whose} is not stated"
    third += "."
    return [first, second, third]


def methods_text(net: Any) -> str:
    """The network model in a paragraph, from the fitted result (method, measure, zero cells, level)."""
    r = net.by_dose
    zero = (
        f"0.5 was added to every arm of a study with a zero-event or all-event arm (netmeta pairwise()); here: "
        f"{', '.join(r.corrected)}"
        if r.corrected
        else "0.5 would be added to every arm of a study with a zero-event or all-event arm (netmeta pairwise()); "
        "no study here needed it"
    )
    return (
        f"Comparator network: {measure_name(r.measure).lower()}s of ≥30% pain response against {r.reference} from "
        f"arm-level counts of {r.k} placebo-controlled trials ({len(r.treatments)} treatments as dose nodes; per "
        f"drug, each trial's dose arms combined), each multi-arm trial with the covariance of its contrasts sharing "
        f"an arm; {TAU2_WORDS.get(r.method, r.method)}. {zero}. Intervals at {format_number(100 * (1 - r.alpha), 0)}%; "
        "P-scores after Rücker & Schwarzer (2015); inconsistency by the design-by-treatment decomposition of Q "
        "(within and between designs, common-effect model)."
    )


# ------------------------------------------------------------------------------------------------ tables
def _league_rows(r: Any) -> list[dict[str, str]]:
    """The league table as the HTML shows it: cell (row, column) = row treatment against column treatment."""
    lg = r.league().set_index(["treatment", "versus"])
    out = []
    for a in r.treatments:
        row = {"Row vs column": a}
        for b in r.treatments:
            row[b] = "" if a == b else _ci(lg.loc[(a, b)])
        out.append(row)
    return out


def _inconsistency(r: Any) -> pd.DataFrame:
    d = r.decomposition
    return pd.DataFrame(
        [
            {"part": "total", "q": r.q, "df": r.q_df, "p": r.q_p, "tau2": r.tau2},
            {"part": "within designs", "q": d["q_within"], "df": d["q_within_df"], "p": d["q_within_p"]},
            {"part": "between designs", "q": d["q_between"], "df": d["q_between_df"], "p": d["q_between_p"]},
        ]
    )


def _published(net: Any, arms: pd.DataFrame) -> pd.DataFrame:
    """The published frame with the trials and patients behind fmtrials' side of each row."""
    p = net.published.copy()
    trials, patients, arms_n, unstated = [], [], [], []
    for r in p.itertuples():
        if r.level == "dose":  # a network estimate: the whole network
            s = set(arms["study"])
        else:  # a per-drug pairwise estimate: that drug's trials
            s = set(arms.loc[arms["treatment"] == r.treatment, "study"])
        trials.append(len(s))
        patients.append(int(arms.loc[arms["study"].isin(s), "n"].sum()))
        arms_n.append(int(arms["study"].isin(s).sum()))
        unstated.append(int((arms.loc[arms["study"].isin(s), "population"] == "not stated").sum()))
    return p.assign(
        fmtrials_trials=trials,
        fmtrials_patients=patients,
        fmtrials_arms=arms_n,
        fmtrials_population_not_stated=unstated,
    )


def _why(r: Any, method: str) -> str:
    """Why a published estimate and fmtrials' differ: trial set, model, doses, measure."""
    if r.fmtrials != r.fmtrials:
        return f"{r.treatment} is not a node of this network"
    scope = "the whole network" if r.level == "dose" else f"{r.treatment} against placebo"
    bits = [
        f"trial set: {r.published_trials} RCTs ({r.published_patients:,} patients) published for {scope}, "
        f"{r.fmtrials_trials} here ({r.fmtrials_patients:,})",
        f"model: {r.published_model} there, frequentist network ({method}) here",
    ]
    if r.level == "drug":
        bits.append("doses: all pooled in both")
    if r.fmtrials_population_not_stated:
        bits.append(
            f"populations: not stated for {r.fmtrials_population_not_stated} of the {r.fmtrials_arms} arms here"
        )
    return "; ".join(bits)


def _published_rows(pub: pd.DataFrame, level: str, method: str) -> list[dict[str, str]]:
    out = []
    for r in pub.itertuples():
        out.append(
            {
                "Source": r.source,
                "Measure": r.measure,
                "Against placebo": r.treatment,
                f"Published [{level} CI]": format_interval(r.published, r.published_low, r.published_high, 2),
                f"fmtrials [{level} CI]": format_interval(r.fmtrials, r.fmtrials_low, r.fmtrials_high, 2),
                "Why they differ": _why(r, method),
            }
        )
    return out


# ------------------------------------------------------------------------------------------------ section
FIGURES = {
    "network_graph": "Comparator network: treatments (node area: patients) and trials (edge width and label)",
    "network_forest_placebo": "Comparator network: each dose against placebo",
    "network_forest_milnacipran": "Comparator network: each drug against milnacipran",
    "network_league": "Comparator network: league table heat map",
}


def _figures(net: Any, figure_dir: Path, dpi: int) -> dict[str, str]:
    from .. import plots
    from .figures import save_both

    drawn = {
        "network_graph": plots.plot_network(net.by_dose),
        "network_forest_placebo": plots.plot_network_forest(net.by_dose),
        "network_forest_milnacipran": plots.plot_network_forest(net.by_drug, reference=FOCUS),
        "network_league": plots.plot_league(net.by_dose, benefit="more responders"),
    }
    return {k: save_both(fig, figure_dir, k, FIGURES[k], dpi) for k, fig in drawn.items()}


def section(net: Any, tmp: Path, *, figures: bool, dpi: int, write_csv: Any, bundled_arms: bool) -> dict[str, Any]:
    """Write the section's tables (and figures) into ``tmp``; return what the template and ``results.json``
    show (``json``) and the methods paragraph (``methods``)."""
    dose, drug = net.by_dose, net.by_drug
    level = format_number(100 * (1 - dose.alpha), 0) + "%"
    league = pd.concat([dose.league().assign(level="dose"), drug.league().assign(level="drug")], ignore_index=True)
    league = league[["level", *[c for c in league.columns if c != "level"]]]
    incons = _inconsistency(dose)
    pub = _published(net, net.inputs)
    tables = {
        "network_league": league,
        "network_p_scores": net.p_scores,
        "network_inconsistency": incons,
        "network_published": pub,
        "network_inputs": net.inputs,
    }
    for name, df in tables.items():
        write_csv(df, tmp / "tables" / f"{name}.csv")
    rel = dose.relative_effects().set_index("treatment")
    p_rows = [
        {
            "Treatment": r.treatment,
            "P-score": format_number(r.p_score, 2),
            f"{dose.measure} against placebo [{level} CI]": ""
            if r.treatment == dose.reference
            else _ci(rel.loc[r.treatment]),
        }
        for r in net.p_scores.itertuples()
    ]
    i_rows = [
        {
            "Part of Q": {
                "total": "total (common-effect model)",
                "within designs": "within designs (heterogeneity)",
                "between designs": "between designs (inconsistency)",
            }[r.part],
            "Q": format_number(r.q, 2),
            "df": str(int(r.df)),
            "p": format_p(r.p) if r.df > 0 else "–",
        }
        for r in incons.itertuples()
    ]
    inputs = [
        {
            "Study": r.study,
            "Node": r.node,
            "Arm as the source names it": r.arm,
            "Events/n": f"{int(r.events)}/{int(r.n)} ({format_number(100 * r.events / r.n, 1)}%)",
            "Population": r.population,
            "Status": r.status,
            "Source": r.source,
        }
        for r in net.inputs.itertuples()
    ]
    d = dose.decomposition
    closed = d["q_between_df"] > 0
    shown = {
        "lead": lead(net),
        "measure": dose.measure,
        "measure_name": measure_name(dose.measure).lower(),
        "level": level,
        "league": _league_rows(dose),
        "p_scores": p_rows,
        "inconsistency": i_rows,
        "inconsistency_note": (
            f"Between designs Q = {format_number(d['q_between'], 2)} on {d['q_between_df']} df "
            f"(p = {format_p(d['q_between_p'])}): "
            + ("no evidence of inconsistency" if d["q_between_p"] >= dose.alpha else "evidence of inconsistency")
            + " between the designs; with so few trials the test has little power."
            if closed
            else "The between-design inconsistency test cannot be computed: no closed loop of designs (0 df)."
        ),
        "inputs": inputs,
        "n_unverified": int((net.inputs["status"] != "reported").sum()),
        "n_inputs": len(net.inputs),
        "published": _published_rows(pub, level, dose.method),
        "model": (
            f"random-effects network meta-analysis ({dose.method} τ² = {format_number(dose.tau2, 4)})"
            if dose.method != "common"
            else "common-effect network meta-analysis"
        ),
        "differences": net.differences if bundled_arms else "",
        "citations": net.citations,
        "sources": sorted(set(net.inputs["source"].astype(str)) | set(pub["source"].astype(str))),
        "figures": _figures(net, tmp / "figures", dpi) if figures else {},
        "methods": methods_text(net),
    }
    shown["json"] = {
        "measure": dose.measure,
        "method": dose.method,
        "reference": dose.reference,
        "alpha": dose.alpha,
        "k": dose.k,
        "tau2": dose.tau2,
        "tau2_by_drug": drug.tau2,
        **{name: df.to_dict(orient="records") for name, df in tables.items() if name != "network_inputs"},
        "inputs": net.inputs.drop(columns="locator").to_dict(orient="records"),
    }
    return shown


def part(tmp: Path, options: Any, write_csv: Any) -> dict[str, Any] | None:
    """The section for this report: shown for the bundled data, or for any data with ``--comparators``."""
    if options.comparators is None and not options.bundled:
        return None
    net = prepare(options.comparators, options.measure)
    return section(
        net,
        tmp,
        figures=options.figures,
        dpi=options.dpi,
        write_csv=write_csv,
        bundled_arms=options.comparators is None,
    )

"""The report's first section, ``id="main-results"``: what the composite-responder data show against placebo.

Every number in it comes from :func:`fmtrials.analysis.headline.headline_numbers` (nothing typed into the template)
and is printed through :mod:`fmtrials._format`:

* the plain-language summary (:func:`summary_paragraphs`): the published composite table re-analysed under
  every assumed denominator, the Arnold 2010 registry composite, and one benefit-risk line (NNT vs NNH);
* the other efficacy endpoints and the key safety endpoints per trial (:func:`trial_rows`), with the Holm
  family of each adjusted p;
* a pooled risk difference and NNT next to the pooled risk ratio wherever more than one trial reports the
  endpoint (:func:`pooled_rows` of :func:`fmtrials.analysis.headline.pooled_numbers`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from .. import data as _data
from .._format import format_interval, format_number, format_p, pool_label, rows_level
from ..analysis.headline import Headline
from ..analysis.policy import BENEFIT_ENDPOINT, MAIN_SAFETY
from ..consistency.reanalysis_reported import CONTRADICTED, NO_ARM

__all__: list[str] = []  # private module


def _pts(x: float, digits: int = 1) -> str:
    return format_number(100 * x, digits, missing="–")


def _nnt_text(rd: float) -> str:
    return "–" if not (math.isfinite(rd) and rd != 0) else format_number(1 / abs(rd), 1)


def _seed_rows(seed: pd.DataFrame) -> pd.DataFrame:
    return seed.drop_duplicates("row")


def _printed(rec: Any) -> str:
    dose = "" if pd.isna(rec.dose_mg_day) else f", {int(rec.dose_mg_day)} mg/day"
    return f"{rec.percent_t}% vs {rec.percent_c}% ({rec.label}{dose}, p {rec.p_reported})"


def seed_summary(seed: pd.DataFrame) -> list[str]:
    """Sentences on the published composite table, computed from :func:`fmtrials.reanalyse_reported` rows:
    how many (joint) attributions remain possible, why the others fail, and what each group implies."""
    rows = _seed_rows(seed)
    out = [
        (
            "The only tabulated per-arm composite rates are the seed compound page's Table 1 (unverified; no "
            "trial or arm sizes printed): " + "; ".join(_printed(r) for r in rows.itertuples()) + "."
        )
    ]
    sized = seed[seed["possible"].notna()]
    if len(sized):
        out += _attribution_text(sized)
    unsized = rows[rows["n_t"].isna() & rows["possible"].isna()]
    for r in unsized.itertuples():
        out.append(
            f"The {r.label} row names no trial with known arm sizes: only the printed difference "
            f"({format_number(r.difference_printed, 1)} points) can be given."
        )
    return out


def _scenario_groups(sized: pd.DataFrame) -> list[pd.DataFrame]:
    """One frame per attribution (the rows of a joint scenario together), in order of appearance."""
    key = sized["joint_rows"].fillna(sized["row"].astype(str)) + "|" + sized["scenario"].astype(str)
    return [sized[(key == k).to_numpy()] for k in dict.fromkeys(key)]


def _attribution_text(sized: pd.DataFrame) -> list[str]:
    """Two bullets: how many (joint) attributions are possible and what they imply; why the others fail."""
    groups = _scenario_groups(sized)
    joint = [g for g in groups if g["joint_rows"].notna().all()]
    first = joint[0] if joint else groups[0]
    labels = " and ".join(dict.fromkeys(str(r.label) for r in first.itertuples()))
    doses = " and ".join(f"{int(d)}" for d in first["dose_mg_day"].dropna())
    shared = first.iloc[0]
    test = _TESTS.get(str(shared["test"]), f"the {shared['test']} test")
    what = "joint attributions" if joint else "attributions"
    possible = [g for g in groups if g["possible"].eq(True).all()]
    contradicted = [g for g in groups if g["contradicted_by"].notna().any()]
    grim_ok = [
        g
        for g in groups
        if g["consistent"].eq(True).all() and g["contradicted_by"].isna().all() and not g["possible"].eq(True).all()
    ]
    others = len(groups) - len(possible) - len(contradicted) - len(grim_ok)
    head = (
        (
            f"The {labels} rows ({doses} mg/day) share one placebo rate ({shared['percent_c']}%), so they come "
            "from one trial with both doses, or one pooled set, and are attributed jointly"
            if joint
            else "Each row is attributed"
        )
        + " to every set of arm sizes the trials admit (assumed denominators, not data). "
        + (
            f"{len(possible)} of the {len(groups)} {what} {'is' if len(possible) == 1 else 'are'} possible "
            f"({_names(possible)}), implying {_implied(possible)}"
            if possible
            else f"None of the {len(groups)} {what} is possible"
        )
        + f": possible means whole counts for every printed percentage, the printed p-values reproduced by {test}"
        + (" with one shared placebo count" if joint else "")
        + ", and no contradiction by the trial's own figures."
    )
    parts = []
    if grim_ok:
        p_lo = min(g["p_min"].min() for g in grim_ok)
        p_hi = max(g["p_max"].max() for g in grim_ok)
        verb = "gives" if len(grim_ok) == 1 else "give"
        parts.append(
            f"{_count(len(grim_ok))} {verb} every printed percentage but not the printed p-values "
            f"({_names(grim_ok)}): they would imply {_implied(grim_ok)}, with recomputed p from "
            f"{format_p(p_lo)} to {format_p(p_hi)} against the printed "
            f"{' and '.join(dict.fromkeys(pd.concat(grim_ok)['p_reported'].dropna()))}"
        )
    for g in contradicted:
        c = g[g["contradicted_by"].notna()].iloc[0]
        words = str(c["judgement"]).split(CONTRADICTED + " ", 1)[-1]
        lacks = [f"{int(r.dose_mg_day)} mg/day" for r in g.itertuples() if r.status == NO_ARM]
        parts.append(
            (
                f"{_name(g)} gives the {c['label']}{_dose(c)} row ({_counts_range(c)})"
                if bool(c["consistent"])
                else _name(g)
            )
            + f" but is contradicted by the trial's own {words}"
            + (f", and it has no {' or '.join(lacks)} arm" if lacks else "")
        )
    if others:
        parts.append(f"the other {others} cannot give every printed percentage or lack one of the doses")
    tail = "; ".join(parts)
    return [head] + ([tail[0].upper() + tail[1:] + "."] if tail else [])


_TESTS = {"fisher": "Fisher's exact test", "chi2": "the chi-squared test", "yates": "the Yates-corrected test"}


def _counts_range(r: pd.Series) -> str:
    t = f"{r['events_t_min']}" if r["events_t_min"] == r["events_t_max"] else f"{r['events_t_min']}–{r['events_t_max']}"
    c = f"{r['events_c_min']}" if r["events_c_min"] == r["events_c_max"] else f"{r['events_c_min']}–{r['events_c_max']}"
    return f"{t}/{int(r['n_t'])} vs {c}/{int(r['n_c'])}"


def _count(k: int) -> str:
    return {1: "One", 2: "Two", 3: "Three"}.get(k, str(k))


def _dose(r: Any) -> str:
    d = r["dose_mg_day"] if isinstance(r, pd.Series) else r.dose_mg_day
    return "" if pd.isna(d) else f" {int(d)} mg/day"


def _name(g: pd.DataFrame) -> str:
    """``"pooled Clauw2008+Mease2009 (placebo 624, 100 mg/day 623, 200 mg/day 837)"``."""
    r = g.iloc[0]
    head, _, rest = str(r["scenario"]).partition(" (")
    sizes = rest.rsplit(": ", 1)[-1].rstrip(")")
    return f"{head.replace('candidate ', '')}{', mixed sizes' if r['scenario_kind'] == 'mixed' else ''} ({sizes})"


def _names(gs: list[pd.DataFrame]) -> str:
    return "; ".join(_name(g) for g in gs)


def _implied(gs: list[pd.DataFrame]) -> str:
    """The risk differences a set of attributions implies, in points, with NNT and the interval envelope."""
    ok = pd.concat(gs)
    lo, hi = ok["estimate_min"].min(), ok["estimate_max"].max()
    excl = bool((ok["ci_low"] > 0).all() or (ok["ci_high"] < 0).all())
    return (
        f"a composite-responder rate {_pts(lo)} to {_pts(hi)} percentage points above placebo (NNT "
        f"{_nnt_text(hi)} to {_nnt_text(lo)}; {rows_level(ok)} intervals from {_pts(ok['ci_low'].min())} to "
        f"{_pts(ok['ci_high'].max())} points, which {'exclude' if excl else 'do not all exclude'} zero)"
    )


def _row_of(compared: pd.DataFrame, endpoint: str, study: str | None = None) -> pd.Series | None:
    m = compared[(compared["endpoint"] == endpoint) & compared.get("holm_counted", True)]
    if study is not None:
        m = m[m["study"] == study]
    return None if m.empty else m.iloc[0]


def _status(r: pd.Series) -> str:
    return r["status_t"] if r["status_t"] == r["status_c"] else f"{r['status_t']}/{r['status_c']}"


def _counts(r: pd.Series) -> str:
    return f"{r['events_t']}/{r['n_t']} vs {r['events_c']}/{r['n_c']}"


def composite_sentence(compared: pd.DataFrame) -> str | None:
    """The Arnold 2010 (or any) per-trial composite with counts, in words."""
    r = _row_of(compared, BENEFIT_ENDPOINT)
    if r is None:
        return None
    return (
        f"The one composite with per-arm counts in a named trial, {r['study']}'s {BENEFIT_ENDPOINT} "
        f"({_data.endpoint_title(BENEFIT_ENDPOINT).split(' — ', 1)[-1]}), is {_counts(r)} "
        f"(status: {_status(r)}; source {r['source_t']}): risk difference "
        f"{format_interval(100 * r['rd'], 100 * r['rd_low'], 100 * r['rd_high'], 1)} points, "
        f"{r['nnt_label']}, p {format_p(r['p_value'])} (Holm, {r['holm_family']} family: "
        f"{format_p(r['p_holm_report'])})."
    )


def benefit_risk_sentence(compared: pd.DataFrame) -> str | None:
    """One line: NNT of the composite against NNH of each :data:`MAIN_SAFETY` endpoint in the same trial."""
    b = _row_of(compared, BENEFIT_ENDPOINT)
    if b is None:
        return None
    found = [(e, _row_of(compared, e, b["study"])) for e in MAIN_SAFETY]
    harms = [(e, h) for e, h in found if h is not None]
    if not harms:
        return None
    parts = [
        f"{h['nnt_label']} for {_data.load_endpoints().set_index('code').loc[e, 'label']} ({_counts(h)}, {_status(h)})"
        for e, h in harms
    ]
    return (
        f"Benefit against risk in {b['study']} (same trial, same arms): {b['nnt_label']} for one more "
        f"{BENEFIT_ENDPOINT} responder, against "
        + "; ".join(parts)
        + ". NNT from 1/RD with Altman's interval; NNTB = benefit, NNTH = harm."
    )


def trial_rows(compared: pd.DataFrame) -> list[dict[str, str]]:
    """Display rows of the per-trial comparisons of ``compared`` (already filtered to the endpoints shown)."""
    rows = []
    for r in compared.to_dict(orient="records"):
        rows.append(
            {
                "Endpoint": _data.endpoint_title(r["endpoint"]),
                "Study": r["study"],
                "Dose (mg/day)": "" if pd.isna(r["dose_mg_day"]) else str(int(r["dose_mg_day"])),
                "Analysis": r["analysis"],
                "Milnacipran": f"{r['events_t']}/{r['n_t']} ({format_number(100 * r['events_t'] / r['n_t'], 1)}%)",
                "Placebo": f"{r['events_c']}/{r['n_c']} ({format_number(100 * r['events_c'] / r['n_c'], 1)}%)",
                "RD, points (95% CI)": format_interval(
                    100 * r["rd"], 100 * r["rd_low"], 100 * r["rd_high"], 1, missing="–"
                ),
                "NNT (95% CI)": r["nnt_label"],
                "RR (95% CI)": format_interval(r["rr"], r["rr_low"], r["rr_high"], 2, missing="–"),
                "p": format_p(r["p_value"], missing="–"),
                "p (Holm)": format_p(r["p_holm_report"], missing="–"),
                "Holm family": r["holm_family"],
                "Status": f"{r['status_t']}/{r['status_c']}",
                "Source": r["source_t"] if r["source_t"] == r["source_c"] else f"{r['source_t']}; {r['source_c']}",
            }
        )
    return rows


def pooled_rows(numbers: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """The rows of :func:`fmtrials.analysis.headline.pooled_numbers` as printed in the report (formatted text,
    HTML only)."""
    return [
        {
            "Endpoint": _data.endpoint_title(r["endpoint"]),
            "Trials (comparisons)": f"{r['trials']} ({r['comparisons']})",
            "Doses (mg/day)": r["doses_mg_day"],
            "Pooled RD, points (95% CI)": format_interval(100 * r["rd"], 100 * r["rd_low"], 100 * r["rd_high"], 1),
            "NNT (95% CI)": r["nnt_label"],
            "Pooled RR (95% CI)": format_interval(r["rr"], r["rr_low"], r["rr_high"], 2),
            "p (RR)": format_p(r["p_value_rr"]),
            "Model": pool_label(r["method"], r["test"]),
        }
        for r in numbers
    ]


def main_tables(h: Headline) -> dict[str, Any]:
    """Display rows and sentences of the first section from its numbers
    (:func:`fmtrials.analysis.headline.headline_numbers`)."""
    eff = set(h.efficacy_endpoints)
    return {
        "composite": trial_rows(h.composite),
        "efficacy": trial_rows(h.efficacy),
        "safety": trial_rows(h.safety),
        "pooled_efficacy": pooled_rows([r for r in h.pooled if r["endpoint"] in eff]),
        "pooled_safety": pooled_rows([r for r in h.pooled if r["endpoint"] not in eff]),
        "composite_sentence": composite_sentence(h.compared),
        "benefit_risk": benefit_risk_sentence(h.compared),
        "definition": _data.endpoint_title(BENEFIT_ENDPOINT).split(" — ", 1)[-1],
        "families": h.families,
    }


def holm_note(families: Sequence[str]) -> str:
    """How the adjusted p-values were formed, naming the families shown."""
    return (
        (
            "p (Holm) adjusts within its family: " + "; ".join(families) + ". A comparison reported under "
            "several analyses counts once (the analysis the pooled results use); the others are marked "
            "'not counted'."
        )
        if families
        else ""
    )

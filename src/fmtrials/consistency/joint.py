"""Joint attribution of reported rows that share one placebo arm (for :func:`reanalyse_reported`).

A reported table that names no trial may print several doses against **one** placebo rate (the seed table's
phase III rows: 25.4% and 26.9% vs 15.5%). Such rows come from one trial with all those doses and a shared
placebo arm, or from one pooled set; they are attributed *together*. Each joint scenario gives every row of
the group the arm sizes of one trial (or pooled set), the placebo arm the same in every row; a trial without an
arm at one of the doses still gives a scenario, flagged ``no arm`` for that row, so no candidate is dropped.

A scenario is **possible** only if every row of it has count pairs reproducing the printed percentages
(GRIM), the printed p-values are reproduced within their rounding by the named test with *one* placebo count
shared by every row, every row has an arm in the trial, and no figure of the trial itself contradicts it
(:func:`contradictions`: the trial's own count for the same endpoint and arm, in ``outcomes.csv``, does not
give the printed percentage under the scenario's arm size).
"""

from __future__ import annotations

import itertools
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .._format import format_number
from .._vocab import Rounding
from ._common import int_or_none, is_missing, number_or_none
from .granularity import _admissible_counts
from .percent import text_or_none

__all__ = ["SCENARIO_KINDS", "JointMember", "joint_groups", "joint_scenarios", "contradictions"]

#: What each ``scenario_kind`` of :func:`fmtrials.reanalyse_reported` means (the report prints these).
SCENARIO_KINDS = {
    "stated": "the arm sizes printed beside the percentages",
    "study": "the named trial's randomized arm sizes",
    "study_alt": "the named trial's arm sizes as an alternative source prints them",
    "analysis_n": "an analysis denominator printed for the same trial, arm and endpoint (outcomes.csv)",
    "candidate": (
        "a trial of the row's phase that the row may come from (it names none), with that trial's randomized "
        "arm sizes or, where a second source prints other sizes, those"
    ),
    "mixed": (
        "a candidate trial whose sources disagree on its arm sizes, with the placebo arm's size from one "
        "source and the active arms' sizes from the other (Clauw 2008: 401/399/396 in LAY, 405/401/401 in "
        "NMA23-T39); no source prints such a set, it is an arithmetic what-if"
    ),
    "pooled": "the summed randomized arm sizes of a pooled analysis of several trials (e.g. Clauw 2008 + Mease 2009)",
    "subgroup": "a subgroup whose sizes are not printed: nothing to check",
}


class JointMember(NamedTuple):
    """One reported row's part in a joint scenario."""

    label: str  # the scenario, in words (the same for every row of the scenario)
    kind: str  # candidate / mixed / pooled
    n_t: int | None  # None: the trial has no arm at this row's dose (or its size is unknown)
    n_c: int | None
    study: str | None  # the trial the counts would come from (None for a pooled set)
    arm: str | None  # the active arm, None when the trial has none at this dose
    placebo_arm: str | None
    no_arm: bool = False


def joint_groups(reported: pd.DataFrame, model_based: list[bool]) -> list[list[int]]:
    """Positions (0-based) of the rows to attribute jointly: rows that name no trial and print no arm sizes,
    with one label, one source and one printed placebo rate, at two or more distinct doses."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for pos, (_, rec) in enumerate(reported.iterrows()):
        if model_based[pos] or not is_missing(rec.get("study")):
            continue
        if not (is_missing(rec.get("n_t")) and is_missing(rec.get("n_c"))):
            continue
        pc = text_or_none(rec.get("percent_c"))
        if pc is None or text_or_none(rec.get("percent_t")) is None or number_or_none(rec.get("dose_mg_day")) is None:
            continue
        key = (str(rec.get("label")), str(rec.get("source")), pc)
        groups.setdefault(key, []).append(pos)
    out = []
    for rows in groups.values():
        doses = [number_or_none(reported.iloc[i].get("dose_mg_day")) for i in rows]
        if len(rows) > 1 and len(set(doses)) == len(doses):
            out.append(rows)
    return out


def _dose(d: float) -> str:
    return f"{d:g} mg/day"


def joint_scenarios(
    recs: list[pd.Series], arms: pd.DataFrame, trials: pd.DataFrame | None, pooled_ids: list[str]
) -> list[list[JointMember]]:
    """Every joint attribution of the rows ``recs`` (one dose each, one shared placebo rate): per candidate
    trial of their phase with an arm at one of the doses at least, its randomized sizes, its alternative sizes
    and the two mixed sets; per pooled id whose trials all have every dose, the summed randomized sizes. Each
    scenario is a list of :class:`JointMember`, one per row of ``recs``."""
    from .milnacipran import _candidate_trials

    doses = [float(number_or_none(r.get("dose_mg_day")) or 0.0) for r in recs]
    candidates = _candidate_trials(recs[0], arms, trials)
    out: list[list[JointMember]] = []
    for study in candidates:
        a = arms[arms["study"].astype(str) == study]
        plc = a[a["treatment"].astype(str) == "placebo"]
        if plc.empty:
            continue
        p = plc.iloc[0]
        act = [
            a[(a["treatment"].astype(str) != "placebo") & (a["dose_mg_day"].map(number_or_none) == d)] for d in doses
        ]
        if all(x.empty for x in act):
            continue
        arm_rows = [None if x.empty else x.iloc[0] for x in act]
        sources = {"randomized": ("n_randomized", p.get("source"))}
        alt_src = next(
            (r.get("alt_source") for r in [p, *arm_rows] if r is not None and int_or_none(r.get("n_randomized_alt"))),
            None,
        )
        if alt_src is not None:
            sources["alternative"] = ("n_randomized_alt", alt_src)
        seen: set[tuple[Any, ...]] = set()
        combos = sorted(itertools.product(sources, repeat=2), key=lambda c: (c[0] != c[1], c[0] != "randomized"))
        for psrc, asrc in combos:  # randomized, alternative, then the mixed sets
            n_c = _size(p, sources[psrc][0])
            n_ts = [None if r is None else _size(r, sources[asrc][0]) for r in arm_rows]
            if (n_c, *n_ts) in seen:
                continue
            seen.add((n_c, *n_ts))
            if psrc == asrc:
                kind, how = "candidate", psrc if psrc == "randomized" else f"{psrc} {sources[psrc][1]}"
            else:
                kind, how = "mixed", f"mixed, placebo {sources[psrc][1]} / active {sources[asrc][1]}"
            sizes = ", ".join(
                [f"placebo {n_c}"]
                + [f"{_dose(d)} {'no arm' if r is None else nt}" for d, r, nt in zip(doses, arm_rows, n_ts)]
            )
            label = f"candidate {study} ({how}: {sizes})"
            out.append(
                [
                    JointMember(
                        label,
                        kind,
                        nt,
                        n_c,
                        study,
                        None if r is None else str(r["arm"]),
                        str(p["arm"]),
                        r is None,
                    )
                    for r, nt in zip(arm_rows, n_ts)
                ]
            )
    out += _pooled(doses, candidates, arms, pooled_ids)
    return out


def _size(rec: pd.Series, column: str) -> int | None:
    """The arm's size from ``column``; an arm without an alternative size keeps its randomized size."""
    v = int_or_none(rec.get(column))
    return int_or_none(rec.get("n_randomized")) if v is None else v


def _pooled(
    doses: list[float], candidates: list[str], arms: pd.DataFrame, pooled_ids: list[str]
) -> list[list[JointMember]]:
    out = []
    for pid in pooled_ids:
        parts = pid.split("+")
        if not all(pt in candidates for pt in parts):
            continue
        n_c, n_ts, ok = 0, [0] * len(doses), True
        for pt in parts:
            a = arms[arms["study"].astype(str) == pt]
            plc = a[a["treatment"].astype(str) == "placebo"]["n_randomized"].map(int_or_none).tolist()
            per = [
                a[(a["treatment"].astype(str) != "placebo") & (a["dose_mg_day"].map(number_or_none) == d)]
                for d in doses
            ]
            if not plc or plc[0] is None or any(x.empty or int_or_none(x.iloc[0]["n_randomized"]) is None for x in per):
                ok = False
                break
            n_c += plc[0]
            n_ts = [t + int(int_or_none(x.iloc[0]["n_randomized"]) or 0) for t, x in zip(n_ts, per)]
        if not ok:
            continue
        sizes = ", ".join([f"placebo {n_c}"] + [f"{_dose(d)} {nt}" for d, nt in zip(doses, n_ts)])
        label = f"pooled {pid} (randomized: {sizes})"
        out.append([JointMember(label, "pooled", nt, n_c, None, None, None) for nt in n_ts])
    return out


def contradictions(
    member: JointMember, rec: pd.Series, outcomes: pd.DataFrame | None, rounding: Rounding
) -> tuple[str | None, str | None]:
    """``(source ids, words)`` when the trial's own count for the row's endpoint, in ``outcomes.csv``, at the
    scenario's arm size, does not give the printed percentage of that arm; ``(None, None)`` otherwise.

    Examples
    --------
    >>> from fmtrials import load_outcomes, load_reported
    >>> m = JointMember("x", "candidate", 516, 509, "Arnold2010", "milnacipran_100", "placebo")
    >>> contradictions(m, load_reported().iloc[1], load_outcomes(), "either")
    ('A10-reg', 'composite_3 103/516 vs 56/509 (20.0% vs 11.0%; A10-reg)')
    """
    if outcomes is None or member.study is None or member.no_arm or is_missing(rec.get("endpoint")):
        return None, None
    o = outcomes[(outcomes["study"].astype(str) == member.study) & (outcomes["endpoint"] == rec.get("endpoint"))]
    found = {}
    for which, arm, n, pct in (
        ("t", member.arm, member.n_t, rec.get("percent_t")),
        ("c", member.placebo_arm, member.n_c, rec.get("percent_c")),
    ):
        hit = o[(o["arm"].astype(str) == str(arm)) & (o["n"].map(int_or_none) == n) & o["responders"].notna()]
        if n is None or hit.empty or text_or_none(pct) is None:
            continue
        h = hit.iloc[0]
        e = int(h["responders"])
        lo, hi = _admissible_counts([text_or_none(pct)], [n], rounding=rounding)
        found[which] = (e, n, str(h["source"]), not (int(lo[0]) <= e <= int(hi[0])))
    if not any(v[3] for v in found.values()):
        return None, None
    srcs = "; ".join(dict.fromkeys(v[2] for v in found.values()))
    counts = " vs ".join(f"{e}/{n}" for e, n, _, _ in found.values())
    pcts = " vs ".join(f"{format_number(100 * e / n, 1)}%" for e, n, _, _ in found.values())
    return srcs, f"{rec.get('endpoint')} {counts} ({pcts}; {srcs})"


def joint_p(hit: np.ndarray, row: np.ndarray, events_c: np.ndarray, rows: list[int]) -> bool:
    """Whether one placebo count makes every row's printed p reproducible: some placebo count ``c`` for which
    each of ``rows`` has an admissible pair ``(events_t, c)`` whose p lies in its printed interval (``hit``,
    ``row`` and ``events_c`` are per pair)."""
    common: set[int] | None = None
    for r in rows:
        cs = set(events_c[(row == r) & hit].tolist())
        common = cs if common is None else common & cs
    return bool(common)

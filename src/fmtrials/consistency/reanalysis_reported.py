"""Re-analysis of the bundled reported table (:func:`reanalyse_reported`): every printed pair of percentages under
every attribution of arm sizes that :func:`fmtrials.audit` tries, each row labelled with how its denominators were
obtained (``"assumed denominators"`` and so on). The engine is :func:`~fmtrials.consistency.reanalyse_percentages`
(:mod:`.reanalysis`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from .._validation import ARGUMENTS
from ..errors import DataError, Problem
from ._common import is_missing
from .joint import SCENARIO_KINDS, contradictions, joint_groups, joint_p, joint_scenarios
from .percent import parse_percent_text, text_or_none
from .pvalues import parse_p
from .reanalysis import REANALYSIS_COLUMNS, _engine, _options, _Pairs

__all__ = [
    "reanalyse_reported",
    "REPORTED_COLUMNS",
    "ASSUMED",
    "PRINTED",
    "NO_DENOMINATOR",
    "MODEL_BASED",
    "NO_ARM",
    "POSSIBLE",
    "SCENARIO_KINDS",
]


#: how a row of :func:`reanalyse_reported` got its denominators (the ``status`` column)
ASSUMED = "assumed denominators"
PRINTED = "printed denominators"
NO_DENOMINATOR = "no denominators: difference of printed percentages (point estimate only)"
MODEL_BASED = "model-based percentages: difference of printed percentages (point estimate only)"
NO_ARM = "no arm at this dose in this trial"
#: the ``judgement`` of a scenario that passes every check
POSSIBLE = "possible"
#: how ``judgement`` introduces a contradiction by the trial's own figures
CONTRADICTED = "contradicted by the trial's own"

#: Columns of :func:`reanalyse_reported`, in order.
REPORTED_COLUMNS = (
    "row",
    "study",
    "label",
    "endpoint",
    "dose_mg_day",
    "scenario",
    "scenario_kind",
    "status",
    *REANALYSIS_COLUMNS[:18],
    "difference_printed",
    "p_reported",
    "p_in_range",
    "joint_rows",
    "contradicted_by",
    "possible",
    "judgement",
    "source",
    "locator",
    *REANALYSIS_COLUMNS[18:],
)


def _p_in_range(
    p_text: Sequence[Any], pairs: _Pairs, p: np.ndarray, size: int
) -> tuple[pd.arrays.BooleanArray, np.ndarray, np.ndarray]:
    """Per row: does the p of some admissible pair fall in the interval the printed p allows? Also the
    per-pair hits and which rows have a readable printed p (for the joint judgement)."""
    lower = np.full(size, np.nan)
    upper = np.full(size, np.nan)
    lc = np.ones(size, bool)
    uc = np.ones(size, bool)
    known = np.zeros(size, bool)
    for i, text in enumerate(p_text):
        if text is None:
            continue
        try:
            iv = parse_p(text)
        except DataError:
            continue
        lower[i], upper[i], lc[i], uc[i], known[i] = iv.lower, iv.upper, iv.lower_closed, iv.upper_closed, True
    r = pairs.row
    with np.errstate(invalid="ignore"):
        hit = np.where(lc[r], p >= lower[r], p > lower[r]) & np.where(uc[r], p <= upper[r], p < upper[r])
    any_hit = np.zeros(size, bool)
    if pairs.rows.size:
        any_hit[pairs.rows] = np.logical_or.reduceat(hit, pairs.starts)
    out = pd.array(any_hit, dtype="boolean")
    out[~known | np.isin(np.arange(size), pairs.rows, invert=True)] = pd.NA
    return out, hit, known


def _scenarios(reported: pd.DataFrame | None) -> tuple[pd.DataFrame, list[dict[str, Any]], pd.DataFrame | None]:
    """Every (reported row x attribution) to analyse, as records, and the outcomes table (for contradictions).

    Rows that share one placebo rate at several doses (:func:`.joint.joint_groups`) get joint scenarios (one
    record per row per scenario, ``member`` set, ``group`` the rows' 1-based numbers); every other row gets the
    audit's attributions plus the mixed ones, duplicates merged (:func:`_merge_same`)."""
    from . import milnacipran as _m

    reported, arms, trials, outcomes = _m._tables(reported, None, None, None)
    pooled = [s for s in dict.fromkeys(reported.get("study", pd.Series(dtype=object)).dropna().astype(str)) if "+" in s]
    model = ["model" in _m._context(rec).lower() for _, rec in reported.iterrows()]
    groups = joint_groups(reported, model)
    in_group = {pos: g for g in groups for pos in g}
    per_row: dict[int, list[dict[str, Any]]] = {}
    for g in groups:
        recs = [reported.iloc[i] for i in g]
        for scenario in joint_scenarios(recs, arms, trials, pooled):
            for pos, member in zip(g, scenario):
                per_row.setdefault(pos, []).append(
                    {
                        "row": pos + 1,
                        "rec": recs[g.index(pos)],
                        "attr": member,
                        "model": False,
                        "member": member,
                        "group": tuple(i + 1 for i in g),
                        "other_test": False,
                    }
                )
    records = []
    for pos, (_, rec) in enumerate(reported.iterrows()):
        if pos in in_group:
            records += per_row.get(pos, [])
            continue
        for attr in _merge_same(_with_mixed(_m._attributions(rec, arms, trials, outcomes, pooled, True))):
            records.append(
                {
                    "row": pos + 1,
                    "rec": rec,
                    "attr": attr,
                    "model": model[pos],
                    "member": None,
                    "group": None,
                    "other_test": bool(_m._OTHER_TEST_RE.search(_m._context(rec))),
                }
            )
    return reported, records, outcomes


_ARM_LABEL_RE = re.compile(r"^(?P<head>(?:candidate )?\S+) (?P<arm>\S+) \((?P<rest>.*)$")


def _merge_same(attrs: list[Any]) -> list[Any]:
    """One attribution per (trial, kind, arm sizes): arms of one trial with the same (or unknown) sizes give the
    same scenario, so ``"candidate Vitton2004 milnacipran_qd (...)"`` and ``"... milnacipran_bid (...)"`` become
    ``"candidate Vitton2004 milnacipran_qd or milnacipran_bid (...)"``."""
    out: list[Any] = []
    index: dict[tuple[Any, ...], int] = {}
    for a in attrs:
        m = _ARM_LABEL_RE.match(a.label)
        key = None if m is None else (a.kind, a.n_t, a.n_c, a.by_construction, m["head"], m["rest"])
        if key is not None and key in index:
            prev = out[index[key]]
            head, _, rest = prev.label.partition(" (")
            out[index[key]] = prev._replace(label=f"{head} or {m['arm']} ({rest}")  # type: ignore[index]
            continue
        if key is not None:
            index[key] = len(out)
        out.append(a)
    return out


_SIZES_RE = re.compile(r"^(?P<who>.*) \((?P<src>randomized|alternative) (?P<t>\d+)/(?P<c>\d+)(?:, [^)]*)?\)$")


def _with_mixed(attrs: list[Any]) -> list[Any]:
    """The audit's attributions plus, for a trial with randomized *and* alternative arm sizes, the two
    mixed ones (alternative active arm with the randomized placebo arm and vice versa; kind ``"mixed"``):
    the sources disagree arm by arm (evidence.md: Clauw 2008 as 401 vs 401)."""
    out = list(attrs)
    found: dict[str, dict[str, tuple[int, int, Any]]] = {}
    for a in attrs:
        m = _SIZES_RE.match(a.label)
        if m:
            found.setdefault(m["who"], {})[m["src"]] = (int(m["t"]), int(m["c"]), a)
    for who, by in found.items():
        if len(by) < 2:
            continue
        (rt, rc, ra), (at, ac, _) = by["randomized"], by["alternative"]
        seen = {(a.n_t, a.n_c) for a in out}
        for n_t, n_c, words in (
            (at, rc, "alternative active / randomized placebo"),
            (rt, ac, "randomized active / alternative placebo"),
        ):
            if (n_t, n_c) not in seen:
                out.append(ra._replace(label=f"{who} ({words} {n_t}/{n_c})", kind="mixed", n_t=n_t, n_c=n_c))
    return out


def _status(rec: dict[str, Any], pt: Any, pc: Any) -> str | None:
    attr = rec["attr"]
    if pt is None or pc is None:
        return None
    if rec["model"]:
        return MODEL_BASED
    if rec["member"] is not None and rec["member"].no_arm:
        return NO_ARM
    if attr.n_t is None or attr.n_c is None:
        return NO_DENOMINATOR
    return PRINTED if attr.kind == "stated" else ASSUMED


def _text(value: Any) -> Any:
    return None if is_missing(value) else value


def reanalyse_reported(reported: pd.DataFrame | None = None, **options: Any) -> pd.DataFrame:
    """Re-analyse every row of a reported table under every attribution of arm sizes, judged jointly.

    For each row of ``reported`` (default :func:`fmtrials.load_reported`: the seed table and the papers'
    figures) and each candidate attribution of arm sizes, the printed percentages are re-analysed by
    :func:`reanalyse_percentages`, all scenarios in one vectorised call.

    * Rows that name no trial, print no arm sizes and share one label, source and printed placebo rate at
      several doses (the seed table's phase III rows: 25.4% and 26.9% vs 15.5%) come from one trial with
      those doses and **one placebo arm**, or from one pooled set: they are attributed **jointly**
      (:mod:`.joint`). Each joint scenario gives every row the arm sizes of one candidate trial of the
      row's phase -- its randomized sizes, its alternative sizes and the two ``"mixed"`` sets
      (:data:`SCENARIO_KINDS`) -- or the summed sizes of a pooled set, with the same placebo arm in every
      row; a trial without an arm at one of the doses is kept, that row flagged ``"no arm at this dose in
      this trial"``.
    * Every other row gets the attributions of :func:`fmtrials.audit` plus the mixed ones; arms of one
      trial that give the same arm sizes (Vitton 2004's two arms, sizes unknown) are one scenario.

    A scenario is **possible** (``possible`` True, ``judgement`` ``"possible"``) only if every row of it
    has count pairs reproducing the printed percentages (GRIM), the printed p-values are reproduced within
    their rounding by ``test`` with one placebo count shared by the scenario's rows, every row has an arm,
    and no figure of the trial itself contradicts it: the trial's own count for the same endpoint and arm in
    ``outcomes.csv``, at the scenario's arm size, must give the printed percentage (``contradicted_by``
    names the source, e.g. ``A10-reg``: Arnold 2010's registry composite 103/516 vs 56/509 rules out
    25.4% vs 15.5% on 516 vs 509). Impossible and contradicted scenarios are kept, with the reasons in
    ``judgement``.

    Scenario arm sizes the row does not print are **assumptions**: such rows have ``status`` ``"assumed
    denominators"``. Rows with printed percentages but no arm size, and rows whose percentages are
    model-based, give only the difference of the printed percentages (``difference_printed``, a point
    estimate, labelled so in ``status``; ``possible`` ``<NA>``). Rows without percentages have ``status``
    ``<NA>``.

    Parameters
    ----------
    reported : pandas.DataFrame, optional
        A table with the columns of ``reported.csv`` (default: the bundled one).
    **options
        ``ci``, ``test``, ``alpha``, ``rounding``, ``measure`` of :func:`reanalyse_percentages`.

    Returns
    -------
    pandas.DataFrame
        One row per reported row x scenario, columns :data:`REPORTED_COLUMNS`: ``row`` (1-based data row of
        ``reported``), ``study``, ``label``, ``endpoint``, ``dose_mg_day``; ``scenario`` (the attribution
        in words; the same text on every row of a joint scenario), ``scenario_kind`` (one of
        :data:`SCENARIO_KINDS`), ``status``; the columns of :func:`reanalyse_percentages`;
        ``difference_printed`` (the printed percentages' difference, in percentage points); ``p_reported``;
        ``p_in_range`` (some admissible pair of this row alone has its p in the interval the printed p
        allows; ``<NA>`` when not checkable, e.g. a time-to-event p); ``joint_rows`` (the rows attributed
        together, ``"2, 3"``; ``<NA>`` for a row attributed alone); ``contradicted_by`` (source ids of the
        trial's own figures that contradict the row under this scenario); ``possible`` (the scenario's
        verdict, the same on each of its rows; ``<NA>`` when not judged); ``judgement`` (the verdict in
        words with every reason); ``source``, ``locator``.

    Examples
    --------
    >>> import fmtrials
    >>> r = fmtrials.reanalyse_reported(test="chi2")
    >>> seed = r[(r.row == 2) & r.consistent.fillna(False)]
    >>> cols = ["n_t", "n_c", "scenario_kind", "events_t_min", "events_c_min", "contradicted_by"]
    >>> print(seed[cols].fillna({"contradicted_by": "-"}).to_string(index=False))
     n_t  n_c scenario_kind  events_t_min  events_c_min contradicted_by
     401  401         mixed           102            62               -
     516  509     candidate           131            79         A10-reg
     623  624        pooled           158            97               -
    >>> int(r[r.joint_rows.notna()].drop_duplicates("scenario").possible.sum())  # no joint attribution is possible
    0
    """
    unknown = set(options) - {"ci", "test", "alpha", "rounding", "measure"}
    if unknown:
        raise DataError(Problem(f"unknown options {sorted(unknown)}", file=ARGUMENTS, column=sorted(unknown)[0]))
    measure, ci, test, alpha, rounding = _options(
        options.get("measure", "RD"),
        options.get("ci", "newcombe"),
        options.get("test", "fisher"),
        options.get("alpha", 0.05),
        options.get("rounding", "either"),
    )
    _, records, outcomes = _scenarios(reported)
    meta = []
    for r in records:
        rec = r["rec"]
        pt, pc = text_or_none(rec.get("percent_t")), text_or_none(rec.get("percent_c"))
        meta.append((r, pt, pc, _status(r, pt, pc)))
    todo = [i for i, m in enumerate(meta) if m[3] in (ASSUMED, PRINTED)]
    res, pairs, p = (
        _engine(
            [meta[i][1] for i in todo],
            [meta[i][0]["attr"].n_t for i in todo],
            [meta[i][2] for i in todo],
            [meta[i][0]["attr"].n_c for i in todo],
            measure,
            ci,
            test,
            alpha,
            rounding,
        )
        if todo
        else (None, None, None)
    )
    p_text = [
        None if meta[i][0]["other_test"] else _text(meta[i][0]["rec"].get("p_reported")) for i in todo
    ]  # a p from another kind of test (time-to-event, ...) is not checkable against the two proportions
    in_range, hit, known = (
        _p_in_range([None if v is None else str(v) for v in p_text], pairs, p, len(todo))
        if todo and pairs is not None and p is not None
        else (None, np.zeros(0, bool), np.zeros(len(todo), bool))
    )
    contra = [
        contradictions(r["member"], r["rec"], outcomes, cast(Any, rounding))
        if r["member"] is not None
        else (None, None)
        for r, *_ in meta
    ]
    consistent = np.zeros(len(meta), bool)
    if res is not None:
        consistent[todo] = res["consistent"].to_numpy(bool)
    judged = _judge(meta, todo, consistent, in_range, hit, known, pairs, contra, test)
    return _assemble(meta, todo, res, in_range, contra, judged, measure, ci, test, alpha, rounding)


def _judge(
    meta: list,
    todo: list[int],
    consistent: np.ndarray,
    in_range: Any,
    hit: np.ndarray,
    known: np.ndarray,
    pairs: _Pairs | None,
    contra: list[tuple[str | None, str | None]],
    test: str,
) -> list[tuple[Any, str | None]]:
    """``(possible, judgement)`` per record, judged per scenario: all rows of a joint scenario together."""
    where = {i: k for k, i in enumerate(todo)}
    scen: dict[tuple[Any, ...], list[int]] = {}
    for i, (r, *_) in enumerate(meta):
        key = ("joint", r["group"], r["attr"].label) if r["group"] is not None else ("row", r["row"], r["attr"].label)
        scen.setdefault(key, []).append(i)
    out: list[tuple[Any, str | None]] = [(pd.NA, None)] * len(meta)
    for idx in scen.values():
        reasons, unknown = [], []
        for i in idx:
            r, _, _, status = meta[i]
            what = _row_words(r["rec"])
            if status == NO_ARM:
                reasons.append(f"{what}: no arm at this dose")
            elif status in (ASSUMED, PRINTED) and not consistent[i]:
                reasons.append(f"{what}: printed % impossible with n {r['attr'].n_t} vs {r['attr'].n_c}")
            elif status not in (ASSUMED, PRINTED):
                unknown.append(status)
        analysed = [where[i] for i in idx if i in where and consistent[i]]
        if analysed and len(analysed) == len([i for i in idx if meta[i][3] in (ASSUMED, PRINTED)]):
            with_p = [k for k in analysed if known[k]]
            if with_p and pairs is not None and not joint_p(hit, pairs.row, pairs.events_c, with_p):
                reasons.append(f"printed p not reproduced ({test} test)")
        words = "; ".join(dict.fromkeys(w for i in idx if (w := contra[i][1]) is not None))
        if words:
            reasons.append(f"{CONTRADICTED} {words}")
        if reasons:
            verdict: tuple[Any, str | None] = (False, "not possible: " + "; ".join(reasons))
        elif unknown or not any(meta[i][3] in (ASSUMED, PRINTED) for i in idx):
            verdict = (pd.NA, None if not unknown or unknown[0] is None else f"not judged: {unknown[0]}")
        elif any(getattr(meta[i][0]["attr"], "by_construction", False) for i in idx):
            verdict = (True, f"{POSSIBLE} (by construction: the arm size was derived from these percentages)")
        elif any(meta[i][0]["other_test"] for i in idx):
            verdict = (True, f"{POSSIBLE} (the printed p is from another kind of test: not checked)")
        else:
            verdict = (True, POSSIBLE)
        for i in idx:
            out[i] = verdict
    return out


def _row_words(rec: Any) -> str:
    dose = "" if is_missing(rec.get("dose_mg_day")) else f" {float(rec['dose_mg_day']):g} mg/day"
    return f"{_text(rec.get('label')) or 'row'}{dose}"


def _assemble(
    meta: list,
    todo: list[int],
    res: pd.DataFrame | None,
    in_range: Any,
    contra: list[tuple[str | None, str | None]],
    judged: list[tuple[Any, str | None]],
    measure: str,
    ci: str,
    test: str,
    alpha: float,
    rounding: str,
) -> pd.DataFrame:
    """One output row per scenario: the analysed ones from ``res``, the others with missing analysis."""
    base = pd.DataFrame(
        [
            {
                "row": r["row"],
                "study": _text(r["rec"].get("study")),
                "label": _text(r["rec"].get("label")),
                "endpoint": _text(r["rec"].get("endpoint")),
                "dose_mg_day": pd.NA
                if is_missing(r["rec"].get("dose_mg_day"))
                else int(float(r["rec"]["dose_mg_day"])),
                "scenario": r["attr"].label,
                "scenario_kind": r["attr"].kind,
                "status": status,
                "percent_t": pt,
                "n_t": r["attr"].n_t,
                "percent_c": pc,
                "n_c": r["attr"].n_c,
                "difference_printed": (
                    float(parse_percent_text(pt)[0]) / 10 ** parse_percent_text(pt)[1]
                    - float(parse_percent_text(pc)[0]) / 10 ** parse_percent_text(pc)[1]
                )
                if status is not None
                else np.nan,
                "p_reported": None if _text(r["rec"].get("p_reported")) is None else str(r["rec"]["p_reported"]),
                "joint_rows": None if r["group"] is None else ", ".join(map(str, r["group"])),
                "contradicted_by": c[0],
                "possible": j[0],
                "judgement": j[1],
                "source": _text(r["rec"].get("source")),
                "locator": _text(r["rec"].get("locator")),
            }
            for (r, pt, pc, status), c, j in zip(meta, contra, judged)
        ]
    )
    analysed = list(REANALYSIS_COLUMNS[4:18])
    full = pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in analysed}).reindex(range(len(base)))
    full["p_in_range"] = pd.array([pd.NA] * len(base), dtype="boolean")
    if res is not None:
        done = res[analysed].astype({c: _dtype(c) for c in analysed})
        done["p_in_range"] = in_range
        done.index = pd.Index(todo)
        full = done.reindex(range(len(base)))
    base = pd.concat([base, full], axis=1)
    for col in ("n_t", "n_c", "dose_mg_day"):
        base[col] = pd.array([pd.NA if v is None or pd.isna(v) else int(v) for v in base[col]], dtype="Int64")
    base["difference_printed"] = base["difference_printed"].astype(float).round(10)
    base["possible"] = pd.array(list(base["possible"]), dtype="boolean")
    base = base.assign(measure=measure, ci=ci, test=test, alpha=alpha, rounding=rounding)
    return base.loc[:, list(REPORTED_COLUMNS)]


def _dtype(col: str) -> str:
    if col.startswith("consistent"):
        return "boolean"
    if col.startswith("events") or col == "n_pairs":
        return "Int64"
    return "float64"  # NaN where not analysed

"""Re-analysis of the bundled reported table (:func:`reanalyse_reported`): every printed pair of percentages under
every attribution of arm sizes that :func:`fmtrials.audit` tries, each row labelled with how its denominators were
obtained (``"assumed denominators"`` and so on). The engine is :func:`~fmtrials.consistency.reanalyse_percentages`
(:mod:`.reanalysis`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._validation import ARGUMENTS
from ..errors import DataError, Problem
from ._common import is_missing
from .percent import parse_percent_text, text_or_none
from .pvalues import parse_p
from .reanalysis import REANALYSIS_COLUMNS, _engine, _options, _Pairs

__all__ = ["reanalyse_reported", "REPORTED_COLUMNS", "ASSUMED", "PRINTED", "NO_DENOMINATOR", "MODEL_BASED"]


#: how a row of :func:`reanalyse_reported` got its denominators (the ``status`` column)
ASSUMED = "assumed denominators"
PRINTED = "printed denominators"
NO_DENOMINATOR = "no denominators: difference of printed percentages (point estimate only)"
MODEL_BASED = "model-based percentages: difference of printed percentages (point estimate only)"

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
    "source",
    "locator",
    *REANALYSIS_COLUMNS[18:],
)


def _p_in_range(p_text: Sequence[Any], pairs: _Pairs, p: np.ndarray, size: int) -> pd.arrays.BooleanArray:
    """Per row: does the p of some admissible pair fall in the interval the printed p allows?"""
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
    return out


def _scenarios(reported: pd.DataFrame | None) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Every (reported row x attribution) the audit tries, as records."""
    from . import milnacipran as _m

    reported, arms, trials, outcomes = _m._tables(reported, None, None, None)
    pooled = [s for s in dict.fromkeys(reported.get("study", pd.Series(dtype=object)).dropna().astype(str)) if "+" in s]
    records = []
    for pos, (_, rec) in enumerate(reported.iterrows(), start=1):
        model = "model" in _m._context(rec).lower()
        for attr in _with_mixed(_m._attributions(rec, arms, trials, outcomes, pooled, True)):
            records.append({"row": pos, "rec": rec, "attr": attr, "model": model})
    return reported, records


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
    if attr.n_t is None or attr.n_c is None:
        return NO_DENOMINATOR
    return PRINTED if attr.kind == "stated" else ASSUMED


def _text(value: Any) -> Any:
    return None if is_missing(value) else value


def reanalyse_reported(reported: pd.DataFrame | None = None, **options: Any) -> pd.DataFrame:
    """Re-analyse every row of a reported table under every attribution of arm sizes the audit tries.

    For each row of ``reported`` (default :func:`fmtrials.load_reported`: the seed table and the papers'
    figures) and each candidate attribution of :func:`fmtrials.audit` (each candidate trial's randomized
    arm sizes, the alternative arm sizes, summed arm sizes of pooled analyses, printed sizes), the printed
    percentages are re-analysed by :func:`reanalyse_percentages`, all scenarios in one vectorised call.

    Scenario arm sizes the row does not print are **assumptions**: such rows have ``status`` ``"assumed
    denominators"``. Rows with printed percentages but no arm size, and rows whose percentages are
    model-based, give only the difference of the printed percentages (``difference_printed``, a point
    estimate, labelled so in ``status``). Rows without percentages have ``status`` ``<NA>``.

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
        in words), ``scenario_kind`` (stated / study / study_alt / analysis_n / candidate / pooled /
        subgroup, and ``mixed``: one arm's size from each source), ``status``; the columns of
        :func:`reanalyse_percentages`; ``difference_printed`` (the
        printed percentages' difference, in percentage points); ``p_reported``; ``p_in_range`` (some
        admissible pair's p lies in the interval the printed p allows; ``<NA>`` when not checkable);
        ``source``, ``locator``.

    Examples
    --------
    >>> import fmtrials
    >>> r = fmtrials.reanalyse_reported(test="chi2")
    >>> seed = r[(r.row == 2) & r.consistent.fillna(False)]
    >>> print(seed[["n_t", "n_c", "status", "events_t_min", "events_c_min"]].to_string(index=False))
     n_t  n_c               status  events_t_min  events_c_min
     516  509 assumed denominators           131            79
     623  624 assumed denominators           158            97
     401  401 assumed denominators           102            62
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
    _, records = _scenarios(reported)
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
    p_text = [_text(meta[i][0]["rec"].get("p_reported")) for i in todo]
    in_range = (
        _p_in_range([None if v is None else str(v) for v in p_text], pairs, p, len(todo))
        if todo and pairs is not None and p is not None
        else None
    )
    return _assemble(meta, todo, res, in_range, measure, ci, test, alpha, rounding)


def _assemble(
    meta: list,
    todo: list[int],
    res: pd.DataFrame | None,
    in_range: Any,
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
                "source": _text(r["rec"].get("source")),
                "locator": _text(r["rec"].get("locator")),
            }
            for r, pt, pc, status in meta
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
    base = base.assign(measure=measure, ci=ci, test=test, alpha=alpha, rounding=rounding)
    return base.loc[:, list(REPORTED_COLUMNS)]


def _dtype(col: str) -> str:
    if col.startswith("consistent"):
        return "boolean"
    if col.startswith("events") or col == "n_pairs":
        return "Int64"
    return "float64"  # NaN where not analysed

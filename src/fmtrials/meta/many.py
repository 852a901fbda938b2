""":func:`pool_many`: thousands of meta-analyses in one call, one row per analysis, each equal to :func:`pool`.

The input is one long table: a row per study and an ``analysis`` column saying which analysis it belongs to. A
study is given by its counts (``events_t, n_t, events_c, n_c``, turned into effects by the rule of
:func:`fmtrials.pool`) or by a precomputed effect and sampling variance (``yi, vi``, e.g. a mean difference); one
table can mix both. Problems of one analysis (too few studies, a study id given twice, mixed measures, bad counts)
are reported in its row and never stop the others. The arithmetic is in :mod:`fmtrials.meta._many`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from .._validation import ARGUMENTS, DATAFRAME, frame_counts
from .._vocab import COUNT_COLUMNS, MEASURES, RATIO_MEASURES, Measure, PiMethod, PoolMethod, PoolTest, choice
from ..effects.sizes import study_effects
from ..errors import ConvergenceError, DataError, Problem
from ._many import fit_segments
from ._table import Data
from .fitting import _estimate
from .pooling import options

__all__ = ["pool_many", "MANY_COLUMNS"]

#: the columns of :func:`pool_many` after the analysis column
MANY_COLUMNS = (
    "measure",
    "k",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "beta",
    "se",
    "statistic",
    "df",
    "tau2",
    "q",
    "q_df",
    "q_p",
    "i2",
    "i2_tau2",
    "h2",
    "pi_low",
    "pi_high",
    "converged",
    "problem",
)
_NUMBERS = MANY_COLUMNS[1:-2]
_COUNT_METHODS = ("MH", "MH-DL", "Peto")


def _flag(problem: np.ndarray, codes: Any, text: str) -> None:
    """Record ``text`` for each analysis in ``codes`` that has no problem yet (the first one found is kept)."""
    for c in np.unique(np.asarray(codes, dtype=np.int64)).tolist():
        if not problem[c]:
            problem[c] = text


def _check_counts(df: pd.DataFrame, rows: np.ndarray, codes: np.ndarray, problem: np.ndarray) -> np.ndarray:
    """Validate the count rows (the package's one path); an analysis with a bad count gets the problem and its
    rows leave. Returns the rows kept."""
    while len(rows):
        try:
            frame_counts(df.iloc[rows], COUNT_COLUMNS, rows=rows + 1)
            return rows
        except DataError as err:
            bad = [(p.row, p) for p in err.problems if p.row is not None]
            if not bad:
                raise
            for row, p in bad:
                _flag(problem, [codes[row - 1]], str(p))
            rows = rows[problem[codes[rows]] == ""]
    return rows


def _measures(df: pd.DataFrame, measure: Any, codes: np.ndarray, n: int, problem: np.ndarray) -> np.ndarray:
    """The measure of each analysis: the argument, or the table's ``measure`` column (one per analysis)."""
    if "measure" not in df.columns:
        return np.full(n, choice("RR" if measure is None else measure, MEASURES, "measure"), dtype=object)
    if measure is not None:
        raise DataError(Problem("give measure= or a 'measure' column, not both", file=ARGUMENTS, column="measure"))
    canon: dict[Any, str] = {}
    for value in pd.unique(df["measure"].to_numpy(dtype=object)):
        try:
            canon[value] = choice(value, MEASURES, "measure")
        except DataError:
            canon[value] = ""
    row_m = np.array([canon[x] for x in df["measure"].to_numpy(dtype=object)], dtype=object)
    bad = row_m == ""
    for r in np.nonzero(bad)[0].tolist():
        _flag(
            problem, [codes[r]], f"row {r + 1}: measure {df['measure'].iloc[r]!r} is not one of {', '.join(MEASURES)}"
        )
    out = np.full(n, "", dtype=object)
    pairs = pd.DataFrame({"a": codes, "m": row_m}).drop_duplicates()
    for a, g in pairs.groupby("a", sort=False)["m"]:
        ms = sorted(set(g) - {""})
        if len(ms) > 1:
            _flag(problem, [a], f"mixed measures in one analysis: {', '.join(ms)}")
        out[a] = ms[0] if ms else ""
    return out


def pool_many(
    table: pd.DataFrame,
    *,
    analysis: str = "analysis",
    measure: Measure | None = None,
    method: PoolMethod = "MH",
    test: PoolTest = "z",
    alpha: float = 0.05,
    pi_method: PiMethod = "hts",
    tol: float = 1e-12,
    maxiter: int = 100,
) -> pd.DataFrame:
    """Pool many meta-analyses at once: one row per analysis, every number that of :func:`~fmtrials.pool` on it.

    The arithmetic runs on all analyses together (segmented arrays, no Python loop per analysis): 10,000
    analyses of 10 studies take well under a second with REML. The rare analysis where a special rule of
    :func:`~fmtrials.pool` applies (an undefined Mantel-Haenszel or Peto estimate, all studies double-zero) is
    refitted with the steps of :func:`~fmtrials.pool`, and REML's safeguarded search is the same function.

    Parameters
    ----------
    table : DataFrame
        One row per study: the ``analysis`` column, and either the counts ``events_t, n_t, events_c, n_c`` or a
        precomputed effect ``yi`` (analysis scale: log RR, log OR, RD, or a mean difference) with its sampling
        variance ``vi``. A row with all four counts uses them; otherwise ``yi`` and ``vi``. Optional ``study``
        (ids, checked to be unique within an analysis) and ``measure`` (one per analysis, instead of the
        argument).
    analysis : str
        The column naming the analysis of each row. Rows keep their order within an analysis; the result lists
        the analyses in order of first appearance.
    measure : {"RR", "OR", "RD"}, optional
        The measure of every analysis (default "RR"), or None to read it from a ``measure`` column.
    method, test, alpha, pi_method, tol, maxiter
        As :func:`~fmtrials.pool`. MH, MH-DL and Peto need counts. REML never switches estimator: after
        ``maxiter`` Fisher scoring iterations the restricted likelihood is maximised by a safeguarded search.

    Returns
    -------
    DataFrame
        One row per analysis: the ``analysis`` column, then ``measure, k, estimate, ci_low, ci_high`` (reporting
        scale), ``p_value, beta, se, statistic`` (analysis scale), ``df`` (HKSJ's t df, NaN for z), ``tau2, q,
        q_df, q_p, i2`` (Q-based), ``i2_tau2`` (metafor's, random effects), ``h2, pi_low, pi_high`` as in
        :class:`~fmtrials.PoolResult`, ``converged`` (False when the
        analysis gave no estimate) and ``problem`` (why, or a caveat such as a single study; "" when none).

    Raises
    ------
    DataError
        Problems of the whole table (no ``analysis`` column, a missing analysis id, bad options). A problem
        confined to one analysis is reported in its row instead.

    Examples
    --------
    >>> import pandas as pd, fmtrials
    >>> t = pd.DataFrame({"analysis": ["A", "A", "A", "B", "B"],
    ...                   "events_t": [73, 189, 18, 40, 177], "n_t": [224, 516, 85, 224, 441],
    ...                   "events_c": [47, 106, 6, 8, 47], "n_c": [223, 509, 21, 223, 223]})
    >>> r = fmtrials.pool_many(t, measure="RR", method="REML", test="hksj")
    >>> r[["analysis", "k", "estimate", "ci_low", "ci_high", "tau2", "converged"]].round(4)
      analysis  k  estimate  ci_low    ci_high    tau2  converged
    0        A  3    1.5608  0.7643     3.1870  0.0165       True
    1        B  2    2.8911  0.0068  1228.2862  0.3810       True
    >>> one = fmtrials.pool(t[t.analysis == "A"], measure="RR", method="REML", test="hksj")
    >>> bool(abs(one.ci_high - r.loc[0, "ci_high"]) < 1e-12)
    True
    """
    if not isinstance(table, pd.DataFrame):
        raise DataError(Problem(f"must be a DataFrame, got {type(table).__name__}", file=ARGUMENTS, column="table"))
    if analysis not in table.columns:
        raise DataError(Problem(f"analysis column {analysis!r} not in the table", file=ARGUMENTS, column="analysis"))
    df = table.reset_index(drop=True)
    missing = np.nonzero(df[analysis].isna().to_numpy())[0]
    if len(missing):
        raise DataError(
            [Problem("missing analysis id", file=DATAFRAME, row=int(r) + 1, column=analysis) for r in missing]
        )
    o = options("RR" if measure is None else measure, method, test, alpha, pi_method, tol, maxiter, "raise")
    codes, keys = pd.factorize(df[analysis], sort=False)
    codes = codes.astype(np.int64)
    n = len(keys)
    problem = np.full(n, "", dtype=object)
    meas = _measures(df, measure, codes, n, problem)
    if o.method == "Peto":
        _flag(problem, np.nonzero((meas != "OR") & (meas != ""))[0], "the Peto method estimates an odds ratio")
    if "study" in df.columns:
        dup = df.duplicated([analysis, "study"], keep=False).to_numpy() & df["study"].notna().to_numpy()
        for c in np.unique(codes[dup]).tolist():
            ids = pd.unique(df["study"][dup & (codes == c)].astype(str))
            _flag(
                problem,
                [c],
                f"study id(s) given more than once in this analysis: {', '.join(ids)} (a multi-arm trial: give each "
                f"comparison its own id, e.g. with the dose)",
            )
    has_counts = np.ones(len(df), dtype=bool)
    for col in COUNT_COLUMNS:
        has_counts &= df[col].notna().to_numpy() if col in df.columns else False
    has_eff = np.zeros(len(df), dtype=bool)
    if "yi" in df.columns and "vi" in df.columns:
        has_eff = ~has_counts & df["yi"].notna().to_numpy() & df["vi"].notna().to_numpy()
    neither = ~has_counts & ~has_eff
    for r in np.nonzero(neither)[0].tolist():
        _flag(problem, [codes[r]], f"row {r + 1}: neither the four counts {', '.join(COUNT_COLUMNS)} nor yi and vi")
    if o.method in _COUNT_METHODS:
        _flag(problem, codes[has_eff], f"{o.method} pools counts; this analysis has rows with yi, vi only")
    count_rows = _check_counts(df, np.nonzero(has_counts & (problem[codes] == ""))[0], codes, problem)
    yi = vi = np.full(len(df), np.nan)
    if has_eff.any():
        yi = pd.to_numeric(df["yi"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        vi = pd.to_numeric(df["vi"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = has_eff & ~(np.isfinite(yi) & np.isfinite(vi) & (vi > 0))
        for r in np.nonzero(bad)[0].tolist():
            _flag(problem, [codes[r]], f"row {r + 1}: yi must be finite and vi finite and > 0")
    out = {c: np.full(n, np.nan) for c in _NUMBERS}
    out["k"] = np.bincount(codes, minlength=n).astype(float)
    converged = np.zeros(n, dtype=bool)
    fitted = np.zeros(n, dtype=bool)  # numbers as pool gives them (converged, or an undefined MH/Peto estimate)
    is_count = np.zeros(len(df), dtype=bool)
    is_count[count_rows] = True
    for m in sorted(set(meas[problem == ""])):
        ok = (problem == "") & (meas == m)
        rows = np.nonzero(ok[codes] & (is_count | has_eff))[0]
        rows = rows[np.argsort(codes[rows], kind="stable")]
        where = np.nonzero(ok)[0]  # local analysis j is analysis where[j]
        seg = np.searchsorted(where, codes[rows])
        om = replace(o, measure=m)
        y, v, inc, counts = _effects(df, rows, is_count[rows], yi[rows], vi[rows], om)
        fails: dict[int, str] = {}
        res = fit_segments(seg, len(where), y, v, inc, counts, om, fails)
        for j, msg in fails.items():
            problem[where[j]] = f"REML did not converge for analysis {keys[where[j]]!r}: {msg}"
        for c in _NUMBERS:
            if c in res:
                out[c][where] = res[c]
        out["estimate"][where] = np.exp(res["beta"]) if m in RATIO_MEASURES else res["beta"]
        out["ci_low"][where] = np.exp(res["lo"]) if m in RATIO_MEASURES else res["lo"]
        out["ci_high"][where] = np.exp(res["hi"]) if m in RATIO_MEASURES else res["hi"]
        for c in ("pi_low", "pi_high"):
            out[c][where] = np.exp(res[c]) if m in RATIO_MEASURES else res[c]
        converged[where] = fitted[where] = True
        converged[[where[j] for j in fails]] = fitted[[where[j] for j in fails]] = False
        for j in np.nonzero(res["special"])[0].tolist():
            a = where[j]
            sel = rows[seg == j]
            fitted[a], converged[a] = _refit(df, sel, is_count[sel], om, out, a, problem, keys[a])
    for a in np.nonzero(~fitted)[0].tolist():
        for c in _NUMBERS[1:]:
            out[c][a] = np.nan
    one = converged & (out["q_df"] == 0) & (problem == "")
    problem[one] = "one study with an effect: the estimate is its own; heterogeneity cannot be estimated"
    result = pd.DataFrame({analysis: keys.to_numpy() if hasattr(keys, "to_numpy") else np.asarray(keys)})
    result["measure"] = meas
    for c in MANY_COLUMNS[1:-2]:
        result[c] = out[c]
    result["k"] = result["k"].astype(np.int64)
    result["q_df"] = np.where(fitted, out["q_df"], np.nan)
    result["converged"] = converged
    result["problem"] = problem.astype(str)
    return result


def _effects(
    df: pd.DataFrame, rows: np.ndarray, counted: np.ndarray, yi: np.ndarray, vi: np.ndarray, o: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...] | None]:
    """Per-study effects of ``rows`` (escalc rule of :func:`fmtrials.meta.fitting.effects_step` for count rows)."""
    y, v, inc = yi.copy(), vi.copy(), np.ones(len(rows), dtype=bool)
    counts = None
    if counted.any():
        cr = rows[counted]
        a, n1, c, n2 = (df[col].to_numpy()[cr].astype(np.int64) for col in COUNT_COLUMNS)
        measure: Any = "PETO" if o.method == "Peto" else o.measure
        eff = study_effects(a, n1, c, n2, measure=measure, drop00=True if o.method == "MH" else None)
        y[counted], v[counted], inc[counted] = eff.yi, eff.vi, ~eff.excluded
        if counted.all():
            counts = (a, n1, c, n2)
    return y, v, inc, counts


def _refit(
    df: pd.DataFrame, rows: np.ndarray, counted: np.ndarray, o: Any, out: dict, a: int, problem: np.ndarray, key: Any
) -> tuple[bool, bool]:
    """One analysis through :func:`fmtrials.meta.fitting._estimate` (a special rule applies): (numbers set, estimate
    defined); the reason in ``problem`` when not."""
    if not counted.all():  # pragma: no cover - effects given as yi, vi never reach a special rule
        problem[a] = "no estimate from these effects"
        return False, False
    a_, n1, c, n2 = (df[col].to_numpy()[rows].astype(np.int64) for col in COUNT_COLUMNS)
    lab = np.array([str(i) for i in range(len(rows))], dtype=object)
    try:
        e = _estimate(Data(a_, n1, c, n2, lab, lab, None, None), o, with_ci=False)
    except DataError as err:
        problem[a] = str(err.problems[0].message) if err.problems else str(err)
        out["k"][a] = 0
        return False, False
    except ConvergenceError as err:  # pragma: no cover - REML's search finds a maximum for finite effects
        problem[a] = f"REML did not converge for analysis {key!r}: {err}"
        return False, False
    h, ratio = e["het"], o.measure in RATIO_MEASURES
    tr = np.exp if ratio else (lambda x: x)
    vals = dict(
        k=e["k"], estimate=tr(e["beta"]), ci_low=tr(e["lo"]), ci_high=tr(e["hi"]), p_value=e["p"], beta=e["beta"],
        se=e["se"], statistic=e["statistic"], df=np.nan if e["df"] is None else e["df"], tau2=h.tau2, q=h.q,
        q_df=h.q_df, q_p=h.q_p, i2=h.i2, i2_tau2=h.i2_tau2, h2=h.h2, pi_low=tr(e["pi"][0]), pi_high=tr(e["pi"][1]),
    )  # fmt: skip
    for c, x in vals.items():
        out[c][a] = x
    if not np.isfinite(e["beta"]):
        problem[a] = "; ".join(e["notes"]) or "no estimate"
        return True, False
    return True, True

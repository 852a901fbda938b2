"""The tidy per-comparison table: one row per active-vs-control contrast with every effect measure.

:func:`compare` is what the notebooks and the report use: both arms' rates with intervals, risk difference,
risk ratio, odds ratio and NNT with intervals, a p-value, Holm- and Hochberg-adjusted p-values across the
comparisons given, and the name of every method used.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from . import effects
from ._validation import as_count_arrays, check_alpha
from .errors import DataError, Problem

__all__ = ["compare", "COUNT_COLUMNS"]

COUNT_COLUMNS = ("events_t", "n_t", "events_c", "n_c")
_WHERE = "<DataFrame>"


def _count_problems(df: pd.DataFrame, rows: np.ndarray) -> list[Problem]:
    """Row-level checks of the count columns, naming the 1-based row of the input frame."""
    problems = []
    values = {c: pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float) for c in COUNT_COLUMNS}
    for col in COUNT_COLUMNS:
        raw = df[col].to_numpy()
        v = values[col]
        for i in np.nonzero(np.isnan(v))[0]:
            problems.append(Problem(f"not a number: {raw[i]!r}", file=_WHERE, row=int(rows[i]),
                                    column=col))
        bad = ~np.isnan(v)
        for i in np.nonzero(bad & (v != np.round(v)))[0]:
            problems.append(Problem(f"non-integer count ({v[i]:g})", file=_WHERE, row=int(rows[i]),
                                    column=col))
        for i in np.nonzero(bad & (v < 0))[0]:
            problems.append(Problem(f"negative count ({v[i]:g})", file=_WHERE, row=int(rows[i]),
                                    column=col))
    for x, n in (("events_t", "n_t"), ("events_c", "n_c")):
        for i in np.nonzero(values[x] > values[n])[0]:
            problems.append(Problem(f"events ({values[x][i]:g}) exceed {n} ({values[n][i]:g})", file=_WHERE,
                                    row=int(rows[i]), column=x))
        for i in np.nonzero(values[n] == 0)[0]:
            problems.append(Problem("arm size is 0", file=_WHERE, row=int(rows[i]), column=n))
    return problems


def compare(contrasts: pd.DataFrame, *,
            rd_ci: Literal["wald", "wald_cc", "agresti_caffo", "newcombe", "mn", "mee", "exact"] = "newcombe",
            rr_ci: Literal["katz", "koopman", "mn"] = "katz",
            or_ci: Literal["woolf", "mn", "exact"] = "woolf",
            test: Literal["chi2", "yates", "fisher", "barnard", "boschloo", "score"] = "fisher",
            rate_ci: Literal["wilson", "jeffreys", "clopper_pearson"] = "wilson",
            event: Literal["beneficial", "harmful"] = "beneficial",
            alpha: float = 0.05, cc: float = 0.5) -> pd.DataFrame:
    """Per-comparison statistics for a table of contrasts (treatment vs control), one row each.

    Parameters
    ----------
    contrasts : pandas.DataFrame
        At least ``events_t, n_t, events_c, n_c``; any other columns (``study, arm, dose_mg_day, endpoint,
        analysis, ...``) are carried through unchanged, first, in their order (e.g. the output of
        :func:`fmtrials.contrasts`). Rows with a missing count are dropped and recorded in
        ``result.attrs["excluded"]`` (the dropped rows as a list of dicts, with a ``reason``); other bad counts raise
        :class:`~fmtrials.DataError` naming the 1-based row and column.
    rd_ci, rr_ci, or_ci : str
        Interval methods, see :func:`fmtrials.risk_difference`, :func:`fmtrials.risk_ratio`,
        :func:`fmtrials.odds_ratio`. The NNT uses ``rd_ci``.
    test : str
        Test for the p-value (:func:`fmtrials.effects.proportions_test`, two-sided).
    rate_ci : str
        Interval for each arm's rate (:func:`fmtrials.proportion_ci`).
    event : {"beneficial", "harmful"}
        Responders are ``beneficial`` (NNTB when more on treatment); adverse events are ``harmful``.
    alpha : float
        Two-sided level for all intervals.
    cc : float
        Zero-cell correction for the Wald-type RR/OR intervals (``katz``, ``woolf``), see ``rr_correction``
        and ``or_correction``.

    Returns
    -------
    pandas.DataFrame
        Carried-through columns, then ``events_t, n_t, events_c, n_c``, ``rate_t, rate_t_low,
        rate_t_high, rate_c, rate_c_low, rate_c_high``, ``rd, rd_low, rd_high``, ``rr, rr_low, rr_high,
        rr_correction``, ``or, or_low, or_high, or_correction``, ``nnt, nnt_type, nnt_low, nnt_high,
        nnt_low_type, nnt_high_type, nnt_label`` (Altman order, see :func:`fmtrials.nnt`), ``p_value``,
        ``p_holm``, ``p_hochberg`` (adjusted across the rows returned, statsmodels ``multipletests``
        ``holm`` and ``simes-hochberg``), and the methods ``rate_method, rd_method, rr_method, or_method,
        test_method, event, alpha``. ``attrs["methods"]`` repeats the method choices and
        ``attrs["excluded"]`` lists the dropped rows as dicts (empty if none).

    Examples
    --------
    >>> import pandas as pd
    >>> import fmtrials
    >>> tab = pd.DataFrame({"study": ["Arnold2010", "Bateman2013"], "events_t": [103, 26], "n_t": [516, 79],
    ...                     "events_c": [56, 5], "n_c": [509, 21]})
    >>> out = fmtrials.compare(tab)
    >>> out[["study", "rd", "rd_low", "rd_high", "nnt_label"]].round(3)
             study     rd  rd_low  rd_high                              nnt_label
    0   Arnold2010  0.090   0.045    0.134                NNTB 11.2 (7.5 to 22.0)
    1  Bateman2013  0.091  -0.141    0.262  NNTB 11.0 (NNTB 3.8 to ∞ to NNTH 7.1)
    """
    from statsmodels.stats.multitest import multipletests

    if not isinstance(contrasts, pd.DataFrame):
        raise DataError(Problem(f"contrasts must be a pandas DataFrame, got {type(contrasts).__name__}",
                                file="<arguments>", column="contrasts"))
    missing = [c for c in COUNT_COLUMNS if c not in contrasts.columns]
    if missing:
        raise DataError(Problem(f"missing required column(s): {', '.join(missing)}", file=_WHERE))
    alpha = check_alpha(alpha)
    for name, value, allowed in (("rd_ci", rd_ci, effects.RD_METHODS), ("rr_ci", rr_ci, effects.RR_METHODS),
                                 ("or_ci", or_ci, effects.OR_METHODS), ("test", test, effects.TEST_METHODS),
                                 ("rate_ci", rate_ci, effects.PROPORTION_METHODS),
                                 ("event", event, ("beneficial", "harmful"))):
        effects._choice(value, allowed, name)

    df = contrasts.reset_index(drop=True)
    na = df[list(COUNT_COLUMNS)].isna()
    dropped = na.any(axis=1).to_numpy()
    excluded = df[dropped].copy()
    excluded["reason"] = ["missing " + ", ".join(c for c in COUNT_COLUMNS if na.at[i, c])
                          for i in excluded.index]
    kept = df[~dropped].copy()
    problems = _count_problems(kept, np.nonzero(~dropped)[0] + 1)  # 1-based rows of the input
    if problems:
        raise DataError(problems)
    kept = kept.reset_index(drop=True)
    x1, n1, x2, n2 = as_count_arrays(*(pd.to_numeric(kept[c]).to_numpy(dtype=float) for c in COUNT_COLUMNS),
                                     names=COUNT_COLUMNS)

    carry = [c for c in kept.columns if c not in COUNT_COLUMNS]
    out = kept[carry].copy()
    out["events_t"], out["n_t"], out["events_c"], out["n_c"] = x1, n1, x2, n2
    if len(kept):
        rates_t = effects.proportion_ci(x1, n1, ci=rate_ci, alpha=alpha)
        rates_c = effects.proportion_ci(x2, n2, ci=rate_ci, alpha=alpha)
        rd = effects.risk_difference(x1, n1, x2, n2, ci=rd_ci, alpha=alpha)
        rr = effects.risk_ratio(x1, n1, x2, n2, ci=rr_ci, alpha=alpha, cc=cc)
        odds = effects.odds_ratio(x1, n1, x2, n2, ci=or_ci, alpha=alpha, cc=cc)
        nn = effects._nnt_frame(rd["estimate"].to_numpy(), rd["ci_low"].to_numpy(), rd["ci_high"].to_numpy(),
                                event, 1)
        p = effects.proportions_test(x1, n1, x2, n2, test=test)["p_value"].to_numpy()
        p_holm = multipletests(p, method="holm")[1]
        p_hoch = multipletests(p, method="simes-hochberg")[1]
    else:
        empty = np.array([], dtype=float)
        rates_t = rates_c = pd.DataFrame({"estimate": empty, "ci_low": empty, "ci_high": empty})
        rd = rr = odds = rates_t.assign(correction=empty)
        nn = {k: empty for k in ("nnt", "nnt_type", "ci_low", "ci_high", "ci_low_type", "ci_high_type", "label")}
        p = p_holm = p_hoch = empty
    for prefix, frame in (("rate_t", rates_t), ("rate_c", rates_c), ("rd", rd), ("rr", rr), ("or", odds)):
        out[prefix] = frame["estimate"].to_numpy()
        out[f"{prefix}_low"] = frame["ci_low"].to_numpy()
        out[f"{prefix}_high"] = frame["ci_high"].to_numpy()
        if prefix in ("rr", "or"):
            out[f"{prefix}_correction"] = frame["correction"].to_numpy()
    out["nnt"] = nn["nnt"]
    out["nnt_type"] = nn["nnt_type"]
    out["nnt_low"] = nn["ci_low"]
    out["nnt_high"] = nn["ci_high"]
    out["nnt_low_type"] = nn["ci_low_type"]
    out["nnt_high_type"] = nn["ci_high_type"]
    out["nnt_label"] = nn["label"]
    out["p_value"] = p
    out["p_holm"] = p_holm
    out["p_hochberg"] = p_hoch
    methods = {"rate_method": rate_ci, "rd_method": rd_ci, "rr_method": rr_ci, "or_method": or_ci,
               "test_method": test, "event": event, "alpha": alpha, "cc": cc}
    for key in ("rate_method", "rd_method", "rr_method", "or_method", "test_method", "event", "alpha"):
        out[key] = methods[key]
    out.attrs["methods"] = methods
    out.attrs["excluded"] = excluded.reset_index(drop=True).astype(object).where(
        excluded.reset_index(drop=True).notna(), None).to_dict(orient="records")
    return out

"""The tidy per-comparison table: one row per active-vs-control contrast with every effect measure.

:func:`compare` is what the notebooks and the report use: both arms' rates with intervals, risk difference,
risk ratio, odds ratio and NNT with intervals, a p-value, Holm- and Hochberg-adjusted p-values across the
comparisons given, and the name of every method used. Every number comes from the public functions of
:mod:`fmtrials.effects`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from . import effects
from ._validation import ARGUMENTS, DATAFRAME, check_alpha, check_number, frame_counts
from ._vocab import (
    COUNT_COLUMNS,
    EVENTS,
    OR_INTERVALS,
    PROPORTION_INTERVALS,
    PROPORTIONS_TESTS,
    RD_INTERVALS,
    RR_INTERVALS,
    Event,
    ORInterval,
    ProportionInterval,
    ProportionsTest,
    RDInterval,
    RRInterval,
    choice,
    renamed_args,
)
from .errors import DataError, Problem

__all__ = ["compare"]

#: the statistics columns of :func:`compare`, in order (after the carried-through columns and the counts)
STAT_COLUMNS = (
    "rate_t",
    "rate_t_low",
    "rate_t_high",
    "rate_c",
    "rate_c_low",
    "rate_c_high",
    "rd",
    "rd_low",
    "rd_high",
    "rr",
    "rr_low",
    "rr_high",
    "rr_correction",
    "rr_note",
    "or",
    "or_low",
    "or_high",
    "or_correction",
    "or_note",
    "nnt",
    "nnt_type",
    "nnt_near",
    "nnt_near_type",
    "nnt_far",
    "nnt_far_type",
    "crosses_zero",
    "nnt_label",
    "p_value",
    "p_holm",
    "p_hochberg",
)
_METHOD_COLUMNS = ("rate_method", "rd_method", "rr_method", "or_method", "test_method", "event", "alpha")
# how the effects functions name the table of a per-table problem (see fmtrials._validation)
_POSITION = re.compile(r"\s*at position (\d+)")


@renamed_args(cc="add")
def compare(
    contrasts: pd.DataFrame,
    *,
    rd_ci: RDInterval = "newcombe",
    rr_ci: RRInterval = "katz",
    or_ci: ORInterval = "woolf",
    test: ProportionsTest = "fisher",
    rate_ci: ProportionInterval = "wilson",
    event: Event | None = None,
    alpha: float = 0.05,
    add: float = 0.5,
) -> pd.DataFrame:
    """Per-comparison statistics for a table of contrasts (treatment vs control), one row each.

    Parameters
    ----------
    contrasts : pandas.DataFrame
        At least ``events_t, n_t, events_c, n_c``; any other columns (``study, arm, dose_mg_day, endpoint,
        analysis, ...``) are carried through unchanged, first, in their order (e.g. the output of
        :func:`fmtrials.contrasts`). Rows with a missing count are dropped and recorded in
        ``result.attrs["excluded"]`` (the dropped rows as a list of dicts, with a ``reason``); other bad
        counts raise :class:`~fmtrials.DataError` naming the 1-based row and column. So does a table a
        method cannot handle (e.g. ``rd_ci="exact"`` above its size limit), naming also the ``study`` when
        there is such a column.
    rd_ci, rr_ci, or_ci : str
        Interval methods, see :func:`fmtrials.risk_difference`, :func:`fmtrials.risk_ratio`,
        :func:`fmtrials.odds_ratio`. The NNT uses ``rd_ci``.
    test : str
        Test for the p-value (:func:`fmtrials.effects.proportions_test`, two-sided).
    rate_ci : str
        Interval for each arm's rate (:func:`fmtrials.proportion_ci`).
    event : {"beneficial", "harmful"}, optional
        Responders are ``beneficial`` (NNTB when more on treatment); adverse events are ``harmful``. By
        default the table's own ``direction`` column (one value; e.g. from :func:`fmtrials.read_outcomes`),
        else ``"beneficial"``. An explicit ``event`` wins over the column.
    alpha : float
        Two-sided level for all intervals.
    add : float
        Zero-cell correction for the Wald-type RR/OR intervals (``katz``, ``woolf``), see ``rr_correction``
        and ``or_correction`` (``cc=`` in the previous release, still accepted with a DeprecationWarning).
        Choices ignore letter case.

    Returns
    -------
    pandas.DataFrame
        Carried-through columns, then ``events_t, n_t, events_c, n_c``; ``rate_t, rate_t_low,
        rate_t_high, rate_c, rate_c_low, rate_c_high`` (each arm's rate); ``rd, rd_low, rd_high``;
        ``rr, rr_low, rr_high, rr_correction, rr_note`` and ``or, or_low, or_high, or_correction, or_note``
        (``correction`` and ``note`` as in :func:`fmtrials.risk_ratio`: a double-zero table has no Katz or
        Woolf estimate, as pooling drops it); ``nnt, nnt_type, nnt_near, nnt_near_type, nnt_far,
        nnt_far_type, crosses_zero, nnt_label`` (as :func:`fmtrials.nnt`, whose ``label`` is ``nnt_label``
        here: ``nnt_near`` is the NNT limit on the side of the estimate, Altman's printing order);
        ``p_value``, ``p_holm``, ``p_hochberg`` (adjusted across the rows returned, statsmodels
        ``multipletests`` ``holm`` and ``simes-hochberg``); and the methods ``rate_method, rd_method,
        rr_method, or_method, test_method, event, alpha``. Every interval has ``low <= high``.
        ``attrs["methods"]`` repeats the method choices and ``attrs["excluded"]`` lists the dropped rows as
        dicts (empty if none).

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
    df = _as_frame(contrasts).reset_index(drop=True)
    methods = _options(
        rd_ci=rd_ci,
        rr_ci=rr_ci,
        or_ci=or_ci,
        test=test,
        rate_ci=rate_ci,
        event=_table_event(df) if event is None else event,
        alpha=alpha,
        add=add,
    )
    kept, excluded, rows = _drop_missing(df)
    x1, n1, x2, n2 = frame_counts(kept, COUNT_COLUMNS, file=DATAFRAME, rows=rows)
    studies = kept["study"].tolist() if "study" in kept.columns else None
    out = kept[[c for c in kept.columns if c not in COUNT_COLUMNS]].copy()
    out["events_t"], out["n_t"], out["events_c"], out["n_c"] = x1, n1, x2, n2
    stats = (
        _statistics(x1, n1, x2, n2, methods, rows, studies)
        if len(kept)
        else {c: np.array([], dtype=float) for c in STAT_COLUMNS}
    )
    for col in STAT_COLUMNS:
        out[col] = stats[col]
    for key in _METHOD_COLUMNS:
        out[key] = methods[key]
    out.attrs["methods"] = methods
    excluded = excluded.reset_index(drop=True)
    out.attrs["excluded"] = excluded.astype(object).where(excluded.notna(), None).to_dict(orient="records")
    return out


def _options(**given: Any) -> dict[str, Any]:
    """The canonical method choices, alpha and add (validated before any work), keyed as ``attrs["methods"]``."""
    return {
        "rate_method": choice(given["rate_ci"], PROPORTION_INTERVALS, "rate_ci"),
        "rd_method": choice(given["rd_ci"], RD_INTERVALS, "rd_ci"),
        "rr_method": choice(given["rr_ci"], RR_INTERVALS, "rr_ci"),
        "or_method": choice(given["or_ci"], OR_INTERVALS, "or_ci"),
        "test_method": choice(given["test"], PROPORTIONS_TESTS, "test"),
        "event": choice(given["event"], EVENTS, "event"),
        "alpha": check_alpha(given["alpha"]),
        "add": check_number(given["add"], "add", low=0.0, inclusive=False),
    }


def _table_event(df: pd.DataFrame) -> str:
    """The one direction the table's ``direction`` column states; ``"beneficial"`` without such a column."""
    if "direction" not in df.columns:
        return "beneficial"
    found = sorted({str(v).strip().casefold() for v in df["direction"].dropna()} - {""})
    if len(found) > 1:
        raise DataError(
            Problem(
                f"the direction column holds {', '.join(map(repr, found))}: compare one direction at a time, "
                "or pass event=",
                file=DATAFRAME,
                column="direction",
            )
        )
    return found[0] if found else "beneficial"


def _as_frame(contrasts: Any) -> pd.DataFrame:
    """``contrasts`` itself, after checking it is a DataFrame with the four count columns."""
    if not isinstance(contrasts, pd.DataFrame):
        raise DataError(
            Problem(
                f"contrasts must be a pandas DataFrame, got {type(contrasts).__name__}",
                file=ARGUMENTS,
                column="contrasts",
            )
        )
    if any(c not in contrasts.columns for c in COUNT_COLUMNS):
        frame_counts(contrasts, COUNT_COLUMNS, file=DATAFRAME)  # raises, naming the missing columns
    return contrasts


def _drop_missing(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """(rows with all four counts, dropped rows with a ``reason``, 1-based input rows of the kept ones)."""
    na = df[list(COUNT_COLUMNS)].isna()
    dropped = na.any(axis=1).to_numpy()
    excluded = df[dropped].copy()
    excluded["reason"] = ["missing " + ", ".join(c for c in COUNT_COLUMNS if na.at[i, c]) for i in excluded.index]
    return df[~dropped].reset_index(drop=True), excluded, np.nonzero(~dropped)[0] + 1


def _statistics(x1, n1, x2, n2, m: dict[str, Any], rows: np.ndarray, studies: list | None) -> dict[str, Any]:
    """Every statistics column, from the public effects functions."""
    from statsmodels.stats.multitest import multipletests

    from ._multiplicity import holm

    def run(option: str, fn: Callable[..., pd.DataFrame], *args: Any, **kwargs: Any) -> pd.DataFrame:
        try:
            return fn(*args, **kwargs)
        except DataError as err:
            raise _relocated(err, option, rows, studies) from err

    alpha = m["alpha"]
    rate_t = run("rate_ci", effects.proportion_ci, x1, n1, ci=m["rate_method"], alpha=alpha)
    rate_c = run("rate_ci", effects.proportion_ci, x2, n2, ci=m["rate_method"], alpha=alpha)
    nn = run("rd_ci", effects.nnt, x1, n1, x2, n2, ci=m["rd_method"], alpha=alpha, event=m["event"])
    rr = run("rr_ci", effects.risk_ratio, x1, n1, x2, n2, ci=m["rr_method"], alpha=alpha, add=m["add"])
    odds = run("or_ci", effects.odds_ratio, x1, n1, x2, n2, ci=m["or_method"], alpha=alpha, add=m["add"])
    p = run("test", effects.proportions_test, x1, n1, x2, n2, test=m["test_method"])["p_value"].to_numpy()
    cols: dict[str, Any] = {}
    for prefix, res in (("rate_t", rate_t), ("rate_c", rate_c), ("rr", rr), ("or", odds)):
        cols[prefix], cols[f"{prefix}_low"], cols[f"{prefix}_high"] = (
            res[k].to_numpy() for k in ("estimate", "ci_low", "ci_high")
        )
    for prefix, res in (("rr", rr), ("or", odds)):
        cols[f"{prefix}_correction"], cols[f"{prefix}_note"] = res["correction"].to_numpy(), res["note"].to_numpy()
    for col in (
        "rd",
        "rd_low",
        "rd_high",
        "nnt",
        "nnt_type",
        "nnt_near",
        "nnt_near_type",
        "nnt_far",
        "nnt_far_type",
        "crosses_zero",
    ):
        cols[col] = nn[col].to_numpy()
    cols["nnt_label"] = nn["label"].to_numpy()
    cols["p_value"] = p
    cols["p_holm"] = holm(p)  # statsmodels' Holm runs a full gc.collect() per call
    cols["p_hochberg"] = multipletests(p, method="simes-hochberg")[1]
    return cols


def _relocated(err: DataError, option: str, rows: np.ndarray, studies: list | None) -> DataError:
    """A per-table problem of an effects function re-addressed to the contrasts: ``<DataFrame>``, the 1-based
    input row, the column and the study; the method argument renamed to compare's (``ci`` -> ``rd_ci``)."""
    problems = []
    for p in err.problems:
        found = _POSITION.search(p.message) if p.file == ARGUMENTS else None
        if found is None:
            problems.append(p)
            continue
        i = int(found.group(1))
        message = re.sub(r"\bci=", f"{option}=", _POSITION.sub("", p.message, count=1))
        who = f"study {studies[i]!r}: " if studies is not None else ""
        problems.append(Problem(who + message, file=DATAFRAME, row=int(rows[i]), column=p.column))
    return DataError(problems)

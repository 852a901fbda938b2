"""2x2 contrasts: each active arm beside its own trial's control arm (:func:`contrasts`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..errors import DataError, Problem
from ._arms import derive_treatment, is_comparator, placebo_problems
from .bundled import load_outcomes, load_trials

CONTRAST_COLUMNS = [
    "study",
    "arm",
    "treatment",
    "dose_mg_day",
    "endpoint",
    "analysis",
    "population",
    "timepoint",
    "events_t",
    "n_t",
    "events_c",
    "n_c",
    "year",
    "poolable",
    "comparator",
    "placebo_id",
    "shared_placebo",
    "status_t",
    "status_c",
    "source_t",
    "source_c",
    "locator_t",
    "locator_c",
]


def mark_shared_placebo(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``shared_placebo`` set: True where its control arm (``placebo_id``: the comparator arm,
    placebo by default) serves more than one row of the same endpoint in this table (pooling those rows together
    would count it twice)."""
    keys = ["placebo_id", "endpoint"] if "endpoint" in table.columns else ["placebo_id"]
    return table.assign(shared_placebo=table.duplicated(keys, keep=False).to_numpy())


def contrasts(
    outcomes: pd.DataFrame | None = None,
    endpoint: str | Iterable[str] | None = None,
    analysis: str | Iterable[str] | None = None,
    *,
    poolable_only: bool = True,
    comparator: str = "placebo",
) -> pd.DataFrame:
    """One row per treatment arm against its own trial's comparator arm, placebo by default (same endpoint and
    analysis population).

    Parameters
    ----------
    outcomes : DataFrame, optional
        Output of :func:`load_outcomes` or :func:`read_outcomes`; the bundled outcomes by default.
    endpoint : str or list of str
        Endpoint(s) to keep (required for the bundled data, which holds many).
    analysis : str or list of str, optional
        Keep only these analyses (e.g. ``"BOCF"``); all by default.
    poolable_only : bool
        Drop trials flagged ``poolable == "no"`` in the bundled trials table (the randomized-withdrawal
        Clauw 2013, Natelson 2015). The bundled trials table (``year``, ``poolable``) applies only to the
        bundled outcomes (:func:`load_outcomes`, marked ``attrs["origin"] == "bundled"``, and what is
        filtered from them): the studies of any other table are never matched against it by name.
    comparator : str
        The control treatment (any case): ``"placebo"`` (rows with treatment placebo, dose 0 or an arm named
        placebo...), or a drug named in the ``treatment`` column (an active comparator). Every other arm of a
        trial with a comparator arm is compared with it, so a multi-arm trial gives one row per other arm, all
        sharing its comparator arm (``shared_placebo``). Trials without a comparator arm are left out and
        listed in ``.attrs["excluded"]``.

    Raises
    ------
    DataError
        Missing columns, unknown endpoints, an active ``comparator`` no row is treated with, or more than one
        comparator row for a study endpoint analysis (naming the 1-based rows of ``outcomes`` and the column
        ``arm``).

    Returns
    -------
    DataFrame
        Columns ``study, arm, treatment, dose_mg_day, endpoint, analysis, population, timepoint, events_t, n_t,
        events_c, n_c`` (counts Int64; ``_t`` the treatment arm, ``_c`` the comparator arm), ``year`` (Int64, from
        the trials table), ``poolable`` (bool), ``comparator`` (the control treatment, lower case), ``placebo_id``
        ("study:arm" of the control arm, whatever its treatment), ``shared_placebo`` (True when that placebo arm
        serves more than one row of *this* table: pooling those rows together double counts it), and the provenance
        ``status_t, status_c, source_t, source_c, locator_t, locator_c``. Comparisons whose counts are unknown in
        either arm are left out and listed in ``.attrs["excluded"]`` (a list of dicts with ``study, arm, endpoint,
        analysis, population, timepoint, reason``; plain records, so that pandas operations that compare or copy
        ``attrs`` stay cheap and never fail).

    Examples
    --------
    >>> import fmtrials
    >>> c = fmtrials.contrasts(endpoint="nausea")
    >>> c[["study", "dose_mg_day", "events_t", "n_t", "events_c", "n_c", "shared_placebo"]]
    ... # doctest: +NORMALIZE_WHITESPACE
             study  dose_mg_day  events_t  n_t  events_c  n_c  shared_placebo
    0    Mease2009          100        73  224        47  223            True
    1    Mease2009          200       177  441        47  223            True
    2   Arnold2010          100       189  516       106  509           False
    3  Bateman2013          100        18   85         6   21           False
    """
    if not isinstance(comparator, str) or not comparator.strip():
        raise DataError(Problem(f"comparator must be a treatment name such as 'placebo', got {comparator!r}"))
    comparator = comparator.strip().lower()
    out = load_outcomes() if outcomes is None else outcomes
    df = _outcome_frame(out, comparator)
    df = _select(df, endpoint, analysis)
    trials = _trials_for(bundled=outcomes is None or out.attrs.get("origin") == "bundled")
    if poolable_only:
        df = df[~df["study"].isin(set(trials.index[trials["poolable"] == "no"]))]
    res = _pair_with_control(df, trials, comparator)
    unknown = res[["events_t", "n_t", "events_c", "n_c"]].isna().any(axis=1)
    excluded = _excluded_records(res.loc[unknown])
    columns = CONTRAST_COLUMNS + (["direction"] if "direction" in res.columns else [])
    res = _in_reading_order(mark_shared_placebo(res.loc[~unknown])[columns])
    res.attrs["excluded"] = excluded
    return res


def _outcome_frame(out: Any, comparator: str) -> pd.DataFrame:
    """A copy of the outcomes with the optional columns filled in (a missing ``treatment`` is placebo for
    placebo rows, else :data:`DEFAULT_TREATMENT`); one comparator row per study analysis."""
    if not isinstance(out, pd.DataFrame):
        raise DataError(Problem(f"outcomes must be a DataFrame, got {type(out).__name__}"))
    missing = [c for c in ("study", "arm", "dose_mg_day", "endpoint", "n", "responders") if c not in out.columns]
    if missing:
        raise DataError(Problem("outcomes lack column(s): " + ", ".join(missing), file="<DataFrame>"))
    df = out.copy()
    for col, val in (
        ("analysis", "not stated"),
        ("population", "not stated"),
        ("timepoint", pd.NA),
        ("status", "reported"),
        ("source", "user"),
        ("locator", pd.NA),
    ):
        if col not in df.columns:
            df[col] = val
    df["treatment"] = derive_treatment(df)
    if comparator != "placebo" and not is_comparator(df, comparator).any():
        known = sorted(set(df["treatment"].dropna()))
        raise DataError(
            Problem(
                f"comparator {comparator!r} is no arm's treatment; treatments: {', '.join(map(repr, known))}",
                column="treatment",
            )
        )
    # rows of ``outcomes`` as given (before any filtering)
    doubled = placebo_problems(df, "<DataFrame>", comparator=comparator)
    if doubled:
        raise DataError(doubled)
    return df


def _select(
    df: pd.DataFrame, endpoint: str | Iterable[str] | None, analysis: str | Iterable[str] | None
) -> pd.DataFrame:
    """The rows of the wanted endpoint(s) and analyses (one endpoint must be named when several exist)."""
    if endpoint is None:
        eps = sorted(df["endpoint"].dropna().unique())
        if len(eps) > 1:
            raise DataError(
                Problem(
                    "several endpoints present ("
                    + ", ".join(map(str, eps[:12]))
                    + (", ..." if len(eps) > 12 else "")
                    + "); pass endpoint=...",
                    column="endpoint",
                )
            )
    else:
        wanted = [endpoint] if isinstance(endpoint, str) else list(endpoint)
        unknown = sorted(set(wanted) - set(df["endpoint"].dropna()))
        if unknown:
            raise DataError(
                Problem(
                    f"endpoint(s) {', '.join(map(repr, unknown))} not in the outcomes; known: "
                    + ", ".join(sorted(map(str, df["endpoint"].dropna().unique()))),
                    column="endpoint",
                )
            )
        df = df[df["endpoint"].isin(wanted)]
    if analysis is not None:
        df = df[df["analysis"].isin([analysis] if isinstance(analysis, str) else list(analysis))]
    return df


def _trials_for(*, bundled: bool) -> pd.DataFrame:
    """The bundled trials table (by study) for the bundled outcomes; an empty one for anybody else's data, whose
    studies are never matched against the bundled trials by name."""
    trials = load_trials().set_index("study")
    return trials if bundled else trials.iloc[:0]


_PAIR_KEY = ["study", "endpoint", "analysis", "population", "timepoint"]


def _pair_with_control(df: pd.DataFrame, trials: pd.DataFrame, comparator: str) -> pd.DataFrame:
    """Each other row beside its own trial's comparator row (same endpoint, analysis, population, time point)."""
    pl_mask = is_comparator(df, comparator).to_numpy()
    kt = df[_PAIR_KEY].astype("string").fillna("")
    joined = kt[_PAIR_KEY[0]]
    for col in _PAIR_KEY[1:]:
        joined = joined + "|" + kt[col]
    placebo = df[pl_mask].assign(_k=joined[pl_mask].to_numpy())
    active = df[~pl_mask].assign(_k=joined[~pl_mask].to_numpy())
    merged = active.merge(
        placebo[["_k", "arm", "n", "responders", "status", "source", "locator"]],
        on="_k",
        how="left",
        suffixes=("", "_c"),
    )
    res = pd.DataFrame(
        {
            "study": merged["study"],
            "arm": merged["arm"],
            "treatment": merged["treatment"],
            "dose_mg_day": merged["dose_mg_day"],
            "endpoint": merged["endpoint"],
            "analysis": merged["analysis"],
            "population": merged["population"],
            "timepoint": merged["timepoint"],
            "events_t": merged["responders"],
            "n_t": merged["n"],
            "events_c": merged["responders_c"],
            "n_c": merged["n_c"],
            "year": pd.array([trials["year"].get(s, pd.NA) for s in merged["study"]], dtype="Int64"),
            "poolable": [trials["poolable"].get(s, "yes") == "yes" for s in merged["study"]],
            "comparator": pd.array([comparator] * len(merged), dtype="string"),
            "placebo_id": (merged["study"].astype(str) + ":" + merged["arm_c"].astype("string").fillna("?")),
            "status_t": merged["status"],
            "status_c": merged["status_c"],
            "source_t": merged["source"],
            "source_c": merged["source_c"],
            "locator_t": merged["locator"],
            "locator_c": merged["locator_c"],
        }
    )
    for col in ("events_t", "n_t", "events_c", "n_c", "dose_mg_day"):
        res[col] = res[col].astype("Int64")
    if "direction" in df.columns:  # the endpoint's direction, stated on any of its rows
        stated = df.dropna(subset=["direction"]).drop_duplicates("endpoint").set_index("endpoint")["direction"]
        res["direction"] = pd.array(merged["endpoint"].map(stated).tolist(), dtype="string")
    return res


def _excluded_records(unknown: pd.DataFrame) -> list[dict]:
    """The comparisons left out for unknown counts, as plain records with the reason."""
    excluded = unknown[["study", "arm", "endpoint", "analysis", "population", "timepoint"]].copy()
    excluded["reason"] = [
        (
            f"no {r.comparator} row"
            if pd.isna(r.n_c) and pd.isna(r.events_c) and r.placebo_id.endswith(":?")
            else "counts not reported: "
            + ", ".join(c for c in ("events_t", "n_t", "events_c", "n_c") if pd.isna(getattr(r, c)))
        )
        for r in unknown.itertuples()
    ]
    excluded = excluded.reset_index(drop=True)
    return excluded.astype(object).where(excluded.notna().to_numpy(), None).to_dict(orient="records")


def _in_reading_order(res: pd.DataFrame) -> pd.DataFrame:
    """Rows by year, study, endpoint, dose and arm (stable)."""
    order = pd.DataFrame(
        {
            "y": res["year"].fillna(9999),
            "s": res["study"],
            "e": res["endpoint"],
            "d": res["dose_mg_day"].fillna(10**6),
            "a": res["arm"],
        }
    )
    return res.loc[order.sort_values(["y", "s", "e", "d", "a"], kind="mergesort").index].reset_index(drop=True)

"""The bundled milnacipran trial data, user data, and 2x2 contrasts against placebo.

Five tidy tables ship inside the package (their data dictionary is ``data/README.md``):

========== =================================================================================
trials     one row per trial: citation, identifiers, design, duration, imputation
arms       one row per randomized arm: treatment, dose, randomized n (and the alternative n)
outcomes   one row per arm x endpoint x analysis population: n, responders, printed percent
reported   comparisons exactly as published (percentages and p-values as printed)
sources    source id -> citation, URL and what it contains
========== =================================================================================

Every figure carries a ``source`` (an id of ``sources``) and a ``locator``; a derived figure says how it was
derived (``status == "derived"`` and ``derivation``); unknown stays missing (``<NA>``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._csv import Column, TableSpec, frame_as_text, read_csv_strict, type_columns, where
from .errors import DataError, Problem

__all__ = [
    "load_trials",
    "load_arms",
    "load_outcomes",
    "load_reported",
    "load_sources",
    "load_endpoints",
    "endpoint_title",
    "endpoint_label",
    "read_outcomes",
    "read_table",
    "contrasts",
    "mark_shared_placebo",
    "validate_bundled",
    "data_dir",
    "SPECS",
    "ANALYSES",
    "STATUSES",
    "STATUS_MEANINGS",
    "MAX_ROWS",
    "MAX_STUDIES",
]

#: supported input size: at most this many data rows per file (or DataFrame) ...
MAX_ROWS = 20_000
#: ... and at most this many studies in user outcomes; larger inputs are refused with a DataError naming
#: the limit (benchmarks/bench_scale.py measures a report at this size)
MAX_STUDIES = 10_000

ANALYSES = ("BOCF", "LOCF", "OC", "registry", "mixed model", "not stated", "not applicable")
STATUSES = ("reported", "derived", "unverified", "not reported")
#: what each status word means (the report's legend; data/README.md "Provenance rules" says the same)
STATUS_MEANINGS = {
    "reported": "printed by the source as it is used here",
    "derived": "computed from printed figures (e.g. a count from a printed percentage and arm size); the "
    "arithmetic is shown in the derivation column",
    "unverified": "holds only under an assumption the source does not confirm (usually the denominator); the "
    "derivation column names the assumption and the alternatives",
    "not reported": "the source gives no figure for this arm: the row exists so the gap is explicit; no counts",
}

_PROVENANCE = (
    Column("source", "str", required=True, nullable=False, description="source id (see sources.csv)"),
    Column("locator", "str", required=True, nullable=False, description="table, row, paragraph in the source"),
)

SPECS: dict[str, TableSpec] = {
    "trials": TableSpec(
        "trials",
        (
            Column("study", nullable=False),
            Column("first_author"),
            Column("year", "int"),
            Column("citation"),
            Column("doi"),
            Column("pmid"),
            Column("registry_id"),
            Column("phase"),
            Column("design"),
            Column("region"),
            Column("n_randomized_total", "count"),
            Column("treatment_duration"),
            Column("primary_timepoint"),
            Column("primary_endpoint"),
            Column("imputation"),
            Column("in_cochrane_2015"),
            Column("poolable", choices=("yes", "no"), nullable=False),
            Column("design_notes"),
            *_PROVENANCE,
        ),
        key=("study",),
        description="one row per trial",
    ),
    "arms": TableSpec(
        "arms",
        (
            Column("study", nullable=False),
            Column("arm", nullable=False),
            Column("treatment", choices=("placebo", "milnacipran"), nullable=False),
            Column("dose_mg_day", "count"),
            Column("dose_note"),
            Column("n_randomized", "count"),
            *_PROVENANCE,
            Column("n_randomized_alt", "count"),
            Column("alt_source"),
            Column("alt_locator"),
            Column("note"),
        ),
        key=("study", "arm"),
        description="one row per randomized arm",
    ),
    "outcomes": TableSpec(
        "outcomes",
        (
            Column("study", nullable=False),
            Column("arm", nullable=False),
            Column("dose_mg_day", "count"),
            Column("endpoint", nullable=False),
            Column("analysis", choices=ANALYSES, nullable=False),
            Column("population", nullable=False),
            Column("timepoint"),
            Column("n", "count"),
            Column("responders", "count"),
            Column("percent", "percent"),
            Column("status", choices=STATUSES, nullable=False),
            Column("derivation"),
            *_PROVENANCE,
            Column("note"),
        ),
        key=("study", "arm", "endpoint", "analysis", "population", "timepoint"),
        description="one row per arm x endpoint x analysis population",
    ),
    "reported": TableSpec(
        "reported",
        (
            Column("study"),
            Column("label", nullable=False),
            Column("endpoint", nullable=False),
            Column("dose_mg_day", "count"),
            Column("percent_t", "percent"),
            Column("percent_c", "percent"),
            Column("n_t", "count"),
            Column("n_c", "count"),
            Column("p_reported"),
            Column("analysis"),
            Column("timepoint"),
            Column("status", choices=STATUSES, nullable=False),
            *_PROVENANCE,
            Column("note"),
        ),
        key=("label", "endpoint", "dose_mg_day", "source", "analysis"),
        description="comparisons exactly as published",
    ),
    "sources": TableSpec(
        "sources",
        (
            Column("source_id", nullable=False),
            Column("short", nullable=False),
            Column("citation", nullable=False),
            Column("url"),
            Column("contains", nullable=False),
        ),
        key=("source_id",),
        description="source id -> citation and URL",
    ),
    "endpoints": TableSpec(
        "endpoints",
        (
            Column("code", nullable=False),
            Column("label", nullable=False),
            Column("definition", nullable=False),
            Column("direction", choices=("beneficial", "harmful"), nullable=False),
            *_PROVENANCE,
        ),
        key=("code",),
        description="glossary: endpoint code -> label, definition, direction",
    ),
}

# Columns a user outcomes file must have (dose_mg_day or arm; see read_outcomes).
USER_REQUIRED = ("study", "endpoint", "n", "responders")


def data_dir() -> Path:
    """The directory holding the bundled CSV files (inside the installed package)."""
    return Path(str(resources.files("fmtrials") / "datasets"))


# ----------------------------------------------------------------------------------------------------------
# reading and validating one table


def _label(source) -> str:
    return str(source) if isinstance(source, (str, os.PathLike)) else "<DataFrame>"


def _read_text(source, label: str) -> tuple[pd.DataFrame, list[int] | None]:
    """The cells of a CSV path or DataFrame as stripped strings, refusing more than :data:`MAX_ROWS` rows."""
    if not isinstance(source, pd.DataFrame):
        return read_csv_strict(source, label, max_rows=MAX_ROWS)
    if len(source) > MAX_ROWS:
        raise DataError(
            Problem(
                f"{len(source):,} rows: fmtrials supports up to {MAX_ROWS:,} rows per table; split the data", file=label
            )
        )
    return frame_as_text(source)


def read_table(
    source: str | os.PathLike | pd.DataFrame,
    table: str,
    *,
    sources: pd.DataFrame | None = None,
    label: str | None = None,
) -> pd.DataFrame:
    """Read and validate one table (``trials``, ``arms``, ``outcomes``, ``reported`` or ``sources``).

    Parameters
    ----------
    source : path or DataFrame
    table : str
        Which specification to validate against (see :data:`SPECS`).
    sources : DataFrame, optional
        The sources table; when given, every ``source`` id must appear in it.
    label : str, optional
        Name used in error messages instead of the path.

    Raises
    ------
    DataError
        Listing every problem with file, row and column.
    """
    spec = SPECS.get(table)
    if spec is None:
        raise DataError(Problem(f"unknown table {table!r}; choose one of {', '.join(SPECS)}"))
    label = label or _label(source)
    text, lines = _read_text(source, label)
    problems: list[Problem] = []
    df = type_columns(text, spec, label, lines, problems)
    if df is None:
        raise DataError(problems)
    _check_table(df, spec, label, lines, problems, sources)
    if problems:
        raise DataError(problems)
    return df


def _check_table(
    df: pd.DataFrame, spec: TableSpec, file: str, lines, problems: list[Problem], sources: pd.DataFrame | None
) -> None:
    if df.empty:
        problems.append(Problem("the file has a header but no data rows", file=file))
        return
    _check_duplicates(df, spec.key, file, lines, problems)
    if sources is not None and "source" in df.columns:
        known = set(sources["source_id"].dropna())
        for col in ("source", "alt_source"):
            if col not in df.columns:
                continue
            for i, v in enumerate(df[col]):
                if v is not pd.NA and v not in known:
                    problems.append(
                        Problem(f"unknown source id {v!r} (not in sources.csv)", column=col, **where(file, i, lines))
                    )
    if spec.name == "outcomes":
        _check_outcome_counts(df, file, lines, problems)
        _check_placebo_present(df, file, problems)
        _check_one_placebo(df, file, lines, problems)
    if spec.name == "reported":
        for side in ("t", "c"):
            _check_arm_size(df[f"n_{side}"], f"n_{side}", file, lines, problems)


def _check_duplicates(df: pd.DataFrame, key: Sequence[str], file: str, lines, problems: list[Problem]) -> None:
    if not key or not set(key) <= set(df.columns):
        return
    k = df[list(key)].astype("string").fillna("")
    dup = k.duplicated(keep=False)
    if not dup.any():
        return
    first: dict[tuple, int] = {}
    for i in np.flatnonzero(dup.to_numpy()).tolist():
        t = tuple(k.iloc[i])
        if t in first:
            desc = ", ".join(f"{c}={v!r}" for c, v in zip(key, t) if v != "")
            problems.append(
                Problem(
                    f"duplicate key ({desc}); first seen on row {first[t] + 1}",
                    column=",".join(key),
                    **where(file, i, lines),
                )
            )
        else:
            first[t] = i


def _check_arm_size(n: pd.Series, col: str, file: str, lines, problems: list[Problem]) -> None:
    for i in np.flatnonzero((n == 0).fillna(False).to_numpy()).tolist():
        problems.append(Problem("arm size n is 0", column=col, **where(file, i, lines)))


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def _check_outcome_counts(df: pd.DataFrame, file: str, lines, problems: list[Problem]) -> None:
    _check_arm_size(df["n"], "n", file, lines, problems)
    over = (df["responders"] > df["n"]).fillna(False).to_numpy()
    for i in np.flatnonzero(over).tolist():
        problems.append(
            Problem(
                f"responders ({df['responders'].iloc[i]}) exceed n ({df['n'].iloc[i]})",
                column="responders",
                **where(file, i, lines),
            )
        )
    for i, (r, n, pct) in enumerate(zip(df["responders"], df["n"], df["percent"])):
        if r is pd.NA or n is pd.NA or pct is pd.NA or n == 0 or r > n or not 0 <= float(pct) <= 100:
            continue
        d = _decimals(pct)
        exact = 100.0 * r / n
        tol = 0.5 * 10.0 ** (-d) + 1e-9
        if abs(exact - float(pct)) > tol:
            problems.append(
                Problem(
                    f"percent {pct!r} is inconsistent with responders/n = {r}/{n} = {exact:.{d + 2}f}% "
                    f"(beyond rounding to {d} decimal{'s' if d != 1 else ''})",
                    column="percent",
                    **where(file, i, lines),
                )
            )


def is_placebo(df: pd.DataFrame) -> pd.Series:
    """True for placebo rows: ``dose_mg_day == 0`` or ``arm`` equal to "placebo" (any case)."""
    dose0 = (df["dose_mg_day"] == 0).fillna(False) if "dose_mg_day" in df.columns else False
    arm = df["arm"].astype("string").str.lower().str.startswith("placebo").fillna(False)
    return (dose0 | arm).astype(bool)


_GROUP = ["study", "endpoint", "analysis", "population", "timepoint"]


def _check_placebo_present(df: pd.DataFrame, file: str, problems: list[Problem]) -> None:
    pl = is_placebo(df)
    g = df[_GROUP].astype("string").fillna("")
    has_pl = set(map(tuple, g[pl.to_numpy()].to_numpy()))
    reported_missing: set[tuple] = set()
    for i, key in enumerate(map(tuple, g.to_numpy())):
        if not pl.iloc[i] and key not in has_pl and key not in reported_missing:
            reported_missing.add(key)
            what = f"study {key[0]!r}, endpoint {key[1]!r}"
            extra = ", ".join(f"{c} {v!r}" for c, v in zip(_GROUP[2:], key[2:]) if v not in ("", "not stated"))
            problems.append(
                Problem(
                    f"{what}{', ' + extra if extra else ''} has no placebo arm row (a placebo row with unknown "
                    "counts left empty is fine)",
                    file=file,
                    row=i + 1,
                    column="arm",
                )
            )


def _placebo_groups(df: pd.DataFrame) -> tuple[np.ndarray, list[tuple]]:
    """Positions of the placebo rows of ``df`` and their (study, endpoint, analysis, population, timepoint)."""
    pos = np.flatnonzero(is_placebo(df).to_numpy())
    keys = list(map(tuple, df[_GROUP].iloc[pos].astype("string").fillna("").to_numpy()))
    return pos, keys


def placebo_problems(df: pd.DataFrame, file: str, lines=None) -> list[Problem]:
    """One problem per study endpoint analysis with more than one placebo row (its active arms would be
    compared with, and pooled against, more than one control)."""
    pos, keys = _placebo_groups(df)
    seen: dict[tuple, list[int]] = {}
    for p, k in zip(pos, keys):
        seen.setdefault(k, []).append(int(p))
    problems = []
    for key, rows in seen.items():
        if len(rows) < 2:
            continue
        extra = ", ".join(f"{c} {v!r}" for c, v in zip(_GROUP[2:], key[2:]) if v not in ("", "not stated"))
        problems.append(
            Problem(
                f"study {key[0]!r}, endpoint {key[1]!r}{', ' + extra if extra else ''} has {len(rows)} placebo rows "
                f"(rows {', '.join(str(r + 1) for r in rows)}); one placebo arm per study and endpoint analysis: "
                "merge them, or tell the analyses apart (analysis, population or timepoint)",
                column="arm",
                **where(file, rows[1], lines),
            )
        )
    return problems


def _check_one_placebo(df: pd.DataFrame, file: str, lines, problems: list[Problem]) -> None:
    problems.extend(placebo_problems(df, file, lines))


# ----------------------------------------------------------------------------------------------------------
# bundled data


@functools.cache
def _bundled(table: str) -> pd.DataFrame:
    path = data_dir() / f"{table}.csv"
    sources = None if table == "sources" else _bundled("sources")
    return read_table(path, table, sources=sources, label=f"data/{table}.csv")


def _copy(table: str) -> pd.DataFrame:
    out = _bundled(table).copy()
    out.attrs = {"origin": "bundled"} if table == "outcomes" else {}
    return out


def load_trials() -> pd.DataFrame:
    """The trials: one row per trial, with citation, identifiers, design and provenance.

    Columns: ``study`` (id such as ``"Mease2009"``), ``first_author``, ``year`` (Int64), ``citation``, ``doi``,
    ``pmid``, ``registry_id``, ``phase``, ``design``, ``region``, ``n_randomized_total`` (Int64),
    ``treatment_duration``, ``primary_timepoint``, ``primary_endpoint``, ``imputation``, ``in_cochrane_2015``,
    ``poolable`` ("yes"/"no": "no" for the randomized-withdrawal Clauw 2013 and Natelson 2015),
    ``design_notes``, ``source``, ``locator``. Text columns are pandas ``string``; unknown is ``<NA>``.

    Examples
    --------
    >>> import fmtrials
    >>> t = fmtrials.load_trials()
    >>> t.loc[t.poolable == "yes", "study"].tolist()
    ['Vitton2004', 'Clauw2008', 'Mease2009', 'Arnold2010', 'Branco2010', 'Bateman2013']
    """
    return _copy("trials")


def load_arms() -> pd.DataFrame:
    """The randomized arms: one row per arm.

    Columns: ``study``, ``arm`` (``placebo``, ``milnacipran_100``, ...), ``treatment`` (placebo/milnacipran),
    ``dose_mg_day`` (Int64; 0 for placebo; ``<NA>`` when doses were individual), ``dose_note``,
    ``n_randomized`` (Int64), ``source``, ``locator``, ``n_randomized_alt`` (Int64; a conflicting published
    size), ``alt_source``, ``alt_locator``, ``note``.

    Examples
    --------
    >>> import fmtrials
    >>> a = fmtrials.load_arms()
    >>> a.loc[a.study == "Mease2009", ["arm", "n_randomized"]].to_string(index=False)
    '            arm  n_randomized\\n        placebo           223\\nmilnacipran_100           224\\nmilnacipran_200           441'
    """
    return _copy("arms")


def load_outcomes() -> pd.DataFrame:
    """Responders per arm per endpoint and analysis population.

    Columns: ``study``, ``arm``, ``dose_mg_day`` (Int64), ``endpoint`` (``composite_2``, ``composite_3``,
    ``pain_30``, ``pain_50``, ``pgic``, ``ae_withdrawal``, ``withdrawal_any``, ``ae_any``, ``sae`` and named
    adverse events such as ``nausea``), ``analysis`` (one of :data:`ANALYSES`), ``population`` (randomized,
    safety, efficacy, not stated), ``timepoint``, ``n`` (Int64, analysed), ``responders`` (Int64, nullable),
    ``percent`` (string, exactly as printed), ``status`` (one of :data:`STATUSES`), ``derivation`` (how a
    derived or unverified figure was obtained), ``source``, ``locator``, ``note``.

    Examples
    --------
    >>> import fmtrials
    >>> o = fmtrials.load_outcomes()
    >>> rows = o[(o.study == "Mease2009") & (o.endpoint == "nausea")]
    >>> print(rows[["arm", "n", "responders", "percent", "source"]].to_string(index=False))
                arm   n  responders percent source
            placebo 223          47    21.1 M09-T5
    milnacipran_100 224          73    32.6 M09-T5
    milnacipran_200 441         177    40.1 M09-T5
    """
    return _copy("outcomes")


def load_reported() -> pd.DataFrame:
    """Comparisons exactly as published, including the seed document's composite-responder table.

    Columns: ``study`` (trial id, ``A+B`` for pooled analyses, ``<NA>`` when the source names no trial),
    ``label`` (the row label used by the source, e.g. "Phase III"), ``endpoint``, ``dose_mg_day``,
    ``percent_t`` and ``percent_c`` (strings as printed), ``n_t``, ``n_c`` (Int64 when stated),
    ``p_reported`` (string as printed, e.g. ``"<0.001"``), ``analysis``, ``timepoint``, ``status``, ``source``,
    ``locator``, ``note``.

    Examples
    --------
    >>> import fmtrials
    >>> r = fmtrials.load_reported()
    >>> r.loc[r.source == "SEED003", ["label", "dose_mg_day", "percent_t", "percent_c", "p_reported"]]
    ... # doctest: +NORMALIZE_WHITESPACE
           label  dose_mg_day percent_t percent_c p_reported
    0   Phase II          100        37         5     <0.001
    1  Phase III          100      25.4      15.5       0.01
    2  Phase III          200      26.9      15.5       0.02
    """
    return _copy("reported")


def load_sources() -> pd.DataFrame:
    """Source id -> short name, full citation, URL and what the source contains.

    Examples
    --------
    >>> import fmtrials
    >>> fmtrials.load_sources().set_index("source_id").loc["M09-T5", "short"]
    'Mease 2009 Table 5'
    """
    return _copy("sources")


def load_endpoints() -> pd.DataFrame:
    """The endpoint glossary: ``code``, ``label``, ``definition``, ``direction`` (``beneficial`` or
    ``harmful``), ``source`` and ``locator`` of the definition.

    Examples
    --------
    >>> import fmtrials
    >>> g = fmtrials.load_endpoints().set_index("code")
    >>> print(g.loc["composite_3", "definition"])
    ≥30% pain reduction and PGIC much or very much improved and SF-36 PCS ≥ 6 points
    >>> g.loc["nausea", "direction"]
    'harmful'
    """
    return _copy("endpoints")


def endpoint_label(code: str) -> str:
    """The glossary's label of an endpoint, first letter upper case (``"sae"`` -> ``"Serious adverse event"``);
    an endpoint the glossary does not know keeps the user's own name. Figure titles use it.

    Examples
    --------
    >>> endpoint_label("ae_any")
    'Any adverse event'
    >>> endpoint_label("fiq_responder")
    'fiq_responder'
    """
    g = _bundled("endpoints")
    hit = g.loc[g["code"] == code, "label"]
    label = str(hit.iloc[0]) if len(hit) and pd.notna(hit.iloc[0]) else code
    return label[:1].upper() + label[1:] if len(hit) else label


def endpoint_title(code: str) -> str:
    """``"code — definition"`` from the glossary, or ``code`` itself when the glossary does not know it.

    Examples
    --------
    >>> endpoint_title("composite_2")
    'composite_2 — ≥30% reduction in pain (24-h recall VAS) and PGIC much or very much improved'
    >>> endpoint_title("itch")
    'itch'
    """
    g = _bundled("endpoints")
    hit = g[g["code"] == code]
    return f"{code} — {hit['definition'].iloc[0]}" if len(hit) else code


def validate_bundled() -> dict[str, int]:
    """Validate the bundled tables and their cross-references; return the row count per table.

    Checks, beyond each table's own rules: every study in arms/outcomes/reported is a trial (or a ``+``-joined
    set of trials in ``reported``), every outcome arm exists in ``arms``, and no analysed ``n`` exceeds the
    arm's randomized size.

    Examples
    --------
    >>> import fmtrials
    >>> fmtrials.validate_bundled()["outcomes"] > 100
    True
    """
    tables = {name: _bundled(name) for name in SPECS}
    problems: list[Problem] = []
    studies = set(tables["trials"]["study"])
    for name in ("arms", "outcomes"):
        for i, s in enumerate(tables[name]["study"]):
            if s not in studies:
                problems.append(
                    Problem(
                        f"unknown study {s!r} (not in trials.csv)", file=f"data/{name}.csv", row=i + 1, column="study"
                    )
                )
    for i, s in enumerate(tables["reported"]["study"]):
        if s is not pd.NA and not set(str(s).split("+")) <= studies:
            problems.append(
                Problem(f"unknown study {s!r} (not in trials.csv)", file="data/reported.csv", row=i + 1, column="study")
            )
    glossary = set(tables["endpoints"]["code"])
    for name in ("outcomes", "reported"):
        for i, e in enumerate(tables[name]["endpoint"]):
            if e not in glossary:
                problems.append(
                    Problem(
                        f"endpoint {e!r} is not in the glossary (endpoints.csv)",
                        file=f"data/{name}.csv",
                        row=i + 1,
                        column="endpoint",
                    )
                )
    arms = tables["arms"].set_index(["study", "arm"])
    for i, row in enumerate(tables["outcomes"].itertuples(index=False)):
        if (row.study, row.arm) not in arms.index:
            problems.append(
                Problem(
                    f"arm {row.arm!r} of {row.study!r} is not in arms.csv",
                    file="data/outcomes.csv",
                    row=i + 1,
                    column="arm",
                )
            )
            continue
        n_rand = arms.loc[(row.study, row.arm), "n_randomized"]
        if row.n is not pd.NA and n_rand is not pd.NA and row.n > n_rand:
            problems.append(
                Problem(
                    f"n = {row.n} exceeds the arm's randomized n = {n_rand}",
                    file="data/outcomes.csv",
                    row=i + 1,
                    column="n",
                )
            )
    if problems:
        raise DataError(problems)
    return {name: len(df) for name, df in tables.items()}


# ----------------------------------------------------------------------------------------------------------
# user data


def read_outcomes(path_or_frame: str | os.PathLike | pd.DataFrame) -> pd.DataFrame:
    """Read and validate a user's outcomes table (CSV path or DataFrame).

    Required columns: ``study``, ``endpoint``, ``n``, ``responders`` and at least one of ``dose_mg_day``
    (0 = placebo) or ``arm`` (``placebo`` marks the control). Optional: ``direction`` (``beneficial`` or
    ``harmful``, one per endpoint; read by :func:`fmtrials.compare`, the analysis and the report, needed for
    an endpoint the glossary :func:`fmtrials.load_endpoints` does not know); every other column of
    :func:`load_outcomes`; missing ones are filled (``analysis`` and ``population`` "not stated",
    ``status`` "reported", ``source`` "user", ``locator`` the file name and row).

    Returns
    -------
    DataFrame
        With the columns of :func:`load_outcomes` plus any extra columns of the input.

    Raises
    ------
    DataError
        Every problem at once, with file, row and column: missing columns, non-integer or negative counts,
        counts above 2,147,483,647, responders > n, n = 0, a percentage outside [0, 100] or inconsistent
        with responders/n beyond rounding, duplicate (study, arm, endpoint, analysis, population, timepoint)
        rows, a study without a placebo row for an endpoint or with more than one, a ``direction`` other than
        ``beneficial``/``harmful`` or two directions for one endpoint, an empty file, a wrong
        delimiter or encoding, more than :data:`MAX_ROWS` rows or :data:`MAX_STUDIES` studies.

    Notes
    -----
    The result is marked as user data (``attrs["origin"] == "user"``): :func:`contrasts` never matches its
    study ids against the bundled trials (a user study called ``Clauw2013`` is the user's, not the bundled
    randomized-withdrawal trial).

    Examples
    --------
    >>> import pandas as pd, fmtrials
    >>> user = pd.DataFrame({"study": ["A", "A"], "dose_mg_day": [0, 100], "endpoint": ["pain_30"] * 2,
    ...                      "n": [100, 98], "responders": [30, 45]})
    >>> fmtrials.read_outcomes(user)[["study", "arm", "dose_mg_day", "n", "responders"]]
    ... # doctest: +NORMALIZE_WHITESPACE
      study          arm  dose_mg_day    n  responders
    0     A      placebo            0  100          30
    1     A  100 mg/day          100   98          45
    """
    label = _label(path_or_frame)
    text, lines = _read_text(path_or_frame, label)
    problems: list[Problem] = []
    missing = [c for c in USER_REQUIRED if c not in text.columns]
    if "dose_mg_day" not in text.columns and "arm" not in text.columns:
        missing.append("dose_mg_day (or arm)")
    if missing:
        raise DataError(
            Problem(
                "missing required column(s): "
                + ", ".join(repr(c) for c in missing)
                + f" (found: {', '.join(map(repr, text.columns))})",
                file=label,
            )
        )
    text = text.copy()
    n = len(text)
    if "arm" not in text.columns:
        text["arm"] = [
            "placebo" if d.strip() in ("0", "0.0") else (f"{d} mg/day" if d else "") for d in text["dose_mg_day"]
        ]
    if "dose_mg_day" not in text.columns:
        text["dose_mg_day"] = ["0" if a.lower().startswith("placebo") else "" for a in text["arm"]]
    defaults = {
        "analysis": "not stated",
        "population": "not stated",
        "timepoint": "",
        "percent": "",
        "status": "reported",
        "derivation": "",
        "source": "user",
        "note": "",
    }
    for col, val in defaults.items():
        if col not in text.columns:
            text[col] = [val] * n
        else:
            text[col] = [
                v if v != "" or col in ("timepoint", "percent", "derivation", "note") else val for v in text[col]
            ]
    if "locator" not in text.columns:
        base = Path(label).name if isinstance(path_or_frame, (str, os.PathLike)) else label
        text["locator"] = [f"{base} row {i + 1}" for i in range(n)]  # base name: no path leaks into output
    spec = SPECS["outcomes"]
    df = type_columns(text, spec, label, lines, problems)
    if df is None:
        raise DataError(problems)
    for i, a in enumerate(df["arm"]):
        if a is pd.NA:
            problems.append(
                Problem("arm is empty and dose_mg_day does not name it", column="dose_mg_day", **where(label, i, lines))
            )
    _check_table(df, spec, label, lines, problems, sources=None)
    if "direction" in df.columns:
        df["direction"] = _directions(df, label, lines, problems)
    n_studies = df["study"].nunique()
    if n_studies > MAX_STUDIES:
        problems.append(
            Problem(
                f"{n_studies:,} studies: fmtrials supports up to {MAX_STUDIES:,} studies per file; split the data",
                file=label,
                column="study",
            )
        )
    if problems:
        raise DataError(problems)
    df.attrs = {"origin": "user"}
    return df


def _directions(df: pd.DataFrame, label: str, lines, problems: list[Problem]) -> pd.Series:
    """The optional ``direction`` column, lower-cased: ``beneficial`` or ``harmful`` (or empty), one per endpoint."""
    values = df["direction"].astype("string").str.strip().str.lower()
    for i, v in enumerate(values.tolist()):
        if v is not pd.NA and v not in ("beneficial", "harmful", ""):
            problems.append(
                Problem(
                    f"direction must be 'beneficial' or 'harmful', got {v!r}",
                    column="direction",
                    **where(label, i, lines),
                )
            )
    values = values.replace("", pd.NA)
    per = values.groupby(df["endpoint"].to_numpy()).agg(lambda s: sorted(set(s.dropna())))
    for endpoint, found in per.items():
        if len(found) > 1:
            problems.append(
                Problem(
                    f"endpoint {endpoint!r} is given more than one direction ({', '.join(map(repr, found))})",
                    file=label,
                    column="direction",
                )
            )
    return values


# ----------------------------------------------------------------------------------------------------------
# contrasts

CONTRAST_COLUMNS = [
    "study",
    "arm",
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
    """``table`` with ``shared_placebo`` set: True where its placebo arm (``placebo_id``) serves more than one
    row of the same endpoint in this table (pooling those rows together would count it twice)."""
    keys = ["placebo_id", "endpoint"] if "endpoint" in table.columns else ["placebo_id"]
    return table.assign(shared_placebo=table.duplicated(keys, keep=False).to_numpy())


def contrasts(
    outcomes: pd.DataFrame | None = None,
    endpoint: str | Iterable[str] | None = None,
    analysis: str | Iterable[str] | None = None,
    *,
    poolable_only: bool = True,
) -> pd.DataFrame:
    """One row per active arm against its own trial's placebo arm (same endpoint and analysis population).

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

    Raises
    ------
    DataError
        Missing columns, unknown endpoints, or more than one placebo row for a study endpoint analysis
        (naming the 1-based rows of ``outcomes`` and the column ``arm``).

    Returns
    -------
    DataFrame
        Columns ``study, arm, dose_mg_day, endpoint, analysis, population, timepoint, events_t, n_t,
        events_c, n_c`` (counts Int64), ``year`` (Int64, from the trials table), ``poolable`` (bool),
        ``placebo_id`` ("study:arm" of the control), ``shared_placebo`` (True when that placebo arm serves
        more than one row of *this* table: pooling those rows together double counts it), and the
        provenance ``status_t, status_c, source_t, source_c, locator_t, locator_c``. Comparisons whose counts
        are unknown in either arm are left out and listed in ``.attrs["excluded"]`` (a list of dicts with
        ``study, arm, endpoint, analysis, population, timepoint, reason``; plain records, so that pandas
        operations that compare or copy ``attrs`` stay cheap and never fail).

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
    out = load_outcomes() if outcomes is None else outcomes
    df = _outcome_frame(out)
    df = _select(df, endpoint, analysis)
    trials = _trials_for(bundled=outcomes is None or out.attrs.get("origin") == "bundled")
    if poolable_only:
        df = df[~df["study"].isin(set(trials.index[trials["poolable"] == "no"]))]
    res = _pair_with_placebo(df, trials)
    unknown = res[["events_t", "n_t", "events_c", "n_c"]].isna().any(axis=1)
    excluded = _excluded_records(res.loc[unknown])
    columns = CONTRAST_COLUMNS + (["direction"] if "direction" in res.columns else [])
    res = _in_reading_order(mark_shared_placebo(res.loc[~unknown])[columns])
    res.attrs["excluded"] = excluded
    return res


def _outcome_frame(out: Any) -> pd.DataFrame:
    """A copy of the outcomes with the optional columns filled in; one placebo row per study analysis."""
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
    doubled = placebo_problems(df, "<DataFrame>")  # rows of ``outcomes`` as given (before any filtering)
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


def _pair_with_placebo(df: pd.DataFrame, trials: pd.DataFrame) -> pd.DataFrame:
    """Each active row beside its own trial's placebo row (same endpoint, analysis, population, time point)."""
    pl_mask = is_placebo(df).to_numpy()
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
            "no placebo row"
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

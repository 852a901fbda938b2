"""Arm roles: which rows are placebo, which the comparator, and whether a stated treatment agrees with the dose."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._csv import where
from ..errors import Problem


def is_placebo(df: pd.DataFrame) -> pd.Series:
    """True for placebo rows: ``treatment`` "placebo", ``dose_mg_day == 0`` or ``arm`` starting with "placebo"
    (any case).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["Placebo", "a", "b", "c"], "treatment": [None, "placebo", "duloxetine", None],
    ...                    "dose_mg_day": pd.array([None, None, 60, 0], dtype="Int64")})
    >>> is_placebo(df).tolist()
    [True, True, False, True]
    """
    dose0 = (df["dose_mg_day"] == 0).fillna(False) if "dose_mg_day" in df.columns else False
    arm = df["arm"].astype("string").str.lower().str.startswith("placebo").fillna(False)
    named = _treatments(df) == "placebo" if "treatment" in df.columns else False
    return (dose0 | arm | named).astype(bool)


def _treatments(df: pd.DataFrame) -> pd.Series:
    """The ``treatment`` column stripped and lower-cased (``<NA>`` stays)."""
    return df["treatment"].astype("string").str.strip().str.lower().fillna("")


def is_comparator(df: pd.DataFrame, comparator: str) -> pd.Series:
    """True for the rows of the comparator arm: :func:`is_placebo` for ``"placebo"``, else the rows whose
    ``treatment`` is ``comparator`` (any case).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["placebo", "d60", "m100"], "treatment": ["placebo", "Duloxetine", "milnacipran"],
    ...                    "dose_mg_day": [0, 60, 100]})
    >>> is_comparator(df, "duloxetine").tolist()
    [False, True, False]
    """
    if comparator.strip().lower() == "placebo":
        return is_placebo(df)
    if "treatment" not in df.columns:
        return pd.Series(False, index=df.index)
    return (_treatments(df) == comparator.strip().lower()).astype(bool)


#: the treatment of a non-placebo arm in a table without a ``treatment`` column (or with that cell empty): the
#: report's default label for user data, which names no drug the user did not name
DEFAULT_TREATMENT = "treatment"


def derive_treatment(df: pd.DataFrame, default: str = DEFAULT_TREATMENT) -> pd.Series:
    """Each row's treatment, lower case: the ``treatment`` column where filled, else ``"placebo"`` for a
    placebo row (:func:`is_placebo`: dose 0 or an arm named placebo) and ``default`` for any other.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["placebo", "100 mg/day", "d"], "dose_mg_day": [0, 100, 60],
    ...                    "treatment": [None, None, "Duloxetine"]})
    >>> derive_treatment(df).tolist()
    ['placebo', 'treatment', 'duloxetine']
    """
    stated = _treatments(df) if "treatment" in df.columns else pd.Series("", index=df.index, dtype="string")
    guess = pd.Series(["placebo" if p else default.strip().lower() for p in is_placebo(df)], index=df.index)
    return pd.Series(stated.where(stated != "", guess).tolist(), index=df.index, dtype="string")


def _check_treatment(df: pd.DataFrame, file: str, lines, problems: list[Problem]) -> None:
    """A stated ``treatment`` agrees with the dose: "placebo" exactly when ``dose_mg_day`` is 0."""
    if "treatment" not in df.columns or "dose_mg_day" not in df.columns:
        return
    for i, (t, d) in enumerate(zip(_treatments(df), df["dose_mg_day"])):
        if t == "" or d is pd.NA:
            continue
        if (t == "placebo") != (d == 0):
            problems.append(
                Problem(
                    f"treatment {t!r} disagrees with dose_mg_day {d} (dose 0 means placebo)",
                    column="treatment",
                    **where(file, i, lines),
                )
            )


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


def _placebo_groups(df: pd.DataFrame, comparator: str = "placebo") -> tuple[np.ndarray, list[tuple]]:
    """Positions of the comparator rows of ``df`` and their (study, endpoint, analysis, population, timepoint)."""
    pos = np.flatnonzero(is_comparator(df, comparator).to_numpy())
    keys = list(map(tuple, df[_GROUP].iloc[pos].astype("string").fillna("").to_numpy()))
    return pos, keys


def placebo_problems(df: pd.DataFrame, file: str, lines=None, *, comparator: str = "placebo") -> list[Problem]:
    """One problem per study endpoint analysis with more than one comparator row (placebo by default): its other
    arms would be compared with, and pooled against, more than one control."""
    pos, keys = _placebo_groups(df, comparator)
    word = comparator.strip().lower()
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
                f"study {key[0]!r}, endpoint {key[1]!r}{', ' + extra if extra else ''} has {len(rows)} {word} rows "
                f"(rows {', '.join(str(r + 1) for r in rows)}); one {word} arm per study and endpoint analysis: "
                "merge them, or tell the analyses apart (analysis, population or timepoint)",
                column="arm",
                **where(file, rows[1], lines),
            )
        )
    return problems


def _check_one_placebo(df: pd.DataFrame, file: str, lines, problems: list[Problem]) -> None:
    problems.extend(placebo_problems(df, file, lines))

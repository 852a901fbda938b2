"""Writing per-study effects (metafor ``escalc`` style) and a RevMan 5 dichotomous-data CSV."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .._csv import write_csv
from .._validation import ARGUMENTS, DATAFRAME, frame_counts, shown
from .._vocab import MEASURES, MODELS, Measure, Model, RevManMethod, choice
from ..errors import DataError, Problem
from ._csvexport import HEADER

__all__ = ["write_effects_csv", "write_revman_csv"]

_REVMAN_METHODS = {"MH": "MH", "IV": "IV", "PETO": "Peto"}
#: a line break or another control character (a tab is text): not in a RevMan name
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_BROKEN = "holds a line break or a control character: RevMan's names are one line of text"


def _target(path: str | os.PathLike[str]) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise DataError(Problem(f"must be a file path, got {type(path).__name__}", file=ARGUMENTS, column="path"))
    p = Path(path)
    if not p.parent.is_dir():
        raise DataError(Problem(f"folder {str(p.parent)!r} does not exist", file=ARGUMENTS, column="path"))
    return p


def zero_cell_rule(*, measure: Measure, add: float) -> str:
    """The zero-cell rule of :func:`fmtrials.effect_sizes`, in words (recorded in every exported row).

    Examples
    --------
    >>> zero_cell_rule(measure="OR", add=0.5)
    'add 0.5 to all four cells of a table with a zero cell (escalc to="only0"); double-zero tables excluded (drop00=TRUE)'
    """
    from ..effects.sizes import drops_double_zero  # the rule the effects follow, not a second copy of it

    drop = "double-zero tables excluded (drop00=TRUE)" if drops_double_zero(measure) else "double-zero tables kept"
    return f'add {add:g} to all four cells of a table with a zero cell (escalc to="only0"); {drop}'


def _year_text(value: object) -> str:
    """A study's year as RevMan's "Year of study" cell: a whole number without a decimal point, text as given,
    empty when missing.

    >>> _year_text(2004.0), _year_text("2001a"), _year_text(float("nan"))
    ('2004', '2001a', '')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, (int, float, np.integer, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def write_effects_csv(
    table: pd.DataFrame, path: str | os.PathLike[str], *, measure: Measure = "RR", add: float = 0.5
) -> pd.DataFrame:
    """Write per-study effect sizes as an escalc-style CSV (``yi``, ``vi``) for R metafor, Stata or RevMan.

    The values are those of :func:`fmtrials.effect_sizes` (metafor ``escalc`` with ``to="only0"``), written at
    full double precision; every row records the measure and the zero-cell rule applied, so a reader of the
    file alone can redo ``rma(yi, vi)``. Text cells that a spreadsheet would run as a formula (starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) are written with a leading ``'``, and a cell with a
    line break is quoted (the package's one CSV writer, as for the report's tables).

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``events_t, n_t, events_c, n_c`` (and any others, e.g. ``study``, carried through).
    path : str or os.PathLike
        The CSV file to write (UTF-8, ``\\n`` line ends); its folder must exist.
    measure : {"RR", "OR", "RD"}
        Log risk ratio, log odds ratio or risk difference (treatment vs control).
    add : float
        Added to all four cells of a table with a zero cell (metafor's default 1/2).

    Returns
    -------
    pandas.DataFrame
        What was written: the columns of ``table``, ``measure``, ``yi``, ``vi``, ``corrected``, ``excluded``
        and ``zero_cell_rule``.

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> from fmtrials.revman import write_effects_csv
    >>> t = pd.DataFrame({"study": ["A", "B"], "events_t": [4, 0], "n_t": [123, 10], "events_c": [11, 2],
    ...                   "n_c": [139, 12]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = write_effects_csv(t, os.path.join(d, "yi.csv"), measure="OR")
    ...     print(open(os.path.join(d, "yi.csv")).readline().strip())
    study,events_t,n_t,events_c,n_c,measure,yi,vi,corrected,excluded,zero_cell_rule
    >>> out[["study", "yi", "vi", "corrected"]].round(4)
      study      yi      vi  corrected
    0     A -0.9387  0.3571      False
    1     B -1.6094  2.5905       True
    """
    from ..effects import effect_sizes

    measure = choice(measure, MEASURES, "measure")
    p = _target(path)
    eff = effect_sizes(table, measure=measure, add=add)
    eff.insert(len(table.columns), "measure", measure)
    eff["zero_cell_rule"] = zero_cell_rule(measure=measure, add=float(add))
    write_csv(eff, p)
    return eff


def write_revman_csv(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    comparison: str = "Comparison 1",
    outcome: str = "Outcome 1",
    measure: Measure = "RR",
    method: RevManMethod = "MH",
    model: Model = "common",
    group_labels: tuple[str, str] = ("Experimental", "Control"),
) -> None:
    """Write 2x2 counts as a RevMan 5 dichotomous-data CSV (the layout of RevMan's analysis export).

    One comparison with one dichotomous outcome: a comparison row, the outcome row (data type ``DIC``, the
    method, measure and model RevMan is to use, summed counts) and one row per study (name, ``Events 1``,
    ``Total 1`` for the treatment, ``Events 2``, ``Total 2`` for the control). No computed values are written:
    RevMan computes its own. :func:`~fmtrials.revman.read_revman` reads the file back, names exactly as
    written (spaces included); a name a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return) is written with a leading ``'`` (OWASP), so it reads back with it.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``study`` (names, each once: a study twice would be pooled twice; no line breaks or control characters) and
        ``events_t, n_t, events_c, n_c``; an optional ``year`` is written as RevMan's "Year of study" (and read
        back by :func:`~fmtrials.revman.read_revman`).
    path : str or os.PathLike
        The CSV file to write (UTF-8); its folder must exist.
    comparison, outcome : str
        Names of the comparison and the outcome.
    measure : {"RR", "OR", "RD"}
        RevMan's effect measure (``method="Peto"`` writes ``Peto OR``).
    method : {"MH", "IV", "Peto"}
        RevMan's statistical method.
    model : {"common", "random"}
        RevMan's analysis model (written as RevMan's ``Fixed``/``Random``; ``"fixed"`` is accepted as an alias).
    group_labels : tuple of str
        Labels of group 1 (treatment) and group 2 (control).

    Examples
    --------
    >>> import pandas as pd, tempfile, os, fmtrials
    >>> from fmtrials.revman import write_revman_csv
    >>> t = pd.DataFrame({"study": ["A", "B"], "events_t": [4, 9], "n_t": [123, 100], "events_c": [11, 12],
    ...                   "n_c": [139, 98]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_revman_csv(t, os.path.join(d, "rm.csv"), outcome="Dropouts", measure="OR")
    ...     back = fmtrials.read_revman(os.path.join(d, "rm.csv"))
    >>> back[["study", "outcome", "events_t", "n_t", "events_c", "n_c", "measure", "method"]]
      study   outcome  events_t  n_t  events_c  n_c measure method
    0     A  Dropouts         4  123        11  139      OR     MH
    1     B  Dropouts         9  100        12   98      OR     MH
    """
    measure = choice(measure, MEASURES, "measure")
    method = _REVMAN_METHODS[  # type: ignore[assignment]
        choice(method.upper() if isinstance(method, str) else method, tuple(_REVMAN_METHODS), "method")
    ]
    model = choice(model, MODELS, "model")
    if method == "Peto" and measure != "OR":
        raise DataError(
            Problem(
                f"the Peto method estimates an odds ratio; got measure={measure!r}", file=ARGUMENTS, column="measure"
            )
        )
    if "study" not in getattr(table, "columns", ()):
        raise DataError(
            Problem("missing column study (the study names RevMan shows)", file="<DataFrame>", column="study")
        )
    a, n1, c, n2 = frame_counts(table)
    names = table["study"].astype(str).tolist()
    years = [_year_text(y) for y in table["year"]] if "year" in table.columns else [""] * len(names)
    first: dict[str, int] = {}
    twice = [
        Problem(
            f"study {shown(nm)} is also in row {first[nm]}: it would be pooled twice",
            file=DATAFRAME,
            row=i,
            column="study",
        )
        for i, nm in enumerate(names, start=1)
        if first.setdefault(nm, i) != i
    ]
    broken = [
        Problem(_BROKEN, file=DATAFRAME, row=i, column=col)
        for col, texts in (("study", names), ("year", years))
        for i, nm in enumerate(texts, start=1)
        if _CONTROL.search(nm)
    ]
    broken += [
        Problem(_BROKEN, file=ARGUMENTS, column=arg)
        for arg, text in (("comparison", comparison), ("outcome", outcome), *zip(("group_labels",) * 2, group_labels))
        if _CONTROL.search(str(text))
    ]
    if twice or broken:
        raise DataError([*twice, *broken])
    p = _target(path)
    blank: dict[str, object] = dict.fromkeys(HEADER, "")
    rows: list[dict[str, object]] = [
        {**blank, "Comparison Number": 1, "Outcome Number": 0, "Subgroup Number": 0, "Name": comparison},
        {
            **blank,
            "Comparison Number": 1,
            "Outcome Number": 1,
            "Subgroup Number": 0,
            "Name": outcome,
            "Data Type": "DIC",
            "Statistical Method": method,
            "Effect Measure": "Peto OR" if method == "Peto" else measure,
            "Analysis Model": "Fixed" if model == "common" else "Random",
            "Events 1": int(a.sum()),
            "Total 1": int(n1.sum()),
            "Events 2": int(c.sum()),
            "Total 2": int(n2.sum()),
            "Group Label 1": group_labels[0],
            "Group Label 2": group_labels[1],
        },
    ]
    for i, name in enumerate(names):
        rows.append(
            {
                **blank,
                "Comparison Number": 1,
                "Outcome Number": 1,
                "Subgroup Number": 0,
                "Name": name,
                "Events 1": int(a[i]),
                "Total 1": int(n1[i]),
                "Events 2": int(c[i]),
                "Total 2": int(n2[i]),
                "Year of study": years[i],
                "User defined order": i + 1,
            }
        )
    write_csv(pd.DataFrame(rows, columns=list(HEADER), dtype=object), p)

""":func:`read_revman` and :func:`revman_results`: a RevMan 5 review (``.rm5``) or analysis CSV export as tidy
tables."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .._validation import ARGUMENTS
from ..errors import DataError, Problem
from ._csvexport import read_revman_csv
from ._rm5 import read_rm5

__all__ = ["read_revman", "revman_results"]


def _read(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables of a RevMan file; the format is told by the extension, else by the first byte."""
    if not isinstance(path, (str, os.PathLike)):
        raise DataError(Problem(f"must be a file path, got {type(path).__name__}", file=ARGUMENTS, column="path"))
    p = Path(path)
    label = str(p)
    suffix = p.suffix.lower()
    if suffix not in (".rm5", ".csv", ".xml"):
        try:
            with open(p, "rb") as fh:
                head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        except OSError:
            raise DataError(Problem("file not found" if not p.exists() else "cannot read", file=label)) from None
        suffix = ".rm5" if head.startswith(b"<") else ".csv"
    return read_revman_csv(p, label) if suffix == ".csv" else read_rm5(p, label)


def read_revman(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the studies of a RevMan 5 review file (``.rm5``) or of RevMan 5's analysis CSV export.

    Each row is one study in one outcome (and subgroup), with the package's count columns, so
    ``fmtrials.pool(df[df.outcome == ...], measure=..., method=...)`` re-runs RevMan's analysis;
    :func:`~fmtrials.revman.compare_revman` does that for every dichotomous outcome and lines our results up
    with RevMan's (:func:`revman_results`).

    Parameters
    ----------
    path : str or os.PathLike
        A ``.rm5`` file (XML; the encoding its prolog declares, usually ISO-8859-1; read as a stream, so
        memory grows with the number of studies, not the file's text) or a ``.csv`` analysis export (UTF-8 with
        or without BOM, else read as ISO-8859-1). Another extension is read as XML if the file starts with
        ``<``, else as the CSV export. Names are kept exactly as written, spaces included.

    Returns
    -------
    pandas.DataFrame
        Columns ``study`` (the study's name: RevMan's ``NAME``, else its id with ``_x002d_``-style escapes
        decoded), ``comparison``, ``outcome``, ``subgroup`` (names; ``None`` outside subgroups),
        ``comparison_no``, ``outcome_no``, ``subgroup_no`` (RevMan's numbers), ``data_type``
        (``"dichotomous"``, ``"continuous"``), ``year``, ``events_t, n_t, events_c, n_c`` (group 1 of RevMan,
        the experimental arm, is the treatment ``_t``), ``mean_t, sd_t, mean_c, sd_c`` (continuous outcomes),
        ``revman_measure`` (RevMan's word: ``OR``, ``RR``, ``RD``, ``PETO_OR``, ``MD``, ``SMD``...),
        ``measure`` and ``method`` (the same in :func:`fmtrials.pool`'s words; ``measure`` is ``None`` for
        outcomes fmtrials does not analyse), ``model``
        (``"common"``/``"random"``: RevMan's ``Fixed`` is the common-effect model), and RevMan's per-study
        ``revman_estimate, revman_ci_low, revman_ci_high, revman_weight``. A continuous study's means and SDs
        are validated as its counts are (finite decimals, SD > 0, arm size >= 2), naming line and field.

    Raises
    ------
    DataError
        Missing or malformed file, each problem naming the file and the line (and the element and attribute,
        or the CSV column): not well-formed XML; a count that is not whole decimal digits from 0 to
        2,147,483,647 (``1e30``, ``inf``, ``nan``, ``1,000``, ``12.0`` are refused, never wrapped or rounded), a
        number that is not a plain decimal; events above the arm size or an arm size of 0 (the checks of
        every other input); a study twice in one outcome or subgroup (naming both lines: it would be pooled
        twice); a stray quote, a wrong number of fields or a field over 131,072 characters in the CSV; an
        encoding that cannot be read (UTF-16 CSV, an XML prolog naming an unknown or multi-byte encoding);
        a CSV without RevMan's columns.

    Examples
    --------
    >>> import fmtrials
    >>> from fmtrials.revman import example_path
    >>> df = fmtrials.read_revman(example_path("rm5"))
    >>> df.loc[df.data_type == "dichotomous", ["study", "events_t", "n_t", "events_c", "n_c"]]
         study  events_t  n_t  events_c  n_c
    0  Alpha-1        12   50        20   50
    1     Beta        30  120        41  118
    2    Gamma         4   40         9   42
    >>> r = fmtrials.pool(df[df.data_type == "dichotomous"], measure="OR", method="MH")
    >>> print(f"{r.estimate:.4f} [{r.ci_low:.4f}, {r.ci_high:.4f}]")  # metafor rma.mh: 0.5513 [0.3553, 0.8555]
    0.5513 [0.3553, 0.8555]
    """
    return _read(path)[0]


def revman_results(path: str | os.PathLike[str]) -> pd.DataFrame:
    """RevMan's own computed totals and subtotals in a review file or analysis CSV export.

    Parameters
    ----------
    path : str or os.PathLike
        As :func:`read_revman`.

    Returns
    -------
    pandas.DataFrame
        One row per outcome total (``subgroup`` is ``None``) or subgroup subtotal: the names and numbers,
        ``data_type``, ``revman_measure``, ``measure``, ``method``, ``model``, ``k`` (studies), summed counts,
        ``estimate, ci_low, ci_high`` (on the ratio scale for OR/RR), ``chi2, df, p_chi2, i2`` (heterogeneity,
        I² in percent), ``tau2``, ``z, p_z`` (test of the overall effect) and, on totals,
        ``chi2_subgroups, p_subgroups, i2_subgroups`` (test for subgroup differences). An empty attribute or
        cell (RevMan did not compute it) is NaN.

    Examples
    --------
    >>> from fmtrials.revman import example_path, revman_results
    >>> res = revman_results(example_path("csv"))
    >>> res[["outcome", "k", "estimate", "chi2", "df"]]
               outcome  k  estimate      chi2   df
    0  Death (example)  3  0.551299  0.534977  2.0
    1   Pain (example)  2       NaN       NaN  1.0
    """
    return _read(path)[1]

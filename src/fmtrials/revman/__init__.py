"""RevMan files in and out.

* :func:`read_revman` reads a RevMan 5 review (``.rm5``) or RevMan 5's analysis CSV export into the package's
  tidy table (one row per study in an outcome, ``events_t, n_t, events_c, n_c`` plus RevMan's measure, method,
  model and per-study results); :func:`revman_results` gives RevMan's own totals; :func:`compare_revman`
  re-runs each dichotomous and continuous (MD, SMD) outcome with :func:`fmtrials.pool` and lines the results
  up with RevMan's.
* :func:`write_effects_csv` writes per-study ``yi, vi`` (metafor ``escalc`` style, with the zero-cell rule);
  :func:`write_revman_csv` writes 2x2 counts in RevMan's CSV layout.

Continuous outcomes (means, SDs, totals) are read, validated and analysed as mean differences or standardised
mean differences (RevMan's SMD convention: :mod:`fmtrials.revman.compare`).
"""

from __future__ import annotations

from pathlib import Path

from .._vocab import ExampleKind
from .compare import QUANTITIES, compare_revman
from .export import write_effects_csv, write_revman_csv, zero_cell_rule
from .reading import read_revman, revman_results

__all__ = [
    "read_revman",
    "revman_results",
    "compare_revman",
    "write_effects_csv",
    "write_revman_csv",
    "zero_cell_rule",
    "example_path",
    "QUANTITIES",
]


def example_path(kind: ExampleKind = "rm5") -> Path:
    """Path of the small example review shipped with fmtrials: ``"rm5"`` (XML) or ``"csv"`` (analysis export).

    Examples
    --------
    >>> example_path("csv").name
    'example.csv'
    """
    if kind not in ("rm5", "csv"):
        from ..errors import DataError, Problem

        raise DataError(Problem(f"kind must be 'rm5' or 'csv', got {kind!r}", file="<arguments>", column="kind"))
    return Path(__file__).parent / "examples" / f"example.{kind}"

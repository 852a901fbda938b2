"""The result of auditing one printed comparison: :class:`AuditResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._result import ResultMixin, render_html
from .pvalues import PInterval, explain_p

__all__ = ["AuditResult", "PAIR_COLUMNS", "empty_pairs"]

#: Columns of :meth:`AuditResult.to_frame`, in order.
PAIR_COLUMNS = (
    "test",
    "events_t",
    "n_t",
    "events_c",
    "n_c",
    "percent_exact_t",
    "percent_exact_c",
    "p_value",
    "in_interval",
)


def empty_pairs() -> pd.DataFrame:
    """The pairs frame of a comparison with no candidate tables."""
    dtypes = (object, "int64", "int64", "int64", "int64", float, float, float, bool)
    return pd.DataFrame({c: pd.Series(dtype=dt) for c, dt in zip(PAIR_COLUMNS, dtypes)})


@dataclass(frozen=True, eq=False)
class AuditResult(ResultMixin):
    """Audit of one printed comparison: are the percentages and the p-value arithmetically possible?

    Attributes
    ----------
    percent_t, percent_c : str or None
        Printed percentages (treatment, control), as text.
    n_t, n_c : int or None
        Arm sizes assumed (``None``: unknown).
    p_reported : str or None
        The printed p, as text.
    p_interval : PInterval or None
        What the printed p allows (:func:`~fmtrials.parse_p`).
    tests : tuple of str
        Tests recomputed (two-sided), canonical names of ``test=``.
    rounding : str
        Rounding rule for the percentages.
    model_based : bool
        The percentages are model estimates (e.g. mixed-model), not count / n: arithmetic is shown but the
        verdict is ``"indeterminate"``.
    grim_t, grim_c : bool or None
        Whether some count reproduces each printed percentage (``None``: not checkable).
    events_t, events_c : tuple of int
        Admissible event counts per arm (consecutive; empty when none or not checkable).
    p_range : tuple of (test, min p, max p)
        Range of the recomputed p over all admissible count pairs, per test.
    matches : tuple of (test, events_t, events_c, p)
        Test/count combinations whose p lies in ``p_interval``.
    p_consistent : bool or None
        Whether any combination reproduces the printed p (``None``: not checkable).
    verdict : str
        ``"consistent"``, ``"inconsistent"`` or ``"indeterminate"``.
    explanation : str
        One line in words.
    pairs : pandas.DataFrame
        Every (test, events_t, events_c) with its p and whether it is in the interval (:meth:`to_frame`).
    """

    percent_t: str | None
    n_t: int | None
    percent_c: str | None
    n_c: int | None
    p_reported: str | None
    p_interval: PInterval | None
    tests: tuple[str, ...]
    rounding: str
    model_based: bool
    grim_t: bool | None
    grim_c: bool | None
    events_t: tuple[int, ...]
    events_c: tuple[int, ...]
    p_range: tuple[tuple[str, float, float], ...]
    matches: tuple[tuple[str, int, int, float], ...]
    p_consistent: bool | None
    verdict: str
    explanation: str
    pairs: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per (test, candidate table): ``test``; the table ``events_t, n_t, events_c, n_c``;
        ``percent_exact_t``, ``percent_exact_c`` (``100 events / n``); the two-sided ``p_value``; and
        ``in_interval`` (whether p lies in the printed p's interval)."""
        return self.pairs.copy()

    def summary(self) -> str:
        """A few lines of text: inputs, candidates, p ranges per test, verdict and explanation."""
        lines = [
            f"Audit of {self.percent_t or '?'}% of {_or_q(self.n_t)} vs {self.percent_c or '?'}% of "
            f"{_or_q(self.n_c)}, printed p {self.p_reported or '(none)'}"
            + (f" -> {self.p_interval}" if self.p_interval is not None else ""),
            f"  rounding: {self.rounding}; tests: {', '.join(self.tests)} (two-sided)"
            + ("; model-based percentages" if self.model_based else ""),
            f"  counts: treatment {_counts_text(self.events_t, self.grim_t)}; "
            f"control {_counts_text(self.events_c, self.grim_c)}",
        ]
        for test, lo, hi in self.p_range:
            if np.isfinite(lo):
                lines.append(f"  {test:>6}: p in [{explain_p(lo, self.p_interval)}, {explain_p(hi, self.p_interval)}]")
            else:
                lines.append(f"  {test:>6}: no p")
        lines.append(f"  verdict: {self.verdict} -- {self.explanation}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return render_html("audit", paragraphs=self.summary().splitlines(), frame=self.pairs)


def _or_q(n: int | None) -> str:
    return "?" if n is None else str(n)


def _counts_text(events: tuple[int, ...], ok: bool | None) -> str:
    if ok is None:
        return "not checkable"
    if not ok:
        return "none (impossible)"
    return str(events[0]) if len(events) == 1 else f"{events[0]}..{events[-1]} ({len(events)})"

"""Every error and warning class fmtrials raises, in one place.

:class:`DataError` is the one error type for bad input (a :class:`ValueError`); :class:`ConvergenceError` an
iterative estimator that did not converge; :class:`SharedPlaceboWarning` a placebo arm counted twice;
:class:`ReportError` an unsafe output location for the report (a :class:`DataError`, so the CLI exits 2).

Every problem names where it was found: the file (or ``<DataFrame>`` / ``<arguments>``), the row and the
column. A :class:`DataError` collects *all* problems found in one pass, so a user fixes a file once, not
once per error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DataError", "Problem", "ConvergenceError", "SharedPlaceboWarning", "ReportError", "FewStudiesWarning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    Attributes
    ----------
    message : str
        What is wrong, in words.
    file : str or None
        The file (or ``"<DataFrame>"``, ``"<arguments>"``) where it was found.
    row : int or None
        1-based data row (the header is not counted); for a CSV file the line number is ``row + 1``
        unless quoted fields span lines, in which case ``line`` holds the true line.
    column : str or None
        The column (or argument) name.
    line : int or None
        The physical line in the file, when known.
    """

    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}" + (f" (line {self.line})" if self.line is not None else ""))
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column '{self.column}'")
        return (", ".join(where) + ": " if where else "") + self.message


class DataError(ValueError):
    """Invalid input data: a :class:`ValueError` carrying every :class:`Problem` found.

    Examples
    --------
    >>> import fmtrials
    >>> try:
    ...     fmtrials.read_outcomes("no-such-file.csv")
    ... except fmtrials.DataError as err:
    ...     print(err.problems[0].message)
    file not found
    """

    def __init__(self, problems: Iterable[Problem | str] | Problem | str, *, max_shown: int = 50):
        if isinstance(problems, (Problem, str)):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(p if isinstance(p, Problem) else Problem(str(p)) for p in problems)
        self.max_shown = max_shown
        super().__init__(self._format())

    def _format(self) -> str:
        n = len(self.problems)
        if n == 1:
            return str(self.problems[0])
        lines = [f"{n} problems found:"]
        lines += [f"  - {p}" for p in self.problems[: self.max_shown]]
        if n > self.max_shown:
            lines.append(f"  ... and {n - self.max_shown} more")
        return "\n".join(lines)


class ConvergenceError(RuntimeError):
    """An iterative estimator (REML Fisher scoring, a root search) did not converge."""


class SharedPlaceboWarning(UserWarning):
    """An analysis counts the same placebo arm more than once (unit-of-analysis error)."""


class FewStudiesWarning(UserWarning):
    """A method asked for with fewer studies than it needs to be informative (e.g. a small-study test with k < 10)."""


class ReportError(DataError):
    """The report cannot be written where asked without losing or endangering a user's files."""

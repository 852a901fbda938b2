"""The options of one report, checked and normalised once: :class:`ReportOptions`.

Options that mean the same give the same bytes: choices are stored in their canonical spelling, text on one line
(:func:`fmtrials._validation.check_text` refuses control characters, NUL included, and explicit bidi overrides),
and the defaults that depend on the input (treatment name, title) are filled in here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from .._validation import check_int, check_text, safe_text
from .._vocab import (
    MEASURES,
    POOL_METHODS,
    POOL_TESTS,
    RD_INTERVALS,
    Measure,
    PoolMethod,
    PoolTest,
    RDInterval,
    choice,
)

__all__ = ["ReportOptions"]


@dataclass(frozen=True)
class ReportOptions:
    """Everything :func:`fmtrials.write_report` was asked for, validated (see :meth:`of`).

    Examples
    --------
    >>> o = ReportOptions.of(measure="rr", ci="Newcombe", method="dl", test="Z")
    >>> (o.measure, o.ci, o.method, o.test, o.treatment, o.title)
    ('RR', 'newcombe', 'DL', 'z', 'milnacipran', 'fmtrials report: milnacipran in fibromyalgia')
    >>> ReportOptions.of(data="trials.csv").treatment
    'treatment'
    """

    data: Path | None = None
    endpoints: tuple[str, ...] | None = None
    measure: Measure = "RR"
    ci: RDInterval = "newcombe"
    force: bool = False
    quiet: bool = False
    figures: bool = True
    treatment: str = "milnacipran"
    title: str = "fmtrials report: milnacipran in fibromyalgia"
    method: PoolMethod | None = None
    test: PoolTest | None = None
    dpi: int = 300
    continuous: Path | None = None
    comparators: Path | None = None

    @classmethod
    def of(
        cls,
        *,
        data: str | os.PathLike[str] | None = None,
        endpoints: Iterable[str] | None = None,
        measure: Measure = "RR",
        ci: RDInterval = "newcombe",
        force: bool = False,
        quiet: bool = False,
        figures: bool = True,
        treatment: str | None = None,
        title: str | None = None,
        method: PoolMethod | None = None,
        test: PoolTest | None = None,
        dpi: int = 300,
        continuous: str | os.PathLike[str] | None = None,
        comparators: str | os.PathLike[str] | None = None,
    ) -> ReportOptions:
        """The options checked before any work (a :class:`~fmtrials.errors.DataError` names the bad one, by its
        command-line name) and normalised. ``endpoints`` keeps its order, once each; empty means the default."""
        bundled = data is None
        label = treatment if treatment is not None else ("milnacipran" if bundled else "treatment")
        label = check_text(label, "--treatment-label")
        if title is None:
            title = "milnacipran in fibromyalgia" if bundled else safe_text(Path(data).name)  # type: ignore[arg-type]
            title = f"fmtrials report: {title}"
        else:
            title = check_text(title, "--title")
        method = None if method is None else cast(PoolMethod, choice(method, POOL_METHODS, "--method"))
        test = None if test is None else cast(PoolTest, choice(test, POOL_TESTS, "--test"))
        dpi = check_int(dpi, "--dpi", low=50, high=1200)
        ci = cast(RDInterval, choice(ci, RD_INTERVALS, "--ci"))
        wanted = tuple(dict.fromkeys(endpoints)) if endpoints else None
        return cls(
            data=None if data is None else Path(data),
            endpoints=wanted or None,
            measure=cast(Measure, choice(measure, MEASURES, "--measure")),
            ci=ci,
            force=bool(force),
            quiet=bool(quiet),
            figures=bool(figures),
            treatment=label,
            title=title,
            method=method,
            test=test,
            dpi=dpi,
            continuous=None if continuous is None else Path(continuous),
            comparators=None if comparators is None else Path(comparators),
        )

    @property
    def bundled(self) -> bool:
        """True for the bundled data (no ``data`` file)."""
        return self.data is None

    def recorded(self) -> dict[str, Any]:
        """The presentation and model options as ``manifest.json`` records them (besides data, endpoints,
        measure, ci and figures, which it records as run)."""
        return {
            "treatment_label": self.treatment,
            "title": self.title,
            "method": self.method,
            "test": self.test,
            "dpi": self.dpi,
            "continuous": None if self.continuous is None else self.continuous.name,
            "comparators": None if self.comparators is None else self.comparators.name,
        }

""":func:`pool`: validate the options, fit the total and each subgroup, test for subgroup differences."""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._validation import ARGUMENTS, check_alpha, check_int, check_number
from .._vocab import (
    EVENTS,
    MEASURES,
    PI_METHODS,
    POOL_METHODS,
    POOL_TESTS,
    Measure,
    OnNonconvergence,
    PiMethod,
    PoolMethod,
    PoolTest,
    choice,
)
from ..errors import DataError, Problem, SharedPlaceboWarning
from ._table import Data, group_order, prepare
from .fitting import Options, fit
from .placebo import shared_ids
from .result import PoolResult, SubgroupTest

__all__ = ["pool"]

_NAN = float("nan")


def options(
    measure: Any, method: Any, test: Any, alpha: Any, pi_method: Any, tol: Any, maxiter: Any, on_nonconvergence: Any
) -> Options:
    """Validate the options of :func:`pool` (choices in any letter case) into :class:`Options`."""
    measure = choice(measure, MEASURES, "measure")
    method = choice(method, POOL_METHODS, "method")
    test = choice(test, POOL_TESTS, "test")
    o = Options(
        measure=measure,
        method=method,
        test=test,
        alpha=check_alpha(alpha),
        pi_method=choice(pi_method, PI_METHODS, "pi_method"),
        tol=check_number(tol, "tol", low=0.0, high=1.0, inclusive=False),
        maxiter=check_int(maxiter, "maxiter", low=1, high=10**6),
        on_nonconvergence=choice(on_nonconvergence, ("raise", "DL"), "on_nonconvergence"),
    )
    if method == "Peto" and measure != "OR":
        raise DataError(
            Problem(
                f"the Peto method estimates an odds ratio; got measure={measure!r}", file=ARGUMENTS, column="measure"
            )
        )
    if test != "z" and method in ("MH", "Peto"):  # MH-DL is a random-effects model: HKSJ applies
        raise DataError(
            Problem(
                f"HKSJ applies to inverse-variance and random-effects models, not {method}",
                file=ARGUMENTS,
                column="test",
            )
        )
    return o


def _shared_note(dup: tuple[str, ...], where: str, warn: bool) -> tuple[str, ...]:
    """The note (and, if ``warn``, the warning) for placebo arms counted twice in one analysis."""
    if not dup:
        return ()
    msg = (
        f"{where}placebo arm(s) {', '.join(dup)} counted more than once in this analysis (unit-of-analysis "
        "error); use split_shared_placebo(), combine the doses, or pool by dose"
    )
    if warn:
        warnings.warn(msg, SharedPlaceboWarning, stacklevel=4)
    return (msg,)


def _subgroup_test(subs: dict[Any, PoolResult]) -> SubgroupTest | None:
    """Q_between = sum_j (b_j - b̄)²/SE_j² on J - 1 df over the subgroup estimates (None if J < 2)."""
    b = np.array([r.beta for r in subs.values()])
    s = np.array([r.se for r in subs.values()])
    ok = np.isfinite(b) & np.isfinite(s) & (s > 0)
    if ok.sum() < 2:
        return None
    w = 1 / s[ok] ** 2
    bb = (w * b[ok]).sum() / w.sum()
    q = float((w * (b[ok] - bb) ** 2).sum())
    return SubgroupTest(q, int(ok.sum() - 1), float(special.chdtrc(ok.sum() - 1, q)))


def _conventional(d: Data, o: Options, by: str, subs: dict[Any, PoolResult]) -> dict[Any, PoolResult]:
    """The subgroups refitted with the z test (same estimator, same tau²): their standard errors are the
    conventional ones the test for subgroup differences needs."""
    z = replace(o, test="z")
    return {g: fit(d.take(np.nonzero(d.group == g)[0]), z, by=by, notes=()) for g in subs}


def _pool_by(d: Data, o: Options, by: str, warn_shared: bool) -> PoolResult:
    """Each subgroup pooled on its own (its own tau²), then the total with the test for subgroup differences."""
    subs: dict[Any, PoolResult] = {}
    notes: list[str] = []
    assert d.group is not None  # prepare(table, by) fills it when by is given
    for g in group_order(d.group):
        sd = d.take(np.nonzero(d.group == g)[0])
        extra = _shared_note(shared_ids(sd.placebo), f"subgroup {by}={g}: ", warn_shared)
        try:
            subs[g] = fit(sd, o, by=by, notes=extra)
        except DataError:
            notes.append(f"subgroup {by}={g}: nothing to pool (all studies double-zero)")
    if shared_ids(d.placebo):
        notes.append(
            "the overall total counts shared placebo arm(s) in more than one subgroup; the subgroup "
            "results and the test for subgroup differences are the primary analysis (the test assumes "
            "independent subgroups, approximate here)"
        )
    st = _subgroup_test(subs if o.test == "z" else _conventional(d, o, by, subs))
    if st is None:
        notes.append("test for subgroup differences needs at least two subgroups with an estimate")
    elif o.test != "z":
        notes.append(
            "test for subgroup differences on the subgroups' conventional (z) standard errors, as RevMan; "
            "HKSJ-adjusted errors of subgroups with few studies can be far smaller and would overstate it"
        )
    return fit(d, o, by=by, notes=tuple(notes), subgroups=subs, subgroup_test=st)


def pool(
    table: pd.DataFrame,
    *,
    measure: Measure = "RR",
    method: PoolMethod = "MH",
    test: PoolTest = "z",
    alpha: float = 0.05,
    by: str | None = None,
    pi_method: PiMethod = "hts",
    tol: float = 1e-12,
    maxiter: int = 100,
    on_nonconvergence: OnNonconvergence = "raise",
    warn_shared: bool = True,
) -> PoolResult:
    """Pool 2x2 tables (treatment vs control) into one effect, with heterogeneity and per-study weights.

    Parameters
    ----------
    table : DataFrame
        Columns ``events_t, n_t, events_c, n_c``; optional ``study`` (labels), ``placebo_id`` (to detect a
        shared placebo arm) and grouping columns. The output of :func:`fmtrials.contrasts` fits.
    measure : {"RR", "OR", "RD"}
        Risk ratio, odds ratio or risk difference (treatment vs control).
    method : {"MH", "IV", "Peto", "DL", "REML", "PM", "MH-DL"}
        Common-effect Mantel-Haenszel, inverse-variance or Peto (OR only); or a random-effects model with the
        DerSimonian-Laird, REML or Paule-Mandel estimator of tau²; or ``"MH-DL"``, RevMan 5's "M-H, Random"
        model: the heterogeneity Q is computed around the Mantel-Haenszel estimate with inverse-variance
        weights (RevMan's Chi², also the Q reported), tau² is DerSimonian-Laird's formula applied to that Q,
        and the studies are pooled with inverse-variance random-effects weights (R meta ``metabin(method="MH",
        Q.Cochrane=TRUE)``). ``"DL"`` is metafor's (Q around the inverse-variance estimate).
    test : {"z", "hksj", "hksj-adhoc"}
        z test and interval; Hartung-Knapp-Sidik-Jonkman t(k - 1) (metafor ``test="knha"``); or its ad hoc
        variant, never narrower than z (metafor ``test="adhoc"``). HKSJ: IV and random-effects models only.
    alpha : float
        1 - confidence level (two-sided), default 0.05.
    by : str, optional
        Column defining subgroups: each is pooled separately and the test for subgroup differences is given.
    pi_method : {"hts", "metafor"}
        Prediction interval: Higgins-Thompson-Spiegelhalter t(k-2) (default) or metafor ``predict`` (z, or
        t(k-1) with the HKSJ SE).
    tol, maxiter : float, int
        Convergence of the REML Fisher scoring (change in tau²) and of root searches. Fisher scoring that has
        not converged after ``maxiter`` iterations (metafor's default 100) is cycling or crawling: the maximum
        of the restricted likelihood is then found by a safeguarded one-dimensional search on [0, U] (U an
        upper bound no maximum exceeds), the boundary tau² = 0 exactly; the estimator stays REML.
    on_nonconvergence : {"raise", "DL"}
        What to do if REML finds no maximum (only possible when the restricted likelihood is not finite): raise
        :class:`~fmtrials.errors.ConvergenceError`, or fall back to DL (``tau2_method="DL"`` and a note).
    warn_shared : bool
        Warn (:class:`~fmtrials.errors.SharedPlaceboWarning`) when one placebo arm is counted twice in one
        analysis (always recorded in ``notes``).

    Returns
    -------
    PoolResult

    Raises
    ------
    DataError
        Bad counts or arguments (naming column and 1-based row), or nothing to pool (all studies double-zero).
    ConvergenceError
        REML did not converge and ``on_nonconvergence="raise"``.

    Examples
    --------
    >>> import pandas as pd, fmtrials
    >>> t = pd.DataFrame({"study": ["Mease2009", "Arnold2010", "Bateman2013"],
    ...                   "events_t": [73, 189, 18], "n_t": [224, 516, 85],
    ...                   "events_c": [47, 106, 6], "n_c": [223, 509, 21]})
    >>> r = fmtrials.pool(t, measure="RR", method="MH")
    >>> print(f"{r.estimate:.4f} ({r.ci_low:.4f}, {r.ci_high:.4f}); I2 = {r.heterogeneity.i2:.1f}%")
    1.6377 (1.3859, 1.9351); I2 = 55.1%
    >>> r = fmtrials.pool(t, measure="RR", method="reml", test="hksj")
    >>> r.test, r.stat_dist, r.df, r.prediction.dist
    ('hksj', 't', 2.0, 't(k-2)')
    """
    o = options(measure, method, test, alpha, pi_method, tol, maxiter, on_nonconvergence)
    d = prepare(table, by)
    if by is not None:
        res = _pool_by(d, o, by, bool(warn_shared))
    else:
        res = fit(d, o, notes=_shared_note(shared_ids(d.placebo), "", bool(warn_shared)))
    event = _stated_event(table)
    return res if event is None else replace(res, event=event)


def _stated_event(table: pd.DataFrame) -> str | None:
    """The one direction of the table's ``direction`` column (None when it has none or states several)."""
    if not isinstance(table, pd.DataFrame) or "direction" not in table.columns:
        return None
    found = {str(v).strip().casefold() for v in table["direction"].dropna()} - {""}
    return choice(found.pop(), EVENTS, "direction") if len(found) == 1 else None

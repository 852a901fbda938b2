"""Reported versus recomputed for one printed comparison (or many at once): :func:`audit_reported`.

For each comparison (percent and n per arm, printed p) the audit finds the admissible counts per arm
(:func:`~fmtrials.grim`), recomputes every requested two-sided 2x2 test on every admissible pair of counts
(one batched call per test over all distinct tables, :func:`fmtrials.effects.proportions_test`) and decides a
verdict:

1. a percentage no count can produce -> *inconsistent*;
2. a percentage not printed or an arm size unknown -> *indeterminate*;
3. no p printed, or a p that tests something else -> *consistent* (percentages only);
4. some test on some admissible pair lands in the printed p's interval -> *consistent*, else *inconsistent*.

Model-based percentages (``model_based=True``) always give *indeterminate*, with the arithmetic shown.
Trial p-values often come from adjusted models (CMH, logistic regression), so a *p-inconsistent* verdict
says "no unadjusted 2x2 test on any admissible counts gives the printed p", not "the paper is wrong".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from .._format import format_number
from .._validation import ARGUMENTS, check_int, choice
from .._vocab import AUDIT_TESTS, MAX_COUNT, ROUNDING_RULES, AuditTest, Rounding
from ..errors import DataError, Problem
from ._common import is_missing
from .granularity import grim_bounds, nearest_text
from .percent import parse_percent_text, text_or_none
from .pvalues import PInterval, explain_p, p_text_or_none, parse_p_text
from .result import PAIR_COLUMNS, AuditResult, empty_pairs

__all__ = ["audit_reported", "Comparison", "audit_many", "check_tests"]

_MAX_PAIRS = 250_000  # candidate (events_t, events_c) pairs per comparison before refusing


@dataclass(frozen=True)
class Comparison:
    """One (percent_t, n_t, percent_c, n_c, p) statement to audit; text fields as printed, None if absent."""

    percent_t: str | None
    n_t: int | None
    percent_c: str | None
    n_c: int | None
    p_reported: str | None
    model_based: bool = False
    p_other_test: bool = False

    def arms(self) -> tuple[tuple[str, str | None, int | None], ...]:
        """``(arm, percent, n)`` for the treatment (``"t"``) and control (``"c"``) arms."""
        return ("t", self.percent_t, self.n_t), ("c", self.percent_c, self.n_c)


def check_tests(test: AuditTest | Iterable[AuditTest]) -> tuple[str, ...]:
    """One test name or a sequence of names -> canonical names (letter case ignored, duplicates dropped)."""
    names = (test,) if isinstance(test, str) else tuple(test)
    if not names:
        raise DataError(
            Problem(f"must name at least one of {', '.join(map(repr, AUDIT_TESTS))}", file=ARGUMENTS, column="test")
        )
    return tuple(dict.fromkeys(choice(t, AUDIT_TESTS, "test") for t in names))


# --------------------------------------------------------------------------------------------------------
# the batched steps
# --------------------------------------------------------------------------------------------------------

Where = Sequence[tuple[str, "int | None"]]


def _read_p_intervals(comps: Sequence[Comparison], where: Where, problems: list[Problem]) -> list[PInterval | None]:
    """Step 1: the interval each printed p allows (problems collected, naming file and row)."""
    out: list[PInterval | None] = []
    for c, (file, row) in zip(comps, where):
        try:
            out.append(None if c.p_reported is None else parse_p_text(c.p_reported))
        except ValueError as err:
            out.append(None)
            problems.append(Problem(str(err), file=file, row=row, column="p_reported"))
    return out


def _read_percents(
    comps: Sequence[Comparison], where: Where, problems: list[Problem]
) -> list[tuple[int, str, int, int, int]]:
    """Step 2: every printed percentage read exactly; ``(comparison, arm, numerator, decimals, n)`` for the
    arms with a known size (percentages without one are still validated)."""
    parsed = []
    for i, c in enumerate(comps):
        for arm, pct, n in c.arms():
            if pct is None:
                continue
            try:
                num, d, _ = parse_percent_text(pct, None)
            except ValueError as err:
                file, row = where[i]
                problems.append(Problem(str(err), file=file, row=row, column=f"percent_{arm}"))
                continue
            if n is not None:
                parsed.append((i, arm, num, d, n))
    return parsed


def _arm_bounds(
    parsed: list[tuple[int, str, int, int, int]], rounding: str
) -> dict[tuple[int, str], tuple[int, int, int]]:
    """Step 3: GRIM per arm in one vectorised call: ``(comparison, arm) -> (events_min, events_max, d)``."""
    if not parsed:
        return {}
    ii, arms, num, d, nn = zip(*parsed)
    lo, hi = grim_bounds(np.array(num, np.int64), np.array(d, np.int64), np.array(nn, np.int64), rounding)
    return {(i, a): (int(l_), int(h), int(dd)) for i, a, l_, h, dd in zip(ii, arms, lo, hi, d)}


def _candidate_tables(comps: Sequence[Comparison], bounds: dict, where: Where) -> dict[int, np.ndarray]:
    """Step 4: every admissible 2x2 table ``(events_t, n_t, events_c, n_c)`` of the comparisons that pass
    GRIM on both arms."""
    cand: dict[int, np.ndarray] = {}
    for i, c in enumerate(comps):
        bt, bc = bounds.get((i, "t")), bounds.get((i, "c"))
        if bt is None or bc is None or bt[0] > bt[1] or bc[0] > bc[1]:
            continue
        size = (bt[1] - bt[0] + 1) * (bc[1] - bc[0] + 1)
        if size > _MAX_PAIRS:
            file, row = where[i]
            raise DataError(
                Problem(
                    f"{size} candidate count pairs: too many to test (print more decimals or "
                    "audit a narrower question)",
                    file=file,
                    row=row,
                )
            )
        et, ec = np.meshgrid(np.arange(bt[0], bt[1] + 1), np.arange(bc[0], bc[1] + 1), indexing="ij")
        cand[i] = np.column_stack([et.ravel(), np.full(et.size, c.n_t), ec.ravel(), np.full(et.size, c.n_c)])
    return cand


def _recompute(cand: dict[int, np.ndarray], tests: tuple[str, ...]) -> dict[int, dict[str, np.ndarray]]:
    """Step 5: the two-sided p of every candidate table for every test, one call per test over the distinct
    tables of all comparisons."""
    if not cand:
        return {}
    from ..effects import proportions_test  # imported here: effects pulls in scipy

    order = list(cand)
    tables = np.concatenate([cand[i] for i in order]).astype(np.int64)
    uniq, inverse = np.unique(tables, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    p_uniq = {
        t: np.asarray(
            proportions_test(
                uniq[:, 0], uniq[:, 1], uniq[:, 2], uniq[:, 3], test=cast(AuditTest, t), alternative="two-sided"
            )["p_value"],
            dtype=np.float64,
        )
        for t in tests
    }
    offsets = np.cumsum([0] + [len(cand[i]) for i in order])
    return {i: {t: p_uniq[t][inverse[offsets[j] : offsets[j + 1]]] for t in tests} for j, i in enumerate(order)}


def audit_many(
    comps: Sequence[Comparison], tests: tuple[AuditTest, ...], rounding: Rounding, where: Where | None = None
) -> list[AuditResult]:
    """Audit many comparisons (``tests`` and ``rounding`` canonical); ``where`` names each one's file/row."""
    where = where or [(ARGUMENTS, None)] * len(comps)
    problems: list[Problem] = []
    intervals = _read_p_intervals(comps, where, problems)
    parsed = _read_percents(comps, where, problems)
    if problems:
        raise DataError(problems)
    bounds = _arm_bounds(parsed, rounding)
    cand = _candidate_tables(comps, bounds, where)
    p_values = _recompute(cand, tests)
    return [
        _assemble(
            c, intervals[i], bounds.get((i, "t")), bounds.get((i, "c")), cand.get(i), p_values.get(i), tests, rounding
        )
        for i, c in enumerate(comps)
    ]


# --------------------------------------------------------------------------------------------------------
# one comparison: pairs, ranges, matches, verdict
# --------------------------------------------------------------------------------------------------------


def _arm_state(b: tuple[int, int, int] | None) -> tuple[bool | None, tuple[int, ...]]:
    if b is None:
        return None, ()
    ok = b[0] <= b[1]
    return ok, tuple(range(b[0], b[1] + 1)) if ok else ()


def _pairs(
    tables: np.ndarray, p: dict[str, np.ndarray], pint: PInterval | None, tests: tuple[str, ...]
) -> pd.DataFrame:
    frames = []
    for t in tests:
        inside = pint.contains(p[t]) if pint is not None else np.zeros(p[t].shape, bool)
        frames.append(
            pd.DataFrame(
                dict(
                    zip(
                        PAIR_COLUMNS,
                        (
                            t,
                            tables[:, 0],
                            tables[:, 1],
                            tables[:, 2],
                            tables[:, 3],
                            100.0 * tables[:, 0] / tables[:, 1],
                            100.0 * tables[:, 2] / tables[:, 3],
                            p[t],
                            inside,
                        ),
                    )
                )
            )
        )
    return pd.concat(frames, ignore_index=True)


def _p_range(p: np.ndarray) -> tuple[float, float]:
    finite = p[np.isfinite(p)]
    return (float(finite.min()), float(finite.max())) if finite.size else (math.nan, math.nan)


def _assemble(
    c: Comparison,
    pint: PInterval | None,
    bt,
    bc,
    tables: np.ndarray | None,
    p: dict[str, np.ndarray] | None,
    tests: tuple[str, ...],
    rounding: str,
) -> AuditResult:
    grim_t, events_t = _arm_state(bt)
    grim_c, events_c = _arm_state(bc)
    p_range: list[tuple[str, float, float]] = []
    matches: list[tuple[str, int, int, float]] = []
    pairs = empty_pairs()
    if tables is not None and p is not None:
        pairs = _pairs(tables, p, pint, tests)
        for t in tests:
            p_range.append((t, *_p_range(p[t])))
            if pint is not None:
                matches += [
                    (t, int(tables[j, 0]), int(tables[j, 2]), float(p[t][j]))
                    for j in np.nonzero(pint.contains(p[t]))[0]
                ]
    p_consistent = None if (tables is None or pint is None or c.p_other_test) else bool(matches)
    verdict, explanation = _verdict(c, pint, bt, bc, events_t, events_c, p_range, matches, tests)
    return AuditResult(
        c.percent_t,
        c.n_t,
        c.percent_c,
        c.n_c,
        c.p_reported,
        pint,
        tests,
        rounding,
        c.model_based,
        grim_t,
        grim_c,
        events_t,
        events_c,
        tuple(p_range),
        tuple(matches),
        p_consistent,
        verdict,
        explanation,
        pairs,
    )


def _impossible(c: Comparison, bt, bc) -> list[str]:
    """The printed percentages no count can produce, in words."""
    out = []
    for pct, n, b in ((c.percent_t, c.n_t, bt), (c.percent_c, c.n_c, bc)):
        if b is not None and n is not None and b[0] > b[1]:
            out.append(f"{pct}% is impossible with n = {n} ({nearest_text(b[0], n, b[2])})")
    return out


def _not_checkable(c: Comparison) -> str | None:
    """Why nothing can be recomputed (a percentage not printed, an arm size unknown), or None."""
    missing = [w for w, v in (("treatment percentage", c.percent_t), ("control percentage", c.percent_c)) if v is None]
    if missing:
        return f"{' and '.join(missing)} not printed: nothing to recompute"
    unknown = [w for w, v in (("treatment", c.n_t), ("control", c.n_c)) if v is None]
    if unknown:
        return f"{' and '.join(unknown)} arm size unknown: no count can be checked"
    return None


def _counts_range(events: tuple[int, ...], n: int | None) -> str:
    return f"{events[0]}/{n}" if len(events) == 1 else f"{events[0]}..{events[-1]}/{n}"


def _explain_match(c: Comparison, pint: PInterval, matches, tests) -> str:
    first: dict[str, tuple[int, int, float]] = {}
    for t, et, ec, p in matches:
        first.setdefault(t, (et, ec, p))
    t0, (et, ec, p) = next(iter(first.items()))
    others = [t for t in first if t != t0]
    return (
        f"{t0} p = {explain_p(p, pint)} for {et}/{c.n_t} vs {ec}/{c.n_c} fits printed p {c.p_reported} "
        f"{pint}"
        + (f" (also {', '.join(others)})" if others else "")
        + (f"; not {', '.join(t for t in tests if t not in first)}" if len(first) < len(tests) else "")
    )


def _two_significant(p: float) -> str:
    """``0.000012`` for 1.234e-05: a small p with two significant digits, in plain decimals.

    >>> _two_significant(1.234e-05), _two_significant(0.000104)
    ('0.000012', '0.00010')
    """
    return format_number(p, max(0, 1 - math.floor(math.log10(p))))


def _explain_mismatch(c: Comparison, pint: PInterval, p_range, tests) -> str:
    finite = [(lo, hi) for _, lo, hi in p_range if math.isfinite(lo)]
    if not finite:
        span = "no test gives a p"
    else:
        vlo, vhi = min(lo for lo, _ in finite), max(hi for _, hi in finite)
        lo, hi = explain_p(vlo, pint), explain_p(vhi, pint)
        if lo.startswith("<") and lo != hi and vlo > 0:  # "<0.0001 to 0.0001" says nothing: two significant digits
            lo, hi = _two_significant(vlo), _two_significant(vhi)
        span = f"p from {lo} to {hi}" if lo != hi else f"p {lo}" if lo.startswith("<") else f"p = {lo}"
    return f"{', '.join(tests)} give {span}, outside printed p {c.p_reported} {pint}"


def _verdict(c: Comparison, pint, bt, bc, events_t, events_c, p_range, matches, tests) -> tuple[str, str]:
    """The verdict and its explanation, by the rules of the module docstring."""
    prefix = (
        "model-based estimates, not count/n, so the arithmetic is shown for information only; " if c.model_based else ""
    )

    def done(verdict: str, text: str) -> tuple[str, str]:
        return ("indeterminate" if c.model_based else verdict), prefix + text

    impossible = _impossible(c, bt, bc)
    if impossible:
        return done("inconsistent", "; ".join(impossible))
    why_not = _not_checkable(c)
    if why_not:
        return done("indeterminate", why_not)
    counts = f"{c.percent_t}% = {_counts_range(events_t, c.n_t)}, {c.percent_c}% = {_counts_range(events_c, c.n_c)}"
    if pint is None:
        return done("consistent", f"{counts}; no p-value printed, percentages only")
    if c.p_other_test:
        return done(
            "consistent",
            f"{counts}; printed p {c.p_reported} comes from another kind of test (not a "
            f"comparison of the two proportions), so it is not checked",
        )
    if matches:
        return done("consistent", f"{counts}; {_explain_match(c, pint, matches, tests)}")
    return done("inconsistent", f"{counts} are possible, but {_explain_mismatch(c, pint, p_range, tests)}")


# --------------------------------------------------------------------------------------------------------
# the public function
# --------------------------------------------------------------------------------------------------------


def _arm_size_or_none(value: Any, name: str) -> int | None:
    return None if is_missing(value) else check_int(value, name, low=1, high=MAX_COUNT)


def audit_reported(
    percent_t: Any,
    n_t: Any,
    percent_c: Any,
    n_c: Any,
    p_reported: Any = None,
    *,
    test: AuditTest | Sequence[AuditTest] = AUDIT_TESTS,
    rounding: Rounding = "either",
    model_based: bool = False,
    p_other_test: bool = False,
) -> AuditResult:
    """Audit one printed comparison: can these percentages and this p-value come from whole counts?

    Parameters
    ----------
    percent_t, percent_c : str or float or None
        Printed responder percentages, treatment and control, preferably as text (``"25.4"``).
    n_t, n_c : int or None
        Arm sizes (whole numbers from 1 to 2**31 - 1); ``None`` (unknown) makes the verdict
        ``"indeterminate"``.
    p_reported : str or None
        The printed p (anything :func:`~fmtrials.parse_p` reads). ``None``: percentages only.
    test : str or sequence of str
        One or several of ``"chi2"``, ``"yates"``, ``"fisher"``, ``"score"`` (two-sided, from
        :func:`fmtrials.effects.proportions_test`; letter case ignored). Default: all four.
    rounding : {"either", "half_up", "half_even", "half_down"}
        Rounding rule for the percentages (see :func:`~fmtrials.grim`).
    model_based : bool
        Set when the percentages are model estimates (e.g. mixed models): the arithmetic is still done
        but the verdict is ``"indeterminate"``.
    p_other_test : bool
        Set when the printed p tests something else than the two proportions (e.g. a time-to-event
        comparison): p ranges are still computed but the printed p is not checked (``p_consistent`` None).

    Returns
    -------
    AuditResult
        ``verdict``: ``"inconsistent"`` when a percentage no count can produce, or when no test on any
        admissible pair of counts lands in the printed p interval; ``"indeterminate"`` when an arm size or a
        percentage is unknown (or ``model_based``); ``"consistent"`` otherwise.

    Examples
    --------
    The phase II row of the seed table as 15/41 vs 2/42 (evidence.md §4):

    >>> import fmtrials
    >>> r = fmtrials.audit_reported("37", 41, "5", 42, "<0.001", test="fisher")
    >>> r.verdict, r.events_t, r.events_c
    ('consistent', (15,), (2,))
    >>> r.explanation
    '37% = 15/41, 5% = 2/42; fisher p = 0.0003 for 15/41 vs 2/42 fits printed p <0.001 [0, 0.001)'
    >>> fmtrials.audit_reported("25.4", 224, "15.5", 223, "0.01").verdict
    'inconsistent'
    """
    tests = check_tests(test)
    rounding = choice(rounding, ROUNDING_RULES, "rounding")
    comp = Comparison(
        text_or_none(percent_t),
        _arm_size_or_none(n_t, "n_t"),
        text_or_none(percent_c),
        _arm_size_or_none(n_c, "n_c"),
        p_text_or_none(p_reported),
        bool(model_based),
        bool(p_other_test),
    )
    return audit_many([comp], cast(Any, tests), rounding)[0]

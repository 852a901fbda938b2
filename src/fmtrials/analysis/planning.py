"""Planning a confirmatory trial: the sample size each 2x2 test needs for the printed responder rates.

The printed composite-responder rates (e.g. 25.4% vs 15.5% at 100 mg/day) and the range of risk differences
the re-analysis of the printed percentages finds (:func:`fmtrials.reanalyse_reported`, every pair of counts
consistent with the printed percentages under each assumed pair of arm sizes) are turned into exact sample sizes
with :func:`fmtrials.sample_size`, per test, beside the normal approximation. This is the table a report section
on the next trial shows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .._validation import ARGUMENTS, check_alpha, check_number
from .._vocab import PROPORTIONS_TESTS, ProportionsTest, choice
from ..errors import DataError, Problem

__all__ = ["trial_plan", "PLAN_COLUMNS"]

#: columns of :func:`trial_plan`, in order
PLAN_COLUMNS = (
    "label",
    "source",
    "endpoint",
    "dose_mg_day",
    "basis",
    "p_t",
    "p_c",
    "difference",
    "test",
    "n_c_normal",
    "n_c",
    "power",
    "n_c_stable",
    "power_stable",
    "total_stable",
)


def _bases(rows: pd.DataFrame) -> list[tuple[str, float, float]]:
    """(basis, p_t, p_c) of one printed row: the printed rates, then the smallest and largest re-analysed
    differences (added to the printed control rate) when they differ from the printed one."""
    first = rows.iloc[0]
    p_t, p_c = float(first["percent_t"]) / 100.0, float(first["percent_c"]) / 100.0
    out = [("printed rates", p_t, p_c)]
    lo = pd.to_numeric(rows["estimate_min"], errors="coerce").dropna()
    hi = pd.to_numeric(rows["estimate_max"], errors="coerce").dropna()
    if len(lo) and len(hi):
        for name, d in (
            ("smallest re-analysed difference", float(lo.min())),
            ("largest re-analysed difference", float(hi.max())),
        ):
            if abs(p_c + d - p_t) > 5e-4:  # the printed difference rounded to 0.1 point is already there
                out.append((name, p_c + d, p_c))
    return out


def trial_plan(
    endpoint: str = "composite_3",
    *,
    tests: tuple[ProportionsTest, ...] = ("boschloo", "fisher", "chi2"),
    power: float = 0.8,
    alpha: float = 0.05,
    source: str | None = None,
    bases: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Sample size per arm (1:1, two-sided) a confirmatory trial needs for the printed rates of ``endpoint``.

    Parameters
    ----------
    endpoint : str
        An endpoint with printed percentages per arm in :func:`fmtrials.reanalyse_reported` (default the
        composite responder endpoint, ``composite_3``).
    tests : tuple of str
        Tests of :func:`fmtrials.proportions_test` to plan with (letter case ignored).
    power, alpha
        Target power, in (0, 1), and two-sided level.
    source : str, optional
        Only the printed rows of this source (e.g. ``SEED003``, the published composite table).
    bases : tuple of str, optional
        Only these bases (e.g. ``("printed rates",)``); default all three.

    Returns
    -------
    pandas.DataFrame
        One row per printed comparison (dose), basis and test, columns :data:`PLAN_COLUMNS`: ``label, source``
        (of the printed row), ``endpoint, dose_mg_day``; ``basis`` (``printed rates``, or the
        ``smallest``/``largest re-analysed difference`` added to the printed control rate, when it differs
        from the printed difference); ``p_t, p_c,
        difference``; ``test``; ``n_c_normal`` (normal approximation, R ``power.prop.test``, per arm);
        ``n_c, power`` (the smallest n per arm reaching the target) and ``n_c_stable, power_stable`` (the
        smallest n from which every n up to +10% keeps it, the lowest power there), ``total_stable``
        (2 x ``n_c_stable``): see :func:`fmtrials.sample_size`.

    Notes
    -----
    The exact searches decide most n from cheap bounds of the rejection region and share the regions of one
    process (:func:`fmtrials.sample_size`): Boschloo at about 260 per arm takes about a second, Fisher and
    chi-square a fraction of it, so the default three tests over the composite rows take several seconds;
    pass fewer ``tests``, a ``source`` or ``bases`` for a quick look.

    Examples
    --------
    >>> import fmtrials
    >>> plan = fmtrials.trial_plan(tests=("chi2",))
    >>> plan[plan["label"] == "Phase III"][["dose_mg_day", "p_t", "p_c", "n_c_normal", "n_c"]].head(1)
       dose_mg_day    p_t    p_c  n_c_normal  n_c
    1          100  0.254  0.155         260  257
    """
    from ..consistency import reanalyse_reported
    from ..effects.power import sample_size

    if isinstance(tests, str):
        tests = (tests,)
    methods = [choice(t, PROPORTIONS_TESTS, "tests") for t in tests]
    if not methods:
        raise DataError(Problem("name at least one test", file=ARGUMENTS, column="tests"))
    target = check_number(power, "power", low=0.0, high=1.0, inclusive=False)
    level = check_alpha(alpha)
    r = reanalyse_reported()
    sel = r[(r["endpoint"] == endpoint) & r["percent_t"].notna() & r["percent_c"].notna()]
    if source is not None:
        sel = sel[sel["source"] == source]
    sel = sel[pd.to_numeric(sel["percent_t"], errors="coerce").notna()]
    if sel.empty:
        known = sorted(set(r.loc[r["percent_t"].notna(), "endpoint"].dropna()))
        raise DataError(
            Problem(
                f"no printed percentages per arm for endpoint {endpoint!r}; endpoints with them: {', '.join(known)}",
                file=ARGUMENTS,
                column="endpoint",
            )
        )
    rows: list[dict[str, Any]] = []
    for _, group in sel.groupby(["row", "dose_mg_day"], sort=True):
        for basis, p_t, p_c in _bases(group):
            if bases is not None and basis not in bases:
                continue
            for m in methods:
                s = sample_size(p_t, p_c, power=target, test=m, alpha=level).iloc[0]
                rows.append(
                    {
                        "label": str(group["label"].iloc[0]),
                        "source": str(group["source"].iloc[0]),
                        "endpoint": endpoint,
                        "dose_mg_day": int(group["dose_mg_day"].iloc[0]),
                        "basis": basis,
                        "p_t": p_t,
                        "p_c": p_c,
                        "difference": p_t - p_c,
                        "test": m,
                        "n_c_normal": int(s["n_c_normal"]),
                        "n_c": int(s["n_c"]),
                        "power": float(s["power"]),
                        "n_c_stable": int(s["n_c_stable"]),
                        "power_stable": float(s["power_stable"]),
                        "total_stable": 2 * int(s["n_c_stable"]),
                    }
                )
    return pd.DataFrame(rows, columns=list(PLAN_COLUMNS))

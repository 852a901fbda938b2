"""The package's one formatter: numbers, p-values, intervals, levels and method labels.

Summaries, plots, the report and the audit all print through these functions, so a value prints the same
way everywhere. Rules:

* a number is fixed-point with ``digits`` decimals, never ``-0.00``; a missing or non-finite value prints
  as ``missing`` (``"NA"`` by default, the report passes ``"–"``), infinities as ``∞`` / ``-∞``;
* a p-value prints with 3 decimals, with 4 below 0.001, and as ``<0.0001`` below 0.0001 (so 0.00042 is
  ``0.0004``, 0.012 is ``0.012``); :func:`format_p` with ``prefix=True`` gives ``P = 0.012`` /
  ``P < 0.0001`` for figure footers;
* an interval is ``estimate [ci_low, ci_high]``.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "is_missing",
    "format_number",
    "format_p",
    "format_interval",
    "format_level",
    "rows_level",
    "measure_name",
    "pool_label",
    "MEASURE_NAMES",
]

MEASURE_NAMES = {
    "RR": "risk ratio",
    "OR": "odds ratio",
    "RD": "risk difference",
    "MD": "mean difference",
    "SMD": "standardised mean difference",
    "ROM": "ratio of means",
}
_METHOD_NAMES = {"MH": "Mantel–Haenszel", "IV": "inverse variance", "Peto": "Peto"}
_TEST_NAMES = {"z": "", "hksj": "HKSJ", "hksj-adhoc": "HKSJ ad hoc"}


def is_missing(x: Any) -> bool:
    """True for None, pandas NA and NaN (also for values that cannot be read as a number)."""
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def format_number(x: Any, digits: int = 2, *, missing: str = "NA") -> str:
    """``x`` with ``digits`` decimals (no ``-0.00``); ``missing`` for None/NaN; ``∞``/``-∞`` for infinities.

    Examples
    --------
    >>> format_number(-0.0004, 3), format_number(float("nan")), format_number(float("inf"), 1)
    ('0.000', 'NA', '∞')
    """
    if is_missing(x):
        return missing
    v = float(x)
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    s = f"{v:.{int(digits)}f}"
    if s.startswith("-") and float(s) == 0.0:
        s = s[1:]
    return s


def format_p(p: Any, *, prefix: bool = False, missing: str = "NA") -> str:
    """A p-value by the package's one rule (see the module docstring).

    Examples
    --------
    >>> [format_p(p) for p in (0.2, 0.012, 0.00042, 0.00001)]
    ['0.200', '0.012', '0.0004', '<0.0001']
    >>> format_p(0.00001, prefix=True), format_p(0.048, prefix=True)
    ('P < 0.0001', 'P = 0.048')
    """
    if is_missing(p):
        return f"P = {missing}" if prefix else missing
    v = float(p)
    if v < 1e-4:
        return "P < 0.0001" if prefix else "<0.0001"
    text = f"{v:.4f}" if v < 0.001 else f"{v:.3f}"
    return f"P = {text}" if prefix else text


def format_interval(estimate: Any, ci_low: Any, ci_high: Any, digits: int = 2, *, missing: str = "NA") -> str:
    """``estimate [ci_low, ci_high]``.

    Examples
    --------
    >>> format_interval(1.6377, 1.3859, 1.9351)
    '1.64 [1.39, 1.94]'
    """
    f = lambda v: format_number(v, digits, missing=missing)  # noqa: E731
    return f"{f(estimate)} [{f(ci_low)}, {f(ci_high)}]"


def format_level(alpha: float) -> str:
    """The confidence level of ``alpha`` as text: ``0.05 -> "95%"``, ``0.1 -> "90%"``."""
    return f"{100 * (1 - float(alpha)):g}%"


def rows_level(rows: Any, *, default: float = 0.05) -> str:
    """The confidence level of a table's intervals, from its recorded ``alpha`` column (``default`` for a table
    without one); a table mixing levels raises ``ValueError`` (its intervals cannot be described as one level).

    Examples
    --------
    >>> import pandas as pd
    >>> rows_level(pd.DataFrame({"alpha": [0.1, 0.1]})), rows_level(pd.DataFrame({"x": [1]}))
    ('90%', '95%')
    """
    alphas = sorted({float(a) for a in rows["alpha"] if not is_missing(a)}) if "alpha" in rows else []
    if len(alphas) > 1:
        raise ValueError(f"intervals at several levels: alpha {alphas}")
    return format_level(alphas[0] if alphas else default)


def measure_name(measure: str) -> str:
    """``"RR" -> "risk ratio"`` (the measure itself when unknown)."""
    return MEASURE_NAMES.get(str(measure).upper(), str(measure))


def pool_label(method: str, test: str = "z", tau2_method: str | None = None) -> str:
    """The one label of a pooled model, e.g. ``"Random-effects model (REML τ², HKSJ ad hoc)"``.

    Examples
    --------
    >>> pool_label("MH")
    'Common-effect model (Mantel–Haenszel)'
    >>> pool_label("REML", "hksj-adhoc")
    'Random-effects model (REML τ², HKSJ ad hoc)'
    >>> pool_label("REML", "z", tau2_method="DL")
    'Random-effects model (DL τ²)'
    >>> pool_label("MH-DL")
    'Random-effects model (Mantel–Haenszel, RevMan 5: DL τ² from the Cochrane Q)'
    """
    extra = _TEST_NAMES.get(test, str(test))
    if method == "MH-DL":
        inner = "Mantel–Haenszel, RevMan 5: DL τ² from the Cochrane Q" + (f", {extra}" if extra else "")
        return f"Random-effects model ({inner})"
    if method in _METHOD_NAMES:
        inner = _METHOD_NAMES[method] + (f", {extra}" if extra else "")
        return f"Common-effect model ({inner})"
    inner = f"{tau2_method or method} τ²" + (f", {extra}" if extra else "")
    return f"Random-effects model ({inner})"

"""The result of :func:`fmtrials.pool`: :class:`PoolResult` and its parts, complete at construction.

:class:`PoolResult` is a frozen dataclass: every field is set when it is made and never changed afterwards.
Heterogeneity, the prediction interval and the test for subgroup differences are nested frozen records
(:class:`Heterogeneity`, :class:`Prediction`, :class:`SubgroupTest`); :meth:`PoolResult.to_dict` is the one
serialiser and :meth:`PoolResult.summary_frame` the one table a forest plot draws.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._result import Interval, ResultMixin
from .._validation import check_alpha
from .._vocab import RATIO_MEASURES

__all__ = ["PoolResult", "Heterogeneity", "Prediction", "SubgroupTest", "Subgroups"]

_NAN = float("nan")


class Subgroups(Mapping):
    """A read-only mapping subgroup value -> :class:`PoolResult` (picklable, unlike ``MappingProxyType``)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[Any, PoolResult] | None = None) -> None:
        self._items = dict(items or {})

    def __getitem__(self, key: Any) -> PoolResult:
        return self._items[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Subgroups({list(self._items)!r})"

    def __reduce__(self) -> tuple:
        return (Subgroups, (self._items,))


@dataclass(frozen=True)
class Heterogeneity(ResultMixin):
    """Heterogeneity of one analysis.

    One I² for every model: ``i2`` is the Q-based I² of Higgins & Thompson (2002), ``100 max(0, (Q - df) / Q)``
    (RevMan's, and metafor's for common-effect models). metafor's τ²-based I² of a random-effects model
    (``100 τ² / (τ² + s²)``, s² the typical within-study variance) is the separately named ``i2_tau2``; the two
    differ when τ̂² is truncated at 0 while Q exceeds its df, or with any estimator other than DL.

    Attributes
    ----------
    q, q_df, q_p : float, int, float
        Cochran's Q (MH: inverse-variance Q around the MH estimate; Peto: Peto's Q), its df (k - 1) and p-value.
    i2 : float
        The Q-based I² in percent (0 when Q = 0), whatever the model.
    i2_tau2 : float
        metafor's τ²-based I² in percent for random-effects models (``rma.uni``'s ``I2``); NaN for common-effect
        models, which estimate no τ².
    h2 : float
        H² as metafor reports it: ``τ²/s² + 1`` for random-effects models, ``Q / df`` otherwise.
    tau2, tau2_ci_low, tau2_ci_high : float
        tau² (0 for common-effect models) and its Q-profile CI (NaN for common-effect models and k < 2).
    i2_tau2_ci_low, i2_tau2_ci_high : float
        The CI of ``i2_tau2`` from the tau² CI bounds (``confint.rma.uni``); NaN for common-effect models.
    estimable : bool
        False when k < 2 or Q is undefined (e.g. MH with no events in any control arm); then ``q``, ``q_p``,
        ``i2``, ``i2_tau2`` and ``h2`` are NaN, never 0.

    Examples
    --------
    >>> import pandas as pd
    >>> from fmtrials import pool
    >>> t = pd.DataFrame({"study": ["A", "B", "C"], "events_t": [73, 189, 18], "n_t": [224, 516, 85],
    ...                   "events_c": [24, 106, 6], "n_c": [112, 509, 21]})
    >>> h = pool(t, method="REML").heterogeneity
    >>> round(h.q, 2), round(h.i2, 1), round(h.i2_tau2, 1)
    (4.46, 55.2, 53.0)
    """

    q: float
    q_df: int
    q_p: float
    i2: float
    i2_tau2: float
    h2: float
    tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    i2_tau2_ci_low: float
    i2_tau2_ci_high: float
    estimable: bool

    @property
    def i2_q(self) -> float:
        """The Q-based I², the same as :attr:`i2` (the name of earlier versions, kept as an alias)."""
        return self.i2


@dataclass(frozen=True)
class Prediction(ResultMixin):
    """Prediction interval (reporting scale): ``dist`` "t(k-2)", "z", "t(k-1)" or "none"; ``method`` "hts" or
    "metafor". NaN bounds when undefined (common-effect models; k < 3 for "hts")."""

    pi_low: float
    pi_high: float
    dist: str
    method: str


@dataclass(frozen=True)
class SubgroupTest(ResultMixin):
    """Test for subgroup differences: Q_between on ``df`` = J - 1 degrees of freedom and its p-value."""

    q: float
    df: int
    p: float


def crit(alpha: float, dist: str, df: float | None) -> float:
    """Two-sided critical value of z or t(df) at level 1 - alpha."""
    if dist == "t":
        return float(special.stdtrit(df, 1 - alpha / 2)) if df and df > 0 else _NAN
    return float(-special.ndtri(alpha / 2))


def back(x: Any, measure: str) -> Any:
    """Analysis scale -> reporting scale (exp for ratio measures)."""
    return np.exp(x) if measure in RATIO_MEASURES else x


def _json(x: Any) -> Any:
    """``x`` as plain JSON: NaN/inf -> None, numpy scalars -> Python, tuples -> lists."""
    if isinstance(x, dict):
        return {str(k): _json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    if x is None or isinstance(x, str):
        return x
    if x is pd.NA:
        return None
    return str(x)


@dataclass(frozen=True, eq=False)
class PoolResult(ResultMixin):
    """Result of :func:`~fmtrials.pool`: the pooled effect, heterogeneity, per-study table and every choice.

    Attributes
    ----------
    measure : {"RR", "OR", "RD"}
    method : {"MH", "IV", "Peto", "DL", "REML", "PM", "MH-DL"}
        ``"MH-DL"``: RevMan 5's "M-H, Random" (DL tau² from the Q around the MH estimate); its ``heterogeneity.q``
        is that Q (RevMan's Chi²).
    model : {"common", "random"}
    test : {"z", "hksj", "hksj-adhoc"}
        The test actually applied ("z" when HKSJ was asked for with k < 2, with a note).
    k : int
        Number of studies pooled (excluded double-zero studies are not counted). For ``"MH"`` every table, as
        ``rma.mh``'s k: double-zero tables stay in the MH sums; ``heterogeneity.q_df`` counts only the studies
        with a per-study effect.
    alpha : float
    estimate, ci_low, ci_high : float
        Pooled effect and its (1 - alpha) CI on the reporting scale (ratio for RR/OR).
    p_value : float
        Two-sided p-value of the test of no effect.
    beta, se, statistic : float
        Pooled effect, SE and z or t statistic on the analysis scale (log for RR/OR).
    stat_dist : {"z", "t"}
    df : float or None
        Degrees of freedom of the t statistic (HKSJ: k - 1); None for z.
    tau2_method : str or None
        tau² estimator used ("DL" after a REML fallback); None for common-effect models.
    by : str or None
    zero_cell : str
        The zero-cell rule applied, in words.
    corrected, excluded, notes : tuple of str
        Labels of studies given the 0.5 correction / excluded (double-zero); anything the reader must know.
    heterogeneity : Heterogeneity
    prediction : Prediction
    subgroups : Mapping
        Read-only mapping subgroup value -> PoolResult (empty without ``by``).
    subgroup_test : SubgroupTest or None
    event : {"beneficial", "harmful"} or None
        The direction the pooled table stated in its ``direction`` column (None without one); read by
        :func:`fmtrials.plot_forest` when no ``event`` is given.
    studies : DataFrame
        ``study, label, [by], events_t, n_t, events_c, n_c, yi, vi, estimate, ci_low, ci_high, weight,
        included, corrected`` (per-study z CI on the reporting scale; ``weight`` percent of this analysis).
    """

    measure: str
    method: str
    model: str
    test: str
    k: int
    alpha: float
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    beta: float
    se: float
    statistic: float
    stat_dist: str
    df: float | None
    tau2_method: str | None
    by: str | None
    zero_cell: str
    corrected: tuple[str, ...]
    excluded: tuple[str, ...]
    notes: tuple[str, ...]
    heterogeneity: Heterogeneity
    prediction: Prediction
    _studies: pd.DataFrame = field(repr=False)
    subgroups: Mapping[Any, PoolResult] = field(default_factory=Subgroups, repr=False)
    subgroup_test: SubgroupTest | None = None
    event: str | None = None

    # ------------------------------------------------------------------------------------------ access
    @property
    def studies(self) -> pd.DataFrame:
        """The per-study table (see the class docstring for its columns; :meth:`to_frame` gives a copy)."""
        return self._studies

    @property
    def ratio(self) -> bool:
        """True when the reporting scale is a ratio (RR, OR)."""
        return self.measure in RATIO_MEASURES

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`studies`."""
        return self._studies.copy()

    def conf_int(self, alpha: float | None = None) -> Interval:
        """CI of the pooled effect on the reporting scale at level 1 - ``alpha`` (default: the result's).

        Uses the result's own test: z, or t(k - 1) with the HKSJ standard error. An
        :class:`~fmtrials._result.Interval`: the tuple ``(ci_low, ci_high)`` with ``estimate``, ``ci_low``,
        ``ci_high`` and ``level`` named.
        """
        a = self.alpha if alpha is None else check_alpha(alpha)
        cr = crit(a, self.stat_dist, self.df)
        return Interval(
            self.estimate,
            float(back(self.beta - cr * self.se, self.measure)),
            float(back(self.beta + cr * self.se, self.measure)),
            1 - a,
        )

    def to_dict(self) -> dict[str, Any]:
        """Every field and method choice as a JSON-safe dict (NaN -> None); the one serialiser.

        ``heterogeneity``, ``prediction`` and ``subgroup_test`` are nested dicts, ``subgroups`` maps the
        subgroup value (as text) to its own ``to_dict()``, ``studies`` is a list of records.
        """
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("_studies", "subgroups", "heterogeneity", "prediction", "subgroup_test"):
                continue
            out[f.name] = getattr(self, f.name)
        out["heterogeneity"] = {f.name: getattr(self.heterogeneity, f.name) for f in fields(Heterogeneity)}
        out["prediction"] = {f.name: getattr(self.prediction, f.name) for f in fields(Prediction)}
        st = self.subgroup_test
        out["subgroup_test"] = None if st is None else {"q": st.q, "df": st.df, "p": st.p}
        out = _json(out)
        out["subgroups"] = {str(g): r.to_dict() for g, r in self.subgroups.items()}
        out["studies"] = [_json(r) for r in self._studies.to_dict(orient="records")]
        return out

    # -------------------------------------------------------------------------------------------- text
    def summary_frame(self) -> pd.DataFrame:
        """One row per line of a forest plot: study rows, subgroup subtotals, the total.

        Columns ``row_type, group, label, events_t, n_t, events_c, n_c, estimate, ci_low, ci_high, weight, k,
        included, p_value, q, q_df, q_p, i2, tau2, pi_low, pi_high`` (see :func:`~fmtrials.pool`).
        """
        from ._render import summary_frame

        return summary_frame(self)

    def summary(self) -> str:
        """Plain-text summary in the spirit of metafor's ``print.rma``."""
        from ._render import summary_text

        return summary_text(self)

    def _repr_html_(self) -> str:
        from ._render import summary_html

        return summary_html(self)

"""Continuous endpoints (issue 25): each endpoint of a user continuous outcomes table pooled as mean and
standardised mean differences by the report's model policy, with the SD that re-expresses the SMD in the units of
the scale (Cochrane Handbook §15.5.3.1): :func:`analyse_continuous`.

The model is :func:`~fmtrials.analysis.resolve_main_model`'s (the main model for k >= 3, the common-effect model
below; a named ``method``/``test`` applies); Mantel-Haenszel and Peto, which pool 2x2 tables, become inverse
variance. The typical SD is the endpoint's ``typical_sd`` when the table gives one, else the pooled SD of the
largest study (first of ties), a representative study as the Handbook suggests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._result import ResultMixin
from .._vocab import PoolMethod, PoolTest
from ..meta import pool
from ..meta.result import PoolResult
from .policy import requested_model, resolve_main_model

__all__ = ["ContinuousEndpoint", "analyse_continuous", "pooled_sd", "BUNDLED_SCALES", "MEASE_N"]

#: a typical SD of each bundled scale: the baseline SDs of Mease 2009 Table 1 (source M09-T1), placebo, 100 and
#: 200 mg/day, to be pooled over the arm sizes :data:`MEASE_N`
BUNDLED_SCALES = (
    ("Pain, paper VAS 24-h recall (0–100)", (15.1, 16.0, 16.3)),
    ("FIQ total (0–100)", (13.4, 13.7, 14.4)),
)
MEASE_N = (223, 224, 441)


def pooled_sd(sds: Sequence[float], ns: Sequence[float]) -> float:
    """sqrt(sum (n - 1) SD² / sum (n - 1)): the arms' SDs pooled.

    Examples
    --------
    >>> round(pooled_sd((15.1, 16.0, 16.3), (223, 224, 441)), 3)
    15.931
    """
    s, n = np.asarray(sds, dtype=float), np.asarray(ns, dtype=float)
    return float(math.sqrt(float(((n - 1) * s**2).sum()) / float((n - 1).sum())))


@dataclass(frozen=True, eq=False)
class ContinuousEndpoint(ResultMixin):
    """One continuous endpoint: its table, the pooled MD and SMD, and the typical SD of the scale.

    ``to_frame()``: one row per measure (``MD``, ``SMD``, ``SMD in units``: the SMD times the typical SD) with
    ``estimate, ci_low, ci_high, p_value, k``; ``summary()`` in words; every method choice in ``to_dict()``.
    """

    endpoint: str
    table: pd.DataFrame
    method: PoolMethod
    test: PoolTest
    md: PoolResult
    smd: PoolResult
    typical_sd: float
    typical_from: str  # "given" (typical_sd column) or the study whose pooled SD it is
    typical_source: str
    unit: str
    direction: str | None

    def to_frame(self) -> pd.DataFrame:
        """The pooled MD, SMD and the SMD re-expressed in the scale's units, a row each."""
        sd = self.typical_sd
        rows = [
            ("MD", self.md.estimate, self.md.ci_low, self.md.ci_high, self.md.p_value),
            ("SMD", self.smd.estimate, self.smd.ci_low, self.smd.ci_high, self.smd.p_value),
            ("SMD in units", self.smd.estimate * sd, self.smd.ci_low * sd, self.smd.ci_high * sd, self.smd.p_value),
        ]
        out = pd.DataFrame(rows, columns=["measure", "estimate", "ci_low", "ci_high", "p_value"])
        return out.assign(endpoint=self.endpoint, k=self.md.k, method=self.method, test=self.test)

    def summary(self) -> str:
        """The endpoint, its model and the three estimates with their intervals."""
        from .._format import format_interval, format_p, pool_label

        lines = [f"ContinuousEndpoint {self.endpoint}: k = {self.md.k}, {pool_label(self.method, self.test)}"]
        for r in self.to_frame().itertuples():
            lines.append(
                f"  {r.measure}: {format_interval(r.estimate, r.ci_low, r.ci_high, 3)}, p {format_p(r.p_value)}"
            )
        lines.append(
            f"  typical SD {self.typical_sd:.4g} ({self.typical_from}); direction: {self.direction or 'not stated'}"
        )
        return "\n".join(lines)


def _model(k: int, method: str | None, test: str | None) -> tuple[PoolMethod, PoolTest]:
    model, _ = resolve_main_model(k, requested_model(method, test, "OR"))  # type: ignore[arg-type]
    if model.method in ("MH", "Peto"):
        return "IV", "z"
    return ("DL", model.test) if model.method == "MH-DL" else (model.method, model.test)


def _first(table: pd.DataFrame, col: str) -> object:
    if col not in table or not table[col].notna().any():
        return None
    return table[col].dropna().iloc[0]


def analyse_continuous(
    table: pd.DataFrame, *, method: PoolMethod | None = None, test: PoolTest | None = None
) -> list[ContinuousEndpoint]:
    """Every endpoint of a validated continuous table (:func:`fmtrials.read_continuous`), in table order.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"study": ["A", "B", "C"], "endpoint": "pain", "mean_t": [-20.0, -18.0, -25.0],
    ...                   "sd_t": [22.0, 24.5, 20.0], "n_t": [100, 120, 80], "mean_c": [-12.0, -11.0, -15.0],
    ...                   "sd_c": [23.0, 25.0, 21.0], "n_c": [98, 118, 82]})
    >>> (e,) = analyse_continuous(t)
    >>> e.method, e.test, round(e.md.estimate, 4), e.typical_from
    ('REML', 'hksj-adhoc', -8.3284, 'B')
    """
    out = []
    for endpoint in pd.unique(table["endpoint"]):
        t = table[table["endpoint"] == endpoint].reset_index(drop=True)
        m, s = _model(len(t), method, test)
        md = pool(t, measure="MD", method=m, test=s, warn_shared=False)
        smd = pool(t, measure="SMD", method=m, test=s, warn_shared=False)
        given = _first(t, "typical_sd")
        if given is not None:
            sd = float(t["typical_sd"].dropna().iloc[0])
            source = str(_first(t, "typical_sd_source") or "source not given")
            frm = "given"
        else:
            i = int(np.argmax((t["n_t"] + t["n_c"]).to_numpy(dtype=float)))
            r = t.iloc[i]
            sd, frm, source = pooled_sd((r.sd_t, r.sd_c), (r.n_t, r.n_c)), str(r.study), "the largest study"
        unit, direction = _first(t, "unit"), _first(t, "direction")
        out.append(
            ContinuousEndpoint(
                str(endpoint),
                t,
                m,
                s,
                md,
                smd,
                sd,
                frm,
                source,
                "" if unit is None else str(unit),
                None if direction is None else str(direction),
            )
        )
    return out

"""NetworkResult: the fitted network, its league table, P-scores, inconsistency and node-splitting."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._result import Interval, ResultMixin, render_html
from .._vocab import RATIO_MEASURES, Event, choice

__all__ = ["NetworkResult"]


@dataclass(repr=False)
class NetworkResult(ResultMixin):
    """A network meta-analysis (:func:`fmtrials.network_meta`).

    Attributes
    ----------
    treatments : list of str
        The treatments, sorted; ``reference`` is the one every ``beta`` is relative to.
    beta, cov : ndarray
        Effects of every treatment against ``reference`` on the analysis scale (log ratio, or RD) and their
        covariance (reference row and column zero).
    tau2 : float
        Between-study variance, one for every comparison (0 for ``method="common"``).
    q, q_df, q_p : float, int, float
        Cochrane's generalised Q of the common-effect model, its degrees of freedom and p-value.
    decomposition : dict
        Design-by-treatment decomposition of ``q`` (common effect): ``q_within`` (heterogeneity within designs,
        summed over designs with two or more studies), ``q_between`` (inconsistency between designs), their
        ``df`` and p-values, and per design.
    """

    treatments: list[str]
    reference: str
    measure: str
    method: str
    alpha: float
    beta: np.ndarray
    cov: np.ndarray
    tau2: float
    q: float
    q_df: int
    q_p: float
    decomposition: dict[str, Any]
    k: int
    studies: list[str]
    designs: dict[str, list[str]]
    n_patients: dict[str, float]
    event: str | None = None
    dropped: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)
    _direct: dict[tuple[str, str], tuple[float, float, int]] = field(default_factory=dict)

    # ------------------------------------------------------------------------------------------ helpers
    def _i(self, t: str) -> int:
        return self.treatments.index(t)

    def _diff(self, a: str, b: str) -> tuple[float, float]:
        i, j = self._i(a), self._i(b)
        v = self.cov[i, i] + self.cov[j, j] - 2 * self.cov[i, j]
        return float(self.beta[i] - self.beta[j]), math.sqrt(max(v, 0.0))

    def _show(self, x: float) -> float:
        return math.exp(x) if self.measure in RATIO_MEASURES else x

    # ------------------------------------------------------------------------------------------ tables
    def league(self) -> pd.DataFrame:
        """Every ordered pair of treatments: ``treatment, versus, estimate, ci_low, ci_high, se, z, p, pi_low,
        pi_high`` (ratios on the ratio scale, ``se`` on the log scale; prediction interval metafor's:
        ``estimate ± z · sqrt(se² + tau²)``)."""
        crit = stats.norm.isf(self.alpha / 2)
        rows = []
        for a in self.treatments:
            for b in self.treatments:
                if a == b:
                    continue
                est, se = self._diff(a, b)
                half, pih = crit * se, crit * math.sqrt(se * se + self.tau2)
                z = est / se if se > 0 else math.nan
                rows.append(
                    {
                        "treatment": a,
                        "versus": b,
                        "estimate": self._show(est),
                        "ci_low": self._show(est - half),
                        "ci_high": self._show(est + half),
                        "se": se,
                        "z": z,
                        "p": float(2 * stats.norm.sf(abs(z))) if se > 0 else math.nan,
                        "pi_low": self._show(est - pih),
                        "pi_high": self._show(est + pih),
                    }
                )
        return pd.DataFrame(rows)

    def relative_effects(self, *, reference: str | None = None) -> pd.DataFrame:
        """Every treatment against ``reference`` (default the network's): the league rows ``versus == reference``."""
        ref = self.reference if reference is None else reference
        if ref not in self.treatments:
            from ..errors import DataError, Problem

            raise DataError(Problem(f"treatment '{ref}' is not in the network", file="<arguments>", column="reference"))
        lg = self.league()
        return lg[lg["versus"] == ref].reset_index(drop=True)

    def conf_int(self, alpha: float | None = None) -> dict[str, Interval]:
        """Each treatment's interval against the reference, named (:class:`~fmtrials._result.Interval`)."""
        if alpha is not None and not math.isclose(float(alpha), self.alpha):
            from ..errors import DataError, Problem

            raise DataError(Problem(f"this result is at alpha = {self.alpha:g}", file="<arguments>", column="alpha"))
        return {
            r.treatment: Interval(r.estimate, r.ci_low, r.ci_high, 1 - self.alpha)
            for r in self.relative_effects().itertuples()
        }

    def p_scores(self, *, event: Event | None = None) -> pd.DataFrame:
        """P-scores (Rücker & Schwarzer 2015, BMC Med Res Methodol 15:58): for each treatment the mean over the
        others of ``Φ((θ_i - θ_j) / se_ij)``, oriented so that 1 is best: with ``event="beneficial"`` a larger
        effect is better, with ``"harmful"`` a smaller. A ranking summarises point estimates and their
        precision; it is not a measure of how large or certain any difference is."""
        ev = event if event is not None else self.event
        if ev is None:
            from ..errors import DataError, Problem

            raise DataError(
                Problem("say whether the event is beneficial or harmful (event=)", file="<arguments>", column="event")
            )
        ev = choice(ev, ("beneficial", "harmful"), "event")
        sign = 1.0 if ev == "beneficial" else -1.0
        out = []
        for a in self.treatments:
            ps = []
            for b in self.treatments:
                if a != b:
                    est, se = self._diff(a, b)
                    ps.append(float(stats.norm.cdf(sign * est / se)))
            out.append({"treatment": a, "p_score": float(np.mean(ps))})
        return pd.DataFrame(out).sort_values("p_score", ascending=False, kind="mergesort").reset_index(drop=True)

    def split(self) -> pd.DataFrame:
        """Direct against indirect evidence for every comparison with both: netmeta ``netsplit(method =
        "Back-calculation")`` (SIDE by back-calculation: Dias et al. 2010, Stat Med 29:932-944; König, Krahn &
        Binder 2013, Stat Med 32:5414-5429), named in the ``method`` column (``"back-calculation"``).

        ``direct``: inverse-variance pooling of the ``treatment``-versus-``versus`` contrasts of every study
        that holds both, a multi-arm study with its own contrast of the two arms, each with variance
        ``v_treatment + v_versus + tau²`` (the network's tau²; netmeta's ``TE.direct``, R/nma.ruecker.R);
        ``direct_share`` = ``V_nma / V_direct`` (netmeta's direct evidence proportion, ``netmeasures()``);
        ``indirect`` = ``(nma - share · direct) / (1 - share)`` with variance ``V_nma / (1 - share)``;
        ``diff`` = direct - indirect with variance ``V_direct + V_indirect``, its z and two-sided p. netmeta's
        formulas (R/netmeta.R), multi-arm trials included: equal to netsplit's printed output for the
        Parkinson network of Balduzzi et al. 2023 (J Stat Softw 106(2), section 5.1; a three-arm trial) and to
        an R implementation on metafor's fits (tests/r/network_split_reference.R). A multi-arm trial holding
        both treatments informs the direct estimate and, through its other arms, the network estimate, so its
        direct and indirect estimates are not fully independent (as in netmeta). Comparisons whose evidence is
        all direct (no indirect path) are left out. Effects on the analysis scale (log ratio for RR/OR).
        """
        crit = stats.norm.isf(self.alpha / 2)
        rows = []
        for (a, b), (d, vd, k) in sorted(self._direct.items()):
            nma, se = self._diff(a, b)
            vn = se * se
            if not vd > vn * (1 + 1e-9):
                continue
            vi = 1 / (1 / vn - 1 / vd)
            ind = vi * (nma / vn - d / vd)
            diff, sdiff = d - ind, math.sqrt(vd + vi)
            z = diff / sdiff
            rows.append(
                {
                    "treatment": a,
                    "versus": b,
                    "method": "back-calculation",
                    "k_direct": k,
                    "nma": nma,
                    "nma_se": se,
                    "direct": d,
                    "direct_se": math.sqrt(vd),
                    "indirect": ind,
                    "indirect_se": math.sqrt(vi),
                    "direct_share": vn / vd,
                    "diff": diff,
                    "diff_low": diff - crit * sdiff,
                    "diff_high": diff + crit * sdiff,
                    "diff_se": sdiff,
                    "z": z,
                    "p": float(2 * stats.norm.sf(abs(z))),
                }
            )
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------------------------------ protocol
    def to_frame(self) -> pd.DataFrame:
        """The league table (every ordered pair)."""
        return self.league()

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.pop("direct", None)
        return d

    def summary(self) -> str:
        from .._format import format_number as f

        scale = {
            "RR": "risk ratio",
            "OR": "odds ratio",
            "RD": "risk difference",
            "MD": "mean difference",
            "SMD": "standardised mean difference",
        }[self.measure]
        lines = [
            f"Network meta-analysis ({self.method}, {scale}): {len(self.treatments)} treatments, {self.k} studies, "
            f"{len(self.designs)} designs; reference {self.reference}",
            f"  tau² = {f(self.tau2, 4)}; Q = {f(self.q, 2)} on {self.q_df} df (p = {f(self.q_p, 4)})",
            f"  within designs Q = {f(self.decomposition['q_within'], 2)} on {self.decomposition['q_within_df']} df; "
            f"between designs (inconsistency) Q = {f(self.decomposition['q_between'], 2)} on "
            f"{self.decomposition['q_between_df']} df (p = {f(self.decomposition['q_between_p'], 4)})",
        ]
        for r in self.relative_effects().itertuples():
            lines.append(f"  {r.treatment} vs {r.versus}: {f(r.estimate, 3)} ({f(r.ci_low, 3)} to {f(r.ci_high, 3)})")
        if self.dropped:
            lines.append(f"  dropped (no events in any arm, or all events): {', '.join(self.dropped)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return render_html("networkresult", text=self.summary(), frame=self.relative_effects())

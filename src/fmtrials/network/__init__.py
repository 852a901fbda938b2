"""Network meta-analysis: several treatments compared through a connected network of trials.

:func:`network_meta` fits the model R netmeta fits and R metafor fits with
``rma.mv(yi, V, mods = X, random = ~ comp | study, struct = "CS", rho = 1/2)``: every study's contrasts against
its first arm with their within-study covariance, one between-study variance for every comparison (correlation
1/2 between contrasts sharing an arm), consistency. Inputs: arm-level counts (RR, OR, RD), arm-level means (MD,
SMD; :mod:`._means`) or contrasts (two-arm, or every pair of a multi-arm study's arms; :mod:`._contrasts`).
Results at metafor parity (tests/r/network_reference.R, tests/r/network_split_reference.R) and, for DL and
``split()``, equal to netmeta's published output (tests/test_network_continuous.py).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_alpha
from .._vocab import (
    CONTINUOUS_MEASURES,
    EVENTS,
    MEASURES,
    NETWORK_MEASURES,
    NETWORK_METHODS,
    Disconnected,
    Event,
    NetworkMeasure,
    NetworkMethod,
    choice,
)
from ..errors import DataError, Problem
from . import _build, _fit, _means
from .result import NetworkResult

__all__ = ["network_meta", "NetworkResult"]


def _decomposition(blocks: _build.Blocks, q: float, q_df: int) -> dict[str, Any]:
    by: dict[str, list[int]] = {}
    for i, a in enumerate(blocks.arms):
        by.setdefault(":".join(sorted(blocks.treatments[j] for j in a)), []).append(i)
    per, qw, dfw = {}, 0.0, 0
    for name, idx in sorted(by.items()):
        if len(idx) < 2:
            continue
        sub = _build.Blocks(
            treatments=blocks.treatments,
            studies=[blocks.studies[i] for i in idx],
            arms=[blocks.arms[i] for i in idx],
            y=[blocks.y[i] for i in idx],
            V=[blocks.V[i] for i in idx],
        )
        local = sorted({int(j) for i in idx for j in blocks.arms[i]})
        remap = {t: n for n, t in enumerate(local)}
        sub.treatments = [blocks.treatments[t] for t in local]
        sub.arms = [np.array([remap[int(j)] for j in a]) for a in sub.arms]
        f = _fit.fit(sub, 0, "common")
        per[name] = {"q": f.q, "q_df": f.q_df, "studies": sub.studies}
        qw += f.q
        dfw += f.q_df
    qb, dfb = q - qw, q_df - dfw
    return {
        "q_within": qw,
        "q_within_df": dfw,
        "q_within_p": float(stats.chi2.sf(qw, dfw)) if dfw > 0 else math.nan,
        "q_between": qb,
        "q_between_df": dfb,
        "q_between_p": float(stats.chi2.sf(qb, dfb)) if dfb > 0 else math.nan,
        "designs": per,
    }


def _direct(blocks: _build.Blocks, tau2: float) -> dict[tuple[str, str], tuple[float, float, int]]:
    """Per pair (a, b), a < b: inverse-variance pooled direct contrast a - b (variance + tau²) and its k."""
    acc: dict[tuple[str, str], list[float]] = {}
    for a, y, V in zip(blocks.arms, blocks.y, blocks.V):
        th = np.concatenate([[0.0], y])
        arm_v = np.concatenate([[0.0], np.diag(V)])
        for i in range(len(a)):
            for j in range(len(a)):
                ta, tb = blocks.treatments[a[i]], blocks.treatments[a[j]]
                if ta >= tb:
                    continue
                if i == 0 or j == 0:
                    v = arm_v[max(i, j)]
                else:
                    v = arm_v[i] + arm_v[j] - 2 * V[i - 1, j - 1]
                w = 1 / (v + tau2)
                s = acc.setdefault((ta, tb), [0.0, 0.0, 0])
                s[0] += w * (th[i] - th[j])
                s[1] += w
                s[2] += 1
    return {k: (s[0] / s[1], 1 / s[1], int(s[2])) for k, s in acc.items()}


def network_meta(
    arms: pd.DataFrame,
    *,
    measure: NetworkMeasure | None = None,
    reference: str = "placebo",
    method: NetworkMethod = "REML",
    event: Event | None = None,
    alpha: float = 0.05,
    disconnected: Disconnected = "raise",
) -> NetworkResult | dict[str, NetworkResult]:
    """Network meta-analysis of arm-level counts or means (or two-arm contrasts) against ``reference``.

    Parameters
    ----------
    arms : DataFrame
        One row per arm, ``study, treatment, events, n`` (a binary outcome) or ``study, treatment, mean, sd, n``
        (a continuous outcome); or published contrasts, ``study, treatment, versus, yi, se`` (``yi`` the effect
        of ``treatment`` against ``versus`` on the analysis scale: a log ratio for RR/OR, a difference for
        RD/MD/SMD), one row per two-arm study and every pair of arms of a multi-arm study (netmeta's input;
        the covariance derived from the pairwise variances as netmeta's ``multiarm()``).
    measure : {"RR", "OR", "RD", "MD", "SMD"}, optional
        Effect measure: RR, OR or RD for counts (default RR), MD or SMD for means (default MD; SMD, Hedges'
        g as metafor ``escalc``, for two-arm studies only, see :mod:`fmtrials.network._means`), any for
        contrasts (default RR; it says how ``yi`` is shown).
    reference : str
        The treatment every effect is reported against (letter case as in the data).
    method : {"REML", "DL", "common"}
        Between-study variance: REML (metafor ``rma.mv``), DerSimonian-Laird generalised (netmeta's default),
        or none (common effect, generalised least squares).
    event : {"beneficial", "harmful"}, optional
        Direction of the event, for P-scores; for a continuous outcome, "beneficial" when larger values are
        better, "harmful" when smaller values are (netmeta ``small.values = "undesirable"`` / ``"desirable"``).
    alpha : float
        Intervals at ``1 - alpha``.
    disconnected : {"raise", "each"}
        A disconnected network is refused naming its components, or (``"each"``) every component is analysed
        and a dict ``{component's reference: NetworkResult}`` returned.

    Examples
    --------
    >>> import pandas as pd
    >>> arms = pd.DataFrame({"study": ["s1", "s1", "s2", "s2", "s3", "s3"],
    ...                      "treatment": ["placebo", "A", "placebo", "B", "A", "B"],
    ...                      "events": [10, 20, 12, 18, 15, 14], "n": [50, 50, 60, 60, 40, 40]})
    >>> res = network_meta(arms, method="common")
    >>> res.relative_effects()[["treatment", "versus"]].values.tolist()
    [['A', 'placebo'], ['B', 'placebo']]
    >>> round(res.q_df), res.tau2
    (1, 0.0)
    """
    method = choice(method, NETWORK_METHODS, "method")
    disconnected = choice(disconnected, ("raise", "each"), "disconnected")
    if event is not None:
        event = choice(event, EVENTS, "event")
    alpha = check_alpha(alpha)
    if not isinstance(arms, pd.DataFrame):
        raise DataError(Problem("arms must be a DataFrame", file="<arguments>", column="arms"))
    contrast = "versus" in arms.columns and "events" not in arms.columns and "mean" not in arms.columns
    means = not contrast and "mean" in arms.columns and "events" not in arms.columns
    allowed = NETWORK_MEASURES if contrast else CONTINUOUS_MEASURES[:2] if means else MEASURES
    measure = choice("MD" if measure is None and means else "RR" if measure is None else measure, allowed, "measure")
    if contrast:
        blocks = _build.from_contrasts(arms)
    else:
        blocks = _means.from_means(arms, measure) if means else _build.from_arms(arms, measure)
    used = {blocks.treatments[int(j)] for a in blocks.arms for j in a}
    unused = [t for t in blocks.treatments if t not in used]
    if unused:
        raise DataError(
            Problem(
                f"treatment {', '.join(repr(t) for t in unused)} is only in studies dropped for having no events "
                f"(or only events) in every arm ({', '.join(blocks.dropped)}): nothing to estimate",
                file="<DataFrame>",
                column="treatment",
            )
        )
    if reference not in blocks.treatments:
        raise DataError(
            Problem(
                f"reference treatment '{reference}' is not in the network (treatments: {', '.join(blocks.treatments)})",
                file="<arguments>",
                column="reference",
            )
        )
    comps = _build.components(blocks)
    if len(comps) > 1:
        if disconnected == "raise":
            shown = "; ".join("{" + ", ".join(c) + "}" for c in comps)
            raise DataError(
                Problem(
                    f"the network is disconnected: {len(comps)} components {shown}; no comparison between them is "
                    "possible (disconnected='each' analyses each component)",
                    file="<DataFrame>",
                    column="treatment",
                )
            )
        out = {}
        for c in comps:
            ref = reference if reference in c else c[0]
            out[ref] = _one(_build.subset(blocks, c), ref, measure, method, event, alpha)
        return out
    return _one(blocks, reference, measure, method, event, alpha)


def _one(blocks: _build.Blocks, reference: str, measure: str, method: str, event: Any, alpha: float) -> NetworkResult:
    ref = blocks.treatments.index(reference)
    f = _fit.fit(blocks, ref, method)
    designs: dict[str, list[str]] = {}
    for s, a in zip(blocks.studies, blocks.arms):
        designs.setdefault(":".join(sorted(blocks.treatments[j] for j in a)), []).append(s)
    return NetworkResult(
        treatments=list(blocks.treatments),
        reference=reference,
        measure=measure,
        method=method,
        alpha=alpha,
        beta=f.beta,
        cov=f.cov,
        tau2=f.tau2,
        q=f.q,
        q_df=f.q_df,
        q_p=float(stats.chi2.sf(f.q, f.q_df)) if f.q_df > 0 else math.nan,
        decomposition=_decomposition(blocks, f.q, f.q_df),
        k=len(blocks.studies),
        studies=list(blocks.studies),
        designs=designs,
        n_patients=dict(blocks.n_patients),
        event=event,
        dropped=list(blocks.dropped),
        corrected=list(blocks.corrected),
        _direct=_direct(blocks, f.tau2),
    )

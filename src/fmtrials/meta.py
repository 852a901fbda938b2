"""Meta-analysis of 2x2 tables (treatment vs placebo) at R metafor parity.

:func:`pool` pools risk ratios (RR), odds ratios (OR) or risk differences (RD) over studies with a
common-effect model (Mantel-Haenszel ``"MH"``, inverse variance ``"IV"``, Peto ``"Peto"``) or a random-effects
model (tau² estimators ``"DL"``, ``"REML"``, ``"PM"``, optionally with the Hartung-Knapp-Sidik-Jonkman
(HKSJ) interval), with heterogeneity statistics, a Q-profile CI for tau² and I², a prediction interval,
subgroups with the test for subgroup differences, and :func:`leave_one_out` / :func:`cumulative` analyses.

Conventions (each one is recorded in the result)
-----------------------------------------------
* **Orientation**: effects are treatment over (or minus) control: columns ``events_t, n_t`` vs
  ``events_c, n_c``. Ratios are analysed on the log scale; ``estimate``, ``ci_low``, ``ci_high``, ``pi_low``,
  ``pi_high`` are reported on the ratio scale for RR and OR; ``beta``, ``se``, ``statistic`` and ``p_value``
  are on the analysis (log) scale.
* **Zero cells** (as metafor ``escalc(add=1/2, to="only0")`` and RevMan): 0.5 is added to all four cells of a
  study with any zero cell for its per-study effect and variance (used for the per-study table, IV and
  random-effects pooling and the MH/Peto heterogeneity Q). Double-zero studies (no events in either arm, or
  only events in both) are excluded for RR and OR (and Peto), kept (corrected) for RD. MH and Peto pooled
  estimates use the raw counts (no correction), as ``rma.mh`` and ``rma.peto``.
* **MH**: estimate from the raw counts with metafor's ``rma.mh`` variances (Robins-Breslow-Greenland for OR,
  Greenland-Robins for RR, Sato-Greenland-Robins for RD); Q is the inverse-variance Q of the per-study effects
  around the MH estimate and I² = (Q - df)/Q, as ``rma.mh`` reports them. **Peto** as ``rma.peto``.
* **Random effects**: DL, REML (Fisher scoring, as metafor) and PM (Q_gen = k - 1); tau² truncated at 0.
  I² and H² follow metafor: I² = 100 tau²/(tau² + s²), H² = tau²/s² + 1 with the "typical" within-study
  variance s² = (k-1)/(sum w - sum w²/sum w) (for DL this equals the Q-based I²). The CI for tau² is the
  Q-profile interval (Viechtbauer 2007) and the I² CI transforms its bounds (``confint.rma.uni``).
* **HKSJ** (``hksj=True``): metafor ``test="knha"``: SE scaled by sqrt(sum w (y - mu)²/(k - 1)), t with k - 1
  df, *no* truncation; ``hksj_truncate=True`` gives the ad hoc variant (scale factor at least 1, metafor
  ``test="adhoc"``).
* **Prediction interval** (random-effects models, ``pi_method="hts"``, default): Higgins, Thompson &
  Spiegelhalter (2009), mu ± t_{k-2} sqrt(SE² + tau²) with the classic (not HKSJ) SE; undefined for k < 3.
  ``pi_method="metafor"`` reproduces ``predict.rma``: z with the classic SE, or t_{k-1} with the HKSJ SE when
  ``hksj=True``. ``pi_dist`` in the result says which was used. Common-effect models have no PI (NaN).
* **Subgroups** (``by=``): each subgroup is pooled separately with the same options (its own tau²); the test
  for subgroup differences is Q_between = sum_j (b_j - b̄)²/SE_j² on J - 1 df over the subgroup estimates, as
  RevMan reports it (for IV common effect it equals the moderator test QM of ``rma(mods=~factor(by))``).
* **Shared placebo arms**: rows of a multi-arm trial that share one placebo arm (``placebo_id``) must not be
  pooled together as if independent; :func:`pool` warns (:class:`SharedPlaceboWarning`) when an analysis would
  count a placebo arm twice; :func:`split_shared_placebo` divides the shared arm (Cochrane Handbook §23.3.4).

References
----------
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw 36(3).
metafor 3.8 source: ``escalc``, ``rma.uni``, ``rma.mh``, ``rma.peto``, ``confint.rma.uni``, ``predict.rma``.
DerSimonian R, Laird N (1986). Control Clin Trials 7:177-188.
Paule RC, Mandel J (1982). J Res Natl Bur Stand 87:377-385.
Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity. Stat Med 26:37-52.
Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis. Stat Med 21:1539-1558.
Higgins JPT, Thompson SG, Spiegelhalter DJ (2009). J R Stat Soc A 172:137-159.
Hartung J, Knapp G (2001) Stat Med 20:3875-3889; Sidik K, Jonkman JN (2002) Stat Med 21:3153-3159.
Robins J, Breslow N, Greenland S (1986) Biometrics 42:311-323; Greenland S, Robins JM (1985) Biometrics
41:55-68; Sato T, Greenland S, Robins JM (1989) Biometrics 45:1323-1324.
Deeks JJ, Higgins JPT (2010). Statistical algorithms in Review Manager 5.
Higgins JPT et al. (eds). Cochrane Handbook v6, chapter 23 (multi-arm studies); Handbook 5.1 §16.9.3.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import special

from . import _meta_core as core
from ._validation import as_count_arrays, check_alpha
from .errors import ConvergenceError, DataError, Problem, SharedPlaceboWarning

__all__ = ["PoolResult", "pool", "leave_one_out", "cumulative", "split_shared_placebo",
           "SharedPlaceboWarning", "ConvergenceError", "MEASURES", "METHODS"]

MEASURES = ("RR", "OR", "RD")
METHODS = ("MH", "IV", "Peto", "DL", "REML", "PM")
_RANDOM = ("DL", "REML", "PM")
_COUNT_COLS = ("events_t", "n_t", "events_c", "n_c")
_WHERE = "<DataFrame>"
_NAN = float("nan")


# ============================================================================================== result
@dataclass(frozen=True, eq=False)
class PoolResult:
    """Result of :func:`pool`: the pooled effect, heterogeneity, per-study table and every method choice.

    Attributes
    ----------
    measure : {"RR", "OR", "RD"}
    method : {"MH", "IV", "Peto", "DL", "REML", "PM"}
    model : {"common", "random"}
    k : int
        Number of studies pooled (excluded double-zero studies are not counted).
    estimate, ci_low, ci_high : float
        Pooled effect and its (1 - alpha) CI on the reporting scale (ratio for RR/OR, difference for RD).
    beta, se, statistic : float
        Pooled effect, its standard error and z or t statistic on the analysis scale (log for RR/OR).
    stat_dist : {"z", "t"}
    df : float or None
        Degrees of freedom of the t statistic (HKSJ: k - 1); None for z.
    p_value : float
        Two-sided p-value of the test of no effect (beta = 0).
    q, q_df, q_p : float, int, float
        Cochran's Q (for MH: IV Q around the MH estimate; Peto: Peto's Q), its df and p-value.
    i2, h2 : float
        I² (percent) and H²; for random-effects models from tau² (metafor), otherwise from Q.
    tau2, tau2_ci_low, tau2_ci_high, i2_ci_low, i2_ci_high : float
        tau² (0 for common-effect models) with its Q-profile CI and the corresponding I² CI (NaN for
        common-effect models and k < 2).
    pi_low, pi_high : float
        Prediction interval on the reporting scale (NaN when undefined: common effect, or k < 3 for HTS).
    pi_dist : str
        "t(k-2)" (Higgins-Thompson-Spiegelhalter), "z" or "t(k-1)" (metafor ``predict``), or "none".
    hksj : bool
        Whether the HKSJ (Knapp-Hartung) adjustment was applied; ``hksj_truncate`` whether ad hoc truncated.
    alpha : float
    tau2_method : str or None
        "DL", "REML" or "PM" for random-effects models, None otherwise.
    zero_cell : str
        The zero-cell rule applied, in words.
    corrected, excluded : tuple of str
        Study labels that got the 0.5 correction / were excluded (double-zero).
    notes : tuple of str
        Anything the reader must know (k = 1, undefined estimates, shared placebo arms, fallbacks ...).
    studies : DataFrame
        Per-study table (also from :meth:`to_frame`): ``study, label, [by], events_t, n_t, events_c, n_c, yi,
        vi, estimate, ci_low, ci_high, weight, included, corrected`` (estimate/CI on the reporting scale with a
        z-based Wald CI; ``weight`` in percent of this analysis, summing to 100; 0 for excluded studies).
    by : str or None
    subgroups : dict
        Subgroup label -> PoolResult (empty when ``by`` is None).
    q_between, q_between_df, q_between_p : float, int, float
        Test for subgroup differences (NaN / 0 when ``by`` is None).
    """

    measure: str
    method: str
    model: str
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    beta: float
    se: float
    statistic: float
    stat_dist: str
    df: float | None
    p_value: float
    q: float
    q_df: int
    q_p: float
    i2: float
    h2: float
    tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    i2_ci_low: float
    i2_ci_high: float
    pi_low: float
    pi_high: float
    pi_dist: str
    hksj: bool
    alpha: float
    tau2_method: str | None
    zero_cell: str
    corrected: tuple[str, ...]
    excluded: tuple[str, ...]
    notes: tuple[str, ...]
    _studies: Any = field(repr=False)
    by: str | None = None
    subgroups: dict[Any, "PoolResult"] = field(default_factory=dict, repr=False)
    q_between: float = _NAN
    q_between_df: int = 0
    q_between_p: float = _NAN
    hksj_truncate: bool = False
    pi_method: str = "hts"

    # ---------------------------------------------------------------------------------------- access
    @property
    def studies(self) -> pd.DataFrame:
        """The per-study table (built on first access; see the class docstring for its columns)."""
        s = self._studies
        if not isinstance(s, pd.DataFrame):
            cols, group_col, group = s
            if group_col is not None:
                items = list(cols.items())
                cols = dict(items[:2] + [(group_col, group)] + items[2:])
            s = pd.DataFrame(cols)
            object.__setattr__(self, "_studies", s)
        return s

    @property
    def ratio(self) -> bool:
        """True when the reporting scale is a ratio (RR, OR)."""
        return self.measure in ("RR", "OR")

    def to_frame(self) -> pd.DataFrame:
        """The per-study table (a copy of :attr:`studies`)."""
        return self.studies.copy()

    def conf_int(self, alpha: float | None = None) -> tuple[float, float]:
        """CI of the pooled effect on the reporting scale, at ``alpha`` (default: the result's alpha)."""
        a = self.alpha if alpha is None else check_alpha(alpha)
        crit = _crit(a, self.stat_dist, self.df)
        lo, hi = self.beta - crit * self.se, self.beta + crit * self.se
        return (_back(lo, self.measure), _back(hi, self.measure))

    # ---------------------------------------------------------------------------------------- text
    def _label(self) -> str:
        m = {"MH": "Mantel-Haenszel", "IV": "inverse variance", "Peto": "Peto"}.get(self.method)
        if self.model == "common":
            return f"Common-effect model ({m})"
        t = f"Random-effects model (tau² {self.method}"
        if self.hksj:
            t += ", HKSJ" + (" ad hoc truncated" if self.hksj_truncate else "")
        return t + ")"

    def summary(self) -> str:
        """Plain-text summary in the spirit of metafor's ``print.rma``."""
        lvl = f"{100 * (1 - self.alpha):g}%"
        name = {"RR": "risk ratio", "OR": "odds ratio", "RD": "risk difference"}[self.measure]
        lines = [f"{self._label()}, {name}, k = {self.k}"]
        if self.by is not None:
            lines[0] += f", by {self.by}"
        lines.append("")
        lines.append(f"Pooled {self.measure}: {_fmt(self.estimate)} ({lvl} CI {_fmt(self.ci_low)} to "
                     f"{_fmt(self.ci_high)})")
        scale = "log scale" if self.ratio else "difference scale"
        dft = f"({_fmt(self.df, 0)})" if self.stat_dist == "t" else ""
        lines.append(f"  {scale}: beta = {_fmt(self.beta)}, se = {_fmt(self.se)}, "
                     f"{self.stat_dist}{dft} = {_fmt(self.statistic)}, p = {_fmtp(self.p_value)}")
        if self.k >= 2:
            lines.append(f"Heterogeneity: Q({self.q_df}) = {_fmt(self.q)}, p = {_fmtp(self.q_p)}; "
                         f"I² = {_fmt(self.i2, 2)}%, H² = {_fmt(self.h2)}")
        else:
            lines.append("Heterogeneity: not estimable with one study.")
        if self.model == "random" and self.k >= 2:
            lines.append(f"tau² = {_fmt(self.tau2)} ({lvl} CI {_fmt(self.tau2_ci_low)} to "
                         f"{_fmt(self.tau2_ci_high)}); I² {lvl} CI {_fmt(self.i2_ci_low, 2)}% to "
                         f"{_fmt(self.i2_ci_high, 2)}%")
            if np.isfinite(self.pi_low):
                lines.append(f"Prediction interval ({self.pi_dist}): {_fmt(self.pi_low)} to {_fmt(self.pi_high)}")
            else:
                lines.append(f"Prediction interval: not defined ({self.pi_dist}, k = {self.k})")
        if self.subgroups:
            lines.append("")
            lines.append(f"Subgroups by {self.by}:")
            for g, r in self.subgroups.items():
                lines.append(f"  {g}: k = {r.k}, {self.measure} {_fmt(r.estimate)} ({_fmt(r.ci_low)} to "
                             f"{_fmt(r.ci_high)}), I² = " + (f"{_fmt(r.i2, 1)}%" if np.isfinite(r.i2) else "not estimable (k = 1)"))
            lines.append(f"Test for subgroup differences: Q = {_fmt(self.q_between)}, df = {self.q_between_df}, "
                         f"p = {_fmtp(self.q_between_p)}")
        lines.append("")
        lines.append(f"Zero cells: {self.zero_cell}")
        if self.corrected:
            lines.append(f"  corrected: {', '.join(self.corrected)}")
        if self.excluded:
            lines.append(f"  excluded: {', '.join(self.excluded)}")
        for n in self.notes:
            lines.append(f"Note: {n}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        lvl = f"{100 * (1 - self.alpha):g}%"
        rows = "".join(
            f"<tr><td>{html.escape(str(r.label))}</td><td>{r.events_t}/{r.n_t}</td><td>{r.events_c}/{r.n_c}</td>"
            f"<td>{_fmt(r.estimate)}</td><td>{_fmt(r.ci_low)} to {_fmt(r.ci_high)}</td>"
            f"<td>{_fmt(r.weight, 1)}</td></tr>"
            for r in self.studies.itertuples(index=False))
        pooled = (f"<tr style='font-weight:bold'><td>{html.escape(self._label())}</td><td></td><td></td>"
                  f"<td>{_fmt(self.estimate)}</td><td>{_fmt(self.ci_low)} to {_fmt(self.ci_high)}</td>"
                  f"<td>100</td></tr>")
        head = (f"<tr><th>Study</th><th>Events/N (treatment)</th><th>Events/N (control)</th>"
                f"<th>{self.measure}</th><th>{lvl} CI</th><th>Weight %</th></tr>")
        text = html.escape(self.summary()).replace("\n", "<br>")
        return (f"<div class='fmtrials-pool'><table>{head}{rows}{pooled}</table>"
                f"<p style='font-family:monospace'>{text}</p></div>")


# ============================================================================================ helpers
def _fmt(x: Any, digits: int = 4) -> str:
    if x is None:
        return "NA"
    x = float(x)
    if not np.isfinite(x):
        return "NA" if np.isnan(x) else ("inf" if x > 0 else "-inf")
    return f"{x:.{digits}f}"


def _fmtp(p: float) -> str:
    if not np.isfinite(p):
        return "NA"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def _crit(alpha: float, dist: str, df: float | None) -> float:
    if dist == "t":
        return float(special.stdtrit(df, 1 - alpha / 2)) if df and df > 0 else _NAN
    return float(-special.ndtri(alpha / 2))


def _back(x, measure: str):
    return np.exp(x) if measure in ("RR", "OR") else x


def _check_choice(value: Any, allowed: Iterable[str], name: str) -> str:
    allowed = tuple(allowed)
    if isinstance(value, str):
        for a in allowed:
            if value.upper() == a.upper():
                return a
    raise DataError(Problem(f"must be one of {', '.join(allowed)}; got {value!r}", file="<arguments>",
                            column=name))


def _as_frame(table: Any) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        df = table
    elif isinstance(table, Mapping):
        try:
            df = pd.DataFrame(dict(table))
        except ValueError as err:
            raise DataError(Problem(f"cannot make a table: {err}", file="<arguments>", column="table")) from None
    else:
        raise DataError(Problem(f"must be a DataFrame (e.g. from fmtrials.contrasts()), got "
                                f"{type(table).__name__}", file="<arguments>", column="table"))
    missing = [c for c in _COUNT_COLS if c not in df.columns]
    if missing:
        raise DataError(Problem(f"missing column(s) {', '.join(missing)}; need events_t, n_t, events_c, n_c",
                                file=_WHERE, column=missing[0]))
    if len(df) == 0:
        raise DataError(Problem("the table has no rows: nothing to pool", file=_WHERE))
    if df.attrs:  # pandas deep-copies attrs on every column access: drop them once (speed)
        df = df.copy(deep=False)
        df.attrs = {}
    return df


def _counts(df: pd.DataFrame) -> tuple[np.ndarray, ...]:
    cols = []
    for c in _COUNT_COLS:
        s = df[c]
        try:
            cols.append(s.to_numpy(dtype=float, na_value=np.nan))
        except (TypeError, ValueError):
            raise DataError(Problem("must hold numeric counts", file=_WHERE, column=c)) from None
    try:
        return as_count_arrays(*cols, names=_COUNT_COLS)
    except DataError as err:  # re-label positions as table rows
        probs = [Problem(p.message.replace("position", "row"), file=_WHERE, column=p.column) for p in err.problems]
        raise DataError(probs) from None


def _labels(df: pd.DataFrame, by: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(study, label): ``label`` is unique; repeated studies are told apart by arm, dose or position."""
    n = len(df)
    if "study" in df.columns:
        study = np.array([str(x) for x in df["study"].to_numpy(dtype=object)], dtype=object)
    else:
        study = np.array([f"Study {i + 1}" for i in range(n)], dtype=object)
    if len(set(study)) == n:
        return study, study
    counts: dict[str, int] = {}
    for x in study:
        counts[x] = counts.get(x, 0) + 1
    dup = np.array([counts[x] > 1 for x in study])
    label = study
    for col in ("arm", "dose_mg_day", by):
        if col is not None and col in df.columns:
            extra = [str(x) for x in df[col].to_numpy(dtype=object)]
            cand = np.array([f"{a} ({b})" if d else a for a, b, d in zip(study, extra, dup)], dtype=object)
            if len(set(cand)) == n:
                return study, cand
    seen: dict[str, int] = {}
    out = []
    for a, d in zip(label, dup):
        seen[a] = seen.get(a, 0) + 1
        out.append(f"{a} [{seen[a]}]" if d else a)
    return study, np.array(out, dtype=object)


@dataclass
class _Data:
    a: np.ndarray
    n1: np.ndarray
    c: np.ndarray
    n2: np.ndarray
    study: np.ndarray
    label: np.ndarray
    group: np.ndarray | None
    placebo: np.ndarray | None

    def take(self, idx) -> "_Data":
        return _Data(self.a[idx], self.n1[idx], self.c[idx], self.n2[idx], self.study[idx], self.label[idx],
                     None if self.group is None else self.group[idx],
                     None if self.placebo is None else self.placebo[idx])


def _prepare(table: Any, by: str | None) -> _Data:
    df = _as_frame(table)
    a, n1, c, n2 = _counts(df)
    if by is not None:
        if by not in df.columns:
            raise DataError(Problem(f"by column {by!r} not in the table", file="<arguments>", column="by"))
        g = df[by]
        if g.isna().any():
            rows = [int(i) + 1 for i in np.nonzero(g.isna().to_numpy())[0]]
            raise DataError([Problem("missing subgroup value", file=_WHERE, row=r, column=by) for r in rows])
        group = g.to_numpy(dtype=object)
    else:
        group = None
    placebo = None
    if "placebo_id" in df.columns:
        placebo = df["placebo_id"].to_numpy(dtype=object, na_value=None)
    study, label = _labels(df, by)
    return _Data(a, n1, c, n2, study, label, group, placebo)


def _flag_shared(res: "PoolResult", msg: str, warn: bool) -> None:
    """Record (and, if ``warn``, warn about) a placebo arm counted twice in ``res``."""
    if warn:
        warnings.warn(msg, SharedPlaceboWarning, stacklevel=3)
    object.__setattr__(res, "notes", res.notes + (msg,))


def _shared(placebo: np.ndarray | None) -> list[str]:
    if placebo is None:
        return []
    ids = [p for p in placebo if p is not None]
    seen, dup = set(), []
    for p in ids:
        if p in seen and p not in dup:
            dup.append(p)
        seen.add(p)
    return dup


def _zero_text(measure: str, method: str) -> str:
    base = "0.5 added to all four cells of studies with a zero cell"
    where = ("for the per-study effects and Q only; the pooled estimate uses the raw counts"
             if method in ("MH", "Peto") else "for the per-study effects used in pooling")
    dz = ("double-zero studies (no events, or only events, in both arms) kept with the correction"
          if measure == "RD" else "double-zero studies (no events, or only events, in both arms) excluded")
    return f"{base} ({where}); {dz}"


# ============================================================================================== engine
def _fit(d: _Data, measure: str, method: str, hksj: bool, hksj_truncate: bool, alpha: float,
         pi_method: str, tol: float, maxiter: int, on_nonconvergence: str) -> PoolResult:
    eff = core.study_effects(d.a, d.n1, d.c, d.n2, "PETO" if method == "Peto" else measure)
    inc = ~eff.excluded
    k = int(inc.sum())
    notes: list[str] = []
    corrected = tuple(str(x) for x in d.label[eff.corrected])
    excluded = tuple(str(x) for x in d.label[eff.excluded])
    model = "random" if method in _RANDOM else "common"
    if k == 0:
        raise DataError(Problem(
            f"nothing to pool: all {len(d.a)} studies are double-zero (no events, or only events, in both arms), "
            f"which are excluded for {measure}{' (Peto)' if method == 'Peto' else ''}; use measure='RD' to keep "
            "them", file=_WHERE, column="events_t"))
    if excluded:
        notes.append(f"{len(excluded)} double-zero stud{'y' if len(excluded) == 1 else 'ies'} excluded: "
                     + ", ".join(excluded))
    y, v = eff.yi[inc], eff.vi[inc]
    z = float(-special.ndtri(alpha / 2))
    tau2 = 0.0
    tau2_method = None
    tci = (_NAN, _NAN)
    i2ci = (_NAN, _NAN)
    stat_dist, dfree = "z", None
    used_hksj = False
    # ---------------------------------------------------------------------------- pooled estimate
    if method == "MH":
        beta, se = core.mh(d.a[inc], d.n1[inc], d.c[inc], d.n2[inc], measure)
        w_raw = np.zeros(len(d.a))
        w_raw[inc] = core.mh_weights(d.a[inc], d.n1[inc], d.c[inc], d.n2[inc], measure)
        if not np.isfinite(beta):
            notes.append("the Mantel-Haenszel estimate is undefined for these counts "
                         "(no events in the treatment or control arms across studies)")
        q = max(0.0, float(((y - beta) ** 2 / v).sum())) if k > 1 and np.isfinite(beta) else 0.0
    elif method == "Peto":
        beta, se, q, vpeto = core.peto(d.a[inc], d.n1[inc], d.c[inc], d.n2[inc])
        w_raw = np.zeros(len(d.a))
        w_raw[inc] = vpeto
        if not np.isfinite(beta):
            notes.append("the Peto estimate is undefined: one outcome never occurred in any study")
        if k <= 1:
            q = 0.0
    else:
        beta, se, q = core.iv_fixed(y, v)
        if method in _RANDOM and k >= 2:
            tau2_method = method
            if method == "DL":
                tau2 = core.tau2_dl(y, v)
            elif method == "PM":
                tau2 = core.tau2_pm(y, v, tol=min(tol, 1e-12))
            else:
                try:
                    tau2, _ = core.tau2_reml(y, v, tol=tol, maxiter=maxiter)
                except ConvergenceError as err:
                    if on_nonconvergence != "DL":
                        raise
                    tau2 = core.tau2_dl(y, v)
                    tau2_method = "DL"
                    notes.append(f"REML did not converge ({err}); fell back to the DL estimator of tau²")
            beta, se, _w = core.re_fit(y, v, tau2)
        elif method in _RANDOM:
            tau2_method = method
        w_raw = np.zeros(len(d.a))
        w_raw[inc] = 1 / (v + tau2)
    se_classic = se
    # ---------------------------------------------------------------------------- test and CI
    if hksj:
        if k < 2:
            notes.append("HKSJ needs k >= 2: the z-based interval of the single study is reported")
        else:
            w = 1 / (v + tau2)
            s2 = core.knha_scale(y, w, beta)
            if hksj_truncate and s2 < 1:
                s2 = 1.0
            se = float(np.sqrt(s2)) * se
            stat_dist, dfree, used_hksj = "t", float(k - 1), True
            if model == "common":
                notes.append("Knapp-Hartung adjustment applied to a common-effect model (it is meant for "
                             "random-effects models)")
    crit = _crit(alpha, stat_dist, dfree)
    if np.isfinite(beta) and not se > 0:
        notes.append("the standard error of the pooled estimate is 0 (e.g. no events in any arm for RD): "
                     "no test statistic or p-value")
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = beta / se if se > 0 else (np.sign(beta) * np.inf if beta != 0 else _NAN)
    if stat_dist == "t":
        p = float(2 * special.stdtr(dfree, -abs(statistic)))
    else:
        p = float(2 * special.ndtr(-abs(statistic)))
    lo, hi = beta - crit * se, beta + crit * se
    # ---------------------------------------------------------------------------- heterogeneity
    if k >= 2:
        q_df = k - 1
        q_p = float(special.chdtrc(q_df, q))
        if model == "random":
            vt = core.typical_v(v)
            i2 = 100 * tau2 / (vt + tau2)
            h2 = tau2 / vt + 1
            tlo, thi, qn = core.qprofile_ci(y, v, alpha, tau2, tol=min(tol, 1e-12))
            notes.extend(qn)
            tci = (tlo, thi)
            i2ci = (100 * tlo / (vt + tlo), 100 * thi / (vt + thi))
        else:
            i2 = max(0.0, 100 * (q - q_df) / q) if q > 0 else 0.0
            h2 = q / q_df
    else:
        q, q_df, q_p, i2, h2 = 0.0, 0, _NAN, _NAN, _NAN
        notes.append("k = 1: the pooled estimate is that study's own effect; heterogeneity (Q, I², tau²) "
                     "cannot be estimated from one study")
    # ---------------------------------------------------------------------------- prediction interval
    pi = (_NAN, _NAN)
    pi_dist = "none"
    if model == "random":
        if pi_method == "hts":
            pi_dist = "t(k-2)"
            if k >= 3:
                cr = float(special.stdtrit(k - 2, 1 - alpha / 2))
                half = cr * np.sqrt(se_classic**2 + tau2)
                pi = (beta - half, beta + half)
            else:
                notes.append(f"no prediction interval: the t(k-2) interval needs k >= 3 (k = {k})")
        else:
            if used_hksj:
                pi_dist = "t(k-1)"
                cr = crit
                half = cr * np.sqrt(se**2 + tau2)
            else:
                pi_dist = "z"
                half = z * np.sqrt(se_classic**2 + tau2)
            pi = (beta - half, beta + half)
    # ---------------------------------------------------------------------------- per-study table
    sw = w_raw.sum()
    weight = 100 * w_raw / sw if sw > 0 else np.full(len(w_raw), _NAN)
    sd = np.sqrt(eff.vi)
    yi_lo, yi_hi = eff.yi - z * sd, eff.yi + z * sd
    studies = {
        "study": d.study, "label": d.label,
        "events_t": d.a, "n_t": d.n1, "events_c": d.c, "n_c": d.n2,
        "yi": eff.yi, "vi": eff.vi,
        "estimate": _back(eff.yi, measure), "ci_low": _back(yi_lo, measure), "ci_high": _back(yi_hi, measure),
        "weight": weight, "included": inc, "corrected": eff.corrected,
    }
    return PoolResult(
        measure=measure, method=method, model=model, k=k,
        estimate=float(_back(beta, measure)), ci_low=float(_back(lo, measure)), ci_high=float(_back(hi, measure)),
        beta=float(beta), se=float(se), statistic=float(statistic), stat_dist=stat_dist, df=dfree,
        p_value=p, q=float(q), q_df=int(q_df), q_p=float(q_p), i2=float(i2), h2=float(h2), tau2=float(tau2),
        tau2_ci_low=float(tci[0]), tau2_ci_high=float(tci[1]),
        i2_ci_low=float(i2ci[0]), i2_ci_high=float(i2ci[1]),
        pi_low=float(_back(pi[0], measure)), pi_high=float(_back(pi[1], measure)), pi_dist=pi_dist,
        hksj=used_hksj, alpha=alpha, tau2_method=tau2_method, zero_cell=_zero_text(measure, method),
        corrected=corrected, excluded=excluded, notes=tuple(notes), _studies=studies,
        hksj_truncate=bool(hksj_truncate and used_hksj), pi_method=pi_method)


def _finish(res: PoolResult, group_col: str | None, group: np.ndarray | None) -> PoolResult:
    """Attach the subgroup column; the per-study DataFrame itself is built lazily by ``studies``."""
    object.__setattr__(res, "_studies", (res._studies, group_col if group is not None else None, group))
    return res


def pool(table: Any, measure: str = "RR", method: str = "MH", hksj: bool = False, alpha: float = 0.05,
         by: str | None = None, *, hksj_truncate: bool = False, pi_method: str = "hts",
         tol: float = 1e-12, maxiter: int = 1000, on_nonconvergence: str = "raise",
         warn_shared: bool = True) -> PoolResult:
    """Pool 2x2 tables (treatment vs control) into one effect, with heterogeneity and per-study weights.

    Parameters
    ----------
    table : DataFrame
        Columns ``events_t, n_t, events_c, n_c``; optional ``study`` (labels), ``placebo_id`` (to detect a
        shared placebo arm) and grouping columns. The output of :func:`fmtrials.contrasts` fits.
    measure : {"RR", "OR", "RD"}
        Risk ratio, odds ratio or risk difference (treatment vs control).
    method : {"MH", "IV", "Peto", "DL", "REML", "PM"}
        Common-effect Mantel-Haenszel, inverse-variance or Peto (OR only); or a random-effects model with the
        DerSimonian-Laird, REML or Paule-Mandel estimator of tau².
    hksj : bool
        Hartung-Knapp-Sidik-Jonkman CI and t-test (metafor ``test="knha"``); IV and random-effects only.
    alpha : float
        1 - confidence level (two-sided), default 0.05.
    by : str, optional
        Column defining subgroups: each is pooled separately and the test for subgroup differences is given.
    hksj_truncate : bool
        Ad hoc HKSJ variant: never narrower than the classic interval (metafor ``test="adhoc"``).
    pi_method : {"hts", "metafor"}
        Prediction interval: Higgins-Thompson-Spiegelhalter t(k-2) (default) or metafor ``predict`` (z, or
        t(k-1) with the HKSJ SE).
    tol, maxiter : float, int
        Convergence of the REML Fisher scoring (change in tau²) and of root searches.
    on_nonconvergence : {"raise", "DL"}
        What to do if REML does not converge: raise :class:`ConvergenceError`, or fall back to DL (flagged in
        ``tau2_method`` and ``notes``).
    warn_shared : bool
        Warn (:class:`SharedPlaceboWarning`) when one placebo arm is counted twice in one analysis.

    Returns
    -------
    PoolResult

    Raises
    ------
    DataError
        Bad counts or arguments (naming column and row), or nothing to pool (all studies double-zero).
    ConvergenceError
        REML did not converge and ``on_nonconvergence="raise"``.

    Examples
    --------
    >>> import pandas as pd, fmtrials
    >>> t = pd.DataFrame({"study": ["Mease2009", "Arnold2010", "Bateman2013"],
    ...                   "events_t": [73, 189, 18], "n_t": [224, 516, 85],
    ...                   "events_c": [47, 106, 6], "n_c": [223, 509, 21]})
    >>> r = fmtrials.pool(t, measure="RR", method="MH")
    >>> print(f"{r.estimate:.4f} ({r.ci_low:.4f}, {r.ci_high:.4f}); I2 = {r.i2:.1f}%")
    1.6377 (1.3859, 1.9351); I2 = 55.1%
    >>> r = fmtrials.pool(t, measure="RR", method="REML", hksj=True)
    >>> r.stat_dist, r.df, r.pi_dist
    ('t', 2.0, 't(k-2)')
    """
    measure = _check_choice(measure, MEASURES, "measure")
    method = _check_choice(method, METHODS, "method")
    alpha = check_alpha(alpha)
    pi_method = _check_choice(pi_method, ("hts", "metafor"), "pi_method")
    on_nonconvergence = _check_choice(on_nonconvergence, ("raise", "DL"), "on_nonconvergence")
    if method == "Peto" and measure != "OR":
        raise DataError(Problem(f"the Peto method estimates an odds ratio; got measure={measure!r}",
                                file="<arguments>", column="measure"))
    if hksj and method in ("MH", "Peto"):
        raise DataError(Problem(f"HKSJ applies to inverse-variance and random-effects models, not {method}",
                                file="<arguments>", column="hksj"))
    d = _prepare(table, by)
    opts = dict(measure=measure, method=method, hksj=bool(hksj), hksj_truncate=bool(hksj_truncate),
                alpha=alpha, pi_method=pi_method, tol=float(tol), maxiter=int(maxiter),
                on_nonconvergence=on_nonconvergence)
    if by is None:
        dup = _shared(d.placebo)
        res = _finish(_fit(d, **opts), None, None)
        if dup:
            _flag_shared(res, f"placebo arm(s) {', '.join(map(str, dup))} counted more than once in this analysis "
                         "(unit-of-analysis error); use split_shared_placebo(), combine the doses, or pool by dose",
                         warn_shared)
        return res
    # ------------------------------------------------------------------------------------ subgroups
    labels = pd.unique(pd.Series(d.group, dtype=object))
    try:
        labels = sorted(labels)
    except TypeError:
        labels = list(labels)
    subs: dict[Any, PoolResult] = {}
    for g in labels:
        idx = np.nonzero(d.group == g)[0]
        sd = d.take(idx)
        dup = _shared(sd.placebo)
        try:
            r = _finish(_fit(sd, **opts), by, sd.group)
        except DataError:
            r = None
        if r is None:
            subs[g] = None  # type: ignore[assignment]
            continue
        if dup:
            _flag_shared(r, f"subgroup {by}={g}: placebo arm(s) {', '.join(map(str, dup))} counted more than "
                         "once; use split_shared_placebo()", warn_shared)
        subs[g] = r
    dropped = [g for g, r in subs.items() if r is None]
    subs = {g: r for g, r in subs.items() if r is not None}
    overall = _finish(_fit(d, **opts), by, d.group)
    notes = list(overall.notes)
    for g in dropped:
        notes.append(f"subgroup {by}={g}: nothing to pool (all studies double-zero)")
    if _shared(d.placebo):
        notes.append("the overall total counts shared placebo arm(s) in more than one subgroup; the subgroup "
                     "results and the test for subgroup differences are the primary analysis (the test assumes "
                     "independent subgroups, approximate here)")
    b = np.array([r.beta for r in subs.values()])
    s = np.array([r.se for r in subs.values()])
    ok = np.isfinite(b) & np.isfinite(s) & (s > 0)
    if ok.sum() >= 2:
        w = 1 / s[ok] ** 2
        bb = (w * b[ok]).sum() / w.sum()
        qb = float((w * (b[ok] - bb) ** 2).sum())
        qb_df = int(ok.sum() - 1)
        qb_p = float(special.chdtrc(qb_df, qb))
    else:
        qb, qb_df, qb_p = _NAN, 0, _NAN
        notes.append("test for subgroup differences needs at least two subgroups with an estimate")
    return replace(overall, by=by, subgroups=subs, q_between=qb, q_between_df=qb_df, q_between_p=qb_p,
                   notes=tuple(notes))


# =========================================================================================== sensitivity
_SENS_COLS = ["k", "estimate", "ci_low", "ci_high", "beta", "se", "statistic", "p_value", "q", "q_p", "i2",
              "tau2", "pi_low", "pi_high"]


def _row(r: PoolResult) -> dict:
    return {c: getattr(r, c) for c in _SENS_COLS}


def _pooled_row_or_empty(sub: pd.DataFrame, measure: str, method: str, hksj: bool, alpha: float,
                         kwargs: dict) -> dict:
    """One sensitivity row for ``sub`` (shared-placebo warnings silenced), or an empty row (k = 0)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SharedPlaceboWarning)
            return _row(pool(sub, measure=measure, method=method, hksj=hksj, alpha=alpha, **kwargs))
    except DataError:
        return {**{c: _NAN for c in _SENS_COLS}, "k": 0}


def leave_one_out(table: Any, measure: str = "RR", method: str = "MH", hksj: bool = False,
                  alpha: float = 0.05, **kwargs: Any) -> pd.DataFrame:
    """Pool again with each study left out in turn (metafor ``leave1out``).

    Parameters are those of :func:`pool` (``by`` is not allowed).

    Returns
    -------
    DataFrame
        One row per study of ``table`` in input order: ``omitted`` (the study's label), ``k``, ``estimate``,
        ``ci_low``, ``ci_high`` (reporting scale), ``beta``, ``se``, ``statistic``, ``p_value``, ``q``, ``q_p``,
        ``i2``, ``tau2``, ``pi_low``, ``pi_high``. A row whose remaining studies cannot be pooled is NaN.

    Examples
    --------
    >>> import pandas as pd, fmtrials
    >>> t = pd.DataFrame({"study": ["A", "B", "C"], "events_t": [73, 189, 18], "n_t": [224, 516, 85],
    ...                   "events_c": [47, 106, 6], "n_c": [223, 509, 21]})
    >>> fmtrials.leave_one_out(t, measure="RR", method="MH")["estimate"].round(4).tolist()
    [1.6747, 1.4097, 1.6937]
    """
    if "by" in kwargs:
        raise DataError(Problem("leave_one_out does not take by=", file="<arguments>", column="by"))
    df = _as_frame(table)
    _, label = _labels(df, None)
    rows = []
    for i in range(len(df)):
        row = _pooled_row_or_empty(df.drop(index=df.index[i]), measure, method, hksj, alpha, kwargs)
        rows.append({"omitted": label[i], **row})
    return pd.DataFrame(rows)


def cumulative(table: Any, order_by: str | None = "year", measure: str = "RR", method: str = "MH",
               hksj: bool = False, alpha: float = 0.05, **kwargs: Any) -> pd.DataFrame:
    """Cumulative meta-analysis: add studies one at a time in ``order_by`` order (metafor ``cumul``).

    Parameters
    ----------
    order_by : str or None
        Column to sort by (stable: ties keep table order); None keeps the table order.
    Other parameters as :func:`pool`.

    Returns
    -------
    DataFrame
        One row per step: ``added`` (label of the study added), the ``order_by`` value, then the columns of
        :func:`leave_one_out` for the studies added so far.

    Examples
    --------
    >>> import pandas as pd, fmtrials
    >>> t = pd.DataFrame({"study": ["A", "B", "C"], "year": [2009, 2013, 2010],
    ...                   "events_t": [73, 18, 189], "n_t": [224, 85, 516],
    ...                   "events_c": [47, 6, 106], "n_c": [223, 21, 509]})
    >>> fmtrials.cumulative(t, order_by="year", method="MH")["added"].tolist()
    ['A', 'C', 'B']
    """
    if "by" in kwargs:
        raise DataError(Problem("cumulative does not take by=", file="<arguments>", column="by"))
    df = _as_frame(table)
    _, label = _labels(df, None)  # labels from the table order, so they match pool()'s
    if order_by is not None:
        if order_by not in df.columns:
            raise DataError(Problem(f"order_by column {order_by!r} not in the table", file="<arguments>",
                                    column="order_by"))
        pos = df.reset_index(drop=True).sort_values(order_by, kind="stable", na_position="last").index.to_numpy()
        df, label = df.iloc[pos], label[pos]
    rows = []
    for i in range(1, len(df) + 1):
        row = _pooled_row_or_empty(df.iloc[:i], measure, method, hksj, alpha, kwargs)
        head = {"added": label[i - 1]}
        if order_by is not None:
            head[order_by] = df[order_by].iloc[i - 1]
        rows.append({**head, **row})
    return pd.DataFrame(rows)


# ========================================================================================= shared placebo
def split_shared_placebo(table: Any) -> pd.DataFrame:
    """Divide a placebo arm shared by several comparisons between them (Cochrane Handbook v6 §23.3.4).

    Rows with the same ``placebo_id`` get the placebo events and n divided as evenly as possible between them:
    each of the g rows gets ``floor(x / g)``, and the remainder (``x mod g``) goes one unit each to the first
    rows in table order; the same rule is applied to events and to n separately, so the first rows get the
    larger share of both. This removes the double counting but not the correlation between the comparisons
    (the Handbook's partial fix). Rows with a unique ``placebo_id`` are unchanged.

    Parameters
    ----------
    table : DataFrame
        Needs ``events_c``, ``n_c`` and ``placebo_id`` (e.g. the output of :func:`fmtrials.contrasts`).

    Returns
    -------
    DataFrame
        A copy with the divided ``events_c``, ``n_c``; ``placebo_id`` made unique (``"<id>#1/2"``, ...),
        ``shared_placebo`` set to False, and ``placebo_split`` (number of rows the arm was divided among, 1
        when not shared).

    Examples
    --------
    >>> import pandas as pd, fmtrials
    >>> t = pd.DataFrame({"study": ["Mease2009", "Mease2009", "Arnold2010"],
    ...                   "events_t": [73, 177, 189], "n_t": [224, 441, 516],
    ...                   "events_c": [47, 47, 106], "n_c": [223, 223, 509],
    ...                   "placebo_id": ["Mease2009:placebo", "Mease2009:placebo", "Arnold2010:placebo"]})
    >>> fmtrials.split_shared_placebo(t)[["events_c", "n_c"]].values.tolist()
    [[24, 112], [23, 111], [106, 509]]
    """
    df = _as_frame(table)
    if "placebo_id" not in df.columns:
        raise DataError(Problem("missing column placebo_id (which placebo arm each row uses)", file=_WHERE,
                                column="placebo_id"))
    _counts(df)
    out = df.copy()
    pid = out["placebo_id"].astype(object)
    ev = out["events_c"].to_numpy(dtype=float, na_value=np.nan).astype(np.int64)
    nn = out["n_c"].to_numpy(dtype=float, na_value=np.nan).astype(np.int64)
    new_ev, new_n = ev.copy(), nn.copy()
    split = np.ones(len(out), dtype=np.int64)
    new_id = pid.to_numpy(dtype=object).copy()
    problems = []
    for key, idx in pd.Series(range(len(out))).groupby(pid.to_numpy(), sort=False):
        pos = idx.to_numpy()
        g = len(pos)
        if g < 2 or key is None:
            continue
        if len(set(ev[pos])) > 1 or len(set(nn[pos])) > 1:
            for p in pos:
                problems.append(Problem(f"rows sharing placebo_id {key!r} disagree on the placebo counts",
                                        file=_WHERE, row=int(p) + 1, column="events_c"))
            continue
        x, n = int(ev[pos[0]]), int(nn[pos[0]])
        for j, p in enumerate(pos):
            new_ev[p] = x // g + (1 if j < x % g else 0)
            new_n[p] = n // g + (1 if j < n % g else 0)
            split[p] = g
            new_id[p] = f"{key}#{j + 1}/{g}"
    if problems:
        raise DataError(problems)
    out["events_c"] = pd.array(new_ev, dtype=out["events_c"].dtype) if str(out["events_c"].dtype) == "Int64" \
        else new_ev
    out["n_c"] = pd.array(new_n, dtype=out["n_c"].dtype) if str(out["n_c"].dtype) == "Int64" else new_n
    out["placebo_id"] = new_id
    out["shared_placebo"] = False
    out["placebo_split"] = split
    return out

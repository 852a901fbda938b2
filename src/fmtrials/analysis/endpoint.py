"""One endpoint analysed by the policy: :func:`analyse_endpoint` and its result, :class:`EndpointAnalysis`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from .._format import format_interval, format_level, format_number, format_p, measure_name, pool_label
from .._result import Interval, ResultMixin, render_html
from .._validation import check_alpha
from .._vocab import MEASURES, RD_INTERVALS, Event, Measure, PoolMethod, PoolTest, RDInterval, choice
from ..errors import DataError, Problem
from ._pooling import POOLING_ERRORS, TEST_NAMES, pooled_fit, pooled_rows, sensitivity
from .policy import (
    COMMON_MODEL,
    LOO_MAX_K,
    LOO_MIN_K,
    SENSITIVITY_MIN_K,
    Model,
    chosen_analysis,
    endpoint_contrasts,
    endpoint_event,
    models_disagree,
    one_analysis_per_comparison,
    prepare_for_pooling,
    requested_model,
    resolve_main_model,
    subgroup_column,
    swap_in,
)

if TYPE_CHECKING:
    from ..meta import PoolResult

__all__ = ["EndpointAnalysis", "analyse_endpoint", "POOLED_COLUMNS"]

#: columns of :meth:`EndpointAnalysis.to_frame`
POOLED_COLUMNS = (
    "endpoint",
    "model",
    "group",
    "method",
    "test",
    "k",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "q",
    "q_df",
    "q_p",
    "i2",
    "i2_tau2",
    "tau2",
    "pi_low",
    "pi_high",
    "subgroup_q",
    "subgroup_df",
    "subgroup_p",
    "rule",
)


@dataclass(frozen=True, eq=False)
class EndpointAnalysis(ResultMixin):
    """The analysis of one endpoint (:func:`analyse_endpoint`); every table the report shows for it.

    Attributes
    ----------
    endpoint : str
    measure : {"RR", "OR", "RD"}
        Pooled effect measure.
    ci : str
        Risk-difference interval of the per-comparison table (and its NNT).
    alpha : float
    event : {"beneficial", "harmful"}
        Direction used for the per-comparison table (NNTB/NNTH) and the plots.
    event_source : {"given", "data", "default list", "glossary"}
        Where ``event`` came from (see :func:`fmtrials.analysis.endpoint_event`).
    contrasts : pandas.DataFrame
        The endpoint's contrasts, every analysis reported; ``attrs["excluded"]`` the comparisons left out
        for lack of counts.
    compared : pandas.DataFrame
        :func:`fmtrials.compare` of ``contrasts`` (one row per comparison and analysis).
    primary, alternates : pandas.DataFrame
        One analysis per comparison (:data:`~fmtrials.analysis.ANALYSIS_PREFERENCE`), and the other analyses.
    pooled_table : pandas.DataFrame
        ``primary`` with shared placebo arms split: the table every model pools.
    by : str or None
        Subgroup column of the pooled models (``"dose_mg_day"`` with several doses).
    main, common : PoolResult or None
        The main model (``main_model``) and the common-effect check (:data:`~fmtrials.analysis.COMMON_MODEL`);
        None when not estimable (see ``notes``).
    sensitivity : pandas.DataFrame or None
        Every model of the sensitivity grid on the primary analyses (``analyses="primary"``), then with the
        alternative analyses swapped in; None below :data:`~fmtrials.analysis.SENSITIVITY_MIN_K` comparisons.
    leave_one_out : pandas.DataFrame or None
        The main model (without subgroups) leaving out each comparison in turn; None when not run (see notes).
    not_estimable : str or None
        ``"not estimable: <reason>"`` when the main model cannot pool the endpoint.
    notes : tuple of str
        Everything the reader must know (alternative analyses, split placebo arms, assumptions, skips).
    requested : Model or None
        The main model named with ``method=``/``test=`` (None: the policy's,
        :data:`~fmtrials.analysis.MAIN_MODEL`).
    main_model : Model or None
        The main model actually used (None without comparisons), chosen by
        :func:`~fmtrials.analysis.policy.resolve_main_model` from ``requested`` and k.
    model_rule : {"main", "small-k", "single"} or None
        Why: the chosen main model; the small-k rule (k = 2: Mantel–Haenszel common effect instead of random
        effects); or one comparison (the trial's own estimate). ``model_reason`` says it in words.

    Examples
    --------
    >>> import fmtrials
    >>> print(fmtrials.analyse_endpoint(None, "ae_any").summary())  # doctest: +ELLIPSIS
    ae_any: risk ratio, 2 comparison(s) from 2 studies; event harmful (default list)
    Main and check: Common-effect model (Mantel–Haenszel) — small-k rule (k = 2): Mantel–Haenszel common effect; ...
      overall: k = 2, RR 1.11 [1.05, 1.18], p = 0.0007, I² = 0.3%
    Sensitivity: 11 rows
    """

    endpoint: str
    measure: str
    ci: str
    alpha: float
    event: str
    event_source: str
    contrasts: pd.DataFrame = field(repr=False)
    compared: pd.DataFrame = field(repr=False)
    primary: pd.DataFrame = field(repr=False)
    alternates: pd.DataFrame = field(repr=False)
    pooled_table: pd.DataFrame = field(repr=False)
    by: str | None
    main: PoolResult | None = field(repr=False)
    common: PoolResult | None = field(repr=False)
    sensitivity: pd.DataFrame | None = field(repr=False)
    leave_one_out: pd.DataFrame | None = field(repr=False)
    not_estimable: str | None = None
    notes: tuple[str, ...] = field(default=(), repr=False)
    requested: Model | None = None
    main_model: Model | None = None
    model_rule: str | None = None

    @property
    def model_reason(self) -> str:
        """Why the main model is the one used, in words (empty without comparisons)."""
        if self.main_model is None:
            return ""
        k = len(self.pooled_table)
        if self.model_rule == "single":
            return "k = 1: the trial's own estimate, nothing pooled"
        if self.model_rule == "small-k":
            return f"small-k rule (k = {k}): Mantel–Haenszel common effect; random effects in the sensitivity table"
        return "the policy's main model" if self.requested is None else "the model requested (method=, test=)"

    @property
    def single_test(self) -> str:
        """The test of the per-comparison p-values (``test_method`` of ``compared``, e.g. ``"fisher"``): also
        the one p-value of a row with a single comparison (k = 1), which names no pooling model."""
        tests = self.compared["test_method"].dropna().unique() if "test_method" in self.compared else []
        return str(tests[0]) if len(tests) == 1 else "fisher"

    @property
    def disagreement(self) -> str | None:
        """The sentence saying that the common-effect check and the main model disagree materially (rule:
        :func:`~fmtrials.analysis.policy.models_disagree`), or None. The report prints it under the pooled
        rows and under the forest plot."""
        return models_disagree(self.main, self.common)

    @property
    def estimable(self) -> bool:
        """True when the main model pooled the endpoint."""
        return self.main is not None

    def to_frame(self) -> pd.DataFrame:
        """The pooled rows: per model (``main``, then ``common``) one row per dose subgroup, then the total.

        Columns :data:`POOLED_COLUMNS`; ratios on the ratio scale; ``rule`` is ``model_rule`` on the main
        model's rows and ``"check"`` on the common-effect check's. A row of one comparison (k = 1, an endpoint
        or a dose) is that comparison's own estimate: ``method`` empty (nothing pooled) and ``p_value`` the
        per-comparison test's (:attr:`single_test`, named in ``test``). ``i2`` is the Q-based I², ``i2_tau2``
        metafor's τ²-based one (random-effects models only). These are the numbers of the report's
        ``tables/pooled.csv``.
        """
        rows = [
            {**row, "rule": self.model_rule if role == "main" else "check"}
            for role, r in (("main", self.main), ("common", self.common))
            if r is not None
            for row in pooled_rows(self.endpoint, role, r, self.single_test)
        ]
        return pd.DataFrame(rows, columns=list(POOLED_COLUMNS))

    def summary(self) -> str:
        """Plain-text summary: direction, the model requested and used (and why), pooled rows, notes.

        When the main model is the common-effect check itself (k ≤ 2, or Mantel–Haenszel named), its rows are
        printed once, as ``Main and check``.
        """
        studies = self.contrasts["study"].nunique() if len(self.contrasts) else 0
        lines = [
            f"{self.endpoint}: {measure_name(self.measure)}, {len(self.contrasts)} comparison(s) from "
            f"{studies} stud{'y' if studies == 1 else 'ies'}; event {self.event} ({self.event_source})"
        ]
        if self.requested is not None:
            req = self.requested
            lines.append(f"Requested: {pool_label(req.method, req.test)} (method={req.method!r}, test={req.test!r})")
        frame = self.to_frame()
        roles = [("Main and check", "main")] if self._main_is_check() else [("Main", "main"), ("Check", "common")]
        if self.model_rule == "single":
            roles = [("One comparison", "main")]
        for title, role in roles:
            r = self.main if role == "main" else self.common
            if r is None:
                continue
            if self.model_rule == "single":
                lines.append(f"{title} — {self.model_reason}")
                lines += self._row_lines(frame[frame["model"] == role])
                continue
            why = f" — {self.model_reason}" if role == "main" and self.model_reason else ""
            lines.append(
                f"{title}: {pool_label(r.method, _test(frame, role), r.tau2_method)}"
                + (f", by {self.by}" if self.by else "")
                + why
            )
            lines += self._row_lines(frame[frame["model"] == role])
        if self.sensitivity is not None:
            lines.append(f"Sensitivity: {len(self.sensitivity)} rows")
        if self.leave_one_out is not None:
            lines.append(f"Leave-one-out: {len(self.leave_one_out)} rows")
        lines += [f"Note: {n}" for n in (*self.notes, *filter(None, [self.disagreement]))]
        return "\n".join(lines)

    def _row_lines(self, rows: pd.DataFrame) -> list[str]:
        digits = 3 if self.measure == "RD" else 2
        out = []
        for row in rows.itertuples():
            p = format_p(row.p_value)
            p = p if p.startswith("<") else "= " + p
            if row.k == 1:
                p += f" ({TEST_NAMES.get(row.test, row.test)})"
            i2 = f"I² = {format_number(row.i2, 1)}%" if row.k >= 2 else "I² not estimable (k = 1)"
            out.append(
                f"  {row.group}: k = {row.k}, {self.measure} "
                f"{format_interval(row.estimate, row.ci_low, row.ci_high, digits)}, p {p}, {i2}"
            )
        return out

    def conf_int(self, alpha: float | None = None) -> Interval:
        """The main model's pooled interval (:meth:`fmtrials.PoolResult.conf_int`), named; a DataError when the
        endpoint has no main model (nothing pooled)."""
        if self.main is None:
            raise DataError(
                Problem(f"{self.endpoint}: no pooled estimate, so no interval", file="<arguments>", column="alpha")
            )
        return self.main.conf_int(alpha)

    def _repr_html_(self) -> str:
        digits = 3 if self.measure == "RD" else 2
        frame = self.to_frame()
        if self._main_is_check():  # one model: its rows once
            one = "one comparison, not pooled" if self.model_rule == "single" else "main and check"
            frame = frame[frame["model"] == "main"].assign(model=one)
        rows = [
            [
                r.model,
                r.group,
                r.k,
                format_interval(r.estimate, r.ci_low, r.ci_high, digits),
                format_p(r.p_value) + (f" ({TEST_NAMES.get(r.test, r.test)})" if r.k == 1 else ""),
                format_number(r.i2, 1),
            ]
            for r in frame.itertuples()
        ]
        header = ["Model", "Group", "k", f"{self.measure} [{format_level(self.alpha)} CI]", "p", "I² (%)"]
        return render_html(
            "analysis",
            title=f"{self.endpoint}: event {self.event} ({self.event_source})",
            paragraphs=[f"Main model: {self.model_reason}"] if self.model_reason else [],
            header=header,
            rows=rows,
            footer=list(self.notes),
        )

    def _main_is_check(self) -> bool:
        """True when the main model is the common-effect check itself (k ≤ 2, or Mantel–Haenszel named)."""
        return self.main is not None and self.common is not None and self.main_model == COMMON_MODEL


def _test(frame: pd.DataFrame, role: str) -> str:
    tests = frame.loc[frame["model"] == role, "test"]
    return str(tests.iloc[-1]) if len(tests) else "z"


def analyse_endpoint(
    contrasts_or_outcomes: pd.DataFrame | None,
    endpoint: str,
    *,
    measure: Measure = "RR",
    ci: RDInterval = "newcombe",
    event: Event | None = None,
    alpha: float = 0.05,
    method: PoolMethod | None = None,
    test: PoolTest | None = None,
) -> EndpointAnalysis:
    """Analyse one endpoint by the package's policy (what ``fmtrials report`` shows for it).

    The steps: the per-comparison table (:func:`fmtrials.compare`, with the endpoint's direction); one
    analysis per comparison (:data:`~fmtrials.analysis.ANALYSIS_PREFERENCE`, the others noted and kept for
    the sensitivity table); shared placebo arms split; the main model (REML, HKSJ ad hoc, by dose when
    several doses, or the model named with ``method=``/``test=``) and the Mantel-Haenszel check; the
    sensitivity grid; leave-one-out (of the main model).

    Parameters
    ----------
    contrasts_or_outcomes : pandas.DataFrame or None
        Outcomes (:func:`fmtrials.load_outcomes`, :func:`fmtrials.read_outcomes`) or their contrasts
        (:func:`fmtrials.contrasts`); the bundled outcomes when None.
    endpoint : str
        The endpoint to analyse.
    measure : {"RR", "OR", "RD"}
        Pooled effect measure (letter case ignored).
    ci : str
        Risk-difference interval of the per-comparison table (see :func:`fmtrials.risk_difference`).
    event : {"beneficial", "harmful"}, optional
        Direction of the endpoint; by default the data's ``direction`` column, else the policy's lists and
        the endpoint glossary (see :func:`fmtrials.analysis.endpoint_event`).
    alpha : float
        Two-sided level of every interval.
    method : {"MH", "IV", "Peto", "DL", "REML", "PM"}, optional
        The main model's pooling method (letter case ignored); None: the policy (REML; MH for k ≤ 2).
    test : {"z", "hksj", "hksj-adhoc"}, optional
        The main model's test; None: the policy's for the method (HKSJ ad hoc for random effects, z for
        common effect). The rule (:func:`fmtrials.analysis.policy.resolve_main_model`): a named
        random-effects model is the main model for k ≥ 3, and the small-k rule (Mantel–Haenszel common
        effect for k ≤ 2) stays; a named common-effect model (MH, IV, Peto) is used at every k. The result
        records ``requested``, ``main_model`` and ``model_rule``.

    Returns
    -------
    EndpointAnalysis

    Raises
    ------
    DataError
        Bad input, an endpoint not in the data, or one with no known direction (never guessed); a method and
        test that do not go together (Mantel–Haenszel or Peto with HKSJ) or Peto with a measure other than
        OR, naming the option. An endpoint that cannot be pooled is not an error: the result says
        ``not estimable: <reason>``.

    Examples
    --------
    >>> import fmtrials
    >>> a = fmtrials.analyse_endpoint(fmtrials.load_outcomes(), "nausea")
    >>> a.event, a.event_source, a.by, len(a.primary)
    ('harmful', 'default list', 'dose_mg_day', 4)
    >>> a.to_frame()[["model", "group", "k", "estimate", "ci_low", "ci_high"]].round(3)
        model       group  k  estimate  ci_low  ci_high
    0    main  100 mg/day  3     1.479   0.611    3.579
    1    main  200 mg/day  1     1.937   1.323    2.836
    2    main   all doses  4     1.687   1.201    2.368
    3  common  100 mg/day  3     1.641   1.376    1.959
    4  common  200 mg/day  1     1.937   1.323    2.836
    5  common   all doses  4     1.700   1.448    1.997

    An endpoint with nothing to pool is not an error:

    >>> fmtrials.analyse_endpoint(None, "pain_40").not_estimable
    'not estimable: no comparison has counts in both arms'

    A main model named by the user (k = 4 here, so it is used as named):

    >>> dl = fmtrials.analyse_endpoint(None, "nausea", method="dl", test="z")
    >>> dl.main_model, dl.model_rule, round(dl.main.estimate, 4)
    (Model(method='DL', test='z'), 'main', 1.6206)
    """
    measure = choice(measure, MEASURES, "measure")
    ci = choice(ci, RD_INTERVALS, "ci")
    alpha = check_alpha(alpha)
    requested = requested_model(method, test, measure)
    return _analyse(
        endpoint_contrasts(contrasts_or_outcomes, endpoint),
        endpoint,
        measure=measure,
        ci=ci,
        event=event,
        alpha=alpha,
        data=contrasts_or_outcomes,
        requested=requested,
    )


def _analyse(
    c: pd.DataFrame,
    endpoint: str,
    *,
    measure: Measure,
    ci: RDInterval,
    event: str | None,
    alpha: float,
    data: pd.DataFrame | None = None,
    requested: Model | None = None,
) -> EndpointAnalysis:
    from ..comparisons import compare

    ev, source = endpoint_event(endpoint, c if data is None else data, event=cast(Any, event))
    notes: list[str] = []
    compared = compare(c, rd_ci=ci, event=ev, alpha=alpha)
    base = dict(
        endpoint=endpoint,
        measure=measure,
        ci=ci,
        alpha=alpha,
        event=ev,
        event_source=source,
        contrasts=c,
        compared=compared,
        requested=requested,
    )
    if len(c) == 0:
        reason = "not estimable: no comparison has counts in both arms"
        empty = c.iloc[:0]
        return EndpointAnalysis(
            **base,
            primary=empty,
            alternates=empty,
            pooled_table=empty,
            by=None,
            main=None,
            common=None,
            sensitivity=None,
            leave_one_out=None,
            not_estimable=reason,
            notes=(*notes, reason),
        )
    primary, alternates = one_analysis_per_comparison(c)
    for r in alternates.itertuples():
        notes.append(
            f"{r.study} ({r.dose_mg_day} mg/day) also reports {r.events_t}/{r.n_t} vs {r.events_c}/{r.n_c} "
            f"in the '{r.analysis}' analysis ({r.source_t}); the pooled results use its "
            f"'{chosen_analysis(primary, r.study, r.arm)}' figures, and the per-trial table shows both."
        )
    table, split_notes = prepare_for_pooling(primary)
    notes += split_notes
    by = subgroup_column(table)
    main_model, rule = resolve_main_model(len(table), requested)
    (main, main_err), (common, common_err) = (_fit(table, measure, m, alpha, by) for m in (main_model, COMMON_MODEL))
    not_estimable = None if main_err is None else f"not estimable: {main_err}"
    if not_estimable:
        notes.append(not_estimable)
    if common_err is not None and common_err != main_err:
        notes.append(f"{pool_label(COMMON_MODEL.method, COMMON_MODEL.test)}: not estimable: {common_err}")
    sens = None
    if len(table) >= SENSITIVITY_MIN_K and (main is not None or common is not None):
        sens = _sensitivity_table(table, primary, alternates, measure, alpha)
    loo = None
    if len(table) > LOO_MAX_K:
        notes.append(
            f"Leave-one-out skipped: {len(table)} comparisons is above LOO_MAX_K = {LOO_MAX_K} "
            "(it refits the main model once per comparison)."
        )
    elif len(table) >= LOO_MIN_K and main is not None:
        try:
            loo = pooled_fit("leave_one_out", table, measure=measure, model=main_model, alpha=alpha)
        except POOLING_ERRORS as err:
            notes.append(f"Leave-one-out not estimable: {err}")
    return EndpointAnalysis(
        **base,
        main_model=main_model,
        model_rule=rule,
        primary=primary,
        alternates=alternates,
        pooled_table=table,
        by=by,
        main=main,
        common=common,
        sensitivity=sens,
        leave_one_out=loo,
        not_estimable=not_estimable,
        notes=tuple(notes),
    )


def _fit(table: pd.DataFrame, measure: Measure, model: Model, alpha: float, by: str | None) -> tuple[Any, str | None]:
    """(PoolResult, None), or (None, reason) when the model cannot pool the table."""
    try:
        return pooled_fit("pool", table, measure=measure, model=model, alpha=alpha, by=by), None
    except POOLING_ERRORS as err:
        return None, str(err)


def _sensitivity_table(
    table: pd.DataFrame, primary: pd.DataFrame, alternates: pd.DataFrame, measure: Measure, alpha: float
) -> pd.DataFrame:
    """The sensitivity grid on the primary analyses, then with the alternative analyses swapped in."""
    out = sensitivity(table, measure, alpha).assign(analyses="primary")
    if len(alternates):
        alt = prepare_for_pooling(swap_in(primary, alternates))[0]
        label = "; ".join(f"{r.study} {r.analysis}" for r in alternates.itertuples())
        alt_rows = sensitivity(alt, measure, alpha).assign(analyses=f"alternative: {label}")
        out = pd.concat([out, alt_rows], ignore_index=True)
    return out

"""The audit of the bundled milnacipran tables: :func:`audit`.

The only module of :mod:`fmtrials.consistency` that knows about trials, arms and the seed table. For each
row of ``reported.csv`` it decides which arm sizes to try (the *attributions*) and audits the row against
each of them with :func:`~fmtrials.audit_reported`'s engine, in one batch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

import pandas as pd

from .._validation import DATAFRAME, choice
from .._vocab import AUDIT_TESTS, ROUNDING_RULES, AuditTest, Rounding
from ..errors import DataError, Problem
from ._common import int_or_none, is_missing, number_or_none
from .percent import text_or_none
from .pvalues import explain_p
from .reported import Comparison, audit_many, check_tests
from .result import AuditResult

__all__ = ["audit", "AUDIT_COLUMNS"]

#: Columns of :func:`audit`'s result, in order.
AUDIT_COLUMNS = (
    "row",
    "study",
    "label",
    "endpoint",
    "dose_mg_day",
    "attribution",
    "attribution_kind",
    "n_t",
    "n_c",
    "percent_t",
    "percent_c",
    "grim_t",
    "grim_c",
    "events_t_min",
    "events_t_max",
    "events_c_min",
    "events_c_max",
    "p_reported",
    "p_interval",
    "p_lower",
    "p_upper",
    *(f"p_{t}_{b}" for t in AUDIT_TESTS for b in ("min", "max")),
    "p_match",
    "p_consistent",
    "verdict",
    "row_verdict",
    "by_construction",
    "explanation",
)

_OTHER_TEST_RE = re.compile(r"time[- ]to[- ]event|hazard|log-?rank|not a test of", re.IGNORECASE)


class Attribution(NamedTuple):
    """One guess of the arm sizes behind a reported row."""

    label: str
    kind: str
    n_t: int | None
    n_c: int | None
    #: the denominators were themselves derived from the printed percentages (outcomes.csv status "derived"), so
    #: a consistent verdict holds by construction and is no independent check
    by_construction: bool = False


# --------------------------------------------------------------------------------------------------------
# small readers
# --------------------------------------------------------------------------------------------------------


def _n_str(n: int | None) -> str:
    return "?" if n is None else str(n)


def _phase_of(label: Any) -> str | None:
    m = re.search(r"phase\s+(iv|iii|ii|i)\b", str(label or ""), re.IGNORECASE)
    return m.group(1).upper() if m else None


def _context(rec: pd.Series) -> str:
    return " ".join(str(rec.get(col)) for col in ("analysis", "note") if not is_missing(rec.get(col)))


def _is_subgroup(rec: pd.Series) -> bool:
    """A subgroup or post hoc row: the trial's arm sizes are not its denominators."""
    text = " ".join(str(rec.get(c) or "") for c in ("label", "note") if not is_missing(rec.get(c))).lower()
    return "subgroup" in text


# --------------------------------------------------------------------------------------------------------
# attributions
# --------------------------------------------------------------------------------------------------------


def _analysis_sizes(
    study: str,
    tag: str,
    arm: pd.Series,
    placebo: pd.Series,
    n_t: int | None,
    n_c: int | None,
    outcomes: pd.DataFrame | None,
    endpoint: Any,
) -> list[Attribution]:
    """Every analysis denominator outcomes.csv prints for the same trial, arm and endpoint."""
    if outcomes is None or is_missing(endpoint):
        return []
    o = outcomes[(outcomes["study"] == study) & (outcomes["endpoint"] == endpoint)]
    ot = o[o["arm"] == arm["arm"]]["n"].dropna().unique()
    oc = o[o["arm"] == placebo["arm"]]["n"].dropna().unique()
    out = []
    for vt in ot:
        for vc in oc if len(oc) else [n_c]:
            vt_i, vc_i = int_or_none(vt), int_or_none(vc)
            if (vt_i, vc_i) != (n_t, n_c) and vt_i is not None:
                derived = _derived_n(o, arm["arm"], vt_i)
                out.append(
                    Attribution(
                        f"{study}{tag} (outcomes.csv {endpoint} n {_n_str(vt_i)}/{_n_str(vc_i)}"
                        + (", derived from these percentages)" if derived else ")"),
                        "analysis_n",
                        vt_i,
                        vc_i,
                        derived,
                    )
                )
    return out


def _derived_n(rows: pd.DataFrame, arm: Any, n: int) -> bool:
    """Whether the outcomes row giving ``arm`` the denominator ``n`` has status ``derived``: its n was worked out
    from the printed percentages (e.g. Bateman 2013's 79), so checking those percentages against it is circular."""
    if "status" not in rows.columns:
        return False
    hit = rows[(rows["arm"] == arm) & (pd.to_numeric(rows["n"], errors="coerce") == n)]
    return bool(len(hit)) and bool((hit["status"].astype(str) == "derived").all())


def _arm_sets(
    study: str,
    dose: float | None,
    arms: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    endpoint: Any,
    *,
    dose_strict: bool = True,
) -> list[Attribution]:
    """Attributions for one trial: the randomized sizes, the alternative set and the analysis denominators
    in outcomes.csv for the same endpoint."""
    a = arms[arms["study"] == study]
    plc = a[a["treatment"].astype(str) == "placebo"]
    act = a[a["treatment"].astype(str) != "placebo"]
    if dose is not None and dose_strict:
        act = act[[(number_or_none(v) == dose) for v in act["dose_mg_day"]]]
    if plc.empty or act.empty:
        return []
    p = plc.iloc[0]
    out: list[Attribution] = []
    for _, arm in act.iterrows():
        tag = "" if len(act) == 1 else f" {arm['arm']}"
        n_t, n_c = int_or_none(arm["n_randomized"]), int_or_none(p["n_randomized"])
        out.append(Attribution(f"{study}{tag} (randomized {_n_str(n_t)}/{_n_str(n_c)})", "study", n_t, n_c))
        alt_t = int_or_none(arm.get("n_randomized_alt"))
        alt_c = int_or_none(p.get("n_randomized_alt"))
        if alt_t is not None or alt_c is not None:
            at, ac = alt_t if alt_t is not None else n_t, alt_c if alt_c is not None else n_c
            src = arm.get("alt_source") if alt_t is not None else p.get("alt_source")
            out.append(Attribution(f"{study}{tag} (alternative {_n_str(at)}/{_n_str(ac)}, {src})", "study_alt", at, ac))
        out += _analysis_sizes(study, tag, arm, p, n_t, n_c, outcomes, endpoint)
    return out


def _candidate_trials(rec: pd.Series, arms: pd.DataFrame, trials: pd.DataFrame | None) -> list[str]:
    """Trials a row naming no trial may come from: same phase (when the label names one), poolable."""
    candidates = list(dict.fromkeys(arms["study"].astype(str)))
    phase = _phase_of(rec.get("label"))
    if trials is not None and phase is not None and "phase" in trials:
        same = set(trials.loc[trials["phase"].astype(str).str.upper() == phase, "study"].astype(str))
        candidates = [s for s in candidates if s in same]
    if trials is not None and "poolable" in trials:
        not_poolable = set(trials.loc[trials["poolable"].astype(str).str.lower() == "no", "study"].astype(str))
        candidates = [s for s in candidates if s not in not_poolable]
    return candidates


def _pooled(
    candidates: list[str], pooled_ids: Sequence[str], dose: float | None, arms: pd.DataFrame
) -> list[Attribution]:
    """Summed randomized sizes of every pooled id ``"A+B"`` whose components are all candidates."""
    out = []
    for pid in pooled_ids:
        parts = pid.split("+")
        if not all(pt in candidates for pt in parts):
            continue
        sets = [_arm_sets(pt, dose, arms, None, None) for pt in parts]
        if not all(sets):
            continue
        firsts = [s[0] for s in sets]  # randomized sizes of each component trial
        if any(f.n_t is None or f.n_c is None for f in firsts):
            continue
        pt_n, pc_n = sum(f.n_t or 0 for f in firsts), sum(f.n_c or 0 for f in firsts)
        out.append(Attribution(f"pooled {pid} (randomized {pt_n}/{pc_n})", "pooled", pt_n, pc_n))
    return out


def _unnamed_trial(
    rec: pd.Series,
    arms: pd.DataFrame,
    trials: pd.DataFrame | None,
    outcomes: pd.DataFrame | None,
    pooled_ids: Sequence[str],
    include_pooled: bool,
) -> list[Attribution]:
    """Attributions of a row that names no trial (the seed document's rows)."""
    dose, endpoint = number_or_none(rec.get("dose_mg_day")), rec.get("endpoint")
    candidates = _candidate_trials(rec, arms, trials)
    out = [
        Attribution(f"candidate {a.label}", "candidate", a.n_t, a.n_c)
        for s in candidates
        for a in _arm_sets(s, dose, arms, outcomes, endpoint)
    ]
    if not out:  # no trial of that phase has an arm at this dose: try all active arms, flagged
        flag = f", dose {dose:g} not matched" if dose is not None else ""
        out = [
            Attribution(f"candidate {a.label}{flag}", "candidate", a.n_t, a.n_c)
            for s in candidates
            for a in _arm_sets(s, dose, arms, outcomes, endpoint, dose_strict=False)
        ]
    if include_pooled:
        out += _pooled(candidates, pooled_ids, dose, arms)
    return out or [Attribution("no candidate trial", "candidate", None, None)]


def _attributions(
    rec: pd.Series,
    arms: pd.DataFrame,
    trials: pd.DataFrame | None,
    outcomes: pd.DataFrame | None,
    pooled_ids: Sequence[str],
    include_pooled: bool,
) -> list[Attribution]:
    """Every attribution to try for one reported row (rules in :func:`audit`)."""
    n_t, n_c = int_or_none(rec.get("n_t")), int_or_none(rec.get("n_c"))
    study = None if is_missing(rec.get("study")) else str(rec["study"])
    if n_t is not None and n_c is not None:
        return [Attribution(f"{study or 'row'} (printed n {n_t}/{n_c})", "stated", n_t, n_c)]
    if study is None:
        return _unnamed_trial(rec, arms, trials, outcomes, pooled_ids, include_pooled)
    if _is_subgroup(rec):
        return [Attribution(f"{study} subgroup (subgroup sizes not printed)", "subgroup", None, None)]
    dose, endpoint = number_or_none(rec.get("dose_mg_day")), rec.get("endpoint")
    sets = _arm_sets(study, dose, arms, outcomes, endpoint) or _arm_sets(
        study, dose, arms, outcomes, endpoint, dose_strict=False
    )
    return sets or [Attribution(f"{study} (arm sizes unknown)", "study", n_t, n_c)]


# --------------------------------------------------------------------------------------------------------
# the audit of a whole table
# --------------------------------------------------------------------------------------------------------


def audit(
    reported: pd.DataFrame | None = None,
    arms: pd.DataFrame | None = None,
    *,
    trials: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    test: AuditTest | Sequence[AuditTest] = AUDIT_TESTS,
    rounding: Rounding = "either",
    include_pooled: bool = True,
) -> pd.DataFrame:
    """Audit every row of a reported table against every plausible attribution of arm sizes.

    For each row of ``reported`` (default: :func:`fmtrials.load_reported`), the arm sizes tried are:

    * the printed ``n_t`` / ``n_c`` when both are given (kind ``"stated"``);
    * else, when the row is a subgroup (``"subgroup"`` in ``label`` or ``note``): nothing (kind
      ``"subgroup"``, verdict indeterminate), since the trial's arm sizes are not its denominators;
    * else, when the row names its trial: that trial's placebo arm vs its arm of the row's dose, with the
      randomized sizes (``"study"``), the alternative sizes ``n_randomized_alt`` where one exists, filling
      missing alternatives with the randomized size (``"study_alt"``), and every analysis denominator that
      ``outcomes.csv`` prints for the same trial, arm and endpoint (``"analysis_n"``, e.g. Bateman 2013's
      efficacy n of 79);
    * else (the seed document's rows name no trial): every trial in ``arms`` of the phase named in the
      ``label`` (``"Phase III"`` -> trials.csv phase III), excluding trials marked not poolable, with an
      active arm at the row's dose -- or any active arm, flagged, when no such trial has that dose -- each
      with its randomized and alternative sizes (``"candidate"``); plus, with ``include_pooled``, the
      **summed** randomized sizes of every pooled study id of the form ``"A+B"`` that occurs in
      ``reported`` when all its components are candidates (``"pooled"``, e.g. Clauw 2008 + Mease 2009 =
      623 vs 624 at 100 mg). Pooled sizes are a documented guess, not a published attribution.

    Rows whose ``analysis`` or ``note`` says the percentages are model-based (``"model"``) are audited with
    ``model_based=True``: verdict ``"indeterminate"``, arithmetic shown. Rows whose ``analysis`` or ``note``
    says the printed p comes from another kind of test (``"time-to-event"``, ``"hazard"``, ``"log-rank"``,
    ``"not a test of"``) are audited with ``p_other_test=True``: percentages checked, p not.

    Parameters
    ----------
    reported, arms, trials, outcomes : pandas.DataFrame, optional
        Default: the bundled tables (:func:`fmtrials.load_reported` etc.). ``trials`` gives the phase
        used to narrow the candidate trials; ``outcomes`` the analysis denominators.
    test, rounding
        As in :func:`~fmtrials.audit_reported`.
    include_pooled : bool
        Also try summed arm sizes of pooled analyses (see above).

    Returns
    -------
    pandas.DataFrame
        One row per (reported row x attribution), columns :data:`AUDIT_COLUMNS`:

        * ``row`` (1-based data row of ``reported``), ``study``, ``label``, ``endpoint``, ``dose_mg_day``;
        * ``attribution`` (words), ``attribution_kind`` (stated / study / study_alt / analysis_n /
          candidate / pooled / subgroup), ``n_t``, ``n_c`` (Int64: the arm sizes tried);
        * ``percent_t``, ``percent_c`` (text, as printed);
        * ``grim_t``, ``grim_c`` (boolean, ``<NA>`` when not checkable): whether some count gives the
          printed percentage;
        * ``events_t_min``, ``events_t_max``, ``events_c_min``, ``events_c_max`` (Int64): the admissible
          event counts per arm (every count between min and max is admissible; ``<NA>`` when none fits or
          not checkable);
        * ``p_reported`` (text), ``p_interval`` (text), ``p_lower``, ``p_upper``: what the printed p allows;
        * ``p_<test>_min`` / ``p_<test>_max`` for each of chi2, yates, fisher, score: the range of the
          recomputed two-sided p over the admissible pairs (NaN when not computed);
        * ``p_match`` (which test and counts reproduce the printed p), ``p_consistent`` (boolean);
        * ``verdict``; ``row_verdict`` (per reported row: consistent if any attribution is, inconsistent
          if every attribution is, else indeterminate); ``by_construction`` (True where the attribution's
          denominators were derived from the same printed percentages, so a consistent verdict is circular:
          Bateman 2013's PGIC n = 79); ``explanation`` (words).

    Examples
    --------
    The seed table's 200 mg row (26.9% vs 15.5%, p = 0.02) against every phase III attribution:

    >>> import fmtrials
    >>> a = fmtrials.audit()
    >>> print(a.loc[a["row"] == 3, ["n_t", "n_c", "grim_t", "grim_c", "verdict"]].to_string(index=False))
     n_t  n_c  grim_t  grim_c      verdict
     396  401   False    True inconsistent
     401  405    True   False inconsistent
     441  223   False   False inconsistent
     435  449    True   False inconsistent
     837  624    True    True inconsistent
    """
    tests = check_tests(test)
    rounding = choice(rounding, ROUNDING_RULES, "rounding")
    reported, arms, trials, outcomes = _tables(reported, arms, trials, outcomes)
    pooled_ids = [
        s for s in dict.fromkeys(reported.get("study", pd.Series(dtype=object)).dropna().astype(str)) if "+" in s
    ]
    comps, meta = [], []
    for pos, (_, rec) in enumerate(reported.iterrows(), start=1):
        context = _context(rec)
        for attr in _attributions(rec, arms, trials, outcomes, pooled_ids, include_pooled):
            comps.append(
                Comparison(
                    text_or_none(rec.get("percent_t")),
                    attr.n_t,
                    text_or_none(rec.get("percent_c")),
                    attr.n_c,
                    None if is_missing(rec.get("p_reported")) else str(rec["p_reported"]),
                    "model" in context.lower(),
                    bool(_OTHER_TEST_RE.search(context)),
                )
            )
            meta.append((pos, rec, attr))
    results = audit_many(comps, cast(Any, tests), rounding, [("<reported>", pos) for pos, _, _ in meta])
    return _frame([_row(pos, rec, attr, r) for (pos, rec, attr), r in zip(meta, results)])


_Tables = tuple[pd.DataFrame, pd.DataFrame, "pd.DataFrame | None", "pd.DataFrame | None"]


def _tables(
    reported: pd.DataFrame | None, arms: pd.DataFrame | None, trials: pd.DataFrame | None, outcomes: pd.DataFrame | None
) -> _Tables:
    """The tables to audit, the bundled ones by default; ``reported`` must have the audited columns."""
    if reported is None or arms is None or trials is None or outcomes is None:
        from .. import data as _data

        reported = _data.load_reported() if reported is None else reported
        arms = _data.load_arms() if arms is None else arms
        trials = _data.load_trials() if trials is None else trials
        outcomes = _data.load_outcomes() if outcomes is None else outcomes
    missing = {"percent_t", "percent_c", "p_reported"} - set(reported.columns)
    if missing:
        raise DataError(Problem(f"missing columns {sorted(missing)}", file=DATAFRAME, column="reported"))
    return reported, arms, trials, outcomes


def _row(pos: int, rec: pd.Series, attr: Attribution, r: AuditResult) -> dict[str, Any]:
    """One output row: the reported row, the attribution and the audit result."""
    pint = r.p_interval
    row = {
        "row": pos,
        "study": None if is_missing(rec.get("study")) else rec.get("study"),
        "label": rec.get("label"),
        "endpoint": rec.get("endpoint"),
        "dose_mg_day": number_or_none(rec.get("dose_mg_day")),
        "attribution": attr.label,
        "attribution_kind": attr.kind,
        "n_t": r.n_t,
        "n_c": r.n_c,
        "percent_t": r.percent_t,
        "percent_c": r.percent_c,
        "grim_t": r.grim_t,
        "grim_c": r.grim_c,
        "events_t_min": r.events_t[0] if r.events_t else None,
        "events_t_max": r.events_t[-1] if r.events_t else None,
        "events_c_min": r.events_c[0] if r.events_c else None,
        "events_c_max": r.events_c[-1] if r.events_c else None,
        "p_reported": r.p_reported,
        "p_interval": None if pint is None else str(pint),
        "p_lower": math.nan if pint is None else pint.lower,
        "p_upper": math.nan if pint is None else pint.upper,
    }
    p_range = {t: (lo, hi) for t, lo, hi in r.p_range}
    for t in AUDIT_TESTS:
        row[f"p_{t}_min"], row[f"p_{t}_max"] = p_range.get(t, (math.nan, math.nan))
    explanation = r.explanation
    if attr.by_construction and r.verdict == "consistent":
        explanation += (
            f"; holds by construction: n = {r.n_t} was derived from these same printed percentages, so this "
            "agreement is not an independent check"
        )
    row.update(
        p_match=_match_text(r),
        p_consistent=r.p_consistent,
        verdict=r.verdict,
        by_construction=bool(attr.by_construction),
        explanation=explanation,
    )
    return row


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    for col in ("n_t", "n_c", "dose_mg_day", "events_t_min", "events_t_max", "events_c_min", "events_c_max"):
        out[col] = pd.array([pd.NA if v is None or pd.isna(v) else int(v) for v in out[col]], dtype="Int64")
    for col in ("grim_t", "grim_c", "p_consistent"):
        out[col] = pd.array([pd.NA if v is None else bool(v) for v in out[col]], dtype="boolean")
    out["row_verdict"] = out.groupby("row")["verdict"].transform(_row_verdict)
    return out.loc[:, list(AUDIT_COLUMNS)]


def _row_verdict(v: pd.Series) -> str:
    vals = set(v)
    if "consistent" in vals:
        return "consistent"
    if vals == {"inconsistent"}:
        return "inconsistent"
    return "indeterminate"


def _match_text(r: AuditResult) -> str:
    """``"fisher: 15/41 vs 2/42 (p = 0.0003)"``: the first matching table per test."""
    seen: dict[str, str] = {}
    for t, et, ec, p in r.matches:
        seen.setdefault(t, f"{t}: {et}/{r.n_t} vs {ec}/{r.n_c} (p = {explain_p(p, r.p_interval)})")
    return "; ".join(seen.values())

"""Every number the reader sees in the report, recomputed from the data tables with the test's own arithmetic.

Issue 29, class 1. The report is built once per data set (module-scoped, no figures): the bundled data and two
user CSVs (metadat ``dat.li2007`` with ``measure="OR"``, ``dat.lee2004`` with the default RR, and ``dat.lee2004`` with
``dat.normand1999`` as a user continuous outcomes file, issue 25). Every table of
``report.html`` is parsed with :mod:`html.parser` and read by its header text; every cell that shows a count
``events/n (p%)``, an estimate with interval, an NNT, a per-1000 figure, a p-value or a heterogeneity statistic is
recomputed in :mod:`tests._oracle` (textbook formulas; scipy for distributions and Fisher's test) from the
*input* CSV, and compared at its printed precision. Each column of each table kind is either checked or listed in
``ALLOW`` with the reason it is not; a column or a table kind the test does not know fails the test, so a new
number in the report cannot go unchecked.

The machine-readable tables (``tables/comparisons.csv``, ``what_it_means_summary_of_findings.csv``,
``what_it_means_fragility.csv``) are checked to 1e-6 against the same arithmetic.
"""

from __future__ import annotations

import csv
import math
import re
import statistics
from collections import defaultdict
from pathlib import Path

import _oracle as o
import numpy as np
import pytest
from _report_cells import (
    EVENTS_VS,
    FRACTION,
    NNT,
    PUBLISHED,
    Table,
    comparator_arms,
    endpoint_of,
    html_tables,
    is_placebo,
    per_dose,
    per_drug,
    reference_arms,
)
from scipy import integrate, stats

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "src" / "fmtrials" / "datasets"
DATA = Path(__file__).parent / "data"

CASES = {
    "bundled": {
        "data": None,
        "measure": "RR",
        "outcomes": BUNDLED / "outcomes.csv",
        "endpoints": BUNDLED / "endpoints.csv",
    },
    "li2007-OR": {"data": DATA / "li2007_outcomes.csv", "measure": "OR", "outcomes": DATA / "li2007_outcomes.csv"},
    "lee2004": {"data": DATA / "lee2004_outcomes.csv", "measure": "RR", "outcomes": DATA / "lee2004_outcomes.csv"},
    # class 2: non-default options of write_report reach every table (the RD interval, the main model, its test)
    # issue 25: a user continuous outcomes file (dat.normand1999) beside the binary one
    "lee2004-continuous": {
        "data": DATA / "lee2004_outcomes.csv",
        "measure": "RR",
        "outcomes": DATA / "lee2004_outcomes.csv",
        "continuous": DATA / "normand1999_continuous.csv",
    },
    # the risk difference as the pooled measure: its printing rule (3 decimals) and the RD-specific paths
    "lee2004-RD": {"data": DATA / "lee2004_outcomes.csv", "measure": "RD", "outcomes": DATA / "lee2004_outcomes.csv"},
    "lee2004-options": {
        "data": DATA / "lee2004_outcomes.csv",
        "measure": "OR",
        "outcomes": DATA / "lee2004_outcomes.csv",
        "ci": "wald",
        "method": "DL",
        "test": "hksj",
        # user comparator arms (synthetic: no Vitton2004, one placebo count changed; REML tau² > 0, no closed loop
        # between designs): the network section follows the input
        "comparators": DATA / "netreport_comparators.csv",
    },
}

#: columns not recomputed, by table kind, with the reason
LABELS = "a label carried from the data or the policy, not a computed number"
ALLOW: dict[str, dict[str, str]] = {
    "comparison": dict.fromkeys(
        (
            "Endpoint",
            "Study",
            "Dose (mg/day)",
            "Dose",
            "Analysis",
            "Holm family",
            "Status (drug/placebo)",
            "Status",
            "Source",
        ),
        LABELS,
    ),
    "pooled_main": {"Endpoint": LABELS, "Model": "parsed to choose the model the numbers are checked against"},
    "models": {
        "Endpoint": LABELS,
        "Main model": "the policy's choice, checked in test_analysis_models.py",
        "Why": "the policy's reason text",
    },
    "pooled_groups": {
        "Endpoint": LABELS,
        "Model": "parsed to choose the model the numbers are checked against",
        "Dose": "parsed to choose the comparisons pooled",
    },
    "sof": {"Endpoint": LABELS, "Certainty": "GRADE rating: tables of cases in test_decision_grade*.py"},
    "fragility": {"Endpoint": LABELS, "Study": LABELS, "Dose": LABELS, "Status": LABELS},
    "posterior": {"Endpoint": LABELS, "Trial or pooled": LABELS, "Note": LABELS},
    "sensitivity": {
        "Analyses": "parsed to choose the comparisons pooled",
        "Method": "parsed",
        "Test": "parsed",
        "Note": "explanatory text",
    },
    "loo": {"Omitted": "parsed to choose the comparisons pooled"},
    "regression": dict.fromkeys(
        ("Term", "Estimate [95% CI]", "p"),
        "meta-regression on dose: checked against metafor rma(mods=) in test_meta_regression.py",
    ),
    "influence": {
        "Study": LABELS,
        "Influential": "flag from the metafor rules, test_meta_influence.py",
        **dict.fromkeys(("rstudent", "Cook's D", "Hat"), "metafor influence(): test_meta_influence.py"),
    },
    "smallstudy": {
        "Test": LABELS,
        "Variant": LABELS,
        **dict.fromkeys(
            ("k", "Statistic", "p"),
            "small-study tests against metafor regtest/ranktest in "
            "test_report_smallstudy.py (JSON from tests/r/smallstudy_reference.R)",
        ),
    },
    "composite": {
        "Attribution": LABELS,
        "Row": LABELS,
        "Printed": "the publication's printed numbers (seed 003)",
        "Printed p": "the publication's printed p (seed 003)",
        "Scenario": LABELS,
        "Verdict on the attribution": "verdict text; verdict logic in test_consistency_*.py",
        "Status": LABELS,
    },
    "design": dict.fromkeys(("Study", "Design", "Phase", "Duration", "Imputation", "Source"), LABELS),
    "plan": {
        "Trial": LABELS,
        "Dose (mg/day)": LABELS,
        "Basis": LABELS,
        "Boschloo's exact unconditional (n/arm: smallest / stable)": "exact unconditional power at ~270 per arm "
        "by brute force takes hours; Boschloo's power is checked by brute force up to 30 per arm in "
        "test_power.py and the fast search against the slow one in test_power_fast.py",
    },
    "net_league": {"Row vs column": LABELS},
    "net_p": {"Treatment": LABELS},
    "net_q": {"Part of Q": LABELS},
    "net_inputs": dict.fromkeys(("Arm as the source names it", "Population"), LABELS),
    "net_published": dict.fromkeys(("Source", "Measure", "Against placebo"), LABELS),
    "text": {},
    "continuous_pooled": {
        "Endpoint": LABELS,
        "Unit": LABELS,
        "Model": "parsed to choose the model the numbers are checked against",
    },
    "continuous_studies": {"Study": LABELS},
    "continuous_missing": {},
}


#: the heading of the full per-comparison table (the main-results tables repeat some of its rows, and show
#: endpoints such as ae_withdrawal that the analysis itself does not pool)
ANALYSED = "Each trial against placebo"


def kind(t: Table) -> str:
    h = set(t.header)
    if "Normal approximation (n/arm)" in h:
        return "plan"
    if "Row vs column" in h:
        return "net_league"
    if "P-score" in h:
        return "net_p"
    if "Part of Q" in h:
        return "net_q"
    if {"Node", "Events/n"} <= h:
        return "net_inputs"
    if "Why they differ" in h:
        return "net_published"
    if "Placebo" in h and "Study" in h:
        return "comparison"
    if "Trials (comparisons)" in h:
        return "pooled_main"
    if "Main model" in h:
        return "models"
    if "Heterogeneity" in h:
        return "pooled_groups"
    if any("per 1000" in x for x in h):
        return "sof"
    if "Fragility index" in h:
        return "fragility"
    if "Trial or pooled" in h:
        return "posterior"
    if "Analyses" in h:
        return "sensitivity"
    if "Omitted" in h:
        return "loo"
    if "Term" in h:
        return "regression"
    if "rstudent" in h:
        return "influence"
    if "Variant" in h:
        return "smallstudy"
    if "SMD × typical SD [CI]" in h:
        return "continuous_pooled"
    if "Treatment mean (SD), n" in h:
        return "continuous_studies"
    if "Missing numbers" in h:
        return "continuous_missing"
    if "Counts" in h:
        return "composite"
    if {"Randomized", "Contributes to"} <= h:
        return "design"
    if h in (
        {"source row", "label", "endpoint", "dose", "printed", "attribution", "verdict", "why"},
        {"Id", "Citation", "What it gives"},
    ):
        return "text"  # descriptive tables: design facts, the audit's verdict words, citations
    return "unknown"


def level(header: str) -> float:
    m = re.search(r"(\d+(?:\.\d+)?)% C[rI]", header)
    return 1 - float(m.group(1)) / 100 if m else 0.05


class Checker:
    def __init__(self, arms, measure: str, rd_ci: str = "newcombe"):
        self.rd = o.wald_rd if rd_ci == "wald" else o.newcombe
        self.main_models: dict[str, tuple[str, str]] = {}
        self.arms = arms
        self.measure = measure
        self.errors: list[str] = []
        self.checked: dict[str, set[str]] = defaultdict(set)
        self.comparisons: dict[tuple, dict] = {}  # (endpoint, study, dose, analysis) -> row facts
        self.net: Network | None = None  # the comparator network recomputed (when the report shows it)

    # ----------------------------------------------------------------------------------------------- helpers
    def expect(self, ok: bool, where: str, text: str, want) -> None:
        if not ok:
            self.errors.append(f"{where}: printed {text!r}, recomputed {want}")

    def interval(self, where, text, est, lo, hi, scale=1.0, digits=None):
        got = o.parse_interval(text)
        if got is None:
            self.errors.append(f"{where}: cannot parse interval {text!r}")
            return
        for t, v in zip(got, (est, lo, hi)):
            self.expect(o.close_printed(t, v * scale), where, text, (est * scale, lo * scale, hi * scale))
            if digits is not None:  # the printing rule of the quantity (o.ESTIMATE_DECIMALS), not just the value
                self.expect(o.decimals(t) == digits, where + " decimals", text, digits)

    def nnt(self, where, text, rd, lo, hi, event):
        m = NNT.match(text)
        want = o.nnt(rd, lo, hi, event)
        if not m:
            self.errors.append(f"{where}: cannot parse NNT {text!r}")
            return
        kind_, val, k1, v1, k2, v2 = m.groups()
        ok_kind = kind_ == want["type"] or (kind_ == "NNT" and math.isinf(want["nnt"]))
        self.expect(ok_kind and o.close_printed(val, want["nnt"]), where, text, want)
        t1 = k1 or kind_
        t2 = k2 or (kind_ if not want["crosses"] else None)
        limits = sorted([(o.num(v1), t1), (o.num(v2), t2)])
        for (g, gt), (w, wt) in zip(limits, want["limits"]):
            ok = gt == wt and abs(g - w) <= 0.05 + 1e-9 * w if math.isfinite(w) else not math.isfinite(g)
            self.expect(ok, where, text, want)
        self.expect(bool(k2) == want["crosses"], where, text, want)

    def arm(self, study, endpoint, events, n, *, placebo: bool, dose: str | None = None):
        for a in self.arms:
            if (a.study, a.endpoint, a.events, a.n) == (study, endpoint, events, n) and is_placebo(a) == placebo:
                if dose in (None, "", "–", "None") or a.dose in ("", dose):
                    return a
        return None

    # ----------------------------------------------------------------------------------------------- tables
    def comparison(self, t: Table, k: int):
        treat = t.header[t.header.index("Placebo") - 1]
        self.checked["comparison"].update({treat, "Placebo"})
        for row, sec in zip(t.rows, t.section):
            endpoint = endpoint_of(row.get("Endpoint") or sec)
            study = row["Study"]
            dose = row.get("Dose (mg/day)", row.get("Dose", ""))
            where = f"table {k} ({t.heading}) {endpoint} {study} {dose}"
            cells = []
            for col, placebo in ((treat, False), ("Placebo", True)):
                m = FRACTION.match(row[col])
                if not m:
                    self.errors.append(f"{where}: cannot parse {col} {row[col]!r}")
                    return
                e, n = int(m.group(1)), int(m.group(2))
                self.expect(o.check_percent(m.group(3), e, n), where + f" {col}", row[col], 100 * e / n)
                a = self.arm(study, endpoint, e, n, placebo=placebo, dose=None if placebo else dose)
                if a is None:
                    self.errors.append(f"{where}: {col} {row[col]!r} is not an arm of the data")
                cells.append((e, n, a))
            (x1, n1, a1), (x2, n2, _) = cells
            event = a1.direction if a1 is not None and a1.direction else "beneficial"
            fam = row.get("Holm family", "")
            key = (endpoint, study, dose, row.get("Analysis", ""))
            self.comparisons[key] = {
                "table": (x1, n1, x2, n2),
                "dose": dose,
                "study": study,
                "analysis": row.get("Analysis", ""),
                "alternative": fam.startswith("not counted"),
                "family": fam,
                "event": event,
                "analysed": self.comparisons.get(key, {}).get("analysed", False) or t.heading == ANALYSED,
            }
            for col in t.header:
                txt = row[col]
                if col.startswith("RD"):
                    alpha = level(col) if "CI" in col else 0.05
                    d, lo, hi = self.rd(x1, n1, x2, n2, alpha)
                    self.interval(where + f" {col}", txt, d, lo, hi, 100.0 if "points" in col else 1.0)
                elif col.startswith(("RR", "OR")):
                    self.interval(where + f" {col}", txt, *o.ratio_ci(x1, n1, x2, n2, col[:2], level(col)))
                elif col.startswith("NNT"):
                    self.nnt(where + " NNT", txt, *self.rd(x1, n1, x2, n2), event)
                elif col == "p":
                    self.expect(o.check_p(txt, o.fisher_p(x1, n1, x2, n2)), where + " p", txt, "Fisher")
                else:
                    continue
                self.checked["comparison"].add(col)

    def holm(self, tables: list[tuple[Table, int]]):
        fams: dict[str, list[tuple]] = defaultdict(list)
        for key, c in self.comparisons.items():
            if not c["alternative"]:
                fams[c["family"]].append((o.fisher_p(*c["table"]), key))
        adj = {}
        for rows in fams.values():
            rows.sort()
            m, run = len(rows), 0.0
            for i, (p, key) in enumerate(rows):
                run = max(run, min(1.0, (m - i) * p))
                adj[key] = run
        for t, k in tables:
            if "p (Holm)" not in t.header:
                continue
            self.checked["comparison"].add("p (Holm)")
            for row, sec in zip(t.rows, t.section):
                key = (
                    endpoint_of(row.get("Endpoint") or sec),
                    row["Study"],
                    row.get("Dose (mg/day)", row.get("Dose", "")),
                    row.get("Analysis", ""),
                )
                txt = row["p (Holm)"]
                if self.comparisons[key]["alternative"]:
                    self.expect(txt == "–", f"table {k} {key} p (Holm)", txt, "– (not counted)")
                else:
                    self.expect(o.check_p(txt, adj[key]), f"table {k} {key} p (Holm)", txt, adj[key])

    def primary(self, endpoint: str, alternative: str | None = None) -> list[dict]:
        rows = [c for (e, *_), c in self.comparisons.items() if e == endpoint and not c["alternative"]]
        if alternative:  # "alternative: Arnold2010 registry": that study's row replaced by its other analysis
            study, analysis = alternative.split(":", 1)[1].strip().split(" ", 1)
            alt = [c for (e, s, _, a), c in self.comparisons.items() if e == endpoint and s == study and a == analysis]
            assert alt, alternative
            rows = [c for c in rows if not (c["study"] == study and c["dose"] == alt[0]["dose"])] + alt
        return split_shared(rows)

    @staticmethod
    def model(text: str) -> tuple[str, str]:
        method = (
            "MH"
            if "Mantel" in text
            else "IV"
            if "inverse" in text.lower() or "Common" in text
            else "REML"
            if "REML" in text
            else "DL"
            if "DL" in text or "DerSimonian" in text
            else "PM"
            if "PM" in text or "Paule" in text
            else "?"
        )
        test = "hksj-adhoc" if "ad hoc" in text else "hksj" if "HKSJ" in text else "z"
        return method, test

    def pooled_check(self, where, row, col, measure, rows, method, test, digits=None):
        """``digits``: the printed decimals the table's rule gives (default: the pooled tables' rule,
        :data:`_oracle.ESTIMATE_DECIMALS`; the sensitivity table prints 3 for every measure)."""
        tabs = [c["table"] for c in rows]
        r = o.pool_tables(tabs, measure, method=method, test=test, alpha=level(col))
        est = (o.back(r[x], measure) for x in ("est", "lo", "hi"))
        self.interval(where + f" {col}", row[col], *est, digits=digits or o.ESTIMATE_DECIMALS[measure])
        return r

    def pooled_main(self, t: Table, k: int):
        for row in t.rows:
            endpoint = endpoint_of(row["Endpoint"])
            where = f"table {k} pooled {endpoint}"
            rows = self.primary(endpoint)
            method, test = self.model(row["Model"])
            trials = len({c["study"] for c in rows})
            self.expect(
                row["Trials (comparisons)"] == f"{trials} ({len(rows)})",
                where,
                row["Trials (comparisons)"],
                (trials, len(rows)),
            )
            doses = sorted({c["dose"] for c in rows}, key=lambda d: float(d) if d.replace(".", "").isdigit() else 0)
            self.expect(row["Doses (mg/day)"] == ", ".join(doses), where, row["Doses (mg/day)"], doses)
            for col in t.header:
                if col.startswith("Pooled RD"):
                    tabs = [c["table"] for c in rows]
                    r = o.pool_tables(tabs, "RD", method=method, test=test, alpha=level(col))
                    self.interval(where + f" {col}", row[col], r["est"], r["lo"], r["hi"], 100.0)
                    self.nnt(
                        where + " NNT",
                        row[next(c for c in t.header if c.startswith("NNT"))],
                        r["est"],
                        r["lo"],
                        r["hi"],
                        rows[0]["event"],
                    )
                    self.checked["pooled_main"].update({col, next(c for c in t.header if c.startswith("NNT"))})
                elif col.startswith("Pooled R") or col.startswith("Pooled O"):
                    ms = col.split()[1]
                    r = self.pooled_check(where, row, col, ms, rows, method, test)
                    pcol = f"p ({ms})"
                    self.expect(o.check_p(row[pcol], r["p"]), where + " " + pcol, row[pcol], r["p"])
                    self.checked["pooled_main"].update({col, pcol})
        self.checked["pooled_main"].update({"Trials (comparisons)", "Doses (mg/day)"})

    def models(self, t: Table, k: int):
        for row in t.rows:
            endpoint = endpoint_of(row["Endpoint"])
            n = len(self.primary(endpoint))
            self.expect(row["k"] == str(n), f"table {k} models {endpoint} k", row["k"], n)
        self.checked["models"].add("k")

    def rows_for_group(self, endpoint: str, group: str) -> list[dict]:
        rows = self.primary(endpoint)
        m = re.match(r"([\d.]+) mg/day", group)
        return [c for c in rows if c["dose"] == m.group(1)] if m else rows

    def heterogeneity(self, where, text, r, k, *, tau: bool):
        if k == 1:
            self.expect(text.startswith("one trial"), where, text, "one trial")
            return
        m = re.match(
            r"Q = ([\d.]+) \(df (\d+), p (?:= )?([<\d.]+ ?[\d.]*)\); I² \(Q-based\) = ([\d.]+)%"
            r"(?:; τ² = ([\d.]+))?$",
            text,
        )
        if not m:
            self.errors.append(f"{where}: cannot parse heterogeneity {text!r}")
            return
        q, df, p, i2, t2 = m.groups()
        self.expect(
            o.close_printed(q, r["q"])
            and int(df) == r["q_df"]
            and o.check_p(p, r["q_p"])
            and o.close_printed(i2, r["i2"]),
            where,
            text,
            (r["q"], r["q_df"], r["q_p"], r["i2"]),
        )
        self.expect((t2 is not None) == tau and (t2 is None or o.close_printed(t2, r["tau2"])), where, text, r["tau2"])

    def pi(self, where, text, r, measure):
        if math.isnan(r["pi"][0]):
            self.expect(text == "–", where, text, "no prediction interval")
            return
        m = re.match(rf"^({o.NUM}) to ({o.NUM})$", text)
        want = [o.back(x, measure) for x in r["pi"]]
        self.expect(bool(m) and all(o.close_printed(g, w) for g, w in zip(m.groups(), want)), where, text, want)

    def pooled_groups(self, t: Table, k: int):
        est_col = next(c for c in t.header if "CI" in c)
        measure = est_col[:2]
        for row in t.rows:
            endpoint = endpoint_of(row["Endpoint"])
            method, test = self.model(row["Model"])
            rows = self.rows_for_group(endpoint, row["Dose"])
            where = f"table {k} {endpoint} {row['Model']} {row['Dose']}"
            self.expect(row["k"] == str(len(rows)), where + " k", row["k"], len(rows))
            if len(rows) == 1:
                method, test = "IV", "z"  # a single trial: its own log-Wald estimate
            r = self.pooled_check(where, row, est_col, measure, rows, method, test)
            if len(rows) == 1:  # one comparison: one p-value with its test named (two-sided Fisher exact)
                x1, n1, x2, n2 = rows[0]["table"]
                fisher = float(stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]])[1])
                m = re.match(r"^(.*?) \((.+)\)$", row["p"])
                ok = bool(m) and m.group(2) == "Fisher exact" and o.check_p(m.group(1), fisher)
                self.expect(ok, where + " p", row["p"], f"{fisher} (Fisher exact)")
            else:
                self.expect(o.check_p(row["p"], r["p"]), where + " p", row["p"], r["p"])
            self.heterogeneity(
                where + " heterogeneity", row["Heterogeneity"], r, len(rows), tau=method not in ("MH", "IV")
            )
            self.pi(where + " PI", row["Prediction interval"], r, measure)
            sub = row["Subgroup differences"]
            groups = sorted({c["dose"] for c in self.primary(endpoint)})
            if row["Dose"] == "all doses" and len(groups) > 1:
                q, df, p = self.subgroup_q(endpoint, groups, measure, method)
                m = re.match(r"^Q = ([\d.]+), df = (\d+), p (?:= )?([<\d.]+)$", sub)
                ok = bool(m) and o.close_printed(m.group(1), q) and int(m.group(2)) == df and o.check_p(m.group(3), p)
                self.expect(ok, where + " subgroup differences", sub, (q, df, p))
            else:
                self.expect(sub == "", where + " subgroup differences", sub, "none (one group)")
        self.checked["pooled_groups"].update(
            {"k", est_col, "p", "Heterogeneity", "Prediction interval", "Subgroup differences"}
        )

    def subgroup_q(self, endpoint, groups, measure, method):
        """Test for subgroup differences from separate fits (Cochrane Handbook 10.11.3.1): Q between the subgroup
        estimates with their z-based standard errors, chi-squared on (groups - 1) df."""
        est = []
        for g in groups:
            rows = self.rows_for_group(endpoint, f"{g} mg/day")
            r = o.pool_tables([c["table"] for c in rows], measure, method=method if len(rows) > 1 else "IV")
            est.append((r["est"], (r["hi"] - r["est"]) / o.z()))
        w = [1 / se**2 for _, se in est]
        mu = sum(wi * e for wi, (e, _) in zip(w, est)) / sum(w)
        q = sum(wi * (e - mu) ** 2 for wi, (e, _) in zip(w, est))
        return q, len(est) - 1, float(stats.chi2.sf(q, len(est) - 1))

    def sensitivity(self, t: Table, k: int):
        endpoint = endpoint_of(t.heading)
        est_col = next(c for c in t.header if "CI" in c)
        measure = est_col[:2]
        for row in t.rows:
            analyses = row["Analyses"]
            rows = self.primary(endpoint, None if analyses == "primary" else analyses)
            where = f"table {k} sensitivity {endpoint} {analyses} {row['Method']} {row['Test']}"
            self.expect(row["k"] == str(len(rows)), where + " k", row["k"], len(rows))
            r = self.pooled_check(where, row, est_col, measure, rows, row["Method"], row["Test"], digits=3)
            self.expect(o.check_p(row["p"], r["p"]), where + " p", row["p"], r["p"])
            self.expect(o.close_printed(row["τ²"], r["tau2"]), where + " τ²", row["τ²"], r["tau2"])
            i2 = r["i2"]  # one rule: Q-based (Higgins & Thompson) for every model
            self.expect(o.close_printed(row["I² (%)"], i2), where + " I²", row["I² (%)"], i2)
            self.pi(where + " PI", row["Prediction interval"], r, measure)
        self.checked["sensitivity"].update({"k", est_col, "p", "τ²", "I² (%)", "Prediction interval"})

    def loo(self, t: Table, k: int):
        endpoint = endpoint_of(t.heading)
        est_col = next(c for c in t.header if "CI" in c)
        measure = est_col[:2]
        method, test = self.main_models[endpoint]
        for row in t.rows:
            m = re.match(r"^(.*?)(?: \(([\d.]+) mg/day\))?$", row["Omitted"])
            study, dose = m.groups()
            rows = [
                c for c in self.primary(endpoint) if not (c["study"] == study and (dose is None or c["dose"] == dose))
            ]
            where = f"table {k} leave-one-out {endpoint} {row['Omitted']}"
            self.expect(row["k"] == str(len(rows)), where + " k", row["k"], len(rows))
            r = self.pooled_check(where, row, est_col, measure, rows, method, test)
            self.expect(o.check_p(row["p"], r["p"]), where + " p", row["p"], r["p"])
            self.expect(o.close_printed(row["τ²"], r["tau2"]), where + " τ²", row["τ²"], r["tau2"])
            i2 = r["i2"]  # one rule: Q-based (Higgins & Thompson) for every model
            self.expect(o.close_printed(row["I² (%)"], i2), where + " I²", row["I² (%)"], i2)
            self.pi(where + " PI", row["Prediction interval"], r, measure)
        self.checked["loo"].update({"k", est_col, "p", "τ²", "I² (%)", "Prediction interval"})

    def influence(self, t: Table, k: int):
        endpoint = endpoint_of(t.heading)
        method, _ = self.main_models[endpoint]
        rows = self.primary(endpoint)
        effs = [o.log_effect(*c["table"], self.measure) for c in rows]
        y, v = [e[0] for e in effs], [e[1] for e in effs]
        import numpy as np

        t2 = o._tau2(np.array(y), np.array(v), method)
        w = [1 / (vi + t2) for vi in v]
        for row in t.rows:
            m = re.match(r"^(.*?)(?: \(([\d.]+) mg/day\))?$", row["Study"])
            study, dose = m.groups()
            i = next(i for i, c in enumerate(rows) if c["study"] == study and (dose is None or c["dose"] == dose))
            want = 100 * w[i] / sum(w)
            self.expect(
                o.close_printed(row["Weight %"], want), f"table {k} {endpoint} {study} weight", row["Weight %"], want
            )
        self.checked["influence"].add("Weight %")

    def sof(self, t: Table, k: int):
        cols = {c: c for c in t.header}
        for row in t.rows:
            endpoint = endpoint_of(row["Endpoint"])
            rows = self.primary(endpoint)
            where = f"table {k} summary of findings {endpoint}"
            studies = {c["study"] for c in rows}
            arms = {(c["study"], c["table"][0], c["table"][1]) for c in rows} | {
                (c["study"], "placebo", c.get("placebo_n", c["table"][3])) for c in rows
            }
            want_n = sum(a[2] for a in arms)
            self.expect(
                row["Participants (trials)"] == f"{want_n:,} ({len(studies)})",
                where,
                row["Participants (trials)"],
                (want_n, len(studies)),
            )
            rel = row["Relative effect [95% CI]"]
            ms, rest = rel.split(" ", 1)
            method, test = self.main_models[endpoint]
            if len(rows) == 1:
                method, test = "IV", "z"
            r = o.pool_tables([c["table"] for c in rows], ms, method=method, test=test)
            est, lo, hi = (o.back(r[x], ms) for x in ("est", "lo", "hi"))
            self.interval(where + " relative", rest, est, lo, hi)
            acr = statistics.median(c["table"][2] / c["table"][3] for c in rows)
            self.expect(
                o.close_printed(row["Assumed risk per 1000 (placebo)"], 1000 * acr),
                where + " assumed",
                row["Assumed risk per 1000 (placebo)"],
                1000 * acr,
            )

            def corr(x, acr=acr, ms=ms):
                return acr * x if ms == "RR" else acr * x / (1 - acr + acr * x)

            c_col = next(c for c in cols if c.startswith("Corresponding"))
            d_col = next(c for c in cols if c.startswith("Difference"))
            self.interval(where + " corresponding", row[c_col], corr(est), corr(lo), corr(hi), 1000.0)
            self.interval(where + " difference", row[d_col], corr(est) - acr, corr(lo) - acr, corr(hi) - acr, 1000.0)
            self.checked["sof"].update(
                {"Participants (trials)", "Relative effect [95% CI]", "Assumed risk per 1000 (placebo)", c_col, d_col}
            )

    def fragility(self, t: Table, k: int):
        for row in t.rows:
            endpoint = endpoint_of(row["Endpoint"])
            where = f"table {k} fragility {endpoint} {row['Study']} {row['Dose']}"
            m = EVENTS_VS.match(row["Events/N vs placebo"])
            x1, n1, x2, n2 = map(int, m.groups())
            self.expect(
                self.arm(row["Study"], endpoint, x1, n1, placebo=False) is not None
                and self.arm(row["Study"], endpoint, x2, n2, placebo=True) is not None,
                where,
                row["Events/N vs placebo"],
                "arms of the data",
            )
            p = o.fisher_p(x1, n1, x2, n2)
            self.expect(o.check_p(row["p"], p), where + " p", row["p"], p)
            fi = fragility_index(x1, n1, x2, n2)
            self.expect(row["Fragility index"] == str(fi), where + " FI", row["Fragility index"], fi)
            self.expect(
                o.close_printed(row["Fragility quotient"], fi / (n1 + n2)),
                where + " FQ",
                row["Fragility quotient"],
                fi / (n1 + n2),
            )
        self.checked["fragility"].update({"Events/N vs placebo", "p", "Fragility index", "Fragility quotient"})

    def posterior(self, t: Table, k: int):
        pcol = next(c for c in t.header if c.startswith("P(RD >"))
        thr = float(re.search(r"> ([-\d.]+) points", pcol).group(1)) / 100
        ccol = next(c for c in t.header if c.startswith("Posterior mean"))
        for row in t.rows:
            if row["Trial or pooled"].startswith("pooled"):
                continue  # the hierarchical model: by quadrature in test_decision_bayes.py against brute force
            endpoint = endpoint_of(row["Endpoint"])
            c = next(
                v
                for key, v in self.comparisons.items()
                if key[0] == endpoint and v["study"] == row["Trial or pooled"] and not v["alternative"]
            )
            x1, n1, x2, n2 = c["table"]
            mean, lo, hi, pg = beta_difference(x1, n1, x2, n2, thr, level(ccol))
            where = f"table {k} posterior {endpoint} {row['Trial or pooled']}"
            self.interval(where, row[ccol], mean, lo, hi)
            self.expect(o.close_printed(row[pcol], pg), where + " P(RD > t)", row[pcol], pg)
        self.checked["posterior"].update({pcol, ccol})

    def design(self, t: Table, k: int):
        """'Randomized' is trials.csv's total; 'Contributes to' lists the endpoints of the trial's comparisons."""
        with open(BUNDLED / "trials.csv", newline="", encoding="utf-8") as fh:
            total = {r["study"]: r["n_randomized_total"] for r in csv.DictReader(fh)}
        for row in t.rows:
            study = row["Study"]
            self.expect(
                row["Randomized"] == total.get(study),
                f"table {k} {study} randomized",
                row["Randomized"],
                total.get(study),
            )
            eps = {key[0] for key, c in self.comparisons.items() if c["study"] == study and c["analysed"]}
            got = row["Contributes to"]
            if eps:
                self.expect(set(got.split(", ")) == eps, f"table {k} {study} contributes", got, eps)
            else:
                self.expect(got.startswith("no analysed comparison"), f"table {k} {study} contributes", got, "none")
        self.checked["design"].update({"Randomized", "Contributes to"})

    def composite(self, t: Table, k: int):
        rd_col = next(c for c in t.header if c.startswith("RD"))
        p_col = next(c for c in t.header if c.startswith("Recomputed p"))
        for row in t.rows:
            where = f"table {k} composite {row.get('Row')} {row.get('Attribution', row.get('Scenario'))}"
            m = EVENTS_VS.match(row["Counts"])
            if not m:
                self.expect(row["Counts"] == "" and row[p_col] == "", where, row["Counts"], "no counts, no p")
                continue
            x1, n1, x2, n2 = map(int, m.groups())
            self.expect(row["Arm sizes (assumed)"] == f"{n1} vs {n2}", where, row["Arm sizes (assumed)"], (n1, n2))
            pt, pc = (x.strip().rstrip("%") for x in row["Printed"].split(" vs "))
            self.expect(
                o.close_printed(pt, 100 * x1 / n1) and o.close_printed(pc, 100 * x2 / n2),
                where + " counts",
                row["Counts"],
                row["Printed"],
            )
            d, lo, hi = o.newcombe(x1, n1, x2, n2)
            mm = re.match(rf"^({o.NUM}) points \(({o.NUM}) to ({o.NUM})\)$", row[rd_col])
            self.expect(
                bool(mm) and all(o.close_printed(g, 100 * w) for g, w in zip(mm.groups(), (d, lo, hi))),
                where + " RD",
                row[rd_col],
                (d, lo, hi),
            )
            self.expect(
                o.check_p(row[p_col].split(" ")[0], o.fisher_p(x1, n1, x2, n2)),
                where + " p",
                row[p_col],
                o.fisher_p(x1, n1, x2, n2),
            )
        self.checked["composite"].update({"Counts", "Arm sizes (assumed)", rd_col, p_col})

    # ------------------------------------------------------------------------------------------ network
    def net_league(self, t: Table, k: int):
        """Cell (row a, column b) = a against b: the independent GLS network of tests/_oracle.py."""
        net = self.net
        assert net is not None, "a network table in a report whose case has no comparator arms"
        lvl = level(t.heading)
        self.expect(t.header[1:] == net.dose["treatments"], f"table {k} league columns", t.header, net.dose)
        for row in t.rows:
            a = row["Row vs column"]
            for b in t.header[1:]:
                where = f"table {k} league {a} vs {b}"
                if a == b:
                    self.expect(row[b] == "", where, row[b], "empty diagonal")
                    continue
                self.interval(where, row[b], *map(net.back, o.network_pair(net.dose, a, b, lvl)[:3]))
        self.checked["net_league"].update(t.header[1:])

    def net_p(self, t: Table, k: int):
        net = self.net
        ps = o.p_scores(net.dose)
        ci_col = next(c for c in t.header if "against placebo" in c)
        want_order = sorted(ps, key=lambda x: -ps[x])
        self.expect([r["Treatment"] for r in t.rows] == want_order, f"table {k} P-score order", t.rows, want_order)
        for row in t.rows:
            tr = row["Treatment"]
            self.expect(o.close_printed(row["P-score"], ps[tr]), f"table {k} P-score {tr}", row["P-score"], ps[tr])
            if tr == "placebo":
                self.expect(row[ci_col] == "", f"table {k} {tr}", row[ci_col], "empty")
            else:
                pair = o.network_pair(net.dose, tr, "placebo", level(ci_col))[:3]
                self.interval(f"table {k} {tr} vs placebo", row[ci_col], *map(net.back, pair))
        self.checked["net_p"].update({"P-score", ci_col})

    def net_q(self, t: Table, k: int):
        d = self.net.dose
        want = {
            "total": (d["q"], d["q_df"]),
            "within": (d["q_within"], d["q_within_df"]),
            "between": (d["q_between"], d["q_between_df"]),
        }
        for row in t.rows:
            q, df = want[row["Part of Q"].split()[0]]
            where = f"table {k} Q {row['Part of Q']}"
            self.expect(o.close_printed(row["Q"], q) and row["df"] == str(df), where, (row["Q"], row["df"]), (q, df))
            ok = row["p"] == "–" if df == 0 else o.check_p(row["p"], float(stats.chi2.sf(q, df)))
            self.expect(ok, where + " p", row["p"], (q, df))
        self.checked["net_q"].update({"Q", "df", "p"})

    def net_inputs(self, t: Table, k: int):
        arms = list(self.net.arms)
        self.expect(len(t.rows) == len(arms), f"table {k} inputs", len(t.rows), len(arms))
        for row, a in zip(t.rows, arms):
            where = f"table {k} input {a.study} {a.node}"
            m = FRACTION.match(row["Events/n"])
            ok = bool(m) and (int(m.group(1)), int(m.group(2))) == (a.events, a.n)
            ok = ok and o.check_percent(m.group(3), a.events, a.n)
            self.expect(ok, where, row["Events/n"], (a.events, a.n))
            got = (row["Study"], row["Node"], row["Status"], row["Source"])
            self.expect(got == (a.study, a.node, a.status, a.source), where, got, a)
        self.checked["net_inputs"].update({"Events/n", "Study", "Node", "Status", "Source"})

    def net_published(self, t: Table, k: int):
        net = self.net
        pub_col = next(c for c in t.header if c.startswith("Published"))
        ours_col = next(c for c in t.header if c.startswith("fmtrials"))
        for row in t.rows:
            key = (row["Source"], row["Against placebo"])
            ms, est, lo, hi, trials, patients = PUBLISHED[key]
            where = f"table {k} published {key}"
            self.expect(row["Measure"] == ms, where, row["Measure"], ms)
            self.interval(where + " published", row[pub_col], est, lo, hi)
            fit, arms = (net.fit("dose", "OR"), per_dose(net.arms)) if ms == "OR" else (net.fit("drug", "RR"), None)
            pair = o.network_pair(fit, key[1], "placebo", level(ours_col))[:3]
            self.interval(where + " fmtrials", row[ours_col], *map(math.exp, pair))
            studies = {a.study for a in net.arms} if ms == "OR" else {a.study for a in net.arms if a.drug == key[1]}
            pts = sum(a.n for a in net.arms if a.study in studies)
            m = re.search(
                r"trial set: (\d+) RCTs \(([\d,]+) patients\).*?, (\d+) here \(([\d,]+)\)", row["Why they differ"]
            )
            got = tuple(int(x.replace(",", "")) for x in m.groups()) if m else None
            self.expect(got == (trials, patients, len(studies), pts), where + " why", row["Why they differ"], got)
            inside = [a for a in net.arms if a.study in studies]
            unstated = sum(a.population == "not stated" for a in inside)
            said = f"populations: not stated for {unstated} of the {len(inside)} arms here"
            self.expect(
                (said in row["Why they differ"]) == bool(unstated), where + " why", row["Why they differ"], said
            )
        self.checked["net_published"].update({pub_col, ours_col, "Why they differ"})


class Network:
    """The comparator network of a report case, recomputed: per dose on the case's measure (the league, the
    P-scores, Q), and per dose OR / per drug RR for the published comparison."""

    def __init__(self, path: Path, measure: str):
        self.arms = comparator_arms(path)
        self.measure = measure
        self._fits: dict[tuple[str, str], dict] = {}
        self.dose = self.fit("dose", measure)

    def fit(self, level_: str, measure: str) -> dict:
        if (level_, measure) not in self._fits:
            rows = per_dose(self.arms) if level_ == "dose" else per_drug(self.arms)
            self._fits[(level_, measure)] = o.network(rows, measure)
        return self._fits[(level_, measure)]

    def back(self, x: float) -> float:
        return x if self.measure == "RD" else math.exp(x)


def network_of(case) -> Network | None:
    if case.get("comparators"):
        return Network(case["comparators"], case["measure"])
    if case["data"] is None:
        return Network(BUNDLED / "comparator_arms.csv", case["measure"])
    return None


def _plan_check(ch: Checker, t: Table, k: int, csv_rows: list[dict], composite: list[dict]) -> None:
    """The sample-size table: rates and difference against tables/trial_plan.csv, whose rates are the composite
    table's printed percentages or the printed control rate plus its smallest/largest re-analysed difference
    (tables/composite_reanalysis.csv, both written to 10 significant digits); the normal n by the closed formula,
    the chi-square and Fisher n by exact power summed over every table (the smallest n reaches 80% and n - 1 does
    not; the stable n reaches it and, when above the smallest, n - 1 does not)."""
    pw = {"Pearson χ²": o.chi2_power, "Fisher's exact": o.fisher_power}
    for row in t.rows:
        where = f"table {k} (trial plan) {row['Trial']} {row['Dose (mg/day)']} {row['Basis']}"
        mine = [
            r
            for r in csv_rows
            if r["label"] == row["Trial"] and r["dose_mg_day"] == row["Dose (mg/day)"] and r["basis"] == row["Basis"]
        ]
        if not mine:
            ch.errors.append(f"{where}: no row in tables/trial_plan.csv")
            continue
        p1, p2 = float(mine[0]["p_t"]), float(mine[0]["p_c"])
        pt, pc = (x.strip().rstrip("%") for x in row["Rates (drug vs placebo)"].split(" vs "))
        ch.expect(o.close_printed(pt, 100 * p1) and o.close_printed(pc, 100 * p2), where, pt + " " + pc, (p1, p2))
        diff = row["Difference (points)"]
        ch.expect(o.close_printed(diff, 100 * (p1 - p2)), where, diff, p1 - p2)
        seed = [r for r in composite if r["label"] == row["Trial"] and r["dose_mg_day"] == row["Dose (mg/day)"]]
        pairs = {(float(r["percent_t"]) / 100, float(r["percent_c"]) / 100) for r in seed}
        lows = [float(r["estimate_min"]) for r in seed if r["estimate_min"]]
        highs = [float(r["estimate_max"]) for r in seed if r["estimate_max"]]
        want_rates = {
            "printed rates": pairs,
            "smallest re-analysed difference": {(pc_ + min(lows), pc_) for _, pc_ in pairs} if lows else set(),
            "largest re-analysed difference": {(pc_ + max(highs), pc_) for _, pc_ in pairs} if highs else set(),
        }[row["Basis"]]
        ch.expect(any(abs(p1 - a) < 1e-9 and abs(p2 - b) < 1e-9 for a, b in want_rates), where, (p1, p2), want_rates)
        want = math.ceil(o.normal_n(p1, p2) - 1e-9)
        ch.expect(int(row["Normal approximation (n/arm)"]) == want, where, row["Normal approximation (n/arm)"], want)
        for name, power in pw.items():
            col = f"{name} (n/arm: smallest / stable)"
            small, stable = (int(x) for x in row[col].split(" / "))
            ok = power(small, p1, p2) >= 0.8 > power(small - 1, p1, p2) and power(stable, p1, p2) >= 0.8
            if stable > small:
                ok = ok and power(stable - 1, p1, p2) < 0.8
            ch.expect(ok and stable >= small, where + f" {name}", row[col], "exact power by brute force")
            ch.checked["plan"].add(col)
    ch.checked["plan"].update({"Rates (drug vs placebo)", "Difference (points)", "Normal approximation (n/arm)"})


def split_shared(rows: list[dict]) -> list[dict]:
    """Cochrane Handbook v6 §23.3.4: a placebo arm shared by g comparisons of one study is divided between them,
    floor(x / g) each and the remainder one unit each to the first comparisons (events and n alike)."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, c in enumerate(rows):
        groups[(c["study"], c["table"][2], c["table"][3])].append(i)
    out = [dict(c) for c in rows]
    for idx in groups.values():
        g = len(idx)
        if g == 1:
            continue
        x, n = rows[idx[0]]["table"][2:]
        for j, i in enumerate(idx):
            xs = x // g + (1 if j < x % g else 0)
            ns = n // g + (1 if j < n % g else 0)
            out[i]["table"] = (*rows[i]["table"][:2], xs, ns)
            out[i]["placebo_n"] = n
    return out


def fragility_index(x1, n1, x2, n2, alpha=0.05) -> int:
    """By brute force with scipy's Fisher test. Significant (Walsh et al. 2014): events added to the arm with the
    lower proportion until p >= alpha. Not significant (reverse index, Khan et al. 2020, one-arm form): events
    added to the arm with the higher proportion until p < alpha."""
    sig = o.fisher_p(x1, n1, x2, n2) < alpha
    lower_t = x1 / n1 < x2 / n2 or (x1 / n1 == x2 / n2 and x1 < x2)
    to_t = lower_t if sig else x1 / n1 >= x2 / n2
    for i in range(1, n1 + n2 + 1):
        a, c = (x1 + i, x2) if to_t else (x1, x2 + i)
        if a > n1 or c > n2:
            break
        if (o.fisher_p(a, n1, c, n2) >= alpha) == sig:
            return i
    raise AssertionError("no fragility index")


def beta_difference(x1, n1, x2, n2, thr, alpha=0.05, prior=(1.0, 1.0)):
    """Posterior of p1 - p2 with independent Beta(a, b) priors, by one-dimensional quadrature of the CDF."""
    a, b = prior
    b1, b2 = stats.beta(x1 + a, n1 - x1 + b), stats.beta(x2 + a, n2 - x2 + b)

    def cdf(d):
        return integrate.quad(lambda q: b2.pdf(q) * b1.cdf(q + d), 0, 1, epsabs=1e-12, limit=200, points=[b2.mean()])[0]

    from scipy.optimize import brentq

    lo = brentq(lambda d: cdf(d) - alpha / 2, -1, 1, xtol=1e-10)
    hi = brentq(lambda d: cdf(d) - (1 - alpha / 2), -1, 1, xtol=1e-10)
    return b1.mean() - b2.mean(), lo, hi, 1 - cdf(thr)


@pytest.fixture(scope="module", params=list(CASES))
def built(request, tmp_path_factory):
    import fmtrials

    case = CASES[request.param]
    out = tmp_path_factory.mktemp(request.param) / "report"
    kw = {"data": case["data"]} if case["data"] else {}
    kw.update({k: case[k] for k in ("ci", "method", "test", "continuous", "comparators") if k in case})
    fmtrials.write_report(out, figures=False, quiet=True, measure=case["measure"], **kw)
    return request.param, case, out


def audit(case, out) -> Checker:
    ch = Checker(reference_arms(case["outcomes"], case.get("endpoints")), case["measure"], case.get("ci", "newcombe"))
    ch.continuous = _continuous_rows(case.get("continuous"))
    ch.net = network_of(case)
    tables = [(t, i) for i, t in enumerate(html_tables(out / "report.html"))]
    kinds = {i: kind(t) for t, i in tables}
    unknown = [t.heading for t, i in tables if kinds[i] == "unknown"]
    assert not unknown, f"tables this test does not know (add a checker or an ALLOW entry): {unknown}"
    for t, i in tables:
        if kinds[i] == "comparison":
            ch.comparison(t, i)
    ch.holm([(t, i) for t, i in tables if kinds[i] == "comparison"])
    for t, i in tables:
        if kinds[i] == "models":
            for row in t.rows:
                m = row["Main model"]
                ch.main_models[endpoint_of(row["Endpoint"])] = ("IV", "z") if m == "not pooled" else ch.model(m)
    if "method" in case:  # the requested main model is the one the tables name (and are recomputed with)
        for e, m in ch.main_models.items():
            if m != (case["method"], case["test"]):
                ch.errors.append(f"{e}: main model {m}, requested {(case['method'], case['test'])}")
    for t, i in tables:
        if kinds[i] not in ("comparison", "text") and hasattr(ch, kinds[i]):
            getattr(ch, kinds[i])(t, i)
        if kinds[i] == "plan":
            rows = {}
            for name in ("trial_plan", "composite_reanalysis"):
                with open(out / "tables" / f"{name}.csv", newline="", encoding="utf-8") as fh:
                    rows[name] = list(csv.DictReader(fh))
            _plan_check(ch, t, i, rows["trial_plan"], rows["composite_reanalysis"])
    # every column of every checked table kind: checked or allowed with a reason
    for t, i in tables:
        k = kinds[i]
        if k == "text":
            continue
        for col in t.header:
            if col not in ch.checked[k] and col not in ALLOW[k]:
                ch.errors.append(f"table {i} ({t.heading}, {k}): column {col!r} neither checked nor allowed")
    return ch


def _continuous_rows(path) -> dict[str, list[dict]]:
    """The user continuous outcomes file (or none), by endpoint, numbers as floats."""
    out: dict[str, list[dict]] = defaultdict(list)
    if path is None:
        return out
    with open(path, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            for c in ("mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c"):
                r[c] = float(r[c])
            out[r["endpoint"]].append(r)
    return out


def _cont_args(r: dict) -> tuple:
    return tuple(r[c] for c in ("mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c"))


def continuous_pooled(ch: Checker, t: Table, k: int) -> None:
    """Issue 25: pooled MD, SMD, the SMD in the scale's units, heterogeneity and PI of each continuous endpoint."""
    for row in t.rows:
        e = row["Endpoint"]
        rows = ch.continuous[e]
        where = f"table {k} continuous {e}"
        n = int(sum(r["n_t"] + r["n_c"] for r in rows))
        ch.expect(
            row["k (participants)"] == f"{len(rows)} ({n})", where + " k", row["k (participants)"], (len(rows), n)
        )
        method, test = ch.model(row["Model"])
        if len(rows) >= 3:  # the report's policy: the main model from k = 3 (unless --method/--test)
            ch.expect((method, test) == ("REML", "hksj-adhoc"), where + " model", row["Model"], "REML, HKSJ ad hoc")
        res = {}
        for col, ms in (("MD [95% CI]", "MD"), ("SMD [95% CI]", "SMD")):
            y, v = zip(*(o.mean_effect(*_cont_args(r), ms) for r in rows))
            res[ms] = o.pool(y, v, method=method, test=test, alpha=level(col))
            ch.interval(f"{where} {col}", row[col], res[ms]["est"], res[ms]["lo"], res[ms]["hi"])
        md = res["MD"]
        ch.expect(o.check_p(row["p (MD)"], md["p"]), where + " p", row["p (MD)"], md["p"])
        big = max(rows, key=lambda r: r["n_t"] + r["n_c"])  # first of ties: max() keeps the first
        sd = math.sqrt(
            ((big["n_t"] - 1) * big["sd_t"] ** 2 + (big["n_c"] - 1) * big["sd_c"] ** 2) / (big["n_t"] + big["n_c"] - 2)
        )
        if rows[0].get("typical_sd"):
            sd = float(rows[0]["typical_sd"])
        s = res["SMD"]
        ch.interval(where + " SMD x SD", row["SMD × typical SD [CI]"], s["est"] * sd, s["lo"] * sd, s["hi"] * sd)
        m = re.fullmatch(r"I² \(Q-based\) = ([\d.]+)%; τ² = ([\d.]+)", row["Heterogeneity (MD)"])
        ok = m is not None and o.close_printed(m.group(1), md["i2"]) and o.close_printed(m.group(2), md["tau2"])
        ch.expect(ok, where + " heterogeneity", row["Heterogeneity (MD)"], (md["i2"], md["tau2"]))
        lo, _, hi = row["Prediction interval (MD)"].partition(" to ")
        ok = bool(hi) and o.close_printed(lo, md["pi"][0]) and o.close_printed(hi, md["pi"][1])
        ch.expect(ok, where + " PI", row["Prediction interval (MD)"], md["pi"])
    ch.checked["continuous_pooled"] |= set(t.header) - set(ALLOW["continuous_pooled"])


def continuous_studies(ch: Checker, t: Table, k: int) -> None:
    """Issue 25: each study's summary statistics and its MD and SMD with the z interval."""
    e = t.heading.split(" ")[0]
    rows = ch.continuous[e]
    ch.expect([r["Study"] for r in t.rows] == [r["study"] for r in rows], f"table {k} studies", t.rows, rows)
    zc = o.z()
    for got, r in zip(t.rows, rows):
        where = f"table {k} {e} {r['study']}"
        for side in ("t", "c"):
            col = "Treatment mean (SD), n" if side == "t" else "Control mean (SD), n"
            want = f"{r['mean_' + side]:.2f} ({r['sd_' + side]:.2f}), {int(r['n_' + side])}"
            ch.expect(got[col] == want, where + " " + col, got[col], want)
        for col, ms in (("MD [95% CI]", "MD"), ("SMD [95% CI]", "SMD")):
            y, v = o.mean_effect(*_cont_args(r), ms)
            ch.interval(f"{where} {col}", got[col], y, y - zc * math.sqrt(v), y + zc * math.sqrt(v))
    ch.checked["continuous_studies"] |= set(t.header) - {"Study"}


def continuous_missing(ch: Checker, t: Table, k: int) -> None:
    """Issue 25: the missing continuous numbers are the gap rows of gaps.csv, word for word."""
    with open(BUNDLED / "gaps.csv", newline="", encoding="utf-8") as fh:
        gaps = [g for g in csv.DictReader(fh) if g["missing"].startswith("continuous outcomes: ")]
    want = [
        {
            "Trial": g["study"],
            "Missing numbers": g["missing"].removeprefix("continuous outcomes: "),
            "Sources searched": g["sources_searched"].replace(";", "; "),
            "What the sources print instead": f"{g['source']}, {g['locator']}",
        }
        for g in gaps
    ]
    ch.expect(t.rows == want, f"table {k} continuous gaps", t.rows, want)
    ch.checked["continuous_missing"] |= set(t.header)


for _f in (continuous_pooled, continuous_studies, continuous_missing):
    setattr(Checker, _f.__name__, _f)


def test_every_number_in_the_report_tables_is_recomputed(built):
    name, case, out = built
    ch = audit(case, out)
    assert not ch.errors, f"{name}: {len(ch.errors)} wrong cells:\n" + "\n".join(ch.errors[:40])
    assert ch.comparisons, "no per-comparison rows parsed"


def test_the_csv_tables_hold_the_same_numbers(built):
    """tables/comparisons.csv (full precision) against the same arithmetic; placebo rate over the placebo n."""
    name, case, out = built
    errors = []
    with open(out / "tables" / "comparisons.csv", newline="", encoding="utf-8") as fh:
        for i, r in enumerate(csv.DictReader(fh), 2):
            x1, n1, x2, n2 = (int(float(r[c])) for c in ("events_t", "n_t", "events_c", "n_c"))
            want = {"rate_t": x1 / n1, "rate_c": x2 / n2}
            want["rate_t_low"], want["rate_t_high"] = o.wilson(x1, n1)
            want["rate_c_low"], want["rate_c_high"] = o.wilson(x2, n2)
            rd = o.wald_rd if case.get("ci") == "wald" else o.newcombe
            want["rd"], want["rd_low"], want["rd_high"] = rd(x1, n1, x2, n2)
            for ms in ("rr", "or"):
                want[ms], want[ms + "_low"], want[ms + "_high"] = o.ratio_ci(x1, n1, x2, n2, ms.upper())
            want["nnt"] = 1 / abs(want["rd"]) if want["rd"] else math.inf
            if "p_value" in r:
                want["p_value"] = o.fisher_p(x1, n1, x2, n2)
            for col, w in want.items():
                if col in r and r[col] != "" and not math.isclose(float(r[col]), w, rel_tol=1e-6, abs_tol=1e-12):
                    errors.append(f"comparisons.csv line {i} {col}: {r[col]} vs {w}")
    path = out / "tables" / "what_it_means_fragility.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        for i, r in enumerate(csv.DictReader(fh), 2):
            x1, n1, x2, n2 = (int(float(r[c])) for c in ("events_t", "n_t", "events_c", "n_c"))
            if r["fragility_index"] not in ("", "nan"):
                fi = fragility_index(x1, n1, x2, n2, float(r["alpha"]))
                if int(float(r["fragility_index"])) != fi:
                    errors.append(f"fragility line {i}: {r['fragility_index']} vs {fi}")
    with open(out / "tables" / "what_it_means_posterior.csv", newline="", encoding="utf-8") as fh:
        for i, r in enumerate(csv.DictReader(fh), 2):
            if r["level"] != "trial":
                continue  # the hierarchical pooled posterior: test_decision_bayes.py
            x1, n1, x2, n2 = (int(float(r[c])) for c in ("events_t", "n_t", "events_c", "n_c"))
            prior = (float(r["prior_a"]), float(r["prior_b"]))
            mean, lo, hi, pg = beta_difference(x1, n1, x2, n2, float(r["threshold"]), float(r["alpha"]), prior)
            for col, w in (("mean", mean), ("ci_low", lo), ("ci_high", hi), ("p_greater", pg)):
                if not math.isclose(float(r[col]), w, abs_tol=1e-6):
                    errors.append(f"posterior line {i} {col}: {r[col]} vs {w}")
    with open(out / "tables" / "what_it_means_summary_of_findings.csv", newline="", encoding="utf-8") as fh:
        for i, r in enumerate(csv.DictReader(fh), 2):
            acr = float(r["assumed_per_1000"]) / 1000
            for suffix, src in (("", "estimate"), ("_low", "ci_low"), ("_high", "ci_high")):
                x = float(r[src])
                corr = acr * x if r["measure"] == "RR" else acr * x / (1 - acr + acr * x)
                for col, w in (
                    (f"corresponding_per_1000{suffix}", 1000 * corr),
                    (f"difference_per_1000{suffix}", 1000 * (corr - acr)),
                ):
                    if not math.isclose(float(r[col]), w, rel_tol=1e-8, abs_tol=1e-6):
                        errors.append(f"summary of findings line {i} {col}: {r[col]} vs {w}")
    assert not errors, f"{name}:\n" + "\n".join(errors[:40])


# ------------------------------------------------------------------------------------------------ class 4
RD_NAMES = {"newcombe": "Newcombe's hybrid score interval", "wald": "the Wald interval"}
TAU2_NAMES = {"REML": "restricted maximum likelihood", "DL": "DerSimonian–Laird", "PM": "Paule–Mandel"}
POOLED_WORD = {"RR": "Risk ratios", "OR": "Odds ratios", "RD": "Risk differences"}


def _names(text: str) -> set[str]:
    """'nausea, headache and dizziness' -> the set of names."""
    return {x.strip() for x in re.split(r",| and ", text) if x.strip()}


def test_the_methods_words_follow_the_numbers(built):
    """Issue 29, class 4: every df, level, method name and endpoint list the methods paragraph states is the one
    the tables were computed with; on user data the stated degrees of freedom are used to recompute the intervals
    (a paragraph saying k - 1 for an interval computed on k - 2 fails)."""
    name, case, out = built
    text = (out / "methods.txt").read_text(encoding="utf-8").split("\nReferences")[0]
    with open(out / "tables" / "models.csv", newline="", encoding="utf-8") as fh:
        models = {r["endpoint"]: r for r in csv.DictReader(fh)}
    with open(out / "tables" / "pooled.csv", newline="", encoding="utf-8") as fh:
        pooled = [r for r in csv.DictReader(fh) if r["model"] == "main"]
    assert "two-sided at the 95% level" in text
    assert f"the risk difference with {RD_NAMES[case.get('ci', 'newcombe')]}" in text
    assert f"{POOLED_WORD[case['measure']]} were pooled" in text
    # the endpoints named for each random-effects main model, and the estimator named
    for method, words in TAU2_NAMES.items():
        want = {e for e, m in models.items() if m["method"] == method and m["rule"] != "single"}
        found = re.search(
            rf"For ([^.]*?) the main model(?: \([^)]*\))? was a random-effects model with τ² from (?:the )?"
            rf"{re.escape(words)}",
            text,
        )
        assert (found is not None) == bool(want), (method, want)
        if want:
            assert _names(found.group(1)) == want
    # the prediction-interval sentence: its df, and the endpoints it names are those with a prediction interval
    with_pi = {r["endpoint"] for r in pooled if r["pi_low"] not in ("", "nan")}
    m = re.search(
        r"Prediction intervals [^.]*?\(t distribution on k − (\d) degrees of freedom\)[^.]*? are given for "
        r"([^.]*)\.",
        text,
    )
    assert (m is not None) == bool(with_pi)
    if m:
        assert _names(m.group(2)) == with_pi
    hk = re.search(r"Hartung–Knapp–Sidik–Jonkman interval and t test on k − (\d) degrees of freedom([^.]*)\.", text)
    adhoc = {m_["test"] for m_ in models.values()} & {"hksj-adhoc"}
    assert hk is None or (("ad hoc" in hk.group(2)) == bool(adhoc))
    if case["data"] is None:
        return  # the bundled data: doses and split placebo arms are checked cell by cell above
    # user data: one comparison per study, no subgroups; recompute with the stated df
    arms = reference_arms(case["outcomes"])
    tabs = []
    for s in dict.fromkeys(a.study for a in arms):
        t = next(a for a in arms if a.study == s and not is_placebo(a))
        c = next(a for a in arms if a.study == s and is_placebo(a))
        tabs.append((t.events, t.n, c.events, c.n))
    for r in pooled:
        w = o.pool_tables(tabs, case["measure"], method=r["method"], test=r["test"])
        k = w["k"]
        if m and r["pi_low"]:
            df = k - int(m.group(1))
            y = [o.log_effect(*t, case["measure"]) for t in tabs]
            se_c = math.sqrt(1 / sum(1 / (e[1] + w["tau2"]) for e in y if e))
            half = float(stats.t.ppf(0.975, df)) * math.sqrt(se_c**2 + w["tau2"])
            want = (o.back(w["est"] - half, case["measure"]), o.back(w["est"] + half, case["measure"]))
            assert (float(r["pi_low"]), float(r["pi_high"])) == pytest.approx(want, rel=1e-6)
        if hk and r["test"].startswith("hksj"):
            df = k - int(hk.group(1))
            # the HKSJ interval is symmetric on the analysis scale with the stated df
            lo, hi = (math.log(float(r[c])) if case["measure"] != "RD" else float(r[c]) for c in ("ci_low", "ci_high"))
            want_half = (w["hi"] - w["lo"]) / 2 / float(stats.t.ppf(0.975, k - 1)) * float(stats.t.ppf(0.975, df))
            assert (hi - lo) / 2 == pytest.approx(want_half, rel=1e-6)


def _prose(path: Path) -> str:
    import html as _html

    s = path.read_text(encoding="utf-8")
    s = re.sub(r"<(table|script|style)\b.*?</\1>", " ", s, flags=re.S)
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", s)).split())


COUNTS_PCT = re.compile(r"(\d+)/(\d+) vs (\d+)/(\d+) \((\d+(?:\.\d+)?)% vs (\d+(?:\.\d+)?)%")
COUNTS_RD = re.compile(
    rf"(\d+)/(\d+) vs (\d+)/(\d+) \([^)]*\): risk difference ({o.NUM}) \[({o.NUM}), ({o.NUM})\] points, "
    r"(NNT[BH]? [^)]*\)), p (<?[\d.]+)"
)
NNT_COUNTS = re.compile(r"(NNT[BH] [\d.]+ \([^)]*\)) for [^(;]*?\((\d+)/(\d+) vs (\d+)/(\d+)")


def test_the_numbers_in_the_prose_are_recomputed(built):
    """The main-results sentences: counts with percentages, the risk difference in points with its interval, the
    NNT and Fisher's p of a named trial, and the benefit-risk NNTs next to their counts."""
    name, case, out = built
    text = _prose(out / "report.html")
    ch = Checker([], case["measure"], case.get("ci", "newcombe"))
    n = 0
    for m in COUNTS_PCT.finditer(text):
        x1, n1, x2, n2 = map(int, m.groups()[:4])
        ch.expect(o.check_percent(m.group(5), x1, n1), "prose %", m.group(0), 100 * x1 / n1)
        ch.expect(o.check_percent(m.group(6), x2, n2), "prose %", m.group(0), 100 * x2 / n2)
        n += 1
    for m in COUNTS_RD.finditer(text):
        x1, n1, x2, n2 = map(int, m.groups()[:4])
        d, lo, hi = ch.rd(x1, n1, x2, n2)
        for g, w in zip(m.groups()[4:7], (d, lo, hi)):
            ch.expect(o.close_printed(g, 100 * w), "prose RD", m.group(0), (d, lo, hi))
        ch.nnt("prose NNT", m.group(8), d, lo, hi, "beneficial")
        ch.expect(o.check_p(m.group(9), o.fisher_p(x1, n1, x2, n2)), "prose p", m.group(0), "Fisher")
        n += 1
    for m in NNT_COUNTS.finditer(text):
        x1, n1, x2, n2 = map(int, m.groups()[1:])
        ch.nnt("prose benefit-risk NNT", m.group(1), *ch.rd(x1, n1, x2, n2), "harmful")
        n += 1
    assert not ch.errors, "\n".join(ch.errors)
    if case["data"] is None:
        assert n >= 4, "the main-results sentences were not found"


# ------------------------------------------------------------------------------------------------ network
def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_network_section_is_there_exactly_when_it_should_be(built):
    name, case, out = built
    html = (out / "report.html").read_text(encoding="utf-8")
    shown = network_of(case) is not None
    assert ('<section id="network">' in html) == shown
    assert ('href="#network"' in html) == shown
    assert (out / "tables" / "network_league.csv").exists() == shown
    if shown:  # right after the main results (when they are shown), before the table of contents
        at = html.index('<section id="network">')
        assert at < html.index("<nav>")
        if case["data"] is None:
            assert html.index('<section id="main-results">') < at


def test_the_network_csv_tables_and_results_json_hold_the_recomputed_numbers(built):
    """tables/network_*.csv to 1e-6 against the independent GLS network (tests/_oracle.py); results.json's
    ``network`` key holds the same records."""
    name, case, out = built
    net = network_of(case)
    if net is None:
        return
    tables = out / "tables"
    errors = []

    def close(where, got, want, tol=1e-6):
        if not math.isclose(float(got), want, rel_tol=tol, abs_tol=1e-9):
            errors.append(f"{where}: {got} vs {want}")

    for i, r in enumerate(_rows(tables / "network_league.csv"), 2):
        fit = net.fit(r["level"], case["measure"])
        est, lo, hi, se = o.network_pair(fit, r["treatment"], r["versus"])
        for col, w in (("estimate", est), ("ci_low", lo), ("ci_high", hi)):
            close(f"league line {i} {col}", r[col], net.back(w))
        close(f"league line {i} se", r["se"], se)
        close(f"league line {i} p", r["p"], float(2 * stats.norm.sf(abs(est / se))))
    ps = o.p_scores(net.dose)
    got = _rows(tables / "network_p_scores.csv")
    assert {r["treatment"] for r in got} == set(ps)
    for r in got:
        close(f"p-score {r['treatment']}", r["p_score"], ps[r["treatment"]])
    d = net.dose
    q = {r["part"]: r for r in _rows(tables / "network_inconsistency.csv")}
    for part, key in (("total", "q"), ("within designs", "q_within"), ("between designs", "q_between")):
        close(f"Q {part}", q[part]["q"], d[key], 1e-8)
        assert int(q[part]["df"]) == d[{"total": "q_df"}.get(part, key + "_df")]
    close("tau2", float(q["total"]["tau2"]) + 1, d["tau2"] + 1, 1e-7)
    for r in _rows(tables / "network_published.csv"):
        fit = net.fit(r["level"], r["measure"])
        if r["treatment"] not in fit["treatments"]:
            assert r["fmtrials"] == ""
            continue
        est, lo, hi, _ = o.network_pair(fit, r["treatment"], "placebo")
        for col, w in (("fmtrials", est), ("fmtrials_low", lo), ("fmtrials_high", hi)):
            close(f"published {r['treatment']} {col}", r[col], math.exp(w))
        ms, pe, pl, ph, *_ = PUBLISHED[(r["source"], r["treatment"])]
        assert (r["measure"], float(r["published"]), float(r["published_low"]), float(r["published_high"])) == (
            ms,
            pe,
            pl,
            ph,
        )
    inputs = _rows(tables / "network_inputs.csv")
    assert [(r["study"], r["node"], int(r["events"]), int(r["n"])) for r in inputs] == per_dose(net.arms)
    assert not errors, f"{name}:\n" + "\n".join(errors[:40])
    import json

    res = json.loads((out / "results.json").read_text(encoding="utf-8"))["network"]
    assert res["measure"] == case["measure"] and res["k"] == len({a.study for a in net.arms})
    league = _rows(tables / "network_league.csv")
    assert len(res["network_league"]) == len(league)
    for a, b in zip(res["network_league"], league):
        assert (a["level"], a["treatment"], a["versus"]) == (b["level"], b["treatment"], b["versus"])
        assert a["estimate"] == pytest.approx(float(b["estimate"]), rel=1e-9)
    assert {r["treatment"]: r["p_score"] for r in res["network_p_scores"]} == pytest.approx(ps, rel=1e-6)


def test_the_network_methods_and_lead_follow_the_numbers(built):
    """The methods paragraph names the estimator, measure, trials and zero-cell rule the numbers were computed
    with; the lead sentences' estimates, counts and ranges are recomputed."""
    name, case, out = built
    net = network_of(case)
    if net is None:
        return
    methods = (out / "methods.txt").read_text(encoding="utf-8")
    para = next(p for p in methods.split("\n") if p.startswith("Comparator network:"))
    word = {"RR": "risk ratios", "OR": "odds ratios", "RD": "risk differences"}[case["measure"]]
    assert para.startswith(f"Comparator network: {word} of ≥30% pain response against placebo")
    assert f"counts of {len({a.study for a in net.arms})} placebo-controlled trials" in para
    assert "restricted maximum likelihood" in para and "correlation 1/2" in para
    assert "no study here needed it" in para  # no zero cell in either input
    text = _prose(out / "report.html")
    mword = {"RR": "risk ratio", "OR": "odds ratio", "RD": "risk difference"}[case["measure"]]
    drug = net.fit("drug", case["measure"])
    found = re.findall(rf"(\w+) against milnacipran: {mword} ({o.NUM}) \[({o.NUM}), ({o.NUM})\] \(([^)]*)\)", text)
    assert {f[0] for f in found} == {"duloxetine", "pregabalin"}
    ch = Checker([], case["measure"])
    for t, *ci, verdict in found:
        est, lo, hi, _ = o.network_pair(drug, t, "milnacipran")
        ch.interval(f"lead {t}", f"{ci[0]} [{ci[1]}, {ci[2]}]", *map(net.back, (est, lo, hi)))
        crosses = net.back(lo) <= 1 <= net.back(hi)
        assert (verdict == "no difference demonstrated") == crosses, (t, verdict)
    doses = net.dose["treatments"]
    mln = [t for t in doses if t.startswith("milnacipran")]
    cross = [
        tuple(map(net.back, o.network_pair(net.dose, a, b)[:3]))
        for a in doses
        for b in mln
        if a not in mln and a != "placebo"
    ]
    apart = [c for c in cross if c[1] > 1 or c[2] < 1]
    m = re.search(
        rf"Per dose, none of the (\d+) comparisons .*? the intervals reach from ({o.NUM}) to ({o.NUM})\.", text
    )
    assert (m is not None) == (not apart)
    if m:
        assert int(m.group(1)) == len(cross)
        ch.expect(o.close_printed(m.group(2), min(c[1] for c in cross)), "lead low", m.group(2), cross)
        ch.expect(o.close_printed(m.group(3), max(c[2] for c in cross)), "lead high", m.group(3), cross)
    tau = re.search(rf"random-effects network meta-analysis \(REML τ² = ({o.NUM})\)", text)
    assert tau and o.close_printed(tau.group(1), net.dose["tau2"]), (tau, net.dose["tau2"])
    unverified = sum(a.status != "reported" for a in net.arms)
    if unverified == len(net.arms):
        assert "every input is an unverified transcription" in text
    else:
        assert f"{unverified} of the {len(net.arms)} input arms are unverified transcriptions" in text
    assert not ch.errors, ch.errors


def test_the_network_oracle_is_metafor_rma_mv():
    """The test's GLS network (tests/_oracle.py) against R metafor rma.mv (tests/r/netreport_reference.R) on the
    bundled comparator network and the synthetic user file: coefficients, covariance, tau², Q, P-scores and the
    design-by-treatment decomposition. rma.mv's nlminb stops with tau² 9e-8 above the root of the REML score
    equation on the user file (0.13632453887, which the oracle and fmtrials find); hence 1e-6 relative there."""
    import json

    ref = json.loads((DATA / "netreport_reference.json").read_text(encoding="utf-8"))
    assert ref["cases"]["user_OR"]["fits"]["REML"]["tau2"] > 0.1  # the REML path with tau² > 0 is exercised
    for name, c in ref["cases"].items():
        arms = [(r["study"], r["treatment"], r["events"], r["n"]) for r in ref["arms"][c["level"]]]
        for method in ("common", "REML"):
            f, r = o.network(arms, c["measure"], method=method), c["fits"][method]
            ts = r["treatment"]
            assert [f["beta"][t] for t in ts] == pytest.approx(r["estimate"], rel=1e-6, abs=1e-9), (name, method)
            cov = [[f["cov"](a, b) for b in ts] for a in ts]
            assert np.array(cov) == pytest.approx(np.array(r["vcov"]), rel=1e-6, abs=1e-12)
            assert f["tau2"] == pytest.approx(r["tau2"], rel=1e-6, abs=1e-10)
            assert o.p_scores(f) == pytest.approx(r["p_scores"], abs=1e-6)
            assert f["q"] == pytest.approx(c["fits"]["common"]["q"], rel=1e-10)
        dec = c["fits"]["decomposition"]
        f = o.network(arms, c["measure"], method="common")
        assert (f["q_within"], f["q_between"]) == pytest.approx((dec["q_within"], dec["q_between"]), abs=1e-9)
        assert (f["q_within_df"], f["q_between_df"]) == (dec["q_within_df"], dec["q_between_df"])


def test_the_bundled_network_csv_is_metafor_rma_mv(built):
    """The bundled report's league and P-scores straight against the R reference (REML, per dose and drug)."""
    name, case, out = built
    if case["data"] is not None or case["measure"] not in ("RR", "OR", "RD"):
        return
    import json

    ref = json.loads((DATA / "netreport_reference.json").read_text(encoding="utf-8"))
    for r in _rows(out / "tables" / "network_league.csv"):
        fit = ref["cases"][f"{r['level']}_{case['measure']}"]["fits"]["REML"]
        b = dict(zip(fit["treatment"], fit["estimate"]))
        want = b.get(r["treatment"], 0.0) - b.get(r["versus"], 0.0)
        got = float(r["estimate"])
        assert (math.log(got) if case["measure"] != "RD" else got) == pytest.approx(want, abs=1e-6)
    fit = ref["cases"][f"dose_{case['measure']}"]["fits"]["REML"]
    for r in _rows(out / "tables" / "network_p_scores.csv"):
        assert float(r["p_score"]) == pytest.approx(fit["p_scores"][r["treatment"]], abs=1e-6)


def test_the_reports_words_follow_its_numbers(built):
    """Issue 29, class 4, in report.html as well as methods.txt: every statement of a level, an interval or test
    method and its citation, a zero-cell correction, a df rule, the small-study threshold and the fragility
    threshold agrees wherever it is made and reproduces the report's own numbers with the test's arithmetic
    (:func:`tests._words.check_words`)."""
    from _words import check_words

    name, case, out = built
    errors = check_words(out, case["measure"])
    assert not errors, "\n".join(errors)

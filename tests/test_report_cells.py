"""Every number the reader sees in the report, recomputed from the data tables with the test's own arithmetic.

Issue 29, class 1. The report is built once per data set (module-scoped, no figures): the bundled data and two
user CSVs (metadat ``dat.li2007`` with ``measure="OR"``, ``dat.lee2004`` with the default RR). Every table of
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
import pytest
from _report_cells import EVENTS_VS, FRACTION, NNT, Table, endpoint_of, html_tables, is_placebo, reference_arms
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
    "lee2004-options": {
        "data": DATA / "lee2004_outcomes.csv",
        "measure": "OR",
        "outcomes": DATA / "lee2004_outcomes.csv",
        "ci": "wald",
        "method": "DL",
        "test": "hksj",
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
    "text": {},
}


#: the heading of the full per-comparison table (the main-results tables repeat some of its rows, and show
#: endpoints such as ae_withdrawal that the analysis itself does not pool)
ANALYSED = "Each trial against placebo"


def kind(t: Table) -> str:
    h = set(t.header)
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

    # ----------------------------------------------------------------------------------------------- helpers
    def expect(self, ok: bool, where: str, text: str, want) -> None:
        if not ok:
            self.errors.append(f"{where}: printed {text!r}, recomputed {want}")

    def interval(self, where, text, est, lo, hi, scale=1.0):
        got = o.parse_interval(text)
        if got is None:
            self.errors.append(f"{where}: cannot parse interval {text!r}")
            return
        for t, v in zip(got, (est, lo, hi)):
            self.expect(o.close_printed(t, v * scale), where, text, (est * scale, lo * scale, hi * scale))

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
                self.expect(o.close_printed(m.group(3), 100 * e / n), where + f" {col}", row[col], 100 * e / n)
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

    def pooled_check(self, where, row, col, measure, rows, method, test):
        tabs = [c["table"] for c in rows]
        r = o.pool_tables(tabs, measure, method=method, test=test, alpha=level(col))
        self.interval(where + f" {col}", row[col], *(o.back(r[x], measure) for x in ("est", "lo", "hi")))
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
            r = self.pooled_check(where, row, est_col, measure, rows, row["Method"], row["Test"])
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
    kw.update({k: case[k] for k in ("ci", "method", "test") if k in case})
    fmtrials.write_report(out, figures=False, quiet=True, measure=case["measure"], **kw)
    return request.param, case, out


def audit(case, out) -> Checker:
    ch = Checker(reference_arms(case["outcomes"], case.get("endpoints")), case["measure"], case.get("ci", "newcombe"))
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
    # every column of every checked table kind: checked or allowed with a reason
    for t, i in tables:
        k = kinds[i]
        if k == "text":
            continue
        for col in t.header:
            if col not in ch.checked[k] and col not in ALLOW[k]:
                ch.errors.append(f"table {i} ({t.heading}, {k}): column {col!r} neither checked nor allowed")
    return ch


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
        ch.expect(o.close_printed(m.group(5), 100 * x1 / n1), "prose %", m.group(0), 100 * x1 / n1)
        ch.expect(o.close_printed(m.group(6), 100 * x2 / n2), "prose %", m.group(0), 100 * x2 / n2)
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


def test_the_reports_words_follow_its_numbers(built):
    """Issue 29, class 4, in report.html as well as methods.txt: every statement of a level, an interval or test
    method and its citation, a zero-cell correction, a df rule, the small-study threshold and the fragility
    threshold agrees wherever it is made and reproduces the report's own numbers with the test's arithmetic
    (:func:`tests._words.check_words`)."""
    from _words import check_words

    name, case, out = built
    errors = check_words(out, case["measure"])
    assert not errors, "\n".join(errors)

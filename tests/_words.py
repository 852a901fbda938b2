"""Words against numbers (issue 29, class 4): what a built report *says* about how its numbers were computed,
checked against the numbers themselves.

:func:`check_words` reads every statement of method, level, citation, zero-cell correction and degrees of freedom
from ``report.html`` (prose, Methods list, table headers) and ``methods.txt``; every place that states the same
choice must state the same value, and that value must reproduce the numbers of ``tables/*.csv`` and
``results.json`` with the test's own arithmetic (:mod:`tests._oracle`, scipy). The test's tables below name each
method with its formula and its source (author and year from the paper itself), never from fmtrials.
"""

from __future__ import annotations

import csv
import html
import json
import math
import re
from pathlib import Path

import _oracle as o
from scipy import special, stats

#: the risk-difference intervals the report may name: the citation its Methods list must give
RD_CITED = {
    "newcombe": "Newcombe 1998 hybrid score",  # Stat Med 1998;17:873-890, method 10
    "mn": "Miettinen–Nurminen 1985 score",  # Stat Med 1985;4:213-226
    "mee": "Mee 1984 score",  # Biometrics 1984;40:1175-1176
    "agresti_caffo": "Agresti–Caffo 2000",  # Am Stat 2000;54:280-288
    "wald": "Wald",
    "exact": "Chan–Zhang 1999 exact unconditional",  # Biometrics 1999;55:1202-1209
}
#: the same in the methods paragraph
RD_PARAGRAPH = {
    "newcombe": "Newcombe's hybrid score interval",
    "mn": "the Miettinen–Nurminen score interval",
    "mee": "Mee's score interval",
    "wald": "the Wald interval",
}
#: the RD intervals the test computes itself
RD_FORMULA = {"newcombe": o.newcombe, "wald": o.wald_rd}
#: ratio intervals by the words used for them: the measure whose log-scale Wald interval they are
RATIO_FORMULA = {"Katz log": "RR", "Woolf logit": "OR"}
#: per-comparison tests by the words used for them
TEST_FORMULA = {
    "Fisher's exact test (two-sided)": o.fisher_p,
    "two-sided Fisher exact test": o.fisher_p,
    "Fisher's exact test": o.fisher_p,
}
#: the sensitivity analyses' models and tests by the words used for them
SENS_METHODS = {"Mantel–Haenszel": "MH", "inverse variance": "IV", "Peto": "Peto", "DerSimonian–Laird": "DL",
                "REML": "REML", "Paule–Mandel": "PM"}  # fmt: skip
SENS_TESTS = {"z": "z", "HKSJ": "hksj", "HKSJ ad hoc": "hksj-adhoc"}
#: Cochrane Handbook 5.1 §10.4.3.1: "tests for funnel plot asymmetry should be used only when there are at least
#: 10 studies included in the meta-analysis"
HANDBOOK_MIN_K = 10


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _text(path: Path) -> str:
    """The whole HTML as text (tags removed, table headers kept), whitespace collapsed."""
    s = path.read_text(encoding="utf-8")
    s = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", s, flags=re.S)
    return (
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", s)).split())
        .replace(" .", ".")
        .replace(" ,", ",")
        .replace(" :", ":")
        .replace(" )", ")")
    )


def _all(pattern: str, text: str, what: str, errors: list[str], *, need: bool = True) -> list[tuple]:
    found = [m if isinstance(m, tuple) else (m,) for m in re.findall(pattern, text)]
    if need and not found:
        errors.append(f"{what}: statement not found ({pattern!r})")
    return found


def _one(values: list, what: str, errors: list[str]):
    distinct = list(dict.fromkeys(values))
    if len(distinct) > 1:
        errors.append(f"{what}: the report states several values {distinct}")
    return distinct[0] if distinct else None


def _f(x: str) -> float:
    return float(x) if x not in ("", "nan", "None") else math.nan


def _close(a: float, b: float, rel: float = 1e-7) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def check_words(out: Path, measure: str) -> list[str]:
    """Every statement of how the numbers were computed in the report at ``out`` (pooled ``measure``), checked
    against those numbers; returns the disagreements (empty when the words follow the numbers)."""
    e: list[str] = []
    text, para = _text(out / "report.html"), (out / "methods.txt").read_text("utf-8").split("\nReferences")[0]
    para = " ".join(para.split())
    comp = _rows(out / "tables" / "comparisons.csv")
    results = json.loads((out / "results.json").read_text("utf-8"))["endpoints"]

    # the level: table headers, the comparison paragraph, the methods paragraph
    levels = [int(x[0]) for x in _all(r"\[(\d+)% CI\]", text, "level (headers)", e)]
    levels += [int(x[0]) for x in _all(r"with (\d+)% CIs", text, "level (comparisons)", e)]
    levels += [int(x[0]) for x in _all(r"two-sided at the (\d+)% level", para, "level (paragraph)", e)]
    level = _one(levels, "confidence level", e) or 95
    alpha = 1 - level / 100

    # the zero-cell correction of the per-comparison ratios and of the per-study effects of pooling
    add_comp = [float(x[0]) for x in _all(r"(\d+(?:\.\d+)?) added to all cells of a table with a zero cell", text,
                                          "correction (Methods)", e, need=False)]  # fmt: skip
    add_comp += [float(x[0]) for x in _all(r"had (\d+(?:\.\d+)?) added to every cell", para, "", e, need=False)]
    add = _one(add_comp, "zero-cell correction", e)
    zero = [r for r in comp if min(int(r["events_t"]), int(r["n_t"]) - int(r["events_t"]), int(r["events_c"]),
                                   int(r["n_c"]) - int(r["events_c"])) == 0]  # fmt: skip
    if zero and add is None:
        e.append(f"{len(zero)} comparisons have a zero cell and no correction is stated")
    pool_add = _one(
        [float(x[0]) for x in _all(r"Per-study effects add (\d+(?:\.\d+)?) to all four", text, "", e, need=False)],
        "pooling correction",
        e,
    )

    # the RD interval: its code in three places, its name and citation in the Methods list and the paragraph
    codes = [x[0] for x in _all(r"risk-difference interval: (\w+)\.", text, "RD (header)", e)]
    codes += [x[0] for x in _all(r"RD with the (\w+) interval", text, "RD (comparisons)", e)]
    cited = _all(r"Risk difference\. (\w+) interval \(([^)]*)\)", text, "RD (Methods)", e)
    codes += [c for c, _ in cited]
    rd = _one(codes, "RD interval", e)
    for _, words in cited:
        if not words.startswith(RD_CITED.get(rd, "?")):
            e.append(f"RD interval {rd}: Methods cites {words!r}, the method is {RD_CITED.get(rd)!r}")
    if rd in RD_PARAGRAPH and f"the risk difference with {RD_PARAGRAPH[rd]}" not in para:
        e.append(f"RD interval {rd}: the methods paragraph does not name {RD_PARAGRAPH[rd]!r}")
    if rd in RD_FORMULA:
        for r in comp:
            x1, n1, x2, n2 = (int(r[c]) for c in ("events_t", "n_t", "events_c", "n_c"))
            want = RD_FORMULA[rd](x1, n1, x2, n2, alpha)
            if not all(_close(_f(r[c]), w) for c, w in zip(("rd", "rd_low", "rd_high"), want)):
                e.append(f"{r['study']} {r['endpoint']}: the RD interval is not {rd} at {level}%")
    elif rd is not None and {r["rd_method"] for r in comp} != {rd}:
        e.append(f"RD interval stated {rd}, recorded { ({r['rd_method'] for r in comp}) }")

    # the ratio intervals: named in the comparisons paragraph, the Methods list and the methods paragraph
    names = _all(r"RR \(([^)]*)\) and OR \(([^)]*)\) with", text, "RR/OR (comparisons)", e)
    names += _all(r"Risk ratio: (.*?) interval; odds ratio: (.*?) interval", text, "RR/OR (Methods)", e)
    in_para = _all(r"the risk ratio \((.*?)\) and odds ratio \((.*?)\)", para, "RR/OR (paragraph)", e)
    names += [(a.removesuffix(" interval"), b.removesuffix(" interval")) for a, b in in_para]
    for col, stated in (("rr", _one([n[0] for n in names], "RR interval", e)),
                        ("or", _one([n[1] for n in names], "OR interval", e))):  # fmt: skip
        if RATIO_FORMULA.get(stated) != col.upper():
            e.append(f"the {col.upper()} interval is called {stated!r}, which is not a {col.upper()} interval")
            continue
        for r in comp:
            x1, n1, x2, n2 = (int(r[c]) for c in ("events_t", "n_t", "events_c", "n_c"))
            if (x1 == 0 and x2 == 0) or (x1 == n1 and x2 == n2):
                continue
            want = o.ratio_ci(x1, n1, x2, n2, col.upper(), alpha, cc=add if add is not None else 0.0)
            got = tuple(_f(r[c]) for c in (col, f"{col}_low", f"{col}_high"))
            if not all(_close(g, w) for g, w in zip(got, want)):
                e.append(f"{r['study']} {r['endpoint']}: {col.upper()} {got} is not {stated} (+{add}) at {level}%")

    # the per-comparison test
    tests = _all(r"NNTH for harm\); p from (.*?)\. p \(Holm\)", text, "test (comparisons)", e)
    tests += _all(r"Tests and multiplicity\. (.*?) for each comparison", text, "test (Methods)", e)
    tests += _all(r"; and a (.*?)\. ", para, "test (paragraph)", e)
    for (stated,) in tests:
        fn = TEST_FORMULA.get(stated)
        if fn is None:
            e.append(f"the test is called {stated!r}, a name this check does not know")
            continue
        for r in comp:
            x1, n1, x2, n2 = (int(r[c]) for c in ("events_t", "n_t", "events_c", "n_c"))
            if not _close(_f(r["p_value"]), fn(x1, n1, x2, n2), 1e-9):
                e.append(f"{r['study']} {r['endpoint']}: p is not {stated}")
                break

    # prediction intervals: df rule, smallest k, on every main model; HKSJ: the t test's df
    pi = _all(r"Prediction interval: (.*?) \(t, k−(\d) df; none for k<(\d+)\)", text, "PI (pooled)", e)
    lost = [int(x[1]) for x in pi] + [int(x[0]) for x in _all(r"with t on k−(\d) df", text, "PI (Methods)", e)]
    lost += [int(x[0]) for x in _all(r"t distribution on k − (\d) degrees of freedom", para, "", e, need=False)]
    pi_lost = _one(lost, "prediction-interval df", e)
    if pi and pi_lost is not None and int(pi[0][2]) != pi_lost + 1:
        e.append(f"prediction interval: t on k−{pi_lost} df but 'none for k<{pi[0][2]}'")
    if pi and pi[0][0] != "Higgins–Thompson–Spiegelhalter" and pi_lost == 2:
        e.append(f"prediction interval on k−2 df called {pi[0][0]!r}")
    hk = _one([int(x[0]) for x in _all(r"t test on k − (\d) degrees of freedom", para, "", e, need=False)],
              "HKSJ df", e)  # fmt: skip
    ratio = measure in ("RR", "OR")
    for ep, res in results.items():
        m = res.get("main") or {}
        if not m:
            continue
        k, tau2, pred = int(m["k"]), float(m["heterogeneity"]["tau2"] or 0), m["prediction"]
        studies = [s for s in m["studies"] if s["included"]]
        if pool_add is not None:
            for s in studies:
                if s["corrected"]:
                    y = o.log_effect(s["events_t"], s["n_t"], s["events_c"], s["n_c"], measure, cc=pool_add)
                    if y is None or not _close(s["yi"], y[0]):
                        e.append(f"{ep} {s['label']}: per-study effect is not the counts + {pool_add}")
        if m["model"] == "random" and pi_lost is not None:
            if (pred["pi_low"] is not None) != (k >= pi_lost + 1):
                e.append(f"{ep}: k = {k}, prediction interval {pred['pi_low']} against 'none for k<{pi_lost + 1}'")
            if pred["pi_low"] is not None:
                se_c = sum(1 / (s["vi"] + tau2) for s in studies) ** -0.5
                tr = math.log if ratio else float
                half = (tr(pred["pi_high"]) - tr(pred["pi_low"])) / 2
                want = float(special.stdtrit(k - pi_lost, 1 - alpha / 2)) * math.sqrt(se_c**2 + tau2)
                if not _close(half, want, 1e-6):
                    e.append(f"{ep}: the prediction interval is not t on k−{pi_lost} df ({half} vs {want})")
        if m["stat_dist"] == "t":
            if hk is None:
                e.append(f"{ep}: a t test on {m['df']} df whose df the paragraph does not state")
            elif not (m["df"] == k - hk and _close(m["p_value"], 2 * stats.t.sf(abs(m["statistic"]), k - hk), 1e-9)):
                e.append(f"{ep}: the t test is not on k − {hk} df (df {m['df']}, k {k})")

    # small-study effects: the threshold (the Handbook's), which endpoints were tested, the Egger df
    mins = [int(x[0]) for x in _all(r"at least (\d+) comparisons", text, "small-study threshold", e)]
    mins += [int(x[0]) for x in _all(r"\(at least (\d+) comparisons\) with Egger", para, "", e, need=False)]
    min_k = _one(mins, "small-study threshold", e)
    if min_k != HANDBOOK_MIN_K:
        e.append(f"small-study threshold stated {min_k}, the cited Handbook §10.4.3.1 says {HANDBOOK_MIN_K}")
    models = {r["endpoint"]: r for r in _rows(out / "tables" / "models.csv")}
    small = _rows(out / "tables" / "small_study.csv")
    tested = {r["endpoint"] for r in small}
    for ep, r in models.items():
        if (int(r["k"]) >= (min_k or 0) and r["rule"] != "single") != (ep in tested):
            e.append(f"{ep}: k = {r['k']}, small-study tests {'run' if ep in tested else 'not run'}")
    egger = [int(x[0]) for x in _all(r"t test of the slope on k − (\d) df", text, "Egger df", e, need=bool(small))]
    for r in small:
        if r["method"] == "egger":
            d = _one(egger, "Egger df", e)
            if d != 2 or _f(r["df"]) != int(r["k"]) - 2:  # intercept and slope estimated
                e.append(f"{r['endpoint']}: Egger's t test stated on k − {d} df, computed on {r['df']} (k {r['k']})")

    # the sensitivity analyses: the models and tests the paragraph lists are those the table fitted
    sens = _rows(out / "tables" / "sensitivity.csv")
    listed = _all(r"refitted every model \((.*?)\)[;.]", para, "sensitivity models", e, need=bool(sens))
    for (words,) in listed:
        common, _, rest = words.partition(", and ")
        random, _, tests = rest.partition(" random effects, each with ")
        names = [x.strip() for x in re.split(r", | and ", common + ", " + random) if x.strip()]
        said = {SENS_METHODS.get(n, n) for n in names}
        said_tests = {SENS_TESTS.get(x.strip(), x) for x in re.split(r", | and ", tests.removesuffix(" tests"))}
        if said != {r["method"] for r in sens}:
            e.append(
                f"sensitivity: the paragraph lists {sorted(said)}, the table fitted { ({r['method'] for r in sens}) }"
            )
        if said_tests != {r["test"] for r in sens if r["method"] in ("DL", "REML", "PM")}:
            e.append(f"sensitivity: the paragraph lists tests {sorted(said_tests)}")
    # trim-and-fill: one estimator in the Methods list, the paragraph and the small-study section
    est = [x[0] for x in _all(r"trim-and-fill \((\w+), trimfill\)", text, "trim-and-fill (Methods)", e)]
    est += [x[0] for x in _all(r"trim-and-fill with the (\w+) estimator", para, "", e, need=False)]
    est += [x[0] for x in _all(r"Duval & Tweedie 2000; (\w+) estimator", text, "", e, need=False)]
    _one(est, "trim-and-fill estimator", e)

    # fragility: the test and the threshold it is taken to
    frag = _rows(out / "tables" / "what_it_means_fragility.csv")
    said = _all(r"for (Fisher's) p to reach ([\d.]+)\)", text, "fragility", e, need=any(
        r["direction"] == "fragility" for r in frag))  # fmt: skip
    for name, thr in said:
        for r in (r for r in frag if r["direction"] == "fragility"):
            x1, n1, x2, n2 = (int(r[c]) for c in ("events_t", "n_t", "events_c", "n_c"))
            p = TEST_FORMULA[f"{name} exact test"](x1, n1, x2, n2)
            if not (_close(_f(r["p_value"]), p, 1e-9) and p < float(thr) <= _f(r["p_after"])):
                e.append(f"fragility {r['study']}: p {p} and p after {r['p_after']} do not straddle {thr}")
    comp_words = _all(r"(\w+) hybrid score intervals; (.*?); percentages matched", text, "composite", e,
                      need=(out / "tables" / "composite_reanalysis.csv").exists())  # fmt: skip
    seed = _rows(out / "tables" / "composite_reanalysis.csv")
    for author, test in comp_words:
        cis, fns = {r["ci"] for r in seed}, {r["test"] for r in seed}
        if len(cis) != 1 or not RD_CITED.get(cis.pop(), "?").startswith(f"{author} "):
            e.append(f"composite table: stated {author} intervals, recorded { ({r['ci'] for r in seed}) }")
        if fns != {"fisher"} or TEST_FORMULA.get(test) is not o.fisher_p:
            e.append(f"composite table: stated {test!r}, recorded {fns}")
    return e

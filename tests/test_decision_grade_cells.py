"""GRADE imprecision and small-study (publication bias) domains by a table of cases (issue 29, class 3).

Each case states the rating a reviewer applying the criteria would give, and why; the numbers the rating rests on
are recomputed here by hand:

* imprecision (GRADE guidelines 6, Guyatt et al. 2011, J Clin Epidemiol 64:1283): one level down when the
  confidence interval includes no effect, one when the total number of participants is below the optimal
  information size (two-proportion sample size for a 25% relative risk reduction from the assumed control risk,
  alpha 0.05, power 0.80), at most two;
* publication bias: Egger's regression test (classical: standard normal deviate on precision, t test of the
  intercept on k - 2 df, Egger et al. 1997) from 10 studies, one level down when p < 0.10.
"""

from __future__ import annotations

import math
import statistics

import _oracle as o
import numpy as np
import pytest
from scipy import stats
from test_decision_grade import _sof


def ois(control_risk: float) -> float:
    p1, p2 = control_risk, 0.75 * control_risk
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.80)
    return 2 * z**2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p1 - p2) ** 2


def main_ci(rows):
    method, test = ("MH", "z") if len(rows) <= 2 else ("REML", "hksj-adhoc")
    r = o.pool_tables(rows, "RR", method=method, test=test)
    return math.exp(r["lo"]), math.exp(r["hi"])


IMPRECISION = [
    # (rows as events_t, n_t, events_c, n_c), downgrade, why
    ([(90, 300, 60, 300)] * 4, 0, "2400 participants >= OIS 1805 at control risk 0.20; RR 1.5 interval excludes 1"),
    ([(66, 300, 60, 300), (58, 300, 60, 300), (63, 300, 61, 300), (60, 300, 59, 300)], 1,
     "2400 participants >= OIS; the interval includes 1"),
    ([(20, 40, 6, 40), (18, 40, 5, 40), (21, 40, 7, 40)], 1,
     "240 participants, below the OIS for a control risk near 0.15; interval excludes 1"),
    ([(8, 40, 6, 40), (7, 40, 8, 40), (9, 40, 7, 40)], 2, "240 participants below the OIS and the interval includes 1"),
]  # fmt: skip


@pytest.mark.parametrize("rows,down,why", IMPRECISION, ids=[c[2][:40] for c in IMPRECISION])
def test_imprecision_table_of_cases(rows, down, why, tmp_path):
    lo, hi = main_ci(rows)
    n = sum(r[1] + r[3] for r in rows)
    cr = statistics.median(r[2] / r[3] for r in rows)
    # the case's own reason holds for the recomputed numbers
    assert int(lo <= 1 <= hi) + int(n < ois(cr)) == down, (lo, hi, n, ois(cr))
    row = _sof(rows, tmp_path)
    assert row["imprecision"] == -down, (why, row["explanation"])


def egger_p(rows) -> float:
    y = np.array([o.log_effect(*r, "RR")[0] for r in rows])
    se = np.sqrt([o.log_effect(*r, "RR")[1] for r in rows])
    zs, prec = y / se, 1 / se
    x = np.column_stack([np.ones_like(prec), prec])
    beta, *_ = np.linalg.lstsq(x, zs, rcond=None)
    resid = zs - x @ beta
    k = len(y)
    s2 = resid @ resid / (k - 2)
    cov = s2 * np.linalg.inv(x.T @ x)
    return float(2 * stats.t.sf(abs(beta[0] / math.sqrt(cov[0, 0])), k - 2))


def _asymmetric(k):
    # the relative effect shrinks with trial size (RR 1 + 4 / sqrt(n)): the funnel's small-trial corner only
    sizes = (20, 24, 30, 36, 44, 60, 90, 150, 300, 600)
    return [(round(0.15 * n * (1 + 4 / math.sqrt(n))), n, round(0.15 * n), n) for n in sizes[:k]]


def _symmetric(k):
    sizes = (20, 24, 30, 36, 44, 60, 90, 150, 300, 600)
    return [((round(0.30 * n) + (1 if i % 2 else -1)), n, round(0.20 * n), n) for i, n in enumerate(sizes[:k])]


SMALL_STUDY = [
    (_asymmetric(10), 1, "10 studies; small trials show the larger effects: Egger p < 0.10"),
    (_symmetric(10), 0, "10 studies without asymmetry: Egger p >= 0.10"),
    (_asymmetric(9), 0, "9 studies: the test is not done below 10 (Cochrane Handbook 10.4.3.1)"),
]


@pytest.mark.parametrize("rows,down,why", SMALL_STUDY, ids=[c[2][:30] for c in SMALL_STUDY])
def test_small_study_table_of_cases(rows, down, why, tmp_path):
    if len(rows) >= 10:
        assert int(egger_p(rows) < 0.10) == down, egger_p(rows)
    row = _sof(rows, tmp_path, name=f"ss{len(rows)}{down}")
    assert row["publication_bias"] == -down, (why, row["explanation"])
    if len(rows) >= 10:
        text = row["explanation"].split("publication bias: ")[1]
        printed = text.split(" p ")[1].split(",")[0].split(" ")[:2]
        assert o.check_p("".join(printed).lstrip("="), egger_p(rows)), text
        assert ("not rated down" in text) == (not down), text  # the words say the rating given

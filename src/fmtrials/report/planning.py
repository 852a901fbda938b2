"""The report's "What would a confirmatory trial need?" section (issue 26 item 4): the sample size per arm a
confirmatory trial needs for the published composite-responder rates, per test, and a power-curve figure.

The numbers are :func:`fmtrials.trial_plan` for the published composite table (:data:`COMPOSITE_TABLE_SOURCE`):
every printed comparison at its printed rates and at the smallest and largest risk differences the
re-analysis of the printed percentages allows. The normal approximation (R ``power.prop.test``), Pearson's
chi-square and Fisher's exact test are planned on every row; Boschloo's exact unconditional test on the printed
rates (each Boschloo search evaluates dozens of designs of about 270 per arm; on the re-analysed range its answer
moves with Fisher's and chi-square's by a few patients).

``tables/trial_plan.csv`` has the columns of :data:`fmtrials.analysis.PLAN_COLUMNS`: ``label, source, endpoint,
dose_mg_day`` (the printed row), ``basis`` (``printed rates`` or the smallest/largest re-analysed difference),
``p_t, p_c, difference`` (rates as fractions), ``test``, ``n_c_normal`` (normal approximation per arm, rounded up),
``n_c, power`` (smallest n per arm reaching the target and its exact power), ``n_c_stable, power_stable`` (the
smallest n from which every n up to +10% keeps the target, the lowest power there), ``total_stable`` (both arms).
The whole computation is cached per process (the report is deterministic).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd

from .._format import format_number
from .._vocab import ProportionsTest

__all__: list[str] = []  # private module

#: the planning options of the section (the Methods sentence is written from them)
TARGET_POWER = 0.8
ALPHA = 0.05
ALLOCATION = 1.0
TESTS_EVERY_ROW: tuple[ProportionsTest, ...] = ("chi2", "fisher")
TESTS_PRINTED_ROWS: tuple[ProportionsTest, ...] = ("boschloo",)
_TEST_NAMES = {"chi2": "Pearson χ²", "fisher": "Fisher's exact", "boschloo": "Boschloo's exact unconditional"}
_BASIS_ORDER = {"printed rates": 0, "smallest re-analysed difference": 1, "largest re-analysed difference": 2}


@lru_cache(maxsize=1)
def plan_table() -> pd.DataFrame:
    """:func:`fmtrials.trial_plan` rows of the section (cached: deterministic, a few seconds of exact searches)."""
    from ..analysis import trial_plan
    from ..analysis.policy import COMPOSITE_TABLE_SOURCE

    opts: dict[str, Any] = {"power": TARGET_POWER, "alpha": ALPHA, "source": COMPOSITE_TABLE_SOURCE}
    every = trial_plan(tests=TESTS_EVERY_ROW, **opts)
    printed = trial_plan(tests=TESTS_PRINTED_ROWS, bases=("printed rates",), **opts)
    out = pd.concat([every, printed], ignore_index=True)
    order = list(TESTS_EVERY_ROW + TESTS_PRINTED_ROWS)
    out = out.assign(_b=out["basis"].map(_BASIS_ORDER), _t=out["test"].map(order.index))
    out = out.sort_values(["label", "dose_mg_day", "_b", "_t"], kind="stable").drop(columns=["_b", "_t"])
    return out.reset_index(drop=True)


def methods_sentence() -> str:
    """How the section's sample sizes were computed, from the options used."""
    every = ", ".join(_TEST_NAMES[t] for t in TESTS_EVERY_ROW)
    printed = ", ".join(_TEST_NAMES[t] for t in TESTS_PRINTED_ROWS)
    return (
        f"Sample sizes for {TARGET_POWER:.0%} power at two-sided alpha {ALPHA:g}, {ALLOCATION:g}:1 allocation: "
        "the normal approximation (R power.prop.test, rounded up) and the exact power of each test summed over "
        f"its rejection region (fmtrials.sample_size; nothing simulated): {every} on every row, {printed} on the "
        "printed rates. Exact power saw-tooths in n, so two numbers are given: the smallest n per arm reaching "
        "the target, and the smallest n from which every n up to +10% keeps it."
    )


def _pct(x: float) -> str:
    return format_number(100 * x, 1) + "%"


def planning_part() -> dict[str, Any]:
    """Display rows, the saw-tooth sentences and the methods sentence of the section."""
    plan = plan_table()
    rows: list[dict[str, str]] = []
    for (label, dose, basis), g in plan.groupby(["label", "dose_mg_day", "basis"], sort=False):
        by = {r["test"]: r for _, r in g.iterrows()}
        first = g.iloc[0]
        cells: dict[str, str] = {
            str(t): (f"{int(by[t]['n_c'])} / {int(by[t]['n_c_stable'])}" if t in by else "–")
            for t in TESTS_EVERY_ROW + TESTS_PRINTED_ROWS
        }
        rows.append(
            {
                "label": label,
                "dose": format_number(dose, 0),
                "basis": basis,
                "rates": f"{_pct(first['p_t'])} vs {_pct(first['p_c'])}",
                "difference": format_number(100 * first["difference"], 2),
                "normal": str(int(first["n_c_normal"])),
                **cells,
            }
        )
    sawtooth = []
    for _, r in plan.iterrows():
        if r["n_c_stable"] > r["n_c"]:
            sawtooth.append(
                f"{_TEST_NAMES[r['test']]}, {r['label']} {int(r['dose_mg_day'])} mg/day ({r['basis']}, "
                f"{_pct(r['p_t'])} vs {_pct(r['p_c'])}): {int(r['n_c'])} per arm reach "
                f"{format_number(100 * r['power'], 2)}% power, "
                f"but some n above fall below {TARGET_POWER:.0%} again; from {int(r['n_c_stable'])} per arm every n up "
                f"to +10% keeps it (lowest {format_number(100 * r['power_stable'], 2)}%)"
            )
    return {
        "rows": rows,
        "sawtooth": sawtooth,
        "methods": methods_sentence(),
        "target": f"{TARGET_POWER:.0%}",
        "tests": [(t, _TEST_NAMES[t]) for t in TESTS_EVERY_ROW + TESTS_PRINTED_ROWS],
        "printed_only": ", ".join(_TEST_NAMES[t] for t in TESTS_PRINTED_ROWS),
        "figure": None,
    }


def figure_design() -> tuple[float, float, int]:
    """(p_t, p_c, n per arm) of the power-curve figure: the printed 100 mg/day Phase III rates at Boschloo's
    stable n (the first printed row with a Boschloo answer whose difference is smallest)."""
    plan = plan_table()
    b = plan[(plan["test"] == "boschloo") & (plan["basis"] == "printed rates")]
    r = b.loc[b["difference"].idxmin()]
    return float(r["p_t"]), float(r["p_c"]), int(r["n_c_stable"])


def render_figure(figure_dir: Any, *, png_dpi: int, treatment: str) -> str:
    """``figures/trial_plan_power.svg`` and ``.png``: exact power against the treatment rate at the design of
    :func:`figure_design`, one line per test; returns the inline SVG."""
    from .. import plots
    from .figures import save_both

    p_t, p_c, n = figure_design()
    fig = plots.plot_power(
        p_c, n, n, tests=TESTS_PRINTED_ROWS + TESTS_EVERY_ROW[::-1], alpha=ALPHA, n_grid=101, treatment=treatment
    )
    ax = fig.axes[0]
    ax.set_xlim(0, min(100.0, round(100 * (2 * p_t - p_c) / 5 + 1) * 5))  # the rise of the curves, not the plateau
    ax.axvline(100 * p_t, color="#555555", lw=0.6, ls=(0, (1, 1)), zorder=1, gid="printed-rate")
    title = f"Exact power at {n} per arm against the {treatment} rate, placebo {_pct(p_c)} (printed {_pct(p_t)})"
    return save_both(fig, figure_dir, "trial_plan_power", title, png_dpi)


def planning_section(tmp: Any, options: Any, treatment: str, write_csv: Any) -> dict[str, Any] | None:
    """The section for the bundled data (None otherwise): writes ``tables/trial_plan.csv`` and the figure,
    returns what the template shows (``records``: the rows for ``results.json``)."""
    if not options.bundled:
        return None
    part = planning_part()
    write_csv(plan_table(), tmp / "tables" / "trial_plan.csv")
    if options.figures:
        part["figure"] = render_figure(tmp / "figures", png_dpi=options.dpi, treatment=treatment)
    part["records"] = {"methods": part["methods"], "rows": plan_table().to_dict(orient="records")}
    return part

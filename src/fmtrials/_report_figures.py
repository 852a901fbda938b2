"""The report's figures: which are drawn per endpoint, drawing them (in worker processes when there are enough),
writing the PNG and SVG files, and preparing each SVG to sit inline in the HTML."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from . import _outdir, _proc
from . import data as _data
from ._format import measure_name, pool_label

__all__ = ["FIGURE_CAPTIONS", "figure_jobs", "render_all", "inline_svg", "outcomes_like", "no_attrs"]


def no_attrs(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` without ``attrs`` (pickled to workers and written as CSV without them)."""
    out = df.copy()
    out.attrs = {}
    return out


#: figure kinds drawn per endpoint; L'Abbé and funnel plots only where enough comparisons make them readable
LABBE_FUNNEL_MIN_K = 4
FIGURE_CAPTIONS = {
    "responders": "event rate per arm with Wilson 95% CIs, placebo as the reference",
    "forest": "forest plot (REML + HKSJ with the ad hoc truncation, subgroups by dose, prediction interval)",
    "labbe": "L'Abbé plot (point area by n; pooled Mantel–Haenszel line)",
    "funnel": "funnel plot with pseudo 95% confidence limits (fewer than 10 studies: asymmetry cannot be judged)",
}


def figure_jobs(outcomes: pd.DataFrame, ea: Any) -> list[tuple]:
    """Picklable descriptions of the figures of one endpoint: (endpoint, kind, payload); a figure that would be
    unreadable at this size is left out with a note in ``ea.figure_notes``."""
    from .plots.responders import MAX_TRIALS

    harm = ea.event == "harmful"
    jobs: list[tuple[Any, str, tuple[Any, ...]]] = []
    n_trials = ea.primary["study"].nunique()
    if n_trials <= MAX_TRIALS:
        jobs.append(
            (
                ea.endpoint,
                "responders",
                (outcomes_like(outcomes, ea.primary), "Patients with event" if harm else "Responders"),
            )
        )
    else:
        ea.figure_notes.append(
            f"No responder plot: {n_trials:,} trials are more than its {MAX_TRIALS} rows of "
            "trials can show; the L'Abbé plot shows every comparison."
        )
    jobs += [
        (
            ea.endpoint,
            "forest",
            (
                ea.main,
                ea.event,
                f"{_data.endpoint_title(ea.endpoint)}\n"
                f"{measure_name(ea.main.measure)}, {pool_label(ea.main.method, ea.main.test)}",
            ),
        ),
    ]
    if len(ea.primary) >= LABBE_FUNNEL_MIN_K:
        jobs.append(
            (ea.endpoint, "labbe", (no_attrs(ea.primary), ea.common, "with the event" if harm else "responders"))
        )
        jobs.append((ea.endpoint, "funnel", (ea.common,)))
    return jobs


def _render_job(job: tuple, figure_dir: str, stem: str) -> tuple[str, str, str]:
    """Draw one figure, write ``stem.png`` and ``stem.svg`` into ``figure_dir``, return (endpoint, kind,
    inline SVG)."""
    from . import plots

    endpoint, kind, payload = job
    if kind == "responders":
        fig = plots.plot_responders(payload[0], endpoint=endpoint, events_label=payload[1])
    elif kind == "forest":
        fig = plots.plot_forest(payload[0], event=payload[1], title=payload[2])
    elif kind == "labbe":
        fig = plots.plot_labbe(payload[0], result=payload[1], outcome=payload[2])
    else:
        fig = plots.plot_funnel(payload[0])
    png, svg = (_outdir.inside(Path(figure_dir), f"{stem}{ext}") for ext in (".png", ".svg"))
    plots.save_figure(fig, png, dpi=110)
    plots.save_figure(fig, svg)
    del fig  # plain Figure objects (no pyplot state): nothing to close
    return endpoint, kind, inline_svg(svg.read_text("utf-8"))


def _warm_up_matplotlib() -> None:
    from matplotlib.figure import Figure

    from . import plots  # noqa: F401  (imports the house style)

    fig = Figure(figsize=(1, 1))
    fig.text(0.5, 0.5, "fmtrials 0.1 [95% CI] –∞")
    fig.canvas.draw()


def render_all(jobs: list[tuple], figure_dir: Path, workers: int, stems: dict[str, str]) -> list[tuple[str, str, str]]:
    """Render every figure, in ``workers`` processes when more than one (each figure is independent, so the
    bytes are the same either way). ``stems`` maps an endpoint to its safe file-name stem."""
    names = [f"{stems[j[0]]}_{j[1]}" for j in jobs]
    if workers <= 1 or len(jobs) < 4:
        return [_render_job(j, str(figure_dir), n) for j, n in zip(jobs, names)]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _warm_up_matplotlib()  # load fonts and backends once, before the workers fork

    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    ex = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_proc.die_with_parent, initargs=(os.getpid(),)
    )
    try:
        result = list(ex.map(_render_job, jobs, [str(figure_dir)] * len(jobs), names))
    except BaseException:
        _proc.stop_pool(ex)
        raise
    ex.shutdown(wait=True)
    return result


def outcomes_like(outcomes: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """The outcome rows (active and placebo) behind the kept comparisons, one analysis per trial."""
    keys = ["study", "endpoint", "analysis", "population", "timepoint"]
    want = {tuple("" if pd.isna(v) else str(v) for v in row) for row in kept[keys].itertuples(index=False)}
    have = [tuple("" if pd.isna(v) else str(v) for v in row) for row in outcomes[keys].itertuples(index=False)]
    return outcomes[[h in want for h in have]]


def inline_svg(svg: str) -> str:
    """Strip the XML prolog and DOCTYPE so the SVG can sit inside HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg

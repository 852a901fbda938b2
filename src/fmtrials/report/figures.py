"""The report's figures: which are drawn per endpoint, drawing them (in worker processes when there are enough),
writing the PNG and SVG files, and preparing each SVG to sit inline in the HTML."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import _proc
from .. import data as _data
from .._format import measure_name, pool_label
from ..analysis.policy import LABBE_FUNNEL_MIN_K
from . import names

__all__: list[str] = []  # private module: the public name is fmtrials.report.write_report


def no_attrs(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` without ``attrs`` (pickled to workers and written as CSV without them)."""
    out = df.copy()
    out.attrs = {}
    return out


#: figure kinds drawn per endpoint; L'Abbé and funnel plots only from LABBE_FUNNEL_MIN_K comparisons (policy)
FIGURE_CAPTIONS = {
    "responders": "event rate per arm with Wilson {level} CIs, placebo as the reference",
    "forest": "forest plot (the pooling model is named under its title; subgroups by dose and a prediction "
    "interval where there are enough trials)",
    "forest_single": "forest plot of the one comparison: its own estimate and interval, nothing pooled",
    "labbe": "L'Abbé plot (point area by n; pooled line: the main model, as in the forest plot)",
    "funnel": "funnel plot with pseudo {level} confidence limits around the main model's pooled estimate",
}
#: what each kind of figure is, for its title and accessible name
FIGURE_KINDS = {
    "responders": "Event rate per arm",
    "forest": "Forest plot",
    "labbe": "L'Abbé plot",
    "funnel": "Funnel plot",
    "composite": "Published composite responder rates re-analysed",
}
#: resolution of the PNG files of the report (the SVG files are vector)
PNG_DPI = 300
#: zlib level of the report's PNG files: the same pixels as the default 6, encoded faster (somewhat larger files)
PNG_COMPRESS = 3


def accessible_name(endpoint: str, kind: str) -> str:
    """The text of a figure's ``<title>``: what it is and which endpoint, with the glossary's definition.

    Examples
    --------
    >>> accessible_name("sae", "forest")
    'Forest plot: Serious adverse event (at least one serious adverse event)'
    """
    g = _data.load_endpoints()
    hit = g.loc[g["code"] == endpoint, "definition"]
    definition = f" ({hit.iloc[0]})" if len(hit) and pd.notna(hit.iloc[0]) else ""
    return f"{FIGURE_KINDS[kind]}: {_data.endpoint_label(endpoint)}{definition}"


@dataclass(frozen=True)
class FigureJob:
    """One figure to draw, picklable (sent to a worker process): the ``endpoint``, the ``kind`` of figure (a key
    of :data:`FIGURE_KINDS`) and the ``payload`` the plotting function takes (tables, results, title, treatment
    name)."""

    endpoint: str
    kind: str
    payload: dict[str, Any]

    @property
    def name(self) -> str:
        """The figure's accessible name (its SVG ``<title>``)."""
        return accessible_name(self.endpoint, self.kind)


def figure_jobs(outcomes: pd.DataFrame, ea: Any, *, treatment: str) -> list[FigureJob]:
    """The figures of one endpoint, as :class:`FigureJob`; a figure that would be unreadable at this size is left
    out with a note in ``ea.figure_notes``. ``treatment`` names the active arms in every figure (column headers,
    "Favours ...", axis labels, legends)."""
    from ..plots.responders import MAX_TRIALS

    harm = ea.event == "harmful"
    name = _data.endpoint_label(ea.endpoint)
    jobs: list[FigureJob] = []
    n_trials = ea.primary["study"].nunique()
    if n_trials <= MAX_TRIALS:
        responders = {
            "outcomes": outcomes_like(outcomes, ea.primary),
            "events_label": name if harm else "Responders",
            "title": f"{name}: event rate per arm",
            "treatment": treatment,
            "alpha": ea.main.alpha,  # the level of the analysis, which the caption states
        }
        jobs.append(FigureJob(ea.endpoint, "responders", responders))
    else:
        ea.figure_notes.append(
            f"No responder plot: {n_trials:,} trials are more than its {MAX_TRIALS} rows of "
            "trials can show; the L'Abbé plot shows every comparison."
        )
    model = "one comparison, not pooled" if ea.main.k == 1 else pool_label(ea.main.method, ea.main.test)
    forest_title = f"{name}\n{measure_name(ea.main.measure)}, {model}"
    disagreement = getattr(ea, "disagreement", None)
    forest = {"result": ea.main, "event": ea.event, "title": forest_title, "treatment": treatment}
    jobs.append(FigureJob(ea.endpoint, "forest", {**forest, "notes": [disagreement] if disagreement else []}))
    if len(ea.primary) >= LABBE_FUNNEL_MIN_K:
        labbe = {
            "table": no_attrs(ea.primary),
            "result": ea.main,  # the forest's model: one pooled line per endpoint across the figures
            "outcome": f"with {name.lower()}" if harm else "responders",
            "title": f"{name}: L'Abbé plot",
            "treatment": treatment,
        }
        jobs.append(FigureJob(ea.endpoint, "labbe", labbe))
        funnel: dict[str, Any] = {
            "result": ea.main,
            "title": f"{name}: funnel plot",
            "treatment": treatment,
            "alpha": ea.main.alpha,
        }
        diag = getattr(ea, "diagnostics", None) or {}
        if diag.get("trim_and_fill") is not None:  # k >= 10: contour-enhanced, with the filled studies
            funnel.update(result=diag["pooled"], filled=diag["trim_and_fill"], contours=True)
        jobs.append(FigureJob(ea.endpoint, "funnel", funnel))
    return jobs


def figure_caption(ea: Any, kind: str) -> str:
    """The caption of one of the report's figures of an endpoint: what the figure shows, with the model of its
    pooled line and, for the funnel plot, the number of comparisons and whether asymmetry can be judged. The level
    and the contour levels are the ones the figure was drawn at (:func:`figure_jobs`, :data:`CONTOUR_LEVELS
    <fmtrials.plots.funnel.CONTOUR_LEVELS>`)."""
    from .._format import format_level
    from ..analysis.extras import small_study_min_k
    from ..plots.funnel import CONTOUR_LEVELS

    main = ea.main
    level = format_level(main.alpha if main is not None else 0.05)
    if kind == "forest" and main is not None and int(main.k) == 1:
        return FIGURE_CAPTIONS["forest_single"]  # one comparison: no pooling model to name
    if kind not in ("labbe", "funnel") or main is None:
        return FIGURE_CAPTIONS[kind].format(level=level)
    model = pool_label(main.method, "z", main.tau2_method)
    if kind == "labbe":
        return f"L'Abbé plot (point area by n; pooled line: the main model, {model}, as in the forest plot)"
    diag = getattr(ea, "diagnostics", None) or {}
    tf = diag.get("trim_and_fill")
    if tf is not None:
        levels = ", ".join(f"{a:.2f}" for a in CONTOUR_LEVELS)
        return (
            f"contour-enhanced funnel plot (shading: where a single comparison would be significant against no "
            f"effect at p < {levels}); solid line: the main model's pooled estimate, {model}; open circles: "
            f"the {tf.k0} comparison{'s' if tf.k0 != 1 else ''} trim-and-fill ({tf.estimator}) imputes, dash-dot "
            "line: its adjusted estimate"
        )
    k = int(main.k)
    return (
        f"{FIGURE_CAPTIONS['funnel'].format(level=level)}, {model}; "
        f"k = {k}: fewer than the {small_study_min_k()} comparisons needed to judge asymmetry (Cochrane Handbook 5.1 "
        "§10.4.3.1), so the plot is descriptive only"
    )


def draw_job(job: FigureJob) -> Any:
    """The figure of one job of :func:`figure_jobs` (not saved)."""
    from .. import plots

    endpoint, kind, p = job.endpoint, job.kind, job.payload
    if kind == "responders":
        return plots.plot_responders(
            p["outcomes"],
            endpoint=endpoint,
            events_label=p["events_label"],
            title=p["title"],
            treatment=p["treatment"],
            alpha=p.get("alpha", 0.05),
        )
    if kind == "forest":
        return plots.plot_forest(
            p["result"],
            event=p["event"],
            title=p["title"],
            treatment=p["treatment"],
            notes=p.get("notes", ()),
        )
    if kind == "labbe":
        return plots.plot_labbe(
            p["table"], result=p["result"], outcome=p["outcome"], title=p["title"], treatment=p["treatment"]
        )
    return plots.plot_funnel(
        p["result"],
        title=p["title"],
        filled=p.get("filled"),
        contours=bool(p.get("contours", False)),
        treatment=p["treatment"],
        alpha=p.get("alpha", 0.05),
    )


def save_both(fig: Any, figure_dir: Path, stem: str, title: str, png_dpi: int) -> str:
    """Write ``stem.png`` (``png_dpi``) and ``stem.svg`` (text kept as text, ids prefixed with the stem, an
    accessible name) into ``figure_dir``; return the SVG ready to sit inline in the HTML."""
    from ..plots.export import figure_bytes, svg_text

    png = figure_bytes(fig, "png", dpi=png_dpi, png_compress=PNG_COMPRESS)
    names.inside(figure_dir, f"{stem}.png").write_bytes(png)
    svg = svg_text(fig, title=title, id_prefix=stem)
    names.inside(figure_dir, f"{stem}.svg").write_text(svg, "utf-8")
    return inline_svg(svg)


def _render_job(job: FigureJob, figure_dir: str, stem: str, png_dpi: int = PNG_DPI) -> tuple[str, str, str]:
    """Draw one figure, write ``stem.png`` and ``stem.svg`` into ``figure_dir``, return (endpoint, kind,
    inline SVG)."""
    fig = draw_job(job)
    svg = save_both(fig, Path(figure_dir), stem, job.name, png_dpi)
    del fig  # plain Figure objects (no pyplot state): nothing to close
    return job.endpoint, job.kind, svg


def render_composite(seed: pd.DataFrame, figure_dir: Path, *, png_dpi: int = PNG_DPI, treatment: str) -> str:
    """The first section's figure: the published composite table re-analysed under every assumed denominator
    (``composite_reanalysis.png`` and ``.svg``); returns the inline SVG."""
    from .. import plots

    fig = plots.plot_reported(seed, treatment=treatment)
    codes = list(dict.fromkeys(seed["endpoint"].dropna().astype(str))) if "endpoint" in seed.columns else []
    what = "; ".join(_data.endpoint_label(c) for c in codes) or "published responder rates"
    return save_both(fig, figure_dir, "composite_reanalysis", f"{FIGURE_KINDS['composite']}: {what}", png_dpi)


def _warm_up_matplotlib() -> None:
    from matplotlib.figure import Figure

    from .. import plots  # noqa: F401  (imports the house style)

    fig = Figure(figsize=(1, 1))
    fig.text(0.5, 0.5, "fmtrials 0.1 [95% CI] –∞")
    fig.canvas.draw()


class Rendering:
    """Figures being drawn by worker processes while the caller goes on with other work; :meth:`result` waits
    for them (in job order), :meth:`close` stops the workers (idempotent)."""

    def __init__(self, pool: Any, futures: list, done: list[tuple[str, str, str]] | None = None):
        self._pool, self._futures, self._done = pool, futures, done

    def result(self) -> list[tuple[str, str, str]]:
        """(endpoint, kind, inline SVG) per job, in job order, once all are drawn."""
        if self._done is None:
            try:
                self._done = [f.result() for f in self._futures]
            except BaseException:
                self.close()
                raise
            self._pool.shutdown(wait=True)
            self._pool = None
        return self._done

    def close(self) -> None:
        """Stop the workers (figures not yet drawn are abandoned)."""
        if self._pool is not None:
            _proc.stop_pool(self._pool)
            self._pool = None


#: renderings started and not yet collected or stopped (the report stops them if it fails)
_ACTIVE: list[Rendering] = []


def start_all(
    jobs: list[FigureJob], figure_dir: Path, workers: int, stems: dict[str, str], *, png_dpi: int = PNG_DPI
) -> Rendering:
    """Start rendering every figure, in ``workers`` processes when more than one (each figure is independent,
    so the bytes are the same either way), and return at once; the caller collects with ``.result()``.
    ``stems`` maps an endpoint to its safe file-name stem; PNG files are written at ``png_dpi``."""
    from .._validation import check_int

    png_dpi = check_int(png_dpi, "png_dpi", low=10)
    names = [f"{stems[j.endpoint]}_{j.kind}" for j in jobs]
    if workers <= 1 or len(jobs) < 4:
        return Rendering(None, [], [_render_job(j, str(figure_dir), n, png_dpi) for j, n in zip(jobs, names)])
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _warm_up_matplotlib()  # load fonts and backends once, before the workers fork

    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with _proc.critical():  # a stop (SIGTERM / SIGINT) kills these workers, or none are started
        ex = ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_proc.die_with_parent, initargs=(os.getpid(),)
        )
        try:
            futures = [ex.submit(_render_job, j, str(figure_dir), n, png_dpi) for j, n in zip(jobs, names)]
        except BaseException:
            _proc.stop_pool(ex)
            raise
        rendering = Rendering(ex, futures)
        _ACTIVE.append(rendering)
        _proc.on_stop(rendering.close)
    return rendering


def stop_all() -> None:
    """Stop every rendering still running (called when the report fails part-way)."""
    while _ACTIVE:
        _ACTIVE.pop().close()


def render_all(
    jobs: list[FigureJob], figure_dir: Path, workers: int, stems: dict[str, str], *, png_dpi: int = PNG_DPI
) -> list[tuple[str, str, str]]:
    """Render every figure and wait for them: :func:`start_all` then ``.result()``; (endpoint, kind, inline
    SVG) per job, in job order."""
    rendering = start_all(jobs, figure_dir, workers, stems, png_dpi=png_dpi)
    try:
        return rendering.result()
    finally:
        rendering.close()
        if rendering in _ACTIVE:
            _ACTIVE.remove(rendering)


def outcomes_like(outcomes: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """The outcome rows (active and placebo) behind the kept comparisons, one analysis per trial."""
    keys = ["study", "endpoint", "analysis", "population", "timepoint"]
    want = {tuple("" if pd.isna(v) else str(v) for v in row) for row in kept[keys].itertuples(index=False)}
    have = [tuple("" if pd.isna(v) else str(v) for v in row) for row in outcomes[keys].itertuples(index=False)]
    return outcomes[[h in want for h in have]]


def inline_svg(svg: str, *, prefix: str | None = None, title: str | None = None) -> str:
    """The SVG without its XML prolog and DOCTYPE, to sit inside HTML; with ``prefix`` every id is prefixed (unique
    across the page, references rewritten) and with ``title`` it gets its accessible name."""
    from ..plots import _svg

    if prefix is not None:
        prefix = _svg.safe_prefix(prefix)
        svg = _svg.prefix_ids(svg, prefix)
        if title is not None:
            svg = _svg.add_title(svg, title, prefix)
    return _svg.strip_prolog(svg)

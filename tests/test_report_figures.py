"""The report's figures as a reader and a validator see them: unique ids across the inline SVGs, an accessible
name per figure, text kept as text, PNG resolution, glossary titles, treatment names, no overlapping labels."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import itertools
import re
import struct
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

import fmtrials
from fmtrials.analysis import analyse
from fmtrials.report import figures as F
from fmtrials.report import write_report

SVG_NS = "{http://www.w3.org/2000/svg}"
_SVG_BLOCK = re.compile(r"<svg\b.*?</svg>", re.S)
_REF = re.compile(r'url\(#([^)]+)\)|href="#([^"]+)"')


@pytest.fixture(scope="module")
def report(bundled_report) -> Path:
    return bundled_report  # write_report(out, quiet=True), shared (conftest)


@pytest.fixture(scope="module")
def html(report) -> str:
    return (report / "report.html").read_text("utf-8")


@pytest.fixture(scope="module")
def svgs(html) -> list[str]:
    blocks = _SVG_BLOCK.findall(html)
    assert len(blocks) >= 20  # 4 kinds x several endpoints + the composite figure
    return blocks


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()).strip() for t in root.iter(f"{SVG_NS}text")]


# ------------------------------------------------------------------------------------------------ 1. ids


def test_element_ids_unique_across_the_whole_report(html, svgs):
    ids = re.findall(r'\sid="([^"]*)"', html)
    repeated = {k: v for k, v in Counter(ids).items() if v > 1}
    assert not repeated, f"{len(repeated)} ids repeated, e.g. {list(repeated)[:5]}"
    assert sum(len(re.findall(r'\sid="', s)) for s in svgs) > 500  # the figures do carry ids


def test_every_reference_resolves_inside_its_own_svg(svgs):
    n_refs = 0
    for svg in svgs:
        root = ET.fromstring(svg)  # well-formed XML, namespaces declared
        own = {el.get("id") for el in root.iter() if el.get("id")}
        for a, b in _REF.findall(svg):
            n_refs += 1
            assert (a or b) in own, f"#{a or b} does not resolve inside its figure"
    assert n_refs > 50  # clip paths and tick markers are referenced


def test_prefix_ids_rewrites_tags_only():
    from fmtrials.plots._svg import prefix_ids

    svg = '<svg><defs><path id="m1"/></defs><use xlink:href="#m1"/><g clip-path="url(#m1)" id="g"/><g id="g"/>'
    svg += '<text>id="m1" url(#m1)</text><!-- id="m1" --></svg>'
    out = prefix_ids(svg, "f")
    assert '<path id="f-m1"/>' in out and 'xlink:href="#f-m1"' in out and "url(#f-m1)" in out
    assert 'id="f-g"' in out and 'id="f-g__2"' in out
    assert '<text>id="m1" url(#m1)</text><!-- id="m1" -->' in out  # text content and comments untouched


# ------------------------------------------------------------------------------------------------ 2. names


def _check_accessible(svg: str) -> str:
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    first = next(iter(root))
    assert first.tag == f"{SVG_NS}title", "the <title> must be the first child"
    assert root.get("aria-labelledby") == first.get("id")
    return (first.text or "").strip()


def test_each_inline_figure_has_an_accessible_name(svgs):
    titles = [_check_accessible(s) for s in svgs]
    assert all(titles)
    assert "Forest plot: Serious adverse event (at least one serious adverse event)" in titles
    assert "L'Abbé plot: Headache (treatment-emergent headache)" in titles
    assert any(t.startswith("Funnel plot: Dizziness") for t in titles)
    assert any(t.startswith("Event rate per arm: ≥30% pain responder") for t in titles)
    assert any(t.startswith("Published composite responder rates re-analysed") for t in titles)


def test_each_svg_file_has_an_accessible_name(report):
    files = sorted((report / "figures").glob("*.svg"))
    assert len(files) >= 20
    for f in files:
        text = f.read_text("utf-8")
        assert text.startswith("<?xml")
        assert _check_accessible(text[text.index("<svg") :])


# ------------------------------------------------------------------------------------------------ 3. text


def test_figure_text_is_searchable_text(svgs, html):
    texts = [t for s in svgs for t in _texts(s)]
    assert "Favours placebo" in texts and "Favours milnacipran" in texts
    assert "Risk ratio, milnacipran vs placebo (log scale)" in texts  # funnel x axis, naming the treatment
    assert any(t.startswith("Placebo: % with") for t in texts)  # L'Abbé axis
    assert "Responders (%)" in texts
    fonts = set(re.findall(r"font-family: ([^;\"]+)", html))
    assert fonts == {"'DejaVu Sans', 'Bitstream Vera Sans', Verdana, Geneva, Arial, sans-serif"}


# ------------------------------------------------------------------------------------------------ 4. PNG dpi


def _png_dpi(path: Path) -> float:
    """Resolution from the PNG's pHYs chunk (pixels per metre)."""
    data = path.read_bytes()
    i = data.index(b"pHYs")
    ppm_x = struct.unpack(">I", data[i + 4 : i + 8])[0]
    return ppm_x * 0.0254


def test_png_files_at_300_dpi_and_the_size_of_their_svg(report):
    pngs = sorted((report / "figures").glob("*.png"))
    assert len(pngs) >= 20
    for p in pngs:
        assert _png_dpi(p) == pytest.approx(300, abs=0.5)
        width_px = struct.unpack(">I", p.read_bytes()[16:20])[0]
        svg = (p.with_suffix(".svg")).read_text("utf-8")
        width_pt = float(re.search(r'<svg[^>]*\swidth="([0-9.]+)pt"', svg).group(1))
        assert width_px == pytest.approx(width_pt / 72 * 300, abs=2)


# ------------------------------------------------------------------------------------------------ 5. titles


def _report_codes() -> dict[str, str]:
    """Endpoint codes of the bundled report that read differently from their glossary label."""
    g = fmtrials.load_endpoints()
    return {c: lab for c, lab in zip(g["code"], g["label"]) if c.replace("_", " ") != str(lab).lower()}


def _axis_and_titles(svg: str) -> list[str]:
    """The <title> and every text of an inline figure."""
    root = ET.fromstring(svg)
    return [next(iter(root)).text or "", *_texts(svg)]


def test_no_raw_endpoint_codes_in_figure_text(svgs):
    codes = _report_codes()
    assert {"sae", "ae_any", "pain_30", "composite_3", "withdrawal_any"} <= set(codes)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, codes)) + r")(?![\w-])")
    hits = sorted({m for s in svgs for t in _axis_and_titles(s) for m in pattern.findall(t)})
    assert not hits, f"raw endpoint codes in figure text: {hits}"
    texts = {t for s in svgs for t in _texts(s)}
    assert "Serious adverse event" in texts and "Any adverse event: event rate per arm" in texts


# ------------------------------------------------------------------------------------------------ drawing


class _Shown:
    """What figure_jobs reads of the report's per-endpoint object: the analysis plus a list of notes."""

    def __init__(self, analysis):
        self.analysis = analysis
        self.figure_notes: list[str] = []

    def __getattr__(self, name):
        return getattr(self.analysis, name)


@pytest.fixture(scope="module")
def report_jobs():
    outcomes = fmtrials.load_outcomes()
    return outcomes, [a for a in analyse(outcomes) if a.main is not None]


def _drawn_texts(fig) -> list[tuple[str, object]]:
    """Every text artist actually drawn (visible, not empty) with its own window extent (an annotation's
    leader line left out)."""
    import matplotlib.text as mtext

    drawn: dict[int, mtext.Text] = {}
    original = mtext.Text.draw

    def record(self, renderer):
        if self.get_visible() and self.get_text().strip():
            drawn[id(self)] = self
        return original(self, renderer)

    mtext.Text.draw = record  # type: ignore[method-assign]
    try:
        fig.canvas.draw()
    finally:
        mtext.Text.draw = original  # type: ignore[method-assign]
    renderer = fig.canvas.get_renderer()
    return [(t.get_text(), mtext.Text.get_window_extent(t, renderer)) for t in drawn.values()]


def _layout_problems(fig, tol: float = 1.0) -> list[tuple]:
    items = _drawn_texts(fig)
    width, height = fig.bbox.width, fig.bbox.height
    out: list[tuple] = []
    for text, b in items:
        if b.x0 < -tol or b.y0 < -tol or b.x1 > width + tol or b.y1 > height + tol:
            out.append(("clipped by the figure edge", text))
    for (t1, b1), (t2, b2) in itertools.combinations(items, 2):
        if b1.x0 < b2.x1 - tol and b2.x0 < b1.x1 - tol and b1.y0 < b2.y1 - tol and b2.y0 < b1.y1 - tol:
            out.append(("overlap", t1, t2))
    return out


# ------------------------------------------------------------------------------------------------ 6. overlaps


def test_no_text_overlaps_or_is_clipped_in_any_report_figure(report_jobs):
    outcomes, analyses = report_jobs
    problems, n_figures, n_labels = [], 0, 0
    for a in analyses:
        for job in F.figure_jobs(outcomes, _Shown(a), treatment="milnacipran"):
            fig = F.draw_job(job)
            n_figures += 1
            n_labels += sum(1 for t in fig.findobj() if getattr(t, "get_gid", lambda: None)() == "label")
            problems += [(job.endpoint, job.kind, *p) for p in _layout_problems(fig)]
    from fmtrials.consistency import reanalyse_reported

    r = reanalyse_reported()
    composite = fmtrials.plot_reported(r[(r["source"] == "SEED003") & r["status"].notna()])
    problems += [("composite", "reported", *p) for p in _layout_problems(composite)]
    assert n_figures >= 20 and n_labels >= 12  # the labelled L'Abbé and funnel plots were drawn
    assert not problems, problems


def test_label_repel_separates_coincident_points():
    from fmtrials.plots import _layout as L
    from fmtrials.plots._figure import new_figure

    fig = new_figure(4, 3)
    ax = fig.add_axes((0.1, 0.1, 0.6, 0.8))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    xy = [(5.0, 5.0)] * 4 + [(5.05, 5.02), (9.9, 9.9)]  # four on one spot, one nearly, one in the corner
    texts = ["Alpha2001", "Beta2002", "Gamma2003", "Delta2004", "Epsilon2005", "Zeta2006"]
    L.scatter_labels(ax, xy, texts, [3.0] * len(xy), size=6.5)
    assert not _layout_problems(fig)
    again = L.place_labels(ax, xy, texts, [3.0] * len(xy), 6.5)
    assert again == L.place_labels(ax, xy, texts, [3.0] * len(xy), 6.5)  # deterministic
    assert again[-1][2] == "right"  # the corner label goes left of its point, inside the axes


# ------------------------------------------------------------------------------------------------ 8. treatment


def test_user_data_report_names_no_drug(report_jobs):
    outcomes, analyses = report_jobs
    texts: list[str] = []
    for a in analyses:
        if a.endpoint not in ("nausea", "pain_30"):
            continue
        for job in F.figure_jobs(outcomes, _Shown(a), treatment="treatment"):
            texts += [t for t, _ in _drawn_texts(F.draw_job(job))]
    joined = "\n".join(texts)
    assert "Favours treatment" in joined and "Treatment: % with nausea" in joined
    assert "Treatment\nevents/total" in joined
    assert "ilnacipran" not in joined.replace("milnacipran_", "")  # arm names from the data may stay


def test_composite_figure_takes_the_treatment_name():
    fig = fmtrials.plot_reported(treatment="drug X")
    texts = [t.get_text() for t in fig.texts]
    assert any("◆ drug X" in t for t in texts) and not any("ilnacipran" in t for t in texts)


# ------------------------------------------------------------------------------------------------ 7. arrows


def _gids(fig) -> Counter:
    return Counter(a.get_gid() for a in fig.axes[0].get_children() if a.get_gid())


def _quiet_pool(*args, **kw):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fmtrials.pool(*args, **kw)


def test_pooled_diamond_beyond_the_axis_is_cut_with_arrows():
    # the SAE total at k = 2 under REML + HKSJ (ad hoc): RR 1.31 [0.00, 815], the report's sensitivity row
    res = _quiet_pool(fmtrials.contrasts(endpoint="sae"), measure="RR", method="REML", test="hksj-adhoc")
    assert res.ci_low < 0.01 and res.ci_high > 800
    fig = fmtrials.plot_forest(res)
    lo, hi = fig.axes[0].get_xlim()
    assert res.ci_low < lo and res.ci_high > hi
    arrows = [a for a in fig.axes[0].lines if a.get_gid() == "arrow-diamond-overall"]
    assert sorted(a.get_xdata()[0] for a in arrows) == [lo, hi]
    assert all(not a.get_clip_on() for a in arrows)  # drawn beyond the axis edge, outward
    fig = fmtrials.plot_forest(res, xlim=(0.5, 2.0))  # one side only: the estimate stays inside
    assert _gids(fig)["arrow-diamond-overall"] == 2
    fig = fmtrials.plot_forest(res, xlim=(0.001, 2000))  # wide enough: no arrow
    assert _gids(fig)["arrow-diamond-overall"] == 0


def test_prediction_interval_beyond_the_axis_ends_in_arrows(res_nausea):
    fig = fmtrials.plot_forest(res_nausea, xlim=(0.9, 1.5))
    ys = {a.get_ydata()[0] for a in fig.axes[0].lines if a.get_gid() == "prediction"}
    assert len(ys) == 1
    ends = [a for a in fig.axes[0].lines if a.get_gid() == "arrow" and a.get_ydata()[0] in ys]
    assert res_nausea.prediction.pi_high > 1.5 > 0.9 < res_nausea.prediction.pi_low
    assert [a.get_xdata()[0] for a in ends] == [1.5]  # cut on the right only, at the axis edge


@pytest.fixture(scope="module")
def res_nausea():
    return _quiet_pool(fmtrials.contrasts(endpoint="nausea"), measure="RR", method="REML", test="hksj")


def test_responder_intervals_never_silently_clipped():
    fig = fmtrials.plot_responders(endpoint="nausea", events_label="Nausea", xlim=(0, 20))
    ax = fig.axes[0]
    cut = [a for a in ax.lines if a.get_gid() == "ci" and max(a.get_xdata()) > 20]
    assert cut  # some upper limits pass 20%
    arrows = [a for a in ax.lines if a.get_gid() == "arrow"]
    assert len(arrows) == len(cut) and all(a.get_xdata()[0] == 20 for a in arrows)
    assert _gids(fmtrials.plot_responders(endpoint="nausea", events_label="Nausea"))["arrow"] == 0


def test_labbe_points_beyond_the_limit_are_marked():
    table = fmtrials.contrasts(endpoint="nausea")
    assert _gids(fmtrials.plot_labbe(table))["arrow"] == 0
    fig = fmtrials.plot_labbe(table, lim=0.2)
    p_t = table["events_t"] / table["n_t"]
    p_c = table["events_c"] / table["n_c"]
    beyond = int(((p_t > 0.2) | (p_c > 0.2)).sum())
    assert beyond > 0 and _gids(fig)["arrow"] == beyond


def test_save_figure_title_and_editable_text(tmp_path):
    fig = fmtrials.plot_labbe(fmtrials.contrasts(endpoint="nausea"), outcome="with nausea")
    path = fmtrials.save_figure(fig, tmp_path / "my fig.svg", title="L'Abbé plot: nausea", editable_text=True)
    text = path.read_text("utf-8")
    assert _check_accessible(text[text.index("<svg") :]) == "L'Abbé plot: nausea"
    assert 'id="my-fig-title"' in text and "<text" in text and "Placebo: % with nausea" in text
    assert (
        path.read_bytes()
        == fmtrials.save_figure(
            fig, tmp_path / "my fig.svg", title="L'Abbé plot: nausea", editable_text=True
        ).read_bytes()
    )
    plain = fmtrials.save_figure(fig, tmp_path / "plain.svg").read_text("utf-8")
    assert "<title" not in plain and "<text" not in plain  # the default is unchanged: glyphs as paths


def _state(pid: int) -> str:
    """The kernel's state letter of ``pid`` ("R", "S", "Z" for a zombie, ...), or "gone"."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "gone"
    return next((ln.split()[1] for ln in text.splitlines() if ln.startswith("State:")), "?")


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs: a zombie (killed, not yet reaped) or a reaped process does not.
    ``Process.is_alive()`` cannot tell once another waiter has reaped the child (it then reports True forever)."""
    if Path("/proc").is_dir():
        return _state(pid) not in ("gone", "Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_background_rendering_is_the_same_and_can_be_stopped(report_jobs, tmp_path):
    outcomes, analyses = report_jobs
    jobs = [
        j
        for a in analyses
        if a.endpoint in ("nausea", "sae")
        for j in F.figure_jobs(outcomes, _Shown(a), treatment="x")
    ]
    stems = {"nausea": "nausea", "sae": "sae"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    serial = F.render_all(jobs, tmp_path / "a", 1, stems, png_dpi=72)
    drawing = F.start_all(jobs, tmp_path / "b", 2, stems, png_dpi=72)
    assert drawing.result() == serial  # same SVG text, same order
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(p.name for p in (tmp_path / "b").iterdir())
    for p in (tmp_path / "a").iterdir():
        assert p.read_bytes() == (tmp_path / "b" / p.name).read_bytes()
    running = F.start_all(jobs, tmp_path / "b", 2, stems, png_dpi=72)
    workers = list(running._pool._processes.values())
    assert len(workers) == 2
    F.stop_all()
    assert running._pool is None and not F._ACTIVE
    for w in workers:
        w.join(timeout=10)
        assert not _running(w.pid), (w.pid, _state(w.pid))
    with pytest.raises(fmtrials.DataError, match="png_dpi"):
        F.start_all(jobs, tmp_path / "b", 1, stems, png_dpi=0)


def test_user_data_report_figures_name_no_drug(tmp_path):
    csv = tmp_path / "user.csv"
    rows = ["study,dose_mg_day,endpoint,n,responders"]
    for i, (c, t) in enumerate([(20, 35), (16, 30), (25, 33), (18, 29)]):
        rows += [f"Trial{i},0,pain_30,100,{c}", f"Trial{i},50,pain_30,100,{t}"]
    csv.write_text("\n".join(rows) + "\n")
    out = tmp_path / "r"
    write_report(out, data=csv, quiet=True)
    blocks = _SVG_BLOCK.findall((out / "report.html").read_text("utf-8"))
    assert len(blocks) == 4  # responders, forest, L'Abbé, funnel
    texts = [t for s in blocks for t in _axis_and_titles(s)]
    assert "Favours treatment" in texts and "Treatment: % responders" in texts
    assert not [t for t in texts if "ilnacipran" in t]

"""The report's figures as a reader and a validator see them: unique ids across the inline SVGs, an accessible
name per figure, text kept as text, PNG resolution, glossary titles, treatment names, no overlapping labels."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import re
import struct
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from fmtrials.report import write_report

SVG_NS = "{http://www.w3.org/2000/svg}"
_SVG_BLOCK = re.compile(r"<svg\b.*?</svg>", re.S)
_REF = re.compile(r'url\(#([^)]+)\)|href="#([^"]+)"')


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("figrep") / "report"
    write_report(out, quiet=True)
    return out


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
    assert "Risk ratio (log scale)" in texts  # funnel x axis
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

"""The bundled report in a real browser (headless Chromium): it renders, no table scrolls sideways at 1280 px, the
first screen is the main answer, and printing to PDF keeps every column on A4 landscape pages.

The probes are injected into a temporary copy only; the shipped report stays free of JavaScript. Without Chromium
(or poppler's ``pdftotext``/``pdfinfo``) the tests skip, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCREEN = (1280, 900)
A4_LANDSCAPE_PT = (841.89, 595.28)


@pytest.fixture(scope="module")
def browser() -> str:
    """Chromium's path, looked up before the report is built (so that a skip costs nothing)."""
    return _chromium()


@pytest.fixture(scope="module")
def report(browser, bundled_report) -> Path:
    return bundled_report  # write_report(out, quiet=True), shared (conftest)


def _tool(*names: str, package: str, hint: str = "") -> str:
    """The first of ``names`` on PATH; skip without it (fail under CI=true, which promises it)."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {names[0]} is not installed (Debian package '{package}')")
    pytest.skip(f"{names[0]} is not installed (Debian package '{package}'{hint})")


def _chromium() -> str:
    return _tool("chromium", "chromium-browser", "google-chrome", package="chromium", hint="; .ci/run installs it")


def _run_chromium(url: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    r = subprocess.run([_chromium(), *flags, *args, url], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r


def test_renders_in_headless_chromium(report, tmp_path):
    url = (report / "report.html").resolve().as_uri()
    dom = _run_chromium(url, tmp_path / "profile", "--dump-dom")
    n_fig = len(list((report / "figures").glob("*.svg")))
    assert dom.stdout.count("<figure") == n_fig and dom.stdout.count("<svg") >= n_fig
    console = [ln for ln in dom.stderr.splitlines() if "CONSOLE" in ln or "Failed to load resource" in ln]
    assert not console, console
    shot = tmp_path / "shot.png"
    _run_chromium(url, tmp_path / "profile", "--window-size=1280,4000", f"--screenshot={shot}")
    import matplotlib.image as mpimg

    img = mpimg.imread(shot)
    dark = (img[..., :3].mean(axis=2) < 0.6).mean()
    colour = (img[..., :3].std(axis=2) > 0.1).mean()
    assert dark > 0.01 and colour > 0.0005, (dark, colour)


# For every table: does it scroll (scrollWidth > clientWidth) or stick out of its container's content box or the window?
_PROBE = """<script>
addEventListener("load", () => {
  const doc = document.documentElement, out = {tables: []};
  document.querySelectorAll("table").forEach((t, i) => {
    const box = t.getBoundingClientRect(), parent = t.parentElement, style = getComputedStyle(parent);
    const inner = parent.getBoundingClientRect().right - parseFloat(style.paddingRight)
      - parseFloat(style.borderRightWidth);
    out.tables.push({i: i, head: t.querySelector("th") ? t.querySelector("th").textContent : "",
      scrolls: t.scrollWidth > t.clientWidth, sticks_out: box.right > Math.min(inner, doc.clientWidth) + 0.5,
      width: t.scrollWidth});
  });
  out.page_scrolls = doc.scrollWidth > doc.clientWidth;
  const main = document.querySelector("#main-results h2");
  out.main_top = main ? main.getBoundingClientRect().top : null;
  const pre = document.createElement("pre");
  pre.id = "fmtrials-probe"; pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script>"""


def test_no_table_scrolls_sideways_at_1280_px(report, tmp_path):
    """Every table of the bundled report fits a 1280 px window: nothing scrolls, nothing sticks out."""
    shipped = (report / "report.html").read_text("utf-8")
    assert "<script" not in shipped  # the probe below is test-only, in a copy
    copy = shutil.copytree(report, tmp_path / "copy")
    page = copy / "report.html"
    page.write_text(shipped.replace("</body>", _PROBE + "</body>"), "utf-8")
    size = f"--window-size={SCREEN[0]},{SCREEN[1]}"
    dom = _run_chromium(page.as_uri(), tmp_path / "profile", size, "--virtual-time-budget=5000", "--dump-dom")
    found = re.search(r'<pre id="fmtrials-probe">(.*?)</pre>', dom.stdout, flags=re.S)
    assert found, dom.stderr[-2000:]
    probe = json.loads(html.unescape(found.group(1)))
    assert len(probe["tables"]) == shipped.count("<table") >= 20
    too_wide = [t for t in probe["tables"] if t["scrolls"] or t["sticks_out"]]
    assert not too_wide, too_wide
    assert not probe["page_scrolls"]
    assert probe["main_top"] is not None and 0 <= probe["main_top"] < SCREEN[1] / 2  # the main answer comes first


class _Tables(HTMLParser):
    """Every ``<table>`` as ``{"class", "head": [[cell text]], "rows": [[cell text]]}`` (text as a browser shows)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._in_head = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"class": dict(attrs).get("class") or "", "head": [], "rows": []})
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1]["head" if self._in_head else "rows"].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _pieces(text: str) -> Counter:
    """Words cut after the characters a browser may break a line at (``-``, ``/``, ``_``, and in a URL's query
    ``?``, ``&``, ``=``), so that a word wrapped onto two lines of the PDF counts the same as the unwrapped word of
    the HTML; an en dash is a piece of its own (``pdftotext`` may join it to the word before it, as in ``p –``)."""
    return Counter(p for word in text.replace("–", " – ").split() for p in re.split(r"(?<=[-/_?&=])", word) if p)


def _poppler(tool: str, *args: str) -> str:
    r = subprocess.run([_tool(tool, package="poppler-utils"), *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


@pytest.fixture(scope="module")
def pdf(report, tmp_path_factory) -> Path:
    """The bundled report printed to PDF by Chromium, as a reader would print it (no header or footer)."""
    tmp = tmp_path_factory.mktemp("pdf")
    out = tmp / "report.pdf"
    url = (report / "report.html").resolve().as_uri()
    _run_chromium(url, tmp / "profile", "--no-pdf-header-footer", f"--print-to-pdf={out}")
    assert out.is_file() and out.stat().st_size > 10_000
    return out


def test_printed_pages_are_a4_landscape_at_full_size(pdf):
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", _poppler("pdfinfo", str(pdf)))
    assert size
    assert float(size.group(1)) == pytest.approx(A4_LANDSCAPE_PT[0], abs=1.5)
    assert float(size.group(2)) == pytest.approx(A4_LANDSCAPE_PT[1], abs=1.5)
    # Not shrunk to fit (Chromium scales every page down when anything is wider than the page): the title, set in
    # 15 pt, is printed 15 pt high (a line box of 1.1 to 1.25 em, depending on the font).
    first = re.search(
        r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">',
        _poppler("pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"),
    )
    assert first, "no text on page 1"
    assert 1.1 * 15 <= float(first.group(2)) - float(first.group(1)) <= 1.25 * 15, first.groups()


def test_printed_figures_start_a_new_page(pdf):
    pages = [page.strip() for page in _poppler("pdftotext", "-layout", str(pdf), "-").split("\f")]
    assert any(page.startswith("Figures\n") for page in pages)


def test_printed_pdf_keeps_every_column(report, pdf):
    """Every header and cell of every table is in the PDF's text (nothing clipped at the page edge), the source ids
    of the per-comparison table's last column included."""
    text = _poppler("pdftotext", "-layout", str(pdf), "-")
    parser = _Tables()
    parser.feed((report / "report.html").read_text("utf-8"))
    tables = parser.tables
    assert len(tables) >= 20
    printed = _pieces(text)
    headers = [h for t in tables for row in t["head"] for h in row]
    missing = [h for h in headers if _pieces(h) - printed]
    assert not missing, missing
    cells: Counter = Counter()
    for t in tables:
        for row in t["head"] + t["rows"]:
            cells.update(_pieces(" ".join(row)))
    lost = cells - printed  # a word that the tables hold n times must be printed at least n times
    assert not lost, sorted(lost.items())[:40]

    (compared,) = [t for t in tables if "compared" in t["class"]]
    assert compared["head"][0][-1] == "Source"
    ids = Counter(sid for row in compared["rows"] if len(row) > 1 for sid in row[-1].split("; "))
    assert len(ids) >= 3 and "CR15-T4" in ids
    for sid, n in ids.items():
        assert len(re.findall(rf"(?<![\w-]){re.escape(sid)}(?![\w-])", text)) >= n, sid

"""Deterministic export of figures: PNG, SVG or PDF, identical bytes for identical figures.

No dates or software versions in the metadata, a fixed SVG hash salt (so clip-path ids are stable) and, by
default, text converted to paths in SVG (``svg.fonttype = "path"``). Paths make the SVG look identical whether
or not the viewer has DejaVu Sans; pass ``editable_text=True`` to keep text as ``<text>`` elements
(``svg.fonttype = "none"``, with a font-family fallback list) when the text must be searchable, read by a screen
reader or edited by a journal's production team. ``title=`` gives an SVG its accessible name (``role="img"``, a
``<title>`` element and ``aria-labelledby``). The global ``matplotlib.rcParams`` are never changed
(:func:`matplotlib.rc_context`).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, cast

from .._validation import ARGUMENTS, check_int
from .._vocab import FigureFormat, choice
from ..errors import DataError, Problem
from . import _svg
from ._style import RC

__all__ = ["save_figure", "figure_bytes", "svg_text", "export_figure", "FORMATS"]

#: the export formats
FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
_METADATA = {
    "svg": {"Date": None, "Creator": None, "Format": None, "Type": None},
    "png": {"Software": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def _save_rc(editable_text: bool) -> dict[str, Any]:
    return {**RC, "svg.fonttype": "none" if editable_text else "path"}


def figure_bytes(
    fig: Any, fmt: FigureFormat = "png", *, dpi: float = 300, editable_text: bool = False, png_compress: int = 6
) -> bytes:
    """Render ``fig`` to ``fmt`` ("png", "svg" or "pdf") and return the bytes (deterministic).

    ``png_compress`` is the PNG's zlib level (0-9, default 6): a lower level encodes faster and writes a larger
    file; the pixels are the same at every level.
    """
    import matplotlib

    fmt = choice(str(fmt).lstrip("."), FORMATS, "fmt")
    buf = io.BytesIO()
    extra = {"pil_kwargs": {"compress_level": check_int(png_compress, "png_compress", high=9)}} if fmt == "png" else {}
    with matplotlib.rc_context(_save_rc(editable_text)):  # type: ignore[arg-type]
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=_METADATA[fmt], facecolor="white", **extra)
    if fmt == "svg" and editable_text:
        return _svg.font_fallback(buf.getvalue().decode("utf-8")).encode("utf-8")
    return buf.getvalue()


def svg_text(fig: Any, *, title: str | None = None, id_prefix: str = "fig", editable_text: bool = True) -> str:
    """The SVG of ``fig`` as text (deterministic), its ids prefixed with ``id_prefix`` (unique when several
    figures share one HTML page) and, with ``title``, an accessible name (``role="img"``, ``<title>``,
    ``aria-labelledby``).

    Examples
    --------
    >>> import pandas as pd
    >>> from fmtrials.plots import plot_labbe
    >>> t = pd.DataFrame({"events_t": [10, 30], "n_t": [50, 100], "events_c": [5, 20], "n_c": [50, 100]})
    >>> s = svg_text(plot_labbe(t), title="L'Abbé plot", id_prefix="labbe")
    >>> '<title id="labbe-title">' in s, 'aria-labelledby="labbe-title"' in s
    (True, True)
    """
    prefix = _svg.safe_prefix(id_prefix)
    out = _svg.prefix_ids(figure_bytes(fig, "svg", editable_text=editable_text).decode("utf-8"), prefix)
    return out if title is None else _svg.add_title(out, title, prefix)


def save_figure(
    fig: Any, path: str | Path, *, dpi: float = 300, editable_text: bool = False, title: str | None = None
) -> Path:
    """Save ``fig`` to ``path`` with deterministic bytes; the format follows the suffix (.png, .svg, .pdf).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Any figure, e.g. one returned by :func:`fmtrials.plot_forest`.
    path : str or Path
        Destination; parent folders must exist.
    dpi : float, default 300
        Resolution of raster output (PNG). Vector output ignores it except for embedded images.
    editable_text : bool, default False
        SVG only: keep text as ``<text>`` elements (``svg.fonttype = "none"``) instead of glyph outlines
        (``"path"``, the default, which looks identical on every machine). Text is named in DejaVu Sans (the
        font it was laid out in) with fallbacks of similar width.
    title : str, optional
        SVG only: the figure's accessible name: ``role="img"``, a ``<title>`` as the first child and
        ``aria-labelledby`` pointing at it; the element ids are then prefixed with the file's stem.

    Returns
    -------
    Path
        The path written.

    Notes
    -----
    Two saves of the same figure give identical bytes: the metadata carries no date, creator or software
    version, and the SVG hash salt is fixed to ``"fmtrials"`` (stable clip-path ids). The global
    ``matplotlib.rcParams`` are not changed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fmtrials.plots import save_figure, plot_labbe
    >>> import pandas as pd
    >>> t = pd.DataFrame({"study": ["A", "B"], "events_t": [10, 30], "n_t": [50, 100],
    ...                   "events_c": [5, 20], "n_c": [50, 100]})
    >>> fig = plot_labbe(t)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_figure(fig, pathlib.Path(d) / "labbe.svg")
    ...     p.suffix
    '.svg'
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in _METADATA:
        raise DataError(
            Problem(f"unsupported figure format {path.suffix!r}: use .png, .svg or .pdf", file=ARGUMENTS, column="path")
        )
    if fmt == "svg" and title is not None:
        path.write_text(svg_text(fig, title=title, id_prefix=path.stem, editable_text=editable_text), "utf-8")
    else:
        path.write_bytes(figure_bytes(fig, cast(Any, fmt), dpi=dpi, editable_text=editable_text))
    return path


def export_figure(
    fig: Any,
    stem: str | Path,
    formats: tuple[FigureFormat, ...] = ("svg", "png"),
    *,
    dpi: float = 300,
    editable_text: bool = False,
) -> list[Path]:
    """Save ``fig`` once per format as ``stem.<format>`` (deterministic bytes); return the paths written."""
    stem = Path(stem)
    return [
        save_figure(fig, stem.with_name(f"{stem.name}.{f.lower().lstrip('.')}"), dpi=dpi, editable_text=editable_text)
        for f in formats
    ]

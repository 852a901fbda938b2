"""Text rewrites of the SVG that matplotlib writes, so that many figures can sit inline in one HTML page.

* :func:`prefix_ids`: every ``id`` gets the figure's own prefix (and a number when matplotlib repeated it, as it
  does for a ``gid`` given to several artists); every ``url(#…)`` and ``href="#…"`` follows, so the ids of all
  figures of a page are unique and each reference still resolves inside its own figure.
* :func:`add_title`: ``role="img"``, a ``<title>`` as the first child and ``aria-labelledby`` pointing at it
  (the figure's accessible name, read by screen readers and shown as a tooltip).
* :func:`font_fallback`: text kept as ``<text>`` (``svg.fonttype = "none"``) names DejaVu Sans, the font it
  was laid out in, followed by fonts of similar width for viewers without it.

Only tags are rewritten (never text content or comments), so a study called ``id="x"`` is left alone.
"""

from __future__ import annotations

import re
from html import escape

__all__ = ["FONT_FALLBACK", "prefix_ids", "add_title", "font_fallback", "strip_prolog", "safe_prefix"]

#: the font-family list written for SVG text: the layout font, then fonts of similar width, then generic
FONT_FALLBACK = "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, Geneva, Arial, sans-serif"

_TAG = re.compile(r"<[^>]*>")
_ID = re.compile(r'(\sid=")([^"]*)(")')
_URL = re.compile(r"(url\(#)([^)\"']*)(\))")
_HREF = re.compile(r'(\s(?:xlink:)?href="#)([^"]*)(")')
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def safe_prefix(stem: str) -> str:
    """An id prefix made of letters, digits, ``_`` and ``-`` that starts with a letter.

    Examples
    --------
    >>> safe_prefix("nausea_forest")
    'nausea_forest'
    >>> safe_prefix("30% pain/forest")
    'f-30-pain-forest'
    """
    s = _UNSAFE.sub("-", stem).strip("-") or "figure"
    return s if s[0].isalpha() else f"f-{s}"


def _tags(svg: str, rewrite) -> str:
    """Apply ``rewrite`` to every tag of ``svg`` (not to comments, text content or CSS)."""

    def one(m: re.Match) -> str:
        tag = m.group(0)
        return tag if tag.startswith(("<!--", "<!", "<?")) else rewrite(tag)

    return _TAG.sub(one, svg)


def prefix_ids(svg: str, prefix: str) -> str:
    """Prefix every element id of ``svg`` with ``prefix-`` (repeated ids numbered ``__2``, ``__3``, …) and
    rewrite ``url(#id)`` and ``href="#id"`` references to the (first) element that carried that id.

    Examples
    --------
    >>> prefix_ids('<svg><g id="a"/><g id="a"/><use xlink:href="#a"/></svg>', "f")
    '<svg><g id="f-a"/><g id="f-a__2"/><use xlink:href="#f-a"/></svg>'
    """
    first: dict[str, str] = {}
    used: set[str] = set()

    def new_id(m: re.Match) -> str:
        old = m.group(2)
        new, n = f"{prefix}-{old}", 1
        while new in used:
            n += 1
            new = f"{prefix}-{old}__{n}"
        used.add(new)
        first.setdefault(old, new)
        return f"{m.group(1)}{new}{m.group(3)}"

    def ref(m: re.Match) -> str:
        return f"{m.group(1)}{first.get(m.group(2), prefix + '-' + m.group(2))}{m.group(3)}"

    out = _tags(svg, lambda tag: _ID.sub(new_id, tag))
    return _tags(out, lambda tag: _HREF.sub(ref, _URL.sub(ref, tag)))


def add_title(svg: str, title: str, prefix: str) -> str:
    """Give the root ``<svg>`` ``role="img"``, a ``<title id="<prefix>-title">`` as its first child and
    ``aria-labelledby`` pointing at that title (``_`` appended to the id while another element has it).

    Examples
    --------
    >>> add_title('<svg width="1"><g/></svg>', "Forest plot: nausea", "f")
    '<svg width="1" role="img" aria-labelledby="f-title"><title id="f-title">Forest plot: nausea</title><g/></svg>'
    """
    m = re.search(r"<svg\b[^>]*>", svg)
    if m is None:
        return svg
    open_tag = m.group(0)
    close = "/>" if open_tag.endswith("/>") else ">"
    head = open_tag[: -len(close)].rstrip()
    tid = f"{prefix}-title"
    while f'id="{tid}"' in svg:  # a gid "title" already took it
        tid += "_"
    new = f'{head} role="img" aria-labelledby="{tid}">' + f'<title id="{tid}">{escape(title, quote=False)}</title>'
    if close == "/>":
        new += "</svg>"
    return svg[: m.start()] + new + svg[m.end() :]


def font_fallback(svg: str) -> str:
    """Replace the single ``font-family: 'DejaVu Sans'`` of matplotlib's SVG text with :data:`FONT_FALLBACK`."""
    return svg.replace("font-family: 'DejaVu Sans'", f"font-family: {FONT_FALLBACK}")


def strip_prolog(svg: str) -> str:
    """The SVG from its ``<svg`` tag on (no XML declaration or DOCTYPE), to sit inside HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg

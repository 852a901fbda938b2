"""Safe file names in the report folder: :func:`slugs` (file-name stems from endpoint names, any text a CSV can
hold) and :func:`inside` (the one check that a path about to be written lies inside the build directory)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from ..errors import Problem, ReportError

__all__: list[str] = []  # private module: the public name is fmtrials.report.write_report

SLUG_MAX = 60
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _short_hash(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def slugs(names: Iterable[str]) -> dict[str, str]:
    """A safe, unique file-name stem per name: ASCII letters, digits, ``-`` and ``_`` only, at most
    ``SLUG_MAX + 11`` characters. A name that is already safe (and not too long) is kept as is; an altered
    name, or one whose stem collides with another's ignoring case, gets ``-`` and a 10-hex-digit hash of
    the original name, so the stems depend only on the names (stable across runs).

    Examples
    --------
    >>> s = slugs(["pain_30", "pain.30", "pain.50", "../../PWNED", "/"])
    >>> s["pain_30"], s["pain.30"][:8], s["pain.50"][:8], s["../../PWNED"][:6], s["/"][:9]
    ('pain_30', 'pain-30-', 'pain-50-', 'PWNED-', 'endpoint-')
    >>> len(set(s.values())) == 5 and all(re.fullmatch(r"[A-Za-z0-9_-]+", v) for v in s.values())
    True
    >>> sorted(slugs(["nausea", "Nausea"]).values())  # one file on a case-insensitive file system otherwise
    ['Nausea-d6bea94b06', 'nausea-e31040de40']
    """
    names = list(dict.fromkeys(names))
    base = {n: (_UNSAFE.sub("-", n).strip("-_")[:SLUG_MAX] or "endpoint") for n in names}
    folded: dict[str, int] = {}
    for n in names:
        folded[base[n].lower()] = folded.get(base[n].lower(), 0) + 1
    out = {}
    for n in names:
        clean = base[n] == n
        out[n] = base[n] if clean and folded[base[n].lower()] == 1 else f"{base[n]}-{_short_hash(n)}"
    if len({v.lower() for v in out.values()}) != len(out):  # a hash collision: astronomically unlikely
        out = {n: f"{base[n]}-{hashlib.sha256(n.encode('utf-8', 'surrogatepass')).hexdigest()}" for n in names}
    return out


def inside(root: Path, rel: str | os.PathLike) -> Path:
    """``root / rel``, refusing (ReportError) any path that does not resolve inside ``root``."""
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()) or target == root.resolve():
        raise ReportError(
            Problem(f"refusing to write {str(rel)!r}: it resolves outside the report folder", file=str(root))
        )
    return root / rel

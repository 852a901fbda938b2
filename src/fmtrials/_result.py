"""The one result protocol: every public result class offers the same small surface.

* ``to_dict()``: the dataclass fields as plain JSON (NaN and inf -> None, numpy -> Python, tables -> lists of
  records, nested results -> their own ``to_dict()``), :func:`jsonable`;
* ``to_frame()``: the result as a DataFrame (a per-study or per-row table where the result has one, else one
  row of its scalar fields);
* ``summary()``: plain text, and ``str(result)`` is the summary;
* ``_repr_html_()``: the notebook view, always through :func:`render_html`;
* ``conf_int()`` (results with an interval, :class:`IntervalMixin`): an :class:`Interval` with named parts.

Classes opt in by inheriting :class:`ResultMixin` and override only what they say better than the defaults.
"""

from __future__ import annotations

import dataclasses
import html
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Interval", "ResultMixin", "IntervalMixin", "jsonable", "render_html"]


class Interval(tuple):
    """A confidence (or credible) interval with its estimate and level, named.

    It *is* the tuple ``(ci_low, ci_high)`` (so ``lo, hi = result.conf_int()`` works as before), with the
    attributes ``estimate``, ``ci_low``, ``ci_high`` and ``level`` (``1 - alpha``). Immutable.

    Examples
    --------
    >>> i = Interval(1.5, 1.2, 1.9, 0.95)
    >>> i
    Interval(estimate=1.5, ci_low=1.2, ci_high=1.9, level=0.95)
    >>> lo, hi = i
    >>> (lo, hi) == (i.ci_low, i.ci_high), i.level
    (True, 0.95)
    """

    estimate: float
    level: float

    def __new__(cls, estimate: float, ci_low: float, ci_high: float, level: float) -> Interval:
        self = super().__new__(cls, (float(ci_low), float(ci_high)))
        object.__setattr__(self, "estimate", float(estimate))
        object.__setattr__(self, "level", float(level))
        return self

    @property
    def ci_low(self) -> float:
        return float(self[0])

    @property
    def ci_high(self) -> float:
        return float(self[1])

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Interval is immutable")

    def __repr__(self) -> str:
        parts = (f"{k}={v!r}" for k, v in self._asdict().items())
        return f"Interval({', '.join(parts)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Interval, (self.estimate, self.ci_low, self.ci_high, self.level))

    def _asdict(self) -> dict[str, float]:
        return {"estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high, "level": self.level}


def jsonable(x: Any) -> Any:
    """``x`` as plain JSON: NaN/inf -> None, numpy -> Python, tuples and arrays -> lists, DataFrames -> lists of
    records, results -> their ``to_dict()``, dataclasses -> dicts of their fields, paths and the rest -> text.

    Examples
    --------
    >>> jsonable({"a": (1, float("nan")), "b": np.int64(3), "c": np.array([0.5, np.inf])})
    {'a': [1, None], 'b': 3, 'c': [0.5, None]}
    """
    if x is None or isinstance(x, str):
        return x
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    if x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, Interval):
        return jsonable(x._asdict())
    if isinstance(x, pd.DataFrame):
        return [jsonable(r) for r in x.to_dict(orient="records")]
    if isinstance(x, (pd.Series, np.ndarray)):
        return [jsonable(v) for v in x.tolist()]
    if isinstance(x, ResultMixin):
        return x.to_dict()
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: jsonable(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in (sorted(x, key=str) if isinstance(x, (set, frozenset)) else x)]
    if isinstance(x, os.PathLike):
        return os.fspath(x)
    return str(x)


def render_html(
    kind: str,
    *,
    title: str | None = None,
    paragraphs: Sequence[str] = (),
    header: Sequence[str] = (),
    rows: Sequence[Sequence[Any]] = (),
    strong: Sequence[int] = (),
    text: str | None = None,
    frame: pd.DataFrame | None = None,
    footer: Sequence[str] = (),
    items: Sequence[str] = (),
) -> str:
    """The one notebook renderer of fmtrials' results: every piece of text escaped, in a fixed order.

    ``<div class='fmtrials-<kind>'>``: the bold ``title``; ``paragraphs``; a table of ``header`` and ``rows``
    (the rows whose index is in ``strong`` in bold) or of ``frame`` (at most 40 rows); ``text`` in a monospace
    paragraph (line breaks kept); ``footer`` paragraphs; ``items`` as a numbered list.

    Examples
    --------
    >>> render_html("demo", title="<x>", header=["a"], rows=[[1]])
    "<div class='fmtrials-demo'><p><b>&lt;x&gt;</b></p><table><tr><th>a</th></tr><tr><td>1</td></tr></table></div>"
    """
    esc = html.escape
    out = [f"<div class='fmtrials-{esc(kind)}'>"]
    if title is not None:
        out.append(f"<p><b>{esc(title)}</b></p>")
    out += [f"<p>{esc(p)}</p>" for p in paragraphs]
    if header or rows:
        bold = set(strong)
        body = "".join(
            f"<tr{' style=' + chr(39) + 'font-weight:bold' + chr(39) if i in bold else ''}>"
            + "".join(f"<td>{esc(str(c))}</td>" for c in row)
            + "</tr>"
            for i, row in enumerate(rows)
        )
        head = "<tr>" + "".join(f"<th>{esc(str(h))}</th>" for h in header) + "</tr>" if header else ""
        out.append(f"<table>{head}{body}</table>")
    elif frame is not None:
        out.append(frame.to_html(index=False, max_rows=40))
    if text is not None:
        out.append(f"<p style='font-family:monospace'>{esc(text).replace(chr(10), '<br>')}</p>")
    out += [f"<p>{esc(p)}</p>" for p in footer]
    if items:
        out.append("<ol>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ol>")
    out.append("</div>")
    return "".join(out)


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, (str, bool, int, float, np.generic))


class ResultMixin:
    """``to_dict``, ``to_frame``, ``summary``, ``__str__`` and ``_repr_html_`` for a result dataclass.

    The defaults: ``to_dict`` from the dataclass fields (:func:`jsonable`); ``to_frame`` one row of the scalar
    fields; ``summary`` one ``name: value`` line per scalar field; ``_repr_html_`` :func:`render_html` of the
    summary and the frame. A class overrides what it says better.
    """

    def to_dict(self) -> dict[str, Any]:
        """Every dataclass field as plain JSON (see :func:`fmtrials._result.jsonable`)."""
        return {f.name.lstrip("_"): jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def _scalars(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if not f.name.startswith("_") and _scalar(getattr(self, f.name))
        }

    def to_frame(self) -> pd.DataFrame:
        """One row of the result's scalar fields."""
        return pd.DataFrame([self._scalars()])

    def summary(self) -> str:
        """One ``name: value`` line per scalar field."""
        from ._format import format_number

        lines = [type(self).__name__]
        for name, v in self._scalars().items():
            shown = format_number(v, 4) if isinstance(v, (float, np.floating)) else str(v)
            lines.append(f"  {name}: {shown}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return render_html(type(self).__name__.lower(), text=self.summary(), frame=self.to_frame())


class IntervalMixin:
    """``conf_int()`` for a result with ``estimate, ci_low, ci_high`` and ``alpha`` fields."""

    def conf_int(self, alpha: float | None = None) -> Interval:
        """The result's interval, named (:class:`~fmtrials._result.Interval`), at its own level ``1 - alpha``.

        Another ``alpha`` is refused (this result's interval is computed at one level); results that can
        recompute it (:class:`~fmtrials.PoolResult`) accept any.
        """
        own = float(self.alpha)  # type: ignore[attr-defined]
        if alpha is not None and not math.isclose(float(alpha), own):
            from .errors import DataError, Problem

            raise DataError(
                Problem(
                    f"this result's interval is at alpha = {own:g}; recompute it to change the level",
                    file="<arguments>",
                    column="alpha",
                )
            )
        return Interval(self.estimate, self.ci_low, self.ci_high, 1 - own)  # type: ignore[attr-defined]

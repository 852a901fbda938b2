"""Strict CSV reading and column typing with row/column-precise problems, and the one CSV writer.

Private helpers behind :mod:`fmtrials.data`. A CSV is read with the standard :mod:`csv` module so every
record keeps its physical line number; every cell is then typed by a :class:`Column` spec and every problem is
collected (not raised one at a time) into a :class:`~fmtrials.errors.DataError`.

:func:`write_csv` writes every CSV the package writes (the report's tables, the RevMan writers): text cells
that a spreadsheet would run as a formula get a leading ``'`` (OWASP, CSV injection), and a cell holding a
line break (``\r`` or ``\n``), a comma, a quote or leading/trailing white space is quoted, so no name can
break the record structure or lose its spaces.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from ._vocab import MAX_COUNT
from .errors import DataError, Problem

__all__ = [
    "Column",
    "TableSpec",
    "read_csv_strict",
    "frame_as_text",
    "type_columns",
    "where",
    "csv_error",
    "write_csv",
    "defuse_formulas",
    "FORMULA_START",
]

#: more digits than this cannot be a count (MAX_COUNT has 10); checked before ``int()`` so a 5,000-digit
#: cell is refused without converting it
_MAX_DIGITS = len(str(MAX_COUNT))

_INT_RE = re.compile(r"^[+]?\d+$")
_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Column:
    """How one column is typed and checked.

    kind: ``str`` (pandas string), ``count`` (non-negative whole number, nullable Int64), ``int`` (nullable Int64,
    any sign), ``float`` (Float64), ``percent`` (kept as the printed text; must read as a number in [0, 100]).
    """

    name: str
    kind: str = "str"
    required: bool = True
    nullable: bool = True
    choices: tuple[str, ...] | None = None
    description: str = ""


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None


def _decode(raw: bytes, label: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise DataError(
            Problem(
                f"not UTF-8 text: byte 0x{raw[err.start]:02x} at byte offset {err.start} cannot be decoded; "
                "save the file as UTF-8 (CSV UTF-8 in spreadsheet programs)",
                file=label,
                line=line,
            )
        ) from None


def _sniff_wrong_delimiter(header: list[str]) -> str | None:
    if len(header) != 1:
        return None
    for delim, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
        if delim in header[0]:
            return name
    return None


def _too_many_rows(label: str, max_rows: int, line: int) -> DataError:
    return DataError(
        Problem(
            f"more than {max_rows:,} data rows: fmtrials supports up to {max_rows:,} rows per file; split the "
            "data into several files",
            file=label,
            line=line,
        )
    )


def read_csv_strict(
    source: str | os.PathLike | io.TextIOBase, label: str | None = None, *, max_rows: int | None = None
) -> tuple[pd.DataFrame, list[int]]:
    """Read a comma-separated UTF-8 file into a frame of stripped strings ("" for empty cells).

    Returns the frame (all columns object dtype, in file order) and, per data row, its physical line number.
    Raises :class:`DataError` for a missing, unreadable, empty, non-UTF-8 or wrongly delimited file, a file
    without a header line, duplicate or empty header names, rows whose field count differs from the
    header's, and more than ``max_rows`` data rows (reading stops there).

    Examples
    --------
    >>> import io
    >>> read_csv_strict(io.StringIO(",,,\\n,,,\\n"))
    Traceback (most recent call last):
    ...
    fmtrials.errors.DataError: <stream>: no header line: every line is empty or holds only commas
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        label = label or str(source)
        if not path.exists():
            raise DataError(Problem("file not found", file=label))
        if path.is_dir():
            raise DataError(Problem("is a directory, not a CSV file", file=label))
        try:
            raw = path.read_bytes()
        except OSError as err:
            raise DataError(Problem(f"cannot read the file: {err.strerror or err}", file=label)) from None
        text = _decode(raw, label)
    else:
        label = label or "<stream>"
        text = source.read()
        if isinstance(text, bytes):
            text = _decode(text, label)
    if not text.strip():
        raise DataError(Problem("file is empty (no header, no rows)", file=label))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[list[str]] = []
    lines: list[int] = []
    try:
        header = None
        for rec in reader:
            if header is None:
                if not any(c.strip() for c in rec):
                    continue
                header = [c.strip() for c in rec]
                header_line = reader.line_num
                continue
            if not any(c.strip() for c in rec):
                continue  # blank line
            records.append(rec)
            lines.append(reader.line_num)
            if max_rows is not None and len(records) > max_rows:
                raise _too_many_rows(label, max_rows, reader.line_num)
    except csv.Error as err:
        raise csv_error(err, label, reader.line_num) from None
    if header is None:
        raise DataError(Problem("no header line: every line is empty or holds only commas", file=label))
    wrong = _sniff_wrong_delimiter(header)
    if wrong:
        raise DataError(
            Problem(
                f"the header has a single column but contains {wrong}: fmtrials reads comma-separated files; "
                "re-save the file with commas as the delimiter",
                file=label,
                line=header_line,
            )
        )
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, h in enumerate(header, start=1):
        if not h:
            problems.append(Problem(f"header field {i} is empty", file=label, line=header_line))
        elif h in seen:
            problems.append(
                Problem(f"duplicate column name {h!r} in the header", file=label, line=header_line, column=h)
            )
        seen.add(h)
    for r, (rec, ln) in enumerate(zip(records, lines), start=1):
        if len(rec) != len(header):
            problems.append(
                Problem(f"has {len(rec)} fields but the header has {len(header)}", file=label, row=r, line=ln)
            )
    if problems:
        raise DataError(problems)
    frame = pd.DataFrame([[c.strip() for c in rec] for rec in records], columns=header, dtype=object)
    if frame.empty:
        frame = pd.DataFrame({h: pd.Series([], dtype=object) for h in header})
    return frame, lines


def frame_as_text(df: pd.DataFrame) -> tuple[pd.DataFrame, list[int] | None]:
    """A user DataFrame as stripped strings, the same shape :func:`read_csv_strict` returns."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(Problem(f"expected a path or a pandas DataFrame, got {type(df).__name__}"))
    out = pd.DataFrame(index=range(len(df)))
    for col in df.columns:
        values = df[col].tolist()
        out[str(col)] = [
            "" if (v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))) else _num_to_text(v)
            for v in values
        ]
    return out, None


def _num_to_text(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v).strip()


def where(file: str, row_index: int, lines: Sequence[int] | None) -> dict:
    """Problem location for 0-based data row ``row_index``: file, 1-based row and, for files, the line."""
    if lines is None:
        return {"file": file, "row": row_index + 1}
    return {"file": file, "row": row_index + 1, "line": lines[row_index]}


def type_columns(
    text: pd.DataFrame,
    spec: TableSpec,
    file: str,
    lines: Sequence[int] | None,
    problems: list[Problem],
    require: Iterable[str] | None = None,
) -> pd.DataFrame | None:
    """Type ``text`` (all strings) by ``spec``; append problems; return the typed frame (None if columns missing).

    Columns of the spec absent from the file are added empty when not required. Unknown extra columns are kept
    as strings.
    """
    required = set(require) if require is not None else {c.name for c in spec.columns if c.required}
    missing = [c for c in spec.columns if c.name in required and c.name not in text.columns]
    if missing:
        problems.append(
            Problem(
                "missing required column(s): "
                + ", ".join(repr(c.name) for c in missing)
                + f" (found: {', '.join(map(repr, text.columns))})",
                file=file,
            )
        )
        return None
    out: dict[str, pd.Series] = {}
    nrows = len(text)
    for col in spec.columns:
        raw = text[col.name] if col.name in text.columns else pd.Series([""] * nrows, dtype=object)
        out[col.name] = _type_one(raw.tolist(), col, file, lines, problems)
    for extra in text.columns:
        if extra not in out:
            out[extra] = pd.Series(text[extra].replace("", pd.NA).tolist(), dtype="string")
    return pd.DataFrame(out)


def _grouped(text: str, *, decimals: bool = False) -> bool:
    """Digits grouped by commas ("1,000", "12,345.6" with ``decimals``): a thousands separator or a decimal comma,
    refused as ambiguous in every user CSV.

    >>> _grouped("1,000"), _grouped("1,000.5"), _grouped("1,000.5", decimals=True), _grouped("1000")
    (True, False, True, False)
    """
    return re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+" + (r"(\.\d*)?" if decimals else ""), text) is not None


def _ambiguous(value: str, column: str, place: dict) -> Problem:
    return Problem(
        f"{value!r} is ambiguous (a thousands separator or a decimal comma?): write the number without it",
        column=column,
        **place,
    )


def _type_one(values: list[str], col: Column, file: str, lines, problems: list[Problem]) -> pd.Series:
    kind = col.kind
    typed: list = []
    for i, v in enumerate(values):
        if v == "":
            if not col.nullable:
                problems.append(
                    Problem("empty value; this column must be filled", column=col.name, **where(file, i, lines))
                )
            typed.append(pd.NA)
            continue
        if kind in ("count", "int"):
            s = v
            if _grouped(v):  # "1,000": a thousands separator or a decimal comma
                problems.append(_ambiguous(v, col.name, where(file, i, lines)))
                typed.append(pd.NA)
                continue
            if _INT_RE.match(s) or (kind == "int" and re.fullmatch(r"-\d+", s)):
                digits = s.lstrip("+-").lstrip("0")
                if len(digits) > _MAX_DIGITS or int(digits or "0") > MAX_COUNT:
                    problems.append(
                        Problem(
                            f"{v!r} is out of range: {'counts' if kind == 'count' else 'values'} are whole numbers "
                            f"from {0 if kind == 'count' else -MAX_COUNT} to {MAX_COUNT:,}",
                            column=col.name,
                            **where(file, i, lines),
                        )
                    )
                    typed.append(pd.NA)
                    continue
                typed.append(int(s))
            elif re.fullmatch(r"-\d+", s):
                problems.append(Problem(f"negative count {v!r}", column=col.name, **where(file, i, lines)))
                typed.append(pd.NA)
            elif _NUM_RE.match(s):
                problems.append(Problem(f"not a whole number: {v!r}", column=col.name, **where(file, i, lines)))
                typed.append(pd.NA)
            else:
                problems.append(Problem(f"not a number: {v!r}", column=col.name, **where(file, i, lines)))
                typed.append(pd.NA)
        elif kind in ("float", "percent"):
            s = v[:-1].strip() if (kind == "percent" and v.endswith("%")) else v
            if _grouped(s, decimals=True):
                problems.append(_ambiguous(v, col.name, where(file, i, lines)))
                typed.append(pd.NA)
                continue
            if not _NUM_RE.match(s):
                problems.append(Problem(f"not a number: {v!r}", column=col.name, **where(file, i, lines)))
                typed.append(pd.NA)
                continue
            x = float(s)
            if kind == "percent":
                if not 0.0 <= x <= 100.0:
                    problems.append(
                        Problem(f"percentage {v!r} outside [0, 100]", column=col.name, **where(file, i, lines))
                    )
                typed.append(s)
            else:
                typed.append(x)
        else:
            if col.choices is not None and v not in col.choices:
                problems.append(
                    Problem(f"{v!r} is not one of: {', '.join(col.choices)}", column=col.name, **where(file, i, lines))
                )
            typed.append(v)
    dtype = {"count": "Int64", "int": "Int64", "float": "Float64"}.get(kind, "string")
    return pd.Series(typed, dtype=dtype)


def csv_error(err: csv.Error, label: str, line: int, last: int | None = None) -> DataError:
    """A :class:`csv.Error` from a strict reader as a DataError naming the file and the line where the record
    began (and ``last``, the line where the reader gave up, when the record ran over several lines)."""
    text = str(err)
    if "field larger than field limit" in text:
        message = f"a field longer than {csv.field_size_limit():,} characters (a stray quote can also cause this)"
    elif "expected after" in text or "unexpected end of data" in text:
        message = (
            'a stray or unbalanced quote ("): a quoted field must end with a quote followed by a comma or the line end'
        )
    elif "NUL" in text or "nul" in text.lower():
        message = "a NUL byte: this is not a text CSV file"
    else:
        message = f"cannot parse CSV ({text})"
    if last is not None and last > line:
        message += f" (the record runs from line {line} to line {last})"
    return DataError(Problem(message, file=label, line=line))


# ------------------------------------------------------------------------------------------------- writing

#: a text cell starting with one of these is run as a formula by spreadsheet programs (OWASP, CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _defuse(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) and not _NUMBER_TEXT.fullmatch(value) else value


def defuse_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell that starts like a formula prefixed by a single quote (OWASP's advice);
    numeric columns, and text cells that read as a plain number such as ``-0.5``, are left unchanged.

    Examples
    --------
    >>> t = pd.DataFrame({"study": ["=1+1", "@SUM(A1)", "-0.5", "A"], "rd": [-0.5, 0.1, 0.2, 0.3]})
    >>> defuse_formulas(t).to_dict(orient="list")
    {'study': ["'=1+1", "'@SUM(A1)", '-0.5', 'A'], 'rd': [-0.5, 0.1, 0.2, 0.3]}
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype.kind != "O" and str(out[col].dtype) != "string":
            continue
        values = out[col].tolist()
        safe = [_defuse(v) if isinstance(v, str) else v for v in values]
        if safe != values:
            out[col] = pd.Series(safe, index=out.index, dtype=out[col].dtype)
    return out


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, (float, np.floating)) and math.isnan(v))


def _column_text(s: pd.Series, float_format: str | None) -> list[str]:
    """The cells of one column as pandas' ``to_csv`` writes them (``float_format`` on float columns)."""
    dtype = s.dtype
    floating = dtype.kind == "f"
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        values = list(s.to_numpy())
    elif dtype.kind in "biufO" or str(dtype) == "string":
        values = list(s.to_numpy(dtype=object))
    else:  # dates, categories...: pandas' own text
        values = [None if _missing(v) else t for v, t in zip(s.tolist(), s.astype(str).tolist())]
    out = []
    for v in values:
        if _missing(v):
            out.append("")
        elif floating and float_format is not None:
            out.append(float_format % v)
        else:
            out.append(_defuse(v) if isinstance(v, str) else str(v))
    return out


def _quoted(cell: str) -> str:
    if any(ch in cell for ch in ',"\r\n') or cell != cell.strip():
        return '"' + cell.replace('"', '""') + '"'
    return cell


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str] | TextIO, *, float_format: str | None = None) -> None:
    """Write ``df`` (no index) as UTF-8 CSV with ``\\n`` line ends to a file (or a text stream such as
    ``sys.stdout``): the one CSV writer of the package.

    Cells are written as pandas' ``to_csv`` writes them (``float_format`` on float columns, else full
    precision; empty for missing values), except that a text cell (or column name) a spreadsheet would run as a
    formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return and is not a plain number)
    gets a leading ``'``, and a cell is quoted when it holds a comma, a quote, a line break (``\\r`` as well as
    ``\\n``) or leading/trailing white space, so every reader sees the records and the names intact.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> t = pd.DataFrame({"study": ["=cmd|' /C calc'!A0", "a\\rb", " c "], "yi": [-0.5, 0.25, float("nan")]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_csv(t, pathlib.Path(d) / "t.csv")
    ...     print(repr((pathlib.Path(d) / "t.csv").read_bytes().decode()))
    'study,yi\\n\\'=cmd|\\' /C calc\\'!A0,-0.5\\n"a\\rb",0.25\\n" c ",\\n'
    """
    columns = [_column_text(df.iloc[:, j], float_format) for j in range(df.shape[1])]
    rows = [[_defuse(str(c)) for c in df.columns], *map(list, zip(*columns))]
    text = "".join(",".join(map(_quoted, row)) + "\n" if row != [""] else '""\n' for row in rows)
    if isinstance(path, (str, os.PathLike)):
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    else:
        path.write(text)

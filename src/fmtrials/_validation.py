"""The one validation path for counts and arguments.

* :func:`as_count_arrays` turns the user's ``events_t, n_t, events_c, n_c`` (scalars, lists, arrays or pandas
  Series) into broadcast int64 arrays, naming argument and position of every problem;
* :func:`frame_counts` does the same for the count columns of a DataFrame, naming 1-based rows (or a file's
  lines);
* :func:`count_from_text` reads a count written in a file as exact decimal digits (the RevMan readers);
* :func:`check_alpha`, :func:`check_int`, :func:`check_number` and :func:`fmtrials._vocab.choice` check
  options; :func:`check_text` checks a free-text option (a title, a label) and :func:`isolate` / :func:`safe_text`
  make text safe to print in SVG, HTML and plain text.

Counts are checked on their exact value before any cast: whole numbers from 0 to
:data:`~fmtrials._vocab.MAX_COUNT`; a huge float or Python integer is refused, never wrapped or rounded.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from ._vocab import COUNT_COLUMNS, MAX_COUNT, choice
from .errors import DataError, Problem

__all__ = [
    "as_counts",
    "as_count_arrays",
    "frame_counts",
    "count_from_text",
    "count_problem",
    "shown",
    "check_alpha",
    "check_int",
    "check_number",
    "check_text",
    "isolate",
    "safe_text",
    "choice",
    "ARGUMENTS",
    "DATAFRAME",
]

#: the ``file`` of a problem found in a function argument / in a DataFrame passed in
ARGUMENTS = "<arguments>"
DATAFRAME = "<DataFrame>"


def _position(idx: tuple[int, ...]) -> str:
    return "position " + (str(int(idx[0])) if len(idx) == 1 else str(tuple(int(i) for i in idx)))


def _exact_floats(value: Any, name: str) -> np.ndarray:
    """``value`` as a float array, refusing non-numbers and integers too large to be represented exactly."""
    if isinstance(value, (pd.Series, pd.Index)):
        # plain numpy int/float columns keep their dtype (the checks below are the same, without a loop per value)
        numeric = isinstance(value.dtype, np.dtype) and value.dtype.kind in "iuf"
        value = value.to_numpy() if numeric else value.to_numpy(dtype=object, na_value=np.nan)
    arr = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) else value
    if arr.dtype == object:
        flat = arr.ravel()
        out = np.empty(flat.shape, dtype=float)
        problems = []
        for i, v in enumerate(flat):
            if v is None or v is pd.NA:
                out[i] = np.nan
            elif isinstance(v, (bool, np.bool_)):
                out[i] = float(v)
            elif isinstance(v, Integral):
                iv = int(v)
                out[i] = float(iv) if abs(iv) <= MAX_COUNT else (math.inf if iv > 0 else -math.inf)
            elif isinstance(v, Real):
                out[i] = float(v)
            else:
                try:
                    out[i] = float(v)
                except (TypeError, ValueError, OverflowError):
                    problems.append(
                        Problem(f"must be numeric counts, got {v!r} at {_position((i,))}", file=ARGUMENTS, column=name)
                    )
        if problems:
            raise DataError(problems)
        return out.reshape(arr.shape)
    if arr.dtype.kind in "iu":
        big = np.abs(arr.astype(np.float64)) > MAX_COUNT
        out = arr.astype(float)
        out[big] = np.where(arr[big] > 0, math.inf, -math.inf)
        return out
    try:
        return arr.astype(float)
    except (TypeError, ValueError):
        raise DataError(Problem(f"must be numeric counts, got {value!r}", file=ARGUMENTS, column=name)) from None


def as_counts(value: Any, name: str) -> np.ndarray:
    """``value`` as an int64 array of whole numbers in [0, MAX_COUNT], or raise DataError naming positions."""
    arr = _exact_floats(value, name)
    problems = [
        Problem(f"{what} at {_position(idx)}", file=ARGUMENTS, column=name)
        for what, idx in _with_positions(np.atleast_1d(arr), name)
    ]
    if problems:
        raise DataError(problems)
    return arr.astype(np.int64)


def _with_positions(a: np.ndarray, name: str, show_value: bool = True):
    fin = np.isfinite(a)
    checks = (
        (np.isnan(a), "missing count"),
        (
            np.isinf(a) | (fin & (np.abs(a) > MAX_COUNT)),
            f"count out of range (counts are whole numbers from 0 to {MAX_COUNT:,})",
        ),
        (fin & (a != np.round(a)), "non-integer count"),
        (fin & (a < 0) & (np.abs(a) <= MAX_COUNT), "negative count"),
    )
    for mask, what in checks:
        for idx in zip(*np.nonzero(mask)):
            v = a[idx]
            yield (what + ("" if np.isnan(v) or not show_value else f" ({v:g})")), idx


#: a count as a file writes it: optional sign and ASCII decimal digits, nothing else
_COUNT_TEXT = re.compile(r"[+-]?[0-9]+")
#: text a float parser would take for a number: a count written this way is refused, not rounded or wrapped
_NUMBER_LIKE = re.compile(r"[+-]?([0-9]*[.,]?[0-9]+([.,][0-9]+)*([eE][+-]?[0-9]+)?|inf(inity)?|nan)", re.IGNORECASE)


def shown(text: str, limit: int = 40) -> str:
    """``repr(text)``, cut to ``limit`` characters (with the full length) so a huge cell never floods a message.

    Examples
    --------
    >>> shown("12"), shown("9" * 100, limit=5)
    ("'12'", "'99999'... (100 characters)")
    """
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text):,} characters)"


def count_from_text(text: str | None) -> float:
    """A count written in a file as decimal digits, as a float for :func:`count_problem` / :func:`frame_counts`.

    Empty or missing text is NaN. A value with more digits than :data:`~fmtrials._vocab.MAX_COUNT` becomes
    ``±inf`` (refused by the range check, never wrapped); within the range the float is exact. Anything else
    (an exponent, a decimal point or comma, a thousands separator, ``inf``, ``nan``, letters) raises
    :class:`ValueError` whose message says why, so a reader can name the file, line and field.

    Examples
    --------
    >>> count_from_text("12"), count_from_text(" "), count_from_text("3000000000"), count_from_text("9" * 40)
    (12.0, nan, 3000000000.0, inf)
    >>> count_from_text("1,000")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: '1,000' is not a count: counts are whole numbers written in decimal digits (no thousands separator...
    """
    if text is None or not text.strip():
        return math.nan
    s = text.strip()
    if not _COUNT_TEXT.fullmatch(s):
        if _NUMBER_LIKE.fullmatch(s):
            raise ValueError(
                f"{shown(s)} is not a count: counts are whole numbers written in decimal digits "
                "(no thousands separator, decimal point, exponent, inf or nan)"
            )
        raise ValueError(f"{shown(s)} is not a number")
    digits = s.lstrip("+-").lstrip("0")
    value = math.inf if len(digits) > len(str(MAX_COUNT)) else float(int(digits or "0"))
    return -value if s.startswith("-") else value


def count_problem(value: float, *, missing: bool = False) -> str | None:
    """What is wrong with one count (missing, out of range, non-integer, negative), or None if it is valid.

    ``missing=True`` accepts NaN (a count a file may leave empty).

    Examples
    --------
    >>> count_problem(3.0), count_problem(-2.0), count_problem(math.nan, missing=True)
    (None, 'negative count', None)
    >>> count_problem(3e9)
    'count out of range (counts are whole numbers from 0 to 2,147,483,647)'
    """
    if missing and math.isnan(value):
        return None
    for what, _ in _with_positions(np.array([value], dtype=float), "", show_value=False):
        return what
    return None


def _check_series_alignment(values: Sequence[Any], names: Sequence[str]) -> None:
    """Series passed together must share one index: pairing them by position would silently mismatch rows."""
    series = [(nm, v) for nm, v in zip(names, values) if isinstance(v, pd.Series)]
    for nm, s in series[1:]:
        if not s.index.equals(series[0][1].index):
            raise DataError(
                Problem(
                    f"the pandas Series {series[0][0]} and {nm} have different indexes; "
                    "align them (or pass arrays) so each table's counts come from one row",
                    file=ARGUMENTS,
                    column=nm,
                )
            )


def as_count_arrays(
    events_t: Any,
    n_t: Any,
    events_c: Any,
    n_c: Any,
    names: tuple[str, str, str, str] = COUNT_COLUMNS,
    allow_zero_n: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate and broadcast the four counts of 2x2 tables.

    Returns four int64 arrays of one common shape (at least 1-d). Raises :class:`DataError` for
    non-numeric, non-integer, negative, missing or out-of-range counts, events above their arm size, an arm
    size of zero (unless ``allow_zero_n``), pandas Series with different indexes and shapes that do not
    broadcast, naming argument and position.

    Examples
    --------
    >>> [a.tolist() for a in as_count_arrays(3, 10, [1, 2], 10)]
    [[3, 3], [10, 10], [1, 2], [10, 10]]
    """
    values = (events_t, n_t, events_c, n_c)
    _check_series_alignment(values, names)
    problems: list[Problem] = []
    arrays = []
    for v, nm in zip(values, names):
        try:
            arrays.append(as_counts(v, nm))
        except DataError as err:
            problems.extend(err.problems)
    if problems:
        raise DataError(problems)
    try:
        b = np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = ", ".join(f"{nm} {a.shape}" for nm, a in zip(names, arrays))
        raise DataError(Problem(f"shapes do not broadcast: {shapes}", file=ARGUMENTS)) from None
    x1, m1, x2, m2 = (np.atleast_1d(a).astype(np.int64, copy=True) for a in b)
    for x, n, xn, nn in ((x1, m1, names[0], names[1]), (x2, m2, names[2], names[3])):
        for idx in zip(*np.nonzero(x > n)):
            problems.append(
                Problem(
                    f"events ({x[idx]}) exceed arm size {nn} ({n[idx]}) at {_position(idx)}", file=ARGUMENTS, column=xn
                )
            )
        if not allow_zero_n:
            for idx in zip(*np.nonzero(n == 0)):
                problems.append(Problem(f"arm size is 0 at {_position(idx)}", file=ARGUMENTS, column=nn))
    if problems:
        raise DataError(problems)
    return x1, m1, x2, m2


def frame_counts(
    df: pd.DataFrame,
    columns: Sequence[str] = COUNT_COLUMNS,
    *,
    file: str = DATAFRAME,
    allow_zero_n: bool = False,
    rows: Sequence[int] | np.ndarray | None = None,
    lines: Sequence[int | None] | None = None,
    context: Sequence[str] | None = None,
) -> tuple[np.ndarray, ...]:
    """Validate the count columns of ``df`` and return them as int64 arrays (one per column).

    ``columns`` is the four 2x2 counts (``events_t, n_t, events_c, n_c``, with the events <= n check per
    arm) or the two of one arm (``events, n``). Every problem names ``file``, the 1-based row (``rows[i]`` when
    given, else ``i + 1``) and the column. Missing columns are reported first. A file reader passes ``lines``
    (each row's line in the file: problems then name the line instead of a row) and ``context`` (a text
    put before each row's messages, e.g. the study).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"events_t": [3], "n_t": [10], "events_c": [12], "n_c": [10]})
    >>> try:
    ...     frame_counts(t)
    ... except DataError as err:
    ...     print(err)
    <DataFrame>, row 1, column 'events_c': events (12) exceed n_c (10)
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(Problem(f"must be a pandas DataFrame, got {type(df).__name__}", file=ARGUMENTS, column="table"))
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            Problem(f"missing column(s) {', '.join(missing)}; need {', '.join(columns)}", file=file, column=missing[0])
        )
    row_of = (lambda i: int(rows[i])) if rows is not None else (lambda i: int(i) + 1)
    problems: list[Problem] = []

    def problem(message: str, i: Any, column: str) -> Problem:
        i = int(i)
        text = (context[i] if context is not None else "") + message
        if lines is not None:
            return Problem(text, file=file, line=lines[i], column=column)
        return Problem(text, file=file, row=row_of(i), column=column)

    values = {}
    for c in columns:
        s = df[c]
        try:
            arr = _exact_floats(s, c)
        except DataError:
            arr = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            raw = s.to_numpy(dtype=object)
            bad = np.isnan(arr) & pd.notna(s).to_numpy()
            for i in np.nonzero(bad)[0]:
                problems.append(problem(f"not a number: {raw[i]!r}", i, c))
            arr = np.where(bad, 0.0, arr)
        for what, idx in _with_positions(np.asarray(arr, dtype=float), c):
            problems.append(problem(what, idx[0], c))
        values[c] = np.asarray(arr, dtype=float)
    pairs = [(columns[0], columns[1])] if len(columns) == 2 else [(columns[0], columns[1]), (columns[2], columns[3])]
    for x, n in pairs:
        both = (np.abs(values[x]) <= MAX_COUNT) & (np.abs(values[n]) <= MAX_COUNT)  # else refused above already
        for i in np.nonzero(both & (values[x] > values[n]))[0]:
            problems.append(problem(f"events ({values[x][i]:g}) exceed {n} ({values[n][i]:g})", i, x))
        if not allow_zero_n:
            for i in np.nonzero(values[n] == 0)[0]:
                problems.append(problem("arm size is 0", i, n))
    if problems:
        raise DataError(problems)
    return tuple(values[c].astype(np.int64) for c in columns)


def check_alpha(alpha: Any) -> float:
    """Return ``alpha`` as a float in (0, 1) or raise DataError."""
    return check_number(alpha, "alpha", low=0.0, high=1.0, inclusive=False)


def check_number(
    value: Any, name: str, *, low: float = -math.inf, high: float = math.inf, inclusive: bool = True
) -> float:
    """``value`` as a finite float in [low, high] (open interval when ``inclusive`` is False), or DataError."""
    ok = not isinstance(value, (bool, np.bool_)) and isinstance(value, (Real, np.floating, np.integer))
    v = float(value) if ok else math.nan
    if ok and math.isfinite(v):
        ok = (low <= v <= high) if inclusive else (low < v < high)
    else:
        ok = False
    if not ok:
        rng = f"[{low:g}, {high:g}]" if inclusive else f"({low:g}, {high:g})"
        raise DataError(Problem(f"must be a number in {rng}, got {value!r}", file=ARGUMENTS, column=name))
    return v


def check_int(value: Any, name: str, *, low: int = 0, high: int = 2**31 - 1) -> int:
    """``value`` as an int in [low, high] (a whole float such as 2.0 is accepted), or DataError."""
    ok = not isinstance(value, (bool, np.bool_))
    if ok and isinstance(value, (Integral, np.integer)):
        v = int(value)
    elif ok and isinstance(value, (Real, np.floating)) and math.isfinite(float(value)) and float(value).is_integer():
        v = int(value)  # type: ignore[arg-type]  # numbers.Real has __int__ at run time
    else:
        ok = False
        v = 0
    if not ok or not (low <= v <= high):
        raise DataError(
            Problem(f"must be a whole number from {low} to {high}, got {value!r}", file=ARGUMENTS, column=name)
        )
    return v


#: explicit bidi embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI): invisible
#: controls that reorder the text *after* them (text spoofing) when left unterminated
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_FSI, _PDI = "\u2068", "\u2069"


def _bad_char(ch: str) -> bool:
    """A C0/C1 control (NUL included; tab, line feed and carriage return are whitespace), a lone surrogate, a
    non-character, or an explicit bidi control: none may be printed into SVG (XML), HTML or text."""
    cat = unicodedata.category(ch)
    return (
        (cat == "Cc" and ch not in "\t\n\r")
        or cat == "Cs"
        or ch in BIDI_CONTROLS
        or (0xFDD0 <= ord(ch) <= 0xFDEF)
        or (ord(ch) & 0xFFFE) == 0xFFFE
    )


def check_text(value: Any, name: str, *, max_len: int = 200) -> str:
    r"""``value`` as one line of printable text: whitespace runs (tab and line breaks included) become one
    space; a C0/C1 control character (NUL included), a lone surrogate, a Unicode non-character or an explicit
    bidi embedding/override/isolate (U+202A-U+202E, U+2066-U+2069) is refused with a DataError naming the
    option and the code point, as is empty text or text longer than ``max_len``.

    Examples
    --------
    >>> check_text("  pain\tscore ", "--title")
    'pain score'
    >>> check_text("a\x00b", "--title")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fmtrials.errors.DataError: <arguments>, column '--title': must not contain control characters: U+0000 at ...
    """
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise DataError(
            Problem(f"must be a non-empty text of at most {max_len} characters", file=ARGUMENTS, column=name)
        )
    bad = [(i, ch) for i, ch in enumerate(value) if _bad_char(ch)]
    if bad:
        shown = ", ".join(f"U+{ord(ch):04X} at character {i + 1}" for i, ch in bad[:5])
        raise DataError(
            Problem(
                f"must not contain control characters: {shown} (control, bidi override and isolate characters "
                "would be written into the SVG, HTML and text files)",
                file=ARGUMENTS,
                column=name,
            )
        )
    return " ".join(value.split())


def safe_text(text: str) -> str:
    """``text`` (e.g. a file name) with every character :func:`check_text` refuses replaced by U+FFFD and
    whitespace runs collapsed to one space: for text the user did not type as an option.

    >>> safe_text("in\x1b[31m.csv")
    'in\ufffd[31m.csv'
    """
    return " ".join("".join("\ufffd" if _bad_char(ch) else ch for ch in text).split())


def isolate(text: str) -> str:
    """``text`` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE when it holds right-to-left letters
    (bidi classes R, AL, AN), so it cannot reorder the text around it in SVG, HTML or plain text; left-to-right
    text is returned unchanged (the same bytes as before).

    >>> isolate("milnacipran")
    'milnacipran'
    >>> isolate("\u05d0\u05d1") == "\u2068\u05d0\u05d1\u2069"
    True
    """
    if any(unicodedata.bidirectional(ch) in ("R", "AL", "AN") for ch in text):
        return _FSI + text + _PDI
    return text

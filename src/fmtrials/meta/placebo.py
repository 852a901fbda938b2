"""Shared placebo arms: detect a placebo arm counted twice, and divide it (Cochrane Handbook v6 §23.3.4)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import DATAFRAME, frame_counts
from .._vocab import COUNT_COLUMNS
from ..errors import DataError, Problem
from ._table import as_frame

__all__ = ["split_shared_placebo"]


def shared_ids(placebo: np.ndarray | None) -> tuple[str, ...]:
    """The placebo ids that occur more than once (in order of their second appearance)."""
    if placebo is None:
        return ()
    seen: set = set()
    dup: list = []
    for p in placebo:
        if p is None:
            continue
        if p in seen and p not in dup:
            dup.append(p)
        seen.add(p)
    return tuple(str(p) for p in dup)


def split_shared_placebo(table: pd.DataFrame) -> pd.DataFrame:
    """Divide a placebo arm shared by several comparisons between them (Cochrane Handbook v6 §23.3.4).

    Rows with the same ``placebo_id`` get the placebo events and n divided as evenly as possible between them:
    each of the g rows gets ``floor(x / g)``, and the remainder (``x mod g``) goes one unit each to the first
    rows in table order; the same rule is applied to events and to n separately, so the first rows get the
    larger share of both. This removes the double counting but not the correlation between the comparisons
    (the Handbook's partial fix). Rows with a unique ``placebo_id`` are unchanged.

    Parameters
    ----------
    table : DataFrame
        Needs ``events_c``, ``n_c`` and ``placebo_id`` (e.g. the output of :func:`fmtrials.contrasts`).

    Returns
    -------
    DataFrame
        A copy with the divided ``events_c``, ``n_c``; ``placebo_id`` made unique (``"<id>#1/2"``, ...),
        ``shared_placebo`` set to False, and ``placebo_split`` (number of rows the arm was divided among, 1
        when not shared).

    Examples
    --------
    >>> import pandas as pd, fmtrials
    >>> t = pd.DataFrame({"study": ["Mease2009", "Mease2009", "Arnold2010"],
    ...                   "events_t": [73, 177, 189], "n_t": [224, 441, 516],
    ...                   "events_c": [47, 47, 106], "n_c": [223, 223, 509],
    ...                   "placebo_id": ["Mease2009:placebo", "Mease2009:placebo", "Arnold2010:placebo"]})
    >>> fmtrials.split_shared_placebo(t)[["events_c", "n_c"]].values.tolist()
    [[24, 112], [23, 111], [106, 509]]
    """
    df = as_frame(table)
    if "placebo_id" not in df.columns:
        raise DataError(
            Problem("missing column placebo_id (which placebo arm each row uses)", file=DATAFRAME, column="placebo_id")
        )
    _, _, ev, nn = frame_counts(df, COUNT_COLUMNS)
    out = df.copy()
    pid = out["placebo_id"].astype(object)
    new_ev, new_n = ev.copy(), nn.copy()
    split = np.ones(len(out), dtype=np.int64)
    new_id = pid.to_numpy(dtype=object).copy()
    problems = []
    for key, idx in pd.Series(range(len(out))).groupby(pid.to_numpy(), sort=False):
        pos = idx.to_numpy()
        g = len(pos)
        if g < 2 or key is None:
            continue
        if len(set(ev[pos])) > 1 or len(set(nn[pos])) > 1:
            for p in pos:
                problems.append(
                    Problem(
                        f"rows sharing placebo_id {key!r} disagree on the placebo counts",
                        file=DATAFRAME,
                        row=int(p) + 1,
                        column="events_c",
                    )
                )
            continue
        x, n = int(ev[pos[0]]), int(nn[pos[0]])
        for j, p in enumerate(pos):
            new_ev[p] = x // g + (1 if j < x % g else 0)
            new_n[p] = n // g + (1 if j < n % g else 0)
            split[p] = g
            new_id[p] = f"{key}#{j + 1}/{g}"
    if problems:
        raise DataError(problems)
    out["events_c"] = pd.array(new_ev, dtype=out["events_c"].dtype) if str(out["events_c"].dtype) == "Int64" else new_ev
    out["n_c"] = pd.array(new_n, dtype=out["n_c"].dtype) if str(out["n_c"].dtype) == "Int64" else new_n
    out["placebo_id"] = new_id
    out["shared_placebo"] = False
    out["placebo_split"] = split
    return out

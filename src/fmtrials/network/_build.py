"""Input of a network meta-analysis: validated arms (or contrasts) turned into per-study blocks.

Each study becomes one block: its arms' treatments (the first arm, in input order, is the study's baseline),
the contrasts of every other arm against the baseline (``y``) and their within-study covariance ``V`` (the
baseline arm's variance on the off-diagonal). Zero cells as R netmeta's ``pairwise()``: 0.5 is added to every
cell of every arm of a study with a zero-event or an all-event arm; a study whose arms are all zero-event (or
all all-event) carries no information on a ratio scale and is dropped (named in ``dropped``). Arm-level means
are read by :mod:`._means`, a multi-arm study's contrasts by :mod:`._contrasts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from . import _contrasts

ARM_INPUT = ("study", "treatment", "events", "n")
CONTRAST_INPUT = ("study", "treatment", "versus", "yi", "se")


@dataclass
class Blocks:
    """The network as per-study blocks (see module docstring)."""

    treatments: list[str]
    studies: list[str]
    arms: list[np.ndarray]  # treatment index of each arm, baseline first
    y: list[np.ndarray]
    V: list[np.ndarray]
    n_patients: dict[str, float] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)


def _problem(msg: str, row: int | None = None, column: str | None = None) -> Problem:
    return Problem(msg, file="<DataFrame>", row=row, column=column)


def _arm_theta(x: np.ndarray, n: np.ndarray, measure: str) -> tuple[np.ndarray, np.ndarray]:
    if measure == "RR":
        return np.log(x / n), 1 / x - 1 / n
    if measure == "OR":
        return np.log(x / (n - x)), 1 / x + 1 / (n - x)
    p = x / n
    return p, p * (1 - p) / n


def _check_columns(frame: pd.DataFrame, cols: tuple[str, ...]) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise DataError([_problem(f"missing column '{c}'", column=c) for c in missing])


def start_blocks(treatment: pd.Series, n: np.ndarray) -> tuple[Blocks, np.ndarray]:
    """Empty :class:`Blocks` for the arms' treatments (sorted names, patients per treatment) and each arm's
    treatment code."""
    names = treatment.to_numpy().tolist()
    treatments = sorted(set(names))
    index = {t: i for i, t in enumerate(treatments)}
    tcode = np.array([index[t] for t in names])
    out = Blocks(treatments=treatments, studies=[], arms=[], y=[], V=[])
    totals = np.bincount(tcode, weights=n, minlength=len(treatments))
    out.n_patients = {t: float(totals[i]) for i, t in enumerate(treatments)}
    return out, tcode


def labelled(frame: pd.DataFrame, columns: tuple[str, ...], labels: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with the required ``columns`` (else a DataError naming each missing one), a fresh index, and its
    ``labels`` (study, treatment, ...) filled and stripped (else a DataError naming every empty cell): the first
    step of every network input."""
    _check_columns(frame, columns)
    frame = frame.reset_index(drop=True)
    probs = _labels(frame, labels)
    if probs:
        raise DataError(probs)
    return frame.assign(**{c: frame[c].astype(str).str.strip() for c in labels})


def _labels(frame: pd.DataFrame, cols: tuple[str, ...]) -> list[Problem]:
    probs = []
    for c in cols:
        for i, v in enumerate(frame[c].tolist(), start=1):
            if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "":
                probs.append(_problem(f"empty {c}", row=i, column=c))
    return probs


def _numbers(frame: pd.DataFrame, col: str, probs: list[Problem], *, integer: bool) -> np.ndarray:
    vals = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
    finite = np.isfinite(vals)
    bad = ~finite
    if integer:
        bad |= finite & ((vals < 0) | (vals != np.floor(np.where(finite, vals, 0))))
    for i in np.flatnonzero(bad):
        raw = frame[col].iloc[i]
        where = f"study '{frame['study'].iloc[i]}', treatment '{frame['treatment'].iloc[i]}'"
        what = "is not a number" if not finite[i] else "is not a whole count >= 0"
        probs.append(_problem(f"{col} {raw!r} {what} ({where})", row=int(i) + 1, column=col))
    return vals


def _duplicates(frame: pd.DataFrame, probs: list[Problem], key: tuple[str, ...]) -> None:
    seen: dict[tuple[str, ...], int] = {}
    for i, k in enumerate(zip(*(frame[c].astype(str) for c in key)), start=1):
        if k not in seen:
            seen[k] = i
        else:
            what = ", ".join(f"{c} '{v}'" for c, v in zip(key, k))
            probs.append(_problem(f"duplicated arm: {what} also in row {seen[k]}", row=i, column=key[1]))


def group_studies(frame: pd.DataFrame, probs: list[Problem]) -> tuple[list[str], list[np.ndarray]]:
    """The studies in order of first appearance and each one's row indices (input order); a one-arm study is a
    problem (appended to ``probs``)."""
    codes, names = pd.factorize(frame["study"], sort=False)
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(names) + 1))
    treatment = frame["treatment"].to_numpy()
    out = [order[starts[s] : starts[s + 1]] for s in range(len(names))]
    for s, rows in enumerate(out):
        if len(rows) < 2:
            t = treatment[rows[0]]
            probs.append(
                _problem(f"study '{names[s]}' has one arm (treatment '{t}'): nothing to compare", row=rows[0] + 1)
            )
    return [str(x) for x in names], out


def from_arms(frame: pd.DataFrame, measure: str) -> Blocks:
    """Blocks from an arm-level frame ``study, treatment, events, n`` (every problem named, all at once)."""
    frame = labelled(frame, ARM_INPUT, ("study", "treatment"))
    probs: list[Problem] = []
    events = _numbers(frame, "events", probs, integer=True)
    n = _numbers(frame, "n", probs, integer=True)
    with np.errstate(invalid="ignore"):
        impossible = np.isfinite(events) & np.isfinite(n) & ((n < 1) | (events > n))
    for i in np.flatnonzero(impossible):
        where = f"study '{frame['study'].iloc[i]}', treatment '{frame['treatment'].iloc[i]}'"
        probs.append(
            _problem(f"events {events[i]:g} of n {n[i]:g} is impossible ({where})", row=int(i) + 1, column="events")
        )
    _duplicates(frame, probs, ("study", "treatment"))
    names, study_rows = group_studies(frame, probs)
    if probs:
        raise DataError(probs)
    out, tcode = start_blocks(frame["treatment"], n)
    for s, rows in enumerate(study_rows):
        x, m = events[rows], n[rows]
        if measure != "RD" and (np.all(x == 0) or np.all(x == m)):
            out.dropped.append(str(names[s]))
            continue
        if np.any((x == 0) | (x == m)):
            x, m = x + 0.5, m + 1.0
            out.corrected.append(str(names[s]))
        th, va = _arm_theta(x, m, measure)
        out.studies.append(str(names[s]))
        out.arms.append(tcode[rows])
        out.y.append(th[1:] - th[0])
        out.V.append(np.diag(va[1:]) + va[0])
    return out


def from_contrasts(frame: pd.DataFrame) -> Blocks:
    """Blocks from contrasts ``study, treatment, versus, yi, se``: one row per two-arm study, every pair of arms
    of a multi-arm study (its covariance derived as netmeta's ``multiarm()``, :mod:`._contrasts`)."""
    frame = labelled(frame, CONTRAST_INPUT, ("study", "treatment", "versus"))
    probs: list[Problem] = []
    yi = _numbers(frame, "yi", probs, integer=False)
    se = _numbers(frame, "se", probs, integer=False)
    for i, row in frame.iterrows():
        where = f"study '{row['study']}', treatment '{row['treatment']}'"
        if np.isfinite(se[i]) and se[i] <= 0:
            probs.append(_problem(f"se {se[i]:g} is not positive ({where})", row=i + 1, column="se"))
        if row["treatment"] == row["versus"]:
            probs.append(_problem(f"treatment compared with itself ({where})", row=i + 1, column="versus"))
    treatments = sorted(set(frame["treatment"]) | set(frame["versus"]))
    index = {t: i for i, t in enumerate(treatments)}
    out = Blocks(treatments=treatments, studies=[], arms=[], y=[], V=[])
    codes, names = pd.factorize(frame["study"], sort=False)
    for s, name in enumerate(names):
        rows = np.flatnonzero(codes == s)
        arms: list[str] = []
        for i in rows:
            arms += [t for t in (frame["versus"].iloc[i], frame["treatment"].iloc[i]) if t not in arms]
        pos = {t: k for k, t in enumerate(arms)}
        pairs = [(pos[frame["treatment"].iloc[i]], pos[frame["versus"].iloc[i]]) for i in rows]
        p = len(arms)
        if len({frozenset(x) for x in pairs}) < len(pairs) or len(pairs) != p * (p - 1) // 2:
            probs.append(
                _problem(
                    f"study '{name}' gives {len(pairs)} contrasts of {p} treatments ({', '.join(arms)}): a study is "
                    f"one contrast (two arms) or every pair of its arms once ({p * (p - 1) // 2} contrasts)",
                    row=int(rows[-1]) + 1,
                    column="study",
                )
            )
            continue
        if probs:  # values may be missing: only the structure of the remaining studies is checked
            continue
        if p == 2:
            y, V = np.array([yi[rows[0]]]), np.array([[se[rows[0]] ** 2]])
        else:
            got = _contrasts.multiarm(str(name), pairs, yi[rows], se[rows] ** 2, p)
            if isinstance(got, str):
                probs.append(_problem(got, row=int(rows[0]) + 1, column="yi"))
                continue
            y, V = got
        out.studies.append(str(name))
        out.arms.append(np.array([index[t] for t in arms]))
        out.y.append(y)
        out.V.append(V)
    if probs:
        raise DataError(probs)
    return out


def components(blocks: Blocks) -> list[list[str]]:
    """The connected components of the network (treatments sorted; components by their first treatment)."""
    parent = list(range(len(blocks.treatments)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a in blocks.arms:
        for j in a[1:]:
            parent[find(int(j))] = find(int(a[0]))
    groups: dict[int, list[str]] = {}
    for i, t in enumerate(blocks.treatments):
        groups.setdefault(find(i), []).append(t)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def subset(blocks: Blocks, keep: list[str]) -> Blocks:
    """The studies of ``blocks`` whose treatments are all in ``keep`` (re-indexed)."""
    index = {t: i for i, t in enumerate(sorted(keep))}
    out = Blocks(treatments=sorted(keep), studies=[], arms=[], y=[], V=[], dropped=list(blocks.dropped))
    out.n_patients = {t: blocks.n_patients.get(t, 0.0) for t in out.treatments}
    out.corrected = list(blocks.corrected)
    for s, a, y, v in zip(blocks.studies, blocks.arms, blocks.y, blocks.V):
        names = [blocks.treatments[i] for i in a]
        if names[0] in index:
            out.studies.append(s)
            out.arms.append(np.array([index[t] for t in names]))
            out.y.append(y)
            out.V.append(v)
    return out

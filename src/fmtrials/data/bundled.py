"""The bundled tables: cached, validated loaders (each returns a copy) and the cross-table checks."""

from __future__ import annotations

import functools

import pandas as pd

from ..errors import DataError, Problem
from ._specs import SPECS, data_dir, read_table


@functools.cache
def _bundled(table: str) -> pd.DataFrame:
    path = data_dir() / f"{table}.csv"
    sources = None if table == "sources" else _bundled("sources")
    df = read_table(path, table, sources=sources, label=f"data/{table}.csv")
    if table == "outcomes":  # each arm's treatment, stated once in arms.csv
        arms = _bundled("arms").set_index(["study", "arm"])["treatment"]
        keys = list(zip(df["study"], df["arm"]))
        df["treatment"] = pd.array([arms.get(k, pd.NA) for k in keys], dtype="string")
    return df


def _copy(table: str) -> pd.DataFrame:
    out = _bundled(table).copy()
    out.attrs = {"origin": "bundled"} if table == "outcomes" else {}
    return out


def load_trials() -> pd.DataFrame:
    """The trials: one row per trial, with citation, identifiers, design and provenance.

    Columns: ``study`` (id such as ``"Mease2009"``), ``first_author``, ``year`` (Int64), ``citation``, ``doi``,
    ``pmid``, ``registry_id``, ``phase``, ``design``, ``region``, ``n_randomized_total`` (Int64),
    ``treatment_duration``, ``primary_timepoint``, ``primary_endpoint``, ``imputation``, ``in_cochrane_2015``,
    ``poolable`` ("yes"/"no": "no" for the randomized-withdrawal Clauw 2013 and Natelson 2015),
    ``design_notes``, ``source``, ``locator``. Text columns are pandas ``string``; unknown is ``<NA>``.

    Examples
    --------
    >>> import fmtrials
    >>> t = fmtrials.load_trials()
    >>> t.loc[t.poolable == "yes", "study"].tolist()
    ['Vitton2004', 'Clauw2008', 'Mease2009', 'Arnold2010', 'Branco2010', 'Bateman2013']
    """
    return _copy("trials")


def load_arms() -> pd.DataFrame:
    """The randomized arms: one row per arm.

    Columns: ``study``, ``arm`` (``placebo``, ``milnacipran_100``, ...), ``treatment`` (placebo/milnacipran),
    ``dose_mg_day`` (Int64; 0 for placebo; ``<NA>`` when doses were individual), ``dose_note``,
    ``n_randomized`` (Int64), ``source``, ``locator``, ``n_randomized_alt`` (Int64; a conflicting published
    size), ``alt_source``, ``alt_locator``, ``note``.

    Examples
    --------
    >>> import fmtrials
    >>> a = fmtrials.load_arms()
    >>> a.loc[a.study == "Mease2009", ["arm", "n_randomized"]].to_string(index=False)
    '            arm  n_randomized\\n        placebo           223\\nmilnacipran_100           224\\nmilnacipran_200           441'
    """
    return _copy("arms")


def load_outcomes() -> pd.DataFrame:
    """Responders per arm per endpoint and analysis population.

    Columns: ``study``, ``arm``, ``dose_mg_day`` (Int64), ``endpoint`` (``composite_2``, ``composite_3``,
    ``pain_30``, ``pain_50``, ``pgic``, ``ae_withdrawal``, ``withdrawal_any``, ``ae_any``, ``sae`` and named
    adverse events such as ``nausea``), ``analysis`` (one of :data:`ANALYSES`), ``population`` (randomized,
    safety, efficacy, not stated), ``timepoint``, ``n`` (Int64, analysed), ``responders`` (Int64, nullable),
    ``percent`` (string, exactly as printed), ``status`` (one of :data:`STATUSES`), ``derivation`` (how a
    derived or unverified figure was obtained), ``source``, ``locator``, ``note``.

    Examples
    --------
    >>> import fmtrials
    >>> o = fmtrials.load_outcomes()
    >>> rows = o[(o.study == "Mease2009") & (o.endpoint == "nausea")]
    >>> print(rows[["arm", "n", "responders", "percent", "source"]].to_string(index=False))
                arm   n  responders percent source
            placebo 223          47    21.1 M09-T5
    milnacipran_100 224          73    32.6 M09-T5
    milnacipran_200 441         177    40.1 M09-T5
    """
    return _copy("outcomes")


def load_reported() -> pd.DataFrame:
    """Comparisons exactly as published, including the seed document's composite-responder table.

    Columns: ``study`` (trial id, ``A+B`` for pooled analyses, ``<NA>`` when the source names no trial),
    ``label`` (the row label used by the source, e.g. "Phase III"), ``endpoint``, ``dose_mg_day``,
    ``percent_t`` and ``percent_c`` (strings as printed), ``n_t``, ``n_c`` (Int64 when stated),
    ``p_reported`` (string as printed, e.g. ``"<0.001"``), ``analysis``, ``timepoint``, ``status``, ``source``,
    ``locator``, ``note``.

    Examples
    --------
    >>> import fmtrials
    >>> r = fmtrials.load_reported()
    >>> r.loc[r.source == "SEED003", ["label", "dose_mg_day", "percent_t", "percent_c", "p_reported"]]
    ... # doctest: +NORMALIZE_WHITESPACE
           label  dose_mg_day percent_t percent_c p_reported
    0   Phase II          100        37         5     <0.001
    1  Phase III          100      25.4      15.5       0.01
    2  Phase III          200      26.9      15.5       0.02
    """
    return _copy("reported")


def load_sources() -> pd.DataFrame:
    """Source id -> short name, full citation, URL and what the source contains.

    Examples
    --------
    >>> import fmtrials
    >>> fmtrials.load_sources().set_index("source_id").loc["M09-T5", "short"]
    'Mease 2009 Table 5'
    """
    return _copy("sources")


def load_endpoints() -> pd.DataFrame:
    """The endpoint glossary: ``code``, ``label``, ``definition``, ``direction`` (``beneficial`` or
    ``harmful``), ``source`` and ``locator`` of the definition.

    Examples
    --------
    >>> import fmtrials
    >>> g = fmtrials.load_endpoints().set_index("code")
    >>> print(g.loc["composite_3", "definition"])
    ≥30% pain reduction and PGIC much or very much improved and SF-36 PCS ≥ 6 points
    >>> g.loc["nausea", "direction"]
    'harmful'
    """
    return _copy("endpoints")


def load_gaps() -> pd.DataFrame:
    """The known gaps: what the sources searched could not give, one row per trial and missing item.

    Columns: ``study`` (``<NA>`` when the source names no trial), ``missing`` (what is missing), ``endpoint``
    (codes, ``;``-separated, ``all``, or ``<NA>``), ``arm`` (an arm id or ``all``), ``sources_searched`` (ids of
    :func:`load_sources`, ``;``-separated), ``status`` (``not reported``; ``unverified`` or ``derived`` where a
    figure exists only under an assumption), ``source`` and ``locator`` (where the absence was seen), ``note``.

    Examples
    --------
    >>> import fmtrials
    >>> g = fmtrials.load_gaps()
    >>> g.loc[g.study == "Vitton2004", "missing"].iloc[0]
    'arm sizes (only the total is given)'
    >>> sorted(set(g["status"]))
    ['derived', 'not reported', 'unverified']
    """
    return _copy("gaps")


def load_comparator_arms() -> pd.DataFrame:
    """The comparator trials: arms of placebo-controlled pregabalin, duloxetine and milnacipran trials, one row per
    arm x endpoint x population x source (the network of :func:`fmtrials.network_meta`).

    Columns: ``study`` (``Crofford2005``, ...), ``treatment`` (placebo/duloxetine/milnacipran/pregabalin),
    ``dose_mg_day`` (Int64; 0 for placebo; ``<NA>`` for flexible doses, see ``dose_note``), ``dose_note``, ``arm``
    (as the source names it), ``endpoint`` (glossary codes), ``population`` (``not stated`` where the source does
    not say), ``events`` and ``n`` (Int64; both or neither), ``percent`` (as printed), ``status``, ``source``,
    ``locator``, ``note``. The >=30% pain counts are the nmadb transcription of Roskell 2011 (source ``NMADB``):
    ``unverified``, population not stated.

    Examples
    --------
    >>> import fmtrials
    >>> c = fmtrials.load_comparator_arms()
    >>> p30 = c[(c.endpoint == "pain_30") & c.events.notna()]
    >>> sorted(set(p30.study)), sorted(set(p30.status))  # doctest: +NORMALIZE_WHITESPACE
    (['Arnold2005', 'Arnold2008', 'Clauw2008', 'Crofford2005', 'Mease2008', 'Mease2009', 'Russell2008',
      'Vitton2004'], ['unverified'])
    """
    return _copy("comparator_arms")


def endpoint_label(code: str) -> str:
    """The glossary's label of an endpoint, first letter upper case (``"sae"`` -> ``"Serious adverse event"``);
    an endpoint the glossary does not know keeps the user's own name. Figure titles use it.

    Examples
    --------
    >>> endpoint_label("ae_any")
    'Any adverse event'
    >>> endpoint_label("fiq_responder")
    'fiq_responder'
    """
    g = _bundled("endpoints")
    hit = g.loc[g["code"] == code, "label"]
    label = str(hit.iloc[0]) if len(hit) and pd.notna(hit.iloc[0]) else code
    return label[:1].upper() + label[1:] if len(hit) else label


def endpoint_title(code: str) -> str:
    """``"code — definition"`` from the glossary, or ``code`` itself when the glossary does not know it.

    Examples
    --------
    >>> endpoint_title("composite_2")
    'composite_2 — ≥30% reduction in pain (24-h recall VAS) and PGIC much or very much improved'
    >>> endpoint_title("itch")
    'itch'
    """
    g = _bundled("endpoints")
    hit = g[g["code"] == code]
    return f"{code} — {hit['definition'].iloc[0]}" if len(hit) else code


def validate_bundled() -> dict[str, int]:
    """Validate the bundled tables and their cross-references; return the row count per table.

    Checks, beyond each table's own rules: every study in arms/outcomes/reported/gaps is a trial (or a
    ``+``-joined set of trials in ``reported``), every outcome arm exists in ``arms`` with the same dose, no
    analysed ``n`` exceeds the arm's randomized size, and every gap names known arms, endpoints and sources.

    Examples
    --------
    >>> import fmtrials
    >>> fmtrials.validate_bundled()["outcomes"] > 100
    True
    """
    tables = {name: _bundled(name) for name in SPECS}
    problems: list[Problem] = []
    studies = set(tables["trials"]["study"])
    for name in ("arms", "outcomes"):
        for i, s in enumerate(tables[name]["study"]):
            if s not in studies:
                problems.append(
                    Problem(
                        f"unknown study {s!r} (not in trials.csv)", file=f"data/{name}.csv", row=i + 1, column="study"
                    )
                )
    for i, s in enumerate(tables["reported"]["study"]):
        if s is not pd.NA and not set(str(s).split("+")) <= studies:
            problems.append(
                Problem(f"unknown study {s!r} (not in trials.csv)", file="data/reported.csv", row=i + 1, column="study")
            )
    glossary = set(tables["endpoints"]["code"])
    for name in ("outcomes", "reported"):
        for i, e in enumerate(tables[name]["endpoint"]):
            if e not in glossary:
                problems.append(
                    Problem(
                        f"endpoint {e!r} is not in the glossary (endpoints.csv)",
                        file=f"data/{name}.csv",
                        row=i + 1,
                        column="endpoint",
                    )
                )
    arms = tables["arms"].set_index(["study", "arm"])
    for i, row in enumerate(tables["outcomes"].itertuples(index=False)):
        if (row.study, row.arm) not in arms.index:
            problems.append(
                Problem(
                    f"arm {row.arm!r} of {row.study!r} is not in arms.csv",
                    file="data/outcomes.csv",
                    row=i + 1,
                    column="arm",
                )
            )
            continue
        dose = arms.loc[(row.study, row.arm), "dose_mg_day"]
        if row.dose_mg_day is not pd.NA and dose is not pd.NA and row.dose_mg_day != dose:
            problems.append(
                Problem(
                    f"dose_mg_day {row.dose_mg_day} differs from the arm's {dose} in arms.csv",
                    file="data/outcomes.csv",
                    row=i + 1,
                    column="dose_mg_day",
                )
            )
        n_rand = arms.loc[(row.study, row.arm), "n_randomized"]
        if row.n is not pd.NA and n_rand is not pd.NA and row.n > n_rand:
            problems.append(
                Problem(
                    f"n = {row.n} exceeds the arm's randomized n = {n_rand}",
                    file="data/outcomes.csv",
                    row=i + 1,
                    column="n",
                )
            )
    for i, e in enumerate(tables["comparator_arms"]["endpoint"]):
        if e not in glossary:
            problems.append(
                Problem(
                    f"endpoint {e!r} is not in the glossary (endpoints.csv)",
                    file="data/comparator_arms.csv",
                    row=i + 1,
                    column="endpoint",
                )
            )
    problems += _gap_problems(tables)
    if problems:
        raise DataError(problems)
    return {name: len(df) for name, df in tables.items()}


def _gap_problems(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """The gaps table's references: trials, arms, endpoints and sources that exist."""
    problems = []
    studies = set(tables["trials"]["study"])
    arms = set(zip(tables["arms"]["study"], tables["arms"]["arm"]))
    glossary = set(tables["endpoints"]["code"]) | {"all"}
    known = set(tables["sources"]["source_id"])

    def bad(i: int, column: str, what: str) -> None:
        problems.append(Problem(what, file="data/gaps.csv", row=i + 1, column=column))

    for i, g in enumerate(tables["gaps"].itertuples(index=False)):
        if g.study is not pd.NA and g.study not in studies:
            bad(i, "study", f"unknown study {g.study!r} (not in trials.csv)")
        if g.arm is not pd.NA and g.arm != "all" and (g.study, g.arm) not in arms:
            bad(i, "arm", f"arm {g.arm!r} of {g.study!r} is not in arms.csv")
        for e in [] if g.endpoint is pd.NA else str(g.endpoint).split(";"):
            if e.strip() not in glossary:
                bad(i, "endpoint", f"endpoint {e.strip()!r} is not in the glossary (endpoints.csv)")
        for sid in str(g.sources_searched).split(";"):
            if sid.strip() not in known:
                bad(i, "sources_searched", f"unknown source id {sid.strip()!r} (not in sources.csv)")
    return problems

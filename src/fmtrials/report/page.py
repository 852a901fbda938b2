"""``report.html``: the Jinja2 template (``templates/report.html.j2``) filled with what
:func:`fmtrials.report.build.assemble` computed; display helpers only (nothing is computed here)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from importlib import resources
from typing import Any

import pandas as pd

from .. import __version__
from .. import data as _data
from .._format import measure_name, pool_label
from ..analysis import ANALYSIS_PREFERENCE, analyse
from ..analysis._wording import default_of, stated_words
from ..analysis.extras import zero_cells
from . import figures as _figures
from .tables import (
    PI_RATIO_LIMIT,
    SINGLE_LABEL,
    _display_audit,
    _display_compared,
    _fmt,
    _fmt_p,
    _known_gaps,
    _loo_rows,
    _records,
    _sensitivity_notes,
)

__all__: list[str] = []  # private module: the public name is fmtrials.report.write_report


def _model_rows(models: pd.DataFrame) -> list[dict[str, Any]]:
    """The report's "model per endpoint" rows: endpoint, k, the main model's label and why it was used."""
    return [
        {
            "endpoint": r["endpoint"],
            "k": int(r["k"]),
            "model": pool_label(r["method"], r["test"]) if r["method"] and r["rule"] != "single" else SINGLE_LABEL,
            "reason": r["reason"],
        }
        for r in models.to_dict(orient="records")
    ]


def _contributions(analyses: Sequence[Any]) -> dict[str, list[str]]:
    """Study -> the endpoints whose analysed comparisons it gives counts to (the report's "Contributes to")."""
    out: dict[str, list[str]] = {}
    for a in analyses:
        if a.primary is None or not len(a.primary):
            continue
        for study in dict.fromkeys(a.primary["study"].astype(str)):
            out.setdefault(study, []).append(a.endpoint)
    return out


def _bundled_sources() -> set[str]:
    """Every source id any bundled table cites (``source``, ``alt_source``): the report cites them all."""
    out: set[str] = set()
    for name in _data.SPECS:
        table = _data._bundled(name)
        for col in ("source", "alt_source"):
            if col in table.columns:
                out |= {str(v) for v in table[col].dropna() if str(v)}
    return out


def render_html(shown: dict[str, Any]) -> str:
    """``report.html`` from the parts :func:`fmtrials.report.build.assemble` computed (``shown``: analyses,
    tables, options, ...)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("fmtrials") / "templates")),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["fmt"] = _fmt
    env.filters["fmtp"] = _fmt_p
    template = env.get_template("report.html.j2")
    analyses, compared, outcomes, options = (shown[k] for k in ("analyses", "compared", "outcomes", "options"))
    bundled, measure = shown["bundled"], shown["measure"]
    trials = _records(_data.load_trials()) if bundled else None
    sources = _data.load_sources()
    used_sources = set(outcomes["source"].dropna()) | (_bundled_sources() if bundled else set())
    used_sources |= set(shown["network"]["sources"]) if shown.get("network") else set()
    listed = sources[sources["source_id"].isin(used_sources)]
    meaning = shown["meaning"] or {}
    words = stated_words(
        compared,
        [a.main for a in analyses],
        ci=shown["ci"],
        alpha=next((a.main.alpha for a in analyses if a.main is not None), 0.05),
        composite=(shown["main"] or {}).get("seed"),
        fragility=meaning.get("tables", {}).get("fragility"),
        rd_default=default_of(analyse, "ci"),
    )
    from markupsafe import Markup

    # the words are text content (never an attribute): escaped as such, quotes left as typed
    words = {k: Markup(html.escape(str(v), quote=False)) for k, v in words.items()}
    return template.render(
        words=words,
        version=__version__,
        title=options.title,
        requested=shown["requested"],
        models=_model_rows(shown["models"]),
        methods=shown["methods"],
        treatment=options.treatment,
        input_note=shown["input_note"],
        bundled=bundled,
        measure=measure,
        measure_label=measure_name(measure),
        ci=shown["ci"],
        analyses=analyses,
        compared=_display_compared(compared),
        pooled=shown["pooled"],
        audit=_display_audit(shown["audit_table"]),
        trials=trials,
        sources=_records(listed),
        cited=set(listed["source_id"]),
        gaps=_known_gaps() if bundled else [],
        continuous=shown.get("continuous"),
        caption=_figures.figure_caption,
        small_study_shown={a.endpoint for a in analyses if a.diagnostics and a.diagnostics.get("small_study")},
        loo_rows=lambda a: _loo_rows(a.loo, measure),
        sensitivity_notes=_sensitivity_notes,
        stems=shown["stems"],
        meaning=shown["meaning"],
        planning=shown.get("planning"),
        formula_start="=, +, −, @, tab or carriage return",
        main=shown["main"],
        network=shown.get("network"),
        glossary=dict(zip(*_data.load_endpoints()[["code", "definition"]].to_numpy().T)),
        contributes=_contributions(analyses),
        zero_cells=zero_cells(compared),
        status_meanings=_data.STATUS_MEANINGS,
        analysis_preference=ANALYSIS_PREFERENCE,
        pi_limit_text=f"1/{PI_RATIO_LIMIT:g} or {PI_RATIO_LIMIT:g}",
    )

"""The bundled milnacipran trial data, user data, and 2x2 contrasts of each treatment against a comparator.

Tidy tables ship inside the package (folder ``datasets``, ``data/`` at the repository root; their data
dictionary is ``data/README.md``):

========== =================================================================================
trials     one row per trial: citation, identifiers, design, duration, imputation
arms       one row per randomized arm: treatment, dose, randomized n (and the alternative n)
outcomes   one row per arm x endpoint x analysis population: n, responders, printed percent
reported   comparisons exactly as published (percentages and p-values as printed)
sources    source id -> citation, URL and what it contains
endpoints  the endpoint glossary: label, definition, direction
gaps       what the sources searched could not give (known gaps)
comparator_arms arms of the pregabalin, duloxetine and milnacipran trials (the comparator network)
========== =================================================================================

Every figure carries a ``source`` (an id of ``sources``) and a ``locator``; a derived figure says how it was
derived (``status == "derived"`` and ``derivation``); unknown stays missing (``<NA>``).

Modules: ``_specs`` (table specifications and checks, :func:`read_table`), ``_arms`` (placebo and comparator
arms), ``bundled`` (the loaders), ``reader`` (:func:`read_outcomes`), ``_contrasts`` (:func:`contrasts`).
An arm is a ``treatment`` (``placebo`` or a drug) at a dose; a contrast is a treatment arm against the
comparator arm of its own trial (``comparator="placebo"`` by default).
"""

from ._arms import DEFAULT_TREATMENT, derive_treatment, is_comparator, is_placebo, placebo_problems
from ._contrasts import CONTRAST_COLUMNS, contrasts, mark_shared_placebo
from ._specs import (
    ANALYSES,
    MAX_ROWS,
    MAX_STUDIES,
    SPECS,
    STATUS_MEANINGS,
    STATUSES,
    USER_ALIASES,
    USER_REQUIRED,
    data_dir,
    read_table,
)
from .bundled import (
    _bundled,
    endpoint_label,
    endpoint_title,
    load_arms,
    load_comparator_arms,
    load_endpoints,
    load_gaps,
    load_outcomes,
    load_reported,
    load_sources,
    load_trials,
    validate_bundled,
)
from .continuous import read_continuous
from .reader import read_outcomes

#: used by other fmtrials modules (not public API)
_INTERNAL = (CONTRAST_COLUMNS, USER_REQUIRED, USER_ALIASES, placebo_problems, _bundled)

__all__ = [
    "load_trials",
    "load_arms",
    "load_outcomes",
    "load_reported",
    "load_sources",
    "load_endpoints",
    "load_gaps",
    "load_comparator_arms",
    "endpoint_title",
    "endpoint_label",
    "read_outcomes",
    "read_continuous",
    "read_table",
    "contrasts",
    "mark_shared_placebo",
    "is_placebo",
    "is_comparator",
    "derive_treatment",
    "validate_bundled",
    "data_dir",
    "SPECS",
    "ANALYSES",
    "STATUSES",
    "STATUS_MEANINGS",
    "MAX_ROWS",
    "MAX_STUDIES",
    "DEFAULT_TREATMENT",
]

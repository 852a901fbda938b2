"""Pictures against placebo: responder rates per arm, forest, L'Abbé and funnel plots.

Every function takes ``ax=None`` (draw into a new figure sized to its content) or an existing
:class:`matplotlib.axes.Axes`, and returns the :class:`matplotlib.figure.Figure`. Nothing global changes: figures
are made without pyplot (an Agg canvas is attached to each new figure), the house style of
:mod:`fmtrials.plots._style` is applied with :func:`matplotlib.rc_context` and explicit artist properties, and
``matplotlib.rcParams`` are left as they were. matplotlib is imported only when a plotting function is called
(``import fmtrials.plots`` does not import it).

Text drawn from data (study, trial, arm and endpoint names) is drawn literally, never as math text, and cut
to 40 characters with an ellipsis. When you pass ``ax`` to :func:`plot_responders` or :func:`plot_forest`,
their text columns are drawn outside the axes (to its left and right), so leave room for them in your layout.

Export with :func:`save_figure` (PNG, SVG or PDF with deterministic bytes; see :mod:`fmtrials.plots.export`).

Layout of the package: ``_style`` (house style, Okabe–Ito), ``_layout`` (text-table layout, measuring and
truncating text), ``_axis`` (effect axes), ``_result`` (the one reader of PoolResult, with
:func:`forest_rows`), ``responders``, ``forest``, ``labbe``, ``funnel``, ``power`` (power curves), ``export``.

References
----------
* Okabe M, Ito K. *Color Universal Design* (2008): the palette.
* See each module for the references of its figure.
"""

from __future__ import annotations

from ._result import forest_rows
from .baujat import plot_baujat
from .bubble import plot_bubble
from .export import export_figure, figure_bytes, save_figure
from .forest import forest_lines, plot_forest
from .funnel import plot_funnel
from .labbe import plot_labbe
from .network import plot_league, plot_network, plot_network_forest
from .power import plot_power
from .reported import plot_reported
from .responders import plot_responders

__all__ = [
    "plot_reported",
    "plot_responders",
    "plot_forest",
    "plot_labbe",
    "plot_funnel",
    "save_figure",
    "export_figure",
    "figure_bytes",
    "forest_rows",
    "forest_lines",
    "plot_bubble",
    "plot_baujat",
    "plot_power",
    "plot_network",
    "plot_network_forest",
    "plot_league",
]

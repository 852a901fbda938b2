"""``fmtrials report``: a self-contained, byte-reproducible HTML report.

:func:`write_report` analyses the bundled data (or a user outcomes CSV) and writes::

    DIR/report.html        self-contained: inline SVG figures and CSS, no JavaScript, no network
    DIR/tables/*.csv       every table shown in the report
    DIR/figures/*.svg|png  every figure
    DIR/results.json       pooled results and audit verdicts
    DIR/manifest.json      input SHA-256, package and dependency versions, options (no timestamps)

The report is built in a temporary sibling directory and swapped into place atomically, so a failed or killed
run leaves no half report (see :mod:`fmtrials.report.outdir` for the rules on what may be replaced: never a
symbolic link, never a folder holding the input file or files fmtrials did not write, unless ``force=True``
for the latter). File names come from safe slugs of the endpoint names and every path written is checked to
lie inside the build directory. All text from data is HTML-escaped (Jinja2 autoescaping); text cells of the
CSV tables that a spreadsheet would run as a formula are prefixed with ``'``.

The report renders; :mod:`fmtrials.analysis` computes (no module here imports :mod:`fmtrials.effects` or
:mod:`fmtrials.meta`, and none starts a pooled fit: ``tests/test_report_package.py``). The modules:

* :mod:`~fmtrials.report.run`: :func:`write_report`: options, input, the lock, the atomic replacement, the manifest;
* :mod:`~fmtrials.report.options`: :class:`~fmtrials.report.options.ReportOptions`, checked and normalised once;
* :mod:`~fmtrials.report.build`: every file of the report from the analysis, in the build folder;
* :mod:`~fmtrials.report.page`: ``report.html`` from the template ``templates/report.html.j2``;
* :mod:`~fmtrials.report.main_results`: the first section's text and rows (numbers: :mod:`fmtrials.analysis.headline`);
* :mod:`~fmtrials.report.extras`: "What it means" and the diagnostics as displayed (numbers:
  :mod:`fmtrials.analysis.extras`);
* :mod:`~fmtrials.report.tables`: the display rows of the other tables;
* :mod:`~fmtrials.report.figures`: the figures (:class:`~fmtrials.report.figures.FigureJob`), drawn in workers;
* :mod:`~fmtrials.report.outdir`: the rules for the output folder.
"""

from ..analysis import EFFICACY_ENDPOINTS, default_endpoints
from .run import write_report

__all__ = ["write_report", "default_endpoints", "EFFICACY_ENDPOINTS"]

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
"""

from ..analysis import EFFICACY_ENDPOINTS, default_endpoints
from .run import write_report

__all__ = ["write_report", "default_endpoints", "EFFICACY_ENDPOINTS"]

"""Sphinx configuration for the fmtrials documentation (``make docs``; warnings are errors)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

import fmtrials  # noqa: E402

project = "fmtrials"
author = "fmtrials developers"
copyright = "fmtrials developers, MIT licence"  # noqa: A001
release = version = fmtrials.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx.ext.intersphinx",
    "myst_nb",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "jupyter_execute"]
root_doc = "index"
html_theme = "alabaster"
html_title = f"fmtrials {release}"
html_static_path: list[str] = []

# API reference from the numpydoc docstrings (napoleon reads the numpydoc sections)
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # dataclass fields are members already: list Attributes as fields, not objects
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}
autosummary_generate = False
nitpicky = False
intersphinx_mapping: dict[str, tuple[str, None]] = {}

# the README is the landing page (included); headings get anchors for in-page links
myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath", "colon_fence"]

# notebooks: copied from ../notebooks (stored without outputs) and executed once at build time; the cache
# (docs/_build/.jupyter_cache) keeps them from re-running while unchanged
nb_execution_mode = "cache"
nb_execution_cache_path = str(HERE / "_build" / ".jupyter_cache")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

_NB_OUT = HERE / "notebooks"
# docs/notebooks/ and docs/data/ are generated copies (git-ignored)


def _copy_notebooks() -> None:
    """Mirror ../notebooks/*.ipynb into docs/notebooks/ so Sphinx can render them."""
    _NB_OUT.mkdir(exist_ok=True)
    wanted = {p.name: p for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
    for stale in _NB_OUT.glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()
    for name, src in wanted.items():
        dst = _NB_OUT / name
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)


def _copy_data_dictionary() -> None:
    """The data dictionary (src/fmtrials/datasets/README.md) at docs/data/README.md, where the README links it."""
    dst = HERE / "data" / "README.md"
    dst.parent.mkdir(exist_ok=True)
    src = ROOT / "src" / "fmtrials" / "datasets" / "README.md"
    if not dst.exists() or dst.read_bytes() != src.read_bytes():
        shutil.copyfile(src, dst)


_copy_notebooks()
_copy_data_dictionary()
suppress_warnings = ["ref.python"]  # attribute names shared by several result classes (test, p) are ambiguous targets

"""Shared test configuration: headless matplotlib, paths, and the bundled report built once per test process."""

import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"

# Property tests: random locally, reproducible in CI (CI=true): the same examples on every run.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


# ------------------------------------------------------------------------------ shared report builds
# The report of the bundled data with default options is built once per test process (once per xdist worker)
# and shared by the modules that only read it; a test that must change a report builds its own in tmp_path.
# At the end of the session the shared folders must still hold exactly the bytes they were built with.
import hashlib  # noqa: E402

import pytest  # noqa: E402


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _shared_report(tmp_path_factory, name: str, **options):
    from fmtrials.report import write_report

    out = tmp_path_factory.mktemp(name) / "report"
    write_report(out, quiet=True, **options)
    built = _tree_digest(out)
    yield out
    assert _tree_digest(out) == built, f"a test changed the shared report {out} (build your own in tmp_path)"


@pytest.fixture(scope="session")
def bundled_report(tmp_path_factory):
    """``write_report(out, quiet=True)`` on the bundled data, figures included: read it, never write into it."""
    yield from _shared_report(tmp_path_factory, "bundled_report")


@pytest.fixture(scope="session")
def bundled_report_no_figures(tmp_path_factory):
    """``write_report(out, quiet=True, figures=False)`` on the bundled data: read it, never write into it."""
    yield from _shared_report(tmp_path_factory, "bundled_report_no_figures", figures=False)

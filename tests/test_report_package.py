"""The report renders; the analysis computes (issue 23, part 1).

* No module of ``fmtrials.report`` imports a statistics room (``fmtrials.effects``, ``fmtrials.meta``), at
  module level or inside a function.
* During a whole report on the bundled data, no ``pool`` fit and no ``analyse_endpoint`` is started from the
  report package: every number it prints comes from :mod:`fmtrials.analysis`.
* Its options are one frozen, normalised :class:`~fmtrials.report.options.ReportOptions`; figure jobs are a
  frozen dataclass.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import sys
from collections import Counter
from pathlib import Path

import pytest

import fmtrials
import fmtrials.analysis.endpoint
import fmtrials.meta
from fmtrials.report import write_report
from fmtrials.report.options import ReportOptions

REPORT = Path(fmtrials.__file__).parent / "report"
FORBIDDEN = ("fmtrials.effects", "fmtrials.meta")


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in ``path``, however deep in a function."""
    out = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:  # relative to fmtrials.report (level 1) or fmtrials (level 2)
                parent = ["fmtrials", "report"][: 3 - node.level]
                base = ".".join(parent + ([node.module] if node.module else []))
            out.append((node.lineno, base))
            out += [(node.lineno, f"{base}.{a.name}") for a in node.names]  # from .. import meta
    return out


def test_the_relative_import_reading_is_right(tmp_path):
    # the reader above must see a function-level "from ..meta import pool" as fmtrials.meta
    p = tmp_path / "probe.py"
    p.write_text("def f():\n    from ..meta import pool\n    from .. import effects\n    from .x import y\n", "utf-8")
    found = [m for _, m in _imports(p)]
    assert "fmtrials.report.x" in found and "fmtrials.meta" in found and "fmtrials.effects" in found


def test_the_report_package_imports_no_statistics_module():
    files = sorted(REPORT.glob("*.py"))
    assert {f.name for f in files} >= {"__init__.py", "run.py", "build.py", "options.py", "figures.py"}
    bad = [
        f"{f.name}:{line}: {mod}"
        for f in files
        for line, mod in _imports(f)
        if any(mod == m or mod.startswith(m + ".") for m in FORBIDDEN)
    ]
    assert not bad


def test_no_report_module_is_over_400_lines():
    assert {f.name: n for f in REPORT.glob("*.py") if (n := len(f.read_text("utf-8").splitlines())) > 400} == {}


def _wrap_everywhere(monkeypatch, original, calls: Counter) -> None:
    """Replace ``original`` by a recorder in every loaded fmtrials module that binds it (its defining module,
    the package that re-exports it, any ``from x import f``); a function-level import reads the patched one."""

    @functools.wraps(original)
    def recorder(*args, **kwargs):
        calls[(original.__name__, sys._getframe(1).f_globals.get("__name__", "?"))] += 1
        return original(*args, **kwargs)

    for name, module in list(sys.modules.items()):
        if name.split(".")[0] != "fmtrials" or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if value is original:
                monkeypatch.setattr(module, attr, recorder)


def test_a_report_starts_no_pool_fit_and_no_endpoint_analysis_itself(tmp_path, monkeypatch):
    import fmtrials.analysis.extras  # noqa: F401  (loaded, so their bindings are patched too)
    import fmtrials.analysis.headline  # noqa: F401
    import fmtrials.report.build  # noqa: F401

    calls: Counter = Counter()
    pool = fmtrials.meta.pool
    _wrap_everywhere(monkeypatch, sys.modules[pool.__module__].pool, calls)
    _wrap_everywhere(monkeypatch, fmtrials.analysis.endpoint.analyse_endpoint, calls)
    write_report(tmp_path / "rep", quiet=True, figures=False)
    from_report = {k: n for k, n in calls.items() if k[1].startswith("fmtrials.report")}
    assert from_report == {}
    # the recorder saw the report's fits (so the zero above means something): the analysis layer starts them
    by_function = Counter()
    for (function, caller), n in calls.items():
        by_function[function] += n
        assert caller.startswith(("fmtrials.analysis", "fmtrials.meta", "fmtrials.decision")), caller
    assert by_function["pool"] > 100
    assert calls[("pool", "fmtrials.analysis.headline")] > 0 and calls[("pool", "fmtrials.analysis.extras")] > 0
    assert calls[("analyse_endpoint", "fmtrials.analysis.headline")] == 1  # ae_withdrawal: not a default endpoint


def test_report_options_are_one_frozen_normalised_record():
    o = ReportOptions.of(measure="rd", ci="MN", method="reml", test="HKSJ", treatment="drug X", endpoints=["a", "a"])
    assert (o.measure, o.ci, o.method, o.test, o.treatment, o.endpoints) == (
        "RD",
        "mn",
        "REML",
        "hksj",
        "drug X",
        ("a",),
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.measure = "RR"  # type: ignore[misc]
    # the same options however spelled: the same record (hence the same manifest bytes)
    assert ReportOptions.of(measure="RD", ci="mn", method="REML", test="hksj", treatment="drug X", endpoints=["a"]) == o
    with pytest.raises(fmtrials.DataError, match="--dpi"):
        ReportOptions.of(dpi=10)


def test_figure_jobs_are_frozen_dataclasses():
    from fmtrials.report import figures as F

    ea = fmtrials.analyse()["nausea"]

    class Shown:
        def __init__(self, a):
            self.analysis, self.figure_notes, self.diagnostics = a, [], None

        def __getattr__(self, name):
            return getattr(self.analysis, name)

    jobs = F.figure_jobs(fmtrials.load_outcomes(), Shown(ea), treatment="milnacipran")
    assert [j.kind for j in jobs] == ["responders", "forest", "labbe", "funnel"]
    assert all(dataclasses.is_dataclass(j) and j.endpoint == "nausea" for j in jobs)
    with pytest.raises(dataclasses.FrozenInstanceError):
        jobs[0].kind = "forest"  # type: ignore[misc]

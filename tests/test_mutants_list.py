"""The mutation gate (``make mutants``) stays runnable: every curated mutation's snippet occurs exactly once in
the source it mutates, so a reformat or refactor that moves the code is caught here, not at the next gate run."""

from __future__ import annotations

import importlib.util
import sys

from conftest import ROOT


def test_every_mutation_snippet_occurs_once():
    spec = importlib.util.spec_from_file_location("fmtrials_mutants", ROOT / "tools" / "mutants.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["fmtrials_mutants"] = module
    spec.loader.exec_module(module)
    mutants = [
        m for v in vars(module).values() if isinstance(v, (list, tuple)) for m in v if isinstance(m, module.Mutant)
    ]
    assert len(mutants) >= 40
    for m in mutants:
        source = (ROOT / "src" / "fmtrials" / m.file).read_text("utf-8")
        assert source.count(m.old) == 1, (m.id, m.file)
        assert m.old != m.new, m.id

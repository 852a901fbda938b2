"""``tools/mutants.py --from FILE``: mutations kept in another file (e.g. planted blind, outside the repository)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _runner():
    spec = importlib.util.spec_from_file_location("_mutants_runner", ROOT / "tools" / "mutants.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses need the module registered
    spec.loader.exec_module(mod)
    return mod


FILE = """
from tools.mutants import M

MUTANTS = (
    M("a-one", "area", "_format.py", "x = 1", "x = 2", ("tests/test_x.py",), "first"),
    M("a-two", "area", "meta/fitting.py", "y", "z", ["tests/test_y.py"], "second"),
)
"""


def test_from_file_loads_its_mutants_not_the_builtin_list(tmp_path, capsys):
    runner = _runner()
    path = tmp_path / "blind.py"
    path.write_text(FILE, encoding="utf-8")
    got = runner.load_mutants(path)
    assert [m.id for m in got] == ["a-one", "a-two"]
    assert got[1].tests == ("tests/test_y.py",) and got[1].file == "meta/fitting.py" and got[1].new == "z"
    assert all(isinstance(m, runner.Mutant) for m in got)
    assert runner.main(["--from", str(path), "--list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == ["a-one", "a-two"]
    assert runner.main(["--from", str(path), "--list", "--only", "a-two"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == ["a-two"]


def test_from_file_refuses_a_file_without_mutants_or_with_duplicate_ids(tmp_path):
    runner = _runner()
    empty = tmp_path / "empty.py"
    empty.write_text("X = 1\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="no MUTANTS"):
        runner.load_mutants(empty)
    dup = tmp_path / "dup.py"
    dup.write_text(FILE.replace('"a-two"', '"a-one"'), encoding="utf-8")
    with pytest.raises(SystemExit, match="duplicate"):
        runner.load_mutants(dup)


def test_skip_stale_reports_a_mutation_whose_code_was_rewritten_and_goes_on(tmp_path, capsys, monkeypatch):
    runner = _runner()
    path = tmp_path / "blind.py"
    path.write_text(
        FILE.replace('"x = 1"', '"this snippet is nowhere in the sources"').replace(
            '("tests/test_x.py",)', '("tests/test_mutants_from.py",)'
        ),
        encoding="utf-8",
    )
    ran = []
    monkeypatch.setattr(runner, "_run", lambda tests, src, timeout: (ran.append(tests) or True, 0.0, ""))
    assert runner.main(["--from", str(path), "--only", "a-one", "--skip-stale"]) == 0
    out = capsys.readouterr().out
    assert "a-one" in out and "stale" in out and "1 stale (not run): a-one" in out
    assert ran == [("tests/test_mutants_from.py",)]  # the baseline only: the stale mutation is not run
    with pytest.raises(SystemExit, match="the snippet occurs 0 times"):  # without the flag: a setup error
        runner.main(["--from", str(path), "--only", "a-one"])
    with pytest.raises(SystemExit):  # the curated gate always applies
        runner.main(["--skip-stale", "--list"])

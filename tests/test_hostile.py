"""Hostile input and faults (issue 11): the report, the CLI, the CSV reader and the data loaders.

Each test names the finding it covers; each failed on the code before the fix.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import fmtrials
from fmtrials import DataError
from fmtrials.cli import main
from fmtrials.errors import ReportError
from fmtrials.report import names as _names
from fmtrials.report import outdir as _outdir
from fmtrials.report import write_report

HEADER = "study,dose_mg_day,endpoint,n,responders\n"
SRC = str(Path(fmtrials.__file__).resolve().parents[1])


def _csv(path: Path, rows: list[tuple]) -> Path:
    """A user CSV of ``rows``; every endpoint declared harmful (a direction is required for unknown codes)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["study", "dose_mg_day", "endpoint", "n", "responders", "direction"])
    w.writerows(tuple(r) + ("harmful",) for r in rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _pair(study: str, endpoint: str, pl=(50, 10), act=(50, 20)) -> list[tuple]:
    return [(study, 0, endpoint, *pl), (study, 100, endpoint, *act)]


def _listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), MPLBACKEND="Agg")


# ---------------------------------------------------------------------------------------- 1. file names


def test_endpoint_names_never_write_outside_out(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    long = "x" * 300
    rows = (
        _pair("A", "../../PWNED")
        + _pair("B", f"{victim}/x")
        + _pair("C", "pain.30")
        + _pair("C", "pain.50", act=(50, 30))
        + _pair("D", "/")
        + _pair("E", long)
    )
    data = _csv(tmp_path / "in.csv", rows)
    work = tmp_path / "deep" / "er"
    work.mkdir(parents=True)
    before = _listing(tmp_path)
    out = work / "rep"
    write_report(out, data=data, quiet=True)
    after = _listing(tmp_path) - before
    assert all(p.startswith("deep/er/rep") for p in after), sorted(after)
    assert not list(victim.iterdir())
    figs = sorted(p.name for p in (out / "figures").iterdir())
    assert len(figs) == 6 * 2 * 2  # six endpoints, responders + forest, PNG + SVG: no name collapsed
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,100}\.(png|svg)", f) for f in figs), figs
    html = (out / "report.html").read_text("utf-8")
    for stem in re.findall(r"<code>figures/([^<]+)\.svg</code>", html):
        assert (out / "figures" / f"{stem}.svg").is_file() and (out / "figures" / f"{stem}.png").is_file()


def test_inside_refuses_paths_that_escape(tmp_path):
    with pytest.raises(ReportError, match="outside the report folder"):
        _names.inside(tmp_path, "../x.png")
    with pytest.raises(ReportError):
        _names.inside(tmp_path, "/etc/x.png")
    assert _names.inside(tmp_path, "figures/a.png") == tmp_path / "figures" / "a.png"


def test_slugs_stable_unique_and_keep_safe_names():
    names = ["pain_30", "pain.30", "pain.50", "pain 30", "Nausea", "nausea"]
    s = _names.slugs(names)
    assert s["pain_30"] == "pain_30"
    assert len({v.lower() for v in s.values()}) == len(names)
    assert s == _names.slugs(list(reversed(names)))  # depends on the names, not their order


# ---------------------------------------------------------------------------------------- 2. user files


def test_report_with_extra_user_files_is_not_replaced(tmp_path):
    data = _csv(tmp_path / "in.csv", _pair("A", "e"))
    out = tmp_path / "rep"
    write_report(out, data=data, quiet=True, figures=False)
    (out / "notes.txt").write_text("mine")
    (out / "tables" / "extra.csv").write_text("mine too")
    before = _digest(out)
    with pytest.raises(ReportError, match=r"did not write \(notes.txt, tables/extra.csv\)"):
        write_report(out, data=data, quiet=True, figures=False)
    assert _digest(out) == before
    assert main(["report", "--data", str(data), "--out", str(out), "--quiet", "--no-figures"]) == 2
    (out / "notes.txt").unlink()
    (out / "tables" / "extra.csv").unlink()
    write_report(out, data=data, quiet=True, figures=False)  # exactly a report again: replaced


def test_input_file_inside_out_is_never_deleted(tmp_path):
    out = tmp_path / "rep"
    out.mkdir()
    data = _csv(out / "input.csv", _pair("A", "e"))
    for force in (False, True):
        with pytest.raises(ReportError, match="input file input.csv lies inside --out"):
            write_report(out, data=data, quiet=True, figures=False, force=force)
    assert data.is_file()


@pytest.mark.parametrize("option", ["continuous", "comparators"])
def test_every_input_file_inside_out_is_never_deleted(tmp_path, capsys, option):
    # every file the run reads is protected, not only --data: a --continuous or --comparators CSV kept in an
    # earlier report's folder would be deleted with it when the folder is replaced (even with --force)
    data = _csv(tmp_path / "in.csv", _pair("A", "e"))
    out = tmp_path / "rep"
    write_report(out, data=data, quiet=True, figures=False)
    extra = out / "extra.csv"
    extra.write_text("study,endpoint,mean_t,sd_t,n_t,mean_c,sd_c,n_c\nS1,pain,-20,15,50,-12,16,48\n")
    for force in (False, True):
        with pytest.raises(ReportError, match="input file extra.csv lies inside --out"):
            write_report(out, data=data, quiet=True, figures=False, force=force, **{option: extra})
    args = ["report", "--data", str(data), f"--{option}", str(extra), "--out", str(out), "--quiet", "--force"]
    assert main([*args, "--no-figures"]) == 2
    assert "extra.csv lies inside --out" in capsys.readouterr().err
    assert extra.read_text().startswith("study,endpoint")


# ---------------------------------------------------------------------------------------- 3. huge counts


@pytest.mark.parametrize(
    "n",
    [str(10**30), str(2**63), str(2**53 + 1), str(2**31), "9" * 5000],
    ids=["1e30", "2^63", "2^53+1", "2^31", "5000 digits"],
)
def test_huge_counts_exit_2_naming_file_row_column(tmp_path, capsys, n):
    data = tmp_path / "big.csv"
    data.write_text(HEADER + f"A,0,e,{n},1\nA,100,e,50,1\n")
    assert main(["validate", str(data)]) == 2
    err = capsys.readouterr().err
    assert f"{data}, row 1 (line 2), column 'n':" in err and "out of range" in err and "2,147,483,647" in err
    assert main(["report", "--data", str(data), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert not (tmp_path / "o").exists()


def test_largest_count_is_accepted():
    df = pd.DataFrame(
        {
            "study": ["A", "A"],
            "dose_mg_day": [0, 100],
            "endpoint": ["e", "e"],
            "n": [2**31 - 1, 10],
            "responders": [5, 2],
        }
    )
    assert fmtrials.read_outcomes(df)["n"].tolist() == [2**31 - 1, 10]
    with pytest.raises(DataError, match="row 1, column 'n': '2147483648' is out of range"):
        fmtrials.read_outcomes(df.assign(n=[2**31, 10]))


# ---------------------------------------------------------------------------------------- 4. two placebos


def test_two_placebo_rows_refused_in_file_and_frame(tmp_path):
    data = tmp_path / "two.csv"
    data.write_text(
        "study,arm,dose_mg_day,endpoint,n,responders\nA,placebo,0,e,50,10\nA,placebo b,0,e,40,9\nA,drug,100,e,50,20\n"
    )
    with pytest.raises(DataError) as ei:
        fmtrials.read_outcomes(data)
    msg = str(ei.value)
    assert f"{data}, row 2 (line 3), column 'arm'" in msg and "2 placebo rows (rows 1, 2)" in msg
    frame = pd.DataFrame(
        {
            "study": ["A"] * 3,
            "arm": ["placebo", "placebo b", "drug"],
            "dose_mg_day": [0, 0, 100],
            "endpoint": ["e"] * 3,
            "n": [50, 40, 50],
            "responders": [10, 9, 20],
        }
    )
    with pytest.raises(DataError, match=r"<DataFrame>, row 2, column 'arm': .*2 placebo rows \(rows 1, 2\)"):
        fmtrials.contrasts(frame, endpoint="e")


def test_bundled_shared_placebo_still_valid():
    fmtrials.validate_bundled()
    c = fmtrials.contrasts(endpoint="nausea")
    assert c.loc[c.study == "Mease2009", "n_c"].tolist() == [223, 223]  # one placebo, two doses: fine


# ---------------------------------------------------------------------------------------- 6. bundled names


def test_user_studies_named_like_bundled_trials_are_kept(tmp_path):
    rows = _pair("Clauw2013", "e") + _pair("Natelson2015", "e") + _pair("Mine", "e")
    data = _csv(tmp_path / "in.csv", rows)
    c = fmtrials.contrasts(fmtrials.read_outcomes(data), endpoint="e")
    assert sorted(c.study) == ["Clauw2013", "Mine", "Natelson2015"] and c["year"].isna().all()
    out = write_report(tmp_path / "rep", data=data, quiet=True, figures=False)
    table = pd.read_csv(out / "tables" / "comparisons.csv")
    assert sorted(table.study) == ["Clauw2013", "Mine", "Natelson2015"]


# ---------------------------------------------------------------------------------------- 7. exit codes


@pytest.mark.parametrize(
    "text, message", [(",,,,\n,,,,\n", "no header line"), ('""\n', "no header line"), ("\n\n", "file is empty")]
)
def test_headerless_files_exit_2(tmp_path, capsys, text, message):
    data = tmp_path / "x.csv"
    data.write_text(text)
    assert main(["validate", str(data)]) == 2
    assert f"{data}: {message}" in capsys.readouterr().err


def test_unexpected_error_is_one_line_exit_1(tmp_path, monkeypatch, capsys):
    def bug(*a, **k):
        raise KeyError("oops")

    monkeypatch.setattr("fmtrials.report.write_report", bug)
    monkeypatch.delenv("FMTRIALS_DEBUG", raising=False)
    assert main(["report", "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fmtrials: internal error: KeyError: 'oops'\n") and "please report" in err
    assert "Traceback" not in err
    monkeypatch.setenv("FMTRIALS_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["report", "--out", str(tmp_path / "o")])


def test_cli_subprocess_never_shows_a_traceback(tmp_path):
    data = tmp_path / "x.csv"
    data.write_text(",,,,\n")
    r = subprocess.run(
        [sys.executable, "-m", "fmtrials", "report", "--data", str(data), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert r.returncode == 2 and "no header line" in r.stderr and "Traceback" not in r.stderr


def test_exact_ci_on_bundled_data_runs(tmp_path, capsys):
    # the exact interval accepts n_t * n_c <= 1,000,000 (issue 16), so the bundled trials (at most 516 per arm)
    # no longer exceed it: the report is written (it used to exit 2 at the old 250,000 limit)
    assert main(["report", "--ci", "exact", "--out", str(tmp_path / "o"), "--quiet", "--no-figures"]) == 0
    assert "Traceback" not in capsys.readouterr().err and (tmp_path / "o" / "report.html").exists()


# ---------------------------------------------------------------------------------------- 8. workers


def _children(pid: int) -> list[int]:
    """Child processes of ``pid``, whichever of its threads started them (the report builds in a thread)."""
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(
    not Path("/proc/self/task").exists() or (os.cpu_count() or 1) < 2,
    reason="needs Linux /proc and two cores (figures drawn in worker processes)",
)
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_the_report(tmp_path, sig):
    # 12 endpoints x 4 studies: 48 figures, so the kill surely lands while they are drawn
    rows = [r for e in range(12) for st in "ABCD" for r in _pair(f"{st}", f"ep{e}", act=(50, 12 + 3 * e % 20))]
    data = _csv(tmp_path.parent / f"{tmp_path.name}-in.csv", rows)
    out = tmp_path / "rep"
    p = subprocess.Popen(
        [sys.executable, "-m", "fmtrials", "report", "--data", str(data), "--out", str(out)],
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        for line in p.stderr:
            if "drawing" in line:
                break
        deadline = time.time() + 30
        while len(_children(p.pid)) < 2 and time.time() < deadline and p.poll() is None:
            time.sleep(0.05)
        kids = _children(p.pid)
        assert kids, "no worker processes were started"
        os.kill(p.pid, sig)
        p.wait(30)
        deadline = time.time() + 5
        while any(_alive(k) for k in kids) and time.time() < deadline:
            time.sleep(0.1)
        assert not any(_alive(k) for k in kids), "a figure worker outlived the report"
    finally:
        if p.poll() is None:
            p.kill()
        p.stderr.close()
        for k in locals().get("kids", []):  # never leave an orphan behind, even when the test fails
            if _alive(k):
                os.kill(k, signal.SIGKILL)
    assert not out.exists()
    if sig == signal.SIGTERM:
        assert p.returncode == 128 + signal.SIGTERM
        assert [q.name for q in tmp_path.iterdir()] == [], "SIGTERM must remove the build folder"


# ---------------------------------------------------------------------------------------- 9. formulas


def test_formula_cells_are_defused_numbers_kept(tmp_path):
    names = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "=cmd|' /C calc'!A0", "Plain"]
    rows = [r for i, s in enumerate(names) for r in _pair(s, "e", act=(50, 4 + 5 * i))]
    out = write_report(tmp_path / "rep", data=_csv(tmp_path / "in.csv", rows), quiet=True, figures=False)
    with open(out / "tables" / "comparisons.csv", newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert sorted(r["study"] for r in table) == sorted(
        ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'=cmd|' /C calc'!A0", "Plain"]
    )
    rd = [float(r["rd"]) for r in table]
    assert min(rd) < 0 and all(not r["rd"].startswith("'") for r in table)  # a negative number stays a number
    assert "OWASP" in (out / "report.html").read_text("utf-8")


def test_defuse_tab_and_carriage_return_but_not_numbers():
    from fmtrials._csv import defuse_formulas as _defuse_formulas

    t = pd.DataFrame({"a": ["\tx", "\rx", "-1.5", "+2", "1e-3", "x=1"], "b": [-1.0, 2.0, 3.0, -4.0, 5.0, 6.0]})
    got = _defuse_formulas(t)
    assert got["a"].tolist() == ["'\tx", "'\rx", "-1.5", "+2", "1e-3", "x=1"]
    assert got["b"].tolist() == t["b"].tolist()


# ---------------------------------------------------------------------------------------- 10. size


def test_too_many_rows_refused_naming_the_limit(tmp_path):
    data = tmp_path / "huge.csv"
    lines = [f"S{i // 2},{0 if i % 2 == 0 else 100},e,50,{10 + i % 2}" for i in range(fmtrials.data.MAX_ROWS + 2)]
    data.write_text(HEADER + "\n".join(lines) + "\n")
    with pytest.raises(DataError, match="more than 20,000 data rows: fmtrials supports up to 20,000 rows"):
        fmtrials.read_outcomes(data)


def test_too_many_studies_refused(monkeypatch):
    monkeypatch.setattr(fmtrials.data.reader, "MAX_STUDIES", 2)
    df = pd.DataFrame(
        {
            "study": list("AABBCC"),
            "dose_mg_day": [0, 100] * 3,
            "endpoint": ["e"] * 6,
            "n": [50] * 6,
            "responders": [10, 20] * 3,
        }
    )
    with pytest.raises(DataError, match="column 'study': 3 studies: fmtrials supports up to 2 studies"):
        fmtrials.read_outcomes(df)


# ---------------------------------------------------------------------------------------- 11. replacement


def test_symlinked_and_dangling_out_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(ReportError, match="is a symbolic link"):
        write_report(link, quiet=True, figures=False)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere" / "deeper")
    with pytest.raises(ReportError, match="dangling symbolic link"):
        write_report(dangling, quiet=True, figures=False)
    assert not (tmp_path / "nowhere").exists() and not list(real.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "link", "real"]


def test_out_dot_fills_the_empty_current_directory(tmp_path, monkeypatch):
    here = tmp_path / "here"
    here.mkdir()
    data = _csv(tmp_path / "in.csv", _pair("A", "e"))
    monkeypatch.chdir(here)
    write_report(".", data=data, quiet=True, figures=False)
    assert (here / "report.html").is_file() and Path.cwd() == here
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here", "in.csv"]
    with pytest.raises(ReportError, match="current directory"):
        write_report(".", data=data, quiet=True, figures=False)


def test_new_folder_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        out = write_report(tmp_path / "rep", data=_csv(tmp_path / "in.csv", _pair("A", "e")), quiet=True, figures=False)
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o755


def test_replacement_uses_the_atomic_exchange(tmp_path, monkeypatch):
    data = _csv(tmp_path / "in.csv", _pair("A", "e"))
    out = write_report(tmp_path / "rep", data=data, quiet=True, figures=False)
    calls = []
    real = _outdir._exchange
    monkeypatch.setattr(_outdir, "_exchange", lambda a, b: calls.append((a, b)) or real(a, b))
    monkeypatch.setattr(_outdir.os, "rename", lambda *a: pytest.fail("no plain rename when replacing"))
    write_report(out, data=data, quiet=True, figures=False)
    assert len(calls) == 1 and sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "rep"]


def test_fallback_two_renames_undo_and_recovery(tmp_path, monkeypatch):
    data = _csv(tmp_path / "in.csv", _pair("A", "e"))
    out = write_report(tmp_path / "rep", data=data, quiet=True, figures=False)
    before = _digest(out)
    monkeypatch.setattr(_outdir, "_exchange", lambda a, b: False)  # no renameat2: the two-rename dance
    real_rename = os.rename

    def second_fails(src, dst):
        if Path(src).name.startswith(".rep.tmp-"):
            raise OSError(28, "No space left on device")
        real_rename(src, dst)

    monkeypatch.setattr(_outdir.os, "rename", second_fails)
    with pytest.raises(OSError):
        write_report(out, data=data, quiet=True, figures=False)
    assert _digest(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "rep"]
    # a crash between the two renames (kill -9) leaves only .rep.old-*: the next run puts it back first,
    # so even a failing next run leaves the previous report at --out
    monkeypatch.undo()
    real_rename(out, tmp_path / ".rep.old-x1y2")

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("fmtrials.report.page.render_html", boom)
    with pytest.raises(RuntimeError):
        write_report(out, data=data, quiet=True, figures=False)
    assert _digest(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "rep"]
    monkeypatch.undo()
    monkeypatch.setattr(_outdir, "_exchange", lambda a, b: False)
    write_report(out, data=data, quiet=True, figures=False)  # the fallback replaces and tidies up
    assert _digest(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "rep"]


# ---------------------------------------------------------------------------------------- 12. smaller


def test_only_placebo_data_refused(tmp_path):
    data = tmp_path / "pl.csv"
    data.write_text(HEADER + "A,0,e,50,10\nB,0,e,40,8\n")
    with pytest.raises(DataError, match="column 'dose_mg_day': every row is a placebo arm"):
        write_report(tmp_path / "o", data=data, quiet=True, figures=False)
    assert not (tmp_path / "o").exists()


def test_output_bytes_do_not_depend_on_the_path_spelling(tmp_path, monkeypatch):
    data = _csv(tmp_path / "in.csv", _pair("A", "e") + _pair("B", "e", act=(40, 30)))
    monkeypatch.chdir(tmp_path)
    a = write_report(tmp_path / "a", data="./in.csv", quiet=True, figures=False)
    b = write_report(tmp_path / "b", data=str(data), quiet=True, figures=False)
    assert _digest(a) == _digest(b)
    for p in b.rglob("*"):
        if p.is_file():
            assert str(tmp_path) not in p.read_text("utf-8"), p.name
    assert json.loads((b / "manifest.json").read_text())["options"]["data"] == "in.csv"


def test_quiet_silences_warnings_and_otherwise_they_are_progress_lines(tmp_path, monkeypatch, capsys):
    import warnings

    def noisy(bundled):
        warnings.warn("something odd", stacklevel=1)

    monkeypatch.setattr("fmtrials.report.build.audit_table_of", noisy)
    data = _csv(tmp_path / "in.csv", _pair("A", "e"))
    write_report(tmp_path / "q", data=data, quiet=True, figures=False)
    assert capsys.readouterr().err == ""
    write_report(tmp_path / "v", data=data, quiet=False, figures=False)
    err = capsys.readouterr().err.splitlines()
    assert "fmtrials report: warning: UserWarning: something odd" in err
    assert all(line.startswith("fmtrials report: ") for line in err)

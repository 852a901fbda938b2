"""The command-line interface: exit codes and messages, never a traceback for bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fmtrials import __version__
from fmtrials.cli import main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fmtrials", *args], capture_output=True, text=True, timeout=120)


def test_version_via_python_m():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"fmtrials {__version__}"


def test_data_summary(capsys):
    assert main(["data"]) == 0
    out = capsys.readouterr().out
    assert "outcomes.csv" in out and "M09-T5" in out and "unverified" in out


def test_data_table_csv(capsys):
    assert main(["data", "--table", "arms", "--csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("study,arm,treatment,dose_mg_day")
    assert any(line.startswith("Mease2009,milnacipran_200,milnacipran,200,,441,") for line in out)


def test_validate_ok_and_bad(tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text("study,dose_mg_day,endpoint,n,responders\nA,0,e,10,2\nA,100,e,10,5\n")
    assert main(["validate", str(good)]) == 0
    assert "OK (user outcomes, 2 rows)" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("study,dose_mg_day,endpoint,n,responders\nA,0,e,10,12\nA,100,e,10,5\n")
    r = run("validate", str(bad))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert f"{bad}, row 1 (line 2), column 'responders': responders (12) exceed n (10)" in r.stderr


def test_validate_a_continuous_file(tmp_path, capsys):
    good = tmp_path / "means.csv"
    good.write_text("study,endpoint,mean_t,sd_t,n_t,mean_c,sd_c,n_c\nS1,pain,-20,15,50,-12,16,48\n")
    assert main(["validate", str(good), "--table", "Continuous"]) == 0
    assert "OK (user continuous outcomes, 1 row)" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("study,endpoint,mean_t,sd_t,n_t,mean_c,sd_c,n_c\nS1,pain,-20,0,50,-12,16,48\n")
    r = run("validate", str(bad), "--table", "continuous")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert f"{bad}, row 1" in r.stderr and "'sd_t'" in r.stderr


def test_validate_bundled_layout(capsys):
    from fmtrials import data_dir

    assert main(["validate", str(data_dir() / "arms.csv")]) == 0
    assert "arms table" in capsys.readouterr().out


def test_no_command_prints_help(capsys):
    assert main([]) == 2


@pytest.mark.parametrize("args", [["validate", "missing.csv"], ["report", "--data", "missing.csv", "--out", "x"]])
def test_missing_file_exit_2(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run(*args)
    assert r.returncode == 2 and "missing.csv: file not found" in r.stderr and "Traceback" not in r.stderr


def test_report_refuses_an_endpoint_with_no_known_direction_exit_2(tmp_path):
    csv = tmp_path / "u.csv"
    csv.write_text("study,dose_mg_day,endpoint,n,responders\nA,0,fiq_responder,50,10\nA,100,fiq_responder,50,20\n")
    r = run("report", "--data", str(csv), "--out", str(tmp_path / "o"), "--quiet")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "'fiq_responder' has no known direction" in r.stderr and "'direction' column" in r.stderr
    assert not (tmp_path / "o" / "report.html").exists()


def test_report_options_measure_any_case_and_no_figures(tmp_path, capsys):
    csv = tmp_path / "u.csv"
    csv.write_text("study,dose_mg_day,endpoint,n,responders,direction\nA,0,e,50,10,harmful\nA,100,e,50,20,harmful\n")
    out = tmp_path / "o"
    assert main(["report", "--data", str(csv), "--out", str(out), "--measure", "or", "--no-figures", "--quiet"]) == 0
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["options"]["measure"] == "OR"
    assert not any(f.startswith("figures/") for f in manifest["files"])


def test_unsafe_out_exit_2_says_nothing_was_written(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    assert main(["report", "--out", str(out), "--quiet", "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fmtrials: the report was not written (nothing was changed)\n")
    assert f"{out}: directory is not empty" in err and (out / "thesis.tex").read_text() == "precious"

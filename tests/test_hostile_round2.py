"""Hostile input, round 2 (issue 28): text options, option normalisation, the treatment label in every figure,
the output folder under races, and bounded time for the decision and audit functions.

Each test failed on the code before the fix (the size tests by running past their subprocess timeout, or by
a MemoryError / a wrong answer). Oracles: the XML parser (well-formed SVG), ``filecmp`` (same bytes), scipy's
``fisher_exact`` and a one-patient-at-a-time walk written here, exact integer arithmetic for GRIM ranges, and
R metafor (tests/r/mreg_scale_reference.R) for the shifted meta-regression.
"""

from __future__ import annotations

import errno
import fcntl
import filecmp
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import fmtrials
from fmtrials import DataError
from fmtrials.cli import main
from fmtrials.effects.interval_coverage import coverage_summary
from fmtrials.report import outdir as _outdir
from fmtrials.report import write_report

SRC = str(Path(fmtrials.__file__).resolve().parents[1])
HEBREW = "\u05de\u05d9\u05dc\u05e0\u05e6\u05d9\u05e4\u05e8\u05df"  # "milnacipran" in Hebrew letters
FSI, PDI = "\u2068", "\u2069"

USER_CSV = "study,dose_mg_day,endpoint,n,responders,direction\n" + "".join(
    f"S{i},0,fiq_responder,{100 + i},{20 + i},beneficial\nS{i},50,fiq_responder,{100 + i},{31 + 2 * i},beneficial\n"
    for i in range(1, 5)
)


@pytest.fixture
def user_csv(tmp_path) -> Path:
    p = tmp_path / "trials.csv"
    p.write_text(USER_CSV, encoding="utf-8")
    return p


def _run(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), MPLBACKEND="Agg")
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


# ------------------------------------------------------------------------------------------ text options


@pytest.mark.parametrize("option", ["--title", "--treatment-label"])
@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ("a\x00b", "U+0000"),
        ("a\x1b[31mb", "U+001B"),
        ("a\x85b", "U+0085"),
        ("a\x7fb", "U+007F"),
        ("evil\u202egnp.exe", "U+202E"),
        ("x\u2066y", "U+2066"),
        ("x\u2069", "U+2069"),
    ],
)
def test_control_and_bidi_override_characters_are_refused_naming_the_option(
    tmp_path, user_csv, capsys, option, bad, code
):
    out = tmp_path / "rep"
    status = main(["report", "--data", str(user_csv), "--no-figures", "--quiet", option, bad, "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and option in err and "control characters" in err and code in err
    assert not out.exists()


def test_right_to_left_text_is_isolated_and_every_svg_is_well_formed(tmp_path, user_csv):
    out = tmp_path / "rep"
    write_report(out, data=user_csv, quiet=True, treatment=HEBREW, title=f"{HEBREW} trial 2")
    svgs = sorted((out / "figures").glob("*.svg"))
    kinds = {p.stem.rsplit("_", 1)[-1] for p in svgs}
    assert {"forest", "responders", "labbe", "funnel"} <= kinds
    for p in svgs:
        ET.parse(p)  # well-formed XML
        text = p.read_text("utf-8")
        # the label is in every figure (funnel and responders included), always inside an isolate
        assert FSI + HEBREW + PDI in text, p.name
        assert text.count(HEBREW) == text.count(FSI + HEBREW + PDI), p.name
    methods = (out / "methods.txt").read_text("utf-8")
    assert FSI + HEBREW + PDI in methods and methods.count(FSI) == methods.count(PDI)
    html = (out / "report.html").read_text("utf-8")
    assert f"<h1><bdi>{HEBREW} trial 2</bdi></h1>" in html
    assert html.count(FSI) == html.count(PDI)
    assert json.loads((out / "manifest.json").read_text("utf-8"))["options"]["treatment_label"] == HEBREW


def test_left_to_right_label_is_unchanged_and_named_in_funnel_and_responders(tmp_path, user_csv):
    out = tmp_path / "rep"
    write_report(out, data=user_csv, quiet=True, treatment="drug X")
    funnel = (out / "figures" / "fiq_responder_funnel.svg").read_text("utf-8")
    responders = (out / "figures" / "fiq_responder_responders.svg").read_text("utf-8")
    assert "drug X vs placebo" in funnel and FSI not in funnel
    assert "Drug X 50 mg/day" in responders


def test_file_name_with_control_characters_is_neutralised_in_the_default_title(tmp_path, user_csv):
    data = tmp_path / "in\x1b[31m.csv"
    data.write_text(user_csv.read_text("utf-8"), encoding="utf-8")
    out = tmp_path / "rep"
    write_report(out, data=data, quiet=True, figures=False)
    html = (out / "report.html").read_text("utf-8")
    assert "\x1b" not in html and "in\ufffd[31m.csv" in html


def test_equivalent_option_spellings_give_byte_identical_reports(tmp_path, user_csv):
    a, b = tmp_path / "a", tmp_path / "b"
    common = ["report", "--data", str(user_csv), "--no-figures", "--quiet"]
    assert main([*common, "--method", "reml", "--ci", "Newcombe", "--test", "HKSJ", "--out", str(a)]) == 0
    assert main([*common, "--method", "REML", "--ci", "newcombe", "--test", "hksj", "--out", str(b)]) == 0
    cmp = filecmp.dircmp(a, b)
    files = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
    assert not mismatch and not errors and not cmp.left_only and not cmp.right_only
    options = json.loads((a / "manifest.json").read_text("utf-8"))["options"]
    assert (options["method"], options["ci"], options["test"]) == ("REML", "newcombe", "hksj")


# ------------------------------------------------------------------------------------------ the output folder


def test_a_second_run_into_the_same_out_is_refused_while_the_first_holds_it(tmp_path, user_csv, capsys):
    out = tmp_path / "rep"
    out.mkdir()
    with _outdir.locked(out):
        code = main(["report", "--data", str(user_csv), "--no-figures", "--quiet", "--out", str(out)])
        assert code == 2 and "another fmtrials report is being written" in capsys.readouterr().err
        assert not any(out.iterdir())
    # released (and the lock file gone): the next run writes the report
    assert not _outdir.lock_path(out).exists()
    assert main(["report", "--data", str(user_csv), "--no-figures", "--quiet", "--out", str(out)]) == 0


def test_concurrent_runs_never_mix_two_reports(tmp_path, user_csv):
    """Two processes into one empty --out at once: one writes, the other is refused (or runs after it); the
    folder holds exactly one report (its manifest lists every file)."""
    out = tmp_path / "rep"
    out.mkdir()
    code = (
        "import sys; from fmtrials.cli import main; "
        f"sys.exit(main(['report', '--data', {str(user_csv)!r}, '--no-figures', '--quiet', '--out', {str(out)!r}, "
        "'--title', sys.argv[1]]))"
    )
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), MPLBACKEND="Agg")
    procs = [
        subprocess.Popen([sys.executable, "-c", code, t], env=env, stderr=subprocess.PIPE, text=True)
        for t in ("first", "second")
    ]
    results = [(p.wait(timeout=600), p.stderr.read()) for p in procs]
    assert sorted(r for r, _ in results) in ([0, 0], [0, 2]), results
    assert all("another fmtrials report" in e for r, e in results if r == 2)
    is_report, extra = _outdir.report_listing(out)
    assert is_report and not extra


def _build_then(monkeypatch, action):
    """Make the report's build step run ``action`` just after it finishes (a user acting during the build)."""
    from fmtrials.report import build

    original = build.assemble

    def assemble(*args, **kwargs):
        result = original(*args, **kwargs)
        action()
        return result

    monkeypatch.setattr(build, "assemble", assemble)


def test_a_user_file_created_in_out_during_the_build_survives(tmp_path, user_csv, monkeypatch, capsys):
    out = tmp_path / "rep"
    assert main(["report", "--data", str(user_csv), "--no-figures", "--quiet", "--out", str(out)]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    note = out / "tables" / "my_notes.txt"
    _build_then(monkeypatch, lambda: note.write_text("mine", encoding="utf-8"))
    code = main(["report", "--data", str(user_csv), "--no-figures", "--quiet", "--out", str(out), "--title", "new"])
    err = capsys.readouterr().err
    assert code == 2 and "tables/my_notes.txt" in err
    assert note.read_text("utf-8") == "mine"
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p != note} == before  # old report kept
    assert not list(tmp_path.glob(".rep.*"))  # no build folder or lock left behind


def test_a_folder_created_at_out_during_the_build_survives(tmp_path, user_csv, monkeypatch, capsys):
    out = tmp_path / "rep"

    def make():
        out.mkdir()
        (out / "data.xlsx").write_text("user", encoding="utf-8")

    _build_then(monkeypatch, make)
    code = main(["report", "--data", str(user_csv), "--no-figures", "--quiet", "--out", str(out)])
    assert code == 2 and "holds no earlier fmtrials report" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["data.xlsx"]


def test_with_force_a_file_that_appears_during_the_build_survives(tmp_path, user_csv, monkeypatch, capsys):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "old.txt").write_text("agreed to replace", encoding="utf-8")
    late = out / "late.txt"
    _build_then(monkeypatch, lambda: late.write_text("new", encoding="utf-8"))
    code = main(["report", "--data", str(user_csv), "--no-figures", "--quiet", "--force", "--out", str(out)])
    assert code == 2 and "late.txt" in capsys.readouterr().err
    assert late.read_text("utf-8") == "new" and (out / "old.txt").exists()


def test_the_old_report_is_removed_only_as_far_as_its_manifest_lists(tmp_path):
    out = tmp_path / "rep"
    old = tmp_path / "old"
    (old / "tables").mkdir(parents=True)
    (old / "tables" / "a.csv").write_text("x", encoding="utf-8")
    (old / "tables" / "stray.txt").write_text("user", encoding="utf-8")  # appeared after the last check
    new = tmp_path / "new"
    new.mkdir()
    out.mkdir()
    with pytest.warns(UserWarning, match="kept in"):
        _outdir._discard(old, out, {"tables/a.csv"})
    kept = list(tmp_path.glob("rep.kept-*"))
    assert len(kept) == 1 and (kept[0] / "tables" / "stray.txt").read_text("utf-8") == "user"
    assert not (kept[0] / "tables" / "a.csv").exists()


def test_out_on_a_mount_point_is_a_clear_exit_2(tmp_path, user_csv, capsys):
    src, mnt = tmp_path / "src", tmp_path / "mnt"
    src.mkdir()
    mnt.mkdir()
    done = subprocess.run(["mount", "--bind", str(src), str(mnt)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("cannot bind-mount here (the simulated EBUSY test covers the rule)")
    try:
        code = main(["report", "--data", str(user_csv), "--no-figures", "--quiet", "--out", str(mnt)])
        err = capsys.readouterr().err
        assert code == 2 and "mount point" in err and str(mnt / "report") in err
        assert main(["report", "--data", str(user_csv), "--no-figures", "--quiet", "--out", str(mnt / "r")]) == 0
        assert (src / "r" / "report.html").is_file()
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


@pytest.mark.parametrize("err", [errno.EBUSY, errno.EXDEV])
def test_a_rename_refused_by_the_file_system_is_a_clear_exit_2(tmp_path, user_csv, monkeypatch, capsys, err):
    out = tmp_path / "rep"
    assert main(["report", "--data", str(user_csv), "--no-figures", "--quiet", "--out", str(out)]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def refuse(a, b):
        raise OSError(err, os.strerror(err), str(b))

    monkeypatch.setattr(_outdir, "_exchange", refuse)
    code = main(["report", "--data", str(user_csv), "--no-figures", "--quiet", "--out", str(out)])
    assert code == 2 and "mount point" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_the_lock_is_a_real_flock(tmp_path):
    out = tmp_path / "rep"
    with _outdir.locked(out):
        fd = os.open(_outdir.lock_path(out), os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)


# ------------------------------------------------------------------------------------------ bounded time


def _walk(x1: int, n1: int, x2: int, n2: int, to_treatment: bool, significant: bool, alpha: float) -> float:
    """The fragility walk one patient at a time, with scipy's Fisher test (independent of fmtrials)."""
    k = 0
    while True:
        k += 1
        x1, x2 = x1 + to_treatment, x2 + (not to_treatment)
        if x1 > n1 or x2 > n2:
            return float("nan")
        p = stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue
        if (p >= alpha * (1 - 1e-9)) if significant else (p < alpha * (1 - 1e-9)):
            return float(k)


@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_fragility_by_bisection_equals_the_walk(alpha):
    rng = np.random.default_rng(28)
    n1 = rng.integers(1, 60, 150)
    n2 = np.where(np.arange(150) % 2 == 0, n1, rng.integers(1, 60, 150))
    x1, x2 = rng.integers(0, n1 + 1), rng.integers(0, n2 + 1)
    res = fmtrials.fragility_index(x1, n1, x2, n2, alpha=alpha)
    for i, r in res.iterrows():
        expect = _walk(
            int(x1[i]), int(n1[i]), int(x2[i]), int(n2[i]), r.arm_modified == "treatment", r.significant, alpha
        )
        got = r.fragility_index
        assert (np.isnan(expect) and np.isnan(got)) or expect == got, (x1[i], n1[i], x2[i], n2[i], expect, got)


def test_fragility_of_a_million_patients_answers_and_is_the_first_flip():
    code = (
        "import fmtrials; r = fmtrials.fragility_index(10**6, 10**6, 0, 10**6).iloc[0]; "
        "print(int(r.fragility_index), r.arm_modified, repr(float(r.p_after)))"
    )
    done = _run(["-c", code], timeout=300)
    assert done.returncode == 0, done.stderr
    k, arm, p_after = done.stdout.split()
    k = int(k)
    assert arm == "control"
    p = [stats.fisher_exact([[10**6, 0], [j, 10**6 - j]]).pvalue for j in (k - 1, k)]
    assert p[0] < 0.05 <= p[1] and float(p_after) == pytest.approx(p[1], rel=1e-8)


def test_fragility_beyond_the_supported_arm_is_refused_before_any_work():
    with pytest.raises(DataError, match="n_c.*at most 1,000,000"):
        fmtrials.fragility_index(5, 10, 1, 2_000_000)


def test_fisher_p_on_large_tables_matches_scipy():
    from fmtrials.decision.fragility import fisher_p

    rng = np.random.default_rng(7)
    for _ in range(6):
        n1, n2 = (int(v) for v in rng.integers(20_000, 1_000_000, 2))
        x1 = int(rng.integers(0, n1))
        x2 = int(np.clip(x1 * n2 // n1 + rng.integers(-2000, 2000), 0, n2))
        expect = stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue
        assert fisher_p(x1, n1, x2, n2)[0] == pytest.approx(expect, rel=1e-8, abs=1e-300)


def test_reanalyse_percentages_with_an_arm_of_a_billion():
    code = (
        "import fmtrials\n"
        "try:\n    fmtrials.reanalyse_percentages('25.0', 10**9, '20.0', 100)\n"
        "except fmtrials.DataError as e:\n    print('refused', e)\n"
        "r = fmtrials.reanalyse_percentages('25.0000', 10**9, '20.0', 100, test='chi2').iloc[0]\n"
        "print(r.events_t_min, r.events_t_max, r.n_pairs, repr(float(r.estimate_min)), repr(float(r.estimate_max)))\n"
    )
    done = _run(["-c", code], timeout=300)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.startswith("refused") and "percent_t" in first and "1,000,001 admissible count pairs" in first
    lo, hi, pairs, est_lo, est_hi = second.split()
    # exact: 100 k / 1e9 within 25.0000 +- 0.00005 <=> 249,999,500 <= k <= 250,000,500
    assert (int(lo), int(hi), int(pairs)) == (249_999_500, 250_000_500, 1001)
    assert float(est_lo) == pytest.approx(249_999_500 / 1e9 - 0.2, abs=1e-15)
    assert float(est_hi) == pytest.approx(250_000_500 / 1e9 - 0.2, abs=1e-15)


@pytest.mark.parametrize(
    ("call", "column"),
    [
        (lambda: fmtrials.coverage("newcombe", 10_000, 10_000, 0.3, 0.2), "n_t"),
        (lambda: fmtrials.coverage("wald", 10, 100_000, 0.3, 0.2), "n_c"),
        (lambda: fmtrials.coverage("exact", 21, 20, 0.3, 0.2), "n_t"),
        (lambda: fmtrials.coverage("wald", 100, 100, np.full(3_000_000, 0.3), 0.2), "p_t"),
        (lambda: coverage_summary("wald", 10, 10, points=5000), "points"),
    ],
)
def test_coverage_beyond_its_supported_size_is_refused(call, column):
    with pytest.raises(DataError) as info:
        call()
    assert info.value.problems[0].column == column


def test_coverage_of_ten_thousand_per_arm_is_refused_at_once_in_a_subprocess():
    code = (
        "import fmtrials\ntry:\n    fmtrials.coverage('newcombe', 10000, 10000, 0.3, 0.2)\n"
        "except fmtrials.DataError as e:\n    print(e)\n"
    )
    done = _run(["-c", code], timeout=120)
    assert done.returncode == 0 and "outcome tables" in done.stdout, done.stderr


# ------------------------------------------------------------------------------------------ meta-regression


def _reference() -> dict:
    return json.loads((Path(__file__).parent / "data" / "mreg_scale_reference.json").read_text("utf-8"))


def test_scale_reference_records_versions_and_calls():
    ref = _reference()
    assert ref["metafor_version"].startswith("3.8") and ref["r_version"].startswith("R version 4.2")
    assert all(
        "threshold = 1e-12" in c["calls"]["centred"] or "control = ctrl" in c["calls"]["centred"] for c in ref["cases"]
    )


@pytest.mark.parametrize("case", _reference()["cases"], ids=lambda c: f"{c['method']}-{c['test']}")
def test_meta_regression_on_a_year_offset_by_2e7_matches_metafor(case):
    from _metafor2 import table

    t = table("bcg")
    for moderator, ref in (("year_shifted", case["exact"]), ("year", case["unshifted"])):
        tt = t.assign(year_shifted=t["year"] + case["shift"])
        r = fmtrials.meta_regression(tt, moderator, method=case["method"], test=case["test"])
        co = r.coefficients
        for ours, theirs in (("estimate", "estimate"), ("se", "se"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
            np.testing.assert_allclose(co[ours].to_numpy(), ref[theirs], rtol=1e-6, err_msg=f"{moderator} {ours}")
        assert r.tau2 == pytest.approx(ref["tau2"], rel=1e-6)
        assert r.qe == pytest.approx(ref["qe"], rel=1e-6) and r.qm == pytest.approx(ref["qm"], rel=1e-6)


def test_decision_metrics_on_large_counts_finish_and_leave_out_only_unsupported_tables(tmp_path):
    """Arms of a million (within the fragility index's size) and of three million (beyond): the first get their
    index (checked against scipy at the step and the step before), the others are left out and the note says so."""
    from fmtrials.data import read_outcomes
    from fmtrials.decision import what_it_means

    rows = ["study,dose_mg_day,endpoint,n,responders,direction"]
    for i, n in enumerate((10**6, 10**6, 3 * 10**6)):
        rows += [
            f"S{i},0,composite_3,{n},{n // 5},beneficial",
            f"S{i},100,composite_3,{n},{n // 5 + 3000 + i},beneficial",
        ]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = read_outcomes(path)
    w = what_it_means(fmtrials.analyse(out), out)
    fr = w.fragility
    assert sorted(fr["study"]) == ["S0", "S1"]
    for r in fr.itertuples():
        k = int(r.fragility_index)
        assert r.arm_modified == "control"
        p = [
            stats.fisher_exact([[r.events_t, r.n_t - r.events_t], [r.events_c + j, r.n_c - r.events_c - j]]).pvalue
            for j in (k - 1, k)
        ]
        assert p[0] < 0.05 <= p[1]
    assert any("at most 1,000,000 patients" in note for note in w.choices)

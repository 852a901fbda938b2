"""Scale of `fmtrials report` on large user data: wall time and peak memory at the supported size.

Supported input (fmtrials.data.MAX_ROWS, MAX_STUDIES): up to 20,000 outcome rows and 10,000 studies per file;
larger files are refused with a DataError naming the limit (checked here too).

Run: python benchmarks/bench_scale.py [--studies 10000] [--endpoints 1] [--timeout 1800] [--skip-figures]
Builds a synthetic outcomes CSV (one placebo and one 100 mg/day arm per study and endpoint, seeded), runs
`python -m fmtrials report --quiet` on it without figures (--no-figures) and with, each in a fresh
interpreter, and prints the wall time, the exit status and the peak resident memory of that process
(os.wait4 rusage, so each run is measured alone). A run over --timeout is stopped and reported as such.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def build(path: Path, studies: int, endpoints: int, seed: int = 20240611) -> int:
    """Write the synthetic CSV; return its number of data rows."""
    rng = np.random.default_rng(seed)
    lines = ["study,dose_mg_day,endpoint,n,responders"]
    for e in range(endpoints):
        n_c = rng.integers(20, 400, studies)
        n_t = rng.integers(20, 400, studies)
        p_c = rng.uniform(0.1, 0.4, studies)
        p_t = np.clip(p_c * np.exp(rng.normal(0.3, 0.2, studies)), 0.01, 0.95)
        x_c, x_t = rng.binomial(n_c, p_c), rng.binomial(n_t, p_t)
        for i in range(studies):
            lines.append(f"S{i:05d},0,ep{e},{n_c[i]},{x_c[i]}")
            lines.append(f"S{i:05d},100,ep{e},{n_t[i]},{x_t[i]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


def run(cmd: list[str], timeout: float) -> tuple[float, int | str, float]:
    """(wall seconds, exit status or "timeout", peak RSS in MB) of one command in its own process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = t0 + timeout
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            os.killpg(p.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(p.pid, 0)
            return time.perf_counter() - t0, "timeout", usage.ru_maxrss / 1024
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    rc = os.waitstatus_to_exitcode(status)
    if rc not in (0,):
        sys.stderr.write(p.stderr.read().decode("utf-8", "replace")[-2000:])
    return wall, rc, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--studies", type=int, default=10_000)
    ap.add_argument("--endpoints", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--skip-figures", action="store_true", help="only the run without figures")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "scale.csv"
        rows = build(data, args.studies, args.endpoints)
        print(
            f"input: {args.studies:,} studies x {args.endpoints} endpoint(s) = {rows:,} rows "
            f"({data.stat().st_size / 1e6:.1f} MB)"
        )
        base = [sys.executable, "-m", "fmtrials", "report", "--quiet", "--data", str(data)]
        variants = [("without figures", ["--no-figures"])] + ([] if args.skip_figures else [("with figures", [])])
        for label, extra in variants:
            wall, rc, peak = run(base + ["--out", str(Path(tmp) / label.replace(" ", "_"))] + extra, args.timeout)
            print(f"report {label:<16} exit {rc!s:<8} wall {wall:8.1f} s   peak RSS {peak:7.0f} MB")
        too_big = Path(tmp) / "too_big.csv"
        build(too_big, 10_001, 1)
        wall, rc, peak = run([sys.executable, "-m", "fmtrials", "validate", str(too_big)], args.timeout)
        print(f"refusal above the limit (20,002 rows): exit {rc} in {wall:.1f} s (expected exit 2)")


if __name__ == "__main__":
    main()

"""Wall time of `fmtrials report` on the bundled data, cold start included (goal: <= 10 s on 2 cores).

Run: python benchmarks/bench_report.py [--repeat 3]
Prints the wall time of each run of `python -m fmtrials report --quiet` in a fresh interpreter, and for
comparison the cold-start time of `python -c "import fmtrials"` measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report"
        runs = [
            wall([sys.executable, "-m", "fmtrials", "report", "--quiet", "--out", str(out)]) for _ in range(args.repeat)
        ]
    imp = [wall([sys.executable, "-c", "import fmtrials"]) for _ in range(args.repeat)]
    med, med_imp = statistics.median(runs), statistics.median(imp)
    print(
        f"fmtrials report (bundled data), wall per run: {', '.join(f'{r:.2f}' for r in runs)} s; "
        f"median {med:.2f} s (goal <= 10 s)"
    )
    print(f"python -c 'import fmtrials': median {med_imp:.2f} s; report / bare import = {med / med_imp:.1f}x")


if __name__ == "__main__":
    main()

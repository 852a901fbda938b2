"""Cost of the report's figure files: 300-dpi PNG + SVG with text kept as text (now) against 110-dpi PNG + SVG
with glyphs as paths (the report's former settings), measured in the same run on the same figures.

Run: python benchmarks/bench_report_figures.py [--repeat 3]
Draws every figure of the bundled report once (not timed), then times writing both files of every figure under
each setting, serially in this process (best of ``--repeat``), and prints the ratio now / before. The report
spreads this work over two worker processes while it computes the rest.
"""

from __future__ import annotations

import argparse
import time

import fmtrials
from fmtrials.analysis import analyse
from fmtrials.plots.export import figure_bytes, svg_text
from fmtrials.report import figures as F


class _Shown:
    def __init__(self, analysis):
        self.analysis, self.figure_notes = analysis, []

    def __getattr__(self, name):
        return getattr(self.analysis, name)


def before(fig) -> int:
    return len(figure_bytes(fig, "png", dpi=110)) + len(figure_bytes(fig, "svg"))


def now(fig) -> int:
    png = figure_bytes(fig, "png", dpi=F.PNG_DPI, png_compress=F.PNG_COMPRESS)
    return len(png) + len(svg_text(fig, title="figure", id_prefix="f").encode())


def best(fn, figs, repeat: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        t0 = time.process_time()
        size = sum(fn(f) for f in figs)
        times.append(time.process_time() - t0)
    return min(times), size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    outcomes = fmtrials.load_outcomes()
    jobs = [
        j
        for a in analyse(outcomes)
        if a.main is not None
        for j in F.figure_jobs(outcomes, _Shown(a), treatment="milnacipran")
    ]
    figs = [F.draw_job(j) for j in jobs]
    t_before, s_before = best(before, figs, args.repeat)
    t_now, s_now = best(now, figs, args.repeat)
    print(f"{len(figs)} figures, CPU seconds to write PNG + SVG, best of {args.repeat}:")
    print(f"  before (110 dpi PNG, SVG glyphs as paths): {t_before:.2f} s, {s_before / 1e6:.1f} MB")
    print(f"  now    (300 dpi PNG, SVG text as text):    {t_now:.2f} s, {s_now / 1e6:.1f} MB")
    print(f"  now / before = {t_now / t_before:.2f}x time, {s_now / s_before:.2f}x bytes")


if __name__ == "__main__":
    main()

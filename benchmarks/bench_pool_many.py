"""Benchmark: :func:`fmtrials.pool_many` against a loop over :func:`fmtrials.pool`, PyMARE and R metafor.

Not a test (nothing here asserts a time): it prints wall-clock times measured in one run, on one machine, and
their ratios to ``pool_many``, with the largest differences of the estimates. The data are synthetic binary
meta-analyses (fixed seed) pooled as log risk ratios with REML.

* ``pool`` loop: ``fmtrials.pool`` on each analysis (also the check that every number agrees);
* PyMARE (optional, ``pip install pymare``; skipped when absent): ``VarianceBasedLikelihoodEstimator("REML")``
  fitted to all analyses in one vectorised call on the same ``yi, vi`` (escalc's rule, as fmtrials);
* R metafor (optional, skipped without ``Rscript`` and metafor): ``rma(yi, vi, method="REML")`` in a loop,
  timed inside R (start-up excluded), with default control and with ``threshold=1e-12, maxiter=1000,
  stepadj=0.5``, on the first ``--r-analyses`` analyses (default 2000; the time is scaled to all).

Run ``python benchmarks/bench_pool_many.py [--analyses 10000] [--k 10] [--repeat 3] [--loop-analyses N]
[--r-analyses N]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import fmtrials
from fmtrials.effects.sizes import study_effects


def synthetic(n: int, k: int, seed: int = 1) -> pd.DataFrame:
    """``n`` binary meta-analyses of ``k`` studies: arm sizes 10-299, control risk 2-60%, log RR N(0, 0.4²)
    plus a between-study SD of 0, 0.1, 0.3 or 0.6; analyses with a double-zero study are drawn again (so that
    every analysis has k effects, as PyMARE's arrays need)."""
    rng = np.random.default_rng(seed)
    m = n + n // 5 + 10
    n1 = rng.integers(10, 300, size=(m, k))
    n2 = rng.integers(10, 300, size=(m, k))
    pc = rng.uniform(0.02, 0.6, size=(m, 1)) * np.ones((1, k))
    tau = rng.choice([0.0, 0.1, 0.3, 0.6], size=(m, 1))
    lrr = rng.normal(0, 0.4, size=(m, 1)) + tau * rng.normal(size=(m, k))
    a = rng.binomial(n1, np.clip(pc * np.exp(lrr), 0, 0.99))
    c = rng.binomial(n2, pc)
    keep = np.nonzero(~(((a == 0) & (c == 0)) | ((a == n1) & (c == n2))).any(axis=1))[0][:n]
    a, n1, c, n2 = a[keep], n1[keep], c[keep], n2[keep]
    return pd.DataFrame(
        {
            "analysis": np.repeat(np.arange(n), k),
            "events_t": a.ravel(),
            "n_t": n1.ravel(),
            "events_c": c.ravel(),
            "n_c": n2.ravel(),
        }
    )


def best_of(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def pymare_fit(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    from pymare.estimators import VarianceBasedLikelihoodEstimator

    est = VarianceBasedLikelihoodEstimator(method="REML", small_sample_correction="wald")
    est.fit(y=y, v=v, X=np.ones((y.shape[0], 1)))
    return np.asarray(est.params_["tau2"]).ravel()


R_SCRIPT = r"""
suppressMessages(library(metafor))
d <- read.csv(commandArgs(TRUE)[1])
s <- split(d, d$analysis)
run <- function(ctrl) {
  fails <- 0L
  el <- system.time(for (x in s) {
    r <- try(rma(x$yi, x$vi, method = "REML", control = ctrl), silent = TRUE)
    if (inherits(r, "try-error")) fails <- fails + 1L
  })[["elapsed"]]
  list(seconds = el, fails = fails)
}
out <- list(default = run(list()), tight = run(list(threshold = 1e-12, maxiter = 1000, stepadj = 0.5)),
            metafor = as.character(packageVersion("metafor")))
cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA))
"""


def r_metafor(y: np.ndarray, v: np.ndarray) -> dict | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp, "d.csv")
        n = y.shape[1]
        pd.DataFrame({"analysis": np.repeat(np.arange(n), y.shape[0]), "yi": y.T.ravel(), "vi": v.T.ravel()}).to_csv(
            csv, index=False, float_format="%.17g"
        )
        script = Path(tmp, "b.R")
        script.write_text(R_SCRIPT)
        proc = subprocess.run(["Rscript", str(script), str(csv)], capture_output=True, text=True)
    if proc.returncode != 0:
        print("R metafor skipped:", proc.stderr.strip().splitlines()[-1:] or proc.returncode)
        return None
    return json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--analyses", type=int, default=10_000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs for the vectorised fits")
    ap.add_argument("--loop-analyses", type=int, default=None, help="time the pool loop on this many (default all)")
    ap.add_argument("--r-analyses", type=int, default=2000, help="time R metafor on this many (scaled to all)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    t = synthetic(args.analyses, args.k, args.seed)
    n, k = args.analyses, args.k
    print(f"{n} synthetic binary meta-analyses of k = {k}, log RR, REML (seed {args.seed})")
    print(f"fmtrials {fmtrials.__version__}")

    t_many, res = best_of(lambda: fmtrials.pool_many(t, measure="RR", method="REML"), args.repeat)
    print(f"pool_many                 {t_many:8.3f} s   converged {int(res['converged'].sum())} of {n}")

    m = n if args.loop_analyses is None else min(n, args.loop_analyses)
    groups = [g for _, g in t[t["analysis"] < m].groupby("analysis", sort=True)]
    cols = ["estimate", "ci_low", "ci_high", "p_value", "tau2", "q", "i2", "pi_low", "pi_high"]
    worst = 0.0
    t0 = time.perf_counter()
    pooled = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for g in groups:
            pooled.append(fmtrials.pool(g, measure="RR", method="REML"))
    t_loop = (time.perf_counter() - t0) * n / m
    for i, p in enumerate(pooled):
        h = p.heterogeneity
        ref = [p.estimate, p.ci_low, p.ci_high, p.p_value, h.tau2, h.q, h.i2, p.prediction.pi_low, p.prediction.pi_high]
        got = res.loc[i, cols].to_numpy(dtype=float)
        worst = max(worst, float(np.nanmax(np.abs(got - np.array(ref)) / np.maximum(1.0, np.abs(ref)))))
    scaled = "" if m == n else f" (timed on {m}, scaled)"
    print(f"loop over pool            {t_loop:8.3f} s   {t_loop / t_many:7.1f}x pool_many{scaled}")
    print(f"  largest difference pool_many vs pool (relative, over {len(cols)} columns, {m} analyses): {worst:.2e}")

    eff = study_effects(*(t[c].to_numpy() for c in ("events_t", "n_t", "events_c", "n_c")), measure="RR")
    if np.isnan(eff.yi).any():
        print("(double-zero studies present: PyMARE and metafor comparisons skipped)")
        return
    y, v = eff.yi.reshape(n, k).T.copy(), eff.vi.reshape(n, k).T.copy()
    te = pd.DataFrame({"analysis": t["analysis"], "yi": eff.yi, "vi": eff.vi})
    t_eff, _ = best_of(lambda: fmtrials.pool_many(te, measure="RR", method="REML"), args.repeat)
    print(f"pool_many from yi, vi     {t_eff:8.3f} s   (the input PyMARE and metafor get)")
    if importlib.util.find_spec("pymare") is None:
        print("PyMARE                    not installed (pip install pymare): skipped")
    else:
        t_pm, tau2_pm = best_of(lambda: pymare_fit(y, v), args.repeat)
        d = np.abs(tau2_pm - res["tau2"].to_numpy())
        print(
            f"PyMARE vectorised REML    {t_pm:8.3f} s   {t_pm / t_many:7.2f}x pool_many from counts, "
            f"{t_pm / t_eff:.2f}x from yi, vi"
        )
        print(f"  tau² PyMARE vs pool_many: largest |difference| {d.max():.2e}; {int((d > 1e-6).sum())} above 1e-6")
    mr = min(n, args.r_analyses)
    r = r_metafor(y[:, :mr], v[:, :mr])
    if r is None:
        print("R metafor                 not available: skipped")
    else:
        scaled = "" if mr == n else f", timed on {mr} and scaled"
        for name in ("default", "tight"):
            x = r[name]
            sec = x["seconds"] * n / mr
            print(
                f"R metafor loop ({name:7s})  {sec:8.3f} s   {sec / t_many:7.1f}x pool_many   "
                f"{x['fails']} of {mr} did not converge (metafor {r['metafor']}{scaled})"
            )
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}")


if __name__ == "__main__":
    main()

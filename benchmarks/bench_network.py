"""Benchmark (not a test): REML network meta-analysis of a synthetic 100-treatment, 2,000-study network.

Run:  PYTHONPATH=src python benchmarks/bench_network.py
Target: <= 2 s on one core (the within-study covariance is block-diagonal; REML is a root of the score in one
tau², each evaluation a batched pass over the studies plus one 99 x 99 solve). The alternative, timed in the same
run on a 30-treatment, 400-study network: the textbook dense GLS of the same model (full matrices, scipy's bounded
search of the restricted likelihood), with the ratio and the agreement of the two fits.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import fmtrials


def synthetic(n_treatments: int = 100, n_studies: int = 2000, seed: int = 20240) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = ["placebo"] + [f"T{i:03d}" for i in range(1, n_treatments)]
    effect = np.concatenate([[0.0], rng.normal(0.3, 0.3, n_treatments - 1)])
    rows = []
    for s in range(n_studies):
        k = 3 if rng.random() < 0.1 else 2
        # a chain through every treatment first (connected), then random designs
        if s < n_treatments - 1:
            arms = [s, s + 1] if k == 2 else [s, s + 1, int(rng.integers(n_treatments))]
            arms = list(dict.fromkeys(arms))
        else:
            arms = list(rng.choice(n_treatments, size=k, replace=False))
        base = rng.normal(-1.0, 0.5)
        study_re = rng.normal(0, 0.2)
        for t in arms:
            n = int(rng.integers(40, 400))
            p = 1 / (1 + np.exp(-(base + effect[t] + (study_re if t else 0.0))))
            rows.append({"study": f"s{s}", "treatment": names[t], "events": int(rng.binomial(n, p)), "n": n})
    return pd.DataFrame(rows)


def dense_reml(arms: pd.DataFrame, reference: str = "placebo") -> tuple[float, np.ndarray, float]:
    """The alternative: the textbook dense generalised least squares of rma.mv's model (every contrast against
    its study's first arm, the full within-study covariance V and random-effects structure P with correlation 1/2
    as dense matrices, the restricted log-likelihood maximised over tau² by scipy): (tau², effects, seconds)."""
    from scipy import optimize

    t0 = time.perf_counter()
    trts = sorted(set(arms.treatment))
    cols = [t for t in trts if t != reference]
    idx = {t: i for i, t in enumerate(cols)}
    ys, xs, blocks = [], [], []
    for _, g in arms.groupby("study", sort=False):
        x, n = g.events.to_numpy(float), g.n.to_numpy(float)
        if ((x == 0) | (x == n)).any():
            x, n = x + 0.5, n + 1.0
        th, v = np.log(x / (n - x)), 1 / x + 1 / (n - x)
        t = g.treatment.tolist()
        for j in range(1, len(t)):
            ys.append(th[j] - th[0])
            row = np.zeros(len(cols))
            if t[j] in idx:
                row[idx[t[j]]] += 1
            if t[0] in idx:
                row[idx[t[0]]] -= 1
            xs.append(row)
        blk = np.full((len(t) - 1, len(t) - 1), v[0]) + np.diag(v[1:])
        blocks.append(blk)
    y, X = np.array(ys), np.array(xs)
    m = len(y)
    V, P = np.zeros((m, m)), np.zeros((m, m))
    i = 0
    for blk in blocks:
        k = blk.shape[0]
        V[i : i + k, i : i + k] = blk
        P[i : i + k, i : i + k] = 0.5 + 0.5 * np.eye(k)
        i += k

    def nll(t2: float) -> float:
        S = V + t2 * P
        Si = np.linalg.inv(S)
        XtSiX = X.T @ Si @ X
        b = np.linalg.solve(XtSiX, X.T @ Si @ y)
        r = y - X @ b
        return 0.5 * (np.linalg.slogdet(S)[1] + np.linalg.slogdet(XtSiX)[1] + r @ Si @ r)

    res = optimize.minimize_scalar(nll, bounds=(0.0, 2.0), method="bounded", options={"xatol": 1e-10})
    S = V + res.x * P
    Si = np.linalg.inv(S)
    b = np.linalg.solve(X.T @ Si @ X, X.T @ Si @ y)
    return float(res.x), b, time.perf_counter() - t0


def main() -> None:
    small = synthetic(30, 400, seed=7)
    arms = synthetic()
    fmtrials.network_meta(arms.iloc[:40], measure="OR", reference="placebo", method="common", disconnected="each")
    t0 = time.perf_counter()
    ours = fmtrials.network_meta(small, measure="OR", reference="placebo", method="REML")
    dt_ours = time.perf_counter() - t0
    t2, b, dt_dense = dense_reml(small)
    rel = ours.relative_effects()
    agree = max(abs(ours.tau2 - t2), float(np.max(np.abs(np.log(rel.set_index("treatment").loc[
        sorted(set(small.treatment) - {"placebo"}), "estimate"].to_numpy()) - b))))  # fmt: skip
    print(
        f"30 treatments, 400 studies: fmtrials {dt_ours:.3f} s, dense textbook GLS/REML {dt_dense:.2f} s "
        f"(ratio {dt_dense / dt_ours:.0f}x; largest difference in tau² or log OR {agree:.1e})"
    )
    t0 = time.perf_counter()
    res = fmtrials.network_meta(arms, measure="OR", reference="placebo", method="REML")
    dt = time.perf_counter() - t0
    print(f"{len(res.treatments)} treatments, {res.k} studies, {len(arms)} arms: REML fit in {dt:.2f} s")
    print(f"tau2 = {res.tau2:.5f}, Q = {res.q:.1f} on {res.q_df} df")


if __name__ == "__main__":
    main()

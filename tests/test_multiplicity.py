"""Holm's adjustment without statsmodels' per-call ``gc.collect()`` (issue 22, item 13: a full collection
holds the GIL, so nothing, not even the thread that stops the report on SIGTERM, runs meanwhile)."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

import fmtrials
from fmtrials._multiplicity import holm


def _brute_force(p: list[float]) -> list[float]:
    """Holm (1979) by its definition: the i-th smallest of m p-values becomes
    min(1, max over j <= i of (m - j + 1) p_(j)); tied p-values may come in either order."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    for rank, i in enumerate(order):
        out[i] = min(1.0, max((m - j) * p[order[j]] for j in range(rank + 1)))
    return out


@pytest.mark.parametrize("seed", range(20))
def test_holm_is_statsmodels_and_the_definition(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 40))
    p = rng.choice([rng.uniform(0, 1), 0.0, 1.0, 0.05, 0.3], size=m) if seed % 2 else rng.uniform(0, 0.2, m)
    p = np.where(rng.uniform(size=m) < 0.3, rng.uniform(0, 1, m) ** 4, p)  # ties above, small values here
    np.testing.assert_array_equal(holm(p), multipletests(p, method="holm")[1])
    np.testing.assert_allclose(holm(p), _brute_force(list(p)), rtol=0, atol=1e-15)


def test_holm_of_nothing_and_of_one():
    assert holm(np.array([])).shape == (0,)
    assert holm(np.array([0.7])).tolist() == [0.7]
    assert holm(np.array([0.6, 0.6])).tolist() == [1.0, 1.0]


def test_the_analysis_runs_no_full_garbage_collection(monkeypatch):
    calls = []
    collect = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(a) or collect(*a))
    c = fmtrials.analyse(endpoints=["pain_30", "nausea"]).compared
    assert c["p_holm_report"].notna().any() and c["p_holm"].notna().all()
    assert calls == []

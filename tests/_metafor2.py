"""Loader of tests/data/metafor_reference_2.json (written by tests/r/metafor_reference_2.R with R metafor 3.8)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd

PATH = Path(__file__).parent / "data" / "metafor_reference_2.json"


@lru_cache(maxsize=1)
def reference() -> dict:
    return json.loads(PATH.read_text(encoding="utf-8"))


def table(name: str) -> pd.DataFrame:
    return pd.DataFrame(reference()["datasets"][name])


def cases(kind: str) -> list[dict]:
    return [c for c in reference()["cases"] if c["kind"] == kind]


def case_id(c: dict) -> str:
    keys = ("dataset", "measure", "method", "tau2_method", "test", "estimator", "side_given")
    return "-".join(str(c[k]) for k in keys if c.get(k) is not None)
